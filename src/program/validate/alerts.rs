//! Alert rules: the survey they watch, a `when` over that survey's questions, recipients
//! that parse or name a declared contact attribute, a template that renders, a delay.

use std::collections::BTreeSet;

use lettre::message::Mailbox;

use super::{CheckContext, Checker, Problem};
use crate::contacts::{confined_source, parse::attribute_columns};
use crate::program::diagnostic::did_you_mean;
use crate::program::load;
use crate::program::model::{AlertRule, ProgramFile, Recipient};
use crate::program::spanned::Position;

impl Checker<'_> {
    pub(super) fn alerts(&mut self, program: &ProgramFile, context: &CheckContext) {
        self.unique("alert", program.alerts.iter().map(|a| &a.id));
        let surveys: BTreeSet<&str> = program.surveys.iter().map(|s| s.id.as_str()).collect();
        let templates = context.templates.email_names();
        let templates: BTreeSet<&str> = templates.iter().map(String::as_str).collect();
        let attributes = (!program.alerts.is_empty())
            .then(|| self.declared_attributes(program))
            .flatten();
        for rule in &program.alerts {
            if self.reference("survey", &rule.survey, &surveys) {
                self.alert_condition(program, rule);
            }
            if rule.notify.is_empty() {
                self.report(
                    rule.notify.position(),
                    format!("alert `{}` notifies nobody", *rule.id),
                    Some("list addresses, or `{ attribute: store_manager }`".to_owned()),
                );
            }
            for recipient in rule.notify.iter() {
                self.recipient(recipient, rule.notify.position(), attributes.as_ref());
            }
            if let Some(template) = &rule.template
                && self.reference("email template", template, &templates)
            {
                for locale in program.program.locales.iter() {
                    if let Err(problem) = context.templates.check_alert_email(template, locale) {
                        self.template_problem(template, &problem);
                    }
                }
            }
            if *rule.respond_within_hours == 0 {
                self.report(
                    rule.respond_within_hours.position(),
                    "`respond_within_hours` must be at least 1",
                    Some("the promised call-back delay, e.g. `respond_within_hours: 48`".into()),
                );
            }
        }
    }

    /// `when` may only read questions of the rule's own survey.
    fn alert_condition(&mut self, program: &ProgramFile, rule: &AlertRule) {
        let Some(expr) = self.expression("alert `when`", &rule.when) else {
            return;
        };
        let questions: Vec<&str> = program
            .surveys
            .iter()
            .find(|s| *s.id == *rule.survey)
            .map(|s| s.questions.iter().map(|q| q.id.as_str()).collect())
            .unwrap_or_default();
        for name in expr.variables() {
            if questions.contains(&name.as_str()) {
                continue;
            }
            let elsewhere = program
                .surveys
                .iter()
                .find(|s| s.questions.iter().any(|q| *q.id == *name));
            let hint = match (elsewhere, did_you_mean(name, questions.iter().copied())) {
                (_, Some(close)) => format!("did you mean `{close}`?"),
                (Some(other), None) => format!(
                    "`{name}` is a question of survey `{}`; a rule reads only the answers of its own survey",
                    *other.id
                ),
                (None, None) => {
                    format!("questions of `{}`: {}", *rule.survey, questions.join(", "))
                }
            };
            self.report(
                rule.when.position(),
                format!(
                    "`when` of alert `{}` refers to unknown question `{name}` of survey `{}`",
                    *rule.id, *rule.survey
                ),
                Some(hint),
            );
        }
    }

    /// One recipient; `list` is where the `notify` list starts, the place to point at when
    /// the recipient's own position is unknown (an untagged YAML value keeps none).
    fn recipient(
        &mut self,
        recipient: &Recipient,
        list: Position,
        attributes: Option<&BTreeSet<String>>,
    ) {
        let at = |position: Position| if position.line == 0 { list } else { position };
        match recipient {
            Recipient::Address(address) => {
                if address.parse::<Mailbox>().is_err() {
                    self.report(
                        at(address.position()),
                        Problem::Invalid {
                            what: "alert address",
                            value: address.to_string(),
                        },
                        Some("write `name@example.org` or `Name <name@example.org>`".into()),
                    );
                }
            }
            Recipient::Attribute { attribute } => {
                let Some(known) = attributes else { return };
                if !known.contains(attribute.as_str()) {
                    let hint = match did_you_mean(attribute, known.iter().map(String::as_str)) {
                        Some(close) => format!("did you mean `{close}`?"),
                        None => "add a column of that name to a contact file".to_owned(),
                    };
                    self.report(
                        at(attribute.position()),
                        format!("no contact source has an attribute `{}`", **attribute),
                        Some(hint),
                    );
                }
            }
        }
    }

    /// The attributes the program's CSV sources declare; `None` when they cannot all be
    /// known here (a `store: true` source, whose attributes live in the database).
    fn declared_attributes(&self, program: &ProgramFile) -> Option<BTreeSet<String>> {
        let folder = load::folder_of(self.path);
        let mut known = BTreeSet::new();
        for source in &program.contacts {
            let csv = source.csv.as_ref()?;
            let path = confined_source(folder, csv).ok()?;
            known.extend(attribute_columns(&path).ok()?);
        }
        Some(known)
    }
}

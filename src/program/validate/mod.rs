//! Every check a human could fail after the file parsed: identifiers, references, time
//! zones, cron, expressions, locales, scales, targets and the calendar. All problems are
//! collected, none stops the others. One file per section of the program.

mod actions;
mod alerts;
mod channels;
mod header;
mod indicators;
mod periods;
mod problem;
mod rules;
mod samples;
mod surveys;
mod touchpoints;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use jiff::tz::TimeZone;
use lettre::message::Mailbox;

use super::calendar::Calendar;
use super::diagnostic::{Diagnostic, did_you_mean};
use super::model::{Localized, ProgramFile};
use super::resolved::{Resolved, ResolvedChannel};
use super::spanned::{At, Position};
use crate::expr::{Expr, ExprError};
use problem::Problem;

/// What validation needs to know beyond the file itself.
pub struct CheckContext {
    /// The templates available (embedded defaults and the override folder).
    pub templates: crate::templates::Templates,
}

impl Default for CheckContext {
    fn default() -> Self {
        Self {
            templates: crate::templates::Templates::new(None),
        }
    }
}

/// Checks a parsed program; returns its resolved parts, or every problem found.
pub fn validate(
    path: &Path,
    source: &str,
    program: &ProgramFile,
    context: &CheckContext,
) -> Result<Resolved, Vec<Diagnostic>> {
    let mut checker = Checker {
        path,
        source,
        problems: Vec::new(),
        zone: None,
        sender: None,
        reply_to: None,
        channels: BTreeMap::new(),
        calendar: None,
    };
    checker.header(program);
    checker.touchpoints(program);
    checker.contacts(program);
    checker.samples(program);
    checker.channels(program, context);
    checker.surveys(program);
    checker.periods(program);
    checker.rules(program);
    checker.indicators(program);
    checker.targets(program);
    checker.themes(program);
    checker.alerts(program, context);
    checker.actions(program);
    checker.finish()
}

struct Checker<'a> {
    path: &'a Path,
    source: &'a str,
    problems: Vec<Diagnostic>,
    /// The time zone, once it parsed.
    zone: Option<TimeZone>,
    /// The sender, once it parsed.
    sender: Option<Mailbox>,
    /// The reply-to address, when declared and parsed.
    reply_to: Option<Mailbox>,
    /// Each channel's typed settings, as they parse.
    channels: BTreeMap<String, ResolvedChannel>,
    /// The calendar, once time zone, cron and periods parsed.
    calendar: Option<Calendar>,
}

impl Checker<'_> {
    /// The resolved program when nothing was reported, else every problem in file order.
    fn finish(mut self) -> Result<Resolved, Vec<Diagnostic>> {
        self.problems
            .sort_by_key(|diagnostic| (diagnostic.line, diagnostic.column));
        match (self.calendar, self.sender) {
            (Some(calendar), Some(sender)) if self.problems.is_empty() => Ok(Resolved {
                calendar,
                sender,
                reply_to: self.reply_to,
                channels: self.channels,
            }),
            _ if self.problems.is_empty() => Err(vec![Diagnostic::whole_file(
                self.path,
                "the program passed every check but could not be resolved; please report this",
            )]),
            _ => Err(self.problems),
        }
    }

    /// Records a problem: a [`Problem`] kind, or the sentence of a one-off check.
    fn report(
        &mut self,
        position: Position,
        message: impl std::fmt::Display,
        hint: Option<String>,
    ) {
        let mut diagnostic = Diagnostic::at(self.path, self.source, position, message.to_string());
        diagnostic.hint = hint;
        self.problems.push(diagnostic);
    }

    fn identifier(&mut self, what: &'static str, id: &At<String>) {
        let valid = !id.is_empty()
            && id.len() <= 64
            && id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
        if !valid {
            self.report(
                id.position(),
                Problem::Invalid {
                    what,
                    value: id.to_string(),
                },
                Some(
                    "identifiers use lower-case letters without accents, digits, `-` and `_` \
                     (at most 64)"
                        .to_owned(),
                ),
            );
        }
    }

    fn unique<'p>(&mut self, what: &'static str, ids: impl IntoIterator<Item = &'p At<String>>) {
        let mut seen: BTreeMap<&str, Position> = BTreeMap::new();
        for id in ids {
            self.identifier(what, id);
            if let Some(first) = seen.get(id.as_str()) {
                self.report(
                    id.position(),
                    Problem::Duplicate {
                        what,
                        id: id.to_string(),
                    },
                    Some(format!(
                        "it is already defined on line {}; ids must be unique",
                        first.line
                    )),
                );
            } else {
                seen.insert(id.as_str(), id.position());
            }
        }
    }

    fn reference(
        &mut self,
        what: &'static str,
        reference: &At<String>,
        known: &BTreeSet<&str>,
    ) -> bool {
        if known.contains(reference.as_str()) {
            return true;
        }
        let hint = match did_you_mean(reference, known.iter().copied()) {
            Some(close) => format!("did you mean `{close}`?"),
            None if known.is_empty() => format!("no {what} is declared in this program"),
            None => format!(
                "known {what}s: {}",
                known.iter().copied().collect::<Vec<_>>().join(", ")
            ),
        };
        self.report(
            reference.position(),
            Problem::Unknown {
                what,
                name: reference.to_string(),
            },
            Some(hint),
        );
        false
    }

    fn localized(&mut self, what: &str, text: &At<Localized>, locales: &[String]) {
        for locale in locales {
            if text.get(locale).is_none_or(|value| value.trim().is_empty()) {
                self.report(
                    text.position(),
                    Problem::MissingText {
                        what: what.to_owned(),
                        locale: locale.clone(),
                    },
                    Some(format!(
                        "add `{locale}: …` (the program declares this locale)"
                    )),
                );
            }
        }
        for locale in text.keys() {
            if !locales.contains(locale) {
                let hint = match did_you_mean(locale, locales.iter().map(String::as_str)) {
                    Some(close) => format!("did you mean `{close}`?"),
                    None => format!("declared locales: {}", locales.join(", ")),
                };
                self.report(
                    text.position(),
                    Problem::UndeclaredLocale {
                        what: what.to_owned(),
                        locale: locale.clone(),
                    },
                    Some(hint),
                );
            }
        }
    }

    fn expression(&mut self, what: &'static str, text: &At<String>) -> Option<Expr> {
        match Expr::compile(text) {
            Ok(expr) => Some(expr),
            Err(ExprError::Syntax { message, .. }) => {
                self.report(
                    text.position(),
                    Problem::Expression { what, message },
                    Some(
                        "expressions look like `segment == \"pro\" and commandes >= 2` or \
                         `recommandation <= 6`"
                            .to_owned(),
                    ),
                );
                None
            }
            Err(other) => {
                self.report(text.position(), format!("invalid {what}: {other}"), None);
                None
            }
        }
    }
}

//! Surveys and their questions: references, texts, scales, options and `show_if`.

use std::collections::BTreeSet;

use super::Checker;
use crate::program::diagnostic::did_you_mean;
use crate::program::model::{ChannelType, ProgramFile, Question, QuestionType};

impl Checker<'_> {
    pub(super) fn surveys(&mut self, program: &ProgramFile) {
        let locales = &program.program.locales;
        self.unique("survey", program.surveys.iter().map(|s| &s.id));
        let touchpoints: BTreeSet<&str> =
            program.touchpoints.iter().map(|t| t.id.as_str()).collect();
        let samples: BTreeSet<&str> = program.samples.iter().map(|s| s.id.as_str()).collect();
        let channels: BTreeSet<&str> = program.channels.iter().map(|c| c.id.as_str()).collect();
        for survey in &program.surveys {
            self.reference("touchpoint", &survey.touchpoint, &touchpoints);
            if let Some(sample) = &survey.sample {
                self.reference("sample", sample, &samples);
            }
            if survey.channels.is_empty() {
                self.report(
                    survey.channels.position(),
                    format!("survey `{}` has no channel", *survey.id),
                    Some("list at least one channel id, e.g. `channels: [email]`".to_owned()),
                );
            }
            for channel in survey.channels.iter() {
                self.reference("channel", channel, &channels);
            }
            self.localized(
                &format!("survey `{}` title", *survey.id),
                &survey.title,
                locales,
            );
            if let Some(intro) = &survey.intro {
                self.localized(&format!("survey `{}` intro", *survey.id), intro, locales);
            }
            if survey.questions.is_empty() {
                self.report(
                    survey.id.position(),
                    format!("survey `{}` has no question", *survey.id),
                    None,
                );
            }
            self.unique("question", survey.questions.iter().map(|q| &q.id));
            let audit = survey.channels.iter().any(|c| {
                program
                    .channels
                    .iter()
                    .any(|d| *d.id == **c && *d.kind == ChannelType::Audit)
            });
            for question in &survey.questions {
                if *question.kind == QuestionType::Check && !audit {
                    self.report(
                        question.kind.position(),
                        format!(
                            "check question `{}` is in survey `{}`, which has no audit channel",
                            *question.id, *survey.id
                        ),
                        Some(
                            "checklist items belong to mystery-shopper surveys: add a channel \
                             of `type: audit` to the survey's `channels`, or use `yes_no`"
                                .to_owned(),
                        ),
                    );
                }
            }
            let all: Vec<&str> = survey.questions.iter().map(|q| q.id.as_str()).collect();
            for (index, question) in survey.questions.iter().enumerate() {
                self.question(question, &all[..index], &all[index + 1..], locales);
            }
        }
    }

    pub(super) fn question(
        &mut self,
        question: &Question,
        earlier: &[&str],
        later: &[&str],
        locales: &[String],
    ) {
        let id = question.id.as_str();
        let kind = *question.kind;
        self.localized(&format!("question `{id}` text"), &question.text, locales);
        match (&question.scale, kind) {
            (None, QuestionType::Csat) => self.report(
                question.kind.position(),
                format!("csat question `{id}` has no `scale`"),
                Some("add `scale:` with one of stars5, smileys3, smileys5, score10, yes_no, green_red".into()),
            ),
            (Some(scale), other) if other != QuestionType::Csat => self.report(
                scale.position(),
                format!("`scale` only applies to csat questions, and `{id}` is {}", type_name(other)),
                None,
            ),
            _ => {}
        }
        if let Some(kpi) = &question.kpi
            && kind != QuestionType::YesNo
        {
            self.report(
                kpi.position(),
                format!(
                    "`kpi` only applies to yes_no questions, and `{id}` is {}",
                    type_name(kind)
                ),
                None,
            );
        }
        let choices = matches!(kind, QuestionType::Single | QuestionType::Multi);
        match &question.options {
            None if choices => self.report(
                question.kind.position(),
                format!("choice question `{id}` has no `options`"),
                Some("add `options:` with an `id` and a `label` per locale for each choice".into()),
            ),
            Some(options) if !choices => self.report(
                options.position(),
                format!(
                    "`options` only apply to single and multi questions, and `{id}` is {}",
                    type_name(kind)
                ),
                None,
            ),
            Some(options) => {
                if options.len() < 2 {
                    self.report(
                        options.position(),
                        format!("choice question `{id}` needs at least two options"),
                        None,
                    );
                }
                self.unique("option", options.iter().map(|o| &o.id));
                for option in options.iter() {
                    self.localized(
                        &format!("option `{}` of `{id}`", *option.id),
                        &option.label,
                        locales,
                    );
                }
            }
            None => {}
        }
        if let Some(max) = &question.max_length {
            if kind != QuestionType::Text {
                self.report(
                    max.position(),
                    format!(
                        "`max_length` only applies to text questions, and `{id}` is {}",
                        type_name(kind)
                    ),
                    None,
                );
            } else if **max == 0 || **max > 20_000 {
                self.report(
                    max.position(),
                    format!("max_length {} is out of range", **max),
                    Some("use 1 to 20000 characters".to_owned()),
                );
            }
        }
        if let Some(weight) = &question.weight {
            if kind != QuestionType::Check {
                self.report(
                    weight.position(),
                    format!(
                        "`weight` only applies to check questions, and `{id}` is {}",
                        type_name(kind)
                    ),
                    None,
                );
            } else if !(**weight > 0.0 && weight.is_finite()) {
                self.report(
                    weight.position(),
                    format!("weight {} of `{id}` is not a positive number", **weight),
                    Some(
                        "give a number above 0, e.g. `weight: 2` for an item that counts \
                         twice; leave an item out of the checklist rather than weigh it 0"
                            .to_owned(),
                    ),
                );
            }
        }
        if let Some(condition) = &question.show_if
            && let Some(expr) = self.expression("show_if", condition)
        {
            for name in expr.variables() {
                if earlier.contains(&name.as_str()) {
                    continue;
                }
                if name == id {
                    self.report(
                        condition.position(),
                        format!("`show_if` of `{id}` refers to the question itself"),
                        Some("a condition can only use answers to earlier questions".into()),
                    );
                } else if later.contains(&name.as_str()) {
                    self.report(
                        condition.position(),
                        format!("`show_if` of `{id}` refers to `{name}`, which comes later"),
                        Some(
                            "a condition can only use answers to earlier questions; move it up"
                                .into(),
                        ),
                    );
                } else {
                    let hint = match did_you_mean(name, earlier.iter().copied()) {
                        Some(close) => format!("did you mean `{close}`?"),
                        None => "a condition can only use answers to earlier questions of the same survey".into(),
                    };
                    self.report(
                        condition.position(),
                        format!("`show_if` of `{id}` refers to unknown question `{name}`"),
                        Some(hint),
                    );
                }
            }
        }
    }
}

fn type_name(kind: QuestionType) -> &'static str {
    match kind {
        QuestionType::Nps => "an nps question",
        QuestionType::Csat => "a csat question",
        QuestionType::Ces => "a ces question",
        QuestionType::YesNo => "a yes_no question",
        QuestionType::Single => "a single-choice question",
        QuestionType::Multi => "a multi-choice question",
        QuestionType::Text => "a text question",
        QuestionType::Check => "a check question",
    }
}

//! Channels: email templates that render, reminders, rate limits and send windows, and the
//! email-only keys on other channels.

use std::collections::BTreeSet;

use super::{CheckContext, Checker, Problem};
use crate::program::diagnostic::Diagnostic;
use crate::program::model::{ChannelType, ProgramFile, SendWindow};
use crate::program::resolved::{ResolvedChannel, SendHours};
use crate::program::spanned::{At, Position};
use crate::templates::TemplateError;

impl Checker<'_> {
    pub(super) fn channels(&mut self, program: &ProgramFile, context: &CheckContext) {
        self.unique("channel", program.channels.iter().map(|c| &c.id));
        let names = context.templates.email_names();
        let templates: BTreeSet<&str> = names.iter().map(String::as_str).collect();
        for channel in &program.channels {
            let email = *channel.kind == ChannelType::Email;
            if email {
                match &channel.template {
                    Some(template) => {
                        if self.reference("email template", template, &templates) {
                            self.template_renders(template, &program.program.locales, context);
                        }
                    }
                    None => self.report(
                        channel.id.position(),
                        format!("email channel `{}` has no `template`", *channel.id),
                        Some("add `template: invitation` (shipped in fr and en)".to_owned()),
                    ),
                }
                if let Some(template) = &channel.reminder_template
                    && self.reference("email template", template, &templates)
                {
                    self.template_renders(template, &program.program.locales, context);
                }
                let mut previous = 0;
                for day in &channel.reminder_days {
                    if **day == 0 || **day <= previous {
                        self.report(
                            day.position(),
                            "reminder days must be increasing and at least 1",
                            Some("e.g. `reminder_days: [4, 10]`: a reminder 4 then 10 days after the invitation".to_owned()),
                        );
                    }
                    previous = **day;
                }
                let mut resolved = ResolvedChannel::default();
                if let Some(rate) = &channel.rate_per_second {
                    if **rate > 0.0 && rate.is_finite() {
                        resolved.rate_per_second = Some(**rate);
                    } else {
                        self.report(
                            rate.position(),
                            "`rate_per_second` must be a positive number",
                            None,
                        );
                    }
                }
                if let Some(window) = &channel.send_window {
                    resolved.send_window = self.send_hours(window);
                }
                self.channels.insert(channel.id.to_string(), resolved);
            } else {
                self.channels
                    .insert(channel.id.to_string(), ResolvedChannel::default());
                let misplaced = [
                    channel
                        .template
                        .as_ref()
                        .map(|t| ("template", t.position())),
                    channel
                        .reminder_template
                        .as_ref()
                        .map(|t| ("reminder_template", t.position())),
                    channel
                        .reminder_days
                        .first()
                        .map(|d| ("reminder_days", d.position())),
                    channel
                        .send_window
                        .as_ref()
                        .map(|w| ("send_window", w.from.position())),
                    channel
                        .rate_per_second
                        .as_ref()
                        .map(|r| ("rate_per_second", r.position())),
                ];
                for (key, position) in misplaced.into_iter().flatten() {
                    self.report(
                        position,
                        Problem::EmailOnly { key },
                        Some(format!("channel `{}` is not an email channel", *channel.id)),
                    );
                }
            }
        }
    }

    pub(super) fn template_renders(
        &mut self,
        template: &At<String>,
        locales: &[String],
        context: &CheckContext,
    ) {
        for locale in locales {
            if let Err(problem) = context.templates.check_email(template, locale) {
                self.template_problem(template, &problem);
            }
        }
    }

    /// A template that does not render, shown in the template's own file and line when it
    /// has one, else at the program's `template:` line.
    pub(super) fn template_problem(&mut self, template: &At<String>, problem: &TemplateError) {
        let message = format!(
            "email template `{}` does not render: {}",
            **template, problem.message
        );
        let used_at = format!(
            "used by `template: {}` at {}:{}",
            **template,
            self.path.display(),
            template.position().line
        );
        match &problem.text {
            Some(source) if problem.line > 0 => {
                let position = Position {
                    line: problem.line,
                    column: problem.column,
                };
                let mut diagnostic = Diagnostic::at(&problem.file, source, position, message);
                diagnostic.hint = Some(match &problem.hint {
                    Some(hint) => format!("{hint} ({used_at})"),
                    None => used_at,
                });
                self.problems.push(diagnostic);
            }
            _ => self.report(
                template.position(),
                format!("{message} ({})", problem.template),
                problem.hint.clone(),
            ),
        }
    }

    pub(super) fn send_hours(&mut self, window: &SendWindow) -> Option<SendHours> {
        let from = self.clock_time(&window.from);
        let to = self.clock_time(&window.to);
        let (from, to) = (from?, to?);
        if from >= to {
            self.report(
                window.to.position(),
                format!(
                    "send window closes ({}) before it opens ({})",
                    *window.to, *window.from
                ),
                None,
            );
            return None;
        }
        Some(SendHours {
            days: window.days.iter().map(|day| (**day).into()).collect(),
            from,
            to,
        })
    }

    /// A local time written `HH:MM`, two digits each.
    pub(super) fn clock_time(&mut self, text: &At<String>) -> Option<jiff::civil::Time> {
        let two_digits = |part: &str| part.len() == 2 && part.bytes().all(|b| b.is_ascii_digit());
        let parsed = text
            .split_once(':')
            .filter(|(h, m)| two_digits(h) && two_digits(m))
            .and_then(|(h, m)| Some((h.parse::<i8>().ok()?, m.parse::<i8>().ok()?)))
            .and_then(|(h, m)| jiff::civil::Time::new(h, m, 0, 0).ok());
        if parsed.is_none() {
            self.report(
                text.position(),
                Problem::Invalid {
                    what: "time",
                    value: text.to_string(),
                },
                Some("write local times as `HH:MM`, e.g. `09:00`".to_owned()),
            );
        }
        parsed
    }
}

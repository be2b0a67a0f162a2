//! Every check a human could fail after the file parsed: identifiers, references, time
//! zones, cron, expressions, locales, scales, targets and the calendar. All problems are
//! collected, none stops the others.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use lettre::message::Mailbox;

use super::calendar::{Calendar, NamedWindow, inclusive_window};
use super::diagnostic::{Diagnostic, did_you_mean};
use super::model::*;
use super::resolved::{Resolved, ResolvedChannel, SendHours};
use super::spanned::{At, Position};
use crate::expr::{Expr, ExprError};
use crate::period::Period;

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
    checker.targets(program);
    checker.themes(program);
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

    fn report(&mut self, position: Position, message: impl Into<String>, hint: Option<String>) {
        let mut diagnostic = Diagnostic::at(self.path, self.source, position, message);
        diagnostic.hint = hint;
        self.problems.push(diagnostic);
    }

    fn header(&mut self, program: &ProgramFile) {
        let header = &program.program;
        self.identifier("program id", &header.id);
        self.zone = TimeZone::get(&header.timezone).ok();
        if self.zone.is_none() {
            let zones: Vec<String> = jiff::tz::db()
                .available()
                .map(|name| name.as_str().to_owned())
                .collect();
            let hint = match did_you_mean(&header.timezone, zones.iter().map(String::as_str)) {
                Some(zone) => format!("did you mean `{zone}`?"),
                None => "use an IANA time zone name such as `Europe/Paris` or `America/Montreal`"
                    .to_owned(),
            };
            self.report(
                header.timezone.position(),
                format!("unknown time zone `{}`", *header.timezone),
                Some(hint),
            );
        }
        if header.locales.is_empty() {
            self.report(
                header.locales.position(),
                "the program declares no locale",
                Some("list the languages of the program, e.g. `locales: [fr, en]`".to_owned()),
            );
        }
        let mut seen = BTreeSet::new();
        for locale in header.locales.iter() {
            if !seen.insert(locale.as_str()) {
                self.report(
                    header.locales.position(),
                    format!("locale `{locale}` is listed twice"),
                    None,
                );
            }
        }
        if !header.locales.contains(&header.default_locale) {
            self.report(
                header.default_locale.position(),
                format!(
                    "default locale `{}` is not in `locales`",
                    *header.default_locale
                ),
                Some(format!(
                    "add it to `locales` or choose one of: {}",
                    header.locales.join(", ")
                )),
            );
        }
        self.localized("title", &header.title, &header.locales);
        self.sender = self.mailbox("sender address", &header.sender.from);
        if let Some(reply_to) = &header.sender.reply_to {
            self.reply_to = self.mailbox("reply-to address", reply_to);
        }
    }

    /// The address as the mailer will use it; both our rule and the mailer's must accept it.
    fn mailbox(&mut self, what: &str, value: &At<String>) -> Option<Mailbox> {
        let address = match (value.rfind('<'), value.rfind('>')) {
            (Some(open), Some(close)) if open < close => &value[open + 1..close],
            _ => value.as_str(),
        };
        let valid = address.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        }) && !address.contains(char::is_whitespace)
            && !value.contains(['\r', '\n']);
        let parsed = value.parse::<Mailbox>().ok().filter(|_| valid);
        if parsed.is_none() {
            self.report(
                value.position(),
                format!("invalid {what} `{}`", **value),
                Some("write `Name <address@example.org>` or `address@example.org`".to_owned()),
            );
        }
        parsed
    }

    fn identifier(&mut self, what: &str, id: &At<String>) {
        let valid = !id.is_empty()
            && id.len() <= 64
            && id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
        if !valid {
            self.report(
                id.position(),
                format!("invalid {what} `{}`", **id),
                Some(
                    "identifiers use lower-case letters without accents, digits, `-` and `_` \
                     (at most 64)"
                        .to_owned(),
                ),
            );
        }
    }

    fn unique<'p>(&mut self, what: &str, ids: impl IntoIterator<Item = &'p At<String>>) {
        let mut seen: BTreeMap<&str, Position> = BTreeMap::new();
        for id in ids {
            self.identifier(what, id);
            if let Some(first) = seen.get(id.as_str()) {
                self.report(
                    id.position(),
                    format!("duplicate {what} `{}`", **id),
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

    fn reference(&mut self, what: &str, reference: &At<String>, known: &BTreeSet<&str>) -> bool {
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
            format!("unknown {what} `{}`", **reference),
            Some(hint),
        );
        false
    }

    fn localized(&mut self, what: &str, text: &At<Localized>, locales: &[String]) {
        for locale in locales {
            if text.get(locale).is_none_or(|value| value.trim().is_empty()) {
                self.report(
                    text.position(),
                    format!("{what} has no text in locale `{locale}`"),
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
                    format!("{what} has text in `{locale}`, which is not a declared locale"),
                    Some(hint),
                );
            }
        }
    }

    fn touchpoints(&mut self, program: &ProgramFile) {
        let locales = &program.program.locales;
        self.unique("touchpoint", program.touchpoints.iter().map(|t| &t.id));
        for touchpoint in &program.touchpoints {
            self.localized(
                &format!("touchpoint `{}` name", *touchpoint.id),
                &touchpoint.name,
                locales,
            );
            if !(1..=5).contains(&*touchpoint.intensity) {
                self.report(
                    touchpoint.intensity.position(),
                    format!(
                        "emotional intensity {} is out of range",
                        *touchpoint.intensity
                    ),
                    Some("use 1 (low) to 5 (high)".to_owned()),
                );
            }
        }
    }

    fn contacts(&mut self, program: &ProgramFile) {
        self.unique("contact source", program.contacts.iter().map(|c| &c.id));
        for source in &program.contacts {
            match (&source.csv, &source.store) {
                (Some(_), Some(_)) | (None, None) => self.report(
                    source.id.position(),
                    format!(
                        "contact source `{}` needs exactly one of `csv` or `store`",
                        *source.id
                    ),
                    Some(
                        "`csv: contacts/clients.csv` reads a file next to the program; \
                         `store: true` uses contacts imported with `ecoute contacts import`"
                            .to_owned(),
                    ),
                ),
                (Some(csv), None) => {
                    let base = self.path.parent().unwrap_or(Path::new("."));
                    if !base.join(csv.as_str()).is_file() {
                        self.report(
                            csv.position(),
                            format!("contact file `{}` does not exist", **csv),
                            Some(format!(
                                "paths are relative to the program file's folder `{}`",
                                base.display()
                            )),
                        );
                    }
                }
                (None, Some(store)) if !**store => self.report(
                    store.position(),
                    "`store: false` names no source",
                    Some("use `store: true`, or `csv: FILE`".to_owned()),
                ),
                (None, Some(_)) => {}
            }
        }
    }

    fn samples(&mut self, program: &ProgramFile) {
        self.unique("sample", program.samples.iter().map(|s| &s.id));
        let sources: BTreeSet<&str> = program.contacts.iter().map(|c| c.id.as_str()).collect();
        for sample in &program.samples {
            self.reference("contact source", &sample.contacts, &sources);
            match (&sample.size, &sample.rate) {
                (Some(size), Some(_)) => self.report(
                    size.position(),
                    format!("sample `{}` sets both `size` and `rate`", *sample.id),
                    Some("keep one: `size` draws a number, `rate` a share".to_owned()),
                ),
                (None, None) => self.report(
                    sample.id.position(),
                    format!("sample `{}` sets neither `size` nor `rate`", *sample.id),
                    Some("add `size: 400` or `rate: 0.1`".to_owned()),
                ),
                (Some(size), None) if **size == 0 => {
                    self.report(size.position(), "sample size must be at least 1", None)
                }
                (None, Some(rate)) if !(**rate > 0.0 && **rate <= 1.0) => self.report(
                    rate.position(),
                    format!("sample rate {} is out of range", **rate),
                    Some("a rate is a share between 0 (excluded) and 1, e.g. 0.15".to_owned()),
                ),
                _ => {}
            }
            if let Some(filter) = &sample.filter {
                self.expression("filter", filter);
            }
            let mut seen = BTreeSet::new();
            for stratum in &sample.strata {
                if !seen.insert(stratum.as_str()) {
                    self.report(
                        stratum.position(),
                        format!("stratum `{}` is listed twice", **stratum),
                        None,
                    );
                }
            }
            if let (Some(min), Some(size)) = (&sample.min_per_stratum, &sample.size) {
                if sample.strata.is_empty() {
                    self.report(
                        min.position(),
                        "`min_per_stratum` needs `strata`",
                        Some("add the attributes to stratify on, e.g. `strata: [region]`".into()),
                    );
                } else if **min > **size {
                    self.report(
                        min.position(),
                        format!(
                            "`min_per_stratum` ({}) is larger than the sample size ({})",
                            **min, **size
                        ),
                        None,
                    );
                }
            }
        }
    }

    fn expression(&mut self, what: &str, text: &At<String>) -> Option<Expr> {
        match Expr::compile(text) {
            Ok(expr) => Some(expr),
            Err(ExprError::Syntax { message, .. }) => {
                self.report(
                    text.position(),
                    format!("invalid {what} expression: {message}"),
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

    fn channels(&mut self, program: &ProgramFile, context: &CheckContext) {
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
                        format!("`{key}` only applies to email channels"),
                        Some(format!("channel `{}` is not an email channel", *channel.id)),
                    );
                }
            }
        }
    }

    fn template_renders(
        &mut self,
        template: &At<String>,
        locales: &[String],
        context: &CheckContext,
    ) {
        for locale in locales {
            if let Err(problem) = context.templates.check_email(template, locale) {
                self.report(
                    template.position(),
                    format!("email template `{}` does not render: {problem}", **template),
                    Some("fix the template in your templates folder; variables: contact, survey_title, survey_url, unsubscribe_url, sender_name, program_title".into()),
                );
            }
        }
    }

    fn send_hours(&mut self, window: &SendWindow) -> Option<SendHours> {
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
    fn clock_time(&mut self, text: &At<String>) -> Option<jiff::civil::Time> {
        let two_digits = |part: &str| part.len() == 2 && part.bytes().all(|b| b.is_ascii_digit());
        let parsed = text
            .split_once(':')
            .filter(|(h, m)| two_digits(h) && two_digits(m))
            .and_then(|(h, m)| Some((h.parse::<i8>().ok()?, m.parse::<i8>().ok()?)))
            .and_then(|(h, m)| jiff::civil::Time::new(h, m, 0, 0).ok());
        if parsed.is_none() {
            self.report(
                text.position(),
                format!("invalid time `{}`", **text),
                Some("write local times as `HH:MM`, e.g. `09:00`".to_owned()),
            );
        }
        parsed
    }

    fn surveys(&mut self, program: &ProgramFile) {
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
            let all: Vec<&str> = survey.questions.iter().map(|q| q.id.as_str()).collect();
            for (index, question) in survey.questions.iter().enumerate() {
                self.question(question, &all[..index], &all[index + 1..], locales);
            }
        }
    }

    fn question(
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

    fn periods(&mut self, program: &ProgramFile) {
        let periods = &program.periods;
        let cron = match periods.waves.parse::<croner::Cron>() {
            Ok(cron) => Some(cron),
            Err(err) => {
                self.report(
                    periods.waves.position(),
                    format!("invalid cron expression `{}`: {err}", *periods.waves),
                    Some(
                        "five fields: minute hour day-of-month month day-of-week, e.g. \
                         `0 10 * * 2` = every Tuesday at 10:00 (program time zone)"
                            .to_owned(),
                    ),
                );
                None
            }
        };
        let windows = self.windows(periods);
        let cadence = periods.cadence.as_deref().copied();
        match (
            &periods.cadence,
            windows.is_empty() && periods.windows.is_empty(),
        ) {
            (Some(cadence), false) => self.report(
                cadence.position(),
                "periods set both `cadence` and `windows`",
                Some("keep one: a regular `cadence` or explicit `windows`".into()),
            ),
            (None, true) => self.report(
                periods.waves.position(),
                "periods need a `cadence` (weekly, monthly, quarterly) or explicit `windows`",
                None,
            ),
            _ => {}
        }
        let (Some(cron), Some(zone)) = (cron, self.zone.clone()) else {
            return;
        };
        let calendar = Calendar::new(zone, cron, cadence, windows, *periods.close_after_days);
        self.reminders_before_close(program, &calendar);
        self.calendar = Some(calendar);
    }

    /// Parses explicit windows and reports overlaps and holes between consecutive ones.
    fn windows(&mut self, periods: &Periods) -> Vec<NamedWindow> {
        self.unique("period", periods.windows.iter().map(|w| &w.id));
        let mut parsed = Vec::new();
        for window in &periods.windows {
            let start = self.date(&window.start);
            let end = self.date(&window.end);
            if let (Some(start), Some(end)) = (start, end) {
                if end < start {
                    self.report(
                        window.end.position(),
                        format!("period `{}` ends before it starts", *window.id),
                        None,
                    );
                } else {
                    match inclusive_window(start, end) {
                        Ok(period) => parsed.push((period, window)),
                        Err(err) => self.report(
                            window.end.position(),
                            format!("period `{}`: {err}", *window.id),
                            None,
                        ),
                    }
                }
            }
        }
        parsed.sort_by_key(|(period, _)| period.first_day());
        for pair in parsed.windows(2) {
            let (previous_period, previous) = pair[0];
            let (period, window) = pair[1];
            let previous_end = previous_period.end_day();
            let start = period.first_day();
            if start < previous_end {
                let previous_last = previous_end.yesterday().unwrap_or(previous_end);
                self.report(
                    window.start.position(),
                    format!("period `{}` overlaps period `{}`", *window.id, *previous.id),
                    Some(format!(
                        "`{}` ends on {previous_last}; start the next one the day after",
                        *previous.id
                    )),
                );
            } else if previous_end < start {
                let previous_last = previous_end.yesterday().unwrap_or(previous_end);
                self.report(
                    window.start.position(),
                    format!(
                        "there is a hole between period `{}` (ends {previous_last}) and `{}` (starts {start})",
                        *previous.id, *window.id
                    ),
                    Some("answers in the gap would belong to no period; make the periods contiguous".into()),
                );
            }
        }
        parsed
            .into_iter()
            .map(|(period, window)| NamedWindow {
                id: window.id.to_string(),
                period,
            })
            .collect()
    }

    fn date(&mut self, text: &At<String>) -> Option<Date> {
        match text.parse::<Date>() {
            Ok(date) => Some(date),
            Err(_) => {
                self.report(
                    text.position(),
                    format!("invalid date `{}`", **text),
                    Some("write dates as `YYYY-MM-DD`".to_owned()),
                );
                None
            }
        }
    }

    /// A wave's last reminder must leave before its period closes, or it would invite people
    /// to a survey that no longer accepts answers.
    fn reminders_before_close(&mut self, program: &ProgramFile, calendar: &Calendar) {
        let close_after = *program.periods.close_after_days;
        let sample_periods: Vec<Period> = match calendar.cadence() {
            Some(Cadence::Weekly) => (1..=8)
                .filter_map(|week| Period::week(2027, week).ok())
                .collect(),
            Some(Cadence::Monthly) => (1..=12)
                .filter_map(|month| Period::month(2027, month).ok())
                .collect(),
            Some(Cadence::Quarterly) => (1..=4)
                .filter_map(|quarter| Period::quarter(2027, quarter).ok())
                .collect(),
            None => calendar.windows().iter().map(|w| w.period).collect(),
        };
        let zone = calendar.zone();
        for channel in &program.channels {
            let Some(last) = channel.reminder_days.iter().map(|d| **d).max() else {
                continue;
            };
            for period in &sample_periods {
                let (Ok(start), Ok(period_end), Ok(close)) = (
                    period.start(zone),
                    period.end(zone),
                    calendar.closes_at(period),
                ) else {
                    continue;
                };
                let start = start.to_zoned(zone.clone());
                let period_end = period_end.to_zoned(zone.clone());
                let mut latest_wave = None;
                for wave in calendar.cron().iter_from(start, croner::Direction::Forward) {
                    if wave >= period_end {
                        break;
                    }
                    latest_wave = Some(wave);
                }
                let Some(wave) = latest_wave else { continue };
                let Ok(reminder) = wave.checked_add(jiff::Span::new().days(i64::from(last))) else {
                    continue;
                };
                if reminder >= close {
                    self.report(
                        channel.reminder_days.last().map(|d| d.position()).unwrap_or(channel.id.position()),
                        format!(
                            "a reminder {last} days after the wave of {} would leave on {}, after the period closes on {}",
                            wave.date(),
                            reminder.date(),
                            close.date()
                        ),
                        Some(format!(
                            "shorten `reminder_days`, raise `periods.close_after_days` (now {close_after}), or dispatch waves earlier in the period"
                        )),
                    );
                    break;
                }
            }
        }
    }

    fn rules(&mut self, program: &ProgramFile) {
        if let Some(fatigue) = &program.rules.fatigue
            && *fatigue.min_days_between_contacts > 3660
        {
            self.report(
                fatigue.min_days_between_contacts.position(),
                "fatigue window longer than ten years",
                Some("`min_days_between_contacts` is in days, e.g. 90".into()),
            );
        }
        let surveys: BTreeMap<&str, &Survey> =
            program.surveys.iter().map(|s| (s.id.as_str(), s)).collect();
        let survey_ids: BTreeSet<&str> = surveys.keys().copied().collect();
        let channels: BTreeSet<&str> = program.channels.iter().map(|c| c.id.as_str()).collect();
        for trigger in &program.rules.triggers {
            self.identifier("event name", &trigger.event);
            let survey_known = self.reference("survey", &trigger.survey, &survey_ids);
            let channel_known = self.reference("channel", &trigger.channel, &channels);
            if survey_known
                && channel_known
                && let Some(survey) = surveys.get(trigger.survey.as_str())
                && !survey
                    .channels
                    .iter()
                    .any(|c| c.as_str() == trigger.channel.as_str())
            {
                self.report(
                    trigger.channel.position(),
                    format!(
                        "survey `{}` is not offered on channel `{}`",
                        *trigger.survey, *trigger.channel
                    ),
                    Some(format!(
                        "add `{}` to the survey's `channels`",
                        *trigger.channel
                    )),
                );
            }
        }
    }

    fn targets(&mut self, program: &ProgramFile) {
        let touchpoints: BTreeSet<&str> =
            program.touchpoints.iter().map(|t| t.id.as_str()).collect();
        let channel_kinds: BTreeMap<&str, ChannelType> = program
            .channels
            .iter()
            .map(|c| (c.id.as_str(), *c.kind))
            .collect();
        let surveys_placed = program
            .surveys
            .iter()
            .all(|survey| touchpoints.contains(survey.touchpoint.as_str()));
        for target in &program.targets {
            let scope = match &target.touchpoint {
                Some(touchpoint) => {
                    if !self.reference("touchpoint", touchpoint, &touchpoints) {
                        continue;
                    }
                    Some(touchpoint.as_str())
                }
                None => None,
            };
            let measured = program
                .surveys
                .iter()
                .filter(|survey| scope.is_none_or(|t| survey.touchpoint.as_str() == t))
                .any(|survey| match *target.kpi {
                    Kpi::ResponseRate => survey
                        .channels
                        .iter()
                        .any(|c| channel_kinds.get(c.as_str()) == Some(&ChannelType::Email)),
                    Kpi::Fcr => survey
                        .questions
                        .iter()
                        .any(|q| q.kpi.as_deref() == Some(&QuestionKpi::Fcr)),
                    kpi => survey.questions.iter().any(|q| q.kind.kpi() == Some(kpi)),
                });
            let kpi_name = kpi_name(*target.kpi);
            if !measured && surveys_placed {
                let place = scope
                    .map(|t| format!("touchpoint `{t}`"))
                    .unwrap_or_else(|| "this program".to_owned());
                self.report(
                    target.kpi.position(),
                    format!("target on {kpi_name}, but no survey of {place} measures it"),
                    Some(match *target.kpi {
                        Kpi::Fcr => {
                            "add a yes_no question with `kpi: fcr` to a survey of this touchpoint"
                                .into()
                        }
                        Kpi::ResponseRate => {
                            "response rate needs a survey sent by an email channel".into()
                        }
                        _ => format!(
                            "add a `{}` question to a survey of this touchpoint",
                            kpi_name.to_lowercase()
                        ),
                    }),
                );
            }
            let (low, high) = match *target.kpi {
                Kpi::Nps => (-100.0, 100.0),
                Kpi::Ces => (1.0, 7.0),
                _ => (0.0, 100.0),
            };
            if !(low..=high).contains(&*target.at_least) {
                self.report(
                    target.at_least.position(),
                    format!("{kpi_name} target {} is outside {low}…{high}", *target.at_least),
                    Some("NPS is in points (−100…100), CSAT, FCR and response rate in percent, CES on 1…7".into()),
                );
            }
        }
    }

    fn themes(&mut self, program: &ProgramFile) {
        for (theme, keywords) in &program.themes {
            if keywords.iter().all(|k| k.trim().is_empty()) {
                self.report(
                    keywords.position(),
                    format!("theme `{theme}` has no keyword"),
                    Some(
                        "list words that signal the theme, e.g. `[délai, retard, attente]`".into(),
                    ),
                );
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
    }
}

fn kpi_name(kpi: Kpi) -> &'static str {
    match kpi {
        Kpi::Nps => "NPS",
        Kpi::Csat => "CSAT",
        Kpi::Ces => "CES",
        Kpi::Fcr => "FCR",
        Kpi::ResponseRate => "response rate",
    }
}

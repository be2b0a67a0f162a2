//! The `program` header: identifier, time zone, locales, title and sender.

use std::collections::BTreeSet;

use jiff::tz::TimeZone;
use lettre::message::Mailbox;

use super::{Checker, Problem};
use crate::program::diagnostic::did_you_mean;
use crate::program::model::ProgramFile;
use crate::program::spanned::At;

impl Checker<'_> {
    pub(super) fn header(&mut self, program: &ProgramFile) {
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
                Problem::Unknown {
                    what: "time zone",
                    name: header.timezone.to_string(),
                },
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
                    Problem::ListedTwice {
                        what: "locale",
                        value: locale.clone(),
                    },
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
    pub(super) fn mailbox(&mut self, what: &'static str, value: &At<String>) -> Option<Mailbox> {
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
                Problem::Invalid {
                    what,
                    value: value.to_string(),
                },
                Some("write `Name <address@example.org>` or `address@example.org`".to_owned()),
            );
        }
        parsed
    }
}

//! Turns one invitation or reminder into the bytes of an email: personalised from the
//! templates, with a stable `Message-ID` and the one-click unsubscribe headers of RFC 8058.

use jiff::Timestamp;
use lettre::Message;
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};

use super::policy::header_safe;
use crate::cases::Case;
use crate::cases::{DEFAULT_ALERT_TEMPLATE, shown_answers};
use crate::dispatch::outbox::Claimed;
use crate::program::Program;
use crate::program::model::LocalizedText;
use crate::records::StoredResponse;
use crate::templates::Templates;
use crate::token::LinkSecret;

/// What every email of a run is written with: the program, its templates and sender, and
/// where the personal links point.
pub struct Stationery<'a> {
    /// The program being sent.
    pub program: &'a Program,
    /// Email templates.
    pub templates: &'a Templates,
    /// Key of the personal links.
    pub secret: &'a LinkSecret,
    /// Base of the links (`https://avis.example.org`).
    pub public_url: &'a str,
    /// The program's sender.
    pub sender: &'a Mailbox,
    /// Where replies go, if not to the sender.
    pub reply_to: Option<&'a Mailbox>,
}

/// Why one message could not be rendered; it fails, the others go on.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// The wave's survey left the program.
    #[error("survey `{0}` is no longer in the program")]
    SurveyGone(String),
    /// A template is missing or failed.
    #[error("template {name}: {source}")]
    Template {
        /// The template's path.
        name: String,
        /// What minijinja said.
        source: minijinja::Error,
    },
    /// The email could not be assembled.
    #[error(transparent)]
    Compose(#[from] ComposeError),
}

impl Stationery<'_> {
    /// Renders message `item` of survey `survey_id` with email template `template`, in the
    /// contact's locale when the program has it, else the program's default locale.
    /// `closes_at` is when the wave's period stops taking answers.
    pub fn render(
        &self,
        item: &Claimed,
        survey_id: &str,
        template: &str,
        closes_at: Timestamp,
    ) -> Result<Outgoing, RenderError> {
        let file = &self.program.file;
        let default_locale = &*file.program.default_locale;
        let locale = item
            .locale
            .as_deref()
            .filter(|l| file.program.locales.iter().any(|known| known == l))
            .unwrap_or(default_locale);
        let survey = file
            .surveys
            .iter()
            .find(|s| *s.id == survey_id)
            .ok_or_else(|| RenderError::SurveyGone(survey_id.to_owned()))?;
        let program_title = file.program.title.pick(locale, default_locale).to_owned();
        let touchpoint_name = file
            .touchpoints
            .iter()
            .find(|t| *t.id == *survey.touchpoint)
            .map(|t| t.name.pick(locale, default_locale).to_owned());
        let zone = self.program.calendar().zone();
        let event_date = item
            .contact_data
            .get(EVENT_TIME_KEY)
            .and_then(|v| v.as_str())
            .and_then(|text| text.parse::<Timestamp>().ok())
            .map(|at| long_date(at.to_zoned(zone.clone()).date(), locale));
        // The period closes at an instant (often midnight); the last day to answer is the
        // day before it.
        let last_moment = closes_at
            .checked_sub(jiff::SignedDuration::from_secs(1))
            .unwrap_or(closes_at);
        let closes_on = long_date(last_moment.to_zoned(zone.clone()).date(), locale);
        let token = self.secret.invitation_token(item.invitation_id);
        let base = self.public_url.trim_end_matches('/');
        let survey_url = format!("{base}/s/{}", token.as_str());
        let unsubscribe_url = format!("{base}/u/{}", token.as_str());
        let data = &item.contact_data;
        let text_of = |key: &str| data.get(key).and_then(|v| v.as_str()).map(str::to_owned);
        let first_name = text_of("first_name");
        let last_name = text_of("last_name");
        let sender_name = self
            .sender
            .name
            .clone()
            .unwrap_or_else(|| program_title.clone());
        let context = minijinja::context! {
            contact => minijinja::context! {
                email => item.email.clone(),
                first_name => first_name.clone(),
                last_name => last_name.clone(),
                locale => locale,
                attributes => minijinja::Value::from(minijinja::value::Serde(data)),
            },
            survey_title => survey.title.pick(locale, default_locale).to_owned(),
            touchpoint_name => touchpoint_name,
            question_count => survey.questions.len(),
            event_date => event_date,
            closes_on => closes_on,
            // Built by us from the configured base and a URL-safe token: safe in HTML as is.
            survey_url => minijinja::Value::from_safe_string(survey_url),
            unsubscribe_url => minijinja::Value::from_safe_string(unsubscribe_url.clone()),
            sender_name => sender_name,
            program_title => program_title,
        };
        let part = |suffix: &str| {
            let name = format!("email/{template}.{locale}.{suffix}");
            self.templates
                .render(&name, context.clone())
                .map_err(|source| RenderError::Template { name, source })
        };
        let subject = part("subject.txt")?;
        let text = part("txt")?;
        let html = part("html")?;
        let domain = self.sender.email.domain();
        Ok(compose(&Letter {
            from: self.sender,
            reply_to: self.reply_to,
            to_email: &item.email,
            to_name: display_name(first_name, last_name),
            subject: subject.trim(),
            text,
            html,
            message_id: format!(
                "ecoute.{}.{}.{}@{domain}",
                item.invitation_id,
                item.message,
                self.program.id()
            ),
            unsubscribe_url: &unsubscribe_url,
            unsubscribe_mailto: format!(
                "mailto:{}?subject=unsubscribe%20{}",
                self.sender.email,
                token.as_str()
            ),
        })?)
    }
}

impl Stationery<'_> {
    /// Renders the alert email `item` about `case` (opened by `response`) with the alert
    /// template its row names, in the program's default locale: the answers, the verbatims,
    /// the respondent unless anonymous, the promised delay and the recipient's personal link
    /// to the case page (`/c/{token}`, the token of the alert row, as survey links are).
    pub fn render_alert(
        &self,
        item: &Claimed,
        case: &Case,
        response: &StoredResponse,
    ) -> Result<Outgoing, RenderError> {
        let file = &self.program.file;
        let locale = &*file.program.default_locale;
        let survey = file
            .surveys
            .iter()
            .find(|s| *s.id == case.survey_id)
            .ok_or_else(|| RenderError::SurveyGone(case.survey_id.clone()))?;
        let template = item
            .contact_data
            .get("template")
            .and_then(|v| v.as_str())
            .unwrap_or(DEFAULT_ALERT_TEMPLATE);
        let (answers, verbatims) = shown_answers(survey, &response.answers, locale, locale);
        let verbatims: Vec<_> = verbatims
            .into_iter()
            .map(|v| minijinja::context! { question => v.question, text => v.value })
            .collect();
        let program_title = file.program.title.pick(locale, locale).to_owned();
        let zone = self.program.calendar().zone();
        let due = case.due_at.to_zoned(zone.clone());
        let due_text = if locale.starts_with("fr") {
            format!(
                "{} à {}",
                long_date(due.date(), locale),
                due.strftime("%H:%M")
            )
        } else {
            format!(
                "{} at {}",
                long_date(due.date(), locale),
                due.strftime("%H:%M")
            )
        };
        let hours = case.opened_at.duration_until(case.due_at).as_hours();
        let respondent =
            (case.respondent_email.is_some() || case.respondent_name.is_some()).then(|| {
                minijinja::context! {
                    name => case.respondent_name.clone().unwrap_or_default(),
                    email => case.respondent_email.clone(),
                }
            });
        let token = self.secret.invitation_token(item.invitation_id);
        let case_url = format!(
            "{}/c/{}",
            self.public_url.trim_end_matches('/'),
            token.as_str()
        );
        let context = minijinja::context! {
            rule => case.rule_id.clone(),
            survey_title => survey.title.pick(locale, locale).to_owned(),
            touchpoint_name => file.touchpoints.iter().find(|t| *t.id == *survey.touchpoint)
                .map(|t| t.name.pick(locale, locale).to_owned()),
            program_title => program_title.clone(),
            sender_name => self.sender.name.clone().unwrap_or(program_title),
            respond_within_hours => hours,
            due => due_text,
            respondent => respondent,
            answers => minijinja::Value::from(minijinja::value::Serde(answers)),
            verbatims => verbatims,
            case_url => minijinja::Value::from_safe_string(case_url),
        };
        let part = |suffix: &str| {
            let name = format!("email/{template}.{locale}.{suffix}");
            self.templates
                .render(&name, context.clone())
                .map_err(|source| RenderError::Template { name, source })
        };
        let subject = part("subject.txt")?;
        Ok(compose(&Letter {
            from: self.sender,
            reply_to: self.reply_to,
            to_email: &item.email,
            to_name: None,
            subject: subject.trim(),
            text: part("txt")?,
            html: part("html")?,
            message_id: format!(
                "ecoute.{}.alert.{}@{}",
                item.invitation_id,
                self.program.id(),
                self.sender.email.domain()
            ),
            unsubscribe_url: "",
            unsubscribe_mailto: String::new(),
        })?)
    }
}

/// The contact-data key under which a trigger keeps the time of its event (RFC 3339), so
/// the email can name the day of the experience.
pub const EVENT_TIME_KEY: &str = "occurred_at";

/// A date as a French or English reader writes it: "4 décembre 2026", "4 December 2026".
pub fn long_date(date: jiff::civil::Date, locale: &str) -> String {
    const FR: [&str; 12] = [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ];
    let month = usize::try_from(date.month() - 1).unwrap_or(0);
    if locale.starts_with("fr") {
        let day = if date.day() == 1 {
            "1er".to_owned()
        } else {
            date.day().to_string()
        };
        format!("{day} {} {}", FR.get(month).unwrap_or(&""), date.year())
    } else {
        date.strftime("%-d %B %Y").to_string()
    }
}

/// Whether `url` is an https link, the only kind RFC 8058 allows as a one-click target.
pub fn is_https(url: &str) -> bool {
    url.get(..8)
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("https://"))
}

/// The recipient's display name from their first and last names, whichever they have.
fn display_name(first_name: Option<String>, last_name: Option<String>) -> Option<String> {
    match (first_name, last_name) {
        (Some(first), Some(last)) => Some(format!("{first} {last}")),
        (Some(name), None) | (None, Some(name)) => Some(name),
        (None, None) => None,
    }
}

/// What one email says and to whom; every field already rendered.
#[derive(Debug, Clone)]
pub struct Letter<'a> {
    /// The program's sender.
    pub from: &'a Mailbox,
    /// Where replies go, if not to the sender.
    pub reply_to: Option<&'a Mailbox>,
    /// Recipient address.
    pub to_email: &'a str,
    /// Recipient display name, from contact data (cleaned of line breaks here).
    pub to_name: Option<String>,
    /// Rendered subject (cleaned of line breaks here).
    pub subject: &'a str,
    /// Plain-text alternative.
    pub text: String,
    /// HTML body.
    pub html: String,
    /// The same for every attempt of the same message, so a receiving server or the file
    /// outbox can recognise a repeat.
    pub message_id: String,
    /// The https unsubscribe link (also the RFC 8058 one-click target); empty for alerts,
    /// which go to the program's own staff, so they carry no unsubscribe headers.
    pub unsubscribe_url: &'a str,
    /// The `mailto:` alternative for List-Unsubscribe.
    pub unsubscribe_mailto: String,
}

/// Why an email could not be built; the message fails, the others go on.
#[derive(Debug, thiserror::Error)]
pub enum ComposeError {
    /// The recipient is not a valid address.
    #[error("invalid recipient address `{address}`: {reason}")]
    Recipient {
        /// The address as stored.
        address: String,
        /// What the parser said.
        reason: String,
    },
    /// lettre refused the message.
    #[error("cannot build the email: {0}")]
    Build(String),
}

/// An email ready for any transport.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// Its `Message-ID` without angle brackets.
    pub message_id: String,
    /// The envelope sender.
    pub from: String,
    /// The envelope recipient.
    pub to: String,
    /// RFC 5322 bytes, CRLF line endings.
    pub bytes: Vec<u8>,
}

/// Builds the email. Text from contact data never reaches a header unescaped: names and
/// subjects lose their control characters, and lettre encodes non-ASCII (RFC 2047).
pub fn compose(letter: &Letter<'_>) -> Result<Outgoing, ComposeError> {
    let address = letter
        .to_email
        .parse()
        .map_err(
            |err: lettre::address::AddressError| ComposeError::Recipient {
                address: letter.to_email.to_owned(),
                reason: err.to_string(),
            },
        )?;
    let name = letter
        .to_name
        .as_deref()
        .map(header_safe)
        .filter(|n| !n.is_empty());
    let to = Mailbox::new(name, address);
    let mut builder = Message::builder()
        .from(letter.from.clone())
        .to(to.clone())
        .subject(header_safe(letter.subject))
        .message_id(Some(format!("<{}>", letter.message_id)))
        .raw_header(HeaderValue::new(
            HeaderName::new_from_ascii_str("Auto-Submitted"),
            "auto-generated".to_owned(),
        ));
    if !letter.unsubscribe_url.is_empty() {
        builder = builder.raw_header(HeaderValue::new(
            HeaderName::new_from_ascii_str("List-Unsubscribe"),
            format!(
                "<{}>, <{}>",
                letter.unsubscribe_url, letter.unsubscribe_mailto
            ),
        ));
    }
    // RFC 8058 one-click unsubscribe requires an https target.
    if is_https(letter.unsubscribe_url) {
        builder = builder.raw_header(HeaderValue::new(
            HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
            "List-Unsubscribe=One-Click".to_owned(),
        ));
    }
    if let Some(reply_to) = letter.reply_to {
        builder = builder.reply_to(reply_to.clone());
    }
    let message = builder
        .multipart(MultiPart::alternative_plain_html(
            letter.text.clone(),
            letter.html.clone(),
        ))
        .map_err(|err| ComposeError::Build(err.to_string()))?;
    Ok(Outgoing {
        message_id: letter.message_id.clone(),
        from: letter.from.email.to_string(),
        to: to.email.to_string(),
        bytes: fold_head(&message.formatted()),
    })
}

/// Longest header line RFC 5322 recommends (the hard limit is 998).
const FOLD_AT: usize = 78;

/// Folds every header line longer than [`FOLD_AT`] characters at its last whitespace that
/// fits (lettre folds only the words it encodes, not addresses or raw headers). A single
/// token longer than the limit (a long URL) stays whole, as RFC 5322 allows.
fn fold_head(bytes: &[u8]) -> Vec<u8> {
    let split = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(bytes.len());
    let (head, body) = bytes.split_at(split);
    let mut out = Vec::with_capacity(bytes.len() + 16);
    for (index, line) in head.split(|b| *b == b'\n').enumerate() {
        if index > 0 {
            out.push(b'\n');
        }
        let mut rest = line.strip_suffix(b"\r").unwrap_or(line);
        let mut floor = value_start(rest);
        while rest.len() > FOLD_AT {
            let is_space = |b: &u8| *b == b' ' || *b == b'\t';
            let cut = rest
                .get(floor..=FOLD_AT)
                .and_then(|window| window.iter().rposition(is_space))
                .map(|at| at + floor)
                .or_else(|| {
                    let from = floor.max(FOLD_AT + 1);
                    rest.get(from..)
                        .and_then(|tail| tail.iter().position(is_space))
                        .map(|at| at + from)
                });
            let Some(cut) = cut else { break };
            out.extend_from_slice(&rest[..cut]);
            out.extend_from_slice(b"\r\n");
            rest = &rest[cut..];
            floor = 1;
        }
        out.extend_from_slice(rest);
        if line.ends_with(b"\r") {
            out.push(b'\r');
        }
    }
    out.extend_from_slice(body);
    out
}

/// Where a header line may first be broken: never before the first character of its value
/// (a break right after `Name:` leaves parsers a value that starts with a space), and never
/// at the leading space of a continuation line.
fn value_start(line: &[u8]) -> usize {
    if line.first().is_some_and(|b| *b == b' ' || *b == b'\t') {
        return 1;
    }
    let Some(colon) = line.iter().position(|b| *b == b':') else {
        return 1;
    };
    let spaces = line[colon + 1..]
        .iter()
        .take_while(|b| **b == b' ' || **b == b'\t')
        .count();
    colon + 1 + spaces + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn letter<'a>(from: &'a Mailbox, to: &'a str, name: &str, subject: &'a str) -> Letter<'a> {
        Letter {
            from,
            reply_to: None,
            to_email: to,
            to_name: Some(name.to_owned()),
            subject,
            text: "Répondre : https://ecoute.example.org/s/TOKEN".into(),
            html: "<a href=\"https://ecoute.example.org/s/TOKEN\">Donner mon avis</a>".into(),
            message_id: "ecoute.p.1.0@example.org".into(),
            unsubscribe_url: "https://ecoute.example.org/u/TOKEN",
            unsubscribe_mailto: "mailto:avis@example.org?subject=unsubscribe%20TOKEN".into(),
        }
    }

    fn headers(bytes: &[u8]) -> Vec<String> {
        // Unfold continuation lines so each header is one string.
        let text = String::from_utf8_lossy(bytes);
        let head = text.split("\r\n\r\n").next().unwrap_or_default();
        head.replace("\r\n ", " ")
            .split("\r\n")
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn the_email_carries_its_id_and_one_click_unsubscribe() {
        let from: Mailbox = "Service clients <avis@example.org>"
            .parse()
            .expect("mailbox");
        let out = compose(&letter(
            &from,
            "camille@example.org",
            "Camille",
            "Votre avis",
        ))
        .expect("compose");
        let head = headers(&out.bytes);
        assert!(
            head.contains(&"Message-ID: <ecoute.p.1.0@example.org>".to_owned()),
            "{head:?}"
        );
        assert!(head.contains(&"List-Unsubscribe-Post: List-Unsubscribe=One-Click".to_owned()));
        assert!(head.iter().any(|h| {
            h.starts_with("List-Unsubscribe: <https://ecoute.example.org/u/TOKEN>, <mailto:")
        }));
        assert_eq!(out.to, "camille@example.org");
        assert_eq!(out.from, "avis@example.org");
    }

    #[test]
    fn one_click_unsubscribe_only_with_an_https_link() {
        let from: Mailbox = "avis@example.org".parse().expect("mailbox");
        let mut plain = letter(&from, "camille@example.org", "Camille", "Votre avis");
        plain.unsubscribe_url = "http://127.0.0.1:8080/u/TOKEN";
        let head = headers(&compose(&plain).expect("compose").bytes);
        assert!(
            !head.iter().any(|h| h.starts_with("List-Unsubscribe-Post")),
            "{head:?}"
        );
        assert!(
            head.iter()
                .any(|h| h.starts_with("List-Unsubscribe: <http://127.0.0.1:8080/u/TOKEN>")),
            "{head:?}"
        );
    }

    #[test]
    fn long_header_lines_are_folded_at_78_characters() {
        let from: Mailbox =
            "Maison Dupont — Service relation clientèle et qualité <ecoute-satisfaction@service-clients.maison-dupont.fr>"
                .parse()
                .expect("mailbox");
        let mut long = letter(&from, "camille@example.org", "Camille", "Votre avis");
        // A real token is 43 characters (HMAC-SHA256, base64url).
        let token = "T".repeat(43);
        let url = format!("https://avis.maison-dupont.fr/u/{token}");
        long.unsubscribe_url = &url;
        long.unsubscribe_mailto =
            format!("mailto:ecoute@maison-dupont.fr?subject=unsubscribe%20{token}");
        let bytes = compose(&long).expect("compose").bytes;
        let text = String::from_utf8_lossy(&bytes);
        let head = text.split("\r\n\r\n").next().unwrap_or_default();
        for line in head.split("\r\n") {
            // Only a single token longer than the limit (after the header's name) may stay
            // whole.
            let value = line.split_once(": ").map_or(line, |(_, value)| value);
            let unbreakable = !value.trim_start().contains([' ', '\t']);
            assert!(
                line.len() <= 78 || unbreakable,
                "{} characters: {line}",
                line.len()
            );
        }
        assert!(
            head.contains("\r\n <mailto:ecoute@maison-dupont.fr"),
            "{head}"
        );
        assert!(
            head.contains("\r\n <ecoute-satisfaction@service-clients.maison-dupont.fr>"),
            "{head}"
        );
        // Unfolded, the headers still carry the whole values.
        let unfolded = headers(&bytes);
        let unsubscribe = unfolded
            .iter()
            .find(|h| h.starts_with("List-Unsubscribe:"))
            .expect("List-Unsubscribe");
        assert!(unsubscribe.replace(' ', "").contains(&url), "{unsubscribe}");
        // No header is broken before its value starts: a parser would keep a leading space.
        for line in head.split("\r\n") {
            assert!(
                !line.trim_end().ends_with(':'),
                "a header line with its name alone: {head}"
            );
        }
    }

    /// WCAG 2 relative luminance of `#rrggbb`.
    fn luminance(hex: &str) -> f64 {
        let channel = |at: usize| {
            let value = f64::from(u8::from_str_radix(&hex[at..at + 2], 16).expect("hex")) / 255.0;
            if value <= 0.03928 {
                value / 12.92
            } else {
                ((value + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5)
    }

    fn contrast(a: &str, b: &str) -> f64 {
        let (x, y) = (luminance(a), luminance(b));
        (x.max(y) + 0.05) / (x.min(y) + 0.05)
    }

    /// The value of CSS property `property` in the first `style` after `marker`.
    fn style_after<'t>(html: &'t str, marker: &str, property: &str) -> &'t str {
        let from = html.find(marker).expect("marker") + marker.len();
        let rest = &html[from..];
        let at = rest.find(&format!("{property}:")).expect("property") + property.len() + 1;
        &rest[at..at + 7]
    }

    #[test]
    fn the_wcag_formula_matches_known_ratios() {
        assert!((contrast("#000000", "#ffffff") - 21.0).abs() < 1e-9);
        // The issue's measure of the old unsubscribe link: 4.39:1.
        assert!((contrast("#6b7280", "#f4f4f5") - 4.39).abs() < 0.01);
    }

    #[test]
    fn the_unsubscribe_link_reaches_wcag_aa_contrast() {
        let templates = [
            include_str!("../../templates/email/invitation.fr.html"),
            include_str!("../../templates/email/invitation.en.html"),
            include_str!("../../templates/email/reminder.fr.html"),
            include_str!("../../templates/email/reminder.en.html"),
        ];
        for html in templates {
            let background = style_after(html, "<body", "background");
            let link = style_after(html, "href=\"{{ unsubscribe_url }}\"", "color");
            let ratio = contrast(link, background);
            assert!(ratio >= 4.5, "{link} on {background}: {ratio:.2}:1");
        }
    }

    #[test]
    fn line_breaks_in_contact_data_never_make_a_header() {
        let from: Mailbox = "avis@example.org".parse().expect("mailbox");
        let out = compose(&letter(
            &from,
            "camille@example.org",
            "Camille\r\nBcc: victim@example.org",
            "Bonjour\nBcc: victim@example.org",
        ))
        .expect("compose");
        let head = headers(&out.bytes);
        assert!(
            !head
                .iter()
                .any(|h| h.to_ascii_lowercase().starts_with("bcc:")),
            "{head:?}"
        );
    }

    #[test]
    fn the_display_name_joins_whichever_names_the_contact_has() {
        let name = |first: Option<&str>, last: Option<&str>| {
            display_name(first.map(str::to_owned), last.map(str::to_owned))
        };
        assert_eq!(
            name(Some("Camille"), Some("Martin")).as_deref(),
            Some("Camille Martin")
        );
        assert_eq!(name(Some("Camille"), None).as_deref(), Some("Camille"));
        assert_eq!(name(None, Some("Martin")).as_deref(), Some("Martin"));
        assert_eq!(name(None, None), None);
    }

    #[test]
    fn an_invalid_address_is_a_clear_error() {
        let from: Mailbox = "avis@example.org".parse().expect("mailbox");
        let error = compose(&letter(&from, "not an address", "X", "S")).expect_err("invalid");
        assert!(error.to_string().contains("not an address"), "{error}");
    }
}

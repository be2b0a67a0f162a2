//! The calendar as an RFC 5545 iCalendar file a CX team subscribes to: one VEVENT per wave,
//! reminder and close. Written by hand (the `icalendar` crate would bring chrono and uuid
//! for a few lines): content lines end in CRLF, are folded at 75 octets without splitting a
//! UTF-8 character, and TEXT values escape `\`, `;`, `,` and newlines. Times are in UTC
//! (`DTSTART:…Z`), so no VTIMEZONE is needed; the local time and zone are in the
//! description. UIDs are built from what identifies an event (program, survey, channel,
//! period, wave, reminder), so the same event keeps its UID from one run to the next and a
//! subscribed calendar updates it instead of duplicating it.

use jiff::Timestamp;

use super::{Entry, local_time};

/// The longest content line, in octets, before it is folded (RFC 5545 §3.1).
const MAX_LINE_OCTETS: usize = 75;

/// The iCalendar text of the dated entries (event triggers have no date and are left
/// out); `stamp` is written as every event's DTSTAMP.
pub fn render(entries: &[Entry], stamp: Timestamp) -> String {
    let mut out = String::new();
    for line in [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//ecoute//calendar//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "X-WR-CALNAME:ecoute",
    ] {
        push_line(&mut out, line);
    }
    let stamp = utc(stamp);
    for entry in entries {
        let Some(at) = &entry.at else {
            continue;
        };
        let mut description = vec![format!("{} ({})", local_time(at), entry.zone)];
        description.extend(entry.details(false));
        push_line(&mut out, "BEGIN:VEVENT");
        push_line(&mut out, &format!("UID:{}", escape_text(&uid(entry))));
        push_line(&mut out, &format!("DTSTAMP:{stamp}"));
        push_line(&mut out, &format!("DTSTART:{}", utc(at.timestamp())));
        push_line(
            &mut out,
            &format!("SUMMARY:{}", escape_text(&summary(entry))),
        );
        push_line(
            &mut out,
            &format!("DESCRIPTION:{}", escape_text(&description.join("\n"))),
        );
        push_line(&mut out, &format!("CATEGORIES:{}", entry.kind.as_str()));
        push_line(&mut out, "TRANSP:TRANSPARENT");
        push_line(&mut out, "END:VEVENT");
    }
    push_line(&mut out, "END:VCALENDAR");
    out
}

/// `fidelite-clients: wave 1 of 2026-12 · livraison · email`.
fn summary(entry: &Entry) -> String {
    let subject = entry.subject();
    if subject.is_empty() {
        format!("{}: {}", entry.program, entry.title())
    } else {
        format!("{}: {} · {subject}", entry.program, entry.title())
    }
}

/// The same for the same event in every run: its kind and the keys that identify it.
fn uid(entry: &Entry) -> String {
    let mut parts = vec![entry.kind.as_str().to_owned(), entry.program.clone()];
    parts.extend(entry.survey.clone());
    parts.extend(entry.channel.clone());
    parts.extend(entry.period.map(|p| p.to_string()));
    parts.extend(entry.wave.map(|w| format!("w{w}")));
    parts.extend(entry.reminder.map(|r| format!("r{r}")));
    format!("{}@ecoute", parts.join("/"))
}

/// A DATE-TIME in UTC form, `20261202T090000Z`.
fn utc(at: Timestamp) -> String {
    at.strftime("%Y%m%dT%H%M%SZ").to_string()
}

/// A TEXT value (RFC 5545 §3.3.11): backslash, semicolon, comma and newlines escaped;
/// carriage returns dropped.
fn escape_text(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => escaped.push_str("\\\\"),
            ';' => escaped.push_str("\\;"),
            ',' => escaped.push_str("\\,"),
            '\n' => escaped.push_str("\\n"),
            '\r' => {}
            other => escaped.push(other),
        }
    }
    escaped
}

/// Appends one content line, folded so that no physical line exceeds 75 octets (a
/// continuation starts with one space) and never inside a UTF-8 character, ended by CRLF.
fn push_line(out: &mut String, line: &str) {
    let mut room = MAX_LINE_OCTETS;
    let mut used = 0;
    for c in line.chars() {
        if used + c.len_utf8() > room {
            out.push_str("\r\n ");
            room = MAX_LINE_OCTETS - 1;
            used = 0;
        }
        out.push(c);
        used += c.len_utf8();
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_escapes_backslash_semicolon_comma_and_newline() {
        assert_eq!(
            escape_text("a\\b;c,d\r\ne"),
            "a\\\\b\\;c\\,d\\ne",
            "RFC 5545 §3.3.11"
        );
    }

    #[test]
    fn long_lines_fold_at_75_octets_without_splitting_a_character() {
        let mut out = String::new();
        let value = "é".repeat(60);
        push_line(&mut out, &format!("SUMMARY:{value}"));
        let physical: Vec<&str> = out.split_terminator("\r\n").collect();
        assert!(physical.len() > 1, "{out:?}");
        for line in &physical {
            assert!(line.len() <= 75, "{} octets: {line:?}", line.len());
        }
        assert!(physical[1..].iter().all(|l| l.starts_with(' ')));
        let unfolded = out.replace("\r\n ", "");
        assert_eq!(unfolded, format!("SUMMARY:{value}\r\n"));
        // 8 ASCII octets then 2-octet characters: 33 fit in 74 octets, the 34th would make 76.
        assert_eq!(physical[0].len(), 8 + 33 * 2);
    }

    #[test]
    fn a_line_of_exactly_75_octets_is_not_folded() {
        let mut out = String::new();
        let line = "X".repeat(75);
        push_line(&mut out, &line);
        assert_eq!(out, format!("{line}\r\n"));
        let mut longer = String::new();
        push_line(&mut longer, &"X".repeat(76));
        assert_eq!(longer, format!("{}\r\n X\r\n", "X".repeat(75)));
    }
}

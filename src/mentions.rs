//! Social mentions as CSV, exported by the listening tool the team already uses (no
//! scraping): one row per mention. Pure: decoded CSV text in, [`NewMention`]s or
//! line-numbered problems out; the CLI reads the file (encoding and delimiter detection of
//! `responses import`) and the store writes.
//!
//! Columns (header names, case-insensitive): `date` (`2026-11-04` in the program's time zone,
//! or RFC 3339), `source` (the network or site), `text`, and the optional `rating` (a whole
//! number 1–5), `url` and `touchpoint` (a touchpoint id of the program). Other columns are
//! refused, so a misspelt `ratting` is not silently dropped.

use std::fmt;
use std::io::Read;

use jiff::Timestamp;
use jiff::civil::Date;

use crate::contacts::parse::HeaderColumns;
use crate::program::answers::clean;
use crate::program::{Program, did_you_mean};
use crate::responses::{Lines, Problem as CsvProblem, RowError, line_of};

/// A mention to store, as `ecoute mentions import` read it.
#[derive(Debug, Clone, PartialEq)]
pub struct NewMention {
    /// Program id.
    pub program_id: String,
    /// Period key of `posted_at`.
    pub period: String,
    /// When it was posted.
    pub posted_at: Timestamp,
    /// Where it was posted (the network or site, as the listening tool names it).
    pub source: String,
    /// Its text.
    pub text: String,
    /// A rating 1–5, when the source gives one (a review site).
    pub rating: Option<u8>,
    /// Its address.
    pub url: Option<String>,
    /// The touchpoint it is about, when known.
    pub touchpoint_id: Option<String>,
}

/// A stored mention as a report reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredMention {
    /// Period key.
    pub period: String,
    /// Source.
    pub source: String,
    /// Text.
    pub text: String,
    /// Rating 1–5.
    pub rating: Option<u8>,
    /// Touchpoint id.
    pub touchpoint_id: Option<String>,
}

impl NewMention {
    /// What makes a mention the same one when a file is imported again: SHA-256 (hex) of
    /// its date, source, text and url.
    pub fn fingerprint(&self) -> String {
        use sha2::{Digest, Sha256};
        let mut hash = Sha256::new();
        for part in [
            self.posted_at.as_second().to_string().as_str(),
            &self.source,
            &self.text,
            self.url.as_deref().unwrap_or_default(),
        ] {
            hash.update(part.as_bytes());
            hash.update([0]);
        }
        crate::program::hex(&hash.finalize())
    }
}

/// The columns a mentions file may have.
const COLUMNS: [&str; 6] = ["date", "source", "text", "rating", "url", "touchpoint"];

/// Why a whole file cannot be read as mentions.
#[derive(Debug, thiserror::Error)]
pub enum MentionsError {
    /// The header line could not be read.
    #[error("cannot read the header line: {0}")]
    Header(#[source] csv::Error),
    /// A required column is missing.
    #[error(
        "no `{missing}` column in the header ({found}); a mentions file has date, source \
         and text, and optionally rating, url and touchpoint (or pass --delimiter if the \
         separator is wrong)"
    )]
    MissingColumn {
        /// The column.
        missing: &'static str,
        /// The header's columns.
        found: HeaderColumns,
    },
    /// A column ecoute does not know.
    #[error("unknown column `{given}`{hint}; the columns are {}", COLUMNS.join(", "))]
    UnknownColumn {
        /// As written.
        given: String,
        /// ", did you mean `x`?" or nothing.
        hint: String,
    },
}

/// What is wrong with one field of a row.
#[derive(Debug, Clone, PartialEq)]
pub enum Problem {
    /// `date` is empty.
    MissingDate,
    /// `date` is neither a date nor RFC 3339.
    BadDate(String),
    /// The date falls in no period of the program.
    NoPeriod(String),
    /// `source` is empty.
    MissingSource,
    /// `text` is empty.
    MissingText,
    /// `rating` is not a whole number 1–5.
    BadRating(String),
    /// `touchpoint` is not one of the program's.
    UnknownTouchpoint {
        /// As written.
        given: String,
        /// " (did you mean `x`?)" or nothing.
        hint: String,
    },
    /// A problem every CSV import shares (a field count, an unreadable row), worded as
    /// `responses import` words it.
    Csv(CsvProblem),
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::MissingDate => write!(f, "`date` is empty"),
            Problem::BadDate(text) => write!(
                f,
                "`date` `{text}` is not a date: write 2026-11-04 or 2026-11-04T10:30:00+01:00"
            ),
            Problem::NoPeriod(text) => {
                write!(f, "`date` {text} falls in none of the program's periods")
            }
            Problem::MissingSource => write!(f, "`source` is empty: name the network or site"),
            Problem::MissingText => write!(
                f,
                "`text` is empty: a mention without text cannot be themed; remove the row"
            ),
            Problem::BadRating(text) => write!(
                f,
                "`rating` `{text}` is not a whole number from 1 to 5 (leave it empty when \
                 the source gives none)"
            ),
            Problem::UnknownTouchpoint { given, hint } => {
                write!(f, "unknown touchpoint `{given}`{hint}")
            }
            Problem::Csv(problem) => problem.fmt(f),
        }
    }
}

/// Everything read from a file.
#[derive(Debug, Default)]
pub struct Parsed {
    /// Good rows, in file order.
    pub rows: Vec<NewMention>,
    /// Rejected rows, in file order.
    pub errors: Vec<RowError<Problem>>,
}

/// Reads every row of a UTF-8 CSV stream as mentions of `program`.
pub fn parse<R: Read>(input: R, delimiter: u8, program: &Program) -> Result<Parsed, MentionsError> {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_reader(Lines::new(input));
    let headers = reader.headers().map_err(MentionsError::Header)?.clone();
    let names: Vec<String> = headers
        .iter()
        .map(|h| {
            h.trim()
                .trim_start_matches('\u{feff}')
                .trim()
                .to_lowercase()
        })
        .collect();
    for name in &names {
        if !COLUMNS.contains(&name.as_str()) {
            let hint = did_you_mean(name, COLUMNS.iter().copied())
                .map(|c| format!(", did you mean `{c}`?"))
                .unwrap_or_default();
            return Err(MentionsError::UnknownColumn {
                given: name.clone(),
                hint,
            });
        }
    }
    for missing in ["date", "source", "text"] {
        if !names.iter().any(|n| n == missing) {
            return Err(MentionsError::MissingColumn {
                missing,
                found: HeaderColumns::of(&headers, delimiter),
            });
        }
    }
    let mut parsed = Parsed::default();
    let mut record = csv::StringRecord::new();
    loop {
        let result = reader.read_record(&mut record);
        let line = line_of(&mut reader, record.position());
        match result {
            Ok(false) => break,
            Ok(true) if record.iter().all(|c| c.trim().is_empty()) => {}
            Ok(true) => match row(&names, &record, program) {
                Ok(mention) => parsed.rows.push(mention),
                Err(problems) => parsed.errors.push(RowError { line, problems }),
            },
            Err(e) => {
                parsed.errors.push(RowError {
                    line,
                    problems: vec![Problem::Csv(CsvProblem::Malformed(e.to_string()))],
                });
                if !matches!(e.kind(), csv::ErrorKind::Utf8 { .. }) {
                    break;
                }
            }
        }
    }
    Ok(parsed)
}

fn row(
    names: &[String],
    record: &csv::StringRecord,
    program: &Program,
) -> Result<NewMention, Vec<Problem>> {
    if record.len() != names.len() {
        return Err(vec![Problem::Csv(CsvProblem::FieldCount {
            found: record.len(),
            expected: names.len(),
        })]);
    }
    let cell = |name: &str| -> Option<String> {
        let i = names.iter().position(|n| n == name)?;
        let text = clean(record.get(i)?).trim().to_owned();
        (!text.is_empty()).then_some(text)
    };
    let mut problems = Vec::new();
    let calendar = program.calendar();
    let posted_at = match cell("date") {
        None => {
            problems.push(Problem::MissingDate);
            None
        }
        Some(text) => {
            let parsed = text.parse::<Timestamp>().ok().or_else(|| {
                let date = text.parse::<Date>().ok()?;
                date.to_zoned(calendar.zone().clone())
                    .ok()
                    .map(|z| z.timestamp())
            });
            if parsed.is_none() {
                problems.push(Problem::BadDate(text));
            }
            parsed
        }
    };
    let period = posted_at.and_then(|at| {
        let period = calendar.period_of(at);
        if period.is_none() {
            problems.push(Problem::NoPeriod(at.to_string()));
        }
        period
    });
    let source = cell("source");
    if source.is_none() {
        problems.push(Problem::MissingSource);
    }
    let text = cell("text");
    if text.is_none() {
        problems.push(Problem::MissingText);
    }
    let rating = cell("rating").and_then(|r| match r.parse::<u8>() {
        Ok(n @ 1..=5) if !r.starts_with('0') => Some(n),
        _ => {
            problems.push(Problem::BadRating(r));
            None
        }
    });
    let touchpoints = program.file.touchpoints.iter().map(|t| t.id.as_str());
    let touchpoint_id = cell("touchpoint").and_then(|t| {
        if touchpoints.clone().any(|known| known == t) {
            return Some(t);
        }
        let hint = did_you_mean(&t, touchpoints.clone())
            .map(|c| format!(" (did you mean `{c}`?)"))
            .unwrap_or_default();
        problems.push(Problem::UnknownTouchpoint { given: t, hint });
        None
    });
    match (posted_at, period, source, text) {
        (Some(posted_at), Some(period), Some(source), Some(text)) if problems.is_empty() => {
            Ok(NewMention {
                program_id: program.id().to_owned(),
                period: period.to_string(),
                posted_at,
                source,
                text,
                rating,
                url: cell("url"),
                touchpoint_id,
            })
        }
        _ => Err(problems),
    }
}

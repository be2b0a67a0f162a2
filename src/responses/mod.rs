//! Answers taken offline (phone, interview, paper) as CSV: one row per response, checked
//! against the survey's questions. Pure: decoded CSV text in, [`NewResponse`]s or
//! line-numbered problems out; the CLI does the reading and the store the writing.
//!
//! Columns (header names; the reserved ones are case-insensitive):
//! - `submitted_at` (required): RFC 3339 (`2026-11-04T10:30:00+01:00`) or a date
//!   (`2026-11-04`, meaning that day in the program's time zone);
//! - `email` (optional): the respondent, normalised like contact imports;
//! - `channel` (optional, default `import`): `import` or one of the survey's channel ids;
//! - `response_id` (optional): an id from the call centre's tool, so a file imported twice
//!   is stored once;
//! - one column per question id, read by the answer rule book ([`crate::program::answers`]):
//!   NPS 0–10, CSAT on its scale, CES 1–7, `yes_no` as oui/non, yes/no, true/false or 1/0,
//!   choices by option id (`a|b` for several, each once), text, `check` items as
//!   yes/no/not_applicable (oui/non/na), with the auditor's comment in a `<id>.comment`
//!   column;
//! - any other column becomes a respondent attribute (segment, region…) for reports.
//!
//! A cell whose first character is `'` (the spreadsheet's text marker, which ecoute's exports
//! put before any text that could start a formula: see [`protect_cell`]) loses that one `'`
//! and is read as text, never as a number.

mod cell;
mod export;
pub(crate) mod lines;

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::io::Read;
use std::sync::Arc;

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde_json::Value;

use crate::contacts::normalise_email;
use crate::contacts::parse::{HeaderColumns, shown_name, typed_value};
use crate::expr::Expr;
use crate::program::answers::{self, AnswerError, RawValue, TypedAnswer};
use crate::program::fingerprint::SurveyVersion;
use crate::program::model::{Question, QuestionType, Survey};
use crate::program::{Calendar, Program};
use crate::records::{Answer, Attributes, NewResponse};

pub use cell::{TEXT_MARKER, protect_cell, unprotect_cell};
pub use export::{attribute_cell, attribute_names, header, record};
pub(crate) use lines::Lines;

/// The channel of imported rows that name none.
pub const DEFAULT_CHANNEL: &str = "import";
/// The channels any survey's responses may carry besides its own: the import's default and
/// the API's, so an export of responses from either is imported back (and posted back).
pub const SHARED_CHANNELS: [&str; 2] = [DEFAULT_CHANNEL, "api"];
/// Separator of several options in a `multi` cell.
pub const MULTI_SEPARATOR: char = '|';

/// Why a whole file cannot be read as responses.
#[derive(Debug, thiserror::Error)]
pub enum ResponsesError {
    /// `--survey` names no survey of the program.
    #[error("program `{program}` has no survey `{survey}`; its surveys are: {known}")]
    UnknownSurvey {
        /// Program id.
        program: String,
        /// What was asked.
        survey: String,
        /// The survey ids.
        known: String,
    },
    /// The header line could not be read.
    #[error("cannot read the header line: {0}")]
    Header(#[source] csv::Error),
    /// The header has no `submitted_at` column.
    #[error(
        "no `submitted_at` column in the header ({found}); add the date of each answer, \
         or pass --delimiter if the separator is wrong"
    )]
    NoSubmittedAt {
        /// The header's columns, as far as they may be shown.
        found: HeaderColumns,
    },
    /// Two columns with the same name.
    #[error("the column `{0}` appears twice in the header")]
    DuplicateColumn(String),
}

/// What is wrong with one answer or field of a row.
#[derive(Debug, Clone, PartialEq)]
pub enum Problem {
    /// `submitted_at` is empty.
    MissingDate,
    /// `submitted_at` is neither RFC 3339 nor a date.
    BadDate(String),
    /// A day-first date in a program whose default locale is not French.
    DayFirstDate(String),
    /// A date in another form than `--date-format`.
    ForcedDate {
        /// As written.
        text: String,
        /// The form asked for.
        forced: DateFormat,
    },
    /// A date in another form than the file's first date.
    MixedDates {
        /// As written.
        text: String,
        /// The form of the first date.
        first: DateFormat,
        /// Its line.
        first_line: u64,
    },
    /// The date falls in no period of the program (explicit windows only).
    NoPeriod(String),
    /// The email is not an address.
    BadEmail(String),
    /// The channel is neither `import` nor one of the survey's.
    UnknownChannel {
        /// As written.
        channel: String,
        /// What is accepted.
        known: String,
    },
    /// A required question shown to the respondent has no answer.
    MissingAnswer(String),
    /// An answer the rule book refuses.
    Answer {
        /// Question id.
        question: String,
        /// Why, and what to write instead.
        error: AnswerError,
    },
    /// The same `response_id` appeared on an earlier line.
    DuplicateId {
        /// The id.
        id: String,
        /// The earlier line.
        first_line: u64,
    },
    /// More or fewer fields than the header.
    FieldCount {
        /// Fields on the row.
        found: usize,
        /// Fields in the header.
        expected: usize,
    },
    /// The CSV reader could not read the row.
    Malformed(String),
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::MissingDate => write!(f, "`submitted_at` is empty"),
            Problem::BadDate(text) => write!(
                f,
                "`submitted_at` `{text}` is not a date: write 2026-11-04 or \
                 2026-11-04T10:30:00+01:00 (or 04/11/2026 and 04/11/2026 10:30 in a program \
                 whose default locale is French)"
            ),
            Problem::DayFirstDate(text) => write!(
                f,
                "`submitted_at` `{text}` is day first, which is read only when the program's \
                 default locale is French: write 2026-11-04, or pass --date-format dd/mm/yyyy"
            ),
            Problem::ForcedDate { text, forced } => write!(
                f,
                "`submitted_at` `{text}` is not in the --date-format {} form",
                forced.as_str()
            ),
            Problem::MixedDates {
                text,
                first,
                first_line,
            } => write!(
                f,
                "`submitted_at` `{text}` mixes date forms: line {first_line} is {}; write \
                 every date of the file in one form",
                first.as_str()
            ),
            Problem::NoPeriod(text) => write!(
                f,
                "`submitted_at` {text} falls in none of the program's period windows"
            ),
            Problem::BadEmail(text) => write!(f, "`{text}` is not a valid email"),
            Problem::UnknownChannel { channel, known } => {
                write!(f, "unknown channel `{channel}`; use one of: {known}")
            }
            Problem::MissingAnswer(q) => write!(f, "required question `{q}` has no answer"),
            Problem::Answer { question, error } => write!(f, "`{question}`: {error}"),
            Problem::DuplicateId { id, first_line } => write!(
                f,
                "response_id `{id}` already on line {first_line} (that line was kept)"
            ),
            Problem::FieldCount { found, expected } => write!(
                f,
                "{found} fields, but the header has {expected} (a missing or extra separator?)"
            ),
            Problem::Malformed(m) => write!(f, "unreadable row: {m}"),
        }
    }
}

/// A rejected row: where it starts in the file (line 1 is the header) and every problem
/// (of a response by default; indicator and mentions imports bring their own problems).
#[derive(Debug, Clone, PartialEq)]
pub struct RowError<P = Problem> {
    /// Line number.
    pub line: u64,
    /// What is wrong, all at once so a file is fixed in one go.
    pub problems: Vec<P>,
}

impl<P: fmt::Display> fmt::Display for RowError<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: ", self.line)?;
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}

/// A good row, ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedRow {
    /// Line where it starts.
    pub line: u64,
    /// The response.
    pub response: NewResponse,
}

/// Everything read from a file.
#[derive(Debug, Default)]
pub struct Parsed {
    /// Rows that passed every check, in file order.
    pub rows: Vec<ParsedRow>,
    /// Rows rejected, in file order.
    pub errors: Vec<RowError>,
    /// Rows with neither a date nor an answer (people a call list did not reach): skipped.
    pub blank: u64,
}

/// The meaning of a header column.
#[derive(Debug, Clone)]
enum Column {
    SubmittedAt,
    Email,
    Channel,
    ResponseId,
    Question(usize),
    Comment(usize),
    Attribute(String),
    Ignored,
}

/// The ways a `submitted_at` cell may be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateFormat {
    /// `2026-11-04` or RFC 3339 (`2026-11-04T10:30:00+01:00`).
    Iso,
    /// `04/11/2026` or `04/11/2026 10:30`, day first, in the program's time zone.
    DayMonthYear,
}

impl DateFormat {
    /// The form a cell is written in: a `/` means day first, as no ISO form has one.
    fn of(cell: &str) -> DateFormat {
        if cell.contains('/') {
            DateFormat::DayMonthYear
        } else {
            DateFormat::Iso
        }
    }

    /// As shown in messages and given to `--date-format`.
    pub fn as_str(self) -> &'static str {
        match self {
            DateFormat::Iso => "iso",
            DateFormat::DayMonthYear => "dd/mm/yyyy",
        }
    }
}

/// Which date forms a file may use: the forced one, or ISO plus `dd/mm/yyyy` when the
/// program speaks French; the first dated row fixes the form of the file.
#[derive(Debug)]
struct DateRule {
    forced: Option<DateFormat>,
    day_first: bool,
    first: std::cell::Cell<Option<(DateFormat, u64)>>,
}

impl DateRule {
    fn new(forced: Option<DateFormat>, program: &Program) -> Self {
        let default = program.file.program.default_locale.as_str();
        DateRule {
            forced,
            day_first: forced == Some(DateFormat::DayMonthYear)
                || (forced.is_none() && (default == "fr" || default.starts_with("fr-"))),
            first: std::cell::Cell::new(None),
        }
    }

    /// Parses a `submitted_at` cell of `line`; a bare date means that day in `zone`.
    fn parse(&self, cell: &str, line: u64, zone: &TimeZone) -> Result<Timestamp, Problem> {
        let cell = cell.trim();
        if cell.is_empty() {
            return Err(Problem::MissingDate);
        }
        let form = DateFormat::of(cell);
        match (form, self.forced) {
            (form, Some(forced)) if form != forced => {
                return Err(Problem::ForcedDate {
                    text: cell.to_owned(),
                    forced,
                });
            }
            (DateFormat::DayMonthYear, _) if !self.day_first => {
                return Err(Problem::DayFirstDate(cell.to_owned()));
            }
            _ => {}
        }
        match self.first.get() {
            Some((first, first_line)) if first != form => {
                return Err(Problem::MixedDates {
                    text: cell.to_owned(),
                    first,
                    first_line,
                });
            }
            Some(_) => {}
            None => self.first.set(Some((form, line))),
        }
        let parsed = match form {
            DateFormat::Iso => cell.parse::<Timestamp>().ok().or_else(|| {
                cell.parse::<Date>()
                    .ok()
                    .and_then(|d| d.to_zoned(zone.clone()).ok())
                    .map(|z| z.timestamp())
            }),
            DateFormat::DayMonthYear => jiff::civil::DateTime::strptime("%d/%m/%Y %H:%M", cell)
                .or_else(|_| {
                    Date::strptime("%d/%m/%Y", cell)
                        .map(|d| d.to_datetime(jiff::civil::Time::midnight()))
                })
                .ok()
                .and_then(|dt| dt.to_zoned(zone.clone()).ok())
                .map(|z| z.timestamp()),
        };
        parsed.ok_or_else(|| Problem::BadDate(cell.to_owned()))
    }
}

/// Finds a survey of the program by id.
pub fn find_survey<'p>(program: &'p Program, id: &str) -> Result<&'p Survey, ResponsesError> {
    program
        .file
        .surveys
        .iter()
        .find(|s| *s.id == id)
        .ok_or_else(|| ResponsesError::UnknownSurvey {
            program: program.id().to_owned(),
            survey: id.to_owned(),
            known: program
                .file
                .surveys
                .iter()
                .map(|s| s.id.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        })
}

/// Reads every row of a UTF-8 CSV stream as responses to `survey`.
pub fn parse<R: Read>(
    input: R,
    delimiter: u8,
    program: &Program,
    survey: &Survey,
    date_format: Option<DateFormat>,
) -> Result<Parsed, ResponsesError> {
    let mut rows = Vec::new();
    let mut parsed = parse_each(input, delimiter, program, survey, date_format, |row, _| {
        rows.push(row);
        true
    })?;
    parsed.rows = rows;
    Ok(parsed)
}

/// Reads the rows of a UTF-8 CSV stream as responses to `survey`, handing each good row to
/// `keep` as soon as it is read, with the byte where it starts (so that a large file is
/// stored while it is read, in flat memory); stops early when `keep` says `false`. The
/// returned [`Parsed`] has the rejected and blank rows, not the good ones.
pub fn parse_each<R: Read>(
    input: R,
    delimiter: u8,
    program: &Program,
    survey: &Survey,
    date_format: Option<DateFormat>,
    mut keep: impl FnMut(ParsedRow, u64) -> bool,
) -> Result<Parsed, ResponsesError> {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .has_headers(true)
        .from_reader(Lines::new(input));
    let headers = reader.headers().map_err(ResponsesError::Header)?.clone();
    let columns = columns(&headers, delimiter, survey)?;
    let mut checker = RowChecker::new(program, survey, columns);
    checker.dates = DateRule::new(date_format, program);
    checker.decimal_comma = delimiter != b',';
    let mut parsed = Parsed::default();
    let mut seen: HashMap<String, u64> = HashMap::new();
    let mut record = csv::StringRecord::new();
    loop {
        let result = reader.read_record(&mut record);
        let line = line_of(&mut reader, record.position());
        match result {
            Ok(false) => break,
            Ok(true) if checker.is_blank(&record) => parsed.blank += 1,
            Ok(true) => match checker.row(&record, line) {
                Ok(response) => {
                    if let Some(id) = &response.external_id {
                        if let Some(&first_line) = seen.get(id) {
                            parsed.errors.push(RowError {
                                line,
                                problems: vec![Problem::DuplicateId {
                                    id: id.clone(),
                                    first_line,
                                }],
                            });
                            continue;
                        }
                        seen.insert(id.clone(), line);
                    }
                    let at = record.position().map_or(0, csv::Position::byte);
                    if !keep(ParsedRow { line, response }, at) {
                        break;
                    }
                }
                Err(problems) => parsed.errors.push(RowError { line, problems }),
            },
            Err(e) => {
                let line = match e.position() {
                    Some(p) => line_of(&mut reader, Some(p)),
                    None => line,
                };
                parsed.errors.push(RowError {
                    line,
                    problems: vec![Problem::Malformed(e.to_string())],
                });
                if !matches!(e.kind(), csv::ErrorKind::Utf8 { .. }) {
                    break;
                }
            }
        }
    }
    Ok(parsed)
}

/// The editor's line of a record csv placed at `position` (indicator and mentions imports
/// read the same way).
pub(crate) fn line_of<R: Read>(
    reader: &mut csv::Reader<Lines<R>>,
    position: Option<&csv::Position>,
) -> u64 {
    position.map_or(0, |p| {
        reader
            .get_mut()
            .line_at(p.byte())
            .unwrap_or_else(|| p.line())
    })
}

fn columns(
    headers: &csv::StringRecord,
    delimiter: u8,
    survey: &Survey,
) -> Result<Vec<Column>, ResponsesError> {
    let mut columns = Vec::with_capacity(headers.len());
    let mut names: Vec<String> = Vec::new();
    for raw in headers {
        let name = raw.trim().trim_start_matches('\u{feff}').trim();
        let key = name.to_lowercase();
        if !name.is_empty() && names.contains(&key) {
            return Err(ResponsesError::DuplicateColumn(shown_name(name)));
        }
        names.push(key.clone());
        let question = survey.questions.iter().position(|q| *q.id == name);
        let comment = name.strip_suffix(answers::COMMENT_SUFFIX).and_then(|id| {
            survey
                .questions
                .iter()
                .position(|q| *q.id == id && *q.kind == QuestionType::Check)
        });
        columns.push(match (key.as_str(), question, comment) {
            ("", _, _) => Column::Ignored,
            ("submitted_at", _, _) => Column::SubmittedAt,
            ("email", _, _) => Column::Email,
            ("channel", _, _) => Column::Channel,
            ("response_id", _, _) => Column::ResponseId,
            (_, Some(i), _) => Column::Question(i),
            (_, None, Some(i)) => Column::Comment(i),
            _ => Column::Attribute(name.to_owned()),
        });
    }
    if !columns.iter().any(|c| matches!(c, Column::SubmittedAt)) {
        return Err(ResponsesError::NoSubmittedAt {
            found: HeaderColumns::of(headers, delimiter),
        });
    }
    Ok(columns)
}

/// Checks one row against the survey; compiled once per file.
struct RowChecker<'a> {
    program_id: String,
    survey: &'a Survey,
    version: Arc<SurveyVersion>,
    calendar: &'a Calendar,
    columns: Vec<Column>,
    conditions: Vec<Option<Expr>>,
    channels: Vec<String>,
    decimal_comma: bool,
    dates: DateRule,
}

impl<'a> RowChecker<'a> {
    fn new(program: &'a Program, survey: &'a Survey, columns: Vec<Column>) -> Self {
        let conditions = survey
            .questions
            .iter()
            .map(|q| q.show_if.as_ref().and_then(|s| Expr::compile(s).ok()))
            .collect();
        let mut channels: Vec<String> = SHARED_CHANNELS.iter().map(|c| (*c).to_owned()).collect();
        channels.extend(survey.channels.iter().map(|c| c.to_string()));
        channels.dedup();
        RowChecker {
            program_id: program.id().to_owned(),
            survey,
            version: Arc::new(SurveyVersion::of(survey)),
            calendar: program.calendar(),
            columns,
            conditions,
            channels,
            decimal_comma: false,
            dates: DateRule::new(None, program),
        }
    }

    /// No date and no answer: a row of a call list for someone who was not reached.
    fn is_blank(&self, record: &csv::StringRecord) -> bool {
        self.columns
            .iter()
            .zip(record.iter())
            .all(|(column, cell)| {
                !matches!(column, Column::SubmittedAt | Column::Question(_))
                    || cell.trim().is_empty()
            })
    }

    fn row(&self, record: &csv::StringRecord, line: u64) -> Result<NewResponse, Vec<Problem>> {
        if record.len() != self.columns.len() {
            return Err(vec![Problem::FieldCount {
                found: record.len(),
                expected: self.columns.len(),
            }]);
        }
        let mut problems = Vec::new();
        let mut submitted_at = None;
        let mut email = None;
        let mut channel = DEFAULT_CHANNEL.to_owned();
        let mut external_id = None;
        let mut cells: Vec<Option<&str>> = vec![None; self.survey.questions.len()];
        let mut comments: Vec<Option<&str>> = vec![None; self.survey.questions.len()];
        let mut respondent = Attributes::new();
        for (column, cell) in self.columns.iter().zip(record.iter()) {
            let marked = unprotect_cell(cell);
            let cell = marked.unwrap_or_else(|| cell.trim());
            match column {
                Column::SubmittedAt => match self.dates.parse(cell, line, self.calendar.zone()) {
                    Ok(ts) => submitted_at = Some(ts),
                    Err(p) => problems.push(p),
                },
                Column::Email if !cell.is_empty() => match normalise_email(cell) {
                    Ok(e) => email = Some(e),
                    Err(_) => problems.push(Problem::BadEmail(cell.to_owned())),
                },
                Column::Channel if !cell.is_empty() => {
                    if self.channels.iter().any(|c| c == cell) {
                        channel = cell.to_owned();
                    } else {
                        problems.push(Problem::UnknownChannel {
                            channel: cell.to_owned(),
                            known: self.channels.join(", "),
                        });
                    }
                }
                Column::ResponseId if !cell.is_empty() => external_id = Some(cell.to_owned()),
                Column::Question(i) if !cell.is_empty() => {
                    if let Some(slot) = cells.get_mut(*i) {
                        *slot = Some(cell);
                    }
                }
                Column::Comment(i) if !cell.is_empty() => {
                    if let Some(slot) = comments.get_mut(*i) {
                        *slot = Some(cell);
                    }
                }
                Column::Attribute(name) if marked.is_some() => {
                    respondent.insert(name.clone(), Value::String(cell.to_owned()));
                }
                Column::Attribute(name) => {
                    if let Some(v) = typed_value(cell, self.decimal_comma) {
                        respondent.insert(name.clone(), v);
                    }
                }
                _ => {}
            }
        }
        let answers = self.answers(&cells, &comments, &mut problems);
        let period = submitted_at.and_then(|ts| {
            let p = self.calendar.period_of(ts);
            if p.is_none() {
                problems.push(Problem::NoPeriod(ts.to_string()));
            }
            p
        });
        match (submitted_at, period) {
            (Some(submitted_at), Some(period)) if problems.is_empty() => Ok(NewResponse {
                invitation_id: None,
                program_id: self.program_id.clone(),
                survey_id: self.survey.id.to_string(),
                touchpoint_id: Some(self.survey.touchpoint.to_string()),
                channel,
                period: period.to_string(),
                submitted_at,
                email,
                respondent: (!respondent.is_empty()).then_some(respondent),
                external_id,
                answers,
                cases: Vec::new(),
                version: Some(Arc::clone(&self.version)),
            }),
            _ => Err(problems),
        }
    }

    /// Checks the answers in question order, evaluating `show_if` over earlier answers:
    /// an answer to a hidden question is ignored, as on the web form.
    fn answers(
        &self,
        cells: &[Option<&str>],
        comments: &[Option<&str>],
        problems: &mut Vec<Problem>,
    ) -> Vec<Answer> {
        let mut context: BTreeMap<String, Value> = BTreeMap::new();
        let mut answers = Vec::new();
        for (((question, cell), comment), condition) in self
            .survey
            .questions
            .iter()
            .zip(cells)
            .zip(comments)
            .zip(&self.conditions)
        {
            let shown = condition.as_ref().is_none_or(|expr| {
                expr.eval_bool(minijinja::Value::from(minijinja::value::Serde(&context)))
                    .unwrap_or(false)
            });
            if !shown {
                continue;
            }
            let Some(cell) = cell.or(comment.map(|_| "")) else {
                if question.required {
                    problems.push(Problem::MissingAnswer(question.id.to_string()));
                }
                continue;
            };
            match answer_of(question, cell, *comment) {
                Ok(Some(typed)) => {
                    context.insert(question.id.to_string(), typed.show_if_value());
                    answers.extend(typed.into_answers(&question.id));
                }
                Ok(None) => {}
                Err(error) => problems.push(Problem::Answer {
                    question: question.id.to_string(),
                    error,
                }),
            }
        }
        answers
    }
}

/// The answer in one cell (and, for a `check` item, its comment cell), judged by the rule
/// book: a `multi` cell holds its options separated by [`MULTI_SEPARATOR`], any other cell
/// one value.
pub fn answer_of(
    question: &Question,
    cell: &str,
    comment: Option<&str>,
) -> Result<Option<TypedAnswer>, AnswerError> {
    let values: Vec<RawValue> = if *question.kind == QuestionType::Multi {
        cell.split(MULTI_SEPARATOR).map(RawValue::Text).collect()
    } else {
        vec![RawValue::Text(cell)]
    };
    answers::parse_with_comment(question, &values, comment.map(RawValue::Text))
}

#[cfg(test)]
mod tests;

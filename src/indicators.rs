//! Operational indicators imported as CSV (`ecoute indicators import`): one row per
//! observation or aggregate, checked against the program's `indicators:`. Pure: decoded CSV
//! text in, [`IndicatorRow`]s or line-numbered problems out; the CLI reads the file (with the
//! encoding and delimiter detection of every import) and the store adds the rows to its
//! counters. Records are read and numbered like response imports ([`Lines`], [`line_of`]).
//!
//! Columns (header names, case-insensitive):
//! - `date` (`2026-11-04`, placed in its program period) or `period` (`2026-11`);
//! - `indicator`: an indicator id of the program;
//! - the values of its kind: `value` (a mean's observation, a 0/1 ratio observation, a
//!   count's volume), `value` + `n` [+ `sd`] (a mean's aggregate), `numerator` +
//!   `denominator` (a ratio's or a quotient's aggregate);
//! - optional `touchpoint` (default: the indicator's), `segment`, `breakdown` (a count's
//!   category) and `row_id` (makes re-imports harmless).

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::io::Read;

use jiff::Timestamp;
use jiff::civil::Date;

use crate::metrics::{IndicatorCounter, IndicatorKind};
use crate::period::Period;
use crate::program::Program;
use crate::program::did_you_mean;
use crate::program::model::Indicator;
use crate::responses::lines::Lines;
use crate::responses::{Problem as CsvProblem, line_of};

/// Where a counter belongs: program-level key parts the report groups by.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IndicatorKey {
    /// Stored period key (`2026-11`).
    pub period: String,
    /// Indicator id.
    pub indicator: String,
    /// Touchpoint id; empty when program-wide.
    pub touchpoint: String,
    /// Segment value; empty when none.
    pub segment: String,
    /// Breakdown category of a count; empty when none.
    pub category: String,
}

/// A stored counter.
#[derive(Debug, Clone, PartialEq)]
pub struct IndicatorCount {
    /// Where it belongs.
    pub key: IndicatorKey,
    /// Its figures.
    pub counter: IndicatorCounter,
}

/// One imported row: its key, what it adds, and the id that makes a re-import harmless.
#[derive(Debug, Clone, PartialEq)]
pub struct IndicatorRow {
    /// Where it counts.
    pub key: IndicatorKey,
    /// What it adds.
    pub counter: IndicatorCounter,
    /// The file's `row_id`, when it has one.
    pub row_id: Option<String>,
}

/// What an import stored.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IndicatorImport {
    /// Rows added to the counters.
    pub imported: u64,
    /// Rows whose `row_id` was already imported: skipped.
    pub already_imported: u64,
}

/// Sums rows per key, so one statement per key is written whatever the number of rows.
pub fn per_key<'r>(
    rows: impl IntoIterator<Item = &'r IndicatorRow>,
) -> BTreeMap<IndicatorKey, IndicatorCounter> {
    let mut sums: BTreeMap<IndicatorKey, IndicatorCounter> = BTreeMap::new();
    for row in rows {
        sums.entry(row.key.clone()).or_default().merge(&row.counter);
    }
    sums
}

/// The columns an indicator file may have.
pub const COLUMNS: [&str; 12] = [
    "date",
    "period",
    "indicator",
    "value",
    "n",
    "sd",
    "numerator",
    "denominator",
    "touchpoint",
    "segment",
    "breakdown",
    "row_id",
];

/// Why a whole file cannot be read as indicators.
#[derive(Debug, thiserror::Error)]
pub enum IndicatorsError {
    /// The program declares no indicator.
    #[error("program `{0}` declares no indicator; add an `indicators:` section to its file")]
    NoIndicators(String),
    /// The header line could not be read.
    #[error("cannot read the header line: {0}")]
    Header(#[source] csv::Error),
    /// A column that is none of [`COLUMNS`].
    #[error("unknown column `{name}` in the header; {hint}")]
    UnknownColumn {
        /// As written.
        name: String,
        /// A close name, or the accepted ones.
        hint: String,
    },
    /// A required column is missing.
    #[error(
        "no `{0}` column in the header; an indicator file has `date` or `period`, \
         `indicator` and the value columns of its kind (pass --delimiter if the separator is wrong)"
    )]
    Missing(&'static str),
    /// Two columns with the same name.
    #[error("the column `{0}` appears twice in the header")]
    DuplicateColumn(String),
}

/// What is wrong with one row.
#[derive(Debug, Clone, PartialEq)]
pub enum Problem {
    /// Neither `date` nor `period` is filled.
    NoDate,
    /// `date` is not `YYYY-MM-DD`.
    BadDate(String),
    /// `period` is not a period of the program.
    BadPeriod {
        /// As written.
        text: String,
        /// An example of the program's periods.
        example: String,
    },
    /// The date falls in no period of the program.
    NoPeriod(String),
    /// The period has not started yet.
    Future(String),
    /// `indicator` is empty.
    NoIndicator,
    /// An indicator the program does not declare.
    UnknownIndicator {
        /// As written.
        id: String,
        /// Did you mean, or the known ids.
        hint: String,
    },
    /// A touchpoint the program does not declare.
    UnknownTouchpoint {
        /// As written.
        id: String,
        /// Did you mean, or the known ids.
        hint: String,
    },
    /// A value cell that is not a number.
    NotANumber {
        /// The column.
        column: &'static str,
        /// As written.
        text: String,
    },
    /// A negative value.
    Negative(&'static str),
    /// A count that is not whole.
    NotWhole(&'static str),
    /// A ratio observation other than 0 or 1.
    NotZeroOne(String),
    /// More successes than cases.
    NumeratorAboveDenominator,
    /// The values of the indicator's kind are missing or mixed.
    Values {
        /// The indicator's kind.
        kind: IndicatorKind,
        /// What to write.
        expected: &'static str,
    },
    /// A breakdown on a kind that has none.
    BreakdownNotCounted {
        /// Indicator id.
        id: String,
        /// Its kind.
        kind: IndicatorKind,
    },
    /// A breakdown category the indicator does not declare.
    UnknownCategory {
        /// As written.
        category: String,
        /// Did you mean, or the known categories.
        hint: String,
    },
    /// A problem every CSV import shares (a repeated id, a wrong number of fields, an
    /// unreadable row), worded as for responses.
    Csv(crate::responses::Problem),
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::NoDate => write!(f, "no `date` and no `period`: give one"),
            Problem::BadDate(text) => {
                write!(f, "`date` `{text}` is not a date: write 2026-11-04")
            }
            Problem::BadPeriod { text, example } => write!(
                f,
                "`period` `{text}` is not a period of the program: write it like {example}"
            ),
            Problem::NoPeriod(text) => {
                write!(f, "`date` {text} falls in none of the program's periods")
            }
            Problem::Future(period) => write!(
                f,
                "period {period} has not started yet: indicators are imported for past or \
                 current periods (check the year and month)"
            ),
            Problem::NoIndicator => write!(f, "`indicator` is empty"),
            Problem::UnknownIndicator { id, hint } => {
                write!(f, "unknown indicator `{id}`; {hint}")
            }
            Problem::UnknownTouchpoint { id, hint } => {
                write!(f, "unknown touchpoint `{id}`; {hint}")
            }
            Problem::NotANumber { column, text } => {
                write!(f, "`{column}` `{text}` is not a number")
            }
            Problem::Negative(column) => write!(f, "`{column}` is negative; values are ≥ 0"),
            Problem::NotWhole(column) => {
                write!(f, "`{column}` is a count and must be a whole number")
            }
            Problem::NotZeroOne(text) => write!(
                f,
                "`value` `{text}` of a ratio observation must be 0 or 1; for an aggregate \
                 write `numerator` and `denominator`"
            ),
            Problem::NumeratorAboveDenominator => {
                write!(f, "`numerator` is larger than `denominator`")
            }
            Problem::Values { kind, expected } => {
                write!(f, "a {} indicator needs {expected}", kind.as_str())
            }
            Problem::BreakdownNotCounted { id, kind } => write!(
                f,
                "`breakdown` given for `{id}`, a {} indicator, which has none; only a count \
                 is split by category: leave the cell empty",
                kind.as_str()
            ),
            Problem::UnknownCategory { category, hint } => {
                write!(f, "unknown breakdown category `{category}`; {hint}")
            }
            Problem::Csv(crate::responses::Problem::DuplicateId { id, first_line }) => write!(
                f,
                "row_id `{id}` already on line {first_line} (that line was kept)"
            ),
            Problem::Csv(p) => p.fmt(f),
        }
    }
}

/// A rejected row: its line (line 1 is the header) and every problem.
pub type RowError = crate::responses::RowError<Problem>;

/// Everything read from a file.
#[derive(Debug, Default)]
pub struct Parsed {
    /// Rows that passed every check, with their lines, in file order.
    pub rows: Vec<(u64, IndicatorRow)>,
    /// Rows rejected, in file order.
    pub errors: Vec<RowError>,
}

/// "did you mean `x`?", or the list of what is known.
fn hint<'a>(wrong: &str, known: impl IntoIterator<Item = &'a str> + Clone) -> String {
    match did_you_mean(wrong, known.clone()) {
        Some(close) => format!("did you mean `{close}`?"),
        None => format!(
            "known: {}",
            known.into_iter().collect::<Vec<_>>().join(", ")
        ),
    }
}

/// Reads every row of a UTF-8 CSV stream as indicator rows of `program`, as of `now`.
pub fn parse<R: Read>(
    input: R,
    delimiter: u8,
    program: &Program,
    now: Timestamp,
) -> Result<Parsed, IndicatorsError> {
    if program.file.indicators.is_empty() {
        return Err(IndicatorsError::NoIndicators(program.id().to_owned()));
    }
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .has_headers(true)
        .from_reader(Lines::new(input));
    let headers = reader.headers().map_err(IndicatorsError::Header)?.clone();
    let mut columns: Vec<&'static str> = Vec::with_capacity(headers.len());
    for raw in &headers {
        let name = raw
            .trim()
            .trim_start_matches('\u{feff}')
            .trim()
            .to_lowercase();
        let Some(column) = COLUMNS.iter().find(|c| **c == name) else {
            return Err(IndicatorsError::UnknownColumn {
                hint: hint(&name, COLUMNS),
                name,
            });
        };
        if columns.contains(column) {
            return Err(IndicatorsError::DuplicateColumn(name));
        }
        columns.push(column);
    }
    if !columns.contains(&"date") && !columns.contains(&"period") {
        return Err(IndicatorsError::Missing("date"));
    }
    if !columns.contains(&"indicator") {
        return Err(IndicatorsError::Missing("indicator"));
    }
    let checker = Checker {
        program,
        now,
        decimal_comma: delimiter != b',',
    };
    let mut parsed = Parsed::default();
    let mut seen: HashMap<String, u64> = HashMap::new();
    let mut record = csv::StringRecord::new();
    loop {
        let result = reader.read_record(&mut record);
        let line = line_of(&mut reader, record.position());
        match result {
            Ok(false) => break,
            Ok(true) if record.iter().all(|c| c.trim().is_empty()) => {}
            Ok(true) if record.len() != columns.len() => parsed.errors.push(RowError {
                line,
                problems: vec![Problem::Csv(CsvProblem::FieldCount {
                    found: record.len(),
                    expected: columns.len(),
                })],
            }),
            Ok(true) => {
                let cells: HashMap<&str, &str> = columns
                    .iter()
                    .copied()
                    .zip(record.iter().map(str::trim))
                    .filter(|(_, cell)| !cell.is_empty())
                    .collect();
                match checker.row(&cells) {
                    Ok(row) => {
                        if let Some(id) = &row.row_id {
                            if let Some(&first_line) = seen.get(id) {
                                parsed.errors.push(RowError {
                                    line,
                                    problems: vec![Problem::Csv(CsvProblem::DuplicateId {
                                        id: id.clone(),
                                        first_line,
                                    })],
                                });
                                continue;
                            }
                            seen.insert(id.clone(), line);
                        }
                        parsed.rows.push((line, row));
                    }
                    Err(problems) => parsed.errors.push(RowError { line, problems }),
                }
            }
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

/// Checks rows against the program.
struct Checker<'a> {
    program: &'a Program,
    now: Timestamp,
    decimal_comma: bool,
}

impl Checker<'_> {
    fn row(&self, cells: &HashMap<&str, &str>) -> Result<IndicatorRow, Vec<Problem>> {
        let mut problems = Vec::new();
        let period = self.period(cells).map_err(|p| problems.push(p)).ok();
        let indicator = match cells.get("indicator") {
            None => {
                problems.push(Problem::NoIndicator);
                None
            }
            Some(id) => {
                let found = self.program.indicator(id);
                if found.is_none() {
                    let known = self.program.file.indicators.iter().map(|i| i.id.as_str());
                    problems.push(Problem::UnknownIndicator {
                        id: (*id).to_owned(),
                        hint: hint(id, known),
                    });
                }
                found
            }
        };
        let touchpoint = match cells.get("touchpoint") {
            Some(id) => {
                let known = self.program.file.touchpoints.iter().map(|t| t.id.as_str());
                if !known.clone().any(|k| k == *id) {
                    problems.push(Problem::UnknownTouchpoint {
                        id: (*id).to_owned(),
                        hint: hint(id, known),
                    });
                }
                Some((*id).to_owned())
            }
            None => indicator.and_then(|i| i.touchpoint.as_ref().map(|t| t.to_string())),
        };
        let counter = indicator.and_then(|i| self.values(i, cells, &mut problems));
        let category = indicator.and_then(|i| self.category(i, cells, &mut problems));
        match (period, indicator, counter) {
            (Some(period), Some(indicator), Some(counter)) if problems.is_empty() => {
                Ok(IndicatorRow {
                    key: IndicatorKey {
                        period,
                        indicator: indicator.id.to_string(),
                        touchpoint: touchpoint.unwrap_or_default(),
                        segment: cells
                            .get("segment")
                            .map_or_else(String::new, |s| (*s).to_owned()),
                        category: category.unwrap_or_default(),
                    },
                    counter,
                    row_id: cells.get("row_id").map(|s| (*s).to_owned()),
                })
            }
            _ => Err(problems),
        }
    }

    /// The stored period key of the row, from `period` or `date`; never a future period.
    fn period(&self, cells: &HashMap<&str, &str>) -> Result<String, Problem> {
        let calendar = self.program.calendar();
        let zone = calendar.zone();
        let example = || {
            calendar
                .period_of(self.now)
                .map_or_else(|| "2026-11".to_owned(), |p| p.to_string())
        };
        let period: Period = match (cells.get("period"), cells.get("date")) {
            (Some(text), _) => {
                let bad = || Problem::BadPeriod {
                    text: (*text).to_owned(),
                    example: example(),
                };
                let period: Period = text.parse().map_err(|_| bad())?;
                let start = period.start(zone).map_err(|_| bad())?;
                if calendar.period_of(start) != Some(period) {
                    return Err(bad());
                }
                period
            }
            (None, Some(text)) => {
                let date: Date = text
                    .parse()
                    .map_err(|_| Problem::BadDate((*text).to_owned()))?;
                let at = date
                    .to_zoned(zone.clone())
                    .map_err(|_| Problem::BadDate((*text).to_owned()))?
                    .timestamp();
                calendar
                    .period_of(at)
                    .ok_or_else(|| Problem::NoPeriod((*text).to_owned()))?
            }
            (None, None) => return Err(Problem::NoDate),
        };
        match period.start(zone) {
            Ok(start) if start <= self.now => Ok(period.to_string()),
            _ => Err(Problem::Future(period.to_string())),
        }
    }

    /// A number cell: `.` decimals, or `,` in a `;` or tab file.
    fn number(
        &self,
        cells: &HashMap<&str, &str>,
        column: &'static str,
    ) -> Result<Option<f64>, Problem> {
        let Some(text) = cells.get(column) else {
            return Ok(None);
        };
        let written = if self.decimal_comma {
            text.replace(',', ".")
        } else {
            (*text).to_owned()
        };
        match written.parse::<f64>() {
            Ok(v) if v.is_finite() && v < 0.0 => Err(Problem::Negative(column)),
            Ok(v) if v.is_finite() => Ok(Some(v)),
            _ => Err(Problem::NotANumber {
                column,
                text: (*text).to_owned(),
            }),
        }
    }

    /// The counters a row adds, by the indicator's kind.
    fn values(
        &self,
        indicator: &Indicator,
        cells: &HashMap<&str, &str>,
        problems: &mut Vec<Problem>,
    ) -> Option<IndicatorCounter> {
        let mut read = |column| {
            self.number(cells, column)
                .map_err(|p| problems.push(p))
                .ok()
        };
        let (value, n, sd, numerator, denominator) = (
            read("value")?,
            read("n")?,
            read("sd")?,
            read("numerator")?,
            read("denominator")?,
        );
        let whole = |column: &'static str, v: f64, problems: &mut Vec<Problem>| {
            if v.fract() != 0.0 {
                problems.push(Problem::NotWhole(column));
            }
        };
        let kind = *indicator.kind;
        let wrong = |expected| Problem::Values { kind, expected };
        match (kind, value, n, sd, numerator, denominator) {
            (IndicatorKind::Mean, Some(v), None, None, None, None) => {
                Some(IndicatorCounter::observation(v))
            }
            (IndicatorKind::Mean, Some(v), Some(n), sd, None, None) => {
                whole("n", n, problems);
                if n < 1.0 {
                    problems.push(wrong("`n` of at least 1 with its `value`"));
                }
                Some(IndicatorCounter::aggregate(v, n as u64, sd))
            }
            (IndicatorKind::Mean, ..) => {
                problems.push(wrong(
                    "`value` (one observation) or `value` and `n`, with `sd` if known (an aggregate)",
                ));
                None
            }
            (IndicatorKind::Ratio, Some(v), None, None, None, None) => {
                if v != 0.0 && v != 1.0 {
                    problems.push(Problem::NotZeroOne(
                        cells
                            .get("value")
                            .map_or_else(String::new, |s| (*s).to_owned()),
                    ));
                }
                Some(IndicatorCounter::ratio(v, 1.0))
            }
            (IndicatorKind::Ratio, None, None, None, Some(num), Some(den)) => {
                whole("numerator", num, problems);
                whole("denominator", den, problems);
                if num > den {
                    problems.push(Problem::NumeratorAboveDenominator);
                }
                Some(IndicatorCounter::ratio(num, den))
            }
            (IndicatorKind::Ratio, ..) => {
                problems.push(wrong(
                    "`value` 0 or 1 (one case) or `numerator` and `denominator`",
                ));
                None
            }
            (IndicatorKind::Quotient, None, None, None, Some(num), Some(den)) => {
                Some(IndicatorCounter::ratio(num, den))
            }
            (IndicatorKind::Quotient, ..) => {
                problems.push(wrong(
                    "`numerator` and `denominator` (e.g. spend and new customers)",
                ));
                None
            }
            (IndicatorKind::Count, Some(v), None, None, None, None) => {
                whole("value", v, problems);
                Some(IndicatorCounter::ratio(v, 0.0))
            }
            (IndicatorKind::Count, ..) => {
                problems.push(wrong("`value`, the volume"));
                None
            }
        }
    }

    /// The breakdown category of a count's row, when given and declared.
    fn category(
        &self,
        indicator: &Indicator,
        cells: &HashMap<&str, &str>,
        problems: &mut Vec<Problem>,
    ) -> Option<String> {
        let category = cells.get("breakdown")?;
        match indicator
            .breakdown
            .as_ref()
            .filter(|_| *indicator.kind == IndicatorKind::Count)
        {
            None => problems.push(Problem::BreakdownNotCounted {
                id: indicator.id.to_string(),
                kind: *indicator.kind,
            }),
            Some(known) if !known.iter().any(|k| k == category) => {
                problems.push(Problem::UnknownCategory {
                    category: (*category).to_owned(),
                    hint: hint(category, known.iter().map(String::as_str)),
                });
            }
            Some(_) => {}
        }
        Some((*category).to_owned())
    }
}

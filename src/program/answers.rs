//! The one answer rule book: how a raw value, as the web form, the JSON API or a CSV import
//! received it, becomes a typed answer to a question, or why it cannot. Every entry point
//! keeps its own way of reporting problems but takes the verdict from here, so an answer
//! accepted by one is accepted, and stored the same, by the others.
//!
//! The rules:
//! - yes/no questions (and CSAT on the `yes_no` scale) take `oui`/`non`, `yes`/`no`,
//!   `true`/`false` or `1`/`0`, trimmed and case-insensitive; the `green_red` scale takes
//!   `vert`/`rouge`, `green`/`red` or `1`/`0`; in JSON, `true`/`false` or the numbers 1/0;
//! - in JSON, an array answers a `multi` question only (`[3]` for an NPS is refused);
//! - numbers are whole numbers on the question's scale, written plainly: digits only, no sign,
//!   no leading zero (`03` and `+3` are refused, ` 3 ` is trimmed to 3); in JSON they are
//!   JSON numbers (the string `"6"` is refused);
//! - a choice is an option id; a `multi` question refuses the same option given twice;
//! - a text is trimmed, its line ends (CRLF or CR) become LF, control characters other
//!   than LF and tab (NUL, escape, C1…) and the bidirectional overrides and isolates
//!   (U+202A–U+202E, U+2066–U+2069) are removed ([`clean`]), and what is left is at most
//!   `max_length` characters ([`DEFAULT_MAX_LENGTH`] when the question sets none);
//! - an empty value (or JSON `null`) is no answer;
//! - a `check` item takes `yes` (`oui`, `1`), `no` (`non`, `0`) or `not_applicable` (`na`,
//!   `n/a`, `sans_objet`), trimmed and case-insensitive; in JSON also `true`/`false`, or an
//!   object `{"status": "yes", "comment": "…"}`; its comment (the form's `q.<id>.comment`
//!   field, the CSV's `<id>.comment` column) follows the text rules, and a comment alone,
//!   without a status, is refused.

use serde_json::Value;

use super::model::{CsatScale, Question, QuestionType, Survey};
use crate::records::Answer;

/// Longest text answer when the question sets no `max_length`.
pub const DEFAULT_MAX_LENGTH: u32 = 2_000;

/// The spellings of "yes" accepted for yes/no questions, lower case.
pub const YES: [&str; 4] = ["oui", "yes", "true", "1"];
/// The spellings of "no" accepted for yes/no questions, lower case.
pub const NO: [&str; 4] = ["non", "no", "false", "0"];
/// The spellings of "green" accepted on the green/red scale, lower case.
pub const GREEN: [&str; 3] = ["vert", "green", "1"];
/// The spellings of "red" accepted on the green/red scale, lower case.
pub const RED: [&str; 3] = ["rouge", "red", "0"];
/// The spellings of "not applicable" accepted for `check` items, lower case.
pub const NOT_APPLICABLE: [&str; 5] = ["not_applicable", "na", "n/a", "n.a.", "sans_objet"];
/// The suffix naming a `check` item's comment: the form field `q.<id>.comment`, the CSV
/// column `<id>.comment`.
pub const COMMENT_SUFFIX: &str = ".comment";

/// The verdict on one checklist item of an audit visit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckStatus {
    /// The item is met.
    Yes,
    /// The item is not met.
    No,
    /// The item did not apply to this visit: it counts neither as met nor as missed.
    NotApplicable,
}

impl CheckStatus {
    /// The name stored as the answer's choice and written in CSV (`not_applicable`).
    pub fn as_str(self) -> &'static str {
        match self {
            CheckStatus::Yes => "yes",
            CheckStatus::No => "no",
            CheckStatus::NotApplicable => "not_applicable",
        }
    }

    /// 1 for met, 0 for missed, nothing when not applicable: the value the rollups count.
    pub fn met(self) -> Option<u8> {
        match self {
            CheckStatus::Yes => Some(1),
            CheckStatus::No => Some(0),
            CheckStatus::NotApplicable => None,
        }
    }
}

/// One value as an entry point received it.
#[derive(Debug, Clone, Copy)]
pub enum RawValue<'a> {
    /// Text: a form field or a CSV cell.
    Text(&'a str),
    /// A JSON value of the API.
    Json(&'a Value),
}

/// A checked answer, typed by its question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypedAnswer {
    /// A point on a numeric scale (NPS, CSAT, CES; 1 or 0 for yes/no).
    Number(u8),
    /// The option chosen on a `single` question.
    Choice(String),
    /// The options chosen on a `multi` question, in the order given, each once.
    Choices(Vec<String>),
    /// An open answer, trimmed, with LF line ends.
    Text(String),
    /// A checklist item's verdict and the auditor's comment.
    Check(CheckStatus, Option<String>),
}

/// Why a value is not an answer to its question; each message says what to write instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnswerError {
    /// Not a whole number on the question's scale.
    #[error("`{given}` is not a whole number from {min} to {max}")]
    OutOfScale {
        /// As received.
        given: String,
        /// Lowest valid value.
        min: u8,
        /// Highest valid value.
        max: u8,
    },
    /// Not one of the yes/no spellings.
    #[error("`{given}` is not yes or no (oui/non, 1/0)")]
    NotYesNo {
        /// As received.
        given: String,
    },
    /// Not one of the green/red spellings.
    #[error("`{given}` is not green or red (vert/rouge, 1/0)")]
    NotGreenRed {
        /// As received.
        given: String,
    },
    /// An option the question does not offer.
    #[error("`{given}` is not offered; choose {}", choose_among(*several, offered))]
    UnknownChoice {
        /// As received.
        given: String,
        /// The option ids, comma-separated.
        offered: String,
        /// Whether several options may be chosen.
        several: bool,
    },
    /// The same option twice in one answer.
    #[error("`{choice}` is chosen twice; give each option once")]
    RepeatedChoice {
        /// The repeated option id.
        choice: String,
    },
    /// Several values for a question that takes one.
    #[error("{count} answers given; this question takes one")]
    Several {
        /// How many were given.
        count: usize,
    },
    /// A text longer than the question allows.
    #[error("the text has {length} characters, the limit is {max}")]
    TooLong {
        /// Characters given (after line ends are normalised).
        length: usize,
        /// The limit.
        max: u32,
    },
    /// Not one of the `check` spellings.
    #[error("`{given}` is not yes, no or not_applicable (oui/non/na)")]
    NotCheck {
        /// As received.
        given: String,
    },
    /// A `check` comment given without saying whether the item is met.
    #[error("a comment is given but not whether the item is met: add yes, no or not_applicable")]
    CommentWithoutStatus,
    /// A JSON value of the wrong type (a number in quotes, a boolean for a choice…).
    #[error("{given} is the wrong JSON type: send {expected}")]
    JsonType {
        /// The value, as JSON.
        given: String,
        /// What to send instead.
        expected: String,
    },
}

fn choose_among(several: bool, offered: &str) -> String {
    if several {
        format!("options among {offered}")
    } else {
        format!("one of {offered}")
    }
}

/// The longest text `question` accepts, in characters.
pub fn max_length(question: &Question) -> u32 {
    question
        .max_length
        .as_deref()
        .copied()
        .unwrap_or(DEFAULT_MAX_LENGTH)
}

/// The numeric scale `question` is answered on, when it has one. A CSAT question without a
/// scale fails `ecoute check`; stars5 stands in for it here.
pub fn numeric_range(question: &Question) -> Option<(u8, u8)> {
    match *question.kind {
        QuestionType::Nps => Some((0, 10)),
        QuestionType::Ces => Some((1, 7)),
        QuestionType::YesNo => Some((0, 1)),
        QuestionType::Csat => {
            let range = csat_scale(question).values();
            Some((*range.start(), *range.end()))
        }
        QuestionType::Single | QuestionType::Multi | QuestionType::Text | QuestionType::Check => {
            None
        }
    }
}

fn csat_scale(question: &Question) -> CsatScale {
    question
        .scale
        .as_deref()
        .copied()
        .unwrap_or(CsatScale::Stars5)
}

/// Turns the values received for `question` into its typed answer: `Ok(None)` when nothing
/// was given (empty values and JSON `null` are no answer), else the answer or the first
/// reason it is refused.
pub fn parse(question: &Question, values: &[RawValue]) -> Result<Option<TypedAnswer>, AnswerError> {
    parse_with_comment(question, values, None)
}

/// [`parse`], with the comment an auditor wrote beside a `check` item (ignored for other
/// question types, which have none).
pub fn parse_with_comment(
    question: &Question,
    values: &[RawValue],
    comment: Option<RawValue>,
) -> Result<Option<TypedAnswer>, AnswerError> {
    if *question.kind == QuestionType::Check {
        return check(question, values, comment);
    }
    let values: Vec<RawValue> = spread(question, values)?
        .into_iter()
        .filter(|value| !is_blank(*value))
        .collect();
    let Some(first) = values.first().copied() else {
        return Ok(None);
    };
    if values.len() > 1 && *question.kind != QuestionType::Multi {
        return Err(AnswerError::Several {
            count: values.len(),
        });
    }
    let answer = match *question.kind {
        QuestionType::YesNo => TypedAnswer::Number(yes_no(first, &YES, &NO, not_yes_no)?),
        QuestionType::Csat if csat_scale(question) == CsatScale::YesNo => {
            TypedAnswer::Number(yes_no(first, &YES, &NO, not_yes_no)?)
        }
        QuestionType::Csat if csat_scale(question) == CsatScale::GreenRed => {
            TypedAnswer::Number(yes_no(first, &GREEN, &RED, not_green_red)?)
        }
        QuestionType::Nps | QuestionType::Ces | QuestionType::Csat => {
            let (min, max) = numeric_range(question).unwrap_or((0, 0));
            TypedAnswer::Number(number(first, min, max)?)
        }
        QuestionType::Single => TypedAnswer::Choice(choice(question, first, false)?),
        QuestionType::Text => TypedAnswer::Text(text(question, first)?),
        QuestionType::Multi => choices(question, &values)?,
        QuestionType::Check => return check(question, &values, comment),
    };
    Ok(Some(answer))
}

impl TypedAnswer {
    /// The rows the store keeps for this answer to question `question_id`.
    pub fn into_answers(self, question_id: &str) -> Vec<Answer> {
        let row = |ordinal: u32| Answer {
            question_id: question_id.to_owned(),
            ordinal,
            num_value: None,
            choice: None,
            text_value: None,
        };
        match self {
            TypedAnswer::Number(n) => vec![Answer {
                num_value: Some(f64::from(n)),
                ..row(0)
            }],
            TypedAnswer::Choice(choice) => vec![Answer {
                choice: Some(choice),
                ..row(0)
            }],
            TypedAnswer::Choices(choices) => choices
                .into_iter()
                .zip(0u32..)
                .map(|(choice, ordinal)| Answer {
                    choice: Some(choice),
                    ..row(ordinal)
                })
                .collect(),
            TypedAnswer::Text(text) => vec![Answer {
                text_value: Some(text),
                ..row(0)
            }],
            TypedAnswer::Check(status, comment) => vec![Answer {
                num_value: status.met().map(f64::from),
                choice: Some(status.as_str().to_owned()),
                text_value: comment,
                ..row(0)
            }],
        }
    }

    /// What a later question's `show_if` sees of this answer: a number, a choice id, the
    /// list of choice ids, or the text.
    pub fn show_if_value(&self) -> Value {
        match self {
            TypedAnswer::Number(n) => Value::from(*n),
            TypedAnswer::Choice(text) | TypedAnswer::Text(text) => Value::from(text.as_str()),
            TypedAnswer::Choices(choices) => Value::from(choices.clone()),
            TypedAnswer::Check(status, _) => Value::from(status.as_str()),
        }
    }
}

/// What an expression over a whole response (an alert's `when`) sees of its stored answers
/// to `survey`: a number, a choice id, the list of a multi question's choice ids, or the
/// text, by question id, as `show_if` sees the same answers on the form.
pub fn expression_context(survey: &Survey, answers: &[Answer]) -> serde_json::Map<String, Value> {
    let mut context = serde_json::Map::new();
    for question in &survey.questions {
        let id = question.id.as_str();
        let mut rows = answers.iter().filter(|a| a.question_id == id).peekable();
        if rows.peek().is_none() {
            continue;
        }
        let value = if *question.kind == QuestionType::Multi {
            Value::from(rows.filter_map(|a| a.choice.clone()).collect::<Vec<_>>())
        } else if *question.kind == QuestionType::Check {
            match rows.next().and_then(|a| a.choice.clone()) {
                Some(status) => Value::from(status),
                None => continue,
            }
        } else {
            match rows.next() {
                Some(Answer {
                    num_value: Some(number),
                    ..
                }) => Value::from(number.round() as i64),
                Some(Answer {
                    choice: Some(text), ..
                })
                | Some(Answer {
                    text_value: Some(text),
                    ..
                }) => Value::from(text.as_str()),
                _ => continue,
            }
        };
        context.insert(id.to_owned(), value);
    }
    context
}

impl<'a> RawValue<'a> {
    /// The text of a form field, a CSV cell or a JSON string.
    fn as_text(self) -> Option<&'a str> {
        match self {
            RawValue::Text(text) => Some(text),
            RawValue::Json(Value::String(text)) => Some(text),
            RawValue::Json(_) => None,
        }
    }
}

/// Removes what must never reach a report, a CSV cell or a terminal from a respondent's
/// text: control characters except LF and tab (line ends are normalised to LF first by
/// the callers that keep lines), and the bidirectional embeddings, overrides and isolates
/// (U+202A–U+202E, U+2066–U+2069) that can make text display in another order than it
/// reads.
pub fn clean(text: &str) -> String {
    text.chars()
        .filter(|&c| match c {
            '\n' | '\t' => true,
            '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' => false,
            c => !c.is_control(),
        })
        .collect()
}

/// The values with a JSON array spread into its items: an array answers a `multi` question
/// only.
fn spread<'a>(
    question: &Question,
    values: &[RawValue<'a>],
) -> Result<Vec<RawValue<'a>>, AnswerError> {
    let mut spread = Vec::with_capacity(values.len());
    for value in values {
        match value {
            RawValue::Json(Value::Array(items)) if *question.kind == QuestionType::Multi => {
                spread.extend(items.iter().map(RawValue::Json));
            }
            RawValue::Json(array @ Value::Array(_)) => {
                return Err(AnswerError::JsonType {
                    given: array.to_string(),
                    expected: "one value, not an array (arrays answer `multi` questions)"
                        .to_owned(),
                });
            }
            other => spread.push(*other),
        }
    }
    Ok(spread)
}

fn is_blank(value: RawValue) -> bool {
    match (value, value.as_text()) {
        (_, Some(text)) => clean(text).trim().is_empty(),
        (RawValue::Json(json), None) => json.is_null(),
        (RawValue::Text(_), None) => false,
    }
}

/// The value as JSON, for messages.
fn json_text(value: RawValue) -> String {
    match value {
        RawValue::Text(text) => Value::from(text).to_string(),
        RawValue::Json(json) => json.to_string(),
    }
}

fn not_yes_no(given: String) -> AnswerError {
    AnswerError::NotYesNo { given }
}

fn not_green_red(given: String) -> AnswerError {
    AnswerError::NotGreenRed { given }
}

/// 1 for a spelling in `ones`, 0 for one in `zeros`; in JSON, a boolean or the number 1/0.
fn yes_no(
    value: RawValue,
    ones: &[&str],
    zeros: &[&str],
    refuse: fn(String) -> AnswerError,
) -> Result<u8, AnswerError> {
    let spelled = match value {
        RawValue::Text(text) => text.trim().to_lowercase(),
        RawValue::Json(Value::Bool(yes)) => return Ok(u8::from(*yes)),
        RawValue::Json(Value::Number(n)) => n.to_string(),
        RawValue::Json(other) => {
            return Err(AnswerError::JsonType {
                given: other.to_string(),
                expected: "true or false (or the number 1 or 0), without quotes".to_owned(),
            });
        }
    };
    if ones.contains(&spelled.as_str()) {
        Ok(1)
    } else if zeros.contains(&spelled.as_str()) {
        Ok(0)
    } else {
        Err(refuse(spelled))
    }
}

/// A whole number from `min` to `max`; in JSON, a JSON number.
fn number(value: RawValue, min: u8, max: u8) -> Result<u8, AnswerError> {
    let given = match value {
        RawValue::Text(text) => text.trim().to_owned(),
        RawValue::Json(Value::Number(n)) => n.to_string(),
        RawValue::Json(other) => {
            return Err(AnswerError::JsonType {
                given: other.to_string(),
                expected: format!("a JSON number from {min} to {max}, without quotes"),
            });
        }
    };
    let plain =
        given.bytes().all(|b| b.is_ascii_digit()) && !(given.starts_with('0') && given.len() > 1);
    plain
        .then(|| given.parse::<u8>().ok())
        .flatten()
        .filter(|n| (min..=max).contains(n))
        .ok_or(AnswerError::OutOfScale { given, min, max })
}

/// The text of a value that must be written as text (a choice or an open answer).
fn text_of<'a>(value: RawValue<'a>, expected: &str) -> Result<&'a str, AnswerError> {
    value
        .as_text()
        .map(str::trim)
        .ok_or_else(|| AnswerError::JsonType {
            given: json_text(value),
            expected: expected.to_owned(),
        })
}

fn offered(question: &Question) -> Vec<&str> {
    question
        .options
        .as_deref()
        .map(|options| options.iter().map(|o| o.id.as_str()).collect())
        .unwrap_or_default()
}

fn choice(question: &Question, value: RawValue, several: bool) -> Result<String, AnswerError> {
    let options = offered(question);
    let given = text_of(value, "an option id as a JSON string")?;
    if !options.contains(&given) {
        return Err(AnswerError::UnknownChoice {
            given: given.to_owned(),
            offered: options.join(", "),
            several,
        });
    }
    Ok(given.to_owned())
}

fn choices(question: &Question, values: &[RawValue]) -> Result<TypedAnswer, AnswerError> {
    let mut chosen: Vec<String> = Vec::with_capacity(values.len());
    for value in values {
        let choice = choice(question, *value, true)?;
        if chosen.contains(&choice) {
            return Err(AnswerError::RepeatedChoice { choice });
        }
        chosen.push(choice);
    }
    Ok(TypedAnswer::Choices(chosen))
}

/// A `check` item: its status (a JSON object may carry the status and the comment), then
/// its comment as text.
fn check(
    question: &Question,
    values: &[RawValue],
    comment: Option<RawValue>,
) -> Result<Option<TypedAnswer>, AnswerError> {
    let mut values: Vec<RawValue> = values.iter().copied().filter(|v| !is_blank(*v)).collect();
    let mut comment = comment.filter(|c| !is_blank(*c));
    if let [RawValue::Json(Value::Object(object))] = values.as_slice() {
        let status = object.get("status").unwrap_or(&Value::Null);
        comment = comment.or(object.get("comment").map(RawValue::Json));
        values = vec![RawValue::Json(status)];
        values.retain(|v| !is_blank(*v));
        comment = comment.filter(|c| !is_blank(*c));
    }
    let Some(first) = values.first().copied() else {
        return match comment {
            Some(_) => Err(AnswerError::CommentWithoutStatus),
            None => Ok(None),
        };
    };
    if values.len() > 1 {
        return Err(AnswerError::Several {
            count: values.len(),
        });
    }
    let status = match first {
        RawValue::Json(Value::Bool(true)) => CheckStatus::Yes,
        RawValue::Json(Value::Bool(false)) => CheckStatus::No,
        value => {
            let spelled = match value {
                RawValue::Json(Value::Number(n)) => n.to_string(),
                other => text_of(other, "\"yes\", \"no\" or \"not_applicable\"")?.to_lowercase(),
            };
            if YES.contains(&spelled.as_str()) {
                CheckStatus::Yes
            } else if NO.contains(&spelled.as_str()) {
                CheckStatus::No
            } else if NOT_APPLICABLE.contains(&spelled.as_str()) {
                CheckStatus::NotApplicable
            } else {
                return Err(AnswerError::NotCheck { given: spelled });
            }
        }
    };
    let comment = comment.map(|c| text(question, c)).transpose()?;
    Ok(Some(TypedAnswer::Check(status, comment)))
}

fn text(question: &Question, value: RawValue) -> Result<String, AnswerError> {
    let lines = text_of(value, "the text as a JSON string")?
        .replace("\r\n", "\n")
        .replace('\r', "\n");
    let text = clean(&lines).trim().to_owned();
    let max = max_length(question);
    let length = text.chars().count();
    if length > max as usize {
        return Err(AnswerError::TooLong { length, max });
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn question(yaml: &str) -> Question {
        serde_saphyr::from_str(&format!("id: q\ntext: {{ fr: Q }}\n{yaml}")).expect("question")
    }

    fn text(question: &Question, values: &[&str]) -> Result<Option<TypedAnswer>, AnswerError> {
        let raw: Vec<RawValue> = values.iter().map(|v| RawValue::Text(v)).collect();
        parse(question, &raw)
    }

    fn json(question: &Question, value: Value) -> Result<Option<TypedAnswer>, AnswerError> {
        parse(question, &[RawValue::Json(&value)])
    }

    #[test]
    fn yes_no_takes_one_list_of_spellings() {
        let q = question("type: yes_no");
        for yes in ["oui", " Oui ", "YES", "true", "1"] {
            assert_eq!(text(&q, &[yes]), Ok(Some(TypedAnswer::Number(1))), "{yes}");
        }
        for no in ["non", "No", "FALSE", "0"] {
            assert_eq!(text(&q, &[no]), Ok(Some(TypedAnswer::Number(0))), "{no}");
        }
        for refused in ["y", "o", "n", "vrai", "faux", "vert", "peut-être", "2"] {
            assert_eq!(
                text(&q, &[refused]),
                Err(AnswerError::NotYesNo {
                    given: refused.to_lowercase()
                }),
                "{refused}"
            );
        }
        assert_eq!(json(&q, json!(true)), Ok(Some(TypedAnswer::Number(1))));
        assert_eq!(json(&q, json!(0)), Ok(Some(TypedAnswer::Number(0))));
        let quoted = json(&q, json!("true")).expect_err("a string");
        assert_eq!(
            quoted.to_string(),
            "\"true\" is the wrong JSON type: send true or false (or the number 1 or 0), without quotes"
        );
    }

    #[test]
    fn scales_with_two_points_keep_their_own_words() {
        let yes_no = question("type: csat\nscale: yes_no");
        assert_eq!(text(&yes_no, &["Oui"]), Ok(Some(TypedAnswer::Number(1))));
        let green_red = question("type: csat\nscale: green_red");
        assert_eq!(
            text(&green_red, &["Vert"]),
            Ok(Some(TypedAnswer::Number(1)))
        );
        assert_eq!(text(&green_red, &["red"]), Ok(Some(TypedAnswer::Number(0))));
        assert_eq!(text(&green_red, &["0"]), Ok(Some(TypedAnswer::Number(0))));
        assert_eq!(
            text(&green_red, &["oui"]).map_err(|e| e.to_string()),
            Err("`oui` is not green or red (vert/rouge, 1/0)".to_owned())
        );
    }

    #[test]
    fn numbers_are_whole_and_on_the_scale() {
        let nps = question("type: nps");
        assert_eq!(text(&nps, &[" 10 "]), Ok(Some(TypedAnswer::Number(10))));
        assert_eq!(text(&nps, &["0"]), Ok(Some(TypedAnswer::Number(0))));
        for bad in ["11", "-1", "abc", "4.5"] {
            assert_eq!(
                text(&nps, &[bad]).map_err(|e| e.to_string()),
                Err(format!("`{bad}` is not a whole number from 0 to 10"))
            );
        }
        let stars = question("type: csat\nscale: stars5");
        assert_eq!(
            text(&stars, &["0"]),
            Err(AnswerError::OutOfScale {
                given: "0".into(),
                min: 1,
                max: 5
            })
        );
        let ces = question("type: ces");
        assert_eq!(json(&ces, json!(6)), Ok(Some(TypedAnswer::Number(6))));
        assert_eq!(
            json(&ces, json!("6")).map_err(|e| e.to_string()),
            Err(
                "\"6\" is the wrong JSON type: send a JSON number from 1 to 7, without quotes"
                    .to_owned()
            )
        );
        assert!(matches!(
            json(&ces, json!(true)),
            Err(AnswerError::JsonType { .. })
        ));
        assert!(matches!(
            json(&ces, json!(6.5)),
            Err(AnswerError::OutOfScale { .. })
        ));
        assert_eq!(
            text(&ces, &["6", "7"]),
            Err(AnswerError::Several { count: 2 })
        );
    }

    #[test]
    fn choices_are_offered_once_each() {
        let options = "options:\n  - { id: a, label: { fr: A } }\n  - { id: b, label: { fr: B } }";
        let multi = question(&format!("type: multi\n{options}"));
        assert_eq!(
            text(&multi, &["b", " a"]),
            Ok(Some(TypedAnswer::Choices(vec!["b".into(), "a".into()])))
        );
        assert_eq!(
            text(&multi, &["a", "b", "a"]).map_err(|e| e.to_string()),
            Err("`a` is chosen twice; give each option once".to_owned())
        );
        assert_eq!(
            text(&multi, &["c"]).map_err(|e| e.to_string()),
            Err("`c` is not offered; choose options among a, b".to_owned())
        );
        let single = question(&format!("type: single\n{options}"));
        assert_eq!(
            text(&single, &["b"]),
            Ok(Some(TypedAnswer::Choice("b".into())))
        );
        assert_eq!(
            text(&single, &["a", "b"]),
            Err(AnswerError::Several { count: 2 })
        );
        assert!(matches!(
            json(&single, json!(1)),
            Err(AnswerError::JsonType { .. })
        ));
    }

    #[test]
    fn texts_get_lf_line_ends_and_a_limit() {
        let limited = question("type: text\nmax_length: 5");
        assert_eq!(
            text(&limited, &[" a\r\nb\rc "]),
            Ok(Some(TypedAnswer::Text("a\nb\nc".into())))
        );
        assert_eq!(
            text(&limited, &["ééééé"]),
            Ok(Some(TypedAnswer::Text("ééééé".into())))
        );
        assert_eq!(
            text(&limited, &["abcdef"]),
            Err(AnswerError::TooLong { length: 6, max: 5 })
        );
        let default = question("type: text");
        assert_eq!(max_length(&default), 2_000);
        assert!(text(&default, &[&"x".repeat(2_000)]).is_ok());
        assert_eq!(
            text(&default, &[&"x".repeat(2_001)]),
            Err(AnswerError::TooLong {
                length: 2_001,
                max: 2_000
            })
        );
        assert!(matches!(
            json(&default, json!(42)),
            Err(AnswerError::JsonType { .. })
        ));
    }

    #[test]
    fn scale_numbers_are_written_plainly() {
        let nps = question("type: nps");
        assert_eq!(text(&nps, &[" 3"]), Ok(Some(TypedAnswer::Number(3))));
        assert_eq!(text(&nps, &["3 "]), Ok(Some(TypedAnswer::Number(3))));
        assert_eq!(text(&nps, &["0"]), Ok(Some(TypedAnswer::Number(0))));
        for refused in ["03", "+3", "00", "010", "-0", "3\u{0}", "\u{202E}3"] {
            assert!(
                matches!(text(&nps, &[refused]), Err(AnswerError::OutOfScale { .. })),
                "{refused:?}"
            );
        }
        assert!(matches!(
            json(&nps, json!(3.0)),
            Err(AnswerError::OutOfScale { .. })
        ));
    }

    #[test]
    fn texts_lose_control_and_bidi_characters_but_keep_lines_and_tabs() {
        let q = question("type: text\nmax_length: 12");
        assert_eq!(
            text(&q, &["a\u{0}b\u{7}c\u{1b}[31m\td\r\ne\u{7f}"]),
            Ok(Some(TypedAnswer::Text("abc[31m\td\ne".into())))
        );
        let bidi: String = ('\u{202A}'..='\u{202E}')
            .chain('\u{2066}'..='\u{2069}')
            .collect();
        assert_eq!(
            json(&q, json!(format!("gpj.{bidi}exe"))),
            Ok(Some(TypedAnswer::Text("gpj.exe".into())))
        );
        assert_eq!(
            text(&q, &["\u{85}\u{9f}ok"]),
            Ok(Some(TypedAnswer::Text("ok".into()))),
            "C1 controls too"
        );
        assert_eq!(
            text(&q, &["\u{0}\u{202E} "]),
            Ok(None),
            "nothing left: no answer"
        );
        assert_eq!(
            text(&q, &[&format!("{}abcdefghijkl", "\u{0}".repeat(20))]),
            Ok(Some(TypedAnswer::Text("abcdefghijkl".into()))),
            "the limit counts what is kept"
        );
        assert_eq!(clean("é\u{200F}\u{202E}x"), "é\u{200F}x");
    }

    #[test]
    fn arrays_answer_multi_questions_only() {
        let nps = question("type: nps");
        assert!(matches!(
            json(&nps, json!([3])),
            Err(AnswerError::JsonType { .. })
        ));
        let multi = question("type: multi\noptions:\n  - { id: a, label: { fr: A } }");
        assert_eq!(
            json(&multi, json!(["a"])),
            Ok(Some(TypedAnswer::Choices(vec!["a".into()])))
        );
        assert!(matches!(
            json(&multi, json!([["a"]])),
            Err(AnswerError::JsonType { .. })
        ));
    }

    #[test]
    fn check_items_take_yes_no_or_not_applicable_and_a_comment() {
        let q = question("type: check\nweight: 2");
        let check = |values: &[&str], comment: Option<&str>| {
            let raw: Vec<RawValue> = values.iter().map(|v| RawValue::Text(v)).collect();
            parse_with_comment(&q, &raw, comment.map(RawValue::Text))
        };
        assert_eq!(
            check(&["Oui"], None),
            Ok(Some(TypedAnswer::Check(CheckStatus::Yes, None)))
        );
        assert_eq!(
            check(&["0"], Some(" prix \r\n manquants ")),
            Ok(Some(TypedAnswer::Check(
                CheckStatus::No,
                Some("prix \n manquants".into())
            )))
        );
        for na in ["na", "N/A", "not_applicable", "sans_objet"] {
            assert_eq!(
                check(&[na], None),
                Ok(Some(TypedAnswer::Check(CheckStatus::NotApplicable, None))),
                "{na}"
            );
        }
        assert_eq!(
            check(&["peut-être"], None).map_err(|e| e.to_string()),
            Err("`peut-être` is not yes, no or not_applicable (oui/non/na)".to_owned())
        );
        assert_eq!(
            check(&[" "], Some("rien")),
            Err(AnswerError::CommentWithoutStatus)
        );
        assert_eq!(check(&[], Some(" ")), Ok(None));
        assert_eq!(
            json(&q, json!({"status": "no", "comment": "fermé"})),
            Ok(Some(TypedAnswer::Check(
                CheckStatus::No,
                Some("fermé".into())
            )))
        );
        assert_eq!(
            json(&q, json!(true)),
            Ok(Some(TypedAnswer::Check(CheckStatus::Yes, None)))
        );
        // Stored as 1 / 0 (counted by the rollups) or no number for n.a., with the status.
        let rows =
            TypedAnswer::Check(CheckStatus::NotApplicable, Some("x".into())).into_answers("q");
        assert_eq!(rows[0].num_value, None);
        assert_eq!(rows[0].choice.as_deref(), Some("not_applicable"));
        assert_eq!(rows[0].text_value.as_deref(), Some("x"));
        let rows = TypedAnswer::Check(CheckStatus::No, None).into_answers("q");
        assert_eq!(rows[0].num_value, Some(0.0));
    }

    #[test]
    fn empty_values_are_no_answer() {
        let nps = question("type: nps");
        assert_eq!(text(&nps, &[]), Ok(None));
        assert_eq!(text(&nps, &["  "]), Ok(None));
        assert_eq!(json(&nps, Value::Null), Ok(None));
        assert_eq!(json(&nps, json!(" ")), Ok(None));
    }

    #[test]
    fn stored_rows_and_show_if_values() {
        let rows = TypedAnswer::Choices(vec!["b".into(), "a".into()]).into_answers("q");
        let stored: Vec<(u32, Option<&str>)> = rows
            .iter()
            .map(|a| (a.ordinal, a.choice.as_deref()))
            .collect();
        assert_eq!(stored, vec![(0, Some("b")), (1, Some("a"))]);
        let number = TypedAnswer::Number(7).into_answers("q");
        assert_eq!(number[0].num_value, Some(7.0));
        assert_eq!(TypedAnswer::Number(7).show_if_value(), json!(7));
        assert_eq!(
            TypedAnswer::Choices(vec!["a".into()]).show_if_value(),
            json!(["a"])
        );
    }
}

//! Responses back out as CSV, in the shape `ecoute responses import` reads, so a file can
//! travel to a spreadsheet and back. Text cells are made spreadsheet-safe
//! ([`protect_cell`]); numbers are written as they are.

use std::collections::BTreeSet;

use super::cell::protect_cell;
use crate::program::answers::COMMENT_SUFFIX;
use crate::program::model::{QuestionType, Survey};
use crate::records::{StoredResponse, exported_id};

/// The respondent attribute names present in `responses`, sorted: the extra columns.
pub fn attribute_names(responses: &[StoredResponse]) -> Vec<String> {
    let names: BTreeSet<&String> = responses
        .iter()
        .filter_map(|r| r.respondent.as_ref())
        .flat_map(|a| a.keys())
        .collect();
    names.into_iter().cloned().collect()
}

/// The header line: reserved columns, one per question, then the attributes.
pub fn header(survey: &Survey, attributes: &[String]) -> Vec<String> {
    let mut columns: Vec<String> = ["response_id", "submitted_at", "email", "channel"]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    for q in &survey.questions {
        columns.push(q.id.to_string());
        if *q.kind == QuestionType::Check {
            columns.push(format!("{}{COMMENT_SUFFIX}", *q.id));
        }
    }
    columns.extend(attributes.iter().cloned());
    columns
}

/// One response as a CSV record matching [`header`]. Responses without an external id get
/// `ecoute-{id}`, so re-importing an export is idempotent too.
pub fn record(survey: &Survey, attributes: &[String], response: &StoredResponse) -> Vec<String> {
    let text = |t: &str| protect_cell(t).into_owned();
    let mut cells = vec![
        response
            .external_id
            .as_deref()
            .map_or_else(|| exported_id(response.id), text),
        response.submitted_at.to_string(),
        text(response.email.as_deref().unwrap_or_default()),
        text(&response.channel),
    ];
    for question in &survey.questions {
        let mut values = Vec::new();
        let mut any_text = false;
        let answers: Vec<&crate::records::Answer> = response
            .answers
            .iter()
            .filter(|a| a.question_id == *question.id)
            .collect();
        if *question.kind == QuestionType::Check {
            let status = answers.first().and_then(|a| a.choice.as_deref());
            cells.push(text(status.unwrap_or_default()));
            let comment = answers.first().and_then(|a| a.text_value.as_deref());
            cells.push(text(comment.unwrap_or_default()));
            continue;
        }
        for answer in answers {
            match (&answer.num_value, &answer.choice, &answer.text_value) {
                (Some(n), _, _) => values.push(format_number(*n)),
                (None, Some(t), _) | (None, None, Some(t)) => {
                    any_text = true;
                    values.push(t.clone());
                }
                _ => {}
            }
        }
        let joined = values.join(&super::MULTI_SEPARATOR.to_string());
        cells.push(if any_text { text(&joined) } else { joined });
    }
    for name in attributes {
        let value = response.respondent.as_ref().and_then(|a| a.get(name));
        cells.push(value.map(attribute_cell).unwrap_or_default());
    }
    cells
}

/// An attribute as a cell: text made spreadsheet-safe, numbers and booleans as they are.
pub fn attribute_cell(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => protect_cell(s).into_owned(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Whole numbers without a decimal point, as they were typed.
fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        n.to_string()
    }
}

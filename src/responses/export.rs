//! Responses back out as CSV, in the shape `ecoute responses import` reads, so a file can
//! travel to a spreadsheet and back.

use std::collections::BTreeSet;

use crate::program::model::Survey;
use crate::store::StoredResponse;

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
    columns.extend(survey.questions.iter().map(|q| q.id.to_string()));
    columns.extend(attributes.iter().cloned());
    columns
}

/// One response as a CSV record matching [`header`]. Responses without an external id get
/// `ecoute-{id}`, so re-importing an export is idempotent too.
pub fn record(survey: &Survey, attributes: &[String], response: &StoredResponse) -> Vec<String> {
    let mut cells = vec![
        response
            .external_id
            .clone()
            .unwrap_or_else(|| format!("ecoute-{}", response.id)),
        response.submitted_at.to_string(),
        response.email.clone().unwrap_or_default(),
        response.channel.clone(),
    ];
    for question in &survey.questions {
        let values: Vec<String> = response
            .answers
            .iter()
            .filter(|a| a.question_id == *question.id)
            .filter_map(|a| match (&a.num_value, &a.choice, &a.text_value) {
                (Some(n), _, _) => Some(format_number(*n)),
                (None, Some(c), _) => Some(c.clone()),
                (None, None, Some(t)) => Some(t.clone()),
                _ => None,
            })
            .collect();
        cells.push(values.join(&super::MULTI_SEPARATOR.to_string()));
    }
    for name in attributes {
        let value = response
            .respondent
            .as_ref()
            .and_then(|a| a.get(name))
            .map(|v| match v {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Null => String::new(),
                other => other.to_string(),
            })
            .unwrap_or_default();
        cells.push(value);
    }
    cells
}

/// Whole numbers without a decimal point, as they were typed.
fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        n.to_string()
    }
}

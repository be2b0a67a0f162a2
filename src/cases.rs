//! Closing the loop, as pure rules: which alert rules a stored answer matches and whom they
//! tell, how a case moves through its states, and when it is overdue. The store keeps
//! cases; the web server, the API, imports and the CLI call these rules.

use jiff::{SignedDuration, Timestamp};
use lettre::message::Mailbox;
use serde::Serialize;

use crate::expr::Expr;
use crate::program::Program;
use crate::program::answers::expression_context;
use crate::program::model::Recipient;
use crate::records::NewResponse;

/// The wave channel of alert emails: not an identifier a program can declare.
pub const ALERT_CHANNEL: &str = "!alert";

/// A case to open with its response.
#[derive(Debug, Clone, PartialEq)]
pub struct NewCase {
    /// The alert rule that matched.
    pub rule_id: String,
    /// When the promised call-back is due.
    pub due_at: Timestamp,
    /// One alert email per recipient.
    pub alerts: Vec<NewAlert>,
}

/// One alert email to queue.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAlert {
    /// The recipient, as resolved (may not parse: the alert then fails alone).
    pub email: String,
    /// Its email template.
    pub template: String,
    /// Why it cannot be sent, when known already (no address attribute).
    pub problem: Option<String>,
}

/// A case as stored, with who answered (`None` when anonymous or erased).
#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    /// Row id, the number `ecoute cases` shows.
    pub id: i64,
    /// The response that opened it.
    pub response_id: i64,
    /// Program id.
    pub program_id: String,
    /// Survey id.
    pub survey_id: String,
    /// Touchpoint of the survey.
    pub touchpoint_id: Option<String>,
    /// Period of the response.
    pub period: String,
    /// The alert rule.
    pub rule_id: String,
    /// Where it is.
    pub status: CaseStatus,
    /// The owner's note.
    pub note: Option<String>,
    /// When it opened (the response was stored).
    pub opened_at: Timestamp,
    /// When the call-back is due.
    pub due_at: Timestamp,
    /// When the owner first reached the customer.
    pub contacted_at: Option<Timestamp>,
    /// When it was resolved.
    pub resolved_at: Option<Timestamp>,
    /// When the owner gave up reaching the customer.
    pub unreachable_at: Option<Timestamp>,
    /// The respondent's email.
    pub respondent_email: Option<String>,
    /// The respondent's first and last names, as the contact had them.
    pub respondent_name: Option<String>,
}

/// Email template of alerts whose rule names none.
pub const DEFAULT_ALERT_TEMPLATE: &str = "alert";

/// The states of a case; the names are the store's `status` values.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    strum::Display,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::VariantArray,
)]
#[strum(serialize_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    /// Opened by an alert; nobody has called the customer yet.
    Open,
    /// The owner reached the customer.
    Contacted,
    /// The customer's problem is solved: the case is closed.
    Resolved,
    /// The owner could not reach the customer: the case is closed.
    NotReachable,
}

impl CaseStatus {
    /// The states a case may move to from this one, in the order they are offered.
    pub fn next(self) -> &'static [CaseStatus] {
        match self {
            CaseStatus::Open => &[CaseStatus::Contacted, CaseStatus::NotReachable],
            CaseStatus::Contacted => &[CaseStatus::Resolved, CaseStatus::NotReachable],
            CaseStatus::NotReachable => &[CaseStatus::Contacted],
            CaseStatus::Resolved => &[],
        }
    }
}

/// A status change out of order (`resolved → open`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a case cannot go from `{from}` to `{to}`; {}", allowed_text(*from))]
pub struct TransitionError {
    /// Where the case is.
    pub from: CaseStatus,
    /// Where it was asked to go.
    pub to: CaseStatus,
}

fn allowed_text(from: CaseStatus) -> String {
    let next: Vec<&str> = from.next().iter().map(|s| s.into()).collect();
    if next.is_empty() {
        format!("`{from}` is final")
    } else {
        format!("from `{from}` it may go to: {}", next.join(", "))
    }
}

/// Checks that a case may move from `from` to `to`.
pub fn transition(from: CaseStatus, to: CaseStatus) -> Result<(), TransitionError> {
    if from.next().contains(&to) {
        Ok(())
    } else {
        Err(TransitionError { from, to })
    }
}

/// When the call-back promised by `hours` is due for a case opened at `opened_at`.
pub fn due_at(opened_at: Timestamp, hours: u32) -> Timestamp {
    opened_at
        .checked_add(SignedDuration::from_hours(i64::from(hours)))
        .unwrap_or(Timestamp::MAX)
}

/// A case is overdue when it is still open (nobody reached the customer) past its due time.
pub fn is_overdue(status: CaseStatus, due_at: Timestamp, now: Timestamp) -> bool {
    status == CaseStatus::Open && now >= due_at
}

/// The cases `response` opens: one per alert rule of its survey whose `when` holds over its
/// answers, each telling the rule's recipients. A `when` that reads a question left
/// unanswered does not hold.
pub fn open(program: &Program, response: &NewResponse) -> Vec<NewCase> {
    let Some(survey) = program
        .file
        .surveys
        .iter()
        .find(|s| *s.id == response.survey_id)
    else {
        return Vec::new();
    };
    let context = minijinja::Value::from(minijinja::value::Serde(expression_context(
        survey,
        &response.answers,
    )));
    program
        .file
        .alerts
        .iter()
        .filter(|rule| *rule.survey == response.survey_id)
        .filter(|rule| {
            Expr::shared(&rule.when)
                .is_some_and(|expr| expr.eval_bool(context.clone()).unwrap_or(false))
        })
        .map(|rule| NewCase {
            rule_id: rule.id.to_string(),
            due_at: due_at(response.submitted_at, *rule.respond_within_hours),
            alerts: rule
                .notify
                .iter()
                .map(|recipient| alert(recipient, response, rule.template.as_deref()))
                .collect(),
        })
        .collect()
}

/// One recipient's alert: the address (its email part when it parses, else as written, so
/// sending fails with the parser's reason), or why there is none.
fn alert(recipient: &Recipient, response: &NewResponse, template: Option<&String>) -> NewAlert {
    let template = template
        .map_or(DEFAULT_ALERT_TEMPLATE, String::as_str)
        .to_owned();
    let (written, problem) = match recipient {
        Recipient::Address(address) => (address.trim().to_owned(), None),
        Recipient::Attribute { attribute } => match response
            .respondent
            .as_ref()
            .and_then(|r| r.get(attribute.as_str()))
            .and_then(|v| v.as_str())
        {
            Some(address) => (address.trim().to_owned(), None),
            None => (
                format!("attribute:{}", **attribute),
                Some(format!(
                    "the respondent has no `{}` attribute to send the alert to",
                    **attribute
                )),
            ),
        },
    };
    let email = written
        .parse::<Mailbox>()
        .map(|mailbox| mailbox.email.to_string())
        .unwrap_or(written);
    NewAlert {
        email,
        template,
        problem,
    }
}

/// One answer as an alert email and the case page show it: the question's text and the
/// answer (a score, the labels of the chosen options, yes or no).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ShownAnswer {
    /// The question, in the reader's locale.
    pub question: String,
    /// The answer.
    pub value: String,
}

/// The answers of a stored response to `survey`, in question order, split into scores and
/// choices (`answers`) and verbatims (`verbatims`, whose text is `value`); texts in
/// `locale`, else the program's `default` locale.
pub fn shown_answers(
    survey: &crate::program::model::Survey,
    answers: &[crate::records::Answer],
    locale: &str,
    default: &str,
) -> (Vec<ShownAnswer>, Vec<ShownAnswer>) {
    use crate::program::model::{LocalizedText, QuestionType};
    let (mut shown, mut verbatims) = (Vec::new(), Vec::new());
    for question in &survey.questions {
        let rows: Vec<_> = answers
            .iter()
            .filter(|a| a.question_id == *question.id)
            .collect();
        if rows.is_empty() {
            continue;
        }
        let label = |choice: &str| {
            question
                .options
                .as_ref()
                .and_then(|options| options.iter().find(|o| *o.id == choice))
                .map_or(choice.to_owned(), |o| {
                    o.label.pick(locale, default).to_owned()
                })
        };
        let yes_no = |n: f64| match (n > 0.5, locale.starts_with("fr")) {
            (true, true) => "oui",
            (false, true) => "non",
            (true, false) => "yes",
            (false, false) => "no",
        };
        let value = rows
            .iter()
            .filter_map(|a| match (a.num_value, &a.choice, &a.text_value) {
                (Some(n), _, _) if *question.kind == QuestionType::YesNo => {
                    Some(yes_no(n).to_owned())
                }
                (Some(n), _, _) => Some(format!("{n}")),
                (None, Some(choice), _) => Some(label(choice)),
                (None, None, Some(text)) => Some(text.clone()),
                (None, None, None) => None,
            })
            .collect::<Vec<_>>()
            .join(", ");
        let line = ShownAnswer {
            question: question.text.pick(locale, default).to_owned(),
            value,
        };
        if *question.kind == QuestionType::Text {
            verbatims.push(line);
        } else {
            shown.push(line);
        }
    }
    (shown, verbatims)
}

/// A case as `ecoute cases --format json` and `GET /api/v1/cases` show it, with whether it
/// is overdue at `now`.
pub fn case_json(case: &Case, now: Timestamp) -> serde_json::Value {
    serde_json::json!({
        "id": case.id,
        "program": case.program_id,
        "survey": case.survey_id,
        "touchpoint": case.touchpoint_id,
        "period": case.period,
        "rule": case.rule_id,
        "status": case.status,
        "overdue": is_overdue(case.status, case.due_at, now),
        "note": case.note,
        "opened_at": case.opened_at.to_string(),
        "due_at": case.due_at.to_string(),
        "contacted_at": case.contacted_at.map(|t| t.to_string()),
        "resolved_at": case.resolved_at.map(|t| t.to_string()),
        "not_reachable_at": case.unreachable_at.map(|t| t.to_string()),
        "respondent": {
            "email": case.respondent_email,
            "name": case.respondent_name,
        },
        "response_id": case.response_id,
    })
}

/// How the cases of one touchpoint in one period were followed up, as the report counts
/// them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FollowUp {
    /// Touchpoint id (empty when the survey had none).
    pub touchpoint: String,
    /// The report period the cases' responses count in.
    pub period: String,
    /// Alerts opened: cases.
    pub opened: u64,
    /// Cases whose promise can be judged: handled, or still open past their due time.
    pub judged: u64,
    /// Of those, handled (contacted or found unreachable) before their due time.
    pub in_time: u64,
    /// `in_time / judged`, in percent.
    pub in_time_share: Option<f64>,
    /// Median hours from opening to the first contact, over contacted cases.
    pub median_hours_to_contact: Option<f64>,
    /// Median hours from opening to resolution, over resolved cases.
    pub median_hours_to_resolution: Option<f64>,
}

/// An open case past its promised call-back, without anything about the respondent.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OverdueCase {
    /// The case number.
    pub id: i64,
    /// Its alert rule.
    pub rule: String,
    /// Its touchpoint.
    pub touchpoint: String,
    /// The period of its response.
    pub period: String,
    /// When it opened.
    pub opened_at: Timestamp,
    /// When the call-back was due.
    pub due_at: Timestamp,
    /// Hours past due at the report's time.
    pub hours_overdue: f64,
}

/// The case left `open` (contacted, or found unreachable) before its due time: `None` while
/// that cannot be told yet (still open, not due).
pub fn handled_in_time(case: &Case, now: Timestamp) -> Option<bool> {
    let first_step = [case.contacted_at, case.unreachable_at]
        .into_iter()
        .flatten()
        .min();
    match first_step {
        Some(at) => Some(at < case.due_at),
        None if is_overdue(case.status, case.due_at, now) => Some(false),
        None => None,
    }
}

/// Hours from `from` to `to`.
fn hours_between(from: Timestamp, to: Timestamp) -> f64 {
    from.duration_until(to).as_secs_f64() / 3600.0
}

/// The median of `values` (the mean of the two middle ones for an even count).
pub fn median(values: &mut [f64]) -> Option<f64> {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(values[n / 2]),
        _ => Some((values[n / 2 - 1] + values[n / 2]) / 2.0),
    }
}

/// The follow-up per touchpoint and report period of the cases whose period is a part of
/// one of `periods` (`(report period, its stored parts)`), in the order of `periods` then
/// touchpoint id.
pub fn follow_up(
    cases: &[Case],
    periods: &[(String, Vec<String>)],
    now: Timestamp,
) -> Vec<FollowUp> {
    let hours = |from: Timestamp, to: Timestamp| hours_between(from, to);
    let mut out = Vec::new();
    for (period, parts) in periods {
        let mut touchpoints: Vec<String> = cases
            .iter()
            .filter(|c| parts.contains(&c.period))
            .map(|c| c.touchpoint_id.clone().unwrap_or_default())
            .collect();
        touchpoints.sort();
        touchpoints.dedup();
        for touchpoint in touchpoints {
            let mine: Vec<&Case> = cases
                .iter()
                .filter(|c| parts.contains(&c.period))
                .filter(|c| c.touchpoint_id.as_deref().unwrap_or_default() == touchpoint)
                .collect();
            let verdicts: Vec<bool> = mine
                .iter()
                .filter_map(|c| handled_in_time(c, now))
                .collect();
            let judged = verdicts.len() as u64;
            let in_time = verdicts.iter().filter(|v| **v).count() as u64;
            let mut to_contact: Vec<f64> = mine
                .iter()
                .filter_map(|c| c.contacted_at.map(|at| hours(c.opened_at, at)))
                .collect();
            let mut to_resolution: Vec<f64> = mine
                .iter()
                .filter_map(|c| c.resolved_at.map(|at| hours(c.opened_at, at)))
                .collect();
            out.push(FollowUp {
                touchpoint,
                period: period.clone(),
                opened: mine.len() as u64,
                judged,
                in_time,
                in_time_share: (judged > 0).then(|| 100.0 * in_time as f64 / judged as f64),
                median_hours_to_contact: median(&mut to_contact),
                median_hours_to_resolution: median(&mut to_resolution),
            });
        }
    }
    out
}

/// The open cases past due at `now`, most overdue first.
pub fn overdue(cases: &[Case], now: Timestamp) -> Vec<OverdueCase> {
    let mut out: Vec<OverdueCase> = cases
        .iter()
        .filter(|c| is_overdue(c.status, c.due_at, now))
        .map(|c| OverdueCase {
            id: c.id,
            rule: c.rule_id.clone(),
            touchpoint: c.touchpoint_id.clone().unwrap_or_default(),
            period: c.period.clone(),
            opened_at: c.opened_at,
            due_at: c.due_at,
            hours_overdue: hours_between(c.due_at, now),
        })
        .collect();
    out.sort_by_key(|c| (c.due_at, c.id));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use strum::VariantArray;

    #[test]
    fn cases_move_forward_only_and_say_where_they_may_go() {
        use CaseStatus::*;
        assert!(transition(Open, Contacted).is_ok());
        assert!(transition(Contacted, Resolved).is_ok());
        assert!(transition(Open, NotReachable).is_ok());
        assert!(transition(NotReachable, Contacted).is_ok());
        let refused = transition(Resolved, Open).expect_err("out of order");
        assert_eq!(
            refused.to_string(),
            "a case cannot go from `resolved` to `open`; `resolved` is final"
        );
        let skipped = transition(Open, Resolved).expect_err("a step skipped");
        assert_eq!(
            skipped.to_string(),
            "a case cannot go from `open` to `resolved`; from `open` it may go to: contacted, not_reachable"
        );
        for status in CaseStatus::VARIANTS {
            assert!(transition(*status, *status).is_err(), "{status} to itself");
            assert!(transition(*status, Open).is_err(), "{status} back to open");
        }
    }

    #[test]
    fn the_median_of_an_even_count_is_the_mean_of_the_middle_two() {
        assert_eq!(median(&mut []), None);
        assert_eq!(median(&mut [60.0, 2.0, 4.0]), Some(4.0));
        assert_eq!(median(&mut [10.0, 100.0]), Some(55.0));
    }

    #[test]
    fn overdue_means_still_open_past_the_promised_delay() {
        let opened: Timestamp = "2026-12-01T09:00:00Z".parse().expect("time");
        let due = due_at(opened, 48);
        assert_eq!(due, "2026-12-03T09:00:00Z".parse().expect("time"));
        let before = "2026-12-03T08:59:59Z".parse().expect("time");
        assert!(!is_overdue(CaseStatus::Open, due, before));
        assert!(is_overdue(CaseStatus::Open, due, due));
        assert!(!is_overdue(CaseStatus::Contacted, due, due));
        assert!(!is_overdue(CaseStatus::NotReachable, due, due));
    }
}

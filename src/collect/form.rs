//! The survey form as pure logic: what to show for each question, and the server-side check
//! of what came back (required answers and `show_if` re-evaluated over the submitted
//! answers here; each answer judged by the rule book, [`crate::program::answers`]). No I/O
//! here: handlers and the JSON API call it.

use std::collections::BTreeMap;

use serde::Serialize;

use super::texts::{Texts, fill};
use crate::expr::Expr;
use crate::metrics::CsatScale;
use crate::program::answers::{self, AnswerError, RawValue};
use crate::program::model::{LocalizedText, Question, QuestionType, Survey};
use crate::records::Answer;

/// The prefix of every answer field in the HTML form (`q.recommandation`), so that answers
/// never collide with the form's own fields.
pub const FIELD_PREFIX: &str = "q.";

/// One value received for a question, kept as it came so the rule book can tell a typed
/// JSON number from text.
#[derive(Debug, Clone, PartialEq)]
enum Received {
    /// A form field.
    Text(String),
    /// A JSON value of the API.
    Json(serde_json::Value),
}

impl Received {
    fn raw(&self) -> RawValue<'_> {
        match self {
            Received::Text(text) => RawValue::Text(text),
            Received::Json(json) => RawValue::Json(json),
        }
    }
}

/// The values submitted per question id, in the order given.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RawAnswers(BTreeMap<String, Vec<Received>>);

impl RawAnswers {
    /// Reads the answer fields of an HTML form post (`q.<id>=<value>`, repeated for
    /// multiple choice); other fields and empty values are ignored.
    pub fn from_form(pairs: &[(String, String)]) -> Self {
        let mut map: BTreeMap<String, Vec<Received>> = BTreeMap::new();
        for (name, value) in pairs {
            if let Some(id) = name.strip_prefix(FIELD_PREFIX)
                && !value.trim().is_empty()
            {
                map.entry(id.to_owned())
                    .or_default()
                    .push(Received::Text(value.clone()));
            }
        }
        RawAnswers(map)
    }

    /// Reads a JSON object `{question_id: value}`: a value is a JSON number, a boolean
    /// (yes/no), a string (a choice or a text) or an array (multiple choice), kept whole:
    /// the rule book judges the types, arrays included.
    pub fn from_json(object: &serde_json::Map<String, serde_json::Value>) -> Self {
        let map = object
            .iter()
            .map(|(id, value)| (id.clone(), vec![Received::Json(value.clone())]))
            .collect();
        RawAnswers(map)
    }

    fn raw(&self, id: &str) -> Vec<RawValue<'_>> {
        self.0
            .get(id)
            .map(|values| values.iter().map(Received::raw).collect())
            .unwrap_or_default()
    }

    /// The form fields given for `id`, to show them again.
    fn texts(&self, id: &str) -> Vec<&str> {
        self.0
            .get(id)
            .map(|values| {
                values
                    .iter()
                    .filter_map(|v| match v {
                        Received::Text(text) => Some(text.as_str()),
                        Received::Json(_) => None,
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Why one answer was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldError {
    /// A required question without an answer.
    Required,
    /// The rule book refused the answer.
    Invalid(AnswerError),
}

impl FieldError {
    /// The message shown next to the question, in the form's language.
    pub fn message(&self, t: &Texts) -> String {
        let range = |min: u8, max: u8| {
            fill(
                t.err_range,
                &[("min", min.to_string()), ("max", max.to_string())],
            )
        };
        match self {
            FieldError::Required => t.err_required.to_owned(),
            FieldError::Invalid(error) => match error {
                AnswerError::OutOfScale { min, max, .. } => range(*min, *max),
                AnswerError::NotYesNo { .. } | AnswerError::NotGreenRed { .. } => range(0, 1),
                AnswerError::Several { .. } => t.err_several.to_owned(),
                AnswerError::TooLong { max, .. } => fill(t.err_too_long, &[("n", max.to_string())]),
                AnswerError::UnknownChoice { .. }
                | AnswerError::NotCheck { .. }
                | AnswerError::CommentWithoutStatus
                | AnswerError::RepeatedChoice { .. }
                | AnswerError::JsonType { .. } => t.err_choice.to_owned(),
            },
        }
    }

    /// The message for the JSON API (English, with the question id and, for a refused
    /// answer, the rule book's word on what to send instead).
    pub fn api_message(&self, question: &str) -> String {
        let t = super::texts::texts("en");
        match self {
            FieldError::Required => format!("`{question}`: {}", self.message(t)),
            FieldError::Invalid(error @ AnswerError::JsonType { .. }) => {
                format!("`{question}`: {error}")
            }
            FieldError::Invalid(error) => {
                format!("`{question}`: {} ({error})", self.message(t))
            }
        }
    }
}

/// The problems of a submission, by question id.
pub type FieldErrors = BTreeMap<String, FieldError>;

/// Checks a submission against the survey. Questions whose `show_if` is false (or reads an
/// earlier question left unanswered) are hidden: their answers are ignored and they are
/// never required. Returns the answers to store, or every problem at once.
pub fn validate(survey: &Survey, raw: &RawAnswers) -> Result<Vec<Answer>, FieldErrors> {
    let mut answers = Vec::new();
    let mut errors = FieldErrors::new();
    let mut context = serde_json::Map::new();
    for question in &survey.questions {
        let id = question.id.as_str();
        if !visible(question, &context) {
            continue;
        }
        let comment = raw.raw(&comment_key(id));
        match answers::parse_with_comment(question, &raw.raw(id), comment.first().copied()) {
            Ok(None) => {
                if question.required {
                    errors.insert(id.to_owned(), FieldError::Required);
                }
            }
            Ok(Some(typed)) => {
                context.insert(id.to_owned(), typed.show_if_value());
                answers.extend(typed.into_answers(id));
            }
            Err(error) => {
                errors.insert(id.to_owned(), FieldError::Invalid(error));
            }
        }
    }
    if errors.is_empty() {
        Ok(answers)
    } else {
        Err(errors)
    }
}

/// The key under which a `check` item's comment arrives (`q.<id>.comment` on the form,
/// `<id>.comment` in JSON).
fn comment_key(id: &str) -> String {
    format!("{id}{}", answers::COMMENT_SUFFIX)
}

/// Whether a question is shown, given the answers before it (as `show_if` sees them).
fn visible(question: &Question, context: &serde_json::Map<String, serde_json::Value>) -> bool {
    let Some(condition) = &question.show_if else {
        return true;
    };
    let Some(expr) = Expr::shared(condition) else {
        return false;
    };
    let value = minijinja::Value::from(minijinja::value::Serde(context));
    expr.eval_bool(value).unwrap_or(false)
}

/// One question as the template draws it.
#[derive(Debug, Clone, Serialize)]
pub struct QuestionView {
    /// Question id.
    pub id: String,
    /// Form field name.
    pub field: String,
    /// `nps`, `csat`, `ces`, `yes_no`, `single`, `multi` or `text`.
    pub kind: &'static str,
    /// For CSAT: the scale's name (`stars5`…), for styling.
    pub scale: Option<&'static str>,
    /// The question in the respondent's language.
    pub text: String,
    /// Must be answered (when shown).
    pub required: bool,
    /// Shown only after some answers (`show_if`) that the stylesheet cannot follow: the
    /// question stays visible with a hint, and the server decides.
    pub conditional: bool,
    /// The stylesheet's slot (`reveal-1`…) that hides this conditional question until a
    /// choice marked with the same slot is checked; the server still decides.
    pub reveal: Option<usize>,
    /// The answers to pick from (radio buttons or checkboxes), with the submitted ones
    /// checked.
    pub choices: Vec<ChoiceView>,
    /// Text at the low end of a numeric row.
    pub low_label: Option<&'static str>,
    /// Text at the high end of a numeric row.
    pub high_label: Option<&'static str>,
    /// A text answer given before (kept when the form is shown again).
    pub value: String,
    /// For text: the limit in characters.
    pub max_length: Option<u32>,
    /// For `check`: the comment box's field name and the comment given before.
    pub comment: Option<(String, String)>,
    /// The error to show next to the question.
    pub error: Option<String>,
}

/// One clickable answer.
#[derive(Debug, Clone, Serialize)]
pub struct ChoiceView {
    /// Submitted value.
    pub value: String,
    /// Visible label.
    pub label: String,
    /// Selected in the previous submission.
    pub checked: bool,
    /// The reveal slots (`r1 r3`) of the later questions this choice makes visible.
    pub reveals: String,
    /// For smileys: the face's mood, from -2 (very unhappy) to 2 (very happy).
    pub mood: Option<i8>,
}

/// The questions of `survey` ready to draw in `locale`, with earlier values and errors.
pub fn view(
    survey: &Survey,
    locale: &str,
    default_locale: &str,
    t: &Texts,
    raw: &RawAnswers,
    errors: &FieldErrors,
) -> Vec<QuestionView> {
    let reveals = reveal_slots(survey, locale, default_locale, t);
    survey
        .questions
        .iter()
        .enumerate()
        .map(|(index, question)| {
            let id = question.id.to_string();
            let given = raw.texts(&id);
            let reveal = reveals
                .iter()
                .position(|(target, _)| *target == index)
                .map(|slot| slot + 1);
            let (low_label, high_label) = match *question.kind {
                QuestionType::Nps => (Some(t.nps_low), Some(t.nps_high)),
                QuestionType::Ces => (Some(t.ces_low), Some(t.ces_high)),
                _ => (None, None),
            };
            let moods = moods(question);
            let choices = choices(question, locale, default_locale, t)
                .into_iter()
                .enumerate()
                .map(|(n, (value, label))| ChoiceView {
                    checked: given.iter().any(|g| g.trim() == value),
                    reveals: reveals
                        .iter()
                        .enumerate()
                        .filter(|(_, (_, by))| by.contains(&(index, value.clone())))
                        .map(|(slot, _)| format!("r{}", slot + 1))
                        .collect::<Vec<_>>()
                        .join(" "),
                    mood: moods.get(n).copied(),
                    value,
                    label,
                })
                .collect();
            QuestionView {
                field: format!("{FIELD_PREFIX}{id}"),
                kind: question.kind.as_str(),
                scale: question.scale.as_deref().map(|s| s.as_str()),
                text: question.text.pick(locale, default_locale).to_owned(),
                required: question.required,
                conditional: question.show_if.is_some() && reveal.is_none(),
                reveal,
                choices,
                low_label,
                high_label,
                value: match *question.kind {
                    QuestionType::Text => {
                        given.first().map(|t| (*t).to_owned()).unwrap_or_default()
                    }
                    _ => String::new(),
                },
                max_length: matches!(*question.kind, QuestionType::Text | QuestionType::Check)
                    .then(|| answers::max_length(question)),
                comment: (*question.kind == QuestionType::Check).then(|| {
                    let key = comment_key(&id);
                    let given = raw.texts(&key).first().map(|t| (*t).to_owned());
                    (format!("{FIELD_PREFIX}{key}"), given.unwrap_or_default())
                }),
                error: errors.get(&id).map(|e| e.message(t)),
                id,
            }
        })
        .collect()
}

fn choices(
    question: &Question,
    locale: &str,
    default_locale: &str,
    t: &Texts,
) -> Vec<(String, String)> {
    let numbers = |min: u8, max: u8| -> Vec<(String, String)> {
        (min..=max)
            .map(|n| (n.to_string(), n.to_string()))
            .collect()
    };
    match *question.kind {
        QuestionType::Nps => numbers(0, 10),
        QuestionType::Ces => numbers(1, 7),
        QuestionType::YesNo => yes_no(t.yes, t.no),
        QuestionType::Csat => match question.scale.as_deref().copied() {
            Some(CsatScale::Stars5) => (1..=5u8)
                .map(|n| {
                    let stars = "★".repeat(usize::from(n));
                    let spoken = fill(t.stars, &[("n", n.to_string())]);
                    (n.to_string(), format!("{stars} {spoken}"))
                })
                .collect(),
            Some(CsatScale::Smileys5) => (1..=5u8)
                .zip(t.smileys5)
                .map(|(n, label)| (n.to_string(), label.to_owned()))
                .collect(),
            Some(CsatScale::Smileys3) => (1..=3u8)
                .zip(t.smileys3)
                .map(|(n, label)| (n.to_string(), label.to_owned()))
                .collect(),
            Some(CsatScale::YesNo) => yes_no(t.yes, t.no),
            Some(CsatScale::GreenRed) => yes_no(t.green, t.red),
            Some(CsatScale::Score10) | None => numbers(1, 10),
        },
        QuestionType::Single | QuestionType::Multi => question
            .options
            .iter()
            .flat_map(|options| options.iter())
            .map(|o| {
                (
                    o.id.to_string(),
                    o.label.pick(locale, default_locale).to_owned(),
                )
            })
            .collect(),
        QuestionType::Check => vec![
            ("yes".to_owned(), t.yes.to_owned()),
            ("no".to_owned(), t.no.to_owned()),
            ("not_applicable".to_owned(), t.not_applicable.to_owned()),
        ],
        QuestionType::Text => Vec::new(),
    }
}

/// How many conditional questions of one survey the stylesheet can show and hide (the
/// `reveal-N` rules of `form.css`); later ones keep the visible hint.
pub const REVEAL_SLOTS: usize = 12;

/// The conditional questions the stylesheet can follow, as (question index, the (controlling
/// question index, choice value) pairs that make it visible). Only a `show_if` over a single
/// earlier, unconditional question answered by one choice qualifies: each of its choices is
/// judged by the same rule book and expression as on submission, so the page and the server
/// agree.
fn reveal_slots(
    survey: &Survey,
    locale: &str,
    default_locale: &str,
    t: &Texts,
) -> Vec<(usize, Vec<(usize, String)>)> {
    survey
        .questions
        .iter()
        .enumerate()
        .filter_map(|(index, question)| {
            let expr = Expr::shared(question.show_if.as_deref()?)?;
            let mut names = expr.variables().iter();
            let (Some(name), None) = (names.next(), names.next()) else {
                return None;
            };
            let (by, controller) = survey.questions[..index]
                .iter()
                .enumerate()
                .find(|(_, q)| q.id.as_str() == name)?;
            if controller.show_if.is_some()
                || matches!(*controller.kind, QuestionType::Multi | QuestionType::Text)
            {
                return None;
            }
            let shown = choices(controller, locale, default_locale, t)
                .into_iter()
                .filter(|(value, _)| {
                    let Ok(Some(typed)) =
                        answers::parse(controller, &[RawValue::Text(value.as_str())])
                    else {
                        return false;
                    };
                    let mut context = serde_json::Map::new();
                    context.insert(name.clone(), typed.show_if_value());
                    let context = minijinja::Value::from(minijinja::value::Serde(context));
                    expr.eval_bool(context).unwrap_or(false)
                })
                .map(|(value, _)| (by, value))
                .collect();
            Some((index, shown))
        })
        .take(REVEAL_SLOTS)
        .collect()
}

/// The faces drawn beside smiley choices, in the order of [`choices`].
fn moods(question: &Question) -> Vec<i8> {
    match question.scale.as_deref().copied() {
        Some(CsatScale::Smileys5) if *question.kind == QuestionType::Csat => vec![-2, -1, 0, 1, 2],
        Some(CsatScale::Smileys3) if *question.kind == QuestionType::Csat => vec![-1, 0, 1],
        _ => Vec::new(),
    }
}

fn yes_no(yes: &str, no: &str) -> Vec<(String, String)> {
    vec![
        ("1".to_owned(), yes.to_owned()),
        ("0".to_owned(), no.to_owned()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn survey() -> Survey {
        serde_saphyr::from_str(
            r#"
id: sav
touchpoint: sav
channels: [email]
title: { fr: Votre dossier, en: Your case }
questions:
  - id: recommandation
    type: nps
    required: true
    text: { fr: Recommanderiez-vous ?, en: Recommend? }
  - id: resolu
    type: yes_no
    text: { fr: Résolu ?, en: Resolved? }
  - id: points
    type: multi
    required: true
    show_if: recommandation <= 6
    options:
      - { id: delai, label: { fr: Délai, en: Delay } }
      - { id: suivi, label: { fr: Suivi, en: Follow-up } }
    text: { fr: Déçu par ?, en: Disappointed by? }
  - id: pourquoi
    type: text
    max_length: 5
    text: { fr: Pourquoi ?, en: Why? }
"#,
        )
        .expect("valid survey")
    }

    fn raw(pairs: &[(&str, &str)]) -> RawAnswers {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (format!("{FIELD_PREFIX}{k}"), (*v).to_owned()))
            .collect();
        RawAnswers::from_form(&pairs)
    }

    #[test]
    fn a_promoter_skips_the_conditional_question_even_if_answered() {
        let answers = validate(
            &survey(),
            &raw(&[("recommandation", "9"), ("points", "delai")]),
        )
        .expect("valid");
        assert_eq!(answers.len(), 1);
        assert_eq!(answers[0].question_id, "recommandation");
        assert_eq!(answers[0].num_value, Some(9.0));
    }

    #[test]
    fn a_detractor_must_answer_the_conditional_question() {
        let errors = validate(&survey(), &raw(&[("recommandation", "2")])).expect_err("missing");
        assert_eq!(errors.get("points"), Some(&FieldError::Required));
        let answers = validate(
            &survey(),
            &raw(&[
                ("recommandation", "2"),
                ("points", "suivi"),
                ("points", "delai"),
                ("resolu", "oui"),
            ]),
        )
        .expect("valid");
        let stored: Vec<(&str, u32, Option<&str>, Option<f64>)> = answers
            .iter()
            .map(|a| {
                (
                    a.question_id.as_str(),
                    a.ordinal,
                    a.choice.as_deref(),
                    a.num_value,
                )
            })
            .collect();
        assert_eq!(
            stored,
            vec![
                ("recommandation", 0, None, Some(2.0)),
                ("resolu", 0, None, Some(1.0)),
                ("points", 0, Some("suivi"), None),
                ("points", 1, Some("delai"), None),
            ]
        );
        // A checkbox posts its value once: the same choice twice is a forged post, refused.
        let errors = validate(
            &survey(),
            &raw(&[
                ("recommandation", "2"),
                ("points", "suivi"),
                ("points", "suivi"),
            ]),
        )
        .expect_err("repeated");
        assert_eq!(
            errors.get("points"),
            Some(&FieldError::Invalid(AnswerError::RepeatedChoice {
                choice: "suivi".into()
            }))
        );
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let errors = validate(
            &survey(),
            &raw(&[
                ("recommandation", "11"),
                ("resolu", "peut-être"),
                ("pourquoi", "éééééé"),
            ]),
        )
        .expect_err("invalid");
        assert_eq!(
            errors.get("recommandation"),
            Some(&FieldError::Invalid(AnswerError::OutOfScale {
                given: "11".into(),
                min: 0,
                max: 10
            }))
        );
        assert_eq!(
            errors.get("resolu"),
            Some(&FieldError::Invalid(AnswerError::NotYesNo {
                given: "peut-être".into()
            }))
        );
        assert_eq!(
            errors.get("pourquoi"),
            Some(&FieldError::Invalid(AnswerError::TooLong {
                length: 6,
                max: 5
            }))
        );
        let t = super::super::texts::texts("fr");
        assert_eq!(
            errors["resolu"].message(t),
            "Choisissez une valeur entre 0 et 1."
        );
        assert_eq!(
            errors["recommandation"].api_message("recommandation"),
            "`recommandation`: Choose a value between 0 and 10. \
             (`11` is not a whole number from 0 to 10)"
        );
        assert_eq!(
            errors.get("points"),
            None,
            "hidden: its condition reads a bad answer"
        );
    }

    #[test]
    fn five_accented_characters_fit_a_limit_of_five() {
        let answers = validate(
            &survey(),
            &raw(&[("recommandation", "8"), ("pourquoi", "ééééé")]),
        )
        .expect("valid");
        assert_eq!(answers[1].text_value.as_deref(), Some("ééééé"));
    }

    #[test]
    fn json_answers_read_like_form_answers() {
        let object = serde_json::json!({"recommandation": 3, "resolu": false, "points": ["delai"], "pourquoi": null});
        let raw = RawAnswers::from_json(object.as_object().expect("object"));
        let answers = validate(&survey(), &raw).expect("valid");
        assert_eq!(answers.len(), 3);
        assert_eq!(answers[1].num_value, Some(0.0));
    }

    #[test]
    fn the_view_keeps_earlier_answers_and_shows_errors() {
        let t = super::super::texts::texts("fr");
        let mut errors = FieldErrors::new();
        errors.insert("recommandation".into(), FieldError::Required);
        let view = view(
            &survey(),
            "fr",
            "fr",
            t,
            &raw(&[("pourquoi", "lent"), ("resolu", "1")]),
            &errors,
        );
        assert_eq!(view[0].choices.len(), 11);
        assert_eq!(view[0].low_label, Some("Pas du tout probable"));
        assert_eq!(
            view[0].error.as_deref(),
            Some("Merci de répondre à cette question.")
        );
        assert!(view[1].choices[0].checked && view[1].choices[0].label == "Oui");
        // `recommandation <= 6` is followed by the stylesheet: 0 to 6 reveal the question.
        assert!(!view[2].conditional);
        assert_eq!(view[2].reveal, Some(1));
        let revealing: Vec<&str> = view[0]
            .choices
            .iter()
            .filter(|c| c.reveals == "r1")
            .map(|c| c.value.as_str())
            .collect();
        assert_eq!(revealing, ["0", "1", "2", "3", "4", "5", "6"]);
        assert_eq!(view[3].value, "lent");
        assert_eq!(view[3].max_length, Some(5));
    }
}

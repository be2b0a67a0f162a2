//! What a survey's questions were when they were answered, so reports can tell a real change
//! of a KPI from a change of the question that measures it.
//!
//! Each question has two fingerprints, SHA-256 of a canonical JSON serialisation:
//! - its **definition**: type, CSAT scale, option ids (in order) and KPI tag; a different
//!   definition makes two periods' figures incomparable;
//! - its **wording**: the question's text and option labels, per locale; a different wording
//!   keeps the figures comparable but is worth flagging.
//!
//! A survey's [`SurveyVersion`] lists them for every question; its own fingerprint names it
//! so the store keeps each version once and each response names the version it answered.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::hex;
use super::model::{ProgramFile, Question, QuestionKpi, QuestionType, Survey};
use crate::metrics::{CsatScale, Kpi};

/// What makes answers to a question comparable: everything but the wording.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Definition {
    /// Question type.
    #[serde(rename = "type")]
    pub kind: QuestionType,
    /// CSAT scale.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale: Option<CsatScale>,
    /// Option ids of a `single` or `multi` question, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
    /// KPI tag of a yes/no question.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kpi: Option<QuestionKpi>,
    /// Weight of a `check` item in a visit's audit score (absent for other types, so
    /// their fingerprints stay what they were before audits existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<serde_json::Number>,
}

impl Definition {
    /// The KPI a question of this definition feeds, if any.
    pub fn kpi(&self) -> Option<Kpi> {
        match (self.kind, self.kpi) {
            (QuestionType::YesNo, Some(QuestionKpi::Fcr)) => Some(Kpi::Fcr),
            (kind, _) => kind.kpi(),
        }
    }
}

/// One question as it was asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuestionVersion {
    /// Question id.
    pub id: String,
    /// Its definition.
    pub definition: Definition,
    /// SHA-256 (hex) of the definition's canonical JSON.
    pub definition_fingerprint: String,
    /// SHA-256 (hex) of the wording in each locale: the text and the option labels.
    pub wording: BTreeMap<String, String>,
    /// SHA-256 (hex) of `wording`, so one value says whether any locale changed.
    pub wording_fingerprint: String,
}

/// Every question of a survey as it was asked, under one fingerprint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SurveyVersion {
    /// SHA-256 (hex) of the questions' canonical JSON.
    pub fingerprint: String,
    /// The questions, in display order.
    pub questions: Vec<QuestionVersion>,
}

impl SurveyVersion {
    /// The version of `survey` as the program file defines it now.
    pub fn of(survey: &Survey) -> Self {
        let questions: Vec<QuestionVersion> = survey.questions.iter().map(question).collect();
        SurveyVersion {
            fingerprint: sha256_json(&questions),
            questions,
        }
    }

    /// The question `id`, if the survey had it.
    pub fn question(&self, id: &str) -> Option<&QuestionVersion> {
        self.questions.iter().find(|q| q.id == id)
    }
}

fn question(q: &Question) -> QuestionVersion {
    let definition = Definition {
        kind: *q.kind,
        scale: q.scale.as_deref().copied(),
        options: options(q).map(|o| o.id.to_string()).collect(),
        kpi: q.kpi.as_deref().copied(),
        weight: (*q.kind == QuestionType::Check)
            .then(|| serde_json::Number::from_f64(q.check_weight()))
            .flatten(),
    };
    #[derive(Serialize)]
    struct Wording<'a> {
        text: &'a str,
        options: Vec<&'a str>,
    }
    let wording: BTreeMap<String, String> = q
        .text
        .iter()
        .map(|(locale, text)| {
            let options = options(q)
                .map(|o| o.label.get(locale).map_or("", String::as_str))
                .collect();
            (locale.clone(), sha256_json(&Wording { text, options }))
        })
        .collect();
    QuestionVersion {
        id: q.id.to_string(),
        definition_fingerprint: sha256_json(&definition),
        definition,
        wording_fingerprint: sha256_json(&wording),
        wording,
    }
}

fn options(q: &Question) -> impl Iterator<Item = &super::model::ChoiceOption> {
    q.options.iter().flat_map(|o| o.iter())
}

fn sha256_json(value: &impl Serialize) -> String {
    // Serialising plain structs, strings and maps cannot fail.
    let text = serde_json::to_string(value).unwrap_or_default();
    hex(&Sha256::digest(text.as_bytes()))
}

/// How a KPI question differs between two versions of a program, for `check --against`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuestionChange {
    /// Survey id.
    pub survey: String,
    /// Question id.
    pub question: String,
    /// The KPI the question feeds now (or fed before, when it no longer does).
    pub kpi: Kpi,
    /// True when the definition changed (figures become incomparable); false when only
    /// the wording did.
    pub incomparable: bool,
    /// What changed, in English (`scale: stars5 → smileys5`).
    pub what: String,
}

/// The KPI questions of `after` whose definition or wording differs from `before`'s: the
/// incomparable ones first, then survey by survey and question by question (questions only
/// one side has are not changes of a measure: nothing to compare; questions feeding no KPI
/// on either side are left out).
pub fn changes(before: &ProgramFile, after: &ProgramFile) -> Vec<QuestionChange> {
    let mut out = Vec::new();
    for survey in &after.surveys {
        let Some(old) = before.surveys.iter().find(|s| *s.id == *survey.id) else {
            continue;
        };
        let (old, new) = (SurveyVersion::of(old), SurveyVersion::of(survey));
        for q in &new.questions {
            let Some(was) = old.question(&q.id) else {
                continue;
            };
            let Some(kpi) = q.definition.kpi().or(was.definition.kpi()) else {
                continue;
            };
            let change = if let Some(c) = DefinitionChange::between(&was.definition, &q.definition)
            {
                Some((true, c.to_string()))
            } else if was.wording_fingerprint != q.wording_fingerprint {
                Some((
                    false,
                    format!("wording ({})", changed_locales(&was.wording, &q.wording)),
                ))
            } else {
                None
            };
            if let Some((incomparable, what)) = change {
                out.push(QuestionChange {
                    survey: survey.id.to_string(),
                    question: q.id.clone(),
                    kpi,
                    incomparable,
                    what,
                });
            }
        }
    }
    out.sort_by_key(|c| !c.incomparable);
    out
}

/// The locales whose wording differs between two per-locale fingerprint maps,
/// comma-separated.
pub fn changed_locales(
    before: &BTreeMap<String, String>,
    after: &BTreeMap<String, String>,
) -> String {
    let mut locales: Vec<&str> = after
        .iter()
        .filter(|(l, fp)| before.get(*l) != Some(fp))
        .map(|(l, _)| l.as_str())
        .collect();
    locales.extend(
        before
            .keys()
            .filter(|l| !after.contains_key(*l))
            .map(String::as_str),
    );
    locales.join(", ")
}

/// Which part of a definition changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// The question type.
    Type,
    /// The CSAT scale.
    Scale,
    /// The option ids.
    Options,
    /// The KPI tag.
    KpiTag,
}

/// The first difference between two definitions, in the order type, scale, options, KPI tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefinitionChange {
    /// What changed.
    pub field: Field,
    /// Its value before, as program files write it (`stars5`; option ids comma-separated).
    pub before: String,
    /// Its value after.
    pub after: String,
}

impl DefinitionChange {
    /// The change from `before` to `after`; `None` when they are the same.
    pub fn between(before: &Definition, after: &Definition) -> Option<Self> {
        let scale = |s: Option<CsatScale>| s.map_or("–", CsatScale::as_str).to_owned();
        let kpi = |k: Option<QuestionKpi>| k.map_or("–", QuestionKpi::as_str).to_owned();
        let (field, old, new) = if before.kind != after.kind {
            let kind = |d: &Definition| d.kind.as_str().to_owned();
            (Field::Type, kind(before), kind(after))
        } else if before.scale != after.scale {
            (Field::Scale, scale(before.scale), scale(after.scale))
        } else if before.options != after.options {
            (
                Field::Options,
                before.options.join(", "),
                after.options.join(", "),
            )
        } else if before.kpi != after.kpi {
            (Field::KpiTag, kpi(before.kpi), kpi(after.kpi))
        } else {
            return None;
        };
        Some(DefinitionChange {
            field,
            before: old,
            after: new,
        })
    }

    /// The report's note, in French or English: `scale changed on 2026-10-14: stars5 →
    /// smileys5`, `changement d'échelle le 2026-10-14 : stars5 → smileys5`.
    pub fn note(&self, date: &str, lang: &str) -> String {
        let (before, after) = (&self.before, &self.after);
        if lang == "fr" {
            let what = match self.field {
                Field::Type => "de type",
                Field::Scale => "d'échelle",
                Field::Options => "d'options",
                Field::KpiTag => "d'indicateur",
            };
            format!("changement {what} le {date}\u{a0}: {before} → {after}")
        } else {
            format!(
                "{self} changed on {date}: {before} → {after}",
                self = self.field_name()
            )
        }
    }

    fn field_name(&self) -> &'static str {
        match self.field {
            Field::Type => "type",
            Field::Scale => "scale",
            Field::Options => "options",
            Field::KpiTag => "KPI tag",
        }
    }
}

impl std::fmt::Display for DefinitionChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {} → {}", self.field_name(), self.before, self.after)
    }
}

/// The report's note on a new wording, in French or English.
pub fn wording_note(date: &str, locales: &str, lang: &str) -> String {
    if lang == "fr" {
        format!("formulation modifiée le {date} ({locales})")
    } else {
        format!("wording changed on {date} ({locales})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(kind: QuestionType, scale: Option<CsatScale>, text: &str) -> QuestionVersion {
        let definition = Definition {
            kind,
            scale,
            options: Vec::new(),
            kpi: None,
            weight: None,
        };
        let wording: BTreeMap<String, String> = [("fr".to_owned(), sha256_json(&text))]
            .into_iter()
            .collect();
        QuestionVersion {
            id: "q".into(),
            definition_fingerprint: sha256_json(&definition),
            definition,
            wording_fingerprint: sha256_json(&wording),
            wording,
        }
    }

    #[test]
    fn definition_and_wording_are_fingerprinted_apart() {
        let a = version(QuestionType::Csat, Some(CsatScale::Stars5), "Satisfait ?");
        let reworded = version(QuestionType::Csat, Some(CsatScale::Stars5), "Content ?");
        let rescaled = version(QuestionType::Csat, Some(CsatScale::Smileys5), "Satisfait ?");
        assert_eq!(a.definition_fingerprint, reworded.definition_fingerprint);
        assert_ne!(a.wording_fingerprint, reworded.wording_fingerprint);
        assert_ne!(a.definition_fingerprint, rescaled.definition_fingerprint);
        assert_eq!(a.wording_fingerprint, rescaled.wording_fingerprint);
        // SHA-256 of the canonical JSON, written out.
        assert_eq!(
            a.definition_fingerprint,
            hex(&Sha256::digest(br#"{"type":"csat","scale":"stars5"}"#))
        );
        assert_eq!(changed_locales(&a.wording, &reworded.wording), "fr");
    }

    #[test]
    fn a_change_names_its_first_difference() {
        let a = version(QuestionType::Csat, Some(CsatScale::Stars5), "x").definition;
        let b = version(QuestionType::Csat, Some(CsatScale::Smileys5), "x").definition;
        let change = DefinitionChange::between(&a, &b).expect("differs");
        assert_eq!(change.to_string(), "scale: stars5 → smileys5");
        assert_eq!(
            change.note("2026-10-14", "en"),
            "scale changed on 2026-10-14: stars5 → smileys5"
        );
        assert_eq!(
            change.note("2026-10-14", "fr"),
            "changement d'échelle le 2026-10-14\u{a0}: stars5 → smileys5"
        );
        let c = version(QuestionType::Ces, None, "x").definition;
        assert_eq!(
            DefinitionChange::between(&a, &c).map(|c| c.to_string()),
            Some("type: csat → ces".to_owned())
        );
        assert_eq!(DefinitionChange::between(&a, &a), None);
        let mut d = a.clone();
        d.options = vec!["x".into()];
        assert_eq!(
            DefinitionChange::between(&a, &d).map(|c| c.field),
            Some(Field::Options)
        );
    }
}

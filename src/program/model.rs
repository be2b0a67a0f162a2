//! The typed model of a program file: what a CX team writes in `programs/*.yaml`.
//!
//! Every struct refuses unknown keys, so a typo such as `toucpoints` is an error instead of
//! a silently ignored section. Identifiers and references are wrapped in [`At`] so the
//! checks that run after parsing can point at the exact line and column.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::spanned::At;
pub use crate::metrics::{Better, CsatScale, IndicatorKind, Kpi, KpiId, Unit};
pub use crate::period::Cadence;

/// Text in each of the program's locales, e.g. `{ fr: "Livraison", en: "Delivery" }`.
///
/// A plain map, so its YAML shape, its spans and its JSON Schema stay those of a map;
/// [`LocalizedText::pick`] chooses the text to show.
pub type Localized = BTreeMap<String, String>;

/// The one fallback rule for showing localised text.
pub trait LocalizedText {
    /// The text in `wanted`, else in the program's `default` locale, else in any locale
    /// (empty when there is none).
    fn pick(&self, wanted: &str, default: &str) -> &str;
}

impl LocalizedText for Localized {
    fn pick(&self, wanted: &str, default: &str) -> &str {
        self.get(wanted)
            .or_else(|| self.get(default))
            .or_else(|| self.values().next())
            .map_or("", String::as_str)
    }
}

/// A whole listening program ("programme d'écoute"), one per YAML file.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "ecoute program")]
pub struct ProgramFile {
    /// Identity, time zone, languages and sender of the program.
    pub program: ProgramHeader,
    /// The touchpoint map: every place where the customer meets the company.
    pub touchpoints: Vec<Touchpoint>,
    /// The questionnaires, one per touchpoint (or shared).
    pub surveys: Vec<Survey>,
    /// Where contacts come from.
    #[serde(default)]
    pub contacts: Vec<ContactSource>,
    /// Who is asked: filters, sizes, strata and seeds.
    #[serde(default)]
    pub samples: Vec<Sample>,
    /// How invitations and answers travel: email, open link, phone, interview, mail.
    pub channels: Vec<Channel>,
    /// The rhythm of the program: cadence, dispatch waves, closing.
    pub periods: Periods,
    /// Rules across programs: fatigue and transactional triggers.
    #[serde(default)]
    pub rules: Rules,
    /// Operational indicators imported from the team's systems (waiting time, digital rate,
    /// churn, average basket, acquisition cost, requests by reason), reported beside the
    /// survey KPIs.
    #[serde(default)]
    pub indicators: Vec<Indicator>,
    /// Goals per KPI or indicator, shown in reports ("NPS livraison ≥ 40", "attente ≤ 60").
    #[serde(default)]
    pub targets: Vec<Target>,
    /// Keyword lists that tag open answers (délai, prix, accueil…).
    #[serde(default)]
    pub themes: BTreeMap<String, At<Vec<String>>>,
    /// Alerts on unhappy answers: each match opens a follow-up case and tells its owner.
    #[serde(default)]
    pub alerts: Vec<AlertRule>,
    /// Action plans: what a team changed, and since when, so the report measures the effect.
    #[serde(default)]
    pub actions: Vec<ActionPlan>,
}

/// Identity of the program.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProgramHeader {
    /// Stable identifier used in the store, URLs and reports (`a-z`, `0-9`, `-`, `_`).
    pub id: At<String>,
    /// Human title per locale.
    pub title: At<Localized>,
    /// IANA time zone in which periods, waves and send windows are computed.
    pub timezone: At<String>,
    /// Locale used when a contact has none.
    pub default_locale: At<String>,
    /// Every locale the program speaks; each text must exist in each of them.
    pub locales: At<Vec<String>>,
    /// The identity invitations are sent from.
    pub sender: Sender,
}

/// The sender identity of invitations.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Sender {
    /// `Name <address@example.org>` or a bare address.
    pub from: At<String>,
    /// Where replies go, if not to `from`.
    #[serde(default)]
    pub reply_to: Option<At<String>>,
}

/// One touchpoint of the customer journey.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Touchpoint {
    /// Stable identifier, referenced by surveys and targets.
    pub id: At<String>,
    /// Name per locale.
    pub name: At<Localized>,
    /// Journey stage, in experience-cycle order on the map.
    pub stage: JourneyStage,
    /// A moment of truth: the interaction that makes or breaks the relationship.
    #[serde(default)]
    pub moment_of_truth: bool,
    /// Emotional intensity for the customer, 1 (low) to 5 (high).
    #[serde(default = "default_intensity")]
    #[schemars(range(min = 1, max = 5))]
    pub intensity: At<u8>,
}

fn default_intensity() -> At<u8> {
    At::unplaced(3)
}

/// The stages of the experience cycle, in the order a customer lives them.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum JourneyStage {
    /// Découverte: the customer learns the company exists.
    Decouverte,
    /// Considération: comparing, asking, visiting.
    Consideration,
    /// Achat: buying, in store or online.
    Achat,
    /// Livraison: receiving the product or service.
    Livraison,
    /// Utilisation: using it day to day.
    Utilisation,
    /// SAV: after-sales service, claims, support.
    Sav,
    /// Fidélisation: renewal, loyalty, recommendation.
    Fidelisation,
}

impl JourneyStage {
    /// The name written in program files and shown on maps (`sav`).
    pub fn as_str(self) -> &'static str {
        match self {
            JourneyStage::Decouverte => "decouverte",
            JourneyStage::Consideration => "consideration",
            JourneyStage::Achat => "achat",
            JourneyStage::Livraison => "livraison",
            JourneyStage::Utilisation => "utilisation",
            JourneyStage::Sav => "sav",
            JourneyStage::Fidelisation => "fidelisation",
        }
    }
}

/// A questionnaire sent about one touchpoint.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Survey {
    /// Stable identifier, used in links, triggers and reports.
    pub id: At<String>,
    /// The touchpoint this survey measures.
    pub touchpoint: At<String>,
    /// Title per locale, shown on the form and in emails.
    pub title: At<Localized>,
    /// A short introduction per locale.
    #[serde(default)]
    pub intro: Option<At<Localized>>,
    /// The sample that says who is invited (absent for link-only or trigger-only surveys).
    #[serde(default)]
    pub sample: Option<At<String>>,
    /// The channels that carry this survey.
    pub channels: At<Vec<At<String>>>,
    /// The questions, in display order.
    pub questions: Vec<Question>,
}

/// One question of a survey.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend(
    "if" = { "properties": { "type": { "const": "csat" } }, "required": ["type"] },
    "then" = { "required": ["scale"] }
))]
pub struct Question {
    /// Stable identifier, used by `show_if`, imports and reports.
    pub id: At<String>,
    /// The kind of answer expected.
    #[serde(rename = "type")]
    pub kind: At<QuestionType>,
    /// The question per locale.
    pub text: At<Localized>,
    /// Whether an answer is needed to submit the form.
    #[serde(default)]
    pub required: bool,
    /// Display condition over earlier answers, e.g. `recommandation <= 6`.
    #[serde(default)]
    pub show_if: Option<At<String>>,
    /// For `csat`: the answer scale.
    #[serde(default)]
    pub scale: Option<At<CsatScale>>,
    /// For `yes_no`: the KPI this question feeds (`fcr` = resolved at first contact).
    #[serde(default)]
    pub kpi: Option<At<QuestionKpi>>,
    /// For `single` and `multi`: the choices.
    #[serde(default)]
    pub options: Option<At<Vec<ChoiceOption>>>,
    /// For `text`: the longest answer accepted, in characters (default 2,000).
    #[serde(default)]
    pub max_length: Option<At<u32>>,
    /// For `check`: how much the item counts in a visit's audit score (default 1, > 0).
    #[serde(default)]
    pub weight: Option<At<f64>>,
}

/// The types of question ecoute knows how to ask and measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[schemars(transform = one_enum)]
pub enum QuestionType {
    /// Net Promoter Score: likelihood to recommend, 0 to 10.
    Nps,
    /// Customer satisfaction on a declared `scale`.
    Csat,
    /// Customer effort score, 1 (very difficult) to 7 (very easy).
    Ces,
    /// Yes or no; tag with `kpi: fcr` for first-contact resolution.
    YesNo,
    /// One choice among `options`.
    Single,
    /// Several choices among `options`.
    Multi,
    /// An open answer (verbatim), tagged by `themes`.
    Text,
    /// A mystery-shopper checklist item: `yes`, `no` or `not_applicable`, with a `weight`
    /// and an optional comment (audit surveys only).
    Check,
}

impl Question {
    /// The weight of a `check` item in a visit's score: `weight`, else 1.
    pub fn check_weight(&self) -> f64 {
        self.weight.as_deref().copied().unwrap_or(1.0)
    }

    /// The KPI this question's answers measure, if any: NPS, CSAT and CES questions, and
    /// `yes_no` questions tagged `kpi: fcr`.
    pub fn measures(&self) -> Option<crate::metrics::Kpi> {
        use crate::metrics::Kpi;
        match *self.kind {
            QuestionType::Nps => Some(Kpi::Nps),
            QuestionType::Csat => Some(Kpi::Csat),
            QuestionType::Ces => Some(Kpi::Ces),
            QuestionType::YesNo if self.kpi.as_deref().copied() == Some(QuestionKpi::Fcr) => {
                Some(Kpi::Fcr)
            }
            _ => None,
        }
    }
}

impl QuestionType {
    /// The name written in program files (`yes_no`).
    pub fn as_str(self) -> &'static str {
        match self {
            QuestionType::Nps => "nps",
            QuestionType::Csat => "csat",
            QuestionType::Ces => "ces",
            QuestionType::YesNo => "yes_no",
            QuestionType::Single => "single",
            QuestionType::Multi => "multi",
            QuestionType::Text => "text",
            QuestionType::Check => "check",
        }
    }

    /// The KPI this question type measures, when it measures one by itself.
    pub fn kpi(self) -> Option<Kpi> {
        match self {
            QuestionType::Nps => Some(Kpi::Nps),
            QuestionType::Csat => Some(Kpi::Csat),
            QuestionType::Ces => Some(Kpi::Ces),
            _ => None,
        }
    }
}

/// Turns schemars' `oneOf` of one `const` per variant into one `enum`, so an editor's
/// message names every allowed value; the variants' meanings join the description.
fn one_enum(schema: &mut schemars::Schema) {
    let Some(variants) = schema.remove("oneOf") else {
        return;
    };
    let variants = variants.as_array().cloned().unwrap_or_default();
    let values: Vec<serde_json::Value> = variants
        .iter()
        .filter_map(|v| v.get("const").cloned())
        .collect();
    let meanings: Vec<String> = variants
        .iter()
        .filter_map(|v| {
            let value = v.get("const")?.as_str()?;
            let meaning = v.get("description")?.as_str()?;
            Some(format!("`{value}`: {meaning}"))
        })
        .collect();
    let description = schema
        .get("description")
        .and_then(|d| d.as_str())
        .unwrap_or_default()
        .to_owned();
    schema.insert(
        "description".to_owned(),
        format!("{description}\n{}", meanings.join("\n")).into(),
    );
    schema.insert("type".to_owned(), "string".into());
    schema.insert("enum".to_owned(), values.into());
}

/// KPIs a yes/no question can feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum QuestionKpi {
    /// First-contact resolution: "was your request resolved at the first contact?"
    Fcr,
}

impl QuestionKpi {
    /// The name written in program files (`fcr`).
    pub fn as_str(self) -> &'static str {
        match self {
            QuestionKpi::Fcr => "fcr",
        }
    }
}

/// A choice of a `single` or `multi` question.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChoiceOption {
    /// Stable value stored with the answer.
    pub id: At<String>,
    /// Label per locale.
    pub label: At<Localized>,
}

/// A source of contacts.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactSource {
    /// Identifier referenced by samples.
    pub id: At<String>,
    /// A CSV file, relative to the program file (header with an `email` column).
    #[serde(default)]
    pub csv: Option<At<String>>,
    /// `true` to use the contacts imported into the store with `ecoute contacts import`.
    #[serde(default)]
    pub store: Option<At<bool>>,
}

/// Who is invited: a filtered, optionally stratified, reproducible draw from a source.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Sample {
    /// Identifier referenced by surveys.
    pub id: At<String>,
    /// The contact source to draw from.
    pub contacts: At<String>,
    /// Expression over contact attributes, e.g. `segment == "pro" and commandes >= 1`.
    #[serde(default)]
    pub filter: Option<At<String>>,
    /// Number of contacts to draw each period (exclusive with `rate` and `precision`).
    #[serde(default)]
    pub size: Option<At<u64>>,
    /// Share of eligible contacts to draw, between 0 and 1 (exclusive with `size` and
    /// `precision`).
    #[serde(default)]
    pub rate: Option<At<f64>>,
    /// A margin to reach instead of a size: `{ kpi: nps, moe95: 5 }` draws enough contacts
    /// for a 95 % margin of ±5 points (exclusive with `size` and `rate`).
    #[serde(default)]
    pub precision: Option<Precision>,
    /// The share of invitations expected to be answered (0 < r ≤ 1), used by `ecoute plan`
    /// until the survey has a history of its own (default 0.2).
    #[serde(default)]
    pub expected_response_rate: Option<At<f64>>,
    /// Attributes whose values split the sample proportionally (quotas).
    #[serde(default)]
    pub strata: Vec<At<String>>,
    /// The smallest number drawn in each stratum (when the stratum has that many).
    #[serde(default)]
    pub min_per_stratum: Option<At<u64>>,
    /// The seed that makes the draw reproducible.
    #[serde(default)]
    pub seed: u64,
}

/// A precision goal for a sample: the 95 % margin wanted on one KPI of its surveys.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Precision {
    /// The KPI (nps, csat, ces or fcr) the survey's answers measure.
    pub kpi: At<crate::metrics::Kpi>,
    /// The half-width wanted, in the KPI's unit (NPS points, percentage points, CES units).
    pub moe95: At<f64>,
}

/// A channel that carries invitations or collects answers.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Channel {
    /// Identifier referenced by surveys and triggers.
    pub id: At<String>,
    /// The kind of channel.
    #[serde(rename = "type")]
    pub kind: At<ChannelType>,
    /// For `email`: the template of the invitation (`templates/email/<name>.<locale>.*`).
    #[serde(default)]
    pub template: Option<At<String>>,
    /// For `email`: the template of reminders (defaults to `template`).
    #[serde(default)]
    pub reminder_template: Option<At<String>>,
    /// For `email`: days after the invitation on which non-respondents get a reminder;
    /// the length of the list is the maximum number of reminders.
    #[serde(default)]
    pub reminder_days: Vec<At<u32>>,
    /// For `email`: when messages may leave, in the recipient's local time.
    #[serde(default)]
    pub send_window: Option<SendWindow>,
    /// For `email`: the most messages per second for this program.
    #[serde(default)]
    pub rate_per_second: Option<At<f64>>,
}

/// The kinds of channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChannelType {
    /// Invitations sent by ecoute, with a personal link.
    Email,
    /// An open web link (website, QR code), anonymous answers.
    Link,
    /// A call list exported for a call centre; answers imported back.
    Phone,
    /// Face-to-face interviews; answers imported.
    Interview,
    /// Paper questionnaires; answers imported.
    Mail,
    /// Mystery-shopper visits: auditors fill a checklist on the form, or it is imported.
    Audit,
}

impl ChannelType {
    /// The name written in program files and plans (`email`).
    pub fn as_str(self) -> &'static str {
        match self {
            ChannelType::Email => "email",
            ChannelType::Link => "link",
            ChannelType::Phone => "phone",
            ChannelType::Interview => "interview",
            ChannelType::Mail => "mail",
            ChannelType::Audit => "audit",
        }
    }
}

/// Days and hours in which email may be sent.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SendWindow {
    /// Days of the week (`mon`…`sun`); all days when absent.
    #[serde(default)]
    pub days: Vec<At<Weekday>>,
    /// Local opening time, `HH:MM`.
    pub from: At<String>,
    /// Local closing time, `HH:MM`.
    pub to: At<String>,
}

/// Days of the week.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[allow(missing_docs)]
pub enum Weekday {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

impl Weekday {
    /// The name written in program files (`mon`).
    pub fn as_str(self) -> &'static str {
        match self {
            Weekday::Mon => "mon",
            Weekday::Tue => "tue",
            Weekday::Wed => "wed",
            Weekday::Thu => "thu",
            Weekday::Fri => "fri",
            Weekday::Sat => "sat",
            Weekday::Sun => "sun",
        }
    }
}

impl From<Weekday> for jiff::civil::Weekday {
    fn from(day: Weekday) -> Self {
        use jiff::civil::Weekday as Civil;
        match day {
            Weekday::Mon => Civil::Monday,
            Weekday::Tue => Civil::Tuesday,
            Weekday::Wed => Civil::Wednesday,
            Weekday::Thu => Civil::Thursday,
            Weekday::Fri => Civil::Friday,
            Weekday::Sat => Civil::Saturday,
            Weekday::Sun => Civil::Sunday,
        }
    }
}

/// The rhythm of the program.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Periods {
    /// A regular cadence (exclusive with `windows`).
    #[serde(default)]
    pub cadence: Option<At<Cadence>>,
    /// Explicit periods, e.g. seasonal waves (exclusive with `cadence`).
    #[serde(default)]
    pub windows: Vec<Window>,
    /// Cron expression (5 fields, program time zone) on which waves are dispatched.
    pub waves: At<String>,
    /// Days after a period ends during which answers are still accepted.
    #[serde(default)]
    pub close_after_days: At<u32>,
}

/// An explicit period.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Window {
    /// Name used with `--period`.
    pub id: At<String>,
    /// First day, `YYYY-MM-DD`, inclusive.
    pub start: At<String>,
    /// Last day, `YYYY-MM-DD`, inclusive.
    pub end: At<String>,
}

/// Rules that apply across programs.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Rules {
    /// Contact fatigue.
    #[serde(default)]
    pub fatigue: Option<Fatigue>,
    /// Events that schedule a survey after a delay.
    #[serde(default)]
    pub triggers: Vec<Trigger>,
}

/// Contact fatigue: nobody is invited more than once per window, across all programs.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Fatigue {
    /// The fewest days between two invitations to the same person.
    pub min_days_between_contacts: At<u32>,
}

/// A transactional trigger: an event schedules a survey.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Trigger {
    /// Event name posted to the API, e.g. `order_delivered`.
    pub event: At<String>,
    /// The survey to send.
    pub survey: At<String>,
    /// The channel to send it through.
    pub channel: At<String>,
    /// Hours to wait after the event.
    #[serde(default)]
    pub delay_hours: u32,
}

/// A goal for a KPI or an indicator: exactly one of `at_least` and `at_most`, on the side
/// the figure should be (survey KPIs and `better: higher` indicators take `at_least`).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Target {
    /// A survey KPI (nps, csat, ces, fcr, response_rate) or an indicator id.
    pub kpi: At<KpiId>,
    /// The touchpoint; all touchpoints when absent.
    #[serde(default)]
    pub touchpoint: Option<At<String>>,
    /// The figure should be at least this value (NPS points, percent, CES mean, or the
    /// indicator's unit).
    #[serde(default)]
    pub at_least: Option<At<f64>>,
    /// The figure should be at most this value (an indicator with `better: lower`).
    #[serde(default)]
    pub at_most: Option<At<f64>>,
}

/// An operational indicator: what it is, where it sits on the journey and how it is
/// computed from the rows `ecoute indicators import` reads.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Indicator {
    /// Stable identifier, used in import files, targets and reports (`attente`).
    pub id: At<String>,
    /// Name per locale.
    pub name: At<Localized>,
    /// The touchpoint it belongs to; program-wide when absent.
    #[serde(default)]
    pub touchpoint: Option<At<String>>,
    /// How it is computed: mean, ratio, quotient or count.
    pub kind: At<IndicatorKind>,
    /// The unit of its values (a ratio is reported in percent).
    pub unit: At<Unit>,
    /// The ISO 4217 code of a `currency` unit (EUR, CHF…).
    #[serde(default)]
    pub currency: Option<At<String>>,
    /// Whether more or less is better.
    pub better: At<Better>,
    /// For a count: the categories its volume is split by (request reasons…), so each
    /// category's share is reported and an unknown category in a file is an error.
    #[serde(default)]
    pub breakdown: Option<At<Vec<String>>>,
}

/// An alert rule: an answer matching `when` opens a case and emails `notify` at once.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AlertRule {
    /// Stable identifier, shown on cases and in reports.
    pub id: At<String>,
    /// The survey whose answers it watches.
    pub survey: At<String>,
    /// Expression over that survey's answers, e.g. `recommandation <= 6`.
    pub when: At<String>,
    /// Who is told: addresses, or `{ attribute: store_manager }` naming the respondent's
    /// contact attribute that holds the owner's address.
    pub notify: At<Vec<Recipient>>,
    /// The email template of the alert (`templates/email/<name>.<locale>.*`).
    #[serde(default)]
    pub template: Option<At<String>>,
    /// The promised call-back delay: a case still open after it is overdue.
    pub respond_within_hours: At<u32>,
}

/// An action plan: a change a team made at a touchpoint, whose effect on a KPI the report
/// measures by comparing the periods before `started` with the periods since.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionPlan {
    /// Stable identifier, shown in reports.
    pub id: At<String>,
    /// What was done, per locale.
    pub title: At<Localized>,
    /// The touchpoint where it acts.
    pub touchpoint: At<String>,
    /// The survey KPI it should move (nps, csat, ces or fcr).
    pub kpi: At<Kpi>,
    /// Who carries it (a team or a person, as the report should name them).
    pub owner: At<String>,
    /// The day it started, `YYYY-MM-DD` (program time zone).
    pub started: At<String>,
    /// The change hoped for, in the KPI's unit (NPS points, percentage points, CES units).
    #[serde(default)]
    pub expected: Option<At<f64>>,
    /// How many program periods are compared on each side of `started` (default 3).
    #[serde(default)]
    pub periods: Option<At<u32>>,
}

/// One recipient of an alert.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Recipient {
    /// A fixed address, `Name <address>` or bare.
    Address(At<String>),
    /// The respondent's contact attribute holding the owner's address.
    Attribute {
        /// The attribute's name, e.g. `store_manager`.
        attribute: At<String>,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn localized_text_falls_back_to_the_default_locale_then_any() {
        let text: Localized = [("de", "Lieferung"), ("fr", "Livraison")]
            .into_iter()
            .map(|(locale, text)| (locale.to_owned(), text.to_owned()))
            .collect();
        assert_eq!(text.pick("fr", "de"), "Livraison");
        assert_eq!(text.pick("en", "fr"), "Livraison");
        assert_eq!(text.pick("en", "it"), "Lieferung");
        assert_eq!(Localized::new().pick("en", "fr"), "");
    }

    /// The serde name of a value, as program files and JSON write it.
    fn serde_name(value: impl Serialize) -> String {
        match serde_json::to_value(value) {
            Ok(serde_json::Value::String(name)) => name,
            other => panic!("not a unit variant: {other:?}"),
        }
    }

    #[test]
    fn every_as_str_is_the_serde_name() {
        use JourneyStage as J;
        for stage in [
            J::Decouverte,
            J::Consideration,
            J::Achat,
            J::Livraison,
            J::Utilisation,
            J::Sav,
            J::Fidelisation,
        ] {
            assert_eq!(stage.as_str(), serde_name(stage));
        }
        use QuestionType as Q;
        for kind in [
            Q::Nps,
            Q::Csat,
            Q::Ces,
            Q::YesNo,
            Q::Single,
            Q::Multi,
            Q::Text,
            Q::Check,
        ] {
            assert_eq!(kind.as_str(), serde_name(kind));
        }
        assert_eq!(QuestionKpi::Fcr.as_str(), serde_name(QuestionKpi::Fcr));
        use ChannelType as C;
        for kind in [C::Email, C::Link, C::Phone, C::Interview, C::Mail, C::Audit] {
            assert_eq!(kind.as_str(), serde_name(kind));
        }
        use Weekday as W;
        for day in [W::Mon, W::Tue, W::Wed, W::Thu, W::Fri, W::Sat, W::Sun] {
            assert_eq!(day.as_str(), serde_name(day));
        }
        for cadence in [Cadence::Weekly, Cadence::Monthly, Cadence::Quarterly] {
            assert_eq!(cadence.as_str(), serde_name(cadence));
        }
        for scale in CsatScale::ALL {
            assert_eq!(scale.as_str(), serde_name(scale));
        }
        for kpi in Kpi::ALL {
            assert_eq!(kpi.as_str(), serde_name(kpi));
        }
        use IndicatorKind as I;
        for kind in [I::Mean, I::Ratio, I::Quotient, I::Count] {
            assert_eq!(kind.as_str(), serde_name(kind));
        }
    }
}

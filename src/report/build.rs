//! From counters to a report: aggregation per group, KPIs with margins, tests against the
//! comparison period, targets, trends, themes. Pure: everything comes in through [`Inputs`].

use std::collections::{BTreeMap, BTreeSet, HashMap};

use sha2::{Digest, Sha256};

use super::{
    GroupBy, MAX_VERBATIMS, NpsSplit, Quote, Report, Row, Stamp, ThemeView, TouchpointView,
    TrendPoint,
};
use crate::metrics::{
    Ces, Comparison, CsatScale, Histogram, Kpi, MIN_N_FOR_SIGNIFICANCE, Mean, Nps, NpsCategory,
    Proportion, Significance, TargetStatus, ThemeCounter, ThemeMatcher, compare_means, compare_nps,
    compare_proportions, fcr, response_rate,
};
use crate::program::Program;
use crate::program::model::{LocalizedText, QuestionKpi, QuestionType};
use crate::store::{Delivery, RollupCount, VerbatimResponse};

/// A period as a report uses it: its name, bounds and the stored period keys it covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    /// As the user wrote it (`2026-11`, `2026-Q3`…).
    pub key: String,
    /// First instant, RFC 3339.
    pub start: String,
    /// End (exclusive), RFC 3339.
    pub end: String,
    /// Stored period keys whose union it is.
    pub parts: Vec<String>,
}

/// Everything a report is made from, read by the caller.
#[derive(Debug)]
pub struct Inputs<'a> {
    /// The program.
    pub program: &'a Program,
    /// Row grouping.
    pub group_by: GroupBy,
    /// Significance level.
    pub alpha: f64,
    /// The period.
    pub period: Period,
    /// The comparison period, if any.
    pub vs: Option<Period>,
    /// All-respondent counters of both periods (and of the trend periods).
    pub counters: &'a [RollupCount],
    /// Counters of the grouping attribute (for `--by segment:ATTR`), both periods.
    pub segment_counters: &'a [RollupCount],
    /// Delivered invitations of both periods.
    pub deliveries: &'a [Delivery],
    /// The periods of the trend charts, oldest first (the period itself last).
    pub trend: Vec<Period>,
    /// The period's responses with verbatims.
    pub verbatims: &'a [VerbatimResponse],
    /// When the report is made, RFC 3339.
    pub generated_at: String,
    /// Notes from the caller (e.g. why there is no comparison).
    pub notes: Vec<String>,
}

/// What a question feeds.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Feeds {
    Nps,
    Csat(CsatScale),
    Ces,
    Fcr,
}

impl Feeds {
    fn kpi(self) -> Kpi {
        match self {
            Feeds::Nps => Kpi::Nps,
            Feeds::Csat(_) => Kpi::Csat,
            Feeds::Ces => Kpi::Ces,
            Feeds::Fcr => Kpi::Fcr,
        }
    }
}

/// Mergeable counts of one group in one period.
#[derive(Debug, Clone, Default, PartialEq)]
struct Counts {
    nps: Histogram,
    csat_satisfied: u64,
    csat_n: u64,
    ces: Histogram,
    fcr: Histogram,
    responses: u64,
    delivered: u64,
    answered: u64,
}

/// A KPI's estimate, typed so the right test applies.
#[derive(Debug, Clone, Copy)]
enum Stat {
    Nps(Nps),
    Share(Proportion),
    Mean(Mean),
}

impl Stat {
    fn value_and_moe(&self) -> (f64, Option<f64>) {
        match self {
            Stat::Nps(s) => (s.score, Some(s.moe95)),
            Stat::Share(p) => (p.percent, Some(p.moe95)),
            Stat::Mean(m) => (m.mean, m.moe95),
        }
    }

    fn compare(&self, reference: &Stat, alpha: f64) -> Option<Comparison> {
        match (self, reference) {
            (Stat::Nps(a), Stat::Nps(b)) => Some(compare_nps(a, b, alpha)),
            (Stat::Share(a), Stat::Share(b)) => Some(compare_proportions(a, b, alpha)),
            (Stat::Mean(a), Stat::Mean(b)) => Some(compare_means(a, b, alpha)),
            _ => None,
        }
    }
}

impl Counts {
    fn n(&self, kpi: Kpi) -> u64 {
        match kpi {
            Kpi::Nps => self.nps.total(),
            Kpi::Csat => self.csat_n,
            Kpi::Ces => self.ces.count_in(Ces::VALUES),
            Kpi::Fcr => self.fcr.count_in(0..=1),
            Kpi::ResponseRate => self.delivered,
        }
    }

    fn stat(&self, kpi: Kpi) -> Option<Stat> {
        match kpi {
            Kpi::Nps => Nps::from_histogram(&self.nps).map(Stat::Nps),
            Kpi::Csat => Proportion::new(self.csat_satisfied, self.csat_n).map(Stat::Share),
            Kpi::Ces => Ces::from_histogram(&self.ces).map(|c| Stat::Mean(c.mean)),
            Kpi::Fcr => fcr(&self.fcr).map(Stat::Share),
            Kpi::ResponseRate => response_rate(self.answered, self.delivered).map(Stat::Share),
        }
    }

    fn add(&mut self, feeds: Option<Feeds>, question_id: &str, value: u8, n: u64) {
        if question_id.is_empty() {
            self.responses += n;
            return;
        }
        let _ignored_when_out_of_range = match feeds {
            Some(Feeds::Nps) => self.nps.add_n(value, n),
            Some(Feeds::Ces) => self.ces.add_n(value, n),
            Some(Feeds::Fcr) => self.fcr.add_n(value, n),
            Some(Feeds::Csat(scale)) => {
                if scale.is_valid(value) {
                    self.csat_n += n;
                    if scale.is_satisfied(value) {
                        self.csat_satisfied += n;
                    }
                }
                Ok(())
            }
            None => Ok(()),
        };
    }
}

/// The program's knowledge the aggregation needs.
struct Catalogue {
    feeds: HashMap<(String, String), Feeds>,
    survey_touchpoint: HashMap<String, String>,
    touchpoint_kpis: HashMap<String, BTreeSet<Kpi>>,
}

impl Catalogue {
    fn of(program: &Program) -> Self {
        let mut feeds = HashMap::new();
        let mut survey_touchpoint = HashMap::new();
        let mut touchpoint_kpis: HashMap<String, BTreeSet<Kpi>> = HashMap::new();
        for survey in &program.file.surveys {
            survey_touchpoint.insert(survey.id.to_string(), survey.touchpoint.to_string());
            for q in &survey.questions {
                let f = match *q.kind {
                    QuestionType::Nps => Some(Feeds::Nps),
                    QuestionType::Ces => Some(Feeds::Ces),
                    QuestionType::Csat => Some(Feeds::Csat(
                        q.scale.as_deref().copied().unwrap_or(CsatScale::Stars5),
                    )),
                    QuestionType::YesNo if q.kpi.as_deref().copied() == Some(QuestionKpi::Fcr) => {
                        Some(Feeds::Fcr)
                    }
                    _ => None,
                };
                if let Some(f) = f {
                    feeds.insert((survey.id.to_string(), q.id.to_string()), f);
                    touchpoint_kpis
                        .entry(survey.touchpoint.to_string())
                        .or_default()
                        .insert(f.kpi());
                }
            }
        }
        Catalogue {
            feeds,
            survey_touchpoint,
            touchpoint_kpis,
        }
    }

    fn feeds(&self, survey: &str, question: &str) -> Option<Feeds> {
        self.feeds
            .get(&(survey.to_owned(), question.to_owned()))
            .copied()
    }
}

/// Counts per group of the counters whose period is one of `parts`.
fn aggregate(
    catalogue: &Catalogue,
    counters: &[RollupCount],
    parts: &[String],
    group: impl Fn(&RollupCount) -> String,
) -> BTreeMap<String, Counts> {
    let mut out: BTreeMap<String, Counts> = BTreeMap::new();
    for c in counters.iter().filter(|c| parts.contains(&c.key.period)) {
        let feeds = catalogue.feeds(&c.key.survey_id, &c.key.question_id);
        out.entry(group(c))
            .or_default()
            .add(feeds, &c.key.question_id, c.key.value, c.n);
    }
    out
}

/// Adds delivered/answered invitations per group.
fn add_deliveries(
    into: &mut BTreeMap<String, Counts>,
    deliveries: &[Delivery],
    parts: &[String],
    group: impl Fn(&Delivery) -> Option<String>,
) {
    for d in deliveries.iter().filter(|d| parts.contains(&d.period)) {
        if let Some(g) = group(d) {
            let counts = into.entry(g).or_default();
            counts.delivered += d.delivered;
            counts.answered += d.answered;
        }
    }
}

/// The SHA-256 of the counters and deliveries a report used, in a canonical order: equal
/// counters give an equal digest, whatever order the store returned them in.
pub fn digest<'a>(
    counters: impl IntoIterator<Item = &'a RollupCount>,
    deliveries: &[Delivery],
) -> String {
    let mut lines: Vec<String> = counters
        .into_iter()
        .map(|c| {
            let k = &c.key;
            format!(
                "r\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                k.program_id,
                k.period,
                k.segment,
                k.segment_value,
                k.survey_id,
                k.touchpoint_id,
                k.channel,
                k.question_id,
                k.value,
                c.n
            )
        })
        .chain(deliveries.iter().map(|d| {
            format!(
                "d\t{}\t{}\t{}\t{}\t{}",
                d.period, d.survey_id, d.channel, d.delivered, d.answered
            )
        }))
        .collect();
    lines.sort();
    let mut hasher = Sha256::new();
    for line in &lines {
        hasher.update(line.as_bytes());
        hasher.update(b"\n");
    }
    crate::program::hex(&hasher.finalize())
}

/// The report's language: French when the program's default locale is French, else English.
pub(super) fn language(program: &Program) -> &'static str {
    if program.file.program.default_locale.starts_with("fr") {
        "fr"
    } else {
        "en"
    }
}

/// One row from the counts of a group in both periods.
#[allow(clippy::too_many_arguments)]
fn row(
    group_by: &str,
    group: &str,
    kpi: Kpi,
    now: Option<&Counts>,
    before: Option<Option<&Counts>>,
    target: Option<f64>,
    alpha: f64,
) -> Row {
    let empty = Counts::default();
    let now = now.unwrap_or(&empty);
    let stat = now.stat(kpi);
    let (value, moe95) = stat.as_ref().map_or((None, None), |s| {
        let (v, m) = s.value_and_moe();
        (Some(v), m)
    });
    let n = now.n(kpi);
    let (prev_n, prev_stat) = match before {
        None => (None, None),
        Some(b) => {
            let b = b.unwrap_or(&empty);
            (Some(b.n(kpi)), b.stat(kpi))
        }
    };
    let prev_value = prev_stat.as_ref().map(|s| s.value_and_moe().0);
    let comparison = stat
        .as_ref()
        .zip(prev_stat.as_ref())
        .and_then(|(a, b)| a.compare(b, alpha));
    let significance = match (&comparison, prev_n) {
        (Some(c), _) => Some(c.significance),
        (None, Some(_)) => Some(Significance::TooFew),
        (None, None) => None,
    };
    let target_status = target.zip(value).map(|(t, v)| {
        if n < MIN_N_FOR_SIGNIFICANCE {
            TargetStatus::Inconclusive
        } else {
            TargetStatus::judge(v, moe95, t)
        }
    });
    Row {
        group_by: group_by.to_owned(),
        group: group.to_owned(),
        kpi,
        n,
        value,
        moe95,
        prev_n,
        prev_value,
        delta: comparison.map(|c| c.delta),
        p_value: comparison.and_then(|c| c.p_value),
        significance,
        target,
        target_status,
    }
}

/// The target of `kpi` for a touchpoint (`Some(id)`) or program-wide (`None`).
fn target(program: &Program, kpi: Kpi, touchpoint: Option<&str>) -> Option<f64> {
    program
        .file
        .targets
        .iter()
        .find(|t| *t.kpi == kpi && t.touchpoint.as_deref().map(String::as_str) == touchpoint)
        .map(|t| *t.at_least)
}

/// Builds the report.
pub fn build(inputs: &Inputs<'_>) -> Report {
    let program = inputs.program;
    let lang = language(program);
    let catalogue = Catalogue::of(program);
    let now_parts = &inputs.period.parts;
    let vs_parts: Vec<String> = inputs
        .vs
        .as_ref()
        .map(|v| v.parts.clone())
        .unwrap_or_default();
    let touchpoint_of = |c: &RollupCount| c.key.touchpoint_id.clone();
    let delivery_touchpoint = |d: &Delivery| catalogue.survey_touchpoint.get(&d.survey_id).cloned();

    // Touchpoint aggregates: always needed for the journey map.
    let mut tp_now = aggregate(&catalogue, inputs.counters, now_parts, touchpoint_of);
    add_deliveries(
        &mut tp_now,
        inputs.deliveries,
        now_parts,
        delivery_touchpoint,
    );
    let mut tp_before = aggregate(&catalogue, inputs.counters, &vs_parts, touchpoint_of);
    add_deliveries(
        &mut tp_before,
        inputs.deliveries,
        &vs_parts,
        delivery_touchpoint,
    );

    let total = |parts: &[String]| {
        let mut t = aggregate(&catalogue, inputs.counters, parts, |_| "all".to_owned());
        add_deliveries(&mut t, inputs.deliveries, parts, |_| Some("all".to_owned()));
        t.remove("all").unwrap_or_default()
    };
    let total_now = total(now_parts);
    let total_before = total(&vs_parts);
    let has_vs = inputs.vs.is_some();
    let before = |m: &BTreeMap<String, Counts>, g: &str| -> Option<Option<Counts>> {
        has_vs.then(|| m.get(g).cloned())
    };

    // Touchpoints in journey order (stable on file order within a stage).
    let mut ordered: Vec<&crate::program::model::Touchpoint> =
        program.file.touchpoints.iter().collect();
    ordered.sort_by_key(|t| t.stage);

    let (groups_now, groups_before, group_order): (
        BTreeMap<String, Counts>,
        BTreeMap<String, Counts>,
        Vec<String>,
    ) = match &inputs.group_by {
        GroupBy::Touchpoint => {
            let mut order: Vec<String> = ordered.iter().map(|t| t.id.to_string()).collect();
            for g in tp_now.keys().chain(tp_before.keys()) {
                if !order.contains(g) && !g.is_empty() {
                    order.push(g.clone());
                }
            }
            (tp_now.clone(), tp_before.clone(), order)
        }
        GroupBy::Channel => {
            let by = |c: &RollupCount| c.key.channel.clone();
            let mut now = aggregate(&catalogue, inputs.counters, now_parts, by);
            add_deliveries(&mut now, inputs.deliveries, now_parts, |d| {
                Some(d.channel.clone())
            });
            let mut was = aggregate(&catalogue, inputs.counters, &vs_parts, by);
            add_deliveries(&mut was, inputs.deliveries, &vs_parts, |d| {
                Some(d.channel.clone())
            });
            let mut order: Vec<String> = program
                .file
                .channels
                .iter()
                .map(|c| c.id.to_string())
                .filter(|c| now.contains_key(c) || was.contains_key(c))
                .collect();
            for g in now.keys().chain(was.keys()) {
                if !order.contains(g) {
                    order.push(g.clone());
                }
            }
            (now, was, order)
        }
        GroupBy::Segment(_) => {
            let by = |c: &RollupCount| c.key.segment_value.clone();
            let now = aggregate(&catalogue, inputs.segment_counters, now_parts, by);
            let was = aggregate(&catalogue, inputs.segment_counters, &vs_parts, by);
            let order: BTreeSet<String> = now.keys().chain(was.keys()).cloned().collect();
            (now, was, order.into_iter().collect())
        }
    };

    let group_by_label = inputs.group_by.to_string();
    let mut rows = Vec::new();
    for g in &group_order {
        let now = groups_now.get(g);
        let was = before(&groups_before, g);
        let defined: BTreeSet<Kpi> = match inputs.group_by {
            GroupBy::Touchpoint => catalogue
                .touchpoint_kpis
                .get(g)
                .cloned()
                .unwrap_or_default(),
            _ => BTreeSet::new(),
        };
        for kpi in Kpi::ALL {
            let measured = |c: Option<&Counts>| c.is_some_and(|c| c.n(kpi) > 0);
            if !(defined.contains(&kpi)
                || measured(now)
                || measured(was.clone().flatten().as_ref()))
            {
                continue;
            }
            let tgt = match inputs.group_by {
                GroupBy::Touchpoint => target(program, kpi, Some(g)),
                _ => target(program, kpi, None),
            };
            rows.push(row(
                &group_by_label,
                g,
                kpi,
                now,
                was.as_ref().map(Option::as_ref),
                tgt,
                inputs.alpha,
            ));
        }
    }
    let all_kpis: BTreeSet<Kpi> = catalogue
        .touchpoint_kpis
        .values()
        .flatten()
        .copied()
        .collect();
    for kpi in Kpi::ALL {
        let measured = total_now.n(kpi) > 0 || total_before.n(kpi) > 0;
        if !(all_kpis.contains(&kpi) || measured) {
            continue;
        }
        rows.push(row(
            "all",
            "all",
            kpi,
            Some(&total_now),
            has_vs.then_some(Some(&total_before)),
            target(program, kpi, None),
            inputs.alpha,
        ));
    }

    // Journey map and trends.
    let trend_counts: Vec<(String, BTreeMap<String, Counts>)> = inputs
        .trend
        .iter()
        .map(|p| {
            (
                p.key.clone(),
                aggregate(&catalogue, inputs.counters, &p.parts, touchpoint_of),
            )
        })
        .collect();
    let touchpoints: Vec<TouchpointView> = ordered
        .iter()
        .map(|t| {
            let id = t.id.to_string();
            let kpis = catalogue.touchpoint_kpis.get(&id);
            // The first of NPS, CSAT, CES, FCR it measures, preferring one answered now.
            let defined: Vec<Kpi> = [Kpi::Nps, Kpi::Csat, Kpi::Ces, Kpi::Fcr]
                .into_iter()
                .filter(|k| kpis.is_some_and(|set| set.contains(k)))
                .collect();
            let kpi = defined
                .iter()
                .copied()
                .find(|k| tp_now.get(&id).is_some_and(|c| c.n(*k) > 0))
                .or_else(|| defined.first().copied());
            let row = kpi.map(|k| {
                row(
                    "touchpoint",
                    &id,
                    k,
                    tp_now.get(&id),
                    before(&tp_before, &id).as_ref().map(Option::as_ref),
                    target(program, k, Some(&id)),
                    inputs.alpha,
                )
            });
            let trend = kpi
                .map(|k| {
                    trend_counts
                        .iter()
                        .map(|(period, by_tp)| {
                            let c = by_tp.get(&id).cloned().unwrap_or_default();
                            let (value, moe95) = c.stat(k).map_or((None, None), |s| {
                                let (v, m) = s.value_and_moe();
                                (Some(v), m)
                            });
                            TrendPoint {
                                period: period.clone(),
                                n: c.n(k),
                                value,
                                moe95,
                            }
                        })
                        .skip_while(|p: &TrendPoint| p.value.is_none())
                        .collect()
                })
                .unwrap_or_default();
            TouchpointView {
                id,
                name: t
                    .name
                    .pick(lang, &program.file.program.default_locale)
                    .to_owned(),
                stage: t.stage.as_str().to_owned(),
                moment_of_truth: t.moment_of_truth,
                intensity: *t.intensity,
                kpi,
                row,
                trend,
            }
        })
        .collect();

    // NPS distribution: total, then each group.
    let split = |group: &str, label: String, c: &Counts| -> Option<NpsSplit> {
        let nps = Nps::from_histogram(&c.nps)?;
        let n = nps.n as f64;
        Some(NpsSplit {
            group: group.to_owned(),
            label,
            n: nps.n,
            detractors: 100.0 * nps.detractors as f64 / n,
            passives: 100.0 * nps.passives as f64 / n,
            promoters: 100.0 * nps.promoters as f64 / n,
        })
    };
    let total_label = if lang == "fr" { "Ensemble" } else { "All" };
    let mut nps: Vec<NpsSplit> = split("all", total_label.to_owned(), &total_now)
        .into_iter()
        .collect();
    for g in &group_order {
        let label = match inputs.group_by {
            GroupBy::Touchpoint => touchpoints
                .iter()
                .find(|t| &t.id == g)
                .map_or_else(|| g.clone(), |t| t.name.clone()),
            _ => g.clone(),
        };
        if let Some(s) = groups_now.get(g).and_then(|c| split(g, label, c)) {
            nps.push(s);
        }
    }

    let (themes, verbatims, quotes) = themes_and_quotes(inputs, &catalogue, &touchpoints);

    let responses = total_now.responses;
    let mut notes = inputs.notes.clone();
    if responses == 0 {
        notes.push(if lang == "fr" {
            format!(
                "Aucune réponse sur la période {} : les indicateurs et les écarts sont vides.",
                inputs.period.key
            )
        } else {
            format!(
                "No responses in period {}: KPIs and deltas are empty.",
                inputs.period.key
            )
        });
    }
    let used = inputs
        .counters
        .iter()
        .chain(inputs.segment_counters)
        .filter(|c| now_parts.contains(&c.key.period) || vs_parts.contains(&c.key.period));
    let deliveries: Vec<Delivery> = inputs
        .deliveries
        .iter()
        .filter(|d| now_parts.contains(&d.period) || vs_parts.contains(&d.period))
        .cloned()
        .collect();
    let stamp = Stamp {
        program_id: program.id().to_owned(),
        program_sha256: program.sha256.clone(),
        period: inputs.period.key.clone(),
        period_start: inputs.period.start.clone(),
        period_end: inputs.period.end.clone(),
        vs_period: inputs.vs.as_ref().map(|v| v.key.clone()),
        vs_start: inputs.vs.as_ref().map(|v| v.start.clone()),
        vs_end: inputs.vs.as_ref().map(|v| v.end.clone()),
        group_by: group_by_label,
        alpha: inputs.alpha,
        responses,
        prev_responses: has_vs.then_some(total_before.responses),
        responses_digest: digest(used, &deliveries),
        generated_at: inputs.generated_at.clone(),
        notes,
    };
    Report {
        stamp,
        rows,
        title: program
            .file
            .program
            .title
            .pick(lang, &program.file.program.default_locale)
            .to_owned(),
        lang: lang.to_owned(),
        touchpoints,
        nps,
        themes,
        verbatims,
        quotes,
    }
}

/// Theme counts over the period's verbatims (split by NPS category), and a few quotes:
/// detractors first, emails masked, no respondent data.
fn themes_and_quotes(
    inputs: &Inputs<'_>,
    catalogue: &Catalogue,
    touchpoints: &[TouchpointView],
) -> (Vec<ThemeView>, u64, Vec<Quote>) {
    let matcher = ThemeMatcher::new(
        inputs
            .program
            .file
            .themes
            .iter()
            .map(|(name, words)| (name.clone(), words.iter().cloned().collect::<Vec<_>>())),
    );
    let mut counter = ThemeCounter::new(&matcher);
    let mut candidates: Vec<(u8, Quote)> = Vec::new();
    for response in inputs.verbatims {
        let score = response
            .answers
            .iter()
            .find(|a| catalogue.feeds(&response.survey_id, &a.question_id) == Some(Feeds::Nps))
            .and_then(|a| a.num_value)
            .filter(|v| v.fract() == 0.0 && (0.0..=10.0).contains(v))
            .map(|v| v as u8);
        let category = score.and_then(NpsCategory::of);
        let touchpoint = response
            .touchpoint_id
            .as_deref()
            .and_then(|id| touchpoints.iter().find(|t| t.id == id))
            .map(|t| t.name.clone())
            .unwrap_or_default();
        for text in response
            .answers
            .iter()
            .filter_map(|a| a.text_value.as_deref())
        {
            if text.trim().is_empty() {
                continue;
            }
            counter.add(text, category);
            let rank = match category {
                Some(NpsCategory::Detractor) => 0,
                Some(NpsCategory::Passive) => 2,
                Some(NpsCategory::Promoter) => 1,
                None => 3,
            };
            candidates.push((
                rank,
                Quote {
                    touchpoint: touchpoint.clone(),
                    score,
                    text: anonymise(text),
                },
            ));
        }
    }
    candidates.sort_by_key(|(rank, _)| *rank);
    let mut seen = BTreeSet::new();
    candidates.retain(|(_, q)| seen.insert(q.text.to_lowercase()));
    let quotes = candidates
        .into_iter()
        .take(MAX_VERBATIMS)
        .map(|(_, q)| q)
        .collect();
    let themes = counter
        .counts()
        .into_iter()
        .filter(|t| t.count > 0)
        .map(|t| ThemeView {
            theme: t.theme,
            count: t.count,
            share: t.share,
            detractors: t.by_category.detractors,
            passives: t.by_category.passives,
            promoters: t.by_category.promoters,
        })
        .collect();
    (themes, counter.verbatims(), quotes)
}

/// Longest quote, in characters.
const QUOTE_CHARS: usize = 280;

/// Masks anything that looks like an email and shortens long texts.
fn anonymise(text: &str) -> String {
    let masked: Vec<&str> = text
        .split_whitespace()
        .map(|w| if w.contains('@') { "[…]" } else { w })
        .collect();
    let joined = masked.join(" ");
    if joined.chars().count() > QUOTE_CHARS {
        let cut: String = joined.chars().take(QUOTE_CHARS).collect();
        format!("{cut}…")
    } else {
        joined
    }
}

#[cfg(test)]
mod tests;

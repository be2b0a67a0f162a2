//! Rules, targets and themes: fatigue, triggers on offered channels, measurable targets in
//! range, themes with keywords.

use std::collections::{BTreeMap, BTreeSet};

use super::Checker;
use crate::program::diagnostic::did_you_mean;
use crate::program::model::{
    Better, ChannelType, Indicator, IndicatorKind, Kpi, KpiId, ProgramFile, QuestionKpi, Survey,
};
use crate::program::spanned::{At, Position};

impl Checker<'_> {
    pub(super) fn rules(&mut self, program: &ProgramFile) {
        if let Some(fatigue) = &program.rules.fatigue
            && *fatigue.min_days_between_contacts > 3660
        {
            self.report(
                fatigue.min_days_between_contacts.position(),
                "fatigue window longer than ten years",
                Some("`min_days_between_contacts` is in days, e.g. 90".into()),
            );
        }
        let surveys: BTreeMap<&str, &Survey> =
            program.surveys.iter().map(|s| (s.id.as_str(), s)).collect();
        let survey_ids: BTreeSet<&str> = surveys.keys().copied().collect();
        let channels: BTreeSet<&str> = program.channels.iter().map(|c| c.id.as_str()).collect();
        for trigger in &program.rules.triggers {
            self.identifier("event name", &trigger.event);
            let survey_known = self.reference("survey", &trigger.survey, &survey_ids);
            let channel_known = self.reference("channel", &trigger.channel, &channels);
            if survey_known
                && channel_known
                && let Some(survey) = surveys.get(trigger.survey.as_str())
                && !survey
                    .channels
                    .iter()
                    .any(|c| c.as_str() == trigger.channel.as_str())
            {
                self.report(
                    trigger.channel.position(),
                    format!(
                        "survey `{}` is not offered on channel `{}`",
                        *trigger.survey, *trigger.channel
                    ),
                    Some(format!(
                        "add `{}` to the survey's `channels`",
                        *trigger.channel
                    )),
                );
            }
        }
    }

    pub(super) fn targets(&mut self, program: &ProgramFile) {
        let touchpoints: BTreeSet<&str> =
            program.touchpoints.iter().map(|t| t.id.as_str()).collect();
        let channel_kinds: BTreeMap<&str, ChannelType> = program
            .channels
            .iter()
            .map(|c| (c.id.as_str(), *c.kind))
            .collect();
        let surveys_placed = program
            .surveys
            .iter()
            .all(|survey| touchpoints.contains(survey.touchpoint.as_str()));
        let indicators: BTreeMap<&str, &Indicator> = program
            .indicators
            .iter()
            .map(|i| (i.id.as_str(), i))
            .collect();
        for target in &program.targets {
            let scope = match &target.touchpoint {
                Some(touchpoint) => {
                    if !self.reference("touchpoint", touchpoint, &touchpoints) {
                        continue;
                    }
                    Some(touchpoint.as_str())
                }
                None => None,
            };
            let (goal, at_most) = match (&target.at_least, &target.at_most) {
                (Some(goal), None) => (goal, false),
                (None, Some(goal)) => (goal, true),
                (Some(_), Some(goal)) => {
                    self.report(
                        goal.position(),
                        format!("target on `{}` has both at_least and at_most", *target.kpi),
                        Some("keep one: the side the figure should stay on".into()),
                    );
                    continue;
                }
                (None, None) => {
                    self.report(
                        target.kpi.position(),
                        format!("target on `{}` has no goal", *target.kpi),
                        Some("add `at_least: 40`, or `at_most: 60` for an indicator where lower is better".into()),
                    );
                    continue;
                }
            };
            match &*target.kpi {
                KpiId::Survey(kpi) => {
                    let kpi_name = kpi_name(*kpi);
                    if surveys_placed {
                        self.measured(
                            "target",
                            program,
                            &channel_kinds,
                            scope,
                            *kpi,
                            target.kpi.position(),
                        );
                    }
                    if at_most {
                        self.report(
                            goal.position(),
                            format!(
                                "{kpi_name} target uses at_most, but a higher {kpi_name} is better"
                            ),
                            Some(format!("write `at_least: {}`", **goal)),
                        );
                        continue;
                    }
                    let (low, high) = match kpi {
                        Kpi::Nps => (-100.0, 100.0),
                        Kpi::Ces => (1.0, 7.0),
                        _ => (0.0, 100.0),
                    };
                    if !(low..=high).contains(&**goal) {
                        self.report(
                            goal.position(),
                            format!("{kpi_name} target {} is outside {low}…{high}", **goal),
                            Some("NPS is in points (−100…100), CSAT, FCR and response rate in percent, CES on 1…7".into()),
                        );
                    }
                }
                KpiId::Indicator(id) => match indicators.get(id.as_str()) {
                    Some(indicator) => self.indicator_goal(indicator, goal, at_most),
                    None => {
                        let known: Vec<&str> = Kpi::ALL
                            .iter()
                            .map(|k| k.as_str())
                            .chain(indicators.keys().copied())
                            .collect();
                        let hint = match did_you_mean(id, known.iter().copied()) {
                            Some(close) => format!("did you mean `{close}`?"),
                            None => format!(
                                "targets name a survey KPI or an indicator: {}",
                                known.join(", ")
                            ),
                        };
                        self.report(
                            target.kpi.position(),
                            format!("unknown KPI or indicator `{id}`"),
                            Some(hint),
                        );
                    }
                },
            }
        }
    }

    /// A goal on an indicator sits on the side of `better` and within its values.
    fn indicator_goal(&mut self, indicator: &Indicator, goal: &At<f64>, at_most: bool) {
        let id = indicator.id.as_str();
        match (*indicator.better, at_most) {
            (Better::Higher, true) => self.report(
                goal.position(),
                format!("target on `{id}` uses at_most, but the indicator says `better: higher`"),
                Some(format!(
                    "write `at_least: {}`, or declare `better: lower` if less is better",
                    **goal
                )),
            ),
            (Better::Lower, false) => self.report(
                goal.position(),
                format!("target on `{id}` uses at_least, but the indicator says `better: lower`"),
                Some(format!(
                    "write `at_most: {}`, or declare `better: higher` if more is better",
                    **goal
                )),
            ),
            _ => {}
        }
        let high = match *indicator.kind {
            IndicatorKind::Ratio => 100.0,
            _ => f64::INFINITY,
        };
        if !(0.0..=high).contains(&**goal) {
            self.report(
                goal.position(),
                format!("target {} on `{id}` is outside its possible values", **goal),
                Some(if high.is_finite() {
                    "a ratio is in percent, 0…100".into()
                } else {
                    "indicator values are never negative".into()
                }),
            );
        }
    }

    pub(super) fn themes(&mut self, program: &ProgramFile) {
        for (theme, keywords) in &program.themes {
            if keywords.iter().all(|k| k.trim().is_empty()) {
                self.report(
                    keywords.position(),
                    format!("theme `{theme}` has no keyword"),
                    Some(
                        "list words that signal the theme, e.g. `[délai, retard, attente]`".into(),
                    ),
                );
            }
        }
    }

    /// Reports `kpi` when no survey of `scope` (a touchpoint, or the whole program)
    /// measures it; `what` names the section asking (`target`, `action`).
    pub(super) fn measured(
        &mut self,
        what: &str,
        program: &ProgramFile,
        channel_kinds: &BTreeMap<&str, ChannelType>,
        scope: Option<&str>,
        kpi: Kpi,
        position: Position,
    ) {
        let measured = program
            .surveys
            .iter()
            .filter(|survey| scope.is_none_or(|t| survey.touchpoint.as_str() == t))
            .any(|survey| match kpi {
                Kpi::ResponseRate => survey
                    .channels
                    .iter()
                    .any(|c| channel_kinds.get(c.as_str()) == Some(&ChannelType::Email)),
                Kpi::Fcr => survey
                    .questions
                    .iter()
                    .any(|q| q.kpi.as_deref() == Some(&QuestionKpi::Fcr)),
                kpi => survey.questions.iter().any(|q| q.kind.kpi() == Some(kpi)),
            });
        if measured {
            return;
        }
        let kpi_name = kpi_name(kpi);
        let place = scope
            .map(|t| format!("touchpoint `{t}`"))
            .unwrap_or_else(|| "this program".to_owned());
        self.report(
            position,
            format!("{what} on {kpi_name}, but no survey of {place} measures it"),
            Some(match kpi {
                Kpi::Fcr => {
                    "add a yes_no question with `kpi: fcr` to a survey of this touchpoint".into()
                }
                Kpi::ResponseRate => "response rate needs a survey sent by an email channel".into(),
                _ => format!(
                    "add a `{}` question to a survey of this touchpoint",
                    kpi_name.to_lowercase()
                ),
            }),
        );
    }
}

/// A KPI as people name it in messages.
pub(super) fn kpi_name(kpi: Kpi) -> &'static str {
    match kpi {
        Kpi::Nps => "NPS",
        Kpi::Csat => "CSAT",
        Kpi::Ces => "CES",
        Kpi::Fcr => "FCR",
        Kpi::ResponseRate => "response rate",
    }
}

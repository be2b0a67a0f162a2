//! Action plans: a touchpoint that exists, a survey KPI its surveys measure, an owner, a
//! start date, an expected change in the KPI's range, a sensible number of periods.

use std::collections::{BTreeMap, BTreeSet};

use super::Checker;
use super::rules::kpi_name;
use crate::program::model::{ChannelType, Kpi, ProgramFile};

/// The most program periods an action compares on each side of its start.
const MAX_ACTION_PERIODS: u32 = 12;

impl Checker<'_> {
    pub(super) fn actions(&mut self, program: &ProgramFile) {
        self.unique("action", program.actions.iter().map(|a| &a.id));
        let locales = &program.program.locales;
        let touchpoints: BTreeSet<&str> =
            program.touchpoints.iter().map(|t| t.id.as_str()).collect();
        let channel_kinds: BTreeMap<&str, ChannelType> = program
            .channels
            .iter()
            .map(|c| (c.id.as_str(), *c.kind))
            .collect();
        for action in &program.actions {
            self.localized(
                &format!("action `{}` title", *action.id),
                &action.title,
                locales,
            );
            let touchpoint_known = self.reference("touchpoint", &action.touchpoint, &touchpoints);
            if *action.kpi == Kpi::ResponseRate {
                self.report(
                    action.kpi.position(),
                    format!(
                        "action `{}` follows the response rate, which no answer measures",
                        *action.id
                    ),
                    Some(
                        "follow a survey KPI: nps, csat, ces or fcr (indicators are not supported yet)"
                            .into(),
                    ),
                );
            } else if touchpoint_known {
                let scope = Some(action.touchpoint.as_str());
                self.measured(
                    "action",
                    program,
                    &channel_kinds,
                    scope,
                    *action.kpi,
                    action.kpi.position(),
                );
            }
            if action.owner.trim().is_empty() {
                self.report(
                    action.owner.position(),
                    format!("action `{}` has no owner", *action.id),
                    Some(
                        "name the team or person who carries it, e.g. `owner: Équipe livraison`"
                            .into(),
                    ),
                );
            }
            self.date(&action.started);
            if let Some(expected) = &action.expected {
                let bound = match *action.kpi {
                    Kpi::Nps => 200.0,
                    Kpi::Ces => 6.0,
                    _ => 100.0,
                };
                if **expected == 0.0 || expected.abs() > bound {
                    self.report(
                        expected.position(),
                        format!(
                            "expected change {} of {} is not between −{bound} and {bound}, or is 0",
                            **expected,
                            kpi_name(*action.kpi)
                        ),
                        Some("the hoped-for change in the KPI's unit: NPS points, percentage points, CES units, e.g. `expected: 5`".into()),
                    );
                }
            }
            if let Some(periods) = &action.periods
                && !(1..=MAX_ACTION_PERIODS).contains(&**periods)
            {
                self.report(
                    periods.position(),
                    format!("action `{}` compares {} periods", *action.id, **periods),
                    Some(format!(
                        "compare 1 to {MAX_ACTION_PERIODS} program periods on each side of `started` (default 3)"
                    )),
                );
            }
        }
    }
}

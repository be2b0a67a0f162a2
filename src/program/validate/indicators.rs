//! Indicators: unique ids that are not survey KPI names, a name in every locale, a known
//! touchpoint, a unit that fits the kind (a ratio in percent, money with its ISO code), and
//! a breakdown only on a count.

use std::collections::BTreeSet;

use super::Checker;
use crate::program::model::{IndicatorKind, Kpi, ProgramFile, Unit};

impl Checker<'_> {
    pub(super) fn indicators(&mut self, program: &ProgramFile) {
        self.unique("indicator", program.indicators.iter().map(|i| &i.id));
        let touchpoints: BTreeSet<&str> =
            program.touchpoints.iter().map(|t| t.id.as_str()).collect();
        for indicator in &program.indicators {
            let id = indicator.id.as_str();
            if Kpi::ALL.iter().any(|k| k.as_str() == id) {
                self.report(
                    indicator.id.position(),
                    format!("indicator `{id}` has the name of a survey KPI"),
                    Some(format!(
                        "choose another id, e.g. `{id}-operationnel`, so targets and reports can tell them apart"
                    )),
                );
            }
            self.localized(
                &format!("indicator `{id}` name"),
                &indicator.name,
                &program.program.locales,
            );
            if let Some(touchpoint) = &indicator.touchpoint {
                self.reference("touchpoint", touchpoint, &touchpoints);
            }
            if *indicator.kind == IndicatorKind::Ratio && *indicator.unit != Unit::Percent {
                self.report(
                    indicator.unit.position(),
                    format!("indicator `{id}` is a ratio, which is reported in percent"),
                    Some("write `unit: percent`".into()),
                );
            }
            match (&indicator.currency, *indicator.unit) {
                (None, Unit::Currency) => self.report(
                    indicator.unit.position(),
                    format!("indicator `{id}` is in a currency, but names none"),
                    Some("add its ISO 4217 code, e.g. `currency: EUR`".into()),
                ),
                (Some(code), Unit::Currency)
                    if !(code.len() == 3 && code.chars().all(|c| c.is_ascii_uppercase())) =>
                {
                    self.report(
                        code.position(),
                        format!("`{}` is not an ISO 4217 currency code", **code),
                        Some("three capital letters, e.g. EUR, CHF, USD".into()),
                    );
                }
                (Some(code), unit) if unit != Unit::Currency => self.report(
                    code.position(),
                    format!("indicator `{id}` has a currency but its unit is not `currency`"),
                    Some("write `unit: currency`, or remove `currency`".into()),
                ),
                _ => {}
            }
            if let Some(breakdown) = &indicator.breakdown {
                if *indicator.kind != IndicatorKind::Count {
                    self.report(
                        breakdown.position(),
                        format!(
                            "indicator `{id}` is a {}, which has no breakdown",
                            indicator.kind.as_str()
                        ),
                        Some("only a `count` splits its volume by category (requests by reason); remove `breakdown`".into()),
                    );
                }
                let mut seen = BTreeSet::new();
                for category in breakdown.iter() {
                    let valid = !category.is_empty()
                        && category.len() <= 64
                        && category.chars().all(|c| {
                            c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_'
                        });
                    if !valid || !seen.insert(category.as_str()) {
                        self.report(
                            breakdown.position(),
                            format!("breakdown category `{category}` of `{id}` is not a unique id"),
                            Some("categories are distinct ids of a-z, 0-9, - and _, e.g. `[facturation, livraison, retour]`".into()),
                        );
                    }
                }
                if breakdown.is_empty() {
                    self.report(
                        breakdown.position(),
                        format!("indicator `{id}` has an empty breakdown"),
                        Some("list its categories, e.g. `[facturation, livraison, retour]`".into()),
                    );
                }
            }
        }
    }
}

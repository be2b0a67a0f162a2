//! The touchpoint map: unique ids, names in every locale, emotional intensity.

use super::Checker;
use crate::program::model::ProgramFile;

impl Checker<'_> {
    pub(super) fn touchpoints(&mut self, program: &ProgramFile) {
        let locales = &program.program.locales;
        self.unique("touchpoint", program.touchpoints.iter().map(|t| &t.id));
        for touchpoint in &program.touchpoints {
            self.localized(
                &format!("touchpoint `{}` name", *touchpoint.id),
                &touchpoint.name,
                locales,
            );
            if !(1..=5).contains(&*touchpoint.intensity) {
                self.report(
                    touchpoint.intensity.position(),
                    format!(
                        "emotional intensity {} is out of range",
                        *touchpoint.intensity
                    ),
                    Some("use 1 (low) to 5 (high)".to_owned()),
                );
            }
        }
    }
}

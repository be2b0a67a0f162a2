//! Contact sources and samples: exactly one source each, a contact file inside the program's
//! folder, sizes, rates, strata, filters.

use std::collections::BTreeSet;

use super::{Checker, Problem};
use crate::contacts::confined_source;
use crate::program::load;
use crate::program::model::{ProgramFile, Sample};

impl Checker<'_> {
    pub(super) fn contacts(&mut self, program: &ProgramFile) {
        self.unique("contact source", program.contacts.iter().map(|c| &c.id));
        for source in &program.contacts {
            match (&source.csv, &source.store) {
                (Some(_), Some(_)) | (None, None) => self.report(
                    source.id.position(),
                    format!(
                        "contact source `{}` needs exactly one of `csv` or `store`",
                        *source.id
                    ),
                    Some(
                        "`csv: contacts/clients.csv` reads a file next to the program; \
                         `store: true` uses contacts imported with `ecoute contacts import`"
                            .to_owned(),
                    ),
                ),
                (Some(csv), None) => {
                    let folder = load::folder_of(self.path);
                    if let Err(problem) = confined_source(folder, csv.as_str()) {
                        self.report(csv.position(), &problem, Some(problem.hint(folder)));
                    }
                }
                (None, Some(store)) if !**store => self.report(
                    store.position(),
                    "`store: false` names no source",
                    Some("use `store: true`, or `csv: FILE`".to_owned()),
                ),
                (None, Some(_)) => {}
            }
        }
    }

    pub(super) fn samples(&mut self, program: &ProgramFile) {
        self.unique("sample", program.samples.iter().map(|s| &s.id));
        let sources: BTreeSet<&str> = program.contacts.iter().map(|c| c.id.as_str()).collect();
        for sample in &program.samples {
            self.reference("contact source", &sample.contacts, &sources);
            self.draw(program, sample);
            if let Some(filter) = &sample.filter {
                self.expression("filter", filter);
            }
            let mut seen = BTreeSet::new();
            for stratum in &sample.strata {
                if !seen.insert(stratum.as_str()) {
                    self.report(
                        stratum.position(),
                        Problem::ListedTwice {
                            what: "stratum",
                            value: stratum.to_string(),
                        },
                        None,
                    );
                }
            }
            if let (Some(min), Some(size)) = (&sample.min_per_stratum, &sample.size) {
                if sample.strata.is_empty() {
                    self.report(
                        min.position(),
                        "`min_per_stratum` needs `strata`",
                        Some("add the attributes to stratify on, e.g. `strata: [region]`".into()),
                    );
                } else if **min > **size {
                    self.report(
                        min.position(),
                        format!(
                            "`min_per_stratum` ({}) is larger than the sample size ({})",
                            **min, **size
                        ),
                        None,
                    );
                }
            }
        }
    }

    /// Exactly one of `size`, `rate` and `precision`, each in range; a precision goal on a
    /// KPI that every survey drawing from the sample measures.
    fn draw(&mut self, program: &ProgramFile, sample: &Sample) {
        let given = [
            sample.size.as_ref().map(|s| ("size", s.position())),
            sample.rate.as_ref().map(|r| ("rate", r.position())),
            sample
                .precision
                .as_ref()
                .map(|p| ("precision", p.kpi.position())),
        ];
        let given: Vec<(&str, _)> = given.into_iter().flatten().collect();
        match given.as_slice() {
            [] => self.report(
                sample.id.position(),
                format!(
                    "sample `{}` sets none of `size`, `rate` or `precision`",
                    *sample.id
                ),
                Some("add `size: 400`, `rate: 0.1` or `precision: { kpi: nps, moe95: 5 }`".into()),
            ),
            [_] => {}
            [(first, _), (second, position), ..] => self.report(
                *position,
                format!(
                    "sample `{}` sets both `{first}` and `{second}`",
                    *sample.id
                ),
                Some(
                    "keep one: `size` draws a number, `rate` a share, `precision` enough for a margin"
                        .to_owned(),
                ),
            ),
        }
        if let Some(size) = &sample.size
            && **size == 0
        {
            self.report(size.position(), "sample size must be at least 1", None);
        }
        if let Some(rate) = &sample.rate
            && !(**rate > 0.0 && **rate <= 1.0)
        {
            self.report(
                rate.position(),
                format!("sample rate {} is out of range", **rate),
                Some("a rate is a share between 0 (excluded) and 1, e.g. 0.15".to_owned()),
            );
        }
        if let Some(expected) = &sample.expected_response_rate
            && !(**expected > 0.0 && **expected <= 1.0)
        {
            self.report(
                expected.position(),
                format!("expected response rate {} is out of range", **expected),
                Some("a response rate is a share between 0 (excluded) and 1, e.g. 0.25".into()),
            );
        }
        let Some(precision) = &sample.precision else {
            return;
        };
        if !(*precision.moe95 > 0.0 && precision.moe95.is_finite()) {
            self.report(
                precision.moe95.position(),
                format!(
                    "precision margin {} must be greater than 0",
                    *precision.moe95
                ),
                Some(
                    "the margin is the half-width of the 95 % interval in the KPI's unit, \
                     e.g. `moe95: 5` for ±5 NPS points"
                        .to_owned(),
                ),
            );
        }
        let kpi = *precision.kpi;
        for survey in program
            .surveys
            .iter()
            .filter(|s| s.sample.as_deref().map(String::as_str) == Some(sample.id.as_str()))
        {
            if !survey.questions.iter().any(|q| q.measures() == Some(kpi)) {
                let measured: BTreeSet<&str> = survey
                    .questions
                    .iter()
                    .filter_map(|q| q.measures().map(|k| k.as_str()))
                    .collect();
                self.report(
                    precision.kpi.position(),
                    format!(
                        "sample `{}` sets a precision on {kpi}, which survey `{}` does not measure",
                        *sample.id, *survey.id
                    ),
                    Some(if measured.is_empty() {
                        "the survey has no NPS, CSAT, CES or FCR question; use `size` or `rate`"
                            .to_owned()
                    } else {
                        format!(
                            "the survey measures {}",
                            measured.into_iter().collect::<Vec<_>>().join(", ")
                        )
                    }),
                );
            }
        }
    }
}

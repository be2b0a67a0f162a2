//! Contact sources and samples: exactly one source each, a contact file inside the program's
//! folder, sizes, rates, strata, filters.

use std::collections::BTreeSet;

use super::{Checker, Problem};
use crate::contacts::confined_source;
use crate::program::load;
use crate::program::model::ProgramFile;

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
            match (&sample.size, &sample.rate) {
                (Some(size), Some(_)) => self.report(
                    size.position(),
                    format!("sample `{}` sets both `size` and `rate`", *sample.id),
                    Some("keep one: `size` draws a number, `rate` a share".to_owned()),
                ),
                (None, None) => self.report(
                    sample.id.position(),
                    format!("sample `{}` sets neither `size` nor `rate`", *sample.id),
                    Some("add `size: 400` or `rate: 0.1`".to_owned()),
                ),
                (Some(size), None) if **size == 0 => {
                    self.report(size.position(), "sample size must be at least 1", None)
                }
                (None, Some(rate)) if !(**rate > 0.0 && **rate <= 1.0) => self.report(
                    rate.position(),
                    format!("sample rate {} is out of range", **rate),
                    Some("a rate is a share between 0 (excluded) and 1, e.g. 0.15".to_owned()),
                ),
                _ => {}
            }
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
}

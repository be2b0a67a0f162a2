//! Raw bytes through the answer CSV importer's parsing and validation (`ecoute responses
//! import` before anything is written), against every survey of the example programs:
//! every row must come back as a response or line-numbered problems, never a panic.
#![no_main]

use ecoute::responses::{DateFormat, parse};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&choice, bytes)) = data.split_first() else {
        return;
    };
    let programs = ecoute_fuzz::programs();
    let program = &programs[usize::from(choice) % programs.len()];
    let surveys = &program.file.surveys;
    let survey = &surveys[usize::from(choice / 2) % surveys.len()];
    let delimiter = [b',', b';', b'\t'][usize::from(choice / 16) % 3];
    let date_format =
        [None, Some(DateFormat::Iso), Some(DateFormat::DayMonthYear)][usize::from(choice / 64) % 3];
    match parse(bytes, delimiter, program, survey, date_format) {
        Ok(parsed) => {
            for error in &parsed.errors {
                let _ = error.to_string();
            }
        }
        Err(error) => {
            let _ = error.to_string();
        }
    }
});

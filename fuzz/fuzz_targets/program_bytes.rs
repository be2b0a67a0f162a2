//! Raw bytes through the program loader and validator (`ecoute check`'s path once the
//! file is read), each diagnostic rendered as the CLI prints it: any input must give a
//! program or diagnostics, never a panic, a hang or an unbounded allocation.
#![no_main]

use std::sync::OnceLock;

use ecoute::program::{CheckContext, load_bytes};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    static CONTEXT: OnceLock<CheckContext> = OnceLock::new();
    let context = CONTEXT.get_or_init(CheckContext::default);
    let path = ecoute_fuzz::program_path("fuzzed.yaml");
    if let Err(problems) = load_bytes(&path, data.to_vec(), context) {
        for problem in &problems {
            let _ = problem.render(false);
        }
    }
});

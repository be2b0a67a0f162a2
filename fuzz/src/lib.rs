//! What the fuzz targets share: the example programs they feed answers to, loaded once
//! through the same loader as `ecoute check`.

use std::path::PathBuf;
use std::sync::OnceLock;

use ecoute::program::{CheckContext, Program, load};

/// The repository's example program files, by name.
pub const PROGRAMS: [&str; 2] = ["fidelite-clients.yaml", "support-quality.yaml"];

/// Path of an example program in the repository's `programs/` folder.
pub fn program_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("programs")
        .join(name)
}

/// The example programs, loaded and validated once per process; a target whose examples do
/// not load stops at once, as fuzzing it would test nothing.
pub fn programs() -> &'static [Program] {
    static PROGRAMS_LOADED: OnceLock<Vec<Program>> = OnceLock::new();
    PROGRAMS_LOADED.get_or_init(|| {
        PROGRAMS
            .iter()
            .map(
                |name| match load(&program_path(name), &CheckContext::default()) {
                    Ok(program) => program,
                    Err(problems) => panic!("example program {name} does not load: {problems:?}"),
                },
            )
            .collect()
    })
}

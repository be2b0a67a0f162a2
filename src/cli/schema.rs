//! `ecoute schema`: the JSON Schema of program files, for editors and CI.

use anyhow::Context;

use super::Exit;

/// Prints the schema on standard output.
pub fn run() -> anyhow::Result<Exit> {
    let schema = schemars::schema_for!(crate::program::ProgramFile);
    let text = serde_json::to_string_pretty(&schema).context("cannot print the schema")?;
    say!("{text}");
    Ok(Exit::Success)
}

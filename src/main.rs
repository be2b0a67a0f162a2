//! The `ecoute` command: parses arguments and hands over to [`ecoute::cli`].

use std::process::ExitCode;

use clap::Parser;

/// mimalloc rather than the system allocator: counting a batch of answers builds many small
/// keys, and glibc's allocator took a third of a large `responses import` by itself.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = ecoute::cli::Cli::parse();
    match ecoute::cli::run(cli) {
        Ok(exit) => exit.into(),
        Err(err) => {
            eprintln!("error: {err:#}");
            ecoute::cli::Exit::Usage.into()
        }
    }
}

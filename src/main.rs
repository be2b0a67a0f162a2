//! The `ecoute` command: parses arguments and hands over to [`ecoute::cli`].

use std::process::ExitCode;

use clap::Parser;

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

//! `ecoute map`: a program's touchpoint map alone, no data needed.

use clap::{Args, ValueEnum};

use super::Exit;
use super::options::{OutputArgs, TemplatesArgs};
use super::shared::{create_output, find_program, write_output};
use crate::config::Settings;
use crate::report::{self, render::Renderer};

/// Arguments of `ecoute map`.
#[derive(Debug, Args)]
pub struct MapArgs {
    /// Program id (in programs/) or program file
    program: String,
    /// Output format
    #[arg(long, value_enum, default_value_t = MapFormat::Svg)]
    format: MapFormat,
    #[command(flatten)]
    output: OutputArgs,
    #[command(flatten)]
    pub templates: TemplatesArgs,
}

/// Output formats of `ecoute map`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MapFormat {
    /// A standalone SVG picture.
    Svg,
    /// A Mermaid flowchart.
    Mermaid,
}

/// Runs `ecoute map`.
pub fn run(args: &MapArgs, settings: &Settings) -> anyhow::Result<Exit> {
    let program = find_program(&args.program, settings)?;
    let output = create_output(args.output.output.as_deref())?;
    let renderer = Renderer::new(settings.templates.as_deref());
    let text = match args.format {
        MapFormat::Svg => report::map::svg(&program, &renderer)?,
        MapFormat::Mermaid => report::map::mermaid(&program, &renderer)?,
    };
    write_output(output, args.output.output.as_deref(), &text)?;
    if let Some(path) = &args.output.output {
        eprintln!("map of {} written to {}", program.id(), path.display());
    }
    Ok(Exit::Success)
}

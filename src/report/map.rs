//! `ecoute map`: a program's touchpoint map on its own, without data, as SVG (for slides)
//! or Mermaid (for a wiki or a pull request).

use super::TouchpointView;
use super::build::language;
use super::render::{RenderError, Renderer, journey, labels_for};
use crate::program::Program;
use crate::program::model::LocalizedText;

/// The touchpoints in journey order (stable on file order within a stage), without KPIs.
fn touchpoints(program: &Program) -> Vec<TouchpointView> {
    let lang = language(program);
    let default = program.file.program.default_locale.as_str();
    let mut ordered: Vec<_> = program.file.touchpoints.iter().collect();
    ordered.sort_by_key(|t| t.stage);
    ordered
        .into_iter()
        .map(|t| TouchpointView {
            id: t.id.to_string(),
            name: t.name.pick(lang, default).to_owned(),
            stage: t.stage.as_str().to_owned(),
            moment_of_truth: t.moment_of_truth,
            intensity: *t.intensity,
            kpi: None,
            row: None,
            trend: Vec::new(),
        })
        .collect()
}

/// The map as a standalone SVG document.
pub fn svg(program: &Program, renderer: &Renderer) -> Result<String, RenderError> {
    let lang = language(program);
    let t = labels_for(renderer, lang)?;
    let title = program
        .file
        .program
        .title
        .pick(lang, &program.file.program.default_locale)
        .to_owned();
    let layout = journey(&touchpoints(program), &t, &title);
    renderer.map_svg(&layout, lang)
}

/// Quotes a label for Mermaid (`"` becomes `#quot;`).
fn mermaid_text(text: &str) -> String {
    text.replace('"', "#quot;").replace(['\n', '\r'], " ")
}

/// The map as a Mermaid flowchart: one subgraph per stage, touchpoints in journey order,
/// moments of truth highlighted.
pub fn mermaid(program: &Program, renderer: &Renderer) -> Result<String, RenderError> {
    let lang = language(program);
    let t = labels_for(renderer, lang)?;
    let points = touchpoints(program);
    let mut out = String::from("flowchart LR\n");
    let mut stage: Option<&str> = None;
    for (i, tp) in points.iter().enumerate() {
        if stage != Some(tp.stage.as_str()) {
            if stage.is_some() {
                out.push_str("  end\n");
            }
            let label = t
                .get(format!("stage_{}", tp.stage))
                .and_then(|v| v.as_str())
                .unwrap_or(&tp.stage);
            out.push_str(&format!(
                "  subgraph stage_{}[\"{}\"]\n",
                tp.stage,
                mermaid_text(label)
            ));
            stage = Some(tp.stage.as_str());
        }
        let star = if tp.moment_of_truth { "★ " } else { "" };
        out.push_str(&format!(
            "    tp{i}[\"{star}{}\"]\n",
            mermaid_text(&tp.name)
        ));
    }
    if stage.is_some() {
        out.push_str("  end\n");
    }
    if points.len() > 1 {
        let chain: Vec<String> = (0..points.len()).map(|i| format!("tp{i}")).collect();
        out.push_str(&format!("  {}\n", chain.join(" --> ")));
    }
    let truths: Vec<String> = points
        .iter()
        .enumerate()
        .filter(|(_, tp)| tp.moment_of_truth)
        .map(|(i, _)| format!("tp{i}"))
        .collect();
    out.push_str("  classDef truth fill:#fff4d6,stroke:#b45309,stroke-width:3px\n");
    if !truths.is_empty() {
        out.push_str(&format!("  class {} truth\n", truths.join(",")));
    }
    Ok(out)
}

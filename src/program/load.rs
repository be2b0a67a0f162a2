//! Reading a program file: size, encoding and YAML limits first, then serde into the model.
//! Hostile or broken files (alias bombs, deep nesting, binary data) are rejected quickly
//! with bounded memory, never with a panic.

use std::path::Path;

use serde_saphyr::{Budget, Options};

use super::diagnostic::Diagnostic;
use super::model::ProgramFile;
use super::spanned::Position;

/// Program files larger than this are refused before parsing (real programs are a few KiB).
pub const MAX_FILE_BYTES: usize = 2 * 1024 * 1024;

/// Deepest nesting accepted; a program file needs about eight levels.
const MAX_DEPTH: usize = 32;

/// Most aliases (`*name`) accepted; they are rare in program files and the usual bomb vector.
const MAX_ALIASES: usize = 256;

/// The folder a program's relative paths start from: its file's folder, `.` for a file
/// named without one (so messages never show an empty name).
pub fn folder_of(path: &Path) -> &Path {
    match path.parent() {
        Some(folder) if !folder.as_os_str().is_empty() => folder,
        _ => Path::new("."),
    }
}

/// What keeps `path` (symlinks followed) from being read as a file, in words that follow
/// its name in a message; `None` for a regular file. A device such as `/dev/zero` or a
/// pipe would otherwise be read forever or reported as missing.
pub fn not_a_regular_file(path: &Path) -> Option<&'static str> {
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_file() => None,
        Ok(meta) if meta.is_dir() => Some("is not a regular file but a folder"),
        Ok(_) => Some("is not a regular file (a device, a pipe or a socket)"),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Some("does not exist"),
        Err(_) => Some("cannot be read (check its permissions)"),
    }
}

/// Checks the bytes of a file (already capped at [`MAX_FILE_BYTES`] when read) and returns
/// its text, or the reason it cannot be a program.
pub fn decode(path: &Path, bytes: &[u8]) -> Result<String, Diagnostic> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(text.to_owned()),
        Err(err) => {
            let valid = &bytes[..err.valid_up_to()];
            let line = valid.iter().filter(|&&b| b == b'\n').count() + 1;
            let line_start = valid
                .iter()
                .rposition(|&b| b == b'\n')
                .map(|i| i + 1)
                .unwrap_or(0);
            let column = String::from_utf8_lossy(&valid[line_start..])
                .chars()
                .count()
                + 1;
            let mut diagnostic = Diagnostic::whole_file(path, "file is not valid UTF-8 text")
                .with_hint(
                    "save the file as UTF-8 (in Excel or Notepad: \"Save as… UTF-8\"); \
                     accented letters in Latin-1 or Windows-1252 are the usual cause",
                );
            diagnostic.line = line;
            diagnostic.column = column;
            Err(diagnostic)
        }
    }
}

/// Most unknown keys set aside in one file before parsing gives up (a file of typos is
/// better fixed from the first ones).
const MAX_UNKNOWN_KEYS: usize = 50;

/// Parses YAML text into the typed model. An unknown key is reported and set aside, so the
/// rest of the file is still parsed and checked: the model comes back with those reports,
/// which make the file fail. Any other parse error ends the parse with every report so far.
pub fn parse(path: &Path, source: &str) -> Result<(ProgramFile, Vec<Diagnostic>), Vec<Diagnostic>> {
    let mut text = source.to_owned();
    let mut reports = Vec::new();
    loop {
        match parse_once(path, &text) {
            Ok(file) => return Ok((file, reports)),
            Err(Failure::Diagnostic(diagnostic)) => {
                reports.push(*diagnostic);
                return Err(reports);
            }
            Err(Failure::Yaml(err)) => {
                let diagnostic = yaml_diagnostic(path, source, &err);
                let set_aside = diagnostic.message.starts_with("unknown field `")
                    && reports.len() < MAX_UNKNOWN_KEYS
                    && set_aside_key(&mut text, diagnostic.line, diagnostic.column);
                reports.push(diagnostic);
                if !set_aside {
                    return Err(reports);
                }
            }
        }
    }
}

/// Why one parse attempt failed.
enum Failure {
    /// Refused before YAML parsing.
    Diagnostic(Box<Diagnostic>),
    /// The YAML parser's or serde's error.
    Yaml(serde_saphyr::Error),
}

/// Blanks the key at `line`:`column` and the lines indented under it, keeping the line
/// count so later positions stay right. False when the key is inside a flow mapping
/// (`{ a: 1, b: 2 }`), which cannot be cut this way.
fn set_aside_key(text: &mut String, line: usize, column: usize) -> bool {
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let Some(first) = line.checked_sub(1).and_then(|index| lines.get(index)) else {
        return false;
    };
    let prefix: String = first.chars().take(column.saturating_sub(1)).collect();
    if prefix.contains(['{', ',', '[']) || prefix.chars().count() + 1 != column {
        return false;
    }
    let indent = column - 1;
    lines[line - 1] = prefix;
    for next in lines.iter_mut().skip(line) {
        let content = next.trim_start_matches(' ');
        let deeper = next.len() - content.len() > indent;
        if !(content.is_empty() || content.starts_with('#') || deeper) {
            break;
        }
        next.clear();
    }
    *text = lines.join("\n");
    true
}

/// One parse of the text into the typed model, with limits on depth and aliases.
fn parse_once(path: &Path, source: &str) -> Result<ProgramFile, Failure> {
    let meaningful = source
        .lines()
        .any(|line| !line.trim().is_empty() && !line.trim_start().starts_with('#'));
    if !meaningful {
        return Err(Failure::Diagnostic(Box::new(
            Diagnostic::whole_file(path, "file is empty").with_hint(
                "a program needs at least `program`, `touchpoints`, `surveys`, `channels` and \
             `periods`; run `ecoute init` for a commented example",
            ),
        )));
    }
    let mut budget = Budget::default();
    budget.max_depth = MAX_DEPTH;
    budget.max_aliases = MAX_ALIASES;
    budget.max_anchors = MAX_ALIASES;
    budget.max_events = 200_000;
    budget.max_nodes = 100_000;
    let mut options = Options::default();
    options.budget = Some(budget);
    serde_saphyr::from_str_with_options::<ProgramFile>(source, options).map_err(Failure::Yaml)
}

/// Turns a YAML or serde error into a diagnostic at its position, with a hint where we
/// can guess one.
fn yaml_diagnostic(path: &Path, source: &str, err: &serde_saphyr::Error) -> Diagnostic {
    let bare = err.without_snippet();
    let message = first_line(&bare.to_string());
    let position = bare
        .location()
        .or_else(|| err.location())
        .map(|location| Position {
            line: usize::try_from(location.line()).unwrap_or(0),
            column: usize::try_from(location.column()).unwrap_or(0),
        })
        .unwrap_or_default();
    if let Some(tab) = indenting_tab(source, position.line) {
        let mut diagnostic = Diagnostic::at(path, source, tab, "tab character in the indentation")
            .with_hint("YAML indentation must use spaces, not tabs");
        diagnostic.width = 1;
        return diagnostic;
    }
    let mut diagnostic = if position.line > 0 {
        Diagnostic::at(path, source, position, message.clone())
    } else {
        Diagnostic::whole_file(path, message.clone())
    };
    let line_text = diagnostic.snippet.clone().unwrap_or_default();
    if let Some((message, hint)) = unknown_value(&message, &line_text, position.column) {
        diagnostic.message = message;
        diagnostic.hint = hint;
    } else if let Some(hint) = hint_for(&message) {
        diagnostic = diagnostic.with_hint(hint);
    }
    diagnostic
}

/// The tab that indents a line, nearest before a parse error at `error_line` (or just after
/// it: the parser reports a tab at the end of the line before). Tabs inside block text are
/// content, so this is asked only once the parse failed.
fn indenting_tab(source: &str, error_line: usize) -> Option<Position> {
    let last = if error_line == 0 {
        usize::MAX
    } else {
        error_line + 1
    };
    source
        .lines()
        .enumerate()
        .take(last)
        .filter_map(|(index, line)| {
            let indent = line
                .chars()
                .take_while(|c| *c == ' ' || *c == '\t')
                .collect::<Vec<_>>();
            let column = indent.iter().position(|c| *c == '\t')?;
            let rest = line.trim_start_matches([' ', '\t']);
            (!rest.is_empty() && !rest.starts_with('#')).then_some(Position {
                line: index + 1,
                column: column + 1,
            })
        })
        .last()
}

/// Rewrites serde's "unknown variant `x`, expected one of …" for a value outside a fixed
/// list (question or channel type, stage, scale, cadence, KPI, weekday) into words that name
/// what the value is, with a suggestion that also ignores case (`CSAT` → `csat`).
fn unknown_value(message: &str, line: &str, column: usize) -> Option<(String, Option<String>)> {
    let rest = message.strip_prefix("unknown variant `")?;
    let (value, rest) = rest.split_once('`')?;
    let list = rest.split_once("expected ")?.1;
    let list = list.strip_prefix("one of ").unwrap_or(list);
    let allowed: Vec<&str> = list
        .split(", ")
        .flat_map(|part| part.split(" or "))
        .map(|name| name.trim().trim_matches('`'))
        .filter(|name| !name.is_empty())
        .collect();
    let before: String = line.chars().take(column.saturating_sub(1)).collect();
    let key = before
        .rfind(':')
        .map(|colon| {
            before[..colon]
                .rsplit(|c: char| c.is_whitespace() || c == '{' || c == ',' || c == '-')
                .next()
                .unwrap_or_default()
        })
        .unwrap_or_default();
    let noun = match key {
        "type" if allowed.contains(&"nps") => "question type".to_owned(),
        "type" if allowed.contains(&"email") => "channel type".to_owned(),
        "stage" => "journey stage".to_owned(),
        "kpi" => "KPI".to_owned(),
        "days" => "day".to_owned(),
        "" => "value".to_owned(),
        other => other.replace('_', " "),
    };
    let lower = value.to_lowercase();
    let close = allowed
        .iter()
        .copied()
        .find(|name| *name == lower)
        .or_else(|| super::diagnostic::did_you_mean(&lower, allowed.iter().copied()));
    Some((
        format!(
            "unknown {noun} `{value}`: expected one of {}",
            allowed.join(", ")
        ),
        close.map(|close| format!("did you mean `{close}`?")),
    ))
}

/// The message without the location suffix that the parser appends.
fn first_line(message: &str) -> String {
    let line = message.lines().next().unwrap_or(message).trim();
    match line.find(" at line ") {
        Some(index) => line[..index].to_owned(),
        None => line.to_owned(),
    }
}

fn hint_for(message: &str) -> Option<String> {
    if let Some(rest) = message.split("unknown field `").nth(1) {
        let field = rest.split('`').next().unwrap_or_default();
        let expected: Vec<&str> = message
            .split("expected one of ")
            .nth(1)
            .map(|list| {
                list.split(',')
                    .map(|name| name.trim().trim_matches('`'))
                    .collect()
            })
            .unwrap_or_default();
        return Some(
            match super::diagnostic::did_you_mean(field, expected.iter().copied()) {
                Some(close) => format!("did you mean `{close}`?"),
                None => format!("the keys allowed here are: {}", expected.join(", ")),
            },
        );
    }
    if message.contains("alias") || message.contains("anchor") {
        return Some(format!(
            "program files may use at most {MAX_ALIASES} aliases; write the values out instead"
        ));
    }
    if message.contains("depth") || message.contains("nesting") {
        return Some(format!(
            "program files nest at most {MAX_DEPTH} levels deep; check the indentation"
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_key_is_set_aside_with_its_block_and_lines_kept() {
        let mut text = "a:\n  - show_if:\n      x: 1\n    # note\n    id: b\nc: 2".to_owned();
        assert!(set_aside_key(&mut text, 2, 5));
        assert_eq!(text, "a:\n  - \n\n\n    id: b\nc: 2");
        let mut flow = "a: { id: b, show_if: c }".to_owned();
        assert!(!set_aside_key(&mut flow, 1, 13));
    }

    #[test]
    fn an_unknown_value_is_named_after_its_key() {
        let (message, hint) = unknown_value(
            "unknown variant `Tue`, expected one of mon, tue, wed",
            "      days: [mon, Tue]",
            19,
        )
        .expect("rewritten");
        assert_eq!(message, "unknown day `Tue`: expected one of mon, tue, wed");
        assert_eq!(hint.as_deref(), Some("did you mean `tue`?"));
        let (message, hint) = unknown_value(
            "unknown variant `livrason`, expected `livraison` or `achat`",
            "    stage: livrason",
            12,
        )
        .expect("rewritten");
        assert_eq!(
            message,
            "unknown journey stage `livrason`: expected one of livraison, achat"
        );
        assert_eq!(hint.as_deref(), Some("did you mean `livraison`?"));
    }
}

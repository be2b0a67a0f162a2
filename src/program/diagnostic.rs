//! Problems found in a program file, each tied to a file, line and column, rendered the way
//! compilers do (source line, caret, hint) for people and as JSON for editors and CI.

use std::path::{Path, PathBuf};

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
use serde::Serialize;

use super::spanned::Position;

/// One problem in one program file.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Diagnostic {
    /// The file, as given on the command line.
    pub file: PathBuf,
    /// 1-based line (0 when the problem concerns the whole file).
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// Width of the offending text, in characters, for the caret.
    #[serde(skip)]
    pub width: usize,
    /// What is wrong.
    pub message: String,
    /// What to do about it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// The offending source line, as written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snippet: Option<String>,
}

impl Diagnostic {
    /// A problem about the whole file (unreadable, empty, too large).
    pub fn whole_file(file: &Path, message: impl Into<String>) -> Self {
        Self {
            file: file.to_path_buf(),
            line: 0,
            column: 0,
            width: 0,
            message: message.into(),
            hint: None,
            snippet: None,
        }
    }

    /// A problem at `position` in `source`; the caret covers the token found there.
    pub fn at(file: &Path, source: &str, position: Position, message: impl Into<String>) -> Self {
        let snippet = source
            .lines()
            .nth(position.line.saturating_sub(1))
            .filter(|_| position.line > 0)
            .map(str::to_owned);
        let width = snippet
            .as_deref()
            .map(|line| token_width(line, position.column))
            .unwrap_or(0);
        Self {
            file: file.to_path_buf(),
            line: position.line,
            column: position.column,
            width,
            message: message.into(),
            hint: None,
            snippet,
        }
    }

    /// Adds what to do about it.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Renders like a compiler error: `file:line:col`, the source line and a caret.
    pub fn render(&self, color: bool) -> String {
        let renderer = if color {
            Renderer::styled()
        } else {
            Renderer::plain()
        };
        let path = self.file.display().to_string();
        let mut group = Group::with_title(Level::ERROR.primary_title(&self.message));
        match &self.snippet {
            Some(line) if self.line > 0 => {
                let start = byte_offset(line, self.column);
                let end = byte_offset(line, self.column + self.width.max(1)).max(start);
                group = group.element(
                    Snippet::source(line.as_str())
                        .line_start(self.line)
                        .path(&path)
                        .annotation(AnnotationKind::Primary.span(start..end)),
                );
            }
            _ if self.line > 0 => {
                group = group.element(
                    Level::NOTE.message(format!("in {path}:{}:{}", self.line, self.column)),
                );
            }
            _ => {
                group = group.element(Level::NOTE.message(format!("in {path}")));
            }
        }
        if let Some(hint) = &self.hint {
            group = group.element(Level::HELP.message(hint.as_str()));
        }
        renderer.render(&[group])
    }
}

/// Byte offset of the 1-based character column `column` in `line` (clamped to the line).
fn byte_offset(line: &str, column: usize) -> usize {
    line.char_indices()
        .nth(column.saturating_sub(1))
        .map(|(offset, _)| offset)
        .unwrap_or(line.len())
}

/// Width in characters of the YAML scalar starting at `column`: a quoted string up to its
/// closing quote, or a plain scalar up to a comment, a flow delimiter or the end of line.
fn token_width(line: &str, column: usize) -> usize {
    let rest: Vec<char> = line.chars().skip(column.saturating_sub(1)).collect();
    match rest.first() {
        None => 0,
        Some(&quote @ ('"' | '\'')) => rest
            .iter()
            .skip(1)
            .position(|&c| c == quote)
            .map(|end| end + 2)
            .unwrap_or(rest.len()),
        Some(_) => {
            let mut width = rest.len();
            for (index, window) in rest.windows(2).enumerate() {
                if window[0].is_whitespace() && window[1] == '#' {
                    width = index;
                    break;
                }
            }
            if let Some(stop) = rest[..width]
                .iter()
                .position(|&c| matches!(c, ',' | ']' | '}'))
            {
                width = stop;
            }
            let text: String = rest[..width].iter().collect();
            let trimmed = text.trim_end();
            let trimmed = trimmed.strip_suffix(':').unwrap_or(trimmed);
            trimmed.chars().count().max(1)
        }
    }
}

/// Suggests the closest known name for a typo, the way `git` and `cargo` do.
pub fn did_you_mean<'a>(wrong: &str, known: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    known
        .into_iter()
        .map(|candidate| (strsim::damerau_levenshtein(wrong, candidate), candidate))
        .filter(|(distance, candidate)| {
            *distance > 0 && *distance <= (candidate.chars().count() / 3).max(2)
        })
        .min_by_key(|(distance, candidate)| (*distance, *candidate))
        .map(|(_, candidate)| candidate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caret_covers_plain_and_quoted_scalars() {
        assert_eq!(token_width("    touchpoint: livrasion # typo", 17), 9);
        assert_eq!(token_width(r#"    filter: "a == 1" "#, 13), 8);
        assert_eq!(token_width("  channels: [mail, sms]", 14), 4);
    }

    #[test]
    fn suggests_close_names_only() {
        let known = ["livraison", "magasin", "sav"];
        assert_eq!(did_you_mean("livrasion", known), Some("livraison"));
        assert_eq!(did_you_mean("entrepot", known), None);
    }

    #[test]
    fn renders_file_line_column_and_caret() {
        let source = "surveys:\n  - touchpoint: livrasion\n";
        let diagnostic = Diagnostic::at(
            Path::new("p.yaml"),
            source,
            Position {
                line: 2,
                column: 17,
            },
            "unknown touchpoint `livrasion`",
        )
        .with_hint("did you mean `livraison`?");
        let text = diagnostic.render(false);
        assert!(text.contains("p.yaml:2:17"), "{text}");
        assert!(text.contains("^^^^^^^^^"), "{text}");
        assert!(text.contains("did you mean `livraison`?"), "{text}");
    }
}

//! Spreadsheet-safe text cells (OWASP's "CSV injection"): a cell that starts with `=`, `+`,
//! `-`, `@`, a tab or a carriage return is a formula to Excel or LibreOffice, so free text
//! from respondents, contacts and API clients could run one in the call centre's spreadsheet.
//!
//! On export such a text gets a leading `'`, the spreadsheet's own "this is text" marker, which
//! it hides when displaying the cell. A text that already starts with `'` gets one too, so
//! `'déjà` is written `''déjà`. On import, one leading `'` is always removed: the round trip is
//! lossless, and a `'` typed in a spreadsheet means what it means there. A text with spaces
//! around it (an API client's `external_id`) is marked too, since an import trims unmarked
//! cells. Numbers are written as numbers (`-3` stays `-3`): only text is marked.

use std::borrow::Cow;

/// The spreadsheet's text marker.
pub const TEXT_MARKER: char = '\'';

/// First characters that make a spreadsheet read a cell as a formula.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A text value as written in an exported cell: marked when it could start a formula,
/// already starts with the marker, or has spaces around it that an import would trim.
pub fn protect_cell(text: &str) -> Cow<'_, str> {
    if text.starts_with(FORMULA_STARTS)
        || text.starts_with(TEXT_MARKER)
        || text.trim().len() != text.len()
    {
        Cow::Owned(format!("{TEXT_MARKER}{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// The text in an imported cell whose first non-blank character is the marker, without it
/// and untrimmed; `None` for an unmarked cell.
pub fn unprotect_cell(cell: &str) -> Option<&str> {
    cell.trim_start_matches([' ', '\u{a0}'])
        .strip_prefix(TEXT_MARKER)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_formula_start_is_marked_and_unmarked() {
        for start in FORMULA_STARTS {
            let text = format!("{start}1+1");
            let cell = protect_cell(&text);
            assert_eq!(cell, format!("'{text}"));
            assert_eq!(unprotect_cell(&cell), Some(text.as_str()));
        }
    }

    #[test]
    fn a_genuine_marker_survives() {
        assert_eq!(protect_cell("'déjà"), "''déjà");
        assert_eq!(unprotect_cell("''déjà"), Some("'déjà"));
        assert_eq!(protect_cell("''=x"), "'''=x");
        assert_eq!(unprotect_cell("'''=x"), Some("''=x"));
    }

    #[test]
    fn plain_text_is_untouched() {
        assert_eq!(protect_cell("Besançon"), "Besançon");
        assert_eq!(protect_cell("a=b"), "a=b");
        assert_eq!(protect_cell(""), "");
        assert_eq!(unprotect_cell("Besançon"), None);
        assert_eq!(unprotect_cell("  '=x "), Some("=x "));
    }

    #[test]
    fn spaces_around_a_text_survive() {
        // An import trims an unmarked cell, so `  id  ` would come back as `id`.
        assert_eq!(protect_cell("  id  "), "'  id  ");
        assert_eq!(unprotect_cell("'  id  "), Some("  id  "));
        assert_eq!(protect_cell("\u{a0}id"), "'\u{a0}id");
        assert_eq!(unprotect_cell("'\u{a0}id"), Some("\u{a0}id"));
    }
}

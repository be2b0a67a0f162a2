//! French typography for texts shown to people: a non-breaking space before `? ! : ;` so
//! that a question mark never falls alone at the start of a line. One helper for the form,
//! the emails and the report.

/// Narrow no-break space (U+202F), the French space before `?`, `!` and `;`.
const NARROW_NBSP: char = '\u{202f}';
/// No-break space (U+00A0), the French space before `:`.
const NBSP: char = '\u{a0}';

/// `text` with French spacing: the space before `? ! ;` becomes a narrow no-break space and
/// the one before `:` a no-break space; a mark glued to a word and followed by a space or
/// the end ("Merci!") gets one. Times, URLs and already-correct texts are left alone.
pub fn french(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len() + 8);
    for (i, &c) in chars.iter().enumerate() {
        let space = match chars.get(i + 1) {
            Some('?' | '!' | ';') => NARROW_NBSP,
            Some(':') => NBSP,
            _ => {
                out.push(c);
                continue;
            }
        };
        let ends_word = chars.get(i + 2).is_none_or(|next| next.is_whitespace());
        if c == ' ' || c == NBSP || c == NARROW_NBSP {
            out.push(space);
        } else {
            out.push(c);
            if c.is_alphanumeric() && ends_word {
                out.push(space);
            }
        }
    }
    out
}

/// `text` spelled for `language` (`fr`, `en`…): French spacing for French, unchanged
/// otherwise.
pub fn for_language(language: &str, text: &str) -> String {
    if language == "fr" {
        french(text)
    } else {
        text.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_marks_get_a_no_break_space() {
        assert_eq!(
            french("Recommanderiez-vous Maison Dupont ?"),
            "Recommanderiez-vous Maison Dupont\u{202f}?"
        );
        assert_eq!(french("Merci!"), "Merci\u{202f}!");
        assert_eq!(
            french("Délai : 3 jours ; suivi"),
            "Délai\u{a0}: 3 jours\u{202f}; suivi"
        );
        assert_eq!(french("Merci\u{a0}!"), "Merci\u{202f}!");
    }

    #[test]
    fn times_links_and_english_are_left_alone() {
        assert_eq!(
            french("10:30 https://example.org/a?b=1"),
            "10:30 https://example.org/a?b=1"
        );
        assert_eq!(for_language("en", "Why ?"), "Why ?");
    }
}

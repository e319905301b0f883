//! Escaping of spec text for the exact place it lands in generated code: one module per target
//! language, one function per context (a Rust doc comment, a TypeScript string, ...). Every
//! piece of spec text an emitter prints goes through one of these functions; emitters and
//! templates never quote, comment or escape by hand. The HTML docs page goes through [`html`].
//!
//! A spec is untrusted input (CI generates code from specs in pull requests, compiles it, imports
//! it and ships it to browsers), so each function guarantees that its output stays inside its
//! context whatever the text holds: `*/`, `"#`, backticks, `${`, line terminators (`\n`, lone
//! `\r`, U+2028, U+2029), NUL and other control characters, and the bidirectional controls of
//! "Trojan Source" (U+202A–U+202E, U+2066–U+2069), which rustc also denies in comments and
//! literals (`text_direction_codepoint_in_comment`, `text_direction_codepoint_in_literal`).
//! Text that must stay readable (comments) shows such characters as `\u{…}`; literals encode them
//! so that the value is unchanged.

pub mod html;
pub mod markdown;
pub mod rust;
pub mod ts;
pub mod workflow;

/// True for a character that never appears verbatim in generated code: control characters other
/// than tab (line feeds included: callers split lines first), the line and paragraph separators,
/// the bidirectional controls and marks, and the byte order mark.
pub(crate) fn is_hidden(c: char) -> bool {
    (c.is_control() && c != '\t')
        || matches!(
            c,
            '\u{2028}'
                | '\u{2029}'
                | '\u{061C}'
                | '\u{200E}'
                | '\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2066}'..='\u{2069}'
                | '\u{FEFF}'
        )
}

/// `text` with every [hidden](is_hidden) character shown as `\u{hex}`, for comments.
pub(crate) fn show_hidden(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if is_hidden(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// Splits text into lines at every line break a reader or a compiler may see: `\r\n`, `\n`, a
/// lone `\r`, U+2028 and U+2029.
pub(crate) fn split_lines(text: &str) -> impl Iterator<Item = &str> {
    text.split("\r\n").flat_map(|l| l.split(['\n', '\r', '\u{2028}', '\u{2029}']))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_characters_are_shown() {
        assert_eq!(show_hidden("a\u{202E}b\0c\td"), "a\\u{202e}b\\u{0}c\td");
        assert_eq!(show_hidden("plain é ✓"), "plain é ✓");
        for c in ['\r', '\n', '\u{2028}', '\u{2029}', '\u{2066}', '\u{2069}', '\u{7f}', '\u{85}', '\u{feff}']
        {
            assert!(is_hidden(c), "{c:?}");
        }
    }

    #[test]
    fn every_line_break_splits() {
        let lines: Vec<&str> = split_lines("a\r\nb\nc\rd\u{2028}e\u{2029}f").collect();
        assert_eq!(lines, ["a", "b", "c", "d", "e", "f"]);
    }
}

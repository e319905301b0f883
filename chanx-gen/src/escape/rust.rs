//! Spec text in generated Rust: doc comments, `//` comments, string literals (plain or raw) and
//! identifiers. Must not decide names (that is [`crate::names`]); it only makes a decided name or
//! a piece of text safe to print.

use proc_macro2::{Ident, Literal, Span};

use super::{is_hidden, show_hidden, split_lines};

/// The lines of a doc comment (`///` once printed) for `lines` of spec text. Each output line is
/// the text after `///`, without the leading space; it holds no line break, no lone `\r` (rustc
/// rejects it in doc comments), no control or bidirectional character (shown as `\u{…}`), and
/// the Markdown cannot start a doctest: bare code fences become `text` fences, unclosed fences
/// are closed, and indentation that would start an indented code block is trimmed; nor can it
/// be raw HTML in rustdoc's pages: `<` outside code is written `\<`.
pub fn doc(lines: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_fence = false;
    for line in lines.iter().flat_map(|l| split_lines(l)) {
        let line = show_hidden(line);
        let trimmed = line.trim_start();
        if let Some(info) = trimmed.strip_prefix("```") {
            if !in_fence && (info.trim().is_empty() || info.trim() == "rust") {
                out.push("```text".to_owned());
            } else {
                out.push(trimmed.to_owned());
            }
            in_fence = !in_fence;
            continue;
        }
        if in_fence {
            out.push(line.trim_end().to_owned());
        } else {
            let indent = line.len() - trimmed.len();
            out.push(format!("{}{}", " ".repeat(indent.min(3)), no_html(trimmed.trim_end())));
        }
    }
    if in_fence {
        out.push("```".to_owned());
    }
    while out.last().is_some_and(String::is_empty) {
        out.pop();
    }
    out
}

/// A Markdown line with `<` written `\<` outside code spans, so rustdoc never renders spec text
/// as raw HTML (`<script>`, `<img onerror=…>`); the text reads the same. A backtick run that
/// opens no closed span on the line is literal, and `<` after it is escaped too.
fn no_html(line: &str) -> String {
    let chars: Vec<char> = line.chars().collect();
    let run_at = |i: usize| chars[i..].iter().take_while(|c| **c == '`').count();
    let mut out = String::with_capacity(line.len());
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '`' => {
                let n = run_at(i);
                // The closing run: the next run of exactly `n` backticks.
                let mut j = i + n;
                let close = loop {
                    if j >= chars.len() {
                        break None;
                    }
                    if chars[j] == '`' {
                        let m = run_at(j);
                        if m == n {
                            break Some(j + m);
                        }
                        j += m;
                    } else {
                        j += 1;
                    }
                };
                let end = close.unwrap_or(i + n);
                out.extend(&chars[i..end]);
                i = end;
            }
            '<' => {
                out.push_str("\\<");
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

/// A Markdown code span of `text` for a doc comment: delimited by one backtick more than the
/// longest run of backticks inside, padded with spaces when the text starts or ends with one.
pub fn code(text: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') { " " } else { "" };
    format!("{fence}{pad}{text}{pad}{fence}")
}

/// Text for one `//` comment line: line breaks, control and bidirectional characters are shown
/// as `\u{…}`.
pub fn line_comment(text: &str) -> String {
    show_hidden(text)
}

/// A string literal with the value `s`. Quotes, backslashes, control characters, line and
/// paragraph separators and bidirectional controls are escaped (`\u{202e}`), so the literal is
/// one token with exactly this value and rustc accepts it. This is also what `quote!` prints for
/// an interpolated `&str`.
pub fn string(s: &str) -> Literal {
    Literal::string(s)
}

/// A string literal with the value `s`, raw (`r#"{"a":1}"#`) when that reads better than escaped
/// quotes and is safe: no `"#` (which would end it) and no character that a plain literal would
/// escape (a raw literal cannot escape anything).
pub fn readable_string(s: &str) -> Literal {
    let printable =
        |c: char| matches!(c, '"' | '\\' | '\'') || (!is_hidden(c) && c.escape_debug().count() == 1);
    if s.contains('"')
        && !s.contains("\"#")
        && s.chars().all(printable)
        && let Ok(lit) = format!("r#\"{s}\"#").parse::<Literal>()
    {
        return lit;
    }
    string(s)
}

/// Strict and reserved keywords of Rust 2024 that are written as raw identifiers (`r#type`).
const RAW_KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "do", "dyn", "else",
    "enum", "false", "final", "fn", "for", "gen", "if", "impl", "in", "let", "loop", "macro", "match", "mod",
    "move", "mut", "override", "priv", "pub", "ref", "return", "static", "struct", "trait", "true", "try",
    "type", "typeof", "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

/// An identifier for a name the IR decided (`room_id`, `r#type`). Names from [`crate::names`]
/// are always valid; anything else is repaired rather than panicking: characters other than
/// ASCII letters, digits and `_` become `_`, a leading digit gets a `_` in front, keywords
/// become raw identifiers or get a trailing `_` where raw ones are not allowed.
pub fn identifier(name: &str) -> Ident {
    let bare = name.strip_prefix("r#").unwrap_or(name);
    let mut s: String =
        bare.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' }).collect();
    if s.is_empty() || s.starts_with(|c: char| c.is_ascii_digit()) {
        s.insert(0, '_');
    }
    if s.chars().all(|c| c == '_') || matches!(s.as_str(), "self" | "super" | "crate" | "Self" | "extern") {
        s.push('_');
    }
    if RAW_KEYWORDS.contains(&s.as_str()) {
        return Ident::new_raw(&s, Span::call_site());
    }
    Ident::new(&s, Span::call_site())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<String> {
        doc(&[text.to_owned()])
    }

    #[test]
    fn doc_lines_hold_no_break_control_or_bidi() {
        assert_eq!(lines("a\rb"), ["a", "b"]);
        assert_eq!(lines("a\r\nb\u{2028}c"), ["a", "b", "c"]);
        assert_eq!(lines("x\u{202E}y\u{2066}z\0"), ["x\\u{202e}y\\u{2066}z\\u{0}"]);
        assert_eq!(lines("*/ \"# `${x}`"), ["*/ \"# `${x}`"]);
    }

    #[test]
    fn doc_text_never_becomes_html() {
        assert_eq!(lines("a <script>x</script>"), ["a \\<script>x\\</script>"]);
        assert_eq!(lines("`<b>` and <i>"), ["`<b>` and \\<i>"]);
        assert_eq!(lines("`` `<b>` `` <i"), ["`` `<b>` `` \\<i"]);
        assert_eq!(lines("`<img onerror=x>"), ["`\\<img onerror=x>"]);
        assert_eq!(doc(&["```".to_owned(), "<b>".to_owned(), "```".to_owned()]), ["```text", "<b>", "```"]);
    }

    #[test]
    fn docs_never_become_doctests() {
        let text = ["Text", "    indented code", "```", "x"].map(str::to_owned);
        assert_eq!(doc(&text), ["Text", "   indented code", "```text", "x", "```"]);
        assert_eq!(doc(&["```json".to_owned(), "{}".to_owned(), "```".to_owned()]), ["```json", "{}", "```"]);
        assert_eq!(doc(&["```rust\rfn main() {}".to_owned()]), ["```text", "fn main() {}", "```"]);
    }

    #[test]
    fn code_spans_hold_backticks() {
        assert_eq!(code("a"), "`a`");
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("`x``"), "``` `x`` ```");
    }

    #[test]
    fn string_literals_escape_what_rustc_refuses() {
        assert_eq!(string("a\u{202E}b").to_string(), r#""a\u{202e}b""#);
        assert_eq!(string("\u{2066}\u{2028}\r\0\"").to_string(), r#""\u{2066}\u{2028}\r\0\"""#);
    }

    #[test]
    fn raw_literals_only_when_safe() {
        assert_eq!(readable_string(r#"{"a":null}"#).to_string(), r##"r#"{"a":null}"#"##);
        assert_eq!(readable_string("plain").to_string(), r#""plain""#);
        assert_eq!(readable_string(r##"{"a":"#"}"##).to_string(), r##""{\"a\":\"#\"}""##);
        assert_eq!(readable_string("\"\u{202E}\"").to_string(), r#""\"\u{202e}\"""#);
        assert_eq!(readable_string("\"\r\"").to_string(), r#""\"\r\"""#);
    }

    #[test]
    fn identifiers_are_repaired_not_panicking() {
        for (input, out) in [
            ("room_id", "room_id"),
            ("r#type", "r#type"),
            ("type", "r#type"),
            ("r#self", "self_"),
            ("self", "self_"),
            ("9lives", "_9lives"),
            ("a-b", "a_b"),
            ("x²", "x_"),
            ("١abc", "_abc"),
            ("", "__"),
            ("_", "__"),
        ] {
            assert_eq!(identifier(input).to_string(), out, "{input}");
        }
    }
}

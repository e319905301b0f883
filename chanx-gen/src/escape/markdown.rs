//! Spec text in Markdown (GitHub-flavoured, as in a pull-request comment), for the
//! `chanx-gen diff --format markdown` report.
//!
//! [`code`] wraps text in an HTML `<code>` element whose content cannot end the element, start
//! markup, break a table row or mention anyone: `<`, `>`, `&` and `"` become entities, every
//! other ASCII punctuation character but `-`, `.`, `/` and `,` is backslash-escaped (so `*`, `_`, `` ` ``, `[`, `|` and
//! `\` stay literal, inside a table too), and line breaks, control and bidi characters are shown
//! as `\u{…}`. GitHub does not turn `@name` or `#123` inside `<code>` into mentions or links.

use super::is_hidden;

/// `text` as an inline `<code>` element for Markdown, on one line.
pub fn code(text: &str) -> String {
    format!("<code>{}</code>", inline(text))
}

/// `text` as literal Markdown inline text (no markup, one line, safe in a table cell).
pub fn inline(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            // `-`, `.`, `/` and `,` only mean something at the start of a line (lists): kept
            // readable. Everything else (`*`, `_`, `` ` ``, `[`, `|`, `\`, `$`, `:`, `@`, `#`, ...)
            // is escaped.
            '-' | '.' | '/' | ',' => out.push(c),
            c if c.is_ascii_punctuation() => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' | '\u{2028}' | '\u{2029}' => out.push_str(&format!("\\\\u\\{{{:x}\\}}", c as u32)),
            c if is_hidden(c) || c.is_control() => out.push_str(&format!("\\\\u\\{{{:x}\\}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_stays_literal() {
        assert_eq!(code("a|b"), "<code>a\\|b</code>");
        assert_eq!(code("</code><script>"), "<code>&lt;/code&gt;&lt;script&gt;</code>");
        assert_eq!(inline("*x* _y_ `z` [l](u)"), "\\*x\\* \\_y\\_ \\`z\\` \\[l\\]\\(u\\)");
        assert_eq!(inline("@team #1"), "\\@team \\#1");
        assert_eq!(inline("a\nb\u{202e}"), "a\\\\u\\{a\\}b\\\\u\\{202e\\}");
        assert_eq!(inline("&amp;"), "&amp;amp\\;");
        assert_eq!(inline("a-b.c/d,e"), "a-b.c/d,e");
        assert_eq!(inline("é ✓"), "é ✓");
    }
}

//! Spec text in generated TypeScript: string literals, template literals, property names, `//`
//! line comments, `/* */` block comments and JSDoc blocks. Must not decide names (that is
//! [`crate::names`]); it only makes a decided name or a piece of text safe to print.

use std::fmt::Write as _;

use super::{is_hidden, show_hidden, split_lines};

/// A string literal with the value `s` (JSON, which TypeScript reads as the same string). Besides
/// JSON's escapes, `<`, `>` and `&` (so the literal is inert inside an HTML `<script>`), the line
/// and paragraph separators, the bidirectional controls and the byte order mark are written as
/// `\uXXXX`.
pub fn string(s: &str) -> String {
    let json = serde_json::to_string(s).expect("a string always serialises");
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        match c {
            '<' | '>' | '&' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c if is_hidden(c) => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// A template literal (backticks included) with the value `s`: backslashes, backticks and `${`
/// are escaped, hidden characters written as `\u{…}`.
pub fn template_literal(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('`');
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            '`' => out.push_str("\\`"),
            '$' if chars.peek() == Some(&'{') => out.push_str("\\$"),
            c if is_hidden(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('`');
    out
}

/// True when `s` can be written as a bare property name (an ASCII identifier).
fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
}

/// A property name in a type (interface member, type literal): bare when it is an identifier,
/// otherwise a string literal.
pub fn property_name(wire: &str) -> String {
    if is_identifier(wire) { wire.to_owned() } else { string(wire) }
}

/// A property key in an object literal. Like [`property_name`], except that `__proto__` is a
/// computed key (`["__proto__"]`): written plainly, it would set the object's prototype instead
/// of creating a property.
pub fn object_key(wire: &str) -> String {
    if wire == "__proto__" { format!("[{}]", string(wire)) } else { property_name(wire) }
}

/// Text for one `//` comment line: line terminators, control and bidirectional characters are
/// shown as `\u{…}`, so the comment ends where the line does; `</` is written `<\/`, so the
/// comment cannot close a `<script>` element the code is inlined into.
pub fn line_comment(text: &str) -> String {
    show_hidden(text).replace("</", "<\\/")
}

/// Text inside a one-line `/* … */` comment: `*/` is broken up as `*\/`, `</` as `<\/` (see
/// [`line_comment`]), hidden characters are shown as `\u{…}`.
pub fn block_comment(text: &str) -> String {
    show_hidden(text).replace("*/", "*\\/").replace("</", "<\\/")
}

/// A JSDoc block (`/** … */`, empty when there is nothing to say) of `text` followed by `tags`
/// (`@example …`) and `@deprecated`, each line prefixed with `indent` and escaped as in
/// [`block_comment`].
pub fn jsdoc(text: &str, tags: &[String], deprecated: bool, indent: &str) -> String {
    let mut lines: Vec<String> = split_lines(text.trim()).map(|l| l.trim_end().to_owned()).collect();
    while lines.last().is_some_and(String::is_empty) {
        lines.pop();
    }
    if !tags.is_empty() || deprecated {
        if !lines.is_empty() {
            lines.push(String::new());
        }
        lines.extend(tags.iter().flat_map(|t| split_lines(t).map(str::to_owned)));
        if deprecated {
            lines.push("@deprecated".into());
        }
    }
    if lines.is_empty() {
        return String::new();
    }
    let lines: Vec<String> = lines.iter().map(|l| block_comment(l)).collect();
    if lines.len() == 1 {
        return format!("{indent}/** {} */\n", lines[0]);
    }
    let mut out = format!("{indent}/**\n");
    for l in lines {
        if l.is_empty() {
            let _ = writeln!(out, "{indent} *");
        } else {
            let _ = writeln!(out, "{indent} * {l}");
        }
    }
    let _ = writeln!(out, "{indent} */");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_json_and_inert() {
        assert_eq!(string("a\"b"), r#""a\"b""#);
        assert_eq!(string("</script>"), r#""\u003c/script\u003e""#);
        assert_eq!(string("\u{2028}\u{2029}\u{202E}\u{2066}\0\r"), r#""\u2028\u2029\u202e\u2066\u0000\r""#);
        assert_eq!(string("*/ `${x}`"), r#""*/ `${x}`""#);
    }

    #[test]
    fn template_literals_escape_their_delimiters() {
        assert_eq!(template_literal("a`b${c}$d\\"), r"`a\`b\${c}$d\\`");
        assert_eq!(template_literal("\u{2028}"), r"`\u{2028}`");
    }

    #[test]
    fn property_names_are_quoted_only_when_needed() {
        for (wire, ts) in [
            ("text", "text"),
            ("sent_at", "sent_at"),
            ("$ref", "$ref"),
            ("x-client-version", "\"x-client-version\""),
            ("1st", "\"1st\""),
            ("a b", "\"a b\""),
            ("é", "\"é\""),
            ("</script>", "\"\\u003c/script\\u003e\""),
            ("__proto__", "__proto__"),
        ] {
            assert_eq!(property_name(wire), ts, "{wire}");
        }
        assert_eq!(object_key("__proto__"), "[\"__proto__\"]");
        assert_eq!(object_key("toString"), "toString");
    }

    #[test]
    fn comments_cannot_be_closed_or_broken() {
        assert_eq!(block_comment("a */ b"), "a *\\/ b");
        assert_eq!(block_comment("**/"), "**\\/");
        assert_eq!(block_comment("</script>"), "<\\/script>");
        assert_eq!(line_comment("</script>"), "<\\/script>");
        assert_eq!(line_comment("a\nb\u{2028}c\rd"), "a\\u{a}b\\u{2028}c\\u{d}d");
    }

    #[test]
    fn jsdoc_escapes_comment_ends_and_line_breaks() {
        assert_eq!(jsdoc("a */ b", &[], false, ""), "/** a *\\/ b */\n");
        assert_eq!(jsdoc("", &[], false, ""), "");
        assert_eq!(jsdoc("", &[], true, "  "), "  /** @deprecated */\n");
        assert_eq!(jsdoc("a\rb", &[], false, ""), "/**\n * a\n * b\n */\n");
        assert_eq!(
            jsdoc("x", &["@example */\u{2029}y".into()], false, ""),
            "/**\n * x\n *\n * @example *\\/\n * y\n */\n"
        );
    }
}

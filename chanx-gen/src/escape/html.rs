//! HTML contexts of the docs page: element text ([`text`]), double-quoted attribute values
//! ([`attr`]), fragment ids ([`Ids`]) and JSON inside `<script>` ([`script_json`]).
//!
//! Besides the markup characters, text and attribute values get characters that the HTML
//! parser reports as errors, or that change how the text around them is shown, replaced by a
//! visible stand-in: C0 controls by their Control Pictures glyph (NUL → `␀`), DEL by `␡`, C1
//! controls and noncharacters by U+FFFD, and the bidi embedding, override and isolate controls
//! (U+202A–U+202E, U+2066–U+2069) by their code (`\u202E`), so spec text cannot reorder the page
//! around it. Tab, LF, CR and form feed are kept.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::Value;

/// `s` escaped for HTML element content.
pub fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    push_text(&mut out, s);
    out
}

/// Appends `s` escaped for HTML element content.
pub fn push_text(out: &mut String, s: &str) {
    push_escaped(out, s);
}

/// `s` escaped for an attribute value written between double quotes (`name="…"`).
pub fn attr(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    push_escaped(&mut out, s);
    out
}

/// The text a reader sees for `s` in element text or an attribute value: `s` with the
/// stand-ins described above, before markup escaping.
pub fn shown(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        push_shown(&mut out, c);
    }
    out
}

/// One escaper for both contexts: quotes are escaped in text too, which costs nothing and keeps
/// a fragment correct if it is ever moved into an attribute.
fn push_escaped(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => push_shown(out, c),
        }
    }
}

fn push_shown(out: &mut String, c: char) {
    match c {
        '\t' | '\n' | '\r' | '\u{c}' => out.push(c),
        '\0'..='\u{1f}' => out.push(char::from_u32(0x2400 + c as u32).unwrap_or('\u{fffd}')),
        '\u{7f}' => out.push('\u{2421}'),
        '\u{80}'..='\u{9f}' => out.push('\u{fffd}'),
        '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => {
            let _ = write!(out, "\\u{:04X}", c as u32);
        }
        c if is_noncharacter(c) => out.push('\u{fffd}'),
        c => out.push(c),
    }
}

fn is_noncharacter(c: char) -> bool {
    let n = c as u32;
    (0xfdd0..=0xfdef).contains(&n) || n & 0xfffe == 0xfffe
}

/// Longest fragment id made from a name (before a `-N` suffix that makes it unique).
const MAX_ID: usize = 80;

/// `raw` as a fragment id: ASCII letters, digits, `-` and `_` kept, anything else as `_`, at
/// most `MAX_ID` characters, never empty. Such an id needs no escaping in an attribute value
/// nor percent-encoding after `#` in a URL. Not unique by itself: see [`Ids`].
pub fn id(raw: &str) -> String {
    let mut out: String = raw
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' })
        .take(MAX_ID)
        .collect();
    if out.is_empty() {
        out.push('_');
    }
    out
}

/// The fragment ids of one page: [`id`]s made unique with a `-2`, `-3`, … suffix, in the order
/// they are asked for. Fixed ids of the page template are [`reserve`](Ids::reserve)d first.
#[derive(Debug, Default)]
pub struct Ids {
    /// Every id handed out or reserved, with the next suffix to try for it as a base.
    used: BTreeMap<String, usize>,
}

impl Ids {
    /// Marks a fixed id of the template as taken.
    pub fn reserve(&mut self, id: &str) {
        self.used.entry(id.to_owned()).or_insert(2);
    }

    /// A fresh id for `raw` (see [`id`]). Amortised constant work per call however many names
    /// collide, since each base remembers the next suffix to try.
    pub fn unique(&mut self, raw: &str) -> String {
        let base = id(raw);
        let Some(next) = self.used.get(&base).copied() else {
            self.used.insert(base.clone(), 2);
            return base;
        };
        let mut n = next;
        let fresh = loop {
            let candidate = format!("{base}-{n}");
            n += 1;
            if !self.used.contains_key(&candidate) {
                break candidate;
            }
        };
        self.used.insert(base, n);
        self.used.insert(fresh.clone(), 2);
        fresh
    }
}

/// `value` as JSON that can sit inside a `<script>` element: `<`, `>` and `&` are written as
/// `\u003c`, `\u003e` and `\u0026` (so neither `</script>` nor `<!--` can appear), and U+2028
/// and U+2029 as `\u2028` and `\u2029` (line terminators in older JavaScript). These characters
/// only occur inside JSON strings, where the escapes mean the same thing.
pub fn script_json(value: &Value) -> String {
    let json = value.to_string();
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn text_and_attributes_escape_markup() {
        assert_eq!(text("<script>\"&'"), "&lt;script&gt;&quot;&amp;&#39;");
        assert_eq!(attr("\"><img src=x onerror=alert(1)>"), "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;");
        assert_eq!(text("plain ünïcode, `ticks` ${x}"), "plain ünïcode, `ticks` ${x}");
    }

    #[test]
    fn controls_become_visible() {
        assert_eq!(text("a\0b\u{1}c\u{7f}d\u{85}e"), "a\u{2400}b\u{2401}c\u{2421}d\u{fffd}e");
        assert_eq!(text("tab\tlf\ncr\rff\u{c}"), "tab\tlf\ncr\rff\u{c}");
        assert_eq!(text("x\u{202e}y\u{2066}z"), "x\\u202Ey\\u2066z");
        assert_eq!(text("\u{fdd0}\u{fffe}\u{1ffff}"), "\u{fffd}\u{fffd}\u{fffd}");
        assert_eq!(attr("\u{2028}\u{2029}\u{200e}"), "\u{2028}\u{2029}\u{200e}");
        assert_eq!(shown("<\0\u{202e}>"), "<\u{2400}\\u202E>");
    }

    #[test]
    fn ids_are_safe_and_unique() {
        assert_eq!(id("msg-chat-chat_message"), "msg-chat-chat_message");
        assert_eq!(id("type-\"><x"), "type-___x");
        assert_eq!(id(""), "_");
        assert_eq!(id(&"a".repeat(200)).len(), MAX_ID);
        let mut ids = Ids::default();
        ids.reserve("types");
        assert_eq!(ids.unique("types"), "types-2");
        assert_eq!(ids.unique("a b"), "a_b");
        assert_eq!(ids.unique("a/b"), "a_b-2");
        assert_eq!(ids.unique("a_b-2"), "a_b-2-2");
        assert_eq!(ids.unique("a?b"), "a_b-3");
    }

    #[test]
    fn many_colliding_ids_stay_unique() {
        let mut ids = Ids::default();
        let all: std::collections::BTreeSet<String> = (0..2000).map(|_| ids.unique("é")).collect();
        assert_eq!(all.len(), 2000);
    }

    #[test]
    fn script_json_cannot_close_the_script() {
        let v = json!({"k</script>": "<!-- & \u{2028}\u{2029} -->"});
        let s = script_json(&v);
        assert_eq!(s, r#"{"k\u003c/script\u003e":"\u003c!-- \u0026 \u2028\u2029 --\u003e"}"#);
        assert_eq!(serde_json::from_str::<Value>(&s).expect("still JSON"), v);
    }
}

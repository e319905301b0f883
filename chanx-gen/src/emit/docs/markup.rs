//! The docs page's values by context, and spec text turned into markup. The page template
//! escapes nothing itself (`escape = "none"`): every value it prints is one of these types,
//! each made only through [`crate::escape::html`]:
//! - [`Html`]: element content (escaped text, or markup built here from escaped pieces);
//! - [`Attr`]: a double-quoted attribute value;
//! - [`Id`]: a fragment id (safe in `id="…"` and after `#` in an `href`).

use std::fmt;

use serde_json::Value;

use crate::escape::html;

/// Element content: escaped spec text and fixed tags.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Html(String);

impl Html {
    /// Spec text as element content.
    pub(super) fn text(s: &str) -> Self {
        Self(html::text(s))
    }

    /// Markup built in this module or its siblings, where every piece of spec text was escaped
    /// with [`html::text`] (or is itself an [`Html`], [`Attr`] or [`Id`]).
    pub(super) fn markup(s: String) -> Self {
        Self(s)
    }

    pub(super) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    #[cfg(test)]
    pub(super) fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Html {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A double-quoted attribute value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Attr(String);

impl Attr {
    pub(super) fn new(s: &str) -> Self {
        Self(html::attr(s))
    }
}

impl fmt::Display for Attr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A fragment id, unique in the page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Id(String);

impl Id {
    pub(super) fn new(ids: &mut html::Ids, raw: &str) -> Self {
        Self(ids.unique(raw))
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Inline prose: escaped text with `` `code` `` spans and `**bold**` pairs.
pub(super) fn inline(s: &str) -> Html {
    let mut out = String::new();
    let ticks = s.matches('`').count();
    for (i, part) in s.split('`').enumerate() {
        // Odd parts are inside backticks (an unmatched trailing backtick shows as text).
        if i % 2 == 1 && ticks > i {
            out.push_str("<code>");
            html::push_text(&mut out, part);
            out.push_str("</code>");
        } else {
            if i % 2 == 1 {
                out.push('`');
            }
            strong(part, &mut out);
        }
    }
    Html(out)
}

/// Appends `s` with `**bold**` pairs as `<strong>`; an unpaired `**` shows as text.
fn strong(s: &str, out: &mut String) {
    let parts: Vec<&str> = s.split("**").collect();
    for (i, part) in parts.iter().enumerate() {
        let closed = i % 2 == 1 && i + 1 < parts.len();
        match (i % 2, closed) {
            (1, true) => {
                out.push_str("<strong>");
                html::push_text(out, part);
                out.push_str("</strong>");
            }
            (1, false) => {
                out.push_str("**");
                html::push_text(out, part);
            }
            _ => html::push_text(out, part),
        }
    }
}

/// Paragraphs (blank-line separated) of [`inline`] prose, single newlines as `<br>`.
pub(super) fn paragraphs(s: &str) -> Html {
    let mut out = String::new();
    for p in s.split("\n\n").map(str::trim).filter(|p| !p.is_empty()) {
        // Escaped text keeps its newlines and the tags added here have none.
        out.push_str("<p>");
        out.push_str(&inline(p).0.replace('\n', "<br>"));
        out.push_str("</p>");
    }
    Html(out)
}

/// Pretty JSON with spans for keys, strings, numbers and literals; every token escaped.
pub(super) fn json(v: &Value) -> Html {
    let mut out = String::new();
    json_into(v, 0, &mut out);
    Html(out)
}

fn span(class: &str, token: &str, out: &mut String) {
    out.push_str("<span class=\"");
    out.push_str(class);
    out.push_str("\">");
    html::push_text(out, token);
    out.push_str("</span>");
}

fn json_into(v: &Value, indent: usize, out: &mut String) {
    let pad = |n: usize, out: &mut String| (0..n).for_each(|_| out.push_str("  "));
    match v {
        Value::Null | Value::Bool(_) => span("j-b", &v.to_string(), out),
        Value::Number(n) => span("j-n", &n.to_string(), out),
        Value::String(_) => span("j-s", &v.to_string(), out),
        Value::Array(items) if items.is_empty() => out.push_str("[]"),
        Value::Object(items) if items.is_empty() => out.push_str("{}"),
        Value::Array(items) => {
            out.push_str("[\n");
            for (i, item) in items.iter().enumerate() {
                pad(indent + 1, out);
                json_into(item, indent + 1, out);
                out.push_str(if i + 1 < items.len() { ",\n" } else { "\n" });
            }
            pad(indent, out);
            out.push(']');
        }
        Value::Object(items) => {
            out.push_str("{\n");
            for (i, (k, item)) in items.iter().enumerate() {
                pad(indent + 1, out);
                span("j-k", &Value::String(k.clone()).to_string(), out);
                out.push_str(": ");
                json_into(item, indent + 1, out);
                out.push_str(if i + 1 < items.len() { ",\n" } else { "\n" });
            }
            pad(indent, out);
            out.push('}');
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn prose_is_escaped() {
        assert_eq!(inline("a `<b>` c").as_str(), "a <code>&lt;b&gt;</code> c");
        assert_eq!(inline("odd ` tick").as_str(), "odd ` tick");
        assert_eq!(inline("**a** <b> **c").as_str(), "<strong>a</strong> &lt;b&gt; **c");
        assert_eq!(inline("**<i>**").as_str(), "<strong>&lt;i&gt;</strong>");
        assert_eq!(paragraphs("one\n\ntwo\nlines").as_str(), "<p>one</p><p>two<br>lines</p>");
    }

    #[test]
    fn json_is_highlighted_and_escaped() {
        let html = json(&json!({"a": "<x>", "n": -1.5, "b": true, "z": null}));
        let html = html.as_str();
        assert!(html.contains("<span class=\"j-k\">&quot;a&quot;</span>"), "{html}");
        assert!(html.contains("<span class=\"j-s\">&quot;&lt;x&gt;&quot;</span>"), "{html}");
        assert!(html.contains("<span class=\"j-n\">-1.5</span>"), "{html}");
        assert!(html.contains("<span class=\"j-b\">true</span>"), "{html}");
        assert!(html.contains("<span class=\"j-b\">null</span>"), "{html}");
    }

    #[test]
    fn json_keeps_key_order_and_indents() {
        let html = json(&json!({"b": [1, {}], "a": []}));
        assert_eq!(
            html.as_str(),
            "{\n  <span class=\"j-k\">&quot;b&quot;</span>: [\n    <span class=\"j-n\">1</span>,\n    {}\n  ],\n  \
             <span class=\"j-k\">&quot;a&quot;</span>: []\n}"
        );
    }
}

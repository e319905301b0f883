//! Hostile spec text cannot change the docs page's markup. A property test puts strings made of
//! hostile pieces (`</script>`, `<!--`, `"><img src=x onerror=alert(1)>`, `javascript:` URLs,
//! quotes, `*/`, backticks, `${`, CR, NUL, U+2028, bidi controls) into every text-bearing field
//! of a spec, tokenizes the page with a WHATWG tokenizer (html5gum), and checks:
//! - the page tokenizes without a parse error, with one doctype and no comment;
//! - only the template's elements and attributes occur (no `img`, no `on*`), every `href` is a
//!   fragment, and the one `<script>` holds exactly the template's code;
//! - the page's element and attribute structure is the one a harmless string with the same
//!   layout characters (backticks, `**`, newlines, braces) gives, so the spec text changed
//!   nothing but text and attribute values;
//! - the text arrives, as a reader sees it, in text and in attribute values.

use std::collections::BTreeSet;

use chanx_gen::emit::docs;
use chanx_gen::escape::html;
use chanx_gen::ir::{self, IrOptions};
use chanx_gen::parse::Spec;
use html5gum::{DefaultEmitter, Token, Tokenizer};
use proptest::prelude::*;
use serde_json::json;

const PIECES: &[&str] = &[
    "</script>",
    "<script>alert(1)</script>",
    "<!--",
    "-->",
    "\"><img src=x onerror=alert(1)>",
    "' onmouseover='alert(1)",
    "javascript:alert(1)",
    "\"#",
    "*/",
    "/*",
    "`",
    "``",
    "**",
    "${x}",
    "${",
    "\r",
    "\r\n",
    "\n\n",
    "\0",
    "\u{2028}",
    "\u{2029}",
    "\u{202e}",
    "\u{2066}",
    "\u{200f}",
    "&amp;",
    "&lt;",
    "]]>",
    "<![CDATA[",
    "<style>",
    "{{ title }}",
    "{% if x %}",
    "plain",
    " ",
];

/// A spec with `s` in every field that carries text (prefixed where the field also names a
/// generated item, so the IR can derive distinct identifiers).
fn spec(s: &str) -> String {
    // Escaped for ECMA-262 (JSON Schema's dialect), which refuses escapes like `\-`.
    let pattern: String = s
        .chars()
        .flat_map(|c| if "^$\\.*+?()[]{}|/".contains(c) { vec!['\\', c] } else { vec![c] })
        .collect();
    json!({
        "asyncapi": "3.0.0",
        "info": {"title": s, "version": s, "description": s},
        "servers": {format!("srv{s}"): {"host": format!("h{s}"), "protocol": "ws", "pathname": format!("/p{s}"), "description": s}},
        "channels": {
            format!("chan{s}"): {
                "address": format!("/c/{{room}}/{s}"),
                "title": format!("T{s}"),
                "summary": s,
                "description": s,
                "parameters": {"room": {"description": s, "enum": [format!("r{s}"), "r2"], "default": format!("r{s}"), "examples": [format!("r{s}")]}},
                "messages": {
                    format!("msg{s}"): {"$ref": format!("#/components/messages/{}", pointer(&format!("msg{s}")))},
                    format!("bin{s}"): {"contentType": format!("application/octet-stream; x={s}"), "name": format!("Bin{s}"), "description": s},
                    format!("given{s}"): {
                        "name": format!("G{s}"),
                        "contentType": format!("application/json; x={s}"),
                        "payload": {"type": "object", "properties": {"action": {"const": format!("g{s}")}, format!("q{s}"): {"type": "string"}}},
                        "examples": [{"payload": {"action": format!("g{s}"), format!("q{s}"): s}}]
                    }
                }
            }
        },
        "operations": {
            format!("op{s}"): {
                "action": "receive",
                "channel": {"$ref": format!("#/channels/{}", pointer(&format!("chan{s}")))},
                "summary": s,
                "description": s,
                "reply": {"channel": {"$ref": format!("#/channels/{}", pointer(&format!("chan{s}")))}}
            }
        },
        "components": {
            "messages": {
                format!("msg{s}"): {
                    "name": format!("N{s}"),
                    "title": format!("Title{s}"),
                    "summary": s,
                    "description": s,
                    "payload": {"$ref": format!("#/components/schemas/{}", pointer(&format!("S{s}")))}
                }
            },
            "schemas": {
                format!("S{s}"): {
                    "type": "object",
                    "title": s,
                    "description": s,
                    "required": ["action", format!("p{s}")],
                    "properties": {
                        "action": {"type": "string", "const": format!("a{s}")},
                        format!("p{s}"): {"type": "string", "description": s, "pattern": pattern, "default": s, "format": format!("f{s}")},
                        format!("e{s}"): {"$ref": format!("#/components/schemas/{}", pointer(&format!("E{s}")))},
                        format!("o{s}"): {"type": "object", "description": s, "properties": {format!("i{s}"): {"type": "integer", "description": s}}},
                        format!("m{s}"): {"type": "object", "additionalProperties": {"type": "string"}, "patternProperties": {pattern.clone(): {"type": "string"}}}
                    }
                },
                format!("E{s}"): {"type": "string", "enum": [s, format!("v{s}")], "description": s, "examples": [s]},
                format!("U{s}"): {"oneOf": [{"$ref": format!("#/components/schemas/{}", pointer(&format!("E{s}")))}, {"type": "integer"}], "description": s}
            }
        }
    })
    .to_string()
}

/// A JSON pointer segment for a key.
fn pointer(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// `s` with every character replaced by `x` except those that lay out text (backticks, `*`,
/// whitespace, braces): a harmless string that must give the same page structure.
fn harmless(s: &str) -> String {
    s.chars().map(|c| if c.is_whitespace() || "`*{}".contains(c) { c } else { 'x' }).collect()
}

fn page(s: &str) -> String {
    let text = spec(s);
    let spec = Spec::from_text("hostile.json", &text).unwrap_or_else(|e| panic!("spec for {s:?}: {e}"));
    let ir = ir::build(&spec, &IrOptions::default()).unwrap_or_else(|d| panic!("ir for {s:?}: {d:?}"));
    docs::emit_html(&ir)
}

#[derive(Default)]
struct Parsed {
    /// Start and end tags with their attribute names, in order.
    structure: Vec<String>,
    tags: BTreeSet<String>,
    attributes: BTreeSet<String>,
    hrefs: Vec<String>,
    texts: Vec<String>,
    values: Vec<String>,
    scripts: Vec<String>,
    errors: Vec<String>,
    comments: usize,
    doctypes: usize,
}

fn utf8(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn parse(page: &str) -> Parsed {
    let mut emitter = DefaultEmitter::default();
    emitter.naively_switch_states(true);
    let mut p = Parsed::default();
    let mut in_script = false;
    for token in Tokenizer::new_with_emitter(page, emitter) {
        match token.expect("tokenizing a string cannot fail") {
            Token::StartTag(tag) => {
                let name = utf8(&tag.name);
                let attrs: Vec<String> = tag.attributes.keys().map(|k| utf8(k)).collect();
                for (k, v) in &tag.attributes {
                    let v = utf8(&v.value);
                    if k.as_slice() == b"href" {
                        p.hrefs.push(v.clone());
                    }
                    p.values.push(v);
                }
                in_script = name == "script";
                if in_script {
                    p.scripts.push(String::new());
                }
                p.structure.push(format!("<{name} {}>", attrs.join(" ")));
                p.attributes.extend(attrs);
                p.tags.insert(name);
            }
            Token::EndTag(tag) => {
                in_script = false;
                p.structure.push(format!("</{}>", utf8(&tag.name)));
            }
            Token::String(text) => {
                let text = utf8(&text.value);
                if in_script {
                    p.scripts.last_mut().expect("inside a script").push_str(&text);
                } else {
                    p.texts.push(text);
                }
            }
            Token::Comment(_) => p.comments += 1,
            Token::Doctype(_) => p.doctypes += 1,
            Token::Error(e) => p.errors.push(format!("{:?}", e.value)),
        }
    }
    p
}

const TAGS: &[&str] = &[
    "html", "head", "meta", "title", "style", "body", "nav", "div", "input", "a", "ul", "li", "span", "main",
    "header", "h1", "h2", "h3", "h4", "h5", "section", "table", "thead", "tbody", "tr", "th", "td", "code",
    "b", "p", "article", "br", "strong", "pre", "footer", "script",
];
const ATTRIBUTES: &[&str] = &[
    "lang",
    "charset",
    "name",
    "content",
    "id",
    "type",
    "placeholder",
    "aria-label",
    "class",
    "href",
    "data-filter",
];

fn check(s: &str) {
    let hostile = page(s);
    let p = parse(&hostile);
    assert!(p.errors.is_empty(), "parse errors for {s:?}: {:?}", &p.errors[..p.errors.len().min(5)]);
    assert_eq!((p.doctypes, p.comments), (1, 0), "doctype/comments for {s:?}");
    let tags: BTreeSet<String> = TAGS.iter().map(|t| (*t).to_owned()).collect();
    assert!(p.tags.is_subset(&tags), "unexpected elements for {s:?}: {:?}", p.tags.difference(&tags));
    let attributes: BTreeSet<String> = ATTRIBUTES.iter().map(|t| (*t).to_owned()).collect();
    assert!(
        p.attributes.is_subset(&attributes),
        "unexpected attributes for {s:?}: {:?}",
        p.attributes.difference(&attributes)
    );
    assert!(
        p.hrefs.iter().all(|h| h.starts_with('#')),
        "a link that is not a fragment for {s:?}: {:?}",
        p.hrefs
    );

    let reference = parse(&page(&harmless(s)));
    assert_eq!(p.scripts.len(), 1, "one script for {s:?}");
    assert_eq!(p.scripts, reference.scripts, "script changed for {s:?}");
    assert_eq!(p.structure, reference.structure, "markup structure changed for {s:?}");

    // The parser reads CR and CRLF as LF.
    let lf = |t: &str| t.replace("\r\n", "\n").replace('\r', "\n");
    let shown = lf(&html::shown(s));
    assert!(p.texts.iter().any(|t| t.contains(&shown)), "{s:?} missing from the text");
    assert!(p.values.iter().any(|v| v.contains(&shown)), "{s:?} missing from attribute values");
}

#[test]
fn each_hostile_piece_alone() {
    for piece in PIECES {
        check(piece);
    }
}

fn hostile() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(PIECES), 1..5).prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn hostile_text_stays_text(s in hostile()) {
        check(&s);
    }
}

#[test]
fn harmless_pages_parse_cleanly_too() {
    let p = parse(&page("plain"));
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    assert_eq!(p.scripts.len(), 1);
    assert!(p.tags.contains("table") && p.tags.contains("pre"), "the page has field tables and examples");
}

//! Specs with caller-chosen text in every text field, and the checks that the code generated
//! from them keeps that text inside strings and comments. Shared by `tests/prop_hostile_text.rs`
//! (proptest) and the fuzz target `text` (`fuzz/fuzz_targets/text.rs`, which includes this file).
//!
//! What is checked, for every generated file:
//! - Rust: parses with `syn::parse_file`, holds no `compile_error!`, no control character but
//!   `\n` and tab, no line/paragraph separator and no bidirectional control anywhere (rustc
//!   denies the last in comments and literals); no identifier token is a marker word
//!   ([`MARKERS`]) that only an injection could produce; `Channel::NAME` is the channel key.
//! - TypeScript (every file but the verbatim `runtime.ts`): the same character rules; a lexer
//!   for the subset the emitter writes (identifiers, numbers, punctuation, `//` and `/* */`
//!   comments, double-quoted strings; no template or regex literals) reads the whole file, every
//!   string literal is valid JSON (as `escape::ts::string` writes them), brackets balance, no
//!   identifier is a marker word, and the channel spec's `address` is the spec's address.
//!
//! The properties are reached from every text field of a spec: info title, version and
//! description, channel key, address, title, summary and description, address parameter names,
//! descriptions, examples, defaults and enum values, message keys, names, titles, summaries,
//! descriptions, content types and examples, operation keys, summaries and descriptions, schema
//! titles, descriptions and examples, property names and descriptions, formats, enum and const
//! values, union tag values, and the spec's file name.
#![allow(dead_code)]

use chanx_gen::emit::{self, GeneratedFile};
use chanx_gen::ir::{self, Ir, IrOptions};
use chanx_gen::parse::Spec;
use serde_json::json;

/// How many texts [`spec`] takes.
pub const TEXTS: usize = 40;

/// Words that only reach code through an injection: hostile texts use them as the names of
/// functions they try to call; names the IR derives from them always carry a prefix.
pub const MARKERS: &[&str] = &["injected", "eval", "alert"];

/// Pieces hostile texts are made of (the generators join a few of them with arbitrary text).
pub const PIECES: &[&str] = &[
    "*/",
    "/*",
    "//",
    "\"#",
    "r#\"",
    "#\"",
    "\"",
    "'",
    "`",
    "${",
    "}",
    "{",
    "\\",
    "</script>",
    "<!--",
    "\r",
    "\n",
    "\r\n",
    "\u{2028}",
    "\u{2029}",
    "\0",
    "\u{1b}",
    "\u{7f}",
    "\u{85}",
    "\u{202A}",
    "\u{202B}",
    "\u{202C}",
    "\u{202D}",
    "\u{202E}",
    "\u{2066}",
    "\u{2067}",
    "\u{2068}",
    "\u{2069}",
    "\u{200E}",
    "\u{200F}",
    "\u{61C}",
    "\u{feff}",
    "x²",
    "١abc",
    "𝟙",
    "αβ",
    "é",
    "\u{301}",
    "type",
    "dyn",
    "mod",
    "self",
    "Self",
    "super",
    "crate",
    "_",
    "__proto__",
    "toString",
    "constructor",
    "chanx",
    "ChanxClient",
    "index",
    "runtime",
    "1",
    " ",
    "-",
    "@",
    "```",
    "    ",
    "injected()",
    "eval(1)",
    "alert`1`",
    "*/ injected(); /*",
    "\"# ; injected(); r#\"",
    "`; injected(); `",
    "${injected()}",
    "\n}; fn injected() {",
    "\"); injected(\"",
];

/// The pointer segment of a key, for a `$ref` (JSON pointer escapes, then `%` for the
/// percent-decoding of fragments).
fn pointer(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1").replace('%', "%25")
}

/// A spec (file name and JSON text) that puts `t[i]` in every text field. Names in one scope
/// get distinct prefixes, so most texts give a spec that builds.
pub fn spec(t: &[String]) -> (String, String) {
    let t = |i: usize| t.get(i).cloned().unwrap_or_default();
    let channel = format!("c{}", t(3));
    let param = format!("p{}", t(4));
    let (m1, m2) = (format!("m1{}", t(13)), format!("m2{}", t(14)));
    let at = |m: &str| json!({ "$ref": format!("#/channels/{}/messages/{}", pointer(&channel), pointer(m)) });
    let doc = json!({
        "asyncapi": "3.0.0",
        "info": { "title": t(0), "version": t(1), "description": t(2) },
        "channels": {
            channel.clone(): {
                "address": format!("/ws/{{{param}}}/{}", t(5).replace(['{', '}'], "")),
                "title": t(6), "summary": t(7), "description": t(8),
                "parameters": { param.clone(): {
                    "description": t(9), "examples": [t(10)], "default": t(11), "enum": [t(11), t(12)],
                } },
                "messages": {
                    m1.clone(): { "$ref": "#/components/messages/One" },
                    m2.clone(): { "$ref": "#/components/messages/Two" },
                    "bin": { "$ref": "#/components/messages/Bin" },
                },
            },
        },
        "operations": {
            format!("o1{}", t(15)): {
                "action": "receive", "summary": t(16), "description": t(17),
                "channel": { "$ref": format!("#/channels/{}", pointer(&channel)) },
                "messages": [at(&m1)],
                "reply": { "messages": [at(&m2)] },
            },
            format!("o2{}", t(18)): {
                "action": "receive",
                "channel": { "$ref": format!("#/channels/{}", pointer(&channel)) },
                "messages": [at("bin")],
            },
        },
        "components": {
            "messages": {
                "One": {
                    "name": format!("n1{}", t(19)), "title": t(20), "summary": t(21), "description": t(22),
                    "payload": { "$ref": "#/components/schemas/S" },
                    "examples": [{ "payload": { "x": t(23) } }],
                },
                "Two": {
                    "name": format!("n2{}", t(24)),
                    "payload": { "type": "object", "properties": { "action": { "const": format!("b{}", t(25)) } }, "required": ["action"] },
                },
                "Bin": { "contentType": format!("application/x-{}", t(26)), "payload": { "type": "string" } },
            },
            "schemas": {
                "S": {
                    "type": "object", "title": t(27), "description": t(28), "examples": [t(29)],
                    "properties": {
                        "action": { "const": format!("a{}", t(30)) },
                        format!("f1{}", t(31)): { "type": "string", "description": t(32), "enum": [format!("e1{}", t(33)), format!("e2{}", t(34))] },
                        format!("f2{}", t(35)): { "const": t(36) },
                        format!("f3{}", t(37)): { "type": "string", "description": t(38), "examples": [t(38)], "format": t(39), "default": t(39) },
                        "f4": { "$ref": "#/components/schemas/U" },
                    },
                    "required": ["action"],
                },
                "U": {
                    "oneOf": [{ "$ref": "#/components/schemas/V1" }, { "$ref": "#/components/schemas/V2" }],
                    "discriminator": "kind",
                },
                "V1": { "type": "object", "properties": { "kind": { "const": format!("k1{}", t(20)) } }, "required": ["kind"] },
                "V2": { "type": "object", "properties": { "kind": { "const": format!("k2{}", t(21)) } }, "required": ["kind"] },
            },
        },
    });
    let name = format!("spec-{}.json", t(0).replace(['/', '\\'], "_"));
    (name, doc.to_string())
}

/// What happened to one spec.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The IR refused it (a name collision, say): nothing generated, nothing to check.
    Refused,
    /// Generated and checked.
    Checked,
}

/// Builds the spec of `t`, generates Rust and TypeScript, and checks both (see the module docs).
/// `Err` names the file and the broken property.
pub fn run(t: &[String]) -> Result<Outcome, String> {
    let (name, text) = spec(t);
    let spec = Spec::from_text(&name, &text).map_err(|e| format!("the spec does not parse: {e}"))?;
    let Ok(ir) = ir::build(&spec, &IrOptions::default()) else { return Ok(Outcome::Refused) };
    check_rust(&ir, &emit::rust::emit(&ir))?;
    check_ts(&ir, &emit::ts::emit(&ir))?;
    let _ = emit::docs::emit_html(&ir);
    Ok(Outcome::Checked)
}

/// A character no generated file may hold verbatim.
fn forbidden(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c, '\u{2028}' | '\u{2029}' | '\u{61C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{feff}')
}

fn characters(f: &GeneratedFile) -> Result<(), String> {
    match f.contents.char_indices().find(|(_, c)| forbidden(*c)) {
        Some((at, c)) => Err(format!("{}: {c:?} at byte {at}", f.path)),
        None => Ok(()),
    }
}

/// The Rust checks.
pub fn check_rust(ir: &Ir, files: &[GeneratedFile]) -> Result<(), String> {
    for f in files {
        characters(f)?;
        if f.contents.contains("compile_error!") {
            return Err(format!("{}: compile_error!", f.path));
        }
        let file = syn::parse_file(&f.contents).map_err(|e| format!("{}: not Rust: {e}", f.path))?;
        let tokens: proc_macro2::TokenStream =
            f.contents.parse().map_err(|e| format!("{}: {e:?}", f.path))?;
        rust_idents(&tokens, &f.path)?;
        if let Some(channel) = ir.channels.iter().find(|c| format!("{}.rs", c.file) == f.path) {
            let name = channel_name(&file).ok_or_else(|| format!("{}: no `const NAME`", f.path))?;
            if name != channel.key {
                return Err(format!("{}: NAME is {name:?}, the key is {:?}", f.path, channel.key));
            }
        }
    }
    Ok(())
}

fn rust_idents(tokens: &proc_macro2::TokenStream, path: &str) -> Result<(), String> {
    for t in tokens.clone() {
        match t {
            proc_macro2::TokenTree::Ident(i) if MARKERS.contains(&i.to_string().as_str()) => {
                return Err(format!("{path}: spec text became the identifier `{i}`"));
            }
            proc_macro2::TokenTree::Group(g) => rust_idents(&g.stream(), path)?,
            _ => {}
        }
    }
    Ok(())
}

/// The value of `const NAME: &str = "..."` in the `impl ::chanx::Channel` of a channel module.
fn channel_name(file: &syn::File) -> Option<String> {
    file.items.iter().find_map(|item| {
        let syn::Item::Impl(imp) = item else { return None };
        imp.items.iter().find_map(|i| match i {
            syn::ImplItem::Const(c) if c.ident == "NAME" => match &c.expr {
                syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(s), .. }) => Some(s.value()),
                _ => None,
            },
            _ => None,
        })
    })
}

/// The TypeScript checks.
pub fn check_ts(ir: &Ir, files: &[GeneratedFile]) -> Result<(), String> {
    for f in files.iter().filter(|f| f.path != "runtime.ts") {
        characters(f)?;
        let tokens = lex_ts(&f.contents).map_err(|e| format!("{}: {e}", f.path))?;
        if let Some(i) = tokens.iter().find_map(|t| match t {
            Tok::Ident(i) if MARKERS.contains(&i.as_str()) => Some(i),
            _ => None,
        }) {
            return Err(format!("{}: spec text became the identifier `{i}`", f.path));
        }
        if let Some(channel) = ir.channels.iter().find(|c| format!("{}.ts", c.ts_file) == f.path) {
            let at = tokens
                .windows(2)
                .position(|w| matches!(w, [Tok::Ident(k), Tok::Punct(':')] if k == "address"))
                .ok_or_else(|| format!("{}: no `address:` in the channel spec", f.path))?;
            let value = match tokens.get(at + 2) {
                Some(Tok::Str(s)) => Some(s.clone()),
                _ => None,
            };
            if value != channel.address {
                return Err(format!("{}: address {value:?}, the spec says {:?}", f.path, channel.address));
            }
        }
    }
    Ok(())
}

/// A token of the generated TypeScript (comments dropped; strings decoded).
#[derive(Debug, PartialEq)]
pub enum Tok {
    Ident(String),
    Str(String),
    Num,
    Punct(char),
}

/// Lexes the TypeScript subset the emitter writes; an error for anything outside it.
pub fn lex_ts(src: &str) -> Result<Vec<Tok>, String> {
    let chars: Vec<(usize, char)> = src.char_indices().collect();
    let mut out = Vec::new();
    let mut stack = Vec::new();
    let mut i = 0;
    while let Some(&(at, c)) = chars.get(i) {
        let next = chars.get(i + 1).map(|p| p.1);
        match c {
            c if c.is_whitespace() => i += 1,
            '/' if next == Some('/') => {
                while chars.get(i).is_some_and(|p| p.1 != '\n') {
                    i += 1;
                }
            }
            '/' if next == Some('*') => {
                let end = src[at + 2..].find("*/").ok_or_else(|| format!("unclosed comment at byte {at}"))?;
                let stop = at + 2 + end + 2;
                while chars.get(i).is_some_and(|p| p.0 < stop) {
                    i += 1;
                }
            }
            '"' => {
                let start = at;
                i += 1;
                loop {
                    match chars.get(i) {
                        None => return Err(format!("unclosed string at byte {start}")),
                        Some((_, '\\')) => i += 2,
                        Some((end, '"')) => {
                            let lit = &src[start..=*end];
                            let value: String = serde_json::from_str(lit)
                                .map_err(|e| format!("string {lit} is not JSON: {e}"))?;
                            out.push(Tok::Str(value));
                            i += 1;
                            break;
                        }
                        Some((_, '\n' | '\r')) => {
                            return Err(format!("line break in the string at byte {start}"));
                        }
                        Some(_) => i += 1,
                    }
                }
            }
            '\'' | '`' => {
                return Err(format!("{c} at byte {at}: the emitter writes only double-quoted strings"));
            }
            c if c.is_ascii_alphabetic() || c == '_' || c == '$' => {
                let start = at;
                while chars.get(i).is_some_and(|p| p.1.is_ascii_alphanumeric() || p.1 == '_' || p.1 == '$') {
                    i += 1;
                }
                let end = chars.get(i).map_or(src.len(), |p| p.0);
                out.push(Tok::Ident(src[start..end].to_owned()));
            }
            c if c.is_ascii_digit() => {
                while chars.get(i).is_some_and(|p| p.1.is_ascii_alphanumeric() || p.1 == '.' || p.1 == '_') {
                    i += 1;
                }
                out.push(Tok::Num);
            }
            c if c.is_ascii_punctuation() => {
                match c {
                    '(' | '[' | '{' => stack.push(c),
                    ')' | ']' | '}' => {
                        let open = stack.pop();
                        let want = match c {
                            ')' => '(',
                            ']' => '[',
                            _ => '{',
                        };
                        if open != Some(want) {
                            return Err(format!("unbalanced {c} at byte {at}"));
                        }
                    }
                    _ => {}
                }
                out.push(Tok::Punct(c));
                i += 1;
            }
            c => return Err(format!("{c:?} outside a string or comment at byte {at}")),
        }
    }
    if !stack.is_empty() {
        return Err(format!("unclosed {stack:?}"));
    }
    Ok(out)
}

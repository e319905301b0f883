//! Every generated identifier is decided here: heck case conversion, Rust keyword escaping,
//! names that start with a digit or have no letters at all, the TypeScript file, namespace and
//! class names, and per-scope collision checks. It knows nothing about AsyncAPI; callers say
//! which scope a name lives in.
//!
//! Names are ASCII. Spec text is first transliterated (`Größe` → `Grosse`, `чат` → `chat`,
//! `x²` → `x2`, `١` → `1`), then every character other than an ASCII letter or digit separates
//! words. ASCII keeps every name a valid Rust and TypeScript identifier and a valid Rust module
//! name (rustc refuses non-ASCII `mod` names without `#[path]`), free of rustc's confusable and
//! uncommon-codepoint lints, and immune to Unicode normalisation merging two names behind the
//! scope's back.

use std::collections::{BTreeMap, BTreeSet};

use heck::{ToPascalCase, ToSnakeCase};

use crate::location::Location;

/// Keywords that cannot be raw identifiers: escaped with a trailing `_`.
const NOT_RAW: &[&str] = &["self", "super", "crate", "Self", "extern", "_"];

/// Strict and reserved keywords of Rust 2024 (raw identifiers `r#...` work for these).
const KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "do", "dyn", "else",
    "enum", "false", "final", "fn", "for", "gen", "if", "impl", "in", "let", "loop", "macro", "match", "mod",
    "move", "mut", "override", "priv", "pub", "ref", "return", "static", "struct", "trait", "true", "try",
    "type", "typeof", "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

/// True when `s` is a Rust keyword (strict, reserved, or one of `self`/`Self`/`super`/`crate`/`_`).
pub fn is_keyword(s: &str) -> bool {
    KEYWORDS.contains(&s) || NOT_RAW.contains(&s)
}

/// Escapes a keyword: `type` → `r#type`, `self` → `self_`; other names are returned unchanged.
pub fn escape(s: &str) -> String {
    if NOT_RAW.contains(&s) {
        format!("{s}_")
    } else if KEYWORDS.contains(&s) {
        format!("r#{s}")
    } else {
        s.to_owned()
    }
}

/// The name without a raw-identifier prefix (`r#type` → `type`), for file names and TypeScript.
pub fn unraw(s: &str) -> &str {
    s.strip_prefix("r#").unwrap_or(s)
}

/// Transliterates to ASCII and keeps letters, digits and `_`; everything else separates words.
/// Then cases with heck.
fn words(s: &str) -> String {
    let keep = |c: char| if c.is_ascii_alphanumeric() || c == '_' { c } else { ' ' };
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii() {
            out.push(keep(c));
        } else {
            match deunicode::deunicode_char(c) {
                Some(ascii) if !ascii.is_empty() => out.extend(ascii.chars().map(keep)),
                _ => out.push(' '),
            }
        }
    }
    out
}

/// A type or variant name: `PascalCase`, escaped, never empty, never starting with a digit
/// (`1m` → `V1m`). `fallback` is used when the text has no letters or digits (`-` → `fallback`).
pub fn pascal_or(s: &str, fallback: &str) -> String {
    let p = words(s).to_pascal_case();
    let p = if p.is_empty() { fallback.to_pascal_case() } else { p };
    let p = if p.starts_with(|c: char| c.is_ascii_digit()) { format!("V{p}") } else { p };
    escape(&p)
}

/// A type or variant name (`chat_message` → `ChatMessage`); `Value` when nothing is left.
pub fn pascal(s: &str) -> String {
    pascal_or(s, "Value")
}

/// A field, method or module name: `snake_case`, escaped, never empty, never starting with a
/// digit (`2fa` → `_2fa`).
pub fn snake_or(s: &str, fallback: &str) -> String {
    let p = words(s).to_snake_case();
    let p = if p.is_empty() { fallback.to_snake_case() } else { p };
    let p = if p.starts_with(|c: char| c.is_ascii_digit()) { format!("_{p}") } else { p };
    escape(&p)
}

/// A field, method or module name (`roomId` → `room_id`, `type` → `r#type`); `value` when
/// nothing is left.
pub fn snake(s: &str) -> String {
    snake_or(s, "value")
}

/// The Rust module of a channel keyed `key`: [`snake_or`]`(key, "channel")`, except that `mod`
/// becomes `mod_` (its file would be `mod.rs`, the generated root module itself).
pub fn rust_module(key: &str) -> String {
    let module = snake_or(key, "channel");
    if unraw(&module) == "mod" { "mod_".to_owned() } else { module }
}

/// File names the TypeScript emitter uses itself; a channel module with one of these names gets
/// a `_channel` suffix.
const TS_RESERVED_FILES: &[&str] = &["index", "types", "guards", "runtime"];

/// JavaScript reserved words (and a few contextual ones) that cannot name a namespace export.
const JS_RESERVED: &[&str] = &[
    "await",
    "break",
    "case",
    "catch",
    "class",
    "const",
    "continue",
    "debugger",
    "default",
    "delete",
    "do",
    "else",
    "enum",
    "export",
    "extends",
    "false",
    "finally",
    "for",
    "function",
    "if",
    "implements",
    "import",
    "in",
    "instanceof",
    "interface",
    "let",
    "new",
    "null",
    "package",
    "private",
    "protected",
    "public",
    "return",
    "static",
    "super",
    "switch",
    "this",
    "throw",
    "true",
    "try",
    "typeof",
    "var",
    "void",
    "while",
    "with",
    "yield",
    "arguments",
    "eval",
];

/// Names a TypeScript channel module imports (from `runtime.ts`, and the `T` / `G` namespaces of
/// `types.ts` and `guards.ts`) or declares besides its client class. The client class must not
/// take one of them.
pub const TS_CHANNEL_MODULE_NAMES: &[&str] = &[
    "buildUrl",
    "ChanxClient",
    "ChannelSpec",
    "check",
    "ClientMessage",
    "ClientMessages",
    "ClientOptions",
    "G",
    "Params",
    "Replies",
    "RequestMessage",
    "RequestOptions",
    "ServerMessage",
    "ServerMessages",
    "spec",
    "T",
    "Unsubscribe",
];

/// The TypeScript client class of a channel whose PascalCase name is `type_name`:
/// `<Name>Client`, or `<Name>ChannelClient` when that is a name the channel module imports
/// (a channel called `chanx` would otherwise shadow the runtime's `ChanxClient`).
pub fn ts_class(type_name: &str) -> String {
    let base = unraw(type_name);
    let class = format!("{base}Client");
    if TS_CHANNEL_MODULE_NAMES.contains(&class.as_str()) { format!("{base}ChannelClient") } else { class }
}

/// TypeScript file names (without `.ts`) for channel modules named `modules` (already unique):
/// the module name without `r#`, `<name>_channel` for a name the emitter uses itself, and a
/// `_2`, `_3`... suffix should that suffix collide with another channel's file.
pub fn ts_files<'a>(modules: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let modules: Vec<&str> = modules.into_iter().map(unraw).collect();
    let mut used: BTreeSet<String> = BTreeSet::new();
    let mut out = Vec::new();
    for m in &modules {
        let mut name = if m.is_empty() { "channel".to_owned() } else { (*m).to_owned() };
        if TS_RESERVED_FILES.contains(&name.as_str()) {
            name.push_str("_channel");
        }
        let base = name.clone();
        let mut n = 2;
        while used.contains(&name) || (name != *m && modules.contains(&name.as_str())) {
            name = format!("{base}_{n}");
            n += 1;
        }
        used.insert(name.clone());
        out.push(name);
    }
    out
}

/// The namespace `index.ts` exports a channel module under: its file name, with a `_` after a
/// JavaScript reserved word.
pub fn ts_namespace(file: &str) -> String {
    if JS_RESERVED.contains(&file) { format!("{file}_") } else { file.to_owned() }
}

/// A set of names in one scope (a module, a struct, an enum), each with where it came from.
/// Registering a name twice from different origins is a collision the caller reports.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    names: BTreeMap<String, (Location, String)>,
}

/// Two origins want the same name in one scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Collision {
    /// The name.
    pub name: String,
    /// Who had it first (location and a short description such as "message `join`").
    pub first: (Location, String),
}

impl Scope {
    /// An empty scope.
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes `name` for `origin` (described by `what`). Errors with the earlier owner if taken.
    pub fn claim(&mut self, name: &str, origin: &Location, what: &str) -> Result<(), Collision> {
        match self.names.get(name) {
            Some(first) => Err(Collision { name: name.to_owned(), first: first.clone() }),
            None => {
                self.names.insert(name.to_owned(), (origin.clone(), what.to_owned()));
                Ok(())
            }
        }
    }

    /// True when `name` is taken.
    pub fn contains(&self, name: &str) -> bool {
        self.names.contains_key(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_table() {
        let table = [
            ("roomId", "room_id"),
            ("room", "room"),
            ("chat_message", "chat_message"),
            ("handleChat", "handle_chat"),
            ("type", "r#type"),
            ("match", "r#match"),
            ("gen", "r#gen"),
            ("self", "self_"),
            ("super", "super_"),
            ("crate", "crate_"),
            ("extern", "extern_"),
            ("_", "value"),
            ("Self", "self_"),
            ("crate-name", "crate_name"),
            ("x-client-version", "x_client_version"),
            ("clientToServer.message.0", "client_to_server_message_0"),
            ("2fa", "_2fa"),
            ("123", "_123"),
            ("$ref", "r#ref"),
            ("-", "value"),
            ("", "value"),
            ("sent_at", "sent_at"),
            ("HTTPServer", "http_server"),
            ("/ws", "ws"),
            ("/api/ws", "api_ws"),
            ("message:send", "message_send"),
            ("union", "union"),
            ("x²", "x2"),
            ("١abc", "_1abc"),
            ("Größe", "grosse"),
            ("чат", "chat"),
            ("dyn", "r#dyn"),
            ("mod", "r#mod"),
            ("a\u{202E}b\rc", "a_b_c"),
        ];
        for (input, want) in table {
            assert_eq!(snake(input), want, "snake({input:?})");
        }
    }

    #[test]
    fn pascal_table() {
        let table = [
            ("chat_message", "ChatMessage"),
            ("ChatMessage", "ChatMessage"),
            ("join_room_message", "JoinRoomMessage"),
            ("send_text", "SendText"),
            ("self", "Self_"),
            ("Self", "Self_"),
            ("type", "Type"),
            ("1m", "V1m"),
            ("5", "V5"),
            ("-", "Value"),
            ("", "Value"),
            ("friend:accepted", "FriendAccepted"),
            ("x-client-version", "XClientVersion"),
            ("clientToServer.message.0", "ClientToServerMessage0"),
            ("Sent At", "SentAt"),
            ("low", "Low"),
            ("^x-", "X"),
            ("x²", "X2"),
            ("١abc", "V1abc"),
            ("𝟙𝟚", "V12"),
            ("αβ", "Ab"),
            ("dyn", "Dyn"),
            ("\u{2028}", "Value"),
        ];
        for (input, want) in table {
            assert_eq!(pascal(input), want, "pascal({input:?})");
        }
    }

    #[test]
    fn escape_table() {
        assert_eq!(escape("type"), "r#type");
        assert_eq!(escape("self"), "self_");
        assert_eq!(escape("fine"), "fine");
        assert_eq!(unraw("r#type"), "type");
        assert!(is_keyword("async"));
        assert!(!is_keyword("union"));
    }

    #[test]
    fn names_are_ascii_identifiers() {
        for s in ["x²", "١abc", "𝟘", "ǅ", "\u{0300}a", "Ⅻ", "😀", "a\u{200D}b", "ﬁ", "İ"] {
            for name in [snake(s), pascal(s)] {
                let bare = unraw(&name);
                assert!(bare.is_ascii() && !bare.is_empty(), "{s:?} -> {name:?}");
                assert!(!bare.starts_with(|c: char| c.is_ascii_digit()), "{s:?} -> {name:?}");
                assert!(bare.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'), "{s:?} -> {name:?}");
            }
        }
    }

    #[test]
    fn rust_modules_never_take_the_root_file() {
        assert_eq!(rust_module("mod"), "mod_");
        assert_eq!(rust_module("type"), "r#type");
        assert_eq!(rust_module("чат"), "chat");
    }

    #[test]
    fn typescript_names() {
        assert_eq!(ts_class("Chat"), "ChatClient");
        assert_eq!(ts_class("Chanx"), "ChanxChannelClient");
        assert_eq!(
            ts_files(["chat", "index", "r#type", "index_channel"]),
            ["chat", "index_channel_2", "type", "index_channel"]
        );
        assert_eq!(ts_namespace("default"), "default_");
        assert_eq!(ts_namespace("chat"), "chat");
    }

    #[test]
    fn scope_reports_first_owner() {
        let mut s = Scope::new();
        let a = Location::new("a.yaml", "/x");
        let b = Location::new("a.yaml", "/y");
        assert!(s.claim("Foo", &a, "schema `foo`").is_ok());
        let err = s.claim("Foo", &b, "schema `Foo`").err();
        assert_eq!(err, Some(Collision { name: "Foo".into(), first: (a, "schema `foo`".into()) }));
    }
}

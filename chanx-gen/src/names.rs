//! Every generated identifier is decided here: heck case conversion, Rust keyword escaping,
//! names that start with a digit or have no letters at all, and per-scope collision checks.
//! It knows nothing about AsyncAPI; callers say which scope a name lives in.

use std::collections::BTreeMap;

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

/// Keeps letters, digits and `_`; everything else separates words. Then cases with heck.
fn words(s: &str) -> String {
    s.chars().map(|c| if c.is_alphanumeric() || c == '_' { c } else { ' ' }).collect()
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
    fn scope_reports_first_owner() {
        let mut s = Scope::new();
        let a = Location::new("a.yaml", "/x");
        let b = Location::new("a.yaml", "/y");
        assert!(s.claim("Foo", &a, "schema `foo`").is_ok());
        let err = s.claim("Foo", &b, "schema `Foo`").err();
        assert_eq!(err, Some(Collision { name: "Foo".into(), first: (a, "schema `foo`".into()) }));
    }
}

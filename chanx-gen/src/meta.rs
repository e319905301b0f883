//! The root document checked against the official AsyncAPI meta-schema of its version
//! (`schemas/`, embedded), with the `jsonschema` crate. Each violation becomes one
//! [`Diagnostic`] at the file, JSON pointer and line of the offending node, in words that say
//! what was expected; no document content is quoted beyond a short, escaped scalar.
//!
//! The meta-schemas nest `oneOf`/`anyOf` deeply (a payload is a schema, a multi-format schema
//! or a `$ref`), so a raw validator error is "not valid under any of the given schemas" at the
//! outermost node. `leaves` follows, at each such node, the alternative that got furthest into
//! the document, which is the one the author meant: `type: strin` is reported at `.../type`,
//! not as a payload that is "not a reference".

use std::sync::OnceLock;

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::{ValidationError, Validator};
use serde_json::Value;

use crate::ir::Diagnostic;
use crate::location::Location;
use crate::parse::Document;

const V2_6: &str = include_str!("../schemas/asyncapi-2.6.0.json");
const V3_0: &str = include_str!("../schemas/asyncapi-3.0.0.json");
const V3_1: &str = include_str!("../schemas/asyncapi-3.1.0.json");

/// At most this many problems are reported from one document (the rest are counted).
const MAX_REPORTED: usize = 100;

/// The meta-schema versions this generator checks against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Version {
    /// Every 2.x document (2.0.0 to 2.6.0): the 2.6.0 schema, the only 2.x one embedded. The
    /// 2.x minor versions only added fields, so an older document is valid under it; its
    /// `asyncapi` value, which that schema requires to be `2.6.0`, is checked by the parser.
    V2_6,
    V3_0,
    V3_1,
}

impl Version {
    /// The meta-schema for an `asyncapi` field; `None` for versions without one here.
    fn of(asyncapi: &str) -> Option<Self> {
        match asyncapi.split('.').take(2).collect::<Vec<_>>().as_slice() {
            ["2", "0" | "1" | "2" | "3" | "4" | "5" | "6"] => Some(Self::V2_6),
            ["3", "0"] => Some(Self::V3_0),
            ["3", _] => Some(Self::V3_1),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::V2_6 => "2.6.0",
            Self::V3_0 => "3.0.0",
            Self::V3_1 => "3.1.0",
        }
    }

    /// The compiled validator, built once per process.
    fn validator(self) -> &'static Validator {
        static V26: OnceLock<Validator> = OnceLock::new();
        static V30: OnceLock<Validator> = OnceLock::new();
        static V31: OnceLock<Validator> = OnceLock::new();
        let (cell, text) = match self {
            Self::V2_6 => (&V26, V2_6),
            Self::V3_0 => (&V30, V3_0),
            Self::V3_1 => (&V31, V3_1),
        };
        cell.get_or_init(|| {
            let schema: Value = serde_json::from_str(text).expect("the embedded meta-schema is JSON");
            jsonschema::options()
                .should_validate_formats(false)
                .build(&schema)
                .expect("the embedded meta-schema compiles")
        })
    }
}

/// Every way the root document breaks the meta-schema of its `asyncapi` version (nothing for
/// a version without one here).
pub fn check(root: &Document, asyncapi: &str) -> Vec<Diagnostic> {
    let Some(version) = Version::of(asyncapi) else { return Vec::new() };
    let mut found = Vec::new();
    for error in version.validator().iter_errors(&root.value) {
        let error = error.to_owned();
        let mut out = Vec::new();
        leaves(&error, &mut out);
        for leaf in out.into_iter().filter(|e| !is_unresolved_ref(e) && !is_older_2x_version(e, asyncapi)) {
            let d = diagnostic(root, leaf, version);
            if !found.contains(&d) {
                found.push(d);
            }
        }
    }
    if found.len() > MAX_REPORTED {
        let more = found.len() - MAX_REPORTED;
        found.truncate(MAX_REPORTED);
        found.push(Diagnostic {
            location: Location::new(root.name.clone(), ""),
            message: format!("{more} more problem(s) against the AsyncAPI {} schema", version.name()),
        });
    }
    found
}

/// The errors that say what is wrong: at an `anyOf`/`oneOf` that nothing matched, those of the
/// alternative that reached deepest into the document (then the one with fewest errors, then
/// the first).
fn leaves<'e>(error: &'e ValidationError<'static>, out: &mut Vec<&'e ValidationError<'static>>) {
    let context = match error.kind() {
        ValidationErrorKind::AnyOf { context } | ValidationErrorKind::OneOfNotValid { context } => context,
        _ => {
            out.push(error);
            return;
        }
    };
    // `max_by_key` keeps the last of equals: reversed, the first alternative wins a tie.
    let best = context.iter().rev().filter(|branch| !branch.is_empty()).max_by_key(|branch| {
        let deepest = branch.iter().map(reach).max().unwrap_or(0);
        (deepest, std::cmp::Reverse(branch.len()))
    });
    match best {
        Some(branch) => branch.iter().for_each(|e| leaves(e, out)),
        None => out.push(error),
    }
}

/// A `$ref` object that several alternatives accept (a reference, and a schema, which may hold
/// `$ref` too): the check runs before references are resolved, and they are checked there.
fn is_unresolved_ref(error: &ValidationError<'static>) -> bool {
    matches!(error.kind(), ValidationErrorKind::OneOfMultipleValid { .. })
        && error.instance().as_object().is_some_and(|o| o.contains_key("$ref"))
}

/// The `asyncapi` value of a 2.0–2.5 document, which the 2.6.0 schema alone refuses.
fn is_older_2x_version(error: &ValidationError<'static>, asyncapi: &str) -> bool {
    asyncapi.starts_with("2.")
        && !asyncapi.starts_with("2.6.")
        && error.instance_path().as_str() == "/asyncapi"
}

/// How deep into the document an error (or its best alternative) points.
fn reach(error: &ValidationError<'static>) -> usize {
    let own = error.instance_path().into_iter().count();
    match error.kind() {
        ValidationErrorKind::AnyOf { context } | ValidationErrorKind::OneOfNotValid { context } => {
            context.iter().flatten().map(reach).max().unwrap_or(own).max(own)
        }
        _ => own,
    }
}

fn diagnostic(root: &Document, error: &ValidationError<'static>, version: Version) -> Diagnostic {
    let pointer = error.instance_path().as_str().to_owned();
    let line = root.lines.line(&pointer);
    let location = Location { file: root.name.clone(), pointer, line };
    Diagnostic { location, message: message(error, version) }
}

/// What was expected, in the spec author's terms.
fn message(error: &ValidationError<'static>, version: Version) -> String {
    let found = excerpt(error.instance());
    match error.kind() {
        ValidationErrorKind::Type { kind } => match reference_hint(error) {
            Some(hint) => hint,
            None => format!("expected {}, found {found}", types(kind)),
        },
        ValidationErrorKind::Enum { options } => format!("expected one of {}, found {found}", list(options)),
        ValidationErrorKind::Constant { expected_value } => {
            format!("expected {}, found {found}", excerpt(expected_value))
        }
        ValidationErrorKind::Required { property } => {
            format!("missing required property {}", excerpt(property))
        }
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            let names: Vec<String> = unexpected.iter().map(|u| format!("`{}`", short(u))).collect();
            format!(
                "unknown propert{} {} (not in the AsyncAPI {} schema)",
                plural_y(names.len()),
                names.join(", "),
                version.name()
            )
        }
        ValidationErrorKind::Pattern { pattern } => {
            format!("{found} does not match the pattern `{}`", short(pattern))
        }
        ValidationErrorKind::Minimum { limit } => format!("expected at least {limit}, found {found}"),
        ValidationErrorKind::Maximum { limit } => format!("expected at most {limit}, found {found}"),
        ValidationErrorKind::ExclusiveMinimum { limit } => {
            format!("expected more than {limit}, found {found}")
        }
        ValidationErrorKind::ExclusiveMaximum { limit } => {
            format!("expected less than {limit}, found {found}")
        }
        ValidationErrorKind::MinItems { limit } => format!("expected at least {limit} item(s)"),
        ValidationErrorKind::MaxItems { limit } => format!("expected at most {limit} item(s)"),
        ValidationErrorKind::MinLength { limit } => {
            format!("expected at least {limit} character(s), found {found}")
        }
        ValidationErrorKind::MaxLength { limit } => format!("expected at most {limit} character(s)"),
        ValidationErrorKind::MinProperties { limit } => {
            format!("expected at least {limit} propert{}", plural_y(*limit as usize))
        }
        ValidationErrorKind::UniqueItems => "expected unique items".to_owned(),
        ValidationErrorKind::FalseSchema => "not allowed here".to_owned(),
        ValidationErrorKind::OneOfMultipleValid { .. } => {
            "matches more than one of the forms allowed here; expected exactly one".to_owned()
        }
        ValidationErrorKind::AnyOf { .. } | ValidationErrorKind::OneOfNotValid { .. } => {
            format!("matches none of the forms the AsyncAPI {} schema allows here", version.name())
        }
        _ => format!("does not satisfy `{}` of the AsyncAPI {} schema", keyword(error), version.name()),
    }
}

/// An operation's or reply's `channel` written as a plain name: say how to refer to it.
fn reference_hint(error: &ValidationError<'static>) -> Option<String> {
    let name = error.instance().as_str()?;
    if !error.instance_path().as_str().ends_with("/channel") {
        return None;
    }
    let target = if name.starts_with("#/") {
        name.to_owned()
    } else {
        format!("#/channels/{}", name.replace('~', "~0").replace('/', "~1"))
    };
    Some(format!(
        "expected a reference to a channel, `channel: {{$ref: '{}'}}`, found the string {}",
        short(&target),
        excerpt(error.instance())
    ))
}

/// The last keyword of the schema path (`.../properties/type/enum` → `enum`).
fn keyword(error: &ValidationError<'static>) -> String {
    let path = error.schema_path().as_str();
    short(path.rsplit('/').next().unwrap_or(path))
}

fn types(kind: &TypeKind) -> String {
    let names: Vec<String> = match kind {
        TypeKind::Single(t) => vec![article(&t.to_string())],
        TypeKind::Multiple(set) => set.iter().map(|t| article(&t.to_string())).collect(),
    };
    names.join(" or ")
}

fn article(name: &str) -> String {
    match name {
        "array" | "object" | "integer" => format!("an {name}"),
        "null" => "null".to_owned(),
        _ => format!("a {name}"),
    }
}

/// A short, escaped rendering of a value: scalars in full up to a few dozen characters,
/// containers by kind only (document content is never echoed at length).
fn excerpt(value: &Value) -> String {
    match value {
        Value::String(s) => format!("\"{}\"", short(s)),
        Value::Object(_) => "an object".to_owned(),
        Value::Array(_) => "an array".to_owned(),
        other => format!("`{}`", short(&other.to_string())),
    }
}

/// `a`, `b` or `c` for an `enum` list (at most eight values shown).
fn list(options: &Value) -> String {
    let Value::Array(values) = options else { return excerpt(options) };
    let mut shown: Vec<String> = values.iter().take(8).map(excerpt).collect();
    if values.len() > 8 {
        shown.push(format!("{} more", values.len() - 8));
    }
    shown.join(", ")
}

fn plural_y(n: usize) -> &'static str {
    if n == 1 { "y" } else { "ies" }
}

/// At most 40 characters of `s`, control and bidi characters escaped, so untrusted text can
/// neither forge lines nor reorder what a terminal shows.
fn short(s: &str) -> String {
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i == 40 {
            out.push('…');
            break;
        }
        if c.is_control()
            || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        {
            out.extend(c.escape_unicode());
        } else if c == '"' || c == '\\' {
            out.push('\\');
            out.push(c);
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::LineIndex;

    fn doc(yaml: &str) -> Document {
        let value: Value = serde_yaml::from_str(yaml).expect("yaml");
        Document {
            name: "spec.yaml".to_owned(),
            path: "spec.yaml".into(),
            value,
            lines: LineIndex::new(yaml),
        }
    }

    const BASE: &str = "asyncapi: 3.0.0\ninfo:\n  title: t\n  version: '1'\n";

    fn problems(extra: &str) -> Vec<String> {
        let d = doc(&format!("{BASE}{extra}"));
        check(&d, "3.0.0").into_iter().map(|d| format!("{}: {}", d.location, d.message)).collect()
    }

    #[test]
    fn a_valid_document_has_no_problem() {
        assert_eq!(problems(""), Vec::<String>::new());
    }

    #[test]
    fn a_misspelt_schema_type_is_reported_at_the_keyword() {
        let p = problems(
            "components:\n  schemas:\n    A:\n      type: object\n      properties:\n        n:\n          type: strin\n",
        );
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(
            p[0].starts_with("spec.yaml#/components/schemas/A/properties/n/type (line 11): expected one of"),
            "{p:?}"
        );
        assert!(p[0].ends_with("found \"strin\""), "{p:?}");
    }

    #[test]
    fn a_misspelt_action_names_the_allowed_values() {
        let p = problems(
            "channels:\n  c:\n    address: /c\noperations:\n  o:\n    action: recieve\n    channel:\n      $ref: '#/channels/c'\n",
        );
        assert_eq!(
            p,
            [
                r#"spec.yaml#/operations/o/action (line 10): expected one of "send", "receive", found "recieve""#
            ]
        );
    }

    #[test]
    fn numbers_written_as_strings_are_refused() {
        let p = problems(
            "components:\n  schemas:\n    A:\n      type: array\n      minItems: one\n    B:\n      type: number\n      minimum: '2'\n",
        );
        assert_eq!(p.len(), 2, "{p:?}");
        assert!(p[0].contains("/components/schemas/A/minItems") && p[0].contains(r#"found "one""#), "{p:?}");
        assert!(
            p[1].contains("/components/schemas/B/minimum") && p[1].contains("expected a number"),
            "{p:?}"
        );
    }

    #[test]
    fn untrusted_text_is_short_and_escaped() {
        let p = problems("components:\n  schemas:\n    A:\n      type: \"x\\nerror: forged\\u202e\"\n");
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(!p[0].contains('\n') && !p[0].contains('\u{202e}'), "{p:?}");
        let long = "y".repeat(500);
        let p = problems(&format!("components:\n  schemas:\n    A:\n      type: {long}\n"));
        assert!(p[0].len() < 300, "{p:?}");
    }

    #[test]
    fn a_channel_named_instead_of_referenced_says_how_to_refer_to_it() {
        let p = problems(
            "channels:\n  chat:\n    address: /c\noperations:\n  o:\n    action: send\n    channel: chat\n",
        );
        assert_eq!(
            p,
            [
                r#"spec.yaml#/operations/o/channel (line 11): expected a reference to a channel, `channel: {$ref: '#/channels/chat'}`, found the string "chat""#
            ]
        );
    }

    #[test]
    fn versions_pick_their_schema() {
        assert_eq!(Version::of("3.0.0"), Some(Version::V3_0));
        assert_eq!(Version::of("3.1.0"), Some(Version::V3_1));
        assert_eq!(Version::of("2.6.0"), Some(Version::V2_6));
        assert_eq!(Version::of("2.0.0"), Some(Version::V2_6));
        assert_eq!(Version::of("2.7.0"), None);
        assert_eq!(Version::of("1.2.0"), None);
    }
}

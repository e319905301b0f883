//! Semantic checks the meta-schema cannot make: constraints that no value can meet, `required`
//! names that no property declares, keywords the generated validation does not enforce, and
//! messages that no operation uses (so they silently vanish from the enums).
//!
//! [`schema`] judges one schema object by its own keywords and says which child the finding
//! is about; the IR's schema walker turns each finding into a located error or warning.

use std::collections::HashSet;

use serde_json::{Map, Value};

use super::{Diagnostic, Ir, MessageId};

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// No value can satisfy the schema: generation stops.
    Error,
    /// The schema means something the generated code does not do.
    Warning,
}

/// One finding about a schema: the keyword it is about (a child of the schema's node), how bad
/// it is, and what to say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The keyword the finding points at (`maxLength`, `required`, ...).
    pub keyword: &'static str,
    /// Error or warning.
    pub severity: Severity,
    /// Lower-case text, no trailing period.
    pub message: String,
}

/// Keywords of JSON Schema that neither the Rust nor the TypeScript validation checks.
const NOT_ENFORCED: &[&str] = &[
    "if",
    "then",
    "else",
    "dependentRequired",
    "dependentSchemas",
    "dependencies",
    "minProperties",
    "maxProperties",
    "propertyNames",
    "contains",
    "minContains",
    "maxContains",
    "unevaluatedProperties",
    "unevaluatedItems",
];

/// Lower and upper bounds that must not cross: (lower, upper, strict, what).
const BOUNDS: &[(&str, &str, bool, &str)] = &[
    ("minimum", "maximum", false, "values"),
    ("exclusiveMinimum", "exclusiveMaximum", true, "values"),
    ("minimum", "exclusiveMaximum", true, "values"),
    ("exclusiveMinimum", "maximum", true, "values"),
    ("minLength", "maxLength", false, "characters"),
    ("minItems", "maxItems", false, "items"),
    ("minProperties", "maxProperties", false, "properties"),
];

/// Every finding about one schema object, judged by its own keywords.
pub fn schema(map: &Map<String, Value>) -> Vec<Finding> {
    let mut out = Vec::new();
    for &(low, high, strict, what) in BOUNDS {
        let (Some(lo), Some(hi)) = (number(map, low), number(map, high)) else { continue };
        if lo > hi || (strict && lo >= hi) {
            out.push(Finding {
                keyword: high,
                severity: Severity::Error,
                message: format!(
                    "`{low}` {lo} and `{high}` {hi} leave no {what} that fit: expected `{low}` {} `{high}`",
                    if strict { "below" } else { "at most" }
                ),
            });
        }
    }
    if let Some(Value::Array(values)) = map.get("enum") {
        if values.is_empty() {
            out.push(Finding {
                keyword: "enum",
                severity: Severity::Error,
                message: "an empty `enum` allows no value: expected at least one value".to_owned(),
            });
        }
    }
    out.extend(required(map));
    for &keyword in NOT_ENFORCED {
        if map.contains_key(keyword) {
            out.push(Finding {
                keyword,
                severity: Severity::Warning,
                message: format!(
                    "`{keyword}` is not enforced: neither the Rust nor the TypeScript validation checks it"
                ),
            });
        }
    }
    out
}

/// `required` names that no property declares: an error when unknown keys are refused (no
/// frame can pass), a warning otherwise (it is then any value, most likely a typo).
fn required(map: &Map<String, Value>) -> Vec<Finding> {
    let (Some(Value::Array(names)), Some(Value::Object(properties))) =
        (map.get("required"), map.get("properties"))
    else {
        return Vec::new();
    };
    // Composed or open-ended objects may declare the property elsewhere.
    if ["allOf", "anyOf", "oneOf", "patternProperties", "$ref"].iter().any(|k| map.contains_key(*k)) {
        return Vec::new();
    }
    let closed = map.get("additionalProperties") == Some(&Value::Bool(false));
    let open_schema = matches!(map.get("additionalProperties"), Some(Value::Object(_)));
    if open_schema {
        return Vec::new();
    }
    let mut seen = HashSet::new();
    names
        .iter()
        .filter_map(Value::as_str)
        .filter(|name| !properties.contains_key(*name) && seen.insert(*name))
        .map(|name| Finding {
            keyword: "required",
            severity: if closed { Severity::Error } else { Severity::Warning },
            message: if closed {
                format!("`required` names `{}`, which is not in `properties` and unknown keys are refused: no frame can pass", short(name))
            } else {
                format!("`required` names `{}`, which is not in `properties`", short(name))
            },
        })
        .collect()
}

/// Messages of a channel that no operation uses: they are in neither message enum.
pub fn unused_messages(ir: &Ir) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for channel in &ir.channels {
        let used: HashSet<MessageId> = [&channel.client, &channel.server]
            .into_iter()
            .flat_map(|d| d.messages.iter().chain(&d.binary).copied())
            .collect();
        for (i, message) in channel.messages.iter().enumerate() {
            if !used.contains(&i) {
                out.push(Diagnostic {
                    location: message.origin.clone(),
                    message: format!(
                        "message `{}` of channel `{}` is used by no operation: it is in neither `ClientMessage` nor `ServerMessage`",
                        short(&message.key),
                        short(&channel.key)
                    ),
                });
            }
        }
    }
    out
}

fn number(map: &Map<String, Value>, key: &str) -> Option<f64> {
    map.get(key).and_then(Value::as_f64)
}

/// At most 60 characters, with control and bidi characters escaped.
fn short(s: &str) -> String {
    let mut out: String = s
        .chars()
        .take(60)
        .flat_map(|c| {
            let hidden = c.is_control()
                || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
            if hidden { c.escape_unicode().collect::<Vec<_>>() } else { vec![c] }
        })
        .collect();
    if s.chars().count() > 60 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn findings(json: &str) -> Vec<(&'static str, Severity)> {
        let Value::Object(map) = serde_json::from_str(json).expect("json") else { panic!("object") };
        schema(&map).into_iter().map(|f| (f.keyword, f.severity)).collect()
    }

    #[test]
    fn crossed_bounds_are_errors() {
        assert_eq!(findings(r#"{"minimum": 5, "maximum": 2}"#), [("maximum", Severity::Error)]);
        assert_eq!(findings(r#"{"minLength": 3, "maxLength": 1}"#), [("maxLength", Severity::Error)]);
        assert_eq!(findings(r#"{"minItems": 2, "maxItems": 1}"#), [("maxItems", Severity::Error)]);
        assert_eq!(
            findings(r#"{"exclusiveMinimum": 1, "exclusiveMaximum": 1}"#),
            [("exclusiveMaximum", Severity::Error)]
        );
        assert!(findings(r#"{"minimum": 1, "maximum": 1}"#).is_empty());
        assert!(findings(r#"{"minLength": 0, "maxLength": 5}"#).is_empty());
    }

    #[test]
    fn required_names_without_a_property() {
        assert_eq!(
            findings(r#"{"properties": {"a": {}}, "required": ["a", "b"]}"#),
            [("required", Severity::Warning)]
        );
        assert_eq!(
            findings(r#"{"properties": {"a": {}}, "required": ["b"], "additionalProperties": false}"#),
            [("required", Severity::Error)]
        );
        assert!(findings(r#"{"properties": {"a": {}}, "required": ["b"], "allOf": [{}]}"#).is_empty());
        assert!(
            findings(r#"{"properties": {"a": {}}, "required": ["b"], "additionalProperties": {}}"#)
                .is_empty()
        );
    }

    #[test]
    fn keywords_that_are_not_enforced_are_warned_about() {
        assert_eq!(
            findings(r#"{"if": {}, "then": {}, "minProperties": 1}"#),
            [("if", Severity::Warning), ("then", Severity::Warning), ("minProperties", Severity::Warning)]
        );
    }

    #[test]
    fn an_empty_enum_is_an_error() {
        assert_eq!(findings(r#"{"enum": []}"#), [("enum", Severity::Error)]);
    }
}

//! Untrusted text in a diagnostic cannot forge lines: whatever a spec puts in a key, a `$ref`,
//! a version, a format or a schema, every error and warning the generator prints keeps its own
//! line structure, and no line break, carriage return, bidi control or other invisible control
//! character from the spec reaches the output unescaped.

use chanx_gen::config::{format_diagnostic, format_diagnostics};
use chanx_gen::error::{Excerpt, Untrusted};
use chanx_gen::ir::{self, IrOptions};
use chanx_gen::parse::Spec;
use chanx_gen::report::Level;
use proptest::prelude::*;

/// Characters that could forge or hide lines.
fn hostile_char() -> impl Strategy<Value = char> {
    prop::sample::select(vec![
        '\n', '\r', '\u{b}', '\u{c}', '\u{0}', '\u{1b}', '\u{7f}', '\u{85}', '\u{2028}', '\u{2029}',
        '\u{202e}', '\u{2066}', '\u{200f}', '\u{feff}', 'a', ':', ' ', '#', '/', '~', '"', '\'', '\\', '{',
        '%', 'é',
    ])
}

fn hostile() -> impl Strategy<Value = String> {
    prop::collection::vec(hostile_char(), 1..40).prop_map(|cs| cs.into_iter().collect())
}

/// A JSON string literal.
fn lit(s: &str) -> String {
    serde_json::to_string(s).expect("a string serializes")
}

/// Specs with `text` in each place that reaches a message.
fn specs(text: &str) -> Vec<String> {
    let t = lit(text);
    let head = r##""asyncapi": "3.0.0", "info": {"title": "t", "version": "1"}"##;
    let msg = |payload: &str| {
        format!(
            r##"{{{head}, "channels": {{"c": {{"address": "/ws", "messages": {{"m": {{"payload": {payload}}}}}}}}}, "operations": {{"o": {{"action": "receive", "channel": {{"$ref": "#/channels/c"}}}}}}}}"##
        )
    };
    vec![
        format!(r##"{{"asyncapi": {t}, "info": {{"title": "t", "version": "1"}}}}"##),
        format!(r##"{{{head}, "channels": {{{t}: {{"$ref": "#/nope"}}}}}}"##),
        format!(r##"{{{head}, "channels": {{"c": {{"$ref": {t}}}}}}}"##),
        format!(r##"{{{head}, "channels": {{"c": {{"$ref": {}}}}}}}"##, lit(&format!("{text}.yaml#/x"))),
        format!(r##"{{{head}, "operations": {{"o": {{"action": {t}}}}}}}"##),
        msg(&format!(r##"{{"schemaFormat": {t}, "schema": {{}}}}"##)),
        msg(&format!(
            r##"{{"type": "object", "properties": {{"action": {{"const": "a"}}, "s": {{"type": "string", "pattern": {}}}}}}}"##,
            lit(&format!("({text}"))
        )),
        msg(&format!(
            r##"{{"type": "object", "properties": {{{t}: {{"type": "string"}}, "x": {{"type": {t}}}}}}}"##
        )),
        msg(&format!(
            r##"{{"type": "object", "properties": {{"action": {{"const": {t}}}, "y": {{"type": "string"}}, "Y": {{"type": "string"}}}}}}"##
        )),
        format!("{{{head}, {t}: 1, {t}: 2}}"),
    ]
}

/// Every message the generator would print for `spec` (errors and warnings).
fn messages(spec: &str) -> Vec<(usize, String)> {
    let parsed = match Spec::from_text("api.json", spec) {
        Ok(s) => s,
        // Several located problems (the meta-schema's) print a count line and one line each.
        Err(chanx_gen::Error::Invalid(d)) => {
            return vec![(1 + d.len(), chanx_gen::Error::Invalid(d).to_string())];
        }
        Err(e) => return vec![(1, e.to_string())],
    };
    match ir::build(&parsed, &IrOptions::default()) {
        Ok(ir) => ir
            .warnings
            .iter()
            .map(|w| (2, format_diagnostic(Level::Warning, w).trim_end().to_owned()))
            .collect(),
        Err(d) => {
            let mut out = vec![(1 + d.len(), chanx_gen::Error::Invalid(d.clone()).to_string())];
            out.push((2 * d.len(), format_diagnostics(&d).trim_end().to_owned()));
            out
        }
    }
}

fn clean(text: &str) -> bool {
    !text.chars().any(|c| {
        c != '\n' && (c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{feff}'))
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn diagnostics_keep_their_lines(text in hostile()) {
        for spec in specs(&text) {
            for (lines, message) in messages(&spec) {
                prop_assert_eq!(message.lines().count(), lines, "{}", message);
                prop_assert!(clean(&message), "unescaped control character in {:?}", message);
            }
        }
    }
}

#[test]
fn untrusted_text_is_escaped_and_excerpts_are_short() {
    assert_eq!(Untrusted("a\nerror: b\r\t\u{202e}\u{0}é").to_string(), "a\\nerror: b\\r\\t\\u{202e}\\u{0}é");
    let long = "x".repeat(1000);
    assert_eq!(Excerpt(&long).to_string().chars().count(), chanx_gen::error::EXCERPT_CHARS + 1);
    assert_eq!(Excerpt("short").to_string(), "short");
}

/// A pattern of 10,000 characters is quoted by the IR's message; what is printed is cut.
#[test]
fn long_spec_text_in_a_message_is_cut() {
    let pattern = format!("({}", "a".repeat(10_000));
    let spec = specs("x").swap_remove(6).replace("(x", &pattern);
    let printed = messages(&spec);
    assert!(!printed.is_empty());
    for (_, message) in printed {
        assert!(message.contains("is not a valid regular expression") || message.contains('…'), "{message}");
        assert!(
            message.chars().count() < 2 * chanx_gen::error::MESSAGE_CHARS,
            "{} characters",
            message.len()
        );
    }
}

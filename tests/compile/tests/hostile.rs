//! The Rust generated from `specs/hostile-text.yaml` (hostile text in every field) compiles (this
//! crate builds it without warnings) and means what the spec says: strings reach the code
//! unchanged, frames with hostile tags and property names round-trip, patterns keep their
//! ECMA-262 meaning, and unions refuse tag values named after `Object.prototype` members.

use chanx::{Channel, Message};
use chanx_compile_tests::hostile_text::{common::HelloV1abc, ws_room_eval_injected as room};
use serde_json::{Value, json};

#[test]
fn spec_text_reaches_the_code_unchanged() {
    assert_eq!(room::WsRoomEvalInjected::NAME, "/ws/{room}*/ eval(`injected`); /*");
    assert_eq!(room::WsRoomEvalInjected::ADDRESS, Some("/ws/{room}*/ eval(`injected`); /*"));
    let wire: Vec<Value> = [
        HelloV1abc::Injected1,
        HelloV1abc::Value2,
        HelloV1abc::Injected3,
        HelloV1abc::Script,
        HelloV1abc::AB,
    ]
    .iter()
    .map(|v| serde_json::to_value(v).expect("serialises"))
    .collect();
    assert_eq!(
        wire,
        [
            json!("*/ injected(); /*"),
            json!("\"# \u{202E}"),
            json!("`${injected}`"),
            json!("</script>"),
            json!("a\rb")
        ]
    );
}

fn hello(x2: &str) -> String {
    json!({
        "action": "hello */ injected(); /*",
        "x²": x2,
        "١abc": "\"# \u{202E}",
        "*/ injected(); /*": "\"# */ ${injected} \u{2028}",
        "__proto__": 7,
    })
    .to_string()
}

#[test]
fn frames_with_hostile_tags_and_names_round_trip() {
    let frame = hello("2024");
    let msg = room::ClientMessage::decode(&frame).unwrap_or_else(|e| panic!("{frame}: {e}"));
    let room::ClientMessage::HelloInjected(h) = &msg else { panic!("wrong variant: {msg:?}") };
    assert_eq!((h.x2.as_str(), h._1abc, h.proto), ("2024", Some(HelloV1abc::Value2), 7));
    assert_eq!(msg.tag(), "hello */ injected(); /*");
    let encoded = msg.encode();
    let (a, b): (Value, Value) =
        (serde_json::from_str(&encoded).expect("json"), serde_json::from_str(&frame).expect("json"));
    assert_eq!(a, b);
    assert_eq!(room::ClientMessage::decode(&encoded).ok(), Some(msg));
    let proto = room::ServerMessage::decode(r#"{"action":"toString"}"#).expect("an own tag value");
    assert_eq!(&*proto.encode(), r#"{"action":"toString"}"#);
}

#[test]
fn patterns_keep_their_ecma_meaning() {
    assert!(room::ClientMessage::decode(&hello("2024")).is_ok());
    // ECMA-262 `\d` is [0-9]: Arabic-Indic and mathematical digits do not match `^\d{4}$`.
    for digits in ["١٢٣٤", "𝟙𝟚𝟛𝟜", "२०२४"] {
        let err = room::ClientMessage::decode(&hello(digits)).expect_err(digits);
        assert!(err.errors.iter().any(|e| e.kind == "string_pattern_mismatch"), "{digits}: {err}");
    }
    let word = |w: &str| json!({"action": "hello */ injected(); /*", "x²": "2024", "word": w}).to_string();
    assert!(room::ClientMessage::decode(&word("abc_1")).is_ok());
    assert!(room::ClientMessage::decode(&word("αβγ")).is_err(), "ECMA-262 `\\w` is ASCII");
}

#[test]
fn unions_refuse_prototype_names() {
    let shape = |kind: &str| json!({"action": "shape", "shape": {"kind": kind}}).to_string();
    assert!(room::ClientMessage::decode(&shape("__proto__")).is_ok());
    for kind in ["toString", "constructor", "hasOwnProperty"] {
        assert!(room::ClientMessage::decode(&shape(kind)).is_err(), "{kind}");
    }
}

//! Frames through the generated codecs: valid frames round-trip losslessly, invalid frames are
//! rejected with Chanx's (pydantic's) error `type` and `loc`, and decoding never panics.

use chanx::{LocPart, Message};
use chanx_compile_tests::{chanx_chat::chat, chat_ws::room};
use proptest::prelude::*;
use serde_json::{Value, json};

fn same_json(a: &str, b: &str) {
    let (a, b): (Value, Value) =
        (serde_json::from_str(a).expect("json"), serde_json::from_str(b).expect("json"));
    assert_eq!(a, b);
}

fn roundtrip<M: Message + std::fmt::Debug + PartialEq>(frame: Value) {
    let text = frame.to_string();
    let msg = M::decode(&text).unwrap_or_else(|e| panic!("{text}: {e}"));
    let encoded = msg.encode();
    same_json(&encoded, &text);
    assert_eq!(M::decode(&encoded).ok().as_ref(), Some(&msg));
}

/// `(type, loc)` of every error, loc as JSON text.
fn errors<M: Message + std::fmt::Debug>(frame: &str) -> Vec<(String, String)> {
    let err = M::decode(frame).expect_err("frame must be rejected");
    err.errors.iter().map(|e| (e.kind.to_string(), serde_json::to_string(&e.loc).expect("loc"))).collect()
}

fn e(kind: &str, loc: Value) -> (String, String) {
    (kind.to_owned(), loc.to_string())
}

#[test]
fn chanx_chat_valid_frames_round_trip() {
    use chat::{ClientMessage, ServerMessage};
    let chat = json!({"action": "chat", "payload": {"sent_at": 1.5, "seq": 3, "text": "hi"}});
    roundtrip::<ClientMessage>(chat.clone());
    roundtrip::<ClientMessage>(
        json!({"action": "echo", "payload": {"sent_at": null, "seq": null, "text": "x"}}),
    );
    roundtrip::<ClientMessage>(json!({"action": "join", "payload": {"room": "lobby_1"}}));
    roundtrip::<ClientMessage>(json!({"action": "leave", "payload": {"room": "lobby"}}));
    roundtrip::<ClientMessage>(json!({"action": "ping", "payload": null}));
    roundtrip::<ServerMessage>(json!({"action": "chat_notification", "payload":
        {"room": "r", "sender": "s", "sent_at": null, "seq": 1, "text": "t"}}));
    roundtrip::<ServerMessage>(
        json!({"action": "echo_reply", "payload": {"sent_at": 2.0, "seq": null, "text": "t"}}),
    );
    roundtrip::<ServerMessage>(json!({"action": "joined", "payload": {"room": "r", "rooms": ["a", "r"]}}));
    roundtrip::<ServerMessage>(json!({"action": "left", "payload": {"room": "r", "rooms": []}}));
    roundtrip::<ServerMessage>(json!({"action": "pong", "payload": null}));
}

#[test]
fn chanx_chat_defaults_and_envelope() {
    use chat::ClientMessage;
    // `payload` of ping defaults to null; `ref` and unknown keys are accepted.
    let ping = ClientMessage::decode(r#"{"action":"ping","ref":"abc"}"#).expect("ping");
    assert_eq!(ping.tag(), "ping");
    assert_eq!(ping.encode(), r#"{"action":"ping","payload":null}"#);
    // A frame that is only the tag is the message's default, without a parse.
    for frame in [r#"{"action":"ping"}"#, " {\"action\" : \"ping\"}\n"] {
        assert_eq!(ClientMessage::decode(frame).as_ref(), Ok(&ping), "{frame}");
    }
    let e = ClientMessage::decode(r#"{"action":"ping"} x"#).expect_err("trailing characters");
    assert_eq!(e.errors[0].kind, "json_invalid");
    // Chanx-style optional fields (`anyOf [T, null], default: null`) are written as null.
    let chat = ClientMessage::decode(r#"{"action":"chat","payload":{"text":"hi","extra":1}}"#).expect("chat");
    same_json(&chat.encode(), r#"{"action":"chat","payload":{"text":"hi","seq":null,"sent_at":null}}"#);
    let ClientMessage::ChatMessage(m) = chat else { panic!("variant") };
    assert_eq!((m.payload.seq, m.payload.sent_at), (None, None));
}

#[test]
fn messages_without_data_are_encoded_from_constants() {
    use chanx_compile_tests::chanx_chat::common::{PingMessage, PongMessage};
    use std::borrow::Cow;
    // A message whose value carries no data is written from a constant, byte for byte what
    // the codec writes for it.
    let ping = chat::ClientMessage::PingMessage(PingMessage { payload: () });
    let pong = chat::ServerMessage::PongMessage(PongMessage { payload: () });
    assert!(matches!(ping.encode(), Cow::Borrowed(_)));
    assert!(matches!(pong.encode(), Cow::Borrowed(_)));
    assert_eq!(ping.encode(), chanx::codec::encode_tagged("action", "ping", &PingMessage { payload: () }));
    assert_eq!(pong.encode(), chanx::codec::encode_tagged("action", "pong", &PongMessage { payload: () }));
    // Messages with data are encoded at run time.
    let chat = chat::ClientMessage::decode(r#"{"action":"chat","payload":{"text":"hi"}}"#).expect("chat");
    assert!(matches!(chat.encode(), Cow::Owned(_)));
}

#[test]
fn chanx_chat_invalid_frames() {
    use chat::ClientMessage as C;
    assert_eq!(errors::<C>("{nope"), vec![e("json_invalid", json!([]))]);
    assert_eq!(errors::<C>("[1]"), vec![e("model_type", json!([]))]);
    assert_eq!(errors::<C>(r#"{"payload":{}}"#), vec![e("union_tag_not_found", json!([]))]);
    assert_eq!(errors::<C>(r#"{"action":"fly"}"#), vec![e("union_tag_invalid", json!([]))]);
    assert_eq!(errors::<C>(r#"{"action":"chat"}"#), vec![e("missing", json!(["chat", "payload"]))]);
    assert_eq!(
        errors::<C>(r#"{"action":"chat","payload":{}}"#),
        vec![e("missing", json!(["chat", "payload", "text"]))]
    );
    // Every problem at once (order follows the schema's properties).
    let mut got = errors::<C>(r#"{"action":"chat","payload":{"text":5,"seq":"x","sent_at":"y"}}"#);
    got.sort();
    assert_eq!(
        got,
        vec![
            e("float_type", json!(["chat", "payload", "sent_at"])),
            e("int_type", json!(["chat", "payload", "seq"])),
            e("string_type", json!(["chat", "payload", "text"])),
        ]
    );
    // Constraint violations found after a successful typed decode, with pydantic's wording.
    let err = C::decode(r#"{"action":"chat","payload":{"text":""}}"#).expect_err("too short");
    assert_eq!(err.errors.len(), 1);
    assert_eq!(err.errors[0].kind, "string_too_short");
    assert_eq!(err.errors[0].msg, "String should have at least 1 character");
    assert_eq!(
        err.errors[0].loc,
        vec![LocPart::Key("chat".into()), LocPart::Key("payload".into()), LocPart::Key("text".into())]
    );
    let long = "x".repeat(2001);
    assert_eq!(
        errors::<C>(&json!({"action": "chat", "payload": {"text": long}}).to_string()),
        vec![e("string_too_long", json!(["chat", "payload", "text"]))]
    );
    assert_eq!(
        errors::<C>(r#"{"action":"join","payload":{"room":"no spaces"}}"#),
        vec![e("string_pattern_mismatch", json!(["join", "payload", "room"]))]
    );
    assert_eq!(
        errors::<C>(r#"{"action":"ping","payload":1}"#),
        vec![e("none_required", json!(["ping", "payload"]))]
    );
    assert_eq!(
        errors::<C>(r#"{"action":"join","payload":[]}"#),
        vec![e("model_type", json!(["join", "payload"]))]
    );
}

#[test]
fn chat_ws_valid_frames_round_trip() {
    use room::{ClientMessage, ServerMessage};
    let user = json!({"id": "123e4567-e89b-12d3-a456-426614174000", "name": "Ann", "status": "online", "avatar_url": null});
    roundtrip::<ClientMessage>(
        json!({"action": "join", "user": user, "request_id": "123e4567-e89b-12d3-a456-426614174000"}),
    );
    roundtrip::<ClientMessage>(json!({"action": "send_text", "text": "hello",
        "reply_to": {"message_id": "1", "parent": {"message_id": "0"}}, "metadata": {"k": "v"}}));
    roundtrip::<ClientMessage>(json!({"action": "ping", "ts": 5}));
    roundtrip::<ServerMessage>(json!({"action": "joined", "members": [user], "topic": null}));
    roundtrip::<ServerMessage>(json!({"action": "pong"}));
    roundtrip::<ServerMessage>(json!({"action": "new_message", "author": user, "text": "t",
        "sent_at": "2024-05-01T10:00:00Z", "priority": "high",
        "attachment": {"url": "https://x.io/a.png", "width": 1, "height": 2}, "labels": {"x-a": "b"}}));
    roundtrip::<ServerMessage>(json!({"action": "error", "code": 4, "message": "m", "retry_after_ms": 10}));
}

#[test]
fn chat_ws_invalid_frames() {
    use room::{ClientMessage as C, ServerMessage as S};
    let uid = "123e4567-e89b-12d3-a456-426614174000";
    // additionalProperties: false on the frame: unknown keys rejected, tag and `ref` are not extra.
    assert_eq!(
        errors::<C>(
            &json!({"action": "join", "ref": "r", "user": {"id": uid, "name": "a"}, "bogus": 1}).to_string()
        ),
        vec![e("extra_forbidden", json!(["join", "bogus"]))]
    );
    assert_eq!(
        errors::<C>(
            &json!({"action": "join", "user": {"id": "nope", "name": "", "status": "gone"}}).to_string()
        ),
        vec![
            e("uuid_parsing", json!(["join", "user", "id"])),
            e("string_too_short", json!(["join", "user", "name"])),
            e("enum", json!(["join", "user", "status"])),
        ]
    );
    assert_eq!(
        errors::<C>(r#"{"action":"ping","ts":-1}"#),
        vec![e("greater_than_equal", json!(["ping", "ts"]))]
    );
    assert_eq!(
        errors::<C>(r#"{"action":"ping","ts":1.5}"#),
        vec![e("int_from_float", json!(["ping", "ts"]))]
    );
    assert_eq!(
        errors::<C>(r#"{"action":"send_text","text":"a","reply_to":{"parent":{}}}"#),
        vec![
            e("missing", json!(["send_text", "reply_to", "message_id"])),
            e("missing", json!(["send_text", "reply_to", "parent", "message_id"]))
        ]
    );
    assert_eq!(
        errors::<C>(r#"{"action":"send_text","text":"a","metadata":{"k":1}}"#),
        vec![e("string_type", json!(["send_text", "metadata", "k"]))]
    );
    assert_eq!(
        errors::<S>(r#"{"action":"error","code":1,"message":"m","retry_after_ms":60001}"#),
        vec![e("less_than_equal", json!(["error", "retry_after_ms"]))]
    );
    assert_eq!(
        errors::<S>(r#"{"action":"joined","members":"x"}"#),
        vec![e("list_type", json!(["joined", "members"]))]
    );
    // a required nullable property must be present; null is fine
    assert!(S::decode(r#"{"action":"joined","members":[],"topic":null}"#).is_ok());
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|i| json!(i)),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(|f| json!(f)),
        prop_oneof![Just("chat".to_owned()), Just("join".to_owned()), Just("payload".to_owned()), ".{0,8}"]
            .prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("action".to_owned()),
                    Just("payload".to_owned()),
                    Just("text".to_owned()),
                    Just("room".to_owned()),
                    "[a-z]{1,4}"
                ],
                inner,
                0..5
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn decode_never_panics_on_strings(s in ".{0,64}") {
        let _ = chat::ClientMessage::decode(&s);
        let _ = room::ClientMessage::decode(&s);
        let _ = room::ServerMessage::decode(&s);
    }

    #[test]
    fn decode_never_panics_on_json(v in arb_json()) {
        let text = v.to_string();
        for r in [chat::ClientMessage::decode(&text).map(|m| m.encode()), chat::ServerMessage::decode(&text).map(|m| m.encode())] {
            if let Err(e) = r { prop_assert!(!e.errors.is_empty()); }
        }
        if let Err(e) = room::ClientMessage::decode(&text) { prop_assert!(!e.errors.is_empty()); }
        if let Ok(m) = room::ServerMessage::decode(&text) { prop_assert!(room::ServerMessage::decode(&m.encode()).is_ok()); }
    }

    #[test]
    fn decode_never_panics_on_tagged_frames(tag in prop_oneof![Just("chat"), Just("join"), Just("ping"), Just("send_text")], body in arb_json()) {
        let text = json!({"action": tag, "payload": body.clone(), "text": body}).to_string();
        if let Ok(m) = chat::ClientMessage::decode(&text) { prop_assert!(chat::ClientMessage::decode(&m.encode()).is_ok()); }
        let _ = room::ClientMessage::decode(&text);
    }
}

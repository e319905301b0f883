//! One rule for repeated keys: a client frame in which any object repeats a key (the tag, `payload`,
//! `ref`, `version`, or a key inside the payload) is refused with one `json_invalid` error
//! frame, without a `ref`, whatever path would have decoded it (tag first or not, with or
//! without envelope keys, typed fast path or schema walk); the connection stays open.

mod support;

use chanx::Hub;
use chanx::testing::Communicator;
use proptest::prelude::*;
use serde_json::{Value, json};
use support::*;

async fn client(hub: &Hub) -> Communicator<chat::Chat> {
    Communicator::connect(&endpoint(hub), "/ws/chat/lobby").await.expect("connects")
}

/// The reply to one raw frame, then a ping to show the connection is still served.
async fn reply_to(c: &mut Communicator<chat::Chat>, frame: &str) -> Value {
    c.send_raw(frame.to_owned()).await;
    let reply = c.receive_json().await;
    c.send(&ping()).await;
    assert_eq!(c.receive_json().await["action"], "pong", "after {frame}");
    reply
}

fn duplicate(key: &str, line: usize, column: usize) -> Value {
    json!({"action": "error", "payload": [{
        "type": "json_invalid",
        "loc": [],
        "msg": format!("Invalid JSON: duplicate key `{key}` at line {line} column {column}"),
    }]})
}

#[tokio::test]
async fn a_repeated_key_anywhere_in_the_envelope_is_json_invalid() {
    let hub = Hub::memory();
    let mut c = client(&hub).await;
    let table: &[(&str, &str, usize)] = &[
        // The tag: first-wins peek and last-wins walk would pick different messages.
        (r#"{"action":"ping","action":"echo","payload":{"text":"a"}}"#, "action", 18),
        // The tag not first (the peek that reads the whole frame).
        (r#"{"payload":{"text":"a"},"action":"echo","action":"ping"}"#, "action", 41),
        (r#"{"action":"echo","payload":{"text":"a"},"payload":{"text":"b"}}"#, "payload", 41),
        // A repeated ref was dropped; now the frame is refused (and no ref is stamped).
        (r#"{"action":"ping","ref":"a","ref":"b"}"#, "ref", 28),
        (r#"{"action":"ping","version":1,"version":2}"#, "version", 30),
        (r#"{"action":"echo","payload":{"text":"a","text":"b"}}"#, "text", 40),
        (r#"{"action":"echo","payload":{"text":"a","seq":1,"seq":2}}"#, "seq", 48),
        // Keys compare as JSON strings: `t\u0065xt` is `text`.
        (r#"{"action":"echo","payload":{"text":"a","t\u0065xt":"b"}}"#, r"t\u0065xt", 40),
        // Deeper, inside an array, in an object the schema does not describe.
        (r#"{"action":"echo","payload":{"text":"a","x":[{"k":1},{"z":1,"z":2}]}}"#, "z", 60),
        ("{\"action\":\"ping\",\n  \"ref\":\"a\",\n  \"ref\":\"b\"}", "ref", 3),
    ];
    for &(frame, key, column) in table {
        let line = frame.lines().count();
        assert_eq!(reply_to(&mut c, frame).await, duplicate(key, line, column), "{frame}");
    }
}

#[tokio::test]
async fn the_same_key_in_different_objects_is_not_a_duplicate() {
    let hub = Hub::memory();
    let mut c = client(&hub).await;
    let echo = |payload: &str| format!(r#"{{"action":"echo","payload":{payload},"ref":"r"}}"#);
    for payload in [
        r#"{"text":"text","seq":1}"#,
        r#"{"text":"a","x":{"text":"b","x":{"text":"c"}}}"#,
        r#"{"text":"a","x":[{"k":1},{"k":1}]}"#,
        r#"{"text":"a","ref":"inner","version":"x"}"#,
    ] {
        let reply = reply_to(&mut c, &echo(payload)).await;
        assert_eq!(
            (&reply["action"], &reply["ref"]),
            (&json!("echo_reply"), &json!("r")),
            "{payload}: {reply}"
        );
    }
}

/// Parts of an echo frame that may be repeated, and where the repeat goes.
fn frames_with_a_duplicate() -> impl Strategy<Value = (Vec<String>, String)> {
    let entries = vec![
        ("action", r#""action":"echo""#),
        ("payload", r#""payload":{"text":"a","seq":1}"#),
        ("ref", r#""ref":"r1""#),
        ("version", r#""version":1"#),
    ];
    (Just(entries), 0..4usize, 0..5usize, any::<bool>(), 0..4usize).prop_map(
        |(entries, dup, at, spaced, nested)| {
            let mut parts: Vec<String> = entries.iter().map(|(_, e)| (*e).to_owned()).collect();
            let key = if nested == 0 {
                // A repeated key inside the payload instead of at the top.
                parts[1] = r#""payload":{"text":"a","seq":1,"seq":2}"#.to_owned();
                "seq".to_owned()
            } else {
                parts.insert(at.min(parts.len()), entries[dup].1.to_owned());
                entries[dup].0.to_owned()
            };
            if spaced {
                parts = parts.into_iter().map(|p| p.replace(':', " : ")).collect();
            }
            (parts, key)
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Whatever the order (tag first: the leading-tag fast path; otherwise the full peek), with
    /// or without envelope keys, every frame with a repeated key gets the same refusal.
    #[test]
    fn every_decode_path_refuses_a_repeated_key((parts, key) in frames_with_a_duplicate(), rotate in 0..5usize) {
        let mut parts = parts;
        let n = parts.len();
        parts.rotate_left(rotate % n);
        let frame = format!("{{{}}}", parts.join(","));
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        let reply = rt.block_on(async {
            let hub = Hub::memory();
            let mut c = client(&hub).await;
            reply_to(&mut c, &frame).await
        });
        let msg = reply["payload"][0]["msg"].as_str().unwrap_or_default().to_owned();
        prop_assert_eq!(&reply["payload"][0]["type"], &json!("json_invalid"), "{}: {}", frame, reply);
        prop_assert!(msg.starts_with(&format!("Invalid JSON: duplicate key `{key}`")), "{}: {}", frame, msg);
        prop_assert!(reply.get("ref").is_none(), "{}", reply);
    }
}

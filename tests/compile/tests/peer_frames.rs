//! Every frame recorded from the Chanx peer (`tests/fixtures/chanx-peer-frames.txt`, one
//! `input => reply` per line, on the chat channel of `specs/chanx-chat.yaml`) against the
//! generated decoder: a frame the peer accepted decodes; a frame the peer refused gives the same
//! errors, `type`, `loc` and `msg` exactly, except the text after `Invalid JSON: ` (Python's
//! parser words it differently from serde_json's).
//!
//! Known differences are listed in [`KNOWN`]: the peer validates in pydantic's lax mode and
//! coerces some values (`true` → `1`, `"7"` → `7`) that our decoder refuses with `int_type`.
//! The test fails when one of them starts to match, so the list stays honest.

use chanx::Message;
use chanx_compile_tests::chanx_chat::chat::ClientMessage;
use serde_json::Value;

const FRAMES: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/chanx-peer-frames.txt"));

/// `(type, loc, msg)` with the parser-specific part of `json_invalid` messages cut off.
fn normalize(items: &[Value]) -> Vec<(String, String, String)> {
    items
        .iter()
        .map(|item| {
            let kind = item["type"].as_str().expect("type").to_owned();
            let mut msg = item["msg"].as_str().expect("msg").to_owned();
            if kind == "json_invalid" {
                assert!(msg.starts_with("Invalid JSON: "), "{msg}");
                msg.truncate("Invalid JSON: ".len());
            }
            (kind, item["loc"].to_string(), msg)
        })
        .collect()
}

/// Inputs whose answer differs from the peer's, and why.
const KNOWN: &[(&str, &str)] = &[
    (
        r#"{"action":"chat","payload":{"text":5,"seq":"x"}}"#,
        "lax mode: a string for an int is parsed (int_parsing)",
    ),
    (r#"{"action":"chat","payload":{"text":"x","seq":true}}"#, "lax mode: a bool for an int is coerced"),
];

#[test]
fn every_peer_frame_gets_the_peers_answer() {
    let mut checked = 0;
    let mut differ = Vec::new();
    for line in FRAMES.lines().filter(|l| !l.trim().is_empty()) {
        let (input, reply) = line.split_once(" => ").unwrap_or_else(|| panic!("no ` => ` in {line}"));
        let reply: Value = serde_json::from_str(reply).unwrap_or_else(|e| panic!("{line}: {e}"));
        let refused = reply["action"] == "error";
        let ours: Result<(), Vec<Value>> = if input == "binary" {
            // Binary frames never reach the decoder: the connection answers them itself.
            Err(vec![serde_json::to_value(chanx::protocol::binary_not_supported()).expect("item")])
        } else {
            ClientMessage::decode(input)
                .map(drop)
                .map_err(|e| e.errors.iter().map(|i| serde_json::to_value(i).expect("item")).collect())
        };
        let problem = match (refused, ours) {
            (false, Ok(())) => None,
            (false, Err(errors)) => Some(format!("the peer accepts it, we refuse it: {errors:?}")),
            (true, Ok(())) => Some("the peer refuses it, we accept it".to_owned()),
            (true, Err(errors)) => {
                let expected = reply["payload"].as_array().expect("error payload is a list");
                let (ours, theirs) = (normalize(&errors), normalize(expected));
                (ours != theirs).then(|| format!("\n  ours:   {ours:?}\n  theirs: {theirs:?}"))
            }
        };
        if let Some(problem) = problem {
            differ.push((input.to_owned(), problem));
        }
        checked += 1;
    }
    assert!(checked >= 19, "only {checked} frames checked");
    let unexpected: Vec<String> = differ
        .iter()
        .filter(|(input, _)| !KNOWN.iter().any(|(k, _)| k == input))
        .map(|(input, problem)| format!("{input}: {problem}"))
        .collect();
    assert!(unexpected.is_empty(), "answers differ from the peer's:\n{}", unexpected.join("\n"));
    for (known, why) in KNOWN {
        assert!(
            differ.iter().any(|(input, _)| input == known),
            "now matches the peer, drop it from KNOWN: {known} ({why})"
        );
    }
}

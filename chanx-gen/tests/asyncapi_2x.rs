//! AsyncAPI 2.0–2.6 input: read into the same model as 3.x, as the official converter maps a
//! 2.6 document to 3.0 (`publish` = the server receives, `subscribe` = the server sends,
//! `message.oneOf` = the channel's messages, `operationId` = the handler).

use std::path::{Path, PathBuf};

use chanx_gen::emit::{rust, ts};
use chanx_gen::ir::{self, Action, Ir, IrOptions, Tagging};
use chanx_gen::parse::Spec;

mod support;
use support::corpus;

fn ir_of(path: &Path) -> Ir {
    let spec = corpus::load(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    ir::build(&spec, &IrOptions::default()).unwrap_or_else(|d| panic!("{}: {d:?}", path.display()))
}

fn fixture(version: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/asyncapi-2")
        .join(version)
        .join("room-chat.yaml")
}

fn ir_of_text(yaml: &str) -> Result<Ir, String> {
    let name = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/asyncapi-2/inline.yaml");
    let spec = Spec::from_text(&name.to_string_lossy(), yaml).map_err(|e| e.to_string())?;
    ir::build(&spec, &IrOptions::default()).map_err(|d| chanx_gen::Error::Invalid(d).to_string())
}

/// What a document's API is made of, independent of channel keys: per channel (sorted), the
/// variants each side sends, its parameters and the actions of its operations; every type name.
fn shape(ir: &Ir) -> (Vec<String>, Vec<String>) {
    let mut channels: Vec<String> = ir
        .channels
        .iter()
        .map(|ch| {
            let side = |ids: &[usize]| {
                let mut v: Vec<&str> = ids.iter().map(|i| ch.messages[*i].variant.as_str()).collect();
                v.sort_unstable();
                v.join(",")
            };
            // Method names are left out: the official 3.0 examples renamed operations by hand.
            let mut ops: Vec<String> = ch.operations.iter().map(|o| format!("{:?}", o.action)).collect();
            ops.sort();
            format!(
                "client [{}] server [{}] params [{}] ops [{}]",
                side(&ch.client.messages),
                side(&ch.server.messages),
                ch.params.iter().map(|p| p.field.as_str()).collect::<Vec<_>>().join(","),
                ops.join(", ")
            )
        })
        .collect();
    channels.sort();
    let mut types: Vec<String> = ir.types.iter().map(|t| t.name.clone()).collect();
    types.sort();
    (channels, types)
}

#[test]
fn every_2_6_example_parses_and_builds() {
    let files = corpus::documents_2x();
    assert!(files.len() >= 20, "2.6.0 examples not found: {files:?}");
    for f in &files {
        let ir = ir_of(f);
        assert!(ir.info.asyncapi.starts_with("2.6"), "{}", f.display());
        assert!(!ir.channels.is_empty(), "{}: no channel", f.display());
        assert!(ir.channels.iter().all(|c| !c.operations.is_empty()), "{}", f.display());
    }
}

/// The official 3.0.0 example converted from each 2.6.0 example (same folder layout).
fn official_3_0(v2: &Path) -> Option<PathBuf> {
    let rel = v2.strip_prefix(corpus::dir("asyncapi/examples-2.6.0")).ok()?;
    let v3 = corpus::dir("asyncapi/examples");
    let candidate = if rel.components().count() > 1 {
        v3.join(rel)
    } else {
        let stem = rel.file_stem()?.to_string_lossy().into_owned();
        v3.join(format!("{stem}-asyncapi.yml"))
    };
    candidate.is_file().then_some(candidate)
}

/// Inline messages without a `messageId` are called `<operation>.message[.<i>]` by the
/// converter; the official 3.0 examples of these three chose other keys by hand.
const RENAMED_BY_HAND: &[(&str, &[(&str, &str)])] = &[
    ("oneof.yml", &[("SubscribeMessage0", "ObjectWithKey"), ("SubscribeMessage1", "ObjectWithKey2")]),
    (
        "rpc-client.yml",
        &[("ReceiveSumResultMessage", "ReceiveSumResult"), ("RequestSumMessage", "RequestSum")],
    ),
    ("rpc-server.yml", &[("SendSumResultMessage", "SendSumResult"), ("SumMessage", "Sum")]),
];

#[test]
fn each_2_6_example_gives_the_api_of_its_official_3_0_version() {
    let mut compared = 0;
    let mut differences = Vec::new();
    for v2 in corpus::documents_2x() {
        let Some(v3) = official_3_0(&v2) else { continue };
        let mut a = format!("{:?}", shape(&ir_of(&v2)));
        let b = format!("{:?}", shape(&ir_of(&v3)));
        let file = v2.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        for (_, renames) in RENAMED_BY_HAND.iter().filter(|(f, _)| *f == file) {
            for (from, to) in *renames {
                assert!(a.contains(from), "{file}: no {from} in {a}");
                a = a.replace(from, to);
            }
        }
        if a != b {
            differences.push(format!("{}:\n  2.6 {a}\n  3.0 {b}", v2.display()));
        }
        compared += 1;
    }
    assert!(compared >= 15, "only {compared} pairs found");
    assert!(differences.is_empty(), "{}", differences.join("\n"));
}

#[test]
fn a_2_6_document_and_its_3_0_version_generate_the_same_code() {
    let (old, new) = (ir_of(&fixture("2.6")), ir_of(&fixture("3.0")));
    assert_eq!(old.info.asyncapi, "2.6.0");
    assert_eq!(new.info.asyncapi, "3.0.0");
    for (what, a, b) in [("rust", rust::emit(&old), rust::emit(&new)), ("ts", ts::emit(&old), ts::emit(&new))]
    {
        let paths: Vec<&str> = a.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(paths, b.iter().map(|f| f.path.as_str()).collect::<Vec<_>>(), "{what} files");
        for (x, y) in a.iter().zip(&b) {
            assert!(x.contents == y.contents, "{what}/{} differs", x.path);
        }
    }
}

#[test]
fn publish_is_received_subscribe_is_sent() {
    let ir = ir_of(&fixture("2.6"));
    let chat = &ir.channels[0];
    assert_eq!((chat.key.as_str(), chat.address.as_deref()), ("/ws/chat/{room}", Some("/ws/chat/{room}")));
    let keys = |ids: &[usize]| ids.iter().map(|i| chat.messages[*i].key.clone()).collect::<Vec<_>>();
    // `messageId` names `chat_line`; the others keep their `components/messages` name; `echo`,
    // used by both operations, is one message.
    assert_eq!(
        keys(&(0..chat.messages.len()).collect::<Vec<_>>()),
        ["chat_line", "ping", "echo", "chat_notification", "pong"]
    );
    assert_eq!(keys(&chat.client.messages), ["chat_line", "ping", "echo"]);
    assert_eq!(keys(&chat.server.messages), ["echo", "chat_notification", "pong"]);
    assert_eq!(chat.client.tag, Tagging::Field("action".into()));
    let ops: Vec<(&str, Action)> = chat.operations.iter().map(|o| (o.method.as_str(), o.action)).collect();
    assert_eq!(ops, [("handle_client", Action::Receive), ("room_events", Action::Send)]);
    // Operation traits are merged; message traits too.
    let description = chat.operations[0].description.as_deref();
    assert_eq!(description, Some("Every frame is a JSON object with an `action`."));
    assert_eq!(chat.messages[0].correlation_id.as_deref(), Some("$message.payload#/request_id"));
    // The parameter's schema gives its values.
    let room = &chat.params[0];
    assert_eq!(
        (room.allowed.clone(), room.default.as_deref()),
        (vec!["lobby".into(), "support".into()], Some("lobby"))
    );
    let notify = &ir.channels[1];
    assert_eq!(
        (notify.key.as_str(), notify.address.as_deref()),
        ("notifications", Some("/ws/notify/{user}"))
    );
    assert_eq!(notify.params[0].examples, ["alice"]);
    let server = &ir.servers[0];
    assert_eq!(
        (server.host.as_str(), server.pathname.as_deref(), server.protocol.as_str()),
        ("127.0.0.1:8000", Some("/ws"), "ws")
    );
}

const HEAD: &str = "asyncapi: 2.0.0\ninfo: {title: t, version: '1'}\n";

#[test]
fn without_ids_keys_are_the_converters() {
    let ir = ir_of_text(&format!(
        "{HEAD}channels:\n  chat:\n    publish:\n      message:\n        oneOf:\n          - {{name: a, payload: {{type: object, properties: {{t: {{const: a}}}}}}}}\n          - {{name: b, payload: {{type: object, properties: {{t: {{const: b}}}}}}}}\n    subscribe:\n      operationId: rooms.events\n      message: {{payload: {{type: string}}}}\n  servers:\n    subscribe:\n      message: {{payload: {{type: integer}}}}\n"
    ))
    .unwrap_or_else(|e| panic!("{e}"));
    let chat = &ir.channels[0];
    let keys: Vec<&str> = chat.messages.iter().map(|m| m.key.as_str()).collect();
    assert_eq!(keys, ["publish.message.0", "publish.message.1", "events.message"]);
    let ops: Vec<&str> = chat.operations.iter().map(|o| o.key.as_str()).collect();
    assert_eq!(ops, ["chat.publish", "rooms.events"]);
    let methods: Vec<&str> = chat.operations.iter().map(|o| o.method.as_str()).collect();
    assert_eq!(methods, ["chat_publish", "rooms_events"]);
    assert_eq!(ir.channels[1].operations[0].key, "servers.subscribe");
    assert_eq!(ir.channels[1].messages[0].key, "subscribe.message");
}

#[test]
fn a_non_json_schema_format_is_skipped_with_a_warning_at_the_2x_message() {
    let text = format!(
        "{HEAD}channels:\n  c:\n    publish:\n      message:\n        schemaFormat: application/vnd.apache.avro;version=1.9.0\n        payload: {{type: record, name: R, fields: []}}\n"
    );
    let ir = ir_of_text(&text).unwrap_or_else(|e| panic!("the JSON part generates: {e}"));
    assert!(ir.channels[0].messages.is_empty(), "the Avro message is left out");
    let warning = ir.warnings.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n");
    assert!(warning.contains("inline.yaml#/channels/c/publish/message/schemaFormat (line 7)"), "{warning}");
    assert!(
        warning.contains("is skipped: its schemaFormat `application/vnd.apache.avro;version=1.9.0`"),
        "{warning}"
    );
    // With --strict it is an error, at the same place.
    let name = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/asyncapi-2/inline.yaml");
    let spec = Spec::from_text(&name.to_string_lossy(), &text).expect("parses");
    let strict = IrOptions { strict: true, ..IrOptions::default() };
    let e = ir::build(&spec, &strict).expect_err("--strict refuses it");
    assert!(e[0].location.pointer.ends_with("/channels/c/publish/message/schemaFormat"), "{e:?}");
}

#[test]
fn meta_schema_problems_point_into_the_2x_document() {
    let e = ir_of_text(&format!("{HEAD}channels:\n  c:\n    publish:\n      operationId: 5\n      message: {{payload: {{type: string}}}}\n"))
        .expect_err("operationId must be a string");
    assert!(e.contains("inline.yaml#/channels/c/publish/operationId (line 6): expected a string"), "{e}");
    // 2.0 to 2.5 are checked against the 2.6.0 schema; their version is not a problem.
    assert!(ir_of_text(&format!("{HEAD}channels: {{}}\n")).is_ok());
}

#[test]
fn generator_errors_point_into_the_2x_document() {
    let e = ir_of_text(&format!(
        "{HEAD}channels:\n  /chat:\n    publish:\n      message:\n        oneOf:\n          - {{messageId: chat-line, payload: {{type: object, properties: {{action: {{const: a}}}}}}}}\n          - {{messageId: chat_line, payload: {{type: object, properties: {{action: {{const: a}}}}}}}}\n"
    ))
    .expect_err("two variants `ChatLine`, two tags `a`");
    assert!(e.contains("inline.yaml#/channels/~1chat/publish/message/oneOf/1 (line 9)"), "{e}");
    assert!(e.contains("both become the variant `ChatLine`"), "{e}");
    assert!(e.contains("have the same `action` value"), "{e}");
}

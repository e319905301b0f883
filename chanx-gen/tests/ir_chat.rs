//! Precise checks of the IR of the two chat specs.

use std::path::Path;

use chanx_gen::ir::{self, Additional, Ir, IrOptions, Role, Schema, Tagging, TypeKind};
use chanx_gen::parse::Spec;

fn build(path: &str, options: &IrOptions) -> Ir {
    let spec = match Spec::load(Path::new(path)) {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    };
    match ir::build(&spec, options) {
        Ok(ir) => ir,
        Err(d) => panic!("{}", chanx_gen::Error::Invalid(d)),
    }
}

fn type_named<'a>(ir: &'a Ir, name: &str) -> &'a ir::TypeDef {
    match ir.types.iter().find(|t| t.name == name) {
        Some(t) => t,
        None => panic!("no type {name}: {:?}", ir.types.iter().map(|t| &t.name).collect::<Vec<_>>()),
    }
}

fn variants(ch: &ir::Channel, d: &ir::Direction) -> Vec<String> {
    d.messages.iter().map(|m| ch.messages[*m].variant.clone()).collect()
}

#[test]
fn chanx_chat_gives_the_obvious_api() {
    let ir = build("../specs/chanx-chat.yaml", &IrOptions::default());
    assert!(ir.warnings.is_empty(), "{:?}", ir.warnings);
    assert_eq!(ir.channels.len(), 1);
    let ch = &ir.channels[0];
    assert_eq!((ch.key.as_str(), ch.module.as_str(), ch.type_name.as_str()), ("chat", "chat", "Chat"));
    assert_eq!(ch.params.iter().map(|p| p.field.as_str()).collect::<Vec<_>>(), ["room"]);
    assert_eq!(ch.client.tag, Tagging::Field("action".into()));
    assert_eq!(ch.server.tag, Tagging::Field("action".into()));
    assert_eq!(
        variants(ch, &ch.client),
        ["ChatMessage", "EchoMessage", "JoinRoomMessage", "LeaveRoomMessage", "PingMessage"]
    );
    assert_eq!(
        variants(ch, &ch.server),
        ["ChatNotification", "EchoReply", "JoinedMessage", "LeftMessage", "PongMessage"]
    );
    let client_keys: Vec<&str> = ch.client.messages.iter().map(|m| ch.messages[*m].key.as_str()).collect();
    assert_eq!(
        client_keys,
        ["chat_message", "echo_message", "join_room_message", "leave_room_message", "ping_message"]
    );
    let tags: Vec<Option<&str>> =
        ch.client.messages.iter().map(|m| ch.messages[*m].tag_value.as_deref()).collect();
    assert_eq!(tags, [Some("chat"), Some("echo"), Some("join"), Some("leave"), Some("ping")]);
    let methods: Vec<&str> = ch.operations.iter().map(|o| o.method.as_str()).collect();
    assert_eq!(methods, ["handle_chat", "handle_echo", "handle_join", "handle_leave", "handle_ping"]);
    let ping = &ch.operations[4];
    assert_eq!(ping.action, ir::Action::Receive);
    let reply = ping
        .reply
        .as_ref()
        .map(|r| r.messages.iter().map(|m| ch.messages[*m].variant.as_str()).collect::<Vec<_>>());
    assert_eq!(reply, Some(vec!["PongMessage"]));
    assert_eq!(ch.messages[0].correlation_id.as_deref(), Some("$message.payload#/ref"));
    // `seq: anyOf [integer, null]` is nullable and optional.
    let TypeKind::Struct(payload) = &type_named(&ir, "ChatPayload").kind else {
        panic!("ChatPayload is not a struct")
    };
    let seq = payload.fields.iter().find(|f| f.wire == "seq");
    assert!(matches!(seq.map(|f| (&f.schema, f.required)), Some((Schema::Nullable(_), false))), "{seq:?}");
    // The message payload is the whole frame.
    let Some(Schema::Named { id, .. }) = &ch.messages[0].payload else { panic!("payload not named") };
    assert_eq!(ir.types[*id].name, "ChatMessage");
}

#[test]
fn chat_ws_features() {
    let ir = build("../specs/chat-ws.yaml", &IrOptions::default());
    let ch = &ir.channels[0];
    assert_eq!(ch.params[0].name, "roomId");
    assert_eq!(ch.params[0].field, "room_id");
    assert_eq!(variants(ch, &ch.client), ["Join", "SendText", "Ping"]);
    assert_eq!(variants(ch, &ch.server), ["Joined", "Pong", "NewMessage", "Error"]);
    assert_eq!(ch.client.tag, Tagging::Field("action".into()));
    let join =
        ch.messages.iter().find(|m| m.key == "join").map(|m| (m.tag_value.clone(), m.correlation_id.clone()));
    assert_eq!(join, Some((Some("join".into()), Some("$message.payload#/request_id".into()))));

    // Recursive schema: ThreadNode.parent is boxed, the reference from SendTextPayload is not.
    let thread = ir.types.iter().position(|t| t.name == "ThreadNode");
    let TypeKind::Struct(s) = &type_named(&ir, "ThreadNode").kind else {
        panic!("ThreadNode is not a struct")
    };
    let parent = s.fields.iter().find(|f| f.wire == "parent").map(|f| f.schema.clone());
    assert_eq!(parent, thread.map(|id| Schema::Named { id, boxed: true }));
    let TypeKind::Struct(send) = &type_named(&ir, "SendTextPayload").kind else { panic!() };
    let reply_to = send.fields.iter().find(|f| f.wire == "reply_to").map(|f| f.schema.clone());
    assert_eq!(reply_to, thread.map(|id| Schema::Named { id, boxed: false }));
    // `metadata` is a map of strings.
    let metadata = send.fields.iter().find(|f| f.wire == "metadata").map(|f| &f.schema);
    assert!(matches!(metadata, Some(Schema::Map { key_pattern: None, .. })), "{metadata:?}");

    // patternProperties → map with a key pattern; inline enum hoisted with a derived name.
    let TypeKind::Struct(nm) = &type_named(&ir, "NewMessagePayload").kind else { panic!() };
    let labels = nm.fields.iter().find(|f| f.wire == "labels").map(|f| &f.schema);
    match labels {
        Some(Schema::Map { values, key_pattern: Some(p) }) => {
            assert_eq!(p, "^x-");
            assert!(matches!(**values, Schema::String(_)));
        }
        other => panic!("labels: {other:?}"),
    }
    let TypeKind::StringEnum(values) = &type_named(&ir, "NewMessagePayloadPriority").kind else { panic!() };
    assert_eq!(values.iter().map(|v| v.variant.as_str()).collect::<Vec<_>>(), ["Low", "Normal", "High"]);
    let TypeKind::Union(att) = &type_named(&ir, "NewMessagePayloadAttachment").kind else { panic!() };
    assert_eq!(
        att.variants.iter().map(|v| v.name.as_str()).collect::<Vec<_>>(),
        ["ImageAttachment", "LinkAttachment"]
    );

    // Nullable type array; relative-file ref to `User`.
    let TypeKind::Struct(joined) = &type_named(&ir, "JoinedPayload").kind else { panic!() };
    let topic = joined.fields.iter().find(|f| f.wire == "topic").map(|f| &f.schema);
    assert!(
        matches!(topic, Some(Schema::Nullable(inner)) if matches!(**inner, Schema::String(_))),
        "{topic:?}"
    );
    let user = type_named(&ir, "User");
    assert_eq!(user.origin.file, "common.yaml", "origins are relative to the root spec's folder");
    assert_eq!(user.origin.pointer, "/User");
    assert_eq!(user.origin.line, Some(2));
    let TypeKind::Struct(u) = &user.kind else { panic!() };
    let avatar = u.fields.iter().find(|f| f.wire == "avatar_url").map(|f| &f.schema);
    assert!(matches!(avatar, Some(Schema::Nullable(_))), "{avatar:?}");

    // additionalProperties: false; allOf merged in order.
    let TypeKind::Struct(jp) = &type_named(&ir, "JoinPayload").kind else { panic!() };
    assert_eq!(jp.additional, Additional::Forbid);
    let TypeKind::Struct(err) = &type_named(&ir, "ErrorPayload").kind else { panic!() };
    let fields: Vec<&str> = err.fields.iter().map(|f| f.wire.as_str()).collect();
    assert_eq!(fields, ["code", "message", "action", "retry_after_ms"]);

    // The discriminated oneOf component.
    let TypeKind::Union(cm) = &type_named(&ir, "ClientMessage").kind else { panic!() };
    assert_eq!(cm.discriminator.as_deref(), Some("action"));
    let tags: Vec<Option<&str>> = cm.variants.iter().map(|v| v.tag_value.as_deref()).collect();
    assert_eq!(tags, [Some("join"), Some("send_text"), Some("ping")]);
}

#[test]
fn role_client_flips_directions() {
    let ir = build("../specs/chanx-chat.yaml", &IrOptions { role: Role::Client, ..IrOptions::default() });
    let ch = &ir.channels[0];
    // Every operation is now a server push; replies still travel server → client.
    assert!(ch.client.messages.is_empty());
    assert_eq!(ch.server.messages.len(), 10);
    assert!(ch.operations.iter().all(|o| o.action == ir::Action::Send));
}

#[test]
fn forced_tag_must_exist_in_every_message() {
    let spec = match Spec::load(Path::new("../specs/chanx-chat.yaml")) {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    };
    let err = ir::build(&spec, &IrOptions { tag: Some("kind".into()), ..IrOptions::default() })
        .err()
        .unwrap_or_default();
    assert_eq!(err.len(), 10, "{err:?}");
    assert!(err[0].message.contains("has no constant `kind` property"), "{}", err[0].message);
}

//! A hand-built IR shaped like `specs/chanx-chat.yaml` plus a few edge cases (binary frames,
//! untagged messages, unions, maps, recursion), for the TypeScript and docs emitter tests.
#![allow(dead_code)]

use chanx_gen::ir::*;
use chanx_gen::location::Location;
use serde_json::json;

fn loc(p: &str) -> Location {
    Location::new("chanx-chat.yaml", p)
}

fn named(id: TypeId) -> Schema {
    Schema::Named { id, boxed: false }
}

fn field(wire: &str, schema: Schema, required: bool) -> Field {
    Field {
        wire: wire.into(),
        rust: wire.into(),
        schema,
        required,
        constant: None,
        default: None,
        description: None,
        deprecated: false,
    }
}

fn ty(name: &str, kind: TypeKind) -> TypeDef {
    TypeDef {
        name: name.into(),
        origin: loc(&format!("/components/schemas/{name}")),
        title: Some(name.into()),
        description: None,
        deprecated: false,
        examples: vec![],
        kind,
    }
}

fn strukt(fields: Vec<Field>) -> TypeKind {
    TypeKind::Struct(Struct { fields, additional: Additional::Ignore })
}

fn msg(key: &str, tag: &str, payload: Option<Schema>) -> Message {
    Message {
        key: key.into(),
        name: None,
        variant: heck_like(key),
        tag_value: Some(tag.into()),
        tag_values: vec![tag.into()],
        payload,
        title: None,
        summary: None,
        description: None,
        deprecated: false,
        content_type: "application/json".into(),
        binary: false,
        examples: vec![],
        correlation_id: Some("$message.payload#/ref".into()),
        origin: loc(&format!("/components/messages/{key}")),
    }
}

fn heck_like(key: &str) -> String {
    key.split('_')
        .map(|w| {
            let mut c = w.chars();
            c.next().map(|f| f.to_ascii_uppercase().to_string() + c.as_str()).unwrap_or_default()
        })
        .collect()
}

fn op(key: &str, summary: &str, message: MessageId, reply: MessageId) -> Operation {
    Operation {
        key: key.into(),
        method: key.into(),
        action: Action::Receive,
        messages: vec![message],
        reply: Some(Reply { messages: vec![reply], enum_name: None }),
        summary: Some(summary.into()),
        description: None,
        deprecated: false,
        origin: loc(&format!("/operations/{key}")),
    }
}

/// The chanx-chat document as the IR builder should see it.
pub fn chanx_chat() -> Ir {
    let nullable_int = Schema::Nullable(Box::new(Schema::Integer(NumberRules::default())));
    let nullable_num = Schema::Nullable(Box::new(Schema::Number(NumberRules::default())));
    let text =
        Schema::String(StringRules { min_length: Some(1), max_length: Some(2000), ..Default::default() });
    let room = Schema::String(StringRules {
        min_length: Some(1),
        max_length: Some(64),
        pattern: Some("^[A-Za-z0-9_-]+$".into()),
        ..Default::default()
    });
    let s = || Schema::String(StringRules::default());
    let frame = |tag: &str, payload: Schema, required: bool| {
        strukt(vec![
            Field { default: Some(json!(tag)), ..field("action", Schema::Const(json!(tag)), false) },
            field("payload", payload, required),
        ])
    };
    // 0 ChatPayload, 1 ChatNotificationPayload, 2 RoomPayload, 3 MembershipPayload
    let mut types = vec![
        TypeDef {
            description: Some(
                "A chat line. `seq` and `sent_at` are optional client metadata echoed back.".into(),
            ),
            ..ty(
                "ChatPayload",
                strukt(vec![
                    field("text", text, true),
                    Field { default: Some(json!(null)), ..field("seq", nullable_int.clone(), false) },
                    Field { default: Some(json!(null)), ..field("sent_at", nullable_num.clone(), false) },
                ]),
            )
        },
        ty(
            "ChatNotificationPayload",
            strukt(vec![
                field("room", s(), true),
                field("text", s(), true),
                field("sender", s(), true),
                field("seq", nullable_int, false),
                field("sent_at", nullable_num, false),
            ]),
        ),
        ty("RoomPayload", strukt(vec![field("room", room, true)])),
        ty(
            "MembershipPayload",
            strukt(vec![
                field("room", s(), true),
                field("rooms", Schema::Array { items: Box::new(s()), rules: ArrayRules::default() }, true),
            ]),
        ),
    ];
    let frames = [
        ("ChatMessage", "chat", 0),
        ("ChatNotification", "chat_notification", 1),
        ("EchoMessage", "echo", 0),
        ("EchoReply", "echo_reply", 0),
        ("JoinRoomMessage", "join", 2),
        ("JoinedMessage", "joined", 3),
        ("LeaveRoomMessage", "leave", 2),
        ("LeftMessage", "left", 3),
    ];
    for (name, tag, payload) in frames {
        types.push(ty(name, frame(tag, named(payload), true)));
    }
    types.push(TypeDef {
        description: Some("Simple ping message to check WebSocket connection status.".into()),
        ..ty("PingMessage", frame("ping", Schema::Null, false))
    });
    types.push(TypeDef {
        description: Some("Simple pong message response to ping requests.".into()),
        ..ty("PongMessage", frame("pong", Schema::Null, false))
    });
    let id = |name: &str| types.iter().position(|t| t.name == name).expect("type exists");
    let messages = vec![
        msg("chat_message", "chat", Some(named(id("ChatMessage")))),
        msg("chat_notification", "chat_notification", Some(named(id("ChatNotification")))),
        msg("echo_message", "echo", Some(named(id("EchoMessage")))),
        msg("echo_reply", "echo_reply", Some(named(id("EchoReply")))),
        msg("join_room_message", "join", Some(named(id("JoinRoomMessage")))),
        msg("joined_message", "joined", Some(named(id("JoinedMessage")))),
        msg("leave_room_message", "leave", Some(named(id("LeaveRoomMessage")))),
        msg("left_message", "left", Some(named(id("LeftMessage")))),
        msg("ping_message", "ping", Some(named(id("PingMessage")))),
        msg("pong_message", "pong", Some(named(id("PongMessage")))),
    ];
    let channel = Channel {
        key: "chat".into(),
        module: "chat".into(),
        file: "chat".into(),
        ts_file: "chat".into(),
        ts_namespace: "chat".into(),
        ts_class: "ChatClient".into(),
        type_name: "Chat".into(),
        address: Some("/ws/chat/{room}".into()),
        title: Some("chat".into()),
        summary: None,
        description: Some("Room chat: ping, echo, join/leave rooms, broadcast chat lines.".into()),
        params: vec![Param {
            name: "room".into(),
            field: "room".into(),
            description: Some("Path parameter for room (str)".into()),
            ..Default::default()
        }],
        messages,
        client: Direction {
            tag: Tagging::Field("action".into()),
            messages: vec![0, 2, 4, 6, 8],
            binary: vec![],
        },
        server: Direction {
            tag: Tagging::Field("action".into()),
            messages: vec![1, 3, 5, 7, 9],
            binary: vec![],
        },
        operations: vec![
            op("handle_chat", "Send a chat line to every member of the URL room", 0, 1),
            op("handle_echo", "Echo a chat payload back to the sender only", 2, 3),
            op("handle_join", "Join another room at run time", 4, 5),
            op("handle_leave", "Leave a room", 6, 7),
            Operation {
                description: Some("Liveness check; replies with pong.".into()),
                ..op("handle_ping", "Ping", 8, 9)
            },
        ],
        origin: loc("/channels/chat"),
    };
    Ir {
        info: Info {
            title: "Chanx chat sample".into(),
            version: "0.1.0".into(),
            description: Some("Room chat sample".into()),
            asyncapi: "3.0.0".into(),
        },
        source_name: "chanx-chat.yaml".into(),
        servers: vec![Server {
            key: "development".into(),
            host: "127.0.0.1:8000".into(),
            protocol: "ws".into(),
            pathname: None,
            description: None,
        }],
        channels: vec![channel],
        types,
        warnings: vec![],
    }
}

/// Edge cases: an untagged channel with binary frames, unions, maps, tuples, recursion, enums,
/// keys that are not identifiers and a channel on the same address.
pub fn edge_cases() -> Ir {
    let mut ir = chanx_chat();
    ir.source_name = "edge.yaml".into();
    let base = ir.types.len();
    let s = || Schema::String(StringRules::default());
    ir.types.push(ty(
        "Node",
        strukt(vec![
            field("id", s(), true),
            field(
                "children",
                Schema::Array {
                    items: Box::new(named(base)),
                    rules: ArrayRules { min_items: Some(0), max_items: Some(8), unique_items: true },
                },
                false,
            ),
            field("x-meta", Schema::Map { values: Box::new(Schema::Any), key_pattern: None }, false),
            field(
                "pair",
                Schema::Tuple {
                    items: vec![
                        s(),
                        Schema::Integer(NumberRules { minimum: Some(0.0), ..Default::default() }),
                    ],
                    rules: ArrayRules::default(),
                },
                false,
            ),
        ]),
    ));
    ir.types.push(TypeDef {
        deprecated: true,
        ..ty(
            "Level",
            TypeKind::StringEnum(vec![
                EnumValue { wire: "low".into(), variant: "Low".into() },
                EnumValue { wire: "high-ish".into(), variant: "HighIsh".into() },
            ]),
        )
    });
    ir.types.push(ty("Code", TypeKind::IntEnum(vec![-1, 0, 42])));
    ir.types.push(ty(
        "Config",
        TypeKind::Struct(Struct {
            fields: vec![field("level", named(base + 1), true), field("code", named(base + 2), false)],
            additional: Additional::Map(Box::new(Schema::Number(NumberRules::default()))),
        }),
    ));
    ir.types.push(ty("Partial", strukt(vec![field("partial", s(), true)])));
    ir.types.push(ty(
        "Result",
        TypeKind::Union(Union {
            exclusive: true,
            discriminator: None,
            variants: vec![
                UnionVariant { name: "Partial".into(), tag_value: None, schema: named(base + 4) },
                UnionVariant { name: "Node".into(), tag_value: None, schema: named(base) },
                UnionVariant { name: "Null".into(), tag_value: None, schema: Schema::Null },
            ],
        }),
    ));
    ir.types.push(ty(
        "Uuid",
        TypeKind::Alias(Schema::String(StringRules { format: Some("uuid".into()), ..Default::default() })),
    ));
    let m = |key: &str, payload: Option<Schema>, binary: bool| Message {
        tag_value: None,
        tag_values: vec![],
        binary,
        content_type: if binary { "application/octet-stream".into() } else { "application/json".into() },
        correlation_id: None,
        ..msg_pub(key, payload)
    };
    let messages = vec![
        m("Initialize", Some(named(base + 3)), false),
        m("Audio", None, true),
        m("AuthResult", Some(named(base + 5)), false),
        m("Transcript.partial", Some(named(base + 4)), false),
        m("Tts", None, true),
    ];
    ir.channels.push(Channel {
        key: "stream".into(),
        module: "r#type".into(),
        file: "type".into(),
        ts_file: "type".into(),
        ts_namespace: "type".into(),
        ts_class: "StreamClient".into(),
        type_name: "Stream".into(),
        address: Some("/ws/chat/{room}".into()),
        title: None,
        summary: Some("Untagged streaming */ channel".into()),
        description: None,
        params: vec![Param {
            name: "room".into(),
            field: "room".into(),
            allowed: vec!["a".into(), "b c".into()],
            ..Default::default()
        }],
        messages,
        client: Direction { tag: Tagging::Untagged, messages: vec![0], binary: vec![1] },
        server: Direction { tag: Tagging::Untagged, messages: vec![2, 3], binary: vec![4] },
        operations: vec![Operation {
            key: "init".into(),
            method: "init".into(),
            action: Action::Receive,
            messages: vec![0],
            reply: Some(Reply { messages: vec![2], enum_name: None }),
            summary: None,
            description: None,
            deprecated: true,
            origin: loc("/operations/init"),
        }],
        origin: loc("/channels/stream"),
    });
    ir
}

pub fn msg_pub(key: &str, payload: Option<Schema>) -> Message {
    msg(key, "", payload)
}

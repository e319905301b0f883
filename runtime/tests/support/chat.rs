//! Hand-written stand-in for what `chanx-gen` generates from `specs/chanx-chat.yaml`
//! (channel `chat`), with the same shape: marker, params, message enums, handler trait, service.

use std::borrow::Cow;
use std::future::Future;

use chanx::serde::{Deserialize, Serialize};
use chanx::serde_json::{self, Value};
use chanx::{DecodeError, ErrorItem, LocPart};

pub struct Chat;

impl chanx::Channel for Chat {
    type Client = ClientMessage;
    type Server = ServerMessage;
    type Params = ChatParams;
    const NAME: &'static str = "chat";
    const ADDRESS: Option<&'static str> = Some("/ws/chat/{room}");
    const TAG: Option<&'static str> = Some("action");
}

#[derive(Debug, Clone, PartialEq)]
pub struct ChatParams {
    pub room: String,
}

impl chanx::Params for ChatParams {
    fn from_path(values: &chanx::PathValues) -> Result<Self, chanx::ParamsError> {
        Ok(Self { room: values.require("room")? })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(crate = "chanx::serde")]
pub struct ChatPayload {
    pub text: String,
    #[serde(default)]
    pub seq: Option<i64>,
    #[serde(default)]
    pub sent_at: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(crate = "chanx::serde")]
pub struct RoomPayload {
    pub room: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(crate = "chanx::serde")]
pub struct ChatNotificationPayload {
    pub room: String,
    pub text: String,
    pub sender: String,
    pub seq: Option<i64>,
    pub sent_at: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(crate = "chanx::serde")]
pub struct MembershipPayload {
    pub room: String,
    pub rooms: Vec<String>,
}

macro_rules! message {
    ($name:ident, $payload:ty) => {
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[serde(crate = "chanx::serde")]
        pub struct $name {
            #[serde(default)]
            pub payload: $payload,
        }
    };
}

impl Default for ChatPayload {
    fn default() -> Self {
        Self { text: String::new(), seq: None, sent_at: None }
    }
}
impl Default for RoomPayload {
    fn default() -> Self {
        Self { room: String::new() }
    }
}

message!(ChatMessage, ChatPayload);
message!(EchoMessage, ChatPayload);
message!(JoinRoomMessage, RoomPayload);
message!(LeaveRoomMessage, RoomPayload);
message!(PingMessage, ());
message!(EchoReply, ChatPayload);
message!(PongMessage, ());

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(crate = "chanx::serde")]
pub struct ChatNotification {
    pub payload: ChatNotificationPayload,
}
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(crate = "chanx::serde")]
pub struct JoinedMessage {
    pub payload: MembershipPayload,
}
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(crate = "chanx::serde")]
pub struct LeftMessage {
    pub payload: MembershipPayload,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ClientMessage {
    ChatMessage(ChatMessage),
    EchoMessage(EchoMessage),
    JoinRoomMessage(JoinRoomMessage),
    LeaveRoomMessage(LeaveRoomMessage),
    PingMessage(PingMessage),
}

#[derive(Debug, Clone, PartialEq)]
pub enum ServerMessage {
    ChatNotification(ChatNotification),
    EchoReply(EchoReply),
    JoinedMessage(JoinedMessage),
    LeftMessage(LeftMessage),
    PongMessage(PongMessage),
}

fn err(kind: &'static str, loc: Vec<LocPart>, msg: impl Into<String>) -> ErrorItem {
    ErrorItem { kind: Cow::Borrowed(kind), loc, msg: msg.into() }
}

fn key(k: &str) -> LocPart {
    LocPart::Key(k.to_owned())
}

fn one(item: ErrorItem) -> DecodeError {
    DecodeError { errors: vec![item] }
}

/// Parses, finds the tag, deserializes the variant and checks a few constraints.
fn decode_frame(frame: &str, tags: &[&str]) -> Result<(String, Value), DecodeError> {
    let value: Value = serde_json::from_str(frame)
        .map_err(|e| one(err("json_invalid", vec![], format!("Invalid JSON: {e}"))))?;
    let Value::Object(map) = &value else {
        return Err(one(err(
            "model_type",
            vec![],
            "Input should be a valid dictionary or instance of Envelope",
        )));
    };
    let Some(Value::String(tag)) = map.get("action") else {
        return Err(one(err(
            "union_tag_not_found",
            vec![],
            "Unable to extract tag using discriminator 'action'",
        )));
    };
    if !tags.contains(&tag.as_str()) {
        let expected = tags.iter().map(|t| format!("'{t}'")).collect::<Vec<_>>().join(", ");
        return Err(one(err(
            "union_tag_invalid",
            vec![],
            format!(
                "Input tag '{tag}' found using 'action' does not match any of the expected tags: {expected}"
            ),
        )));
    }
    Ok((tag.clone(), value))
}

fn typed<T: for<'de> Deserialize<'de>>(tag: &str, value: Value) -> Result<T, DecodeError> {
    serde_json::from_value(value)
        .map_err(|e| one(err("model_type", vec![key(tag), key("payload")], e.to_string())))
}

fn check_text(tag: &str, text: &str, errors: &mut Vec<ErrorItem>) {
    let n = text.chars().count();
    let loc = vec![key(tag), key("payload"), key("text")];
    if n < 1 {
        errors.push(err("string_too_short", loc, "String should have at least 1 character"));
    } else if n > 2000 {
        errors.push(err("string_too_long", loc, "String should have at most 2000 characters"));
    }
}

fn check_room(tag: &str, room: &str, errors: &mut Vec<ErrorItem>) {
    let ok = !room.is_empty()
        && room.len() <= 64
        && room.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if !ok {
        errors.push(err(
            "string_pattern_mismatch",
            vec![key(tag), key("payload"), key("room")],
            "String should match pattern '^[A-Za-z0-9_-]+$'",
        ));
    }
}

fn done<T>(value: T, errors: Vec<ErrorItem>) -> Result<T, DecodeError> {
    if errors.is_empty() { Ok(value) } else { Err(DecodeError { errors }) }
}

impl chanx::Message for ClientMessage {
    fn decode(frame: &str) -> Result<Self, DecodeError> {
        let (tag, value) = decode_frame(frame, &["chat", "echo", "join", "leave", "ping"])?;
        let mut errors = Vec::new();
        match tag.as_str() {
            "chat" => {
                let m: ChatMessage = typed(&tag, value)?;
                check_text(&tag, &m.payload.text, &mut errors);
                done(Self::ChatMessage(m), errors)
            }
            "echo" => {
                let m: EchoMessage = typed(&tag, value)?;
                check_text(&tag, &m.payload.text, &mut errors);
                done(Self::EchoMessage(m), errors)
            }
            "join" => {
                let m: JoinRoomMessage = typed(&tag, value)?;
                check_room(&tag, &m.payload.room, &mut errors);
                done(Self::JoinRoomMessage(m), errors)
            }
            "leave" => {
                let m: LeaveRoomMessage = typed(&tag, value)?;
                check_room(&tag, &m.payload.room, &mut errors);
                done(Self::LeaveRoomMessage(m), errors)
            }
            _ => Ok(Self::PingMessage(PingMessage { payload: () })),
        }
    }

    fn encode(&self) -> String {
        let (tag, payload) = match self {
            Self::ChatMessage(m) => ("chat", serde_json::to_value(&m.payload)),
            Self::EchoMessage(m) => ("echo", serde_json::to_value(&m.payload)),
            Self::JoinRoomMessage(m) => ("join", serde_json::to_value(&m.payload)),
            Self::LeaveRoomMessage(m) => ("leave", serde_json::to_value(&m.payload)),
            Self::PingMessage(_) => ("ping", Ok(Value::Null)),
        };
        serde_json::json!({"action": tag, "payload": payload.unwrap_or(Value::Null)}).to_string()
    }

    fn tag(&self) -> &'static str {
        match self {
            Self::ChatMessage(_) => "chat",
            Self::EchoMessage(_) => "echo",
            Self::JoinRoomMessage(_) => "join",
            Self::LeaveRoomMessage(_) => "leave",
            Self::PingMessage(_) => "ping",
        }
    }
}

impl chanx::Message for ServerMessage {
    fn decode(frame: &str) -> Result<Self, DecodeError> {
        let (tag, value) =
            decode_frame(frame, &["chat_notification", "echo_reply", "joined", "left", "pong"])?;
        Ok(match tag.as_str() {
            "chat_notification" => Self::ChatNotification(typed(&tag, value)?),
            "echo_reply" => Self::EchoReply(typed(&tag, value)?),
            "joined" => Self::JoinedMessage(typed(&tag, value)?),
            "left" => Self::LeftMessage(typed(&tag, value)?),
            _ => Self::PongMessage(PongMessage { payload: () }),
        })
    }

    fn encode(&self) -> String {
        let (tag, payload) = match self {
            Self::ChatNotification(m) => ("chat_notification", serde_json::to_value(&m.payload)),
            Self::EchoReply(m) => ("echo_reply", serde_json::to_value(&m.payload)),
            Self::JoinedMessage(m) => ("joined", serde_json::to_value(&m.payload)),
            Self::LeftMessage(m) => ("left", serde_json::to_value(&m.payload)),
            Self::PongMessage(_) => ("pong", Ok(Value::Null)),
        };
        serde_json::json!({"action": tag, "payload": payload.unwrap_or(Value::Null)}).to_string()
    }

    fn tag(&self) -> &'static str {
        match self {
            Self::ChatNotification(_) => "chat_notification",
            Self::EchoReply(_) => "echo_reply",
            Self::JoinedMessage(_) => "joined",
            Self::LeftMessage(_) => "left",
            Self::PongMessage(_) => "pong",
        }
    }
}

pub trait ChatHandler: Send + Sync + 'static {
    fn handle_chat(
        &self,
        ctx: &chanx::Context<Chat>,
        msg: ChatMessage,
    ) -> impl Future<Output = chanx::HandlerResult<ChatNotification>> + Send;
    fn handle_echo(
        &self,
        ctx: &chanx::Context<Chat>,
        msg: EchoMessage,
    ) -> impl Future<Output = chanx::HandlerResult<EchoReply>> + Send;
    fn handle_join(
        &self,
        ctx: &chanx::Context<Chat>,
        msg: JoinRoomMessage,
    ) -> impl Future<Output = chanx::HandlerResult<JoinedMessage>> + Send;
    fn handle_leave(
        &self,
        ctx: &chanx::Context<Chat>,
        msg: LeaveRoomMessage,
    ) -> impl Future<Output = chanx::HandlerResult<LeftMessage>> + Send;
    fn handle_ping(
        &self,
        ctx: &chanx::Context<Chat>,
        msg: PingMessage,
    ) -> impl Future<Output = chanx::HandlerResult<PongMessage>> + Send;
    fn on_connect(
        &self,
        _ctx: &chanx::Context<Chat>,
    ) -> impl Future<Output = chanx::HandlerResult<()>> + Send {
        async { Ok(()) }
    }
    fn on_disconnect(&self, _ctx: &chanx::Context<Chat>) -> impl Future<Output = ()> + Send {
        async {}
    }
}

pub struct ChatService<H>(pub H);

impl<H: ChatHandler> chanx::Service<Chat> for ChatService<H> {
    fn dispatch<'a>(
        &'a self,
        ctx: &'a chanx::Context<Chat>,
        msg: ClientMessage,
    ) -> chanx::channel::BoxFuture<'a, chanx::HandlerResult<Option<ServerMessage>>> {
        Box::pin(async move {
            Ok(Some(match msg {
                ClientMessage::ChatMessage(m) => {
                    ServerMessage::ChatNotification(self.0.handle_chat(ctx, m).await?)
                }
                ClientMessage::EchoMessage(m) => ServerMessage::EchoReply(self.0.handle_echo(ctx, m).await?),
                ClientMessage::JoinRoomMessage(m) => {
                    ServerMessage::JoinedMessage(self.0.handle_join(ctx, m).await?)
                }
                ClientMessage::LeaveRoomMessage(m) => {
                    ServerMessage::LeftMessage(self.0.handle_leave(ctx, m).await?)
                }
                ClientMessage::PingMessage(m) => {
                    ServerMessage::PongMessage(self.0.handle_ping(ctx, m).await?)
                }
            }))
        })
    }

    fn on_connect<'a>(
        &'a self,
        ctx: &'a chanx::Context<Chat>,
    ) -> chanx::channel::BoxFuture<'a, chanx::HandlerResult<()>> {
        Box::pin(self.0.on_connect(ctx))
    }

    fn on_disconnect<'a>(&'a self, ctx: &'a chanx::Context<Chat>) -> chanx::channel::BoxFuture<'a, ()> {
        Box::pin(self.0.on_disconnect(ctx))
    }
}

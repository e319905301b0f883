//! Shared test fixtures: the chat channel and a handler behaving like the Chanx peer, plus a few
//! switches (`panic`, `fail`, `deny` texts) to exercise error paths.
#![allow(dead_code)]

pub mod chat;
/// The chat API generated from `specs/chanx-chat.yaml`: the same checked-in code the chat example
/// compiles (kept fresh by `scripts/check-generated.sh`).
#[rustfmt::skip]
#[path = "../../../examples/chat/src/api/rust/mod.rs"]
pub mod generated;
pub mod harness;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use chanx::{Context, HandlerError, HandlerResult};
use chat::*;

/// The peer's chat behaviour.
#[derive(Default, Clone)]
pub struct App {
    pub disconnects: Arc<AtomicUsize>,
    pub ids: Arc<std::sync::Mutex<Vec<chanx::ConnId>>>,
}

pub fn sender_of(ctx: &Context<Chat>) -> String {
    let id = ctx.id().as_str();
    id[id.len().saturating_sub(8)..].to_owned()
}

impl ChatHandler for App {
    async fn on_connect(&self, ctx: &Context<Chat>) -> HandlerResult<()> {
        if ctx.params().room == "forbidden" {
            return Err(HandlerError::public("room is closed"));
        }
        if ctx.params().room == "explode" {
            panic!("on_connect exploded");
        }
        ctx.join(ctx.params().room.clone()).await?;
        self.ids.lock().expect("not poisoned").push(ctx.id().clone());
        Ok(())
    }

    async fn on_disconnect(&self, _ctx: &Context<Chat>) {
        self.disconnects.fetch_add(1, Ordering::SeqCst);
    }

    async fn handle_chat(&self, ctx: &Context<Chat>, msg: ChatMessage) -> HandlerResult<ChatNotification> {
        let room = ctx.params().room.clone();
        let note = ChatNotification {
            payload: ChatNotificationPayload {
                room: room.clone(),
                text: msg.payload.text,
                sender: sender_of(ctx),
                seq: msg.payload.seq,
                sent_at: msg.payload.sent_at,
            },
        };
        ctx.broadcast_others(&room, &ServerMessage::ChatNotification(note.clone())).await?;
        Ok(note)
    }

    async fn handle_echo(&self, ctx: &Context<Chat>, msg: EchoMessage) -> HandlerResult<EchoReply> {
        match msg.payload.text.as_str() {
            "panic" => panic!("handler exploded"),
            // Handlers that wait before answering (or panicking): awaited after their first poll.
            "later" => {
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                Ok(EchoReply { payload: msg.payload })
            }
            "panic later" => {
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                panic!("handler exploded after waiting")
            }
            "fail" => Err(std::io::Error::other("database down").into()),
            "deny" => Err(HandlerError::public("not allowed")),
            "twice" => {
                ctx.send(&ServerMessage::EchoReply(EchoReply { payload: msg.payload.clone() }));
                Ok(EchoReply { payload: msg.payload })
            }
            "whoami" => {
                let user = ctx.auth::<String>().cloned().unwrap_or_else(|| "anonymous".to_owned());
                Ok(EchoReply { payload: ChatPayload { text: user, seq: None, sent_at: None } })
            }
            _ => Ok(EchoReply { payload: msg.payload }),
        }
    }

    async fn handle_join(&self, ctx: &Context<Chat>, msg: JoinRoomMessage) -> HandlerResult<JoinedMessage> {
        ctx.join(msg.payload.room.clone()).await?;
        Ok(JoinedMessage { payload: MembershipPayload { room: msg.payload.room, rooms: ctx.groups() } })
    }

    async fn handle_leave(&self, ctx: &Context<Chat>, msg: LeaveRoomMessage) -> HandlerResult<LeftMessage> {
        ctx.leave(&msg.payload.room).await?;
        Ok(LeftMessage { payload: MembershipPayload { room: msg.payload.room, rooms: ctx.groups() } })
    }

    async fn handle_ping(&self, _ctx: &Context<Chat>, _msg: PingMessage) -> HandlerResult<PongMessage> {
        Ok(PongMessage { payload: () })
    }
}

/// The chat service plus a binary handler: replies `echo_reply` with the byte count.
pub struct WithBinary(pub ChatService<App>);

impl chanx::Service<Chat> for WithBinary {
    fn dispatch<'a>(
        &'a self,
        ctx: &'a Context<Chat>,
        msg: ClientMessage,
    ) -> chanx::channel::BoxFuture<'a, HandlerResult<Option<ServerMessage>>> {
        self.0.dispatch(ctx, msg)
    }

    fn dispatch_binary<'a>(
        &'a self,
        _ctx: &'a Context<Chat>,
        data: bytes::Bytes,
    ) -> Option<chanx::channel::BoxFuture<'a, HandlerResult<Option<ServerMessage>>>> {
        Some(Box::pin(async move {
            let text = format!("{} bytes", data.len());
            Ok(Some(ServerMessage::EchoReply(EchoReply {
                payload: ChatPayload { text, seq: None, sent_at: None },
            })))
        }))
    }

    fn on_connect<'a>(&'a self, ctx: &'a Context<Chat>) -> chanx::channel::BoxFuture<'a, HandlerResult<()>> {
        self.0.on_connect(ctx)
    }
}

pub fn echo_msg(text: &str) -> EchoMessage {
    EchoMessage { payload: ChatPayload { text: text.to_owned(), seq: None, sent_at: None } }
}

pub fn echo(text: &str) -> ClientMessage {
    ClientMessage::EchoMessage(EchoMessage {
        payload: ChatPayload { text: text.to_owned(), seq: None, sent_at: None },
    })
}

pub fn chat(text: &str, seq: i64) -> ClientMessage {
    ClientMessage::ChatMessage(ChatMessage {
        payload: ChatPayload { text: text.to_owned(), seq: Some(seq), sent_at: None },
    })
}

pub fn join(room: &str) -> ClientMessage {
    ClientMessage::JoinRoomMessage(JoinRoomMessage { payload: RoomPayload { room: room.to_owned() } })
}

pub fn leave(room: &str) -> ClientMessage {
    ClientMessage::LeaveRoomMessage(LeaveRoomMessage { payload: RoomPayload { room: room.to_owned() } })
}

pub fn ping() -> ClientMessage {
    ClientMessage::PingMessage(PingMessage { payload: () })
}

pub fn endpoint(hub: &chanx::Hub) -> chanx::Endpoint<Chat> {
    chanx::Endpoint::new(ChatService(App::default()), hub.clone())
}

pub fn endpoint_with(app: &App, hub: &chanx::Hub) -> chanx::Endpoint<Chat> {
    chanx::Endpoint::new(ChatService(app.clone()), hub.clone())
}

/// Polls `check` until it holds, for at most 5 s (no timing assertion: only a bound).
pub async fn eventually(mut check: impl FnMut() -> bool) -> bool {
    for _ in 0..500 {
        if check() {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    check()
}

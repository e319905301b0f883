//! The generated push helpers of `send` operations (`specs/chat-ws.yaml`: `broadcastMessage`,
//! `sendError`) deliver through a memory hub to a connected in-memory communicator: the group
//! form to every member of a group, the `_to` form to one connection.

use std::sync::Mutex;
use std::time::Duration;

use chanx::testing::Communicator;
use chanx::{ConnId, Context, Endpoint, HandlerError, HandlerResult, Hub};
use chanx_compile_tests::chat_ws::common::{
    ErrorPayload, JoinPayload, JoinedPayload, NewMessagePayload, PingPayload, PongPayload, SendTextPayload,
};
use chanx_compile_tests::chat_ws::room::{self, Room, RoomHandler, RoomService, ServerMessage};
use tokio::sync::oneshot;

/// Joins `room:<roomId>` on connect and reports its connection id once.
struct App {
    connected: Mutex<Option<oneshot::Sender<ConnId>>>,
}

impl RoomHandler for App {
    async fn handle_join(&self, _: &Context<Room>, _: JoinPayload) -> HandlerResult<JoinedPayload> {
        Err(HandlerError::public("not used"))
    }

    async fn handle_send_text(&self, _: &Context<Room>, _: SendTextPayload) -> HandlerResult<()> {
        Ok(())
    }

    async fn handle_ping(&self, _: &Context<Room>, _: PingPayload) -> HandlerResult<PongPayload> {
        Err(HandlerError::public("not used"))
    }

    async fn on_connect(&self, ctx: &Context<Room>) -> HandlerResult<()> {
        ctx.join(format!("room:{}", ctx.params().room_id)).await.map_err(HandlerError::internal)?;
        if let Some(tx) = self.connected.lock().expect("lock").take() {
            let _ = tx.send(ctx.id().clone());
        }
        Ok(())
    }
}

fn new_message(text: &str) -> NewMessagePayload {
    serde_json::from_value(serde_json::json!({
        "author": {"id": "6f1c1a52-8d3e-4f7a-9a2b-1c2d3e4f5a6b", "name": "Ada"},
        "text": text,
        "sent_at": "2024-01-01T00:00:00Z",
    }))
    .expect("valid payload")
}

#[tokio::test]
async fn push_helpers_deliver_through_the_hub() {
    let hub = Hub::memory();
    let (tx, rx) = oneshot::channel();
    let app = App { connected: Mutex::new(Some(tx)) };
    let endpoint = Endpoint::new(RoomService(app), hub.clone());
    let mut client = Communicator::<Room>::connect(&endpoint, "/ws/rooms/lobby?token=t")
        .await
        .expect("connects")
        .with_timeout(Duration::from_secs(5));
    let id = tokio::time::timeout(Duration::from_secs(5), rx).await.expect("on_connect ran").expect("id");

    // Group form: every member of the group.
    let report = room::broadcast_message(&hub, "room:lobby", new_message("hello")).await.expect("broadcast");
    assert_eq!(report.delivered, 1, "{report:?}");
    assert_eq!(client.receive().await, ServerMessage::NewMessage(new_message("hello")));

    // A group nobody joined reaches nobody.
    let report = room::broadcast_message(&hub, "room:empty", new_message("x")).await.expect("broadcast");
    assert_eq!(report.delivered, 0, "{report:?}");

    // `_to` form: one connection.
    let error = ErrorPayload { code: 429, message: "slow down".to_owned(), retry_after_ms: Some(250) };
    let report = room::send_error_to(&hub, &id, error.clone()).await.expect("send");
    assert_eq!(report.delivered, 1, "{report:?}");
    assert_eq!(client.receive().await, ServerMessage::Error(error));
    let report = room::broadcast_message_to(&hub, &id, new_message("direct")).await.expect("send");
    assert_eq!(report.delivered, 1, "{report:?}");
    assert_eq!(client.receive().await, ServerMessage::NewMessage(new_message("direct")));
    assert!(client.receive_nothing().await);
}

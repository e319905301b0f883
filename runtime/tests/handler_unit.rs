//! Handlers can be called directly with a `TestContext`, without a socket.

mod support;

use chanx::Hub;
use chanx::testing::TestContext;
use support::App;
use support::chat::*;

#[tokio::test]
async fn call_handlers_directly() {
    let hub = Hub::memory();
    let mut t = TestContext::<Chat>::new(ChatParams { room: "lobby".into() }, &hub);
    App::default().on_connect(t.ctx()).await.expect("joins its room");
    assert_eq!(t.ctx().groups(), vec!["lobby".to_owned()]);

    let reply = App::default().handle_echo(t.ctx(), support::echo_msg("twice")).await.expect("echoes");
    assert_eq!(reply.payload.text, "twice");
    // The extra message the handler sent through the context.
    assert_eq!(t.sent()[0]["action"], "echo_reply");

    let report = hub
        .broadcast("lobby", &ServerMessage::PongMessage(PongMessage { payload: () }))
        .await
        .expect("memory");
    assert_eq!(report.delivered, 1);
    assert_eq!(t.sent(), vec![serde_json::json!({"action": "pong", "payload": null})]);
}

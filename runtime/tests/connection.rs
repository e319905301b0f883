//! Connection behaviour, run in memory and behind every adapter (axum, actix-web).

mod support;

use std::sync::atomic::Ordering;
use std::time::Duration;

use chanx::{AuthFailure, AuthRejection, Config, Endpoint, Handshake, Hub, close_code};
use serde_json::{Value, json};
use support::chat::*;
use support::harness::{Served, Via};
use support::*;

on_every_transport!(
    ping_gets_pong,
    ref_is_echoed_with_version,
    invalid_frames_get_error_frames,
    binary_frames_without_handler_get_error,
    binary_frames_reach_binary_handler,
    handler_failures_keep_connection,
    chat_reaches_room_with_sender_included,
    join_and_leave_rooms,
    completion_frames_when_enabled,
    replies_keep_request_order,
    hub_sends_from_outside,
    auth_failure_closes_with_4401,
    auth_failure_as_http_status,
    auth_result_reaches_handlers,
    origin_allowlist,
    on_connect_failure_closes,
    disconnect_leaves_groups,
    graceful_shutdown_closes_with_1001,
    oversized_frame_closes_with_1009,
);

async fn serve(via: Via) -> (Served, Hub) {
    let hub = Hub::memory();
    (Served::start(via, endpoint(&hub)).await, hub)
}

async fn ping_gets_pong(via: Via) {
    let (s, _hub) = serve(via).await;
    let mut c = s.connect("/ws/chat/lobby").await;
    c.send(&ping()).await;
    assert_eq!(c.receive_json().await, json!({"action": "pong", "payload": null}));
    c.send_raw(r#"{"action":"ping"}"#).await;
    assert!(matches!(c.receive().await, ServerMessage::PongMessage(_)));
    assert!(c.receive_nothing().await);
}

async fn ref_is_echoed_with_version(via: Via) {
    let (s, _hub) = serve(via).await;
    let mut c = s.connect("/ws/chat/lobby").await;
    c.send_with_ref(&echo("hi"), "r1").await;
    assert_eq!(
        c.receive_json().await,
        json!({"action": "echo_reply", "payload": {"text": "hi", "seq": null, "sent_at": null}, "version": 1, "ref": "r1"})
    );
    // A ref of null is no ref; a reply to a frame without ref carries none.
    c.send_raw(r#"{"action":"ping","ref":null}"#).await;
    assert_eq!(c.receive_json().await, json!({"action": "pong", "payload": null}));
    // Messages sent from the handler through the context carry the ref too.
    c.send_with_ref(&echo("twice"), "r2").await;
    for _ in 0..2 {
        assert_eq!(c.receive_json().await["ref"], "r2");
    }
}

async fn invalid_frames_get_error_frames(via: Via) {
    let (s, _hub) = serve(via).await;
    let mut c = s.connect("/ws/chat/lobby").await;

    c.send_raw("not json").await;
    let e = c.receive_json().await;
    assert_eq!(e["action"], "error");
    assert_eq!(e["payload"][0]["type"], "json_invalid");
    assert_eq!(e["payload"][0]["loc"], json!([]));
    assert!(e.get("ref").is_none());

    c.send_raw(r#"{"action":"nope","ref":"q2"}"#).await;
    let e = c.receive_json().await;
    assert_eq!(e["payload"][0]["type"], "union_tag_invalid");
    assert_eq!(e["ref"], "q2");
    assert_eq!(e["version"], 1);

    c.send_raw(r#"{"action":"echo","payload":{"text":""},"ref":"q"}"#).await;
    assert_eq!(
        c.receive_json().await,
        json!({"action": "error", "payload": [{"type": "string_too_short", "loc": ["echo", "payload", "text"], "msg": "String should have at least 1 character"}], "version": 1, "ref": "q"})
    );

    // The envelope is checked like Chanx does: a non-string ref is refused.
    c.send_raw(r#"{"action":"ping","ref":5}"#).await;
    assert_eq!(
        c.receive_json().await,
        json!({"action": "error", "payload": [{"type": "string_type", "loc": ["ref"], "msg": "Input should be a valid string"}]})
    );

    // Still open.
    c.send(&ping()).await;
    assert_eq!(c.receive_json().await["action"], "pong");
}

async fn binary_frames_without_handler_get_error(via: Via) {
    let (s, _hub) = serve(via).await;
    let mut c = s.connect("/ws/chat/lobby").await;
    c.send_binary(vec![0u8, 1, 2]).await;
    assert_eq!(
        c.receive_json().await,
        json!({"action": "error", "payload": [{"type": "json_invalid", "loc": [], "msg": "Invalid JSON: binary frames are not supported"}]})
    );
    c.send(&ping()).await;
    assert_eq!(c.receive_json().await["action"], "pong");
}

async fn binary_frames_reach_binary_handler(via: Via) {
    let hub = Hub::memory();
    let s = Served::start(via, Endpoint::new(WithBinary(ChatService(App::default())), hub.clone())).await;
    let mut c = s.connect("/ws/chat/lobby").await;
    c.send_binary(vec![7u8; 10]).await;
    assert_eq!(c.receive_json().await["payload"]["text"], "10 bytes");
}

async fn handler_failures_keep_connection(via: Via) {
    let (s, hub) = serve(via).await;
    let mut c = s.connect("/ws/chat/lobby").await;
    c.send_with_ref(&echo("panic"), "p").await;
    assert_eq!(
        c.receive_json().await,
        json!({"action": "error", "payload": {"detail": "Failed to process message for echo"}, "version": 1, "ref": "p"})
    );
    c.send(&echo("fail")).await;
    assert_eq!(
        c.receive_json().await,
        json!({"action": "error", "payload": {"detail": "Failed to process message for echo"}})
    );
    c.send(&echo("deny")).await;
    assert_eq!(c.receive_json().await, json!({"action": "error", "payload": {"detail": "not allowed"}}));
    c.send(&ping()).await;
    assert_eq!(c.receive_json().await["action"], "pong");
    // The same outcomes from handlers that wait first, and frames behind them keep their order.
    c.send_with_ref(&echo("panic later"), "pl").await;
    c.send_with_ref(&echo("later"), "l").await;
    c.send(&ping()).await;
    assert_eq!(
        c.receive_json().await,
        json!({"action": "error", "payload": {"detail": "Failed to process message for echo"}, "version": 1, "ref": "pl"})
    );
    let reply = c.receive_json().await;
    assert_eq!(
        (&reply["action"], &reply["payload"]["text"], &reply["ref"]),
        (&json!("echo_reply"), &json!("later"), &json!("l"))
    );
    assert_eq!(c.receive_json().await["action"], "pong");
    let m = hub.metrics();
    assert_eq!((m.handler_panics, m.handler_failures), (2, 2));
}

async fn chat_reaches_room_with_sender_included(via: Via) {
    let (s, _hub) = serve(via).await;
    let mut a = s.connect("/ws/chat/lobby").await;
    let mut b = s.connect("/ws/chat/lobby").await;
    let mut other = s.connect("/ws/chat/elsewhere").await;
    // Make sure all three have joined their rooms (on_connect ran before the first reply).
    for c in [&mut a, &mut b, &mut other] {
        c.send(&ping()).await;
        assert_eq!(c.receive_json().await["action"], "pong");
    }
    a.send_with_ref(&chat("hello", 3), "c1").await;
    let to_sender = a.receive_json().await;
    assert_eq!(to_sender["action"], "chat_notification");
    assert_eq!(to_sender["ref"], "c1");
    assert_eq!(to_sender["payload"]["room"], "lobby");
    assert_eq!(to_sender["payload"]["text"], "hello");
    assert_eq!(to_sender["payload"]["seq"], 3);
    let to_member = b.receive_json().await;
    assert_eq!(to_member["payload"], to_sender["payload"]);
    assert!(to_member.get("ref").is_none(), "group messages carry no ref");
    assert_eq!(to_member["payload"]["sender"].as_str().map(str::len), Some(8));
    assert!(other.receive_nothing().await);
    assert!(a.receive_nothing().await, "the sender gets the reply only, not the broadcast");
}

async fn join_and_leave_rooms(via: Via) {
    let (s, hub) = serve(via).await;
    let mut c = s.connect("/ws/chat/lobby").await;
    c.send(&join("r2")).await;
    assert_eq!(
        c.receive_json().await,
        json!({"action": "joined", "payload": {"room": "r2", "rooms": ["lobby", "r2"]}})
    );
    let report = hub
        .broadcast("r2", &ServerMessage::PongMessage(PongMessage { payload: () }))
        .await
        .expect("memory layer");
    assert_eq!(report.delivered, 1);
    assert_eq!(c.receive_json().await["action"], "pong");
    c.send(&leave("r2")).await;
    assert_eq!(
        c.receive_json().await,
        json!({"action": "left", "payload": {"room": "r2", "rooms": ["lobby"]}})
    );
    let report = hub
        .broadcast("r2", &ServerMessage::PongMessage(PongMessage { payload: () }))
        .await
        .expect("memory layer");
    assert_eq!(report.delivered, 0);
    c.send(&join("bad room!")).await;
    assert_eq!(c.receive_json().await["payload"][0]["type"], "string_pattern_mismatch");
}

async fn completion_frames_when_enabled(via: Via) {
    let hub = Hub::memory();
    let app = App::default();
    let ep = endpoint_with(&app, &hub).with_config(Config::default().send_completion(true));
    let s = Served::start(via, ep).await;
    let mut a = s.connect("/ws/chat/lobby").await;
    a.send_with_ref(&ping(), "x").await;
    assert_eq!(a.receive_json().await, json!({"action": "pong", "payload": null, "version": 1, "ref": "x"}));
    assert_eq!(
        a.receive_json().await,
        json!({"action": "complete", "payload": null, "version": 1, "ref": "x"})
    );
    // `a` has been answered, so its `on_connect` has run: `b` is `app.ids[1]`.
    let mut b = s.connect("/ws/chat/lobby").await;

    b.send(&ping()).await;
    assert_eq!(b.receive_all_messages("complete").await, vec![json!({"action": "pong", "payload": null})]);

    // Error frames of routed frames are followed by completion too.
    a.send_raw(r#"{"action":"nope"}"#).await;
    let all = a.receive_all_messages("complete").await;
    assert_eq!(all.len(), 1);
    assert_eq!(all[0]["action"], "error");

    a.send(&chat("hi", 1)).await;
    let to_a = a.receive_all_messages("complete").await;
    assert_eq!(to_a.len(), 1);
    assert_eq!(b.receive_all_messages("group_complete").await.len(), 1);

    let id = app.ids.lock().expect("not poisoned")[1].clone();
    hub.send(&id, &ServerMessage::PongMessage(PongMessage { payload: () })).await.expect("memory layer");
    assert_eq!(b.receive_json().await["action"], "pong");
    assert_eq!(b.receive_json().await, json!({"action": "event_complete", "payload": null}));
}

async fn replies_keep_request_order(via: Via) {
    let (s, _hub) = serve(via).await;
    let mut c = s.connect("/ws/chat/lobby").await;
    for i in 0..50 {
        c.send(&ClientMessage::EchoMessage(EchoMessage {
            payload: ChatPayload { text: format!("m{i}"), seq: Some(i), sent_at: None },
        }))
        .await;
    }
    for i in 0..50 {
        assert_eq!(c.receive_json().await["payload"]["seq"], i);
    }
}

async fn hub_sends_from_outside(via: Via) {
    let hub = Hub::memory();
    let app = App::default();
    let s = Served::start(via, endpoint_with(&app, &hub)).await;
    let mut c = s.connect("/ws/chat/lobby").await;
    c.send(&ping()).await;
    c.receive_json().await;
    let note = ServerMessage::ChatNotification(ChatNotification {
        payload: ChatNotificationPayload {
            room: "lobby".into(),
            text: "news".into(),
            sender: "server".into(),
            seq: None,
            sent_at: None,
        },
    });
    let report = hub.broadcast("lobby", &note).await.expect("memory layer");
    assert_eq!(report.delivered, 1);
    assert_eq!(c.receive().await, note);

    let id = app.ids.lock().expect("not poisoned")[0].clone();
    let report = hub.send(&id, &note).await.expect("memory layer");
    assert_eq!(report.delivered, 1);
    assert_eq!(c.receive().await, note);

    // From sync code.
    let blocking = hub.blocking();
    let sent = std::thread::spawn(move || blocking.broadcast("lobby", &note).expect("memory layer"))
        .join()
        .expect("thread ran");
    assert_eq!(sent.delivered, 1);
    assert_eq!(c.receive_json().await["payload"]["text"], "news");

    // Captured, and still delivered.
    hub.start_capture();
    c.send(&chat("captured", 9)).await;
    c.receive_json().await;
    let captured = hub.stop_capture();
    assert_eq!(captured.len(), 1);
    assert_eq!(captured[0].target, chanx::hub::Target::Group("lobby".into()));
    assert_eq!(captured[0].frame["payload"]["text"], "captured");
}

fn token_auth(req: &Handshake) -> impl std::future::Future<Output = Result<String, AuthRejection>> + use<> {
    let token = req.query_param("token");
    async move {
        match token.as_deref() {
            Some("alice-token") => Ok("alice".to_owned()),
            Some(_) => Err(AuthRejection::forbidden("bad token")),
            None => Err(AuthRejection::unauthorized("no token")),
        }
    }
}

async fn auth_failure_closes_with_4401(via: Via) {
    let hub = Hub::memory();
    let app = App::default();
    let s = Served::start(via, endpoint_with(&app, &hub).with_authenticator(token_auth)).await;
    let mut c = s.connect("/ws/chat/lobby").await;
    c.assert_closed(close_code::UNAUTHORIZED).await;
    let mut c = s.connect("/ws/chat/lobby?token=wrong").await;
    c.assert_closed(close_code::FORBIDDEN).await;
    assert!(app.ids.lock().expect("not poisoned").is_empty(), "on_connect never ran");
}

async fn auth_failure_as_http_status(via: Via) {
    let hub = Hub::memory();
    let ep = endpoint(&hub)
        .with_authenticator(token_auth)
        .with_config(Config::default().auth_failure(AuthFailure::HttpStatus));
    let s = Served::start(via, ep).await;
    assert!(matches!(s.try_connect("/ws/chat/lobby").await, Err(chanx::testing::ConnectError::Refused(401))));
    assert!(matches!(
        s.try_connect("/ws/chat/lobby?token=x").await,
        Err(chanx::testing::ConnectError::Refused(403))
    ));
    assert!(s.try_connect("/ws/chat/lobby?token=alice-token").await.is_ok());
}

async fn auth_result_reaches_handlers(via: Via) {
    let hub = Hub::memory();
    let s = Served::start(via, endpoint(&hub).with_authenticator(token_auth)).await;
    let mut c = s.connect("/ws/chat/lobby?token=alice-token").await;
    c.send(&echo("whoami")).await;
    assert_eq!(c.receive_json().await["payload"]["text"], "alice");
}

async fn origin_allowlist(via: Via) {
    let hub = Hub::memory();
    let s = Served::start(via, endpoint(&hub).allow_origins(["http://app.example"])).await;
    let refused = s.try_connect_with("/ws/chat/lobby", &[("origin", "http://evil.example")]).await;
    assert!(matches!(refused, Err(chanx::testing::ConnectError::Refused(403))));
    let mut c =
        s.try_connect_with("/ws/chat/lobby", &[("origin", "http://app.example")]).await.expect("allowed");
    c.send(&ping()).await;
    assert_eq!(c.receive_json().await["action"], "pong");
}

async fn on_connect_failure_closes(via: Via) {
    let (s, hub) = serve(via).await;
    let mut c = s.connect("/ws/chat/forbidden").await;
    assert_eq!(c.receive_json().await, json!({"action": "error", "payload": {"detail": "room is closed"}}));
    c.assert_closed(close_code::INTERNAL_ERROR).await;
    let mut c = s.connect("/ws/chat/explode").await;
    c.assert_closed(close_code::INTERNAL_ERROR).await;
    assert_eq!(hub.metrics().handler_panics, 1);
}

async fn disconnect_leaves_groups(via: Via) {
    let hub = Hub::memory();
    let app = App::default();
    let s = Served::start(via, endpoint_with(&app, &hub)).await;
    let mut c = s.connect("/ws/chat/lobby").await;
    c.send(&join("r2")).await;
    c.receive_json().await;
    c.close(close_code::NORMAL).await;
    assert_eq!(c.closed().await.map(|f| f.code), Some(close_code::NORMAL), "close is echoed");
    assert!(eventually(|| app.disconnects.load(Ordering::SeqCst) == 1).await);
    assert!(eventually(|| hub.metrics().connections_active == 0).await);
    let pong = ServerMessage::PongMessage(PongMessage { payload: () });
    for room in ["lobby", "r2"] {
        let report = hub.broadcast(room, &pong).await.expect("memory layer");
        assert_eq!(report.delivered + report.gone, 0, "{room}: {report:?}");
    }
}

async fn graceful_shutdown_closes_with_1001(via: Via) {
    let (s, hub) = serve(via).await;
    let mut c = s.connect("/ws/chat/lobby").await;
    c.send(&ping()).await;
    c.receive_json().await;
    let pong = ServerMessage::PongMessage(PongMessage { payload: () });
    for _ in 0..5 {
        hub.broadcast("lobby", &pong).await.expect("memory layer");
    }
    let done = tokio::spawn({
        let hub = hub.clone();
        async move { hub.shutdown(Duration::from_secs(5)).await }
    });
    for _ in 0..5 {
        assert_eq!(c.receive_json().await["action"], "pong", "queued messages are flushed first");
    }
    c.assert_closed(close_code::GOING_AWAY).await;
    assert!(done.await.expect("shutdown task"));
    // New connections are refused.
    if let Ok(mut late) = s.try_connect("/ws/chat/lobby").await {
        late.assert_closed(close_code::GOING_AWAY).await;
    }
}

async fn oversized_frame_closes_with_1009(via: Via) {
    let hub = Hub::memory();
    let s = Served::start(via, endpoint(&hub).with_config(Config::default().max_frame_size(64 * 1024))).await;
    let mut c = s.connect("/ws/chat/lobby").await;
    let big = json!({"action": "echo", "payload": {"text": "x".repeat(100 * 1024)}});
    c.send_json(&big).await;
    c.assert_closed(close_code::MESSAGE_TOO_BIG).await;
    let _: Value = big;
}

/// A client's close ends the connection at once: `on_disconnect` runs without the reader
/// lingering for more input (the client said it sends nothing more). On the paused clock, a
/// linger would advance virtual time by its whole 2 s.
#[tokio::test(start_paused = true)]
async fn client_close_runs_on_disconnect_without_linger() {
    let hub = Hub::memory();
    let app = App::default();
    let endpoint = endpoint_with(&app, &hub);
    let mut c = chanx::testing::Communicator::connect(&endpoint, "/ws/chat/lobby").await.expect("connects");
    c.send_json(&json!({"action": "ping"})).await;
    c.receive_json().await;
    let before = tokio::time::Instant::now();
    c.close(close_code::NORMAL).await;
    assert!(eventually(|| app.disconnects.load(Ordering::SeqCst) == 1).await);
    let waited = before.elapsed();
    assert!(waited < Duration::from_millis(500), "on_disconnect ran {waited:?} (virtual) after the close");
}

//! The limits of `chanx::limits` on every transport (in memory, axum and actix-web sockets on
//! 127.0.0.1:0): JSON nesting depth, message rate, connections per endpoint. Counts are bounded,
//! nothing asserts on timing.

mod support;

use chanx::testing::ConnectError;
use chanx::{Config, Hub, Limits, RateLimit, close_code};
use serde_json::json;
use support::harness::{Served, Via};
use support::*;

on_every_transport!(
    too_deep_json_gets_an_error_frame,
    over_the_rate_gets_errors_then_1008,
    connections_past_the_maximum_get_503,
    joins_past_the_group_cap_get_an_error_frame
);

async fn too_deep_json_gets_an_error_frame(via: Via) {
    let hub = Hub::memory();
    let cfg = Config::default().limits(Limits::default().max_json_depth(8));
    let s = Served::start(via, endpoint(&hub).with_config(cfg)).await;
    let mut c = s.connect("/ws/chat/lobby").await;
    let deep =
        |n: usize| format!(r#"{{"action":"echo","payload":{{"text":{}1{}}}}}"#, "[".repeat(n), "]".repeat(n));
    c.send_raw(deep(10)).await;
    let err = c.receive_json().await;
    assert_eq!(err["payload"][0]["type"], "json_invalid", "{err}");
    assert_eq!(err["payload"][0]["msg"], "Invalid JSON: nesting too deep (more than 8 levels)", "{err}");
    // Within the limit: decoded (and refused by the schema, text must be a string).
    c.send_raw(deep(5)).await;
    assert_eq!(c.receive_json().await["payload"][0]["type"], "string_type");
    c.send(&ping()).await;
    assert_eq!(c.receive_json().await["action"], "pong");
}

async fn over_the_rate_gets_errors_then_1008(via: Via) {
    let hub = Hub::memory();
    let rate = RateLimit::per_second(1).burst(2).strikes(3);
    let cfg = Config::default().limits(Limits::default().rate(Some(rate)));
    let s = Served::start(via, endpoint(&hub).with_config(cfg)).await;
    let mut c = s.connect("/ws/chat/lobby").await;
    for _ in 0..2 {
        c.send(&ping()).await;
        assert_eq!(c.receive_json().await["action"], "pong");
    }
    for _ in 0..3 {
        c.send(&ping()).await;
        let err = c.receive_json().await;
        assert_eq!(
            err,
            json!({"action": "error", "payload": [
                {"type": "rate_limited", "loc": [], "msg": "Too many messages: at most 1 per second"}
            ]})
        );
    }
    c.send(&ping()).await;
    c.assert_closed(close_code::POLICY_VIOLATION).await;
    let m = hub.metrics();
    assert_eq!((m.rate_limited, m.rate_closed), (4, 1), "{m:?}");
}

async fn connections_past_the_maximum_get_503(via: Via) {
    let hub = Hub::memory();
    let cfg = Config::default().limits(Limits::default().max_connections(Some(2)));
    let s = Served::start(via, endpoint(&hub).with_config(cfg)).await;
    let mut a = s.connect("/ws/chat/lobby").await;
    let _b = s.connect("/ws/chat/lobby").await;
    assert!(matches!(s.try_connect("/ws/chat/lobby").await, Err(ConnectError::Refused(503))));
    assert_eq!(hub.metrics().refused_full, 1);
    a.close(1000).await;
    assert!(eventually(|| hub.metrics().connections_active == 1).await);
    let mut admitted = None;
    for _ in 0..100 {
        if let Ok(c) = s.try_connect("/ws/chat/lobby").await {
            admitted = Some(c);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let mut c = admitted.expect("a place freed up");
    c.send(&ping()).await;
    assert_eq!(c.receive_json().await["action"], "pong");
}

async fn joins_past_the_group_cap_get_an_error_frame(via: Via) {
    let hub = Hub::memory();
    let cfg = Config::default().limits(Limits::default().max_groups(Some(3)));
    let s = Served::start(via, endpoint(&hub).with_config(cfg)).await;
    let mut c = s.connect("/ws/chat/lobby").await;
    // The URL room is one of the three.
    assert_eq!(joined(&mut c, "a").await["payload"]["rooms"], json!(["lobby", "a"]));
    assert_eq!(joined(&mut c, "b").await["payload"]["rooms"], json!(["lobby", "a", "b"]));
    let refused = json!({"action": "error", "payload": [
        {"type": "too_many_groups", "loc": [], "msg": "Too many groups: at most 3 per connection"}
    ], "version": 1, "ref": "c"});
    assert_eq!(joined(&mut c, "c").await, refused);
    // The refused join did not reach the group layer.
    assert_eq!(hub.broadcast("c", &pong()).await.map(|r| r.delivered).ok(), Some(0));
    // At the cap, a group it is in already may be joined again; after a leave there is room.
    assert_eq!(joined(&mut c, "a").await["payload"]["rooms"], json!(["lobby", "a", "b"]));
    c.send(&leave("b")).await;
    assert_eq!(c.receive_json().await["payload"]["rooms"], json!(["lobby", "a"]));
    assert_eq!(joined(&mut c, "c").await["payload"]["rooms"], json!(["lobby", "a", "c"]));
    assert_eq!(hub.broadcast("c", &pong()).await.map(|r| r.delivered).ok(), Some(1));
    assert_eq!(c.receive_json().await["action"], "pong");
    assert_eq!(hub.metrics().groups_refused, 1);
}

/// Sends a join with the room as its ref; returns the reply.
async fn joined(c: &mut chanx::testing::Communicator<chat::Chat>, room: &str) -> serde_json::Value {
    c.send_raw(format!(r#"{{"action":"join","payload":{{"room":"{room}"}},"ref":"{room}"}}"#)).await;
    c.receive_json().await
}

fn pong() -> chat::ServerMessage {
    chat::ServerMessage::PongMessage(chat::PongMessage { payload: () })
}

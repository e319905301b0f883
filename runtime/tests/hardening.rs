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
    connections_past_the_maximum_get_503
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

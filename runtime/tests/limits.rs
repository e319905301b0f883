//! Limits and close codes: frame size, UTF-8, idle timeout, slow consumers, write timeouts.
//! Socket variants run on 127.0.0.1:0; waits are bounded, nothing asserts on timing.

mod support;

use std::time::Duration;

use bytes::Bytes;
use chanx::{Config, Frame, Hub, SendOptions, SlowConsumer, close_code};
use serde_json::json;
use support::chat::*;
use support::harness::{Served, Via};
use support::*;

on_every_transport!(
    invalid_utf8_closes_with_1007,
    oversized_binary_closes_with_1009,
    idle_connection_closes_with_1001
);

async fn invalid_utf8_closes_with_1007(via: Via) {
    let hub = Hub::memory();
    let s = Served::start(via, endpoint(&hub)).await;
    let mut c = s.connect("/ws/chat/lobby").await;
    c.send_frame(Frame::Text(Bytes::from_static(b"{\"action\":\"ping\",\"x\":\"\xff\xfe\"}"))).await;
    c.assert_closed(close_code::INVALID_PAYLOAD).await;
}

async fn oversized_binary_closes_with_1009(via: Via) {
    let hub = Hub::memory();
    let s = Served::start(via, endpoint(&hub).with_config(Config::default().max_frame_size(1024))).await;
    let mut c = s.connect("/ws/chat/lobby").await;
    c.send_binary(vec![0u8; 4096]).await;
    c.assert_closed(close_code::MESSAGE_TOO_BIG).await;
}

async fn idle_connection_closes_with_1001(via: Via) {
    let hub = Hub::memory();
    let cfg = Config::default().ping_interval(None).idle_timeout(Some(Duration::from_millis(300)));
    let s = Served::start(via, endpoint(&hub).with_config(cfg)).await;
    let mut c = s.connect("/ws/chat/lobby").await;
    let closed = c.closed().await;
    assert_eq!(closed.map(|f| f.code), Some(close_code::GOING_AWAY));
    assert_eq!(hub.metrics().idle_closed, 1);
}

#[tokio::test]
async fn default_frame_limit_is_one_mebibyte_on_a_socket() {
    let hub = Hub::memory();
    let s = Served::start(Via::Axum, endpoint(&hub)).await;
    let mut c = s.connect("/ws/chat/lobby").await;
    // Just under the limit: decoded, and refused by validation (text too long), connection open.
    let text = "x".repeat((1 << 20) - 100);
    c.send_json(&json!({"action": "echo", "payload": {"text": text}})).await;
    assert_eq!(c.receive_json().await["payload"][0]["type"], "string_too_long");
    // Over it: closed with 1009.
    c.send_json(&json!({"action": "echo", "payload": {"text": "x".repeat(1 << 20)}})).await;
    c.assert_closed(close_code::MESSAGE_TOO_BIG).await;
}

#[tokio::test]
async fn pings_from_the_client_get_pongs_in_memory() {
    let hub = Hub::memory();
    let s = Served::start(Via::Memory, endpoint(&hub)).await;
    let mut c = s.connect("/ws/chat/lobby").await;
    c.send_frame(Frame::Ping(Bytes::from_static(b"hb"))).await;
    assert_eq!(
        c.receive_frame_within(Duration::from_secs(5)).await,
        Some(Frame::Pong(Bytes::from_static(b"hb")))
    );
}

#[tokio::test]
async fn server_pings_idle_clients() {
    let hub = Hub::memory();
    let cfg = Config::default().ping_interval(Some(Duration::from_millis(50)));
    let s = Served::start(Via::Memory, endpoint(&hub).with_config(cfg)).await;
    let mut c = s.connect("/ws/chat/lobby").await;
    let frame = c.receive_frame_within(Duration::from_secs(5)).await;
    assert!(matches!(frame, Some(Frame::Ping(_))), "{frame:?}");
}

fn pong() -> ServerMessage {
    ServerMessage::PongMessage(PongMessage { payload: () })
}

/// A client that stops reading fills its outbox; the next delivery closes it with 1008.
async fn slow_consumer_is_closed(via: Via, copies: usize, text_len: usize) {
    let hub = Hub::memory();
    let cfg = Config::default().outbox_capacity(8).write_timeout(Duration::from_secs(30));
    let s = Served::start(via, endpoint(&hub).with_config(cfg)).await;
    let mut slow = s.connect("/ws/chat/lobby").await;
    slow.send(&ping()).await;
    slow.receive_json().await;
    let big = ServerMessage::EchoReply(EchoReply {
        payload: ChatPayload { text: "x".repeat(text_len), seq: None, sent_at: None },
    });
    let mut total = chanx::SendReport::default();
    for _ in 0..copies {
        total.merge(hub.broadcast("lobby", &big).await.expect("memory layer"));
        if total.closed_slow > 0 {
            break;
        }
        tokio::task::yield_now().await;
    }
    assert_eq!(total.closed_slow, 1, "{total:?}");
    assert_eq!(hub.metrics().closed_slow, 1);
    // What was queued before is still delivered, then the close frame.
    let closed = slow.closed().await;
    assert_eq!(closed.map(|f| f.code), Some(close_code::POLICY_VIOLATION));
}

#[tokio::test]
async fn slow_consumer_is_closed_in_memory() {
    slow_consumer_is_closed(Via::Memory, 5000, 10).await;
}

#[tokio::test]
async fn slow_consumer_is_closed_on_a_socket() {
    // 64 KiB frames fill the socket buffers well before 64 MiB are sent.
    slow_consumer_is_closed(Via::Axum, 1000, 64 * 1024).await;
}

#[tokio::test]
async fn volatile_messages_are_dropped_and_counted() {
    let hub = Hub::memory();
    let cfg = Config::default().outbox_capacity(4);
    let s = Served::start(Via::Memory, endpoint(&hub).with_config(cfg)).await;
    let mut c = s.connect("/ws/chat/lobby").await;
    c.send(&ping()).await;
    c.receive_json().await;
    let volatile = SendOptions { volatile: true, except: None };
    let mut total = chanx::SendReport::default();
    for _ in 0..5000 {
        total.merge(hub.broadcast_with("lobby", &pong(), volatile.clone()).await.expect("memory layer"));
        if total.dropped > 0 {
            break;
        }
    }
    assert!(total.dropped > 0, "{total:?}");
    assert_eq!(total.closed_slow, 0);
    assert_eq!(hub.metrics().dropped, total.dropped as u64);
    // The connection lives on.
    while c.receive_frame_within(Duration::from_millis(200)).await.is_some() {}
    c.send(&echo("still here")).await;
    assert_eq!(c.receive_json().await["payload"]["text"], "still here");
}

#[tokio::test]
async fn drop_policy_keeps_slow_connections() {
    let hub = Hub::memory();
    let cfg = Config::default().outbox_capacity(4).slow_consumer(SlowConsumer::Drop);
    let s = Served::start(Via::Memory, endpoint(&hub).with_config(cfg)).await;
    let mut c = s.connect("/ws/chat/lobby").await;
    c.send(&ping()).await;
    c.receive_json().await;
    let mut total = chanx::SendReport::default();
    for _ in 0..5000 {
        total.merge(hub.broadcast("lobby", &pong()).await.expect("memory layer"));
        if total.dropped > 0 {
            break;
        }
    }
    assert!(total.dropped > 0 && total.closed_slow == 0, "{total:?}");
    while c.receive_frame_within(Duration::from_millis(200)).await.is_some() {}
    c.send(&ping()).await;
    assert_eq!(c.receive_json().await["action"], "pong");
}

#[tokio::test]
async fn stuck_writes_time_out() {
    let hub = Hub::memory();
    let cfg = Config::default().outbox_capacity(100_000).write_timeout(Duration::from_millis(200));
    let s = Served::start(Via::Memory, endpoint(&hub).with_config(cfg)).await;
    let mut c = s.connect("/ws/chat/lobby").await;
    c.send(&ping()).await;
    c.receive_json().await;
    // The in-memory transport holds 1024 frames; the client reads none of these.
    for _ in 0..2000 {
        hub.broadcast("lobby", &pong()).await.expect("memory layer");
    }
    assert!(eventually(|| hub.metrics().write_timeouts == 1).await, "{:?}", hub.metrics());
    assert!(eventually(|| hub.metrics().connections_active == 0).await);
}

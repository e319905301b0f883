//! A client that pipelines requests faster than the server's writer drains its outbox is slowed
//! down, not disconnected: every request gets its reply, in order. Counts are bounded; nothing
//! asserts on timing.

mod support;

use chanx::{Config, Hub};
use support::harness::{Served, Via};
use support::*;

on_every_transport!(pipelined_requests_past_the_outbox_size_all_get_replies);

async fn pipelined_requests_past_the_outbox_size_all_get_replies(via: Via) {
    const REQUESTS: usize = 200;
    let hub = Hub::memory();
    // An outbox far smaller than the burst: the reader must wait for room, not close.
    let cfg = Config::default().outbox_capacity(4);
    let s = Served::start(via, endpoint(&hub).with_config(cfg)).await;
    let mut c = s.connect("/ws/chat/lobby").await;
    for i in 0..REQUESTS {
        c.send_raw(format!(r#"{{"action":"echo","payload":{{"text":"m{i}"}},"ref":"r{i}"}}"#)).await;
    }
    for i in 0..REQUESTS {
        let reply = c.receive_json().await;
        assert_eq!(reply["action"], "echo_reply", "{reply}");
        assert_eq!(reply["ref"], format!("r{i}"), "replies keep the order of requests");
        assert_eq!(reply["payload"]["text"], format!("m{i}"));
    }
    assert!(c.receive_nothing().await);
    let m = hub.metrics();
    assert_eq!(m.closed_slow, 0, "{m:?}");
}

on_every_transport!(closing_past_the_rate_limit_still_delivers_what_was_queued);

/// The server closes while the client's later frames are still unread on its side: the replies
/// and errors queued before the close, and the close frame itself, must still reach the client
/// (dropping a socket with unread input resets the connection and can destroy them).
async fn closing_past_the_rate_limit_still_delivers_what_was_queued(via: Via) {
    const REQUESTS: usize = 3000;
    let hub = Hub::memory();
    let rate = chanx::RateLimit::per_second(1).burst(20).strikes(5);
    let cfg = Config::default().limits(chanx::Limits::default().rate(Some(rate)));
    let s = Served::start(via, endpoint(&hub).with_config(cfg)).await;
    let mut c = s.connect("/ws/chat/lobby").await;
    c.send_raw_burst((0..REQUESTS).map(|i| format!(r#"{{"action":"ping","ref":"r{i}"}}"#))).await;
    // Read only once the server has closed its side, as a slow client would.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let (mut pongs, mut limited) = (0, 0);
    for _ in 0..25 {
        let frame = c.receive_json().await;
        match frame["action"].as_str() {
            Some("pong") => pongs += 1,
            Some("error") => limited += 1,
            _ => panic!("unexpected frame {frame}"),
        }
    }
    assert_eq!((pongs, limited), (20, 5));
    c.assert_closed(chanx::close_code::POLICY_VIOLATION).await;
}

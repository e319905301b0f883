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

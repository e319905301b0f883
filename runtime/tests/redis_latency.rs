//! Cross-process broadcast latency of the Redis layer against raw Redis publish → receive, in
//! the same run and alternating sample by sample. Ignored by default; needs `REDIS_URL`:
//!
//! ```text
//! REDIS_URL=redis://127.0.0.1:6379 cargo test --release -p chanx --features redis,testing \
//!     --test redis_latency -- --ignored --nocapture
//! ```
//!
//! "Layer" is `group_send` on one `RedisLayer` until the frame is in a member's outbox on
//! another `RedisLayer` (its own Redis connections, as a second process has). "Raw" is
//! `PUBLISH` on one redis-rs connection until a subscriber connection has the message.

use std::time::{Duration, Instant};

use chanx::config::SlowConsumer;
use chanx::layer::probe::probe_mailbox;
use chanx::layer::redis::{RedisConfig, RedisLayer};
use chanx::layer::{ChannelLayer, Payload, SendOptions};
use futures_util::StreamExt;

const WARMUP: usize = 200;
const SAMPLES: usize = 3000;

fn frame() -> String {
    r#"{"action":"chat_notification","payload":{"room":"lobby","text":"the quick brown fox jumps over the lazy dog","sender":"a1b2c3d4","seq":42,"sent_at":null}}"#.to_owned()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn summary(name: &str, mut samples: Vec<Duration>) -> String {
    samples.sort();
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    format!(
        "{name:<6} n={} p50={:.1}us p90={:.1}us p99={:.1}us max={:.1}us",
        samples.len(),
        us(percentile(&samples, 0.50)),
        us(percentile(&samples, 0.90)),
        us(percentile(&samples, 0.99)),
        us(*samples.last().expect("samples")),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: run with --ignored --nocapture and REDIS_URL"]
async fn broadcast_latency_layer_vs_raw() {
    let Ok(url) = std::env::var("REDIS_URL") else {
        eprintln!("skipping: REDIS_URL is not set");
        return;
    };
    let prefix = format!("bench-{}:", std::process::id());

    // Raw redis-rs.
    let client = redis::Client::open(url.as_str()).expect("url");
    let (mut sink, mut stream) = client.get_async_pubsub().await.expect("pubsub").split();
    let raw_channel = format!("{prefix}raw");
    sink.subscribe(&raw_channel).await.expect("subscribe");
    let mut publisher = client.get_multiplexed_async_connection().await.expect("connection");

    // Layer: members in `home`, sends from `away`.
    let config = RedisConfig::new(url.as_str()).prefix(prefix.as_str());
    let home = RedisLayer::connect(config.clone()).await.expect("home");
    let away = RedisLayer::connect(config).await.expect("away");
    let id = home.new_conn_id();
    let (mailbox, mut probe) = probe_mailbox(id.clone(), 1024, SlowConsumer::default());
    home.attach(mailbox);
    home.group_add("lobby", &id).await.expect("join");

    let body = frame();
    let mut raw = Vec::with_capacity(SAMPLES);
    let mut layer = Vec::with_capacity(SAMPLES);
    for i in 0..WARMUP + SAMPLES {
        let t = Instant::now();
        let _: usize = redis::cmd("PUBLISH")
            .arg(&raw_channel)
            .arg(body.as_bytes())
            .query_async(&mut publisher)
            .await
            .expect("publish");
        let msg = tokio::time::timeout(Duration::from_secs(2), stream.next()).await.expect("raw in time");
        let raw_took = t.elapsed();
        assert_eq!(msg.expect("message").get_payload_bytes(), body.as_bytes());

        let t = Instant::now();
        let report = away
            .group_send("lobby", Payload::text(body.clone()), SendOptions::default())
            .await
            .expect("group send");
        let got = probe.next_within(Duration::from_secs(2)).await.expect("layer in time");
        let layer_took = t.elapsed();
        assert_eq!(report.forwarded, 1);
        assert_eq!(got.bytes().as_ref(), body.as_bytes());

        if i >= WARMUP {
            raw.push(raw_took);
            layer.push(layer_took);
        }
    }
    println!("{}", summary("raw", raw));
    println!("{}", summary("layer", layer));
    let (h, a) = (home.stats(), away.stats());
    println!(
        "home: received={} delivered={} | away: published={} failed={}",
        h.received, h.remote_delivered, a.published, a.publish_failed
    );
}

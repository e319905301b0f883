//! Per-frame cost of the runtime on the generated `chat` channel:
//! - `decode`: `ClientMessage::decode` (parse + validate) of typical frames;
//! - `envelope`: the `ref` peek and the reply stamp;
//! - `scan`: the byte scan of a client frame before decoding (depth, envelope keys);
//! - `frame_roundtrip`: one client frame through the whole driver in memory (read, envelope,
//!   decode, validate, dispatch, encode, outbox, writer) and its reply back;
//! - `broadcast`: one typed message to a group of 100 connections (encoded once).
//!
//! Run: `cargo bench -p chanx --features testing --bench dispatch`.

use std::time::{Duration, Instant};

use chanx::testing::memory_transport;
use chanx::{Endpoint, Frame, Hub, Message, TransportOptions, protocol};
use criterion::{Criterion, criterion_group, criterion_main};

#[rustfmt::skip]
#[path = "../../examples/chat/src/api/rust/mod.rs"]
mod generated;

use generated::chat::*;

struct Bench;

impl ChatHandler for Bench {
    async fn on_connect(&self, ctx: &chanx::Context<Chat>) -> chanx::HandlerResult<()> {
        ctx.join("room").await?;
        Ok(())
    }
    async fn handle_chat(
        &self,
        _: &chanx::Context<Chat>,
        m: ChatMessage,
    ) -> chanx::HandlerResult<ChatNotification> {
        Ok(ChatNotification {
            payload: ChatNotificationPayload {
                room: "room".into(),
                text: m.payload.text,
                sender: "bench".into(),
                seq: m.payload.seq,
                sent_at: m.payload.sent_at,
            },
        })
    }
    async fn handle_echo(&self, _: &chanx::Context<Chat>, m: EchoMessage) -> chanx::HandlerResult<EchoReply> {
        Ok(EchoReply { payload: m.payload })
    }
    async fn handle_join(
        &self,
        _: &chanx::Context<Chat>,
        m: JoinRoomMessage,
    ) -> chanx::HandlerResult<JoinedMessage> {
        Ok(JoinedMessage { payload: MembershipPayload { room: m.payload.room, rooms: vec![] } })
    }
    async fn handle_leave(
        &self,
        _: &chanx::Context<Chat>,
        m: LeaveRoomMessage,
    ) -> chanx::HandlerResult<LeftMessage> {
        Ok(LeftMessage { payload: MembershipPayload { room: m.payload.room, rooms: vec![] } })
    }
    async fn handle_ping(
        &self,
        _: &chanx::Context<Chat>,
        _: PingMessage,
    ) -> chanx::HandlerResult<PongMessage> {
        Ok(PongMessage { payload: () })
    }
}

const CHAT: &str = r#"{"action":"chat","payload":{"text":"hello there, how is everyone doing today?","seq":42,"sent_at":1732600000.5}}"#;
const CHAT_REF: &str = r#"{"action":"chat","payload":{"text":"hello there, how is everyone doing today?","seq":42,"sent_at":1732600000.5},"ref":"req-17"}"#;
const PING: &str = r#"{"action":"ping","payload":null}"#;
const INVALID: &str = r#"{"action":"chat","payload":{"text":"","seq":"x"}}"#;

fn decode(c: &mut Criterion) {
    let mut g = c.benchmark_group("decode");
    for (name, frame) in
        [("ping", PING), ("chat", CHAT), ("chat_with_ref", CHAT_REF), ("invalid_chat", INVALID)]
    {
        g.bench_function(name, |b| b.iter(|| ClientMessage::decode(std::hint::black_box(frame))));
    }
    g.finish();
}

fn envelope(c: &mut Criterion) {
    let mut g = c.benchmark_group("envelope");
    g.bench_function("peek_without_ref", |b| b.iter(|| protocol::peek_envelope(std::hint::black_box(CHAT))));
    g.bench_function("peek_with_ref", |b| b.iter(|| protocol::peek_envelope(std::hint::black_box(CHAT_REF))));
    let r = protocol::Ref::new("req-17");
    let reply = ServerMessage::PongMessage(PongMessage { payload: () }).encode().into_owned();
    g.bench_function("stamp_reply", |b| b.iter(|| r.stamp(std::hint::black_box(reply.clone()))));
    g.finish();
}

/// The byte scan every client frame gets before decoding (nesting depth, envelope keys).
fn scan(c: &mut Criterion) {
    let mut g = c.benchmark_group("scan");
    for (name, frame) in [("ping", PING), ("chat", CHAT), ("chat_with_ref", CHAT_REF)] {
        g.bench_function(name, |b| b.iter(|| chanx::scan::scan_frame(std::hint::black_box(frame), 64)));
    }
    g.finish();
}

/// One thread runs the client, the driver and the writer tasks: the numbers are the CPU cost of
/// the whole path on one core, without cross-thread wake-ups or spinning.
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime")
}

/// One connection in memory; `batch` frames are sent, then `batch` replies read.
fn frame_roundtrip(c: &mut Criterion) {
    let rt = runtime();
    let mut g = c.benchmark_group("frame_roundtrip");
    for (name, frame) in
        [("ping", PING), ("chat", CHAT), ("chat_with_ref", CHAT_REF), ("invalid_chat", INVALID)]
    {
        g.bench_function(name, |b| {
            b.iter_custom(|iters| {
                rt.block_on(async {
                    let hub = Hub::memory();
                    let ep = Endpoint::new(ChatService(Bench), hub.clone());
                    let (stream, sink, mut client) = memory_transport(1024);
                    let accepted = ep
                        .handshake(&chanx::Handshake {
                            path: "/ws/chat/room".into(),
                            path_values: chanx::PathValues::new([("room".to_owned(), "room".to_owned())]),
                            ..Default::default()
                        })
                        .await
                        .expect("accepted");
                    let server = tokio::spawn(async move {
                        ep.run(accepted, stream, sink, TransportOptions::default()).await;
                    });
                    let bytes = bytes::Bytes::from_static(frame.as_bytes());
                    let start = Instant::now();
                    let mut left = iters;
                    while left > 0 {
                        let n = left.min(256);
                        for _ in 0..n {
                            client.tx.send(Frame::Text(bytes.clone())).await.expect("server reads");
                        }
                        for _ in 0..n {
                            client.rx.recv().await.expect("reply");
                        }
                        left -= n;
                    }
                    let took = start.elapsed();
                    drop(client);
                    let _ = server.await;
                    took
                })
            });
        });
    }
    g.finish();
}

/// Fan-out throughput: `hub.broadcast` to a group of 100 in-memory connections (encoded once,
/// 100 outbox pushes), until every copy went through the writers and was read by the clients.
/// The sender keeps at most 16 broadcasts ahead of the slowest reader, like a paced producer.
fn broadcast(c: &mut Criterion) {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};
    const MEMBERS: u64 = 100;
    let rt = runtime();
    let mut g = c.benchmark_group("broadcast");
    g.throughput(criterion::Throughput::Elements(MEMBERS));
    g.bench_function("group_of_100", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let hub = Hub::memory();
                let ep = Endpoint::new(ChatService(Bench), hub.clone());
                let received = Arc::new(AtomicU64::new(0));
                let mut readers = Vec::new();
                for _ in 0..MEMBERS {
                    let (stream, sink, mut client) = memory_transport(256);
                    let accepted = ep
                        .handshake(&chanx::Handshake {
                            path: "/ws/chat/room".into(),
                            path_values: chanx::PathValues::new([("room".to_owned(), "room".to_owned())]),
                            ..Default::default()
                        })
                        .await
                        .expect("accepted");
                    let ep = ep.clone();
                    tokio::spawn(
                        async move { ep.run(accepted, stream, sink, TransportOptions::default()).await },
                    );
                    let received = received.clone();
                    readers.push(tokio::spawn(async move {
                        // Hold the client's sending half too: dropping it ends the connection.
                        let _to_server = &client.tx;
                        while let Some(f) = client.rx.recv().await {
                            if matches!(f, Frame::Text(_)) {
                                received.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                    }));
                }
                let probe = ServerMessage::PongMessage(PongMessage { payload: () });
                let mut joined = false;
                let mut probes = 0u64;
                for _ in 0..5000 {
                    let delivered = hub.broadcast("room", &probe).await.expect("memory").delivered;
                    probes += delivered as u64;
                    if delivered == MEMBERS as usize {
                        joined = true;
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
                assert!(joined, "connections did not join: {:?}", hub.metrics());
                while received.load(Ordering::Relaxed) < probes {
                    tokio::task::yield_now().await;
                }
                let base = received.load(Ordering::Relaxed);
                let msg = ServerMessage::ChatNotification(ChatNotification {
                    payload: ChatNotificationPayload {
                        room: "room".into(),
                        text: "hello there, how is everyone doing today?".into(),
                        sender: "server".into(),
                        seq: Some(1),
                        sent_at: None,
                    },
                });
                let start = Instant::now();
                let mut short = 0u64;
                for i in 0..iters {
                    let report = hub.broadcast("room", &msg).await.expect("memory");
                    short += u64::from(report.delivered < MEMBERS as usize);
                    let ahead = (i + 1) * MEMBERS;
                    while received.load(Ordering::Relaxed) - base + 16 * MEMBERS < ahead {
                        tokio::task::yield_now().await;
                    }
                }
                while received.load(Ordering::Relaxed) - base < iters * MEMBERS - short * MEMBERS {
                    tokio::task::yield_now().await;
                }
                let took = start.elapsed();
                assert_eq!(short, 0, "some broadcasts did not reach every member");
                hub.shutdown(Duration::from_secs(5)).await;
                for r in readers {
                    let _ = r.await;
                }
                took
            })
        });
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3)).sample_size(30);
    targets = decode, envelope, scan, frame_roundtrip, broadcast
}
criterion_main!(benches);

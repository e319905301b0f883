//! The no-framework speed limit: axum 0.8 WebSocket serving the chat protocol minimally.
//!
//! `/ws/chat/{room}` answers `ping` with `pong` and relays `chat` to every member of the room as a
//! `chat_notification` (sender included). The notification is encoded once and its bytes are
//! shared; each connection has a writer task fed by a bounded outbox through `try_send`, so the
//! reader never waits on a writer and nothing waits on another connection. A member whose outbox is
//! full is closed (1008, "slow consumer") and counted. It parses only the JSON it needs and does no
//! validation beyond that: it is a yardstick, not an implementation of the protocol.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context as _, bail};
use axum::Router;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use axum::serve::ListenerExt as _;
use clap::Parser;
use futures_util::{SinkExt as _, StreamExt as _};
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, oneshot};

/// Command line of the baseline server.
#[derive(Debug, Parser)]
#[command(version, about = "Minimal axum WebSocket chat server (benchmark baseline, loopback only)")]
struct Args {
    /// Address to listen on; must be a loopback address.
    #[arg(long, default_value = "127.0.0.1:8765")]
    addr: SocketAddr,
    /// Worker threads of the tokio runtime (0 = one per core).
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// Frames a connection's outbox holds before the connection is closed as a slow consumer.
    #[arg(long, default_value_t = 1024)]
    outbox: usize,
    /// WebSocket read buffer size in bytes.
    #[arg(long, default_value_t = 4096)]
    read_buffer: usize,
    /// Largest accepted incoming message in bytes (larger closes with 1009).
    #[arg(long, default_value_t = 64 * 1024)]
    max_message: usize,
    /// Seconds a single write may take before the connection is dropped.
    #[arg(long, default_value_t = 10)]
    write_timeout: u64,
}

/// One member's outbox and the switch that closes it.
struct Member {
    outbox: mpsc::Sender<Message>,
    kill: Option<oneshot::Sender<u16>>,
}

/// Rooms and counters shared by all connections.
struct Shared {
    rooms: Mutex<HashMap<String, HashMap<u64, Member>>>,
    next_id: AtomicU64,
    slow_closed: AtomicU64,
    outbox: usize,
}

#[derive(Deserialize)]
struct Frame<'a> {
    #[serde(borrow)]
    action: &'a str,
    #[serde(default, borrow)]
    payload: Option<ChatIn<'a>>,
}

#[derive(Deserialize)]
struct ChatIn<'a> {
    #[serde(default, borrow)]
    text: Option<std::borrow::Cow<'a, str>>,
    #[serde(default)]
    seq: Option<i64>,
    #[serde(default)]
    sent_at: Option<f64>,
}

#[derive(Serialize)]
struct Notification<'a> {
    action: &'static str,
    payload: NotificationPayload<'a>,
}

#[derive(Serialize)]
struct NotificationPayload<'a> {
    room: &'a str,
    text: &'a str,
    sender: &'a str,
    seq: Option<i64>,
    sent_at: Option<f64>,
}

const PONG: &str = r#"{"action":"pong","payload":null}"#;
const JSON_INVALID: &str =
    r#"{"action":"error","payload":[{"type":"json_invalid","loc":[],"msg":"Invalid JSON"}]}"#;
const TAG_INVALID: &str = r#"{"action":"error","payload":[{"type":"union_tag_invalid","loc":[],"msg":"Input tag does not match any of the expected tags"}]}"#;
const TEXT_MISSING: &str = r#"{"action":"error","payload":[{"type":"missing","loc":["chat","payload","text"],"msg":"Field required"}]}"#;
const CLOSE_SLOW: u16 = 1008;

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if !args.addr.ip().is_loopback() {
        bail!("refusing to listen on {}: only loopback addresses are allowed", args.addr);
    }
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if args.threads > 0 {
        builder.worker_threads(args.threads);
    }
    let runtime = builder.enable_all().build().context("building the tokio runtime")?;
    runtime.block_on(serve(args))
}

async fn serve(args: Args) -> anyhow::Result<()> {
    let shared = Arc::new(Shared {
        rooms: Mutex::new(HashMap::new()),
        next_id: AtomicU64::new(1),
        slow_closed: AtomicU64::new(0),
        outbox: args.outbox.max(1),
    });
    let args = Arc::new(args);
    let app = Router::new()
        .route("/ws/chat/{room}", get(upgrade))
        .route("/healthz", get(|| async { "ok" }))
        .with_state((shared.clone(), args.clone()));
    let listener =
        tokio::net::TcpListener::bind(args.addr).await.with_context(|| format!("binding {}", args.addr))?;
    eprintln!("raw-baseline listening on ws://{}/ws/chat/{{room}}", listener.local_addr()?);
    // Without TCP_NODELAY, Nagle's algorithm holds small frames back until the peer's delayed ACK
    // (up to 40 ms on Linux) whenever a previous frame is still unacknowledged.
    let listener = listener.tap_io(|tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            eprintln!("raw-baseline: TCP_NODELAY: {e}");
        }
    });
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    eprintln!("raw-baseline stopped; slow consumers closed: {}", shared.slow_closed.load(Ordering::Relaxed));
    Ok(())
}

async fn upgrade(
    ws: WebSocketUpgrade,
    Path(room): Path<String>,
    State((shared, args)): State<(Arc<Shared>, Arc<Args>)>,
) -> Response {
    ws.read_buffer_size(args.read_buffer)
        .write_buffer_size(16 * 1024)
        .max_message_size(args.max_message)
        .max_frame_size(args.max_message)
        .on_upgrade(move |socket| connection(socket, room, shared, args.write_timeout))
}

async fn connection(socket: WebSocket, room: String, shared: Arc<Shared>, write_timeout: u64) {
    let id = shared.next_id.fetch_add(1, Ordering::Relaxed);
    let sender = format!("{id:08x}");
    let (tx, mut rx) = mpsc::channel::<Message>(shared.outbox);
    let (kill_tx, mut kill_rx) = oneshot::channel::<u16>();
    lock(&shared.rooms)
        .entry(room.clone())
        .or_default()
        .insert(id, Member { outbox: tx.clone(), kill: Some(kill_tx) });

    let (mut sink, mut stream) = socket.split();
    let write_timeout = Duration::from_secs(write_timeout.max(1));
    let mut writer = tokio::spawn(async move {
        loop {
            let killed = tokio::select! {
                biased;
                code = &mut kill_rx => code.ok(),
                message = rx.recv() => match message {
                    Some(message) => {
                        // Feed everything already queued, then flush once. A kill interrupts a
                        // write that is stuck on a socket the peer does not read.
                        let write = async {
                            sink.feed(message).await?;
                            while let Ok(more) = rx.try_recv() {
                                sink.feed(more).await?;
                            }
                            sink.flush().await
                        };
                        tokio::select! {
                            biased;
                            code = &mut kill_rx => code.ok(),
                            written = tokio::time::timeout(write_timeout, write) => match written {
                                Ok(Ok(())) => continue,
                                Ok(Err(_)) | Err(_) => return,
                            },
                        }
                    }
                    None => return,
                },
            };
            // Err from the switch: the reader left first and dropped it; nothing to say.
            if let Some(code) = killed {
                let frame = CloseFrame { code, reason: Utf8Bytes::from_static("slow consumer") };
                let _ =
                    tokio::time::timeout(Duration::from_millis(200), sink.send(Message::Close(Some(frame))))
                        .await;
            }
            return;
        }
    });

    let mut writer_done = false;
    loop {
        let message = tokio::select! {
            message = stream.next() => match message {
                Some(Ok(message)) => message,
                _ => break,
            },
            _ = &mut writer => {
                writer_done = true;
                break;
            }
        };
        let text = match message {
            Message::Text(text) => text,
            Message::Binary(_) => {
                if !reply(&shared, &room, id, &tx, JSON_INVALID) {
                    break;
                }
                continue;
            }
            Message::Close(_) => break,
            Message::Ping(_) | Message::Pong(_) => continue,
        };
        let frame: Frame<'_> = match serde_json::from_str(text.as_str()) {
            Ok(frame) => frame,
            Err(_) => {
                if !reply(&shared, &room, id, &tx, JSON_INVALID) {
                    break;
                }
                continue;
            }
        };
        let ok = match frame.action {
            "ping" => reply(&shared, &room, id, &tx, PONG),
            "chat" => match frame.payload {
                Some(ChatIn { text: Some(line), seq, sent_at }) => {
                    let note = Notification {
                        action: "chat_notification",
                        payload: NotificationPayload {
                            room: &room,
                            text: &line,
                            sender: &sender,
                            seq,
                            sent_at,
                        },
                    };
                    match serde_json::to_string(&note) {
                        Ok(json) => broadcast(&shared, &room, Utf8Bytes::from(json)),
                        Err(_) => true,
                    }
                }
                _ => reply(&shared, &room, id, &tx, TEXT_MISSING),
            },
            _ => reply(&shared, &room, id, &tx, TAG_INVALID),
        };
        if !ok {
            break;
        }
    }

    leave(&shared, &room, id);
    drop(tx);
    if !writer_done {
        let _ = writer.await;
    }
}

/// Queues a reply for this connection; false when its outbox is full (it has been closed).
fn reply(shared: &Shared, room: &str, id: u64, tx: &mpsc::Sender<Message>, text: &'static str) -> bool {
    match tx.try_send(Message::Text(Utf8Bytes::from_static(text))) {
        Ok(()) => true,
        Err(mpsc::error::TrySendError::Closed(_)) => false,
        Err(mpsc::error::TrySendError::Full(_)) => {
            if let Some(mut member) = leave(shared, room, id) {
                close_slow(shared, &mut member);
            }
            false
        }
    }
}

/// Pushes shared bytes to every member of `room`; slow members are closed. Always true.
fn broadcast(shared: &Shared, room: &str, bytes: Utf8Bytes) -> bool {
    let mut slow = Vec::new();
    {
        let mut rooms = lock(&shared.rooms);
        if let Some(members) = rooms.get_mut(room) {
            for (id, member) in members.iter() {
                if let Err(mpsc::error::TrySendError::Full(_)) =
                    member.outbox.try_send(Message::Text(bytes.clone()))
                {
                    slow.push(*id);
                }
            }
            for id in slow.drain(..) {
                if let Some(mut member) = members.remove(&id) {
                    close_slow(shared, &mut member);
                }
            }
        }
    }
    true
}

fn close_slow(shared: &Shared, member: &mut Member) {
    shared.slow_closed.fetch_add(1, Ordering::Relaxed);
    if let Some(kill) = member.kill.take() {
        let _ = kill.send(CLOSE_SLOW);
    }
}

fn leave(shared: &Shared, room: &str, id: u64) -> Option<Member> {
    let mut rooms = lock(&shared.rooms);
    let members = rooms.get_mut(room)?;
    let member = members.remove(&id);
    if members.is_empty() {
        rooms.remove(room);
    }
    member
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

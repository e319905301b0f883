//! Opening WebSocket connections to a loopback server and the chat frames the scenarios exchange.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use futures_util::{SinkExt as _, StreamExt as _};
use serde::Deserialize;
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::Semaphore;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use crate::cli::{WriteMode, is_loopback};

/// A client connection.
pub type Ws = WebSocketStream<TcpStream>;

/// The ping frame.
pub const PING: &str = r#"{"action":"ping"}"#;

/// The pong frame as the servers write it (others are recognised by [`is_pong`]).
pub const PONG: &str = r#"{"action":"pong","payload":null}"#;

/// Where and how to connect.
#[derive(Clone, Debug)]
pub struct Target {
    /// Loopback server address.
    pub addr: SocketAddr,
    /// Path template with `{room}`.
    pub path: String,
    /// How [`crate::wire::Conn`] writes its queued frames.
    pub writes: WriteMode,
}

impl Target {
    /// The request path for `room`.
    pub fn path_for(&self, room: &str) -> String {
        self.path.replace("{room}", room)
    }
}

/// Opens the TCP connection to a loopback target (refusing any other address), with
/// `TCP_NODELAY`; `rcvbuf` shrinks the socket's receive buffer.
pub async fn open_tcp(target: &Target, rcvbuf: Option<u32>) -> anyhow::Result<TcpStream> {
    if !is_loopback(target.addr.ip()) {
        bail!("refusing {}: only loopback addresses are allowed", target.addr);
    }
    let socket = if target.addr.is_ipv4() { TcpSocket::new_v4()? } else { TcpSocket::new_v6()? };
    if let Some(size) = rcvbuf {
        socket.set_recv_buffer_size(size)?;
    }
    let stream =
        socket.connect(target.addr).await.with_context(|| format!("connecting to {}", target.addr))?;
    stream.set_nodelay(true)?;
    Ok(stream)
}

/// Opens one connection to `room`; `rcvbuf` shrinks the socket's receive buffer.
pub async fn connect(target: &Target, room: &str, rcvbuf: Option<u32>) -> anyhow::Result<Ws> {
    let stream = open_tcp(target, rcvbuf).await?;
    let url = format!("ws://{}{}", target.addr, target.path_for(room));
    let config = WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(16 * 1024)
        .max_message_size(Some(16 << 20))
        .max_frame_size(Some(16 << 20));
    let (ws, _) = tokio_tungstenite::client_async_with_config(url.as_str(), stream, Some(config))
        .await
        .with_context(|| format!("WebSocket handshake with {url}"))?;
    Ok(ws)
}

/// Sends a ping and waits for the pong (other frames are skipped), proving the server finished the
/// connection's setup (room joined).
pub async fn ping_pong(ws: &mut Ws, timeout: Duration) -> anyhow::Result<()> {
    tokio::time::timeout(timeout, async {
        ws.send(Message::text(PING)).await?;
        while let Some(message) = ws.next().await {
            if let Message::Text(text) = message? {
                if is_pong(text.as_str()) {
                    return Ok(());
                }
            }
        }
        bail!("connection closed before the pong")
    })
    .await
    .context("waiting for the pong")?
}

/// Opens `n` connections with the client framing of [`crate::wire`], `concurrency` at a time, and
/// pings each once; `room_of(i)` names connection i's room. Returns the connections in order and
/// the failures' messages.
pub async fn connect_many_wire(
    target: &Target,
    n: u64,
    concurrency: u64,
    room_of: impl Fn(u64) -> String,
) -> (Vec<crate::wire::Conn>, Vec<String>) {
    connect_many_with(n, concurrency, room_of, |room| {
        let target = target.clone();
        async move {
            let mut conn = tokio::time::timeout(
                Duration::from_secs(30),
                crate::wire::Conn::connect(&target, &room, None),
            )
            .await
            .context("connect timed out")??;
            conn.ping_pong(Duration::from_secs(30)).await?;
            anyhow::Ok(conn)
        }
    })
    .await
}

async fn connect_many_with<C, F, Fut>(
    n: u64,
    concurrency: u64,
    room_of: impl Fn(u64) -> String,
    open: F,
) -> (Vec<C>, Vec<String>)
where
    C: Send + 'static,
    F: Fn(String) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<C>> + Send + 'static,
{
    let gate = Arc::new(Semaphore::new(concurrency.max(1) as usize));
    let mut handles = Vec::with_capacity(n as usize);
    for i in 0..n {
        let gate = gate.clone();
        let opening = open(room_of(i));
        handles.push(tokio::spawn(async move {
            let _permit = gate.acquire_owned().await?;
            opening.await
        }));
    }
    let mut conns = Vec::with_capacity(n as usize);
    let mut errors = Vec::new();
    for handle in handles {
        match handle.await {
            Ok(Ok(ws)) => conns.push(ws),
            Ok(Err(e)) => errors.push(format!("{e:#}")),
            Err(e) => errors.push(e.to_string()),
        }
    }
    (conns, errors)
}

/// True when `text` is a pong frame.
pub fn is_pong(text: &str) -> bool {
    // Fast path for the exact frame; otherwise parse.
    text == PONG || serde_json::from_str::<Envelope<'_>>(text).is_ok_and(|e| e.action == "pong")
}

/// The tag of a frame.
#[derive(Deserialize)]
pub struct Envelope<'a> {
    /// `action`.
    #[serde(borrow)]
    pub action: std::borrow::Cow<'a, str>,
}

/// A `chat_notification` as far as the load client cares.
#[derive(Deserialize)]
pub struct Notification<'a> {
    /// `action`.
    #[serde(borrow)]
    pub action: std::borrow::Cow<'a, str>,
    /// `payload`.
    #[serde(default)]
    pub payload: Option<NotificationPayload>,
}

/// The stamped fields of a notification.
#[derive(Deserialize)]
pub struct NotificationPayload {
    /// Sequence number: sender index × [`SEQ_STRIDE`] + line number.
    #[serde(default)]
    pub seq: Option<i64>,
    /// Seconds since the client's clock epoch when the line was sent.
    #[serde(default)]
    pub sent_at: Option<f64>,
}

/// Distance between two senders' sequence number ranges.
pub const SEQ_STRIDE: i64 = 1_000_000_000;

/// The chat frame for one line.
pub fn chat_frame(text: &str, seq: i64, sent_at: f64) -> String {
    format!(r#"{{"action":"chat","payload":{{"text":"{text}","seq":{seq},"sent_at":{sent_at}}}}}"#)
}

/// A process-wide clock: seconds since the load client started.
#[derive(Clone, Copy)]
pub struct Clock {
    epoch: Instant,
}

impl Clock {
    /// Starts the clock now.
    pub fn start() -> Self {
        Self { epoch: Instant::now() }
    }

    /// Seconds since the epoch.
    pub fn now(&self) -> f64 {
        self.epoch.elapsed().as_secs_f64()
    }

    /// Seconds from the epoch to `at`.
    pub fn at(&self, at: Instant) -> f64 {
        at.saturating_duration_since(self.epoch).as_secs_f64()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_parse_back() {
        let frame = chat_frame("xx", 3 * SEQ_STRIDE + 7, 1.25);
        let v: serde_json::Value = serde_json::from_str(&frame).expect("json");
        assert_eq!(v["action"], "chat");
        assert_eq!(v["payload"]["seq"], 3_000_000_007_i64);
        assert_eq!(v["payload"]["sent_at"], 1.25);
        assert!(is_pong(r#"{"action":"pong","payload":null}"#));
        assert!(is_pong(r#"{"payload":null,"action":"pong"}"#));
        assert!(!is_pong(r#"{"action":"chat_notification","payload":{}}"#));
        let n: Notification<'_> = serde_json::from_str(
            r#"{"action":"chat_notification","payload":{"room":"r","text":"t","sender":"s","seq":5,"sent_at":0.5}}"#,
        )
        .expect("notification");
        assert_eq!(n.action, "chat_notification");
        let p = n.payload.expect("payload");
        assert_eq!((p.seq, p.sent_at), (Some(5), Some(0.5)));
    }

    #[test]
    fn path_template() {
        let t = Target {
            addr: "127.0.0.1:1".parse().expect("addr"),
            path: "/ws/chat/{room}".into(),
            writes: WriteMode::Batched,
        };
        assert_eq!(t.path_for("lobby"), "/ws/chat/lobby");
    }
}

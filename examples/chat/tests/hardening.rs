//! `chat-server` under abuse, over real loopback sockets: huge, deep, invalid and binary frames,
//! a client that never sends its request, the connection limit, the message rate, a member
//! that stops reading while its room is flooded, thousands of idle sockets, the Origin
//! allowlist and SIGTERM. Each test runs its own server process on a free port; counts and
//! deadlines are bounded, and nothing asserts on timing beyond generous deadlines.

use std::net::{TcpListener, TcpStream as StdTcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chanx::testing::{Communicator, ConnectError};
use chat_example::api::chat::Chat;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const START: Duration = Duration::from_secs(15);

/// A `chat-server` child process, killed when dropped; its log (stdout) goes to a file.
struct Server {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl Server {
    fn start(args: &[&str]) -> Self {
        let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("free port").port();
        let log = std::env::temp_dir().join(format!("chat-hardening-{}-{port}.log", std::process::id()));
        let out = std::fs::File::create(&log).expect("log file");
        let mut child = Command::new(env!("CARGO_BIN_EXE_chat-server"))
            .arg("--addr")
            .arg(format!("127.0.0.1:{port}"))
            .args(args)
            .env("RUST_LOG", "warn")
            .stdout(out)
            .stderr(Stdio::null())
            .spawn()
            .expect("chat-server starts");
        let deadline = Instant::now() + START;
        while StdTcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = child.try_wait() {
                panic!("chat-server exited early: {status}");
            }
            assert!(Instant::now() < deadline, "chat-server did not listen in time");
            std::thread::sleep(Duration::from_millis(20));
        }
        Self { child, port, log }
    }

    fn url(&self, room: &str) -> String {
        format!("ws://127.0.0.1:{}/ws/chat/{room}", self.port)
    }

    async fn connect(&self, room: &str) -> Communicator<Chat> {
        Communicator::<Chat>::connect_url(&self.url(room))
            .await
            .expect("connects")
            .with_timeout(Duration::from_secs(20))
    }

    /// Resident memory of the server process, in KiB.
    fn rss_kib(&self) -> u64 {
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).expect("proc status");
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmRSS line")
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
    }
}

/// A hand-written WebSocket client: it can stop reading, send any frame, and survive what a
/// well-behaved client library would refuse to do.
struct RawWs {
    stream: TcpStream,
}

impl RawWs {
    /// Connects and sends the upgrade request; returns the socket and the response status.
    async fn open(port: u16, path: &str, headers: &[(&str, &str)], recv_buffer: Option<u32>) -> (Self, u16) {
        let socket = tokio::net::TcpSocket::new_v4().expect("socket");
        if let Some(bytes) = recv_buffer {
            socket.set_recv_buffer_size(bytes).expect("SO_RCVBUF");
        }
        let mut stream = socket.connect(([127, 0, 0, 1], port).into()).await.expect("tcp connect");
        let mut req = format!(
            "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        );
        for (k, v) in headers {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
        req.push_str("\r\n");
        stream.write_all(req.as_bytes()).await.expect("send request");
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            let n = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut byte))
                .await
                .expect("response in time")
                .expect("read response");
            assert!(n == 1, "connection closed during the handshake: {}", String::from_utf8_lossy(&head));
            head.push(byte[0]);
        }
        let status = String::from_utf8_lossy(&head)
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .expect("status code");
        (Self { stream }, status)
    }

    async fn upgraded(port: u16, room: &str, recv_buffer: Option<u32>) -> Self {
        let (ws, status) = Self::open(port, &format!("/ws/chat/{room}"), &[], recv_buffer).await;
        assert_eq!(status, 101);
        ws
    }

    fn frame(opcode: u8, payload: &[u8]) -> Vec<u8> {
        let mut out = vec![0x80 | opcode];
        // Masked with the key 0 (legal, and leaves the payload as is).
        match payload.len() {
            n if n < 126 => out.push(0x80 | n as u8),
            n if n <= 0xffff => {
                out.push(0x80 | 126);
                out.extend_from_slice(&(n as u16).to_be_bytes());
            }
            n => {
                out.push(0x80 | 127);
                out.extend_from_slice(&(n as u64).to_be_bytes());
            }
        }
        out.extend_from_slice(&[0, 0, 0, 0]);
        out.extend_from_slice(payload);
        out
    }

    async fn send(&mut self, opcode: u8, payload: &[u8]) -> std::io::Result<()> {
        self.stream.write_all(&Self::frame(opcode, payload)).await
    }

    /// The next frame (opcode, payload), `None` at end of stream or after `within`.
    async fn read_frame(&mut self, within: Duration) -> Option<(u8, Vec<u8>)> {
        let read = async {
            let mut h = [0u8; 2];
            self.stream.read_exact(&mut h).await.ok()?;
            let len = match h[1] & 0x7f {
                126 => {
                    let mut b = [0u8; 2];
                    self.stream.read_exact(&mut b).await.ok()?;
                    u64::from(u16::from_be_bytes(b))
                }
                127 => {
                    let mut b = [0u8; 8];
                    self.stream.read_exact(&mut b).await.ok()?;
                    u64::from_be_bytes(b)
                }
                n => u64::from(n),
            };
            let mut payload = vec![0u8; usize::try_from(len).ok()?];
            self.stream.read_exact(&mut payload).await.ok()?;
            Some((h[0] & 0x0f, payload))
        };
        tokio::time::timeout(within, read).await.ok().flatten()
    }

    /// Reads until a close frame; returns its code (`None`: the stream ended without one).
    async fn close_code(&mut self, within: Duration) -> Option<u16> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.read_frame(left).await? {
                (0x8, p) if p.len() >= 2 => return Some(u16::from_be_bytes([p[0], p[1]])),
                (0x8, _) => return None,
                _ => {}
            }
        }
    }

    /// Reads and discards everything until the server ends the stream; whether it did in time.
    async fn drained_to_eof(&mut self, within: Duration) -> bool {
        let mut buf = vec![0u8; 64 * 1024];
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match tokio::time::timeout(left, self.stream.read(&mut buf)).await {
                Err(_) => return false,
                Ok(Ok(0) | Err(_)) => return true,
                Ok(Ok(_)) => {}
            }
        }
    }
}

fn ping() -> Value {
    json!({"action": "ping"})
}

#[tokio::test]
async fn bad_frames_get_errors_or_the_right_close_codes() {
    let server = Server::start(&[]);
    // Deep nesting: an error frame before decoding, the connection stays.
    let mut c = server.connect("abuse").await;
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    c.send_raw(format!(r#"{{"action":"echo","payload":{deep}}}"#)).await;
    let err = c.receive_json().await;
    assert_eq!(err["action"], "error", "{err}");
    assert_eq!(err["payload"][0]["type"], "json_invalid", "{err}");
    assert!(err["payload"][0]["msg"].as_str().unwrap_or_default().contains("nesting too deep"), "{err}");
    // 65 levels, just past the default of 64; 63 is decoded (and refused by the schema).
    let nested = |n: usize| format!(r#"{{"action":"echo","payload":{}1{}}}"#, "[".repeat(n), "]".repeat(n));
    c.send_raw(nested(64)).await;
    assert!(
        c.receive_json().await["payload"][0]["msg"].as_str().unwrap_or_default().contains("nesting too deep")
    );
    c.send_raw(nested(62)).await;
    let shallow = c.receive_json().await;
    assert_ne!(shallow["payload"][0]["msg"].as_str().unwrap_or_default(), "", "{shallow}");
    assert!(
        !shallow["payload"][0]["msg"].as_str().unwrap_or_default().contains("nesting too deep"),
        "{shallow}"
    );
    // Binary: an error frame, the connection stays.
    c.send_binary(vec![1u8, 2, 3]).await;
    let err = c.receive_json().await;
    assert_eq!(err["payload"][0]["type"], "json_invalid", "{err}");
    c.send_json(&ping()).await;
    assert_eq!(c.receive_json().await["action"], "pong");

    // Invalid UTF-8 in a text frame: 1007.
    let mut raw = RawWs::upgraded(server.port, "abuse", None).await;
    raw.send(0x1, b"{\"action\":\"ping\",\"x\":\"\xff\xfe\"}").await.expect("send");
    assert_eq!(raw.close_code(Duration::from_secs(10)).await, Some(1007));

    // An 8 MiB frame: 1009 (the server stops at the header; the rest may not even be read).
    let mut raw = RawWs::upgraded(server.port, "abuse", None).await;
    let mut huge = br#"{"action":"echo","payload":{"text":""#.to_vec();
    huge.resize(8 << 20, b'x');
    let _ = raw.send(0x1, &huge).await;
    assert_eq!(raw.close_code(Duration::from_secs(10)).await, Some(1009));

    // The server is still fine.
    c.send_json(&ping()).await;
    assert_eq!(c.receive_json().await["action"], "pong");
}

#[tokio::test]
async fn a_client_that_never_sends_its_request_is_dropped() {
    let server = Server::start(&["--handshake-timeout", "1"]);
    let mut silent = TcpStream::connect(("127.0.0.1", server.port)).await.expect("tcp connect");
    let mut buf = [0u8; 64];
    let read = tokio::time::timeout(Duration::from_secs(15), silent.read(&mut buf)).await;
    assert!(matches!(read, Ok(Ok(0) | Err(_))), "still open: {read:?}");
    // A client that does send its request in time is upgraded as usual.
    let mut c = server.connect("lobby").await;
    c.send_json(&ping()).await;
    assert_eq!(c.receive_json().await["action"], "pong");
}

/// Writes one byte every 100 ms of `drip` until the server closes the socket; `true` when it
/// did within `within`.
async fn closed_while_dripping(s: TcpStream, drip: &'static [u8], within: Duration) -> bool {
    let (mut rd, mut wr) = s.into_split();
    let writer = tokio::spawn(async move {
        for b in drip {
            if wr.write_all(&[*b]).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        std::future::pending::<()>().await;
    });
    let mut buf = [0u8; 256];
    let closed =
        tokio::time::timeout(within, async { while matches!(rd.read(&mut buf).await, Ok(n) if n > 0) {} })
            .await;
    writer.abort();
    closed.is_ok()
}

#[tokio::test]
async fn a_keep_alive_request_dripped_after_a_response_is_dropped() {
    let server = Server::start(&["--handshake-timeout", "1"]);
    let mut s = TcpStream::connect(("127.0.0.1", server.port)).await.expect("tcp connect");
    s.write_all(b"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n").await.expect("writes");
    let mut head = Vec::new();
    let mut buf = [0u8; 512];
    while !head.ends_with(b"\r\n\r\n") {
        let n = tokio::time::timeout(Duration::from_secs(10), s.read(&mut buf))
            .await
            .expect("response")
            .expect("reads");
        assert!(n > 0, "closed before the response");
        head.extend_from_slice(&buf[..n]);
    }
    assert!(head.starts_with(b"HTTP/1.1 404"), "{}", String::from_utf8_lossy(&head));
    // The next request's header, a byte every 100 ms (60 bytes would take 6 s).
    let drip = b"GET /nope HTTP/1.1\r\nHost: x\r\nX-Slow: 1\r\nX-Slow: 1\r\nX-Slow: 1\r\n";
    assert!(
        closed_while_dripping(s, drip, Duration::from_secs(5)).await,
        "a dripped request held the socket"
    );
}

#[tokio::test]
async fn sockets_past_the_http_bound_are_closed_at_once() {
    let server = Server::start(&["--max-http-connections", "2", "--handshake-timeout", "30"]);
    let mut ws = server.connect("lobby").await;
    let _idle = TcpStream::connect(("127.0.0.1", server.port)).await.expect("tcp connect");
    // Once both places are taken, a third socket is closed long before its 30 s deadline.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let extra = TcpStream::connect(("127.0.0.1", server.port)).await.expect("tcp connect");
        if closed_while_dripping(extra, b"", Duration::from_secs(1)).await {
            break;
        }
        assert!(Instant::now() < deadline, "a socket past the bound stayed open");
    }
    ws.send_json(&ping()).await;
    assert_eq!(ws.receive_json().await["action"], "pong");
    assert!(server.log_text().contains("HTTP connection limit reached"), "{}", server.log_text());
}

#[tokio::test]
async fn connections_past_the_maximum_get_503() {
    let server = Server::start(&["--max-connections", "3"]);
    let mut open = Vec::new();
    for _ in 0..3 {
        open.push(server.connect("lobby").await);
    }
    let refused = Communicator::<Chat>::connect_url(&server.url("lobby")).await;
    assert!(matches!(refused, Err(ConnectError::Refused(503))), "{:?}", refused.err());
    // One leaves: a place frees up (once the server has seen the close).
    open.pop().expect("one").close(1000).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match Communicator::<Chat>::connect_url(&server.url("lobby")).await {
            Ok(_) => break,
            Err(ConnectError::Refused(503)) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(e) => panic!("not admitted again: {e}"),
        }
    }
}

#[tokio::test]
async fn a_client_over_the_rate_gets_errors_then_1008() {
    let server = Server::start(&["--rate-limit", "20"]);
    let mut c = server.connect("lobby").await;
    // 40 at once fit the burst; the next are refused with `rate_limited` (the connection stays).
    let mut raw = RawWs::upgraded(server.port, "lobby", None).await;
    let pings =
        |n: usize| (0..n).flat_map(|_| RawWs::frame(0x1, br#"{"action":"ping"}"#)).collect::<Vec<_>>();
    raw.stream.write_all(&pings(60)).await.expect("send");
    let (mut pongs, mut limited) = (0, 0);
    while pongs + limited < 60 {
        let (op, text) = raw.read_frame(Duration::from_secs(10)).await.expect("a reply to every frame");
        assert_eq!(op, 0x1);
        let v: Value = serde_json::from_slice(&text).expect("json");
        match v["action"].as_str() {
            Some("pong") => pongs += 1,
            Some("error") => {
                assert_eq!(v["payload"][0]["type"], "rate_limited", "{v}");
                assert_eq!(v["payload"][0]["loc"], json!([]), "{v}");
                limited += 1;
            }
            _ => panic!("unexpected {v}"),
        }
    }
    assert!(pongs >= 40 && limited >= 10, "pongs {pongs}, limited {limited}");
    // Going on: after 100 refusals without a calm second, closed with 1008, once what was
    // already queued is sent.
    raw.stream.write_all(&pings(200)).await.expect("send");
    let mut limited = 0;
    let reason = loop {
        match raw.read_frame(Duration::from_secs(10)).await.expect("frames, then a close frame") {
            (0x1, text) => limited += usize::from(text.windows(12).any(|w| w == b"rate_limited")),
            (0x8, p) => {
                assert_eq!(u16::from_be_bytes([p[0], p[1]]), 1008);
                break String::from_utf8_lossy(&p[2..]).into_owned();
            }
            _ => {}
        }
    };
    assert_eq!(reason, "rate limit exceeded");
    assert!(limited >= 50, "{limited} rate_limited errors before the close");
    // Others are not affected.
    c.send_json(&ping()).await;
    assert_eq!(c.receive_json().await["action"], "pong");
}

#[tokio::test]
async fn origin_allowlist_refuses_cross_site_upgrades() {
    let server = Server::start(&["--allowed-origin", "http://chat.example"]);
    let with = |origin: &'static str| {
        let url = server.url("lobby");
        async move { Communicator::<Chat>::connect_url_with(&url, &[("Origin", origin)]).await }
    };
    assert!(matches!(with("http://evil.example").await, Err(ConnectError::Refused(403))));
    assert!(matches!(with("http://chat.example.evil").await, Err(ConnectError::Refused(403))));
    let mut ok = with("http://chat.example").await.expect("allowed origin");
    ok.send_json(&ping()).await;
    assert_eq!(ok.receive_json().await["action"], "pong");
    // No Origin header (not a browser): allowed.
    server.connect("lobby").await;
}

/// A member that stops reading while its room is flooded: the others get every message, the
/// server's memory stays bounded, and the stalled member is disconnected and logged.
#[tokio::test]
async fn a_stalled_reader_is_dropped_without_hurting_its_room() {
    const HEALTHY: usize = 4;
    const LINES: u64 = 3000;
    let server = Server::start(&[]);
    let mut healthy = Vec::new();
    for _ in 0..HEALTHY {
        healthy.push(server.connect("flood").await);
    }
    // Completes the upgrade, then never reads; a small receive buffer fills quickly.
    let mut stalled = RawWs::upgraded(server.port, "flood", Some(4096)).await;
    let mut sender = server.connect("flood").await;
    sender.send_json(&ping()).await;
    sender.receive_json().await;
    let rss_before = server.rss_kib();

    let readers: Vec<_> = healthy
        .into_iter()
        .map(|mut c| {
            tokio::spawn(async move {
                let mut next = 0u64;
                while next < LINES {
                    let v = c.receive_json().await;
                    if v["action"] == "chat_notification" {
                        assert_eq!(v["payload"]["seq"], next, "out of order or lost: {v}");
                        next += 1;
                    }
                }
                c
            })
        })
        .collect();
    let text = "x".repeat(2000);
    let mut peak = rss_before;
    for seq in 0..LINES {
        sender.send_json(&json!({"action": "chat", "payload": {"text": text, "seq": seq}})).await;
        let reply = sender.receive_json().await;
        assert_eq!(reply["payload"]["seq"], seq, "{reply}");
        if seq % 500 == 0 {
            peak = peak.max(server.rss_kib());
        }
    }
    for r in readers {
        tokio::time::timeout(Duration::from_secs(60), r).await.expect("readers finish").expect("reader ok");
    }
    peak = peak.max(server.rss_kib());
    // ~6 MiB went to each member; the stalled one's share must not pile up in the server.
    assert!(peak < rss_before + 48 * 1024, "RSS grew from {rss_before} KiB to {peak} KiB");
    assert!(stalled.drained_to_eof(Duration::from_secs(60)).await, "stalled member still connected");
    let log = server.log_text();
    assert!(log.contains("slow consumer") || log.contains("write timed out"), "not logged: {log}");
    eprintln!("stalled reader: RSS {rss_before} KiB before, peak {peak} KiB");
}

#[tokio::test]
async fn two_thousand_idle_connections_do_not_break_anything() {
    const IDLE: usize = 2000;
    let server = Server::start(&[]);
    let rss_before = server.rss_kib();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut idle = Vec::with_capacity(IDLE);
    for i in 0..IDLE {
        assert!(Instant::now() < deadline, "only {i} connections opened in time");
        idle.push(RawWs::upgraded(server.port, "idle", None).await);
    }
    let rss_after = server.rss_kib();
    let mut a = server.connect("busy").await;
    let mut b = server.connect("busy").await;
    a.send_json(&json!({"action": "chat", "payload": {"text": "hi"}})).await;
    assert_eq!(a.receive_json().await["action"], "chat_notification");
    assert_eq!(b.receive_json().await["payload"]["text"], "hi");
    // A line to the idle room reaches an idle socket.
    let mut c = server.connect("idle").await;
    c.send_json(&json!({"action": "chat", "payload": {"text": "wake"}})).await;
    let (op, text) = idle[IDLE / 2].read_frame(Duration::from_secs(10)).await.expect("a frame");
    assert_eq!(op, 0x1);
    assert!(String::from_utf8_lossy(&text).contains("wake"));
    let per_conn = (rss_after.saturating_sub(rss_before)) * 1024 / IDLE as u64;
    eprintln!("{IDLE} idle connections: RSS {rss_before} -> {rss_after} KiB (~{per_conn} B each)");
    assert!(per_conn < 64 * 1024, "{per_conn} B per idle connection");
}

#[tokio::test]
async fn sigterm_closes_clients_with_1001_and_exits_0() {
    let mut server = Server::start(&[]);
    let mut clients = Vec::new();
    for _ in 0..3 {
        let mut c = server.connect("lobby").await;
        c.send_json(&ping()).await;
        c.receive_json().await;
        clients.push(c);
    }
    let status = Command::new("kill").args(["-TERM", &server.child.id().to_string()]).status().expect("kill");
    assert!(status.success());
    for c in &mut clients {
        c.assert_closed(1001).await;
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    let exit = loop {
        if let Some(status) = server.child.try_wait().expect("wait") {
            break status;
        }
        assert!(Instant::now() < deadline, "chat-server still running after SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(exit.code(), Some(0), "{exit}");
    assert!(StdTcpStream::connect(("127.0.0.1", server.port)).is_err(), "still accepting");
}

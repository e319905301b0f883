//! The HTTP limits in front of the upgrade, over real loopback sockets: every request (not only
//! the first) must deliver its header before the deadline, an idle keep-alive connection is
//! closed after it, and open sockets are bounded. Short deadlines, bounded waits.

mod support;

use std::time::{Duration, Instant};

use axum::routing::get;
use chanx::limits::HttpLimits;
use chanx::testing::Communicator;
use chanx::{Hub, MetricsSnapshot};
use support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const DEADLINE: Duration = Duration::from_millis(400);
/// How long a test waits for the server to close a socket (many deadlines).
const CLOSED_WITHIN: Duration = Duration::from_secs(4);

const GET: &[u8] = b"GET /health HTTP/1.1\r\nHost: test\r\n\r\n";

/// Serves the chat channel and `GET /health` under `limits`; returns the address.
async fn start(hub: &Hub, limits: HttpLimits) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    let app = axum::Router::new()
        .route("/health", get(|| async { "ok" }))
        .merge(chanx::axum::router(endpoint(hub)));
    let hub = hub.clone();
    tokio::spawn(async move {
        let _ = chanx::accept::serve(listener, app, &hub, limits, std::future::pending()).await;
    });
    addr
}

/// Reads one response head and its 2-byte `ok` body.
async fn read_response(s: &mut TcpStream) -> String {
    let mut got = Vec::new();
    let mut buf = [0u8; 512];
    while !String::from_utf8_lossy(&got).ends_with("\r\n\r\nok") {
        let n = tokio::time::timeout(CLOSED_WITHIN, s.read(&mut buf))
            .await
            .expect("response in time")
            .expect("reads");
        assert!(n > 0, "closed before the response: {}", String::from_utf8_lossy(&got));
        got.extend_from_slice(&buf[..n]);
    }
    String::from_utf8_lossy(&got).into_owned()
}

/// Writes `drip` one byte every `every` while waiting for the server to close the socket;
/// returns how long that took, `None` when it stayed open for [`CLOSED_WITHIN`].
async fn closed_while_dripping(s: TcpStream, drip: Vec<u8>, every: Duration) -> Option<Duration> {
    let (mut rd, mut wr) = s.into_split();
    let started = Instant::now();
    let writer = tokio::spawn(async move {
        for b in drip {
            if wr.write_all(&[b]).await.is_err() {
                return;
            }
            tokio::time::sleep(every).await;
        }
        std::future::pending::<()>().await;
    });
    let mut buf = [0u8; 256];
    let closed = tokio::time::timeout(CLOSED_WITHIN, async {
        loop {
            match rd.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await;
    writer.abort();
    closed.ok().map(|()| started.elapsed())
}

/// The next request's header, too long to send before the deadline at a byte per 50 ms.
fn slow_header() -> Vec<u8> {
    let mut h = b"GET /health HTTP/1.1\r\nHost: test\r\n".to_vec();
    h.extend(std::iter::repeat_n(b"X-Slow: 1\r\n".as_slice(), 20).flatten());
    h
}

async fn metrics_until(hub: &Hub, check: impl Fn(&MetricsSnapshot) -> bool) -> MetricsSnapshot {
    assert!(eventually(|| check(&hub.metrics())).await, "{:?}", hub.metrics());
    hub.metrics()
}

#[tokio::test]
async fn every_request_has_a_header_deadline_not_only_the_first() {
    let hub = Hub::memory();
    let addr = start(&hub, HttpLimits { header_read_timeout: DEADLINE, max_connections: Some(100) }).await;

    // One complete request and its response, then the next header a byte every 50 ms.
    let mut kept = TcpStream::connect(addr).await.expect("connects");
    kept.write_all(GET).await.expect("writes");
    assert!(read_response(&mut kept).await.starts_with("HTTP/1.1 200"));
    let took = closed_while_dripping(kept, slow_header(), Duration::from_millis(50)).await;
    let took = took.expect("a dripped second request holds the socket");
    assert!(took < DEADLINE * 4, "closed after {took:?}");

    // Idle after a response: closed after the same deadline.
    let mut idle = TcpStream::connect(addr).await.expect("connects");
    idle.write_all(GET).await.expect("writes");
    read_response(&mut idle).await;
    assert!(closed_while_dripping(idle, Vec::new(), Duration::ZERO).await.is_some(), "idle keep-alive held");

    // The first request, dripped from the start.
    let first = TcpStream::connect(addr).await.expect("connects");
    assert!(closed_while_dripping(first, slow_header(), Duration::from_millis(50)).await.is_some());

    let m = metrics_until(&hub, |m| m.http_header_timeouts == 3 && m.http_open == 0).await;
    assert_eq!(m.http_refused_full, 0, "{m:?}");

    // Requests sent in time are served, one after another on one connection.
    let mut fine = TcpStream::connect(addr).await.expect("connects");
    for _ in 0..3 {
        fine.write_all(GET).await.expect("writes");
        assert!(read_response(&mut fine).await.starts_with("HTTP/1.1 200"));
    }
}

#[tokio::test]
async fn open_sockets_are_bounded_and_upgraded_ones_count() {
    let hub = Hub::memory();
    let limits = HttpLimits { header_read_timeout: Duration::from_secs(30), max_connections: Some(3) };
    let addr = start(&hub, limits).await;
    let mut ws = Communicator::<chat::Chat>::connect_url(&format!("ws://{addr}/ws/chat/lobby"))
        .await
        .expect("upgrades");
    let mut held = Vec::new();
    for _ in 0..2 {
        held.push(TcpStream::connect(addr).await.expect("connects"));
    }
    metrics_until(&hub, |m| m.http_open == 3).await;

    // Past the bound: closed at once, long before the 30 s header deadline.
    let extra = TcpStream::connect(addr).await.expect("the kernel accepts");
    let took = closed_while_dripping(extra, GET.to_vec(), Duration::ZERO).await;
    assert!(took.is_some(), "a socket past the bound stayed open");
    let m = metrics_until(&hub, |m| m.http_refused_full == 1).await;
    assert_eq!((m.http_open, m.http_header_timeouts), (3, 0), "{m:?}");

    // The WebSocket still works; once a socket closes, a new one is served.
    ws.send(&ping()).await;
    assert_eq!(ws.receive_json().await["action"], "pong");
    drop(held.pop());
    metrics_until(&hub, |m| m.http_open == 2).await;
    let mut again = TcpStream::connect(addr).await.expect("connects");
    again.write_all(GET).await.expect("writes");
    assert!(read_response(&mut again).await.starts_with("HTTP/1.1 200"));
}

/// actix-web: `client_request_timeout` limits the first request's head only, and the first byte
/// of a keep-alive request stops the keep-alive timer; with keep-alive off every socket carries
/// one request, under that deadline ([`chanx::actix`] docs).
#[cfg(feature = "actix")]
#[tokio::test]
async fn actix_without_keep_alive_gives_every_request_the_head_deadline() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let server = actix_web::HttpServer::new(|| {
                actix_web::App::new().route("/health", actix_web::web::get().to(|| async { "ok" }))
            })
            .workers(1)
            .disable_signals()
            .client_request_timeout(DEADLINE)
            .keep_alive(actix_web::http::KeepAlive::Disabled)
            .listen(listener)
            .expect("listen");
            let _ = server.run().await;
        });
    });
    let mut kept = TcpStream::connect(addr).await.expect("connects");
    kept.write_all(GET).await.expect("writes");
    assert!(read_response(&mut kept).await.starts_with("HTTP/1.1 200"));
    assert!(closed_while_dripping(kept, slow_header(), Duration::from_millis(50)).await.is_some());
    let first = TcpStream::connect(addr).await.expect("connects");
    assert!(closed_while_dripping(first, slow_header(), Duration::from_millis(50)).await.is_some());
}

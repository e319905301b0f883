//! The baseline speaks the chat protocol: ping/pong, room relay to every member, error frames,
//! and the loopback-only rule. Real sockets on 127.0.0.1, bounded waits, no timing assertions.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use futures_util::{SinkExt as _, StreamExt as _};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

struct Server {
    child: Child,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn start() -> Server {
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
    let child = Command::new(env!("CARGO_BIN_EXE_raw-baseline"))
        .args(["--addr", &format!("127.0.0.1:{port}"), "--threads", "1"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn raw-baseline");
    let server = Server { child, port };
    for _ in 0..100 {
        if TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
            return server;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("raw-baseline did not listen on {port}");
}

async fn connect(server: &Server, room: &str) -> Ws {
    let url = format!("ws://127.0.0.1:{}/ws/chat/{room}", server.port);
    tokio_tungstenite::connect_async(url).await.expect("connect").0
}

async fn next_json(ws: &mut Ws) -> serde_json::Value {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .expect("a frame within 5 s")
            .expect("open")
            .expect("frame");
        if let Message::Text(text) = message {
            return serde_json::from_str(text.as_str()).expect("json frame");
        }
    }
}

async fn send(ws: &mut Ws, text: &str) {
    ws.send(Message::text(text)).await.expect("send");
}

#[tokio::test]
async fn ping_chat_and_errors() {
    let server = start().await;
    let mut a = connect(&server, "lobby").await;
    let mut b = connect(&server, "lobby").await;
    let mut other = connect(&server, "elsewhere").await;
    for ws in [&mut a, &mut b, &mut other] {
        send(ws, r#"{"action":"ping"}"#).await;
        assert_eq!(next_json(ws).await, serde_json::json!({"action": "pong", "payload": null}));
    }

    send(&mut a, r#"{"action":"chat","payload":{"text":"hi","seq":7,"sent_at":1.5}}"#).await;
    for ws in [&mut a, &mut b] {
        let note = next_json(ws).await;
        assert_eq!(note["action"], "chat_notification");
        assert_eq!(note["payload"]["room"], "lobby");
        assert_eq!(note["payload"]["text"], "hi");
        assert_eq!(note["payload"]["seq"], 7);
        assert_eq!(note["payload"]["sent_at"], 1.5);
        assert!(note["payload"]["sender"].is_string());
    }
    // The other room got nothing: its next frame is the answer to its own ping.
    send(&mut other, r#"{"action":"ping"}"#).await;
    assert_eq!(next_json(&mut other).await["action"], "pong");

    send(&mut a, "not json").await;
    let error = next_json(&mut a).await;
    assert_eq!(error["action"], "error");
    assert_eq!(error["payload"][0]["type"], "json_invalid");
    send(&mut a, r#"{"action":"nope"}"#).await;
    assert_eq!(next_json(&mut a).await["payload"][0]["type"], "union_tag_invalid");
    // Still open after errors.
    send(&mut a, r#"{"action":"ping"}"#).await;
    assert_eq!(next_json(&mut a).await["action"], "pong");
}

#[test]
fn refuses_non_loopback_addresses() {
    let out = Command::new(env!("CARGO_BIN_EXE_raw-baseline"))
        .args(["--addr", "0.0.0.0:1"])
        .output()
        .expect("run raw-baseline");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("loopback"));
}

//! The notifications server over a real socket, checked against frames recorded from the Chanx
//! reference peer (`compare/peer-transcript.txt`: `compare/transcript.py` run against
//! `tools/peers/chanx/notifications_app.py`; `compare/run.sh` runs both servers side by side).

use std::time::Duration;

use chanx::testing::Communicator;
use notifications_example::api::{
    hub::Hub as HubChannel, notifications::Notifications, order_topic::OrderTopic,
};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn start() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    let app = notifications_example::app(&chanx::Hub::memory());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    addr.to_string()
}

/// `POST path` with an empty body; returns the response's status line.
async fn post(addr: &str, path: &str) -> String {
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let req =
        format!("POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).await.expect("write");
    let mut out = String::new();
    s.read_to_string(&mut out).await.expect("read");
    out.lines().next().unwrap_or_default().to_owned()
}

async fn connect<C: chanx::Channel>(addr: &str, path: &str) -> Communicator<C> {
    let c = Communicator::connect_url(&format!("ws://{addr}{path}")).await.expect("connects");
    c.with_timeout(Duration::from_secs(3))
}

/// The frame with `payload.created_at` (a time stamp) masked.
fn masked(mut v: Value) -> Value {
    if let Some(t) = v.pointer_mut("/payload/created_at") {
        *t = json!("<time>");
    }
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pushes_and_events_like_the_peer() {
    let addr = start().await;
    let mut c: Communicator<Notifications> = connect(&addr, "/ws/notifications/3?token=secret-3").await;
    assert_eq!(c.receive_json().await, json!({"action":"welcome","payload":{"user_id":3,"unread":3}}));
    assert_eq!(post(&addr, "/notify/3?title=hi").await, "HTTP/1.1 200 OK");
    assert_eq!(
        masked(c.receive_json().await),
        json!({"action":"notification","payload":{"id":1,"title":"hi","body":null,"severity":"info","created_at":"<time>"}})
    );
    assert_eq!(c.receive_json().await, json!({"action":"event_complete","payload":null}));
    assert_eq!(post(&addr, "/announce?text=down").await, "HTTP/1.1 200 OK");
    assert_eq!(
        c.receive_json().await,
        json!({"action":"system_announcement","payload":{"text":"down","until":null}})
    );
    assert_eq!(c.receive_json().await, json!({"action":"event_complete","payload":null}));
    let mut other: Communicator<Notifications> = connect(&addr, "/ws/notifications/4?token=secret-3").await;
    other.assert_closed(4403).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn topics_like_the_peer() {
    let addr = start().await;
    let mut hub: Communicator<HubChannel> = connect(&addr, "/ws/hub").await;
    assert_eq!(
        hub.subscribe("order:42").await,
        json!({"action":"subscribed","payload":null,"version":1,"topic":"order:42","ref":"subscribe-1"})
    );
    assert_eq!(hub.subscribe("order:secret1").await["payload"]["reason"], "unauthorized");
    let mut route: Communicator<OrderTopic> = connect(&addr, "/ws/orders/42").await;
    assert_eq!(
        route.receive_json().await,
        json!({"action":"subscribed","payload":null,"version":1,"topic":"order:42"})
    );
    assert_eq!(post(&addr, "/orders/42/status/shipped?seq=7").await, "HTTP/1.1 200 OK");
    let published = json!({"action":"order_status","payload":{"order_id":"42","status":"shipped"},"version":1,"topic":"order:42","seq":7});
    assert_eq!(hub.receive_topic("order:42").await, published);
    assert_eq!(route.receive_json().await, published);
    assert_eq!(post(&addr, "/orders/42/status/lost").await, "HTTP/1.1 422 Unprocessable Entity");
    route.send_json(&json!({"action":"add_note","payload":{"note":"y"},"ref":"a"})).await;
    assert_eq!(
        route.receive_json().await,
        json!({"action":"note_added","payload":{"note":"y"},"version":1,"topic":"order:42","ref":"a"})
    );
}

/// Replays the script of `compare/transcript.py` and expects, frame for frame and in order,
/// what the Python peer answered (`compare/peer-transcript.txt`, recorded by `compare/run.sh`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replays_the_recorded_peer_transcript() {
    let addr = start().await;
    let transcript = include_str!("../compare/peer-transcript.txt");
    let mut client: Option<Communicator<HubChannel>> = None;
    let (mut published, mut evented, mut checked) = (false, false, 0);
    for line in transcript.lines() {
        let path = match line {
            "--- dedicated" => Some("/ws/orders/42"),
            "--- dedicated secret" => Some("/ws/orders/secret9"),
            "--- notifications" => Some("/ws/notifications/3?token=secret-3"),
            _ => None,
        };
        if let Some(path) = path {
            client = Some(connect(&addr, path).await);
            continue;
        }
        let c = match &mut client {
            Some(c) => c,
            None => client.insert(connect(&addr, "/ws/hub").await),
        };
        if let Some(sent) = line.strip_prefix(">> ") {
            c.send_raw(sent).await;
        } else if let Some(rest) = line.strip_prefix("<< ") {
            if rest.starts_with("(published)") && !std::mem::replace(&mut published, true) {
                post(&addr, "/orders/42/status/shipped?seq=7").await;
                post(&addr, "/orders/42/status/delivered").await;
            }
            if rest.starts_with("(event)") && !std::mem::replace(&mut evented, true) {
                post(&addr, "/notify/3?title=hi").await;
                post(&addr, "/announce?text=down").await;
            }
            let frame = rest.trim_start_matches("(published) ").trim_start_matches("(event) ");
            let expected: Value = serde_json::from_str(frame).expect("a recorded frame");
            assert_eq!(masked(c.receive_json().await), masked(expected), "after {checked} frames");
            checked += 1;
        } else if line.starts_with("closed:") {
            let mut refused: Communicator<Notifications> =
                connect(&addr, "/ws/notifications/3?token=bad").await;
            refused.assert_closed(4403).await;
        }
    }
    assert_eq!(checked, 35, "every recorded answer was compared");
}

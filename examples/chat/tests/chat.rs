//! The example behaves like the Chanx peer: in memory, and over a real socket with the HTTP
//! routes (announce, docs) and graceful shutdown.

use chanx::Hub;
use chanx::testing::Communicator;
use chat_example::api::chat::{Chat, ChatPayload, ClientMessage, EchoMessage, PingMessage};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn ping() -> ClientMessage {
    ClientMessage::PingMessage(PingMessage { payload: () })
}

#[tokio::test]
async fn in_memory_room_chat() {
    let hub = Hub::memory();
    let ep = chat_example::endpoint(&hub, &[]);
    let mut a = Communicator::<Chat>::connect(&ep, "/ws/chat/lobby").await.expect("connects");
    let mut b = Communicator::<Chat>::connect(&ep, "/ws/chat/lobby").await.expect("connects");
    b.send(&ping()).await;
    assert_eq!(b.receive_json().await, json!({"action": "pong", "payload": null}));

    a.send_raw(r#"{"action":"chat","payload":{"text":"hello","seq":3},"ref":"r3"}"#).await;
    let mine = a.receive_json().await;
    let theirs = b.receive_json().await;
    assert_eq!(mine["ref"], "r3");
    assert_eq!(mine["payload"], theirs["payload"]);
    assert_eq!(theirs["payload"]["room"], "lobby");
    assert_eq!(theirs["payload"]["sent_at"], json!(null));

    a.send(&ClientMessage::EchoMessage(EchoMessage {
        payload: ChatPayload { text: "hi".into(), seq: None, sent_at: None },
    }))
    .await;
    assert_eq!(
        a.receive_json().await,
        json!({"action": "echo_reply", "payload": {"text": "hi", "seq": null, "sent_at": null}})
    );
    assert!(b.receive_nothing().await);

    a.send_raw(r#"{"action":"join","payload":{"room":"r2"},"ref":"j"}"#).await;
    assert_eq!(
        a.receive_json().await,
        json!({"action": "joined", "payload": {"room": "r2", "rooms": ["lobby", "r2"]}, "version": 1, "ref": "j"})
    );
    a.send_raw(r#"{"action":"leave","payload":{"room":"r2"}}"#).await;
    assert_eq!(
        a.receive_json().await,
        json!({"action": "left", "payload": {"room": "r2", "rooms": ["lobby"]}})
    );
}

async fn http(addr: std::net::SocketAddr, request: String) -> String {
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connects");
    s.write_all(request.as_bytes()).await.expect("writes");
    let mut out = String::new();
    s.read_to_string(&mut out).await.expect("reads");
    out
}

#[tokio::test]
async fn socket_announce_docs_and_shutdown() {
    let hub = Hub::memory();
    let app = chat_example::app(&hub, &[]).expect("spec loads");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("binds loopback");
    let addr = listener.local_addr().expect("addr");
    let server = tokio::spawn(async move { axum::serve(listener, app).await });

    let mut c =
        Communicator::<Chat>::connect_url(&format!("ws://{addr}/ws/chat/lobby")).await.expect("connects");
    c.send(&ping()).await;
    c.receive_json().await;

    let body = r#"{"text":"maintenance at noon"}"#;
    let response = http(
        addr,
        format!(
            "POST /rooms/lobby/announce HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ),
    )
    .await;
    assert!(response.contains("\"delivered\":1"), "{response}");
    assert_eq!(
        c.receive_json().await,
        json!({"action": "chat_notification", "payload": {"room": "lobby", "text": "maintenance at noon", "sender": "server", "seq": null, "sent_at": null}})
    );

    let json_doc =
        http(addr, "GET /asyncapi.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".into()).await;
    assert!(
        json_doc.contains("application/json") && json_doc.contains("\"asyncapi\": \"3.0.0\""),
        "{json_doc}"
    );
    let yaml_doc =
        http(addr, "GET /asyncapi.yaml HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".into()).await;
    assert!(yaml_doc.contains(chat_example::SPEC_YAML.lines().nth(2).expect("spec has lines")), "{yaml_doc}");

    assert!(hub.shutdown(std::time::Duration::from_secs(5)).await);
    c.assert_closed(chanx::close_code::GOING_AWAY).await;
    server.abort();
}

/// A client that joins room after room: past the cap (64 by default, the URL room included)
/// each join gets a small `too_many_groups` error, so no reply lists more than the cap and the
/// bytes sent back grow linearly with the joins, not with their square.
#[tokio::test]
async fn joins_stop_at_the_room_cap_and_replies_stay_bounded() {
    let hub = Hub::memory();
    let ep = chat_example::endpoint(&hub, &[]);
    let max = chanx::Limits::default().max_groups.expect("a default cap");
    let mut c = Communicator::<Chat>::connect(&ep, "/ws/chat/lobby").await.expect("connects");
    let joins = max + 200;
    let (mut refused, mut bytes, mut longest) = (0, 0, 0);
    for i in 0..joins {
        c.send_raw(format!(r#"{{"action":"join","payload":{{"room":"room-{i:04}"}}}}"#)).await;
        let reply = c.receive_json().await;
        bytes += reply.to_string().len();
        match reply["action"].as_str() {
            Some("joined") => longest = longest.max(reply["payload"]["rooms"].as_array().map_or(0, Vec::len)),
            Some("error") => {
                assert_eq!(
                    reply["payload"],
                    json!([{"type": "too_many_groups", "loc": [], "msg": format!("Too many groups: at most {max} per connection")}])
                );
                refused += 1;
            }
            other => panic!("unexpected reply {other:?}: {reply}"),
        }
    }
    assert_eq!((longest, refused), (max, joins - (max - 1)));
    // Each reply is at most the cap's worth of room names (here 9 characters each).
    assert!(bytes <= joins * (max * 12 + 80), "{bytes} bytes for {joins} joins");
    assert_eq!(hub.metrics().groups_refused, refused as u64);
    // A room it is in can still be joined and left, and chat goes on.
    c.send_raw(r#"{"action":"join","payload":{"room":"room-0000"}}"#).await;
    assert_eq!(c.receive_json().await["action"], "joined");
    c.send(&ping()).await;
    assert_eq!(c.receive_json().await["action"], "pong");
}

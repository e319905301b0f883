//! The chat page and the docs page over a real socket: `/`, `/app.js`, `/app.css`, `/asyncapi`.

use chanx::Hub;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn get(addr: std::net::SocketAddr, path: &str) -> (String, String) {
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connects");
    let request = format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    s.write_all(request.as_bytes()).await.expect("writes");
    let mut out = String::new();
    s.read_to_string(&mut out).await.expect("reads");
    let (head, body) = out.split_once("\r\n\r\n").expect("a response has a head");
    (head.to_ascii_lowercase(), body.to_owned())
}

#[tokio::test]
async fn serves_the_chat_page_and_the_docs_page() {
    let hub = Hub::memory();
    let app = chat_example::app(&hub, &[]).expect("spec loads");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("binds loopback");
    let addr = listener.local_addr().expect("addr");
    let server = tokio::spawn(async move { axum::serve(listener, app).await });

    let (head, body) = get(addr, "/").await;
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert!(head.contains("content-type: text/html; charset=utf-8"), "{head}");
    assert!(body.contains(r#"<script type="module" src="/app.js">"#), "{body}");
    assert!(body.contains(r#"href="/app.css""#), "{body}");

    let (head, body) = get(addr, "/app.js").await;
    assert!(head.contains("content-type: text/javascript"), "{head}");
    assert!(
        body.contains("var ChatClient = class extends ChanxClient"),
        "the bundle carries the generated client"
    );
    assert_eq!(body, chat_example::web::APP_JS);

    let (head, body) = get(addr, "/app.css").await;
    assert!(head.contains("content-type: text/css"), "{head}");
    assert_eq!(body, chat_example::web::APP_CSS);

    let (head, html) = get(addr, "/asyncapi").await;
    assert!(head.contains("content-type: text/html"), "{head}");
    assert_eq!(html, chat_example::DOCS_HTML);
    let (_, json) = get(addr, "/asyncapi.json").await;
    let spec: serde_json::Value = serde_json::from_str(&json).expect("the JSON document parses");
    let messages = spec["components"]["messages"].as_object().expect("the spec names its messages");
    assert!(!messages.is_empty());
    for name in messages.keys() {
        assert!(html.contains(name.as_str()), "the docs page names message {name}");
    }

    server.abort();
}

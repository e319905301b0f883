//! Test utilities (feature `testing`): an in-memory transport that drives the real connection
//! driver, and [`Communicator`], a test client with Chanx's ergonomics that talks to an
//! [`Endpoint`] in memory or to a server over a real socket. Its receive methods panic on
//! timeouts and protocol surprises, like assertions.

use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_util::{Sink, SinkExt, Stream, StreamExt};
use serde_json::Value;
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::{self, client::IntoClientRequest};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::auth::Handshake;
use crate::channel::Channel;
use crate::conn::{Endpoint, TransportOptions};
use crate::frame::{CloseFrame, Frame, TransportError, TransportErrorKind};
use crate::message::Message;
use crate::protocol::{COMPLETE, EVENT_COMPLETE, GROUP_COMPLETE};
use crate::route::match_path;

/// The server half of an in-memory transport: a stream of client frames.
#[derive(Debug)]
pub struct MemoryStream(mpsc::Receiver<Frame>);

impl Stream for MemoryStream {
    type Item = Result<Frame, TransportError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Option<Self::Item>> {
        self.0.poll_recv(cx).map(|f| f.map(Ok))
    }
}

/// The server half of an in-memory transport: a sink towards the client (bounded, so a client
/// that stops reading makes the server's writes wait, as a socket would).
pub type MemorySink = Pin<Box<dyn Sink<Frame, Error = TransportError> + Send>>;

/// The client half of an in-memory transport.
#[derive(Debug)]
pub struct MemoryClient {
    /// Frames to the server.
    pub tx: mpsc::Sender<Frame>,
    /// Frames from the server.
    pub rx: mpsc::Receiver<Frame>,
}

/// A connected pair: the server's stream and sink, and the client's ends. `capacity` bounds
/// each direction, in frames.
pub fn memory_transport(capacity: usize) -> (MemoryStream, MemorySink, MemoryClient) {
    let (to_server, from_client) = mpsc::channel(capacity.max(1));
    let (to_client, from_server) = mpsc::channel::<Frame>(capacity.max(1));
    let sink = futures_util::sink::unfold(to_client, |tx, frame: Frame| async move {
        tx.send(frame).await.map_err(|_| TransportError::new(TransportErrorKind::Closed, "client gone"))?;
        Ok::<_, TransportError>(tx)
    });
    (MemoryStream(from_client), Box::pin(sink), MemoryClient { tx: to_server, rx: from_server })
}

/// Why a [`Communicator`] could not connect.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The path does not match the endpoint's address.
    #[error("path `{0}` does not match the channel address")]
    NoRoute(String),
    /// The upgrade was refused with this HTTP status.
    #[error("upgrade refused with HTTP {0}")]
    Refused(u16),
    /// The socket connection failed.
    #[error("websocket connection failed")]
    Socket(#[source] Box<tungstenite::Error>),
}

enum Link {
    Memory(MemoryClient),
    Socket(Box<WebSocketStream<MaybeTlsStream<TcpStream>>>),
}

/// A test client for one channel: typed sends, JSON receives, Chanx's `receive_all_messages`,
/// `receive_nothing` and close assertions.
pub struct Communicator<C: Channel> {
    link: Link,
    timeout: Duration,
    closed: Option<Option<CloseFrame>>,
    /// Frames [`Communicator::subscribe`] read past while waiting for its ack; received next.
    held: std::collections::VecDeque<Value>,
    requests: u64,
    _channel: PhantomData<fn() -> C>,
}

impl<C: Channel> std::fmt::Debug for Communicator<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Communicator").field("channel", &C::NAME).field("closed", &self.closed).finish()
    }
}

impl<C: Channel> Communicator<C> {
    /// Connects in memory to an endpoint, at `path` (which must match the endpoint's address;
    /// a query string is passed on).
    pub async fn connect(endpoint: &Endpoint<C>, path: &str) -> Result<Self, ConnectError> {
        Self::connect_with(endpoint, path, http::HeaderMap::new()).await
    }

    /// Connects in memory with request headers (auth tokens, `Origin`).
    pub async fn connect_with(
        endpoint: &Endpoint<C>,
        path: &str,
        headers: http::HeaderMap,
    ) -> Result<Self, ConnectError> {
        let (route, query) = match path.split_once('?') {
            Some((p, q)) => (p, Some(q.to_owned())),
            None => (path, None),
        };
        let path_values =
            match_path(endpoint.address(), route).ok_or_else(|| ConnectError::NoRoute(path.to_owned()))?;
        let req = Handshake { path: route.to_owned(), query, headers, path_values };
        let accepted = endpoint.handshake(&req).await.map_err(|r| ConnectError::Refused(r.status))?;
        let (stream, sink, client) = memory_transport(1024);
        let endpoint = endpoint.clone();
        tokio::spawn(async move {
            endpoint.run(accepted, stream, sink, TransportOptions { answers_pings: false }).await;
        });
        Ok(Self::new(Link::Memory(client)))
    }

    /// Connects over a real socket to `url` (`ws://127.0.0.1:PORT/ws/chat/lobby`).
    pub async fn connect_url(url: &str) -> Result<Self, ConnectError> {
        Self::connect_url_with(url, &[]).await
    }

    /// Connects over a real socket with extra request headers.
    pub async fn connect_url_with(url: &str, headers: &[(&str, &str)]) -> Result<Self, ConnectError> {
        let mut request = url.into_client_request().map_err(|e| ConnectError::Socket(Box::new(e)))?;
        for (name, value) in headers {
            let name = http::HeaderName::from_bytes(name.as_bytes())
                .map_err(|e| ConnectError::Socket(Box::new(tungstenite::Error::HttpFormat(e.into()))))?;
            let value = http::HeaderValue::from_str(value)
                .map_err(|e| ConnectError::Socket(Box::new(tungstenite::Error::HttpFormat(e.into()))))?;
            request.headers_mut().insert(name, value);
        }
        match tokio_tungstenite::connect_async(request).await {
            Ok((ws, _)) => Ok(Self::new(Link::Socket(Box::new(ws)))),
            Err(tungstenite::Error::Http(response)) => Err(ConnectError::Refused(response.status().as_u16())),
            Err(e) => Err(ConnectError::Socket(Box::new(e))),
        }
    }

    fn new(link: Link) -> Self {
        Self {
            link,
            timeout: Duration::from_secs(5),
            closed: None,
            held: std::collections::VecDeque::new(),
            requests: 0,
            _channel: PhantomData,
        }
    }

    /// Sets how long receive methods wait (default 5 s).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sends a typed client message.
    pub async fn send(&mut self, msg: &C::Client) {
        self.send_raw(msg.encode()).await;
    }

    /// Sends a typed client message with a `ref` (the replies should echo it).
    pub async fn send_with_ref(&mut self, msg: &C::Client, reference: &str) {
        let mut encoded = msg.encode().into_owned();
        if encoded.ends_with('}') {
            encoded.pop();
            let sep = if encoded.trim_end().ends_with('{') { "" } else { "," };
            let r = serde_json::to_string(reference).expect("a string always serializes");
            encoded.push_str(&format!("{sep}\"ref\":{r}}}"));
        }
        self.send_raw(encoded).await;
    }

    /// Sends a text frame as is.
    pub async fn send_raw(&mut self, text: impl Into<String>) {
        self.send_frame(Frame::text(text)).await;
    }

    /// Sends several text frames in one write (over a socket: fed, then flushed once), the way
    /// a client that pipelines a burst does.
    ///
    /// # Panics
    /// When the connection is gone.
    pub async fn send_raw_burst(&mut self, texts: impl IntoIterator<Item = String>) {
        let ok = match &mut self.link {
            Link::Memory(c) => {
                let mut ok = true;
                for text in texts {
                    ok &= c.tx.send(Frame::text(text)).await.is_ok();
                }
                ok
            }
            Link::Socket(ws) => {
                let mut ok = true;
                for text in texts {
                    ok &= ws.feed(to_tungstenite(Frame::text(text))).await.is_ok();
                }
                ok && ws.flush().await.is_ok()
            }
        };
        assert!(ok, "cannot send: the connection is closed");
    }

    /// Sends a JSON value as a text frame.
    pub async fn send_json(&mut self, value: &Value) {
        self.send_raw(value.to_string()).await;
    }

    /// Sends a binary frame.
    pub async fn send_binary(&mut self, data: impl Into<Bytes>) {
        self.send_frame(Frame::Binary(data.into())).await;
    }

    /// Sends any frame as is (a text frame with invalid UTF-8 too, to test the server).
    ///
    /// # Panics
    /// When the connection is gone.
    pub async fn send_frame(&mut self, frame: Frame) {
        let ok = match &mut self.link {
            Link::Memory(c) => c.tx.send(frame).await.is_ok(),
            Link::Socket(ws) => ws.send(to_tungstenite(frame)).await.is_ok(),
        };
        assert!(ok, "cannot send: the connection is closed");
    }

    /// The next frame from the server within `timeout`, `None` on timeout. A close frame is
    /// remembered (see [`Communicator::assert_closed`]).
    pub async fn receive_frame_within(&mut self, timeout: Duration) -> Option<Frame> {
        if self.closed.is_some() {
            return None;
        }
        let next = async {
            match &mut self.link {
                Link::Memory(c) => c.rx.recv().await,
                Link::Socket(ws) => loop {
                    match ws.next().await {
                        Some(Ok(m)) => {
                            if let Some(f) = from_tungstenite(m) {
                                break Some(f);
                            }
                        }
                        Some(Err(_)) | None => break None,
                    }
                },
            }
        };
        match tokio::time::timeout(timeout, next).await {
            Ok(Some(Frame::Close(c))) => {
                self.closed = Some(c.clone());
                Some(Frame::Close(c))
            }
            Ok(Some(f)) => Some(f),
            Ok(None) => {
                self.closed = Some(None);
                Some(Frame::Close(None))
            }
            Err(_) => None,
        }
    }

    /// Subscribes to a topic (`{"version":1,"topic":T,"ref":R,"action":"subscribe"}`) and waits
    /// for its `subscribed` ack; returns the ack, or the error frame the server answered with.
    ///
    /// # Panics
    /// On timeout, or when the answer is neither for this topic.
    pub async fn subscribe(&mut self, topic: &str) -> Value {
        self.topic_request(topic, "subscribe").await
    }

    /// Unsubscribes from a topic and waits for its `unsubscribed` ack.
    ///
    /// # Panics
    /// Like [`Communicator::subscribe`].
    pub async fn unsubscribe(&mut self, topic: &str) -> Value {
        self.topic_request(topic, "unsubscribe").await
    }

    /// Sends a client message to a topic, with a `ref` (`{"version":1,"topic":...,"ref":...}`
    /// added to the message's frame).
    pub async fn send_topic<M: Message>(&mut self, topic: &str, msg: &M, reference: &str) {
        let envelope = crate::protocol::Envelope {
            reference: Some(crate::protocol::Ref::new(reference)),
            topic: Some(topic.into()),
            seq: None,
        };
        self.send_raw(envelope.stamp(msg.encode().into_owned())).await;
    }

    /// The next frame stamped with `topic`, skipping (and dropping) frames of other topics and
    /// frames without one. Subscribe first: published messages reach subscribers only.
    ///
    /// # Panics
    /// Like [`Communicator::receive_json`].
    pub async fn receive_topic(&mut self, topic: &str) -> Value {
        loop {
            let frame = self.receive_json().await;
            if frame.get("topic").and_then(Value::as_str) == Some(topic) {
                return frame;
            }
        }
    }

    /// The next frame stamped with `topic`, decoded as the topic's message type `M` (envelope
    /// keys are ignored).
    ///
    /// # Panics
    /// Like [`Communicator::receive_topic`], and when the frame is not a valid `M`.
    pub async fn receive_topic_message<M: Message>(&mut self, topic: &str) -> M {
        let mut frame = self.receive_topic(topic).await;
        if let Some(map) = frame.as_object_mut() {
            for key in ["version", "topic", "seq"] {
                map.remove(key);
            }
        }
        let text = frame.to_string();
        M::decode(&text).unwrap_or_else(|e| panic!("not a message of topic {topic} ({e}): {text}"))
    }

    async fn topic_request(&mut self, topic: &str, action: &str) -> Value {
        self.requests += 1;
        let reference = format!("{action}-{}", self.requests);
        let frame = serde_json::json!({"version": 1, "topic": topic, "ref": reference, "action": action});
        self.send_json(&frame).await;
        let mut skipped = Vec::new();
        loop {
            let answer = self.next_json().await;
            if answer.get("ref").and_then(Value::as_str) == Some(reference.as_str()) {
                self.held.extend(skipped);
                return answer;
            }
            skipped.push(answer);
        }
    }

    /// The next JSON text frame.
    ///
    /// # Panics
    /// On timeout, on a close, on a non-text or non-JSON frame.
    pub async fn receive_json(&mut self) -> Value {
        match self.held.pop_front() {
            Some(held) => held,
            None => self.next_json().await,
        }
    }

    /// The next JSON text frame from the connection itself.
    async fn next_json(&mut self) -> Value {
        loop {
            match self.receive_frame_within(self.timeout).await {
                Some(Frame::Text(b)) => {
                    return serde_json::from_slice(&b).unwrap_or_else(|e| {
                        panic!("frame is not JSON ({e}): {}", String::from_utf8_lossy(&b))
                    });
                }
                Some(Frame::Ping(_) | Frame::Pong(_)) => continue,
                Some(other) => panic!("expected a text frame, got {other:?}"),
                None => panic!("no frame within {:?}", self.timeout),
            }
        }
    }

    /// The next frame, decoded as a server message (envelope keys are ignored).
    ///
    /// # Panics
    /// Like [`Communicator::receive_json`], and when the frame is not a valid server message.
    pub async fn receive(&mut self) -> C::Server {
        let value = self.receive_json().await;
        let text = value.to_string();
        C::Server::decode(&text).unwrap_or_else(|e| panic!("not a server message ({e}): {text}"))
    }

    /// Collects frames until one whose `action` is `stop_action` (included, unless it is a
    /// completion frame) or until the timeout. Completion frames (`complete`, `group_complete`,
    /// `event_complete`) are never included.
    pub async fn receive_all_messages(&mut self, stop_action: &str) -> Vec<Value> {
        let deadline = tokio::time::Instant::now() + self.timeout;
        let mut out = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let Some(frame) = self.receive_frame_within(left).await else { return out };
            let Frame::Text(b) = frame else {
                if matches!(frame, Frame::Close(_)) {
                    return out;
                }
                continue;
            };
            let value: Value = serde_json::from_slice(&b).unwrap_or(Value::Null);
            let action = value.get("action").and_then(Value::as_str).unwrap_or_default().to_owned();
            if !is_completion(&action) {
                out.push(value);
            }
            if action == stop_action {
                return out;
            }
        }
    }

    /// Whether nothing (but pings) arrives within 100 ms.
    pub async fn receive_nothing(&mut self) -> bool {
        self.receive_nothing_within(Duration::from_millis(100)).await
    }

    /// Whether nothing (but pings) arrives within `timeout`.
    pub async fn receive_nothing_within(&mut self, timeout: Duration) -> bool {
        if !self.held.is_empty() {
            return false;
        }
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.receive_frame_within(left).await {
                None => return true,
                Some(Frame::Ping(_) | Frame::Pong(_)) => continue,
                Some(_) => return false,
            }
        }
    }

    /// Waits for the server's close frame, skipping data frames; returns it (`None` when the
    /// connection ended without one).
    ///
    /// # Panics
    /// When the connection is still open after the timeout.
    pub async fn closed(&mut self) -> Option<CloseFrame> {
        let deadline = tokio::time::Instant::now() + self.timeout;
        while self.closed.is_none() {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            if self.receive_frame_within(left).await.is_none() && self.closed.is_none() {
                panic!("connection still open after {:?}", self.timeout);
            }
        }
        self.closed.clone().flatten()
    }

    /// Asserts that the server closes the connection with `code`.
    ///
    /// # Panics
    /// When it does not.
    pub async fn assert_closed(&mut self, code: u16) {
        let frame = self.closed().await;
        assert_eq!(frame.as_ref().map(|f| f.code), Some(code), "close frame: {frame:?}");
    }

    /// Closes the connection from the client side with `code`.
    pub async fn close(&mut self, code: u16) {
        let frame = Frame::Close(Some(CloseFrame::new(code, "")));
        match &mut self.link {
            Link::Memory(c) => {
                let _ = c.tx.send(frame).await;
            }
            Link::Socket(ws) => {
                let _ = ws.send(to_tungstenite(frame)).await;
            }
        }
    }
}

fn is_completion(action: &str) -> bool {
    [COMPLETE, GROUP_COMPLETE, EVENT_COMPLETE].iter().any(|c| c.contains(&format!("\"{action}\"")))
}

fn to_tungstenite(frame: Frame) -> tungstenite::Message {
    use tungstenite::protocol::frame::{CloseFrame as TCloseFrame, coding::CloseCode};
    match frame {
        Frame::Text(b) => match tungstenite::Utf8Bytes::try_from(b.clone()) {
            Ok(t) => tungstenite::Message::Text(t),
            // Invalid UTF-8 goes out as a raw text frame, to test the server's refusal.
            Err(_) => tungstenite::Message::Frame(tungstenite::protocol::frame::Frame::message(
                b,
                tungstenite::protocol::frame::coding::OpCode::Data(
                    tungstenite::protocol::frame::coding::Data::Text,
                ),
                true,
            )),
        },
        Frame::Binary(b) => tungstenite::Message::Binary(b),
        Frame::Ping(b) => tungstenite::Message::Ping(b),
        Frame::Pong(b) => tungstenite::Message::Pong(b),
        Frame::Close(c) => tungstenite::Message::Close(
            c.map(|c| TCloseFrame { code: CloseCode::from(c.code), reason: c.reason.into_owned().into() }),
        ),
    }
}

fn from_tungstenite(m: tungstenite::Message) -> Option<Frame> {
    Some(match m {
        tungstenite::Message::Text(t) => Frame::Text(Bytes::from(t)),
        tungstenite::Message::Binary(b) => Frame::Binary(b),
        tungstenite::Message::Ping(b) => Frame::Ping(b),
        tungstenite::Message::Pong(b) => Frame::Pong(b),
        tungstenite::Message::Close(c) => {
            Frame::Close(c.map(|c| CloseFrame::new(u16::from(c.code), c.reason.to_string())))
        }
        tungstenite::Message::Frame(_) => return None,
    })
}

/// A connection context without a socket, to call handler methods directly in unit tests.
///
/// It is attached to the hub's layer like a real connection, so `join`, `broadcast` and
/// [`Hub::send`](crate::Hub::send) to its id work; [`TestContext::sent`] returns what reached its
/// outbox.
pub struct TestContext<C: Channel> {
    ctx: crate::Context<C>,
    hub: crate::Hub,
}

impl<C: Channel> TestContext<C> {
    /// A context for a connection with these address parameters.
    pub fn new(params: C::Params, hub: &crate::Hub) -> Self {
        Self::with_auth(params, hub, None)
    }

    /// A context whose authenticator returned `auth` ([`Context::auth`](crate::Context::auth)).
    pub fn with_auth(params: C::Params, hub: &crate::Hub, auth: Option<crate::AuthData>) -> Self {
        use std::sync::Arc;
        let layer = hub.layer();
        let id = layer.new_conn_id();
        let shared = Arc::new(crate::layer::ConnShared::new(
            id,
            crate::SlowConsumer::default(),
            hub.metrics_handle().clone(),
            1024,
        ));
        let mailbox = crate::layer::Mailbox::new(shared.clone());
        layer.attach(mailbox.clone());
        let path = C::ADDRESS.unwrap_or_default().to_owned();
        let ctx = crate::Context::new(
            shared,
            mailbox,
            params,
            path,
            auth,
            hub.clone(),
            crate::Limits::default().max_groups,
        );
        Self { ctx, hub: hub.clone() }
    }

    /// The context to pass to handler methods.
    pub fn ctx(&self) -> &crate::Context<C> {
        &self.ctx
    }

    /// The text frames queued for this connection so far, parsed (replies are not included:
    /// handler methods return them).
    pub fn sent(&mut self) -> Vec<Value> {
        let mut out = Vec::new();
        while let Some(item) = self.ctx.shared().outbox.try_pop() {
            if let crate::layer::Outgoing::Text(b, _) = item {
                out.push(serde_json::from_slice(&b).unwrap_or(Value::Null));
            }
        }
        out
    }
}

impl<C: Channel> Drop for TestContext<C> {
    fn drop(&mut self) {
        self.hub.layer().detach(self.ctx.id());
        self.ctx.shared().outbox.close();
    }
}

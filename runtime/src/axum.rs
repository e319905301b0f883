//! The axum 0.8 adapter (feature `axum`, on by default): mounts an [`Endpoint`] at its address
//! in a `Router`, turns the upgrade request into a [`Handshake`], and translates axum's
//! WebSocket messages to and from [`Frame`]s. Owns no connection logic.
//!
//! Sockets get a small read buffer
//! ([`Config::read_buffer_size`](crate::Config::read_buffer_size), 4 KiB by default, instead
//! of axum's 128 KiB) and the channel's frame-size limit.
//!
//! `axum::serve` leaves Nagle's algorithm on for accepted sockets: small frames then wait for the
//! peer's delayed ACK (tens of milliseconds of fan-out latency on loopback). Wrap the listener
//! with [`nodelay`] (or `ListenerExt::tap_io`) so every socket gets `TCP_NODELAY`.

use axum::Router;
use axum::extract::ws::{self, WebSocket, WebSocketUpgrade};
use axum::extract::{RawPathParams, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use bytes::Bytes;
use futures_util::stream::SplitSink;
use futures_util::{Sink, StreamExt};
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::auth::Handshake;
use crate::channel::{Channel, PathValues};
use crate::conn::{Endpoint, TransportOptions};
use crate::frame::{CloseFrame, Frame, TransportError, TransportErrorKind};

/// A listener whose accepted sockets have `TCP_NODELAY` set, for `axum::serve`:
///
/// ```no_run
/// # async fn run(app: axum::Router) -> std::io::Result<()> {
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
/// axum::serve(chanx::axum::nodelay(listener), app).await
/// # }
/// ```
pub fn nodelay(
    listener: tokio::net::TcpListener,
) -> axum::serve::TapIo<tokio::net::TcpListener, fn(&mut tokio::net::TcpStream)> {
    use axum::serve::ListenerExt;
    fn set(socket: &mut tokio::net::TcpStream) {
        if let Err(err) = socket.set_nodelay(true) {
            tracing::debug!(%err, "cannot set TCP_NODELAY");
        }
    }
    listener.tap_io(set as fn(&mut tokio::net::TcpStream))
}

/// A router serving the endpoint at its address (`{param}` placeholders are axum's syntax
/// too). Merge it into your app: `app.merge(chanx::axum::router(endpoint))`.
pub fn router<C: Channel, S: Clone + Send + Sync + 'static>(endpoint: Endpoint<C>) -> Router<S> {
    let path = endpoint.address().to_owned();
    Router::new().route(&path, get(upgrade::<C>)).with_state(endpoint)
}

/// Adds channels to a router.
pub trait RouterExt {
    /// Serves the endpoint at its address.
    fn channel<C: Channel>(self, endpoint: Endpoint<C>) -> Self;
}

impl<S: Clone + Send + Sync + 'static> RouterExt for Router<S> {
    fn channel<C: Channel>(self, endpoint: Endpoint<C>) -> Self {
        self.merge(router::<C, S>(endpoint))
    }
}

/// The axum handler behind [`router`]: handshake, then upgrade and run the connection.
pub async fn upgrade<C: Channel>(
    State(endpoint): State<Endpoint<C>>,
    params: RawPathParams,
    uri: Uri,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    let values = PathValues::new(params.iter().map(|(k, v)| (k.to_owned(), v.to_owned())));
    serve(endpoint, ws, values, &uri, headers).await
}

/// Upgrades one request for an endpoint, for routes you build yourself.
pub async fn serve<C: Channel>(
    endpoint: Endpoint<C>,
    ws: WebSocketUpgrade,
    path_values: PathValues,
    uri: &Uri,
    headers: HeaderMap,
) -> Response {
    let req = Handshake {
        path: uri.path().to_owned(),
        query: uri.query().map(str::to_owned),
        headers,
        path_values,
    };
    let accepted = match endpoint.handshake(&req).await {
        Ok(accepted) => accepted,
        Err(rejected) => {
            let status = StatusCode::from_u16(rejected.status).unwrap_or(StatusCode::FORBIDDEN);
            return (status, rejected.detail).into_response();
        }
    };
    let cfg = endpoint.config();
    ws.read_buffer_size(cfg.read_buffer_size)
        .max_message_size(cfg.max_frame_size)
        .max_frame_size(cfg.max_frame_size)
        .on_upgrade(move |socket: WebSocket| async move {
            let (sink, stream) = socket.split();
            let sink = FrameSink(sink);
            let stream = stream.map(|r| r.map(from_axum).map_err(classify));
            endpoint.run(accepted, stream, Box::pin(sink), TransportOptions { answers_pings: true }).await;
        })
}

/// The socket's write half taking runtime frames: each is converted as it is handed over (no
/// per-frame future, unlike `SinkExt::with`).
struct FrameSink(SplitSink<WebSocket, ws::Message>);

impl Sink<Frame> for FrameSink {
    type Error = axum::Error;

    fn poll_ready(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Pin::new(&mut self.0).poll_ready(cx)
    }

    fn start_send(mut self: Pin<&mut Self>, frame: Frame) -> Result<(), Self::Error> {
        Pin::new(&mut self.0).start_send(to_axum(frame))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Pin::new(&mut self.0).poll_close(cx)
    }
}

fn to_axum(frame: Frame) -> ws::Message {
    match frame {
        // The driver only sends text it encoded from a `String`; invalid UTF-8 here would be a
        // bug in the runtime. Converted without a clone (a clone of a reply's unique buffer
        // allocates), so the bug path has no bytes left to send: it is logged.
        Frame::Text(b) => match ws::Utf8Bytes::try_from(b) {
            Ok(t) => ws::Message::Text(t),
            Err(e) => {
                tracing::error!(error = %e, "text frame with invalid UTF-8 dropped (a runtime bug)");
                ws::Message::Binary(Bytes::new())
            }
        },
        Frame::Binary(b) => ws::Message::Binary(b),
        Frame::Ping(b) => ws::Message::Ping(b),
        Frame::Pong(b) => ws::Message::Pong(b),
        Frame::Close(c) => ws::Message::Close(
            c.map(|c| ws::CloseFrame { code: c.code, reason: ws::Utf8Bytes::from(c.reason.into_owned()) }),
        ),
    }
}

fn from_axum(m: ws::Message) -> Frame {
    match m {
        ws::Message::Text(t) => Frame::Text(Bytes::from(t)),
        ws::Message::Binary(b) => Frame::Binary(b),
        ws::Message::Ping(b) => Frame::Ping(b),
        ws::Message::Pong(b) => Frame::Pong(b),
        ws::Message::Close(c) => Frame::Close(c.map(|c| CloseFrame::new(c.code, c.reason.to_string()))),
    }
}

fn classify(e: axum::Error) -> TransportError {
    let inner = e.into_inner();
    let kind = match inner.downcast_ref::<tungstenite::Error>() {
        Some(tungstenite::Error::Capacity(_)) => TransportErrorKind::TooLarge,
        Some(tungstenite::Error::Utf8(_)) => TransportErrorKind::InvalidUtf8,
        Some(tungstenite::Error::Protocol(_)) => TransportErrorKind::Protocol,
        _ => TransportErrorKind::Closed,
    };
    TransportError { kind, source: inner }
}

/// A router serving the spec at `/asyncapi.json`, `/asyncapi.yaml` (when there is YAML) and
/// `/asyncapi` (when there is an HTML page).
pub fn docs_router<S: Clone + Send + Sync + 'static>(docs: crate::docs::Docs) -> Router<S> {
    use axum::http::header::CONTENT_TYPE;
    let mut router = Router::new();
    let json = docs.json().clone();
    router = router.route(
        crate::docs::JSON_PATH,
        get(move || std::future::ready(([(CONTENT_TYPE, "application/json")], json.clone()))),
    );
    if let Some(yaml) = docs.yaml().cloned() {
        router = router.route(
            crate::docs::YAML_PATH,
            get(move || std::future::ready(([(CONTENT_TYPE, "application/yaml")], yaml.clone()))),
        );
    }
    if let Some(html) = docs.html().cloned() {
        router = router.route(
            crate::docs::HTML_PATH,
            get(move || std::future::ready(([(CONTENT_TYPE, "text/html; charset=utf-8")], html.clone()))),
        );
    }
    router
}

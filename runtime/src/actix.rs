//! The actix-web 4 adapter (feature `actix`), over `actix-ws`: routes an [`Endpoint`] at its
//! address, turns the request into a [`Handshake`], and translates frames. The very same
//! generated `Service` runs unchanged; owns no connection logic.
//!
//! actix-web 4 is built on `http` 0.2 and `socket2` 0.5, so enabling this feature adds those
//! second versions next to axum's (`cargo tree -d` shows them); nothing else is duplicated.
//!
//! actix-web's `HttpServer` leaves Nagle's algorithm on for accepted sockets, so small frames wait
//! for the peer's delayed ACK; pass [`nodelay`] to `HttpServer::on_connect` to set `TCP_NODELAY`.
//!
//! # HTTP limits
//! actix-web runs its own HTTP server, so [`HttpLimits`](crate::HttpLimits) and
//! [`accept::serve`](crate::accept) do not apply; set its builder instead. What actix-web 4
//! (actix-http 3.11) covers:
//! - `client_request_timeout` (default 5 s) limits the head of the **first** request of a
//!   socket (408, then close);
//! - after a response, `keep_alive` (default 5 s) closes an idle socket, but the first byte of
//!   the next request stops that timer and nothing limits the rest of its head: a client that
//!   drips a keep-alive request holds its socket. A WebSocket server needs no keep-alive (each
//!   upgrade is one request), so turn it off and every socket carries one request, under
//!   `client_request_timeout`;
//! - `max_connections` (default 25,000) is **per worker**, and at the limit the server stops
//!   accepting (new sockets wait in the listen backlog) rather than closing them. These events
//!   are not counted in [`Hub::metrics`](crate::Hub::metrics).
//!
//! ```no_run
//! # fn run() -> std::io::Result<actix_web::dev::Server> {
//! use actix_web::{App, HttpServer, http::KeepAlive};
//! let http = chanx::HttpLimits::default();
//! Ok(HttpServer::new(App::new)
//!     .client_request_timeout(http.header_read_timeout)
//!     .keep_alive(KeepAlive::Disabled)
//!     .max_connections(http.max_connections.unwrap_or(25_000))
//!     .bind("127.0.0.1:0")?
//!     .run())
//! # }
//! ```

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use actix_ws::{AggregatedMessage, CloseCode, CloseReason, ProtocolError, Session};
use bytestring::ByteString;
use futures_util::StreamExt;

use crate::auth::Handshake;
use crate::channel::{Channel, PathValues};
use crate::conn::{Endpoint, TransportOptions};
use crate::frame::{CloseFrame, Frame, TransportError, TransportErrorKind};

/// Sets `TCP_NODELAY` on each accepted TCP socket, for `HttpServer::on_connect`:
///
/// ```no_run
/// # fn run() -> std::io::Result<actix_web::dev::Server> {
/// use actix_web::{App, HttpServer};
/// Ok(HttpServer::new(App::new).on_connect(chanx::actix::nodelay).bind("127.0.0.1:0")?.run())
/// # }
/// ```
pub fn nodelay(conn: &dyn std::any::Any, _: &mut actix_web::dev::Extensions) {
    if let Some(socket) = conn.downcast_ref::<actix_web::rt::net::TcpStream>() {
        if let Err(err) = socket.set_nodelay(true) {
            tracing::debug!(%err, "cannot set TCP_NODELAY");
        }
    }
}

/// Registers the endpoint at its address:
/// `App::new().configure(chanx::actix::configure(endpoint.clone()))`.
pub fn configure<C: Channel>(endpoint: Endpoint<C>) -> impl Fn(&mut web::ServiceConfig) + Clone {
    move |cfg: &mut web::ServiceConfig| {
        let endpoint = endpoint.clone();
        let path = endpoint.address().to_owned();
        cfg.route(
            &path,
            web::get().to(move |req: HttpRequest, body: web::Payload| {
                let endpoint = endpoint.clone();
                async move { upgrade(endpoint, req, body).await }
            }),
        );
    }
}

/// Handles one upgrade request for an endpoint, for routes you register yourself.
pub async fn upgrade<C: Channel>(
    endpoint: Endpoint<C>,
    req: HttpRequest,
    body: web::Payload,
) -> HttpResponse {
    let mut headers = http::HeaderMap::with_capacity(req.headers().len());
    for (name, value) in req.headers() {
        if let (Ok(n), Ok(v)) = (
            http::HeaderName::from_bytes(name.as_str().as_bytes()),
            http::HeaderValue::from_bytes(value.as_bytes()),
        ) {
            headers.append(n, v);
        }
    }
    let path_values = PathValues::new(req.match_info().iter().map(|(k, v)| (k.to_owned(), v.to_owned())));
    let handshake = Handshake {
        path: req.path().to_owned(),
        query: Some(req.query_string().to_owned()).filter(|q| !q.is_empty()),
        headers,
        path_values,
    };
    let accepted = match endpoint.handshake(&handshake).await {
        Ok(accepted) => accepted,
        Err(rejected) => {
            let status = StatusCode::from_u16(rejected.status).unwrap_or(StatusCode::FORBIDDEN);
            return HttpResponse::build(status).body(rejected.detail);
        }
    };
    let (response, session, stream) = match actix_ws::handle(&req, body) {
        Ok(parts) => parts,
        Err(e) => return e.error_response(),
    };
    let max = endpoint.config().max_frame_size;
    let stream = stream
        .max_frame_size(max)
        .aggregate_continuations()
        .max_continuation_size(max)
        .map(|r| r.map(from_actix).map_err(classify));
    actix_web::rt::spawn(async move {
        endpoint
            .run(accepted, Box::pin(stream), sink(session), TransportOptions { answers_pings: false })
            .await;
    });
    response
}

type ActixSink = std::pin::Pin<Box<dyn futures_util::Sink<Frame, Error = TransportError> + Send>>;

fn sink(session: Session) -> ActixSink {
    let closed = || TransportError::new(TransportErrorKind::Closed, "session closed");
    Box::pin(futures_util::sink::unfold(
        Some(session),
        move |session: Option<Session>, frame: Frame| async move {
            let Some(mut s) = session else { return Err(closed()) };
            let sent = match frame {
                Frame::Text(b) => match ByteString::try_from(b) {
                    Ok(text) => s.text(text).await,
                    Err(e) => return Err(TransportError::new(TransportErrorKind::InvalidUtf8, e)),
                },
                Frame::Binary(b) => s.binary(b).await,
                Frame::Ping(b) => s.ping(&b).await,
                Frame::Pong(b) => s.pong(&b).await,
                Frame::Close(c) => {
                    let reason = c.map(|c| CloseReason {
                        code: CloseCode::from(c.code),
                        description: Some(c.reason.into_owned()).filter(|r| !r.is_empty()),
                    });
                    let _ = s.close(reason).await;
                    return Ok(None);
                }
            };
            sent.map(|()| Some(s)).map_err(|_| closed())
        },
    ))
}

fn from_actix(m: AggregatedMessage) -> Frame {
    match m {
        AggregatedMessage::Text(t) => Frame::Text(t.into_bytes()),
        AggregatedMessage::Binary(b) => Frame::Binary(b),
        AggregatedMessage::Ping(b) => Frame::Ping(b),
        AggregatedMessage::Pong(b) => Frame::Pong(b),
        AggregatedMessage::Close(c) => {
            Frame::Close(c.map(|c| CloseFrame::new(u16::from(c.code), c.description.unwrap_or_default())))
        }
    }
}

fn classify(e: ProtocolError) -> TransportError {
    let kind = match &e {
        ProtocolError::Overflow => TransportErrorKind::TooLarge,
        ProtocolError::Io(io) if io.kind() == std::io::ErrorKind::InvalidData => {
            TransportErrorKind::InvalidUtf8
        }
        ProtocolError::Io(io) if io.to_string().contains("maximum continuation size") => {
            TransportErrorKind::TooLarge
        }
        ProtocolError::Io(_) => TransportErrorKind::Closed,
        _ => TransportErrorKind::Protocol,
    };
    TransportError::new(kind, e.to_string())
}

/// Registers the spec at `/asyncapi.json`, `/asyncapi.yaml` (when there is YAML) and
/// `/asyncapi` (when there is an HTML page).
pub fn configure_docs(docs: crate::docs::Docs) -> impl Fn(&mut web::ServiceConfig) + Clone {
    move |cfg: &mut web::ServiceConfig| {
        let bodies = [
            (crate::docs::JSON_PATH, "application/json", Some(docs.json().clone())),
            (crate::docs::YAML_PATH, "application/yaml", docs.yaml().cloned()),
            (crate::docs::HTML_PATH, "text/html; charset=utf-8", docs.html().cloned()),
        ];
        for (path, content_type, body) in bodies {
            if let Some(body) = body {
                cfg.route(
                    path,
                    web::get().to(move || {
                        let body = body.clone();
                        async move { HttpResponse::Ok().content_type(content_type).body(body) }
                    }),
                );
            }
        }
    }
}

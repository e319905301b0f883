//! The connection driver and the [`Endpoint`] that owns a channel's service and settings.
//! Transport-agnostic: it runs over any stream and sink of [`Frame`]s; adapters (axum,
//! actix-web, in-memory) only translate frames and the upgrade request.
//!
//! # How a connection runs
//! - **Handshake** ([`Endpoint::handshake`]): origin allowlist (HTTP 403), path parameters,
//!   authenticator (HTTP 401/403, or Chanx's accept-then-close 4401/4403).
//! - **Writer task**: owns the sink; drains the bounded outbox, batching queued frames into one
//!   flush; sends pings; every write has a timeout; a failed or timed-out write ends the
//!   connection.
//! - **Reader** (the task that called [`Endpoint::run`]): reads a frame, decodes it, runs its
//!   handler, queues the reply, then reads the next. Messages of one connection are therefore
//!   handled **one at a time, in order**: replies keep the order of requests. Replies, errors
//!   and completion frames are queued with `try_send`. The only wait is backpressure on the
//!   client itself: before handling its next frame, the reader waits (up to the write timeout)
//!   for room in its own outbox, so a client that pipelines requests faster than it reads the
//!   replies is slowed down rather than disconnected; one whose outbox stays full past the write
//!   timeout is closed as a slow consumer. Nothing ever waits for another connection.
//! - **Closing**: client close (echoed), idle timeout (1001), oversized frame (1009), invalid
//!   UTF-8 (1007), slow consumer (policy), past the rate limit (1008 after draining the outbox),
//!   failed `on_connect` (1011), hub shutdown (1001 after draining the outbox). Then `on_disconnect` runs, the connection leaves its groups and is
//!   detached from the layer.

use std::borrow::Cow;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::{FutureExt, Sink, SinkExt, Stream, StreamExt};
use tracing::Instrument;

use crate::auth::{Authenticator, Handshake, origin_allowed};
use crate::channel::{BoxFuture, Channel, HandlerResult, Params, Service};
use crate::config::{AuthFailure, Config};
use crate::context::{AuthData, Context};
use crate::event::{AnyEvents, EventHandler, Mounted as EventsMounted};
use crate::frame::{CloseFrame, Frame, TransportError, TransportErrorKind, close_code};
use crate::hub::{Hub, Metrics};
use crate::layer::{ChannelLayer, ConnId, ConnShared, Mailbox, Origin, Outgoing};
use crate::limits::{self, Bucket, ConnCounter, ConnPermit, Verdict};
use crate::message::Message;
use crate::outbox::Outbox;
use crate::protocol::{self, Envelope, Ref};
use crate::scan;
use crate::topic::{Mounted, Topic, Topics};

/// A channel ready to be served: its service (generated glue around your handler), the hub,
/// settings, authenticator and origin allowlist. Cheap to clone.
pub struct Endpoint<C: Channel> {
    service: Arc<dyn Service<C>>,
    hub: Hub,
    config: Arc<Config>,
    auth: Option<Arc<dyn Authenticator>>,
    origins: Arc<[String]>,
    address: Arc<str>,
    conns: Arc<ConnCounter>,
    topics: Topics<C>,
    events: Option<Arc<dyn AnyEvents<C>>>,
}

impl<C: Channel> Clone for Endpoint<C> {
    fn clone(&self) -> Self {
        Self {
            service: self.service.clone(),
            hub: self.hub.clone(),
            config: self.config.clone(),
            auth: self.auth.clone(),
            origins: self.origins.clone(),
            address: self.address.clone(),
            conns: self.conns.clone(),
            topics: self.topics.clone(),
            events: self.events.clone(),
        }
    }
}

impl<C: Channel> std::fmt::Debug for Endpoint<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoint")
            .field("channel", &C::NAME)
            .field("address", &self.address)
            .field("config", &self.config)
            .field("origins", &self.origins)
            .finish_non_exhaustive()
    }
}

/// The upgrade was refused before it happened (answer with this HTTP status).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("upgrade refused ({status}): {detail}")]
pub struct Rejected {
    /// HTTP status (400 bad path parameters, 401/403 auth, 403 origin).
    pub status: u16,
    /// Response body.
    pub detail: String,
}

/// A handshake that passed: what the connection starts with.
pub struct Accepted<C: Channel> {
    params: Option<C::Params>,
    path: String,
    auth: Option<AuthData>,
    refuse: Option<CloseFrame>,
    permit: Option<ConnPermit>,
    /// The topic this route subscribes on connect.
    topic: Option<Arc<str>>,
}

impl<C: Channel> std::fmt::Debug for Accepted<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Accepted").field("path", &self.path).field("refuse", &self.refuse).finish()
    }
}

impl<C: Channel> Accepted<C> {
    /// The close frame the connection will be closed with right after the upgrade (a failed
    /// authentication in Chanx's accept-then-close mode).
    pub fn refusal(&self) -> Option<&CloseFrame> {
        self.refuse.as_ref()
    }
}

/// What a transport does by itself.
#[derive(Debug, Clone, Copy, Default)]
pub struct TransportOptions {
    /// The transport answers pings itself (tungstenite does); otherwise the driver queues pongs.
    pub answers_pings: bool,
}

impl<C: Channel> Endpoint<C> {
    /// An endpoint for a channel, served at `C::ADDRESS` (or `/ws/<NAME>` when there is none).
    pub fn new(service: impl Service<C>, hub: Hub) -> Self {
        let address = C::ADDRESS.map_or_else(|| format!("/ws/{}", C::NAME), str::to_owned);
        Self {
            service: Arc::new(service),
            hub,
            config: Arc::new(Config::default()),
            auth: None,
            origins: Arc::from(Vec::new()),
            address: address.into(),
            conns: Arc::default(),
            topics: Topics::default(),
            events: None,
        }
    }

    /// Sets the handler of typed server events ([`Hub::broadcast_event`], [`Hub::send_event`]):
    /// it decides, for each connection, what its client gets (see [`crate::event`]). Without
    /// one, the channel's connections ignore events.
    pub fn with_events(mut self, handler: impl EventHandler<C>) -> Self {
        self.events = Some(Arc::new(EventsMounted(handler)));
        self
    }

    /// Mounts a topic: clients subscribe to names that match its pattern with frames that
    /// carry `"topic"` (see [`crate::topic`]). Frames without a topic still go to the channel's
    /// own handlers.
    pub fn with_topic<T: Topic<C>>(mut self, topic: T) -> Self {
        self.topics = self.topics.with(Arc::new(Mounted::new::<C>(topic))).0;
        self
    }

    /// Mounts a topic as this route's own: connecting subscribes to the topic named by filling
    /// its pattern from the address parameters (`/ws/orders/{order_id}` serves
    /// `order:{order_id}`), with an unsolicited `subscribed`, and frames without a `topic` are
    /// addressed to it.
    pub fn with_default_topic<T: Topic<C>>(mut self, topic: T) -> Self {
        let (mut topics, index) = self.topics.with(Arc::new(Mounted::new::<C>(topic)));
        topics.default = Some(index);
        self.topics = topics;
        self
    }

    /// Replaces the connection settings.
    pub fn with_config(mut self, config: Config) -> Self {
        self.config = Arc::new(config);
        self
    }

    /// Sets the authenticator, run before every upgrade.
    pub fn with_authenticator(mut self, auth: impl Authenticator) -> Self {
        self.auth = Some(Arc::new(auth));
        self
    }

    /// Allows only these origins (`scheme://host[:port]`); browsers from elsewhere get 403.
    /// Scheme and host compare case-insensitively and a default port may be written or not
    /// (`https://app.example:443` is `https://app.example`).
    pub fn allow_origins<I, S>(mut self, origins: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.origins = origins.into_iter().map(Into::into).collect::<Vec<_>>().into();
        self
    }

    /// Serves the channel at another address (`{param}` placeholders allowed).
    pub fn at(mut self, address: impl Into<String>) -> Self {
        self.address = address.into().into();
        self
    }

    /// The address the channel is served at.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// The connection settings.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The hub connections of this endpoint use.
    pub fn hub(&self) -> &Hub {
        &self.hub
    }

    /// Judges an upgrade request: origin, path parameters, authentication.
    pub async fn handshake(&self, req: &Handshake) -> Result<Accepted<C>, Rejected> {
        if !origin_allowed(&self.origins, &req.headers) {
            tracing::info!(path = %req.path, origin = ?req.headers.get(http::header::ORIGIN), "origin refused");
            return Err(Rejected { status: 403, detail: "origin not allowed".to_owned() });
        }
        let params = C::Params::from_path(&req.path_values)
            .map_err(|e| Rejected { status: 400, detail: e.to_string() })?;
        let Some(permit) = self.conns.try_acquire(self.config.limits.max_connections) else {
            self.hub.metrics_handle().count_refused_full();
            tracing::warn!(path = %req.path, open = self.conns.open(), "connection limit reached, refusing upgrade");
            return Err(Rejected { status: 503, detail: "too many connections".to_owned() });
        };
        let topic = match self.topics.default_name(&req.path_values) {
            None => None,
            Some(Ok(name)) => Some(name),
            Some(Err(missing)) => {
                tracing::error!(path = %req.path, parameter = %missing, "the default topic's pattern needs a parameter the address lacks");
                return Err(Rejected { status: 500, detail: "topic route misconfigured".to_owned() });
            }
        };
        let mut accepted = Accepted {
            params: Some(params),
            path: req.path.clone(),
            auth: None,
            refuse: None,
            permit: Some(permit),
            topic,
        };
        if let Some(auth) = &self.auth {
            let result = AssertUnwindSafe(auth.authenticate(req)).catch_unwind().await;
            match result {
                Ok(Ok(data)) => accepted.auth = Some(data),
                Ok(Err(rejection)) => {
                    tracing::info!(path = %req.path, status = rejection.status, "authentication refused");
                    match self.config.auth_failure {
                        AuthFailure::HttpStatus => {
                            return Err(Rejected { status: rejection.status, detail: rejection.detail });
                        }
                        AuthFailure::CloseCode => {
                            accepted.refuse = Some(CloseFrame::new(rejection.close_code(), rejection.detail));
                        }
                    }
                }
                Err(_) => {
                    tracing::error!(path = %req.path, "authenticator panicked");
                    return Err(Rejected { status: 500, detail: "authentication failed".to_owned() });
                }
            }
        }
        Ok(accepted)
    }

    /// Runs one accepted connection over a transport until it ends. The sink moves into a
    /// writer task (so it must be `Send`); the stream is read by the calling task.
    pub async fn run<St, E, Si>(
        &self,
        accepted: Accepted<C>,
        stream: St,
        sink: Si,
        transport: TransportOptions,
    ) where
        St: Stream<Item = Result<Frame, E>> + Unpin,
        E: Into<TransportError>,
        Si: Sink<Frame> + Send + Unpin + 'static,
        Si::Error: std::fmt::Display,
    {
        let layer = self.hub.layer().clone();
        let metrics = self.hub.metrics_handle().clone();
        let id = layer.new_conn_id();
        let span = tracing::info_span!("ws_connection", conn = %id, channel = C::NAME, path = %accepted.path);
        let shared = Arc::new(ConnShared::new(
            id.clone(),
            self.config.slow_consumer,
            metrics.clone(),
            self.config.outbox_capacity,
        ));
        let mailbox = Mailbox::new(shared.clone());
        let registration = Registration::new(layer.clone(), id, metrics.clone());
        let writer = tokio::spawn(
            writer_loop(sink, shared.clone(), self.config.clone(), metrics).instrument(span.clone()),
        );
        let body = async move {
            tracing::debug!("connection opened");
            if let Some(frame) = accepted.refuse {
                shared.request_close(Some(frame), false);
            } else if self.hub.is_shutting_down() {
                shared.request_close(Some(CloseFrame::new(close_code::GOING_AWAY, "server shutdown")), false);
            } else if let Some(params) = accepted.params {
                let events =
                    self.events.as_ref().and_then(|_| shared.open_events(self.config.outbox_capacity));
                layer.attach(mailbox.clone());
                let ctx = Context::new(
                    shared.clone(),
                    mailbox.clone(),
                    params,
                    accepted.path,
                    accepted.auth,
                    self.hub.clone(),
                    self.config.limits.max_groups,
                );
                ctx.set_default_topic(accepted.topic);
                self.serve(&ctx, stream, events, transport).await;
                for group in ctx.groups() {
                    if let Err(e) = layer.group_discard(&group, ctx.id()).await {
                        tracing::warn!(group = %group, error = %e, "leaving group failed");
                    }
                }
                layer.detach(ctx.id());
            }
            drop(mailbox);
            let budget = self.config.drain_timeout + self.config.write_timeout * 2;
            let mut writer = writer;
            if tokio::time::timeout(budget, &mut writer).await.is_err() {
                writer.abort();
            }
            let close = shared.close_request().and_then(|r| r.frame);
            tracing::debug!(close = ?close.as_ref().map(|c| c.code), "connection closed");
            drop(registration);
            drop(accepted.permit);
        };
        body.instrument(span).await
    }

    /// `on_connect`, the read loop, `on_disconnect`.
    async fn serve<St, E>(
        &self,
        ctx: &Context<C>,
        stream: St,
        events: Option<Inbox>,
        transport: TransportOptions,
    ) where
        St: Stream<Item = Result<Frame, E>> + Unpin,
        E: Into<TransportError>,
    {
        let shared = ctx.shared().clone();
        let connected = guarded(|| self.service.on_connect(ctx)).await;
        let connected = match connected {
            Ok(Ok(())) => true,
            Ok(Err(e)) => {
                tracing::warn!(error = %e, cause = ?e.cause(), "on_connect failed");
                let frame = if e.error_items().is_empty() {
                    protocol::error_detail_frame(e.detail())
                } else {
                    protocol::error_items_frame(e.error_items())
                };
                ctx.send_encoded(frame, false);
                shared.request_close(
                    Some(CloseFrame::new(close_code::INTERNAL_ERROR, e.detail().to_owned())),
                    true,
                );
                false
            }
            Err(panic) => {
                self.hub.metrics_handle().count_handler_panic();
                tracing::error!(panic = %panic, "on_connect panicked");
                shared.request_close(
                    Some(CloseFrame::new(close_code::INTERNAL_ERROR, "internal error")),
                    false,
                );
                false
            }
        };
        if connected {
            if let Some(name) = ctx.default_topic() {
                self.subscribe_default(ctx, name.clone()).await;
            }
            let mut stream = stream;
            if self.read_loop(ctx, &mut stream, events, transport).await == ReadEnd::Closing {
                linger(&mut stream).await;
            }
        }
        if !self.topics.mounted.is_empty() {
            self.topics.leave_all(ctx).await;
        }
        if guarded(|| self.service.on_disconnect(ctx)).await.is_err() {
            self.hub.metrics_handle().count_handler_panic();
            tracing::error!("on_disconnect panicked");
        }
    }

    /// Subscribes a dedicated topic route's connection to its topic.
    async fn subscribe_default(&self, ctx: &Context<C>, name: Arc<str>) {
        ctx.set_envelope(Some(Envelope::topic(name.clone())));
        let max = self.config.limits.max_groups;
        let subscribed = guarded(|| Box::pin(self.topics.subscribe::<C::Server>(ctx, name, max))).await;
        let action = "subscribe";
        let span = tracing::debug_span!("ws_message", action, outcome = tracing::field::Empty);
        self.conclude_with(ctx, action, subscribed.map(|r| r.map(|_| None)), &span, None, false);
    }

    async fn read_loop<St, E>(
        &self,
        ctx: &Context<C>,
        mut stream: St,
        mut events: Option<Inbox>,
        transport: TransportOptions,
    ) -> ReadEnd
    where
        St: Stream<Item = Result<Frame, E>> + Unpin,
        E: Into<TransportError>,
    {
        let shared = ctx.shared();
        let shutdown = self.hub.shutdown_signal();
        let cfg = &*self.config;
        let close_now = |code: u16, reason: &'static str| {
            shared.request_close(Some(CloseFrame::new(code, reason)), false);
            ReadEnd::Closing
        };
        // Past the rate limit: replies and `rate_limited` errors already queued go out first.
        let close_rate = || {
            let frame = CloseFrame::new(close_code::POLICY_VIOLATION, "rate limit exceeded");
            shared.request_close(Some(frame), true);
            ReadEnd::Closing
        };
        let mut bucket = cfg.limits.rate.map(|r| Bucket::new(r, Instant::now()));
        let going_away = || {
            shared.request_close(Some(CloseFrame::new(close_code::GOING_AWAY, "server shutdown")), true);
            ReadEnd::Closing
        };
        loop {
            if shared.stop.is_set() {
                return ReadEnd::Closing;
            }
            if shutdown.is_set() {
                return going_away();
            }
            // Events queued while frames kept the reader busy are handled between frames.
            if let Some(event) = events.as_mut().and_then(|rx| rx.try_recv().ok()) {
                self.handle_event(ctx, event).await;
                continue;
            }
            // A frame the transport already holds is taken without a timer or a wake-up; only
            // when the reader is about to wait does its writer get the replies queued so far.
            let next = match stream.next().now_or_never() {
                Some(item) => Ok(item),
                None => {
                    ctx.mailbox().release_deferred();
                    tokio::select! {
                        biased;
                        () = shared.stop.wait() => return ReadEnd::Closing,
                        () = shutdown.wait() => return going_away(),
                        Some(event) = next_event(&mut events) => {
                            self.handle_event(ctx, event).await;
                            continue;
                        }
                        next = next_frame(&mut stream, cfg.idle_timeout) => next,
                    }
                }
            };
            let frame = match next {
                Err(Idle) => {
                    self.hub.metrics_handle().count_idle_closed();
                    tracing::debug!("idle timeout");
                    return close_now(close_code::GOING_AWAY, "idle timeout");
                }
                Ok(None) => {
                    shared.request_close(None, false);
                    return ReadEnd::PeerClosed;
                }
                Ok(Some(Err(e))) => {
                    let e: TransportError = e.into();
                    tracing::debug!(error = %e, "transport error");
                    return match e.kind {
                        TransportErrorKind::TooLarge => {
                            close_now(close_code::MESSAGE_TOO_BIG, "frame too large")
                        }
                        TransportErrorKind::InvalidUtf8 => {
                            close_now(close_code::INVALID_PAYLOAD, "invalid utf-8")
                        }
                        TransportErrorKind::Protocol => {
                            close_now(close_code::PROTOCOL_ERROR, "protocol error")
                        }
                        TransportErrorKind::Closed => {
                            shared.request_close(None, false);
                            ReadEnd::PeerClosed
                        }
                    };
                }
                Ok(Some(Ok(frame))) => frame,
            };
            match frame {
                Frame::Text(bytes) => {
                    if bytes.len() > cfg.max_frame_size {
                        return close_now(close_code::MESSAGE_TOO_BIG, "frame too large");
                    }
                    let Ok(text) = std::str::from_utf8(&bytes) else {
                        return close_now(close_code::INVALID_PAYLOAD, "invalid utf-8");
                    };
                    match self.admit(ctx, &mut bucket) {
                        Verdict::Allow => {
                            if !self.room_for_replies(ctx).await {
                                return ReadEnd::Closing;
                            }
                            Handling::new(self, ctx, Input::Text(text)).await;
                        }
                        Verdict::Refuse => {}
                        Verdict::Close => {
                            return close_rate();
                        }
                    }
                }
                Frame::Binary(bytes) => {
                    if bytes.len() > cfg.max_frame_size {
                        return close_now(close_code::MESSAGE_TOO_BIG, "frame too large");
                    }
                    match self.admit(ctx, &mut bucket) {
                        Verdict::Allow => {
                            if !self.room_for_replies(ctx).await {
                                return ReadEnd::Closing;
                            }
                            Handling::new(self, ctx, Input::Binary(bytes)).await;
                        }
                        Verdict::Refuse => {}
                        Verdict::Close => {
                            return close_rate();
                        }
                    }
                }
                Frame::Ping(payload) => {
                    if !transport.answers_pings {
                        ctx.mailbox().push_deferred(Outgoing::Pong(payload), true);
                    }
                }
                Frame::Pong(_) => {}
                Frame::Close(frame) => {
                    let code = frame.map_or(close_code::NORMAL, |f| f.code);
                    tracing::debug!(code, "client closed");
                    shared.request_close(Some(CloseFrame::new(code, "")), false);
                    return ReadEnd::PeerClosed;
                }
            }
        }
    }

    /// Runs the event handler for one event (boxed: rare next to frames, and the reader's
    /// state stays small).
    async fn handle_event(&self, ctx: &Context<C>, event: Bytes) {
        if let Some(events) = &self.events {
            Box::pin(crate::event::handle(&**events, ctx, event)).await;
        }
    }

    /// Backpressure on this client alone: before handling its next frame, wait (up to the write
    /// timeout) for room in its outbox, so pipelined requests are answered, not dropped. Returns
    /// `false` when the connection is closing instead.
    async fn room_for_replies(&self, ctx: &Context<C>) -> bool {
        if ctx.mailbox().has_room_for_replies() {
            return true;
        }
        let shared = ctx.shared();
        // Boxed, like frame handling: rare, and bigger than an idle connection's state.
        Box::pin(async {
            tokio::select! {
                biased;
                () = shared.stop.wait() => false,
                room = ctx.mailbox().wait_for_room(self.config.write_timeout) => room,
            }
        })
        .await
    }

    /// Takes a token for one client frame; a refused frame gets a `rate_limited` error frame.
    fn admit(&self, ctx: &Context<C>, bucket: &mut Option<Bucket>) -> Verdict {
        let Some(bucket) = bucket else { return Verdict::Allow };
        let verdict = bucket.take(Instant::now());
        let metrics = self.hub.metrics_handle();
        match verdict {
            Verdict::Allow => {}
            Verdict::Refuse => {
                metrics.count_rate_limited();
                tracing::debug!(outcome = "rate_limited", "frame refused");
                let item = limits::rate_limited(bucket.limit());
                ctx.queue_encoded(protocol::error_items_frame(&[item]), true);
            }
            Verdict::Close => {
                metrics.count_rate_limited();
                metrics.count_rate_closed();
                tracing::warn!("rate limit exceeded, closing");
            }
        }
        verdict
    }

    /// Decodes one text frame and starts its handler (see [`Endpoint::dispatch`]); queues the
    /// errors of a refused frame.
    fn handle_text<'a>(
        &'a self,
        cx: &mut TaskContext<'_>,
        ctx: &'a Context<C>,
        text: &str,
    ) -> Option<Waiting<'a, C>> {
        let scanned = match scan::scan_frame(text, self.config.limits.max_json_depth) {
            Ok(scanned) => scanned,
            Err(item) => {
                tracing::debug!(outcome = "json_invalid", msg = %item.msg, "frame refused");
                ctx.queue_encoded(protocol::error_items_frame(&[item]), false);
                return None;
            }
        };
        let envelope = if scanned.envelope_keys { protocol::read_envelope(text) } else { Ok(None) };
        let mut envelope = match envelope {
            Ok(e) => e,
            Err(items) => {
                tracing::debug!(outcome = "invalid_envelope", errors = items.len());
                ctx.queue_encoded(protocol::error_items_frame(&items), false);
                return None;
            }
        };
        // Frames addressed to a topic (or on a topic's own route) go to the topic.
        if let Some(name) =
            ctx.default_topic().filter(|_| envelope.as_ref().is_none_or(|e| e.topic.is_none()))
        {
            envelope.get_or_insert_with(Envelope::default).topic = Some(name.clone());
        }
        if let Some(envelope) = envelope.take_if(|e| e.topic.is_some()) {
            let max = self.config.limits.max_groups;
            let completion = self.config.send_completion;
            let (action, fut) = self.topics.route(ctx, text, envelope, max, completion)?;
            return self.dispatch(cx, ctx, action, || fut);
        }
        let reference = envelope.and_then(|e| e.reference);
        let stripped =
            if scanned.envelope_keys { protocol::strip_envelope_keys(text) } else { Cow::Borrowed(text) };
        let text = &*stripped;
        match C::Client::decode(text) {
            Err(err) => {
                // A frame that is not even a JSON object is refused before routing, like Chanx:
                // no ref, no completion.
                let routed = protocol::is_json_object(text);
                ctx.set_ref(if routed { reference } else { None });
                tracing::debug!(outcome = "invalid", errors = err.errors.len(), "frame refused");
                ctx.queue_encoded(protocol::error_items_frame(&err.errors), false);
                if routed && self.config.send_completion {
                    ctx.queue_encoded(protocol::COMPLETE, false);
                }
                ctx.set_ref(None);
                None
            }
            Ok(msg) => {
                let action = msg.tag();
                ctx.set_ref(reference);
                self.dispatch(cx, ctx, action, || self.service.dispatch(ctx, msg))
            }
        }
    }

    /// Starts the handler of a binary frame, or refuses the frame.
    fn handle_binary<'a>(
        &'a self,
        cx: &mut TaskContext<'_>,
        ctx: &'a Context<C>,
        data: Bytes,
    ) -> Option<Waiting<'a, C>> {
        let mut data = Some(data);
        let mut handler = None;
        let probe = std::panic::catch_unwind(AssertUnwindSafe(|| {
            handler = self.service.dispatch_binary(ctx, data.take().expect("taken once"));
        }));
        match (probe, handler) {
            (Ok(()), Some(fut)) => self.dispatch(cx, ctx, "binary", move || fut),
            (Ok(()), None) => {
                tracing::debug!(outcome = "invalid", "binary frame refused");
                ctx.queue_encoded(protocol::error_items_frame(&[protocol::binary_not_supported()]), false);
                None
            }
            (Err(_), _) => {
                self.hub.metrics_handle().count_handler_panic();
                tracing::error!(action = "binary", "handler panicked");
                ctx.queue_encoded(
                    protocol::error_detail_frame("Failed to process message for binary"),
                    false,
                );
                None
            }
        }
    }

    /// Builds the handler's future and polls it once, in its span and catching panics. A
    /// handler that finishes then (most do) is concluded at once, with no further state; one
    /// that waits comes back to be awaited by [`Endpoint::finish`].
    fn dispatch<'a>(
        &self,
        cx: &mut TaskContext<'_>,
        ctx: &'a Context<C>,
        action: &'static str,
        handler: impl FnOnce() -> BoxFuture<'a, Reply<C>>,
    ) -> Option<Waiting<'a, C>> {
        let reference = ctx.current_ref();
        let span = tracing::debug_span!(
            "ws_message",
            action,
            r#ref = reference.as_ref().map(Ref::as_str),
            outcome = tracing::field::Empty,
            duration_us = tracing::field::Empty,
        );
        // The clock is read only when the span records the duration.
        let started = (!span.is_disabled()).then(Instant::now);
        // Building the future and its first poll both run user code: a panic in either is caught.
        let first = {
            let _entered = span.enter();
            std::panic::catch_unwind(AssertUnwindSafe(handler)).and_then(|mut fut| {
                std::panic::catch_unwind(AssertUnwindSafe(|| fut.as_mut().poll(cx))).map(|poll| (poll, fut))
            })
        };
        match first {
            Ok((Poll::Ready(result), _)) => self.conclude(ctx, action, Ok(result), &span, started),
            Ok((Poll::Pending, fut)) => return Some(Waiting { action, fut, span, started }),
            Err(panic) => self.conclude(ctx, action, Err(Panic::from_payload(panic)), &span, started),
        }
        None
    }

    /// Awaits a handler that did not finish on its first poll, then concludes it.
    async fn finish<'a>(&self, ctx: &'a Context<C>, waiting: Waiting<'a, C>) {
        let Waiting { action, fut, span, started } = waiting;
        let result = AssertUnwindSafe(fut).catch_unwind().instrument(span.clone()).await;
        self.conclude(ctx, action, result.map_err(Panic::from_payload), &span, started);
    }

    /// Queues what a handler's result calls for (reply, error frame, completion) and records
    /// the outcome on its span.
    fn conclude(
        &self,
        ctx: &Context<C>,
        action: &'static str,
        result: Result<Reply<C>, Panic>,
        span: &tracing::Span,
        started: Option<Instant>,
    ) {
        self.conclude_with(ctx, action, result, span, started, self.config.send_completion);
    }

    /// [`Endpoint::conclude`], with or without the completion frame.
    fn conclude_with(
        &self,
        ctx: &Context<C>,
        action: &'static str,
        result: Result<Reply<C>, Panic>,
        span: &tracing::Span,
        started: Option<Instant>,
        completion: bool,
    ) {
        let outcome = match result {
            Ok(Ok(Some(reply))) => {
                ctx.queue_encoded(reply.encode(), false);
                "ok"
            }
            Ok(Ok(None)) => "ok",
            Ok(Err(e)) => {
                self.hub.metrics_handle().count_handler_failure();
                let frame = match e.cause() {
                    Some(cause) => {
                        span.in_scope(|| tracing::warn!(error = %cause, "handler failed"));
                        protocol::error_detail_frame(&format!("Failed to process message for {action}"))
                    }
                    None if !e.error_items().is_empty() => protocol::error_items_frame(e.error_items()),
                    None => protocol::error_detail_frame(e.detail()),
                };
                ctx.queue_encoded(frame, false);
                "error"
            }
            Err(panic) => {
                self.hub.metrics_handle().count_handler_panic();
                span.in_scope(|| tracing::error!(panic = %panic, "handler panicked"));
                ctx.queue_encoded(
                    protocol::error_detail_frame(&format!("Failed to process message for {action}")),
                    false,
                );
                "panic"
            }
        };
        if completion {
            ctx.queue_encoded(protocol::COMPLETE, false);
        }
        ctx.set_ref(None);
        span.record("outcome", outcome);
        if let Some(started) = started {
            span.record("duration_us", started.elapsed().as_micros() as u64);
        }
        span.in_scope(|| tracing::debug!(outcome, "message handled"));
    }
}

/// A panic caught in user code, with its message.
struct Panic(String);

impl Panic {
    fn from_payload(p: Box<dyn std::any::Any + Send>) -> Self {
        Panic(
            p.downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| p.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "non-string panic payload".to_owned()),
        )
    }
}

impl std::fmt::Display for Panic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a handler returns.
type Reply<C> = HandlerResult<Option<<C as Channel>::Server>>;

/// A client frame to handle.
enum Input<'t> {
    Text(&'t str),
    Binary(Bytes),
}

/// Handling one client frame. Its first poll decodes the frame and polls the handler once, so
/// a handler that finishes then (most do) needs no more state; only one that waits is boxed and
/// awaited from then on. Kept small: the reader holds it in its task, which every idle
/// connection carries.
struct Handling<'a, 't, C: Channel> {
    endpoint: &'a Endpoint<C>,
    ctx: &'a Context<C>,
    input: Option<Input<'t>>,
    waiting: Option<BoxFuture<'a, ()>>,
}

impl<'a, 't, C: Channel> Handling<'a, 't, C> {
    fn new(endpoint: &'a Endpoint<C>, ctx: &'a Context<C>, input: Input<'t>) -> Self {
        Self { endpoint, ctx, input: Some(input), waiting: None }
    }
}

impl<C: Channel> Future for Handling<'_, '_, C> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<()> {
        let this = &mut *self;
        if let Some(input) = this.input.take() {
            let (endpoint, ctx) = (this.endpoint, this.ctx);
            let waiting = match input {
                Input::Text(text) => endpoint.handle_text(cx, ctx, text),
                Input::Binary(bytes) => endpoint.handle_binary(cx, ctx, bytes),
            };
            match waiting {
                Some(waiting) => this.waiting = Some(Box::pin(endpoint.finish(ctx, waiting))),
                None => return Poll::Ready(()),
            }
        }
        match &mut this.waiting {
            Some(waiting) => waiting.as_mut().poll(cx),
            None => Poll::Ready(()),
        }
    }
}

/// A handler that did not finish on its first poll, with what concluding it needs.
struct Waiting<'a, C: Channel> {
    action: &'static str,
    fut: BoxFuture<'a, Reply<C>>,
    span: tracing::Span,
    started: Option<Instant>,
}

/// Builds and runs a user future, catching panics in both steps.
async fn guarded<'a, T>(make: impl FnOnce() -> BoxFuture<'a, T>) -> Result<T, Panic> {
    let fut = std::panic::catch_unwind(AssertUnwindSafe(make)).map_err(Panic::from_payload)?;
    AssertUnwindSafe(fut).catch_unwind().await.map_err(Panic::from_payload)
}

struct Idle;

/// A connection's event inbox (see [`crate::event`]).
type Inbox = tokio::sync::mpsc::Receiver<Bytes>;

/// The next event, or never when the channel takes none.
async fn next_event(events: &mut Option<Inbox>) -> Option<Bytes> {
    match events {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

async fn next_frame<St: Stream + Unpin>(
    stream: &mut St,
    idle: Option<Duration>,
) -> Result<Option<St::Item>, Idle> {
    match idle {
        Some(limit) => tokio::time::timeout(limit, stream.next()).await.map_err(|_| Idle),
        None => Ok(stream.next().await),
    }
}

/// Detaches the connection and counts it closed even if the driver future is dropped.
struct Registration {
    layer: Arc<dyn ChannelLayer>,
    id: ConnId,
    metrics: Arc<Metrics>,
}

impl Registration {
    fn new(layer: Arc<dyn ChannelLayer>, id: ConnId, metrics: Arc<Metrics>) -> Self {
        metrics.connection_opened();
        Self { layer, id, metrics }
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.layer.detach(&self.id);
        self.metrics.connection_closed();
    }
}

const BATCH: usize = 64;

/// What woke an idle writer.
enum Wake {
    Stop,
    Item(Outgoing),
    Ping,
}

async fn writer_loop<Si>(mut sink: Si, shared: Arc<ConnShared>, cfg: Arc<Config>, metrics: Arc<Metrics>)
where
    Si: Sink<Frame> + Unpin,
    Si::Error: std::fmt::Display,
{
    // However the writer ends (even aborted), producers see a closed outbox.
    let _closing = CloseOnDrop(&shared);
    let rx = &shared.outbox;
    let mut writer = Writer { sink: &mut sink, timeout: cfg.write_timeout, completion: cfg.send_completion };
    let mut ping = cfg.ping_interval.map(|every| {
        let mut i = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        i.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        i
    });
    // This state is what every idle connection keeps in its task, so it stays small: waiting
    // is a `select` over three small futures; a batch is written synchronously while the sink
    // takes it, and only a write that must wait (with its timeout) gets a boxed future.
    let result: Result<(), WriteFailed> = async {
        loop {
            let wake = tokio::select! {
                biased;
                () = shared.stop.wait() => Wake::Stop,
                item = rx.pop() => match item {
                    Some(item) => Wake::Item(item),
                    None => Wake::Stop,
                },
                _ = tick(&mut ping) => Wake::Ping,
            };
            match wake {
                Wake::Stop => return Ok(()),
                Wake::Item(item) => {
                    let mut item = Some(item);
                    let rest = std::future::poll_fn(|cx| {
                        Poll::Ready(item.take().map_or(Ok(None), |item| writer.write_now(cx, item, rx)))
                    })
                    .await?;
                    if let Some(rest) = rest {
                        // An immediate close interrupts a write stuck on a slow client; a
                        // draining close lets the batch finish (its writes have their own
                        // timeouts).
                        let finish = Box::pin(writer.finish_batch(rest, rx));
                        tokio::select! {
                            biased;
                            () = immediate_close(&shared) => return Ok(()),
                            written = finish => written?,
                        }
                    }
                }
                Wake::Ping => {
                    Box::pin(async {
                        writer.write(Frame::Ping(Bytes::new())).await?;
                        writer.flush().await
                    })
                    .await?;
                }
            }
        }
    }
    .await;
    match result {
        Err(WriteFailed::Timeout) => {
            metrics.count_write_timeout();
            tracing::warn!("write timed out, dropping connection");
            shared.request_close(None, false);
            return;
        }
        Err(WriteFailed::Error(e)) => {
            tracing::debug!(error = %e, "write failed");
            shared.request_close(None, false);
            return;
        }
        Ok(()) => {}
    }
    let request = shared.close_request();
    if let Some(request) = request {
        if request.drain {
            let deadline = tokio::time::Instant::now() + cfg.drain_timeout;
            while let Some(item) = rx.try_pop() {
                if tokio::time::Instant::now() >= deadline || writer.feed(item).await.is_err() {
                    break;
                }
            }
        }
        if let Some(frame) = request.frame {
            let _ = writer.write(Frame::Close(Some(frame))).await;
        }
        let _ = writer.flush().await;
    }
    rx.close();
    let _ = tokio::time::timeout(cfg.write_timeout, sink.close()).await;
}

/// Closes a connection's outbox when its writer ends.
struct CloseOnDrop<'a>(&'a ConnShared);

impl Drop for CloseOnDrop<'_> {
    fn drop(&mut self) {
        self.0.outbox.close();
    }
}

/// Why the reader stopped.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum ReadEnd {
    /// The client sent its close frame or its stream ended: nothing more will arrive.
    PeerClosed,
    /// The server is closing while the client may still be sending: [`linger`] before dropping.
    Closing,
}

/// How long a closing connection keeps reading (and discarding) what the client still sends.
const LINGER: Duration = Duration::from_secs(2);

/// After the reader stops, keep reading and discarding the client's frames until it closes (or
/// [`LINGER`] passes). Dropping a socket with unread input makes the kernel send a reset, which
/// can destroy replies and the close frame the client has not read yet; this is the closing
/// handshake's "wait for the peer's close".
async fn linger<St, E>(stream: &mut St)
where
    St: Stream<Item = Result<Frame, E>> + Unpin,
{
    let _ = tokio::time::timeout(LINGER, async {
        while let Some(Ok(frame)) = stream.next().await {
            if matches!(frame, Frame::Close(_)) {
                break;
            }
        }
    })
    .await;
}

/// Resolves when the connection must close without flushing what is queued.
async fn immediate_close(shared: &ConnShared) {
    shared.stop.wait().await;
    if shared.close_request().is_some_and(|r| r.drain) {
        std::future::pending::<()>().await;
    }
}

async fn tick(interval: &mut Option<tokio::time::Interval>) {
    match interval {
        Some(i) => {
            i.tick().await;
        }
        None => std::future::pending().await,
    }
}

enum WriteFailed {
    Timeout,
    Error(String),
}

struct Writer<'s, Si> {
    sink: &'s mut Si,
    timeout: Duration,
    completion: bool,
}

impl<Si> Writer<'_, Si>
where
    Si: Sink<Frame> + Unpin,
    Si::Error: std::fmt::Display,
{
    async fn write(&mut self, frame: Frame) -> Result<(), WriteFailed> {
        match within(self.timeout, self.sink.feed(frame)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(WriteFailed::Error(e.to_string())),
            Err(_) => Err(WriteFailed::Timeout),
        }
    }

    async fn flush(&mut self) -> Result<(), WriteFailed> {
        match within(self.timeout, self.sink.flush()).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(WriteFailed::Error(e.to_string())),
            Err(_) => Err(WriteFailed::Timeout),
        }
    }

    async fn feed(&mut self, item: Outgoing) -> Result<(), WriteFailed> {
        let (frame, completion) = frames(item, self.completion);
        self.write(frame).await?;
        if let Some(frame) = completion {
            self.write(frame).await?;
        }
        Ok(())
    }

    /// Writes `first` and up to [`BATCH`] more queued items, then flushes, as far as the sink
    /// allows without waiting. Returns what is left when it would have to wait.
    fn write_now(
        &mut self,
        cx: &mut TaskContext<'_>,
        first: Outgoing,
        rx: &Outbox,
    ) -> Result<Option<Rest>, WriteFailed> {
        // Queued items are taken a few at a time (one lock each time); those not handed to
        // the sink when it stops taking go back to the front of the outbox.
        let mut taken_now: [Option<Outgoing>; 8] = Default::default();
        let (mut at, mut filled) = (0, 0);
        let mut next = Some(first);
        let mut taken = 0;
        while let Some(item) = next.take() {
            let (frame, completion) = frames(item, self.completion);
            let refused = match self.start_send_now(cx, frame)? {
                Some(frame) => Some([Some(frame), completion]),
                None => match completion {
                    Some(frame) => self.start_send_now(cx, frame)?.map(|frame| [Some(frame), None]),
                    None => None,
                },
            };
            if let Some(frames) = refused {
                let left = filled - at;
                rx.unpop(taken_now[at..filled].iter_mut().filter_map(Option::take));
                return Ok(Some(Rest { frames, taken: taken - left }));
            }
            if at == filled && taken < BATCH {
                let want = (BATCH - taken).min(taken_now.len());
                (at, filled) = (0, rx.try_pop_many(&mut taken_now[..want]));
                taken += filled;
            }
            if at < filled {
                next = taken_now[at].take();
                at += 1;
            }
        }
        match Pin::new(&mut *self.sink).poll_flush(cx) {
            Poll::Ready(Ok(())) => Ok(None),
            Poll::Ready(Err(e)) => Err(WriteFailed::Error(e.to_string())),
            Poll::Pending => Ok(Some(Rest { frames: [None, None], taken: BATCH })),
        }
    }

    /// Hands `frame` to the sink if it takes it now; gives it back otherwise.
    fn start_send_now(
        &mut self,
        cx: &mut TaskContext<'_>,
        frame: Frame,
    ) -> Result<Option<Frame>, WriteFailed> {
        let mut sink = Pin::new(&mut *self.sink);
        match sink.as_mut().poll_ready(cx) {
            Poll::Ready(Ok(())) => match sink.start_send(frame) {
                Ok(()) => Ok(None),
                Err(e) => Err(WriteFailed::Error(e.to_string())),
            },
            Poll::Ready(Err(e)) => Err(WriteFailed::Error(e.to_string())),
            Poll::Pending => Ok(Some(frame)),
        }
    }

    /// The rest of a batch that [`Writer::write_now`] could not write at once, each step under
    /// the write timeout.
    async fn finish_batch(&mut self, rest: Rest, rx: &Outbox) -> Result<(), WriteFailed> {
        for frame in rest.frames.into_iter().flatten() {
            self.write(frame).await?;
        }
        for _ in rest.taken..BATCH {
            match rx.try_pop() {
                Some(item) => self.feed(item).await?,
                None => break,
            }
        }
        self.flush().await
    }
}

/// A batch's frames not yet handed to the sink, and how many queued items it took so far.
struct Rest {
    frames: [Option<Frame>; 2],
    taken: usize,
}

/// The frame for an outbox item, and the completion frame that follows it when completion
/// signals are on.
fn frames(item: Outgoing, completion: bool) -> (Frame, Option<Frame>) {
    match item {
        Outgoing::Text(bytes, origin) => {
            let signal = match origin {
                Origin::Group if completion => Some(protocol::GROUP_COMPLETE),
                Origin::Event if completion => Some(protocol::EVENT_COMPLETE),
                _ => None,
            };
            (Frame::Text(bytes), signal.map(|s| Frame::Text(Bytes::from_static(s.as_bytes()))))
        }
        Outgoing::Binary(bytes) => (Frame::Binary(bytes), None),
        Outgoing::Pong(bytes) => (Frame::Pong(bytes), None),
    }
}

/// Runs one write step under the write timeout, arming the timer only when the step does not
/// finish on its first poll: most writes only fill the sink's buffer, and a timer per frame costs
/// a clock read and a timer entry for every delivery.
async fn within<F: Future + Unpin>(
    limit: Duration,
    mut step: F,
) -> Result<F::Output, tokio::time::error::Elapsed> {
    if let Poll::Ready(out) = std::future::poll_fn(|cx| Poll::Ready(Pin::new(&mut step).poll(cx))).await {
        return Ok(out);
    }
    tokio::time::timeout(limit, step).await
}

impl From<std::convert::Infallible> for TransportError {
    fn from(e: std::convert::Infallible) -> Self {
        match e {}
    }
}

//! The hub: a cheap, cloneable handle to send typed messages to a connection or a group from
//! anywhere (handlers, HTTP handlers, background tasks, sync code), plus the process-wide
//! counters and graceful shutdown. Encodes each message once; must not touch sockets.

use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context as TaskContext, Poll, Wake, Waker};
use std::time::Duration;

use tokio::sync::Notify;

use crate::layer::{ChannelLayer, ConnId, LayerError, MemoryLayer, Payload, SendOptions, SendReport};
use crate::message::Message;
use crate::protocol::{Envelope, text_bytes};
use crate::signal::Signal;
use bytes::Bytes;

/// Process-wide counters, shared by every connection of a hub.
#[derive(Debug, Default)]
pub struct Metrics {
    opened: AtomicU64,
    active: AtomicUsize,
    dropped: AtomicU64,
    closed_slow: AtomicU64,
    write_timeouts: AtomicU64,
    handler_failures: AtomicU64,
    handler_panics: AtomicU64,
    idle_closed: AtomicU64,
    rate_limited: AtomicU64,
    rate_closed: AtomicU64,
    refused_full: AtomicU64,
    groups_refused: AtomicU64,
    http_open: AtomicUsize,
    http_header_timeouts: AtomicU64,
    http_refused_full: AtomicU64,
    no_active: Notify,
}

impl Metrics {
    pub(crate) fn count_dropped(&self) {
        self.dropped.fetch_add(1, Ordering::Relaxed);
    }
    pub(crate) fn count_slow_closed(&self) {
        self.closed_slow.fetch_add(1, Ordering::Relaxed);
    }
    pub(crate) fn count_write_timeout(&self) {
        self.write_timeouts.fetch_add(1, Ordering::Relaxed);
    }
    pub(crate) fn count_handler_failure(&self) {
        self.handler_failures.fetch_add(1, Ordering::Relaxed);
    }
    pub(crate) fn count_handler_panic(&self) {
        self.handler_panics.fetch_add(1, Ordering::Relaxed);
    }
    pub(crate) fn count_idle_closed(&self) {
        self.idle_closed.fetch_add(1, Ordering::Relaxed);
    }
    pub(crate) fn count_rate_limited(&self) {
        self.rate_limited.fetch_add(1, Ordering::Relaxed);
    }
    pub(crate) fn count_rate_closed(&self) {
        self.rate_closed.fetch_add(1, Ordering::Relaxed);
    }
    pub(crate) fn count_refused_full(&self) {
        self.refused_full.fetch_add(1, Ordering::Relaxed);
    }
    pub(crate) fn count_group_refused(&self) {
        self.groups_refused.fetch_add(1, Ordering::Relaxed);
    }
    #[cfg(feature = "axum")]
    pub(crate) fn count_http_header_timeout(&self) {
        self.http_header_timeouts.fetch_add(1, Ordering::Relaxed);
    }
    #[cfg(feature = "axum")]
    pub(crate) fn http_header_timeouts(&self) -> u64 {
        self.http_header_timeouts.load(Ordering::Relaxed)
    }
    #[cfg(feature = "axum")]
    pub(crate) fn count_http_refused_full(&self) {
        self.http_refused_full.fetch_add(1, Ordering::Relaxed);
    }
    #[cfg(feature = "axum")]
    pub(crate) fn http_refused_full(&self) -> u64 {
        self.http_refused_full.load(Ordering::Relaxed)
    }
    #[cfg(feature = "axum")]
    pub(crate) fn http_opened(&self) {
        self.http_open.fetch_add(1, Ordering::Relaxed);
    }
    #[cfg(feature = "axum")]
    pub(crate) fn http_closed(&self) {
        self.http_open.fetch_sub(1, Ordering::Relaxed);
    }
    pub(crate) fn connection_opened(&self) {
        self.opened.fetch_add(1, Ordering::Relaxed);
        self.active.fetch_add(1, Ordering::SeqCst);
    }
    pub(crate) fn connection_closed(&self) {
        if self.active.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.no_active.notify_waiters();
        }
    }

    fn snapshot(&self) -> MetricsSnapshot {
        MetricsSnapshot {
            connections_opened: self.opened.load(Ordering::Relaxed),
            connections_active: self.active.load(Ordering::SeqCst),
            dropped: self.dropped.load(Ordering::Relaxed),
            closed_slow: self.closed_slow.load(Ordering::Relaxed),
            write_timeouts: self.write_timeouts.load(Ordering::Relaxed),
            handler_failures: self.handler_failures.load(Ordering::Relaxed),
            handler_panics: self.handler_panics.load(Ordering::Relaxed),
            idle_closed: self.idle_closed.load(Ordering::Relaxed),
            rate_limited: self.rate_limited.load(Ordering::Relaxed),
            rate_closed: self.rate_closed.load(Ordering::Relaxed),
            refused_full: self.refused_full.load(Ordering::Relaxed),
            groups_refused: self.groups_refused.load(Ordering::Relaxed),
            http_open: self.http_open.load(Ordering::Relaxed),
            http_header_timeouts: self.http_header_timeouts.load(Ordering::Relaxed),
            http_refused_full: self.http_refused_full.load(Ordering::Relaxed),
        }
    }
}

/// A copy of the hub's counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MetricsSnapshot {
    /// Connections accepted since start.
    pub connections_opened: u64,
    /// Connections currently running.
    pub connections_active: usize,
    /// Payloads dropped because an outbox was full.
    pub dropped: u64,
    /// Connections closed because their outbox was full.
    pub closed_slow: u64,
    /// Connections dropped because a write took longer than the write timeout.
    pub write_timeouts: u64,
    /// Handlers that returned an error.
    pub handler_failures: u64,
    /// Handlers that panicked (caught; the connection lived on).
    pub handler_panics: u64,
    /// Connections closed by the idle timeout.
    pub idle_closed: u64,
    /// Client frames refused by the rate limit (answered with a `rate_limited` error).
    pub rate_limited: u64,
    /// Connections closed with 1008 for going on past the rate limit.
    pub rate_closed: u64,
    /// Upgrades refused with HTTP 503 because the endpoint had its maximum of connections.
    pub refused_full: u64,
    /// Joins refused because the connection was in its maximum of groups
    /// ([`Limits::max_groups`](crate::Limits::max_groups)).
    pub groups_refused: u64,
    /// Sockets open in [`accept::serve`](crate::accept::serve), upgraded ones included.
    pub http_open: usize,
    /// Sockets [`accept::serve`](crate::accept::serve) closed because a request header was not
    /// complete before [`HttpLimits::header_read_timeout`](crate::HttpLimits::header_read_timeout).
    pub http_header_timeouts: u64,
    /// Sockets [`accept::serve`](crate::accept::serve) closed at accept because
    /// [`HttpLimits::max_connections`](crate::HttpLimits::max_connections) were open.
    pub http_refused_full: u64,
}

/// Where a captured message went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// One connection.
    Connection(ConnId),
    /// A group.
    Group(String),
    /// A topic's subscribers ([`Hub::publish`]).
    Topic(String),
}

/// A message sent through the hub while capturing (see [`Hub::start_capture`]).
#[derive(Debug, Clone)]
pub struct Captured {
    /// Where it was sent.
    pub target: Target,
    /// The frame, parsed back to JSON (binary payloads are captured as a JSON array of bytes).
    pub frame: serde_json::Value,
    /// It is a server event ([`Hub::broadcast_event`], [`Hub::send_event`]): `frame` is the
    /// event, and each recipient's event handler decided what its client got.
    pub event: bool,
    /// What the send did.
    pub report: SendReport,
}

struct HubInner {
    layer: Arc<dyn ChannelLayer>,
    metrics: Arc<Metrics>,
    shutdown: Signal,
    capturing: AtomicBool,
    captured: Mutex<Vec<Captured>>,
}

/// A cheap, cloneable handle to send messages to connections and groups from anywhere.
///
/// Every send encodes the message once and shares the bytes with all recipients; it never
/// waits for a connection (see [`SendReport`] for what happened to each recipient).
#[derive(Clone)]
pub struct Hub {
    inner: Arc<HubInner>,
}

impl std::fmt::Debug for Hub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hub").field("metrics", &self.metrics()).finish_non_exhaustive()
    }
}

impl Default for Hub {
    fn default() -> Self {
        Self::memory()
    }
}

impl Hub {
    /// A hub over the in-memory layer (one process).
    pub fn memory() -> Self {
        Self::new(MemoryLayer::new())
    }

    /// A hub over a channel layer.
    pub fn new(layer: impl ChannelLayer) -> Self {
        Self::with_layer(Arc::new(layer))
    }

    /// A hub over a shared channel layer.
    pub fn with_layer(layer: Arc<dyn ChannelLayer>) -> Self {
        Self {
            inner: Arc::new(HubInner {
                layer,
                metrics: Arc::default(),
                shutdown: Signal::default(),
                capturing: AtomicBool::new(false),
                captured: Mutex::default(),
            }),
        }
    }

    /// The channel layer behind this hub.
    pub fn layer(&self) -> &Arc<dyn ChannelLayer> {
        &self.inner.layer
    }

    pub(crate) fn metrics_handle(&self) -> &Arc<Metrics> {
        &self.inner.metrics
    }

    /// The hub's counters.
    pub fn metrics(&self) -> MetricsSnapshot {
        self.inner.metrics.snapshot()
    }

    /// Sends a typed message to one connection. Cancel-safe: a send happens fully or not at all
    /// for each recipient, but a cancelled call may have reached some of them.
    pub async fn send<M: Message>(&self, to: &ConnId, msg: &M) -> Result<SendReport, LayerError> {
        self.send_payload(to, Payload::text(msg.encode()), SendOptions::default()).await
    }

    /// Like [`Hub::send`], but a full outbox drops the message instead of closing the connection.
    pub async fn send_volatile<M: Message>(&self, to: &ConnId, msg: &M) -> Result<SendReport, LayerError> {
        let options = SendOptions { volatile: true, except: None };
        self.send_payload(to, Payload::text(msg.encode()), options).await
    }

    /// Sends a typed message to every member of a group.
    pub async fn broadcast<M: Message>(&self, group: &str, msg: &M) -> Result<SendReport, LayerError> {
        self.broadcast_payload(group, Payload::text(msg.encode()), SendOptions::default()).await
    }

    /// Sends a typed message to a group with options (volatile, leave one connection out).
    pub async fn broadcast_with<M: Message>(
        &self,
        group: &str,
        msg: &M,
        options: SendOptions,
    ) -> Result<SendReport, LayerError> {
        self.broadcast_payload(group, Payload::text(msg.encode()), options).await
    }

    /// Sends a typed server event to every member of a group: each member's
    /// [`EventHandler`](crate::event::EventHandler) decides what its client gets (see
    /// [`crate::event`]). Encoded once.
    pub async fn broadcast_event<E: Message>(
        &self,
        group: &str,
        event: &E,
    ) -> Result<SendReport, LayerError> {
        self.broadcast_payload(group, Payload::Event(text_bytes(event.encode())), SendOptions::default())
            .await
    }

    /// Sends a typed server event to one connection, for its event handler.
    pub async fn send_event<E: Message>(&self, to: &ConnId, event: &E) -> Result<SendReport, LayerError> {
        self.send_payload(to, Payload::Event(text_bytes(event.encode())), SendOptions::default()).await
    }

    /// Publishes a typed message to every subscriber of a topic (see [`crate::topic`]),
    /// stamped `"version":1,"topic":...` and, when given, `"seq":...` (the publisher's sequence
    /// number, for gap detection; leave it out when a topic has several writers). Encoded and
    /// stamped once; goes through the channel layer, so it reaches subscribers in every process.
    pub async fn publish<M: Message>(
        &self,
        topic: &str,
        msg: &M,
        seq: Option<i64>,
    ) -> Result<SendReport, LayerError> {
        let envelope = Envelope { reference: None, topic: Some(topic.into()), seq };
        let payload = Payload::Text(Bytes::from(envelope.stamp(msg.encode().into_owned())));
        let captured = self.capturing().then(|| payload.clone());
        let report = self
            .inner
            .layer
            .group_send(&crate::topic::group_name(topic), payload, SendOptions::default())
            .await?;
        if let Some(p) = captured {
            self.record(Target::Topic(topic.to_owned()), &p, report);
        }
        Ok(report)
    }

    /// Sends an already encoded payload to one connection.
    pub async fn send_payload(
        &self,
        to: &ConnId,
        payload: Payload,
        options: SendOptions,
    ) -> Result<SendReport, LayerError> {
        let captured = self.capturing().then(|| payload.clone());
        let report = self.inner.layer.send(to, payload, options).await?;
        if let Some(p) = captured {
            self.record(Target::Connection(to.clone()), &p, report);
        }
        Ok(report)
    }

    /// Sends an already encoded payload to a group.
    pub async fn broadcast_payload(
        &self,
        group: &str,
        payload: Payload,
        options: SendOptions,
    ) -> Result<SendReport, LayerError> {
        let captured = self.capturing().then(|| payload.clone());
        let report = self.inner.layer.group_send(group, payload, options).await?;
        if let Some(p) = captured {
            self.record(Target::Group(group.to_owned()), &p, report);
        }
        Ok(report)
    }

    /// Adds a connection to a group from outside its handlers.
    pub async fn group_add(&self, group: &str, id: &ConnId) -> Result<(), LayerError> {
        self.inner.layer.group_add(group, id).await
    }

    /// Removes a connection from a group from outside its handlers.
    pub async fn group_discard(&self, group: &str, id: &ConnId) -> Result<(), LayerError> {
        self.inner.layer.group_discard(group, id).await
    }

    /// A handle for synchronous code (threads, `spawn_blocking`). It uses the Tokio runtime
    /// this is called in, if any; its methods must not be called from async code.
    pub fn blocking(&self) -> BlockingHub {
        BlockingHub { hub: self.clone(), handle: tokio::runtime::Handle::try_current().ok() }
    }

    /// Closes every connection of this hub with 1001 after flushing their outboxes (each up to
    /// its channel's drain timeout), refuses new ones, and waits until all are gone or
    /// `timeout` passes. Returns whether all connections ended in time.
    pub async fn shutdown(&self, timeout: Duration) -> bool {
        self.inner.shutdown.trigger();
        let metrics = &self.inner.metrics;
        let wait = async {
            loop {
                let notified = metrics.no_active.notified();
                let mut notified = pin!(notified);
                notified.as_mut().enable();
                if metrics.active.load(Ordering::SeqCst) == 0 {
                    return;
                }
                notified.await;
            }
        };
        tokio::time::timeout(timeout, wait).await.is_ok()
    }

    /// Whether [`Hub::shutdown`] was called.
    pub fn is_shutting_down(&self) -> bool {
        self.inner.shutdown.is_set()
    }

    pub(crate) fn shutdown_signal(&self) -> &Signal {
        &self.inner.shutdown
    }

    fn capturing(&self) -> bool {
        self.inner.capturing.load(Ordering::Relaxed)
    }

    fn record(&self, target: Target, payload: &Payload, report: SendReport) {
        let frame = match payload {
            Payload::Text(b) | Payload::Event(b) => {
                serde_json::from_slice(b).unwrap_or(serde_json::Value::Null)
            }
            Payload::Binary(b) => serde_json::Value::from(b.to_vec()),
        };
        let event = matches!(payload, Payload::Event(_));
        self.inner.captured.lock().unwrap_or_else(|p| p.into_inner()).push(Captured {
            target,
            frame,
            event,
            report,
        });
    }

    /// Starts recording every message sent through this hub (including
    /// [`Context::broadcast`](crate::Context::broadcast)); they are still delivered.
    #[cfg(feature = "testing")]
    pub fn start_capture(&self) {
        self.inner.capturing.store(true, Ordering::Relaxed);
    }

    /// Stops recording and returns what was recorded.
    #[cfg(feature = "testing")]
    pub fn stop_capture(&self) -> Vec<Captured> {
        self.inner.capturing.store(false, Ordering::Relaxed);
        self.take_captured()
    }

    /// Returns what was recorded so far, and forgets it.
    #[cfg(feature = "testing")]
    pub fn take_captured(&self) -> Vec<Captured> {
        std::mem::take(&mut *self.inner.captured.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

/// The hub for synchronous code: every method blocks the calling thread until the send is done.
///
/// Built by [`Hub::blocking`]. Calling its methods from inside an async task panics (when the
/// hub was created in a Tokio runtime) or blocks that task's thread: use it from plain threads
/// or `spawn_blocking`.
#[derive(Clone, Debug)]
pub struct BlockingHub {
    hub: Hub,
    handle: Option<tokio::runtime::Handle>,
}

impl BlockingHub {
    /// Blocking [`Hub::send`].
    pub fn send<M: Message>(&self, to: &ConnId, msg: &M) -> Result<SendReport, LayerError> {
        self.block_on(self.hub.send(to, msg))
    }

    /// Blocking [`Hub::broadcast`].
    pub fn broadcast<M: Message>(&self, group: &str, msg: &M) -> Result<SendReport, LayerError> {
        self.block_on(self.hub.broadcast(group, msg))
    }

    /// Blocking [`Hub::broadcast_with`].
    pub fn broadcast_with<M: Message>(
        &self,
        group: &str,
        msg: &M,
        options: SendOptions,
    ) -> Result<SendReport, LayerError> {
        self.block_on(self.hub.broadcast_with(group, msg, options))
    }

    /// Blocking [`Hub::broadcast_event`].
    pub fn broadcast_event<E: Message>(&self, group: &str, event: &E) -> Result<SendReport, LayerError> {
        self.block_on(self.hub.broadcast_event(group, event))
    }

    /// Blocking [`Hub::send_event`].
    pub fn send_event<E: Message>(&self, to: &ConnId, event: &E) -> Result<SendReport, LayerError> {
        self.block_on(self.hub.send_event(to, event))
    }

    /// Blocking [`Hub::publish`].
    pub fn publish<M: Message>(
        &self,
        topic: &str,
        msg: &M,
        seq: Option<i64>,
    ) -> Result<SendReport, LayerError> {
        self.block_on(self.hub.publish(topic, msg, seq))
    }

    /// The async hub behind this handle.
    pub fn hub(&self) -> &Hub {
        &self.hub
    }

    fn block_on<F: Future>(&self, fut: F) -> F::Output {
        match &self.handle {
            Some(handle) => handle.block_on(fut),
            None => park_block_on(fut),
        }
    }
}

struct ThreadWaker(std::thread::Thread);

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

/// Runs a future on this thread (for layers whose futures need no runtime, like the memory one).
fn park_block_on<F: Future>(fut: F) -> F::Output {
    let waker = Waker::from(Arc::new(ThreadWaker(std::thread::current())));
    let mut cx = TaskContext::from_waker(&waker);
    let mut fut = pin!(fut);
    loop {
        if let Poll::Ready(out) = fut.as_mut().poll(&mut cx) {
            return out;
        }
        std::thread::park();
    }
}

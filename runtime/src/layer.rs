//! The channel layer: Django Channels' contract (send to a connection; group add, discard and
//! send) between the code that sends and the connections that deliver. Owns connection ids,
//! mailboxes and send reports; must not encode messages or touch sockets.
//!
//! # How it works
//! Every connection has a bounded outbox drained by its writer task. The connection registers
//! a [`Mailbox`] (the sending end of that outbox) with the layer under its [`ConnId`]. A layer
//! routes a [`Payload`] (already encoded bytes, shared by every recipient of a broadcast) to
//! mailboxes; [`Mailbox::deliver`] never waits: a full outbox applies the channel's
//! [`SlowConsumer`] policy and the outcome is counted in the
//! [`SendReport`]. When the connection ends it leaves its groups and is detached.
//!
//! A layer that spans processes (Redis) keeps local mailboxes the same way and forwards
//! payloads for connections and group members it does not hold; it reports those as
//! [`SendReport::forwarded`].

pub mod memory;
#[cfg(feature = "testing")]
pub mod probe;
#[cfg(feature = "redis")]
pub mod redis;

use std::fmt;
use std::sync::{Arc, Mutex};

use crate::channel::BoxFuture;
use crate::config::SlowConsumer;
use crate::frame::CloseFrame;
use crate::hub::Metrics;
use crate::outbox::{Outbox, PushError};
use crate::signal::Signal;
use bytes::Bytes;

#[cfg(feature = "redis")]
pub use self::redis::{RedisConfig, RedisLayer};
pub use memory::MemoryLayer;

/// The id of one connection, unique across the processes that share a layer.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnId(Arc<str>);

impl ConnId {
    /// An id from its text form.
    pub fn new(id: impl Into<Arc<str>>) -> Self {
        Self(id.into())
    }

    /// The id's text form.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ConnId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl fmt::Display for ConnId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An encoded message on its way to one or more connections; cloning shares the bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payload {
    /// A text frame (UTF-8 JSON).
    Text(Bytes),
    /// A binary frame.
    Binary(Bytes),
    /// A typed server event (UTF-8 JSON): each recipient's event handler decides what, if
    /// anything, its client is sent ([`crate::event`]); a recipient whose channel has none
    /// ignores it.
    Event(Bytes),
}

impl Payload {
    /// A text payload from an encoded string (a `&'static str` is shared, not copied).
    pub fn text(encoded: impl Into<std::borrow::Cow<'static, str>>) -> Self {
        Payload::Text(crate::protocol::text_bytes(encoded.into()))
    }
}

/// Why a payload is being delivered; decides which completion frame follows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// A reply or a message the connection's own handler sent.
    Reply,
    /// A group message (followed by `group_complete` when completion is on).
    Group,
    /// A direct message from the hub (followed by `event_complete` when completion is on).
    Event,
}

/// What a delivery attempt did; also counted in [`SendReport`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// Queued in the connection's outbox.
    Delivered,
    /// The outbox was full and the payload was dropped; the connection stays.
    Dropped,
    /// The outbox was full and the slow connection is being closed.
    ClosedSlow,
    /// The connection is gone.
    Gone,
    /// An event the connection's channel has no event handler for.
    Ignored,
}

/// Counts of what one send did. Nothing is silent: every recipient lands in one field.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SendReport {
    /// Queued in a local connection's outbox.
    pub delivered: usize,
    /// Dropped because an outbox was full (volatile messages, or the `Drop` policy).
    pub dropped: usize,
    /// Not delivered because the outbox was full; that slow connection is being closed.
    pub closed_slow: usize,
    /// The recipient is gone (no such connection, or it is closing).
    pub gone: usize,
    /// Handed to another process by a layer that spans processes.
    pub forwarded: usize,
    /// Events that reached a connection whose channel has no event handler.
    pub ignored: usize,
}

impl SendReport {
    /// Counts one delivery outcome.
    pub fn count(&mut self, d: Delivery) {
        match d {
            Delivery::Delivered => self.delivered += 1,
            Delivery::Dropped => self.dropped += 1,
            Delivery::ClosedSlow => self.closed_slow += 1,
            Delivery::Gone => self.gone += 1,
            Delivery::Ignored => self.ignored += 1,
        }
    }

    /// Adds another report's counts to this one.
    pub fn merge(&mut self, other: SendReport) {
        self.delivered += other.delivered;
        self.dropped += other.dropped;
        self.closed_slow += other.closed_slow;
        self.gone += other.gone;
        self.forwarded += other.forwarded;
        self.ignored += other.ignored;
    }
}

/// A layer operation failed (a backend error; the memory layer never fails).
#[derive(Debug, thiserror::Error)]
pub enum LayerError {
    /// The connection is not attached to this layer.
    #[error("connection `{0}` is not attached to the layer")]
    NotAttached(ConnId),
    /// The group name is not one the backend accepts.
    #[error("invalid group name `{group}`: {reason}")]
    InvalidGroup {
        /// The group name.
        group: String,
        /// What the backend expects.
        reason: &'static str,
    },
    /// The connection is in [`Limits::max_groups`](crate::Limits::max_groups) groups already.
    /// A handler's `?` turns it into a `too_many_groups` error frame.
    #[error("the connection is in {max} groups already, the most allowed")]
    TooManyGroups {
        /// The limit.
        max: usize,
    },
    /// The backend failed.
    #[error("channel layer backend failed")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// The channel layer contract, dyn-compatible (`Arc<dyn ChannelLayer>`).
///
/// Async operations return boxed futures so a networked backend can await I/O; the in-memory
/// layer returns ready futures. Sends must never wait for a connection: deliver with
/// [`Mailbox::deliver`] and count the outcome.
pub trait ChannelLayer: Send + Sync + 'static {
    /// A fresh id for a connection about to attach.
    fn new_conn_id(&self) -> ConnId;

    /// Registers a local connection's mailbox under its id.
    fn attach(&self, mailbox: Mailbox);

    /// Removes a local connection: no more deliveries, and it leaves every group.
    fn detach(&self, id: &ConnId);

    /// Sends a payload to one connection.
    fn send<'a>(
        &'a self,
        to: &'a ConnId,
        payload: Payload,
        options: SendOptions,
    ) -> BoxFuture<'a, Result<SendReport, LayerError>>;

    /// Adds a connection to a group (creating the group).
    fn group_add<'a>(&'a self, group: &'a str, id: &'a ConnId) -> BoxFuture<'a, Result<(), LayerError>>;

    /// Removes a connection from a group; removing a non-member is not an error.
    fn group_discard<'a>(&'a self, group: &'a str, id: &'a ConnId) -> BoxFuture<'a, Result<(), LayerError>>;

    /// Sends a payload to every member of a group, except `options.except`.
    fn group_send<'a>(
        &'a self,
        group: &'a str,
        payload: Payload,
        options: SendOptions,
    ) -> BoxFuture<'a, Result<SendReport, LayerError>>;
}

/// How a payload is delivered.
#[derive(Debug, Clone, Default)]
pub struct SendOptions {
    /// A full outbox drops this payload instead of closing the connection.
    pub volatile: bool,
    /// Leave this connection out of a group send (the sender, usually).
    pub except: Option<ConnId>,
}

/// A request to close a connection.
#[derive(Debug, Clone)]
pub(crate) struct CloseRequest {
    pub(crate) frame: Option<CloseFrame>,
    /// Flush the outbox (up to the drain timeout) before the close frame.
    pub(crate) drain: bool,
}

/// State shared by a connection's reader, writer and mailboxes.
#[derive(Debug)]
pub(crate) struct ConnShared {
    pub(crate) id: ConnId,
    pub(crate) stop: Signal,
    close: Mutex<Option<CloseRequest>>,
    policy: SlowConsumer,
    metrics: Arc<Metrics>,
    /// The outbox its writer drains.
    pub(crate) outbox: Outbox,
    /// Where events go when the connection's channel has an event handler: its reader.
    events: std::sync::OnceLock<tokio::sync::mpsc::Sender<Bytes>>,
}

impl ConnShared {
    pub(crate) fn new(
        id: ConnId,
        policy: SlowConsumer,
        metrics: Arc<Metrics>,
        outbox_capacity: usize,
    ) -> Self {
        Self {
            id,
            stop: Signal::default(),
            close: Mutex::new(None),
            policy,
            metrics,
            outbox: Outbox::new(outbox_capacity),
            events: std::sync::OnceLock::new(),
        }
    }

    /// Opens the connection's event inbox (once; `None` when it is open already): events
    /// delivered from now on are queued there, up to `capacity`, for the reader's handler.
    pub(crate) fn open_events(&self, capacity: usize) -> Option<tokio::sync::mpsc::Receiver<Bytes>> {
        let (tx, rx) = tokio::sync::mpsc::channel(capacity.max(1));
        self.events.set(tx).ok().map(|()| rx)
    }

    /// Asks the connection to close; the first request wins. Returns whether this one did.
    pub(crate) fn request_close(&self, frame: Option<CloseFrame>, drain: bool) -> bool {
        let first = {
            let mut slot = self.close.lock().unwrap_or_else(|p| p.into_inner());
            if slot.is_none() {
                *slot = Some(CloseRequest { frame, drain });
                true
            } else {
                false
            }
        };
        self.stop.trigger();
        first
    }

    pub(crate) fn close_request(&self) -> Option<CloseRequest> {
        self.close.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// What a connection's writer receives.
#[derive(Debug)]
pub(crate) enum Outgoing {
    Text(Bytes, Origin),
    Binary(Bytes),
    Pong(Bytes),
}

/// Outbox slots the reader wants free before it handles a frame: a reply and its completion frame
/// (fewer when the outbox is smaller).
const REPLY_ROOM: usize = 2;

/// The sending end of one connection's bounded outbox, as registered with a layer.
#[derive(Debug)]
pub struct Mailbox {
    conn: Arc<ConnShared>,
}

impl Mailbox {
    /// A producer of `conn`'s outbox (its writer ends once every mailbox is gone).
    pub(crate) fn new(conn: Arc<ConnShared>) -> Self {
        conn.outbox.add_sender();
        Self { conn }
    }

    /// The connection this mailbox delivers to.
    pub fn id(&self) -> &ConnId {
        &self.conn.id
    }

    /// Queues a payload without waiting. A full outbox applies the slow-consumer policy.
    pub fn deliver(&self, payload: Payload, origin: Origin, volatile: bool) -> Delivery {
        let item = match payload {
            Payload::Text(b) => Outgoing::Text(b, origin),
            Payload::Binary(b) => Outgoing::Binary(b),
            Payload::Event(b) => return self.deliver_event(b),
        };
        self.push(item, volatile)
    }

    /// Queues an event for the connection's event handler without waiting; a full event inbox
    /// drops it (counted in [`MetricsSnapshot::dropped`](crate::MetricsSnapshot::dropped)).
    fn deliver_event(&self, event: Bytes) -> Delivery {
        if self.conn.stop.is_set() {
            return Delivery::Gone;
        }
        let Some(inbox) = self.conn.events.get() else { return Delivery::Ignored };
        match inbox.try_send(event) {
            Ok(()) => Delivery::Delivered,
            Err(tokio::sync::mpsc::error::TrySendError::Full(_)) => {
                self.conn.metrics.count_dropped();
                tracing::debug!(conn = %self.conn.id, "event inbox full, event dropped");
                Delivery::Dropped
            }
            Err(tokio::sync::mpsc::error::TrySendError::Closed(_)) => Delivery::Gone,
        }
    }

    /// Waits, up to `limit`, until the outbox has room for a reply and its completion frame.
    ///
    /// Only the connection's own reader calls this, before it handles the next client frame: a
    /// client that pipelines requests faster than it reads the replies is slowed down
    /// (backpressure on that client alone), not disconnected. An outbox that stays full past
    /// `limit` applies the slow-consumer policy (closing: returns `false`). Deliveries from other
    /// connections, groups and the hub never wait.
    pub(crate) async fn wait_for_room(&self, limit: std::time::Duration) -> bool {
        match tokio::time::timeout(limit, self.conn.outbox.room(REPLY_ROOM)).await {
            Ok(room) => room,
            Err(_elapsed) => match self.conn.policy {
                SlowConsumer::Drop => true,
                SlowConsumer::Close { code } => {
                    if self.conn.request_close(Some(CloseFrame::new(code, "slow consumer")), false) {
                        self.conn.metrics.count_slow_closed();
                        tracing::warn!(conn = %self.conn.id, code, "outbox full past the write timeout, closing slow consumer");
                    }
                    false
                }
            },
        }
    }

    /// Whether a reply and its completion frame fit in the outbox right now.
    pub(crate) fn has_room_for_replies(&self) -> bool {
        self.conn.outbox.has_room(REPLY_ROOM)
    }

    pub(crate) fn push(&self, item: Outgoing, volatile: bool) -> Delivery {
        self.push_with(item, volatile, false)
    }

    /// Like [`Mailbox::push`], for the connection's own reader: the writer is woken when the
    /// reader is about to wait ([`Mailbox::release_deferred`]), so the replies to frames that
    /// arrived together leave in one write.
    pub(crate) fn push_deferred(&self, item: Outgoing, volatile: bool) -> Delivery {
        self.push_with(item, volatile, true)
    }

    /// Wakes the writer for what [`Mailbox::push_deferred`] queued.
    pub(crate) fn release_deferred(&self) {
        self.conn.outbox.release_deferred();
    }

    fn push_with(&self, item: Outgoing, volatile: bool, defer: bool) -> Delivery {
        if self.conn.stop.is_set() {
            return Delivery::Gone;
        }
        let pushed =
            if defer { self.conn.outbox.try_push_deferred(item) } else { self.conn.outbox.try_push(item) };
        match pushed {
            Ok(()) => Delivery::Delivered,
            Err(PushError::Closed) => Delivery::Gone,
            Err(PushError::Full) => match self.conn.policy {
                SlowConsumer::Close { .. } if volatile => {
                    self.conn.metrics.count_dropped();
                    Delivery::Dropped
                }
                SlowConsumer::Drop => {
                    self.conn.metrics.count_dropped();
                    Delivery::Dropped
                }
                SlowConsumer::Close { code } => {
                    if self.conn.request_close(Some(CloseFrame::new(code, "slow consumer")), false) {
                        self.conn.metrics.count_slow_closed();
                        tracing::warn!(conn = %self.conn.id, code, "outbox full, closing slow consumer");
                    }
                    Delivery::ClosedSlow
                }
            },
        }
    }
}

impl Clone for Mailbox {
    fn clone(&self) -> Self {
        Self::new(self.conn.clone())
    }
}

impl Drop for Mailbox {
    fn drop(&mut self) {
        self.conn.outbox.drop_sender();
    }
}

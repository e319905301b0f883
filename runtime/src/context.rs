//! The per-connection context handed to handlers: identity, path parameters, auth result,
//! groups, and sending. Sends never wait for the connection's writer (they go into its bounded
//! outbox with `try_send`); group changes go through the channel layer.

use std::any::Any;
use std::borrow::Cow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use crate::channel::Channel;
use crate::frame::CloseFrame;
use crate::hub::Hub;
use crate::layer::{ConnId, ConnShared, Delivery, LayerError, Mailbox, Origin, SendOptions, SendReport};
use crate::message::Message;
use crate::protocol::{self, Envelope, Ref};
use crate::topic::Subscription;

/// The authenticator's result for a connection (see [`Context::auth`]).
pub type AuthData = Arc<dyn Any + Send + Sync>;

/// What a handler knows about, and can do with, the connection it serves.
///
/// Messages of one connection are handled one at a time, in order, so replies keep the order of
/// the requests. While a client frame is being handled, everything [`Context::send`] sends
/// carries that frame's `ref`.
pub struct Context<C: Channel> {
    conn: Arc<ConnShared>,
    mailbox: Mailbox,
    params: C::Params,
    path: String,
    auth: Option<AuthData>,
    groups: Mutex<Vec<String>>,
    /// [`Limits::max_groups`](crate::Limits::max_groups).
    max_groups: Option<usize>,
    /// The envelope (`ref`, `topic`) of the client frame being handled.
    current: Mutex<Option<Envelope>>,
    /// Whether `current` holds a value: most frames carry no envelope, and this spares them
    /// the lock.
    has_envelope: AtomicBool,
    /// The topics this connection is subscribed to (see [`crate::topic`]).
    subscriptions: Mutex<Vec<Arc<Subscription>>>,
    /// The topic of a route dedicated to one ([`crate::Endpoint::with_default_topic`]).
    default_topic: OnceLock<Arc<str>>,
    hub: Hub,
}

impl<C: Channel> std::fmt::Debug for Context<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("channel", &C::NAME)
            .field("id", &self.conn.id)
            .field("path", &self.path)
            .field("groups", &self.groups())
            .finish_non_exhaustive()
    }
}

impl<C: Channel> Context<C> {
    pub(crate) fn new(
        conn: Arc<ConnShared>,
        mailbox: Mailbox,
        params: C::Params,
        path: String,
        auth: Option<AuthData>,
        hub: Hub,
        max_groups: Option<usize>,
    ) -> Self {
        Self {
            conn,
            mailbox,
            params,
            path,
            auth,
            groups: Mutex::default(),
            max_groups,
            current: Mutex::default(),
            has_envelope: AtomicBool::new(false),
            subscriptions: Mutex::default(),
            default_topic: OnceLock::new(),
            hub,
        }
    }

    /// This connection's id (what [`Hub::send`] takes).
    pub fn id(&self) -> &ConnId {
        &self.conn.id
    }

    /// The channel's address parameters for this connection.
    pub fn params(&self) -> &C::Params {
        &self.params
    }

    /// The path the client connected to.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The authenticator's result, if there is an authenticator and it returned a `T`.
    pub fn auth<T: Any + Send + Sync>(&self) -> Option<&T> {
        self.auth.as_deref().and_then(|a| a.downcast_ref::<T>())
    }

    /// Joins a group at run time; the connection leaves it when it ends.
    ///
    /// A connection is in at most [`Limits::max_groups`](crate::Limits::max_groups) groups: a
    /// join past it fails with [`LayerError::TooManyGroups`] (counted in
    /// [`MetricsSnapshot::groups_refused`](crate::MetricsSnapshot::groups_refused)), which a
    /// handler's `?` sends as a `too_many_groups` error frame. Joining a group the connection is
    /// in already always succeeds. [`Hub::group_add`] is the server's own call and not limited.
    pub async fn join(&self, group: impl Into<String>) -> Result<(), LayerError> {
        let group = group.into();
        // The place is taken before the layer is asked, so joins that overlap cannot pass the
        // limit together; a failed add gives it back.
        let reserved = {
            let mut groups = self.lock_groups();
            if groups.contains(&group) {
                false
            } else {
                if let Some(max) = self.max_groups.filter(|&max| groups.len() >= max) {
                    drop(groups);
                    self.hub.metrics_handle().count_group_refused();
                    tracing::debug!(group = %group, max, "join refused: too many groups");
                    return Err(LayerError::TooManyGroups { max });
                }
                // Most connections join one group: room for exactly one (a growing `Vec` starts
                // at four), since every connection keeps this list.
                groups.reserve_exact(1);
                groups.push(group.clone());
                true
            }
        };
        let added = self.hub.layer().group_add(&group, &self.conn.id).await;
        if added.is_err() && reserved {
            self.lock_groups().retain(|g| g != &group);
        }
        added
    }

    /// Leaves a group (leaving one it is not in is not an error).
    pub async fn leave(&self, group: &str) -> Result<(), LayerError> {
        self.hub.layer().group_discard(group, &self.conn.id).await?;
        self.lock_groups().retain(|g| g != group);
        Ok(())
    }

    /// The groups this connection joined through its context, in joining order.
    pub fn groups(&self) -> Vec<String> {
        self.lock_groups().clone()
    }

    /// Sends a message to this connection (stamped with the `ref` of the frame being handled).
    /// Never waits: a full outbox applies the slow-consumer policy.
    pub fn send(&self, msg: &C::Server) -> Delivery {
        self.send_encoded(msg.encode(), false)
    }

    /// Like [`Context::send`], but a full outbox drops the message and keeps the connection.
    pub fn send_volatile(&self, msg: &C::Server) -> Delivery {
        self.send_encoded(msg.encode(), true)
    }

    /// Sends an already encoded text frame to this connection (stamped with the current `ref`).
    pub fn send_text(&self, encoded: impl Into<Cow<'static, str>>) -> Delivery {
        self.send_encoded(encoded, false)
    }

    /// Sends a binary frame to this connection (binary messages carry no `ref`). Never waits: a
    /// full outbox applies the slow-consumer policy.
    pub fn send_binary(&self, data: impl Into<bytes::Bytes>) -> Delivery {
        self.mailbox.deliver(crate::Payload::Binary(data.into()), Origin::Reply, false)
    }

    pub(crate) fn send_encoded(&self, encoded: impl Into<Cow<'static, str>>, volatile: bool) -> Delivery {
        let bytes = protocol::stamp(encoded.into(), self.current_envelope().as_ref());
        self.mailbox.deliver(crate::Payload::Text(bytes), Origin::Reply, volatile)
    }

    /// Sends an encoded text frame stamped with this envelope.
    pub(crate) fn send_stamped(&self, encoded: Cow<'static, str>, envelope: &Envelope) -> Delivery {
        let bytes = protocol::stamp(encoded, Some(envelope));
        self.mailbox.deliver(crate::Payload::Text(bytes), Origin::Reply, false)
    }

    /// Like [`Context::send_encoded`], for the reader's replies and error frames: the writer
    /// is woken when the reader is about to wait for the client's next frame.
    pub(crate) fn queue_encoded(&self, encoded: impl Into<Cow<'static, str>>, volatile: bool) {
        let bytes = protocol::stamp(encoded.into(), self.current_envelope().as_ref());
        self.mailbox.push_deferred(crate::layer::Outgoing::Text(bytes, Origin::Reply), volatile);
    }

    /// Sends a message to every member of a group, this connection included if it is one.
    pub async fn broadcast(&self, group: &str, msg: &C::Server) -> Result<SendReport, LayerError> {
        self.hub.broadcast(group, msg).await
    }

    /// Sends a message to every member of a group except this connection.
    pub async fn broadcast_others(&self, group: &str, msg: &C::Server) -> Result<SendReport, LayerError> {
        let options = SendOptions { volatile: false, except: Some(self.conn.id.clone()) };
        self.hub.broadcast_with(group, msg, options).await
    }

    /// The hub, to send elsewhere or to hand to spawned tasks.
    pub fn hub(&self) -> &Hub {
        &self.hub
    }

    /// Closes this connection after what is already queued has been sent.
    pub fn close(&self, code: u16, reason: impl Into<std::borrow::Cow<'static, str>>) {
        self.conn.request_close(Some(CloseFrame::new(code, reason)), true);
    }

    /// The `ref` of the client frame being handled, if it carried one.
    pub fn current_ref(&self) -> Option<Ref> {
        self.current_envelope().and_then(|e| e.reference)
    }

    /// The topic of the client frame being handled, if it was addressed to one.
    pub fn current_topic(&self) -> Option<Arc<str>> {
        self.current_envelope().and_then(|e| e.topic)
    }

    /// The envelope (`ref`, `topic`) everything sent now is stamped with.
    pub(crate) fn current_envelope(&self) -> Option<Envelope> {
        if !self.has_envelope.load(Ordering::Acquire) {
            return None;
        }
        self.current.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub(crate) fn set_ref(&self, r: Option<Ref>) {
        self.set_envelope(r.map(Envelope::with_ref));
    }

    pub(crate) fn set_envelope(&self, e: Option<Envelope>) {
        if e.is_none() && !self.has_envelope.load(Ordering::Acquire) {
            return;
        }
        let mut slot = self.current.lock().unwrap_or_else(|p| p.into_inner());
        self.has_envelope.store(e.is_some(), Ordering::Release);
        *slot = e;
    }

    /// The names of the topics this connection is subscribed to, in subscribing order.
    pub fn topics(&self) -> Vec<Arc<str>> {
        self.lock_subscriptions().iter().map(|s| s.name.clone()).collect()
    }

    /// Whether this connection is subscribed to `topic`.
    pub fn is_subscribed(&self, topic: &str) -> bool {
        self.subscription(topic).is_some()
    }

    /// The topic of a route dedicated to one, which frames without a `topic` address.
    pub fn default_topic(&self) -> Option<&Arc<str>> {
        self.default_topic.get()
    }

    pub(crate) fn set_default_topic(&self, topic: Option<Arc<str>>) {
        if let Some(topic) = topic {
            let _ = self.default_topic.set(topic);
        }
    }

    pub(crate) fn subscription(&self, topic: &str) -> Option<Arc<Subscription>> {
        self.lock_subscriptions().iter().find(|s| &*s.name == topic).cloned()
    }

    pub(crate) fn lock_subscriptions(&self) -> std::sync::MutexGuard<'_, Vec<Arc<Subscription>>> {
        self.subscriptions.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn mailbox(&self) -> &Mailbox {
        &self.mailbox
    }

    pub(crate) fn shared(&self) -> &Arc<ConnShared> {
        &self.conn
    }

    fn lock_groups(&self) -> std::sync::MutexGuard<'_, Vec<String>> {
        self.groups.lock().unwrap_or_else(|p| p.into_inner())
    }
}

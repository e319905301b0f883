//! The Redis channel layer (feature `redis`): several processes share groups and can reach each
//! other's connections through Redis pub/sub. Owns local mailboxes, the group membership of
//! local connections, the Redis subscriptions that follow it and the link to Redis; must not
//! encode messages, and never waits for a connection.
//!
//! ```no_run
//! # async fn demo() -> Result<(), chanx::LayerError> {
//! use chanx::layer::redis::{RedisConfig, RedisLayer};
//! use chanx::{Hub, Payload, SendOptions};
//!
//! // A worker or script without a WebSocket server: a hub over Redis, no local connections.
//! let layer = RedisLayer::connect(RedisConfig::new("redis://127.0.0.1:6379")).await?;
//! let hub = Hub::new(layer.clone());
//! let frame = Payload::text(r#"{"action":"notice","payload":{"text":"hi"}}"#);
//! let report = hub.broadcast_payload("room_lobby", frame, SendOptions::default()).await?;
//! println!("reached {} processes, published: {}", report.forwarded, layer.stats().publish_failed == 0);
//! # Ok(()) }
//! ```
//!
//! # How it works
//!
//! **Processes and connection ids.** Each [`RedisLayer`] is one *process* with a random
//! 12-character id (`[0-9A-Za-z]`). Connection ids are `<process>!<suffix>`, so any process can
//! tell where a connection lives (the part before `!`, as in Django Channels).
//!
//! **Redis channels** (with the default prefix `chanx:`, see [`RedisConfig::prefix`]):
//! - `chanx:group:<group>`: one per group. A process subscribes when its first local connection
//!   joins the group and unsubscribes when the last one leaves; group membership itself is never
//!   stored in Redis, only in the process that holds the connection.
//! - `chanx:process:<process>`: one per process, for messages to one of its connections and for
//!   group joins/leaves requested by another process.
//!
//! **Payload encoding.** Every published message is one envelope: an ASCII header line, then the
//! frame's bytes exactly as encoded (a broadcast is encoded once; the bytes are published once
//! and shared by every local recipient on the receiving side):
//!
//! ```text
//! chanx1 <kind> <volatile> <origin> <target>\n<body>
//! ```
//! - `kind`: `t` text frame, `b` binary frame, `j` join a group, `l` leave a group;
//! - `volatile`: `1` when a full outbox should drop the message instead of closing the
//!   connection (see [`SendOptions::volatile`]), else `0`;
//! - `origin`: the publishing process's id (a process ignores its own group messages: it has
//!   delivered them to its local members already, without Redis);
//! - `target`: for a group message, the connection to leave out (`SendOptions::except`) or `-`;
//!   for a direct message, join or leave, the connection it is for;
//! - `body`: the frame (text or binary), or the group name for `j`/`l`.
//!
//! **Sending.** A group send delivers to local members at once (as the memory layer does), then
//! publishes to the group's channel. Each receiving process fans the message out to its own
//! members with `try_send` from one subscriber task. A send to a connection of this process is
//! local; to another process's connection it is published to that process's channel (no
//! subscriber there: [`SendReport::gone`]). [`SendReport::forwarded`] counts the *other
//! processes* that received a publish; what they delivered is counted in their
//! [`RedisStats`].
//!
//! **When Redis goes away.** Local delivery goes on. Publishes fail fast while the link is down
//! (a group send still returns the local report; a direct send to another process returns
//! [`LayerError::Backend`]) and each one is logged and counted in
//! [`RedisStats::publish_failed`]: delivery across processes is at most once, and messages
//! published by others while this process was disconnected are lost. A background task
//! notices the loss (the subscription connection closes, a periodic `PING` fails, or a command
//! fails), reconnects with exponential backoff and subscribes again to this process's channel
//! and to the channel of every group that has a local member. [`RedisLayer::link`] is a
//! `watch` of [`LinkState`]: each reconnection raises its `generation`, which is the hook for an
//! application to resynchronise what it may have missed.
//!
//! **Starting without Redis.** [`RedisLayer::connect`] fails when Redis cannot be reached at
//! start; [`RedisLayer::connect_lazy`] returns at once and leaves the first connection to the
//! same background task, which retries with the same bounded exponential backoff (counted in
//! [`RedisStats::connect_failed`]). Until it connects the layer serves this process only:
//! local delivery works, joins are recorded and subscribed once connected, and messages for
//! other processes are dropped, never buffered, each one counted in
//! [`RedisStats::publish_failed`]. [`LinkState::generation`] stays `0` until then.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock, Weak};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use futures_util::StreamExt;
use futures_util::future::join_all;
use redis::aio::{MultiplexedConnection, PubSubSink, PubSubStream};
use tokio::sync::{Mutex as AsyncMutex, Notify, watch};

use super::{ChannelLayer, ConnId, Delivery, LayerError, Mailbox, Origin, Payload, SendOptions, SendReport};
use crate::channel::BoxFuture;

const PROCESS_ID_LEN: usize = 12;
const ENVELOPE_TAG: &str = "chanx1";
const MAX_HEADER: usize = 1024;
/// Subscriptions sent at once when (re)subscribing every group.
const SUBSCRIBE_BATCH: usize = 256;

/// Settings of a [`RedisLayer`].
#[derive(Debug, Clone)]
pub struct RedisConfig {
    url: String,
    prefix: String,
    timeout: Duration,
    ping_interval: Duration,
    backoff_min: Duration,
    backoff_max: Duration,
}

impl RedisConfig {
    /// Settings for the Redis server at `url` (`redis://host:port/db`, `redis+unix:///path`).
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            prefix: "chanx:".to_owned(),
            timeout: Duration::from_secs(2),
            ping_interval: Duration::from_secs(5),
            backoff_min: Duration::from_millis(50),
            backoff_max: Duration::from_secs(1),
        }
    }

    /// The prefix of every Redis channel name (default `chanx:`); processes that should talk
    /// to each other must use the same one.
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// Time limit of a connection attempt and of every command (default 2 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// How often the subscription connection is checked with a `PING` (default 5 s).
    pub fn ping_interval(mut self, interval: Duration) -> Self {
        self.ping_interval = interval;
        self
    }

    /// Delay between reconnection attempts: starts at `min`, doubles up to `max`
    /// (default 50 ms to 1 s).
    pub fn backoff(mut self, min: Duration, max: Duration) -> Self {
        self.backoff_min = min;
        self.backoff_max = max.max(min);
        self
    }
}

/// The state of the link to Redis, as seen through [`RedisLayer::link`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkState {
    /// Connected, and subscribed to every channel this process needs.
    pub connected: bool,
    /// Number of successful connections so far: `1` after the first, and one more after each
    /// reconnection. A rise above 1 means messages from other processes may have been missed.
    pub generation: u64,
}

/// A copy of a [`RedisLayer`]'s counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RedisStats {
    /// Messages published.
    pub published: u64,
    /// Publishes that failed or were not attempted because the link was down: other processes
    /// did not get these.
    pub publish_failed: u64,
    /// Messages received from other processes.
    pub received: u64,
    /// Received messages that were not a valid envelope (ignored).
    pub malformed: u64,
    /// Local deliveries of received messages, queued in an outbox.
    pub remote_delivered: u64,
    /// Local deliveries of received messages dropped because an outbox was full.
    pub remote_dropped: u64,
    /// Local deliveries of received messages that closed a slow connection.
    pub remote_closed_slow: u64,
    /// Received messages for a connection that is gone.
    pub remote_gone: u64,
    /// Events for local connections whose channel has no event handler.
    pub remote_ignored: u64,
    /// `SUBSCRIBE`/`UNSUBSCRIBE` commands that failed (the link is then re-established).
    pub subscribe_failed: u64,
    /// Successful connections (the first one included).
    pub connects: u64,
    /// Connections lost.
    pub disconnects: u64,
    /// Connection attempts that failed.
    pub connect_failed: u64,
}

/// Why a Redis operation of the layer failed (the source of [`LayerError::Backend`]).
#[derive(Debug, thiserror::Error)]
pub enum RedisLayerError {
    /// The link to Redis is down (reconnection is under way).
    #[error("not connected to redis")]
    Disconnected,
    /// Redis or the connection to it failed.
    #[error("redis command failed")]
    Redis(#[source] redis::RedisError),
}

impl From<RedisLayerError> for LayerError {
    fn from(e: RedisLayerError) -> Self {
        LayerError::Backend(Box::new(e))
    }
}

#[derive(Default)]
struct Counters {
    published: AtomicU64,
    publish_failed: AtomicU64,
    received: AtomicU64,
    malformed: AtomicU64,
    remote_delivered: AtomicU64,
    remote_dropped: AtomicU64,
    remote_closed_slow: AtomicU64,
    remote_gone: AtomicU64,
    remote_ignored: AtomicU64,
    subscribe_failed: AtomicU64,
    connects: AtomicU64,
    disconnects: AtomicU64,
    connect_failed: AtomicU64,
}

fn bump(c: &AtomicU64) {
    c.fetch_add(1, Ordering::Relaxed);
}

#[derive(Default)]
struct Local {
    conns: HashMap<ConnId, (Mailbox, HashSet<String>)>,
    groups: HashMap<String, HashMap<ConnId, Mailbox>>,
}

/// Subscriptions on the current connection.
#[derive(Default)]
struct Subs {
    sink: Option<PubSubSink>,
    generation: u64,
    subscribed: HashSet<String>,
}

struct Inner {
    config: RedisConfig,
    process: Arc<str>,
    process_channel: String,
    group_prefix: String,
    seed: u64,
    next: AtomicU64,
    local: RwLock<Local>,
    /// Serialises subscription changes (held across the Redis round trip).
    sub_lock: AsyncMutex<()>,
    subs: Mutex<Subs>,
    publisher: RwLock<Option<(MultiplexedConnection, u64)>>,
    link: watch::Sender<LinkState>,
    counters: Counters,
    reconnect: Arc<Notify>,
    /// Logged the first publish failure of this link generation already.
    warned: AtomicU64,
    /// Dropped with the layer: the background tasks stop.
    _stop: watch::Sender<()>,
}

/// A channel layer over Redis pub/sub for several processes; cheap to clone (clones share
/// one layer). Background tasks stop when the last clone is dropped.
#[derive(Clone)]
pub struct RedisLayer {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for RedisLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let local = self.inner.read();
        f.debug_struct("RedisLayer")
            .field("process", &self.inner.process)
            .field("link", &*self.inner.link.borrow())
            .field("connections", &local.conns.len())
            .field("groups", &local.groups.len())
            .finish()
    }
}

struct Connected {
    sink: PubSubSink,
    stream: PubSubStream,
    publisher: MultiplexedConnection,
}

impl RedisLayer {
    /// Connects to Redis and starts the background task that receives messages for this
    /// process and keeps the link up. Fails when the first connection cannot be made within
    /// the configured timeout; later losses are handled by reconnecting. To start while Redis
    /// is down, use [`RedisLayer::connect_lazy`].
    pub async fn connect(config: RedisConfig) -> Result<Self, LayerError> {
        let client = redis::Client::open(config.url.as_str()).map_err(RedisLayerError::Redis)?;
        let first = connect(&client, config.timeout).await.map_err(RedisLayerError::Redis)?;
        let (inner, stop_rx) = Inner::new(config);
        let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
        tokio::spawn(link_task(Arc::downgrade(&inner), client, stop_rx, Some(first), Some(ready_tx)));
        match ready_rx.await {
            Ok(Ok(())) => Ok(Self { inner }),
            Ok(Err(e)) => Err(RedisLayerError::Redis(e).into()),
            Err(_) => Err(RedisLayerError::Disconnected.into()),
        }
    }

    /// Returns at once, without waiting for Redis: the background task connects, retrying
    /// with the configured exponential [backoff](RedisConfig::backoff) for as long as Redis is
    /// down (each failed attempt is counted in [`RedisStats::connect_failed`]; the first one
    /// of an outage is logged as a warning, the others at debug level). Meanwhile the layer
    /// works for this process alone: local delivery as usual, group joins recorded (their
    /// subscriptions are made once connected), and every publish to other processes dropped
    /// and counted in [`RedisStats::publish_failed`] (nothing is buffered). Once connected it
    /// behaves as [`RedisLayer::connect`]'s layer; [`RedisLayer::link`] or
    /// [`RedisLayer::wait_connected`] tell when. Fails only on an invalid URL.
    pub async fn connect_lazy(config: RedisConfig) -> Result<Self, LayerError> {
        let client = redis::Client::open(config.url.as_str()).map_err(RedisLayerError::Redis)?;
        let (inner, stop_rx) = Inner::new(config);
        tokio::spawn(link_task(Arc::downgrade(&inner), client, stop_rx, None, None));
        Ok(Self { inner })
    }

    /// This process's id (the part of its connection ids before `!`).
    pub fn process_id(&self) -> &str {
        &self.inner.process
    }

    /// The link to Redis: connected or not, and how many times it was (re)established. Wait on
    /// `changed()` to learn about disconnections and reconnections (to resynchronise state an
    /// application keeps elsewhere).
    pub fn link(&self) -> watch::Receiver<LinkState> {
        self.inner.link.subscribe()
    }

    /// Whether the link is up right now.
    pub fn is_connected(&self) -> bool {
        self.inner.link.borrow().connected
    }

    /// Waits until the link is up, at most `timeout`; returns whether it is. Cancel-safe.
    pub async fn wait_connected(&self, timeout: Duration) -> bool {
        let mut rx = self.link();
        tokio::time::timeout(timeout, rx.wait_for(|s| s.connected)).await.is_ok_and(|r| r.is_ok())
    }

    /// The layer's counters.
    pub fn stats(&self) -> RedisStats {
        let c = &self.inner.counters;
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        RedisStats {
            published: get(&c.published),
            publish_failed: get(&c.publish_failed),
            received: get(&c.received),
            malformed: get(&c.malformed),
            remote_delivered: get(&c.remote_delivered),
            remote_dropped: get(&c.remote_dropped),
            remote_closed_slow: get(&c.remote_closed_slow),
            remote_gone: get(&c.remote_gone),
            remote_ignored: get(&c.remote_ignored),
            subscribe_failed: get(&c.subscribe_failed),
            connects: get(&c.connects),
            disconnects: get(&c.disconnects),
            connect_failed: get(&c.connect_failed),
        }
    }

    /// Number of connections attached in this process.
    pub fn connections(&self) -> usize {
        self.inner.read().conns.len()
    }

    /// Number of this process's connections in a group.
    pub fn group_len(&self, group: &str) -> usize {
        self.inner.read().groups.get(group).map_or(0, HashMap::len)
    }

    /// Drops the connection to Redis as if it had been lost (for tests of the reconnection
    /// path); the background task reconnects as usual.
    pub fn force_reconnect(&self) {
        self.inner.reconnect.notify_waiters();
    }
}

impl Inner {
    fn new(config: RedisConfig) -> (Arc<Self>, watch::Receiver<()>) {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
        let seed = splitmix64(now as u64 ^ u64::from(std::process::id()) << 32);
        let process: Arc<str> = random_id(seed, PROCESS_ID_LEN).into();
        let (stop_tx, stop_rx) = watch::channel(());
        let (link, _) = watch::channel(LinkState { connected: false, generation: 0 });
        let inner = Arc::new(Inner {
            process_channel: format!("{}process:{process}", config.prefix),
            group_prefix: format!("{}group:", config.prefix),
            config,
            process,
            seed: splitmix64(seed ^ 0x5EED),
            next: AtomicU64::new(1),
            local: RwLock::default(),
            sub_lock: AsyncMutex::default(),
            subs: Mutex::default(),
            publisher: RwLock::new(None),
            link,
            counters: Counters::default(),
            reconnect: Arc::new(Notify::new()),
            warned: AtomicU64::new(0),
            _stop: stop_tx,
        });
        (inner, stop_rx)
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Local> {
        self.local.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Local> {
        self.local.write().unwrap_or_else(|p| p.into_inner())
    }

    fn group_channel(&self, group: &str) -> String {
        format!("{}{group}", self.group_prefix)
    }

    fn process_channel_of(&self, process: &str) -> String {
        format!("{}process:{process}", self.config.prefix)
    }

    /// The process a connection id belongs to, if it has the `<process>!<suffix>` form.
    fn owner<'a>(&self, id: &'a ConnId) -> Option<&'a str> {
        let (process, _) = id.as_str().split_once('!')?;
        (process.len() == PROCESS_ID_LEN && process.bytes().all(|b| b.is_ascii_alphanumeric()))
            .then_some(process)
    }

    /// Adds a local member; returns whether it is the group's first local member.
    fn group_add_local(&self, group: &str, id: &ConnId) -> Option<bool> {
        let mut local = self.write();
        let Local { conns, groups } = &mut *local;
        let (mb, member_of) = conns.get_mut(id)?;
        member_of.insert(group.to_owned());
        let members = groups.entry(group.to_owned()).or_default();
        let first = members.is_empty();
        members.insert(id.clone(), mb.clone());
        Some(first)
    }

    /// Removes a local member; returns whether the group has no local member left (and was
    /// one of this connection's groups).
    fn group_discard_local(&self, group: &str, id: &ConnId) -> Option<bool> {
        let mut local = self.write();
        let (_, member_of) = local.conns.get_mut(id)?;
        let was = member_of.remove(group);
        Some(remove_member(&mut local.groups, group, id) && was)
    }

    /// Brings the Redis subscription of one group in line with its local membership.
    /// Serialised by `sub_lock`, so concurrent joins and leaves converge.
    async fn sync_group(&self, group: &str) {
        let _serial = self.sub_lock.lock().await;
        let want = self.read().groups.contains_key(group);
        let (mut sink, generation) = {
            let subs = self.lock_subs();
            if want == subs.subscribed.contains(group) {
                return;
            }
            // Down: the reconnection subscribes to every group that has a local member.
            let Some(sink) = subs.sink.clone() else { return };
            (sink, subs.generation)
        };
        let channel = self.group_channel(group);
        let command =
            async { if want { sink.subscribe(&channel).await } else { sink.unsubscribe(&channel).await } };
        match with_timeout(self.config.timeout, command).await {
            Ok(()) => {
                let mut subs = self.lock_subs();
                if subs.generation == generation {
                    if want {
                        subs.subscribed.insert(group.to_owned());
                    } else {
                        subs.subscribed.remove(group);
                    }
                }
            }
            Err(e) => {
                bump(&self.counters.subscribe_failed);
                tracing::warn!(group, subscribe = want, error = %e, "redis subscription change failed, reconnecting");
                self.request_reconnect(generation);
            }
        }
    }

    fn lock_subs(&self) -> std::sync::MutexGuard<'_, Subs> {
        self.subs.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether this process is subscribed to a group's channel (it then receives its own
    /// publishes to that group).
    fn subscribed_to(&self, group: &str) -> bool {
        self.lock_subs().subscribed.contains(group)
    }

    /// Installs a fresh connection: subscribes to this process's channel and to every group
    /// with a local member, then publishes through it. Returns the new link generation.
    async fn install(&self, sink: PubSubSink, publisher: MultiplexedConnection) -> redis::RedisResult<u64> {
        let _serial = self.sub_lock.lock().await;
        let generation = self.link.borrow().generation + 1;
        *self.lock_subs() = Subs { sink: Some(sink.clone()), generation, subscribed: HashSet::new() };
        let result = async {
            with_timeout(self.config.timeout, sink.clone().subscribe(&self.process_channel)).await?;
            // Groups joined from now on see the sink and subscribe themselves.
            let groups: Vec<String> = self.read().groups.keys().cloned().collect();
            for batch in groups.chunks(SUBSCRIBE_BATCH) {
                let commands = batch.iter().map(|group| {
                    let mut sink = sink.clone();
                    let channel = self.group_channel(group);
                    async move { sink.subscribe(channel).await }
                });
                let results =
                    with_timeout(self.config.timeout, async { Ok(join_all(commands).await) }).await?;
                for (group, r) in batch.iter().zip(results) {
                    r?;
                    self.lock_subs().subscribed.insert(group.clone());
                }
            }
            Ok(())
        }
        .await;
        if let Err(e) = result {
            *self.lock_subs() = Subs::default();
            return Err(e);
        }
        *self.publisher.write().unwrap_or_else(|p| p.into_inner()) = Some((publisher, generation));
        self.warned.store(0, Ordering::Relaxed);
        bump(&self.counters.connects);
        self.link.send_replace(LinkState { connected: true, generation });
        Ok(generation)
    }

    /// Forgets a lost connection.
    async fn mark_down(&self, reason: &str) {
        *self.publisher.write().unwrap_or_else(|p| p.into_inner()) = None;
        let was = self.link.borrow().connected;
        self.link.send_modify(|s| s.connected = false);
        let _serial = self.sub_lock.lock().await;
        *self.lock_subs() = Subs::default();
        if was {
            bump(&self.counters.disconnects);
            tracing::warn!(process = %self.process, reason, "redis link lost; local delivery goes on, reconnecting");
        }
    }

    fn request_reconnect(&self, generation: u64) {
        let link = *self.link.borrow();
        if link.connected && link.generation == generation {
            self.reconnect.notify_waiters();
        }
    }

    /// Publishes one envelope; counts and logs a failure.
    async fn publish(&self, channel: &str, envelope: Vec<u8>) -> Result<usize, RedisLayerError> {
        let publisher = self.publisher.read().unwrap_or_else(|p| p.into_inner()).clone();
        let Some((mut conn, generation)) = publisher else {
            bump(&self.counters.publish_failed);
            self.warn_publish_failed(channel, &RedisLayerError::Disconnected, 0);
            return Err(RedisLayerError::Disconnected);
        };
        let result = redis::cmd("PUBLISH").arg(channel).arg(envelope).query_async::<usize>(&mut conn).await;
        match result {
            Ok(n) => {
                bump(&self.counters.published);
                Ok(n)
            }
            Err(e) => {
                bump(&self.counters.publish_failed);
                let e = RedisLayerError::Redis(e);
                self.warn_publish_failed(channel, &e, generation);
                self.request_reconnect(generation);
                Err(e)
            }
        }
    }

    /// Logs the first publish failure of an outage as a warning, the others at debug level
    /// (all of them are counted).
    fn warn_publish_failed(&self, channel: &str, error: &RedisLayerError, generation: u64) {
        let source = std::error::Error::source(error).map(ToString::to_string);
        if self.warned.swap(1, Ordering::Relaxed) == 0 {
            tracing::warn!(channel, error = %error, source, generation, "redis publish failed; other processes miss this message");
        } else {
            tracing::debug!(channel, error = %error, source, "redis publish failed");
        }
    }

    /// Delivers a message received from Redis to local mailboxes. Never waits.
    fn dispatch(self: &Arc<Self>, msg: &redis::Msg) {
        let bytes = msg.get_payload_bytes();
        let Some(env) = Envelope::parse(bytes) else {
            bump(&self.counters.malformed);
            tracing::debug!(channel = msg.get_channel_name(), "ignored a malformed message");
            return;
        };
        if env.origin == &*self.process {
            return;
        }
        bump(&self.counters.received);
        let channel = msg.get_channel_name();
        let body = &bytes[env.body..];
        let target = env.target.map(ConnId::new);
        let payload = |body: &[u8]| match env.kind {
            Kind::Binary => Payload::Binary(Bytes::copy_from_slice(body)),
            Kind::Event => Payload::Event(Bytes::copy_from_slice(body)),
            _ => Payload::Text(Bytes::copy_from_slice(body)),
        };
        if channel == self.process_channel {
            let Some(to) = target else {
                bump(&self.counters.malformed);
                return;
            };
            match env.kind {
                Kind::Text | Kind::Binary | Kind::Event => {
                    let outcome = match self.read().conns.get(&to) {
                        Some((mb, _)) => mb.deliver(payload(body), Origin::Event, env.volatile),
                        None => Delivery::Gone,
                    };
                    self.count_remote(outcome);
                }
                Kind::Join | Kind::Leave => {
                    let Ok(group) = std::str::from_utf8(body) else {
                        bump(&self.counters.malformed);
                        return;
                    };
                    let changed = if env.kind == Kind::Join {
                        self.group_add_local(group, &to)
                    } else {
                        self.group_discard_local(group, &to)
                    };
                    if changed == Some(true) {
                        let inner = self.clone();
                        let group = group.to_owned();
                        tokio::spawn(async move { inner.sync_group(&group).await });
                    }
                }
            }
        } else if let Some(group) = channel.strip_prefix(self.group_prefix.as_str()) {
            if !matches!(env.kind, Kind::Text | Kind::Binary | Kind::Event) {
                bump(&self.counters.malformed);
                return;
            }
            let payload = payload(body);
            let local = self.read();
            if let Some(members) = local.groups.get(group) {
                for (id, mb) in members {
                    if target.as_ref() == Some(id) {
                        continue;
                    }
                    self.count_remote(mb.deliver(payload.clone(), Origin::Group, env.volatile));
                }
            }
        }
    }

    fn count_remote(&self, outcome: Delivery) {
        let c = &self.counters;
        bump(match outcome {
            Delivery::Delivered => &c.remote_delivered,
            Delivery::Dropped => &c.remote_dropped,
            Delivery::ClosedSlow => &c.remote_closed_slow,
            Delivery::Gone => &c.remote_gone,
            Delivery::Ignored => &c.remote_ignored,
        });
    }
}

fn remove_member(groups: &mut HashMap<String, HashMap<ConnId, Mailbox>>, group: &str, id: &ConnId) -> bool {
    if let Some(members) = groups.get_mut(group) {
        members.remove(id);
        if members.is_empty() {
            groups.remove(group);
            return true;
        }
    }
    false
}

async fn with_timeout<T>(
    timeout: Duration,
    fut: impl Future<Output = redis::RedisResult<T>>,
) -> redis::RedisResult<T> {
    match tokio::time::timeout(timeout, fut).await {
        Ok(r) => r,
        Err(_) => {
            Err(std::io::Error::new(std::io::ErrorKind::TimedOut, "redis did not answer in time").into())
        }
    }
}

async fn connect(client: &redis::Client, timeout: Duration) -> redis::RedisResult<Connected> {
    with_timeout(timeout, async {
        let (sink, stream) = client.get_async_pubsub().await?.split();
        let config = redis::AsyncConnectionConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(timeout));
        let publisher = client.get_multiplexed_async_connection_with_config(&config).await?;
        Ok(Connected { sink, stream, publisher })
    })
    .await
}

/// Sleeps, unless the layer is dropped first (then returns `true`).
async fn sleep_or_stop(stop: &mut watch::Receiver<()>, delay: Duration) -> bool {
    tokio::select! {
        _ = stop.changed() => true,
        () = tokio::time::sleep(delay) => false,
    }
}

/// Keeps the link up: installs connections, reads messages, reconnects with backoff. Holds the
/// layer weakly and ends when it is dropped.
async fn link_task(
    weak: Weak<Inner>,
    client: redis::Client,
    mut stop: watch::Receiver<()>,
    mut first: Option<Connected>,
    mut ready: Option<tokio::sync::oneshot::Sender<redis::RedisResult<()>>>,
) {
    let (config, reconnect) = match weak.upgrade() {
        Some(inner) => (inner.config.clone(), inner.reconnect.clone()),
        None => return,
    };
    let mut backoff = config.backoff_min;
    // Failed attempts since the last success: only the first of an outage is a warning.
    let mut failed_in_row = 0u64;
    loop {
        let connected = match first.take() {
            Some(c) => Ok(c),
            None => tokio::select! {
                _ = stop.changed() => return,
                r = connect(&client, config.timeout) => r,
            },
        };
        let notified = reconnect.notified();
        let mut notified = pin!(notified);
        notified.as_mut().enable();
        let installed = match connected {
            Ok(Connected { sink, stream, publisher }) => {
                let Some(inner) = weak.upgrade() else { return };
                inner.install(sink.clone(), publisher).await.map(|generation| (sink, stream, generation))
            }
            Err(e) => Err(e),
        };
        let (sink, mut stream, generation) = match installed {
            Ok(c) => c,
            Err(e) => {
                if let Some(ready) = ready.take() {
                    let _ = ready.send(Err(e));
                    return;
                }
                let Some(inner) = weak.upgrade() else { return };
                bump(&inner.counters.connect_failed);
                failed_in_row += 1;
                if failed_in_row == 1 {
                    let generation = inner.link.borrow().generation;
                    tracing::warn!(error = %e, retry_in = ?backoff, generation, "cannot connect to redis; local delivery goes on, retrying");
                } else {
                    tracing::debug!(error = %e, retry_in = ?backoff, "redis connection attempt failed");
                }
                drop(inner);
                if sleep_or_stop(&mut stop, backoff).await {
                    return;
                }
                backoff = (backoff * 2).min(config.backoff_max);
                continue;
            }
        };
        match ready.take() {
            Some(ready) => {
                let _ = ready.send(Ok(()));
            }
            None => tracing::info!(generation, "redis link established, subscriptions restored"),
        }
        backoff = config.backoff_min;
        failed_in_row = 0;
        let pinger = tokio::spawn(ping_loop(sink, config.clone(), reconnect.clone()));
        let reason = loop {
            tokio::select! {
                _ = stop.changed() => {
                    pinger.abort();
                    return;
                }
                () = &mut notified => break "connection check failed",
                msg = stream.next() => match msg {
                    Some(msg) => match weak.upgrade() {
                        Some(inner) => inner.dispatch(&msg),
                        None => {
                            pinger.abort();
                            return;
                        }
                    },
                    None => break "connection closed",
                },
            }
        };
        pinger.abort();
        drop(stream);
        let Some(inner) = weak.upgrade() else { return };
        inner.mark_down(reason).await;
        drop(inner);
        // A short pause before the first attempt, so a restarting server is not hammered.
        if sleep_or_stop(&mut stop, config.backoff_min).await {
            return;
        }
    }
}

/// Pings on the subscription connection; a failed ping asks the link task to reconnect.
async fn ping_loop(mut sink: PubSubSink, config: RedisConfig, reconnect: Arc<Notify>) {
    let mut ticker = tokio::time::interval(config.ping_interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticker.tick().await;
    loop {
        ticker.tick().await;
        if let Err(e) = with_timeout(config.timeout, sink.ping::<redis::Value>()).await {
            tracing::debug!(error = %e, "redis ping failed");
            reconnect.notify_waiters();
            return;
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Binary,
    Event,
    Join,
    Leave,
}

impl Kind {
    fn tag(self) -> u8 {
        match self {
            Kind::Text => b't',
            Kind::Binary => b'b',
            Kind::Event => b'e',
            Kind::Join => b'j',
            Kind::Leave => b'l',
        }
    }
}

/// A parsed envelope header (see the module docs).
#[derive(Debug, PartialEq, Eq)]
struct Envelope<'a> {
    kind: Kind,
    volatile: bool,
    origin: &'a str,
    target: Option<&'a str>,
    /// Where the body starts.
    body: usize,
}

/// Whether an id can be written in the header (no separators).
fn header_safe(id: &str) -> bool {
    !id.is_empty() && id != "-" && id.bytes().all(|b| b.is_ascii_graphic())
}

impl Envelope<'_> {
    fn encode(kind: Kind, volatile: bool, origin: &str, target: Option<&str>, body: &[u8]) -> Vec<u8> {
        let target = target.filter(|t| header_safe(t)).unwrap_or("-");
        let mut out = Vec::with_capacity(ENVELOPE_TAG.len() + origin.len() + target.len() + 8 + body.len());
        out.extend_from_slice(ENVELOPE_TAG.as_bytes());
        out.extend_from_slice(&[b' ', kind.tag(), b' ', if volatile { b'1' } else { b'0' }, b' ']);
        out.extend_from_slice(origin.as_bytes());
        out.push(b' ');
        out.extend_from_slice(target.as_bytes());
        out.push(b'\n');
        out.extend_from_slice(body);
        out
    }

    fn parse(bytes: &[u8]) -> Option<Envelope<'_>> {
        let end = bytes.iter().take(MAX_HEADER).position(|&b| b == b'\n')?;
        let header = std::str::from_utf8(&bytes[..end]).ok()?;
        let mut parts = header.split(' ');
        if parts.next()? != ENVELOPE_TAG {
            return None;
        }
        let kind = match parts.next()? {
            "t" => Kind::Text,
            "b" => Kind::Binary,
            "e" => Kind::Event,
            "j" => Kind::Join,
            "l" => Kind::Leave,
            _ => return None,
        };
        let volatile = match parts.next()? {
            "0" => false,
            "1" => true,
            _ => return None,
        };
        let origin = parts.next().filter(|o| !o.is_empty())?;
        let target = match parts.next()? {
            "-" => None,
            t if header_safe(t) => Some(t),
            _ => return None,
        };
        if parts.next().is_some() {
            return None;
        }
        Some(Envelope { kind, volatile, origin, target, body: end + 1 })
    }
}

fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

fn random_id(seed: u64, len: usize) -> String {
    let mut out = String::with_capacity(len);
    let mut state = seed;
    let mut x = splitmix64(state);
    for i in 0..len {
        if i % 10 == 0 {
            state = state.wrapping_add(1);
            x = splitmix64(state);
        }
        out.push(ALPHABET[(x % 62) as usize] as char);
        x /= 62;
    }
    out
}

fn payload_parts(payload: &Payload) -> (Kind, &[u8]) {
    match payload {
        Payload::Text(b) => (Kind::Text, b),
        Payload::Binary(b) => (Kind::Binary, b),
        Payload::Event(b) => (Kind::Event, b),
    }
}

impl ChannelLayer for RedisLayer {
    fn new_conn_id(&self) -> ConnId {
        let inner = &*self.inner;
        let n = inner.next.fetch_add(1, Ordering::Relaxed);
        ConnId::new(format!("{}!{}{n:x}", inner.process, random_id(inner.seed ^ n.rotate_left(32), 6)))
    }

    fn attach(&self, mailbox: Mailbox) {
        let id = mailbox.id().clone();
        self.inner.write().conns.insert(id, (mailbox, HashSet::new()));
    }

    fn detach(&self, id: &ConnId) {
        let emptied: Vec<String> = {
            let mut local = self.inner.write();
            match local.conns.remove(id) {
                Some((_, member_of)) => {
                    member_of.into_iter().filter(|g| remove_member(&mut local.groups, g, id)).collect()
                }
                None => Vec::new(),
            }
        };
        if emptied.is_empty() {
            return;
        }
        match tokio::runtime::Handle::try_current() {
            Ok(handle) => {
                let inner = self.inner.clone();
                handle.spawn(async move {
                    for group in emptied {
                        inner.sync_group(&group).await;
                    }
                });
            }
            // Without a runtime the subscriptions stay until the next reconnection; messages
            // for those groups find no local member and are ignored.
            Err(_) => {
                tracing::debug!(groups = emptied.len(), "detached outside a runtime, unsubscribe deferred")
            }
        }
    }

    fn send<'a>(
        &'a self,
        to: &'a ConnId,
        payload: Payload,
        options: SendOptions,
    ) -> BoxFuture<'a, Result<SendReport, LayerError>> {
        let inner = &*self.inner;
        let mut report = SendReport::default();
        {
            let local = inner.read();
            if let Some((mb, _)) = local.conns.get(to) {
                report.count(mb.deliver(payload, Origin::Event, options.volatile));
                return Box::pin(std::future::ready(Ok(report)));
            }
        }
        let Some(process) = inner.owner(to).filter(|p| *p != &*inner.process) else {
            report.gone += 1;
            return Box::pin(std::future::ready(Ok(report)));
        };
        let (kind, body) = payload_parts(&payload);
        let envelope = Envelope::encode(kind, options.volatile, &inner.process, Some(to.as_str()), body);
        Box::pin(async move {
            let receivers = inner.publish(&inner.process_channel_of(process), envelope).await?;
            if receivers > 0 {
                report.forwarded += 1;
            } else {
                report.gone += 1;
            }
            Ok(report)
        })
    }

    fn group_add<'a>(&'a self, group: &'a str, id: &'a ConnId) -> BoxFuture<'a, Result<(), LayerError>> {
        Box::pin(async move { self.membership(Kind::Join, group, id).await })
    }

    fn group_discard<'a>(&'a self, group: &'a str, id: &'a ConnId) -> BoxFuture<'a, Result<(), LayerError>> {
        Box::pin(async move { self.membership(Kind::Leave, group, id).await })
    }

    fn group_send<'a>(
        &'a self,
        group: &'a str,
        payload: Payload,
        options: SendOptions,
    ) -> BoxFuture<'a, Result<SendReport, LayerError>> {
        let inner = &*self.inner;
        let mut report = SendReport::default();
        if let Some(members) = inner.read().groups.get(group) {
            for (id, mb) in members {
                if options.except.as_ref() != Some(id) {
                    report.count(mb.deliver(payload.clone(), Origin::Group, options.volatile));
                }
            }
        }
        let (kind, body) = payload_parts(&payload);
        let except = options.except.as_ref().map(ConnId::as_str);
        let envelope = Envelope::encode(kind, options.volatile, &inner.process, except, body);
        Box::pin(async move {
            // A failure is counted and logged by `publish`; local members have the message.
            let subscribed = inner.subscribed_to(group);
            if let Ok(receivers) = inner.publish(&inner.group_channel(group), envelope).await {
                // A subscribed process receives its own publish (and ignores it).
                report.forwarded += receivers.saturating_sub(usize::from(subscribed));
            }
            Ok(report)
        })
    }
}

impl RedisLayer {
    /// Group join or leave for a local connection, or a request to the process holding it.
    async fn membership(&self, kind: Kind, group: &str, id: &ConnId) -> Result<(), LayerError> {
        let inner = &self.inner;
        let changed = if kind == Kind::Join {
            inner.group_add_local(group, id)
        } else {
            inner.group_discard_local(group, id)
        };
        match changed {
            Some(true) => {
                inner.sync_group(group).await;
                return Ok(());
            }
            Some(false) => return Ok(()),
            None => {}
        }
        let remote = inner.owner(id).filter(|p| *p != &*inner.process);
        let Some(process) = remote else {
            return if kind == Kind::Join { Err(LayerError::NotAttached(id.clone())) } else { Ok(()) };
        };
        let envelope = Envelope::encode(kind, false, &inner.process, Some(id.as_str()), group.as_bytes());
        let receivers = inner.publish(&inner.process_channel_of(process), envelope).await?;
        if receivers == 0 && kind == Kind::Join {
            return Err(LayerError::NotAttached(id.clone()));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_round_trip() {
        let bytes = Envelope::encode(Kind::Text, true, "abc", Some("abc!x1"), b"{\"a\":1}\n");
        assert_eq!(&bytes[..], b"chanx1 t 1 abc abc!x1\n{\"a\":1}\n");
        let env = Envelope::parse(&bytes).expect("valid envelope");
        assert_eq!(
            env,
            Envelope { kind: Kind::Text, volatile: true, origin: "abc", target: Some("abc!x1"), body: 22 }
        );
        assert_eq!(&bytes[env.body..], b"{\"a\":1}\n");
    }

    #[test]
    fn envelope_without_target_and_unsafe_targets() {
        let bytes = Envelope::encode(Kind::Binary, false, "p", None, &[0, 1, 2]);
        let env = Envelope::parse(&bytes).expect("valid envelope");
        assert_eq!((env.kind, env.volatile, env.target), (Kind::Binary, false, None));
        let bytes = Envelope::encode(Kind::Text, false, "p", Some("has space"), b"x");
        assert_eq!(Envelope::parse(&bytes).expect("valid envelope").target, None);
    }

    #[test]
    fn malformed_envelopes_are_refused() {
        for bad in [
            &b"hello"[..],
            b"chanx1 t 0 p -",
            b"chanx2 t 0 p -\nx",
            b"chanx1 x 0 p -\nx",
            b"chanx1 t 2 p -\nx",
            b"chanx1 t 0  -\nx",
            b"chanx1 t 0 p - extra\nx",
        ] {
            assert_eq!(Envelope::parse(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn ids_are_alphanumeric_and_sized() {
        let id = random_id(42, PROCESS_ID_LEN);
        assert_eq!(id.len(), PROCESS_ID_LEN);
        assert!(id.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_ne!(id, random_id(43, PROCESS_ID_LEN));
    }
}

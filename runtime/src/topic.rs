//! Topics: many streams over one socket, Chanx's wire (2.10+). A client addresses a frame to a
//! topic with the envelope key `topic` beside `action`; `subscribe` / `unsubscribe` frames join
//! and leave it, every other topic frame goes to the topic's own handler, and messages
//! published to the topic ([`Hub::publish`](crate::Hub::publish)) reach every subscriber. Owns
//! the topic registry of an endpoint and the subscription flow; connections keep their own
//! subscriptions ([`Context::topics`]).
//!
//! ```text
//! -> {"version":1,"topic":"order:42","ref":"1","action":"subscribe"}
//! <- {"action":"subscribed","payload":null,"version":1,"topic":"order:42","ref":"1"}
//! -> {"version":1,"topic":"order:42","ref":"5","action":"add_note","payload":{"note":"x"}}
//! <- {"action":"note_added","payload":{"note":"x"},"version":1,"topic":"order:42","ref":"5"}
//! <- {"action":"order_status","payload":{...},"version":1,"topic":"order:42","seq":7}
//! ```
//!
//! - A topic ([`Topic`]) has a pattern (`order:{order_id}`; a parameter stops at `:`), typed
//!   parameters parsed from the name ([`Params`], like a channel's address parameters),
//!   `authorize`, `on_subscribe`, `on_unsubscribe` and a handler for the messages it takes.
//! - Errors are `{"action":"error","payload":{"reason":R,"detail":D}}` with the frame's envelope,
//!   `R` one of `unknown_topic` (no pattern matches), `unauthorized` (`authorize` said no) and
//!   `not_subscribed` (a message to a topic the connection has not joined).
//! - A repeated `subscribe` is acknowledged again without running `on_subscribe`; an
//!   `unsubscribe` is always acknowledged. When the connection ends it leaves every topic
//!   (`on_unsubscribe` runs for each).
//! - A topic is a group of the channel layer ([`group_name`]), so publishing works over every
//!   layer, across processes with Redis; the message is encoded and stamped once.
//! - A dedicated route ([`Endpoint::with_default_topic`](crate::Endpoint::with_default_topic))
//!   subscribes on connect (an unsolicited `subscribed`) and gives frames without a `topic` to
//!   that topic.

use std::any::Any;
use std::borrow::Cow;
use std::sync::Arc;

use futures_util::FutureExt;

use crate::channel::{BoxFuture, Channel, HandlerError, HandlerResult, Params, ParamsError, PathValues};
use crate::context::Context;
use crate::hub::Hub;
use crate::layer::{Delivery, LayerError, SendReport};
use crate::message::{DecodeError, Message};
use crate::protocol::{self, Envelope};

/// `{"action":"subscribed","payload":null}`: a subscription is in place.
pub const SUBSCRIBED: &str = r#"{"action":"subscribed","payload":null}"#;
/// `{"action":"unsubscribed","payload":null}`: the connection left the topic.
pub const UNSUBSCRIBED: &str = r#"{"action":"unsubscribed","payload":null}"#;

/// The channel-layer group that holds a topic's subscribers. Group names starting with
/// `chanx.topic.` are reserved for topics.
pub fn group_name(topic: &str) -> String {
    format!("chanx.topic.{topic}")
}

/// Why a topic frame was refused (the `reason` of its error frame).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TopicError {
    /// No mounted topic's pattern matches the name.
    UnknownTopic,
    /// The topic's `authorize` refused the subscription.
    Unauthorized,
    /// A message to a topic the connection is not subscribed to.
    NotSubscribed,
}

impl TopicError {
    /// The wire name (`unknown_topic`, `unauthorized`, `not_subscribed`).
    pub fn reason(self) -> &'static str {
        match self {
            TopicError::UnknownTopic => "unknown_topic",
            TopicError::Unauthorized => "unauthorized",
            TopicError::NotSubscribed => "not_subscribed",
        }
    }

    /// Chanx's detail text for a topic.
    pub fn detail(self, topic: &str) -> String {
        match self {
            TopicError::UnknownTopic => format!("Unknown topic '{topic}'"),
            TopicError::Unauthorized => format!("Not allowed to subscribe to '{topic}'"),
            TopicError::NotSubscribed => format!("Not subscribed to '{topic}'"),
        }
    }

    /// `{"action":"error","payload":{"reason":...,"detail":...}}`.
    pub fn frame(self, topic: &str) -> String {
        #[derive(serde::Serialize)]
        struct Payload<'a> {
            reason: &'a str,
            detail: &'a str,
        }
        #[derive(serde::Serialize)]
        struct Frame<'a> {
            action: &'a str,
            payload: Payload<'a>,
        }
        let detail = self.detail(topic);
        let frame = Frame { action: "error", payload: Payload { reason: self.reason(), detail: &detail } };
        serde_json::to_string(&frame).expect("an error frame always serializes")
    }
}

/// A topic pattern such as `order:{order_id}`: literal text and `{name}` parameters, each
/// matching one or more characters other than `:`.
#[derive(Debug, Clone)]
pub struct TopicPattern {
    pattern: Arc<str>,
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Literal(String),
    Param(String),
}

impl TopicPattern {
    /// Parses a pattern; a `{` without its `}` is literal text.
    pub fn new(pattern: &str) -> Self {
        let mut parts = Vec::new();
        let mut rest = pattern;
        while let Some(open) = rest.find('{') {
            let Some(len) = rest[open + 1..].find('}') else { break };
            let name = &rest[open + 1..open + 1 + len];
            if !name.is_empty() && name.chars().all(|c| c.is_alphanumeric() || c == '_') {
                if open > 0 {
                    parts.push(Part::Literal(rest[..open].to_owned()));
                }
                parts.push(Part::Param(name.to_owned()));
            } else {
                parts.push(Part::Literal(rest[..open + 2 + len].to_owned()));
            }
            rest = &rest[open + 2 + len..];
        }
        if !rest.is_empty() {
            parts.push(Part::Literal(rest.to_owned()));
        }
        Self { pattern: pattern.into(), parts }
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.pattern
    }

    /// The parameters of a topic name this pattern matches, or `None`.
    pub fn parse(&self, topic: &str) -> Option<PathValues> {
        let mut values = Vec::new();
        let mut rest = topic;
        let mut parts = self.parts.iter().peekable();
        while let Some(part) = parts.next() {
            match part {
                Part::Literal(lit) => rest = rest.strip_prefix(lit.as_str())?,
                Part::Param(name) => {
                    // A parameter ends at the next `:` or at the start of the literal after it.
                    let limit = rest.find(':').unwrap_or(rest.len());
                    let end = match parts.peek() {
                        Some(Part::Literal(lit)) => rest[..limit].find(lit.as_str()).unwrap_or(limit),
                        _ => limit,
                    };
                    if end == 0 {
                        return None;
                    }
                    values.push((name.clone(), rest[..end].to_owned()));
                    rest = &rest[end..];
                }
            }
        }
        rest.is_empty().then(|| PathValues::new(values))
    }

    /// The topic name for these values (`order:{order_id}` with `order_id=42` is `order:42`),
    /// or the first parameter without a value.
    pub fn render(&self, values: &PathValues) -> Result<String, String> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Literal(lit) => out.push_str(lit),
                Part::Param(name) => out.push_str(values.get(name).ok_or_else(|| name.clone())?),
            }
        }
        Ok(out)
    }
}

/// One topic served on a channel's connections: implemented by the application (or by
/// generated code) and mounted with [`Endpoint::with_topic`](crate::Endpoint::with_topic).
pub trait Topic<C: Channel>: Send + Sync + 'static {
    /// The parameters parsed from the topic's name (`order:{order_id}` → `order_id`).
    type Params: Params;
    /// What clients send to this topic (besides `subscribe` / `unsubscribe`).
    type Client: Message;
    /// What the topic's handler replies.
    type Server: Message;
    /// The pattern topic names match, such as `order:{order_id}`.
    const PATTERN: &'static str;

    /// Whether this connection may subscribe (default: yes).
    fn authorize<'a>(&'a self, _ctx: TopicContext<'a, C, Self::Params>) -> BoxFuture<'a, bool> {
        Box::pin(async { true })
    }

    /// Runs once the connection has joined, after its `subscribed` ack; what it sends carries
    /// the topic but no `ref` (it is state, not a reply). An error is sent as an error frame.
    fn on_subscribe<'a>(
        &'a self,
        _ctx: TopicContext<'a, C, Self::Params>,
    ) -> BoxFuture<'a, HandlerResult<()>> {
        Box::pin(async { Ok(()) })
    }

    /// Runs before the connection leaves, on `unsubscribe` or when it ends.
    fn on_unsubscribe<'a>(&'a self, _ctx: TopicContext<'a, C, Self::Params>) -> BoxFuture<'a, ()> {
        Box::pin(async {})
    }

    /// Handles one message addressed to the topic; `Some` is sent back, stamped with the topic
    /// and the frame's `ref`.
    fn dispatch<'a>(
        &'a self,
        ctx: TopicContext<'a, C, Self::Params>,
        msg: Self::Client,
    ) -> BoxFuture<'a, HandlerResult<Option<Self::Server>>>;
}

/// What a topic's hooks and handler know: the connection, the topic's name and parameters.
pub struct TopicContext<'a, C: Channel, P> {
    conn: &'a Context<C>,
    name: &'a Arc<str>,
    params: &'a P,
}

impl<C: Channel, P> Clone for TopicContext<'_, C, P> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<C: Channel, P> Copy for TopicContext<'_, C, P> {}

impl<C: Channel, P> std::fmt::Debug for TopicContext<'_, C, P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TopicContext").field("topic", &self.name).field("conn", self.conn.id()).finish()
    }
}

impl<'a, C: Channel, P> TopicContext<'a, C, P> {
    /// The connection (its id, auth, groups, other sends).
    pub fn conn(&self) -> &'a Context<C> {
        self.conn
    }

    /// The topic's name (`order:42`).
    pub fn name(&self) -> &'a str {
        self.name
    }

    /// The parameters parsed from the name.
    pub fn params(&self) -> &'a P {
        self.params
    }

    /// The hub, to publish or send elsewhere.
    pub fn hub(&self) -> &'a Hub {
        self.conn.hub()
    }

    /// Sends a message to this connection on this topic (stamped with the topic, and with the
    /// `ref` of the frame being handled when it was addressed to this topic).
    pub fn send<M: Message>(&self, msg: &M) -> Delivery {
        let current = self.conn.current_envelope().filter(|e| e.topic.as_deref() == Some(&**self.name));
        let envelope = current.unwrap_or_else(|| Envelope::topic(self.name.clone()));
        self.conn.send_stamped(msg.encode(), &envelope)
    }

    /// Publishes a message to every subscriber of this topic (this connection included).
    pub async fn publish<M: Message>(&self, msg: &M, seq: Option<i64>) -> Result<SendReport, LayerError> {
        self.hub().publish(self.name, msg, seq).await
    }
}

/// One subscription of one connection.
pub(crate) struct Subscription {
    pub(crate) name: Arc<str>,
    /// The index of its topic in the endpoint's registry.
    topic: usize,
    params: Box<dyn Any + Send + Sync>,
    group: String,
}

/// A topic frame's action (for logs) and the future that handles it.
pub(crate) type Started<'a, C> = (&'static str, BoxFuture<'a, HandlerResult<Option<<C as Channel>::Server>>>);

/// A reply of a topic handler, already encoded.
type Encoded = HandlerResult<Option<Cow<'static, str>>>;

/// A mounted topic with its types erased, as the endpoint keeps it.
pub(crate) trait AnyTopic<C: Channel>: Send + Sync {
    fn pattern(&self) -> &TopicPattern;
    fn params(&self, values: &PathValues) -> Result<Box<dyn Any + Send + Sync>, ParamsError>;
    fn authorize<'a>(&'a self, ctx: &'a Context<C>, sub: Arc<Subscription>) -> BoxFuture<'a, bool>;
    fn on_subscribe<'a>(
        &'a self,
        ctx: &'a Context<C>,
        sub: Arc<Subscription>,
    ) -> BoxFuture<'a, HandlerResult<()>>;
    fn on_unsubscribe<'a>(&'a self, ctx: &'a Context<C>, sub: Arc<Subscription>) -> BoxFuture<'a, ()>;
    /// Decodes a frame (envelope keys stripped) and starts its handler.
    fn dispatch<'a>(
        &'a self,
        ctx: &'a Context<C>,
        sub: Arc<Subscription>,
        frame: &str,
    ) -> Result<(&'static str, BoxFuture<'a, Encoded>), DecodeError>;
}

/// A topic and its parsed pattern.
pub(crate) struct Mounted<T> {
    topic: T,
    pattern: TopicPattern,
}

impl<T> Mounted<T> {
    pub(crate) fn new<C: Channel>(topic: T) -> Self
    where
        T: Topic<C>,
    {
        Self { topic, pattern: TopicPattern::new(T::PATTERN) }
    }
}

/// The typed context of a subscription of topic `T`.
fn typed<'s, C: Channel, T: Topic<C>>(
    ctx: &'s Context<C>,
    sub: &'s Subscription,
) -> TopicContext<'s, C, T::Params> {
    let params =
        sub.params.downcast_ref::<T::Params>().expect("a subscription holds its own topic's parameters");
    TopicContext { conn: ctx, name: &sub.name, params }
}

impl<C: Channel, T: Topic<C>> AnyTopic<C> for Mounted<T> {
    fn pattern(&self) -> &TopicPattern {
        &self.pattern
    }

    fn params(&self, values: &PathValues) -> Result<Box<dyn Any + Send + Sync>, ParamsError> {
        Ok(Box::new(T::Params::from_path(values)?))
    }

    fn authorize<'a>(&'a self, ctx: &'a Context<C>, sub: Arc<Subscription>) -> BoxFuture<'a, bool> {
        Box::pin(async move { self.topic.authorize(typed::<C, T>(ctx, &sub)).await })
    }

    fn on_subscribe<'a>(
        &'a self,
        ctx: &'a Context<C>,
        sub: Arc<Subscription>,
    ) -> BoxFuture<'a, HandlerResult<()>> {
        Box::pin(async move { self.topic.on_subscribe(typed::<C, T>(ctx, &sub)).await })
    }

    fn on_unsubscribe<'a>(&'a self, ctx: &'a Context<C>, sub: Arc<Subscription>) -> BoxFuture<'a, ()> {
        Box::pin(async move { self.topic.on_unsubscribe(typed::<C, T>(ctx, &sub)).await })
    }

    fn dispatch<'a>(
        &'a self,
        ctx: &'a Context<C>,
        sub: Arc<Subscription>,
        frame: &str,
    ) -> Result<(&'static str, BoxFuture<'a, Encoded>), DecodeError> {
        let msg = T::Client::decode(frame)?;
        let action = msg.tag();
        let fut = Box::pin(async move {
            let reply = self.topic.dispatch(typed::<C, T>(ctx, &sub), msg).await?;
            Ok(reply.map(|r| r.encode()))
        });
        Ok((action, fut))
    }
}

/// The topics mounted on an endpoint, and the one its route subscribes on connect.
pub(crate) struct Topics<C: Channel> {
    pub(crate) mounted: Arc<[Arc<dyn AnyTopic<C>>]>,
    pub(crate) default: Option<usize>,
}

impl<C: Channel> Clone for Topics<C> {
    fn clone(&self) -> Self {
        Self { mounted: self.mounted.clone(), default: self.default }
    }
}

impl<C: Channel> Default for Topics<C> {
    fn default() -> Self {
        Self { mounted: Arc::from(Vec::new()), default: None }
    }
}

impl<C: Channel> Topics<C> {
    /// These topics and one more; returns its index.
    pub(crate) fn with(&self, topic: Arc<dyn AnyTopic<C>>) -> (Self, usize) {
        let mut mounted: Vec<_> = self.mounted.iter().cloned().collect();
        mounted.push(topic);
        let index = mounted.len() - 1;
        (Self { mounted: mounted.into(), default: self.default }, index)
    }

    /// The name the default topic takes for a connection's path values.
    pub(crate) fn default_name(&self, values: &PathValues) -> Option<Result<Arc<str>, String>> {
        let topic = self.mounted.get(self.default?)?;
        Some(topic.pattern().render(values).map(Arc::from))
    }

    /// What a frame addressed to `topic` starts: the action (for logs) and the future that
    /// handles it, or `None` when the frame was refused (its error frame is queued).
    pub(crate) fn route<'a>(
        &'a self,
        ctx: &'a Context<C>,
        frame: &str,
        envelope: Envelope,
        max: Option<usize>,
        completion: bool,
    ) -> Option<Started<'a, C>> {
        let name = envelope.topic.clone()?;
        ctx.set_envelope(Some(envelope));
        let tag = crate::codec::peek_tag(frame, C::TAG.unwrap_or("action"));
        match tag.as_deref() {
            Ok("subscribe") => return Some(("subscribe", Box::pin(self.subscribe(ctx, name, max)))),
            Ok("unsubscribe") => return Some(("unsubscribe", Box::pin(self.unsubscribe(ctx, name)))),
            _ => {}
        }
        let Some(sub) = ctx.subscription(&name) else {
            return Some(("not_subscribed", Box::pin(refuse(ctx, TopicError::NotSubscribed, name))));
        };
        let stripped = protocol::strip_envelope_keys(frame);
        match self.mounted[sub.topic].dispatch(ctx, sub, &stripped) {
            Ok((action, fut)) => Some((
                action,
                Box::pin(async move {
                    if let Some(reply) = fut.await? {
                        ctx.queue_encoded(reply, false);
                    }
                    Ok(None)
                }),
            )),
            Err(err) => {
                tracing::debug!(outcome = "invalid", errors = err.errors.len(), topic = %name, "frame refused");
                ctx.queue_encoded(protocol::error_items_frame(&err.errors), false);
                if completion {
                    ctx.queue_encoded(protocol::COMPLETE, false);
                }
                ctx.set_envelope(None);
                None
            }
        }
    }

    /// Authorizes, joins and acknowledges; `on_subscribe` runs after the ack. A connection
    /// subscribed already is acknowledged again, and nothing else happens.
    pub(crate) async fn subscribe<S>(
        &self,
        ctx: &Context<C>,
        name: Arc<str>,
        max: Option<usize>,
    ) -> HandlerResult<Option<S>> {
        if ctx.is_subscribed(&name) {
            ctx.queue_encoded(SUBSCRIBED, false);
            return Ok(None);
        }
        let found =
            self.mounted.iter().enumerate().find_map(|(i, t)| t.pattern().parse(&name).map(|v| (i, v)));
        let Some((index, params)) = found.and_then(|(i, v)| self.mounted[i].params(&v).ok().map(|p| (i, p)))
        else {
            return refuse(ctx, TopicError::UnknownTopic, name).await;
        };
        if let Some(max) = max.filter(|&max| ctx.lock_subscriptions().len() >= max) {
            ctx.hub().metrics_handle().count_group_refused();
            return Err(HandlerError::items(vec![crate::limits::too_many_groups(max)]));
        }
        let group = group_name(&name);
        let sub = Arc::new(Subscription { name: name.clone(), topic: index, params, group });
        let topic = &self.mounted[index];
        if !topic.authorize(ctx, sub.clone()).await {
            return refuse(ctx, TopicError::Unauthorized, name).await;
        }
        ctx.hub().layer().group_add(&sub.group, ctx.id()).await?;
        ctx.lock_subscriptions().push(sub.clone());
        ctx.queue_encoded(SUBSCRIBED, false);
        // What `on_subscribe` pushes is state, not a reply to the request.
        ctx.set_envelope(Some(Envelope::topic(name)));
        topic.on_subscribe(ctx, sub).await?;
        Ok(None)
    }

    /// Leaves the topic (running `on_unsubscribe` if subscribed) and acknowledges.
    async fn unsubscribe<S>(&self, ctx: &Context<C>, name: Arc<str>) -> HandlerResult<Option<S>> {
        let sub = {
            let mut subs = ctx.lock_subscriptions();
            subs.iter().position(|s| s.name == name).map(|at| subs.remove(at))
        };
        if let Some(sub) = sub {
            self.leave(ctx, sub).await;
        }
        ctx.queue_encoded(UNSUBSCRIBED, false);
        Ok(None)
    }

    /// `on_unsubscribe` (a panic is caught and logged), then leaving the topic's group.
    async fn leave(&self, ctx: &Context<C>, sub: Arc<Subscription>) {
        let group = sub.group.clone();
        let hook = std::panic::AssertUnwindSafe(self.mounted[sub.topic].on_unsubscribe(ctx, sub));
        if hook.catch_unwind().await.is_err() {
            ctx.hub().metrics_handle().count_handler_panic();
            tracing::error!(group = %group, "on_unsubscribe panicked");
        }
        if let Err(e) = ctx.hub().layer().group_discard(&group, ctx.id()).await {
            tracing::warn!(group = %group, error = %e, "leaving topic failed");
        }
    }

    /// Leaves every topic of a connection that is ending.
    pub(crate) async fn leave_all(&self, ctx: &Context<C>) {
        let subs = std::mem::take(&mut *ctx.lock_subscriptions());
        for sub in subs {
            ctx.set_envelope(Some(Envelope::topic(sub.name.clone())));
            self.leave(ctx, sub).await;
        }
        ctx.set_envelope(None);
    }
}

/// Queues a topic error frame (stamped with the frame's envelope).
async fn refuse<C: Channel, S>(
    ctx: &Context<C>,
    error: TopicError,
    name: Arc<str>,
) -> HandlerResult<Option<S>> {
    tracing::debug!(outcome = error.reason(), topic = %name, "topic frame refused");
    ctx.queue_encoded(error.frame(&name), false);
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(p: &TopicPattern, topic: &str) -> Option<Vec<(String, String)>> {
        let v = p.parse(topic)?;
        Some(
            ["order_id", "line"]
                .iter()
                .filter_map(|n| v.get(n).map(|x| ((*n).to_owned(), x.to_owned())))
                .collect(),
        )
    }

    #[test]
    fn patterns_match_parameters_up_to_a_colon() {
        let p = TopicPattern::new("order:{order_id}");
        assert_eq!(values(&p, "order:42"), Some(vec![("order_id".into(), "42".into())]));
        assert_eq!(values(&p, "order:"), None);
        assert_eq!(values(&p, "order:4:2"), None);
        assert_eq!(values(&p, "secret:1"), None);
        let two = TopicPattern::new("order:{order_id}:line-{line}");
        assert_eq!(
            values(&two, "order:7:line-3"),
            Some(vec![("order_id".into(), "7".into()), ("line".into(), "3".into())])
        );
        assert_eq!(two.render(&PathValues::new([("order_id".into(), "7".into())])), Err("line".into()));
        let lit = TopicPattern::new("news{");
        assert!(lit.parse("news{").is_some());
    }

    #[test]
    fn error_frames_have_chanx_shape() {
        assert_eq!(
            TopicError::NotSubscribed.frame("order:43"),
            r#"{"action":"error","payload":{"reason":"not_subscribed","detail":"Not subscribed to 'order:43'"}}"#
        );
    }
}

//! Typed server events (Chanx's `broadcast_event` / `send_event` / `@event_handler`): code
//! anywhere sends a typed event to a group or a connection ([`Hub::broadcast_event`],
//! [`Hub::send_event`]), and each recipient's [`EventHandler`] decides what its own client gets:
//! a message of the channel ([`EventReply::Send`], a transform), the event's frame unchanged
//! ([`EventReply::Forward`], Chanx's `passthrough_events`), or nothing ([`EventReply::Skip`], a
//! filter). Owns the handler contract; connections run handlers in their reader, one at a time
//! between client frames.
//!
//! - The event is encoded once and its bytes are shared by every recipient, across processes
//!   with the Redis layer; a forwarded event is sent as those same bytes.
//! - What a handler sends is followed by `event_complete` when
//!   [`Config::send_completion`](crate::Config::send_completion) is on, like Chanx.
//! - A connection whose channel has no event handler ignores events (counted in
//!   [`SendReport::ignored`](crate::SendReport::ignored)); an event the handler cannot decode
//!   is skipped and logged. Events wait in a bounded inbox per connection
//!   ([`Config::outbox_capacity`](crate::Config::outbox_capacity)); past it they are dropped and
//!   counted.
//!
//! [`Hub::broadcast_event`]: crate::Hub::broadcast_event
//! [`Hub::send_event`]: crate::Hub::send_event

use std::borrow::Cow;
use std::panic::AssertUnwindSafe;

use bytes::Bytes;
use futures_util::FutureExt;

use crate::channel::{BoxFuture, Channel, HandlerResult};
use crate::context::Context;
use crate::layer::{Origin, Outgoing};
use crate::message::Message;

/// What an event handler decides for its connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventReply<M> {
    /// Send this message to the client.
    Send(M),
    /// Send the event's own frame, unchanged (shared bytes, not re-encoded).
    Forward,
    /// Send nothing to this client.
    Skip,
}

/// Turns server events into what one connection's client is sent; mounted with
/// [`Endpoint::with_events`](crate::Endpoint::with_events).
pub trait EventHandler<C: Channel>: Send + Sync + 'static {
    /// The events this channel takes (an enum tagged by `action`, usually).
    type Event: Message;

    /// Decides what this connection's client gets for one event.
    fn handle<'a>(
        &'a self,
        ctx: &'a Context<C>,
        event: Self::Event,
    ) -> BoxFuture<'a, HandlerResult<EventReply<C::Server>>>;
}

/// A reply already encoded.
type Encoded = HandlerResult<EventReply<Cow<'static, str>>>;

/// An event handler with its types erased, as the endpoint keeps it.
pub(crate) trait AnyEvents<C: Channel>: Send + Sync {
    /// Decodes an event and starts its handler; `None` when it is not one this channel takes.
    fn start<'a>(
        &'a self,
        ctx: &'a Context<C>,
        frame: &str,
    ) -> Option<(&'static str, BoxFuture<'a, Encoded>)>;
}

/// An event handler, mounted.
pub(crate) struct Mounted<H>(pub(crate) H);

impl<C: Channel, H: EventHandler<C>> AnyEvents<C> for Mounted<H> {
    fn start<'a>(
        &'a self,
        ctx: &'a Context<C>,
        frame: &str,
    ) -> Option<(&'static str, BoxFuture<'a, Encoded>)> {
        let event = match H::Event::decode(frame) {
            Ok(event) => event,
            Err(e) => {
                tracing::debug!(error = %e, "event not taken by this channel, skipped");
                return None;
            }
        };
        let action = event.tag();
        let fut = Box::pin(async move {
            Ok(match self.0.handle(ctx, event).await? {
                EventReply::Send(msg) => EventReply::Send(msg.encode()),
                EventReply::Forward => EventReply::Forward,
                EventReply::Skip => EventReply::Skip,
            })
        });
        Some((action, fut))
    }
}

/// Runs the handler for one event delivered to this connection and queues what it decides.
/// Panics and failures are logged and counted; the connection lives on.
pub(crate) async fn handle<C: Channel>(events: &dyn AnyEvents<C>, ctx: &Context<C>, frame: Bytes) {
    let Ok(text) = std::str::from_utf8(&frame) else {
        tracing::debug!("event is not UTF-8, skipped");
        return;
    };
    let metrics = ctx.hub().metrics_handle();
    let started = std::panic::catch_unwind(AssertUnwindSafe(|| events.start(ctx, text)));
    let (action, fut) = match started {
        Ok(Some(started)) => started,
        Ok(None) => return,
        Err(_) => {
            metrics.count_handler_panic();
            tracing::error!("event handler panicked");
            return;
        }
    };
    let reply = match AssertUnwindSafe(fut).catch_unwind().await {
        Ok(Ok(reply)) => reply,
        Ok(Err(e)) => {
            metrics.count_handler_failure();
            tracing::warn!(action, error = %e, cause = ?e.cause(), "event handler failed");
            return;
        }
        Err(_) => {
            metrics.count_handler_panic();
            tracing::error!(action, "event handler panicked");
            return;
        }
    };
    let bytes = match reply {
        EventReply::Send(encoded) => crate::protocol::text_bytes(encoded),
        EventReply::Forward => frame,
        EventReply::Skip => return,
    };
    ctx.mailbox().push_deferred(Outgoing::Text(bytes, Origin::Event), false);
}

//! The contract between a generated channel module and the connection runtime: the channel
//! marker ([`Channel`]), its address parameters ([`Params`]) and the dispatching [`Service`].

use std::future::Future;
use std::pin::Pin;

use crate::layer::LayerError;
use crate::message::{ErrorItem, Message};

/// A boxed, sendable future, as returned by [`Service`] methods.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Implemented by the generated marker type of each channel (`chat::Chat`).
pub trait Channel: Send + Sync + Sized + 'static {
    /// What clients send on this channel.
    type Client: Message;
    /// What the server sends on this channel.
    type Server: Message;
    /// The address parameters (`/ws/chat/{room}` → `room`).
    type Params: Params;
    /// The channel's key in the AsyncAPI document.
    const NAME: &'static str;
    /// The channel's address with `{param}` placeholders, if the document gives one.
    const ADDRESS: Option<&'static str>;
    /// The property that carries the message tag (`action` by default), if the channel has one.
    const TAG: Option<&'static str>;
}

/// Address parameters of a channel, parsed from the path the client connected to.
pub trait Params: Sized + Send + Sync + 'static {
    /// Parses the parameters from the values captured in the path.
    fn from_path(values: &PathValues) -> Result<Self, ParamsError>;
}

impl Params for () {
    fn from_path(_: &PathValues) -> Result<Self, ParamsError> {
        Ok(())
    }
}

/// The `{name}` → value pairs captured from a connection's path.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PathValues {
    pairs: Vec<(String, String)>,
}

impl PathValues {
    /// Builds the set from `(name, value)` pairs.
    pub fn new(pairs: impl IntoIterator<Item = (String, String)>) -> Self {
        Self { pairs: pairs.into_iter().collect() }
    }

    /// The value captured for `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// The value captured for `name`, or a [`ParamsError`] naming it.
    pub fn require(&self, name: &'static str) -> Result<String, ParamsError> {
        self.get(name).map(str::to_owned).ok_or(ParamsError::Missing(name))
    }
}

/// A path parameter is missing or malformed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParamsError {
    /// The path had no value for this parameter.
    #[error("missing path parameter `{0}`")]
    Missing(&'static str),
    /// The value is not one the document allows.
    #[error("path parameter `{name}` has value `{value}`, expected one of {expected}")]
    NotAllowed {
        /// Parameter name.
        name: &'static str,
        /// Value received.
        value: String,
        /// Values the document lists.
        expected: String,
    },
}

/// A handler failed. The client gets `{"action": "error", "payload": {"detail": ...}}` with the
/// public detail only (the source is logged, never sent), or, for an error built from items
/// ([`HandlerError::items`]), `{"action": "error", "payload": [{"type", "loc", "msg"}, ...]}`.
#[derive(Debug)]
pub struct HandlerError {
    detail: String,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
    items: Vec<ErrorItem>,
}

impl HandlerError {
    /// An error whose `detail` is shown to the client as is.
    pub fn public(detail: impl Into<String>) -> Self {
        Self { detail: detail.into(), source: None, items: Vec::new() }
    }

    /// An internal error: logged, and the client sees a generic detail.
    pub fn internal(source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self::from_source(source.into())
    }

    /// An error sent as error items, in the shape of a refused frame (`type`, `loc`, `msg`);
    /// its detail is the first item's `msg`.
    pub fn items(items: Vec<ErrorItem>) -> Self {
        let detail = items.first().map_or_else(|| "Failed to process message".to_owned(), |i| i.msg.clone());
        Self { detail, source: None, items }
    }

    /// The items the client gets instead of a detail (empty for a detail error).
    pub fn error_items(&self) -> &[ErrorItem] {
        &self.items
    }

    /// An internal error, except a limit the client ran into (a join past
    /// [`Limits::max_groups`](crate::Limits::max_groups)), which the client is told about.
    fn from_source(source: Box<dyn std::error::Error + Send + Sync>) -> Self {
        if let Some(LayerError::TooManyGroups { max }) = source.downcast_ref::<LayerError>() {
            return Self::items(vec![crate::limits::too_many_groups(*max)]);
        }
        Self { detail: "Failed to process message".to_owned(), source: Some(source), items: Vec::new() }
    }

    /// The text sent to the client.
    pub fn detail(&self) -> &str {
        &self.detail
    }

    /// The internal cause, if any (logged, never sent).
    pub fn cause(&self) -> Option<&(dyn std::error::Error + Send + Sync + 'static)> {
        self.source.as_deref()
    }
}

impl std::fmt::Display for HandlerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.detail)
    }
}

impl<E: std::error::Error + Send + Sync + 'static> From<E> for HandlerError {
    fn from(e: E) -> Self {
        Self::from_source(Box::new(e))
    }
}

/// What handler methods return.
pub type HandlerResult<T> = Result<T, HandlerError>;

/// The dispatching side of a channel, implemented by generated code for `<Channel>Service<H>`
/// where `H` implements the generated handler trait. The connection runtime calls it.
pub trait Service<C: Channel>: Send + Sync + 'static {
    /// Handles one decoded client message; `Some` is sent back to the sender as the reply.
    fn dispatch<'a>(
        &'a self,
        ctx: &'a crate::Context<C>,
        msg: C::Client,
    ) -> BoxFuture<'a, HandlerResult<Option<C::Server>>>;

    /// Handles one binary frame. The default refuses it (the client gets an error frame).
    fn dispatch_binary<'a>(
        &'a self,
        _ctx: &'a crate::Context<C>,
        _data: bytes::Bytes,
    ) -> Option<BoxFuture<'a, HandlerResult<Option<C::Server>>>> {
        None
    }

    /// Runs once after the connection is accepted (and authenticated), before any message.
    /// An error closes the connection.
    fn on_connect<'a>(&'a self, _ctx: &'a crate::Context<C>) -> BoxFuture<'a, HandlerResult<()>> {
        Box::pin(async { Ok(()) })
    }

    /// Runs once when the connection ends, however it ends.
    fn on_disconnect<'a>(&'a self, _ctx: &'a crate::Context<C>) -> BoxFuture<'a, ()> {
        Box::pin(async {})
    }
}

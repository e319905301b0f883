//! Transport-neutral WebSocket frames, close codes and transport errors. Owns the vocabulary
//! adapters translate into; must not know about JSON, channels or sockets.

use std::borrow::Cow;
use std::fmt;

use bytes::Bytes;

/// One WebSocket frame as the connection driver sees it, whatever the transport.
///
/// `Text` carries the frame's bytes; the driver checks that incoming text is UTF-8 (invalid
/// text closes the connection with 1007), and everything the driver sends as `Text` is UTF-8.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// A text frame (UTF-8 JSON on this protocol).
    Text(Bytes),
    /// A binary frame.
    Binary(Bytes),
    /// A ping; transports that do not answer pings themselves get a pong from the driver.
    Ping(Bytes),
    /// A pong (counts as activity for the idle timeout).
    Pong(Bytes),
    /// A close frame, with its code and reason when it has one.
    Close(Option<CloseFrame>),
}

impl Frame {
    /// A text frame from a string.
    pub fn text(text: impl Into<String>) -> Self {
        Frame::Text(Bytes::from(text.into()))
    }

    /// A close frame with this code and reason.
    pub fn close(code: u16, reason: impl Into<Cow<'static, str>>) -> Self {
        Frame::Close(Some(CloseFrame::new(code, reason)))
    }
}

/// The code and reason of a close frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseFrame {
    /// Close code (RFC 6455 section 7.4, or 4000-4999 for applications).
    pub code: u16,
    /// Reason, at most 123 bytes on the wire (longer reasons are cut at a character boundary).
    pub reason: Cow<'static, str>,
}

impl CloseFrame {
    /// A close frame; the reason is cut to the 123 bytes a close frame can carry.
    pub fn new(code: u16, reason: impl Into<Cow<'static, str>>) -> Self {
        let mut reason = reason.into();
        if reason.len() > 123 {
            let mut end = 123;
            while !reason.is_char_boundary(end) {
                end -= 1;
            }
            reason = Cow::Owned(reason[..end].to_owned());
        }
        Self { code, reason }
    }
}

impl fmt::Display for CloseFrame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.code, self.reason)
    }
}

/// Close codes the runtime sends.
pub mod close_code {
    /// Normal closure.
    pub const NORMAL: u16 = 1000;
    /// The server is going away (graceful shutdown) or the connection was idle too long.
    pub const GOING_AWAY: u16 = 1001;
    /// The peer broke the WebSocket protocol.
    pub const PROTOCOL_ERROR: u16 = 1002;
    /// A text frame was not valid UTF-8.
    pub const INVALID_PAYLOAD: u16 = 1007;
    /// Policy violation: the default code for a slow consumer whose outbox is full.
    pub const POLICY_VIOLATION: u16 = 1008;
    /// A frame was larger than the configured limit.
    pub const MESSAGE_TOO_BIG: u16 = 1009;
    /// The server failed (a panicking or failing `on_connect`).
    pub const INTERNAL_ERROR: u16 = 1011;
    /// Try again later (overload).
    pub const TRY_AGAIN_LATER: u16 = 1013;
    /// Authentication failed (Chanx: 4000 + 401).
    pub const UNAUTHORIZED: u16 = 4401;
    /// Authenticated but not allowed (Chanx: 4000 + 403).
    pub const FORBIDDEN: u16 = 4403;
}

/// What went wrong reading from a transport; the driver picks the close code from the kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportErrorKind {
    /// The peer sent a frame or message over the size limit (close 1009).
    TooLarge,
    /// The peer sent a text frame that is not UTF-8 (close 1007).
    InvalidUtf8,
    /// The peer broke the WebSocket protocol (close 1002).
    Protocol,
    /// The connection is gone (reset, closed); nothing more can be sent.
    Closed,
}

/// An error from a transport's stream or sink.
#[derive(Debug, thiserror::Error)]
#[error("transport error ({kind:?}): {source}")]
pub struct TransportError {
    /// What kind of failure this is.
    pub kind: TransportErrorKind,
    /// The transport's own error.
    #[source]
    pub source: Box<dyn std::error::Error + Send + Sync>,
}

impl TransportError {
    /// Wraps a transport error with its kind.
    pub fn new(
        kind: TransportErrorKind,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        Self { kind, source: source.into() }
    }
}

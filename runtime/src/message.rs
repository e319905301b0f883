//! The message contract between generated code and the runtime: decoding, validation errors,
//! encoding. Owns the error-frame item shape (Chanx's / pydantic's `{type, loc, msg}`); does not
//! touch sockets.

use std::borrow::Cow;
use std::fmt;

use serde::{Deserialize, Serialize};

/// A set of messages that travel in one direction on one channel (a generated
/// `ClientMessage` or `ServerMessage` enum).
pub trait Message: Sized + Send + Sync + 'static {
    /// Parses one JSON text frame and checks every constraint of the schema.
    ///
    /// On failure every problem found is reported, each with its location.
    fn decode(frame: &str) -> Result<Self, DecodeError>;

    /// Encodes this message as one JSON text frame (a JSON object).
    ///
    /// A message whose encoding never changes (a tag and `null` properties, like a pong) is
    /// borrowed from a constant: sending it allocates nothing.
    fn encode(&self) -> Cow<'static, str>;

    /// The wire value of this message's tag (`"chat"` for `{"action": "chat", ...}`), or the
    /// message name when the channel has no tag property.
    fn tag(&self) -> &'static str;
}

/// One segment of an error location: an object key or an array index.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum LocPart {
    /// Array index.
    Index(usize),
    /// Object key (or the message tag in first position).
    Key(String),
}

/// One problem in a client frame, in the shape Chanx (pydantic) sends: `{type, loc, msg}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorItem {
    /// Machine-readable kind, using pydantic's names (`missing`, `string_too_short`, ...).
    #[serde(rename = "type")]
    pub kind: Cow<'static, str>,
    /// Where the problem is: the message tag, then the path inside the frame.
    pub loc: Vec<LocPart>,
    /// Human-readable explanation.
    pub msg: String,
}

/// Why a frame could not be decoded: every problem found, never just the first.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DecodeError {
    /// The problems, in document order.
    pub errors: Vec<ErrorItem>,
}

impl DecodeError {
    /// An error with one problem.
    pub fn single(kind: &'static str, loc: Vec<LocPart>, msg: String) -> Self {
        Self { errors: vec![ErrorItem { kind: kind.into(), loc, msg }] }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid frame: ")?;
        for (i, e) in self.errors.iter().enumerate() {
            if i > 0 {
                write!(f, "; ")?;
            }
            write!(f, "{} at ", e.kind)?;
            for (j, part) in e.loc.iter().enumerate() {
                if j > 0 {
                    write!(f, ".")?;
                }
                match part {
                    LocPart::Index(i) => write!(f, "{i}")?,
                    LocPart::Key(k) => write!(f, "{k}")?,
                }
            }
            write!(f, ": {}", e.msg)?;
        }
        Ok(())
    }
}

impl std::error::Error for DecodeError {}

//! The per-connection context handed to handlers: identity, path parameters, auth result,
//! groups, and sending. (Skeleton: the connection runtime fills it in.)

use crate::channel::Channel;

/// What a handler knows about, and can do with, the connection it serves.
pub struct Context<C: Channel> {
    params: C::Params,
}

impl<C: Channel> Context<C> {
    /// The channel's address parameters for this connection.
    pub fn params(&self) -> &C::Params {
        &self.params
    }
}

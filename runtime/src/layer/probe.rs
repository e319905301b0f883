//! Test probes for channel layers: a mailbox whose outbox a test reads directly, without a
//! socket or a connection driver. Owns nothing but that outbox; for tests only (feature
//! `testing`), so layer contract tests can run outside the crate.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;

use super::{ConnId, ConnShared, Mailbox, Origin, Outgoing, Payload};
use crate::config::SlowConsumer;
use crate::hub::Metrics;

/// The receiving end of a test mailbox (see [`probe_mailbox`]).
#[derive(Debug)]
pub struct Probe {
    conn: Arc<ConnShared>,
    events: Option<tokio::sync::mpsc::Receiver<Bytes>>,
}

impl Drop for Probe {
    fn drop(&mut self) {
        // Like a connection whose writer ended: further deliveries are `gone`.
        self.conn.outbox.close();
    }
}

/// One delivered item, as the connection's writer would have seen it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probed {
    /// The payload.
    pub payload: Payload,
    /// Why it was delivered (`None` for binary payloads, which carry no origin).
    pub origin: Option<Origin>,
}

impl Probed {
    /// The payload's bytes (text or binary).
    pub fn bytes(&self) -> &Bytes {
        match &self.payload {
            Payload::Text(b) | Payload::Binary(b) | Payload::Event(b) => b,
        }
    }
}

/// A mailbox for `id` with an outbox of `capacity` and the given slow-consumer policy, and the
/// probe that reads what was delivered to it. Attach the mailbox to a layer under test.
pub fn probe_mailbox(id: ConnId, capacity: usize, policy: SlowConsumer) -> (Mailbox, Probe) {
    let conn = Arc::new(ConnShared::new(id, policy, Arc::new(Metrics::default()), capacity.max(1)));
    (Mailbox::new(conn.clone()), Probe { conn, events: None })
}

/// Like [`probe_mailbox`], for a connection whose channel has an event handler: events
/// delivered to it are read with [`Probe::next_event_within`].
pub fn probe_event_mailbox(id: ConnId, capacity: usize, policy: SlowConsumer) -> (Mailbox, Probe) {
    let (mailbox, mut probe) = probe_mailbox(id, capacity, policy);
    probe.events = probe.conn.open_events(capacity);
    (mailbox, probe)
}

impl Probe {
    /// The next delivered item if one is queued, without waiting.
    pub fn try_next(&mut self) -> Option<Probed> {
        loop {
            match self.conn.outbox.try_pop()? {
                Outgoing::Text(b, origin) => {
                    return Some(Probed { payload: Payload::Text(b), origin: Some(origin) });
                }
                Outgoing::Binary(b) => return Some(Probed { payload: Payload::Binary(b), origin: None }),
                Outgoing::Pong(_) => {}
            }
        }
    }

    /// The next delivered item, waiting up to `timeout`.
    pub async fn next_within(&mut self, timeout: Duration) -> Option<Probed> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let item = tokio::time::timeout_at(deadline, self.conn.outbox.pop()).await.ok()??;
            match item {
                Outgoing::Text(b, origin) => {
                    return Some(Probed { payload: Payload::Text(b), origin: Some(origin) });
                }
                Outgoing::Binary(b) => return Some(Probed { payload: Payload::Binary(b), origin: None }),
                Outgoing::Pong(_) => {}
            }
        }
    }

    /// The next event delivered to a probe of [`probe_event_mailbox`], waiting up to `timeout`.
    pub async fn next_event_within(&mut self, timeout: Duration) -> Option<Payload> {
        let events = self.events.as_mut()?;
        tokio::time::timeout(timeout, events.recv()).await.ok()?.map(Payload::Event)
    }

    /// Everything queued right now.
    pub fn drain(&mut self) -> Vec<Probed> {
        std::iter::from_fn(|| self.try_next()).collect()
    }

    /// Whether a close was requested for this connection (the slow-consumer policy fired).
    pub fn close_requested(&self) -> bool {
        self.conn.close_request().is_some()
    }
}

//! Limits on what one client may ask of the server, beyond the frame size: JSON nesting depth,
//! message rate (a token bucket per connection), groups per connection, the number of open
//! connections per endpoint, and the HTTP server's header deadline and socket bound
//! ([`HttpLimits`]). Plain bookkeeping read by the driver ([`conn`](crate::conn)), the context
//! and [`accept`](crate::accept); nothing here does I/O or sends frames. The byte scan that
//! applies `max_json_depth` lives in [`scan`](crate::scan).

use std::borrow::Cow;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::message::ErrorItem;

/// Per-connection and per-endpoint limits; part of [`Config`](crate::Config)
/// ([`Config::limits`](crate::Config::limits)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Deepest accepted nesting of JSON arrays and objects in a client frame; deeper frames get
    /// a `json_invalid` error frame ("nesting too deep") before any decoding, and the connection
    /// stays open. Default 64 (serde_json itself stops at 128).
    pub max_json_depth: usize,
    /// Groups one connection may be in at once through [`Context::join`](crate::Context::join);
    /// a join past it fails with [`LayerError::TooManyGroups`](crate::LayerError::TooManyGroups),
    /// which a handler's `?` turns into the error frame
    /// `{"action":"error","payload":[{"type":"too_many_groups","loc":[],"msg":"Too many groups: at most 64 per connection"}]}`.
    /// Joining a group it is in already always succeeds. `None`: no limit. Default 64.
    pub max_groups: Option<usize>,
    /// Messages per second a client may send; `None` disables the limit. Default `None`: the
    /// runtime cannot guess an application's traffic (and load tests measure one connection at
    /// full speed), so set it for public endpoints.
    pub rate: Option<RateLimit>,
    /// Connections of one [`Endpoint`](crate::Endpoint) open at once; the next upgrade is
    /// answered with HTTP 503. `None`: no limit. Default 16,384.
    pub max_connections: Option<usize>,
}

impl Default for Limits {
    fn default() -> Self {
        Self { max_json_depth: 64, max_groups: Some(64), rate: None, max_connections: Some(16 * 1024) }
    }
}

impl Limits {
    /// Sets [`Limits::max_json_depth`] (at least 1).
    pub fn max_json_depth(mut self, depth: usize) -> Self {
        self.max_json_depth = depth.max(1);
        self
    }

    /// Sets [`Limits::max_groups`].
    pub fn max_groups(mut self, max: Option<usize>) -> Self {
        self.max_groups = max;
        self
    }

    /// Sets [`Limits::rate`].
    pub fn rate(mut self, rate: Option<RateLimit>) -> Self {
        self.rate = rate;
        self
    }

    /// Sets [`Limits::max_connections`].
    pub fn max_connections(mut self, max: Option<usize>) -> Self {
        self.max_connections = max;
        self
    }
}

/// Limits of the HTTP/1.1 server in front of the upgrade ([`crate::accept::serve`]); part of
/// [`Config`](crate::Config) ([`Config::http`](crate::Config::http)). Server-wide: pass the
/// `http` of one channel's config (or of `Config::default()`) to `serve`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpLimits {
    /// Time a client has to send the complete header of each request, the first and every
    /// keep-alive one, counted from when the server starts waiting for it (so an idle
    /// keep-alive connection is closed after it too); past it the socket is closed. Once a
    /// connection is a WebSocket, [`Config::idle_timeout`](crate::Config::idle_timeout) takes
    /// over. Default 10 s.
    pub header_read_timeout: Duration,
    /// Sockets open at once, WebSockets included; past it a new socket is closed as soon as it is
    /// accepted. `None`: no limit. Default 17,408: the 16,384 WebSockets of
    /// [`Limits::max_connections`] and 1,024 more for plain HTTP and handshakes.
    pub max_connections: Option<usize>,
}

impl Default for HttpLimits {
    fn default() -> Self {
        Self { header_read_timeout: Duration::from_secs(10), max_connections: Some(16 * 1024 + 1024) }
    }
}

impl HttpLimits {
    /// Sets [`HttpLimits::header_read_timeout`].
    pub fn header_read_timeout(mut self, timeout: Duration) -> Self {
        self.header_read_timeout = timeout;
        self
    }

    /// Sets [`HttpLimits::max_connections`].
    pub fn max_connections(mut self, max: Option<usize>) -> Self {
        self.max_connections = max;
        self
    }
}

/// A token bucket: `burst` messages at once, refilled at `per_second`.
///
/// A frame that finds the bucket empty is not handled: the client gets
/// `{"action":"error","payload":[{"type":"rate_limited","loc":[],"msg":...}]}`. After `strikes`
/// such frames without a calm second in between, the connection is closed with 1008.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Sustained messages per second.
    pub per_second: u32,
    /// Messages that may arrive at once (the bucket's size).
    pub burst: u32,
    /// Refused frames tolerated before the connection is closed with 1008.
    pub strikes: u32,
}

impl RateLimit {
    /// `per_second` sustained, bursts of twice that, close after 100 refused frames.
    pub fn per_second(per_second: u32) -> Self {
        Self { per_second: per_second.max(1), burst: per_second.max(1).saturating_mul(2), strikes: 100 }
    }

    /// Sets [`RateLimit::burst`] (at least 1).
    pub fn burst(mut self, burst: u32) -> Self {
        self.burst = burst.max(1);
        self
    }

    /// Sets [`RateLimit::strikes`].
    pub fn strikes(mut self, strikes: u32) -> Self {
        self.strikes = strikes;
        self
    }
}

/// What the rate limiter says about one frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    Allow,
    /// Refuse this frame with an error frame.
    Refuse,
    /// Refused too often: close the connection.
    Close,
}

/// One connection's token bucket.
#[derive(Debug)]
pub(crate) struct Bucket {
    limit: RateLimit,
    tokens: f64,
    last: Instant,
    strikes: u32,
    last_refused: Option<Instant>,
}

/// A calm second (nothing refused) forgives earlier refusals.
const FORGIVE_AFTER: Duration = Duration::from_secs(1);

impl Bucket {
    pub(crate) fn new(limit: RateLimit, now: Instant) -> Self {
        Self { limit, tokens: f64::from(limit.burst), last: now, strikes: 0, last_refused: None }
    }

    pub(crate) fn limit(&self) -> &RateLimit {
        &self.limit
    }

    pub(crate) fn take(&mut self, now: Instant) -> Verdict {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens =
            (self.tokens + elapsed * f64::from(self.limit.per_second)).min(f64::from(self.limit.burst));
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            if self.last_refused.is_some_and(|t| now.saturating_duration_since(t) >= FORGIVE_AFTER) {
                self.strikes = 0;
                self.last_refused = None;
            }
            return Verdict::Allow;
        }
        self.strikes = self.strikes.saturating_add(1);
        self.last_refused = Some(now);
        if self.strikes > self.limit.strikes { Verdict::Close } else { Verdict::Refuse }
    }
}

/// The error item of a refused frame.
pub(crate) fn rate_limited(limit: &RateLimit) -> ErrorItem {
    ErrorItem {
        kind: Cow::Borrowed("rate_limited"),
        loc: Vec::new(),
        msg: format!("Too many messages: at most {} per second", limit.per_second),
    }
}

/// The error item of a join past [`Limits::max_groups`].
pub(crate) fn too_many_groups(max: usize) -> ErrorItem {
    ErrorItem {
        kind: Cow::Borrowed("too_many_groups"),
        loc: Vec::new(),
        msg: format!("Too many groups: at most {max} per connection"),
    }
}

/// Counts the open connections of one endpoint; shared by its clones.
#[derive(Debug, Default)]
pub(crate) struct ConnCounter {
    open: AtomicUsize,
}

impl ConnCounter {
    /// A permit for one more connection, unless `max` are open.
    pub(crate) fn try_acquire(self: &Arc<Self>, max: Option<usize>) -> Option<ConnPermit> {
        let max = max.unwrap_or(usize::MAX);
        self.open
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| (n < max).then_some(n + 1))
            .ok()
            .map(|_| ConnPermit(self.clone()))
    }

    /// Connections holding a permit.
    pub(crate) fn open(&self) -> usize {
        self.open.load(Ordering::Acquire)
    }
}

/// One open connection of an endpoint; released when dropped.
#[derive(Debug)]
pub(crate) struct ConnPermit(Arc<ConnCounter>);

impl Drop for ConnPermit {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_refuses_then_closes_and_forgives_a_calm_second() {
        let t0 = Instant::now();
        let limit = RateLimit::per_second(10).burst(3).strikes(2);
        let mut b = Bucket::new(limit, t0);
        assert_eq!([b.take(t0), b.take(t0), b.take(t0)], [Verdict::Allow; 3]);
        assert_eq!(b.take(t0), Verdict::Refuse);
        assert_eq!(b.take(t0), Verdict::Refuse);
        assert_eq!(b.take(t0), Verdict::Close);
        let mut b = Bucket::new(limit, t0);
        for _ in 0..3 {
            b.take(t0);
        }
        assert_eq!(b.take(t0), Verdict::Refuse);
        // 100 ms refill one token; after a calm second the strikes are forgiven.
        assert_eq!(b.take(t0 + Duration::from_millis(100)), Verdict::Allow);
        let later = t0 + Duration::from_secs(2);
        assert_eq!(b.take(later), Verdict::Allow);
        assert_eq!(b.strikes, 0);
    }

    #[test]
    fn counter_refuses_past_the_maximum_and_releases_on_drop() {
        let counter = Arc::new(ConnCounter::default());
        let a = counter.try_acquire(Some(2)).expect("first");
        let _b = counter.try_acquire(Some(2)).expect("second");
        assert!(counter.try_acquire(Some(2)).is_none());
        drop(a);
        assert_eq!(counter.open(), 1);
        assert!(counter.try_acquire(Some(2)).is_some());
        assert!(counter.try_acquire(None).is_some());
    }
}

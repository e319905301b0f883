//! Per-channel connection settings: limits, timeouts, completion signals and the slow-consumer
//! policy. Plain data; the driver and the adapters read it, nothing here does I/O.

use std::time::Duration;

use crate::limits::{HttpLimits, Limits};

/// What happens when a delivery finds a connection's outbox full.
///
/// Deliveries never wait: a full outbox means the client reads slower than the server writes.
/// Whatever the policy, the event is counted in [`SendReport`](crate::SendReport) and in
/// [`Hub::metrics`](crate::Hub::metrics).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlowConsumer {
    /// Close the connection with this code (the default, 1008 "policy violation"). Messages
    /// sent as *volatile* are dropped instead, and the connection stays.
    Close {
        /// The close code sent to the slow client.
        code: u16,
    },
    /// Drop the message that did not fit, every message, volatile or not; keep the connection.
    Drop,
}

impl Default for SlowConsumer {
    fn default() -> Self {
        SlowConsumer::Close { code: crate::close_code::POLICY_VIOLATION }
    }
}

/// How a failed authentication is reported to the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AuthFailure {
    /// Chanx's way (the default): accept the upgrade, then close with 4000 + status
    /// (4401, 4403).
    #[default]
    CloseCode,
    /// Refuse the upgrade with the HTTP status (401, 403).
    HttpStatus,
}

/// Settings of the connections of one channel. Build with [`Config::default`] and the setters.
#[derive(Debug, Clone)]
pub struct Config {
    /// Largest accepted frame (and message) in bytes; bigger ones close with 1009. Default 1 MiB.
    pub max_frame_size: usize,
    /// Frames that may wait in a connection's outbox. Default 256.
    pub outbox_capacity: usize,
    /// Longest time one write (or flush) may take before the connection is dropped. Default 10 s.
    pub write_timeout: Duration,
    /// Interval between server pings; `None` disables pings. Default 25 s.
    pub ping_interval: Option<Duration>,
    /// A connection that sends nothing (not even a pong) for this long is closed with 1001;
    /// `None` disables it. Default 60 s.
    pub idle_timeout: Option<Duration>,
    /// Send Chanx's completion frames: `complete` after each client frame, `group_complete`
    /// after each group message, `event_complete` after each direct hub message. Default off.
    pub send_completion: bool,
    /// What a full outbox does. Default: close with 1008.
    pub slow_consumer: SlowConsumer,
    /// How long a graceful close (shutdown, `Context::close`) may spend flushing the outbox.
    /// Default 5 s.
    pub drain_timeout: Duration,
    /// How a failed authentication is reported. Default: close with 4401/4403.
    pub auth_failure: AuthFailure,
    /// Read buffer of each socket, for adapters that have one (axum). Default 4 KiB.
    pub read_buffer_size: usize,
    /// JSON nesting depth, message rate, group and connection count limits (see [`Limits`]).
    pub limits: Limits,
    /// The HTTP server's header deadline and socket bound, read by
    /// [`accept::serve`](crate::accept::serve) (see [`HttpLimits`]).
    pub http: HttpLimits,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            max_frame_size: 1 << 20,
            outbox_capacity: 256,
            write_timeout: Duration::from_secs(10),
            ping_interval: Some(Duration::from_secs(25)),
            idle_timeout: Some(Duration::from_secs(60)),
            send_completion: false,
            slow_consumer: SlowConsumer::default(),
            drain_timeout: Duration::from_secs(5),
            auth_failure: AuthFailure::default(),
            read_buffer_size: 4 * 1024,
            limits: Limits::default(),
            http: HttpLimits::default(),
        }
    }
}

impl Config {
    /// Sets [`Config::max_frame_size`].
    pub fn max_frame_size(mut self, bytes: usize) -> Self {
        self.max_frame_size = bytes;
        self
    }

    /// Sets [`Config::outbox_capacity`] (at least 1).
    pub fn outbox_capacity(mut self, frames: usize) -> Self {
        self.outbox_capacity = frames.max(1);
        self
    }

    /// Sets [`Config::write_timeout`].
    pub fn write_timeout(mut self, timeout: Duration) -> Self {
        self.write_timeout = timeout;
        self
    }

    /// Sets [`Config::ping_interval`].
    pub fn ping_interval(mut self, interval: Option<Duration>) -> Self {
        self.ping_interval = interval;
        self
    }

    /// Sets [`Config::idle_timeout`].
    pub fn idle_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.idle_timeout = timeout;
        self
    }

    /// Sets [`Config::send_completion`].
    pub fn send_completion(mut self, on: bool) -> Self {
        self.send_completion = on;
        self
    }

    /// Sets [`Config::slow_consumer`].
    pub fn slow_consumer(mut self, policy: SlowConsumer) -> Self {
        self.slow_consumer = policy;
        self
    }

    /// Sets [`Config::drain_timeout`].
    pub fn drain_timeout(mut self, timeout: Duration) -> Self {
        self.drain_timeout = timeout;
        self
    }

    /// Sets [`Config::auth_failure`].
    pub fn auth_failure(mut self, mode: AuthFailure) -> Self {
        self.auth_failure = mode;
        self
    }

    /// Sets [`Config::read_buffer_size`].
    pub fn read_buffer_size(mut self, bytes: usize) -> Self {
        self.read_buffer_size = bytes;
        self
    }

    /// Sets [`Config::limits`].
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Sets [`Config::http`].
    pub fn http(mut self, http: HttpLimits) -> Self {
        self.http = http;
        self
    }
}

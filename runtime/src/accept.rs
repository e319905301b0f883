//! Between TCP accept and the upgrade (feature `axum`): an HTTP/1.1 server for an axum app
//! that bounds what a client can hold before it is a WebSocket. Owns the accept loop and the
//! socket slots; knows nothing of WebSocket frames.
//!
//! `axum::serve` gives hyper no timer, so hyper's header read timeout never fires: a client
//! that sends one request and then drips the next one's headers a byte a second (or sends
//! nothing at all) holds its socket forever, and a few hundred of them lock everyone out.
//! [`serve`] runs hyper's HTTP/1.1 connection itself, with a timer and these limits
//! ([`HttpLimits`], part of [`Config`](crate::Config)):
//!
//! - **every request** (the first and each keep-alive one) must deliver its complete header
//!   within [`HttpLimits::header_read_timeout`], counted from when the server starts waiting
//!   for it; an idle keep-alive connection is closed after the same time. Counted in
//!   [`MetricsSnapshot::http_header_timeouts`](crate::MetricsSnapshot::http_header_timeouts);
//! - at most [`HttpLimits::max_connections`] sockets are open at once, upgraded WebSockets
//!   included (the slot travels with the socket); past it a new socket is closed as soon as it
//!   is accepted, counted in
//!   [`MetricsSnapshot::http_refused_full`](crate::MetricsSnapshot::http_refused_full).
//!
//! Both are logged at `warn`, at most once a second each. Any `axum::serve::Listener` works;
//! wrap a `TcpListener` with [`nodelay`](crate::axum::nodelay) for `TCP_NODELAY`.
//!
//! ```no_run
//! # async fn run(app: axum::Router, hub: chanx::Hub) -> std::io::Result<()> {
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! let limits = chanx::Config::default().http;
//! chanx::accept::serve(chanx::axum::nodelay(listener), app, &hub, limits, std::future::pending()).await
//! # }
//! ```

use std::future::Future;
use std::io;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::serve::Listener;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};

use crate::hub::{Hub, Metrics};
use crate::limits::HttpLimits;

/// Serves `app` on `listener` over HTTP/1.1 (with upgrades) under `limits`, counting in the
/// hub's metrics, until `shutdown` completes; then stops accepting, lets each connection finish
/// the request it is on (idle keep-alive connections close at once) and returns when all have.
/// Upgraded WebSockets are the hub's by then: close them with [`Hub::shutdown`].
pub async fn serve<L>(
    mut listener: L,
    app: Router,
    hub: &Hub,
    limits: HttpLimits,
    shutdown: impl Future<Output = ()> + Send,
) -> io::Result<()>
where
    L: Listener,
{
    let metrics = hub.metrics_handle().clone();
    let slots = limits.max_connections.map(|n| Arc::new(Semaphore::new(n.min(Semaphore::MAX_PERMITS))));
    let refused_log = Throttle::default();
    let timeout_log = Arc::new(Throttle::default());
    let (stop_tx, stop_rx) = watch::channel(());
    let mut shutdown = pin!(shutdown);
    loop {
        let (io, _addr) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => accepted,
        };
        let permit = match &slots {
            None => None,
            Some(slots) => match slots.clone().try_acquire_owned() {
                Ok(permit) => Some(permit),
                Err(_) => {
                    metrics.count_http_refused_full();
                    if refused_log.ready() {
                        let refused = metrics.http_refused_full();
                        tracing::warn!(refused, "HTTP connection limit reached, closing new sockets");
                    }
                    drop(io);
                    continue;
                }
            },
        };
        let socket = Slot::new(io, permit, metrics.clone());
        let conn = Conn { app: app.clone(), limits, metrics: metrics.clone(), log: timeout_log.clone() };
        tokio::spawn(conn.run(socket, stop_rx.clone()));
    }
    drop(stop_rx);
    // Every connection task holds a receiver: tell them, then wait until all are gone.
    stop_tx.send_replace(());
    stop_tx.closed().await;
    Ok(())
}

/// One accepted HTTP connection.
struct Conn {
    app: Router,
    limits: HttpLimits,
    metrics: Arc<Metrics>,
    log: Arc<Throttle>,
}

impl Conn {
    async fn run<Io>(self, socket: Slot<Io>, mut stop: watch::Receiver<()>)
    where
        Io: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let mut builder = http1::Builder::new();
        builder.timer(TokioTimer::new()).header_read_timeout(self.limits.header_read_timeout);
        let service = TowerToHyperService::new(self.app);
        let mut conn = pin!(builder.serve_connection(TokioIo::new(socket), service).with_upgrades());
        let result = tokio::select! {
            result = conn.as_mut() => result,
            _ = stop.changed() => {
                conn.as_mut().graceful_shutdown();
                conn.await
            }
        };
        match result {
            Err(e) if e.is_timeout() => {
                self.metrics.count_http_header_timeout();
                if self.log.ready() {
                    let timeouts = self.metrics.http_header_timeouts();
                    tracing::warn!(
                        timeouts,
                        "request header not complete before its deadline, closing the socket"
                    );
                }
            }
            Err(e) => tracing::debug!(error = %e, "HTTP connection ended with an error"),
            Ok(()) => {}
        }
        drop(stop);
    }
}

/// A socket holding one of the server's connection slots (and counted as open) for as long
/// as it lives, upgraded or not.
#[derive(Debug)]
struct Slot<Io> {
    io: Io,
    _permit: Option<OwnedSemaphorePermit>,
    metrics: Arc<Metrics>,
}

impl<Io> Slot<Io> {
    fn new(io: Io, permit: Option<OwnedSemaphorePermit>, metrics: Arc<Metrics>) -> Self {
        metrics.http_opened();
        Self { io, _permit: permit, metrics }
    }
}

impl<Io> Drop for Slot<Io> {
    fn drop(&mut self) {
        self.metrics.http_closed();
    }
}

impl<Io: AsyncRead + Unpin> AsyncRead for Slot<Io> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl<Io: AsyncWrite + Unpin> AsyncWrite for Slot<Io> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

/// Lets one log line through per second (the counters keep the exact numbers).
#[derive(Debug, Default)]
struct Throttle {
    last: AtomicU64,
}

impl Throttle {
    fn ready(&self) -> bool {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()).max(1);
        self.last.swap(now, Ordering::Relaxed) != now
    }
}

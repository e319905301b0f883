//! Between TCP accept and the upgrade (feature `axum`): a listener whose sockets must deliver a
//! complete request before a deadline. axum 0.8's `serve` sets no hyper timer, so hyper's own
//! header read timeout never fires and a client that connects and sends nothing holds a socket
//! forever. Owns only the socket wrapper; knows nothing of WebSocket frames.
//!
//! The deadline runs from accept until the server writes its first byte (the `101 Switching
//! Protocols`, or any other response); reads after that are not limited here (the connection's
//! idle timeout takes over once it is a WebSocket).
//!
//! ```no_run
//! # async fn run(app: axum::Router) -> std::io::Result<()> {
//! use std::time::Duration;
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! let listener = chanx::accept::HandshakeTimeout::new(listener, Duration::from_secs(10));
//! axum::serve(listener, app).await
//! # }
//! ```

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::serve::Listener;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Sleep;

/// Default time a client has to send its upgrade request: 10 s.
pub const DEFAULT_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// A listener whose connections are dropped when no response was written within `timeout` of
/// accepting them, that is when the client did not complete a request in time.
#[derive(Debug)]
pub struct HandshakeTimeout<L> {
    inner: L,
    timeout: Duration,
    timed_out: Arc<AtomicU64>,
}

impl<L> HandshakeTimeout<L> {
    /// Wraps a listener.
    pub fn new(inner: L, timeout: Duration) -> Self {
        Self { inner, timeout, timed_out: Arc::default() }
    }

    /// A counter of connections dropped by the deadline (readable while serving).
    pub fn timed_out_counter(&self) -> Arc<AtomicU64> {
        self.timed_out.clone()
    }
}

impl<L: Listener> Listener for HandshakeTimeout<L> {
    type Io = Deadline<L::Io>;
    type Addr = L::Addr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        let (io, addr) = self.inner.accept().await;
        let sleep = Box::pin(tokio::time::sleep(self.timeout));
        (Deadline { io, sleep: Some(sleep), timed_out: self.timed_out.clone() }, addr)
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

/// A socket whose reads fail with [`io::ErrorKind::TimedOut`] once its deadline passes, unless
/// something was written to it before.
#[derive(Debug)]
pub struct Deadline<Io> {
    io: Io,
    sleep: Option<Pin<Box<Sleep>>>,
    timed_out: Arc<AtomicU64>,
}

impl<Io: AsyncRead + Unpin> AsyncRead for Deadline<Io> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if let Some(sleep) = self.sleep.as_mut() {
            if sleep.as_mut().poll(cx).is_ready() {
                self.sleep = None;
                self.timed_out.fetch_add(1, Ordering::Relaxed);
                tracing::debug!("no request before the handshake deadline, dropping the socket");
                return Poll::Ready(Err(io::Error::new(io::ErrorKind::TimedOut, "handshake timeout")));
            }
        }
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl<Io: AsyncWrite + Unpin> AsyncWrite for Deadline<Io> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.sleep = None;
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.sleep = None;
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

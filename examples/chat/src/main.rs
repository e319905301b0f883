//! `chat-server`: the Chanx peer's room chat on the chanx runtime.

use anyhow::Context as _;
use clap::Parser;

/// Room chat server (same behaviour as the Chanx reference peer).
#[derive(Debug, Parser)]
#[command(name = "chat-server", version)]
struct Args {
    /// Address to listen on (loopback unless you mean otherwise).
    #[arg(long, default_value = "127.0.0.1:8000")]
    addr: std::net::SocketAddr,
    /// Browser origin allowed to connect (repeatable); none given: any origin.
    #[arg(long = "allowed-origin", value_name = "URL")]
    allowed_origins: Vec<String>,
    /// Share rooms with other chat-server processes through this Redis
    /// (`redis://127.0.0.1:6379`); without it, rooms live in this process only.
    #[arg(long, value_name = "URL")]
    redis: Option<String>,
    /// Seconds a client has to send each HTTP request's header (the first after connecting, and
    /// every keep-alive one); an idle keep-alive connection is closed after it too.
    #[arg(long, alias = "header-read-timeout", value_name = "SECS", default_value_t = 10.0)]
    handshake_timeout: f64,
    /// Open sockets at most (WebSockets included); more are closed as soon as they are accepted.
    #[arg(long, value_name = "N", default_value_t = chanx::HttpLimits::default().max_connections.unwrap_or(usize::MAX))]
    max_http_connections: usize,
    /// Rooms one connection may be in at once (the URL room included); a join past it gets a
    /// `too_many_groups` error frame.
    #[arg(long, value_name = "N", default_value_t = chanx::Limits::default().max_groups.unwrap_or(usize::MAX))]
    max_rooms: usize,
    /// Seconds of silence (not even a pong) after which a connection is closed with 1001.
    #[arg(long, value_name = "SECS", default_value_t = 60.0)]
    idle_timeout: f64,
    /// Open WebSocket connections at most; more get HTTP 503.
    #[arg(long, value_name = "N", default_value_t = chanx::Limits::default().max_connections.unwrap_or(usize::MAX))]
    max_connections: usize,
    /// Messages per second one connection may send (bursts of twice that); 0: no limit.
    #[arg(long, value_name = "N", default_value_t = 0)]
    rate_limit: u32,
}

impl Args {
    fn config(&self) -> anyhow::Result<chanx::Config> {
        let secs = |s: f64, what: &str| {
            std::time::Duration::try_from_secs_f64(s).with_context(|| format!("--{what} {s}"))
        };
        let rate = (self.rate_limit > 0).then(|| chanx::RateLimit::per_second(self.rate_limit));
        let limits = chanx::Limits::default()
            .max_connections(Some(self.max_connections))
            .max_groups(Some(self.max_rooms))
            .rate(rate);
        let http = chanx::HttpLimits::default()
            .header_read_timeout(secs(self.handshake_timeout, "handshake-timeout")?)
            .max_connections(Some(self.max_http_connections));
        Ok(chanx::Config::default()
            .idle_timeout(Some(secs(self.idle_timeout, "idle-timeout")?))
            .limits(limits)
            .http(http))
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .init();
    let args = Args::parse();
    let hub = match &args.redis {
        None => chanx::Hub::memory(),
        Some(url) => {
            let config = chanx::RedisConfig::new(url.as_str());
            let layer =
                chanx::RedisLayer::connect(config).await.with_context(|| format!("connecting to {url}"))?;
            tokio::spawn(log_redis_link(layer.clone()));
            chanx::Hub::new(layer)
        }
    };
    let config = args.config()?;
    let http = config.http;
    let app = chat_example::app_with(&hub, &args.allowed_origins, config)?;
    let listener =
        tokio::net::TcpListener::bind(args.addr).await.with_context(|| format!("binding {}", args.addr))?;
    tracing::info!(addr = %listener.local_addr()?, "listening");
    // TCP_NODELAY on every accepted socket: small frames go out at once instead of waiting
    // for the client's delayed ACK.
    let listener = chanx::axum::nodelay(listener);
    // Stop accepting first; upgraded sockets are the hub's, closed with 1001 after their
    // outboxes are flushed (each within the drain timeout, all within SHUTDOWN_GRACE).
    chanx::accept::serve(listener, app, &hub, http, wait_for_signal()).await?;
    tracing::info!("shutting down");
    let clean = hub.shutdown(chat_example::SHUTDOWN_GRACE).await;
    tracing::info!(clean, "connections closed");
    Ok(())
}

async fn wait_for_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}

/// Logs when the link to Redis goes down and comes back (rooms are not lost: this process
/// keeps its members and subscribes again; messages published meanwhile are).
async fn log_redis_link(layer: chanx::RedisLayer) {
    let mut link = layer.link();
    while link.changed().await.is_ok() {
        let state = *link.borrow_and_update();
        if state.connected {
            tracing::warn!(generation = state.generation, "redis link restored");
        } else {
            tracing::warn!(stats = ?layer.stats(), "redis link lost, reconnecting");
        }
    }
}

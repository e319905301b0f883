//! Command line: scenarios, their bounded parameters, and the loopback-only address check.

use std::net::{IpAddr, SocketAddr};

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Loopback-only load client for servers speaking the chat protocol at `ws://ADDR/ws/chat/{room}`.
///
/// Every scenario has bounded counts and a hard deadline; the last line on stdout is a JSON summary.
#[derive(Debug, Parser)]
#[command(name = "chanx-load", version)]
pub struct Cli {
    /// Options shared by every scenario.
    #[command(flatten)]
    pub common: Common,
    /// The scenario to run.
    #[command(subcommand)]
    pub scenario: Scenario,
}

/// Options shared by every scenario.
#[derive(Debug, Args)]
pub struct Common {
    /// Server address: an IP literal in 127.0.0.0/8 or ::1 with a port (e.g. 127.0.0.1:8765).
    #[arg(long, global = true, default_value = "127.0.0.1:8765", value_parser = parse_loopback_addr)]
    pub addr: SocketAddr,
    /// Path template of the chat channel; `{room}` is replaced by the room name.
    #[arg(long, global = true, default_value = "/ws/chat/{room}", value_parser = parse_path)]
    pub path: String,
    /// Hard deadline for the whole scenario in seconds; past it the tool reports failure and exits.
    #[arg(long, global = true, default_value_t = 120, value_parser = clap::value_parser!(u64).range(1..=900))]
    pub deadline: u64,
    /// Worker threads of the client runtime (1 keeps the client on one core).
    #[arg(long, global = true, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=64))]
    pub threads: u64,
    /// Connections opened at the same time while connecting.
    #[arg(long, global = true, default_value_t = 64, value_parser = clap::value_parser!(u64).range(1..=1024))]
    pub connect_concurrency: u64,
    /// Pid of the server process, to read its memory (VmRSS) and open descriptors from /proc.
    #[arg(long, global = true)]
    pub server_pid: Option<u32>,
    /// Label copied into the JSON summary (e.g. the server's name).
    #[arg(long, global = true, default_value = "")]
    pub label: String,
    /// How frames reach the socket: `batched` writes every frame queued since the last write with
    /// one `write` (the server reads many frames per wake-up); `per-frame` gives each frame its own
    /// `write`, as a browser's `WebSocket.send` does. The summary reports it as `writes`.
    #[arg(long, global = true, value_enum, default_value_t = WriteMode::Batched)]
    pub writes: WriteMode,
    /// Accepted for symmetry; the last stdout line is always the JSON summary.
    #[arg(long, global = true)]
    pub json: bool,
}

/// How a connection's queued frames are written to its socket.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum WriteMode {
    /// Everything queued since the last write in one `write` call.
    #[default]
    Batched,
    /// One `write` call per frame (more only when the kernel takes part of a frame).
    PerFrame,
}

impl WriteMode {
    /// The name used on the command line and in the summary.
    pub fn name(self) -> &'static str {
        match self {
            Self::Batched => "batched",
            Self::PerFrame => "per-frame",
        }
    }
}

/// The scenarios.
#[derive(Debug, Subcommand)]
pub enum Scenario {
    /// Sequential ping→pong round trips on each of N connections: req/s and latency.
    Rtt(Requests),
    /// N connections with W pings in flight each: throughput and latency.
    Pipeline(Pipeline),
    /// L members in one room, S of them sending chat lines: deliveries/s, latency, losses.
    Fanout(Fanout),
    /// Open N idle connections and read the server's memory before and after.
    Idle(Idle),
    /// One member stops reading while the others flood the room.
    Stall(Stall),
}

/// Parameters of request/response scenarios.
#[derive(Debug, Args, Clone)]
pub struct Requests {
    /// Connections.
    #[arg(long, short = 'c', default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    pub conns: u64,
    /// Measured seconds (after the warm-up).
    #[arg(long, short = 'd', default_value_t = 5.0, value_parser = parse_seconds)]
    pub duration: f64,
    /// Stop a connection after this many measured requests (0 = no limit besides --duration).
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=100_000_000))]
    pub count: u64,
    /// Unmeasured seconds before the measurement starts.
    #[arg(long, default_value_t = 1.0, value_parser = parse_warmup)]
    pub warmup: f64,
}

/// Parameters of the pipeline scenario.
#[derive(Debug, Args, Clone)]
pub struct Pipeline {
    /// Connections and durations, as for `rtt`.
    #[command(flatten)]
    pub requests: Requests,
    /// Requests in flight per connection.
    #[arg(long, short = 'w', default_value_t = 16, value_parser = clap::value_parser!(u64).range(1..=4096))]
    pub window: u64,
}

/// Parameters of the fan-out flood.
#[derive(Debug, Args, Clone)]
pub struct Fanout {
    /// Members of the room, senders included.
    #[arg(long, short = 'm', default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    pub members: u64,
    /// Members that send (the first S members).
    #[arg(long, short = 's', default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=64))]
    pub senders: u64,
    /// Total chat lines per second over all senders (0 = as fast as the window allows).
    #[arg(long, short = 'r', default_value_t = 0.0, value_parser = parse_rate)]
    pub rate: f64,
    /// Lines a sender may have sent and not yet seen come back to itself.
    #[arg(long, short = 'w', default_value_t = 16, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub window: u64,
    /// Lines per sender at most.
    #[arg(long, short = 'n', default_value_t = 2_000, value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    pub messages: u64,
    /// Seconds of sending at most.
    #[arg(long, short = 'd', default_value_t = 10.0, value_parser = parse_seconds)]
    pub duration: f64,
    /// Seconds members keep reading after the last line was sent.
    #[arg(long, default_value_t = 5.0, value_parser = parse_warmup)]
    pub drain: f64,
    /// Bytes of chat text per line.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u64).range(1..=60_000))]
    pub text_bytes: u64,
    /// Room name (default: a fresh name per run).
    #[arg(long)]
    pub room: Option<String>,
}

/// Parameters of the idle-connection memory test.
#[derive(Debug, Args, Clone)]
pub struct Idle {
    /// Idle connections to open.
    #[arg(long, short = 'c', default_value_t = 1_000, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    pub conns: u64,
    /// Rooms the connections are spread over.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    pub rooms: u64,
    /// Seconds to hold the connections open before reading the server's memory.
    #[arg(long, default_value_t = 3.0, value_parser = parse_warmup)]
    pub hold: f64,
    /// Seconds to spend connecting; connections not open by then are given up and reported.
    #[arg(long, default_value_t = 120.0, value_parser = parse_seconds)]
    pub connect_within: f64,
    /// Do not send one ping per connection after connecting.
    #[arg(long)]
    pub no_ping: bool,
}

/// Parameters of the stalled-member test.
#[derive(Debug, Args, Clone)]
pub struct Stall {
    /// The flood the healthy members take part in, as for `fanout`.
    #[command(flatten)]
    pub flood: Fanout,
    /// Receive buffer of the stalled member's socket in bytes (small, so the stall reaches the server soon).
    #[arg(long, default_value_t = 16_384, value_parser = clap::value_parser!(u32).range(1024..=16_777_216))]
    pub stall_rcvbuf: u32,
    /// Seconds the stalled member reads at the end to see what it still gets and how it was closed.
    #[arg(long, default_value_t = 5.0, value_parser = parse_warmup)]
    pub resume: f64,
    /// Milliseconds between samples of the server's memory.
    #[arg(long, default_value_t = 250, value_parser = clap::value_parser!(u64).range(20..=10_000))]
    pub sample_ms: u64,
}

/// Accepts `IP:PORT` (or `ws://IP:PORT`) when IP is 127.0.0.0/8 or ::1; refuses everything else.
pub fn parse_loopback_addr(s: &str) -> Result<SocketAddr, String> {
    let trimmed = s.strip_prefix("ws://").unwrap_or(s).trim_end_matches('/');
    let addr: SocketAddr = trimmed.parse().map_err(|_| {
        format!("expected IP:PORT with a loopback IP literal (e.g. 127.0.0.1:8765), found {s:?}")
    })?;
    if !is_loopback(addr.ip()) {
        return Err(format!("refusing {addr}: this tool only talks to loopback (127.0.0.0/8 or ::1)"));
    }
    if addr.port() == 0 {
        return Err(format!("expected a port other than 0, found {s:?}"));
    }
    Ok(addr)
}

/// True for 127.0.0.0/8 and ::1 (an IPv4-mapped ::ffff:127.x.y.z counts as IPv4).
pub fn is_loopback(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.is_loopback(),
            None => v6.is_loopback(),
        },
    }
}

fn parse_path(s: &str) -> Result<String, String> {
    if !s.starts_with('/') || s.contains(char::is_whitespace) {
        return Err(format!("expected an absolute path without spaces, found {s:?}"));
    }
    Ok(s.to_owned())
}

fn parse_float_in(s: &str, min: f64, max: f64, what: &str) -> Result<f64, String> {
    let v: f64 = s.parse().map_err(|_| format!("expected a number of {what}, found {s:?}"))?;
    if !v.is_finite() || v < min || v > max {
        return Err(format!("expected {what} between {min} and {max}, found {s}"));
    }
    Ok(v)
}

fn parse_seconds(s: &str) -> Result<f64, String> {
    parse_float_in(s, 0.01, 600.0, "seconds")
}

fn parse_warmup(s: &str) -> Result<f64, String> {
    parse_float_in(s, 0.0, 600.0, "seconds")
}

fn parse_rate(s: &str) -> Result<f64, String> {
    parse_float_in(s, 0.0, 10_000_000.0, "lines per second")
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory as _;

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn loopback_addresses() {
        for ok in
            ["127.0.0.1:80", "127.1.2.3:9000", "[::1]:8765", "ws://127.0.0.1:8765/", "[::ffff:127.0.0.1]:1"]
        {
            assert!(parse_loopback_addr(ok).is_ok(), "{ok}");
        }
        for bad in [
            "10.0.0.1:80",
            "0.0.0.0:80",
            "192.168.1.1:8765",
            "[::]:80",
            "[2001:db8::1]:80",
            "[::ffff:10.0.0.1]:80",
            "localhost:8765",
            "example.com:80",
            "127.0.0.1",
            "127.0.0.1:0",
        ] {
            assert!(parse_loopback_addr(bad).is_err(), "{bad}");
        }
        let err = parse_loopback_addr("10.1.1.1:80").expect_err("refused");
        assert!(err.contains("refusing 10.1.1.1:80"), "{err}");
    }

    #[test]
    fn parses_scenarios_and_bounds() {
        let cli =
            Cli::try_parse_from(["chanx-load", "--addr", "127.0.0.1:9", "pipeline", "-c", "16", "-w", "16"])
                .expect("valid");
        match cli.scenario {
            Scenario::Pipeline(p) => {
                assert_eq!(p.requests.conns, 16);
                assert_eq!(p.window, 16);
            }
            other => panic!("unexpected {other:?}"),
        }
        let cli =
            Cli::try_parse_from(["chanx-load", "fanout", "-m", "1000", "--addr", "[::1]:9"]).expect("valid");
        assert_eq!(cli.common.addr.port(), 9);
        assert_eq!(cli.common.writes, WriteMode::Batched, "batched by default");
        for (arg, mode) in [("per-frame", WriteMode::PerFrame), ("batched", WriteMode::Batched)] {
            let cli = Cli::try_parse_from(["chanx-load", "rtt", "--writes", arg]).expect("valid");
            assert_eq!(cli.common.writes, mode);
            assert_eq!(mode.name(), arg);
        }
        for bad in [
            vec!["chanx-load", "rtt", "-c", "0"],
            vec!["chanx-load", "rtt", "-c", "10001"],
            vec!["chanx-load", "rtt", "-d", "0"],
            vec!["chanx-load", "rtt", "-d", "nan"],
            vec!["chanx-load", "idle", "-c", "20000"],
            vec!["chanx-load", "fanout", "-r", "-1"],
            vec!["chanx-load", "--deadline", "0", "rtt"],
            vec!["chanx-load", "--deadline", "10000", "rtt"],
            vec!["chanx-load", "--addr", "8.8.8.8:53", "rtt"],
            vec!["chanx-load", "--path", "ws/chat", "rtt"],
            vec!["chanx-load", "--writes", "sometimes", "rtt"],
            vec!["chanx-load"],
        ] {
            assert!(Cli::try_parse_from(&bad).is_err(), "{bad:?}");
        }
    }
}

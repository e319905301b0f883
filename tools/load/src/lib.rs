//! Loopback-only WebSocket load client for servers speaking the chat protocol.
//!
//! Scenarios (`rtt`, `pipeline`, `fanout`, `idle`, `stall`) open connections to
//! `ws://ADDR/ws/chat/{room}` on 127.0.0.0/8 or ::1 only, with bounded counts and a hard deadline,
//! and summarise what they measured as one JSON object (the last line the binary prints).
//!
//! How the measurements are taken:
//! - `rtt` / `pipeline`: each connection keeps W pings in flight (W = 1 for `rtt`); a round trip
//!   counts when it was sent after the warm-up and answered before the end of the measured window.
//! - `fanout` / `stall`: every member joins one room and proves it with a ping; senders stamp each
//!   line with `seq` (sender × 10⁹ + n) and `sent_at` (seconds on this process's clock), and may
//!   have at most `--window` lines not yet seen come back to themselves. Every member counts what
//!   it receives; `lost` is expected minus received after `--drain` seconds, never silent.
//! - `--writes` chooses how each connection's frames reach the socket: `batched` (one `write` for
//!   every frame queued since the last one) or `per-frame` (one `write` per frame, as a browser
//!   does). The connections of `idle` and the stalled member of `stall` send one ping each, so both
//!   modes are the same for them.
//! - `idle` / `stall` read the server's VmRSS and open descriptors from `/proc/PID`; in `stall` a
//!   drop in the descriptor count is when the server let go of the stalled member.

#![deny(missing_docs)]

pub mod cli;
pub mod conn;
pub mod flood;
pub mod hist;
pub mod idle;
pub mod requests;
pub mod scan;
pub mod sys;
pub mod wire;

use serde_json::Value;

use crate::cli::{Cli, Scenario};
use crate::conn::Target;

/// Runs the chosen scenario and returns its measurements, with the server's CPU use and the
/// machine's load average around it (the client and server share the machine).
pub async fn run(cli: &Cli) -> anyhow::Result<Value> {
    let pid = cli.common.server_pid;
    let cpu_before = pid.and_then(|p| sys::cpu_seconds(p).ok());
    let load_before = sys::loadavg();
    let own_before = sys::own_cpu_seconds();
    let started = std::time::Instant::now();
    let mut results = run_scenario(cli).await?;
    let wall = started.elapsed().as_secs_f64();
    let own = own_before.and_then(|before| sys::own_cpu_seconds().map(|after| after - before));
    let cpu = match (pid, cpu_before) {
        (Some(p), Some(before)) => sys::cpu_seconds(p).ok().map(|after| after - before),
        _ => None,
    };
    if let Some(map) = results.as_object_mut() {
        // Scenarios with a measured window report the client's CPU over that window; the others
        // over the whole run.
        if !map.contains_key("client_cpu_s") {
            map.insert("client_cpu_s".into(), serde_json::json!(own.map(requests::round3)));
        }
        map.insert(
            "env".into(),
            serde_json::json!({
                "wall_s": requests::round3(wall),
                "server_cpu_s": cpu.map(requests::round3),
                "server_cpu_share": cpu.map(|c| requests::round3(c / wall)),
                "client_cpu_s": own.map(requests::round3),
                "client_cpu_share": own.map(|c| requests::round3(c / wall)),
                "loadavg_before": load_before,
                "loadavg_after": sys::loadavg(),
            }),
        );
    }
    Ok(results)
}

async fn run_scenario(cli: &Cli) -> anyhow::Result<Value> {
    let target = Target { addr: cli.common.addr, path: cli.common.path.clone(), writes: cli.common.writes };
    match &cli.scenario {
        Scenario::Rtt(r) => requests::run(&target, &cli.common, r, 1).await,
        Scenario::Pipeline(p) => requests::run(&target, &cli.common, &p.requests, p.window).await,
        Scenario::Fanout(f) => flood::run(&target, &cli.common, f, None).await,
        Scenario::Idle(i) => idle::run(&target, &cli.common, i).await,
        Scenario::Stall(s) => flood::run(&target, &cli.common, &s.flood, Some(s)).await,
    }
}

/// The scenario's name as it appears in the summary.
pub fn scenario_name(scenario: &Scenario) -> &'static str {
    match scenario {
        Scenario::Rtt(_) => "rtt",
        Scenario::Pipeline(_) => "pipeline",
        Scenario::Fanout(_) => "fanout",
        Scenario::Idle(_) => "idle",
        Scenario::Stall(_) => "stall",
    }
}

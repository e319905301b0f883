//! `idle`: the server's memory per idle connection, read from /proc before and after opening them.

use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use serde_json::{Value, json};

use crate::cli::{Common, Idle};
use crate::conn::{Target, connect_many};
use crate::requests::round3;
use crate::sys::{raise_nofile, sample};

/// Opens `idle.conns` connections, holds them, and reports the server's memory growth per connection.
pub async fn run(target: &Target, common: &Common, idle: &Idle) -> anyhow::Result<Value> {
    let pid = common.server_pid.context("idle needs --server-pid to read the server's memory")?;
    let nofile = raise_nofile(idle.conns + 256)?;
    let before = sample(pid)?;
    let started = Instant::now();
    let rooms = idle.rooms;
    let (conns, errors) = connect_many(target, idle.conns, common.connect_concurrency, !idle.no_ping, |i| {
        format!("idle-{}", i % rooms)
    })
    .await;
    let connect_s = started.elapsed().as_secs_f64();
    let open = conns.len() as u64;
    if open == 0 {
        bail!(
            "no connection could be opened; first error: {}",
            errors.first().map_or("none", |e| e.as_str())
        );
    }
    tokio::time::sleep(Duration::from_secs_f64(idle.hold)).await;
    let after = sample(pid)?;
    drop(conns);
    tokio::time::sleep(Duration::from_secs(1)).await;
    let closed = sample(pid)?;
    let grown = after.rss_kib.saturating_sub(before.rss_kib);
    Ok(json!({
        "conns_requested": idle.conns,
        "conns_open": open,
        "failed": errors.len(),
        "first_failure": errors.first(),
        "connect_s": round3(connect_s),
        "nofile_limit": nofile,
        "server_before": before.to_json(),
        "server_after": after.to_json(),
        "server_after_close": closed.to_json(),
        "rss_growth_kib": grown,
        "kib_per_conn": round3(grown as f64 / open as f64),
    }))
}

//! `idle`: the server's memory per idle connection, read from /proc before and after opening them.
//!
//! "Idle" means no application frames; each connection is still read, so the client answers the
//! server's keep-alive pings (uvicorn closes a connection whose pings go unanswered) and notices
//! when the server closes it. Those closes are counted and the memory is divided by the number of
//! connections still open when it is read.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use futures_util::StreamExt as _;
use serde_json::{Value, json};
use tokio::sync::{Semaphore, mpsc, watch};

use crate::cli::{Common, Idle};
use crate::conn::{Target, Ws, connect, ping_pong};
use crate::requests::round3;
use crate::sys::{raise_nofile, sample};

/// Opens `idle.conns` connections, holds them, and reports the server's memory growth per connection.
pub async fn run(target: &Target, common: &Common, idle: &Idle) -> anyhow::Result<Value> {
    let pid = common.server_pid.context("idle needs --server-pid to read the server's memory")?;
    let nofile = raise_nofile(idle.conns + 256)?;
    let before = sample(pid)?;
    let started = Instant::now();
    let closed = Arc::new(AtomicU64::new(0));
    let (stop_tx, stop_rx) = watch::channel(false);
    let (cancel_tx, cancel_rx) = watch::channel(false);
    // Each task connects, reports, then holds its connection (reading) until told to stop.
    let (report_tx, mut report_rx) = mpsc::channel::<Result<(), String>>(1024);
    let gate = Arc::new(Semaphore::new(common.connect_concurrency as usize));
    let mut holders = Vec::with_capacity(idle.conns as usize);
    for i in 0..idle.conns {
        let (target, gate, report, stop, closed) =
            (target.clone(), gate.clone(), report_tx.clone(), stop_rx.clone(), closed.clone());
        let mut cancel = cancel_rx.clone();
        let room = format!("idle-{}", i % idle.rooms);
        let ping = !idle.no_ping;
        holders.push(tokio::spawn(async move {
            let opened = async {
                let _permit = gate.acquire_owned().await?;
                let mut ws = tokio::time::timeout(Duration::from_secs(30), connect(&target, &room, None))
                    .await
                    .context("connect timed out")??;
                if ping {
                    ping_pong(&mut ws, Duration::from_secs(30)).await?;
                }
                anyhow::Ok(ws)
            };
            let opened = tokio::select! {
                biased;
                _ = cancel.changed() => return,
                opened = opened => opened,
            };
            match opened {
                Ok(ws) => {
                    // Not counted any more (connect phase over): let it go.
                    if report.send(Ok(())).await.is_err() {
                        return;
                    }
                    drop(report);
                    hold(ws, stop, closed).await;
                }
                Err(e) => {
                    let _ = report.send(Err(format!("{e:#}"))).await;
                }
            }
        }));
    }
    drop(report_tx);
    let (mut open, mut errors) = (0u64, Vec::new());
    let give_up = tokio::time::Instant::now() + Duration::from_secs_f64(idle.connect_within);
    let mut gave_up = false;
    loop {
        match tokio::time::timeout_at(give_up, report_rx.recv()).await {
            Ok(Some(Ok(()))) => open += 1,
            Ok(Some(Err(e))) => errors.push(e),
            Ok(None) => break,
            Err(_) => {
                gave_up = true;
                let _ = cancel_tx.send(true);
                break;
            }
        }
    }
    drop(report_rx);
    let connect_s = started.elapsed().as_secs_f64();
    if open == 0 {
        bail!(
            "no connection could be opened; first error: {}",
            errors.first().map_or("none", |e| e.as_str())
        );
    }
    tokio::time::sleep(Duration::from_secs_f64(idle.hold)).await;
    let after = sample(pid)?;
    let closed_by_server = closed.load(Ordering::Relaxed);
    let alive = open.saturating_sub(closed_by_server);
    let _ = stop_tx.send(true);
    for h in holders {
        let _ = h.await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let after_close = sample(pid)?;
    let grown = after.rss_kib.saturating_sub(before.rss_kib);
    Ok(json!({
        "conns_requested": idle.conns,
        "conns_open": open,
        "connect_gave_up": gave_up,
        "failed": errors.len(),
        "first_failure": errors.first(),
        "closed_by_server": closed_by_server,
        "alive_at_measurement": alive,
        "connect_s": round3(connect_s),
        "nofile_limit": nofile,
        "server_before": before.to_json(),
        "server_after": after.to_json(),
        "server_after_close": after_close.to_json(),
        "rss_growth_kib": grown,
        "kib_per_conn": if alive > 0 { round3(grown as f64 / alive as f64) } else { 0.0 },
    }))
}

/// Reads (and so answers pings) until told to stop; counts a close by the server.
async fn hold(mut ws: Ws, mut stop: watch::Receiver<bool>, closed: Arc<AtomicU64>) {
    loop {
        tokio::select! {
            message = ws.next() => match message {
                Some(Ok(tokio_tungstenite::tungstenite::Message::Close(_))) | Some(Err(_)) | None => {
                    closed.fetch_add(1, Ordering::Relaxed);
                    return;
                }
                Some(Ok(_)) => {}
            },
            _ = stop.changed() => return,
        }
    }
}

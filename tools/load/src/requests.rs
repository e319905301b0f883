//! Request/response scenarios: `rtt` (one ping in flight per connection) and `pipeline` (W in flight).

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use anyhow::bail;
use serde_json::{Value, json};

use crate::cli::{Common, Requests};
use crate::conn::{PING, PONG, Target, connect_many_wire, is_pong};
use crate::hist::Histogram;
use crate::sys::{cpu_seconds, own_cpu_seconds};
use crate::wire::{Conn, Frame};

/// What one connection measured.
#[derive(Default)]
struct ConnResult {
    hist: Histogram,
    unexpected: u64,
    unanswered: u64,
    last_measured: Option<Instant>,
    error: Option<String>,
}

/// Runs `window` pings in flight on each of `req.conns` connections and measures round trips.
pub async fn run(target: &Target, common: &Common, req: &Requests, window: u64) -> anyhow::Result<Value> {
    let connect_started = Instant::now();
    let (conns, errors) =
        connect_many_wire(target, req.conns, common.connect_concurrency, |i| format!("rtt-{i}")).await;
    if !errors.is_empty() {
        bail!("{} of {} connections failed; first: {}", errors.len(), req.conns, errors[0]);
    }
    let connect_s = connect_started.elapsed().as_secs_f64();
    let start = Instant::now() + Duration::from_secs_f64(req.warmup);
    let end = start + Duration::from_secs_f64(req.duration);
    let handles: Vec<_> =
        conns.into_iter().map(|ws| tokio::spawn(drive(ws, window, start, end, req.count))).collect();
    // The server's CPU time over the measured window only (not connecting or warming up).
    let pid = common.server_pid;
    tokio::time::sleep_until(tokio::time::Instant::from_std(start)).await;
    let cpu_start = pid.and_then(|p| cpu_seconds(p).ok());
    let own_start = own_cpu_seconds();
    tokio::time::sleep_until(tokio::time::Instant::from_std(end)).await;
    let cpu = match (pid, cpu_start) {
        (Some(p), Some(c0)) => cpu_seconds(p).ok().map(|c1| c1 - c0),
        _ => None,
    };
    let own_cpu = own_start.and_then(|c0| own_cpu_seconds().map(|c1| c1 - c0));
    let mut hist = Histogram::default();
    let (mut unexpected, mut unanswered, mut failed) = (0, 0, Vec::new());
    let mut last_measured = start;
    for handle in handles {
        let r = handle.await?;
        hist.merge(&r.hist);
        unexpected += r.unexpected;
        unanswered += r.unanswered;
        if let Some(t) = r.last_measured {
            last_measured = last_measured.max(t);
        }
        if let Some(e) = r.error {
            failed.push(e);
        }
    }
    // With --count, connections may finish before the window ends.
    let measured_end = if req.count > 0 { last_measured.min(end) } else { end };
    let measured_s = measured_end.saturating_duration_since(start).as_secs_f64();
    let requests = hist.len();
    Ok(json!({
        "conns": req.conns,
        "window": window,
        "connect_s": round3(connect_s),
        "measured_s": round3(measured_s),
        "requests": requests,
        "req_per_s": if measured_s > 0.0 { (requests as f64 / measured_s).round() } else { 0.0 },
        "latency": hist.summary_ms(),
        "server_cpu_s": cpu.map(round3),
        "req_per_server_cpu_s": cpu.filter(|c| *c > 0.0).map(|c| (requests as f64 / c).round()),
        "client_cpu_s": own_cpu.map(round3),
        "unexpected_frames": unexpected,
        "unanswered": unanswered,
        "failed_conns": failed.len(),
        "first_failure": failed.first(),
    }))
}

/// Keeps `window` pings in flight: each read takes every frame that has arrived, one new ping is
/// queued per pong, and the batch is written at once. A request's latency runs from the write of
/// its batch to the read that brought its pong.
async fn drive(mut ws: Conn, window: u64, start: Instant, end: Instant, count: u64) -> ConnResult {
    let mut r = ConnResult::default();
    let mut inflight: VecDeque<Instant> = VecDeque::with_capacity(window as usize);
    let mut measured = 0u64;
    let outcome: anyhow::Result<()> = async {
        for _ in 0..window {
            ws.queue_text(PING.as_bytes());
        }
        inflight.extend(std::iter::repeat_n(Instant::now(), window as usize));
        ws.flush().await?;
        let give_up = tokio::time::Instant::from_std(end + Duration::from_secs(5));
        while !inflight.is_empty() {
            match tokio::time::timeout_at(give_up, ws.fill()).await {
                Ok(Ok(true)) => {}
                Ok(Ok(false)) => bail!("connection closed by the server"),
                Ok(Err(e)) => return Err(e.into()),
                Err(_) => break,
            }
            let now = Instant::now();
            let mut more = 0usize;
            while let Some(frame) = ws.reader.next_frame()? {
                match frame {
                    Frame::Text(text) => {
                        if text != PONG.as_bytes() && !std::str::from_utf8(text).is_ok_and(is_pong) {
                            r.unexpected += 1;
                            continue;
                        }
                    }
                    Frame::Close(code, reason) => bail!(
                        "closed by the server: {} {}",
                        code.map_or_else(|| "(no code)".to_string(), |c| c.to_string()),
                        String::from_utf8_lossy(reason)
                    ),
                    Frame::Binary(_) | Frame::Pong => continue,
                }
                if let Some(sent) = inflight.pop_front() {
                    if sent >= start && now <= end {
                        r.hist.record(now.duration_since(sent).as_micros() as u64);
                        measured += 1;
                        r.last_measured = Some(now);
                    }
                }
                if now < end && (count == 0 || measured < count) {
                    more += 1;
                }
            }
            for _ in 0..more {
                ws.queue_text(PING.as_bytes());
            }
            inflight.extend(std::iter::repeat_n(Instant::now(), more));
            // Also writes the answers to the server's pings.
            ws.flush().await?;
        }
        Ok(())
    }
    .await;
    r.unanswered = inflight.len() as u64;
    if let Err(e) = outcome {
        r.error = Some(format!("{e:#}"));
    }
    ws.close(Duration::from_millis(200)).await;
    r
}

/// Rounds to three decimals.
pub fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

//! Room floods: `fanout` (deliveries, latency, losses) and `stall` (the same with one member that
//! stops reading, watching the server's memory and whether it drops that member).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use anyhow::bail;
use futures_util::StreamExt as _;
use serde_json::{Value, json};
use tokio::sync::{oneshot, watch};
use tokio_tungstenite::tungstenite::Message;

use crate::cli::{Common, Fanout, Stall};
use crate::conn::{Clock, SEQ_STRIDE, Target, Ws, chat_frame, connect, connect_many_wire, ping_pong};
use crate::hist::Histogram;
use crate::requests::round3;
use crate::scan;
use crate::sys::{ProcSample, cpu_seconds, own_cpu_seconds, sample};
use crate::wire::{Conn, Frame};

/// Expected lines per member and the instant members stop waiting, once senders are done.
type Stop = Option<(u64, tokio::time::Instant)>;

struct MemberResult {
    received: u64,
    hist: Histogram,
    last: Option<Instant>,
    other: u64,
    closed: Option<String>,
    conn: Conn,
}

#[derive(Default)]
struct SenderResult {
    sent: u64,
    last_send: Option<Instant>,
    error: Option<String>,
}

/// Runs a fan-out flood; with `stall`, one extra member stops reading for the whole flood.
pub async fn run(
    target: &Target,
    common: &Common,
    f: &Fanout,
    stall: Option<&Stall>,
) -> anyhow::Result<Value> {
    let room = f.room.clone().unwrap_or_else(|| {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        format!("load-{}-{nanos}", std::process::id())
    });
    if f.senders > f.members {
        bail!("--senders ({}) must not exceed --members ({})", f.senders, f.members);
    }
    crate::sys::raise_nofile(f.members + 256)?;

    let connect_started = Instant::now();
    let (conns, errors) =
        connect_many_wire(target, f.members, common.connect_concurrency, |_| room.clone()).await;
    if !errors.is_empty() {
        bail!("{} of {} members failed to connect; first: {}", errors.len(), f.members, errors[0]);
    }
    let mut staller = match stall {
        Some(s) => {
            let mut ws = connect(target, &room, Some(s.stall_rcvbuf)).await?;
            ping_pong(&mut ws, Duration::from_secs(30)).await?;
            Some(ws)
        }
        None => None,
    };
    let connect_s = connect_started.elapsed().as_secs_f64();

    // Sample the server while the flood runs.
    let sample_every = Duration::from_millis(stall.map_or(500, |s| s.sample_ms));
    let (sampler_stop, sampler) = spawn_sampler(common.server_pid, sample_every);

    let clock = Clock::start();
    let text = "x".repeat(f.text_bytes as usize);
    let flood_start = Instant::now();
    let cpu_start = common.server_pid.and_then(|p| cpu_seconds(p).ok());
    let own_start = own_cpu_seconds();
    let send_end = tokio::time::Instant::from_std(flood_start + Duration::from_secs_f64(f.duration));
    let interval = (f.rate > 0.0).then(|| Duration::from_secs_f64(f.senders as f64 / f.rate));
    let (stop_tx, stop_rx) = watch::channel::<Stop>(None);

    let mut senders = Vec::new();
    let mut members = Vec::new();
    for (i, ws) in conns.into_iter().enumerate() {
        let plan = if (i as u64) < f.senders {
            let (report, done) = oneshot::channel();
            senders.push(done);
            let offset = interval.map(|iv| iv.mul_f64(i as f64 / f.senders as f64));
            Some(SendPlan {
                index: i as i64,
                window: f.window,
                text: text.clone(),
                messages: f.messages,
                first: tokio::time::Instant::from_std(flood_start + offset.unwrap_or_default()),
                interval,
                end: send_end,
                report,
            })
        } else {
            None
        };
        members.push(tokio::spawn(member(ws, plan, clock, stop_rx.clone())));
    }

    let mut sent = 0u64;
    let mut last_send = flood_start;
    let mut sender_errors = Vec::new();
    for done in senders {
        let r = done.await.unwrap_or_else(|_| SenderResult {
            error: Some("sender ended without a report".into()),
            ..SenderResult::default()
        });
        sent += r.sent;
        if let Some(t) = r.last_send {
            last_send = last_send.max(t);
        }
        if let Some(e) = r.error {
            sender_errors.push(e);
        }
    }
    let send_s = last_send.duration_since(flood_start).as_secs_f64();
    let drain_until = tokio::time::Instant::now() + Duration::from_secs_f64(f.drain);
    let _ = stop_tx.send(Some((sent, drain_until)));

    let mut hist = Histogram::default();
    let (mut received, mut other, mut with_loss, mut min_received) = (0u64, 0u64, 0u64, u64::MAX);
    let mut last_delivery = flood_start;
    let mut closes: BTreeMap<String, u64> = BTreeMap::new();
    let mut streams = Vec::new();
    for handle in members {
        let r = handle.await?;
        hist.merge(&r.hist);
        received += r.received;
        other += r.other;
        min_received = min_received.min(r.received);
        if r.received < sent {
            with_loss += 1;
        }
        if let Some(t) = r.last {
            last_delivery = last_delivery.max(t);
        }
        if let Some(c) = r.closed {
            *closes.entry(c).or_default() += 1;
        }
        streams.push(r.conn);
    }
    let expected = sent * f.members;
    // The server's CPU time from the first line sent until every member was done reading.
    let cpu = match (common.server_pid, cpu_start) {
        (Some(p), Some(c0)) => cpu_seconds(p).ok().map(|c1| c1 - c0),
        _ => None,
    };
    let own_cpu = own_start.and_then(|c0| own_cpu_seconds().map(|c1| c1 - c0));
    let delivery_s = last_delivery.duration_since(flood_start).as_secs_f64();

    let resume_at_ms = flood_start.elapsed().as_millis() as u64;
    let (stalled, staller) = match (staller.take(), stall) {
        (Some(ws), Some(s)) => {
            let (report, ws) = resume_stalled(ws, sent, s.resume).await;
            (Some(report), Some(ws))
        }
        _ => (None, None),
    };
    // Stop sampling before any of our connections is closed, so a drop in the server's
    // descriptors is the server's doing.
    let _ = sampler_stop.send(true);
    let samples = match sampler {
        Some(h) => h.await.unwrap_or_default(),
        None => Vec::new(),
    };
    drop((streams, staller));

    let mut out = json!({
        "room": room,
        "members": f.members,
        "senders": f.senders,
        "rate_target": f.rate,
        "window": f.window,
        "text_bytes": f.text_bytes,
        "connect_s": round3(connect_s),
        "sent": sent,
        "send_s": round3(send_s),
        "send_rate": if send_s > 0.0 { (sent as f64 / send_s).round() } else { 0.0 },
        "expected_deliveries": expected,
        "received": received,
        "lost": expected.saturating_sub(received),
        "members_with_loss": with_loss,
        "min_received_per_member": if f.members > 0 { min_received } else { 0 },
        "deliveries_per_s": if delivery_s > 0.0 { (received as f64 / delivery_s).round() } else { 0.0 },
        "latency": hist.summary_ms(),
        "server_cpu_s": cpu.map(round3),
        "deliveries_per_server_cpu_s": cpu.filter(|c| *c > 0.0).map(|c| (received as f64 / c).round()),
        "client_cpu_s": own_cpu.map(round3),
        "unexpected_frames": other,
        "member_closes": closes,
        "sender_errors": sender_errors,
        "server": server_summary(&samples),
    });
    if let (Some(stalled), Some(map)) = (stalled, out.as_object_mut()) {
        let base_fds = samples.first().and_then(|(_, s)| s.fds);
        let drop_ms = base_fds
            .and_then(|base| samples.iter().find(|(_, s)| s.fds.is_some_and(|n| n < base)).map(|(t, _)| *t));
        let mut stalled = stalled;
        if let Some(obj) = stalled.as_object_mut() {
            obj.insert("server_fd_drop_ms".into(), json!(drop_ms));
            obj.insert("flood_end_ms".into(), json!((send_s * 1000.0).round()));
            obj.insert("resume_at_ms".into(), json!(resume_at_ms));
        }
        map.insert("stalled".into(), stalled);
        map.insert(
            "server_series".into(),
            json!(samples.iter().map(|(t, s)| json!([t, s.rss_kib, s.fds])).collect::<Vec<_>>()),
        );
    }
    Ok(out)
}

/// What a member that also sends does.
struct SendPlan {
    index: i64,
    window: u64,
    text: String,
    messages: u64,
    first: tokio::time::Instant,
    interval: Option<Duration>,
    end: tokio::time::Instant,
    report: oneshot::Sender<SenderResult>,
}

/// A sending member's progress.
struct Sending {
    plan: SendPlan,
    /// Lines that may still be sent before one of ours comes back.
    permits: u64,
    next: u64,
    result: SenderResult,
}

impl Sending {
    /// Queues every line that is due and allowed by the window; true when sending is over.
    fn queue_due(&mut self, ws: &mut Conn, clock: Clock) -> bool {
        let now = tokio::time::Instant::now();
        while self.permits > 0 {
            if self.next >= self.plan.messages || now >= self.plan.end {
                return true;
            }
            if let Some(iv) = self.plan.interval {
                let at = self.plan.first + iv.mul_f64(self.next as f64);
                if at >= self.plan.end {
                    return true;
                }
                if at > now {
                    return false;
                }
            }
            self.permits -= 1;
            let seq = self.plan.index * SEQ_STRIDE + self.next as i64;
            ws.queue_text(chat_frame(&self.plan.text, seq, clock.now()).as_bytes());
            self.next += 1;
        }
        self.next >= self.plan.messages || now >= self.plan.end
    }

    /// When the sender wants to wake up without anything arriving: the next line's time, or the
    /// end of sending.
    fn wake_at(&self) -> tokio::time::Instant {
        match self.plan.interval {
            Some(iv) if self.permits > 0 => {
                (self.plan.first + iv.mul_f64(self.next as f64)).min(self.plan.end)
            }
            _ => self.plan.end,
        }
    }

    fn finish(self, error: Option<String>) {
        let mut result = self.result;
        if result.error.is_none() {
            result.error = error;
        }
        let _ = self.plan.report.send(result);
    }
}

/// One member: reads and counts every line; the first `--senders` members also send theirs, at
/// most `window` lines not yet seen back, writing all lines that are due at once.
async fn member(
    mut ws: Conn,
    plan: Option<SendPlan>,
    clock: Clock,
    mut stop: watch::Receiver<Stop>,
) -> MemberResult {
    let mut hist = Histogram::default();
    let (mut received, mut other) = (0u64, 0u64);
    let mut last = None;
    let mut closed = None;
    let own = plan.as_ref().map(|p| p.index);
    let mut sending =
        plan.map(|plan| Sending { permits: plan.window, plan, next: 0, result: SenderResult::default() });
    loop {
        if let Some(s) = sending.as_mut() {
            let over = s.queue_due(&mut ws, clock);
            let lines = s.next - s.result.sent;
            if lines > 0 || ws.queued() > 0 {
                if let Err(e) = ws.flush().await {
                    let message = e.to_string();
                    closed = Some(format!("error: {message}"));
                    if let Some(s) = sending.take() {
                        s.finish(Some(message));
                    }
                    break;
                }
            }
            if let Some(s) = sending.as_mut() {
                if lines > 0 {
                    s.result.sent += lines;
                    s.result.last_send = Some(Instant::now());
                }
            }
            if over {
                if let Some(s) = sending.take() {
                    s.finish(None);
                }
            }
        } else if ws.queued() > 0 {
            // Answers to the server's pings.
            if let Err(e) = ws.flush().await {
                closed = Some(format!("error: {e}"));
                break;
            }
        }
        let current = *stop.borrow_and_update();
        if let Some((expected, _)) = current {
            if received >= expected {
                break;
            }
        }
        let deadline = current.map(|(_, d)| d);
        let wake = sending.as_ref().map(Sending::wake_at);
        tokio::select! {
            read = ws.fill() => match read {
                Ok(true) => {}
                Ok(false) => {
                    closed = Some("eof".into());
                    break;
                }
                Err(e) => {
                    closed = Some(format!("error: {e}"));
                    break;
                }
            },
            changed = stop.changed(), if current.is_none() => {
                if changed.is_err() {
                    break;
                }
                continue;
            }
            _ = sleep_until_opt(deadline) => break,
            _ = sleep_until_opt(wake) => continue,
        }
        let now = Instant::now();
        let now_s = clock.at(now);
        let mut back = 0u64;
        loop {
            let frame = match ws.reader.next_frame() {
                Ok(Some(frame)) => frame,
                Ok(None) => break,
                Err(e) => {
                    closed = Some(format!("error: {e:#}"));
                    break;
                }
            };
            match frame {
                Frame::Text(text) => match scan::notification(text) {
                    Some(stamp) => {
                        received += 1;
                        last = Some(now);
                        if let Some(sent_at) = stamp.sent_at {
                            hist.record(((now_s - sent_at) * 1e6).max(0.0) as u64);
                        }
                        if let (Some(index), Some(seq)) = (own, stamp.seq) {
                            if seq / SEQ_STRIDE == index {
                                back += 1;
                            }
                        }
                    }
                    None => other += 1,
                },
                Frame::Close(code, _) => {
                    closed = Some(match code {
                        Some(c) => format!("close {c}"),
                        None => "close".into(),
                    });
                    break;
                }
                Frame::Binary(_) | Frame::Pong => {}
            }
        }
        if let Some(s) = sending.as_mut() {
            s.permits += back;
        }
        if closed.is_some() {
            break;
        }
    }
    if let Some(s) = sending.take() {
        s.finish(closed.clone().or_else(|| Some("stopped before sending was over".into())));
    }
    if ws.queued() > 0 {
        // The echo of a close, or answers to pings.
        let _ = tokio::time::timeout(Duration::from_millis(100), ws.flush()).await;
    }
    MemberResult { received, hist, last, other, closed, conn: ws }
}

async fn sleep_until_opt(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}

/// Reads what the stalled member still gets for `resume` seconds and how its connection ended.
async fn resume_stalled(mut ws: Ws, expected: u64, resume: f64) -> (Value, Ws) {
    let started = Instant::now();
    let until = tokio::time::Instant::now() + Duration::from_secs_f64(resume);
    let mut received = 0u64;
    let outcome = loop {
        match tokio::time::timeout_at(until, ws.next()).await {
            Err(_) => break "still open".to_string(),
            Ok(None) => break "eof".to_string(),
            Ok(Some(Err(e))) => break format!("error: {e}"),
            Ok(Some(Ok(Message::Close(frame)))) => {
                break match frame {
                    Some(f) => format!("close {} {}", u16::from(f.code), f.reason.as_str()),
                    None => "close".to_string(),
                };
            }
            Ok(Some(Ok(Message::Text(text)))) => {
                if text.as_str().contains("\"chat_notification\"") {
                    received += 1;
                }
                if received >= expected {
                    break "received everything".to_string();
                }
            }
            Ok(Some(Ok(_))) => {}
        }
    };
    let report = json!({
        "expected": expected,
        "received_on_resume": received,
        "outcome": outcome,
        "resume_read_s": round3(started.elapsed().as_secs_f64()),
    });
    (report, ws)
}

type Samples = Vec<(u64, ProcSample)>;

fn spawn_sampler(
    pid: Option<u32>,
    every: Duration,
) -> (watch::Sender<bool>, Option<tokio::task::JoinHandle<Samples>>) {
    let (tx, mut rx) = watch::channel(false);
    let Some(pid) = pid else { return (tx, None) };
    let handle = tokio::spawn(async move {
        let started = Instant::now();
        let mut samples = Vec::new();
        let mut tick = tokio::time::interval(every);
        loop {
            tokio::select! {
                _ = tick.tick() => {
                    if let Ok(s) = sample(pid) {
                        samples.push((started.elapsed().as_millis() as u64, s));
                    }
                    if samples.len() > 100_000 {
                        break;
                    }
                }
                _ = rx.changed() => break,
            }
        }
        if let Ok(s) = sample(pid) {
            samples.push((started.elapsed().as_millis() as u64, s));
        }
        samples
    });
    (tx, Some(handle))
}

fn server_summary(samples: &Samples) -> Value {
    let (Some(first), Some(last)) = (samples.first(), samples.last()) else {
        return Value::Null;
    };
    let peak = samples.iter().map(|(_, s)| s.rss_kib).max().unwrap_or(0);
    json!({
        "rss_start_kib": first.1.rss_kib,
        "rss_peak_kib": peak,
        "rss_end_kib": last.1.rss_kib,
        "fds_start": first.1.fds,
        "fds_end": last.1.fds,
    })
}

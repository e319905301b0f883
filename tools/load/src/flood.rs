//! Room floods: `fanout` (deliveries, latency, losses) and `stall` (the same with one member that
//! stops reading, watching the server's memory and whether it drops that member).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::bail;
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt as _, StreamExt as _};
use serde_json::{Value, json};
use tokio::sync::{Semaphore, watch};
use tokio_tungstenite::tungstenite::Message;

use crate::cli::{Common, Fanout, Stall};
use crate::conn::{
    Clock, Notification, SEQ_STRIDE, Target, Ws, chat_frame, connect, connect_many, ping_pong,
};
use crate::hist::Histogram;
use crate::requests::round3;
use crate::sys::{ProcSample, cpu_seconds, own_cpu_seconds, sample};

/// Expected lines per member and the instant members stop waiting, once senders are done.
type Stop = Option<(u64, tokio::time::Instant)>;

struct MemberResult {
    received: u64,
    hist: Histogram,
    last: Option<Instant>,
    other: u64,
    closed: Option<String>,
    stream: SplitStream<Ws>,
}

struct SenderResult {
    sent: u64,
    last_send: Option<Instant>,
    error: Option<String>,
    sink: SplitSink<Ws, Message>,
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
        connect_many(target, f.members, common.connect_concurrency, true, |_| room.clone()).await;
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
        let (sink, stream) = ws.split();
        let own = if (i as u64) < f.senders {
            let window = Arc::new(Semaphore::new(f.window as usize));
            let offset = interval.map(|iv| iv.mul_f64(i as f64 / f.senders as f64));
            senders.push(tokio::spawn(send_lines(SendPlan {
                sink,
                index: i as i64,
                window: window.clone(),
                clock,
                text: text.clone(),
                messages: f.messages,
                first: tokio::time::Instant::from_std(flood_start + offset.unwrap_or_default()),
                interval,
                end: send_end,
            })));
            Some((i as i64, window))
        } else {
            drop(sink);
            None
        };
        members.push(tokio::spawn(receive_lines(stream, own, clock, stop_rx.clone())));
    }

    let mut sent = 0u64;
    let mut last_send = flood_start;
    let mut sender_errors = Vec::new();
    let mut sinks = Vec::new();
    for handle in senders {
        let r = handle.await?;
        sent += r.sent;
        if let Some(t) = r.last_send {
            last_send = last_send.max(t);
        }
        if let Some(e) = r.error {
            sender_errors.push(e);
        }
        sinks.push(r.sink);
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
        streams.push(r.stream);
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
    drop((sinks, streams, staller));

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

struct SendPlan {
    sink: SplitSink<Ws, Message>,
    index: i64,
    window: Arc<Semaphore>,
    clock: Clock,
    text: String,
    messages: u64,
    first: tokio::time::Instant,
    interval: Option<Duration>,
    end: tokio::time::Instant,
}

async fn send_lines(mut p: SendPlan) -> SenderResult {
    let mut r = SenderResult { sent: 0, last_send: None, error: None, sink: p.sink };
    for n in 0..p.messages {
        if let Some(iv) = p.interval {
            let at = p.first + iv.mul_f64(n as f64);
            if at >= p.end {
                break;
            }
            tokio::time::sleep_until(at).await;
        }
        match tokio::time::timeout_at(p.end, p.window.acquire()).await {
            Ok(Ok(permit)) => permit.forget(),
            _ => break,
        }
        if tokio::time::Instant::now() >= p.end {
            break;
        }
        let frame = chat_frame(&p.text, p.index * SEQ_STRIDE + n as i64, p.clock.now());
        if let Err(e) = r.sink.send(Message::text(frame)).await {
            r.error = Some(e.to_string());
            break;
        }
        r.sent += 1;
        r.last_send = Some(Instant::now());
    }
    p.text.clear();
    r
}

async fn receive_lines(
    mut stream: SplitStream<Ws>,
    own: Option<(i64, Arc<Semaphore>)>,
    clock: Clock,
    mut stop: watch::Receiver<Stop>,
) -> MemberResult {
    let mut hist = Histogram::default();
    let (mut received, mut other) = (0u64, 0u64);
    let mut last = None;
    let mut closed = None;
    loop {
        let current = *stop.borrow_and_update();
        if let Some((expected, _)) = current {
            if received >= expected {
                break;
            }
        }
        let deadline = current.map(|(_, d)| d);
        tokio::select! {
            message = stream.next() => match message {
                Some(Ok(Message::Text(text))) => {
                    match serde_json::from_str::<Notification<'_>>(text.as_str()) {
                        Ok(n) if n.action == "chat_notification" => {
                            received += 1;
                            let now = Instant::now();
                            last = Some(now);
                            if let Some(p) = n.payload {
                                if let Some(sent_at) = p.sent_at {
                                    let us = ((clock.now() - sent_at) * 1e6).max(0.0);
                                    hist.record(us as u64);
                                }
                                if let (Some((index, window)), Some(seq)) = (&own, p.seq) {
                                    if seq / SEQ_STRIDE == *index {
                                        window.add_permits(1);
                                    }
                                }
                            }
                        }
                        _ => other += 1,
                    }
                }
                Some(Ok(Message::Close(frame))) => {
                    closed = Some(match frame {
                        Some(f) => format!("close {}", u16::from(f.code)),
                        None => "close".into(),
                    });
                    break;
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => {
                    closed = Some(format!("error: {e}"));
                    break;
                }
                None => {
                    closed = Some("eof".into());
                    break;
                }
            },
            changed = stop.changed(), if current.is_none() => {
                if changed.is_err() {
                    break;
                }
            }
            _ = sleep_until_opt(deadline) => break,
        }
    }
    MemberResult { received, hist, last, other, closed, stream }
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

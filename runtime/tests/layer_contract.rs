//! One contract for every channel layer: the same cases run against the memory layer, the
//! Redis layer within one process, and two Redis layers standing for two processes (members
//! live in one, sends come from the other). Redis cases need `REDIS_URL`; the restart case also
//! needs `CHANX_TEST_REDIS_SERVER` (the `redis-server` binary) to run a throwaway server of its
//! own. Without them a Redis case is skipped with a message on a developer's machine and fails
//! when `CI` is set (`scripts/test.sh` starts a Redis and sets both).

use std::sync::Arc;
use std::time::Duration;

use chanx::MemoryLayer;
use chanx::config::SlowConsumer;
use chanx::layer::probe::{Probe, Probed, probe_event_mailbox, probe_mailbox};
use chanx::layer::{ChannelLayer, ConnId, LayerError, Origin, Payload, SendOptions, SendReport};

const WAIT: Duration = Duration::from_secs(3);

/// Where members live and where sends come from.
struct Fixture {
    /// Holds the connections.
    home: Arc<dyn ChannelLayer>,
    /// Sends (the same layer as `home`, or another process).
    away: Arc<dyn ChannelLayer>,
    /// `away` is another process: reports say `forwarded`, not `delivered`.
    cross: bool,
    /// Keeps other handles (Redis layers) alive for the test.
    _keep: Vec<Box<dyn std::any::Any + Send + Sync>>,
}

impl Fixture {
    fn memory() -> Self {
        let layer: Arc<dyn ChannelLayer> = Arc::new(MemoryLayer::new());
        Fixture { home: layer.clone(), away: layer, cross: false, _keep: Vec::new() }
    }

    fn attach(&self, capacity: usize, policy: SlowConsumer) -> (ConnId, Probe) {
        let id = self.home.new_conn_id();
        let (mailbox, probe) = probe_mailbox(id.clone(), capacity, policy);
        self.home.attach(mailbox);
        (id, probe)
    }

    fn member(&self) -> (ConnId, Probe) {
        self.attach(64, SlowConsumer::default())
    }

    /// Checks a report of a send that reached `n` members living in `home`.
    fn assert_reached(&self, report: SendReport, n: usize) {
        if self.cross {
            let expected = SendReport { forwarded: usize::from(n > 0), ..SendReport::default() };
            assert_eq!(report, expected, "cross-process report");
        } else {
            assert_eq!(report, SendReport { delivered: n, ..SendReport::default() }, "local report");
        }
    }

    /// Checks that a group send reaches `n` members living in `home`; across processes an
    /// unsubscription after the last member left is asynchronous, so it is retried (with
    /// payloads nobody receives) until the deadline.
    async fn assert_group_reaches_eventually(&self, group: &str, n: usize) {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let report = self.away.group_send(group, text("{}"), SendOptions::default()).await.expect("send");
            if !self.cross || report.forwarded == usize::from(n > 0) || tokio::time::Instant::now() > deadline
            {
                return self.assert_reached(report, n);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Sends a marker straight to `id` and checks that it is the next thing `probe` gets:
    /// whatever was sent before it and should not arrive, did not.
    async fn assert_nothing_before_marker(&self, id: &ConnId, probe: &mut Probe) {
        let marker = text(r#"{"action":"marker"}"#);
        self.away.send(id, marker.clone(), SendOptions::default()).await.expect("marker sent");
        let got = probe.next_within(WAIT).await.expect("marker arrives");
        assert_eq!(got.payload, marker, "expected only the marker, got {:?}", got.payload);
    }
}

fn text(s: &str) -> Payload {
    Payload::text(s.to_owned())
}

async fn recv(probe: &mut Probe) -> Probed {
    probe.next_within(WAIT).await.expect("a delivery within the deadline")
}

async fn send_to_connection(fx: Fixture) {
    let (a, mut pa) = fx.member();
    let msg = text(r#"{"action":"hello","payload":{"n":1}}"#);
    let report = fx.away.send(&a, msg.clone(), SendOptions::default()).await.expect("send");
    fx.assert_reached(report, 1);
    let got = recv(&mut pa).await;
    assert_eq!(got.payload, msg);
    assert_eq!(got.origin, Some(Origin::Event));
}

async fn send_to_detached_connection_is_gone(fx: Fixture) {
    let (a, _pa) = fx.member();
    fx.home.detach(&a);
    let report = fx.home.send(&a, text("{}"), SendOptions::default()).await.expect("send");
    assert_eq!(report, SendReport { gone: 1, ..SendReport::default() });
    let never = fx.home.new_conn_id();
    let report = fx.home.send(&never, text("{}"), SendOptions::default()).await.expect("send");
    assert_eq!(report.gone, 1);
}

async fn binary_payloads(fx: Fixture) {
    let (a, mut pa) = fx.member();
    fx.home.group_add("bin", &a).await.expect("join");
    let data = Payload::Binary(bytes::Bytes::from_static(&[0, 159, 146, 150, b'\n', 255]));
    let report = fx.away.send(&a, data.clone(), SendOptions::default()).await.expect("send");
    fx.assert_reached(report, 1);
    assert_eq!(recv(&mut pa).await.payload, data);
    let report = fx.away.group_send("bin", data.clone(), SendOptions::default()).await.expect("group send");
    fx.assert_reached(report, 1);
    assert_eq!(recv(&mut pa).await.payload, data);
}

async fn group_add_discard_send(fx: Fixture) {
    let (a, mut pa) = fx.member();
    let (b, mut pb) = fx.member();
    fx.home.group_add("room", &a).await.expect("join a");
    fx.home.group_add("room", &b).await.expect("join b");
    fx.home.group_add("room", &b).await.expect("joining twice is fine");
    let msg = text(r#"{"action":"chat","payload":{"text":"hi"}}"#);
    let report = fx.away.group_send("room", msg.clone(), SendOptions::default()).await.expect("group send");
    fx.assert_reached(report, 2);
    for probe in [&mut pa, &mut pb] {
        let got = recv(probe).await;
        assert_eq!(got.payload, msg);
        assert_eq!(got.origin, Some(Origin::Group));
    }
    assert!(pb.try_next().is_none(), "joining twice delivers once");

    fx.home.group_discard("room", &b).await.expect("leave b");
    fx.home.group_discard("room", &b).await.expect("leaving twice is fine");
    fx.home.group_discard("nowhere", &b).await.expect("leaving a group never joined is fine");
    let report = fx.away.group_send("room", msg.clone(), SendOptions::default()).await.expect("group send");
    fx.assert_reached(report, 1);
    assert_eq!(recv(&mut pa).await.payload, msg);
    fx.assert_nothing_before_marker(&b, &mut pb).await;

    fx.home.group_discard("room", &a).await.expect("leave a");
    let report = fx.away.group_send("room", msg, SendOptions::default()).await.expect("group send");
    fx.assert_reached(report, 0);
    fx.assert_nothing_before_marker(&a, &mut pa).await;
}

async fn group_send_excludes_sender(fx: Fixture) {
    let (a, mut pa) = fx.member();
    let (b, mut pb) = fx.member();
    fx.home.group_add("room", &a).await.expect("join a");
    fx.home.group_add("room", &b).await.expect("join b");
    let msg = text(r#"{"action":"chat","payload":{"text":"from a"}}"#);
    let options = SendOptions { volatile: false, except: Some(a.clone()) };
    let report = fx.away.group_send("room", msg.clone(), options).await.expect("group send");
    fx.assert_reached(report, 1);
    assert_eq!(recv(&mut pb).await.payload, msg);
    fx.assert_nothing_before_marker(&a, &mut pa).await;
}

async fn group_add_needs_an_attached_connection(fx: Fixture) {
    let stranger = fx.home.new_conn_id();
    let err = fx.home.group_add("room", &stranger).await.expect_err("not attached");
    assert!(matches!(err, LayerError::NotAttached(ref id) if *id == stranger), "{err:?}");
}

async fn detach_leaves_every_group(fx: Fixture) {
    let (a, _pa) = fx.member();
    let (b, mut pb) = fx.member();
    for g in ["g1", "g2"] {
        fx.home.group_add(g, &a).await.expect("join a");
    }
    fx.home.group_add("g2", &b).await.expect("join b");
    fx.home.detach(&a);
    fx.assert_group_reaches_eventually("g1", 0).await;
    let report = fx.away.group_send("g2", text(r#"{"n":2}"#), SendOptions::default()).await.expect("send g2");
    fx.assert_reached(report, 1);
    assert_eq!(recv(&mut pb).await.payload, text(r#"{"n":2}"#));
}

/// Local reports count every outcome (cross-process: the receiving side counts them).
async fn full_outbox_drop_policy(fx: Fixture) {
    let (a, mut pa) = fx.attach(1, SlowConsumer::Drop);
    fx.home.group_add("room", &a).await.expect("join");
    let first = fx.home.group_send("room", text("1"), SendOptions::default()).await.expect("send");
    assert_eq!(first.delivered, 1);
    let second = fx.home.group_send("room", text("2"), SendOptions::default()).await.expect("send");
    assert_eq!((second.delivered, second.dropped, second.closed_slow), (0, 1, 0));
    let third = fx.home.send(&a, text("3"), SendOptions::default()).await.expect("send");
    assert_eq!((third.delivered, third.dropped), (0, 1));
    assert_eq!(pa.drain().len(), 1);
    assert!(!pa.close_requested(), "the drop policy keeps the connection");
    let again = fx.home.send(&a, text("4"), SendOptions::default()).await.expect("send");
    assert_eq!(again.delivered, 1, "room again once the outbox drained");
}

async fn full_outbox_close_policy(fx: Fixture) {
    let (a, mut pa) = fx.attach(1, SlowConsumer::Close { code: 1008 });
    fx.home.send(&a, text("1"), SendOptions::default()).await.expect("send");
    let volatile = SendOptions { volatile: true, except: None };
    let report = fx.home.send(&a, text("2"), volatile).await.expect("send");
    assert_eq!((report.dropped, report.closed_slow), (1, 0), "volatile is dropped");
    assert!(!pa.close_requested());
    let report = fx.home.send(&a, text("3"), SendOptions::default()).await.expect("send");
    assert_eq!(report.closed_slow, 1);
    assert!(pa.close_requested(), "a full outbox closes the slow consumer");
    let report = fx.home.send(&a, text("4"), SendOptions::default()).await.expect("send");
    assert_eq!(report.gone, 1, "a closing connection takes nothing more");
    assert_eq!(pa.drain().len(), 1);
}

/// A full outbox in the receiving process follows the same policy as a local one.
#[cfg_attr(not(feature = "redis"), allow(dead_code))] // a case of the two-process contract only
async fn full_outbox_across(fx: Fixture) {
    let (a, mut pa) = fx.attach(1, SlowConsumer::Drop);
    let (b, mut pb) = fx.member();
    fx.home.group_add("room", &a).await.expect("join a");
    fx.home.group_add("room", &b).await.expect("join b");
    for n in 0..3 {
        fx.away.group_send("room", text(&n.to_string()), SendOptions::default()).await.expect("send");
    }
    for n in 0..3 {
        assert_eq!(recv(&mut pb).await.payload, text(&n.to_string()));
    }
    assert_eq!(pa.drain(), vec![Probed { payload: text("0"), origin: Some(Origin::Group) }]);
    assert!(!pa.close_requested());
}

async fn many_groups(fx: Fixture) {
    const CONNS: usize = 10;
    const GROUPS: usize = 200;
    let mut members: Vec<(ConnId, Probe)> = (0..CONNS).map(|_| fx.member()).collect();
    for g in 0..GROUPS {
        let (id, _) = &members[g % CONNS];
        fx.home.group_add(&format!("group-{g}"), id).await.expect("join");
    }
    for g in 0..GROUPS {
        let msg = text(&format!(r#"{{"g":{g}}}"#));
        let report =
            fx.away.group_send(&format!("group-{g}"), msg, SendOptions::default()).await.expect("send");
        fx.assert_reached(report, 1);
    }
    for (i, (_, probe)) in members.iter_mut().enumerate() {
        let mut got = Vec::new();
        while got.len() < GROUPS / CONNS {
            got.push(recv(probe).await.payload);
        }
        let expected: Vec<Payload> =
            (0..GROUPS).filter(|g| g % CONNS == i).map(|g| text(&format!(r#"{{"g":{g}}}"#))).collect();
        assert_eq!(got, expected, "member {i} gets its groups' messages, in order");
        assert!(probe.try_next().is_none());
    }
    for (id, _) in &members {
        fx.home.detach(id);
    }
    for g in 0..GROUPS {
        fx.assert_group_reaches_eventually(&format!("group-{g}"), 0).await;
    }
}

/// `Hub::publish` goes through the layer's group of the topic: encoded and stamped once, it
/// reaches the topic's subscribers wherever they live, with `topic` and `seq`.
async fn published_topic_messages(fx: Fixture) {
    let (a, mut pa) = fx.member();
    let (_b, mut pb) = fx.member();
    fx.home.group_add(&chanx::topic::group_name("order:42"), &a).await.expect("subscribe");
    let hub = chanx::Hub::with_layer(fx.away.clone());
    let msg = RawMessage(r#"{"action":"order_status","payload":{"status":"shipped"}}"#);
    let report = hub.publish("order:42", &msg, Some(7)).await.expect("publish");
    fx.assert_reached(report, 1);
    let got = recv(&mut pa).await;
    assert_eq!(
        got.payload,
        text(
            r#"{"action":"order_status","payload":{"status":"shipped"},"version":1,"topic":"order:42","seq":7}"#
        )
    );
    assert_eq!(got.origin, Some(Origin::Group));
    fx.assert_nothing_before_marker(&_b, &mut pb).await;
    fx.home.group_discard(&chanx::topic::group_name("order:42"), &a).await.expect("unsubscribe");
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let report = hub.publish("order:42", &msg, None).await.expect("publish");
        if report == SendReport::default() || tokio::time::Instant::now() > deadline {
            assert_eq!(report, SendReport::default(), "nobody is subscribed any more");
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Typed server events cross the layer as events: a member with an event handler gets the
/// same bytes in its event inbox, one without ignores them.
async fn events_reach_event_handlers(fx: Fixture) {
    let id = fx.home.new_conn_id();
    let (mailbox, mut handled) = probe_event_mailbox(id.clone(), 64, SlowConsumer::default());
    fx.home.attach(mailbox);
    let (plain, mut pp) = fx.member();
    fx.home.group_add("users", &id).await.expect("join");
    fx.home.group_add("users", &plain).await.expect("join");
    let event =
        Payload::Event(bytes::Bytes::from_static(br#"{"action":"new_notification","payload":{"id":1}}"#));
    let report = fx.away.group_send("users", event.clone(), SendOptions::default()).await.expect("send");
    if fx.cross {
        assert_eq!(report, SendReport { forwarded: 1, ..SendReport::default() });
    } else {
        assert_eq!(report, SendReport { delivered: 1, ignored: 1, ..SendReport::default() });
    }
    assert_eq!(handled.next_event_within(WAIT).await, Some(event.clone()));
    let report = fx.away.send(&id, event.clone(), SendOptions::default()).await.expect("send");
    fx.assert_reached(report, 1);
    assert_eq!(handled.next_event_within(WAIT).await, Some(event));
    fx.assert_nothing_before_marker(&plain, &mut pp).await;
}

/// An already encoded message, as a publisher would send it.
struct RawMessage(&'static str);

impl chanx::Message for RawMessage {
    fn decode(_: &str) -> Result<Self, chanx::DecodeError> {
        Err(chanx::DecodeError::default())
    }
    fn encode(&self) -> std::borrow::Cow<'static, str> {
        self.0.into()
    }
    fn tag(&self) -> &'static str {
        "raw"
    }
}

macro_rules! contract {
    ($fixture:expr; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $case() {
                let Some(fx) = $fixture.await else { return };
                super::$case(fx).await;
            }
        )*
    };
}

mod memory {
    use super::Fixture;

    async fn fixture() -> Option<Fixture> {
        Some(Fixture::memory())
    }

    contract!(fixture();
        send_to_connection, send_to_detached_connection_is_gone, binary_payloads,
        group_add_discard_send, group_send_excludes_sender, group_add_needs_an_attached_connection,
        detach_leaves_every_group, full_outbox_drop_policy, full_outbox_close_policy, many_groups,
        published_topic_messages, events_reach_event_handlers,
    );
}

#[cfg(not(feature = "redis"))]
#[test]
fn redis_contract_skipped() {
    eprintln!("skipping the Redis layer contract: built without the `redis` feature");
}

#[cfg(feature = "redis")]
mod redis_one_process {
    contract!(super::redis_support::fixture(false);
        send_to_connection, send_to_detached_connection_is_gone, binary_payloads,
        group_add_discard_send, group_send_excludes_sender, group_add_needs_an_attached_connection,
        detach_leaves_every_group, full_outbox_drop_policy, full_outbox_close_policy, many_groups,
        published_topic_messages, events_reach_event_handlers,
    );
}

#[cfg(feature = "redis")]
mod redis_two_processes {
    contract!(super::redis_support::fixture(true);
        send_to_connection, binary_payloads, group_add_discard_send, group_send_excludes_sender,
        detach_leaves_every_group, full_outbox_across, many_groups, published_topic_messages,
        events_reach_event_handlers,
    );
}

#[cfg(feature = "redis")]
mod redis_support {
    use std::sync::Arc;

    use chanx::layer::ChannelLayer;
    use chanx::layer::redis::{RedisConfig, RedisLayer};

    use super::Fixture;

    pub(crate) fn url() -> Option<String> {
        match std::env::var("REDIS_URL") {
            Ok(url) if !url.is_empty() => Some(url),
            _ => {
                skip_or_fail("REDIS_URL is not set (scripts/test.sh starts a Redis)");
                None
            }
        }
    }

    /// Outside CI a missing Redis skips the case with a message; in CI (`CI` set) it fails, so the
    /// Redis contract cannot pass by running nothing.
    pub(crate) fn skip_or_fail(why: &str) {
        assert!(std::env::var_os("CI").is_none_or(|v| v.is_empty()), "Redis is required in CI: {why}");
        eprintln!("skipping Redis layer test: {why}");
    }

    /// A prefix of its own for each test, so tests sharing one Redis do not see each other.
    pub(crate) fn prefix() -> String {
        use std::sync::atomic::{AtomicU64, Ordering};
        static N: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        format!("test-{}-{nanos}-{}:", std::process::id(), N.fetch_add(1, Ordering::Relaxed))
    }

    pub(crate) async fn layer(url: &str, prefix: &str) -> RedisLayer {
        RedisLayer::connect(RedisConfig::new(url).prefix(prefix)).await.expect("connect to REDIS_URL")
    }

    pub(crate) async fn fixture(cross: bool) -> Option<Fixture> {
        let url = url()?;
        let prefix = prefix();
        let home = layer(&url, &prefix).await;
        let away = if cross { layer(&url, &prefix).await } else { home.clone() };
        let keep: Vec<Box<dyn std::any::Any + Send + Sync>> =
            vec![Box::new(home.clone()), Box::new(away.clone())];
        let home: Arc<dyn ChannelLayer> = Arc::new(home);
        let away: Arc<dyn ChannelLayer> = Arc::new(away);
        Some(Fixture { home, away, cross, _keep: keep })
    }
}

/// What only a layer spanning processes does: requests to other processes, link state,
/// counters, reconnection.
#[cfg(feature = "redis")]
mod redis_specific {
    use std::net::TcpStream;
    use std::process::{Child, Command, Stdio};
    use std::time::Duration;

    use chanx::Hub;
    use chanx::config::SlowConsumer;
    use chanx::layer::probe::{Probe, probe_mailbox};
    use chanx::layer::redis::{RedisConfig, RedisLayer};
    use chanx::layer::{ChannelLayer, ConnId, LayerError, Payload, SendOptions};

    use super::redis_support::{prefix, url};
    use super::{WAIT, recv, text};

    fn member(layer: &RedisLayer) -> (ConnId, Probe) {
        let id = layer.new_conn_id();
        let (mailbox, probe) = probe_mailbox(id.clone(), 64, SlowConsumer::default());
        layer.attach(mailbox);
        (id, probe)
    }

    /// Sends to a group from `from` until another process got it (subscriptions requested by
    /// another process are asynchronous), then checks the member got it once.
    async fn broadcast_until_forwarded(from: &RedisLayer, group: &str, probe: &mut Probe) {
        let deadline = tokio::time::Instant::now() + WAIT;
        let msg = text(r#"{"action":"probe"}"#);
        loop {
            let report = from.group_send(group, msg.clone(), SendOptions::default()).await.expect("send");
            if report.forwarded == 1 {
                break;
            }
            assert!(tokio::time::Instant::now() < deadline, "no other process subscribed to {group}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(recv(probe).await.payload, msg);
    }

    #[tokio::test]
    async fn connection_ids_name_their_process() {
        let Some(url) = url() else { return };
        let layer = RedisLayer::connect(RedisConfig::new(url).prefix(prefix())).await.expect("connect");
        let id = layer.new_conn_id();
        let (process, suffix) = id.as_str().split_once('!').expect("process!suffix");
        assert_eq!(process, layer.process_id());
        assert!(!suffix.is_empty());
        assert_ne!(layer.new_conn_id(), id);
    }

    #[tokio::test]
    async fn join_and_leave_for_a_connection_of_another_process() {
        let Some(url) = url() else { return };
        let p = prefix();
        let a = RedisLayer::connect(RedisConfig::new(&url).prefix(&p)).await.expect("connect a");
        let b = RedisLayer::connect(RedisConfig::new(&url).prefix(&p)).await.expect("connect b");
        let (x, mut px) = member(&a);
        b.group_add("remote", &x).await.expect("join requested through redis");
        broadcast_until_forwarded(&b, "remote", &mut px).await;
        assert_eq!(a.group_len("remote"), 1);
        b.group_discard("remote", &x).await.expect("leave requested through redis");
        let deadline = tokio::time::Instant::now() + WAIT;
        while a.group_len("remote") != 0 {
            assert!(tokio::time::Instant::now() < deadline, "leave was not applied");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let nobody = ConnId::new("AAAAAAAAAAAA!1");
        let err = b.group_add("remote", &nobody).await.expect_err("no such process");
        assert!(matches!(err, LayerError::NotAttached(_)), "{err:?}");
        let report = b.send(&nobody, text("{}"), SendOptions::default()).await.expect("send");
        assert_eq!(report.gone, 1, "a process nobody runs");
    }

    #[tokio::test]
    async fn counters_and_hub_without_server() {
        let Some(url) = url() else { return };
        let p = prefix();
        let a = RedisLayer::connect(RedisConfig::new(&url).prefix(&p)).await.expect("connect a");
        let worker = RedisLayer::connect(RedisConfig::new(&url).prefix(&p)).await.expect("connect worker");
        let (x, mut px) = member(&a);
        a.group_add("news", &x).await.expect("join");
        // A hub over Redis with no connections of its own, like a worker or a script.
        let hub = Hub::new(worker.clone());
        let frame = Payload::text(r#"{"action":"news"}"#);
        let report =
            hub.broadcast_payload("news", frame.clone(), SendOptions::default()).await.expect("send");
        assert_eq!(report.forwarded, 1);
        assert_eq!(recv(&mut px).await.payload, frame);
        let report = hub.send_payload(&x, frame.clone(), SendOptions::default()).await.expect("send");
        assert_eq!(report.forwarded, 1);
        assert_eq!(recv(&mut px).await.payload, frame);
        let (w, a_stats) = (worker.stats(), a.stats());
        assert_eq!((w.published, w.publish_failed, w.connects), (2, 0, 1));
        assert_eq!((a_stats.received, a_stats.remote_delivered), (2, 2));
    }

    #[tokio::test]
    async fn resubscribes_after_a_lost_connection() {
        let Some(url) = url() else { return };
        let p = prefix();
        let a = RedisLayer::connect(RedisConfig::new(&url).prefix(&p)).await.expect("connect a");
        let b = RedisLayer::connect(RedisConfig::new(&url).prefix(&p)).await.expect("connect b");
        let (x, mut px) = member(&a);
        a.group_add("room", &x).await.expect("join");
        let mut link = a.link();
        assert_eq!(link.borrow().generation, 1);
        a.force_reconnect();
        let state = tokio::time::timeout(WAIT, link.wait_for(|s| s.connected && s.generation == 2))
            .await
            .expect("reconnected in time")
            .map(|s| *s)
            .expect("layer alive");
        assert!(state.connected);
        let report = b.group_send("room", text("1"), SendOptions::default()).await.expect("send");
        assert_eq!(report.forwarded, 1, "subscribed again");
        assert_eq!(recv(&mut px).await.payload, text("1"));
        assert_eq!(a.stats().disconnects, 1);
    }

    /// A `redis-server` of the test's own, on a free loopback port, that can be stopped and
    /// started again.
    struct Server {
        bin: String,
        port: u16,
        child: Option<Child>,
    }

    impl Server {
        fn start(bin: &str) -> Self {
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .expect("a free port")
                .port();
            let mut server = Server { bin: bin.to_owned(), port, child: None };
            server.restart();
            server
        }

        fn url(&self) -> String {
            format!("redis://127.0.0.1:{}", self.port)
        }

        fn restart(&mut self) {
            let port = self.port.to_string();
            let child = Command::new(&self.bin)
                .args(["--port", &port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start redis-server");
            self.child = Some(child);
            let deadline = std::time::Instant::now() + Duration::from_secs(5);
            while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
                assert!(std::time::Instant::now() < deadline, "redis-server did not start");
                std::thread::sleep(Duration::from_millis(20));
            }
        }

        fn stop(&mut self) {
            if let Some(mut child) = self.child.take() {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
    }

    impl Server {
        /// A free loopback port with no server on it yet ([`Server::restart`] starts one).
        fn reserve(bin: &str) -> Self {
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .expect("a free port")
                .port();
            Server { bin: bin.to_owned(), port, child: None }
        }
    }

    impl Drop for Server {
        fn drop(&mut self) {
            self.stop();
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn survives_a_redis_restart() {
        let Ok(bin) = std::env::var("CHANX_TEST_REDIS_SERVER") else {
            super::redis_support::skip_or_fail("CHANX_TEST_REDIS_SERVER is not set");
            return;
        };
        let mut server = Server::start(&bin);
        let config = RedisConfig::new(server.url())
            .backoff(Duration::from_millis(20), Duration::from_millis(250))
            .timeout(Duration::from_secs(1));
        let a = RedisLayer::connect(config.clone()).await.expect("connect a");
        let b = RedisLayer::connect(config).await.expect("connect b");
        let (x, mut px) = member(&a);
        a.group_add("room", &x).await.expect("join");
        let report = b.group_send("room", text("before"), SendOptions::default()).await.expect("send");
        assert_eq!(report.forwarded, 1);
        assert_eq!(recv(&mut px).await.payload, text("before"));

        server.stop();
        let mut link = a.link();
        tokio::time::timeout(WAIT, link.wait_for(|s| !s.connected))
            .await
            .expect("loss noticed")
            .expect("alive");
        // Local delivery goes on; the failed publish is counted, not silent.
        let report = a.group_send("room", text("local"), SendOptions::default()).await.expect("send");
        assert_eq!((report.delivered, report.forwarded), (1, 0));
        assert_eq!(recv(&mut px).await.payload, text("local"));
        assert!(a.stats().publish_failed >= 1);
        let err = b.send(&x, text("direct"), SendOptions::default()).await.expect_err("link down");
        assert!(matches!(err, LayerError::Backend(_)), "{err:?}");

        server.restart();
        let started = std::time::Instant::now();
        assert!(a.wait_connected(Duration::from_secs(5)).await, "a reconnected");
        assert!(b.wait_connected(Duration::from_secs(5)).await, "b reconnected");
        assert!(started.elapsed() < Duration::from_secs(5));
        assert_eq!(a.link().borrow().generation, 2);
        let report = b.group_send("room", text("after"), SendOptions::default()).await.expect("send");
        assert_eq!(report.forwarded, 1, "a subscribed to the room again");
        assert_eq!(recv(&mut px).await.payload, text("after"));
        let report = b.send(&x, text("direct"), SendOptions::default()).await.expect("send");
        assert_eq!(report.forwarded, 1);
        assert_eq!(recv(&mut px).await.payload, text("direct"));
        let stats = a.stats();
        assert_eq!((stats.connects, stats.disconnects), (2, 1));
    }
    /// A layer made while nothing listens on its port serves its own members, drops and
    /// counts what other processes would get, and joins the others once Redis is up.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn starts_without_redis() {
        let Ok(bin) = std::env::var("CHANX_TEST_REDIS_SERVER") else {
            super::redis_support::skip_or_fail("CHANX_TEST_REDIS_SERVER is not set");
            return;
        };
        let mut server = Server::reserve(&bin);
        let config = RedisConfig::new(server.url())
            .backoff(Duration::from_millis(20), Duration::from_millis(250))
            .timeout(Duration::from_secs(1));
        assert!(RedisLayer::connect(config.clone()).await.is_err(), "connect needs redis");
        let a = RedisLayer::connect_lazy(config.clone()).await.expect("lazy layer");
        assert!(!a.is_connected());
        assert_eq!(a.link().borrow().generation, 0);
        let (x, mut px) = member(&a);
        let (y, mut py) = member(&a);
        a.group_add("room", &x).await.expect("join while down");
        let report = a.group_send("room", text("local"), SendOptions::default()).await.expect("send");
        assert_eq!((report.delivered, report.forwarded), (1, 0));
        assert_eq!(recv(&mut px).await.payload, text("local"));
        let report = a.send(&y, text("direct"), SendOptions::default()).await.expect("local send");
        assert_eq!(report.delivered, 1);
        assert_eq!(recv(&mut py).await.payload, text("direct"));
        let stats = a.stats();
        assert!(stats.publish_failed >= 1, "the group publish is dropped and counted: {stats:?}");
        // Wait for a failed attempt, so the retry path (not only the first try) is exercised.
        let deadline = std::time::Instant::now() + WAIT;
        while a.stats().connect_failed == 0 {
            assert!(std::time::Instant::now() < deadline, "no connection attempt counted");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }

        server.restart();
        assert!(a.wait_connected(WAIT).await, "a connected once redis was up");
        assert_eq!(a.link().borrow().generation, 1);
        let b = RedisLayer::connect(config).await.expect("connect b");
        let report = b.group_send("room", text("across"), SendOptions::default()).await.expect("send");
        assert_eq!(report.forwarded, 1, "a subscribed to the room joined while down");
        assert_eq!(recv(&mut px).await.payload, text("across"));
        let report = b.send(&y, text("to y"), SendOptions::default()).await.expect("send");
        assert_eq!(report.forwarded, 1);
        assert_eq!(recv(&mut py).await.payload, text("to y"));
        let (z, mut pz) = member(&b);
        b.group_add("room", &z).await.expect("join b");
        let report = a.group_send("room", text("back"), SendOptions::default()).await.expect("send");
        assert_eq!((report.delivered, report.forwarded), (1, 1));
        assert_eq!(recv(&mut pz).await.payload, text("back"));
        let stats = a.stats();
        assert_eq!((stats.connects, stats.disconnects), (1, 0));
        assert!(stats.connect_failed >= 1);
    }
}

/// A connection's event inbox is bounded: past it events are dropped and counted, and the
/// connection stays.
#[tokio::test]
async fn a_full_event_inbox_drops_events() {
    let layer = MemoryLayer::new();
    let id = layer.new_conn_id();
    let (mailbox, mut probe) = probe_event_mailbox(id.clone(), 1, SlowConsumer::default());
    layer.attach(mailbox);
    let event = Payload::Event(bytes::Bytes::from_static(br#"{"action":"e","payload":null}"#));
    let first = layer.send(&id, event.clone(), SendOptions::default()).await.expect("send");
    let second = layer.send(&id, event.clone(), SendOptions::default()).await.expect("send");
    assert_eq!((first.delivered, second.dropped), (1, 1));
    assert!(!probe.close_requested(), "the connection stays");
    assert_eq!(probe.next_event_within(WAIT).await, Some(event));
}

//! Topics over one socket (Chanx 2.10+ wire): subscribe / unsubscribe, per-topic handlers and
//! authorization, publishing with `seq`, a route dedicated to one topic. Run in memory and over
//! a real socket (axum). The expected frames of `matches_the_python_peer` were recorded from
//! the Python Chanx peer (`tools/peers/chanx/notifications_app.py`, `/ws/hub`).

use std::borrow::Cow;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use chanx::channel::BoxFuture;
use chanx::testing::Communicator;
use chanx::{
    Channel, Context, DecodeError, Endpoint, HandlerResult, Hub, Message, Params, ParamsError, PathValues,
    Service, Topic, TopicContext,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use typed::{Served, Via};

#[macro_use]
mod typed;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Note {
    note: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Status {
    order_id: String,
    status: String,
}

tagged!(HubClient { Ping = "ping" });
tagged!(HubServer { Pong = "pong" });
tagged!(OrderClient { AddNote = "add_note" (Note) });
tagged!(OrderServer { NoteAdded = "note_added" (Note), OrderStatus = "order_status" (Status) });

/// `/ws/hub`: one connection, many `order:{order_id}` topics.
struct HubChannel;
impl Channel for HubChannel {
    type Client = HubClient;
    type Server = HubServer;
    type Params = ();
    const NAME: &'static str = "hub";
    const ADDRESS: Option<&'static str> = Some("/ws/hub");
    const TAG: Option<&'static str> = Some("action");
}

struct HubService;
impl Service<HubChannel> for HubService {
    fn dispatch<'a>(
        &'a self,
        _ctx: &'a Context<HubChannel>,
        _msg: HubClient,
    ) -> BoxFuture<'a, HandlerResult<Option<HubServer>>> {
        Box::pin(async { Ok(Some(HubServer::Pong)) })
    }
}

/// `/ws/orders/{order_id}`: the order topic on a route of its own.
struct OrdersChannel;
impl Channel for OrdersChannel {
    type Client = HubClient;
    type Server = HubServer;
    type Params = OrderParams;
    const NAME: &'static str = "orders";
    const ADDRESS: Option<&'static str> = Some("/ws/orders/{order_id}");
    const TAG: Option<&'static str> = Some("action");
}

struct OrdersService;
impl Service<OrdersChannel> for OrdersService {
    fn dispatch<'a>(
        &'a self,
        _ctx: &'a Context<OrdersChannel>,
        _msg: HubClient,
    ) -> BoxFuture<'a, HandlerResult<Option<HubServer>>> {
        Box::pin(async { Ok(Some(HubServer::Pong)) })
    }
}

struct OrderParams {
    order_id: String,
}

impl Params for OrderParams {
    fn from_path(values: &PathValues) -> Result<Self, ParamsError> {
        Ok(Self { order_id: values.require("order_id")? })
    }
}

/// The order topic, counting its hooks.
#[derive(Clone, Default)]
struct OrderTopic {
    subscribed: Arc<AtomicUsize>,
    unsubscribed: Arc<AtomicUsize>,
}

impl<C: Channel> Topic<C> for OrderTopic {
    type Params = OrderParams;
    type Client = OrderClient;
    type Server = OrderServer;
    const PATTERN: &'static str = "order:{order_id}";

    fn authorize<'a>(&'a self, ctx: TopicContext<'a, C, OrderParams>) -> BoxFuture<'a, bool> {
        Box::pin(async move { !ctx.params().order_id.starts_with("secret") })
    }

    fn on_subscribe<'a>(
        &'a self,
        _ctx: TopicContext<'a, C, OrderParams>,
    ) -> BoxFuture<'a, HandlerResult<()>> {
        self.subscribed.fetch_add(1, Ordering::SeqCst);
        Box::pin(async { Ok(()) })
    }

    fn on_unsubscribe<'a>(&'a self, _ctx: TopicContext<'a, C, OrderParams>) -> BoxFuture<'a, ()> {
        self.unsubscribed.fetch_add(1, Ordering::SeqCst);
        Box::pin(async {})
    }

    fn dispatch<'a>(
        &'a self,
        _ctx: TopicContext<'a, C, OrderParams>,
        msg: OrderClient,
    ) -> BoxFuture<'a, HandlerResult<Option<OrderServer>>> {
        let OrderClient::AddNote(note) = msg;
        Box::pin(async move { Ok(Some(OrderServer::NoteAdded(note))) })
    }
}

fn hub_endpoint(hub: &Hub, topic: &OrderTopic) -> Endpoint<HubChannel> {
    Endpoint::new(HubService, hub.clone()).with_topic(topic.clone())
}

async fn exchange(client: &mut Communicator<HubChannel>, frame: Value) -> Value {
    client.send_json(&frame).await;
    client.receive_json().await
}

async fn matches_the_python_peer(via: Via) {
    let (hub, topic) = (Hub::memory(), OrderTopic::default());
    let served = Served::start(via, hub_endpoint(&hub, &topic)).await;
    let mut c = served.connect("/ws/hub").await;
    let transcript = [
        (
            json!({"version":1,"topic":"order:42","ref":"1","action":"subscribe"}),
            json!({"action":"subscribed","payload":null,"version":1,"topic":"order:42","ref":"1"}),
        ),
        (
            json!({"version":1,"topic":"order:42","ref":"2","action":"subscribe"}),
            json!({"action":"subscribed","payload":null,"version":1,"topic":"order:42","ref":"2"}),
        ),
        (
            json!({"topic":"order:42","action":"add_note","payload":{"note":"x"}}),
            json!({"action":"note_added","payload":{"note":"x"},"version":1,"topic":"order:42"}),
        ),
        (
            json!({"version":1,"topic":"order:42","ref":"5","action":"add_note","payload":{"note":"leave at door"}}),
            json!({"action":"note_added","payload":{"note":"leave at door"},"version":1,"topic":"order:42","ref":"5"}),
        ),
        (
            json!({"version":1,"topic":"order:42","ref":"6b","action":"bogus"}),
            json!({"action":"error","payload":[{"type":"union_tag_invalid","loc":[],"msg":"Input tag 'bogus' found using 'action' does not match any of the expected tags: 'add_note'"}],"version":1,"topic":"order:42","ref":"6b"}),
        ),
        (
            json!({"version":1,"topic":"order:43","ref":"7","action":"add_note","payload":{"note":"x"}}),
            json!({"action":"error","payload":{"reason":"not_subscribed","detail":"Not subscribed to 'order:43'"},"version":1,"topic":"order:43","ref":"7"}),
        ),
        (
            json!({"version":1,"topic":"secret:1","ref":"8","action":"subscribe"}),
            json!({"action":"error","payload":{"reason":"unknown_topic","detail":"Unknown topic 'secret:1'"},"version":1,"topic":"secret:1","ref":"8"}),
        ),
        (
            json!({"version":1,"topic":"order:secret1","ref":"9","action":"subscribe"}),
            json!({"action":"error","payload":{"reason":"unauthorized","detail":"Not allowed to subscribe to 'order:secret1'"},"version":1,"topic":"order:secret1","ref":"9"}),
        ),
        (
            json!({"version":1,"topic":"order:42","ref":"9b","action":"ping"}),
            json!({"action":"error","payload":[{"type":"union_tag_invalid","loc":[],"msg":"Input tag 'ping' found using 'action' does not match any of the expected tags: 'add_note'"}],"version":1,"topic":"order:42","ref":"9b"}),
        ),
        (
            json!({"version":1,"ref":"10","action":"ping"}),
            json!({"action":"pong","payload":null,"version":1,"ref":"10"}),
        ),
        (
            json!({"version":1,"ref":"10b","action":"add_note","payload":{"note":"x"}}),
            json!({"action":"error","payload":[{"type":"union_tag_invalid","loc":[],"msg":"Input tag 'add_note' found using 'action' does not match any of the expected tags: 'ping'"}],"version":1,"ref":"10b"}),
        ),
        (
            json!({"topic":5,"ref":"11","action":"ping"}),
            json!({"action":"error","payload":[{"type":"string_type","loc":["topic"],"msg":"Input should be a valid string"}]}),
        ),
        (
            json!({"seq":"x","ref":"12","action":"ping"}),
            json!({"action":"error","payload":[{"type":"int_parsing","loc":["seq"],"msg":"Input should be a valid integer, unable to parse string as an integer"}]}),
        ),
        (
            json!({"seq":3,"ref":"12b","action":"ping"}),
            json!({"action":"pong","payload":null,"version":1,"ref":"12b"}),
        ),
        (
            json!({"topic":null,"ref":"13","action":"ping"}),
            json!({"action":"pong","payload":null,"version":1,"ref":"13"}),
        ),
        (
            json!({"version":1,"topic":"order:43","ref":"14","action":"unsubscribe"}),
            json!({"action":"unsubscribed","payload":null,"version":1,"topic":"order:43","ref":"14"}),
        ),
    ];
    for (sent, expected) in transcript {
        assert_eq!(exchange(&mut c, sent.clone()).await, expected, "answer to {sent}");
    }
    let status = OrderServer::OrderStatus(Status { order_id: "42".into(), status: "shipped".into() });
    let report = hub.publish("order:42", &status, Some(7)).await.expect("published");
    assert_eq!(report.delivered, 1);
    assert_eq!(
        c.receive_json().await,
        json!({"action":"order_status","payload":{"order_id":"42","status":"shipped"},"version":1,"topic":"order:42","seq":7})
    );
    hub.publish("order:42", &status, None).await.expect("published");
    assert_eq!(
        c.receive_json().await,
        json!({"action":"order_status","payload":{"order_id":"42","status":"shipped"},"version":1,"topic":"order:42"})
    );
    for r in ["8", "8b"] {
        let sent = json!({"version":1,"topic":"order:42","ref":r,"action":"unsubscribe"});
        let expected = json!({"action":"unsubscribed","payload":null,"version":1,"topic":"order:42","ref":r});
        assert_eq!(exchange(&mut c, sent).await, expected);
    }
    // subscribed once (the repeated subscribe only re-acked), left once
    assert_eq!(topic.subscribed.load(Ordering::SeqCst), 1);
    assert_eq!(topic.unsubscribed.load(Ordering::SeqCst), 1);
    assert_eq!(hub.publish("order:42", &status, None).await.expect("published").delivered, 0);
    assert!(c.receive_nothing_within(Duration::from_millis(100)).await);
}

async fn published_messages_reach_only_subscribers(via: Via) {
    let (hub, topic) = (Hub::memory(), OrderTopic::default());
    let served = Served::start(via, hub_endpoint(&hub, &topic)).await;
    let (mut a, mut b) = (served.connect("/ws/hub").await, served.connect("/ws/hub").await);
    assert_eq!(a.subscribe("order:1").await["action"], "subscribed");
    assert_eq!(a.subscribe("order:2").await["action"], "subscribed");
    assert_eq!(b.subscribe("order:2").await["action"], "subscribed");
    let status =
        |id: &str| OrderServer::OrderStatus(Status { order_id: id.into(), status: "pending".into() });
    assert_eq!(hub.publish("order:1", &status("1"), Some(1)).await.expect("sent").delivered, 1);
    assert_eq!(hub.publish("order:2", &status("2"), Some(1)).await.expect("sent").delivered, 2);
    assert_eq!(a.receive_topic("order:1").await["seq"], 1);
    assert_eq!(a.receive_topic_message::<OrderServer>("order:2").await, status("2"));
    assert_eq!(b.receive_topic("order:2").await["payload"]["order_id"], "2");
    assert!(b.receive_nothing_within(Duration::from_millis(100)).await);
    // the test client's own helpers
    a.send_topic("order:1", &OrderClient::AddNote(Note { note: "n".into() }), "r1").await;
    let reply = a.receive_json().await;
    assert_eq!((reply["action"].as_str(), reply["ref"].as_str()), (Some("note_added"), Some("r1")));
    assert_eq!(a.unsubscribe("order:1").await["action"], "unsubscribed");
    // frames without a topic keep going to the channel's own handlers
    assert_eq!(exchange(&mut a, json!({"action":"ping"})).await, json!({"action":"pong","payload":null}));
}

async fn disconnect_leaves_every_topic(via: Via) {
    let (hub, topic) = (Hub::memory(), OrderTopic::default());
    let served = Served::start(via, hub_endpoint(&hub, &topic)).await;
    let mut a = served.connect("/ws/hub").await;
    a.subscribe("order:1").await;
    a.subscribe("order:2").await;
    a.close(1000).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
    while topic.unsubscribed.load(Ordering::SeqCst) < 2 {
        assert!(tokio::time::Instant::now() < deadline, "on_unsubscribe ran for each topic");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let status = OrderServer::OrderStatus(Status { order_id: "1".into(), status: "pending".into() });
    assert_eq!(hub.publish("order:1", &status, None).await.expect("sent").delivered, 0);
}

async fn dedicated_route_subscribes_on_connect(via: Via) {
    let (hub, topic) = (Hub::memory(), OrderTopic::default());
    let endpoint = Endpoint::new(OrdersService, hub.clone()).with_default_topic(topic.clone());
    let served = Served::start(via, endpoint).await;
    let mut c = served.connect("/ws/orders/42").await;
    assert_eq!(
        c.receive_json().await,
        json!({"action":"subscribed","payload":null,"version":1,"topic":"order:42"})
    );
    let script = [
        (
            json!({"action":"add_note","payload":{"note":"y"},"ref":"a"}),
            json!({"action":"note_added","payload":{"note":"y"},"version":1,"topic":"order:42","ref":"a"}),
        ),
        (
            json!({"action":"ping"}),
            json!({"action":"error","payload":[{"type":"union_tag_invalid","loc":[],"msg":"Input tag 'ping' found using 'action' does not match any of the expected tags: 'add_note'"}],"version":1,"topic":"order:42"}),
        ),
        (
            json!({"topic":"order:42","action":"subscribe"}),
            json!({"action":"subscribed","payload":null,"version":1,"topic":"order:42"}),
        ),
        (
            json!({"topic":"order:7","action":"subscribe"}),
            json!({"action":"subscribed","payload":null,"version":1,"topic":"order:7"}),
        ),
        (
            json!({"action":"unsubscribe"}),
            json!({"action":"unsubscribed","payload":null,"version":1,"topic":"order:42"}),
        ),
    ];
    for (sent, expected) in script {
        c.send_json(&sent).await;
        assert_eq!(c.receive_json().await, expected, "answer to {sent}");
    }
    assert_eq!(topic.subscribed.load(Ordering::SeqCst), 2);
    let mut secret = served.connect("/ws/orders/secret9").await;
    assert_eq!(
        secret.receive_json().await,
        json!({"action":"error","payload":{"reason":"unauthorized","detail":"Not allowed to subscribe to 'order:secret9'"},"version":1,"topic":"order:secret9"})
    );
}

async fn publishing_is_captured(via: Via) {
    let (hub, topic) = (Hub::memory(), OrderTopic::default());
    let served = Served::start(via, hub_endpoint(&hub, &topic)).await;
    let mut c = served.connect("/ws/hub").await;
    c.subscribe("order:5").await;
    hub.start_capture();
    let status = OrderServer::OrderStatus(Status { order_id: "5".into(), status: "delivered".into() });
    hub.publish("order:5", &status, Some(3)).await.expect("sent");
    let captured = hub.stop_capture();
    assert_eq!(captured.len(), 1);
    assert_eq!(captured[0].target, chanx::hub::Target::Topic("order:5".into()));
    assert_eq!(captured[0].frame["seq"], 3);
    assert_eq!(captured[0].report.delivered, 1);
    assert_eq!(c.receive_topic("order:5").await, captured[0].frame);
}

async fn subscriptions_are_limited(via: Via) {
    let (hub, topic) = (Hub::memory(), OrderTopic::default());
    let mut config = chanx::Config::default();
    config.limits.max_groups = Some(2);
    let served = Served::start(via, hub_endpoint(&hub, &topic).with_config(config)).await;
    let mut c = served.connect("/ws/hub").await;
    c.subscribe("order:1").await;
    c.subscribe("order:2").await;
    let refused = c.subscribe("order:3").await;
    assert_eq!(refused["action"], "error");
    assert_eq!(refused["payload"][0]["type"], "too_many_groups");
    assert_eq!(refused["topic"], "order:3");
    assert_eq!(c.subscribe("order:2").await["action"], "subscribed", "a repeated subscribe is still acked");
}

on_both_transports!(
    matches_the_python_peer,
    published_messages_reach_only_subscribers,
    disconnect_leaves_every_topic,
    dedicated_route_subscribes_on_connect,
    publishing_is_captured,
    subscriptions_are_limited,
);

/// A subscriber in one process, the publisher in another: the topic crosses Redis.
#[cfg(feature = "redis")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publishing_crosses_processes_over_redis() {
    let Some((home, away)) = typed::redis_hubs().await else { return };
    let served = Served::start(Via::Axum, hub_endpoint(&home, &OrderTopic::default())).await;
    let mut c = served.connect("/ws/hub").await;
    assert_eq!(c.subscribe("order:9").await["action"], "subscribed");
    let status = OrderServer::OrderStatus(Status { order_id: "9".into(), status: "shipped".into() });
    let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
    // The other process learns of the subscription asynchronously: publish until it is seen.
    loop {
        let report = away.publish("order:9", &status, Some(1)).await.expect("published");
        if report.forwarded == 1 || tokio::time::Instant::now() > deadline {
            assert_eq!(report.forwarded, 1, "handed to the subscriber's process");
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let got = c.receive_topic("order:9").await;
    assert_eq!((got["seq"].as_i64(), got["payload"]["status"].as_str()), (Some(1), Some("shipped")));
}

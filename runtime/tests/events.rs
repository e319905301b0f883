//! Typed server events (Chanx's `broadcast_event` / `send_event` / `@event_handler`): sent from
//! anywhere, each member's handler transforms, forwards or filters; pushes on connect. Run in
//! memory and over a real socket (axum). The frames of `matches_the_python_peer` were recorded
//! from the Python Chanx peer (`tools/peers/chanx/notifications_app.py`,
//! `/ws/notifications/{user_id}`).

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chanx::channel::BoxFuture;
use chanx::{
    Channel, Config, ConnId, Context, DecodeError, Endpoint, EventHandler, EventReply, HandlerResult, Hub,
    Message, Params, ParamsError, PathValues, Service,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use typed::{Served, Via};

#[macro_use]
mod typed;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Ids {
    ids: Vec<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct MarkedRead {
    ids: Vec<i64>,
    unread: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Welcome {
    user_id: i64,
    unread: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Notification {
    id: i64,
    title: String,
    severity: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Announcement {
    text: String,
}

tagged!(Client { Ping = "ping", MarkRead = "mark_read" (Ids) });
tagged!(Server {
    Pong = "pong",
    MarkedRead = "marked_read" (MarkedRead),
    Welcome = "welcome" (Welcome),
    Notification = "notification" (Notification),
    SystemAnnouncement = "system_announcement" (Announcement),
});
tagged!(Event { NewNotification = "new_notification" (Notification), SystemAnnouncement = "system_announcement" (Announcement) });

/// `/ws/notifications/{user_id}`: a per-user stream of server pushes.
struct Notifications;
impl Channel for Notifications {
    type Client = Client;
    type Server = Server;
    type Params = User;
    const NAME: &'static str = "notifications";
    const ADDRESS: Option<&'static str> = Some("/ws/notifications/{user_id}");
    const TAG: Option<&'static str> = Some("action");
}

struct User {
    id: i64,
}

impl Params for User {
    fn from_path(values: &PathValues) -> Result<Self, ParamsError> {
        let raw = values.require("user_id")?;
        let id = raw.parse().map_err(|_| ParamsError::NotAllowed {
            name: "user_id",
            value: raw.clone(),
            expected: "an integer".into(),
        })?;
        Ok(Self { id })
    }
}

fn user_group(id: i64) -> String {
    format!("notifications.user.{id}")
}

/// Users from 900 on only want critical notifications.
fn muted(id: i64) -> bool {
    id >= 900
}

/// Remembers each user's connection id, for sends to one connection.
#[derive(Clone, Default)]
struct App {
    ids: Arc<Mutex<HashMap<i64, ConnId>>>,
}

impl App {
    fn id_of(&self, user: i64) -> ConnId {
        self.ids.lock().expect("ids").get(&user).cloned().expect("the user is connected")
    }
}

impl Service<Notifications> for App {
    fn dispatch<'a>(
        &'a self,
        _ctx: &'a Context<Notifications>,
        msg: Client,
    ) -> BoxFuture<'a, HandlerResult<Option<Server>>> {
        Box::pin(async move {
            Ok(Some(match msg {
                Client::Ping => Server::Pong,
                Client::MarkRead(Ids { ids }) => Server::MarkedRead(MarkedRead { ids, unread: 0 }),
            }))
        })
    }

    fn on_connect<'a>(&'a self, ctx: &'a Context<Notifications>) -> BoxFuture<'a, HandlerResult<()>> {
        Box::pin(async move {
            let id = ctx.params().id;
            self.ids.lock().expect("ids").insert(id, ctx.id().clone());
            ctx.join(user_group(id)).await?;
            ctx.join("announcements").await?;
            ctx.send(&Server::Welcome(Welcome { user_id: id, unread: 3 }));
            Ok(())
        })
    }
}

/// Notifications become `notification` messages (muted users get critical ones only);
/// announcements are forwarded unchanged.
struct Deliver;
impl EventHandler<Notifications> for Deliver {
    type Event = Event;

    fn handle<'a>(
        &'a self,
        ctx: &'a Context<Notifications>,
        event: Event,
    ) -> BoxFuture<'a, HandlerResult<EventReply<Server>>> {
        Box::pin(async move {
            Ok(match event {
                Event::NewNotification(n) if muted(ctx.params().id) && n.severity != "critical" => {
                    EventReply::Skip
                }
                Event::NewNotification(n) => EventReply::Send(Server::Notification(n)),
                Event::SystemAnnouncement(_) => EventReply::Forward,
            })
        })
    }
}

fn endpoint(hub: &Hub, app: &App) -> Endpoint<Notifications> {
    let config = Config { send_completion: true, ..Config::default() };
    Endpoint::new(app.clone(), hub.clone()).with_config(config).with_events(Deliver)
}

fn notification(severity: &str) -> Event {
    Event::NewNotification(Notification { id: 1, title: "hi".into(), severity: severity.into() })
}

async fn matches_the_python_peer(via: Via) {
    let hub = Hub::memory();
    let served = Served::start(via, endpoint(&hub, &App::default())).await;
    let mut c = served.connect("/ws/notifications/3").await;
    assert_eq!(c.receive_json().await, json!({"action":"welcome","payload":{"user_id":3,"unread":3}}));
    let report = hub.broadcast_event(&user_group(3), &notification("info")).await.expect("sent");
    assert_eq!(report.delivered, 1);
    assert_eq!(
        c.receive_json().await,
        json!({"action":"notification","payload":{"id":1,"title":"hi","severity":"info"}})
    );
    assert_eq!(c.receive_json().await, json!({"action":"event_complete","payload":null}));
    let announcement = Event::SystemAnnouncement(Announcement { text: "down".into() });
    hub.broadcast_event("announcements", &announcement).await.expect("sent");
    assert_eq!(c.receive_json().await, json!({"action":"system_announcement","payload":{"text":"down"}}));
    assert_eq!(c.receive_json().await, json!({"action":"event_complete","payload":null}));
    c.send_json(&json!({"action":"mark_read","payload":{"ids":[1]},"ref":"m"})).await;
    assert_eq!(
        c.receive_json().await,
        json!({"action":"marked_read","payload":{"ids":[1],"unread":0},"version":1,"ref":"m"})
    );
    assert_eq!(c.receive_json().await, json!({"action":"complete","payload":null,"version":1,"ref":"m"}));
}

async fn each_member_decides_what_it_gets(via: Via) {
    let hub = Hub::memory();
    let served = Served::start(via, endpoint(&hub, &App::default())).await;
    let mut plain = served.connect("/ws/notifications/1").await;
    let mut quiet = served.connect("/ws/notifications/901").await;
    plain.receive_json().await;
    quiet.receive_json().await;
    // The filter: the muted member's handler skips an info notification.
    let report = hub.broadcast_event("announcements", &notification("info")).await.expect("sent");
    assert_eq!(report.delivered, 2, "both handlers got the event");
    assert_eq!(plain.receive_json().await["action"], "notification");
    assert_eq!(plain.receive_json().await["action"], "event_complete");
    assert!(quiet.receive_nothing_within(Duration::from_millis(150)).await);
    hub.broadcast_event("announcements", &notification("critical")).await.expect("sent");
    for c in [&mut plain, &mut quiet] {
        assert_eq!(c.receive_json().await["payload"]["severity"], "critical");
        assert_eq!(c.receive_json().await["action"], "event_complete");
    }
    hub.start_capture();
    hub.broadcast_event(&user_group(1), &notification("warning")).await.expect("sent");
    let captured = hub.stop_capture();
    assert_eq!(captured.len(), 1);
    assert!(captured[0].event, "captured as an event");
    assert_eq!(captured[0].frame["action"], "new_notification");
    assert_eq!(captured[0].report.delivered, 1);
    assert_eq!(plain.receive_json().await["payload"]["severity"], "warning");
    plain.receive_json().await;
    // Client frames and events share the connection, each handled in turn.
    plain.send_json(&json!({"action":"ping"})).await;
    hub.broadcast_event(&user_group(1), &notification("info")).await.expect("sent");
    let mut actions = Vec::new();
    for _ in 0..4 {
        actions.push(plain.receive_json().await["action"].as_str().map(str::to_owned).unwrap_or_default());
    }
    actions.sort();
    assert_eq!(actions, ["complete", "event_complete", "notification", "pong"]);
}

async fn events_to_one_connection_and_channels_without_handler(via: Via) {
    let hub = Hub::memory();
    // The channel without an event handler: events are ignored, and counted so.
    let served = Served::start(via, Endpoint::new(App::default(), hub.clone())).await;
    let mut c = served.connect("/ws/notifications/5").await;
    c.receive_json().await;
    let report = hub.broadcast_event(&user_group(5), &notification("info")).await.expect("sent");
    assert_eq!((report.delivered, report.ignored), (0, 1));
    assert!(c.receive_nothing_within(Duration::from_millis(100)).await);
    // With one: an event to one connection, from anywhere (here a plain thread).
    let app = App::default();
    let with_events = Served::start(via, endpoint(&hub, &app)).await;
    let mut d = with_events.connect("/ws/notifications/6").await;
    d.receive_json().await;
    let (blocking, id) = (hub.blocking(), app.id_of(6));
    let report = tokio::task::spawn_blocking(move || blocking.send_event(&id, &notification("info")))
        .await
        .expect("joined")
        .expect("sent");
    assert_eq!(report.delivered, 1);
    assert_eq!(d.receive_json().await["action"], "notification");
    assert_eq!(d.receive_json().await["action"], "event_complete");
}

on_both_transports!(
    matches_the_python_peer,
    each_member_decides_what_it_gets,
    events_to_one_connection_and_channels_without_handler,
);

/// Members in one process, the sender in another: the event crosses Redis and each member's
/// handler still decides.
#[cfg(feature = "redis")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_cross_processes_over_redis() {
    let Some((home, away)) = typed::redis_hubs().await else { return };
    let served = Served::start(Via::Axum, endpoint(&home, &App::default())).await;
    let (mut plain, mut quiet) =
        (served.connect("/ws/notifications/1").await, served.connect("/ws/notifications/901").await);
    plain.receive_json().await;
    quiet.receive_json().await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
    loop {
        let report = away.broadcast_event("announcements", &notification("info")).await.expect("sent");
        if report.forwarded == 1 || tokio::time::Instant::now() > deadline {
            assert_eq!(report.forwarded, 1, "handed to the members' process");
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(plain.receive_json().await["action"], "notification");
    assert_eq!(plain.receive_json().await["action"], "event_complete");
    assert!(
        quiet.receive_nothing_within(Duration::from_millis(150)).await,
        "the muted member's handler skipped it"
    );
}

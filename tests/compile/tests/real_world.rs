//! `specs/real-world.yaml` through its generated code: `const` properties are types of their
//! own (always written, refused when different), optional and nullable properties keep absent
//! and `null` apart over a round trip, and the binary `send` message has push helpers (and a
//! handler can answer with `Context::send_binary`).

use std::sync::Mutex;
use std::time::Duration;

use chanx::testing::Communicator;
use chanx::{ConnId, Context, Endpoint, Frame, HandlerResult, Hub, LocPart, Message};
use chanx_compile_tests::real_world::common::{
    Heartbeat, RunEvent, RunEventMeta, RunEventState, StepEvent, StepEventMeta, Subscribe, SubscribeMode,
    SubscribeStrict, SubscribeVersion,
};
use chanx_compile_tests::real_world::runs::{
    self, ClientMessage, Runs, RunsHandler, RunsService, ServerMessage,
};
use serde_json::{Value, json};
use tokio::sync::oneshot;

fn subscribe() -> Subscribe {
    Subscribe {
        version: SubscribeVersion,
        mode: SubscribeMode,
        strict: None,
        pipeline: "main".to_owned(),
        branch: None,
        since: None,
        until: None,
        labels: None,
        limit: None,
    }
}

fn encoded(msg: &ClientMessage) -> Value {
    serde_json::from_str(&msg.encode()).expect("json")
}

fn decode(frame: Value) -> Result<Subscribe, chanx::DecodeError> {
    match ClientMessage::decode(&frame.to_string())? {
        ClientMessage::Subscribe(s) => Ok(s),
    }
}

/// `(type, loc)` of every error of a refused frame.
fn errors(frame: Value) -> Vec<(String, Vec<LocPart>)> {
    let err = decode(frame).expect_err("frame must be refused");
    err.errors.into_iter().map(|e| (e.kind.into_owned(), e.loc)).collect()
}

fn loc(parts: &[&str]) -> Vec<LocPart> {
    parts.iter().map(|p| LocPart::Key((*p).to_owned())).collect()
}

#[test]
fn constants_are_always_written() {
    let frame = encoded(&ClientMessage::Subscribe(subscribe()));
    assert_eq!(
        frame,
        json!({"type": "subscribe", "version": 2, "mode": "follow", "pipeline": "main", "since": null, "limit": null})
    );
    assert_eq!(SubscribeVersion::VALUE, 2);
    assert_eq!(SubscribeMode::VALUE, "follow");
    let strict = Subscribe { strict: Some(SubscribeStrict), ..subscribe() };
    assert_eq!(encoded(&ClientMessage::Subscribe(strict))["strict"], json!(true));
}

#[test]
fn a_different_constant_is_refused_with_a_literal_error() {
    let base =
        json!({"type": "subscribe", "version": 2, "mode": "follow", "pipeline": "main", "since": null});
    let mut wrong = base.clone();
    wrong["version"] = json!(3);
    assert_eq!(errors(wrong), vec![("literal_error".to_owned(), loc(&["subscribe", "version"]))]);
    let mut wrong = base.clone();
    wrong["mode"] = json!("poll");
    assert_eq!(errors(wrong), vec![("literal_error".to_owned(), loc(&["subscribe", "mode"]))]);
    let mut wrong = base.clone();
    wrong["strict"] = json!(false);
    assert_eq!(errors(wrong), vec![("literal_error".to_owned(), loc(&["subscribe", "strict"]))]);
    let mut missing = base.clone();
    missing.as_object_mut().expect("object").remove("version");
    assert_eq!(errors(missing), vec![("missing".to_owned(), loc(&["subscribe", "version"]))]);
    assert_eq!(decode(base).expect("valid"), subscribe());
}

#[test]
fn absent_and_null_survive_a_round_trip() {
    let frames = [
        // Optional nullable `until`: absent, null and a value are three states.
        json!({"type": "subscribe", "version": 2, "mode": "follow", "pipeline": "p", "since": null, "limit": null}),
        json!({"type": "subscribe", "version": 2, "mode": "follow", "pipeline": "p", "since": null, "until": null, "limit": null}),
        json!({"type": "subscribe", "version": 2, "mode": "follow", "pipeline": "p", "since": "a", "until": "b", "limit": 5}),
        // Optional, not nullable `branch`: left out when unset.
        json!({"type": "subscribe", "version": 2, "mode": "follow", "pipeline": "p", "since": null, "branch": "dev", "limit": null}),
        // Optional, any JSON `labels`: `null` is kept, absent stays absent.
        json!({"type": "subscribe", "version": 2, "mode": "follow", "pipeline": "p", "since": null, "labels": null, "limit": null}),
        json!({"type": "subscribe", "version": 2, "mode": "follow", "pipeline": "p", "since": null, "labels": {"a": 1}, "limit": null}),
    ];
    for frame in frames {
        let msg = ClientMessage::decode(&frame.to_string()).unwrap_or_else(|e| panic!("{frame}: {e}"));
        assert_eq!(encoded(&msg), frame);
    }
    let absent = decode(frames_until(None)).expect("absent");
    assert_eq!(absent.until, None);
    let null = decode(frames_until(Some(Value::Null))).expect("null");
    assert_eq!(null.until, Some(None));
    let value = decode(frames_until(Some(json!("x")))).expect("value");
    assert_eq!(value.until, Some(Some("x".to_owned())));
    // `limit` has `default: null`: absent means `null`, and `null` is written.
    assert_eq!(absent.limit, None);
}

fn frames_until(until: Option<Value>) -> Value {
    let mut frame =
        json!({"type": "subscribe", "version": 2, "mode": "follow", "pipeline": "p", "since": null});
    if let Some(u) = until {
        frame["until"] = u;
    }
    frame
}

#[test]
fn required_nullable_and_optional_non_null_are_enforced() {
    // `since` is required even though it may be null.
    let missing = json!({"type": "subscribe", "version": 2, "mode": "follow", "pipeline": "p"});
    assert_eq!(errors(missing), vec![("missing".to_owned(), loc(&["subscribe", "since"]))]);
    // `branch` may be left out but is not nullable.
    let null = json!({"type": "subscribe", "version": 2, "mode": "follow", "pipeline": "p", "since": null, "branch": null});
    assert_eq!(errors(null), vec![("string_type".to_owned(), loc(&["subscribe", "branch"]))]);
}

#[test]
fn schemas_in_separate_files_are_named_after_their_component_title_or_file() {
    let run = RunEvent {
        run_id: "r1".to_owned(),
        state: RunEventState::Running,
        meta: RunEventMeta { started_at: "2024-01-01T00:00:00Z".to_owned(), trigger: None },
    };
    let step = StepEvent { run_id: "r1".to_owned(), step: 2, meta: StepEventMeta { attempt: 1 } };
    for msg in [
        ServerMessage::RunEvent(run),
        ServerMessage::StepEvent(step),
        ServerMessage::Heartbeat(Heartbeat { at: 7 }),
    ] {
        let text = msg.encode();
        assert_eq!(ServerMessage::decode(&text).expect("decodes"), msg, "{text}");
    }
    // Named from the file's `title` ("Log Entry"), no component key refers to it.
    let log: chanx_compile_tests::real_world::common::LogEntry =
        serde_json::from_value(json!({"text": "hi"})).expect("log entry");
    assert_eq!(log.text, "hi");
}

/// Joins `runs` on connect and reports its connection id once.
struct App {
    connected: Mutex<Option<oneshot::Sender<ConnId>>>,
}

impl RunsHandler for App {
    async fn subscribe(&self, ctx: &Context<Runs>, _: Subscribe) -> HandlerResult<()> {
        // A handler answers with a binary frame directly.
        ctx.send_binary(vec![9u8, 8]);
        Ok(())
    }

    async fn on_connect(&self, ctx: &Context<Runs>) -> HandlerResult<()> {
        ctx.join("runs").await.map_err(chanx::HandlerError::internal)?;
        if let Some(tx) = self.connected.lock().expect("lock").take() {
            let _ = tx.send(ctx.id().clone());
        }
        Ok(())
    }
}

#[tokio::test]
async fn binary_send_messages_have_push_helpers() {
    let hub = Hub::memory();
    let (tx, rx) = oneshot::channel();
    let endpoint = Endpoint::new(RunsService(App { connected: Mutex::new(Some(tx)) }), hub.clone());
    let mut client = Communicator::<Runs>::connect(&endpoint, "/ws/runs")
        .await
        .expect("connects")
        .with_timeout(Duration::from_secs(5));
    let id = tokio::time::timeout(Duration::from_secs(5), rx).await.expect("on_connect ran").expect("id");

    let report = runs::push_artifact(&hub, "runs", vec![1u8, 2, 3]).await.expect("broadcast");
    assert_eq!(report.delivered, 1, "{report:?}");
    let frame = client.receive_frame_within(Duration::from_secs(5)).await.expect("a frame");
    assert!(matches!(&frame, Frame::Binary(b) if b.as_ref() == [1, 2, 3]), "{frame:?}");

    let report = runs::push_artifact_to(&hub, &id, &b"\x00\xff"[..]).await.expect("send");
    assert_eq!(report.delivered, 1, "{report:?}");
    let frame = client.receive_frame_within(Duration::from_secs(5)).await.expect("a frame");
    assert!(matches!(&frame, Frame::Binary(b) if b.as_ref() == [0, 255]), "{frame:?}");

    client.send(&ClientMessage::Subscribe(subscribe())).await;
    let frame = client.receive_frame_within(Duration::from_secs(5)).await.expect("a frame");
    assert!(matches!(&frame, Frame::Binary(b) if b.as_ref() == [9, 8]), "{frame:?}");
    assert!(client.receive_nothing().await);
}

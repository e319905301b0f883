//! Valid frames built from strategies round-trip through the generated codecs: the value
//! encodes, the frame decodes (constraints included) to an equal value, and encoding again gives
//! the same bytes. (`roundtrip.rs` covers arbitrary strings and JSON values.)

use chanx::Message;
use chanx_compile_tests::chanx_chat::{chat, common as cc};
use chanx_compile_tests::chat_ws::{common as wc, room};
use proptest::prelude::*;

fn round_trip<M: Message + std::fmt::Debug + PartialEq>(msg: &M) -> Result<(), TestCaseError> {
    let frame = msg.encode();
    let decoded = M::decode(&frame).map_err(|e| TestCaseError::fail(format!("{frame}: {e}")))?;
    prop_assert_eq!(&decoded, msg, "frame {}", frame);
    prop_assert_eq!(decoded.encode(), frame);
    Ok(())
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![".{1,40}", "[ -~]{1,200}", Just("\u{0}\"\\\u{1f}é😀".to_owned())]
}

fn room_name() -> impl Strategy<Value = String> {
    "[A-Za-z0-9_-]{1,64}"
}

fn finite() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<f64>().prop_filter("finite", |f| f.is_finite()),
        Just(0.1),
        Just(-0.0),
        Just(1e300),
        Just(5e-324)
    ]
}

fn chat_payload() -> impl Strategy<Value = cc::ChatPayload> {
    (text(), any::<Option<i64>>(), proptest::option::of(finite()))
        .prop_map(|(text, seq, sent_at)| cc::ChatPayload { text, seq, sent_at })
}

fn chanx_client() -> impl Strategy<Value = chat::ClientMessage> {
    use chat::ClientMessage as C;
    prop_oneof![
        chat_payload().prop_map(|payload| C::ChatMessage(cc::ChatMessage { payload })),
        chat_payload().prop_map(|payload| C::EchoMessage(cc::EchoMessage { payload })),
        room_name()
            .prop_map(|room| C::JoinRoomMessage(cc::JoinRoomMessage { payload: cc::RoomPayload { room } })),
        room_name()
            .prop_map(|room| C::LeaveRoomMessage(cc::LeaveRoomMessage { payload: cc::RoomPayload { room } })),
        Just(C::PingMessage(cc::PingMessage { payload: () })),
    ]
}

fn chanx_server() -> impl Strategy<Value = chat::ServerMessage> {
    use chat::ServerMessage as S;
    let membership = || {
        (text(), prop::collection::vec(text(), 0..4))
            .prop_map(|(room, rooms)| cc::MembershipPayload { room, rooms })
    };
    prop_oneof![
        (text(), text(), text(), any::<Option<i64>>(), proptest::option::of(finite())).prop_map(
            |(room, sender, text, seq, sent_at)| S::ChatNotification(cc::ChatNotification {
                payload: cc::ChatNotificationPayload { room, text, sender, seq, sent_at }
            })
        ),
        chat_payload().prop_map(|payload| S::EchoReply(cc::EchoReply { payload })),
        membership().prop_map(|payload| S::JoinedMessage(cc::JoinedMessage { payload })),
        membership().prop_map(|payload| S::LeftMessage(cc::LeftMessage { payload })),
        Just(S::PongMessage(cc::PongMessage { payload: () })),
    ]
}

fn uuid() -> impl Strategy<Value = String> {
    "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
}

fn thread() -> impl Strategy<Value = wc::ThreadNode> {
    let leaf = text().prop_map(|message_id| wc::ThreadNode { message_id, parent: None });
    leaf.prop_recursive(6, 8, 1, |inner| {
        (text(), inner)
            .prop_map(|(message_id, parent)| wc::ThreadNode { message_id, parent: Some(Box::new(parent)) })
    })
}

fn chat_ws_client() -> impl Strategy<Value = room::ClientMessage> {
    use room::ClientMessage as C;
    prop_oneof![
        (proptest::option::of(uuid()), proptest::option::of(0i64..=i64::MAX))
            .prop_map(|(request_id, ts)| C::Ping(wc::PingPayload { request_id, ts })),
        (
            proptest::option::of(uuid()),
            "[ -~]{1,300}",
            proptest::option::of(thread()),
            proptest::option::of(prop::collection::btree_map(text(), text(), 0..4)),
        )
            .prop_map(|(request_id, text, reply_to, metadata)| {
                C::SendText(wc::SendTextPayload { request_id, text, reply_to, metadata })
            }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn chanx_chat_client_frames_round_trip(msg in chanx_client()) {
        round_trip(&msg)?;
    }

    #[test]
    fn chanx_chat_server_frames_round_trip(msg in chanx_server()) {
        round_trip(&msg)?;
    }

    #[test]
    fn chat_ws_client_frames_round_trip(msg in chat_ws_client()) {
        round_trip(&msg)?;
    }
}

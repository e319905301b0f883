//! `specs/real-world-tags.yaml`: a message that owns several tag values decodes from each and
//! encodes back the one it holds; an untagged direction picks the message that declares every
//! key of the frame and refuses a frame that is two messages; the Avro message is left out.
//! And the generator refuses a spec whose untagged messages cannot be told apart.

use chanx::Message;
use chanx_compile_tests::real_world_tags::{audit, presence, room};
use room::{ClientMessage, ServerMessage, TypingPayloadType};

#[test]
fn a_message_with_several_tag_values_decodes_each_and_encodes_it_back() {
    for (wire, value) in
        [("typing_start", TypingPayloadType::TypingStart), ("typing_stop", TypingPayloadType::TypingStop)]
    {
        let frame = format!(r#"{{"type":"{wire}","user":"ann"}}"#);
        let ClientMessage::Typing(m) = ClientMessage::decode(&frame).expect("decodes") else {
            panic!("{wire} is the typing message")
        };
        assert_eq!(m.r#type, value);
        assert_eq!(m.user.as_deref(), Some("ann"));
        let msg = ClientMessage::Typing(m.clone());
        assert_eq!(msg.tag(), wire);
        let back: serde_json::Value = serde_json::from_str(&msg.encode()).expect("JSON");
        assert_eq!(back, serde_json::json!({"type": wire, "user": "ann"}));
        // The server side handles the tag the same way.
        let server = ServerMessage::Typing(m);
        assert_eq!(server.tag(), wire);
        assert_eq!(ServerMessage::decode(&server.encode()).expect("decodes"), server);
    }
}

#[test]
fn an_unknown_tag_is_one_error_listing_every_value() {
    let err = ClientMessage::decode(r#"{"type":"typing_pause"}"#).expect_err("unknown");
    assert_eq!(err.errors.len(), 1, "{err:?}");
    let text = format!("{err:?}");
    for v in ["say", "typing_start", "typing_stop"] {
        assert!(text.contains(v), "{text}");
    }
    assert!(ClientMessage::decode(r#"{"type":"say","text":"hi"}"#).is_ok());
}

#[test]
fn untagged_frames_go_to_the_message_that_declares_their_keys() {
    use presence::ServerMessage as P;
    // Both accept it (`joined` ignores `to`); only `moved` declares every key.
    let m = P::decode(r#"{"name":"ann","to":"lobby"}"#).expect("decodes");
    assert!(matches!(m, P::Moved(ref x) if x.to == "lobby"), "{m:?}");
    let m = P::decode(r#"{"name":"ann","room":"lobby"}"#).expect("decodes");
    assert!(matches!(m, P::Joined(ref x) if x.room.as_deref() == Some("lobby")), "{m:?}");
    let m = P::decode(r#"{"name":"ann"}"#).expect("decodes");
    assert!(matches!(m, P::Joined(_)), "{m:?}");
    // Both accept it and neither declares every key: refused, never the first silently.
    let err = P::decode(r#"{"name":"ann","to":"x","room":"y"}"#).expect_err("ambiguous");
    assert!(format!("{err:?}").contains("several messages"), "{err:?}");
}

#[test]
fn the_avro_message_is_left_out_and_the_rest_generated() {
    use audit::ServerMessage as A;
    // No variant: the Kafka channel has no JSON message left.
    assert!(A::decode(r#"{"id":"1"}"#).is_err());
    let _: fn(&audit::ClientMessage) -> &'static str = <audit::ClientMessage as Message>::tag;
}

#[test]
fn the_generator_refuses_untagged_messages_it_cannot_tell_apart() {
    let path = std::path::Path::new("../../specs/invalid/ambiguous-untagged.yaml");
    let spec = chanx_gen::parse::Spec::load(path).expect("parses");
    let errors = chanx_gen::ir::build(&spec, &chanx_gen::ir::IrOptions::default()).expect_err("refused");
    let text = chanx_gen::Error::Invalid(errors).to_string();
    assert!(text.contains("messages `say` and `shout`"), "{text}");
    assert!(text.contains("--tag"), "{text}");
}

#[test]
fn strict_refuses_the_mixed_format_spec() {
    let path = std::path::Path::new("../../specs/real-world-tags.yaml");
    let spec = chanx_gen::parse::Spec::load(path).expect("parses");
    let options = chanx_gen::ir::IrOptions { strict: true, ..Default::default() };
    let errors = chanx_gen::ir::build(&spec, &options).expect_err("refused");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].location.pointer.ends_with("/userEvent/payload/schemaFormat"), "{errors:?}");
    let ir = chanx_gen::ir::build(&spec, &Default::default()).expect("generates the JSON part");
    assert!(ir.warnings.iter().any(|w| w.message.contains("`userEvent` is skipped")));
}

//! Checked-in output of `chanx-gen` for the chat specs, compiled as part of the workspace (so
//! generated code is built with the workspace lints) and exercised by this crate's tests.
//! `tests/up_to_date.rs` fails when the files differ from what the generator emits now.
#![deny(missing_docs)]

/// Generated from `specs/chanx-chat.yaml`: the chat example's checked-in API.
#[rustfmt::skip]
#[path = "../../../examples/chat/src/api/rust/mod.rs"]
pub mod chanx_chat;

/// Generated from `specs/chat-ws.yaml`.
#[rustfmt::skip]
#[path = "generated/chat_ws/mod.rs"]
pub mod chat_ws;

/// Generated from `specs/hostile-text.yaml`: hostile text in every field (comment and string
/// ends, lone CR, bidirectional controls, keyword and non-ASCII names) still compiles, without
/// warnings.
#[rustfmt::skip]
#[path = "generated/hostile_text/mod.rs"]
pub mod hostile_text;

/// Generated from `specs/real-world.yaml`: schemas in separate files, `const` properties, a
/// binary `send` message, and optional / nullable properties that keep absent and `null` apart.
#[rustfmt::skip]
#[path = "generated/real_world/mod.rs"]
pub mod real_world;

/// Generated from `specs/real-world-tags.yaml`: a message owning several tag values, an
/// untagged direction with overlapping messages, and an Avro message left out.
#[rustfmt::skip]
#[path = "generated/real_world_tags/mod.rs"]
pub mod real_world_tags;

/// The user's guide (`docs/guide.md`): its Rust snippets run as this crate's doctests.
#[cfg(doctest)]
#[doc = include_str!("../../../docs/guide.md")]
pub struct Guide;

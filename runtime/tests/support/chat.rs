//! The `chat` channel as `chanx-gen` generates it from `specs/chanx-chat.yaml` (the checked-in
//! code of `examples/chat/src/api/rust/`, regenerated with
//! `chanx-gen generate specs/chanx-chat.yaml -o examples/chat/src/api --rust-only`).

pub use super::generated::chat::*;

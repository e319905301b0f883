//! The `chat` channel as `chanx-gen` generates it from `specs/chanx-chat.yaml`.
//! Regenerate with `chanx-gen generate specs/chanx-chat.yaml -o /tmp/out --rust-only` and copy
//! `/tmp/out/rust/*.rs` to `runtime/tests/support/gen/`.

pub use super::generated::chat::*;

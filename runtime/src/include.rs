//! [`include_api!`](crate::include_api): brings in the Rust API a build script generated into
//! `OUT_DIR`. Owns nothing else.

/// Includes the Rust API that a build script wrote with `chanx-gen` into
/// `$OUT_DIR/<dir>/rust/api.rs` (`Config::single_file(true)`, generated into `OUT_DIR/<dir>`),
/// like `tonic::include_proto!`. Every module of the API (`common`, one per channel) lands where
/// the macro is called, so call it inside a module of your own:
///
/// ```ignore
/// // build.rs
/// let out = std::path::PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
/// chanx_gen::Config::new("api/chat.yaml")
///     .rust_only()
///     .single_file(true)
///     .emit_rerun_if_changed(true)
///     .generate(out.join("chat"))
///     .expect("generate the chat API");
///
/// // src/lib.rs
/// pub mod api {
///     chanx::include_api!("chat");
/// }
/// use api::chat::{ChatHandler, ChatService};
/// ```
#[macro_export]
macro_rules! include_api {
    ($dir:literal) => {
        include!(concat!(env!("OUT_DIR"), "/", $dir, "/rust/api.rs"));
    };
}

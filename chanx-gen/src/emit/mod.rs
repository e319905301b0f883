//! Emitters: pure functions from [`Ir`](crate::ir::Ir) to file contents. No file system, no
//! environment, no clock; the same IR always gives the same bytes.

pub mod docs;
pub mod rust;
pub mod ts;

/// One generated file, relative to the output directory of its language.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct GeneratedFile {
    /// Path relative to the language's directory (`mod.rs`, `chat.rs`, `index.ts`), `/`-separated.
    pub path: String,
    /// Full contents, `@generated` header included.
    pub contents: String,
}

//! Generate typed Rust and TypeScript WebSocket APIs from AsyncAPI 3.0 documents.
//!
//! The pipeline is `parse → ir → emit → write`: [`parse`] reads the documents and resolves
//! `$ref`s, [`ir`] makes every decision once (channels, directions, tags, names, types),
//! [`emit`] renders Rust, TypeScript and HTML as pure functions, and [`mod@write`] owns the disk.
//! [`Config`] runs the whole pipeline for the CLI and for `build.rs` scripts.
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod config;
pub mod diff;
pub mod emit;
pub mod error;
pub mod escape;
pub mod init;
pub mod ir;
pub mod load;
pub mod location;
pub mod meta;
pub mod names;
pub mod parse;
pub mod pattern;
pub mod report;
pub mod write;

pub use config::{Config, GenerateError};
pub use diff::{Report as DiffReport, diff, diff_specs};
pub use error::{Error, Result};

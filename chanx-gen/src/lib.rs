//! Generate typed Rust (and TypeScript) WebSocket APIs from AsyncAPI 3.0 documents.
//!
//! The pipeline is `parse → ir → emit → write`.
#![deny(missing_docs)]

pub mod emit;
pub mod ir;
pub mod location;

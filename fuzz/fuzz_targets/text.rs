//! Arbitrary strings in every text field of a spec (names, descriptions, addresses, tag values,
//! content types, the file name...; see `chanx-gen/tests/hostile_common`): the generator must not
//! panic, and when the spec builds, the Rust must parse with syn and the TypeScript lex, with no
//! spec text outside a string or comment. `spec` mutates whole documents and rarely reaches deep
//! into names and texts; this target starts there.
#![no_main]

use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;

#[path = "../../chanx-gen/tests/hostile_common/mod.rs"]
mod hostile_common;

/// Up to [`hostile_common::TEXTS`] texts; missing ones are empty.
#[derive(Debug, Arbitrary)]
struct Texts(Vec<String>);

fuzz_target!(|input: Texts| {
    let mut texts = input.0;
    texts.truncate(hostile_common::TEXTS);
    if let Err(e) = hostile_common::run(&texts) {
        panic!("{e}\ntexts: {texts:?}");
    }
});

//! Every corpus document (3.x and 2.x) parses (refs resolved, traits merged), except the one with
//! remote Avro refs.

use std::path::Path;

use chanx_gen::parse::Spec;

mod support;
use support::corpus;

#[test]
fn every_corpus_document_parses() {
    let files = corpus::documents_all();
    assert!(files.len() >= 50, "corpus not found: {files:?}");
    let mut failures = Vec::new();
    for f in &files {
        let r = corpus::load(f);
        let adeo = corpus::is_remote_ref_example(f);
        match (r, adeo) {
            (Ok(_), false) => {}
            (Err(e), true) => assert!(e.to_string().contains("remote $ref"), "{e}"),
            (Ok(_), true) => failures.push(format!("{}: should be refused", f.display())),
            (Err(e), false) => failures.push(e.to_string()),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn relative_file_refs_are_loaded() {
    let spec = Spec::load(Path::new("../specs/chat-ws.yaml")).map_err(|e| e.to_string());
    let spec = match spec {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    };
    let names: Vec<&str> = spec.docs.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(names, ["../specs/chat-ws.yaml", "../specs/common.yaml"]);
    // Traits merged: `Join` gets the correlation id from the `Envelope` trait.
    let room = &spec.channels[0];
    let join = room.messages.iter().find(|m| m.key == "join").map(|m| m.correlation_id.clone());
    assert_eq!(join, Some(Some("$message.payload#/request_id".to_owned())));
}

//! Every corpus document parses (refs resolved, traits merged), except the one with remote Avro refs.

use std::path::{Path, PathBuf};

use chanx_gen::parse::Spec;

/// Loads a corpus document; its files may share a folder one level up (`social-media/common/`),
/// so that level is the root `$ref`s read from.
fn load_corpus(f: &Path) -> chanx_gen::Result<Spec> {
    let up = f.parent().and_then(Path::parent).unwrap_or(Path::new("."));
    Spec::load_within(f, &chanx_gen::load::Root::new(up)?)
}

/// The shared corpus folder (and its copies in this repository).
pub fn corpus() -> Vec<PathBuf> {
    let roots = [
        concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/asyncapi/examples"),
        concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/asyncapi/real-world"),
        concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/specs-extra"),
    ];
    let mut out = Vec::new();
    for r in roots {
        collect(Path::new(r), &mut out);
    }
    out.sort();
    out
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            if p.file_name().is_some_and(|n| n != "common") {
                collect(&p, out);
            }
        } else if matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml" | "json"))
            && p.file_name().is_some_and(|n| n != "common.yaml")
        {
            out.push(p);
        }
    }
}

#[test]
fn every_corpus_document_parses() {
    let files = corpus();
    assert!(files.len() >= 30, "corpus not found: {files:?}");
    let mut failures = Vec::new();
    for f in &files {
        let r = load_corpus(f);
        let adeo = f.to_string_lossy().contains("adeo-kafka");
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

//! Every AsyncAPI document of the corpus (official 3.0 and 2.6 examples, real-world specs, the project's
//! extra specs) generates Rust that compiles without warnings in a crate whose only dependency
//! is `chanx`. One scratch workspace, one `cargo check` with `-D warnings` over all of it.

use std::path::Path;
use std::process::Command;

use chanx_gen::emit::rust::emit;
use chanx_gen::ir::{IrOptions, build};

/// Documents the generator refuses on purpose.
const REFUSED: &[&str] = &["adeo-kafka-request-reply-asyncapi.yml"];

#[path = "../../../chanx-gen/tests/support/corpus.rs"]
mod corpus;

fn write_if_changed(path: &Path, contents: &str) {
    if std::fs::read_to_string(path).ok().as_deref() != Some(contents) {
        std::fs::create_dir_all(path.parent().expect("has a parent")).expect("mkdir");
        std::fs::write(path, contents).expect("write");
    }
}

#[test]
fn every_document_generates_rust_that_compiles() {
    let docs = corpus::documents_all();
    assert!(docs.len() >= 30, "corpus has {} documents", docs.len());
    let scratch = Path::new(env!("CARGO_TARGET_TMPDIR")).join("corpus");
    let runtime =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../runtime").canonicalize().expect("runtime dir");
    let mut members = Vec::new();
    let mut failures = Vec::new();
    for doc in &docs {
        let file_name = doc.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_owned();
        let built = corpus::load(doc)
            .map_err(|e| e.to_string())
            .and_then(|spec| build(&spec, &IrOptions::default()).map_err(|d| format!("{d:?}")));
        let ir = match (built, REFUSED.contains(&file_name.as_str())) {
            (Ok(_), true) => {
                failures.push(format!("{}: expected to be refused", doc.display()));
                continue;
            }
            (Err(_), true) => continue,
            (Err(e), false) => {
                failures.push(format!("{}: {e}", doc.display()));
                continue;
            }
            (Ok(ir), false) => ir,
        };
        let rel = corpus::flat_name(doc);
        let name: String = rel
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' })
            .collect();
        let name =
            format!("spec_{}", name.split('_').filter(|s| !s.is_empty()).collect::<Vec<_>>().join("_"));
        let dir = scratch.join(&name);
        write_if_changed(
            &dir.join("Cargo.toml"),
            &format!(
                "[package]\nname = \"{name}\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
                 [dependencies]\nchanx = {{ path = {:?}, default-features = false }}\n",
                runtime.display().to_string()
            ),
        );
        write_if_changed(
            &dir.join("src/lib.rs"),
            &format!("//! Generated from `{rel}`.\n#![deny(missing_docs)]\n\npub mod api;\n"),
        );
        for f in emit(&ir) {
            write_if_changed(&dir.join("src/api").join(&f.path), &f.contents);
        }
        members.push(name);
    }
    assert!(failures.is_empty(), "generation failed:\n{}", failures.join("\n"));
    let list = members.iter().map(|m| format!("{m:?}")).collect::<Vec<_>>().join(", ");
    write_if_changed(
        &scratch.join("Cargo.toml"),
        &format!("[workspace]\nresolver = \"3\"\nmembers = [{list}]\n"),
    );
    let lock = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../Cargo.lock");
    if let Ok(text) = std::fs::read_to_string(lock)
        && !scratch.join("Cargo.lock").exists()
    {
        write_if_changed(&scratch.join("Cargo.lock"), &text);
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = Command::new(cargo)
        .args(["check", "--workspace", "--keep-going", "--quiet", "--message-format=short"])
        .current_dir(&scratch)
        .env("RUSTFLAGS", "-D warnings")
        .env("CARGO_TARGET_DIR", scratch.join("target"))
        .output()
        .expect("cargo runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "generated code does not compile cleanly ({} crates):\n{stderr}",
        members.len()
    );
    assert!(members.len() >= 30, "only {} documents compiled", members.len());
}

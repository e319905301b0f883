//! Every AsyncAPI document of the corpus (official examples, real-world specs, the project's
//! extra specs) generates Rust that compiles without warnings in a crate whose only dependency
//! is `chanx`. One scratch workspace, one `cargo check` with `-D warnings` over all of it.

use std::path::{Path, PathBuf};
use std::process::Command;

use chanx_gen::emit::rust::emit;
use chanx_gen::ir::{IrOptions, build};
use chanx_gen::parse::Spec;

/// Loads a corpus document; its files may share a folder one level up (`social-media/common/`),
/// so that level is the root `$ref`s read from.
fn load_corpus(f: &Path) -> chanx_gen::Result<Spec> {
    let up = f.parent().and_then(Path::parent).unwrap_or(Path::new("."));
    Spec::load_within(f, &chanx_gen::load::Root::new(up)?)
}

/// Documents the generator refuses on purpose.
const REFUSED: &[&str] = &["adeo-kafka-request-reply-asyncapi.yml"];

fn shared() -> PathBuf {
    // The shared corpus sits next to the workspace root (`<root>/../shared`).
    std::env::var_os("CHANX_SHARED")
        .map_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared")), PathBuf::from)
}

fn is_root_document(path: &Path) -> bool {
    let Ok(text) = std::fs::read_to_string(path) else { return false };
    text.lines().any(|l| l.starts_with("asyncapi:") || l.trim_start().starts_with("\"asyncapi\""))
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            collect(&p, out);
        } else if p.extension().is_some_and(|e| e == "yml" || e == "yaml" || e == "json")
            && is_root_document(&p)
        {
            out.push(p);
        }
    }
}

fn write_if_changed(path: &Path, contents: &str) {
    if std::fs::read_to_string(path).ok().as_deref() != Some(contents) {
        std::fs::create_dir_all(path.parent().expect("has a parent")).expect("mkdir");
        std::fs::write(path, contents).expect("write");
    }
}

#[test]
fn every_document_generates_rust_that_compiles() {
    let root = shared();
    let mut docs = Vec::new();
    for sub in ["asyncapi/examples", "asyncapi/real-world", "specs-extra"] {
        collect(&root.join(sub), &mut docs);
    }
    if docs.is_empty() {
        eprintln!("skipped: no documents under {}", root.display());
        return;
    }
    let scratch = Path::new(env!("CARGO_TARGET_TMPDIR")).join("corpus");
    let runtime =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../runtime").canonicalize().expect("runtime dir");
    let mut members = Vec::new();
    let mut failures = Vec::new();
    for doc in &docs {
        let file_name = doc.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_owned();
        let built = load_corpus(doc)
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
        let rel = doc.strip_prefix(&root).unwrap_or(doc).to_string_lossy().into_owned();
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

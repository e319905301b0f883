//! The conformance corpus vendored in `tests/corpus/` (official AsyncAPI examples, real-world
//! documents, extra specs; see each folder's README for its source and licence) and the project's
//! own `specs/`. One walker for every test that goes over it; a missing folder fails the test.

#![allow(dead_code)] // each test crate uses part of it

use std::path::{Path, PathBuf};

/// The repository's root folder.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .find(|p| p.join("tests/corpus").is_dir())
        .unwrap_or_else(|| panic!("no tests/corpus above {}", env!("CARGO_MANIFEST_DIR")))
        .to_path_buf()
}

/// `tests/corpus/<sub>`, which must exist.
pub fn dir(sub: &str) -> PathBuf {
    let dir = repo().join("tests/corpus").join(sub);
    assert!(dir.is_dir(), "corpus folder {} is missing", dir.display());
    dir
}

/// The project's bundled specs folder, `specs/`.
pub fn specs() -> PathBuf {
    repo().join("specs")
}

/// Documents whose messages cannot be told apart (no tag and overlapping shapes, or two
/// messages with one tag value): refused on purpose, see [`ambiguous_documents`].
const AMBIGUOUS: &[&str] =
    &["slack-rtm-asyncapi.yml", "examples-2.6.0/slack-rtm.yml", "johngarnett__matchplay-api-docs"];

fn is_ambiguous(path: &Path) -> bool {
    let text = path.to_string_lossy();
    AMBIGUOUS.iter().any(|a| text.contains(a))
}

/// The AsyncAPI 3.x documents: the official 3.0.0 examples, the real-world documents and the extra
/// specs, without [`ambiguous_documents`].
pub fn documents_3x() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for sub in ["asyncapi/examples", "asyncapi/real-world", "specs-extra"] {
        out.extend(documents(&dir(sub)));
    }
    out.retain(|p| !is_ambiguous(p));
    out.sort();
    out
}

/// The corpus documents the generator refuses because a frame could be two of their messages:
/// the Slack RTM example, 3.0 and 2.6 (two pairs of messages share a `type` value), and matchplay (events told
/// apart outside the payload, with all-optional, overlapping payloads).
pub fn ambiguous_documents() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for sub in ["asyncapi/examples", "asyncapi/examples-2.6.0", "asyncapi/real-world"] {
        out.extend(documents(&dir(sub)));
    }
    out.retain(|p| is_ambiguous(p));
    out.sort();
    out
}

/// The AsyncAPI 2.x documents: the official 2.6.0 examples (read into the same model as 3.x).
pub fn documents_2x() -> Vec<PathBuf> {
    let mut out = documents(&dir("asyncapi/examples-2.6.0"));
    out.retain(|p| !is_ambiguous(p));
    out
}

/// Every corpus document, 3.x and 2.x.
pub fn documents_all() -> Vec<PathBuf> {
    let mut out = documents_3x();
    out.extend(documents_2x());
    out.sort();
    out
}

/// The corpus documents plus the project's valid specs (not `specs/invalid/`).
pub fn documents_3x_and_repo() -> Vec<PathBuf> {
    let mut out = documents_3x();
    out.extend(documents(&specs()));
    out.sort();
    out
}

/// Every corpus document (3.x and 2.x) plus the project's valid specs.
pub fn documents_all_and_repo() -> Vec<PathBuf> {
    let mut out = documents_3x_and_repo();
    out.extend(documents_2x());
    out.sort();
    out
}

/// Root AsyncAPI documents under `dir` (files that declare `asyncapi`), sorted; fragments that
/// are only `$ref`'d (`common/*.yaml`) and the `invalid/` and `schema/` folders are left out.
pub fn documents(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    collect(dir, &mut out);
    out.sort();
    out
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("read {}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("directory entry").path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if path.is_dir() {
            if name != "invalid" && name != "schema" {
                collect(&path, out);
            }
        } else if matches!(path.extension().and_then(|e| e.to_str()), Some("yaml" | "yml" | "json"))
            && is_root_document(&path)
        {
            out.push(path);
        }
    }
}

fn is_root_document(path: &Path) -> bool {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    text.lines().any(|l| l.starts_with("asyncapi:") || l.trim_start().starts_with("\"asyncapi\""))
}

/// A stable, flat name for a document: its path below `tests/corpus/` (or `repo-` and its path
/// below `specs/`), with separators and dots as `_`.
pub fn flat_name(path: &Path) -> String {
    let corpus = repo().join("tests/corpus");
    let (prefix, tail) = match path.strip_prefix(&corpus) {
        Ok(tail) => ("", tail.to_path_buf()),
        Err(_) => ("repo-", path.strip_prefix(specs()).unwrap_or(path).to_path_buf()),
    };
    format!("{prefix}{}", tail.to_string_lossy().replace(['/', '.'], "_"))
}

/// Loads a corpus document. Its files may share a folder one level up (`social-media/common/`),
/// so that level is the root its `$ref`s may read from.
pub fn load(path: &Path) -> chanx_gen::Result<chanx_gen::parse::Spec> {
    let up = path.parent().and_then(Path::parent).unwrap_or(Path::new("."));
    chanx_gen::parse::Spec::load_within(path, &chanx_gen::load::Root::new(up)?)
}

/// True for the one official example that `$ref`s remote Avro schemas (refused on purpose).
pub fn is_remote_ref_example(path: &Path) -> bool {
    path.file_name().is_some_and(|n| n == "adeo-kafka-request-reply-asyncapi.yml")
}

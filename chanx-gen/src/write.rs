//! Owns the disk: writes generated files only when their bytes changed, removes the files it
//! wrote before that are no longer produced, and in `check` mode compares instead of writing
//! and describes every difference as a unified diff.
//!
//! The output folder may hold what a pull request put there, so nothing here follows a
//! symbolic link below it: a link (or a FIFO, a device) where a generated file or folder goes
//! is an error naming the path. Files are written to a new temporary file in the same folder
//! and renamed into place. What was written is listed in [`MANIFEST`]; only files listed there,
//! and unchanged since, are ever removed — never a file recognised by its header, never
//! anything outside the folder.
//!
//! The manifest `DIR/.chanx-gen-manifest` has one line per generated file, sorted by path, in
//! the format of `sha256sum`: the SHA-256 of the contents in lower-case hex, two spaces, the
//! path relative to DIR with `/` separators (`sha256sum -c .chanx-gen-manifest` run in DIR
//! verifies it). Paths are made of ASCII letters, digits, `.`, `_` and `-` segments, without
//! `.` or `..` segments. A run owns only the top folders it writes into (`rust`, `ts`); entries
//! under others stay listed. An output folder without a manifest (written by an older version)
//! has nothing removed; the first `generate` writes one.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::error::Untrusted;

/// The marker every generated file carries in its first lines.
pub const GENERATED_MARKER: &str = "@generated";

/// The manifest's file name in the output folder.
pub const MANIFEST: &str = ".chanx-gen-manifest";

/// The largest existing file read back for a comparison (16 MiB); a larger one is rewritten
/// (or, in `check`, reported without a diff).
const MAX_COMPARED_BYTES: u64 = 16 * 1024 * 1024;

/// A file to be written, relative to the output directory (`rust/mod.rs`, `ts/index.ts`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct OutputFile {
    /// Path relative to the output directory, `/`-separated.
    pub path: String,
    /// Full contents.
    pub contents: String,
}

/// What [`write()`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriteReport {
    /// Files created or rewritten because their contents changed.
    pub written: Vec<PathBuf>,
    /// Files left alone because they already had the right contents.
    pub unchanged: Vec<PathBuf>,
    /// Files of an earlier `generate` removed because the spec no longer produces them.
    pub removed: Vec<PathBuf>,
    /// Files of an earlier `generate` no longer produced but edited since: left in place and
    /// dropped from the manifest (they are the user's now).
    pub kept: Vec<PathBuf>,
    /// The spec's warnings (filled by [`Config::generate`](crate::Config::generate); `write`
    /// itself has none).
    pub warnings: Vec<crate::ir::Diagnostic>,
}

/// One difference found by [`check`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Drift {
    /// The file should exist but does not.
    Missing {
        /// The file.
        path: PathBuf,
        /// A unified diff from nothing to the expected contents.
        diff: String,
    },
    /// The file exists with other contents.
    Changed {
        /// The file.
        path: PathBuf,
        /// A unified diff from the file on disk to the expected contents.
        diff: String,
    },
    /// A file of an earlier `generate` (listed in the manifest) that the spec no longer produces.
    Stale {
        /// The file.
        path: PathBuf,
    },
}

impl Drift {
    /// The file concerned.
    pub fn path(&self) -> &Path {
        match self {
            Drift::Missing { path, .. } | Drift::Changed { path, .. } | Drift::Stale { path } => path,
        }
    }
}

/// Why the output folder could not be written or checked. Each names the path concerned.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// A symbolic link where a generated file or folder goes (never followed).
    #[error("{}: refusing to follow a symbolic link in the output folder", Untrusted(&.path.to_string_lossy()))]
    Symlink {
        /// The link.
        path: PathBuf,
    },
    /// Something other than a regular file or folder where one goes.
    #[error("{}: expected a regular file or folder, found {kind}", Untrusted(&.path.to_string_lossy()))]
    NotAFile {
        /// The path.
        path: PathBuf,
        /// What is there (`a FIFO`...).
        kind: &'static str,
    },
    /// A manifest line that is not `<sha256>  <relative path>`.
    #[error(
        "{} (line {line}): expected `<sha256 in hex>  <relative path>` (letters, digits, `.`, `_`, `-` and `/`, no `..`)",
        Untrusted(&.path.to_string_lossy())
    )]
    Manifest {
        /// The manifest.
        path: PathBuf,
        /// 1-based line.
        line: usize,
    },
    /// A generated file's path is not a plain relative path (a generator bug).
    #[error("{}: not a plain relative path for a generated file", Untrusted(.path))]
    BadPath {
        /// The path as produced.
        path: String,
    },
    /// The system refused a read or write.
    #[error("cannot access {}: {source}", Untrusted(&.path.to_string_lossy()))]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
}

type Result<T> = std::result::Result<T, WriteError>;

fn io_at(path: &Path) -> impl FnOnce(io::Error) -> WriteError + '_ {
    move |source| WriteError::Io { path: path.to_owned(), source }
}

/// The segments of a plain relative path (`rust/mod.rs`), or `None`.
fn segments(path: &str) -> Option<Vec<&str>> {
    let plain = |s: &&str| {
        !s.is_empty()
            && *s != "."
            && *s != ".."
            && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
    };
    let parts: Vec<&str> = path.split('/').collect();
    parts.iter().all(plain).then_some(parts)
}

/// What a path that is not a file or folder is, for messages.
fn kind(t: fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_socket() {
            return "a socket";
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
    }
    if t.is_dir() { "a directory" } else { "something other than a file" }
}

/// What is at a path, without following a link.
enum Entry {
    Missing,
    Dir,
    File(u64),
}

fn entry(path: &Path) -> Result<Entry> {
    match fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => Err(WriteError::Symlink { path: path.to_owned() }),
        Ok(m) if m.is_dir() => Ok(Entry::Dir),
        Ok(m) if m.is_file() => Ok(Entry::File(m.len())),
        Ok(m) => Err(WriteError::NotAFile { path: path.to_owned(), kind: kind(m.file_type()) }),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Entry::Missing),
        Err(e) => Err(WriteError::Io { path: path.to_owned(), source: e }),
    }
}

/// The output folder itself: a real folder (not a link) or missing; created when `create`.
fn out_root(out_dir: &Path, create: bool) -> Result<()> {
    match entry(out_dir)? {
        Entry::Dir => Ok(()),
        Entry::Missing if create => fs::create_dir_all(out_dir).map_err(io_at(out_dir)),
        Entry::Missing => Ok(()),
        Entry::File(_) => Err(WriteError::NotAFile { path: out_dir.to_owned(), kind: "a file" }),
    }
}

/// The path of the file `rel` under `out_dir`, every folder on the way checked (not a link);
/// missing folders are created when `create`, otherwise `None` is returned for them.
fn file_path(out_dir: &Path, rel: &str, create: bool) -> Result<Option<PathBuf>> {
    let Some(parts) = segments(rel) else { return Err(WriteError::BadPath { path: rel.to_owned() }) };
    let mut path = out_dir.to_owned();
    let (name, dirs) = parts.split_last().ok_or_else(|| WriteError::BadPath { path: rel.to_owned() })?;
    for dir in dirs {
        path.push(dir);
        match entry(&path)? {
            Entry::Dir => {}
            Entry::Missing if create => fs::create_dir(&path).map_err(io_at(&path))?,
            Entry::Missing => return Ok(None),
            Entry::File(_) => return Err(WriteError::NotAFile { path, kind: "a file" }),
        }
    }
    path.push(name);
    Ok(Some(path))
}

/// What a regular file holds, read back for a comparison.
enum Existing {
    Missing,
    /// Larger than [`MAX_COMPARED_BYTES`]: not read.
    TooLarge,
    Bytes(Vec<u8>),
}

impl Existing {
    fn is(&self, contents: &[u8]) -> bool {
        matches!(self, Existing::Bytes(b) if b == contents)
    }
}

/// The contents of the regular file at `path` (checked not to be a link or a FIFO first).
fn read_existing(path: &Path) -> Result<Existing> {
    match entry(path)? {
        Entry::Missing => Ok(Existing::Missing),
        Entry::Dir => Err(WriteError::NotAFile { path: path.to_owned(), kind: "a directory" }),
        Entry::File(len) if len > MAX_COMPARED_BYTES => Ok(Existing::TooLarge),
        Entry::File(_) => {
            let mut bytes = Vec::new();
            fs::File::open(path)
                .and_then(|f| f.take(MAX_COMPARED_BYTES + 1).read_to_end(&mut bytes))
                .map_err(io_at(path))?;
            Ok(Existing::Bytes(bytes))
        }
    }
}

/// Replaces `path` with `contents`: a new temporary file beside it (`create_new`, so an
/// existing name or link is never opened), then a rename over `path` (which replaces, never
/// follows).
fn replace(path: &Path, contents: &[u8]) -> Result<()> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let mut attempt = 0u32;
    let (tmp, mut file) = loop {
        let tmp = path.with_file_name(format!(".{name}.{}.{attempt}.chanx-gen-tmp", std::process::id()));
        match fs::OpenOptions::new().write(true).create_new(true).open(&tmp) {
            Ok(f) => break (tmp, f),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempt < 100 => attempt += 1,
            Err(e) => return Err(WriteError::Io { path: tmp, source: e }),
        }
    };
    let written = file.write_all(contents).and_then(|()| file.flush()).and_then(|()| fs::rename(&tmp, path));
    drop(file);
    written.map_err(|source| {
        let _ = fs::remove_file(&tmp);
        WriteError::Io { path: path.to_owned(), source }
    })
}

/// Writes one file the user named (`chanx-gen docs -o FILE`) by the same rules: refused when
/// `path` is a symbolic link or not a regular file; a temporary file renamed into place. The
/// folder must exist.
pub fn write_file(path: &Path, contents: &[u8]) -> Result<()> {
    match entry(path)? {
        Entry::Missing | Entry::File(_) => replace(path, contents),
        Entry::Dir => Err(WriteError::NotAFile { path: path.to_owned(), kind: "a directory" }),
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// The manifest in `out_dir`: relative path → SHA-256, or `None` when there is none.
fn read_manifest(out_dir: &Path) -> Result<Option<BTreeMap<String, String>>> {
    let path = out_dir.join(MANIFEST);
    let bytes = match read_existing(&path)? {
        Existing::Missing => return Ok(None),
        Existing::TooLarge => return Err(WriteError::Manifest { path, line: 1 }),
        Existing::Bytes(bytes) => bytes,
    };
    let text = String::from_utf8(bytes).map_err(|_| WriteError::Manifest { path: path.clone(), line: 1 })?;
    let mut listed = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        let bad = || WriteError::Manifest { path: path.clone(), line: i + 1 };
        let (hash, rel) = line.split_once("  ").ok_or_else(bad)?;
        let hex = hash.len() == 64 && hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        if !hex || segments(rel).is_none() || rel == MANIFEST {
            return Err(bad());
        }
        listed.insert(rel.to_owned(), hash.to_owned());
    }
    Ok(Some(listed))
}

/// What a run does with the manifest.
struct Plan {
    /// Listed files the run no longer produces, with their recorded hashes.
    stale: Vec<(String, String)>,
    /// The manifest to write.
    manifest: OutputFile,
}

/// The top folder of a relative path (`rust` for `rust/mod.rs`).
fn top(rel: &str) -> &str {
    rel.split('/').next().unwrap_or(rel)
}

/// Compares the manifest in `out_dir` with `files`. Only the top folders `files` write into
/// (`rust`, `ts`) are this run's: entries under the others stay listed as they are, so
/// `--rust-only` and `--ts-only` runs into one folder keep each other's files.
fn plan(out_dir: &Path, files: &[OutputFile]) -> Result<Plan> {
    let managed: BTreeSet<&str> = files.iter().map(|f| top(&f.path)).collect();
    let mut listed: BTreeMap<String, String> =
        files.iter().map(|f| (f.path.clone(), sha256_hex(f.contents.as_bytes()))).collect();
    let mut stale = Vec::new();
    for (rel, hash) in read_manifest(out_dir)?.unwrap_or_default() {
        if listed.contains_key(&rel) {
            continue;
        }
        if managed.contains(top(&rel)) {
            stale.push((rel, hash));
        } else {
            listed.insert(rel, hash);
        }
    }
    let contents = listed.iter().map(|(rel, hash)| format!("{hash}  {rel}\n")).collect();
    Ok(Plan { stale, manifest: OutputFile { path: MANIFEST.to_owned(), contents } })
}

/// Writes `files` under `out_dir`, touching only files whose bytes changed; removes the files
/// an earlier run listed in the manifest that are no longer produced (when unchanged since);
/// then writes the manifest.
pub fn write(out_dir: &Path, files: &[OutputFile]) -> Result<WriteReport> {
    out_root(out_dir, true)?;
    let plan = plan(out_dir, files)?;
    // Every target is checked before the first write, so a link or FIFO stops the run with
    // nothing changed.
    for file in files {
        if let Some(path) = file_path(out_dir, &file.path, false)? {
            entry(&path)?;
        }
    }
    let mut report = WriteReport::default();
    for file in files {
        let path = file_path(out_dir, &file.path, true)?
            .ok_or_else(|| WriteError::BadPath { path: file.path.clone() })?;
        if read_existing(&path)?.is(file.contents.as_bytes()) {
            report.unchanged.push(path);
            continue;
        }
        replace(&path, file.contents.as_bytes())?;
        report.written.push(path);
    }
    for (rel, hash) in plan.stale {
        let Some(path) = file_path(out_dir, &rel, false)? else { continue };
        match read_existing(&path)? {
            Existing::Bytes(bytes) if sha256_hex(&bytes) == hash => {
                fs::remove_file(&path).map_err(io_at(&path))?;
                report.removed.push(path);
            }
            Existing::Bytes(_) | Existing::TooLarge => report.kept.push(path),
            Existing::Missing => {}
        }
    }
    let path = out_dir.join(MANIFEST);
    if !read_existing(&path)?.is(plan.manifest.contents.as_bytes()) {
        replace(&path, plan.manifest.contents.as_bytes())?;
    }
    Ok(report)
}

/// Compares `files` (and the manifest they make) with what is under `out_dir`; an empty
/// result means the output is fresh. Reads no link and nothing outside `out_dir`.
pub fn check(out_dir: &Path, files: &[OutputFile]) -> Result<Vec<Drift>> {
    out_root(out_dir, false)?;
    let plan = plan(out_dir, files)?;
    let mut drift = Vec::new();
    for file in files.iter().chain([&plan.manifest]) {
        let (path, existing) = match file_path(out_dir, &file.path, false)? {
            Some(path) => {
                let existing = read_existing(&path)?;
                (path, existing)
            }
            None => (out_dir.join(&file.path), Existing::Missing),
        };
        let (new, name) = (&file.contents, &file.path);
        match existing {
            Existing::Bytes(b) if b == new.as_bytes() => {}
            Existing::Bytes(b) => {
                let diff = unified_diff(&String::from_utf8_lossy(&b), new, name);
                drift.push(Drift::Changed { path, diff });
            }
            Existing::TooLarge => {
                let diff = format!(
                    "--- a/{name}\n+++ b/{name}\n(larger than {MAX_COMPARED_BYTES} bytes; not shown)\n"
                );
                drift.push(Drift::Changed { path, diff });
            }
            Existing::Missing => drift.push(Drift::Missing { path, diff: unified_diff("", new, name) }),
        }
    }
    for (rel, _) in plan.stale {
        if let Some(path) = file_path(out_dir, &rel, false)? {
            if !matches!(read_existing(&path)?, Existing::Missing) {
                drift.push(Drift::Stale { path });
            }
        }
    }
    Ok(drift)
}

fn unified_diff(old: &str, new: &str, name: &str) -> String {
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{name}"), &format!("b/{name}"))
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, contents: &str) -> OutputFile {
        OutputFile { path: path.to_owned(), contents: contents.to_owned() }
    }

    #[test]
    fn write_then_check_is_clean_and_rewrites_nothing() -> Result<()> {
        let dir = tempfile::tempdir().map_err(io_at(Path::new("tempdir")))?;
        let files = vec![file("rust/mod.rs", "// @generated\npub mod a;\n")];
        let first = write(dir.path(), &files)?;
        assert_eq!(first.written.len(), 1);
        assert!(check(dir.path(), &files)?.is_empty());
        let second = write(dir.path(), &files)?;
        assert!(second.written.is_empty());
        assert_eq!(second.unchanged.len(), 1);
        Ok(())
    }

    #[test]
    fn check_reports_changed_missing_and_stale_files() -> Result<()> {
        let dir = tempfile::tempdir().map_err(io_at(Path::new("tempdir")))?;
        write(
            dir.path(),
            &[file("rust/mod.rs", "// @generated\nold\n"), file("rust/gone.rs", "// @generated\n")],
        )?;
        fs::write(dir.path().join("rust/mine.rs"), "// @generated by hand\n").map_err(io_at(dir.path()))?;
        let files =
            vec![file("rust/mod.rs", "// @generated\nnew\n"), file("rust/chat.rs", "// @generated\n")];
        let drift = check(dir.path(), &files)?;
        assert_eq!(drift.len(), 4, "{drift:?}");
        match &drift[0] {
            Drift::Changed { diff, .. } => {
                assert!(diff.contains("-old") && diff.contains("+new"), "{diff}");
                assert!(diff.contains("--- a/rust/mod.rs"), "{diff}");
            }
            other => panic!("expected a change, got {other:?}"),
        }
        assert!(matches!(&drift[1], Drift::Missing { path, .. } if path.ends_with("rust/chat.rs")));
        assert!(matches!(&drift[2], Drift::Changed { path, .. } if path.ends_with(MANIFEST)));
        assert!(matches!(&drift[3], Drift::Stale { path } if path.ends_with("rust/gone.rs")));
        // Writing fixes all of it and leaves the user's own file alone, header or not.
        let report = write(dir.path(), &files)?;
        assert_eq!(report.removed.len(), 1);
        assert!(check(dir.path(), &files)?.is_empty());
        assert!(dir.path().join("rust/mine.rs").exists());
        Ok(())
    }

    #[test]
    fn the_manifest_is_sorted_sha256sum_lines() -> Result<()> {
        let dir = tempfile::tempdir().map_err(io_at(Path::new("tempdir")))?;
        let m = plan(dir.path(), &[file("ts/index.ts", ""), file("rust/mod.rs", "x")])?.manifest;
        let empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        let x = "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881";
        assert_eq!(m.contents, format!("{x}  rust/mod.rs\n{empty}  ts/index.ts\n"));
        Ok(())
    }

    #[test]
    fn plain_relative_paths_only() {
        for ok in ["rust/mod.rs", "ts/index.ts", "a/b-c/d_e.f"] {
            assert!(segments(ok).is_some(), "{ok}");
        }
        for bad in ["", "/etc/x", "rust/../x", "./x", "a//b", "a\\b", "a/b\n", "a b", "rust/"] {
            assert!(segments(bad).is_none(), "{bad:?}");
        }
    }
}

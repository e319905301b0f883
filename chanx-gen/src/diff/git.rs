//! `--git REV:PATH`: the spec as committed in `REV`, with the files it `$ref`s from the same
//! revision. The spec's root folder at `REV` (its own folder, or `--root`) is copied out of git
//! (`git ls-tree` + `git cat-file --batch`, nothing in the work tree or index is touched) into a
//! fresh private temporary folder, which the normal loader then reads with its usual `$ref`
//! confinement: the temporary copy is the root, so a committed symbolic link that leads out of
//! it is refused exactly as on disk. Only `.yaml`, `.yml` and `.json` files (and the spec
//! itself) are copied, each at most [`MAX_FILE_BYTES`], all together at most
//! [`MAX_SPEC_BYTES`].

use std::io::{Read, Write};
use std::path::{Component, Path, PathBuf};
use std::process::{Command, Stdio};

use crate::error::Untrusted;
use crate::load::{MAX_FILE_BYTES, MAX_SPEC_BYTES};

/// Why a committed spec could not be read out of git.
#[derive(Debug, thiserror::Error)]
#[error("--git {}: {message}", Untrusted(.spec))]
pub struct GitError {
    spec: String,
    message: String,
}

/// The spec of one revision, copied into a temporary folder (removed on drop).
#[derive(Debug)]
pub struct Checkout {
    dir: PathBuf,
    spec: PathBuf,
    /// How the user named it (`HEAD:specs/chat.yaml`).
    label: String,
    /// `REV:root/` — what the temporary folder stands for, in messages.
    shown_root: String,
}

impl Checkout {
    /// The spec file inside the temporary copy.
    pub fn spec(&self) -> &Path {
        &self.spec
    }

    /// The temporary copy of the root folder (pass it as the loader's root).
    pub fn root(&self) -> &Path {
        &self.dir
    }

    /// How the user named the spec.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// `text` (an error report) with the temporary folder's path replaced by `REV:root/`.
    pub fn unmask(&self, text: &str) -> String {
        let dir = self.dir.display().to_string();
        let bare = self.shown_root.strip_suffix('/').unwrap_or(&self.shown_root);
        text.replace(&format!("{dir}/"), &self.shown_root).replace(&dir, bare)
    }
}

impl Drop for Checkout {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

struct Git<'a> {
    top: PathBuf,
    label: &'a str,
}

impl Git<'_> {
    fn fail(&self, message: impl Into<String>) -> GitError {
        GitError { spec: self.label.to_owned(), message: message.into() }
    }

    fn run(&self, args: &[&str]) -> Result<Vec<u8>, GitError> {
        let out = Command::new("git")
            .arg("-C")
            .arg(&self.top)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| self.fail(format!("cannot run git: {e}")))?;
        if !out.status.success() {
            return Err(self.fail(first_line(&out.stderr)));
        }
        Ok(out.stdout)
    }
}

fn first_line(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let line = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("git failed");
    line.chars().take(200).collect()
}

fn git_in(dir: &Path, label: &str, args: &[&str]) -> Result<String, GitError> {
    let fail = |message: String| GitError { spec: label.to_owned(), message };
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| fail(format!("cannot run git: {e}")))?;
    if !out.status.success() {
        return Err(fail(first_line(&out.stderr)));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim_end_matches(['\n', '\r']).to_owned())
}

/// A repository-relative path without `.` or `..` left, or `None` when it leaves the top.
fn normalize(path: &str) -> Option<String> {
    let mut out: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                out.pop()?;
            }
            p => out.push(p),
        }
    }
    Some(out.join("/"))
}

/// Copies the spec named `REV:PATH` (git's syntax: `PATH` from the repository's top, or from the
/// current folder when it starts with `./` or `../`) and its root folder at `REV` out of the
/// repository holding the current folder. `root` is `--root` (a folder on disk in that
/// repository), when given.
pub fn checkout(spec: &str, root: Option<&Path>) -> Result<Checkout, GitError> {
    let fail = |message: &str| GitError { spec: spec.to_owned(), message: message.to_owned() };
    let Some((rev, path)) = spec.split_once(':') else {
        return Err(fail("expected REV:PATH, e.g. HEAD:specs/chat.yaml"));
    };
    if rev.is_empty() || path.is_empty() || rev.starts_with('-') {
        return Err(fail("expected REV:PATH, e.g. HEAD:specs/chat.yaml"));
    }
    let cwd = std::env::current_dir().map_err(|e| fail(&e.to_string()))?;
    let top = PathBuf::from(git_in(&cwd, spec, &["rev-parse", "--show-toplevel"])?);
    let prefix = git_in(&cwd, spec, &["rev-parse", "--show-prefix"])?;
    let joined = if path.starts_with("./") || path.starts_with("../") {
        format!("{prefix}{path}")
    } else {
        path.to_owned()
    };
    let file =
        normalize(&joined).filter(|f| !f.is_empty()).ok_or_else(|| fail("the path leaves the repository"))?;
    let root_dir = match root {
        Some(dir) => {
            let canonical = std::fs::canonicalize(dir).map_err(|e| fail(&format!("--root: {e}")))?;
            let top_canonical = std::fs::canonicalize(&top).map_err(|e| fail(&e.to_string()))?;
            let rel = canonical
                .strip_prefix(&top_canonical)
                .map_err(|_| fail("--root is outside the repository"))?;
            rel.to_string_lossy().replace('\\', "/")
        }
        None => file.rsplit_once('/').map_or_else(String::new, |(dir, _)| dir.to_owned()),
    };
    let inside = |f: &str| within(&root_dir, f).map(str::to_owned);
    let Some(spec_rel) = inside(&file) else {
        return Err(fail("the spec is not inside --root"));
    };
    let git = Git { top, label: spec };
    let entries = list(&git, rev, &root_dir)?;
    if !entries.iter().any(|e| e.path == file && e.kind == Kind::File) {
        return Err(git.fail(format!("no file {} in {}", Untrusted(&file), Untrusted(rev))));
    }
    let dir = temp_dir().map_err(|e| git.fail(format!("cannot create a temporary folder: {e}")))?;
    let shown_root = if root_dir.is_empty() { format!("{rev}:") } else { format!("{rev}:{root_dir}/") };
    let checkout = Checkout { spec: dir.join(&spec_rel), dir, label: spec.to_owned(), shown_root };
    let wanted: Vec<&Entry> = entries
        .iter()
        .filter(|e| e.kind == Kind::Link || e.path == file || is_spec_file(&e.path))
        .filter(|e| inside(&e.path).is_some())
        .collect();
    let blobs = read_blobs(&git, &wanted)?;
    write_tree(&git, &checkout.dir, &wanted, &blobs, |p| inside(p).unwrap_or_default())?;
    Ok(checkout)
}

/// `file` relative to the repository folder `dir` (`""` for the top), when it is inside.
fn within<'a>(dir: &str, file: &'a str) -> Option<&'a str> {
    if dir.is_empty() { Some(file) } else { file.strip_prefix(dir)?.strip_prefix('/') }
}

fn is_spec_file(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    lower.ends_with(".yaml") || lower.ends_with(".yml") || lower.ends_with(".json")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    File,
    Link,
}

#[derive(Debug)]
struct Entry {
    kind: Kind,
    object: String,
    size: usize,
    path: String,
}

/// Regular files and symbolic links under `dir` at `rev` (recursively).
fn list(git: &Git<'_>, rev: &str, dir: &str) -> Result<Vec<Entry>, GitError> {
    let spec = if dir.is_empty() { ".".to_owned() } else { dir.to_owned() };
    let treeish = format!("{rev}^{{tree}}");
    let out = git.run(&["ls-tree", "-r", "-z", "-l", "--full-tree", &treeish, "--", &spec])?;
    let mut entries = Vec::new();
    for record in out.split(|b| *b == 0).filter(|r| !r.is_empty()) {
        let record = String::from_utf8_lossy(record);
        let Some((meta, path)) = record.split_once('\t') else { continue };
        let fields: Vec<&str> = meta.split_whitespace().collect();
        let [mode, kind, object, size] = fields.as_slice() else { continue };
        let kind = match (*mode, *kind) {
            ("100644" | "100755", "blob") => Kind::File,
            ("120000", "blob") => Kind::Link,
            _ => continue,
        };
        entries.push(Entry {
            kind,
            object: (*object).to_owned(),
            size: size.parse().unwrap_or(usize::MAX),
            path: path.to_owned(),
        });
    }
    Ok(entries)
}

/// The contents of every entry (`None` for files over [`MAX_FILE_BYTES`], never read), through
/// one `git cat-file --batch`.
fn read_blobs(git: &Git<'_>, entries: &[&Entry]) -> Result<Vec<Option<Vec<u8>>>, GitError> {
    let wanted: Vec<&Entry> = entries.iter().copied().filter(|e| e.size <= MAX_FILE_BYTES).collect();
    let total: usize = wanted.iter().map(|e| e.size).sum();
    if total > MAX_SPEC_BYTES {
        return Err(
            git.fail(format!("the spec's folder holds more than {MAX_SPEC_BYTES} bytes of YAML and JSON"))
        );
    }
    let mut child = Command::new("git")
        .arg("-C")
        .arg(&git.top)
        .args(["cat-file", "--batch"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| git.fail(format!("cannot run git: {e}")))?;
    let input: String = wanted.iter().map(|e| format!("{}\n", e.object)).collect();
    let mut stdin = child.stdin.take().ok_or_else(|| git.fail("git cat-file has no input"))?;
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let mut output = Vec::new();
    if let Some(mut stdout) = child.stdout.take() {
        let limit = (total + wanted.len() * 128 + 1024) as u64;
        let _ = stdout.by_ref().take(limit).read_to_end(&mut output);
    }
    let _ = writer.join();
    let _ = child.wait();
    let mut blobs = std::collections::HashMap::new();
    let mut rest = output.as_slice();
    for e in &wanted {
        let Some(nl) = rest.iter().position(|b| *b == b'\n') else { break };
        let header = String::from_utf8_lossy(&rest[..nl]).into_owned();
        rest = &rest[nl + 1..];
        let size: usize = header.rsplit(' ').next().and_then(|s| s.parse().ok()).unwrap_or(0);
        if header.ends_with(" missing") || rest.len() < size + 1 {
            return Err(git.fail(format!("cannot read {} from git", Untrusted(&e.path))));
        }
        blobs.insert(e.object.clone(), rest[..size].to_vec());
        rest = &rest[size + 1..];
    }
    Ok(entries.iter().map(|e| blobs.get(&e.object).cloned()).collect())
}

/// Writes files first, then symbolic links (so no file is ever written through a link).
fn write_tree(
    git: &Git<'_>,
    dir: &Path,
    entries: &[&Entry],
    blobs: &[Option<Vec<u8>>],
    relative: impl Fn(&str) -> String,
) -> Result<(), GitError> {
    for kind in [Kind::File, Kind::Link] {
        for (e, blob) in entries.iter().zip(blobs).filter(|(e, _)| e.kind == kind) {
            let Some(bytes) = blob else { continue };
            let rel = relative(&e.path);
            let rel_path = Path::new(&rel);
            if rel.is_empty() || !rel_path.components().all(|c| matches!(c, Component::Normal(_))) {
                continue;
            }
            let target = dir.join(rel_path);
            let io = |err: std::io::Error| git.fail(format!("cannot copy {}: {err}", Untrusted(&e.path)));
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent).map_err(io)?;
            }
            match kind {
                Kind::File => {
                    let mut f =
                        std::fs::OpenOptions::new().write(true).create_new(true).open(&target).map_err(io)?;
                    f.write_all(bytes).map_err(io)?;
                }
                Kind::Link => link(bytes, &target),
            }
        }
    }
    Ok(())
}

/// A committed symbolic link, recreated as one (the loader decides whether it may be followed).
#[cfg(unix)]
fn link(target_bytes: &[u8], at: &Path) {
    use std::os::unix::ffi::OsStrExt;
    let target = std::ffi::OsStr::from_bytes(target_bytes);
    let _ = std::os::unix::fs::symlink(target, at);
}

#[cfg(not(unix))]
fn link(_: &[u8], _: &Path) {}

/// A new, empty, private folder under the system's temporary folder.
fn temp_dir() -> std::io::Result<PathBuf> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let base = std::env::temp_dir();
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    for attempt in 0..64 {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let dir = base.join(format!("chanx-gen-diff-{}-{nanos:x}-{n}-{attempt}", std::process::id()));
        let mut builder = std::fs::DirBuilder::new();
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            builder.mode(0o700);
        }
        match builder.create(&dir) {
            Ok(()) => return std::fs::canonicalize(&dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::new(std::io::ErrorKind::AlreadyExists, "no free temporary folder name"))
}

//! Owns the disk: writes generated files only when their bytes changed, removes generated files
//! that are no longer produced, and in `check` mode compares instead of writing and describes
//! every difference as a unified diff.

use std::collections::BTreeSet;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// The marker every generated file carries in its first lines.
pub const GENERATED_MARKER: &str = "@generated";

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
    /// Generated files removed because the spec no longer produces them.
    pub removed: Vec<PathBuf>,
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
    /// A generated file that the spec no longer produces.
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

/// The sub-directories (`rust`, `ts`) that `files` write into; stale files are only looked for
/// there, so a user's own files beside them are never touched.
fn managed_dirs(files: &[OutputFile]) -> BTreeSet<String> {
    files.iter().filter_map(|f| f.path.split_once('/').map(|(dir, _)| dir.to_owned())).collect()
}

/// Generated files (carrying [`GENERATED_MARKER`]) under the managed directories that `files`
/// does not produce.
fn stale_files(out_dir: &Path, files: &[OutputFile]) -> io::Result<Vec<PathBuf>> {
    let expected: BTreeSet<PathBuf> = files.iter().map(|f| out_dir.join(&f.path)).collect();
    let mut stale = Vec::new();
    for dir in managed_dirs(files) {
        let mut stack = vec![out_dir.join(dir)];
        while let Some(dir) = stack.pop() {
            let entries = match fs::read_dir(&dir) {
                Ok(entries) => entries,
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e),
            };
            for entry in entries {
                let path = entry?.path();
                if path.is_dir() {
                    stack.push(path);
                } else if !expected.contains(&path) && is_generated(&path) {
                    stale.push(path);
                }
            }
        }
    }
    stale.sort();
    Ok(stale)
}

fn is_generated(path: &Path) -> bool {
    fs::read_to_string(path)
        .map(|text| text.lines().take(5).any(|l| l.contains(GENERATED_MARKER)))
        .unwrap_or(false)
}

/// Writes `files` under `out_dir`, touching only files whose bytes changed, and removes
/// generated files that are no longer produced.
pub fn write(out_dir: &Path, files: &[OutputFile]) -> io::Result<WriteReport> {
    let mut report = WriteReport::default();
    for file in files {
        let path = out_dir.join(&file.path);
        match fs::read(&path) {
            Ok(existing) if existing == file.contents.as_bytes() => {
                report.unchanged.push(path);
                continue;
            }
            _ => {}
        }
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)?;
        }
        fs::write(&path, &file.contents)?;
        report.written.push(path);
    }
    for path in stale_files(out_dir, files)? {
        fs::remove_file(&path)?;
        report.removed.push(path);
    }
    Ok(report)
}

/// Compares `files` with what is under `out_dir`; an empty result means the output is fresh.
pub fn check(out_dir: &Path, files: &[OutputFile]) -> io::Result<Vec<Drift>> {
    let mut drift = Vec::new();
    for file in files {
        let path = out_dir.join(&file.path);
        match fs::read_to_string(&path) {
            Ok(existing) if existing == file.contents => {}
            Ok(existing) => {
                let diff = unified_diff(&existing, &file.contents, &file.path);
                drift.push(Drift::Changed { path, diff });
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                let diff = unified_diff("", &file.contents, &file.path);
                drift.push(Drift::Missing { path, diff });
            }
            Err(e) => return Err(e),
        }
    }
    drift.extend(stale_files(out_dir, files)?.into_iter().map(|path| Drift::Stale { path }));
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
    fn write_then_check_is_clean_and_rewrites_nothing() -> io::Result<()> {
        let dir = tempfile::tempdir()?;
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
    fn check_reports_changed_missing_and_stale_files() -> io::Result<()> {
        let dir = tempfile::tempdir()?;
        write(
            dir.path(),
            &[file("rust/mod.rs", "// @generated\nold\n"), file("rust/gone.rs", "// @generated\n")],
        )?;
        fs::write(dir.path().join("rust/mine.rs"), "// hand-written\n")?;
        let files =
            vec![file("rust/mod.rs", "// @generated\nnew\n"), file("rust/chat.rs", "// @generated\n")];
        let drift = check(dir.path(), &files)?;
        assert_eq!(drift.len(), 3);
        match &drift[0] {
            Drift::Changed { diff, .. } => {
                assert!(diff.contains("-old") && diff.contains("+new"), "{diff}");
                assert!(diff.contains("--- a/rust/mod.rs"), "{diff}");
            }
            other => panic!("expected a change, got {other:?}"),
        }
        assert!(matches!(&drift[1], Drift::Missing { path, .. } if path.ends_with("rust/chat.rs")));
        assert!(matches!(&drift[2], Drift::Stale { path } if path.ends_with("rust/gone.rs")));
        // Writing fixes all of it and leaves the user's own file alone.
        let report = write(dir.path(), &files)?;
        assert_eq!(report.removed.len(), 1);
        assert!(check(dir.path(), &files)?.is_empty());
        assert!(dir.path().join("rust/mine.rs").exists());
        Ok(())
    }
}

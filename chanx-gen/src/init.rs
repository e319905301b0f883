//! `chanx-gen init DIR`: a new axum project on the `chanx` runtime that builds and passes its
//! tests as written. Owns the project's layout and the refusal to overwrite anything; the code
//! that depends on the spec comes from its `skeleton` module, the generated API from [`Config`](crate::Config) in the
//! project's own `build.rs`.
//!
//! ```text
//! DIR/Cargo.toml        chanx (axum) and, as build-dependency, chanx-gen without its CLI
//! DIR/build.rs          generates OUT_DIR/api/rust/api.rs and the docs page from the spec
//! DIR/api/…             the spec (the bundled starter chat, or --spec and every file it $refs)
//! DIR/src/lib.rs        the generated API (chanx::include_api!), one endpoint per channel, app()
//! DIR/src/handler.rs    App: a stub for every method of every generated handler trait
//! DIR/src/main.rs       serves app() on 127.0.0.1 (port: first argument, $PORT, or 8000)
//! DIR/tests/api.rs      a Communicator test per channel
//! ```
//!
//! Nothing is written when any of these paths exists already (all of them are listed), and no
//! symbolic link is followed: not DIR, not a folder on the way, not a file (new files are
//! created with `create_new`, which fails on an existing name of any kind).

mod skeleton;

use std::fs;
use std::io::{self, Write as _};
use std::path::{Component, Path, PathBuf};

use askama::Template;

use crate::config::GenerateError;
use crate::emit::rust::ident;
use crate::parse::Spec;

/// The starter spec written when no spec is given.
pub const STARTER_SPEC: &str = include_str!("../templates/init/chat.yaml");

/// What to scaffold.
#[derive(Debug, Clone)]
pub struct InitOptions {
    /// The project folder (created when missing).
    pub dir: PathBuf,
    /// The spec to build on; `None`: the bundled starter chat.
    pub spec: Option<PathBuf>,
    /// The package name; `None`: from the folder's name.
    pub name: Option<String>,
}

/// Why nothing was scaffolded.
#[derive(Debug, thiserror::Error)]
pub enum InitError {
    /// The spec cannot be read or generates no valid API.
    #[error(transparent)]
    Spec(#[from] GenerateError),
    /// Files or folders that would be overwritten (or written through a symbolic link).
    #[error("refusing to overwrite: {}", list(.0))]
    Exists(Vec<PathBuf>),
    /// A file the spec reads lies outside the spec's folder, or has a name the project's
    /// source cannot carry.
    #[error("{file}: cannot copy it into the project: {reason}")]
    SpecFile {
        /// The file.
        file: String,
        /// Why.
        reason: &'static str,
    },
    /// No package name can be made from the folder's name.
    #[error("cannot make a package name from `{0}`: give one with --name")]
    Name(String),
    /// A file of the project could not be rendered (a bug in this generator).
    #[error("cannot render {file}: {reason}")]
    Render {
        /// The project file.
        file: &'static str,
        /// What went wrong.
        reason: String,
    },
    /// Writing failed.
    #[error("cannot write {}: {source}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
}

fn list(paths: &[PathBuf]) -> String {
    paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
}

/// One file of the new project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectFile {
    /// Path relative to the project folder, `/`-separated.
    pub path: String,
    /// Contents.
    pub contents: Vec<u8>,
}

/// Scaffolds the project; returns the files written (relative to `dir`).
pub fn init(options: &InitOptions) -> Result<Vec<String>, InitError> {
    let files = plan(options)?;
    write_new(&options.dir, &files)?;
    Ok(files.into_iter().map(|f| f.path).collect())
}

/// The files [`init`] would write, in memory. Reads the spec (and the files it `$ref`s).
pub fn plan(options: &InitOptions) -> Result<Vec<ProjectFile>, InitError> {
    let package = match &options.name {
        Some(name) => package_name(name).ok_or_else(|| InitError::Name(name.clone()))?,
        None => {
            let folder =
                options.dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            package_name(&folder).ok_or(InitError::Name(folder))?
        }
    };
    let krate = package.replace('-', "_");
    let specs = spec_files(options.spec.as_deref())?;
    let root = &specs[0];
    // The same options as the project's build.rs (the defaults).
    let spec = match &options.spec {
        Some(path) => Spec::load(path),
        // The starter spec references no file and is not on disk yet: it is read by its file
        // name alone (generated origins are relative to the spec's folder either way).
        None => {
            let name = Path::new(&specs[0].path).file_name().map(|n| n.to_string_lossy().into_owned());
            Spec::from_text(name.as_deref().unwrap_or("chat.yaml"), STARTER_SPEC)
        }
    }
    .map_err(GenerateError::from)?;
    let ir = crate::ir::build(&spec, &crate::ir::IrOptions::default()).map_err(GenerateError::Invalid)?;
    let yaml = !root.path.ends_with(".json");
    let version = {
        let mut parts = env!("CARGO_PKG_VERSION").split('.');
        format!("{}.{}", parts.next().unwrap_or("0"), parts.next().unwrap_or("1"))
    };
    let spec_comment = format!("`{}`", root.path);
    // One path serves one channel: a channel whose address (as the runtime mounts it, with
    // parameter names left out) is taken by an earlier one is not mounted.
    let mut taken: Vec<(String, String)> = Vec::new();
    let mut channels: Vec<ChannelNames> = Vec::new();
    for c in &ir.channels {
        let address = c.address.clone().unwrap_or_else(|| format!("/ws/{}", c.key));
        let shape = route_shape(&address);
        let module = ident(&c.module).to_string();
        let shares_with = taken.iter().find(|(s, _)| *s == shape).map(|(_, m)| m.clone());
        if shares_with.is_none() {
            taken.push((shape, module.clone()));
        }
        channels.push(ChannelNames {
            marker: ident(&c.type_name).to_string(),
            service: format!("{}Service", c.type_name.trim_start_matches("r#")),
            endpoint: format!("{}_endpoint", c.module.trim_start_matches("r#")),
            shares_with: shares_with.unwrap_or_default(),
            module,
        });
    }
    let render = |file: &'static str, t: &dyn DynTemplate| {
        let contents = t.render_text().map_err(|e| InitError::Render { file, reason: e.to_string() })?;
        Ok::<_, InitError>(ProjectFile { path: file.to_owned(), contents: (contents + "\n").into_bytes() })
    };
    let features = if yaml { "\"axum\", \"yaml\"" } else { "\"axum\"" };
    let skeleton = skeleton::skeleton(&ir, &krate)
        .map_err(|reason| InitError::Render { file: "src/handler.rs", reason })?;
    let mut files = vec![
        render("Cargo.toml", &CargoToml { package: &package, version: &version, chanx_features: features })?,
        text(".gitignore", "/target\n".to_owned()),
        render("build.rs", &BuildRs { spec_comment: &spec_comment, spec_literal: &rust_str(&root.path) })?,
        render(
            "src/lib.rs",
            &LibRs {
                spec_comment: &spec_comment,
                spec_include: &rust_str(&format!("/{}", root.path)),
                yaml,
                docs_constructor: if yaml { "from_yaml_str" } else { "from_json_str" },
                channels: &channels,
            },
        )?,
        render("src/main.rs", &MainRs { krate: &krate })?,
        text("src/handler.rs", skeleton.handler),
        text("tests/api.rs", skeleton.tests),
    ];
    files.extend(specs);
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

fn text(path: &str, contents: String) -> ProjectFile {
    ProjectFile { path: path.to_owned(), contents: contents.into_bytes() }
}

/// A Rust string literal of `s`.
fn rust_str(s: &str) -> String {
    proc_macro2::Literal::string(s).to_string()
}

/// `name` as a cargo package name: lower-case ASCII letters, digits, `-` and `_`, starting
/// with a letter; `None` when nothing is left.
fn package_name(name: &str) -> Option<String> {
    let mut out: String = name
        .chars()
        .map(|c| c.to_ascii_lowercase())
        .map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '-' })
        .collect();
    out = out.trim_matches(['-', '_']).to_owned();
    if !out.starts_with(|c: char| c.is_ascii_lowercase()) {
        return None;
    }
    // Names the compiler or cargo reserve.
    if matches!(
        out.as_str(),
        "test" | "core" | "std" | "alloc" | "proc_macro" | "chanx" | "chanx-gen" | "build"
    ) {
        out.push_str("-app");
    }
    Some(out)
}

/// The spec files of the project under `api/`: the bundled starter, or `spec` and every file
/// it reads, at the same place relative to each other. The root comes first.
fn spec_files(spec: Option<&Path>) -> Result<Vec<ProjectFile>, InitError> {
    let Some(spec) = spec else {
        return Ok(vec![ProjectFile {
            path: "api/chat.yaml".to_owned(),
            contents: STARTER_SPEC.as_bytes().to_vec(),
        }]);
    };
    let loaded = Spec::load(spec).map_err(GenerateError::from)?;
    let base = spec.parent().unwrap_or(Path::new(""));
    let mut files = Vec::new();
    for doc in &loaded.docs {
        let path = Path::new(&doc.name);
        let outside =
            || InitError::SpecFile { file: doc.name.clone(), reason: "it is outside the spec's folder" };
        let relative = path.strip_prefix(base).map_err(|_| outside())?;
        let mut parts = Vec::new();
        for c in relative.components() {
            match c {
                Component::Normal(p) => {
                    let p = p
                        .to_str()
                        .filter(|p| p.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)));
                    parts.push(p.ok_or(InitError::SpecFile {
                        file: doc.name.clone(),
                        reason: "its name has characters other than ASCII letters, digits, `-`, `_` and `.`",
                    })?);
                }
                Component::CurDir => {}
                _ => return Err(outside()),
            }
        }
        // The bytes as read (the parsed model is not a faithful copy of the text).
        let contents = crate::load::read(path).map_err(GenerateError::from)?;
        files.push(ProjectFile { path: format!("api/{}", parts.join("/")), contents: contents.into_bytes() });
    }
    Ok(files)
}

/// Writes `files` under `dir` when none of them exists and no folder on the way is a symbolic
/// link or a file; otherwise writes nothing and lists every offending path.
pub fn write_new(dir: &Path, files: &[ProjectFile]) -> Result<(), InitError> {
    let mut blocked = Vec::new();
    let mut folders: Vec<PathBuf> = vec![dir.to_owned()];
    for file in files {
        let mut at = dir.to_owned();
        let parts: Vec<&str> = file.path.split('/').collect();
        for (i, part) in parts.iter().enumerate() {
            at.push(part);
            if i + 1 < parts.len() && !folders.contains(&at) {
                folders.push(at.clone());
            }
        }
    }
    for folder in &folders {
        match fs::symlink_metadata(folder) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => blocked.push(folder.clone()),
            // Missing folders (DIR itself too) are created.
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(source) => return Err(InitError::Io { path: folder.clone(), source }),
        }
    }
    for file in files {
        let path = dir.join(&file.path);
        match fs::symlink_metadata(&path) {
            Ok(_) => blocked.push(path),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(source) => return Err(InitError::Io { path, source }),
        }
    }
    if !blocked.is_empty() {
        blocked.sort();
        blocked.dedup();
        return Err(InitError::Exists(blocked));
    }
    // DIR's own parents are the user's path, created like `mkdir -p` would; below DIR every
    // folder is created one by one and must be a real folder.
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent).map_err(|source| InitError::Io { path: parent.to_owned(), source })?;
    }
    for folder in &folders {
        match fs::create_dir(folder) {
            Ok(()) => {}
            // Checked above to be a real folder.
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                if !fs::symlink_metadata(folder).is_ok_and(|m| m.is_dir()) {
                    return Err(InitError::Exists(vec![folder.clone()]));
                }
            }
            Err(source) => return Err(InitError::Io { path: folder.clone(), source }),
        }
    }
    for file in files {
        let path = dir.join(&file.path);
        let created = fs::OpenOptions::new().write(true).create_new(true).open(&path);
        let mut out = match created {
            Ok(out) => out,
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Err(InitError::Exists(vec![path])),
            Err(source) => return Err(InitError::Io { path, source }),
        };
        out.write_all(&file.contents).map_err(|source| InitError::Io { path: path.clone(), source })?;
    }
    Ok(())
}

/// Names of one channel's items in `src/lib.rs`.
struct ChannelNames {
    module: String,
    marker: String,
    service: String,
    endpoint: String,
    /// The module of the earlier channel at the same address (this one is then not mounted),
    /// or empty.
    shares_with: String,
}

/// `address` as a route: every `{param}` segment alike (axum refuses two routes that differ
/// only in a parameter's name).
fn route_shape(address: &str) -> String {
    address
        .split('/')
        .map(|seg| if seg.starts_with('{') && seg.ends_with('}') { "{}" } else { seg })
        .collect::<Vec<_>>()
        .join("/")
}

/// The templates, rendered the same way.
trait DynTemplate {
    fn render_text(&self) -> askama::Result<String>;
}

impl<T: Template> DynTemplate for T {
    fn render_text(&self) -> askama::Result<String> {
        self.render()
    }
}

#[derive(Template)]
#[template(path = "init/Cargo.toml.askama", escape = "none")]
struct CargoToml<'a> {
    package: &'a str,
    version: &'a str,
    chanx_features: &'a str,
}

#[derive(Template)]
#[template(path = "init/build.rs.askama", escape = "none")]
struct BuildRs<'a> {
    spec_comment: &'a str,
    spec_literal: &'a str,
}

#[derive(Template)]
#[template(path = "init/lib.rs.askama", escape = "none")]
struct LibRs<'a> {
    spec_comment: &'a str,
    spec_include: &'a str,
    yaml: bool,
    docs_constructor: &'a str,
    channels: &'a [ChannelNames],
}

#[derive(Template)]
#[template(path = "init/main.rs.askama", escape = "none")]
struct MainRs<'a> {
    krate: &'a str,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_names_are_made_valid_or_refused() {
        for (folder, name) in [
            ("my-chat", Some("my-chat")),
            ("My Chat", Some("my-chat")),
            ("starter_chat", Some("starter_chat")),
            ("-x-", Some("x")),
            ("test", Some("test-app")),
            ("chanx", Some("chanx-app")),
            ("9lives", None),
            ("", None),
            ("…", None),
        ] {
            assert_eq!(package_name(folder).as_deref(), name, "{folder}");
        }
    }

    #[test]
    fn the_plan_is_deterministic_and_names_no_absolute_path() {
        let dir = tempfile::tempdir().expect("tempdir");
        let options = InitOptions { dir: dir.path().join("app"), spec: None, name: None };
        let files = plan(&options).expect("plan");
        assert_eq!(plan(&options).expect("plan again"), files);
        for f in &files {
            let text = String::from_utf8_lossy(&f.contents);
            assert!(!text.contains(&*dir.path().to_string_lossy()), "{}", f.path);
        }
    }

    #[test]
    fn spec_files_outside_the_folder_or_with_odd_names_are_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let spec = |name: &str, reference: &str| {
            let text = format!(
                "asyncapi: 3.0.0\ninfo: {{title: t, version: '1'}}\nchannels:\n  c:\n    messages:\n      m: {{$ref: '{reference}'}}\n"
            );
            std::fs::create_dir_all(dir.path().join("api")).expect("mkdir");
            std::fs::write(dir.path().join(name), text).expect("write");
            dir.path().join(name)
        };
        std::fs::write(dir.path().join("messages.yaml"), "m: {payload: {type: object}}\n").expect("write");
        std::fs::write(dir.path().join("odd name.yaml"), "m: {payload: {type: object}}\n").expect("write");
        let outside = spec("api/root.yaml", "../messages.yaml#/m");
        // Refused here, or already by the loader when it confines `$ref`s to the spec's folder.
        match spec_files(Some(&outside)) {
            Err(InitError::SpecFile { reason, .. }) => assert!(reason.contains("outside"), "{reason}"),
            Err(InitError::Spec(_)) => {}
            other => panic!("a $ref out of the spec's folder was copied: {other:?}"),
        }
        let odd = spec("root.yaml", "odd%20name.yaml#/m");
        assert!(
            matches!(spec_files(Some(&odd)), Err(InitError::SpecFile { reason, .. }) if reason.contains("characters"))
        );
        let fine = spec("ok.yaml", "messages.yaml#/m");
        let files = spec_files(Some(&fine)).expect("copied");
        assert_eq!(
            files.iter().map(|f| f.path.as_str()).collect::<Vec<_>>(),
            ["api/ok.yaml", "api/messages.yaml"]
        );
    }
}

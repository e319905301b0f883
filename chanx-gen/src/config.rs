//! The library entry point, prost-build style: a [`Config`] names a spec and the choices made
//! for it, then renders, writes or checks the generated files. The CLI and `build.rs` scripts
//! both go through here, so they always produce the same bytes.

use std::path::{Path, PathBuf};

use crate::emit;
use crate::error::Message;
use crate::ir::{self, Diagnostic, Ir, IrOptions, Role};
use crate::load::Root;
use crate::parse::Spec;
use crate::write::{self, Drift, OutputFile, WriteError, WriteReport};

/// Why generation failed.
#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    /// The spec could not be read or parsed.
    #[error(transparent)]
    Parse(#[from] crate::Error),
    /// The spec was read, but describes something invalid or unsupported.
    #[error("{} problem(s) in the spec:\n{}", .0.len(), format_diagnostics(.0))]
    Invalid(Vec<Diagnostic>),
    /// The output folder could not be written or checked (a symbolic link in it, a bad manifest).
    #[error(transparent)]
    Output(#[from] WriteError),
}

/// Renders diagnostics one per line as `error: <message>\n  --> <location>`.
pub fn format_diagnostics(diagnostics: &[Diagnostic]) -> String {
    diagnostics.iter().map(|d| format_diagnostic("error", d)).collect()
}

/// One diagnostic as `<level>: <message>\n  --> <location>\n`; the message and location are
/// escaped ([`Message`], [`Location`](crate::location::Location)'s display), so spec text
/// cannot add lines of its own.
pub fn format_diagnostic(level: &str, d: &Diagnostic) -> String {
    format!("{level}: {}\n  --> {}\n", Message(&d.message), d.location)
}

/// Which languages to emit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Languages {
    rust: bool,
    typescript: bool,
}

/// Settings for one spec.
///
/// ```no_run
/// // build.rs
/// chanx_gen::Config::new("api/chat.yaml")
///     .rust_only()
///     .generate(std::env::var("OUT_DIR").unwrap())
///     .expect("generate the chat API");
/// ```
#[derive(Debug, Clone)]
pub struct Config {
    spec: PathBuf,
    root: Option<PathBuf>,
    options: IrOptions,
    languages: Languages,
    rerun_if_changed: bool,
}

impl Config {
    /// Settings for the spec at `spec`, with the defaults: server role, tag detected
    /// (`action` first), Rust and TypeScript.
    pub fn new(spec: impl Into<PathBuf>) -> Self {
        Self {
            spec: spec.into(),
            root: None,
            options: IrOptions::default(),
            languages: Languages { rust: true, typescript: true },
            rerun_if_changed: false,
        }
    }

    /// Read `$ref`ed files from inside `dir` (which must hold the spec) instead of the spec's
    /// own folder. Files outside it, symbolic links that lead out of it and anything but a
    /// regular file are refused.
    pub fn root(mut self, dir: impl Into<PathBuf>) -> Self {
        self.root = Some(dir.into());
        self
    }

    /// Use this property as the message tag instead of detecting it.
    pub fn tag(mut self, name: impl Into<String>) -> Self {
        self.options.tag = Some(name.into());
        self
    }

    /// Whose point of view the document takes (the server's by default).
    pub fn role(mut self, role: Role) -> Self {
        self.options.role = role;
        self
    }

    /// Emit Rust only (`DIR/rust/`).
    pub fn rust_only(mut self) -> Self {
        self.languages = Languages { rust: true, typescript: false };
        self
    }

    /// Emit TypeScript only (`DIR/ts/`).
    pub fn typescript_only(mut self) -> Self {
        self.languages = Languages { rust: false, typescript: true };
        self
    }

    /// Print `cargo:rerun-if-changed=<spec>` when generating (for `build.rs`).
    pub fn emit_rerun_if_changed(mut self, yes: bool) -> Self {
        self.rerun_if_changed = yes;
        self
    }

    /// The spec file.
    pub fn spec(&self) -> &Path {
        &self.spec
    }

    /// Parses the spec and builds the IR, reporting every problem.
    pub fn ir(&self) -> Result<Ir, GenerateError> {
        let spec = match &self.root {
            Some(dir) => Spec::load_within(&self.spec, &Root::new(dir)?)?,
            None => Spec::load(&self.spec)?,
        };
        ir::build(&spec, &self.options).map_err(GenerateError::Invalid)
    }

    /// The files that would be written, in memory, paths relative to the output directory.
    pub fn render(&self) -> Result<Vec<OutputFile>, GenerateError> {
        let ir = self.ir()?;
        Ok(self.render_ir(&ir))
    }

    fn render_ir(&self, ir: &Ir) -> Vec<OutputFile> {
        let rust = || if self.languages.rust { emit::rust::emit(ir) } else { Vec::new() };
        let ts = || if self.languages.typescript { emit::ts::emit(ir) } else { Vec::new() };
        // Both only read the IR; TypeScript fills a core while the Rust units queue up.
        let (rust, ts) = if self.languages.rust && self.languages.typescript {
            std::thread::scope(|s| {
                let ts = s.spawn(ts);
                let rust = rust();
                (rust, ts.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
            })
        } else {
            (rust(), ts())
        };
        let mut files: Vec<OutputFile> = prefixed("rust", rust).chain(prefixed("ts", ts)).collect();
        files.sort();
        files
    }

    /// Writes the files under `out_dir`, touching only those whose bytes changed, and removes
    /// files an earlier run wrote that are no longer produced (see [`mod@write`] for the manifest
    /// and the rules on symbolic links).
    pub fn generate(&self, out_dir: impl AsRef<Path>) -> Result<WriteReport, GenerateError> {
        if self.rerun_if_changed {
            println!("cargo:rerun-if-changed={}", self.spec.display());
        }
        let files = self.render()?;
        Ok(write::write(out_dir.as_ref(), &files)?)
    }

    /// Compares the files under `out_dir` with what would be generated; empty means fresh.
    pub fn check(&self, out_dir: impl AsRef<Path>) -> Result<Vec<Drift>, GenerateError> {
        let files = self.render()?;
        Ok(write::check(out_dir.as_ref(), &files)?)
    }

    /// The self-contained HTML documentation page of the spec.
    pub fn docs_html(&self) -> Result<String, GenerateError> {
        Ok(emit::docs::emit_html(&self.ir()?))
    }
}

fn prefixed(dir: &str, files: Vec<emit::GeneratedFile>) -> impl Iterator<Item = OutputFile> + '_ {
    files.into_iter().map(move |f| OutputFile { path: format!("{dir}/{}", f.path), contents: f.contents })
}

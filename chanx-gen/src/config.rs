//! The library entry point, prost-build style: a [`Config`] names a spec and the choices made
//! for it, then renders, writes or checks the generated files. The CLI and `build.rs` scripts
//! both go through here, so they always produce the same bytes.

use std::path::{Path, PathBuf};

use crate::emit;
use crate::error::Message;
use crate::ir::{self, Diagnostic, Ir, IrOptions, Role};
use crate::load::Root;
use crate::parse::Spec;
use crate::report::{self, Format, Level};
use crate::write::{self, Drift, OutputFile, WriteError, WriteReport};

/// Why generation failed.
///
/// `Debug` prints the same located text as the CLI (see [`GenerateError::report`]), so a build
/// script's `.expect("...")` shows `error: ... --> file#/pointer (line N)` rather than a dump of
/// the variant.
#[derive(thiserror::Error)]
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

impl GenerateError {
    /// The text the CLI prints: every problem as `error: <message>` with its location on the
    /// next line (`  --> <file>#<pointer> (line N)`), no trailing newline.
    ///
    /// Every problem of the spec, whether found while reading it or while building the model,
    /// is shown in that one layout, followed by a count (`error: 2 problems in the spec`).
    pub fn report(&self) -> String {
        let diagnostics = self.diagnostics();
        if diagnostics.is_empty() {
            return format!("error: {self}");
        }
        format!("{}{}", format_diagnostics(&diagnostics), report::count(diagnostics.len()))
    }

    /// The spec's problems, each with its place; empty for an [`Output`](Self::Output) error.
    pub fn diagnostics(&self) -> Vec<Diagnostic> {
        match self {
            GenerateError::Parse(e) => e.diagnostics(),
            GenerateError::Invalid(diagnostics) => diagnostics.clone(),
            GenerateError::Output(_) => Vec::new(),
        }
    }
}

impl std::fmt::Debug for GenerateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.report())
    }
}

/// Renders diagnostics one per line as `error: <message>\n  --> <location>`.
pub fn format_diagnostics(diagnostics: &[Diagnostic]) -> String {
    diagnostics.iter().map(|d| format_diagnostic(Level::Error, d)).collect()
}

/// One diagnostic as `<level>: <message>\n  --> <location>\n`; the message and location are
/// escaped ([`Message`], [`Location`](crate::location::Location)'s display), so spec text
/// cannot add lines of its own.
pub fn format_diagnostic(level: Level, d: &Diagnostic) -> String {
    report::render(Format::Human, level, d)
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
/// // build.rs: writes $OUT_DIR/chat/rust/api.rs, which `chanx::include_api!("chat")` includes
/// let out = std::path::PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
/// chanx_gen::Config::new("api/chat.yaml")
///     .rust_only()
///     .single_file(true)
///     .emit_rerun_if_changed(true)
///     .generate(out.join("chat"))
///     .expect("generate the chat API");
/// ```
#[derive(Debug, Clone)]
pub struct Config {
    spec: PathBuf,
    root: Option<PathBuf>,
    options: IrOptions,
    languages: Languages,
    single_file: bool,
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
            single_file: false,
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

    /// Refuse a document with messages that cannot be generated (a payload `schemaFormat` that
    /// is not JSON Schema, such as Avro) instead of skipping each with a warning and generating
    /// the rest (`--strict`).
    pub fn strict(mut self, yes: bool) -> Self {
        self.options.strict = yes;
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

    /// Write the Rust API as one file, `DIR/rust/api.rs`, instead of `mod.rs` and a file per
    /// module: every module inline and no inner attribute, so a crate can `include!` it from a
    /// build script's `OUT_DIR` (`chanx::include_api!("chat")` does; see
    /// [`emit::rust::single`]).
    pub fn single_file(mut self, yes: bool) -> Self {
        self.single_file = yes;
        self
    }

    /// Print `cargo:rerun-if-changed=<file>` for the spec and every file it `$ref`s when
    /// generating (for `build.rs`), so editing any of them runs the build script again.
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
        self.ir_of(&self.load_spec()?)
    }

    /// Like [`Config::ir`], keeping the parsed spec too (its files and lines).
    pub fn spec_and_ir(&self) -> Result<(Spec, Ir), GenerateError> {
        let spec = self.load_spec()?;
        let ir = self.ir_of(&spec)?;
        Ok((spec, ir))
    }

    /// Reads the spec, confined to [`Config::root`] when one is set (else the spec's folder).
    fn load_spec(&self) -> crate::Result<Spec> {
        match &self.root {
            Some(dir) => Spec::load_within(&self.spec, &Root::new(dir)?),
            None => Spec::load(&self.spec),
        }
    }

    fn ir_of(&self, spec: &Spec) -> Result<Ir, GenerateError> {
        ir::build(spec, &self.options).map_err(GenerateError::Invalid)
    }

    /// The files that would be written, in memory, paths relative to the output directory.
    pub fn render(&self) -> Result<Vec<OutputFile>, GenerateError> {
        let ir = self.ir()?;
        Ok(self.render_ir(&ir))
    }

    fn render_ir(&self, ir: &Ir) -> Vec<OutputFile> {
        let rust = || match (self.languages.rust, self.single_file) {
            (false, _) => Vec::new(),
            (true, false) => emit::rust::emit(ir),
            (true, true) => vec![emit::rust::emit_single(ir)],
        };
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
    ///
    /// With [`emit_rerun_if_changed`](Self::emit_rerun_if_changed), prints the `cargo:` lines of
    /// [`rerun_if_changed_lines`] first (also when generation then fails).
    pub fn generate(&self, out_dir: impl AsRef<Path>) -> Result<WriteReport, GenerateError> {
        let (result, directives) = self.generate_with_directives(out_dir.as_ref());
        for line in directives {
            println!("{line}");
        }
        result
    }

    /// [`generate`](Self::generate), with the `cargo:` lines it prints returned instead.
    fn generate_with_directives(&self, out_dir: &Path) -> (Result<WriteReport, GenerateError>, Vec<String>) {
        let spec = self.load_spec();
        let directives = if self.rerun_if_changed {
            rerun_if_changed_lines(&self.spec, spec.as_ref().ok())
        } else {
            Vec::new()
        };
        let mut directives = directives;
        let result = spec.map_err(GenerateError::from).and_then(|spec| {
            let ir = self.ir_of(&spec)?;
            let files = self.render_ir(&ir);
            let mut report = write::write(out_dir, &files)?;
            report.warnings = ir.warnings;
            Ok(report)
        });
        if self.rerun_if_changed {
            if let Ok(report) = &result {
                directives.extend(report.warnings.iter().map(cargo_warning));
            }
        }
        (result, directives)
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

/// A warning as one `cargo:warning=` line (cargo shows it when the build script runs); the
/// message and location are escaped, so it stays one line.
fn cargo_warning(d: &Diagnostic) -> String {
    format!("cargo:warning={} (at {})", Message(&d.message), d.location)
}

/// The `cargo:rerun-if-changed=` lines for the root spec `root` and, once it has loaded, every
/// file it read (`spec`'s documents, in load order; the root comes first either way).
///
/// Cargo reads one directive per line and has no escaping, so a file name with a line break
/// (possible for a `$ref`'d file) would end the directive and start another: such a file is
/// covered by its nearest folder whose path has none instead (cargo then watches that folder).
pub fn rerun_if_changed_lines(root: &Path, spec: Option<&Spec>) -> Vec<String> {
    let mut paths: Vec<PathBuf> = vec![root.to_owned()];
    for doc in spec.map_or(&[][..], |s| &s.docs[..]) {
        let path = PathBuf::from(&doc.name);
        if !paths.contains(&path) {
            paths.push(path);
        }
    }
    let mut lines: Vec<String> = Vec::new();
    for path in &paths {
        let shown = path
            .ancestors()
            .map(|p| p.to_string_lossy())
            .find(|p| !p.contains(['\n', '\r']))
            .map_or_else(|| ".".to_owned(), |p| if p.is_empty() { ".".to_owned() } else { p.into_owned() });
        let line = format!("cargo:rerun-if-changed={shown}");
        if !lines.contains(&line) {
            lines.push(line);
        }
    }
    lines
}

fn prefixed(dir: &str, files: Vec<emit::GeneratedFile>) -> impl Iterator<Item = OutputFile> + '_ {
    files.into_iter().map(move |f| OutputFile { path: format!("{dir}/{}", f.path), contents: f.contents })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROOT: &str = "asyncapi: 3.0.0
info: {title: t, version: '1'}
channels:
  chat:
    address: /ws
    messages:
      ping: {$ref: 'parts/messages.yaml#/ping'}
operations:
  onPing:
    action: receive
    channel: {$ref: '#/channels/chat'}
";
    const MESSAGES: &str = "ping:
  payload:
    type: object
    properties:
      action: {const: ping}
";

    fn spec_with_a_file_ref() -> std::io::Result<tempfile::TempDir> {
        let dir = tempfile::tempdir()?;
        std::fs::create_dir(dir.path().join("parts"))?;
        std::fs::write(dir.path().join("api.yaml"), ROOT)?;
        std::fs::write(dir.path().join("parts/messages.yaml"), MESSAGES)?;
        Ok(dir)
    }

    #[test]
    fn rerun_if_changed_names_every_file_the_spec_reads() -> Result<(), Box<dyn std::error::Error>> {
        let dir = spec_with_a_file_ref()?;
        let root = dir.path().join("api.yaml");
        let (result, lines) = Config::new(&root)
            .rust_only()
            .emit_rerun_if_changed(true)
            .generate_with_directives(&dir.path().join("out"));
        result?;
        let part = dir.path().join("parts/messages.yaml");
        assert_eq!(
            lines,
            [
                format!("cargo:rerun-if-changed={}", root.display()),
                format!("cargo:rerun-if-changed={}", part.display())
            ]
        );
        // Without the option nothing is printed.
        let (_, lines) = Config::new(&root).rust_only().generate_with_directives(&dir.path().join("out"));
        assert!(lines.is_empty());
        Ok(())
    }

    #[test]
    fn rerun_if_changed_still_names_the_root_when_the_spec_fails() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        let root = dir.path().join("api.yaml");
        std::fs::write(&root, "asyncapi: [")?;
        let (result, lines) =
            Config::new(&root).emit_rerun_if_changed(true).generate_with_directives(dir.path());
        assert!(result.is_err());
        assert_eq!(lines, [format!("cargo:rerun-if-changed={}", root.display())]);
        Ok(())
    }

    #[test]
    fn warnings_reach_cargo_as_one_line_each() {
        let dir = tempfile::tempdir().expect("tempdir");
        let chat = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../specs/chanx-chat.yaml"))
            .expect("chat spec");
        // A message no operation uses: a warning, generation goes on.
        let spec =
            chat.replacen("messages:\n", "messages:\n      orphan:\n        payload: {type: object}\n", 1);
        let root = dir.path().join("api.yaml");
        std::fs::write(&root, spec).expect("write the spec");
        let (result, lines) = Config::new(&root)
            .rust_only()
            .emit_rerun_if_changed(true)
            .generate_with_directives(&dir.path().join("out"));
        let report = result.expect("generates");
        let warnings: Vec<&String> = lines.iter().filter(|l| l.starts_with("cargo:warning=")).collect();
        assert!(!report.warnings.is_empty());
        assert_eq!(warnings.len(), report.warnings.len(), "{lines:?}");
        assert!(warnings.iter().all(|l| !l.contains('\n') && l.contains("(at ")), "{warnings:?}");
    }

    #[test]
    fn a_line_break_in_a_file_name_cannot_start_another_directive() {
        let lines = rerun_if_changed_lines(Path::new("specs/x\ncargo:rustc-link-arg=-evil/api.yaml"), None);
        assert_eq!(lines, ["cargo:rerun-if-changed=specs"]);
        assert_eq!(rerun_if_changed_lines(Path::new("a\rb.yaml"), None), ["cargo:rerun-if-changed=."]);
    }

    #[test]
    fn debug_prints_the_located_report_not_a_dump() {
        let spec = concat!(env!("CARGO_MANIFEST_DIR"), "/../specs/invalid/multiple-problems.yaml");
        let err = Config::new(spec).render().expect_err("the spec has three problems");
        let debug = format!("{err:?}");
        assert_eq!(debug, err.report());
        assert_eq!(format!("{err:#?}"), debug);
        assert_eq!(debug.matches("error: ").count(), 4, "{debug}");
        assert!(debug.ends_with("\nerror: 3 problems in the spec"), "{debug}");
        assert!(debug.starts_with("error: pattern `(unclosed` is not a valid regular expression"), "{debug}");
        assert!(debug.contains(&format!("\n  --> {spec}#/channels/chat/messages/b (line 14)\n")), "{debug}");
        assert!(!debug.contains("Diagnostic {") && !debug.contains("Invalid("), "{debug}");

        // A spec that does not even parse: the file and line, the same way.
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().join("api.yaml");
        std::fs::write(&root, "asyncapi: 3.0.0\ninfo: [\n").expect("write the spec");
        let err = Config::new(&root).render().expect_err("invalid YAML");
        let debug = format!("{err:?}");
        assert!(debug.starts_with("error: invalid YAML: "), "{debug}");
        assert!(debug.contains(&format!("\n  --> {}# (line ", root.display())), "{debug}");
        assert!(!debug.contains("Parse(") && !debug.contains("Syntax {"), "{debug}");
    }
}

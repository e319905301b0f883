//! The `chanx-gen` command line: a thin layer over [`chanx_gen::Config`].

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

use chanx_gen::ir::{Diagnostic, Role};
use chanx_gen::report::{self, Format, Level};
use chanx_gen::write::Drift;
use chanx_gen::{Config, GenerateError};

#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Generate typed Rust and TypeScript WebSocket APIs from an AsyncAPI 3.0 document.
///
/// Exit codes: 0 success, 1 invalid spec or stale output, 2 usage error.
#[derive(Debug, Parser)]
#[command(
    name = "chanx-gen",
    version,
    about,
    long_about = None,
    after_help = "Exit codes: 0 success, 1 invalid spec or stale output, 2 usage error.\nExample: chanx-gen generate specs/chanx-chat.yaml -o src/api"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// How errors and warnings are written: `human` (stderr), or one per line on stdout as
    /// `json` objects or `github` Actions annotations.
    #[arg(long, global = true, value_enum, default_value_t = MessageFormat::Human)]
    message_format: MessageFormat,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum MessageFormat {
    /// `error: <message>` then `  --> <file>#<pointer> (line N)`, on stderr.
    Human,
    /// `{"level","message","file","pointer","line"}`, one object per line on stdout.
    Json,
    /// `::error file=F,line=L,title=chanx-gen::<message>`, one per line on stdout.
    Github,
}

/// Writes diagnostics in the chosen format.
#[derive(Debug, Clone, Copy)]
struct Reporter(Format);

impl Reporter {
    fn new(format: MessageFormat) -> Self {
        Self(match format {
            MessageFormat::Human => Format::Human,
            MessageFormat::Json => Format::Json,
            MessageFormat::Github => Format::Github,
        })
    }

    fn emit(self, level: Level, d: &Diagnostic) {
        let text = report::render(self.0, level, d);
        match self.0 {
            Format::Human => eprint!("{text}"),
            Format::Json | Format::Github => print!("{text}"),
        }
    }

    fn warnings(self, warnings: &[Diagnostic]) {
        for w in warnings {
            self.emit(Level::Warning, w);
        }
    }

    /// A failure: every problem in the format, then (for people) the count or the one error.
    fn failure(self, e: &GenerateError) {
        let diagnostics = e.diagnostics();
        if diagnostics.is_empty() || self.0 == Format::Human {
            eprintln!("{}", e.report());
            return;
        }
        for d in &diagnostics {
            self.emit(Level::Error, d);
        }
        eprintln!("{}", report::count(diagnostics.len()));
    }
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Write the generated code: DIR/rust/ (entry mod.rs) and DIR/ts/ (entry index.ts).
    Generate {
        #[command(flatten)]
        spec: SpecArgs,
        #[command(flatten)]
        out: OutArgs,
    },
    /// Fail (exit 1, with a diff) when the code under DIR is not what `generate` would write.
    Check {
        #[command(flatten)]
        spec: SpecArgs,
        #[command(flatten)]
        out: OutArgs,
    },
    /// Parse the spec and build the model; list every problem found.
    Validate {
        #[command(flatten)]
        spec: SpecArgs,
    },
    /// Scaffold a new axum project in DIR whose build.rs generates the API from the spec.
    ///
    /// Writes Cargo.toml, build.rs, the spec under api/, src/ (a server on 127.0.0.1 and a
    /// handler stub for every operation) and tests/; refuses to overwrite anything.
    Init {
        /// The project folder (created when missing).
        #[arg(value_name = "DIR")]
        dir: PathBuf,
        /// The spec to build on, copied into DIR/api/ with every file it references
        /// (default: a small starter chat).
        #[arg(long, value_name = "FILE")]
        spec: Option<PathBuf>,
        /// The package name (default: from DIR's name).
        #[arg(long, value_name = "NAME")]
        name: Option<String>,
    },
    /// Compare two versions of a spec; exit 1 when a change breaks deployed clients.
    ///
    /// Lists every change with its JSON pointer, the message and direction it touches and its
    /// verdict (breaks deployed clients, breaks deployed servers, safe). Each change is judged by who sends the message it touches: a narrower message the client
    /// sends, or a wider one the server sends, breaks deployed clients.
    #[command(
        after_help = "Exit codes: 0 nothing breaks, 1 a change breaks the deployed side, 2 usage error or a spec that cannot be read.\nExamples:\n  chanx-gen diff api/v1.yaml api/v2.yaml\n  chanx-gen diff --git origin/main:api/chat.yaml api/chat.yaml --format markdown"
    )]
    Diff(DiffArgs),
    /// Write the spec's self-contained HTML documentation page.
    Docs {
        #[command(flatten)]
        spec: SpecArgs,
        /// The HTML file to write.
        #[arg(short, long, value_name = "FILE")]
        output: PathBuf,
    },
}

#[derive(Debug, Args)]
struct SpecArgs {
    /// The AsyncAPI 3.0 document (YAML or JSON).
    #[arg(value_name = "SPEC")]
    spec: PathBuf,
    /// The payload property that tells messages apart (default: `action`, else detected).
    #[arg(long, value_name = "NAME")]
    tag: Option<String>,
    /// Whose point of view the document takes.
    #[arg(long, value_enum, default_value_t = RoleArg::Server)]
    role: RoleArg,
    /// The folder `$ref`s may read files from (default: the spec's folder). Files outside it,
    /// symbolic links leading out of it and anything but a regular file are refused.
    #[arg(long, value_name = "DIR")]
    root: Option<PathBuf>,
    /// Refuse messages that cannot be generated (a non-JSON-Schema `schemaFormat`, such as
    /// Avro) instead of skipping each with a warning.
    #[arg(long)]
    strict: bool,
}

#[derive(Debug, Args)]
struct DiffArgs {
    /// OLD and NEW (YAML or JSON); NEW alone with --git.
    #[arg(value_name = "SPEC", num_args = 1..=2, required = true)]
    specs: Vec<PathBuf>,
    /// Read OLD as committed: REV:PATH (PATH from the repository's top, or `./PATH` from here),
    /// with the files it `$ref`s from the same revision.
    #[arg(long, value_name = "REV:PATH")]
    git: Option<String>,
    /// The payload property that tells messages apart (default: `action`, else detected).
    #[arg(long, value_name = "NAME")]
    tag: Option<String>,
    /// Whose point of view both documents take.
    #[arg(long, value_enum, default_value_t = RoleArg::Server)]
    role: RoleArg,
    /// The folder `$ref`s may read files from (default: each spec's folder); it must hold both specs.
    #[arg(long, value_name = "DIR")]
    root: Option<PathBuf>,
    /// How to print the report.
    #[arg(long, value_enum, default_value_t = FormatArg::Text)]
    format: FormatArg,
    /// Which deployed side must keep working: what makes the exit code 1.
    #[arg(long, value_enum, default_value_t = DeployedArg::Clients)]
    deployed: DeployedArg,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum FormatArg {
    /// Plain text, one block per change.
    Text,
    /// A Markdown table, for a pull-request comment.
    Markdown,
    /// JSON, for tools.
    Json,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum DeployedArg {
    /// Clients still run the old version (servers are upgraded first).
    Clients,
    /// Servers still run the old version (clients are upgraded first).
    Servers,
    /// Either may still run the old version.
    Both,
}

#[derive(Debug, Args)]
struct OutArgs {
    /// The output directory.
    #[arg(short, long, value_name = "DIR")]
    output: PathBuf,
    /// Emit Rust only.
    #[arg(long, conflicts_with = "ts_only")]
    rust_only: bool,
    /// Emit TypeScript only.
    #[arg(long)]
    ts_only: bool,
    /// Write the Rust API as one file, DIR/rust/api.rs, for `include!` (every module inline).
    #[arg(long, conflicts_with = "ts_only")]
    single_file: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum RoleArg {
    /// The document describes the server: `receive` operations are what clients send.
    Server,
    /// The document describes a client application: `send` operations are what clients send.
    Client,
}

impl SpecArgs {
    fn config(&self) -> Config {
        spec_config(&self.spec, self.tag.as_deref(), self.role, self.root.as_deref()).strict(self.strict)
    }
}

fn spec_config(spec: &Path, tag: Option<&str>, role: RoleArg, root: Option<&Path>) -> Config {
    let mut config = Config::new(spec).role(match role {
        RoleArg::Server => Role::Server,
        RoleArg::Client => Role::Client,
    });
    if let Some(tag) = tag {
        config = config.tag(tag);
    }
    if let Some(root) = root {
        config = config.root(root);
    }
    config
}

/// A usage error: printed the way clap prints its own, exit 2.
fn usage_error(message: &str) -> ExitCode {
    use clap::CommandFactory;
    let _ = Cli::command().error(clap::error::ErrorKind::ArgumentConflict, message).print();
    ExitCode::from(2)
}

/// `chanx-gen diff`: the report on stdout; exit 1 when it breaks the deployed side, 2 when a
/// spec cannot be read (or on a usage error).
fn diff(args: &DiffArgs) -> ExitCode {
    use chanx_gen::diff::{Deployed, Format};
    let checkout = match (&args.git, args.specs.as_slice()) {
        (Some(rev), [_]) => match chanx_gen::diff::git::checkout(rev, args.root.as_deref()) {
            Ok(c) => Some(c),
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        },
        (None, [_, _]) => None,
        (Some(_), _) => return usage_error("with --git, give NEW only: chanx-gen diff --git REV:PATH NEW"),
        (None, _) => return usage_error("give OLD and NEW: chanx-gen diff OLD NEW (or --git REV:PATH NEW)"),
    };
    let new_path = &args.specs[args.specs.len() - 1];
    let new = spec_config(new_path, args.tag.as_deref(), args.role, args.root.as_deref());
    let (old, old_label) = match &checkout {
        Some(c) => {
            (spec_config(c.spec(), args.tag.as_deref(), args.role, Some(c.root())), c.label().to_owned())
        }
        None => {
            let old_path = &args.specs[0];
            let config = spec_config(old_path, args.tag.as_deref(), args.role, args.root.as_deref());
            (config, shown(old_path).display().to_string())
        }
    };
    let (old_spec, old_ir) = match old.spec_and_ir() {
        Ok(both) => both,
        Err(e) => {
            let report = e.report();
            eprintln!("{}", checkout.as_ref().map_or(report.clone(), |c| c.unmask(&report)));
            eprintln!("error: cannot read OLD ({old_label})");
            return ExitCode::from(2);
        }
    };
    let (new_spec, new_ir) = match new.spec_and_ir() {
        Ok(both) => both,
        Err(e) => {
            eprintln!("{}", e.report());
            eprintln!("error: cannot read NEW ({})", shown(new_path).display());
            return ExitCode::from(2);
        }
    };
    let mut report = chanx_gen::diff(&old_ir, &new_ir);
    report.add_lines(&old_spec, &new_spec);
    let format = match args.format {
        FormatArg::Text => Format::Text,
        FormatArg::Markdown => Format::Markdown,
        FormatArg::Json => Format::Json,
    };
    let deployed = match args.deployed {
        DeployedArg::Clients => Deployed::Clients,
        DeployedArg::Servers => Deployed::Servers,
        DeployedArg::Both => Deployed::Both,
    };
    print!("{}", report.render(format, &old_label, &shown(new_path).display().to_string(), deployed));
    if report.breaking(deployed) { ExitCode::FAILURE } else { ExitCode::SUCCESS }
}

impl OutArgs {
    fn apply(&self, config: Config) -> Config {
        let config = config.single_file(self.single_file);
        if self.rust_only {
            config.rust_only()
        } else if self.ts_only {
            config.typescript_only()
        } else {
            config
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let reporter = Reporter::new(cli.message_format);
    match run(cli.command, reporter) {
        Ok(code) => code,
        Err(e) => {
            reporter.failure(&e);
            ExitCode::FAILURE
        }
    }
}

/// `path` as the user would type it from here: relative to the current directory when it lies
/// inside it (an absolute `-o` or a path joined to one), otherwise unchanged.
fn shown(path: &Path) -> PathBuf {
    let relative =
        std::env::current_dir().ok().and_then(|cwd| path.strip_prefix(cwd).ok().map(Path::to_owned));
    match relative {
        Some(p) if p.as_os_str().is_empty() => PathBuf::from("."),
        Some(p) => p,
        None => path.to_owned(),
    }
}

/// Scaffolds a project; prints what it wrote, or why it wrote nothing.
fn init(options: &chanx_gen::init::InitOptions, reporter: Reporter) -> ExitCode {
    match chanx_gen::init::init(options) {
        Ok(files) => {
            for file in &files {
                eprintln!("wrote {}", shown(&options.dir.join(file)).display());
            }
            eprintln!("next: cd {} && cargo test && cargo run", shown(&options.dir).display());
            ExitCode::SUCCESS
        }
        Err(chanx_gen::init::InitError::Spec(e)) => {
            reporter.failure(&e);
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(command: Command, reporter: Reporter) -> Result<ExitCode, GenerateError> {
    match command {
        Command::Generate { spec, out } => {
            let config = out.apply(spec.config());
            let report = config.generate(&out.output)?;
            reporter.warnings(&report.warnings);
            for path in &report.written {
                eprintln!("wrote {}", shown(path).display());
            }
            for path in &report.removed {
                eprintln!("removed {}", shown(path).display());
            }
            for path in &report.kept {
                eprintln!(
                    "kept {} (no longer generated, but edited since; now yours)",
                    shown(path).display()
                );
            }
            eprintln!(
                "{} written, {} unchanged, {} removed",
                report.written.len(),
                report.unchanged.len(),
                report.removed.len()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Check { spec, out } => {
            let config = out.apply(spec.config());
            let drift = config.check(&out.output)?;
            if drift.is_empty() {
                eprintln!("{} is up to date", shown(&out.output).display());
                return Ok(ExitCode::SUCCESS);
            }
            for d in &drift {
                match d {
                    Drift::Changed { diff, .. } | Drift::Missing { diff, .. } => print!("{diff}"),
                    Drift::Stale { path } => println!("stale generated file: {}", shown(path).display()),
                }
            }
            eprintln!(
                "error: {} file(s) under {} differ from what `chanx-gen generate` would write",
                drift.len(),
                shown(&out.output).display()
            );
            Ok(ExitCode::FAILURE)
        }
        Command::Validate { spec } => {
            let ir = spec.config().ir()?;
            reporter.warnings(&ir.warnings);
            let messages: usize = ir.channels.iter().map(|c| c.messages.len()).sum();
            eprintln!(
                "{}: ok ({} channel(s), {} message(s), {} type(s), {} warning(s))",
                shown(&spec.spec).display(),
                ir.channels.len(),
                messages,
                ir.types.len(),
                ir.warnings.len()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Diff(args) => Ok(diff(&args)),
        Command::Init { dir, spec, name } => {
            Ok(init(&chanx_gen::init::InitOptions { dir, spec, name }, reporter))
        }
        Command::Docs { spec, output } => {
            let html = spec.config().docs_html()?;
            chanx_gen::write::write_file(&output, html.as_bytes())?;
            eprintln!("wrote {}", shown(&output).display());
            Ok(ExitCode::SUCCESS)
        }
    }
}

//! The `chanx-gen` command line: a thin layer over [`chanx_gen::Config`].

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

use chanx_gen::ir::Role;
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
        let mut config = Config::new(&self.spec).role(match self.role {
            RoleArg::Server => Role::Server,
            RoleArg::Client => Role::Client,
        });
        if let Some(tag) = &self.tag {
            config = config.tag(tag);
        }
        config = config.strict(self.strict);
        if let Some(root) = &self.root {
            config = config.root(root);
        }
        config
    }
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
    match run(cli.command) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("{}", e.report());
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
fn init(options: &chanx_gen::init::InitOptions) -> ExitCode {
    match chanx_gen::init::init(options) {
        Ok(files) => {
            for file in &files {
                eprintln!("wrote {}", shown(&options.dir.join(file)).display());
            }
            eprintln!("next: cd {} && cargo test && cargo run", shown(&options.dir).display());
            ExitCode::SUCCESS
        }
        Err(chanx_gen::init::InitError::Spec(e)) => {
            eprintln!("{}", e.report());
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(command: Command) -> Result<ExitCode, GenerateError> {
    match command {
        Command::Generate { spec, out } => {
            let config = out.apply(spec.config());
            let report = config.generate(&out.output)?;
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
            for w in &ir.warnings {
                eprint!("{}", chanx_gen::config::format_diagnostic("warning", w));
            }
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
        Command::Init { dir, spec, name } => Ok(init(&chanx_gen::init::InitOptions { dir, spec, name })),
        Command::Docs { spec, output } => {
            let html = spec.config().docs_html()?;
            chanx_gen::write::write_file(&output, html.as_bytes())?;
            eprintln!("wrote {}", shown(&output).display());
            Ok(ExitCode::SUCCESS)
        }
    }
}

//! The generator's error type. Owns the wording of every fatal problem found while reading a
//! spec, and the one escaping of untrusted text in diagnostics ([`Untrusted`], [`Excerpt`],
//! [`Message`]); it does not decide what is a problem (that is `load`, `parse` and `ir`).

use std::fmt;

use crate::ir::Diagnostic;
use crate::location::Location;

/// `Result` with the generator's [`enum@Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can stop the generator. Messages are lower-case, without a trailing period,
/// and say what was found and what was expected; the location comes first.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read.
    #[error("{}: cannot read the file: {source}", Untrusted(.file))]
    Io {
        /// The file, as named by the user or the referencing document.
        file: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A file is larger than [`MAX_FILE_BYTES`](crate::load::MAX_FILE_BYTES).
    #[error("{}: the file is larger than the limit of {limit} bytes", Untrusted(.file))]
    TooLarge {
        /// The file.
        file: String,
        /// The limit in bytes.
        limit: usize,
    },
    /// The files of one spec together are larger than
    /// [`MAX_SPEC_BYTES`](crate::load::MAX_SPEC_BYTES).
    #[error(
        "{location}: reading this $ref's file makes the spec's files larger than the limit of {limit} bytes together"
    )]
    SpecTooLarge {
        /// The `$ref` whose file crossed the limit.
        location: Location,
        /// The limit in bytes.
        limit: usize,
    },
    /// The text is not valid YAML or JSON.
    #[error("{}: invalid {format}: {}", at_line(.file, *.line, *.column), Excerpt(.message))]
    Syntax {
        /// The file.
        file: String,
        /// `YAML` or `JSON`.
        format: &'static str,
        /// 1-based line, when known.
        line: Option<usize>,
        /// 1-based column, when known.
        column: Option<usize>,
        /// What the YAML/JSON parser said.
        message: String,
    },
    /// The `asyncapi` field is missing or names a version this generator does not read.
    #[error("{location}: unsupported asyncapi version `{}`: expected 2.0.0 to 2.6.0, 3.0.0 or 3.1.0", Excerpt(.found))]
    Version {
        /// Where the `asyncapi` field is (or should be).
        location: Location,
        /// The version found (`1.2.0`), or `<missing>`.
        found: String,
    },
    /// A value has the wrong shape (`channels` is a list, an operation has no `action`...).
    #[error("{location}: expected {expected}, found {}", Untrusted(.found))]
    Shape {
        /// Where.
        location: Location,
        /// What was expected (`a mapping`, `send or receive`).
        expected: String,
        /// What was found (`a string`, `"publish"`).
        found: String,
    },
    /// A `$ref` points to nothing.
    #[error("{location}: $ref `{}` points to nothing: {}", Excerpt(.reference), Untrusted(.reason))]
    DanglingRef {
        /// Where the `$ref` is.
        location: Location,
        /// The `$ref` text.
        reference: String,
        /// Why it could not be followed (`no key \`Foo\` in components/schemas`, a missing file).
        reason: String,
    },
    /// A `$ref` to an `http(s)` URL (or another scheme): only local and relative-file refs are read.
    #[error(
        "{location}: remote $ref `{}` is not supported: expected a reference inside the document or to a relative file",
        Excerpt(.reference)
    )]
    RemoteRef {
        /// Where the `$ref` is.
        location: Location,
        /// The `$ref` text.
        reference: String,
    },
    /// A chain of `$ref`s that comes back to itself (`A` → `B` → `A`).
    #[error("{location}: cyclic $ref chain: {}", Untrusted(.chain))]
    CyclicRef {
        /// Where the chain starts.
        location: Location,
        /// The chain, `a -> b -> a`.
        chain: String,
    },
    /// A chain of `$ref`s longer than the generator follows.
    #[error("{location}: $ref chain longer than {limit} hops")]
    RefChainTooLong {
        /// Where the chain starts.
        location: Location,
        /// The limit.
        limit: usize,
    },
    /// A multi-format schema whose `schemaFormat` is not JSON Schema / AsyncAPI Schema. The
    /// parser no longer refuses such a document: the IR skips the message with a warning, or
    /// reports it as an error with `IrOptions::strict` (`--strict`).
    #[error(
        "{location}: unsupported schemaFormat `{}`: expected an AsyncAPI or JSON Schema format (application/vnd.aai.asyncapi, application/schema+json, application/schema+yaml)",
        Excerpt(.format)
    )]
    UnsupportedSchemaFormat {
        /// Where the `schemaFormat` is.
        location: Location,
        /// The format found.
        format: String,
    },
    /// A `$ref` names a file the generator refuses to read (see [`Refusal`]).
    #[error("{location}: $ref `{}` is refused: {why}", Excerpt(.reference))]
    RefusedRef {
        /// Where the `$ref` is.
        location: Location,
        /// The `$ref` text.
        reference: String,
        /// Why.
        why: Refusal,
    },
    /// The spec file itself is refused (outside `--root`, or not a regular file).
    #[error("{}: refused: {why}", Untrusted(.file))]
    RefusedFile {
        /// The file, as the user named it.
        file: String,
        /// Why.
        why: Refusal,
    },
    /// A JSON mapping lists the same key twice (YAML's own parser refuses this too).
    #[error("{location}: duplicate key `{}`: a mapping lists each key once", Excerpt(.key))]
    DuplicateKey {
        /// The second occurrence (its line, when known).
        location: Location,
        /// The key.
        key: String,
    },
    /// The IR could not be built; every problem is listed.
    #[error("{}", DiagnosticList(.0))]
    Invalid(Vec<Diagnostic>),
}

impl Error {
    /// The place inside a document this error names, for those that name one.
    pub fn location(&self) -> Option<&Location> {
        match self {
            Error::SpecTooLarge { location, .. }
            | Error::Version { location, .. }
            | Error::Shape { location, .. }
            | Error::DanglingRef { location, .. }
            | Error::RemoteRef { location, .. }
            | Error::CyclicRef { location, .. }
            | Error::RefChainTooLong { location, .. }
            | Error::UnsupportedSchemaFormat { location, .. }
            | Error::RefusedRef { location, .. }
            | Error::DuplicateKey { location, .. } => Some(location),
            Error::Io { .. }
            | Error::TooLarge { .. }
            | Error::Syntax { .. }
            | Error::RefusedFile { .. }
            | Error::Invalid(_) => None,
        }
    }

    /// This error as diagnostics, the one layout every problem is shown in: an
    /// [`Error::Invalid`]'s own list, or one diagnostic at the error's place (the file alone,
    /// with its line where known, for errors about a whole file).
    pub fn diagnostics(&self) -> Vec<Diagnostic> {
        // Every variant is written `{place}: {what}`: the place becomes the location, the rest
        // (already escaped; escaping is idempotent) the message.
        let (location, place) = match self {
            Error::Invalid(diagnostics) => return diagnostics.clone(),
            Error::Io { file, .. } | Error::TooLarge { file, .. } | Error::RefusedFile { file, .. } => {
                (Location::new(file.clone(), ""), Untrusted(file).to_string())
            }
            Error::Syntax { file, line, column, .. } => (
                Location { file: file.clone(), pointer: String::new(), line: *line },
                at_line(file, *line, *column),
            ),
            located => match located.location() {
                Some(location) => (location.clone(), location.to_string()),
                None => return Vec::new(),
            },
        };
        let text = self.to_string();
        let message = text.strip_prefix(&format!("{place}: ")).unwrap_or(&text).to_owned();
        vec![Diagnostic { location, message }]
    }
}

/// Why a file is not read. A spec is untrusted input: its `$ref`s may only name regular files
/// inside the root folder (the root spec's folder, or `--root`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// `/etc/passwd`, `C:\x`, `\\host\x`.
    Absolute,
    /// `%2F`, `%5C` or `%2E` in the file part: a separator or dot hidden from the reader.
    EncodedSeparator,
    /// A `\` (not a separator on every system) or a control character in the file part.
    BadCharacter,
    /// The path (after `..`) leaves the root folder.
    OutsideRoot {
        /// The root folder.
        root: String,
    },
    /// The path is inside the root folder but a symbolic link on it leads out.
    LinkOutsideRoot {
        /// The root folder.
        root: String,
    },
    /// A directory, FIFO, socket or device.
    NotAFile {
        /// What it is (`a directory`, `a FIFO`...).
        kind: &'static str,
    },
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Absolute => {
                f.write_str("expected a path relative to the referencing file, found an absolute path")
            }
            Refusal::EncodedSeparator => {
                f.write_str("a percent-encoded `/`, `\\` or `.` (`%2F`, `%5C`, `%2E`) in a file path")
            }
            Refusal::BadCharacter => f.write_str("a `\\` or a control character in a file path"),
            Refusal::OutsideRoot { root } => {
                write!(f, "the file is outside the root folder {} (see --root)", Untrusted(root))
            }
            Refusal::LinkOutsideRoot { root } => {
                write!(f, "a symbolic link leads outside the root folder {}", Untrusted(root))
            }
            Refusal::NotAFile { kind } => write!(f, "expected a regular file, found {kind}"),
        }
    }
}

/// `file (line N, column M)`.
fn at_line(file: &str, line: Option<usize>, column: Option<usize>) -> String {
    let file = Untrusted(file);
    match (line, column) {
        (Some(l), Some(c)) => format!("{file} (line {l}, column {c})"),
        (Some(l), None) => format!("{file} (line {l})"),
        _ => file.to_string(),
    }
}

/// Untrusted text (spec text, file names, keys) shown in a diagnostic: line breaks, control
/// characters, bidi controls and other invisible format characters are written as escapes
/// (`\n`, `\u{202e}`), so the text cannot start a forged line in a CI log or reorder what a
/// reader sees. Every diagnostic passes its untrusted parts through this one writer.
#[derive(Debug, Clone, Copy)]
pub struct Untrusted<'a>(pub &'a str);

/// Like [`Untrusted`], cut to the first [`EXCERPT_CHARS`] characters (`…` marks the cut): for
/// values quoted from the spec (a `$ref`, a version, a parser message).
#[derive(Debug, Clone, Copy)]
pub struct Excerpt<'a>(pub &'a str);

/// The most characters of spec text one [`Excerpt`] shows.
pub const EXCERPT_CHARS: usize = 80;

/// Like [`Untrusted`], cut at [`MESSAGE_CHARS`]: a whole diagnostic message built elsewhere
/// (it may quote a name or a pattern from the spec in full).
#[derive(Debug, Clone, Copy)]
pub struct Message<'a>(pub &'a str);

/// The most characters of one diagnostic message shown.
pub const MESSAGE_CHARS: usize = 500;

/// True for characters written as an escape: C0/C1 controls, DEL, line and paragraph
/// separators, bidi controls, zero-width and other format characters, the byte-order mark.
fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{00ad}' | '\u{061c}' | '\u{180e}' | '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}'
            | '\u{2060}'..='\u{206f}' | '\u{feff}' | '\u{fff9}'..='\u{fffb}')
}

fn write_escaped(f: &mut fmt::Formatter<'_>, text: &str, limit: usize) -> fmt::Result {
    for (i, c) in text.chars().enumerate() {
        if i == limit {
            return f.write_str("…");
        }
        match c {
            '\n' => f.write_str("\\n")?,
            '\r' => f.write_str("\\r")?,
            '\t' => f.write_str("\\t")?,
            c if needs_escape(c) => write!(f, "\\u{{{:x}}}", u32::from(c))?,
            c => fmt::Write::write_char(f, c)?,
        }
    }
    Ok(())
}

impl fmt::Display for Untrusted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_escaped(f, self.0, usize::MAX)
    }
}

impl fmt::Display for Message<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_escaped(f, self.0, MESSAGE_CHARS)
    }
}

impl fmt::Display for Excerpt<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_escaped(f, self.0, EXCERPT_CHARS)
    }
}

struct DiagnosticList<'a>(&'a [Diagnostic]);

impl fmt::Display for DiagnosticList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.len();
        write!(f, "{n} problem{} found", if n == 1 { "" } else { "s" })?;
        for d in self.0 {
            write!(f, "\n  {d}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, Message(&self.message))
    }
}

impl From<Vec<Diagnostic>> for Error {
    fn from(d: Vec<Diagnostic>) -> Self {
        Error::Invalid(d)
    }
}

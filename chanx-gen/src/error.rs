//! The generator's error type. Owns the wording of every fatal problem found while reading a
//! spec; it does not decide what is a problem (that is `load`, `parse` and `ir`).

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
    #[error("{file}: cannot read the file: {source}")]
    Io {
        /// The file, as named by the user or the referencing document.
        file: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A file is larger than [`MAX_FILE_BYTES`](crate::load::MAX_FILE_BYTES).
    #[error("{file}: the file is larger than the limit of {limit} bytes")]
    TooLarge {
        /// The file.
        file: String,
        /// The limit in bytes.
        limit: usize,
    },
    /// The text is not valid YAML or JSON.
    #[error("{}: invalid {format}: {message}", at_line(.file, *.line, *.column))]
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
    #[error("{location}: unsupported asyncapi version `{found}`: expected 3.0.0 or 3.1.0")]
    Version {
        /// Where the `asyncapi` field is (or should be).
        location: Location,
        /// The version found (`2.6.0`), or `<missing>`.
        found: String,
    },
    /// A value has the wrong shape (`channels` is a list, an operation has no `action`...).
    #[error("{location}: expected {expected}, found {found}")]
    Shape {
        /// Where.
        location: Location,
        /// What was expected (`a mapping`, `send or receive`).
        expected: String,
        /// What was found (`a string`, `"publish"`).
        found: String,
    },
    /// A `$ref` points to nothing.
    #[error("{location}: $ref `{reference}` points to nothing: {reason}")]
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
        "{location}: remote $ref `{reference}` is not supported: expected a reference inside the document or to a relative file"
    )]
    RemoteRef {
        /// Where the `$ref` is.
        location: Location,
        /// The `$ref` text.
        reference: String,
    },
    /// A chain of `$ref`s that comes back to itself (`A` → `B` → `A`).
    #[error("{location}: cyclic $ref chain: {chain}")]
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
    /// A multi-format schema whose `schemaFormat` is not JSON Schema / AsyncAPI Schema.
    #[error(
        "{location}: unsupported schemaFormat `{format}`: expected an AsyncAPI or JSON Schema format (application/vnd.aai.asyncapi, application/schema+json, application/schema+yaml)"
    )]
    UnsupportedSchemaFormat {
        /// Where the `schemaFormat` is.
        location: Location,
        /// The format found.
        format: String,
    },
    /// The IR could not be built; every problem is listed.
    #[error("{}", DiagnosticList(.0))]
    Invalid(Vec<Diagnostic>),
}

/// `file (line N, column M)`.
fn at_line(file: &str, line: Option<usize>, column: Option<usize>) -> String {
    match (line, column) {
        (Some(l), Some(c)) => format!("{file} (line {l}, column {c})"),
        (Some(l), None) => format!("{file} (line {l})"),
        _ => file.to_owned(),
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
        write!(f, "{}: {}", self.location, self.message)
    }
}

impl From<Vec<Diagnostic>> for Error {
    fn from(d: Vec<Diagnostic>) -> Self {
        Error::Invalid(d)
    }
}

//! Where something is in the user's documents: file, JSON pointer and, when known, line.
//! Owns only the value and its display; finding lines is the parser's job.

use std::fmt;

use crate::error::Untrusted;

/// A place in a spec document.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Location {
    /// The file, as the user named it (relative paths stay relative; never made absolute).
    pub file: String,
    /// JSON pointer inside the file (`/components/schemas/Foo`), `""` for the root.
    pub pointer: String,
    /// 1-based line of the node, when the parser could find it.
    pub line: Option<usize>,
}

impl Location {
    /// A location without a known line.
    pub fn new(file: impl Into<String>, pointer: impl Into<String>) -> Self {
        Self { file: file.into(), pointer: pointer.into(), line: None }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Both may hold spec text (a key with a line break in the pointer).
        write!(f, "{}#{}", Untrusted(&self.file), Untrusted(&self.pointer))?;
        if let Some(line) = self.line {
            write!(f, " (line {line})")?;
        }
        Ok(())
    }
}

//! Breaking changes between two versions of a spec (`chanx-gen diff OLD NEW`).
//!
//! Both versions are built into the [`Ir`] and compared there, so a `$ref` counts by what it
//! resolves to, never by how it is spelled, and a renamed component is no change at all. Every
//! difference becomes a [`Change`] with its JSON pointer, the channel and message it touches,
//! the direction that message travels, and a [`Verdict`].
//!
//! # Who sends decides
//!
//! Each change is first classified by what it does to the set of frames a receiver accepts
//! ([`Effect`]): *narrower* (some frame that was valid is now rejected: a new required field, a
//! shorter `maxLength`, a removed `enum` value or message), *wider* (some frame that is now
//! valid was rejected before: a field no longer required, a new `enum` value or message), both
//! (*incompatible*: a type change, a changed `pattern` or tag), or neither (*neutral*: docs, an
//! optional field added to an object that ignores unknown keys).
//!
//! Then the sender decides who breaks. A deployed party keeps speaking the old version while
//! the other side already runs the new one:
//!
//! | the message is sent by | narrower                | wider                   |
//! |------------------------|-------------------------|-------------------------|
//! | the client             | breaks deployed clients | breaks deployed servers |
//! | the server             | breaks deployed servers | breaks deployed clients |
//!
//! A narrower client message rejects what deployed clients still send; a wider server message
//! sends deployed clients what they reject. "Breaks deployed servers" is the mirror image: it
//! matters when clients built from the new spec may meet servers still running the old one
//! (clients shipped first, several server implementations). Connecting to a channel counts as
//! something the client sends; a reply counts like a required field of the server's answer
//! (removing it leaves deployed clients waiting). A message no operation uses travels nowhere:
//! its changes are safe.
//!
//! # Limits
//!
//! What the IR does not model is not compared: message `headers`, `bindings`, `not`,
//! `if`/`then`/`else`. Two different `pattern`s are not tested for inclusion (any change is
//! incompatible), nor are `minimum` and `exclusiveMinimum` traded for each other (each keyword
//! is judged on its own). Pointers below a named schema are built from the keywords the IR
//! keeps (`/properties/x`, `/items`, `/prefixItems/0`, `/oneOf/1`): inside an `allOf` that was
//! merged, or a union whose `null` branch was dropped, they name the merged schema's place, and
//! the line is that of the nearest node written out.
//!
//! Directions come from the IR (`receive` → the client sends it, `send` and replies → the
//! server sends it; `--role client` swaps them), so both specs must be read with the same
//! [`IrOptions`](crate::ir::IrOptions).

use std::fmt;
use std::path::Path;

use crate::config::{Config, GenerateError};
use crate::ir::Ir;
use crate::location::Location;
use crate::parse::Spec;

pub mod git;
mod render;
mod schema;
mod spec;

pub use render::Format;

/// What a change does to the frames a receiver accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Effect {
    /// Frames that were valid may now be rejected.
    Narrower,
    /// Frames that were rejected may now be valid (or may now be missing something).
    Wider,
    /// Both at once (a type change, a changed `pattern`, a renamed tag value).
    Incompatible,
    /// The set of valid frames is the same (docs, an optional field, a renamed parameter).
    Neutral,
}

impl Effect {
    /// The lower-case name used in every output format.
    pub fn as_str(self) -> &'static str {
        match self {
            Effect::Narrower => "narrower",
            Effect::Wider => "wider",
            Effect::Incompatible => "incompatible",
            Effect::Neutral => "neutral",
        }
    }
}

/// Which way the touched message travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Flow {
    /// Client → server (`receive` operations).
    ClientToServer,
    /// Server → client (`send` operations and replies).
    ServerToClient,
    /// Used in both directions.
    BothWays,
    /// Connecting to the channel (client-initiated).
    Connect,
    /// No operation uses the message: it travels nowhere.
    Unused,
}

impl Flow {
    fn of(client: bool, server: bool) -> Flow {
        match (client, server) {
            (true, true) => Flow::BothWays,
            (true, false) => Flow::ClientToServer,
            (false, true) => Flow::ServerToClient,
            (false, false) => Flow::Unused,
        }
    }

    /// Whether the client sends it (connecting included).
    pub fn client_sends(self) -> bool {
        matches!(self, Flow::ClientToServer | Flow::BothWays | Flow::Connect)
    }

    /// Whether the server sends it.
    pub fn server_sends(self) -> bool {
        matches!(self, Flow::ServerToClient | Flow::BothWays)
    }

    /// The name used in every output format (`client → server`).
    pub fn as_str(self) -> &'static str {
        match self {
            Flow::ClientToServer => "client → server",
            Flow::ServerToClient => "server → client",
            Flow::BothWays => "both ways",
            Flow::Connect => "connect",
            Flow::Unused => "unused",
        }
    }

    /// The machine-readable name (JSON output).
    pub fn id(self) -> &'static str {
        match self {
            Flow::ClientToServer => "client-to-server",
            Flow::ServerToClient => "server-to-client",
            Flow::BothWays => "both-ways",
            Flow::Connect => "connect",
            Flow::Unused => "unused",
        }
    }
}

/// Who a change breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Verdict {
    /// Deployed clients (old version) fail against a server running the new one.
    BreaksClients,
    /// Deployed servers (old version) fail against clients built from the new one.
    BreaksServers,
    /// Both.
    BreaksBoth,
    /// Nobody.
    Safe,
}

impl Verdict {
    /// The verdict of an effect on a message that travels `flow`.
    pub fn of(effect: Effect, flow: Flow) -> Verdict {
        let (client, server) = (flow.client_sends(), flow.server_sends());
        let (clients, servers) = match effect {
            Effect::Neutral => (false, false),
            Effect::Narrower => (client, server),
            Effect::Wider => (server, client),
            Effect::Incompatible => (client || server, client || server),
        };
        match (clients, servers) {
            (true, true) => Verdict::BreaksBoth,
            (true, false) => Verdict::BreaksClients,
            (false, true) => Verdict::BreaksServers,
            (false, false) => Verdict::Safe,
        }
    }

    /// Breaks deployed clients.
    pub fn breaks_clients(self) -> bool {
        matches!(self, Verdict::BreaksClients | Verdict::BreaksBoth)
    }

    /// Breaks deployed servers.
    pub fn breaks_servers(self) -> bool {
        matches!(self, Verdict::BreaksServers | Verdict::BreaksBoth)
    }

    /// The words used in every output format.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::BreaksClients => "breaks deployed clients",
            Verdict::BreaksServers => "breaks deployed servers",
            Verdict::BreaksBoth => "breaks deployed clients and servers",
            Verdict::Safe => "safe",
        }
    }

    /// The machine-readable name (JSON output).
    pub fn id(self) -> &'static str {
        match self {
            Verdict::BreaksClients => "breaks-clients",
            Verdict::BreaksServers => "breaks-servers",
            Verdict::BreaksBoth => "breaks-both",
            Verdict::Safe => "safe",
        }
    }
}

/// Which deployed party must keep working: what makes [`Report::breaking`] true.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Deployed {
    /// Deployed clients (the default): servers are upgraded first, clients lag behind (open
    /// browser tabs, mobile apps). Only changes that break deployed clients fail the gate.
    #[default]
    Clients,
    /// Deployed servers: clients built from the new spec may reach servers still running the
    /// old one.
    Servers,
    /// Both: old and new may meet either way during a rollout.
    Both,
}

/// A piece of a change's description: plain words, or text from a spec (a name, a value, a
/// pattern) that each output format escapes for its context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    /// Words of the generator's own.
    Text(String),
    /// Spec text, shown as code.
    Code(String),
}

/// A change's description as [`Part`]s.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Words(pub Vec<Part>);

impl Words {
    /// Empty.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends plain words.
    pub fn t(mut self, text: impl Into<String>) -> Self {
        self.0.push(Part::Text(text.into()));
        self
    }

    /// Appends every part of `other`.
    pub fn join(mut self, other: Words) -> Self {
        self.0.extend(other.0);
        self
    }

    /// Appends spec text.
    pub fn c(mut self, code: impl Into<String>) -> Self {
        self.0.push(Part::Code(code.into()));
        self
    }
}

impl fmt::Display for Words {
    /// Unescaped, code in backticks (for JSON, which escapes on its own, and for tests).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for p in &self.0 {
            match p {
                Part::Text(t) => f.write_str(t)?,
                Part::Code(c) => write!(f, "`{c}`")?,
            }
        }
        Ok(())
    }
}

/// One difference between the two versions.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// Who it breaks.
    pub verdict: Verdict,
    /// What it does to the frames a receiver accepts.
    pub effect: Effect,
    /// The channel key (`None` for document-level changes).
    pub channel: Option<String>,
    /// The message key (`None` for channel- and operation-level changes).
    pub message: Option<String>,
    /// Which way the touched message travels.
    pub flow: Flow,
    /// Where in the frame (`payload.room`, `payload.rooms[]`); empty for the whole frame or
    /// for changes outside a message.
    pub path: String,
    /// What changed.
    pub what: Words,
    /// The place in the old version (`None` when the thing is new).
    pub old: Option<Location>,
    /// The place in the new version (`None` when the thing was removed).
    pub new: Option<Location>,
}

impl Change {
    /// The place to show first: the new version's, else the old one's.
    pub fn location(&self) -> Option<&Location> {
        self.new.as_ref().or(self.old.as_ref())
    }
}

/// Every change between two versions, in document order (channels, then their messages and
/// operations; the old version's order for what was removed).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Report {
    /// The changes.
    pub changes: Vec<Change>,
}

impl Report {
    /// True when a change breaks the deployed party `deployed` names.
    pub fn breaking(&self, deployed: Deployed) -> bool {
        self.changes.iter().any(|c| breaks(c.verdict, deployed))
    }

    /// The changes that break deployed clients.
    pub fn breaking_clients(&self) -> usize {
        self.changes.iter().filter(|c| c.verdict.breaks_clients()).count()
    }

    /// The changes that break deployed servers.
    pub fn breaking_servers(&self) -> usize {
        self.changes.iter().filter(|c| c.verdict.breaks_servers()).count()
    }

    /// The safe changes.
    pub fn safe(&self) -> usize {
        self.changes.iter().filter(|c| c.verdict == Verdict::Safe).count()
    }

    /// The report in `format`, titled with the names of both versions.
    pub fn render(&self, format: Format, old: &str, new: &str, deployed: Deployed) -> String {
        render::render(self, format, &render::Titles { old, new, deployed })
    }
}

/// True when a change with `verdict` breaks the party `deployed` names.
pub fn breaks(verdict: Verdict, deployed: Deployed) -> bool {
    match deployed {
        Deployed::Clients => verdict.breaks_clients(),
        Deployed::Servers => verdict.breaks_servers(),
        Deployed::Both => verdict != Verdict::Safe,
    }
}

/// Compares two built documents. Both must have been built with the same options (role, tag).
pub fn diff(old: &Ir, new: &Ir) -> Report {
    Report { changes: spec::compare(old, new) }
}

/// Reads and builds both specs (each with its own [`Config`]: root, role, tag), then compares
/// them; an error names the version it comes from only through its file names.
///
/// ```no_run
/// use chanx_gen::Config;
/// use chanx_gen::diff::{Deployed, diff_specs};
///
/// let report = diff_specs(&Config::new("api/v1.yaml"), &Config::new("api/v2.yaml")).expect("both specs build");
/// for change in &report.changes {
///     println!("{}: {:?} {}", change.verdict.as_str(), change.message, change.what);
/// }
/// assert!(!report.breaking(Deployed::Clients));
/// ```
pub fn diff_specs(old: &Config, new: &Config) -> Result<Report, GenerateError> {
    let (old_spec, old) = old.spec_and_ir()?;
    let (new_spec, new) = new.spec_and_ir()?;
    let mut report = diff(&old, &new);
    report.add_lines(&old_spec, &new_spec);
    Ok(report)
}

/// The line of `loc` in `spec`, looked up in the document `loc.file` names (origins in the IR
/// are relative to the root document's folder).
fn line_of(spec: &Spec, loc: &Location) -> Option<usize> {
    let base = spec.docs.first().and_then(|d| Path::new(&d.name).parent().map(Path::to_owned))?;
    let doc = spec.docs.iter().find(|d| {
        let name = Path::new(&d.name);
        name.strip_prefix(&base).unwrap_or(name).to_string_lossy().replace('\\', "/") == loc.file
    })?;
    doc.lines.line(&loc.pointer)
}

impl Report {
    /// Fills in the line of every place that has none, from the parsed specs the IRs were built
    /// from (the line of the nearest enclosing node that is written out, for a keyword that is
    /// not).
    pub fn add_lines(&mut self, old: &Spec, new: &Spec) {
        for c in &mut self.changes {
            for (loc, spec) in [(&mut c.old, old), (&mut c.new, new)] {
                if let Some(loc) = loc.as_mut().filter(|l| l.line.is_none()) {
                    loc.line = line_of(spec, loc);
                }
            }
        }
    }
}

//! The faithful model of an AsyncAPI 3.0 document (a 2.0–2.6 document is read into the same
//! model, as the official converter maps it: `parse/v2.rs`): the root file and every relative
//! file it `$ref`s, every `$ref` checked (dangling, cyclic, remote), traits merged, and every
//! node addressable by file + JSON pointer (+ line). It makes no decisions about the generated API
//! (directions, tags, names, types: that is [`crate::ir`]); schemas stay JSON values here.

mod refs;
mod v2;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::error::{Error, Excerpt, Result};
use crate::load::{self, LineIndex, Root};
use crate::location::Location;

pub use refs::NodeRef;

/// One loaded file.
#[derive(Debug, Clone)]
pub struct Document {
    /// The file as the user named it (the root), or joined to the referencing file's folder
    /// and normalised (`specs/../common.yaml` → `common.yaml`). Never made absolute.
    pub name: String,
    /// The absolute path the file was reached by (its folder made canonical; a last-segment
    /// link is not followed): relative `$ref`s in it are resolved from here, as a JSON
    /// Reference is resolved from the address it was retrieved from.
    pub path: PathBuf,
    /// The parsed content.
    pub value: Value,
    /// JSON pointer → line.
    pub lines: LineIndex,
}

/// A whole AsyncAPI document with everything it references.
#[derive(Debug, Clone)]
pub struct Spec {
    /// Loaded files; `docs[0]` is the root document.
    pub docs: Vec<Document>,
    /// The `asyncapi` version (`2.0.0` to `2.6.0`, `3.0.0`, `3.1.0`).
    pub asyncapi: String,
    /// `info.title`.
    pub title: String,
    /// `info.version`.
    pub version: String,
    /// `info.description`.
    pub description: Option<String>,
    /// `defaultContentType`.
    pub default_content_type: Option<String>,
    /// `servers`, in document order.
    pub servers: Vec<ServerDef>,
    /// `channels`, in document order.
    pub channels: Vec<ChannelDef>,
    /// `operations`, in document order.
    pub operations: Vec<OperationDef>,
    /// `components.schemas` of the root document, in document order (key, node).
    pub schemas: Vec<(String, NodeRef)>,
    /// (document, file part of a `$ref` written there) → the document it names.
    files: HashMap<(usize, String), usize>,
    /// Real path (symbolic links followed) → document: two names for one file are one document.
    real_paths: HashMap<PathBuf, usize>,
    /// Bytes read so far, every file together (at most [`load::MAX_SPEC_BYTES`]).
    bytes_read: usize,
}

/// A server.
#[derive(Debug, Clone)]
pub struct ServerDef {
    /// Key in `servers`.
    pub key: String,
    /// `host`.
    pub host: String,
    /// `protocol`.
    pub protocol: String,
    /// `pathname`.
    pub pathname: Option<String>,
    /// `description`.
    pub description: Option<String>,
    /// Where the server is defined (after `$ref`).
    pub node: NodeRef,
}

/// A channel.
#[derive(Debug, Clone)]
pub struct ChannelDef {
    /// Key in `channels`.
    pub key: String,
    /// The `channels/<key>` entry in the root document.
    pub entry: NodeRef,
    /// The channel object (after `$ref`).
    pub node: NodeRef,
    /// `address` (`None` when absent or null).
    pub address: Option<String>,
    /// `title`.
    pub title: Option<String>,
    /// `summary`.
    pub summary: Option<String>,
    /// `description`.
    pub description: Option<String>,
    /// `parameters`, in document order.
    pub parameters: Vec<ParamDef>,
    /// `messages`, in document order.
    pub messages: Vec<MessageDef>,
}

/// A channel parameter (AsyncAPI 3 Parameter Object: no schema).
#[derive(Debug, Clone)]
pub struct ParamDef {
    /// Key in `parameters`.
    pub name: String,
    /// `description`.
    pub description: Option<String>,
    /// `enum`.
    pub allowed: Vec<String>,
    /// `default`.
    pub default: Option<String>,
    /// `examples`.
    pub examples: Vec<String>,
    /// Where it is defined (after `$ref`).
    pub node: NodeRef,
}

/// A message, traits merged.
#[derive(Debug, Clone)]
pub struct MessageDef {
    /// Key in the channel's `messages` (or the last pointer segment for messages that are
    /// only referenced from an operation).
    pub key: String,
    /// The map entry (`/channels/<c>/messages/<key>`), before `$ref`s are followed.
    pub entry: NodeRef,
    /// Every node of the `$ref` chain from `entry` to the message object (inclusive).
    pub chain: Vec<NodeRef>,
    /// The message object.
    pub node: NodeRef,
    /// `name`.
    pub name: Option<String>,
    /// `title`.
    pub title: Option<String>,
    /// `summary`.
    pub summary: Option<String>,
    /// `description`.
    pub description: Option<String>,
    /// `contentType`.
    pub content_type: Option<String>,
    /// `deprecated`.
    pub deprecated: bool,
    /// The payload schema (a multi-format wrapper is unwrapped; the node may be a `$ref`).
    /// `None` when the payload's format is not one we read (see `foreign_format`).
    pub payload: Option<NodeRef>,
    /// A `schemaFormat` that is not JSON Schema / AsyncAPI Schema (Avro, Protobuf, ...): the
    /// format as written and where. The IR decides what to do with such a message.
    pub foreign_format: Option<(String, NodeRef)>,
    /// `examples[].payload`.
    pub examples: Vec<Value>,
    /// `correlationId.location`.
    pub correlation_id: Option<String>,
}

/// An operation, traits merged.
#[derive(Debug, Clone)]
pub struct OperationDef {
    /// Key in `operations`.
    pub key: String,
    /// The operation object (after `$ref`).
    pub node: NodeRef,
    /// `action` as written (`send` or `receive`; checked here).
    pub action: String,
    /// `$ref` chain of `channel`.
    pub channel: Vec<NodeRef>,
    /// `$ref` chains of `messages`; `None` when the operation lists none.
    pub messages: Option<Vec<Vec<NodeRef>>>,
    /// `reply`.
    pub reply: Option<ReplyDef>,
    /// `summary`.
    pub summary: Option<String>,
    /// `description`.
    pub description: Option<String>,
    /// `deprecated`.
    pub deprecated: bool,
}

/// An operation's `reply`.
#[derive(Debug, Clone)]
pub struct ReplyDef {
    /// The reply object (after `$ref`).
    pub node: NodeRef,
    /// `$ref` chain of `channel`, when given.
    pub channel: Option<Vec<NodeRef>>,
    /// `$ref` chains of `messages`, when given.
    pub messages: Option<Vec<Vec<NodeRef>>>,
}

/// Media types (before `;`) of the schema formats we read: AsyncAPI Schema and JSON Schema.
const JSON_SCHEMA_FORMATS: &[&str] = &[
    "application/vnd.aai.asyncapi",
    "application/vnd.aai.asyncapi+json",
    "application/vnd.aai.asyncapi+yaml",
    "application/schema+json",
    "application/schema+yaml",
];

/// True when `format` is an AsyncAPI or JSON Schema `schemaFormat`.
pub fn is_json_schema_format(format: &str) -> bool {
    let media = format.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    JSON_SCHEMA_FORMATS.contains(&media.as_str())
}

/// What a value is, for "expected ..., found ..." messages. A string is quoted (a short,
/// escaped excerpt) only when `quote`: text of the root document, never of a referenced file.
fn describe(v: &Value, quote: bool) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("`{b}`"),
        Value::Number(n) => format!("`{n}`"),
        Value::String(s) if quote => format!("\"{}\"", Excerpt(s)),
        Value::String(_) => "a string".into(),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "a mapping".into(),
    }
}

fn str_of(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_owned)
}

fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

impl Spec {
    /// Reads the root document and every relative file it references, checks the version,
    /// every `$ref` and every `schemaFormat`, and merges traits. Referenced files are read
    /// from the spec's folder only ([`Root::of_spec`]).
    pub fn load(path: &Path) -> Result<Spec> {
        Self::load_within(path, &Root::of_spec(path)?)
    }

    /// Like [`Spec::load`], reading files from inside `root` (which must hold the spec).
    pub fn load_within(path: &Path, root: &Root) -> Result<Spec> {
        let name = path.to_string_lossy().into_owned();
        let absolute = Root::absolute(path).map_err(|source| Error::Io { file: name.clone(), source })?;
        let (real, text) = root.read(&absolute).map_err(|fault| fault.into_error(&name))?;
        Self::parse(name, absolute, Some(real), &text, root)
    }

    /// Like [`Spec::load`], with the root document's text given (relative `$ref`s are still
    /// read from disk, relative to `name`, inside `name`'s folder).
    pub fn from_text(name: &str, text: &str) -> Result<Spec> {
        let root = Root::of_spec(Path::new(name))?;
        Self::from_text_within(name, text, &root)
    }

    /// Like [`Spec::from_text`], reading referenced files from inside `root`.
    pub fn from_text_within(name: &str, text: &str, root: &Root) -> Result<Spec> {
        let path =
            Root::absolute(Path::new(name)).map_err(|source| Error::Io { file: name.to_owned(), source })?;
        Self::parse(name.to_owned(), path, None, text, root)
    }

    /// `path`: where the root document was reached; `real`: its real path, when it was read.
    fn parse(
        name: String,
        path: PathBuf,
        real: Option<PathBuf>,
        text: &str,
        root_dir: &Root,
    ) -> Result<Spec> {
        let value = load::parse_text(&name, text)?;
        let root = Document { name, path, lines: LineIndex::new(text), value };
        let asyncapi = check_version(&root)?;
        let mut spec = Spec {
            docs: vec![root],
            asyncapi,
            title: String::new(),
            version: String::new(),
            description: None,
            default_content_type: None,
            servers: Vec::new(),
            channels: Vec::new(),
            operations: Vec::new(),
            schemas: Vec::new(),
            files: HashMap::new(),
            real_paths: real.into_iter().map(|r| (r, 0)).collect(),
            bytes_read: text.len(),
        };
        // The meta-schema check reads only the root document: it runs beside the rest of the
        // parse. Its findings come first; the parse's own, where it has any, are added to them.
        let (root, version) = (spec.docs[0].clone(), spec.asyncapi.clone());
        let (meta, parsed) = std::thread::scope(|s| {
            let meta = s.spawn(|| crate::meta::check(&root, &version));
            let parsed = spec.load_references(root_dir).and_then(|()| spec.read_model());
            (meta.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)), parsed)
        });
        match (meta.is_empty(), parsed) {
            (true, parsed) => parsed.map(|()| spec),
            (false, Ok(())) => Err(Error::Invalid(meta)),
            (false, Err(e)) => {
                let known: Vec<String> = meta.iter().map(|m| m.location.pointer.clone()).collect();
                let mut all = meta;
                all.extend(e.diagnostics().into_iter().filter(|d| !known.contains(&d.location.pointer)));
                Err(Error::Invalid(all))
            }
        }
    }

    /// The location of a node (file, pointer, line).
    pub fn location(&self, node: &NodeRef) -> Location {
        match self.docs.get(node.doc) {
            Some(d) => Location {
                file: d.name.clone(),
                pointer: node.pointer.clone(),
                line: d.lines.line(&node.pointer),
            },
            None => Location::new("<unknown>", node.pointer.clone()),
        }
    }

    /// The value at a node, without following `$ref`s.
    pub fn value(&self, node: &NodeRef) -> Option<&Value> {
        pointer(&self.docs.get(node.doc)?.value, &node.pointer)
    }

    /// The root document's value.
    pub fn root(&self) -> &Value {
        &self.docs[0].value
    }

    fn shape(&self, node: &NodeRef, expected: &str, found: &Value) -> Error {
        let found = describe(found, node.doc == 0);
        Error::Shape { location: self.location(node), expected: expected.to_owned(), found }
    }

    /// Resolves `node` and requires a mapping.
    fn object(&self, node: &NodeRef, what: &str) -> Result<(NodeRef, &Map<String, Value>)> {
        let (n, v) = self.resolve(node)?;
        match v.as_object() {
            Some(m) => Ok((n, m)),
            None => Err(self.shape(&n, &format!("{what} (a mapping)"), v)),
        }
    }

    /// Entries of an optional mapping at `parent/key` (each entry's node, unresolved).
    fn entries(&self, parent: &NodeRef, key: &str, what: &str) -> Result<Vec<(String, NodeRef)>> {
        let node = parent.child(key);
        let Some(v) = self.value(&node) else { return Ok(Vec::new()) };
        if v.is_null() {
            return Ok(Vec::new());
        }
        let (n, map) = self.object(&node, what)?;
        Ok(map.keys().map(|k| (k.clone(), n.child(k))).collect())
    }

    fn read_model(&mut self) -> Result<()> {
        let root = NodeRef::root(0);
        let info = root.child("info");
        let (info_node, info_map) = match self.value(&info) {
            Some(_) => {
                let (n, m) = self.object(&info, "`info`")?;
                (n, m.clone())
            }
            None => (info, Map::new()),
        };
        let _ = info_node;
        self.title = info_map.get("title").and_then(scalar_text).unwrap_or_default();
        self.version = info_map.get("version").and_then(scalar_text).unwrap_or_default();
        self.description = info_map.get("description").and_then(Value::as_str).map(str::to_owned);
        self.default_content_type = str_of(self.root(), "defaultContentType");
        if v2::is_v2(&self.asyncapi) {
            self.read_v2()?;
        } else {
            self.read_v3()?;
        }
        let components = root.child("components");
        if self.value(&components).is_some() {
            let (c, _) = self.object(&components, "`components`")?;
            self.schemas = self.entries(&c, "schemas", "`components.schemas`")?;
        }
        Ok(())
    }

    /// Reads the 3.x `servers`, `channels` and `operations`.
    fn read_v3(&mut self) -> Result<()> {
        let root = NodeRef::root(0);
        let mut servers = Vec::new();
        for (key, node) in self.entries(&root, "servers", "`servers`")? {
            let (n, m) = self.object(&node, "a server")?;
            let v = Value::Object(m.clone());
            servers.push(ServerDef {
                key,
                host: str_of(&v, "host").unwrap_or_default(),
                protocol: str_of(&v, "protocol").unwrap_or_default(),
                pathname: str_of(&v, "pathname"),
                description: str_of(&v, "description"),
                node: n,
            });
        }
        self.servers = servers;

        let mut channels = Vec::new();
        for (key, entry) in self.entries(&root, "channels", "`channels`")? {
            channels.push(self.read_channel(key, entry)?);
        }
        self.channels = channels;

        let mut operations = Vec::new();
        for (key, entry) in self.entries(&root, "operations", "`operations`")? {
            operations.push(self.read_operation(key, entry)?);
        }
        self.operations = operations;
        Ok(())
    }

    fn read_channel(&self, key: String, entry: NodeRef) -> Result<ChannelDef> {
        let (node, map) = self.object(&entry, "a channel")?;
        let v = Value::Object(map.clone());
        let mut parameters = Vec::new();
        for (name, p) in self.entries(&node, "parameters", "`parameters`")? {
            let (pn, pm) = self.object(&p, "a parameter")?;
            let list = |k: &str| -> Vec<String> {
                pm.get(k)
                    .and_then(Value::as_array)
                    .map(|a| a.iter().filter_map(scalar_text).collect())
                    .unwrap_or_default()
            };
            parameters.push(ParamDef {
                name,
                description: pm.get("description").and_then(Value::as_str).map(str::to_owned),
                allowed: list("enum"),
                default: pm.get("default").and_then(scalar_text),
                examples: list("examples"),
                node: pn,
            });
        }
        let mut messages = Vec::new();
        for (mkey, m) in self.entries(&node, "messages", "`messages`")? {
            messages.push(self.read_message(mkey, m)?);
        }
        Ok(ChannelDef {
            key,
            entry,
            address: str_of(&v, "address"),
            title: str_of(&v, "title"),
            summary: str_of(&v, "summary"),
            description: str_of(&v, "description"),
            node,
            parameters,
            messages,
        })
    }

    /// Reads a message at `entry` (following `$ref`s) and merges its traits.
    pub fn read_message(&self, key: String, entry: NodeRef) -> Result<MessageDef> {
        let chain = self.ref_chain(&entry)?;
        let (node, _) = self.object(&entry, "a message")?;
        let (merged, provider) = self.merge_traits(&node, "message trait")?;
        let text = |k: &str| merged.get(k).and_then(Value::as_str).map(str::to_owned);
        let mut payload = None;
        let mut foreign_format = None;
        if let Some(p) = provider.get("payload") {
            let (pn, pv) = self.resolve(p)?;
            payload = Some(p.clone());
            if let Some(format) = pv.get("schemaFormat").filter(|_| pv.get("schema").is_some()) {
                let format_node = pn.child("schemaFormat");
                let Some(format) = format.as_str() else {
                    return Err(self.shape(&format_node, "a schemaFormat string", format));
                };
                if is_json_schema_format(format) {
                    payload = Some(pn.child("schema"));
                } else {
                    foreign_format = Some((format.to_owned(), format_node));
                    payload = None;
                }
            }
        }
        if let (Some(format), Some(p)) = (merged.get("schemaFormat"), provider.get("schemaFormat")) {
            if let Some(f) = format.as_str().filter(|f| !is_json_schema_format(f)) {
                foreign_format = Some((f.to_owned(), p.clone()));
                payload = None;
            }
        }
        let mut correlation_id = None;
        if let Some(c) = provider.get("correlationId") {
            let (_, cv) = self.resolve(c)?;
            correlation_id = str_of(cv, "location");
        }
        let examples = merged
            .get("examples")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(|e| e.get("payload").cloned()).collect())
            .unwrap_or_default();
        Ok(MessageDef {
            key,
            entry,
            chain,
            name: text("name"),
            title: text("title"),
            summary: text("summary"),
            description: text("description"),
            content_type: text("contentType"),
            deprecated: merged.get("deprecated").and_then(Value::as_bool).unwrap_or(false),
            payload,
            foreign_format,
            examples,
            correlation_id,
            node,
        })
    }

    fn read_operation(&self, key: String, entry: NodeRef) -> Result<OperationDef> {
        let (node, _) = self.object(&entry, "an operation")?;
        let (merged, provider) = self.merge_traits(&node, "operation trait")?;
        let action_node = provider.get("action").cloned().unwrap_or_else(|| node.child("action"));
        let action = match merged.get("action") {
            Some(Value::String(s)) if s == "send" || s == "receive" => s.clone(),
            Some(other) => return Err(self.shape(&action_node, "`send` or `receive`", other)),
            None => {
                return Err(Error::Shape {
                    location: self.location(&node),
                    expected: "an operation with an `action`".into(),
                    found: "no `action`".into(),
                });
            }
        };
        let Some(channel_node) = provider.get("channel") else {
            return Err(Error::Shape {
                location: self.location(&node),
                expected: "an operation with a `channel`".into(),
                found: "no `channel`".into(),
            });
        };
        let channel = self.ref_chain(channel_node)?;
        let messages = match provider.get("messages") {
            Some(m) => Some(self.ref_list(m)?),
            None => None,
        };
        let reply = match provider.get("reply") {
            Some(r) => {
                let (rn, rm) = self.object(r, "a reply")?;
                let channel = match rm.get("channel") {
                    Some(Value::Null) | None => None,
                    Some(_) => Some(self.ref_chain(&rn.child("channel"))?),
                };
                let messages = match rm.get("messages") {
                    Some(_) => Some(self.ref_list(&rn.child("messages"))?),
                    None => None,
                };
                Some(ReplyDef { node: rn, channel, messages })
            }
            None => None,
        };
        let text = |k: &str| merged.get(k).and_then(Value::as_str).map(str::to_owned);
        Ok(OperationDef {
            key,
            action,
            channel,
            messages,
            reply,
            summary: text("summary"),
            description: text("description"),
            deprecated: merged.get("deprecated").and_then(Value::as_bool).unwrap_or(false),
            node,
        })
    }

    /// `$ref` chains of each item of the list at `node`.
    fn ref_list(&self, node: &NodeRef) -> Result<Vec<Vec<NodeRef>>> {
        let (n, v) = self.resolve(node)?;
        let Some(items) = v.as_array() else { return Err(self.shape(&n, "a list of `$ref`s", v)) };
        (0..items.len()).map(|i| self.ref_chain(&n.child(&i.to_string()))).collect()
    }

    /// Applies `traits` to the object at `node`: JSON Merge Patch of the traits in order, then
    /// the object itself on top, so a trait never overrides a property the object has. Returns
    /// the merged mapping and, for each top-level key, the node that provided it.
    fn merge_traits(
        &self,
        node: &NodeRef,
        what: &str,
    ) -> Result<(Map<String, Value>, HashMap<String, NodeRef>)> {
        let Some(Value::Object(target)) = self.value(node) else {
            return Ok((Map::new(), HashMap::new()));
        };
        let mut merged = Value::Object(Map::new());
        let mut provider: HashMap<String, NodeRef> = HashMap::new();
        if let Some(traits) = target.get("traits") {
            let traits_node = node.child("traits");
            let Some(list) = traits.as_array() else {
                return Err(self.shape(&traits_node, "a list of traits", traits));
            };
            for i in 0..list.len() {
                let (tn, tm) = self.object(&traits_node.child(&i.to_string()), &format!("a {what}"))?;
                merge_patch(&mut merged, &Value::Object(tm.clone()));
                for k in tm.keys() {
                    provider.insert(k.clone(), tn.child(k));
                }
            }
        }
        let mut own = target.clone();
        own.remove("traits");
        for k in own.keys() {
            provider.insert(k.clone(), node.child(k));
        }
        merge_patch(&mut merged, &Value::Object(own));
        let Value::Object(merged) = merged else { return Ok((Map::new(), provider)) };
        provider.retain(|k, _| merged.contains_key(k));
        Ok((merged, provider))
    }
}

/// RFC 7386 JSON Merge Patch.
fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(patch) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    if let Value::Object(t) = target {
        for (k, v) in patch {
            if v.is_null() {
                t.remove(k);
            } else {
                merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
    }
}

/// Reads and checks the `asyncapi` field.
fn check_version(root: &Document) -> Result<String> {
    let node = NodeRef::root(0).child("asyncapi");
    let location = Location {
        file: root.name.clone(),
        pointer: node.pointer.clone(),
        line: root.lines.line("/asyncapi"),
    };
    let found = match root.value.get("asyncapi") {
        Some(v) => scalar_text(v).unwrap_or_else(|| describe(v, true)),
        None => {
            if !root.value.is_object() {
                return Err(Error::Shape {
                    location: Location { line: Some(1), ..Location::new(root.name.clone(), "") },
                    expected: "an AsyncAPI document (a mapping)".into(),
                    // Kind only: a document that is one quoted string is not echoed back.
                    found: describe(&root.value, false),
                });
            }
            "<missing>".into()
        }
    };
    if found.starts_with("3.0.") || found.starts_with("3.1.") || v2::is_v2(&found) {
        Ok(found)
    } else {
        Err(Error::Version { location, found })
    }
}

/// Used by [`NodeRef::child`].
pub(crate) fn child_pointer(pointer: &str, key: &str) -> String {
    let mut out = String::with_capacity(pointer.len() + 1 + key.len());
    out.push_str(pointer);
    out.push('/');
    crate::load::push_escaped(&mut out, key);
    out
}

/// [`Value::pointer`] without an allocation per segment (only segments with `~` escapes are
/// unescaped into a new string). Same rules, including array indices (no sign, no leading zero).
fn pointer<'v>(root: &'v Value, pointer: &str) -> Option<&'v Value> {
    if pointer.is_empty() {
        return Some(root);
    }
    let mut v = root;
    let escaped = pointer.contains('~');
    for raw in pointer.strip_prefix('/')?.split('/') {
        let unescaped;
        let seg = if escaped && raw.contains('~') {
            unescaped = raw.replace("~1", "/").replace("~0", "~");
            unescaped.as_str()
        } else {
            raw
        };
        v = match v {
            Value::Object(m) => m.get(seg)?,
            Value::Array(a) => {
                if seg.starts_with('+') || (seg.starts_with('0') && seg.len() != 1) {
                    return None;
                }
                a.get(seg.parse::<usize>().ok()?)?
            }
            _ => return None,
        };
    }
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointer_matches_serde_json() {
        let v = serde_json::json!({"a": {"b/c": [1, {"d~e": 2}], "": 3}, "0": 4});
        let pointers = ["", "/", "/a", "/a/", "/a/b~1c", "/a/b~1c/0", "/a/b~1c/1/d~0e", "/a/b~1c/2"];
        let odd = ["/a/b~1c/01", "/a/b~1c/+1", "/0", "a", "/x/y"];
        for p in pointers.into_iter().chain(odd) {
            assert_eq!(pointer(&v, p), v.pointer(p), "{p}");
        }
    }
}

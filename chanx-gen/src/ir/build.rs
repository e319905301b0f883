//! Builds the [`Ir`] from a parsed [`Spec`]: channels, directions, tags, operations, names.
//! Every problem is collected and reported together; nothing is emitted here.
//!
//! Decisions (see DESIGN.md section 1):
//! - `receive` operations put their messages in the client direction, `send` operations in the
//!   server direction (`--role client` swaps the two), and every `reply` message goes to the
//!   server direction of the operation's channel (replies travel back on the same socket); a
//!   reply message from another channel is added to the operation's channel.
//! - Messages no operation uses stay in [`Channel::messages`] but in no direction.
//! - The tag of a direction: `--tag` if given; else the first property, in
//!   [`TAG_PREFERENCE`] order then alphabetical, that is a string constant or string `enum` in
//!   every JSON message of the direction and whose values are unique (a message with an `enum`
//!   owns every value of it); else untagged, with a warning when the direction has two or more
//!   JSON messages, and an error for messages that cannot be told apart by shape
//!   ([`super::untagged`]).
//! - A message whose payload `schemaFormat` is not JSON Schema is skipped with a warning (an
//!   error with [`IrOptions::strict`]).

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use super::lint;
use super::schema::{TAG_PREFERENCE, Types};
use super::{
    Action, Channel, Diagnostic, Direction, Info, Ir, Message, MessageId, Operation, Param, Reply, Server,
    Tagging,
};
use crate::location::Location;
use crate::names::{self, Scope};
use crate::parse::{ChannelDef, MessageDef, NodeRef, Spec};

/// Options of [`build`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IrOptions {
    /// Force the tag property of every direction (`--tag NAME`); `None` detects it.
    pub tag: Option<String>,
    /// Whose point of view the document is written from.
    pub role: Role,
    /// Refuse a document with messages that are skipped (a payload `schemaFormat` that is not
    /// JSON Schema) instead of warning about each and generating the rest (`--strict`).
    pub strict: bool,
}

/// Whose point of view the document describes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Role {
    /// The document describes the server (`receive` = the server receives it).
    #[default]
    Server,
    /// The document describes a client: `send` and `receive` are swapped.
    Client,
}

/// A message being assembled, with the parsed definition it came from.
struct Msg {
    def: MessageDef,
    message: Message,
    /// Its payload is in a format that is not read (Avro, ...): left out of the channel.
    skipped: bool,
}

struct ChannelBuild {
    messages: Vec<Msg>,
    client: Vec<MessageId>,
    server: Vec<MessageId>,
    operations: Vec<Operation>,
    methods: Scope,
}

/// Builds the IR, reporting every problem found.
pub fn build(spec: &Spec, options: &IrOptions) -> Result<Ir, Vec<Diagnostic>> {
    let mut b = Builder {
        spec,
        options,
        errors: Vec::new(),
        warnings: Vec::new(),
        types: Types::new(spec),
        tag_duplicates: BTreeMap::new(),
    };
    let ir = b.run();
    b.warnings.extend(lint::unused_messages(&ir));
    b.errors.append(&mut b.types.errors);
    b.warnings.append(&mut b.types.warnings);
    if b.errors.is_empty() {
        let mut ir = ir;
        if let Some(root) = spec.docs.first() {
            make_origins_portable(&mut ir, &root.name);
        }
        b.warnings.sort();
        b.warnings.dedup();
        ir.warnings = b.warnings;
        Ok(ir)
    } else {
        b.errors.sort();
        b.errors.dedup();
        Err(b.errors)
    }
}

/// Rewrites every origin embedded in generated code relative to the root document's folder, so
/// the output does not depend on how (or from where) the spec path was given. Diagnostics keep
/// the paths as the user typed them.
fn make_origins_portable(ir: &mut Ir, root: &str) {
    let base = Path::new(root).parent().unwrap_or(Path::new(""));
    let fix = |loc: &mut Location| loc.file = relative_to(base, Path::new(&loc.file));
    for channel in &mut ir.channels {
        fix(&mut channel.origin);
        channel.messages.iter_mut().for_each(|m| fix(&mut m.origin));
        channel.operations.iter_mut().for_each(|o| fix(&mut o.origin));
    }
    ir.types.iter_mut().for_each(|t| fix(&mut t.origin));
}

/// `path` relative to the folder `base`, lexically (both are already normalised by the parser).
fn relative_to(base: &Path, path: &Path) -> String {
    let base: Vec<Component<'_>> = base.components().collect();
    let path: Vec<Component<'_>> = path.components().collect();
    let common = base.iter().zip(&path).take_while(|(a, b)| a == b).count();
    let mut out = PathBuf::new();
    for _ in common..base.len() {
        out.push("..");
    }
    for c in &path[common..] {
        out.push(c);
    }
    out.to_string_lossy().replace('\\', "/")
}

struct Builder<'a> {
    spec: &'a Spec,
    options: &'a IrOptions,
    errors: Vec<Diagnostic>,
    warnings: Vec<Diagnostic>,
    types: Types<'a>,
    /// Per (channel key, client side): the duplicate values that kept the best tag candidate
    /// from being the tag of an untagged direction, as errors to report if the direction's
    /// messages cannot be told apart by shape either.
    tag_duplicates: BTreeMap<(String, bool), Vec<Diagnostic>>,
}

fn is_json(content_type: &str) -> bool {
    let media = content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    media == "application/json" || media == "text/json" || media.ends_with("+json")
}

/// `{name}` placeholders of an address, in order, without repeats.
fn placeholders(address: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut rest = address;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else { break };
        let name = &rest[open + 1..open + close];
        if !name.is_empty() && !out.iter().any(|n| n == name) {
            out.push(name.to_owned());
        }
        rest = &rest[open + close + 1..];
    }
    out
}

impl<'a> Builder<'a> {
    fn error(&mut self, location: Location, message: String) {
        self.errors.push(Diagnostic { location, message });
    }

    fn warn(&mut self, location: Location, message: String) {
        self.warnings.push(Diagnostic { location, message });
    }

    fn run(&mut self) -> Ir {
        let spec = self.spec;
        // Every component schema gets its type, used or not, in document order.
        // A component that is a `$ref` to another file's root names that file's schemas.
        let targets: Vec<_> =
            spec.schemas.iter().filter_map(|(key, node)| Some((key, spec.resolve(node).ok()?.0))).collect();
        for (key, target) in &targets {
            self.types.file_component(key, target);
        }
        for (_, target) in &targets {
            self.types.named(target);
        }
        let mut modules = Scope::new();
        let mut type_names = Scope::new();
        let mut ts_classes = Scope::new();
        let mut builds: Vec<ChannelBuild> = Vec::new();
        let mut channels: Vec<Channel> = Vec::new();
        for def in &spec.channels {
            let origin = spec.location(&def.entry);
            let module = names::rust_module(&def.key);
            let type_name = names::pascal_or(&def.key, "Channel");
            let what = format!("channel `{}`", def.key);
            if let Err(c) = modules.claim(&module, &origin, &what) {
                self.error(
                    origin.clone(),
                    format!("channels `{}` and {} both become the module `{}`: expected channel keys that differ after snake_case (first at {})", def.key, c.first.1.trim_start_matches("channel "), module, c.first.0),
                );
            }
            if let Err(c) = type_names.claim(&type_name, &origin, &what) {
                self.error(
                    origin.clone(),
                    format!("channels `{}` and {} both become the type `{}`: expected channel keys that differ after PascalCase (first at {})", def.key, c.first.1.trim_start_matches("channel "), type_name, c.first.0),
                );
            }
            let params = self.params(def);
            let mut cb = ChannelBuild {
                messages: Vec::new(),
                client: Vec::new(),
                server: Vec::new(),
                operations: Vec::new(),
                methods: Scope::new(),
            };
            for m in &def.messages {
                self.push_message(&mut cb, m.clone());
            }
            let ts_class = names::ts_class(&type_name);
            if let Err(c) = ts_classes.claim(&ts_class, &origin, &what) {
                self.error(
                    origin.clone(),
                    format!(
                        "channels `{}` and {} both become the TypeScript class `{}` (first at {})",
                        def.key,
                        c.first.1.trim_start_matches("channel "),
                        ts_class,
                        c.first.0
                    ),
                );
            }
            channels.push(Channel {
                key: def.key.clone(),
                file: names::unraw(&module).to_owned(),
                ts_file: String::new(),
                ts_namespace: String::new(),
                ts_class,
                module,
                type_name,
                address: def.address.clone(),
                title: def.title.clone(),
                summary: def.summary.clone(),
                description: def.description.clone(),
                params,
                messages: Vec::new(),
                client: Direction::default(),
                server: Direction::default(),
                operations: Vec::new(),
                origin,
            });
            builds.push(cb);
        }
        let ts_files = names::ts_files(channels.iter().map(|c| c.module.as_str()));
        for (channel, file) in channels.iter_mut().zip(ts_files) {
            channel.ts_namespace = names::ts_namespace(&file);
            channel.ts_file = file;
        }
        self.operations(&mut builds);
        for (ch, cb) in channels.iter_mut().zip(builds) {
            self.finish_channel(ch, cb);
        }
        self.types.run();
        let mut types = self.types.finish();
        require_tag_fields(&channels, &mut types);
        self.refuse_ambiguous(&channels, &types);
        Ir {
            info: Info {
                title: spec.title.clone(),
                version: spec.version.clone(),
                description: spec.description.clone(),
                asyncapi: spec.asyncapi.clone(),
            },
            source_name: spec
                .docs
                .first()
                .map(|d| {
                    std::path::Path::new(&d.name)
                        .file_name()
                        .map(|f| f.to_string_lossy().into_owned())
                        .unwrap_or_default()
                })
                .unwrap_or_default(),
            servers: spec
                .servers
                .iter()
                .map(|s| Server {
                    key: s.key.clone(),
                    host: s.host.clone(),
                    protocol: s.protocol.clone(),
                    pathname: s.pathname.clone(),
                    description: s.description.clone(),
                })
                .collect(),
            channels,
            types,
            warnings: Vec::new(),
        }
    }

    fn params(&mut self, def: &ChannelDef) -> Vec<Param> {
        let origin = self.spec.location(&def.entry);
        let names_in_address = def.address.as_deref().map(placeholders).unwrap_or_default();
        for p in &def.parameters {
            if !names_in_address.contains(&p.name) {
                self.warn(
                    self.spec.location(&p.node),
                    format!("parameter `{}` does not appear in the address: it is ignored", p.name),
                );
            }
        }
        let mut scope = Scope::new();
        let mut out = Vec::new();
        for name in names_in_address {
            let field = names::snake_or(&name, "param");
            if let Err(c) = scope.claim(&field, &origin, &format!("parameter `{name}`")) {
                self.error(
                    origin.clone(),
                    format!(
                        "parameters `{name}` and {} both become the field `{field}`",
                        c.first.1.trim_start_matches("parameter ")
                    ),
                );
            }
            let def = def.parameters.iter().find(|p| p.name == name);
            out.push(Param {
                name: name.clone(),
                field,
                description: def.and_then(|d| d.description.clone()),
                allowed: def.map(|d| d.allowed.clone()).unwrap_or_default(),
                default: def.and_then(|d| d.default.clone()),
                examples: def.map(|d| d.examples.clone()).unwrap_or_default(),
            });
        }
        out
    }

    fn push_message(&mut self, cb: &mut ChannelBuild, def: MessageDef) -> MessageId {
        let spec = self.spec;
        let content_type = def
            .content_type
            .clone()
            .or_else(|| spec.default_content_type.clone())
            .unwrap_or_else(|| "application/json".to_owned());
        let binary = !is_json(&content_type);
        let skipped = def.foreign_format.is_some();
        if let Some((format, node)) = &def.foreign_format {
            self.foreign_format(&def.key, format, node);
        }
        let payload = match (&def.payload, binary) {
            (Some(p), false) => Some(self.types.schema(p, 0)),
            _ => None,
        };
        let variant = names::pascal_or(def.name.as_deref().unwrap_or(&def.key), "Message");
        let message = Message {
            key: def.key.clone(),
            name: def.name.clone(),
            variant,
            tag_value: None,
            tag_values: Vec::new(),
            payload,
            title: def.title.clone(),
            summary: def.summary.clone(),
            description: def.description.clone(),
            deprecated: def.deprecated,
            content_type,
            binary,
            examples: def.examples.clone(),
            correlation_id: def.correlation_id.clone(),
            origin: spec.location(&def.node),
        };
        cb.messages.push(Msg { def, message, skipped });
        cb.messages.len() - 1
    }

    /// A message whose payload `schemaFormat` is not JSON Schema (Avro, Protobuf, ...): a
    /// warning, the message is left out and the rest of the document generated; with
    /// [`IrOptions::strict`], an error.
    fn foreign_format(&mut self, key: &str, format: &str, node: &NodeRef) {
        let location = self.spec.location(node);
        let format = crate::error::Excerpt(format);
        if self.options.strict {
            self.error(
                location,
                format!("message `{key}` has the unsupported schemaFormat `{format}`: expected an AsyncAPI or JSON Schema format (application/vnd.aai.asyncapi, application/schema+json, application/schema+yaml); without `--strict` the message is skipped"),
            );
        } else {
            self.warn(
                location,
                format!("message `{key}` is skipped: its schemaFormat `{format}` is not an AsyncAPI or JSON Schema format; the rest of the document is generated (`--strict` makes this an error)"),
            );
        }
    }

    /// The channel an operation's `channel` chain names.
    fn find_channel(&self, chain: &[NodeRef]) -> Option<usize> {
        let spec = self.spec;
        spec.channels
            .iter()
            .position(|c| chain.contains(&c.entry))
            .or_else(|| spec.channels.iter().position(|c| chain.last() == Some(&c.node)))
    }

    /// The message of channel `cb` a `$ref` chain names, added to the channel when missing.
    fn find_message(&mut self, cb: &mut ChannelBuild, chain: &[NodeRef], op_key: &str) -> Option<MessageId> {
        if let Some(i) = cb.messages.iter().position(|m| chain.contains(&m.def.entry)) {
            return Some(i);
        }
        if let Some(i) = cb.messages.iter().position(|m| chain.last() == Some(&m.def.node)) {
            return Some(i);
        }
        let first = chain.first()?;
        let last = chain.last().unwrap_or(first);
        let key = last.segments().last().cloned().unwrap_or_else(|| op_key.to_owned());
        match self.spec.read_message(key, first.clone()) {
            Ok(def) => Some(self.push_message(cb, def)),
            Err(e) => {
                self.error(self.spec.location(first), e.to_string());
                None
            }
        }
    }

    fn operations(&mut self, builds: &mut [ChannelBuild]) {
        let spec = self.spec;
        for op in &spec.operations {
            let origin = spec.location(&op.node);
            let Some(ci) = self.find_channel(&op.channel) else {
                let at = op.channel.first().map(|n| spec.location(n)).unwrap_or_else(|| origin.clone());
                self.error(
                    at,
                    format!("operation `{}` refers to a channel that is not in `channels`", op.key),
                );
                continue;
            };
            let action = match (op.action.as_str(), self.options.role) {
                ("receive", Role::Server) | ("send", Role::Client) => Action::Receive,
                _ => Action::Send,
            };
            let cb = &mut builds[ci];
            let messages: Vec<MessageId> = match &op.messages {
                Some(list) => {
                    let mut out = Vec::new();
                    for chain in list {
                        let known = cb.messages.len();
                        if let Some(id) = self.find_message(cb, chain, &op.key) {
                            if id >= known {
                                self.warn(
                                    spec.location(&chain[0]),
                                    format!("operation `{}` uses a message that is not in its channel's `messages`: added to the channel", op.key),
                                );
                            }
                            if !out.contains(&id) {
                                out.push(id);
                            }
                        }
                    }
                    out
                }
                None => (0..cb.messages.len()).collect(),
            };
            let reply = op.reply.as_ref().map(|r| {
                let mut ids = Vec::new();
                match &r.messages {
                    Some(list) => {
                        for chain in list {
                            if let Some(id) = self.find_message(cb, chain, &op.key) {
                                if !ids.contains(&id) {
                                    ids.push(id);
                                }
                            }
                        }
                    }
                    None => {
                        // All messages of the reply channel (the operation's own when not given).
                        let other =
                            r.channel.as_deref().and_then(|c| self.find_channel(c)).filter(|o| *o != ci);
                        match other {
                            Some(o) => {
                                for m in &spec.channels[o].messages {
                                    if let Some(id) = self.find_message(cb, &m.chain, &op.key) {
                                        if !ids.contains(&id) {
                                            ids.push(id);
                                        }
                                    }
                                }
                            }
                            None => ids.extend(0..cb.messages.len()),
                        }
                    }
                }
                let enum_name =
                    (ids.len() > 1).then(|| format!("{}Reply", names::pascal_or(&op.key, "Operation")));
                Reply { messages: ids, enum_name }
            });
            let method = names::snake_or(&op.key, "operation");
            if let Err(c) = cb.methods.claim(&method, &origin, &format!("operation `{}`", op.key)) {
                self.error(
                    origin.clone(),
                    format!("operations `{}` and {} on one channel both become the method `{method}` (first at {})", op.key, c.first.1.trim_start_matches("operation "), c.first.0),
                );
            }
            let dir = if action == Action::Receive { &mut cb.client } else { &mut cb.server };
            for id in &messages {
                if !dir.contains(id) {
                    dir.push(*id);
                }
            }
            if let Some(r) = &reply {
                for id in &r.messages {
                    if !cb.server.contains(id) {
                        cb.server.push(*id);
                    }
                }
            }
            cb.operations.push(Operation {
                key: op.key.clone(),
                method,
                action,
                messages,
                reply,
                summary: op.summary.clone(),
                description: op.description.clone(),
                deprecated: op.deprecated,
                origin,
            });
        }
    }

    fn finish_channel(&mut self, ch: &mut Channel, mut cb: ChannelBuild) {
        drop_skipped(&mut cb);
        // Variant names are unique in the channel: a message whose `name` gives the same
        // variant as another message's uses its key instead.
        let from_name: Vec<String> = cb.messages.iter().map(|m| m.message.variant.clone()).collect();
        for m in &mut cb.messages {
            let clashes = from_name.iter().filter(|v| **v == m.message.variant).count() > 1;
            if clashes && m.message.name.is_some() {
                m.message.variant = names::pascal_or(&m.message.key, "Message");
            }
        }
        let mut variants = Scope::new();
        for m in &cb.messages {
            let what = format!("message `{}`", m.message.key);
            if let Err(c) = variants.claim(&m.message.variant, &m.message.origin, &what) {
                self.error(
                    m.message.origin.clone(),
                    format!(
                        "messages `{}` and {} on channel `{}` both become the variant `{}` (first at {}): expected message names that differ after PascalCase",
                        m.message.key,
                        c.first.1.trim_start_matches("message "),
                        ch.key,
                        c.name,
                        c.first.0
                    ),
                );
            }
        }
        // Items of the channel module.
        let mut items = Scope::new();
        let fixed = [
            "ClientMessage".to_owned(),
            "ServerMessage".to_owned(),
            format!("{}Client", ch.type_name),
            format!("{}Handler", ch.type_name),
            format!("{}Service", ch.type_name),
            format!("{}Params", ch.type_name),
            ch.type_name.clone(),
        ];
        for f in &fixed {
            let _ = items.claim(f, &ch.origin, "a generated item");
        }
        for op in &cb.operations {
            if let Some(name) = op.reply.as_ref().and_then(|r| r.enum_name.as_ref()) {
                if let Err(c) = items.claim(name, &op.origin, &format!("the reply of operation `{}`", op.key))
                {
                    self.error(
                        op.origin.clone(),
                        format!(
                            "the reply enum `{name}` of operation `{}` clashes with {} (at {})",
                            op.key, c.first.1, c.first.0
                        ),
                    );
                }
            }
        }
        ch.client = self.direction(ch, &mut cb, true);
        ch.server = self.direction(ch, &mut cb, false);
        ch.messages = cb.messages.into_iter().map(|m| m.message).collect();
        ch.operations = cb.operations;
    }

    fn direction(&mut self, ch: &Channel, cb: &mut ChannelBuild, client: bool) -> Direction {
        let mut ids = if client { cb.client.clone() } else { cb.server.clone() };
        ids.sort_unstable();
        let (binary, json): (Vec<MessageId>, Vec<MessageId>) =
            ids.into_iter().partition(|id| cb.messages[*id].message.binary);
        let side = if client { "client" } else { "server" };
        let all_have_payloads = json.iter().all(|id| cb.messages[*id].def.payload.is_some());
        let payloads: Vec<NodeRef> =
            json.iter().filter_map(|id| cb.messages[*id].def.payload.clone()).collect();
        let mut tag = Tagging::Untagged;
        if let Some(forced) = &self.options.tag {
            if !json.is_empty() {
                let values = self.tag_values(cb, &json, forced);
                for (id, v) in json.iter().zip(&values) {
                    if v.is_none() {
                        let m = &cb.messages[*id].message;
                        self.error(
                            m.origin.clone(),
                            format!("message `{}` ({side} side of channel `{}`) has no constant `{forced}` property: expected one (a string `const` or `enum`) since `--tag {forced}` was given", m.key, ch.key),
                        );
                    }
                }
                if values.iter().all(Option::is_some) {
                    tag = Tagging::Field(forced.clone());
                }
            }
        } else if !json.is_empty() && all_have_payloads {
            let candidates = self.types.common_tag_props(&payloads);
            if candidates.first().is_some_and(|c| c == "action") {
                // The protocol's own tag: duplicates are reported below.
                tag = Tagging::Field("action".to_owned());
            } else {
                for (rank, p) in candidates.into_iter().enumerate() {
                    let values = self.tag_values(cb, &json, &p);
                    let dups = duplicates(cb, &json, &values);
                    if dups.is_empty() {
                        tag = Tagging::Field(p);
                        break;
                    }
                    if rank == 0 {
                        let errors = dups
                            .iter()
                            .map(|(a, b, value)| {
                                let (ma, mb) = (&cb.messages[*a].message, &cb.messages[*b].message);
                                Diagnostic {
                                    location: mb.origin.clone(),
                                    message: format!(
                                        "messages `{}` and `{}` ({side} side of channel `{}`) have the same `{p}` value \"{value}\" (first at {}): expected a unique value per message, so that `{p}` tells them apart (their shapes do not)",
                                        ma.key, mb.key, ch.key, ma.origin
                                    ),
                                }
                            })
                            .collect();
                        self.tag_duplicates.insert((ch.key.clone(), client), errors);
                    }
                    for (a, b, value) in dups {
                        let (ma, mb) = (&cb.messages[a].message, &cb.messages[b].message);
                        let message = format!(
                            "`{p}` is not used as the tag on the {side} side of channel `{}`: messages `{}` and `{}` both have the value \"{value}\"",
                            ch.key, ma.key, mb.key
                        );
                        self.warn(mb.origin.clone(), message);
                    }
                }
            }
        }
        match &tag {
            Tagging::Field(p) => {
                let values = self.tag_values(cb, &json, p);
                for (a, b, value) in duplicates(cb, &json, &values) {
                    let (ma, mb) = (&cb.messages[a].message, &cb.messages[b].message);
                    self.errors.push(Diagnostic {
                        location: mb.origin.clone(),
                        message: format!(
                            "messages `{}` and `{}` ({side} side of channel `{}`) have the same `{p}` value \"{value}\" (first at {}): expected a unique value per message",
                            ma.key, mb.key, ch.key, ma.origin
                        ),
                    });
                }
                for (id, v) in json.iter().zip(values) {
                    let m = &mut cb.messages[*id].message;
                    // A message in both directions keeps the first values found (they agree).
                    if m.tag_values.is_empty() {
                        m.tag_values = v.unwrap_or_default();
                        m.tag_value = m.tag_values.first().cloned();
                    }
                }
            }
            Tagging::Untagged if json.len() > 1 => {
                let pref = TAG_PREFERENCE[..4].join("`, `");
                self.warn(
                    ch.origin.clone(),
                    format!("no tag property on the {side} side of channel `{}`: no property (`{pref}`, ...) is a string `const` or `enum` in every message with values of its own; messages are told apart by shape (see the guide)", ch.key),
                );
            }
            Tagging::Untagged => {}
        }
        Direction { tag, messages: json, binary }
    }

    /// Refuses the untagged directions whose messages cannot be told apart by shape: the
    /// duplicate tag values that prevented a tag, where there were some, else every pair found.
    fn refuse_ambiguous(&mut self, channels: &[Channel], types: &[super::TypeDef]) {
        if self.options.tag.is_some() {
            return; // every direction is tagged, or a missing tag was reported already
        }
        let mut reported: Vec<(usize, bool)> = Vec::new();
        for (ci, client, d) in super::untagged::ambiguous_messages(channels, types) {
            match self.tag_duplicates.get(&(channels[ci].key.clone(), client)) {
                Some(dups) if !reported.contains(&(ci, client)) => {
                    self.errors.extend(dups.iter().cloned());
                    reported.push((ci, client));
                }
                Some(_) => {}
                None => self.errors.push(d),
            }
        }
    }

    /// The values of the tag property `prop` of each message of `ids`.
    fn tag_values(&mut self, cb: &ChannelBuild, ids: &[MessageId], prop: &str) -> Vec<Option<Vec<String>>> {
        ids.iter()
            .map(|id| cb.messages[*id].def.payload.clone().and_then(|p| self.types.tag_values(&p, prop)))
            .collect()
    }
}

/// Pairs (first, second, value) of distinct messages that claim the same tag value.
fn duplicates(
    cb: &ChannelBuild,
    ids: &[MessageId],
    values: &[Option<Vec<String>>],
) -> Vec<(MessageId, MessageId, String)> {
    let mut seen: BTreeMap<&str, MessageId> = BTreeMap::new();
    let mut out = Vec::new();
    let node = |id: MessageId| &cb.messages[id].def.node;
    for (id, v) in ids.iter().zip(values) {
        for value in v.iter().flatten() {
            match seen.get(value.as_str()) {
                Some(first) if node(*first) != node(*id) => out.push((*first, *id, value.clone())),
                Some(_) => {}
                None => {
                    seen.insert(value, *id);
                }
            }
        }
    }
    out
}

/// A message that owns several tag values keeps the tag property in its payload struct (the
/// decoded value says which value came): the field is required there, since a frame routed to
/// the message always has it.
fn require_tag_fields(channels: &[Channel], types: &mut [super::TypeDef]) {
    for ch in channels {
        for dir in [&ch.client, &ch.server] {
            let Tagging::Field(tag) = &dir.tag else { continue };
            for m in dir.messages.iter().filter_map(|id| ch.messages.get(*id)) {
                let Some(super::Schema::Named { id, .. }) = &m.payload else { continue };
                if m.tag_values.len() < 2 {
                    continue;
                }
                if let Some(super::TypeKind::Struct(s)) = types.get_mut(*id).map(|t| &mut t.kind) {
                    s.fields.iter_mut().filter(|f| f.wire == *tag).for_each(|f| f.required = true);
                }
            }
        }
    }
}

/// Removes the skipped messages of a channel and renumbers the rest, in directions and
/// operations alike.
fn drop_skipped(cb: &mut ChannelBuild) {
    if cb.messages.iter().all(|m| !m.skipped) {
        return;
    }
    let mut new_id: Vec<Option<MessageId>> = Vec::with_capacity(cb.messages.len());
    let mut next = 0;
    for m in &cb.messages {
        new_id.push((!m.skipped).then(|| {
            next += 1;
            next - 1
        }));
    }
    let remap = |ids: &mut Vec<MessageId>| *ids = ids.iter().filter_map(|id| new_id[*id]).collect();
    remap(&mut cb.client);
    remap(&mut cb.server);
    for op in &mut cb.operations {
        remap(&mut op.messages);
        if let Some(r) = &mut op.reply {
            remap(&mut r.messages);
            if r.messages.len() < 2 {
                r.enum_name = None;
            }
        }
    }
    cb.messages.retain(|m| !m.skipped);
}

#[cfg(test)]
mod portable_tests {
    use super::*;

    #[test]
    fn origins_are_relative_to_the_root_folder() {
        let rel = |base: &str, path: &str| relative_to(Path::new(base), Path::new(path));
        assert_eq!(rel("/work/specs", "/work/specs/chat.yaml"), "chat.yaml");
        assert_eq!(rel("/work/specs", "/work/specs/common/user.yaml"), "common/user.yaml");
        assert_eq!(rel("/a/sm/backend", "/a/sm/common/messages.yaml"), "../common/messages.yaml");
        assert_eq!(rel("", "chat.yaml"), "chat.yaml");
        assert_eq!(rel("specs", "specs/common.yaml"), "common.yaml");
    }
}

//! AsyncAPI 2.0–2.6 documents read into the same model as 3.x, as the official converter
//! (`@asyncapi/converter`, 2.6 → 3.0, application point of view) maps them:
//!
//! - a channel's key is its address; its key in the model is `x-channelId` when given, else
//!   the address;
//! - `publish` (what the application receives: the client sends it) is a `receive` operation,
//!   `subscribe` (what the application sends) a `send` one, in that order; an operation's key is
//!   its `operationId`, else `<channel>.publish` / `<channel>.subscribe`;
//! - the messages of both operations (`message`, or each item of `message.oneOf`) are the
//!   channel's messages, one entry per message object: a message both operations use is listed
//!   once. A message's key is its `messageId`; else, for a `$ref` to `components/messages/NAME`
//!   (or to a top-level `NAME` of another file), `NAME`; else the converter's
//!   `<kind>.message` / `<kind>.message.<i>` (`kind`: the operation key's last `.` segment);
//! - a parameter's `schema` gives its `enum`, `default` and `examples` (and its `description`
//!   when the parameter has none);
//! - a server's `url` is split into `host` and `pathname` (its scheme is the protocol when
//!   `protocol` is missing).
//!
//! Every node stays a node of the 2.x document, so every problem is reported at the 2.x
//! document's own pointer and line. Traits are merged as everywhere else (the object's own
//! fields win): that is what the converted 3.0 document, which keeps the traits, means.

use serde_json::Value;

use super::{ChannelDef, MessageDef, NodeRef, OperationDef, ParamDef, ServerDef, Spec, scalar_text, str_of};
use crate::error::Result;

/// True for the `asyncapi` versions read here: `2.0.x` to `2.6.x`.
pub(super) fn is_v2(asyncapi: &str) -> bool {
    let mut parts = asyncapi.split('.');
    let (major, minor) = (parts.next(), parts.next().and_then(|m| m.parse::<u32>().ok()));
    major == Some("2") && minor.is_some_and(|m| m <= 6) && parts.next().is_some_and(|p| !p.is_empty())
}

/// The two 2.x operation fields of a channel, in the order they are read.
const KINDS: [(&str, &str); 2] = [("publish", "receive"), ("subscribe", "send")];

impl Spec {
    /// Reads `servers`, `channels` and the operations inside them.
    pub(super) fn read_v2(&mut self) -> Result<()> {
        let root = NodeRef::root(0);
        let mut servers = Vec::new();
        for (key, node) in self.entries(&root, "servers", "`servers`")? {
            servers.push(self.read_server_v2(key, &node)?);
        }
        self.servers = servers;
        let mut channels = Vec::new();
        let mut operations = Vec::new();
        for (address, entry) in self.entries(&root, "channels", "`channels`")? {
            let (channel, ops) = self.read_channel_v2(address, entry)?;
            channels.push(channel);
            operations.extend(ops);
        }
        self.channels = channels;
        self.operations = operations;
        Ok(())
    }

    fn read_server_v2(&self, key: String, node: &NodeRef) -> Result<ServerDef> {
        let (n, m) = self.object(node, "a server")?;
        let url = m.get("url").and_then(Value::as_str).unwrap_or_default();
        let (scheme, rest) = match url.split_once("://") {
            Some((scheme, rest)) => (Some(scheme), rest),
            None => (None, url),
        };
        let (host, pathname) = match rest.split_once('/') {
            Some((host, path)) => (host.to_owned(), Some(format!("/{path}"))),
            None => (rest.to_owned(), None),
        };
        let protocol = m.get("protocol").and_then(Value::as_str).or(scheme).unwrap_or_default();
        Ok(ServerDef {
            key,
            host,
            protocol: protocol.to_owned(),
            pathname,
            description: m.get("description").and_then(Value::as_str).map(str::to_owned),
            node: n,
        })
    }

    fn read_channel_v2(&self, address: String, entry: NodeRef) -> Result<(ChannelDef, Vec<OperationDef>)> {
        let (node, map) = self.object(&entry, "a channel")?;
        let key =
            map.get("x-channelId").and_then(Value::as_str).map_or_else(|| address.clone(), str::to_owned);
        let description = map.get("description").and_then(Value::as_str).map(str::to_owned);
        let mut parameters = Vec::new();
        for (name, p) in self.entries(&node, "parameters", "`parameters`")? {
            parameters.push(self.read_parameter_v2(name, &p)?);
        }
        let mut messages = Vec::new();
        let mut operations = Vec::new();
        for (kind, action) in KINDS {
            let op_entry = node.child(kind);
            if self.value(&op_entry).is_none_or(Value::is_null) {
                continue;
            }
            let (op_node, _) = self.object(&op_entry, "an operation")?;
            let (merged, provider) = self.merge_traits(&op_node, "operation trait")?;
            let op_key = match merged.get("operationId") {
                Some(Value::String(id)) => id.clone(),
                _ => format!("{key}.{kind}"),
            };
            let chains = match provider.get("message") {
                Some(m) => Some(self.operation_messages_v2(m, &op_key, &mut messages)?),
                None => None,
            };
            let text = |k: &str| merged.get(k).and_then(Value::as_str).map(str::to_owned);
            operations.push(OperationDef {
                key: op_key,
                node: op_node,
                action: action.to_owned(),
                channel: vec![entry.clone()],
                messages: chains,
                reply: None,
                summary: text("summary"),
                description: text("description"),
                deprecated: merged.get("deprecated").and_then(Value::as_bool).unwrap_or(false),
            });
        }
        let channel = ChannelDef {
            key,
            entry,
            node,
            address: Some(address),
            title: None,
            summary: None,
            description,
            parameters,
            messages,
        };
        Ok((channel, operations))
    }

    /// A 2.x parameter: `description`, and the `enum`, `default` and `examples` of its `schema`.
    fn read_parameter_v2(&self, name: String, p: &NodeRef) -> Result<ParamDef> {
        let (pn, pm) = self.object(p, "a parameter")?;
        let schema = match pm.get("schema") {
            Some(_) => Some(self.object(&pn.child("schema"), "a parameter schema")?.1),
            None => None,
        };
        let list = |k: &str| -> Vec<String> {
            schema
                .and_then(|s| s.get(k))
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(scalar_text).collect())
                .unwrap_or_default()
        };
        let description = pm
            .get("description")
            .or_else(|| schema.and_then(|s| s.get("description")))
            .and_then(Value::as_str)
            .map(str::to_owned);
        Ok(ParamDef {
            name,
            description,
            allowed: list("enum"),
            default: schema.and_then(|s| s.get("default")).and_then(scalar_text),
            examples: list("examples"),
            node: pn,
        })
    }

    /// The messages of an operation's `message` (one, or each item of `oneOf`), added to the
    /// channel's `messages` unless already there; their `$ref` chains, for the operation.
    fn operation_messages_v2(
        &self,
        message: &NodeRef,
        op_key: &str,
        messages: &mut Vec<MessageDef>,
    ) -> Result<Vec<Vec<NodeRef>>> {
        let (resolved, value) = self.resolve(message)?;
        let items: Vec<(NodeRef, Option<usize>)> = match value.get("oneOf") {
            Some(Value::Array(list)) => {
                let one_of = resolved.child("oneOf");
                (0..list.len()).map(|i| (one_of.child(&i.to_string()), Some(i))).collect()
            }
            Some(other) => return Err(self.shape(&resolved.child("oneOf"), "a list of messages", other)),
            None => vec![(message.clone(), None)],
        };
        let mut out = Vec::new();
        for (entry, index) in items {
            let chain = self.ref_chain(&entry)?;
            if let Some(known) = messages.iter().find(|m| chain.last() == Some(&m.node)) {
                out.push(known.chain.clone());
                continue;
            }
            let key = self.message_key_v2(&chain, op_key, index, messages);
            let def = self.read_message(key, entry)?;
            out.push(def.chain.clone());
            messages.push(def);
        }
        Ok(out)
    }

    /// The key of a message in its channel (see the module docs), unique in the channel.
    fn message_key_v2(
        &self,
        chain: &[NodeRef],
        op_key: &str,
        index: Option<usize>,
        messages: &[MessageDef],
    ) -> String {
        let target = chain.last().and_then(|n| self.value(n));
        let own = target.and_then(|v| str_of(v, "messageId"));
        let named = chain.get(1).and_then(|n| {
            let segments = n.segments();
            match segments.as_slice() {
                [c, m, name] if c == "components" && m == "messages" => Some(name.clone()),
                [name] if n.doc != 0 => Some(name.clone()),
                _ => None,
            }
        });
        let kind = op_key.rsplit('.').next().unwrap_or(op_key);
        let generated = match index {
            Some(i) => format!("{kind}.message.{i}"),
            None => format!("{kind}.message"),
        };
        let taken = |k: &str| messages.iter().any(|m| m.key == k);
        if let Some(key) = own.into_iter().chain(named).chain([generated.clone()]).find(|k| !taken(k)) {
            return key;
        }
        (2..).map(|n| format!("{generated}.{n}")).find(|k| !taken(k)).unwrap_or(generated)
    }
}

impl Spec {
    /// For a node inside a 2.x operation's inline message (`/channels/<address>/publish/message`
    /// or `.../message/oneOf/<i>`, then anything below): the channel's key, the message's key
    /// and how many leading pointer segments stand for that message. The same node sits at
    /// `/channels/<channel>/messages/<message>/...` in the 3.0 form of the document, so the types
    /// written inside it get the names that form would give them.
    pub fn v2_message_place(&self, node: &NodeRef) -> Option<(String, String, usize)> {
        if node.doc != 0 || !is_v2(&self.asyncapi) {
            return None;
        }
        let segments = node.segments();
        let (channel, kind) = match segments.as_slice() {
            [c, channel, kind, m, ..] if c == "channels" && m == "message" => (channel, kind),
            _ => return None,
        };
        if kind != "publish" && kind != "subscribe" {
            return None;
        }
        let len = if segments.get(4).is_some_and(|s| s == "oneOf") && segments.len() > 5 { 6 } else { 4 };
        let entry = NodeRef::root(0).child("channels").child(channel);
        let prefix = segments[2..len].iter().fold(entry.clone(), |n, s| n.child(s));
        let def = self.channels.iter().find(|c| c.entry == entry)?;
        let message = def.messages.iter().find(|m| m.entry == prefix)?;
        Some((def.key.clone(), message.key.clone(), len))
    }
}

#[cfg(test)]
mod tests {
    use super::is_v2;
    use crate::parse::Spec;

    #[test]
    fn server_urls_become_host_pathname_and_protocol() {
        let yaml = "asyncapi: 2.3.0\ninfo: {title: t, version: '1'}\nchannels: {}\nservers:\n  \
                    a: {url: 'ws://127.0.0.1:8000/ws/v1', protocol: ws}\n  \
                    b: {url: 'api.example.com:{port}', protocol: wss}\n  \
                    c: {url: 'wss://api.example.com', protocol: secure-websocket}\n";
        let spec = Spec::from_text("servers.yaml", yaml).unwrap_or_else(|e| panic!("{e}"));
        let got: Vec<(&str, Option<&str>, &str)> = spec
            .servers
            .iter()
            .map(|s| (s.host.as_str(), s.pathname.as_deref(), s.protocol.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("127.0.0.1:8000", Some("/ws/v1"), "ws"),
                ("api.example.com:{port}", None, "wss"),
                ("api.example.com", None, "secure-websocket"),
            ]
        );
    }

    #[test]
    fn versions_read_as_2x() {
        for v in ["2.0.0", "2.1.0", "2.2.0", "2.3.0", "2.4.0", "2.5.0", "2.6.0", "2.6.1"] {
            assert!(is_v2(v), "{v}");
        }
        for v in ["2.7.0", "2", "2.6", "2.x.0", "1.2.0", "3.0.0", "2.6."] {
            assert!(!is_v2(v), "{v}");
        }
    }
}

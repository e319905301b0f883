//! Comparing two documents above the schemas: channels (addresses, parameters, tags), the
//! messages of each channel (who sends them, tag values, content types, docs, payloads) and
//! operations (replies). Messages are matched by key, then by tag value, so renaming a key
//! whose wire tag stays the same is no change on the wire.

use super::schema::{At, Compare, Finding};
use super::{Change, Effect, Flow, Verdict, Words};
use crate::ir::{Action, Channel, Ir, Message, MessageId, Operation, Schema, Tagging};
use crate::location::Location;

/// Every change from `old` to `new`.
pub(super) fn compare(old: &Ir, new: &Ir) -> Vec<Change> {
    let mut out = Out::default();
    info(&mut out, old, new);
    servers(&mut out, old, new);
    for o in &old.channels {
        match new.channels.iter().find(|n| n.key == o.key) {
            Some(n) => channel(&mut out, old, new, o, n),
            None => {
                let what = Words::new().t("channel ").c(&o.key).t(" removed");
                out.push(Some(o), None, Flow::Connect, Effect::Narrower, what, Some(o.origin.clone()), None);
            }
        }
    }
    for n in new.channels.iter().filter(|n| !old.channels.iter().any(|o| o.key == n.key)) {
        let what = Words::new().t("channel ").c(&n.key).t(" added");
        out.push(Some(n), None, Flow::Connect, Effect::Wider, what, None, Some(n.origin.clone()));
    }
    out.changes
}

#[derive(Default)]
struct Out {
    changes: Vec<Change>,
}

impl Out {
    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        channel: Option<&Channel>,
        message: Option<&str>,
        flow: Flow,
        effect: Effect,
        what: Words,
        old: Option<Location>,
        new: Option<Location>,
    ) {
        self.changes.push(Change {
            verdict: Verdict::of(effect, flow),
            effect,
            channel: channel.map(|c| c.key.clone()),
            message: message.map(str::to_owned),
            flow,
            path: String::new(),
            what,
            old,
            new,
        });
    }

    fn findings(&mut self, channel: &Channel, message: &str, flow: Flow, found: Vec<Finding>) {
        for f in found {
            self.changes.push(Change {
                verdict: Verdict::of(f.effect, flow),
                effect: f.effect,
                channel: Some(channel.key.clone()),
                message: Some(message.to_owned()),
                flow,
                path: f.path,
                what: f.what,
                old: f.old,
                new: f.new,
            });
        }
    }
}

fn sub(loc: &Location, segment: &str) -> Location {
    Location { file: loc.file.clone(), pointer: format!("{}/{segment}", loc.pointer), line: None }
}

/// A docs-only difference (`title`, `summary`, `description`): safe.
fn docs(label: &str, a: &Option<String>, b: &Option<String>) -> Option<Words> {
    (a != b).then(|| Words::new().t(format!("{label} changed (docs only)")))
}

/// A place in the root document (named, like every origin, relative to its own folder).
fn in_root(ir: &Ir, pointer: &str) -> Location {
    let name = std::path::Path::new(&ir.source_name).file_name().map(|n| n.to_string_lossy().into_owned());
    Location::new(name.unwrap_or_else(|| ir.source_name.clone()), pointer)
}

/// Servers, by key: a changed `protocol` or `pathname` changes where clients connect; hosts
/// and added or removed entries are deployment details.
fn servers(out: &mut Out, old: &Ir, new: &Ir) {
    let at =
        |ir: &Ir, key: &str| Some(in_root(ir, &format!("/servers/{}", crate::load::escape_segment(key))));
    for a in &old.servers {
        let Some(b) = new.servers.iter().find(|b| b.key == a.key) else {
            let what = Words::new().t("server ").c(&a.key).t(" removed");
            out.push(None, None, Flow::Connect, Effect::Neutral, what, at(old, &a.key), None);
            continue;
        };
        let mut say = |effect, what: Words| {
            out.push(None, None, Flow::Connect, effect, what, at(old, &a.key), at(new, &b.key))
        };
        let name = || Words::new().t("server ").c(&b.key).t(": ");
        if a.protocol != b.protocol {
            say(Effect::Incompatible, name().t("`protocol` ").c(&a.protocol).t(" → ").c(&b.protocol));
        }
        if a.pathname != b.pathname {
            let show = |p: &Option<String>| p.clone().unwrap_or_else(|| "none".into());
            say(
                Effect::Incompatible,
                name().t("`pathname` ").c(show(&a.pathname)).t(" → ").c(show(&b.pathname)),
            );
        }
        if a.host != b.host {
            say(Effect::Neutral, name().t("`host` ").c(&a.host).t(" → ").c(&b.host));
        }
        if a.description != b.description {
            say(Effect::Neutral, name().t("description changed (docs only)"));
        }
    }
    for b in new.servers.iter().filter(|b| !old.servers.iter().any(|a| a.key == b.key)) {
        let what = Words::new().t("server ").c(&b.key).t(" added");
        out.push(None, None, Flow::Connect, Effect::Neutral, what, None, at(new, &b.key));
    }
}

fn info(out: &mut Out, old: &Ir, new: &Ir) {
    let at = |ir: &Ir| in_root(ir, "/info");
    let mut say =
        |what: Words| out.push(None, None, Flow::Unused, Effect::Neutral, what, Some(at(old)), Some(at(new)));
    if old.info.title != new.info.title {
        say(Words::new().t("`info.title` changed (docs only)"));
    }
    if old.info.description != new.info.description {
        say(Words::new().t("`info.description` changed (docs only)"));
    }
    if old.info.version != new.info.version {
        say(Words::new().t("`info.version` ").c(&old.info.version).t(" → ").c(&new.info.version));
    }
}

/// `/ws/rooms/{roomId}` → `/ws/rooms/{}`: what the address matches, without parameter names.
fn address_shape(address: &str) -> String {
    let mut out = String::new();
    let mut rest = address;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else { break };
        out.push_str(&rest[..open]);
        out.push_str("{}");
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    out
}

fn channel(out: &mut Out, old: &Ir, new: &Ir, o: &Channel, n: &Channel) {
    let (ol, nl) = (Some(o.origin.clone()), Some(n.origin.clone()));
    let mut say = |effect: Effect, what: Words, at: &str| {
        let loc = |l: &Location| Some(if at.is_empty() { l.clone() } else { sub(l, at) });
        out.push(Some(n), None, Flow::Connect, effect, what, loc(&o.origin), loc(&n.origin));
    };
    match (&o.address, &n.address) {
        (a, b) if a == b => {}
        (Some(a), Some(b)) if address_shape(a) == address_shape(b) => {
            say(
                Effect::Neutral,
                Words::new().t("address parameters renamed: ").c(a).t(" → ").c(b),
                "address",
            );
        }
        (a, b) => {
            let show = |x: &Option<String>| x.clone().unwrap_or_else(|| "none".into());
            say(Effect::Incompatible, Words::new().t("address ").c(show(a)).t(" → ").c(show(b)), "address");
        }
    }
    for (label, a, b) in [
        ("title", &o.title, &n.title),
        ("summary", &o.summary, &n.summary),
        ("description", &o.description, &n.description),
    ] {
        if let Some(what) = docs(label, a, b) {
            say(Effect::Neutral, what, label);
        }
    }
    params(out, o, n);
    tagging(out, o, n, &ol, &nl);
    messages(out, old, new, o, n);
    operations(out, o, n);
}

/// Address parameters, paired by position (a renamed parameter matches the same part of the
/// address): their `enum` values are something the client sends.
fn params(out: &mut Out, o: &Channel, n: &Channel) {
    for (i, (a, b)) in o.params.iter().zip(&n.params).enumerate() {
        let at = |l: &Location| Some(sub(&sub(l, "parameters"), &crate::load::escape_segment(&b.name)));
        let (ol, nl) = (at(&o.origin), at(&n.origin));
        let mut say =
            |effect, what| out.push(Some(n), None, Flow::Connect, effect, what, ol.clone(), nl.clone());
        let label = || Words::new().t(format!("parameter {} ", i + 1)).c(&b.name).t(": ");
        match (a.allowed.is_empty(), b.allowed.is_empty()) {
            (true, false) => say(Effect::Narrower, label().t("`enum` added")),
            (false, true) => say(Effect::Wider, label().t("`enum` removed")),
            _ => {
                for v in a.allowed.iter().filter(|v| !b.allowed.contains(v)) {
                    say(Effect::Narrower, label().t("value ").c(v).t(" removed"));
                }
                for v in b.allowed.iter().filter(|v| !a.allowed.contains(v)) {
                    say(Effect::Wider, label().t("value ").c(v).t(" added"));
                }
            }
        }
        if a.default != b.default {
            say(Effect::Neutral, label().t("`default` changed"));
        }
        if a.description != b.description || a.examples != b.examples {
            say(Effect::Neutral, label().t("description or examples changed (docs only)"));
        }
    }
}

/// How the messages of each direction are told apart.
fn tagging(out: &mut Out, o: &Channel, n: &Channel, ol: &Option<Location>, nl: &Option<Location>) {
    for (flow, a, b) in [
        (Flow::ClientToServer, &o.client.tag, &n.client.tag),
        (Flow::ServerToClient, &o.server.tag, &n.server.tag),
    ] {
        // Only a renamed tag property is judged here; tagged ↔ untagged follows from the
        // messages themselves (their payloads are compared one by one).
        if let (Tagging::Field(x), Tagging::Field(y)) = (a, b) {
            if x != y {
                let what = Words::new().t("messages told apart by ").c(x).t(" → ").c(y);
                out.push(Some(n), None, flow, Effect::Incompatible, what, ol.clone(), nl.clone());
            }
        }
    }
}

/// Who sends message `id` of channel `c`: (the client, the server).
fn senders(c: &Channel, id: MessageId) -> (bool, bool) {
    let has = |d: &crate::ir::Direction| d.messages.contains(&id) || d.binary.contains(&id);
    (has(&c.client), has(&c.server))
}

/// Pairs the channels' messages: by key, then what is left by tag value.
fn pair_messages(o: &Channel, n: &Channel) -> (Vec<(usize, usize)>, Vec<usize>, Vec<usize>) {
    let mut taken = vec![false; n.messages.len()];
    let mut pairs = Vec::new();
    let mut left = Vec::new();
    for (i, m) in o.messages.iter().enumerate() {
        match n.messages.iter().position(|x| x.key == m.key) {
            Some(j) => {
                taken[j] = true;
                pairs.push((i, j));
            }
            None => left.push(i),
        }
    }
    let mut removed = Vec::new();
    for i in left {
        let m = &o.messages[i];
        let found = (0..n.messages.len()).find(|&j| {
            !taken[j]
                && m.tag_value.is_some()
                && n.messages[j].tag_value == m.tag_value
                && senders(o, i) == senders(n, j)
        });
        match found {
            Some(j) => {
                taken[j] = true;
                pairs.push((i, j));
            }
            None => removed.push(i),
        }
    }
    let added = (0..n.messages.len()).filter(|&j| !taken[j]).collect();
    (pairs, removed, added)
}

fn messages(out: &mut Out, old: &Ir, new: &Ir, o: &Channel, n: &Channel) {
    let (pairs, removed, added) = pair_messages(o, n);
    for (i, j) in pairs {
        let (a, b) = (&o.messages[i], &n.messages[j]);
        let (oc, os) = senders(o, i);
        let (nc, ns) = senders(n, j);
        let (ol, nl) = (Some(a.origin.clone()), Some(b.origin.clone()));
        let mut say = |flow, effect, what: Words| {
            out.push(Some(n), Some(&b.key), flow, effect, what, ol.clone(), nl.clone())
        };
        for (flow, was, is) in [(Flow::ClientToServer, oc, nc), (Flow::ServerToClient, os, ns)] {
            match (was, is) {
                (true, false) => {
                    say(flow, Effect::Narrower, Words::new().t(format!("no longer sent {}", flow.as_str())))
                }
                (false, true) => {
                    say(flow, Effect::Wider, Words::new().t(format!("now sent {}", flow.as_str())))
                }
                _ => {}
            }
        }
        if a.key != b.key {
            say(Flow::Unused, Effect::Neutral, Words::new().t("message key ").c(&a.key).t(" → ").c(&b.key));
        }
        let flow = Flow::of(oc && nc, os && ns);
        message(out, old, new, n, (a, b), flow);
    }
    for i in removed {
        let m = &o.messages[i];
        let (c, s) = senders(o, i);
        let effect = if c || s { Effect::Narrower } else { Effect::Neutral };
        let what = Words::new().t("message ").c(&m.key).t(" removed");
        out.push(Some(n), Some(&m.key), Flow::of(c, s), effect, what, Some(m.origin.clone()), None);
    }
    for j in added {
        let m = &n.messages[j];
        let (c, s) = senders(n, j);
        let effect = if c || s { Effect::Wider } else { Effect::Neutral };
        let what = Words::new().t("message ").c(&m.key).t(" added");
        out.push(Some(n), Some(&m.key), Flow::of(c, s), effect, what, None, Some(m.origin.clone()));
    }
}

/// One message present in both versions, travelling `flow` in both.
fn message(out: &mut Out, old: &Ir, new: &Ir, channel: &Channel, (a, b): (&Message, &Message), flow: Flow) {
    let (ol, nl) = (Some(a.origin.clone()), Some(b.origin.clone()));
    let mut say = |effect, what: Words, at: &str| {
        let loc =
            |l: &Option<Location>| l.as_ref().map(|l| if at.is_empty() { l.clone() } else { sub(l, at) });
        out.push(Some(channel), Some(&b.key), flow, effect, what, loc(&ol), loc(&nl));
    };
    // A message in no direction has no tag value: only two values are compared.
    if let (Some(x), Some(y)) = (&a.tag_value, &b.tag_value) {
        if x != y {
            say(Effect::Incompatible, Words::new().t("tag value ").c(x).t(" → ").c(y), "");
        }
    }
    if a.binary != b.binary || a.content_type != b.content_type {
        let what = Words::new().t("content type ").c(&a.content_type).t(" → ").c(&b.content_type);
        say(Effect::Incompatible, what, "contentType");
    }
    if a.correlation_id != b.correlation_id {
        let show = |t: &Option<String>| t.clone().unwrap_or_else(|| "none".into());
        let what =
            Words::new().t("`correlationId` ").c(show(&a.correlation_id)).t(" → ").c(show(&b.correlation_id));
        say(Effect::Incompatible, what, "correlationId");
    }
    for (label, x, y) in [
        ("name", &a.name, &b.name),
        ("title", &a.title, &b.title),
        ("summary", &a.summary, &b.summary),
        ("description", &a.description, &b.description),
    ] {
        if let Some(what) = docs(label, x, y) {
            say(Effect::Neutral, what, label);
        }
    }
    if a.examples != b.examples {
        say(Effect::Neutral, Words::new().t("examples changed (docs only)"), "examples");
    }
    if a.deprecated != b.deprecated {
        let what = if b.deprecated { "now deprecated" } else { "no longer deprecated" };
        say(Effect::Neutral, Words::new().t(what), "deprecated");
    }
    let mut cmp = Compare::new(old, new);
    let any = Schema::Any;
    let at = At::new(sub(&a.origin, "payload"), sub(&b.origin, "payload"));
    cmp.schema(&at, a.payload.as_ref().unwrap_or(&any), b.payload.as_ref().unwrap_or(&any));
    out.findings(channel, &b.key, flow, cmp.found);
}

/// The identity of a message on the wire: its tag value, else its key.
fn wire_id(c: &Channel, id: MessageId) -> Option<String> {
    let m = c.messages.get(id)?;
    Some(m.tag_value.clone().unwrap_or_else(|| m.key.clone()))
}

fn operation_ids(c: &Channel, op: &Operation) -> Vec<Option<String>> {
    let mut ids: Vec<Option<String>> = op.messages.iter().map(|&m| wire_id(c, m)).collect();
    ids.sort();
    ids
}

/// Operations paired by key, else by action and messages; their replies are compared (the
/// messages themselves are compared once, per channel).
fn operations(out: &mut Out, o: &Channel, n: &Channel) {
    let mut taken = vec![false; n.operations.len()];
    for a in &o.operations {
        let found = n.operations.iter().position(|b| b.key == a.key).or_else(|| {
            (0..n.operations.len()).find(|&j| {
                let b = &n.operations[j];
                !taken[j] && b.action == a.action && operation_ids(n, b) == operation_ids(o, a)
            })
        });
        match found {
            Some(j) => {
                taken[j] = true;
                operation(out, o, n, a, &n.operations[j]);
            }
            None => {
                let what = Words::new()
                    .t("operation ")
                    .c(&a.key)
                    .t(" removed (its messages are compared on their own)");
                out.push(Some(n), None, op_flow(a), Effect::Neutral, what, Some(a.origin.clone()), None);
            }
        }
    }
    for (_, b) in n.operations.iter().enumerate().filter(|(j, _)| !taken[*j]) {
        let what =
            Words::new().t("operation ").c(&b.key).t(" added (its messages are compared on their own)");
        out.push(Some(n), None, op_flow(b), Effect::Neutral, what, None, Some(b.origin.clone()));
    }
}

/// The direction of an operation's messages.
fn op_flow(op: &Operation) -> Flow {
    match op.action {
        Action::Receive => Flow::ClientToServer,
        Action::Send => Flow::ServerToClient,
    }
}

fn operation(out: &mut Out, o: &Channel, n: &Channel, a: &Operation, b: &Operation) {
    let (ol, nl) = (Some(a.origin.clone()), Some(b.origin.clone()));
    let docs_flow = op_flow(b);
    let mut say = |flow, effect, what: Words, at: &str| {
        let loc =
            |l: &Option<Location>| l.as_ref().map(|l| if at.is_empty() { l.clone() } else { sub(l, at) });
        out.push(Some(n), None, flow, effect, what, loc(&ol), loc(&nl));
    };
    let name = || Words::new().t("operation ").c(&b.key).t(": ");
    if a.key != b.key {
        say(docs_flow, Effect::Neutral, name().t("renamed from ").c(&a.key), "");
    }
    if a.action != b.action {
        say(
            docs_flow,
            Effect::Neutral,
            name().t("action changed (its messages changed direction)"),
            "action",
        );
    }
    for (label, x, y) in
        [("summary", &a.summary, &b.summary), ("description", &a.description, &b.description)]
    {
        if let Some(what) = docs(label, x, y) {
            say(docs_flow, Effect::Neutral, name().join(what), label);
        }
    }
    if a.deprecated != b.deprecated {
        let what = if b.deprecated { "now deprecated" } else { "no longer deprecated" };
        say(docs_flow, Effect::Neutral, name().t(what), "deprecated");
    }
    // A reply is the server's answer: removing it leaves deployed clients waiting (like a
    // required field that may now be missing); adding one makes new clients wait for an answer
    // deployed servers never send.
    let flow = Flow::ServerToClient;
    match (&a.reply, &b.reply) {
        (Some(_), None) => {
            say(flow, Effect::Wider, name().t("reply removed: no answer is sent any more"), "reply")
        }
        (None, Some(_)) => {
            say(flow, Effect::Narrower, name().t("reply added: an answer is now expected"), "reply")
        }
        (Some(x), Some(y)) => {
            let ids =
                |c: &Channel, ms: &[MessageId]| ms.iter().filter_map(|&m| wire_id(c, m)).collect::<Vec<_>>();
            let (xa, yb) = (ids(o, &x.messages), ids(n, &y.messages));
            for m in xa.iter().filter(|m| !yb.contains(m)) {
                say(flow, Effect::Narrower, name().t("reply ").c(m).t(" no longer sent"), "reply");
            }
            for m in yb.iter().filter(|m| !xa.contains(m)) {
                say(flow, Effect::Wider, name().t("reply ").c(m).t(" may now be sent"), "reply");
            }
        }
        (None, None) => {}
    }
}

//! HTML documentation emitter: `&Ir` → one self-contained page (inline CSS, a few lines of
//! inline JS for the filter box, no network). Renders `templates/docs/page.html`.
//!
//! A spec is untrusted and the page is served to browsers, so the template escapes nothing on
//! its own: every value it prints is typed by the context it lands in (`markup`: element
//! content, attribute value, fragment id), and each is made through [`crate::escape::html`].
//! The page grows linearly with the spec: each type is rendered once in its own section and
//! linked from its uses (`schema`), and each example has a fixed budget (`example`).

mod example;
mod markup;
mod schema;

use std::collections::BTreeMap;
use std::fmt::Write as _;

use askama::Template;
use serde_json::Value;

use self::example::Synth;
use self::markup::{Attr, Html, Id, inline, paragraphs};
use self::schema::Types;
use crate::escape::html::{self, Ids};
use crate::ir::{Action, Channel, Ir, MessageId, Tagging, TypeKind};
use crate::location::Location;

const CSS: &str = include_str!("../../../templates/docs/page.css");

/// Fixed ids of the page template.
const TEMPLATE_IDS: [&str; 4] = ["filter", "servers", "channels", "types"];

/// Largest example from the spec shown as it is (in bytes of compact JSON).
const MAX_GIVEN_EXAMPLE: usize = 16 * 1024;

/// Renders the documentation page of a document.
pub fn emit_html(ir: &Ir) -> String {
    let mut ids = Ids::default();
    for id in TEMPLATE_IDS {
        ids.reserve(id);
    }
    let type_anchors: Vec<Id> =
        ir.types.iter().map(|t| Id::new(&mut ids, &format!("type-{}", t.name))).collect();
    let types = Types::new(ir, &type_anchors);
    let mut state = State { synth: Synth::new(ir), ids, first: BTreeMap::new() };

    let channels: Vec<ChannelView> =
        ir.channels.iter().map(|c| channel_view(&types, &mut state, c)).collect();
    let default_tag = ir
        .channels
        .iter()
        .find_map(|c| match &c.client.tag {
            Tagging::Field(f) => Some(f.as_str()),
            Tagging::Untagged => None,
        })
        .unwrap_or("action");

    let page = Page {
        css: CSS,
        title: Html::text(&ir.info.title),
        version: Html::text(&ir.info.version),
        asyncapi: Html::text(&ir.info.asyncapi),
        source: Html::text(&ir.source_name),
        description: ir.info.description.as_deref().map(paragraphs),
        servers: ir
            .servers
            .iter()
            .map(|s| ServerView {
                key: Html::text(&s.key),
                url: Html::text(&format!(
                    "{}://{}{}",
                    s.protocol,
                    s.host,
                    s.pathname.as_deref().unwrap_or("")
                )),
                description: s.description.as_deref().map(inline).unwrap_or_default(),
            })
            .collect(),
        channels,
        types: ir
            .types
            .iter()
            .enumerate()
            .map(|(id, t)| TypeView {
                name: Html::text(&t.name),
                filter: Attr::new(&t.name),
                anchor: type_anchors[id].clone(),
                kind: match &t.kind {
                    TypeKind::Struct(_) => "object",
                    TypeKind::StringEnum(_) => "string enum",
                    TypeKind::IntEnum(_) => "integer enum",
                    TypeKind::Union(u) if u.exclusive => "oneOf",
                    TypeKind::Union(_) => "anyOf",
                    TypeKind::Alias(_) => "alias",
                },
                deprecated: t.deprecated,
                description: t.description.as_deref().map(paragraphs),
                body: types.type_body(id),
            })
            .collect(),
        default_tag: Html::text(default_tag),
    };
    page.render().expect("the docs template only formats strings, which cannot fail")
}

/// The page. Every field is typed by its context; the template adds no escaping.
#[derive(Template)]
#[template(path = "docs/page.html", escape = "none")]
struct Page {
    css: &'static str,
    title: Html,
    version: Html,
    asyncapi: Html,
    source: Html,
    description: Option<Html>,
    servers: Vec<ServerView>,
    channels: Vec<ChannelView>,
    types: Vec<TypeView>,
    default_tag: Html,
}

struct ServerView {
    key: Html,
    url: Html,
    description: Html,
}

struct ChannelView {
    key: Html,
    anchor: Id,
    title: Option<Html>,
    address: Html,
    description: Option<Html>,
    tagging: Html,
    params: Vec<ParamView>,
    client_ops: Vec<Html>,
    server_ops: Vec<Html>,
    messages: Vec<MessageView>,
}

struct ParamView {
    name: Html,
    allowed: Html,
    description: Html,
}

struct MessageView {
    label: Html,
    filter: Attr,
    anchor: Id,
    tag: Html,
    direction: &'static str,
    dir_class: &'static str,
    deprecated: bool,
    content_type: Html,
    description: Option<Html>,
    replies: Html,
    fields: Html,
    example: Html,
    example_label: &'static str,
}

struct TypeView {
    name: Html,
    filter: Attr,
    anchor: Id,
    kind: &'static str,
    deprecated: bool,
    description: Option<Html>,
    body: Html,
}

// ------------------------------------------------------------------------------- channels

/// What rendering one channel leaves for the next.
struct State<'a> {
    synth: Synth<'a>,
    ids: Ids,
    /// Where each message definition was rendered first (a message `$ref`'d from several
    /// channels is rendered once; the others link to it): a link to that rendering.
    first: BTreeMap<&'a Location, String>,
}

fn channel_view<'a>(types: &Types<'a>, state: &mut State<'a>, c: &'a Channel) -> ChannelView {
    let anchor = Id::new(&mut state.ids, &format!("ch-{}", c.key));
    let msg_anchors: Vec<Id> =
        c.messages.iter().map(|m| Id::new(&mut state.ids, &format!("msg-{}-{}", c.key, m.key))).collect();
    let link = |id: MessageId| {
        format!("<a href=\"#{}\"><code>{}</code></a>", msg_anchors[id], html::text(&c.messages[id].key))
    };
    let links = |ids: &[MessageId], sep: &str| ids.iter().map(|&id| link(id)).collect::<Vec<_>>().join(sep);

    let address = match &c.address {
        Some(a) => highlight_params(a),
        None => Html::markup("<span class=\"empty\">no address</span>".into()),
    };
    let tagging = Html::text(&match (&c.client.tag, &c.server.tag) {
        (Tagging::Field(a), Tagging::Field(b)) if a == b => {
            format!("Frames are told apart by the \u{201c}{a}\u{201d} property.")
        }
        (a, b) => format!("Client frames: {}. Server frames: {}.", tag_text(a), tag_text(b)),
    });

    let mut client_ops = Vec::new();
    let mut server_ops = Vec::new();
    for op in &c.operations {
        let mut line = format!("<b>{}</b>", html::text(&op.key));
        if op.deprecated {
            line.push_str(" <span class=\"badge dep\">deprecated</span>");
        }
        let _ = write!(line, "<span class=\"arrow\">:</span>{}", links(&op.messages, ", "));
        if let Some(reply) = op.reply.as_ref().filter(|r| !r.messages.is_empty()) {
            let _ = write!(line, "<span class=\"arrow\">⟶ replies</span>{}", links(&reply.messages, " or "));
        }
        if let Some(s) = op.summary.as_deref().or(op.description.as_deref()).filter(|s| !s.trim().is_empty())
        {
            let _ = write!(line, " <span class=\"subtle\">— {}</span>", inline(s));
        }
        match op.action {
            Action::Receive => client_ops.push(Html::markup(line)),
            Action::Send => server_ops.push(Html::markup(line)),
        }
    }

    // Replies per message, from the receive operations.
    let mut replies_of: BTreeMap<MessageId, Vec<MessageId>> = BTreeMap::new();
    for op in &c.operations {
        if let (Action::Receive, Some(reply)) = (op.action, &op.reply) {
            for &m in &op.messages {
                let entry = replies_of.entry(m).or_default();
                for &r in &reply.messages {
                    if !entry.contains(&r) {
                        entry.push(r);
                    }
                }
            }
        }
    }

    let messages = message_order(c)
        .into_iter()
        .map(|id| {
            let replies = replies_of.get(&id).filter(|r| !r.is_empty()).map(|r| {
                format!(
                    "Request: the server replies with {}, echoing the frame\u{2019}s <code>ref</code>.",
                    links(r, " or ")
                )
            });
            message_view(
                types,
                state,
                c,
                id,
                msg_anchors[id].clone(),
                Html::markup(replies.unwrap_or_default()),
            )
        })
        .collect();

    ChannelView {
        key: Html::text(&c.key),
        anchor,
        title: c.title.as_deref().filter(|t| *t != c.key).or(c.summary.as_deref()).map(Html::text),
        address,
        description: c.description.as_deref().map(paragraphs),
        tagging,
        params: c
            .params
            .iter()
            .map(|p| {
                let code = |v: &str| format!("<code>{}</code>", html::text(v));
                let mut allowed = if p.allowed.is_empty() {
                    "<span class=\"opt\">any string</span>".to_string()
                } else {
                    p.allowed.iter().map(|v| code(v)).collect::<Vec<_>>().join(" ")
                };
                if let Some(d) = &p.default {
                    let _ = write!(allowed, " <span class=\"opt\">default {}</span>", code(d));
                }
                if !p.examples.is_empty() {
                    let examples = p.examples.iter().map(|e| code(e)).collect::<Vec<_>>().join(", ");
                    let _ = write!(allowed, " <span class=\"opt\">e.g. {examples}</span>");
                }
                ParamView {
                    name: Html::text(&p.name),
                    allowed: Html::markup(allowed),
                    description: p.description.as_deref().map(inline).unwrap_or_default(),
                }
            })
            .collect(),
        client_ops,
        server_ops,
        messages,
    }
}

/// Messages in the order client frames, server frames, then the rest (each once).
fn message_order(c: &Channel) -> Vec<MessageId> {
    let mut listed = vec![false; c.messages.len()];
    let mut order = Vec::with_capacity(c.messages.len());
    for id in c
        .client
        .messages
        .iter()
        .chain(&c.client.binary)
        .chain(&c.server.messages)
        .chain(&c.server.binary)
        .copied()
        .chain(0..c.messages.len())
    {
        if !std::mem::replace(&mut listed[id], true) {
            order.push(id);
        }
    }
    order
}

fn message_view<'a>(
    types: &Types<'a>,
    state: &mut State<'a>,
    c: &'a Channel,
    id: MessageId,
    anchor: Id,
    replies: Html,
) -> MessageView {
    let m = &c.messages[id];
    let first = state.first.get(&m.origin).cloned();
    if first.is_none() {
        let link = format!(
            "<a href=\"#{anchor}\"><code>{}</code></a> on channel <code>{}</code>",
            html::text(&m.key),
            html::text(&c.key)
        );
        state.first.insert(&m.origin, link);
    }
    let in_client = c.client.messages.contains(&id) || c.client.binary.contains(&id);
    let in_server = c.server.messages.contains(&id) || c.server.binary.contains(&id);
    let (direction, dir_class) = match (in_client, in_server, m.binary) {
        (true, true, _) => ("both ways", "both"),
        (true, false, false) => ("client → server", "c2s"),
        (false, true, false) => ("server → client", "s2c"),
        (true, false, true) => ("client → server · binary", "bin"),
        (false, true, true) => ("server → client · binary", "bin"),
        (false, false, _) => ("unused", "none"),
    };
    let tag_field = tag_field(c, id);
    let tag = match (tag_field, &m.tag_value) {
        (Some(f), Some(_)) if m.tag_values.len() > 1 => format!("{f}: {}", m.tag_values.join(" | ")),
        (Some(f), Some(v)) => format!("{f}: {v}"),
        _ => String::new(),
    };
    let text: Vec<&str> = m.summary.iter().chain(&m.description).map(String::as_str).collect();
    let (description, fields, (example, example_label)) = match first {
        Some(link) => (
            Some(Html::markup(format!("<p>The same message as {link}.</p>"))),
            Html::default(),
            (Html::default(), ""),
        ),
        None => (
            (!text.is_empty()).then(|| paragraphs(&text.join("\n\n"))),
            types.message_fields(m),
            example_view(&mut state.synth, c, id),
        ),
    };
    MessageView {
        label: Html::text(m.title.as_deref().or(m.name.as_deref()).unwrap_or(&m.key)),
        filter: Attr::new(&format!("{} {tag}", m.key)),
        anchor,
        tag: Html::text(&tag),
        direction,
        dir_class,
        deprecated: m.deprecated,
        content_type: Html::text(&m.content_type),
        description,
        replies,
        fields,
        example,
        example_label,
    }
}

/// The example box of a message: the spec's first example, else a synthesized frame.
fn example_view(synth: &mut Synth<'_>, c: &Channel, id: MessageId) -> (Html, &'static str) {
    match c.messages[id].examples.first() {
        Some(e) if example::size_within(e, MAX_GIVEN_EXAMPLE).is_none() => {
            (Html::markup("<span class=\"j-b\">(too large to show)</span>".into()), "Example")
        }
        Some(e) => (markup::json(e), "Example"),
        None => match synthesized(synth, c, id) {
            Some(v) => (markup::json(&v), "Example frame (from the schema)"),
            None => (Html::default(), ""),
        },
    }
}

fn tag_text(t: &Tagging) -> String {
    match t {
        Tagging::Field(f) => format!("by the \u{201c}{f}\u{201d} property"),
        Tagging::Untagged => "no common tag, told apart by shape".into(),
    }
}

/// The address with its `{param}` placeholders highlighted.
fn highlight_params(address: &str) -> Html {
    let mut out = String::new();
    let mut rest = address;
    while let Some(start) = rest.find('{') {
        let Some(len) = rest[start..].find('}') else { break };
        html::push_text(&mut out, &rest[..start]);
        let _ = write!(out, "<span class=\"param\">{}</span>", html::text(&rest[start..=start + len]));
        rest = &rest[start + len + 1..];
    }
    html::push_text(&mut out, rest);
    Html::markup(out)
}

// ------------------------------------------------------------------------------- examples

/// The property that tags the message's frames, if its direction is tagged.
fn tag_field(c: &Channel, id: MessageId) -> Option<&str> {
    let in_client = c.client.messages.contains(&id) || c.client.binary.contains(&id);
    match &(if in_client { &c.client } else { &c.server }).tag {
        Tagging::Field(f) => Some(f.as_str()),
        Tagging::Untagged => None,
    }
}

/// The example frame the docs page shows for message `message` of channel `channel` when the
/// spec gives none: a value made from the payload schema that satisfies it (see `example`
/// for the rules), with the message's tag. `None` for binary messages, out-of-range ids, and
/// schemas no value was found for.
pub fn synthesized_example(ir: &Ir, channel: usize, message: MessageId) -> Option<Value> {
    let c = ir.channels.get(channel)?;
    if message >= c.messages.len() {
        return None;
    }
    synthesized(&mut Synth::new(ir), c, message)
}

fn synthesized(synth: &mut Synth<'_>, c: &Channel, id: MessageId) -> Option<Value> {
    let m = &c.messages[id];
    if m.binary {
        return None;
    }
    let mut value = match &m.payload {
        Some(schema) => synth.example(schema)?,
        None => Value::Object(serde_json::Map::new()),
    };
    if let (Some(field), Some(tag), Value::Object(obj)) = (tag_field(c, id), &m.tag_value, &mut value) {
        let has_tag = matches!(obj.get(field), Some(Value::String(_) | Value::Number(_)));
        if !has_tag {
            obj.shift_remove(field);
            obj.shift_insert(0, field.to_owned(), Value::String(tag.clone()));
        }
    }
    Some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_parameters_are_highlighted() {
        assert_eq!(
            highlight_params("/ws/{room}/x<").as_str(),
            "/ws/<span class=\"param\">{room}</span>/x&lt;"
        );
    }
}

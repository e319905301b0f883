//! HTML documentation emitter: `&Ir` → one self-contained page (inline CSS, a few lines of
//! inline JS for the filter box, no network). Renders `templates/docs/page.html`; every piece of
//! spec text is HTML-escaped, either by askama or by `esc` for fragments built here.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use askama::Template;
use serde_json::{Value, json};

use crate::ir::{
    Action, Additional, Channel, Ir, Message, MessageId, NumberRules, Schema, Struct, Tagging, TypeId,
    TypeKind,
};

const CSS: &str = include_str!("../../templates/docs/page.css");

/// How deep nested object types are expanded inline in a message's field table.
const EXPAND_DEPTH: usize = 2;

/// Renders the documentation page of a document.
pub fn emit_html(ir: &Ir) -> String {
    let mut anchors = Anchors::default();
    let type_anchors: Vec<String> =
        ir.types.iter().map(|t| anchors.make(&format!("type-{}", t.name))).collect();
    let ctx = Ctx { ir, type_anchors: &type_anchors };

    let channels: Vec<ChannelView> =
        ir.channels.iter().map(|c| channel_view(&ctx, c, &mut anchors)).collect();
    let default_tag = ir
        .channels
        .iter()
        .find_map(|c| match &c.client.tag {
            Tagging::Field(f) => Some(f.clone()),
            Tagging::Untagged => None,
        })
        .unwrap_or_else(|| "action".into());

    let page = Page {
        css: CSS,
        title: &ir.info.title,
        version: &ir.info.version,
        asyncapi: &ir.info.asyncapi,
        source: &ir.source_name,
        description: ir.info.description.as_deref().map(text_html),
        servers: ir
            .servers
            .iter()
            .map(|s| ServerView {
                key: s.key.clone(),
                url: format!("{}://{}{}", s.protocol, s.host, s.pathname.as_deref().unwrap_or("")),
                description: s.description.as_deref().map(inline_html).unwrap_or_default(),
            })
            .collect(),
        channels,
        types: ir
            .types
            .iter()
            .enumerate()
            .map(|(id, t)| TypeView {
                name: t.name.clone(),
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
                description: t.description.as_deref().map(text_html),
                body: type_body(&ctx, id),
            })
            .collect(),
        default_tag,
    };
    page.render().expect("the docs template only formats strings, which cannot fail")
}

struct Ctx<'a> {
    ir: &'a Ir,
    type_anchors: &'a [String],
}

/// Unique, URL-safe element ids.
#[derive(Default)]
struct Anchors {
    used: BTreeSet<String>,
}

impl Anchors {
    fn make(&mut self, raw: &str) -> String {
        let base: String = raw
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' })
            .collect();
        let mut id = base.clone();
        let mut n = 2;
        while !self.used.insert(id.clone()) {
            id = format!("{base}-{n}");
            n += 1;
        }
        id
    }
}

#[derive(Template)]
#[template(path = "docs/page.html")]
struct Page<'a> {
    css: &'a str,
    title: &'a str,
    version: &'a str,
    asyncapi: &'a str,
    source: &'a str,
    description: Option<String>,
    servers: Vec<ServerView>,
    channels: Vec<ChannelView>,
    types: Vec<TypeView>,
    default_tag: String,
}

struct ServerView {
    key: String,
    url: String,
    description: String,
}

struct ChannelView {
    key: String,
    anchor: String,
    title: Option<String>,
    address: String,
    description: Option<String>,
    tagging: String,
    params: Vec<ParamView>,
    client_ops: Vec<String>,
    server_ops: Vec<String>,
    messages: Vec<MessageView>,
}

struct ParamView {
    name: String,
    allowed: String,
    description: String,
}

struct MessageView {
    key: String,
    label: String,
    anchor: String,
    tag: String,
    direction: &'static str,
    dir_class: &'static str,
    deprecated: bool,
    content_type: String,
    description: Option<String>,
    replies: String,
    fields: String,
    example: String,
    example_label: &'static str,
}

struct TypeView {
    name: String,
    anchor: String,
    kind: &'static str,
    deprecated: bool,
    description: Option<String>,
    body: String,
}

// ------------------------------------------------------------------------------- channels

fn channel_view(ctx: &Ctx<'_>, c: &Channel, anchors: &mut Anchors) -> ChannelView {
    let anchor = anchors.make(&format!("ch-{}", c.key));
    let msg_anchors: Vec<String> =
        c.messages.iter().map(|m| anchors.make(&format!("msg-{}-{}", c.key, m.key))).collect();
    let link = |id: MessageId| {
        format!("<a href=\"#{}\"><code>{}</code></a>", msg_anchors[id], esc(&c.messages[id].key))
    };

    let address = match &c.address {
        Some(a) => highlight_params(a),
        None => "<span class=\"empty\">no address</span>".into(),
    };
    let tagging = match (&c.client.tag, &c.server.tag) {
        (Tagging::Field(a), Tagging::Field(b)) if a == b => {
            format!("Frames are told apart by the \u{201c}{a}\u{201d} property.")
        }
        (a, b) => format!("Client frames: {}. Server frames: {}.", tag_text(a), tag_text(b)),
    };

    let mut client_ops = Vec::new();
    let mut server_ops = Vec::new();
    for op in &c.operations {
        let mut line = format!("<b>{}</b>", esc(&op.key));
        if op.deprecated {
            line.push_str(" <span class=\"badge dep\">deprecated</span>");
        }
        let msgs = op.messages.iter().map(|&id| link(id)).collect::<Vec<_>>().join(", ");
        let _ = write!(line, "<span class=\"arrow\">:</span>{msgs}");
        if let Some(reply) = &op.reply {
            let replies = reply.messages.iter().map(|&id| link(id)).collect::<Vec<_>>().join(" or ");
            if !replies.is_empty() {
                let _ = write!(line, "<span class=\"arrow\">⟶ replies</span>{replies}");
            }
        }
        if let Some(s) = op.summary.as_deref().or(op.description.as_deref()).filter(|s| !s.trim().is_empty())
        {
            let _ = write!(line, " <span class=\"subtle\">— {}</span>", inline_html(s));
        }
        match op.action {
            Action::Receive => client_ops.push(line),
            Action::Send => server_ops.push(line),
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

    let in_client = |id: MessageId| c.client.messages.contains(&id) || c.client.binary.contains(&id);
    let in_server = |id: MessageId| c.server.messages.contains(&id) || c.server.binary.contains(&id);
    let mut order: Vec<MessageId> = Vec::new();
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
        if !order.contains(&id) {
            order.push(id);
        }
    }
    let messages = order
        .into_iter()
        .map(|id| {
            let m = &c.messages[id];
            let (direction, dir_class) = match (in_client(id), in_server(id), m.binary) {
                (true, true, _) => ("both ways", "both"),
                (true, false, false) => ("client → server", "c2s"),
                (false, true, false) => ("server → client", "s2c"),
                (true, false, true) => ("client → server · binary", "bin"),
                (false, true, true) => ("server → client · binary", "bin"),
                (false, false, _) => ("unused", "none"),
            };
            let dir = if in_client(id) { &c.client } else { &c.server };
            let tag_field = match &dir.tag {
                Tagging::Field(f) => Some(f.as_str()),
                Tagging::Untagged => None,
            };
            let tag = match (tag_field, &m.tag_value) {
                (Some(f), Some(v)) => format!("{f}: {v}"),
                _ => String::new(),
            };
            let replies = replies_of
                .get(&id)
                .filter(|r| !r.is_empty())
                .map(|r| {
                    format!(
                        "Request: the server replies with {}, echoing the frame\u{2019}s <code>ref</code>.",
                        r.iter().map(|&r| link(r)).collect::<Vec<_>>().join(" or ")
                    )
                })
                .unwrap_or_default();
            let mut text = Vec::new();
            if let Some(s) = &m.summary {
                text.push(s.clone());
            }
            if let Some(d) = &m.description {
                text.push(d.clone());
            }
            let (example, example_label) = example(ctx, m, tag_field);
            MessageView {
                key: m.key.clone(),
                label: m.title.clone().or_else(|| m.name.clone()).unwrap_or_else(|| m.key.clone()),
                anchor: msg_anchors[id].clone(),
                tag,
                direction,
                dir_class,
                deprecated: m.deprecated,
                content_type: m.content_type.clone(),
                description: (!text.is_empty()).then(|| text_html(&text.join("\n\n"))),
                replies,
                fields: message_fields(ctx, m),
                example,
                example_label,
            }
        })
        .collect();

    ChannelView {
        key: c.key.clone(),
        anchor,
        title: c.title.clone().filter(|t| *t != c.key).or_else(|| c.summary.clone()),
        address,
        description: c.description.as_deref().map(text_html),
        tagging,
        params: c
            .params
            .iter()
            .map(|p| {
                let mut allowed = if p.allowed.is_empty() {
                    "<span class=\"opt\">any string</span>".to_string()
                } else {
                    p.allowed.iter().map(|v| format!("<code>{}</code>", esc(v))).collect::<Vec<_>>().join(" ")
                };
                if let Some(d) = &p.default {
                    let _ = write!(allowed, " <span class=\"opt\">default <code>{}</code></span>", esc(d));
                }
                if !p.examples.is_empty() {
                    let _ = write!(
                        allowed,
                        " <span class=\"opt\">e.g. {}</span>",
                        p.examples
                            .iter()
                            .map(|e| format!("<code>{}</code>", esc(e)))
                            .collect::<Vec<_>>()
                            .join(", ")
                    );
                }
                ParamView {
                    name: p.name.clone(),
                    allowed,
                    description: p.description.as_deref().map(inline_html).unwrap_or_default(),
                }
            })
            .collect(),
        client_ops,
        server_ops,
        messages,
    }
}

fn tag_text(t: &Tagging) -> String {
    match t {
        Tagging::Field(f) => format!("by the \u{201c}{f}\u{201d} property"),
        Tagging::Untagged => "no common tag, told apart by shape".into(),
    }
}

fn highlight_params(address: &str) -> String {
    let mut out = String::new();
    let mut rest = address;
    while let Some(start) = rest.find('{') {
        let Some(len) = rest[start..].find('}') else { break };
        out.push_str(&esc(&rest[..start]));
        let _ = write!(out, "<span class=\"param\">{}</span>", esc(&rest[start..=start + len]));
        rest = &rest[start + len + 1..];
    }
    out.push_str(&esc(rest));
    out
}

// --------------------------------------------------------------------------------- fields

struct Row {
    path: String,
    ty: String,
    required: bool,
    constraints: Vec<String>,
    description: String,
}

fn message_fields(ctx: &Ctx<'_>, m: &Message) -> String {
    let Some(payload) = &m.payload else {
        return if m.binary {
            format!("<p class=\"empty\">Binary frame ({}): raw bytes, not JSON.</p>", esc(&m.content_type))
        } else {
            "<p class=\"empty\">No payload.</p>".into()
        };
    };
    match struct_of(ctx.ir, payload) {
        Some((id, s)) => {
            let mut rows = Vec::new();
            let mut seen = BTreeSet::from([id]);
            struct_rows(ctx, s, "", 0, &mut seen, &mut rows);
            rows_table(&rows, &additional_note(ctx, s))
        }
        None => format!("<p>Payload: <span class=\"ty\">{}</span></p>", type_html(ctx, payload)),
    }
}

fn struct_of<'a>(ir: &'a Ir, schema: &Schema) -> Option<(TypeId, &'a Struct)> {
    match schema {
        Schema::Named { id, .. } => match &ir.types[*id].kind {
            TypeKind::Struct(s) => Some((*id, s)),
            _ => None,
        },
        _ => None,
    }
}

/// The object type a field leads to (through nullable and arrays), with the path suffix.
fn nested<'a>(ir: &'a Ir, schema: &Schema) -> Option<(TypeId, &'a Struct, &'static str)> {
    match schema {
        Schema::Nullable(inner) => nested(ir, inner),
        Schema::Array { items, .. } => struct_of(ir, items).map(|(id, s)| (id, s, "[]")),
        other => struct_of(ir, other).map(|(id, s)| (id, s, "")),
    }
}

fn struct_rows(
    ctx: &Ctx<'_>,
    s: &Struct,
    prefix: &str,
    depth: usize,
    seen: &mut BTreeSet<TypeId>,
    rows: &mut Vec<Row>,
) {
    for f in &s.fields {
        let path = format!("{prefix}{}", f.wire);
        let mut constraints = constraints(&f.schema);
        if let Some(d) = &f.default {
            constraints.push(format!("default {}", compact(d)));
        }
        if f.deprecated {
            constraints.push("deprecated".into());
        }
        rows.push(Row {
            path: path.clone(),
            ty: type_html(ctx, &f.schema),
            required: f.required,
            constraints,
            description: f.description.as_deref().map(inline_html).unwrap_or_default(),
        });
        if depth < EXPAND_DEPTH {
            if let Some((id, inner, suffix)) = nested(ctx.ir, &f.schema) {
                if seen.insert(id) {
                    struct_rows(ctx, inner, &format!("{path}{suffix}."), depth + 1, seen, rows);
                    seen.remove(&id);
                }
            }
        }
    }
}

fn additional_note(ctx: &Ctx<'_>, s: &Struct) -> String {
    match &s.additional {
        Additional::Ignore => String::new(),
        Additional::Forbid => "Unknown properties are rejected.".into(),
        Additional::Map(v) => format!("Other properties: <span class=\"ty\">{}</span>.", type_html(ctx, v)),
    }
}

fn rows_table(rows: &[Row], note: &str) -> String {
    if rows.is_empty() {
        let mut out = "<p class=\"empty\">An object with no declared properties.</p>".to_string();
        if !note.is_empty() {
            let _ = write!(out, "<p class=\"note\">{note}</p>");
        }
        return out;
    }
    let described = rows.iter().any(|r| !r.description.is_empty());
    let mut out = format!(
        "<table class=\"grid\"><thead><tr><th>Field</th><th>Type</th><th></th><th>Constraints</th>{}</tr></thead><tbody>",
        if described { "<th>Description</th>" } else { "" }
    );
    for r in rows {
        let (parent, name) = match r.path.rfind('.') {
            Some(i) => (&r.path[..=i], &r.path[i + 1..]),
            None => ("", r.path.as_str()),
        };
        let _ = write!(
            out,
            "<tr><td class=\"fname\"><code><span class=\"path\">{}</span>{}</code></td><td class=\"ty\">{}</td><td>{}</td><td class=\"cons\">{}</td>{}</tr>",
            esc(parent),
            esc(name),
            r.ty,
            if r.required {
                "<span class=\"req\">required</span>"
            } else {
                "<span class=\"opt\">optional</span>"
            },
            r.constraints.iter().map(|c| format!("<span>{}</span>", esc(c))).collect::<String>(),
            if described { format!("<td>{}</td>", r.description) } else { String::new() }
        );
    }
    out.push_str("</tbody></table>");
    if !note.is_empty() {
        let _ = write!(out, "<p class=\"note\">{note}</p>");
    }
    out
}

fn type_html(ctx: &Ctx<'_>, schema: &Schema) -> String {
    match schema {
        Schema::Any => "any".into(),
        Schema::Null => "null".into(),
        Schema::Bool => "boolean".into(),
        Schema::Integer(_) => "integer".into(),
        Schema::Number(_) => "number".into(),
        Schema::String(_) => "string".into(),
        Schema::Const(v) => esc(&compact(v)),
        Schema::Array { items, .. } => format!("{}[]", type_html(ctx, items)),
        Schema::Tuple { items, .. } => {
            format!("[{}]", items.iter().map(|i| type_html(ctx, i)).collect::<Vec<_>>().join(", "))
        }
        Schema::Map { values, .. } => format!("map&lt;string, {}&gt;", type_html(ctx, values)),
        Schema::Nullable(inner) => format!("{} | null", type_html(ctx, inner)),
        Schema::Named { id, .. } => {
            format!("<a href=\"#{}\">{}</a>", ctx.type_anchors[*id], esc(&ctx.ir.types[*id].name))
        }
    }
}

fn constraints(schema: &Schema) -> Vec<String> {
    let mut out = Vec::new();
    match schema {
        Schema::String(r) => {
            if let Some(f) = &r.format {
                out.push(format!("format: {f}"));
            }
            if let Some(n) = r.min_length {
                out.push(format!("minLength: {n}"));
            }
            if let Some(n) = r.max_length {
                out.push(format!("maxLength: {n}"));
            }
            if let Some(p) = &r.pattern {
                out.push(format!("pattern: {p}"));
            }
        }
        Schema::Integer(r) | Schema::Number(r) => number_constraints(r, &mut out),
        Schema::Array { rules, .. } | Schema::Tuple { rules, .. } => {
            if let Some(n) = rules.min_items {
                out.push(format!("minItems: {n}"));
            }
            if let Some(n) = rules.max_items {
                out.push(format!("maxItems: {n}"));
            }
            if rules.unique_items {
                out.push("uniqueItems".into());
            }
        }
        Schema::Map { key_pattern: Some(p), .. } => out.push(format!("keys: {p}")),
        Schema::Nullable(inner) => out = constraints(inner),
        _ => {}
    }
    out
}

fn number_constraints(r: &NumberRules, out: &mut Vec<String>) {
    if let Some(f) = &r.format {
        out.push(format!("format: {f}"));
    }
    for (name, v) in [
        ("minimum", r.minimum),
        ("maximum", r.maximum),
        ("exclusiveMinimum", r.exclusive_minimum),
        ("exclusiveMaximum", r.exclusive_maximum),
        ("multipleOf", r.multiple_of),
    ] {
        if let Some(v) = v {
            out.push(format!("{name}: {v}"));
        }
    }
}

// ---------------------------------------------------------------------------------- types

fn type_body(ctx: &Ctx<'_>, id: TypeId) -> String {
    let t = &ctx.ir.types[id];
    match &t.kind {
        TypeKind::Struct(s) => {
            let mut rows = Vec::new();
            let mut seen = BTreeSet::from([id]);
            struct_rows(ctx, s, "", EXPAND_DEPTH, &mut seen, &mut rows);
            rows_table(&rows, &additional_note(ctx, s))
        }
        TypeKind::StringEnum(values) => format!(
            "<p>One of {}</p>",
            values
                .iter()
                .map(|v| format!("<code>{}</code>", esc(&compact(&json!(v.wire)))))
                .collect::<Vec<_>>()
                .join(" ")
        ),
        TypeKind::IntEnum(values) => format!(
            "<p>One of {}</p>",
            values.iter().map(|v| format!("<code>{v}</code>")).collect::<Vec<_>>().join(" ")
        ),
        TypeKind::Union(u) => {
            let mut out = String::new();
            if let Some(d) = &u.discriminator {
                let _ = write!(out, "<p class=\"note\">Told apart by <code>{}</code>.</p>", esc(d));
            } else {
                let _ = write!(
                    out,
                    "<p class=\"note\">{}</p>",
                    if u.exclusive { "Exactly one of:" } else { "Any of:" }
                );
            }
            out.push_str("<ul class=\"ops\">");
            for v in &u.variants {
                let _ = write!(out, "<li><span class=\"ty\">{}</span>", type_html(ctx, &v.schema));
                if let Some(tag) = &v.tag_value {
                    let _ = write!(out, " when <code>{}</code>", esc(tag));
                }
                out.push_str("</li>");
            }
            out.push_str("</ul>");
            out
        }
        TypeKind::Alias(schema) => {
            let cons = constraints(schema);
            format!(
                "<p><span class=\"ty\">{}</span> <span class=\"cons\">{}</span></p>",
                type_html(ctx, schema),
                cons.iter().map(|c| format!("<span>{}</span>", esc(c))).collect::<String>()
            )
        }
    }
}

// ------------------------------------------------------------------------------- examples

fn example(ctx: &Ctx<'_>, m: &Message, tag_field: Option<&str>) -> (String, &'static str) {
    if let Some(e) = m.examples.first() {
        return (json_html(&J::Lit(e.clone())), "Example");
    }
    if m.binary {
        return (String::new(), "");
    }
    let mut value = match &m.payload {
        Some(schema) => sample(ctx.ir, schema, 0, &mut BTreeSet::new()),
        None => J::Obj(Vec::new()),
    };
    if let (Some(field), Some(tag), J::Obj(obj)) = (tag_field, &m.tag_value, &mut value) {
        let has_tag =
            obj.iter().any(|(k, v)| k == field && matches!(v, J::Lit(Value::String(_) | Value::Number(_))));
        if !has_tag {
            obj.retain(|(k, _)| k != field);
            obj.insert(0, (field.to_string(), J::Lit(Value::String(tag.clone()))));
        }
    }
    (json_html(&value), "Example frame (from the schema)")
}

/// A JSON value that keeps object keys in schema order (serde_json's map sorts them).
enum J {
    Lit(Value),
    Arr(Vec<J>),
    Obj(Vec<(String, J)>),
}

impl J {
    fn pretty(&self, indent: usize, out: &mut String) {
        let pad = "  ".repeat(indent + 1);
        match self {
            J::Lit(v) => out.push_str(
                &serde_json::to_string_pretty(v)
                    .expect("a JSON value always serialises")
                    .replace('\n', &format!("\n{}", "  ".repeat(indent))),
            ),
            J::Arr(items) if items.is_empty() => out.push_str("[]"),
            J::Obj(items) if items.is_empty() => out.push_str("{}"),
            J::Arr(items) => {
                out.push_str("[\n");
                for (i, item) in items.iter().enumerate() {
                    out.push_str(&pad);
                    item.pretty(indent + 1, out);
                    out.push_str(if i + 1 < items.len() { ",\n" } else { "\n" });
                }
                let _ = write!(out, "{}]", "  ".repeat(indent));
            }
            J::Obj(items) => {
                out.push_str("{\n");
                for (i, (k, v)) in items.iter().enumerate() {
                    let _ = write!(out, "{pad}{}: ", Value::String(k.clone()));
                    v.pretty(indent + 1, out);
                    out.push_str(if i + 1 < items.len() { ",\n" } else { "\n" });
                }
                let _ = write!(out, "{}}}", "  ".repeat(indent));
            }
        }
    }
}

fn integral(v: f64) -> Value {
    if v.fract() == 0.0 && v.abs() < 1e15 { json!(v as i64) } else { json!(v) }
}

fn sample(ir: &Ir, schema: &Schema, depth: usize, seen: &mut BTreeSet<TypeId>) -> J {
    if depth > 6 {
        return J::Lit(Value::Null);
    }
    match schema {
        Schema::Any => J::Obj(Vec::new()),
        Schema::Null => J::Lit(Value::Null),
        Schema::Bool => J::Lit(json!(true)),
        Schema::Integer(r) => {
            J::Lit(integral(r.minimum.or(r.exclusive_minimum.map(|m| m.floor() + 1.0)).unwrap_or(0.0)))
        }
        Schema::Number(r) => J::Lit(integral(r.minimum.unwrap_or(0.0))),
        Schema::String(r) => {
            let s = match r.format.as_deref() {
                Some("date-time") => "2024-01-01T12:00:00Z".to_string(),
                Some("date") => "2024-01-01".into(),
                Some("uuid") => "3fa85f64-5717-4562-b3fc-2c963f66afa6".into(),
                Some("uri" | "url") => "https://example.com/".into(),
                Some("email") => "user@example.com".into(),
                _ => match r.min_length {
                    Some(n) if n > 6 => "x".repeat(n.min(64) as usize),
                    _ => "string".into(),
                },
            };
            J::Lit(Value::String(s))
        }
        Schema::Const(v) => J::Lit(v.clone()),
        Schema::Array { items, .. } => J::Arr(vec![sample(ir, items, depth + 1, seen)]),
        Schema::Tuple { items, .. } => J::Arr(items.iter().map(|i| sample(ir, i, depth + 1, seen)).collect()),
        Schema::Map { values, .. } => J::Obj(vec![("key".into(), sample(ir, values, depth + 1, seen))]),
        Schema::Nullable(inner) => sample(ir, inner, depth, seen),
        Schema::Named { id, .. } => {
            let t = &ir.types[*id];
            if let Some(e) = t.examples.first() {
                return J::Lit(e.clone());
            }
            if !seen.insert(*id) {
                return J::Lit(Value::Null);
            }
            let v = match &t.kind {
                TypeKind::Struct(s) => {
                    let mut obj = Vec::new();
                    for f in &s.fields {
                        // Recursive optional fields are left out rather than nulled.
                        let recursive =
                            matches!(nested(ir, &f.schema), Some((nid, _, _)) if seen.contains(&nid));
                        if recursive && !f.required {
                            continue;
                        }
                        let v = match &f.default {
                            Some(d) if !d.is_null() => J::Lit(d.clone()),
                            _ => sample(ir, &f.schema, depth + 1, seen),
                        };
                        obj.push((f.wire.clone(), v));
                    }
                    J::Obj(obj)
                }
                TypeKind::StringEnum(values) => {
                    J::Lit(values.first().map_or(Value::Null, |v| Value::String(v.wire.clone())))
                }
                TypeKind::IntEnum(values) => J::Lit(values.first().map_or(Value::Null, |v| json!(v))),
                TypeKind::Union(u) => {
                    u.variants.first().map_or(J::Lit(Value::Null), |v| sample(ir, &v.schema, depth + 1, seen))
                }
                TypeKind::Alias(s) => sample(ir, s, depth + 1, seen),
            };
            seen.remove(id);
            v
        }
    }
}

/// Pretty JSON with spans for keys, strings, numbers and literals; all text escaped.
fn json_html(v: &J) -> String {
    let mut text = String::new();
    v.pretty(0, &mut text);
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len() * 2);
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '"' {
            let start = i;
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
            let s: String = chars[start..i.min(chars.len())].iter().collect();
            let is_key = chars[i.min(chars.len())..].iter().find(|c| !c.is_whitespace()) == Some(&':');
            let _ = write!(out, "<span class=\"{}\">{}</span>", if is_key { "j-k" } else { "j-s" }, esc(&s));
        } else if c == '-' || c.is_ascii_digit() {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_digit() || "+-.eE".contains(chars[i])) {
                i += 1;
            }
            let s: String = chars[start..i].iter().collect();
            let _ = write!(out, "<span class=\"j-n\">{s}</span>");
        } else if c.is_ascii_alphabetic() {
            let start = i;
            while i < chars.len() && chars[i].is_ascii_alphabetic() {
                i += 1;
            }
            let s: String = chars[start..i].iter().collect();
            let _ = write!(out, "<span class=\"j-b\">{s}</span>");
        } else {
            out.push_str(&esc(&c.to_string()));
            i += 1;
        }
    }
    out
}

fn compact(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 80 { format!("{}…", s.chars().take(80).collect::<String>()) } else { s }
}

// ---------------------------------------------------------------------------------- text

/// Escapes text for HTML element content and quoted attribute values.
pub(crate) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Escaped text with `code` spans.
fn inline_html(s: &str) -> String {
    let mut out = String::new();
    for (i, part) in s.split('`').enumerate() {
        // Odd parts are inside backticks (an unmatched trailing backtick shows as text).
        if i % 2 == 1 && s.matches('`').count() > i {
            let _ = write!(out, "<code>{}</code>", esc(part));
        } else {
            if i % 2 == 1 {
                out.push('`');
            }
            out.push_str(&strong(&esc(part)));
        }
    }
    out
}

/// `**bold**` pairs (in already escaped text) as `<strong>`.
fn strong(escaped: &str) -> String {
    let parts: Vec<&str> = escaped.split("**").collect();
    if parts.len() < 3 {
        return escaped.to_string();
    }
    let mut out = String::new();
    for (i, part) in parts.iter().enumerate() {
        let closed = i % 2 == 1 && i + 1 < parts.len();
        match (i % 2, closed) {
            (1, true) => {
                let _ = write!(out, "<strong>{part}</strong>");
            }
            (1, false) => {
                out.push_str("**");
                out.push_str(part);
            }
            _ => out.push_str(part),
        }
    }
    out
}

/// Paragraphs (blank-line separated) of [`inline_html`] text.
fn text_html(s: &str) -> String {
    s.split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| format!("<p>{}</p>", inline_html(p).replace('\n', "<br>")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_text_is_escaped() {
        assert_eq!(esc("<script>\"&'"), "&lt;script&gt;&quot;&amp;&#39;");
        assert_eq!(inline_html("a `<b>` c"), "a <code>&lt;b&gt;</code> c");
        assert_eq!(inline_html("odd ` tick"), "odd ` tick");
        assert_eq!(inline_html("**a** <b> **c"), "<strong>a</strong> &lt;b&gt; **c");
        assert_eq!(text_html("one\n\ntwo\nlines"), "<p>one</p><p>two<br>lines</p>");
    }

    #[test]
    fn json_is_highlighted_and_escaped() {
        let html = json_html(&J::Lit(json!({"a": "<x>", "n": -1.5, "b": true})));
        assert!(html.contains("<span class=\"j-k\">&quot;a&quot;</span>"), "{html}");
        assert!(html.contains("<span class=\"j-s\">&quot;&lt;x&gt;&quot;</span>"), "{html}");
        assert!(html.contains("<span class=\"j-n\">-1.5</span>"), "{html}");
        assert!(html.contains("<span class=\"j-b\">true</span>"), "{html}");
    }

    #[test]
    fn address_parameters_are_highlighted() {
        assert_eq!(highlight_params("/ws/{room}/x<"), "/ws/<span class=\"param\">{room}</span>/x&lt;");
    }
}

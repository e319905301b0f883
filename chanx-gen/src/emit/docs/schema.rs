//! Schemas on the docs page: field tables, type expressions with links, constraints, and the
//! body of each type's section.
//!
//! The page stays linear in the size of the spec: every type has one section (its body
//! rendered once, fields shallow, named types as links), and a type's fields are shown again
//! inline only at its single use (an anonymous object, or a component used once), at most
//! [`EXPAND_DEPTH`] levels deep. A type used in several places is a link wherever it is used.

use std::fmt::Write as _;

use super::markup::{Html, Id, inline};
use crate::escape::html;
use crate::ir::{Additional, Ir, Message, NumberRules, Schema, Struct, TypeId, TypeKind};

/// How deep single-use object types are expanded inline in a message's field table.
const EXPAND_DEPTH: usize = 2;

/// Longest property name repeated in the path of a nested row (`user.` in `user.name`).
const MAX_PATH_NAME: usize = 32;

/// What the schema renderers need from the page.
pub(super) struct Types<'a> {
    pub(super) ir: &'a Ir,
    pub(super) anchors: &'a [Id],
    /// How many times each type is referred to (message payloads and other types).
    uses: Vec<usize>,
}

impl<'a> Types<'a> {
    pub(super) fn new(ir: &'a Ir, anchors: &'a [Id]) -> Self {
        let mut uses = vec![0; ir.types.len()];
        for m in ir.channels.iter().flat_map(|c| &c.messages) {
            if let Some(p) = &m.payload {
                count_uses(p, &mut uses);
            }
        }
        for t in &ir.types {
            match &t.kind {
                TypeKind::Struct(s) => {
                    for f in &s.fields {
                        count_uses(&f.schema, &mut uses);
                    }
                    if let Additional::Map(v) = &s.additional {
                        count_uses(v, &mut uses);
                    }
                }
                TypeKind::Union(u) => u.variants.iter().for_each(|v| count_uses(&v.schema, &mut uses)),
                TypeKind::Alias(s) => count_uses(s, &mut uses),
                TypeKind::StringEnum(_) | TypeKind::IntEnum(_) => {}
            }
        }
        Self { ir, anchors, uses }
    }

    /// The object type shown inline where `schema` is used: a struct with this single use.
    fn inline_struct(&self, schema: &Schema) -> Option<&'a Struct> {
        match schema {
            Schema::Named { id, .. } if self.uses[*id] == 1 => match &self.ir.types[*id].kind {
                TypeKind::Struct(s) => Some(s),
                _ => None,
            },
            _ => None,
        }
    }

    /// The object type a field leads to (through nullable and arrays) when it is shown inline,
    /// with the path suffix.
    fn nested(&self, schema: &Schema) -> Option<(&'a Struct, &'static str)> {
        match schema {
            Schema::Nullable(inner) => self.nested(inner),
            Schema::Array { items, .. } => self.inline_struct(items).map(|s| (s, "[]")),
            other => self.inline_struct(other).map(|s| (s, "")),
        }
    }

    /// The field table of a message (or a note for binary and payload-less messages).
    pub(super) fn message_fields(&self, m: &Message) -> Html {
        let Some(payload) = &m.payload else {
            return Html::markup(if m.binary {
                format!(
                    "<p class=\"empty\">Binary frame ({}): raw bytes, not JSON.</p>",
                    html::text(&m.content_type)
                )
            } else {
                "<p class=\"empty\">No payload.</p>".into()
            });
        };
        match self.inline_struct(payload) {
            Some(s) => {
                let mut rows = Vec::new();
                self.struct_rows(s, "", 0, &mut rows);
                rows_table(&rows, &self.additional_note(s))
            }
            None => {
                Html::markup(format!("<p>Payload: <span class=\"ty\">{}</span></p>", self.type_html(payload)))
            }
        }
    }

    fn struct_rows(&self, s: &Struct, prefix: &str, depth: usize, rows: &mut Vec<Row>) {
        for f in &s.fields {
            let mut constraints = constraints(&f.schema);
            if let Some(d) = &f.default {
                constraints.push(format!("default {}", compact(d)));
            }
            if f.deprecated {
                constraints.push("deprecated".into());
            }
            rows.push(Row {
                parent: prefix.to_owned(),
                name: f.wire.clone(),
                ty: self.type_html(&f.schema),
                required: f.required,
                constraints,
                description: f.description.as_deref().map(inline).unwrap_or_default(),
            });
            if depth < EXPAND_DEPTH
                && let Some((inner, suffix)) = self.nested(&f.schema)
            {
                let prefix = format!("{prefix}{}{suffix}.", shortened(&f.wire));
                self.struct_rows(inner, &prefix, depth + 1, rows);
            }
        }
    }

    fn additional_note(&self, s: &Struct) -> Html {
        Html::markup(match &s.additional {
            Additional::Ignore => String::new(),
            Additional::Forbid => "Unknown properties are rejected.".into(),
            Additional::Map(v) => {
                format!("Other properties: <span class=\"ty\">{}</span>.", self.type_html(v))
            }
        })
    }

    /// A schema as a type expression; named types link to their section.
    pub(super) fn type_html(&self, schema: &Schema) -> Html {
        let mut out = String::new();
        self.type_into(schema, &mut out);
        Html::markup(out)
    }

    fn type_into(&self, schema: &Schema, out: &mut String) {
        match schema {
            Schema::Any => out.push_str("any"),
            Schema::Null => out.push_str("null"),
            Schema::Bool => out.push_str("boolean"),
            Schema::Integer(_) => out.push_str("integer"),
            Schema::Number(_) => out.push_str("number"),
            Schema::String(_) => out.push_str("string"),
            Schema::Const(v) => html::push_text(out, &compact(v)),
            Schema::Array { items, .. } => {
                self.type_into(items, out);
                out.push_str("[]");
            }
            Schema::Tuple { items, .. } => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    self.type_into(item, out);
                }
                out.push(']');
            }
            Schema::Map { values, .. } => {
                out.push_str("map&lt;string, ");
                self.type_into(values, out);
                out.push_str("&gt;");
            }
            Schema::Nullable(inner) => {
                self.type_into(inner, out);
                out.push_str(" | null");
            }
            Schema::Named { id, .. } => {
                let _ = write!(out, "<a href=\"#{}\">", self.anchors[*id]);
                html::push_text(out, &self.ir.types[*id].name);
                out.push_str("</a>");
            }
        }
    }

    /// The body of a type's section: its fields (not expanded), values, variants or alias.
    pub(super) fn type_body(&self, id: TypeId) -> Html {
        let t = &self.ir.types[id];
        let code_list = |values: &mut dyn Iterator<Item = String>| {
            let mut out = "<p>One of".to_string();
            for v in values {
                out.push_str(" <code>");
                html::push_text(&mut out, &v);
                out.push_str("</code>");
            }
            out.push_str("</p>");
            Html::markup(out)
        };
        match &t.kind {
            TypeKind::Struct(s) => {
                let mut rows = Vec::new();
                self.struct_rows(s, "", EXPAND_DEPTH, &mut rows);
                rows_table(&rows, &self.additional_note(s))
            }
            TypeKind::StringEnum(values) => {
                code_list(&mut values.iter().map(|v| compact(&serde_json::Value::String(v.wire.clone()))))
            }
            TypeKind::IntEnum(values) => code_list(&mut values.iter().map(i64::to_string)),
            TypeKind::Union(u) => {
                let mut out = String::new();
                if let Some(d) = &u.discriminator {
                    let _ =
                        write!(out, "<p class=\"note\">Told apart by <code>{}</code>.</p>", html::text(d));
                } else {
                    let _ = write!(
                        out,
                        "<p class=\"note\">{}</p>",
                        if u.exclusive { "Exactly one of:" } else { "Any of:" }
                    );
                }
                out.push_str("<ul class=\"ops\">");
                for v in &u.variants {
                    let _ = write!(out, "<li><span class=\"ty\">{}</span>", self.type_html(&v.schema));
                    if let Some(tag) = &v.tag_value {
                        let _ = write!(out, " when <code>{}</code>", html::text(tag));
                    }
                    out.push_str("</li>");
                }
                out.push_str("</ul>");
                Html::markup(out)
            }
            TypeKind::Alias(schema) => Html::markup(format!(
                "<p><span class=\"ty\">{}</span> <span class=\"cons\">{}</span></p>",
                self.type_html(schema),
                constraint_spans(&constraints(schema))
            )),
        }
    }
}

fn count_uses(schema: &Schema, uses: &mut [usize]) {
    match schema {
        Schema::Named { id, .. } => uses[*id] += 1,
        Schema::Array { items, .. } => count_uses(items, uses),
        Schema::Tuple { items, .. } => items.iter().for_each(|i| count_uses(i, uses)),
        Schema::Map { values, .. } => count_uses(values, uses),
        Schema::Nullable(inner) => count_uses(inner, uses),
        Schema::Any
        | Schema::Null
        | Schema::Bool
        | Schema::Integer(_)
        | Schema::Number(_)
        | Schema::String(_)
        | Schema::Const(_) => {}
    }
}

/// A property name as it is repeated in nested paths: at most [`MAX_PATH_NAME`] characters.
fn shortened(name: &str) -> String {
    if name.chars().count() > MAX_PATH_NAME {
        format!("{}…", name.chars().take(MAX_PATH_NAME - 1).collect::<String>())
    } else {
        name.to_owned()
    }
}

struct Row {
    /// Path of the enclosing object (`user.`), raw text.
    parent: String,
    name: String,
    ty: Html,
    required: bool,
    constraints: Vec<String>,
    description: Html,
}

fn rows_table(rows: &[Row], note: &Html) -> Html {
    let note_html = |out: &mut String| {
        if !note.is_empty() {
            let _ = write!(out, "<p class=\"note\">{note}</p>");
        }
    };
    if rows.is_empty() {
        let mut out = "<p class=\"empty\">An object with no declared properties.</p>".to_string();
        note_html(&mut out);
        return Html::markup(out);
    }
    let described = rows.iter().any(|r| !r.description.is_empty());
    let mut out = format!(
        "<table class=\"grid\"><thead><tr><th>Field</th><th>Type</th><th></th><th>Constraints</th>{}</tr></thead><tbody>",
        if described { "<th>Description</th>" } else { "" }
    );
    for r in rows {
        let _ = write!(
            out,
            "<tr><td class=\"fname\"><code><span class=\"path\">{}</span>{}</code></td><td class=\"ty\">{}</td><td>{}</td><td class=\"cons\">{}</td>",
            html::text(&r.parent),
            html::text(&r.name),
            r.ty,
            if r.required {
                "<span class=\"req\">required</span>"
            } else {
                "<span class=\"opt\">optional</span>"
            },
            constraint_spans(&r.constraints),
        );
        if described {
            let _ = write!(out, "<td>{}</td>", r.description);
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>");
    note_html(&mut out);
    Html::markup(out)
}

fn constraint_spans(constraints: &[String]) -> String {
    let mut out = String::new();
    for c in constraints {
        out.push_str("<span>");
        html::push_text(&mut out, c);
        out.push_str("</span>");
    }
    out
}

/// The constraints of a schema as short `keyword: value` texts (raw, escaped when printed).
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

/// A JSON value on one line, cut at 80 characters.
pub(super) fn compact(v: &serde_json::Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 80 { format!("{}…", s.chars().take(80).collect::<String>()) } else { s }
}

//! The message enums of one channel (`ClientMessage`, `ServerMessage`) and their codec.

use std::collections::BTreeSet;

use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

use super::super::types::{Paths, Patterns, absent_is_default, is_unit, rust_type, schema_expr};
use super::super::{Cx, deprecated, doc_lines, doc_or, ident};
use crate::escape;
use crate::ir::{Additional, Channel, Direction, Message, Schema, Tagging, TypeKind};

/// One variant of `ClientMessage` / `ServerMessage`.
pub(super) struct Var<'a> {
    pub(super) msg: &'a Message,
    pub(super) id: usize,
    pub(super) ident: Ident,
    /// Payload type; `None` for a tagged message without payload (a unit variant).
    pub(super) ty: Option<TokenStream>,
    /// Payload is a named type (eligible for `From`).
    pub(super) named: bool,
    /// Tag value (tagged; the first when the message owns several) or message name (untagged).
    pub(super) tag: String,
    /// Every tag value of a message that owns several (see [`tag_field`]); else empty.
    pub(super) more_tags: Vec<String>,
    /// The payload field that holds the tag of a message with several tag values.
    pub(super) tag_field: Option<Ident>,
    /// Expression of type `&'static Schema` for the whole frame.
    pub(super) schema: TokenStream,
    /// Serde can decode the frame directly (no frame-level `additionalProperties: false`).
    pub(super) fast: bool,
    pub(super) eq: bool,
    /// The frame this variant always encodes to, when its value carries no data.
    pub(super) constant: Option<String>,
    /// The payload is a struct that derives `Default` as "every property left out".
    pub(super) defaults: bool,
}

pub(super) struct Side<'a> {
    pub(super) enum_name: Ident,
    pub(super) tag: Option<&'a str>,
    pub(super) vars: Vec<Var<'a>>,
}

impl Side<'_> {
    pub(super) fn var(&self, msg: usize) -> Option<usize> {
        self.vars.iter().position(|v| v.id == msg)
    }
}

fn message_name(m: &Message) -> String {
    m.name.clone().unwrap_or_else(|| m.key.clone())
}

pub(super) fn side<'a>(
    cx: &Cx<'_>,
    ch: &'a Channel,
    dir: &'a Direction,
    enum_name: &str,
    statics: &mut Vec<TokenStream>,
    patterns: &mut Patterns,
) -> Side<'a> {
    let common = ident(&cx.common);
    let types = quote! { super::#common:: };
    let sup = || Ident::new("super", proc_macro2::Span::call_site());
    let static_paths = Paths {
        schema: vec![sup(), sup(), sup(), common.clone(), format_ident!("__chanx"), format_ident!("schema")],
        patterns: vec![sup(), format_ident!("patterns")],
    };
    let tag = match &dir.tag {
        Tagging::Field(t) => Some(t.as_str()),
        Tagging::Untagged => None,
    };
    let mut vars = Vec::new();
    let mut seen_tags = BTreeSet::new();
    for &id in &dir.messages {
        let Some(msg) = ch.messages.get(id) else { continue };
        let wire_tag = match tag {
            Some(_) => msg.tag_value.clone().unwrap_or_else(|| message_name(msg)),
            None => message_name(msg),
        };
        let multi = tag.is_some() && msg.tag_values.len() > 1;
        let more_tags: Vec<String> = if multi { msg.tag_values.clone() } else { Vec::new() };
        if tag.is_some() && !seen_tags.insert(wire_tag.clone()) {
            continue; // the IR keeps tags unique; never emit an unreachable arm
        }
        if more_tags.iter().skip(1).any(|t| !seen_tags.insert(t.clone())) {
            continue;
        }
        let tag_field = tag.filter(|_| multi).and_then(|key| tag_field(cx, key, msg.payload.as_ref()));
        let (ty, named, schema, fast, eq) = match &msg.payload {
            None if tag.is_some() => (None, false, quote! { &::chanx::schema::Schema::Any }, true, true),
            None => (
                Some(quote! { ::chanx::serde_json::Value }),
                false,
                quote! { &::chanx::schema::Schema::Any },
                true,
                true,
            ),
            Some(schema) => {
                let ty = rust_type(cx, schema, &types);
                let eq = cx.schema_flags(schema).0;
                match schema {
                    Schema::Named { id: tid, .. } if cx.ir.types.get(*tid).is_some() => {
                        let t = &cx.ir.types[*tid];
                        let name = ident(&t.name);
                        let fast = !matches!(&t.kind, TypeKind::Struct(s) if matches!(s.additional, Additional::Forbid));
                        (Some(ty), true, quote! { &super::#common::__chanx::schema::#name }, fast, eq)
                    }
                    other => {
                        let static_name = format_ident!("{}__{}", enum_name, msg.variant);
                        let expr = schema_expr(cx, other, &static_paths, patterns);
                        statics.push(quote! {
                            pub static #static_name: Schema = #expr;
                        });
                        (Some(ty), false, quote! { &__chanx::schema::#static_name }, true, eq)
                    }
                }
            }
        };
        let constant =
            tag.filter(|_| !multi).and_then(|key| constant_frame(cx, key, &wire_tag, msg.payload.as_ref()));
        let defaults =
            !multi && matches!(&msg.payload, Some(Schema::Named { id, .. }) if absent_is_default(cx, *id));
        vars.push(Var {
            msg,
            id,
            ident: ident(&msg.variant),
            ty,
            named,
            tag: wire_tag,
            more_tags,
            tag_field,
            schema,
            fast,
            eq,
            constant,
            defaults,
        });
    }
    Side { enum_name: ident(enum_name), tag, vars }
}

/// The Rust field of the payload struct that holds the tag, for a message that owns several tag
/// values: the field is kept (the IR makes it required) and its type is the string enum of the
/// values.
fn tag_field(cx: &Cx<'_>, key: &str, payload: Option<&Schema>) -> Option<Ident> {
    let Some(Schema::Named { id, .. }) = payload else { return None };
    let TypeKind::Struct(s) = &cx.ir.types.get(*id)?.kind else { return None };
    let field = s.fields.iter().find(|f| f.wire == key && f.required)?;
    let Schema::Named { id: enum_id, .. } = &field.schema else { return None };
    matches!(cx.ir.types.get(*enum_id)?.kind, TypeKind::StringEnum(_)).then(|| ident(&field.rust))
}

/// The frame a tagged message always encodes to when its value carries no data: no payload,
/// or an object whose every property is `null`-only (`()` in Rust, always written as `null`).
/// Byte for byte what `codec::encode_tagged` writes for it.
fn constant_frame(cx: &Cx<'_>, key: &str, tag: &str, payload: Option<&Schema>) -> Option<String> {
    let mut nulls = Vec::new();
    if let Some(schema) = payload {
        let Schema::Named { id, .. } = schema else { return None };
        let TypeKind::Struct(s) = &cx.ir.types.get(*id)?.kind else { return None };
        if matches!(s.additional, Additional::Map(_)) {
            return None;
        }
        for f in s.fields.iter().filter(|f| !cx.dropped[*id].contains(&f.wire)) {
            if !is_unit(&f.schema) {
                return None;
            }
            nulls.push(f.wire.as_str());
        }
    }
    Some(tag_and_nulls(key, tag, &nulls))
}

/// `{"key":"tag","a":null,...}`, escaped as serde_json escapes strings.
fn tag_and_nulls(key: &str, tag: &str, nulls: &[&str]) -> String {
    let json = |s: &str| serde_json::Value::from(s).to_string();
    let mut frame = format!("{{{}:{}", json(key), json(tag));
    for name in nulls {
        frame.push(',');
        frame.push_str(&json(name));
        frame.push_str(":null");
    }
    frame.push('}');
    frame
}

pub(super) fn message_doc(m: &Message, ch: &Channel) -> TokenStream {
    doc_or(
        &[m.title.as_ref(), m.summary.as_ref(), m.description.as_ref()],
        format!("Message `{}` of channel `{}`.", m.key, ch.key),
    )
}

pub(super) fn emit_enum(cx_ir: &crate::ir::Ir, side: &Side<'_>, ch: &Channel, who: &str) -> TokenStream {
    let name = &side.enum_name;
    let variants = side.vars.iter().map(|v| {
        let doc = message_doc(v.msg, ch);
        let dep = deprecated(v.msg.deprecated);
        let vi = &v.ident;
        match &v.ty {
            Some(ty) => quote! { #doc #dep #vi(#ty), },
            None => quote! { #doc #dep #vi, },
        }
    });
    let eq = side.vars.iter().all(|v| v.eq).then(|| quote! { ::core::cmp::Eq, });
    let how = match side.tag {
        Some(t) => format!("Told apart by the `{t}` property."),
        None => "Untagged: on decode every variant is tried; the one that accepts the frame wins, or among \
                 several the one that declares every key of the frame; otherwise the frame is refused."
            .to_owned(),
    };
    let doc = doc_lines(&[format!("What the {who} sends on channel `{}`.", ch.key), String::new(), how]);

    let decode = decode_body(cx_ir, side);
    let (encode, tag_fn) = encode_and_tag(side);
    let froms = froms(side);

    quote! {
        #doc
        #[derive(::core::fmt::Debug, ::core::clone::Clone, ::core::cmp::PartialEq, #eq)]
        pub enum #name { #(#variants)* }

        impl ::chanx::Message for #name {
            fn decode(frame: &str) -> ::core::result::Result<Self, ::chanx::DecodeError> {
                #decode
            }

            fn encode(&self) -> ::std::borrow::Cow<'static, str> {
                #encode
            }

            fn tag(&self) -> &'static str {
                #tag_fn
            }
        }

        #(#froms)*
    }
}

/// The body of `Message::decode`: dispatch on the tag, or try every variant of an untagged side.
fn decode_body(cx_ir: &crate::ir::Ir, side: &Side<'_>) -> TokenStream {
    match side.tag {
        Some(key) => {
            let mut ignore = vec![key.to_owned()];
            if key != "ref" {
                ignore.push("ref".to_owned());
            }
            let arms = side.vars.iter().map(|v| {
                let (vi, tag, schema, fast) = (&v.ident, &v.tag, &v.schema, v.fast);
                if !v.more_tags.is_empty() {
                    let all = &v.more_tags;
                    return quote! {
                        #(#all)|* => ::chanx::codec::decode_tagged(frame, &tag, #schema, &[#(#ignore),*], #fast).map(Self::#vi),
                    };
                }
                match v.ty {
                    Some(_) if v.defaults => quote! {
                        #tag => ::chanx::codec::decode_tagged_or_default(frame, #key, #tag, #schema, &[#(#ignore),*], #fast).map(Self::#vi),
                    },
                    Some(_) => quote! {
                        #tag => ::chanx::codec::decode_tagged(frame, #tag, #schema, &[#(#ignore),*], #fast).map(Self::#vi),
                    },
                    None => quote! { #tag => ::chanx::codec::tag_only(frame).map(|()| Self::#vi), },
                }
            });
            let tags = side.vars.iter().flat_map(|v| {
                if v.more_tags.is_empty() { std::slice::from_ref(&v.tag) } else { v.more_tags.as_slice() }
            });
            quote! {
                let tag = ::chanx::codec::peek_tag(frame, #key)?;
                match &*tag {
                    #(#arms)*
                    other => ::core::result::Result::Err(::chanx::codec::unknown_tag(frame, #key, other, &[#(#tags),*])),
                }
            }
        }
        None => {
            let tries = side.vars.iter().map(|v| {
                let (vi, schema, fast, name) = (&v.ident, &v.schema, v.fast, &v.tag);
                let declared = match cx_ir.declared_keys(v.msg.payload.as_ref()) {
                    Some(keys) => quote! { ::core::option::Option::Some(&[#(#keys),*]) },
                    None => quote! { ::core::option::Option::None },
                };
                quote! {
                    if let ::core::option::Option::Some(m) = ::chanx::codec::try_untagged(frame, #schema, #fast) {
                        found.accept(#name, #declared, Self::#vi(m));
                    }
                }
            });
            let all = side.vars.iter().map(|v| {
                let (tag, schema) = (&v.tag, &v.schema);
                quote! { (#tag, #schema) }
            });
            if side.vars.is_empty() {
                quote! { ::chanx::codec::Untagged::new(frame).finish(&[]) }
            } else {
                quote! {
                    let mut found = ::chanx::codec::Untagged::new(frame);
                    #(#tries)*
                    found.finish(&[#(#all),*])
                }
            }
        }
    }
}

/// The bodies of `Message::encode` and `Message::tag`.
fn encode_and_tag(side: &Side<'_>) -> (TokenStream, TokenStream) {
    if side.vars.is_empty() {
        (quote! { match *self {} }, quote! { match *self {} })
    } else {
        let enc = side.vars.iter().map(|v| {
            let (vi, tag) = (&v.ident, &v.tag);
            let pattern = if v.ty.is_some() {
                quote! { Self::#vi(_) }
            } else {
                quote! { Self::#vi }
            };
            if !v.more_tags.is_empty() {
                // The payload keeps its tag field: it is written with the rest.
                return quote! { Self::#vi(m) => ::chanx::codec::encode_plain(m).into(), };
            }
            match (side.tag, &v.constant) {
                (_, Some(frame)) => {
                    let frame = escape::rust::readable_string(frame);
                    quote! { #pattern => ::std::borrow::Cow::Borrowed(#frame), }
                }
                (Some(key), None) => {
                    quote! { Self::#vi(m) => ::chanx::codec::encode_tagged(#key, #tag, m).into(), }
                }
                (None, _) => quote! { Self::#vi(m) => ::chanx::codec::encode_plain(m).into(), },
            }
        });
        let tags = side.vars.iter().map(|v| {
            let (vi, tag) = (&v.ident, &v.tag);
            if let Some(field) = &v.tag_field {
                quote! { Self::#vi(m) => m.#field.as_str(), }
            } else if v.ty.is_some() {
                quote! { Self::#vi(_) => #tag, }
            } else {
                quote! { Self::#vi => #tag, }
            }
        });
        (quote! { match self { #(#enc)* } }, quote! { match self { #(#tags)* } })
    }
}

/// `From` for payload types that belong to exactly one variant.
fn froms(side: &Side<'_>) -> Vec<TokenStream> {
    let name = &side.enum_name;
    let mut counts = std::collections::BTreeMap::new();
    for v in side.vars.iter().filter(|v| v.named) {
        if let Some(ty) = &v.ty {
            *counts.entry(ty.to_string()).or_insert(0) += 1;
        }
    }
    side.vars
        .iter()
        .filter(|v| v.named)
        .filter_map(|v| {
            let ty = v.ty.as_ref()?;
            if counts.get(&ty.to_string()) != Some(&1) {
                return None;
            }
            let vi = &v.ident;
            Some(quote! {
                impl ::core::convert::From<#ty> for #name {
                    fn from(m: #ty) -> Self { Self::#vi(m) }
                }
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_frames_are_compact_escaped_json() {
        assert_eq!(tag_and_nulls("action", "pong", &["payload"]), r#"{"action":"pong","payload":null}"#);
        assert_eq!(tag_and_nulls("action", "bye", &[]), r#"{"action":"bye"}"#);
        let odd = tag_and_nulls("k\"ey", "t\\ag\u{1}", &["é \"x\""]);
        assert_eq!(odd, r#"{"k\"ey":"t\\ag\u0001","é \"x\"":null}"#);
        let parsed: serde_json::Value = serde_json::from_str(&odd).expect("valid JSON");
        assert_eq!(parsed, serde_json::json!({"k\"ey": "t\\ag\u{1}", "é \"x\"": null}));
    }
}

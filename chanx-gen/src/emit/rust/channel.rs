//! One channel module: marker, params, message enums and their codec, reply enums, handler
//! trait, service, push helpers.

use std::collections::BTreeSet;

use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

use super::types::{Paths, Patterns, absent_is_default, descriptor_use, is_unit, rust_type, schema_expr};
use super::{Cx, deprecated, doc_lines, doc_or, ident};
use crate::escape;
use crate::ir::{Action, Additional, Channel, Direction, Message, Schema, Tagging, TypeKind};

/// One variant of `ClientMessage` / `ServerMessage`.
struct Var<'a> {
    msg: &'a Message,
    id: usize,
    ident: Ident,
    /// Payload type; `None` for a tagged message without payload (a unit variant).
    ty: Option<TokenStream>,
    /// Payload is a named type (eligible for `From`).
    named: bool,
    /// Tag value (tagged; the first when the message owns several) or message name (untagged).
    tag: String,
    /// Every tag value of a message that owns several (see [`tag_field`]); else empty.
    more_tags: Vec<String>,
    /// The payload field that holds the tag of a message with several tag values.
    tag_field: Option<Ident>,
    /// Expression of type `&'static Schema` for the whole frame.
    schema: TokenStream,
    /// Serde can decode the frame directly (no frame-level `additionalProperties: false`).
    fast: bool,
    eq: bool,
    /// The frame this variant always encodes to, when its value carries no data.
    constant: Option<String>,
    /// The payload is a struct that derives `Default` as "every property left out".
    defaults: bool,
}

struct Side<'a> {
    enum_name: Ident,
    tag: Option<&'a str>,
    vars: Vec<Var<'a>>,
}

impl Side<'_> {
    fn var(&self, msg: usize) -> Option<usize> {
        self.vars.iter().position(|v| v.id == msg)
    }
}

fn message_name(m: &Message) -> String {
    m.name.clone().unwrap_or_else(|| m.key.clone())
}

fn side<'a>(
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

fn message_doc(m: &Message, ch: &Channel) -> TokenStream {
    doc_or(
        &[m.title.as_ref(), m.summary.as_ref(), m.description.as_ref()],
        format!("Message `{}` of channel `{}`.", m.key, ch.key),
    )
}

fn emit_enum(cx_ir: &crate::ir::Ir, side: &Side<'_>, ch: &Channel, who: &str) -> TokenStream {
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

enum Param {
    /// Unit message: no argument.
    None,
    /// The message's payload type.
    Payload(TokenStream),
    /// The whole `ClientMessage` (operation with several messages).
    Whole,
}

enum ReplyKind {
    Unit,
    One {
        var: usize,
    },
    /// A reply enum of its own, over these variants of `ServerMessage`.
    Enum {
        name: Ident,
        vars: Vec<usize>,
    },
}

struct RecvOp<'a> {
    op: &'a crate::ir::Operation,
    method: Ident,
    param: Param,
    reply: ReplyKind,
    vars: Vec<usize>,
}

/// Everything the items of one channel module are built from, decided once.
struct Plan<'a> {
    ch: &'a Channel,
    common: Ident,
    client: Side<'a>,
    server: Side<'a>,
    marker: Ident,
    params_name: Ident,
    handler: Ident,
    service: Ident,
    /// `::chanx::Context<Marker>`.
    ctx_ty: TokenStream,
    recv: Vec<RecvOp<'a>>,
    /// The handler method for binary client frames, when the channel has any.
    binary_method: Option<Ident>,
    /// Frame schemas that are not named types.
    statics: Vec<TokenStream>,
    patterns: Patterns,
}

fn op_doc(op: &crate::ir::Operation, what: String) -> TokenStream {
    let mut lines = Vec::new();
    for t in [&op.summary, &op.description].into_iter().flatten() {
        if !t.trim().is_empty() {
            lines.extend(t.lines().map(str::to_owned));
            lines.push(String::new());
        }
    }
    lines.push(what);
    doc_lines(&lines)
}

fn pascal(s: &str) -> String {
    let mut out = String::new();
    let mut up = true;
    for c in s.chars() {
        if c == '_' || c == '-' || c == ' ' {
            up = true;
        } else if up {
            out.extend(c.to_uppercase());
            up = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// The module of one channel.
pub(crate) fn emit_channel(cx: &Cx<'_>, ch: &Channel) -> TokenStream {
    let plan = plan(cx, ch);
    let common = &plan.common;
    let module_doc = module_doc(ch);
    let marker_item = marker_item(&plan);
    let params_item = params_item(&plan);
    let client_enum = emit_enum(cx.ir, &plan.client, ch, "client");
    let server_enum = emit_enum(cx.ir, &plan.server, ch, "server");
    let reply_items = plan.recv.iter().filter_map(|r| reply_enum(&plan, r));
    let handler_item = handler_item(&plan);
    let service_item = service_item(&plan);
    let helpers = push_helpers(&plan);
    let statics = &plan.statics;
    let pattern_statics = plan.patterns.statics();
    let uses = descriptor_use();
    quote! {
        #module_doc

        pub use super::#common::*;

        #marker_item
        #params_item
        #client_enum
        #server_enum
        #(#reply_items)*
        #handler_item
        #service_item
        #(#helpers)*

        /// Static schema descriptors of this channel's inline payloads. Not part of the API.
        #[doc(hidden)]
        pub mod __chanx {
            /// Frame schemas that are not named types.
            pub mod schema { #uses #(#statics)* }
            /// Compiled-once patterns.
            pub mod patterns { #uses #pattern_statics }
        }
    }
}

/// Decides the sides, item names, receive operations and their replies of one channel.
fn plan<'a>(cx: &Cx<'_>, ch: &'a Channel) -> Plan<'a> {
    let mut statics = Vec::new();
    let mut patterns = Patterns::default();
    let client = side(cx, ch, &ch.client, "ClientMessage", &mut statics, &mut patterns);
    let server = side(cx, ch, &ch.server, "ServerMessage", &mut statics, &mut patterns);
    let marker = ident(&ch.type_name);
    let params_name = format_ident!("{}Params", ch.type_name.trim_start_matches("r#"));
    let handler = format_ident!("{}Handler", ch.type_name.trim_start_matches("r#"));
    let service = format_ident!("{}Service", ch.type_name.trim_start_matches("r#"));
    let mut used_names: BTreeSet<String> = [
        marker.to_string(),
        params_name.to_string(),
        handler.to_string(),
        service.to_string(),
        "ClientMessage".to_owned(),
        "ServerMessage".to_owned(),
    ]
    .into_iter()
    .collect();
    let mut method_names: BTreeSet<String> =
        ["on_connect", "on_disconnect"].into_iter().map(str::to_owned).collect();
    let recv = ch
        .operations
        .iter()
        .filter(|o| o.action == Action::Receive)
        .filter_map(|op| recv_op(op, &client, &server, &mut method_names, &mut used_names))
        .collect();
    let binary_method = (!ch.client.binary.is_empty()).then(|| {
        let mut m = "handle_binary_frame".to_owned();
        while method_names.contains(&m) {
            m.push('_');
        }
        ident(&m)
    });
    Plan {
        ch,
        common: ident(&cx.common),
        ctx_ty: quote! { ::chanx::Context<#marker> },
        client,
        server,
        marker,
        params_name,
        handler,
        service,
        recv,
        binary_method,
        statics,
        patterns,
    }
}

/// One `receive` operation: its handler method (a unique name), argument and reply; `None` when
/// none of its messages reaches `ClientMessage`.
fn recv_op<'a>(
    op: &'a crate::ir::Operation,
    client: &Side<'_>,
    server: &Side<'_>,
    method_names: &mut BTreeSet<String>,
    used_names: &mut BTreeSet<String>,
) -> Option<RecvOp<'a>> {
    let mut vars: Vec<usize> = op.messages.iter().filter_map(|&m| client.var(m)).collect();
    vars.dedup();
    if vars.is_empty() {
        return None;
    }
    let mut method = op.method.clone();
    while !method_names.insert(method.clone()) {
        method.push('_');
    }
    let param = match vars.as_slice() {
        [one] => match &client.vars[*one].ty {
            Some(ty) => Param::Payload(ty.clone()),
            None => Param::None,
        },
        _ => Param::Whole,
    };
    let mut reply_vars: Vec<usize> = Vec::new();
    for m in op.reply.iter().flat_map(|r| r.messages.iter()) {
        if let Some(v) = server.var(*m)
            && !reply_vars.contains(&v)
        {
            reply_vars.push(v);
        }
    }
    let reply = match reply_vars.as_slice() {
        [] => ReplyKind::Unit,
        [one] => ReplyKind::One { var: *one },
        _ => {
            let mut name = op
                .reply
                .as_ref()
                .and_then(|r| r.enum_name.clone())
                .unwrap_or_else(|| format!("{}Reply", pascal(&op.method)));
            while !used_names.insert(name.clone()) {
                name.push('_');
            }
            ReplyKind::Enum { name: ident(&name), vars: reply_vars }
        }
    };
    Some(RecvOp { op, method: ident(&method), param, reply, vars })
}

/// The module's inner doc comment.
fn module_doc(ch: &Channel) -> TokenStream {
    let mut lines = vec![format!(
        "Channel `{}`{}.",
        ch.key,
        ch.address.as_ref().map(|a| format!(" at `{a}`")).unwrap_or_default()
    )];
    for t in [&ch.summary, &ch.description].into_iter().flatten() {
        lines.push(String::new());
        lines.extend(t.lines().map(str::to_owned));
    }
    super::inner_doc(&lines)
}

/// The marker type and its `::chanx::Channel` impl.
fn marker_item(plan: &Plan<'_>) -> TokenStream {
    let Plan { ch, marker, params_name, .. } = plan;
    let key = &ch.key;
    let address = match &ch.address {
        Some(a) => quote! { ::core::option::Option::Some(#a) },
        None => quote! { ::core::option::Option::None },
    };
    let tag = match plan.client.tag.or(plan.server.tag) {
        Some(t) => quote! { ::core::option::Option::Some(#t) },
        None => quote! { ::core::option::Option::None },
    };
    let marker_doc = doc_or(
        &[ch.title.as_ref(), ch.summary.as_ref(), ch.description.as_ref()],
        format!("Channel `{}`.", ch.key),
    );
    quote! {
        #marker_doc
        ///
        /// Marker type: implements `::chanx::Channel`.
        #[derive(::core::fmt::Debug, ::core::clone::Clone, ::core::marker::Copy, ::core::cmp::PartialEq, ::core::cmp::Eq, ::core::hash::Hash, ::core::default::Default)]
        pub struct #marker;

        impl ::chanx::Channel for #marker {
            type Client = ClientMessage;
            type Server = ServerMessage;
            type Params = #params_name;
            const NAME: &'static str = #key;
            const ADDRESS: ::core::option::Option<&'static str> = #address;
            const TAG: ::core::option::Option<&'static str> = #tag;
        }
    }
}

/// The address parameters struct and its `::chanx::Params` impl.
fn params_item(plan: &Plan<'_>) -> TokenStream {
    let Plan { ch, params_name, .. } = plan;
    let mut fields = Vec::new();
    let mut reads = Vec::new();
    let mut names = Vec::new();
    for p in &ch.params {
        let f = ident(&p.field);
        let doc = doc_or(&[p.description.as_ref()], format!("Address parameter `{}`.", p.name));
        fields.push(quote! { #doc pub #f: ::std::string::String, });
        let name = &p.name;
        let read = match &p.default {
            Some(d) => quote! {
                let #f = values.get(#name).map_or_else(|| ::std::string::String::from(#d), ::std::borrow::ToOwned::to_owned);
            },
            None => quote! { let #f = values.require(#name)?; },
        };
        reads.push(read);
        if !p.allowed.is_empty() {
            let allowed = &p.allowed;
            let expected = p.allowed.iter().map(|a| format!("'{a}'")).collect::<Vec<_>>().join(", ");
            reads.push(quote! {
                if ![#(#allowed),*].contains(&#f.as_str()) {
                    return ::core::result::Result::Err(::chanx::ParamsError::NotAllowed {
                        name: #name,
                        value: #f,
                        expected: ::std::string::String::from(#expected),
                    });
                }
            });
        }
        names.push(f);
    }
    let values_arg = if ch.params.is_empty() {
        quote! { _values }
    } else {
        quote! { values }
    };
    let params_doc = doc_lines(&[format!(
        "Address parameters of channel `{}`{}.",
        ch.key,
        ch.address.as_ref().map(|a| format!(" (`{a}`)")).unwrap_or_default()
    )]);
    quote! {
        #params_doc
        #[derive(::core::fmt::Debug, ::core::clone::Clone, ::core::cmp::PartialEq, ::core::cmp::Eq, ::core::hash::Hash, ::core::default::Default)]
        pub struct #params_name { #(#fields)* }

        impl ::chanx::Params for #params_name {
            fn from_path(#values_arg: &::chanx::PathValues) -> ::core::result::Result<Self, ::chanx::ParamsError> {
                #(#reads)*
                ::core::result::Result::Ok(Self { #(#names),* })
            }
        }
    }
}

/// The reply enum of a receive operation that can answer with several messages, with its
/// conversion into `ServerMessage`.
fn reply_enum(plan: &Plan<'_>, r: &RecvOp<'_>) -> Option<TokenStream> {
    let ReplyKind::Enum { name, vars } = &r.reply else { return None };
    let server = &plan.server;
    let variants = vars.iter().map(|&i| {
        let v = &server.vars[i];
        let doc = message_doc(v.msg, plan.ch);
        let vi = &v.ident;
        match &v.ty {
            Some(ty) => quote! { #doc #vi(#ty), },
            None => quote! { #doc #vi, },
        }
    });
    let arms = vars.iter().map(|&i| {
        let vi = &server.vars[i].ident;
        if server.vars[i].ty.is_some() {
            quote! { #name::#vi(m) => Self::#vi(m), }
        } else {
            quote! { #name::#vi => Self::#vi, }
        }
    });
    let eq = vars.iter().all(|&i| server.vars[i].eq).then(|| quote! { ::core::cmp::Eq, });
    let doc = doc_lines(&[format!("Reply of operation `{}`.", r.op.key)]);
    Some(quote! {
        #doc
        #[derive(::core::fmt::Debug, ::core::clone::Clone, ::core::cmp::PartialEq, #eq)]
        pub enum #name { #(#variants)* }

        impl ::core::convert::From<#name> for ServerMessage {
            fn from(r: #name) -> Self {
                match r { #(#arms)* }
            }
        }
    })
}

/// The handler trait: one method per receive operation, the binary frame handler, and the
/// connect / disconnect hooks.
fn handler_item(plan: &Plan<'_>) -> TokenStream {
    let Plan { ch, handler, service, ctx_ty, .. } = plan;
    let mut methods: Vec<TokenStream> = plan.recv.iter().map(|r| handler_method(plan, r)).collect();
    if let Some(bm) = &plan.binary_method {
        let names: Vec<String> = ch
            .client
            .binary
            .iter()
            .filter_map(|&m| ch.messages.get(m))
            .map(|m| format!("`{}` ({})", m.key, m.content_type))
            .collect();
        let doc = doc_lines(&[
            format!("Handles a binary frame: {}.", names.join(", ")),
            String::new(),
            "`Some` is sent back to the sender.".to_owned(),
        ]);
        methods.push(quote! {
            #doc
            fn #bm(&self, ctx: &#ctx_ty, data: ::chanx::bytes::Bytes)
                -> impl ::core::future::Future<Output = ::chanx::HandlerResult<::core::option::Option<ServerMessage>>> + ::core::marker::Send;
        });
    }
    let handler_doc = doc_lines(&[
        format!("Server-side handlers of channel `{}`: one method per `receive` operation.", ch.key),
        String::new(),
        "Implement it with plain `async fn`s and serve it through `".to_owned() + &service.to_string() + "`.",
    ]);
    quote! {
        #handler_doc
        pub trait #handler: ::core::marker::Send + ::core::marker::Sync + 'static {
            #(#methods)*

            /// Runs once after the connection is accepted, before any message. An error closes
            /// the connection.
            fn on_connect(&self, ctx: &#ctx_ty) -> impl ::core::future::Future<Output = ::chanx::HandlerResult<()>> + ::core::marker::Send {
                let _ = ctx;
                async { ::core::result::Result::Ok(()) }
            }

            /// Runs once when the connection ends, however it ends.
            fn on_disconnect(&self, ctx: &#ctx_ty) -> impl ::core::future::Future<Output = ()> + ::core::marker::Send {
                let _ = ctx;
                async {}
            }
        }
    }
}

/// The handler trait method of one receive operation.
fn handler_method(plan: &Plan<'_>, r: &RecvOp<'_>) -> TokenStream {
    let (client, server, ctx_ty) = (&plan.client, &plan.server, &plan.ctx_ty);
    let method = &r.method;
    let msg_names: Vec<String> = r.vars.iter().map(|&i| format!("`{}`", client.vars[i].msg.key)).collect();
    let reply_ty = match &r.reply {
        ReplyKind::Unit => quote! { () },
        ReplyKind::One { var } => server.vars[*var].ty.clone().unwrap_or_else(|| quote! { () }),
        ReplyKind::Enum { name, .. } => quote! { #name },
    };
    let reply_text = match &r.reply {
        ReplyKind::Unit => "Nothing is sent back.".to_owned(),
        ReplyKind::One { var } => {
            format!("The reply is sent to the sender as `{}`.", server.vars[*var].msg.key)
        }
        ReplyKind::Enum { .. } => "The reply is sent to the sender.".to_owned(),
    };
    let doc =
        op_doc(r.op, format!("Operation `{}`: handles {}. {reply_text}", r.op.key, msg_names.join(", ")));
    let dep = deprecated(r.op.deprecated);
    let arg = match &r.param {
        Param::None => TokenStream::new(),
        Param::Payload(ty) => quote! { , msg: #ty },
        Param::Whole => quote! { , msg: ClientMessage },
    };
    quote! {
        #doc
        #dep
        fn #method(&self, ctx: &#ctx_ty #arg)
            -> impl ::core::future::Future<Output = ::chanx::HandlerResult<#reply_ty>> + ::core::marker::Send;
    }
}

/// The service struct and its `::chanx::Service` impl over a handler.
fn service_item(plan: &Plan<'_>) -> TokenStream {
    let Plan { ch, marker, handler, service, ctx_ty, .. } = plan;
    let client_name = &plan.client.enum_name;
    let server_name = &plan.server.enum_name;
    let dispatch_body = if plan.client.vars.is_empty() {
        quote! {
            let _ = ctx;
            match msg {}
        }
    } else {
        let arms = (0..plan.client.vars.len()).map(|i| dispatch_arm(plan, i));
        quote! {
            ::std::boxed::Box::pin(async move {
                match msg { #(#arms)* }
            })
        }
    };
    let binary_impl = plan.binary_method.as_ref().map(|bm| {
        quote! {
            fn dispatch_binary<'a>(&'a self, ctx: &'a #ctx_ty, data: ::chanx::bytes::Bytes)
                -> ::core::option::Option<::chanx::channel::BoxFuture<'a, ::chanx::HandlerResult<::core::option::Option<#server_name>>>>
            {
                ::core::option::Option::Some(::std::boxed::Box::pin(self.0.#bm(ctx, data)))
            }
        }
    });
    let service_doc = doc_lines(&[format!(
        "Serves channel `{}` with a `{handler}`: decodes, dispatches to the handler and encodes replies.",
        ch.key
    )]);
    quote! {
        #service_doc
        #[derive(::core::fmt::Debug, ::core::clone::Clone, ::core::default::Default)]
        pub struct #service<H>(pub H);

        impl<H: #handler> ::chanx::Service<#marker> for #service<H> {
            fn dispatch<'a>(&'a self, ctx: &'a #ctx_ty, msg: #client_name)
                -> ::chanx::channel::BoxFuture<'a, ::chanx::HandlerResult<::core::option::Option<#server_name>>>
            {
                #dispatch_body
            }

            #binary_impl

            fn on_connect<'a>(&'a self, ctx: &'a #ctx_ty) -> ::chanx::channel::BoxFuture<'a, ::chanx::HandlerResult<()>> {
                ::std::boxed::Box::pin(self.0.on_connect(ctx))
            }

            fn on_disconnect<'a>(&'a self, ctx: &'a #ctx_ty) -> ::chanx::channel::BoxFuture<'a, ()> {
                ::std::boxed::Box::pin(self.0.on_disconnect(ctx))
            }
        }
    }
}

/// The `dispatch` match arm of client variant `i`: calls its operation's handler method and
/// wraps the reply, or answers nothing when no operation receives it.
fn dispatch_arm(plan: &Plan<'_>, i: usize) -> TokenStream {
    let client_name = &plan.client.enum_name;
    let server_name = &plan.server.enum_name;
    let server = &plan.server;
    let v = &plan.client.vars[i];
    let vi = &v.ident;
    let pattern = if v.ty.is_some() {
        quote! { #client_name::#vi(m) }
    } else {
        quote! { #client_name::#vi }
    };
    let Some(r) = plan.recv.iter().find(|r| r.vars.contains(&i)) else {
        let pattern = if v.ty.is_some() {
            quote! { #client_name::#vi(_) }
        } else {
            pattern
        };
        return quote! { #pattern => ::core::result::Result::Ok(::core::option::Option::None), };
    };
    let method = &r.method;
    let (pattern, call) = match &r.param {
        Param::None => (pattern, quote! { self.0.#method(ctx) }),
        Param::Payload(_) => (pattern, quote! { self.0.#method(ctx, m) }),
        Param::Whole => {
            let p = if v.ty.is_some() {
                quote! { m @ #client_name::#vi(_) }
            } else {
                quote! { m @ #client_name::#vi }
            };
            (p, quote! { self.0.#method(ctx, m) })
        }
    };
    let wrap = match &r.reply {
        ReplyKind::Unit => quote! { |()| ::core::option::Option::None },
        ReplyKind::One { var } => {
            let sv = &server.vars[*var].ident;
            if server.vars[*var].ty.is_some() {
                quote! { |r| ::core::option::Option::Some(#server_name::#sv(r)) }
            } else {
                quote! { |()| ::core::option::Option::Some(#server_name::#sv) }
            }
        }
        ReplyKind::Enum { .. } => quote! { |r| ::core::option::Option::Some(#server_name::from(r)) },
    };
    quote! { #pattern => #call.await.map(#wrap), }
}

/// The push helpers of every `send` operation, in operation order, with unique names.
fn push_helpers(plan: &Plan<'_>) -> Vec<TokenStream> {
    let ch = plan.ch;
    let mut helpers = Vec::new();
    let mut fn_names = BTreeSet::new();
    for op in ch.operations.iter().filter(|o| o.action == Action::Send) {
        let mut vars: Vec<usize> = op.messages.iter().filter_map(|&m| plan.server.var(m)).collect();
        vars.dedup();
        let mut binary: Vec<usize> =
            op.messages.iter().copied().filter(|m| ch.server.binary.contains(m)).collect();
        binary.dedup();
        if !binary.is_empty() {
            let base = if vars.is_empty() { op.method.clone() } else { format!("{}_binary", op.method) };
            helpers.push(binary_helpers(ch, op, &binary, base, &mut fn_names));
        }
        if !vars.is_empty() {
            helpers.push(text_helpers(plan, op, &vars, &mut fn_names));
        }
    }
    helpers
}

/// The push helpers of the text messages of a `send` operation: `name(hub, group, msg)`
/// broadcasts to a group, `name_to(hub, to, msg)` sends to one connection.
fn text_helpers(
    plan: &Plan<'_>,
    op: &crate::ir::Operation,
    vars: &[usize],
    fn_names: &mut BTreeSet<String>,
) -> TokenStream {
    let server = &plan.server;
    let server_name = &server.enum_name;
    // Both names are reserved together so a later operation never takes half of a pair.
    let mut name = op.method.clone();
    while fn_names.contains(&name) || fn_names.contains(&format!("{name}_to")) {
        name.push('_');
    }
    fn_names.insert(name.clone());
    fn_names.insert(format!("{name}_to"));
    let group_fn = ident(&name);
    let to_fn = ident(&format!("{name}_to"));
    let keys: Vec<String> = vars.iter().map(|&i| format!("`{}`", server.vars[i].msg.key)).collect();
    let keys = keys.join(", ");
    let dep = deprecated(op.deprecated);
    let (param, frame) = match vars {
        [one] => {
            let v = &server.vars[*one];
            let vi = &v.ident;
            match &v.ty {
                Some(ty) => (quote! { , msg: #ty }, quote! { #server_name::#vi(msg) }),
                None => (TokenStream::new(), quote! { #server_name::#vi }),
            }
        }
        _ => (quote! { , msg: impl ::core::convert::Into<#server_name> }, quote! { msg.into() }),
    };
    let ret = quote! { ::core::result::Result<::chanx::SendReport, ::chanx::LayerError> };
    let group_doc = op_doc(
        op,
        format!(
            "Operation `{}`: sends {keys} to every member of `group` through the hub (encoded once). \
             The report counts deliveries and drops.",
            op.key
        ),
    );
    let to_doc =
        op_doc(op, format!("Operation `{}`: sends {keys} to the connection `to` through the hub.", op.key));
    quote! {
        #group_doc
        #dep
        pub async fn #group_fn(hub: &::chanx::Hub, group: &str #param) -> #ret {
            hub.broadcast(group, &#frame).await
        }

        #to_doc
        #dep
        pub async fn #to_fn(hub: &::chanx::Hub, to: &::chanx::ConnId #param) -> #ret {
            hub.send(to, &#frame).await
        }
    }
}

/// The push helpers of the binary messages of a `send` operation: `name(hub, group, data)` and
/// `name_to(hub, to, data)` send the bytes as one binary frame.
fn binary_helpers(
    ch: &Channel,
    op: &crate::ir::Operation,
    binary: &[usize],
    base: String,
    fn_names: &mut BTreeSet<String>,
) -> TokenStream {
    let mut name = base;
    while fn_names.contains(&name) || fn_names.contains(&format!("{name}_to")) {
        name.push('_');
    }
    fn_names.insert(name.clone());
    fn_names.insert(format!("{name}_to"));
    let group_fn = ident(&name);
    let to_fn = ident(&format!("{name}_to"));
    let keys: Vec<String> = binary
        .iter()
        .filter_map(|&m| ch.messages.get(m))
        .map(|m| format!("`{}` ({})", m.key, m.content_type))
        .collect();
    let keys = keys.join(", ");
    let dep = deprecated(op.deprecated);
    let ret = quote! { ::core::result::Result<::chanx::SendReport, ::chanx::LayerError> };
    let group_doc = op_doc(
        op,
        format!(
            "Operation `{}`: sends {keys} as one binary frame to every member of `group` through the hub. \
             The report counts deliveries and drops.",
            op.key
        ),
    );
    let to_doc = op_doc(
        op,
        format!("Operation `{}`: sends {keys} as one binary frame to the connection `to`.", op.key),
    );
    quote! {
        #group_doc
        #dep
        pub async fn #group_fn(hub: &::chanx::Hub, group: &str, data: impl ::core::convert::Into<::chanx::bytes::Bytes>) -> #ret {
            hub.broadcast_payload(group, ::chanx::Payload::Binary(data.into()), ::chanx::SendOptions::default()).await
        }

        #to_doc
        #dep
        pub async fn #to_fn(hub: &::chanx::Hub, to: &::chanx::ConnId, data: impl ::core::convert::Into<::chanx::bytes::Bytes>) -> #ret {
            hub.send_payload(to, ::chanx::Payload::Binary(data.into()), ::chanx::SendOptions::default()).await
        }
    }
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

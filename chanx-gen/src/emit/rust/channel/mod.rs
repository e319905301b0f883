//! One channel module: marker, params, message enums and their codec, reply enums, handler
//! trait, service, push helpers.

mod messages;

use std::collections::BTreeSet;

use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

use self::messages::{Side, emit_enum, message_doc, side};
use super::types::{Patterns, descriptor_use};
use super::{Cx, deprecated, doc_lines, doc_or, ident};
use crate::ir::{Action, Channel};

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

//! The Rust files of a new project that depend on its spec: `src/handler.rs` (one stub per
//! method of every generated handler trait) and `tests/api.rs` (a communicator test per
//! channel).
//!
//! The stubs copy the signatures of the trait as the Rust emitter printed it (parsed back from
//! [`emit_single`]), so they match it by construction and no naming rule of the emitter is
//! repeated here; the IR says which channels exist and what their frames look like on the wire.
//! A stub returns `Ok(())` for a reply-less operation, `Ok(T::default())` when the reply type
//! derives `Default` (a constant frame like `pong`), `Ok(None)` for an optional reply, and
//! otherwise an error the client sees (`HandlerError::public`), never a panic.

use std::collections::{BTreeMap, BTreeSet};

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::ext::IdentExt as _;
use syn::{GenericArgument, Item, PathArguments, ReturnType, TraitItem, Type, TypeParamBound};

use crate::emit::rust::{emit_single, ident};
use crate::ir::{Action, Channel, Ir, Schema};

/// `src/handler.rs` and `tests/api.rs` of a project whose library crate is `krate`.
pub(crate) struct Skeleton {
    pub handler: String,
    pub tests: String,
}

/// Builds both files; `Err` only on a bug (the emitted API does not parse).
pub(crate) fn skeleton(ir: &Ir, krate: &str) -> Result<Skeleton, String> {
    let api = syn::parse_file(&emit_single(ir).contents)
        .map_err(|e| format!("the generated API does not parse: {e}"))?;
    let modules = Modules::read(&api);
    let handler = handler_file(ir, &modules);
    let tests = tests_file(ir, &modules, krate);
    Ok(Skeleton { handler: print(handler)?, tests: print(tests)? })
}

/// Prints a file the way a person lays it out: its docs, then its items with a blank line
/// between them (consecutive `use` lines stay together).
fn print(tokens: TokenStream) -> Result<String, String> {
    let file = syn::parse2::<syn::File>(tokens).map_err(|e| format!("invalid skeleton: {e}"))?;
    let one = |attrs: Vec<syn::Attribute>, items: Vec<Item>| {
        prettyplease::unparse(&syn::File { shebang: None, attrs, items })
    };
    let mut out = one(file.attrs, Vec::new());
    let mut previous_use = false;
    for item in file.items {
        let is_use = matches!(item, Item::Use(_));
        if !(out.is_empty() || (is_use && previous_use)) {
            out.push('\n');
        }
        out.push_str(&one(Vec::new(), vec![item]));
        previous_use = is_use;
    }
    Ok(out)
}

/// What the emitted API holds, per module: the handler trait's required methods and the types
/// that derive `Default`.
struct Modules {
    traits: BTreeMap<String, Vec<syn::TraitItemFn>>,
    defaults: BTreeSet<(String, String)>,
    /// The module of the shared types (the one without a handler trait).
    common: Option<String>,
}

impl Modules {
    fn read(api: &syn::File) -> Self {
        let mut traits = BTreeMap::new();
        let mut defaults = BTreeSet::new();
        for item in &api.items {
            let Item::Mod(m) = item else { continue };
            let module = m.ident.unraw().to_string();
            for item in m.content.iter().flat_map(|(_, items)| items) {
                let (name, attrs) = match item {
                    Item::Struct(s) => (s.ident.to_string(), &s.attrs),
                    Item::Enum(e) => (e.ident.to_string(), &e.attrs),
                    Item::Trait(t) if t.ident.to_string().ends_with("Handler") => {
                        let required = t.items.iter().filter_map(|i| match i {
                            TraitItem::Fn(f) if f.default.is_none() => Some(f.clone()),
                            _ => None,
                        });
                        traits.insert(module.clone(), required.collect());
                        continue;
                    }
                    _ => continue,
                };
                if derives_default(attrs) {
                    defaults.insert((module.clone(), name));
                }
            }
        }
        let common = api.items.iter().find_map(|item| match item {
            Item::Mod(m) if !traits.contains_key(&m.ident.unraw().to_string()) => {
                Some(m.ident.unraw().to_string())
            }
            _ => None,
        });
        Self { traits, defaults, common }
    }

    /// True when `ty`, written in channel module `channel`, derives `Default`.
    fn is_default(&self, channel: &str, ty: &Type) -> bool {
        let Type::Path(p) = ty else { return false };
        let segments: Vec<String> = p.path.segments.iter().map(|s| s.ident.unraw().to_string()).collect();
        match segments.as_slice() {
            [name] => self.defaults.contains(&(channel.to_owned(), name.clone())),
            [first, module, name] if first == "super" => {
                self.defaults.contains(&(module.clone(), name.clone()))
            }
            _ => false,
        }
    }
}

fn derives_default(attrs: &[syn::Attribute]) -> bool {
    let mut found = false;
    for attr in attrs.iter().filter(|a| a.path().is_ident("derive")) {
        let _ = attr.parse_nested_meta(|meta| {
            found |= meta.path.segments.last().is_some_and(|s| s.ident == "Default");
            Ok(())
        });
    }
    found
}

/// `src/handler.rs`: `App` implements every channel's handler trait.
fn handler_file(ir: &Ir, modules: &Modules) -> TokenStream {
    let app = quote! {
        /// The application state shared by every connection.
        #[derive(Debug, Default, Clone)]
        pub struct App;
    };
    let nested = ir.channels.len() > 1;
    let mut parts = Vec::new();
    for ch in &ir.channels {
        let module = ident(&ch.module);
        let required = modules.traits.get(module.unraw().to_string().as_str()).map_or(&[][..], Vec::as_slice);
        let handler = format_ident!("{}Handler", ch.type_name.trim_start_matches("r#")).to_string();
        // Twice: the first pass finds the names that two modules of the API share (a channel
        // marker `Ping` and a payload type `Ping`), which the second writes with their path.
        let mut first = Imports::default();
        for m in required {
            stub(m, &ch.module, modules, &mut first);
        }
        first.local(&ch.module, &handler);
        let mut imports = Imports { ambiguous: first.shared_names(), ..Imports::default() };
        let methods: Vec<TokenStream> =
            required.iter().map(|m| stub(m, &ch.module, modules, &mut imports)).collect();
        let handler = imports.name(&ch.module, &handler);
        let uses = imports.tokens();
        parts.push(if nested {
            let doc = format!(" Channel `{}`.", ch.key);
            quote! {
                #[doc = #doc]
                mod #module {
                    #uses
                    use super::App;

                    impl #handler for App { #(#methods)* }
                }
            }
        } else {
            quote! { #uses #app impl #handler for App { #(#methods)* } }
        });
    }
    let app = if nested { app } else { TokenStream::new() };
    quote! {
        //! The API's behaviour: `App` implements the handler trait generated for every channel,
        //! one method per operation the server receives. Each body is a starting point: replace
        //! it with yours (`ctx` joins groups, sends and broadcasts; see `chanx::Context`).

        #app
        #(#parts)*
    }
}

/// One `async fn` with the signature of the trait's method `m` and a body that does not panic.
fn stub(m: &syn::TraitItemFn, channel: &str, modules: &Modules, imports: &mut Imports) -> TokenStream {
    let docs = m.attrs.iter().filter(|a| a.path().is_ident("doc"));
    let name = &m.sig.ident;
    let mut args = Vec::new();
    for input in m.sig.inputs.iter().skip(1) {
        let syn::FnArg::Typed(arg) = input else { continue };
        let arg_name = match &*arg.pat {
            syn::Pat::Ident(p) => format_ident!("_{}", p.ident.unraw()),
            _ => format_ident!("_arg"),
        };
        let ty = imports.simplify(&arg.ty, channel);
        args.push(quote! { #arg_name: #ty });
    }
    let reply = handler_reply(&m.sig.output);
    let (ret, body) = match &reply {
        None => (quote! { HandlerResult<()> }, quote! { Ok(()) }),
        Some(ty) => {
            let shown = imports.simplify(ty, channel);
            let body = if matches!(ty, Type::Tuple(t) if t.elems.is_empty()) {
                quote! { Ok(()) }
            } else if is_option(ty) {
                quote! { Ok(None) }
            } else if modules.is_default(channel, ty) {
                quote! { Ok(#shown::default()) }
            } else {
                imports.chanx("HandlerError");
                let text = format!("`{}` is not implemented yet", name.unraw());
                quote! { Err(HandlerError::public(#text)) }
            };
            (quote! { HandlerResult<#shown> }, body)
        }
    };
    imports.chanx("HandlerResult");
    quote! {
        #(#docs)*
        async fn #name(&self, #(#args),*) -> #ret {
            #body
        }
    }
}

/// `R` of `impl Future<Output = HandlerResult<R>> + Send`.
fn handler_reply(output: &ReturnType) -> Option<Type> {
    let ReturnType::Type(_, ty) = output else { return None };
    let Type::ImplTrait(bounds) = &**ty else { return None };
    bounds.bounds.iter().find_map(|b| {
        let TypeParamBound::Trait(t) = b else { return None };
        let PathArguments::AngleBracketed(args) = &t.path.segments.last()?.arguments else { return None };
        args.args.iter().find_map(|a| match a {
            GenericArgument::AssocType(out) if out.ident == "Output" => first_generic(&out.ty),
            _ => None,
        })
    })
}

/// `T` of `Path<T>`.
fn first_generic(ty: &Type) -> Option<Type> {
    let Type::Path(p) = ty else { return None };
    let PathArguments::AngleBracketed(args) = &p.path.segments.last()?.arguments else { return None };
    args.args.iter().find_map(|a| match a {
        GenericArgument::Type(t) => Some(t.clone()),
        _ => None,
    })
}

fn is_option(ty: &Type) -> bool {
    matches!(ty, Type::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "Option"))
}

/// The `use` lines a file needs, collected while its types are shortened.
#[derive(Default)]
struct Imports {
    /// `chanx::{...}` names.
    chanx: BTreeSet<String>,
    /// module of the API → names.
    api: BTreeMap<String, BTreeSet<String>>,
    /// Names that more than one module of the API gives to the file: written with their path.
    ambiguous: BTreeSet<String>,
}

impl Imports {
    fn chanx(&mut self, name: &str) {
        self.chanx.insert(name.to_owned());
    }

    fn local(&mut self, module: &str, name: &str) {
        self.api.entry(module.to_owned()).or_default().insert(name.to_owned());
    }

    /// Names imported from more than one module.
    fn shared_names(&self) -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut shared = BTreeSet::new();
        for name in self.api.values().flatten() {
            if !seen.insert(name) {
                shared.insert(name.clone());
            }
        }
        shared
    }

    /// API item `name` of `module` as the file writes it: imported and bare, or by its path.
    fn name(&mut self, module: &str, name: &str) -> TokenStream {
        let item = ident(name);
        if self.ambiguous.contains(name) {
            let module = ident(module);
            quote! { crate::api::#module::#item }
        } else {
            self.local(module, name);
            quote! { #item }
        }
    }

    /// `p` (ending in an item of API module `module`) shortened to its last segment and
    /// imported, or, when that name is ambiguous, written as `crate::api::module::Name`.
    fn api_path(&mut self, p: &mut syn::TypePath, module: &str) {
        let Some(last) = p.path.segments.pop().map(syn::punctuated::Pair::into_value) else { return };
        let name = last.ident.unraw().to_string();
        p.path.segments.clear();
        p.path.leading_colon = None;
        if self.ambiguous.contains(&name) {
            p.path.segments.push(format_ident!("crate").into());
            p.path.segments.push(format_ident!("api").into());
            p.path.segments.push(ident(module).into());
        } else {
            self.local(module, &name);
        }
        p.path.segments.push(last);
    }

    /// `ty` (written inside API module `channel`) as the handler file writes it: API types and
    /// `chanx::{Context, HandlerResult}` by their bare names (imported), `Option` from the
    /// prelude, other paths without the leading `::`.
    fn simplify(&mut self, ty: &Type, channel: &str) -> Type {
        match ty {
            Type::Reference(r) => {
                let mut r = r.clone();
                r.elem = Box::new(self.simplify(&r.elem, channel));
                Type::Reference(r)
            }
            Type::Tuple(t) => {
                let mut t = t.clone();
                t.elems = t.elems.iter().map(|e| self.simplify(e, channel)).collect();
                Type::Tuple(t)
            }
            Type::Path(p) if p.qself.is_none() => {
                let mut p = p.clone();
                for seg in &mut p.path.segments {
                    if let PathArguments::AngleBracketed(args) = &mut seg.arguments {
                        for arg in &mut args.args {
                            if let GenericArgument::Type(t) = arg {
                                *t = self.simplify(t, channel);
                            }
                        }
                    }
                }
                let names: Vec<String> =
                    p.path.segments.iter().map(|s| s.ident.unraw().to_string()).collect();
                let keep_last = |p: &mut syn::TypePath| {
                    let last = p.path.segments.pop().map(syn::punctuated::Pair::into_value);
                    p.path.segments.clear();
                    p.path.segments.extend(last);
                    p.path.leading_colon = None;
                };
                match names.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
                    [_] => self.api_path(&mut p, channel),
                    ["super", module, _] => self.api_path(&mut p, module),
                    ["chanx", name @ ("Context" | "HandlerResult")] => {
                        self.chanx(name);
                        keep_last(&mut p);
                    }
                    ["core" | "std", "option", "Option"] => keep_last(&mut p),
                    _ => p.path.leading_colon = None,
                }
                Type::Path(p)
            }
            other => other.clone(),
        }
    }

    fn tokens(&self) -> TokenStream {
        let chanx = (!self.chanx.is_empty()).then(|| {
            let names = self.chanx.iter().map(|n| ident(n));
            quote! { use chanx::{#(#names),*}; }
        });
        let api = self.api.iter().map(|(module, names)| {
            let module = ident(module);
            let names = names.iter().map(|n| ident(n));
            quote! { use crate::api::#module::{#(#names),*}; }
        });
        quote! {
            #chanx
            #(#api)*
        }
    }
}

/// `tests/api.rs`: for every channel, a client connects over the in-memory communicator; where
/// an operation takes and answers frames that need no data (like `ping`), it is sent with a
/// `ref` and its reply checked.
fn tests_file(ir: &Ir, modules: &Modules, krate: &str) -> TokenStream {
    let krate = ident(krate);
    let tests = ir.channels.iter().map(|ch| {
        let module = ident(&ch.module);
        let marker = ident(&ch.type_name);
        let endpoint = format_ident!("{}_endpoint", ch.module.trim_start_matches("r#"));
        let path = test_path(ch);
        let test = format_ident!("{}_answers_a_client", ch.module.trim_start_matches("r#"));
        let round_trip = round_trip(ir, ch, modules, &krate);
        quote! {
            #[tokio::test]
            async fn #test() {
                use #krate::api::#module::*;
                let hub = chanx::Hub::memory();
                let endpoint = #krate::#endpoint(&hub);
                let mut client = Communicator::<#marker>::connect(&endpoint, #path).await.expect("the channel accepts");
                #round_trip
                let quiet = client.receive_nothing().await;
                assert!(quiet, "nothing more is sent");
            }
        }
    });
    quote! {
        //! The API over the in-memory communicator (`chanx::testing`): no socket, no port.

        use chanx::testing::Communicator;

        #(#tests)*

        #[tokio::test]
        async fn the_app_serves_the_spec() {
            let _router = #krate::app(&chanx::Hub::memory()).expect("the spec is served");
        }
    }
}

/// The channel's address with a sample value for every parameter (its default or first
/// allowed value when that is a plain word, else `test`).
fn test_path(ch: &Channel) -> String {
    let mut path = ch.address.clone().unwrap_or_else(|| format!("/ws/{}", ch.key));
    let plain =
        |v: &&String| !v.is_empty() && v.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    for p in &ch.params {
        let value = p.default.as_ref().filter(plain).or_else(|| p.allowed.first().filter(plain));
        path = path.replace(&format!("{{{}}}", p.name), value.map_or("test", String::as_str));
    }
    path
}

/// A request and its reply for the first `receive` operation whose message and reply are both
/// a named type deriving `Default`, when the channel has one.
fn round_trip(ir: &Ir, ch: &Channel, modules: &Modules, krate: &syn::Ident) -> TokenStream {
    for op in ch.operations.iter().filter(|o| o.action == Action::Receive) {
        let ([request], Some([reply])) =
            (op.messages.as_slice(), op.reply.as_ref().map(|r| r.messages.as_slice()))
        else {
            continue;
        };
        if !ch.client.messages.contains(request) {
            continue;
        }
        let (Some(req), Some(rep)) = (ch.messages.get(*request), ch.messages.get(*reply)) else { continue };
        let (Some(req_ty), Some(_)) = (named_default(ir, req, modules), named_default(ir, rep, modules))
        else {
            continue;
        };
        let variant = ident(&req.variant);
        let req_ty = ident(req_ty);
        let common = ident(modules.common.as_deref().unwrap_or("common"));
        let check_tag = match (&ch.server.tag, &rep.tag_value) {
            (crate::ir::Tagging::Field(field), Some(value)) => quote! { assert_eq!(reply[#field], #value); },
            _ => TokenStream::new(),
        };
        return quote! {
            let request = ClientMessage::#variant(#krate::api::#common::#req_ty::default());
            client.send_with_ref(&request, "r1").await;
            let reply = client.receive_json().await;
            assert_eq!(reply["ref"], "r1");
            #check_tag
        };
    }
    TokenStream::new()
}

/// The payload type of `m` when it is a named type that derives `Default`.
fn named_default<'a>(ir: &'a Ir, m: &crate::ir::Message, modules: &Modules) -> Option<&'a str> {
    let Some(Schema::Named { id, .. }) = &m.payload else { return None };
    let name = ir.types.get(*id)?.name.as_str();
    let common = modules.common.as_deref()?;
    modules.defaults.contains(&(common.to_owned(), name.to_owned())).then_some(name)
}

//! The type space: Rust types for IR schemas, the shared types module, and the static schema
//! descriptors (`::chanx::schema::Schema`) that the runtime walks.
//!
//! Field representation (see the module docs of [`super`]):
//!
//! | required | nullable | default      | Rust         | absent   | `null`  | `None` writes |
//! |----------|----------|--------------|--------------|----------|---------|---------------|
//! | yes      | no       | -            | `T`          | error    | error   | -             |
//! | yes      | yes      | -            | `Option<T>`  | error    | `None`  | `null`        |
//! | no       | yes      | none / null  | `Option<T>`  | `None`   | `None`  | `null`        |
//! | no       | no       | usable       | `T`          | default  | error   | -             |
//! | no       | no       | none         | `Option<T>`  | `None`   | error   | (skipped)     |

use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};
use serde_json::Value;

use super::{Cx, deprecated, doc_or, ident};
use crate::ir::{
    Additional, ArrayRules, Field, NumberRules, Schema, StringRules, TypeDef, TypeKind, UnionVariant,
};

/// Longest tuple rendered as a Rust tuple (the runtime implements `Check` up to this size).
const MAX_TUPLE: usize = 8;

/// Tuples that are carried as JSON values instead.
pub(crate) fn tuple_as_value(items: &[Schema]) -> bool {
    items.is_empty() || items.len() > MAX_TUPLE
}

/// Where generated code stands, for building paths.
#[derive(Clone)]
pub(crate) struct Paths {
    /// Prefix of the common module's schema statics.
    pub schema: TokenStream,
    /// Prefix of the local pattern statics.
    pub patterns: TokenStream,
}

/// Patterns of one file, emitted as `static`s so each regex is compiled once.
#[derive(Default)]
pub(crate) struct Patterns {
    list: Vec<String>,
}

impl Patterns {
    fn get(&mut self, source: &str) -> proc_macro2::Ident {
        let i = match self.list.iter().position(|p| p == source) {
            Some(i) => i,
            None => {
                self.list.push(source.to_owned());
                self.list.len() - 1
            }
        };
        format_ident!("P{}", i)
    }

    /// The `patterns` module body.
    pub fn statics(&self) -> TokenStream {
        let items = self.list.iter().enumerate().map(|(i, p)| {
            let name = format_ident!("P{}", i);
            let doc = format!(" `{}`", p.replace('`', "'"));
            quote! {
                #[doc = #doc]
                pub static #name: Pattern = Pattern::new(#p);
            }
        });
        quote! { #(#items)* }
    }
}

/// The `use` line of every hidden descriptor module: descriptors name the runtime's schema
/// types briefly (user-facing items keep fully qualified paths). The imported names are types,
/// and descriptor statics are values named after generated types, so they never collide.
pub(crate) fn descriptor_use() -> TokenStream {
    quote! {
        use ::chanx::schema::{Additional, ArrayRules, Const, Field, Format, NumRules, Object, Pattern, Schema, StrRules, Union, Variant};
    }
}

fn f64_lit(f: f64) -> Literal {
    Literal::f64_unsuffixed(f)
}

/// The rules expression, `None` when there is no (finite) bound.
fn num_rules(r: &NumberRules) -> Option<TokenStream> {
    let mut out = quote! { NumRules::NONE };
    let mut any = false;
    let rules = [
        ("minimum", r.minimum),
        ("maximum", r.maximum),
        ("exclusive_minimum", r.exclusive_minimum),
        ("exclusive_maximum", r.exclusive_maximum),
        ("multiple_of", r.multiple_of),
    ];
    for (name, v) in rules {
        if let Some(f) = v.filter(|f| f.is_finite()) {
            let m = format_ident!("{}", name);
            let lit = f64_lit(f);
            out.extend(quote! { .#m(#lit) });
            any = true;
        }
    }
    any.then_some(out)
}

fn format_of(f: Option<&str>) -> Option<TokenStream> {
    Some(match f? {
        "date-time" => quote! { DateTime },
        "date" => quote! { Date },
        "time" => quote! { Time },
        "uuid" => quote! { Uuid },
        "email" | "idn-email" => quote! { Email },
        "uri" | "iri" => quote! { Uri },
        _ => return None,
    })
}

fn str_rules(r: &StringRules, paths: &Paths, patterns: &mut Patterns) -> TokenStream {
    let mut out = quote! { StrRules::NONE };
    if let Some(n) = r.min_length {
        let lit = Literal::u64_unsuffixed(n);
        out.extend(quote! { .min_length(#lit) });
    }
    if let Some(n) = r.max_length {
        let lit = Literal::u64_unsuffixed(n);
        out.extend(quote! { .max_length(#lit) });
    }
    if let Some(p) = &r.pattern {
        let name = patterns.get(p);
        let prefix = &paths.patterns;
        out.extend(quote! { .pattern(&#prefix #name) });
    }
    if let Some(f) = format_of(r.format.as_deref()) {
        out.extend(quote! { .format(Format::#f) });
    }
    out
}

fn array_rules(r: &ArrayRules) -> TokenStream {
    let mut out = quote! { ArrayRules::NONE };
    if let Some(n) = r.min_items {
        let lit = Literal::u64_unsuffixed(n);
        out.extend(quote! { .min_items(#lit) });
    }
    if let Some(n) = r.max_items {
        let lit = Literal::u64_unsuffixed(n);
        out.extend(quote! { .max_items(#lit) });
    }
    if r.unique_items {
        out.extend(quote! { .unique() });
    }
    out
}

fn const_expr(v: &Value) -> TokenStream {
    match v {
        Value::Null => quote! { Const::Null },
        Value::Bool(b) => quote! { Const::Bool(#b) },
        Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => quote! { Const::Int(#i) },
            (None, Some(f)) if f.is_finite() => {
                let lit = Literal::f64_suffixed(f);
                quote! { Const::Float(#lit) }
            }
            _ => {
                let s = n.to_string();
                quote! { Const::Json(#s) }
            }
        },
        Value::String(s) => quote! { Const::Str(#s) },
        other => {
            let s = other.to_string();
            quote! { Const::Json(#s) }
        }
    }
}

/// The descriptor expression of a schema (a constant expression usable in a `static` of a
/// module that has [`descriptor_use`]).
pub(crate) fn schema_expr(cx: &Cx<'_>, s: &Schema, paths: &Paths, patterns: &mut Patterns) -> TokenStream {
    match s {
        Schema::Any => quote! { Schema::Any },
        Schema::Null => quote! { Schema::Null },
        Schema::Bool => quote! { Schema::Bool },
        Schema::Integer(r) => match num_rules(r) {
            None => quote! { Schema::INT },
            Some(r) => quote! { Schema::Int(#r) },
        },
        Schema::Number(r) => match num_rules(r) {
            None => quote! { Schema::NUM },
            Some(r) => quote! { Schema::Num(#r) },
        },
        Schema::String(r) => {
            if r.min_length.is_none()
                && r.max_length.is_none()
                && r.pattern.is_none()
                && format_of(r.format.as_deref()).is_none()
            {
                quote! { Schema::STR }
            } else {
                let r = str_rules(r, paths, patterns);
                quote! { Schema::Str(#r) }
            }
        }
        Schema::Const(v) => {
            let c = const_expr(v);
            quote! { Schema::Const(#c) }
        }
        Schema::Array { items, rules } => {
            let items = schema_expr(cx, items, paths, patterns);
            let rules = array_rules(rules);
            quote! { Schema::array(&#items, #rules) }
        }
        Schema::Tuple { items, rules } => {
            let items: Vec<_> = items.iter().map(|i| schema_expr(cx, i, paths, patterns)).collect();
            let rules = array_rules(rules);
            quote! { Schema::Tuple { items: &[#(#items),*], rules: #rules } }
        }
        Schema::Map { values, key_pattern } => {
            let values = schema_expr(cx, values, paths, patterns);
            match key_pattern {
                Some(p) => {
                    let name = patterns.get(p);
                    let prefix = &paths.patterns;
                    quote! { Schema::Map { values: &#values, key_pattern: ::core::option::Option::Some(&#prefix #name) } }
                }
                None => quote! { Schema::map(&#values) },
            }
        }
        Schema::Nullable(inner) => {
            let inner = schema_expr(cx, inner, paths, patterns);
            quote! { Schema::Nullable(&#inner) }
        }
        Schema::Named { id, .. } => match cx.ir.types.get(*id) {
            Some(t) => {
                let name = ident(&t.name);
                let prefix = &paths.schema;
                quote! { Schema::Named(&#prefix #name) }
            }
            None => quote! { Schema::Any },
        },
    }
}

/// The Rust type of a schema.
pub(crate) fn rust_type(cx: &Cx<'_>, s: &Schema, types: &TokenStream) -> TokenStream {
    match s {
        Schema::Any => quote! { ::chanx::serde_json::Value },
        Schema::Null => quote! { () },
        Schema::Bool => quote! { bool },
        Schema::Integer(_) => quote! { i64 },
        Schema::Number(_) => quote! { f64 },
        Schema::String(_) => quote! { ::std::string::String },
        Schema::Const(v) => match v {
            Value::Null => quote! { () },
            Value::Bool(_) => quote! { bool },
            Value::Number(n) if n.as_i64().is_some() => quote! { i64 },
            Value::Number(n) if n.as_f64().is_some_and(f64::is_finite) => quote! { f64 },
            Value::String(_) => quote! { ::std::string::String },
            _ => quote! { ::chanx::serde_json::Value },
        },
        Schema::Array { items, .. } => {
            let t = rust_type(cx, items, types);
            quote! { ::std::vec::Vec<#t> }
        }
        Schema::Tuple { items, .. } => {
            if tuple_as_value(items) {
                quote! { ::chanx::serde_json::Value }
            } else {
                let ts = items.iter().map(|i| rust_type(cx, i, types));
                quote! { (#(#ts,)*) }
            }
        }
        Schema::Map { values, .. } => {
            let t = rust_type(cx, values, types);
            quote! { ::std::collections::BTreeMap<::std::string::String, #t> }
        }
        Schema::Nullable(inner) => {
            let mut inner: &Schema = inner;
            while let Schema::Nullable(i) = inner {
                inner = i;
            }
            match inner {
                Schema::Any | Schema::Null => rust_type(cx, inner, types),
                _ => {
                    let t = rust_type(cx, inner, types);
                    quote! { ::core::option::Option<#t> }
                }
            }
        }
        Schema::Named { id, boxed } => match cx.ir.types.get(*id) {
            Some(t) => {
                let name = ident(&t.name);
                if *boxed {
                    quote! { ::std::boxed::Box<#types #name> }
                } else {
                    quote! { #types #name }
                }
            }
            None => quote! { ::chanx::serde_json::Value },
        },
    }
}

/// True when the Rust type of `s` is an `Option` (so a nullable wrapper must not add another).
fn is_nullable(s: &Schema) -> bool {
    match s {
        Schema::Nullable(inner) => !matches!(**inner, Schema::Any | Schema::Null),
        _ => false,
    }
}

/// A Rust expression for `default` as a value of the Rust type of `s`, when it is simple
/// enough to be written as a literal; `None` otherwise (the default is then documented only).
fn default_expr(cx: &Cx<'_>, s: &Schema, v: &Value, types: &TokenStream) -> Option<TokenStream> {
    match (s, v) {
        (Schema::String(_), Value::String(x)) => Some(quote! { ::std::string::String::from(#x) }),
        (Schema::Const(Value::String(c)), Value::String(x)) if c == x => {
            Some(quote! { ::std::string::String::from(#x) })
        }
        (Schema::Integer(_), Value::Number(n)) => n.as_i64().map(|i| quote! { #i }),
        (Schema::Number(_), Value::Number(n)) => n.as_f64().filter(|f| f.is_finite()).map(|f| {
            let lit = Literal::f64_suffixed(f);
            quote! { #lit }
        }),
        (Schema::Bool, Value::Bool(b)) => Some(quote! { #b }),
        (Schema::Array { .. }, Value::Array(a)) if a.is_empty() => Some(quote! { ::std::vec::Vec::new() }),
        (Schema::Map { .. }, Value::Object(o)) if o.is_empty() => {
            Some(quote! { ::std::collections::BTreeMap::new() })
        }
        (Schema::Named { id, boxed: false }, _) => {
            let t = cx.ir.types.get(*id)?;
            let name = ident(&t.name);
            match (&t.kind, v) {
                (TypeKind::StringEnum(values), Value::String(x)) => {
                    let e = values.iter().find(|e| &e.wire == x)?;
                    let variant = ident(&e.variant);
                    Some(quote! { #types #name::#variant })
                }
                (TypeKind::IntEnum(values), Value::Number(n)) => {
                    let i = n.as_i64().filter(|i| values.contains(i))?;
                    Some(quote! { #types #name(#i) })
                }
                (TypeKind::Alias(inner), _) if !cx.newtype[*id] => default_expr(cx, inner, v, types),
                _ => None,
            }
        }
        _ => None,
    }
}

/// How one struct field is rendered.
struct FieldRepr {
    ty: TokenStream,
    serde: Vec<TokenStream>,
    /// Body of the default function, when the field has a usable default.
    default_fn: Option<(TokenStream, TokenStream)>,
    /// `derive(Default)` gives the same value as absence.
    default_is_absent: bool,
}

fn field_repr(cx: &Cx<'_>, owner: &TypeDef, f: &Field) -> FieldRepr {
    let types = TokenStream::new();
    let ty = rust_type(cx, &f.schema, &types);
    let nullable = is_nullable(&f.schema);
    let allows_null = nullable || matches!(f.schema, Schema::Any | Schema::Null | Schema::Const(Value::Null));
    let default_fn_name = format!("{}__{}", owner.name, f.rust.trim_start_matches("r#"));
    let usable_default = f.default.as_ref().filter(|v| !v.is_null()).and_then(|v| {
        let inner: &Schema = match &f.schema {
            Schema::Nullable(i) => i,
            s => s,
        };
        default_expr(cx, inner, v, &quote! { super::super:: }).map(|e| {
            if nullable {
                quote! { ::core::option::Option::Some(#e) }
            } else {
                e
            }
        })
    });
    let mut serde = Vec::new();
    let mut default_fn = None;
    let mut default_is_absent = false;
    if f.required {
        if nullable {
            serde.push(quote! { deserialize_with = "::chanx::codec::required_nullable" });
        }
    } else if let Some(expr) = usable_default {
        let path = format!("__chanx::defaults::{default_fn_name}");
        serde.push(quote! { default = #path });
        let ret = rust_type(cx, &f.schema, &quote! { super::super:: });
        default_fn = Some((quote! { #ret }, expr));
    } else if allows_null {
        serde.push(quote! { default });
        default_is_absent = true;
        if matches!(f.schema, Schema::Any) {
            serde.push(quote! { skip_serializing_if = "::chanx::serde_json::Value::is_null" });
        }
    } else {
        // Optional and not nullable: `Option<T>`, skipped when absent, `null` refused.
        serde.push(quote! { default });
        serde.push(quote! { deserialize_with = "::chanx::codec::non_null" });
        serde.push(quote! { skip_serializing_if = "::core::option::Option::is_none" });
        default_is_absent = true;
        return FieldRepr {
            ty: quote! { ::core::option::Option<#ty> },
            serde,
            default_fn,
            default_is_absent,
        };
    }
    FieldRepr { ty, serde, default_fn, default_is_absent }
}

fn derives(cx: &Cx<'_>, id: usize, default: bool) -> TokenStream {
    let eq = cx.eq[id].then(|| quote! { ::core::cmp::Eq, });
    let hash = cx.hash[id].then(|| quote! { ::core::hash::Hash, });
    let default = default.then(|| quote! { ::core::default::Default, });
    quote! {
        #[derive(
            ::core::fmt::Debug, ::core::clone::Clone, ::core::cmp::PartialEq, #eq #hash #default
            ::chanx::serde::Serialize, ::chanx::serde::Deserialize
        )]
    }
}

fn type_doc(t: &TypeDef) -> TokenStream {
    doc_or(
        &[t.title.as_ref().filter(|_| t.description.is_none()), t.description.as_ref()],
        format!("Schema `{}`.", t.origin.pointer),
    )
}

/// Everything emitted for one type: the item, its `Check` impl, its statics.
struct TypeOut {
    item: TokenStream,
    schema_static: TokenStream,
    fields_static: TokenStream,
    variants_static: TokenStream,
    defaults: TokenStream,
}

fn common_paths() -> Paths {
    Paths { schema: quote! { super::schema:: }, patterns: quote! { super::patterns:: } }
}

fn emit_struct(
    cx: &Cx<'_>,
    id: usize,
    t: &TypeDef,
    s: &crate::ir::Struct,
    patterns: &mut Patterns,
    desc: bool,
) -> TypeOut {
    let name = ident(&t.name);
    let name_str = &t.name;
    let paths = common_paths();
    let fields: Vec<&Field> = s.fields.iter().filter(|f| !cx.dropped[id].contains(&f.wire)).collect();
    let mut members = Vec::new();
    let mut defaults = Vec::new();
    let mut field_statics = Vec::new();
    let mut checks = Vec::new();
    let mut values = Vec::new();
    let mut all_absent = true;
    for f in &fields {
        let repr = field_repr(cx, t, f);
        all_absent &= repr.default_is_absent;
        let fname = ident(&f.rust);
        let wire = &f.wire;
        if desc {
            if let Some((ret, expr)) = repr.default_fn {
                let fn_name = format_ident!("{}__{}", t.name, f.rust.trim_start_matches("r#"));
                defaults.push(quote! {
                    /// Default value of a property.
                    pub fn #fn_name() -> #ret { #expr }
                });
            }
            let schema = schema_expr(cx, &f.schema, &paths, patterns);
            field_statics.push(if f.required {
                quote! { Field::req(#wire, #schema) }
            } else {
                quote! { Field::opt(#wire, #schema) }
            });
            continue;
        }
        let serde = &repr.serde;
        let ty = &repr.ty;
        let mut doc_text = f.description.clone();
        if let Some(d) = f.default.as_ref().filter(|_| repr.default_fn.is_none() && !f.required)
            && !d.is_null()
        {
            let extra = format!("Default: `{d}`.");
            doc_text = Some(match doc_text {
                Some(t) => format!("{t}\n\n{extra}"),
                None => extra,
            });
        }
        let doc = doc_or(&[doc_text.as_ref()], format!("Property `{}`.", f.wire));
        let dep = deprecated(f.deprecated);
        members.push(quote! {
            #doc
            #dep
            #[serde(rename = #wire #(, #serde)*)]
            pub #fname: #ty,
        });
        values.push(quote! { &self.#fname });
    }
    if desc {
        let additional = match &s.additional {
            Additional::Ignore => quote! { Additional::Ignore },
            Additional::Forbid => quote! { Additional::Forbid },
            Additional::Map(v) => {
                let e = schema_expr(cx, v, &paths, patterns);
                quote! { Additional::Map(&#e) }
            }
        };
        let n = Literal::usize_unsuffixed(field_statics.len());
        return TypeOut {
            item: TokenStream::new(),
            schema_static: quote! {
                pub static #name: Schema = Schema::Object(&Object::new(#name_str, &super::fields::#name, #additional));
            },
            fields_static: quote! {
                pub static #name: [Field; #n] = [#(#field_statics),*];
            },
            variants_static: TokenStream::new(),
            defaults: quote! { #(#defaults)* },
        };
    }
    if let Additional::Map(v) = &s.additional {
        let mut fname = "additional_properties".to_owned();
        while fields.iter().any(|f| f.rust == fname) {
            fname.push('_');
        }
        let fname = ident(&fname);
        let ty = rust_type(cx, v, &TokenStream::new());
        members.push(quote! {
            /// Properties not listed in the schema (`additionalProperties`).
            #[serde(flatten)]
            pub #fname: ::std::collections::BTreeMap<::std::string::String, #ty>,
        });
        checks.push(quote! { ::chanx::schema::check_additional(&__chanx::schema::#name, &self.#fname, cx); });
    }
    let deny = (matches!(s.additional, Additional::Forbid) && !cx.frame[id] && cx.dropped[id].is_empty())
        .then(|| quote! { #[serde(deny_unknown_fields)] });
    let derive = derives(cx, id, all_absent);
    let doc = type_doc(t);
    let dep = deprecated(t.deprecated);
    if !values.is_empty() {
        checks.insert(0, quote! { cx.fields(&__chanx::fields::#name, [#(#values),*]); });
    }
    let check_body = if checks.is_empty() {
        quote! { let _ = cx; }
    } else {
        quote! { #(#checks)* }
    };
    TypeOut {
        item: quote! {
            #doc
            #dep
            #derive
            #[serde(crate = "::chanx::serde")]
            #deny
            pub struct #name {
                #(#members)*
            }

            impl ::chanx::schema::Check for #name {
                fn check<'a>(&'a self, _schema: &'static ::chanx::schema::Schema, cx: &mut ::chanx::schema::Cx<'a>) {
                    #check_body
                }
            }
        },
        schema_static: TokenStream::new(),
        fields_static: TokenStream::new(),
        variants_static: TokenStream::new(),
        defaults: TokenStream::new(),
    }
}

fn emit_union(cx: &Cx<'_>, id: usize, t: &TypeDef, u: &crate::ir::Union, patterns: &mut Patterns) -> TypeOut {
    let name = ident(&t.name);
    let name_str = &t.name;
    let paths = common_paths();
    let tagged = cx.internally_tagged[id];
    let mut variants = Vec::new();
    let mut statics = Vec::new();
    let mut arms = Vec::new();
    let mut bindings = Vec::new();
    for (i, v) in u.variants.iter().enumerate() {
        let vname = ident(&v.name);
        let ty = rust_type(cx, &v.schema, &TokenStream::new());
        let doc = variant_doc(v);
        let rename = match (&v.tag_value, tagged) {
            (Some(tag), true) => quote! { #[serde(rename = #tag)] },
            _ => TokenStream::new(),
        };
        variants.push(quote! { #doc #rename #vname(#ty), });
        let schema = schema_expr(cx, &v.schema, &paths, patterns);
        let vn = &v.name;
        statics.push(match &v.tag_value {
            Some(t) if u.discriminator.is_some() => quote! { Variant::tagged(#vn, #t, #schema) },
            _ => quote! { Variant::new(#vn, #schema) },
        });
        let binding = format_ident!("v{}", i);
        arms.push(quote! { Self::#vname(x) => cx.variant(#binding, x), });
        bindings.push(binding);
    }
    let serde_attr = match (&u.discriminator, tagged) {
        (Some(d), true) => quote! { #[serde(crate = "::chanx::serde", tag = #d)] },
        _ => quote! { #[serde(crate = "::chanx::serde", untagged)] },
    };
    let discriminator = match &u.discriminator {
        Some(d) => quote! { ::core::option::Option::Some(#d) },
        None => quote! { ::core::option::Option::None },
    };
    let derive = derives(cx, id, false);
    let mut doc_text = t.description.clone().or_else(|| t.title.clone()).unwrap_or_default();
    if !tagged {
        if !doc_text.is_empty() {
            doc_text.push_str("\n\n");
        }
        doc_text
            .push_str("Untagged: on input the variants are tried in order and the first that matches wins.");
    }
    let doc = doc_or(&[Some(&doc_text)], String::new());
    let dep = deprecated(t.deprecated);
    let n = Literal::usize_unsuffixed(statics.len());
    let body = if arms.is_empty() {
        quote! { let _ = cx; match *self {} }
    } else {
        quote! {
            let [#(#bindings),*] = &__chanx::variants::#name;
            match self { #(#arms)* }
        }
    };
    TypeOut {
        item: quote! {
            #doc
            #dep
            #derive
            #serde_attr
            pub enum #name { #(#variants)* }

            impl ::chanx::schema::Check for #name {
                fn check<'a>(&'a self, _schema: &'static ::chanx::schema::Schema, cx: &mut ::chanx::schema::Cx<'a>) {
                    #body
                }
            }
        },
        schema_static: quote! {
            pub static #name: Schema = Schema::Union(&Union::new(#name_str, #discriminator, &super::variants::#name));
        },
        fields_static: TokenStream::new(),
        variants_static: quote! { pub static #name: [Variant; #n] = [#(#statics),*]; },
        defaults: TokenStream::new(),
    }
}

fn variant_doc(v: &UnionVariant) -> TokenStream {
    let text = match &v.tag_value {
        Some(t) => format!("Variant `{}` (tag `{t}`).", v.name),
        None => format!("Variant `{}`.", v.name),
    };
    doc_or(&[], text)
}

/// One type's output: its items, or (`desc`) its descriptors only. Struct descriptors are the
/// bulk of the work, so each side builds only what it prints; other kinds build both.
fn emit_type(cx: &Cx<'_>, id: usize, t: &TypeDef, patterns: &mut Patterns, desc: bool) -> TypeOut {
    let name = ident(&t.name);
    let doc = type_doc(t);
    let dep = deprecated(t.deprecated);
    let empty = || TokenStream::new();
    match &t.kind {
        TypeKind::Struct(s) => emit_struct(cx, id, t, s, patterns, desc),
        TypeKind::Union(u) => emit_union(cx, id, t, u, patterns),
        TypeKind::StringEnum(values) => {
            let variants = values.iter().map(|v| {
                let vn = ident(&v.variant);
                let wire = &v.wire;
                let d = format!(" `{wire}`");
                quote! { #[doc = #d] #[serde(rename = #wire)] #vn, }
            });
            let arms = values.iter().map(|v| {
                let vn = ident(&v.variant);
                let wire = &v.wire;
                quote! { Self::#vn => #wire, }
            });
            let wires = values.iter().map(|v| &v.wire);
            let body = if values.is_empty() {
                quote! { match *self {} }
            } else {
                quote! { match self { #(#arms)* } }
            };
            TypeOut {
                item: quote! {
                    #doc
                    #dep
                    #[derive(
                        ::core::fmt::Debug, ::core::clone::Clone, ::core::marker::Copy, ::core::cmp::PartialEq,
                        ::core::cmp::Eq, ::core::hash::Hash, ::core::cmp::PartialOrd, ::core::cmp::Ord,
                        ::chanx::serde::Serialize, ::chanx::serde::Deserialize
                    )]
                    #[serde(crate = "::chanx::serde")]
                    pub enum #name { #(#variants)* }

                    impl #name {
                        /// The value on the wire.
                        pub fn as_str(&self) -> &'static str { #body }
                    }

                    impl ::chanx::schema::Check for #name {
                        fn check<'a>(&'a self, _schema: &'static ::chanx::schema::Schema, _cx: &mut ::chanx::schema::Cx<'a>) {}
                    }
                },
                schema_static: quote! {
                    pub static #name: Schema = Schema::StrEnum(&[#(#wires),*]);
                },
                fields_static: empty(),
                variants_static: empty(),
                defaults: empty(),
            }
        }
        TypeKind::IntEnum(values) => TypeOut {
            item: quote! {
                #doc
                #dep
                #[derive(
                    ::core::fmt::Debug, ::core::clone::Clone, ::core::marker::Copy, ::core::cmp::PartialEq,
                    ::core::cmp::Eq, ::core::hash::Hash, ::core::cmp::PartialOrd, ::core::cmp::Ord,
                    ::chanx::serde::Serialize, ::chanx::serde::Deserialize
                )]
                #[serde(crate = "::chanx::serde", transparent)]
                pub struct #name(pub i64);

                impl #name {
                    /// The values the schema allows.
                    pub const ALLOWED: &'static [i64] = &[#(#values),*];
                }

                impl ::chanx::schema::Check for #name {
                    fn check<'a>(&'a self, _schema: &'static ::chanx::schema::Schema, cx: &mut ::chanx::schema::Cx<'a>) {
                        ::chanx::schema::Check::check(&self.0, &__chanx::schema::#name, cx);
                    }
                }
            },
            schema_static: quote! {
                pub static #name: Schema = Schema::IntEnum(&[#(#values),*]);
            },
            fields_static: empty(),
            variants_static: empty(),
            defaults: empty(),
        },
        TypeKind::Alias(s) => {
            let ty = rust_type(cx, s, &TokenStream::new());
            let schema = schema_expr(cx, s, &common_paths(), patterns);
            let item = if cx.newtype[id] {
                let derive = derives(cx, id, false);
                quote! {
                    #doc
                    #dep
                    #derive
                    #[serde(crate = "::chanx::serde", transparent)]
                    pub struct #name(pub #ty);

                    impl ::chanx::schema::Check for #name {
                        fn check<'a>(&'a self, _schema: &'static ::chanx::schema::Schema, cx: &mut ::chanx::schema::Cx<'a>) {
                            ::chanx::schema::Check::check(&self.0, &__chanx::schema::#name, cx);
                        }
                    }
                }
            } else {
                quote! { #doc #dep pub type #name = #ty; }
            };
            TypeOut {
                item,
                schema_static: quote! { pub static #name: Schema = #schema; },
                fields_static: empty(),
                variants_static: empty(),
                defaults: empty(),
            }
        }
    }
}

/// Items of the shared types module for the types in `range` (their tokens never depend on
/// other types' output, so ranges can be emitted apart); the first range opens with the module
/// docs.
pub(crate) fn emit_items(cx: &Cx<'_>, range: std::ops::Range<usize>) -> TokenStream {
    let mut patterns = Patterns::default();
    let mut items = TokenStream::new();
    if range.start == 0 {
        let doc =
            format!(" Shared types of `{}`: component schemas and named inline schemas.", cx.ir.source_name);
        items.extend(quote! { #![doc = #doc] });
    }
    for (id, t) in cx.ir.types.iter().enumerate().take(range.end).skip(range.start) {
        items.extend(emit_type(cx, id, t, &mut patterns, false).item);
    }
    items
}

/// The hidden `__chanx` module of the shared types module: every type's descriptors, in type
/// order (pattern statics are numbered in that order).
pub(crate) fn emit_descriptors(cx: &Cx<'_>) -> TokenStream {
    let mut patterns = Patterns::default();
    let (mut schemas, mut fields, mut variants, mut defaults) =
        (TokenStream::new(), TokenStream::new(), TokenStream::new(), TokenStream::new());
    for (id, t) in cx.ir.types.iter().enumerate() {
        let out = emit_type(cx, id, t, &mut patterns, true);
        schemas.extend(out.schema_static);
        fields.extend(out.fields_static);
        variants.extend(out.variants_static);
        defaults.extend(out.defaults);
    }
    let pattern_statics = patterns.statics();
    let uses = descriptor_use();
    quote! {
        /// Static schema descriptors walked by the `chanx` runtime. Not part of the API.
        #[doc(hidden)]
        pub mod __chanx {
            /// One descriptor per type.
            pub mod schema { #uses #schemas }
            /// Properties of object types.
            pub mod fields { #uses #fields }
            /// Variants of unions.
            pub mod variants { #uses #variants }
            /// Compiled-once patterns.
            pub mod patterns { #uses #pattern_statics }
            /// Default values of properties.
            pub mod defaults { #defaults }
        }
    }
}

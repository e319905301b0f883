//! The type space: Rust types for IR schemas, the shared types module, and the static schema
//! descriptors (`::chanx::schema::Schema`) that the runtime walks.
//!
//! Field representation (see the module docs of [`super`]):
//!
//! | required | nullable | default      | Rust         | absent   | `null`  | `None` writes |
//! |----------|----------|--------------|--------------|----------|---------|---------------|
//! | yes      | no       | -            | `T`          | error    | error   | -             |
//! | yes      | yes      | -            | `Option<T>`  | error    | `None`  | `null`        |
//! | no       | yes      | `null`       | `Option<T>`  | `None`   | `None`  | `null`        |
//! | no       | yes      | none         | `Option<Option<T>>` | `None` | `Some(None)` | (skipped) |
//! | no       | any JSON | none         | `Option<Value>` | `None` | `Some(Null)` | (skipped) |
//! | no       | no       | usable       | `T`          | default  | error   | -             |
//! | no       | no       | none         | `Option<T>`  | `None`   | error   | (skipped)     |
//!
//! An optional nullable property whose default is not `null` keeps absent and `null` apart
//! (`Option<Option<T>>`: `Some(None)` writes `null`); with `default: null` the schema itself says
//! they mean the same, so one `Option<T>` carries it. A `const` (or one-value `enum`) property of
//! a scalar value has its own unit struct type (named by the IR, see `Field::constant`).

use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};
use serde_json::Value;
use syn::{Expr, Item};

use super::{Cx, ast, deprecated, doc_lines, doc_or, ident};
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
    /// Path segments before the common module's schema statics.
    pub schema: Vec<proc_macro2::Ident>,
    /// Path segments before the local pattern statics.
    pub patterns: Vec<proc_macro2::Ident>,
}

impl Paths {
    fn schema(&self, name: proc_macro2::Ident) -> syn::Path {
        ast::path(false, self.schema.iter().cloned().chain([name]))
    }

    fn pattern(&self, name: proc_macro2::Ident) -> Expr {
        ast::refer(ast::path_expr(ast::path(false, self.patterns.iter().cloned().chain([name]))))
    }
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
            let doc = doc_lines(&[crate::escape::rust::code(p)]);
            // The IR refused every pattern that does not translate; an ECMA-262 pattern is
            // run by the regex crate through its translation (see `crate::pattern`).
            let pattern = match crate::pattern::to_rust(p) {
                Ok(rust) if rust == *p => quote! { Pattern::new(#p) },
                Ok(rust) => quote! { Pattern::ecma(#p, #rust) },
                // Unreachable after the IR's check; matching nothing is the safe side.
                Err(_) => quote! { Pattern::ecma(#p, r"[^\s\S]") },
            };
            quote! {
                #doc
                pub static #name: Pattern = #pattern;
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

/// The rules expression, `None` when there is no (finite) bound.
fn num_rules(r: &NumberRules) -> Option<Expr> {
    let mut out = ast::path_expr(ast::names(&["NumRules", "NONE"]));
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
            out = ast::method(out, name, [ast::lit(Literal::f64_unsuffixed(f))]);
            any = true;
        }
    }
    any.then_some(out)
}

fn format_of(f: Option<&str>) -> Option<&'static str> {
    Some(match f? {
        "date-time" => "DateTime",
        "date" => "Date",
        "time" => "Time",
        "uuid" => "Uuid",
        "email" | "idn-email" => "Email",
        "uri" | "iri" => "Uri",
        _ => return None,
    })
}

fn str_rules(r: &StringRules, paths: &Paths, patterns: &mut Patterns) -> Expr {
    let mut out = ast::path_expr(ast::names(&["StrRules", "NONE"]));
    if let Some(n) = r.min_length {
        out = ast::method(out, "min_length", [ast::lit(Literal::u64_unsuffixed(n))]);
    }
    if let Some(n) = r.max_length {
        out = ast::method(out, "max_length", [ast::lit(Literal::u64_unsuffixed(n))]);
    }
    if let Some(p) = &r.pattern {
        out = ast::method(out, "pattern", [paths.pattern(patterns.get(p))]);
    }
    if let Some(f) = format_of(r.format.as_deref()) {
        out = ast::method(out, "format", [ast::path_expr(ast::names(&["Format", f]))]);
    }
    out
}

fn array_rules(r: &ArrayRules) -> Expr {
    let mut out = ast::path_expr(ast::names(&["ArrayRules", "NONE"]));
    if let Some(n) = r.min_items {
        out = ast::method(out, "min_items", [ast::lit(Literal::u64_unsuffixed(n))]);
    }
    if let Some(n) = r.max_items {
        out = ast::method(out, "max_items", [ast::lit(Literal::u64_unsuffixed(n))]);
    }
    if r.unique_items {
        out = ast::method(out, "unique", []);
    }
    out
}

fn const_expr(v: &Value) -> Expr {
    let (variant, arg) = match v {
        Value::Null => return ast::path_expr(ast::names(&["Const", "Null"])),
        Value::Bool(b) => ("Bool", ast::bool_lit(*b)),
        Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => ("Int", ast::lit(Literal::i64_suffixed(i))),
            (None, Some(f)) if f.is_finite() => ("Float", ast::lit(Literal::f64_suffixed(f))),
            _ => ("Json", ast::str_lit(&n.to_string())),
        },
        Value::String(s) => ("Str", ast::str_lit(s)),
        other => ("Json", ast::str_lit(&other.to_string())),
    };
    ast::call(ast::names(&["Const", variant]), [arg])
}

/// `Schema::NAME`.
fn schema_const(name: &str) -> Expr {
    ast::path_expr(ast::names(&["Schema", name]))
}

/// `Schema::variant(arg)`.
fn schema_call(variant: &str, arg: Expr) -> Expr {
    ast::call(ast::names(&["Schema", variant]), [arg])
}

/// The descriptor expression of a schema (a constant expression usable in a `static` of a
/// module that has [`descriptor_use`]).
pub(crate) fn schema_expr(cx: &Cx<'_>, s: &Schema, paths: &Paths, patterns: &mut Patterns) -> Expr {
    match s {
        Schema::Any => schema_const("Any"),
        Schema::Null => schema_const("Null"),
        Schema::Bool => schema_const("Bool"),
        Schema::Integer(r) => match num_rules(r) {
            None => schema_const("INT"),
            Some(r) => schema_call("Int", r),
        },
        Schema::Number(r) => match num_rules(r) {
            None => schema_const("NUM"),
            Some(r) => schema_call("Num", r),
        },
        Schema::String(r) => {
            if r.min_length.is_none()
                && r.max_length.is_none()
                && r.pattern.is_none()
                && format_of(r.format.as_deref()).is_none()
            {
                schema_const("STR")
            } else {
                schema_call("Str", str_rules(r, paths, patterns))
            }
        }
        Schema::Const(v) => schema_call("Const", const_expr(v)),
        Schema::Array { items, rules } => {
            let items = schema_expr(cx, items, paths, patterns);
            ast::call(ast::names(&["Schema", "array"]), [ast::refer(items), array_rules(rules)])
        }
        Schema::Tuple { items, rules } => {
            let items = ast::array(items.iter().map(|i| schema_expr(cx, i, paths, patterns)));
            ast::struct_expr(
                ast::names(&["Schema", "Tuple"]),
                [("items", ast::refer(items)), ("rules", array_rules(rules))],
            )
        }
        Schema::Map { values, key_pattern } => {
            let values = ast::refer(schema_expr(cx, values, paths, patterns));
            match key_pattern {
                Some(p) => {
                    let some = ast::path(true, ["core", "option", "Option", "Some"].map(ast::id));
                    let key = ast::call(some, [paths.pattern(patterns.get(p))]);
                    ast::struct_expr(
                        ast::names(&["Schema", "Map"]),
                        [("values", values), ("key_pattern", key)],
                    )
                }
                None => ast::call(ast::names(&["Schema", "map"]), [values]),
            }
        }
        Schema::Nullable(inner) => {
            schema_call("Nullable", ast::refer(schema_expr(cx, inner, paths, patterns)))
        }
        Schema::Named { id, .. } => match cx.ir.types.get(*id) {
            Some(t) => schema_call("Named", ast::refer(ast::path_expr(paths.schema(ident(&t.name))))),
            None => schema_const("Any"),
        },
    }
}

/// The schema's Rust type is `()`: it only allows `null`.
pub(crate) fn is_unit(schema: &Schema) -> bool {
    match schema {
        Schema::Null | Schema::Const(Value::Null) => true,
        Schema::Nullable(inner) => is_unit(inner),
        _ => false,
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

/// Struct `id` derives `Default`, and that default is what leaving every property out means
/// (the same test `emit_struct` applies field by field).
pub(crate) fn absent_is_default(cx: &Cx<'_>, id: usize) -> bool {
    let Some(t) = cx.ir.types.get(id) else { return false };
    let TypeKind::Struct(s) = &t.kind else { return false };
    s.fields
        .iter()
        .filter(|f| !cx.dropped[id].contains(&f.wire))
        .all(|f| field_repr(cx, t, f).default_is_absent)
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

/// The Rust type of a field: its constant type when it has one, else the schema's type.
fn field_type(cx: &Cx<'_>, f: &Field, types: &TokenStream) -> TokenStream {
    match &f.constant {
        Some(name) => {
            let name = ident(name);
            if is_nullable(&f.schema) {
                quote! { ::core::option::Option<#types #name> }
            } else {
                quote! { #types #name }
            }
        }
        None => rust_type(cx, &f.schema, types),
    }
}

/// The default of a field as an expression (in the `defaults` module), when it is simple enough.
fn field_default(cx: &Cx<'_>, f: &Field, v: &Value, nullable: bool) -> Option<TokenStream> {
    let types = quote! { super::super:: };
    let inner: &Schema = match &f.schema {
        Schema::Nullable(i) => i,
        s => s,
    };
    let e = match (&f.constant, inner) {
        (Some(name), Schema::Const(c)) if c == v => {
            let name = ident(name);
            quote! { #types #name }
        }
        (Some(_), _) => return None,
        (None, _) => default_expr(cx, inner, v, &types)?,
    };
    Some(if nullable {
        quote! { ::core::option::Option::Some(#e) }
    } else {
        e
    })
}

fn field_repr(cx: &Cx<'_>, owner: &TypeDef, f: &Field) -> FieldRepr {
    let types = TokenStream::new();
    let ty = field_type(cx, f, &types);
    let nullable = is_nullable(&f.schema);
    let allows_null = nullable || matches!(f.schema, Schema::Any | Schema::Null | Schema::Const(Value::Null));
    let default_fn_name = format!("{}__{}", owner.name, f.rust.trim_start_matches("r#"));
    let usable_default =
        f.default.as_ref().filter(|v| !v.is_null()).and_then(|v| field_default(cx, f, v, nullable));
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
        let ret = field_type(cx, f, &quote! { super::super:: });
        default_fn = Some((quote! { #ret }, expr));
    } else if (nullable || matches!(f.schema, Schema::Any)) && f.default != Some(Value::Null) {
        // Optional and nullable, and leaving it out does not mean `null`: absent (`None`),
        // `null` (`Some(None)`) and a value (`Some(Some(v))`) are three states, and encoding
        // writes back what was read.
        serde.push(quote! { default });
        serde.push(quote! { deserialize_with = "::chanx::codec::present" });
        serde.push(quote! { skip_serializing_if = "::core::option::Option::is_none" });
        return FieldRepr {
            ty: quote! { ::core::option::Option<#ty> },
            serde,
            default_fn,
            default_is_absent: true,
        };
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

/// The derives of string and integer enums: small values, also copied and ordered.
fn value_derives() -> TokenStream {
    quote! {
        #[derive(
            ::core::fmt::Debug, ::core::clone::Clone, ::core::marker::Copy, ::core::cmp::PartialEq,
            ::core::cmp::Eq, ::core::hash::Hash, ::core::cmp::PartialOrd, ::core::cmp::Ord,
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

/// One type's descriptors: its statics in the `schema`, `fields` and `variants` modules and its
/// default functions.
#[derive(Default)]
struct Descriptors {
    schema: Option<Item>,
    fields: Option<Item>,
    variants: Option<Item>,
    defaults: TokenStream,
}

fn common_paths() -> Paths {
    Paths {
        schema: vec![ast::id("super"), ast::id("schema")],
        patterns: vec![ast::id("super"), ast::id("patterns")],
    }
}

/// `pub static NAME: Schema = expr;`.
fn schema_static(name: proc_macro2::Ident, expr: Expr) -> Item {
    ast::pub_static(name, ast::path_type(ast::names(&["Schema"])), expr)
}

/// `&super::MODULE::NAME`.
fn sibling(module: &str, name: proc_macro2::Ident) -> Expr {
    ast::refer(ast::path_expr(ast::path(false, [ast::id("super"), ast::id(module), name])))
}

fn struct_descriptors(
    cx: &Cx<'_>,
    id: usize,
    t: &TypeDef,
    s: &crate::ir::Struct,
    patterns: &mut Patterns,
) -> Descriptors {
    let paths = common_paths();
    let mut defaults = Vec::new();
    let mut field_statics = Vec::new();
    for f in s.fields.iter().filter(|f| !cx.dropped[id].contains(&f.wire)) {
        if f.default.as_ref().is_some_and(|d| !d.is_null())
            && let Some((ret, expr)) = field_repr(cx, t, f).default_fn
        {
            let fn_name = format_ident!("{}__{}", t.name, f.rust.trim_start_matches("r#"));
            defaults.push(quote! {
                /// Default value of a property.
                pub fn #fn_name() -> #ret { #expr }
            });
        }
        let schema = schema_expr(cx, &f.schema, &paths, patterns);
        let ctor = if f.required { "req" } else { "opt" };
        field_statics.push(ast::call(ast::names(&["Field", ctor]), [ast::str_lit(&f.wire), schema]));
    }
    let additional = match &s.additional {
        Additional::Ignore => ast::path_expr(ast::names(&["Additional", "Ignore"])),
        Additional::Forbid => ast::path_expr(ast::names(&["Additional", "Forbid"])),
        Additional::Map(v) => {
            let e = schema_expr(cx, v, &paths, patterns);
            ast::call(ast::names(&["Additional", "Map"]), [ast::refer(e)])
        }
    };
    let object = ast::call(
        ast::names(&["Object", "new"]),
        [ast::str_lit(&t.name), sibling("fields", ident(&t.name)), additional],
    );
    let n = field_statics.len();
    Descriptors {
        schema: Some(schema_static(ident(&t.name), schema_call("Object", ast::refer(object)))),
        fields: Some(ast::pub_static(
            ident(&t.name),
            ast::array_type(ast::path_type(ast::names(&["Field"])), n),
            ast::array(field_statics),
        )),
        variants: None,
        defaults: quote! { #(#defaults)* },
    }
}

fn emit_struct(cx: &Cx<'_>, id: usize, t: &TypeDef, s: &crate::ir::Struct) -> (TokenStream, Item) {
    let name = ident(&t.name);
    let fields: Vec<&Field> = s.fields.iter().filter(|f| !cx.dropped[id].contains(&f.wire)).collect();
    let mut members = Vec::new();
    let mut values = Vec::new();
    let mut additional = None;
    let mut all_absent = true;
    for f in &fields {
        let repr = field_repr(cx, t, f);
        all_absent &= repr.default_is_absent;
        let fname = ident(&f.rust);
        let wire = &f.wire;
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
        values.push(fname);
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
        additional = Some(fname);
    }
    let deny = (matches!(s.additional, Additional::Forbid) && !cx.frame[id] && cx.dropped[id].is_empty())
        .then(|| quote! { #[serde(deny_unknown_fields)] });
    let derive = derives(cx, id, all_absent);
    let doc = type_doc(t);
    let dep = deprecated(t.deprecated);
    let item = quote! {
        #doc
        #dep
        #derive
        #[serde(crate = "::chanx::serde")]
        #deny
        pub struct #name {
            #(#members)*
        }
    };
    // Properties that are `null`-only (`()`) cannot break a rule: a type made only of them has
    // nothing to check.
    if additional.is_none() && fields.iter().all(|f| is_unit(&f.schema)) {
        values.clear();
    }
    (item, check_impl(name, values, additional))
}

/// `impl ::chanx::schema::Check for NAME { .. }` of a struct: one `cx.fields(..)` call over the
/// fields `values` (in descriptor order) and a `check_additional` call for the map of additional
/// properties. The signature is parsed once per thread; the body is built as a syntax tree.
fn check_impl(
    name: proc_macro2::Ident,
    values: Vec<proc_macro2::Ident>,
    additional: Option<proc_macro2::Ident>,
) -> Item {
    thread_local! {
        static TEMPLATE: Option<syn::ItemImpl> = syn::parse2(quote! {
            impl ::chanx::schema::Check for T {
                fn check<'a>(&'a self, _schema: &'static ::chanx::schema::Schema, cx: &mut ::chanx::schema::Cx<'a>) {
                    let _ = cx;
                }
            }
        })
        .ok();
    }
    let Some(mut item) = TEMPLATE.with(Clone::clone) else {
        return Item::Verbatim(quote! { compile_error!("chanx-gen: invalid Check template"); });
    };
    let self_field = |f: proc_macro2::Ident| {
        ast::refer(Expr::Field(syn::ExprField {
            attrs: Vec::new(),
            base: Box::new(ast::path_expr(ast::names(&["self"]))),
            dot_token: syn::token::Dot(proc_macro2::Span::call_site()),
            member: syn::Member::Named(f),
        }))
    };
    let cx = || ast::path_expr(ast::names(&["cx"]));
    let chanx = |module: &str, name: &proc_macro2::Ident| {
        ast::refer(ast::path_expr(ast::path(false, [ast::id("__chanx"), ast::id(module), name.clone()])))
    };
    let mut stmts = Vec::new();
    if !values.is_empty() {
        let fields = ast::array(values.into_iter().map(self_field));
        stmts.push(ast::method(cx(), "fields", [chanx("fields", &name), fields]));
    }
    if let Some(f) = additional {
        let func = ast::path(true, ["chanx", "schema", "check_additional"].map(ast::id));
        stmts.push(ast::call(func, [chanx("schema", &name), self_field(f), cx()]));
    }
    item.self_ty = Box::new(ast::path_type(ast::path(false, [name])));
    if !stmts.is_empty()
        && let Some(syn::ImplItem::Fn(f)) = item.items.first_mut()
    {
        f.block.stmts = stmts
            .into_iter()
            .map(|e| syn::Stmt::Expr(e, Some(syn::token::Semi(proc_macro2::Span::call_site()))))
            .collect();
    }
    Item::Impl(item)
}

fn union_descriptors(cx: &Cx<'_>, t: &TypeDef, u: &crate::ir::Union, patterns: &mut Patterns) -> Descriptors {
    let paths = common_paths();
    let statics: Vec<Expr> = u
        .variants
        .iter()
        .map(|v| {
            let schema = schema_expr(cx, &v.schema, &paths, patterns);
            match &v.tag_value {
                Some(tag) if u.discriminator.is_some() => ast::call(
                    ast::names(&["Variant", "tagged"]),
                    [ast::str_lit(&v.name), ast::str_lit(tag), schema],
                ),
                _ => ast::call(ast::names(&["Variant", "new"]), [ast::str_lit(&v.name), schema]),
            }
        })
        .collect();
    let option = |variant: &str| ast::path(true, ["core", "option", "Option", variant].map(ast::id));
    let discriminator = match &u.discriminator {
        Some(d) => ast::call(option("Some"), [ast::str_lit(d)]),
        None => ast::path_expr(option("None")),
    };
    let union = ast::call(
        ast::names(&["Union", "new"]),
        [ast::str_lit(&t.name), discriminator, sibling("variants", ident(&t.name))],
    );
    let n = statics.len();
    Descriptors {
        schema: Some(schema_static(ident(&t.name), schema_call("Union", ast::refer(union)))),
        fields: None,
        variants: Some(ast::pub_static(
            ident(&t.name),
            ast::array_type(ast::path_type(ast::names(&["Variant"])), n),
            ast::array(statics),
        )),
        defaults: TokenStream::new(),
    }
}

fn emit_union(cx: &Cx<'_>, id: usize, t: &TypeDef, u: &crate::ir::Union) -> TokenStream {
    let name = ident(&t.name);
    let tagged = cx.internally_tagged[id];
    let mut variants = Vec::new();
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
        let binding = format_ident!("v{}", i);
        arms.push(quote! { Self::#vname(x) => cx.variant(#binding, x), });
        bindings.push(binding);
    }
    let serde_attr = match (&u.discriminator, tagged) {
        (Some(d), true) => quote! { #[serde(crate = "::chanx::serde", tag = #d)] },
        _ => quote! { #[serde(crate = "::chanx::serde", untagged)] },
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
    let body = if arms.is_empty() {
        quote! { let _ = cx; match *self {} }
    } else {
        quote! {
            let [#(#bindings),*] = &__chanx::variants::#name;
            match self { #(#arms)* }
        }
    };
    quote! {
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
    }
}

/// The unit struct that holds the one value of a `const` property: it always encodes to that
/// value and refuses any other on decode.
fn emit_constant(name: &str, value: &Value, owner: &str, wire: &str) -> TokenStream {
    let name = ident(name);
    let (lit, ctor) = match value {
        Value::Bool(b) => (quote! { #b }, quote! { Bool }),
        Value::String(s) => (quote! { #s }, quote! { Str }),
        Value::Number(n) => match n.as_i64() {
            Some(i) => {
                let l = Literal::i64_unsuffixed(i);
                (quote! { #l }, quote! { Int })
            }
            None => {
                let l = Literal::f64_suffixed(n.as_f64().unwrap_or_default());
                (quote! { #l }, quote! { Float })
            }
        },
        _ => return TokenStream::new(),
    };
    let shown = crate::escape::rust::code(&value.to_string());
    let doc = doc_lines(&[format!(
        "The constant {shown} of property {} of [`{owner}`]: it always encodes to this value, and \
         decoding refuses any other.",
        crate::escape::rust::code(wire)
    )]);
    quote! {
        #doc
        #[derive(
            ::core::fmt::Debug, ::core::clone::Clone, ::core::marker::Copy, ::core::cmp::PartialEq,
            ::core::cmp::Eq, ::core::hash::Hash, ::core::cmp::PartialOrd, ::core::cmp::Ord,
            ::core::default::Default
        )]
        pub struct #name;

        ::chanx::constant!(#name = #ctor(#lit));
    }
}

fn variant_doc(v: &UnionVariant) -> TokenStream {
    let text = match &v.tag_value {
        Some(t) => format!("Variant `{}` (tag `{t}`).", v.name),
        None => format!("Variant `{}`.", v.name),
    };
    doc_or(&[], text)
}

/// The items of one type (the type and its impls); a struct's `Check` impl comes apart, as a
/// syntax tree.
fn emit_type(cx: &Cx<'_>, id: usize, t: &TypeDef) -> (TokenStream, Option<Item>) {
    let name = ident(&t.name);
    let doc = type_doc(t);
    let dep = deprecated(t.deprecated);
    let tokens = match &t.kind {
        TypeKind::Struct(s) => {
            let (mut tokens, check) = emit_struct(cx, id, t, s);
            for f in s.fields.iter().filter(|f| !cx.dropped[id].contains(&f.wire)) {
                if let (Some(name), Some(value)) = (&f.constant, crate::ir::scalar_const(&f.schema)) {
                    tokens.extend(emit_constant(name, value, &t.name, &f.wire));
                }
            }
            return (tokens, Some(check));
        }
        TypeKind::Union(u) => emit_union(cx, id, t, u),
        TypeKind::StringEnum(values) => {
            let value_derives = value_derives();
            let variants = values.iter().map(|v| {
                let vn = ident(&v.variant);
                let wire = &v.wire;
                let d = doc_lines(&[crate::escape::rust::code(wire)]);
                quote! { #d #[serde(rename = #wire)] #vn, }
            });
            let arms = values.iter().map(|v| {
                let vn = ident(&v.variant);
                let wire = &v.wire;
                quote! { Self::#vn => #wire, }
            });
            let body = if values.is_empty() {
                quote! { match *self {} }
            } else {
                quote! { match self { #(#arms)* } }
            };
            quote! {
                #doc
                #dep
                #value_derives
                #[serde(crate = "::chanx::serde")]
                pub enum #name { #(#variants)* }

                impl #name {
                    /// The value on the wire.
                    pub fn as_str(&self) -> &'static str { #body }
                }

                impl ::chanx::schema::Check for #name {
                    fn check<'a>(&'a self, _schema: &'static ::chanx::schema::Schema, _cx: &mut ::chanx::schema::Cx<'a>) {}
                }
            }
        }
        TypeKind::IntEnum(values) => {
            let value_derives = value_derives();
            quote! {
            #doc
            #dep
            #value_derives
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
            }
        }
        TypeKind::Alias(s) => {
            let ty = rust_type(cx, s, &TokenStream::new());
            if cx.newtype[id] {
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
            }
        }
    };
    (tokens, None)
}

/// The descriptors of one type (pattern statics are numbered in the order they are met).
fn type_descriptors(cx: &Cx<'_>, id: usize, t: &TypeDef, patterns: &mut Patterns) -> Descriptors {
    let name = ident(&t.name);
    match &t.kind {
        TypeKind::Struct(s) => struct_descriptors(cx, id, t, s, patterns),
        TypeKind::Union(u) => union_descriptors(cx, t, u, patterns),
        TypeKind::StringEnum(values) => Descriptors {
            schema: Some(schema_static(
                name,
                schema_call("StrEnum", ast::refer(ast::array(values.iter().map(|v| ast::str_lit(&v.wire))))),
            )),
            ..Descriptors::default()
        },
        TypeKind::IntEnum(values) => Descriptors {
            schema: Some(schema_static(
                name,
                schema_call(
                    "IntEnum",
                    ast::refer(ast::array(values.iter().map(|v| ast::lit(Literal::i64_suffixed(*v))))),
                ),
            )),
            ..Descriptors::default()
        },
        TypeKind::Alias(s) => Descriptors {
            schema: Some(schema_static(name, schema_expr(cx, s, &common_paths(), patterns))),
            ..Descriptors::default()
        },
    }
}

/// Items of the shared types module for the types in `range` (their tokens never depend on
/// other types' output, so ranges can be emitted apart); the first range opens with the module
/// docs. Each type's tokens are parsed on their own, and a struct's `Check` impl is added as
/// built.
pub(crate) fn emit_items(cx: &Cx<'_>, range: std::ops::Range<usize>) -> Result<syn::File, String> {
    let mut file = syn::File { shebang: None, attrs: Vec::new(), items: Vec::new() };
    for (id, t) in cx.ir.types.iter().enumerate().take(range.end).skip(range.start) {
        let tokens = || {
            let mut tokens = TokenStream::new();
            if id == 0 {
                tokens.extend(super::inner_doc(&[format!(
                    "Shared types of `{}`: component schemas and named inline schemas.",
                    cx.ir.source_name
                )]));
            }
            let (item, check) = emit_type(cx, id, t);
            tokens.extend(item);
            (tokens, check)
        };
        let (item, check) = tokens();
        match syn::parse2::<syn::File>(item) {
            Ok(parsed) => {
                file.attrs.extend(parsed.attrs);
                file.items.extend(parsed.items);
            }
            Err(e) => return Err(super::invalid(&e, &tokens().0)),
        }
        file.items.extend(check);
    }
    Ok(file)
}

/// The hidden `__chanx` module of the shared types module: every type's descriptors, in type
/// order (pattern statics are numbered in that order). The module skeleton is parsed; the
/// statics, the bulk of it, are built as syntax trees.
pub(crate) fn emit_descriptors(cx: &Cx<'_>) -> Result<syn::File, String> {
    let mut patterns = Patterns::default();
    let (mut schemas, mut fields, mut variants, mut defaults) =
        (Vec::new(), Vec::new(), Vec::new(), TokenStream::new());
    for (id, t) in cx.ir.types.iter().enumerate() {
        let out = type_descriptors(cx, id, t, &mut patterns);
        schemas.extend(out.schema);
        fields.extend(out.fields);
        variants.extend(out.variants);
        defaults.extend(out.defaults);
    }
    let pattern_statics = patterns.statics();
    let uses = descriptor_use();
    let skeleton = quote! {
        /// Static schema descriptors walked by the `chanx` runtime. Not part of the API.
        #[doc(hidden)]
        pub mod __chanx {
            /// One descriptor per type.
            pub mod schema { #uses }
            /// Properties of object types.
            pub mod fields { #uses }
            /// Variants of unions.
            pub mod variants { #uses }
            /// Compiled-once patterns.
            pub mod patterns { #uses #pattern_statics }
            /// Default values of properties.
            pub mod defaults { #defaults }
        }
    };
    let mut file: syn::File = match syn::parse2(skeleton.clone()) {
        Ok(file) => file,
        Err(e) => return Err(super::invalid(&e, &skeleton)),
    };
    if let Some(Item::Mod(outer)) = file.items.first_mut()
        && let Some((_, modules)) = &mut outer.content
    {
        for (module, statics) in modules.iter_mut().zip([schemas, fields, variants]) {
            if let Item::Mod(syn::ItemMod { content: Some((_, items)), .. }) = module {
                items.extend(statics);
            }
        }
    }
    Ok(file)
}

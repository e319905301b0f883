//! Builders of `syn` expressions and items for the large, regular parts of the output (schema
//! descriptors, `Check` bodies). They give the tree that parsing the equivalent tokens would give,
//! so prettyplease prints the same text, without building and re-parsing tokens.

use proc_macro2::{Ident, Literal, Span};
use syn::punctuated::Punctuated;
use syn::{Expr, Item, Lit, Member, Path, PathSegment, Type, token};

fn sp() -> Span {
    Span::call_site()
}

/// An identifier that is known to be valid (a fixed name of the runtime or a keyword path part).
pub(crate) fn id(name: &str) -> Ident {
    Ident::new(name, sp())
}

/// A path from its segments; `global` puts `::` in front.
pub(crate) fn path<I: IntoIterator<Item = Ident>>(global: bool, segments: I) -> Path {
    Path {
        leading_colon: global.then(|| token::PathSep(sp())),
        segments: segments.into_iter().map(PathSegment::from).collect(),
    }
}

/// A path of fixed names, like `Schema::STR`.
pub(crate) fn names(segments: &[&str]) -> Path {
    path(false, segments.iter().map(|s| id(s)))
}

pub(crate) fn path_expr(path: Path) -> Expr {
    Expr::Path(syn::ExprPath { attrs: Vec::new(), qself: None, path })
}

/// `func(args..)`.
pub(crate) fn call<I: IntoIterator<Item = Expr>>(func: Path, args: I) -> Expr {
    Expr::Call(syn::ExprCall {
        attrs: Vec::new(),
        func: Box::new(path_expr(func)),
        paren_token: token::Paren(sp()),
        args: args.into_iter().collect(),
    })
}

/// `receiver.method(args..)`.
pub(crate) fn method<I: IntoIterator<Item = Expr>>(receiver: Expr, method: &str, args: I) -> Expr {
    Expr::MethodCall(syn::ExprMethodCall {
        attrs: Vec::new(),
        receiver: Box::new(receiver),
        dot_token: token::Dot(sp()),
        method: id(method),
        turbofish: None,
        paren_token: token::Paren(sp()),
        args: args.into_iter().collect(),
    })
}

/// `&expr`.
pub(crate) fn refer(expr: Expr) -> Expr {
    Expr::Reference(syn::ExprReference {
        attrs: Vec::new(),
        and_token: token::And(sp()),
        mutability: None,
        expr: Box::new(expr),
    })
}

/// `[elems..]`.
pub(crate) fn array<I: IntoIterator<Item = Expr>>(elems: I) -> Expr {
    Expr::Array(syn::ExprArray {
        attrs: Vec::new(),
        bracket_token: token::Bracket(sp()),
        elems: elems.into_iter().collect(),
    })
}

/// `Path { name: expr, .. }` (no rest).
pub(crate) fn struct_expr<I: IntoIterator<Item = (&'static str, Expr)>>(path: Path, fields: I) -> Expr {
    Expr::Struct(syn::ExprStruct {
        attrs: Vec::new(),
        qself: None,
        path,
        brace_token: token::Brace(sp()),
        fields: fields
            .into_iter()
            .map(|(name, expr)| syn::FieldValue {
                attrs: Vec::new(),
                member: Member::Named(id(name)),
                colon_token: Some(token::Colon(sp())),
                expr,
            })
            .collect::<Punctuated<_, token::Comma>>(),
        dot2_token: None,
        rest: None,
    })
}

/// A literal expression.
pub(crate) fn lit(literal: Literal) -> Expr {
    Expr::Lit(syn::ExprLit { attrs: Vec::new(), lit: Lit::new(literal) })
}

/// A string literal expression.
pub(crate) fn str_lit(s: &str) -> Expr {
    lit(crate::escape::rust::string(s))
}

/// `true` / `false`.
pub(crate) fn bool_lit(b: bool) -> Expr {
    Expr::Lit(syn::ExprLit { attrs: Vec::new(), lit: Lit::Bool(syn::LitBool::new(b, sp())) })
}

/// A type named by a path.
pub(crate) fn path_type(path: Path) -> Type {
    Type::Path(syn::TypePath { qself: None, path })
}

/// `[elem; len]`.
pub(crate) fn array_type(elem: Type, len: usize) -> Type {
    Type::Array(syn::TypeArray {
        bracket_token: token::Bracket(sp()),
        elem: Box::new(elem),
        semi_token: token::Semi(sp()),
        len: lit(Literal::usize_unsuffixed(len)),
    })
}

/// `pub static name: ty = expr;`.
pub(crate) fn pub_static(name: Ident, ty: Type, expr: Expr) -> Item {
    Item::Static(syn::ItemStatic {
        attrs: Vec::new(),
        vis: syn::Visibility::Public(token::Pub(sp())),
        static_token: token::Static(sp()),
        mutability: syn::StaticMutability::None,
        ident: name,
        colon_token: token::Colon(sp()),
        ty: Box::new(ty),
        eq_token: token::Eq(sp()),
        expr: Box::new(expr),
        semi_token: token::Semi(sp()),
    })
}

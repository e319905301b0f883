//! Comparing two payload schemas of one message: types, constraint keywords, fields, enums,
//! unions, nullability and `additionalProperties`, each difference classified as an
//! [`Effect`] on what a receiver accepts. Named types are followed on both sides, so only what
//! a `$ref` resolves to counts; each pair of named types is compared once per message (which
//! also stops at recursion).

use std::collections::HashSet;

use serde_json::Value;

use super::{Effect, Words};
use crate::ir::{
    Additional, ArrayRules, EnumValue, Field, Ir, NumberRules, Schema, StringRules, Struct, TypeDef, TypeId,
    TypeKind, Union,
};
use crate::load::escape_segment;
use crate::location::Location;

/// One difference inside a message.
#[derive(Debug, Clone)]
pub(super) struct Finding {
    pub effect: Effect,
    pub path: String,
    pub what: Words,
    pub old: Option<Location>,
    pub new: Option<Location>,
}

/// Where the comparison is: the path in the frame and the place on each side.
#[derive(Debug, Clone)]
pub(super) struct At {
    pub path: String,
    pub old: Location,
    pub new: Location,
}

fn child_location(loc: &Location, segments: &[&str]) -> Location {
    let mut pointer = loc.pointer.clone();
    for s in segments {
        pointer.push('/');
        pointer.push_str(&escape_segment(s));
    }
    Location { file: loc.file.clone(), pointer, line: None }
}

impl At {
    /// The frame's root, at the message's payload on each side.
    pub fn new(old: Location, new: Location) -> At {
        At { path: String::new(), old, new }
    }

    /// A step down both sides: pointer `segments`, frame path `step` (`.name`, `[]`, ...).
    fn down(&self, segments: &[&str], step: &str) -> At {
        let path = match step.strip_prefix('.') {
            Some(name) if self.path.is_empty() => name.to_owned(),
            _ => format!("{}{step}", self.path),
        };
        At { path, old: child_location(&self.old, segments), new: child_location(&self.new, segments) }
    }

    /// The keyword `k` on each side (for constraint changes).
    fn keyword(&self, k: &str) -> At {
        At {
            path: self.path.clone(),
            old: child_location(&self.old, &[k]),
            new: child_location(&self.new, &[k]),
        }
    }
}

/// What a schema is once named types and aliases are followed.
#[derive(Clone, Copy)]
enum View<'a> {
    Plain(&'a Schema),
    Struct(&'a Struct),
    StrEnum(&'a [EnumValue]),
    IntEnum(&'a [i64]),
    Union(&'a Union),
}

/// How far alias chains are followed (the IR has no alias cycles, this bounds them anyway).
const MAX_ALIASES: usize = 64;

/// `schema` seen through named types: the view, the named type it ended at (if any), and the
/// place of the last named type passed.
fn view<'a>(ir: &'a Ir, mut schema: &'a Schema, loc: &Location) -> (View<'a>, Option<TypeId>, Location) {
    let mut loc = loc.clone();
    let mut last = None;
    for _ in 0..MAX_ALIASES {
        let Schema::Named { id, .. } = schema else { break };
        let Some(def) = ir.types.get(*id) else { break };
        last = Some(*id);
        loc = def.origin.clone();
        match &def.kind {
            TypeKind::Alias(s) => schema = s,
            TypeKind::Struct(s) => return (View::Struct(s), last, loc),
            TypeKind::StringEnum(v) => return (View::StrEnum(v), last, loc),
            TypeKind::IntEnum(v) => return (View::IntEnum(v), last, loc),
            TypeKind::Union(u) => return (View::Union(u), last, loc),
        }
    }
    (View::Plain(schema), last, loc)
}

fn kind_name(v: View<'_>) -> Words {
    if let View::Plain(Schema::Const(c)) = v {
        return Words::new().t("constant ").c(shown(c));
    }
    Words::new().t(kind_str(v))
}

fn kind_str(v: View<'_>) -> String {
    match v {
        View::Struct(_) => "object".into(),
        View::StrEnum(_) => "string enum".into(),
        View::IntEnum(_) => "integer enum".into(),
        View::Union(u) => if u.exclusive { "oneOf union" } else { "anyOf union" }.into(),
        View::Plain(s) => match s {
            Schema::Any => "any JSON value".into(),
            Schema::Null => "null".into(),
            Schema::Bool => "boolean".into(),
            Schema::Integer(_) => "integer".into(),
            Schema::Number(_) => "number".into(),
            Schema::String(_) => "string".into(),
            Schema::Const(_) => "constant".into(),
            Schema::Array { .. } => "array".into(),
            Schema::Tuple { .. } => "tuple".into(),
            Schema::Map { .. } => "map".into(),
            Schema::Nullable(_) => "nullable value".into(),
            Schema::Named { .. } => "named type".into(),
        },
    }
}

/// The finite set of values a view allows, when it is one (`const`, `enum`).
fn values(v: View<'_>) -> Option<Vec<Value>> {
    match v {
        View::Plain(Schema::Const(c)) => Some(vec![c.clone()]),
        View::StrEnum(vs) => Some(vs.iter().map(|e| Value::String(e.wire.clone())).collect()),
        View::IntEnum(vs) => Some(vs.iter().map(|i| Value::from(*i)).collect()),
        _ => None,
    }
}

/// Shows a value as spec text (strings without quotes).
fn shown(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 { format!("{}", v as i64) } else { format!("{v}") }
}

/// Compares the schemas of one message, collecting findings.
pub(super) struct Compare<'a> {
    old: &'a Ir,
    new: &'a Ir,
    done: HashSet<(TypeId, TypeId)>,
    /// What was found, in order.
    pub found: Vec<Finding>,
}

impl<'a> Compare<'a> {
    /// A comparison of schemas from `old` against schemas from `new`.
    pub fn new(old: &'a Ir, new: &'a Ir) -> Self {
        Self { old, new, done: HashSet::new(), found: Vec::new() }
    }

    fn push(&mut self, effect: Effect, at: &At, what: Words) {
        self.found.push(Finding {
            effect,
            path: at.path.clone(),
            what,
            old: Some(at.old.clone()),
            new: Some(at.new.clone()),
        });
    }

    fn push_old(&mut self, effect: Effect, at: &At, what: Words) {
        self.found.push(Finding {
            effect,
            path: at.path.clone(),
            what,
            old: Some(at.old.clone()),
            new: None,
        });
    }

    fn push_new(&mut self, effect: Effect, at: &At, what: Words) {
        self.found.push(Finding {
            effect,
            path: at.path.clone(),
            what,
            old: None,
            new: Some(at.new.clone()),
        });
    }

    /// Compares `o` (old) with `n` (new) at `at`.
    pub fn schema(&mut self, at: &At, o: &'a Schema, n: &'a Schema) {
        let (ov, oid, oloc) = view(self.old, o, &at.old);
        let (nv, nid, nloc) = view(self.new, n, &at.new);
        let at = At { path: at.path.clone(), old: oloc, new: nloc };
        if let (Some(a), Some(b)) = (oid, nid) {
            if !self.done.insert((a, b)) {
                return;
            }
            self.type_docs(&at, &self.old.types[a], &self.new.types[b]);
        }
        self.views(&at, ov, nv);
    }

    /// `title`, `description`, `examples` and `deprecated` of a named type: docs only.
    fn type_docs(&mut self, at: &At, a: &TypeDef, b: &TypeDef) {
        for (label, changed) in [
            ("title", a.title != b.title),
            ("description", a.description != b.description),
            ("examples", a.examples != b.examples),
        ] {
            if changed {
                self.push(
                    Effect::Neutral,
                    &at.keyword(label),
                    Words::new().t(format!("{label} changed (docs only)")),
                );
            }
        }
        if a.deprecated != b.deprecated {
            let what = if b.deprecated { "now deprecated" } else { "no longer deprecated" };
            self.push(Effect::Neutral, &at.keyword("deprecated"), Words::new().t(what));
        }
    }

    fn views(&mut self, at: &At, o: View<'a>, n: View<'a>) {
        use View::Plain as P;
        match (o, n) {
            (P(Schema::Nullable(a)), P(Schema::Nullable(b))) => self.schema(at, a, b),
            (P(Schema::Nullable(a)), _) => {
                self.push(Effect::Narrower, at, Words::new().t("no longer nullable: `null` is rejected"));
                let (av, _, _) = view(self.old, a, &at.old);
                self.views(at, av, n);
            }
            (_, P(Schema::Nullable(b))) => {
                self.push(Effect::Wider, at, Words::new().t("now nullable: the value may be `null`"));
                let (bv, _, _) = view(self.new, b, &at.new);
                self.views(at, o, bv);
            }
            (P(Schema::Any), P(Schema::Any))
            | (P(Schema::Null), P(Schema::Null))
            | (P(Schema::Bool), P(Schema::Bool)) => {}
            (P(Schema::Any), _) => {
                let what = Words::new().t("was any JSON value, now ").join(kind_name(n));
                self.push(Effect::Narrower, at, what);
            }
            (_, P(Schema::Any)) => {
                let what = Words::new().t("was ").join(kind_name(o)).t(", now any JSON value");
                self.push(Effect::Wider, at, what);
            }
            (P(Schema::Integer(a)), P(Schema::Integer(b))) | (P(Schema::Number(a)), P(Schema::Number(b))) => {
                self.numbers(at, a, b);
            }
            (P(Schema::Integer(a)), P(Schema::Number(b))) => {
                self.push(
                    Effect::Wider,
                    at,
                    Words::new().t("type integer → number: fractions are now allowed"),
                );
                self.numbers(at, a, b);
            }
            (P(Schema::Number(a)), P(Schema::Integer(b))) => {
                self.push(
                    Effect::Narrower,
                    at,
                    Words::new().t("type number → integer: fractions are rejected"),
                );
                self.numbers(at, a, b);
            }
            (P(Schema::String(a)), P(Schema::String(b))) => self.strings(at, a, b),
            (P(Schema::Array { items: a, rules: ra }), P(Schema::Array { items: b, rules: rb })) => {
                self.arrays(at, ra, rb);
                self.schema(&at.down(&["items"], "[]"), a, b);
            }
            (P(Schema::Tuple { items: a, rules: ra }), P(Schema::Tuple { items: b, rules: rb })) => {
                self.tuples(at, a, b);
                self.arrays(at, ra, rb);
            }
            (
                P(Schema::Map { values: a, key_pattern: ka }),
                P(Schema::Map { values: b, key_pattern: kb }),
            ) => {
                self.pattern(at, "key pattern", ka.as_deref(), kb.as_deref());
                self.schema(&at.down(&["additionalProperties"], "[*]"), a, b);
            }
            (View::Struct(a), View::Struct(b)) => self.structs(at, a, b),
            (View::Union(a), View::Union(b)) => self.unions(at, a, b),
            _ => self.other(at, o, n),
        }
    }

    /// Finite sets of values, a set against its base type, or a type change.
    fn other(&mut self, at: &At, o: View<'a>, n: View<'a>) {
        match (values(o), values(n)) {
            (Some(a), Some(b)) => {
                let is_const = matches!(n, View::Plain(Schema::Const(_)));
                let at = at.keyword(if is_const { "const" } else { "enum" });
                for v in a.iter().filter(|v| !b.contains(v)) {
                    self.push(Effect::Narrower, &at, Words::new().t("value ").c(shown(v)).t(" removed"));
                }
                for v in b.iter().filter(|v| !a.contains(v)) {
                    self.push(Effect::Wider, &at, Words::new().t("value ").c(shown(v)).t(" added"));
                }
            }
            (Some(a), None) if a.iter().all(|v| base_accepts(n, v)) => {
                let what = Words::new().t("was ").join(set_name(&a)).t(", now any ").join(kind_name(n));
                self.push(Effect::Wider, at, what);
            }
            (None, Some(b)) if b.iter().all(|v| base_accepts(o, v)) => {
                let what = Words::new().t("was any ").join(kind_name(o)).t(", now ").join(set_name(&b));
                self.push(Effect::Narrower, at, what);
            }
            _ => {
                let what = Words::new().t("type changed: ").join(kind_name(o)).t(" → ").join(kind_name(n));
                self.push(Effect::Incompatible, at, what);
            }
        }
    }

    fn numbers(&mut self, at: &At, a: &NumberRules, b: &NumberRules) {
        self.bound(at, "minimum", true, a.minimum, b.minimum);
        self.bound(at, "exclusiveMinimum", true, a.exclusive_minimum, b.exclusive_minimum);
        self.bound(at, "maximum", false, a.maximum, b.maximum);
        self.bound(at, "exclusiveMaximum", false, a.exclusive_maximum, b.exclusive_maximum);
        let k = at.keyword("multipleOf");
        match (a.multiple_of, b.multiple_of) {
            (x, y) if x == y => {}
            (None, Some(y)) => {
                self.push(Effect::Narrower, &k, Words::new().t(format!("`multipleOf` {} added", num(y))))
            }
            (Some(x), None) => {
                self.push(Effect::Wider, &k, Words::new().t(format!("`multipleOf` {} removed", num(x))))
            }
            (Some(x), Some(y)) => {
                let divides = |big: f64, small: f64| small != 0.0 && (big / small).fract() == 0.0;
                let effect = if divides(y, x) {
                    Effect::Narrower
                } else if divides(x, y) {
                    Effect::Wider
                } else {
                    Effect::Incompatible
                };
                self.push(effect, &k, Words::new().t(format!("`multipleOf` {} → {}", num(x), num(y))));
            }
            _ => {}
        }
        self.format(at, a.format.as_deref(), b.format.as_deref());
    }

    /// A numeric bound: a `lower` bound narrows when it grows, an upper one when it shrinks.
    fn bound(&mut self, at: &At, keyword: &str, lower: bool, a: Option<f64>, b: Option<f64>) {
        let k = at.keyword(keyword);
        let (effect, what) = match (a, b) {
            (None, Some(y)) => (Effect::Narrower, format!("`{keyword}` {} added", num(y))),
            (Some(x), None) => (Effect::Wider, format!("`{keyword}` {} removed", num(x))),
            (Some(x), Some(y)) if x != y => {
                let narrower = if lower { y > x } else { y < x };
                let effect = if narrower { Effect::Narrower } else { Effect::Wider };
                (effect, format!("`{keyword}` {} → {}", num(x), num(y)))
            }
            _ => return,
        };
        self.push(effect, &k, Words::new().t(what));
    }

    fn strings(&mut self, at: &At, a: &StringRules, b: &StringRules) {
        let f = |v: Option<u64>| v.map(|n| n as f64);
        self.bound(at, "minLength", true, f(a.min_length), f(b.min_length));
        self.bound(at, "maxLength", false, f(a.max_length), f(b.max_length));
        self.pattern(at, "pattern", a.pattern.as_deref(), b.pattern.as_deref());
        self.format(at, a.format.as_deref(), b.format.as_deref());
    }

    fn arrays(&mut self, at: &At, a: &ArrayRules, b: &ArrayRules) {
        let f = |v: Option<u64>| v.map(|n| n as f64);
        self.bound(at, "minItems", true, f(a.min_items), f(b.min_items));
        self.bound(at, "maxItems", false, f(a.max_items), f(b.max_items));
        let k = at.keyword("uniqueItems");
        match (a.unique_items, b.unique_items) {
            (false, true) => self.push(Effect::Narrower, &k, Words::new().t("`uniqueItems` added")),
            (true, false) => self.push(Effect::Wider, &k, Words::new().t("`uniqueItems` removed")),
            _ => {}
        }
    }

    fn tuples(&mut self, at: &At, a: &'a [Schema], b: &'a [Schema]) {
        if a.len() != b.len() {
            let what = Words::new().t(format!("tuple length {} → {}", a.len(), b.len()));
            self.push(Effect::Incompatible, &at.keyword("prefixItems"), what);
        }
        for (i, (x, y)) in a.iter().zip(b).enumerate() {
            let index = i.to_string();
            self.schema(&at.down(&["prefixItems", &index], &format!("[{i}]")), x, y);
        }
    }

    /// A regular expression (`pattern`, a map's key pattern). Two different expressions are
    /// not compared for inclusion: any change counts as incompatible.
    fn pattern(&mut self, at: &At, label: &str, a: Option<&str>, b: Option<&str>) {
        let keyword = if label == "pattern" { "pattern" } else { "patternProperties" };
        let k = at.keyword(keyword);
        match (a, b) {
            (None, Some(y)) => {
                self.push(Effect::Narrower, &k, Words::new().t(format!("{label} ")).c(y).t(" added"))
            }
            (Some(x), None) => {
                self.push(Effect::Wider, &k, Words::new().t(format!("{label} ")).c(x).t(" removed"))
            }
            (Some(x), Some(y)) if x != y => {
                self.push(Effect::Incompatible, &k, Words::new().t(format!("{label} ")).c(x).t(" → ").c(y));
            }
            _ => {}
        }
    }

    /// `format`: added narrows, removed widens; a change is incompatible except the widening
    /// `int32` → `int64` and `float` → `double` (and back, narrowing).
    fn format(&mut self, at: &At, a: Option<&str>, b: Option<&str>) {
        let k = at.keyword("format");
        let (effect, what) = match (a, b) {
            (None, Some(y)) => (Effect::Narrower, Words::new().t("`format` ").c(y).t(" added")),
            (Some(x), None) => (Effect::Wider, Words::new().t("`format` ").c(x).t(" removed")),
            (Some(x), Some(y)) if x != y => {
                let effect = match (x, y) {
                    ("int32", "int64") | ("float", "double") => Effect::Wider,
                    ("int64", "int32") | ("double", "float") => Effect::Narrower,
                    _ => Effect::Incompatible,
                };
                (effect, Words::new().t("`format` ").c(x).t(" → ").c(y))
            }
            _ => return,
        };
        self.push(effect, &k, what);
    }

    fn structs(&mut self, at: &At, a: &'a Struct, b: &'a Struct) {
        for f in &a.fields {
            let fat = at.down(&["properties", &f.wire], &format!(".{}", f.wire));
            match b.fields.iter().find(|g| g.wire == f.wire) {
                Some(g) => self.field(&fat, f, g),
                None => self.removed_field(&fat, f, &b.additional),
            }
        }
        for g in b.fields.iter().filter(|g| !a.fields.iter().any(|f| f.wire == g.wire)) {
            let fat = at.down(&["properties", &g.wire], &format!(".{}", g.wire));
            self.added_field(&fat, g, &a.additional);
        }
        self.additional(at, &a.additional, &b.additional);
    }

    fn field(&mut self, at: &At, f: &'a Field, g: &'a Field) {
        match (f.required, g.required) {
            (true, false) => {
                self.push(Effect::Wider, at, Words::new().t("no longer required: it may be missing"))
            }
            (false, true) => self.push(Effect::Narrower, at, Words::new().t("now required")),
            _ => {}
        }
        if f.default != g.default {
            let show = |d: &Option<Value>| d.as_ref().map_or_else(|| "none".to_owned(), Value::to_string);
            let what = Words::new().t("`default` ").c(show(&f.default)).t(" → ").c(show(&g.default));
            self.push(Effect::Neutral, &at.keyword("default"), what);
        }
        if f.description != g.description {
            self.push(Effect::Neutral, at, Words::new().t("description changed (docs only)"));
        }
        if f.deprecated != g.deprecated {
            let what = if g.deprecated { "now deprecated" } else { "no longer deprecated" };
            self.push(Effect::Neutral, at, Words::new().t(what));
        }
        self.schema(at, &f.schema, &g.schema);
    }

    fn removed_field(&mut self, at: &At, f: &Field, now: &Additional) {
        let mut said = false;
        if f.required {
            let what = Words::new().t("required field ").c(&f.wire).t(" removed: it may be missing");
            self.push_old(Effect::Wider, at, what);
            said = true;
        }
        if let Some(why) = checks_unknown(now) {
            let what = Words::new().t("field ").c(&f.wire).t(format!(" removed, and unknown keys are {why}"));
            self.push_old(Effect::Narrower, at, what);
            said = true;
        }
        if !said {
            self.push_old(Effect::Neutral, at, Words::new().t("optional field ").c(&f.wire).t(" removed"));
        }
    }

    fn added_field(&mut self, at: &At, g: &Field, before: &Additional) {
        let mut said = false;
        if g.required {
            self.push_new(Effect::Narrower, at, Words::new().t("required field ").c(&g.wire).t(" added"));
            said = true;
        }
        if let Some(why) = checks_unknown(before) {
            let what = Words::new().t("field ").c(&g.wire).t(format!(" added where unknown keys were {why}"));
            self.push_new(Effect::Wider, at, what);
            said = true;
        }
        if !said {
            self.push_new(Effect::Neutral, at, Words::new().t("optional field ").c(&g.wire).t(" added"));
        }
    }

    fn additional(&mut self, at: &At, a: &'a Additional, b: &'a Additional) {
        let k = at.keyword("additionalProperties");
        let name = |x: &Additional| match x {
            Additional::Ignore => "ignored",
            Additional::Forbid => "rejected",
            Additional::Map(_) => "checked against a schema",
        };
        let effect = match (a, b) {
            (Additional::Map(x), Additional::Map(y)) => {
                self.schema(&at.down(&["additionalProperties"], "[*]"), x, y);
                return;
            }
            (x, y) if std::mem::discriminant(x) == std::mem::discriminant(y) => return,
            (Additional::Ignore, _) | (Additional::Map(_), Additional::Forbid) => Effect::Narrower,
            _ => Effect::Wider,
        };
        self.push(effect, &k, Words::new().t(format!("unknown keys were {}, now {}", name(a), name(b))));
    }

    fn unions(&mut self, at: &At, a: &'a Union, b: &'a Union) {
        let keyword = if b.exclusive { "oneOf" } else { "anyOf" };
        match (a.exclusive, b.exclusive) {
            (true, false) => self.push(Effect::Wider, at, Words::new().t("`oneOf` → `anyOf`")),
            (false, true) => self.push(Effect::Narrower, at, Words::new().t("`anyOf` → `oneOf`")),
            _ => {}
        }
        if a.discriminator != b.discriminator {
            let show = |d: &Option<String>| d.clone().unwrap_or_else(|| "none".into());
            let what =
                Words::new().t("discriminator ").c(show(&a.discriminator)).t(" → ").c(show(&b.discriminator));
            self.push(Effect::Incompatible, &at.keyword("discriminator"), what);
        }
        let key = |u: &Union, i: usize| match (&u.discriminator, &u.variants[i].tag_value) {
            (Some(_), Some(t)) => format!("tag:{t}"),
            _ => format!("name:{}", u.variants[i].name),
        };
        let mut matched_new = vec![false; b.variants.len()];
        let mut pairs = Vec::new();
        let mut unmatched_old = Vec::new();
        for i in 0..a.variants.len() {
            let k = key(a, i);
            match (0..b.variants.len()).find(|&j| !matched_new[j] && key(b, j) == k) {
                Some(j) => {
                    matched_new[j] = true;
                    pairs.push((i, j));
                }
                None => unmatched_old.push(i),
            }
        }
        // What is left pairs up by position (variants named after a type that was renamed).
        let mut left_new: Vec<usize> = (0..b.variants.len()).filter(|&j| !matched_new[j]).collect();
        let mut removed = Vec::new();
        for i in unmatched_old {
            match left_new.iter().position(|&j| j == i) {
                Some(p) => pairs.push((i, left_new.remove(p))),
                None => removed.push(i),
            }
        }
        pairs.sort_unstable();
        for (i, j) in pairs {
            let index = j.to_string();
            let vat = at.down(&[keyword, &index], &format!("<{}>", b.variants[j].name));
            self.schema(&vat, &a.variants[i].schema, &b.variants[j].schema);
        }
        for i in removed {
            let what = Words::new().t("variant ").c(&a.variants[i].name).t(" removed");
            self.push_old(Effect::Narrower, &at.keyword(keyword), what);
        }
        for j in left_new {
            let what = Words::new().t("variant ").c(&b.variants[j].name).t(" added");
            self.push_new(Effect::Wider, &at.keyword(keyword), what);
        }
    }
}

/// How unknown keys are treated when that makes a key no longer listed matter.
fn checks_unknown(a: &Additional) -> Option<&'static str> {
    match a {
        Additional::Ignore => None,
        Additional::Forbid => Some("rejected"),
        Additional::Map(s) if **s == Schema::Any => None,
        Additional::Map(_) => Some("checked against `additionalProperties`"),
    }
}

fn set_name(values: &[Value]) -> Words {
    let mut w = Words::new().t(if values.len() == 1 { "constant " } else { "one of " });
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            w = w.t(", ");
        }
        w = w.c(shown(v));
    }
    w
}

/// Whether a plain type accepts `v` at all (ignoring its constraints).
fn base_accepts(view: View<'_>, v: &Value) -> bool {
    match view {
        View::Plain(Schema::String(_)) => v.is_string(),
        View::Plain(Schema::Integer(_)) => v.is_i64() || v.is_u64(),
        View::Plain(Schema::Number(_)) => v.is_number(),
        View::Plain(Schema::Bool) => v.is_boolean(),
        _ => false,
    }
}

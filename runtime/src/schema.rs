//! Static schema descriptors emitted by `chanx-gen` next to each generated type, and the two
//! walks over them: [`Check`] (constraints of an already deserialized value, the fast path) and
//! [`check_value`] (every problem of a raw [`serde_json::Value`], the slow path taken only when
//! serde refused a frame). Owns the rules; the wording of errors lives in [`crate::validate`].
//!
//! Descriptors are plain `static` data (no allocation, no lazy initialisation except compiled
//! regexes), so generated code can refer to them from `static` items, recursively.

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use regex::Regex;
use serde_json::Value;

use crate::message::{ErrorItem, LocPart};
use crate::validate as v;

/// One node of a schema.
#[derive(Debug)]
pub enum Schema {
    /// Anything.
    Any,
    /// `null` only.
    Null,
    /// A boolean.
    Bool,
    /// An integer that fits in `i64`.
    Int(NumRules),
    /// Any JSON number (as `f64`).
    Num(NumRules),
    /// A string.
    Str(StrRules),
    /// Exactly this value.
    Const(Const),
    /// An array of one element schema.
    Array {
        /// Element schema.
        items: &'static Schema,
        /// Size and uniqueness rules.
        rules: ArrayRules,
    },
    /// A fixed-length array (`prefixItems`).
    Tuple {
        /// Element schemas.
        items: &'static [Schema],
        /// Size rules.
        rules: ArrayRules,
    },
    /// An object used as a string-keyed map.
    Map {
        /// Value schema.
        values: &'static Schema,
        /// Keys must match this pattern (`patternProperties`).
        key_pattern: Option<&'static Pattern>,
    },
    /// The inner schema, or `null`.
    Nullable(&'static Schema),
    /// A named (generated) type.
    Named(&'static Schema),
    /// An object with known properties.
    Object(&'static Object),
    /// One of these strings.
    StrEnum(&'static [&'static str]),
    /// One of these integers.
    IntEnum(&'static [i64]),
    /// `oneOf` / `anyOf`.
    Union(&'static Union),
}

impl Schema {
    /// A string without rules.
    pub const STR: Schema = Schema::Str(StrRules::NONE);
    /// An integer without bounds.
    pub const INT: Schema = Schema::Int(NumRules::NONE);
    /// A number without bounds.
    pub const NUM: Schema = Schema::Num(NumRules::NONE);

    /// An array of `items` (short form for generated descriptors).
    pub const fn array(items: &'static Schema, rules: ArrayRules) -> Schema {
        Schema::Array { items, rules }
    }

    /// A string-keyed map of `values` without a key pattern.
    pub const fn map(values: &'static Schema) -> Schema {
        Schema::Map { values, key_pattern: None }
    }

    /// Follows [`Schema::Named`] links to the node that says what the value is.
    pub fn resolve(&self) -> &Schema {
        let mut s = self;
        while let Schema::Named(inner) = s {
            s = inner;
        }
        s
    }

    /// True when `null` is an acceptable value.
    pub fn allows_null(&self) -> bool {
        match self.resolve() {
            Schema::Any | Schema::Null | Schema::Nullable(_) | Schema::Const(Const::Null) => true,
            Schema::Union(u) => u.variants.iter().any(|v| v.schema.allows_null()),
            _ => false,
        }
    }
}

/// A constant value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Const {
    /// `null`.
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A non-integer number.
    Float(f64),
    /// A string.
    Str(&'static str),
    /// Anything else, as JSON text.
    Json(&'static str),
}

impl Const {
    /// True when `value` is this constant.
    pub fn matches(&self, value: &Value) -> bool {
        match (self, value) {
            (Const::Null, Value::Null) => true,
            (Const::Bool(b), Value::Bool(x)) => b == x,
            (Const::Int(i), Value::Number(n)) => n.as_i64() == Some(*i),
            (Const::Float(f), Value::Number(n)) => n.as_f64() == Some(*f),
            (Const::Str(s), Value::String(x)) => s == x,
            (Const::Json(j), _) => serde_json::from_str::<Value>(j).is_ok_and(|c| &c == value),
            _ => false,
        }
    }

    /// The constant as Python would print it in an error message (`'chat'`, `1`, `None`).
    pub fn repr(&self) -> String {
        match self {
            Const::Null => "None".to_owned(),
            Const::Bool(true) => "True".to_owned(),
            Const::Bool(false) => "False".to_owned(),
            Const::Int(i) => i.to_string(),
            Const::Float(f) => v::num(*f),
            Const::Str(s) => format!("'{s}'"),
            Const::Json(j) => (*j).to_owned(),
        }
    }
}

/// Numeric bounds.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct NumRules {
    /// `minimum`.
    pub minimum: Option<f64>,
    /// `maximum`.
    pub maximum: Option<f64>,
    /// `exclusiveMinimum`.
    pub exclusive_minimum: Option<f64>,
    /// `exclusiveMaximum`.
    pub exclusive_maximum: Option<f64>,
    /// `multipleOf`.
    pub multiple_of: Option<f64>,
}

impl NumRules {
    /// No bounds.
    pub const NONE: NumRules = NumRules {
        minimum: None,
        maximum: None,
        exclusive_minimum: None,
        exclusive_maximum: None,
        multiple_of: None,
    };

    /// With `minimum`.
    pub const fn minimum(self, v: f64) -> Self {
        Self { minimum: Some(v), ..self }
    }

    /// With `maximum`.
    pub const fn maximum(self, v: f64) -> Self {
        Self { maximum: Some(v), ..self }
    }

    /// With `exclusiveMinimum`.
    pub const fn exclusive_minimum(self, v: f64) -> Self {
        Self { exclusive_minimum: Some(v), ..self }
    }

    /// With `exclusiveMaximum`.
    pub const fn exclusive_maximum(self, v: f64) -> Self {
        Self { exclusive_maximum: Some(v), ..self }
    }

    /// With `multipleOf`.
    pub const fn multiple_of(self, v: f64) -> Self {
        Self { multiple_of: Some(v), ..self }
    }
}

/// String rules.
#[derive(Debug, Clone, Copy, Default)]
pub struct StrRules {
    /// `minLength`, in characters.
    pub min_length: Option<u64>,
    /// `maxLength`, in characters.
    pub max_length: Option<u64>,
    /// `pattern`.
    pub pattern: Option<&'static Pattern>,
    /// A `format` that is checked.
    pub format: Option<Format>,
}

impl StrRules {
    /// No rules.
    pub const NONE: StrRules = StrRules { min_length: None, max_length: None, pattern: None, format: None };

    /// With `minLength`.
    pub const fn min_length(self, n: u64) -> Self {
        Self { min_length: Some(n), ..self }
    }

    /// With `maxLength`.
    pub const fn max_length(self, n: u64) -> Self {
        Self { max_length: Some(n), ..self }
    }

    /// With `pattern`.
    pub const fn pattern(self, p: &'static Pattern) -> Self {
        Self { pattern: Some(p), ..self }
    }

    /// With a checked `format`.
    pub const fn format(self, f: Format) -> Self {
        Self { format: Some(f), ..self }
    }
}

/// String formats that are checked (cheaply, without extra dependencies). Other formats are
/// documentation only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// RFC 3339 `date-time`.
    DateTime,
    /// RFC 3339 `full-date`.
    Date,
    /// RFC 3339 `full-time`.
    Time,
    /// `uuid` (hyphenated hex).
    Uuid,
    /// `email` (one `@`, non-empty local part, a dotted domain).
    Email,
    /// `uri` (an absolute URI: scheme, `:`, no spaces).
    Uri,
}

/// Array rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ArrayRules {
    /// `minItems`.
    pub min_items: Option<u64>,
    /// `maxItems`.
    pub max_items: Option<u64>,
    /// `uniqueItems`.
    pub unique_items: bool,
}

impl ArrayRules {
    /// No rules.
    pub const NONE: ArrayRules = ArrayRules { min_items: None, max_items: None, unique_items: false };

    /// With `minItems`.
    pub const fn min_items(self, n: u64) -> Self {
        Self { min_items: Some(n), ..self }
    }

    /// With `maxItems`.
    pub const fn max_items(self, n: u64) -> Self {
        Self { max_items: Some(n), ..self }
    }

    /// With `uniqueItems: true`.
    pub const fn unique(self) -> Self {
        Self { unique_items: true, ..self }
    }
}

/// A `pattern`, compiled on first use and cached for the life of the process.
#[derive(Debug)]
pub struct Pattern {
    source: &'static str,
    regex: &'static str,
    compiled: OnceLock<Option<Regex>>,
}

impl Pattern {
    /// A pattern from its source text in the regex crate's syntax (compiled lazily).
    pub const fn new(source: &'static str) -> Self {
        Self { source, regex: source, compiled: OnceLock::new() }
    }

    /// A JSON Schema (ECMA-262) pattern `source`, run as `regex`: its translation into the regex
    /// crate's syntax with the same meaning (chanx-gen writes it: `\d` becomes `[0-9]`, ...).
    /// Messages show `source`.
    pub const fn ecma(source: &'static str, regex: &'static str) -> Self {
        Self { source, regex, compiled: OnceLock::new() }
    }

    /// The source text.
    pub fn source(&self) -> &'static str {
        self.source
    }

    /// True when `s` contains a match (JSON Schema patterns are not anchored). A pattern that
    /// does not compile (the generator refuses those) matches everything.
    pub fn is_match(&self, s: &str) -> bool {
        self.compiled.get_or_init(|| Regex::new(self.regex).ok()).as_ref().is_none_or(|re| re.is_match(s))
    }
}

/// An object type.
#[derive(Debug)]
pub struct Object {
    /// Type name (used in `model_type` messages).
    pub name: &'static str,
    /// Known properties.
    pub fields: &'static [Field],
    /// What to do with other properties.
    pub additional: Additional,
}

impl Object {
    /// An object type (short form for generated descriptors).
    pub const fn new(name: &'static str, fields: &'static [Field], additional: Additional) -> Self {
        Self { name, fields, additional }
    }
}

/// Unknown properties of an object.
#[derive(Debug)]
pub enum Additional {
    /// Ignored.
    Ignore,
    /// Rejected with `extra_forbidden`.
    Forbid,
    /// Checked against this schema.
    Map(&'static Schema),
}

/// One property of an object.
#[derive(Debug)]
pub struct Field {
    /// Name on the wire.
    pub wire: &'static str,
    /// Schema of the value.
    pub schema: Schema,
    /// Must be present.
    pub required: bool,
}

impl Field {
    /// A required property.
    pub const fn req(wire: &'static str, schema: Schema) -> Self {
        Self { wire, schema, required: true }
    }

    /// An optional property.
    pub const fn opt(wire: &'static str, schema: Schema) -> Self {
        Self { wire, schema, required: false }
    }
}

/// `oneOf` / `anyOf`.
#[derive(Debug)]
pub struct Union {
    /// Type name.
    pub name: &'static str,
    /// The property that tells variants apart, if any.
    pub discriminator: Option<&'static str>,
    /// Variants in order.
    pub variants: &'static [Variant],
}

/// One variant of a union.
#[derive(Debug)]
pub struct Variant {
    /// Variant name (the error location label when the union has no discriminator).
    pub name: &'static str,
    /// Discriminator value.
    pub tag: Option<&'static str>,
    /// Schema.
    pub schema: Schema,
}

impl Union {
    /// A union type (short form for generated descriptors).
    pub const fn new(
        name: &'static str,
        discriminator: Option<&'static str>,
        variants: &'static [Variant],
    ) -> Self {
        Self { name, discriminator, variants }
    }
}

impl Variant {
    /// A variant without a discriminator value.
    pub const fn new(name: &'static str, schema: Schema) -> Self {
        Self { name, tag: None, schema }
    }

    /// A variant told apart by the discriminator value `tag`.
    pub const fn tagged(name: &'static str, tag: &'static str, schema: Schema) -> Self {
        Self { name, tag: Some(tag), schema }
    }

    /// The label this variant adds to error locations: its tag, else its name.
    pub fn label(&self) -> &'static str {
        self.tag.unwrap_or(self.name)
    }
}

/// One segment of the current path.
#[derive(Debug, Clone, Copy)]
enum Seg<'a> {
    Key(&'a str),
    Index(usize),
}

/// The current path: the first [`Path::INLINE`] segments inline, so checking a valid frame
/// allocates nothing; deeper ones in a `Vec`.
#[derive(Debug, Clone)]
struct Path<'a> {
    inline: [Seg<'a>; Path::INLINE],
    len: usize,
    spill: Vec<Seg<'a>>,
}

impl Default for Path<'_> {
    fn default() -> Self {
        Self::new()
    }
}

impl<'a> Path<'a> {
    const INLINE: usize = 8;

    fn new() -> Self {
        Self { inline: [Seg::Index(0); Self::INLINE], len: 0, spill: Vec::new() }
    }

    fn push(&mut self, seg: Seg<'a>) {
        if self.len < Self::INLINE {
            self.inline[self.len] = seg;
        } else {
            self.spill.push(seg);
        }
        self.len += 1;
    }

    fn pop(&mut self) {
        if self.len > Self::INLINE {
            self.spill.pop();
        }
        self.len = self.len.saturating_sub(1);
    }

    fn iter(&self) -> impl Iterator<Item = &Seg<'a>> {
        self.inline[..self.len.min(Self::INLINE)].iter().chain(&self.spill)
    }
}

/// The state of a check: the current path and the problems found so far.
#[derive(Debug, Default)]
pub struct Cx<'a> {
    /// The first location part (the message tag); kept apart so a valid frame's checks
    /// allocate nothing until they go one level down.
    root: Option<&'a str>,
    path: Path<'a>,
    errors: Vec<ErrorItem>,
}

impl<'a> Cx<'a> {
    /// A context whose locations start with `root` (the message tag), or with nothing.
    pub fn new(root: Option<&'a str>) -> Self {
        Self { root, path: Path::new(), errors: Vec::new() }
    }

    /// Records a problem at the current path.
    pub fn error(&mut self, kind: &'static str, msg: String) {
        let loc = self
            .root
            .map(Seg::Key)
            .iter()
            .chain(self.path.iter())
            .map(|s| match s {
                Seg::Key(k) => LocPart::Key((*k).to_owned()),
                Seg::Index(i) => LocPart::Index(*i),
            })
            .collect();
        self.errors.push(ErrorItem { kind: kind.into(), loc, msg });
    }

    /// Runs `f` one key deeper.
    pub fn at_key<R>(&mut self, key: &'a str, f: impl FnOnce(&mut Self) -> R) -> R {
        self.path.push(Seg::Key(key));
        let r = f(self);
        self.path.pop();
        r
    }

    /// Runs `f` one index deeper.
    pub fn at_index<R>(&mut self, index: usize, f: impl FnOnce(&mut Self) -> R) -> R {
        self.path.push(Seg::Index(index));
        let r = f(self);
        self.path.pop();
        r
    }

    /// Checks one struct field (typed path).
    pub fn field<T: Check + ?Sized>(&mut self, field: &'static Field, value: &'a T) {
        self.at_key(field.wire, |cx| value.check(&field.schema, cx));
    }

    /// Checks every property of an object (typed path): `values[i]` is the value of
    /// `fields[i]`. Generated `Check` impls make one call per type.
    pub fn fields<const N: usize>(&mut self, fields: &'static [Field; N], values: [&'a dyn Check; N]) {
        for (field, value) in fields.iter().zip(values) {
            self.field(field, value);
        }
    }

    /// Checks the payload of one union variant (typed path).
    pub fn variant<T: Check + ?Sized>(&mut self, variant: &'static Variant, value: &'a T) {
        self.at_key(variant.label(), |cx| value.check(&variant.schema, cx));
    }

    /// Number of problems found so far.
    pub fn error_count(&self) -> usize {
        self.errors.len()
    }

    /// The problems found.
    pub fn into_errors(self) -> Vec<ErrorItem> {
        self.errors
    }
}

/// Checks the constraints of a deserialized value against its schema (the fast path: serde has
/// already checked the shape). Implemented here for the types generated code uses and by
/// generated code for its own types (which ignore `schema` and use their own descriptor).
pub trait Check {
    /// Records every violation under the current path of `cx`.
    fn check<'a>(&'a self, schema: &'static Schema, cx: &mut Cx<'a>);
}

impl Check for String {
    fn check<'a>(&'a self, schema: &'static Schema, cx: &mut Cx<'a>) {
        match schema.resolve() {
            Schema::Str(rules) => v::check_str(self, rules, cx),
            Schema::Nullable(inner) => self.check(inner, cx),
            Schema::Const(c) if !matches!(c, Const::Str(s) if s == self) => v::literal_error(c, cx),
            Schema::StrEnum(values) if !values.contains(&self.as_str()) => v::enum_error(values, cx),
            _ => {}
        }
    }
}

impl Check for i64 {
    fn check<'a>(&'a self, schema: &'static Schema, cx: &mut Cx<'a>) {
        match schema.resolve() {
            Schema::Int(rules) | Schema::Num(rules) => v::check_int(*self, rules, cx),
            Schema::Nullable(inner) => self.check(inner, cx),
            Schema::Const(c) if *c != Const::Int(*self) => v::literal_error(c, cx),
            Schema::IntEnum(values) if !values.contains(self) => v::int_enum_error(values, cx),
            _ => {}
        }
    }
}

impl Check for f64 {
    fn check<'a>(&'a self, schema: &'static Schema, cx: &mut Cx<'a>) {
        match schema.resolve() {
            Schema::Num(rules) | Schema::Int(rules) => v::check_num(*self, rules, cx),
            Schema::Nullable(inner) => self.check(inner, cx),
            Schema::Const(c) => {
                let ok = match c {
                    Const::Float(f) => f == self,
                    Const::Int(i) => *i as f64 == *self,
                    _ => false,
                };
                if !ok {
                    v::literal_error(c, cx);
                }
            }
            _ => {}
        }
    }
}

impl Check for bool {
    fn check<'a>(&'a self, schema: &'static Schema, cx: &mut Cx<'a>) {
        if let Schema::Const(c) = schema.resolve()
            && *c != Const::Bool(*self)
        {
            v::literal_error(c, cx);
        }
    }
}

impl Check for () {
    fn check<'a>(&'a self, _: &'static Schema, _: &mut Cx<'a>) {}
}

impl Check for Value {
    fn check<'a>(&'a self, schema: &'static Schema, cx: &mut Cx<'a>) {
        check_value(self, schema, cx);
    }
}

impl<T: Check + ?Sized> Check for Box<T> {
    fn check<'a>(&'a self, schema: &'static Schema, cx: &mut Cx<'a>) {
        (**self).check(schema, cx);
    }
}

impl<T: Check> Check for Option<T> {
    fn check<'a>(&'a self, schema: &'static Schema, cx: &mut Cx<'a>) {
        if let Some(value) = self {
            let inner = match schema.resolve() {
                Schema::Nullable(inner) => inner,
                _ => schema,
            };
            value.check(inner, cx);
        }
    }
}

impl<T: Check + PartialEq> Check for Vec<T> {
    fn check<'a>(&'a self, schema: &'static Schema, cx: &mut Cx<'a>) {
        match schema.resolve() {
            Schema::Array { items, rules } => {
                v::check_len(self.len(), rules, cx);
                if rules.unique_items && !v::all_unique(self) {
                    v::not_unique(cx);
                }
                for (i, item) in self.iter().enumerate() {
                    cx.at_index(i, |cx| item.check(items, cx));
                }
            }
            Schema::Nullable(inner) => self.check(inner, cx),
            _ => {}
        }
    }
}

fn check_map<'a, T: Check + 'a>(
    entries: impl Iterator<Item = (&'a String, &'a T)>,
    schema: &'static Schema,
    cx: &mut Cx<'a>,
) {
    match schema.resolve() {
        Schema::Map { values, key_pattern } => {
            for (k, value) in entries {
                cx.at_key(k, |cx| {
                    if let Some(p) = key_pattern
                        && !p.is_match(k)
                    {
                        v::key_pattern_mismatch(p, cx);
                    }
                    value.check(values, cx);
                });
            }
        }
        Schema::Nullable(inner) => check_map(entries, inner, cx),
        _ => {}
    }
}

impl<T: Check> Check for BTreeMap<String, T> {
    fn check<'a>(&'a self, schema: &'static Schema, cx: &mut Cx<'a>) {
        check_map(self.iter(), schema, cx);
    }
}

impl<T: Check, S> Check for HashMap<String, T, S> {
    fn check<'a>(&'a self, schema: &'static Schema, cx: &mut Cx<'a>) {
        check_map(self.iter(), schema, cx);
    }
}

/// Checks the `additionalProperties` map of a generated struct against its object schema.
pub fn check_additional<'a, T: Check>(
    schema: &'static Schema,
    map: &'a BTreeMap<String, T>,
    cx: &mut Cx<'a>,
) {
    if let Schema::Object(object) = schema.resolve()
        && let Additional::Map(values) = object.additional
    {
        for (k, value) in map {
            cx.at_key(k, |cx| value.check(values, cx));
        }
    }
}

macro_rules! tuple_check {
    ($($i:tt $t:ident),+) => {
        impl<$($t: Check),+> Check for ($($t,)+) {
            fn check<'a>(&'a self, schema: &'static Schema, cx: &mut Cx<'a>) {
                if let Schema::Tuple { items, .. } = schema.resolve() {
                    $(
                        if let Some(s) = items.get($i) {
                            cx.at_index($i, |cx| self.$i.check(s, cx));
                        }
                    )+
                }
            }
        }
    };
}
tuple_check!(0 A);
tuple_check!(0 A, 1 B);
tuple_check!(0 A, 1 B, 2 C);
tuple_check!(0 A, 1 B, 2 C, 3 D);
tuple_check!(0 A, 1 B, 2 C, 3 D, 4 E);
tuple_check!(0 A, 1 B, 2 C, 3 D, 4 E, 5 F);
tuple_check!(0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G);
tuple_check!(0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G, 7 H);

/// Checks a raw JSON value against a schema, reporting every problem: wrong types, missing and
/// forbidden properties, and every constraint (the slow path).
pub fn check_value<'a>(value: &'a Value, schema: &'static Schema, cx: &mut Cx<'a>) {
    check_value_ignoring(value, schema, &[], cx);
}

/// Like [`check_value`], but the first object level does not treat `ignore` keys as unknown
/// (the frame's tag and envelope keys).
pub fn check_value_ignoring<'a>(value: &'a Value, schema: &'static Schema, ignore: &[&str], cx: &mut Cx<'a>) {
    match schema {
        Schema::Any => {}
        Schema::Null => {
            if !value.is_null() {
                cx.error("none_required", "Input should be None".to_owned());
            }
        }
        Schema::Bool => {
            if !value.is_boolean() {
                cx.error("bool_type", "Input should be a valid boolean".to_owned());
            }
        }
        Schema::Int(rules) => match value {
            Value::Number(n) => {
                if let Some(i) = n.as_i64() {
                    v::check_int(i, rules, cx);
                } else if n.is_u64() {
                    cx.error(
                        "int_parsing_size",
                        "Unable to parse input string as an integer, exceeded maximum size".to_owned(),
                    );
                } else if n.as_f64().is_some_and(|f| f.fract() != 0.0) {
                    cx.error(
                        "int_from_float",
                        "Input should be a valid integer, got a number with a fractional part".to_owned(),
                    );
                } else {
                    v::int_type(cx);
                }
            }
            _ => v::int_type(cx),
        },
        Schema::Num(rules) => match value.as_f64() {
            Some(f) => v::check_num(f, rules, cx),
            None => cx.error("float_type", "Input should be a valid number".to_owned()),
        },
        Schema::Str(rules) => match value {
            Value::String(s) => v::check_str(s, rules, cx),
            _ => v::string_type(cx),
        },
        Schema::Const(c) => {
            if !c.matches(value) {
                v::literal_error(c, cx);
            }
        }
        Schema::Array { items, rules } => match value {
            Value::Array(list) => {
                v::check_len(list.len(), rules, cx);
                if rules.unique_items && !v::all_unique(list) {
                    v::not_unique(cx);
                }
                for (i, item) in list.iter().enumerate() {
                    cx.at_index(i, |cx| check_value(item, items, cx));
                }
            }
            _ => v::list_type(cx),
        },
        Schema::Tuple { items, rules } => match value {
            Value::Array(list) => {
                v::check_len(list.len(), rules, cx);
                for (i, (item, s)) in list.iter().zip(items.iter()).enumerate() {
                    cx.at_index(i, |cx| check_value(item, s, cx));
                }
                for i in list.len()..items.len() {
                    cx.at_index(i, |cx| v::missing(cx));
                }
                if list.len() > items.len() && rules.max_items.is_none() {
                    let (max, actual) = (items.len(), list.len());
                    cx.error(
                        "too_long",
                        format!(
                            "Tuple should have at most {max} item{} after validation, not {actual}",
                            v::plural(max as u64)
                        ),
                    );
                }
            }
            _ => v::list_type(cx),
        },
        Schema::Map { values, key_pattern } => match value {
            Value::Object(map) => {
                for (k, item) in map {
                    if ignore.contains(&k.as_str()) {
                        continue;
                    }
                    cx.at_key(k, |cx| {
                        if let Some(p) = key_pattern
                            && !p.is_match(k)
                        {
                            v::key_pattern_mismatch(p, cx);
                        }
                        check_value(item, values, cx);
                    });
                }
            }
            _ => cx.error("dict_type", "Input should be a valid dictionary".to_owned()),
        },
        Schema::Nullable(inner) => {
            if !value.is_null() {
                check_value_ignoring(value, inner, ignore, cx);
            }
        }
        Schema::Named(inner) => check_value_ignoring(value, inner, ignore, cx),
        Schema::Object(object) => check_object(value, object, ignore, cx),
        Schema::StrEnum(values) => match value {
            Value::String(s) if values.contains(&s.as_str()) => {}
            _ => v::enum_error(values, cx),
        },
        Schema::IntEnum(values) => match value.as_i64() {
            Some(i) if values.contains(&i) => {}
            _ => v::int_enum_error(values, cx),
        },
        Schema::Union(union) => check_union(value, union, ignore, cx),
    }
}

fn check_object<'a>(value: &'a Value, object: &'static Object, ignore: &[&str], cx: &mut Cx<'a>) {
    let Value::Object(map) = value else {
        cx.error("model_type", format!("Input should be a valid dictionary or instance of {}", object.name));
        return;
    };
    for field in object.fields {
        match map.get(field.wire) {
            // `null` for a non-nullable optional field is a type error, as it is for serde.
            Some(item) => cx.at_key(field.wire, |cx| check_value(item, &field.schema, cx)),
            None if field.required => cx.at_key(field.wire, |cx| v::missing(cx)),
            None => {}
        }
    }
    if matches!(object.additional, Additional::Ignore) {
        return;
    }
    for (k, item) in map {
        if ignore.contains(&k.as_str()) || object.fields.iter().any(|f| f.wire == k) {
            continue;
        }
        cx.at_key(k, |cx| match object.additional {
            Additional::Forbid => cx.error("extra_forbidden", "Extra inputs are not permitted".to_owned()),
            Additional::Map(s) => check_value(item, s, cx),
            Additional::Ignore => {}
        });
    }
}

fn check_union<'a>(value: &'a Value, union: &'static Union, ignore: &[&str], cx: &mut Cx<'a>) {
    if let Some(key) = union.discriminator {
        let Value::Object(map) = value else {
            cx.error(
                "model_attributes_type",
                "Input should be a valid dictionary or object to extract fields from".to_owned(),
            );
            return;
        };
        let Some(tag) = map.get(key) else {
            v::tag_not_found(key, cx);
            return;
        };
        let tag_text = match tag {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        match union.variants.iter().find(|v| v.tag == Some(tag_text.as_str())) {
            Some(variant) => {
                let mut keys: Vec<&str> = ignore.to_vec();
                keys.push(key);
                cx.at_key(variant.label(), |cx| check_value_ignoring(value, &variant.schema, &keys, cx));
            }
            None => {
                let tags: Vec<&str> = union.variants.iter().filter_map(|v| v.tag).collect();
                v::tag_invalid(key, &tag_text, &tags, cx);
            }
        }
        return;
    }
    // No discriminator: valid when one variant accepts the value; otherwise every variant's
    // problems are reported under its name (pydantic's smart-union shape).
    let mut all = Vec::new();
    for variant in union.variants {
        let mut sub = Cx { root: cx.root, path: cx.path.clone(), errors: Vec::new() };
        sub.at_key(variant.label(), |sub| check_value_ignoring(value, &variant.schema, ignore, sub));
        if sub.errors.is_empty() {
            return;
        }
        all.extend(sub.errors);
    }
    cx.errors.extend(all);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    static ROOM: Pattern = Pattern::new("^[a-z]+$");

    #[test]
    fn an_ecma_pattern_runs_its_translation_and_shows_its_source() {
        static YEAR: Pattern = Pattern::ecma(r"^\d{4}$", "^[0-9]{4}$");
        assert!(YEAR.is_match("2024"));
        assert!(!YEAR.is_match("١٢٣٤"));
        assert_eq!(YEAR.source(), r"^\d{4}$");
    }
    static PAYLOAD_FIELDS: [Field; 3] = [
        Field {
            wire: "text",
            schema: Schema::Str(StrRules {
                min_length: Some(1),
                max_length: Some(5),
                pattern: None,
                format: None,
            }),
            required: true,
        },
        Field { wire: "seq", schema: Schema::Nullable(&Schema::Int(NumRules::NONE)), required: false },
        Field {
            wire: "room",
            schema: Schema::Str(StrRules { pattern: Some(&ROOM), ..StrRules::NONE }),
            required: false,
        },
    ];
    static PAYLOAD: Schema =
        Schema::Object(&Object { name: "Payload", fields: &PAYLOAD_FIELDS, additional: Additional::Forbid });
    static FRAME: Schema = Schema::Object(&Object {
        name: "Frame",
        fields: &[Field { wire: "payload", schema: Schema::Named(&PAYLOAD), required: true }],
        additional: Additional::Ignore,
    });

    fn errors(value: &Value, schema: &'static Schema) -> Vec<(String, String)> {
        let mut cx = Cx::new(Some("chat"));
        check_value(value, schema, &mut cx);
        cx.into_errors()
            .into_iter()
            .map(|e| (e.kind.into_owned(), serde_json::to_string(&e.loc).unwrap_or_default()))
            .collect()
    }

    #[test]
    fn valid_frame_has_no_errors() {
        assert!(
            errors(&json!({"action": "chat", "payload": {"text": "hi", "seq": null}}), &FRAME).is_empty()
        );
    }

    #[test]
    fn every_problem_is_reported_with_its_path() {
        let got = errors(&json!({"payload": {"text": "", "seq": "x", "room": "A", "extra": 1}}), &FRAME);
        assert_eq!(
            got,
            vec![
                ("string_too_short".to_owned(), r#"["chat","payload","text"]"#.to_owned()),
                ("int_type".to_owned(), r#"["chat","payload","seq"]"#.to_owned()),
                ("string_pattern_mismatch".to_owned(), r#"["chat","payload","room"]"#.to_owned()),
                ("extra_forbidden".to_owned(), r#"["chat","payload","extra"]"#.to_owned()),
            ]
        );
    }

    #[test]
    fn missing_and_wrong_container_types() {
        assert_eq!(
            errors(&json!({}), &FRAME),
            vec![("missing".to_owned(), r#"["chat","payload"]"#.to_owned())]
        );
        assert_eq!(
            errors(&json!({"payload": [1]}), &FRAME),
            vec![("model_type".to_owned(), r#"["chat","payload"]"#.to_owned())]
        );
    }

    #[test]
    fn paths_deeper_than_the_inline_part_keep_every_segment() {
        let mut path = Path::new();
        for i in 0..12 {
            path.push(Seg::Index(i));
        }
        let seen: Vec<usize> = path
            .iter()
            .map(|s| match s {
                Seg::Index(i) => *i,
                Seg::Key(_) => usize::MAX,
            })
            .collect();
        assert_eq!(seen, (0..12).collect::<Vec<_>>());
        for _ in 0..5 {
            path.pop();
        }
        assert_eq!(path.iter().count(), 7);
        path.push(Seg::Key("k"));
        assert!(matches!(path.iter().last(), Some(Seg::Key("k"))));
    }

    #[test]
    fn typed_check_reports_constraints() {
        let mut cx = Cx::new(Some("chat"));
        let text = "toolong".to_owned();
        cx.field(&PAYLOAD_FIELDS[0], &text);
        let seq: Option<i64> = Some(3);
        cx.field(&PAYLOAD_FIELDS[1], &seq);
        let errs = cx.into_errors();
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].kind, "string_too_long");
        assert_eq!(errs[0].msg, "String should have at most 5 characters");
    }

    static UNION: Schema = Schema::Union(&Union {
        name: "U",
        discriminator: None,
        variants: &[
            Variant { name: "Int", tag: None, schema: Schema::Int(NumRules::NONE) },
            Variant { name: "Str", tag: None, schema: Schema::Str(StrRules::NONE) },
        ],
    });

    #[test]
    fn untagged_union_reports_each_variant() {
        assert!(errors(&json!(1), &UNION).is_empty());
        assert!(errors(&json!("a"), &UNION).is_empty());
        assert_eq!(
            errors(&json!(true), &UNION),
            vec![
                ("int_type".to_owned(), r#"["chat","Int"]"#.to_owned()),
                ("string_type".to_owned(), r#"["chat","Str"]"#.to_owned()),
            ]
        );
    }

    static TAGGED: Schema = Schema::Union(&Union {
        name: "T",
        discriminator: Some("kind"),
        variants: &[Variant {
            name: "A",
            tag: Some("a"),
            schema: Schema::Object(&Object {
                name: "A",
                fields: &[Field { wire: "x", schema: Schema::Bool, required: true }],
                additional: Additional::Forbid,
            }),
        }],
    });

    #[test]
    fn tagged_union_uses_the_tag_and_never_calls_it_extra() {
        assert!(errors(&json!({"kind": "a", "x": true}), &TAGGED).is_empty());
        assert_eq!(
            errors(&json!({"kind": "b"}), &TAGGED),
            vec![("union_tag_invalid".to_owned(), r#"["chat"]"#.to_owned())]
        );
        assert_eq!(
            errors(&json!({"x": 1}), &TAGGED),
            vec![("union_tag_not_found".to_owned(), r#"["chat"]"#.to_owned())]
        );
        assert_eq!(
            errors(&json!({"kind": "a", "x": 1}), &TAGGED),
            vec![("bool_type".to_owned(), r#"["chat","a","x"]"#.to_owned())]
        );
    }

    #[test]
    fn integers_out_of_range_and_fractional() {
        static INT: Schema = Schema::Int(NumRules::NONE);
        assert_eq!(errors(&json!(1.5), &INT)[0].0, "int_from_float");
        assert_eq!(errors(&json!(u64::MAX), &INT)[0].0, "int_parsing_size");
        assert_eq!(errors(&json!("1"), &INT)[0].0, "int_type");
    }
}

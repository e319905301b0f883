//! JSON Schema → [`Schema`] / [`TypeDef`]: which schemas become named types, what they are
//! called, and which references must be boxed. Reads the parsed [`Spec`]; knows nothing about
//! channels or messages.
//!
//! Rules (deterministic, documented here once):
//! - A schema gets a named type when it sits at a component location (`components/schemas/X`,
//!   `definitions/X`, `$defs/X`, a top-level key of a referenced file, or the root of a
//!   referenced file) or when its shape needs one (an object with `properties`, a string/integer
//!   `enum`, a union, an `allOf`).
//! - Its name comes from where it is written: the component key, else the parent's name plus the
//!   path (`NewMessagePayload` + `priority` → `NewMessagePayloadPriority`; a message's inline
//!   payload → `<MessageKey>Payload`). The root of a referenced file is named after the
//!   component key that refers to it, else its `title`, else its file name (`run-event.json` →
//!   `RunEvent`), and paths inside that file start from that name. Each type has a short and a
//!   long (channel-, parent- or file-qualified) form. Component names are taken first: a name
//!   one component wants is its own; of several that want one name, those whose long form is
//!   no different keep it and the others use their long form (`$defs/Meta` of two files →
//!   `RunEventMeta`, `StepEventMeta`); other types use the short form when nobody else wants it,
//!   otherwise every contender uses its long form. A clash that remains is an error naming both
//!   origins and what to change, in the document's terms (component key, `title`, file name).
//! - A scalar `const` property gets a constant type named `<Type><Property>` after every other
//!   name is decided (`Const` appended when taken): [`Field::constant`].
//! - Union variants are named after their type (minus the union's name as prefix) or their kind;
//!   enum variants after their value. Duplicates in one enum get their 1-based position appended.
//! - Recursion: a depth-first walk over direct references (struct fields, `Option`, unions,
//!   tuples, aliases; not `Vec` or maps, which are already indirect) boxes every back edge.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};

use serde_json::{Map, Value};

use super::lint::{self, Severity};
use super::{
    Additional, ArrayRules, Diagnostic, EnumValue, Field, NumberRules, Schema, StringRules, Struct, TypeDef,
    TypeId, TypeKind, Union, UnionVariant,
};
use crate::names;
use crate::parse::{NodeRef, Spec};

/// Nesting of anonymous schemas (and `allOf`/`anyOf` redirections) followed before giving up.
pub const MAX_DEPTH: usize = 32;

/// Keywords that hold subschemas: a referenced file whose path starts with one of them is a
/// schema itself (not a file of named schemas).
const SCHEMA_KEYWORDS: &[&str] = &[
    "properties",
    "patternProperties",
    "additionalProperties",
    "items",
    "prefixItems",
    "allOf",
    "anyOf",
    "oneOf",
    "not",
    "$defs",
    "definitions",
    "then",
    "else",
    "if",
    "contains",
];

/// Properties that commonly tell messages or union variants apart, in order of preference.
pub const TAG_PREFERENCE: &[&str] =
    &["action", "type", "event", "cmd", "op", "kind", "method", "Type", "messageType", "message_type"];

struct Pending {
    node: NodeRef,
    short: String,
    long: String,
    component: bool,
    /// What the name comes from, in the user's terms (for collision messages).
    origin: NameOrigin,
    def: Option<TypeDef>,
}

/// What a type's name is taken from: what to change to rename it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum NameOrigin {
    /// A key under `components/schemas` of the root document.
    ComponentKey(String),
    /// A top-level key of a referenced file, or a `$defs` / `definitions` key.
    Key(String),
    /// The root of a referenced file, named by the component key that refers to it.
    FileComponent(String, String),
    /// The root of a referenced file, named by its `title`.
    FileTitle(String, String),
    /// The root of a referenced file, named by the file name.
    FileStem(String),
    /// The path to an inline schema.
    Path,
}

fn show(text: &str) -> String {
    crate::escape::show_hidden(text)
}

impl NameOrigin {
    /// What the user changes to rename the type.
    fn rename_hint(&self) -> String {
        match self {
            NameOrigin::ComponentKey(k) => format!("the component key `{}`", show(k)),
            NameOrigin::Key(k) => format!("the key `{}`", show(k)),
            NameOrigin::FileComponent(k, file) => {
                format!("the component key `{}` (which refers to `{}`)", show(k), show(file))
            }
            NameOrigin::FileTitle(t, file) => format!("the `title` \"{}\" of `{}`", show(t), show(file)),
            NameOrigin::FileStem(file) => format!("the file name `{}` (or give it a `title`)", show(file)),
            NameOrigin::Path => "the property or key the name is derived from".to_owned(),
        }
    }
}

/// The type space of one document being built.
pub struct Types<'a> {
    spec: &'a Spec,
    pending: Vec<Pending>,
    by_node: HashMap<NodeRef, TypeId>,
    queue: VecDeque<TypeId>,
    /// Errors found so far.
    pub errors: Vec<Diagnostic>,
    /// Warnings found so far.
    pub warnings: Vec<Diagnostic>,
    warned: HashSet<(NodeRef, &'static str)>,
    /// Referenced file → the component key that refers to its root (the first one met).
    file_keys: HashMap<usize, String>,
    /// Referenced file → the name its root schema (and everything in it) is named after,
    /// decided once on first use.
    file_names: HashMap<usize, (String, NameOrigin)>,
}

fn type_keyword(v: &Map<String, Value>) -> Vec<String> {
    match v.get("type") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
        _ => Vec::new(),
    }
}

/// A string constant: `const: "x"` or `enum: ["x"]`.
pub fn const_string(v: &Value) -> Option<String> {
    if let Some(Value::String(s)) = v.get("const") {
        return Some(s.clone());
    }
    match v.get("enum").and_then(Value::as_array).map(Vec::as_slice) {
        Some([Value::String(s)]) => Some(s.clone()),
        _ => None,
    }
}

impl<'a> Types<'a> {
    /// An empty type space.
    pub fn new(spec: &'a Spec) -> Self {
        Self {
            spec,
            pending: Vec::new(),
            by_node: HashMap::new(),
            queue: VecDeque::new(),
            errors: Vec::new(),
            warnings: Vec::new(),
            warned: HashSet::new(),
            file_keys: HashMap::new(),
            file_names: HashMap::new(),
        }
    }

    fn error(&mut self, node: &NodeRef, message: String) {
        let location = self.spec.location(node);
        self.errors.push(Diagnostic { location, message });
    }

    fn warn(&mut self, node: &NodeRef, key: &'static str, message: String) {
        if self.warned.insert((node.clone(), key)) {
            let location = self.spec.location(node);
            self.warnings.push(Diagnostic { location, message });
        }
    }

    /// Follows `$ref`s; reports and returns `None` on failure.
    fn resolve(&mut self, node: &NodeRef) -> Option<(NodeRef, &'a Value)> {
        match self.spec.resolve(node) {
            Ok(r) => Some(r),
            Err(e) => {
                self.error(node, e.to_string());
                None
            }
        }
    }

    /// Records that the component `key` refers to `target`: when `target` is the root of a
    /// referenced file, that file's schemas are named after `key` (the first key wins).
    pub fn file_component(&mut self, key: &str, target: &NodeRef) {
        if target.doc != 0 && target.segments().is_empty() && !self.file_names.contains_key(&target.doc) {
            self.file_keys.entry(target.doc).or_insert_with(|| key.to_owned());
        }
    }

    /// The name a referenced file's root schema takes (its component key, else its `title`,
    /// else its file name without extension), and where it comes from.
    fn file_name(&mut self, doc: usize) -> (String, NameOrigin) {
        if let Some(found) = self.file_names.get(&doc) {
            return found.clone();
        }
        let file = self.spec.docs.get(doc).map(|d| d.name.clone()).unwrap_or_default();
        let title = self
            .spec
            .value(&NodeRef::root(doc))
            .and_then(|v| v.get("title"))
            .and_then(Value::as_str)
            .filter(|t| !names::pascal_or(t, "").is_empty())
            .map(str::to_owned);
        let found = if let Some(key) = self.file_keys.get(&doc) {
            (names::pascal(key), NameOrigin::FileComponent(key.clone(), file))
        } else if let Some(t) = title {
            (names::pascal(&t), NameOrigin::FileTitle(t, file))
        } else {
            (self.file_stem(doc), NameOrigin::FileStem(file))
        };
        self.file_names.insert(doc, found.clone());
        found
    }

    /// The PascalCase file name of a document without its extensions (`run-event.schema.json`
    /// → `RunEvent`).
    fn file_stem(&self, doc: usize) -> String {
        let file = self.spec.docs.get(doc).map(|d| d.name.as_str()).unwrap_or_default();
        let base = file.rsplit(['/', '\\']).next().unwrap_or(file);
        let stem = base.split('.').next().unwrap_or(base);
        let stem = stem.strip_suffix("-schema").or_else(|| stem.strip_suffix("_schema")).unwrap_or(stem);
        names::pascal_or(stem, "Schema")
    }

    /// True when the node is at a place that names a schema.
    fn is_component(&self, node: &NodeRef) -> bool {
        let s = node.segments();
        match s.as_slice() {
            [c, k, _] if c == "components" && k == "schemas" => true,
            [] | [_] => node.doc != 0,
            [.., d, _] if d == "definitions" || d == "$defs" => true,
            _ => false,
        }
    }

    /// The named type for the schema at `node` (already resolved), queued for conversion.
    pub fn named(&mut self, node: &NodeRef) -> TypeId {
        if let Some(id) = self.by_node.get(node) {
            return *id;
        }
        let (short, long) = self.candidates(node);
        let id = self.pending.len();
        let component = self.is_component(node);
        let origin = self.name_origin(node);
        self.pending.push(Pending { node: node.clone(), short, long, component, origin, def: None });
        self.by_node.insert(node.clone(), id);
        self.queue.push_back(id);
        id
    }

    /// What the name of the type at `node` is taken from.
    fn name_origin(&mut self, node: &NodeRef) -> NameOrigin {
        let segs = node.segments();
        match segs.as_slice() {
            [] if node.doc != 0 => self.file_name(node.doc).1,
            [c, k, key] if c == "components" && k == "schemas" && node.doc == 0 => {
                NameOrigin::ComponentKey(key.clone())
            }
            [key] if node.doc != 0 => NameOrigin::Key(key.clone()),
            [.., d, key] if d == "definitions" || d == "$defs" => NameOrigin::Key(key.clone()),
            _ => NameOrigin::Path,
        }
    }

    /// Short and long name candidates from the node's path. Inside a referenced file whose
    /// root is a schema, the path starts from the file's name (see [`Self::file_name`]); its
    /// `$defs` take that name as their long (file-qualified) form.
    fn candidates(&mut self, node: &NodeRef) -> (String, String) {
        let segs = node.segments();
        // A 2.x inline message is named as at `channels/<channel>/messages/<message>` in 3.0.
        let v2 = self.spec.v2_message_place(node);
        let in_file_schema =
            node.doc != 0 && segs.first().is_none_or(|s| SCHEMA_KEYWORDS.contains(&s.as_str()));
        let base = if in_file_schema { vec![self.file_name(node.doc).0] } else { Vec::new() };
        let mut short: Vec<String> = base.clone();
        let mut long: Vec<String> = base;
        let mut cur = self.spec.value(&NodeRef::root(node.doc));
        let mut i = 0;
        let at = |i: usize| segs.get(i).map(String::as_str);
        while i < segs.len() {
            let seg = segs[i].as_str();
            let mut step = 1;
            let mut push: Option<String> = None;
            let top = i == 0 && !in_file_schema;
            match (top, seg) {
                (true, "components") if at(2).is_some() => {
                    short = vec![segs[2].clone()];
                    long = short.clone();
                    step = 3;
                }
                (true, "channels") if v2.is_some() => {
                    if let Some((channel, message, n)) = &v2 {
                        short = vec![message.clone()];
                        long = vec![channel.clone(), message.clone()];
                        step = *n;
                    }
                }
                (true, "channels") if at(2) == Some("messages") && at(3).is_some() => {
                    short = vec![segs[3].clone()];
                    long = vec![segs[1].clone(), segs[3].clone()];
                    step = 4;
                }
                (true, "channels" | "operations") if at(1).is_some() => {
                    short = vec![segs[1].clone()];
                    long = short.clone();
                    step = 2;
                }
                (true, _) => {
                    short = vec![seg.to_owned()];
                    long = short.clone();
                    if node.doc != 0 {
                        long.insert(0, self.file_stem(node.doc));
                    }
                }
                (_, "definitions" | "$defs") if at(i + 1).is_some() => {
                    short = vec![segs[i + 1].clone()];
                    long.push(segs[i + 1].clone());
                    step = 2;
                }
                (_, "properties") if at(i + 1).is_some() => {
                    push = Some(segs[i + 1].clone());
                    step = 2;
                }
                (_, "patternProperties") => {
                    push = Some("Value".into());
                    step = 2;
                }
                (_, "additionalProperties") => push = Some("Value".into()),
                (_, "items" | "prefixItems") => match at(i + 1).and_then(|s| s.parse::<usize>().ok()) {
                    Some(n) => {
                        push = Some(format!("Item{}", n + 1));
                        step = 2;
                    }
                    None => push = Some("Item".into()),
                },
                (_, "allOf") => step = 2,
                (_, "oneOf" | "anyOf") => {
                    let branch = at(i + 1).and_then(|n| cur.and_then(|c| c.get(seg)).and_then(|l| l.get(n)));
                    let n = at(i + 1).and_then(|s| s.parse::<usize>().ok()).unwrap_or(0);
                    let label = branch.and_then(|b| {
                        b.get("title").and_then(Value::as_str).map(str::to_owned).or_else(|| {
                            let props = b.get("properties")?.as_object()?;
                            TAG_PREFERENCE
                                .iter()
                                .find_map(|p| props.get(*p).and_then(const_string))
                                .or_else(|| props.values().find_map(const_string))
                        })
                    });
                    push = Some(label.unwrap_or_else(|| format!("Variant{}", n + 1)));
                    step = 2;
                }
                (_, "schema") => {}
                (_, "payload") => push = Some("Payload".into()),
                (_, "headers") => push = Some("Headers".into()),
                (_, other) => push = Some(other.to_owned()),
            }
            for s in &segs[i..(i + step).min(segs.len())] {
                cur = cur.and_then(|c| match c {
                    Value::Object(m) => m.get(s),
                    Value::Array(a) => s.parse::<usize>().ok().and_then(|n| a.get(n)),
                    _ => None,
                });
            }
            if let Some(p) = push {
                short.push(p.clone());
                long.push(p);
            }
            i += step;
        }
        let join = |parts: &[String]| {
            names::pascal(&parts.iter().map(|p| names::pascal(p)).collect::<Vec<_>>().join(" "))
        };
        (join(&short), join(&long))
    }

    /// The schema expression for the (possibly `$ref`) node.
    pub fn schema(&mut self, node: &NodeRef, depth: usize) -> Schema {
        if depth > MAX_DEPTH {
            self.error(node, format!("schema nested deeper than {MAX_DEPTH} levels"));
            return Schema::Any;
        }
        let Some((target, value)) = self.resolve(node) else { return Schema::Any };
        if target != *node
            && self.is_component(node)
            && let Some(key) = node.segments().last()
        {
            self.file_component(key, &target);
        }
        let Some(map) = value.as_object() else {
            return match value {
                Value::Bool(true) => Schema::Any,
                Value::Bool(false) => {
                    self.warn(
                        &target,
                        "false",
                        "schema `false` accepts nothing: carried as any JSON value".into(),
                    );
                    Schema::Any
                }
                other => {
                    // The kind only: the value may come from any file a `$ref` reaches.
                    let found = match other {
                        Value::String(_) => "a string",
                        Value::Number(_) => "a number",
                        Value::Array(_) => "a list",
                        _ => "null",
                    };
                    self.error(&target, format!("expected a schema (a mapping or a boolean), found {found}"));
                    Schema::Any
                }
            };
        };
        if map.contains_key("not") {
            self.warn(&target, "not", "`not` is ignored: values are not checked against it".into());
        }
        for finding in lint::schema(map) {
            let at = target.child(finding.keyword);
            match finding.severity {
                Severity::Error => self.error(&at, finding.message),
                Severity::Warning => self.warn(&at, finding.keyword, finding.message),
            }
        }
        let core = self.core(&target, map);
        let inner = match &core.redirect {
            Some(branch) => self.schema(branch, depth + 1),
            None if self.is_component(&target) || needs_type(&core.map) => {
                Schema::Named { id: self.named(&target), boxed: false }
            }
            None => self.anonymous(&target, &core.map, depth),
        };
        if core.nullable && inner != Schema::Null { Schema::Nullable(Box::new(inner)) } else { inner }
    }

    /// Separates nullability from the rest of a schema.
    fn core(&mut self, node: &NodeRef, map: &Map<String, Value>) -> Core {
        let mut m = map.clone();
        let mut nullable = false;
        if m.get("nullable") == Some(&Value::Bool(true)) {
            nullable = true;
            m.remove("nullable");
        }
        if let Some(Value::Array(types)) = m.get("type") {
            let rest: Vec<Value> = types.iter().filter(|t| t.as_str() != Some("null")).cloned().collect();
            if rest.len() < types.len() && !rest.is_empty() {
                nullable = true;
                m.insert("type".into(), if rest.len() == 1 { rest[0].clone() } else { Value::Array(rest) });
            }
        }
        if let Some(Value::Array(values)) = m.get("enum") {
            let rest: Vec<Value> = values.iter().filter(|v| !v.is_null()).cloned().collect();
            if rest.len() < values.len() && !rest.is_empty() {
                nullable = true;
                m.insert("enum".into(), Value::Array(rest));
            }
        }
        let mut redirect = None;
        for key in ["anyOf", "oneOf"] {
            let Some(Value::Array(branches)) = m.get(key) else { continue };
            let mut keep = Vec::new();
            let mut kept_nodes = Vec::new();
            for (i, b) in branches.iter().enumerate() {
                let bn = node.child(key).child(&i.to_string());
                let is_null = match self.spec.resolve(&bn) {
                    Ok((_, v)) => is_null_schema(v),
                    Err(_) => false,
                };
                if is_null {
                    nullable = true;
                } else {
                    keep.push(b.clone());
                    kept_nodes.push(bn);
                }
            }
            if keep.len() < branches.len() {
                let structural = ["properties", "type", "allOf", "enum", "const", "items"]
                    .iter()
                    .any(|k| m.contains_key(*k));
                if keep.len() == 1 && !structural {
                    redirect = kept_nodes.pop();
                }
                // Keep the original list positions for naming: null branches are skipped later.
            }
        }
        Core { map: m, nullable, redirect }
    }

    /// A schema expression that needs no name.
    fn anonymous(&mut self, node: &NodeRef, m: &Map<String, Value>, depth: usize) -> Schema {
        if let Some(c) = m.get("const") {
            return match c {
                Value::Null => Schema::Null,
                Value::Object(_) => {
                    self.warn(node, "const", "an object `const` is carried as any JSON value".into());
                    Schema::Any
                }
                other => Schema::Const(other.clone()),
            };
        }
        if let Some(Value::Array(values)) = m.get("enum") {
            match values.as_slice() {
                [one] => return Schema::Const(one.clone()),
                vs if vs.iter().all(Value::is_boolean) => return Schema::Bool,
                [] => {}
                _ => {
                    self.warn(
                        node,
                        "enum",
                        "an `enum` of mixed or non-integer values is carried as any JSON value".into(),
                    );
                    return Schema::Any;
                }
            }
        }
        let types = type_keyword(m);
        let t = match types.as_slice() {
            [t] => t.as_str(),
            [] => infer_type(m),
            _ => "",
        };
        match t {
            "null" => Schema::Null,
            "boolean" => Schema::Bool,
            "integer" => Schema::Integer(self.number_rules(m)),
            "number" => Schema::Number(self.number_rules(m)),
            "string" => Schema::String(self.string_rules(node, m)),
            "array" => self.array(node, m, depth),
            "object" => self.map(node, m, depth),
            _ => Schema::Any,
        }
    }

    fn number_rules(&self, m: &Map<String, Value>) -> NumberRules {
        let num = |k: &str| m.get(k).and_then(Value::as_f64);
        let mut r = NumberRules {
            format: m.get("format").and_then(Value::as_str).map(str::to_owned),
            minimum: num("minimum"),
            maximum: num("maximum"),
            exclusive_minimum: num("exclusiveMinimum"),
            exclusive_maximum: num("exclusiveMaximum"),
            multiple_of: num("multipleOf"),
        };
        // draft-04 style boolean exclusives.
        if m.get("exclusiveMinimum") == Some(&Value::Bool(true)) {
            r.exclusive_minimum = r.minimum.take();
        }
        if m.get("exclusiveMaximum") == Some(&Value::Bool(true)) {
            r.exclusive_maximum = r.maximum.take();
        }
        r
    }

    fn string_rules(&mut self, node: &NodeRef, m: &Map<String, Value>) -> StringRules {
        let pattern = m.get("pattern").and_then(Value::as_str).map(str::to_owned);
        if let Some(p) = &pattern {
            if let Err(e) = crate::pattern::to_rust(p) {
                self.error(&node.child("pattern"), pattern_error(p, &e));
            }
        }
        StringRules {
            format: m.get("format").and_then(Value::as_str).map(str::to_owned),
            min_length: m.get("minLength").and_then(Value::as_u64),
            max_length: m.get("maxLength").and_then(Value::as_u64),
            pattern,
        }
    }

    fn array_rules(m: &Map<String, Value>) -> ArrayRules {
        ArrayRules {
            min_items: m.get("minItems").and_then(Value::as_u64),
            max_items: m.get("maxItems").and_then(Value::as_u64),
            unique_items: m.get("uniqueItems").and_then(Value::as_bool).unwrap_or(false),
        }
    }

    fn array(&mut self, node: &NodeRef, m: &Map<String, Value>, depth: usize) -> Schema {
        let rules = Self::array_rules(m);
        let tuple_key = if matches!(m.get("prefixItems"), Some(Value::Array(_))) {
            Some("prefixItems")
        } else if matches!(m.get("items"), Some(Value::Array(_))) {
            Some("items")
        } else {
            None
        };
        if let Some(k) = tuple_key {
            let n = m.get(k).and_then(Value::as_array).map_or(0, Vec::len);
            let items =
                (0..n).map(|i| self.schema(&node.child(k).child(&i.to_string()), depth + 1)).collect();
            return Schema::Tuple { items, rules };
        }
        let items = match m.get("items") {
            Some(_) => self.schema(&node.child("items"), depth + 1),
            None => Schema::Any,
        };
        Schema::Array { items: Box::new(items), rules }
    }

    /// An object without properties: a map.
    fn map(&mut self, node: &NodeRef, m: &Map<String, Value>, depth: usize) -> Schema {
        if let Some(Value::Object(pp)) = m.get("patternProperties") {
            if let Some((values, pattern)) = self.pattern_map(node, pp, depth) {
                return Schema::Map { values: Box::new(values), key_pattern: Some(pattern) };
            }
        }
        let values = match m.get("additionalProperties") {
            Some(Value::Object(_)) => self.schema(&node.child("additionalProperties"), depth + 1),
            _ => Schema::Any,
        };
        Schema::Map { values: Box::new(values), key_pattern: None }
    }

    /// `patternProperties`: one value schema (the first one's if all are equal, else any) and
    /// one key pattern (several are joined with `|`).
    fn pattern_map(
        &mut self,
        node: &NodeRef,
        pp: &Map<String, Value>,
        depth: usize,
    ) -> Option<(Schema, String)> {
        let mut schemas = Vec::new();
        let mut patterns = Vec::new();
        for k in pp.keys() {
            if let Err(e) = crate::pattern::to_rust(k) {
                self.error(&node.child("patternProperties").child(k), pattern_error(k, &e));
            }
            schemas.push(self.schema(&node.child("patternProperties").child(k), depth + 1));
            patterns.push(k.clone());
        }
        let first = schemas.first()?.clone();
        let values = if schemas.iter().all(|s| *s == first) { first } else { Schema::Any };
        let pattern = if patterns.len() == 1 {
            patterns.remove(0)
        } else {
            patterns.iter().map(|p| format!("(?:{p})")).collect::<Vec<_>>().join("|")
        };
        Some((values, pattern))
    }

    /// Converts every queued named type (including those discovered on the way).
    pub fn run(&mut self) {
        while let Some(id) = self.queue.pop_front() {
            let node = self.pending[id].node.clone();
            let value = self.spec.value(&node).cloned().unwrap_or(Value::Bool(true));
            let map = value.as_object().cloned().unwrap_or_default();
            let kind = self.body(&node, &map);
            let text = |k: &str| map.get(k).and_then(Value::as_str).map(str::to_owned);
            let examples = map.get("examples").and_then(Value::as_array).cloned().unwrap_or_default();
            self.pending[id].def = Some(TypeDef {
                name: String::new(),
                origin: self.spec.location(&node),
                title: text("title"),
                description: text("description"),
                deprecated: map.get("deprecated").and_then(Value::as_bool).unwrap_or(false),
                examples,
                kind,
            });
        }
    }

    /// The shape of a named type (nullability is applied where it is used).
    fn body(&mut self, node: &NodeRef, map: &Map<String, Value>) -> TypeKind {
        let core = self.core(node, map);
        if let Some(branch) = &core.redirect {
            let s = self.schema(branch, 1);
            return TypeKind::Alias(s);
        }
        let m = &core.map;
        if m.contains_key("allOf") || m.contains_key("properties") || is_closed_object(m) {
            if let Some(s) = self.structure(node, m) {
                return TypeKind::Struct(s);
            }
        }
        if m.contains_key("allOf") {
            // No object part: the parts are merged into one schema, later keywords winning.
            let mut parts = Vec::new();
            self.flatten_all_of(node, m, 0, &mut parts, &mut HashSet::new());
            let mut merged = Map::new();
            for (_, pm) in parts {
                merged.extend(pm);
            }
            return TypeKind::Alias(self.anonymous(node, &merged, 1));
        }
        if let Some(Value::Array(values)) = m.get("enum") {
            if values.len() > 1 && values.iter().all(Value::is_string) {
                let wires: Vec<String> = values.iter().filter_map(Value::as_str).map(str::to_owned).collect();
                return TypeKind::StringEnum(enum_values(&wires));
            }
            if values.len() > 1 && values.iter().all(|v| v.as_i64().is_some()) {
                return TypeKind::IntEnum(values.iter().filter_map(Value::as_i64).collect());
            }
        }
        for key in ["oneOf", "anyOf"] {
            if let Some(Value::Array(branches)) = m.get(key) {
                if !branches.is_empty() && !m.contains_key("properties") {
                    return TypeKind::Union(self.union(node, m, key, branches.len()));
                }
            }
        }
        let types = type_keyword(m);
        if types.len() > 1 {
            let variants = types
                .iter()
                .map(|t| {
                    let mut single = m.clone();
                    single.insert("type".into(), Value::String(t.clone()));
                    UnionVariant {
                        name: String::new(),
                        tag_value: None,
                        schema: self.anonymous(node, &single, 1),
                    }
                })
                .collect();
            return TypeKind::Union(Union { exclusive: true, discriminator: None, variants });
        }
        TypeKind::Alias(self.anonymous(node, m, 1))
    }

    fn union(&mut self, node: &NodeRef, m: &Map<String, Value>, key: &str, n: usize) -> Union {
        let mut branches = Vec::new();
        for i in 0..n {
            let bn = node.child(key).child(&i.to_string());
            if let Ok((_, v)) = self.spec.resolve(&bn) {
                if is_null_schema(v) {
                    continue;
                }
            }
            branches.push(bn);
        }
        let declared = match m.get("discriminator") {
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Object(o)) => o.get("propertyName").and_then(Value::as_str).map(str::to_owned),
            _ => None,
        };
        let values_for = |this: &mut Self, prop: &str| -> Vec<Option<String>> {
            branches.iter().map(|b| this.tag_of(b, prop)).collect()
        };
        let discriminator = match declared {
            Some(d) => Some(d),
            None => {
                let mut found = None;
                let candidates = self.common_const_props(&branches);
                for p in candidates {
                    let vals = values_for(self, &p);
                    let set: HashSet<&Option<String>> = vals.iter().collect();
                    if set.len() == vals.len() {
                        found = Some(p);
                        break;
                    }
                }
                found
            }
        };
        let tags = match &discriminator {
            Some(d) => values_for(self, d),
            None => vec![None; branches.len()],
        };
        let variants = branches
            .iter()
            .zip(tags)
            .map(|(b, tag_value)| UnionVariant { name: String::new(), tag_value, schema: self.schema(b, 1) })
            .collect();
        Union { exclusive: key == "oneOf", discriminator, variants }
    }

    /// Properties with a string constant in every one of `nodes`, in preference order then
    /// alphabetical.
    pub fn common_const_props(&mut self, nodes: &[NodeRef]) -> Vec<String> {
        let mut common: Option<BTreeMap<String, ()>> = None;
        for n in nodes {
            let props = self.const_props(n);
            common = Some(match common {
                None => props.into_keys().map(|k| (k, ())).collect(),
                Some(c) => c.into_iter().filter(|(k, _)| props.contains_key(k)).collect(),
            });
        }
        let set: Vec<String> = common.unwrap_or_default().into_keys().collect();
        let mut out: Vec<String> =
            TAG_PREFERENCE.iter().filter(|p| set.iter().any(|s| s == *p)).map(|p| (*p).to_owned()).collect();
        out.extend(set.into_iter().filter(|s| !TAG_PREFERENCE.contains(&s.as_str())));
        out
    }

    /// Top-level properties of an object schema (through `$ref` and `allOf`), each with its node.
    fn properties(&mut self, node: &NodeRef, depth: usize, out: &mut Vec<(String, NodeRef)>) {
        if depth > MAX_DEPTH {
            return;
        }
        let Ok((n, v)) = self.spec.resolve(node) else { return };
        if let Some(Value::Array(parts)) = v.get("allOf") {
            for i in 0..parts.len() {
                self.properties(&n.child("allOf").child(&i.to_string()), depth + 1, out);
            }
        }
        if let Some(Value::Object(props)) = v.get("properties") {
            for k in props.keys() {
                out.push((k.clone(), n.child("properties").child(k)));
            }
        }
    }

    /// Properties whose schema is a string constant: name → value (for a union payload, the
    /// value shared by every branch).
    pub fn const_props(&mut self, node: &NodeRef) -> BTreeMap<String, String> {
        self.const_props_on_path(node, &mut HashSet::new())
    }

    /// [`Self::const_props`], following union branches; `path` holds the unions being expanded,
    /// so a branch that refers back to one of them (`U: {oneOf: [{$ref: U}, ...]}`) adds nothing
    /// instead of recursing forever.
    fn const_props_on_path(
        &mut self,
        node: &NodeRef,
        path: &mut HashSet<NodeRef>,
    ) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        let mut props = Vec::new();
        self.properties(node, 0, &mut props);
        for (k, pn) in props {
            if let Ok((_, pv)) = self.spec.resolve(&pn) {
                if let Some(c) = const_string(pv) {
                    out.insert(k, c);
                }
            }
        }
        if out.is_empty() {
            if let Ok((n, v)) = self.spec.resolve(node) {
                if path.len() > MAX_DEPTH || !path.insert(n.clone()) {
                    return out;
                }
                for key in ["oneOf", "anyOf"] {
                    let Some(Value::Array(branches)) = v.get(key) else { continue };
                    let nodes: Vec<NodeRef> = (0..branches.len())
                        .map(|i| n.child(key).child(&i.to_string()))
                        .filter(|b| !self.spec.resolve(b).is_ok_and(|(_, v)| is_null_schema(v)))
                        .collect();
                    let maps: Vec<BTreeMap<String, String>> =
                        nodes.iter().map(|b| self.const_props_on_path(b, path)).collect();
                    if let Some(first) = maps.first() {
                        for (k, val) in first {
                            if maps.iter().all(|m| m.get(k) == Some(val)) {
                                out.insert(k.clone(), val.clone());
                            }
                        }
                    }
                }
                path.remove(&n);
            }
        }
        out
    }

    /// The constant value of `prop` in the object schema at `node`.
    pub fn tag_of(&mut self, node: &NodeRef, prop: &str) -> Option<String> {
        self.const_props(node).remove(prop)
    }

    /// Properties that can tell messages apart: name → the string values the property may
    /// take. A string constant (through union branches, as [`Self::const_props`]) has one value;
    /// a property of the object itself (or its `allOf` parts) with a string `enum` has all of
    /// them, in their order, without repeats.
    pub fn tag_sets(&mut self, node: &NodeRef) -> BTreeMap<String, Vec<String>> {
        let mut out: BTreeMap<String, Vec<String>> =
            self.const_props(node).into_iter().map(|(k, v)| (k, vec![v])).collect();
        let mut props = Vec::new();
        self.properties(node, 0, &mut props);
        for (k, pn) in props {
            let Ok((_, pv)) = self.spec.resolve(&pn) else { continue };
            if out.contains_key(&k) || pv.get("const").is_some() {
                continue;
            }
            let Some(Value::Array(values)) = pv.get("enum") else { continue };
            if values.len() > 1 && values.iter().all(Value::is_string) {
                let wires: Vec<String> = values.iter().filter_map(Value::as_str).map(str::to_owned).collect();
                out.insert(k, dedupe_keep_order(wires));
            }
        }
        out
    }

    /// Properties in [`Self::tag_sets`] of every one of `nodes`, in preference order then
    /// alphabetical.
    pub fn common_tag_props(&mut self, nodes: &[NodeRef]) -> Vec<String> {
        let mut common: Option<Vec<String>> = None;
        for n in nodes {
            let props = self.tag_sets(n);
            common = Some(match common {
                None => props.into_keys().collect(),
                Some(c) => c.into_iter().filter(|k| props.contains_key(k)).collect(),
            });
        }
        let set = common.unwrap_or_default();
        let mut out: Vec<String> =
            TAG_PREFERENCE.iter().filter(|p| set.iter().any(|s| s == *p)).map(|p| (*p).to_owned()).collect();
        out.extend(set.into_iter().filter(|s| !TAG_PREFERENCE.contains(&s.as_str())));
        out
    }

    /// The values of the tag property `prop` in the message payload at `node` (see
    /// [`Self::tag_sets`]); `None` when it is not a string constant or string `enum` there.
    pub fn tag_values(&mut self, node: &NodeRef, prop: &str) -> Option<Vec<String>> {
        self.tag_sets(node).remove(prop)
    }

    /// An object (with `allOf` parts merged in order, then its own properties).
    fn structure(&mut self, node: &NodeRef, m: &Map<String, Value>) -> Option<Struct> {
        let mut parts: Vec<(NodeRef, Map<String, Value>)> = Vec::new();
        let mut seen = HashSet::new();
        self.flatten_all_of(node, m, 0, &mut parts, &mut seen);
        let mut fields: Vec<Field> = Vec::new();
        let mut required: HashSet<String> = HashSet::new();
        let mut additional = Additional::Ignore;
        let mut any_object = false;
        let mut non_object: Vec<NodeRef> = Vec::new();
        for (pn, pm) in &parts {
            if let Some(Value::Array(r)) = pm.get("required") {
                required.extend(r.iter().filter_map(Value::as_str).map(str::to_owned));
            }
            let objecty = pm.contains_key("properties")
                || pm.contains_key("additionalProperties")
                || pm.contains_key("patternProperties")
                || type_keyword(pm).iter().any(|t| t == "object");
            if !objecty {
                non_object.push(pn.clone());
                continue;
            }
            any_object = true;
            if let Some(Value::Object(props)) = pm.get("properties") {
                for k in props.keys() {
                    let fnode = pn.child("properties").child(k);
                    let schema = self.schema(&fnode, 1);
                    let pv = self.spec.resolve(&fnode).ok().map(|(_, v)| v.clone()).unwrap_or(Value::Null);
                    let text = |key: &str| pv.get(key).and_then(Value::as_str).map(str::to_owned);
                    let field = Field {
                        wire: k.clone(),
                        rust: String::new(),
                        schema,
                        required: false,
                        constant: None,
                        default: pv.get("default").cloned(),
                        description: text("description").or_else(|| text("title")),
                        deprecated: pv.get("deprecated").and_then(Value::as_bool).unwrap_or(false),
                    };
                    match fields.iter_mut().find(|f| f.wire == *k) {
                        Some(existing) => *existing = field,
                        None => fields.push(field),
                    }
                }
            }
            match pm.get("additionalProperties") {
                Some(Value::Bool(false)) => additional = Additional::Forbid,
                Some(Value::Bool(true)) => additional = Additional::Ignore,
                Some(Value::Object(_)) => {
                    additional = Additional::Map(Box::new(self.schema(&pn.child("additionalProperties"), 1)))
                }
                _ => {}
            }
            if let Some(Value::Object(pp)) = pm.get("patternProperties") {
                if let Some((values, _)) = self.pattern_map(pn, pp, 1) {
                    self.warn(pn, "patternProperties", "`patternProperties` beside `properties`: extra keys are kept in a map, their key pattern is not checked".into());
                    additional = Additional::Map(Box::new(values));
                }
            }
        }
        if !any_object {
            return None;
        }
        for pn in non_object {
            let substantive = self.spec.value(&pn).and_then(Value::as_object).is_some_and(|pm| {
                ["oneOf", "anyOf", "enum", "items", "const"].iter().any(|k| pm.contains_key(*k))
                    || type_keyword(pm).iter().any(|t| t != "object")
            });
            if substantive {
                self.warn(
                    &pn,
                    "allOf",
                    "this `allOf` part is not an object and is not merged into the struct".into(),
                );
            }
        }
        let mut scope = names::Scope::new();
        for f in &mut fields {
            f.required = required.contains(&f.wire);
            f.rust = names::snake_or(&f.wire, "field");
            let origin = self.spec.location(node);
            if let Err(c) = scope.claim(&f.rust, &origin, &format!("property `{}`", f.wire)) {
                let message = format!(
                    "properties `{}` and {} both become the field name `{}`: expected property names that differ after snake_case",
                    f.wire,
                    c.first.1.trim_start_matches("property "),
                    c.name
                );
                self.error(node, message);
            }
        }
        Some(Struct { fields, additional })
    }

    fn flatten_all_of(
        &mut self,
        node: &NodeRef,
        m: &Map<String, Value>,
        depth: usize,
        out: &mut Vec<(NodeRef, Map<String, Value>)>,
        seen: &mut HashSet<NodeRef>,
    ) {
        if depth > MAX_DEPTH || !seen.insert(node.clone()) {
            return;
        }
        if let Some(Value::Array(parts)) = m.get("allOf") {
            for i in 0..parts.len() {
                let pn = node.child("allOf").child(&i.to_string());
                let Some((rn, rv)) = self.resolve(&pn) else { continue };
                let Some(rm) = rv.as_object() else { continue };
                let core = self.core(&rn, rm);
                self.flatten_all_of(&rn, &core.map, depth + 1, out, seen);
            }
        }
        let mut own = m.clone();
        own.remove("allOf");
        out.push((node.clone(), own));
    }

    /// Gives `name` to type `id`, or reports who has it already (naming what to rename, in the
    /// document's terms) and gives `id` a placeholder.
    fn claim(
        &mut self,
        name: &str,
        id: usize,
        owner: &mut BTreeMap<String, usize>,
        final_names: &mut [Option<String>],
    ) {
        let Some(&first) = owner.get(name) else {
            owner.insert(name.to_owned(), id);
            final_names[id] = Some(name.to_owned());
            return;
        };
        let (pa, pb) = (&self.pending[first], &self.pending[id]);
        let a = self.spec.location(&pa.node);
        let b = self.spec.location(&pb.node);
        let advice = match (&pa.origin, &pb.origin) {
            (NameOrigin::ComponentKey(_), NameOrigin::ComponentKey(_)) => {
                "expected schema keys that differ after PascalCase".to_owned()
            }
            (NameOrigin::Path, NameOrigin::Path) => "rename one of them".to_owned(),
            (x, y) => format!("change {} or {}", x.rename_hint(), y.rename_hint()),
        };
        self.errors.push(Diagnostic {
            location: b.clone(),
            message: format!(
                "type name `{name}` is wanted by the schema at {a} and the schema at {b}: {advice}"
            ),
        });
        final_names[id] = Some(format!("{name}{id}"));
    }

    /// Decides every type name and the names of union and enum variants, boxes recursive
    /// references, and returns the types (indexed by [`TypeId`]).
    pub fn finish(&mut self) -> Vec<TypeDef> {
        let n = self.pending.len();
        let mut final_names: Vec<Option<String>> = vec![None; n];
        let mut owner: BTreeMap<String, usize> = BTreeMap::new();
        // Components first: a name wanted by one component is its own; components that want
        // one name keep it when it cannot be qualified (a root component key), the others use
        // their long (file- or parent-qualified) form.
        let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for id in (0..n).filter(|id| self.pending[*id].component) {
            groups.entry(self.pending[id].short.clone()).or_default().push(id);
        }
        let mut qualified = Vec::new();
        for (name, ids) in groups {
            if ids.len() == 1 {
                owner.insert(name.clone(), ids[0]);
                final_names[ids[0]] = Some(name);
                continue;
            }
            for id in ids {
                if self.pending[id].long == name {
                    self.claim(&name, id, &mut owner, &mut final_names);
                } else {
                    qualified.push(id);
                }
            }
        }
        for id in qualified {
            let name = self.pending[id].long.clone();
            self.claim(&name, id, &mut owner, &mut final_names);
        }
        let mut wanted: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (id, p) in self.pending.iter().enumerate() {
            if final_names[id].is_none() && !p.component {
                wanted.entry(p.short.clone()).or_default().push(id);
            }
        }
        let mut second: Vec<(String, usize)> = Vec::new();
        for (name, ids) in wanted {
            if ids.len() == 1 && !owner.contains_key(&name) {
                owner.insert(name.clone(), ids[0]);
                final_names[ids[0]] = Some(name);
            } else {
                second.extend(ids.into_iter().map(|id| (self.pending[id].long.clone(), id)));
            }
        }
        second.sort();
        for (name, id) in second {
            self.claim(&name, id, &mut owner, &mut final_names);
        }
        let mut types: Vec<TypeDef> = Vec::with_capacity(n);
        for (id, p) in self.pending.iter_mut().enumerate() {
            let mut def = p.def.take().unwrap_or_else(|| TypeDef {
                name: String::new(),
                origin: Default::default(),
                title: None,
                description: None,
                deprecated: false,
                examples: Vec::new(),
                kind: TypeKind::Alias(Schema::Any),
            });
            def.name = final_names[id].take().unwrap_or_default();
            types.push(def);
        }
        name_constants(&mut types, &mut owner);
        let names: Vec<String> = types.iter().map(|t| t.name.clone()).collect();
        for t in &mut types {
            if let TypeKind::Union(u) = &mut t.kind {
                let raw: Vec<String> =
                    u.variants.iter().map(|v| variant_label(&v.schema, &t.name, &names)).collect();
                for (v, name) in u.variants.iter_mut().zip(dedupe(raw)) {
                    v.name = name;
                }
            }
        }
        box_cycles(&mut types);
        types
    }
}

/// The value of a schema that is a single scalar constant (`const` or one-value `enum`, maybe
/// nullable): what a constant type can hold.
pub fn scalar_const(s: &Schema) -> Option<&Value> {
    match s {
        Schema::Const(v) => match v {
            Value::String(_) | Value::Bool(_) => Some(v),
            Value::Number(n) if n.as_i64().is_some() || n.as_f64().is_some_and(f64::is_finite) => Some(v),
            _ => None,
        },
        Schema::Nullable(inner) => scalar_const(inner),
        _ => None,
    }
}

/// Names the constant type of every scalar `const` property: `<Type><Property>`, after every
/// other type has its name (so a constant never takes a name from a type); a name already
/// taken gets `Const`, then a number, appended.
fn name_constants(types: &mut [TypeDef], owner: &mut BTreeMap<String, usize>) {
    for (id, t) in types.iter_mut().enumerate() {
        let type_name = t.name.clone();
        let TypeKind::Struct(s) = &mut t.kind else { continue };
        for f in &mut s.fields {
            if scalar_const(&f.schema).is_none() {
                continue;
            }
            let base = names::pascal(&format!("{type_name} {}", names::pascal_or(&f.wire, "Const")));
            let mut name = base.clone();
            let mut n = 1;
            while owner.contains_key(&name) {
                name = if n == 1 { format!("{base}Const") } else { format!("{base}Const{n}") };
                n += 1;
            }
            owner.insert(name.clone(), id);
            f.constant = Some(name);
        }
    }
}

struct Core {
    map: Map<String, Value>,
    nullable: bool,
    redirect: Option<NodeRef>,
}

fn is_null_schema(v: &Value) -> bool {
    v.get("type").and_then(Value::as_str) == Some("null")
        || v.get("const").is_some_and(Value::is_null)
        || v.get("enum").and_then(Value::as_array).is_some_and(|a| a.len() == 1 && a[0].is_null())
}

fn is_closed_object(m: &Map<String, Value>) -> bool {
    m.get("additionalProperties") == Some(&Value::Bool(false))
        && type_keyword(m).iter().any(|t| t == "object")
}

fn infer_type(m: &Map<String, Value>) -> &'static str {
    if m.contains_key("properties")
        || m.contains_key("additionalProperties")
        || m.contains_key("patternProperties")
    {
        "object"
    } else if m.contains_key("items") || m.contains_key("prefixItems") {
        "array"
    } else if ["minLength", "maxLength", "pattern"].iter().any(|k| m.contains_key(*k)) {
        "string"
    } else {
        ""
    }
}

/// True when the (non-null) schema needs a named type.
fn needs_type(m: &Map<String, Value>) -> bool {
    if m.contains_key("const") {
        return false;
    }
    if m.contains_key("allOf") || m.contains_key("properties") || is_closed_object(m) {
        return true;
    }
    if let Some(Value::Array(values)) = m.get("enum") {
        return values.len() > 1
            && (values.iter().all(Value::is_string) || values.iter().all(|v| v.as_i64().is_some()));
    }
    if ["oneOf", "anyOf"].iter().any(|k| m.get(*k).and_then(Value::as_array).is_some_and(|a| !a.is_empty())) {
        return true;
    }
    type_keyword(m).len() > 1
}

/// Enum values with unique PascalCase variant names (duplicates get their position appended).
fn enum_values(wires: &[String]) -> Vec<EnumValue> {
    let raw: Vec<String> =
        wires.iter().enumerate().map(|(i, w)| names::pascal_or(w, &format!("Value{}", i + 1))).collect();
    wires.iter().zip(dedupe(raw)).map(|(w, variant)| EnumValue { wire: w.clone(), variant }).collect()
}

/// Appends the 1-based position to every name that occurs more than once.
pub fn dedupe(raw: Vec<String>) -> Vec<String> {
    let mut count: HashMap<&str, usize> = HashMap::new();
    for r in &raw {
        *count.entry(r.as_str()).or_default() += 1;
    }
    let dup: HashSet<String> = count.into_iter().filter(|(_, c)| *c > 1).map(|(k, _)| k.to_owned()).collect();
    raw.into_iter()
        .enumerate()
        .map(|(i, r)| if dup.contains(&r) { format!("{r}{}", i + 1) } else { r })
        .collect()
}

fn variant_label(s: &Schema, union_name: &str, names: &[String]) -> String {
    match s {
        Schema::Named { id, .. } => {
            let n = names.get(*id).map(String::as_str).unwrap_or("Value");
            match n.strip_prefix(union_name) {
                Some(rest) if rest.starts_with(|c: char| c.is_ascii_uppercase()) => rest.to_owned(),
                _ => n.to_owned(),
            }
        }
        Schema::Any => "Any".into(),
        Schema::Null => "Null".into(),
        Schema::Bool => "Bool".into(),
        Schema::Integer(_) => "Integer".into(),
        Schema::Number(_) => "Number".into(),
        Schema::String(_) => "String".into(),
        Schema::Const(v) => names::pascal_or(&v.to_string(), "Const"),
        Schema::Array { .. } => "Array".into(),
        Schema::Tuple { .. } => "Tuple".into(),
        Schema::Map { .. } => "Map".into(),
        Schema::Nullable(inner) => variant_label(inner, union_name, names),
    }
}

/// Calls `f` on every direct (non-`Vec`, non-map) reference to a named type, in a fixed order.
fn direct_refs(kind: &mut TypeKind, f: &mut dyn FnMut(TypeId, &mut bool)) {
    fn walk(s: &mut Schema, f: &mut dyn FnMut(TypeId, &mut bool)) {
        match s {
            Schema::Named { id, boxed } => f(*id, boxed),
            Schema::Nullable(inner) => walk(inner, f),
            Schema::Tuple { items, .. } => items.iter_mut().for_each(|i| walk(i, f)),
            _ => {}
        }
    }
    match kind {
        TypeKind::Struct(s) => s.fields.iter_mut().for_each(|fl| walk(&mut fl.schema, f)),
        TypeKind::Union(u) => u.variants.iter_mut().for_each(|v| walk(&mut v.schema, f)),
        TypeKind::Alias(s) => walk(s, f),
        TypeKind::StringEnum(_) | TypeKind::IntEnum(_) => {}
    }
}

/// Boxes every back edge of a depth-first walk over direct references (iterative).
fn box_cycles(types: &mut [TypeDef]) {
    let n = types.len();
    let mut edges: Vec<Vec<TypeId>> = Vec::with_capacity(n);
    for t in types.iter_mut() {
        let mut out = Vec::new();
        direct_refs(&mut t.kind, &mut |id, _| out.push(id));
        edges.push(out);
    }
    // 0 = white, 1 = on the stack, 2 = done.
    let mut color = vec![0u8; n];
    let mut to_box: HashSet<(TypeId, usize)> = HashSet::new();
    for start in 0..n {
        if color[start] != 0 {
            continue;
        }
        let mut stack: Vec<(TypeId, usize)> = vec![(start, 0)];
        color[start] = 1;
        while let Some((node, next)) = stack.pop() {
            if let Some(&target) = edges[node].get(next) {
                stack.push((node, next + 1));
                if target >= n {
                    continue;
                }
                match color[target] {
                    0 => {
                        color[target] = 1;
                        stack.push((target, 0));
                    }
                    1 => {
                        to_box.insert((node, next));
                    }
                    _ => {}
                }
            } else {
                color[node] = 2;
            }
        }
    }
    for (id, t) in types.iter_mut().enumerate() {
        let mut i = 0;
        direct_refs(&mut t.kind, &mut |_, boxed| {
            if to_box.contains(&(id, i)) {
                *boxed = true;
            }
            i += 1;
        });
    }
}

/// The error for a pattern [`crate::pattern::to_rust`] refuses (the pattern quoted with its
/// control characters escaped, so it cannot forge lines).
fn pattern_error(pattern: &str, e: &crate::pattern::PatternError) -> String {
    let shown = crate::escape::show_hidden(pattern);
    format!(
        "pattern `{shown}` is not a valid regular expression ({e}): expected an ECMA-262 pattern that the Rust regex crate can also run"
    )
}

/// `values` without repeats, first occurrence kept.
fn dedupe_keep_order(values: Vec<String>) -> Vec<String> {
    let mut seen = HashSet::new();
    values.into_iter().filter(|v| seen.insert(v.clone())).collect()
}

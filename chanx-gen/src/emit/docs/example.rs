//! Example frames made from a message's schema when the spec gives none. A synthesized value
//! satisfies its schema: the spec's own schema example or property default when it meets the
//! schema, else `const` and enum values first, then strings that meet
//! `minLength`/`maxLength`, `format` and simple `pattern`s, numbers within the bounds and on the
//! `multipleOf` grid, arrays with `minItems` elements, every required property (optional ones
//! when they fit). Where no value is found (a pattern too complex to invert, contradictory
//! rules, a required recursion, a frame over the size budget), there is no example: the page
//! shows none rather than a wrong one.
//!
//! Each example has a fixed budget of output bytes and of work, so a spec whose types nest
//! deeply or widely still gets a page linear in its size.

use std::collections::HashMap;

use regex::Regex;
use regex_syntax::hir::{Class, Hir, HirKind};
use serde_json::{Map, Value, json};

use crate::ir::{Additional, ArrayRules, Ir, NumberRules, Schema, StringRules, Struct, TypeId, TypeKind};

/// Output budget of one example, in bytes of compact JSON.
pub(super) const MAX_BYTES: usize = 2048;
/// Work budget of one example, in schema nodes visited.
const MAX_STEPS: usize = 4096;
/// Longest string or array made.
const MAX_LEN: u64 = 256;
/// Most elements made for an array.
const MAX_ITEMS: u64 = 8;

/// Makes examples for the schemas of one document (compiled patterns are shared).
pub(super) struct Synth<'a> {
    ir: &'a Ir,
    patterns: HashMap<String, Option<(Regex, Hir)>>,
    room: usize,
    steps: usize,
    stack: Vec<TypeId>,
}

impl<'a> Synth<'a> {
    pub(super) fn new(ir: &'a Ir) -> Self {
        Self { ir, patterns: HashMap::new(), room: 0, steps: 0, stack: Vec::new() }
    }

    /// A value that satisfies `schema`, if one is found within the budget.
    pub(super) fn example(&mut self, schema: &Schema) -> Option<Value> {
        self.room = MAX_BYTES;
        self.steps = MAX_STEPS;
        self.stack.clear();
        self.value(schema)
    }

    fn spend(&mut self, bytes: usize) -> Option<()> {
        self.room = self.room.checked_sub(bytes)?;
        Some(())
    }

    /// A spec-given value, when it fits the budget.
    fn given(&mut self, v: &Value) -> Option<Value> {
        let size = size_within(v, self.room)?;
        self.spend(size)?;
        Some(v.clone())
    }

    fn value(&mut self, schema: &Schema) -> Option<Value> {
        self.steps = self.steps.checked_sub(1)?;
        let room = self.room;
        let v = self.value_of(schema);
        if v.is_none() {
            self.room = room;
        }
        v
    }

    fn value_of(&mut self, schema: &Schema) -> Option<Value> {
        match schema {
            Schema::Any => self.given(&json!({})),
            Schema::Null => self.given(&Value::Null),
            Schema::Bool => self.given(&json!(true)),
            Schema::Integer(r) => number(r, true).and_then(|v| self.given(&v)),
            Schema::Number(r) => number(r, false).and_then(|v| self.given(&v)),
            Schema::String(r) => {
                let s = self.string(r)?;
                self.given(&Value::String(s))
            }
            Schema::Const(v) => self.given(v),
            Schema::Array { items, rules } => self.array(items, rules),
            Schema::Tuple { items, rules } => {
                let n = items.len() as u64;
                if rules.min_items.is_some_and(|m| m > n) || rules.max_items.is_some_and(|m| m < n) {
                    return None;
                }
                self.spend(2)?;
                items.iter().map(|i| self.value(i)).collect::<Option<Vec<_>>>().map(Value::Array)
            }
            Schema::Map { values, key_pattern } => {
                self.spend(2)?;
                let key = match key_pattern {
                    Some(p) => self.matching(p, 1, MAX_LEN),
                    None => Some("key".to_owned()),
                };
                let mut map = Map::new();
                if let Some(key) = key
                    && self.spend(key.len() + 3).is_some()
                {
                    match self.value(values) {
                        Some(v) => {
                            map.insert(key, v);
                        }
                        None => self.room += key.len() + 3,
                    }
                }
                Some(Value::Object(map))
            }
            Schema::Nullable(inner) => self.value(inner).or_else(|| self.given(&Value::Null)),
            Schema::Named { id, .. } => self.named(*id),
        }
    }

    fn named(&mut self, id: TypeId) -> Option<Value> {
        let ir = self.ir;
        let t = &ir.types[id];
        if let Some(e) = t.examples.first()
            && self.admits(&Schema::Named { id, boxed: false }, e)
        {
            return self.given(e);
        }
        if self.stack.contains(&id) {
            return None;
        }
        self.stack.push(id);
        let v = match &t.kind {
            TypeKind::Struct(s) => self.object(s),
            TypeKind::StringEnum(values) => {
                values.first().and_then(|v| self.given(&Value::String(v.wire.clone())))
            }
            TypeKind::IntEnum(values) => values.first().and_then(|v| self.given(&json!(v))),
            TypeKind::Union(u) => u.variants.iter().find_map(|v| self.value(&v.schema)),
            TypeKind::Alias(s) => self.value(s),
        };
        self.stack.pop();
        v
    }

    /// Every required property, then the optional ones that fit, in declaration order.
    fn object(&mut self, s: &Struct) -> Option<Value> {
        self.spend(2)?;
        let mut got: Vec<Option<Value>> = vec![None; s.fields.len()];
        for pass_required in [true, false] {
            for (i, f) in s.fields.iter().enumerate().filter(|(_, f)| f.required == pass_required) {
                let key_cost = f.wire.len() + 4;
                if self.spend(key_cost).is_none() {
                    if f.required {
                        return None;
                    }
                    continue;
                }
                let default = f.default.as_ref().filter(|d| !d.is_null() && self.admits(&f.schema, d));
                let v = match default {
                    Some(d) => self.given(d),
                    None => self.value(&f.schema),
                };
                match v {
                    Some(v) => got[i] = Some(v),
                    None if f.required => return None,
                    None => self.room += key_cost,
                }
            }
        }
        let map = s.fields.iter().zip(got).filter_map(|(f, v)| Some((f.wire.clone(), v?))).collect();
        Some(Value::Object(map))
    }

    fn array(&mut self, items: &Schema, rules: &ArrayRules) -> Option<Value> {
        let min = rules.min_items.unwrap_or(0);
        let max = rules.max_items.unwrap_or(u64::MAX);
        if min > MAX_ITEMS || min > max {
            return None;
        }
        // One element shows the shape; more only when `minItems` asks (never equal ones for
        // `uniqueItems`).
        let want = min.max(1).min(max);
        if rules.unique_items && want > 1 {
            return None;
        }
        self.spend(2)?;
        let mut out = Vec::new();
        for _ in 0..want {
            match self.value(items) {
                Some(v) => out.push(v),
                None if min == 0 => return Some(Value::Array(Vec::new())),
                None => return None,
            }
        }
        Some(Value::Array(out))
    }

    fn string(&mut self, r: &StringRules) -> Option<String> {
        let min = r.min_length.unwrap_or(0);
        let max = r.max_length.unwrap_or(u64::MAX);
        if min > MAX_LEN || min > max {
            return None;
        }
        let fits = |s: &str| (min..=max).contains(&(s.chars().count() as u64));
        let mut plain: String = "string".chars().take(max.min(6) as usize).collect();
        while (plain.len() as u64) < min {
            plain.push('x');
        }
        let format = r.format.as_deref().map(format_sample);
        if let Some(p) = &r.pattern {
            let given = match format {
                Some(Some(s)) => Some(s.to_owned()),
                _ => Some(plain),
            };
            let given = given.filter(|s| fits(s) && self.is_match(p, s));
            return given.or_else(|| self.matching(p, min, max));
        }
        match format {
            Some(Some(s)) if fits(s) => Some(s.to_owned()),
            // A format the runtime checks cannot be met by a plain string.
            Some(Some(_)) if r.format.as_deref().is_some_and(is_checked_format) => None,
            _ => Some(plain),
        }
    }

    /// True when the spec's own value (an example or a default) meets `schema`. Strict where
    /// checking is costly: a string with a `format` the runtime checks is admitted only as the
    /// sample this module would make, and a value deeper than the work budget is refused.
    fn admits(&mut self, schema: &Schema, v: &Value) -> bool {
        let Some(steps) = self.steps.checked_sub(1) else { return false };
        self.steps = steps;
        match (schema, v) {
            (Schema::Any, _) | (Schema::Null, Value::Null) | (Schema::Bool, Value::Bool(_)) => true,
            (Schema::Integer(r), Value::Number(n)) => {
                n.as_i64().is_some_and(|i| number_ok(r, true, i as f64))
            }
            (Schema::Number(r), Value::Number(n)) => n.as_f64().is_some_and(|x| number_ok(r, false, x)),
            (Schema::String(r), Value::String(s)) => {
                let n = s.chars().count() as u64;
                r.min_length.is_none_or(|m| n >= m)
                    && r.max_length.is_none_or(|m| n <= m)
                    && r.pattern.as_deref().is_none_or(|p| self.is_match(p, s))
                    && r.format
                        .as_deref()
                        .is_none_or(|f| !is_checked_format(f) || format_sample(f) == Some(s))
            }
            (Schema::Const(c), v) => c == v,
            (Schema::Array { items, rules }, Value::Array(a)) => {
                let n = a.len() as u64;
                rules.min_items.is_none_or(|m| n >= m)
                    && rules.max_items.is_none_or(|m| n <= m)
                    && (!rules.unique_items || a.len() < 2)
                    && a.iter().all(|i| self.admits(items, i))
            }
            (Schema::Tuple { items, .. }, Value::Array(a)) => {
                a.len() == items.len() && items.iter().zip(a).all(|(s, i)| self.admits(s, i))
            }
            (Schema::Map { values, key_pattern }, Value::Object(m)) => m.iter().all(|(k, i)| {
                key_pattern.as_deref().is_none_or(|p| self.is_match(p, k)) && self.admits(values, i)
            }),
            (Schema::Nullable(inner), v) => v.is_null() || self.admits(inner, v),
            (Schema::Named { id, .. }, v) => {
                let ir = self.ir;
                match &ir.types[*id].kind {
                    TypeKind::Struct(s) => {
                        let Value::Object(m) = v else { return false };
                        s.fields.iter().all(|f| match m.get(&f.wire) {
                            Some(fv) => self.admits(&f.schema, fv),
                            None => !f.required,
                        }) && m.iter().all(|(k, fv)| match s.fields.iter().any(|f| f.wire == *k) {
                            true => true,
                            false => match &s.additional {
                                Additional::Ignore => true,
                                Additional::Forbid => false,
                                Additional::Map(extra) => self.admits(extra, fv),
                            },
                        })
                    }
                    TypeKind::StringEnum(values) => {
                        v.as_str().is_some_and(|s| values.iter().any(|e| e.wire == s))
                    }
                    TypeKind::IntEnum(values) => v.as_i64().is_some_and(|i| values.contains(&i)),
                    TypeKind::Union(u) => u.variants.iter().any(|var| self.admits(&var.schema, v)),
                    TypeKind::Alias(s) => self.admits(s, v),
                }
            }
            _ => false,
        }
    }

    fn compiled(&mut self, pattern: &str) -> Option<&(Regex, Hir)> {
        self.patterns
            .entry(pattern.to_owned())
            .or_insert_with(|| {
                Some((Regex::new(pattern).ok()?, regex_syntax::Parser::new().parse(pattern).ok()?))
            })
            .as_ref()
    }

    fn is_match(&mut self, pattern: &str, s: &str) -> bool {
        self.compiled(pattern).is_some_and(|(re, _)| re.is_match(s))
    }

    /// A string of `min..=max` characters that the pattern matches: the shortest one the
    /// pattern's syntax spells (first alternative, fewest repetitions), grown through its first
    /// open repetition when `minLength` asks for more.
    fn matching(&mut self, pattern: &str, min: u64, max: u64) -> Option<String> {
        let (re, hir) = self.compiled(pattern)?;
        let candidate = |extra: u64| {
            let mut out = String::new();
            let mut extra = extra;
            spell(hir, &mut extra, &mut out)?;
            let n = out.chars().count() as u64;
            ((min..=max).contains(&n) && re.is_match(&out)).then_some(out)
        };
        candidate(0).or_else(|| (1..=min).find_map(candidate))
    }
}

/// Appends the shortest text `hir` spells; `extra` more repetitions go to open repetitions.
fn spell(hir: &Hir, extra: &mut u64, out: &mut String) -> Option<()> {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => {}
        HirKind::Literal(lit) => out.push_str(std::str::from_utf8(&lit.0).ok()?),
        HirKind::Class(Class::Unicode(c)) => {
            let ranges = c.ranges();
            let preferred = ['a', 'x', '0', '1', 'A', '_', '-', '.'];
            let pick = preferred
                .into_iter()
                .find(|p| ranges.iter().any(|r| (r.start()..=r.end()).contains(p)))
                .or_else(|| ranges.iter().map(|r| r.start().max('!')).find(|c| !c.is_control()))?;
            out.push(pick);
        }
        HirKind::Class(Class::Bytes(c)) => {
            let b = c.ranges().iter().map(|r| r.start().max(b'!')).find(u8::is_ascii_graphic)?;
            out.push(char::from(b));
        }
        HirKind::Repetition(r) => {
            let open = u64::from(r.max.unwrap_or(u32::MAX) - r.min);
            let more = (*extra).min(open);
            *extra -= more;
            let n = u64::from(r.min) + more;
            if n > MAX_LEN {
                return None;
            }
            for _ in 0..n {
                spell(&r.sub, extra, out)?;
            }
        }
        HirKind::Capture(c) => spell(&c.sub, extra, out)?,
        HirKind::Concat(parts) => parts.iter().try_for_each(|p| spell(p, extra, out))?,
        HirKind::Alternation(alts) => spell(alts.first()?, extra, out)?,
    }
    (out.len() as u64 <= MAX_LEN * 4).then_some(())
}

/// A sample of a `format`, `None` when the format is not known.
fn format_sample(format: &str) -> Option<&'static str> {
    Some(match format {
        "date-time" => "2024-01-01T12:00:00Z",
        "date" => "2024-01-01",
        "time" => "12:00:00Z",
        "uuid" => "3fa85f64-5717-4562-b3fc-2c963f66afa6",
        "email" | "idn-email" => "user@example.com",
        "uri" | "url" | "iri" | "uri-reference" | "iri-reference" => "https://example.com/",
        "hostname" | "idn-hostname" => "example.com",
        "ipv4" => "192.0.2.1",
        "ipv6" => "2001:db8::1",
        "duration" => "PT1M",
        "byte" => "c3RyaW5n",
        _ => return None,
    })
}

/// Formats the `chanx` runtime checks (a wrong example would be rejected by the server).
fn is_checked_format(format: &str) -> bool {
    matches!(format, "date-time" | "date" | "time" | "uuid" | "email" | "uri")
}

/// True when `x` is within the bounds, on the `multipleOf` grid (and integral for an integer).
fn number_ok(r: &NumberRules, integer: bool, x: f64) -> bool {
    x.is_finite()
        && r.minimum.is_none_or(|m| x >= m)
        && r.maximum.is_none_or(|m| x <= m)
        && r.exclusive_minimum.is_none_or(|m| x > m)
        && r.exclusive_maximum.is_none_or(|m| x < m)
        && r.multiple_of.is_none_or(|m| m == 0.0 || is_multiple(x, m))
        && (!integer || (x.fract() == 0.0 && x.abs() < 9.0e15))
}

/// A number within the bounds, on the `multipleOf` grid (and integral for an integer).
fn number(r: &NumberRules, integer: bool) -> Option<Value> {
    let ok = |x: f64| number_ok(r, integer, x);
    let step = match r.multiple_of {
        Some(m) if m > 0.0 && m.is_finite() => m,
        _ => 1.0,
    };
    let lo = [r.minimum, r.exclusive_minimum].into_iter().flatten().reduce(f64::max);
    let hi = [r.maximum, r.exclusive_maximum].into_iter().flatten().reduce(f64::min);
    let mut candidates = Vec::new();
    if let Some(lo) = lo {
        let k = (lo / step).ceil();
        candidates.extend((0..64).map(|i| (k + f64::from(i)) * step));
    }
    candidates.push(0.0);
    if let Some(hi) = hi {
        let k = (hi / step).floor();
        candidates.extend((0..64).map(|i| (k - f64::from(i)) * step));
    }
    if let (Some(lo), Some(hi)) = (lo, hi) {
        candidates.push((lo + hi) / 2.0);
    }
    let x = candidates.into_iter().find(|&x| ok(x))?;
    Some(if x.fract() == 0.0 && x.abs() < 9.0e15 { json!(x as i64) } else { json!(x) })
}

/// `multipleOf` as the `chanx` runtime checks it (a relative tolerance of 1e-9).
fn is_multiple(x: f64, m: f64) -> bool {
    let q = x / m;
    (q - q.round()).abs() <= 1e-9 * q.abs().max(1.0)
}

/// The size of `v` as compact JSON, or `None` when it is over `limit` (found without
/// serialising more than `limit` bytes' worth).
pub(super) fn size_within(v: &Value, limit: usize) -> Option<usize> {
    let size = match v {
        Value::Null => 4,
        Value::Bool(b) => 4 + usize::from(!b),
        Value::Number(n) => n.to_string().len(),
        Value::String(s) => string_size(s),
        Value::Array(items) => {
            let mut total = 2 + items.len().saturating_sub(1);
            for i in items {
                total += size_within(i, limit.checked_sub(total)?)?;
            }
            total
        }
        Value::Object(m) => {
            let mut total = 2 + m.len().saturating_sub(1);
            for (k, i) in m {
                total += string_size(k) + 1;
                total += size_within(i, limit.checked_sub(total)?)?;
            }
            total
        }
    };
    (size <= limit).then_some(size)
}

/// The length of `s` as a JSON string literal.
fn string_size(s: &str) -> usize {
    2 + s
        .chars()
        .map(|c| match c {
            '"' | '\\' | '\n' | '\r' | '\t' | '\u{8}' | '\u{c}' => 2,
            '\0'..='\u{1f}' => 6,
            c => c.len_utf8(),
        })
        .sum::<usize>()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(f: impl FnOnce(&mut NumberRules)) -> NumberRules {
        let mut r = NumberRules::default();
        f(&mut r);
        r
    }

    #[test]
    fn numbers_meet_bounds_and_steps() {
        assert_eq!(number(&NumberRules::default(), true), Some(json!(0)));
        assert_eq!(number(&rules(|r| r.minimum = Some(3.0)), true), Some(json!(3)));
        assert_eq!(number(&rules(|r| r.exclusive_minimum = Some(3.0)), true), Some(json!(4)));
        assert_eq!(number(&rules(|r| r.maximum = Some(-2.5)), true), Some(json!(-3)));
        let r = rules(|r| {
            r.minimum = Some(7.0);
            r.multiple_of = Some(5.0);
        });
        assert_eq!(number(&r, true), Some(json!(10)));
        let r = rules(|r| {
            r.exclusive_minimum = Some(0.0);
            r.exclusive_maximum = Some(1.0);
        });
        assert_eq!(number(&r, false), Some(json!(0.5)));
        assert_eq!(number(&r, true), None, "no integer strictly between 0 and 1");
    }

    fn string(r: StringRules) -> Option<String> {
        let ir = Ir {
            info: Default::default(),
            source_name: String::new(),
            servers: Vec::new(),
            channels: Vec::new(),
            types: Vec::new(),
            warnings: Vec::new(),
        };
        Synth::new(&ir).string(&r)
    }

    #[test]
    fn strings_meet_length_format_and_pattern() {
        let r = |min, max, format: Option<&str>, pattern: Option<&str>| StringRules {
            min_length: min,
            max_length: max,
            format: format.map(str::to_owned),
            pattern: pattern.map(str::to_owned),
        };
        assert_eq!(string(r(None, Some(5), None, None)).as_deref(), Some("strin"));
        assert_eq!(string(r(Some(9), None, None, None)).as_deref(), Some("stringxxx"));
        assert_eq!(string(r(None, Some(0), None, None)).as_deref(), Some(""));
        assert_eq!(
            string(r(None, None, Some("uuid"), None)).as_deref(),
            Some("3fa85f64-5717-4562-b3fc-2c963f66afa6")
        );
        assert_eq!(string(r(None, Some(5), Some("date-time"), None)), None);
        assert_eq!(string(r(None, None, None, Some("^[A-Z]{3}-[0-9]+$"))).as_deref(), Some("AAA-0"));
        assert_eq!(string(r(Some(4), None, None, Some("^a[bc]*$"))).as_deref(), Some("abbb"));
        assert_eq!(string(r(None, None, None, Some("^(foo|bar)\\.json$"))).as_deref(), Some("foo.json"));
        assert_eq!(string(r(Some(1), Some(64), None, Some("^[A-Za-z0-9_-]+$"))).as_deref(), Some("string"));
        assert_eq!(string(r(Some(2), Some(1), None, None)), None);
    }

    #[test]
    fn sizes_stop_at_the_limit() {
        let v = json!({"a": [1, 2, "x\"y\u{1}z"], "b": null, "c": {"d": false}});
        let exact = v.to_string().len();
        assert_eq!(size_within(&v, 1000), Some(exact));
        assert_eq!(size_within(&v, exact), Some(exact));
        assert_eq!(size_within(&v, exact - 1), None);
    }
}

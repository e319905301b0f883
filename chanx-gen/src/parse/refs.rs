//! `$ref` handling: loading the relative files a document references, following references
//! (JSON pointer escapes, percent-encoding, pointers that pass through another `$ref`),
//! and refusing dangling, cyclic and remote ones. A spec is untrusted: the file part of a
//! `$ref` must be a relative path without encoded separators, and the file is read through
//! [`Root`] (inside the root folder, a regular file); nothing read is quoted in an error.

use std::collections::HashSet;
use std::path::Path;

use serde_json::Value;

use super::{Document, Spec, child_pointer};
use crate::error::{Error, Refusal, Result};
use crate::ir::Diagnostic;
use crate::load::{self, Fault, LineIndex, Root, escape_segment};

/// How many `$ref` hops are followed before giving up.
pub const MAX_HOPS: usize = 64;

/// A node: document index in [`Spec::docs`] and a JSON pointer (escaped, `""` for the root).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeRef {
    /// Index into [`Spec::docs`].
    pub doc: usize,
    /// JSON pointer.
    pub pointer: String,
}

impl NodeRef {
    /// The root of a document.
    pub fn root(doc: usize) -> Self {
        Self { doc, pointer: String::new() }
    }

    /// The child `key` (a mapping key or a list index).
    pub fn child(&self, key: &str) -> Self {
        Self { doc: self.doc, pointer: child_pointer(&self.pointer, key) }
    }

    /// Unescaped segments of the pointer.
    pub fn segments(&self) -> Vec<String> {
        split_pointer(&self.pointer)
    }
}

/// Splits an escaped JSON pointer into unescaped segments.
pub fn split_pointer(pointer: &str) -> Vec<String> {
    if pointer.is_empty() {
        return Vec::new();
    }
    pointer
        .split('/')
        .skip(1)
        .map(|s| if s.contains('~') { s.replace("~1", "/").replace("~0", "~") } else { s.to_owned() })
        .collect()
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex =
                std::str::from_utf8(&bytes[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok());
            if let Some(b) = hex {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// True for `http://…`, `https://…`, `//host/…` and any other `scheme:` prefix.
fn is_remote(file: &str) -> bool {
    if file.starts_with("//") {
        return true;
    }
    match file.find(':') {
        Some(i) if i > 1 => {
            file[..i].chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        }
        _ => false,
    }
}

/// The relative path a `$ref`'s file part names, decoded, or why it is refused: absolute
/// paths, percent-encoded separators or dots (`%2F`, `%5C`, `%2E`), and `\` or control
/// characters are never read.
fn relative_file(file: &str) -> std::result::Result<String, Refusal> {
    let lower = file.to_ascii_lowercase();
    if ["%2f", "%5c", "%2e"].iter().any(|e| lower.contains(e)) {
        return Err(Refusal::EncodedSeparator);
    }
    let decoded = percent_decode(file);
    if decoded.contains('\\') || decoded.chars().any(char::is_control) {
        return Err(Refusal::BadCharacter);
    }
    let drive = decoded.as_bytes().get(1) == Some(&b':');
    if decoded.starts_with('/') || drive || Path::new(&decoded).is_absolute() {
        return Err(Refusal::Absolute);
    }
    Ok(decoded)
}

/// Joins a relative reference to the folder of the referencing file, lexically (for names in
/// messages; the file read is found from the referencing file's [`Document::path`]).
fn join(base_file: &str, rel: &str) -> String {
    let base = Path::new(base_file).parent().unwrap_or(Path::new(""));
    load::normalize(&base.join(rel)).to_string_lossy().replace('\\', "/")
}

/// Keys whose values are data, not schemas or objects that may hold `$ref`s.
const DATA_KEYS: &[&str] = &["examples", "example", "const", "default", "enum"];
/// Keys whose mappings have user-chosen names as keys (so `examples` there is a name).
const NAME_MAPS: &[&str] = &[
    "properties",
    "patternProperties",
    "$defs",
    "definitions",
    "schemas",
    "messages",
    "channels",
    "operations",
];

/// Why a `$ref` into a file that failed to load (reported on its own) points to nothing.
const NOT_LOADED: &str = "the file was not loaded (a `$ref` where none is read)";

/// The nodes of the cycle a `a -> b -> a` chain ends in, sorted: the same for every referrer
/// and every starting point of one cycle.
fn cycle_members(chain: &str) -> String {
    let nodes: Vec<&str> = chain.split(" -> ").collect();
    let last = nodes.last().copied().unwrap_or_default();
    let start = nodes.iter().position(|n| *n == last).unwrap_or(0);
    let mut members: Vec<&str> = nodes[start..nodes.len().saturating_sub(1)].to_vec();
    members.sort_unstable();
    members.join(" ")
}

/// Every `$ref` string in a document, with the pointer of the object holding it.
fn find_refs(value: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    // (value, pointer, is this object a name map)
    let mut stack: Vec<(&Value, String, bool)> = vec![(value, String::new(), false)];
    while let Some((v, pointer, name_map)) = stack.pop() {
        match v {
            Value::Object(map) => {
                if !name_map {
                    if let Some(Value::String(r)) = map.get("$ref") {
                        out.push((pointer.clone(), r.clone()));
                    }
                }
                for (k, child) in map.iter().rev() {
                    if !name_map && (k.starts_with("x-") || DATA_KEYS.contains(&k.as_str()) || k == "$ref") {
                        continue;
                    }
                    let is_names = !name_map && NAME_MAPS.contains(&k.as_str());
                    stack.push((child, child_pointer(&pointer, k), is_names));
                }
            }
            Value::Array(items) => {
                for (i, child) in items.iter().enumerate().rev() {
                    stack.push((child, format!("{pointer}/{i}"), false));
                }
            }
            _ => {}
        }
    }
    out
}

impl Spec {
    /// Loads every relative file referenced (transitively) from inside `root`, then checks
    /// that every `$ref` resolves and that no chain of `$ref`s is cyclic.
    ///
    /// Every broken `$ref` is reported, not only the first: the error is an
    /// [`Error::Invalid`] listing them all (or the one error, when there is one). A limit on
    /// the spec's size stops the walk at once.
    pub(super) fn load_references(&mut self, root: &Root) -> Result<()> {
        let mut next = 0;
        let mut all_refs: Vec<NodeRef> = Vec::new();
        let mut problems: Vec<Error> = Vec::new();
        while next < self.docs.len() {
            let refs = find_refs(&self.docs[next].value);
            for (pointer, reference) in refs {
                let at = NodeRef { doc: next, pointer };
                let (file, _) = reference.split_once('#').unwrap_or((reference.as_str(), ""));
                if is_remote(file) {
                    problems.push(Error::RemoteRef { location: self.location(&at), reference });
                    continue;
                }
                if !file.is_empty() && !self.files.contains_key(&(next, file.to_owned())) {
                    match self.load_file(root, &at, &reference, file) {
                        Ok(doc) => {
                            self.files.insert((next, file.to_owned()), doc);
                        }
                        Err(e @ Error::SpecTooLarge { .. }) => return Err(e),
                        Err(e) => {
                            problems.push(e);
                            continue;
                        }
                    }
                }
                all_refs.push(at);
            }
            next += 1;
        }
        // A chain through a broken `$ref` breaks for every referrer too: each break is
        // reported once, where it is.
        let mut seen: HashSet<String> = HashSet::new();
        for at in &all_refs {
            let Err(e) = self.resolve(at) else { continue };
            let key = match &e {
                Error::DanglingRef { reason, .. } if reason.starts_with(NOT_LOADED) => continue,
                Error::DanglingRef { reference, reason, .. } => format!("dangling {reference} {reason}"),
                Error::CyclicRef { chain, .. } => format!("cycle {}", cycle_members(chain)),
                other => format!("{:?} {other}", other.location()),
            };
            if seen.insert(key) {
                problems.push(e);
            }
        }
        match problems.len() {
            0 => Ok(()),
            1 => Err(problems.remove(0)),
            _ => {
                let mut all: Vec<Diagnostic> = problems.iter().flat_map(Error::diagnostics).collect();
                let key =
                    |d: &Diagnostic| (d.location.file.clone(), d.location.line, d.location.pointer.clone());
                all.sort_by_cached_key(key);
                Err(Error::Invalid(all))
            }
        }
    }

    /// The document that `file` (the file part of `reference`, written at `at`) names: one
    /// already loaded (same real path), or the file read through `root` and parsed.
    fn load_file(&mut self, root: &Root, at: &NodeRef, reference: &str, file: &str) -> Result<usize> {
        let refused = |spec: &Self, why| Error::RefusedRef {
            location: spec.location(at),
            reference: reference.to_owned(),
            why,
        };
        let rel = relative_file(file).map_err(|why| refused(self, why))?;
        let from = &self.docs[at.doc];
        let name = join(&from.name, &rel);
        let path = load::normalize(&from.path.parent().unwrap_or(Path::new("")).join(&rel));
        if let Some(i) = self.docs.iter().position(|d| d.path == path) {
            return Ok(i);
        }
        let (real, text) = match root.read(&path) {
            Ok(read) => read,
            Err(Fault::Refused(why)) => return Err(refused(self, why)),
            Err(Fault::Io(source)) => {
                return Err(Error::DanglingRef {
                    location: self.location(at),
                    reference: reference.to_owned(),
                    reason: format!("cannot read {name}: {source}"),
                });
            }
            Err(Fault::TooLarge) => return Err(Error::TooLarge { file: name, limit: load::MAX_FILE_BYTES }),
        };
        if let Some(i) = self.real_paths.get(&real) {
            return Ok(*i);
        }
        self.bytes_read += text.len();
        if self.bytes_read > load::MAX_SPEC_BYTES {
            return Err(Error::SpecTooLarge { location: self.location(at), limit: load::MAX_SPEC_BYTES });
        }
        let value = load::parse_text(&name, &text)?;
        self.real_paths.insert(real, self.docs.len());
        self.docs.push(Document { name, path, lines: LineIndex::new(&text), value });
        Ok(self.docs.len() - 1)
    }

    /// Follows one `$ref` string written in document `from`: the node it names.
    pub fn follow(&self, at: &NodeRef, reference: &str) -> Result<NodeRef> {
        let mut hops = 0;
        self.follow_within(at, reference, &mut hops)
    }

    /// [`Spec::follow`] with the `$ref` hops taken while walking pointers shared across the
    /// recursion, so a pointer that passes through a `$ref` back into itself
    /// (`A: {$ref: '#/A/x'}`) ends with an error instead of overflowing the stack.
    fn follow_within(&self, at: &NodeRef, reference: &str, hops: &mut usize) -> Result<NodeRef> {
        let dangling = |reason: String| Error::DanglingRef {
            location: self.location(at),
            reference: reference.to_owned(),
            reason,
        };
        let (file, fragment) = reference.split_once('#').unwrap_or((reference, ""));
        if is_remote(file) {
            return Err(Error::RemoteRef { location: self.location(at), reference: reference.to_owned() });
        }
        let doc = if file.is_empty() {
            at.doc
        } else {
            match self.files.get(&(at.doc, file.to_owned())) {
                Some(i) => *i,
                None => return Err(dangling(NOT_LOADED.into())),
            }
        };
        let fragment = percent_decode(fragment);
        if !(fragment.is_empty() || fragment.starts_with('/')) {
            return Err(dangling("expected a JSON pointer after `#` (`#/components/...`)".into()));
        }
        // Walk the pointer; where it passes through a `$ref`, continue from its target.
        let mut node = NodeRef::root(doc);
        for seg in split_pointer(&fragment) {
            loop {
                let Some(v) = self.value(&node) else {
                    return Err(dangling(format!("nothing at {}", node.pointer)));
                };
                let has = match v {
                    Value::Object(m) => m.contains_key(&seg),
                    Value::Array(a) => seg.parse::<usize>().is_ok_and(|i| i < a.len()),
                    _ => false,
                };
                if has {
                    node = node.child(&seg);
                    break;
                }
                match v.get("$ref").and_then(Value::as_str) {
                    Some(_) if *hops >= MAX_HOPS => {
                        return Err(Error::RefChainTooLong { location: self.location(at), limit: MAX_HOPS });
                    }
                    Some(r) => {
                        *hops += 1;
                        node = self.follow_within(&node, r, hops)?;
                    }
                    _ => {
                        let place = if node.pointer.is_empty() {
                            "the document root".into()
                        } else {
                            node.pointer.clone()
                        };
                        return Err(dangling(format!("no `{}` in {place}", escape_segment(&seg))));
                    }
                }
            }
        }
        Ok(node)
    }

    /// The chain of nodes from `node` through every `$ref` to the first node that is not a
    /// `$ref` (inclusive at both ends). Errors on dangling, remote and cyclic references.
    pub fn ref_chain(&self, node: &NodeRef) -> Result<Vec<NodeRef>> {
        let mut chain = vec![node.clone()];
        let mut seen: HashSet<NodeRef> = HashSet::new();
        seen.insert(node.clone());
        let mut current = node.clone();
        loop {
            let Some(v) = self.value(&current) else {
                return Err(Error::DanglingRef {
                    location: self.location(&current),
                    reference: current.pointer.clone(),
                    reason: "nothing there".into(),
                });
            };
            let Some(r) = v.get("$ref").and_then(Value::as_str) else { return Ok(chain) };
            let next = self.follow(&current, r)?;
            if !seen.insert(next.clone()) {
                chain.push(next);
                let text: Vec<String> = chain.iter().map(|n| self.short(n)).collect();
                return Err(Error::CyclicRef { location: self.location(node), chain: text.join(" -> ") });
            }
            chain.push(next.clone());
            if chain.len() > MAX_HOPS {
                return Err(Error::RefChainTooLong { location: self.location(node), limit: MAX_HOPS });
            }
            current = next;
        }
    }

    /// Follows `$ref`s from `node`: the final node and its value.
    pub fn resolve(&self, node: &NodeRef) -> Result<(NodeRef, &Value)> {
        let chain = self.ref_chain(node)?;
        let last = chain.last().cloned().unwrap_or_else(|| node.clone());
        match self.value(&last) {
            Some(v) => Ok((last, v)),
            None => Err(Error::DanglingRef {
                location: self.location(node),
                reference: last.pointer.clone(),
                reason: "nothing there".into(),
            }),
        }
    }

    /// `file#pointer` for messages (file omitted for the root document).
    pub fn short(&self, node: &NodeRef) -> String {
        if node.doc == 0 {
            format!("#{}", node.pointer)
        } else {
            let name = self.docs.get(node.doc).map(|d| d.name.as_str()).unwrap_or_default();
            format!("{name}#{}", node.pointer)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_parts_that_are_refused() {
        for (file, why) in [
            ("/etc/passwd", Refusal::Absolute),
            ("%2Fetc%2Fpasswd", Refusal::EncodedSeparator),
            ("..%2f..%2fsecret.yaml", Refusal::EncodedSeparator),
            ("%2e%2e/secret.yaml", Refusal::EncodedSeparator),
            ("a%5Cb.yaml", Refusal::EncodedSeparator),
            ("..\\secret.yaml", Refusal::BadCharacter),
            ("a%0Ab.yaml", Refusal::BadCharacter),
            ("C:/x.yaml", Refusal::Absolute),
        ] {
            assert_eq!(relative_file(file), Err(why), "{file}");
        }
        assert_eq!(relative_file("./common%20types.yaml").as_deref(), Ok("./common types.yaml"));
        assert_eq!(relative_file("../common/m.yaml").as_deref(), Ok("../common/m.yaml"));
    }

    #[test]
    fn joins_lexically() {
        assert_eq!(join("specs/chat.yaml", "./common.yaml"), "specs/common.yaml");
        assert_eq!(join("a/b/api.yaml", "../common/m.yaml"), "a/common/m.yaml");
        assert_eq!(join("api.yaml", "common.yaml"), "common.yaml");
        assert_eq!(join("api.yaml", "../x.yaml"), "../x.yaml");
        assert_eq!(join("/abs/a/api.yaml", "../x.yaml"), "/abs/x.yaml");
    }

    #[test]
    fn remote_detection() {
        assert!(is_remote("https://example.com/a.json"));
        assert!(is_remote("http://x"));
        assert!(is_remote("//cdn/x"));
        assert!(!is_remote("./common.yaml"));
        assert!(!is_remote(""));
    }

    #[test]
    fn percent() {
        assert_eq!(percent_decode("a%20b%7E"), "a b~");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(split_pointer("/channels/~1ws/a~0b"), vec!["channels", "/ws", "a~b"]);
    }
}

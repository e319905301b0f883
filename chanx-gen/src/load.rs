//! Reading files: the root folder a spec may read from ([`Root`]: regular files inside it only,
//! bounded in size, never blocking on a FIFO), YAML or JSON text → [`serde_json::Value`], and
//! JSON pointer → line. This is the only place that touches `serde_yaml` (deprecated upstream),
//! so it can be swapped for a fork without touching anything else. It does not follow `$ref`s
//! (that is `parse`), and it never puts a file's content into an error.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fs::{File, FileType};
use std::io::{self, Read};
use std::path::{Component, Path, PathBuf};

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

use crate::error::{Error, Refusal, Result};
use crate::location::Location;

/// Reads a YAML or JSON file into a JSON value (a regular file, at most [`MAX_FILE_BYTES`]).
pub fn load(path: &Path) -> Result<Value> {
    let text = read(path)?;
    parse_text(&path.to_string_lossy(), &text)
}

/// The largest spec file read, in bytes (16 MiB). Larger files get [`Error::TooLarge`] instead
/// of exhausting memory or time.
pub const MAX_FILE_BYTES: usize = 16 * 1024 * 1024;

/// The most bytes read for one spec, all its files together (64 MiB): many files under
/// [`MAX_FILE_BYTES`] each get [`Error::SpecTooLarge`].
pub const MAX_SPEC_BYTES: usize = 64 * 1024 * 1024;

/// Why a file was not read.
#[derive(Debug)]
pub(crate) enum Fault {
    /// Refused by the rules of [`Root`].
    Refused(Refusal),
    /// The system could not read it (missing, no permission, not UTF-8).
    Io(io::Error),
    /// Larger than [`MAX_FILE_BYTES`].
    TooLarge,
}

impl Fault {
    /// The error for `file`, a file the user named (not a `$ref`).
    pub(crate) fn into_error(self, file: &str) -> Error {
        let file = file.to_owned();
        match self {
            Fault::Refused(why) => Error::RefusedFile { file, why },
            Fault::Io(source) => Error::Io { file, source },
            Fault::TooLarge => Error::TooLarge { file, limit: MAX_FILE_BYTES },
        }
    }
}

/// Reads a regular file to a string, at most [`MAX_FILE_BYTES`], anywhere on disk (the root
/// spec a user names; `$ref`s go through [`Root::read`]).
pub(crate) fn read(path: &Path) -> Result<String> {
    read_regular(path).map_err(|fault| fault.into_error(&path.to_string_lossy()))
}

/// What a file that is not a regular file is, for messages.
fn kind(t: FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_socket() {
            return "a socket";
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
    }
    if t.is_dir() {
        "a directory"
    } else if t.is_symlink() {
        "a symbolic link"
    } else {
        "something other than a file"
    }
}

/// Opens `path` for reading without following a final symlink and without waiting for a
/// writer on a FIFO (`O_NONBLOCK`), then requires a regular file and reads at most
/// [`MAX_FILE_BYTES`]. The type is checked before opening and again on the open file.
fn read_regular(path: &Path) -> std::result::Result<String, Fault> {
    let meta = std::fs::metadata(path).map_err(Fault::Io)?;
    if !meta.is_file() {
        return Err(Fault::Refused(Refusal::NotAFile { kind: kind(meta.file_type()) }));
    }
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file: File = options.open(path).map_err(Fault::Io)?;
    let meta = file.metadata().map_err(Fault::Io)?;
    if !meta.is_file() {
        return Err(Fault::Refused(Refusal::NotAFile { kind: kind(meta.file_type()) }));
    }
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES as u64 + 1).read_to_end(&mut bytes).map_err(Fault::Io)?;
    if bytes.len() > MAX_FILE_BYTES {
        return Err(Fault::TooLarge);
    }
    String::from_utf8(bytes).map_err(|e| Fault::Io(io::Error::new(io::ErrorKind::InvalidData, e)))
}

/// `path` with `.` and `..` folded away lexically (a `..` at the top stays).
pub(crate) fn normalize(path: &Path) -> PathBuf {
    let mut out: Vec<Component<'_>> = Vec::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => match out.last() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                Some(Component::RootDir | Component::Prefix(_)) => {}
                _ => out.push(c),
            },
            other => out.push(other),
        }
    }
    out.iter().collect()
}

/// The folder a spec may read files from: the root spec's folder by default, or a folder the
/// user names (`--root DIR`, [`Config::root`](crate::Config::root)). Every file read through it
/// is a regular file whose real path (symbolic links followed) is inside the folder; a link
/// that stays inside is allowed.
#[derive(Debug, Clone)]
pub struct Root {
    /// The canonical folder.
    dir: PathBuf,
    /// The folder as the user named it, for messages.
    shown: String,
}

impl Root {
    /// The folder `dir` (it must exist).
    pub fn new(dir: &Path) -> Result<Root> {
        let shown = dir.to_string_lossy().into_owned();
        let io = |source| Error::Io { file: shown.clone(), source };
        let canonical = std::fs::canonicalize(dir).map_err(io)?;
        if !canonical.is_dir() {
            return Err(io(io::Error::new(io::ErrorKind::NotADirectory, "expected a directory")));
        }
        Ok(Root { dir: canonical, shown })
    }

    /// The folder of the spec file `spec` (the current folder for a bare file name).
    pub fn of_spec(spec: &Path) -> Result<Root> {
        let root = match spec.parent() {
            Some(p) if !p.as_os_str().is_empty() => Root::new(p),
            _ => Root::new(Path::new(".")),
        };
        // A missing folder is the spec's problem: name the spec.
        root.map_err(|e| match e {
            Error::Io { source, .. } => Error::Io { file: spec.to_string_lossy().into_owned(), source },
            other => other,
        })
    }

    /// The canonical folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The absolute path of `path` (relative to the current folder), its folder made canonical,
    /// or an I/O error when that folder does not exist.
    pub(crate) fn absolute(path: &Path) -> io::Result<PathBuf> {
        let parent = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let dir = std::fs::canonicalize(parent)?;
        Ok(match path.file_name() {
            Some(name) => dir.join(name),
            None => dir,
        })
    }

    /// Reads the file at the absolute, normalised `path`: refused when it is outside the root
    /// (lexically, or once symbolic links are followed) or not a regular file. Returns the
    /// file's canonical path and its text.
    pub(crate) fn read(&self, path: &Path) -> std::result::Result<(PathBuf, String), Fault> {
        let root = || self.shown.clone();
        if !path.starts_with(&self.dir) {
            return Err(Fault::Refused(Refusal::OutsideRoot { root: root() }));
        }
        let canonical = std::fs::canonicalize(path).map_err(Fault::Io)?;
        if !canonical.starts_with(&self.dir) {
            return Err(Fault::Refused(Refusal::LinkOutsideRoot { root: root() }));
        }
        let text = read_regular(&canonical)?;
        Ok((canonical, text))
    }
}

/// The text without a leading byte-order mark.
fn strip_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

/// True when the text looks like JSON (first non-blank character is `{` or `[`).
fn looks_like_json(text: &str) -> bool {
    matches!(strip_bom(text).trim_start().chars().next(), Some('{' | '['))
}

/// Parses YAML or JSON text of at most [`MAX_FILE_BYTES`] (a leading byte-order mark is
/// skipped); `file` is only used in error messages. A key listed twice in one mapping is an
/// error in both formats.
pub fn parse_text(file: &str, text: &str) -> Result<Value> {
    if text.len() > MAX_FILE_BYTES {
        return Err(Error::TooLarge { file: file.to_owned(), limit: MAX_FILE_BYTES });
    }
    let text = strip_bom(text);
    if looks_like_json(text) {
        return parse_json(file, text);
    }
    let syntax = |e: serde_yaml::Error| {
        let loc = e.location();
        Error::Syntax {
            file: file.to_owned(),
            format: "YAML",
            line: loc.as_ref().map(|l| l.line()),
            column: loc.as_ref().map(|l| l.column()),
            message: strip_position(&e.to_string()),
        }
    };
    let mut yaml: serde_yaml::Value = serde_yaml::from_str(text).map_err(syntax)?;
    yaml.apply_merge().map_err(syntax)?;
    yaml_to_json(yaml).map_err(|message| Error::Syntax {
        file: file.to_owned(),
        format: "YAML",
        line: None,
        column: None,
        message,
    })
}

/// Drops the " at line X column Y" suffix both parsers add (the error carries them as fields).
fn strip_position(message: &str) -> String {
    match message.find(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

/// Converts a YAML value to JSON. Keys that are not strings (numbers, booleans) become their
/// text; tags are dropped. Depth is bounded by `serde_yaml`'s own recursion limit.
fn yaml_to_json(v: serde_yaml::Value) -> std::result::Result<Value, String> {
    use serde_yaml::Value as Y;
    Ok(match v {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::Number(i.into())
            } else if let Some(u) = n.as_u64() {
                Value::Number(u.into())
            } else {
                match n.as_f64().and_then(Number::from_f64) {
                    Some(f) => Value::Number(f),
                    // NaN and infinities have no JSON form; keep their YAML text.
                    None => Value::String(n.to_string()),
                }
            }
        }
        Y::String(s) => Value::String(s),
        Y::Sequence(items) => {
            Value::Array(items.into_iter().map(yaml_to_json).collect::<std::result::Result<_, _>>()?)
        }
        Y::Mapping(map) => {
            let mut out = Map::new();
            for (k, v) in map {
                let key = match k {
                    Y::String(s) => s,
                    Y::Bool(b) => b.to_string(),
                    Y::Number(n) => n.to_string(),
                    Y::Null => "null".to_owned(),
                    other => return Err(format!("mapping key {other:?} is not a string")),
                };
                out.insert(key, yaml_to_json(v)?);
            }
            Value::Object(out)
        }
        Y::Tagged(t) => yaml_to_json(t.value)?,
    })
}

/// One step of the path to the JSON value being read.
enum Step {
    Key(String),
    Index(usize),
}

/// What the JSON reader shares down the tree: where it is, and the key found twice.
#[derive(Default)]
struct JsonState {
    path: Vec<Step>,
    duplicate: Option<String>,
}

impl JsonState {
    /// The JSON pointer of the current path.
    fn pointer(&self) -> String {
        let mut out = String::new();
        for step in &self.path {
            out.push('/');
            match step {
                Step::Key(k) => push_escaped(&mut out, k),
                Step::Index(i) => out.push_str(&i.to_string()),
            }
        }
        out
    }
}

/// Reads one JSON value like `serde_json::Value` does, refusing a key listed twice.
#[derive(Clone, Copy)]
struct JsonValue<'s>(&'s RefCell<JsonState>);

impl<'de> DeserializeSeed<'de> for JsonValue<'_> {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> std::result::Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for JsonValue<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> std::result::Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> std::result::Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> std::result::Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_f64<E>(self, v: f64) -> std::result::Result<Value, E> {
        Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> std::result::Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> std::result::Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> std::result::Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<Value, A::Error> {
        let mut out = Vec::new();
        loop {
            self.0.borrow_mut().path.push(Step::Index(out.len()));
            let item = seq.next_element_seed(self)?;
            self.0.borrow_mut().path.pop();
            match item {
                Some(v) => out.push(v),
                None => return Ok(Value::Array(out)),
            }
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if out.contains_key(&key) {
                self.0.borrow_mut().duplicate = Some(key);
                return Err(de::Error::custom("duplicate key"));
            }
            self.0.borrow_mut().path.push(Step::Key(key));
            let value = map.next_value_seed(self)?;
            if let Some(Step::Key(key)) = self.0.borrow_mut().path.pop() {
                out.insert(key, value);
            }
        }
        Ok(Value::Object(out))
    }
}

/// Parses JSON text (no byte-order mark): a syntax error, or [`Error::DuplicateKey`] with the
/// pointer and line of the second occurrence.
fn parse_json(file: &str, text: &str) -> Result<Value> {
    let state = RefCell::new(JsonState::default());
    let mut reader = serde_json::Deserializer::from_str(text);
    let parsed = JsonValue(&state).deserialize(&mut reader).and_then(|v| reader.end().map(|()| v));
    parsed.map_err(|e| {
        let mut state = state.into_inner();
        match state.duplicate.take() {
            Some(key) => {
                let mut pointer = state.pointer();
                pointer.push('/');
                push_escaped(&mut pointer, &key);
                Error::DuplicateKey {
                    location: Location { file: file.to_owned(), pointer, line: Some(e.line()) },
                    key,
                }
            }
            None => Error::Syntax {
                file: file.to_owned(),
                format: "JSON",
                line: Some(e.line()),
                column: Some(e.column()),
                message: strip_position(&e.to_string()),
            },
        }
    })
}

/// Escapes one JSON pointer segment (`~` → `~0`, `/` → `~1`).
pub fn escape_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    push_escaped(&mut out, s);
    out
}

/// Appends `s` escaped as one JSON pointer segment.
pub(crate) fn push_escaped(out: &mut String, s: &str) {
    if !s.contains(['~', '/']) {
        out.push_str(s);
        return;
    }
    for c in s.chars() {
        match c {
            '~' => out.push_str("~0"),
            '/' => out.push_str("~1"),
            c => out.push(c),
        }
    }
}

/// Maps JSON pointers to 1-based lines of the original text. Built once per file by a small
/// scanner: exact for block-style YAML and for JSON; inside YAML flow collections (`{a: 1}`,
/// `[a, b]`) and multi-line scalars the line of the enclosing key is used.
#[derive(Debug, Clone, Default)]
pub struct LineIndex {
    lines: HashMap<String, usize>,
}

impl LineIndex {
    /// Scans `text` (YAML or JSON).
    pub fn new(text: &str) -> Self {
        let text = strip_bom(text);
        let lines = if looks_like_json(text) { scan_json(text) } else { scan_yaml(text) };
        Self { lines }
    }

    /// The line of the node at `pointer`, or of its nearest ancestor that has one.
    pub fn line(&self, pointer: &str) -> Option<usize> {
        let mut p = pointer;
        loop {
            if let Some(l) = self.lines.get(p) {
                return Some(*l);
            }
            if p.is_empty() {
                return None;
            }
            p = &p[..p.rfind('/').unwrap_or(0)];
        }
    }
}

/// JSON scanner: tracks the pointer of every value and the line where its key (or the value,
/// for array items) starts. Iterative, so deep nesting cannot overflow the stack.
fn scan_json(text: &str) -> HashMap<String, usize> {
    enum Frame {
        Obj { pointer: String, key: Option<String> },
        Arr { pointer: String, index: usize },
    }
    let mut out = HashMap::new();
    let mut stack: Vec<Frame> = Vec::new();
    let mut line = 1usize;
    let mut chars = text.char_indices().peekable();
    // The pointer for the value about to start, given the current frame.
    let current = |stack: &Vec<Frame>| -> Option<String> {
        match stack.last() {
            None => Some(String::new()),
            Some(Frame::Obj { pointer, key: Some(k) }) => Some(format!("{pointer}/{}", escape_segment(k))),
            Some(Frame::Obj { key: None, .. }) => None,
            Some(Frame::Arr { pointer, index }) => Some(format!("{pointer}/{index}")),
        }
    };
    let mut expect_key = false;
    while let Some((_, c)) = chars.next() {
        match c {
            '\n' => line += 1,
            '"' => {
                let mut s = String::new();
                while let Some((_, c)) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => {
                            if let Some((_, e)) = chars.next() {
                                s.push(match e {
                                    'n' => '\n',
                                    't' => '\t',
                                    other => other,
                                });
                            }
                        }
                        '\n' => line += 1,
                        other => s.push(other),
                    }
                }
                if expect_key {
                    if let Some(Frame::Obj { pointer, key }) = stack.last_mut() {
                        let p = format!("{pointer}/{}", escape_segment(&s));
                        out.entry(p).or_insert(line);
                        *key = Some(s);
                    }
                    expect_key = false;
                } else if let Some(p) = current(&stack) {
                    out.entry(p).or_insert(line);
                }
            }
            '{' | '[' => {
                let p = current(&stack).unwrap_or_default();
                out.entry(p.clone()).or_insert(line);
                if c == '{' {
                    stack.push(Frame::Obj { pointer: p, key: None });
                    expect_key = true;
                } else {
                    stack.push(Frame::Arr { pointer: p, index: 0 });
                }
            }
            '}' | ']' => {
                stack.pop();
                expect_key = false;
            }
            ',' => match stack.last_mut() {
                Some(Frame::Obj { key, .. }) => {
                    *key = None;
                    expect_key = true;
                }
                Some(Frame::Arr { index, .. }) => *index += 1,
                None => {}
            },
            c if c.is_whitespace() || c == ':' => {}
            _ => {
                if let Some(p) = current(&stack) {
                    out.entry(p).or_insert(line);
                }
                // Skip the rest of a bare literal.
                while let Some((_, n)) = chars.peek() {
                    if matches!(n, ',' | '}' | ']') || n.is_whitespace() {
                        break;
                    }
                    chars.next();
                }
            }
        }
    }
    out
}

/// Block-YAML scanner: one pass over the lines with a stack of (indent, pointer).
fn scan_yaml(text: &str) -> HashMap<String, usize> {
    struct Entry {
        indent: usize,
        pointer: String,
        is_item: bool,
        next_index: usize,
    }
    let mut out = HashMap::new();
    out.insert(String::new(), 1);
    let mut stack: Vec<Entry> = Vec::new();
    // While inside a block scalar or multi-line flow value: skip lines indented more than this.
    let mut skip_deeper_than: Option<usize> = None;
    let mut flow_depth: i64 = 0;
    for (n, raw) in text.lines().enumerate() {
        let line_no = n + 1;
        let trimmed = raw.trim_start_matches(' ');
        let indent = raw.len() - trimmed.len();
        if flow_depth > 0 {
            flow_depth += bracket_balance(trimmed);
            continue;
        }
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        if let Some(limit) = skip_deeper_than {
            if indent > limit {
                continue;
            }
            skip_deeper_than = None;
        }
        if trimmed.starts_with("---") || trimmed.starts_with("...") {
            stack.clear();
            continue;
        }
        let mut indent = indent;
        let mut rest = trimmed;
        let mut first = true;
        // `- - key: v` and `- key: v`: each dash opens an item.
        loop {
            if rest == "-" || rest.starts_with("- ") {
                while stack
                    .last()
                    .is_some_and(|e| e.indent > indent || (e.indent == indent && (e.is_item || !first)))
                {
                    stack.pop();
                }
                let (parent, index) = match stack.last_mut() {
                    Some(e) => {
                        let i = e.next_index;
                        e.next_index += 1;
                        (e.pointer.clone(), i)
                    }
                    None => (String::new(), 0),
                };
                let pointer = format!("{parent}/{index}");
                out.entry(pointer.clone()).or_insert(line_no);
                stack.push(Entry { indent, pointer, is_item: true, next_index: 0 });
                let after = rest[1..].trim_start_matches(' ');
                indent += rest.len() - after.len();
                rest = after;
                first = false;
                if rest.is_empty() {
                    break;
                }
                continue;
            }
            break;
        }
        if rest.is_empty() {
            continue;
        }
        let Some((key, value)) = split_key(rest) else {
            // A scalar item or a continuation line; a flow collection may start here.
            flow_depth = bracket_balance(rest).max(0);
            continue;
        };
        while stack.last().is_some_and(|e| e.indent > indent || (e.indent == indent && first)) {
            stack.pop();
        }
        if !first {
            // `- key:` — the key belongs to the item just pushed; nothing to pop.
        }
        let parent = stack.last().map(|e| e.pointer.clone()).unwrap_or_default();
        let pointer = format!("{parent}/{}", escape_segment(&key));
        out.entry(pointer.clone()).or_insert(line_no);
        stack.push(Entry { indent, pointer, is_item: false, next_index: 0 });
        let value = strip_comment(value.trim());
        let value = strip_anchor(value);
        if value.starts_with('|') || value.starts_with('>') {
            skip_deeper_than = Some(indent);
        } else if value.starts_with('[') || value.starts_with('{') {
            flow_depth = bracket_balance(value).max(0);
        } else if !value.is_empty() {
            // A plain or quoted scalar may continue on more-indented lines.
            skip_deeper_than = Some(indent);
        }
    }
    out
}

/// `key: value` → (key, value); quoted keys are unquoted. `None` when the line is not a key.
fn split_key(s: &str) -> Option<(String, &str)> {
    let bytes = s.as_bytes();
    if let Some(q @ (b'\'' | b'"')) = bytes.first().copied() {
        let mut i = 1;
        let mut key = String::new();
        while i < bytes.len() {
            let c = bytes[i];
            if c == q {
                if q == b'\'' && bytes.get(i + 1) == Some(&b'\'') {
                    key.push('\'');
                    i += 2;
                    continue;
                }
                break;
            }
            if q == b'"' && c == b'\\' && i + 1 < bytes.len() {
                i += 1;
            }
            i += 1;
        }
        let end = i.min(bytes.len());
        key = s.get(1..end).unwrap_or_default().replace("''", "'");
        let after = s.get(end + 1..)?.trim_start();
        let value = after.strip_prefix(':')?;
        if !(value.is_empty() || value.starts_with(' ')) {
            return None;
        }
        return Some((key, value));
    }
    if s.starts_with(['[', '{', '#', '&', '*', '!', '|', '>', '%', '@', '`']) {
        return None;
    }
    let mut search = 0;
    while let Some(i) = s[search..].find(':') {
        let at = search + i;
        let next = s.as_bytes().get(at + 1);
        if next.is_none() || next == Some(&b' ') {
            let key = s[..at].trim_end();
            if key.contains(" #") {
                return None;
            }
            return Some((key.to_owned(), &s[at + 1..]));
        }
        search = at + 1;
    }
    None
}

fn strip_comment(v: &str) -> &str {
    if v.starts_with('#') {
        return "";
    }
    match v.find(" #") {
        Some(i) if !v.starts_with(['\'', '"']) => v[..i].trim_end(),
        _ => v,
    }
}

fn strip_anchor(v: &str) -> &str {
    if let Some(rest) = v.strip_prefix('&') {
        return rest.split_once(' ').map(|(_, r)| r.trim_start()).unwrap_or("");
    }
    v
}

/// Opening minus closing brackets outside quotes (approximate, for skipping flow collections).
fn bracket_balance(s: &str) -> i64 {
    let mut depth = 0i64;
    let mut quote: Option<char> = None;
    for c in s.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '[' | '{') => depth += 1,
            (None, ']' | '}') => depth -= 1,
            (None, '#') => break,
            _ => {}
        }
    }
    depth
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_lines() {
        let text = "a: 1\nb:\n  c: x\n  d:\n    - e: 1\n      f: 2\n    - g\n  'h/i': |\n    text\n    more\n  j: [1, 2]\nk:\n- x\n- y: 1\n";
        let idx = LineIndex::new(text);
        assert_eq!(idx.line("/a"), Some(1));
        assert_eq!(idx.line("/b/c"), Some(3));
        assert_eq!(idx.line("/b/d/0"), Some(5));
        assert_eq!(idx.line("/b/d/0/f"), Some(6));
        assert_eq!(idx.line("/b/d/1"), Some(7));
        assert_eq!(idx.line("/b/h~1i"), Some(8));
        assert_eq!(idx.line("/b/j"), Some(11));
        assert_eq!(idx.line("/b/j/1"), Some(11));
        assert_eq!(idx.line("/k/0"), Some(13));
        assert_eq!(idx.line("/k/1/y"), Some(14));
    }

    #[test]
    fn json_lines() {
        let text = "{\n  \"a\": 1,\n  \"b\": {\n    \"c/d\": [\n      1,\n      {\"e\": 2}\n    ]\n  }\n}\n";
        let idx = LineIndex::new(text);
        assert_eq!(idx.line("/a"), Some(2));
        assert_eq!(idx.line("/b"), Some(3));
        assert_eq!(idx.line("/b/c~1d"), Some(4));
        assert_eq!(idx.line("/b/c~1d/0"), Some(5));
        assert_eq!(idx.line("/b/c~1d/1/e"), Some(6));
    }

    #[test]
    fn a_byte_order_mark_is_skipped() {
        let plain = parse_text("a.yaml", "a: 1\nb: [x]\n").ok();
        assert!(plain.is_some());
        assert_eq!(parse_text("a.yaml", "\u{feff}a: 1\nb: [x]\n").ok(), plain);
        assert_eq!(parse_text("a.json", "\u{feff}{\"a\": 1, \"b\": [\"x\"]}").ok(), plain);
        assert_eq!(LineIndex::new("\u{feff}a: 1\nb: 2\n").line("/a"), Some(1));
    }

    #[test]
    fn normalize_folds_dots_lexically() {
        assert_eq!(normalize(Path::new("/r/a/../b/./c.yaml")), Path::new("/r/b/c.yaml"));
        assert_eq!(normalize(Path::new("/r/../../x")), Path::new("/x"));
        assert_eq!(normalize(Path::new("../x")), Path::new("../x"));
    }

    #[test]
    fn yaml_number_keys_become_strings() {
        let v = parse_text("x.yaml", "200: ok\ntrue: 1\n").ok();
        assert_eq!(v, Some(serde_json::json!({"200": "ok", "true": 1})));
    }
}

//! Malformed specs get a clear error with a location, never a panic or a stack overflow:
//! 10,000 levels of nesting in YAML (flow and block) and JSON, alias chains, a 50 MB file,
//! cyclic and dangling `$ref`s (inside a document and across files), and wrong types in every
//! structural place of a real spec. (`parse_limits.rs` covers nested schemas, long `$ref`
//! chains and garbage.)

use chanx_gen::Error;
use chanx_gen::ir::{self, IrOptions};
use chanx_gen::parse::Spec;
use serde_json::{Value, json};

const DEPTH: usize = 10_000;

/// Parse, build and emit; the error, if any.
fn run(name: &str, text: &str) -> Result<(), Error> {
    let spec = Spec::from_text(name, text)?;
    let ir = ir::build(&spec, &IrOptions::default()).map_err(Error::Invalid)?;
    let _ = chanx_gen::emit::ts::emit(&ir);
    let _ = chanx_gen::emit::docs::emit_html(&ir);
    Ok(())
}

fn syntax_error(name: &str, text: &str) -> (Option<usize>, String) {
    match run(name, text) {
        Err(Error::Syntax { line, message, .. }) => (line, message),
        other => panic!("expected a syntax error, got {other:?}"),
    }
}

fn head() -> &'static str {
    "asyncapi: 3.0.0\ninfo: {title: t, version: '1'}\n"
}

#[test]
fn ten_thousand_levels_of_yaml_flow_mappings() {
    let text = format!("{}x: {}1{}\n", head(), "{a: ".repeat(DEPTH), "}".repeat(DEPTH));
    let (line, message) = syntax_error("deep.yaml", &text);
    assert_eq!(line, Some(3), "{message}");
    assert!(message.contains("recursion limit exceeded"), "{message}");
}

#[test]
fn ten_thousand_levels_of_yaml_block_sequences() {
    // `- - - x` nests one block sequence per dash, all on one line.
    let text = format!("{}x:\n  {}x\n", head(), "- ".repeat(DEPTH));
    let (line, message) = syntax_error("deep.yaml", &text);
    assert_eq!(line, Some(4), "{message}");
    assert!(message.contains("recursion limit exceeded"), "{message}");
}

#[test]
fn deep_yaml_block_mappings() {
    // One-space indentation keeps 1,000 levels at half a megabyte.
    let mut text = head().to_owned();
    for depth in 0..1_000 {
        text.push_str(&" ".repeat(depth));
        text.push_str("a:\n");
    }
    let (line, message) = syntax_error("deep.yaml", &text);
    assert!(line.is_some(), "{message}");
    assert!(message.contains("recursion limit exceeded"), "{message}");
}

#[test]
fn ten_thousand_levels_of_json_objects() {
    let text = format!(
        "{{\"asyncapi\": \"3.0.0\", \"info\": {{\"title\": \"t\", \"version\": \"1\"}}, \"x\": {}1{}}}",
        "{\"a\": ".repeat(DEPTH),
        "}".repeat(DEPTH)
    );
    let (line, message) = syntax_error("deep.json", &text);
    assert_eq!(line, Some(1), "{message}");
    assert!(message.contains("recursion limit exceeded"), "{message}");
}

#[test]
fn yaml_alias_chains_cannot_build_deep_or_huge_values() {
    // Each anchor wraps the previous one: depth grows with the number of anchors, not with
    // the nesting written in the text.
    let mut text = format!("{}x:\n  a0: &a0 [1]\n", head());
    for i in 1..DEPTH {
        text.push_str(&format!("  a{i}: &a{i} [*a{}]\n", i - 1));
    }
    assert!(run("alias.yaml", &text).is_err());

    // Billion laughs: ten levels of ten aliases each.
    let mut text = format!("{}x:\n  l0: &l0 [lol]\n", head());
    for i in 1..10 {
        let prev = format!("*l{}", i - 1);
        text.push_str(&format!("  l{i}: &l{i} [{}]\n", vec![prev; 10].join(", ")));
    }
    assert!(run("laughs.yaml", &text).is_err());
}

/// A valid spec whose one message's description holds `size` bytes.
fn big_spec(size: usize) -> String {
    let mut text = String::with_capacity(size + 1024);
    text.push_str(
        "asyncapi: 3.0.0\ninfo: {title: t, version: '1'}\nchannels:\n  c:\n    address: /c\n    messages:\n      m:\n        payload: {type: object, properties: {x: {type: string}}}\n        description: ",
    );
    text.push_str(&"x".repeat(size));
    text.push_str("\noperations:\n  o:\n    action: receive\n    channel: {$ref: '#/channels/c'}\n");
    text
}

#[test]
fn a_fifty_megabyte_file_is_refused_by_size() {
    let text = big_spec(50 * 1024 * 1024);
    let err = run("big.yaml", &text).expect_err("50 MB is over the limit");
    assert!(matches!(err, Error::TooLarge { .. }), "{err:?}");
    assert_eq!(err.to_string(), "big.yaml: the file is larger than the limit of 16777216 bytes");
    // The same from disk, as the root and as a referenced file.
    let dir = tempfile::tempdir().expect("tempdir");
    let big = dir.path().join("big.yaml");
    std::fs::write(&big, &text).expect("write");
    let err = Spec::load(&big).expect_err("50 MB file");
    assert!(matches!(err, Error::TooLarge { .. }), "{err:?}");
    let err = run(&dir.path().join("api.yaml").to_string_lossy(), &doc("    A: {$ref: 'big.yaml#/x'}\n"))
        .expect_err("50 MB referenced file");
    assert!(matches!(err, Error::TooLarge { .. }), "{err:?}");
}

/// An endless file is never opened: an absolute path is refused before any read
/// (`untrusted_files.rs` has the other ways out of the spec's folder).
#[cfg(unix)]
#[test]
fn a_ref_to_an_endless_file_is_refused_unread() {
    let err = run("api.yaml", &doc("    A: {$ref: '/dev/zero#/x'}\n")).expect_err("endless file");
    assert_eq!(
        err.to_string(),
        "api.yaml#/components/schemas/A (line 15): $ref `/dev/zero#/x` is refused: expected a path relative to the referencing file, found an absolute path"
    );
}

#[test]
fn a_large_file_under_the_limit_is_read() {
    run("big.yaml", &big_spec(4 * 1024 * 1024)).expect("4 MB spec");
}

fn doc(schemas: &str) -> String {
    format!(
        "{}channels:\n  c:\n    address: /c\n    messages:\n      m:\n        payload: {{$ref: '#/components/schemas/A'}}\noperations:\n  o:\n    action: receive\n    channel: {{$ref: '#/channels/c'}}\ncomponents:\n  schemas:\n{schemas}",
        head()
    )
}

#[test]
fn cyclic_ref_chains_inside_a_document() {
    let cases = [
        "    A: {$ref: '#/components/schemas/A'}\n",
        "    A: {$ref: '#/components/schemas/B'}\n    B: {$ref: '#/components/schemas/A'}\n",
        "    A: {$ref: '#/components/schemas/B'}\n    B: {$ref: '#/components/schemas/C'}\n    C: {$ref: '#/components/schemas/A'}\n",
    ];
    for schemas in cases {
        match run("cycle.yaml", &doc(schemas)) {
            Err(Error::CyclicRef { location, chain }) => {
                assert_eq!(location.file, "cycle.yaml");
                assert!(location.line.is_some(), "{location}");
                assert!(chain.contains(" -> "), "{chain}");
            }
            other => panic!("{schemas}: expected a cyclic $ref error, got {other:?}"),
        }
    }
    // A channel that is a $ref to itself, an operation's channel that cycles.
    let text = format!("{}channels:\n  c: {{$ref: '#/channels/d'}}\n  d: {{$ref: '#/channels/c'}}\n", head());
    assert!(matches!(run("cycle.yaml", &text), Err(Error::CyclicRef { .. })));
    // The document root as a target (the ref is inside what it points to).
    let text = format!("{}x: {{$ref: '#'}}\n", head());
    let _ = run("root.yaml", &text);
}

#[test]
fn cyclic_ref_chains_across_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("a.yaml"), "A: {$ref: 'b.yaml#/B'}\n").expect("write");
    std::fs::write(dir.path().join("b.yaml"), "B: {$ref: 'a.yaml#/A'}\n").expect("write");
    let root = dir.path().join("api.yaml");
    let text = doc("    A: {$ref: 'a.yaml#/A'}\n");
    let err = run(&root.to_string_lossy(), &text).expect_err("cycle across files");
    assert!(matches!(err, Error::CyclicRef { .. }), "{err:?}");
    // A file that refers to itself from the root document.
    std::fs::write(dir.path().join("self.yaml"), "S: {$ref: 'self.yaml#/S'}\n").expect("write");
    let text = doc("    A: {$ref: 'self.yaml#/S'}\n");
    let err = run(&root.to_string_lossy(), &text).expect_err("self cycle in a file");
    assert!(matches!(err, Error::CyclicRef { .. }), "{err:?}");
}

#[test]
fn dangling_refs_name_the_place() {
    let refs = [
        "#/components/schemas/Nope",
        "#/channels/c/address/deeper",
        "#/channels/c/messages/99",
        "#/%ZZ",
        "#no-slash",
        "missing-file.yaml#/A",
        "missing-file.yaml",
    ];
    for r in refs {
        let text = doc(&format!("    A: {{$ref: '{r}'}}\n"));
        match run("dangling.yaml", &text) {
            Err(Error::DanglingRef { location, reference, reason }) => {
                assert_eq!(reference, r);
                assert_eq!(
                    (location.file.as_str(), location.pointer.as_str()),
                    ("dangling.yaml", "/components/schemas/A")
                );
                assert!(!reason.is_empty());
            }
            other => panic!("{r}: expected a dangling $ref error, got {other:?}"),
        }
    }
}

#[test]
fn refs_that_are_not_strings_are_refused_or_ignored() {
    for r in ["5", "null", "[a]", "{x: 1}", "''"] {
        let text = doc(&format!("    A: {{$ref: {r}}}\n"));
        match run("refs.yaml", &text) {
            Err(Error::Invalid(d)) => assert!(d.iter().all(|d| d.location.file == "refs.yaml"), "{r}: {d:?}"),
            Err(e) => assert!(e.to_string().starts_with("refs.yaml"), "{r}: {e}"),
            Ok(()) => {}
        }
    }
}

/// Every structural node of `specs/chanx-chat.yaml` (outside schemas) replaced by every JSON
/// type (parse and IR): no panic, and every error names the file.
#[test]
fn wrong_types_in_every_structural_place() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../specs/chanx-chat.yaml");
    let text = std::fs::read_to_string(&path).expect("read");
    let original = chanx_gen::load::parse_text("chanx-chat.yaml", &text).expect("parse");
    let mut pointers = Vec::new();
    collect(&original, String::new(), &mut pointers);
    assert!(pointers.len() > 30, "{}", pointers.len());
    let replacements = [json!(null), json!(-1), json!("s"), json!([]), json!({})];
    let mut errors = 0;
    for pointer in &pointers {
        for replacement in &replacements {
            let mut v = original.clone();
            *v.pointer_mut(pointer).expect("pointer from the walk") = replacement.clone();
            let text = serde_json::to_string(&v).expect("serialize");
            let built = Spec::from_text("chanx-chat.json", &text)
                .and_then(|spec| ir::build(&spec, &IrOptions::default()).map_err(Error::Invalid));
            if let Err(e) = built {
                errors += 1;
                let located = match &e {
                    Error::Invalid(d) => {
                        !d.is_empty() && d.iter().all(|d| d.location.file == "chanx-chat.json")
                    }
                    e => e.to_string().starts_with("chanx-chat.json"),
                };
                assert!(located, "{pointer} = {replacement}: {e}");
            }
        }
    }
    assert!(errors > pointers.len(), "too few errors: {errors}");
}

/// Pointers of every node up to three levels deep outside JSON Schemas (`payload`, `schemas`, `headers`), where a
/// wrong type is a shape error rather than a schema problem.
fn collect(v: &Value, at: String, out: &mut Vec<String>) {
    if !at.is_empty() {
        out.push(at.clone());
    }
    let Value::Object(m) = v else { return };
    if at.matches('/').count() >= 3 {
        return;
    }
    for (k, c) in m {
        if matches!(k.as_str(), "payload" | "schemas" | "headers" | "examples") {
            out.push(format!("{at}/{k}"));
            continue;
        }
        collect(c, format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")), out);
    }
}

/// A leading byte-order mark (some editors write one) is skipped in YAML and JSON, and lines
/// are still counted from the first line.
#[test]
fn a_byte_order_mark_is_skipped() {
    let yaml = format!("\u{feff}{}channels:\n  c: {{$ref: '#/nope'}}\n", head());
    match run("bom.yaml", &yaml) {
        Err(Error::DanglingRef { location, .. }) => assert_eq!(location.line, Some(4), "{location}"),
        other => panic!("expected the YAML to parse up to the $ref, got {other:?}"),
    }
    let json = "\u{feff}{\"asyncapi\": \"3.0.0\",\n \"info\": {\"title\": \"t\", \"version\": \"1\"},\n \"channels\": {\"c\": {\"$ref\": \"#/nope\"}}}";
    match run("bom.json", json) {
        Err(Error::DanglingRef { location, .. }) => assert_eq!(location.line, Some(3), "{location}"),
        other => panic!("expected the JSON to parse up to the $ref, got {other:?}"),
    }
    // From disk, too.
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bom.yaml");
    std::fs::write(&path, format!("\u{feff}{}", head())).expect("write");
    assert!(Spec::load(&path).is_ok());
}

/// JSON's parser keeps the last of two equal keys; YAML's refuses them. Both refuse now, JSON
/// with the pointer and line of the second key (inside lists too).
#[test]
fn duplicate_json_keys_are_refused_with_a_location() {
    let json = "{\"asyncapi\": \"3.0.0\",\n \"info\": {\"title\": \"t\", \"version\": \"1\"},\n \"x\": [1, {\"a/b\": 1,\n   \"a/b\": 2}]}";
    match run("dup.json", json) {
        Err(e @ Error::DuplicateKey { .. }) => {
            assert_eq!(
                e.to_string(),
                "dup.json#/x/1/a~1b (line 4): duplicate key `a/b`: a mapping lists each key once"
            );
        }
        other => panic!("expected a duplicate key, got {other:?}"),
    }
    // The same key in two mappings is fine, and values are what serde_json reads.
    let json = "{\"asyncapi\": \"3.0.0\", \"info\": {\"title\": \"t\", \"version\": \"1\"}, \"x\": {\"title\": -1.5e3}}";
    let value = chanx_gen::load::parse_text("ok.json", json).expect("parses");
    assert_eq!(value, serde_json::from_str::<Value>(json).expect("serde_json"));
}

/// A document that is one quoted string (here 1 MB) gets a short error, not itself back.
#[test]
fn a_document_that_is_one_string_is_not_echoed() {
    let text = format!("\"{}\"\n", "secret ".repeat(150_000));
    let err = run("string.yaml", &text).expect_err("not a mapping");
    assert_eq!(
        err.to_string(),
        "string.yaml# (line 1): expected an AsyncAPI document (a mapping), found a string"
    );
}

/// Many files under the per-file limit add up to the per-spec limit: the $ref that crosses it
/// is named, and the files past it are neither parsed nor kept.
#[test]
fn the_files_of_one_spec_are_bounded_together() {
    let dir = tempfile::tempdir().expect("tempdir");
    let filler = format!("# {}\nX: {{type: object}}\n", "x".repeat(15 * 1024 * 1024));
    let mut refs = String::new();
    for i in 0..5 {
        std::fs::write(dir.path().join(format!("f{i}.yaml")), &filler).expect("write");
        refs.push_str(&format!("    A{i}: {{$ref: 'f{i}.yaml#/X'}}\n"));
    }
    let err = run(&dir.path().join("api.yaml").to_string_lossy(), &doc(&refs)).expect_err("80 MB in all");
    assert!(
        matches!(&err, Error::SpecTooLarge { location, .. } if location.pointer == "/components/schemas/A4"),
        "{err:?}"
    );
    assert!(err.to_string().ends_with("larger than the limit of 67108864 bytes together"), "{err}");
}

//! Inputs that once crashed the generator (found by `fuzz/` or the property tests, see
//! RELIABILITY.md), kept as plain tests with the error they must give now.

use chanx_gen::Error;
use chanx_gen::ir::TypeKind;
use chanx_gen::ir::{self, IrOptions};
use chanx_gen::parse::Spec;

fn run(text: &str) -> Result<(), Error> {
    let spec = Spec::from_text("api.yaml", text)?;
    ir::build(&spec, &IrOptions::default()).map(|_| ()).map_err(Error::Invalid)
}

fn doc(schemas: &str) -> String {
    format!(
        "asyncapi: 3.0.0\ninfo: {{title: t, version: '1'}}\nchannels:\n  c:\n    address: /c\n    messages:\n      m:\n        payload: {{$ref: '#/components/schemas/A'}}\noperations:\n  o:\n    action: receive\n    channel: {{$ref: '#/channels/c'}}\ncomponents:\n  schemas:\n{schemas}"
    )
}

/// Stack overflow: a `$ref` whose pointer passes through the `$ref` itself
/// (`A: {$ref: '#/components/schemas/A/properties/nope'}`): following `A/properties` went back
/// to `A`'s `$ref`, recursively and without bound (the hop limit was per call).
#[test]
fn a_ref_through_itself_is_a_chain_error_not_a_stack_overflow() {
    let cases = [
        "    A: {$ref: '#/components/schemas/A/properties/nope'}\n",
        "    A: {$ref: '#/components/schemas/B/x'}\n    B: {$ref: '#/components/schemas/A/y'}\n",
        "    A: {$ref: '#/components/schemas/A/properties/x/items'}\n",
    ];
    for schemas in cases {
        let err = run(&doc(schemas)).expect_err(schemas);
        // Every `$ref` whose chain is too long is named (both of `A` and `B` in the second case).
        let problems = err.diagnostics();
        assert!(!problems.is_empty() && problems.len() <= 2, "{schemas}: {err:?}");
        for d in &problems {
            assert!(
                d.location.file == "api.yaml" && d.location.pointer.starts_with("/components/schemas/"),
                "{d}"
            );
            assert_eq!(d.message, "$ref chain longer than 64 hops", "{d}");
        }
    }
}

/// Stack overflow (found by `prop_spec.rs` with seed 22): a union branch that refers back to the
/// union itself (`ClientMessage: {oneOf: [{$ref: ClientMessage}, ...]}`) made the search for
/// constant (tag) properties recurse forever. Every stage must now finish.
#[test]
fn a_union_branch_referring_to_its_union_does_not_overflow() {
    let schemas = "    A:\n      discriminator: action\n      oneOf:\n        - $ref: '#/components/schemas/A'\n        - {type: object, properties: {action: {const: b}}}\n";
    let text = doc(schemas);
    // Run on a test thread's small stack on purpose: the recursion was unbounded.
    match Spec::from_text("api.yaml", &text).map(|spec| ir::build(&spec, &IrOptions::default())) {
        Ok(Ok(ir)) => {
            let _ = chanx_gen::emit::rust::emit(&ir);
            let _ = chanx_gen::emit::ts::emit(&ir);
            let _ = chanx_gen::emit::docs::emit_html(&ir);
        }
        Ok(Err(diagnostics)) => assert!(!diagnostics.is_empty()),
        Err(e) => panic!("the spec parses: {e}"),
    }
}

fn emit_all(
    name: &str,
    text: &str,
) -> (chanx_gen::ir::Ir, Vec<chanx_gen::emit::GeneratedFile>, Vec<chanx_gen::emit::GeneratedFile>) {
    let spec = Spec::from_text(name, text).expect("parses");
    let ir = ir::build(&spec, &IrOptions::default()).expect("builds");
    let rust = chanx_gen::emit::rust::emit(&ir);
    let ts = chanx_gen::emit::ts::emit(&ir);
    (ir, rust, ts)
}

/// Panic: property names whose characters are alphanumeric but not identifier characters
/// (`x²`, `١abc`) reached `Ident::new`.
#[test]
fn property_names_that_are_not_identifiers_do_not_panic() {
    let (ir, rust, _) = emit_all(
        "api.yaml",
        &doc(
            "    A:\n      type: object\n      properties:\n        x²: {type: string}\n        ١abc: {type: string}\n        𝟙: {type: string}\n",
        ),
    );
    let TypeKind::Struct(s) = &ir.types[0].kind else { panic!("a struct") };
    let fields: Vec<&str> = s.fields.iter().map(|f| f.rust.as_str()).collect();
    assert_eq!(fields, ["x2", "_1abc", "_1"]);
    for f in &rust {
        syn::parse_file(&f.contents).unwrap_or_else(|e| panic!("{}: {e}", f.path));
    }
}

/// Broken Rust: channel keys that are keywords gave a file `r#type.rs` (rustc looks for
/// `type.rs`), `mod` overwrote the root `mod.rs`, a non-ASCII key gave a non-ASCII `mod` name
/// (rustc refuses it without `#[path]`); a channel `chanx` got the TypeScript class
/// `ChanxClient`, shadowing the runtime's import.
#[test]
fn channel_keys_that_are_keywords_or_not_ascii_give_valid_modules() {
    let channel = |k: &str| {
        format!("  {k}:\n    address: /{k}\n    messages:\n      m: {{payload: {{type: object}}}}\n")
    };
    let keys = ["type", "dyn", "mod", "чат", "chanx"];
    let text = format!(
        "asyncapi: 3.0.0\ninfo: {{title: t, version: '1'}}\nchannels:\n{}",
        keys.iter().map(|k| channel(k)).collect::<String>()
    );
    let (ir, rust, ts) = emit_all("api.yaml", &text);
    let files: Vec<&str> = rust.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(files, ["mod.rs", "common.rs", "type.rs", "dyn.rs", "mod_.rs", "chat.rs", "chanx.rs"]);
    let root = &rust[0].contents;
    for line in ["pub mod r#type;", "pub mod r#dyn;", "pub mod mod_;", "pub mod chat;", "pub mod chanx;"] {
        assert!(root.contains(line), "{line} in\n{root}");
    }
    assert_eq!(ir.channels[4].ts_class, "ChanxChannelClient");
    let chanx = ts.iter().find(|f| f.path == "chanx.ts").expect("chanx.ts");
    assert!(chanx.contents.contains("export class ChanxChannelClient extends ChanxClient<"));
}

/// Broken TypeScript: U+2028 in the spec's file name ended the `//` header comment (it is a
/// line terminator in JavaScript), putting the rest of the name in code.
#[test]
fn a_line_separator_in_the_file_name_stays_in_the_header_comment() {
    let (_, rust, ts) =
        emit_all("a\u{2028}injected().yaml", "asyncapi: 3.0.0\ninfo: {title: t, version: '1'}\n");
    for f in rust.iter().chain(&ts) {
        let header = f.contents.lines().next().unwrap_or_default();
        assert!(!f.contents.contains('\u{2028}'), "{}", f.path);
        assert!(header.contains("a\\u{2028}injected().yaml"), "{}: {header}", f.path);
    }
}

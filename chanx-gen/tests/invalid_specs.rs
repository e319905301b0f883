//! Every document in `specs/invalid/` is refused; the error text is pinned by a snapshot, in
//! the layout the CLI and build scripts print ([`GenerateError::report`]). Files named
//! `strict-*` are refused with `--strict` (they generate, with warnings, without it).

use std::path::Path;

use chanx_gen::ir::{self, IrOptions};
use chanx_gen::parse::Spec;
use chanx_gen::{Config, GenerateError};

/// The error text for a spec, or `None` when it builds.
fn error_text(path: &Path) -> Option<String> {
    let strict = path.file_name().is_some_and(|n| n.to_string_lossy().starts_with("strict-"));
    error_text_with(path, strict)
}

fn error_text_with(path: &Path, strict: bool) -> Option<String> {
    Config::new(path).strict(strict).ir().err().as_ref().map(GenerateError::report)
}

#[test]
fn invalid_specs_are_refused_with_a_clear_error() {
    let dir = Path::new("../specs/invalid");
    let mut files: Vec<_> =
        std::fs::read_dir(dir).map(|d| d.flatten().map(|e| e.path()).collect()).unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "yaml" || e == "json"));
    files.sort();
    assert!(files.len() >= 10, "specs/invalid not found");
    for f in files {
        let name = f.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        let Some(text) = error_text(&f) else { panic!("{} should be refused", f.display()) };
        assert!(!text.contains('\r') && text.lines().all(|l| !l.contains('\u{202e}')), "{text}");
        insta::assert_snapshot!(name, text);
    }
}

#[test]
fn refused_messages_are_lower_case_without_trailing_period() {
    for name in ["bad-ref", "remote-ref", "wrong-version", "cyclic-ref"] {
        let text =
            error_text(&Path::new("../specs/invalid").join(format!("{name}.yaml"))).unwrap_or_default();
        assert!(!text.ends_with('.'), "{text}");
        assert!(text.contains(&format!("invalid/{name}.yaml")), "{text}");
    }
}

#[test]
fn strict_specs_build_without_strict() {
    let path = Path::new("../specs/invalid/strict-unsupported-schema-format.yaml");
    assert_eq!(error_text_with(path, false), None);
}

/// The mixed-format spec generates, with one located warning per skipped message.
#[test]
fn skipped_messages_are_located_warnings() {
    let spec = Spec::load(Path::new("../specs/real-world-tags.yaml")).expect("parses");
    let ir = ir::build(&spec, &IrOptions::default()).expect("generates the JSON part");
    assert!(ir.channels.iter().all(|c| c.messages.iter().all(|m| m.key != "userEvent")));
    let text: Vec<String> = ir.warnings.iter().map(ToString::to_string).collect();
    insta::assert_snapshot!("real-world-tags-warnings", text.join("\n"));
}

//! The IR builds for every corpus document (all but the one with remote Avro schemas).

use std::path::{Path, PathBuf};

use chanx_gen::ir::{self, IrOptions};
use chanx_gen::parse::Spec;

/// Loads a corpus document; its files may share a folder one level up (`social-media/common/`),
/// so that level is the root `$ref`s read from.
fn load_corpus(f: &Path) -> chanx_gen::Result<Spec> {
    let up = f.parent().and_then(Path::parent).unwrap_or(Path::new("."));
    Spec::load_within(f, &chanx_gen::load::Root::new(up)?)
}

fn corpus() -> Vec<PathBuf> {
    let roots = [
        concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/asyncapi/examples"),
        concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/asyncapi/real-world"),
        concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/specs-extra"),
    ];
    let mut out = Vec::new();
    for r in roots {
        collect(Path::new(r), &mut out);
    }
    collect(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../specs")), &mut out);
    out.sort();
    out
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            if p.file_name().is_some_and(|n| n != "common" && n != "invalid") {
                collect(&p, out);
            }
        } else if matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml" | "json"))
            && p.file_name().is_some_and(|n| n != "common.yaml")
        {
            out.push(p);
        }
    }
}

#[test]
fn every_corpus_document_builds() {
    let files = corpus();
    assert!(files.len() >= 33, "corpus not found: {files:?}");
    let mut failures = Vec::new();
    let mut report = String::new();
    for f in &files {
        let adeo = f.to_string_lossy().contains("adeo-kafka");
        let spec = match load_corpus(f) {
            Ok(s) => s,
            Err(e) if adeo => {
                assert!(e.to_string().contains("remote $ref `https://"), "{e}");
                continue;
            }
            Err(e) => {
                failures.push(e.to_string());
                continue;
            }
        };
        match ir::build(&spec, &IrOptions::default()) {
            Ok(ir) => {
                report.push_str(&format!("{}: {} types\n", f.display(), ir.types.len()));
                for ch in &ir.channels {
                    report.push_str(&format!(
                        "  {} client {:?} {:?} server {:?} {:?}\n",
                        ch.module,
                        ch.client.tag,
                        ch.client.messages.iter().map(|m| &ch.messages[*m].variant).collect::<Vec<_>>(),
                        ch.server.tag,
                        ch.server.messages.iter().map(|m| &ch.messages[*m].variant).collect::<Vec<_>>()
                    ));
                }
                for w in &ir.warnings {
                    report.push_str(&format!("  warning: {w}\n"));
                }
            }
            Err(d) => failures.extend(d.iter().map(|d| d.to_string())),
        }
    }
    if std::env::var_os("IR_REPORT").is_some() {
        println!("{report}");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

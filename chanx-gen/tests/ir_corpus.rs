//! The IR builds for every corpus document, 3.x and 2.x (all but the one with remote Avro schemas).

use chanx_gen::ir::{self, IrOptions};

mod support;
use support::corpus;

#[test]
fn every_corpus_document_builds() {
    let files = corpus::documents_all_and_repo();
    assert!(files.len() >= 33, "corpus not found: {files:?}");
    let mut failures = Vec::new();
    let mut report = String::new();
    for f in &files {
        let adeo = corpus::is_remote_ref_example(f);
        let spec = match corpus::load(f) {
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

#[test]
fn documents_whose_messages_cannot_be_told_apart_are_refused() {
    let files = corpus::ambiguous_documents();
    assert_eq!(files.len(), 3, "{files:?}");
    for f in &files {
        let spec = corpus::load(f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        let errors = ir::build(&spec, &IrOptions::default()).expect_err("refused");
        for e in &errors {
            let text = e.to_string();
            assert!(
                text.contains("cannot be told apart") || text.contains("have the same `type` value"),
                "{text}"
            );
        }
    }
}

//! `chanx-gen diff` over the whole corpus: every document compared with itself has no change
//! (in both roles), and every document compared with the next one (unrelated specs: the
//! hardest input there is) gives a report whose every change has a place, without panicking.

use chanx_gen::diff::{self, Format};
use chanx_gen::ir::{self, Ir, IrOptions, Role};

mod support;
use support::corpus;

fn irs(role: Role) -> Vec<(String, Ir)> {
    let mut out = Vec::new();
    for f in corpus::documents_3x_and_repo() {
        let Ok(spec) = corpus::load(&f) else { continue };
        if let Ok(ir) = ir::build(&spec, &IrOptions { role, ..IrOptions::default() }) {
            out.push((f.display().to_string(), ir));
        }
    }
    out
}

#[test]
fn every_document_against_itself_has_no_change() {
    for role in [Role::Server, Role::Client] {
        let all = irs(role);
        assert!(all.len() >= 30, "corpus not found: {}", all.len());
        for (name, ir) in &all {
            let report = diff::diff(ir, ir);
            assert_eq!(report.changes, vec![], "{name} ({role:?})");
        }
    }
}

#[test]
fn unrelated_documents_compare_without_panicking() {
    let all = irs(Role::Server);
    for pair in all.windows(2) {
        let [(a_name, a), (b_name, b)] = pair else { continue };
        let report = diff::diff(a, b);
        assert!(!report.changes.is_empty(), "{a_name} → {b_name}: two different documents, no change");
        assert!(report.changes.iter().all(|c| c.location().is_some()), "{a_name} → {b_name}");
        for format in [Format::Text, Format::Markdown, Format::Json] {
            let out = report.render(format, a_name, b_name, diff::Deployed::Both);
            assert!(!out.is_empty());
        }
        assert!(!diff::diff(b, a).changes.is_empty(), "{b_name} → {a_name}: no change");
    }
}

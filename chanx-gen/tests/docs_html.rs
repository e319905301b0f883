//! Docs page: snapshots of the HTML for hand-built IRs, escaping of spec text, and a dump for
//! looking at the page in a browser (`CHANX_DOCS_OUT=DIR`).

mod ts_common;

use chanx_gen::emit::docs;

fn dump(name: &str, html: &str) {
    let Some(out) = std::env::var_os("CHANX_DOCS_OUT") else { return };
    std::fs::create_dir_all(&out).expect("create output dir");
    std::fs::write(std::path::Path::new(&out).join(format!("{name}.html")), html).expect("write page");
}

#[test]
fn chanx_chat_page() {
    let html = docs::emit_html(&ts_common::chanx_chat());
    dump("hand-chanx-chat", &html);
    assert_eq!(html, docs::emit_html(&ts_common::chanx_chat()), "output is deterministic");
    insta::assert_snapshot!(html);
}

#[test]
fn edge_cases_page() {
    let html = docs::emit_html(&ts_common::edge_cases());
    dump("hand-edge-cases", &html);
    insta::assert_snapshot!(html);
}

#[test]
fn page_is_self_contained() {
    let html = docs::emit_html(&ts_common::edge_cases());
    for needle in ["http://", "https://", "<link", "src="] {
        assert!(!html.contains(needle), "page refers to something outside: {needle}");
    }
}

#[test]
fn spec_text_is_html_escaped() {
    let mut ir = ts_common::chanx_chat();
    ir.info.title = "<script>alert(1)</script>".into();
    ir.info.description = Some("a <b>bold</b> & `<code>`".into());
    ir.channels[0].messages[0].description = Some("<img src=x onerror=alert(1)>".into());
    let html = docs::emit_html(&ir);
    assert!(!html.contains("<script>alert"), "title not escaped");
    assert!(!html.contains("<b>bold</b>"), "description not escaped");
    assert!(!html.contains("<img"), "message description not escaped");
    assert!(html.contains("&lt;script&gt;alert(1)"), "title missing");
    assert!(html.contains("<code>&lt;code&gt;</code>"));
}

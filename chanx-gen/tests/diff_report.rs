//! The three formats of a `chanx-gen diff` report on one realistic change to the chat spec
//! (tests/diff/chat-v1.yaml → chat-v2.yaml: shorter room names, a server field no longer
//! required, a capped room list, a new client message, an optional field, a docs edit), and
//! spec text that tries to break out of each format.

use std::path::{Path, PathBuf};

use chanx_gen::Config;
use chanx_gen::diff::{Deployed, Format, Report, Verdict, diff_specs};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/diff")
}

fn chat() -> Report {
    diff_specs(&Config::new(dir().join("chat-v1.yaml")), &Config::new(dir().join("chat-v2.yaml")))
        .expect("both chat versions build")
}

#[test]
fn chat_change_as_text() {
    let report = chat();
    assert!(report.breaking(Deployed::Clients));
    insta::assert_snapshot!(
        "diff_chat_text",
        report.render(Format::Text, "chat-v1.yaml", "chat-v2.yaml", Deployed::Clients)
    );
}

#[test]
fn chat_change_as_markdown() {
    insta::assert_snapshot!(
        "diff_chat_markdown",
        chat().render(Format::Markdown, "chat-v1.yaml", "chat-v2.yaml", Deployed::Clients)
    );
}

#[test]
fn chat_change_as_json() {
    let text = chat().render(Format::Json, "chat-v1.yaml", "chat-v2.yaml", Deployed::Both);
    let doc: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
    assert_eq!(doc["breaking"], true);
    assert_eq!(doc["summary"]["changes"], doc["changes"].as_array().map_or(0, Vec::len));
    insta::assert_snapshot!("diff_chat_json", text);
}

#[test]
fn chat_verdicts_follow_who_sends() {
    let report = chat();
    let find = |message: &str, path: &str| {
        report
            .changes
            .iter()
            .find(|c| c.message.as_deref() == Some(message) && c.path == path)
            .map(|c| c.verdict)
            .unwrap_or_else(|| panic!("no change on {message} at {path}: {:#?}", report.changes))
    };
    assert_eq!(find("join_room_message", "payload.room"), Verdict::BreaksClients);
    assert_eq!(find("chat_notification", "payload.sender"), Verdict::BreaksClients);
    assert_eq!(find("joined_message", "payload.rooms"), Verdict::BreaksServers);
    assert_eq!(find("typing_message", ""), Verdict::BreaksServers);
    assert_eq!(find("chat_message", "payload.reply_to"), Verdict::Safe);
}

#[test]
fn spec_text_cannot_break_out_of_a_format() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let old = std::fs::read_to_string(dir().join("chat-v1.yaml")).expect("read");
    let hostile = "\"x|</code><script>@team #1\\n\\u202e`**\"";
    let new = old.replace(
        "        room:\n          maxLength: 64",
        &format!("        {hostile}:\n          type: string\n        room:\n          maxLength: 64"),
    );
    let new = new.replacen(
        "      required:\n      - room\n      title: RoomPayload",
        &format!("      required:\n      - room\n      - {hostile}\n      title: RoomPayload"),
        1,
    );
    assert_ne!(old, new);
    std::fs::write(tmp.path().join("old.yaml"), &old).expect("write");
    std::fs::write(tmp.path().join("new.yaml"), &new).expect("write");
    let report =
        diff_specs(&Config::new(tmp.path().join("old.yaml")), &Config::new(tmp.path().join("new.yaml")))
            .expect("both build");
    assert!(report.breaking(Deployed::Clients), "{:#?}", report.changes);
    let md = report.render(Format::Markdown, "old.yaml", "new.yaml", Deployed::Clients);
    for forbidden in ["<script>", "</code><", "&lt;script&gt;@team", "\u{202e}", "|</", "**", "#1\n"] {
        assert!(!md.contains(forbidden), "markdown holds {forbidden:?}:\n{md}");
    }
    assert!(md.contains("\\@team \\#1"), "mentions and references are escaped:\n{md}");
    let rows = md.lines().filter(|l| l.starts_with("| ")).count();
    assert_eq!(rows, report.changes.len() + 1, "one table row per change:\n{md}");
    let text = report.render(Format::Text, "old.yaml", "new.yaml", Deployed::Clients);
    assert!(!text.contains('\u{202e}') && text.contains("\\u{202e}"), "{text}");
    assert!(!text.contains("#1\n"), "{text}");
    let json = report.render(Format::Json, "old.yaml", "new.yaml", Deployed::Clients);
    let doc: serde_json::Value = serde_json::from_str(&json).expect("valid JSON");
    assert!(
        doc["changes"]
            .as_array()
            .is_some_and(|c| c.iter().any(|c| c["path"].as_str().is_some_and(|p| p.contains("#1\n"))))
    );
}

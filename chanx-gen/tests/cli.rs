//! The command line as a user sees it: help text, exit codes, `check` diffs.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_chanx-gen"))
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root").to_owned()
}

fn spec(name: &str) -> PathBuf {
    repo().join("specs").join(name)
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("run chanx-gen")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn help_lists_every_command() {
    let out = run(bin().arg("--help"));
    assert_eq!(out.status.code(), Some(0));
    insta::assert_snapshot!("help", String::from_utf8_lossy(&out.stdout));
    let out = run(bin().args(["generate", "--help"]));
    assert_eq!(out.status.code(), Some(0));
    insta::assert_snapshot!("help_generate", String::from_utf8_lossy(&out.stdout));
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(run(bin().arg("generate")).status.code(), Some(2));
    assert_eq!(run(bin().arg("frobnicate")).status.code(), Some(2));
    let out = run(bin().args(["generate", "x.yaml", "-o", "out", "--rust-only", "--ts-only"]));
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

#[test]
fn generate_then_check_is_clean_and_detects_drift() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("api");
    let generated = run(bin().arg("generate").arg(spec("chanx-chat.yaml")).arg("-o").arg(&out));
    assert_eq!(generated.status.code(), Some(0), "{}", stderr(&generated));
    assert!(out.join("rust/mod.rs").exists());
    assert!(out.join("ts/index.ts").exists());

    let check = run(bin().arg("check").arg(spec("chanx-chat.yaml")).arg("-o").arg(&out));
    assert_eq!(check.status.code(), Some(0), "{}", stderr(&check));

    // A hand edit is stale output: exit 1 with a diff that restores the generated line.
    let chat = out.join("rust/chat.rs");
    let original = std::fs::read_to_string(&chat).expect("read chat.rs");
    let edited = original.replacen("pub struct Chat;", "pub struct Chat; // edited", 1);
    assert_ne!(original, edited);
    std::fs::write(&chat, &edited).expect("edit chat.rs");
    let check = run(bin().arg("check").arg(spec("chanx-chat.yaml")).arg("-o").arg(&out));
    assert_eq!(check.status.code(), Some(1));
    let diff = String::from_utf8_lossy(&check.stdout);
    assert!(diff.contains("-pub struct Chat; // edited"), "{diff}");
    assert!(diff.contains("+pub struct Chat;"), "{diff}");
    assert!(stderr(&check).contains("differ from what `chanx-gen generate` would write"));

    // A removed file is reported too.
    std::fs::remove_file(out.join("ts/index.ts")).expect("remove index.ts");
    let check = run(bin().arg("check").arg(spec("chanx-chat.yaml")).arg("-o").arg(&out));
    assert_eq!(check.status.code(), Some(1));

    // Generating again repairs everything.
    let generated = run(bin().arg("generate").arg(spec("chanx-chat.yaml")).arg("-o").arg(&out));
    assert_eq!(generated.status.code(), Some(0));
    let check = run(bin().arg("check").arg(spec("chanx-chat.yaml")).arg("-o").arg(&out));
    assert_eq!(check.status.code(), Some(0));
}

#[test]
fn output_is_deterministic_and_matches_the_library() {
    let dir = tempfile::tempdir().expect("temp dir");
    for name in ["a", "b"] {
        let generated =
            run(bin().arg("generate").arg(spec("chat-ws.yaml")).arg("-o").arg(dir.path().join(name)));
        assert_eq!(generated.status.code(), Some(0), "{}", stderr(&generated));
    }
    let rendered = chanx_gen::Config::new(spec("chat-ws.yaml")).render().expect("render");
    assert!(!rendered.is_empty());
    for file in rendered {
        let a = std::fs::read_to_string(dir.path().join("a").join(&file.path)).expect("read a");
        let b = std::fs::read_to_string(dir.path().join("b").join(&file.path)).expect("read b");
        assert_eq!(a, b, "{} differs between two runs", file.path);
        assert_eq!(a, file.contents, "{} differs between CLI and library", file.path);
        assert!(!a.contains(&*repo().to_string_lossy()), "{} leaks an absolute path", file.path);
    }
}

#[test]
fn rust_only_and_ts_only_select_one_side() {
    let dir = tempfile::tempdir().expect("temp dir");
    let generated =
        run(bin().arg("generate").arg(spec("chanx-chat.yaml")).arg("-o").arg(dir.path()).arg("--rust-only"));
    assert_eq!(generated.status.code(), Some(0));
    assert!(dir.path().join("rust/mod.rs").exists());
    assert!(!dir.path().join("ts").exists());
    let generated =
        run(bin().arg("generate").arg(spec("chanx-chat.yaml")).arg("-o").arg(dir.path()).arg("--ts-only"));
    assert_eq!(generated.status.code(), Some(0));
    assert!(dir.path().join("ts/index.ts").exists());
}

#[test]
fn invalid_specs_exit_1_with_located_errors() {
    let adeo = Path::new("tests/corpus/asyncapi/examples/adeo-kafka-request-reply-asyncapi.yml");
    let adeo = repo().join(adeo);
    let out = run(bin().arg("validate").arg(&adeo));
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("adeo-kafka-request-reply-asyncapi.yml#/components/messages/"), "{err}");
    assert!(err.contains("remote $ref"), "{err}");

    let out = run(bin().arg("validate").arg(repo().join("specs/does-not-exist.yaml")));
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("does-not-exist.yaml"));
}

#[test]
fn validate_summarises_a_good_spec() {
    let out = run(bin().arg("validate").arg(spec("chanx-chat.yaml")));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("ok (1 channel(s), 10 message(s)"), "{}", stderr(&out));
}

#[test]
fn docs_writes_one_html_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("chat.html");
    let out = run(bin().arg("docs").arg(spec("chanx-chat.yaml")).arg("-o").arg(&file));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let html = std::fs::read_to_string(&file).expect("read html");
    assert!(html.contains("chat_notification"));
    assert!(!html.contains("http://") || !html.contains("<script src="), "page must be self-contained");
}

#[test]
fn message_formats_for_ci_list_every_problem() {
    let several = repo().join("specs/invalid/several-refs.yaml");
    let out = run(bin().args(["validate", "--message-format", "json"]).arg(&several));
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<serde_json::Value> =
        stdout.lines().map(|l| serde_json::from_str(l).expect("one JSON object per line")).collect();
    assert_eq!(lines.len(), 4, "{stdout}");
    assert!(lines.iter().all(
        |l| l["level"] == "error" && l["file"].as_str().is_some_and(|f| f.ends_with("several-refs.yaml"))
    ));
    assert_eq!(lines[0]["pointer"], "/operations/sendPing/action");
    assert_eq!(lines[0]["line"], 20);
    assert!(stderr(&out).contains("error: 4 problems in the spec"), "{}", stderr(&out));

    let out = run(bin().args(["validate", "--message-format", "github"]).arg(&several));
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.lines().filter(|l| l.starts_with("::error file=")).count(), 4, "{stdout}");
    assert!(
        stdout.contains(",line=10,title=chanx-gen::$ref `#/components/schemas/Pingg` points to nothing"),
        "{stdout}"
    );
}

#[test]
fn generate_prints_the_specs_warnings() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = std::fs::read_to_string(spec("chanx-chat.yaml")).expect("chat spec");
    // A message no operation uses: generation goes on, and says what vanished.
    let text = text.replacen("messages:\n", "messages:\n      orphan:\n        payload: {type: object}\n", 1);
    let spec = dir.path().join("api.yaml");
    std::fs::write(&spec, text).expect("write");
    let out = run(bin().arg("generate").arg(&spec).arg("-o").arg(dir.path().join("out")));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("warning: "), "{}", stderr(&out));
    let out = run(bin()
        .args(["generate", "--message-format", "json"])
        .arg(&spec)
        .arg("-o")
        .arg(dir.path().join("out")));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.lines().any(|l| l.contains("\"level\":\"warning\"")), "{stdout}");
}

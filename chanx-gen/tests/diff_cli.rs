//! `chanx-gen diff` as CI runs it: exit codes (0 nothing breaks, 1 something breaks the
//! deployed side, 2 usage error or unreadable spec), formats, and `--git REV:PATH` reading a
//! committed multi-file spec (its `$ref`d files from the same revision, confined as on disk).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_chanx-gen"))
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root").to_owned()
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/diff").join(name)
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("run chanx-gen")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn every_bundled_spec_against_itself_exits_0() {
    for spec in ["chanx-chat.yaml", "chat-ws.yaml", "hostile-text.yaml"] {
        let path = repo().join("specs").join(spec);
        let out = run(bin().arg("diff").arg(&path).arg(&path));
        assert_eq!(out.status.code(), Some(0), "{spec}: {}{}", stdout(&out), stderr(&out));
        assert!(stdout(&out).contains("0 changes"), "{spec}: {}", stdout(&out));
    }
}

#[test]
fn a_breaking_change_exits_1_and_a_safe_one_0() {
    let out = run(bin().arg("diff").arg(fixture("chat-v1.yaml")).arg(fixture("chat-v2.yaml")));
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("breaks deployed clients: chat / join_room_message (client → server) at payload.room"),
        "{text}"
    );
    assert!(text.trim_end().ends_with("3 changes break deployed clients"), "{text}");
    // Only the safe part of the change: a docs edit and an optional field.
    let tmp = tempfile::tempdir().expect("temp dir");
    let old = std::fs::read_to_string(fixture("chat-v1.yaml")).expect("read");
    let new = old.replace("description: Room chat sample", "description: Room chat sample, version two");
    std::fs::write(tmp.path().join("new.yaml"), new).expect("write");
    let out = run(bin().arg("diff").arg(fixture("chat-v1.yaml")).arg(tmp.path().join("new.yaml")));
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("safe: document\n  `info.description` changed (docs only)"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn deployed_chooses_which_side_gates() {
    // Longer room names: wider for a message the client sends. Deployed clients are fine; a
    // client built from the new spec may send what a deployed server rejects.
    let tmp = tempfile::tempdir().expect("temp dir");
    let old = std::fs::read_to_string(fixture("chat-v1.yaml")).expect("read");
    std::fs::write(tmp.path().join("new.yaml"), old.replace("maxLength: 64", "maxLength: 128"))
        .expect("write");
    let code = |deployed: &str| {
        let out = run(bin()
            .arg("diff")
            .arg(fixture("chat-v1.yaml"))
            .arg(tmp.path().join("new.yaml"))
            .args(["--deployed", deployed]));
        assert!(
            stdout(&out).contains("breaks deployed servers: chat / join_room_message"),
            "{}",
            stdout(&out)
        );
        out.status.code()
    };
    assert_eq!(code("clients"), Some(0));
    assert_eq!(code("servers"), Some(1));
    assert_eq!(code("both"), Some(1));
}

#[test]
fn the_readme_shows_a_real_report() {
    let out = run(bin().current_dir(repo()).args([
        "diff",
        "chanx-gen/tests/diff/chat-v1.yaml",
        "chanx-gen/tests/diff/chat-v2.yaml",
    ]));
    assert_eq!(out.status.code(), Some(1));
    let readme = std::fs::read_to_string(repo().join("README.md")).expect("README");
    let shown = format!(
        "$ chanx-gen diff chanx-gen/tests/diff/chat-v1.yaml chanx-gen/tests/diff/chat-v2.yaml\n{}$ echo $?\n1\n",
        stdout(&out)
    );
    assert!(readme.contains(&shown), "README.md's diff report is stale; it is now:\n{shown}");
}

#[test]
fn formats() {
    let out = run(bin()
        .arg("diff")
        .arg(fixture("chat-v1.yaml"))
        .arg(fixture("chat-v2.yaml"))
        .args(["--format", "json"]));
    assert_eq!(out.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON on stdout");
    assert_eq!(doc["breaking"], true);
    let out = run(bin()
        .arg("diff")
        .arg(fixture("chat-v1.yaml"))
        .arg(fixture("chat-v2.yaml"))
        .args(["--format", "markdown"]));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).starts_with("### ❌ chanx-gen diff: 3 changes break deployed clients"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn role_client_reads_both_from_the_client_side() {
    let out = run(bin()
        .arg("diff")
        .arg(fixture("chat-v1.yaml"))
        .arg(fixture("chat-v2.yaml"))
        .args(["--role", "client"]));
    let text = stdout(&out);
    assert!(text.contains("chat / join_room_message (server → client) at payload.room"), "{text}");
    assert!(text.contains("breaks deployed servers: chat / join_room_message"), "{text}");
}

#[test]
fn usage_errors_exit_2() {
    let chat = fixture("chat-v1.yaml");
    assert_eq!(run(bin().arg("diff")).status.code(), Some(2));
    assert_eq!(run(bin().arg("diff").arg(&chat)).status.code(), Some(2), "NEW alone needs --git");
    assert_eq!(run(bin().arg("diff").arg(&chat).arg(&chat).arg(&chat)).status.code(), Some(2));
    assert_eq!(run(bin().arg("diff").arg(&chat).arg(&chat).args(["--format", "xml"])).status.code(), Some(2));
    let out = run(bin().arg("diff").arg(&chat).arg(&chat).args(["--git", "HEAD:x.yaml"]));
    assert_eq!(out.status.code(), Some(2), "--git takes NEW only");
    assert!(stderr(&out).contains("with --git, give NEW only"), "{}", stderr(&out));
    let out = run(bin().arg("diff").arg(&chat).arg(repo().join("specs/invalid/bad-ref.yaml")));
    assert_eq!(out.status.code(), Some(2), "an invalid NEW is not a verdict");
    assert!(stderr(&out).contains("error: cannot read NEW"), "{}", stderr(&out));
    let out = run(bin().arg("diff").arg("missing.yaml").arg(&chat));
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("cannot read OLD"), "{}", stderr(&out));
}

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "user.name=Test", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false"])
        .args(args)
        .output()
        .expect("run git");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// A repository with the multi-file chat spec committed under api/.
fn repository() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().expect("temp dir");
    let api = tmp.path().join("api");
    std::fs::create_dir(&api).expect("mkdir");
    for f in ["chat-ws.yaml", "common.yaml"] {
        std::fs::copy(repo().join("specs").join(f), api.join(f)).expect("copy");
    }
    git(tmp.path(), &["init", "-q"]);
    git(tmp.path(), &["add", "."]);
    git(tmp.path(), &["commit", "-q", "-m", "v1"]);
    tmp
}

#[test]
fn git_compares_with_the_committed_version_and_its_ref_files() {
    let tmp = repository();
    let dir = tmp.path();
    let same =
        run(bin().current_dir(dir).args(["diff", "--git", "HEAD:api/chat-ws.yaml", "api/chat-ws.yaml"]));
    assert_eq!(same.status.code(), Some(0), "{}{}", stdout(&same), stderr(&same));
    assert!(
        stdout(&same).starts_with("chanx-gen diff HEAD:api/chat-ws.yaml → api/chat-ws.yaml: 0 changes"),
        "{}",
        stdout(&same)
    );
    // Narrow a schema of the referenced file only: the committed common.yaml must be the one
    // compared against, so the change shows.
    let common = dir.join("api/common.yaml");
    let text = std::fs::read_to_string(&common).expect("read");
    std::fs::write(&common, text.replace("enum: [online, away, offline]", "enum: [online, offline]"))
        .expect("write");
    let out =
        run(bin().current_dir(dir).args(["diff", "--git", "HEAD:api/chat-ws.yaml", "api/chat-ws.yaml"]));
    let report = stdout(&out);
    assert!(report.contains("value `away` removed"), "{report}{}", stderr(&out));
    assert!(report.contains("--> common.yaml#/User/properties/status/enum"), "{report}");
    // From a subfolder, `./PATH` is relative to it (git's own rule).
    let sub = run(bin().current_dir(dir.join("api")).args([
        "diff",
        "--git",
        "HEAD:./chat-ws.yaml",
        "chat-ws.yaml",
    ]));
    assert_eq!(
        stdout(&sub).replace("HEAD:./chat-ws.yaml → chat-ws.yaml", ""),
        report.replace("HEAD:api/chat-ws.yaml → api/chat-ws.yaml", "")
    );
    // --root names the folder $refs may read from, at REV as on disk.
    let rooted = run(bin().current_dir(dir).args([
        "diff",
        "--git",
        "HEAD:api/chat-ws.yaml",
        "api/chat-ws.yaml",
        "--root",
        ".",
    ]));
    assert_eq!(stdout(&rooted), report);
    // The work tree and the index are untouched.
    let status =
        Command::new("git").arg("-C").arg(dir).args(["status", "--porcelain"]).output().expect("git status");
    assert_eq!(String::from_utf8_lossy(&status.stdout), " M api/common.yaml\n");
}

#[test]
fn git_errors_exit_2_and_name_the_revision() {
    let tmp = repository();
    let dir = tmp.path();
    let out =
        run(bin().current_dir(dir).args(["diff", "--git", "nosuchrev:api/chat-ws.yaml", "api/chat-ws.yaml"]));
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).starts_with("error: --git nosuchrev:api/chat-ws.yaml: "), "{}", stderr(&out));
    let out =
        run(bin().current_dir(dir).args(["diff", "--git", "HEAD:api/missing.yaml", "api/chat-ws.yaml"]));
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no file api/missing.yaml in HEAD"), "{}", stderr(&out));
    let out = run(bin().current_dir(dir).args(["diff", "--git", "HEAD", "api/chat-ws.yaml"]));
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("expected REV:PATH"), "{}", stderr(&out));
}

#[cfg(unix)]
#[test]
fn git_keeps_ref_confinement() {
    // A committed symbolic link that leads out of the spec's folder is refused, as on disk; the
    // error names the revision, not the temporary copy.
    let tmp = repository();
    let dir = tmp.path();
    std::fs::write(dir.join("secret.yaml"), "User: {type: object}\n").expect("write");
    // Absolute, to a file that exists outside the spec's folder.
    std::os::unix::fs::symlink(dir.join("secret.yaml"), dir.join("api/common.yaml.link")).expect("symlink");
    let spec = dir.join("api/chat-ws.yaml");
    let text = std::fs::read_to_string(&spec).expect("read");
    std::fs::write(&spec, text.replace("common.yaml#", "common.yaml.link#")).expect("write");
    git(dir, &["add", "."]);
    git(dir, &["commit", "-q", "-m", "link"]);
    let out =
        run(bin().current_dir(dir).args(["diff", "--git", "HEAD:api/chat-ws.yaml", "specs-unused.yaml"]));
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("HEAD:api/"), "{err}");
    assert!(!err.contains("chanx-gen-diff-"), "the temporary folder is not shown: {err}");
    assert!(err.contains("outside") || err.contains("symbolic link"), "{err}");
    assert!(!err.contains("type: object"), "no file content in errors: {err}");
}

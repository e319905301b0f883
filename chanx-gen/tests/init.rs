//! `chanx-gen init`: the project it writes builds and passes its own tests (offline, on the
//! crates of this repository), and it never overwrites or writes through a symbolic link.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root").to_owned()
}

fn chanx_gen(args: &[&std::ffi::OsStr]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_chanx-gen")).args(args).output().expect("run chanx-gen")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn files_under(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read dir").flatten() {
            let path = entry.path();
            if entry.file_type().expect("file type").is_dir() {
                stack.push(path);
            } else {
                out.push(path.strip_prefix(dir).expect("inside").to_string_lossy().into_owned());
            }
        }
    }
    out.sort();
    out
}

/// `cargo test` in the project, offline, with `chanx` and `chanx-gen` patched to this
/// repository's crates and the repository's lock file (so the versions are the ones already
/// in the local registry cache). One target folder under target/ serves every run.
fn cargo_test(project: &Path) -> Output {
    std::fs::copy(repo().join("Cargo.lock"), project.join("Cargo.lock")).expect("copy Cargo.lock");
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).join("init-projects");
    let patch = |name: &str, dir: &str| {
        format!("patch.crates-io.{name}.path={:?}", repo().join(dir).to_string_lossy())
    };
    Command::new(env!("CARGO"))
        .current_dir(project)
        .args(["test", "--offline", "--quiet", "--config"])
        .arg(patch("chanx", "runtime"))
        .arg("--config")
        .arg(patch("chanx-gen", "chanx-gen"))
        .env("CARGO_TARGET_DIR", target)
        .env_remove("RUSTFLAGS")
        .output()
        .expect("run cargo")
}

#[test]
fn scaffolds_build_and_pass_their_tests() {
    let dir = tempfile::tempdir().expect("temp dir");
    let starter = dir.path().join("starter-chat");
    let out = chanx_gen(&["init".as_ref(), starter.as_os_str()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        files_under(&starter),
        [
            ".gitignore",
            "Cargo.toml",
            "api/chat.yaml",
            "build.rs",
            "src/handler.rs",
            "src/lib.rs",
            "src/main.rs",
            "tests/api.rs"
        ]
    );
    let manifest = std::fs::read_to_string(starter.join("Cargo.toml")).expect("Cargo.toml");
    assert!(manifest.contains("name = \"starter-chat\""), "{manifest}");
    assert!(
        manifest.contains("chanx = { version = \"0.1\", features = [\"axum\", \"yaml\"] }"),
        "{manifest}"
    );
    assert!(manifest.contains("chanx-gen = { version = \"0.1\", default-features = false }"), "{manifest}");
    assert!(!manifest.contains("path"), "the written manifest names crates.io versions only: {manifest}");

    // A spec that $refs another file: both are copied, at the same place relative to each other.
    let ws = dir.path().join("ws");
    let spec = repo().join("specs/chat-ws.yaml");
    let out = chanx_gen(&["init".as_ref(), ws.as_os_str(), "--spec".as_ref(), spec.as_os_str()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(ws.join("api/chat-ws.yaml").is_file() && ws.join("api/common.yaml").is_file());

    // Seven channels, all at `/`: the handler file has a module per channel, the app mounts
    // the first (one path serves one channel), and every channel is tested on its endpoint.
    let kraken = dir.path().join("kraken");
    let spec = repo()
        .join("tests/corpus/asyncapi/examples/kraken-websocket-request-reply-multiple-channels-asyncapi.yml");
    let out = chanx_gen(&["init".as_ref(), kraken.as_os_str(), "--spec".as_ref(), spec.as_os_str()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let handler = std::fs::read_to_string(kraken.join("src/handler.rs")).expect("handler.rs");
    assert_eq!(handler.matches("\nmod ").count(), 7, "{handler}");

    for (project, tests) in [(&starter, 2), (&ws, 2), (&kraken, 8)] {
        let out = cargo_test(project);
        let stdout = text(&out.stdout);
        assert!(
            out.status.success(),
            "cargo test in {}:\n{stdout}\n{}",
            project.display(),
            text(&out.stderr)
        );
        assert!(stdout.contains(&format!("test result: ok. {tests} passed")), "{stdout}");
        assert!(!text(&out.stderr).contains("warning"), "{}", text(&out.stderr));
    }
    // The server refuses a bad port with a message (it listens on 127.0.0.1 otherwise).
    let server = Path::new(env!("CARGO_TARGET_TMPDIR")).join("init-projects/debug/starter-chat");
    let out = Command::new(server).arg("not-a-port").output().expect("run the server");
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).starts_with("error: invalid port `not-a-port`"), "{}", text(&out.stderr));
}

#[test]
fn init_refuses_to_overwrite_and_lists_every_file_it_would() {
    let dir = tempfile::tempdir().expect("temp dir");
    let project = dir.path().join("app");
    std::fs::create_dir_all(project.join("src")).expect("mkdir");
    std::fs::write(project.join("Cargo.toml"), "[package]\nname = \"mine\"\n").expect("write");
    std::fs::write(project.join("src/main.rs"), "fn main() {}\n").expect("write");
    let out = chanx_gen(&["init".as_ref(), project.as_os_str()]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.starts_with("error: refusing to overwrite: "), "{err}");
    assert!(err.contains("Cargo.toml") && err.contains("main.rs"), "{err}");
    // Nothing was written, not even the files that did not exist.
    assert_eq!(files_under(&project), ["Cargo.toml", "src/main.rs"]);
    assert_eq!(
        std::fs::read_to_string(project.join("Cargo.toml")).expect("read"),
        "[package]\nname = \"mine\"\n"
    );
}

#[cfg(unix)]
#[test]
fn init_never_writes_through_a_symbolic_link() {
    let dir = tempfile::tempdir().expect("temp dir");
    let elsewhere = dir.path().join("elsewhere");
    std::fs::create_dir(&elsewhere).expect("mkdir");
    let project = dir.path().join("app");
    std::fs::create_dir(&project).expect("mkdir");
    std::os::unix::fs::symlink(&elsewhere, project.join("src")).expect("symlink a folder");
    std::os::unix::fs::symlink(elsewhere.join("b.rs"), project.join("build.rs")).expect("dangling symlink");
    let out = chanx_gen(&["init".as_ref(), project.as_os_str()]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("build.rs") && err.contains(&*project.join("src").to_string_lossy()), "{err}");
    assert!(files_under(&elsewhere).is_empty(), "wrote through the link");
    assert!(!project.join("Cargo.toml").exists());

    // DIR itself a link: refused too.
    let linked = dir.path().join("linked");
    std::os::unix::fs::symlink(&elsewhere, &linked).expect("symlink DIR");
    let out = chanx_gen(&["init".as_ref(), linked.as_os_str()]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(files_under(&elsewhere).is_empty());
}

#[test]
fn a_spec_that_is_invalid_is_reported_like_validate_does() {
    let dir = tempfile::tempdir().expect("temp dir");
    let spec = repo().join("specs/invalid/multiple-problems.yaml");
    let project = dir.path().join("app");
    let out = chanx_gen(&["init".as_ref(), project.as_os_str(), "--spec".as_ref(), spec.as_os_str()]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert_eq!(err.matches("error: ").count(), 4, "{err}");
    assert!(err.trim_end().ends_with("error: 3 problems in the spec"), "{err}");
    assert!(err.contains("multiple-problems.yaml#/channels/chat/messages/b"), "{err}");
    assert!(!project.exists());
}

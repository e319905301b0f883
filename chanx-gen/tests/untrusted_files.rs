//! A spec and its output folder may come from a pull request. These tests build hostile trees
//! in temporary folders: `$ref`s that try to leave the spec's folder (absolute, `..`, encoded,
//! through symbolic links), FIFOs and devices, secrets that must not reach an error message;
//! output folders with symbolic links, a manifest that lies, and files `generate` must never
//! delete.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use chanx_gen::error::Refusal;
use chanx_gen::load::Root;
use chanx_gen::parse::Spec;
use chanx_gen::write::{self, MANIFEST, OutputFile, WriteError};
use chanx_gen::{Config, Error};

const SECRET: &str = "ghp_SECRETtoken0123456789";

/// A valid spec whose one message payload is `{$ref: <reference>}`.
fn spec_referencing(reference: &str) -> String {
    format!(
        "asyncapi: 3.0.0\ninfo: {{title: t, version: '1'}}\nchannels:\n  c:\n    address: /ws\n    messages:\n      m:\n        payload: {{$ref: '{reference}'}}\noperations:\n  o:\n    action: receive\n    channel: {{$ref: '#/channels/c'}}\n"
    )
}

/// `<tmp>/secret.yaml` and `<tmp>/secret.json` (outside the spec folder) and `<tmp>/specs/`.
struct Tree {
    tmp: tempfile::TempDir,
}

impl Tree {
    fn new() -> Tree {
        let tmp = tempfile::tempdir().expect("tempdir");
        let secret_yaml = format!("x:\n  type: object\n  description: {SECRET}\n");
        std::fs::write(tmp.path().join("secret.yaml"), secret_yaml).expect("write secret");
        std::fs::write(tmp.path().join("secret.json"), format!("{{\"token\": \"{SECRET}\"}}"))
            .expect("write");
        std::fs::create_dir(tmp.path().join("specs")).expect("mkdir specs");
        Tree { tmp }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.tmp.path().join(rel)
    }

    fn specs(&self) -> PathBuf {
        self.path("specs")
    }

    /// Writes `specs/api.yaml` referencing `reference` and loads it (default root).
    fn load(&self, reference: &str) -> Result<Spec, Error> {
        let api = self.specs().join("api.yaml");
        std::fs::write(&api, spec_referencing(reference)).expect("write api");
        Spec::load(&api)
    }
}

/// The error, checked to quote nothing of the secret files.
fn refused(result: Result<Spec, Error>) -> Error {
    let err = match result {
        Ok(_) => panic!("expected the spec to be refused"),
        Err(e) => e,
    };
    let text = err.to_string();
    assert!(!text.contains(SECRET), "the error quotes a referenced file: {text}");
    assert!(!text.contains('\n'), "{text}");
    err
}

fn why(err: &Error) -> &Refusal {
    match err {
        Error::RefusedRef { why, .. } | Error::RefusedFile { why, .. } => why,
        other => panic!("expected a refused file, got {other:?}"),
    }
}

#[test]
fn absolute_refs_are_refused() {
    let tree = Tree::new();
    let secret = tree.path("secret.yaml");
    let err = refused(tree.load(&format!("{}#/x", secret.display())));
    assert_eq!(why(&err), &Refusal::Absolute);
    assert!(err.to_string().contains("api.yaml#/channels/c/messages/m/payload (line 8)"), "{err}");
    let err = refused(tree.load("/etc/passwd"));
    assert_eq!(why(&err), &Refusal::Absolute);
    // A `file:` URL is a remote reference: refused too.
    let err = tree.load(&format!("file://{}#/x", secret.display())).map(|_| ()).expect_err("file: URL");
    assert!(matches!(err, Error::RemoteRef { .. }), "{err:?}");
    assert!(!err.to_string().contains(SECRET), "{err}");
}

#[test]
fn dot_dot_past_the_spec_folder_is_refused() {
    let tree = Tree::new();
    let err = refused(tree.load("../secret.yaml#/x"));
    assert!(matches!(why(&err), Refusal::OutsideRoot { .. }), "{err:?}");
    assert!(err.to_string().contains("is outside the root folder"), "{err}");
    // Down and up again past the root, too.
    std::fs::create_dir(tree.specs().join("sub")).expect("mkdir");
    let err = refused(tree.load("sub/../../secret.yaml#/x"));
    assert!(matches!(why(&err), Refusal::OutsideRoot { .. }), "{err:?}");
}

#[test]
fn encoded_separators_and_dots_are_refused() {
    let tree = Tree::new();
    for reference in
        ["..%2Fsecret.yaml#/x", "..%2fsecret.yaml#/x", "%2e%2e/secret.yaml#/x", "%2E%2E%2Fsecret.yaml"]
    {
        let err = refused(tree.load(reference));
        assert_eq!(why(&err), &Refusal::EncodedSeparator, "{reference}");
    }
    let err = refused(tree.load("..\\\\secret.yaml#/x"));
    assert_eq!(why(&err), &Refusal::BadCharacter);
}

#[test]
fn a_secret_picked_by_a_pointer_is_never_quoted() {
    let tree = Tree::new();
    // Outside the root: refused before reading.
    refused(tree.load("../secret.json#/token"));
    // Inside the root, where a mapping is expected: the message says "a string", not the text.
    std::fs::copy(tree.path("secret.json"), tree.specs().join("config.json")).expect("copy");
    let api = tree.specs().join("api.yaml");
    let text = spec_referencing("#/components/schemas/P").replace(
        "channels:\n  c:\n",
        "components:\n  schemas:\n    P: {type: object}\nchannels:\n  d: {$ref: 'config.json#/token'}\n  c:\n",
    );
    std::fs::write(&api, text).expect("write api");
    let err = refused(Spec::load(&api));
    assert!(err.to_string().contains("found a string"), "{err}");
    // As a payload schema, the IR's message does not quote it either.
    tree.load("config.json#/token").expect("parses");
    let err = Config::new(&api).ir().expect_err("a string is not a schema").to_string();
    assert!(!err.contains(SECRET), "{err}");
}

#[cfg(unix)]
#[test]
fn symlinks_out_of_the_root_are_refused() {
    use std::os::unix::fs::symlink;
    let tree = Tree::new();
    symlink(tree.path("secret.yaml"), tree.specs().join("link.yaml")).expect("symlink");
    let err = refused(tree.load("link.yaml#/x"));
    assert!(matches!(why(&err), Refusal::LinkOutsideRoot { .. }), "{err:?}");
    // A linked folder that leads out.
    std::fs::create_dir(tree.path("outside")).expect("mkdir");
    std::fs::copy(tree.path("secret.yaml"), tree.path("outside/s.yaml")).expect("copy");
    symlink(tree.path("outside"), tree.specs().join("shared")).expect("symlink");
    let err = refused(tree.load("shared/s.yaml#/x"));
    assert!(matches!(why(&err), Refusal::LinkOutsideRoot { .. }), "{err:?}");
    // A link to a device.
    symlink("/dev/zero", tree.specs().join("zero.yaml")).expect("symlink");
    let err = refused(tree.load("zero.yaml#/x"));
    assert!(matches!(why(&err), Refusal::LinkOutsideRoot { .. }), "{err:?}");
}

/// Decision: a link that stays inside the root is followed (a checkout may link shared
/// schemas within its own tree); both names reach one document.
#[cfg(unix)]
#[test]
fn a_symlink_inside_the_root_to_a_file_inside_is_allowed() {
    use std::os::unix::fs::symlink;
    let tree = Tree::new();
    let types = "Ping:\n  type: object\n  description: inside\nPong: {$ref: 'types.yaml#/Ping'}\n";
    std::fs::write(tree.specs().join("types.yaml"), types).expect("write");
    symlink("types.yaml", tree.specs().join("alias.yaml")).expect("symlink");
    let spec = tree.load("alias.yaml#/Pong").expect("a link inside the root is followed");
    assert_eq!(spec.docs.len(), 2, "one document for both names");
    let description = spec.docs[1].value.pointer("/Ping/description").and_then(|v| v.as_str());
    assert_eq!(description, Some("inside"));
}

/// Runs `f` on another thread: a hang fails the test after 20 seconds instead of blocking it.
fn within_deadline<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(Duration::from_secs(20)).expect("finished within 20 s (no blocking open)")
}

#[cfg(unix)]
fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo").arg(path).status().expect("run mkfifo");
    assert!(status.success(), "mkfifo {}", path.display());
}

#[cfg(unix)]
#[test]
fn a_fifo_is_refused_without_hanging() {
    let tree = Tree::new();
    mkfifo(&tree.specs().join("pipe.yaml"));
    let specs = tree.specs();
    let err = within_deadline(move || {
        let api = specs.join("api.yaml");
        std::fs::write(&api, spec_referencing("pipe.yaml#/x")).expect("write api");
        Spec::load(&api).map(|_| ()).expect_err("a FIFO is refused")
    });
    assert!(matches!(&err, Error::RefusedRef { why: Refusal::NotAFile { kind: "a FIFO" }, .. }), "{err:?}");
    assert!(err.to_string().ends_with("expected a regular file, found a FIFO"), "{err}");
    // The spec itself as a FIFO.
    let fifo = tree.specs().join("root.yaml");
    mkfifo(&fifo);
    let err = within_deadline(move || Spec::load(&fifo).map(|_| ()).expect_err("a FIFO spec"));
    assert!(matches!(&err, Error::RefusedFile { why: Refusal::NotAFile { kind: "a FIFO" }, .. }), "{err:?}");
}

#[cfg(unix)]
#[test]
fn dev_stdin_and_devices_are_refused() {
    let tree = Tree::new();
    let err = refused(tree.load("/dev/stdin"));
    assert_eq!(why(&err), &Refusal::Absolute);
    // Even with `/` as the root, a device is not a regular file.
    let api = tree.specs().join("api.yaml");
    let up = "../".repeat(api.components().count());
    std::fs::write(&api, spec_referencing(&format!("{up}dev/null#/x"))).expect("write");
    let root = Root::new(Path::new("/")).expect("root");
    let err = within_deadline(move || Spec::load_within(&api, &root).map(|_| ()).expect_err("device"));
    assert!(matches!(&err, Error::RefusedRef { why: Refusal::NotAFile { kind: "a device" }, .. }), "{err:?}");
    // And a folder.
    let err = refused(tree.load(".#/x"));
    assert!(matches!(why(&err), Refusal::NotAFile { kind: "a directory" }), "{err:?}");
}

#[test]
fn the_root_can_be_named_and_holds_the_spec() {
    let tree = Tree::new();
    std::fs::create_dir(tree.path("common")).expect("mkdir");
    std::fs::write(tree.path("common/types.yaml"), "Ping: {type: object}\n").expect("write");
    let api = tree.specs().join("api.yaml");
    std::fs::write(&api, spec_referencing("../common/types.yaml#/Ping")).expect("write api");
    let err = refused(Spec::load(&api));
    assert!(matches!(why(&err), Refusal::OutsideRoot { .. }), "{err:?}");
    // The parent folder as the root: allowed, through the library and `Config::root`.
    Spec::load_within(&api, &Root::new(tree.tmp.path()).expect("root")).expect("inside the named root");
    Config::new(&api).root(tree.tmp.path()).ir().expect("Config::root");
    // A spec outside the named root is refused.
    let err = refused(Spec::load_within(&api, &Root::new(&tree.path("common")).expect("root")));
    assert!(matches!(why(&err), Refusal::OutsideRoot { .. }), "{err:?}");
}

#[test]
fn the_cli_takes_root() {
    let tree = Tree::new();
    std::fs::create_dir(tree.path("common")).expect("mkdir");
    std::fs::write(tree.path("common/types.yaml"), "Ping: {type: object}\n").expect("write");
    let api = tree.specs().join("api.yaml");
    std::fs::write(&api, spec_referencing("../common/types.yaml#/Ping")).expect("write api");
    let bin = || std::process::Command::new(env!("CARGO_BIN_EXE_chanx-gen"));
    let out = bin().arg("validate").arg(&api).output().expect("run");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("is refused: the file is outside the root folder"), "{stderr}");
    assert_eq!(stderr.lines().count(), 3, "one error, its place, the count: {stderr}");
    let out = bin().arg("validate").arg(&api).arg("--root").arg(tree.tmp.path()).output().expect("run");
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
}

// ---- the output folder ----

fn files(list: &[(&str, &str)]) -> Vec<OutputFile> {
    list.iter().map(|(p, c)| OutputFile { path: (*p).to_owned(), contents: (*c).to_owned() }).collect()
}

const MOD: &str = "// @generated by chanx-gen\npub mod chat;\n";
const CHAT: &str = "// @generated by chanx-gen\npub struct Chat;\n";

#[cfg(unix)]
#[test]
fn a_symlinked_output_file_is_never_written_through_or_read() {
    use std::os::unix::fs::symlink;
    let tmp = tempfile::tempdir().expect("tempdir");
    let target = tmp.path().join("target.rs");
    std::fs::write(&target, format!("// {SECRET}\n")).expect("write target");
    let out = tmp.path().join("api");
    std::fs::create_dir_all(out.join("rust")).expect("mkdir");
    symlink(&target, out.join("rust/mod.rs")).expect("symlink");
    let produced = files(&[("rust/mod.rs", MOD)]);
    let err = write::write(&out, &produced).expect_err("a link where a file goes");
    assert!(matches!(&err, WriteError::Symlink { path } if path.ends_with("rust/mod.rs")), "{err:?}");
    assert!(err.to_string().contains("rust/mod.rs: refusing to follow a symbolic link"), "{err}");
    assert_eq!(std::fs::read_to_string(&target).expect("read"), format!("// {SECRET}\n"));
    // `check` neither follows it nor prints the target.
    let err = write::check(&out, &produced).expect_err("check refuses the link");
    assert!(!err.to_string().contains(SECRET), "{err}");
    assert!(matches!(err, WriteError::Symlink { .. }), "{err:?}");
}

#[cfg(unix)]
#[test]
fn a_symlinked_folder_is_never_entered_and_its_files_survive() {
    use std::os::unix::fs::symlink;
    let tmp = tempfile::tempdir().expect("tempdir");
    let outside = tmp.path().join("outside");
    std::fs::create_dir(&outside).expect("mkdir");
    std::fs::write(outside.join("other.rs"), "// @generated by another tool\n").expect("write");
    let out = tmp.path().join("api");
    std::fs::create_dir(&out).expect("mkdir");
    // A linked folder where generated files go: refused, nothing written into it.
    symlink(&outside, out.join("rust")).expect("symlink");
    let err = write::write(&out, &files(&[("rust/mod.rs", MOD)])).expect_err("linked folder");
    assert!(matches!(&err, WriteError::Symlink { path } if path.ends_with("rust")), "{err:?}");
    assert!(!outside.join("mod.rs").exists());
    // A linked folder beside generated files: never entered, even when generated files go away.
    std::fs::remove_file(out.join("rust")).expect("unlink");
    write::write(&out, &files(&[("rust/mod.rs", MOD), ("rust/chat.rs", CHAT)])).expect("write");
    symlink(&outside, out.join("rust/vendor")).expect("symlink");
    let report = write::write(&out, &files(&[("rust/mod.rs", MOD)])).expect("write");
    assert_eq!(report.removed, vec![out.join("rust/chat.rs")]);
    assert!(outside.join("other.rs").exists(), "a file outside DIR was deleted");
    // The output folder itself as a link.
    let linked = tmp.path().join("linked");
    symlink(&out, &linked).expect("symlink");
    let err = write::write(&linked, &files(&[("rust/mod.rs", MOD)])).expect_err("DIR is a link");
    assert!(matches!(err, WriteError::Symlink { .. }), "{err:?}");
}

#[test]
fn files_that_mention_generated_survive() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("api");
    std::fs::create_dir_all(out.join("rust")).expect("mkdir");
    // Files from before the manifest (an older version, or another tool): never deleted.
    let readme = "# API\nThe files here are @generated by chanx-gen.\n";
    std::fs::write(out.join("README.md"), readme).expect("write");
    std::fs::write(out.join("rust/README.md"), readme).expect("write");
    std::fs::write(out.join("rust/old.rs"), "// @generated by chanx-gen\n").expect("write");
    std::fs::write(out.join("rust/prost.rs"), "// @generated by prost-build\n").expect("write");
    let report = write::write(&out, &files(&[("rust/mod.rs", MOD)])).expect("write");
    assert!(report.removed.is_empty(), "{report:?}");
    for kept in ["README.md", "rust/README.md", "rust/old.rs", "rust/prost.rs"] {
        assert!(out.join(kept).exists(), "{kept} was deleted");
    }
    assert_eq!(
        std::fs::read_to_string(out.join(MANIFEST)).expect("manifest"),
        format!("{}  rust/mod.rs\n", sha256(MOD))
    );
    // Still there after files this generator did write go away.
    write::write(&out, &files(&[("rust/mod.rs", MOD), ("rust/chat.rs", CHAT)])).expect("write");
    let report = write::write(&out, &files(&[("rust/mod.rs", MOD)])).expect("write");
    assert_eq!(report.removed, vec![out.join("rust/chat.rs")]);
    for kept in ["README.md", "rust/README.md", "rust/old.rs", "rust/prost.rs"] {
        assert!(out.join(kept).exists(), "{kept} was deleted");
    }
    assert!(write::check(&out, &files(&[("rust/mod.rs", MOD)])).expect("check").is_empty());
}

fn sha256(text: &str) -> String {
    // The manifest of one file, read back: its hash.
    let tmp = tempfile::tempdir().expect("tempdir");
    write::write(tmp.path(), &files(&[("x", text)])).expect("write");
    let manifest = std::fs::read_to_string(tmp.path().join(MANIFEST)).expect("manifest");
    manifest.split_once("  ").map(|(h, _)| h.to_owned()).expect("a line")
}

#[test]
fn stale_files_are_removed_through_the_manifest_only_when_unchanged() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path();
    let all = files(&[("rust/mod.rs", MOD), ("rust/chat.rs", CHAT), ("ts/index.ts", "// @generated\n")]);
    write::write(out, &all).expect("write");
    // `chat.rs` goes away untouched; `index.ts` was edited by hand since.
    std::fs::write(out.join("ts/index.ts"), "// @generated\n// my change\n").expect("edit");
    let fewer = files(&[("rust/mod.rs", MOD), ("ts/api.ts", "// @generated\n")]);
    let drift = write::check(out, &fewer).expect("check");
    let stale: Vec<&Path> =
        drift.iter().filter(|d| matches!(d, write::Drift::Stale { .. })).map(|d| d.path()).collect();
    assert_eq!(stale, vec![out.join("rust/chat.rs"), out.join("ts/index.ts")]);
    let report = write::write(out, &fewer).expect("write");
    assert_eq!(report.removed, vec![out.join("rust/chat.rs")]);
    assert_eq!(report.kept, vec![out.join("ts/index.ts")]);
    assert!(!out.join("rust/chat.rs").exists());
    assert!(out.join("ts/index.ts").exists());
    // The kept file is the user's now: no longer listed, no longer stale.
    assert!(write::check(out, &fewer).expect("check").is_empty());
}

#[test]
fn a_manifest_that_points_outside_is_refused() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let victim = tmp.path().join("victim.rs");
    std::fs::write(&victim, "// mine\n").expect("write");
    let out = tmp.path().join("api");
    std::fs::create_dir(&out).expect("mkdir");
    let hash = sha256("// mine\n");
    for line in [
        format!("{hash}  ../victim.rs"),
        format!("{hash}  {}", victim.display()),
        format!("{hash}  rust/../../victim.rs"),
        format!("{hash}  .chanx-gen-manifest"),
        "not a manifest line".to_owned(),
    ] {
        std::fs::write(out.join(MANIFEST), format!("{line}\n")).expect("write manifest");
        let err = write::write(&out, &files(&[("rust/mod.rs", MOD)])).expect_err("bad manifest");
        assert!(matches!(err, WriteError::Manifest { line: 1, .. }), "{line}: {err:?}");
        assert!(victim.exists());
        assert!(!out.join("rust").exists(), "the manifest is read before anything is written");
    }
}

#[cfg(unix)]
#[test]
fn fifos_and_linked_manifests_in_the_output_folder_are_refused_without_hanging() {
    use std::os::unix::fs::symlink;
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("api");
    std::fs::create_dir_all(out.join("rust")).expect("mkdir");
    mkfifo(&out.join("rust/mod.rs"));
    let dir = out.clone();
    let err = within_deadline(move || write::check(&dir, &files(&[("rust/mod.rs", MOD)])).expect_err("FIFO"));
    assert!(matches!(err, WriteError::NotAFile { kind: "a FIFO", .. }), "{err:?}");
    let dir = out.clone();
    let err = within_deadline(move || write::write(&dir, &files(&[("rust/mod.rs", MOD)])).expect_err("FIFO"));
    assert!(matches!(err, WriteError::NotAFile { kind: "a FIFO", .. }), "{err:?}");
    std::fs::remove_file(out.join("rust/mod.rs")).expect("rm fifo");
    symlink(tmp.path().join("elsewhere"), out.join(MANIFEST)).expect("symlink");
    let err = write::write(&out, &files(&[("rust/mod.rs", MOD)])).expect_err("linked manifest");
    assert!(matches!(err, WriteError::Symlink { .. }), "{err:?}");
    assert!(!tmp.path().join("elsewhere").exists());
}

#[test]
fn generate_leaves_no_temporary_files() {
    let tmp = tempfile::tempdir().expect("tempdir");
    write::write(tmp.path(), &files(&[("rust/mod.rs", MOD)])).expect("write");
    write::write(tmp.path(), &files(&[("rust/mod.rs", CHAT)])).expect("rewrite");
    let mut names: Vec<String> = std::fs::read_dir(tmp.path().join("rust"))
        .expect("read_dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["mod.rs"]);
    assert_eq!(std::fs::read_to_string(tmp.path().join("rust/mod.rs")).expect("read"), CHAT);
}

#[cfg(unix)]
#[test]
fn docs_never_writes_through_a_symlink() {
    use std::os::unix::fs::symlink;
    let tmp = tempfile::tempdir().expect("tempdir");
    let victim = tmp.path().join("victim");
    std::fs::write(&victim, "mine\n").expect("write");
    let page = tmp.path().join("api.html");
    symlink(&victim, &page).expect("symlink");
    let spec = Path::new(env!("CARGO_MANIFEST_DIR")).join("../specs/chanx-chat.yaml");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_chanx-gen"))
        .arg("docs")
        .arg(&spec)
        .arg("-o")
        .arg(&page)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("api.html: refusing to follow a symbolic link"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&victim).expect("read"), "mine\n");
    // A plain file is replaced.
    std::fs::remove_file(&page).expect("unlink");
    std::fs::write(&page, "old").expect("write");
    write::write_file(&page, b"new").expect("write_file");
    assert_eq!(std::fs::read_to_string(&page).expect("read"), "new");
}

/// `--rust-only` and `--ts-only` into one folder: each run owns only its top folder, and the
/// other side's files stay listed and in place.
#[test]
fn one_side_at_a_time_keeps_the_other_side() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path();
    let both = files(&[("rust/mod.rs", MOD), ("ts/index.ts", "// @generated\n")]);
    write::write(out, &both).expect("write both");
    let rust = files(&[("rust/mod.rs", MOD)]);
    let report = write::write(out, &rust).expect("rust only");
    assert!(report.removed.is_empty(), "{report:?}");
    assert!(out.join("ts/index.ts").exists());
    assert!(write::check(out, &rust).expect("check").is_empty());
    assert!(write::check(out, &both).expect("check").is_empty());
    let manifest = std::fs::read_to_string(out.join(MANIFEST)).expect("manifest");
    assert_eq!(manifest.lines().count(), 2, "{manifest}");
}

/// What a CI log shows for a linked output file: one error line naming it, exit 1.
#[cfg(unix)]
#[test]
fn the_cli_refuses_a_linked_output_file_in_one_line() {
    use std::os::unix::fs::symlink;
    let tmp = tempfile::tempdir().expect("tempdir");
    let victim = tmp.path().join("victim.rs");
    std::fs::write(&victim, "// mine\n").expect("write");
    let out = tmp.path().join("api");
    std::fs::create_dir_all(out.join("rust")).expect("mkdir");
    symlink(&victim, out.join("rust/mod.rs")).expect("symlink");
    let spec = Path::new(env!("CARGO_MANIFEST_DIR")).join("../specs/chanx-chat.yaml");
    for command in ["generate", "check"] {
        let run = std::process::Command::new(env!("CARGO_BIN_EXE_chanx-gen"))
            .arg(command)
            .arg(&spec)
            .arg("-o")
            .arg(&out)
            .output()
            .expect("run");
        assert_eq!(run.status.code(), Some(1), "{command}");
        let stderr = String::from_utf8_lossy(&run.stderr);
        let expected = format!(
            "error: {}: refusing to follow a symbolic link in the output folder\n",
            out.join("rust/mod.rs").display()
        );
        assert_eq!(stderr, expected, "{command}");
        assert!(run.stdout.is_empty(), "{command}: {}", String::from_utf8_lossy(&run.stdout));
    }
    assert_eq!(std::fs::read_to_string(&victim).expect("read"), "// mine\n");
    // Nothing was written before the link was found.
    let written: Vec<_> = std::fs::read_dir(out.join("rust")).expect("read_dir").collect();
    assert_eq!(written.len(), 1, "{written:?}");
    assert!(!out.join(MANIFEST).exists());
}

//! The binary as a user sees it: argument errors, loopback refusal, and the JSON last line.

use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_chanx-load")).args(args).output().expect("run chanx-load")
}

fn last_line(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).lines().last().unwrap_or_default().to_owned()
}

#[test]
fn refuses_non_loopback_addresses() {
    for addr in ["10.0.0.1:8765", "0.0.0.0:8765", "[::]:8765", "192.0.2.1:80", "localhost:8765"] {
        let out = run(&["--addr", addr, "rtt", "-d", "0.1"]);
        assert_eq!(out.status.code(), Some(2), "{addr}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("loopback"), "{addr}: {err}");
        assert!(out.stdout.is_empty(), "{addr}: nothing may be attempted");
    }
}

#[test]
fn rejects_out_of_bounds_counts() {
    for args in [
        &["idle", "-c", "10001"][..],
        &["rtt", "-c", "0"],
        &["pipeline", "-w", "0"],
        &["fanout", "-m", "20000"],
        &["--deadline", "0", "rtt"],
        &["stall", "--stall-rcvbuf", "10"],
        &["no-such-scenario"],
    ] {
        let out = run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
    }
}

#[test]
fn help_lists_every_scenario() {
    let out = run(&["--help"]);
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for name in ["rtt", "pipeline", "fanout", "idle", "stall"] {
        assert!(help.contains(name), "{name} missing from --help");
    }
}

#[test]
fn unreachable_server_gives_a_json_failure_as_last_line() {
    // A loopback port nobody listens on: bind, note the port, close.
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
    let addr = format!("127.0.0.1:{port}");
    let out =
        run(&["--addr", &addr, "--deadline", "20", "--label", "none", "rtt", "-d", "0.1", "--warmup", "0"]);
    assert_eq!(out.status.code(), Some(1));
    let summary: serde_json::Value = serde_json::from_str(&last_line(&out)).expect("json last line");
    assert_eq!(summary["scenario"], "rtt");
    assert_eq!(summary["label"], "none");
    assert_eq!(summary["ok"], false);
    assert!(summary["error"].as_str().is_some_and(|e| e.contains("connect")), "{summary}");
    assert_eq!(summary["writes"], "batched", "the default write mode is reported");
    let out = run(&["--addr", &addr, "--deadline", "20", "--writes", "per-frame", "pipeline", "-d", "0.1"]);
    let summary: serde_json::Value = serde_json::from_str(&last_line(&out)).expect("json last line");
    assert_eq!(
        (summary["scenario"].as_str(), summary["writes"].as_str()),
        (Some("pipeline"), Some("per-frame"))
    );
}

#[test]
fn idle_requires_a_server_pid() {
    let out = run(&["idle", "-c", "1"]);
    assert_eq!(out.status.code(), Some(1));
    let summary: serde_json::Value = serde_json::from_str(&last_line(&out)).expect("json last line");
    assert!(summary["error"].as_str().is_some_and(|e| e.contains("--server-pid")), "{summary}");
}

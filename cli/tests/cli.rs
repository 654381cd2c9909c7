//! The command line's promises to scripts: `--help` on every command, and
//! exit codes (2 usage, 3 server unreachable, 4 not enrolled or set-up).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_nyckelfri");
const COMMANDS: [&str; 8] = [
    "demo", "server", "enroll", "sync", "visits", "open", "scan", "lock-sim",
];

fn nyckelfri(data_dir: &std::path::Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env_remove("NYCKELFRI_DATA_DIR")
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn every_command_has_help() {
    let dir = tempfile::tempdir().unwrap();
    let out = nyckelfri(dir.path(), &["--help"]);
    assert_eq!(out.status.code(), Some(0));
    let top = text(&out.stdout);
    for c in COMMANDS {
        assert!(top.contains(c), "{c} missing from --help:\n{top}");
    }
    assert!(top.contains("Exit codes"), "{top}");
    for c in COMMANDS {
        let out = nyckelfri(dir.path(), &[c, "--help"]);
        assert_eq!(out.status.code(), Some(0), "{c} --help");
        let help = text(&out.stdout);
        assert!(help.contains(&format!("Usage: nyckelfri {c}")), "{help}");
        assert!(help.contains("--json") && help.contains("--lang"), "{help}");
    }
    // Nothing was written for --help.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn wrong_usage_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        vec!["frobnicate"],
        vec![],
        vec!["open"],
        vec!["enroll", "--server", "ftp://example.se", "--code", "ABCD"],
        vec!["demo", "--transport", "carrier-pigeon"],
        vec!["demo", "--date", "yesterday"],
        vec!["--lang", "fi", "visits"],
    ] {
        let out = nyckelfri(dir.path(), &args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
}

#[test]
fn commands_that_need_enrollment_exit_4_and_say_how_to_enroll() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    for args in [vec!["sync"], vec!["visits"], vec!["open", "v-1"]] {
        let out = nyckelfri(&state, &args);
        assert_eq!(out.status.code(), Some(4), "{args:?}");
        let err = text(&out.stderr);
        assert!(err.contains("not enrolled"), "{err}");
        assert!(
            err.contains("nyckelfri enroll --server URL --code CODE"),
            "{err}"
        );
    }
    // Nothing was created for a device that never enrolled.
    assert!(!state.exists());

    // With --json the error is one JSON document too.
    let out = nyckelfri(&state, &["--json", "sync"]);
    assert_eq!(out.status.code(), Some(4));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["ok"], false);
    assert_eq!(doc["exit_code"], 4);
    assert!(doc["hint"].as_str().unwrap().contains("nyckelfri enroll"));
}

#[test]
fn enrolling_against_a_closed_port_exits_3() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let dir = tempfile::tempdir().unwrap();
    let url = format!("http://127.0.0.1:{port}");
    let out = nyckelfri(
        dir.path(),
        &["enroll", "--server", &url, "--code", "K7QM-2XPD-9FRA"],
    );
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.contains("cannot enroll at") && err.contains("what to do"),
        "{err}"
    );
}

//! The `nyckelfri-server` binary: help, demo data, CSV import, serve.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use common::Backend;

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_nyckelfri-server"));
    c.env_remove("DATABASE_URL")
        .env_remove("NYCKELFRI_DATA_DIR")
        .env_remove("NYCKELFRI_ISSUER_KEY")
        .env_remove("NYCKELFRI_ADMIN_TOKEN")
        .env("RUST_LOG", "debug");
    c
}

#[test]
fn help_names_every_command() {
    let out = bin().arg("--help").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for cmd in [
        "serve",
        "demo-data",
        "import-csv",
        "enrollment-code",
        "openapi",
    ] {
        assert!(text.contains(cmd), "{cmd} missing from:\n{text}");
    }
    let out = bin().args(["serve", "--help"]).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("--data-dir") && text.contains("--listen") && text.contains("DATABASE_URL")
    );
    let out = bin().arg("frobnicate").output().unwrap();
    assert!(!out.status.success());
}

async fn demo_data_and_import_from_the_command_line(b: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let url = common::fresh_database(b, dir.path()).await;
    let with_db = |c: &mut Command| {
        c.arg("--data-dir").arg(&data);
        if let Some(u) = &url {
            c.arg("--database-url").arg(u);
        }
    };
    let mut c = bin();
    c.args(["demo-data", "--date", "2025-01-15"]);
    with_db(&mut c);
    let out = c.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("Demo data for 2025-01-15: 2 units, 21 staff, 30 brukare"),
        "{stdout}"
    );
    assert!(stdout.contains("night_patrol"));
    let locks = data.join("demo-locks.json");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&locks).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    let keys: serde_json::Value = serde_json::from_slice(&std::fs::read(&locks).unwrap()).unwrap();
    assert_eq!(
        keys.as_array().unwrap().len(),
        29,
        "27 door locks, an entrance lock, one in stock"
    );

    // A bad CSV: every bad line on stderr, exit 1.
    let csv = dir.path().join("bad.csv");
    std::fs::write(&csv, "kind,id,brukare_id,decision_id,staff_id,starts,ends\nvisit,v1,b-tumba-01,d-tumba-01,nobody,2025-01-16 08:00,08:30\nvisit,v2,b-x,d-tumba-01,st-tumba-cw1,2025-01-16 08:00,08:30\n").unwrap();
    let mut c = bin();
    c.arg("import-csv").arg(&csv);
    with_db(&mut c);
    let out = c.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("line 2") && stderr.contains("line 3"),
        "{stderr}"
    );
    // A good one.
    std::fs::write(&csv, "kind,id,brukare_id,decision_id,staff_id,starts,ends\nvisit,v1,b-tumba-01,d-tumba-01,st-tumba-cw2,2025-01-16 08:00,08:30\n").unwrap();
    let mut c = bin();
    c.arg("import-csv").arg(&csv);
    with_db(&mut c);
    let out = c.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("Imported 0 decisions, 1 visits, 0 shifts")
    );
    // An enrollment code.
    let mut c = bin();
    c.args(["enrollment-code", "st-tumba-cw1"]);
    with_db(&mut c);
    let out = c.output().unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim().len(), 14);
    let mut c = bin();
    c.args(["enrollment-code", "nobody"]);
    with_db(&mut c);
    assert!(!c.output().unwrap().status.success());
}
backend_test!(
    demo_data_and_import_t,
    demo_data_and_import_from_the_command_line
);

#[test]
fn serve_starts_keeps_its_secrets_out_of_the_log_and_stops() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut child = bin()
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(&data)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut lines = BufReader::new(stderr).lines();
    let mut log = String::new();
    let mut url = None;
    for line in lines.by_ref() {
        let line = line.unwrap();
        log.push_str(&line);
        log.push('\n');
        if let Some(rest) = line.split("listening on ").nth(1)
            && rest.starts_with("http://")
        {
            url = Some(rest.split_whitespace().next().unwrap().to_owned());
            break;
        }
    }
    let url = url.unwrap_or_else(|| panic!("no address in:\n{log}"));
    let body = std::thread::spawn(move || {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async {
            let h: serde_json::Value = reqwest::get(format!("{url}/healthz"))
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            h
        })
    })
    .join()
    .unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["database"], "sqlite");
    child.kill().unwrap();
    let _ = child.wait();
    for line in lines.map_while(Result::ok) {
        log.push_str(&line);
        log.push('\n');
    }
    // The secrets exist with mode 0600 and are not in the log.
    let admin = std::fs::read_to_string(data.join("admin-token")).unwrap();
    let key = std::fs::read(data.join("issuer-key.p8")).unwrap();
    assert!(!log.contains(admin.trim()), "admin token logged");
    assert!(
        !log.contains(&hex::encode(&key[key.len() - 40..])),
        "key logged"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for f in ["admin-token", "issuer-key.p8"] {
            let m = std::fs::metadata(data.join(f))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(m & 0o777, 0o600, "{f}");
        }
    }
}

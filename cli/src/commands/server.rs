//! `nyckelfri server`: the reference backend, with its data in
//! DATA_DIR/server; optionally the demo municipality first. Runs until Ctrl-C.

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::Path;

use nyckelfri_server::{Clock, Config, DemoSummary, Error, Server, keys};

use super::Ctx;
use crate::exit::{CliError, Exit};
use crate::localtime;

/// The demo locks' keys, for `nyckelfri lock-sim --demo`.
pub const DEMO_LOCKS_FILE: &str = "demo-locks.json";

/// Serves until Ctrl-C.
pub async fn run(
    ctx: &Ctx,
    listen: SocketAddr,
    demo_data: bool,
    database_url: Option<String>,
) -> Result<(), CliError> {
    let dir = ctx.dir()?.join("server");
    let mut config = Config::new(dir.clone());
    config.listen = listen;
    config.database_url = database_url.filter(|u| !u.is_empty());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(
            std::io::stderr().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
        )
        .try_init();
    let server = Server::start(config).await.map_err(|e| match e {
        Error::Io(e) => CliError::new(
            Exit::Setup,
            format!("cannot listen on {listen}: {e}"),
            "is another server running there? choose another address with --listen 127.0.0.1:8081",
        ),
        Error::Config(m) | Error::Internal(m) => CliError::new(
            Exit::Setup,
            format!("the server cannot start: {m}"),
            format!("check the data directory {}", dir.display()),
        ),
        e => CliError::new(
            Exit::Setup,
            format!("the server cannot start: {e}"),
            "check --database-url / DATABASE_URL and the data directory",
        ),
    })?;
    let demo = if demo_data {
        let now = Clock::system().now();
        let today = localtime::today(localtime::DEFAULT_TZ);
        let summary = nyckelfri_server::load_demo(server.db(), today, now).await?;
        write_demo_locks(&dir, &summary)?;
        Some(summary)
    } else {
        None
    };
    let url = server.url();
    let token_file = dir.join(keys::ADMIN_TOKEN_FILE);
    let s = &ctx.style;
    if s.json {
        let codes: Vec<_> = demo
            .iter()
            .flat_map(|d| d.enrollment_codes.iter())
            .map(|(role, c)| {
                serde_json::json!({"staff_id": c.staff_id, "role": role.as_str(), "code": c.code})
            })
            .collect();
        ctx.print_json(&serde_json::json!({
            "ok": true,
            "url": url,
            "database": server.db().backend().name(),
            "data_dir": dir,
            "admin_token_file": token_file,
            "enrollment_codes": codes,
        }));
    } else {
        s.say(format!(
            "{} nyckelfri server on {url} ({}, data in {}); admin token in {}",
            s.ok("✓"),
            server.db().backend().name(),
            dir.display(),
            token_file.display()
        ));
        if let Some(d) = &demo {
            s.say(format!(
                "\nDemo municipality for {}: {} units, {} staff, {} brukare, {} visits, {} locks.",
                d.date, d.units, d.staff, d.brukare, d.visits, d.locks
            ));
            s.say("One-time enrollment codes (valid 7 days):");
            for (role, c) in &d.enrollment_codes {
                s.say(format!(
                    "  {:<16} {:<20} {}",
                    c.staff_id,
                    role.as_str(),
                    c.code
                ));
            }
            s.say(format!(
                "\nNext, in another terminal:\n  nyckelfri lock-sim --demo        # the demo locks over the stand-in BlueZ\n  nyckelfri enroll --server {url} --code <code of st-tumba-cw2>"
            ));
        }
        s.say("Ctrl-C stops.");
    }
    server
        .run_until(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}

/// Writes the keys of locks the loader created (test-only keys), mode 0600.
fn write_demo_locks(dir: &Path, s: &DemoSummary) -> Result<(), CliError> {
    if s.new_lock_keys.is_empty() {
        return Ok(());
    }
    let json: Vec<_> = s
        .new_lock_keys
        .iter()
        .map(|k| {
            serde_json::json!({
                "lock_id": k.lock_id,
                "public_key": k.public_key,
                "pkcs8": k.pkcs8_hex,
            })
        })
        .collect();
    let text = serde_json::to_string_pretty(&json)
        .map_err(|e| CliError::failed(format!("demo lock keys: {e}")))?;
    crate::files::write_private(&dir.join(DEMO_LOCKS_FILE), text.as_bytes())
}

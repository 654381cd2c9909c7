//! `nyckelfri-server`: serve the API, load demo data, import a planning
//! system's CSV export, or make an enrollment code.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use nyckelfri_server::{Config, Error, Server, api, audit, demo, import, time};
use utoipa::OpenApi;

/// Reference backend for Nyckelfri keyless home care.
#[derive(Parser)]
#[command(name = "nyckelfri-server", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone)]
struct DbArgs {
    /// Data directory: the SQLite file, the issuer key and the admin token
    /// (created with mode 0700 and a .gitignore of `*`).
    #[arg(long, env = "NYCKELFRI_DATA_DIR")]
    data_dir: PathBuf,
    /// PostgreSQL (postgres://...) or SQLite (sqlite://...) URL; the SQLite
    /// file in the data directory when not given.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,
}

impl DbArgs {
    fn config(&self) -> Config {
        let mut c = Config::new(self.data_dir.clone());
        c.database_url = self.database_url.clone().filter(|u| !u.is_empty());
        c
    }
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API.
    Serve {
        #[command(flatten)]
        db: DbArgs,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// Issuer key (PKCS#8 DER or PEM). Generated into the data directory
        /// when not given; every instance on one database needs the same key.
        #[arg(long, env = "NYCKELFRI_ISSUER_KEY")]
        issuer_key: Option<PathBuf>,
        /// Admin token (at least 32 characters). Read or generated in the
        /// data directory (file admin-token) when not given.
        #[arg(long, env = "NYCKELFRI_ADMIN_TOKEN", hide_env_values = true)]
        admin_token: Option<String>,
        /// Minutes a token is valid before a visit starts and after it ends.
        #[arg(long, default_value_t = 45)]
        token_margin_minutes: i64,
        /// Database pool size.
        #[arg(long, default_value_t = 16)]
        db_connections: u32,
        /// R2.3: distinct locks down in the whole municipality within the
        /// window from which the alarm group is asked whether it is a major
        /// outage (they declare it).
        #[arg(long, default_value_t = 5)]
        major_outage_locks: u32,
        /// R2.3: the window, in minutes.
        #[arg(long, default_value_t = 60)]
        major_outage_window_minutes: i64,
        /// R2.3: the unit whose unit manager leads the alarm group (the
        /// declaring technician's own unit when not given).
        #[arg(long, env = "NYCKELFRI_ALARM_GROUP_UNIT")]
        alarm_group_unit: Option<String>,
        /// Behind a reverse proxy that sets X-Forwarded-For: rate limits on
        /// enrollment and sign-in key on its right-most entry. Without such
        /// a proxy this lets anyone choose their own address: leave it off.
        #[arg(long, env = "NYCKELFRI_TRUST_FORWARDED_FOR")]
        trust_forwarded_for: bool,
        /// R2.4, R2.14: the SMTP relay for the major outage's emails:
        /// smtp://host:25, smtp://host:587?tls=required (STARTTLS) or
        /// smtps://user:password@host:465. Emails wait in the database
        /// when not given.
        #[arg(long, env = "NYCKELFRI_SMTP_URL", hide_env_values = true)]
        smtp_url: Option<String>,
        /// The emails' sender, e.g. "Nyckelfri <nyckelfri@kommun.se>".
        #[arg(
            long,
            env = "NYCKELFRI_MAIL_FROM",
            default_value = "Nyckelfri <nyckelfri@localhost>"
        )]
        mail_from: String,
        /// Seconds between the scheduler's runs (decisions ending, orders
        /// due, deadlines passing, emails).
        #[arg(long, default_value_t = 60)]
        scheduler_seconds: u64,
    },
    /// Load a demo municipality: two units, 30 brukare, staff in every role,
    /// shifts and a day's visits. Prints an enrollment code per staff member.
    DemoData {
        #[command(flatten)]
        db: DbArgs,
        /// Local date of the visits (YYYY-MM-DD); today in Europe/Stockholm
        /// when not given.
        #[arg(long)]
        date: Option<String>,
    },
    /// Import care decisions, visits and shifts from a planning system's
    /// CSV export. All or nothing: bad rows are listed and nothing is
    /// imported.
    ImportCsv {
        /// The CSV file.
        file: PathBuf,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Make a one-time enrollment code for a staff member's phone.
    EnrollmentCode {
        /// The staff member's id.
        staff_id: String,
        #[command(flatten)]
        db: DbArgs,
        /// Hours the code is valid.
        #[arg(long, default_value_t = 72)]
        hours: i64,
    },
    /// Print the OpenAPI description.
    Openapi,
}

fn now() -> i64 {
    nyckelfri_server::Clock::system().now()
}

async fn run(cli: Cli) -> Result<(), Error> {
    match cli.command {
        Command::Serve {
            db,
            listen,
            issuer_key,
            admin_token,
            token_margin_minutes,
            db_connections,
            major_outage_locks,
            major_outage_window_minutes,
            alarm_group_unit,
            trust_forwarded_for,
            smtp_url,
            mail_from,
            scheduler_seconds,
        } => {
            if !(0..=24 * 60).contains(&token_margin_minutes) {
                return Err(Error::Config(
                    "--token-margin-minutes must be 0 to 1440".into(),
                ));
            }
            let mut config = db.config();
            config.listen = listen;
            config.issuer_key_path = issuer_key;
            config.admin_token = admin_token.filter(|t| !t.is_empty());
            config.max_db_connections = db_connections;
            config.settings.token_margin_secs = token_margin_minutes * 60;
            config.settings.major_outage_locks = major_outage_locks;
            config.settings.major_outage_window_secs =
                major_outage_window_minutes.saturating_mul(60);
            config.settings.alarm_group_unit_id = alarm_group_unit.filter(|u| !u.is_empty());
            config.trust_forwarded_for = trust_forwarded_for;
            config.settings.mail =
                smtp_url
                    .filter(|u| !u.is_empty())
                    .map(|smtp_url| nyckelfri_server::MailSettings {
                        smtp_url,
                        from: mail_from,
                    });
            config.settings.scheduler_interval_secs = scheduler_seconds;
            let server = Server::start(config).await?;
            eprintln!(
                "nyckelfri-server listening on {} ({}); admin token in {}",
                server.url(),
                server.db().backend().name(),
                db.data_dir
                    .join(nyckelfri_server::keys::ADMIN_TOKEN_FILE)
                    .display()
            );
            server
                .run_until(async {
                    let _ = tokio::signal::ctrl_c().await;
                })
                .await
        }
        Command::DemoData { db, date } => {
            let config = db.config();
            let pool = nyckelfri_server::open_db(&config).await?;
            let tz = time::parse_tz(demo::DEMO_TIME_ZONE)?;
            let today = match date {
                Some(d) => time::parse_date(&d, "--date")?,
                None => time::local_date(tz, now())?,
            };
            let s = nyckelfri_server::load_demo(&pool, today, now()).await?;
            println!(
                "Demo data for {}: {} units, {} staff, {} brukare, {} decisions, {} visits, {} shifts, {} locks.",
                s.date, s.units, s.staff, s.brukare, s.decisions, s.visits, s.shifts, s.locks
            );
            println!("\nEnrollment codes (one-time, valid 7 days):");
            for (role, c) in &s.enrollment_codes {
                println!("  {:<16} {:<20} {}", c.staff_id, role.as_str(), c.code);
            }
            if !s.new_lock_keys.is_empty() {
                let path = db.data_dir.join("demo-locks.json");
                let json = serde_json::json!(
                    s.new_lock_keys
                        .iter()
                        .map(|k| serde_json::json!({
                            "lock_id": k.lock_id,
                            "public_key": k.public_key,
                            "pkcs8": k.pkcs8_hex,
                        }))
                        .collect::<Vec<_>>()
                );
                let text = serde_json::to_string_pretty(&json)
                    .map_err(|e| Error::Internal(e.to_string()))?;
                write_private(&path, text.as_bytes())?;
                println!(
                    "\nKeys of the {} simulated demo locks: {} (test-only keys).",
                    s.new_lock_keys.len(),
                    path.display()
                );
            }
            pool.close().await;
            Ok(())
        }
        Command::ImportCsv { file, db } => {
            let data = std::fs::read(&file)
                .map_err(|e| Error::Config(format!("cannot read {}: {e}", file.display())))?;
            let pool = nyckelfri_server::open_db(&db.config()).await?;
            let r = import::import_csv(&pool, &data, now()).await;
            pool.close().await;
            let s = r?;
            println!(
                "Imported {} decisions, {} visits, {} shifts.",
                s.decisions, s.visits, s.shifts
            );
            Ok(())
        }
        Command::EnrollmentCode {
            staff_id,
            db,
            hours,
        } => {
            if !(1..=24 * 30).contains(&hours) {
                return Err(Error::Config("--hours must be 1 to 720".into()));
            }
            let pool = nyckelfri_server::open_db(&db.config()).await?;
            let r = async {
                let c = api::make_enrollment_code(&pool, &staff_id, now(), hours * 3600).await?;
                // On record like the API's: who, for whom, until when (never the code).
                let rec = audit::Record::cli(
                    "nyckelfri-server enrollment-code",
                    audit::Action::Write,
                    now(),
                )
                .target("enrollment_code", &staff_id, None)
                .after(&serde_json::json!({"staff_id": staff_id, "expires_at": c.expires_at}));
                let mut conn = pool.pool().acquire().await?;
                audit::insert(&mut conn, &[rec]).await?;
                Ok::<_, Error>(c)
            }
            .await;
            pool.close().await;
            let c = r?;
            println!("{}", c.code);
            Ok(())
        }
        Command::Openapi => {
            let doc = api::ApiDoc::openapi()
                .to_pretty_json()
                .map_err(|e| Error::Internal(e.to_string()))?;
            println!("{doc}");
            Ok(())
        }
    }
}

fn write_private(path: &std::path::Path, bytes: &[u8]) -> Result<(), Error> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts.open(path)?.write_all(bytes)?;
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Error::Import(rows)) => {
            eprintln!("error: import refused, nothing was imported:");
            for r in rows {
                eprintln!("  line {}: {}", r.line, r.message);
            }
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

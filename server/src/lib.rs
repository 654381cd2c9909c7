//! The Nyckelfri reference backend: it knows who visits whom and when, and
//! whether a brukare's care decision is still valid, and issues the access
//! tokens the app carries to the locks.
//!
//! - SQLite by default (a file in the data directory, nothing to install);
//!   PostgreSQL when `DATABASE_URL` says so. One code base ([`db`]).
//! - Stateless: sessions, challenges and the revocation list live in the
//!   database, so several instances can serve one database.
//! - JSON API with an OpenAPI description at `/openapi.json` ([`api`]).
//! - One authorization policy ([`policy`], `policy.toml`, AUTHORIZATION.md),
//!   asked by every handler through [`permit::Permit`]; an append-only
//!   [`audit`] log; rate limits on enrollment and sign-in ([`ratelimit`]).
//!
//! ```no_run
//! # async fn demo() -> Result<(), nyckelfri_server::Error> {
//! let mut config = nyckelfri_server::Config::new("/tmp/nyckelfri");
//! config.listen = "127.0.0.1:0".parse().map_err(|_| nyckelfri_server::Error::Config("addr".into()))?;
//! let server = nyckelfri_server::Server::start(config).await?;
//! println!("listening on {}", server.local_addr());
//! server.shutdown().await?;
//! # Ok(()) }
//! ```

pub mod api;
pub mod audit;
pub mod auth;
pub mod clock;
pub mod codec;
pub mod db;
pub mod demo;
pub mod error;
pub mod holidays;
pub mod import;
pub mod installation_receipts;
pub mod issuance;
pub mod keys;
pub mod mail;
pub mod major;
pub mod model;
pub mod orders;
pub mod outages;
pub mod permit;
pub mod policy;
pub mod ratelimit;
pub(crate) mod receipts;
pub mod revocation;
pub mod scheduler;
pub mod state;
pub mod store;
pub mod time;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use nyckelfri_protocol::{PublicKey, Signer};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use clock::Clock;
pub use db::{Backend, Db};
pub use demo::{DemoSummary, load_demo};
pub use error::{Error, Result};
pub use import::import_csv;
pub use state::{AppState, MailSettings, Settings};

/// How a server instance is set up.
#[derive(Debug, Clone)]
pub struct Config {
    /// Holds the SQLite file (by default), the issuer key (unless given)
    /// and the admin token.
    pub data_dir: PathBuf,
    /// Where to listen (`127.0.0.1:0` picks a free port).
    pub listen: SocketAddr,
    /// `postgres://...` or `sqlite://...`; the SQLite file in the data
    /// directory when `None`.
    pub database_url: Option<String>,
    /// The issuer key (PKCS#8, DER or PEM); generated into the data
    /// directory when `None`. Instances sharing a database must share it.
    pub issuer_key_path: Option<PathBuf>,
    /// The admin token; read or generated in the data directory when `None`.
    pub admin_token: Option<String>,
    /// Database pool size.
    pub max_db_connections: u32,
    /// Token and session tunables.
    pub settings: Settings,
    /// The clock (tests pin it).
    pub clock: Clock,
    /// Behind a reverse proxy that sets `X-Forwarded-For`: rate limits key
    /// on its right-most entry instead of the TCP peer. Never set this
    /// without such a proxy: anyone could then pick their own address.
    pub trust_forwarded_for: bool,
}

impl Config {
    /// Defaults: listen on 127.0.0.1:8080, SQLite in `data_dir`.
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            data_dir: data_dir.into(),
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            database_url: None,
            issuer_key_path: None,
            admin_token: None,
            max_db_connections: 16,
            settings: Settings::default(),
            clock: Clock::system(),
            trust_forwarded_for: false,
        }
    }

    /// The database URL in effect.
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(u) => u.clone(),
            None => db::sqlite_url(&self.data_dir.join("nyckelfri.sqlite3")),
        }
    }
}

/// Opens (and migrates) the configured database, creating the data
/// directory if needed. For the command-line tools.
pub async fn open_db(config: &Config) -> Result<Db> {
    keys::ensure_data_dir(&config.data_dir)?;
    Db::connect(&config.database_url(), config.max_db_connections).await
}

/// The server.
pub struct Server;

impl Server {
    /// Opens the database, loads or makes the keys, binds and serves in
    /// the background. Returns once the socket is listening.
    pub async fn start(config: Config) -> Result<ServerHandle> {
        check_settings(&config.settings)?;
        // No endpoint is served without a policy entry.
        let policy = policy::Policy::builtin()?;
        policy.check_routes(&api::route_table())?;
        let limiter =
            ratelimit::Limiter::new(&config.settings.rate_limits, config.trust_forwarded_for)?;
        keys::ensure_data_dir(&config.data_dir)?;
        let issuer =
            keys::load_or_create_issuer(&config.data_dir, config.issuer_key_path.as_deref())?;
        let admin_token = match &config.admin_token {
            Some(t) if t.len() >= 32 => t.clone(),
            Some(_) => {
                return Err(Error::Config(
                    "the admin token must be at least 32 characters".into(),
                ));
            }
            None => keys::load_or_create_admin_token(&config.data_dir)?,
        };
        let db = Db::connect(&config.database_url(), config.max_db_connections).await?;

        // Every instance on one database must sign with the same key.
        let kid = hex::encode(issuer.public_key().key_id());
        let stored = db.meta_set_once("issuer_key_id", &kid).await?;
        if stored != kid {
            return Err(Error::Config(format!(
                "this database was set up with issuer key {stored}, but this instance has key {kid}; \
                 give every instance the same key (--issuer-key)"
            )));
        }
        let clock = config.clock.clone();
        revocation::ensure_signed(&db, &issuer, clock.now()).await?;

        let state = AppState::new(
            db.clone(),
            issuer,
            clock,
            config.settings.clone(),
            codec::sha256_hex(admin_token.as_bytes()),
            policy,
            limiter,
        );
        let app = api::router(state.clone());
        let listener = TcpListener::bind(config.listen).await?;
        let addr = listener.local_addr()?;
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            axum::serve(
                listener,
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .with_graceful_shutdown(async {
                let _ = rx.await;
            })
            .await
        });
        let janitor = tokio::spawn(janitor(state.clone()));
        let scheduler = tokio::spawn(scheduler::run(state.clone()));
        tracing::info!(%addr, database = db.backend().name(), "nyckelfri-server listening");
        Ok(ServerHandle {
            addr,
            state,
            admin_token,
            shutdown: Some(tx),
            task,
            janitor,
            scheduler,
        })
    }
}

/// Checks the tunables that have bounds.
fn check_settings(s: &Settings) -> Result<()> {
    if !(2..=100_000).contains(&s.major_outage_locks) {
        return Err(Error::Config(
            "the major outage threshold must be 2 to 100000 locks".into(),
        ));
    }
    if !(60..=7 * 86_400).contains(&s.major_outage_window_secs) {
        return Err(Error::Config(
            "the major outage window must be 1 minute to 7 days".into(),
        ));
    }
    if s.scheduler_interval_secs > 3600 {
        return Err(Error::Config(
            "the scheduler interval must be at most 1 hour (0: no background runs)".into(),
        ));
    }
    if let Some(m) = &s.mail {
        mail::check(m)?;
    }
    if let Some(u) = &s.alarm_group_unit_id {
        codec::check_id(u, "alarm group unit").map_err(|e| Error::Config(e.to_string()))?;
    }
    Ok(())
}

/// Deletes what has expired, every ten minutes.
async fn janitor(state: AppState) {
    let mut tick = tokio::time::interval(Duration::from_secs(600));
    loop {
        tick.tick().await;
        let now = state.now();
        let statements: [(&str, i64); 4] = [
            ("DELETE FROM challenges WHERE expires_at < $1", now - 3600),
            ("DELETE FROM sessions WHERE expires_at < $1", now - 3600),
            (
                "DELETE FROM enrollment_codes WHERE expires_at < $1",
                now - 30 * 86_400,
            ),
            (
                "DELETE FROM issued_tokens WHERE expires < $1",
                now - 90 * 86_400,
            ),
        ];
        state.limiter().forget_idle();
        for (sql, before) in statements {
            if let Err(e) = sqlx::query(sql)
                .bind(before)
                .execute(state.db().pool())
                .await
            {
                tracing::warn!(error = %e, "clean-up failed");
            }
        }
    }
}

/// A running server.
pub struct ServerHandle {
    addr: SocketAddr,
    state: AppState,
    admin_token: String,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
    janitor: JoinHandle<()>,
    scheduler: JoinHandle<()>,
}

impl ServerHandle {
    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://<address>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The database.
    pub fn db(&self) -> &Db {
        self.state.db()
    }

    /// The shared state (for tests and tools in the same process).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// The admin token in effect.
    pub fn admin_token(&self) -> &str {
        &self.admin_token
    }

    /// The issuer's public key.
    pub fn issuer_public_key(&self) -> PublicKey {
        self.state.issuer().public_key()
    }

    /// Stops accepting, finishes open requests, closes the pool.
    pub async fn shutdown(mut self) -> Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        self.janitor.abort();
        self.scheduler.abort();
        let r = (&mut self.task)
            .await
            .map_err(|e| Error::Internal(format!("server task: {e}")))?;
        self.state.audit().flush().await;
        self.state.db().close().await;
        r.map_err(Error::Io)
    }

    /// Serves until `signal` completes, then shuts down.
    pub async fn run_until(self, signal: impl std::future::Future<Output = ()>) -> Result<()> {
        signal.await;
        self.shutdown().await
    }
}

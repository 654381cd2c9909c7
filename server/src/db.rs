//! The database: one code base over SQLite and PostgreSQL through sqlx's
//! `Any` driver. SQL is written once, with `$1` placeholders, and only the
//! types both databases share (64-bit integers, text, bytes). The two
//! migration folders differ only in type names.
//!
//! Concurrency rule: every write transaction is opened with
//! [`Db::begin_write`], which on SQLite takes the write lock up front
//! (`BEGIN IMMEDIATE`, waiting on the busy timeout): a deferred transaction
//! that reads first cannot be upgraded once another writer has committed
//! since its read (SQLITE_BUSY_SNAPSHOT, which the busy timeout does not
//! retry), and the caller would get a server fault. Write transactions
//! still start with a write statement, so that in PostgreSQL they take
//! row locks before reading what those locks protect.

use std::borrow::Cow;
use std::path::Path;
use std::time::Duration;

use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::{Any, AnyPool, Executor, Transaction};

use crate::error::{Error, Result};

/// Which database is behind the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file (the default: nothing to install).
    Sqlite,
    /// PostgreSQL (several server instances can share it).
    Postgres,
}

impl Backend {
    /// `sqlite` or `postgres`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }
}

/// A pool on one database.
#[derive(Clone, Debug)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
}

const SQLITE_MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "init",
        include_str!("../migrations/sqlite/0001_init.sql"),
    ),
    (
        2,
        "outages",
        include_str!("../migrations/sqlite/0002_outages.sql"),
    ),
    (
        3,
        "orders",
        include_str!("../migrations/sqlite/0003_orders.sql"),
    ),
    (
        4,
        "served_units",
        include_str!("../migrations/sqlite/0004_served_units.sql"),
    ),
    (
        5,
        "authorization",
        include_str!("../migrations/sqlite/0005_authorization.sql"),
    ),
    (
        6,
        "lock_revocation",
        include_str!("../migrations/sqlite/0006_lock_revocation.sql"),
    ),
    (
        7,
        "routine",
        include_str!("../migrations/sqlite/0007_routine.sql"),
    ),
];
const POSTGRES_MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "init",
        include_str!("../migrations/postgres/0001_init.sql"),
    ),
    (
        2,
        "outages",
        include_str!("../migrations/postgres/0002_outages.sql"),
    ),
    (
        3,
        "orders",
        include_str!("../migrations/postgres/0003_orders.sql"),
    ),
    (
        4,
        "served_units",
        include_str!("../migrations/postgres/0004_served_units.sql"),
    ),
    (
        5,
        "authorization",
        include_str!("../migrations/postgres/0005_authorization.sql"),
    ),
    (
        6,
        "lock_revocation",
        include_str!("../migrations/postgres/0006_lock_revocation.sql"),
    ),
    (
        7,
        "routine",
        include_str!("../migrations/postgres/0007_routine.sql"),
    ),
];

/// The SQLite URL of a file (created if missing).
pub fn sqlite_url(path: &Path) -> String {
    let mut s = String::new();
    for c in path.to_string_lossy().chars() {
        match c {
            '%' => s.push_str("%25"),
            '?' => s.push_str("%3F"),
            '#' => s.push_str("%23"),
            ' ' => s.push_str("%20"),
            c => s.push(c),
        }
    }
    format!("sqlite://{s}?mode=rwc")
}

impl Db {
    /// Connects to `url` (`sqlite://...` or `postgres://...`) and brings the
    /// schema up to date.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Db> {
        install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(Error::Config(
                "DATABASE_URL must start with sqlite: or postgres:".into(),
            ));
        };
        let mut opts = AnyPoolOptions::new()
            .max_connections(max_connections.max(1))
            .acquire_timeout(Duration::from_secs(10));
        if backend == Backend::Sqlite {
            opts = opts.after_connect(|conn, _meta| {
                Box::pin(async move {
                    // WAL survives in the file; NORMAL sync is safe with WAL.
                    conn.execute("PRAGMA journal_mode = WAL").await?;
                    conn.execute("PRAGMA synchronous = NORMAL").await?;
                    conn.execute("PRAGMA busy_timeout = 10000").await?;
                    Ok(())
                })
            });
        }
        let pool = opts.connect(url).await.map_err(|e| {
            // The URL may hold a password: say only which backend failed.
            Error::Config(format!(
                "cannot connect to the {} database: {e}",
                backend.name()
            ))
        })?;
        let db = Db { pool, backend };
        db.migrate().await?;
        Ok(db)
    }

    /// Runs the pending migrations of this backend.
    pub async fn migrate(&self) -> Result<()> {
        let source = match self.backend {
            Backend::Sqlite => SQLITE_MIGRATIONS,
            Backend::Postgres => POSTGRES_MIGRATIONS,
        };
        let migrations: Vec<Migration> = source
            .iter()
            .map(|(v, d, sql)| {
                Migration::new(
                    *v,
                    Cow::Borrowed(*d),
                    MigrationType::Simple,
                    Cow::Borrowed(*sql),
                    false,
                )
            })
            .collect();
        let migrator = Migrator {
            migrations: Cow::Owned(migrations),
            ..Migrator::DEFAULT
        };
        migrator.run(&self.pool).await?;
        Ok(())
    }

    /// The pool.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// A transaction that will write (see the concurrency rule above).
    pub async fn begin_write(&self) -> Result<Transaction<'static, Any>> {
        let tx = match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        };
        Ok(tx)
    }

    /// Which database.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Closes the pool.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// A value from the `meta` table.
    pub async fn meta(&self, key: &str) -> Result<Option<String>> {
        Ok(sqlx::query_scalar("SELECT value FROM meta WHERE key = $1")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// Sets a `meta` value if it is not set yet; returns the value now stored.
    pub async fn meta_set_once(&self, key: &str, value: &str) -> Result<String> {
        sqlx::query("INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING")
            .bind(key)
            .bind(value)
            .execute(&self.pool)
            .await?;
        self.meta(key)
            .await?
            .ok_or_else(|| Error::Internal(format!("meta {key} missing after insert")))
    }
}

#[cfg(test)]
mod tests {
    /// The two schemas must stay column-for-column the same (only what
    /// follows a `-- Flavour-specific` line, e.g. triggers, may differ).
    #[test]
    fn sqlite_and_postgres_schemas_differ_only_in_type_names() {
        let norm = |s: &str| {
            s.lines()
                .take_while(|l| !l.starts_with("-- Flavour-specific"))
                .filter(|l| !l.starts_with("--"))
                .collect::<Vec<_>>()
                .join("\n")
                .replace("BIGSERIAL PRIMARY KEY", "INTEGER PRIMARY KEY AUTOINCREMENT")
                .replace("BIGINT", "INTEGER")
                .replace("BYTEA", "BLOB")
        };
        for ((_, _, a), (_, _, b)) in super::SQLITE_MIGRATIONS
            .iter()
            .zip(super::POSTGRES_MIGRATIONS.iter())
        {
            assert_eq!(norm(a), norm(b));
        }
        assert_eq!(
            super::SQLITE_MIGRATIONS.len(),
            super::POSTGRES_MIGRATIONS.len()
        );
    }
}

//! The SQLite store: one file, WAL, one writer and one reader connection.
//! Work is done in closures (`read(|conn| …)`, `write(|tx| …)`) so no
//! connection is ever held across an `.await`.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use rusqlite::{Connection, ErrorCode, OpenFlags, Transaction, TransactionBehavior};

use crate::error::{Error, Result};
use crate::schema::{self, VERSION};

/// The app's database.
pub struct Store {
    writer: Mutex<Connection>,
    reader: Mutex<Connection>,
}

fn lock(m: &Mutex<Connection>) -> MutexGuard<'_, Connection> {
    // A panic while holding the connection leaves SQLite itself consistent
    // (an open transaction is rolled back on drop), so carry on.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn is_damage(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt)
    )
}

impl Store {
    /// Opens (or creates) the database at `path` and brings its schema up to
    /// date. A damaged file is moved aside, never deleted, and reported as
    /// [`Error::Corrupt`]; a file from a newer app is left alone and reported
    /// as [`Error::TooNew`].
    pub fn open(path: &Path) -> Result<Store> {
        match Self::try_open(path) {
            Err(Error::Sql(e)) if is_damage(&e) => Err(Error::Corrupt {
                moved_to: move_aside(path)?.display().to_string(),
            }),
            other => other,
        }
    }

    fn try_open(path: &Path) -> Result<Store> {
        let mut writer = Connection::open(path)?;
        writer.pragma_update(None, "journal_mode", "WAL")?;
        writer.pragma_update(None, "synchronous", "FULL")?;
        writer.pragma_update(None, "foreign_keys", true)?;
        writer.busy_timeout(std::time::Duration::from_secs(5))?;
        let found: u32 = writer.pragma_query_value(None, "user_version", |r| r.get(0))?;
        if found > VERSION {
            return Err(Error::TooNew {
                found,
                supported: VERSION,
            });
        }
        // A damaged page anywhere would otherwise surface later, mid-unlock.
        let check: String = writer.pragma_query_value(None, "quick_check", |r| r.get(0))?;
        if check != "ok" {
            return Err(Error::Sql(rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CORRUPT),
                Some(check),
            )));
        }
        if found < VERSION {
            let tx = writer.transaction_with_behavior(TransactionBehavior::Exclusive)?;
            schema::upgrade_from(&tx, found)?;
            tx.commit()?;
        }
        let reader = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        reader.busy_timeout(std::time::Duration::from_secs(5))?;
        Ok(Store {
            writer: Mutex::new(writer),
            reader: Mutex::new(reader),
        })
    }

    /// Runs `f` on the reader connection.
    pub fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        f(&lock(&self.reader))
    }

    /// Runs `f` in one write transaction, committed if `f` succeeds.
    pub fn write<T>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        let mut conn = lock(&self.writer);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    }
}

/// Renames a damaged database (and its WAL and SHM files) to
/// `<name>.damaged-<unix time>`, so nothing in it is lost.
fn move_aside(path: &Path) -> Result<PathBuf> {
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "nyckelfri.db".into());
    let target = path.with_file_name(format!("{name}.damaged-{stamp}"));
    std::fs::rename(path, &target)?;
    for suffix in ["-wal", "-shm"] {
        let side = path.with_file_name(format!("{name}{suffix}"));
        if side.exists() {
            std::fs::rename(&side, target.with_file_name(format!("{name}.damaged-{stamp}{suffix}")))?;
        }
    }
    Ok(target)
}

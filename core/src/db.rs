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
        writer.busy_timeout(std::time::Duration::from_secs(5))?;
        // Read the version before changing anything: a newer app's file must
        // be left exactly as it is.
        let found: u32 = writer.pragma_query_value(None, "user_version", |r| r.get(0))?;
        if found > VERSION {
            return Err(Error::TooNew {
                found,
                supported: VERSION,
            });
        }
        writer.pragma_update(None, "journal_mode", "WAL")?;
        writer.pragma_update(None, "synchronous", "FULL")?;
        writer.pragma_update(None, "foreign_keys", true)?;
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
            std::fs::rename(
                &side,
                target.with_file_name(format!("{name}.damaged-{stamp}{suffix}")),
            )?;
        }
    }
    Ok(target)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::MIGRATIONS;

    /// Builds a database as an app of schema version `v` left it, with a
    /// visit, a token and an unsynced event in it.
    fn old_database(path: &Path, v: u32) {
        let conn = Connection::open(path).unwrap();
        for sql in MIGRATIONS.iter().take(v as usize) {
            conn.execute_batch(sql).unwrap();
        }
        conn.pragma_update(None, "user_version", v).unwrap();
        if v >= 1 {
            conn.execute_batch(
                "INSERT INTO visits VALUES ('v1', 'u1', 'lock-1', 'b1', 'Brukare', 'Gatan 1', 10, 20, NULL);
                 INSERT INTO tokens VALUES (x'01', 'lock-1', 0, 100, 'd1', 200, 1, x'00');
                 INSERT INTO outbox (event_id, kind, payload, created_at) VALUES ('e1', 'unlock', '{}', 5);",
            )
            .unwrap();
        }
    }

    #[test]
    fn a_database_of_every_older_version_opens_and_keeps_its_data() {
        for v in 0..VERSION {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("app.db");
            old_database(&path, v);
            let store = Store::open(&path).unwrap();
            let (version, events): (u32, i64) = store
                .read(|c| {
                    Ok((
                        c.pragma_query_value(None, "user_version", |r| r.get(0))?,
                        c.query_row(
                            "SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL",
                            [],
                            |r| r.get(0),
                        )?,
                    ))
                })
                .unwrap();
            assert_eq!(version, VERSION, "from version {v}");
            assert_eq!(
                events,
                i64::from(v >= 1),
                "unsynced events kept from version {v}"
            );
            // The newest tables work.
            store
                .write(|tx| {
                    tx.execute(
                        "INSERT INTO unlock_attempts VALUES (x'02', NULL, 'lock-1', x'01', 1, 'started', 1, 1)",
                        [],
                    )?;
                    tx.execute(
                        "INSERT INTO outage_reports (report_id, cause, occurred_at, steps,
                             weekend_or_holiday, night, updated_at)
                         VALUES ('r1', 'jammed', 1, '[]', 0, 0, 1)",
                        [],
                    )?;
                    Ok(())
                })
                .unwrap();
        }
    }

    #[test]
    fn a_failed_migration_leaves_the_old_version_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.db");
        old_database(&path, 1);
        // A table in the way makes migration 1 → 2 fail halfway.
        Connection::open(&path)
            .unwrap()
            .execute_batch("CREATE TABLE unlock_attempts (x INTEGER);")
            .unwrap();
        assert!(Store::open(&path).is_err());
        let conn = Connection::open(&path).unwrap();
        let v: u32 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(v, 1);
        let events: i64 = conn
            .query_row("SELECT COUNT(*) FROM outbox", [], |r| r.get(0))
            .unwrap();
        assert_eq!(events, 1);
    }

    #[test]
    fn a_database_from_a_newer_app_is_refused_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.db");
        old_database(&path, VERSION);
        Connection::open(&path)
            .unwrap()
            .pragma_update(None, "user_version", VERSION + 1)
            .unwrap();
        let before = nyckelfri_protocol::keys::sha256(&std::fs::read(&path).unwrap());
        match Store::open(&path) {
            Err(Error::TooNew { found, supported }) => {
                assert_eq!((found, supported), (VERSION + 1, VERSION));
            }
            Err(e) => panic!("{e}"),
            Ok(_) => panic!("opened a newer database"),
        }
        assert!(
            nyckelfri_protocol::keys::sha256(&std::fs::read(&path).unwrap()) == before,
            "the newer database was modified"
        );
    }

    #[test]
    fn a_damaged_file_is_moved_aside_with_its_events_and_a_fresh_one_opens() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.db");
        std::fs::write(
            &path,
            b"this is not an SQLite database, but it is someone's data",
        )
        .unwrap();
        let moved = match Store::open(&path) {
            Err(Error::Corrupt { moved_to }) => PathBuf::from(moved_to),
            Err(e) => panic!("{e}"),
            Ok(_) => panic!("opened garbage"),
        };
        assert!(!path.exists());
        assert_eq!(
            std::fs::read(&moved).unwrap(),
            b"this is not an SQLite database, but it is someone's data"
        );
        let store = Store::open(&path).unwrap();
        let n: i64 = store
            .read(|c| Ok(c.query_row("SELECT COUNT(*) FROM outbox", [], |r| r.get(0))?))
            .unwrap();
        assert_eq!(n, 0);
    }

    #[test]
    fn a_database_with_damaged_pages_is_moved_aside() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.db");
        {
            let store = Store::open(&path).unwrap();
            store
                .write(|tx| {
                    for i in 0..2000 {
                        tx.execute(
                            "INSERT INTO outbox (event_id, kind, payload, created_at) VALUES (?1, 'unlock', ?2, 1)",
                            rusqlite::params![format!("e{i}"), "x".repeat(200)],
                        )?;
                    }
                    Ok(())
                })
                .unwrap();
            let w = lock(&store.writer);
            w.pragma_update(None, "wal_checkpoint", "TRUNCATE").unwrap();
        }
        // Scribble over the middle of the file, as a failing flash chip might.
        let mut bytes = std::fs::read(&path).unwrap();
        let mid = bytes.len() / 2;
        for b in &mut bytes[mid..mid + 8192] {
            *b = 0x5a;
        }
        std::fs::write(&path, &bytes).unwrap();
        assert!(matches!(Store::open(&path), Err(Error::Corrupt { .. })));
    }
}

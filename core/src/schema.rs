//! The store's schema: its version lives in SQLite's `user_version`, and
//! [`upgrade_from`] runs every missing migration in one transaction.

use rusqlite::Transaction;

use crate::error::Result;

/// The schema version this build writes.
pub const VERSION: u32 = 4;

/// Each entry takes the schema from version `i` to `i + 1`.
pub(crate) const MIGRATIONS: [&str; VERSION as usize] = [
    // 0 → 1: the day's data and the durable outbox.
    "
    CREATE TABLE locks (
        lock_id     TEXT PRIMARY KEY,
        public_key  BLOB NOT NULL,
        brukare_id  TEXT
    );
    CREATE TABLE unit_settings (
        unit_id               TEXT PRIMARY KEY,
        name                  TEXT NOT NULL,
        coordinator_phone     TEXT NOT NULL,
        day_key_location      TEXT NOT NULL,
        night_key_location    TEXT NOT NULL,
        night_patrol_deadline TEXT NOT NULL,
        time_zone             TEXT NOT NULL
    );
    CREATE TABLE visits (
        visit_id      TEXT PRIMARY KEY,
        unit_id       TEXT NOT NULL,
        lock_id       TEXT NOT NULL,
        brukare_id    TEXT NOT NULL,
        brukare_name  TEXT NOT NULL,
        address       TEXT NOT NULL,
        starts_at     INTEGER NOT NULL,
        ends_at       INTEGER NOT NULL,
        no_key_reason TEXT
    );
    CREATE INDEX visits_by_start ON visits(starts_at);
    CREATE TABLE tokens (
        token_id      BLOB PRIMARY KEY,
        lock_id       TEXT NOT NULL,
        not_before    INTEGER NOT NULL,
        expires       INTEGER NOT NULL,
        decision_id   TEXT NOT NULL,
        decision_end  INTEGER NOT NULL,
        scope         INTEGER NOT NULL,
        token         BLOB NOT NULL
    );
    CREATE INDEX tokens_by_lock ON tokens(lock_id, expires);
    CREATE TABLE receipts (
        request_id   BLOB PRIMARY KEY,
        lock_id      TEXT NOT NULL,
        visit_id     TEXT,
        token_id     BLOB NOT NULL,
        command      INTEGER NOT NULL,
        status       INTEGER NOT NULL,
        counter      INTEGER NOT NULL,
        lock_time    INTEGER NOT NULL,
        bolt         INTEGER NOT NULL,
        battery      INTEGER NOT NULL,
        repeated     INTEGER NOT NULL,
        nonce        BLOB NOT NULL,
        signature    BLOB NOT NULL,
        recorded_at  INTEGER NOT NULL
    );
    CREATE TABLE outbox (
        seq         INTEGER PRIMARY KEY AUTOINCREMENT,
        event_id    TEXT NOT NULL UNIQUE,
        kind        TEXT NOT NULL,
        payload     TEXT NOT NULL,
        created_at  INTEGER NOT NULL,
        sent_at     INTEGER
    );
    CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    ",
    // 1 → 2: unlock attempts, so a crash between the lock's answer and the
    // commit can be resumed with the same request id.
    "
    CREATE TABLE unlock_attempts (
        request_id  BLOB PRIMARY KEY,
        visit_id    TEXT,
        lock_id     TEXT NOT NULL,
        token_id    BLOB NOT NULL,
        command     INTEGER NOT NULL,
        state       TEXT NOT NULL CHECK (state IN ('started', 'sent', 'done', 'abandoned')),
        started_at  INTEGER NOT NULL,
        updated_at  INTEGER NOT NULL
    );
    CREATE INDEX unlock_attempts_open ON unlock_attempts(state) WHERE state IN ('started', 'sent');
    ",
    // 2 → 3: failed-lock reports (R2.9), kept until the lock works again,
    // with the routine's steps and when each was done.
    "
    CREATE TABLE outage_reports (
        report_id          TEXT PRIMARY KEY,
        lock_id            TEXT,
        brukare_id         TEXT,
        visit_id           TEXT,
        cause              TEXT NOT NULL,
        occurred_at        INTEGER NOT NULL,
        steps              TEXT NOT NULL,
        weekend_or_holiday INTEGER NOT NULL,
        night              INTEGER NOT NULL,
        revision           INTEGER NOT NULL DEFAULT 0,
        updated_at         INTEGER NOT NULL
    );
    ",
    // 3 → 4: the unit's office hours, the night patrol's number and its
    // acute key routine (R2.8, R2.12, R2.13), and the worker's shifts, which
    // decide the day or the night key (R2.1, R2.2).
    "
    ALTER TABLE unit_settings ADD COLUMN office_opens TEXT NOT NULL DEFAULT '07:00';
    ALTER TABLE unit_settings ADD COLUMN office_closes TEXT NOT NULL DEFAULT '17:00';
    ALTER TABLE unit_settings ADD COLUMN night_patrol_phone TEXT;
    ALTER TABLE unit_settings ADD COLUMN acute_key_routine TEXT;
    ALTER TABLE unit_settings ADD COLUMN acute_key_routine_en TEXT;
    CREATE TABLE shifts (
        shift_id   TEXT PRIMARY KEY,
        unit_id    TEXT NOT NULL,
        kind       TEXT NOT NULL CHECK (kind IN ('day', 'evening', 'night')),
        starts_at  INTEGER NOT NULL,
        ends_at    INTEGER NOT NULL
    );
    ",
];

/// Brings a database at version `from` up to [`VERSION`], inside `tx`.
pub(crate) fn upgrade_from(tx: &Transaction<'_>, from: u32) -> Result<()> {
    for sql in MIGRATIONS.iter().skip(from as usize) {
        tx.execute_batch(sql)?;
    }
    tx.pragma_update(None, "user_version", VERSION)?;
    Ok(())
}

//! The durable outbox and the receipts: what the server will be told, and
//! the locks' signed proof of each visit. Every event carries a client-made
//! id, so retries never duplicate it on the server.

use nyckelfri_protocol::Status;
use nyckelfri_protocol::exchange::VerifiedReceipt;
use rusqlite::{Connection, Row, Transaction, params};

use crate::error::Result;
use crate::model::{EventView, ReceiptView};

/// Adds an event unless one with this id exists. Returns whether it was added.
pub(crate) fn record_event(
    tx: &Transaction<'_>,
    event_id: &str,
    kind: &str,
    payload: &serde_json::Value,
    now: i64,
) -> Result<bool> {
    let n = tx.execute(
        "INSERT INTO outbox (event_id, kind, payload, created_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT(event_id) DO NOTHING",
        params![event_id, kind, payload.to_string(), now],
    )?;
    Ok(n == 1)
}

/// A fresh random event id (hex, 128 bits).
pub(crate) fn new_event_id() -> Result<String> {
    let mut id = [0u8; 16];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut id)
        .map_err(|_| crate::error::Error::Signer("no randomness for an event id".into()))?;
    Ok(hex::encode(id))
}

/// Stores a verified receipt (once per request id).
pub(crate) fn store_receipt(
    tx: &Transaction<'_>,
    r: &VerifiedReceipt,
    visit_id: Option<&str>,
    now: i64,
) -> Result<()> {
    tx.execute(
        "INSERT INTO receipts (request_id, lock_id, visit_id, token_id, command, status, counter,
             lock_time, bolt, battery, repeated, nonce, signature, recorded_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)
         ON CONFLICT(request_id) DO NOTHING",
        params![
            r.request_id.to_vec(),
            r.lock_id,
            visit_id,
            r.token_id.to_vec(),
            r.command as u8,
            r.status.code(),
            i64::try_from(r.counter).unwrap_or(i64::MAX),
            i64::try_from(r.lock_time).unwrap_or(i64::MAX),
            r.bolt as u8,
            r.battery,
            r.repeated,
            r.nonce.to_vec(),
            r.lock_signature.to_vec(),
            now
        ],
    )?;
    Ok(())
}

/// The receipt as the apps see it.
pub(crate) fn receipt_view(r: &VerifiedReceipt, visit_id: Option<&str>, now: i64) -> ReceiptView {
    ReceiptView {
        request_id: hex::encode(r.request_id),
        lock_id: r.lock_id.clone(),
        visit_id: visit_id.map(str::to_owned),
        status: r.status.name().to_owned(),
        counter: r.counter,
        lock_time: i64::try_from(r.lock_time).unwrap_or(i64::MAX),
        battery_percent: r.battery,
        repeated: r.repeated,
        recorded_at: now,
    }
}

fn receipt_row(row: &Row<'_>) -> rusqlite::Result<ReceiptView> {
    let request_id: Vec<u8> = row.get(0)?;
    let status: u8 = row.get(3)?;
    Ok(ReceiptView {
        request_id: hex::encode(request_id),
        lock_id: row.get(1)?,
        visit_id: row.get(2)?,
        status: Status::from_code(u64::from(status))
            .map_or("unknown", Status::name)
            .to_owned(),
        counter: u64::try_from(row.get::<_, i64>(4)?).unwrap_or(0),
        lock_time: row.get(5)?,
        battery_percent: row.get(6)?,
        repeated: row.get(7)?,
        recorded_at: row.get(8)?,
    })
}

/// The newest receipts first.
pub(crate) fn recent_receipts(conn: &Connection, limit: u32) -> Result<Vec<ReceiptView>> {
    let mut stmt = conn.prepare_cached(
        "SELECT request_id, lock_id, visit_id, status, counter, lock_time, battery, repeated,
                recorded_at
         FROM receipts ORDER BY recorded_at DESC, rowid DESC LIMIT ?1",
    )?;
    let rows = stmt.query_map([limit], receipt_row)?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

/// The newest events first.
pub(crate) fn recent_events(conn: &Connection, limit: u32) -> Result<Vec<EventView>> {
    let mut stmt = conn.prepare_cached(
        "SELECT event_id, kind, payload, created_at, sent_at IS NOT NULL
         FROM outbox ORDER BY seq DESC LIMIT ?1",
    )?;
    let rows = stmt.query_map([limit], |r| {
        Ok(EventView {
            event_id: r.get(0)?,
            kind: r.get(1)?,
            payload_json: r.get(2)?,
            created_at: r.get(3)?,
            synced: r.get(4)?,
        })
    })?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

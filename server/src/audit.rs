//! The append-only audit log (tables `audit_log`, `audit_subjects`; the
//! database's triggers refuse UPDATE and DELETE on them).
//!
//! - **Writes** by desk roles (operations with `audit = "write"` in the
//!   policy) are recorded in the same transaction as the change, with the
//!   record before and after: both land or neither does.
//! - **Reads** of a brukare's personal data (`audit = "read"`) and every
//!   **use of the admin token** go through a background writer that
//!   batches them, so that the bundle — read by every phone every morning —
//!   takes no write lock: the writer gathers what arrives within a quarter
//!   of a second into one transaction. [`Log::flush`] waits for what is
//!   queued; the audit endpoint flushes before it reads, and shutdown
//!   flushes. A crash can lose what was queued in the last moment (under a
//!   second); a full queue falls back to writing at once.
//!
//! Entry notes (door codes) never enter the log: a record's `entry_notes`
//! is replaced by its SHA-256 before it is stored.

use serde_json::Value;
use sqlx::AnyConnection;
use sqlx::Row;
use tokio::sync::{mpsc, oneshot};

use crate::auth::Caller;
use crate::codec;
use crate::db::Db;
use crate::error::{Error, Result};
use crate::model::{AuditEntry, AuditQuery, Role};

/// What an entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// A change, with the record before and after.
    Write,
    /// A read of brukare's personal data.
    Read,
    /// The admin token was used.
    AdminUse,
}

impl Action {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Write => "write",
            Action::Read => "read",
            Action::AdminUse => "admin_use",
        }
    }
}

/// One entry to store.
#[derive(Debug, Clone)]
pub struct Record {
    /// When.
    pub at: i64,
    /// `staff`, `admin` or `cli`.
    pub actor: &'static str,
    /// The staff member.
    pub staff_id: Option<String>,
    /// Their device.
    pub device_id: Option<String>,
    /// Their role.
    pub role: Option<Role>,
    /// The operation (policy key).
    pub operation: String,
    /// What it records.
    pub action: Action,
    /// The kind of record.
    pub target_kind: Option<&'static str>,
    /// Its id.
    pub target_id: Option<String>,
    /// Its unit.
    pub unit_id: Option<String>,
    /// Before the change.
    pub before: Option<Value>,
    /// After the change.
    pub after: Option<Value>,
    /// The brukare concerned.
    pub brukare_ids: Vec<String>,
}

impl Record {
    /// An entry for `caller` doing `operation`.
    pub fn new(caller: &Caller, operation: &str, action: Action, at: i64) -> Record {
        let (actor, staff_id, device_id, role) = match caller {
            Caller::Admin => ("admin", None, None, None),
            Caller::Device(d) => (
                "staff",
                Some(d.staff.id.clone()),
                Some(d.device_id.clone()),
                Some(d.staff.role),
            ),
        };
        Record {
            at,
            actor,
            staff_id,
            device_id,
            role,
            operation: operation.to_owned(),
            action,
            target_kind: None,
            target_id: None,
            unit_id: None,
            before: None,
            after: None,
            brukare_ids: Vec::new(),
        }
    }

    /// An entry for the server's command line (no session, no token).
    pub fn cli(operation: &str, action: Action, at: i64) -> Record {
        let mut r = Record::new(&Caller::Admin, operation, action, at);
        r.actor = "cli";
        r
    }

    /// Names the record it is about.
    pub fn target(mut self, kind: &'static str, id: &str, unit_id: Option<&str>) -> Record {
        self.target_kind = Some(kind);
        self.target_id = Some(id.to_owned());
        self.unit_id = unit_id.map(str::to_owned);
        self
    }

    /// The record before, serialized (entry notes hashed).
    pub fn before<T: serde::Serialize>(mut self, v: &T) -> Record {
        self.before = redact(serde_json::to_value(v).ok());
        self
    }

    /// The record after, serialized (entry notes hashed).
    pub fn after<T: serde::Serialize>(mut self, v: &T) -> Record {
        self.after = redact(serde_json::to_value(v).ok());
        self
    }

    /// The brukare concerned.
    pub fn brukare<I: IntoIterator<Item = S>, S: Into<String>>(mut self, ids: I) -> Record {
        self.brukare_ids.extend(ids.into_iter().map(Into::into));
        self.brukare_ids.sort();
        self.brukare_ids.dedup();
        self
    }
}

/// Replaces every `entry_notes` string with its SHA-256: the log says that
/// the notes changed, never what the door code is.
fn redact(v: Option<Value>) -> Option<Value> {
    fn walk(v: &mut Value) {
        match v {
            Value::Object(m) => {
                for (k, x) in m.iter_mut() {
                    if k == "entry_notes"
                        && let Value::String(s) = x
                    {
                        *s = format!("sha256:{}", codec::sha256_hex(s.as_bytes()));
                    } else {
                        walk(x);
                    }
                }
            }
            Value::Array(a) => a.iter_mut().for_each(walk),
            _ => {}
        }
    }
    let mut v = v?;
    walk(&mut v);
    Some(v)
}

/// Logs a read of brukare's personal data by `permit`'s caller (nothing
/// when the answer names no brukare): operations with `audit = "read"`.
pub async fn read<'a>(
    state: &crate::state::AppState,
    permit: &crate::permit::Permit,
    brukare: impl IntoIterator<Item = &'a str>,
) {
    let ids: Vec<&str> = brukare.into_iter().collect();
    if ids.is_empty() {
        return;
    }
    let rec = permit.record(Action::Read, state.now()).brukare(ids);
    state.audit().log(rec).await;
}

/// Most rows one batch writes.
const BATCH: usize = 256;
/// Rows waiting before [`Log::log`] writes at once instead.
const QUEUE: usize = 8192;
/// How long the writer waits for more rows before writing a batch.
const LINGER: std::time::Duration = std::time::Duration::from_millis(250);

enum Msg {
    Record(Box<Record>),
    Flush(oneshot::Sender<()>),
}

/// The background writer's handle (cheap to clone).
#[derive(Clone)]
pub struct Log {
    tx: mpsc::Sender<Msg>,
    db: Db,
}

impl Log {
    /// Starts the writer on the current tokio runtime.
    pub fn start(db: Db) -> Log {
        let (tx, mut rx) = mpsc::channel::<Msg>(QUEUE);
        let writer_db = db.clone();
        tokio::spawn(async move {
            while let Some(first) = rx.recv().await {
                let mut records = Vec::new();
                let mut waiting = Vec::new();
                let take = |m: Msg, records: &mut Vec<Record>, waiting: &mut Vec<_>| match m {
                    Msg::Record(r) => records.push(*r),
                    Msg::Flush(done) => waiting.push(done),
                };
                take(first, &mut records, &mut waiting);
                // A morning's burst of bundles becomes one write, not one
                // per phone: wait a moment for more, unless someone waits.
                let until = tokio::time::Instant::now() + LINGER;
                while records.len() < BATCH && waiting.is_empty() {
                    match tokio::time::timeout_at(until, rx.recv()).await {
                        Ok(Some(m)) => take(m, &mut records, &mut waiting),
                        Ok(None) | Err(_) => break,
                    }
                }
                while records.len() < BATCH {
                    match rx.try_recv() {
                        Ok(m) => take(m, &mut records, &mut waiting),
                        Err(_) => break,
                    }
                }
                if !records.is_empty() {
                    write_with_retry(&writer_db, &records).await;
                }
                for w in waiting {
                    let _ = w.send(());
                }
            }
        });
        Log { tx, db }
    }

    /// Queues a read or admin-use entry; writes it at once if the queue is
    /// full.
    pub async fn log(&self, r: Record) {
        match self.tx.try_send(Msg::Record(Box::new(r))) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(Msg::Record(r)))
            | Err(mpsc::error::TrySendError::Closed(Msg::Record(r))) => {
                write_with_retry(&self.db, std::slice::from_ref(&*r)).await;
            }
            Err(_) => {}
        }
    }

    /// Waits until everything queued before it is written.
    pub async fn flush(&self) {
        let (done, wait) = oneshot::channel();
        if self.tx.send(Msg::Flush(done)).await.is_ok() {
            let _ = wait.await;
        }
    }
}

async fn write_with_retry(db: &Db, records: &[Record]) {
    let mut wait = std::time::Duration::from_millis(50);
    for attempt in 0..4 {
        let r = async {
            let mut tx = db.begin_write().await?;
            insert(&mut tx, records).await?;
            tx.commit().await?;
            Ok::<_, Error>(())
        }
        .await;
        match r {
            Ok(()) => return,
            Err(e) if attempt < 3 => {
                tracing::warn!(error = %e, "audit log write failed; retrying");
                tokio::time::sleep(wait).await;
                wait *= 4;
            }
            Err(e) => {
                // Ids and counts only: never the records' content.
                tracing::error!(error = %e, entries = records.len(), "audit log entries lost");
            }
        }
    }
}

fn json_text(v: &Option<Value>) -> Option<String> {
    v.as_ref().map(Value::to_string)
}

/// Writes `records` on `conn` (the caller's transaction for a desk write).
pub async fn insert(conn: &mut AnyConnection, records: &[Record]) -> Result<()> {
    for chunk in records.chunks(BATCH) {
        let mut sql = String::from(
            "INSERT INTO audit_log (id, at, actor, staff_id, device_id, role, operation, action, \
             target_kind, target_id, unit_id, before, after) VALUES ",
        );
        let mut ids = Vec::with_capacity(chunk.len());
        for (i, _) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push_str(", ");
            }
            let b = i * 13;
            sql.push('(');
            for k in 1..=13 {
                if k > 1 {
                    sql.push_str(", ");
                }
                sql.push_str(&format!("${}", b + k));
            }
            sql.push(')');
            ids.push(codec::new_id("au")?);
        }
        let mut q = sqlx::query(&sql);
        for (r, id) in chunk.iter().zip(&ids) {
            q = q
                .bind(id.clone())
                .bind(r.at)
                .bind(r.actor)
                .bind(r.staff_id.clone())
                .bind(r.device_id.clone())
                .bind(r.role.map(|x| x.as_str()))
                .bind(r.operation.clone())
                .bind(r.action.as_str())
                .bind(r.target_kind)
                .bind(r.target_id.clone())
                .bind(r.unit_id.clone())
                .bind(json_text(&r.before))
                .bind(json_text(&r.after));
        }
        q.execute(&mut *conn).await?;
        let subjects: Vec<(&str, &str)> = chunk
            .iter()
            .zip(&ids)
            .flat_map(|(r, id)| r.brukare_ids.iter().map(move |b| (id.as_str(), b.as_str())))
            .collect();
        for part in subjects.chunks(500) {
            let mut sql = String::from("INSERT INTO audit_subjects (audit_id, brukare_id) VALUES ");
            for i in 0..part.len() {
                if i > 0 {
                    sql.push_str(", ");
                }
                sql.push_str(&format!("(${}, ${})", 2 * i + 1, 2 * i + 2));
            }
            sql.push_str(" ON CONFLICT DO NOTHING");
            let mut q = sqlx::query(&sql);
            for (a, b) in part {
                q = q.bind(*a).bind(*b);
            }
            q.execute(&mut *conn).await?;
        }
    }
    Ok(())
}

/// Entries, newest first.
pub async fn query(db: &Db, q: &AuditQuery) -> Result<Vec<AuditEntry>> {
    let staff = codec::filter_id(&q.staff_id, "staff_id")?;
    let brukare = codec::filter_id(&q.brukare_id, "brukare_id")?;
    let action = q.action.clone().unwrap_or_default();
    if !["", "write", "read", "admin_use"].contains(&action.as_str()) {
        return Err(Error::bad("action must be write, read or admin_use"));
    }
    let from = q.from.unwrap_or(0);
    let to = q.to.unwrap_or(i64::MAX);
    let limit = q.limit.unwrap_or(200);
    if !(1..=1000).contains(&limit) {
        return Err(Error::bad("limit must be 1 to 1000"));
    }
    let rows = sqlx::query(
        "SELECT a.* FROM audit_log a WHERE ($1 = '' OR a.staff_id = $1) \
         AND ($2 = '' OR EXISTS (SELECT 1 FROM audit_subjects s WHERE s.audit_id = a.id \
                                 AND s.brukare_id = $2)) \
         AND ($3 = '' OR a.action = $3) AND a.at >= $4 AND a.at < $5 \
         ORDER BY a.seq DESC LIMIT $6",
    )
    .bind(&staff)
    .bind(&brukare)
    .bind(&action)
    .bind(from)
    .bind(to)
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let parse = |c: &str| -> Result<Option<Value>> {
            Ok(r.try_get::<Option<String>, _>(c)?
                .and_then(|t| serde_json::from_str(&t).ok()))
        };
        out.push(AuditEntry {
            seq: r.try_get("seq")?,
            id: r.try_get("id")?,
            at: r.try_get("at")?,
            actor: r.try_get("actor")?,
            staff_id: r.try_get("staff_id")?,
            device_id: r.try_get("device_id")?,
            role: r
                .try_get::<Option<String>, _>("role")?
                .map(|s| Role::parse(&s))
                .transpose()?,
            operation: r.try_get("operation")?,
            action: r.try_get("action")?,
            target_kind: r.try_get("target_kind")?,
            target_id: r.try_get("target_id")?,
            unit_id: r.try_get("unit_id")?,
            before: parse("before")?,
            after: parse("after")?,
            brukare_ids: Vec::new(),
        });
    }
    if !out.is_empty() {
        let mut sql =
            String::from("SELECT audit_id, brukare_id FROM audit_subjects WHERE audit_id IN (");
        for i in 0..out.len() {
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!("${}", i + 1));
        }
        sql.push_str(") ORDER BY brukare_id");
        let mut q = sqlx::query(&sql);
        for e in &out {
            q = q.bind(e.id.clone());
        }
        for r in q.fetch_all(db.pool()).await? {
            let id: String = r.try_get("audit_id")?;
            let b: String = r.try_get("brukare_id")?;
            if let Some(e) = out.iter_mut().find(|e| e.id == id) {
                e.brukare_ids.push(b);
            }
        }
    }
    Ok(out)
}

//! Email through the municipality's SMTP relay (R2.4, R2.14: the unit
//! manager "meddelar samtliga enhetschefer via mail"), with `lettre`.
//!
//! An email is written to the `emails` table in the same transaction as
//! what decided it (a major outage declared, updated, ended), so nothing is
//! lost when the relay is down; [`send_pending`] sends what waits, and
//! retries a failure later with a growing pause. Each email is claimed
//! before it is sent, so two server instances on one database never send
//! it twice. What goes into an email is checked by its writers: never a
//! brukare's name, address or door code (`crate::major`).

use std::str::FromStr;
use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Message};
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use sqlx::{AnyConnection, Row};

use crate::codec;
use crate::error::{Error, Result};
use crate::state::{AppState, MailSettings};

/// How long a claim on an email holds (an instance that died mid-send
/// lets another try after it).
const CLAIM_SECS: i64 = 120;
/// Attempts before an email is left for an operator (`last_error` says why).
pub const MAX_ATTEMPTS: i64 = 20;
/// Emails sent per run.
const BATCH: i64 = 200;

/// Checks the relay's settings at start-up.
pub fn check(m: &MailSettings) -> Result<()> {
    Mailbox::from_str(&m.from)
        .map_err(|e| Error::Config(format!("the mail sender '{}': {e}", m.from)))?;
    transport(m).map(|_| ())
}

fn transport(m: &MailSettings) -> Result<AsyncSmtpTransport<Tokio1Executor>> {
    Ok(AsyncSmtpTransport::<Tokio1Executor>::from_url(&m.smtp_url)
        .map_err(|e| Error::Config(format!("the SMTP URL: {e}")))?
        .timeout(Some(Duration::from_secs(15)))
        .build())
}

/// Checks an email address as a contact's.
pub fn check_address(a: &str, what: &str) -> Result<()> {
    if a.len() > 254 || Address::from_str(a).is_err() {
        return Err(Error::bad(format!("{what} must be an email address")));
    }
    Ok(())
}

/// An email to write with what decides it.
pub(crate) struct NewEmail<'a> {
    pub to: &'a str,
    pub subject: &'a str,
    pub body: &'a str,
    pub major_outage_id: Option<&'a str>,
    pub notice_id: Option<&'a str>,
}

/// Writes an email to send, on the caller's transaction.
pub(crate) async fn queue(conn: &mut AnyConnection, e: &NewEmail<'_>, now: i64) -> Result<String> {
    let id = codec::new_id("mail")?;
    sqlx::query(
        "INSERT INTO emails (id, to_address, subject, body, major_outage_id, update_id, \
         created_at, attempts) VALUES ($1, $2, $3, $4, $5, $6, $7, 0)",
    )
    .bind(&id)
    .bind(e.to)
    .bind(e.subject)
    .bind(e.body)
    .bind(e.major_outage_id.map(str::to_owned))
    .bind(e.notice_id.map(str::to_owned))
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(id)
}

/// What one run of [`send_pending`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MailReport {
    /// Emails the relay accepted.
    pub sent: u32,
    /// Emails it did not (tried again later).
    pub failed: u32,
}

/// Sends the emails that wait (and whose pause after a failure is over).
/// Without a relay configured, nothing is sent and everything waits.
pub async fn send_pending(state: &AppState, now: i64) -> Result<MailReport> {
    let mut report = MailReport::default();
    let Some(settings) = state.settings().mail.clone() else {
        return Ok(report);
    };
    let db = state.db();
    let rows = sqlx::query(
        "SELECT id, to_address, subject, body FROM emails WHERE sent_at IS NULL \
         AND attempts < $1 AND (claimed_until IS NULL OR claimed_until <= $2) \
         ORDER BY created_at, id LIMIT $3",
    )
    .bind(MAX_ATTEMPTS)
    .bind(now)
    .bind(BATCH)
    .fetch_all(db.pool())
    .await?;
    if rows.is_empty() {
        return Ok(report);
    }
    let from = Mailbox::from_str(&settings.from)
        .map_err(|e| Error::Config(format!("the mail sender: {e}")))?;
    let smtp = transport(&settings)?;
    for r in &rows {
        let id: String = r.try_get("id")?;
        // The claim: only the instance whose update took the row sends it.
        let claimed = sqlx::query(
            "UPDATE emails SET claimed_until = $1, attempts = attempts + 1 WHERE id = $2 \
             AND sent_at IS NULL AND (claimed_until IS NULL OR claimed_until <= $3)",
        )
        .bind(now + CLAIM_SECS)
        .bind(&id)
        .bind(now)
        .execute(db.pool())
        .await?
        .rows_affected()
            == 1;
        if !claimed {
            continue;
        }
        let to: String = r.try_get("to_address")?;
        let subject: String = r.try_get("subject")?;
        let body: String = r.try_get("body")?;
        let outcome = match build(&from, &to, &subject, &body, &id) {
            Ok(message) => smtp
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string()),
            Err(e) => Err(e),
        };
        match outcome {
            Ok(()) => {
                sqlx::query(
                    "UPDATE emails SET sent_at = $1, claimed_until = NULL, last_error = NULL \
                     WHERE id = $2",
                )
                .bind(now)
                .bind(&id)
                .execute(db.pool())
                .await?;
                report.sent += 1;
            }
            Err(e) => {
                let attempts: i64 = sqlx::query_scalar("SELECT attempts FROM emails WHERE id = $1")
                    .bind(&id)
                    .fetch_one(db.pool())
                    .await?;
                // A growing pause: 1, 2, 4 … minutes, at most an hour.
                let pause = 60i64.saturating_mul(1 << attempts.clamp(0, 6)).min(3600);
                sqlx::query("UPDATE emails SET claimed_until = $1, last_error = $2 WHERE id = $3")
                    .bind(now + pause)
                    .bind(e.chars().take(500).collect::<String>())
                    .bind(&id)
                    .execute(db.pool())
                    .await?;
                // The address only goes to the log as its domain.
                let domain = to.rsplit('@').next().unwrap_or("");
                tracing::warn!(email = %id, domain, error = %e, "email not sent; will retry");
                report.failed += 1;
            }
        }
    }
    Ok(report)
}

fn build(
    from: &Mailbox,
    to: &str,
    subject: &str,
    body: &str,
    id: &str,
) -> std::result::Result<Message, String> {
    let to = Mailbox::from_str(to).map_err(|e| format!("address: {e}"))?;
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(subject)
        .message_id(Some(format!("<{id}@nyckelfri>")))
        .header(ContentType::TEXT_PLAIN)
        .body(body.to_owned())
        .map_err(|e| format!("message: {e}"))
}

/// Emails written for a major outage's notice: sent and still waiting.
pub(crate) async fn counts(db: &crate::db::Db, notice_id: &str) -> Result<(u64, u64)> {
    let r = sqlx::query(
        "SELECT COUNT(sent_at) AS sent, COUNT(*) AS total FROM emails WHERE update_id = $1",
    )
    .bind(notice_id)
    .fetch_one(db.pool())
    .await?;
    let sent: i64 = r.try_get("sent")?;
    let total: i64 = r.try_get("total")?;
    let sent = u64::try_from(sent).unwrap_or(0);
    Ok((sent, u64::try_from(total).unwrap_or(0).saturating_sub(sent)))
}

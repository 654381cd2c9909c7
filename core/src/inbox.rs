//! The worker's messages: the server's inbox for this phone's role in its
//! unit (e.g. the night patrol's "lock out of order" by 17:00, R2.12; the
//! alarm group's fault and installation messages, R1.10, R2.11).

use serde::Deserialize;

use crate::app::AppInner;
use crate::error::NyckelfriError;
use crate::sync;

/// A message in this phone's inbox.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, uniffi::Record)]
pub struct InboxMessage {
    /// The message's id.
    pub id: String,
    /// Its subject line.
    pub subject: String,
    /// Its text.
    pub body: String,
    /// The sender's role ("coordinator", ...), absent for the system.
    pub from_role: Option<String>,
    /// The routine step that sent it (e.g. "R2.12").
    pub routine_step: Option<String>,
    /// The brukare it is about.
    pub brukare_id: Option<String>,
    /// The lock it is about.
    pub lock_id: Option<String>,
    /// The outage case it belongs to.
    pub outage_id: Option<String>,
    /// When it was sent (Unix seconds).
    pub created_at: i64,
    /// The deadline it had to be sent by (R2.12: 17:00), if any.
    pub deadline_at: Option<i64>,
    /// From when the receiver handles it (R2.13: next working day 07:00).
    pub handle_from: Option<i64>,
    /// Whether this phone's user has read it.
    pub read: bool,
}

/// Newest first; at most this many.
const INBOX_LIMIT: u32 = 100;

pub(crate) async fn inbox(app: &AppInner) -> Result<Vec<InboxMessage>, NyckelfriError> {
    let (client, session) = sync::authorized(app, app.sync_backoff).await?;
    Ok(client
        .get(&format!("/v1/inbox?limit={INBOX_LIMIT}"), &session)
        .await?)
}

pub(crate) async fn mark_read(
    app: &AppInner,
    message_id: &str,
) -> Result<InboxMessage, NyckelfriError> {
    let id = path_id(message_id)?;
    let (client, session) = sync::authorized(app, app.sync_backoff).await?;
    Ok(client
        .post(
            &format!("/v1/messages/{id}/read"),
            &serde_json::json!({}),
            Some(&session),
        )
        .await?)
}

/// An id put in a URL path: the server's id alphabet, so nothing can change
/// the path.
pub(crate) fn path_id(id: &str) -> Result<&str, NyckelfriError> {
    let ok = !id.is_empty()
        && id.len() <= nyckelfri_protocol::token::MAX_ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'));
    if ok && id != "." && id != ".." {
        Ok(id)
    } else {
        Err(NyckelfriError::InvalidInput {
            reason: format!("not an id: {id:?}"),
        })
    }
}

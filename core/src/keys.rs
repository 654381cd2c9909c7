//! Choosing the key for a lock at a moment, and telling the worker why there
//! is none.

use nyckelfri_protocol::token::Scope;
use rusqlite::{Connection, OptionalExtension};

use crate::error::Result;
use crate::model::KeyStatus;

/// A stored token fit to use now.
#[derive(Debug, Clone)]
pub(crate) struct HeldKey {
    pub(crate) token_id: Vec<u8>,
    pub(crate) token: Vec<u8>,
    pub(crate) expires: i64,
}

/// The key to use, or the status that explains why there is none.
pub(crate) enum KeyChoice {
    Usable(HeldKey),
    Unusable(KeyStatus),
}

struct Row {
    token_id: Vec<u8>,
    token: Vec<u8>,
    not_before: i64,
    expires: i64,
    decision_end: i64,
}

/// The server's reason for issuing no key, when it is the decision's end.
pub(crate) const REASON_DECISION_ENDED: &str = "decision_ended";

/// Picks, among the keys held for `lock_id` with `scope`, the one valid at
/// `now` that lasts longest; otherwise says why there is none.
pub(crate) fn choose(
    conn: &Connection,
    lock_id: &str,
    scope: Scope,
    now: i64,
    server_reason: Option<&str>,
) -> Result<KeyChoice> {
    let mut stmt = conn.prepare_cached(
        "SELECT token_id, token, not_before, expires, decision_end FROM tokens
         WHERE lock_id = ?1 AND scope = ?2 ORDER BY expires DESC",
    )?;
    let rows = stmt
        .query_map(rusqlite::params![lock_id, scope as u8], |r| {
            Ok(Row {
                token_id: r.get(0)?,
                token: r.get(1)?,
                not_before: r.get(2)?,
                expires: r.get(3)?,
                decision_end: r.get(4)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    if let Some(r) = rows
        .iter()
        .find(|r| r.not_before <= now && now < r.expires && now < r.decision_end)
    {
        return Ok(KeyChoice::Usable(HeldKey {
            token_id: r.token_id.clone(),
            token: r.token.clone(),
            expires: r.expires.min(r.decision_end),
        }));
    }
    let status = if let Some(ended) = rows
        .iter()
        .filter(|r| r.decision_end <= now)
        .map(|r| r.decision_end)
        .max()
    {
        KeyStatus::DecisionEnded {
            ended_at: Some(ended),
        }
    } else if server_reason == Some(REASON_DECISION_ENDED) {
        KeyStatus::DecisionEnded { ended_at: None }
    } else if let Some(from) = rows
        .iter()
        .filter(|r| r.not_before > now)
        .map(|r| r.not_before)
        .min()
    {
        KeyStatus::NotYetValid { valid_from: from }
    } else if let Some(at) = rows.iter().map(|r| r.expires).max() {
        KeyStatus::Expired { expired_at: at }
    } else {
        KeyStatus::NoKey {
            reason: server_reason.map(str::to_owned),
        }
    };
    Ok(KeyChoice::Unusable(status))
}

/// The held key for `lock_id` that expires last, whatever the time.
pub(crate) fn newest(conn: &Connection, lock_id: &str, scope: Scope) -> Result<Option<HeldKey>> {
    Ok(conn
        .query_row(
            "SELECT token_id, token, MIN(expires, decision_end) AS until FROM tokens
             WHERE lock_id = ?1 AND scope = ?2 ORDER BY until DESC LIMIT 1",
            rusqlite::params![lock_id, scope as u8],
            |r| {
                Ok(HeldKey {
                    token_id: r.get(0)?,
                    token: r.get(1)?,
                    expires: r.get(2)?,
                })
            },
        )
        .optional()?)
}

/// The key status a visit shows.
pub(crate) fn status(
    conn: &Connection,
    lock_id: &str,
    now: i64,
    server_reason: Option<&str>,
) -> Result<KeyStatus> {
    Ok(
        match choose(conn, lock_id, Scope::Care, now, server_reason)? {
            KeyChoice::Usable(k) => KeyStatus::Ready {
                valid_until: k.expires,
            },
            KeyChoice::Unusable(s) => s,
        },
    )
}

/// Until when the keys on the phone stay valid: the latest end among keys
/// valid now or later ("keys valid until 22:00").
pub(crate) fn valid_until(conn: &Connection, now: i64) -> Result<Option<i64>> {
    Ok(conn.query_row(
        "SELECT MAX(MIN(expires, decision_end)) FROM tokens
         WHERE MIN(expires, decision_end) > ?1",
        [now],
        |r| r.get(0),
    )?)
}

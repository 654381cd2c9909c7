//! The crate's error type and its mapping to HTTP: every error becomes a
//! status and a JSON body `{"error": code, "message": text}`. Bad input is
//! always a 4xx with a message that says what was wrong; only faults of the
//! server itself (database down, a signing failure) are 5xx, and their
//! details go to the log, never to the client.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::model::NoKeyReason;

/// One bad row of a CSV import.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct RowError {
    /// Line number in the file (the header is line 1).
    pub line: u64,
    /// What was wrong with the row.
    pub message: String,
}

/// Everything that can go wrong in the server.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request is malformed or breaks a rule (400).
    #[error("{0}")]
    BadRequest(String),
    /// A JSON, path or query extractor refused the request (4xx as axum says).
    #[error("{message}")]
    Rejected {
        /// The status axum chose (400, 413, 415, 422).
        status: StatusCode,
        /// axum's explanation.
        message: String,
    },
    /// No or an unknown credential (401).
    #[error("{0}")]
    Unauthorized(String),
    /// The device was revoked: it gets nothing any more (403).
    #[error("this device has been revoked; enroll it again with a new code")]
    DeviceRevoked,
    /// The caller's role may not do this (403).
    #[error("{0}")]
    Forbidden(String),
    /// The staff member's account has ended (temporary staff): no session,
    /// no enrollment, no keys (403).
    #[error("this staff account has ended; ask the coordinator")]
    AccountEnded,
    /// Too many requests from this address or for this device (429).
    #[error("too many requests; try again in {retry_after_secs} s")]
    RateLimited {
        /// Seconds until a request will be accepted again.
        retry_after_secs: u64,
    },
    /// A key was asked for and cannot be issued (403, with the reason).
    #[error("{message}")]
    NoKey {
        /// Why, as a stable code the app localizes.
        reason: NoKeyReason,
        /// Why, in English.
        message: String,
    },
    /// A named thing does not exist (404).
    #[error("{what} '{id}' not found")]
    NotFound {
        /// What kind of thing.
        what: &'static str,
        /// The id asked for.
        id: String,
    },
    /// No route has this path (404).
    #[error("no such endpoint; see /openapi.json")]
    RouteNotFound,
    /// The route exists but not with this method (405).
    #[error("method not allowed on this endpoint; see /openapi.json")]
    MethodNotAllowed,
    /// The request conflicts with what is stored (409).
    #[error("{0}")]
    Conflict(String),
    /// A CSV import had bad rows; nothing was imported (422).
    #[error("import refused: {} bad row(s), nothing was imported", .0.len())]
    Import(Vec<RowError>),
    /// The database is overloaded (503).
    #[error("the server is busy; try again")]
    Busy,
    /// A database fault.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// A migration fault.
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The protocol layer refused to sign or parse something we made.
    #[error("protocol error: {0}")]
    Protocol(#[from] nyckelfri_protocol::ProtocolError),
    /// Bad configuration (at start-up).
    #[error("configuration: {0}")]
    Config(String),
    /// File system fault (at start-up, keys).
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    /// Anything else that is the server's fault.
    #[error("internal error: {0}")]
    Internal(String),
}

/// Result with the crate's error.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The JSON body of every error response.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ErrorBody {
    /// A stable, machine-readable code (`bad_request`, `unauthorized`,
    /// `device_revoked`, `account_ended`, `forbidden`, `no_key`,
    /// `not_found`, `conflict`, `import_failed`, `rate_limited`, ...).
    pub error: String,
    /// What went wrong, in English, for a person.
    pub message: String,
    /// For `no_key`: why no key could be issued.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<NoKeyReason>,
    /// For `import_failed`: one entry per bad row.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rows: Option<Vec<RowError>>,
}

impl Error {
    /// Shorthand for [`Error::BadRequest`].
    pub fn bad(msg: impl Into<String>) -> Self {
        Self::BadRequest(msg.into())
    }

    /// Shorthand for [`Error::NotFound`].
    pub fn not_found(what: &'static str, id: impl Into<String>) -> Self {
        Self::NotFound {
            what,
            id: id.into(),
        }
    }

    /// Shorthand for [`Error::NoKey`] with the reason's standard text.
    pub fn no_key(reason: NoKeyReason) -> Self {
        Self::NoKey {
            reason,
            message: reason.explain().to_owned(),
        }
    }

    /// The HTTP status and the stable code.
    pub fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            Self::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            Self::Rejected { status, .. } => (*status, "bad_request"),
            Self::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized"),
            Self::DeviceRevoked => (StatusCode::FORBIDDEN, "device_revoked"),
            Self::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            Self::AccountEnded => (StatusCode::FORBIDDEN, "account_ended"),
            Self::RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
            Self::NoKey { .. } => (StatusCode::FORBIDDEN, "no_key"),
            Self::NotFound { .. } => (StatusCode::NOT_FOUND, "not_found"),
            Self::RouteNotFound => (StatusCode::NOT_FOUND, "route_not_found"),
            Self::MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
            Self::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            Self::Import(_) => (StatusCode::UNPROCESSABLE_ENTITY, "import_failed"),
            Self::Busy => (StatusCode::SERVICE_UNAVAILABLE, "busy"),
            Self::Database(e) => db_status(e),
            Self::Migrate(_)
            | Self::Protocol(_)
            | Self::Config(_)
            | Self::Io(_)
            | Self::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }

    fn body(&self) -> ErrorBody {
        let (status, code) = self.status_and_code();
        // Server faults: the detail goes to the log only.
        let message = if status.is_server_error() && code != "busy" {
            "internal server error".to_owned()
        } else if let Self::Database(e) = self {
            db_message(e)
        } else {
            self.to_string()
        };
        ErrorBody {
            error: code.to_owned(),
            message,
            reason: match self {
                Self::NoKey { reason, .. } => Some(*reason),
                _ => None,
            },
            rows: match self {
                Self::Import(rows) => Some(rows.clone()),
                _ => None,
            },
        }
    }
}

fn db_status(e: &sqlx::Error) -> (StatusCode, &'static str) {
    match e {
        sqlx::Error::Database(d) if d.is_unique_violation() => (StatusCode::CONFLICT, "conflict"),
        sqlx::Error::Database(d) if d.is_foreign_key_violation() => {
            (StatusCode::BAD_REQUEST, "bad_request")
        }
        sqlx::Error::Database(d) if d.is_check_violation() => {
            (StatusCode::BAD_REQUEST, "bad_request")
        }
        sqlx::Error::Database(d) if is_data_exception(d.as_ref()) => {
            (StatusCode::BAD_REQUEST, "bad_request")
        }
        e if is_busy(e) => (StatusCode::SERVICE_UNAVAILABLE, "busy"),
        _ => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
    }
}

/// PostgreSQL's SQLSTATE class 22 (data exception: a NUL byte in text, a
/// number out of range): the input's fault. Input checks catch these
/// first; this is the backstop.
fn is_data_exception(d: &dyn sqlx::error::DatabaseError) -> bool {
    d.code()
        .is_some_and(|c| c.len() == 5 && c.starts_with("22"))
}

/// No connection was free in time, or two writers met: a retry succeeds.
fn is_busy(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::PoolTimedOut => true,
        sqlx::Error::Database(d) => is_retryable(d.as_ref()),
        _ => false,
    }
}

/// PostgreSQL's deadlock (40P01) and serialization failure (40001): two
/// transactions met (e.g. one batch of outage reports over two units
/// against another in the other order); SQLite's busy and locked families
/// (primary codes 5 and 6 with their extended codes, e.g. 517
/// BUSY_SNAPSHOT): the write lock was not free within the busy timeout.
/// Either way the client's retry succeeds.
fn is_retryable(d: &dyn sqlx::error::DatabaseError) -> bool {
    d.code().is_some_and(|c| {
        c == "40P01" || c == "40001" || c.parse::<i32>().is_ok_and(|n| matches!(n & 0xff, 5 | 6))
    })
}

fn db_message(e: &sqlx::Error) -> String {
    match e {
        sqlx::Error::Database(d) if d.is_unique_violation() => {
            "something with this id or key already exists".to_owned()
        }
        sqlx::Error::Database(d) if d.is_foreign_key_violation() => {
            "the request refers to something that does not exist".to_owned()
        }
        sqlx::Error::Database(d) if d.is_check_violation() => {
            "the request breaks a rule of the data model".to_owned()
        }
        sqlx::Error::Database(d) if is_data_exception(d.as_ref()) => {
            "the request holds a value the database cannot store".to_owned()
        }
        e if is_busy(e) => Error::Busy.to_string(),
        _ => "internal server error".to_owned(),
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        if status.is_server_error() {
            // Errors carry ids and kinds, never personal data or key material.
            tracing::error!(code, error = %self, "request failed");
        }
        let mut resp = (status, axum::Json(self.body())).into_response();
        if status == StatusCode::UNAUTHORIZED {
            resp.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer"),
            );
        }
        if let Self::RateLimited { retry_after_secs } = self
            && let Ok(v) = axum::http::HeaderValue::from_str(&retry_after_secs.max(1).to_string())
        {
            resp.headers_mut()
                .insert(axum::http::header::RETRY_AFTER, v);
        }
        resp
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use sqlx::{Connection, Executor, SqliteConnection};

    use super::*;

    /// When another writer holds a real SQLite file's write lock past the
    /// busy timeout, the caller is told the server is busy (503, try
    /// again), not that it failed (500).
    #[tokio::test]
    async fn a_sqlite_write_lock_held_past_the_busy_timeout_answers_busy() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
        let mut holder = SqliteConnection::connect(&url).await.unwrap();
        holder.execute("CREATE TABLE t (x INTEGER)").await.unwrap();
        holder.execute("BEGIN IMMEDIATE").await.unwrap();
        let mut other = SqliteConnection::connect(&url).await.unwrap();
        other.execute("PRAGMA busy_timeout = 50").await.unwrap();
        let e = Error::from(other.execute("INSERT INTO t VALUES (1)").await.unwrap_err());
        assert_eq!(
            e.status_and_code(),
            (StatusCode::SERVICE_UNAVAILABLE, "busy"),
            "{e}"
        );
        assert_eq!(e.body().message, "the server is busy; try again");
        holder.execute("ROLLBACK").await.unwrap();
    }
}

//! Errors. [`Error`] is internal and rich; [`NyckelfriError`] is what crosses
//! the FFI boundary: small, stable, and never a rusqlite or ring type.

/// Internal error of the core.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// SQLite failed.
    #[error("database: {0}")]
    Sql(#[from] rusqlite::Error),
    /// A protocol structure could not be built or read.
    #[error("protocol: {0}")]
    Protocol(#[from] nyckelfri_protocol::ProtocolError),
    /// A file operation failed.
    #[error("file: {0}")]
    Io(#[from] std::io::Error),
    /// JSON in the store could not be read or written.
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),
    /// The database file is damaged; it was moved aside.
    #[error("the database was damaged and moved to {moved_to}")]
    Corrupt {
        /// Where the damaged file now is.
        moved_to: String,
    },
    /// The database was written by a newer app.
    #[error("the database has schema version {found}; this app knows up to {supported}")]
    TooNew {
        /// Version in the file.
        found: u32,
        /// Newest this build knows.
        supported: u32,
    },
    /// Something asked for does not exist.
    #[error("{0} not found")]
    NotFound(String),
    /// Input from the caller is not acceptable.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// The device signer (keystore) failed.
    #[error("device signer: {0}")]
    Signer(String),
    /// The software key file is unusable.
    #[error("key file: {0}")]
    KeyFile(String),
}

pub(crate) type Result<T, E = Error> = std::result::Result<T, E>;

/// The error the apps see. Each variant says what the user or the app can do.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum NyckelfriError {
    /// The phone's storage failed (full, or an I/O error). Try again; if it
    /// persists, restart the app.
    #[error("storage failed: {reason}")]
    Storage {
        /// Technical detail, without personal data.
        reason: String,
    },
    /// The database was damaged. It was moved aside (nothing was deleted, so
    /// unsynced events can be recovered from it) and the app must be opened
    /// again to start with a fresh one, then synced.
    #[error("the database was damaged and moved to {moved_to}; open the app again and sync")]
    DatabaseCorrupt {
        /// Path of the moved file.
        moved_to: String,
    },
    /// The database belongs to a newer app version: update the app. The file
    /// is left untouched.
    #[error(
        "the database is from a newer app (schema {found}, this app knows {supported}); update the app"
    )]
    DatabaseTooNew {
        /// Schema version found.
        found: u32,
        /// Newest this build knows.
        supported: u32,
    },
    /// The thing asked for does not exist (e.g. an unknown visit id).
    #[error("{what} not found")]
    NotFound {
        /// What was looked for.
        what: String,
    },
    /// The input was not acceptable.
    #[error("invalid input: {reason}")]
    InvalidInput {
        /// Why.
        reason: String,
    },
    /// The phone's keystore could not sign (locked, removed, or refused).
    #[error("the phone's key could not be used: {reason}")]
    Signer {
        /// Why.
        reason: String,
    },
    /// The software key file is missing, damaged or readable by others.
    #[error("the key file cannot be used: {reason}")]
    KeyFile {
        /// Why.
        reason: String,
    },
    /// The server could not be reached (no network, server down, timeouts
    /// or server errors after retries). The app keeps working offline on
    /// the keys it holds; sync again later.
    #[error("cannot reach the server: {reason}; working offline, sync again later")]
    Network {
        /// What failed.
        reason: String,
    },
    /// The server refused the request. `code` is the server's error code
    /// (e.g. "device_revoked", "unauthorized", "bad_request").
    #[error("the server refused ({status} {code}): {detail}")]
    Server {
        /// HTTP status.
        status: u16,
        /// The server's error code.
        code: String,
        /// The server's explanation. (Not `message`: Kotlin exceptions
        /// already have one.)
        detail: String,
    },
    /// This phone is not enrolled yet: enroll with a code from the coordinator.
    #[error("this phone is not enrolled; enroll it with a code from the coordinator")]
    NotEnrolled,
    /// A bug or an unexpected failure in app code (including a callback
    /// that threw). Report it.
    #[error("internal error: {reason}")]
    Internal {
        /// What happened.
        reason: String,
    },
}

impl From<uniffi::UnexpectedUniFFICallbackError> for NyckelfriError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        NyckelfriError::Internal {
            reason: format!("callback failed: {}", e.reason),
        }
    }
}

impl From<Error> for NyckelfriError {
    fn from(e: Error) -> Self {
        match e {
            Error::Sql(e) => NyckelfriError::Storage {
                reason: e.to_string(),
            },
            Error::Io(e) => NyckelfriError::Storage {
                reason: e.to_string(),
            },
            Error::Corrupt { moved_to } => NyckelfriError::DatabaseCorrupt { moved_to },
            Error::TooNew { found, supported } => {
                NyckelfriError::DatabaseTooNew { found, supported }
            }
            Error::NotFound(what) => NyckelfriError::NotFound { what },
            Error::InvalidInput(reason) => NyckelfriError::InvalidInput { reason },
            Error::Signer(reason) => NyckelfriError::Signer { reason },
            Error::KeyFile(reason) => NyckelfriError::KeyFile { reason },
            Error::Protocol(e) => NyckelfriError::Internal {
                reason: e.to_string(),
            },
            Error::Json(e) => NyckelfriError::Internal {
                reason: e.to_string(),
            },
        }
    }
}

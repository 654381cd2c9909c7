//! Errors of the protocol layer. Every error maps to exactly one [`Status`]
//! refusal code, so the lock can answer each failure with a distinct code.

use crate::status::Status;

/// Why a message, token, list or grant could not be accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolError {
    /// The bytes are not the CBOR structure the protocol defines.
    #[error("malformed {what}: {detail}")]
    Malformed {
        /// Which structure was being read.
        what: &'static str,
        /// What was wrong with it.
        detail: String,
    },
    /// The message or one of its parts is larger than the protocol allows.
    #[error("{what} is {len} bytes, more than the {max} allowed")]
    Oversized {
        /// Which structure was too large.
        what: &'static str,
        /// Its size.
        len: usize,
        /// The bound.
        max: usize,
    },
    /// The message carries a protocol version this side does not speak.
    #[error("unsupported protocol version {0}")]
    UnsupportedVersion(u64),
    /// The token or list names an issuer key the verifier does not trust.
    #[error("unknown issuer key")]
    UnknownIssuer,
    /// A signature does not verify.
    #[error("signature does not verify ({0})")]
    BadSignature(&'static str),
    /// A key could not be parsed or used.
    #[error("invalid key: {0}")]
    InvalidKey(&'static str),
    /// Signing failed in the signer (keystore).
    #[error("signing failed: {0}")]
    SigningFailed(String),
    /// The issuer was asked to sign a token that breaks the issuing rules.
    #[error("token breaks the issuing rules: {0}")]
    TokenRule(&'static str),
}

impl ProtocolError {
    /// Builds a [`ProtocolError::Malformed`].
    pub fn malformed(what: &'static str, detail: impl Into<String>) -> Self {
        Self::Malformed {
            what,
            detail: detail.into(),
        }
    }

    /// The refusal code a lock answers with for this error.
    pub fn status(&self) -> Status {
        match self {
            Self::Malformed { .. } | Self::InvalidKey(_) | Self::TokenRule(_) => Status::Malformed,
            Self::Oversized { .. } => Status::Oversized,
            Self::UnsupportedVersion(_) => Status::UnsupportedVersion,
            Self::UnknownIssuer => Status::UnknownIssuer,
            Self::BadSignature(_) => Status::BadSignature,
            Self::SigningFailed(_) => Status::Malformed,
        }
    }
}

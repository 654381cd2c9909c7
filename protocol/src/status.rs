//! The status a lock answers with: success, or exactly one code per refusal
//! reason. The numbers are wire values (see PROTOCOL.md) and never change.

/// Outcome code carried in every Result message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Status {
    /// The command was carried out.
    Ok = 0,
    /// The frame or message is not valid CBOR of the expected shape.
    Malformed = 1,
    /// The frame, message, token or list is larger than allowed.
    Oversized = 2,
    /// The message's protocol version is not spoken by this lock.
    UnsupportedVersion = 3,
    /// The token's issuer key id is not among the lock's trusted issuers.
    UnknownIssuer = 4,
    /// The issuer's signature on the token does not verify.
    BadSignature = 5,
    /// The token is for another lock (audience mismatch).
    WrongLock = 6,
    /// The token's not-before lies after the lock's time.
    NotYetValid = 7,
    /// The token's expiry has passed by the lock's time.
    Expired = 8,
    /// The care decision behind the token has ended by the lock's time.
    DecisionEnded = 9,
    /// The token id is on the lock's revocation list.
    Revoked = 10,
    /// The Request does not answer this session's nonce, or the nonce was used.
    StaleNonce = 11,
    /// The device signature does not verify with the token's `cnf` key.
    ProofOfPossession = 12,
    /// The token's scope does not allow this command.
    OutOfScope = 13,
    /// The lock's mode does not allow this token or command.
    WrongMode = 14,
    /// A revocation list came with the Request but is not valid.
    BadRevocationList = 15,
    /// The request id was already used with a different token or command.
    RequestIdConflict = 16,
    /// The token was valid but the bolt did not move: the lock is jammed.
    Jammed = 17,
    /// A commissioning grant is invalid or not for this lock.
    BadCommissionGrant = 18,
    /// A Commission came without someone pressing the setup button inside the door.
    PresenceRequired = 19,
    /// The token needs a newer revocation list from its issuer than the lock
    /// holds, and the Request did not bring it.
    RevocationStale = 20,
    /// The token's issued-at lies more than the allowed margin ahead of the
    /// lock's set clock: the lock does not take that time.
    IssuedInFuture = 21,
    /// The lock could not store what it must keep before acting; nothing moved.
    StorageFault = 22,
    /// The request id is not in the cache and was made before the oldest
    /// request the cache has forgotten (or after this session's Hello): it
    /// may be a retry of a command already carried out.
    RequestIdStale = 23,
    /// A carried issuer update is not signed by a trusted issuer or is invalid.
    BadIssuerUpdate = 24,
}

impl Status {
    /// Every status, in wire order.
    pub const ALL: [Status; 25] = [
        Status::Ok,
        Status::Malformed,
        Status::Oversized,
        Status::UnsupportedVersion,
        Status::UnknownIssuer,
        Status::BadSignature,
        Status::WrongLock,
        Status::NotYetValid,
        Status::Expired,
        Status::DecisionEnded,
        Status::Revoked,
        Status::StaleNonce,
        Status::ProofOfPossession,
        Status::OutOfScope,
        Status::WrongMode,
        Status::BadRevocationList,
        Status::RequestIdConflict,
        Status::Jammed,
        Status::BadCommissionGrant,
        Status::PresenceRequired,
        Status::RevocationStale,
        Status::IssuedInFuture,
        Status::StorageFault,
        Status::RequestIdStale,
        Status::BadIssuerUpdate,
    ];

    /// The wire value.
    pub fn code(self) -> u8 {
        self as u8
    }

    /// Parses a wire value.
    pub fn from_code(code: u64) -> Option<Status> {
        Status::ALL
            .into_iter()
            .find(|s| u64::from(s.code()) == code)
    }

    /// True for everything but [`Status::Ok`].
    pub fn is_refusal(self) -> bool {
        self != Status::Ok
    }

    /// A stable machine name (used in test vectors and logs).
    pub fn name(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Malformed => "malformed",
            Status::Oversized => "oversized",
            Status::UnsupportedVersion => "unsupported_version",
            Status::UnknownIssuer => "unknown_issuer",
            Status::BadSignature => "bad_signature",
            Status::WrongLock => "wrong_lock",
            Status::NotYetValid => "not_yet_valid",
            Status::Expired => "expired",
            Status::DecisionEnded => "decision_ended",
            Status::Revoked => "revoked",
            Status::StaleNonce => "stale_nonce",
            Status::ProofOfPossession => "proof_of_possession",
            Status::OutOfScope => "out_of_scope",
            Status::WrongMode => "wrong_mode",
            Status::BadRevocationList => "bad_revocation_list",
            Status::RequestIdConflict => "request_id_conflict",
            Status::Jammed => "jammed",
            Status::BadCommissionGrant => "bad_commission_grant",
            Status::PresenceRequired => "presence_required",
            Status::RevocationStale => "revocation_stale",
            Status::IssuedInFuture => "issued_in_future",
            Status::StorageFault => "storage_fault",
            Status::RequestIdStale => "request_id_stale",
            Status::BadIssuerUpdate => "bad_issuer_update",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_round_trips_through_its_code_and_codes_are_distinct() {
        let mut seen = std::collections::HashSet::new();
        for s in Status::ALL {
            assert_eq!(Status::from_code(u64::from(s.code())), Some(s));
            assert!(seen.insert(s.code()), "duplicate code for {s:?}");
        }
        assert_eq!(Status::from_code(200), None);
    }
}

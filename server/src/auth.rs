//! Who is calling: a device session (the normal case) or the admin token.
//! What they may do is the policy's to say ([`crate::permit::Permit`]).
//!
//! A device is enrolled once with a one-time code and its public key; it
//! then gets a short-lived session by signing a server challenge with that
//! key. The signed bytes are [`AUTH_DOMAIN`], one zero byte, and the 32
//! challenge bytes (see [`challenge_message`]). Revoking a device, or the
//! end of its owner's account, ends its sessions at once: every request
//! checks the device and the account.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use nyckelfri_protocol::PublicKey;
use sqlx::Row;

use crate::codec;
use crate::error::{Error, Result};
use crate::model::{Role, Staff};
use crate::policy::Principal;
use crate::state::AppState;
use crate::store;

/// Domain string at the start of the bytes a device signs to authenticate.
pub const AUTH_DOMAIN: &str = "nyckelfri/session/v1";

/// Length of an authentication challenge.
pub const CHALLENGE_LEN: usize = 32;

/// The exact bytes a device signs (ES256) to answer `challenge`.
pub fn challenge_message(challenge: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(AUTH_DOMAIN.len() + 1 + challenge.len());
    m.extend_from_slice(AUTH_DOMAIN.as_bytes());
    m.push(0);
    m.extend_from_slice(challenge);
    m
}

/// An authenticated device.
#[derive(Debug, Clone)]
pub struct DeviceCaller {
    /// The device.
    pub device_id: String,
    /// Its key (the tokens' `cnf`).
    pub public_key: PublicKey,
    /// Its owner.
    pub staff: Staff,
}

/// The caller of an authenticated endpoint (one per request: its size
/// does not matter).
#[derive(Debug, Clone)]
#[allow(clippy::large_enum_variant)]
pub enum Caller {
    /// The admin token (set-up and operations).
    Admin,
    /// A device session.
    Device(DeviceCaller),
}

impl Caller {
    /// The caller as the policy names them.
    pub fn principal(&self) -> Principal {
        match self {
            Caller::Admin => Principal::Admin,
            Caller::Device(d) => Principal::Role(d.staff.role),
        }
    }

    /// The role, if a device calls.
    pub fn role(&self) -> Option<Role> {
        self.staff().map(|s| s.role)
    }

    /// The device, for endpoints that need one (the admin token has none).
    pub fn device(&self) -> Result<&DeviceCaller> {
        match self {
            Caller::Device(d) => Ok(d),
            Caller::Admin => Err(Error::Forbidden(
                "this endpoint needs a device session; the admin token has no device key".into(),
            )),
        }
    }

    /// The staff member, if a device calls.
    pub fn staff(&self) -> Option<&Staff> {
        match self {
            Caller::Device(d) => Some(&d.staff),
            Caller::Admin => None,
        }
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self> {
        let header = parts.headers.get(AUTHORIZATION).ok_or_else(|| {
            Error::Unauthorized("missing header Authorization: Bearer <session token>".into())
        })?;
        let value = header
            .to_str()
            .map_err(|_| Error::Unauthorized("the Authorization header is not ASCII".into()))?;
        let token = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                Error::Unauthorized("the Authorization header must be 'Bearer <token>'".into())
            })?;
        if token.len() > 256 {
            return Err(Error::Unauthorized(
                "unknown session; authenticate again".into(),
            ));
        }
        let hash = codec::sha256_hex(token.as_bytes());
        if hash == state.0.admin_token_hash {
            return Ok(Caller::Admin);
        }
        let row = sqlx::query(
            "SELECT s.expires_at, d.id AS device_id, d.public_key, d.revoked_at, \
                    st.id AS staff_id, st.unit_id, st.name, st.role, st.ends_at \
             FROM sessions s JOIN devices d ON d.id = s.device_id \
             JOIN staff st ON st.id = d.staff_id WHERE s.token_hash = $1",
        )
        .bind(&hash)
        .fetch_optional(state.db().pool())
        .await?
        .ok_or_else(|| Error::Unauthorized("unknown session; authenticate again".into()))?;
        if row.try_get::<Option<i64>, _>("revoked_at")?.is_some() {
            return Err(Error::DeviceRevoked);
        }
        // An ended account is said as such (the session ended with it).
        let ends_at: Option<i64> = row.try_get("ends_at")?;
        if ends_at.is_some_and(|e| e <= state.now()) {
            return Err(Error::AccountEnded);
        }
        if row.try_get::<i64, _>("expires_at")? <= state.now() {
            return Err(Error::Unauthorized(
                "the session has expired; authenticate again".into(),
            ));
        }
        let key: Vec<u8> = row.try_get("public_key")?;
        let staff_id: String = row.try_get("staff_id")?;
        let serves_unit_ids = store::served_unit_ids(state.db().pool(), &staff_id).await?;
        Ok(Caller::Device(DeviceCaller {
            device_id: row.try_get("device_id")?,
            public_key: PublicKey::from_sec1(&key)?,
            staff: Staff {
                id: staff_id,
                unit_id: row.try_get("unit_id")?,
                name: row.try_get("name")?,
                role: Role::parse(&row.try_get::<String, _>("role")?)?,
                serves_unit_ids,
                ends_at,
            },
        }))
    }
}

/// Normalizes an enrollment code as typed: letters upper-cased, dashes and
/// spaces dropped.
pub fn normalize_code(code: &str) -> String {
    code.chars()
        .filter(|c| !matches!(c, '-' | ' '))
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// A new enrollment code: 12 characters of Crockford base32 (60 bits),
/// shown as `XXXX-XXXX-XXXX`.
pub fn new_enrollment_code() -> Result<String> {
    const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let bytes = codec::random_bytes::<12>()?;
    let mut s = String::with_capacity(14);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 && i % 4 == 0 {
            s.push('-');
        }
        let c = ALPHABET.get(usize::from(b & 31)).copied().unwrap_or(b'0');
        s.push(char::from(c));
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_challenge_message_is_domain_zero_challenge() {
        let m = challenge_message(&[7u8; 32]);
        assert_eq!(&m[..20], b"nyckelfri/session/v1");
        assert_eq!(m[20], 0);
        assert_eq!(&m[21..], &[7u8; 32]);
    }

    #[test]
    fn enrollment_codes_normalize_as_typed() {
        let c = new_enrollment_code().unwrap();
        assert_eq!(c.len(), 14);
        assert_eq!(normalize_code(&c.to_lowercase()), c.replace('-', ""));
        assert_eq!(normalize_code("ab12 cd34-EF56"), "AB12CD34EF56");
    }
}

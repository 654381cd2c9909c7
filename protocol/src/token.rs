//! The access token: a CWT (RFC 8392) in a tagged COSE_Sign1 (RFC 9052),
//! ES256, signed by the issuer, with the device key as `cnf` (RFC 8747).
//!
//! The server issues ([`issue`]); the lock verifies ([`SignedToken::verify`]);
//! the app reads the claims of tokens it holds to pick the right one.

use ciborium::Value;
use coset::cwt::{ClaimName, ClaimsSet, ClaimsSetBuilder, Timestamp};
use coset::iana::{self, EnumI64};
use coset::{
    AsCborValue, CborSerializable, CoseKey, CoseKeyBuilder, CoseSign1, CoseSign1Builder,
    HeaderBuilder, KeyType, Label, RegisteredLabelWithPrivate, TaggedCborSerializable,
};

use crate::keys::{KEY_ID_LEN, PublicKey, Signer, sha256};
use crate::messages::Command;
use crate::{ProtocolError, TOKEN_ID_LEN};

/// The largest token either side accepts, in bytes.
pub const MAX_TOKEN_LEN: usize = 1024;
/// Longest staff, lock or decision id, in bytes.
pub const MAX_ID_LEN: usize = 64;

/// Private-use CWT claim: the care decision id (text).
pub const CLAIM_DECISION_ID: i64 = -65537;
/// Private-use CWT claim: the care decision's end (Unix seconds).
pub const CLAIM_DECISION_END: i64 = -65538;
/// Private-use CWT claim: the scope (unsigned integer, see [`Scope`]).
pub const CLAIM_SCOPE: i64 = -65539;

/// What a token lets its holder do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Scope {
    /// A care visit or shift: unlock and lock in normal or installation mode.
    Care = 1,
    /// Demonstration to the brukare at installation: unlock and lock, only
    /// while the lock is in installation mode (R1.9).
    Demo = 2,
    /// The alarm group's technician: unlock, lock, and the mode commands.
    Install = 3,
}

impl Scope {
    /// Parses the wire value.
    pub fn from_code(v: u64) -> Option<Scope> {
        match v {
            1 => Some(Scope::Care),
            2 => Some(Scope::Demo),
            3 => Some(Scope::Install),
            _ => None,
        }
    }

    /// Whether this scope allows `command` at all (the lock also checks its mode).
    pub fn allows(self, command: Command) -> bool {
        match self {
            Scope::Care | Scope::Demo => matches!(command, Command::Unlock | Command::Lock),
            Scope::Install => true,
        }
    }
}

/// The claims of an access token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessClaims {
    /// Token id (`cti`), random, used for revocation and receipts.
    pub token_id: [u8; TOKEN_ID_LEN],
    /// Staff id (`sub`).
    pub staff_id: String,
    /// The lock this token opens (`aud`).
    pub lock_id: String,
    /// Not valid before (Unix seconds, `nbf`).
    pub not_before: u64,
    /// Not valid from (Unix seconds, `exp`); never after `decision_end`.
    pub expires: u64,
    /// When the issuer made it (Unix seconds, `iat`).
    pub issued_at: u64,
    /// The care decision the visit delivers.
    pub decision_id: String,
    /// When that decision ends (Unix seconds).
    pub decision_end: u64,
    /// What the token allows.
    pub scope: Scope,
    /// The device key the holder must prove possession of (`cnf`).
    pub device_key: PublicKey,
}

impl AccessClaims {
    /// The issuing rules every token must meet, checked before signing.
    pub fn check_rules(&self) -> Result<(), ProtocolError> {
        if self.expires <= self.not_before {
            return Err(ProtocolError::TokenRule("expiry must be after not-before"));
        }
        if self.expires > self.decision_end {
            return Err(ProtocolError::TokenRule(
                "expiry must not be after the care decision's end",
            ));
        }
        if self.issued_at > self.expires {
            return Err(ProtocolError::TokenRule(
                "issued-at must not be after expiry",
            ));
        }
        for (id, name) in [
            (&self.staff_id, "staff id"),
            (&self.lock_id, "lock id"),
            (&self.decision_id, "decision id"),
        ] {
            if id.is_empty() || id.len() > MAX_ID_LEN {
                return Err(ProtocolError::TokenRule(match name {
                    "staff id" => "staff id must be 1..=64 bytes",
                    "lock id" => "lock id must be 1..=64 bytes",
                    _ => "decision id must be 1..=64 bytes",
                }));
            }
        }
        Ok(())
    }

    fn to_claims_set(&self) -> Result<ClaimsSet, ProtocolError> {
        let cose_key = CoseKeyBuilder::new_ec2_pub_key(
            iana::EllipticCurve::P_256,
            self.device_key.x().to_vec(),
            self.device_key.y().to_vec(),
        )
        .build();
        let key_value = cose_key
            .to_cbor_value()
            .map_err(|e| ProtocolError::malformed("cnf", e.to_string()))?;
        // RFC 8747: cnf = { 1 (COSE_Key): key }
        let cnf = Value::Map(vec![(Value::Integer(1.into()), key_value)]);
        Ok(ClaimsSetBuilder::new()
            .cwt_id(self.token_id.to_vec())
            .subject(self.staff_id.clone())
            .audience(self.lock_id.clone())
            .not_before(Timestamp::WholeSeconds(secs(self.not_before)?))
            .expiration_time(Timestamp::WholeSeconds(secs(self.expires)?))
            .issued_at(Timestamp::WholeSeconds(secs(self.issued_at)?))
            .claim(iana::CwtClaimName::Cnf, cnf)
            .private_claim(CLAIM_DECISION_ID, Value::Text(self.decision_id.clone()))
            .private_claim(CLAIM_DECISION_END, Value::Integer(self.decision_end.into()))
            .private_claim(CLAIM_SCOPE, Value::Integer((self.scope as u8).into()))
            .build())
    }

    fn from_claims_set(set: ClaimsSet) -> Result<Self, ProtocolError> {
        let m = |d: &str| ProtocolError::malformed("token claims", d.to_owned());
        let token_id: [u8; TOKEN_ID_LEN] = set
            .cwt_id
            .ok_or_else(|| m("cti missing"))?
            .try_into()
            .map_err(|_| m("cti must be 16 bytes"))?;
        let staff_id = bounded_id(set.subject, "sub")?;
        let lock_id = bounded_id(set.audience, "aud")?;
        let not_before = whole_seconds(set.not_before, "nbf")?;
        let expires = whole_seconds(set.expiration_time, "exp")?;
        let issued_at = whole_seconds(set.issued_at, "iat")?;
        let mut decision_id = None;
        let mut decision_end = None;
        let mut scope = None;
        let mut device_key = None;
        for (name, value) in set.rest {
            match (name, value) {
                (ClaimName::PrivateUse(CLAIM_DECISION_ID), Value::Text(t)) => decision_id = Some(t),
                (ClaimName::PrivateUse(CLAIM_DECISION_END), Value::Integer(i)) => {
                    decision_end = Some(u64::try_from(i).map_err(|_| m("decision end"))?)
                }
                (ClaimName::PrivateUse(CLAIM_SCOPE), Value::Integer(i)) => {
                    let v = u64::try_from(i).map_err(|_| m("scope"))?;
                    scope = Some(Scope::from_code(v).ok_or_else(|| m("unknown scope"))?)
                }
                (ClaimName::Assigned(iana::CwtClaimName::Cnf), v) => {
                    device_key = Some(parse_cnf(v)?)
                }
                // Unknown claims are ignored, as RFC 8392 allows; they are
                // still covered by the issuer's signature.
                _ => {}
            }
        }
        let claims = AccessClaims {
            token_id,
            staff_id,
            lock_id,
            not_before,
            expires,
            issued_at,
            decision_id: bounded_id(decision_id, "decision id")?,
            decision_end: decision_end.ok_or_else(|| m("decision end missing"))?,
            scope: scope.ok_or_else(|| m("scope missing"))?,
            device_key: device_key.ok_or_else(|| m("cnf missing"))?,
        };
        Ok(claims)
    }
}

fn secs(v: u64) -> Result<i64, ProtocolError> {
    i64::try_from(v).map_err(|_| ProtocolError::TokenRule("time out of range"))
}

fn whole_seconds(t: Option<Timestamp>, name: &str) -> Result<u64, ProtocolError> {
    match t {
        Some(Timestamp::WholeSeconds(s)) => u64::try_from(s)
            .map_err(|_| ProtocolError::malformed("token claims", format!("{name} negative"))),
        Some(Timestamp::FractionalSeconds(_)) => Err(ProtocolError::malformed(
            "token claims",
            format!("{name} must be whole seconds"),
        )),
        None => Err(ProtocolError::malformed(
            "token claims",
            format!("{name} missing"),
        )),
    }
}

fn bounded_id(v: Option<String>, name: &str) -> Result<String, ProtocolError> {
    match v {
        Some(s) if !s.is_empty() && s.len() <= MAX_ID_LEN => Ok(s),
        Some(_) => Err(ProtocolError::malformed(
            "token claims",
            format!("{name} must be 1..=64 bytes"),
        )),
        None => Err(ProtocolError::malformed(
            "token claims",
            format!("{name} missing"),
        )),
    }
}

fn parse_cnf(v: Value) -> Result<PublicKey, ProtocolError> {
    let m = |d: &str| ProtocolError::malformed("cnf", d.to_owned());
    let Value::Map(entries) = v else {
        return Err(m("not a map"));
    };
    let key_value = entries
        .into_iter()
        .find_map(|(k, v)| (k == Value::Integer(1.into())).then_some(v))
        .ok_or_else(|| m("COSE_Key (1) missing"))?;
    let key = CoseKey::from_cbor_value(key_value).map_err(|e| m(&e.to_string()))?;
    if key.kty != KeyType::Assigned(iana::KeyType::EC2) {
        return Err(m("key type must be EC2"));
    }
    let mut crv = None;
    let mut x = None;
    let mut y = None;
    for (label, value) in key.params {
        match (label, value) {
            (Label::Int(l), Value::Integer(i)) if l == iana::Ec2KeyParameter::Crv.to_i64() => {
                crv = i64::try_from(i).ok()
            }
            (Label::Int(l), Value::Bytes(b)) if l == iana::Ec2KeyParameter::X.to_i64() => {
                x = Some(b)
            }
            (Label::Int(l), Value::Bytes(b)) if l == iana::Ec2KeyParameter::Y.to_i64() => {
                y = Some(b)
            }
            _ => {}
        }
    }
    if crv != Some(iana::EllipticCurve::P_256.to_i64()) {
        return Err(m("curve must be P-256"));
    }
    PublicKey::from_coordinates(
        &x.ok_or_else(|| m("x missing"))?,
        &y.ok_or_else(|| m("y (uncompressed) missing"))?,
    )
}

/// Signs `payload` as a tagged COSE_Sign1 with ES256 and the signer's key id.
pub(crate) fn sign1(
    payload: Vec<u8>,
    signer: &dyn Signer,
    what: &'static str,
) -> Result<Vec<u8>, ProtocolError> {
    let protected = HeaderBuilder::new()
        .algorithm(iana::Algorithm::ES256)
        .key_id(signer.public_key().key_id().to_vec())
        .build();
    let sign1 = CoseSign1Builder::new()
        .protected(protected)
        .payload(payload)
        .try_create_signature(b"", |tbs| signer.sign(tbs).map(|s| s.to_vec()))?
        .build();
    sign1
        .to_tagged_vec()
        .map_err(|e| ProtocolError::malformed(what, e.to_string()))
}

/// A parsed, not yet verified COSE_Sign1 signed with ES256 and a key id.
#[derive(Debug, Clone)]
pub(crate) struct Sign1 {
    inner: CoseSign1,
    key_id: [u8; KEY_ID_LEN],
}

impl Sign1 {
    pub(crate) fn parse(
        bytes: &[u8],
        max: usize,
        what: &'static str,
    ) -> Result<Self, ProtocolError> {
        if bytes.len() > max {
            return Err(ProtocolError::Oversized {
                what,
                len: bytes.len(),
                max,
            });
        }
        let inner = CoseSign1::from_tagged_slice(bytes)
            .map_err(|e| ProtocolError::malformed(what, e.to_string()))?;
        let header = &inner.protected.header;
        if header.alg != Some(RegisteredLabelWithPrivate::Assigned(iana::Algorithm::ES256)) {
            return Err(ProtocolError::malformed(what, "algorithm must be ES256"));
        }
        if !header.crit.is_empty() {
            return Err(ProtocolError::malformed(
                what,
                "critical headers not supported",
            ));
        }
        let key_id: [u8; KEY_ID_LEN] = header
            .key_id
            .clone()
            .try_into()
            .map_err(|_| ProtocolError::malformed(what, "key id must be 8 bytes"))?;
        if inner.payload.is_none() {
            return Err(ProtocolError::malformed(what, "payload missing"));
        }
        Ok(Self { inner, key_id })
    }

    pub(crate) fn key_id(&self) -> [u8; KEY_ID_LEN] {
        self.key_id
    }

    /// Verifies the signature with `key` and returns the payload.
    pub(crate) fn verify(
        &self,
        key: &PublicKey,
        what: &'static str,
    ) -> Result<&[u8], ProtocolError> {
        if key.key_id() != self.key_id {
            return Err(ProtocolError::UnknownIssuer);
        }
        self.inner
            .verify_signature(b"", |sig, tbs| key.verify(tbs, sig, what))?;
        self.payload()
    }

    /// The payload without verifying (for a holder reading its own tokens).
    pub(crate) fn payload(&self) -> Result<&[u8], ProtocolError> {
        self.inner
            .payload
            .as_deref()
            .ok_or_else(|| ProtocolError::malformed("COSE_Sign1", "payload missing"))
    }
}

/// Issues a token: checks the issuing rules, then signs the claims.
pub fn issue(claims: &AccessClaims, issuer: &dyn Signer) -> Result<Vec<u8>, ProtocolError> {
    claims.check_rules()?;
    let payload = claims
        .to_claims_set()?
        .to_vec()
        .map_err(|e| ProtocolError::malformed("token claims", e.to_string()))?;
    sign1(payload, issuer, "token")
}

/// A token as received: parsed, with its issuer's key id, not yet verified.
#[derive(Debug, Clone)]
pub struct SignedToken {
    sign1: Sign1,
    hash: [u8; 32],
}

impl SignedToken {
    /// Parses a token's COSE structure (no signature check yet).
    pub fn parse(bytes: &[u8]) -> Result<Self, ProtocolError> {
        let sign1 = Sign1::parse(bytes, MAX_TOKEN_LEN, "token")?;
        Ok(Self {
            sign1,
            hash: sha256(bytes),
        })
    }

    /// The issuer's key id from the protected header.
    pub fn issuer_key_id(&self) -> [u8; KEY_ID_LEN] {
        self.sign1.key_id()
    }

    /// SHA-256 over the token's bytes, as bound into the request transcript.
    pub fn hash(&self) -> [u8; 32] {
        self.hash
    }

    /// Verifies the issuer's signature, then parses the claims.
    pub fn verify(&self, issuer: &PublicKey) -> Result<AccessClaims, ProtocolError> {
        let payload = self.sign1.verify(issuer, "token")?;
        decode_claims(payload)
    }

    /// The claims without checking the signature. Only for a holder reading
    /// tokens it stored itself; a lock must use [`SignedToken::verify`].
    pub fn claims_unverified(&self) -> Result<AccessClaims, ProtocolError> {
        decode_claims(self.sign1.payload()?)
    }
}

fn decode_claims(payload: &[u8]) -> Result<AccessClaims, ProtocolError> {
    let set = ClaimsSet::from_slice(payload)
        .map_err(|e| ProtocolError::malformed("token claims", e.to_string()))?;
    AccessClaims::from_claims_set(set)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SoftwareKey;

    fn claims(device: &SoftwareKey) -> AccessClaims {
        AccessClaims {
            token_id: [7; 16],
            staff_id: "staff-1".into(),
            lock_id: "lock-1".into(),
            not_before: 1_000,
            expires: 2_000,
            issued_at: 900,
            decision_id: "dec-1".into(),
            decision_end: 5_000,
            scope: Scope::Care,
            device_key: device.public_key(),
        }
    }

    #[test]
    fn an_issued_token_verifies_and_round_trips_every_claim() {
        let (issuer, _) = SoftwareKey::generate().unwrap();
        let (device, _) = SoftwareKey::generate().unwrap();
        let c = claims(&device);
        let bytes = issue(&c, &issuer).unwrap();
        assert!(bytes.len() < 400, "token is {} bytes", bytes.len());
        let t = SignedToken::parse(&bytes).unwrap();
        assert_eq!(t.issuer_key_id(), issuer.public_key().key_id());
        assert_eq!(t.verify(&issuer.public_key()).unwrap(), c);
    }

    #[test]
    fn the_issuer_refuses_a_token_that_outlives_the_care_decision() {
        let (issuer, _) = SoftwareKey::generate().unwrap();
        let (device, _) = SoftwareKey::generate().unwrap();
        let mut c = claims(&device);
        c.expires = c.decision_end + 1;
        assert!(matches!(
            issue(&c, &issuer),
            Err(ProtocolError::TokenRule(_))
        ));
    }

    #[test]
    fn a_token_signed_by_another_key_does_not_verify() {
        let (issuer, _) = SoftwareKey::generate().unwrap();
        let (other, _) = SoftwareKey::generate().unwrap();
        let (device, _) = SoftwareKey::generate().unwrap();
        let bytes = issue(&claims(&device), &issuer).unwrap();
        let t = SignedToken::parse(&bytes).unwrap();
        assert_eq!(
            t.verify(&other.public_key()).unwrap_err(),
            ProtocolError::UnknownIssuer
        );
    }
}

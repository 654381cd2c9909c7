//! The access token: a CWT (RFC 8392) in a tagged COSE_Sign1 (RFC 9052),
//! ES256, signed by the issuer, with the device key as `cnf` (RFC 8747).
//!
//! The server issues ([`issue`]); the lock verifies ([`SignedToken::verify`]);
//! the app reads the claims of tokens it holds to pick the right one.
//!
//! The COSE envelope is read and written here by hand, over the protocol's
//! CBOR profile, so that exactly what PROTOCOL.md §2 says is accepted: the
//! revocation list, the grant and the issuer update share [`Sign1`].

use ciborium::Value;

use crate::cbor::{self, TAG_COSE_SIGN1};
use crate::keys::{KEY_ID_LEN, PublicKey, SIGNATURE_LEN, Signer, sha256};
use crate::messages::Command;
use crate::{MAX_TIME, ProtocolError, TOKEN_ID_LEN};

/// The largest token either side accepts, in bytes.
pub const MAX_TOKEN_LEN: usize = 1024;
/// Longest staff, lock or decision id, in bytes.
pub const MAX_ID_LEN: usize = 64;

/// CWT claim `sub`: the staff id.
pub const CLAIM_SUB: i64 = 2;
/// CWT claim `aud`: the lock id.
pub const CLAIM_AUD: i64 = 3;
/// CWT claim `exp`.
pub const CLAIM_EXP: i64 = 4;
/// CWT claim `nbf`.
pub const CLAIM_NBF: i64 = 5;
/// CWT claim `iat`.
pub const CLAIM_IAT: i64 = 6;
/// CWT claim `cti`: the token id.
pub const CLAIM_CTI: i64 = 7;
/// CWT claim `cnf`: the device key (RFC 8747).
pub const CLAIM_CNF: i64 = 8;
/// Private-use CWT claim: the care decision id (text).
pub const CLAIM_DECISION_ID: i64 = -65537;
/// Private-use CWT claim: the care decision's end (Unix seconds).
pub const CLAIM_DECISION_END: i64 = -65538;
/// Private-use CWT claim: the scope (unsigned integer, see [`Scope`]).
pub const CLAIM_SCOPE: i64 = -65539;
/// Private-use CWT claim: the lowest epoch of the issuer's revocation list
/// for this lock that the lock must hold before it accepts the token.
pub const CLAIM_MIN_EPOCH: i64 = -65540;

/// COSE header label `alg`.
const HEADER_ALG: i64 = 1;
/// COSE header label `crit`.
const HEADER_CRIT: i64 = 2;
/// COSE header label `kid`.
const HEADER_KID: i64 = 4;
/// COSE algorithm ES256.
const ALG_ES256: i64 = -7;
/// The Sig_structure context of a COSE_Sign1.
const SIGNATURE1: &str = "Signature1";

/// What a token lets its holder do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Scope {
    /// A care visit or shift: unlock and lock in normal or installation mode.
    Care = 1,
    /// Demonstration to the brukare at installation: unlock and lock, only
    /// while the lock is in installation mode (R1.9).
    Demo = 2,
    /// The alarm group's technician installing or removing: unlock and lock
    /// in installation mode only, finish the installation, decommission.
    Install = 3,
    /// The alarm group's technician servicing a lock in use (battery change,
    /// repair), within the order's window: unlock and lock in any service
    /// mode, and the moves between installation and normal mode.
    Maintenance = 4,
}

impl Scope {
    /// Parses the wire value.
    pub fn from_code(v: u64) -> Option<Scope> {
        match v {
            1 => Some(Scope::Care),
            2 => Some(Scope::Demo),
            3 => Some(Scope::Install),
            4 => Some(Scope::Maintenance),
            _ => None,
        }
    }

    /// Whether this scope allows `command` at all (PROTOCOL.md §5.4); the
    /// lock then also checks its mode.
    pub fn allows(self, command: Command) -> bool {
        match self {
            Scope::Care | Scope::Demo => matches!(command, Command::Unlock | Command::Lock),
            Scope::Install => !matches!(command, Command::EnterInstallation),
            Scope::Maintenance => !matches!(command, Command::Decommission),
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
    /// The lowest epoch of the issuer's revocation list for this lock that
    /// the lock must hold before it accepts this token (0: none needed).
    pub min_epoch: u64,
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
        if [
            self.not_before,
            self.expires,
            self.issued_at,
            self.decision_end,
        ]
        .iter()
        .any(|t| *t > MAX_TIME)
        {
            return Err(ProtocolError::TokenRule("time out of range"));
        }
        for (id, rule) in [
            (&self.staff_id, "staff id must be 1..=64 bytes"),
            (&self.lock_id, "lock id must be 1..=64 bytes"),
            (&self.decision_id, "decision id must be 1..=64 bytes"),
        ] {
            if id.is_empty() || id.len() > MAX_ID_LEN {
                return Err(ProtocolError::TokenRule(rule));
            }
        }
        Ok(())
    }

    /// The claims map, in the issuer's order (PROTOCOL.md §2.3).
    fn to_value(&self) -> Value {
        let int = |l: i64| Value::Integer(l.into());
        let cose_key = Value::Map(vec![
            (int(1), int(2)),
            (int(-1), int(1)),
            (int(-2), cbor::bytes(self.device_key.x())),
            (int(-3), cbor::bytes(self.device_key.y())),
        ]);
        Value::Map(vec![
            (int(CLAIM_SUB), cbor::text(&self.staff_id)),
            (int(CLAIM_AUD), cbor::text(&self.lock_id)),
            (int(CLAIM_EXP), cbor::uint(self.expires)),
            (int(CLAIM_NBF), cbor::uint(self.not_before)),
            (int(CLAIM_IAT), cbor::uint(self.issued_at)),
            (int(CLAIM_CTI), cbor::bytes(&self.token_id)),
            (int(CLAIM_CNF), Value::Map(vec![(int(1), cose_key)])),
            (int(CLAIM_DECISION_ID), cbor::text(&self.decision_id)),
            (int(CLAIM_DECISION_END), cbor::uint(self.decision_end)),
            (int(CLAIM_SCOPE), cbor::uint(self.scope as u64)),
            (int(CLAIM_MIN_EPOCH), cbor::uint(self.min_epoch)),
        ])
    }

    fn from_value(value: Value) -> Result<Self, ProtocolError> {
        const WHAT: &str = "token claims";
        let m = |d: String| ProtocolError::malformed(WHAT, d);
        let Value::Map(entries) = value else {
            return Err(m("not a map".into()));
        };
        let mut token_id = None;
        let mut staff_id = None;
        let mut lock_id = None;
        let mut not_before = None;
        let mut expires = None;
        let mut issued_at = None;
        let mut device_key = None;
        let mut decision_id = None;
        let mut decision_end = None;
        let mut scope = None;
        let mut min_epoch = None;
        // The decoder already refused a label that appears twice.
        for (label, v) in entries {
            let label = match label {
                Value::Integer(i) => i64::try_from(i).map_err(|_| m("unknown claim".into()))?,
                _ => return Err(m("a claim with a text label".into())),
            };
            match label {
                CLAIM_SUB => staff_id = Some(id_of(v, "sub")?),
                CLAIM_AUD => lock_id = Some(id_of(v, "aud")?),
                CLAIM_EXP => expires = Some(time_of(v, "exp")?),
                CLAIM_NBF => not_before = Some(time_of(v, "nbf")?),
                CLAIM_IAT => issued_at = Some(time_of(v, "iat")?),
                CLAIM_CTI => {
                    token_id = Some(
                        <[u8; TOKEN_ID_LEN]>::try_from(
                            cbor::bytes_of(v, WHAT, "cti", TOKEN_ID_LEN)
                                .map_err(|_| m("cti must be a 16-byte string".into()))?,
                        )
                        .map_err(|_| m("cti must be a 16-byte string".into()))?,
                    )
                }
                CLAIM_CNF => device_key = Some(parse_cnf(v)?),
                CLAIM_DECISION_ID => decision_id = Some(id_of(v, "decision id")?),
                CLAIM_DECISION_END => decision_end = Some(time_of(v, "decision end")?),
                CLAIM_SCOPE => {
                    let code = cbor::uint_of(v, WHAT, "scope")?;
                    scope = Some(Scope::from_code(code).ok_or_else(|| m("unknown scope".into()))?)
                }
                CLAIM_MIN_EPOCH => min_epoch = Some(cbor::uint_of(v, WHAT, "min epoch")?),
                other => return Err(m(format!("claim {other} is not a version 2 claim"))),
            }
        }
        let need = |name: &str| m(format!("{name} missing"));
        Ok(AccessClaims {
            token_id: token_id.ok_or_else(|| need("cti"))?,
            staff_id: staff_id.ok_or_else(|| need("sub"))?,
            lock_id: lock_id.ok_or_else(|| need("aud"))?,
            not_before: not_before.ok_or_else(|| need("nbf"))?,
            expires: expires.ok_or_else(|| need("exp"))?,
            issued_at: issued_at.ok_or_else(|| need("iat"))?,
            decision_id: decision_id.ok_or_else(|| need("decision id"))?,
            decision_end: decision_end.ok_or_else(|| need("decision end"))?,
            scope: scope.ok_or_else(|| need("scope"))?,
            min_epoch: min_epoch.ok_or_else(|| need("min epoch"))?,
            device_key: device_key.ok_or_else(|| need("cnf"))?,
        })
    }
}

/// A time claim: an unsigned integer below 2^63.
fn time_of(v: Value, name: &str) -> Result<u64, ProtocolError> {
    let t = cbor::uint_of(v, "token claims", name)?;
    if t > MAX_TIME {
        return Err(ProtocolError::malformed(
            "token claims",
            format!("{name} is 2^63 or more"),
        ));
    }
    Ok(t)
}

/// An id claim: text of 1..=64 bytes.
fn id_of(v: Value, name: &str) -> Result<String, ProtocolError> {
    match v {
        Value::Text(s) if !s.is_empty() && s.len() <= MAX_ID_LEN => Ok(s),
        _ => Err(ProtocolError::malformed(
            "token claims",
            format!("{name} must be text of 1..=64 bytes"),
        )),
    }
}

/// `cnf`: exactly `{1: {1: 2, -1: 1, -2: x, -3: y}}`.
fn parse_cnf(v: Value) -> Result<PublicKey, ProtocolError> {
    let m = |d: &str| ProtocolError::malformed("cnf", d.to_owned());
    let Value::Map(outer) = v else {
        return Err(m("not a map"));
    };
    let [(label, key)] = <[(Value, Value); 1]>::try_from(outer)
        .map_err(|_| m("must hold exactly the COSE_Key (label 1)"))?;
    if label != cbor::uint(1) {
        return Err(m("must hold exactly the COSE_Key (label 1)"));
    }
    let Value::Map(params) = key else {
        return Err(m("the COSE_Key is not a map"));
    };
    if params.len() != 4 {
        return Err(m("the COSE_Key must have exactly kty, crv, x and y"));
    }
    let (mut kty, mut crv, mut x, mut y) = (None, None, None, None);
    for (label, value) in params {
        let Value::Integer(l) = label else {
            return Err(m("a COSE_Key label that is not an integer"));
        };
        match (i64::try_from(l).unwrap_or(0), value) {
            (1, Value::Integer(i)) => kty = i64::try_from(i).ok(),
            (-1, Value::Integer(i)) => crv = i64::try_from(i).ok(),
            (-2, Value::Bytes(b)) => x = Some(b),
            (-3, Value::Bytes(b)) => y = Some(b),
            _ => {
                return Err(m(
                    "a COSE_Key label other than kty, crv, x, y, or a wrong type",
                ));
            }
        }
    }
    if kty != Some(2) {
        return Err(m("key type must be EC2 (2)"));
    }
    if crv != Some(1) {
        return Err(m("curve must be P-256 (1)"));
    }
    PublicKey::from_coordinates(
        &x.ok_or_else(|| m("x missing"))?,
        &y.ok_or_else(|| m("y missing"))?,
    )
}

/// Signs `payload` as a tagged COSE_Sign1 with ES256 and the signer's key id.
pub(crate) fn sign1(
    payload: Vec<u8>,
    signer: &dyn Signer,
    _what: &'static str,
) -> Result<Vec<u8>, ProtocolError> {
    let protected = cbor::encode(&Value::Map(vec![
        (
            Value::Integer(HEADER_ALG.into()),
            Value::Integer(ALG_ES256.into()),
        ),
        (
            Value::Integer(HEADER_KID.into()),
            cbor::bytes(&signer.public_key().key_id()),
        ),
    ]))?;
    let signature = signer.sign(&sig_structure(&protected, &payload)?)?;
    cbor::encode(&Value::Tag(
        TAG_COSE_SIGN1,
        Box::new(Value::Array(vec![
            Value::Bytes(protected),
            Value::Map(vec![]),
            Value::Bytes(payload),
            cbor::bytes(&signature),
        ])),
    ))
}

/// The bytes ES256 signs: `["Signature1", protected, h'', payload]`.
fn sig_structure(protected: &[u8], payload: &[u8]) -> Result<Vec<u8>, ProtocolError> {
    cbor::encode(&Value::Array(vec![
        cbor::text(SIGNATURE1),
        cbor::bytes(protected),
        cbor::bytes(&[]),
        cbor::bytes(payload),
    ]))
}

/// A parsed, not yet verified COSE_Sign1 signed with ES256 and a key id.
#[derive(Debug, Clone)]
pub(crate) struct Sign1 {
    protected: Vec<u8>,
    payload: Vec<u8>,
    signature: [u8; SIGNATURE_LEN],
    key_id: [u8; KEY_ID_LEN],
}

impl Sign1 {
    /// Reads the envelope (PROTOCOL.md §2.1): at most `max` bytes, tag 18,
    /// an array of 4: the protected header `{1: -7, 4: kid}` and nothing
    /// else, an empty unprotected map, a byte-string payload and a 64-byte
    /// signature.
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
        let m = |d: &str| ProtocolError::malformed(what, d.to_owned());
        let Value::Tag(TAG_COSE_SIGN1, inner) = cbor::decode(bytes, what)? else {
            return Err(m("not a tagged COSE_Sign1"));
        };
        let Value::Array(parts) = *inner else {
            return Err(m("COSE_Sign1 is not an array"));
        };
        let [protected, unprotected, payload, signature] =
            <[Value; 4]>::try_from(parts).map_err(|_| m("COSE_Sign1 must have 4 elements"))?;
        let Value::Bytes(protected) = protected else {
            return Err(m("protected header is not a byte string"));
        };
        if unprotected != Value::Map(vec![]) {
            return Err(m("the unprotected header must be an empty map"));
        }
        let Value::Bytes(payload) = payload else {
            return Err(m("payload missing (not a byte string)"));
        };
        let signature: [u8; SIGNATURE_LEN] = match signature {
            Value::Bytes(s) => s
                .try_into()
                .map_err(|_| m("the signature must be 64 bytes"))?,
            _ => return Err(m("the signature is not a byte string")),
        };
        let Value::Map(header) = cbor::decode(&protected, what)? else {
            return Err(m("the protected header is not a map"));
        };
        let (mut alg, mut key_id) = (None, None);
        for (label, value) in header {
            match (label, value) {
                (Value::Integer(l), Value::Integer(a)) if i64::try_from(l) == Ok(HEADER_ALG) => {
                    alg = i64::try_from(a).ok()
                }
                (Value::Integer(l), Value::Bytes(k)) if i64::try_from(l) == Ok(HEADER_KID) => {
                    key_id = Some(
                        <[u8; KEY_ID_LEN]>::try_from(k).map_err(|_| m("key id must be 8 bytes"))?,
                    )
                }
                (Value::Integer(l), _) if i64::try_from(l) == Ok(HEADER_CRIT) => {
                    return Err(m("critical headers not supported"));
                }
                _ => return Err(m("a protected header other than alg and kid")),
            }
        }
        if alg != Some(ALG_ES256) {
            return Err(m("algorithm must be ES256"));
        }
        Ok(Self {
            protected,
            payload,
            signature,
            key_id: key_id.ok_or_else(|| m("key id missing"))?,
        })
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
        key.verify(
            &sig_structure(&self.protected, &self.payload)?,
            &self.signature,
            what,
        )?;
        Ok(&self.payload)
    }

    /// The payload without verifying (for a holder reading its own tokens,
    /// or to decide whether something is worth verifying).
    pub(crate) fn payload(&self) -> &[u8] {
        &self.payload
    }
}

/// Issues a token: checks the issuing rules, then signs the claims.
pub fn issue(claims: &AccessClaims, issuer: &dyn Signer) -> Result<Vec<u8>, ProtocolError> {
    claims.check_rules()?;
    let payload = cbor::encode(&claims.to_value())?;
    let token = sign1(payload, issuer, "token")?;
    if token.len() > MAX_TOKEN_LEN {
        return Err(ProtocolError::Oversized {
            what: "token",
            len: token.len(),
            max: MAX_TOKEN_LEN,
        });
    }
    Ok(token)
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
        decode_claims(self.sign1.payload())
    }
}

fn decode_claims(payload: &[u8]) -> Result<AccessClaims, ProtocolError> {
    AccessClaims::from_value(cbor::decode(payload, "token claims")?)
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
            min_epoch: 3,
            device_key: device.public_key(),
        }
    }

    /// Re-signs a token whose claims map was edited, so only the claims decide.
    fn resign(issuer: &SoftwareKey, edit: impl FnOnce(&mut Vec<(Value, Value)>)) -> Vec<u8> {
        let (device, _) = SoftwareKey::generate().unwrap();
        let Value::Map(mut entries) = claims(&device).to_value() else {
            unreachable!()
        };
        edit(&mut entries);
        sign1(cbor::encode(&Value::Map(entries)).unwrap(), issuer, "token").unwrap()
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

    #[test]
    fn every_claim_outside_version_2_is_malformed_after_the_signature() {
        let (issuer, _) = SoftwareKey::generate().unwrap();
        let int = |l: i64| Value::Integer(l.into());
        for (why, extra) in [
            ("iss", (int(1), cbor::text("x"))),
            ("a registered claim", (int(9), cbor::uint(1))),
            ("a private claim", (int(-65541), cbor::uint(1))),
            ("a text label", (cbor::text("x"), cbor::uint(1))),
        ] {
            let token = resign(&issuer, |e| e.push(extra));
            let t = SignedToken::parse(&token).unwrap();
            assert!(
                matches!(
                    t.verify(&issuer.public_key()),
                    Err(ProtocolError::Malformed { .. })
                ),
                "{why}"
            );
        }
    }

    #[test]
    fn a_missing_claim_a_time_of_2_to_the_63_and_an_unknown_scope_are_malformed() {
        let (issuer, _) = SoftwareKey::generate().unwrap();
        type ClaimEdit = Box<dyn FnOnce(&mut Vec<(Value, Value)>)>;
        let edits: Vec<ClaimEdit> = vec![
            Box::new(|e| e.retain(|(k, _)| k != &Value::Integer(CLAIM_MIN_EPOCH.into()))),
            Box::new(|e| {
                e.iter_mut()
                    .filter(|(k, _)| k == &Value::Integer(CLAIM_EXP.into()))
                    .for_each(|(_, v)| *v = cbor::uint(1 << 63))
            }),
            Box::new(|e| {
                e.iter_mut()
                    .filter(|(k, _)| k == &Value::Integer(CLAIM_SCOPE.into()))
                    .for_each(|(_, v)| *v = cbor::uint(9))
            }),
        ];
        for edit in edits {
            let token = resign(&issuer, edit);
            let t = SignedToken::parse(&token).unwrap();
            assert!(matches!(
                t.verify(&issuer.public_key()),
                Err(ProtocolError::Malformed { .. })
            ));
        }
    }

    #[test]
    fn the_envelope_is_strict() {
        let (issuer, _) = SoftwareKey::generate().unwrap();
        let (device, _) = SoftwareKey::generate().unwrap();
        let good = issue(&claims(&device), &issuer).unwrap();
        let Value::Tag(_, inner) = cbor::decode(&good, "t").unwrap() else {
            unreachable!()
        };
        let Value::Array(parts) = *inner else {
            unreachable!()
        };
        let rebuild = |parts: Vec<Value>, tagged: bool| {
            let a = Value::Array(parts);
            cbor::encode(&if tagged {
                Value::Tag(18, Box::new(a))
            } else {
                a
            })
            .unwrap()
        };
        let mut short_sig = parts.clone();
        short_sig[3] = cbor::bytes(&[1; 63]);
        let mut unprotected = parts.clone();
        unprotected[1] = Value::Map(vec![(cbor::uint(4), cbor::bytes(&[0; 8]))]);
        let mut nil_payload = parts.clone();
        nil_payload[2] = Value::Null;
        let mut extra_header = parts.clone();
        extra_header[0] = cbor::bytes(
            &cbor::encode(&Value::Map(vec![
                (Value::Integer(1.into()), Value::Integer((-7).into())),
                (
                    Value::Integer(4.into()),
                    cbor::bytes(&issuer.public_key().key_id()),
                ),
                (Value::Integer(3.into()), cbor::uint(0)),
            ]))
            .unwrap(),
        );
        for (why, bytes) in [
            ("untagged", rebuild(parts.clone(), false)),
            ("63-byte signature", rebuild(short_sig, true)),
            ("unprotected kid", rebuild(unprotected, true)),
            ("detached payload", rebuild(nil_payload, true)),
            ("extra protected header", rebuild(extra_header, true)),
        ] {
            assert!(
                matches!(
                    SignedToken::parse(&bytes),
                    Err(ProtocolError::Malformed { .. })
                ),
                "{why}"
            );
        }
        assert!(SignedToken::parse(&rebuild(parts, true)).is_ok());
    }
}

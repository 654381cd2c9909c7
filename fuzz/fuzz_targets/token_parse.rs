//! `SignedToken::parse` on arbitrary bytes, then `claims_unverified` and
//! `verify` with the fixed issuer key and with a key the token does not
//! name. Nothing may panic; whatever claims come out meet the shape rules;
//! a token that verifies has the same claims as its unverified reading, and
//! claims that meet the issuing rules survive issue → parse → verify.

#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use nyckelfri_fuzz::{ISSUER, OTHER};
use nyckelfri_protocol::keys::sha256;
use nyckelfri_protocol::token::{AccessClaims, MAX_ID_LEN, MAX_TOKEN_LEN, SignedToken, issue};
use nyckelfri_protocol::{ProtocolError, PublicKey, SoftwareKey};

static ISSUER_KEY: LazyLock<SoftwareKey> = LazyLock::new(|| ISSUER.signer());
static ISSUER_PUBLIC: LazyLock<PublicKey> = LazyLock::new(|| ISSUER.public());
static OTHER_PUBLIC: LazyLock<PublicKey> = LazyLock::new(|| OTHER.public());

fn check_shape(c: &AccessClaims) {
    for (id, name) in [
        (&c.staff_id, "staff id"),
        (&c.lock_id, "lock id"),
        (&c.decision_id, "decision id"),
    ] {
        assert!(
            !id.is_empty() && id.len() <= MAX_ID_LEN,
            "{name} of {} bytes accepted",
            id.len()
        );
    }
    for t in [c.not_before, c.expires, c.issued_at] {
        assert!(
            i64::try_from(t).is_ok(),
            "time {t} does not fit a CWT timestamp"
        );
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(token) = SignedToken::parse(data) else {
        return;
    };
    assert!(data.len() <= MAX_TOKEN_LEN, "accepted {} bytes", data.len());
    assert_eq!(
        token.hash(),
        sha256(data),
        "hash is not over the token bytes"
    );

    let unverified = token.claims_unverified();
    if let Ok(c) = &unverified {
        check_shape(c);
    }

    match token.verify(&ISSUER_PUBLIC) {
        Ok(claims) => {
            // Only reachable from seeds (or mutations of the unprotected
            // header, which COSE does not sign): a real issuer signature.
            assert_eq!(token.issuer_key_id(), ISSUER_PUBLIC.key_id());
            assert_eq!(
                unverified.as_ref(),
                Ok(&claims),
                "verified and unverified claims differ"
            );
            if claims.check_rules().is_ok() {
                let reissued = issue(&claims, &*ISSUER_KEY).expect("valid claims are issued");
                let back = SignedToken::parse(&reissued)
                    .and_then(|t| t.verify(&ISSUER_PUBLIC))
                    .expect("a reissued token verifies");
                assert_eq!(back, claims, "claims do not survive issue → verify");
            }
        }
        Err(e) => {
            if token.issuer_key_id() != ISSUER_PUBLIC.key_id() {
                assert_eq!(e, ProtocolError::UnknownIssuer);
            }
        }
    }

    // A key the token does not name never verifies it.
    if token.issuer_key_id() != OTHER_PUBLIC.key_id() {
        assert_eq!(
            token.verify(&OTHER_PUBLIC).unwrap_err(),
            ProtocolError::UnknownIssuer
        );
    }
});

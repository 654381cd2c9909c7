//! `RevocationList::peek` and `RevocationList::verify` (with the fixed
//! issuer key) on arbitrary bytes. Nothing may panic; a list that verifies
//! claims (unverified) what it holds, names the issuer's key id, respects
//! the bounds, and survives sign → verify unchanged.

#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use nyckelfri_fuzz::ISSUER;
use nyckelfri_protocol::messages::MAX_REVOCATION_LEN;
use nyckelfri_protocol::revocation::{MAX_REVOKED, RevocationList};
use nyckelfri_protocol::{ProtocolError, PublicKey, SoftwareKey};

static ISSUER_KEY: LazyLock<SoftwareKey> = LazyLock::new(|| ISSUER.signer());
static ISSUER_PUBLIC: LazyLock<PublicKey> = LazyLock::new(|| ISSUER.public());

fuzz_target!(|data: &[u8]| {
    let header = RevocationList::peek(data);
    let kid = header.as_ref().map(|h| h.key_id);
    let verified = RevocationList::verify(data, &ISSUER_PUBLIC);
    match (&kid, &verified) {
        (Err(_), Ok(_)) => panic!("a list verified whose header cannot be read"),
        (Ok(kid), Ok(list)) => {
            assert_eq!(*kid, ISSUER_PUBLIC.key_id());
            let h = header.as_ref().expect("read above");
            assert_eq!((&h.lock_id, h.epoch), (&list.lock_id, list.epoch));
            assert_eq!(RevocationList::read_unverified(data).as_ref(), Ok(list));
            assert!(
                data.len() <= MAX_REVOCATION_LEN,
                "accepted {} bytes",
                data.len()
            );
            assert!(
                list.revoked.len() <= MAX_REVOKED,
                "{} entries",
                list.revoked.len()
            );
            let resigned = list
                .sign(&*ISSUER_KEY)
                .expect("a list that verified can be signed again");
            assert_eq!(
                RevocationList::verify(&resigned, &ISSUER_PUBLIC).as_ref(),
                Ok(list),
                "list does not survive sign → verify"
            );
        }
        (Ok(kid), Err(e)) if *kid != ISSUER_PUBLIC.key_id() => {
            assert_eq!(*e, ProtocolError::UnknownIssuer);
        }
        _ => {}
    }
});

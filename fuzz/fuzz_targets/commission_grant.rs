//! `CommissionGrant::verify_self_signed` on arbitrary bytes. Nothing may
//! panic; a grant that verifies respects the bounds, is signed under its own
//! issuer key's id, and is not also a valid revocation list for that key
//! (domain separation).

#![no_main]

use libfuzzer_sys::fuzz_target;
use nyckelfri_protocol::commission::CommissionGrant;
use nyckelfri_protocol::issuers::IssuerUpdate;
use nyckelfri_protocol::messages::MAX_GRANT_LEN;
use nyckelfri_protocol::revocation::RevocationList;
use nyckelfri_protocol::token::MAX_ID_LEN;

fuzz_target!(|data: &[u8]| {
    let Ok(grant) = CommissionGrant::verify_self_signed(data) else {
        return;
    };
    assert!(data.len() <= MAX_GRANT_LEN, "accepted {} bytes", data.len());
    assert!(
        !grant.lock_id.is_empty() && grant.lock_id.len() <= MAX_ID_LEN,
        "lock id of {} bytes",
        grant.lock_id.len()
    );
    assert_eq!(
        CommissionGrant::read_unverified(data).as_ref(),
        Ok(&grant),
        "the unverified reading differs"
    );
    assert!(
        RevocationList::verify(data, &grant.issuer_key).is_err(),
        "a grant also verifies as a revocation list"
    );
    assert!(
        IssuerUpdate::verify(data, &grant.issuer_key).is_err(),
        "a grant also verifies as an issuer update"
    );
});

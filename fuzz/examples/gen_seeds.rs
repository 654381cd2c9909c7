//! Writes the seed corpus into `fuzz/seeds/<target>/`: valid messages,
//! tokens, revocation lists and grants signed with the fixed keys of
//! `nyckelfri_fuzz`, plus a few near misses. Run from anywhere:
//!
//!     cargo run --manifest-path fuzz/Cargo.toml --example gen_seeds
//!
//! (stable is fine; no sanitizer needed). Signatures are randomised, so a
//! rerun changes the bytes but not what the seeds exercise.

use std::fs;
use std::path::{Path, PathBuf};

use nyckelfri_fuzz::{FIXED_NONCE, ISSUER, LOCK, OTHER, fragment_stream};
use nyckelfri_lock::scenario::{SCENARIO_LOCK_ID, SCENARIO_NOW};
use nyckelfri_protocol::commission::CommissionGrant;
use nyckelfri_protocol::exchange::build_request;
use nyckelfri_protocol::issuers::IssuerUpdate;
use nyckelfri_protocol::framing::fragment;
use nyckelfri_protocol::messages::{
    BoltState, Command, Commission, Hello, LockMode, Message, ResultMessage,
};
use nyckelfri_protocol::revocation::{RevocationList, RevokedToken};
use nyckelfri_protocol::token::{Scope, issue};
use nyckelfri_protocol::{Signer, Status, request_id_for};

type Seeds = Vec<(&'static str, Vec<u8>)>;

fn write(root: &Path, target: &str, seeds: &Seeds) {
    let dir = root.join(target);
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("create seed dir");
    for (name, bytes) in seeds {
        fs::write(dir.join(name), bytes).expect("write seed");
    }
    println!("{target}: {} seeds", seeds.len());
}

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("seeds");
    let issuer = ISSUER.signer();
    let other = OTHER.signer();

    let mut s = nyckelfri_fuzz::scenario();
    let hello = s.hello().expect("hello");
    assert_eq!(hello.nonce, FIXED_NONCE);

    // Tokens.
    let care_claims = s.claims();
    let care = s.issue(&care_claims).expect("care token");
    let mut install_claims = s.claims();
    install_claims.scope = Scope::Install;
    let install = s.issue(&install_claims).expect("install token");
    let mut demo_claims = s.claims();
    demo_claims.scope = Scope::Demo;
    let demo = s.issue(&demo_claims).expect("demo token");
    let mut expired_claims = s.claims();
    expired_claims.not_before = SCENARIO_NOW - 7_200;
    expired_claims.expires = SCENARIO_NOW - 60;
    let expired = s.issue(&expired_claims).expect("expired token");
    let foreign = issue(&s.claims(), &other).expect("token from another issuer");

    // Revocation lists.
    let list = |epoch, revoked: Vec<[u8; 16]>, signer: &dyn Signer| {
        RevocationList {
            lock_id: SCENARIO_LOCK_ID.into(),
            epoch,
            issued_at: SCENARIO_NOW - 600,
            revoked_before: 0,
            revoked: revoked
                .into_iter()
                .map(|token_id| RevokedToken {
                    token_id,
                    expires: SCENARIO_NOW + 86_400,
                })
                .collect(),
        }
        .sign(signer)
        .expect("sign list")
    };
    let list_other_tokens = list(2, vec![[0xee; 16], [0xef; 16]], &issuer);
    let list_revoking_care = list(3, vec![care_claims.token_id], &issuer);
    let list_empty = list(1, vec![], &issuer);
    let list_foreign = list(4, vec![[0xee; 16]], &other);
    // Not newer than the lock's (none, epoch 0): ignored without verifying.
    let list_epoch0 = list(0, vec![care_claims.token_id], &issuer);
    let list_revoked_before = RevocationList {
        lock_id: SCENARIO_LOCK_ID.into(),
        epoch: 5,
        issued_at: SCENARIO_NOW - 600,
        revoked_before: SCENARIO_NOW,
        revoked: vec![],
    }
    .sign(&issuer)
    .expect("sign list");
    let mut fresh_claims = s.claims();
    fresh_claims.min_epoch = 3;
    let fresh = s.issue(&fresh_claims).expect("fresh token");
    let mut maintenance_claims = s.claims();
    maintenance_claims.scope = Scope::Maintenance;
    let maintenance = s.issue(&maintenance_claims).expect("maintenance token");
    let update = IssuerUpdate {
        issued_at: SCENARIO_NOW - 60,
        keys: vec![ISSUER.public(), OTHER.public()],
    }
    .sign(&issuer)
    .expect("issuer update");

    // Commissioning grant for the fixed lock key.
    let grant = CommissionGrant::issue(
        &LOCK.public(),
        "lock-0002",
        &issuer,
        SCENARIO_NOW - 60,
        SCENARIO_NOW + 86_400,
    )
    .expect("grant");

    // Requests answering the fixed-nonce Hello, with request ids made in it.
    let rid = |n: u8| request_id_for(hello.lock_time, [n; 8]);
    let req = |token: &[u8], command, revocation: Option<Vec<u8>>| {
        let r = build_request(&hello, token, command, rid(0x42), &s.device, revocation)
            .expect("request");
        Message::Request(r).encode().expect("encode request")
    };
    let unlock = req(&care, Command::Unlock, None);
    let lock_cmd = req(&care, Command::Lock, None);
    let unlock_with_list = req(&care, Command::Unlock, Some(list_other_tokens.clone()));
    let unlock_revoked = req(&care, Command::Unlock, Some(list_revoking_care.clone()));
    let unlock_foreign_list = req(&care, Command::Unlock, Some(list_foreign.clone()));
    let unlock_old_list = req(&care, Command::Unlock, Some(list_epoch0));
    let unlock_revoked_before = req(&care, Command::Unlock, Some(list_revoked_before.clone()));
    let fresh_without_list = req(&fresh, Command::Unlock, None);
    let fresh_with_list = req(&fresh, Command::Unlock, Some(list_revoking_care.clone()));
    let maintenance_unlock = req(&maintenance, Command::Unlock, None);
    let with_update = {
        let mut r = build_request(&hello, &care, Command::Unlock, rid(0x45), &s.device, None)
            .expect("request");
        r.issuer_update = Some(update.clone());
        Message::Request(r).encode().expect("encode")
    };
    let enter_installation = req(&install, Command::EnterInstallation, None);
    let decommission = req(&install, Command::Decommission, None);
    let demo_unlock = req(&demo, Command::Unlock, None);
    let expired_unlock = req(&expired, Command::Unlock, None);
    let foreign_unlock = req(&foreign, Command::Unlock, None);
    let care_finish = req(&care, Command::FinishInstallation, None);
    let bad_device_sig = {
        let mut r = build_request(&hello, &care, Command::Unlock, rid(0x43), &s.device, None)
            .expect("request");
        r.device_signature[10] ^= 1;
        Message::Request(r).encode().expect("encode")
    };
    let stale_nonce = {
        let mut h = hello.clone();
        h.nonce = [0; 16];
        let r = build_request(&h, &care, Command::Unlock, rid(0x44), &s.device, None)
            .expect("request");
        Message::Request(r).encode().expect("encode")
    };

    let commission = Message::Commission(Commission {
        nonce: FIXED_NONCE,
        grant: grant.clone(),
    })
    .encode()
    .expect("commission");
    let hello_msg = Message::Hello(hello.clone()).encode().expect("hello");
    let hello_commissioning = Message::Hello(Hello {
        lock_id: String::new(),
        mode: LockMode::Commissioning,
        lock_key: Some(LOCK.public()),
        ..hello.clone()
    })
    .encode()
    .expect("hello");
    let result_msg = Message::Result(ResultMessage {
        request_id: [0x42; 16],
        status: Status::Ok,
        bolt: BoltState::Unlocked,
        battery: 80,
        mode: LockMode::Normal,
        counter: 7,
        lock_time: SCENARIO_NOW,
        repeated: false,
        lock_signature: [0x5a; 64],
    })
    .encode()
    .expect("result");

    write(
        &root,
        "message_decode",
        &vec![
            ("hello", hello_msg.clone()),
            ("hello_commissioning", hello_commissioning),
            ("request_unlock", unlock.clone()),
            ("request_with_list", unlock_with_list.clone()),
            ("result", result_msg.clone()),
            ("commission", commission.clone()),
        ],
    );
    write(
        &root,
        "token_parse",
        &vec![
            ("care", care.clone()),
            ("install", install.clone()),
            ("demo", demo),
            ("expired", expired),
            ("foreign_issuer", foreign),
        ],
    );
    write(
        &root,
        "revocation_verify",
        &vec![
            ("two_entries", list_other_tokens),
            ("revoking_care", list_revoking_care),
            ("empty", list_empty),
            ("foreign_issuer", list_foreign),
            ("revoked_before", list_revoked_before),
        ],
    );
    write(
        &root,
        "commission_grant",
        &vec![("grant", grant), ("token_not_grant", care.clone())],
    );
    let stream = |m: &[u8], mtu| {
        let frags = fragment(m, mtu).expect("fragment");
        let mut out = Vec::new();
        // Leading two bytes: part 2 of the target reads them as the MTU.
        out.extend_from_slice(&[0, 0]);
        out.extend(fragment_stream::encode(&frags));
        out
    };
    write(
        &root,
        "reassembly",
        &vec![
            ("request_mtu23", stream(&unlock, 23)),
            ("request_mtu185", stream(&unlock, 185)),
            ("result_mtu23", stream(&result_msg, 23)),
            ("hello_mtu64", stream(&hello_msg, 64)),
        ],
    );
    write(
        &root,
        "lock_handle",
        &vec![
            ("unlock", unlock),
            ("lock", lock_cmd),
            ("unlock_with_list", unlock_with_list),
            ("unlock_revoked", unlock_revoked),
            ("unlock_foreign_list", unlock_foreign_list),
            ("unlock_old_list", unlock_old_list),
            ("unlock_revoked_before", unlock_revoked_before),
            ("fresh_token_without_list", fresh_without_list),
            ("fresh_token_with_list", fresh_with_list),
            ("maintenance_unlock", maintenance_unlock),
            ("with_issuer_update", with_update),
            ("enter_installation", enter_installation),
            ("decommission", decommission),
            ("demo_unlock", demo_unlock),
            ("expired_unlock", expired_unlock),
            ("foreign_unlock", foreign_unlock),
            ("care_finish_installation", care_finish),
            ("bad_device_signature", bad_device_sig),
            ("stale_nonce", stale_nonce),
            ("commission", commission),
            ("hello", hello_msg),
            ("result", result_msg),
        ],
    );
}

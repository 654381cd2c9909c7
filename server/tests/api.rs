//! The server over HTTP on loopback, on SQLite and on PostgreSQL.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{Backend, DAY0, H, MARGIN, T0, TestServer, add_lock, b64d, open_order, world};
use nyckelfri_protocol::commission::CommissionGrant;
use nyckelfri_protocol::keys::sha256;
use nyckelfri_protocol::revocation::RevocationList;
use nyckelfri_protocol::token::{Scope, SignedToken};
use nyckelfri_protocol::{PublicKey, Signer, SoftwareKey};
use serde_json::{Value, json};

fn issuer_key(v: &Value) -> PublicKey {
    PublicKey::from_sec1(&hex::decode(v["public_key"].as_str().unwrap()).unwrap()).unwrap()
}

fn tokens_for<'a>(bundle: &'a Value, lock: &str) -> Vec<&'a Value> {
    bundle["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["lock_id"] == lock)
        .collect()
}

fn no_key_for<'a>(bundle: &'a Value, lock: &str) -> Vec<&'a Value> {
    bundle["no_key"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["lock_id"] == lock)
        .collect()
}

// ---------------------------------------------------------------- enrollment and sessions

async fn enrollment_and_sessions(b: Backend) {
    let s = TestServer::start(b).await;
    world(&s).await;
    let code = s
        .admin_post("/v1/staff/cw1/enrollment-code", json!({}))
        .await;
    let (key, _) = SoftwareKey::generate().unwrap();
    // The key may come as base64 too; the code as typed, lower case.
    let body = json!({
        "code": code["code"].as_str().unwrap().to_lowercase(),
        "public_key": common::b64e(key.public_key().as_bytes()),
    });
    let e = s
        .req("POST", "/v1/enroll", None, Some(body.clone()))
        .await
        .ok();
    assert_eq!(e["staff"]["id"], "cw1");
    assert_eq!(e["staff"]["role"], "care_worker");
    let device_id = e["device_id"].as_str().unwrap();
    // The code is one-time.
    s.req("POST", "/v1/enroll", None, Some(body))
        .await
        .err(401, "unauthorized");

    // A wrong signature gets no session, and uses the challenge up.
    let ch = s
        .req(
            "POST",
            "/v1/auth/challenge",
            None,
            Some(json!({"device_id": device_id})),
        )
        .await
        .ok();
    assert_eq!(ch["domain"], "nyckelfri/session/v1");
    let (other, _) = SoftwareKey::generate().unwrap();
    let challenge = b64d(ch["challenge"].as_str().unwrap());
    let bad = other
        .sign(&nyckelfri_server::auth::challenge_message(&challenge))
        .unwrap();
    s.req(
        "POST",
        "/v1/auth/session",
        None,
        Some(json!({"challenge_id": ch["challenge_id"], "signature": hex::encode(bad)})),
    )
    .await
    .err(401, "unauthorized");
    let good = key
        .sign(&nyckelfri_server::auth::challenge_message(&challenge))
        .unwrap();
    s.req(
        "POST",
        "/v1/auth/session",
        None,
        Some(json!({"challenge_id": ch["challenge_id"], "signature": hex::encode(good)})),
    )
    .await
    .err(401, "unauthorized");

    // The right key (signature as hex this time) gets a session.
    let sess = s.session(device_id, &key).await.ok();
    let token = sess["session_token"].as_str().unwrap();
    let me = s.get("/v1/me", token).await.ok();
    assert_eq!(me["staff"]["id"], "cw1");
    assert_eq!(me["device_id"], device_id);
    assert_eq!(me["admin"], false);

    // Sessions are short-lived (48 h in these tests).
    s.clock.advance(49 * H);
    s.get("/v1/me", token).await.err(401, "unauthorized");
    // An expired challenge cannot be answered.
    let ch = s
        .req(
            "POST",
            "/v1/auth/challenge",
            None,
            Some(json!({"device_id": device_id})),
        )
        .await
        .ok();
    s.clock.advance(600);
    let sig = key
        .sign(&nyckelfri_server::auth::challenge_message(&b64d(
            ch["challenge"].as_str().unwrap(),
        )))
        .unwrap();
    s.req(
        "POST",
        "/v1/auth/session",
        None,
        Some(json!({"challenge_id": ch["challenge_id"], "signature": common::b64e(&sig)})),
    )
    .await
    .err(401, "unauthorized");
    // The same key cannot be enrolled twice.
    let code = s
        .admin_post("/v1/staff/cw2/enrollment-code", json!({}))
        .await;
    s.req(
        "POST",
        "/v1/enroll",
        None,
        Some(json!({"code": code["code"], "public_key": hex::encode(key.public_key().as_bytes())})),
    )
    .await
    .err(409, "conflict");
    s.stop().await;
}
backend_test!(enrollment_and_sessions_t, enrollment_and_sessions);

// ---------------------------------------------------------------- the bundle

async fn bundle_carries_the_day(b: Backend) {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let dev = s.enroll("cw1").await;
    let issuer = s.req("GET", "/v1/issuer", None, None).await.ok();
    let ik = issuer_key(&issuer);
    assert_eq!(issuer["algorithm"], "ES256");

    let bundle = s.get("/v1/bundle", &dev.token).await.ok();
    assert_eq!(bundle["server_time"], T0);
    assert_eq!(bundle["date"], "2025-01-15");
    assert_eq!(bundle["day_start"], DAY0);
    assert_eq!(bundle["device_id"], dev.id.as_str());
    // R2.1, R2.2, R2.6, R2.12: what the routines need from the unit.
    assert_eq!(
        bundle["unit"]["settings"]["coordinator_phone"],
        "+46 8 530 610 00"
    );
    assert_eq!(
        bundle["unit"]["settings"]["night_key_location"],
        "Orrens servicehus"
    );
    assert_eq!(bundle["night_patrol_deadline_at"], DAY0 + 17 * H);
    // The visit, with what the worker needs at the door.
    let visits = bundle["visits"].as_array().unwrap();
    assert_eq!(visits.len(), 1);
    assert_eq!(visits[0]["brukare"]["display_name"], "Astrid B.");
    assert_eq!(visits[0]["brukare"]["entry_notes"], "Portkod 1234");
    assert_eq!(visits[0]["lock_ids"], json!(["l1"]));
    // The lock and its key.
    assert_eq!(bundle["locks"][0]["id"], "l1");
    assert_eq!(
        bundle["locks"][0]["public_key"],
        hex::encode(w.lock_key.public_key().as_bytes())
    );
    // One token for the visit window, bound to the device, verifying under the issuer.
    let toks = tokens_for(&bundle, "l1");
    assert_eq!(toks.len(), 1);
    let t = toks[0];
    let signed = SignedToken::parse(&b64d(t["token"].as_str().unwrap())).unwrap();
    let claims = signed.verify(&ik).unwrap();
    assert_eq!(claims.lock_id, "l1");
    assert_eq!(claims.staff_id, "cw1");
    assert_eq!(claims.device_key, dev.key.public_key());
    assert_eq!(claims.scope, Scope::Care);
    assert_eq!(claims.not_before as i64, DAY0 + 10 * H - MARGIN);
    assert_eq!(claims.expires as i64, DAY0 + 10 * H + 1800 + MARGIN);
    assert_eq!(claims.decision_id, "d1");
    assert_eq!(
        hex::encode(claims.token_id),
        t["token_id"].as_str().unwrap()
    );
    assert_eq!(t["visit_id"], "v1");
    assert!(bundle["no_key"].as_array().unwrap().is_empty());
    // Nothing was ever revoked for the day's locks: no lists, and the token
    // needs none.
    assert_eq!(bundle["revocation_lists"], json!([]));
    assert_eq!(claims.min_epoch, 0);
    assert_eq!(t["min_epoch"], 0);

    // Fetching again re-uses the token.
    let again = s.get("/v1/bundle", &dev.token).await.ok();
    assert_eq!(tokens_for(&again, "l1")[0]["token_id"], t["token_id"]);
    // Another day's bundle has no visits.
    let other = s.get("/v1/bundle?date=2025-01-16", &dev.token).await.ok();
    assert!(other["visits"].as_array().unwrap().is_empty());
    assert!(other["tokens"].as_array().unwrap().is_empty());
    // Another worker's bundle does not have cw1's visit.
    let dev2 = s.enroll("cw2").await;
    let b2 = s.get("/v1/bundle", &dev2.token).await.ok();
    assert!(b2["visits"].as_array().unwrap().is_empty());
    // The admin token has no device key.
    s.get("/v1/bundle", &s.admin.clone())
        .await
        .err(403, "forbidden");
    s.stop().await;
}
backend_test!(bundle_carries_the_day_t, bundle_carries_the_day);

async fn a_token_on_demand_follows_the_schedule(b: Backend) {
    let s = TestServer::start(b).await;
    world(&s).await;
    let dev = s.enroll("cw1").await;
    let t = s
        .post("/v1/tokens", &dev.token, json!({"lock_id": "l1"}))
        .await
        .ok();
    assert_eq!(t["visit_id"], "v1");
    assert_eq!(t["expires"], DAY0 + 10 * H + 1800 + MARGIN);
    // Another worker has no visit there.
    let dev2 = s.enroll("cw2").await;
    let r = s
        .post("/v1/tokens", &dev2.token, json!({"lock_id": "l1"}))
        .await
        .err(403, "no_key");
    assert_eq!(r["reason"], "not_scheduled");
    // Once the window is over, no key.
    s.clock.set(DAY0 + 12 * H);
    let r = s
        .post("/v1/tokens", &dev.token, json!({"lock_id": "l1"}))
        .await
        .err(403, "no_key");
    assert_eq!(r["reason"], "window_passed");
    // Unknown lock.
    s.post("/v1/tokens", &dev.token, json!({"lock_id": "nope"}))
        .await
        .err(404, "not_found");
    s.stop().await;
}
backend_test!(
    a_token_on_demand_follows_the_schedule_t,
    a_token_on_demand_follows_the_schedule
);

// ---------------------------------------------------------------- R2.7

async fn r2_7_an_ended_decision_gets_no_key_and_a_reason(b: Backend) {
    let s = TestServer::start(b).await;
    world(&s).await;
    // b2's decision ended yesterday; a visit is still on the schedule.
    s.admin_post(
        "/v1/brukare",
        json!({"id": "b2", "unit_id": "u1", "display_name": "Gunnar L.", "address": "Demogatan 2"}),
    )
    .await;
    s.admin_post(
        "/v1/decisions",
        json!({"id": "d2", "brukare_id": "b2", "starts_at": DAY0 - 200 * 24 * H, "ends_at": DAY0}),
    )
    .await;
    add_lock(&s, "l2", "b2").await;
    s.admin_post(
        "/v1/visits",
        json!({"id": "v2", "brukare_id": "b2", "decision_id": "d2", "staff_id": "cw1",
        "starts_at": DAY0 + 11 * H, "ends_at": DAY0 + 11 * H + 1800}),
    )
    .await;
    // b3's decision ends today at 12:00: the morning key stops at 12:00,
    // the afternoon visit gets none.
    s.admin_post("/v1/brukare", json!({"id": "b3", "unit_id": "u1", "display_name": "Birgitta S.", "address": "Demogatan 3"}))
        .await;
    s.admin_post("/v1/decisions", json!({"id": "d3", "brukare_id": "b3", "starts_at": DAY0 - 200 * 24 * H, "ends_at": DAY0 + 12 * H}))
        .await;
    add_lock(&s, "l3", "b3").await;
    for (id, start) in [("v3a", DAY0 + 11 * H + 1800), ("v3b", DAY0 + 14 * H)] {
        s.admin_post(
            "/v1/visits",
            json!({"id": id, "brukare_id": "b3", "decision_id": "d3", "staff_id": "cw1",
            "starts_at": start, "ends_at": start + 1800}),
        )
        .await;
    }

    let dev = s.enroll("cw1").await;
    let bundle = s.get("/v1/bundle", &dev.token).await.ok();
    assert!(tokens_for(&bundle, "l2").is_empty());
    let nk = no_key_for(&bundle, "l2");
    assert_eq!(nk.len(), 1);
    assert_eq!(nk[0]["reason"], "decision_ended");
    assert_eq!(nk[0]["visit_id"], "v2");
    assert!(nk[0]["message"].as_str().unwrap().contains("R2.7"));

    let t3 = tokens_for(&bundle, "l3");
    assert_eq!(t3.len(), 1);
    assert_eq!(t3[0]["visit_id"], "v3a");
    assert_eq!(
        t3[0]["expires"],
        DAY0 + 12 * H,
        "never past the decision's end"
    );
    assert_eq!(t3[0]["decision_end"], DAY0 + 12 * H);
    let nk3 = no_key_for(&bundle, "l3");
    assert_eq!(nk3.len(), 1);
    assert_eq!(nk3[0]["visit_id"], "v3b");
    assert_eq!(nk3[0]["reason"], "decision_ended");

    // Asked for directly: the reason comes back too.
    let r = s
        .post("/v1/tokens", &dev.token, json!({"lock_id": "l2"}))
        .await
        .err(403, "no_key");
    assert_eq!(r["reason"], "decision_ended");

    // The coordinator's check (R2.7): the decision is not valid now.
    let co = s.enroll("co1").await;
    let d = s.get("/v1/decisions/d2", &co.token).await.ok();
    assert_eq!(d["valid_now"], false);
    let ds = s.get("/v1/brukare/b1/decisions", &co.token).await.ok();
    assert_eq!(ds[0]["valid_now"], true);
    s.stop().await;
}
backend_test!(
    r2_7_ended_decision_t,
    r2_7_an_ended_decision_gets_no_key_and_a_reason
);

async fn r2_7_ending_a_decision_early_revokes_its_tokens(b: Backend) {
    let s = TestServer::start(b).await;
    world(&s).await;
    let dev = s.enroll("cw1").await;
    let bundle = s.get("/v1/bundle", &dev.token).await.ok();
    let token_id = tokens_for(&bundle, "l1")[0]["token_id"]
        .as_str()
        .unwrap()
        .to_owned();
    // Only the needs assessor changes decisions.
    let co = s.enroll("co1").await;
    s.req(
        "PATCH",
        "/v1/decisions/d1",
        Some(&co.token),
        Some(json!({"ends_at": T0 + 60})),
    )
    .await
    .err(403, "forbidden");
    let na = s.enroll("na1").await;
    let r = s
        .req(
            "PATCH",
            "/v1/decisions/d1",
            Some(&na.token),
            Some(json!({"ends_at": T0 + 60})),
        )
        .await
        .ok();
    assert_eq!(r["tokens_revoked"], 1);
    assert!(r["revocation_epoch"].as_i64().unwrap() > 0);
    let ik = issuer_key(&s.req("GET", "/v1/issuer", None, None).await.ok());
    let rev = s
        .req("GET", "/v1/revocation?lock_id=l1", None, None)
        .await
        .ok();
    let list = RevocationList::verify(&b64d(rev["list"].as_str().unwrap()), &ik).unwrap();
    assert_eq!(list.lock_id, "l1");
    assert!(
        list.revoked
            .iter()
            .any(|e| hex::encode(e.token_id) == token_id)
    );
    // The new bundle: the visit at 10:00 is after the new end.
    let bundle = s.get("/v1/bundle", &dev.token).await.ok();
    assert_eq!(no_key_for(&bundle, "l1")[0]["reason"], "decision_ended");
    s.stop().await;
}
backend_test!(
    r2_7_ending_a_decision_early_t,
    r2_7_ending_a_decision_early_revokes_its_tokens
);

// ---------------------------------------------------------------- revoking a device

async fn a_revoked_device_gets_no_keys(b: Backend) {
    let s = TestServer::start(b).await;
    world(&s).await;
    let dev = s.enroll("cw1").await;
    let bundle = s.get("/v1/bundle", &dev.token).await.ok();
    let token_id = tokens_for(&bundle, "l1")[0]["token_id"]
        .as_str()
        .unwrap()
        .to_owned();

    // A coordinator of another unit may not; the own unit's may.
    let co2 = {
        let code = s
            .admin_post("/v1/staff/co2/enrollment-code", json!({}))
            .await;
        let (key, _) = SoftwareKey::generate().unwrap();
        let e = s
            .req("POST", "/v1/enroll", None, Some(json!({"code": code["code"], "public_key": hex::encode(key.public_key().as_bytes())})))
            .await
            .ok();
        s.session(e["device_id"].as_str().unwrap(), &key).await.ok()["session_token"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    s.post(&format!("/v1/devices/{}/revoke", dev.id), &co2, json!({}))
        .await
        .err(403, "forbidden");
    let co = s.enroll("co1").await;
    let r = s
        .post(
            &format!("/v1/devices/{}/revoke", dev.id),
            &co.token,
            json!({}),
        )
        .await
        .ok();
    assert_eq!(r["tokens_revoked"], 1);
    assert!(r["revocation_epoch"].as_i64().unwrap() > 0);
    assert_eq!(r["entries_dropped"], 0);

    // Its session is dead; no bundle, no token, no new session.
    s.get("/v1/bundle", &dev.token)
        .await
        .err(403, "device_revoked");
    s.post("/v1/tokens", &dev.token, json!({"lock_id": "l1"}))
        .await
        .err(403, "device_revoked");
    s.session(&dev.id, &dev.key)
        .await
        .err(403, "device_revoked");
    // Its token is on l1's signed list, which the bundle of a colleague who
    // visits b1 after the revocation carries, and the colleague's fresh
    // token for l1 makes the lock take that list first (min_epoch).
    let ik = issuer_key(&s.req("GET", "/v1/issuer", None, None).await.ok());
    s.admin_post(
        "/v1/visits",
        json!({"id": "v-cw2", "brukare_id": "b1", "decision_id": "d1", "staff_id": "cw2",
               "starts_at": DAY0 + 11 * H, "ends_at": DAY0 + 11 * H + 1800, "service": "tillsyn"}),
    )
    .await;
    let other = s.enroll("cw2").await;
    let b2 = s.get("/v1/bundle", &other.token).await.ok();
    let lists = b2["revocation_lists"].as_array().unwrap();
    assert_eq!(lists.len(), 1, "{lists:?}");
    let list = RevocationList::verify(&b64d(lists[0]["list"].as_str().unwrap()), &ik).unwrap();
    assert_eq!(list.lock_id, "l1");
    assert!(
        list.revoked
            .iter()
            .any(|e| hex::encode(e.token_id) == token_id)
    );
    let fresh = SignedToken::parse(&b64d(tokens_for(&b2, "l1")[0]["token"].as_str().unwrap()))
        .unwrap()
        .verify(&ik)
        .unwrap();
    assert_eq!(fresh.min_epoch, list.epoch);
    assert!(list.epoch > 0);
    // Revoking again changes nothing.
    let again = s
        .post(
            &format!("/v1/devices/{}/revoke", dev.id),
            &co.token,
            json!({}),
        )
        .await
        .ok();
    assert_eq!(again["tokens_revoked"], 0);
    assert_eq!(again["revocation_epoch"], r["revocation_epoch"]);
    // The device list shows it revoked.
    let devices = s.get("/v1/devices?staff_id=cw1", &co.token).await.ok();
    assert!(devices[0]["revoked_at"].is_i64());
    s.stop().await;
}
backend_test!(
    a_revoked_device_gets_no_keys_t,
    a_revoked_device_gets_no_keys
);

/// Issue 15, item 3: with one issuer-wide list of 96 entries, revoking a
/// night patrol's phone in a unit with more locks dropped the
/// soonest-expiring entries, and those tokens opened again. Each lock now has
/// its own list: nothing is dropped, and every revoked token is on its
/// lock's list.
async fn the_revocation_list_stays_bounded(b: Backend) {
    use nyckelfri_protocol::revocation::MAX_REVOKED;
    let s = TestServer::start(b).await;
    world(&s).await;
    // A night shift over a unit with more locks than a list can hold.
    for i in 0..(MAX_REVOKED + 4) {
        let bid = format!("nb{i}");
        s.admin_post(
            "/v1/brukare",
            json!({"id": bid, "unit_id": "u1", "display_name": "N. N.", "address": "Demogatan"}),
        )
        .await;
        s.admin_post(
            "/v1/decisions",
            json!({"brukare_id": bid, "starts_at": 0, "ends_at": DAY0 + 400 * 24 * H}),
        )
        .await;
        add_lock(&s, &format!("nl{i}"), &bid).await;
    }
    s.admin_post(
        "/v1/shifts",
        json!({"id": "n1", "unit_id": "u1", "staff_id": "np1", "kind": "night",
        "starts_at": DAY0 + 8 * H, "ends_at": DAY0 + 18 * H}),
    )
    .await;
    let np = s.enroll("np1").await;
    let bundle = s.get("/v1/bundle", &np.token).await.ok();
    let n = bundle["tokens"].as_array().unwrap().len();
    assert_eq!(n, MAX_REVOKED + 5);
    let r = s
        .post(
            &format!("/v1/devices/{}/revoke", np.id),
            &s.admin.clone(),
            json!({}),
        )
        .await
        .ok();
    assert_eq!(r["tokens_revoked"], n as u64);
    assert_eq!(r["entries_dropped"], 0);
    let ik = s.handle.issuer_public_key();
    for t in bundle["tokens"].as_array().unwrap() {
        let lock = t["lock_id"].as_str().unwrap();
        let rev = s
            .req("GET", &format!("/v1/revocation?lock_id={lock}"), None, None)
            .await
            .ok();
        let list = RevocationList::verify(&b64d(rev["list"].as_str().unwrap()), &ik).unwrap();
        assert_eq!(list.lock_id, lock);
        assert_eq!(list.revoked.len(), 1, "{lock}");
        assert_eq!(
            hex::encode(list.revoked[0].token_id),
            t["token_id"].as_str().unwrap()
        );
    }
    // Expired entries are dropped at the lock's next change: at 20:00 the
    // night patrol's token for l1 has expired; a care worker's evening
    // token for l1 is revoked.
    s.clock.set(DAY0 + 20 * H);
    s.admin_post(
        "/v1/visits",
        json!({"id": "v-eve", "brukare_id": "b1", "decision_id": "d1", "staff_id": "cw1",
               "starts_at": DAY0 + 21 * H, "ends_at": DAY0 + 21 * H + 1800, "service": "kväll"}),
    )
    .await;
    let cw = s.enroll("cw1").await;
    let evening = s.get("/v1/bundle", &cw.token).await.ok();
    let eve_token = tokens_for(&evening, "l1")
        .into_iter()
        .find(|t| t["visit_id"] == "v-eve")
        .unwrap()["token_id"]
        .clone();
    s.post(
        &format!("/v1/devices/{}/revoke", cw.id),
        &s.admin.clone(),
        json!({}),
    )
    .await
    .ok();
    let rev = s
        .req("GET", "/v1/revocation?lock_id=l1", None, None)
        .await
        .ok();
    let list = RevocationList::verify(&b64d(rev["list"].as_str().unwrap()), &ik).unwrap();
    assert_eq!(list.revoked.len(), 1);
    assert_eq!(json!(hex::encode(list.revoked[0].token_id)), eve_token);
    s.stop().await;
}
backend_test!(
    the_revocation_list_stays_bounded_t,
    the_revocation_list_stays_bounded
);

/// When one lock has more revoked tokens than its list holds, none of them
/// is dropped: the list revokes every token for the lock issued up to now
/// (`revoked_before`), and the colleague whose good token was among them
/// gets a fresh one issued after that bound, which needs the new list.
async fn a_lock_with_more_revoked_tokens_than_a_list_holds_revokes_by_issue_time(b: Backend) {
    use nyckelfri_protocol::revocation::MAX_REVOKED;
    let s = TestServer::start(b).await;
    world(&s).await;
    s.admin_post(
        "/v1/visits",
        json!({"id": "v-cw2", "brukare_id": "b1", "decision_id": "d1", "staff_id": "cw2",
               "starts_at": DAY0 + 11 * H, "ends_at": DAY0 + 11 * H + 1800, "service": "tillsyn"}),
    )
    .await;
    let colleague = s.enroll("cw2").await;
    let before = s.get("/v1/bundle", &colleague.token).await.ok();
    let old = tokens_for(&before, "l1")[0]["token_id"].clone();
    // Lost and replaced phones, one after another, each with a key for l1.
    let mut revoked = Vec::new();
    for _ in 0..=MAX_REVOKED {
        let dev = s.enroll("cw1").await;
        let bundle = s.get("/v1/bundle", &dev.token).await.ok();
        revoked.push(
            SignedToken::parse(&b64d(
                tokens_for(&bundle, "l1")[0]["token"].as_str().unwrap(),
            ))
            .unwrap()
            .claims_unverified()
            .unwrap(),
        );
        s.post(
            &format!("/v1/devices/{}/revoke", dev.id),
            &s.admin.clone(),
            json!({}),
        )
        .await
        .ok();
    }
    let ik = s.handle.issuer_public_key();
    let rev = s
        .req("GET", "/v1/revocation?lock_id=l1", None, None)
        .await
        .ok();
    let list = RevocationList::verify(&b64d(rev["list"].as_str().unwrap()), &ik).unwrap();
    assert_eq!(list.revoked_before, T0 as u64 + 1);
    // Every revoked token is covered: listed, or issued before the bound.
    assert_eq!(revoked.len(), MAX_REVOKED + 1);
    for c in &revoked {
        assert!(
            c.issued_at < list.revoked_before
                || list.revoked.iter().any(|e| e.token_id == c.token_id),
            "a revoked token is not on l1's list"
        );
    }
    // The colleague's token was issued before the bound too: it is replaced.
    let after = s.get("/v1/bundle", &colleague.token).await.ok();
    let fresh = tokens_for(&after, "l1")[0];
    assert_ne!(fresh["token_id"], old);
    let claims = SignedToken::parse(&b64d(fresh["token"].as_str().unwrap()))
        .unwrap()
        .verify(&ik)
        .unwrap();
    assert!(claims.issued_at >= list.revoked_before);
    assert_eq!(claims.min_epoch, list.epoch);
    s.stop().await;
}
backend_test!(
    overflowing_lock_list_t,
    a_lock_with_more_revoked_tokens_than_a_list_holds_revokes_by_issue_time
);

// ---------------------------------------------------------------- locks: R1.6, R1.9, R1.10, R1.12

async fn r1_6_r1_9_r1_10_commissioning_and_installation(b: Backend) {
    let s = TestServer::start(b).await;
    world(&s).await;
    let at = s.enroll("at1").await;
    let (lock_key, _) = SoftwareKey::generate().unwrap();
    let pk = hex::encode(lock_key.public_key().as_bytes());
    // Only the alarm group commissions.
    let cw = s.enroll("cw1").await;
    s.post(
        "/v1/locks",
        &cw.token,
        json!({"lock_id": "l9", "public_key": pk, "order_id": "ord-l9"}),
    )
    .await
    .err(403, "forbidden");
    // A grant only for an open installation order of the lock's kind.
    s.post(
        "/v1/locks",
        &at.token,
        json!({"lock_id": "l9", "public_key": pk}),
    )
    .await
    .err(422, "bad_request");
    s.post(
        "/v1/locks",
        &at.token,
        json!({"lock_id": "l9", "public_key": pk, "order_id": "no-such-order"}),
    )
    .await
    .err(404, "not_found");
    // R1.4: home care orders an entrance lock for b1.
    let co = s.enroll("co1").await;
    s.post(
        "/v1/orders/entrance",
        &co.token,
        json!({"id": "ord-l9", "brukare_id": "b1", "building_address": "Demogatan 1",
               "brukare_has_alarm": false}),
    )
    .await
    .ok();
    s.post(
        "/v1/locks",
        &at.token,
        json!({"lock_id": "l9", "public_key": pk, "order_id": "ord-l9", "kind": "door"}),
    )
    .await
    .err(409, "conflict");
    let r = s
        .post(
            "/v1/locks",
            &at.token,
            json!({"lock_id": "l9", "public_key": pk, "order_id": "ord-l9", "kind": "entrance"}),
        )
        .await
        .ok();
    assert_eq!(r["lock"]["state"], "commissioned");
    let grant = CommissionGrant::verify_self_signed(&b64d(r["grant"].as_str().unwrap())).unwrap();
    assert_eq!(grant.lock_id, "l9");
    assert_eq!(
        grant.lock_key_hash,
        sha256(lock_key.public_key().as_bytes())
    );
    assert_eq!(grant.issuer_key, s.handle.issuer_public_key());
    assert_eq!(grant.expires as i64, r["grant_expires"].as_i64().unwrap());
    // Registering again (a retry) gives a fresh grant; another key or id conflicts.
    s.post(
        "/v1/locks",
        &at.token,
        json!({"lock_id": "l9", "public_key": pk, "order_id": "ord-l9", "kind": "entrance"}),
    )
    .await
    .ok();
    let (k2, _) = SoftwareKey::generate().unwrap();
    s.post(
        "/v1/locks",
        &at.token,
        json!({"lock_id": "l9", "public_key": hex::encode(k2.public_key().as_bytes()),
               "order_id": "ord-l9", "kind": "entrance"}),
    )
    .await
    .err(409, "conflict");
    s.post(
        "/v1/locks",
        &at.token,
        json!({"lock_id": "l10", "public_key": pk, "order_id": "ord-l9", "kind": "entrance"}),
    )
    .await
    .err(409, "conflict");
    // No key before the alarm group has booked the order for the
    // technician asking.
    let r = s
        .post(
            "/v1/tokens",
            &at.token,
            json!({"lock_id": "l9", "scope": "install"}),
        )
        .await
        .err(403, "no_key");
    assert_eq!(r["reason"], "no_order");
    s.post(
        "/v1/orders/ord-l9/scheduled",
        &at.token,
        json!({"scheduled_for": T0}),
    )
    .await
    .ok();
    // R1.9: the technician's install and demo keys.
    let t = s
        .post(
            "/v1/tokens",
            &at.token,
            json!({"lock_id": "l9", "scope": "install"}),
        )
        .await
        .ok();
    assert_eq!(t["decision_id"], "ord-l9", "the key names its order");
    let claims = SignedToken::parse(&b64d(t["token"].as_str().unwrap()))
        .unwrap()
        .verify(&s.handle.issuer_public_key())
        .unwrap();
    assert_eq!(claims.scope, Scope::Install);
    let t = s
        .post(
            "/v1/tokens",
            &at.token,
            json!({"lock_id": "l9", "scope": "demo"}),
        )
        .await
        .ok();
    assert_eq!(t["scope"], "demo");
    let r = s
        .post(
            "/v1/tokens",
            &cw.token,
            json!({"lock_id": "l9", "scope": "install"}),
        )
        .await
        .err(403, "no_key");
    assert_eq!(r["reason"], "not_permitted");
    // A care key needs the lock installed.
    let r = s
        .post("/v1/tokens", &cw.token, json!({"lock_id": "l9"}))
        .await
        .err(403, "no_key");
    assert_eq!(r["reason"], "lock_not_installed");

    // R1.9 "Brukaren bekräftar installationen genom att skriva under
    // kvittensen och ett ansvarsavtal": no receipt, no service.
    s.post(
        "/v1/locks/l9/install",
        &at.token,
        json!({"brukare_id": "b1"}),
    )
    .await
    .err(409, "conflict");
    let receipt = common::upload_receipt(&s, &at, "l9", "b1").await;
    // R1.10: installation tells the night patrol's coordinator and the
    // home care group's coordinator; the order is done and its keys go on
    // the revocation list.
    let r = s
        .post(
            "/v1/locks/l9/install",
            &at.token,
            json!({"brukare_id": "b1"}),
        )
        .await
        .ok();
    assert_eq!(r["state"], "installed");
    assert_eq!(r["installed_at"], T0);
    let order = s.get("/v1/orders/ord-l9", &co.token).await.ok();
    assert_eq!(order["status"], "installed");
    let l9 = s.get("/v1/revocation?lock_id=l9", &cw.token).await.ok();
    let list = RevocationList::verify(
        &b64d(l9["list"].as_str().unwrap()),
        &s.handle.issuer_public_key(),
    )
    .unwrap();
    assert!(
        list.revoked
            .iter()
            .any(|e| hex::encode(e.token_id) == t["token_id"].as_str().unwrap()),
        "the order's demo key is revoked when it closes (on the lock's own list)"
    );
    assert_eq!(r["receipt_id"], receipt["id"]);
    // R1.10 "koordinatorn för nattpatrullen", not the night patrol workers.
    let np = s.enroll("np1").await;
    let np_inbox = s.get("/v1/inbox", &np.token).await.ok();
    assert!(
        np_inbox
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["routine_step"] != "R1.10"),
        "{np_inbox}"
    );
    for staff in ["npk1", "co1"] {
        let d = s.enroll(staff).await;
        let inbox = s.get("/v1/inbox", &d.token).await.ok();
        let m = inbox
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["routine_step"] == "R1.10" && m["lock_id"] == "l9")
            .unwrap_or_else(|| panic!("no R1.10 message for {staff}: {inbox}"));
        assert_eq!(m["lock_id"], "l9");
        assert!(m["body"].as_str().unwrap().contains("2025-01-15 09:00"));
    }
    // Now the visit to b1 carries both locks.
    let bundle = s.get("/v1/bundle", &cw.token).await.ok();
    assert_eq!(bundle["visits"][0]["lock_ids"], json!(["l1", "l9"]));
    assert_eq!(tokens_for(&bundle, "l9").len(), 1);
    // Installed elsewhere: refused.
    s.admin_post(
        "/v1/brukare",
        json!({"id": "b5", "unit_id": "u1", "display_name": "X Y.", "address": "Demogatan 5"}),
    )
    .await;
    // R1.6: installing at a brukare with an open installation order (R1.7)
    // closes the order, and R1.10 still tells the night patrol and coordinator.
    let na = s.enroll("na1").await;
    s.post(
        "/v1/orders/new-brukare",
        &na.token,
        json!({"id": "ord-b5", "brukare_id": "b5", "brukare_informed": true, "accepted": true}),
    )
    .await
    .ok();
    s.post(
        "/v1/orders/ord-b5/scheduled",
        &at.token,
        json!({"scheduled_for": T0 + 600}),
    )
    .await
    .ok();
    s.clock.set(T0 + 600);
    let (k11, _) = SoftwareKey::generate().unwrap();
    s.post(
        "/v1/locks",
        &at.token,
        json!({"lock_id": "l11", "public_key": hex::encode(k11.public_key().as_bytes()),
               "order_id": "ord-b5"}),
    )
    .await
    .ok();
    let receipt = common::upload_receipt(&s, &at, "l11", "b5").await;
    assert_eq!(receipt["order_id"], "ord-b5", "linked to the order");
    s.post(
        "/v1/locks/l11/install",
        &at.token,
        json!({"brukare_id": "b5"}),
    )
    .await
    .ok();
    let order = s.get("/v1/orders/ord-b5", &at.token).await.ok();
    assert_eq!(order["status"], "installed");
    assert_eq!(order["receipt_id"], receipt["id"]);
    assert_eq!(order["installed_at"], T0 + 600);
    assert_eq!(order["lock_id"], "l11");
    let inbox = s.get("/v1/inbox", &co.token).await.ok();
    assert!(
        inbox
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["routine_step"] == "R1.10" && m["lock_id"] == "l11"),
        "{inbox}"
    );
    s.clock.set(T0);
    s.post(
        "/v1/locks/l9/install",
        &at.token,
        json!({"brukare_id": "b5"}),
    )
    .await
    .err(409, "conflict");
    s.stop().await;
}
backend_test!(
    r1_6_r1_9_r1_10_commissioning_t,
    r1_6_r1_9_r1_10_commissioning_and_installation
);

async fn r1_12_a_removed_lock_never_gets_a_key(b: Backend) {
    let s = TestServer::start(b).await;
    world(&s).await;
    let cw = s.enroll("cw1").await;
    let bundle = s.get("/v1/bundle", &cw.token).await.ok();
    let token_id = tokens_for(&bundle, "l1")[0]["token_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let at = s.enroll("at1").await;
    let r = s
        .post("/v1/locks/l1/remove", &at.token, json!({}))
        .await
        .ok();
    assert_eq!(r["state"], "removed");
    let bundle = s.get("/v1/bundle", &cw.token).await.ok();
    assert!(tokens_for(&bundle, "l1").is_empty());
    assert_eq!(no_key_for(&bundle, "l1")[0]["reason"], "lock_removed");
    assert_eq!(bundle["visits"][0]["lock_ids"], json!([]));
    let rev = s
        .req("GET", "/v1/revocation?lock_id=l1", None, None)
        .await
        .ok();
    let list = RevocationList::verify(
        &b64d(rev["list"].as_str().unwrap()),
        &s.handle.issuer_public_key(),
    )
    .unwrap();
    assert!(
        list.revoked
            .iter()
            .any(|e| hex::encode(e.token_id) == token_id)
    );
    let r = s
        .post("/v1/tokens", &cw.token, json!({"lock_id": "l1"}))
        .await
        .err(403, "no_key");
    assert_eq!(r["reason"], "lock_removed");
    let r = s
        .post(
            "/v1/tokens",
            &at.token,
            json!({"lock_id": "l1", "scope": "install"}),
        )
        .await
        .err(403, "no_key");
    assert_eq!(r["reason"], "lock_removed");
    // It cannot be commissioned again under its id, nor installed.
    let lock = s.get("/v1/locks/l1", &at.token).await.ok();
    open_order(&s, "ord-again", "b1").await;
    s.post(
        "/v1/locks",
        &at.token,
        json!({"lock_id": "l1", "public_key": lock["public_key"], "order_id": "ord-again"}),
    )
    .await
    .err(409, "conflict");
    s.post(
        "/v1/locks/l1/install",
        &at.token,
        json!({"brukare_id": "b1"}),
    )
    .await
    .err(409, "conflict");
    // The coordinator is told (R1.12).
    let co = s.enroll("co1").await;
    let inbox = s.get("/v1/inbox", &co.token).await.ok();
    assert!(
        inbox
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["routine_step"] == "R1.12")
    );
    s.stop().await;
}
backend_test!(r1_12_removed_lock_t, r1_12_a_removed_lock_never_gets_a_key);

// ---------------------------------------------------------------- night shifts: R2.2

async fn r2_2_a_night_shift_gives_keys_to_the_units_locks(b: Backend) {
    let s = TestServer::start(b).await;
    world(&s).await;
    s.admin_post(
        "/v1/brukare",
        json!({"id": "b2", "unit_id": "u1", "display_name": "Gunnar L.", "address": "Demogatan 2"}),
    )
    .await;
    s.admin_post(
        "/v1/decisions",
        json!({"id": "d2", "brukare_id": "b2", "starts_at": 0, "ends_at": DAY0 + 23 * H}),
    )
    .await;
    add_lock(&s, "l2", "b2").await;
    // A brukare of the other unit is not the shift's.
    s.admin_post(
        "/v1/brukare",
        json!({"id": "bx", "unit_id": "u2", "display_name": "Other U.", "address": "Annanstans 1"}),
    )
    .await;
    s.admin_post(
        "/v1/decisions",
        json!({"id": "dx", "brukare_id": "bx", "starts_at": 0, "ends_at": DAY0 + 900 * H}),
    )
    .await;
    add_lock(&s, "lx", "bx").await;
    let start = DAY0 + 21 * H + 1800;
    let end = DAY0 + 31 * H + 1800;
    s.admin_post(
        "/v1/shifts",
        json!({"id": "n1", "unit_id": "u1", "staff_id": "np1", "kind": "night",
        "starts_at": start, "ends_at": end}),
    )
    .await;
    let np = s.enroll("np1").await;
    let bundle = s.get("/v1/bundle", &np.token).await.ok();
    assert_eq!(bundle["shifts"][0]["kind"], "night");
    let t1 = tokens_for(&bundle, "l1");
    assert_eq!(t1.len(), 1);
    assert_eq!(t1[0]["shift_id"], "n1");
    assert_eq!(t1[0]["not_before"], start - MARGIN);
    assert_eq!(t1[0]["expires"], end + MARGIN);
    // b2's decision ends at 23:00: the night key stops there.
    assert_eq!(tokens_for(&bundle, "l2")[0]["expires"], DAY0 + 23 * H);
    assert!(tokens_for(&bundle, "lx").is_empty());
    assert!(no_key_for(&bundle, "lx").is_empty());
    // R2.2: where the night keys are.
    assert_eq!(
        bundle["unit"]["settings"]["night_key_location"],
        "Orrens servicehus"
    );
    // A day shift gives no keys by itself.
    s.admin_post(
        "/v1/shifts",
        json!({"id": "d1s", "unit_id": "u1", "staff_id": "cw2", "kind": "day",
        "starts_at": DAY0 + 7 * H, "ends_at": DAY0 + 16 * H}),
    )
    .await;
    let cw2 = s.enroll("cw2").await;
    let b2 = s.get("/v1/bundle", &cw2.token).await.ok();
    assert_eq!(b2["shifts"].as_array().unwrap().len(), 1);
    assert!(b2["tokens"].as_array().unwrap().is_empty());
    // The token endpoint finds the shift too.
    let t = s
        .post("/v1/tokens", &np.token, json!({"lock_id": "l2"}))
        .await
        .ok();
    assert_eq!(t["shift_id"], "n1");
    s.stop().await;
}
backend_test!(
    r2_2_night_shift_t,
    r2_2_a_night_shift_gives_keys_to_the_units_locks
);

// ---------------------------------------------------------------- events

async fn events_are_stored_once(b: Backend) {
    let s = TestServer::start(b).await;
    world(&s).await;
    let dev = s.enroll("cw1").await;
    let batch = json!({"events": [
        {"id": "e-1", "kind": "unlock_failed", "occurred_at": T0, "lock_id": "l1", "visit_id": "v1",
         "receipt": common::b64e(&[1, 2, 3]), "data": {"outcome": "lock_not_found"}},
        {"id": "e-2", "kind": "lock_out_of_order", "occurred_at": T0 + 5, "lock_id": "l1", "routine_step": "R2.9"},
    ]});
    let r = s.post("/v1/events", &dev.token, batch.clone()).await.ok();
    assert_eq!(r["stored"], 2);
    assert_eq!(r["duplicates"], 0);
    assert_eq!(r["results"][0]["status"], "stored");
    // The same batch again: OK, nothing stored twice.
    let r = s.post("/v1/events", &dev.token, batch).await.ok();
    assert_eq!(r["stored"], 0);
    assert_eq!(r["duplicates"], 2);
    assert_eq!(r["results"][1]["status"], "duplicate");
    // Overlapping batch, and a repeat inside one batch.
    let r = s
        .post("/v1/events", &dev.token, json!({"events": [
            {"id": "e-2", "kind": "lock_out_of_order", "occurred_at": T0 + 5},
            {"id": "e-3", "kind": "lock_working_again", "occurred_at": T0 + 9, "routine_step": "R2.10"},
            {"id": "e-3", "kind": "lock_working_again", "occurred_at": T0 + 9},
        ]}))
        .await
        .ok();
    assert_eq!(r["stored"], 1);
    assert_eq!(r["duplicates"], 2);
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM events")
        .fetch_one(s.handle.db().pool())
        .await
        .unwrap();
    assert_eq!(n, 3);
    // One bad event refuses the batch, naming it; nothing is stored.
    let r = s
        .post(
            "/v1/events",
            &dev.token,
            json!({"events": [
                {"id": "e-4", "kind": "unlock", "occurred_at": T0},
                {"id": "e-5", "kind": "Bad Kind", "occurred_at": T0},
            ]}),
        )
        .await
        .err(400, "bad_request");
    assert!(r["message"].as_str().unwrap().starts_with("event 1:"));
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM events")
        .fetch_one(s.handle.db().pool())
        .await
        .unwrap();
    assert_eq!(n, 3);
    s.stop().await;
}
backend_test!(events_are_stored_once_t, events_are_stored_once);

// ---------------------------------------------------------------- messages: R2.12, R2.3, R2.4

async fn r2_12_messages_to_the_night_patrol_carry_the_1700_deadline(b: Backend) {
    let s = TestServer::start(b).await;
    world(&s).await;
    let co = s.enroll("co1").await;
    let np = s.enroll("np1").await;
    let cw = s.enroll("cw1").await;
    // R2.12 before 17:00.
    let r = s
        .post("/v1/messages", &co.token, json!({"id": "m-1", "to_role": "night_patrol", "routine_step": "R2.12",
            "subject": "Låsvred ur funktion", "body": "l1 fungerar inte; hämta nyckel på Orrens servicehus.", "lock_id": "l1", "brukare_id": "b1"}))
        .await
        .ok();
    assert_eq!(r["status"], "stored");
    // The client's id, namespaced by its sender.
    let m1 = r["message"]["id"].as_str().unwrap().to_owned();
    assert!(m1.starts_with("cm-"), "{m1}");
    assert_eq!(r["message"]["deadline_at"], DAY0 + 17 * H);
    assert_eq!(r["message"]["after_deadline"], false);
    assert_eq!(r["message"]["from_role"], "coordinator");
    // A retry stores nothing new.
    let r = s
        .post("/v1/messages", &co.token, json!({"id": "m-1", "to_role": "night_patrol", "routine_step": "R2.12",
            "subject": "Låsvred ur funktion", "body": "l1 fungerar inte; hämta nyckel på Orrens servicehus.", "lock_id": "l1", "brukare_id": "b1"}))
        .await
        .ok();
    assert_eq!(r["status"], "duplicate");
    // After 17:00 it is marked late.
    s.clock.set(DAY0 + 17 * H + 1800);
    let r = s
        .post(
            "/v1/messages",
            &co.token,
            json!({"to_role": "night_patrol", "routine_step": "R2.12",
            "subject": "Ännu ett lås", "body": "sent"}),
        )
        .await
        .ok();
    assert_eq!(r["message"]["after_deadline"], true);
    // The night patrol's inbox has both, newest first; others do not see them.
    let inbox = s.get("/v1/inbox", &np.token).await.ok();
    let msgs: Vec<&Value> = inbox
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["routine_step"] == "R2.12")
        .collect();
    assert_eq!(msgs.len(), 2);
    assert_eq!(msgs[1]["id"], m1);
    assert_eq!(msgs[1]["read"], false);
    assert!(
        s.get("/v1/inbox", &cw.token)
            .await
            .ok()
            .as_array()
            .unwrap()
            .is_empty()
    );
    let m = s
        .post(&format!("/v1/messages/{m1}/read"), &np.token, json!({}))
        .await
        .ok();
    assert_eq!(m["read"], true);
    s.post(&format!("/v1/messages/{m1}/read"), &cw.token, json!({}))
        .await
        .err(403, "forbidden");
    // A device reads only its own inbox.
    s.get("/v1/inbox?role=coordinator", &np.token)
        .await
        .err(403, "forbidden");
    // R2.3/R2.4: the alarm group tells its unit manager of a major outage,
    // who tells all unit managers and the head of operations.
    let at = s.enroll("at1").await;
    s.post(
        "/v1/messages",
        &at.token,
        json!({"to_role": "unit_manager", "routine_step": "R2.3",
        "subject": "Större driftstopp", "body": "Alla lås ur funktion."}),
    )
    .await
    .ok();
    let um = s.enroll("um1").await;
    assert_eq!(
        s.get("/v1/inbox", &um.token).await.ok()[0]["routine_step"],
        "R2.3"
    );
    s.post(
        "/v1/messages",
        &um.token,
        json!({"to_role": "head_of_operations", "unit_id": "*", "routine_step": "R2.4",
        "subject": "Större driftstopp", "body": "Samordnar."}),
    )
    .await
    .ok();
    let ho = s.enroll("ho1").await;
    assert_eq!(
        s.get("/v1/inbox", &ho.token).await.ok()[0]["routine_step"],
        "R2.4"
    );
    // People's inboxes are theirs: the admin token (set-up) reads none.
    s.get("/v1/inbox?role=night_patrol", &s.admin.clone())
        .await
        .err(403, "forbidden");
    s.stop().await;
}
backend_test!(
    r2_12_deadline_t,
    r2_12_messages_to_the_night_patrol_carry_the_1700_deadline
);

async fn unit_settings_can_change(b: Backend) {
    let s = TestServer::start(b).await;
    world(&s).await;
    let um = s.enroll("um1").await;
    let mut st = common::settings();
    st["night_patrol_deadline"] = json!("16:30");
    st["coordinator_phone"] = json!("+46 70 123 45 67");
    let u = s
        .req(
            "PUT",
            "/v1/units/u1/settings",
            Some(&um.token),
            Some(st.clone()),
        )
        .await
        .ok();
    assert_eq!(u["settings"]["night_patrol_deadline"], "16:30");
    // Not another unit's.
    s.req(
        "PUT",
        "/v1/units/u2/settings",
        Some(&um.token),
        Some(st.clone()),
    )
    .await
    .err(403, "forbidden");
    st["time_zone"] = json!("Mars/Olympus");
    s.req("PUT", "/v1/units/u1/settings", Some(&um.token), Some(st))
        .await
        .err(400, "bad_request");
    let cw = s.enroll("cw1").await;
    let bundle = s.get("/v1/bundle", &cw.token).await.ok();
    assert_eq!(bundle["night_patrol_deadline_at"], DAY0 + 16 * H + 1800);
    assert_eq!(
        bundle["unit"]["settings"]["coordinator_phone"],
        "+46 70 123 45 67"
    );
    s.stop().await;
}
backend_test!(unit_settings_can_change_t, unit_settings_can_change);

// R1.10 "koordinatorn för nattpatrullen": roles that serve several units
// (the night patrol's coordinator, needs assessors, the alarm group) are
// recorded with the units they serve besides their own.
async fn staff_record_the_units_they_serve(b: Backend) {
    let s = TestServer::start(b).await;
    world(&s).await;
    let made = s
        .admin_post(
            "/v1/staff",
            json!({"id": "npc1", "unit_id": "u1", "name": "Night coordinator",
                   "role": "night_patrol_coordinator", "serves_unit_ids": ["u2", "u1"]}),
        )
        .await;
    assert_eq!(made["role"], "night_patrol_coordinator");
    assert_eq!(made["serves_unit_ids"], json!(["u2"]));
    let ho = s.enroll("ho1").await;
    let listed = s.get("/v1/staff?unit_id=u1", &ho.token).await.ok();
    let npc = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|st| st["id"] == "npc1")
        .unwrap();
    assert_eq!(npc["serves_unit_ids"], json!(["u2"]));
    // A unit that does not exist is refused, and nothing is created.
    s.req(
        "POST",
        "/v1/staff",
        Some(&ho.token),
        Some(json!({"id": "npc2", "unit_id": "u1", "name": "X",
                    "role": "night_patrol_coordinator", "serves_unit_ids": ["nowhere"]})),
    )
    .await
    .err(404, "not_found");
    s.req("GET", "/v1/staff/npc2", Some(&ho.token), None)
        .await
        .err(404, "not_found");
    s.stop().await;
}
backend_test!(
    staff_record_the_units_they_serve_t,
    staff_record_the_units_they_serve
);

// ---------------------------------------------------------------- roles

async fn roles_are_enforced(b: Backend) {
    let s = TestServer::start(b).await;
    world(&s).await;
    let cw = s.enroll("cw1").await;
    let co = s.enroll("co1").await;
    let na = s.enroll("na1").await;
    let staff = json!({"unit_id": "u1", "name": "New Person", "role": "care_worker"});
    s.post("/v1/staff", &cw.token, staff.clone())
        .await
        .err(403, "forbidden");
    let p = s.post("/v1/staff", &co.token, staff).await.ok();
    assert!(p["id"].as_str().unwrap().starts_with("staff-"));
    s.post(
        "/v1/staff",
        &co.token,
        json!({"unit_id": "u2", "name": "Elsewhere", "role": "care_worker"}),
    )
    .await
    .err(403, "forbidden");
    s.post(
        "/v1/decisions",
        &co.token,
        json!({"brukare_id": "b1", "starts_at": 0, "ends_at": 10}),
    )
    .await
    .err(403, "forbidden");
    s.post(
        "/v1/decisions",
        &na.token,
        json!({"brukare_id": "b1", "starts_at": 0, "ends_at": 10}),
    )
    .await
    .ok();
    s.get("/v1/brukare", &cw.token).await.err(403, "forbidden");
    s.get("/v1/staff", &cw.token).await.err(403, "forbidden");
    assert_eq!(s.get("/v1/staff/cw1", &cw.token).await.ok()["id"], "cw1");
    s.get("/v1/staff/cw2", &cw.token)
        .await
        .err(403, "forbidden");
    s.post(
        "/v1/units",
        &co.token,
        json!({"id": "u9", "name": "U9", "settings": common::settings()}),
    )
    .await
    .err(403, "forbidden");
    s.post("/v1/staff/cw1/enrollment-code", &cw.token, json!({}))
        .await
        .err(403, "forbidden");
    s.stop().await;
}
backend_test!(roles_are_enforced_t, roles_are_enforced);

// ---------------------------------------------------------------- stateless: two instances

async fn two_instances_serve_one_database(b: Backend) {
    let a = TestServer::start(b).await;
    world(&a).await;
    let url = a.database_url.clone().unwrap_or_else(|| {
        nyckelfri_server::db::sqlite_url(&a.data_dir().join("nyckelfri.sqlite3"))
    });
    let key_path = a.data_dir().join(nyckelfri_server::keys::ISSUER_KEY_FILE);
    let admin = a.admin.clone();
    let clock = a.clock.clone();
    let second = {
        let mut c = nyckelfri_server::Config::new(a.dir.path().join("data2"));
        c.listen = "127.0.0.1:0".parse().unwrap();
        c.database_url = Some(url.clone());
        c.issuer_key_path = Some(key_path);
        c.admin_token = Some(admin);
        c.clock = clock;
        nyckelfri_server::Server::start(c).await.unwrap()
    };
    let dev = a.enroll("cw1").await;
    // A session made on one instance works on the other.
    let client = reqwest::Client::new();
    let bundle: Value = client
        .get(format!("{}/v1/bundle", second.url()))
        .bearer_auth(&dev.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(tokens_for(&bundle, "l1").len(), 1);
    // A revocation through one is seen by the other.
    a.post(
        &format!("/v1/devices/{}/revoke", dev.id),
        &a.admin.clone(),
        json!({}),
    )
    .await
    .ok();
    let r = client
        .get(format!("{}/v1/bundle", second.url()))
        .bearer_auth(&dev.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    second.shutdown().await.unwrap();
    // An instance with another issuer key refuses to start on this database.
    let mut c = nyckelfri_server::Config::new(a.dir.path().join("data3"));
    c.listen = "127.0.0.1:0".parse().unwrap();
    c.database_url = Some(url);
    let err = nyckelfri_server::Server::start(c).await.err().unwrap();
    assert!(err.to_string().contains("issuer key"), "{err}");
    a.stop().await;
}
backend_test!(
    two_instances_serve_one_database_t,
    two_instances_serve_one_database
);

//! Issue 14, tried as an insider and as a stranger would: each test walks
//! an attack the server used to allow and asserts it is refused now. Every
//! test here failed on the code before the policy (see the report).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{Backend, DAY0, H, T0, TestServer, add_lock, b64d, world};
use nyckelfri_protocol::keys::{KEY_ID_LEN, sha256};
use nyckelfri_protocol::messages::{BoltState, Command, IssuerEpoch, LockMode};
use nyckelfri_protocol::transcript::{ReceiptFacts, receipt_transcript};
use nyckelfri_protocol::{Signer, SoftwareKey, Status};
use serde_json::{Value, json};

/// Unit u2 with a brukare b2, a valid decision d2, an installed lock l2, a
/// care worker cw9 of u2 with a visit v2 there: another unit's door.
async fn other_unit(s: &TestServer) -> SoftwareKey {
    s.admin_post(
        "/v1/brukare",
        json!({"id": "b2", "unit_id": "u2", "display_name": "Gunnar L.", "address": "Annangatan 2",
               "entry_notes": "Portkod 2372"}),
    )
    .await;
    s.admin_post(
        "/v1/decisions",
        json!({"id": "d2", "brukare_id": "b2", "starts_at": DAY0 - 100 * 24 * H, "ends_at": DAY0 + 300 * 24 * H}),
    )
    .await;
    let key = add_lock(s, "l2", "b2").await;
    s.admin_post(
        "/v1/staff",
        json!({"id": "cw9", "unit_id": "u2", "name": "Other worker", "role": "care_worker"}),
    )
    .await;
    s.admin_post(
        "/v1/visits",
        json!({"id": "v2", "brukare_id": "b2", "decision_id": "d2", "staff_id": "cw9",
               "starts_at": DAY0 + 10 * H, "ends_at": DAY0 + 10 * H + 1800}),
    )
    .await;
    key
}

fn ids(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x["id"].as_str().unwrap().to_owned())
        .collect()
}

// ---------------------------------------------------------------- the escalation

/// The path to every door: a coordinator makes an alarm technician,
/// enrolls as them, and asks for an install key to another unit's lock.
async fn a_coordinator_cannot_make_themself_an_alarm_technician(b: Backend) {
    let s = TestServer::start(b).await;
    world(&s).await;
    other_unit(&s).await;
    let co = s.enroll("co1").await;

    // 1. A role above the coordinator's own is never granted.
    for role in [
        "alarm_technician",
        "head_of_operations",
        "unit_manager",
        "needs_assessor",
    ] {
        s.post(
            "/v1/staff",
            &co.token,
            json!({"id": format!("x-{role}"), "unit_id": "u1", "name": "Insider", "role": role}),
        )
        .await
        .err(403, "forbidden");
    }
    // 2. Nor an enrollment code for an existing account of such a role.
    for staff in ["at1", "ho1", "um1", "na1"] {
        s.post(
            &format!("/v1/staff/{staff}/enrollment-code"),
            &co.token,
            json!({}),
        )
        .await
        .err(403, "forbidden");
    }
    // The coordinator still does their job: a care worker in their unit.
    let cw = s
        .post(
            "/v1/staff",
            &co.token,
            json!({"unit_id": "u1", "name": "New worker", "role": "care_worker"}),
        )
        .await
        .ok();
    s.post(
        &format!("/v1/staff/{}/enrollment-code", cw["id"].as_str().unwrap()),
        &co.token,
        json!({}),
    )
    .await
    .ok();

    // 3. Even a real alarm technician gets no install key without an order
    // scheduled to them: not for another unit's lock, not for their own.
    let at = s.enroll("at1").await;
    for lock in ["l2", "l1"] {
        for scope in ["install", "demo"] {
            let r = s
                .post(
                    "/v1/tokens",
                    &at.token,
                    json!({"lock_id": lock, "scope": scope}),
                )
                .await
                .err(403, "no_key");
            assert_eq!(r["reason"], "no_order", "{lock} {scope}: {r}");
        }
    }
    s.stop().await;
}
backend_test!(
    a_coordinator_cannot_make_themself_an_alarm_technician_t,
    a_coordinator_cannot_make_themself_an_alarm_technician
);

/// Nobody schedules themself into keys, and a shift or visit names staff of
/// its own unit whose role does that work.
async fn nobody_schedules_themself_into_keys(b: Backend) {
    let s = TestServer::start(b).await;
    world(&s).await;
    other_unit(&s).await;
    let co = s.enroll("co1").await;
    let night = json!({"unit_id": "u1", "staff_id": "co1", "kind": "night",
                       "starts_at": DAY0 + 21 * H, "ends_at": DAY0 + 31 * H});
    s.post("/v1/shifts", &co.token, night)
        .await
        .err(403, "forbidden");
    // A care worker of another unit on this unit's night shift or visit.
    s.post(
        "/v1/shifts",
        &co.token,
        json!({"unit_id": "u1", "staff_id": "cw9", "kind": "day",
               "starts_at": DAY0 + 7 * H, "ends_at": DAY0 + 16 * H}),
    )
    .await
    .err(400, "bad_request");
    s.post(
        "/v1/visits",
        &co.token,
        json!({"brukare_id": "b1", "decision_id": "d1", "staff_id": "cw9",
               "starts_at": DAY0 + 12 * H, "ends_at": DAY0 + 12 * H + 1800}),
    )
    .await
    .err(400, "bad_request");
    // A night shift (keys to every door of the unit) only for the night patrol.
    s.post(
        "/v1/shifts",
        &co.token,
        json!({"unit_id": "u1", "staff_id": "cw1", "kind": "night",
               "starts_at": DAY0 + 21 * H, "ends_at": DAY0 + 31 * H}),
    )
    .await
    .err(400, "bad_request");
    // A visit by the coordinator to a brukare.
    s.post(
        "/v1/visits",
        &co.token,
        json!({"brukare_id": "b1", "decision_id": "d1", "staff_id": "co1",
               "starts_at": DAY0 + 12 * H, "ends_at": DAY0 + 12 * H + 1800}),
    )
    .await
    .err(403, "forbidden");
    // What is right still works.
    s.post(
        "/v1/shifts",
        &co.token,
        json!({"unit_id": "u1", "staff_id": "np1", "kind": "night",
               "starts_at": DAY0 + 21 * H, "ends_at": DAY0 + 31 * H}),
    )
    .await
    .ok();
    s.stop().await;
}
backend_test!(
    nobody_schedules_themself_into_keys_t,
    nobody_schedules_themself_into_keys
);

// ---------------------------------------------------------------- reads

/// A coordinator of u1 reads nothing of u2: brukare (with their door
/// codes), staff, devices, visits, shifts, locks, decisions.
async fn reads_stay_within_the_units_one_serves(b: Backend) {
    let s = TestServer::start(b).await;
    world(&s).await;
    other_unit(&s).await;
    let _ = s.enroll("cw9").await;
    let co = s.enroll("co1").await;
    let t = &co.token;
    s.get("/v1/brukare?unit_id=u2", t)
        .await
        .err(403, "forbidden");
    let all = s.get("/v1/brukare", t).await.ok();
    assert_eq!(ids(&all), vec!["b1"], "{all}");
    s.get("/v1/brukare/b2", t).await.err(403, "forbidden");
    s.get("/v1/brukare/b2/decisions", t)
        .await
        .err(403, "forbidden");
    s.get("/v1/decisions/d2", t).await.err(403, "forbidden");
    s.get("/v1/staff/cw9", t).await.err(403, "forbidden");
    s.get("/v1/staff?unit_id=u2", t).await.err(403, "forbidden");
    let staff = s.get("/v1/staff", t).await.ok();
    assert!(!ids(&staff).contains(&"cw9".to_owned()), "{staff}");
    assert!(!ids(&staff).contains(&"co2".to_owned()), "{staff}");
    s.get("/v1/devices?staff_id=cw9", t)
        .await
        .err(403, "forbidden");
    let devices = s.get("/v1/devices", t).await.ok();
    assert!(
        devices
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["staff_id"] != "cw9"),
        "{devices}"
    );
    let visits = s.get("/v1/visits", t).await.ok();
    assert_eq!(ids(&visits), vec!["v1"], "{visits}");
    s.get("/v1/visits?brukare_id=b2", t)
        .await
        .err(403, "forbidden");
    s.get("/v1/shifts?unit_id=u2", t)
        .await
        .err(403, "forbidden");
    s.get("/v1/locks/l2", t).await.err(403, "forbidden");
    let locks = s.get("/v1/locks", t).await.ok();
    assert_eq!(ids(&locks), vec!["l1"], "{locks}");
    s.stop().await;
}
backend_test!(
    reads_stay_within_the_units_one_serves_t,
    reads_stay_within_the_units_one_serves
);

/// A care worker reads only their own unit's settings (the key cabinets)
/// and messages only as the routine step says.
async fn a_care_worker_reads_their_unit_and_messages_by_the_routine(b: Backend) {
    let s = TestServer::start(b).await;
    world(&s).await;
    let cw = s.enroll("cw1").await;
    s.get("/v1/units/u2", &cw.token).await.err(403, "forbidden");
    assert_eq!(ids(&s.get("/v1/units", &cw.token).await.ok()), vec!["u1"]);
    assert_eq!(s.get("/v1/units/u1", &cw.token).await.ok()["id"], "u1");
    // To every unit manager of every unit, under a step that is not theirs.
    s.post(
        "/v1/messages",
        &cw.token,
        json!({"to_role": "unit_manager", "unit_id": "*", "routine_step": "R2.4",
               "subject": "Storstörning", "body": "Alla lås är ur funktion"}),
    )
    .await
    .err(403, "forbidden");
    // To a role the step does not name.
    s.post(
        "/v1/messages",
        &cw.token,
        json!({"to_role": "head_of_operations", "routine_step": "R2.6",
               "subject": "Hej", "body": "…"}),
    )
    .await
    .err(403, "forbidden");
    // To another unit's coordinator.
    s.post(
        "/v1/messages",
        &cw.token,
        json!({"to_role": "coordinator", "unit_id": "u2", "routine_step": "R2.6",
               "subject": "Hej", "body": "…"}),
    )
    .await
    .err(403, "forbidden");
    // R2.6 "Medarbetaren kontaktar koordinatorn för hjälp med planeringen":
    // to the own unit's coordinator is right.
    let sent = s
        .post(
            "/v1/messages",
            &cw.token,
            json!({"id": "r1.10-l9-coordinator", "to_role": "coordinator", "routine_step": "R2.6",
                   "subject": "Låset fungerar inte", "body": "Hos Astrid B."}),
        )
        .await
        .ok();
    // A client's id is namespaced: it can never take an id the server uses.
    let id = sent["message"]["id"].as_str().unwrap();
    assert_ne!(id, "r1.10-l9-coordinator");
    let again = s
        .post(
            "/v1/messages",
            &cw.token,
            json!({"id": "r1.10-l9-coordinator", "to_role": "coordinator", "routine_step": "R2.6",
                   "subject": "Låset fungerar inte", "body": "Hos Astrid B."}),
        )
        .await
        .ok();
    assert_eq!(again["status"], "duplicate");
    assert_eq!(again["message"]["id"], id);
    s.stop().await;
}
backend_test!(
    a_care_worker_reads_their_unit_and_messages_by_the_routine_t,
    a_care_worker_reads_their_unit_and_messages_by_the_routine
);

// ---------------------------------------------------------------- events

fn report(id: &str, lock: &str, at: i64) -> Value {
    json!({"id": format!("ev-{id}"), "kind": "outage_report", "occurred_at": at, "lock_id": lock,
           "routine_step": "R2.9",
           "data": {"report_id": id, "lock_id": lock, "cause": "jammed", "occurred_at": at,
                    "steps": [{"id": "R2.6", "done_at": at}]}})
}

/// Reports for locks of another unit the worker never had a key for are
/// stored as rejected and open nothing: no case, no major outage.
async fn reports_for_doors_never_keyed_open_nothing(b: Backend) {
    let s = TestServer::start(b).await;
    world(&s).await;
    other_unit(&s).await;
    for (l, bk) in [("l3", "b3"), ("l4", "b4")] {
        s.admin_post(
            "/v1/brukare",
            json!({"id": bk, "unit_id": "u2", "display_name": "X", "address": "Y"}),
        )
        .await;
        add_lock(&s, l, bk).await;
    }
    let cw = s.enroll("cw1").await;
    let r = s
        .post(
            "/v1/events",
            &cw.token,
            json!({"events": [report("rp-a", "l2", T0), report("rp-b", "l3", T0 + 60),
                              report("rp-c", "l4", T0 + 120)]}),
        )
        .await
        .ok();
    for res in r["results"].as_array().unwrap() {
        assert_eq!(res["status"], "rejected", "{r}");
    }
    let co2 = s.enroll("co2").await;
    let cases = s.get("/v1/outages?status=all", &co2.token).await.ok();
    assert_eq!(cases, json!([]), "no case opened in u2");
    let um = s.enroll("um1").await;
    let inbox = s.get("/v1/inbox", &um.token).await.ok();
    assert!(
        inbox
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["routine_step"] != "R2.3" && m["routine_step"] != "R2.14"),
        "no major outage: {inbox}"
    );
    // The worker's own unit's lock, without a key yet, is theirs to report.
    let r = s
        .post(
            "/v1/events",
            &cw.token,
            json!({"events": [report("rp-d", "l1", T0 + 180)]}),
        )
        .await
        .ok();
    assert_eq!(r["results"][0]["status"], "stored", "{r}");
    s.stop().await;
}
backend_test!(
    reports_for_doors_never_keyed_open_nothing_t,
    reports_for_doors_never_keyed_open_nothing
);

/// An `unlock` event claims a door opened: its receipt must verify against
/// the lock's registered key, or it is stored as rejected and shown to the
/// managers.
async fn a_forged_receipt_is_rejected(b: Backend) {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let cw = s.enroll("cw1").await;
    let bundle = s.get("/v1/bundle", &cw.token).await.ok();
    let token = bundle["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["lock_id"] == "l1")
        .unwrap()
        .clone();
    let token_bytes = b64d(token["token"].as_str().unwrap());
    let event = |id: &str, signer: &SoftwareKey| {
        let nonce = [7u8; 16];
        let request_id = [id.len() as u8; 16];
        let facts = ReceiptFacts {
            lock_id: "l1",
            nonce: &nonce,
            issuers: &[IssuerEpoch {
                key_id: [5; KEY_ID_LEN],
                epoch: 3,
            }],
            token_hash: &sha256(&token_bytes),
            command: Command::Unlock as u8,
            request_id: &request_id,
            status: Status::Ok,
            counter: 41,
            lock_time: T0 as u64 + 3600,
            bolt: BoltState::Unlocked,
            repeated: false,
            battery: 90,
            mode: LockMode::Normal,
        };
        let sig = signer.sign(&receipt_transcript(&facts).unwrap()).unwrap();
        json!({"id": id, "kind": "unlock", "occurred_at": T0 + 3600, "lock_id": "l1",
               "visit_id": "v1",
               "data": {"visit_id": "v1", "lock_id": "l1", "request_id": hex::encode(request_id),
                        "token_id": token["token_id"], "status": "ok", "counter": 41,
                        "lock_time": T0 + 3600, "bolt": "unlocked", "battery": 90,
                        "repeated": false,
                        "receipt": {"nonce": hex::encode(nonce), "signature": hex::encode(sig),
                                    "command": 1, "status": 0, "bolt": 1, "battery": 90, "mode": 2,
                                    "issuers": [{"key_id": hex::encode([5u8; KEY_ID_LEN]), "epoch": 3}]}}})
    };
    let (forger, _) = SoftwareKey::generate().unwrap();
    let r = s
        .post(
            "/v1/events",
            &cw.token,
            json!({"events": [event("unlock-forged", &forger), event("unlock-real", &w.lock_key)]}),
        )
        .await
        .ok();
    assert_eq!(r["results"][0]["status"], "rejected", "{r}");
    assert_eq!(r["results"][0]["reason"], "receipt_invalid", "{r}");
    assert_eq!(r["results"][1]["status"], "stored", "{r}");
    // The coordinator sees the rejected one.
    let co = s.enroll("co1").await;
    let rejected = s.get("/v1/events?status=rejected", &co.token).await.ok();
    assert_eq!(ids(&rejected), vec!["unlock-forged"], "{rejected}");
    assert_eq!(rejected[0]["reject_reason"], "receipt_invalid");
    s.stop().await;
}
backend_test!(a_forged_receipt_is_rejected_t, a_forged_receipt_is_rejected);

// ---------------------------------------------------------------- the bundle

/// The bundle keys only today and the next local day: a bundle for a date
/// far ahead would hold keys that outlive any revocation list.
async fn the_bundle_keys_only_today_and_tomorrow(b: Backend) {
    let s = TestServer::start(b).await;
    world(&s).await;
    let cw = s.enroll("cw1").await;
    s.get("/v1/bundle?date=2025-11-11", &cw.token)
        .await
        .err(400, "bad_request");
    s.get("/v1/bundle?date=2025-01-14", &cw.token)
        .await
        .err(400, "bad_request");
    s.get("/v1/bundle?date=2025-01-17", &cw.token)
        .await
        .err(400, "bad_request");
    s.get("/v1/bundle?date=2025-01-16", &cw.token).await.ok();
    s.get("/v1/bundle?date=2025-01-15", &cw.token).await.ok();
    s.stop().await;
}
backend_test!(
    the_bundle_keys_only_today_and_tomorrow_t,
    the_bundle_keys_only_today_and_tomorrow
);

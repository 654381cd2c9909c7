//! Routine R1 on the server: orders to the alarm group. The authority's
//! order for a new brukare (R1.1, R1.7), home care's list of brukare
//! without a lock (R1.2), orders for an existing brukare (R1.3, R1.8) and
//! for an entrance lock (R1.4), removal orders when care ends (R1.5,
//! R1.11), and their link to installation (R1.6, R1.10) and removal
//! (R1.12). On SQLite and on PostgreSQL.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{Backend, DAY0, Device, H, T0, TestServer, add_lock, world};
use nyckelfri_protocol::{Signer, SoftwareKey};
use serde_json::{Value, json};

const DAY: i64 = 24 * H;

/// A brukare in u1 with a valid decision `d-{b}` and no lock.
async fn brukare(s: &TestServer, b: &str) {
    s.admin_post(
        "/v1/brukare",
        json!({"id": b, "unit_id": "u1", "display_name": format!("Brukare {b}"), "address": format!("Demogatan {b}")}),
    )
    .await;
    s.admin_post(
        "/v1/decisions",
        json!({"id": format!("d-{b}"), "brukare_id": b, "starts_at": DAY0 - 10 * DAY, "ends_at": DAY0 + 300 * DAY}),
    )
    .await;
}

async fn inbox(s: &TestServer, dev: &Device) -> Vec<Value> {
    s.get("/v1/inbox", &dev.token)
        .await
        .ok()
        .as_array()
        .unwrap()
        .clone()
}

fn with_step<'a>(msgs: &'a [Value], step: &str, brukare: &str) -> Vec<&'a Value> {
    msgs.iter()
        .filter(|m| m["routine_step"] == step && m["brukare_id"] == brukare)
        .collect()
}

async fn orders(s: &TestServer, token: &str, query: &str) -> Vec<Value> {
    s.get(&format!("/v1/orders{query}"), token)
        .await
        .ok()
        .as_array()
        .unwrap()
        .clone()
}

async fn without_lock(s: &TestServer, token: &str, query: &str) -> Vec<Value> {
    s.get(&format!("/v1/brukare-without-lock{query}"), token)
        .await
        .ok()
        .as_array()
        .unwrap()
        .clone()
}

/// Commissions a lock (as a technician) for an open installation order,
/// without installing it.
async fn commission(s: &TestServer, at: &Device, lock: &str, kind: &str, order: &str) {
    let (key, _) = SoftwareKey::generate().unwrap();
    s.post(
        "/v1/locks",
        &at.token,
        json!({"lock_id": lock, "public_key": hex::encode(key.public_key().as_bytes()),
               "kind": kind, "order_id": order}),
    )
    .await
    .ok();
}

async fn new_brukare_order_goes_to_alarm_group_and_home_care_r1_1_r1_7(b: Backend) {
    let s = TestServer::start(b).await;
    world(&s).await;
    brukare(&s, "b5").await;
    brukare(&s, "b6").await;
    let na = s.enroll("na1").await;
    let at = s.enroll("at1").await;
    let co = s.enroll("co1").await;
    let cw = s.enroll("cw1").await;
    // Only the authority orders for a new brukare.
    let body =
        json!({"id": "ord-b5", "brukare_id": "b5", "brukare_informed": true, "accepted": true});
    s.post("/v1/orders/new-brukare", &co.token, body.clone())
        .await
        .err(403, "forbidden");
    s.post("/v1/orders/new-brukare", &cw.token, body.clone())
        .await
        .err(403, "forbidden");
    let o = s
        .post("/v1/orders/new-brukare", &na.token, body.clone())
        .await
        .ok();
    assert_eq!(o["id"], "ord-b5");
    assert_eq!(o["kind"], "new_brukare");
    assert_eq!(o["status"], "open");
    assert_eq!(o["unit_id"], "u1");
    assert_eq!(o["brukare_informed"], true);
    assert_eq!(o["brukare_accepted"], true);
    assert_eq!(o["created_by"], "na1");
    assert_eq!(o["created_at"], T0);
    // A retry is the same order, with no second message; another open one conflicts.
    let again = s
        .post("/v1/orders/new-brukare", &na.token, body.clone())
        .await
        .ok();
    assert_eq!(again, o);
    s.post(
        "/v1/orders/new-brukare",
        &na.token,
        json!({"brukare_id": "b5", "brukare_informed": true, "accepted": true}),
    )
    .await
    .err(409, "conflict");
    // R1.1, R1.7: to the alarm group and home care, saying informed and accepted.
    for dev in [&at, &co] {
        let msgs = inbox(&s, dev).await;
        let m = with_step(&msgs, "R1.7", "b5");
        assert_eq!(m.len(), 1, "{msgs:?}");
        let text = m[0]["body"].as_str().unwrap();
        assert!(
            text.contains("Informerad om elektroniskt låsvred: ja"),
            "{text}"
        );
        assert!(text.contains("accepterat"), "{text}");
        assert!(text.contains("ord-b5"), "{text}");
        assert_eq!(m[0]["from_staff_id"], "na1");
    }
    // R1.7: a declined order is recorded, messaged, and makes no work.
    let d = s
        .post(
            "/v1/orders/new-brukare",
            &na.token,
            json!({"brukare_id": "b6", "brukare_informed": true, "accepted": false, "note": "Vill tänka på saken"}),
        )
        .await
        .ok();
    assert_eq!(d["status"], "declined");
    assert_eq!(d["brukare_accepted"], false);
    let msgs = inbox(&s, &at).await;
    let m = with_step(&msgs, "R1.7", "b6");
    assert_eq!(m.len(), 1);
    assert!(m[0]["body"].as_str().unwrap().contains("avböjt"));
    let active = orders(&s, &at.token, "").await;
    assert_eq!(active.len(), 1, "{active:?}");
    assert_eq!(active[0]["id"], "ord-b5");
    let declined = orders(&s, &at.token, "?status=declined").await;
    assert_eq!(declined.len(), 1);
    assert_eq!(declined[0]["brukare_id"], "b6");
    // Installing the lock closes the open order, not the declined one.
    s.post("/v1/orders/ord-b5/cancel", &cw.token, json!({}))
        .await
        .err(403, "forbidden");
    assert_eq!(
        s.get(
            &format!("/v1/orders/{}", d["id"].as_str().unwrap()),
            &co.token
        )
        .await
        .ok()["status"],
        "declined"
    );
    s.stop().await;
}
backend_test!(
    r1_1_r1_7_new_brukare_t,
    new_brukare_order_goes_to_alarm_group_and_home_care_r1_1_r1_7
);

async fn brukare_without_a_lock_is_home_cares_list_r1_2(b: Backend) {
    let s = TestServer::start(b).await;
    world(&s).await;
    brukare(&s, "b5").await;
    brukare(&s, "b6").await;
    brukare(&s, "b7").await;
    // b8's decision has ended: not home care's work.
    s.admin_post(
        "/v1/brukare",
        json!({"id": "b8", "unit_id": "u1", "display_name": "B8", "address": "Demogatan 8"}),
    )
    .await;
    s.admin_post(
        "/v1/decisions",
        json!({"id": "d-b8", "brukare_id": "b8", "starts_at": DAY0 - 10 * DAY, "ends_at": DAY0 - DAY}),
    )
    .await;
    let na = s.enroll("na1").await;
    let co = s.enroll("co1").await;
    let co2 = s.enroll("co2").await;
    let at = s.enroll("at1").await;
    s.post(
        "/v1/orders/new-brukare",
        &na.token,
        json!({"id": "o5", "brukare_id": "b5", "brukare_informed": true, "accepted": true}),
    )
    .await
    .ok();
    s.post(
        "/v1/orders/new-brukare",
        &na.token,
        json!({"id": "o6", "brukare_id": "b6", "brukare_informed": false, "accepted": false}),
    )
    .await
    .ok();
    let list = without_lock(&s, &co.token, "").await;
    let ids: Vec<&str> = list
        .iter()
        .map(|r| r["brukare_id"].as_str().unwrap())
        .collect();
    // b1 has a lock; b8's care has ended.
    assert_eq!(ids, ["b5", "b6", "b7"], "{list:?}");
    assert_eq!(list[0]["open_order_id"], "o5");
    assert_eq!(list[0]["open_order_status"], "open");
    assert_eq!(list[0]["declined"], false);
    assert_eq!(list[0]["decision_id"], "d-b5");
    assert_eq!(list[1]["open_order_id"], Value::Null);
    assert_eq!(list[1]["declined"], true);
    assert_eq!(list[2]["open_order_id"], Value::Null);
    assert_eq!(list[2]["declined"], false);
    // Own unit only for coordinators; the alarm group sees all units.
    assert!(without_lock(&s, &co2.token, "").await.is_empty());
    s.get("/v1/brukare-without-lock?unit_id=u1", &co2.token)
        .await
        .err(403, "forbidden");
    assert_eq!(without_lock(&s, &at.token, "").await.len(), 3);
    // Once the lock is installed the brukare leaves the list (by the
    // technician the order is booked for).
    commission(&s, &at, "l5", "door", "o5").await;
    common::upload_receipt(&s, &at, "l5", "b5").await;
    s.post(
        "/v1/orders/o5/scheduled",
        &at.token,
        json!({"scheduled_for": T0}),
    )
    .await
    .ok();
    s.post(
        "/v1/locks/l5/install",
        &at.token,
        json!({"brukare_id": "b5"}),
    )
    .await
    .ok();
    let ids: Vec<String> = without_lock(&s, &co.token, "")
        .await
        .iter()
        .map(|r| r["brukare_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids, ["b6", "b7"]);
    let cw = s.enroll("cw1").await;
    s.get("/v1/brukare-without-lock", &cw.token)
        .await
        .err(403, "forbidden");
    s.stop().await;
}
backend_test!(
    r1_2_without_lock_t,
    brukare_without_a_lock_is_home_cares_list_r1_2
);

async fn existing_brukare_order_needs_name_phone_and_address_r1_3_r1_8(b: Backend) {
    let s = TestServer::start(b).await;
    world(&s).await;
    brukare(&s, "b5").await;
    let co = s.enroll("co1").await;
    let co2 = s.enroll("co2").await;
    let at = s.enroll("at1").await;
    let full = json!({"id": "ex5", "brukare_id": "b5", "name": "Karin Lund",
                      "phone": "+46 70 123 45 67", "address": "Demogatan 5, 2 tr"});
    for field in ["name", "phone", "address"] {
        let mut body = full.clone();
        body.as_object_mut().unwrap().remove(field);
        let r = s
            .post("/v1/orders/existing-brukare", &co.token, body)
            .await
            .err(400, "bad_request");
        let msg = r["message"].as_str().unwrap();
        assert!(msg.contains("R1.8") && msg.contains(field), "{msg}");
        let mut body = full.clone();
        body[field] = json!("  ");
        s.post("/v1/orders/existing-brukare", &co.token, body)
            .await
            .err(400, "bad_request");
    }
    let mut bad_phone = full.clone();
    bad_phone["phone"] = json!("ring mig");
    s.post("/v1/orders/existing-brukare", &co.token, bad_phone)
        .await
        .err(400, "bad_request");
    // Home care of another unit may not order for this brukare.
    s.post("/v1/orders/existing-brukare", &co2.token, full.clone())
        .await
        .err(403, "forbidden");
    let o = s
        .post("/v1/orders/existing-brukare", &co.token, full.clone())
        .await
        .ok();
    assert_eq!(o["kind"], "existing_brukare");
    assert_eq!(o["status"], "open");
    assert_eq!(o["contact_name"], "Karin Lund");
    assert_eq!(o["contact_phone"], "+46 70 123 45 67");
    assert_eq!(o["address"], "Demogatan 5, 2 tr");
    // R1.3, R1.8: to the alarm group, with name, phone and address.
    let msgs = inbox(&s, &at).await;
    let m = with_step(&msgs, "R1.8", "b5");
    assert_eq!(m.len(), 1, "{msgs:?}");
    let text = m[0]["body"].as_str().unwrap();
    for part in ["Karin Lund", "+46 70 123 45 67", "Demogatan 5, 2 tr"] {
        assert!(text.contains(part), "{text}");
    }
    // b1 already has a lock.
    let mut b1 = full.clone();
    b1["id"] = json!("ex1");
    b1["brukare_id"] = json!("b1");
    s.post("/v1/orders/existing-brukare", &co.token, b1)
        .await
        .err(409, "conflict");
    // The alarm group books it; home care sees it in its own unit only.
    s.post(
        "/v1/orders/ex5/scheduled",
        &co.token,
        json!({"scheduled_for": T0 + DAY}),
    )
    .await
    .err(403, "forbidden");
    let o = s
        .post(
            "/v1/orders/ex5/scheduled",
            &at.token,
            json!({"scheduled_for": T0 + DAY}),
        )
        .await
        .ok();
    assert_eq!(o["status"], "scheduled");
    assert_eq!(o["scheduled_for"], T0 + DAY);
    assert_eq!(o["scheduled_at"], T0);
    assert_eq!(
        orders(&s, &co.token, "?kind=existing_brukare").await.len(),
        1
    );
    assert!(orders(&s, &co2.token, "").await.is_empty());
    s.get("/v1/orders?unit_id=u1", &co2.token)
        .await
        .err(403, "forbidden");
    s.get("/v1/orders/ex5", &co2.token)
        .await
        .err(403, "forbidden");
    assert_eq!(orders(&s, &at.token, "?status=scheduled").await.len(), 1);
    // The lock is installed: the order is done.
    commission(&s, &at, "l5", "door", "ex5").await;
    common::upload_receipt(&s, &at, "l5", "b5").await;
    s.post(
        "/v1/locks/l5/install",
        &at.token,
        json!({"brukare_id": "b5"}),
    )
    .await
    .ok();
    let o = s.get("/v1/orders/ex5", &co.token).await.ok();
    assert_eq!(o["status"], "installed");
    assert_eq!(o["lock_id"], "l5");
    assert_eq!(o["installed_at"], T0);
    assert_eq!(o["closed_by"], "at1");
    s.post("/v1/orders/ex5/cancel", &co.token, json!({}))
        .await
        .err(409, "conflict");
    s.post(
        "/v1/orders/ex5/scheduled",
        &at.token,
        json!({"scheduled_for": T0}),
    )
    .await
    .err(409, "conflict");
    s.stop().await;
}
backend_test!(
    r1_3_r1_8_existing_brukare_t,
    existing_brukare_order_needs_name_phone_and_address_r1_3_r1_8
);

async fn entrance_lock_order_for_a_building_r1_4(b: Backend) {
    let s = TestServer::start(b).await;
    world(&s).await;
    let um = s.enroll("um1").await;
    let at = s.enroll("at1").await;
    let base = json!({"id": "port1", "brukare_id": "b1", "building_address": "Demogatan 1, port A",
                      "brukare_has_alarm": false, "phone": "08-530 610 00"});
    let mut no_addr = base.clone();
    no_addr.as_object_mut().unwrap().remove("building_address");
    s.post("/v1/orders/entrance", &um.token, no_addr)
        .await
        .err(400, "bad_request");
    let mut alarm = base.clone();
    alarm["brukare_has_alarm"] = json!(true);
    let r = s
        .post("/v1/orders/entrance", &um.token, alarm)
        .await
        .err(400, "bad_request");
    assert!(r["message"].as_str().unwrap().contains("R1.4"));
    let mut unsaid = base.clone();
    unsaid.as_object_mut().unwrap().remove("brukare_has_alarm");
    s.post("/v1/orders/entrance", &um.token, unsaid)
        .await
        .err(400, "bad_request");
    // b1 has a door lock: an entrance lock is another kind of order.
    let o = s
        .post("/v1/orders/entrance", &um.token, base.clone())
        .await
        .ok();
    assert_eq!(o["kind"], "entrance");
    assert_eq!(o["status"], "open");
    assert_eq!(o["address"], "Demogatan 1, port A");
    let msgs = inbox(&s, &at).await;
    let m = with_step(&msgs, "R1.4", "b1");
    assert_eq!(m.len(), 1);
    assert!(
        m[0]["body"]
            .as_str()
            .unwrap()
            .contains("Demogatan 1, port A")
    );
    let mut second = base.clone();
    second["id"] = json!("port2");
    s.post("/v1/orders/entrance", &um.token, second)
        .await
        .err(409, "conflict");
    // Installing an entrance lock closes the entrance order: no order
    // booked for the technician, no installation.
    commission(&s, &at, "p1", "entrance", "port1").await;
    common::upload_receipt(&s, &at, "p1", "b1").await;
    s.post(
        "/v1/locks/p1/install",
        &at.token,
        json!({"brukare_id": "b1"}),
    )
    .await
    .err(403, "forbidden");
    s.post(
        "/v1/orders/port1/scheduled",
        &at.token,
        json!({"scheduled_for": T0}),
    )
    .await
    .ok();
    s.post(
        "/v1/locks/p1/install",
        &at.token,
        json!({"brukare_id": "b1"}),
    )
    .await
    .ok();
    let o = s.get("/v1/orders/port1", &at.token).await.ok();
    assert_eq!(o["status"], "installed");
    assert_eq!(o["lock_id"], "p1");
    s.stop().await;
}
backend_test!(r1_4_entrance_t, entrance_lock_order_for_a_building_r1_4);

async fn ending_a_decision_orders_removal_and_cancels_installation_r1_5_r1_11(b: Backend) {
    let s = TestServer::start(b).await;
    world(&s).await;
    brukare(&s, "b5").await;
    let na = s.enroll("na1").await;
    let at = s.enroll("at1").await;
    let co = s.enroll("co1").await;
    // b1 has lock l1 and decision d1; b5 has an open installation order.
    s.post(
        "/v1/orders/new-brukare",
        &na.token,
        json!({"id": "o5", "brukare_id": "b5", "brukare_informed": true, "accepted": true}),
    )
    .await
    .ok();
    // Ending d1 makes a removal order for l1, messaged to the alarm group (R1.11).
    let end = T0 + 2 * DAY;
    s.req(
        "PATCH",
        "/v1/decisions/d1",
        Some(&na.token),
        Some(json!({"ends_at": end})),
    )
    .await
    .ok();
    let rm = orders(&s, &at.token, "?kind=removal").await;
    assert_eq!(rm.len(), 1, "{rm:?}");
    assert_eq!(rm[0]["status"], "open");
    assert_eq!(rm[0]["lock_id"], "l1");
    assert_eq!(rm[0]["brukare_id"], "b1");
    assert_eq!(rm[0]["decision_id"], "d1");
    assert_eq!(rm[0]["due_at"], end);
    let msgs = inbox(&s, &at).await;
    let m = with_step(&msgs, "R1.11", "b1");
    assert_eq!(m.len(), 1, "{msgs:?}");
    assert_eq!(m[0]["lock_id"], "l1");
    assert!(m[0]["body"].as_str().unwrap().contains("2025-01-17"));
    // Ending it again (earlier) keeps one order, due earlier.
    s.req(
        "PATCH",
        "/v1/decisions/d1",
        Some(&na.token),
        Some(json!({"ends_at": T0 + DAY})),
    )
    .await
    .ok();
    let rm = orders(&s, &at.token, "?kind=removal").await;
    assert_eq!(rm.len(), 1);
    assert_eq!(rm[0]["due_at"], T0 + DAY);
    // The care goes on after all: the removal is no longer needed.
    s.req(
        "PATCH",
        "/v1/decisions/d1",
        Some(&na.token),
        Some(json!({"ends_at": DAY0 + 300 * DAY})),
    )
    .await
    .ok();
    assert!(orders(&s, &at.token, "?kind=removal").await.is_empty());
    let cancelled = orders(&s, &at.token, "?kind=removal&status=cancelled").await;
    assert_eq!(cancelled[0]["cancel_reason"], "decision_extended");
    // R1.5: b5's execution ends before the lock is in: the planned installation is cancelled.
    s.req(
        "PATCH",
        "/v1/decisions/d-b5",
        Some(&na.token),
        Some(json!({"ends_at": T0})),
    )
    .await
    .ok();
    let o = s.get("/v1/orders/o5", &co.token).await.ok();
    assert_eq!(o["status"], "cancelled");
    assert_eq!(o["cancel_reason"], "decision_ended");
    assert_eq!(o["cancelled_at"], T0);
    let msgs = inbox(&s, &at).await;
    assert_eq!(with_step(&msgs, "R1.5", "b5").len(), 1, "{msgs:?}");
    // b5 has no lock: no removal order.
    assert!(
        orders(&s, &at.token, "?kind=removal&brukare_id=b5")
            .await
            .is_empty()
    );
    // Home care cancels a planned installation by hand (R1.5).
    brukare(&s, "b6").await;
    s.post(
        "/v1/orders/existing-brukare",
        &co.token,
        json!({"id": "ex6", "brukare_id": "b6", "name": "B6", "phone": "070-1", "address": "Gatan 6"}),
    )
    .await
    .ok();
    let o = s
        .post(
            "/v1/orders/ex6/cancel",
            &co.token,
            json!({"reason": "Flyttar till särskilt boende"}),
        )
        .await
        .ok();
    assert_eq!(o["status"], "cancelled");
    assert_eq!(o["closed_by"], "co1");
    let again = s
        .post("/v1/orders/ex6/cancel", &co.token, json!({}))
        .await
        .ok();
    assert_eq!(again, o);
    let msgs = inbox(&s, &at).await;
    let m = with_step(&msgs, "R1.5", "b6");
    assert_eq!(m.len(), 1);
    assert!(
        m[0]["body"]
            .as_str()
            .unwrap()
            .contains("Flyttar till särskilt boende")
    );
    // The CSV import that ends a decision does the same (R1.11).
    let csv = "kind,id,brukare_id,decision_id,staff_id,starts,ends,service,shift_kind\n\
               decision,d1,b1,,,2024-10-01,2025-01-20,,\n";
    let r = s
        .raw(
            "POST",
            "/v1/import/csv",
            Some(&s.admin.clone()),
            Some("text/csv"),
            csv.as_bytes().to_vec(),
        )
        .await
        .ok();
    assert_eq!(r["decisions"], 1);
    let rm = orders(&s, &at.token, "?kind=removal").await;
    assert_eq!(rm.len(), 1, "{rm:?}");
    assert_eq!(rm[0]["lock_id"], "l1");
    assert_eq!(rm[0]["status"], "open");
    s.stop().await;
}
backend_test!(
    r1_5_r1_11_decision_end_t,
    ending_a_decision_orders_removal_and_cancels_installation_r1_5_r1_11
);

async fn removing_the_lock_closes_its_removal_order_r1_12(b: Backend) {
    let s = TestServer::start(b).await;
    world(&s).await;
    let na = s.enroll("na1").await;
    let at = s.enroll("at1").await;
    let cw = s.enroll("cw1").await;
    add_lock(&s, "l2", "b1").await;
    s.req(
        "PATCH",
        "/v1/decisions/d1",
        Some(&na.token),
        Some(json!({"ends_at": T0 + 6 * H})),
    )
    .await
    .ok();
    let rm = orders(&s, &at.token, "?kind=removal").await;
    assert_eq!(rm.len(), 2, "one per installed lock: {rm:?}");
    let l1_order = rm.iter().find(|o| o["lock_id"] == "l1").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    s.post(
        &format!("/v1/orders/{l1_order}/scheduled"),
        &at.token,
        json!({"scheduled_for": T0 + 2 * H}),
    )
    .await
    .ok();
    // R1.12 "Larmgruppen tar kontakt med berörda parter och genomför
    // nedmonteringen": not before the contact is recorded.
    s.post("/v1/locks/l1/remove", &at.token, json!({}))
        .await
        .err(409, "conflict");
    let o = s
        .post(
            &format!("/v1/orders/{l1_order}/contacts"),
            &at.token,
            json!({"party": "brukaren", "note": "Bokat borttagning kl 11"}),
        )
        .await
        .ok();
    assert_eq!(o["contacts"][0]["party"], "brukaren");
    assert_eq!(o["contacts"][0]["contacted_at"], T0);
    assert_eq!(o["contacts"][0]["recorded_by"], "at1");
    s.post("/v1/locks/l1/remove", &at.token, json!({}))
        .await
        .ok();
    let o = s
        .get(&format!("/v1/orders/{l1_order}"), &at.token)
        .await
        .ok();
    assert_eq!(o["contacts"].as_array().unwrap().len(), 1);
    assert_eq!(o["status"], "removed");
    assert_eq!(o["removed_at"], T0);
    assert_eq!(o["closed_by"], "at1");
    // l2's order is still open; l1 never gets a key again.
    let open = orders(&s, &at.token, "?kind=removal").await;
    assert_eq!(open.len(), 1);
    assert_eq!(open[0]["lock_id"], "l2");
    let r = s
        .post("/v1/tokens", &cw.token, json!({"lock_id": "l1"}))
        .await
        .err(403, "no_key");
    assert_eq!(r["reason"], "lock_removed");
    // A removed order cannot be cancelled.
    s.post(
        &format!("/v1/orders/{l1_order}/cancel"),
        &at.token,
        json!({}),
    )
    .await
    .err(409, "conflict");
    s.stop().await;
}
backend_test!(
    r1_12_removal_order_t,
    removing_the_lock_closes_its_removal_order_r1_12
);

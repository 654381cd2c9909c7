//! Routine R2 on the server: outage cases opened by the app's
//! `outage_report` events, the coordinator's steps (R2.7, R2.10, R2.11,
//! R2.12), weekends and holidays (R2.13), major outages (R2.3, R2.4,
//! R2.14) and deviations (R2.15, R2.16). On SQLite and on PostgreSQL.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{Backend, DAY0, Device, H, T0, TestServer, add_lock, settings, world};
use serde_json::{Value, json};

const M: i64 = 60;

/// The `data` of an outage report.
fn data(report_id: &str, lock: Option<&str>, at: i64) -> Value {
    json!({
        "report_id": report_id,
        "lock_id": lock,
        "brukare_id": null,
        "visit_id": null,
        "cause": "jammed",
        "occurred_at": at,
        "steps": [
            {"id": "R2.6", "done_at": at},
            {"id": "R2.8", "done_at": null},
            {"id": "R2.9", "done_at": at},
            {"id": "R2.15", "done_at": null}
        ],
        "weekend_or_holiday": false,
        "night": false,
    })
}

fn event(event_id: &str, d: &Value) -> Value {
    json!({"id": event_id, "kind": "outage_report", "occurred_at": d["occurred_at"],
           "lock_id": d["lock_id"], "routine_step": "R2.9", "data": d})
}

/// Uploads one report as the app does; returns the event's status.
async fn report(s: &TestServer, dev: &Device, event_id: &str, d: &Value) -> String {
    let r = s
        .post(
            "/v1/events",
            &dev.token,
            json!({"events": [event(event_id, d)]}),
        )
        .await
        .ok();
    r["results"][0]["status"].as_str().unwrap().to_owned()
}

async fn list(s: &TestServer, token: &str, query: &str) -> Vec<Value> {
    s.get(&format!("/v1/outages{query}"), token)
        .await
        .ok()
        .as_array()
        .unwrap()
        .clone()
}

async fn case(s: &TestServer, token: &str, id: &str) -> Value {
    s.get(&format!("/v1/outages/{id}"), token).await.ok()
}

async fn inbox(s: &TestServer, dev: &Device) -> Vec<Value> {
    s.get("/v1/inbox", &dev.token)
        .await
        .ok()
        .as_array()
        .unwrap()
        .clone()
}

fn with_step<'a>(msgs: &'a [Value], step: &str) -> Vec<&'a Value> {
    msgs.iter().filter(|m| m["routine_step"] == step).collect()
}

/// A brukare in `unit` with a decision `[from, to)` and an installed lock.
async fn brukare_with_lock(s: &TestServer, unit: &str, b: &str, lock: &str, from: i64, to: i64) {
    s.admin_post(
        "/v1/brukare",
        json!({"id": b, "unit_id": unit, "display_name": format!("Brukare {b}"), "address": "Demogatan 2"}),
    )
    .await;
    s.admin_post(
        "/v1/decisions",
        json!({"id": format!("d-{b}"), "brukare_id": b, "starts_at": from, "ends_at": to}),
    )
    .await;
    add_lock(s, lock, b).await;
}

/// Locks l2..=l{n} at brukare b2.. in u1, with long decisions.
async fn more_locks(s: &TestServer, n: usize) {
    for i in 2..=n {
        brukare_with_lock(
            s,
            "u1",
            &format!("b{i}"),
            &format!("l{i}"),
            DAY0 - 100 * 24 * H,
            DAY0 + 3000 * 24 * H,
        )
        .await;
    }
}

async fn deviations(s: &TestServer, token: &str, query: &str) -> Vec<Value> {
    s.get(&format!("/v1/deviations{query}"), token)
        .await
        .ok()
        .as_array()
        .unwrap()
        .clone()
}

// ---------------------------------------------------------------- R2.9, R2.15: reports open cases

async fn r2_9_r2_15_a_report_opens_one_case_and_retries_change_nothing(b: Backend) {
    let s = TestServer::start(b).await;
    world(&s).await;
    let cw = s.enroll("cw1").await;
    let cw2 = s.enroll("cw2").await;
    let co = s.enroll("co1").await;
    let co2 = s.enroll("co2").await;
    let at = s.enroll("at1").await;

    let d1 = data("rep-1", Some("l1"), T0 - 5 * M);
    assert_eq!(report(&s, &cw, "ev-1", &d1).await, "stored");
    let open = list(&s, &co.token, "").await;
    assert_eq!(open.len(), 1, "{open:?}");
    let c = &open[0];
    assert_eq!(c["id"], "rep-1");
    assert_eq!(c["unit_id"], "u1");
    assert_eq!(c["status"], "open");
    assert_eq!(c["lock_id"], "l1");
    assert_eq!(c["brukare_id"], "b1", "the lock's brukare");
    assert_eq!(c["brukare_display_name"], "Astrid B.");
    assert_eq!(c["cause"], "jammed");
    assert_eq!(c["opened_at"], T0 - 5 * M);
    assert_eq!(c["reported_at"], T0);
    assert_eq!(c["reported_by"], "cw1");
    assert_eq!(c["reports"].as_array().unwrap().len(), 1);
    assert_eq!(c["deviation_ids"].as_array().unwrap().len(), 1);
    assert!(c["major_outage_id"].is_null());

    // The outbox retries the same event: nothing new.
    assert_eq!(report(&s, &cw, "ev-1", &d1).await, "duplicate");
    let again = list(&s, &co.token, "?status=all").await;
    assert_eq!(again.len(), 1);
    assert_eq!(again[0]["reports"].as_array().unwrap().len(), 1);

    // R2.15: a new revision of the report (new event id, same report id)
    // marks the worker's deviation report written.
    let minor = deviations(&s, &co.token, "").await;
    assert_eq!(minor.len(), 1);
    assert_eq!(minor[0]["kind"], "minor");
    assert_eq!(minor[0]["status"], "expected");
    assert_eq!(minor[0]["assigned_to"], "cw1");
    assert_eq!(minor[0]["assigned_role"], "care_worker");
    assert_eq!(minor[0]["outage_ids"], json!(["rep-1"]));
    let mut d1b = d1.clone();
    d1b["steps"][3]["done_at"] = json!(T0 + 10 * M);
    d1b["steps"][0]["done_at"] = Value::Null; // a step once done stays done
    assert_eq!(report(&s, &cw, "ev-1b", &d1b).await, "stored");
    let c = case(&s, &co.token, "rep-1").await;
    assert_eq!(c["reports"].as_array().unwrap().len(), 1);
    let steps = &c["reports"][0]["steps"];
    assert_eq!(steps[0], json!({"id": "R2.6", "done_at": T0 - 5 * M}));
    assert_eq!(steps[3], json!({"id": "R2.15", "done_at": T0 + 10 * M}));
    assert_eq!(c["reports"][0]["event_id"], "ev-1b");
    let minor = deviations(&s, &co.token, "?kind=minor").await;
    assert_eq!(minor[0]["status"], "reported");
    assert_eq!(minor[0]["reported_at"], T0 + 10 * M);

    // A second worker's report for the same lock attaches to the open case;
    // so does one that names only the brukare.
    assert_eq!(
        report(&s, &cw2, "ev-2", &data("rep-2", Some("l1"), T0)).await,
        "stored"
    );
    let mut by_brukare = data("rep-3", None, T0);
    by_brukare["brukare_id"] = json!("b1");
    by_brukare["cause"] = json!("lock_not_found");
    assert_eq!(report(&s, &cw2, "ev-3", &by_brukare).await, "stored");
    let open = list(&s, &co.token, "").await;
    assert_eq!(open.len(), 1);
    let reports = open[0]["reports"].as_array().unwrap();
    assert_eq!(reports.len(), 3);
    assert_eq!(reports[1]["staff_id"], "cw2");
    assert_eq!(open[0]["cause"], "jammed", "the opening report's cause");

    // A report that names no lock and no brukare opens its own case in the
    // worker's unit.
    let mut unknown = data("rep-4", None, T0);
    unknown["cause"] = json!("app_failure");
    assert_eq!(report(&s, &cw, "ev-4", &unknown).await, "stored");
    let open = list(&s, &co.token, "").await;
    assert_eq!(open.len(), 2);
    let c4 = open.iter().find(|c| c["id"] == "rep-4").unwrap();
    assert!(c4["lock_id"].is_null());
    assert_eq!(c4["unit_id"], "u1");
    assert_eq!(c4["decision"]["status"], "unknown_brukare");

    // A report of another worker cannot be revised under the same report id.
    s.post(
        "/v1/events",
        &cw2.token,
        json!({"events": [event("ev-5", &data("rep-1", Some("l1"), T0))]}),
    )
    .await
    .err(409, "conflict");

    // A bad report refuses the whole batch, naming the event; nothing is stored.
    let good = event("ev-ok", &data("rep-ok", Some("l1"), T0));
    let mut no_report_id = data("x", Some("l1"), T0);
    no_report_id.as_object_mut().unwrap().remove("report_id");
    let mut wrong_lock = data("rep-x", Some("l1"), T0);
    wrong_lock["brukare_id"] = json!("b-none");
    let mut bad_cause = data("rep-x", Some("l1"), T0);
    bad_cause["cause"] = json!("Låset är trasigt");
    let mut mismatch = event("ev-x", &data("rep-x", Some("l1"), T0));
    mismatch["lock_id"] = json!("l-other");
    for (bad, what) in [
        (event("ev-x", &no_report_id), "report_id"),
        (
            event("ev-x", &data("rep-x", Some("l-nope"), T0)),
            "unknown lock",
        ),
        (event("ev-x", &wrong_lock), "lock of another brukare"),
        (event("ev-x", &bad_cause), "cause"),
        (mismatch, "lock_id"),
        (
            json!({"id": "ev-x", "kind": "outage_report", "occurred_at": T0}),
            "needs data",
        ),
    ] {
        let body = s
            .post(
                "/v1/events",
                &cw.token,
                json!({"events": [good.clone(), bad]}),
            )
            .await
            .err(400, "bad_request");
        let msg = body["message"].as_str().unwrap();
        assert!(msg.starts_with("event 1:"), "{what}: {msg}");
    }
    let stored = nyckelfri_server::store::stored_events(s.handle.db(), &cw.id)
        .await
        .unwrap();
    assert!(stored.iter().all(|(id, _)| id != "ev-ok" && id != "ev-x"));

    // Who sees cases: the unit's coordinator and the alarm group; not a care
    // worker, not another unit's coordinator.
    s.get("/v1/outages", &cw.token).await.err(403, "forbidden");
    assert!(list(&s, &co2.token, "").await.is_empty());
    s.get("/v1/outages?unit_id=u1", &co2.token)
        .await
        .err(403, "forbidden");
    s.get("/v1/outages/rep-1", &co2.token)
        .await
        .err(403, "forbidden");
    assert_eq!(list(&s, &at.token, "").await.len(), 2);
    assert_eq!(list(&s, &s.admin.clone(), "?unit_id=u1").await.len(), 2);
    s.get("/v1/outages/nope", &co.token)
        .await
        .err(404, "not_found");
    s.stop().await;
}
backend_test!(
    r2_9_r2_15_a_report_opens_one_case_t,
    r2_9_r2_15_a_report_opens_one_case_and_retries_change_nothing
);

// ---------------------------------------------------------------- R2.7

async fn r2_7_the_case_shows_the_decision_now_and_the_needs_assessor_is_told(b: Backend) {
    let s = TestServer::start_with(b, |c| c.settings.major_outage_locks = 10).await;
    world(&s).await;
    // b2: ends today 20:00; b3: ended yesterday; b4: no decision; b5: starts tomorrow.
    brukare_with_lock(&s, "u1", "b2", "l2", DAY0 - 30 * 24 * H, DAY0 + 20 * H).await;
    brukare_with_lock(&s, "u1", "b3", "l3", DAY0 - 30 * 24 * H, DAY0 - 24 * H).await;
    s.admin_post(
        "/v1/brukare",
        json!({"id": "b4", "unit_id": "u1", "display_name": "Brukare b4", "address": "Demogatan 4"}),
    )
    .await;
    add_lock(&s, "l4", "b4").await;
    brukare_with_lock(&s, "u1", "b5", "l5", DAY0 + 24 * H, DAY0 + 90 * 24 * H).await;
    let cw = s.enroll("cw1").await;
    let co = s.enroll("co1").await;
    let na = s.enroll("na1").await;
    for (i, lock) in ["l1", "l2", "l3", "l4", "l5"].iter().enumerate() {
        let d = data(&format!("rep-{lock}"), Some(lock), T0 - i as i64 * 10 * M);
        assert_eq!(report(&s, &cw, &format!("ev-{lock}"), &d).await, "stored");
    }
    let open = list(&s, &co.token, "").await;
    let by = |lock: &str| open.iter().find(|c| c["lock_id"] == lock).unwrap().clone();
    let valid = by("l1");
    assert_eq!(valid["decision"]["status"], "valid");
    assert_eq!(valid["decision"]["decision_id"], "d1");
    assert_eq!(valid["decision"]["checked_at"], T0);
    assert_eq!(valid["contact_needs_assessor"], false);
    let today = by("l2");
    assert_eq!(today["decision"]["status"], "ends_today");
    assert_eq!(today["decision"]["ends_at"], DAY0 + 20 * H);
    assert_eq!(today["contact_needs_assessor"], false);
    let ended = by("l3");
    assert_eq!(ended["decision"]["status"], "ended");
    assert_eq!(ended["decision"]["ends_at"], DAY0 - 24 * H);
    assert_eq!(ended["contact_needs_assessor"], true);
    let none = by("l4");
    assert_eq!(none["decision"]["status"], "no_decision");
    assert_eq!(none["contact_needs_assessor"], true);
    assert_eq!(by("l5")["decision"]["status"], "not_started");

    // Checked now: at 21:00 the decision that ended at 20:00 has ended.
    s.clock.set(DAY0 + 21 * H);
    let c = case(&s, &co.token, "rep-l2").await;
    assert_eq!(c["decision"]["status"], "ended");
    assert_eq!(c["contact_needs_assessor"], true);

    // One call messages the needs assessor of the unit.
    let r = s
        .post(
            "/v1/outages/rep-l3/needs-assessor",
            &co.token,
            json!({"id": "na-msg-1", "note": "Ring mig."}),
        )
        .await
        .ok();
    assert_eq!(r["status"], "stored");
    assert_eq!(r["message"]["to_role"], "needs_assessor");
    assert_eq!(r["message"]["routine_step"], "R2.7");
    assert_eq!(r["message"]["outage_id"], "rep-l3");
    assert_eq!(r["message"]["brukare_id"], "b3");
    assert!(r["message"]["body"].as_str().unwrap().contains("d-b3"));
    assert!(r["message"]["body"].as_str().unwrap().contains("Ring mig."));
    assert_eq!(r["outage"]["needs_assessor_messaged_at"], DAY0 + 21 * H);
    assert_eq!(r["outage"]["needs_assessor_messaged_by"], "co1");
    let msgs = inbox(&s, &na).await;
    assert_eq!(with_step(&msgs, "R2.7").len(), 1);
    // A retry with the same id is a duplicate, not a second message.
    let r = s
        .post(
            "/v1/outages/rep-l3/needs-assessor",
            &co.token,
            json!({"id": "na-msg-1", "note": "Ring mig."}),
        )
        .await
        .ok();
    assert_eq!(r["status"], "duplicate");
    assert_eq!(with_step(&inbox(&s, &na).await, "R2.7").len(), 1);
    // Without a brukare there is no decision to ask about.
    report(
        &s,
        &cw,
        "ev-unknown",
        &data("rep-unknown", None, DAY0 + 21 * H),
    )
    .await;
    s.post(
        "/v1/outages/rep-unknown/needs-assessor",
        &co.token,
        json!({}),
    )
    .await
    .err(409, "conflict");
    // Only managers send it.
    s.post("/v1/outages/rep-l3/needs-assessor", &cw.token, json!({}))
        .await
        .err(403, "forbidden");
    s.stop().await;
}
backend_test!(
    r2_7_decision_validity_t,
    r2_7_the_case_shows_the_decision_now_and_the_needs_assessor_is_told
);

// ---------------------------------------------------------------- R2.10

async fn r2_10_marking_a_lock_working_again_closes_the_case(b: Backend) {
    let s = TestServer::start(b).await;
    world(&s).await;
    let cw = s.enroll("cw1").await;
    let co = s.enroll("co1").await;
    let co2 = s.enroll("co2").await;
    let at = s.enroll("at1").await;
    report(&s, &cw, "ev-1", &data("rep-1", Some("l1"), T0)).await;
    s.clock.set(T0 + 2 * H);

    // Not before the case opened, not in the future; only the unit's own.
    s.post(
        "/v1/outages/rep-1/working",
        &co.token,
        json!({"working_at": T0 - 1}),
    )
    .await
    .err(400, "bad_request");
    s.post(
        "/v1/outages/rep-1/working",
        &co.token,
        json!({"working_at": T0 + 3 * H}),
    )
    .await
    .err(400, "bad_request");
    s.post("/v1/outages/rep-1/working", &co2.token, json!({}))
        .await
        .err(403, "forbidden");
    s.post("/v1/outages/rep-1/working", &cw.token, json!({}))
        .await
        .err(403, "forbidden");

    let c = s
        .post(
            "/v1/outages/rep-1/working",
            &co.token,
            json!({"working_at": T0 + 90 * M, "note": "Larmgruppen bytte batteri."}),
        )
        .await
        .ok();
    assert_eq!(c["status"], "closed");
    assert_eq!(c["working_at"], T0 + 90 * M);
    assert_eq!(c["closed_at"], T0 + 2 * H);
    assert_eq!(c["closed_by"], "co1");
    assert_eq!(c["close_note"], "Larmgruppen bytte batteri.");
    assert_eq!(c["night_patrol_overdue"], false);
    assert!(list(&s, &co.token, "").await.is_empty());
    assert_eq!(list(&s, &co.token, "?status=closed").await.len(), 1);
    assert_eq!(list(&s, &co.token, "?status=all").await.len(), 1);

    // Again: answered as it is.
    s.clock.set(T0 + 3 * H);
    let again = s
        .post("/v1/outages/rep-1/working", &co.token, json!({}))
        .await
        .ok();
    assert_eq!(again["closed_at"], T0 + 2 * H);
    assert_eq!(again["closed_by"], "co1");
    // A closed case takes no more messages.
    s.post("/v1/outages/rep-1/night-patrol", &co.token, json!({}))
        .await
        .err(409, "conflict");

    // The lock fails again: a new case. The alarm group, who fixed it,
    // reports the repair; R2.10 "Koordinator dokumenterar när elektroniskt
    // låsvred fungerar igen": closing the case is the coordinator's.
    report(&s, &cw, "ev-2", &data("rep-2", Some("l1"), T0 + 3 * H)).await;
    let open = list(&s, &co.token, "").await;
    assert_eq!(open.len(), 1);
    assert_eq!(open[0]["id"], "rep-2");
    s.post("/v1/outages/rep-2/working", &at.token, json!({}))
        .await
        .err(403, "forbidden");
    let c = s
        .post("/v1/outages/rep-2/repaired", &at.token, json!({}))
        .await
        .ok();
    assert_eq!(c["repaired_by"], "at1");
    assert_eq!(c["status"], "open");
    let c = s
        .post("/v1/outages/rep-2/working", &co.token, json!({}))
        .await
        .ok();
    assert_eq!(c["closed_by"], "co1");
    assert_eq!(c["working_at"], T0 + 3 * H);
    s.stop().await;
}
backend_test!(
    r2_10_lock_working_again_t,
    r2_10_marking_a_lock_working_again_closes_the_case
);

// ---------------------------------------------------------------- R2.11

async fn r2_11_the_alarm_group_gets_the_case_in_its_inbox(b: Backend) {
    let s = TestServer::start(b).await;
    world(&s).await;
    more_locks(&s, 2).await;
    let cw = s.enroll("cw1").await;
    let co = s.enroll("co1").await;
    let at = s.enroll("at1").await;
    report(&s, &cw, "ev-1", &data("rep-1", Some("l1"), T0)).await;

    // In office hours (Wednesday 09:00): the alarm group takes it at once.
    let r = s
        .post(
            "/v1/outages/rep-1/alarm-group",
            &co.token,
            json!({"id": "ag-1", "note": "Brukaren är hemma hela dagen."}),
        )
        .await
        .ok();
    assert_eq!(r["status"], "stored");
    let m = &r["message"];
    assert_eq!(m["to_role"], "alarm_technician");
    assert_eq!(m["unit_id"], "u1");
    assert_eq!(m["routine_step"], "R2.11");
    assert_eq!(m["outage_id"], "rep-1");
    assert_eq!(m["lock_id"], "l1");
    assert!(m["handle_from"].is_null());
    assert_eq!(r["outage"]["alarm_group_informed_at"], T0);
    assert_eq!(r["outage"]["alarm_group_informed_by"], "co1");
    assert!(r["outage"]["alarm_group_handle_from"].is_null());
    // It is in the alarm group's inbox, and they see the open case.
    let msgs = inbox(&s, &at).await;
    let r211 = with_step(&msgs, "R2.11");
    assert_eq!(r211.len(), 1);
    assert_eq!(r211[0]["outage_id"], "rep-1");
    assert_eq!(list(&s, &at.token, "").await.len(), 1);
    // A retry is a duplicate; the same id for another message is a conflict.
    let again = s
        .post(
            "/v1/outages/rep-1/alarm-group",
            &co.token,
            json!({"id": "ag-1", "note": "Brukaren är hemma hela dagen."}),
        )
        .await
        .ok();
    assert_eq!(again["status"], "duplicate");
    s.post(
        "/v1/outages/rep-1/night-patrol",
        &co.token,
        json!({"id": "ag-1"}),
    )
    .await
    .err(409, "conflict");
    assert_eq!(with_step(&inbox(&s, &at).await, "R2.11").len(), 1);

    // In the evening: from 07:00 the next (working) morning.
    s.clock.set(DAY0 + 19 * H);
    report(&s, &cw, "ev-2", &data("rep-2", Some("l2"), DAY0 + 19 * H)).await;
    let r = s
        .post("/v1/outages/rep-2/alarm-group", &co.token, json!({}))
        .await
        .ok();
    assert_eq!(r["message"]["handle_from"], DAY0 + 24 * H + 7 * H);
    assert_eq!(
        r["outage"]["alarm_group_handle_from"],
        DAY0 + 24 * H + 7 * H
    );
    s.stop().await;
}
backend_test!(
    r2_11_alarm_group_inbox_t,
    r2_11_the_alarm_group_gets_the_case_in_its_inbox
);

// ---------------------------------------------------------------- R2.12

// R2.12 "Koordinator skickar meddelande till nattpatrullen så att de hinner
// förbereda sig inför natten. Meddelande skickas senast kl 17.00."
async fn r2_12_by_17_the_coordinator_after_17_the_server_tells_the_night_patrol(b: Backend) {
    let s = TestServer::start_with(b, |c| c.settings.major_outage_locks = 10).await;
    world(&s).await;
    more_locks(&s, 4).await;
    // The night patrol serving u1: np1 (own unit) and np2 (u2, serves u1);
    // np3 in u2 only is not told.
    s.admin_post(
        "/v1/staff",
        json!({"id": "np2", "unit_id": "u2", "name": "Natt 2", "role": "night_patrol",
               "serves_unit_ids": ["u1"]}),
    )
    .await;
    s.admin_post(
        "/v1/staff",
        json!({"id": "np3", "unit_id": "u2", "name": "Natt 3", "role": "night_patrol"}),
    )
    .await;
    let cw = s.enroll("cw1").await;
    let co = s.enroll("co1").await;
    let np = s.enroll("np1").await;
    let np2 = s.enroll("np2").await;
    let np3 = s.enroll("np3").await;
    let deadline = DAY0 + 17 * H; // Wednesday 2025-01-15 17:00
    let told = json!(["np1", "np2"]);

    // A: 16:59, the coordinator tells the night patrol in time.
    s.clock.set(deadline - M);
    report(&s, &cw, "ev-a", &data("rep-a", Some("l1"), deadline - M)).await;
    report(&s, &cw, "ev-b", &data("rep-b", Some("l2"), deadline - M)).await;
    for c in list(&s, &co.token, "").await {
        assert_eq!(c["night_patrol_deadline_at"], deadline);
        assert_eq!(c["night_patrol_overdue"], false);
        assert!(
            c["night_patrol_messaged_at"].is_null(),
            "before 17 the coordinator's"
        );
    }
    s.clock.set(deadline - 30);
    let r = s
        .post("/v1/outages/rep-a/night-patrol", &co.token, json!({}))
        .await
        .ok();
    assert_eq!(r["message"]["to_role"], "night_patrol");
    assert_eq!(r["message"]["routine_step"], "R2.12");
    assert_eq!(r["message"]["deadline_at"], deadline);
    assert_eq!(r["message"]["after_deadline"], false);
    assert_eq!(r["message"]["recipients"], told);
    assert_eq!(r["outage"]["night_patrol_messaged_at"], deadline - 30);
    assert_eq!(r["outage"]["night_patrol_messaged_by"], "co1");
    assert_eq!(r["outage"]["night_patrol_told"], told);
    assert!(
        r["message"]["body"]
            .as_str()
            .unwrap()
            .contains("Orrens servicehus"),
        "the night key's place"
    );

    // B: 16:59 and nobody told them. 17:00:00 is still in time; at 17:01
    // it is overdue, and the scheduler tells the night patrol itself.
    s.clock.set(deadline);
    assert_eq!(
        case(&s, &co.token, "rep-b").await["night_patrol_overdue"],
        false
    );
    s.clock.set(deadline + M);
    assert_eq!(
        case(&s, &co.token, "rep-b").await["night_patrol_overdue"],
        true
    );
    let run = s
        .post("/v1/scheduler/run", &s.admin.clone(), json!({}))
        .await
        .ok();
    assert_eq!(run["night_patrol_told"], 1);
    let c = case(&s, &co.token, "rep-b").await;
    assert_eq!(c["night_patrol_overdue"], false);
    assert_eq!(c["night_patrol_messaged_at"], deadline + M);
    assert!(
        c["night_patrol_messaged_by"].is_null(),
        "the server told them"
    );
    assert_eq!(c["night_patrol_told"], told);
    // Once: a second run (or another instance) sends nothing.
    s.clock.set(deadline + 2 * M);
    let again = s
        .post("/v1/scheduler/run", &s.admin.clone(), json!({}))
        .await
        .ok();
    assert_eq!(again["night_patrol_told"], 0);

    // C: a case opened at 17:40 (Monday–Thursday) is not "overdue at birth"
    // for a coordinator who has gone home: the server tells the night
    // patrol at once, recording who was told and when.
    s.clock.set(deadline + 40 * M);
    report(
        &s,
        &cw,
        "ev-c",
        &data("rep-c", Some("l3"), deadline + 40 * M),
    )
    .await;
    let c = case(&s, &co.token, "rep-c").await;
    assert_eq!(c["night_patrol_deadline_at"], deadline + 40 * M);
    assert_eq!(c["night_patrol_messaged_at"], deadline + 40 * M);
    assert!(c["night_patrol_messaged_by"].is_null());
    assert_eq!(c["night_patrol_told"], told);
    assert_eq!(c["night_patrol_overdue"], false);
    assert_eq!(c["weekend_or_holiday"], false, "a Wednesday evening");

    // D: failed at 16:30 offline, synced at 18:10: told on arrival.
    s.clock.set(deadline + 70 * M);
    report(
        &s,
        &cw,
        "ev-d",
        &data("rep-d", Some("l4"), deadline - 30 * M),
    )
    .await;
    let c = case(&s, &co.token, "rep-d").await;
    assert_eq!(c["night_patrol_deadline_at"], deadline);
    assert_eq!(c["night_patrol_messaged_at"], deadline + 70 * M);
    assert_eq!(c["night_patrol_overdue"], false);

    // The night patrol's inboxes: np1 and np2 have all four, np3 none.
    for dev in [&np, &np2] {
        let msgs = inbox(&s, dev).await;
        let r212 = with_step(&msgs, "R2.12");
        assert_eq!(r212.len(), 4, "{}", dev.staff_id);
        assert!(
            r212.iter()
                .all(|m| m["unit_id"] == "u1" && m["outage_id"].is_string())
        );
        let by_server: Vec<_> = r212
            .iter()
            .filter(|m| m["from_staff_id"].is_null())
            .collect();
        assert_eq!(by_server.len(), 3);
        assert!(
            by_server
                .iter()
                .all(|m| m["body"].as_str().unwrap().contains("Skickat"))
        );
    }
    assert!(with_step(&inbox(&s, &np3).await, "R2.12").is_empty());
    // Nobody is overdue now.
    assert!(
        list(&s, &co.token, "")
            .await
            .iter()
            .all(|c| c["night_patrol_overdue"] == false)
    );
    s.stop().await;
}
backend_test!(
    r2_12_after_17_server_tells_night_patrol_t,
    r2_12_by_17_the_coordinator_after_17_the_server_tells_the_night_patrol
);

// ---------------------------------------------------------------- R2.13

async fn r2_13_weekend_reports_message_the_alarm_group_for_the_next_working_day(b: Backend) {
    let s = TestServer::start_with(b, |c| {
        c.settings.major_outage_locks = 10;
        c.settings.session_ttl_secs = 14 * 24 * H;
    })
    .await;
    world(&s).await;
    more_locks(&s, 5).await;
    let cw = s.enroll("cw1").await;
    let co = s.enroll("co1").await;
    let at = s.enroll("at1").await;
    let np = s.enroll("np1").await;
    let monday_0700 = DAY0 + 5 * 24 * H + 7 * H; // 2025-01-20 07:00 CET

    // A weekday report in office hours: nothing is sent for the worker.
    report(&s, &cw, "ev-wed", &data("rep-wed", Some("l4"), T0)).await;
    assert!(with_step(&inbox(&s, &at).await, "R2.13").is_empty());
    assert!(case(&s, &co.token, "rep-wed").await["alarm_group_informed_at"].is_null());

    // Friday 20:00, the app says weekend: the alarm group takes it Monday 07:00.
    let friday = DAY0 + 2 * 24 * H + 20 * H;
    s.clock.set(friday + 60);
    let mut d = data("rep-fri", Some("l1"), friday);
    d["weekend_or_holiday"] = json!(true);
    report(&s, &cw, "ev-fri", &d).await;
    let c = case(&s, &co.token, "rep-fri").await;
    assert_eq!(c["weekend_or_holiday"], true);
    assert_eq!(c["alarm_group_handle_from"], monday_0700);
    assert_eq!(c["alarm_group_informed_by"], "cw1");
    assert_eq!(c["alarm_group_informed_at"], friday + 60);
    // The worker notified the night patrol too: not overdue.
    assert_eq!(c["night_patrol_messaged_by"], "cw1");
    assert_eq!(c["night_patrol_overdue"], false);
    let msgs = inbox(&s, &at).await;
    let m = with_step(&msgs, "R2.13");
    assert_eq!(m.len(), 1);
    assert_eq!(m[0]["handle_from"], monday_0700);
    assert_eq!(m[0]["outage_id"], "rep-fri");
    assert_eq!(m[0]["from_staff_id"], "cw1");
    let np_msgs = inbox(&s, &np).await;
    assert_eq!(with_step(&np_msgs, "R2.13").len(), 1);

    // Saturday noon, even when the app does not say so: Monday 07:00.
    let saturday = DAY0 + 3 * 24 * H + 12 * H;
    s.clock.set(saturday);
    report(&s, &cw, "ev-sat", &data("rep-sat", Some("l2"), saturday)).await;
    let c = case(&s, &co.token, "rep-sat").await;
    assert_eq!(c["alarm_group_handle_from"], monday_0700);
    assert_eq!(
        c["weekend_or_holiday"], true,
        "the server's calendar saw it"
    );
    assert_eq!(with_step(&inbox(&s, &at).await, "R2.13").len(), 2);
    // A coordinator who informs the alarm group on Sunday gets Monday 07:00 too.
    s.clock.set(saturday + 24 * H);
    report(
        &s,
        &cw,
        "ev-sun",
        &data("rep-sun", Some("l3"), saturday + 24 * H),
    )
    .await;
    let r = s
        .post("/v1/outages/rep-wed/alarm-group", &co.token, json!({}))
        .await
        .ok();
    assert_eq!(r["message"]["handle_from"], monday_0700);

    // Midsommarafton 2026 (Friday 19 June): the next working day is Monday
    // 22 June, 07:00 CEST.
    let midsommarafton_1000 = 1_781_856_000; // 2026-06-19 10:00 CEST
    s.clock.set(midsommarafton_1000);
    let cw = s.enroll("cw1").await; // sessions do not last a year
    let co = s.enroll("co1").await;
    report(
        &s,
        &cw,
        "ev-mid",
        &data("rep-mid", Some("l5"), midsommarafton_1000),
    )
    .await;
    let c = case(&s, &co.token, "rep-mid").await;
    assert_eq!(c["alarm_group_handle_from"], 1_782_104_400); // 2026-06-22 07:00 CEST
    // R2.13: the case's weekend flag is set whichever side saw it first.
    assert_eq!(
        c["weekend_or_holiday"], true,
        "the server's calendar saw it"
    );
    assert_eq!(c["alarm_group_informed_by"], "cw1");
    s.stop().await;
}
backend_test!(
    r2_13_weekend_reports_t,
    r2_13_weekend_reports_message_the_alarm_group_for_the_next_working_day
);

async fn r2_12_r2_13_dst_nights_compute_17_and_07_local(b: Backend) {
    let s = TestServer::start(b).await;
    world(&s).await;
    more_locks(&s, 2).await;
    // 2026-03-29 01:30 CET, half an hour before clocks go forward.
    let spring = 1_774_744_200;
    s.clock.set(spring);
    let cw = s.enroll("cw1").await;
    let co = s.enroll("co1").await;
    report(
        &s,
        &cw,
        "ev-spring",
        &data("rep-spring", Some("l1"), spring),
    )
    .await;
    let c = case(&s, &co.token, "rep-spring").await;
    assert_eq!(c["night_patrol_deadline_at"], 1_774_796_400); // 17:00 CEST = 15:00 UTC
    assert_eq!(c["alarm_group_handle_from"], 1_774_846_800); // Mon 07:00 CEST = 05:00 UTC
    s.post("/v1/outages/rep-spring/working", &co.token, json!({}))
        .await
        .ok();

    // 2026-10-25 02:30 CEST, the first of the two 02:30s.
    let autumn = 1_792_888_200;
    s.clock.set(autumn);
    let cw = s.enroll("cw1").await;
    let co = s.enroll("co1").await;
    report(
        &s,
        &cw,
        "ev-autumn",
        &data("rep-autumn", Some("l2"), autumn),
    )
    .await;
    let c = case(&s, &co.token, "rep-autumn").await;
    assert_eq!(c["night_patrol_deadline_at"], 1_792_944_000); // 17:00 CET = 16:00 UTC
    assert_eq!(c["alarm_group_handle_from"], 1_792_994_400); // Mon 07:00 CET = 06:00 UTC
    s.stop().await;
}
backend_test!(
    r2_12_r2_13_dst_nights_t,
    r2_12_r2_13_dst_nights_compute_17_and_07_local
);

// R2.13 "Sker driftstopp på helg måste medarbetare på plats meddela
// nattpatrullen så snart som möjligt samt skicka meddelande till
// larmgruppen som tar hand om ärendet nästkommande vardag."
async fn r2_13_the_weekend_starts_at_the_units_own_closing_time(b: Backend) {
    let s = TestServer::start_with(b, |c| {
        c.settings.major_outage_locks = 10;
        c.settings.session_ttl_secs = 14 * 24 * H;
    })
    .await;
    world(&s).await;
    more_locks(&s, 3).await;
    // u1 closes at 16:00 and opens at 08:00.
    let mut st = settings();
    st["office_opens"] = json!("08:00");
    st["office_closes"] = json!("16:00");
    s.req(
        "PUT",
        "/v1/units/u1/settings",
        Some(&s.admin.clone()),
        Some(st),
    )
    .await
    .ok();
    let cw = s.enroll("cw1").await;
    let co = s.enroll("co1").await;
    let friday = DAY0 + 2 * 24 * H; // 2025-01-17 00:00
    let monday_0800 = DAY0 + 5 * 24 * H + 8 * H;
    // Friday 15:30: office; the coordinator's case.
    s.clock.set(friday + 15 * H + 30 * M);
    report(
        &s,
        &cw,
        "ev-1",
        &data("rep-1", Some("l1"), friday + 15 * H + 30 * M),
    )
    .await;
    let c = case(&s, &co.token, "rep-1").await;
    assert_eq!(c["weekend_or_holiday"], false);
    assert!(c["alarm_group_informed_at"].is_null());
    // Friday 16:30, the app not saying so: the unit has closed, it is the
    // weekend: the flag is set and both are told for the worker.
    s.clock.set(friday + 16 * H + 30 * M);
    report(
        &s,
        &cw,
        "ev-2",
        &data("rep-2", Some("l2"), friday + 16 * H + 30 * M),
    )
    .await;
    let c = case(&s, &co.token, "rep-2").await;
    assert_eq!(c["weekend_or_holiday"], true);
    assert_eq!(
        c["alarm_group_handle_from"], monday_0800,
        "the unit opens at 08:00"
    );
    assert_eq!(c["alarm_group_informed_by"], "cw1");
    assert_eq!(c["night_patrol_messaged_by"], "cw1");
    // Monday 07:30 is still the weekend in this unit.
    s.clock.set(monday_0800 - 30 * M);
    report(
        &s,
        &cw,
        "ev-3",
        &data("rep-3", Some("l3"), monday_0800 - 30 * M),
    )
    .await;
    let c = case(&s, &co.token, "rep-3").await;
    assert_eq!(c["weekend_or_holiday"], true);
    assert_eq!(c["alarm_group_handle_from"], monday_0800);
    s.stop().await;
}
backend_test!(
    r2_13_units_closing_time_t,
    r2_13_the_weekend_starts_at_the_units_own_closing_time
);

// R2.10 "Koordinator dokumenterar när elektroniskt låsvred fungerar igen."
async fn r2_10_the_alarm_group_reports_the_lock_repaired_and_the_coordinator_documents(b: Backend) {
    let s = TestServer::start(b).await;
    world(&s).await;
    let cw = s.enroll("cw1").await;
    let co = s.enroll("co1").await;
    let co2 = s.enroll("co2").await;
    let at = s.enroll("at1").await;
    report(&s, &cw, "ev-1", &data("rep-1", Some("l1"), T0)).await;
    // Only the alarm group reports a repair.
    s.post("/v1/outages/rep-1/repaired", &co.token, json!({}))
        .await
        .err(403, "forbidden");
    s.clock.set(T0 + 2 * H);
    let c = s
        .post(
            "/v1/outages/rep-1/repaired",
            &at.token,
            json!({"note": "Nytt batteri och ny motor"}),
        )
        .await
        .ok();
    assert_eq!(c["repaired_at"], T0 + 2 * H);
    assert_eq!(c["repaired_by"], "at1");
    assert_eq!(c["status"], "open", "the coordinator documents it");
    // The case's coordinator is asked to document it, once.
    s.post("/v1/outages/rep-1/repaired", &at.token, json!({}))
        .await
        .ok();
    let m = inbox(&s, &co).await;
    let r210 = with_step(&m, "R2.10");
    assert_eq!(r210.len(), 1);
    assert!(r210[0]["body"].as_str().unwrap().contains("Nytt batteri"));
    assert!(
        with_step(&inbox(&s, &co2).await, "R2.10").is_empty(),
        "another unit's"
    );
    let closed = s
        .post(
            "/v1/outages/rep-1/working",
            &co.token,
            json!({"note": "Provat, fungerar"}),
        )
        .await
        .ok();
    assert_eq!(closed["status"], "closed");
    assert_eq!(closed["closed_by"], "co1");
    s.post("/v1/outages/rep-1/repaired", &at.token, json!({}))
        .await
        .err(409, "conflict");
    s.stop().await;
}
backend_test!(
    r2_10_repaired_then_documented_t,
    r2_10_the_alarm_group_reports_the_lock_repaired_and_the_coordinator_documents
);

// ---------------------------------------------------------------- settings of a unit

async fn r2_12_the_deadline_follows_the_units_setting(b: Backend) {
    let s = TestServer::start(b).await;
    world(&s).await;
    let mut st = settings();
    st["night_patrol_deadline"] = json!("15:30");
    s.req(
        "PUT",
        "/v1/units/u1/settings",
        Some(&s.admin.clone()),
        Some(st),
    )
    .await
    .ok();
    let cw = s.enroll("cw1").await;
    let co = s.enroll("co1").await;
    report(&s, &cw, "ev-1", &data("rep-1", Some("l1"), T0)).await;
    let c = case(&s, &co.token, "rep-1").await;
    assert_eq!(c["night_patrol_deadline_at"], DAY0 + 15 * H + 30 * M);
    s.stop().await;
}
backend_test!(
    r2_12_deadline_setting_t,
    r2_12_the_deadline_follows_the_units_setting
);

// ---------------------------------------------------------------- concurrency

async fn concurrent_reports_open_one_case_per_lock_and_one_suggestion(b: Backend) {
    let s = TestServer::start_with(b, |c| c.settings.major_outage_locks = 4).await;
    world(&s).await;
    more_locks(&s, 4).await;
    let co = s.enroll("co1").await;
    let at = s.enroll("at1").await;
    let mut devices = Vec::new();
    for staff in ["cw1", "cw2", "cw1", "cw2"] {
        devices.push(s.enroll(staff).await);
    }
    // Every device reports every lock at once: 16 reports, 4 locks.
    let mut tasks = Vec::new();
    for (d, dev) in devices.iter().enumerate() {
        for lock in ["l1", "l2", "l3", "l4"] {
            let client = s.client.clone();
            let url = format!("{}/v1/events", s.base);
            let token = dev.token.clone();
            let body = json!({"events": [event(
                &format!("ev-{d}-{lock}"),
                &data(&format!("rep-{d}-{lock}"), Some(lock), T0),
            )]});
            tasks.push(tokio::spawn(async move {
                let r = client
                    .post(url)
                    .bearer_auth(token)
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                (r.status().as_u16(), r.text().await.unwrap())
            }));
        }
    }
    for t in tasks {
        let (status, body) = t.await.unwrap();
        assert_eq!(status, 200, "{body}");
    }
    let open = list(&s, &co.token, "").await;
    assert_eq!(open.len(), 4, "one case per lock: {open:?}");
    for c in &open {
        assert_eq!(c["reports"].as_array().unwrap().len(), 4, "{}", c["id"]);
        assert!(
            c["major_outage_id"].is_null(),
            "only the alarm group declares"
        );
    }
    // R2.3: four locks down: one suggestion to the alarm group, once.
    assert_eq!(with_step(&inbox(&s, &at).await, "R2.3").len(), 1);
    let sug = s.get("/v1/major-outage-suggestions", &at.token).await.ok();
    assert_eq!(sug.as_array().unwrap().len(), 1);
    assert_eq!(sug[0]["locks"], 4);
    assert_eq!(deviations(&s, &co.token, "?kind=minor").await.len(), 4);
    s.stop().await;
}
backend_test!(
    concurrent_reports_t,
    concurrent_reports_open_one_case_per_lock_and_one_suggestion
);

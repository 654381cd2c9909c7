//! The policy's rules beyond "who may call what": the granting rule on
//! changes of role, unit and units served; staff end dates; technicians'
//! keys bound to their booked orders; the audit log.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{Backend, DAY0, H, MARGIN, T0, TestServer, add_lock, b64d, world};
use nyckelfri_protocol::revocation::RevocationList;
use nyckelfri_protocol::token::{Scope, SignedToken};
use nyckelfri_protocol::{Signer, SoftwareKey};
use serde_json::{Value, json};

/// Whether the token is on its lock's signed list (the one the lock gets).
async fn revoked(s: &TestServer, token_id: &str) -> bool {
    let lock: String = sqlx::query_scalar("SELECT lock_id FROM issued_tokens WHERE token_id = $1")
        .bind(hex::decode(token_id).unwrap())
        .fetch_one(s.handle.db().pool())
        .await
        .unwrap();
    let rev = s
        .req("GET", &format!("/v1/revocation?lock_id={lock}"), None, None)
        .await
        .ok();
    let list = RevocationList::verify(
        &b64d(rev["list"].as_str().unwrap()),
        &s.handle.issuer_public_key(),
    )
    .unwrap();
    list.revoked
        .iter()
        .any(|e| hex::encode(e.token_id) == token_id)
}

fn token_for(bundle: &Value, lock: &str) -> String {
    bundle["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["lock_id"] == lock)
        .unwrap_or_else(|| panic!("no token for {lock}: {bundle}"))["token_id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn patch(s: &TestServer, path: &str, token: &str, body: Value) -> common::Resp {
    s.req("PATCH", path, Some(token), Some(body)).await
}

// ---------------------------------------------------------------- the granting rule

async fn changing_a_role_or_unit_follows_the_granting_rule(b: Backend) {
    let s = TestServer::start(b).await;
    world(&s).await;
    let co = s.enroll("co1").await;
    let um = s.enroll("um1").await;
    let ho = s.enroll("ho1").await;
    // A coordinator changes nobody into a coordinator, nor touches a role
    // above their own.
    patch(
        &s,
        "/v1/staff/cw2",
        &co.token,
        json!({"role": "coordinator"}),
    )
    .await
    .err(403, "forbidden");
    patch(&s, "/v1/staff/um1", &co.token, json!({"name": "Renamed"}))
        .await
        .err(403, "forbidden");
    patch(
        &s,
        "/v1/staff/co1",
        &co.token,
        json!({"role": "care_worker"}),
    )
    .await
    .err(403, "forbidden");
    // Nor moves a care worker to another unit.
    patch(&s, "/v1/staff/cw2", &co.token, json!({"unit_id": "u2"}))
        .await
        .err(403, "forbidden");
    // The unit manager makes a care worker a coordinator; the worker's keys
    // end with the old role.
    let cw = s.enroll("cw1").await;
    let tok = token_for(&s.get("/v1/bundle", &cw.token).await.ok(), "l1");
    let r = patch(
        &s,
        "/v1/staff/cw1",
        &um.token,
        json!({"role": "coordinator"}),
    )
    .await
    .ok();
    assert_eq!(r["staff"]["role"], "coordinator");
    assert_eq!(r["tokens_revoked"], 1);
    assert!(revoked(&s, &tok).await);
    // The next session sees the new role at once.
    assert_eq!(
        s.get("/v1/me", &cw.token).await.ok()["staff"]["role"],
        "coordinator"
    );
    // Serving another unit: only who serves that unit grants it, and only
    // to the roles that serve several.
    patch(
        &s,
        "/v1/staff/np1",
        &co.token,
        json!({"serves_unit_ids": ["u2"]}),
    )
    .await
    .err(403, "forbidden");
    patch(
        &s,
        "/v1/staff/cw2",
        &ho.token,
        json!({"serves_unit_ids": ["u2"]}),
    )
    .await
    .err(400, "bad_request");
    let r = patch(
        &s,
        "/v1/staff/np1",
        &ho.token,
        json!({"serves_unit_ids": ["u2"]}),
    )
    .await
    .ok();
    assert_eq!(r["staff"]["serves_unit_ids"], json!(["u2"]));
    // Now the unit manager of u1 no longer manages np1 (who serves u2 too).
    s.post("/v1/staff/np1/enrollment-code", &um.token, json!({}))
        .await
        .err(403, "forbidden");
    // Nobody makes a head of operations but the admin token.
    patch(
        &s,
        "/v1/staff/um1",
        &ho.token,
        json!({"role": "head_of_operations"}),
    )
    .await
    .err(403, "forbidden");
    s.post(
        "/v1/staff",
        &ho.token,
        json!({"unit_id": "u1", "name": "Second head", "role": "head_of_operations"}),
    )
    .await
    .err(403, "forbidden");
    s.stop().await;
}
backend_test!(
    changing_a_role_or_unit_follows_the_granting_rule_t,
    changing_a_role_or_unit_follows_the_granting_rule
);

// ---------------------------------------------------------------- end dates

async fn after_the_end_date_sessions_codes_and_keys_stop(b: Backend) {
    let s = TestServer::start(b).await;
    world(&s).await;
    let um = s.enroll("um1").await;
    let co = s.enroll("co1").await;
    // A temporary care worker whose account ends at 10:15 today, with the
    // 10:00-10:30 visit.
    let end = DAY0 + 10 * H + 900;
    s.post(
        "/v1/staff",
        &um.token,
        json!({"id": "tmp1", "unit_id": "u1", "name": "Vikarie", "role": "care_worker", "ends_at": end}),
    )
    .await
    .ok();
    s.post(
        "/v1/visits",
        &co.token,
        json!({"id": "v-tmp", "brukare_id": "b1", "decision_id": "d1", "staff_id": "tmp1",
               "starts_at": DAY0 + 10 * H, "ends_at": DAY0 + 10 * H + 900}),
    )
    .await
    .ok();
    // A visit past the end is not planned.
    s.post(
        "/v1/visits",
        &co.token,
        json!({"brukare_id": "b1", "decision_id": "d1", "staff_id": "tmp1",
               "starts_at": DAY0 + 11 * H, "ends_at": DAY0 + 11 * H + 900}),
    )
    .await
    .err(400, "bad_request");
    let tmp = s.enroll("tmp1").await;
    let code = s
        .post("/v1/staff/tmp1/enrollment-code", &co.token, json!({}))
        .await
        .ok();
    assert_eq!(code["expires_at"], end, "a code never outlives the account");
    // Keys stop at the end, not at the visit's end plus the margin.
    let bundle = s.get("/v1/bundle", &tmp.token).await.ok();
    let t = &bundle["tokens"][0];
    assert_eq!(t["expires"], end);
    assert!(end < DAY0 + 10 * H + 900 + MARGIN);
    // After the end: no session, no challenge, no enrollment, no code.
    s.clock.set(end);
    s.get("/v1/bundle", &tmp.token)
        .await
        .err(403, "account_ended");
    s.req(
        "POST",
        "/v1/auth/challenge",
        None,
        Some(json!({"device_id": tmp.id})),
    )
    .await
    .err(403, "account_ended");
    let (k, _) = SoftwareKey::generate().unwrap();
    s.req(
        "POST",
        "/v1/enroll",
        None,
        Some(json!({"code": code["code"], "public_key": hex::encode(k.public_key().as_bytes())})),
    )
    .await
    .err(401, "unauthorized");
    s.post("/v1/staff/tmp1/enrollment-code", &co.token, json!({}))
        .await
        .err(403, "account_ended");
    // Moving an end date earlier revokes the keys that outlive it.
    s.clock.set(T0);
    let cw = s.enroll("cw1").await;
    let tok = token_for(&s.get("/v1/bundle", &cw.token).await.ok(), "l1");
    let r = patch(
        &s,
        "/v1/staff/cw1",
        &um.token,
        json!({"ends_at": DAY0 + 10 * H}),
    )
    .await
    .ok();
    assert_eq!(r["tokens_revoked"], 1);
    assert!(revoked(&s, &tok).await);
    // ... and `null` takes the end away again.
    let r = patch(&s, "/v1/staff/cw1", &um.token, json!({"ends_at": null}))
        .await
        .ok();
    assert_eq!(r["staff"]["ends_at"], Value::Null);
    s.stop().await;
}
backend_test!(
    after_the_end_date_sessions_codes_and_keys_stop_t,
    after_the_end_date_sessions_codes_and_keys_stop
);

// ---------------------------------------------------------------- technicians' keys

async fn a_technicians_keys_follow_the_order_booked_for_them(b: Backend) {
    let s = TestServer::start(b).await;
    world(&s).await;
    s.admin_post(
        "/v1/staff",
        json!({"id": "at2", "unit_id": "u1", "name": "Other technician", "role": "alarm_technician"}),
    )
    .await;
    let at = s.enroll("at1").await;
    let at2 = s.enroll("at2").await;
    let co = s.enroll("co1").await;
    // R2.11: home care orders maintenance of l1 (the alarm group itself does
    // not order work for its own keys).
    s.post(
        "/v1/orders/maintenance",
        &at.token,
        json!({"lock_id": "l1", "reason": "Byt batteri"}),
    )
    .await
    .err(403, "forbidden");
    let o = s
        .post(
            "/v1/orders/maintenance",
            &co.token,
            json!({"id": "m1", "lock_id": "l1", "reason": "Byt batteri"}),
        )
        .await
        .ok();
    assert_eq!(o["kind"], "maintenance");
    let ask = |who: &common::Device| {
        let token = who.token.clone();
        let s = &s;
        async move {
            s.post(
                "/v1/tokens",
                &token,
                json!({"lock_id": "l1", "scope": "maintenance"}),
            )
            .await
        }
    };
    // Not booked: no key.
    assert_eq!(ask(&at).await.err(403, "no_key")["reason"], "no_order");
    // Booked for at1 at 13:00: not for at2, and not before then.
    s.post(
        "/v1/orders/m1/scheduled",
        &at.token,
        json!({"scheduled_for": DAY0 + 13 * H}),
    )
    .await
    .ok();
    assert_eq!(ask(&at2).await.err(403, "no_key")["reason"], "no_order");
    assert_eq!(ask(&at).await.err(403, "no_key")["reason"], "order_not_due");
    // Not an installation key for the same lock either.
    let r = s
        .post(
            "/v1/tokens",
            &at.token,
            json!({"lock_id": "l1", "scope": "install"}),
        )
        .await
        .err(403, "no_key");
    assert_eq!(r["reason"], "no_order");
    // From the booked time (less the visits' margin).
    s.clock.set(DAY0 + 13 * H - 600);
    let t = ask(&at).await.ok();
    assert_eq!(t["scope"], "maintenance");
    assert_eq!(t["not_before"], DAY0 + 13 * H - MARGIN);
    assert_eq!(t["decision_id"], "m1");
    let claims = SignedToken::parse(&b64d(t["token"].as_str().unwrap()))
        .unwrap()
        .verify(&s.handle.issuer_public_key())
        .unwrap();
    assert_eq!(claims.scope, Scope::Maintenance);
    // Re-booked for at2: at1's key ends.
    s.post(
        "/v1/orders/m1/scheduled",
        &at.token,
        json!({"scheduled_for": DAY0 + 13 * H, "technician_id": "at2"}),
    )
    .await
    .ok();
    assert!(revoked(&s, t["token_id"].as_str().unwrap()).await);
    assert_eq!(ask(&at).await.err(403, "no_key")["reason"], "no_order");
    // Only the alarm group is booked, and only who serves the unit.
    s.post(
        "/v1/orders/m1/scheduled",
        &at.token,
        json!({"scheduled_for": DAY0 + 13 * H, "technician_id": "cw1"}),
    )
    .await
    .err(400, "bad_request");
    let t2 = ask(&at2).await.ok();
    // Done (by the technician it is booked for): the key ends with it.
    s.post("/v1/orders/m1/done", &at.token, json!({}))
        .await
        .err(403, "forbidden");
    let o = s
        .post(
            "/v1/orders/m1/done",
            &at2.token,
            json!({"note": "Nytt batteri"}),
        )
        .await
        .ok();
    assert_eq!(o["status"], "done");
    assert!(revoked(&s, t2["token_id"].as_str().unwrap()).await);
    assert_eq!(ask(&at2).await.err(403, "no_key")["reason"], "no_order");
    s.stop().await;
}
backend_test!(
    a_technicians_keys_follow_the_order_booked_for_them_t,
    a_technicians_keys_follow_the_order_booked_for_them
);

/// R1.12: a removal key only for the lock of a removal order booked for
/// the technician; cancelling the order (R1.5) revokes it.
async fn r1_12_a_removal_key_needs_the_removal_order(b: Backend) {
    let s = TestServer::start(b).await;
    world(&s).await;
    let at = s.enroll("at1").await;
    let na = s.enroll("na1").await;
    // R1.11 "När en insats upphör meddelar hemtjänsten larmgruppen": ending
    // d1 makes a removal order for l1.
    s.req(
        "PATCH",
        "/v1/decisions/d1",
        Some(&na.token),
        Some(json!({"ends_at": T0 + 3 * H})),
    )
    .await
    .ok();
    let removal = s.get("/v1/orders?kind=removal", &at.token).await.ok()[0].clone();
    let id = removal["id"].as_str().unwrap();
    s.post(
        &format!("/v1/orders/{id}/scheduled"),
        &at.token,
        json!({"scheduled_for": T0}),
    )
    .await
    .ok();
    // A demonstration key is not for a removal.
    let r = s
        .post(
            "/v1/tokens",
            &at.token,
            json!({"lock_id": "l1", "scope": "demo"}),
        )
        .await
        .err(403, "no_key");
    assert_eq!(r["reason"], "no_order");
    let t = s
        .post(
            "/v1/tokens",
            &at.token,
            json!({"lock_id": "l1", "scope": "install"}),
        )
        .await
        .ok();
    assert_eq!(t["decision_id"], id);
    s.post(
        &format!("/v1/orders/{id}/cancel"),
        &at.token,
        json!({"reason": "Brukaren flyttar inte"}),
    )
    .await
    .ok();
    assert!(revoked(&s, t["token_id"].as_str().unwrap()).await);
    s.stop().await;
}
backend_test!(
    r1_12_a_removal_key_needs_the_removal_order_t,
    r1_12_a_removal_key_needs_the_removal_order
);

// ---------------------------------------------------------------- the audit log

async fn the_audit_log_records_writes_reads_and_the_admin_token(b: Backend) {
    let s = TestServer::start(b).await;
    world(&s).await;
    let um = s.enroll("um1").await;
    let co = s.enroll("co1").await;
    let ho = s.enroll("ho1").await;
    let cw = s.enroll("cw1").await;
    // A desk write, with before and after.
    s.post(
        "/v1/staff",
        &um.token,
        json!({"id": "new1", "unit_id": "u1", "name": "Ny", "role": "care_worker"}),
    )
    .await
    .ok();
    patch(
        &s,
        "/v1/staff/new1",
        &um.token,
        json!({"name": "Ny Person"}),
    )
    .await
    .ok();
    // Reads of b1's personal data: the coordinator's, and the worker's day.
    s.get("/v1/brukare/b1", &co.token).await.ok();
    s.get("/v1/bundle", &cw.token).await.ok();
    // Only the head of operations reads the log.
    s.get("/v1/audit", &co.token).await.err(403, "forbidden");
    s.get("/v1/audit", &s.admin.clone())
        .await
        .err(403, "forbidden");

    let by_um = s.get("/v1/audit?staff_id=um1", &ho.token).await.ok();
    let change = by_um
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["operation"] == "PATCH /v1/staff/{id}")
        .unwrap_or_else(|| panic!("{by_um}"));
    assert_eq!(change["action"], "write");
    assert_eq!(change["target_id"], "new1");
    assert_eq!(change["role"], "unit_manager");
    assert_eq!(change["before"]["name"], "Ny");
    assert_eq!(change["after"]["name"], "Ny Person");

    let about_b1 = s.get("/v1/audit?brukare_id=b1", &ho.token).await.ok();
    let who: Vec<(&str, &str)> = about_b1
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "read")
        .map(|e| {
            (
                e["staff_id"].as_str().unwrap(),
                e["operation"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(who.contains(&("co1", "GET /v1/brukare/{id}")), "{who:?}");
    assert!(who.contains(&("cw1", "GET /v1/bundle")), "{who:?}");
    // Every use of the admin token (world() made b1 with it), and door
    // codes never in the log.
    let admin_uses = s.get("/v1/audit?action=admin_use", &ho.token).await.ok();
    assert!(
        admin_uses
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["actor"] == "admin" && e["operation"] == "POST /v1/brukare"),
        "{admin_uses}"
    );
    let everything = s.get("/v1/audit?limit=1000", &ho.token).await.ok();
    assert!(!everything.to_string().contains("Portkod 1234"));
    // Append-only: the database refuses to change or delete an entry.
    let pool = s.handle.db().pool();
    assert!(
        sqlx::query("UPDATE audit_log SET actor = 'nobody'")
            .execute(pool)
            .await
            .is_err()
    );
    assert!(
        sqlx::query("DELETE FROM audit_log")
            .execute(pool)
            .await
            .is_err()
    );
    s.stop().await;
}
backend_test!(
    the_audit_log_records_writes_reads_and_the_admin_token_t,
    the_audit_log_records_writes_reads_and_the_admin_token
);

// ---------------------------------------------------------------- served units

/// The night patrol serving two units gets night keys and messages in
/// both; its coordinator reads only those units.
async fn serving_several_units_reaches_exactly_those(b: Backend) {
    let s = TestServer::start(b).await;
    world(&s).await;
    s.admin_post(
        "/v1/units",
        json!({"id": "u3", "name": "Unit u3", "settings": common::settings()}),
    )
    .await;
    s.admin_post(
        "/v1/staff",
        json!({"id": "np9", "unit_id": "u1", "name": "Natt", "role": "night_patrol",
               "serves_unit_ids": ["u2"]}),
    )
    .await;
    for (bk, unit, lock) in [("b2", "u2", "l2"), ("b3", "u3", "l3")] {
        s.admin_post(
            "/v1/brukare",
            json!({"id": bk, "unit_id": unit, "display_name": "X", "address": "Y"}),
        )
        .await;
        s.admin_post(
            "/v1/decisions",
            json!({"id": format!("d-{bk}"), "brukare_id": bk, "starts_at": 0, "ends_at": DAY0 + 100 * 24 * H}),
        )
        .await;
        add_lock(&s, lock, bk).await;
    }
    // Night shifts in u2 (served) and u3 (not: refused).
    s.admin_post(
        "/v1/shifts",
        json!({"unit_id": "u2", "staff_id": "np9", "kind": "night",
               "starts_at": DAY0 + 21 * H, "ends_at": DAY0 + 31 * H}),
    )
    .await;
    s.req(
        "POST",
        "/v1/shifts",
        Some(&s.admin.clone()),
        Some(json!({"unit_id": "u3", "staff_id": "np9", "kind": "night",
                    "starts_at": DAY0 + 21 * H, "ends_at": DAY0 + 31 * H})),
    )
    .await
    .err(400, "bad_request");
    let np = s.enroll("np9").await;
    let bundle = s.get("/v1/bundle", &np.token).await.ok();
    let locks: Vec<&str> = bundle["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["lock_id"].as_str().unwrap())
        .collect();
    assert_eq!(locks, ["l2"], "{bundle}");
    // R2.12 from u2's coordinator reaches np9's inbox.
    let co2 = s.enroll("co2").await;
    s.post(
        "/v1/messages",
        &co2.token,
        json!({"to_role": "night_patrol", "unit_id": "u2", "routine_step": "R2.12",
               "subject": "Lås ur funktion", "body": "l2"}),
    )
    .await
    .ok();
    let inbox = s.get("/v1/inbox", &np.token).await.ok();
    assert_eq!(inbox[0]["unit_id"], "u2", "{inbox}");
    s.get("/v1/inbox?unit_id=u3", &np.token)
        .await
        .err(403, "forbidden");
    s.get("/v1/units/u2", &np.token).await.ok();
    s.get("/v1/units/u3", &np.token).await.err(403, "forbidden");
    // Once u2 is no longer served, its keys stop.
    let ho = s.enroll("ho1").await;
    let r = patch(
        &s,
        "/v1/staff/np9",
        &ho.token,
        json!({"serves_unit_ids": []}),
    )
    .await
    .ok();
    assert_eq!(r["tokens_revoked"], 1);
    let bundle = s.get("/v1/bundle", &np.token).await.ok();
    assert_eq!(bundle["tokens"], json!([]), "{bundle}");
    let _ = T0;
    s.stop().await;
}
backend_test!(
    serving_several_units_reaches_exactly_those_t,
    serving_several_units_reaches_exactly_those
);

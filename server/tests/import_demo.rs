//! CSV import (all or nothing, an error per bad row) and the demo
//! municipality, on SQLite and PostgreSQL.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{Backend, DAY0, H, MARGIN, T0, TestServer, b64d, world};
use nyckelfri_protocol::revocation::RevocationList;
use nyckelfri_server::model::Role;
use serde_json::{Value, json};

async fn count(s: &TestServer, table: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(s.handle.db().pool())
        .await
        .unwrap()
}

async fn post_csv(s: &TestServer, token: &str, csv: &str) -> common::Resp {
    s.raw(
        "POST",
        "/v1/import/csv",
        Some(token),
        Some("text/csv"),
        csv.as_bytes().to_vec(),
    )
    .await
}

async fn csv_import_is_all_or_nothing(b: Backend) {
    let s = TestServer::start(b).await;
    world(&s).await;
    let admin = s.admin.clone();
    let decisions0 = count(&s, "decisions").await;
    let visits0 = count(&s, "visits").await;

    // Three bad rows among good ones: every one is reported, nothing imported.
    let bad = "kind,id,brukare_id,decision_id,staff_id,starts,ends,service\n\
               decision,d-new,b1,,,2025-01-01,2025-12-31,\n\
               visit,v-a,b1,d-new,cw1,2025-01-15 13:00,13:30,Lunch\n\
               visit,v-b,b1,d-missing,cw1,2025-01-15 14:00,14:30,Tillsyn\n\
               visit,v-c,b-nobody,d1,cw1,2025-01-15 15:00,15:30,\n\
               visit,v-d,b1,d1,cw1,2025-01-15 16:00,15:00,\n";
    let r = post_csv(&s, &admin, bad).await.err(422, "import_failed");
    let rows = r["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 3, "{r}");
    assert_eq!(rows[0]["line"], 4);
    assert!(rows[0]["message"].as_str().unwrap().contains("d-missing"));
    assert_eq!(rows[1]["line"], 5);
    assert!(rows[1]["message"].as_str().unwrap().contains("b-nobody"));
    assert_eq!(rows[2]["line"], 6);
    assert_eq!(count(&s, "decisions").await, decisions0);
    assert_eq!(count(&s, "visits").await, visits0);

    // A good file, Excel style: BOM, semicolons, a comment, a visit before
    // the decision it names, and a night shift whose end is only a time
    // (the next morning).
    let good = "\u{feff}Kind;ID;Brukare_ID;Decision_ID;Staff_ID;Starts;Ends;Service;Shift_Kind\n\
                # exported 2025-01-14\n\
                visit;v-a;b1;d-new;cw2;2025-01-15 13:00;13:30;Lunch;\n\
                decision;d-new;b1;;;2025-01-01;2025-12-31;;\n\
                visit;v-b;b1;d1;cw2;2025-01-15T16:00;2025-01-15 16:45;Tillsyn;\n\
                shift;n-1;;;np1;2025-01-15 21:30;07:30;;night\n";
    let r = post_csv(&s, &admin, good).await.ok();
    assert_eq!(r, json!({"decisions": 1, "visits": 2, "shifts": 1}));
    let cw2 = s.enroll("cw2").await;
    let bundle = s.get("/v1/bundle", &cw2.token).await.ok();
    let visits = bundle["visits"].as_array().unwrap();
    assert_eq!(visits.len(), 2);
    assert_eq!(visits[0]["id"], "v-a");
    assert_eq!(visits[0]["starts_at"], DAY0 + 13 * H);
    assert_eq!(visits[0]["ends_at"], DAY0 + 13 * H + 1800);
    assert_eq!(visits[0]["decision_id"], "d-new");
    let shifts = s.get("/v1/shifts?staff_id=np1", &admin).await.ok();
    assert_eq!(shifts[0]["starts_at"], DAY0 + 21 * H + 1800);
    assert_eq!(shifts[0]["ends_at"], DAY0 + 31 * H + 1800);
    let d = s.get("/v1/decisions/d-new", &admin).await.ok();
    // Through 2025-12-31: ends at 2026-01-01 00:00 CET.
    assert_eq!(d["ends_at"], 1_767_222_000);

    // Importing again updates by id; shortening a decision revokes the
    // tokens that would outlive it (the list is re-signed on next read).
    let token = bundle["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["visit_id"] == "v-a")
        .unwrap();
    let tok = token["token_id"].as_str().unwrap().to_owned();
    let lock = token["lock_id"].as_str().unwrap().to_owned();
    assert!(bundle["revocation_lists"].as_array().unwrap().is_empty());
    let again = "kind,id,brukare_id,starts,ends\ndecision,d-new,b1,2025-01-01,2025-01-15 12:00\n";
    assert_eq!(post_csv(&s, &admin, again).await.ok()["decisions"], 1);
    let rev = s
        .req("GET", &format!("/v1/revocation?lock_id={lock}"), None, None)
        .await
        .ok();
    assert!(rev["epoch"].as_i64().unwrap() > 0);
    let list = RevocationList::verify(
        &b64d(rev["list"].as_str().unwrap()),
        &s.handle.issuer_public_key(),
    )
    .unwrap();
    assert!(list.revoked.iter().any(|e| hex::encode(e.token_id) == tok));
    let bundle = s.get("/v1/bundle", &cw2.token).await.ok();
    let nk: Vec<&Value> = bundle["no_key"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["visit_id"] == "v-a")
        .collect();
    assert_eq!(nk[0]["reason"], "decision_ended");

    // Headers and files that cannot be read.
    post_csv(&s, &admin, "id,starts\nx,y\n")
        .await
        .err(400, "bad_request");
    post_csv(&s, &admin, "kind,id,starts,ends\n")
        .await
        .err(400, "bad_request");
    s.raw(
        "POST",
        "/v1/import/csv",
        Some(&admin),
        Some("text/csv"),
        vec![0xff, 0xfe, 0x00, 0x41],
    )
    .await
    .err(400, "bad_request");
    let r = post_csv(
        &s,
        &admin,
        "kind,id,starts,ends\nmeeting,x,2025-01-15 10:00,11:00\ndecision,,,\n",
    )
    .await
    .err(422, "import_failed");
    assert_eq!(r["rows"].as_array().unwrap().len(), 2);
    // Duplicate ids inside one file.
    let r = post_csv(
        &s,
        &admin,
        "kind,id,brukare_id,decision_id,staff_id,starts,ends\n\
         visit,v-x,b1,d1,cw1,2025-01-16 10:00,10:30\nvisit,v-x,b1,d1,cw1,2025-01-16 11:00,11:30\n",
    )
    .await
    .err(422, "import_failed");
    assert!(r["rows"][0]["message"].as_str().unwrap().contains("twice"));
    // A coordinator imports only the own unit's schedule; a care worker not at all.
    let co2 = {
        let code = s
            .admin_post("/v1/staff/co2/enrollment-code", json!({}))
            .await;
        let (key, _) = nyckelfri_protocol::SoftwareKey::generate().unwrap();
        use nyckelfri_protocol::Signer;
        let e = s
            .req("POST", "/v1/enroll", None, Some(json!({"code": code["code"], "public_key": hex::encode(key.public_key().as_bytes())})))
            .await
            .ok();
        s.session(e["device_id"].as_str().unwrap(), &key).await.ok()["session_token"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let r = post_csv(&s, &co2, "kind,id,brukare_id,decision_id,staff_id,starts,ends\nvisit,v-y,b1,d1,cw1,2025-01-16 10:00,10:30\n")
        .await
        .err(403, "forbidden");
    assert!(
        r["message"]
            .as_str()
            .unwrap()
            .contains("line 2: the brukare belongs to unit 'u1', which you do not serve"),
        "{r}"
    );
    // Each row is the operation it stands for: a decision is the needs
    // assessor's (R1.1), so a coordinator's file may not carry one.
    let r = post_csv(
        &s,
        &co2,
        "kind,id,brukare_id,starts,ends
decision,d-co,b1,2025-01-01,2026-12-31
",
    )
    .await
    .err(403, "forbidden");
    assert!(
        r["message"]
            .as_str()
            .unwrap()
            .contains("may not import decision rows"),
        "{r}"
    );
    let cw = s.enroll("cw1").await;
    post_csv(&s, &cw.token, "kind,id\n")
        .await
        .err(403, "forbidden");
    s.stop().await;
}
backend_test!(csv_import_is_all_or_nothing_t, csv_import_is_all_or_nothing);

async fn the_library_import_takes_the_same_rules(b: Backend) {
    let s = TestServer::start(b).await;
    world(&s).await;
    let db = s.handle.db();
    let err = nyckelfri_server::import_csv(
        db,
        b"kind,id,brukare_id,starts,ends\ndecision,dd,nobody,2025-01-01,2025-02-01\n",
        T0,
    )
    .await
    .unwrap_err();
    match err {
        nyckelfri_server::Error::Import(rows) => {
            assert_eq!(rows.len(), 1);
            assert_eq!(rows[0].line, 2);
        }
        e => panic!("{e}"),
    }
    let ok = nyckelfri_server::import_csv(
        db,
        b"kind,id,brukare_id,starts,ends\ndecision,dd,b1,2025-01-01,2025-02-01\n",
        T0,
    )
    .await
    .unwrap();
    assert_eq!(ok.decisions, 1);
    s.stop().await;
}
backend_test!(
    the_library_import_takes_the_same_rules_t,
    the_library_import_takes_the_same_rules
);

async fn the_demo_municipality_has_every_case(b: Backend) {
    let s = TestServer::start(b).await;
    let today = chrono::NaiveDate::from_ymd_opt(2025, 1, 15).unwrap();
    let summary = nyckelfri_server::load_demo(s.handle.db(), today, T0)
        .await
        .unwrap();
    assert_eq!(summary.units, 2);
    assert_eq!(summary.brukare, 30);
    assert_eq!(summary.staff, 21);
    assert!(summary.visits >= 40, "{} visits", summary.visits);
    assert_eq!(summary.new_lock_keys.len(), summary.locks);
    let roles: std::collections::BTreeSet<&str> = summary
        .enrollment_codes
        .iter()
        .map(|(r, _)| r.as_str())
        .collect();
    assert_eq!(roles.len(), Role::ALL.len(), "every role: {roles:?}");
    let visits = count(&s, "visits").await;

    let code = |id: &str| {
        summary
            .enrollment_codes
            .iter()
            .find(|(_, c)| c.staff_id == id)
            .unwrap()
            .1
            .code
            .clone()
    };
    let enroll = |id: String| {
        let s = &s;
        let code = code(&id);
        async move {
            let (key, _) = nyckelfri_protocol::SoftwareKey::generate().unwrap();
            use nyckelfri_protocol::Signer;
            let e = s
                .req("POST", "/v1/enroll", None, Some(json!({"code": code, "public_key": hex::encode(key.public_key().as_bytes())})))
                .await
                .ok();
            s.session(e["device_id"].as_str().unwrap(), &key).await.ok()["session_token"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };

    // st-tumba-cw1 visits b-tumba-03 (decision ends at 12:00) and
    // b-tumba-15 (lock removed yesterday).
    let cw1 = enroll("st-tumba-cw1".into()).await;
    let bundle = s.get("/v1/bundle", &cw1).await.ok();
    assert_eq!(
        bundle["unit"]["settings"]["night_key_location"],
        "Orrens servicehus, nattpatrullens nyckelskåp"
    );
    let noon = DAY0 + 12 * H;
    let lunch = bundle["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| {
            t["lock_id"] == "l-tumba-03" && t["visit_id"].as_str().unwrap().ends_with("lunch")
        })
        .unwrap();
    assert_eq!(lunch["expires"], noon);
    let reasons: Vec<(String, String)> = bundle["no_key"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["lock_id"].as_str().unwrap().to_owned(),
                n["reason"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert!(
        reasons.contains(&("l-tumba-03".into(), "decision_ended".into())),
        "{reasons:?}"
    );
    assert!(
        reasons.contains(&("l-tumba-15".into(), "lock_removed".into())),
        "{reasons:?}"
    );
    // st-alby-cw2 visits b-alby-07, whose decision ended at midnight.
    let acw2 = enroll("st-alby-cw2".into()).await;
    let bundle = s.get("/v1/bundle", &acw2).await.ok();
    assert!(
        bundle["no_key"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["lock_id"] == "l-alby-07" && n["reason"] == "decision_ended")
    );
    // The night patrol gets tonight's keys for Tumba.
    let np = enroll("st-natt-1".into()).await;
    let bundle = s.get("/v1/bundle", &np).await.ok();
    let t = bundle["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["lock_id"] == "l-tumba-01")
        .unwrap();
    assert_eq!(t["not_before"], DAY0 + 21 * H + 1800 - MARGIN);
    assert!(
        bundle["tokens"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["lock_id"] == "l-tumba-05-port")
    );
    assert!(
        !bundle["tokens"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["lock_id"].as_str().unwrap().starts_with("l-alby"))
    );

    // Loading again adds nothing and keeps the lock keys.
    let again = nyckelfri_server::load_demo(s.handle.db(), today, T0)
        .await
        .unwrap();
    assert!(again.new_lock_keys.is_empty());
    assert_eq!(count(&s, "visits").await, visits);
    assert_eq!(count(&s, "decisions").await, 30);
    s.stop().await;
}
backend_test!(
    the_demo_municipality_has_every_case_t,
    the_demo_municipality_has_every_case
);

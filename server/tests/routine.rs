//! Issue 16, the routine where it matters, on the server (SQLite and
//! PostgreSQL): a major outage is the municipality's and reaches every
//! manager by email (R2.3, R2.4, R2.14, R2.16); decisions that simply end
//! and services that end make removal orders (R1.5, R1.11, R1.12);
//! messages reach who serves the unit (R2.7, R1.10); the brukare's receipt
//! is verified before a lock goes into service (R1.9). Each test names the
//! step and quotes the Swedish routine.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::smtp::SmtpSink;
use common::{Backend, DAY0, Device, H, T0, TestServer, add_lock, world};
use nyckelfri_protocol::{Signer, SoftwareKey};
use serde_json::{Value, json};

const M: i64 = 60;

fn report_data(report_id: &str, lock: &str, at: i64) -> Value {
    json!({
        "report_id": report_id, "lock_id": lock, "cause": "lock_not_found", "occurred_at": at,
        "steps": [{"id": "R2.6", "done_at": at}, {"id": "R2.9", "done_at": at}],
        "weekend_or_holiday": false, "night": false,
    })
}

async fn report(s: &TestServer, dev: &Device, report_id: &str, lock: &str, at: i64) {
    let d = report_data(report_id, lock, at);
    s.post(
        "/v1/events",
        &dev.token,
        json!({"events": [{"id": format!("ev-{report_id}"), "kind": "outage_report",
               "occurred_at": at, "lock_id": lock, "data": d}]}),
    )
    .await
    .ok();
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

async fn removal_orders(s: &TestServer, dev: &Device) -> Vec<Value> {
    s.get("/v1/orders?kind=removal", &dev.token)
        .await
        .ok()
        .as_array()
        .unwrap()
        .clone()
}

async fn scheduler(s: &TestServer) -> Value {
    s.post("/v1/scheduler/run", &s.admin.clone(), json!({}))
        .await
        .ok()
}

/// A brukare in `unit` with a long decision and an installed lock.
async fn brukare_with_lock(s: &TestServer, unit: &str, b: &str, lock: &str) {
    s.admin_post(
        "/v1/brukare",
        json!({"id": b, "unit_id": unit, "display_name": format!("Brukare {b}"),
               "address": format!("Exempelvägen {}", b.len() * 7), "entry_notes": "Portkod 8642"}),
    )
    .await;
    s.admin_post(
        "/v1/decisions",
        json!({"id": format!("d-{b}"), "brukare_id": b, "starts_at": DAY0 - 100 * 24 * H,
               "ends_at": DAY0 + 300 * 24 * H}),
    )
    .await;
    add_lock(s, lock, b).await;
}

async fn staff(s: &TestServer, id: &str, unit: &str, role: &str, serves: &[&str]) {
    s.admin_post(
        "/v1/staff",
        json!({"id": id, "unit_id": unit, "name": format!("Staff {id}"), "role": role,
               "serves_unit_ids": serves}),
    )
    .await;
}

async fn contacts(s: &TestServer) {
    for (id, name, email, org, role, external, active) in [
        (
            "c-um1",
            "Helena Vik",
            "helena.vik@kommun.example",
            "Botkyrka kommun",
            "unit_manager",
            false,
            true,
        ),
        (
            "c-um2",
            "Anders Lund",
            "anders.lund@kommun.example",
            "Botkyrka kommun",
            "unit_manager",
            false,
            true,
        ),
        (
            "c-ext",
            "Kim Berg",
            "kim.berg@omsorg-ab.example",
            "Omsorg AB (extern utförare)",
            "unit_manager",
            true,
            true,
        ),
        (
            "c-vc",
            "Eva Grahn",
            "eva.grahn@kommun.example",
            "Botkyrka kommun",
            "head_of_operations",
            false,
            true,
        ),
        (
            "c-old",
            "Slutat",
            "slutat@kommun.example",
            "Botkyrka kommun",
            "unit_manager",
            false,
            false,
        ),
    ] {
        s.admin_post(
            "/v1/manager-contacts",
            json!({"id": id, "name": name, "email": email, "organisation": org, "role": role,
                   "external": external, "active": active}),
        )
        .await;
    }
}

fn recipients(mails: &[Value]) -> Vec<String> {
    let mut r: Vec<String> = mails
        .iter()
        .flat_map(|m| m["rcpt_tos"].as_array().unwrap().clone())
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    r.sort();
    r
}

const ACTIVE: [&str; 4] = [
    "anders.lund@kommun.example",
    "eva.grahn@kommun.example",
    "helena.vik@kommun.example",
    "kim.berg@omsorg-ab.example",
];

// ---------------------------------------------------------------- R2.3, R2.4, R2.14, R2.16

// R2.3 "Larmgruppen informerar omgående sin enhetschef om det är ett stort
// driftstopp där samtliga låsvred är ur funktion som kräver samordnande
// insatser." R2.4 "… kontaktar omgående samtliga enhetschefer (även
// externa) och verksamhetschef … Enhetschefen uppdaterar alla
// kontinuerligt." R2.14 "Denne meddelar samtliga enhetschefer via mail när
// de elektroniska låsvreden är ur funktion och när de är åter i funktion."
async fn r2_3_r2_4_r2_14_the_alarm_group_declares_a_major_outage_and_every_manager_gets_each_notice_by_email(
    b: Backend,
) {
    let smtp = SmtpSink::start();
    let url = smtp.url();
    let s = TestServer::start_with(b, move |c| {
        c.settings.mail = Some(nyckelfri_server::MailSettings {
            smtp_url: url,
            from: "Nyckelfri <nyckelfri@kommun.example>".into(),
        });
    })
    .await;
    world(&s).await;
    brukare_with_lock(&s, "u2", "b21", "l21").await;
    staff(&s, "um2", "u2", "unit_manager", &[]).await;
    staff(&s, "cw21", "u2", "care_worker", &[]).await;
    contacts(&s).await;
    let cw = s.enroll("cw1").await;
    let cw21 = s.enroll("cw21").await;
    let at = s.enroll("at1").await;
    let co = s.enroll("co1").await;
    let um1 = s.enroll("um1").await;
    let um2 = s.enroll("um2").await;
    let ho = s.enroll("ho1").await;
    // Locks down in two units.
    report(&s, &cw, "rep-1", "l1", T0).await;
    report(&s, &cw21, "rep-21", "l21", T0 + M).await;

    // Only the alarm group declares.
    let summary = "Leverantörens server svarar inte sedan 08:40: låsvreden i kommunen \
                   öppnar inte. Använd extranycklar.";
    for dev in [&cw, &co] {
        s.post("/v1/major-outages", &dev.token, json!({"summary": summary}))
            .await
            .err(403, "forbidden");
    }
    // No brukare's name, address or door code goes out by email.
    for bad in [
        "Astrid B. kommer inte in",
        "Problem på Demogatan 1",
        "Portkoden 1234 fungerar",
        "Brukare 19450312-1234",
    ] {
        s.post("/v1/major-outages", &at.token, json!({"summary": bad}))
            .await
            .err(400, "bad_request");
    }
    s.clock.set(T0 + 5 * M);
    let m = s
        .post(
            "/v1/major-outages",
            &at.token,
            json!({"id": "stor-1", "summary": summary}),
        )
        .await
        .ok();
    assert_eq!(m["status"], "open");
    assert_eq!(m["declared_by"], "at1");
    // The municipality's: both units' cases are in it.
    assert_eq!(m["outage_ids"], json!(["rep-1", "rep-21"]));
    assert_eq!(m["unit_ids"], json!(["u1", "u2"]));
    assert_eq!(m["locks"], 2);
    // R2.16: the head of operations writes the deviation.
    let dev_id = m["deviation_id"].as_str().unwrap().to_owned();
    let devs = s.get("/v1/deviations?kind=major", &ho.token).await.ok();
    assert_eq!(devs[0]["id"], dev_id.as_str());
    assert_eq!(devs[0]["assigned_to"], "ho1");
    assert_eq!(devs[0]["major_outage_id"], "stor-1");
    // A second declaration while it lasts: 409; the same id again: as it is.
    s.post("/v1/major-outages", &at.token, json!({"summary": "Igen"}))
        .await
        .err(409, "conflict");
    let again = s
        .post(
            "/v1/major-outages",
            &at.token,
            json!({"id": "stor-1", "summary": summary}),
        )
        .await
        .ok();
    assert_eq!(again["notices"].as_array().unwrap().len(), 1);

    // Inboxes: R2.3 to the alarm group's unit manager (at1's unit, u1);
    // R2.4 to every unit manager and the head of operations.
    assert_eq!(with_step(&inbox(&s, &um1).await, "R2.3").len(), 1);
    assert!(with_step(&inbox(&s, &um2).await, "R2.3").is_empty());
    for dev in [&um1, &um2, &ho] {
        assert_eq!(
            with_step(&inbox(&s, dev).await, "R2.4").len(),
            1,
            "{}",
            dev.staff_id
        );
    }
    // Email: every active contact, external providers' too, once.
    let mails = smtp.wait_for(4).await;
    assert_eq!(recipients(&mails), ACTIVE);
    for mail in &mails {
        assert!(
            mail["subject"]
                .as_str()
                .unwrap()
                .starts_with("Stort driftstopp")
        );
        assert_eq!(mail["from"], "Nyckelfri <nyckelfri@kommun.example>");
        let body = mail["body"].as_str().unwrap();
        assert!(body.contains("Leverantörens server svarar inte"), "{body}");
        assert!(
            body.contains("2 låsvred ur funktion i 2 enhet(er)"),
            "{body}"
        );
        assert!(body.contains("— In English —"), "{body}");
        // No brukare's name, address or door code.
        let raw = mail["raw"].as_str().unwrap();
        for secret in ["Astrid", "Demogatan", "1234", "b21", "8642", "Exempelvägen"] {
            assert!(
                !body.contains(secret) && !raw.contains(secret),
                "{secret} in {body}"
            );
        }
    }

    // R2.4: an update reaches everyone; a retry sends nothing again.
    s.clock.set(T0 + 30 * M);
    s.post(
        "/v1/major-outages/stor-1/updates",
        &at.token,
        json!({"text": "Ring Astrid B. först"}),
    )
    .await
    .err(400, "bad_request");
    for _ in 0..2 {
        s.post(
            "/v1/major-outages/stor-1/updates",
            &at.token,
            json!({"id": "upd-1", "text": "Leverantören felsöker; ny lägesbild kl 10:00."}),
        )
        .await
        .ok();
    }
    let mails = smtp.wait_for(8).await;
    assert_eq!(mails.len(), 8);
    let updates: Vec<&Value> = mails
        .iter()
        .filter(|m| m["subject"].as_str().unwrap().starts_with("Uppdatering"))
        .collect();
    assert_eq!(updates.len(), 4);
    assert!(
        updates[0]["body"]
            .as_str()
            .unwrap()
            .contains("ny lägesbild kl 10:00")
    );
    for dev in [&um1, &um2, &ho] {
        assert_eq!(
            with_step(&inbox(&s, dev).await, "R2.4").len(),
            2,
            "{}",
            dev.staff_id
        );
    }
    // A case opened while it lasts is part of it.
    report(&s, &cw, "rep-3", "l1", T0 + 31 * M).await; // joins l1's open case
    brukare_with_lock(&s, "u1", "b9", "l9").await;
    report(&s, &cw, "rep-9", "l9", T0 + 32 * M).await;
    let m = s.get("/v1/major-outages/stor-1", &ho.token).await.ok();
    assert_eq!(m["locks"], 3);

    // R2.14: the end reaches everyone; the cases stay open for R2.10.
    s.clock.set(T0 + 2 * H);
    let m = s
        .post("/v1/major-outages/stor-1/end", &at.token, json!({}))
        .await
        .ok();
    assert_eq!(m["status"], "ended");
    assert_eq!(m["ended_at"], T0 + 2 * H);
    let mails = smtp.wait_for(12).await;
    let ends: Vec<&Value> = mails
        .iter()
        .filter(|m| {
            m["subject"]
                .as_str()
                .unwrap()
                .starts_with("Låsvreden fungerar igen")
        })
        .collect();
    assert_eq!(ends.len(), 4);
    for dev in [&um1, &um2, &ho] {
        assert_eq!(with_step(&inbox(&s, dev).await, "R2.14").len(), 1);
    }
    assert_eq!(
        s.get("/v1/outages/rep-1", &co.token).await.ok()["status"],
        "open"
    );
    s.post(
        "/v1/major-outages/stor-1/updates",
        &at.token,
        json!({"text": "x"}),
    )
    .await
    .err(409, "conflict");
    // Every notice's emails were sent.
    let m = s.get("/v1/major-outages/stor-1", &ho.token).await.ok();
    for n in m["notices"].as_array().unwrap() {
        assert_eq!(n["emails_sent"], 4, "{n}");
        assert_eq!(n["emails_pending"], 0);
    }
    // Nothing more arrives.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(smtp.messages().len(), 12);
    s.stop().await;
}
backend_test!(
    r2_3_r2_4_r2_14_major_outage_email_t,
    r2_3_r2_4_r2_14_the_alarm_group_declares_a_major_outage_and_every_manager_gets_each_notice_by_email
);

// R2.4 (loses nothing): with the relay down the emails wait and are sent
// once it answers.
async fn r2_4_emails_wait_while_the_relay_is_down(b: Backend) {
    let port = SmtpSink::free_port();
    let s = TestServer::start_with(b, move |c| {
        c.settings.mail = Some(nyckelfri_server::MailSettings {
            smtp_url: format!("smtp://127.0.0.1:{port}"),
            from: "nyckelfri@kommun.example".into(),
        });
    })
    .await;
    world(&s).await;
    contacts(&s).await;
    let at = s.enroll("at1").await;
    s.post(
        "/v1/major-outages",
        &at.token,
        json!({"id": "stor-2", "summary": "Appen fungerar inte för någon sedan 09:00."}),
    )
    .await
    .ok();
    let run = scheduler(&s).await;
    assert_eq!(run["emails_sent"], 0);
    let m = s.get("/v1/major-outages/stor-2", &at.token).await.ok();
    assert_eq!(m["notices"][0]["emails_pending"], 4);
    // The relay comes back; after the pause the scheduler sends them, once.
    let smtp = SmtpSink::start_on(port);
    s.clock.set(T0 + 10 * M);
    let run = scheduler(&s).await;
    assert_eq!(run["emails_sent"], 4, "{run}");
    assert_eq!(recipients(&smtp.wait_for(4).await), ACTIVE);
    assert_eq!(scheduler(&s).await["emails_sent"], 0);
    s.stop().await;
}
backend_test!(
    r2_4_emails_wait_relay_down_t,
    r2_4_emails_wait_while_the_relay_is_down
);

// R2.3: "Om det visar sig att det är ett större driftstopp som påverkar
// flera brukare kontaktar larmgruppen sin enhetschef." Many locks down
// across units are one suggestion to the alarm group, not one escalation
// per unit, and never a declaration by the server.
async fn r2_3_many_locks_down_across_units_suggest_one_major_outage_to_the_alarm_group(b: Backend) {
    let s = TestServer::start_with(b, |c| c.settings.major_outage_locks = 3).await;
    world(&s).await;
    brukare_with_lock(&s, "u1", "b2", "l2").await;
    brukare_with_lock(&s, "u2", "b21", "l21").await;
    brukare_with_lock(&s, "u2", "b22", "l22").await;
    brukare_with_lock(&s, "u2", "b23", "l23").await;
    staff(&s, "cw21", "u2", "care_worker", &[]).await;
    staff(&s, "um2", "u2", "unit_manager", &[]).await;
    let cw = s.enroll("cw1").await;
    let cw21 = s.enroll("cw21").await;
    let at = s.enroll("at1").await;
    let um1 = s.enroll("um1").await;
    let um2 = s.enroll("um2").await;
    let ho = s.enroll("ho1").await;
    report(&s, &cw, "rep-1", "l1", T0).await;
    report(&s, &cw21, "rep-21", "l21", T0 + 10 * M).await;
    assert!(with_step(&inbox(&s, &at).await, "R2.3").is_empty());
    report(&s, &cw, "rep-2", "l2", T0 + 20 * M).await;
    // One suggestion, to the alarm group only.
    let sug = s.get("/v1/major-outage-suggestions", &at.token).await.ok();
    assert_eq!(sug.as_array().unwrap().len(), 1);
    assert_eq!(sug[0]["locks"], 3);
    assert_eq!(sug[0]["unit_ids"], json!(["u1", "u2"]));
    let r23 = inbox(&s, &at).await;
    assert_eq!(with_step(&r23, "R2.3").len(), 1);
    assert!(r23[0]["unit_id"].is_null(), "the alarm group of every unit");
    for dev in [&um1, &um2, &ho] {
        let m = inbox(&s, dev).await;
        assert!(with_step(&m, "R2.3").is_empty() && with_step(&m, "R2.4").is_empty());
    }
    assert!(
        s.get("/v1/major-outages", &at.token)
            .await
            .ok()
            .as_array()
            .unwrap()
            .is_empty(),
        "the server does not declare"
    );
    assert!(
        s.get("/v1/deviations?kind=major", &ho.token)
            .await
            .ok()
            .as_array()
            .unwrap()
            .is_empty()
    );
    // More locks grow the suggestion; nobody is asked twice.
    report(&s, &cw21, "rep-22", "l22", T0 + 25 * M).await;
    assert_eq!(with_step(&inbox(&s, &at).await, "R2.3").len(), 1);
    let sug = s.get("/v1/major-outage-suggestions", &at.token).await.ok();
    assert_eq!(sug[0]["locks"], 4);
    // The alarm group judges it not a major outage: a coordinator may not.
    let id = sug[0]["id"].as_str().unwrap().to_owned();
    let co = s.enroll("co1").await;
    s.post(
        &format!("/v1/major-outage-suggestions/{id}/dismiss"),
        &co.token,
        json!({}),
    )
    .await
    .err(403, "forbidden");
    let d = s
        .post(
            &format!("/v1/major-outage-suggestions/{id}/dismiss"),
            &at.token,
            json!({}),
        )
        .await
        .ok();
    assert_eq!(d["status"], "dismissed");
    // One more lock soon after is not asked again.
    report(&s, &cw21, "rep-23", "l23", T0 + 30 * M).await;
    assert_eq!(with_step(&inbox(&s, &at).await, "R2.3").len(), 1);
    assert!(
        s.get("/v1/major-outage-suggestions", &at.token)
            .await
            .ok()
            .as_array()
            .unwrap()
            .is_empty()
    );
    s.stop().await;
}
backend_test!(
    r2_3_suggestion_across_units_t,
    r2_3_many_locks_down_across_units_suggest_one_major_outage_to_the_alarm_group
);

// ---------------------------------------------------------------- R1.5, R1.11, R1.12

// R1.11 "När en insats avslutas informerar hemtjänsten larmgruppen genom
// meddelandehanteringen att låsvredet ska avinstalleras." A decision that
// simply reaches its recorded end date makes the removal order.
async fn r1_11_a_decision_that_reaches_its_end_date_makes_a_removal_order(b: Backend) {
    let s = TestServer::start(b).await;
    world(&s).await;
    // b2's decision ends at 11:00 today, as recorded: nobody edits it.
    s.admin_post(
        "/v1/brukare",
        json!({"id": "b2", "unit_id": "u1", "display_name": "Gunnar L.", "address": "Demogatan 2"}),
    )
    .await;
    s.admin_post(
        "/v1/decisions",
        json!({"id": "d2", "brukare_id": "b2", "starts_at": DAY0 - 100 * 24 * H,
               "ends_at": T0 + 2 * H}),
    )
    .await;
    add_lock(&s, "l2", "b2").await;
    let at = s.enroll("at1").await;
    s.clock.set(T0 + H);
    assert_eq!(scheduler(&s).await["care_ended"], 0);
    assert!(removal_orders(&s, &at).await.is_empty());
    s.clock.set(T0 + 2 * H);
    assert_eq!(scheduler(&s).await["care_ended"], 1);
    let r = removal_orders(&s, &at).await;
    assert_eq!(r.len(), 1);
    assert_eq!(r[0]["lock_id"], "l2");
    assert_eq!(r[0]["reason"], "decision_ended");
    assert_eq!(r[0]["decision_id"], "d2");
    assert_eq!(r[0]["due_at"], T0 + 2 * H);
    let m = inbox(&s, &at).await;
    assert_eq!(with_step(&m, "R1.11").len(), 1);
    // Idempotent: again, and two runs at once (as two instances would),
    // make nothing new.
    s.clock.set(T0 + 3 * H);
    assert_eq!(scheduler(&s).await["care_ended"], 0);
    let state = s.handle.state();
    let (a, b2) = tokio::join!(
        nyckelfri_server::scheduler::tick(state, T0 + 4 * H),
        nyckelfri_server::scheduler::tick(state, T0 + 4 * H)
    );
    assert_eq!(a.unwrap().care_ended + b2.unwrap().care_ended, 0);
    assert_eq!(removal_orders(&s, &at).await.len(), 1);
    assert_eq!(with_step(&inbox(&s, &at).await, "R1.11").len(), 1);
    s.stop().await;
}
backend_test!(
    r1_11_decision_end_date_t,
    r1_11_a_decision_that_reaches_its_end_date_makes_a_removal_order
);

// Two runs at once on one database (as two instances would): one order.
async fn r1_11_two_schedulers_at_once_make_one_removal_order(b: Backend) {
    let s = TestServer::start(b).await;
    world(&s).await;
    for i in 2..=6 {
        let bid = format!("b{i}");
        s.admin_post(
            "/v1/brukare",
            json!({"id": bid, "unit_id": "u1", "display_name": "X", "address": "Y"}),
        )
        .await;
        s.admin_post(
            "/v1/decisions",
            json!({"id": format!("d{i}"), "brukare_id": bid, "starts_at": DAY0 - 10 * 24 * H,
                   "ends_at": T0 - H}),
        )
        .await;
        add_lock(&s, &format!("l{i}"), &bid).await;
    }
    let state = s.handle.state();
    let runs = futures_join(state).await;
    assert_eq!(runs, 5, "each brukare once across both runs");
    let at = s.enroll("at1").await;
    let r = s.get("/v1/orders?kind=removal", &at.token).await.ok();
    assert_eq!(r.as_array().unwrap().len(), 5);
    assert_eq!(with_step(&inbox(&s, &at).await, "R1.11").len(), 5);
    s.stop().await;
}
backend_test!(
    r1_11_two_schedulers_t,
    r1_11_two_schedulers_at_once_make_one_removal_order
);

async fn futures_join(state: &nyckelfri_server::AppState) -> u32 {
    let (a, b) = tokio::join!(
        nyckelfri_server::scheduler::tick(state, T0),
        nyckelfri_server::scheduler::tick(state, T0)
    );
    a.unwrap().care_ended + b.unwrap().care_ended
}

// R1.5 "Hemtjänsten ansvarar för att informera larmgruppen om ett låsvred
// behöver avinstalleras eller om en planerad installation inte längre är
// aktuell …" R1.11 (above), R1.12 "Larmgruppen tar kontakt med berörda
// parter och genomför nedmonteringen enligt etablerade rutiner." — and the
// night patrol learns that the lock is gone.
async fn r1_5_r1_11_r1_12_home_care_says_the_service_ended_while_the_decision_remains(b: Backend) {
    let s = TestServer::start(b).await;
    world(&s).await;
    let co = s.enroll("co1").await;
    let co2 = s.enroll("co2").await;
    let cw = s.enroll("cw1").await;
    let at = s.enroll("at1").await;
    let np = s.enroll("np1").await;
    // An entrance lock is planned for b1 too (R1.4).
    s.post(
        "/v1/orders/entrance",
        &co.token,
        json!({"id": "ord-port", "brukare_id": "b1", "building_address": "Demogatan 1",
               "brukare_has_alarm": false}),
    )
    .await
    .ok();
    for dev in [&cw, &co2] {
        s.post("/v1/brukare/b1/service-ended", &dev.token, json!({}))
            .await
            .err(403, "forbidden");
    }
    let ends = T0 + 24 * H;
    let r = s
        .post(
            "/v1/brukare/b1/service-ended",
            &co.token,
            json!({"ended_at": ends, "note": "Flyttar till särskilt boende"}),
        )
        .await
        .ok();
    let rm = &r["removal_orders"];
    assert_eq!(rm.as_array().unwrap().len(), 1);
    assert_eq!(rm[0]["lock_id"], "l1");
    assert_eq!(rm[0]["reason"], "service_ended");
    assert_eq!(rm[0]["due_at"], ends);
    assert_eq!(rm[0]["created_by"], "co1");
    assert_eq!(r["cancelled_orders"][0]["id"], "ord-port");
    assert_eq!(r["cancelled_orders"][0]["status"], "cancelled");
    // The decision remains valid: today's keys are still issued.
    let d = s.get("/v1/decisions/d1", &co.token).await.ok();
    assert_eq!(d["valid_now"], true);
    // The alarm group got home care's message (R1.11), from the coordinator.
    let m = inbox(&s, &at).await;
    let r111 = with_step(&m, "R1.11");
    assert_eq!(r111.len(), 1);
    assert_eq!(r111[0]["from_staff_id"], "co1");
    assert!(
        r111[0]["body"]
            .as_str()
            .unwrap()
            .contains("Flyttar till särskilt boende")
    );
    // Saying it again changes nothing new.
    s.post(
        "/v1/brukare/b1/service-ended",
        &co.token,
        json!({"ended_at": ends}),
    )
    .await
    .ok();
    assert_eq!(with_step(&inbox(&s, &at).await, "R1.11").len(), 1);
    // The day it falls due the alarm group is reminded, once (R1.12).
    let order = rm[0]["id"].as_str().unwrap().to_owned();
    s.clock.set(ends + M);
    assert_eq!(scheduler(&s).await["orders_due"], 1);
    assert_eq!(scheduler(&s).await["orders_due"], 0);
    assert_eq!(with_step(&inbox(&s, &at).await, "R1.12").len(), 1);
    // R1.12: contact first, then removal.
    s.post("/v1/locks/l1/remove", &at.token, json!({}))
        .await
        .err(409, "conflict");
    s.post(
        &format!("/v1/orders/{order}/contacts"),
        &cw.token,
        json!({"party": "brukaren"}),
    )
    .await
    .err(403, "forbidden");
    s.post(
        &format!("/v1/orders/{order}/contacts"),
        &at.token,
        json!({"party": "brukarens dotter", "note": "Nyckel lämnas till henne"}),
    )
    .await
    .ok();
    s.post("/v1/locks/l1/remove", &at.token, json!({}))
        .await
        .ok();
    let o = s.get(&format!("/v1/orders/{order}"), &at.token).await.ok();
    assert_eq!(o["status"], "removed");
    assert_eq!(o["contacts"][0]["party"], "brukarens dotter");
    // The night patrol learns that the lock is gone.
    let m = inbox(&s, &np).await;
    let gone = with_step(&m, "R1.12");
    assert_eq!(gone.len(), 1, "{m:?}");
    assert_eq!(gone[0]["lock_id"], "l1");
    assert!(gone[0]["body"].as_str().unwrap().contains("borttaget"));
    s.stop().await;
}
backend_test!(
    r1_5_r1_11_r1_12_service_ended_t,
    r1_5_r1_11_r1_12_home_care_says_the_service_ended_while_the_decision_remains
);

// ---------------------------------------------------------------- R2.7, R1.10

// R2.7 "Om det har gått ut kontaktar koordinator biståndshandläggaren." The
// needs assessor who serves the brukare's unit gets it, wherever they are
// registered; one who does not serve it does not.
async fn r2_7_the_needs_assessor_serving_the_unit_gets_the_message(b: Backend) {
    let s = TestServer::start(b).await;
    world(&s).await;
    staff(&s, "na2", "u2", "needs_assessor", &["u1"]).await;
    staff(&s, "na3", "u2", "needs_assessor", &[]).await;
    // b2's decision ended yesterday; its lock fails today.
    s.admin_post(
        "/v1/brukare",
        json!({"id": "b2", "unit_id": "u1", "display_name": "Gunnar L.", "address": "Demogatan 2"}),
    )
    .await;
    s.admin_post(
        "/v1/decisions",
        json!({"id": "d2", "brukare_id": "b2", "starts_at": DAY0 - 100 * 24 * H,
               "ends_at": DAY0 - 24 * H}),
    )
    .await;
    add_lock(&s, "l2", "b2").await;
    let cw = s.enroll("cw1").await;
    let co = s.enroll("co1").await;
    let na1 = s.enroll("na1").await;
    let na2 = s.enroll("na2").await;
    let na3 = s.enroll("na3").await;
    report(&s, &cw, "rep-2", "l2", T0).await;
    let r = s
        .post("/v1/outages/rep-2/needs-assessor", &co.token, json!({}))
        .await
        .ok();
    let mut told: Vec<String> = r["message"]["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    told.sort();
    assert_eq!(told, ["na1", "na2"]);
    for (dev, sees) in [(&na1, true), (&na2, true), (&na3, false)] {
        let m = inbox(&s, dev).await;
        assert_eq!(
            with_step(&m, "R2.7").len(),
            usize::from(sees),
            "{}",
            dev.staff_id
        );
    }
    let id = r["message"]["id"].as_str().unwrap().to_owned();
    s.post(&format!("/v1/messages/{id}/read"), &na2.token, json!({}))
        .await
        .ok();
    s.post(&format!("/v1/messages/{id}/read"), &na3.token, json!({}))
        .await
        .err(403, "forbidden");
    s.stop().await;
}
backend_test!(
    r2_7_needs_assessor_serving_t,
    r2_7_the_needs_assessor_serving_the_unit_gets_the_message
);

// ---------------------------------------------------------------- R1.9

// R1.9 "Brukaren bekräftar installationen genom att skriva under
// kvittensen och ett ansvarsavtal." Attacks on the receipt, each refused.
async fn r1_9_only_a_verified_receipt_puts_a_lock_in_service(b: Backend) {
    let s = TestServer::start(b).await;
    world(&s).await;
    staff(&s, "at2", "u1", "alarm_technician", &[]).await;
    s.admin_post(
        "/v1/brukare",
        json!({"id": "b5", "unit_id": "u1", "display_name": "Elsa N.", "address": "Demogatan 41"}),
    )
    .await;
    s.admin_post(
        "/v1/decisions",
        json!({"id": "d5", "brukare_id": "b5", "starts_at": DAY0 - 24 * H, "ends_at": DAY0 + 90 * 24 * H}),
    )
    .await;
    // Home care's order, booked for the technician (no order, no
    // installation).
    s.admin_post(
        "/v1/orders/existing-brukare",
        json!({"id": "o5", "brukare_id": "b5", "name": "Elsa N.", "phone": "+46 8 1", "address": "Demogatan 41"}),
    )
    .await;
    s.admin_post(
        "/v1/orders/o5/scheduled",
        json!({"scheduled_for": T0, "technician_id": "at1"}),
    )
    .await;
    let at = s.enroll("at1").await;
    let at2 = s.enroll("at2").await;
    let cw = s.enroll("cw1").await;
    let (key, _) = SoftwareKey::generate().unwrap();
    s.post(
        "/v1/locks",
        &at.token,
        json!({"lock_id": "l5", "public_key": hex::encode(key.public_key().as_bytes()),
               "order_id": "o5"}),
    )
    .await
    .ok();
    let body = |dev: &Device, id: &str, consent: Value| {
        common::receipt_body(dev, id, "l5", "b5", T0, consent)
    };
    let upload = |v: Value, token: String| {
        let s = &s;
        async move { s.post("/v1/installation-receipts", &token, v).await }
    };
    // No receipt: no service.
    s.post(
        "/v1/locks/l5/install",
        &at.token,
        json!({"brukare_id": "b5"}),
    )
    .await
    .err(409, "conflict");
    // Tampered after signing: the hash no longer matches.
    let mut v = body(&at, "kv-1", common::strokes());
    v["content_json"] = json!(v["content_json"].as_str().unwrap().replace("b5", "b1"));
    upload(v, at.token.clone()).await.err(400, "bad_request");
    // Tampered with the hash recomputed: the signature fails.
    let mut v = body(&at, "kv-1", common::strokes());
    let changed = v["content_json"]
        .as_str()
        .unwrap()
        .replace("\"signed\"", "\"signed\" ");
    v["content_sha256"] = json!(hex::encode(nyckelfri_protocol::keys::sha256(
        changed.as_bytes()
    )));
    v["content_json"] = json!(changed);
    upload(v, at.token.clone()).await.err(400, "bad_request");
    // Signed by another technician's phone, uploaded by this one.
    let v = body(&at2, "kv-2", common::strokes());
    upload(v, at.token.clone()).await.err(400, "bad_request");
    // An empty signature.
    let v = body(
        &at,
        "kv-3",
        json!({"kind": "signed", "strokes": [[[0.5, 0.5]]]}),
    );
    upload(v, at.token.clone()).await.err(400, "bad_request");
    // The exception without a second person, with the technician as the
    // "witness", or without the reason.
    for consent in [
        json!({"kind": "confirmed", "witnessed_by": "", "reason": "Kan inte hålla pennan"}),
        json!({"kind": "confirmed", "witnessed_by": "tekniker Staff at1", "reason": "Kan inte hålla pennan"}),
        json!({"kind": "confirmed", "witnessed_by": "Eva S. (dotter)"}),
    ] {
        let v = body(&at, "kv-4", consent);
        upload(v, at.token.clone()).await.err(400, "bad_request");
    }
    // A care worker's phone cannot make one.
    let v = body(&cw, "kv-5", common::strokes());
    upload(v, cw.token.clone()).await.err(403, "forbidden");
    // Signed a month ago: stale.
    let v = common::receipt_body(&at, "kv-6", "l5", "b5", T0 - 30 * 24 * H, common::strokes());
    upload(v, at.token.clone()).await.err(400, "bad_request");
    // A receipt for another brukare does not put the lock in service here.
    let v = common::receipt_body(&at, "kv-7", "l5", "b1", T0, common::strokes());
    upload(v, at.token.clone()).await.ok();
    s.post(
        "/v1/locks/l5/install",
        &at.token,
        json!({"brukare_id": "b5"}),
    )
    .await
    .err(409, "conflict");
    // The exception done right: a second person and the reason.
    let v = body(
        &at,
        "kv-8",
        json!({"kind": "confirmed", "witnessed_by": "Eva S. (dotter)",
               "reason": "Brukaren har skadad hand och kan inte skriva"}),
    );
    let r = upload(v.clone(), at.token.clone()).await.ok();
    assert_eq!(r["consent"], "confirmed");
    assert_eq!(r["witnessed_by"], "Eva S. (dotter)");
    assert_eq!(
        r["witness_reason"],
        "Brukaren har skadad hand och kan inte skriva"
    );
    assert_eq!(r["staff_id"], "at1");
    // The same receipt again: as it is.
    assert_eq!(upload(v, at.token.clone()).await.ok()["id"], "kv-8");
    let lock = s
        .post(
            "/v1/locks/l5/install",
            &at.token,
            json!({"brukare_id": "b5"}),
        )
        .await
        .ok();
    assert_eq!(lock["state"], "installed");
    assert_eq!(lock["receipt_id"], "kv-8");
    s.stop().await;
}
backend_test!(
    r1_9_verified_receipt_t,
    r1_9_only_a_verified_receipt_puts_a_lock_in_service
);

// The key must be the device's own: a receipt naming this device's key but
// signed with another key is refused.
async fn r1_9_a_receipt_signed_by_another_key_is_refused(b: Backend) {
    let s = TestServer::start(b).await;
    world(&s).await;
    let at = s.enroll("at1").await;
    let (other, _) = SoftwareKey::generate().unwrap();
    let mut v = common::receipt_body(&at, "kv-9", "l1", "b1", T0, common::strokes());
    let sig = other
        .sign(v["content_json"].as_str().unwrap().as_bytes())
        .unwrap();
    v["device_signature"] = json!(hex::encode(sig));
    s.post("/v1/installation-receipts", &at.token, v)
        .await
        .err(400, "bad_request");
    s.stop().await;
}
backend_test!(
    r1_9_other_key_t,
    r1_9_a_receipt_signed_by_another_key_is_refused
);

// ---------------------------------------------------------------- the card

// R2: "Denna rutin finns för att alla medarbetare som arbetar i hemtjänsten
// ska veta hur man gör när låsvreden är ur funktion eller om appen inte
// fungerar." The unit's one-page card, printed from the same settings the
// phones' guidance uses, is there when the app is not.
async fn r2_the_units_printable_card_has_the_numbers_the_keys_and_the_steps(b: Backend) {
    let s = TestServer::start(b).await;
    world(&s).await;
    let mut st = common::settings();
    st["night_patrol_phone"] = json!("+46 8 530 610 99");
    st["acute_key_routine"] =
        json!("Kvittera nyckeln i pärmen i skåpet och lämna tillbaka den samma pass.");
    st["acute_key_routine_en"] =
        json!("Sign for the key in the binder in the cabinet and return it the same shift.");
    s.req(
        "PUT",
        "/v1/units/u1/settings",
        Some(&s.admin.clone()),
        Some(st),
    )
    .await
    .ok();
    staff(&s, "cw21", "u2", "care_worker", &[]).await;
    let cw = s.enroll("cw1").await;
    let cw21 = s.enroll("cw21").await;
    let get = |token: String, lang: &'static str| {
        let client = s.client.clone();
        let url = format!("{}/v1/units/u1/card?lang={lang}", s.base);
        async move {
            let r = client.get(url).bearer_auth(token).send().await.unwrap();
            let status = r.status().as_u16();
            let ct = r
                .headers()
                .get("content-type")
                .map(|v| v.to_str().unwrap().to_owned())
                .unwrap_or_default();
            (status, ct, r.bytes().await.unwrap().to_vec())
        }
    };
    let (status, ct, sv) = get(cw.token.clone(), "sv").await;
    assert_eq!((status, ct.as_str()), (200, "application/pdf"));
    assert!(nyckelfri_print::pdf::is_one_page(&sv));
    let text = nyckelfri_print::pdf::text_of(&sv).join("\n");
    for needle in [
        "Unit u1: om låsvredet eller appen inte fungerar",
        "Koordinatorn: +46 8 530 610 00 (vardagar 07:00–17:00)",
        "Nattpatrullen: +46 8 530 610 99",
        "Dag: Nyckelskåpet på enheten",
        "Natt: Orrens servicehus",
        "Kvittera nyckeln i pärmen",
        "1. Kan brukaren öppna själv?",
        "6. Efter kl 17:00",
        "8. Rapportera avvikelsen",
    ] {
        assert!(text.contains(needle), "{needle} not on the card:\n{text}");
    }
    let (_, _, en) = get(cw.token.clone(), "en").await;
    let text = nyckelfri_print::pdf::text_of(&en).join("\n");
    assert!(
        text.contains("if the lock or the app does not work"),
        "{text}"
    );
    assert!(text.contains("The night patrol: +46 8 530 610 99"));
    assert!(text.contains("Sign for the key in the binder"));
    // The card follows the settings: a new number shows on the next print.
    let mut st = common::settings();
    st["coordinator_phone"] = json!("+46 70 111 22 33");
    s.req(
        "PUT",
        "/v1/units/u1/settings",
        Some(&s.admin.clone()),
        Some(st),
    )
    .await
    .ok();
    let (_, _, again) = get(cw.token.clone(), "sv").await;
    assert!(
        nyckelfri_print::pdf::text_of(&again)
            .join("\n")
            .contains("+46 70 111 22 33")
    );
    // Another unit's worker: not theirs; a bad language: 400.
    assert_eq!(get(cw21.token.clone(), "sv").await.0, 403);
    assert_eq!(get(cw.token.clone(), "de").await.0, 400);
    s.stop().await;
}
backend_test!(
    r2_printable_card_t,
    r2_the_units_printable_card_has_the_numbers_the_keys_and_the_steps
);

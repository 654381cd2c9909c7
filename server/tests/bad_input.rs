//! Bad input to every endpoint gets a 4xx with a JSON `{error, message}`,
//! never a 500: missing or bad credentials, malformed JSON, wrong content
//! type, every field of a valid body replaced by junk, odd path and query
//! values, random bytes, oversized bodies, unknown routes and methods.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{Backend, DAY0, H, T0, TestServer, settings, world};
use nyckelfri_protocol::{Signer, SoftwareKey};
use serde_json::{Value, json};

const PUBLIC: &[&str] = &[
    "/healthz",
    "/openapi.json",
    "/v1/time",
    "/v1/issuer",
    "/v1/revocation",
    "/v1/enroll",
    "/v1/auth/challenge",
    "/v1/auth/session",
];

const DEVICE_ONLY: &[&str] = &[
    "/v1/bundle",
    "/v1/tokens",
    "/v1/events",
    "/v1/messages",
    "/v1/messages/{id}/read",
    "/v1/inbox",
    "/v1/me",
];

/// A valid outage report's `data` (R2.9), for the case `o1`.
fn outage_data() -> Value {
    json!({"report_id": "o1", "lock_id": "l1", "brukare_id": "b1", "visit_id": "v1",
           "cause": "refused:wrong_lock", "occurred_at": T0,
           "steps": [{"id": "R2.6", "done_at": T0}, {"id": "R2.15", "done_at": null}],
           "weekend_or_holiday": false, "night": false})
}

/// A valid body and path id for each endpoint that takes one.
fn template(method: &str, path: &str, key_hex: &str, deviation: &str) -> (Option<Value>, String) {
    let b = match (method, path) {
        ("POST", "/v1/enroll") => {
            json!({"code": "AAAA-BBBB-CCCC", "public_key": key_hex, "label": "x"})
        }
        ("POST", "/v1/auth/challenge") => json!({"device_id": "dev-x"}),
        ("POST", "/v1/auth/session") => {
            json!({"challenge_id": "ch-x", "signature": "00".repeat(64)})
        }
        ("POST", "/v1/tokens") => json!({"lock_id": "l1", "scope": "care"}),
        ("POST", "/v1/events") => {
            json!({"events": [{"id": "e1", "kind": "unlock", "occurred_at": T0,
            "lock_id": "l1", "visit_id": "v1", "routine_step": "R2.9", "receipt": "AAEC", "data": {"a": 1}},
            {"id": "e2", "kind": "outage_report", "occurred_at": T0, "lock_id": "l1",
             "routine_step": "R2.9", "data": outage_data()}]})
        }
        ("POST", "/v1/outages/{id}/working") => json!({"working_at": T0, "note": "n"}),
        ("POST", "/v1/outages/{id}/alarm-group")
        | ("POST", "/v1/outages/{id}/night-patrol")
        | ("POST", "/v1/outages/{id}/needs-assessor") => json!({"id": "om1", "note": "n"}),
        ("POST", "/v1/deviations/{id}/reported") => json!({"reported_at": T0}),
        ("POST", "/v1/messages") => json!({"id": "m1", "to_role": "coordinator", "unit_id": "u1",
            "subject": "s", "body": "b", "routine_step": "R2.6", "brukare_id": "b1", "lock_id": "l1"}),
        ("POST", "/v1/units") => json!({"id": "u9", "name": "n", "settings": settings()}),
        ("PUT", "/v1/units/{id}/settings") => settings(),
        ("POST", "/v1/staff") => {
            json!({"id": "s9", "unit_id": "u1", "name": "n", "role": "care_worker"})
        }
        ("POST", "/v1/brukare") => {
            json!({"id": "b9", "unit_id": "u1", "display_name": "n", "address": "a", "entry_notes": "e"})
        }
        ("POST", "/v1/decisions") => {
            json!({"id": "d9", "brukare_id": "b1", "starts_at": DAY0, "ends_at": DAY0 + H})
        }
        ("PATCH", "/v1/decisions/{id}") => json!({"ends_at": DAY0 + 500 * 24 * H}),
        ("POST", "/v1/visits") => {
            json!({"id": "v9", "brukare_id": "b1", "decision_id": "d1", "staff_id": "cw1",
            "starts_at": DAY0 + 15 * H, "ends_at": DAY0 + 16 * H, "service": "s"})
        }
        ("POST", "/v1/shifts") => {
            json!({"id": "sh9", "unit_id": "u1", "staff_id": "np1", "kind": "night",
            "starts_at": DAY0 + 20 * H, "ends_at": DAY0 + 30 * H})
        }
        ("POST", "/v1/locks") => {
            json!({"lock_id": "l99", "public_key": key_hex, "kind": "entrance", "order_id": "ord1"})
        }
        ("POST", "/v1/locks/{id}/install") => json!({"brukare_id": "b1"}),
        // Orders (R1).
        ("POST", "/v1/orders/new-brukare") => {
            json!({"id": "ord9", "brukare_id": "b1", "brukare_informed": true, "accepted": true, "note": "n"})
        }
        ("POST", "/v1/orders/existing-brukare") => {
            json!({"id": "ord8", "brukare_id": "b1", "name": "n", "phone": "+46 8 1", "address": "a"})
        }
        ("POST", "/v1/orders/entrance") => {
            json!({"id": "ord7", "brukare_id": "b1", "building_address": "a",
                   "brukare_has_alarm": false, "phone": "08 1", "note": "n"})
        }
        ("POST", "/v1/orders/{id}/cancel") => json!({"reason": "r"}),
        ("POST", "/v1/orders/{id}/contacts") => {
            json!({"party": "brukaren", "contacted_at": T0, "note": "n"})
        }
        ("POST", "/v1/brukare/{id}/service-ended") => json!({"ended_at": T0, "note": "n"}),
        ("POST", "/v1/outages/{id}/repaired") => json!({"note": "n"}),
        ("POST", "/v1/major-outages") => json!({"id": "mo1", "summary": "Nätet är nere."}),
        ("POST", "/v1/major-outages/{id}/updates") | ("POST", "/v1/major-outages/{id}/end") => {
            json!({"id": "mo1-u", "text": "Läget."})
        }
        ("POST", "/v1/manager-contacts") | ("PUT", "/v1/manager-contacts/{id}") => {
            json!({"id": "c1", "name": "n", "email": "n@example.org", "organisation": "o",
                   "role": "unit_manager", "external": true, "active": true})
        }
        ("POST", "/v1/installation-receipts") => json!({"content_json": "{}",
            "content_sha256": "00", "device_signature": "00"}),
        ("POST", "/v1/orders/{id}/scheduled") => json!({"scheduled_for": T0}),
        ("POST", _) => json!({}),
        _ => return (None, id_for(path, deviation)),
    };
    (Some(b), id_for(path, deviation))
}

fn id_for(path: &str, deviation: &str) -> String {
    if path.starts_with("/v1/deviations") {
        return deviation.to_owned();
    }
    if path.starts_with("/v1/outages") {
        return "o1".to_owned();
    }
    if path.starts_with("/v1/orders") {
        return "ord1".to_owned();
    }
    if path.starts_with("/v1/major-outages") {
        return "mo1".to_owned();
    }
    if path.starts_with("/v1/manager-contacts") {
        return "c1".to_owned();
    }
    id_for_static(path).to_owned()
}

fn id_for_static(path: &str) -> &'static str {
    if path.starts_with("/v1/units") {
        "u1"
    } else if path.starts_with("/v1/staff") {
        "cw2"
    } else if path.starts_with("/v1/brukare") {
        "b1"
    } else if path.starts_with("/v1/decisions") {
        "d1"
    } else if path.starts_with("/v1/visits") {
        "v1"
    } else if path.starts_with("/v1/locks") {
        "l1"
    } else if path.starts_with("/v1/messages") {
        "m1"
    } else {
        "x"
    }
}

/// Every way to spoil one value.
fn junk() -> Vec<Value> {
    vec![
        Value::Null,
        json!(0),
        json!(-1),
        json!(1.5e300),
        json!(i64::MAX),
        json!(i64::MIN),
        json!(""),
        json!(" "),
        json!("a".repeat(70)),
        json!("x".repeat(20_000)),
        json!("\u{0}\u{7}"),
        json!("💥 ålder"),
        json!("../../etc"),
        json!([]),
        json!({}),
        json!(true),
    ]
}

/// All bodies that differ from `v` in one place (or lack one field).
fn mutations(v: &Value) -> Vec<Value> {
    let mut out = Vec::new();
    match v {
        Value::Object(m) => {
            for (k, child) in m {
                let mut without = m.clone();
                without.remove(k);
                out.push(Value::Object(without));
                for j in junk() {
                    let mut c = m.clone();
                    c.insert(k.clone(), j);
                    out.push(Value::Object(c));
                }
                for sub in mutations(child) {
                    let mut c = m.clone();
                    c.insert(k.clone(), sub);
                    out.push(Value::Object(c));
                }
            }
        }
        Value::Array(a) => {
            for (i, child) in a.iter().enumerate() {
                for sub in mutations(child) {
                    let mut c = a.clone();
                    c[i] = sub;
                    out.push(Value::Array(c));
                }
            }
        }
        _ => {}
    }
    out
}

#[track_caller]
fn check(method: &str, path: &str, status: u16, body: &Value, what: &str) {
    assert!(
        status < 500,
        "{method} {path} ({what}) gave {status}: {body}"
    );
    if status >= 400 {
        assert!(
            body["error"].as_str().is_some_and(|e| !e.is_empty())
                && body["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{method} {path} ({what}) gave {status} without error and message: {body}"
        );
    }
}

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

async fn bad_input_to_every_endpoint_is_a_4xx(b: Backend) {
    let s = TestServer::start(b).await;
    world(&s).await;
    let dev = s.enroll("cw1").await;
    let admin = s.admin.clone();
    let (k, _) = SoftwareKey::generate().unwrap();
    let key_hex = hex::encode(k.public_key().as_bytes());
    // R2.9: an outage case `o1` (and its minor deviation) to aim at.
    s.post(
        "/v1/events",
        &dev.token,
        json!({"events": [{"id": "setup-1", "kind": "outage_report", "occurred_at": T0 - 60,
                           "data": outage_data()}]}),
    )
    .await
    .ok();
    // R1.4: an order `ord1` to aim at.
    s.admin_post(
        "/v1/orders/entrance",
        json!({"id": "ord1", "brukare_id": "b1", "building_address": "Demogatan 1",
               "brukare_has_alarm": false}),
    )
    .await;
    let devs = s.get("/v1/deviations", &admin).await.ok();
    let deviation = devs[0]["id"].as_str().unwrap().to_owned();
    let routes = nyckelfri_server::api::route_table();
    assert!(routes.len() >= 56);
    let mut requests = 0usize;
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);

    for (method, path) in &routes {
        let public = PUBLIC.contains(&path.as_str());
        let token = if DEVICE_ONLY.contains(&path.as_str()) {
            dev.token.clone()
        } else {
            admin.clone()
        };
        let (valid, id) = template(method, path, &key_hex, &deviation);
        let concrete = path.replace("{id}", &id);

        // No credentials, and junk credentials.
        if !public {
            let r = s.req(method, &concrete, None, valid.clone()).await;
            assert_eq!(
                r.status.as_u16(),
                401,
                "{method} {path} without a token: {}",
                r.body
            );
            check(method, path, 401, &r.body, "no token");
            for bad in [
                "",
                "Basic abc",
                "Bearer ",
                "Bearer nfs_00",
                &format!("Bearer {}", "x".repeat(5000)),
            ] {
                let resp = s
                    .client
                    .request(
                        reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
                        format!("{}{}", s.base, concrete),
                    )
                    .header("authorization", bad)
                    .send()
                    .await
                    .unwrap();
                let st = resp.status().as_u16();
                let body: Value = resp.json().await.unwrap();
                assert_eq!(st, 401, "{method} {path} with {bad:.20}: {body}");
                check(method, path, st, &body, "bad token");
                requests += 1;
            }
        }
        let tok = if public { None } else { Some(token.as_str()) };

        // Odd path ids.
        if path.contains("{id}") {
            for odd in [
                "nope",
                "%00",
                "a%20b",
                "%FF%FE",
                "..",
                &"a".repeat(65),
                "%C3%A5",
            ] {
                let p = path.replace("{id}", odd);
                let r = s.req(method, &p, tok, valid.clone()).await;
                check(method, path, r.status.as_u16(), &r.body, odd);
                assert!(
                    r.status.as_u16() >= 400,
                    "{method} {p} accepted: {}",
                    r.body
                );
                requests += 1;
            }
        }

        if method == "GET" {
            for q in [
                "?date=2025-99-99",
                "?date=yesterday",
                "?date=0001-01-01",
                "?date=9999-12-31",
                "?from=abc",
                "?from=-5&to=1",
                "?limit=0",
                "?limit=100000",
                "?since=-1",
                "?role=king",
                "?role=coordinator",
                "?unit_id=%00",
                "?staff_id=",
                "?brukare_id=x&from=1e99",
                "?status=king",
                "?status=all&limit=-3",
                "?status=closed&unit_id=nope",
                "?kind=huge&status=reported",
            ] {
                if path.ends_with("/card") {
                    // The card answers a PDF (a bad `lang` is a JSON 400).
                    let resp = s
                        .client
                        .get(format!("{}{concrete}{q}", s.base))
                        .bearer_auth(tok.unwrap_or_default())
                        .send()
                        .await
                        .unwrap();
                    let st = resp.status().as_u16();
                    let bytes = resp.bytes().await.unwrap();
                    if st >= 400 {
                        let body: Value = serde_json::from_slice(&bytes).unwrap();
                        check(method, path, st, &body, q);
                    } else {
                        assert!(bytes.starts_with(b"%PDF"), "{path}{q}");
                    }
                    requests += 1;
                    continue;
                }
                let r = s.req(method, &format!("{concrete}{q}"), tok, None).await;
                check(method, path, r.status.as_u16(), &r.body, q);
                requests += 1;
            }
            if path.ends_with("/card") {
                for lang in ["?lang=de", "?lang=", "?lang=%00"] {
                    let r = s.req(method, &format!("{concrete}{lang}"), tok, None).await;
                    assert_eq!(r.status.as_u16(), 400, "{path}{lang}");
                    check(method, path, 400, &r.body, lang);
                }
            }
            continue;
        }
        if path == "/v1/import/csv" {
            continue; // its own test
        }

        // Malformed JSON, wrong content type, no body, random bytes.
        for (ct, body) in [
            (Some("application/json"), b"{not json".to_vec()),
            (Some("application/json"), b"".to_vec()),
            (Some("application/json"), b"[1,2".to_vec()),
            (Some("application/json"), vec![0xff, 0xfe, 0x00]),
            (Some("text/plain"), b"{}".to_vec()),
            (None, b"{}".to_vec()),
        ] {
            let r = s.raw(method, &concrete, tok, ct, body).await;
            check(method, path, r.status.as_u16(), &r.body, "malformed");
            requests += 1;
        }
        for n in [1usize, 7, 64, 900] {
            let r = s
                .raw(
                    method,
                    &concrete,
                    tok,
                    Some("application/json"),
                    rng.bytes(n),
                )
                .await;
            check(method, path, r.status.as_u16(), &r.body, "random bytes");
            requests += 1;
        }
        // Whole-body junk and every one-place mutation of a valid body.
        let mut bodies = junk();
        if let Some(v) = &valid {
            bodies.extend(mutations(v));
        }
        for body in bodies {
            let r = s.req(method, &concrete, tok, Some(body.clone())).await;
            check(
                method,
                path,
                r.status.as_u16(),
                &r.body,
                &format!("{body:.120}"),
            );
            requests += 1;
        }
    }
    assert!(requests > 1500, "only {requests} requests");

    // Too large a body.
    let big = format!(
        "{{\"events\": [], \"pad\": \"{}\"}}",
        "x".repeat(2 * 1024 * 1024)
    );
    let r = s
        .raw(
            "POST",
            "/v1/events",
            Some(&dev.token),
            Some("application/json"),
            big.into_bytes(),
        )
        .await;
    assert_eq!(r.status.as_u16(), 413, "{}", r.body);
    check("POST", "/v1/events", 413, &r.body, "oversized");
    // Unknown routes and methods.
    s.req("GET", "/v2/nothing", None, None)
        .await
        .err(404, "route_not_found");
    s.req("GET", "/", None, None)
        .await
        .err(404, "route_not_found");
    s.req("DELETE", "/v1/units", Some(&admin), None)
        .await
        .err(405, "method_not_allowed");
    s.req("PUT", "/v1/enroll", None, None)
        .await
        .err(405, "method_not_allowed");
    s.stop().await;
}
backend_test!(
    bad_input_to_every_endpoint_t,
    bad_input_to_every_endpoint_is_a_4xx
);

async fn bad_signatures_and_codes_are_refused_cleanly(b: Backend) {
    let s = TestServer::start(b).await;
    world(&s).await;
    let dev = s.enroll("cw1").await;
    let ch = s
        .req(
            "POST",
            "/v1/auth/challenge",
            None,
            Some(json!({"device_id": dev.id})),
        )
        .await
        .ok();
    for sig in [
        "",
        "zz",
        &"00".repeat(63),
        &"00".repeat(65),
        &"ff".repeat(64),
        "AAAA",
    ] {
        let r = s
            .req(
                "POST",
                "/v1/auth/session",
                None,
                Some(json!({"challenge_id": ch["challenge_id"], "signature": sig})),
            )
            .await;
        check("POST", "/v1/auth/session", r.status.as_u16(), &r.body, sig);
        assert!(r.status.is_client_error());
    }
    // A signature over something else.
    let sig = dev.key.sign(b"something else").unwrap();
    s.req(
        "POST",
        "/v1/auth/session",
        None,
        Some(json!({"challenge_id": ch["challenge_id"], "signature": hex::encode(sig)})),
    )
    .await
    .err(401, "unauthorized");
    // Keys of the wrong shape.
    for key in [
        "",
        "04",
        &"04".repeat(65),
        &format!("02{}", "11".repeat(64)),
        &"ab".repeat(33),
    ] {
        let r = s
            .req(
                "POST",
                "/v1/enroll",
                None,
                Some(json!({"code": "AAAA-BBBB-CCCC", "public_key": key})),
            )
            .await;
        check("POST", "/v1/enroll", r.status.as_u16(), &r.body, key);
        assert!(r.status.is_client_error());
    }
    s.stop().await;
}
backend_test!(
    bad_signatures_and_codes_t,
    bad_signatures_and_codes_are_refused_cleanly
);

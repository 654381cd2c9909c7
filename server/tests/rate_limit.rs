//! A stranger's flood on the endpoints anyone can call (`/v1/enroll`,
//! `/v1/auth/challenge`, `/v1/auth/session`): bounded loops on loopback,
//! from several client addresses (127.0.0.x are all loopback on Linux).
//! The flood is refused with 429 and fills nothing; other clients and
//! other devices are served as before.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::net::IpAddr;

use common::{Backend, TestServer, world};
use nyckelfri_protocol::Signer;
use nyckelfri_server::ratelimit::RateLimits;
use serde_json::{Value, json};

fn limits() -> RateLimits {
    RateLimits {
        per_address_burst: 12,
        per_address_per_minute: 1,
        per_device_burst: 6,
        per_device_per_minute: 1,
        max_pending_challenges: 3,
    }
}

/// One POST from `from` (a loopback address), with optional
/// X-Forwarded-For: (status, Retry-After, JSON body).
async fn post_from(
    s: &TestServer,
    from: &str,
    path: &str,
    body: Value,
    forwarded_for: Option<&str>,
) -> (u16, Option<String>, Value) {
    let http = reqwest::Client::builder()
        .local_address(from.parse::<IpAddr>().unwrap())
        .build()
        .unwrap();
    let mut r = http.post(format!("{}{}", s.base, path)).json(&body);
    if let Some(f) = forwarded_for {
        r = r.header("x-forwarded-for", f);
    }
    let resp = r.send().await.unwrap();
    let status = resp.status().as_u16();
    let retry = resp
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    let body: Value = resp.json().await.unwrap();
    (status, retry, body)
}

async fn pending_challenges(s: &TestServer, device: &str) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM challenges WHERE device_id = $1 AND used_at IS NULL")
        .bind(device)
        .fetch_one(s.handle.db().pool())
        .await
        .unwrap()
}

async fn a_flood_is_refused_and_fills_nothing(b: Backend) {
    let s = TestServer::start_with(b, |c| c.settings.rate_limits = limits()).await;
    world(&s).await;
    // Two phones, enrolled and in session from 127.0.0.1 (6 requests).
    let cw = s.enroll("cw1").await;
    let co = s.enroll("co1").await;

    // A flood from one address: challenges for made-up devices. The
    // address's budget runs out; every refusal is a JSON 429 with
    // Retry-After, never a 5xx.
    let mut refused = 0;
    for i in 0..40 {
        let (st, retry, body) = post_from(
            &s,
            "127.0.0.1",
            "/v1/auth/challenge",
            json!({"device_id": format!("dev-guess-{i}")}),
            None,
        )
        .await;
        match st {
            404 => {}
            429 => {
                refused += 1;
                assert_eq!(body["error"], "rate_limited", "{body}");
                assert!(retry.unwrap().parse::<u64>().unwrap() >= 1);
            }
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert!(refused >= 30, "only {refused} of 40 refused");
    // A forwarded-for header does not buy a new budget unless the server
    // is told it sits behind a proxy.
    let (st, _, _) = post_from(
        &s,
        "127.0.0.1",
        "/v1/auth/challenge",
        json!({"device_id": cw.id}),
        Some("203.0.113.9"),
    )
    .await;
    assert_eq!(st, 429);
    // Another client is served as before.
    let (st, _, body) = post_from(
        &s,
        "127.0.0.2",
        "/v1/auth/challenge",
        json!({"device_id": cw.id}),
        None,
    )
    .await;
    assert_eq!(st, 200, "{body}");

    // One device, challenged from many addresses: its unanswered
    // challenges stay bounded, then its own budget runs out; another
    // device is not affected.
    let mut statuses = Vec::new();
    for i in 0..12 {
        let (st, _, _) = post_from(
            &s,
            &format!("127.0.1.{}", i + 1),
            "/v1/auth/challenge",
            json!({"device_id": cw.id}),
            None,
        )
        .await;
        statuses.push(st);
    }
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 429),
        "{statuses:?}"
    );
    assert!(
        statuses.iter().filter(|s| **s == 429).count() >= 9,
        "{statuses:?}"
    );
    assert_eq!(pending_challenges(&s, &cw.id).await, 3, "bounded");
    let (st, _, body) = post_from(
        &s,
        "127.0.2.1",
        "/v1/auth/challenge",
        json!({"device_id": co.id}),
        None,
    )
    .await;
    assert_eq!(st, 200, "{body}");

    // Guessing enrollment codes: the address's budget runs out.
    let mut refused = 0;
    for i in 0..20 {
        let (st, _, body) = post_from(
            &s,
            "127.0.3.1",
            "/v1/enroll",
            json!({"code": format!("AAAA-BBBB-{i:04}"),
                   "public_key": hex::encode(cw.key.public_key().as_bytes())}),
            None,
        )
        .await;
        match st {
            401 => {}
            429 => refused += 1,
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert!(refused >= 8, "only {refused} of 20 refused");
    // The phones already in session are not touched.
    assert_eq!(s.get("/v1/me", &cw.token).await.ok()["staff"]["id"], "cw1");
    s.stop().await;
}
backend_test!(
    a_flood_is_refused_and_fills_nothing_t,
    a_flood_is_refused_and_fills_nothing
);

/// Behind a proxy (configured), the right-most X-Forwarded-For entry is
/// the client: clients behind one proxy address keep their own budgets.
async fn behind_a_proxy_each_client_has_its_own_budget(b: Backend) {
    let s = TestServer::start_with(b, |c| {
        c.settings.rate_limits = limits();
        c.trust_forwarded_for = true;
    })
    .await;
    let mut first = Vec::new();
    for i in 0..20 {
        let (st, _, _) = post_from(
            &s,
            "127.0.0.1",
            "/v1/auth/challenge",
            json!({"device_id": format!("dev-x-{i}")}),
            Some("198.51.100.7, 203.0.113.1"),
        )
        .await;
        first.push(st);
    }
    assert!(first.contains(&429), "{first:?}");
    // The same proxy address, another client behind it.
    let (st, _, body) = post_from(
        &s,
        "127.0.0.1",
        "/v1/auth/challenge",
        json!({"device_id": "dev-y"}),
        Some("203.0.113.2"),
    )
    .await;
    assert_eq!(st, 404, "{body}");
    s.stop().await;
}
backend_test!(
    behind_a_proxy_each_client_has_its_own_budget_t,
    behind_a_proxy_each_client_has_its_own_budget
);

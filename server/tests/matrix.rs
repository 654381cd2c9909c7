//! The authorization matrix, generated from the policy: every route the
//! server serves × every role (a staff member of unit u1, and the admin
//! token) × a target in the caller's own unit and in another unit (u2),
//! and once with no session. The expected status of each call is derived
//! from `policy.toml` alone (the principal's scope, the granting rule, the
//! message rules); the test builds a request that succeeds when the policy
//! allows it. A route without a policy entry, or without a case here,
//! fails the test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::sync::atomic::{AtomicU64, Ordering};

use common::{Backend, DAY0, Device, H, T0, TestServer, settings};
use nyckelfri_protocol::{Signer, SoftwareKey};
use nyckelfri_server::model::Role;
use nyckelfri_server::policy::{PRINCIPALS, Policy, Principal, Scope, Work};
use nyckelfri_server::ratelimit::RateLimits;
use serde_json::{Value, json};

/// Own unit or another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Own,
    Other,
}

/// What the policy says the call must give.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// The request as built succeeds.
    Success,
    /// 403 (`forbidden`, or `no_key` for a key the scope does not give).
    Denied,
    /// 401: no session.
    Unauthenticated,
    /// 200, but the event is stored as rejected (scope `keyed`).
    Rejected,
}

/// A built request.
struct Call {
    method: &'static str,
    path: String,
    body: Option<Value>,
    csv: Option<String>,
}

impl Call {
    fn get(path: impl Into<String>) -> Option<Call> {
        Some(Call {
            method: "GET",
            path: path.into(),
            body: None,
            csv: None,
        })
    }
    fn post(path: impl Into<String>, body: Value) -> Option<Call> {
        Some(Call {
            method: "POST",
            path: path.into(),
            body: Some(body),
            csv: None,
        })
    }
    fn with(method: &'static str, path: impl Into<String>, body: Value) -> Option<Call> {
        Some(Call {
            method,
            path: path.into(),
            body: Some(body),
            csv: None,
        })
    }
}

fn short(p: Principal) -> &'static str {
    match p {
        Principal::Role(Role::CareWorker) => "cw",
        Principal::Role(Role::NightPatrol) => "np",
        Principal::Role(Role::NightPatrolCoordinator) => "npc",
        Principal::Role(Role::Coordinator) => "co",
        Principal::Role(Role::AlarmTechnician) => "at",
        Principal::Role(Role::UnitManager) => "um",
        Principal::Role(Role::HeadOfOperations) => "ho",
        Principal::Role(Role::NeedsAssessor) => "na",
        Principal::Admin => "admin",
    }
}

struct Ctx {
    s: TestServer,
    policy: Policy,
    devices: Vec<(Principal, Device)>,
    n: AtomicU64,
    other_lock_key: String,
}

impl Ctx {
    fn fresh(&self, prefix: &str) -> String {
        format!("{prefix}-{}", self.n.fetch_add(1, Ordering::Relaxed))
    }

    fn unit(t: Target) -> &'static str {
        match t {
            Target::Own => "u1",
            Target::Other => "u2",
        }
    }

    fn tag(t: Target) -> &'static str {
        match t {
            Target::Own => "a",
            Target::Other => "b",
        }
    }

    fn token(&self, p: Principal) -> String {
        match p {
            Principal::Admin => self.s.admin.clone(),
            Principal::Role(_) => self
                .devices
                .iter()
                .find(|(q, _)| *q == p)
                .unwrap()
                .1
                .token
                .clone(),
        }
    }

    fn staff_id(p: Principal) -> String {
        format!("{}-a", short(p))
    }

    /// The role the principal may grant first (or a care worker).
    fn grantable(&self, p: Principal) -> Role {
        self.policy
            .grants(p)
            .first()
            .copied()
            .unwrap_or(Role::CareWorker)
    }

    async fn admin(&self, path: &str, body: Value) -> Value {
        self.s.admin_post(path, body).await
    }

    async fn staff(&self, role: Role, t: Target) -> String {
        let id = self.fresh("st");
        self.admin(
            "/v1/staff",
            json!({"id": id, "unit_id": Self::unit(t), "name": "Fixture", "role": role.as_str()}),
        )
        .await;
        id
    }

    async fn brukare(&self, t: Target) -> String {
        let id = self.fresh("bk");
        self.admin(
            "/v1/brukare",
            json!({"id": id, "unit_id": Self::unit(t), "display_name": "F.", "address": "Gatan 1"}),
        )
        .await;
        self.admin(
            "/v1/decisions",
            json!({"id": format!("d-{id}"), "brukare_id": id, "starts_at": 0, "ends_at": DAY0 + 400 * 24 * H}),
        )
        .await;
        id
    }

    async fn lock(&self, brukare: Option<&str>) -> String {
        let id = self.fresh("lk");
        let (key, _) = SoftwareKey::generate().unwrap();
        // A grant only for an open installation order (for a lock in stock,
        // a brukare of u1's).
        let order = format!("ord-{id}");
        common::open_order(&self.s, &order, brukare.unwrap_or("b-own")).await;
        self.admin(
            "/v1/locks",
            json!({"lock_id": id, "public_key": hex::encode(key.public_key().as_bytes()),
                   "order_id": order}),
        )
        .await;
        if let Some(b) = brukare {
            self.admin(&format!("/v1/locks/{id}/install"), json!({"brukare_id": b}))
                .await;
        }
        id
    }

    async fn order(&self, t: Target) -> String {
        let b = self.brukare(t).await;
        let id = self.fresh("ord");
        self.admin(
            "/v1/orders/existing-brukare",
            json!({"id": id, "brukare_id": b, "name": "N", "phone": "+46 8 1", "address": "A"}),
        )
        .await;
        id
    }

    /// An open outage case in the unit, on a fresh lock.
    async fn case(&self, t: Target) -> String {
        let b = if t == Target::Own { "b-own" } else { "b-other" };
        let lock = self.lock(Some(b)).await;
        let reporter = self.s.enroll(&format!("cw-{}", Self::tag(t))).await;
        let id = self.fresh("rp");
        let r = self
            .s
            .post(
                "/v1/events",
                &reporter.token,
                json!({"events": [{"id": format!("ev-{id}"), "kind": "outage_report", "occurred_at": T0,
                    "lock_id": lock, "data": {"report_id": id, "lock_id": lock, "cause": "jammed",
                    "steps": []}}]}),
            )
            .await
            .ok();
        assert_eq!(r["results"][0]["status"], "stored", "{r}");
        id
    }

    /// A device of a fresh staff member of `role` in the unit.
    async fn device(&self, role: Role, t: Target) -> Device {
        let st = self.staff(role, t).await;
        self.s.enroll(&st).await
    }

    /// The open major outage (declared by the alarm technician when none is).
    async fn open_major(&self) -> String {
        let open: Option<String> =
            sqlx::query_scalar("SELECT id FROM major_outages WHERE status = 'open'")
                .fetch_optional(self.s.handle.db().pool())
                .await
                .unwrap();
        if let Some(id) = open {
            return id;
        }
        let at = self.token(Principal::Role(Role::AlarmTechnician));
        self.s
            .post(
                "/v1/major-outages",
                &at,
                json!({"summary": "Låsvreden svarar inte"}),
            )
            .await
            .ok()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Ends the open major outage, if any (so that one can be declared).
    async fn end_major(&self) {
        sqlx::query(
            "UPDATE major_outages SET status = 'ended', ended_at = $1 WHERE status = 'open'",
        )
        .bind(T0)
        .execute(self.s.handle.db().pool())
        .await
        .unwrap();
    }

    /// An open suggestion of a major outage.
    async fn suggestion(&self) -> String {
        sqlx::query(
            "UPDATE major_outage_suggestions SET status = 'dismissed' WHERE status = 'open'",
        )
        .execute(self.s.handle.db().pool())
        .await
        .unwrap();
        let id = self.fresh("sug");
        sqlx::query(
            "INSERT INTO major_outage_suggestions (id, created_at, first_at, locks, unit_ids, \
             outage_ids, status) VALUES ($1, $2, $2, 5, '[\"u1\"]', '[]', 'open')",
        )
        .bind(&id)
        .bind(T0)
        .execute(self.s.handle.db().pool())
        .await
        .unwrap();
        id
    }

    async fn message_to(&self, role: Role, t: Target) -> String {
        let id = self.fresh("msg");
        sqlx::query(
            "INSERT INTO messages (id, to_role, unit_id, subject, body, created_at) \
             VALUES ($1, $2, $3, 'S', 'B', $4)",
        )
        .bind(&id)
        .bind(role.as_str())
        .bind(Self::unit(t))
        .bind(T0)
        .execute(self.s.handle.db().pool())
        .await
        .unwrap();
        id
    }
}

/// The request for `route` by `p` on a target in `t`'s unit, built to
/// succeed when the policy allows it; `None` where the route has no such
/// target (a list without a filter, one's own day).
async fn build(c: &Ctx, route: &str, p: Principal, t: Target) -> Option<Call> {
    let unit = Ctx::unit(t);
    let tag = Ctx::tag(t);
    let own = t == Target::Own;
    let scope = c.policy.find(route).and_then(|o| o.scope_for(p));
    match route {
        // Public.
        "GET /healthz" | "GET /openapi.json" | "GET /v1/time" | "GET /v1/issuer" => {
            Call::get(route.split_once(' ').unwrap().1)
        }
        "GET /v1/revocation" => {
            // A lock with a list: revoke a device that holds a key for it.
            let lock = c.lock(Some("b-own")).await;
            let st = c.staff(Role::CareWorker, Target::Own).await;
            let d = c.s.enroll(&st).await;
            sqlx::query(
                "INSERT INTO issued_tokens (token_id, device_id, staff_id, lock_id, token, \
                 not_before, expires, issued_at, decision_id, scope, decision_end) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'd-own', 1, $7)",
            )
            .bind(format!("{:0>16}", c.fresh("t")).into_bytes())
            .bind(&d.id)
            .bind(&st)
            .bind(&lock)
            .bind(vec![0u8; 4])
            .bind(T0)
            .bind(T0 + 4 * H)
            .bind(T0)
            .execute(c.s.handle.db().pool())
            .await
            .unwrap();
            c.admin(&format!("/v1/devices/{}/revoke", d.id), json!({}))
                .await;
            Call::get(format!("/v1/revocation?lock_id={lock}"))
        }
        "POST /v1/enroll" => {
            let st = c.staff(Role::CareWorker, t).await;
            let code = c
                .admin(&format!("/v1/staff/{st}/enrollment-code"), json!({}))
                .await;
            let (key, _) = SoftwareKey::generate().unwrap();
            Call::post(
                "/v1/enroll",
                json!({"code": code["code"], "public_key": hex::encode(key.public_key().as_bytes())}),
            )
        }
        "POST /v1/auth/challenge" => Call::post(
            "/v1/auth/challenge",
            json!({"device_id": c.devices[0].1.id}),
        ),
        "POST /v1/auth/session" => {
            let d = &c.devices[0].1;
            let ch =
                c.s.req(
                    "POST",
                    "/v1/auth/challenge",
                    None,
                    Some(json!({"device_id": d.id})),
                )
                .await
                .ok();
            let sig = d
                .key
                .sign(&nyckelfri_server::auth::challenge_message(&common::b64d(
                    ch["challenge"].as_str().unwrap(),
                )))
                .unwrap();
            Call::post(
                "/v1/auth/session",
                json!({"challenge_id": ch["challenge_id"], "signature": hex::encode(sig)}),
            )
        }
        // A phone.
        "GET /v1/me" | "GET /v1/bundle" => {
            own.then(|| Call::get(route.split_once(' ').unwrap().1))?
        }
        "GET /v1/inbox" => Call::get(format!("/v1/inbox?unit_id={unit}")),
        "POST /v1/tokens" => {
            let lock = if own { "l-own" } else { "l-other" };
            match scope {
                Some(Scope::Assigned) => Call::post(
                    "/v1/tokens",
                    json!({"lock_id": if own { "l-maint" } else { "l-other" }, "scope": "maintenance"}),
                ),
                _ => Call::post("/v1/tokens", json!({"lock_id": lock})),
            }
        }
        "POST /v1/events" => Call::post(
            "/v1/events",
            json!({"events": [{"id": c.fresh("ev"), "kind": "unlock_failed", "occurred_at": T0,
                "lock_id": if own { "l-own" } else { "l-other" }, "data": {"outcome": "lock_not_found"}}]}),
        ),
        "GET /v1/events" => Call::get(format!("/v1/events?unit_id={unit}")),
        "POST /v1/messages" => {
            // The first rule the sender's role may send under.
            let role = match p {
                Principal::Role(r) => r,
                Principal::Admin => Role::Coordinator,
            };
            let rule = c.policy.messages().iter().find(|m| m.from.contains(&role));
            let (step, to) = rule
                .map(|m| (m.step.as_str(), m.to[0]))
                .unwrap_or(("R2.6", Role::Coordinator));
            Call::post(
                "/v1/messages",
                json!({"id": c.fresh("m"), "to_role": to.as_str(), "unit_id": unit,
                       "routine_step": step, "subject": "Ämne", "body": "Text"}),
            )
        }
        "POST /v1/messages/{id}/read" => {
            let role = match p {
                Principal::Role(r) => r,
                Principal::Admin => Role::Coordinator,
            };
            let id = c.message_to(role, t).await;
            Call::post(format!("/v1/messages/{id}/read"), json!({}))
        }
        // Units.
        "GET /v1/units" => own.then(|| Call::get("/v1/units"))?,
        "POST /v1/units" => Call::post(
            "/v1/units",
            json!({"id": c.fresh("unit"), "name": "Ny", "settings": settings()}),
        ),
        "GET /v1/units/{id}" => Call::get(format!("/v1/units/{unit}")),
        "PUT /v1/units/{id}/settings" => {
            Call::with("PUT", format!("/v1/units/{unit}/settings"), settings())
        }
        // Staff and devices.
        "GET /v1/staff" => Call::get(format!("/v1/staff?unit_id={unit}")),
        "POST /v1/staff" => Call::post(
            "/v1/staff",
            json!({"unit_id": unit, "name": "Ny", "role": c.grantable(p).as_str()}),
        ),
        "GET /v1/staff/{id}" => {
            let id = match (scope, t) {
                (Some(Scope::Own), Target::Own) => Ctx::staff_id(p),
                _ => format!("cw-{tag}"),
            };
            Call::get(format!("/v1/staff/{id}"))
        }
        "PATCH /v1/staff/{id}" => {
            let st = c.staff(c.grantable(p), t).await;
            Call::with(
                "PATCH",
                format!("/v1/staff/{st}"),
                json!({"name": "Nytt namn"}),
            )
        }
        "POST /v1/staff/{id}/enrollment-code" => {
            let st = c.staff(c.grantable(p), t).await;
            Call::post(format!("/v1/staff/{st}/enrollment-code"), json!({}))
        }
        "GET /v1/devices" => Call::get(format!("/v1/devices?staff_id=cw-{tag}")),
        "POST /v1/devices/{id}/revoke" => {
            let st = c.staff(c.grantable(p), t).await;
            let code = c
                .admin(&format!("/v1/staff/{st}/enrollment-code"), json!({}))
                .await;
            let (key, _) = SoftwareKey::generate().unwrap();
            let e = c
                .s
                .req(
                    "POST",
                    "/v1/enroll",
                    None,
                    Some(json!({"code": code["code"], "public_key": hex::encode(key.public_key().as_bytes())})),
                )
                .await
                .ok();
            Call::post(
                format!("/v1/devices/{}/revoke", e["device_id"].as_str().unwrap()),
                json!({}),
            )
        }
        // Brukare and decisions.
        "GET /v1/brukare" => Call::get(format!("/v1/brukare?unit_id={unit}")),
        "POST /v1/brukare" => Call::post(
            "/v1/brukare",
            json!({"unit_id": unit, "display_name": "N.", "address": "Gatan 2", "entry_notes": "Portkod 0000"}),
        ),
        "GET /v1/brukare/{id}" => Call::get(format!(
            "/v1/brukare/b-{}",
            if own { "own" } else { "other" }
        )),
        "GET /v1/brukare/{id}/decisions" => Call::get(format!(
            "/v1/brukare/b-{}/decisions",
            if own { "own" } else { "other" }
        )),
        "POST /v1/decisions" => Call::post(
            "/v1/decisions",
            json!({"brukare_id": if own { "b-own" } else { "b-other" }, "starts_at": 0, "ends_at": DAY0 + 500 * 24 * H}),
        ),
        "GET /v1/decisions/{id}" => Call::get(format!(
            "/v1/decisions/d-{}",
            if own { "own" } else { "other" }
        )),
        "PATCH /v1/decisions/{id}" => Call::with(
            "PATCH",
            format!("/v1/decisions/d-{}", if own { "own" } else { "other" }),
            json!({"ends_at": DAY0 + 400 * 24 * H}),
        ),
        // Visits, shifts, import.
        "GET /v1/visits" => Call::get(format!(
            "/v1/visits?brukare_id=b-{}",
            if own { "own" } else { "other" }
        )),
        "POST /v1/visits" => {
            let b = if own { "b-own" } else { "b-other" };
            Call::post(
                "/v1/visits",
                json!({"brukare_id": b, "decision_id": format!("d-{}", &b[2..]), "staff_id": format!("cw-{tag}"),
                       "starts_at": DAY0 + 14 * H, "ends_at": DAY0 + 14 * H + 1800}),
            )
        }
        "POST /v1/visits/{id}/cancel" => {
            let b = if own { "b-own" } else { "b-other" };
            let id = c.fresh("vis");
            c.admin(
                "/v1/visits",
                json!({"id": id, "brukare_id": b, "decision_id": format!("d-{}", &b[2..]), "staff_id": format!("cw-{tag}"),
                       "starts_at": DAY0 + 15 * H, "ends_at": DAY0 + 15 * H + 1800}),
            )
            .await;
            Call::post(format!("/v1/visits/{id}/cancel"), json!({}))
        }
        "GET /v1/shifts" => Call::get(format!("/v1/shifts?unit_id={unit}")),
        "POST /v1/shifts" => Call::post(
            "/v1/shifts",
            json!({"unit_id": unit, "staff_id": format!("np-{tag}"), "kind": "day",
                   "starts_at": DAY0 + 7 * H, "ends_at": DAY0 + 16 * H}),
        ),
        "POST /v1/import/csv" => {
            let b = if own { "b-own" } else { "b-other" };
            let may = |k: &str| c.policy.find(k).and_then(|o| o.scope_for(p)).is_some();
            let row = if may("POST /v1/visits") {
                format!(
                    "visit,{},{b},d-{},cw-{tag},2025-01-15 16:00,16:30",
                    c.fresh("iv"),
                    &b[2..]
                )
            } else if may("POST /v1/decisions") {
                format!("decision,{},{b},,,2025-01-01,2026-12-31", c.fresh("id"))
            } else {
                format!(
                    "shift,{},,,np-{tag},2025-01-15 07:00,16:00,{unit},day",
                    c.fresh("is")
                )
            };
            Some(Call {
                method: "POST",
                path: "/v1/import/csv".into(),
                body: None,
                csv: Some(format!(
                    "kind,id,brukare_id,decision_id,staff_id,starts,ends,unit_id,shift_kind\n{row}\n"
                )),
            })
        }
        "GET /v1/audit" => Call::get(format!(
            "/v1/audit?brukare_id=b-{}",
            if own { "own" } else { "other" }
        )),
        // Locks.
        "GET /v1/locks" => Call::get(format!(
            "/v1/locks?brukare_id=b-{}",
            if own { "own" } else { "other" }
        )),
        "POST /v1/locks" => {
            // A grant is for an open installation order of the unit.
            let order = c.fresh("ord-new");
            common::open_order(&c.s, &order, if own { "b-own" } else { "b-other" }).await;
            if own {
                let (key, _) = SoftwareKey::generate().unwrap();
                Call::post(
                    "/v1/locks",
                    json!({"lock_id": c.fresh("new"), "public_key": hex::encode(key.public_key().as_bytes()),
                           "order_id": order}),
                )
            } else {
                // A fresh grant for another unit's door.
                Call::post(
                    "/v1/locks",
                    json!({"lock_id": "l-other", "public_key": c.other_lock_key, "order_id": order}),
                )
            }
        }
        "GET /v1/locks/{id}" => {
            Call::get(format!("/v1/locks/l-{}", if own { "own" } else { "other" }))
        }
        "POST /v1/locks/{id}/install" => {
            let order = c.order(t).await;
            let o =
                c.s.get(&format!("/v1/orders/{order}"), &c.s.admin.clone())
                    .await
                    .ok();
            let tech = if p == Principal::Role(Role::AlarmTechnician) && own {
                Ctx::staff_id(p)
            } else {
                format!("at-{tag}")
            };
            c.admin(
                &format!("/v1/orders/{order}/scheduled"),
                json!({"scheduled_for": T0, "technician_id": tech}),
            )
            .await;
            let lock = c.lock(None).await;
            if p == Principal::Role(Role::AlarmTechnician) {
                // R1.9: the brukare's receipt, from the technician's phone.
                let dev = &c.devices.iter().find(|(q, _)| *q == p).unwrap().1;
                let b = o["brukare_id"].as_str().unwrap();
                let body =
                    common::receipt_body(dev, &c.fresh("kv"), &lock, b, T0, common::strokes());
                c.s.post("/v1/installation-receipts", &dev.token, body)
                    .await;
            }
            Call::post(
                format!("/v1/locks/{lock}/install"),
                json!({"brukare_id": o["brukare_id"]}),
            )
        }
        "POST /v1/locks/{id}/remove" => {
            let lock = c.lock(Some(if own { "b-own" } else { "b-other" })).await;
            Call::post(format!("/v1/locks/{lock}/remove"), json!({}))
        }
        // Orders.
        "GET /v1/orders" => Call::get(format!("/v1/orders?unit_id={unit}")),
        "POST /v1/orders/new-brukare" => {
            let b = c.brukare(t).await;
            Call::post(
                "/v1/orders/new-brukare",
                json!({"brukare_id": b, "brukare_informed": true, "accepted": true}),
            )
        }
        "POST /v1/orders/existing-brukare" => {
            let b = c.brukare(t).await;
            Call::post(
                "/v1/orders/existing-brukare",
                json!({"brukare_id": b, "name": "N", "phone": "+46 8 1", "address": "A"}),
            )
        }
        "POST /v1/orders/entrance" => {
            let b = c.brukare(t).await;
            Call::post(
                "/v1/orders/entrance",
                json!({"brukare_id": b, "building_address": "Gatan 1", "brukare_has_alarm": false}),
            )
        }
        "POST /v1/orders/maintenance" => {
            let lock = c.lock(Some(if own { "b-own" } else { "b-other" })).await;
            Call::post(
                "/v1/orders/maintenance",
                json!({"lock_id": lock, "reason": "Byt batteri"}),
            )
        }
        "GET /v1/orders/{id}" => Call::get(format!(
            "/v1/orders/o-{}",
            if own { "own" } else { "other" }
        )),
        "POST /v1/orders/{id}/cancel" => {
            let o = c.order(t).await;
            Call::post(format!("/v1/orders/{o}/cancel"), json!({}))
        }
        "POST /v1/orders/{id}/scheduled" => {
            let o = c.order(t).await;
            let body = if p == Principal::Admin {
                json!({"scheduled_for": T0, "technician_id": format!("at-{tag}")})
            } else {
                json!({"scheduled_for": T0})
            };
            Call::post(format!("/v1/orders/{o}/scheduled"), body)
        }
        "POST /v1/orders/{id}/done" => {
            let lock = c.lock(Some(if own { "b-own" } else { "b-other" })).await;
            let o = c.fresh("mo");
            c.admin(
                "/v1/orders/maintenance",
                json!({"id": o, "lock_id": lock, "reason": "Service"}),
            )
            .await;
            let tech = if p == Principal::Role(Role::AlarmTechnician) && own {
                Ctx::staff_id(p)
            } else {
                format!("at-{tag}")
            };
            c.admin(
                &format!("/v1/orders/{o}/scheduled"),
                json!({"scheduled_for": T0, "technician_id": tech}),
            )
            .await;
            Call::post(format!("/v1/orders/{o}/done"), json!({}))
        }
        "GET /v1/units/{id}/card" => Call::get(format!("/v1/units/{unit}/card?lang=en")),
        "POST /v1/installation-receipts" => {
            let signer = match p {
                Principal::Role(Role::AlarmTechnician) => {
                    &c.devices.iter().find(|(q, _)| *q == p).unwrap().1
                }
                _ => &c.devices[0].1,
            };
            let lock = c.lock(None).await;
            let b = c.brukare(t).await;
            Call::post(
                "/v1/installation-receipts",
                common::receipt_body(signer, &c.fresh("kv"), &lock, &b, T0, common::strokes()),
            )
        }
        "GET /v1/installation-receipts/{id}" => {
            let tech = c.device(Role::AlarmTechnician, t).await;
            let lock = c.lock(None).await;
            let b = c.brukare(t).await;
            let r = common::upload_receipt(&c.s, &tech, &lock, &b).await;
            Call::get(format!(
                "/v1/installation-receipts/{}",
                r["id"].as_str().unwrap()
            ))
        }
        "POST /v1/brukare/{id}/service-ended" => {
            let b = c.brukare(t).await;
            c.lock(Some(&b)).await;
            Call::post(format!("/v1/brukare/{b}/service-ended"), json!({}))
        }
        "POST /v1/orders/{id}/contacts" => {
            let b = c.brukare(t).await;
            c.lock(Some(&b)).await;
            let co = c.device(Role::Coordinator, t).await;
            let r =
                c.s.post(
                    &format!("/v1/brukare/{b}/service-ended"),
                    &co.token,
                    json!({}),
                )
                .await
                .ok();
            let o = r["removal_orders"][0]["id"].as_str().unwrap().to_owned();
            Call::post(
                format!("/v1/orders/{o}/contacts"),
                json!({"party": "brukaren"}),
            )
        }
        "GET /v1/brukare-without-lock" => {
            Call::get(format!("/v1/brukare-without-lock?unit_id={unit}"))
        }
        // Outages.
        "GET /v1/outages" => Call::get(format!("/v1/outages?unit_id={unit}")),
        "GET /v1/outages/{id}" => Call::get(format!(
            "/v1/outages/case-{}",
            if own { "own" } else { "other" }
        )),
        "POST /v1/outages/{id}/alarm-group"
        | "POST /v1/outages/{id}/night-patrol"
        | "POST /v1/outages/{id}/needs-assessor" => {
            let action = route.rsplit('/').next().unwrap();
            Call::post(
                format!(
                    "/v1/outages/case-{}/{action}",
                    if own { "own" } else { "other" }
                ),
                json!({"id": c.fresh("om")}),
            )
        }
        "POST /v1/outages/{id}/working" => {
            let case = c.case(t).await;
            Call::post(format!("/v1/outages/{case}/working"), json!({}))
        }
        "POST /v1/outages/{id}/repaired" => {
            let case = c.case(t).await;
            Call::post(format!("/v1/outages/{case}/repaired"), json!({}))
        }
        // Major outages: the municipality's, one unit is as good as another.
        "GET /v1/major-outages"
        | "GET /v1/major-outage-suggestions"
        | "GET /v1/manager-contacts" => own.then(|| Call::get(route.split_once(' ').unwrap().1))?,
        "GET /v1/major-outages/{id}" => {
            if !own {
                return None;
            }
            let id = c.open_major().await;
            Call::get(format!("/v1/major-outages/{id}"))
        }
        "POST /v1/major-outages" => {
            if !own {
                return None;
            }
            c.end_major().await;
            Call::post(
                "/v1/major-outages",
                json!({"summary": "Alla låsvred ur funktion"}),
            )
        }
        "POST /v1/major-outages/{id}/updates" | "POST /v1/major-outages/{id}/end" => {
            if !own {
                return None;
            }
            let id = c.open_major().await;
            let action = route.rsplit('/').next().unwrap();
            Call::post(
                format!("/v1/major-outages/{id}/{action}"),
                json!({"text": "Läget nu"}),
            )
        }
        "POST /v1/major-outage-suggestions/{id}/dismiss" => {
            if !own {
                return None;
            }
            let id = c.suggestion().await;
            Call::post(
                format!("/v1/major-outage-suggestions/{id}/dismiss"),
                json!({}),
            )
        }
        "POST /v1/manager-contacts" => {
            if !own {
                return None;
            }
            let id = c.fresh("chef");
            Call::post(
                "/v1/manager-contacts",
                json!({"id": id, "name": "Chef", "email": format!("{id}@example.se"), "organisation": "Kommunen"}),
            )
        }
        "PUT /v1/manager-contacts/{id}" => {
            if !own {
                return None;
            }
            let id = c.fresh("chef");
            let body = json!({"id": id, "name": "Chef", "email": format!("{id}@example.se"), "organisation": "Kommunen"});
            c.admin("/v1/manager-contacts", body.clone()).await;
            Call::with(
                "PUT",
                format!("/v1/manager-contacts/{id}"),
                json!({"name": "Ny chef", "email": format!("{id}@example.se"), "organisation": "Kommunen"}),
            )
        }
        "POST /v1/scheduler/run" => own.then(|| Call::post("/v1/scheduler/run", json!({})))?,
        "GET /v1/deviations" => Call::get(format!("/v1/deviations?unit_id={unit}")),
        "POST /v1/deviations/{id}/reported" => {
            // The case's minor deviation (R2.15).
            let case = c.case(t).await;
            let dev: String = sqlx::query_scalar(
                "SELECT d.id FROM deviations d JOIN deviation_outages x ON x.deviation_id = d.id \
                 WHERE x.outage_id = $1 AND d.kind = 'minor'",
            )
            .bind(&case)
            .fetch_one(c.s.handle.db().pool())
            .await
            .unwrap();
            Call::post(format!("/v1/deviations/{dev}/reported"), json!({}))
        }
        other => panic!(
            "the matrix has no case for {other}: add one here (and its policy entry in policy.toml)"
        ),
    }
}

/// What the policy says `p` gets on `route` for a target in `t`.
fn expect(policy: &Policy, route: &str, p: Principal, t: Target) -> Expect {
    let op = policy
        .find(route)
        .unwrap_or_else(|| panic!("{route} has no policy entry"));
    if op.public {
        return Expect::Success;
    }
    let Some(scope) = op.scope_for(p) else {
        return Expect::Denied;
    };
    let own = t == Target::Own;
    match scope {
        Scope::All | Scope::AlarmGroup => Expect::Success,
        Scope::Units | Scope::Own | Scope::Scheduled | Scope::Assigned if own => Expect::Success,
        Scope::Units | Scope::Own | Scope::Scheduled | Scope::Assigned => Expect::Denied,
        Scope::Keyed if own => Expect::Success,
        Scope::Keyed => Expect::Rejected,
        Scope::Routine => {
            let Principal::Role(role) = p else {
                return Expect::Denied;
            };
            match policy.messages().iter().find(|m| m.from.contains(&role)) {
                None => Expect::Denied,
                Some(_) if own => Expect::Success,
                Some(m) => {
                    if policy.may_message(&m.step, role, m.to[0]) == Some(true) {
                        Expect::Success
                    } else {
                        Expect::Denied
                    }
                }
            }
        }
    }
}

async fn send(c: &Ctx, call: &Call, token: Option<&str>) -> common::Resp {
    match &call.csv {
        Some(csv) => {
            c.s.raw(
                call.method,
                &call.path,
                token,
                Some("text/csv"),
                csv.clone().into_bytes(),
            )
            .await
        }
        None => {
            c.s.req(call.method, &call.path, token, call.body.clone())
                .await
        }
    }
}

fn check(
    route: &str,
    who: &str,
    t: Option<Target>,
    want: Expect,
    got: &common::Resp,
) -> Result<(), String> {
    let st = got.status.as_u16();
    let ok = match want {
        Expect::Success => {
            (200..300).contains(&st) && got.body["results"][0]["status"] != "rejected"
        }
        Expect::Denied => {
            st == 403 && (got.body["error"] == "forbidden" || got.body["error"] == "no_key")
        }
        Expect::Unauthenticated => st == 401,
        Expect::Rejected => st == 200 && got.body["results"][0]["status"] == "rejected",
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{route} by {who} on {t:?}: expected {want:?}, got {st} {}",
            got.body.to_string().chars().take(300).collect::<String>()
        ))
    }
}

async fn setup(b: Backend) -> Ctx {
    let s = TestServer::start_with(b, |c| {
        // Many cases on fresh locks here: no major outages.
        c.settings.major_outage_locks = 1000;
        c.settings.rate_limits = RateLimits {
            per_address_burst: 100_000,
            per_address_per_minute: 100_000,
            per_device_burst: 100_000,
            per_device_per_minute: 100_000,
            max_pending_challenges: 100_000,
        };
    })
    .await;
    for u in ["u1", "u2"] {
        s.admin_post(
            "/v1/units",
            json!({"id": u, "name": format!("Unit {u}"), "settings": settings()}),
        )
        .await;
    }
    // One staff member per role in each unit: `{role}-a` in u1 (the
    // callers), `{role}-b` in u2 (the other unit's people).
    for p in PRINCIPALS {
        let Principal::Role(role) = p else { continue };
        for (tag, unit) in [("a", "u1"), ("b", "u2")] {
            s.admin_post(
                "/v1/staff",
                json!({"id": format!("{}-{tag}", short(p)), "unit_id": unit, "name": "Person", "role": role.as_str()}),
            )
            .await;
        }
    }
    let mut other_lock_key = String::new();
    for (b, d, l, unit) in [
        ("b-own", "d-own", "l-own", "u1"),
        ("b-other", "d-other", "l-other", "u2"),
    ] {
        s.admin_post(
            "/v1/brukare",
            json!({"id": b, "unit_id": unit, "display_name": "B.", "address": "Gatan 3", "entry_notes": "Portkod 1"}),
        )
        .await;
        s.admin_post(
            "/v1/decisions",
            json!({"id": d, "brukare_id": b, "starts_at": 0, "ends_at": DAY0 + 400 * 24 * H}),
        )
        .await;
        let key = common::add_lock(&s, l, b).await;
        if l == "l-other" {
            other_lock_key = hex::encode(key.public_key().as_bytes());
        }
    }
    // Visits now for those whose work is visits (their care keys).
    let policy = Policy::builtin().unwrap();
    for p in PRINCIPALS {
        let Principal::Role(role) = p else { continue };
        if policy.may_work(Work::Visit, role) {
            s.admin_post(
                "/v1/visits",
                json!({"brukare_id": "b-own", "decision_id": "d-own", "staff_id": format!("{}-a", short(p)),
                       "starts_at": T0, "ends_at": T0 + 1800}),
            )
            .await;
        }
    }
    // A maintenance order on l-maint booked for the technician (their key).
    common::add_lock(&s, "l-maint", "b-own").await;
    s.admin_post(
        "/v1/orders/maintenance",
        json!({"id": "m-own", "lock_id": "l-maint", "reason": "Service"}),
    )
    .await;
    s.admin_post(
        "/v1/orders/m-own/scheduled",
        json!({"scheduled_for": T0, "technician_id": "at-a"}),
    )
    .await;
    // Orders and outage cases to read.
    for (o, b) in [("o-own", "u1"), ("o-other", "u2")] {
        let bk = format!("bo-{b}");
        s.admin_post(
            "/v1/brukare",
            json!({"id": bk, "unit_id": b, "display_name": "O.", "address": "Gatan 4"}),
        )
        .await;
        s.admin_post(
            "/v1/orders/existing-brukare",
            json!({"id": o, "brukare_id": bk, "name": "N", "phone": "+46 8 1", "address": "A"}),
        )
        .await;
    }
    let mut devices = Vec::new();
    for p in PRINCIPALS {
        if let Principal::Role(_) = p {
            devices.push((p, s.enroll(&format!("{}-a", short(p))).await));
        }
    }
    let c = Ctx {
        s,
        policy,
        devices,
        n: AtomicU64::new(0),
        other_lock_key,
    };
    for (case, t) in [("case-own", Target::Own), ("case-other", Target::Other)] {
        let lock = c
            .lock(Some(if t == Target::Own { "b-own" } else { "b-other" }))
            .await;
        let reporter = c.s.enroll(&format!("cw-{}", Ctx::tag(t))).await;
        c.s.post(
            "/v1/events",
            &reporter.token,
            json!({"events": [{"id": format!("ev-{case}"), "kind": "outage_report", "occurred_at": T0,
                "lock_id": lock, "data": {"report_id": case, "lock_id": lock, "cause": "jammed", "steps": []}}]}),
        )
        .await
        .ok();
    }
    c
}

async fn every_route_every_role_every_scope(b: Backend) {
    let c = setup(b).await;
    let routes = nyckelfri_server::api::route_table();
    let mut failures = Vec::new();
    let mut calls = 0;
    for (m, path) in &routes {
        let route = format!("{m} {path}");
        // A route without a policy entry fails here (and the server would
        // not start).
        let op = c
            .policy
            .find(&route)
            .unwrap_or_else(|| panic!("{route} has no policy entry"));
        // No session.
        if let Some(call) = build(&c, &route, PRINCIPALS[0], Target::Own).await {
            let want = if op.public {
                Expect::Success
            } else {
                Expect::Unauthenticated
            };
            let got = send(&c, &call, None).await;
            calls += 1;
            if let Err(e) = check(&route, "no session", None, want, &got) {
                failures.push(e);
            }
        }
        if op.public {
            continue;
        }
        for p in PRINCIPALS {
            for t in [Target::Own, Target::Other] {
                let Some(call) = build(&c, &route, p, t).await else {
                    continue;
                };
                let want = expect(&c.policy, &route, p, t);
                let got = send(&c, &call, Some(&c.token(p))).await;
                calls += 1;
                if let Err(e) = check(&route, p.as_str(), Some(t), want, &got) {
                    failures.push(e);
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {calls} calls differ from the policy:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(calls > routes.len() * 12, "only {calls} calls");
    c.s.stop().await;
}
backend_test!(
    every_route_every_role_every_scope_t,
    every_route_every_role_every_scope
);

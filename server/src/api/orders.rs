//! Orders to the alarm group (routine R1): the authority's order for a new
//! brukare (R1.1, R1.7), home care's orders for an existing brukare (R1.3,
//! R1.8) and for an entrance lock (R1.4), the alarm group's booking,
//! cancellation (R1.5), and home care's list of brukare still without a
//! lock (R1.2). Removal orders (R1.5, R1.11) are made by the server when a
//! care decision ends and by home care's "service ended"; the alarm group
//! records whom they contacted and closes them by `POST
//! /v1/locks/{id}/remove` (R1.12); see `crate::orders`.

use axum::extract::State;
use sqlx::Row;

use super::{Json, Path, Query};
use crate::audit::{self, Action};
use crate::codec;
use crate::error::{Error, ErrorBody, Result};
use crate::model::{
    Brukare, BrukareWithoutLock, CancelOrder, CreateEntranceOrder, CreateExistingBrukareOrder,
    CreateMaintenanceOrder, CreateNewBrukareOrder, LockState, Order, OrderDone, OrderKind,
    OrderQuery, OrderStatus, OrderStatusFilter, RecordOrderContact, Role, ScheduleOrder,
    ServiceEnded, ServiceEndedResponse, WithoutLockQuery,
};
use crate::orders::{
    ACTIVE, ORDER_SELECT, Removal, add_contact, cancel_in, message_alarm_group, message_role,
    order_in, removal_orders, revoke_closed_order_tokens, row_order, with_contacts,
};
use crate::permit::{Permit, UnitScope};
use crate::policy::{Scope, Work};
use crate::state::AppState;
use crate::store;

/// Longest client-made order id (the server's message ids are made from it).
const MAX_ORDER_ID: usize = 40;

fn order_id(id: &Option<String>) -> Result<String> {
    match id {
        Some(id) => {
            codec::check_id(id, "id")?;
            if id.len() > MAX_ORDER_ID {
                return Err(Error::bad(format!(
                    "id must be 1 to {MAX_ORDER_ID} characters"
                )));
            }
            Ok(id.clone())
        }
        None => codec::new_id("ord"),
    }
}

fn check_note(note: &Option<String>, what: &str) -> Result<()> {
    match note {
        Some(n) => codec::check_text(n, 2000, what, true),
        None => Ok(()),
    }
}

/// A retry with the same id: the order as it is when it is the same order
/// (and in the caller's reach), 409 when the id is taken by another.
async fn existing(
    s: &AppState,
    permit: &Permit,
    id: &str,
    kind: OrderKind,
    brukare_id: &str,
) -> Result<Option<Order>> {
    let mut conn = s.db().pool().acquire().await?;
    match order_in(&mut conn, id).await {
        Ok(o) if o.kind == kind && o.brukare_id == brukare_id => {
            permit.require_unit(&o.unit_id)?;
            Ok(Some(o))
        }
        Ok(_) => Err(Error::Conflict(format!(
            "order id '{id}' is already used by another order"
        ))),
        Err(Error::NotFound { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// 409 when the brukare already has an active order of one of `kinds`.
async fn no_active(s: &AppState, brukare_id: &str, kinds: &str) -> Result<()> {
    let other: Option<String> = sqlx::query_scalar(&format!(
        "SELECT id FROM orders WHERE brukare_id = $1 AND kind IN {kinds} AND status IN {ACTIVE} \
         ORDER BY created_at, id LIMIT 1"
    ))
    .bind(brukare_id)
    .fetch_optional(s.db().pool())
    .await?;
    match other {
        Some(o) => Err(Error::Conflict(format!(
            "brukare '{brukare_id}' already has an open installation order '{o}'"
        ))),
        None => Ok(()),
    }
}

/// 409 when the brukare already has an installed door lock.
async fn no_door_lock(s: &AppState, brukare_id: &str) -> Result<()> {
    let lock: Option<String> = sqlx::query_scalar(
        "SELECT id FROM locks WHERE brukare_id = $1 AND kind = 'door' \
         AND installed_at IS NOT NULL AND removed_at IS NULL ORDER BY id LIMIT 1",
    )
    .bind(brukare_id)
    .fetch_optional(s.db().pool())
    .await?;
    match lock {
        Some(l) => Err(Error::Conflict(format!(
            "brukare '{brukare_id}' already has the lock '{l}' installed"
        ))),
        None => Ok(()),
    }
}

/// The columns an order is made with.
struct NewOrder<'a> {
    id: &'a str,
    kind: OrderKind,
    status: OrderStatus,
    brukare: &'a Brukare,
    informed: Option<bool>,
    accepted: Option<bool>,
    name: Option<&'a str>,
    phone: Option<&'a str>,
    address: Option<&'a str>,
    note: Option<&'a str>,
    lock_id: Option<&'a str>,
}

/// Stores an order and sends its messages (one for each (role, step,
/// subject, body)), in one transaction with its audit entry. A concurrent
/// insert of the same id gives that order back.
async fn store_order(
    s: &AppState,
    permit: &Permit,
    n: &NewOrder<'_>,
    messages: &[(Role, &str, &str, String)],
) -> Result<Order> {
    let now = s.now();
    let from = permit.from();
    let mut tx = s.db().begin_write().await?;
    let r = sqlx::query(
        "INSERT INTO orders (id, kind, status, unit_id, brukare_id, brukare_informed, \
         brukare_accepted, contact_name, contact_phone, address, note, created_at, created_by, \
         updated_at, lock_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $12, $14) \
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(n.id)
    .bind(n.kind.as_str())
    .bind(n.status.as_str())
    .bind(&n.brukare.unit_id)
    .bind(&n.brukare.id)
    .bind(n.informed.map(i64::from))
    .bind(n.accepted.map(i64::from))
    .bind(n.name.map(str::to_owned))
    .bind(n.phone.map(str::to_owned))
    .bind(n.address.map(str::to_owned))
    .bind(n.note.map(str::to_owned))
    .bind(now)
    .bind(from.map(|(id, _)| id.to_owned()))
    .bind(n.lock_id.map(str::to_owned))
    .execute(&mut *tx)
    .await?;
    let o = order_in(&mut tx, n.id).await?;
    if r.rows_affected() == 0 {
        tx.commit().await?;
        if o.kind != n.kind || o.brukare_id != n.brukare.id {
            return Err(Error::Conflict(format!(
                "order id '{}' is already used by another order",
                n.id
            )));
        }
        return Ok(o);
    }
    for (role, step, subject, body) in messages {
        if *role == Role::AlarmTechnician {
            message_alarm_group(&mut tx, &o, step, subject, body, from, now).await?;
        } else {
            message_role(&mut tx, &o, *role, step, subject, body, from, now).await?;
        }
    }
    let rec = permit
        .record(Action::Write, now)
        .target("order", &o.id, Some(&o.unit_id))
        .after(&o)
        .brukare([o.brukare_id.as_str()]);
    audit::insert(&mut tx, &[rec]).await?;
    tx.commit().await?;
    Ok(o)
}

fn yes_no(b: bool) -> &'static str {
    if b { "ja" } else { "nej" }
}

/// R1.1, R1.7: the authority's order for a new brukare (needs assessors).
/// It goes to the alarm group and to home care (the unit's coordinator) as
/// messages, saying whether the brukare was informed and accepted. A
/// declined order is recorded as `declined` and makes no installation work.
#[utoipa::path(post, path = "/v1/orders/new-brukare", tag = "orders", security(("session" = [])),
    request_body = CreateNewBrukareOrder,
    responses((status = 200, body = Order), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, description = "Unknown brukare", body = ErrorBody),
        (status = 409, description = "An open installation order or an installed lock already exists, or the id is taken", body = ErrorBody)))]
pub(super) async fn create_new_brukare(
    State(s): State<AppState>,
    permit: Permit,
    Json(req): Json<CreateNewBrukareOrder>,
) -> Result<Json<Order>> {
    let id = order_id(&req.id)?;
    codec::check_id(&req.brukare_id, "brukare_id")?;
    check_note(&req.note, "note")?;
    if let Some(o) = existing(&s, &permit, &id, OrderKind::NewBrukare, &req.brukare_id).await? {
        return Ok(Json(o));
    }
    let b = store::brukare(s.db(), &req.brukare_id).await?;
    permit.require_unit(&b.unit_id)?;
    let status = if req.accepted {
        no_active(&s, &b.id, "('new_brukare', 'existing_brukare')").await?;
        no_door_lock(&s, &b.id).await?;
        OrderStatus::Open
    } else {
        OrderStatus::Declined
    };
    let outcome = if req.accepted {
        "Brukaren har accepterat: låsvredet ska installeras."
    } else {
        "Brukaren har avböjt: ingen installation. Hemtjänsten arbetar för att motivera (R1.2)."
    };
    let body = format!(
        "Ny brukare {} ({}), {}. Informerad om elektroniskt låsvred: {}. {outcome} \
         Beställning {id}.{}",
        b.display_name,
        b.id,
        b.address,
        yes_no(req.brukare_informed),
        req.note
            .as_deref()
            .map(|n| format!(" {n}"))
            .unwrap_or_default()
    );
    let subject = if req.accepted {
        "Beställning: låsvred till ny brukare"
    } else {
        "Ny brukare har avböjt låsvred"
    };
    let o = store_order(
        &s,
        &permit,
        &NewOrder {
            id: &id,
            kind: OrderKind::NewBrukare,
            status,
            brukare: &b,
            informed: Some(req.brukare_informed),
            accepted: Some(req.accepted),
            name: None,
            phone: None,
            address: None,
            note: req.note.as_deref(),
            lock_id: None,
        },
        &[
            (Role::AlarmTechnician, "R1.7", subject, body.clone()),
            (Role::Coordinator, "R1.7", subject, body),
        ],
    )
    .await?;
    Ok(Json(o))
}

/// R1.3, R1.8: home care's order for an existing brukare (coordinators and
/// unit managers, own unit) to the alarm group. It must carry the
/// brukare's name, a phone number to book the installation, and the
/// address: 400 when one is missing.
#[utoipa::path(post, path = "/v1/orders/existing-brukare", tag = "orders", security(("session" = [])),
    request_body = CreateExistingBrukareOrder,
    responses((status = 200, body = Order),
        (status = 400, description = "Bad input, or name, phone or address missing (R1.8)", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, description = "Unknown brukare", body = ErrorBody),
        (status = 409, description = "An open installation order or an installed lock already exists, or the id is taken", body = ErrorBody)))]
pub(super) async fn create_existing_brukare(
    State(s): State<AppState>,
    permit: Permit,
    Json(req): Json<CreateExistingBrukareOrder>,
) -> Result<Json<Order>> {
    let id = order_id(&req.id)?;
    codec::check_id(&req.brukare_id, "brukare_id")?;
    let blank = |v: &Option<String>| v.as_deref().is_none_or(|t| t.trim().is_empty());
    let missing: Vec<&str> = [
        ("name", &req.name),
        ("phone", &req.phone),
        ("address", &req.address),
    ]
    .into_iter()
    .filter(|(_, v)| blank(v))
    .map(|(k, _)| k)
    .collect();
    if !missing.is_empty() {
        return Err(Error::bad(format!(
            "an order for an existing brukare must carry the brukare's name, a phone number to \
             book the installation and the address (R1.8); missing: {}",
            missing.join(", ")
        )));
    }
    let name = req.name.as_deref().unwrap_or_default();
    let phone = req.phone.as_deref().unwrap_or_default();
    let address = req.address.as_deref().unwrap_or_default();
    codec::check_text(name, 100, "name", false)?;
    store::check_phone(phone, "phone")?;
    codec::check_text(address, 200, "address", false)?;
    check_note(&req.note, "note")?;
    if let Some(o) = existing(
        &s,
        &permit,
        &id,
        OrderKind::ExistingBrukare,
        &req.brukare_id,
    )
    .await?
    {
        return Ok(Json(o));
    }
    let b = store::brukare(s.db(), &req.brukare_id).await?;
    permit.require_unit(&b.unit_id)?;
    no_active(&s, &b.id, "('new_brukare', 'existing_brukare')").await?;
    no_door_lock(&s, &b.id).await?;
    let body = format!(
        "Hemtjänsten beställer elektroniskt låsvred till {name} ({}). Adress: {address}. \
         Telefon för att boka installation: {phone}. Beställning {id}.{}",
        b.id,
        req.note
            .as_deref()
            .map(|n| format!(" {n}"))
            .unwrap_or_default()
    );
    let o = store_order(
        &s,
        &permit,
        &NewOrder {
            id: &id,
            kind: OrderKind::ExistingBrukare,
            status: OrderStatus::Open,
            brukare: &b,
            informed: None,
            accepted: None,
            name: Some(name),
            phone: Some(phone),
            address: Some(address),
            note: req.note.as_deref(),
            lock_id: None,
        },
        &[(
            Role::AlarmTechnician,
            "R1.8",
            "Beställning: låsvred till befintlig brukare",
            body,
        )],
    )
    .await?;
    Ok(Json(o))
}

/// R1.4: home care orders an entrance lock (portlås) for a building where
/// staff must get in and the brukare has no alarm and only receives care
/// services (coordinators and unit managers, own unit).
#[utoipa::path(post, path = "/v1/orders/entrance", tag = "orders", security(("session" = [])),
    request_body = CreateEntranceOrder,
    responses((status = 200, body = Order),
        (status = 400, description = "Bad input, no building address, or the brukare has an alarm (R1.4)", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, description = "Unknown brukare", body = ErrorBody),
        (status = 409, description = "An open entrance order exists, or the id is taken", body = ErrorBody)))]
pub(super) async fn create_entrance(
    State(s): State<AppState>,
    permit: Permit,
    Json(req): Json<CreateEntranceOrder>,
) -> Result<Json<Order>> {
    let id = order_id(&req.id)?;
    codec::check_id(&req.brukare_id, "brukare_id")?;
    let address = req
        .building_address
        .as_deref()
        .filter(|a| !a.trim().is_empty())
        .ok_or_else(|| {
            Error::bad(
                "an entrance lock order must carry the building's address (building_address)",
            )
        })?;
    codec::check_text(address, 200, "building_address", false)?;
    match req.brukare_has_alarm {
        None => {
            return Err(Error::bad(
                "say whether the brukare has an alarm (brukare_has_alarm): an entrance lock is \
                 ordered where the brukare has no alarm and only receives care services (R1.4)",
            ));
        }
        Some(true) => {
            return Err(Error::bad(
                "an entrance lock is ordered only where the brukare has no alarm and only \
                 receives care services (R1.4)",
            ));
        }
        Some(false) => {}
    }
    if let Some(p) = &req.phone {
        store::check_phone(p, "phone")?;
    }
    check_note(&req.note, "note")?;
    if let Some(o) = existing(&s, &permit, &id, OrderKind::Entrance, &req.brukare_id).await? {
        return Ok(Json(o));
    }
    let b = store::brukare(s.db(), &req.brukare_id).await?;
    permit.require_unit(&b.unit_id)?;
    no_active(&s, &b.id, "('entrance')").await?;
    let body = format!(
        "Hemtjänsten beställer portlås till {address}, där personalen behöver komma in till {} \
         ({}), som inte har larm och bara har hemtjänstinsatser.{} Beställning {id}.{}",
        b.display_name,
        b.id,
        req.phone
            .as_deref()
            .map(|p| format!(" Telefon: {p}."))
            .unwrap_or_default(),
        req.note
            .as_deref()
            .map(|n| format!(" {n}"))
            .unwrap_or_default()
    );
    let o = store_order(
        &s,
        &permit,
        &NewOrder {
            id: &id,
            kind: OrderKind::Entrance,
            status: OrderStatus::Open,
            brukare: &b,
            informed: None,
            accepted: None,
            name: None,
            phone: req.phone.as_deref(),
            address: Some(address),
            note: req.note.as_deref(),
            lock_id: None,
        },
        &[(Role::AlarmTechnician, "R1.4", "Beställning: portlås", body)],
    )
    .await?;
    Ok(Json(o))
}

/// Home care orders maintenance of an installed lock of its unit (a
/// battery change, a repair after an outage, R2.11); the alarm group is
/// messaged. Its keys are maintenance keys, for the technician it is booked
/// for.
#[utoipa::path(post, path = "/v1/orders/maintenance", tag = "orders", security(("session" = [])),
    request_body = CreateMaintenanceOrder,
    responses((status = 200, body = Order),
        (status = 400, description = "Bad input, or the lock is not installed", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, description = "Unknown lock or outage case", body = ErrorBody),
        (status = 409, description = "An open maintenance order for the lock exists, or the id is taken", body = ErrorBody)))]
pub(super) async fn create_maintenance(
    State(s): State<AppState>,
    permit: Permit,
    Json(req): Json<CreateMaintenanceOrder>,
) -> Result<Json<Order>> {
    let id = order_id(&req.id)?;
    codec::check_id(&req.lock_id, "lock_id")?;
    codec::check_text(&req.reason, 2000, "reason", false)?;
    let lock = store::lock(s.db(), &req.lock_id).await?;
    let Some(brukare_id) = lock
        .brukare_id
        .clone()
        .filter(|_| lock.state == LockState::Installed)
    else {
        return Err(Error::bad(format!(
            "lock '{}' is not installed at a brukare; maintenance is for installed locks",
            lock.id
        )));
    };
    if let Some(o) = existing(&s, &permit, &id, OrderKind::Maintenance, &brukare_id).await? {
        return Ok(Json(o));
    }
    let b = store::brukare(s.db(), &brukare_id).await?;
    permit.require_unit(&b.unit_id)?;
    if let Some(case) = &req.outage_id {
        codec::check_id(case, "outage_id")?;
        if crate::outages::case_unit(s.db(), case).await? != b.unit_id {
            return Err(Error::bad("the outage case is another unit's"));
        }
    }
    let open: Option<String> = sqlx::query_scalar(&format!(
        "SELECT id FROM orders WHERE lock_id = $1 AND kind = 'maintenance' AND status IN {ACTIVE} \
         LIMIT 1"
    ))
    .bind(&lock.id)
    .fetch_optional(s.db().pool())
    .await?;
    if let Some(o) = open {
        return Err(Error::Conflict(format!(
            "lock '{}' already has an open maintenance order '{o}'",
            lock.id
        )));
    }
    let body = format!(
        "Hemtjänsten beställer service av låsvred {} hos {} ({}), {}: {}.{} Beställning {id}.",
        lock.id,
        b.display_name,
        b.id,
        b.address,
        req.reason,
        req.outage_id
            .as_deref()
            .map(|c| format!(" Ärende {c}."))
            .unwrap_or_default()
    );
    let o = store_order(
        &s,
        &permit,
        &NewOrder {
            id: &id,
            kind: OrderKind::Maintenance,
            status: OrderStatus::Open,
            brukare: &b,
            informed: None,
            accepted: None,
            name: None,
            phone: None,
            address: Some(&b.address),
            note: Some(&req.reason),
            lock_id: Some(&lock.id),
        },
        &[(
            Role::AlarmTechnician,
            "R2.11",
            "Beställning: service av låsvred",
            body,
        )],
    )
    .await?;
    Ok(Json(o))
}

/// Orders of the caller's units (all units for the head of operations),
/// newest first: active ones (open or scheduled) by default.
#[utoipa::path(get, path = "/v1/orders", tag = "orders", security(("session" = [])), params(OrderQuery),
    responses((status = 200, body = Vec<Order>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub(super) async fn list(
    State(s): State<AppState>,
    permit: Permit,
    Query(q): Query<OrderQuery>,
) -> Result<Json<Vec<Order>>> {
    let unit = permit.list_unit(&q.unit_id, "unit_id")?;
    let brukare = codec::filter_id(&q.brukare_id, "brukare_id")?;
    let limit = q.limit.unwrap_or(200);
    if !(1..=1000).contains(&limit) {
        return Err(Error::bad("limit must be 1 to 1000"));
    }
    let status = match q.status.unwrap_or(OrderStatusFilter::Active) {
        OrderStatusFilter::Active => ACTIVE.to_owned(),
        OrderStatusFilter::All => {
            "('open', 'scheduled', 'installed', 'removed', 'cancelled', 'declined', 'done')"
                .to_owned()
        }
        // A single status from the closed enum: safe to inline.
        one => format!("('{}')", one.as_str()),
    };
    let kind = q.kind.map(|k| k.as_str()).unwrap_or_default();
    let rows = sqlx::query(&format!(
        "{ORDER_SELECT} WHERE o.status IN {status} AND ($1 = '' OR o.unit_id = $1) \
         AND ($2 = '' OR o.kind = $2) AND ($3 = '' OR o.brukare_id = $3) AND {} \
         ORDER BY o.created_at DESC, o.id LIMIT $4",
        UnitScope::sql("o.unit_id", 5)
    ))
    .bind(&unit)
    .bind(kind)
    .bind(&brukare)
    .bind(limit)
    .bind(permit.unit_scope().param())
    .fetch_all(s.db().pool())
    .await?;
    let mut list: Vec<Order> = rows.iter().map(row_order).collect::<Result<_>>()?;
    let mut conn = s.db().pool().acquire().await?;
    with_contacts(&mut conn, &mut list).await?;
    crate::audit::read(&s, &permit, list.iter().map(|o| o.brukare_id.as_str())).await;
    Ok(Json(list))
}

/// An order in the caller's reach.
async fn order_in_reach(s: &AppState, permit: &Permit, id: &str) -> Result<Order> {
    let mut conn = s.db().pool().acquire().await?;
    let o = order_in(&mut conn, id).await?;
    permit.require_unit(&o.unit_id)?;
    Ok(o)
}

/// One order.
#[utoipa::path(get, path = "/v1/orders/{id}", tag = "orders", security(("session" = [])),
    params(("id" = String, Path, description = "Order id")),
    responses((status = 200, body = Order), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub(super) async fn get_one(
    State(s): State<AppState>,
    permit: Permit,
    Path(id): Path<String>,
) -> Result<Json<Order>> {
    codec::check_id(&id, "order id")?;
    let o = order_in_reach(&s, &permit, &id).await?;
    crate::audit::read(&s, &permit, [o.brukare_id.as_str()]).await;
    Ok(Json(o))
}

/// Cancel an open or scheduled order (R1.5: a planned installation or a
/// removal that is no longer needed); the alarm group is told and the
/// order's keys end. Cancelling a cancelled order answers it as it is; a
/// closed one is 409.
#[utoipa::path(post, path = "/v1/orders/{id}/cancel", tag = "orders", security(("session" = [])),
    params(("id" = String, Path, description = "Order id")), request_body = CancelOrder,
    responses((status = 200, body = Order), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "Installed, removed, declined or done", body = ErrorBody)))]
pub(super) async fn cancel(
    State(s): State<AppState>,
    permit: Permit,
    Path(id): Path<String>,
    Json(req): Json<CancelOrder>,
) -> Result<Json<Order>> {
    codec::check_id(&id, "order id")?;
    check_note(&req.reason, "reason")?;
    let now = s.now();
    let from = permit.from();
    // A write first (db.rs): it takes the row before the checks read it.
    let mut tx = s.db().begin_write().await?;
    sqlx::query("UPDATE orders SET updated_at = updated_at WHERE id = $1")
        .bind(&id)
        .execute(&mut *tx)
        .await?;
    let o = order_in(&mut tx, &id).await?;
    permit.require_unit(&o.unit_id)?;
    match o.status {
        OrderStatus::Cancelled => return Ok(Json(o)),
        st if !st.is_active() => {
            return Err(Error::Conflict(format!(
                "order '{id}' is {} and cannot be cancelled",
                st.as_str()
            )));
        }
        _ => {}
    }
    let reason = req
        .reason
        .as_deref()
        .filter(|r| !r.trim().is_empty())
        .unwrap_or("no longer needed");
    let after = cancel_in(&mut tx, &id, reason, from, now).await?;
    revoke_closed_order_tokens(&mut tx, s.issuer(), now).await?;
    let rec = permit
        .record(Action::Write, now)
        .target("order", &id, Some(&o.unit_id))
        .before(&o)
        .after(&after)
        .brukare([o.brukare_id.as_str()]);
    audit::insert(&mut tx, &[rec]).await?;
    tx.commit().await?;
    Ok(Json(after))
}

/// The alarm group books the work for a technician (the caller when
/// `technician_id` is left out): the order becomes `scheduled`, with
/// `scheduled_for` and `scheduled_to`. Its keys go to that technician
/// only, from the booked time. Booking again moves the time; booking it
/// for another technician ends the keys already issued for it.
#[utoipa::path(post, path = "/v1/orders/{id}/scheduled", tag = "orders", security(("session" = [])),
    params(("id" = String, Path, description = "Order id")), request_body = ScheduleOrder,
    responses((status = 200, body = Order), (status = 400, description = "Bad input, or the technician is not an alarm technician who serves the order's unit", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "Not open or scheduled", body = ErrorBody)))]
pub(super) async fn schedule(
    State(s): State<AppState>,
    permit: Permit,
    Path(id): Path<String>,
    Json(req): Json<ScheduleOrder>,
) -> Result<Json<Order>> {
    codec::check_id(&id, "order id")?;
    codec::check_time(req.scheduled_for, "scheduled_for")?;
    let before = order_in_reach(&s, &permit, &id).await?;
    let technician = match (&req.technician_id, permit.staff_id()) {
        (Some(t), _) => {
            codec::check_id(t, "technician_id")?;
            t.clone()
        }
        (None, Some(me)) => me.to_owned(),
        (None, None) => {
            return Err(Error::bad(
                "technician_id is required: name the technician the order is booked for",
            ));
        }
    };
    let tech = store::staff(s.db(), &technician).await?;
    if !permit.policy().may_work(Work::Order, tech.role) {
        return Err(Error::bad(format!(
            "an order is booked for the alarm group; '{technician}' is a {}",
            tech.role.as_str()
        )));
    }
    if !tech.serves(&before.unit_id) {
        return Err(Error::bad(format!(
            "'{technician}' does not serve unit '{}'",
            before.unit_id
        )));
    }
    let now = s.now();
    if tech.ended(now) {
        return Err(Error::AccountEnded);
    }
    let mut tx = s.db().begin_write().await?;
    let r = sqlx::query(&format!(
        "UPDATE orders SET status = 'scheduled', scheduled_for = $1, scheduled_at = $2, \
         scheduled_to = $3, updated_at = $2 WHERE id = $4 AND status IN {ACTIVE}"
    ))
    .bind(req.scheduled_for)
    .bind(now)
    .bind(&technician)
    .bind(&id)
    .execute(&mut *tx)
    .await?;
    let o = order_in(&mut tx, &id).await?;
    if r.rows_affected() == 0 {
        return Err(Error::Conflict(format!(
            "order '{id}' is {} and cannot be scheduled",
            o.status.as_str()
        )));
    }
    if before
        .scheduled_to
        .as_deref()
        .is_some_and(|t| t != technician)
    {
        // Another technician's keys for this order end now.
        let tokens = sqlx::query(
            "SELECT token_id, expires, lock_id, issued_at FROM issued_tokens WHERE order_id = $1 \
             AND revoked_at IS NULL AND expires > $2",
        )
        .bind(&id)
        .bind(now)
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(crate::revocation::row_live_token)
        .collect::<Result<Vec<_>>>()?;
        if !tokens.is_empty() {
            crate::revocation::revoke(&mut tx, s.issuer(), now, &tokens).await?;
        }
    }
    let rec = permit
        .record(Action::Write, now)
        .target("order", &id, Some(&o.unit_id))
        .before(&before)
        .after(&o)
        .brukare([o.brukare_id.as_str()]);
    audit::insert(&mut tx, &[rec]).await?;
    tx.commit().await?;
    Ok(Json(o))
}

/// A maintenance order is done (the technician it is booked for): it
/// closes, and its keys end.
#[utoipa::path(post, path = "/v1/orders/{id}/done", tag = "orders", security(("session" = [])),
    params(("id" = String, Path, description = "Order id")), request_body = OrderDone,
    responses((status = 200, body = Order), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, description = "Not booked for the caller", body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "Not a maintenance order, or not open or scheduled", body = ErrorBody)))]
pub(super) async fn done(
    State(s): State<AppState>,
    permit: Permit,
    Path(id): Path<String>,
    Json(req): Json<OrderDone>,
) -> Result<Json<Order>> {
    codec::check_id(&id, "order id")?;
    check_note(&req.note, "note")?;
    let before = order_in_reach(&s, &permit, &id).await?;
    if permit.scope() == Scope::Assigned && before.scheduled_to.as_deref() != permit.staff_id() {
        return Err(Error::Forbidden(format!(
            "order '{id}' is not booked for you"
        )));
    }
    if before.kind != OrderKind::Maintenance {
        return Err(Error::Conflict(format!(
            "order '{id}' is a {} order: it closes when the lock is installed or removed",
            before.kind.as_str()
        )));
    }
    let now = s.now();
    let mut tx = s.db().begin_write().await?;
    let r = sqlx::query(&format!(
        "UPDATE orders SET status = 'done', closed_by = $1, updated_at = $2, \
         note = COALESCE($3, note) WHERE id = $4 AND status IN {ACTIVE}"
    ))
    .bind(permit.staff_id().map(str::to_owned))
    .bind(now)
    .bind(req.note.clone().filter(|n| !n.trim().is_empty()))
    .bind(&id)
    .execute(&mut *tx)
    .await?;
    let o = order_in(&mut tx, &id).await?;
    if r.rows_affected() == 0 {
        return Err(Error::Conflict(format!(
            "order '{id}' is {} and cannot be done",
            o.status.as_str()
        )));
    }
    revoke_closed_order_tokens(&mut tx, s.issuer(), now).await?;
    let rec = permit
        .record(Action::Write, now)
        .target("order", &id, Some(&o.unit_id))
        .before(&before)
        .after(&o)
        .brukare([o.brukare_id.as_str()]);
    audit::insert(&mut tx, &[rec]).await?;
    tx.commit().await?;
    Ok(Json(o))
}

/// R1.2: brukare with a care decision valid now and no installed door
/// lock, with their open installation order (if any) and whether they
/// have declined — home care makes sure locks are installed and motivates
/// those who have none. Coordinators and unit managers: own unit (the
/// default); others all units or `unit_id`.
#[utoipa::path(get, path = "/v1/brukare-without-lock", tag = "orders", security(("session" = [])),
    params(WithoutLockQuery),
    responses((status = 200, body = Vec<BrukareWithoutLock>), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub(super) async fn without_lock(
    State(s): State<AppState>,
    permit: Permit,
    Query(q): Query<WithoutLockQuery>,
) -> Result<Json<Vec<BrukareWithoutLock>>> {
    let unit = permit.list_unit(&q.unit_id, "unit_id")?;
    let now = s.now();
    let rows = sqlx::query(&format!(
        "SELECT b.id, b.display_name, b.address, b.unit_id, d.id AS decision_id, \
                d.ends_at AS decision_ends_at, \
                (SELECT o.id FROM orders o WHERE o.brukare_id = b.id \
                   AND o.kind IN ('new_brukare', 'existing_brukare') AND o.status IN {ACTIVE} \
                   ORDER BY o.created_at, o.id LIMIT 1) AS open_order_id, \
                (SELECT o.status FROM orders o WHERE o.brukare_id = b.id \
                   AND o.kind IN ('new_brukare', 'existing_brukare') AND o.status IN {ACTIVE} \
                   ORDER BY o.created_at, o.id LIMIT 1) AS open_order_status, \
                (SELECT COUNT(*) FROM orders o WHERE o.brukare_id = b.id \
                   AND o.status = 'declined') AS declined \
         FROM brukare b JOIN decisions d ON d.brukare_id = b.id \
         WHERE d.starts_at <= $1 AND d.ends_at > $1 AND ($2 = '' OR b.unit_id = $2) AND {scope} \
           AND NOT EXISTS (SELECT 1 FROM locks l WHERE l.brukare_id = b.id AND l.kind = 'door' \
                           AND l.installed_at IS NOT NULL AND l.removed_at IS NULL) \
         ORDER BY b.unit_id, b.id, d.ends_at DESC, d.id LIMIT 5000",
        scope = UnitScope::sql("b.unit_id", 3)
    ))
    .bind(now)
    .bind(&unit)
    .bind(permit.unit_scope().param())
    .fetch_all(s.db().pool())
    .await?;
    let mut out: Vec<BrukareWithoutLock> = Vec::new();
    for r in &rows {
        let id: String = r.try_get("id")?;
        // One line per brukare: the decision that ends last (first in order).
        if out.last().is_some_and(|l| l.brukare_id == id) {
            continue;
        }
        out.push(BrukareWithoutLock {
            brukare_id: id,
            display_name: r.try_get("display_name")?,
            address: r.try_get("address")?,
            unit_id: r.try_get("unit_id")?,
            decision_id: r.try_get("decision_id")?,
            decision_ends_at: r.try_get("decision_ends_at")?,
            open_order_id: r.try_get("open_order_id")?,
            open_order_status: r
                .try_get::<Option<String>, _>("open_order_status")?
                .map(|st| OrderStatus::parse(&st))
                .transpose()?,
            declined: r.try_get::<i64, _>("declined")? > 0,
        });
    }
    crate::audit::read(&s, &permit, out.iter().map(|b| b.brukare_id.as_str())).await;
    Ok(Json(out))
}

/// Longest time ahead a service may be said to end.
const MAX_SERVICE_END_AHEAD: i64 = 366 * 86_400;

/// R1.5, R1.11: home care says a service (insats) has ended ("När en insats
/// avslutas informerar hemtjänsten larmgruppen genom meddelandehanteringen
/// att låsvredet ska avinstalleras"), while the care decision may remain.
/// Each installed lock of the brukare gets a removal order due then (an
/// open one is kept, due no later), messaged to the alarm group; planned
/// installations are cancelled (R1.5). Saying it again changes nothing new.
#[utoipa::path(post, path = "/v1/brukare/{id}/service-ended", tag = "orders", security(("session" = [])),
    params(("id" = String, Path, description = "Brukare id")), request_body = ServiceEnded,
    responses((status = 200, body = ServiceEndedResponse), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "No installed lock and no planned installation", body = ErrorBody)))]
pub(super) async fn service_ended(
    State(s): State<AppState>,
    permit: Permit,
    Path(id): Path<String>,
    Json(req): Json<ServiceEnded>,
) -> Result<Json<ServiceEndedResponse>> {
    codec::check_id(&id, "brukare id")?;
    check_note(&req.note, "note")?;
    let now = s.now();
    let ended_at = req.ended_at.unwrap_or(now);
    codec::check_time(ended_at, "ended_at")?;
    if ended_at > now + MAX_SERVICE_END_AHEAD {
        return Err(Error::bad("ended_at must be within a year from now"));
    }
    let b = store::brukare(s.db(), &id).await?;
    permit.require_unit(&b.unit_id)?;
    let from = permit.from();
    let mut tx = s.db().begin_write().await?;
    // A write first: it holds the brukare's row while the orders are made.
    sqlx::query("UPDATE brukare SET display_name = display_name WHERE id = $1")
        .bind(&b.id)
        .execute(&mut *tx)
        .await?;
    let (removal_orders, cancelled_orders) = removal_orders(
        &mut tx,
        &b.id,
        Removal {
            decision_id: None,
            reason: "service_ended",
            due_at: ended_at,
            note: req.note.as_deref(),
            from,
        },
        now,
    )
    .await?;
    if removal_orders.is_empty() && cancelled_orders.is_empty() {
        return Err(Error::Conflict(format!(
            "brukare '{id}' has no installed lock and no planned installation: nothing to remove \
             or cancel"
        )));
    }
    let response = ServiceEndedResponse {
        removal_orders,
        cancelled_orders,
    };
    let rec = permit
        .record(Action::Write, now)
        .target("brukare", &b.id, Some(&b.unit_id))
        .after(&response)
        .brukare([b.id.as_str()]);
    audit::insert(&mut tx, &[rec]).await?;
    tx.commit().await?;
    Ok(Json(response))
}

/// R1.12: the alarm group records whom they contacted about a removal
/// ("Larmgruppen tar kontakt med berörda parter och genomför
/// nedmonteringen"): the lock is removed only after at least one contact
/// is recorded on its open removal order.
#[utoipa::path(post, path = "/v1/orders/{id}/contacts", tag = "orders", security(("session" = [])),
    params(("id" = String, Path, description = "Order id")), request_body = RecordOrderContact,
    responses((status = 200, body = Order), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "Not an open removal order", body = ErrorBody)))]
pub(super) async fn record_contact(
    State(s): State<AppState>,
    permit: Permit,
    Path(id): Path<String>,
    Json(req): Json<RecordOrderContact>,
) -> Result<Json<Order>> {
    codec::check_id(&id, "order id")?;
    codec::check_text(&req.party, 100, "party", false)?;
    check_note(&req.note, "note")?;
    let now = s.now();
    let at = req.contacted_at.unwrap_or(now);
    codec::check_time(at, "contacted_at")?;
    if at > now {
        return Err(Error::bad("contacted_at must not be in the future"));
    }
    let mut tx = s.db().begin_write().await?;
    sqlx::query("UPDATE orders SET updated_at = $1 WHERE id = $2")
        .bind(now)
        .bind(&id)
        .execute(&mut *tx)
        .await?;
    let o = order_in(&mut tx, &id).await?;
    permit.require_unit(&o.unit_id)?;
    if o.kind != OrderKind::Removal || !o.status.is_active() {
        return Err(Error::Conflict(format!(
            "order '{id}' is not an open removal order ({} {})",
            o.kind.as_str(),
            o.status.as_str()
        )));
    }
    add_contact(
        &mut tx,
        &id,
        req.party.trim(),
        at,
        req.note.as_deref().filter(|n| !n.trim().is_empty()),
        permit.staff_id(),
        now,
    )
    .await?;
    let after = order_in(&mut tx, &id).await?;
    let rec = permit
        .record(Action::Write, now)
        .target("order", &id, Some(&after.unit_id))
        .before(&o)
        .after(&after)
        .brukare([after.brukare_id.as_str()]);
    audit::insert(&mut tx, &[rec]).await?;
    let o = after;
    tx.commit().await?;
    Ok(Json(o))
}

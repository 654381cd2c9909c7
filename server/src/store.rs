//! Reading the domain's rows: one place that knows the columns.

use chrono_tz::Tz;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::codec;
use crate::db::Db;
use crate::error::{Error, Result};
use crate::model::{
    Brukare, Decision, Device, Lock, LockKind, LockState, Role, Shift, ShiftKind, Staff, Unit,
    UnitSettings, Visit,
};
use crate::time;

/// Checks a unit's settings; returns its time zone.
/// Checks a phone number as the routines' steps dial it.
pub fn check_phone(p: &str, what: &str) -> Result<()> {
    let ok = (3..=32).contains(&p.len())
        && p.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '+' | ' ' | '-' | '(' | ')'))
        && p.chars().any(|c| c.is_ascii_digit());
    if ok {
        Ok(())
    } else {
        Err(Error::bad(format!(
            "{what} must be a phone number (digits, spaces, + - ( ), 3 to 32 characters)"
        )))
    }
}

/// Longest acute key routine text.
pub const MAX_ROUTINE_TEXT: usize = 2000;

/// Checks a unit's settings; returns its time zone.
pub fn check_settings(s: &UnitSettings) -> Result<Tz> {
    check_phone(&s.coordinator_phone, "coordinator_phone")?;
    if let Some(p) = &s.night_patrol_phone {
        check_phone(p, "night_patrol_phone")?;
    }
    codec::check_text(&s.day_key_location, 200, "day_key_location", false)?;
    codec::check_text(&s.night_key_location, 200, "night_key_location", false)?;
    time::parse_hhmm(&s.night_patrol_deadline, "night_patrol_deadline")?;
    time::parse_hhmm(&s.office_opens, "office_opens")?;
    time::parse_hhmm(&s.office_closes, "office_closes")?;
    if nyckelfri_calendar::OfficeHours::parse(&s.office_opens, &s.office_closes).is_none() {
        return Err(Error::bad(
            "office_opens must be before office_closes (the office's hours on one working day)",
        ));
    }
    for (text, what) in [
        (&s.acute_key_routine, "acute_key_routine"),
        (&s.acute_key_routine_en, "acute_key_routine_en"),
    ] {
        if let Some(t) = text {
            codec::check_text(t, MAX_ROUTINE_TEXT, what, true)?;
        }
    }
    time::parse_tz(&s.time_zone)
}

pub(crate) fn row_unit(r: &AnyRow) -> Result<Unit> {
    Ok(Unit {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        settings: UnitSettings {
            coordinator_phone: r.try_get("coordinator_phone")?,
            day_key_location: r.try_get("day_key_location")?,
            night_key_location: r.try_get("night_key_location")?,
            night_patrol_deadline: r.try_get("night_patrol_deadline")?,
            time_zone: r.try_get("time_zone")?,
            office_opens: r.try_get("office_opens")?,
            office_closes: r.try_get("office_closes")?,
            night_patrol_phone: r.try_get("night_patrol_phone")?,
            acute_key_routine: r.try_get("acute_key_routine")?,
            acute_key_routine_en: r.try_get("acute_key_routine_en")?,
        },
    })
}

pub(crate) fn row_staff(r: &AnyRow) -> Result<Staff> {
    Ok(Staff {
        id: r.try_get("id")?,
        unit_id: r.try_get("unit_id")?,
        name: r.try_get("name")?,
        role: Role::parse(&r.try_get::<String, _>("role")?)?,
        serves_unit_ids: Vec::new(),
        ends_at: r.try_get("ends_at")?,
    })
}

/// The other units `staff_id` serves (sorted).
pub async fn served_unit_ids<'e, E>(ex: E, staff_id: &str) -> Result<Vec<String>>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    Ok(
        sqlx::query_scalar("SELECT unit_id FROM staff_units WHERE staff_id = $1 ORDER BY unit_id")
            .bind(staff_id)
            .fetch_all(ex)
            .await?,
    )
}

/// Fills in `serves_unit_ids` of every staff member in `list`.
pub async fn fill_served_units(db: &Db, list: &mut [Staff]) -> Result<()> {
    if list.is_empty() {
        return Ok(());
    }
    let rows = sqlx::query("SELECT staff_id, unit_id FROM staff_units ORDER BY staff_id, unit_id")
        .fetch_all(db.pool())
        .await?;
    let mut by_staff: std::collections::HashMap<String, Vec<String>> =
        std::collections::HashMap::new();
    for r in &rows {
        by_staff
            .entry(r.try_get("staff_id")?)
            .or_default()
            .push(r.try_get("unit_id")?);
    }
    for s in list {
        s.serves_unit_ids = by_staff.remove(&s.id).unwrap_or_default();
    }
    Ok(())
}

pub(crate) fn row_brukare(r: &AnyRow) -> Result<Brukare> {
    Ok(Brukare {
        id: r.try_get("id")?,
        unit_id: r.try_get("unit_id")?,
        display_name: r.try_get("display_name")?,
        address: r.try_get("address")?,
        entry_notes: r.try_get("entry_notes")?,
    })
}

pub(crate) fn row_decision(r: &AnyRow, now: i64) -> Result<Decision> {
    let starts_at: i64 = r.try_get("starts_at")?;
    let ends_at: i64 = r.try_get("ends_at")?;
    Ok(Decision {
        id: r.try_get("id")?,
        brukare_id: r.try_get("brukare_id")?,
        starts_at,
        ends_at,
        valid_now: starts_at <= now && now < ends_at,
    })
}

pub(crate) fn row_visit(r: &AnyRow) -> Result<Visit> {
    Ok(Visit {
        id: r.try_get("id")?,
        brukare_id: r.try_get("brukare_id")?,
        decision_id: r.try_get("decision_id")?,
        staff_id: r.try_get("staff_id")?,
        starts_at: r.try_get("starts_at")?,
        ends_at: r.try_get("ends_at")?,
        service: r.try_get("service")?,
        cancelled: r.try_get::<Option<i64>, _>("cancelled_at")?.is_some(),
    })
}

pub(crate) fn row_shift(r: &AnyRow) -> Result<Shift> {
    Ok(Shift {
        id: r.try_get("id")?,
        unit_id: r.try_get("unit_id")?,
        staff_id: r.try_get("staff_id")?,
        kind: ShiftKind::parse(&r.try_get::<String, _>("kind")?)?,
        starts_at: r.try_get("starts_at")?,
        ends_at: r.try_get("ends_at")?,
    })
}

pub(crate) fn row_lock(r: &AnyRow) -> Result<Lock> {
    let key: Vec<u8> = r.try_get("public_key")?;
    let installed_at: Option<i64> = r.try_get("installed_at")?;
    let removed_at: Option<i64> = r.try_get("removed_at")?;
    let brukare_id: Option<String> = r.try_get("brukare_id")?;
    let state = if removed_at.is_some() {
        LockState::Removed
    } else if installed_at.is_some() && brukare_id.is_some() {
        LockState::Installed
    } else {
        LockState::Commissioned
    };
    Ok(Lock {
        id: r.try_get("id")?,
        public_key: hex::encode(key),
        kind: LockKind::parse(&r.try_get::<String, _>("kind")?)?,
        brukare_id,
        state,
        commissioned_at: r.try_get("commissioned_at")?,
        installed_at,
        removed_at,
        receipt_id: r.try_get("receipt_id")?,
    })
}

pub(crate) fn row_device(r: &AnyRow) -> Result<Device> {
    let key: Vec<u8> = r.try_get("public_key")?;
    Ok(Device {
        id: r.try_get("id")?,
        staff_id: r.try_get("staff_id")?,
        label: r.try_get("label")?,
        public_key: hex::encode(key),
        enrolled_at: r.try_get("enrolled_at")?,
        revoked_at: r.try_get("revoked_at")?,
    })
}

/// Columns of `locks` as [`row_lock`] reads them.
pub(crate) const LOCK_COLS: &str = "l.id, l.public_key, l.kind, l.brukare_id, l.commissioned_at, \
     l.installed_at, l.removed_at, l.receipt_id";

/// A unit.
pub async fn unit(db: &Db, id: &str) -> Result<Unit> {
    let r = sqlx::query("SELECT * FROM units WHERE id = $1")
        .bind(id)
        .fetch_optional(db.pool())
        .await?
        .ok_or_else(|| Error::not_found("unit", id))?;
    row_unit(&r)
}

/// How many times each event id was stored, by device: for operators and
/// tests checking that an outbox retry never stored an event twice.
pub async fn stored_events(db: &Db, device_id: &str) -> Result<Vec<(String, String)>> {
    let rows =
        sqlx::query("SELECT id, kind FROM events WHERE device_id = $1 ORDER BY received_at, id")
            .bind(device_id)
            .fetch_all(db.pool())
            .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get::<String, _>("id")?,
                r.try_get::<String, _>("kind")?,
            ))
        })
        .collect()
}

/// A unit and its time zone.
pub async fn unit_tz(db: &Db, id: &str) -> Result<(Unit, Tz)> {
    let u = unit(db, id).await?;
    let tz = time::parse_tz(&u.settings.time_zone)?;
    Ok((u, tz))
}

/// [`unit_tz`] on a transaction's connection. Work inside a transaction
/// reads through its own connection, never the pool: a transaction waiting
/// for a second pooled connection while every connection is held by
/// transactions waiting for it would starve the pool.
pub(crate) async fn unit_tz_in(conn: &mut AnyConnection, id: &str) -> Result<(Unit, Tz)> {
    let r = sqlx::query("SELECT * FROM units WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| Error::not_found("unit", id))?;
    let u = row_unit(&r)?;
    let tz = time::parse_tz(&u.settings.time_zone)?;
    Ok((u, tz))
}

/// [`brukare`] on a transaction's connection.
pub(crate) async fn brukare_in(conn: &mut AnyConnection, id: &str) -> Result<Brukare> {
    let r = sqlx::query("SELECT * FROM brukare WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| Error::not_found("brukare", id))?;
    row_brukare(&r)
}

/// A staff member.
pub async fn staff(db: &Db, id: &str) -> Result<Staff> {
    let r = sqlx::query("SELECT * FROM staff WHERE id = $1")
        .bind(id)
        .fetch_optional(db.pool())
        .await?
        .ok_or_else(|| Error::not_found("staff member", id))?;
    let mut s = row_staff(&r)?;
    s.serves_unit_ids = served_unit_ids(db.pool(), id).await?;
    Ok(s)
}

/// A brukare.
pub async fn brukare(db: &Db, id: &str) -> Result<Brukare> {
    let r = sqlx::query("SELECT * FROM brukare WHERE id = $1")
        .bind(id)
        .fetch_optional(db.pool())
        .await?
        .ok_or_else(|| Error::not_found("brukare", id))?;
    row_brukare(&r)
}

/// A care decision.
pub async fn decision(db: &Db, id: &str, now: i64) -> Result<Decision> {
    let r = sqlx::query("SELECT * FROM decisions WHERE id = $1")
        .bind(id)
        .fetch_optional(db.pool())
        .await?
        .ok_or_else(|| Error::not_found("decision", id))?;
    row_decision(&r, now)
}

/// A lock.
pub async fn lock(db: &Db, id: &str) -> Result<Lock> {
    let r = sqlx::query(&format!("SELECT {LOCK_COLS} FROM locks l WHERE l.id = $1"))
        .bind(id)
        .fetch_optional(db.pool())
        .await?
        .ok_or_else(|| Error::not_found("lock", id))?;
    row_lock(&r)
}

/// A visit.
pub async fn visit(db: &Db, id: &str) -> Result<Visit> {
    let r = sqlx::query("SELECT * FROM visits WHERE id = $1")
        .bind(id)
        .fetch_optional(db.pool())
        .await?
        .ok_or_else(|| Error::not_found("visit", id))?;
    row_visit(&r)
}

/// A device.
pub async fn device(db: &Db, id: &str) -> Result<Device> {
    let r = sqlx::query("SELECT * FROM devices WHERE id = $1")
        .bind(id)
        .fetch_optional(db.pool())
        .await?
        .ok_or_else(|| Error::not_found("device", id))?;
    row_device(&r)
}

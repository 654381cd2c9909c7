//! Demo data: a realistic (fictional) municipality for development, demos
//! and the CLI. Two home care units (Tumba and Alby), 30 brukare, staff in
//! every role, day, evening and night shifts, a day's visits, and the cases
//! the routines are about:
//!
//! - `b-tumba-03`: the care decision ends today at 12:00 — the morning and
//!   lunch keys expire at 12:00, the afternoon visit gets no key
//!   (`decision_ended`, R2.7);
//! - `b-alby-07`: the decision ended at midnight but visits are still on the
//!   schedule — no keys, reason `decision_ended`;
//! - `b-tumba-15`: the lock was removed yesterday (R1.12) — `lock_removed`;
//! - `b-tumba-14`, `b-alby-14`: no lock yet (R1.2), visits use the old key;
//! - `b-tumba-05`: an entrance lock (portlås, R1.4) besides the door lock;
//! - `b-alby-15`: a new brukare whose decision starts tomorrow (R1.1);
//! - `l-lager-01`: a commissioned lock in stock, not installed.
//!
//! Loading again is safe: what exists stays, today's visits and shifts are
//! added, and the decisions are moved to be relative to today. Names,
//! addresses and door codes are made up.

use chrono::{Days, NaiveDate};
use chrono_tz::Tz;
use nyckelfri_protocol::{Signer, SoftwareKey};

use crate::api::make_enrollment_code;
use crate::db::Db;
use crate::error::{Error, Result};
use crate::model::{EnrollmentCode, LockKind, Role, ShiftKind};
use crate::time;

/// A simulated lock's key made by the demo loader (test-only material).
#[derive(Debug, Clone)]
pub struct DemoLockKey {
    /// Lock id.
    pub lock_id: String,
    /// PKCS#8 DER of the lock's private key, hex.
    pub pkcs8_hex: String,
    /// SEC1 public key, hex.
    pub public_key: String,
}

/// What the loader did.
#[derive(Debug, Clone, Default)]
pub struct DemoSummary {
    /// The local date the visits are on.
    pub date: String,
    /// Units.
    pub units: usize,
    /// Staff members.
    pub staff: usize,
    /// Brukare.
    pub brukare: usize,
    /// Care decisions.
    pub decisions: usize,
    /// Visits on the date.
    pub visits: usize,
    /// Shifts around the date.
    pub shifts: usize,
    /// Locks.
    pub locks: usize,
    /// A fresh enrollment code for every demo staff member, with the role.
    pub enrollment_codes: Vec<(Role, EnrollmentCode)>,
    /// Keys of locks created by this load (empty when they existed).
    pub new_lock_keys: Vec<DemoLockKey>,
}

/// Time zone of the demo units.
pub const DEMO_TIME_ZONE: &str = time::DEFAULT_TIME_ZONE;

struct UnitDef {
    id: &'static str,
    name: &'static str,
    phone: &'static str,
    day_keys: &'static str,
}

const UNITS: &[UnitDef] = &[
    UnitDef {
        id: "tumba",
        name: "Hemtjänst Tumba",
        phone: "+46 8 530 610 10",
        day_keys: "Nyckelskåpet på enheten, Hemtjänst Tumba (Demotorget 2, plan 1)",
    },
    UnitDef {
        id: "alby",
        name: "Hemtjänst Alby",
        phone: "+46 8 530 610 20",
        day_keys: "Nyckelskåpet på enheten, Hemtjänst Alby (Exempelvägen 5)",
    },
];
const NIGHT_KEYS: &str = "Orrens servicehus, nattpatrullens nyckelskåp";
/// The night patrol's phone (R2.12, R2.13), made up.
const NIGHT_PATROL_PHONE: &str = "+46 8 530 610 99";
/// The units' own routine for acute key handling (R2.8), made up.
const ACUTE_KEYS_SV: &str = "Ta extranyckeln ur skåpet och skriv namn, tid och brukare i \
     nyckelpärmen. Lämna tillbaka nyckeln samma pass. Tappad eller saknad nyckel: ring \
     koordinatorn direkt, efter kl 17 nattpatrullen.";
const ACUTE_KEYS_EN: &str = "Take the spare key from the cabinet and write your name, the time \
     and the brukare in the key binder. Return the key the same shift. A lost or missing key: \
     call the coordinator at once, after 17:00 the night patrol.";

const STAFF: &[(&str, &str, &str, Role)] = &[
    ("st-tumba-cw1", "tumba", "Amina Yusuf", Role::CareWorker),
    ("st-tumba-cw2", "tumba", "Johan Ek", Role::CareWorker),
    ("st-tumba-cw3", "tumba", "Sara Lind", Role::CareWorker),
    ("st-tumba-cw4", "tumba", "Mehmet Demir", Role::CareWorker),
    ("st-tumba-cw5", "tumba", "Elin Berg", Role::CareWorker),
    ("st-tumba-koord", "tumba", "Maria Åberg", Role::Coordinator),
    ("st-tumba-ec", "tumba", "Helena Vik", Role::UnitManager),
    ("st-natt-1", "tumba", "Nadia Karimi", Role::NightPatrol),
    ("st-larm-1", "tumba", "Erik Malm", Role::AlarmTechnician),
    ("st-vc", "tumba", "Eva Grahn", Role::HeadOfOperations),
    ("st-alby-cw1", "alby", "Fatima Haddad", Role::CareWorker),
    ("st-alby-cw2", "alby", "Oskar Nyström", Role::CareWorker),
    ("st-alby-cw3", "alby", "Linnea Holm", Role::CareWorker),
    ("st-alby-cw4", "alby", "Ali Hassan", Role::CareWorker),
    ("st-alby-cw5", "alby", "Karin Sjö", Role::CareWorker),
    ("st-alby-koord", "alby", "Peter Strand", Role::Coordinator),
    ("st-alby-ec", "alby", "Anders Lund", Role::UnitManager),
    ("st-natt-2", "alby", "Jonas Falk", Role::NightPatrol),
    ("st-larm-2", "alby", "Samir Aziz", Role::AlarmTechnician),
    ("st-bist-1", "alby", "Lena Björk", Role::NeedsAssessor),
    (
        "st-natt-koord",
        "tumba",
        "Ulrika Sand",
        Role::NightPatrolCoordinator,
    ),
];

/// Units served besides one's own: the needs assessor, the alarm group and
/// the night patrol (and its coordinator) serve both units.
const SERVES: &[(&str, &str)] = &[
    ("st-bist-1", "tumba"),
    ("st-larm-1", "alby"),
    ("st-larm-2", "tumba"),
    ("st-natt-1", "alby"),
    ("st-natt-2", "tumba"),
    ("st-natt-koord", "alby"),
];

const BRUKARE_NAMES: [&str; 30] = [
    "Astrid B.",
    "Gunnar L.",
    "Birgitta S.",
    "Karl-Erik J.",
    "Margit H.",
    "Sven O.",
    "Ingrid P.",
    "Bengt A.",
    "Elsa N.",
    "Rune M.",
    "Maj-Britt K.",
    "Olle F.",
    "Greta W.",
    "Harry D.",
    "Solveig E.",
    "Aina R.",
    "Stig T.",
    "Dagny V.",
    "Folke G.",
    "Iris C.",
    "Tore Å.",
    "Ulla I.",
    "Yngve Ö.",
    "Barbro U.",
    "Nils Z.",
    "Ebba Q.",
    "Arne X.",
    "Siv Y.",
    "Lennart H.",
    "Vera L.",
];

/// A visit slot: (name, start, end, service).
const SLOTS: &[(&str, &str, &str, &str)] = &[
    ("morgon", "07:30", "08:15", "Morgonhjälp"),
    ("lunch", "11:30", "12:00", "Lunch"),
    ("eftermiddag", "14:00", "14:30", "Tillsyn"),
    ("kvall", "19:00", "19:45", "Kvällshjälp"),
];

fn at(tz: Tz, date: NaiveDate, hhmm: &str) -> Result<i64> {
    let t = time::parse_hhmm(hhmm, "time")?;
    time::local_to_utc(tz, date.and_time(t))
}

fn shift_date(date: NaiveDate, days: i64) -> Result<NaiveDate> {
    let r = if days >= 0 {
        date.checked_add_days(Days::new(days.unsigned_abs()))
    } else {
        date.checked_sub_days(Days::new(days.unsigned_abs()))
    };
    r.ok_or_else(|| Error::bad("date out of range"))
}

/// Loads the demo municipality with visits on `today` (a local date in
/// Europe/Stockholm). `now` stamps what is created.
pub async fn load_demo(db: &Db, today: NaiveDate, now: i64) -> Result<DemoSummary> {
    let tz = time::parse_tz(DEMO_TIME_ZONE)?;
    let yesterday = shift_date(today, -1)?;
    let tomorrow = shift_date(today, 1)?;
    let mut summary = DemoSummary {
        date: today.format("%Y-%m-%d").to_string(),
        ..DemoSummary::default()
    };

    // Lock ids and which brukare they belong to.
    let mut locks: Vec<(String, Option<String>, LockKind, bool)> = Vec::new();
    for unit in ["tumba", "alby"] {
        for i in 1..=15u32 {
            let b = format!("b-{unit}-{i:02}");
            let no_lock = i == 14 || (unit == "alby" && i == 15);
            if !no_lock {
                let removed = unit == "tumba" && i == 15;
                locks.push((
                    format!("l-{unit}-{i:02}"),
                    Some(b.clone()),
                    LockKind::Door,
                    removed,
                ));
            }
            if unit == "tumba" && i == 5 {
                locks.push(("l-tumba-05-port".into(), Some(b), LockKind::Entrance, false));
            }
        }
    }
    locks.push(("l-lager-01".into(), None, LockKind::Door, false));

    // Keys only for locks not there yet (existing ones keep theirs).
    let mut new_keys = Vec::new();
    for (id, ..) in &locks {
        let exists: Option<String> = sqlx::query_scalar("SELECT id FROM locks WHERE id = $1")
            .bind(id)
            .fetch_optional(db.pool())
            .await?;
        if exists.is_none() {
            let (key, pkcs8) = SoftwareKey::generate()?;
            new_keys.push(DemoLockKey {
                lock_id: id.clone(),
                pkcs8_hex: hex::encode(pkcs8),
                public_key: hex::encode(key.public_key().as_bytes()),
            });
        }
    }

    let mut tx = db.begin_write().await?;
    for u in UNITS {
        sqlx::query(
            "INSERT INTO units (id, name, coordinator_phone, day_key_location, night_key_location, \
             night_patrol_deadline, time_zone, created_at, office_opens, office_closes, \
             night_patrol_phone, acute_key_routine, acute_key_routine_en) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, '07:00', '17:00', $9, $10, $11) \
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(u.id)
        .bind(u.name)
        .bind(u.phone)
        .bind(u.day_keys)
        .bind(NIGHT_KEYS)
        .bind("17:00")
        .bind(DEMO_TIME_ZONE)
        .bind(now)
        .bind(NIGHT_PATROL_PHONE)
        .bind(ACUTE_KEYS_SV)
        .bind(ACUTE_KEYS_EN)
        .execute(&mut *tx)
        .await?;
    }
    summary.units = UNITS.len();

    for (id, unit, name, role) in STAFF {
        sqlx::query(
            "INSERT INTO staff (id, unit_id, name, role, created_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(*id)
        .bind(*unit)
        .bind(*name)
        .bind(role.as_str())
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    for (staff, unit) in SERVES {
        sqlx::query(
            "INSERT INTO staff_units (staff_id, unit_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(*staff)
        .bind(*unit)
        .execute(&mut *tx)
        .await?;
    }
    summary.staff = STAFF.len();

    let mut names = BRUKARE_NAMES.iter();
    for (u_ix, unit) in ["tumba", "alby"].into_iter().enumerate() {
        for i in 1..=15u32 {
            let id = format!("b-{unit}-{i:02}");
            let name = names.next().copied().unwrap_or("Demo D.");
            let street = if u_ix == 0 {
                "Demogatan"
            } else {
                "Exempelvägen"
            };
            let address = format!("{street} {}, {} tr", 2 * i + 1, i % 4);
            let notes = format!(
                "Portkod {}{}{}{}. Låsvredet sitter på insidan av ytterdörren.",
                (i + 1) % 10,
                (i * 3) % 10,
                (i * 7) % 10,
                (u_ix as u32 + i) % 10
            );
            sqlx::query(
                "INSERT INTO brukare (id, unit_id, display_name, address, entry_notes, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING",
            )
            .bind(&id)
            .bind(unit)
            .bind(name)
            .bind(&address)
            .bind(&notes)
            .bind(now)
            .execute(&mut *tx)
            .await?;

            // Care decisions, relative to today.
            let (starts, ends) = match (unit, i) {
                ("tumba", 3) => (
                    time::day_bounds(tz, shift_date(today, -200)?)?.0,
                    at(tz, today, "12:00")?,
                ),
                ("alby", 7) => (
                    time::day_bounds(tz, shift_date(today, -300)?)?.0,
                    time::day_bounds(tz, yesterday)?.1,
                ),
                ("alby", 15) => (
                    time::day_bounds(tz, tomorrow)?.0,
                    time::day_bounds(tz, shift_date(today, 366)?)?.0,
                ),
                _ => (
                    time::day_bounds(tz, shift_date(today, -200)?)?.0,
                    time::day_bounds(tz, shift_date(today, 365)?)?.0,
                ),
            };
            sqlx::query(
                "INSERT INTO decisions (id, brukare_id, starts_at, ends_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO UPDATE SET \
                 starts_at = excluded.starts_at, ends_at = excluded.ends_at, updated_at = excluded.updated_at",
            )
            .bind(format!("d-{unit}-{i:02}"))
            .bind(&id)
            .bind(starts)
            .bind(ends)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            summary.decisions += 1;
            summary.brukare += 1;

            // Visits today (none for the brukare whose decision starts tomorrow).
            if unit == "alby" && i == 15 {
                continue;
            }
            for (slot, from, to, service) in SLOTS {
                let wanted = match *slot {
                    "morgon" => true,
                    "lunch" => i % 2 == 1,
                    "eftermiddag" => i % 3 == 0,
                    _ => i % 4 == 0,
                };
                if !wanted {
                    continue;
                }
                let worker = if *slot == "kvall" {
                    format!("st-{unit}-cw{}", 4 + i % 2)
                } else {
                    format!("st-{unit}-cw{}", 1 + i % 3)
                };
                let r = sqlx::query(
                    "INSERT INTO visits (id, brukare_id, decision_id, staff_id, starts_at, ends_at, service) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING",
                )
                .bind(format!("v-{}-{id}-{slot}", summary.date))
                .bind(&id)
                .bind(format!("d-{unit}-{i:02}"))
                .bind(&worker)
                .bind(at(tz, today, from)?)
                .bind(at(tz, today, to)?)
                .bind(*service)
                .execute(&mut *tx)
                .await?;
                let _ = r;
                summary.visits += 1;
            }
        }
    }

    // Shifts: day and evening for care workers, nights (yesterday's and
    // tonight's) for the night patrol.
    let mut shifts: Vec<(String, &str, String, ShiftKind, i64, i64)> = Vec::new();
    for unit in ["tumba", "alby"] {
        for n in 1..=5 {
            let staff = format!("st-{unit}-cw{n}");
            let (kind, from, to) = if n <= 3 {
                (ShiftKind::Day, "07:00", "16:00")
            } else {
                (ShiftKind::Evening, "15:00", "22:00")
            };
            shifts.push((
                staff,
                unit,
                String::new(),
                kind,
                at(tz, today, from)?,
                at(tz, today, to)?,
            ));
        }
        let patrol = if unit == "tumba" {
            "st-natt-1"
        } else {
            "st-natt-2"
        };
        for night in [yesterday, today] {
            let next = shift_date(night, 1)?;
            shifts.push((
                patrol.to_owned(),
                unit,
                night.format("%Y-%m-%d").to_string(),
                ShiftKind::Night,
                at(tz, night, "21:30")?,
                at(tz, next, "07:30")?,
            ));
        }
    }
    for (staff, unit, night, kind, starts, ends) in &shifts {
        let date = if night.is_empty() {
            &summary.date
        } else {
            night
        };
        sqlx::query(
            "INSERT INTO shifts (id, unit_id, staff_id, kind, starts_at, ends_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING",
        )
        .bind(format!("sh-{date}-{staff}"))
        .bind(*unit)
        .bind(staff)
        .bind(kind.as_str())
        .bind(*starts)
        .bind(*ends)
        .execute(&mut *tx)
        .await?;
    }
    summary.shifts = shifts.len();

    for (id, brukare, kind, removed) in &locks {
        let Some(key) = new_keys.iter().find(|k| &k.lock_id == id) else {
            continue;
        };
        let public =
            hex::decode(&key.public_key).map_err(|_| Error::Internal("demo key".into()))?;
        let installed_at = brukare.as_ref().map(|_| now - 60 * 86_400);
        let removed_at = if *removed {
            Some(at(tz, yesterday, "13:00")?)
        } else {
            None
        };
        sqlx::query(
            "INSERT INTO locks (id, public_key, kind, brukare_id, commissioned_at, installed_at, removed_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING",
        )
        .bind(id)
        .bind(public)
        .bind(kind.as_str())
        .bind(brukare.clone())
        .bind(now - 61 * 86_400)
        .bind(installed_at)
        .bind(removed_at)
        .execute(&mut *tx)
        .await?;
    }
    summary.locks = locks.len();
    tx.commit().await?;

    for (id, _, _, role) in STAFF {
        let code = make_enrollment_code(db, id, now, 7 * 24 * 3600).await?;
        summary.enrollment_codes.push((*role, code));
    }
    summary.new_lock_keys = new_keys;
    Ok(summary)
}

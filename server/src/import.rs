//! Import of care decisions, visits and shifts from a planning system's CSV
//! export. Every row is checked first and every bad row is reported with
//! its line; if any row is bad nothing is imported. A good file is applied
//! in one transaction (create or update by id), so nothing is ever half
//! imported.
//!
//! Columns (header row required; names are case-insensitive, order free,
//! `,` or `;` as separator, a UTF-8 byte-order mark is fine, lines starting
//! with `#` are comments):
//!
//! | column | decision | visit | shift |
//! |---|---|---|---|
//! | `kind` | `decision` | `visit` | `shift` |
//! | `id` | required | required | required |
//! | `brukare_id` | required | required | — |
//! | `decision_id` | — | required | — |
//! | `staff_id` | — | required | required |
//! | `unit_id` | — | — | optional (the staff member's unit) |
//! | `starts` | `YYYY-MM-DD` or `YYYY-MM-DD HH:MM` | `YYYY-MM-DD HH:MM` | `YYYY-MM-DD HH:MM` |
//! | `ends` | date (valid through that day) or date-time | date-time, or `HH:MM` the same day | date-time, or `HH:MM` (next day if not after the start) |
//! | `service` | — | optional | — |
//! | `shift_kind` | — | — | `day`, `evening` or `night` |
//!
//! Wall-clock times are in the time zone of the brukare's (or the shift's)
//! unit. Moving a decision's end earlier revokes the tokens that would
//! outlive it.
//!
//! The policy holds for every row as for the endpoint it stands for
//! ([`ImportRules`]): a decision row needs `POST /v1/decisions`, a visit
//! row `POST /v1/visits`, a shift row `POST /v1/shifts`, each within the
//! units the importer reaches; a visit or shift names a worker whose role
//! does that work ([`Policy::may_work`]) and who serves its unit, and never
//! the importer.

use std::collections::{HashMap, HashSet};

use chrono::{Days, NaiveTime};
use chrono_tz::Tz;
use sqlx::Row;

use crate::codec;
use crate::db::Db;
use crate::error::{Error, Result, RowError};
use crate::model::{ImportSummary, Role, ShiftKind};
use crate::policy::{Policy, Work};
use crate::{revocation, time};

/// Which units a kind of row may touch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reach {
    /// Every unit.
    All,
    /// These units.
    Units(Vec<String>),
}

impl Reach {
    fn has(&self, unit: &str) -> bool {
        match self {
            Reach::All => true,
            Reach::Units(u) => u.iter().any(|x| x == unit),
        }
    }
}

/// What one importer may import: per kind of row, the units it may touch
/// (`None`: that kind not at all), and who the importer is.
#[derive(Debug, Clone)]
pub struct ImportRules<'a> {
    /// Decision rows.
    pub decisions: Option<Reach>,
    /// Visit rows.
    pub visits: Option<Reach>,
    /// Shift rows.
    pub shifts: Option<Reach>,
    /// The importer, who may not name themself on a visit or shift.
    pub importer: Option<&'a str>,
    /// The policy (who may be named for which work).
    pub policy: &'a Policy,
}

impl<'a> ImportRules<'a> {
    /// Everything, anywhere (the server's command line on its own machine);
    /// the rules of the work still hold.
    pub fn everything(policy: &'a Policy) -> Self {
        Self {
            decisions: Some(Reach::All),
            visits: Some(Reach::All),
            shifts: Some(Reach::All),
            importer: None,
            policy,
        }
    }
}

/// Most data rows in one import.
pub const MAX_ROWS: usize = 100_000;

#[derive(Debug, Clone)]
enum Record {
    Decision {
        id: String,
        brukare_id: String,
        starts: i64,
        ends: i64,
    },
    Visit {
        id: String,
        brukare_id: String,
        decision_id: String,
        staff_id: String,
        starts: i64,
        ends: i64,
        service: String,
    },
    Shift {
        id: String,
        unit_id: String,
        staff_id: String,
        kind: ShiftKind,
        starts: i64,
        ends: i64,
    },
}

/// What the database already holds that rows may refer to.
struct Known {
    units: HashMap<String, Tz>,
    brukare: HashMap<String, String>,
    staff: HashMap<String, String>,
    roles: HashMap<String, Role>,
    serves: HashSet<(String, String)>,
    decisions: HashMap<String, String>,
}

impl Known {
    /// Checks that `staff_id` may be named for `work` in `unit`.
    fn worker(
        &self,
        rules: &ImportRules<'_>,
        staff_id: &str,
        work: Work,
        unit: &str,
    ) -> Result<()> {
        let role = self
            .roles
            .get(staff_id)
            .ok_or_else(|| Error::bad(format!("unknown staff member '{staff_id}'")))?;
        if rules.importer == Some(staff_id) {
            return Err(Error::Forbidden(
                "nobody schedules themself: another person plans your work".into(),
            ));
        }
        if !rules.policy.may_work(work, *role) {
            return Err(Error::bad(format!(
                "a {} is not named for this work",
                role.as_str()
            )));
        }
        let serves = self.staff.get(staff_id).is_some_and(|u| u == unit)
            || self
                .serves
                .contains(&(staff_id.to_owned(), unit.to_owned()));
        if !serves {
            return Err(Error::bad(format!(
                "staff member '{staff_id}' does not serve unit '{unit}'"
            )));
        }
        Ok(())
    }
}

async fn load_known(db: &Db) -> Result<Known> {
    let mut units = HashMap::new();
    for r in sqlx::query("SELECT id, time_zone FROM units")
        .fetch_all(db.pool())
        .await?
    {
        let tz: String = r.try_get("time_zone")?;
        units.insert(r.try_get("id")?, time::parse_tz(&tz)?);
    }
    let pairs = |sql: &'static str| async move {
        let mut m = HashMap::new();
        for r in sqlx::query(sql).fetch_all(db.pool()).await? {
            m.insert(r.try_get::<String, _>(0)?, r.try_get::<String, _>(1)?);
        }
        Ok::<_, Error>(m)
    };
    let mut roles = HashMap::new();
    for (id, role) in pairs("SELECT id, role FROM staff").await? {
        roles.insert(id, Role::parse(&role)?);
    }
    let mut serves = HashSet::new();
    for r in sqlx::query("SELECT staff_id, unit_id FROM staff_units")
        .fetch_all(db.pool())
        .await?
    {
        serves.insert((r.try_get::<String, _>(0)?, r.try_get::<String, _>(1)?));
    }
    Ok(Known {
        units,
        brukare: pairs("SELECT id, unit_id FROM brukare").await?,
        staff: pairs("SELECT id, unit_id FROM staff").await?,
        roles,
        serves,
        decisions: pairs("SELECT id, brukare_id FROM decisions").await?,
    })
}

/// Imports `data` (the CSV bytes) from the server's command line: every
/// kind of row, every unit (the rules of the work still hold). `now` is
/// the time of the import.
pub async fn import_csv(db: &Db, data: &[u8], now: i64) -> Result<ImportSummary> {
    let policy = Policy::builtin()?;
    let rec = crate::audit::Record::cli(
        "nyckelfri-server import-csv",
        crate::audit::Action::Write,
        now,
    )
    .target("import", &codec::sha256_hex(data), None);
    import_csv_with(db, data, now, &ImportRules::everything(&policy), Some(rec)).await
}

/// As [`import_csv`], each row under `rules`; `audit` (with the summary
/// as its `after`) is written in the import's transaction.
pub async fn import_csv_with(
    db: &Db,
    data: &[u8],
    now: i64,
    rules: &ImportRules<'_>,
    audit: Option<crate::audit::Record>,
) -> Result<ImportSummary> {
    let known = load_known(db).await?;
    let records = parse(data, &known, rules)?;
    apply(db, &records, now, audit).await
}

fn parse(data: &[u8], known: &Known, scope: &ImportRules<'_>) -> Result<Vec<Record>> {
    let data = data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data);
    if std::str::from_utf8(data).is_err() {
        return Err(Error::bad("the CSV file must be UTF-8"));
    }
    let first_line = data.split(|b| *b == b'\n').next().unwrap_or(&[]);
    let delimiter = if first_line.contains(&b';') && !first_line.contains(&b',') {
        b';'
    } else {
        b','
    };
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .trim(csv::Trim::All)
        .comment(Some(b'#'))
        .from_reader(data);
    let headers: Vec<String> = rdr
        .headers()
        .map_err(|e| Error::bad(format!("cannot read the CSV header: {e}")))?
        .iter()
        .map(|h| h.to_ascii_lowercase())
        .collect();
    for required in ["kind", "id", "starts", "ends"] {
        if !headers.iter().any(|h| h == required) {
            return Err(Error::bad(format!(
                "the CSV header has no '{required}' column (columns: kind, id, brukare_id, \
                 decision_id, staff_id, unit_id, starts, ends, service, shift_kind)"
            )));
        }
    }
    let col = |name: &str| headers.iter().position(|h| h == name);
    let cols = Cols {
        kind: col("kind"),
        id: col("id"),
        brukare_id: col("brukare_id"),
        decision_id: col("decision_id"),
        staff_id: col("staff_id"),
        unit_id: col("unit_id"),
        starts: col("starts"),
        ends: col("ends"),
        service: col("service"),
        shift_kind: col("shift_kind"),
    };

    let mut errors = Vec::new();
    let mut records = Vec::new();
    // Decisions the file itself defines, for the visits after them.
    let mut file_decisions: HashMap<String, String> = HashMap::new();
    let mut seen: HashMap<(String, String), u64> = HashMap::new();
    let mut forbidden: Vec<String> = Vec::new();
    let mut rows = Vec::new();
    for (i, row) in rdr.records().enumerate() {
        if i >= MAX_ROWS {
            return Err(Error::bad(format!("at most {MAX_ROWS} rows per import")));
        }
        match row {
            Ok(r) => {
                let line = r.position().map(|p| p.line()).unwrap_or(i as u64 + 2);
                rows.push((line, r));
            }
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(i as u64 + 2);
                errors.push(RowError {
                    line,
                    message: format!("unreadable row: {e}"),
                });
            }
        }
    }
    // Decisions first, so that a visit may name a decision anywhere in the file.
    let is_decision = |r: &csv::StringRecord| field(r, cols.kind).eq_ignore_ascii_case("decision");
    let ordered = rows
        .iter()
        .filter(|(_, r)| is_decision(r))
        .chain(rows.iter().filter(|(_, r)| !is_decision(r)));
    for (line, row) in ordered {
        let line = *line;
        match parse_row(row, &cols, known, &file_decisions, scope) {
            Ok(rec) => {
                let (kind, id) = match &rec {
                    Record::Decision { id, brukare_id, .. } => {
                        file_decisions.insert(id.clone(), brukare_id.clone());
                        ("decision", id)
                    }
                    Record::Visit { id, .. } => ("visit", id),
                    Record::Shift { id, .. } => ("shift", id),
                };
                if let Some(prev) = seen.insert((kind.to_owned(), id.clone()), line) {
                    errors.push(RowError {
                        line,
                        message: format!("{kind} '{id}' appears twice (also on line {prev})"),
                    });
                    continue;
                }
                records.push(rec);
            }
            Err(e) => {
                if matches!(e, Error::Forbidden(_)) {
                    forbidden.push(format!("line {line}: {e}"));
                }
                errors.push(RowError {
                    line,
                    message: e.to_string(),
                })
            }
        }
    }
    // A row the importer may not write is the policy's refusal (403) of
    // the whole file, not a bad row.
    if !forbidden.is_empty() {
        return Err(Error::Forbidden(format!(
            "nothing was imported; rows you may not import: {}",
            forbidden.join("; ")
        )));
    }
    errors.sort_by_key(|e| e.line);
    if !errors.is_empty() {
        return Err(Error::Import(errors));
    }
    if records.is_empty() {
        return Err(Error::bad("the CSV file has no data rows"));
    }
    Ok(records)
}

struct Cols {
    kind: Option<usize>,
    id: Option<usize>,
    brukare_id: Option<usize>,
    decision_id: Option<usize>,
    staff_id: Option<usize>,
    unit_id: Option<usize>,
    starts: Option<usize>,
    ends: Option<usize>,
    service: Option<usize>,
    shift_kind: Option<usize>,
}

fn field(row: &csv::StringRecord, c: Option<usize>) -> &str {
    c.and_then(|i| row.get(i)).unwrap_or("")
}

fn required<'r>(row: &'r csv::StringRecord, c: Option<usize>, name: &str) -> Result<&'r str> {
    let v = field(row, c);
    if v.is_empty() {
        return Err(Error::bad(format!("{name} is missing")));
    }
    Ok(v)
}

fn id_field(row: &csv::StringRecord, c: Option<usize>, name: &str) -> Result<String> {
    let v = required(row, c, name)?;
    codec::check_id(v, name)?;
    Ok(v.to_owned())
}

fn in_scope(reach: &Option<Reach>, kind: &str, unit: &str, what: &str) -> Result<()> {
    match reach {
        None => Err(Error::Forbidden(format!(
            "your role may not import {kind} rows"
        ))),
        Some(r) if !r.has(unit) => Err(Error::Forbidden(format!(
            "{what} belongs to unit '{unit}', which you do not serve"
        ))),
        Some(_) => Ok(()),
    }
}

/// An end given as only `HH:MM`: on the start's local date, or the next
/// day if that is not after the start.
fn end_time(tz: Tz, starts: i64, ends: &str, what: &str) -> Result<i64> {
    if ends.len() == 5 {
        let t: NaiveTime = time::parse_hhmm(ends, what)?;
        let date = time::local_date(tz, starts)?;
        let same_day = time::local_to_utc(tz, date.and_time(t))?;
        if same_day > starts {
            return Ok(same_day);
        }
        let next = date
            .checked_add_days(Days::new(1))
            .ok_or_else(|| Error::bad("date out of range"))?;
        return time::local_to_utc(tz, next.and_time(t));
    }
    time::parse_local_datetime(tz, ends, what)
}

fn span(starts: i64, ends: i64, max_hours: i64, what: &str) -> Result<()> {
    if ends <= starts {
        return Err(Error::bad("ends must be after starts"));
    }
    if ends - starts > max_hours * 3600 {
        return Err(Error::bad(format!(
            "a {what} may last at most {max_hours} hours"
        )));
    }
    Ok(())
}

fn parse_row(
    row: &csv::StringRecord,
    c: &Cols,
    known: &Known,
    file_decisions: &HashMap<String, String>,
    scope: &ImportRules<'_>,
) -> Result<Record> {
    let kind = required(row, c.kind, "kind")?.to_ascii_lowercase();
    let id = id_field(row, c.id, "id")?;
    let reach = match kind.as_str() {
        "decision" => &scope.decisions,
        "visit" => &scope.visits,
        _ => &scope.shifts,
    };
    let brukare_tz = |brukare_id: &str| -> Result<(String, Tz)> {
        let unit = known
            .brukare
            .get(brukare_id)
            .ok_or_else(|| Error::bad(format!("unknown brukare '{brukare_id}'")))?;
        in_scope(reach, &kind, unit, "the brukare")?;
        let tz = known
            .units
            .get(unit)
            .ok_or_else(|| Error::bad(format!("unknown unit '{unit}'")))?;
        Ok((unit.clone(), *tz))
    };
    match kind.as_str() {
        "decision" => {
            let brukare_id = id_field(row, c.brukare_id, "brukare_id")?;
            let (_, tz) = brukare_tz(&brukare_id)?;
            let s = required(row, c.starts, "starts")?;
            let e = required(row, c.ends, "ends")?;
            let starts = if s.len() == 10 {
                time::day_bounds(tz, time::parse_date(s, "starts")?)?.0
            } else {
                time::parse_local_datetime(tz, s, "starts")?
            };
            let ends = if e.len() == 10 {
                time::day_bounds(tz, time::parse_date(e, "ends")?)?.1
            } else {
                time::parse_local_datetime(tz, e, "ends")?
            };
            if ends <= starts {
                return Err(Error::bad("ends must be after starts"));
            }
            if let Some(owner) = known.decisions.get(&id)
                && owner != &brukare_id
            {
                return Err(Error::bad(format!(
                    "decision '{id}' belongs to brukare '{owner}', not '{brukare_id}'"
                )));
            }
            Ok(Record::Decision {
                id,
                brukare_id,
                starts,
                ends,
            })
        }
        "visit" => {
            let brukare_id = id_field(row, c.brukare_id, "brukare_id")?;
            let decision_id = id_field(row, c.decision_id, "decision_id")?;
            let staff_id = id_field(row, c.staff_id, "staff_id")?;
            let (unit, tz) = brukare_tz(&brukare_id)?;
            let owner = file_decisions
                .get(&decision_id)
                .or_else(|| known.decisions.get(&decision_id))
                .ok_or_else(|| Error::bad(format!("unknown decision '{decision_id}'")))?;
            if owner != &brukare_id {
                return Err(Error::bad(format!(
                    "decision '{decision_id}' is brukare '{owner}''s, not '{brukare_id}''s"
                )));
            }
            known.worker(scope, &staff_id, Work::Visit, &unit)?;
            let starts =
                time::parse_local_datetime(tz, required(row, c.starts, "starts")?, "starts")?;
            let ends = end_time(tz, starts, required(row, c.ends, "ends")?, "ends")?;
            span(starts, ends, 12, "visit")?;
            let service = field(row, c.service).to_owned();
            codec::check_text(&service, 100, "service", true)?;
            Ok(Record::Visit {
                id,
                brukare_id,
                decision_id,
                staff_id,
                starts,
                ends,
                service,
            })
        }
        "shift" => {
            let staff_id = id_field(row, c.staff_id, "staff_id")?;
            let staff_unit = known
                .staff
                .get(&staff_id)
                .ok_or_else(|| Error::bad(format!("unknown staff member '{staff_id}'")))?;
            let unit_id = match field(row, c.unit_id) {
                "" => staff_unit.clone(),
                u => {
                    codec::check_id(u, "unit_id")?;
                    u.to_owned()
                }
            };
            in_scope(reach, &kind, &unit_id, "the shift")?;
            let tz = *known
                .units
                .get(&unit_id)
                .ok_or_else(|| Error::bad(format!("unknown unit '{unit_id}'")))?;
            let kind =
                ShiftKind::parse(&required(row, c.shift_kind, "shift_kind")?.to_ascii_lowercase())?;
            known.worker(scope, &staff_id, Work::Shift(kind), &unit_id)?;
            let starts =
                time::parse_local_datetime(tz, required(row, c.starts, "starts")?, "starts")?;
            let ends = end_time(tz, starts, required(row, c.ends, "ends")?, "ends")?;
            span(starts, ends, 24, "shift")?;
            Ok(Record::Shift {
                id,
                unit_id,
                staff_id,
                kind,
                starts,
                ends,
            })
        }
        other => Err(Error::bad(format!(
            "kind must be decision, visit or shift, not '{other}'"
        ))),
    }
}

async fn apply(
    db: &Db,
    records: &[Record],
    now: i64,
    audit: Option<crate::audit::Record>,
) -> Result<ImportSummary> {
    let mut summary = ImportSummary::default();
    let mut tx = db.begin_write().await?;
    let mut to_revoke: Vec<revocation::LiveToken> = Vec::new();
    for r in records {
        match r {
            Record::Decision {
                id,
                brukare_id,
                starts,
                ends,
            } => {
                // A write first (db.rs), then what the decision ended at before.
                sqlx::query("UPDATE decisions SET updated_at = updated_at WHERE id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                let old_end: Option<i64> =
                    sqlx::query_scalar("SELECT ends_at FROM decisions WHERE id = $1")
                        .bind(id)
                        .fetch_optional(&mut *tx)
                        .await?;
                sqlx::query(
                    "INSERT INTO decisions (id, brukare_id, starts_at, ends_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO UPDATE SET \
                     starts_at = excluded.starts_at, ends_at = excluded.ends_at, \
                     updated_at = excluded.updated_at",
                )
                .bind(id)
                .bind(brukare_id)
                .bind(*starts)
                .bind(*ends)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                // A decision that now ends earlier takes its later tokens with it.
                to_revoke.extend(
                    revocation::live_tokens(
                        &mut tx,
                        revocation::Holder::DecisionEndingAt(id, *ends),
                        now,
                    )
                    .await?,
                );
                // R1.5, R1.11: care that ends takes its locks' removal with it.
                crate::orders::decision_changed(&mut tx, id, old_end, *ends, now).await?;
                summary.decisions += 1;
            }
            Record::Visit {
                id,
                brukare_id,
                decision_id,
                staff_id,
                starts,
                ends,
                service,
            } => {
                sqlx::query(
                    "INSERT INTO visits (id, brukare_id, decision_id, staff_id, starts_at, ends_at, service) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO UPDATE SET \
                     brukare_id = excluded.brukare_id, decision_id = excluded.decision_id, \
                     staff_id = excluded.staff_id, starts_at = excluded.starts_at, \
                     ends_at = excluded.ends_at, service = excluded.service",
                )
                .bind(id)
                .bind(brukare_id)
                .bind(decision_id)
                .bind(staff_id)
                .bind(*starts)
                .bind(*ends)
                .bind(service)
                .execute(&mut *tx)
                .await?;
                summary.visits += 1;
            }
            Record::Shift {
                id,
                unit_id,
                staff_id,
                kind,
                starts,
                ends,
            } => {
                sqlx::query(
                    "INSERT INTO shifts (id, unit_id, staff_id, kind, starts_at, ends_at) \
                     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO UPDATE SET \
                     unit_id = excluded.unit_id, staff_id = excluded.staff_id, kind = excluded.kind, \
                     starts_at = excluded.starts_at, ends_at = excluded.ends_at",
                )
                .bind(id)
                .bind(unit_id)
                .bind(staff_id)
                .bind(kind.as_str())
                .bind(*starts)
                .bind(*ends)
                .execute(&mut *tx)
                .await?;
                summary.shifts += 1;
            }
        }
    }
    // Orders the decisions closed (R1.5) take their technicians' keys.
    to_revoke.extend(crate::orders::closed_order_tokens(&mut tx, now).await?);
    if !to_revoke.is_empty() {
        revocation::revoke_unsigned(&mut tx, now, &to_revoke).await?;
    }
    if let Some(mut rec) = audit {
        let mut brukare: Vec<String> = records
            .iter()
            .filter_map(|r| match r {
                Record::Decision { brukare_id, .. } | Record::Visit { brukare_id, .. } => {
                    Some(brukare_id.clone())
                }
                Record::Shift { .. } => None,
            })
            .collect();
        brukare.sort();
        brukare.dedup();
        rec.after = serde_json::to_value(&summary).ok();
        rec.brukare_ids = brukare;
        crate::audit::insert(&mut tx, &[rec]).await?;
    }
    tx.commit().await?;
    Ok(summary)
}

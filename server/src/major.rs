//! Major outages (R2.3, R2.4, R2.14, R2.16): "stort driftstopp där samtliga
//! låsvred är ur funktion som kräver samordnande insatser". The
//! municipality's, not one unit's:
//!
//! - **Declared by the alarm group** (R2.3: "Larmgruppen informerar omgående
//!   sin enhetschef"). The server never declares one by itself: when many
//!   locks go down across the municipality within a window
//!   ([`Settings::major_outage_locks`] distinct locks within
//!   [`Settings::major_outage_window_secs`]), or every installed lock of a
//!   unit, it *suggests* one to the alarm group, who judge it. If the app
//!   itself is down no reports arrive, so declaring needs no suggestion.
//! - **Everyone is told, and kept updated** (R2.4, R2.14): the alarm group's
//!   unit manager, all unit managers and the head of operations in their
//!   inboxes, and every active manager contact — external providers' unit
//!   managers too — by email, at the start, at each update and at the end.
//! - **No brukare's data leaves**: the emails carry counts, units and the
//!   alarm group's text, and that text is refused when it names a brukare
//!   (name, address, door code) or holds a personal identity number.
//! - **The head of operations writes the deviation** (R2.16).
//!
//! Every outage case open when it is declared, and every case opened while
//! it is open, is part of it.

use std::collections::BTreeSet;

use chrono::TimeZone;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::api::messages::{NewMessage, insert_message_in};
use crate::codec;
use crate::db::Db;
use crate::error::{Error, Result};
use crate::mail::{self, NewEmail};
use crate::model::{
    ContactRole, DeclareMajorOutage, MajorOutage, MajorOutageNotice, MajorOutageNoticeKind,
    MajorOutageStatus, MajorOutageSuggestion, ManagerContact, Role, Staff, SuggestionStatus,
};
use crate::state::Settings;
use crate::time;

/// Longest summary or notice text.
pub const MAX_TEXT: usize = 2000;

/// Who acts: a staff member, or the admin token (`None`).
pub(crate) type Actor<'a> = Option<&'a Staff>;

fn local_stamp(t: i64) -> String {
    let tz = time::parse_tz(time::DEFAULT_TIME_ZONE).unwrap_or(chrono_tz::Europe::Stockholm);
    tz.timestamp_opt(t, 0)
        .single()
        .map(|d| d.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|| t.to_string())
}

// ---------------------------------------------------------------- what may go out

/// Digit runs of `s` of at least `min` digits.
fn digit_runs(s: &str, min: usize) -> Vec<String> {
    let mut runs = Vec::new();
    let mut cur = String::new();
    for c in s.chars().chain(std::iter::once(' ')) {
        if c.is_ascii_digit() {
            cur.push(c);
        } else {
            if cur.len() >= min {
                runs.push(cur.clone());
            }
            cur.clear();
        }
    }
    runs
}

/// A Swedish personal identity number: YYMMDD or YYYYMMDD, then - or +
/// or nothing, then four digits.
fn has_identity_number(text: &str) -> bool {
    let chars: Vec<char> = text.chars().collect();
    let digits = |from: usize, n: usize| {
        chars
            .get(from..from + n)
            .is_some_and(|w| w.iter().all(char::is_ascii_digit))
    };
    let boundary = |i: usize| i == 0 || chars.get(i - 1).is_none_or(|c| !c.is_ascii_digit());
    for start in 0..chars.len() {
        if !boundary(start) {
            continue;
        }
        for date_len in [6, 8] {
            if !digits(start, date_len) {
                continue;
            }
            let mut at = start + date_len;
            if matches!(chars.get(at), Some('-' | '+')) {
                at += 1;
            }
            if digits(at, 4) && chars.get(at + 4).is_none_or(|c| !c.is_ascii_digit()) {
                return true;
            }
        }
    }
    false
}

/// Refuses `text` (400) when it names a brukare — display name, address
/// or a door code from their entry notes — or holds a personal identity
/// number: it goes into emails, outside the case system.
pub(crate) async fn check_no_brukare_data(
    conn: &mut AnyConnection,
    text: &str,
    what: &str,
) -> Result<()> {
    let refuse = || {
        Error::bad(format!(
            "{what} names a brukare (a name, an address, a door code or a personal identity \
             number); it is emailed outside the case system, so it may not: describe the \
             outage without it"
        ))
    };
    if has_identity_number(text) {
        return Err(refuse());
    }
    let lower = text.to_lowercase();
    let text_runs: BTreeSet<String> = digit_runs(text, 4).into_iter().collect();
    let rows = sqlx::query("SELECT display_name, address, entry_notes FROM brukare")
        .fetch_all(&mut *conn)
        .await?;
    for r in &rows {
        let name: String = r.try_get("display_name")?;
        let address: String = r.try_get("address")?;
        let notes: String = r.try_get("entry_notes")?;
        let name = name.trim().to_lowercase();
        if name.chars().count() >= 3 && lower.contains(&name) {
            return Err(refuse());
        }
        // The street and number, without the floor ("Demogatan 15, 3 tr").
        let street = address
            .split(',')
            .next()
            .unwrap_or("")
            .trim()
            .to_lowercase();
        if street.chars().count() >= 5 && lower.contains(&street) {
            return Err(refuse());
        }
        if digit_runs(&notes, 4)
            .iter()
            .any(|code| text_runs.contains(code))
        {
            return Err(refuse());
        }
    }
    Ok(())
}

fn check_text(text: &str, what: &str) -> Result<()> {
    codec::check_text(text, MAX_TEXT, what, true)?;
    if text.trim().is_empty() {
        return Err(Error::bad(format!("{what} must not be empty")));
    }
    Ok(())
}

// ---------------------------------------------------------------- detection

/// An open case as detection sees it.
pub(crate) struct OpenCase {
    pub id: String,
    pub unit_id: String,
    pub lock_id: Option<String>,
    pub opened_at: i64,
}

/// The first run of cases opened within `window` of each other that holds
/// `threshold` distinct locks.
pub(crate) fn window_members(
    cases: &[&OpenCase],
    window: i64,
    threshold: usize,
) -> Option<Vec<String>> {
    let mut sorted: Vec<&OpenCase> = cases
        .iter()
        .copied()
        .filter(|c| c.lock_id.is_some())
        .collect();
    sorted.sort_by(|a, b| a.opened_at.cmp(&b.opened_at).then(a.id.cmp(&b.id)));
    for (i, start) in sorted.iter().enumerate() {
        let run: Vec<&&OpenCase> = sorted
            .iter()
            .skip(i)
            .take_while(|c| c.opened_at - start.opened_at <= window)
            .collect();
        let locks: BTreeSet<&str> = run.iter().filter_map(|c| c.lock_id.as_deref()).collect();
        if locks.len() >= threshold {
            return Some(run.iter().map(|c| c.id.clone()).collect());
        }
    }
    None
}

async fn open_major(conn: &mut AnyConnection) -> Result<Option<String>> {
    Ok(
        sqlx::query_scalar("SELECT id FROM major_outages WHERE status = 'open' LIMIT 1")
            .fetch_optional(&mut *conn)
            .await?,
    )
}

/// Makes cases part of a major outage (and of its deviation, R2.16).
async fn join(conn: &mut AnyConnection, major: &str, case_ids: &[String]) -> Result<()> {
    for id in case_ids {
        sqlx::query(
            "UPDATE outages SET major_outage_id = $1 WHERE id = $2 AND major_outage_id IS NULL",
        )
        .bind(major)
        .bind(id)
        .execute(&mut *conn)
        .await?;
        sqlx::query(
            "INSERT INTO deviation_outages (deviation_id, outage_id) \
             SELECT id, $2 FROM deviations WHERE major_outage_id = $1 ON CONFLICT DO NOTHING",
        )
        .bind(major)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// After a case opens (or gets its lock): it joins the open major outage;
/// with none, many locks down across the municipality (or every installed
/// lock of the case's unit) suggest one to the alarm group (R2.3), once.
pub(crate) async fn case_opened(
    conn: &mut AnyConnection,
    settings: &Settings,
    case_id: &str,
    now: i64,
) -> Result<()> {
    if let Some(major) = open_major(conn).await? {
        return join(conn, &major, &[case_id.to_owned()]).await;
    }
    let rows = sqlx::query(
        "SELECT id, unit_id, lock_id, opened_at FROM outages \
         WHERE status = 'open' AND major_outage_id IS NULL AND opened_at >= $1 \
         ORDER BY opened_at, id",
    )
    .bind(now - settings.major_outage_window_secs)
    .fetch_all(&mut *conn)
    .await?;
    let cases = rows
        .iter()
        .map(|r| {
            Ok(OpenCase {
                id: r.try_get("id")?,
                unit_id: r.try_get("unit_id")?,
                lock_id: r.try_get("lock_id")?,
                opened_at: r.try_get("opened_at")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let refs: Vec<&OpenCase> = cases.iter().collect();
    let threshold = usize::try_from(settings.major_outage_locks).unwrap_or(usize::MAX);
    let mut members = window_members(&refs, settings.major_outage_window_secs, threshold);
    if members.is_none() {
        members = all_locks_of_unit_down(conn, case_id, &cases).await?;
    }
    let Some(members) = members else {
        return Ok(());
    };
    suggest(conn, settings, &cases, &members, now).await
}

/// The open cases of `case_id`'s unit when every installed lock of that
/// unit (at least two) has an open case.
async fn all_locks_of_unit_down(
    conn: &mut AnyConnection,
    case_id: &str,
    cases: &[OpenCase],
) -> Result<Option<Vec<String>>> {
    let unit: Option<String> = sqlx::query_scalar("SELECT unit_id FROM outages WHERE id = $1")
        .bind(case_id)
        .fetch_optional(&mut *conn)
        .await?;
    let Some(unit) = unit else {
        return Ok(None);
    };
    let installed: Vec<String> = sqlx::query_scalar(
        "SELECT l.id FROM locks l JOIN brukare b ON b.id = l.brukare_id \
         WHERE b.unit_id = $1 AND l.installed_at IS NOT NULL AND l.removed_at IS NULL",
    )
    .bind(&unit)
    .fetch_all(&mut *conn)
    .await?;
    let down: BTreeSet<String> = sqlx::query_scalar(
        "SELECT lock_id FROM outages WHERE unit_id = $1 AND status = 'open' \
         AND lock_id IS NOT NULL",
    )
    .bind(&unit)
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .collect();
    if installed.len() < 2 || !installed.iter().all(|l| down.contains(l)) {
        return Ok(None);
    }
    Ok(Some(
        cases
            .iter()
            .filter(|c| c.unit_id == unit)
            .map(|c| c.id.clone())
            .collect(),
    ))
}

fn split_list(s: &str) -> Vec<String> {
    s.split(',')
        .filter(|x| !x.is_empty())
        .map(str::to_owned)
        .collect()
}

/// R2.3: asks the alarm group whether many locks down are a major outage.
/// One open suggestion at a time (a later case grows it); after the alarm
/// group dismissed one, only clearly more locks ask again within the window.
async fn suggest(
    conn: &mut AnyConnection,
    settings: &Settings,
    cases: &[OpenCase],
    members: &[String],
    now: i64,
) -> Result<()> {
    let chosen: Vec<&OpenCase> = cases.iter().filter(|c| members.contains(&c.id)).collect();
    let locks: BTreeSet<&str> = chosen.iter().filter_map(|c| c.lock_id.as_deref()).collect();
    let units: BTreeSet<&str> = chosen.iter().map(|c| c.unit_id.as_str()).collect();
    let first_at = chosen.iter().map(|c| c.opened_at).min().unwrap_or(now);
    let n = i64::try_from(locks.len()).unwrap_or(i64::MAX);
    let unit_ids = units.iter().copied().collect::<Vec<_>>().join(",");
    let outage_ids = members.join(",");
    // An open suggestion grows with the cases.
    let grown = sqlx::query(
        "UPDATE major_outage_suggestions SET locks = $1, unit_ids = $2, outage_ids = $3 \
         WHERE status = 'open' AND locks < $1",
    )
    .bind(n)
    .bind(&unit_ids)
    .bind(&outage_ids)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    let open: Option<String> =
        sqlx::query_scalar("SELECT id FROM major_outage_suggestions WHERE status = 'open'")
            .fetch_optional(&mut *conn)
            .await?;
    if open.is_some() || grown > 0 {
        return Ok(());
    }
    let dismissed: Option<i64> = sqlx::query_scalar(
        "SELECT MAX(locks) FROM major_outage_suggestions WHERE status = 'dismissed' \
         AND resolved_at >= $1",
    )
    .bind(now - settings.major_outage_window_secs)
    .fetch_one(&mut *conn)
    .await?;
    let threshold = i64::from(settings.major_outage_locks);
    if dismissed.is_some_and(|d| n < d + threshold) {
        return Ok(());
    }
    let id = codec::new_id("forslag")?;
    let inserted = sqlx::query(
        "INSERT INTO major_outage_suggestions (id, created_at, first_at, locks, unit_ids, \
         outage_ids, status) VALUES ($1, $2, $3, $4, $5, $6, 'open') ON CONFLICT DO NOTHING",
    )
    .bind(&id)
    .bind(now)
    .bind(first_at)
    .bind(n)
    .bind(&unit_ids)
    .bind(&outage_ids)
    .execute(&mut *conn)
    .await?
    .rows_affected()
        == 1;
    if !inserted {
        return Ok(());
    }
    let body = format!(
        "{n} låsvred i {} enhet(er) ({unit_ids}) är ur funktion sedan {}. Är det ett stort \
         driftstopp som kräver samordnande insatser? Larmgruppen informerar i så fall omgående sin \
         enhetschef: utlys driftstoppet (POST /v1/major-outages med suggestion_id {id}); annars \
         avfärda förslaget. Förslag {id}.\n\n\
         {n} locks in {} unit(s) ({unit_ids}) have been out of order since {}. Is this a major \
         outage that needs coordinated work? If so, the alarm group tells its unit manager at \
         once: declare it; otherwise dismiss the suggestion.",
        units.len(),
        local_stamp(first_at),
        units.len(),
        local_stamp(first_at),
    );
    let msg = NewMessage {
        id: format!("r2.3-{id}"),
        to_role: Role::AlarmTechnician,
        unit_id: None,
        from: None,
        routine_step: Some("R2.3"),
        subject: "Möjligt stort driftstopp – bedöm och utlys",
        body: &body,
        brukare_id: None,
        lock_id: None,
        handle_from: None,
        outage_id: None,
        deadline_at: None,
    };
    insert_message_in(&mut *conn, &msg, now).await?;
    tracing::info!(suggestion = %id, locks = n, "major outage suggested to the alarm group");
    Ok(())
}

fn row_suggestion(r: &AnyRow) -> Result<MajorOutageSuggestion> {
    Ok(MajorOutageSuggestion {
        id: r.try_get("id")?,
        created_at: r.try_get("created_at")?,
        first_at: r.try_get("first_at")?,
        locks: u64::try_from(r.try_get::<i64, _>("locks")?).unwrap_or(0),
        unit_ids: split_list(&r.try_get::<String, _>("unit_ids")?),
        outage_ids: split_list(&r.try_get::<String, _>("outage_ids")?),
        status: SuggestionStatus::parse(&r.try_get::<String, _>("status")?)?,
        resolved_at: r.try_get("resolved_at")?,
        resolved_by: r.try_get("resolved_by")?,
    })
}

/// Suggestions, newest first (open ones, or all).
pub(crate) async fn suggestions(db: &Db, only_open: bool) -> Result<Vec<MajorOutageSuggestion>> {
    sqlx::query(
        "SELECT * FROM major_outage_suggestions WHERE ($1 = 0 OR status = 'open') \
         ORDER BY created_at DESC, id LIMIT 200",
    )
    .bind(i64::from(only_open))
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(row_suggestion)
    .collect()
}

/// The alarm group judges a suggestion not a major outage.
pub(crate) async fn dismiss(
    db: &Db,
    id: &str,
    by: Actor<'_>,
    now: i64,
) -> Result<MajorOutageSuggestion> {
    sqlx::query(
        "UPDATE major_outage_suggestions SET status = 'dismissed', resolved_at = $1, \
         resolved_by = $2 WHERE id = $3 AND status = 'open'",
    )
    .bind(now)
    .bind(by.map(|s| s.id.clone()))
    .bind(id)
    .execute(db.pool())
    .await?;
    let r = sqlx::query("SELECT * FROM major_outage_suggestions WHERE id = $1")
        .bind(id)
        .fetch_optional(db.pool())
        .await?
        .ok_or_else(|| Error::not_found("suggestion", id))?;
    let s = row_suggestion(&r)?;
    if s.status == SuggestionStatus::Declared {
        return Err(Error::Conflict(format!(
            "suggestion '{id}' was declared a major outage"
        )));
    }
    Ok(s)
}

// ---------------------------------------------------------------- declare, update, end

/// The unit whose unit manager leads the alarm group (R2.3).
async fn alarm_group_unit(
    conn: &mut AnyConnection,
    settings: &Settings,
    by: Actor<'_>,
) -> Result<String> {
    if let Some(u) = &settings.alarm_group_unit_id {
        return Ok(u.clone());
    }
    if let Some(st) = by {
        return Ok(st.unit_id.clone());
    }
    let first: Option<String> =
        sqlx::query_scalar("SELECT id FROM units ORDER BY created_at, id LIMIT 1")
            .fetch_optional(&mut *conn)
            .await?;
    first.ok_or_else(|| Error::Conflict("there are no units".into()))
}

/// What the cases of a major outage cover now: distinct locks and units.
async fn extent(conn: &mut AnyConnection, major: &str) -> Result<(Vec<String>, u64, Vec<String>)> {
    let rows = sqlx::query(
        "SELECT id, unit_id, lock_id FROM outages WHERE major_outage_id = $1 ORDER BY opened_at, id",
    )
    .bind(major)
    .fetch_all(&mut *conn)
    .await?;
    let mut ids = Vec::new();
    let mut locks = BTreeSet::new();
    let mut units = BTreeSet::new();
    for r in &rows {
        ids.push(r.try_get::<String, _>("id")?);
        units.insert(r.try_get::<String, _>("unit_id")?);
        if let Some(l) = r.try_get::<Option<String>, _>("lock_id")? {
            locks.insert(l);
        }
    }
    Ok((
        ids,
        u64::try_from(locks.len()).unwrap_or(0),
        units.into_iter().collect(),
    ))
}

async fn unit_names(conn: &mut AnyConnection, ids: &[String]) -> Result<String> {
    let mut names = Vec::new();
    for id in ids {
        let n: Option<String> = sqlx::query_scalar("SELECT name FROM units WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
        names.push(n.unwrap_or_else(|| id.clone()));
    }
    Ok(names.join(", "))
}

/// The texts of a notice: subject and body, Swedish then English.
struct Texts {
    subject: String,
    body: String,
    inbox_subject: &'static str,
}

#[allow(clippy::too_many_arguments)]
fn texts(
    kind: MajorOutageNoticeKind,
    major: &str,
    text: &str,
    at: i64,
    by_name: &str,
    locks: u64,
    units: usize,
    names: &str,
) -> Texts {
    let when = local_stamp(at);
    let extent_sv = if locks > 0 {
        format!(" Kända ärenden: {locks} låsvred ur funktion i {units} enhet(er) ({names}).")
    } else {
        String::new()
    };
    let extent_en = if locks > 0 {
        format!(" Known cases: {locks} locks out of order in {units} unit(s) ({names}).")
    } else {
        String::new()
    };
    let (subject, sv_head, en_head, sv_tail, en_tail, inbox_subject) = match kind {
        MajorOutageNoticeKind::Start => (
            "Stort driftstopp: elektroniska låsvred ur funktion / Major outage: electronic locks out of order",
            format!("Stort driftstopp utlyst {when} av larmgruppen ({by_name})."),
            format!("Major outage declared {when} by the alarm group ({by_name})."),
            "Medarbetarna använder extranycklar enligt rutinen (dag: enhetens nyckelskåp, natt:              natt-/larmnyckeln). Larmgruppens enhetschef samordnar och uppdaterar alla.              Verksamhetschefen skriver avvikelsen.",
            "Staff use spare keys as the routine says (day: the unit's key cabinet, night: the              night/alarm key). The alarm group's unit manager coordinates and keeps everyone              updated. The head of operations writes the deviation report.",
            "Stort driftstopp: låsvred ur funktion",
        ),
        MajorOutageNoticeKind::Update => (
            "Uppdatering: stort driftstopp, låsvred / Update: major outage, locks",
            format!("Uppdatering {when} ({by_name})."),
            format!("Update {when} ({by_name})."),
            "",
            "",
            "Uppdatering om det stora driftstoppet",
        ),
        MajorOutageNoticeKind::End => (
            "Låsvreden fungerar igen / The locks work again",
            format!("Det stora driftstoppet är över {when} ({by_name})."),
            format!("The major outage is over, {when} ({by_name})."),
            "Koordinatorerna dokumenterar för varje låsvred att det fungerar igen.",
            "The coordinators document for each lock that it works again.",
            "Låsvred åter i funktion",
        ),
    };
    let body = format!(
        "{sv_head}

{text}

{}{extent_sv}

Driftstopp {major}.

— In English —

         {en_head}

{text}

{}{extent_en}

Major outage {major}.
",
        sv_tail, en_tail
    );
    Texts {
        subject: subject.to_owned(),
        body,
        inbox_subject,
    }
}

/// Writes a notice: its row, the inbox messages and an email to every
/// active manager contact, on the caller's transaction.
#[allow(clippy::too_many_arguments)]
async fn notify(
    conn: &mut AnyConnection,
    settings: &Settings,
    major: &str,
    notice_id: &str,
    kind: MajorOutageNoticeKind,
    text: &str,
    by: Actor<'_>,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO major_outage_updates (id, major_outage_id, kind, text, created_at, created_by)          VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(notice_id)
    .bind(major)
    .bind(kind.as_str())
    .bind(text)
    .bind(now)
    .bind(by.map(|s| s.id.clone()))
    .execute(&mut *conn)
    .await?;
    let (_, locks, units) = extent(conn, major).await?;
    let names = unit_names(conn, &units).await?;
    let by_name = by
        .map(|s| s.name.clone())
        .unwrap_or_else(|| "administratör".into());
    let t = texts(kind, major, text, now, &by_name, locks, units.len(), &names);
    let step = match kind {
        MajorOutageNoticeKind::Start => "R2.4",
        MajorOutageNoticeKind::Update => "R2.4",
        MajorOutageNoticeKind::End => "R2.14",
    };
    let from = by.map(|s| (s.id.as_str(), s.role));
    let lead = alarm_group_unit(conn, settings, by).await?;
    let mut inbox: Vec<(Role, Option<&str>, &str)> = vec![
        (Role::UnitManager, None, step),
        (Role::HeadOfOperations, None, step),
    ];
    if kind == MajorOutageNoticeKind::Start {
        // R2.3: the alarm group informs its own unit manager at once.
        inbox.insert(0, (Role::UnitManager, Some(lead.as_str()), "R2.3"));
    }
    for (role, unit, step) in inbox {
        let msg = NewMessage {
            id: format!(
                "{notice_id}-{}-{}",
                step.to_ascii_lowercase(),
                role.as_str()
            ),
            to_role: role,
            unit_id: unit,
            from,
            routine_step: Some(step),
            subject: t.inbox_subject,
            body: &t.body,
            brukare_id: None,
            lock_id: None,
            handle_from: None,
            outage_id: None,
            deadline_at: None,
        };
        insert_message_in(&mut *conn, &msg, now).await?;
    }
    let contacts: Vec<String> =
        sqlx::query_scalar("SELECT email FROM manager_contacts WHERE active = 1 ORDER BY email")
            .fetch_all(&mut *conn)
            .await?;
    for to in &contacts {
        mail::queue(
            conn,
            &NewEmail {
                to,
                subject: &t.subject,
                body: &t.body,
                major_outage_id: Some(major),
                notice_id: Some(notice_id),
            },
            now,
        )
        .await?;
    }
    Ok(())
}

/// One major outage, with its cases and notices.
pub(crate) async fn get(db: &Db, id: &str) -> Result<MajorOutage> {
    let mut conn = db.pool().acquire().await?;
    let r = sqlx::query("SELECT * FROM major_outages WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| Error::not_found("major outage", id))?;
    let id: String = r.try_get("id")?;
    let (outage_ids, locks, unit_ids) = extent(&mut conn, &id).await?;
    let deviation_id: Option<String> =
        sqlx::query_scalar("SELECT id FROM deviations WHERE major_outage_id = $1 LIMIT 1")
            .bind(&id)
            .fetch_optional(&mut *conn)
            .await?;
    let rows = sqlx::query(
        "SELECT * FROM major_outage_updates WHERE major_outage_id = $1 ORDER BY created_at, id",
    )
    .bind(&id)
    .fetch_all(&mut *conn)
    .await?;
    drop(conn);
    let mut notices = Vec::with_capacity(rows.len());
    for n in &rows {
        let nid: String = n.try_get("id")?;
        let (emails_sent, emails_pending) = mail::counts(db, &nid).await?;
        notices.push(MajorOutageNotice {
            id: nid,
            kind: MajorOutageNoticeKind::parse(&n.try_get::<String, _>("kind")?)?,
            text: n.try_get("text")?,
            created_at: n.try_get("created_at")?,
            created_by: n.try_get("created_by")?,
            emails_sent,
            emails_pending,
        });
    }
    Ok(MajorOutage {
        id,
        status: MajorOutageStatus::parse(&r.try_get::<String, _>("status")?)?,
        summary: r.try_get("summary")?,
        declared_at: r.try_get("declared_at")?,
        declared_by: r.try_get("declared_by")?,
        suggestion_id: r.try_get("suggestion_id")?,
        ended_at: r.try_get("ended_at")?,
        ended_by: r.try_get("ended_by")?,
        outage_ids,
        locks,
        unit_ids,
        deviation_id,
        notices,
    })
}

/// Major outages, newest first.
pub(crate) async fn list(db: &Db, status: Option<MajorOutageStatus>) -> Result<Vec<MajorOutage>> {
    let ids: Vec<String> = sqlx::query_scalar(
        "SELECT id FROM major_outages WHERE ($1 = '' OR status = $1)          ORDER BY declared_at DESC, id LIMIT 200",
    )
    .bind(status.map(|s| s.as_str()).unwrap_or(""))
    .fetch_all(db.pool())
    .await?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        out.push(get(db, &id).await?);
    }
    Ok(out)
}

/// R2.3, R2.4, R2.16: the alarm group declares a major outage. A retry
/// with the same id answers it as it is; a second open one is 409.
pub(crate) async fn declare(
    db: &Db,
    settings: &Settings,
    by: Actor<'_>,
    req: &DeclareMajorOutage,
    now: i64,
) -> Result<MajorOutage> {
    let id = match &req.id {
        Some(id) => {
            codec::check_id(id, "id")?;
            id.clone()
        }
        None => codec::new_id("storst")?,
    };
    check_text(&req.summary, "summary")?;
    if let Some(sid) = &req.suggestion_id {
        codec::check_id(sid, "suggestion_id")?;
    }
    if let Ok(existing) = get(db, &id).await {
        if existing.summary == req.summary {
            return Ok(existing);
        }
        return Err(Error::Conflict(format!(
            "major outage id '{id}' is already used by another declaration"
        )));
    }
    // A write first (db.rs); a refusal below rolls it back.
    let mut tx = db.begin_write().await?;
    let inserted = sqlx::query(
        "INSERT INTO major_outages (id, status, summary, declared_at, declared_by, suggestion_id,          updated_at) VALUES ($1, 'open', $2, $3, $4, $5, $3) ON CONFLICT DO NOTHING",
    )
    .bind(&id)
    .bind(&req.summary)
    .bind(now)
    .bind(by.map(|s| s.id.clone()))
    .bind(req.suggestion_id.clone())
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1;
    if !inserted {
        let open = open_major(&mut tx).await?.unwrap_or_default();
        return Err(Error::Conflict(format!(
            "a major outage is already open ('{open}'): post an update to it, or end it first"
        )));
    }
    check_no_brukare_data(&mut tx, &req.summary, "summary").await?;
    // Its suggestion (and any open one) is now declared.
    if let Some(sid) = &req.suggestion_id {
        let st: Option<String> =
            sqlx::query_scalar("SELECT status FROM major_outage_suggestions WHERE id = $1")
                .bind(sid)
                .fetch_optional(&mut *tx)
                .await?;
        if st.is_none() {
            return Err(Error::bad(format!(
                "suggestion_id: unknown suggestion '{sid}'"
            )));
        }
    }
    sqlx::query(
        "UPDATE major_outage_suggestions SET status = 'declared', resolved_at = $1,          resolved_by = $2 WHERE status = 'open' OR id = $3",
    )
    .bind(now)
    .bind(by.map(|s| s.id.clone()))
    .bind(req.suggestion_id.clone().unwrap_or_default())
    .execute(&mut *tx)
    .await?;
    // R2.16: the head of operations writes the deviation.
    let heads: Vec<String> =
        sqlx::query_scalar("SELECT id FROM staff WHERE role = $1 ORDER BY id LIMIT 2")
            .bind(Role::HeadOfOperations.as_str())
            .fetch_all(&mut *tx)
            .await?;
    let assigned_to = match heads.as_slice() {
        [one] => Some(one.clone()),
        _ => None,
    };
    let lead = alarm_group_unit(&mut tx, settings, by).await?;
    sqlx::query(
        "INSERT INTO deviations (id, kind, unit_id, major_outage_id, assigned_role, assigned_to,          created_at, status) VALUES ($1, 'major', $2, $3, $4, $5, $6, 'expected')",
    )
    .bind(codec::new_id("avv")?)
    .bind(&lead)
    .bind(&id)
    .bind(Role::HeadOfOperations.as_str())
    .bind(assigned_to)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    // Every case open now is part of it.
    let open: Vec<String> = sqlx::query_scalar(
        "SELECT id FROM outages WHERE status = 'open' AND major_outage_id IS NULL ORDER BY id",
    )
    .fetch_all(&mut *tx)
    .await?;
    join(&mut tx, &id, &open).await?;
    let notice = format!("{id}-start");
    notify(
        &mut tx,
        settings,
        &id,
        &notice,
        MajorOutageNoticeKind::Start,
        &req.summary,
        by,
        now,
    )
    .await?;
    tx.commit().await?;
    tracing::info!(major_outage = %id, "major outage declared");
    get(db, &id).await
}

/// R2.4: an update to everyone ("Enhetschefen uppdaterar alla
/// kontinuerligt"); R2.14: the end. A retry with the same notice id
/// answers the outage as it is.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn notice(
    db: &Db,
    settings: &Settings,
    id: &str,
    kind: MajorOutageNoticeKind,
    notice_id: Option<&str>,
    text: &str,
    by: Actor<'_>,
    now: i64,
) -> Result<MajorOutage> {
    check_text(text, "text")?;
    let notice_id = match notice_id {
        Some(n) => {
            codec::check_id(n, "id")?;
            n.to_owned()
        }
        None => codec::new_id("upd")?,
    };
    let mut tx = db.begin_write().await?;
    // A write first: it holds the outage's row while this notice is made.
    sqlx::query("UPDATE major_outages SET updated_at = $1 WHERE id = $2")
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let status: Option<String> =
        sqlx::query_scalar("SELECT status FROM major_outages WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
    let status = status.ok_or_else(|| Error::not_found("major outage", id))?;
    let seen: Option<String> =
        sqlx::query_scalar("SELECT major_outage_id FROM major_outage_updates WHERE id = $1")
            .bind(&notice_id)
            .fetch_optional(&mut *tx)
            .await?;
    match seen {
        Some(m) if m == id => {
            drop(tx);
            return get(db, id).await;
        }
        Some(_) => {
            return Err(Error::Conflict(format!(
                "notice id '{notice_id}' is already used by another major outage"
            )));
        }
        None => {}
    }
    if status != "open" {
        return Err(Error::Conflict(format!("major outage '{id}' has ended")));
    }
    check_no_brukare_data(&mut tx, text, "text").await?;
    if kind == MajorOutageNoticeKind::End {
        sqlx::query(
            "UPDATE major_outages SET status = 'ended', ended_at = $1, ended_by = $2 WHERE id = $3",
        )
        .bind(now)
        .bind(by.map(|s| s.id.clone()))
        .bind(id)
        .execute(&mut *tx)
        .await?;
    }
    notify(&mut tx, settings, id, &notice_id, kind, text, by, now).await?;
    tx.commit().await?;
    get(db, id).await
}

// ---------------------------------------------------------------- manager contacts

fn row_contact(r: &AnyRow) -> Result<ManagerContact> {
    Ok(ManagerContact {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        email: r.try_get("email")?,
        organisation: r.try_get("organisation")?,
        role: ContactRole::parse(&r.try_get::<String, _>("role")?)?,
        external: r.try_get::<i64, _>("external")? != 0,
        active: r.try_get::<i64, _>("active")? != 0,
        created_at: r.try_get("created_at")?,
    })
}

/// Every manager contact, by organisation and name.
pub(crate) async fn contacts(db: &Db) -> Result<Vec<ManagerContact>> {
    sqlx::query("SELECT * FROM manager_contacts ORDER BY external, organisation, name, id")
        .fetch_all(db.pool())
        .await?
        .iter()
        .map(row_contact)
        .collect()
}

/// One manager contact.
pub(crate) async fn contact(db: &Db, id: &str) -> Result<ManagerContact> {
    let r = sqlx::query("SELECT * FROM manager_contacts WHERE id = $1")
        .bind(id)
        .fetch_optional(db.pool())
        .await?
        .ok_or_else(|| Error::not_found("manager contact", id))?;
    row_contact(&r)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn r2_3_a_window_needs_enough_distinct_locks() {
        let c = |id: &str, lock: Option<&str>, at: i64| OpenCase {
            id: id.into(),
            unit_id: "u".into(),
            lock_id: lock.map(str::to_owned),
            opened_at: at,
        };
        let cases = [
            c("a", Some("l1"), 0),
            c("b", Some("l2"), 1800),
            c("c", None, 1900),
            c("d", Some("l3"), 3700),
            c("e", Some("l4"), 4000),
        ];
        let refs: Vec<&OpenCase> = cases.iter().collect();
        // l1..l3 span 3700 s > 3600: only b, d, e fall within an hour.
        assert_eq!(
            window_members(&refs, 3600, 3),
            Some(vec!["b".into(), "d".into(), "e".into()])
        );
        assert_eq!(window_members(&refs, 3600, 4), None);
        assert_eq!(window_members(&refs, 4000, 4).map(|m| m.len()), Some(4));
    }

    #[test]
    fn identity_numbers_are_found_and_times_are_not() {
        for yes in [
            "Brukare 19450312-1234 kan inte öppna",
            "450312-1234",
            "4503121234",
            "194503121234",
            "19450312+1234",
        ] {
            assert!(has_identity_number(yes), "{yes}");
        }
        for no in [
            "Nätet nere sedan 07:40, 12 lås",
            "kl 1700",
            "telefon 08-530 610 10",
            "ärende 123456",
        ] {
            assert!(!has_identity_number(no), "{no}");
        }
        assert_eq!(
            digit_runs("Portkod 1234, 3 tr, 56789", 4),
            ["1234", "56789"]
        );
    }
}

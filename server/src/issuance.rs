//! Token issuance under DESIGN.md's rules:
//!
//! - only for a scheduled visit's window (widened by a margin on both
//!   sides) or a night shift the worker is on;
//! - bound to the device key (`cnf`);
//! - never valid before the care decision starts nor after it ends
//!   (`expires = min(window end + margin, decision end)`); an ended decision
//!   gives no key and the reason `decision_ended` (R2.7);
//! - never for a removed lock, never for a revoked device (a revoked device
//!   cannot even authenticate), never after the staff member's account ends;
//! - only for brukare and shifts of units the worker serves;
//! - the bundle only for today and the next local day;
//! - demonstration, installation, removal and maintenance keys only for an
//!   open order booked for the technician asking, from its booked time (less
//!   the margin), and revoked when the order closes ([`order_key`]).
//!
//! The bundle re-uses a token already issued to the same device for the same
//! lock, window and decision, so fetching the bundle again is cheap and does
//! not grow what a revocation would have to list.
//!
//! Every token names the epoch of its lock's revocation list at the moment it
//! is signed (`min_epoch`, PROTOCOL.md §2.3): a lock accepts it only once it
//! holds that list, so a phone with a fresh token must bring the fresh list.
//! The bundle carries the lists of the day's locks, and a single token comes
//! with its lock's list.

use std::collections::{BTreeMap, HashMap};

use nyckelfri_protocol::token::{AccessClaims, SignedToken, issue};
use sqlx::Row;

use crate::auth::DeviceCaller;
use crate::codec;
use crate::error::{Error, Result};
use crate::model::{
    BrukareCard, Bundle, BundleLock, BundleVisit, IssuedToken, Lock, LockKind, LockState, NoKey,
    NoKeyReason, OrderKind, Shift, ShiftKind, TokenRequest, TokenScope,
};
use crate::permit::Permit;
use crate::policy::Scope;
use crate::state::AppState;
use crate::{orders, revocation, store, time};

/// `(not_before, expires)` cut at the end of the staff member's account;
/// `None` when nothing is left.
fn within_account(dev: &DeviceCaller, nbf: i64, exp: i64) -> Option<(i64, i64)> {
    let exp = dev.staff.ends_at.map_or(exp, |e| exp.min(e));
    (exp > nbf).then_some((nbf, exp))
}

/// A care decision's validity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecisionSpan {
    /// Id.
    pub id: String,
    /// Valid from.
    pub starts_at: i64,
    /// Valid until.
    pub ends_at: i64,
}

/// The rule, as a pure function: the `(not_before, expires)` of a key for a
/// lock in the window `[start, end)`, or why there is none.
pub fn key_window(
    now: i64,
    start: i64,
    end: i64,
    margin: i64,
    decision: Option<&DecisionSpan>,
    lock_state: LockState,
) -> Result<(i64, i64), NoKeyReason> {
    match lock_state {
        LockState::Removed => return Err(NoKeyReason::LockRemoved),
        LockState::Commissioned => return Err(NoKeyReason::LockNotInstalled),
        LockState::Installed => {}
    }
    let nbf = start.saturating_sub(margin);
    let exp = end.saturating_add(margin);
    let d = decision.ok_or(NoKeyReason::NoDecision)?;
    // R2.7: a lock cannot be opened once the decision has expired.
    if d.ends_at <= now || d.ends_at <= nbf {
        return Err(NoKeyReason::DecisionEnded);
    }
    if exp <= now {
        return Err(NoKeyReason::WindowPassed);
    }
    if d.starts_at >= exp {
        return Err(NoKeyReason::DecisionNotStarted);
    }
    Ok((nbf.max(d.starts_at), exp.min(d.ends_at)))
}

/// A token about to be stored.
struct NewToken {
    token_id: [u8; 16],
    claims: AccessClaims,
    bytes: Vec<u8>,
    /// The lock's signed list (base64) the token requires, if any.
    list: Option<String>,
}

/// What to put in a token besides the device and time of issue.
#[derive(Clone, Copy)]
struct Grant<'a> {
    lock_id: &'a str,
    scope: TokenScope,
    nbf: i64,
    exp: i64,
    decision_id: &'a str,
    decision_end: i64,
}

async fn sign_token(
    state: &AppState,
    dev: &DeviceCaller,
    g: &Grant<'_>,
    now: i64,
) -> Result<NewToken> {
    let Grant {
        lock_id,
        scope,
        nbf,
        exp,
        decision_id,
        decision_end,
    } = *g;
    let token_id = codec::random_bytes::<16>()?;
    let u = |v: i64| u64::try_from(v).map_err(|_| Error::Internal("negative time".into()));
    // The lock must hold its list at least as new as now before it takes
    // this token: a revocation made before this moment reaches it first.
    // A list that revokes by issue time (it overflowed) is passed by
    // issuing no earlier than its bound.
    let (min_epoch, revoked_before) =
        revocation::list_state(state.db(), state.issuer(), lock_id).await?;
    let issued_at = now.min(exp).max(revoked_before);
    if issued_at > exp {
        return Err(Error::no_key(crate::model::NoKeyReason::WindowPassed));
    }
    let claims = AccessClaims {
        token_id,
        staff_id: dev.staff.id.clone(),
        lock_id: lock_id.to_owned(),
        not_before: u(nbf)?,
        expires: u(exp)?,
        issued_at: u(issued_at)?,
        decision_id: decision_id.to_owned(),
        decision_end: u(decision_end)?,
        scope: scope.protocol(),
        min_epoch,
        device_key: dev.public_key.clone(),
    };
    let bytes = issue(&claims, state.issuer())?;
    // Read after the epoch: lists only rise, so this one is new enough.
    let list = if min_epoch > 0 {
        revocation::lists_for(state.db(), state.issuer(), &[lock_id.to_owned()], now)
            .await?
            .into_iter()
            .next()
            .map(|l| l.list)
    } else {
        None
    };
    Ok(NewToken {
        token_id,
        claims,
        bytes,
        list,
    })
}

async fn store_tokens(state: &AppState, dev: &DeviceCaller, tokens: &[NewToken]) -> Result<()> {
    if tokens.is_empty() {
        return Ok(());
    }
    let mut tx = state.db().begin_write().await?;
    for t in tokens {
        let c = &t.claims;
        sqlx::query(
            "INSERT INTO issued_tokens (token_id, device_id, staff_id, lock_id, decision_id, scope, \
             not_before, expires, decision_end, issued_at, token) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(t.token_id.to_vec())
        .bind(&dev.device_id)
        .bind(&c.staff_id)
        .bind(&c.lock_id)
        .bind(&c.decision_id)
        .bind(i64::from(c.scope as u8))
        .bind(i64::try_from(c.not_before).unwrap_or(i64::MAX))
        .bind(i64::try_from(c.expires).unwrap_or(i64::MAX))
        .bind(i64::try_from(c.decision_end).unwrap_or(i64::MAX))
        .bind(i64::try_from(c.issued_at).unwrap_or(i64::MAX))
        .bind(t.bytes.clone())
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

fn issued(t: &NewToken, visit_id: Option<&str>, shift_id: Option<&str>) -> IssuedToken {
    let c = &t.claims;
    IssuedToken {
        token: codec::b64(&t.bytes),
        token_id: hex::encode(t.token_id),
        lock_id: c.lock_id.clone(),
        scope: TokenScope::from_code(i64::from(c.scope as u8)),
        not_before: i64::try_from(c.not_before).unwrap_or(i64::MAX),
        expires: i64::try_from(c.expires).unwrap_or(i64::MAX),
        decision_id: c.decision_id.clone(),
        decision_end: i64::try_from(c.decision_end).unwrap_or(i64::MAX),
        visit_id: visit_id.map(str::to_owned),
        shift_id: shift_id.map(str::to_owned),
        min_epoch: c.min_epoch,
        revocation_list: t.list.clone(),
    }
}

/// What the reuse of an earlier token is keyed on.
type ReuseKey = (String, i64, i64, String, i64, i64);

/// One (window, lock) pair the worker needs a key for.
struct Need {
    lock_id: String,
    brukare_id: String,
    visit_id: Option<String>,
    shift_id: Option<String>,
    start: i64,
    end: i64,
    decision: Option<DecisionSpan>,
    lock_state: LockState,
}

/// Locks of a brukare that matter: the installed ones, or when none is
/// installed, the most recently removed one (so the app can say why).
fn locks_that_matter(locks: &[Lock]) -> Vec<&Lock> {
    let installed: Vec<&Lock> = locks
        .iter()
        .filter(|l| l.state == LockState::Installed)
        .collect();
    if !installed.is_empty() {
        return installed;
    }
    locks
        .iter()
        .filter(|l| l.state == LockState::Removed)
        .max_by_key(|l| l.removed_at)
        .into_iter()
        .collect()
}

/// The bundle for one worker's day.
pub async fn bundle(state: &AppState, dev: &DeviceCaller, date: Option<&str>) -> Result<Bundle> {
    let db = state.db();
    let now = state.now();
    let margin = state.settings().token_margin_secs;
    let (unit, tz) = store::unit_tz(db, &dev.staff.unit_id).await?;
    let today = time::local_date(tz, now)?;
    let date = match date {
        Some(d) => time::parse_date(d, "date")?,
        None => today,
    };
    // Keys are never issued further ahead than the next local day: a key
    // for a far date would outlive what a revocation list can hold.
    if date != today && Some(date) != today.succ_opt() {
        return Err(Error::bad(format!(
            "a bundle covers today ({today}) or tomorrow only"
        )));
    }
    let (day_start, day_end) = time::day_bounds(tz, date)?;
    let staff_id = dev.staff.id.as_str();

    // The day's visits with their brukare and decision.
    let visit_rows = sqlx::query(
        "SELECT v.id, v.starts_at, v.ends_at, v.service, v.decision_id, v.brukare_id, \
                b.display_name, b.address, b.entry_notes, b.unit_id AS b_unit, \
                d.starts_at AS d_starts, d.ends_at AS d_ends \
         FROM visits v JOIN brukare b ON b.id = v.brukare_id \
         JOIN decisions d ON d.id = v.decision_id \
         WHERE v.staff_id = $1 AND v.cancelled_at IS NULL AND v.starts_at < $3 AND v.ends_at > $2 \
         ORDER BY v.starts_at, v.id",
    )
    .bind(staff_id)
    .bind(day_start)
    .bind(day_end)
    .fetch_all(db.pool())
    .await?;

    let shift_rows = sqlx::query(
        "SELECT * FROM shifts WHERE staff_id = $1 AND starts_at < $3 AND ends_at > $2 \
         ORDER BY starts_at, id",
    )
    .bind(staff_id)
    .bind(day_start)
    .bind(day_end)
    .fetch_all(db.pool())
    .await?;
    // Only shifts in units the worker serves now.
    let shifts: Vec<Shift> = shift_rows
        .iter()
        .map(store::row_shift)
        .collect::<Result<Vec<_>>>()?
        .into_iter()
        .filter(|sh| dev.staff.serves(&sh.unit_id))
        .collect();

    // Locks of the visited brukare, and of every brukare of a unit the
    // worker has a night shift in.
    let lock_rows = sqlx::query(&format!(
        "SELECT {cols}, b.unit_id AS b_unit FROM locks l JOIN brukare b ON b.id = l.brukare_id \
         WHERE l.brukare_id IN (SELECT v.brukare_id FROM visits v WHERE v.staff_id = $1 \
               AND v.cancelled_at IS NULL AND v.starts_at < $3 AND v.ends_at > $2) \
            OR b.unit_id IN (SELECT s.unit_id FROM shifts s WHERE s.staff_id = $1 \
               AND s.kind = 'night' AND s.starts_at < $3 AND s.ends_at > $2) \
         ORDER BY l.id",
        cols = store::LOCK_COLS
    ))
    .bind(staff_id)
    .bind(day_start)
    .bind(day_end)
    .fetch_all(db.pool())
    .await?;
    let mut locks_by_brukare: BTreeMap<String, Vec<Lock>> = BTreeMap::new();
    let mut brukare_unit: HashMap<String, String> = HashMap::new();
    for r in &lock_rows {
        let l = store::row_lock(r)?;
        let b_unit: String = r.try_get("b_unit")?;
        if !dev.staff.serves(&b_unit) {
            continue;
        }
        if let Some(b) = &l.brukare_id {
            brukare_unit.insert(b.clone(), b_unit);
            locks_by_brukare.entry(b.clone()).or_default().push(l);
        }
    }

    let mut needs: Vec<Need> = Vec::new();
    let mut visits = Vec::with_capacity(visit_rows.len());
    for r in &visit_rows {
        // Only brukare of units the worker serves now.
        if !dev.staff.serves(&r.try_get::<String, _>("b_unit")?) {
            continue;
        }
        let brukare_id: String = r.try_get("brukare_id")?;
        let visit_id: String = r.try_get("id")?;
        let start: i64 = r.try_get("starts_at")?;
        let end: i64 = r.try_get("ends_at")?;
        let decision = DecisionSpan {
            id: r.try_get("decision_id")?,
            starts_at: r.try_get("d_starts")?,
            ends_at: r.try_get("d_ends")?,
        };
        let locks = locks_by_brukare
            .get(&brukare_id)
            .map(|v| locks_that_matter(v))
            .unwrap_or_default();
        for l in &locks {
            needs.push(Need {
                lock_id: l.id.clone(),
                brukare_id: brukare_id.clone(),
                visit_id: Some(visit_id.clone()),
                shift_id: None,
                start,
                end,
                decision: Some(decision.clone()),
                lock_state: l.state,
            });
        }
        visits.push(BundleVisit {
            id: visit_id,
            starts_at: start,
            ends_at: end,
            service: r.try_get("service")?,
            decision_id: decision.id.clone(),
            brukare: BrukareCard {
                id: brukare_id,
                display_name: r.try_get("display_name")?,
                address: r.try_get("address")?,
                entry_notes: r.try_get("entry_notes")?,
            },
            lock_ids: locks
                .iter()
                .filter(|l| l.state == LockState::Installed)
                .map(|l| l.id.clone())
                .collect(),
        });
    }

    // Night shifts: every brukare of the unit, with the decision that
    // covers the shift best (the latest-ending one that has started by then).
    let night: Vec<&Shift> = shifts
        .iter()
        .filter(|s| s.kind == ShiftKind::Night)
        .collect();
    if !night.is_empty() {
        let decision_rows = sqlx::query(
            "SELECT d.id, d.brukare_id, d.starts_at, d.ends_at FROM decisions d \
             JOIN brukare b ON b.id = d.brukare_id \
             WHERE b.unit_id IN (SELECT s.unit_id FROM shifts s WHERE s.staff_id = $1 \
                   AND s.kind = 'night' AND s.starts_at < $3 AND s.ends_at > $2)",
        )
        .bind(staff_id)
        .bind(day_start)
        .bind(day_end)
        .fetch_all(db.pool())
        .await?;
        let mut decisions: HashMap<String, Vec<DecisionSpan>> = HashMap::new();
        for r in &decision_rows {
            decisions
                .entry(r.try_get("brukare_id")?)
                .or_default()
                .push(DecisionSpan {
                    id: r.try_get("id")?,
                    starts_at: r.try_get("starts_at")?,
                    ends_at: r.try_get("ends_at")?,
                });
        }
        for s in night {
            for (brukare_id, locks) in &locks_by_brukare {
                if brukare_unit.get(brukare_id) != Some(&s.unit_id) {
                    continue;
                }
                let best = decisions.get(brukare_id).and_then(|ds| {
                    ds.iter()
                        .filter(|d| d.starts_at < s.ends_at + margin)
                        .max_by_key(|d| (d.ends_at, d.id.clone()))
                        .cloned()
                });
                for l in locks_that_matter(locks) {
                    needs.push(Need {
                        lock_id: l.id.clone(),
                        brukare_id: brukare_id.clone(),
                        visit_id: None,
                        shift_id: Some(s.id.clone()),
                        start: s.starts_at,
                        end: s.ends_at,
                        decision: best.clone(),
                        lock_state: l.state,
                    });
                }
            }
        }
    }

    // Tokens already issued to this device that are still good.
    let existing_rows = sqlx::query(
        "SELECT token_id, lock_id, not_before, expires, decision_id, decision_end, scope, token \
         FROM issued_tokens WHERE device_id = $1 AND expires > $2 AND revoked_at IS NULL",
    )
    .bind(&dev.device_id)
    .bind(now)
    .fetch_all(db.pool())
    .await?;
    let mut existing: HashMap<ReuseKey, (Vec<u8>, Vec<u8>)> = HashMap::new();
    for r in &existing_rows {
        let key: ReuseKey = (
            r.try_get("lock_id")?,
            r.try_get("not_before")?,
            r.try_get("expires")?,
            r.try_get("decision_id")?,
            r.try_get("decision_end")?,
            r.try_get("scope")?,
        );
        existing.insert(key, (r.try_get("token_id")?, r.try_get("token")?));
    }

    let mut tokens = Vec::new();
    let mut no_key = Vec::new();
    let mut new_tokens: Vec<NewToken> = Vec::new();
    for n in &needs {
        match key_window(
            now,
            n.start,
            n.end,
            margin,
            n.decision.as_ref(),
            n.lock_state,
        )
        .and_then(|(nbf, exp)| within_account(dev, nbf, exp).ok_or(NoKeyReason::WindowPassed))
        {
            Err(reason) => no_key.push(NoKey {
                lock_id: n.lock_id.clone(),
                brukare_id: Some(n.brukare_id.clone()),
                visit_id: n.visit_id.clone(),
                shift_id: n.shift_id.clone(),
                reason,
                message: reason.explain().to_owned(),
            }),
            Ok((nbf, exp)) => {
                // key_window only succeeds with a decision.
                let Some(d) = n.decision.as_ref() else {
                    continue;
                };
                let care = i64::from(TokenScope::Care.protocol() as u8);
                let key: ReuseKey = (n.lock_id.clone(), nbf, exp, d.id.clone(), d.ends_at, care);
                if let Some((id, bytes)) = existing.get(&key) {
                    let min_epoch = SignedToken::parse(bytes)
                        .and_then(|t| t.claims_unverified())
                        .map_or(0, |c| c.min_epoch);
                    tokens.push(IssuedToken {
                        token: codec::b64(bytes),
                        token_id: hex::encode(id),
                        lock_id: n.lock_id.clone(),
                        scope: TokenScope::Care,
                        not_before: nbf,
                        expires: exp,
                        decision_id: d.id.clone(),
                        decision_end: d.ends_at,
                        visit_id: n.visit_id.clone(),
                        shift_id: n.shift_id.clone(),
                        min_epoch,
                        revocation_list: None,
                    });
                    continue;
                }
                let grant = Grant {
                    lock_id: &n.lock_id,
                    scope: TokenScope::Care,
                    nbf,
                    exp,
                    decision_id: &d.id,
                    decision_end: d.ends_at,
                };
                let t = sign_token(state, dev, &grant, now).await?;
                tokens.push(issued(&t, n.visit_id.as_deref(), n.shift_id.as_deref()));
                existing.insert(key, (t.token_id.to_vec(), t.bytes.clone()));
                new_tokens.push(t);
            }
        }
    }
    store_tokens(state, dev, &new_tokens).await?;

    let mut locks: Vec<BundleLock> = locks_by_brukare
        .values()
        .flat_map(|v| locks_that_matter(v))
        .map(|l| BundleLock {
            id: l.id.clone(),
            public_key: l.public_key.clone(),
            kind: l.kind,
            brukare_id: l.brukare_id.clone(),
            state: l.state,
        })
        .collect();
    locks.sort_by(|a, b| a.id.cmp(&b.id));
    locks.dedup_by(|a, b| a.id == b.id);

    // After the tokens: each list is at least as new as any token's min_epoch.
    let lock_ids: Vec<String> = locks.iter().map(|l| l.id.clone()).collect();
    let revocation_lists = revocation::lists_for(db, state.issuer(), &lock_ids, now).await?;
    let night_patrol_deadline_at =
        time::deadline_on(tz, date, &unit.settings.night_patrol_deadline)?;
    Ok(Bundle {
        server_time: now,
        date: date.format("%Y-%m-%d").to_string(),
        day_start,
        day_end,
        staff: dev.staff.clone(),
        device_id: dev.device_id.clone(),
        unit,
        night_patrol_deadline_at,
        issuer: state.issuer_info(),
        visits,
        shifts,
        locks,
        revocation_lists,
        tokens,
        no_key,
    })
}

/// A window that could give a key: (start, end, decision, visit, shift).
type Candidate = (
    i64,
    i64,
    Option<DecisionSpan>,
    Option<String>,
    Option<String>,
);

/// One fresh token now, for `req.lock_id`: a care key under the policy's
/// scope `scheduled`, a technician's key under `assigned`
/// ([`order_key`]); any other key is `not_permitted`.
pub async fn token_now(
    state: &AppState,
    permit: &Permit,
    req: &TokenRequest,
) -> Result<IssuedToken> {
    let dev = permit.device()?;
    codec::check_id(&req.lock_id, "lock_id")?;
    if let Some(o) = &req.order_id {
        codec::check_id(o, "order_id")?;
    }
    let scope = req.scope.unwrap_or(TokenScope::Care);
    match (scope, permit.scope()) {
        (TokenScope::Care, Scope::Scheduled) => care_key(state, dev, req).await,
        (TokenScope::Demo | TokenScope::Install | TokenScope::Maintenance, Scope::Assigned) => {
            order_key(state, dev, req, scope).await
        }
        _ => Err(Error::no_key(NoKeyReason::NotPermitted)),
    }
}

/// An order a technician's key can be for.
struct KeyOrder {
    id: String,
    kind: OrderKind,
    unit_id: String,
    lock_id: Option<String>,
    scheduled_for: i64,
}

/// A demonstration, installation, removal or maintenance key (R1.9,
/// R1.12): only for an open order booked for the technician asking, of a
/// kind that needs this scope, for this lock — an installation order not
/// yet tied to a lock takes a lock in stock of its kind, and is tied to it
/// by the first key. Valid from the booked time (less the margin visits
/// get) for at most `install_token_secs`, never past the account's end;
/// the order's closing revokes it.
async fn order_key(
    state: &AppState,
    dev: &DeviceCaller,
    req: &TokenRequest,
    scope: TokenScope,
) -> Result<IssuedToken> {
    let db = state.db();
    let now = state.now();
    let lock = store::lock(db, &req.lock_id).await?;
    if lock.state == LockState::Removed {
        return Err(Error::no_key(NoKeyReason::LockRemoved));
    }
    // Booked (`scheduled`) is open and has a technician.
    let rows = sqlx::query(
        "SELECT id, kind, unit_id, lock_id, scheduled_for FROM orders \
         WHERE status = 'scheduled' AND scheduled_to = $1 AND ($2 = '' OR id = $2) \
         AND (lock_id = $3 OR lock_id IS NULL) ORDER BY scheduled_for, id",
    )
    .bind(&dev.staff.id)
    .bind(req.order_id.clone().unwrap_or_default())
    .bind(&lock.id)
    .fetch_all(db.pool())
    .await?;
    let mut candidates = Vec::new();
    for r in &rows {
        let kind = OrderKind::parse(&r.try_get::<String, _>("kind")?)?;
        let o = KeyOrder {
            id: r.try_get("id")?,
            kind,
            unit_id: r.try_get("unit_id")?,
            lock_id: r.try_get("lock_id")?,
            scheduled_for: r
                .try_get::<Option<i64>, _>("scheduled_for")?
                .unwrap_or(i64::MAX),
        };
        let fits_lock = match &o.lock_id {
            Some(l) => *l == lock.id,
            // A new installation: a lock in stock, of the order's kind.
            None => {
                o.kind.is_installation()
                    && lock.state == LockState::Commissioned
                    && (lock.kind == LockKind::Entrance) == (o.kind == OrderKind::Entrance)
            }
        };
        if fits_lock && o.kind.key_scopes().contains(&scope) && dev.staff.serves(&o.unit_id) {
            candidates.push(o);
        }
    }
    let margin = state.settings().token_margin_secs;
    let Some(o) = candidates.iter().find(|o| o.scheduled_for - margin <= now) else {
        return Err(Error::no_key(if candidates.is_empty() {
            NoKeyReason::NoOrder
        } else {
            NoKeyReason::OrderNotDue
        }));
    };
    let nbf = (o.scheduled_for - margin).max(0);
    let (nbf, exp) = within_account(dev, nbf, now + state.settings().install_token_secs)
        .ok_or_else(|| Error::no_key(NoKeyReason::WindowPassed))?;
    let mut tx = db.begin_write().await?;
    if o.lock_id.is_none() {
        // The first key ties the installation order to this lock, unless
        // another open order has it already.
        let r = sqlx::query(&format!(
            "UPDATE orders SET lock_id = $1, updated_at = $2 WHERE id = $3 AND lock_id IS NULL \
             AND NOT EXISTS (SELECT 1 FROM orders x WHERE x.lock_id = $1 AND x.id <> $3 \
                             AND x.status IN {})",
            orders::ACTIVE
        ))
        .bind(&lock.id)
        .bind(now)
        .bind(&o.id)
        .execute(&mut *tx)
        .await?;
        if r.rows_affected() == 0 {
            return Err(Error::no_key(NoKeyReason::NoOrder));
        }
    }
    tx.commit().await?;
    let grant = Grant {
        lock_id: &lock.id,
        scope,
        nbf,
        exp,
        decision_id: &o.id,
        decision_end: exp,
    };
    let t = sign_token(state, dev, &grant, now).await?;
    store_tokens(state, dev, std::slice::from_ref(&t)).await?;
    sqlx::query("UPDATE issued_tokens SET order_id = $1 WHERE token_id = $2")
        .bind(&o.id)
        .bind(t.token_id.to_vec())
        .execute(db.pool())
        .await?;
    let mut out = issued(&t, None, None);
    // The token's scope code is the protocol's; say what was asked for.
    out.scope = scope;
    Ok(out)
}

/// A care key now: the visit or night shift of this worker that is open
/// now (or opens next today), at a brukare of a unit they serve.
async fn care_key(state: &AppState, dev: &DeviceCaller, req: &TokenRequest) -> Result<IssuedToken> {
    let db = state.db();
    let now = state.now();
    let lock = store::lock(db, &req.lock_id).await?;
    match lock.state {
        LockState::Removed => return Err(Error::no_key(NoKeyReason::LockRemoved)),
        LockState::Commissioned => return Err(Error::no_key(NoKeyReason::LockNotInstalled)),
        LockState::Installed => {}
    }
    let Some(brukare_id) = lock.brukare_id.clone() else {
        return Err(Error::no_key(NoKeyReason::LockNotInstalled));
    };
    let margin = state.settings().token_margin_secs;
    let b = store::brukare(db, &brukare_id).await?;
    if !dev.staff.serves(&b.unit_id) {
        return Err(Error::no_key(NoKeyReason::NotScheduled));
    }
    let (_, tz) = store::unit_tz(db, &b.unit_id).await?;
    let (day_start, day_end) = time::day_bounds(tz, time::local_date(tz, now)?)?;

    // Candidates: the worker's visits to this brukare that are not over,
    // then night shifts in the brukare's unit; the current one first.
    let mut candidates: Vec<Candidate> = Vec::new();
    let rows = sqlx::query(
        "SELECT v.id, v.starts_at, v.ends_at, d.id AS d_id, d.starts_at AS d_starts, \
                d.ends_at AS d_ends \
         FROM visits v JOIN decisions d ON d.id = v.decision_id \
         WHERE v.staff_id = $1 AND v.brukare_id = $2 AND v.cancelled_at IS NULL \
           AND v.ends_at > $3 AND v.starts_at < $4 ORDER BY v.starts_at",
    )
    .bind(&dev.staff.id)
    .bind(&brukare_id)
    .bind(day_start.min(now - margin))
    .bind(day_end + margin)
    .fetch_all(db.pool())
    .await?;
    for r in &rows {
        candidates.push((
            r.try_get("starts_at")?,
            r.try_get("ends_at")?,
            Some(DecisionSpan {
                id: r.try_get("d_id")?,
                starts_at: r.try_get("d_starts")?,
                ends_at: r.try_get("d_ends")?,
            }),
            Some(r.try_get("id")?),
            None,
        ));
    }
    let shift_rows = sqlx::query(
        "SELECT id, starts_at, ends_at FROM shifts WHERE staff_id = $1 AND unit_id = $2 \
         AND kind = 'night' AND ends_at > $3 AND starts_at < $4 ORDER BY starts_at",
    )
    .bind(&dev.staff.id)
    .bind(&b.unit_id)
    .bind(day_start.min(now - margin))
    .bind(day_end + margin)
    .fetch_all(db.pool())
    .await?;
    if !shift_rows.is_empty() {
        let ds = sqlx::query(
            "SELECT id, starts_at, ends_at FROM decisions WHERE brukare_id = $1 \
             ORDER BY ends_at DESC, id DESC",
        )
        .bind(&brukare_id)
        .fetch_all(db.pool())
        .await?;
        for r in &shift_rows {
            let (s, e): (i64, i64) = (r.try_get("starts_at")?, r.try_get("ends_at")?);
            let mut best = None;
            for d in &ds {
                let span = DecisionSpan {
                    id: d.try_get("id")?,
                    starts_at: d.try_get("starts_at")?,
                    ends_at: d.try_get("ends_at")?,
                };
                if span.starts_at < e + margin {
                    best = Some(span);
                    break;
                }
            }
            candidates.push((s, e, best, None, Some(r.try_get("id")?)));
        }
    }
    // The window open now first, then the next to open, then those over.
    candidates.sort_by_key(|(s, e, ..)| {
        let rank = if now < s - margin {
            1
        } else if now < e + margin {
            0
        } else {
            2
        };
        (rank, *s)
    });
    let mut first_refusal = None;
    for (s, e, d, visit_id, shift_id) in &candidates {
        match key_window(now, *s, *e, margin, d.as_ref(), lock.state)
            .and_then(|(nbf, exp)| within_account(dev, nbf, exp).ok_or(NoKeyReason::WindowPassed))
        {
            Ok((nbf, exp)) => {
                let Some(d) = d else { continue };
                let grant = Grant {
                    lock_id: &lock.id,
                    scope: TokenScope::Care,
                    nbf,
                    exp,
                    decision_id: &d.id,
                    decision_end: d.ends_at,
                };
                let t = sign_token(state, dev, &grant, now).await?;
                store_tokens(state, dev, std::slice::from_ref(&t)).await?;
                return Ok(issued(&t, visit_id.as_deref(), shift_id.as_deref()));
            }
            Err(r) => {
                first_refusal.get_or_insert(r);
            }
        }
    }
    Err(Error::no_key(
        first_refusal.unwrap_or(NoKeyReason::NotScheduled),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(starts_at: i64, ends_at: i64) -> DecisionSpan {
        DecisionSpan {
            id: "d".into(),
            starts_at,
            ends_at,
        }
    }

    const M: i64 = 600;

    #[test]
    fn a_visit_window_gets_its_margin_on_both_sides() {
        let w = key_window(
            1_000,
            10_000,
            12_000,
            M,
            Some(&d(0, 100_000)),
            LockState::Installed,
        );
        assert_eq!(w, Ok((9_400, 12_600)));
    }

    #[test]
    fn r2_7_the_key_never_outlives_the_decision_and_an_ended_decision_gets_none() {
        // Decision ends during the visit: expiry is cut at its end.
        let w = key_window(
            1_000,
            10_000,
            12_000,
            M,
            Some(&d(0, 11_000)),
            LockState::Installed,
        );
        assert_eq!(w, Ok((9_400, 11_000)));
        // Decision ended before now.
        let w = key_window(
            20_000,
            21_000,
            22_000,
            M,
            Some(&d(0, 19_000)),
            LockState::Installed,
        );
        assert_eq!(w, Err(NoKeyReason::DecisionEnded));
        // Decision ends before the window opens.
        let w = key_window(
            1_000,
            21_000,
            22_000,
            M,
            Some(&d(0, 19_000)),
            LockState::Installed,
        );
        assert_eq!(w, Err(NoKeyReason::DecisionEnded));
    }

    #[test]
    fn the_key_never_starts_before_the_decision() {
        let w = key_window(
            1_000,
            10_000,
            12_000,
            M,
            Some(&d(10_100, 90_000)),
            LockState::Installed,
        );
        assert_eq!(w, Ok((10_100, 12_600)));
        let w = key_window(
            1_000,
            10_000,
            12_000,
            M,
            Some(&d(12_600, 90_000)),
            LockState::Installed,
        );
        assert_eq!(w, Err(NoKeyReason::DecisionNotStarted));
    }

    #[test]
    fn removed_and_uninstalled_locks_and_missing_decisions_get_no_key() {
        let dd = d(0, 100_000);
        assert_eq!(
            key_window(1_000, 10_000, 12_000, M, Some(&dd), LockState::Removed),
            Err(NoKeyReason::LockRemoved)
        );
        assert_eq!(
            key_window(1_000, 10_000, 12_000, M, Some(&dd), LockState::Commissioned),
            Err(NoKeyReason::LockNotInstalled)
        );
        assert_eq!(
            key_window(1_000, 10_000, 12_000, M, None, LockState::Installed),
            Err(NoKeyReason::NoDecision)
        );
    }

    #[test]
    fn a_window_that_is_over_gets_no_key() {
        let w = key_window(
            12_600,
            10_000,
            12_000,
            M,
            Some(&d(0, 100_000)),
            LockState::Installed,
        );
        assert_eq!(w, Err(NoKeyReason::WindowPassed));
    }
}

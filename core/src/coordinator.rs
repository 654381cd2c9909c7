//! The coordinator's side of the outage routine (R2): the open cases with
//! what is still to do, and the three actions the routine gives them —
//! inform the alarm group (R2.11), inform the night patrol by 17:00
//! (R2.12), and document that the lock works again (R2.10). The server
//! keeps the cases; this only asks and reports.

use serde::Deserialize;

use crate::app::AppInner;
use crate::error::NyckelfriError;
use crate::inbox::path_id;
use crate::{outbox, sync};

/// An outage case as the coordinator sees it.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct OutageCase {
    /// The case's id (the first report's id).
    pub id: String,
    /// The unit.
    pub unit_id: String,
    /// "open" or "closed".
    pub status: String,
    /// The lock, if the worker named it.
    pub lock_id: Option<String>,
    /// The brukare's name as shown at the door.
    pub brukare_display_name: Option<String>,
    /// The worker's cause (e.g. "jammed", "no_response").
    pub cause: String,
    /// When the lock failed (Unix seconds).
    pub opened_at: i64,
    /// Opened in the routine's weekend (R2.13: from the unit's closing time
    /// before a weekend or holiday to its next opening; the night patrol
    /// and the alarm group were told by the worker's report).
    pub weekend_or_holiday: bool,
    /// Opened at night.
    pub night: bool,
    /// R2.7: the care decision checked now: "valid", "ends_today", "ended",
    /// "not_started", "no_decision" or "unknown_brukare".
    pub decision_status: String,
    /// R2.7: when the decision ends.
    pub decision_ends_at: Option<i64>,
    /// R2.7: the decision has ended: ask the needs assessor.
    pub contact_needs_assessor: bool,
    /// R2.11: when the alarm group was told.
    pub alarm_group_informed_at: Option<i64>,
    /// R2.12: by when the night patrol must be told.
    pub night_patrol_deadline_at: i64,
    /// R2.12: when the night patrol was told.
    pub night_patrol_messaged_at: Option<i64>,
    /// R2.12: who was told (the night patrol serving the unit then, staff
    /// ids); after the deadline the server tells them itself.
    #[uniffi(default)]
    pub night_patrol_told: Vec<String>,
    /// R2.12: not told and the deadline has passed.
    pub night_patrol_overdue: bool,
    /// R2.10: when the alarm group reported it repaired (then the
    /// coordinator checks and documents that it works).
    #[uniffi(default)]
    pub repaired_at: Option<i64>,
    /// R2.10: when the lock worked again.
    pub working_at: Option<i64>,
    /// R2.3: the major outage it is part of.
    #[uniffi(default)]
    pub major_outage_id: Option<String>,
    /// How many workers reported it.
    pub report_count: u32,
}

#[derive(Deserialize)]
struct WireDecision {
    status: String,
    ends_at: Option<i64>,
}

#[derive(Deserialize)]
struct WireOutage {
    id: String,
    unit_id: String,
    status: String,
    lock_id: Option<String>,
    brukare_display_name: Option<String>,
    cause: String,
    opened_at: i64,
    weekend_or_holiday: bool,
    night: bool,
    decision: WireDecision,
    contact_needs_assessor: bool,
    alarm_group_informed_at: Option<i64>,
    night_patrol_deadline_at: i64,
    night_patrol_messaged_at: Option<i64>,
    #[serde(default)]
    night_patrol_told: Vec<String>,
    night_patrol_overdue: bool,
    #[serde(default)]
    repaired_at: Option<i64>,
    working_at: Option<i64>,
    #[serde(default)]
    major_outage_id: Option<String>,
    reports: Vec<serde_json::Value>,
}

impl From<WireOutage> for OutageCase {
    fn from(w: WireOutage) -> Self {
        OutageCase {
            id: w.id,
            unit_id: w.unit_id,
            status: w.status,
            lock_id: w.lock_id,
            brukare_display_name: w.brukare_display_name,
            cause: w.cause,
            opened_at: w.opened_at,
            weekend_or_holiday: w.weekend_or_holiday,
            night: w.night,
            decision_status: w.decision.status,
            decision_ends_at: w.decision.ends_at,
            contact_needs_assessor: w.contact_needs_assessor,
            alarm_group_informed_at: w.alarm_group_informed_at,
            night_patrol_deadline_at: w.night_patrol_deadline_at,
            night_patrol_messaged_at: w.night_patrol_messaged_at,
            night_patrol_told: w.night_patrol_told,
            night_patrol_overdue: w.night_patrol_overdue,
            repaired_at: w.repaired_at,
            working_at: w.working_at,
            major_outage_id: w.major_outage_id,
            report_count: u32::try_from(w.reports.len()).unwrap_or(u32::MAX),
        }
    }
}

#[derive(Deserialize)]
struct WireMessageResponse {
    outage: WireOutage,
}

pub(crate) async fn open_outages(app: &AppInner) -> Result<Vec<OutageCase>, NyckelfriError> {
    let (client, session) = sync::authorized(app, app.sync_backoff).await?;
    let cases: Vec<WireOutage> = client.get("/v1/outages?status=open", &session).await?;
    Ok(cases.into_iter().map(OutageCase::from).collect())
}

/// R2.10: the lock works again (now); closes the case.
pub(crate) async fn mark_lock_working(
    app: &AppInner,
    outage_id: &str,
    note: Option<&str>,
) -> Result<OutageCase, NyckelfriError> {
    let id = path_id(outage_id)?;
    let (client, session) = sync::authorized(app, app.sync_backoff).await?;
    let case: WireOutage = client
        .post(
            &format!("/v1/outages/{id}/working"),
            &serde_json::json!({ "note": note }),
            Some(&session),
        )
        .await?;
    Ok(case.into())
}

/// Who a case message goes to.
#[derive(Clone, Copy)]
pub(crate) enum Recipient {
    /// R2.11: the alarm group, who try to fix the lock.
    AlarmGroup,
    /// R2.12: the night patrol, by 17:00.
    NightPatrol,
}

pub(crate) async fn inform(
    app: &AppInner,
    outage_id: &str,
    to: Recipient,
    note: Option<&str>,
) -> Result<OutageCase, NyckelfriError> {
    let id = path_id(outage_id)?;
    let path = match to {
        Recipient::AlarmGroup => format!("/v1/outages/{id}/alarm-group"),
        Recipient::NightPatrol => format!("/v1/outages/{id}/night-patrol"),
    };
    // One message id for every retry, so a lost answer never sends twice.
    let message_id = format!("msg-{}", outbox::new_event_id()?);
    let (client, session) = sync::authorized(app, app.sync_backoff).await?;
    let answer: WireMessageResponse = client
        .post(
            &path,
            &serde_json::json!({ "id": message_id, "note": note }),
            Some(&session),
        )
        .await?;
    Ok(answer.outage.into())
}

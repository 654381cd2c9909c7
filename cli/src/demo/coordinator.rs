//! The coordinator's side of the day (R2): after the worker's failed-lock
//! report has synced, the coordinator sees the open case with the care
//! decision's validity (R2.7), informs the alarm group (R2.11), tells the
//! night patrol before the 17:00 deadline (R2.12), and, once the alarm group
//! has fixed it, marks the lock working again (R2.10). The steps are the
//! coordinator's own, from their enrolled phone (the core's coordinator
//! calls): the admin token only reads the cases for the summary.

use serde::Serialize;
use serde_json::Value;

use super::server_api::Api;
use crate::exit::CliError;
use nyckelfri_core::NyckelfriApp;

/// A field of a JSON object, or null.
fn field<'a>(v: &'a Value, key: &str) -> &'a Value {
    v.get(key).unwrap_or(&Value::Null)
}

/// What the coordinator did with one outage case.
#[derive(Debug, Clone, Serialize)]
pub struct CaseReport {
    /// The case.
    pub case_id: String,
    /// The lock.
    pub lock_id: Option<String>,
    /// The care decision's validity when checked (R2.7).
    pub decision: String,
    /// When the night patrol had to be told by (R2.12).
    pub night_patrol_deadline_at: i64,
    /// When it was told.
    pub night_patrol_told_at: Option<i64>,
    /// Told by the deadline.
    pub night_patrol_in_time: bool,
    /// The alarm group was informed (R2.11).
    pub alarm_group_told: bool,
    /// From when the alarm group takes it (the next weekday on a weekend, R2.13).
    pub alarm_group_handle_from: Option<i64>,
    /// Marked working again and closed (R2.10).
    pub closed: bool,
}

/// Handles every open outage case of the day, as the coordinator whose
/// phone is `coordinator`.
pub async fn handle_open_cases(
    url: &str,
    admin_token: &str,
    coordinator: &NyckelfriApp,
) -> Result<Vec<CaseReport>, CliError> {
    let api = Api::new(url, admin_token);
    let mut reports = Vec::new();
    for case in coordinator.open_outages().await? {
        let id = case.id;
        coordinator.inform_alarm_group(id.clone(), None).await?; // R2.11
        coordinator.inform_night_patrol(id.clone(), None).await?; // R2.12
        let told = api.call("GET", &format!("/v1/outages/{id}"), None).await?;
        coordinator.mark_lock_working(id.clone(), None).await?; // R2.10
        let after = api.call("GET", &format!("/v1/outages/{id}"), None).await?;
        let deadline = field(&told, "night_patrol_deadline_at")
            .as_i64()
            .unwrap_or(0);
        let told_at = field(&told, "night_patrol_messaged_at").as_i64();
        reports.push(CaseReport {
            case_id: id,
            lock_id: field(&told, "lock_id").as_str().map(str::to_owned),
            decision: field(field(&told, "decision"), "status")
                .as_str()
                .unwrap_or("unknown")
                .to_owned(),
            night_patrol_deadline_at: deadline,
            night_patrol_told_at: told_at,
            night_patrol_in_time: told_at.is_some_and(|t| t <= deadline)
                && field(&told, "night_patrol_overdue") == false,
            alarm_group_told: field(&told, "alarm_group_informed_at").as_i64().is_some(),
            alarm_group_handle_from: field(&told, "alarm_group_handle_from").as_i64(),
            closed: field(&after, "status") == "closed",
        });
    }
    Ok(reports)
}

//! The server's JSON, as much of it as the app reads (server/API.md).
//! Unknown fields are ignored so a newer server does not break older apps.

use base64::Engine;
use serde::{Deserialize, Serialize};

/// Bytes the server sends as base64.
pub(crate) fn b64(s: &str) -> Result<Vec<u8>, String> {
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .map_err(|e| format!("bad base64: {e}"))
}

pub(crate) fn to_b64(b: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(b)
}

#[derive(Serialize)]
pub(crate) struct EnrollRequest<'a> {
    pub code: &'a str,
    pub public_key: String,
    pub label: &'a str,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Staff {
    pub id: String,
    pub unit_id: Option<String>,
    pub name: String,
    pub role: String,
}

#[derive(Deserialize)]
pub(crate) struct EnrollResponse {
    pub device_id: String,
    pub staff: Staff,
}

#[derive(Serialize)]
pub(crate) struct ChallengeRequest<'a> {
    pub device_id: &'a str,
}

#[derive(Deserialize)]
pub(crate) struct Challenge {
    pub challenge_id: String,
    pub challenge: String,
    // The server's `domain` is not read: the app signs its own
    // (`SESSION_DOMAIN`).
}

#[derive(Serialize)]
pub(crate) struct SessionRequest<'a> {
    pub challenge_id: &'a str,
    pub signature: String,
}

#[derive(Deserialize)]
pub(crate) struct Session {
    pub session_token: String,
    pub expires_at: i64,
}

#[derive(Deserialize)]
pub(crate) struct UnitSettingsWire {
    pub coordinator_phone: String,
    pub day_key_location: String,
    pub night_key_location: String,
    pub night_patrol_deadline: String,
    pub time_zone: String,
    // An older server sends none of these: the routine's defaults.
    #[serde(default = "opens")]
    pub office_opens: String,
    #[serde(default = "closes")]
    pub office_closes: String,
    #[serde(default)]
    pub night_patrol_phone: Option<String>,
    #[serde(default)]
    pub acute_key_routine: Option<String>,
    #[serde(default)]
    pub acute_key_routine_en: Option<String>,
}

fn opens() -> String {
    "07:00".into()
}

fn closes() -> String {
    "17:00".into()
}

#[derive(Deserialize)]
pub(crate) struct ShiftWire {
    pub id: String,
    pub unit_id: String,
    pub kind: String,
    pub starts_at: i64,
    pub ends_at: i64,
}

#[derive(Deserialize)]
pub(crate) struct UnitWire {
    pub id: String,
    pub name: String,
    pub settings: UnitSettingsWire,
}

#[derive(Deserialize)]
pub(crate) struct BrukareWire {
    pub id: String,
    pub display_name: String,
    pub address: String,
}

#[derive(Deserialize)]
pub(crate) struct VisitWire {
    pub id: String,
    pub starts_at: i64,
    pub ends_at: i64,
    pub brukare: BrukareWire,
    pub lock_ids: Vec<String>,
}

#[derive(Deserialize)]
pub(crate) struct LockWire {
    pub id: String,
    pub public_key: String,
    pub kind: Option<String>,
    pub brukare_id: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct TokenWire {
    pub token: String,
}

#[derive(Deserialize)]
pub(crate) struct NoKeyWire {
    pub lock_id: String,
    pub visit_id: Option<String>,
    pub reason: String,
}

#[derive(Deserialize)]
pub(crate) struct RevocationWire {
    pub list: String,
}

#[derive(Deserialize)]
pub(crate) struct IssuerWire {
    pub public_key: String,
}

#[derive(Deserialize)]
pub(crate) struct BundleWire {
    pub server_time: i64,
    pub unit: UnitWire,
    #[serde(default)]
    pub visits: Vec<VisitWire>,
    #[serde(default)]
    pub locks: Vec<LockWire>,
    #[serde(default)]
    pub shifts: Vec<ShiftWire>,
    #[serde(default)]
    pub tokens: Vec<TokenWire>,
    #[serde(default)]
    pub no_key: Vec<NoKeyWire>,
    #[serde(default)]
    pub revocation_lists: Vec<RevocationWire>,
    pub issuer: Option<IssuerWire>,
    pub issuer_update: Option<String>,
}

#[derive(Serialize)]
pub(crate) struct EventWire {
    pub id: String,
    pub kind: String,
    pub occurred_at: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lock_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub visit_id: Option<String>,
    pub data: serde_json::Value,
}

#[derive(Serialize)]
pub(crate) struct EventsRequest {
    pub events: Vec<EventWire>,
}

#[derive(Deserialize)]
pub(crate) struct EventResult {
    pub id: String,
    pub status: String,
}

#[derive(Deserialize)]
pub(crate) struct EventsResponse {
    pub results: Vec<EventResult>,
}

#[derive(Deserialize)]
pub(crate) struct ErrorWire {
    pub error: String,
    pub message: Option<String>,
}

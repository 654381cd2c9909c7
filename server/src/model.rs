//! The domain's enums and the JSON shapes of the API (requests and
//! responses). Times are Unix seconds (UTC); keys are hex (65-byte SEC1);
//! other byte strings (tokens, lists, grants, receipts) are base64.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::{Error, Result};

macro_rules! string_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $v:ident = $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vm])* $v),+ }

        impl $name {
            /// Every value.
            pub const ALL: &'static [$name] = &[$($name::$v),+];
            /// The wire (and database) name.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$v => $s),+ }
            }
            /// Parses the wire name.
            pub fn parse(s: &str) -> Result<Self> {
                match s {
                    $($s => Ok($name::$v),)+
                    _ => Err(Error::bad(format!(
                        concat!("unknown ", stringify!($name), " '{}'; one of: {}"),
                        s,
                        [$($s),+].join(", ")
                    ))),
                }
            }
        }
    };
}

string_enum! {
    /// A staff member's role.
    Role {
        /// Day or evening care worker (medarbetare).
        CareWorker = "care_worker",
        /// Night patrol (nattpatrullen).
        NightPatrol = "night_patrol",
        /// The night patrol's coordinator (koordinatorn för nattpatrullen, R1.10).
        NightPatrolCoordinator = "night_patrol_coordinator",
        /// Coordinator (koordinator).
        Coordinator = "coordinator",
        /// Alarm-group technician (larmgruppen).
        AlarmTechnician = "alarm_technician",
        /// Unit manager (enhetschef).
        UnitManager = "unit_manager",
        /// Head of operations (verksamhetschef).
        HeadOfOperations = "head_of_operations",
        /// Needs assessor (biståndshandläggare).
        NeedsAssessor = "needs_assessor",
    }
}

string_enum! {
    /// Why no key could be issued for a lock.
    NoKeyReason {
        /// The care decision has ended (R2.7): the coordinator contacts the needs assessor.
        DecisionEnded = "decision_ended",
        /// The care decision has not started yet.
        DecisionNotStarted = "decision_not_started",
        /// The brukare has no care decision.
        NoDecision = "no_decision",
        /// The lock has been removed (R1.12); it never gets keys again.
        LockRemoved = "lock_removed",
        /// The lock is commissioned but not installed at any brukare.
        LockNotInstalled = "lock_not_installed",
        /// The device has been revoked.
        DeviceRevoked = "device_revoked",
        /// No visit or shift of this worker covers this lock now or later today.
        NotScheduled = "not_scheduled",
        /// The visit's window (with its margin) is already over.
        WindowPassed = "window_passed",
        /// The caller's role may not have this kind of key.
        NotPermitted = "not_permitted",
        /// No open order for this lock is booked for the technician asking
        /// (install, demonstration, removal and maintenance keys).
        NoOrder = "no_order",
        /// The order is booked for later: its keys are valid from the booked time.
        OrderNotDue = "order_not_due",
    }
}

impl NoKeyReason {
    /// A short English explanation (the app shows its own localized text).
    pub fn explain(self) -> &'static str {
        match self {
            Self::DecisionEnded => {
                "the care decision has ended; the coordinator checks it with the needs assessor (R2.7)"
            }
            Self::DecisionNotStarted => "the care decision has not started yet",
            Self::NoDecision => "the brukare has no care decision",
            Self::LockRemoved => "the lock has been removed",
            Self::LockNotInstalled => "the lock is not installed at any brukare",
            Self::DeviceRevoked => "this device has been revoked",
            Self::NotScheduled => "no visit or shift of yours covers this lock today",
            Self::WindowPassed => "the visit's time window is over",
            Self::NotPermitted => "your role may not have this kind of key",
            Self::NoOrder => "no open order for this lock is booked for you",
            Self::OrderNotDue => "the order is booked for later; its keys start at the booked time",
        }
    }
}

string_enum! {
    /// Kind of shift. Night shifts give keys to every installed lock of the
    /// unit's brukare; day and evening work is keyed by visits.
    ShiftKind {
        /// Day shift (spare keys: the unit's key cabinet, R2.1).
        Day = "day",
        /// Evening shift.
        Evening = "evening",
        /// Night shift (spare keys: the central site, R2.2).
        Night = "night",
    }
}

string_enum! {
    /// Kind of lock.
    LockKind {
        /// The thumb-turn inside the brukare's front door.
        Door = "door",
        /// A building's entrance lock (portlås, R1.4).
        Entrance = "entrance",
    }
}

string_enum! {
    /// What a token allows (protocol `Scope`, PROTOCOL.md §5.4).
    TokenScope {
        /// A visit or shift: unlock and lock.
        Care = "care",
        /// Demonstration to the brukare at installation (R1.9): unlock and
        /// lock while the lock is in installation mode only.
        Demo = "demo",
        /// The alarm group's technician installing or removing: unlock and
        /// lock in installation mode only, finish the installation,
        /// decommission.
        Install = "install",
        /// The alarm group's technician servicing a lock in use (battery
        /// change, repair) within the order's window: unlock and lock, and
        /// the moves between installation and normal mode.
        Maintenance = "maintenance",
    }
}

impl TokenScope {
    /// The protocol's scope.
    pub fn protocol(self) -> nyckelfri_protocol::token::Scope {
        use nyckelfri_protocol::token::Scope;
        match self {
            Self::Care => Scope::Care,
            Self::Demo => Scope::Demo,
            Self::Install => Scope::Install,
            Self::Maintenance => Scope::Maintenance,
        }
    }

    /// From the protocol's scope code.
    pub fn from_code(code: i64) -> Self {
        match code {
            2 => Self::Demo,
            3 => Self::Install,
            4 => Self::Maintenance,
            _ => Self::Care,
        }
    }
}

string_enum! {
    /// Where a lock is in its life.
    LockState {
        /// Registered and given a grant, not yet at a brukare.
        Commissioned = "commissioned",
        /// Installed at a brukare's door.
        Installed = "installed",
        /// Removed (R1.12): no more keys, ever.
        Removed = "removed",
    }
}

string_enum! {
    /// What happened to one uploaded event.
    EventStatus {
        /// Stored now.
        Stored = "stored",
        /// Already stored before (same client event id): nothing changed.
        Duplicate = "duplicate",
        /// Stored as rejected, acting on nothing (the reason says why): no
        /// key for its lock, not the caller's visit, or a receipt that does
        /// not verify. The managers see it; sending it again changes nothing.
        Rejected = "rejected",
    }
}

// ---------------------------------------------------------------- units

/// A unit's settings: what the routines need to tell a worker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct UnitSettings {
    /// The coordinator's phone number (R2.6: the worker calls it).
    #[schema(example = "+46 8 530 610 00")]
    pub coordinator_phone: String,
    /// Where the day spare keys are kept (R2.1).
    #[schema(example = "Nyckelskåpet på enheten, Tumba torg 2")]
    pub day_key_location: String,
    /// The central site for night/alarm keys (R2.2).
    #[schema(example = "Orrens servicehus")]
    pub night_key_location: String,
    /// Local time by which the night patrol must be told of broken locks (R2.12).
    #[schema(example = "17:00")]
    pub night_patrol_deadline: String,
    /// IANA time zone of the unit.
    #[schema(example = "Europe/Stockholm")]
    pub time_zone: String,
    /// When the coordinators' office opens on working days, local `HH:MM`
    /// (default 07:00). The routine's weekend (R2.13) runs from closing on
    /// the last working day before a non-working day to opening on the next.
    #[serde(default = "default_office_opens")]
    #[schema(example = "07:00")]
    pub office_opens: String,
    /// When it closes, local `HH:MM` (default 17:00); after it a worker on
    /// site tells the night patrol at once (R2.12, R2.13).
    #[serde(default = "default_office_closes")]
    #[schema(example = "17:00")]
    pub office_closes: String,
    /// The night patrol's phone number: the worker calls it after hours
    /// and on weekends (R2.12, R2.13).
    #[serde(default)]
    #[schema(example = "+46 8 530 610 99")]
    pub night_patrol_phone: Option<String>,
    /// The unit's own routine for acute key handling (R2.8), as the worker
    /// reads it at the door (Swedish; at most 2000 characters).
    #[serde(default)]
    pub acute_key_routine: Option<String>,
    /// The same in English (the Swedish text is shown when absent).
    #[serde(default)]
    pub acute_key_routine_en: Option<String>,
}

fn default_office_opens() -> String {
    "07:00".into()
}

fn default_office_closes() -> String {
    "17:00".into()
}

impl UnitSettings {
    /// The unit's office hours for the working calendar (checked when set;
    /// 07:00-17:00 should a stored value not parse).
    pub fn office_hours(&self) -> nyckelfri_calendar::OfficeHours {
        nyckelfri_calendar::OfficeHours::parse(&self.office_opens, &self.office_closes)
            .unwrap_or(nyckelfri_calendar::OfficeHours::STANDARD)
    }

    /// The unit's acute key routine in `english` or Swedish, if it has one.
    pub fn acute_key_routine_in(&self, english: bool) -> Option<&str> {
        let en = self
            .acute_key_routine_en
            .as_deref()
            .filter(|t| !t.trim().is_empty());
        let sv = self
            .acute_key_routine
            .as_deref()
            .filter(|t| !t.trim().is_empty());
        if english { en.or(sv) } else { sv.or(en) }
    }
}

/// Create a unit.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct CreateUnit {
    /// The unit's id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its settings.
    pub settings: UnitSettings,
}

/// A home care unit.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Unit {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Settings.
    pub settings: UnitSettings,
}

// ---------------------------------------------------------------- staff

/// Create a staff member.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct CreateStaff {
    /// Id (made by the server when left out).
    pub id: Option<String>,
    /// The unit the person works in.
    pub unit_id: String,
    /// Name as colleagues see it.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Other units this person serves besides their own (needs assessors,
    /// the alarm group, the night patrol and its coordinator serve several).
    #[serde(default)]
    pub serves_unit_ids: Option<Vec<String>>,
    /// Temporary staff: when the account ends (sessions, enrollment codes
    /// and keys stop then).
    #[serde(default)]
    pub ends_at: Option<i64>,
}

/// Change a staff member: only what is given changes. Role, unit and units
/// served follow the granting rule (AUTHORIZATION.md); any change of them,
/// or an earlier end, revokes the person's keys that outlive it.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct UpdateStaff {
    /// New name.
    pub name: Option<String>,
    /// New role.
    pub role: Option<Role>,
    /// New unit.
    pub unit_id: Option<String>,
    /// The other units served, replacing the list.
    pub serves_unit_ids: Option<Vec<String>>,
    /// When the account ends; `null` removes the end date.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>)]
    pub ends_at: Option<Option<i64>>,
}

/// A present `null` is `Some(None)`; an absent field is `None`.
fn double_option<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<i64>>, D::Error> {
    Option::<i64>::deserialize(d).map(Some)
}

/// A changed staff member.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct StaffChange {
    /// The staff member now.
    pub staff: Staff,
    /// Their keys that were revoked (a new role, unit or end date).
    pub tokens_revoked: u64,
}

/// A staff member.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Staff {
    /// Id.
    pub id: String,
    /// Unit.
    pub unit_id: String,
    /// Name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Other units this person serves besides `unit_id` (sorted). A staff
    /// member serves their own unit and these.
    #[serde(default)]
    pub serves_unit_ids: Vec<String>,
    /// When the account ends (temporary staff); absent: no end.
    #[serde(default)]
    pub ends_at: Option<i64>,
}

impl Staff {
    /// Every unit this person serves: their own, then the others.
    pub fn served_units(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.unit_id.as_str()).chain(
            self.serves_unit_ids
                .iter()
                .map(String::as_str)
                .filter(move |u| *u != self.unit_id),
        )
    }

    /// Whether this person serves `unit_id`.
    pub fn serves(&self, unit_id: &str) -> bool {
        self.served_units().any(|u| u == unit_id)
    }

    /// Whether the account has ended at `now`.
    pub fn ended(&self, now: i64) -> bool {
        self.ends_at.is_some_and(|e| e <= now)
    }
}

/// A one-time enrollment code for a staff member's new phone.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EnrollmentCode {
    /// Whose.
    pub staff_id: String,
    /// The code (shown once; only its hash is stored).
    #[schema(example = "K7QM-2XPD-9FRA")]
    pub code: String,
    /// Valid until.
    pub expires_at: i64,
}

// ---------------------------------------------------------------- devices

/// Register a device key with a one-time code.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct EnrollRequest {
    /// The one-time code (dashes and case do not matter).
    pub code: String,
    /// The device's P-256 public key, 65-byte uncompressed SEC1, hex or base64.
    pub public_key: String,
    /// A label for the device, e.g. the phone model.
    pub label: Option<String>,
}

/// The enrolled device.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EnrollResponse {
    /// The device's id (used to authenticate).
    pub device_id: String,
    /// Whose device it is.
    pub staff: Staff,
}

/// Ask for a challenge to sign.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ChallengeRequest {
    /// The device's id.
    pub device_id: String,
}

/// A challenge. The device signs, with ES256 and its enrolled key, the
/// bytes `"nyckelfri/session/v1"` (ASCII), one zero byte, then the 32
/// challenge bytes.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ChallengeResponse {
    /// Id to send back with the signature.
    pub challenge_id: String,
    /// 32 random bytes, base64.
    pub challenge: String,
    /// Answer before this time.
    pub expires_at: i64,
    /// The domain string that starts the signed bytes.
    #[schema(example = "nyckelfri/session/v1")]
    pub domain: String,
}

/// The signed challenge.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct SessionRequest {
    /// The challenge's id.
    pub challenge_id: String,
    /// ES256 signature `r || s` (64 bytes), hex or base64.
    pub signature: String,
}

/// A short-lived session.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SessionResponse {
    /// Bearer token for `Authorization: Bearer ...`.
    pub session_token: String,
    /// Valid until.
    pub expires_at: i64,
    /// The device.
    pub device_id: String,
    /// Whose device.
    pub staff: Staff,
}

/// An enrolled device.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Device {
    /// Id.
    pub id: String,
    /// Whose.
    pub staff_id: String,
    /// Label.
    pub label: String,
    /// Public key, hex SEC1.
    pub public_key: String,
    /// When enrolled.
    pub enrolled_at: i64,
    /// When revoked, if it was.
    pub revoked_at: Option<i64>,
}

/// What revoking a device did.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RevokeDeviceResponse {
    /// The device.
    pub device_id: String,
    /// When it was revoked.
    pub revoked_at: i64,
    /// How many of its unexpired tokens went on the revocation list.
    pub tokens_revoked: u64,
    /// The revision of the revocation lists now (rises with every change;
    /// each lock's list has its own epoch).
    pub revocation_epoch: i64,
    /// Always 0: a lock whose revoked tokens do not fit its list revokes by
    /// issue time instead (`revoked_before`), so nothing is dropped.
    pub entries_dropped: u64,
}

/// Who is calling.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Me {
    /// The staff member (absent for the admin token).
    pub staff: Option<Staff>,
    /// The device (absent for the admin token).
    pub device_id: Option<String>,
    /// Whether this is the admin token.
    pub admin: bool,
}

// ---------------------------------------------------------------- brukare

/// Create a brukare. Only what a worker needs at the door: no personal
/// identity number, no health data.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct CreateBrukare {
    /// Id (made by the server when left out).
    pub id: Option<String>,
    /// Unit.
    pub unit_id: String,
    /// Name as shown to the worker, e.g. "Astrid B.".
    pub display_name: String,
    /// Street address with floor/entrance.
    pub address: String,
    /// How to get in: door code, floor, where the lock sits.
    pub entry_notes: Option<String>,
}

/// A brukare (care recipient).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Brukare {
    /// Id.
    pub id: String,
    /// Unit.
    pub unit_id: String,
    /// Display name.
    pub display_name: String,
    /// Address.
    pub address: String,
    /// Entry notes.
    pub entry_notes: String,
}

// ---------------------------------------------------------------- decisions

/// Create a care decision.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct CreateDecision {
    /// Id (made by the server when left out).
    pub id: Option<String>,
    /// Whose.
    pub brukare_id: String,
    /// Valid from.
    pub starts_at: i64,
    /// Valid until (no key is ever valid after this).
    pub ends_at: i64,
}

/// Change a decision's end (end it early, or extend it).
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct UpdateDecision {
    /// New end.
    pub ends_at: i64,
}

/// A care decision.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Decision {
    /// Id.
    pub id: String,
    /// Whose.
    pub brukare_id: String,
    /// Valid from.
    pub starts_at: i64,
    /// Valid until.
    pub ends_at: i64,
    /// Whether it is valid now (R2.7: the coordinator's check).
    pub valid_now: bool,
}

/// A changed decision.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UpdateDecisionResponse {
    /// The decision now.
    pub decision: Decision,
    /// Tokens that outlived the new end and were revoked.
    pub tokens_revoked: u64,
    /// The revision of the revocation lists now (each lock's list has its
    /// own epoch).
    pub revocation_epoch: i64,
}

// ---------------------------------------------------------------- visits and shifts

/// Schedule a visit.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct CreateVisit {
    /// Id (made by the server when left out).
    pub id: Option<String>,
    /// Whom.
    pub brukare_id: String,
    /// The decision the visit delivers.
    pub decision_id: String,
    /// Who goes.
    pub staff_id: String,
    /// Planned start.
    pub starts_at: i64,
    /// Planned end.
    pub ends_at: i64,
    /// The care service (insats), e.g. "Morning help".
    pub service: Option<String>,
}

/// A scheduled visit.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Visit {
    /// Id.
    pub id: String,
    /// Whom.
    pub brukare_id: String,
    /// Decision.
    pub decision_id: String,
    /// Who goes.
    pub staff_id: String,
    /// Start.
    pub starts_at: i64,
    /// End.
    pub ends_at: i64,
    /// Service.
    pub service: String,
    /// Whether it was cancelled.
    pub cancelled: bool,
}

/// Filter for visits.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VisitQuery {
    /// Only this worker's.
    pub staff_id: Option<String>,
    /// Only this brukare's.
    pub brukare_id: Option<String>,
    /// Only visits ending after this time.
    pub from: Option<i64>,
    /// Only visits starting before this time.
    pub to: Option<i64>,
}

/// Put a worker on a shift.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct CreateShift {
    /// Id (made by the server when left out).
    pub id: Option<String>,
    /// The unit whose brukare the shift covers.
    pub unit_id: String,
    /// Who.
    pub staff_id: String,
    /// Day, evening or night.
    pub kind: ShiftKind,
    /// Start.
    pub starts_at: i64,
    /// End.
    pub ends_at: i64,
}

/// A shift.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Shift {
    /// Id.
    pub id: String,
    /// Unit.
    pub unit_id: String,
    /// Who.
    pub staff_id: String,
    /// Kind.
    pub kind: ShiftKind,
    /// Start.
    pub starts_at: i64,
    /// End.
    pub ends_at: i64,
}

/// Filter for shifts.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ShiftQuery {
    /// Only this worker's.
    pub staff_id: Option<String>,
    /// Only this unit's.
    pub unit_id: Option<String>,
    /// Only shifts ending after this time.
    pub from: Option<i64>,
    /// Only shifts starting before this time.
    pub to: Option<i64>,
}

// ---------------------------------------------------------------- locks

/// Register (commission) a lock: R1.6, R1.9.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct RegisterLock {
    /// The id the lock will take (1..=64 of A-Z a-z 0-9 . _ : -).
    pub lock_id: String,
    /// The lock's P-256 public key from its Hello, hex or base64 SEC1.
    pub public_key: String,
    /// Door (default) or entrance.
    pub kind: Option<LockKind>,
    /// The open installation order (new brukare, existing brukare or
    /// entrance, status open or scheduled) the lock is for: grants are
    /// issued only for a lock key on one.
    pub order_id: String,
}

/// A registered lock and the grant that commissions it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RegisterLockResponse {
    /// The lock.
    pub lock: Lock,
    /// The issuer-signed `CommissionGrant`, base64: the technician's app
    /// passes it to the lock.
    pub grant: String,
    /// The grant is refused by the lock after this time.
    pub grant_expires: i64,
}

/// Install a lock at a brukare's door.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct InstallLock {
    /// Whose door.
    pub brukare_id: String,
}

/// A lock.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Lock {
    /// Id (the token audience).
    pub id: String,
    /// Public key, hex SEC1 (verifies the lock's receipts).
    pub public_key: String,
    /// Kind.
    pub kind: LockKind,
    /// The brukare whose door it is on.
    pub brukare_id: Option<String>,
    /// State.
    pub state: LockState,
    /// When registered.
    pub commissioned_at: i64,
    /// When installed.
    pub installed_at: Option<i64>,
    /// When removed.
    pub removed_at: Option<i64>,
    /// R1.9: the brukare's verified receipt it went into service with
    /// (absent for a lock the admin registered as already installed).
    #[serde(default)]
    pub receipt_id: Option<String>,
}

/// Filter for locks.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LockQuery {
    /// Only this brukare's.
    pub brukare_id: Option<String>,
}

string_enum! {
    /// How the brukare confirmed an installation (R1.9).
    ReceiptConsent {
        /// Signed the receipt and agreement on the technician's screen.
        Signed = "signed",
        /// Could not sign: a second person (not the technician) confirmed,
        /// with the reason.
        Confirmed = "confirmed",
    }
}

/// R1.9: the brukare's receipt and responsibility agreement, as the
/// technician's phone made and signed it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct UploadReceipt {
    /// The signed content: canonical JSON with `domain`
    /// (`nyckelfri/installation-receipt/v1`), `receipt_id`, `lock_id`,
    /// `brukare_id`, `brukare_name`, `agreement_version`,
    /// `agreement_language` (`sv`, `en`), `agreement_sha256` (of the
    /// agreement's text), `signed_at`, `technician_device_key` (hex SEC1,
    /// the uploading device's) and `consent`: `{"kind": "signed",
    /// "strokes": [[[x, y], …], …]}` or `{"kind": "confirmed",
    /// "witnessed_by": "<a second person, not the technician>", "reason":
    /// "<why the brukare could not sign>"}`.
    pub content_json: String,
    /// SHA-256 of `content_json`'s bytes, hex.
    pub content_sha256: String,
    /// ES256 signature (`r || s`, hex) of `content_json`'s bytes by the
    /// uploading device's enrolled key.
    pub device_signature: String,
}

/// A receipt the server verified (R1.9).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct InstallationReceiptInfo {
    /// The receipt's id (from its content).
    pub id: String,
    /// The lock.
    pub lock_id: String,
    /// The brukare.
    pub brukare_id: String,
    /// The installation order it is linked to.
    pub order_id: Option<String>,
    /// SHA-256 of its content, hex.
    pub content_sha256: String,
    /// The technician.
    pub staff_id: String,
    /// Their device that signed it.
    pub device_id: String,
    /// Signed, or confirmed by a second person.
    pub consent: ReceiptConsent,
    /// The second person, when the brukare could not sign.
    pub witnessed_by: Option<String>,
    /// Why the brukare could not sign.
    pub witness_reason: Option<String>,
    /// When signed (the phone's trusted time).
    pub signed_at: i64,
    /// When the server verified it.
    pub verified_at: i64,
}

// ---------------------------------------------------------------- tokens and bundle

/// Ask for one token now.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct TokenRequest {
    /// Which lock.
    pub lock_id: String,
    /// Care (default; needs a visit or shift), or demo, install or
    /// maintenance (alarm technicians: needs an open order booked for them).
    pub scope: Option<TokenScope>,
    /// The order the key is for (demo, install, maintenance); when left
    /// out, the open order booked for the caller that fits the lock.
    pub order_id: Option<String>,
}

/// An access token (a CWT in COSE_Sign1, signed by the issuer).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct IssuedToken {
    /// The token bytes, base64: what the app sends to the lock.
    pub token: String,
    /// Token id (cti), hex.
    pub token_id: String,
    /// The lock (aud).
    pub lock_id: String,
    /// Scope.
    pub scope: TokenScope,
    /// Not valid before.
    pub not_before: i64,
    /// Not valid from.
    pub expires: i64,
    /// The care decision.
    pub decision_id: String,
    /// The decision's end (expires is never later).
    pub decision_end: i64,
    /// The visit it is for.
    pub visit_id: Option<String>,
    /// The shift it is for.
    pub shift_id: Option<String>,
    /// The lowest epoch of the lock's revocation list the lock must hold to
    /// accept the token.
    pub min_epoch: u64,
    /// That list (signed, base64), when the token needs one: the app carries
    /// it to the lock. Given with a single token; a bundle has the lists of
    /// its locks in `revocation_lists`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revocation_list: Option<String>,
}

/// A lock for which no key could be issued, and why.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct NoKey {
    /// The lock.
    pub lock_id: String,
    /// Whose door.
    pub brukare_id: Option<String>,
    /// The visit that wanted it.
    pub visit_id: Option<String>,
    /// The shift that wanted it.
    pub shift_id: Option<String>,
    /// Why (stable code).
    pub reason: NoKeyReason,
    /// Why (English).
    pub message: String,
}

/// The issuer's public key.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct IssuerInfo {
    /// P-256 public key, hex SEC1 (65 bytes).
    pub public_key: String,
    /// Key id: first 8 bytes of SHA-256 of the key, hex (the COSE `kid`).
    pub key_id: String,
    /// Always `ES256`.
    pub algorithm: String,
}

/// Which lock's revocation list.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RevocationQuery {
    /// The lock.
    pub lock_id: String,
}

/// A lock's current signed revocation list under the issuer key.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RevocationInfo {
    /// The lock it is for.
    pub lock_id: String,
    /// The issuer key's id, hex.
    pub key_id: String,
    /// Rising epoch, per lock and issuer key.
    pub epoch: i64,
    /// When signed.
    pub issued_at: i64,
    /// Every token for the lock issued before this time is revoked (0: none).
    pub revoked_before: i64,
    /// Revoked token ids in it.
    pub entries: u64,
    /// The signed list (COSE_Sign1), base64: the app carries it to the lock.
    pub list: String,
}

/// Which day's bundle.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BundleQuery {
    /// Local date `YYYY-MM-DD` in the worker's unit; today when left out.
    pub date: Option<String>,
}

/// What a worker sees of a brukare.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BrukareCard {
    /// Id.
    pub id: String,
    /// Display name.
    pub display_name: String,
    /// Address.
    pub address: String,
    /// How to get in.
    pub entry_notes: String,
}

/// A visit in the bundle.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BundleVisit {
    /// Id.
    pub id: String,
    /// Start.
    pub starts_at: i64,
    /// End.
    pub ends_at: i64,
    /// Service.
    pub service: String,
    /// The decision it delivers.
    pub decision_id: String,
    /// Whom.
    pub brukare: BrukareCard,
    /// The brukare's installed locks (door and entrance).
    pub lock_ids: Vec<String>,
}

/// A lock in the bundle.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BundleLock {
    /// Id.
    pub id: String,
    /// Public key, hex SEC1 (verifies receipts).
    pub public_key: String,
    /// Kind.
    pub kind: LockKind,
    /// Whose door.
    pub brukare_id: Option<String>,
    /// State.
    pub state: LockState,
}

/// Everything a worker's phone needs for a day, offline.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Bundle {
    /// Server time, Unix seconds (anchor for the app's trusted time).
    pub server_time: i64,
    /// The local date covered.
    pub date: String,
    /// `[day_start, day_end)` of that date in UTC.
    pub day_start: i64,
    /// End of the day.
    pub day_end: i64,
    /// The worker.
    pub staff: Staff,
    /// The device the tokens are bound to.
    pub device_id: String,
    /// The worker's unit and its settings.
    pub unit: Unit,
    /// R2.12: that day's night-patrol deadline as an instant.
    pub night_patrol_deadline_at: i64,
    /// The issuer key the locks trust.
    pub issuer: IssuerInfo,
    /// The day's visits, by start.
    pub visits: Vec<BundleVisit>,
    /// The day's shifts.
    pub shifts: Vec<Shift>,
    /// Every lock the visits and shifts touch.
    pub locks: Vec<BundleLock>,
    /// One token per visit window (or shift) and lock.
    pub tokens: Vec<IssuedToken>,
    /// Locks for which no key could be issued, and why.
    pub no_key: Vec<NoKey>,
    /// The signed revocation list of each of the day's locks that has one:
    /// the phone carries it to the lock, and its tokens may require it.
    pub revocation_lists: Vec<RevocationInfo>,
}

// ---------------------------------------------------------------- events

/// One event from the app's outbox.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct EventIn {
    /// Client-made id, unique across all devices (e.g. a UUID): the
    /// idempotency key.
    pub id: String,
    /// What happened, e.g. `unlock`, `unlock_failed`, `outage_report`
    /// (R2.9: `data` is an `OutageReportData` and opens or updates an
    /// outage case), `spare_key_used` (R2.8). Lowercase letters, digits,
    /// `_` and `.`.
    pub kind: String,
    /// When, by the app's trusted time.
    pub occurred_at: i64,
    /// The lock concerned.
    pub lock_id: Option<String>,
    /// The visit concerned.
    pub visit_id: Option<String>,
    /// The routine step it documents, e.g. `R2.9`.
    pub routine_step: Option<String>,
    /// The lock's signed receipt, base64 (at most 1024 bytes).
    pub receipt: Option<String>,
    /// Anything else, a JSON object (at most 8 KiB serialized).
    #[schema(value_type = Option<Object>)]
    pub data: Option<serde_json::Value>,
}

/// A batch of events.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct EventBatch {
    /// 1 to 500 events.
    pub events: Vec<EventIn>,
}

/// What happened to one event.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EventResult {
    /// The client's id.
    pub id: String,
    /// Stored now, a duplicate of one stored before, or stored as rejected.
    pub status: EventStatus,
    /// For `rejected`: why (`not_your_visit`, `unknown_visit`,
    /// `unknown_lock`, `no_key_for_lock`, `lock_not_in_your_units`,
    /// `brukare_not_in_your_units`, `receipt_missing`, `receipt_invalid`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The batch's outcome. Every event is accounted for; a retry of the same
/// batch answers the same with `duplicate`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EventBatchResponse {
    /// One per event, in order.
    pub results: Vec<EventResult>,
    /// How many were new and accepted.
    pub stored: u64,
    /// How many were already stored.
    pub duplicates: u64,
    /// How many were new and stored as rejected.
    #[serde(default)]
    pub rejected: u64,
}

/// An event as the managers see it (no `data`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct StoredEvent {
    /// The client's id.
    pub id: String,
    /// Kind.
    pub kind: String,
    /// The device.
    pub device_id: String,
    /// Its owner.
    pub staff_id: String,
    /// The unit it concerns (the lock's or visit's brukare's, else the sender's).
    pub unit_id: Option<String>,
    /// When, by the app.
    pub occurred_at: i64,
    /// When the server got it.
    pub received_at: i64,
    /// The lock.
    pub lock_id: Option<String>,
    /// The visit.
    pub visit_id: Option<String>,
    /// The routine step.
    pub routine_step: Option<String>,
    /// `accepted` or `rejected`.
    pub status: String,
    /// Why rejected.
    pub reject_reason: Option<String>,
    /// The lock's receipt verified against its registered key.
    pub receipt_verified: bool,
}

/// Filter for events.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventQuery {
    /// `rejected`, `accepted`, or both (left out).
    pub status: Option<String>,
    /// Only this unit's (within the units the caller serves).
    pub unit_id: Option<String>,
    /// Only this kind.
    pub kind: Option<String>,
    /// At most this many, newest first (default 200, max 1000).
    pub limit: Option<i64>,
}

// ---------------------------------------------------------------- messages

/// Send a message to a role's inbox (the routines' case-system messages).
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct SendMessage {
    /// Client-made id for a safe retry (made by the server when left out).
    pub id: Option<String>,
    /// Which role's inbox.
    pub to_role: Role,
    /// Which unit's (the sender's unit when left out; `"*"` for all units).
    pub unit_id: Option<String>,
    /// Subject.
    pub subject: String,
    /// Text.
    pub body: String,
    /// The routine step, e.g. `R2.12`.
    pub routine_step: Option<String>,
    /// The brukare concerned.
    pub brukare_id: Option<String>,
    /// The lock concerned.
    pub lock_id: Option<String>,
}

/// A message in a role's inbox.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Message {
    /// Id.
    pub id: String,
    /// Role.
    pub to_role: Role,
    /// Unit (absent: all units).
    pub unit_id: Option<String>,
    /// Sender (absent: the server or the admin).
    pub from_staff_id: Option<String>,
    /// Sender's role.
    pub from_role: Option<Role>,
    /// Routine step.
    pub routine_step: Option<String>,
    /// Subject.
    pub subject: String,
    /// Text.
    pub body: String,
    /// Brukare.
    pub brukare_id: Option<String>,
    /// Lock.
    pub lock_id: Option<String>,
    /// When sent.
    pub created_at: i64,
    /// R2.12: the night-patrol deadline that applied (messages to the night patrol).
    pub deadline_at: Option<i64>,
    /// R2.12: whether it was sent after that deadline.
    pub after_deadline: Option<bool>,
    /// R2.11, R2.13: for the alarm group, when they take the case (the next
    /// office opening, 07:00 on a working day); absent when at once.
    pub handle_from: Option<i64>,
    /// The outage case the message is about.
    pub outage_id: Option<String>,
    /// Whether the caller has marked it read.
    pub read: bool,
    /// Who it reached when it was sent: the staff of its role serving its
    /// unit then (their own unit, or one they serve besides it).
    #[serde(default)]
    pub recipients: Vec<String>,
}

/// The sent message.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SendMessageResponse {
    /// Stored now, or a duplicate of an earlier send with the same id.
    pub status: EventStatus,
    /// The message.
    pub message: Message,
}

/// Inbox paging.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InboxQuery {
    /// Only messages sent at or after this time.
    pub since: Option<i64>,
    /// At most this many (default 100, max 500).
    pub limit: Option<i64>,
    /// The caller's own role (another role is refused).
    pub role: Option<Role>,
    /// Only this one of the units the caller serves.
    pub unit_id: Option<String>,
}

// ---------------------------------------------------------------- outages (R2)

string_enum! {
    /// Whether an outage case is open.
    OutageStatus {
        /// The lock does not work (R2.6-R2.9).
        Open = "open",
        /// The coordinator documented that it works again (R2.10).
        Closed = "closed",
    }
}

string_enum! {
    /// Which outage cases to list.
    OutageFilter {
        /// Open cases (the default).
        Open = "open",
        /// Closed cases.
        Closed = "closed",
        /// Both.
        All = "all",
    }
}

string_enum! {
    /// R2.7: the brukare's care decision, checked now.
    DecisionValidity {
        /// Valid now and after today.
        Valid = "valid",
        /// Valid now, ends before today ends (local time).
        EndsToday = "ends_today",
        /// Has ended: the lock cannot be opened; contact the needs assessor.
        Ended = "ended",
        /// Not started yet.
        NotStarted = "not_started",
        /// The brukare has no care decision: contact the needs assessor.
        NoDecision = "no_decision",
        /// The case names no brukare (the lock was not identified).
        UnknownBrukare = "unknown_brukare",
    }
}

string_enum! {
    /// Kind of deviation report (avvikelse).
    DeviationKind {
        /// One outage case: the worker reports it (R2.15).
        Minor = "minor",
        /// A major outage (R2.3): the head of operations reports it (R2.16).
        Major = "major",
    }
}

string_enum! {
    /// Where a deviation report is.
    DeviationStatus {
        /// Expected and not yet written.
        Expected = "expected",
        /// Written in the deviation system.
        Reported = "reported",
    }
}

/// One routine step of a worker's report and when it was done.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReportStep {
    /// The routine step, e.g. `R2.6`.
    pub id: String,
    /// When it was done (absent or null: not yet).
    #[serde(default)]
    pub done_at: Option<i64>,
}

/// The `data` of an event of kind `outage_report` (R2.9): the worker's
/// report of a lock that does not work. Each revision of a report is its
/// own event (its own event id) with the same `report_id`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct OutageReportData {
    /// The report's id, made by the app (1-64 of `A-Z a-z 0-9 . _ : -`):
    /// revisions update the report; the case opened by it has this id.
    pub report_id: String,
    /// The lock, or null when the worker could not identify it.
    #[serde(default)]
    pub lock_id: Option<String>,
    /// The brukare, if known.
    #[serde(default)]
    pub brukare_id: Option<String>,
    /// The visit, if any.
    #[serde(default)]
    pub visit_id: Option<String>,
    /// What failed: `lock_not_found`, `link_lost`, `jammed`,
    /// `refused:wrong_lock` (any `refused:<code>`), `decision_ended`,
    /// `app_failure`, `manual`, … (1-64 of `a-z 0-9 _ . : -`).
    #[schema(example = "jammed")]
    pub cause: String,
    /// When the lock failed (the event's `occurred_at` when left out).
    #[serde(default)]
    pub occurred_at: Option<i64>,
    /// The routine steps shown to the worker and when each was done.
    #[serde(default)]
    pub steps: Vec<ReportStep>,
    /// R2.13: the app's calendar says weekend or public holiday.
    #[serde(default)]
    pub weekend_or_holiday: bool,
    /// R2.2: it happened at night.
    #[serde(default)]
    pub night: bool,
}

/// R2.7: the brukare's care decision as checked now.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DecisionCheck {
    /// Valid, ends today, ended, …
    pub status: DecisionValidity,
    /// The decision that decides it (absent: none).
    pub decision_id: Option<String>,
    /// Its start.
    pub starts_at: Option<i64>,
    /// Its end.
    pub ends_at: Option<i64>,
    /// When checked (now).
    pub checked_at: i64,
}

/// A worker's report attached to a case.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OutageReport {
    /// The app's report id.
    pub report_id: String,
    /// The latest event that carried it.
    pub event_id: String,
    /// Who reported.
    pub staff_id: String,
    /// The lock named (may be absent).
    pub lock_id: Option<String>,
    /// The brukare named.
    pub brukare_id: Option<String>,
    /// The visit named.
    pub visit_id: Option<String>,
    /// What failed.
    pub cause: String,
    /// When it failed.
    pub occurred_at: i64,
    /// When the server first got it.
    pub received_at: i64,
    /// When the server last updated it.
    pub updated_at: i64,
    /// R2.13 as the app said.
    pub weekend_or_holiday: bool,
    /// Night, as the app said.
    pub night: bool,
    /// Routine steps and when done.
    pub steps: Vec<ReportStep>,
}

/// An outage case: one lock out of order (R2.6-R2.16).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Outage {
    /// The case id: the report id of the report that opened it.
    pub id: String,
    /// The unit (the brukare's).
    pub unit_id: String,
    /// Open or closed.
    pub status: OutageStatus,
    /// The lock (absent when not identified).
    pub lock_id: Option<String>,
    /// The brukare.
    pub brukare_id: Option<String>,
    /// The brukare's display name.
    pub brukare_display_name: Option<String>,
    /// The visit.
    pub visit_id: Option<String>,
    /// What failed (the opening report's cause).
    pub cause: String,
    /// When the lock failed (the first report's time).
    pub opened_at: i64,
    /// When the server got the first report.
    pub reported_at: i64,
    /// Who reported first.
    pub reported_by: String,
    /// R2.13: reported on a weekend or holiday.
    pub weekend_or_holiday: bool,
    /// Reported at night.
    pub night: bool,
    /// R2.7: the care decision now.
    pub decision: DecisionCheck,
    /// R2.7: the decision has ended (or there is none): the coordinator
    /// contacts the needs assessor (`POST /v1/outages/{id}/needs-assessor`).
    pub contact_needs_assessor: bool,
    /// R2.7: when the needs assessor was messaged.
    pub needs_assessor_messaged_at: Option<i64>,
    /// R2.7: by whom.
    pub needs_assessor_messaged_by: Option<String>,
    /// R2.11, R2.13: when the alarm group was informed.
    pub alarm_group_informed_at: Option<i64>,
    /// By whom.
    pub alarm_group_informed_by: Option<String>,
    /// R2.13: from when the alarm group takes the case (absent: at once).
    pub alarm_group_handle_from: Option<i64>,
    /// R2.12: by when the night patrol must be told: the unit's deadline
    /// (17:00 local) on the day the case opened, or the opening time for a
    /// case opened after it (due at once).
    pub night_patrol_deadline_at: i64,
    /// R2.12, R2.13: when the night patrol was messaged.
    pub night_patrol_messaged_at: Option<i64>,
    /// By whom (absent: by the server itself, after the deadline).
    pub night_patrol_messaged_by: Option<String>,
    /// R2.12, R2.13: the message that told them.
    pub night_patrol_message_id: Option<String>,
    /// R2.12, R2.13: who was told: the night patrol serving the unit when
    /// the message was sent (staff ids).
    pub night_patrol_told: Vec<String>,
    /// R2.12: open, not messaged, and now is past the deadline.
    pub night_patrol_overdue: bool,
    /// R2.10: when the lock worked again.
    pub working_at: Option<i64>,
    /// R2.10: when that was documented.
    pub closed_at: Option<i64>,
    /// R2.10: by whom.
    pub closed_by: Option<String>,
    /// R2.10: the coordinator's note.
    pub close_note: Option<String>,
    /// R2.10: when the alarm group reported the lock repaired.
    pub repaired_at: Option<i64>,
    /// By whom.
    pub repaired_by: Option<String>,
    /// Their note.
    pub repair_note: Option<String>,
    /// R2.3, R2.14: the major outage this case is part of.
    pub major_outage_id: Option<String>,
    /// R2.15, R2.16: the deviation reports expected for this case.
    pub deviation_ids: Vec<String>,
    /// The workers' reports, first first.
    pub reports: Vec<OutageReport>,
}

/// Filter for outage cases.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OutageQuery {
    /// `open` (default), `closed` or `all`.
    pub status: Option<OutageFilter>,
    /// Only this unit's (coordinators and unit managers: their own, the default).
    pub unit_id: Option<String>,
    /// At most this many, newest first (default 200, max 1000).
    pub limit: Option<i64>,
}

/// R2.10: the lock works again.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct MarkWorking {
    /// When it worked again (now when left out; not before the case opened, not in the future).
    pub working_at: Option<i64>,
    /// A note (at most 2000 characters).
    pub note: Option<String>,
}

/// A message about a case (R2.7, R2.11, R2.12).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct OutageMessageRequest {
    /// Client-made message id for a safe retry (made by the server when left out).
    pub id: Option<String>,
    /// Added to the message the server writes (at most 2000 characters).
    pub note: Option<String>,
}

/// The message sent and the case after it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OutageMessageResponse {
    /// Stored now, or a duplicate of an earlier send with the same id.
    pub status: EventStatus,
    /// The message.
    pub message: Message,
    /// The case.
    pub outage: Outage,
}

/// An expected or written deviation report (R2.5, R2.15, R2.16).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Deviation {
    /// Id.
    pub id: String,
    /// Minor (one case, the worker) or major (a major outage, the head of operations).
    pub kind: DeviationKind,
    /// The unit.
    pub unit_id: String,
    /// The major outage, for a major deviation (R2.16).
    pub major_outage_id: Option<String>,
    /// The outage cases it covers.
    pub outage_ids: Vec<String>,
    /// Who writes it.
    pub assigned_role: Role,
    /// The staff member, when known.
    pub assigned_to: Option<String>,
    /// When it became expected.
    pub created_at: i64,
    /// Expected or reported.
    pub status: DeviationStatus,
    /// When it was written.
    pub reported_at: Option<i64>,
    /// By whom.
    pub reported_by: Option<String>,
}

/// Filter for deviations.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeviationQuery {
    /// Only this status.
    pub status: Option<DeviationStatus>,
    /// Only this kind.
    pub kind: Option<DeviationKind>,
    /// Only this unit's (coordinators and unit managers: their own, the default).
    pub unit_id: Option<String>,
}

/// The deviation report has been written.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct MarkDeviationReported {
    /// When (now when left out; not in the future).
    pub reported_at: Option<i64>,
}

// ---------------------------------------------------------------- major outages (R2.3, R2.4, R2.14, R2.16)

string_enum! {
    /// Whether a major outage is going on.
    MajorOutageStatus {
        /// Declared by the alarm group; everyone is kept updated (R2.4).
        Open = "open",
        /// The locks work again; everyone was told (R2.14).
        Ended = "ended",
    }
}

string_enum! {
    /// What a major outage's notice says.
    MajorOutageNoticeKind {
        /// It started (R2.3, R2.4).
        Start = "start",
        /// An update (R2.4: "uppdaterar alla kontinuerligt").
        Update = "update",
        /// The locks work again (R2.14).
        End = "end",
    }
}

string_enum! {
    /// Where a suggestion of a major outage is.
    SuggestionStatus {
        /// Waiting for the alarm group.
        Open = "open",
        /// The alarm group declared the major outage.
        Declared = "declared",
        /// The alarm group judged it not a major outage.
        Dismissed = "dismissed",
    }
}

/// One notice of a major outage: its start, an update, or its end, as the
/// inboxes and the emails said it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MajorOutageNotice {
    /// Id.
    pub id: String,
    /// Start, update or end.
    pub kind: MajorOutageNoticeKind,
    /// The alarm group's text.
    pub text: String,
    /// When.
    pub created_at: i64,
    /// By whom (absent: the admin token).
    pub created_by: Option<String>,
    /// Emails sent for it.
    pub emails_sent: u64,
    /// Emails still waiting for the relay (or failing).
    pub emails_pending: u64,
}

/// A major outage (R2.3): many or all locks out of order, the
/// municipality's, declared and ended by the alarm group.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MajorOutage {
    /// Id.
    pub id: String,
    /// Open or ended.
    pub status: MajorOutageStatus,
    /// What is known, in the alarm group's words (no brukare's data).
    pub summary: String,
    /// When declared.
    pub declared_at: i64,
    /// By whom (absent: the admin token).
    pub declared_by: Option<String>,
    /// The suggestion it was declared from, if any.
    pub suggestion_id: Option<String>,
    /// When the locks worked again.
    pub ended_at: Option<i64>,
    /// Who ended it.
    pub ended_by: Option<String>,
    /// The outage cases that are part of it.
    pub outage_ids: Vec<String>,
    /// Distinct locks among them.
    pub locks: u64,
    /// The units they are in.
    pub unit_ids: Vec<String>,
    /// R2.16: the head of operations' deviation report.
    pub deviation_id: Option<String>,
    /// Start, updates and end, first first.
    pub notices: Vec<MajorOutageNotice>,
}

/// R2.3: the alarm group declares a major outage.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct DeclareMajorOutage {
    /// Client-made id for a safe retry (made by the server when left out).
    pub id: Option<String>,
    /// What is known: what is down, since when, what is being done. Goes
    /// into the inboxes and the emails: no brukare's name, address or door
    /// code (refused, 400). At most 2000 characters.
    pub summary: String,
    /// The suggestion it is declared from, if any.
    pub suggestion_id: Option<String>,
}

/// R2.4: an update to everyone; R2.14: the end.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct MajorOutageNoticeRequest {
    /// Client-made id for a safe retry (made by the server when left out).
    pub id: Option<String>,
    /// The text (as for the summary: no brukare's data; at most 2000 characters).
    pub text: Option<String>,
}

/// Filter for major outages.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MajorOutageQuery {
    /// `open` or `ended`; all when left out.
    pub status: Option<MajorOutageStatus>,
}

/// What automatic detection suggests to the alarm group (R2.3): many locks
/// down across the municipality within the window.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MajorOutageSuggestion {
    /// Id.
    pub id: String,
    /// When made.
    pub created_at: i64,
    /// When the first of its cases opened.
    pub first_at: i64,
    /// Distinct locks down.
    pub locks: u64,
    /// Units they are in.
    pub unit_ids: Vec<String>,
    /// The cases.
    pub outage_ids: Vec<String>,
    /// Open, declared or dismissed.
    pub status: SuggestionStatus,
    /// When declared or dismissed.
    pub resolved_at: Option<i64>,
    /// By whom.
    pub resolved_by: Option<String>,
}

string_enum! {
    /// Whom a manager contact is.
    ContactRole {
        /// A unit manager (enhetschef), the municipality's or an external provider's.
        UnitManager = "unit_manager",
        /// The head of operations (verksamhetschef).
        HeadOfOperations = "head_of_operations",
    }
}

/// Someone who gets a major outage's emails (R2.4: "samtliga enhetschefer
/// (även externa) och verksamhetschef").
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ManagerContact {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Email address.
    pub email: String,
    /// The organisation (the municipality or an external provider).
    pub organisation: String,
    /// Unit manager or head of operations.
    pub role: ContactRole,
    /// An external provider's manager.
    pub external: bool,
    /// Gets the emails.
    pub active: bool,
    /// When added.
    pub created_at: i64,
}

/// Add or change a manager contact.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ManagerContactRequest {
    /// Id (made by the server when left out; creating only).
    pub id: Option<String>,
    /// Name (1 to 100 characters).
    pub name: String,
    /// Email address.
    pub email: String,
    /// Organisation (1 to 100 characters).
    pub organisation: String,
    /// Unit manager (default) or head of operations.
    pub role: Option<ContactRole>,
    /// An external provider's manager (default false).
    pub external: Option<bool>,
    /// Gets the emails (default true).
    pub active: Option<bool>,
}

// ---------------------------------------------------------------- orders (R1)

string_enum! {
    /// Kind of order to the alarm group (routine R1).
    OrderKind {
        /// The authority's order for a new brukare (R1.1, R1.7).
        NewBrukare = "new_brukare",
        /// Home care's order for an existing brukare (R1.3, R1.8).
        ExistingBrukare = "existing_brukare",
        /// Home care's order of an entrance lock (portlås, R1.4).
        Entrance = "entrance",
        /// Removal of an installed lock (R1.5, R1.11), made by the server
        /// when a care decision ends, or by home care's "service ended".
        Removal = "removal",
        /// Maintenance of an installed lock (a battery change, a repair
        /// after an outage, R2.11), ordered by home care.
        Maintenance = "maintenance",
    }
}

impl OrderKind {
    /// Whether the order is for an installation.
    pub fn is_installation(self) -> bool {
        matches!(
            self,
            Self::NewBrukare | Self::ExistingBrukare | Self::Entrance
        )
    }

    /// The keys a technician may get for an order of this kind: the
    /// demonstration and installation keys of an installation (R1.9), the
    /// installation key that decommissions a removed lock (R1.12), and the
    /// maintenance key of maintenance.
    pub fn key_scopes(self) -> &'static [TokenScope] {
        match self {
            Self::NewBrukare | Self::ExistingBrukare | Self::Entrance => {
                &[TokenScope::Demo, TokenScope::Install]
            }
            Self::Removal => &[TokenScope::Install],
            Self::Maintenance => &[TokenScope::Maintenance],
        }
    }
}

string_enum! {
    /// Where an order is.
    OrderStatus {
        /// Waiting for the alarm group.
        Open = "open",
        /// The alarm group has booked a time.
        Scheduled = "scheduled",
        /// The lock is installed (R1.6, R1.10).
        Installed = "installed",
        /// The lock is removed (R1.12).
        Removed = "removed",
        /// No longer needed (R1.5).
        Cancelled = "cancelled",
        /// The new brukare declined the lock (R1.7): recorded, no work.
        Declined = "declined",
        /// A maintenance order's work is done.
        Done = "done",
    }
}

impl OrderStatus {
    /// Open or scheduled: work for the alarm group.
    pub fn is_active(self) -> bool {
        matches!(self, Self::Open | Self::Scheduled)
    }
}

string_enum! {
    /// Which orders to list.
    OrderStatusFilter {
        /// Open or scheduled (the default).
        Active = "active",
        /// Every status.
        All = "all",
        /// Open.
        Open = "open",
        /// Scheduled.
        Scheduled = "scheduled",
        /// Installed.
        Installed = "installed",
        /// Removed.
        Removed = "removed",
        /// Cancelled.
        Cancelled = "cancelled",
        /// Declined.
        Declined = "declined",
        /// Done (maintenance).
        Done = "done",
    }
}

/// An order to the alarm group (routine R1).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Order {
    /// Id.
    pub id: String,
    /// Kind.
    pub kind: OrderKind,
    /// Status.
    pub status: OrderStatus,
    /// The brukare's unit (the home care group).
    pub unit_id: String,
    /// The brukare.
    pub brukare_id: String,
    /// The brukare's display name.
    pub brukare_display_name: String,
    /// Removal: the lock to remove; installation: the lock installed.
    pub lock_id: Option<String>,
    /// Removal: the care decision that ended.
    pub decision_id: Option<String>,
    /// New brukare: informed about the lock (R1.1, R1.7).
    pub brukare_informed: Option<bool>,
    /// New brukare: accepted (`true`) or declined (`false`) (R1.7).
    pub brukare_accepted: Option<bool>,
    /// Existing brukare: the brukare's name (R1.8).
    pub contact_name: Option<String>,
    /// Existing brukare: a phone number to book the installation (R1.8).
    pub contact_phone: Option<String>,
    /// Existing brukare: the address (R1.8); entrance: the building's address (R1.4).
    pub address: Option<String>,
    /// Free text.
    pub note: Option<String>,
    /// When ordered.
    pub created_at: i64,
    /// Who ordered (`null`: the server itself or the admin token).
    pub created_by: Option<String>,
    /// Removal: when the care decision ends.
    pub due_at: Option<i64>,
    /// When the alarm group has booked the work.
    pub scheduled_for: Option<i64>,
    /// The technician it is booked for: the only one who gets its keys.
    pub scheduled_to: Option<String>,
    /// When it was booked.
    pub scheduled_at: Option<i64>,
    /// When the lock was installed.
    pub installed_at: Option<i64>,
    /// When the lock was removed.
    pub removed_at: Option<i64>,
    /// When cancelled.
    pub cancelled_at: Option<i64>,
    /// Why cancelled (`decision_ended`, `decision_extended`, or the canceller's text).
    pub cancel_reason: Option<String>,
    /// Who closed it (installed, removed, cancelled, done).
    pub closed_by: Option<String>,
    /// Last change.
    pub updated_at: i64,
    /// Removal: why — `decision_ended` (the care decision reached its end,
    /// R1.5) or `service_ended` (home care said the service ended, R1.11).
    pub reason: Option<String>,
    /// Installation: the brukare's receipt the server verified (R1.9).
    pub receipt_id: Option<String>,
    /// Removal: whom the alarm group contacted before removing (R1.12),
    /// first first.
    #[serde(default)]
    pub contacts: Vec<OrderContact>,
}

/// R1.12: someone the alarm group contacted about a removal ("Larmgruppen
/// tar kontakt med berörda parter").
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OrderContact {
    /// Id.
    pub id: String,
    /// Who: e.g. "brukaren", "anhörig (dotter)", "hemtjänstgruppen Tumba".
    pub party: String,
    /// When they were contacted.
    pub contacted_at: i64,
    /// What was agreed.
    pub note: Option<String>,
    /// Who recorded it.
    pub recorded_by: Option<String>,
    /// When it was recorded.
    pub recorded_at: i64,
}

/// R1.12: record a contact before removal.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct RecordOrderContact {
    /// Who was contacted (1 to 100 characters).
    pub party: String,
    /// When (now when left out; not in the future).
    pub contacted_at: Option<i64>,
    /// What was agreed (at most 2000 characters).
    pub note: Option<String>,
}

/// R1.5, R1.11: home care says a service (insats) has ended, while the
/// care decision may remain: the lock is to be removed.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct ServiceEnded {
    /// When the service ends (now when left out; at most a year ahead).
    pub ended_at: Option<i64>,
    /// Free text for the alarm group (at most 2000 characters).
    pub note: Option<String>,
}

/// What "service ended" did.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ServiceEndedResponse {
    /// A removal order per installed lock (R1.11), new or already open.
    pub removal_orders: Vec<Order>,
    /// Planned installations cancelled (R1.5).
    pub cancelled_orders: Vec<Order>,
}

/// R1.1, R1.7: the authority's order for a new brukare.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct CreateNewBrukareOrder {
    /// Client-made id for a safe retry (made by the server when left out).
    pub id: Option<String>,
    /// The brukare.
    pub brukare_id: String,
    /// Whether the brukare has been informed about the lock.
    pub brukare_informed: bool,
    /// Whether the brukare accepted (`false`: declined; recorded, no installation).
    pub accepted: bool,
    /// Free text (at most 2000 characters).
    pub note: Option<String>,
}

/// R1.3, R1.8: home care's order for an existing brukare. Name, phone and
/// address are all required (400 when one is missing).
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct CreateExistingBrukareOrder {
    /// Client-made id for a safe retry (made by the server when left out).
    pub id: Option<String>,
    /// The brukare.
    pub brukare_id: String,
    /// The brukare's name.
    pub name: Option<String>,
    /// A phone number to book the installation.
    pub phone: Option<String>,
    /// The address.
    pub address: Option<String>,
    /// Free text (at most 2000 characters).
    pub note: Option<String>,
}

/// R1.4: an entrance lock (portlås) for a building where staff must get in
/// and the brukare has no alarm and only receives care services.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct CreateEntranceOrder {
    /// Client-made id for a safe retry (made by the server when left out).
    pub id: Option<String>,
    /// The brukare in the building.
    pub brukare_id: String,
    /// The building's address.
    pub building_address: Option<String>,
    /// Must be `false`: an entrance lock is ordered where the brukare has no alarm.
    pub brukare_has_alarm: Option<bool>,
    /// A phone number to book the installation.
    pub phone: Option<String>,
    /// Free text (at most 2000 characters).
    pub note: Option<String>,
}

/// Filter for orders.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrderQuery {
    /// `active` (open or scheduled, the default), `all`, or one status.
    pub status: Option<OrderStatusFilter>,
    /// Only this kind.
    pub kind: Option<OrderKind>,
    /// Only this unit's (coordinators and unit managers: their own, the default).
    pub unit_id: Option<String>,
    /// Only this brukare's.
    pub brukare_id: Option<String>,
    /// At most this many, newest first (default 200, max 1000).
    pub limit: Option<i64>,
}

/// Cancel an order (R1.5).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct CancelOrder {
    /// Why (at most 2000 characters).
    pub reason: Option<String>,
}

/// The alarm group books the work.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ScheduleOrder {
    /// When (Unix seconds). Its keys are valid from this time (less the
    /// visits' margin) until the order closes.
    pub scheduled_for: i64,
    /// The technician it is booked for: an alarm technician who serves the
    /// order's unit. The caller when left out (the admin token must name one).
    pub technician_id: Option<String>,
}

/// Home care orders maintenance of an installed lock: a battery change, a
/// repair after an outage (R2.11).
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct CreateMaintenanceOrder {
    /// Client-made id for a safe retry (made by the server when left out).
    pub id: Option<String>,
    /// The installed lock.
    pub lock_id: String,
    /// What is needed, e.g. "Byt batteri" (at most 2000 characters).
    pub reason: String,
    /// The outage case it follows up, if any.
    pub outage_id: Option<String>,
}

/// A maintenance order's work is done.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct OrderDone {
    /// What was done (at most 2000 characters).
    pub note: Option<String>,
}

/// R1.2: a brukare with a valid care decision and no installed door lock.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BrukareWithoutLock {
    /// The brukare.
    pub brukare_id: String,
    /// Display name.
    pub display_name: String,
    /// Address.
    pub address: String,
    /// Unit.
    pub unit_id: String,
    /// The valid decision that ends last.
    pub decision_id: String,
    /// When it ends.
    pub decision_ends_at: i64,
    /// The open (or scheduled) installation order, if any.
    pub open_order_id: Option<String>,
    /// Its status.
    pub open_order_status: Option<OrderStatus>,
    /// The brukare has declined a lock (R1.7): home care works to motivate (R1.2).
    pub declined: bool,
}

/// Filter for the brukare without a lock.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WithoutLockQuery {
    /// Only this unit's (coordinators and unit managers: their own, the default).
    pub unit_id: Option<String>,
}

// ---------------------------------------------------------------- misc

/// The outcome of a CSV import.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ImportSummary {
    /// Decisions created or updated.
    pub decisions: u64,
    /// Visits created or updated.
    pub visits: u64,
    /// Shifts created or updated.
    pub shifts: u64,
}

/// Health.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Health {
    /// `ok`.
    pub status: String,
    /// `sqlite` or `postgres`.
    pub database: String,
}

/// The server's time.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ServerTime {
    /// Unix seconds.
    pub server_time: i64,
}

// ---------------------------------------------------------------- audit

/// One entry of the append-only audit log.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AuditEntry {
    /// Position in the log (rising).
    pub seq: i64,
    /// Id.
    pub id: String,
    /// When (Unix seconds).
    pub at: i64,
    /// `staff` (a device session), `admin` (the admin token) or `cli` (the
    /// server's command line on its own machine).
    pub actor: String,
    /// The staff member.
    pub staff_id: Option<String>,
    /// Their device.
    pub device_id: Option<String>,
    /// Their role then.
    pub role: Option<Role>,
    /// The operation, as the policy names it (e.g. `POST /v1/staff`).
    pub operation: String,
    /// `write` (a change, with `before` and `after`), `read` (personal data
    /// of the `brukare_ids` read) or `admin_use` (the admin token was used).
    pub action: String,
    /// What kind of record (e.g. `staff`, `brukare`, `order`).
    pub target_kind: Option<String>,
    /// Its id (for `admin_use`: the path called).
    pub target_id: Option<String>,
    /// The unit it belongs to.
    pub unit_id: Option<String>,
    /// The record before the change (entry notes only as a hash).
    #[schema(value_type = Option<Object>)]
    pub before: Option<serde_json::Value>,
    /// The record after the change (entry notes only as a hash).
    #[schema(value_type = Option<Object>)]
    pub after: Option<serde_json::Value>,
    /// The brukare whose personal data was read or changed.
    pub brukare_ids: Vec<String>,
}

/// Filter for the audit log.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Only what this staff member did.
    pub staff_id: Option<String>,
    /// Only entries about this brukare.
    pub brukare_id: Option<String>,
    /// Only `write`, `read` or `admin_use`.
    pub action: Option<String>,
    /// Only entries at or after this time.
    pub from: Option<i64>,
    /// Only entries before this time.
    pub to: Option<i64>,
    /// At most this many, newest first (default 200, max 1000).
    pub limit: Option<i64>,
}

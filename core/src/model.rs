//! The records and enums the apps see.

/// A unit's settings, as the outage routine needs them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, uniffi::Record)]
pub struct UnitSettings {
    /// The unit's id.
    pub unit_id: String,
    /// Its name.
    pub name: String,
    /// The coordinator's phone number (R2.6).
    pub coordinator_phone: String,
    /// Where the day spare keys are kept (R2.1).
    pub day_key_location: String,
    /// The central site for night keys (R2.2).
    pub night_key_location: String,
    /// The deadline to warn the night patrol, local time "HH:MM" (R2.12).
    pub night_patrol_deadline: String,
    /// IANA time zone, e.g. "Europe/Stockholm".
    pub time_zone: String,
    /// When the coordinators' office opens on working days, "HH:MM"
    /// (R2.13: the weekend runs to it).
    #[serde(default = "default_opens")]
    #[uniffi(default = "07:00")]
    pub office_opens: String,
    /// When it closes, "HH:MM" (R2.12, R2.13: after it the worker tells the
    /// night patrol at once).
    #[serde(default = "default_closes")]
    #[uniffi(default = "17:00")]
    pub office_closes: String,
    /// The night patrol's phone number (R2.12, R2.13), if the unit set one.
    #[serde(default)]
    #[uniffi(default)]
    pub night_patrol_phone: Option<String>,
    /// The unit's own routine for acute key handling (R2.8), Swedish.
    #[serde(default)]
    #[uniffi(default)]
    pub acute_key_routine: Option<String>,
    /// The same in English, if written.
    #[serde(default)]
    #[uniffi(default)]
    pub acute_key_routine_en: Option<String>,
}

fn default_opens() -> String {
    "07:00".into()
}

fn default_closes() -> String {
    "17:00".into()
}

impl UnitSettings {
    /// The columns of `unit_settings` in the order [`UnitSettings::from_row`] reads.
    pub(crate) const COLUMNS: &'static str = "unit_id, name, coordinator_phone, day_key_location, \
         night_key_location, night_patrol_deadline, time_zone, office_opens, office_closes, \
         night_patrol_phone, acute_key_routine, acute_key_routine_en";

    /// A row selected with [`UnitSettings::COLUMNS`].
    pub(crate) fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<UnitSettings> {
        Ok(UnitSettings {
            unit_id: r.get(0)?,
            name: r.get(1)?,
            coordinator_phone: r.get(2)?,
            day_key_location: r.get(3)?,
            night_key_location: r.get(4)?,
            night_patrol_deadline: r.get(5)?,
            time_zone: r.get(6)?,
            office_opens: r.get(7)?,
            office_closes: r.get(8)?,
            night_patrol_phone: r.get(9)?,
            acute_key_routine: r.get(10)?,
            acute_key_routine_en: r.get(11)?,
        })
    }

    /// The unit's office hours (07:00-17:00 when they do not parse).
    pub(crate) fn office_hours(&self) -> nyckelfri_calendar::OfficeHours {
        nyckelfri_calendar::OfficeHours::parse(&self.office_opens, &self.office_closes)
            .unwrap_or(nyckelfri_calendar::OfficeHours::STANDARD)
    }
}

/// Whether the phone holds a usable key for a visit's lock right now.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum KeyStatus {
    /// A key is valid now, until the given time (Unix seconds).
    Ready {
        /// When it stops working.
        valid_until: i64,
    },
    /// A key is held but starts later.
    NotYetValid {
        /// When it starts working.
        valid_from: i64,
    },
    /// The held keys have expired. Sync to get new ones.
    Expired {
        /// When the last one expired.
        expired_at: i64,
    },
    /// The brukare's care decision has ended: no key will be issued (R2.7).
    DecisionEnded {
        /// When the decision ended, if known.
        ended_at: Option<i64>,
    },
    /// No key for this lock; the server's reason, if it gave one.
    NoKey {
        /// E.g. "not_scheduled", "lock_removed", "device_revoked".
        reason: Option<String>,
    },
}

/// One visit of the day, with its key status.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct VisitView {
    /// The visit's id.
    pub visit_id: String,
    /// The unit the visit belongs to.
    pub unit_id: String,
    /// The brukare's name as shown at the door.
    pub brukare_name: String,
    /// The address.
    pub address: String,
    /// Start, Unix seconds.
    pub starts_at: i64,
    /// End, Unix seconds.
    pub ends_at: i64,
    /// The lock on the door.
    pub lock_id: String,
    /// The key for it.
    pub key_status: KeyStatus,
}

/// Progress of opening a door, for the UI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum UnlockStep {
    /// Looking for the lock.
    Searching,
    /// Connected; waiting for the lock to greet.
    Connecting,
    /// The request is sent; the lock is checking it.
    Verifying,
    /// The link dropped after the request; trying again with the same
    /// request id (the door cannot open twice).
    Retrying,
    /// The door is open.
    Open,
}

/// What a lock signed: proof of a visit.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ReceiptView {
    /// The request id (hex).
    pub request_id: String,
    /// The lock.
    pub lock_id: String,
    /// The visit, if the attempt was for one.
    pub visit_id: Option<String>,
    /// The lock's status name ("ok", "expired", …).
    pub status: String,
    /// The lock's event counter.
    pub counter: u64,
    /// The lock's time, Unix seconds.
    pub lock_time: i64,
    /// Battery, percent.
    pub battery_percent: u8,
    /// True when the lock answered a retry with its stored result.
    pub repeated: bool,
    /// When the phone recorded it (trusted time).
    pub recorded_at: i64,
}

/// The result of trying to open a door. Every failure is typed so the
/// outage guidance can act on it.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum UnlockOutcome {
    /// The door is open.
    Opened {
        /// The lock's receipt.
        receipt: ReceiptView,
    },
    /// The door is open, but the lock's battery is low: report it.
    OpenedBatteryLow {
        /// The lock's receipt.
        receipt: ReceiptView,
        /// Battery, percent.
        battery_percent: u8,
    },
    /// The lock was not found nearby (out of range, dead, or not advertising).
    LockNotFound,
    /// The connection broke and could not be recovered; the door may or may
    /// not have opened — the app will find out on the next contact.
    LinkLost,
    /// The lock refused; `code` is the lock's status name.
    Refused {
        /// The lock's status name, e.g. "revoked", "wrong_lock".
        code: String,
        /// The lock's signed receipt of the refusal.
        receipt: ReceiptView,
    },
    /// The phone holds no key for this lock.
    NoKey {
        /// The server's reason, if it gave one.
        reason: Option<String>,
    },
    /// The key starts later.
    KeyNotYetValid {
        /// When it starts.
        valid_from: i64,
    },
    /// The key has expired (by the phone's trusted time or the lock's clock).
    KeyExpired {
        /// When, if known.
        expired_at: Option<i64>,
    },
    /// The care decision has ended: the coordinator contacts the needs assessor (R2.7).
    DecisionEnded {
        /// When, if known.
        ended_at: Option<i64>,
    },
    /// The key was accepted but the bolt did not move.
    Jammed {
        /// The lock's receipt.
        receipt: ReceiptView,
    },
    /// The lock's answer did not carry a valid signature from the lock's
    /// registered key: treat the lock as faulty (or not ours).
    ReceiptInvalid,
}

/// An event in the outbox (what the server will be told).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct EventView {
    /// Client-made id; the server stores each id once.
    pub event_id: String,
    /// What happened, e.g. "unlock".
    pub kind: String,
    /// The event as JSON.
    pub payload_json: String,
    /// When it was recorded (trusted time, Unix seconds).
    pub created_at: i64,
    /// Whether the server has it.
    pub synced: bool,
}

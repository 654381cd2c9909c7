//! The exported API: one object the shells hold for the app's lifetime.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use crate::agreement::{BrukareConsent, InstallationReceipt};
use crate::coordinator::OutageCase;
use crate::db::Store;
use crate::error::{Error, NyckelfriError, Result};
use crate::guidance::{FailureKind, GuidanceStep, Language};
use crate::inbox::InboxMessage;
use crate::install::{CommissionedLock, DemonstrationStep, InstallationOrder};
use crate::keys;
use crate::model::{EventView, KeyStatus, ReceiptView, UnitSettings, UnlockOutcome, VisitView};
use crate::outage::{self, FailedLockReport, OutageReportView};
use crate::outbox;
use crate::signer::{DeviceKey, DeviceSigner};
use crate::sync::{self, Enrollment, SyncReport};
use crate::time::{Clocks, SystemClocks, TimeSource, TrustedTime};
use crate::transport::LockTransport;
use crate::unlock::{self, PendingUnlock, Timeouts, UnlockListener};

/// How the app is set up.
#[derive(Debug, Clone, uniffi::Record)]
pub struct AppConfig {
    /// Path of the SQLite database file (created if missing).
    pub database_path: String,
    /// How long to look for and connect to a lock, in milliseconds.
    #[uniffi(default = 10000)]
    pub connect_timeout_ms: u32,
    /// How long to wait for each message from a lock, in milliseconds.
    #[uniffi(default = 5000)]
    pub message_timeout_ms: u32,
    /// First wait before retrying a failed server request, in milliseconds
    /// (doubling on each retry).
    #[uniffi(default = 500)]
    pub sync_backoff_ms: u32,
}

impl AppConfig {
    /// Defaults for a database at `path`.
    pub fn new(path: impl Into<String>) -> Self {
        Self {
            database_path: path.into(),
            connect_timeout_ms: 10_000,
            message_timeout_ms: 5_000,
            sync_backoff_ms: 500,
        }
    }
}

/// Trusted time as the app shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct TrustedTimeView {
    /// Unix seconds.
    pub unix: i64,
    /// Server-anchored, or the phone's clock since a reboot.
    pub source: TimeSource,
}

pub(crate) struct AppInner {
    pub(crate) sync_backoff: Duration,
    pub(crate) store: Store,
    pub(crate) time: TrustedTime,
    pub(crate) device: DeviceKey,
    pub(crate) transport: Arc<dyn LockTransport>,
    pub(crate) timeouts: Timeouts,
    /// The server session, reused between calls (never on disk).
    pub(crate) sessions: Arc<crate::sync::session_cache::SessionCache>,
}

/// The app: the store, the device key and a way to reach locks.
#[derive(uniffi::Object)]
pub struct NyckelfriApp {
    inner: AppInner,
}

/// How long a finished visit stays on the day's list.
const VISIBLE_AFTER_END_SECS: i64 = 12 * 3_600;

impl NyckelfriApp {
    /// Assembles the app over a transport and clocks.
    pub(crate) fn assemble(
        config: AppConfig,
        signer: Arc<dyn DeviceSigner>,
        transport: Arc<dyn LockTransport>,
        clocks: Box<dyn Clocks>,
    ) -> Result<Arc<Self>, NyckelfriError> {
        let store = Store::open(Path::new(&config.database_path))?;
        Ok(Arc::new(Self {
            inner: AppInner {
                sync_backoff: Duration::from_millis(config.sync_backoff_ms.into()),
                store,
                time: TrustedTime::new(clocks),
                device: DeviceKey::new(signer)?,
                transport,
                timeouts: Timeouts {
                    connect: Duration::from_millis(config.connect_timeout_ms.into()),
                    message: Duration::from_millis(config.message_timeout_ms.into()),
                },
                sessions: Arc::default(),
            },
        }))
    }

    #[cfg(feature = "simulation")]
    pub(crate) fn inner(&self) -> &AppInner {
        &self.inner
    }
}

#[cfg(feature = "ble")]
#[uniffi::export]
impl NyckelfriApp {
    /// Opens the app with Bluetooth LE locks (the phones' normal use). A
    /// damaged database is moved aside and reported; open again to start
    /// fresh. On Android, call `NyckelfriBle.init()` once before this.
    #[uniffi::constructor]
    pub fn open(
        config: AppConfig,
        signer: Arc<dyn DeviceSigner>,
    ) -> Result<Arc<Self>, NyckelfriError> {
        let transport =
            crate::transport::BleTransport::new().map_err(|e| NyckelfriError::Internal {
                reason: e.to_string(),
            })?;
        Self::assemble(config, signer, Arc::new(transport), Box::new(SystemClocks))
    }
}

#[uniffi::export(async_runtime = "tokio")]
impl NyckelfriApp {
    /// Enrolls this phone at `server_url` with the one-time `code` from the
    /// coordinator: registers the device key (which never leaves the
    /// keystore) and remembers the server.
    pub async fn enroll(
        &self,
        server_url: String,
        code: String,
        label: String,
    ) -> Result<Enrollment, NyckelfriError> {
        let app = &self.inner;
        sync::enroll(app, app.sync_backoff, &server_url, &code, &label).await
    }

    /// Who this phone is enrolled for (name, role, unit), read from the
    /// phone's own store so the app knows its screens after a restart and
    /// offline; none until enrolled.
    pub fn enrollment(&self) -> Result<Option<Enrollment>, NyckelfriError> {
        Ok(sync::enrollment(&self.inner)?)
    }

    /// Uploads the outbox and fetches the day's visits and keys. Without a
    /// network this fails with `Network`; everything keeps working offline
    /// and nothing is lost.
    pub async fn sync(&self) -> Result<SyncReport, NyckelfriError> {
        let app = &self.inner;
        sync::sync(app, app.sync_backoff).await
    }

    /// The alarm group's open orders: installations from the authority or
    /// home care (R1.1, R1.3), entrance locks (R1.4), removals when care has
    /// ended (R1.11), newest first. Needs the network.
    pub async fn installation_orders(&self) -> Result<Vec<InstallationOrder>, NyckelfriError> {
        crate::install::orders(&self.inner).await
    }

    /// The alarm group's technician commissions a new lock (R1.6, R1.9):
    /// registers its key (`lock_key_hex`, from its label or the order) with
    /// the server as `lock_id` for the open installation order `order_id`,
    /// and hands the lock the issuer's grant. Someone must have pressed the
    /// setup button inside the door; otherwise the status is
    /// "presence_required". If someone else commissioned the lock first, the
    /// status is "claimed_by_another_issuer" and the lock must be
    /// factory-reset. Needs the network.
    pub async fn commission_lock(
        &self,
        order_id: String,
        lock_id: String,
        lock_key_hex: String,
    ) -> Result<CommissionedLock, NyckelfriError> {
        crate::install::commission_lock(&self.inner, &order_id, &lock_id, &lock_key_hex).await
    }

    /// The demonstration to the brukare at installation (R1.9): opens and
    /// locks the real lock with demonstration keys (valid only during the
    /// installation visit, and only while the lock is in installation mode),
    /// then explains what happens if the phone or the lock fails.
    pub async fn demonstrate(
        &self,
        lock_id: String,
        language: Language,
        listener: Arc<dyn UnlockListener>,
    ) -> Result<Vec<DemonstrationStep>, NyckelfriError> {
        crate::install::demonstrate(&self.inner, &lock_id, language, listener.as_ref()).await
    }

    /// Puts the lock in service and reports the installation, after which
    /// the night patrol's coordinator and the home care group are told the
    /// time (R1.6, R1.10).
    pub async fn finish_installation(
        &self,
        lock_id: String,
        brukare_id: String,
        listener: Arc<dyn UnlockListener>,
    ) -> Result<UnlockOutcome, NyckelfriError> {
        crate::install::finish_installation(&self.inner, &lock_id, &brukare_id, listener.as_ref())
            .await
    }

    /// Removes a lock (R1.12): the lock is decommissioned (its receipt is
    /// the proof) and the server never issues a key for it again.
    pub async fn remove_lock(
        &self,
        lock_id: String,
        listener: Arc<dyn UnlockListener>,
    ) -> Result<UnlockOutcome, NyckelfriError> {
        crate::install::remove_lock(&self.inner, &lock_id, listener.as_ref()).await
    }

    /// R1.12: records whom the alarm group contacted about a removal order
    /// ("Larmgruppen tar kontakt med berörda parter"); a lock with an open
    /// removal order is removed only after one. Needs the network.
    pub async fn record_removal_contact(
        &self,
        order_id: String,
        party: String,
        note: Option<String>,
    ) -> Result<InstallationOrder, NyckelfriError> {
        crate::install::record_removal_contact(&self.inner, &order_id, &party, note.as_deref())
            .await
    }

    /// This phone's messages: its role's inbox in its unit, newest first
    /// (e.g. the night patrol's lock-out-of-order notices, R2.12). Needs
    /// the network.
    pub async fn inbox(&self) -> Result<Vec<InboxMessage>, NyckelfriError> {
        crate::inbox::inbox(&self.inner).await
    }

    /// Marks a message read by this phone's user.
    pub async fn mark_message_read(
        &self,
        message_id: String,
    ) -> Result<InboxMessage, NyckelfriError> {
        crate::inbox::mark_read(&self.inner, &message_id).await
    }

    /// The coordinator's open outage cases (R2), newest first, with the care
    /// decision checked now (R2.7) and the night patrol's deadline (R2.12).
    /// Needs the network and a coordinator's (or manager's) phone.
    pub async fn open_outages(&self) -> Result<Vec<OutageCase>, NyckelfriError> {
        crate::coordinator::open_outages(&self.inner).await
    }

    /// R2.10: the lock works again; closes the case, with an optional note.
    pub async fn mark_lock_working(
        &self,
        outage_id: String,
        note: Option<String>,
    ) -> Result<OutageCase, NyckelfriError> {
        crate::coordinator::mark_lock_working(&self.inner, &outage_id, note.as_deref()).await
    }

    /// R2.11: tells the alarm group about the case (out of office hours
    /// they take it from the next working day, R2.13).
    pub async fn inform_alarm_group(
        &self,
        outage_id: String,
        note: Option<String>,
    ) -> Result<OutageCase, NyckelfriError> {
        use crate::coordinator::Recipient;
        crate::coordinator::inform(
            &self.inner,
            &outage_id,
            Recipient::AlarmGroup,
            note.as_deref(),
        )
        .await
    }

    /// R2.12: tells the night patrol about the case (due by 17:00).
    pub async fn inform_night_patrol(
        &self,
        outage_id: String,
        note: Option<String>,
    ) -> Result<OutageCase, NyckelfriError> {
        use crate::coordinator::Recipient;
        crate::coordinator::inform(
            &self.inner,
            &outage_id,
            Recipient::NightPatrol,
            note.as_deref(),
        )
        .await
    }

    /// The brukare's receipt and responsibility agreement (R1.9): the
    /// agreement text of `agreement_version`, the brukare's signature strokes
    /// or a witnessed confirmation, signed by this phone's key so any later
    /// change is detectable. Queued for the server.
    pub fn sign_installation_receipt(
        &self,
        lock_id: String,
        brukare_id: String,
        brukare_name: String,
        agreement_version: u32,
        language: Language,
        consent: BrukareConsent,
    ) -> Result<InstallationReceipt, NyckelfriError> {
        crate::agreement::sign(
            &self.inner,
            &lock_id,
            &brukare_id,
            &brukare_name,
            agreement_version,
            language,
            &consent,
        )
    }

    /// Whether a receipt is intact (hash and signature).
    pub fn verify_installation_receipt(&self, receipt: InstallationReceipt) -> bool {
        crate::agreement::verify(&receipt)
    }

    /// The receipt as a PDF the brukare can keep.
    pub fn installation_receipt_pdf(
        &self,
        receipt: InstallationReceipt,
        language: Language,
    ) -> Result<Vec<u8>, NyckelfriError> {
        Ok(crate::agreement::pdf(&receipt, language)?)
    }

    /// How many events have not reached the server yet.
    pub fn pending_events(&self) -> Result<u32, NyckelfriError> {
        Ok(sync::pending(&self.inner)?)
    }

    /// What to do now that opening failed (the outage routine, R2): ordered
    /// steps with their routine ids, numbers to dial and where the spare
    /// keys are, in the worker's language. Empty for a clean opening.
    pub fn guidance_for_outcome(
        &self,
        outcome: UnlockOutcome,
        visit_id: Option<String>,
        language: Language,
    ) -> Result<Vec<GuidanceStep>, NyckelfriError> {
        let Some(failure) = FailureKind::from_outcome(&outcome) else {
            return Ok(Vec::new());
        };
        Ok(outage::guidance_for(
            &self.inner,
            failure,
            visit_id.as_deref(),
            None,
            language,
        )?)
    }

    /// The routine's steps for a failure reported by hand (a lock found
    /// broken, or the app itself failing), for a visit or a lock if known.
    pub fn guidance_for_failure(
        &self,
        failure: FailureKind,
        visit_id: Option<String>,
        lock_id: Option<String>,
        language: Language,
    ) -> Result<Vec<GuidanceStep>, NyckelfriError> {
        Ok(outage::guidance_for(
            &self.inner,
            failure,
            visit_id.as_deref(),
            lock_id.as_deref(),
            language,
        )?)
    }

    /// Reports a lock that does not work (R2.9), offline if need be: lock,
    /// brukare, time, cause and the steps done so far. Sent on the next
    /// sync. Returns the report's id.
    pub fn report_failed_lock(&self, report: FailedLockReport) -> Result<String, NyckelfriError> {
        Ok(outage::report(&self.inner, &report)?)
    }

    /// Marks a routine step of a report done now (e.g. "R2.6" after the
    /// call); the update is sent on the next sync.
    pub fn mark_step_done(
        &self,
        report_id: String,
        routine_id: String,
    ) -> Result<(), NyckelfriError> {
        Ok(outage::mark_step_done(
            &self.inner,
            &report_id,
            &routine_id,
        )?)
    }

    /// Failed-lock reports made on this phone, newest first.
    pub fn outage_reports(&self, limit: u32) -> Result<Vec<OutageReportView>, NyckelfriError> {
        Ok(outage::reports(&self.inner, limit)?)
    }

    /// Trusted time now, and whether it is anchored to the server.
    pub fn trusted_time(&self) -> Result<TrustedTimeView, NyckelfriError> {
        let app = &self.inner;
        let now = app.store.read(|c| app.time.peek(c))?;
        Ok(TrustedTimeView {
            unix: now.unix,
            source: now.source,
        })
    }

    /// The day's visits in order, each with the status of its key: the
    /// schedule of the last sync, less visits that ended more than 12 hours
    /// ago. (Not a calendar day: a night shift runs past midnight.) While
    /// the time is only the phone's clock, nothing is hidden by time.
    pub fn today_visits(&self) -> Result<Vec<VisitView>, NyckelfriError> {
        let app = &self.inner;
        Ok(app.store.read(|conn| {
            let now = app.time.peek(conn)?;
            let hide_before = match now.source {
                TimeSource::ServerAnchored => now.unix - VISIBLE_AFTER_END_SECS,
                TimeSource::PhoneClock => i64::MIN,
            };
            let mut stmt = conn.prepare_cached(
                "SELECT visit_id, unit_id, brukare_name, address, starts_at, ends_at, lock_id,
                        no_key_reason
                 FROM visits WHERE ends_at >= ?1 ORDER BY starts_at, visit_id",
            )?;
            let rows = stmt
                .query_map([hide_before], |r| {
                    Ok((
                        VisitView {
                            visit_id: r.get(0)?,
                            unit_id: r.get(1)?,
                            brukare_name: r.get(2)?,
                            address: r.get(3)?,
                            starts_at: r.get(4)?,
                            ends_at: r.get(5)?,
                            lock_id: r.get(6)?,
                            key_status: KeyStatus::NoKey { reason: None },
                        },
                        r.get::<_, Option<String>>(7)?,
                    ))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            rows.into_iter()
                .map(|(mut v, reason)| {
                    v.key_status = keys::status(conn, &v.lock_id, now.unix, reason.as_deref())?;
                    Ok(v)
                })
                .collect()
        })?)
    }

    /// The status of the key for a lock (e.g. one found nearby without a
    /// visit), by trusted time.
    pub fn key_status(&self, lock_id: String) -> Result<KeyStatus, NyckelfriError> {
        let app = &self.inner;
        Ok(app.store.read(|c| {
            let now = app.time.peek(c)?.unix;
            keys::status(c, &lock_id, now, None)
        })?)
    }

    /// Until when the keys on this phone stay valid (Unix seconds), or none
    /// if no key is valid now or later. Shown as "keys valid until 22:00".
    pub fn keys_valid_until(&self) -> Result<Option<i64>, NyckelfriError> {
        let app = &self.inner;
        Ok(app.store.read(|c| {
            let now = app.time.peek(c)?.unix;
            keys::valid_until(c, now)
        })?)
    }

    /// The settings of a unit (phone numbers and key locations for the
    /// outage routine).
    pub fn unit_settings(&self, unit_id: String) -> Result<UnitSettings, NyckelfriError> {
        Ok(self.inner.store.read(|c| {
            c.query_row(
                &format!(
                    "SELECT {} FROM unit_settings WHERE unit_id = ?1",
                    UnitSettings::COLUMNS
                ),
                [&unit_id],
                UnitSettings::from_row,
            )
            .map_err(|e| match e {
                rusqlite::Error::QueryReturnedNoRows => Error::NotFound(format!("unit {unit_id}")),
                e => e.into(),
            })
        })?)
    }

    /// Opens the door of a visit: picks the key, talks to the lock, checks
    /// and stores its receipt. Confirm the user (biometrics or PIN) before
    /// calling. If an earlier opening of this visit was interrupted after
    /// its Request may have reached the lock (a crash, a lost link), this tap
    /// finishes it with the same request id, so the door never moves twice.
    /// Failures come back as outcomes, not errors; errors are for an unknown
    /// visit or a broken phone (storage, keystore).
    pub async fn open_door(
        &self,
        visit_id: String,
        listener: Arc<dyn UnlockListener>,
    ) -> Result<UnlockOutcome, NyckelfriError> {
        Ok(unlock::open_door(&self.inner, &visit_id, listener.as_ref()).await?)
    }

    /// Openings a crash interrupted after their Request may have reached the
    /// lock and that can still be finished. Older ones are recorded as
    /// "outcome unknown" and ones never sent are closed. Call when the app
    /// starts; nothing is sent until the worker taps: `open_door` of the same
    /// visit, or `resume_unlock` (for one without a visit).
    pub fn pending_unlocks(&self) -> Result<Vec<PendingUnlock>, NyckelfriError> {
        Ok(unlock::pending(&self.inner)?)
    }

    /// The worker tapped to finish an interrupted opening: it is sent again
    /// with the same request id, so a lock that already acted answers from
    /// its cache and the bolt never moves twice. Confirm the user first, as
    /// for `open_door`.
    pub async fn resume_unlock(
        &self,
        request_id: String,
        listener: Arc<dyn UnlockListener>,
    ) -> Result<UnlockOutcome, NyckelfriError> {
        Ok(unlock::resume(&self.inner, &request_id, listener.as_ref()).await?)
    }

    /// The newest events, newest first (what the server will be told).
    pub fn recent_events(&self, limit: u32) -> Result<Vec<EventView>, NyckelfriError> {
        Ok(self.inner.store.read(|c| outbox::recent_events(c, limit))?)
    }

    /// The newest lock receipts, newest first.
    pub fn recent_receipts(&self, limit: u32) -> Result<Vec<ReceiptView>, NyckelfriError> {
        Ok(self
            .inner
            .store
            .read(|c| outbox::recent_receipts(c, limit))?)
    }
}

impl From<Error> for Box<NyckelfriError> {
    fn from(e: Error) -> Self {
        Box::new(e.into())
    }
}

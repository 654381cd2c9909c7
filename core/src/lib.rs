//! The Nyckelfri app core: what the Android and iOS apps run under thin
//! shells. It holds the day's keys offline, judges them by trusted time,
//! opens doors through a [`transport::LockTransport`], and keeps the locks'
//! signed receipts and a durable outbox of events.
//!
//! Exported to Kotlin and Swift with uniffi (proc-macros). The boundary is
//! [`NyckelfriApp`], a few records and enums, the foreign traits
//! [`DeviceSigner`] and [`UnlockListener`], and one error enum,
//! [`NyckelfriError`].
//!
//! The feature `simulation` (off by default) adds what only the demo, the
//! CLI and tests may have: simulated locks (`SimulatedLockSet`, and the
//! reference lock crate behind them), a software device key, bundles fed in
//! as JSON, and injected clocks and transports. A store build leaves it off,
//! so nothing in it can inject keys, time or locks.

#![deny(missing_docs)]

uniffi::setup_scaffolding!();

mod agreement;
mod app;
mod bundle;
mod coordinator;
mod db;
mod error;
pub mod guidance;
mod inbox;
mod install;
mod keys;
mod model;
mod outage;
mod outbox;
mod schema;
mod signer;
#[cfg(feature = "simulation")]
mod simulation;
#[cfg(feature = "simulation")]
mod software_signer;
mod sync;
pub mod time;
pub mod transport;
mod unlock;

pub use agreement::{BrukareConsent, InstallationReceipt, SignatureStroke, StrokePoint};
pub use app::{AppConfig, NyckelfriApp, TrustedTimeView};
pub use bundle::{DayBundle, HexBytes, LockInfo, ShiftInfo, Visit};
pub use coordinator::OutageCase;
pub use error::NyckelfriError;
pub use inbox::InboxMessage;
pub use install::{CommissionedLock, DemonstrationStep, InstallationOrder, RemovalContact};
pub use model::{
    EventView, KeyStatus, ReceiptView, UnitSettings, UnlockOutcome, UnlockStep, VisitView,
};
pub use outage::{FailedLockReport, OutageReportView, ReportStep};
pub use schema::VERSION as SCHEMA_VERSION;
pub use signer::DeviceSigner;
#[cfg(feature = "simulation")]
pub use software_signer::SoftwareSigner;
pub use sync::{Enrollment, SyncReport};
pub use unlock::{PendingUnlock, UnlockListener};

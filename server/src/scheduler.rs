//! The scheduler: what the server does because a date came, not because
//! someone asked. A background task like the janitor runs [`tick`] every
//! [`Settings::scheduler_interval_secs`]; tests call [`tick`] with a pinned
//! clock.
//!
//! - **Decisions ending** (R1.5, R1.11): a brukare whose care decisions
//!   have all reached their end gets a removal order for each installed
//!   lock, messaged to the alarm group, and planned installations are
//!   cancelled — also when nobody edited the end date.
//! - **Orders due** (R1.12): a removal order made in advance (an end date
//!   set early, or home care's "service ended" with a later date) reminds
//!   the alarm group the day it falls due.
//! - **Deadlines passing** (R2.12): an open outage case whose night-patrol
//!   deadline passed with no message gets one from the server.
//! - **Emails** (R2.4, R2.14): what waits for the SMTP relay is sent, and
//!   failures retried.
//!
//! Idempotent and safe with several instances on one database: each
//! date-driven action inserts a claim (`scheduler_claims`) or sets a
//! column only while it is empty, in the transaction that acts, so a second
//! run — here or on another instance — finds it done.
//!
//! [`Settings::scheduler_interval_secs`]: crate::Settings::scheduler_interval_secs

use std::time::Duration;

use crate::error::Result;
use crate::state::AppState;
use crate::{mail, orders, outages};

/// What one run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TickReport {
    /// Brukare whose care ended by date and got removal orders (R1.11).
    pub care_ended: u32,
    /// Removal orders that fell due and were reminded (R1.12).
    pub orders_due: u32,
    /// Outage cases whose night patrol the server told (R2.12).
    pub night_patrol_told: u32,
    /// Emails sent (R2.4, R2.14).
    pub emails_sent: u32,
    /// Emails the relay did not take (tried again later).
    pub emails_failed: u32,
}

/// One run at `now`. Each part runs even if another fails; the first
/// error is returned after all have run.
pub async fn tick(state: &AppState, now: i64) -> Result<TickReport> {
    let db = state.db();
    let mut report = TickReport::default();
    let mut first_error = None;
    match orders::care_ended_by_date(db, now).await {
        Ok(n) => report.care_ended = n,
        Err(e) => first_error = first_error.or(Some(e)),
    }
    match orders::orders_due(db, now).await {
        Ok(n) => report.orders_due = n,
        Err(e) => first_error = first_error.or(Some(e)),
    }
    match outages::night_patrol_deadlines(db, now).await {
        Ok(n) => report.night_patrol_told = n,
        Err(e) => first_error = first_error.or(Some(e)),
    }
    match mail::send_pending(state, now).await {
        Ok(m) => {
            report.emails_sent = m.sent;
            report.emails_failed = m.failed;
        }
        Err(e) => first_error = first_error.or(Some(e)),
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok(report),
    }
}

/// Runs [`tick`] forever at the configured interval.
pub(crate) async fn run(state: AppState) {
    let secs = state.settings().scheduler_interval_secs;
    if secs == 0 {
        return;
    }
    let period = Duration::from_secs(secs);
    let mut every = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        match tick(&state, state.now()).await {
            Ok(r) if r != TickReport::default() => tracing::info!(?r, "scheduler"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "scheduler run failed; next run tries again"),
        }
    }
}

//! Playing the care worker's day: each visit at its start time (ten minutes
//! apart when several start together), doors opened with progress; the
//! network drops after the first two visits and the doors still open; a
//! lock jams and the worker gets the routine's next steps; the network
//! returns and the events recorded offline reach the server.

use std::ops::RangeInclusive;
use std::sync::Arc;

use chrono_tz::Tz;
use nyckelfri_core::{NyckelfriApp, NyckelfriError, VisitView};

use super::backend::Backend;
use super::clock::DayClock;
use super::fleet::Fleet;
use super::report::VisitReport;
use crate::exit::CliError;
use crate::localtime::hhmm;
use crate::progress;
use crate::style::Style;
use crate::texts::{self, Lang};

/// Where the progress and the next steps start, under the time column.
const INDENT: &str = "       ";
/// Time between visits that start together (the worker walks on).
const WALK_SECS: i64 = 10 * 60;

/// Everything the day is played on.
pub struct Stage {
    pub app: Arc<NyckelfriApp>,
    pub backend: Backend,
    pub fleet: Fleet,
    pub clock: DayClock,
    pub style: Style,
    pub lang: Lang,
    pub tz: Tz,
}

/// What the day did.
pub struct Played {
    pub visits: Vec<VisitReport>,
    pub offline_attempts: usize,
    pub offline_opens: usize,
    pub offline_sync_failed: bool,
}

impl Stage {
    fn now(&self) -> String {
        hhmm(self.tz, self.clock.now())
    }

    fn keys_valid_until(&self) -> Result<String, CliError> {
        Ok(match self.app.keys_valid_until()? {
            Some(t) => hhmm(self.tz, t),
            None => "—".into(),
        })
    }
}

/// Plays `visits` (the worker's schedule, in order).
pub async fn play(stage: &mut Stage, visits: &[VisitView]) -> Result<Played, CliError> {
    let n = visits.len();
    if n < 5 {
        return Err(CliError::failed(format!(
            "the demo worker has {n} visits today; the day needs at least 5"
        )));
    }
    let offline: RangeInclusive<usize> = 2..=n - 2;
    let jam_at = n - 3;
    let mut played = Played {
        visits: Vec::new(),
        offline_attempts: 0,
        offline_opens: 0,
        offline_sync_failed: false,
    };
    for (i, v) in visits.iter().enumerate() {
        let at = if i == 0 {
            v.starts_at
        } else {
            v.starts_at.max(stage.clock.now() + WALK_SECS)
        };
        stage.clock.advance_to(at);
        if i == *offline.start() {
            played.offline_sync_failed = network_drops(stage).await?;
        }
        let is_offline = offline.contains(&i);
        let expected = i != jam_at;
        if !expected && !stage.fleet.jam(&v.lock_id) {
            return Err(CliError::failed(format!("no simulated lock {}", v.lock_id)));
        }
        let report = door(stage, v, is_offline, expected).await?;
        if is_offline {
            played.offline_attempts += 1;
            if report.outcome.starts_with("opened") {
                played.offline_opens += 1;
            }
        } else if i + 1 < n {
            sync(stage, "").await?;
        }
        played.visits.push(report);
        if i == *offline.end() {
            stage.clock.advance(5 * 60);
            network_returns(stage).await?;
        }
    }
    stage.clock.advance(WALK_SECS);
    sync(stage, "end of the round: ").await?;
    Ok(played)
}

/// One door: the header, the progress, the outcome, and next steps if it failed.
async fn door(
    stage: &Stage,
    v: &VisitView,
    offline: bool,
    expected: bool,
) -> Result<VisitReport, CliError> {
    let s = &stage.style;
    let note = if offline {
        s.warn("  (offline)")
    } else {
        String::new()
    };
    s.say(format!(
        "{}  {} · {}{note}",
        stage.now(),
        s.bold(&v.brukare_name),
        v.address
    ));
    if !expected {
        s.say(format!(
            "{INDENT}{}",
            s.warn(
                "(the demo jams this lock's bolt: the lock will accept the key but cannot turn)"
            )
        ));
    }
    let attempt = progress::open_door(&stage.app, &v.visit_id, *s, stage.lang, INDENT).await?;
    let ms = attempt.millis();
    let opened = texts::opened(&attempt.outcome);
    let text = texts::outcome_text(stage.lang, &attempt.outcome);
    let next_steps =
        texts::next_steps(&stage.app, stage.lang, &attempt.outcome, Some(&v.visit_id))?;
    if !opened {
        // R2.9: the worker documents the outage; the report waits offline
        // in the outbox with the call to the coordinator (R2.6) done.
        let failure = nyckelfri_core::guidance::FailureKind::from_outcome(&attempt.outcome);
        if let Some(failure) = failure {
            stage
                .app
                .report_failed_lock(nyckelfri_core::FailedLockReport {
                    lock_id: Some(v.lock_id.clone()),
                    visit_id: Some(v.visit_id.clone()),
                    failure,
                    steps_done: vec!["R2.6".into()],
                })?;
        }
    }
    progress::print_outcome(*s, stage.lang, &attempt, &next_steps, INDENT);
    Ok(VisitReport {
        visit_id: v.visit_id.clone(),
        time: stage.now(),
        brukare: v.brukare_name.clone(),
        address: v.address.clone(),
        lock_id: v.lock_id.clone(),
        network: if offline { "offline" } else { "online" },
        outcome: texts::outcome_code(&attempt.outcome),
        outcome_text: text,
        ms,
        progress: attempt
            .steps
            .iter()
            .map(|s| progress::step_code(*s))
            .collect(),
        expected_to_open: expected,
        next_steps,
    })
}

/// A sync while online: the outbox goes up, the schedule comes down.
async fn sync(stage: &Stage, what: &str) -> Result<(), CliError> {
    let r = stage.app.sync().await?;
    let s = &stage.style;
    s.say(format!(
        "{INDENT}{} {what}synced, {} event{} sent to the server; {} waiting.",
        s.dim("⇅"),
        r.events_sent,
        if r.events_sent == 1 { "" } else { "s" },
        stage.app.pending_events()?
    ));
    Ok(())
}

/// The server stops answering; a sync fails as unreachable and the app
/// keeps working. Returns whether the sync failed that way.
async fn network_drops(stage: &mut Stage) -> Result<bool, CliError> {
    stage.backend.go_down().await?;
    let s = stage.style;
    s.say(format!(
        "{}  {} the network drops: the server stops answering.",
        stage.now(),
        s.bad("✗")
    ));
    let failed_as_expected = match stage.app.sync().await {
        Err(NyckelfriError::Network { .. }) => {
            s.say(format!(
                "{INDENT}{} sync: cannot reach the server, working offline. \
                 Doors still open with the keys on the phone (valid until {}).",
                s.dim("⇅"),
                stage.keys_valid_until()?
            ));
            true
        }
        Ok(_) => {
            s.say(format!(
                "{INDENT}{}",
                s.bad("sync succeeded with the server down?")
            ));
            false
        }
        Err(e) => {
            s.say(format!("{INDENT}{} sync failed otherwise: {e}", s.bad("✗")));
            false
        }
    };
    Ok(failed_as_expected)
}

/// The server answers again; the events recorded offline go up once.
async fn network_returns(stage: &mut Stage) -> Result<(), CliError> {
    stage.backend.come_back().await?;
    let waiting = stage.app.pending_events()?;
    let s = stage.style;
    s.say(format!(
        "{}  {} the network returns; {waiting} events recorded offline are waiting.",
        stage.now(),
        s.ok("✓")
    ));
    sync(stage, "").await
}

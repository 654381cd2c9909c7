//! The demo's summary: what scripts read (`--json`, one document) and the
//! table people read, and the checks that decide the exit code.

use serde::Serialize;

use crate::style::Style;
use crate::texts::NextStep;

/// The worker whose day is played.
#[derive(Debug, Clone, Serialize)]
pub struct Worker {
    /// Staff id.
    pub staff_id: String,
    /// Name.
    pub name: String,
    /// Unit id.
    pub unit_id: Option<String>,
}

/// One visit of the day and what happened at the door.
#[derive(Debug, Clone, Serialize)]
pub struct VisitReport {
    /// The visit's id.
    pub visit_id: String,
    /// When it was played, local "HH:MM".
    pub time: String,
    /// The brukare's display name.
    pub brukare: String,
    /// The address.
    pub address: String,
    /// The door's lock.
    pub lock_id: String,
    /// "online" or "offline" (the server unreachable).
    pub network: &'static str,
    /// Stable outcome name (`opened`, `jammed`, …).
    pub outcome: &'static str,
    /// The outcome as the worker reads it (`--lang`).
    pub outcome_text: String,
    /// Milliseconds from the tap to the outcome.
    pub ms: u64,
    /// The progress steps shown (`searching`, `connecting`, `verifying`, `open`, …).
    pub progress: Vec<&'static str>,
    /// Whether the door was meant to open (false for the lock the demo breaks).
    pub expected_to_open: bool,
    /// The routine's next steps (empty when the door opened).
    pub next_steps: Vec<NextStep>,
}

/// The whole day.
#[derive(Debug, Clone, Serialize)]
pub struct DemoReport {
    /// Every check passed.
    pub ok: bool,
    /// "memory" or "ble".
    pub transport: &'static str,
    /// Which, in words.
    pub transport_note: String,
    /// The day played, YYYY-MM-DD.
    pub date: String,
    /// Whose day.
    pub worker: Worker,
    /// Visits on the worker's schedule after the first sync.
    pub visits_scheduled: usize,
    /// Each visit, in order.
    pub visits: Vec<VisitReport>,
    /// Doors tried while the server was unreachable.
    pub offline_attempts: usize,
    /// Of those, doors that opened.
    pub offline_opens: usize,
    /// Whether a sync while the network was down failed as unreachable.
    pub offline_sync_failed_as_expected: bool,
    /// Events the device recorded.
    pub events_created: usize,
    /// Of those, event ids the server stored.
    pub events_delivered: usize,
    /// Extra copies of an event id on the server (must be 0).
    pub events_duplicated_on_server: usize,
    /// Events still waiting on the device at the end.
    pub events_pending: u32,
    /// The morning's installation (R1).
    pub installation: super::installation::InstallationReport,
    /// The outage cases the coordinator handled (R2.7, R2.10-R2.12).
    pub coordinator: Vec<super::coordinator::CaseReport>,
    /// The evening's dead lock after the coordinators went home (R2.12,
    /// R2.13, R2.1).
    pub evening: super::evening::EveningReport,
    /// Whether the evening is the routine's weekend (R2.13) rather than a
    /// weekday evening (R2.12).
    pub evening_is_weekend: bool,
    /// Why `ok` is false (empty when it is true).
    pub problems: Vec<String>,
    /// Wall time of the whole demo, milliseconds.
    pub elapsed_ms: u64,
}

impl DemoReport {
    /// Fills `problems` and `ok` from the figures.
    pub fn check(&mut self) {
        let mut p = Vec::new();
        if self.visits.len() != self.visits_scheduled {
            p.push(format!(
                "{} of {} scheduled visits played",
                self.visits.len(),
                self.visits_scheduled
            ));
        }
        for v in &self.visits {
            let opened = v.outcome.starts_with("opened");
            if v.expected_to_open && !opened {
                p.push(format!("{} did not open: {}", v.visit_id, v.outcome));
            }
            if !v.expected_to_open && (opened || v.next_steps.is_empty()) {
                p.push(format!("{} should have failed with next steps", v.visit_id));
            }
        }
        if self.offline_opens == 0 {
            p.push(format!(
                "offline: none of {} doors opened",
                self.offline_attempts
            ));
        }
        let i = &self.installation;
        if !(i.commissioned == "ok"
            && i.demonstration_ok == i.demonstration_moves
            && i.demonstration_moves == 2
            && i.receipt_verified
            && i.in_service
            && i.order_status == "installed")
        {
            p.push(format!("the installation did not complete: {i:?}"));
        }
        let failed_locks = self.visits.iter().filter(|v| !v.expected_to_open).count();
        if self.coordinator.len() < failed_locks.min(1) {
            p.push("the failed lock's report did not reach the coordinator".into());
        }
        for c in &self.coordinator {
            if !(c.night_patrol_in_time && c.alarm_group_told && c.closed) {
                p.push(format!(
                    "outage case {} was not handled by the routine",
                    c.case_id
                ));
            }
        }
        p.extend(self.evening.problems(self.evening_is_weekend));
        if !self.offline_sync_failed_as_expected {
            p.push("a sync without network did not fail as unreachable".into());
        }
        if self.events_created == 0 || self.events_delivered != self.events_created {
            p.push(format!(
                "events: {} created, {} on the server",
                self.events_created, self.events_delivered
            ));
        }
        if self.events_duplicated_on_server != 0 {
            p.push(format!(
                "{} duplicated events on the server",
                self.events_duplicated_on_server
            ));
        }
        if self.events_pending != 0 {
            p.push(format!("{} events still waiting", self.events_pending));
        }
        self.ok = p.is_empty();
        self.problems = p;
    }

    /// The summary table and totals.
    pub fn print(&self, style: &Style) {
        style.say("");
        style.say(style.bold(&format!(
            "Summary — {}'s day, {} ({})",
            self.worker.name, self.date, self.transport
        )));
        let width = self
            .visits
            .iter()
            .map(|v| v.outcome_text.chars().count())
            .max()
            .unwrap_or(0)
            .clamp(7, 40);
        style.say(style.dim(&format!(
            "  {:<5}  {:<13}  {:<7}  {:<width$}  {:>10}",
            "time", "brukare", "network", "outcome", "ms to open"
        )));
        for v in &self.visits {
            let outcome = format!("{:<width$}", clip(&v.outcome_text, width));
            let outcome = if v.outcome.starts_with("opened") {
                style.ok(&outcome)
            } else {
                style.bad(&outcome)
            };
            let network = format!("{:<7}", v.network);
            let network = if v.network == "offline" {
                style.warn(&network)
            } else {
                network
            };
            style.say(format!(
                "  {:<5}  {:<13}  {network}  {outcome}  {:>10}",
                v.time,
                clip(&v.brukare, 13),
                v.ms
            ));
        }
        style.say("");
        let broken = self.offline_attempts.saturating_sub(self.offline_opens);
        style.say(format!(
            "  Offline: {} doors opened with no network, from the keys on the phone{}.",
            self.offline_opens,
            if broken == 0 {
                String::new()
            } else {
                format!("; {broken} failed at a broken lock")
            }
        ));
        style.say(format!(
            "  Events: {} recorded on the phone, {} on the server, each once ({} duplicates); {} waiting.",
            self.events_created,
            self.events_delivered,
            self.events_duplicated_on_server,
            self.events_pending
        ));
        if self.ok {
            style.say(format!(
                "  {} every visit accounted for ({:.1} s).",
                style.ok("OK:"),
                self.elapsed_ms as f64 / 1000.0
            ));
        } else {
            for p in &self.problems {
                style.say(format!("  {} {p}", style.bad("PROBLEM:")));
            }
        }
    }
}

fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_text_is_clipped_by_characters() {
        assert_eq!(clip("Maj-Britt K.", 13), "Maj-Britt K.");
        assert_eq!(clip("Exempelvägen 11, 3 tr", 10), "Exempelvä…");
    }
}

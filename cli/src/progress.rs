//! Opening a door with progress shown: Searching → Connecting → Verifying →
//! Open, from the core's `UnlockListener`. On a terminal a spinner redraws
//! the line; otherwise each step is appended as it happens.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use nyckelfri_core::{NyckelfriApp, NyckelfriError, UnlockListener, UnlockOutcome, UnlockStep};

use crate::style::Style;
use crate::texts::{self, Lang};

const FRAMES: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/// A stable name of a progress step, for scripts.
pub fn step_code(s: UnlockStep) -> &'static str {
    match s {
        UnlockStep::Searching => "searching",
        UnlockStep::Connecting => "connecting",
        UnlockStep::Verifying => "verifying",
        UnlockStep::Retrying => "retrying",
        UnlockStep::Open => "open",
    }
}

/// What one attempt to open a door did.
#[derive(Debug, Clone)]
pub struct Attempt {
    /// The core's outcome.
    pub outcome: UnlockOutcome,
    /// Wall time from the tap to the outcome.
    pub took: Duration,
    /// The progress steps the core reported.
    pub steps: Vec<UnlockStep>,
}

impl Attempt {
    /// Time to the outcome in milliseconds.
    pub fn millis(&self) -> u64 {
        u64::try_from(self.took.as_millis()).unwrap_or(u64::MAX)
    }
}

struct Progress {
    steps: Mutex<Vec<UnlockStep>>,
    style: Style,
    lang: Lang,
    indent: String,
}

impl Progress {
    fn steps(&self) -> MutexGuard<'_, Vec<UnlockStep>> {
        self.steps.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn line(&self) -> String {
        self.steps()
            .iter()
            .map(|s| texts::step_text(self.lang, *s))
            .collect::<Vec<_>>()
            .join(" → ")
    }

    /// Redraws the line in place (terminals only).
    fn draw(&self, frame: &str) {
        let line = self.line();
        self.style.put(format!(
            "\r\x1b[2K{}{} {}…",
            self.indent,
            self.style.warn(frame),
            line
        ));
    }
}

impl UnlockListener for Progress {
    fn on_step(&self, step: UnlockStep) {
        let first = {
            let mut steps = self.steps();
            steps.push(step);
            steps.len() == 1
        };
        if !self.style.tty {
            let text = texts::step_text(self.lang, step);
            if first {
                self.style.put(format!("{}{text}", self.indent));
            } else {
                self.style.put(format!(" → {text}"));
            }
        }
    }
}

/// Ends the progress line with the outcome, then prints the next steps
/// (if any) under it.
pub fn print_outcome(
    style: Style,
    lang: Lang,
    attempt: &Attempt,
    steps: &[texts::NextStep],
    indent: &str,
) {
    let ms = attempt.millis();
    let sep = if attempt.steps.is_empty() { "" } else { "  " };
    if texts::opened(&attempt.outcome) {
        style.say(format!("{sep}{} {ms} ms", style.ok("✓")));
    } else {
        let text = texts::outcome_text(lang, &attempt.outcome);
        style.say(format!(
            "{sep}{} {}  {ms} ms",
            style.bad("✗"),
            style.bad(&text)
        ));
    }
    if steps.is_empty() {
        return;
    }
    style.say(format!(
        "{indent}{}",
        style.bold(texts::next_steps_heading(lang, &attempt.outcome))
    ));
    for step in steps {
        style.say(format!(
            "{indent}  {:<6} {}",
            step.routine.as_deref().unwrap_or("—"),
            step.text
        ));
    }
}

/// Opens the door of `visit_id`, showing progress on the current line
/// (indented by `indent`). Leaves the cursor after the steps, for the
/// caller to print the outcome and end the line.
pub async fn open_door(
    app: &Arc<NyckelfriApp>,
    visit_id: &str,
    style: Style,
    lang: Lang,
    indent: &str,
) -> Result<Attempt, NyckelfriError> {
    let progress = Arc::new(Progress {
        steps: Mutex::new(Vec::new()),
        style,
        lang,
        indent: indent.to_owned(),
    });
    let ticker = style.tty.then(|| {
        let p = Arc::clone(&progress);
        tokio::spawn(async move {
            for frame in FRAMES.iter().cycle() {
                p.draw(frame);
                tokio::time::sleep(Duration::from_millis(80)).await;
            }
        })
    });
    let listener: Arc<dyn UnlockListener> = progress.clone();
    let started = Instant::now();
    let result = app.open_door(visit_id.to_owned(), listener).await;
    let took = started.elapsed();
    if let Some(t) = ticker {
        t.abort();
        let _ = t.await;
        style.put(format!("\r\x1b[2K{}{}", progress.indent, progress.line()));
    } else if progress.steps().is_empty() {
        style.put(&progress.indent);
    }
    let outcome = result?;
    let steps = progress.steps().clone();
    Ok(Attempt {
        outcome,
        took,
        steps,
    })
}

//! The commands for real use, each in its own file.

pub mod enroll;
pub mod lock_sim;
pub mod open;
pub mod scan;
pub mod server;
pub mod sync;
pub mod visits;

use std::path::PathBuf;

use chrono_tz::Tz;
use nyckelfri_core::NyckelfriApp;

use crate::exit::CliError;
use crate::localtime;
use crate::style::Style;
use crate::texts::Lang;

/// What every command gets.
pub struct Ctx {
    /// `--data-dir`, if given.
    pub data_dir: Option<PathBuf>,
    /// `--lang`.
    pub lang: Lang,
    /// Output mode.
    pub style: Style,
}

impl Ctx {
    /// The data directory in effect.
    pub fn dir(&self) -> Result<PathBuf, CliError> {
        crate::device::data_dir(self.data_dir.clone())
    }

    /// Prints `value` as the command's one JSON document.
    pub fn print_json(&self, value: &serde_json::Value) {
        println!("{value}");
    }
}

/// The time zone of the worker's unit (from today's first visit), for display.
pub fn display_zone(app: &NyckelfriApp) -> Tz {
    app.today_visits()
        .ok()
        .and_then(|v| v.into_iter().next())
        .and_then(|v| app.unit_settings(v.unit_id).ok())
        .map(|s| localtime::zone(&s.time_zone))
        .unwrap_or(localtime::DEFAULT_TZ)
}

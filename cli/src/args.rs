//! The command line: every command, its options and its `--help`.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::texts::Lang;

const AFTER_HELP: &str = "\
Exit codes: 0 done; 1 the job failed (e.g. a door did not open); 2 wrong usage;
3 server or network unreachable (doors still open offline); 4 not enrolled or a
set-up problem (key file, database, Bluetooth, dbus-daemon).

Start here:  nyckelfri demo";

/// Nyckelfri: open the doors of home care visits with the phone's keys.
///
/// `demo` plays a care worker's day end to end; the other commands use the
/// same core the phones run, for real locks and development.
#[derive(Parser, Debug)]
#[command(name = "nyckelfri", version, after_help = AFTER_HELP)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes.
#[derive(Args, Debug)]
pub struct Global {
    /// Where this device keeps its state: the database, the device key and
    /// (for `server`) the server's data in DIR/server. Default:
    /// $XDG_DATA_HOME/nyckelfri or ~/.local/share/nyckelfri.
    #[arg(long, global = true, env = "NYCKELFRI_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Language of what the care worker reads (next steps, outcomes).
    #[arg(long, global = true, value_enum, default_value_t = Lang::Sv)]
    pub lang: Lang,
    /// Print one JSON document on stdout instead of text (for scripts).
    #[arg(long, global = true)]
    pub json: bool,
}

/// How the demo reaches its simulated locks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TransportChoice {
    /// In the same process, no radio and no D-Bus.
    Memory,
    /// Through the app's real Bluetooth code (btleplug) to the stand-in
    /// BlueZ on a private D-Bus (needs dbus-daemon).
    Ble,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Play a care worker's day end to end (start here).
    ///
    /// A server on SQLite in a temporary folder, the demo municipality, simulated locks, this
    /// device enrolled and synced; doors open, the network drops and doors
    /// still open, a lock jams and the worker gets the routine's next
    /// steps, the events reach the server when the network returns. Ends
    /// with a summary table (or JSON). Leaves nothing behind.
    Demo {
        /// How to reach the simulated locks. Default: the stand-in BlueZ
        /// when dbus-daemon is installed, otherwise in memory.
        #[arg(long, value_enum)]
        transport: Option<TransportChoice>,
        /// The day to play (YYYY-MM-DD). Default: today in Europe/Stockholm.
        #[arg(long, value_name = "DATE")]
        date: Option<chrono::NaiveDate>,
    },
    /// Run the backend (the reference server).
    ///
    /// Its data is in DATA_DIR/server: SQLite there by default, PostgreSQL
    /// with DATABASE_URL. Runs until Ctrl-C.
    Server {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// Load the demo municipality first (for today) and print a
        /// one-time enrollment code per staff member; the demo locks' keys
        /// go to DATA_DIR/server/demo-locks.json for `nyckelfri lock-sim --demo`.
        #[arg(long)]
        demo_data: bool,
        /// PostgreSQL (postgres://…) instead of the SQLite file.
        #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
        database_url: Option<String>,
    },
    /// Enroll this device with a one-time code from the coordinator.
    ///
    /// Codes also come from `nyckelfri server --demo-data`. The device key
    /// is made here and never leaves DATA_DIR.
    Enroll {
        /// The server, e.g. https://nyckelfri.example.se or http://127.0.0.1:8080.
        #[arg(long, value_name = "URL", value_parser = server_url)]
        server: String,
        /// The one-time enrollment code, e.g. K7QM-2XPD-9FRA.
        #[arg(long)]
        code: String,
        /// A name for this device in the server's device list.
        #[arg(long, default_value = "nyckelfri CLI")]
        label: String,
    },
    /// Send the recorded events and fetch today's visits and keys.
    Sync,
    /// Today's visits with the status of each key (works offline).
    Visits,
    /// Open the door of a visit over Bluetooth (BlueZ on Linux).
    ///
    /// Shows progress; on failure prints the outage routine's next steps.
    Open {
        /// The visit's id (see `nyckelfri visits`).
        visit: String,
        /// Seconds to look for and connect to the lock.
        #[arg(long, default_value_t = 10)]
        timeout: u32,
    },
    /// List Nyckelfri locks nearby over Bluetooth: tag, flags, signal.
    ///
    /// Finds the simulated locks of `nyckelfri lock-sim` when
    /// DBUS_SYSTEM_BUS_ADDRESS points at its bus.
    Scan {
        /// How long to listen, in seconds.
        #[arg(long, default_value_t = 5)]
        seconds: u64,
    },
    /// Serve simulated locks behind a stand-in BlueZ, for development.
    ///
    /// Starts a private D-Bus, prints the bus address to export, and runs
    /// until Ctrl-C.
    LockSim {
        /// Number of fresh locks (lock-0001, …) trusting a fresh issuer; their
        /// keys go to DATA_DIR/lock-sim.json.
        #[arg(long, default_value_t = 3, conflicts_with = "demo")]
        count: usize,
        /// Serve the demo municipality's locks instead, with the keys of
        /// `nyckelfri server --demo-data` (DATA_DIR/server), trusting that
        /// server's issuer.
        #[arg(long)]
        demo: bool,
    },
}

fn server_url(s: &str) -> Result<String, String> {
    if s.starts_with("https://") || s.starts_with("http://") {
        Ok(s.trim_end_matches('/').to_owned())
    } else {
        Err(format!(
            "'{s}' is not a server address; give one like https://nyckelfri.example.se"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }
}

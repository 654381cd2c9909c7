//! Exit codes scripts can trust, and errors that say what to do.
//!
//! | code | meaning |
//! |---|---|
//! | 0 | done |
//! | 1 | the job failed (a door that should open did not, a check failed) |
//! | 2 | usage: a wrong command or argument (clap's own code) |
//! | 3 | the server or the network is unreachable (the device keeps working offline) |
//! | 4 | not enrolled, or a set-up problem (key file, database, Bluetooth, dbus-daemon) |

use std::process::ExitCode;

use nyckelfri_core::NyckelfriError;

/// Why the command failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// The job failed.
    Failed = 1,
    /// Wrong usage.
    Usage = 2,
    /// Server or network unreachable.
    Unreachable = 3,
    /// Not enrolled, or a set-up problem.
    Setup = 4,
}

impl Exit {
    /// The process exit code.
    pub fn code(self) -> ExitCode {
        ExitCode::from(self as u8)
    }

    /// A short name for the JSON error document.
    pub fn name(self) -> &'static str {
        match self {
            Exit::Failed => "failed",
            Exit::Usage => "usage",
            Exit::Unreachable => "unreachable",
            Exit::Setup => "setup",
        }
    }
}

/// An error with its exit code and what to do about it.
#[derive(Debug)]
pub struct CliError {
    /// The exit code.
    pub exit: Exit,
    /// What went wrong.
    pub message: String,
    /// What to do next.
    pub hint: Option<String>,
    /// The command already printed its JSON document (no second one).
    pub json_done: bool,
}

impl CliError {
    /// A failure with a hint.
    pub fn new(exit: Exit, message: impl Into<String>, hint: impl Into<String>) -> Self {
        Self {
            exit,
            message: message.into(),
            hint: Some(hint.into()),
            json_done: false,
        }
    }

    /// The job failed.
    pub fn failed(message: impl Into<String>) -> Self {
        Self {
            exit: Exit::Failed,
            message: message.into(),
            hint: None,
            json_done: false,
        }
    }

    /// Marks the command's output (and JSON document) as already printed.
    pub fn printed(mut self) -> Self {
        self.json_done = true;
        self
    }

    /// Prints to stderr (and, with `--json`, a JSON document to stdout).
    pub fn report(&self, json: bool) {
        eprintln!("error: {}", self.message);
        if let Some(h) = &self.hint {
            eprintln!("  what to do: {h}");
        }
        if json && !self.json_done {
            let doc = serde_json::json!({
                "ok": false,
                "error": self.exit.name(),
                "exit_code": self.exit as u8,
                "message": self.message,
                "hint": self.hint,
            });
            println!("{doc}");
        }
    }
}

const ENROLL: &str = "enroll this device with a one-time code from your coordinator: \
                      nyckelfri enroll --server URL --code CODE";

impl From<NyckelfriError> for CliError {
    fn from(e: NyckelfriError) -> Self {
        let message = e.to_string();
        match e {
            NyckelfriError::Network { reason } => CliError::new(
                Exit::Unreachable,
                if reason.starts_with("cannot reach the server") {
                    reason
                } else {
                    format!("cannot reach the server: {reason}")
                },
                "check the network and the server address, then run the command again; \
                 doors still open with the keys on this device",
            ),
            NyckelfriError::NotEnrolled => CliError::new(Exit::Setup, message, ENROLL),
            NyckelfriError::Server { status, code, .. } => match (status, code.as_str()) {
                (_, "device_revoked") => CliError::new(
                    Exit::Setup,
                    message,
                    "this device was revoked; ask your coordinator for a new code and enroll again",
                ),
                (401 | 403, _) => CliError::new(Exit::Setup, message, ENROLL),
                _ => CliError::new(
                    Exit::Failed,
                    message,
                    "the server refused the request; if it persists, tell the coordinator",
                ),
            },
            NyckelfriError::KeyFile { .. } => CliError::new(
                Exit::Setup,
                message,
                "make the key file private (chmod 600) or move it aside and enroll again",
            ),
            NyckelfriError::DatabaseCorrupt { .. } => CliError::new(
                Exit::Setup,
                message,
                "run the command again to start with a fresh database, then nyckelfri sync",
            ),
            NyckelfriError::DatabaseTooNew { .. } => CliError::new(
                Exit::Setup,
                message,
                "update nyckelfri (cargo install --path cli) and try again",
            ),
            NyckelfriError::NotFound { .. } => CliError::new(
                Exit::Failed,
                message,
                "run nyckelfri visits to see today's visit ids",
            ),
            _ => CliError::failed(message),
        }
    }
}

impl From<nyckelfri_server::Error> for CliError {
    fn from(e: nyckelfri_server::Error) -> Self {
        CliError::failed(format!("server: {e}"))
    }
}

impl From<std::io::Error> for CliError {
    fn from(e: std::io::Error) -> Self {
        CliError::failed(format!("file or system error: {e}"))
    }
}

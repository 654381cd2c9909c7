//! How output looks: colour and in-place progress only when stdout is a
//! terminal (and colour only when `NO_COLOR` is unset or empty); nothing
//! but one JSON document with `--json`.

use std::io::{IsTerminal, Write};

/// The output mode of this run.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    /// Print one JSON document and no human text.
    pub json: bool,
    /// Stdout is a terminal (progress may redraw a line).
    pub tty: bool,
    color: bool,
}

impl Style {
    /// Decides from the flags, stdout and `NO_COLOR`.
    pub fn detect(json: bool) -> Self {
        let tty = !json && std::io::stdout().is_terminal();
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Self {
            json,
            tty,
            color: tty && !no_color,
        }
    }

    fn paint(&self, code: &str, s: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_owned()
        }
    }

    /// Success.
    pub fn ok(&self, s: &str) -> String {
        self.paint("32", s)
    }
    /// Failure.
    pub fn bad(&self, s: &str) -> String {
        self.paint("31", s)
    }
    /// Worth noticing.
    pub fn warn(&self, s: &str) -> String {
        self.paint("33", s)
    }
    /// A heading.
    pub fn bold(&self, s: &str) -> String {
        self.paint("1", s)
    }
    /// Secondary detail.
    pub fn dim(&self, s: &str) -> String {
        self.paint("2", s)
    }

    /// Prints a line of human text (nothing with `--json`).
    pub fn say(&self, line: impl AsRef<str>) {
        if !self.json {
            let mut out = std::io::stdout().lock();
            // A closed stdout (e.g. `| head`) is not an error worth failing on.
            let _ = writeln!(out, "{}", line.as_ref());
        }
    }

    /// Prints text without a newline and flushes (progress).
    pub fn put(&self, text: impl AsRef<str>) {
        if !self.json {
            let mut out = std::io::stdout().lock();
            let _ = write!(out, "{}", text.as_ref());
            let _ = out.flush();
        }
    }
}

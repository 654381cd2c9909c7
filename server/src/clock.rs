//! The server's clock. Production uses the system clock; tests can pin and
//! move time to exercise windows, decision ends and the 17:00 deadline.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// A source of Unix seconds (UTC).
#[derive(Clone, Debug, Default)]
pub struct Clock {
    fixed: Option<Arc<AtomicI64>>,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Self { fixed: None }
    }

    /// A clock that stands at `unix_seconds` until moved with [`Clock::set`].
    pub fn fixed(unix_seconds: i64) -> Self {
        Self {
            fixed: Some(Arc::new(AtomicI64::new(unix_seconds))),
        }
    }

    /// Now, in Unix seconds.
    pub fn now(&self) -> i64 {
        match &self.fixed {
            Some(t) => t.load(Ordering::SeqCst),
            None => SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
                .unwrap_or(0),
        }
    }

    /// Moves a fixed clock (no effect on the system clock).
    pub fn set(&self, unix_seconds: i64) {
        if let Some(t) = &self.fixed {
            t.store(unix_seconds, Ordering::SeqCst);
        }
    }

    /// Moves a fixed clock forward by `secs`.
    pub fn advance(&self, secs: i64) {
        if let Some(t) = &self.fixed {
            t.fetch_add(secs, Ordering::SeqCst);
        }
    }
}

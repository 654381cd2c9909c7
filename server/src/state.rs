//! The shared state of one server instance. Nothing here is per-client:
//! sessions, challenges and the revocation list live in the database, so
//! several instances can serve one database.

use std::sync::Arc;

use nyckelfri_protocol::{PublicKey, Signer, SoftwareKey};

use crate::audit;
use crate::clock::Clock;
use crate::db::Db;
use crate::model::IssuerInfo;
use crate::policy::Policy;
use crate::ratelimit::{Limiter, RateLimits};

/// Tunables of token issuance and sessions.
#[derive(Debug, Clone)]
pub struct Settings {
    /// How long before a visit's start and after its end a token is valid.
    pub token_margin_secs: i64,
    /// Lifetime of a device session.
    pub session_ttl_secs: i64,
    /// Lifetime of an authentication challenge.
    pub challenge_ttl_secs: i64,
    /// Lifetime of an enrollment code.
    pub enrollment_code_ttl_secs: i64,
    /// Lifetime of a commissioning grant.
    pub grant_ttl_secs: i64,
    /// Lifetime of an install or demo token (alarm technicians).
    pub install_token_secs: i64,
    /// R2.3: this many distinct locks with open outage cases, in any
    /// units, opened within [`Settings::major_outage_window_secs`] make
    /// the server suggest a major outage to the alarm group (who declare
    /// it). Municipality-wide: a major outage is the municipality's.
    pub major_outage_locks: u32,
    /// R2.3: the window those cases must open within.
    pub major_outage_window_secs: i64,
    /// R2.3: the unit whose unit manager leads the alarm group (told at
    /// once of a major outage). When `None`, the declaring technician's
    /// own unit.
    pub alarm_group_unit_id: Option<String>,
    /// Rate limits on enrollment and authentication.
    pub rate_limits: RateLimits,
    /// Email through the municipality's SMTP relay (R2.4, R2.14); emails
    /// wait in the database while it is `None` or unreachable.
    pub mail: Option<MailSettings>,
    /// How often the scheduler acts on dates (decisions ending, orders due,
    /// deadlines passing, emails to send). 0: never in the background
    /// (tests run `scheduler::tick` themselves with a pinned clock).
    pub scheduler_interval_secs: u64,
}

/// The SMTP relay.
#[derive(Clone)]
pub struct MailSettings {
    /// `smtp://host:port` (plain, as on loopback), `smtp://host:587?tls=required`
    /// (STARTTLS) or `smtps://user:password@host:465` (TLS).
    pub smtp_url: String,
    /// The sender, e.g. `Nyckelfri <nyckelfri@kommun.se>`.
    pub from: String,
}

impl std::fmt::Debug for MailSettings {
    // The URL may hold the relay's password: never in logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailSettings")
            .field("smtp_url", &"(hidden)")
            .field("from", &self.from)
            .finish()
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            token_margin_secs: 45 * 60,
            session_ttl_secs: 60 * 60,
            challenge_ttl_secs: 120,
            enrollment_code_ttl_secs: 7 * 24 * 3600,
            grant_ttl_secs: 24 * 3600,
            install_token_secs: 4 * 3600,
            major_outage_locks: 5,
            major_outage_window_secs: 3600,
            alarm_group_unit_id: None,
            rate_limits: RateLimits::default(),
            mail: None,
            scheduler_interval_secs: 60,
        }
    }
}

/// The state every handler gets.
#[derive(Clone)]
pub struct AppState(pub(crate) Arc<Inner>);

pub(crate) struct Inner {
    pub db: Db,
    pub issuer: SoftwareKey,
    pub issuer_public: PublicKey,
    pub clock: Clock,
    pub settings: Settings,
    pub admin_token_hash: String,
    pub policy: Arc<Policy>,
    pub audit: audit::Log,
    pub limiter: Limiter,
}

impl AppState {
    /// Needs a tokio runtime (the audit log's writer starts on it).
    pub(crate) fn new(
        db: Db,
        issuer: SoftwareKey,
        clock: Clock,
        settings: Settings,
        admin_token_hash: String,
        policy: Policy,
        limiter: Limiter,
    ) -> Self {
        let issuer_public = issuer.public_key();
        let audit = audit::Log::start(db.clone());
        Self(Arc::new(Inner {
            db,
            issuer,
            issuer_public,
            clock,
            settings,
            admin_token_hash,
            policy: Arc::new(policy),
            audit,
            limiter,
        }))
    }

    /// The authorization policy.
    pub fn policy(&self) -> &Arc<Policy> {
        &self.0.policy
    }

    /// The audit log's writer.
    pub fn audit(&self) -> &audit::Log {
        &self.0.audit
    }

    /// The rate limiters.
    pub(crate) fn limiter(&self) -> &Limiter {
        &self.0.limiter
    }

    /// The database.
    pub fn db(&self) -> &Db {
        &self.0.db
    }

    /// Now, Unix seconds.
    pub fn now(&self) -> i64 {
        self.0.clock.now()
    }

    /// The issuer key (signs tokens, lists and grants).
    pub(crate) fn issuer(&self) -> &SoftwareKey {
        &self.0.issuer
    }

    /// Tunables.
    pub fn settings(&self) -> &Settings {
        &self.0.settings
    }

    /// The issuer's public key as the API shows it.
    pub fn issuer_info(&self) -> IssuerInfo {
        IssuerInfo {
            public_key: hex::encode(self.0.issuer_public.as_bytes()),
            key_id: hex::encode(self.0.issuer_public.key_id()),
            algorithm: "ES256".into(),
        }
    }
}

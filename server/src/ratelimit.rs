//! Rate limits on the endpoints anyone can call: `POST /v1/enroll`,
//! `POST /v1/auth/challenge`, `POST /v1/auth/session`. One bucket per
//! client address (the TCP peer; the right-most `X-Forwarded-For` entry
//! only when the server is configured to sit behind a proxy that sets it)
//! and, for challenges, one per device. Together with the bound on a
//! device's pending challenges (see `api::device::challenge`) a flood
//! neither fills the database nor slows the service for others: a refused
//! request costs a hash lookup and no database work.
//!
//! The buckets live in this instance's memory (several instances each
//! limit on their own); the janitor forgets idle ones.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::num::NonZeroU32;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::error::{Error, Result};
use crate::state::AppState;

/// The limits (per minute, with a burst).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimits {
    /// Requests one address may make at once.
    pub per_address_burst: u32,
    /// Requests one address may make per minute, sustained. Generous: a
    /// municipality's office network puts many phones behind one address.
    pub per_address_per_minute: u32,
    /// Challenges one device may ask for at once.
    pub per_device_burst: u32,
    /// Challenges one device may ask for per minute, sustained.
    pub per_device_per_minute: u32,
    /// Unanswered, unexpired challenges one device may hold.
    pub max_pending_challenges: u32,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self {
            per_address_burst: 300,
            per_address_per_minute: 1200,
            per_device_burst: 10,
            per_device_per_minute: 30,
            max_pending_challenges: 8,
        }
    }
}

/// The limiters of one instance.
pub struct Limiter {
    address: DefaultKeyedRateLimiter<IpAddr>,
    device: DefaultKeyedRateLimiter<String>,
    trust_forwarded_for: bool,
    clock: DefaultClock,
}

fn quota(burst: u32, per_minute: u32, what: &str) -> Result<Quota> {
    let burst = NonZeroU32::new(burst)
        .ok_or_else(|| Error::Config(format!("the {what} burst must be at least 1")))?;
    let rate = NonZeroU32::new(per_minute)
        .ok_or_else(|| Error::Config(format!("the {what} rate must be at least 1 a minute")))?;
    Ok(Quota::per_minute(rate).allow_burst(burst))
}

impl Limiter {
    /// Limiters for `limits`.
    pub fn new(limits: &RateLimits, trust_forwarded_for: bool) -> Result<Limiter> {
        Ok(Limiter {
            address: RateLimiter::dashmap(quota(
                limits.per_address_burst,
                limits.per_address_per_minute,
                "per-address",
            )?),
            device: RateLimiter::dashmap(quota(
                limits.per_device_burst,
                limits.per_device_per_minute,
                "per-device",
            )?),
            trust_forwarded_for,
            clock: DefaultClock::default(),
        })
    }

    fn refused(
        &self,
        not_until: governor::NotUntil<<DefaultClock as governor::clock::Clock>::Instant>,
    ) -> Error {
        let wait = not_until.wait_time_from(self.clock.now());
        Error::RateLimited {
            retry_after_secs: wait.as_secs() + u64::from(wait.subsec_nanos() > 0),
        }
    }

    /// 429 when `ip` has used its budget.
    pub fn check_address(&self, ip: IpAddr) -> Result<()> {
        self.address.check_key(&ip).map_err(|n| self.refused(n))
    }

    /// 429 when `device_id` has used its budget of challenges.
    pub fn check_device(&self, device_id: &str) -> Result<()> {
        self.device
            .check_key(&device_id.to_owned())
            .map_err(|n| self.refused(n))
    }

    /// The client's address: the peer, or with a trusted proxy the
    /// right-most `X-Forwarded-For` entry (the one the proxy added).
    fn client(&self, parts: &Parts) -> IpAddr {
        if self.trust_forwarded_for
            && let Some(ip) = parts
                .headers
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .filter_map(|s| s.trim().parse::<IpAddr>().ok())
                .next_back()
        {
            return ip;
        }
        parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip())
            .unwrap_or(IpAddr::V6(Ipv6Addr::UNSPECIFIED))
    }

    /// Forgets buckets that are full again (the janitor calls it).
    pub fn forget_idle(&self) {
        self.address.retain_recent();
        self.device.retain_recent();
        self.address.shrink_to_fit();
        self.device.shrink_to_fit();
    }
}

/// Extractor for the unauthenticated endpoints: refuses (429) a client
/// address over its budget before the handler touches the database.
pub struct AddressLimited;

impl FromRequestParts<AppState> for AddressLimited {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self> {
        let limiter = state.limiter();
        limiter.check_address(limiter.client(parts))?;
        Ok(AddressLimited)
    }
}

//! HTTP to the server: rustls on ring with Mozilla's roots (no aws-lc, no
//! platform verifier to initialise on Android), JSON bodies, and retries
//! with exponential backoff for what may pass (no connection, timeouts,
//! 5xx, 503 busy, an unreadable answer). A 4xx is the server's final word.

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::session_cache::SessionCache;
use super::wire::ErrorWire;
use crate::error::NyckelfriError;

/// Attempts per request (the first try and the retries).
const ATTEMPTS: u32 = 4;

pub(crate) struct Client {
    http: reqwest::Client,
    base: String,
    backoff: Duration,
    /// The session to forget when the server answers 401.
    sessions: Option<Arc<SessionCache>>,
}

/// What went wrong with one request.
pub(crate) enum Failure {
    /// Worth retrying: no connection, timeout, 5xx, unreadable answer.
    Transient(String),
    /// The server refused (4xx).
    Refused {
        status: u16,
        code: String,
        message: String,
    },
}

impl From<Failure> for NyckelfriError {
    fn from(f: Failure) -> Self {
        match f {
            Failure::Transient(reason) => NyckelfriError::Network { reason },
            Failure::Refused {
                status,
                code,
                message,
            } => NyckelfriError::Server {
                status,
                code,
                detail: message,
            },
        }
    }
}

impl Client {
    pub(crate) fn new(base: &str, backoff: Duration) -> Result<Self, NyckelfriError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let roots = rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| NyckelfriError::Internal {
                reason: format!("TLS setup: {e}"),
            })?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let http = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(20))
            .build()
            .map_err(|e| NyckelfriError::Internal {
                reason: format!("HTTP client: {e}"),
            })?;
        let base = base.trim_end_matches('/').to_owned();
        check_server_url(&base)?;
        Ok(Self {
            http,
            base,
            backoff,
            sessions: None,
        })
    }

    /// The server's base address.
    pub(crate) fn base(&self) -> &str {
        &self.base
    }

    /// A 401 from this client forgets the kept session.
    pub(crate) fn forget_session_on_401(&mut self, sessions: Arc<SessionCache>) {
        self.sessions = Some(sessions);
    }

    /// POSTs `body` as JSON and reads the JSON answer, retrying what may pass.
    pub(crate) async fn post<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
        bearer: Option<&str>,
    ) -> Result<T, Failure> {
        let body = serde_json::to_vec(body).map_err(|e| Failure::Transient(e.to_string()))?;
        self.with_retries(|| {
            let mut req = self
                .http
                .post(format!("{}{path}", self.base))
                .header("content-type", "application/json")
                .body(body.clone());
            if let Some(t) = bearer {
                req = req.bearer_auth(t);
            }
            req
        })
        .await
    }

    /// GETs JSON, retrying what may pass.
    pub(crate) async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        bearer: &str,
    ) -> Result<T, Failure> {
        self.with_retries(|| {
            self.http
                .get(format!("{}{path}", self.base))
                .bearer_auth(bearer)
        })
        .await
    }

    async fn with_retries<T: DeserializeOwned>(
        &self,
        make: impl Fn() -> reqwest::RequestBuilder,
    ) -> Result<T, Failure> {
        let mut wait = self.backoff;
        let mut last = Failure::Transient("not tried".into());
        for attempt in 0..ATTEMPTS {
            if attempt > 0 {
                tokio::time::sleep(wait).await;
                wait = wait.saturating_mul(2).min(Duration::from_secs(30));
            }
            match once(make()).await {
                Ok(v) => return Ok(v),
                Err(f @ Failure::Refused { status: 401, .. }) => {
                    if let Some(s) = &self.sessions {
                        s.clear();
                    }
                    return Err(f);
                }
                Err(f @ Failure::Refused { .. }) => return Err(f),
                Err(f) => last = f,
            }
        }
        Err(last)
    }
}

/// The server's address must be `https://`: the session token, the keys
/// and the brukare's entry notes travel over it. Plain `http://` only to
/// this device itself (loopback: tests, a local demo server).
pub(crate) fn check_server_url(base: &str) -> Result<(), NyckelfriError> {
    let refuse = |why: &str| NyckelfriError::InvalidInput {
        reason: format!("server address {base}: {why}"),
    };
    let url = reqwest::Url::parse(base).map_err(|_| refuse("not a URL"))?;
    match url.scheme() {
        "https" => {}
        "http" => {
            let host = url.host_str().unwrap_or("");
            let bare = host.trim_start_matches('[').trim_end_matches(']');
            let loopback = bare.eq_ignore_ascii_case("localhost")
                || bare
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback());
            if !loopback {
                return Err(refuse(
                    "must start with https:// (http:// only to this device itself)",
                ));
            }
        }
        _ => return Err(refuse("must start with https://")),
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(refuse("names no host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(refuse("must not carry a user name or password"));
    }
    Ok(())
}

async fn once<T: DeserializeOwned>(req: reqwest::RequestBuilder) -> Result<T, Failure> {
    let resp = req.send().await.map_err(|e| {
        Failure::Transient(if e.is_timeout() {
            "the server did not answer in time".into()
        } else if e.is_connect() {
            "cannot reach the server".into()
        } else {
            format!("request failed: {e}")
        })
    })?;
    let status = resp.status();
    let bytes = resp
        .bytes()
        .await
        .map_err(|e| Failure::Transient(format!("the answer was cut off: {e}")))?;
    if status.is_success() {
        return serde_json::from_slice(&bytes)
            .map_err(|e| Failure::Transient(format!("unreadable answer from the server: {e}")));
    }
    if status.is_server_error() || status.as_u16() == 429 {
        return Err(Failure::Transient(format!(
            "server error {}",
            status.as_u16()
        )));
    }
    let (code, message) = match serde_json::from_slice::<ErrorWire>(&bytes) {
        Ok(e) => (e.error, e.message.unwrap_or_default()),
        Err(_) => (
            "unknown".into(),
            String::from_utf8_lossy(&bytes).chars().take(200).collect(),
        ),
    };
    Err(Failure::Refused {
        status: status.as_u16(),
        code,
        message,
    })
}

#[cfg(test)]
mod tests {
    use super::check_server_url;

    #[test]
    fn only_https_or_this_device_itself() {
        for ok in [
            "https://nyckelfri.botkyrka.se",
            "https://10.0.0.5:8443",
            "http://127.0.0.1:8080",
            "http://127.0.0.2",
            "http://localhost:3000",
            "http://[::1]:8080",
        ] {
            assert!(check_server_url(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://nyckelfri.botkyrka.se",
            "http://192.168.1.5:8080",
            "http://10.0.0.5",
            "http://localhost.evil.example",
            "http://127.0.0.1.nip.io",
            "ftp://127.0.0.1",
            "nyckelfri.botkyrka.se",
            "https://user:pw@nyckelfri.botkyrka.se",
            "",
        ] {
            assert!(check_server_url(bad).is_err(), "{bad}");
        }
    }
}

//! The demo server's HTTP API, called as an administrator: the home care
//! group's order and the coordinator's actions, as their tools would.

use serde_json::Value;

use crate::exit::{CliError, Exit};

/// The demo server's HTTP API, as an administrator's tool would use it.
pub struct Api {
    http: reqwest::Client,
    url: String,
    token: String,
}

impl Api {
    /// A client for `url` with the admin token.
    pub fn new(url: &str, admin_token: &str) -> Api {
        // reqwest is built without a TLS provider of its own; loopback needs
        // none, but the client still wants one installed.
        let _ = rustls::crypto::ring::default_provider().install_default();
        Api {
            http: reqwest::Client::new(),
            url: url.to_owned(),
            token: admin_token.to_owned(),
        }
    }

    /// One call; the JSON answer, or an error that says what went wrong.
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, CliError> {
        let url = format!("{}{path}", self.url);
        let req = match method {
            "GET" => self.http.get(url),
            _ => self
                .http
                .post(url)
                .header("content-type", "application/json")
                .body(body.map_or_else(|| "{}".to_owned(), |b| b.to_string())),
        };
        let resp = req.bearer_auth(&self.token).send().await.map_err(|e| {
            CliError::new(
                Exit::Unreachable,
                format!("server call {path}: {e}"),
                "is the demo server running?",
            )
        })?;
        let status = resp.status();
        let text = resp.text().await.unwrap_or_default();
        if !status.is_success() {
            return Err(CliError::new(
                Exit::Failed,
                format!("server call {path}: {status} {text}"),
                "this is a bug in the demo; please report it",
            ));
        }
        serde_json::from_str(&text).map_err(|e| {
            CliError::new(
                Exit::Failed,
                format!("server call {path}: {e}"),
                "report it",
            )
        })
    }
}

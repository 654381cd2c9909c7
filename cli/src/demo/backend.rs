//! The demo's server: the reference backend on SQLite in the demo's
//! temporary folder, on a clock the demo moves. "The network drops" by
//! shutting it down; "the network returns" by starting it again on the same
//! folder and port (the database and the issuer key are kept).

use std::net::SocketAddr;
use std::path::Path;

use chrono::NaiveDate;
use nyckelfri_protocol::PublicKey;
use nyckelfri_server::{Clock, Config, DemoSummary, Server, ServerHandle};

use crate::exit::CliError;

/// The server, up or down.
pub struct Backend {
    config: Config,
    handle: Option<ServerHandle>,
    /// `http://127.0.0.1:PORT`, the same whether up or down.
    pub url: String,
}

impl Backend {
    /// Starts on a free loopback port with its clock at `now`.
    pub async fn start(dir: &Path, clock: Clock) -> Result<Backend, CliError> {
        let mut config = Config::new(dir.join("server"));
        config.listen = SocketAddr::from(([127, 0, 0, 1], 0));
        config.clock = clock;
        let handle = Server::start(config.clone()).await?;
        // Come back on the same port: the app remembers the address.
        config.listen = handle.local_addr();
        Ok(Backend {
            url: handle.url(),
            config,
            handle: Some(handle),
        })
    }

    fn up(&self) -> Result<&ServerHandle, CliError> {
        self.handle
            .as_ref()
            .ok_or_else(|| CliError::failed("the demo server is down"))
    }

    /// Loads the demo municipality with visits on `date`.
    pub async fn load_demo(&self, date: NaiveDate, now: i64) -> Result<DemoSummary, CliError> {
        Ok(nyckelfri_server::load_demo(self.up()?.db(), date, now).await?)
    }

    /// The key the locks must trust.
    pub fn issuer(&self) -> Result<PublicKey, CliError> {
        Ok(self.up()?.issuer_public_key())
    }

    /// Where the SQLite file and keys live.
    pub fn admin_token(&self) -> Result<String, CliError> {
        Ok(self.up()?.admin_token().to_owned())
    }

    /// The server's data folder.
    pub fn data_dir(&self) -> &Path {
        &self.config.data_dir
    }

    /// The network drops: the server stops answering.
    pub async fn go_down(&mut self) -> Result<(), CliError> {
        if let Some(h) = self.handle.take() {
            h.shutdown().await?;
        }
        Ok(())
    }

    /// The network returns: the same server, data and address.
    pub async fn come_back(&mut self) -> Result<(), CliError> {
        if self.handle.is_none() {
            self.handle = Some(Server::start(self.config.clone()).await?);
        }
        Ok(())
    }

    /// Every event the server stored from `device_id`: (id, kind), one row each.
    pub async fn stored_events(&self, device_id: &str) -> Result<Vec<(String, String)>, CliError> {
        Ok(nyckelfri_server::store::stored_events(self.up()?.db(), device_id).await?)
    }

    /// Stops the server.
    pub async fn shutdown(mut self) -> Result<(), CliError> {
        self.go_down().await
    }
}

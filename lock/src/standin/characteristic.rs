//! `org.bluez.GattCharacteristic1`: the lock's characteristics and what the
//! lock does on each operation. Request fragments go to the simulated lock;
//! its answers go out as notifications on Response; enabling notifications
//! on Response starts a session (the Hello). Echo (stand-in only) notifies
//! back whatever is written, for raw round-trip measurements.

use std::collections::HashMap;
use std::sync::Arc;

use nyckelfri_protocol::framing::ATT_OVERHEAD;
use nyckelfri_protocol::gatt::{
    INFO_CHAR_UUID_STR, REQUEST_CHAR_UUID_STR, RESPONSE_CHAR_UUID_STR, info_value,
};
use zbus::interface;
use zbus::zvariant::{OwnedObjectPath, OwnedValue, Value};

use crate::standin::ECHO_CHAR_UUID_STR;
use crate::standin::error::BluezError;
use crate::standin::link;
use crate::standin::slot::{Notifier, Slot};
use crate::standin::tree::{CHAR_IFACE, emit_changed};

/// Which characteristic an object is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    Request,
    Response,
    Info,
    Echo,
}

/// `WriteValue`'s `type` option.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum WriteKind {
    /// Write with response: acknowledged, one connection interval later.
    Request,
    /// Write without response: no acknowledgement to wait for.
    Command,
}

/// The D-Bus object of one characteristic.
pub(crate) struct Characteristic {
    slot: Arc<Slot>,
    role: Role,
}

impl Characteristic {
    pub(crate) fn new(slot: Arc<Slot>, role: Role) -> Self {
        Self { slot, role }
    }

    fn not_connected() -> BluezError {
        BluezError::Failed("Not connected".into())
    }

    fn connected(&self) -> Result<usize, BluezError> {
        let link = self.slot.link();
        if link.connected {
            Ok(link.mtu)
        } else {
            Err(Self::not_connected())
        }
    }

    async fn acknowledge(&self) {
        let latency = self.slot.controls.faults().latency;
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
    }

    /// A fragment for the lock; its answer (if the message is complete) is
    /// notified; the link-drop fault fires after the Nth fragment.
    async fn write_request(&self, value: &[u8], kind: WriteKind) -> Result<(), BluezError> {
        let mtu = self.connected()?;
        let written = {
            let mut link = self.slot.link();
            link.written += 1;
            link.written
        };
        let now_ms = self.slot.now_ms();
        let reply = self.slot.sim().receive_fragment(value, now_ms, mtu);
        if let Some(fragments) = reply {
            self.slot.send_fragments(Notifier::Response, fragments);
        }
        let drop_after = self.slot.controls.faults().drop_link_after_writes;
        if drop_after.is_some_and(|n| written >= n) {
            link::drop_link(&self.slot).await?;
            // A command was already on its way; a request loses its response.
            return match kind {
                WriteKind::Command => Ok(()),
                WriteKind::Request => Err(Self::not_connected()),
            };
        }
        Ok(())
    }
}

fn write_kind(options: &HashMap<String, OwnedValue>) -> Result<WriteKind, BluezError> {
    let Some(kind) = options.get("type") else {
        // BlueZ's default when the characteristic allows a write request.
        return Ok(WriteKind::Request);
    };
    match kind.downcast_ref::<&str>() {
        Ok("request") => Ok(WriteKind::Request),
        Ok("command") => Ok(WriteKind::Command),
        Ok("reliable") => Err(BluezError::NotSupported(
            "Reliable write not supported".into(),
        )),
        _ => Err(BluezError::InvalidArguments("Invalid write type".into())),
    }
}

#[interface(name = "org.bluez.GattCharacteristic1")]
impl Characteristic {
    async fn read_value(
        &self,
        _options: HashMap<String, OwnedValue>,
    ) -> Result<Vec<u8>, BluezError> {
        if self.role != Role::Info {
            return Err(BluezError::NotPermitted("Read not permitted".into()));
        }
        let _att = self.slot.att.lock().await;
        self.connected()?;
        self.acknowledge().await;
        let value = info_value().to_vec();
        let changed = {
            let mut link = self.slot.link();
            let changed = link.info_value != value;
            link.info_value.clone_from(&value);
            changed
        };
        if changed {
            // BlueZ updates the cached Value after a read and says so.
            emit_changed(
                &self.slot.conn,
                &self.slot.paths.info,
                CHAR_IFACE,
                vec![("Value", Value::from(value.clone()))],
            )
            .await?;
        }
        Ok(value)
    }

    async fn write_value(
        &self,
        value: Vec<u8>,
        options: HashMap<String, OwnedValue>,
    ) -> Result<(), BluezError> {
        if !matches!(self.role, Role::Request | Role::Echo) {
            return Err(BluezError::NotPermitted("Write not permitted".into()));
        }
        let kind = write_kind(&options)?;
        let _att = self.slot.att.lock().await;
        let mtu = self.connected()?;
        if value.is_empty() || value.len() > mtu.saturating_sub(ATT_OVERHEAD) {
            // The lock supports no long (prepared) writes.
            return Err(BluezError::InvalidValueLength(format!(
                "{} bytes do not fit ATT_MTU {mtu}",
                value.len()
            )));
        }
        if self.role == Role::Echo {
            self.slot.send_raw(Notifier::Echo, vec![value]);
        } else {
            self.write_request(&value, kind).await?;
        }
        if kind == WriteKind::Request {
            self.acknowledge().await;
        }
        Ok(())
    }

    /// Enabling notifications (the CCCD write). On Response this starts a
    /// session: the lock sends its Hello. A second call from a subscribed
    /// client succeeds without a new session, as in BlueZ.
    async fn start_notify(&self) -> Result<(), BluezError> {
        let notifier = match self.role {
            Role::Response => Notifier::Response,
            Role::Echo => Notifier::Echo,
            Role::Request | Role::Info => {
                return Err(BluezError::NotSupported("Notify not supported".into()));
            }
        };
        let _att = self.slot.att.lock().await;
        self.connected()?;
        {
            let mut link = self.slot.link();
            let flag = match notifier {
                Notifier::Response => &mut link.notifying_response,
                Notifier::Echo => &mut link.notifying_echo,
            };
            if *flag {
                return Ok(());
            }
            *flag = true;
        }
        self.acknowledge().await;
        emit_changed(
            &self.slot.conn,
            self.path(),
            CHAR_IFACE,
            vec![("Notifying", Value::from(true))],
        )
        .await?;
        if notifier == Notifier::Response {
            let hello = self.slot.sim().connect();
            if let Some(hello) = hello {
                self.slot.send_message(Notifier::Response, &hello);
            }
        }
        Ok(())
    }

    /// Disabling notifications. On Response it ends the lock's session.
    async fn stop_notify(&self) -> Result<(), BluezError> {
        let _att = self.slot.att.lock().await;
        let was = {
            let mut link = self.slot.link();
            match self.role {
                Role::Response => std::mem::take(&mut link.notifying_response),
                Role::Echo => std::mem::take(&mut link.notifying_echo),
                Role::Request | Role::Info => false,
            }
        };
        if !was {
            return Err(BluezError::Failed("No notify session started".into()));
        }
        if self.role == Role::Response {
            self.slot.sim().disconnect();
        }
        emit_changed(
            &self.slot.conn,
            self.path(),
            CHAR_IFACE,
            vec![("Notifying", Value::from(false))],
        )
        .await?;
        Ok(())
    }

    #[zbus(property, name = "UUID")]
    fn uuid(&self) -> String {
        match self.role {
            Role::Request => REQUEST_CHAR_UUID_STR,
            Role::Response => RESPONSE_CHAR_UUID_STR,
            Role::Info => INFO_CHAR_UUID_STR,
            Role::Echo => ECHO_CHAR_UUID_STR,
        }
        .to_owned()
    }

    #[zbus(property)]
    fn service(&self) -> OwnedObjectPath {
        OwnedObjectPath::try_from(self.slot.paths.service.as_str()).unwrap_or_default()
    }

    #[zbus(property)]
    fn flags(&self) -> Vec<String> {
        let flags: &[&str] = match self.role {
            Role::Request => &["write", "write-without-response"],
            Role::Response => &["notify"],
            Role::Info => &["read"],
            Role::Echo => &["write", "write-without-response", "notify"],
        };
        flags.iter().map(|f| (*f).to_owned()).collect()
    }

    #[zbus(property)]
    fn value(&self) -> Vec<u8> {
        let link = self.slot.link();
        match self.role {
            Role::Response => link.response_value.clone(),
            Role::Echo => link.echo_value.clone(),
            Role::Info => link.info_value.clone(),
            Role::Request => Vec::new(),
        }
    }

    #[zbus(property)]
    fn notifying(&self) -> bool {
        let link = self.slot.link();
        match self.role {
            Role::Response => link.notifying_response,
            Role::Echo => link.notifying_echo,
            Role::Request | Role::Info => false,
        }
    }

    /// The link's ATT_MTU, `q` (uint16), as BlueZ ≥ 5.62 exposes it.
    #[zbus(property, name = "MTU")]
    fn mtu(&self) -> u16 {
        u16::try_from(self.slot.link().mtu).unwrap_or(u16::MAX)
    }
}

impl Characteristic {
    fn path(&self) -> &str {
        let p = &self.slot.paths;
        match self.role {
            Role::Request => &p.request,
            Role::Response => &p.response,
            Role::Info => &p.info,
            Role::Echo => &p.echo,
        }
    }
}

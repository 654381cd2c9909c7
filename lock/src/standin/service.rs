//! `org.bluez.GattService1`: the Nyckelfri primary service, and putting the
//! whole GATT table of a connected lock on the bus and taking it off again.

use std::sync::Arc;

use nyckelfri_protocol::gatt::SERVICE_UUID_STR;
use zbus::interface;
use zbus::zvariant::OwnedObjectPath;

use crate::standin::characteristic::{Characteristic, Role};
use crate::standin::descriptor::Cccd;
use crate::standin::slot::{Notifier, Slot};

/// The D-Bus object of the Nyckelfri service.
pub(crate) struct Service {
    device: String,
}

/// Exports the service, its characteristics and their CCCDs, parents first
/// (each addition is an InterfacesAdded from the object manager, as BlueZ
/// sends while it resolves services).
pub(crate) async fn export(slot: &Arc<Slot>) -> zbus::Result<()> {
    let server = slot.conn.object_server();
    let p = &slot.paths;
    server
        .at(
            p.service.as_str(),
            Service {
                device: p.device.clone(),
            },
        )
        .await?;
    for (path, role) in [
        (&p.request, Role::Request),
        (&p.response, Role::Response),
        (&p.info, Role::Info),
        (&p.echo, Role::Echo),
    ] {
        let characteristic = Characteristic::new(Arc::clone(slot), role);
        server.at(path.as_str(), characteristic).await?;
    }
    for (path, notifier) in [
        (&p.response_cccd, Notifier::Response),
        (&p.echo_cccd, Notifier::Echo),
    ] {
        let cccd = Cccd::new(Arc::clone(slot), notifier);
        server.at(path.as_str(), cccd).await?;
    }
    Ok(())
}

/// Removes the GATT table, children first.
pub(crate) async fn unexport(slot: &Arc<Slot>) -> zbus::Result<()> {
    let server = slot.conn.object_server();
    let p = &slot.paths;
    for path in [&p.response_cccd, &p.echo_cccd] {
        ignore_missing(server.remove::<Cccd, _>(path.as_str()).await)?;
    }
    for path in [&p.request, &p.response, &p.info, &p.echo] {
        ignore_missing(server.remove::<Characteristic, _>(path.as_str()).await)?;
    }
    ignore_missing(server.remove::<Service, _>(p.service.as_str()).await)?;
    Ok(())
}

/// Removing what is already gone is not an error: two paths (a fault and
/// the app) may end the same link.
fn ignore_missing(r: zbus::Result<bool>) -> zbus::Result<()> {
    match r {
        Ok(_) | Err(zbus::Error::InterfaceNotFound) => Ok(()),
        Err(e) => Err(e),
    }
}

#[interface(name = "org.bluez.GattService1")]
impl Service {
    #[zbus(property, name = "UUID")]
    fn uuid(&self) -> String {
        SERVICE_UUID_STR.to_owned()
    }

    #[zbus(property)]
    fn primary(&self) -> bool {
        true
    }

    #[zbus(property)]
    fn device(&self) -> OwnedObjectPath {
        OwnedObjectPath::try_from(self.device.as_str()).unwrap_or_default()
    }

    #[zbus(property)]
    fn includes(&self) -> Vec<OwnedObjectPath> {
        Vec::new()
    }
}

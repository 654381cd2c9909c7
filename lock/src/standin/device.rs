//! `org.bluez.Device1`: a lock as BlueZ shows a discovered LE device, with
//! BlueZ's property names and exact D-Bus types (bluez-async reads them with
//! strict casts: `RSSI` must be `n`, `ManufacturerData` `a{qv}` of `ay`).

use std::collections::HashMap;
use std::sync::Arc;

use nyckelfri_protocol::gatt::SERVICE_UUID_STR;
use zbus::interface;
use zbus::zvariant::{OwnedObjectPath, OwnedValue};

use crate::standin::error::BluezError;
use crate::standin::link;
use crate::standin::slot::Slot;
use crate::standin::tree::ADAPTER_PATH;

/// The D-Bus object of one lock's device.
pub(crate) struct Device {
    pub slot: Arc<Slot>,
}

/// Puts the device on the bus (InterfacesAdded from the object manager):
/// what BlueZ does when an advertisement from a new device is received.
pub(crate) async fn export(slot: &Arc<Slot>) -> zbus::Result<bool> {
    if slot.link().exported {
        return Ok(false);
    }
    let added = slot
        .conn
        .object_server()
        .at(
            slot.paths.device.as_str(),
            Device {
                slot: Arc::clone(slot),
            },
        )
        .await?;
    slot.link().exported = true;
    Ok(added)
}

/// Takes the device off the bus (`Adapter1.RemoveDevice`).
pub(crate) async fn unexport(slot: &Arc<Slot>) -> zbus::Result<()> {
    link::drop_link(slot).await?;
    if !slot.link().exported {
        return Ok(());
    }
    slot.conn
        .object_server()
        .remove::<Device, _>(slot.paths.device.as_str())
        .await?;
    slot.link().exported = false;
    Ok(())
}

#[interface(name = "org.bluez.Device1")]
impl Device {
    /// Connects, exports the GATT table and resolves services.
    async fn connect(&self) -> Result<(), BluezError> {
        link::connect(&self.slot).await
    }

    /// Disconnects; BlueZ answers NotConnected when there is no link.
    async fn disconnect(&self) -> Result<(), BluezError> {
        if link::drop_link(&self.slot).await? {
            Ok(())
        } else {
            Err(BluezError::NotConnected("Not Connected".into()))
        }
    }

    /// The protocol does its own authentication; locks refuse pairing.
    async fn pair(&self) -> Result<(), BluezError> {
        Err(BluezError::NotSupported("Pairing not supported".into()))
    }

    #[zbus(property)]
    fn address(&self) -> String {
        self.slot.address.to_string()
    }

    #[zbus(property)]
    fn address_type(&self) -> String {
        // Locks use a static random address.
        "random".into()
    }

    #[zbus(property)]
    fn name(&self) -> String {
        self.slot.name.clone()
    }

    #[zbus(property)]
    fn alias(&self) -> String {
        self.slot.name.clone()
    }

    #[zbus(property)]
    fn adapter(&self) -> OwnedObjectPath {
        OwnedObjectPath::try_from(ADAPTER_PATH).unwrap_or_default()
    }

    #[zbus(property)]
    fn paired(&self) -> bool {
        false
    }

    #[zbus(property)]
    fn bonded(&self) -> bool {
        false
    }

    #[zbus(property)]
    fn trusted(&self) -> bool {
        false
    }

    #[zbus(property)]
    fn blocked(&self) -> bool {
        false
    }

    #[zbus(property)]
    fn legacy_pairing(&self) -> bool {
        false
    }

    #[zbus(property)]
    fn connected(&self) -> bool {
        self.slot.link().connected
    }

    #[zbus(property)]
    fn services_resolved(&self) -> bool {
        self.slot.link().services_resolved
    }

    /// Signal strength of the last advertisement, `n` (int16) as in BlueZ.
    #[zbus(property, name = "RSSI")]
    fn rssi(&self) -> i16 {
        self.slot.rssi
    }

    #[zbus(property)]
    fn manufacturer_data(&self) -> HashMap<u16, OwnedValue> {
        self.slot.manufacturer_data()
    }

    #[zbus(property)]
    fn service_data(&self) -> HashMap<String, OwnedValue> {
        HashMap::new()
    }

    /// The advertised service UUIDs.
    #[zbus(property, name = "UUIDs")]
    fn uuids(&self) -> Vec<String> {
        vec![SERVICE_UUID_STR.to_owned()]
    }
}

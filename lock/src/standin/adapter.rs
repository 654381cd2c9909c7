//! `org.bluez.Adapter1` at `/org/bluez/hci0`: power, discovery filter and
//! discovery. As with a real controller, a lock shows up (InterfacesAdded of
//! its `Device1`) only while a scan runs, only if it advertises, and only if
//! it matches the filter's service UUIDs.

use std::collections::HashMap;
use std::sync::Arc;

use nyckelfri_protocol::gatt::SERVICE_UUID_STR;
use zbus::interface;
use zbus::zvariant::{OwnedObjectPath, OwnedValue, Value};

use crate::standin::device;
use crate::standin::error::BluezError;
use crate::standin::server::World;
use crate::standin::slot::Slot;
use crate::standin::tree::{ADAPTER_IFACE, DEVICE_IFACE, emit_changed};

/// The adapter's changeable state.
#[derive(Debug, Default)]
pub(crate) struct AdapterState {
    pub powered: bool,
    pub discovering: bool,
    /// Service UUIDs from `SetDiscoveryFilter` (lowercase); empty: all.
    pub filter_uuids: Vec<String>,
}

/// The D-Bus object of hci0.
pub(crate) struct Adapter {
    pub world: Arc<World>,
}

/// One advertisement from `slot` reaches the scanner: a new device is
/// exported; a known one, not connected, gets fresh RSSI and manufacturer
/// data (BlueZ reports each advertisement when DuplicateData is on).
pub(crate) async fn advertisement(world: &World, slot: &Arc<Slot>) -> zbus::Result<()> {
    let wanted = {
        let a = world.adapter();
        a.discovering
            && (a.filter_uuids.is_empty() || a.filter_uuids.iter().any(|u| u == SERVICE_UUID_STR))
    };
    if !wanted || !slot.advertising() {
        return Ok(());
    }
    if device::export(slot).await? {
        return Ok(());
    }
    if !slot.link().connected {
        let data = slot.manufacturer_data();
        emit_changed(
            &slot.conn,
            &slot.paths.device,
            DEVICE_IFACE,
            vec![
                ("RSSI", Value::from(slot.rssi)),
                ("ManufacturerData", Value::from(data)),
            ],
        )
        .await?;
    }
    Ok(())
}

fn uuid_filter(options: &HashMap<String, OwnedValue>) -> Result<Vec<String>, BluezError> {
    let Some(v) = options.get("UUIDs") else {
        return Ok(Vec::new());
    };
    let bad = |_| BluezError::InvalidArguments("UUIDs must be as".into());
    let v: Value<'_> = v.try_clone().map_err(bad)?.into();
    let uuids = Vec::<String>::try_from(v).map_err(bad)?;
    Ok(uuids.into_iter().map(|u| u.to_lowercase()).collect())
}

#[interface(name = "org.bluez.Adapter1")]
impl Adapter {
    async fn set_discovery_filter(
        &self,
        filter: HashMap<String, OwnedValue>,
    ) -> Result<(), BluezError> {
        let uuids = uuid_filter(&filter)?;
        self.world.adapter().filter_uuids = uuids;
        Ok(())
    }

    fn get_discovery_filters(&self) -> Vec<String> {
        [
            "UUIDs",
            "RSSI",
            "Pathloss",
            "Transport",
            "DuplicateData",
            "Discoverable",
            "Pattern",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect()
    }

    async fn start_discovery(&self) -> Result<(), BluezError> {
        let was = {
            let mut a = self.world.adapter();
            if !a.powered {
                return Err(BluezError::NotReady("Resource Not Ready".into()));
            }
            std::mem::replace(&mut a.discovering, true)
        };
        if !was {
            emit_changed(
                &self.world.conn,
                crate::standin::ADAPTER_PATH,
                ADAPTER_IFACE,
                vec![("Discovering", Value::from(true))],
            )
            .await?;
        }
        // The first advertisements arrive after the reply, as on a radio.
        let world = Arc::clone(&self.world);
        tokio::spawn(async move {
            for slot in &world.slots {
                // A failed emit means the bus is going away.
                let _ = advertisement(&world, slot).await;
            }
        });
        Ok(())
    }

    async fn stop_discovery(&self) -> Result<(), BluezError> {
        let was = std::mem::replace(&mut self.world.adapter().discovering, false);
        if !was {
            return Err(BluezError::Failed("No discovery started".into()));
        }
        emit_changed(
            &self.world.conn,
            crate::standin::ADAPTER_PATH,
            ADAPTER_IFACE,
            vec![("Discovering", Value::from(false))],
        )
        .await?;
        Ok(())
    }

    async fn remove_device(&self, device: OwnedObjectPath) -> Result<(), BluezError> {
        let slot = self
            .world
            .slots
            .iter()
            .find(|s| s.paths.device == device.as_str() && s.link().exported)
            .ok_or_else(|| BluezError::DoesNotExist("Does Not Exist".into()))?;
        device::unexport(slot).await?;
        Ok(())
    }

    #[zbus(property)]
    fn address(&self) -> String {
        // Locally administered, so it never names a real controller.
        "02:00:00:4E:46:01".into()
    }

    #[zbus(property)]
    fn address_type(&self) -> String {
        "public".into()
    }

    #[zbus(property)]
    fn name(&self) -> String {
        "nyckelfri-standin".into()
    }

    #[zbus(property)]
    fn alias(&self) -> String {
        "nyckelfri-standin".into()
    }

    #[zbus(property)]
    fn class(&self) -> u32 {
        0
    }

    /// BlueZ's own USB id (Linux Foundation, BlueZ), as bluez-async parses it.
    #[zbus(property)]
    fn modalias(&self) -> String {
        "usb:v1D6Bp0246d0542".into()
    }

    #[zbus(property)]
    fn powered(&self) -> bool {
        self.world.adapter().powered
    }

    #[zbus(property)]
    fn set_powered(&mut self, on: bool) {
        self.world.adapter().powered = on;
    }

    #[zbus(property)]
    fn discoverable(&self) -> bool {
        false
    }

    #[zbus(property)]
    fn pairable(&self) -> bool {
        false
    }

    #[zbus(property)]
    fn discovering(&self) -> bool {
        self.world.adapter().discovering
    }

    #[zbus(property, name = "UUIDs")]
    fn uuids(&self) -> Vec<String> {
        Vec::new()
    }

    #[zbus(property)]
    fn roles(&self) -> Vec<String> {
        vec!["central".into(), "peripheral".into()]
    }
}

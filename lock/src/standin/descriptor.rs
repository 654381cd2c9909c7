//! `org.bluez.GattDescriptor1`: the Client Characteristic Configuration
//! Descriptor of a notifying characteristic. Clients read it; they enable
//! notifications through `StartNotify`, never by writing it (BlueZ refuses).

use std::collections::HashMap;
use std::sync::Arc;

use nyckelfri_protocol::gatt::CCCD_UUID_STR;
use zbus::interface;
use zbus::zvariant::{OwnedObjectPath, OwnedValue};

use crate::standin::error::BluezError;
use crate::standin::slot::{Notifier, Slot};

/// The CCCD of Response or Echo.
pub(crate) struct Cccd {
    slot: Arc<Slot>,
    of: Notifier,
}

impl Cccd {
    pub(crate) fn new(slot: Arc<Slot>, of: Notifier) -> Self {
        Self { slot, of }
    }

    fn current(&self) -> Vec<u8> {
        let link = self.slot.link();
        let on = match self.of {
            Notifier::Response => link.notifying_response,
            Notifier::Echo => link.notifying_echo,
        };
        // Bit 0: notifications enabled (little-endian u16).
        vec![u8::from(on), 0]
    }
}

#[interface(name = "org.bluez.GattDescriptor1")]
impl Cccd {
    async fn read_value(
        &self,
        _options: HashMap<String, OwnedValue>,
    ) -> Result<Vec<u8>, BluezError> {
        if !self.slot.link().connected {
            return Err(BluezError::Failed("Not connected".into()));
        }
        Ok(self.current())
    }

    async fn write_value(
        &self,
        _value: Vec<u8>,
        _options: HashMap<String, OwnedValue>,
    ) -> Result<(), BluezError> {
        Err(BluezError::NotPermitted(
            "Write to the CCC descriptor not permitted; use StartNotify".into(),
        ))
    }

    #[zbus(property, name = "UUID")]
    fn uuid(&self) -> String {
        CCCD_UUID_STR.to_owned()
    }

    #[zbus(property)]
    fn characteristic(&self) -> OwnedObjectPath {
        let p = &self.slot.paths;
        let path = match self.of {
            Notifier::Response => &p.response,
            Notifier::Echo => &p.echo,
        };
        OwnedObjectPath::try_from(path.as_str()).unwrap_or_default()
    }

    #[zbus(property)]
    fn value(&self) -> Vec<u8> {
        self.current()
    }
}

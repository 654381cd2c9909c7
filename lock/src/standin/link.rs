//! The connection lifecycle of one lock: connect (with its faults), and the
//! link going down — asked for by the app, or dropped by a fault.
//!
//! As BlueZ does for a device that is not bonded, the GATT objects appear
//! (InterfacesAdded) when a connection is made and the services are
//! resolved, and go away (InterfacesRemoved) when it ends.

use std::sync::Arc;

use zbus::zvariant::Value;

use crate::standin::error::BluezError;
use crate::standin::service;
use crate::standin::slot::Slot;
use crate::standin::tree::{DEVICE_IFACE, emit_changed};

/// BlueZ's message when an LE connection never came up.
const CONNECT_FAILED: &str = "le-connection-abort-by-local";

/// `Device1.Connect`: connects, exports the GATT table, resolves services.
pub(crate) async fn connect(slot: &Arc<Slot>) -> Result<(), BluezError> {
    // One connection attempt at a time per lock.
    let _att = slot.att.lock().await;
    if slot.link().connected {
        // Nothing to do; a client that reconnects expects no error.
        return Ok(());
    }
    let latency = slot.controls.faults().latency;
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    {
        let mut faults = slot.controls.faults();
        if faults.fail_connects > 0 {
            faults.fail_connects -= 1;
            return Err(BluezError::Failed(CONNECT_FAILED.into()));
        }
    }
    if !slot.advertising() {
        // A lock that is not on the air cannot be connected to.
        return Err(BluezError::Failed(CONNECT_FAILED.into()));
    }
    let mtu = slot.controls.faults().mtu;
    {
        let mut link = slot.link();
        link.connected = true;
        link.services_resolved = false;
        link.notifying_response = false;
        link.notifying_echo = false;
        link.mtu = mtu;
        link.written = 0;
        link.epoch += 1;
    }
    emit_changed(
        &slot.conn,
        &slot.paths.device,
        DEVICE_IFACE,
        vec![("Connected", Value::from(true))],
    )
    .await?;
    service::export(slot).await?;
    slot.link().services_resolved = true;
    emit_changed(
        &slot.conn,
        &slot.paths.device,
        DEVICE_IFACE,
        vec![("ServicesResolved", Value::from(true))],
    )
    .await?;
    Ok(())
}

/// Ends the connection, whoever ended it: the lock's session ends, queued
/// notifications are dropped, `ServicesResolved` and `Connected` go false
/// and the GATT objects are removed. Returns whether a link was up.
pub(crate) async fn drop_link(slot: &Arc<Slot>) -> zbus::Result<bool> {
    {
        let mut link = slot.link();
        if !link.connected {
            return Ok(false);
        }
        link.connected = false;
        link.services_resolved = false;
        link.notifying_response = false;
        link.notifying_echo = false;
        link.written = 0;
        link.epoch += 1;
    }
    slot.sim().disconnect();
    emit_changed(
        &slot.conn,
        &slot.paths.device,
        DEVICE_IFACE,
        vec![("ServicesResolved", Value::from(false))],
    )
    .await?;
    emit_changed(
        &slot.conn,
        &slot.paths.device,
        DEVICE_IFACE,
        vec![("Connected", Value::from(false))],
    )
    .await?;
    service::unexport(slot).await?;
    Ok(true)
}

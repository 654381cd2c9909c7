//! One simulated lock on the stand-in's radio: its link state (connected,
//! MTU, who is subscribed), the queue of notifications it sends, and the
//! advertising data it would put on the air.
//!
//! Notifications leave through one queue per lock, drained by one task, so
//! they keep their order and each can be held back by the configured latency
//! — like a real link, where a notification waits for the next connection
//! event. Every connection has an epoch; anything queued for an earlier one
//! is dropped, as a real radio drops its buffers on disconnect.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use nyckelfri_protocol::LOW_BATTERY_PERCENT;
use nyckelfri_protocol::framing;
use nyckelfri_protocol::gatt::{
    ADV_FLAG_COMMISSIONING, ADV_FLAG_LOW_BATTERY, AdvertisedLock, COMPANY_ID_TEST,
    advertised_lock_tag, commissioning_tag,
};
use nyckelfri_protocol::messages::LockMode;
use tokio::sync::mpsc;
use zbus::Connection;
use zbus::zvariant::{OwnedValue, Value};

use crate::LockHardware;
use crate::sim::SimulatedLock;
use crate::standin::faults::LockControls;
use crate::standin::tree::{Address, CHAR_IFACE, DevicePaths, emit_changed};

/// What the lock sends when told to send garbage: a continuation fragment
/// (header 0x01) with no first fragment before it, which no reassembler accepts.
pub(crate) const GARBAGE: [u8; 5] = [0x01, 0xde, 0xad, 0xbe, 0xef];

/// The characteristics that notify.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Notifier {
    /// Nyckelfri Response.
    Response,
    /// The stand-in's Echo.
    Echo,
}

/// The state of the link to this lock.
#[derive(Debug, Default)]
pub(crate) struct Link {
    /// The device object is on the bus (it was discovered).
    pub exported: bool,
    pub connected: bool,
    pub services_resolved: bool,
    pub notifying_response: bool,
    pub notifying_echo: bool,
    /// ATT_MTU of the current connection.
    pub mtu: usize,
    /// Request fragments received on the current connection.
    pub written: u32,
    /// Bumped on every connect and disconnect.
    pub epoch: u64,
    /// Last value of each characteristic, as BlueZ caches it in `Value`.
    pub response_value: Vec<u8>,
    pub echo_value: Vec<u8>,
    pub info_value: Vec<u8>,
}

struct Outgoing {
    epoch: u64,
    notifier: Notifier,
    value: Vec<u8>,
    delay: Duration,
}

/// One simulated lock as the stand-in serves it.
pub(crate) struct Slot {
    pub address: Address,
    pub paths: DevicePaths,
    pub name: String,
    pub rssi: i16,
    pub controls: LockControls,
    pub conn: Connection,
    /// ATT allows one outstanding request per link: operations that wait
    /// for an acknowledgement hold this for their whole duration.
    pub att: tokio::sync::Mutex<()>,
    sim: Arc<Mutex<SimulatedLock>>,
    link: Mutex<Link>,
    outbox: mpsc::UnboundedSender<Outgoing>,
    started: Instant,
}

impl Slot {
    /// A slot and the task that drains its notification queue (the caller
    /// keeps the task's handle to stop it).
    pub(crate) fn new(
        sim: Arc<Mutex<SimulatedLock>>,
        controls: LockControls,
        conn: Connection,
        rssi: i16,
    ) -> (Arc<Slot>, tokio::task::JoinHandle<()>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let advertised = advertised_of(&lock_sim(&sim));
        let address = Address::static_random(&advertised.tag);
        let slot = Arc::new(Slot {
            paths: DevicePaths::new(&address),
            name: "Nyckelfri".into(),
            address,
            rssi,
            controls,
            conn,
            att: tokio::sync::Mutex::new(()),
            sim,
            link: Mutex::new(Link::default()),
            outbox: tx,
            started: Instant::now(),
        });
        let task = tokio::spawn(drain(Arc::clone(&slot), rx));
        (slot, task)
    }

    pub(crate) fn link(&self) -> MutexGuard<'_, Link> {
        self.link.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn sim(&self) -> MutexGuard<'_, SimulatedLock> {
        lock_sim(&self.sim)
    }

    pub(crate) fn sim_arc(&self) -> Arc<Mutex<SimulatedLock>> {
        Arc::clone(&self.sim)
    }

    /// Milliseconds since the stand-in started: the reassembler's clock.
    pub(crate) fn now_ms(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// Whether the lock is on the air: advertising on and not dead.
    pub(crate) fn advertising(&self) -> bool {
        self.controls.faults().advertising && !self.controls.sim().is_dead()
    }

    /// The tag and flags the lock advertises right now.
    pub(crate) fn advertised(&self) -> AdvertisedLock {
        advertised_of(&self.sim())
    }

    /// `ManufacturerData` as BlueZ exposes it: `a{qv}`, each value an `ay`.
    pub(crate) fn manufacturer_data(&self) -> HashMap<u16, OwnedValue> {
        let payload = self.advertised().encode().to_vec();
        let mut map = HashMap::new();
        if let Ok(v) = OwnedValue::try_from(Value::from(payload)) {
            map.insert(COMPANY_ID_TEST, v);
        }
        map
    }

    /// Queues `message` as notifications on `notifier`, fragmented for this
    /// connection's MTU.
    pub(crate) fn send_message(&self, notifier: Notifier, message: &[u8]) {
        let mtu = self.link().mtu;
        // A message the lock made itself always fragments; if it did not,
        // the lock would send nothing, which the app sees as a timeout.
        let fragments = framing::fragment(message, mtu).unwrap_or_default();
        self.send_fragments(notifier, fragments);
    }

    /// Queues one message's fragments on `notifier`, after the response
    /// delay, or garbage in their place when that fault is on.
    pub(crate) fn send_fragments(&self, notifier: Notifier, fragments: Vec<Vec<u8>>) {
        let epoch = self.link().epoch;
        let (garbage, delay) = {
            let f = self.controls.faults();
            (f.garbage_notifications, f.response_delay)
        };
        let fragments = if garbage {
            vec![GARBAGE.to_vec()]
        } else {
            fragments
        };
        self.queue(epoch, notifier, fragments, delay);
    }

    /// Queues raw values on `notifier`, untouched by faults (the echo).
    pub(crate) fn send_raw(&self, notifier: Notifier, values: Vec<Vec<u8>>) {
        let epoch = self.link().epoch;
        self.queue(epoch, notifier, values, Duration::ZERO);
    }

    fn queue(&self, epoch: u64, notifier: Notifier, values: Vec<Vec<u8>>, first_delay: Duration) {
        for (i, value) in values.into_iter().enumerate() {
            let delay = if i == 0 { first_delay } else { Duration::ZERO };
            // The receiver lives as long as the stand-in; after that there
            // is nobody to notify.
            let _ = self.outbox.send(Outgoing {
                epoch,
                notifier,
                value,
                delay,
            });
        }
    }
}

fn lock_sim(sim: &Mutex<SimulatedLock>) -> MutexGuard<'_, SimulatedLock> {
    // The simulator's state is plain data; carry on after a panic elsewhere.
    sim.lock().unwrap_or_else(|e| e.into_inner())
}

fn advertised_of(sim: &SimulatedLock) -> AdvertisedLock {
    let lock = sim.lock();
    let commissioning = lock.mode() == LockMode::Commissioning;
    let tag = if commissioning {
        commissioning_tag(&lock.public_key())
    } else {
        advertised_lock_tag(lock.lock_id())
    };
    let mut flags = 0;
    if commissioning {
        flags |= ADV_FLAG_COMMISSIONING;
    }
    if lock.hardware().battery_percent() <= LOW_BATTERY_PERCENT {
        flags |= ADV_FLAG_LOW_BATTERY;
    }
    AdvertisedLock { tag, flags }
}

/// Sends queued notifications one by one, each after the link latency (and
/// a message's first after the response delay), as `PropertiesChanged` on
/// the characteristic's `Value` — which is what a BlueZ client sees as a
/// notification.
async fn drain(slot: Arc<Slot>, mut rx: mpsc::UnboundedReceiver<Outgoing>) {
    while let Some(out) = rx.recv().await {
        // Left over from an earlier connection: drop it without waiting out
        // its delay, or it would hold up the next connection's messages.
        if out.epoch != slot.link().epoch {
            continue;
        }
        let latency = slot.controls.faults().latency;
        let mut wait = out.delay + latency;
        // Wait in short steps: if the link drops meanwhile, this message is
        // dead and must not delay the next connection's.
        while !wait.is_zero() && out.epoch == slot.link().epoch {
            let step = wait.min(std::time::Duration::from_millis(10));
            tokio::time::sleep(step).await;
            wait = wait.saturating_sub(step);
        }
        let path = {
            let mut link = slot.link();
            let subscribed = match out.notifier {
                Notifier::Response => link.notifying_response,
                Notifier::Echo => link.notifying_echo,
            };
            if out.epoch != link.epoch || !link.connected || !subscribed {
                continue;
            }
            match out.notifier {
                Notifier::Response => {
                    link.response_value.clone_from(&out.value);
                    slot.paths.response.clone()
                }
                Notifier::Echo => {
                    link.echo_value.clone_from(&out.value);
                    slot.paths.echo.clone()
                }
            }
        };
        // A failed emit means the bus is gone; the stand-in is shutting down.
        let _ = emit_changed(
            &slot.conn,
            &path,
            CHAR_IFACE,
            vec![("Value", Value::from(out.value))],
        )
        .await;
    }
}

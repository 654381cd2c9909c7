//! The app's side over real btleplug, for the stand-in tests and the BLE
//! bench: a private bus with simulated locks behind the stand-in BlueZ, and
//! the steps the app takes (scan for a tag, connect, subscribe, Hello,
//! Request in fragments, Result). Every await is bounded by a timeout, so a
//! broken stand-in fails a test instead of hanging it.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    dead_code
)]

use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};

use btleplug::api::{
    Central, CentralEvent, Characteristic, Manager as _, Peripheral as _, ScanFilter,
    ValueNotification, WriteType,
};
use btleplug::platform::{Adapter, Manager, Peripheral};
use futures_util::{Stream, StreamExt};
use nyckelfri_lock::scenario::SCENARIO_NOW;
use nyckelfri_lock::standin::{LockSpec, PrivateBus, StandIn};
use nyckelfri_lock::{LockConfig, SimulatedLock};
use nyckelfri_protocol::exchange::{VerifiedReceipt, build_request, verify_result};
use nyckelfri_protocol::framing::{self, FramingError, Reassembler};
use nyckelfri_protocol::gatt::{
    AdvertisedLock, COMPANY_ID_TEST, INFO_CHAR_UUID, REQUEST_CHAR_UUID, RESPONSE_CHAR_UUID,
    SERVICE_UUID,
};
use nyckelfri_protocol::messages::{Command, Hello, LockMode, Message, Request, ResultMessage};
use nyckelfri_protocol::token::{AccessClaims, Scope, issue};
use nyckelfri_protocol::{ProtocolError, PublicKey, Signer, SoftwareKey};
use uuid::Uuid;

/// Bound on any single step that should be quick.
pub const STEP: Duration = Duration::from_secs(10);

/// What went wrong on the app's side.
#[derive(Debug)]
pub enum ClientError {
    Ble(btleplug::Error),
    Timeout(&'static str),
    Framing(FramingError),
    Protocol(ProtocolError),
    Unexpected(&'static str),
}

impl From<btleplug::Error> for ClientError {
    fn from(e: btleplug::Error) -> Self {
        Self::Ble(e)
    }
}
impl From<ProtocolError> for ClientError {
    fn from(e: ProtocolError) -> Self {
        Self::Protocol(e)
    }
}
impl From<FramingError> for ClientError {
    fn from(e: FramingError) -> Self {
        Self::Framing(e)
    }
}

/// Awaits `f` for at most `limit`.
pub async fn within<T>(
    limit: Duration,
    what: &'static str,
    f: impl Future<Output = T>,
) -> Result<T, ClientError> {
    tokio::time::timeout(limit, f)
        .await
        .map_err(|_| ClientError::Timeout(what))
}

/// Starts a private bus and points this process's libdbus at it, before
/// any runtime thread exists (libdbus reads the address once per process,
/// and changing the environment is only sound while single-threaded).
pub fn private_bus_for_this_process() -> PrivateBus {
    let bus = PrivateBus::start().expect("dbus-daemon (apt-get install dbus-daemon)");
    // SAFETY: called from the test's main thread before any other thread
    // of this process is started.
    unsafe { std::env::set_var("DBUS_SYSTEM_BUS_ADDRESS", bus.address()) };
    bus
}

/// A multi-threaded runtime, as the app core uses.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// A private bus, the stand-in with `n` locks (`lock-0001`…) that trust one
/// issuer, and the phone's device key.
pub struct Fixture {
    pub standin: StandIn,
    pub issuer: SoftwareKey,
    pub device: SoftwareKey,
    pub lock_ids: Vec<String>,
    pub lock_keys: Vec<PublicKey>,
    next_token: u8,
    // Last: dropped after the stand-in.
    pub bus: PrivateBus,
}

impl Fixture {
    /// Starts the stand-in with `n` locks on `bus`.
    pub async fn start(bus: PrivateBus, n: usize) -> Fixture {
        let (issuer, _) = SoftwareKey::generate().unwrap();
        let (device, _) = SoftwareKey::generate().unwrap();
        let mut specs = Vec::new();
        let mut lock_ids = Vec::new();
        let mut lock_keys = Vec::new();
        for i in 1..=n {
            let id = format!("lock-{i:04}");
            let (key, _) = SoftwareKey::generate().unwrap();
            lock_keys.push(key.public_key());
            let config = LockConfig {
                lock_id: id.clone(),
                issuers: vec![issuer.public_key()],
                mode: LockMode::Normal,
            };
            specs.push(LockSpec::new(SimulatedLock::new(
                Box::new(key),
                config,
                SCENARIO_NOW,
            )));
            lock_ids.push(id);
        }
        let standin = within(STEP, "stand-in start", StandIn::start(bus.address(), specs))
            .await
            .unwrap()
            .unwrap();
        Fixture {
            standin,
            issuer,
            device,
            lock_ids,
            lock_keys,
            next_token: 0,
            bus,
        }
    }

    /// A care token for lock `i`, valid now (the locks' clock).
    pub fn token(&mut self, i: usize) -> (Vec<u8>, [u8; 16]) {
        self.next_token = self.next_token.wrapping_add(1);
        let claims = AccessClaims {
            token_id: [self.next_token; 16],
            staff_id: "staff-0042".into(),
            lock_id: self.lock_ids[i].clone(),
            not_before: SCENARIO_NOW - 3_600,
            expires: SCENARIO_NOW + 7 * 3_600,
            issued_at: SCENARIO_NOW - 3_600,
            decision_id: "decision-0007".into(),
            decision_end: SCENARIO_NOW + 30 * 86_400,
            scope: Scope::Care,
            min_epoch: 0,
            device_key: self.device.public_key(),
        };
        (issue(&claims, &self.issuer).unwrap(), claims.token_id)
    }
}

/// A request id told apart by `n`, first made a day before the locks' time
/// (so it is never newer than a Hello's).
pub fn rid(n: u8) -> [u8; 16] {
    nyckelfri_protocol::request_id_for(SCENARIO_NOW - 86_400, [n; 8])
}

/// The first adapter, through a fresh btleplug manager.
pub async fn central() -> Adapter {
    let manager = within(STEP, "manager", Manager::new())
        .await
        .unwrap()
        .unwrap();
    let adapters = within(STEP, "adapters", manager.adapters())
        .await
        .unwrap()
        .unwrap();
    adapters.into_iter().next().expect("hci0")
}

/// Scans (filtered by the Nyckelfri service) until a device advertises
/// `tag` in its manufacturer data, for at most `limit`. The scan is stopped
/// either way.
pub async fn find_lock(
    central: &Adapter,
    tag: [u8; 8],
    limit: Duration,
) -> Result<(Peripheral, AdvertisedLock), ClientError> {
    let mut events = within(STEP, "events", central.events()).await??;
    within(
        STEP,
        "start scan",
        central.start_scan(ScanFilter {
            services: vec![Uuid::from_u128(SERVICE_UUID)],
        }),
    )
    .await??;
    let found = within(limit, "scan", async {
        while let Some(event) = events.next().await {
            let id = match event {
                CentralEvent::DeviceDiscovered(id)
                | CentralEvent::ManufacturerDataAdvertisement { id, .. } => id,
                _ => continue,
            };
            let p = central.peripheral(&id).await?;
            let Some(props) = p.properties().await? else {
                continue;
            };
            let adv = props
                .manufacturer_data
                .get(&COMPANY_ID_TEST)
                .and_then(|d| AdvertisedLock::decode(d));
            if let Some(adv) = adv
                && adv.tag == tag
            {
                return Ok((p, adv));
            }
        }
        Err(ClientError::Unexpected("event stream ended"))
    })
    .await;
    let _ = within(STEP, "stop scan", central.stop_scan()).await;
    found?
}

pub type Notifications = Pin<Box<dyn Stream<Item = ValueNotification> + Send>>;

/// A connected lock with its characteristics found and notifications on.
pub struct Link {
    pub peripheral: Peripheral,
    pub request: Characteristic,
    pub response: Characteristic,
    pub info: Characteristic,
    pub notifications: Notifications,
    pub mtu: usize,
}

/// Connects, discovers services, opens the notification stream, and
/// subscribes to Response (which makes the lock send its Hello).
pub async fn open_link(peripheral: &Peripheral) -> Result<Link, ClientError> {
    within(STEP, "connect", peripheral.connect()).await??;
    within(STEP, "discover", peripheral.discover_services()).await??;
    let chars = peripheral.characteristics();
    let find = |uuid: u128| {
        chars
            .iter()
            .find(|c| c.uuid == Uuid::from_u128(uuid))
            .cloned()
            .ok_or(ClientError::Unexpected("characteristic missing"))
    };
    let request = find(REQUEST_CHAR_UUID)?;
    let response = find(RESPONSE_CHAR_UUID)?;
    let info = find(INFO_CHAR_UUID)?;
    // The stream first, so the Hello cannot slip past.
    let notifications = within(STEP, "notifications", peripheral.notifications()).await??;
    within(STEP, "subscribe", peripheral.subscribe(&response)).await??;
    Ok(Link {
        peripheral: peripheral.clone(),
        request,
        response,
        info,
        notifications,
        mtu: usize::from(peripheral.mtu()),
    })
}

impl Link {
    /// The next whole message on Response, reassembled.
    pub async fn receive(&mut self, limit: Duration) -> Result<Vec<u8>, ClientError> {
        let started = Instant::now();
        let mut reassembler = Reassembler::new();
        let response = self.response.uuid;
        within(limit, "message", async {
            while let Some(n) = self.notifications.next().await {
                if n.uuid != response {
                    continue;
                }
                let now = u64::try_from(started.elapsed().as_millis()).unwrap();
                if let Some(message) = reassembler.push(&n.value, now)? {
                    return Ok(message);
                }
            }
            Err(ClientError::Unexpected("notification stream ended"))
        })
        .await?
    }

    /// The Hello.
    pub async fn hello(&mut self) -> Result<Hello, ClientError> {
        match Message::decode(&self.receive(STEP).await?)? {
            Message::Hello(h) => Ok(h),
            _ => Err(ClientError::Unexpected("not a Hello")),
        }
    }

    /// Writes `message` in fragments for the link's MTU: all but the last
    /// without response, the last with response (PROTOCOL.md §9). Returns
    /// how many fragments were written.
    pub async fn send(&self, message: &[u8]) -> Result<usize, ClientError> {
        let fragments = framing::fragment(message, self.mtu)?;
        let last = fragments.len() - 1;
        for (i, f) in fragments.iter().enumerate() {
            let kind = if i == last {
                WriteType::WithResponse
            } else {
                WriteType::WithoutResponse
            };
            within(STEP, "write", self.peripheral.write(&self.request, f, kind)).await??;
        }
        Ok(fragments.len())
    }

    /// The next message, which must be a Result.
    pub async fn result(&mut self, limit: Duration) -> Result<ResultMessage, ClientError> {
        match Message::decode(&self.receive(limit).await?)? {
            Message::Result(r) => Ok(r),
            _ => Err(ClientError::Unexpected("not a Result")),
        }
    }

    /// Ends the connection.
    pub async fn close(self) -> Result<(), ClientError> {
        within(STEP, "disconnect", self.peripheral.disconnect()).await??;
        Ok(())
    }
}

/// One full exchange the way the app runs it, on an open link: Hello,
/// Request (signed by `device`), Result, receipt checked.
pub async fn exchange(
    link: &mut Link,
    device: &SoftwareKey,
    token: &[u8],
    token_id: [u8; 16],
    lock_key: &PublicKey,
    request_id: [u8; 16],
) -> Result<(Hello, Request, VerifiedReceipt), ClientError> {
    let hello = link.hello().await?;
    let request = build_request(&hello, token, Command::Unlock, request_id, device, None)?;
    link.send(&Message::Request(request.clone()).encode()?)
        .await?;
    let result = link.result(STEP).await?;
    let receipt = verify_result(&result, &hello, &request, token_id, lock_key)?;
    Ok((hello, request, receipt))
}

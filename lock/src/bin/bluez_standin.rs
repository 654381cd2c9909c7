//! `nyckelfri-bluez-standin`: serves simulated Nyckelfri locks through a
//! stand-in BlueZ on a private D-Bus, for developing the app's BLE code on a
//! machine without a radio. Run with `--help`.

use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use nyckelfri_lock::standin::{DEFAULT_MTU, LockSpec, PrivateBus, StandIn};
use nyckelfri_lock::{LockConfig, SimulatedLock};
use nyckelfri_protocol::messages::LockMode;
use nyckelfri_protocol::{Signer, SoftwareKey};

const HELP: &str = "\
nyckelfri-bluez-standin: simulated Nyckelfri locks behind a stand-in BlueZ

Starts a private dbus-daemon (or joins --bus), owns org.bluez on it and
serves N simulated locks as BLE devices on /org/bluez/hci0. Point a BlueZ
client (btleplug, bluetoothctl, busctl) at it with the printed
DBUS_SYSTEM_BUS_ADDRESS. The locks trust a fresh issuer key, printed as
PKCS#8 hex so development tools can issue tokens. Stops on Ctrl-C.

USAGE:
    nyckelfri-bluez-standin [OPTIONS]

OPTIONS:
    --locks N        number of locks, ids lock-0001.. (default 3)
    --mtu M          ATT_MTU each lock negotiates, 23..=517 (default 185)
    --latency-ms L   delay of every notification and acknowledged write (default 0)
    --bus ADDRESS    use this bus instead of starting a private one
    -h, --help       this text
";

struct Options {
    locks: usize,
    mtu: usize,
    latency_ms: u64,
    bus: Option<String>,
}

fn parse(args: &[String]) -> Result<Option<Options>, String> {
    let mut o = Options {
        locks: 3,
        mtu: DEFAULT_MTU,
        latency_ms: 0,
        bus: None,
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = || {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{arg} needs a value"))
        };
        match arg.as_str() {
            "-h" | "--help" => return Ok(None),
            "--locks" => o.locks = number(&value()?)?,
            "--mtu" => o.mtu = number(&value()?)?,
            "--latency-ms" => o.latency_ms = number(&value()?)?,
            "--bus" => o.bus = Some(value()?),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(Some(o))
}

fn number<T: std::str::FromStr>(s: &str) -> Result<T, String> {
    s.parse().map_err(|_| format!("not a number: {s}"))
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let options = match parse(&args) {
        Ok(Some(o)) => o,
        Ok(None) => {
            print!("{HELP}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("{e}\n\n{HELP}");
            return ExitCode::from(2);
        }
    };
    match run(options).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(o: Options) -> Result<(), Box<dyn std::error::Error>> {
    let private = match &o.bus {
        Some(_) => None,
        None => Some(PrivateBus::start()?),
    };
    let address = match (&o.bus, &private) {
        (Some(a), _) => a.clone(),
        (None, Some(bus)) => bus.address().to_owned(),
        (None, None) => return Err("no bus".into()),
    };
    let (issuer, issuer_pkcs8) = SoftwareKey::generate()?;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let mut specs = Vec::new();
    for i in 1..=o.locks {
        let (key, _) = SoftwareKey::generate()?;
        let config = LockConfig {
            lock_id: format!("lock-{i:04}"),
            issuers: vec![issuer.public_key()],
            mode: LockMode::Normal,
        };
        let mut spec = LockSpec::new(SimulatedLock::new(Box::new(key), config, now));
        spec.mtu = o.mtu;
        specs.push(spec);
    }
    let standin = StandIn::start(&address, specs).await?;
    println!("export DBUS_SYSTEM_BUS_ADDRESS='{address}'");
    println!("issuer PKCS#8 (test only): {}", hex_string(&issuer_pkcs8));
    for i in 0..standin.len() {
        let lock = standin.lock(i)?;
        lock.controls()
            .set_latency(Duration::from_millis(o.latency_ms));
        let (id, public) = lock.with_lock(|l| {
            (
                l.lock().lock_id().to_owned(),
                hex_string(l.lock().public_key().as_bytes()),
            )
        });
        println!(
            "{id}  {}  tag {}  mtu {}  key {public}",
            lock.address(),
            hex_string(&lock.advertised().tag),
            o.mtu
        );
    }
    println!("serving; Ctrl-C stops");
    tokio::signal::ctrl_c().await?;
    standin.shutdown().await?;
    drop(private);
    Ok(())
}

fn hex_string(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

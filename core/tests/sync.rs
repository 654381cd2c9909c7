//! Sync against the real server on loopback (SQLite): enroll, sync, the
//! network goes, doors still open, the network returns and every event
//! reaches the server exactly once. Faults between app and server (500s,
//! unreadable answers, a connection cut after the server stored a batch, a
//! slow server, the server down, a client that died before marking what it
//! sent) lose nothing and duplicate nothing. A revoked device gets no keys;
//! an ended care decision gets no key and its reason.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "common/server_env.rs"]
mod server_env;

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use nyckelfri_core::{KeyStatus, NyckelfriApp, NyckelfriError, UnlockOutcome};
use nyckelfri_server::model::Role;
use server_env::{Env, MORNING, Quiet};

// --- a fault-injecting HTTP proxy between the app and the server ---

#[derive(Clone, Copy, PartialEq, Debug)]
enum Fault {
    Pass,
    Error500,
    Garbage,
    /// Forward to the server, then drop the answer: the server did the work.
    CutAfterServer,
    Slow,
    /// Relay, but the challenge's answer asks the phone to sign another
    /// domain (a server or a man in the middle after a signature it could
    /// replay elsewhere).
    OtherDomain,
}

struct Proxy {
    addr: SocketAddr,
    faults: Arc<Mutex<Vec<Fault>>>,
    upstream: Arc<Mutex<SocketAddr>>,
}

impl Proxy {
    fn start(upstream: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let faults = Arc::new(Mutex::new(Vec::new()));
        let upstream = Arc::new(Mutex::new(upstream));
        let (f, u) = (faults.clone(), upstream.clone());
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { return };
                let fault = {
                    let mut q = f.lock().unwrap();
                    if q.is_empty() {
                        Fault::Pass
                    } else {
                        q.remove(0)
                    }
                };
                let up = *u.lock().unwrap();
                std::thread::spawn(move || serve_one(client, up, fault));
            }
        });
        Proxy {
            addr,
            faults,
            upstream,
        }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn next(&self, faults: &[Fault]) {
        self.faults.lock().unwrap().extend_from_slice(faults);
    }
}

/// Reads one HTTP request (headers and a Content-Length body).
fn read_request(s: &mut TcpStream) -> Option<Vec<u8>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        let n = s.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_lowercase();
            let len = head
                .lines()
                .find_map(|l| {
                    l.strip_prefix("content-length:")
                        .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                })
                .unwrap_or(0);
            while buf.len() < end + 4 + len {
                let n = s.read(&mut chunk).ok()?;
                if n == 0 {
                    return None;
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            return Some(buf);
        }
    }
}

fn serve_one(mut client: TcpStream, upstream: SocketAddr, fault: Fault) {
    let Some(request) = read_request(&mut client) else {
        return;
    };
    let answer = |c: &mut TcpStream, status: &str, body: &str| {
        let _ = write!(
            c,
            "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
    };
    match fault {
        Fault::Error500 => {
            return answer(
                &mut client,
                "500 Internal Server Error",
                r#"{"error":"internal"}"#,
            );
        }
        Fault::Garbage => return answer(&mut client, "200 OK", "{\"results\": [tr"),
        Fault::Slow => std::thread::sleep(Duration::from_millis(400)),
        _ => {}
    }
    // Ask the server to close after answering, then relay.
    let text = String::from_utf8_lossy(&request).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let head: String = head
        .lines()
        .filter(|l| !l.to_lowercase().starts_with("connection:"))
        .map(|l| format!("{l}\r\n"))
        .collect();
    let Ok(mut up) = TcpStream::connect(upstream) else {
        return;
    };
    let _ = write!(up, "{head}connection: close\r\n\r\n{body}");
    let mut response = Vec::new();
    let _ = up.read_to_end(&mut response);
    if fault == Fault::CutAfterServer {
        return; // the answer is lost on the way back
    }
    if fault == Fault::OtherDomain {
        // Same length, so Content-Length still holds.
        let text = String::from_utf8_lossy(&response)
            .replace("\"nyckelfri/session/v1\"", "\"nyckelfri/receipt/v1\"");
        let _ = client.write_all(text.as_bytes());
        return;
    }
    let _ = client.write_all(&response);
}

fn outbox_ids(app: &NyckelfriApp) -> BTreeSet<String> {
    app.recent_events(10_000)
        .unwrap()
        .into_iter()
        .map(|e| e.event_id)
        .collect()
}

#[test]
fn a_whole_day_offline_and_back_delivers_every_event_exactly_once() {
    let mut env = Env::start();
    let (app, clocks) = env.phone("worker");
    let code = env.codes(Role::CareWorker).remove(0);
    let url = env.server().url();
    let who = env
        .rt
        .block_on(app.enroll(url, code, "test phone".into()))
        .unwrap();
    assert_eq!(who.role, "care_worker");
    let report = env.rt.block_on(app.sync()).unwrap();
    assert!(report.visits > 0 && report.keys > 0, "{report:?}");
    assert_eq!(app.trusted_time().unwrap().unix, MORNING);

    // The network goes.
    env.stop();
    assert!(matches!(
        env.rt.block_on(app.sync()),
        Err(NyckelfriError::Network { .. })
    ));

    // The day: each visit at its start time, offline.
    let visits = app.today_visits().unwrap();
    let mut opened = 0;
    for v in &visits {
        let now = app.trusted_time().unwrap().unix;
        if v.starts_at > now {
            clocks.advance((v.starts_at - now) as u64);
        }
        // The lock's clock keeps real time too.
        if let Some(lock) = env.locks.get(&v.lock_id) {
            let now = app.trusted_time().unwrap().unix;
            lock.lock().unwrap().controls().set_time(now as u64);
        }
        let outcome = env
            .rt
            .block_on(app.open_door(v.visit_id.clone(), Arc::new(Quiet)))
            .unwrap();
        match app
            .today_visits()
            .unwrap()
            .iter()
            .find(|x| x.visit_id == v.visit_id)
            .map(|x| &x.key_status)
        {
            _ if matches!(
                outcome,
                UnlockOutcome::Opened { .. } | UnlockOutcome::OpenedBatteryLow { .. }
            ) =>
            {
                opened += 1
            }
            Some(KeyStatus::Ready { .. }) => {
                panic!("{}: a ready key did not open: {outcome:?}", v.visit_id)
            }
            _ => {}
        }
    }
    assert!(opened >= 2, "only {opened} doors opened offline");
    let local = outbox_ids(&app);
    assert_eq!(app.pending_events().unwrap() as usize, local.len());

    // The network returns.
    env.restart();
    let report = env.rt.block_on(app.sync()).unwrap();
    assert_eq!(report.events_sent as usize, local.len());
    assert_eq!(app.pending_events().unwrap(), 0);
    let stored = env.stored(&who.device_id);
    assert_eq!(
        stored.iter().cloned().collect::<BTreeSet<_>>(),
        local,
        "every event on the server"
    );
    assert_eq!(stored.len(), local.len(), "and each once");
    // Every door opened carries the lock's receipt, which the server
    // verifies against the lock's registered key (issue 14).
    let events = env.admin("GET", "/v1/events?kind=unlock&limit=1000", None);
    let unlocks: Vec<&serde_json::Value> = events
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["device_id"] == who.device_id.as_str())
        .collect();
    assert!(unlocks.len() >= opened, "{events}");
    assert!(
        unlocks
            .iter()
            .all(|e| e["status"] == "accepted" && e["receipt_verified"] == true),
        "{unlocks:?}"
    );

    // The phone died after the server stored its batch but before it
    // marked it sent: it sends again; the server keeps one of each.
    let db = rusqlite::Connection::open(env.data.path().join("worker/app.db")).unwrap();
    db.execute("UPDATE outbox SET sent_at = NULL", []).unwrap();
    let report = env.rt.block_on(app.sync()).unwrap();
    assert_eq!(report.events_sent as usize, local.len());
    assert_eq!(env.stored(&who.device_id).len(), local.len());
}

#[test]
fn server_faults_lose_nothing_and_duplicate_nothing() {
    let env = Env::start();
    let proxy = Proxy::start(env.server().local_addr());
    let (app, _) = env.phone("worker");
    let code = env.codes(Role::CareWorker).remove(0);
    let who = env
        .rt
        .block_on(app.enroll(proxy.url(), code, "p".into()))
        .unwrap();
    env.rt.block_on(app.sync()).unwrap();
    // A door to make events.
    let visit = app
        .today_visits()
        .unwrap()
        .into_iter()
        .find(|v| matches!(v.key_status, KeyStatus::Ready { .. }))
        .unwrap();
    env.rt
        .block_on(app.open_door(visit.visit_id.clone(), Arc::new(Quiet)))
        .unwrap();
    let local = outbox_ids(&app);
    assert!(!local.is_empty());

    // Two 500s, then an unreadable answer: retried, and through.
    proxy.next(&[Fault::Error500, Fault::Error500, Fault::Garbage]);
    env.rt.block_on(app.sync()).unwrap();
    // The connection is cut after the server stored the upload.
    env.rt
        .block_on(app.open_door(visit.visit_id.clone(), Arc::new(Quiet)))
        .unwrap();
    proxy.next(&[Fault::Pass, Fault::Pass, Fault::CutAfterServer]);
    env.rt.block_on(app.sync()).unwrap();
    // A slow server is waited for.
    proxy.next(&[Fault::Slow, Fault::Slow]);
    env.rt.block_on(app.sync()).unwrap();
    let local = outbox_ids(&app);
    let stored = env.stored(&who.device_id);
    assert_eq!(stored.iter().cloned().collect::<BTreeSet<_>>(), local);
    assert_eq!(stored.len(), local.len(), "no event stored twice");
    assert_eq!(app.pending_events().unwrap(), 0);

    // Faults that outlast the retries: a clear network error, nothing lost.
    env.rt
        .block_on(app.open_door(visit.visit_id, Arc::new(Quiet)))
        .unwrap();
    proxy.next(&[Fault::Error500; 12]);
    assert!(matches!(
        env.rt.block_on(app.sync()),
        Err(NyckelfriError::Network { .. })
    ));
    assert_eq!(app.pending_events().unwrap(), 1);
    proxy.faults.lock().unwrap().clear();
    env.rt.block_on(app.sync()).unwrap();
    assert_eq!(app.pending_events().unwrap(), 0);
    let _ = &proxy.upstream;
}

#[test]
fn a_revoked_device_gets_no_keys_and_an_ended_decision_gets_its_reason_r2_7() {
    let env = Env::start();
    // Find the worker who visits the brukare whose decision ended.
    let mut found_ended = false;
    for (i, code) in env.codes(Role::CareWorker).into_iter().enumerate() {
        let (app, _) = env.phone(&format!("w{i}"));
        env.rt
            .block_on(app.enroll(env.server().url(), code, "p".into()))
            .unwrap();
        env.rt.block_on(app.sync()).unwrap();
        if app
            .today_visits()
            .unwrap()
            .iter()
            .any(|v| matches!(v.key_status, KeyStatus::DecisionEnded { .. }))
        {
            let v = app
                .today_visits()
                .unwrap()
                .into_iter()
                .find(|v| matches!(v.key_status, KeyStatus::DecisionEnded { .. }))
                .unwrap();
            let outcome = env
                .rt
                .block_on(app.open_door(v.visit_id, Arc::new(Quiet)))
                .unwrap();
            assert!(
                matches!(outcome, UnlockOutcome::DecisionEnded { .. }),
                "{outcome:?}"
            );
            found_ended = true;
            break;
        }
    }
    assert!(
        found_ended,
        "the demo has a visit whose care decision has ended"
    );

    // Revoke a device: its next sync is refused and it gets no keys.
    let (app, _) = env.phone("revoked");
    let code = env.codes(Role::NightPatrol).remove(0);
    let who = env
        .rt
        .block_on(app.enroll(env.server().url(), code, "p".into()))
        .unwrap();
    let report = env.rt.block_on(app.sync()).unwrap();
    assert!(report.keys > 0);
    assert!(app.keys_valid_until().unwrap().is_some());
    // The test's own admin client (the app's client configures its own TLS).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let status = env.rt.block_on(async {
        reqwest::Client::new()
            .post(format!(
                "{}/v1/devices/{}/revoke",
                env.server().url(),
                who.device_id
            ))
            .bearer_auth(env.server().admin_token())
            .send()
            .await
            .unwrap()
            .status()
    });
    assert!(status.is_success(), "{status}");
    match env.rt.block_on(app.sync()) {
        Err(NyckelfriError::Server { code, .. }) => assert_eq!(code, "device_revoked"),
        other => panic!("{other:?}"),
    }
    // The keys it held are gone too.
    assert_eq!(app.keys_valid_until().unwrap(), None);
}

#[test]
fn the_phone_signs_its_own_session_domain_whatever_the_server_asks() {
    let env = Env::start();
    let proxy = Proxy::start(env.server().local_addr());
    let (app, _) = env.phone("worker");
    let code = env.codes(Role::CareWorker).remove(0);
    env.rt
        .block_on(app.enroll(proxy.url(), code, "p".into()))
        .unwrap();
    // The challenge comes back naming the lock receipts' domain: the phone
    // still signs "nyckelfri/session/v1" || 0x00 || challenge, which the
    // real server verifies. Signing what it was told would fail (401).
    proxy.next(&[Fault::OtherDomain]);
    let report = env.rt.block_on(app.sync()).unwrap();
    assert!(report.keys > 0, "{report:?}");
}

#[test]
fn a_server_address_is_https_unless_it_is_this_device() {
    let env = Env::start();
    let (app, _) = env.phone("new");
    for url in [
        "http://192.0.2.10:8080",
        "http://nyckelfri.example.org",
        "http://localhost.example.org",
    ] {
        match env
            .rt
            .block_on(app.enroll(url.into(), "K7QM-2XPD-9FRA".into(), "p".into()))
        {
            Err(NyckelfriError::InvalidInput { reason }) => {
                assert!(reason.contains("https://"), "{reason}")
            }
            other => panic!("{url}: {other:?}"),
        }
    }
    // Loopback is this device: the demo server and the tests.
    let code = env.codes(Role::CareWorker).remove(0);
    let url = env.server().url().replace("127.0.0.1", "localhost");
    env.rt.block_on(app.enroll(url, code, "p".into())).unwrap();
}

#[test]
fn sync_without_enrollment_and_with_a_bad_code_say_what_to_do() {
    let env = Env::start();
    let (app, _) = env.phone("new");
    assert!(matches!(
        env.rt.block_on(app.sync()),
        Err(NyckelfriError::NotEnrolled)
    ));
    match env
        .rt
        .block_on(app.enroll(env.server().url(), "NOPE-NOPE-NOPE".into(), "p".into()))
    {
        Err(NyckelfriError::Server { status, .. }) => assert!((400..500).contains(&status)),
        other => panic!("{other:?}"),
    }
    match env
        .rt
        .block_on(app.enroll("http://127.0.0.1:9".into(), "X".into(), "p".into()))
    {
        Err(NyckelfriError::Network { .. }) => {}
        other => panic!("{other:?}"),
    }
}

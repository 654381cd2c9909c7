//! Crash safety with real processes: a child app process is killed with
//! SIGKILL at each point between sending the Request (the lock acts) and
//! the commit; a second child resumes. Afterwards the lock has acted once,
//! and the database holds exactly one receipt and one unlock event.
//!
//! The lock lives in this (parent) process and is reached over a Unix
//! socket, so it survives the child's death like a real lock would.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::io::{Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use common::{NOW, World};
use nyckelfri_core::time::ManualClocks;
use nyckelfri_core::transport::{LockLink, LockTransport, TransportError};
use nyckelfri_core::{
    AppConfig, DeviceSigner, NyckelfriApp, SoftwareSigner, UnlockListener, UnlockStep,
};
use nyckelfri_lock::SimulatedLock;

const CHILD_ENV: &str = "NYCKELFRI_CRASH_CHILD";

// --- the wire between child and parent: tag byte, u32 length, payload ---

fn write_frame(s: &mut UnixStream, tag: u8, payload: &[u8]) -> std::io::Result<()> {
    let mut buf = vec![tag];
    buf.extend_from_slice(&u32::try_from(payload.len()).unwrap().to_be_bytes());
    buf.extend_from_slice(payload);
    s.write_all(&buf)
}

fn read_frame(s: &mut UnixStream) -> std::io::Result<(u8, Vec<u8>)> {
    let mut head = [0u8; 5];
    s.read_exact(&mut head)?;
    let len = u32::from_be_bytes(head[1..].try_into().unwrap()) as usize;
    let mut payload = vec![0u8; len];
    s.read_exact(&mut payload)?;
    Ok((head[0], payload))
}

/// Serves one simulated lock on a Unix socket until the listener is dropped.
fn serve(listener: UnixListener, lock: Arc<Mutex<SimulatedLock>>) {
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { return };
            while let Ok((tag, payload)) = read_frame(&mut s) {
                let mut lock = lock.lock().unwrap();
                let reply = match tag {
                    b'C' => lock.connect().map_or((b'N', vec![]), |h| (b'H', h)),
                    b'S' => lock.receive(&payload).map_or((b'D', vec![]), |r| (b'R', r)),
                    _ => {
                        lock.disconnect();
                        break;
                    }
                };
                drop(lock);
                if write_frame(&mut s, reply.0, &reply.1).is_err() {
                    break;
                }
            }
            lock.lock().unwrap().disconnect();
        }
    });
}

// --- the child's transport, which kills its own process at a chosen point ---

fn die() -> ! {
    // SAFETY: sending SIGKILL to ourselves; nothing runs after it.
    unsafe {
        libc::kill(libc::getpid(), libc::SIGKILL);
    }
    unreachable!("SIGKILL did not kill us")
}

struct SocketTransport {
    path: PathBuf,
    kill_at: String,
}

struct SocketLink {
    stream: UnixStream,
    kill_at: String,
    inbox: Vec<Vec<u8>>,
    dropped: bool,
}

#[async_trait::async_trait]
impl LockTransport for SocketTransport {
    async fn connect(&self, lock_id: &str) -> Result<Box<dyn LockLink>, TransportError> {
        let mut stream = UnixStream::connect(&self.path)
            .map_err(|e| TransportError::ConnectFailed(e.to_string()))?;
        write_frame(&mut stream, b'C', lock_id.as_bytes()).unwrap();
        match read_frame(&mut stream).unwrap() {
            (b'H', hello) => Ok(Box::new(SocketLink {
                stream,
                kill_at: self.kill_at.clone(),
                inbox: vec![hello],
                dropped: false,
            })),
            _ => Err(TransportError::NotFound),
        }
    }

    async fn connect_commissioning(
        &self,
        _lock_key: &nyckelfri_protocol::PublicKey,
    ) -> Result<Box<dyn LockLink>, TransportError> {
        // The crash tests open commissioned locks only.
        Err(TransportError::NotFound)
    }
}

#[async_trait::async_trait]
impl LockLink for SocketLink {
    async fn send(&mut self, message: &[u8]) -> Result<(), TransportError> {
        if self.kill_at == "before_send" {
            die();
        }
        write_frame(&mut self.stream, b'S', message).unwrap();
        if self.kill_at == "after_send" {
            // The Request is on its way; wait until the lock has acted.
            let _ = read_frame(&mut self.stream);
            die();
        }
        match read_frame(&mut self.stream).unwrap() {
            (b'R', result) => self.inbox.push(result),
            _ => self.dropped = true,
        }
        Ok(())
    }

    async fn receive(&mut self) -> Result<Vec<u8>, TransportError> {
        if self.inbox.is_empty() || self.dropped {
            return Err(TransportError::LinkLost("no answer".into()));
        }
        let message = self.inbox.remove(0);
        if self.kill_at == "after_result" && self.inbox.is_empty() && message.get(2) == Some(&3) {
            // The lock's Result ([version, type 3, …]) is in hand, not yet checked or stored.
            die();
        }
        Ok(message)
    }

    async fn close(&mut self) {
        let _ = write_frame(&mut self.stream, b'X', &[]);
    }
}

struct DieOnOpen(bool);

impl UnlockListener for DieOnOpen {
    fn on_step(&self, step: UnlockStep) {
        if self.0 && step == UnlockStep::Open {
            die();
        }
    }
}

/// The child's side: open the door (or resume), as the app would.
#[test]
fn crash_child() {
    let Ok(mode) = std::env::var(CHILD_ENV) else {
        return; // Only runs when the parent starts this binary as a child.
    };
    let dir = PathBuf::from(std::env::var("NYCKELFRI_CRASH_DIR").unwrap());
    let kill_at = std::env::var("NYCKELFRI_CRASH_AT").unwrap_or_default();
    let signer =
        SoftwareSigner::open_or_create(dir.join("device.key").display().to_string()).unwrap();
    let app = NyckelfriApp::with_parts(
        AppConfig {
            database_path: dir.join("nyckelfri.db").display().to_string(),
            connect_timeout_ms: 2_000,
            message_timeout_ms: 2_000,
            sync_backoff_ms: 50,
        },
        signer as Arc<dyn DeviceSigner>,
        Arc::new(SocketTransport {
            path: dir.join("lock.sock"),
            kill_at: if mode == "open" {
                kill_at.clone()
            } else {
                String::new()
            },
        }),
        Box::new(ManualClocks::new(NOW)),
    )
    .unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let listener = Arc::new(DieOnOpen(mode == "open" && kill_at == "after_commit"));
    match mode.as_str() {
        "open" => {
            let outcome = rt
                .block_on(app.open_door("visit-1".into(), listener))
                .unwrap();
            println!("CHILD OUTCOME {outcome:?}");
        }
        // The app starts: it shows what a crash interrupted, and sends nothing.
        "start" => {
            let pending = app.pending_unlocks().unwrap();
            println!("CHILD PENDING {pending:?}");
        }
        // The worker taps to finish each interrupted opening.
        _ => {
            for p in app.pending_unlocks().unwrap() {
                let outcome = rt
                    .block_on(app.resume_unlock(p.request_id, listener.clone()))
                    .unwrap();
                println!("CHILD RESUMED {outcome:?}");
            }
        }
    }
}

fn run_child(dir: &Path, mode: &str, kill_at: &str) -> std::process::ExitStatus {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["crash_child", "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, mode)
        .env("NYCKELFRI_CRASH_DIR", dir)
        .env("NYCKELFRI_CRASH_AT", kill_at)
        .output()
        .unwrap();
    if !out.status.success() && out.status.signal().is_none() {
        panic!(
            "child {mode} failed: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    out.status
}

fn crash_and_resume(kill_at: &str) {
    let mut w = World::new(1);
    {
        let app = w.open_app();
        app.apply_bundle(&w.bundle()).unwrap();
    }
    let listener = UnixListener::bind(w.dir.path().join("lock.sock")).unwrap();
    serve(listener, w.lock("lock-1"));

    let status = run_child(w.dir.path(), "open", kill_at);
    assert_eq!(
        status.signal(),
        Some(libc::SIGKILL),
        "{kill_at}: the child was not killed"
    );
    let acted = w.actuations("lock-1");
    assert!(
        acted <= 1,
        "{kill_at}: the lock acted {acted} times before the resume"
    );
    // Issue 15, item 4: the app starting again sends nothing by itself
    // (the worker may have left the door); only the worker's tap does.
    let status = run_child(w.dir.path(), "start", "");
    assert!(status.success(), "{kill_at}: start failed");
    assert_eq!(
        w.actuations("lock-1"),
        acted,
        "{kill_at}: the app resent the opening without the worker's tap"
    );

    let status = run_child(w.dir.path(), "resume", "");
    assert!(status.success(), "{kill_at}: resume failed");

    assert_eq!(
        w.actuations("lock-1"),
        1,
        "{kill_at}: the door must open exactly once"
    );
    let app = w.open_app();
    let receipts = app.recent_receipts(100).unwrap();
    assert_eq!(receipts.len(), 1, "{kill_at}: receipts {receipts:?}");
    assert_eq!(receipts[0].status, "ok");
    let unlocks: Vec<_> = app
        .recent_events(100)
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == "unlock")
        .collect();
    assert_eq!(unlocks.len(), 1, "{kill_at}: unlock events {unlocks:?}");
    assert_eq!(
        unlocks[0].event_id,
        format!("unlock-{}", receipts[0].request_id)
    );
    // A second resume finds nothing left to do.
    let status = run_child(w.dir.path(), "resume", "");
    assert!(status.success());
    assert_eq!(app.recent_receipts(100).unwrap().len(), 1);
    assert_eq!(w.actuations("lock-1"), 1);
}

#[test]
fn killed_after_recording_the_attempt_but_before_sending_it() {
    crash_and_resume("before_send");
}

#[test]
fn killed_after_the_lock_acted_on_the_request() {
    crash_and_resume("after_send");
}

#[test]
fn killed_holding_the_locks_result_before_checking_and_storing_it() {
    crash_and_resume("after_result");
}

#[test]
fn killed_right_after_the_commit() {
    crash_and_resume("after_commit");
}

#[test]
fn an_attempt_older_than_the_resume_window_is_closed_as_unknown_not_resent() {
    let mut w = World::new(1);
    {
        let app = w.open_app();
        app.apply_bundle(&w.bundle()).unwrap();
    }
    let listener = UnixListener::bind(w.dir.path().join("lock.sock")).unwrap();
    serve(listener, w.lock("lock-1"));
    run_child(w.dir.path(), "open", "before_send");
    // The worker left; the app is opened again five minutes later.
    let clocks = ManualClocks::new(NOW);
    clocks.advance(300);
    let app = NyckelfriApp::with_parts(
        w.config(),
        w.signer.clone() as Arc<dyn DeviceSigner>,
        Arc::new(SocketTransport {
            path: w.dir.path().join("lock.sock"),
            kill_at: String::new(),
        }),
        Box::new(clocks),
    )
    .unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let _ = &rt;
    assert!(app.pending_unlocks().unwrap().is_empty());
    assert_eq!(
        w.actuations("lock-1"),
        0,
        "an unattended door must not open"
    );
    let events = app.recent_events(10).unwrap();
    assert_eq!(events[0].kind, "unlock_outcome_unknown");
}

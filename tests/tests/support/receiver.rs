//! A local HTTP/1.1 receiver for channel tests (nothing leaves the machine): records every
//! request, answers from a script (then 200 with the robots' `{"errcode":0}`), optionally
//! after a delay, and counts a `webhook-id` arriving while the same id is still being
//! answered (a delivery sent twice at once). `hang` accepts and never answers.

#![allow(dead_code)]

use serde_json::Value;
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// One request as the receiver saw it.
#[derive(Clone, Debug)]
pub struct Seen {
    pub method: String,
    pub target: String,
    pub headers: HashMap<String, String>,
    pub body: Vec<u8>,
}

impl Seen {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }
}

#[derive(Default)]
struct Shared {
    seen: Vec<Seen>,
    script: VecDeque<u16>,
    in_flight: HashSet<String>,
    overlaps: Vec<String>,
}

pub struct Receiver {
    pub port: u16,
    shared: Arc<Mutex<Shared>>,
}

impl Receiver {
    pub async fn start() -> Self {
        Self::with_delay(Duration::ZERO, false).await
    }

    /// Accepts connections and never answers (a black hole).
    pub async fn hang() -> Self {
        Self::with_delay(Duration::ZERO, true).await
    }

    /// Answers each request after `delay`.
    pub async fn with_delay(delay: Duration, hang: bool) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let shared = Arc::new(Mutex::new(Shared::default()));
        let sh = shared.clone();
        tokio::spawn(async move {
            loop {
                let Ok((mut sock, _)) = listener.accept().await else {
                    return;
                };
                let sh = sh.clone();
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    let mut chunk = [0u8; 8192];
                    let head_end = loop {
                        let n = sock.read(&mut chunk).await.unwrap_or(0);
                        if n == 0 {
                            return;
                        }
                        buf.extend_from_slice(&chunk[..n]);
                        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                            break i;
                        }
                    };
                    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
                    let mut lines = head.split("\r\n");
                    let first: Vec<&str> = lines.next().unwrap().split(' ').collect();
                    let headers: HashMap<String, String> = lines
                        .filter_map(|l| l.split_once(':'))
                        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
                        .collect();
                    let len: usize = headers
                        .get("content-length")
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(0);
                    let mut body = buf[head_end + 4..].to_vec();
                    while body.len() < len {
                        let n = sock.read(&mut chunk).await.unwrap_or(0);
                        if n == 0 {
                            break;
                        }
                        body.extend_from_slice(&chunk[..n]);
                    }
                    let id = headers.get("webhook-id").cloned();
                    let status = {
                        let mut s = sh.lock().unwrap();
                        if let Some(id) = &id
                            && !s.in_flight.insert(id.clone())
                        {
                            s.overlaps.push(id.clone());
                        }
                        s.seen.push(Seen {
                            method: first[0].to_owned(),
                            target: first[1].to_owned(),
                            headers,
                            body,
                        });
                        s.script.pop_front().unwrap_or(200)
                    };
                    if hang {
                        // Hold the connection open, unanswered, until the client gives up.
                        let _ = sock.read(&mut chunk).await;
                        tokio::time::sleep(Duration::from_secs(3600)).await;
                        return;
                    }
                    if !delay.is_zero() {
                        tokio::time::sleep(delay).await;
                    }
                    let answer = if status == 200 {
                        r#"{"errcode":0,"errmsg":"ok"}"#
                    } else {
                        r#"{"error":"boom"}"#
                    };
                    let resp = format!(
                        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{answer}",
                        answer.len()
                    );
                    let _ = sock.write_all(resp.as_bytes()).await;
                    let _ = sock.shutdown().await;
                    if let Some(id) = id {
                        sh.lock().unwrap().in_flight.remove(&id);
                    }
                });
            }
        });
        Self { port, shared }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// The next answers' statuses (then 200).
    pub fn script(&self, statuses: &[u16]) {
        self.shared.lock().unwrap().script.extend(statuses);
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.shared.lock().unwrap().seen.clone()
    }

    /// Requests being answered now.
    pub fn in_flight(&self) -> usize {
        self.shared.lock().unwrap().in_flight.len()
    }

    /// `webhook-id`s that arrived while the same id was still being answered.
    pub fn overlaps(&self) -> Vec<String> {
        self.shared.lock().unwrap().overlaps.clone()
    }

    /// Waits until `n` requests arrived (or fails after `secs`).
    pub async fn wait_for_within(&self, n: usize, secs: u64) -> Vec<Seen> {
        for _ in 0..secs * 10 {
            let s = self.seen();
            if s.len() >= n {
                return s;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("expected {n} requests, got {}", self.seen().len());
    }

    pub async fn wait_for(&self, n: usize) -> Vec<Seen> {
        self.wait_for_within(n, 20).await
    }
}

/// Standard Webhooks: the number of `v1,` signatures in the header that match
/// HMAC-SHA256(base64-decoded secret after `whsec_`, "id.timestamp.body"), computed by
/// Python's standard library (not the server's code).
pub fn standard_webhooks_matches(secret: &str, seen: &Seen) -> usize {
    let body = String::from_utf8(seen.body.clone()).unwrap();
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg(
            r#"
import base64, hashlib, hmac, sys
secret, msg_id, ts, sigs, body = sys.argv[1:6]
key = base64.b64decode(secret[len("whsec_"):])
mac = base64.b64encode(hmac.new(key, f"{msg_id}.{ts}.{body}".encode(), hashlib.sha256).digest()).decode()
print(sum(1 for s in sigs.split(" ") if s.startswith("v1,") and hmac.compare_digest(s[3:], mac)))
"#,
        )
        .args([
            secret,
            &seen.headers["webhook-id"],
            &seen.headers["webhook-timestamp"],
            &seen.headers["webhook-signature"],
            &body,
        ])
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

//! A fault-injecting HTTP server on 127.0.0.1: each path answers with a
//! scripted sequence of replies (the last one repeats), so tests can make an
//! index fail the way real ones do (503s, Retry-After, cut-off bodies, wrong
//! bytes) and count what the client did.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::wheel::build_wheel;
use super::{DistSpec, sha256_hex};

/// One scripted answer.
#[derive(Debug, Clone)]
pub enum Reply {
    /// 200 with this body and content type.
    Body(Vec<u8>, &'static str),
    /// This status, an empty body, and these headers (e.g. `Retry-After`).
    Status(u16, Vec<(&'static str, String)>),
    /// A 200 that announces the whole body but closes after half of it.
    Truncated(Vec<u8>, &'static str),
    /// 200 with this body and content type, sent in pieces of this many
    /// bytes with a pause after each (a large page on a slow link).
    Pieces(Vec<u8>, &'static str, usize),
    /// Nothing at all for this long (the request is read), then a close.
    Stall(Duration),
}

/// A running fault server; stops when dropped.
pub struct FaultServer {
    address: String,
    hits: Arc<Mutex<Vec<(String, Instant)>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl FaultServer {
    /// Serve `routes`: path → replies in order (the last one repeats).
    pub fn start(routes: Vec<(String, Vec<Reply>)>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the fault server");
        listener
            .set_nonblocking(true)
            .expect("make the fault server non-blocking");
        let address = listener
            .local_addr()
            .expect("fault server address")
            .to_string();
        let hits: Arc<Mutex<Vec<(String, Instant)>>> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let routes: Arc<Mutex<HashMap<String, Vec<Reply>>>> =
            Arc::new(Mutex::new(routes.into_iter().collect()));
        let thread = {
            let (hits, stop) = (hits.clone(), stop.clone());
            std::thread::spawn(move || {
                let deadline = Instant::now() + Duration::from_secs(300);
                while !stop.load(Ordering::Relaxed) && Instant::now() < deadline {
                    match listener.accept() {
                        Ok((stream, _)) => {
                            let (routes, hits) = (routes.clone(), hits.clone());
                            std::thread::spawn(move || serve(stream, &routes, &hits));
                        }
                        Err(_) => std::thread::sleep(Duration::from_millis(5)),
                    }
                }
            })
        };
        Self {
            address,
            hits,
            stop,
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:PORT/simple/`.
    pub fn url(&self) -> String {
        format!("http://{}/simple/", self.address)
    }

    /// `127.0.0.1:PORT`, for output filters.
    pub fn host(&self) -> &str {
        &self.address
    }

    /// When each request for `path` arrived.
    pub fn hits(&self, path: &str) -> Vec<Instant> {
        self.hits
            .lock()
            .expect("hits lock")
            .iter()
            .filter(|(hit, _)| hit == path)
            .map(|(_, at)| *at)
            .collect()
    }
}

impl Drop for FaultServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn serve(
    mut stream: TcpStream,
    routes: &Mutex<HashMap<String, Vec<Reply>>>,
    hits: &Mutex<Vec<(String, Instant)>>,
) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let mut reader = BufReader::new(match stream.try_clone() {
        Ok(clone) => clone,
        Err(_) => return,
    });
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    loop {
        let mut header = String::new();
        match reader.read_line(&mut header) {
            Ok(0) | Err(_) => break,
            Ok(_) if header.trim().is_empty() => break,
            Ok(_) => {}
        }
    }
    let path = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or("/")
        .to_string();
    hits.lock()
        .expect("hits lock")
        .push((path.clone(), Instant::now()));
    let reply = {
        let mut routes = routes.lock().expect("routes lock");
        match routes.get_mut(&path) {
            Some(replies) if replies.len() > 1 => replies.remove(0),
            Some(replies) => replies[0].clone(),
            None => Reply::Status(404, Vec::new()),
        }
    };
    let _ = match reply {
        Reply::Body(body, content_type) => write!(
            stream,
            "HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        )
        .and_then(|()| stream.write_all(&body)),
        Reply::Status(status, headers) => {
            let mut head = format!("HTTP/1.1 {status} Scripted\r\nContent-Length: 0\r\nConnection: close\r\n");
            for (name, value) in headers {
                head.push_str(&format!("{name}: {value}\r\n"));
            }
            head.push_str("\r\n");
            stream.write_all(head.as_bytes())
        }
        Reply::Truncated(body, content_type) => write!(
            stream,
            "HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        )
        .and_then(|()| stream.write_all(&body[..body.len() / 2])),
        Reply::Pieces(body, content_type, size) => write!(
            stream,
            "HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        )
        .and_then(|()| {
            body.chunks(size.max(1)).try_for_each(|piece| {
                stream.write_all(piece)?;
                stream.flush()?;
                std::thread::sleep(Duration::from_millis(5));
                Ok(())
            })
        }),
        Reply::Stall(duration) => {
            std::thread::sleep(duration);
            Ok(())
        }
    };
    let _ = stream.flush();
}

/// A one-package index: `name==version` as one py3 wheel. Returns the routes
/// for its JSON page and its wheel, with `page_sha256` written into the page
/// (normally the wheel's real hash).
pub struct OneWheel {
    pub page_path: String,
    pub wheel_path: String,
    pub page: Vec<u8>,
    pub wheel: Vec<u8>,
    pub sha256: String,
}

impl OneWheel {
    pub fn new(name: &str, version: &str) -> Self {
        let (filename, wheel) = build_wheel(&DistSpec::new(name, version), "py3-none-any");
        let sha256 = sha256_hex(&wheel);
        let wheel_path = format!("/files/{filename}");
        let page = Self::page_with_hash(name, &filename, &wheel_path, &sha256);
        Self {
            page_path: format!("/simple/{name}/"),
            wheel_path,
            page,
            wheel,
            sha256,
        }
    }

    /// The JSON page claiming `sha256` for the wheel.
    pub fn page_with_hash(name: &str, filename: &str, wheel_path: &str, sha256: &str) -> Vec<u8> {
        format!(
            r#"{{"meta":{{"api-version":"1.1"}},"name":"{name}","files":[{{"filename":"{filename}","url":"{wheel_path}","hashes":{{"sha256":"{sha256}"}},"upload-time":"2025-01-01T00:00:00Z"}}]}}"#
        )
        .into_bytes()
    }
}

/// The content type of PEP 691 JSON pages.
pub const JSON: &str = "application/vnd.pypi.simple.v1+json";

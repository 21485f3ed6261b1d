//! A test CA and server certificate made with the `openssl` command, and two
//! small `python3` servers: a static PEP 691 index (over HTTPS with that
//! certificate, or plain HTTP) and a forwarding HTTP proxy. Both log one line
//! per request to a file, so tests can count what went where.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::faults::OneWheel;

/// Why the TLS/proxy tests can't run here (a tool is missing), if they can't.
pub fn missing_tools() -> Option<String> {
    for (tool, arg) in [("openssl", "version"), ("python3", "--version")] {
        let found = Command::new(tool)
            .arg(arg)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success());
        if !found {
            return Some(format!("`{tool}` is not on PATH"));
        }
    }
    None
}

/// `ca.pem`, and `server.pem` / `server.key` for `127.0.0.1` and `localhost`
/// signed by it, in `directory`.
pub struct TestCa {
    pub ca: PathBuf,
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl TestCa {
    pub fn generate(directory: &Path) -> Self {
        std::fs::create_dir_all(directory).expect("create the CA directory");
        let run = |args: &[&str]| {
            let output = Command::new("openssl")
                .args(args)
                .current_dir(directory)
                .output()
                .expect("run openssl");
            assert!(
                output.status.success(),
                "openssl {args:?}: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        };
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"];
        let mut ca = vec!["req", "-x509", "-nodes", "-days", "2"];
        ca.extend(ec);
        ca.extend([
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-subj",
            "/CN=plinth test CA",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ]);
        run(&ca);
        let mut request = vec!["req", "-nodes"];
        request.extend(ec);
        request.extend([
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=localhost",
        ]);
        run(&request);
        std::fs::write(
            directory.join("server.ext"),
            "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n",
        )
        .expect("write server.ext");
        run(&[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            "server.ext",
            "-out",
            "server.pem",
        ]);
        Self {
            ca: directory.join("ca.pem"),
            cert: directory.join("server.pem"),
            key: directory.join("server.key"),
        }
    }
}

const SERVER: &str = r#"
import http.server, os, select, socket, ssl, sys, urllib.request

mode, root, log, port_file = sys.argv[1:5]

def record(line):
    with open(log, "a") as f:
        f.write(line + "\n")

class Index(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *args):
        pass
    def do_GET(self):
        record(self.path)
        path = os.path.join(root, self.path.lstrip("/"))
        if self.path.endswith("/"):
            path, kind = os.path.join(path, "index.json"), "application/vnd.pypi.simple.v1+json"
        else:
            kind = "application/octet-stream"
        if not os.path.isfile(path):
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = open(path, "rb").read()
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

class Proxy(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *args):
        pass
    def do_GET(self):
        record(self.path)
        request = urllib.request.Request(self.path, headers={k: v for k, v in self.headers.items() if k.lower() not in ("proxy-connection", "connection", "host")})
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            response = opener.open(request)
            status, headers, body = response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            status, headers, body = error.code, error.headers, error.read()
        self.send_response(status)
        for key, value in headers.items():
            if key.lower() not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_CONNECT(self):
        record("CONNECT " + self.path)
        host, port = self.path.rsplit(":", 1)
        upstream = socket.create_connection((host, int(port)))
        self.send_response(200)
        self.end_headers()
        self.wfile.flush()
        sockets = [self.connection, upstream]
        while True:
            readable, _, _ = select.select(sockets, [], [], 30)
            if not readable:
                break
            for sock in readable:
                data = sock.recv(65536)
                if not data:
                    upstream.close()
                    self.close_connection = True
                    return
                (upstream if sock is self.connection else self.connection).sendall(data)

class Server(http.server.ThreadingHTTPServer):
    def get_request(self):
        # With TLS the handshake happens here: log the connections it rejects.
        try:
            return super().get_request()
        except OSError as error:
            record("handshake failed: " + str(error))
            raise

handler = Proxy if mode == "proxy" else Index
server = Server(("127.0.0.1", 0), handler)
if mode == "https":
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(sys.argv[5], sys.argv[6])
    server.socket = context.wrap_socket(server.socket, server_side=True)
with open(port_file + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(port_file + ".tmp", port_file)
server.serve_forever()
"#;

/// A `python3` server process; killed when dropped.
pub struct PyServer {
    child: Child,
    pub port: u16,
    log: PathBuf,
}

impl PyServer {
    /// A static index of `pkg` (one wheel) under `/simple/`, plain HTTP or
    /// HTTPS with `ca`'s server certificate.
    pub fn index(directory: &Path, pkg: &OneWheel, tls: Option<&TestCa>) -> Self {
        let root = directory.join("root");
        for (path, bytes) in [
            (format!("{}index.json", pkg.page_path), &pkg.page),
            (pkg.wheel_path.clone(), &pkg.wheel),
        ] {
            let file = root.join(path.trim_start_matches('/'));
            std::fs::create_dir_all(file.parent().expect("a parent")).expect("create index dirs");
            std::fs::write(&file, bytes).expect("write an index file");
        }
        let mut args = vec![
            if tls.is_some() { "https" } else { "http" }.to_string(),
            root.display().to_string(),
        ];
        if let Some(ca) = tls {
            args.extend([ca.cert.display().to_string(), ca.key.display().to_string()]);
        }
        Self::start(directory, "index", &args)
    }

    /// A plain HTTP proxy forwarding absolute-URI GETs.
    pub fn proxy(directory: &Path) -> Self {
        Self::start(directory, "proxy", &["proxy".to_string(), String::new()])
    }

    fn start(directory: &Path, name: &str, args: &[String]) -> Self {
        std::fs::create_dir_all(directory).expect("create the server directory");
        let script = directory.join(format!("{name}.py"));
        let log = directory.join(format!("{name}.log"));
        let port_file = directory.join(format!("{name}.port"));
        std::fs::write(&script, SERVER).expect("write the server script");
        std::fs::write(&log, "").expect("create the log");
        let (mode, root, rest) = (&args[0], &args[1], &args[2..]);
        let child = Command::new("python3")
            .arg(&script)
            .args([mode, root])
            .arg(&log)
            .arg(&port_file)
            .args(rest)
            .env_remove("HTTP_PROXY")
            .env_remove("http_proxy")
            .env_remove("HTTPS_PROXY")
            .env_remove("https_proxy")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start python3");
        let mut server = Self {
            child,
            port: 0,
            log,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(port) = std::fs::read_to_string(&port_file) {
                server.port = port.trim().parse().expect("a port");
                return server;
            }
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("the {name} server exited: {status}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("the {name} server did not start");
    }

    /// The request targets logged so far (paths for the index, absolute URLs for the proxy).
    pub fn requests(&self) -> Vec<String> {
        std::fs::read_to_string(&self.log)
            .expect("read the log")
            .lines()
            .map(str::to_string)
            .collect()
    }
}

impl Drop for PyServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

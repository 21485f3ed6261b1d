//! An index that fails the way real ones do: plinth retries what is worth
//! retrying, gives up clearly, never trusts bytes it could not verify, and
//! never touches the existing lockfile on failure.

use std::time::Duration;

use crate::support::TestContext;
use crate::support::faults::{FaultServer, JSON, OneWheel, Reply};

/// `plinth compile requirements.in` against `server` with the hermetic target.
fn compile(context: &TestContext, server: &FaultServer, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["compile", "requirements.in", "--index-url"];
    let url = server.url();
    args.push(&url);
    args.extend(context.python_args());
    args.extend(["--no-cache", "--no-header"]);
    args.extend(extra);
    context.run(args)
}

fn context(server: &FaultServer) -> TestContext {
    let context = TestContext::new().with_filter(server.host(), "[INDEX]");
    context.write("requirements.in", "pkg\n");
    context.write("requirements.txt", "pkg==0.1\n");
    context
}

#[test]
fn server_errors_are_retried_until_the_page_comes() {
    let pkg = OneWheel::new("pkg", "1.0");
    let server = FaultServer::start(vec![
        (
            pkg.page_path.clone(),
            vec![
                Reply::Status(503, Vec::new()),
                Reply::Status(502, Vec::new()),
                Reply::Body(pkg.page.clone(), JSON),
            ],
        ),
        (
            pkg.wheel_path.clone(),
            vec![Reply::Body(pkg.wheel.clone(), "application/octet-stream")],
        ),
    ]);
    let context = context(&server);
    let output = compile(&context, &server, &[]);
    assert!(output.status.success(), "{}", context.render(&output));
    assert_eq!(server.hits(&pkg.page_path).len(), 3);
    assert_eq!(
        context.read("requirements.txt"),
        "pkg==1.0\n    # via -r requirements.in\n"
    );
}

#[test]
fn retry_after_is_honoured() {
    let pkg = OneWheel::new("pkg", "1.0");
    let server = FaultServer::start(vec![
        (
            pkg.page_path.clone(),
            vec![
                Reply::Status(429, vec![("Retry-After", "2".to_string())]),
                Reply::Body(pkg.page.clone(), JSON),
            ],
        ),
        (
            pkg.wheel_path.clone(),
            vec![Reply::Body(pkg.wheel.clone(), "application/octet-stream")],
        ),
    ]);
    let context = context(&server);
    let output = compile(&context, &server, &[]);
    assert!(output.status.success(), "{}", context.render(&output));
    let hits = server.hits(&pkg.page_path);
    assert_eq!(hits.len(), 2);
    let waited = hits[1].duration_since(hits[0]);
    assert!(
        waited >= Duration::from_millis(1900),
        "retried after {waited:?}"
    );
}

#[test]
fn persistent_server_errors_fail_after_the_retries_and_keep_the_lockfile() {
    let pkg = OneWheel::new("pkg", "1.0");
    let server = FaultServer::start(vec![(
        pkg.page_path.clone(),
        vec![Reply::Status(503, Vec::new())],
    )]);
    let context = context(&server);
    let output = compile(&context, &server, &["--retries", "1"]);
    insta::assert_snapshot!(context.render(&output), @r"
    success: false
    exit_code: 2
    ----- stdout -----

    ----- stderr -----
    error: Failed to get `pkg`
      caused by: `http://[INDEX]/simple/pkg/` answered HTTP 503
      hint: the server failed on every try (`--retries` sets how often plinth retries): try again later
    ");
    assert_eq!(
        server.hits(&pkg.page_path).len(),
        2,
        "one try and one retry"
    );
    assert_eq!(context.read("requirements.txt"), "pkg==0.1\n");
}

#[test]
fn client_errors_are_not_retried() {
    let pkg = OneWheel::new("pkg", "1.0");
    let server = FaultServer::start(vec![(
        pkg.page_path.clone(),
        vec![Reply::Status(403, Vec::new())],
    )]);
    let context = context(&server);
    let output = compile(&context, &server, &[]);
    assert_eq!(output.status.code(), Some(2), "{}", context.render(&output));
    assert_eq!(server.hits(&pkg.page_path).len(), 1);
    assert_eq!(context.read("requirements.txt"), "pkg==0.1\n");
}

#[test]
fn a_cut_off_body_is_retried_and_never_used() {
    let pkg = OneWheel::new("pkg", "1.0");
    let server = FaultServer::start(vec![
        (
            pkg.page_path.clone(),
            vec![Reply::Body(pkg.page.clone(), JSON)],
        ),
        (
            pkg.wheel_path.clone(),
            vec![
                Reply::Truncated(pkg.wheel.clone(), "application/octet-stream"),
                Reply::Body(pkg.wheel.clone(), "application/octet-stream"),
            ],
        ),
    ]);
    let context = context(&server);
    let output = compile(&context, &server, &[]);
    assert!(output.status.success(), "{}", context.render(&output));
    assert_eq!(server.hits(&pkg.wheel_path).len(), 2);
}

#[test]
fn a_page_is_read_while_it_arrives_and_again_after_a_cut_off() {
    let pkg = OneWheel::new("pkg", "1.0");
    let server = FaultServer::start(vec![
        (
            pkg.page_path.clone(),
            vec![
                Reply::Truncated(pkg.page.clone(), JSON),
                Reply::Pieces(pkg.page.clone(), JSON, 7),
            ],
        ),
        (
            pkg.wheel_path.clone(),
            vec![Reply::Body(pkg.wheel.clone(), "application/octet-stream")],
        ),
    ]);
    let context = context(&server);
    let output = compile(&context, &server, &[]);
    assert!(output.status.success(), "{}", context.render(&output));
    assert_eq!(server.hits(&pkg.page_path).len(), 2);
    assert_eq!(
        context.read("requirements.txt"),
        "pkg==1.0\n    # via -r requirements.in\n"
    );
}

#[test]
fn a_page_that_is_not_json_fails_naming_where() {
    let pkg = OneWheel::new("pkg", "1.0");
    let page = br#"{"meta": {"api-version": "1.1"}, "files": [{"filename": oops}]}"#;
    let server = FaultServer::start(vec![(
        pkg.page_path.clone(),
        vec![Reply::Pieces(page.to_vec(), JSON, 10)],
    )]);
    let context = context(&server);
    let output = compile(&context, &server, &[]);
    insta::assert_snapshot!(context.render(&output), @"
    success: false
    exit_code: 2
    ----- stdout -----

    ----- stderr -----
    error: Failed to get `pkg`
      caused by: Invalid response from `http://[INDEX]/simple/pkg/`: Invalid JSON project page: expected value at line 1 column 57
    ");
    assert_eq!(context.read("requirements.txt"), "pkg==0.1\n");
}

#[test]
fn a_body_that_is_always_cut_off_is_an_error() {
    let pkg = OneWheel::new("pkg", "1.0");
    let server = FaultServer::start(vec![
        (
            pkg.page_path.clone(),
            vec![Reply::Body(pkg.page.clone(), JSON)],
        ),
        (
            pkg.wheel_path.clone(),
            vec![Reply::Truncated(
                pkg.wheel.clone(),
                "application/octet-stream",
            )],
        ),
    ]);
    let context = context(&server);
    let output = compile(&context, &server, &["--retries", "1"]);
    assert_eq!(output.status.code(), Some(2), "{}", context.render(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    // hyper notices the short body itself; plinth's own length check backs it up.
    assert!(
        stderr.contains("end of file before message length reached")
            || stderr.contains("the body ended after"),
        "{stderr}"
    );
    assert_eq!(context.read("requirements.txt"), "pkg==0.1\n");
}

#[test]
fn wrong_bytes_are_rejected_naming_both_hashes() {
    let pkg = OneWheel::new("pkg", "1.0");
    let claimed = "0".repeat(64);
    let filename = pkg.wheel_path.trim_start_matches("/files/").to_string();
    let page = OneWheel::page_with_hash("pkg", &filename, &pkg.wheel_path, &claimed);
    let server = FaultServer::start(vec![
        (pkg.page_path.clone(), vec![Reply::Body(page, JSON)]),
        (
            pkg.wheel_path.clone(),
            vec![Reply::Body(pkg.wheel.clone(), "application/octet-stream")],
        ),
    ]);
    let context = context(&server).with_filter(&pkg.sha256, "[ACTUAL SHA256]");
    let output = compile(&context, &server, &[]);
    insta::assert_snapshot!(context.render(&output), @"
    success: false
    exit_code: 2
    ----- stdout -----

    ----- stderr -----
    error: Failed to get `pkg`
      caused by: Hash mismatch for `pkg-1.0-py3-none-any.whl`: the index says sha256 `0000000000000000000000000000000000000000000000000000000000000000`, the download has `[ACTUAL SHA256]`
    ");
    assert_eq!(context.read("requirements.txt"), "pkg==0.1\n");
}

#[test]
fn a_stalled_response_times_out_is_retried_and_fails_naming_the_timeout() {
    let pkg = OneWheel::new("pkg", "1.0");
    let server = FaultServer::start(vec![(
        pkg.page_path.clone(),
        vec![Reply::Stall(Duration::from_secs(30))],
    )]);
    let context = context(&server);
    let started = std::time::Instant::now();
    let output = compile(
        &context,
        &server,
        &["--retries", "1", "--read-timeout", "1"],
    );
    insta::assert_snapshot!(context.render(&output), @r"
    success: false
    exit_code: 2
    ----- stdout -----

    ----- stderr -----
    error: Failed to get `pkg`
      caused by: Request to `http://[INDEX]/simple/pkg/` failed: read timed out after 1 s (`--read-timeout`)
    ");
    assert_eq!(
        server.hits(&pkg.page_path).len(),
        2,
        "one try and one retry"
    );
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "gave up after {:?}",
        started.elapsed()
    );
    assert_eq!(context.read("requirements.txt"), "pkg==0.1\n");
}

#[test]
fn a_stalled_response_is_retried_after_the_read_timeout() {
    let pkg = OneWheel::new("pkg", "1.0");
    let server = FaultServer::start(vec![
        (
            pkg.page_path.clone(),
            vec![
                Reply::Stall(Duration::from_secs(5)),
                Reply::Body(pkg.page.clone(), JSON),
            ],
        ),
        (
            pkg.wheel_path.clone(),
            vec![Reply::Body(pkg.wheel.clone(), "application/octet-stream")],
        ),
    ]);
    let context = context(&server);
    // The first answer never comes within 1 s: timed out, retried, answered.
    let output = compile(&context, &server, &["--read-timeout", "1"]);
    assert!(output.status.success(), "{}", context.render(&output));
    assert_eq!(server.hits(&pkg.page_path).len(), 2);
    assert_eq!(
        context.read("requirements.txt"),
        "pkg==1.0\n    # via -r requirements.in\n"
    );
}

#[test]
fn a_server_that_never_accepts_times_out_connecting_naming_the_timeout() {
    use socket2::{Domain, Socket, Type};
    // A listener with a backlog of 0 that never accepts: once its queue is
    // full, the kernel drops further SYNs, so connecting hangs.
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None).expect("socket");
    let address: std::net::SocketAddr = "127.0.0.1:0".parse().expect("address");
    socket.bind(&address.into()).expect("bind");
    socket.listen(0).expect("listen");
    let address = socket
        .local_addr()
        .expect("local address")
        .as_socket()
        .expect("an IP address");
    let mut fillers = Vec::new();
    let full = (0..64).any(|_| {
        match std::net::TcpStream::connect_timeout(&address, Duration::from_millis(200)) {
            Ok(stream) => {
                fillers.push(stream);
                false
            }
            Err(_) => true,
        }
    });
    if !full {
        eprintln!("skipped: this kernel accepts every connection into the backlog");
        return;
    }
    let context = TestContext::new().with_filter(&address.to_string(), "[INDEX]");
    context.write("requirements.in", "pkg\n");
    context.write("requirements.txt", "pkg==0.1\n");
    let url = format!("http://{address}/simple/");
    let mut args = vec!["compile", "requirements.in", "--index-url", &url];
    args.extend(context.python_args());
    args.extend([
        "--no-cache",
        "--no-header",
        "--retries",
        "1",
        "--connect-timeout",
        "1",
    ]);
    let output = context.run(args);
    insta::assert_snapshot!(context.render(&output), @r"
    success: false
    exit_code: 2
    ----- stdout -----

    ----- stderr -----
    error: Failed to get `pkg`
      caused by: Request to `http://[INDEX]/simple/pkg/` failed: connect timed out after 1 s (`--connect-timeout`)
    ");
    assert_eq!(context.read("requirements.txt"), "pkg==0.1\n");
    drop(socket);
}

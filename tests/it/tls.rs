//! TLS and proxies end to end: an HTTPS index whose certificate comes from a
//! CA made in the test, and a forwarding proxy, both small `python3` servers
//! (see `support/tls.rs`). Skipped, saying why, without `openssl` or `python3`.

use std::process::{Command, Output};
use std::time::{Duration, Instant};

use crate::support::TestContext;
use crate::support::faults::{FaultServer, JSON, OneWheel, Reply};
use crate::support::tls::{PyServer, TestCa, missing_tools};

const LOCKED: &str = "pkg==1.0\n    # via -r requirements.in\n";

/// The tools are there; else prints why the test is skipped.
fn tools_present(test: &str) -> bool {
    match missing_tools() {
        None => true,
        Some(reason) => {
            eprintln!("skipping {test}: {reason}");
            false
        }
    }
}

/// `plinth compile requirements.in --index-url URL` with the hermetic target,
/// no trusted roots from the environment and no proxy.
fn compile(context: &TestContext, url: &str, extra: &[&str]) -> Command {
    let mut args = vec!["compile", "requirements.in", "--index-url", url];
    args.extend(context.python_args());
    args.extend(["--no-cache", "--no-header"]);
    args.extend(extra);
    let mut command = context.command(args);
    for variable in [
        "SSL_CERT_FILE",
        "SSL_CERT_DIR",
        "HTTP_PROXY",
        "http_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
    ] {
        command.env_remove(variable);
    }
    command
}

/// A context whose output shows the HTTPS index as `[INDEX]`, with
/// `requirements.in` and an old lockfile, and the index itself.
fn https_index() -> (TestContext, TestCa, PyServer, String) {
    let context = TestContext::new();
    let ca = TestCa::generate(&context.path("ca"));
    let pkg = OneWheel::new("pkg", "1.0");
    let server = PyServer::index(&context.path("server"), &pkg, Some(&ca));
    let host = format!("127.0.0.1:{}", server.port);
    let context = context.with_filter(&host, "[INDEX]");
    context.write("requirements.in", "pkg\n");
    context.write("requirements.txt", "pkg==0.1\n");
    (context, ca, server, format!("https://{host}/simple"))
}

fn assert_locked(context: &TestContext, output: &Output) {
    assert!(output.status.success(), "{}", context.render(output));
    assert_eq!(context.read("requirements.txt"), LOCKED);
}

#[test]
fn an_untrusted_certificate_fails_at_once_naming_the_problem() {
    if !tools_present("an_untrusted_certificate_fails_at_once_naming_the_problem") {
        return;
    }
    let (context, _ca, server, url) = https_index();
    let started = Instant::now();
    let output = context.run_command(compile(&context, &url, &[]));
    let took = started.elapsed();
    assert_run_snapshot!(context.render(&output), @r"
    success: false
    exit_code: 2
    ----- stdout -----

    ----- stderr -----
    error: Failed to get `pkg`
      caused by: Request to `https://[INDEX]/simple/pkg/` failed: error sending request: client error (Connect): invalid peer certificate: UnknownIssuer (trust the index's CA with `SSL_CERT_FILE` or `SSL_CERT_DIR`, or skip verification for this host with `--allow-insecure-host`)
    ");
    // No retry: one handshake, no backoff (0.5 s + 1 s + 2 s for 3 retries).
    let requests = server.requests();
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert!(requests[0].starts_with("handshake failed"), "{requests:?}");
    assert!(took < Duration::from_millis(1500), "took {took:?}");
    assert_eq!(context.read("requirements.txt"), "pkg==0.1\n");
}

#[test]
fn ssl_cert_file_and_ssl_cert_dir_add_the_ca() {
    if !tools_present("ssl_cert_file_and_ssl_cert_dir_add_the_ca") {
        return;
    }
    let (context, ca, server, url) = https_index();
    let mut command = compile(&context, &url, &[]);
    command.env("SSL_CERT_FILE", &ca.ca);
    assert_locked(&context, &context.run_command(command));
    assert!(server.requests().iter().all(|line| line.starts_with('/')));

    // A directory of certificates works too (each file is read).
    let directory = context.path("certs");
    std::fs::create_dir_all(&directory).expect("create certs/");
    std::fs::copy(&ca.ca, directory.join("test-ca.pem")).expect("copy the CA");
    context.write("requirements.txt", "pkg==0.1\n");
    let mut command = compile(&context, &url, &[]);
    command.env("SSL_CERT_DIR", &directory);
    assert_locked(&context, &context.run_command(command));
}

#[test]
fn roots_that_cannot_be_read_are_named() {
    if !tools_present("roots_that_cannot_be_read_are_named") {
        return;
    }
    // The roots are read while the first connection opens; when none can
    // be, the handshake fails naming what was tried.
    let (context, _ca, _server, url) = https_index();
    let mut command = compile(&context, &url, &[]);
    command
        .env("SSL_CERT_FILE", context.path("missing.pem"))
        .env("SSL_CERT_DIR", context.path("missing-certs"));
    let output = context.run_command(command);
    assert_eq!(output.status.code(), Some(2), "{}", context.render(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    for expected in [
        "no usable root certificates",
        "missing.pem",
        "missing-certs",
        "SSL_CERT_FILE",
    ] {
        assert!(stderr.contains(expected), "{expected}: {stderr}");
    }
    assert_eq!(context.read("requirements.txt"), "pkg==0.1\n");
}

#[test]
fn allow_insecure_host_skips_verification_for_that_host_only() {
    if !tools_present("allow_insecure_host_skips_verification_for_that_host_only") {
        return;
    }
    let (context, _ca, server, url) = https_index();
    let port = server.port.to_string();
    // Another host (or another port of this one) is still verified.
    for other in [
        "localhost".to_string(),
        format!("127.0.0.1:{}", server.port + 1),
    ] {
        let output =
            context.run_command(compile(&context, &url, &["--allow-insecure-host", &other]));
        assert_eq!(output.status.code(), Some(2), "{}", context.render(&output));
        assert!(String::from_utf8_lossy(&output.stderr).contains("certificate"));
        assert_eq!(context.read("requirements.txt"), "pkg==0.1\n");
    }
    for allowed in ["127.0.0.1".to_string(), format!("127.0.0.1:{port}")] {
        context.write("requirements.txt", "pkg==0.1\n");
        let output = context.run_command(compile(
            &context,
            &url,
            &[
                "--allow-insecure-host",
                "example.org",
                "--allow-insecure-host",
                &allowed,
            ],
        ));
        assert_locked(&context, &output);
    }
}

/// A plain HTTP index (the fault server) serving one wheel.
fn http_index() -> (TestContext, FaultServer, OneWheel) {
    let pkg = OneWheel::new("pkg", "1.0");
    let server = FaultServer::start(vec![
        (
            pkg.page_path.clone(),
            vec![Reply::Body(pkg.page.clone(), JSON)],
        ),
        (
            pkg.wheel_path.clone(),
            vec![Reply::Body(pkg.wheel.clone(), "application/octet-stream")],
        ),
    ]);
    let context = TestContext::new().with_filter(server.host(), "[INDEX]");
    context.write("requirements.in", "pkg\n");
    (context, server, pkg)
}

#[test]
fn http_proxy_is_used_and_no_proxy_bypasses_it() {
    if !tools_present("http_proxy_is_used_and_no_proxy_bypasses_it") {
        return;
    }
    let (context, server, pkg) = http_index();
    let proxy = PyServer::proxy(&context.path("proxy"));
    let proxy_url = format!("http://127.0.0.1:{}", proxy.port);
    let url = server.url();

    let mut command = compile(&context, &url, &[]);
    command
        .env("HTTP_PROXY", &proxy_url)
        .env("NO_PROXY", "")
        .env("no_proxy", "");
    assert_locked(&context, &context.run_command(command));
    let through_proxy = proxy.requests();
    for path in [&pkg.page_path, &pkg.wheel_path] {
        let absolute = format!("http://{}{path}", server.host());
        assert!(through_proxy.contains(&absolute), "{through_proxy:?}");
    }
    assert_eq!(server.hits(&pkg.page_path).len(), 1);

    // `NO_PROXY` names the index's host: straight to it.
    context.write("requirements.txt", "");
    let mut command = compile(&context, &url, &[]);
    command
        .env("HTTP_PROXY", &proxy_url)
        .env("NO_PROXY", "127.0.0.1")
        .env("no_proxy", "127.0.0.1");
    assert_locked(&context, &context.run_command(command));
    assert_eq!(
        proxy.requests(),
        through_proxy,
        "the proxy saw more requests"
    );
    assert_eq!(server.hits(&pkg.page_path).len(), 2);
}

#[test]
fn https_proxy_tunnels_with_connect() {
    if !tools_present("https_proxy_tunnels_with_connect") {
        return;
    }
    let (context, ca, server, url) = https_index();
    let proxy = PyServer::proxy(&context.path("proxy"));
    let mut command = compile(&context, &url, &[]);
    command
        .env("SSL_CERT_FILE", &ca.ca)
        .env("HTTPS_PROXY", format!("http://127.0.0.1:{}", proxy.port))
        .env("NO_PROXY", "")
        .env("no_proxy", "");
    assert_locked(&context, &context.run_command(command));
    let tunnels = proxy.requests();
    assert!(!tunnels.is_empty(), "no CONNECT through the proxy");
    let connect = format!("CONNECT 127.0.0.1:{}", server.port);
    assert!(tunnels.iter().all(|line| *line == connect), "{tunnels:?}");
}

//! Nothing loses data or needs cleaning up by hand: a damaged cache is
//! repaired by refetching, several processes share one cache, and a run that
//! is interrupted or killed leaves the previous lockfile as it was, with no
//! temporary file behind.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::support::faults::{FaultServer, OneWheel, Reply};
use crate::support::{RunningIndex, ServerOptions, TestContext, TestIndex};

/// A small graph: `app` needs `lib` and `shared`, `lib` needs `shared`.
fn index() -> RunningIndex {
    TestIndex::new()
        .package("app", "1.0", |p| p.requires("lib>=1").requires("shared"))
        .package("lib", "1.0", |p| p.requires("shared<2"))
        .package("lib", "1.1", |p| p.requires("shared<2"))
        .package("shared", "1.0", |p| p)
        .package("shared", "2.0", |p| p)
        .package("other", "1.0", |p| p)
        .serve_with(ServerOptions {
            pep658: true,
            hashes: false,
            ..ServerOptions::default()
        })
}

/// `plinth compile requirements.in -o - --generate-hashes` against `index`
/// with the context's cache.
fn compile_command(context: &TestContext, index: &RunningIndex) -> Command {
    let url = index.url();
    let mut args = vec!["compile", "requirements.in", "-o", "-", "--index-url", &url];
    args.extend(context.python_args());
    args.extend(["--generate-hashes", "--no-progress", "-q"]);
    context.command(args)
}

/// Every regular file under `dir`, sorted.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// Requests for anything but a project page (metadata files, wheels).
fn file_requests(index: &RunningIndex) -> usize {
    index
        .requests()
        .iter()
        .filter(|request| !request.path.starts_with("/simple/"))
        .count()
}

#[test]
fn corrupted_cache_entries_are_refetched_and_the_lockfile_is_the_same() {
    let index = index();
    let context = TestContext::new().with_index(&index);
    context.write("requirements.in", "app\nother\n");
    let first = context.run_command(compile_command(&context, &index));
    assert!(first.status.success(), "{}", context.render(&first));
    assert!(file_requests(&index) > 0);

    // A warm run answers metadata and hashes from the cache.
    index.clear_requests();
    let warm = context.run_command(compile_command(&context, &index));
    assert!(warm.status.success(), "{}", context.render(&warm));
    assert_eq!(warm.stdout, first.stdout);
    assert_eq!(file_requests(&index), 0, "{:?}", index.requests());

    // Damage every entry, each in its own way (a small LCG picks bytes).
    let entries = files_under(&context.cache_dir());
    assert!(entries.len() >= 6, "{entries:?}");
    let mut seed: u64 = 0x5eed;
    let mut next = || {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (seed >> 33) as usize
    };
    for (number, path) in entries.iter().enumerate() {
        let mut bytes = std::fs::read(path).expect("read a cache entry");
        match number % 5 {
            0 => bytes.truncate(bytes.len() / 2),
            1 => bytes.clear(),
            2 => {
                let at = next() % bytes.len();
                bytes[at] ^= 0x20;
            }
            3 => {
                let at = bytes.len() - 1 - next() % (bytes.len() / 2);
                bytes[at] = bytes[at].wrapping_add(1);
            }
            _ => bytes = b"Metadata-Version: 2.1\nName: wrong\nVersion: 9\n".to_vec(),
        }
        std::fs::write(path, bytes).expect("damage a cache entry");
    }

    index.clear_requests();
    let repaired = context.run_command(compile_command(&context, &index));
    assert!(repaired.status.success(), "{}", context.render(&repaired));
    assert_eq!(
        String::from_utf8_lossy(&repaired.stdout),
        String::from_utf8_lossy(&first.stdout)
    );
    assert!(
        file_requests(&index) > 0,
        "damaged entries are fetched again"
    );

    // ... and stored again: the next run needs the index for pages only.
    index.clear_requests();
    let again = context.run_command(compile_command(&context, &index));
    assert!(again.status.success(), "{}", context.render(&again));
    assert_eq!(again.stdout, first.stdout);
    assert_eq!(file_requests(&index), 0, "{:?}", index.requests());
}

#[test]
fn a_damaged_cache_does_not_answer_offline() {
    let index = index();
    let context = TestContext::new().with_index(&index);
    context.write("requirements.in", "app\n");
    let first = context.run_command(compile_command(&context, &index));
    assert!(first.status.success(), "{}", context.render(&first));
    for path in files_under(&context.cache_dir()) {
        let bytes = std::fs::read(&path).expect("read a cache entry");
        std::fs::write(&path, &bytes[..bytes.len() - 1]).expect("damage a cache entry");
    }
    let mut command = compile_command(&context, &index);
    command.arg("--offline");
    let output = context.run_command(command);
    // Never a wrong answer from damaged bytes: a clear "not in the cache".
    assert_eq!(output.status.code(), Some(2), "{}", context.render(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("is not in the cache"), "{stderr}");
}

#[test]
fn eight_compiles_share_one_cache() {
    let index = index();
    let context = TestContext::new().with_index(&index);
    context.write("requirements.in", "app\nother\n");
    // Cold, then warm: every run exits 0 with the same bytes.
    for round in ["cold", "warm"] {
        let children: Vec<_> = (0..8)
            .map(|_| {
                compile_command(&context, &index)
                    .stdin(Stdio::null())
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .expect("start plinth")
            })
            .collect();
        let outputs: Vec<Output> = children
            .into_iter()
            .map(|child| child.wait_with_output().expect("wait for plinth"))
            .collect();
        for output in &outputs {
            assert!(
                output.status.success(),
                "{round}: {}",
                context.render(output)
            );
            assert_eq!(
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&outputs[0].stdout),
                "{round}"
            );
        }
        assert!(
            String::from_utf8_lossy(&outputs[0].stdout).contains("app==1.0"),
            "{round}"
        );
    }
    // No temporary file is left in the cache.
    for path in files_under(&context.cache_dir()) {
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        assert!(!name.starts_with(".tmp"), "{}", path.display());
    }
}

/// The lockfile a failed or interrupted run must leave as it was (with a
/// header, so that a rewrite would show).
const OLD_LOCKFILE: &str = "# an old lockfile\npkg==0.1\n    # via -r requirements.in\n";

/// Names of the temporary files plinth left in `dir`.
fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .expect("list the output directory")
        .flatten()
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with(".plinth-") || name.ends_with(".tmp"))
        .collect()
}

/// Start `plinth compile` against a server whose project page never answers,
/// and wait until its request is in flight.
fn start_stalled_compile(
    context: &TestContext,
    server: &FaultServer,
    page: &str,
) -> std::process::Child {
    let url = server.url();
    let mut args = vec!["compile", "requirements.in", "--index-url", &url];
    args.extend(context.python_args());
    args.extend(["--no-cache", "--no-progress"]);
    let child = context
        .command(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start plinth");
    let deadline = Instant::now() + Duration::from_secs(30);
    while server.hits(page).is_empty() {
        assert!(Instant::now() < deadline, "plinth never asked for {page}");
        std::thread::sleep(Duration::from_millis(20));
    }
    child
}

fn stalled_context() -> (FaultServer, TestContext, String) {
    let pkg = OneWheel::new("pkg", "1.0");
    let server = FaultServer::start(vec![(
        pkg.page_path.clone(),
        vec![Reply::Stall(Duration::from_secs(60))],
    )]);
    let context = TestContext::new().with_filter(server.host(), "[INDEX]");
    context.write("requirements.in", "pkg\n");
    context.write("requirements.txt", OLD_LOCKFILE);
    (server, context, pkg.page_path)
}

#[test]
fn a_killed_compile_leaves_the_lockfile_and_no_temporary_file() {
    let (server, context, page) = stalled_context();
    let mut child = start_stalled_compile(&context, &server, &page);
    child.kill().expect("SIGKILL plinth");
    let output = child.wait_with_output().expect("wait for plinth");
    assert!(!output.status.success());
    assert_eq!(context.read("requirements.txt"), OLD_LOCKFILE);
    assert_eq!(leftovers(context.root()), Vec::<String>::new());
}

#[test]
fn an_interrupted_compile_leaves_the_lockfile_and_no_temporary_file() {
    let (server, context, page) = stalled_context();
    let child = start_stalled_compile(&context, &server, &page);
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("run kill -INT");
    assert!(status.success());
    let output = child.wait_with_output().expect("wait for plinth");
    assert!(!output.status.success(), "{}", context.render(&output));
    assert_eq!(context.read("requirements.txt"), OLD_LOCKFILE);
    assert_eq!(leftovers(context.root()), Vec::<String>::new());
}

#[test]
fn a_symlinked_lockfile_is_written_through() {
    let index = index();
    let context = TestContext::new().with_index(&index);
    context.write("requirements.in", "other\n");
    context.write("locks/real.txt", OLD_LOCKFILE);
    std::os::unix::fs::symlink("locks/real.txt", context.path("requirements.txt"))
        .expect("symlink the lockfile");
    let url = index.url();
    let mut args = vec!["compile", "requirements.in", "--index-url", &url];
    args.extend(context.python_args());
    args.push("--no-header");
    let output = context.run(args);
    assert!(output.status.success(), "{}", context.render(&output));
    let link = std::fs::symlink_metadata(context.path("requirements.txt")).expect("lstat");
    assert!(link.file_type().is_symlink(), "the link is kept");
    assert_eq!(
        context.read("locks/real.txt"),
        "other==1.0\n    # via -r requirements.in\n"
    );
    assert_eq!(leftovers(context.root()), Vec::<String>::new());
    assert_eq!(leftovers(&context.path("locks")), Vec::<String>::new());
}

/// `a` 2..=30 each need `c` of the same version, which needs `b>=2`, while
/// the input wants `b<2`: every `a` but 1.0 fails only after its `c` is
/// chosen, so the resolver backtracks twice per version of `a`.
fn backtracking_index() -> RunningIndex {
    let mut index = TestIndex::new()
        .package("a", "1", |p| p)
        .package("b", "1.0", |p| p)
        .package("b", "2.0", |p| p);
    for version in 2..=30 {
        let version = version.to_string();
        index = index
            .package("a", &version, |p| p.requires(&format!("c=={version}")))
            .package("c", &version, |p| p.requires("b>=2"));
    }
    index.serve_with(ServerOptions {
        pep658: true,
        ..ServerOptions::default()
    })
}

#[test]
fn a_resolution_that_backtracks_too_often_stops_at_the_limit() {
    let index = backtracking_index();
    let context = TestContext::new().with_index(&index);
    context.write("requirements.in", "a\nb<2\n");
    context.write("requirements.txt", OLD_LOCKFILE);
    let url = index.url();
    let mut args = vec!["compile", "requirements.in", "--index-url", &url];
    args.extend(context.python_args());
    args.extend(["--no-header", "--max-backtracks", "10"]);
    insta::assert_snapshot!(context.snapshot(args.clone()), @r"
    success: false
    exit_code: 2
    ----- stdout -----

    ----- stderr -----
    error: Resolution stopped after 10 backtracks (`--max-backtracks`): the versions of `a` and `c` kept conflicting
      hint: narrow the versions of these packages in the input (e.g. a lower bound), or raise `--max-backtracks`
    ");
    assert_eq!(context.read("requirements.txt"), OLD_LOCKFILE);

    // Under the default limit, the same resolution finds its answer.
    args.truncate(args.len() - 2);
    let output = context.run(args);
    assert!(output.status.success(), "{}", context.render(&output));
    assert_eq!(
        context.read("requirements.txt"),
        "a==1\n    # via -r requirements.in\nb==1.0\n    # via -r requirements.in\n"
    );
}

#[test]
fn a_failed_write_leaves_the_lockfile_and_no_temporary_file() {
    let index = index();
    let context = TestContext::new().with_index(&index);
    context.write("requirements.in", "other\n");
    context.write("requirements.txt", OLD_LOCKFILE);
    let url = index.url();
    let mut args = vec!["compile", "requirements.in", "--index-url", &url];
    args.extend(context.python_args());
    args.push("--no-cache");
    // As on a full disk: every write to a file fails (`ulimit -f 0` gives
    // EFBIG once SIGXFSZ is ignored).
    let plinth = context.command(args);
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg("ulimit -f 0 && trap '' XFSZ && exec \"$0\" \"$@\"")
        .arg(plinth.get_program())
        .args(plinth.get_args())
        .current_dir(context.root());
    for (key, value) in plinth.get_envs() {
        match value {
            Some(value) => command.env(key, value),
            None => command.env_remove(key),
        };
    }
    let output = context.run_command(command);
    assert_eq!(output.status.code(), Some(2), "{}", context.render(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("Failed to write"), "{stderr}");
    assert_eq!(context.read("requirements.txt"), OLD_LOCKFILE);
    assert_eq!(leftovers(context.root()), Vec::<String>::new());
}

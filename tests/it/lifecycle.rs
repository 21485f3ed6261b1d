//! Living with a lockfile, end to end: pins kept as preferences when the index
//! moves on, `upgrade` (all, or `--package NAME[SPEC]`) with its change
//! summary and "held back" warnings, `check` (the CI drift check, online and
//! `--offline`), `why`, and byte-for-byte reproducibility across cache states,
//! with hashes of unchanged pins kept. One live run against PyPI.
//!
//! New releases are published on the running index between two runs
//! ([`RunningIndex::publish`]), so that every run of a test sees the same
//! index URL and the lockfile's header stays the same.

use std::process::Output;

use crate::support::{RunningIndex, ServerOptions, TestContext, TestIndex};

/// Upload time of the releases that [`publish_newer`] adds.
const LATER: &str = "2025-06-01T00:00:00Z";
/// A cutoff between the first releases ([`crate::support::DEFAULT_UPLOAD_TIME`]) and [`LATER`].
const CUTOFF: &str = "2025-03-01T00:00:00Z";

/// The index as it was at the first compile: `app` 1.0 needs `lib>=1`,
/// `shared` and `gone`; `lib` has 0.9 and 1.0; `other` and `rich` are
/// unrelated to `app`.
fn first_releases() -> TestIndex {
    TestIndex::new()
        .package("app", "1.0", |p| {
            p.requires("lib>=1").requires("shared").requires("gone")
        })
        .package("shared", "1.0", |p| p)
        .package("lib", "0.9", |p| p)
        .package("lib", "1.0", |p| p)
        .package("gone", "1.0", |p| p)
        .package("other", "1.0", |p| p)
        .package("rich", "13.0", |p| p)
}

/// Newer releases, uploaded at [`LATER`]: `app` 2.0 and 3.0 need `lib>=2`,
/// `shared>=1` and `newdep` (and no longer `gone`); `lib` 2.0, `shared` 1.1,
/// `newdep` 1.0, `other` 2.0.
fn publish_newer(index: &RunningIndex) {
    for version in ["2.0", "3.0"] {
        index.publish("app", version, |p| {
            p.requires("lib>=2")
                .requires("shared>=1")
                .requires("newdep")
                .upload_time(LATER)
        });
    }
    index.publish("lib", "2.0", |p| p.upload_time(LATER));
    index.publish("shared", "1.1", |p| p.upload_time(LATER));
    index.publish("newdep", "1.0", |p| p.upload_time(LATER));
    index.publish("other", "2.0", |p| p.upload_time(LATER));
}

/// A context that shows `index` as `[INDEX]`.
fn context(index: &RunningIndex) -> TestContext {
    TestContext::new().with_index(index)
}

/// `<command> <args> --python-version 3.11 --python-platform x86_64-manylinux_2_28 --index-url <index>`.
fn plinth_args(
    context: &TestContext,
    index_url: &str,
    command: &str,
    args: &[&str],
) -> Vec<String> {
    std::iter::once(command)
        .chain(args.iter().copied())
        .chain(context.python_args())
        .chain(["--index-url", index_url])
        .map(ToString::to_string)
        .collect()
}

/// Runs `plinth <command> <args>` against `index` with the hermetic target
/// and renders the run and `requirements.txt`.
fn plinth(context: &TestContext, index: &RunningIndex, command: &str, args: &[&str]) -> String {
    context.snapshot_with_files(
        &plinth_args(context, &index.url(), command, args),
        &["requirements.txt"],
    )
}

/// Runs `plinth <command> <args>` like [`plinth`] and panics unless it succeeds.
fn succeed(context: &TestContext, index: &RunningIndex, command: &str, args: &[&str]) -> Output {
    let output = context.run(plinth_args(context, &index.url(), command, args));
    assert!(output.status.success(), "{}", context.render(&output));
    output
}

/// The paths of every request the index received, in order, with `Range:`
/// values shown, e.g. `GET /files/a.whl [bytes=-65536]`.
fn request_lines(index: &RunningIndex) -> Vec<String> {
    index
        .requests()
        .iter()
        .map(|request| match &request.range {
            Some(range) => format!("{} {} [{range}]", request.method, request.path),
            None => format!("{} {}", request.method, request.path),
        })
        .collect()
}

/// stderr with the elapsed time of `Resolved N packages in 0.05s` left out.
fn without_time(stderr: &[u8]) -> String {
    String::from_utf8_lossy(stderr)
        .lines()
        .map(|line| match line.split_once(" in ") {
            Some((resolved, _)) if line.starts_with("Resolved ") => resolved,
            _ => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// `text` with every hash of a file on `index` shown as `[sha256 of FILENAME]`.
fn name_hashes(index: &RunningIndex, text: &str) -> String {
    index.files().iter().fold(text.to_string(), |text, file| {
        text.replace(&file.sha256, &format!("[sha256 of {}]", file.filename))
    })
}

/// A compiled `requirements.txt` for `app` and `other` on [`first_releases`],
/// then the newer releases published.
fn compiled_then_newer_releases() -> (RunningIndex, TestContext) {
    let index = first_releases().serve();
    let context = context(&index);
    context.write("requirements.in", "app\nother\n");
    succeed(&context, &index, "compile", &[]);
    publish_newer(&index);
    (index, context)
}

// 1. Pins are preferences.

#[test]
fn compile_keeps_every_pin_when_newer_releases_appear() {
    let index = first_releases().serve();
    let context = context(&index);
    context.write("requirements.in", "app\nother\n");
    assert_run_snapshot!(plinth(&context, &index, "compile", &[]), @"
    success: true
    exit_code: 0
    ----- stdout -----

    ----- stderr -----
    Resolved 5 package(s) in [TIME]
    ----- requirements.txt -----
    # This file is autogenerated by plinth with the following command:
    #    plinth compile requirements.in --index-url http://[INDEX]/simple/ --python-version 3.11 --python-platform x86_64-manylinux_2_28
    app==1.0
        # via -r requirements.in
    gone==1.0
        # via app
    lib==1.0
        # via app
    other==1.0
        # via -r requirements.in
    shared==1.0
        # via app
    ");
    let first = context.read("requirements.txt");

    publish_newer(&index);
    // The index now offers newer versions of everything pinned.
    assert!(index.get("/simple/app/", &[]).text().contains("app-3.0"));
    assert_run_snapshot!(context.snapshot(plinth_args(&context, &index.url(), "compile", &[])), @"
    success: true
    exit_code: 0
    ----- stdout -----

    ----- stderr -----
    Resolved 5 package(s) in [TIME]
    ");
    assert_eq!(context.read("requirements.txt"), first);
}

#[test]
fn compile_warns_about_a_pin_that_no_longer_fits_and_re_resolves_it() {
    let (index, context) = compiled_then_newer_releases();
    // `lib==1.0` is pinned; the input now wants `lib>=2`.
    context.write("requirements.in", "app\nother\nlib>=2\n");
    assert_run_snapshot!(plinth(&context, &index, "compile", &[]), @"
    success: true
    exit_code: 0
    ----- stdout -----

    ----- stderr -----
    warning: The pin `lib==1.0` in `requirements.txt` no longer fits; it moves to 2.0
    Resolved 5 package(s) in [TIME]
    Changes:
      lib 1.0 -> 2.0
    ----- requirements.txt -----
    # This file is autogenerated by plinth with the following command:
    #    plinth compile requirements.in --index-url http://[INDEX]/simple/ --python-version 3.11 --python-platform x86_64-manylinux_2_28
    app==1.0
        # via -r requirements.in
    gone==1.0
        # via app
    lib==2.0
        # via
        #   -r requirements.in
        #   app
    other==1.0
        # via -r requirements.in
    shared==1.0
        # via app
    ");
}

#[test]
fn compile_warns_about_a_yanked_pin_and_re_resolves_it() {
    let (index, context) = compiled_then_newer_releases();
    index.yank("lib", "1.0", "broken build");
    // Within a day of the last full resolution the lockfile fast path trusts
    // its records (see `cache::fast_path_*`); `--refresh` reads the pages.
    assert_run_snapshot!(plinth(&context, &index, "compile", &["--refresh"]), @"
    success: true
    exit_code: 0
    ----- stdout -----

    ----- stderr -----
    warning: The pin `lib==1.0` in `requirements.txt` was yanked (reason: broken build); it moves to 2.0
    Resolved 5 package(s) in [TIME]
    Changes:
      lib 1.0 -> 2.0
    ----- requirements.txt -----
    # This file is autogenerated by plinth with the following command:
    #    plinth compile requirements.in --index-url http://[INDEX]/simple/ --python-version 3.11 --python-platform x86_64-manylinux_2_28
    app==1.0
        # via -r requirements.in
    gone==1.0
        # via app
    lib==2.0
        # via app
    other==1.0
        # via -r requirements.in
    shared==1.0
        # via app
    ");
}

#[test]
fn compile_warns_about_an_empty_existing_lockfile() {
    let (index, context) = compiled_then_newer_releases();
    context.write("requirements.txt", "");
    assert_run_snapshot!(plinth(&context, &index, "compile", &[]), @"
    success: true
    exit_code: 0
    ----- stdout -----

    ----- stderr -----
    warning: The existing `requirements.txt` is empty (was it truncated?); no pins can be kept from it
    Resolved 5 package(s) in [TIME]
    Changes:
      + app 3.0 (new, via -r requirements.in)
      + lib 2.0 (new, via app)
      + newdep 1.0 (new, via app)
      + other 2.0 (new, via -r requirements.in)
      + shared 1.1 (new, via app)
    ----- requirements.txt -----
    # This file is autogenerated by plinth with the following command:
    #    plinth compile requirements.in --index-url http://[INDEX]/simple/ --python-version 3.11 --python-platform x86_64-manylinux_2_28
    app==3.0
        # via -r requirements.in
    lib==2.0
        # via app
    newdep==1.0
        # via app
    other==2.0
        # via -r requirements.in
    shared==1.1
        # via app
    ");
}

// 2. Upgrades and the change summary.

#[test]
fn upgrade_package_moves_only_that_package_and_what_its_new_version_requires() {
    let (index, context) = compiled_then_newer_releases();
    assert_run_snapshot!(plinth(&context, &index, "upgrade", &["--package", "app"]), @"
    success: true
    exit_code: 0
    ----- stdout -----

    ----- stderr -----
    Resolved 5 package(s) in [TIME]
    Changes:
      app 1.0 -> 3.0
      lib 1.0 -> 2.0
      + newdep 1.0 (new, via app)
      - gone 1.0 (no longer required)
    ----- requirements.txt -----
    # This file is autogenerated by plinth with the following command:
    #    plinth compile requirements.in --index-url http://[INDEX]/simple/ --python-version 3.11 --python-platform x86_64-manylinux_2_28
    app==3.0
        # via -r requirements.in
    lib==2.0
        # via app
    newdep==1.0
        # via app
    other==1.0
        # via -r requirements.in
    shared==1.0
        # via app
    ");
}

#[test]
fn upgrade_package_with_a_specifier_stays_within_it() {
    let (index, context) = compiled_then_newer_releases();
    let output = succeed(&context, &index, "upgrade", &["--package", "app<3"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let changes: Vec<&str> = stderr
        .lines()
        .skip_while(|line| *line != "Changes:")
        .collect();
    assert_eq!(
        changes,
        [
            "Changes:",
            "  app 1.0 -> 2.0",
            "  lib 1.0 -> 2.0",
            "  + newdep 1.0 (new, via app)",
            "  - gone 1.0 (no longer required)",
        ],
        "{stderr}"
    );
    assert_run_snapshot!(context.filter(&context.read("requirements.txt")), @"
    # This file is autogenerated by plinth with the following command:
    #    plinth compile requirements.in --index-url http://[INDEX]/simple/ --python-version 3.11 --python-platform x86_64-manylinux_2_28
    app==2.0
        # via -r requirements.in
    lib==2.0
        # via app
    newdep==1.0
        # via app
    other==1.0
        # via -r requirements.in
    shared==1.0
        # via app
    ");
}

/// `app` reaches the newest version its SPEC allows: nothing holds it back.
#[test]
fn upgrade_package_with_a_specifier_does_not_call_its_own_specifier_a_hold_back() {
    let (index, context) = compiled_then_newer_releases();
    assert_run_snapshot!(context.snapshot(plinth_args(&context, &index.url(), "upgrade", &["--package", "app<3"])), @"
    success: true
    exit_code: 0
    ----- stdout -----

    ----- stderr -----
    Resolved 5 package(s) in [TIME]
    Changes:
      app 1.0 -> 2.0
      lib 1.0 -> 2.0
      + newdep 1.0 (new, via app)
      - gone 1.0 (no longer required)
    ");
}

#[test]
fn upgrade_without_packages_moves_everything() {
    let (index, context) = compiled_then_newer_releases();
    assert_run_snapshot!(plinth(&context, &index, "upgrade", &[]), @"
    success: true
    exit_code: 0
    ----- stdout -----

    ----- stderr -----
    Resolved 5 package(s) in [TIME]
    Changes:
      app 1.0 -> 3.0
      lib 1.0 -> 2.0
      + newdep 1.0 (new, via app)
      other 1.0 -> 2.0
      shared 1.0 -> 1.1
      - gone 1.0 (no longer required)
    ----- requirements.txt -----
    # This file is autogenerated by plinth with the following command:
    #    plinth compile requirements.in --index-url http://[INDEX]/simple/ --python-version 3.11 --python-platform x86_64-manylinux_2_28
    app==3.0
        # via -r requirements.in
    lib==2.0
        # via app
    newdep==1.0
        # via app
    other==2.0
        # via -r requirements.in
    shared==1.1
        # via app
    ");
}

#[test]
fn compile_upgrade_package_equals_upgrade_package() {
    let (index, context) = compiled_then_newer_releases();
    let before = context.read("requirements.txt");

    let upgrade = succeed(&context, &index, "upgrade", &["--package", "app"]);
    let upgraded = context.read("requirements.txt");
    assert_ne!(upgraded, before);

    context.write("requirements.txt", &before);
    let compile = succeed(&context, &index, "compile", &["-P", "app"]);
    assert_eq!(context.read("requirements.txt"), upgraded);
    assert_eq!(without_time(&compile.stderr), without_time(&upgrade.stderr));
}

#[test]
fn upgrade_says_which_input_requirement_holds_a_package_back() {
    let (index, context) = compiled_then_newer_releases();
    context.write("requirements.in", "app<3\nother\n");
    assert_run_snapshot!(plinth(&context, &index, "upgrade", &["--package", "app"]), @"
    success: true
    exit_code: 0
    ----- stdout -----

    ----- stderr -----
    Resolved 5 package(s) in [TIME]
    warning: `app` stays at 2.0 (newest: 3.0), held back by `app<3` from requirements.in:1
    Changes:
      app 1.0 -> 2.0
      lib 1.0 -> 2.0
      + newdep 1.0 (new, via app)
      - gone 1.0 (no longer required)
    ----- requirements.txt -----
    # This file is autogenerated by plinth with the following command:
    #    plinth compile requirements.in --index-url http://[INDEX]/simple/ --python-version 3.11 --python-platform x86_64-manylinux_2_28
    app==2.0
        # via -r requirements.in
    lib==2.0
        # via app
    newdep==1.0
        # via app
    other==1.0
        # via -r requirements.in
    shared==1.0
        # via app
    ");
}

#[test]
fn upgrade_says_which_pinned_package_holds_a_package_back() {
    let index = TestIndex::new()
        .package("plugin", "1.0", |p| p.requires("lib<2"))
        .package("lib", "1.0", |p| p)
        .serve();
    let context = context(&index);
    context.write("requirements.in", "plugin\nlib\n");
    succeed(&context, &index, "compile", &[]);
    index.publish("lib", "2.0", |p| p.upload_time(LATER));
    assert_run_snapshot!(plinth(&context, &index, "upgrade", &["--package", "lib"]), @"
    success: true
    exit_code: 0
    ----- stdout -----

    ----- stderr -----
    Resolved 2 package(s) in [TIME]
    warning: `lib` stays at 1.0 (newest: 2.0), held back by `lib<2` from plugin==1.0
    ----- requirements.txt -----
    # This file is autogenerated by plinth with the following command:
    #    plinth compile requirements.in --index-url http://[INDEX]/simple/ --python-version 3.11 --python-platform x86_64-manylinux_2_28
    lib==1.0
        # via
        #   -r requirements.in
        #   plugin
    plugin==1.0
        # via -r requirements.in
    ");
}

#[test]
fn upgrade_package_not_in_the_lockfile_warns_and_changes_nothing() {
    let (index, context) = compiled_then_newer_releases();
    let before = context.read("requirements.txt");
    assert_run_snapshot!(context.snapshot(plinth_args(&context, &index.url(), "upgrade", &["--package", "rich"])), @"
    success: true
    exit_code: 0
    ----- stdout -----

    ----- stderr -----
    Resolved 5 package(s) in [TIME]
    warning: `rich` is not in the lockfile
    ");
    assert_eq!(context.read("requirements.txt"), before);
}

#[test]
fn upgrade_dry_run_prints_the_summary_and_the_file_and_writes_nothing() {
    let (index, context) = compiled_then_newer_releases();
    let before = context.read("requirements.txt");
    assert_run_snapshot!(
        context.snapshot(plinth_args(&context, &index.url(), "upgrade", &["--package", "app", "--dry-run"])),
        @"
    success: true
    exit_code: 0
    ----- stdout -----
    # This file is autogenerated by plinth with the following command:
    #    plinth compile requirements.in --index-url http://[INDEX]/simple/ --python-version 3.11 --python-platform x86_64-manylinux_2_28
    app==3.0
        # via -r requirements.in
    lib==2.0
        # via app
    newdep==1.0
        # via app
    other==1.0
        # via -r requirements.in
    shared==1.0
        # via app

    ----- stderr -----
    Resolved 5 package(s) in [TIME]
    Changes:
      app 1.0 -> 3.0
      lib 1.0 -> 2.0
      + newdep 1.0 (new, via app)
      - gone 1.0 (no longer required)
    Dry run: nothing written
    ");
    assert_eq!(context.read("requirements.txt"), before);
}

// 3. `check`.

#[test]
fn check_passes_after_compile_fails_after_an_input_edit_and_passes_after_compiling_again() {
    let index = first_releases().serve();
    let context = context(&index);
    context.write("requirements.in", "app\nother\n");
    succeed(&context, &index, "compile", &[]);
    assert_run_snapshot!(plinth(&context, &index, "check", &[]), @"
    success: true
    exit_code: 0
    ----- stdout -----

    ----- stderr -----
    Resolved 5 package(s) in [TIME]
    `requirements.txt` is up to date
    ----- requirements.txt -----
    # This file is autogenerated by plinth with the following command:
    #    plinth compile requirements.in --index-url http://[INDEX]/simple/ --python-version 3.11 --python-platform x86_64-manylinux_2_28
    app==1.0
        # via -r requirements.in
    gone==1.0
        # via app
    lib==1.0
        # via app
    other==1.0
        # via -r requirements.in
    shared==1.0
        # via app
    ");

    context.write("requirements.in", "app\nother\nrich\n");
    let before = context.read("requirements.txt");
    assert_run_snapshot!(plinth(&context, &index, "check", &[]), @"
    success: false
    exit_code: 1
    ----- stdout -----
    --- requirements.txt
    +++ requirements.txt (compiled)
    @@ -8,5 +8,7 @@
         # via app
     other==1.0
         # via -r requirements.in
    +rich==13.0
    +    # via -r requirements.in
     shared==1.0
         # via app

    ----- stderr -----
    Resolved 6 package(s) in [TIME]
    error: `requirements.txt` has drifted from its inputs
      - requirements.in:3 now requires `rich`
      hint: run `plinth compile` and commit the result
    ----- requirements.txt -----
    # This file is autogenerated by plinth with the following command:
    #    plinth compile requirements.in --index-url http://[INDEX]/simple/ --python-version 3.11 --python-platform x86_64-manylinux_2_28
    app==1.0
        # via -r requirements.in
    gone==1.0
        # via app
    lib==1.0
        # via app
    other==1.0
        # via -r requirements.in
    shared==1.0
        # via app
    ");
    assert_eq!(
        context.read("requirements.txt"),
        before,
        "check writes nothing"
    );

    succeed(&context, &index, "compile", &[]);
    assert_run_snapshot!(context.snapshot(plinth_args(&context, &index.url(), "check", &[])), @"
    success: true
    exit_code: 0
    ----- stdout -----

    ----- stderr -----
    Resolved 6 package(s) in [TIME]
    `requirements.txt` is up to date
    ");
}

#[test]
fn check_detects_a_deleted_package_line() {
    let index = first_releases().serve();
    let context = context(&index);
    context.write("requirements.in", "app\nother\n");
    succeed(&context, &index, "compile", &[]);
    let edited = context
        .read("requirements.txt")
        .replace("gone==1.0\n    # via app\n", "");
    context.write("requirements.txt", edited);
    let output = context.run(plinth_args(&context, &index.url(), "check", &[]));
    assert_eq!(output.status.code(), Some(1), "{}", context.render(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("error: `requirements.txt` has drifted from its inputs"),
        "{stderr}"
    );
    assert_run_snapshot!(context.filter(&String::from_utf8_lossy(&output.stdout)), @"
    --- requirements.txt
    +++ requirements.txt (compiled)
    @@ -2,6 +2,8 @@
     #    plinth compile requirements.in --index-url http://[INDEX]/simple/ --python-version 3.11 --python-platform x86_64-manylinux_2_28
     app==1.0
         # via -r requirements.in
    +gone==1.0
    +    # via app
     lib==1.0
         # via app
     other==1.0
    ");
}

/// The reason must say that the lockfile lacks `gone`, not that `app` changed.
#[test]
fn check_explains_a_deleted_package_line_without_claiming_its_parent_changed() {
    let index = first_releases().serve();
    let context = context(&index);
    context.write("requirements.in", "app\nother\n");
    succeed(&context, &index, "compile", &[]);
    let edited = context
        .read("requirements.txt")
        .replace("gone==1.0\n    # via app\n", "");
    context.write("requirements.txt", edited);
    let output = context.run(plinth_args(&context, &index.url(), "check", &[]));
    assert_eq!(output.status.code(), Some(1), "{}", context.render(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let reasons: Vec<&str> = stderr
        .lines()
        .filter(|line| line.starts_with("  - "))
        .collect();
    assert_eq!(reasons.len(), 1, "{stderr}");
    assert!(reasons[0].contains("`gone`"), "{stderr}");
    assert!(!reasons[0].contains("now requires"), "{stderr}");
}

#[test]
fn check_detects_a_pin_changed_to_a_version_that_violates_a_requirement() {
    let index = first_releases().serve();
    let context = context(&index);
    context.write("requirements.in", "app\nother\n");
    succeed(&context, &index, "compile", &[]);
    // `app` 1.0 needs `lib>=1`.
    let edited = context
        .read("requirements.txt")
        .replace("lib==1.0\n", "lib==0.9\n");
    context.write("requirements.txt", edited);
    assert_run_snapshot!(context.snapshot(plinth_args(&context, &index.url(), "check", &[])), @"
    success: false
    exit_code: 1
    ----- stdout -----
    --- requirements.txt
    +++ requirements.txt (compiled)
    @@ -4,7 +4,7 @@
         # via -r requirements.in
     gone==1.0
         # via app
    -lib==0.9
    +lib==1.0
         # via app
     other==1.0
         # via -r requirements.in

    ----- stderr -----
    Resolved 5 package(s) in [TIME]
    error: `requirements.txt` has drifted from its inputs
      - `lib==0.9` no longer satisfies `lib>=1` from app==1.0
      hint: run `plinth compile` and commit the result
    ");
}

/// As documented: a pin moved by hand to a version that still satisfies
/// every requirement is what `upgrade --package` could have written.
#[test]
fn check_accepts_a_pin_moved_by_hand_to_a_version_that_still_fits() {
    let (index, context) = compiled_then_newer_releases();
    let edited = context
        .read("requirements.txt")
        .replace("other==1.0\n", "other==2.0\n");
    context.write("requirements.txt", edited);
    assert_run_snapshot!(context.snapshot(plinth_args(&context, &index.url(), "check", &[])), @"
    success: true
    exit_code: 0
    ----- stdout -----

    ----- stderr -----
    Resolved 5 package(s) in [TIME]
    `requirements.txt` is up to date
    ");
}

#[test]
fn check_exits_2_on_an_invalid_requirement() {
    let index = first_releases().serve();
    let context = context(&index);
    context.write("requirements.in", "app\nother\n");
    succeed(&context, &index, "compile", &[]);
    context.write("requirements.in", "app\nother>=>2\n");
    assert_run_snapshot!(context.snapshot(plinth_args(&context, &index.url(), "check", &[])), @r#"
    success: false
    exit_code: 2
    ----- stdout -----

    ----- stderr -----
    error: Invalid requirement at `requirements.in:2:6`: no such comparison operator ">=>", must be one of ~= == != <= >= < > ===
      other>=>2
           ^^^^
    "#);
}

#[test]
fn check_exits_2_when_an_input_file_is_missing() {
    let index = first_releases().serve();
    let context = context(&index);
    context.write("requirements.in", "app\nother\n");
    succeed(&context, &index, "compile", &[]);
    std::fs::remove_file(context.path("requirements.in")).expect("remove requirements.in");
    assert_run_snapshot!(context.snapshot(plinth_args(&context, &index.url(), "check", &[])), @"
    success: false
    exit_code: 2
    ----- stdout -----

    ----- stderr -----
    error: Failed to read `requirements.in`: No such file or directory (os error 2)
    ");
}

#[test]
fn check_exits_1_when_the_lockfile_does_not_exist() {
    let index = first_releases().serve();
    let context = context(&index);
    context.write("requirements.in", "app\nother\n");
    assert_run_snapshot!(plinth(&context, &index, "check", &[]), @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    Resolved 5 package(s) in [TIME]
    error: `requirements.txt` does not exist
      hint: create it with `plinth compile`
    ----- requirements.txt -----
    (missing)
    ");
}

#[test]
fn check_reuses_the_target_cutoff_and_hashes_recorded_in_the_header() {
    let index = first_releases().serve();
    let context = context(&index);
    context.write("requirements.in", "app\nother\n");
    succeed(
        &context,
        &index,
        "compile",
        &["--exclude-newer", CUTOFF, "--generate-hashes"],
    );
    publish_newer(&index);
    // No target, cutoff or `--generate-hashes` on the command line, and no
    // interpreter to ask for a default target: all of it comes from the header.
    let mut command = context.command(["check", "--index-url", &index.url()]);
    command.env("PLINTH_PYTHON", context.path("no-such-python"));
    assert_run_snapshot!(context.snapshot_command(command), @"
    success: true
    exit_code: 0
    ----- stdout -----

    ----- stderr -----
    Resolved 5 package(s) in [TIME]
    `requirements.txt` is up to date
    ");
}

#[test]
fn check_offline_answers_from_the_cache_with_the_index_gone() {
    let index = first_releases().serve();
    let context = context(&index);
    let url = index.url();
    context.write("requirements.in", "app\nother\n");
    succeed(&context, &index, "compile", &[]);
    drop(index);
    assert_run_snapshot!(context.snapshot(plinth_args(&context, &url, "check", &["--offline"])), @"
    success: true
    exit_code: 0
    ----- stdout -----

    ----- stderr -----
    Resolved 5 package(s) in [TIME]
    `requirements.txt` is up to date
    ");
}

#[test]
fn check_offline_with_an_empty_cache_names_what_is_missing() {
    let index = first_releases().serve();
    let context = context(&index);
    let url = index.url();
    context.write("requirements.in", "app\nother\n");
    succeed(&context, &index, "compile", &[]);
    drop(index);
    assert_run_snapshot!(
        context.snapshot(plinth_args(&context, &url, "check", &["--offline", "--cache-dir", "empty-cache"])),
        @"
    success: false
    exit_code: 2
    ----- stdout -----

    ----- stderr -----
    error: Failed to get `app`
      caused by: `http://[INDEX]/simple/app/` is not in the cache, and `--offline` forbids asking the index
    ");
}

// 4. `why`.

/// `web` needs `core>=1` and `tmpl>=2`; `tmpl` needs `core`.
fn diamond() -> TestIndex {
    TestIndex::new()
        .package("web", "1.0", |p| p.requires("core>=1").requires("tmpl>=2"))
        .package("tmpl", "2.0", |p| p.requires("core"))
        .package("core", "1.0", |p| p)
        .package("core", "1.1", |p| p)
        .package("unused", "1.0", |p| p)
}

#[test]
fn why_prints_every_path_from_an_input_line_to_the_package() {
    let index = diamond().serve();
    let context = context(&index);
    context.write("requirements.in", "web>=1\ntmpl\n");
    succeed(&context, &index, "compile", &[]);
    assert_run_snapshot!(context.snapshot(plinth_args(&context, &index.url(), "why", &["core"])), @"
    success: true
    exit_code: 0
    ----- stdout -----
    requirements.in:1 web>=1 -> web 1.0 -> core>=1 -> core 1.1
    requirements.in:1 web>=1 -> web 1.0 -> tmpl>=2 -> tmpl 2.0 -> core -> core 1.1
    requirements.in:2 tmpl -> tmpl 2.0 -> core -> core 1.1

    ----- stderr -----
    Resolved 3 package(s) in [TIME]
    ");
}

#[test]
fn why_exits_1_for_a_package_not_in_the_lockfile() {
    let index = diamond().serve();
    let context = context(&index);
    context.write("requirements.in", "web>=1\ntmpl\n");
    succeed(&context, &index, "compile", &[]);
    assert_run_snapshot!(context.snapshot(plinth_args(&context, &index.url(), "why", &["unused"])), @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    Resolved 3 package(s) in [TIME]
    error: `unused` is not required by the inputs
    ");
}

// 5. Reproducibility.

/// Compiles [`first_releases`] with `--generate-hashes` with a cold cache, a
/// warm cache and no cache, from no existing lockfile each time; the three
/// files are identical.
fn assert_cache_state_does_not_change_the_lockfile(options: ServerOptions) {
    let index = first_releases().serve_with(options);
    let context = context(&index);
    context.write("requirements.in", "app\nother\n");
    let mut files = Vec::new();
    let mut file_requests = Vec::new();
    for args in [&[][..], &[][..], &["--no-cache"][..]] {
        let mut args = args.to_vec();
        args.push("--generate-hashes");
        index.clear_requests();
        succeed(&context, &index, "compile", &args);
        files.push(context.read("requirements.txt"));
        file_requests.push(
            request_lines(&index)
                .into_iter()
                .filter(|line| line.contains("/files/"))
                .count(),
        );
        std::fs::remove_file(context.path("requirements.txt")).expect("remove the lockfile");
    }
    // The warm run really answered from the cache, the others did not.
    assert!(file_requests[0] > 0, "{file_requests:?}");
    assert_eq!(file_requests[1], 0, "{file_requests:?}");
    assert_eq!(file_requests[2], file_requests[0], "{file_requests:?}");
    assert_eq!(files[0], files[1], "cold cache, then warm cache");
    assert_eq!(files[0], files[2], "cold cache, then no cache");
}

#[test]
fn concurrency_level_does_not_change_the_lockfile() {
    let index = first_releases().serve();
    let context = context(&index);
    context.write("requirements.in", "app\nother\n");
    let mut files = Vec::new();
    for concurrency in ["1", "64"] {
        succeed(
            &context,
            &index,
            "compile",
            &[
                "--concurrency",
                concurrency,
                "--no-cache",
                "--generate-hashes",
            ],
        );
        files.push(context.read("requirements.txt"));
        std::fs::remove_file(context.path("requirements.txt")).expect("remove the lockfile");
    }
    assert_eq!(files[0], files[1]);
}

#[test]
fn cold_cache_warm_cache_and_no_cache_give_identical_files() {
    assert_cache_state_does_not_change_the_lockfile(ServerOptions::default());
}

#[test]
fn cold_cache_warm_cache_and_no_cache_give_identical_files_when_hashes_need_downloads() {
    assert_cache_state_does_not_change_the_lockfile(ServerOptions {
        hashes: false,
        pep658: true,
        ..ServerOptions::default()
    });
}

#[test]
fn upgrade_with_hashes_downloads_only_the_changed_pins_and_keeps_the_other_hashes() {
    // The pages give no hashes, so a hash costs a download; PEP 658 files
    // give the metadata, so every other request for a file is a download.
    let index = first_releases().serve_with(ServerOptions {
        hashes: false,
        pep658: true,
        ..ServerOptions::default()
    });
    let context = context(&index);
    context.write("requirements.in", "app\nother\n");
    succeed(&context, &index, "compile", &["--generate-hashes"]);
    let before = context.read("requirements.txt");
    publish_newer(&index);
    index.clear_requests();

    // No cache: what is not downloaded again was kept from the old file.
    assert_run_snapshot!(
        name_hashes(&index, &plinth(&context, &index, "upgrade", &["--package", "app", "--generate-hashes", "--no-cache"])),
        @r"
    success: true
    exit_code: 0
    ----- stdout -----

    ----- stderr -----
    Resolved 5 package(s) in [TIME]
    Changes:
      app 1.0 -> 3.0
      lib 1.0 -> 2.0
      + newdep 1.0 (new, via app)
      - gone 1.0 (no longer required)
    ----- requirements.txt -----
    # This file is autogenerated by plinth with the following command:
    #    plinth compile requirements.in --index-url http://[INDEX]/simple/ --python-version 3.11 --python-platform x86_64-manylinux_2_28 --generate-hashes
    app==3.0 \
        --hash=sha256:[sha256 of app-3.0-py3-none-any.whl]
        # via -r requirements.in
    lib==2.0 \
        --hash=sha256:[sha256 of lib-2.0-py3-none-any.whl]
        # via app
    newdep==1.0 \
        --hash=sha256:[sha256 of newdep-1.0-py3-none-any.whl]
        # via app
    other==1.0 \
        --hash=sha256:[sha256 of other-1.0-py3-none-any.whl]
        # via -r requirements.in
    shared==1.0 \
        --hash=sha256:[sha256 of shared-1.0-py3-none-any.whl]
        # via app
    ");
    let mut downloads: Vec<String> = request_lines(&index)
        .into_iter()
        .filter(|line| line.starts_with("GET /files/") && !line.ends_with(".metadata"))
        .collect();
    downloads.sort();
    assert_eq!(
        downloads,
        [
            "GET /files/app-3.0-py3-none-any.whl",
            "GET /files/lib-2.0-py3-none-any.whl",
            "GET /files/newdep-1.0-py3-none-any.whl",
        ],
        "{:#?}",
        request_lines(&index)
    );
    let other = |file: &str| {
        let start = file.find("other==1.0").expect("other is pinned");
        file[start..].to_string()
    };
    assert_eq!(other(&context.read("requirements.txt")), other(&before));
}

// 6. Live.

/// A lockfile pip-compile wrote long ago: flask 2.0.0 with its dependencies
/// of the time, and requests 2.25.0 with its own.
const OLD_FLASK_AND_REQUESTS: &str = "\
#
# This file is autogenerated by pip-compile with Python 3.11
# by the following command:
#
#    pip-compile requirements.in
#
certifi==2020.12.5
    # via requests
chardet==3.0.4
    # via requests
click==8.0.0
    # via flask
flask==2.0.0
    # via -r requirements.in
idna==2.10
    # via requests
itsdangerous==2.0.0
    # via flask
jinja2==3.0.0
    # via flask
markupsafe==2.1.2
    # via jinja2
requests==2.25.0
    # via -r requirements.in
urllib3==1.26.0
    # via requests
werkzeug==2.0.0
    # via flask
";

#[test]
fn live_pypi_upgrade_flask_keeps_requests() {
    let context = TestContext::new();
    context.write("requirements.in", "flask\nrequests\n");
    context.write("requirements.txt", OLD_FLASK_AND_REQUESTS);
    let args: Vec<String> = [
        "upgrade",
        "--package",
        "flask",
        "--exclude-newer",
        "2026-11-01T00:00:00Z",
    ]
    .into_iter()
    .chain(context.python_args())
    .map(ToString::to_string)
    .collect();
    let output = context.run(&args);
    let rendered = context.render(&output);
    assert!(output.status.success(), "{rendered}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    for line in [
        "  flask 2.0.0 -> 3.1.3",
        "  + blinker 1.9.0 (new, via flask)",
    ] {
        assert!(stderr.lines().any(|l| l == line), "{line}: {rendered}");
    }
    for unmoved in [
        "requests",
        "certifi",
        "chardet",
        "idna",
        "urllib3",
        "markupsafe",
    ] {
        assert!(
            !stderr
                .lines()
                .any(|l| l.starts_with(&format!("  {unmoved} "))),
            "{unmoved} moved: {rendered}"
        );
    }
    assert_run_snapshot!(rendered + "----- requirements.txt -----\n" + &context.read("requirements.txt"), @"
    success: true
    exit_code: 0
    ----- stdout -----

    ----- stderr -----
    Resolved 12 package(s) in [TIME]
    Changes:
      + blinker 1.9.0 (new, via flask)
      click 8.0.0 -> 8.5.0
      flask 2.0.0 -> 3.1.3
      itsdangerous 2.0.0 -> 2.2.0
      jinja2 3.0.0 -> 3.1.6
      werkzeug 2.0.0 -> 3.1.9
    ----- requirements.txt -----
    # This file is autogenerated by plinth with the following command:
    #    plinth compile requirements.in --python-version 3.11 --python-platform x86_64-manylinux_2_28 --exclude-newer 2026-11-01T00:00:00Z
    blinker==1.9.0
        # via flask
    certifi==2020.12.5
        # via requests
    chardet==3.0.4
        # via requests
    click==8.5.0
        # via flask
    flask==3.1.3
        # via -r requirements.in
    idna==2.10
        # via requests
    itsdangerous==2.2.0
        # via flask
    jinja2==3.1.6
        # via flask
    markupsafe==2.1.2
        # via
        #   flask
        #   jinja2
        #   werkzeug
    requests==2.25.0
        # via -r requirements.in
    urllib3==1.26.0
        # via requests
    werkzeug==3.1.9
        # via flask
    ");
}

//! Resolver semantics, end to end: which versions `plinth compile` pins for
//! backtracking, extras, markers, pre-releases, yanked files, Requires-Python,
//! local and post versions, wheel tags and constraints, and how it explains a
//! failure. Every run targets CPython 3.11 on x86_64 manylinux_2_28 and reads
//! only the local test index.
//!
//! Each expected pin was checked against what pip and `uv pip compile` pin for
//! the same index (PEP 440, PEP 508, PEP 592).

use std::process::Command;

use crate::support::{DistSpec, RunningIndex, TestContext, TestIndex};

/// Snapshots a rendered run with the elapsed time shown as `[TIME]`.
macro_rules! assert_compile_snapshot {
    ($value:expr, @$snapshot:literal) => {
        insta::with_settings!({ filters => vec![(r"in \d+\.\d+s", "in [TIME]")] }, {
            insta::assert_snapshot!($value, @$snapshot);
        })
    };
}

/// `plinth compile requirements.in --index-url <index>` for the test target, plus `args`.
fn compile_command(context: &TestContext, index: &RunningIndex, args: &[&str]) -> Command {
    let mut command = context.command(["compile", "requirements.in", "--index-url"]);
    command
        .arg(index.url())
        .args(context.python_args())
        .args(args);
    command
}

/// Compiles `requirements` (the content of `requirements.in`) and renders the
/// run, with the lockfile, without its header, on stdout.
fn compile(index: &RunningIndex, requirements: &str, args: &[&str]) -> String {
    let context = TestContext::new().with_index(index);
    context.write("requirements.in", requirements);
    compile_in(&context, index, args)
}

/// Like [`compile`], in a prepared context.
fn compile_in(context: &TestContext, index: &RunningIndex, args: &[&str]) -> String {
    let mut command = compile_command(context, index, &["--no-header", "-o", "-"]);
    command.args(args);
    context.snapshot_command(command)
}

/// A release whose wheel METADATA says `Requires-Python: <specifiers>` while
/// the index page gives no `data-requires-python`, like an index that does not
/// expose it.
fn metadata_only_requires_python(spec: DistSpec, specifiers: &str) -> DistSpec {
    // `core_metadata` writes each `Provides-Extra:` on a line of its own; a
    // second header line rides along with an extra that nothing requests.
    spec.extra(&format!("unused\nRequires-Python: {specifiers}"), &[])
}

/// Checks that the index page of `name` gives no Requires-Python, in either form.
fn assert_index_hides_requires_python(index: &RunningIndex, name: &str) {
    for accept in ["application/vnd.pypi.simple.v1+json", "text/html"] {
        let page = index.get(&format!("/simple/{name}/"), &[("Accept", accept)]);
        assert_eq!(page.status, 200);
        assert!(!page.text().contains("requires-python"), "{}", page.text());
    }
}

// Backtracking.

#[test]
fn backtracks_to_an_older_version_when_the_newest_conflicts() {
    let index = TestIndex::new()
        .package("a", "1.0", |p| p.requires("c"))
        .package("a", "2.0", |p| p.requires("c<2"))
        .package("b", "1.0", |p| p.requires("c>=2"))
        .package("c", "1.0", |p| p)
        .package("c", "2.0", |p| p)
        .serve();
    assert_compile_snapshot!(compile(&index, "a\nb\n", &[]), @r"
    success: true
    exit_code: 0
    ----- stdout -----
    a==1.0
        # via -r requirements.in
    b==1.0
        # via -r requirements.in
    c==2.0
        # via
        #   a
        #   b

    ----- stderr -----
    Resolved 3 packages in [TIME]
    ");
}

#[test]
fn backtracks_twice_through_a_chain() {
    // a 3 needs b 3 needs c 3, a 2 needs b 2 needs c 2, and only c 1 goes
    // with d: the only solution is a 1, b 1, c 1.
    let index = TestIndex::new()
        .package("a", "1.0", |p| p.requires("b<2"))
        .package("a", "2.0", |p| p.requires("b>=2,<3"))
        .package("a", "3.0", |p| p.requires("b>=3"))
        .package("b", "1.0", |p| p.requires("c<2"))
        .package("b", "2.0", |p| p.requires("c>=2,<3"))
        .package("b", "3.0", |p| p.requires("c>=3"))
        .package("c", "1.0", |p| p)
        .package("c", "2.0", |p| p)
        .package("c", "3.0", |p| p)
        .package("d", "1.0", |p| p.requires("c<2"))
        .serve();
    assert_compile_snapshot!(compile(&index, "a\nd\n", &[]), @r"
    success: true
    exit_code: 0
    ----- stdout -----
    a==1.0
        # via -r requirements.in
    b==1.0
        # via a
    c==1.0
        # via
        #   b
        #   d
    d==1.0
        # via -r requirements.in

    ----- stderr -----
    Resolved 4 packages in [TIME]
    ");
}

#[test]
fn circular_dependencies_resolve() {
    let index = TestIndex::new()
        .package("a", "1.0", |p| p.requires("b"))
        .package("b", "1.0", |p| p.requires("a"))
        .serve();
    assert_compile_snapshot!(compile(&index, "a\n", &[]), @r"
    success: true
    exit_code: 0
    ----- stdout -----
    a==1.0
        # via
        #   -r requirements.in
        #   b
    b==1.0
        # via a

    ----- stderr -----
    Resolved 2 packages in [TIME]
    ");
}

// Extras.

fn extras_index() -> TestIndex {
    TestIndex::new()
        .package("pkg", "1.0", |p| {
            p.requires("base-dep")
                .extra("fast", &["speedup>=1"])
                .extra("alpha", &["alpha-dep"])
                .extra("beta", &["beta-dep"])
                .extra("all", &["pkg[alpha,beta]"])
                .extra(
                    "platform",
                    &[
                        "linux-dep; sys_platform == \"linux\"",
                        "windows-dep; sys_platform == \"win32\"",
                    ],
                )
        })
        .package("base-dep", "1.0", |p| p)
        .package("speedup", "0.5", |p| p)
        .package("speedup", "1.2", |p| p)
        .package("alpha-dep", "1.0", |p| p)
        .package("beta-dep", "1.0", |p| p)
        .package("linux-dep", "1.0", |p| p)
        .package("windows-dep", "1.0", |p| p)
        .package("tool", "1.0", |p| p.requires("pkg[beta]>=1"))
        .package("other", "1.0", |p| p.requires("alpha-dep"))
}

#[test]
fn extra_pulls_its_dependencies() {
    let index = extras_index().serve();
    assert_compile_snapshot!(compile(&index, "pkg[fast]\n", &[]), @r"
    success: true
    exit_code: 0
    ----- stdout -----
    base-dep==1.0
        # via pkg
    pkg==1.0
        # via -r requirements.in
    speedup==1.2
        # via pkg

    ----- stderr -----
    Resolved 3 packages in [TIME]
    ");
}

#[test]
fn extra_dependencies_are_not_pulled_without_the_extra() {
    let index = extras_index().serve();
    assert_compile_snapshot!(compile(&index, "pkg\n", &[]), @r"
    success: true
    exit_code: 0
    ----- stdout -----
    base-dep==1.0
        # via pkg
    pkg==1.0
        # via -r requirements.in

    ----- stderr -----
    Resolved 2 packages in [TIME]
    ");
}

#[test]
fn extra_requirement_with_its_own_marker() {
    let index = extras_index().serve();
    assert_compile_snapshot!(compile(&index, "pkg[platform]\n", &[]), @r"
    success: true
    exit_code: 0
    ----- stdout -----
    base-dep==1.0
        # via pkg
    linux-dep==1.0
        # via pkg
    pkg==1.0
        # via -r requirements.in

    ----- stderr -----
    Resolved 3 packages in [TIME]
    ");
}

#[test]
fn self_referencing_extra_pulls_the_extras_it_names() {
    let index = extras_index().serve();
    assert_compile_snapshot!(compile(&index, "pkg[all]\n", &[]), @r"
    success: true
    exit_code: 0
    ----- stdout -----
    alpha-dep==1.0
        # via pkg
    base-dep==1.0
        # via pkg
    beta-dep==1.0
        # via pkg
    pkg==1.0
        # via -r requirements.in

    ----- stderr -----
    Resolved 4 packages in [TIME]
    ");
}

#[test]
fn missing_extra_warns_and_resolves_the_rest() {
    let index = extras_index().serve();
    assert_compile_snapshot!(compile(&index, "pkg[nope]\n", &[]), @r"
    success: true
    exit_code: 0
    ----- stdout -----
    base-dep==1.0
        # via pkg
    pkg==1.0
        # via -r requirements.in

    ----- stderr -----
    warning: The package `pkg==1.0` does not have an extra named `nope` (it has: all, alpha, beta, fast, platform)
    Resolved 2 packages in [TIME]
    ");
}

#[test]
fn two_requirements_on_one_package_with_different_extras() {
    // `pkg[alpha]` from requirements.in and `pkg[beta]` from tool: both
    // extras apply to the one pinned pkg.
    let index = extras_index().serve();
    assert_compile_snapshot!(compile(&index, "pkg[alpha]\ntool\n", &[]), @r"
    success: true
    exit_code: 0
    ----- stdout -----
    alpha-dep==1.0
        # via pkg
    base-dep==1.0
        # via pkg
    beta-dep==1.0
        # via pkg
    pkg==1.0
        # via
        #   -r requirements.in
        #   tool
    tool==1.0
        # via -r requirements.in

    ----- stderr -----
    Resolved 5 packages in [TIME]
    ");
}

#[test]
fn via_of_an_extra_dependency_names_the_base_package() {
    // alpha-dep comes from `pkg[alpha]` and from other: `# via` names pkg,
    // never `pkg[alpha]`.
    let index = extras_index().serve();
    assert_compile_snapshot!(compile(&index, "pkg[alpha]\nother\n", &[]), @r"
    success: true
    exit_code: 0
    ----- stdout -----
    alpha-dep==1.0
        # via
        #   other
        #   pkg
    base-dep==1.0
        # via pkg
    other==1.0
        # via -r requirements.in
    pkg==1.0
        # via -r requirements.in

    ----- stderr -----
    Resolved 4 packages in [TIME]
    ");
}

#[test]
fn extra_names_are_normalized() {
    // PEP 685: `fast.path` names the extra `Fast_Path`.
    let index = TestIndex::new()
        .package("pkg", "1.0", |p| p.extra("Fast_Path", &["speedup"]))
        .package("speedup", "1.0", |p| p)
        .serve();
    assert_compile_snapshot!(compile(&index, "pkg[fast.path]\n", &[]), @r"
    success: true
    exit_code: 0
    ----- stdout -----
    pkg==1.0
        # via -r requirements.in
    speedup==1.0
        # via pkg

    ----- stderr -----
    Resolved 2 packages in [TIME]
    ");
}

#[test]
fn extra_dependencies_take_part_in_backtracking() {
    // pkg 2.0's extra needs speedup>=2, which the input rules out: pkg falls
    // back to 1.0, whose extra fits.
    let index = TestIndex::new()
        .package("pkg", "1.0", |p| p.extra("fast", &["speedup>=1"]))
        .package("pkg", "2.0", |p| p.extra("fast", &["speedup>=2"]))
        .package("speedup", "1.2", |p| p)
        .package("speedup", "2.0", |p| p)
        .serve();
    assert_compile_snapshot!(compile(&index, "pkg[fast]\nspeedup<2\n", &[]), @r"
    success: true
    exit_code: 0
    ----- stdout -----
    pkg==1.0
        # via -r requirements.in
    speedup==1.2
        # via
        #   -r requirements.in
        #   pkg

    ----- stderr -----
    Resolved 2 packages in [TIME]
    ");
}

#[test]
fn extra_missing_from_the_newest_version_does_not_force_an_older_one() {
    // Like pip and uv: the newest version is pinned, with a warning.
    let index = TestIndex::new()
        .package("pkg", "1.0", |p| p.extra("beta", &["beta-dep"]))
        .package("pkg", "2.0", |p| p)
        .package("beta-dep", "1.0", |p| p)
        .serve();
    assert_compile_snapshot!(compile(&index, "pkg[beta]\n", &[]), @"
    success: true
    exit_code: 0
    ----- stdout -----
    pkg==2.0
        # via -r requirements.in

    ----- stderr -----
    warning: The package `pkg==2.0` does not have an extra named `beta`
    Resolved 1 package in [TIME]
    ");
}

#[test]
fn missing_extra_warning_only_for_the_pinned_version() {
    // pkg 2.0 (no extra `beta`) is tried first; dep then forces pkg<2, and
    // the pinned pkg 1.0 has the extra. Nothing in the lockfile lacks an
    // extra, so there is nothing to warn about (uv reports missing extras of
    // the final resolution only).
    let index = TestIndex::new()
        .package("pkg", "1.0", |p| p.extra("beta", &["beta-dep"]))
        .package("pkg", "2.0", |p| p)
        .package("beta-dep", "1.0", |p| p)
        .package("app", "1.0", |p| p.requires("dep"))
        .package("dep", "1.0", |p| p.requires("pkg<2"))
        .serve();
    assert_compile_snapshot!(compile(&index, "pkg[beta]\napp\n", &[]), @r"
    success: true
    exit_code: 0
    ----- stdout -----
    app==1.0
        # via -r requirements.in
    beta-dep==1.0
        # via pkg
    dep==1.0
        # via app
    pkg==1.0
        # via
        #   -r requirements.in
        #   dep

    ----- stderr -----
    Resolved 4 packages in [TIME]
    ");
}

// Markers.

#[test]
fn dependency_markers_are_evaluated_for_the_target() {
    let index = TestIndex::new()
        .package("app", "1.0", |p| {
            p.requires("backport; python_version < \"3.10\"")
                .requires("modern; python_version >= \"3.10\"")
                .requires("windows-only; sys_platform == \"win32\"")
                .requires("linux-only; sys_platform == \"linux\"")
                .requires("x86-only; platform_machine == \"x86_64\"")
                .requires("arm-only; platform_machine == \"aarch64\"")
                .requires("cpython-only; implementation_name == \"cpython\"")
                .requires("pypy-only; implementation_name == \"pypy\"")
        })
        .package("backport", "1.0", |p| p)
        .package("modern", "1.0", |p| p)
        .package("windows-only", "1.0", |p| p)
        .package("linux-only", "1.0", |p| p)
        .package("x86-only", "1.0", |p| p)
        .package("arm-only", "1.0", |p| p)
        .package("cpython-only", "1.0", |p| p)
        .package("pypy-only", "1.0", |p| p)
        .serve();
    assert_compile_snapshot!(compile(&index, "app\n", &[]), @r"
    success: true
    exit_code: 0
    ----- stdout -----
    app==1.0
        # via -r requirements.in
    cpython-only==1.0
        # via app
    linux-only==1.0
        # via app
    modern==1.0
        # via app
    x86-only==1.0
        # via app

    ----- stderr -----
    Resolved 5 packages in [TIME]
    ");
}

#[test]
fn requirement_markers_in_the_input_are_evaluated_for_the_target() {
    let index = TestIndex::new()
        .package("backport", "1.0", |p| p)
        .package("modern", "1.0", |p| p)
        .package("windows-only", "1.0", |p| p)
        .package("x86-only", "1.0", |p| p)
        .serve();
    let requirements = "backport; python_version < \"3.10\"\n\
                        modern; python_full_version >= \"3.11.0\"\n\
                        windows-only; sys_platform == \"win32\"\n\
                        x86-only; platform_machine == \"x86_64\" and implementation_name == \"cpython\"\n";
    assert_compile_snapshot!(compile(&index, requirements, &[]), @r"
    success: true
    exit_code: 0
    ----- stdout -----
    modern==1.0
        # via -r requirements.in
    x86-only==1.0
        # via -r requirements.in

    ----- stderr -----
    Resolved 2 packages in [TIME]
    ");
}

// Pre-releases.

#[test]
fn stable_version_preferred_over_a_newer_prerelease() {
    let index = TestIndex::new()
        .package("pkg", "1.0", |p| p)
        .package("pkg", "2.0b1", |p| p)
        .serve();
    assert_compile_snapshot!(compile(&index, "pkg\n", &[]), @"
    success: true
    exit_code: 0
    ----- stdout -----
    pkg==1.0
        # via -r requirements.in

    ----- stderr -----
    Resolved 1 package in [TIME]
    ");
}

#[test]
fn prerelease_chosen_when_only_prereleases_fit() {
    let index = TestIndex::new()
        .package("pkg", "1.0", |p| p)
        .package("pkg", "2.0b1", |p| p)
        .package("pkg", "2.0b2", |p| p)
        .serve();
    assert_compile_snapshot!(compile(&index, "pkg>1.0\n", &[]), @"
    success: true
    exit_code: 0
    ----- stdout -----
    pkg==2.0b2
        # via -r requirements.in

    ----- stderr -----
    Resolved 1 package in [TIME]
    ");
}

#[test]
fn explicit_prerelease_specifier_allows_prereleases_of_that_package() {
    // `>=2.0b1` names a pre-release, so the newest version, 2.1b1, is allowed
    // even though 2.0 fits; other packages still get stable versions.
    let index = TestIndex::new()
        .package("pkg", "1.0", |p| p.requires("dep"))
        .package("pkg", "2.0", |p| p.requires("dep"))
        .package("pkg", "2.1b1", |p| p.requires("dep"))
        .package("dep", "1.0", |p| p)
        .package("dep", "1.1rc1", |p| p)
        .serve();
    assert_compile_snapshot!(compile(&index, "pkg>=2.0b1\n", &[]), @r"
    success: true
    exit_code: 0
    ----- stdout -----
    dep==1.0
        # via pkg
    pkg==2.1b1
        # via -r requirements.in

    ----- stderr -----
    Resolved 2 packages in [TIME]
    ");
}

#[test]
fn pre_flag_allows_prereleases_everywhere() {
    let index = TestIndex::new()
        .package("pkg", "1.0", |p| p.requires("dep"))
        .package("pkg", "2.0b1", |p| p.requires("dep"))
        .package("dep", "1.0", |p| p)
        .package("dep", "1.1rc1", |p| p)
        .serve();
    assert_compile_snapshot!(compile(&index, "pkg\n", &["--pre"]), @r"
    success: true
    exit_code: 0
    ----- stdout -----
    dep==1.1rc1
        # via pkg
    pkg==2.0b1
        # via -r requirements.in

    ----- stderr -----
    Resolved 2 packages in [TIME]
    ");
}

#[test]
fn transitive_prerelease_not_chosen_when_a_stable_version_fits() {
    let index = TestIndex::new()
        .package("app", "1.0", |p| p.requires("lib>=1.0"))
        .package("lib", "1.0", |p| p)
        .package("lib", "1.1", |p| p)
        .package("lib", "2.0a1", |p| p)
        .package("lib", "2.0.dev3", |p| p)
        .serve();
    assert_compile_snapshot!(compile(&index, "app\n", &[]), @r"
    success: true
    exit_code: 0
    ----- stdout -----
    app==1.0
        # via -r requirements.in
    lib==1.1
        # via app

    ----- stderr -----
    Resolved 2 packages in [TIME]
    ");
}

// Yanked releases (PEP 592).

/// pkg 1.0, and pkg 2.0 yanked because of a "broken build".
fn yanked_newest() -> RunningIndex {
    TestIndex::new()
        .package("pkg", "1.0", |p| p)
        .package("pkg", "2.0", |p| p.yanked("broken build"))
        .serve()
}

#[test]
fn yanked_newest_version_is_skipped() {
    let index = yanked_newest();
    assert_compile_snapshot!(compile(&index, "pkg\n", &[]), @"
    success: true
    exit_code: 0
    ----- stdout -----
    pkg==1.0
        # via -r requirements.in

    ----- stderr -----
    Resolved 1 package in [TIME]
    ");
}

#[test]
fn yanked_version_pinned_with_double_equals_is_used() {
    // The pin only; the warning the run should print is checked by
    // `yanked_version_pinned_with_double_equals_warns_with_the_reason`.
    let index = yanked_newest();
    let context = TestContext::new().with_index(&index);
    context.write("requirements.in", "pkg==2.0\n");
    let output = context.run_command(compile_command(
        &context,
        &index,
        &["--no-header", "-o", "-"],
    ));
    assert!(output.status.success(), "{}", context.render(&output));
    insta::assert_snapshot!(String::from_utf8_lossy(&output.stdout), @r"
    pkg==2.0
        # via -r requirements.in
    ");
}

#[test]
fn yanked_version_pinned_with_double_equals_warns_with_the_reason() {
    // uv warns "`pkg==2.0` is yanked (reason: ...)", pip "The candidate
    // selected ... is a yanked version"; the field notes (19) want the reason.
    let index = yanked_newest();
    assert_compile_snapshot!(compile(&index, "pkg==2.0\n", &[]), @"
    success: true
    exit_code: 0
    ----- stdout -----
    pkg==2.0
        # via -r requirements.in

    ----- stderr -----
    warning: `pkg==2.0` is yanked (reason: broken build)
    Resolved 1 package in [TIME]
    ");
}

#[test]
fn yanked_version_locked_in_the_existing_lockfile_is_replaced() {
    // Issue 4 decides this one: a pin whose version was yanked no longer fits
    // and is re-resolved with a warning naming it. (uv would keep it; pip-tools
    // too.)
    let index = yanked_newest();
    let context = TestContext::new().with_index(&index);
    context.write("requirements.in", "pkg\n");
    context.write(
        "requirements.txt",
        "pkg==2.0\n    # via -r requirements.in\n",
    );
    let command = compile_command(&context, &index, &["--no-header"]);
    assert_compile_snapshot!(context.snapshot_command(command), @"
    success: true
    exit_code: 0
    ----- stdout -----

    ----- stderr -----
    warning: The pin `pkg==2.0` in `requirements.txt` was yanked (reason: broken build); it moves to 1.0
    Resolved 1 package in [TIME]
    Changes:
      pkg 2.0 -> 1.0
    ");
    insta::assert_snapshot!(context.read("requirements.txt"), @"
    pkg==1.0
        # via -r requirements.in
    ");
}

#[test]
fn every_matching_version_yanked_fails_with_the_reason() {
    // Each yanked version is named with its reason. 0.9 is not yanked but
    // out of range: it must not stretch `pkg==1.0` into a range.
    let index = TestIndex::new()
        .package("pkg", "0.9", |p| p)
        .package("pkg", "1.0", |p| p.yanked("security issue"))
        .package("pkg", "2.0", |p| p.yanked("broken build"))
        .serve();
    assert_compile_snapshot!(compile(&index, "pkg>=1\n", &[]), @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: No solution found when resolving dependencies:
      Because pkg>=1.0, <2.0 is unusable because it was yanked (reason: security issue) and pkg==2.0 is unusable because it was yanked (reason: broken build), pkg>=1.0 cannot be used.
      And because you require pkg>=1 (requirements.in:1), your requirements are unsatisfiable.
      hint: yanked versions of pkg are skipped; to use one anyway, pin it with `==` in your requirements
    ");
}

// Requires-Python.

#[test]
fn requires_python_from_the_index_skips_a_newer_only_version() {
    let index = TestIndex::new()
        .package("pkg", "1.0", |p| p.requires_python(">=3.8"))
        .package("pkg", "2.0", |p| p.requires_python(">=3.12"))
        .serve();
    assert_compile_snapshot!(compile(&index, "pkg\n", &[]), @"
    success: true
    exit_code: 0
    ----- stdout -----
    pkg==1.0
        # via -r requirements.in

    ----- stderr -----
    Resolved 1 package in [TIME]
    ");
}

#[test]
fn requires_python_only_in_metadata_skips_a_newer_only_version() {
    let index = TestIndex::new()
        .add(metadata_only_requires_python(
            DistSpec::new("pkg", "1.0"),
            ">=3.8",
        ))
        .add(metadata_only_requires_python(
            DistSpec::new("pkg", "2.0"),
            ">=3.12",
        ))
        .serve();
    assert_index_hides_requires_python(&index, "pkg");
    assert_compile_snapshot!(compile(&index, "pkg\n", &[]), @"
    success: true
    exit_code: 0
    ----- stdout -----
    pkg==1.0
        # via -r requirements.in

    ----- stderr -----
    Resolved 1 package in [TIME]
    ");
}

#[test]
fn every_version_requiring_a_newer_python_fails_naming_both() {
    let index = TestIndex::new()
        .package("pkg", "1.0", |p| p.requires_python(">=3.12"))
        .package("pkg", "2.0", |p| p.requires_python(">=3.13"))
        .serve();
    assert_compile_snapshot!(compile(&index, "pkg\n", &[]), @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: No solution found when resolving dependencies:
      Because the target Python 3.11 does not satisfy Python>=3.12 and pkg==1.0 requires Python>=3.12 (target: 3.11), pkg==1.0 cannot be used.
      And because pkg==2.0 requires Python>=3.13 (target: 3.11) and you require pkg (requirements.in:1), your requirements are unsatisfiable.
      hint: pkg==1.0 needs Python>=3.12 but the target is 3.11: if the image runs a newer Python, say so with `--python-version`
      hint: pkg==2.0 needs Python>=3.13 but the target is 3.11: if the image runs a newer Python, say so with `--python-version`
    ");
}

#[test]
fn every_version_capped_below_the_target_python_says_so() {
    // The target is too new for every final release: the hint must not ask
    // for a newer Python, and the twelve releases read as one range. The
    // pre-release only leaves 3.11 out: neither older nor newer helps more.
    let mut index = TestIndex::new();
    for minor in 0..12 {
        index = index.package("pkg", &format!("1.{minor}"), |p| {
            p.requires_python(">=3.8, <3.11")
        });
    }
    index = index.package("pkg", "1.12rc1", |p| p.requires_python(">=3.8, !=3.11.*"));
    assert_compile_snapshot!(compile(&index.serve(), "pkg\n", &[]), @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: No solution found when resolving dependencies:
      Because the target Python 3.11 does not satisfy Python>=3.8, <3.11 | >=3.12 and pkg==1.12rc1 requires Python>=3.8, <3.11 | >=3.12 (target: 3.11), pkg==1.12rc1 cannot be used.
      And because pkg<=1.11 requires Python>=3.8, <3.11 (target: 3.11) and you require pkg (requirements.in:1), your requirements are unsatisfiable.
      hint: pkg==1.12rc1 needs Python>=3.8, <3.11 | >=3.12 but the target is 3.11: if the image runs another Python, say so with `--python-version`
      hint: pkg<=1.11 needs Python>=3.8, <3.11 but the target is 3.11, which it does not support (yet): allow another version of it, or target an older Python with `--python-version`
    ");
}

#[test]
fn every_version_requiring_a_newer_python_only_in_metadata_fails_naming_both() {
    let index = TestIndex::new()
        .add(metadata_only_requires_python(
            DistSpec::new("pkg", "1.0"),
            ">=3.12",
        ))
        .serve();
    assert_index_hides_requires_python(&index, "pkg");
    assert_compile_snapshot!(compile(&index, "pkg\n", &[]), @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: No solution found when resolving dependencies:
      Because pkg requires Python>=3.12 (target: 3.11) and you require pkg (requirements.in:1), your requirements are unsatisfiable.
      hint: pkg==1.0 needs Python>=3.12 but the target is 3.11: if the image runs a newer Python, say so with `--python-version`
    ");
}

#[test]
fn dependency_requiring_a_newer_python_fails_naming_both() {
    let index = TestIndex::new()
        .package("app", "1.0", |p| p.requires("lib>=2"))
        .package("lib", "1.0", |p| p)
        .package("lib", "2.0", |p| p.requires_python(">=3.12"))
        .serve();
    assert_compile_snapshot!(compile(&index, "app\n", &[]), @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: No solution found when resolving dependencies:
      Because lib>=2.0 requires Python>=3.12 (target: 3.11) and app==1.0 depends on lib>=2, app==1.0 cannot be used.
      And because you require app (requirements.in:1), your requirements are unsatisfiable.
      hint: lib>=2.0 needs Python>=3.12 but the target is 3.11: if the image runs a newer Python, say so with `--python-version`
    ");
}

// Local and post versions (PEP 440).

#[test]
fn equal_matches_the_only_local_build_of_a_version() {
    let index = TestIndex::new()
        .package("pkg", "1.0+cpu", |p| p)
        .package("pkg", "2.0", |p| p)
        .serve();
    assert_compile_snapshot!(compile(&index, "pkg==1.0\n", &[]), @"
    success: true
    exit_code: 0
    ----- stdout -----
    pkg==1.0+cpu
        # via -r requirements.in

    ----- stderr -----
    Resolved 1 package in [TIME]
    ");
}

#[test]
fn less_equal_admits_a_local_version() {
    let index = TestIndex::new()
        .package("pkg", "0.9", |p| p)
        .package("pkg", "1.0+local", |p| p)
        .package("pkg", "1.1", |p| p)
        .serve();
    assert_compile_snapshot!(compile(&index, "pkg<=1.0\n", &[]), @"
    success: true
    exit_code: 0
    ----- stdout -----
    pkg==1.0+local
        # via -r requirements.in

    ----- stderr -----
    Resolved 1 package in [TIME]
    ");
}

#[test]
fn not_equal_excludes_a_local_version() {
    let index = TestIndex::new()
        .package("pkg", "0.9", |p| p)
        .package("pkg", "1.0+local", |p| p)
        .serve();
    assert_compile_snapshot!(compile(&index, "pkg!=1.0\n", &[]), @"
    success: true
    exit_code: 0
    ----- stdout -----
    pkg==0.9
        # via -r requirements.in

    ----- stderr -----
    Resolved 1 package in [TIME]
    ");
}

#[test]
fn greater_than_excludes_a_post_release() {
    // app 2.0 needs `pkg>1.0`, which neither 1.0.post1 nor 1.0+local
    // satisfies (PEP 440), so app falls back to 1.0.
    let index = TestIndex::new()
        .package("app", "1.0", |p| p.requires("pkg"))
        .package("app", "2.0", |p| p.requires("pkg>1.0"))
        .package("pkg", "1.0", |p| p)
        .package("pkg", "1.0+local", |p| p)
        .package("pkg", "1.0.post1", |p| p)
        .serve();
    assert_compile_snapshot!(compile(&index, "app\n", &[]), @r"
    success: true
    exit_code: 0
    ----- stdout -----
    app==1.0
        # via -r requirements.in
    pkg==1.0.post1
        # via app

    ----- stderr -----
    Resolved 2 packages in [TIME]
    ");
}

#[test]
fn less_than_a_post_release_admits_its_base_version() {
    let index = TestIndex::new()
        .package("pkg", "0.9", |p| p)
        .package("pkg", "1.0", |p| p)
        .package("pkg", "1.0.post1", |p| p)
        .serve();
    assert_compile_snapshot!(compile(&index, "pkg<1.0.post1\n", &[]), @"
    success: true
    exit_code: 0
    ----- stdout -----
    pkg==1.0
        # via -r requirements.in

    ----- stderr -----
    Resolved 1 package in [TIME]
    ");
}

#[test]
fn less_than_excludes_prereleases_of_that_version_even_with_pre() {
    // PEP 440: `<2.0` never admits a pre-release of 2.0 itself.
    let index = TestIndex::new()
        .package("pkg", "1.0", |p| p)
        .package("pkg", "1.1b1", |p| p)
        .package("pkg", "2.0rc1", |p| p)
        .serve();
    assert_compile_snapshot!(compile(&index, "pkg<2.0\n", &["--pre"]), @"
    success: true
    exit_code: 0
    ----- stdout -----
    pkg==1.1b1
        # via -r requirements.in

    ----- stderr -----
    Resolved 1 package in [TIME]
    ");
}

#[test]
fn equal_wildcard_matches_the_prefix() {
    let index = TestIndex::new()
        .package("pkg", "0.9", |p| p)
        .package("pkg", "1.0", |p| p)
        .package("pkg", "1.0.5", |p| p)
        .package("pkg", "1.1", |p| p)
        .package("pkg", "1.10", |p| p)
        .serve();
    assert_compile_snapshot!(compile(&index, "pkg==1.0.*\n", &[]), @"
    success: true
    exit_code: 0
    ----- stdout -----
    pkg==1.0.5
        # via -r requirements.in

    ----- stderr -----
    Resolved 1 package in [TIME]
    ");
}

#[test]
fn compatible_release_stays_below_the_next_minor() {
    let index = TestIndex::new()
        .package("pkg", "1.4.1", |p| p)
        .package("pkg", "1.4.2", |p| p)
        .package("pkg", "1.4.9", |p| p)
        .package("pkg", "1.5.0", |p| p)
        .package("pkg", "2.0", |p| p)
        .serve();
    assert_compile_snapshot!(compile(&index, "pkg~=1.4.2\n", &[]), @"
    success: true
    exit_code: 0
    ----- stdout -----
    pkg==1.4.9
        # via -r requirements.in

    ----- stderr -----
    Resolved 1 package in [TIME]
    ");
}

// Wheel tags.

/// pkg 1.0 as a pure wheel, and pkg 2.0 whose only file is a wheel tagged `tag`.
fn newest_only_as(tag: &str) -> RunningIndex {
    TestIndex::new()
        .package("pkg", "1.0", |p| p)
        .package("pkg", "2.0", |p| p.wheel_tags(&[tag]))
        .serve()
}

#[test]
fn wheel_for_another_python_is_skipped() {
    let index = newest_only_as("cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64");
    assert_compile_snapshot!(compile(&index, "pkg\n", &[]), @"
    success: true
    exit_code: 0
    ----- stdout -----
    pkg==1.0
        # via -r requirements.in

    ----- stderr -----
    Resolved 1 package in [TIME]
    ");
}

#[test]
fn wheel_for_windows_is_skipped() {
    let index = newest_only_as("cp311-cp311-win_amd64");
    assert_compile_snapshot!(compile(&index, "pkg\n", &[]), @"
    success: true
    exit_code: 0
    ----- stdout -----
    pkg==1.0
        # via -r requirements.in

    ----- stderr -----
    Resolved 1 package in [TIME]
    ");
}

#[test]
fn wheel_for_a_newer_glibc_is_skipped() {
    let index = newest_only_as("cp311-cp311-manylinux_2_34_x86_64");
    assert_compile_snapshot!(compile(&index, "pkg\n", &[]), @"
    success: true
    exit_code: 0
    ----- stdout -----
    pkg==1.0
        # via -r requirements.in

    ----- stderr -----
    Resolved 1 package in [TIME]
    ");
}

#[test]
fn abi3_wheel_is_accepted() {
    let index = newest_only_as("cp38-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64");
    assert_compile_snapshot!(compile(&index, "pkg\n", &[]), @"
    success: true
    exit_code: 0
    ----- stdout -----
    pkg==2.0
        # via -r requirements.in

    ----- stderr -----
    Resolved 1 package in [TIME]
    ");
}

#[test]
fn incompatible_wheel_with_an_sdist_uses_the_sdist() {
    // The sdist's PKG-INFO (Metadata-Version 2.2, nothing dynamic) gives the
    // dependencies without a build.
    let index = TestIndex::new()
        .package("pkg", "1.0", |p| p)
        .package("pkg", "2.0", |p| {
            p.requires("dep")
                .wheel_tags(&["cp312-cp312-win_amd64"])
                .sdist(true)
        })
        .package("dep", "1.0", |p| p)
        .serve();
    assert_compile_snapshot!(compile(&index, "pkg\n", &[]), @r"
    success: true
    exit_code: 0
    ----- stdout -----
    dep==1.0
        # via pkg
    pkg==2.0
        # via -r requirements.in

    ----- stderr -----
    Resolved 2 packages in [TIME]
    ");
}

#[test]
fn no_file_for_the_target_fails_with_the_reason() {
    let index = TestIndex::new()
        .package("pkg", "1.0", |p| p.wheel_tags(&["cp311-cp311-win_amd64"]))
        .serve();
    assert_compile_snapshot!(compile(&index, "pkg\n", &[]), @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: No solution found when resolving dependencies:
      Because pkg is unusable because it has no wheel for the target (CPython 3.11, x86_64-manylinux_2_28) and no source distribution; it has wheels for cp311-cp311-win_amd64 and you require pkg (requirements.in:1), your requirements are unsatisfiable.
      hint: pkg has no file for the target: compile for a Python (`--python-version`) or platform (`--python-platform`) its wheels are built for (the newest, 1.0, has cp311-cp311-win_amd64), or allow another version
    ");
}

#[test]
fn versions_unusable_for_alternating_reasons_are_told_once_per_reason() {
    // As psycopg2 under `--only-binary :all:`: an sdist-only release, then
    // releases whose wheels (a different list each) are all for Windows.
    let mut index = TestIndex::new().package("pkg", "1.0", |p| p.no_wheels().sdist(true));
    for minor in 1..=8 {
        let wheel = format!("cp3{minor}-cp3{minor}-win_amd64");
        index = index.package("pkg", &format!("1.{minor}"), |p| {
            p.wheel_tags(&[&wheel]).sdist(true)
        });
    }
    assert_compile_snapshot!(compile(&index.serve(), "pkg\n", &["--only-binary", ":all:"]), @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: No solution found when resolving dependencies:
      Because pkg<1.1 is unusable because it has only a source distribution and `--only-binary` forbids it and pkg>=1.1 is unusable because it has no wheel for the target (CPython 3.11, x86_64-manylinux_2_28) and `--only-binary` forbids its source distribution, pkg cannot be used.
      And because you require pkg (requirements.in:1), your requirements are unsatisfiable.
      hint: pkg has no wheel for the target and `--only-binary` forbids building it: leave it out of `--only-binary`, or allow another version
    ");
}

#[test]
fn macosx_deployment_target_sets_the_macos_release() {
    // 2.0 ships wheels for macOS 14 only; uv's default macOS is 13.0.
    let index = TestIndex::new()
        .package("pkg", "1.0", |p| {
            p.wheel_tags(&["cp311-cp311-macosx_11_0_arm64"])
        })
        .package("pkg", "2.0", |p| {
            p.wheel_tags(&["cp311-cp311-macosx_14_0_arm64"])
        })
        .serve();
    let context = TestContext::new().with_index(&index);
    context.write("requirements.in", "pkg\n");
    let run = |platform: &str, deployment_target: Option<&str>| {
        let mut command = context.command(["compile", "requirements.in", "-o", "-"]);
        command
            .args(["--index-url", &index.url(), "--python-version", "3.11"])
            .args(["--python-platform", platform]);
        if let Some(value) = deployment_target {
            command.env("MACOSX_DEPLOYMENT_TARGET", value);
        }
        let output = context.run_command(command);
        let stdout = String::from_utf8_lossy(&output.stdout);
        // The header's platform, and the pin.
        let mut found: Vec<&str> = stdout
            .lines()
            .filter_map(|line| line.split("--python-platform ").nth(1))
            .filter_map(|rest| rest.split(' ').next())
            .collect();
        found.extend(stdout.lines().filter(|line| line.starts_with("pkg==")));
        let stderr = String::from_utf8_lossy(&output.stderr);
        found.extend(stderr.lines().filter(|line| line.starts_with("error")));
        format!("{:?} {}", output.status.code(), found.join(" "))
    };
    insta::assert_snapshot!(run("aarch64-apple-darwin", None), @"Some(0) aarch64-apple-darwin pkg==1.0");
    insta::assert_snapshot!(run("aarch64-apple-darwin", Some("14.0")), @"Some(0) aarch64-macosx_14_0 pkg==2.0");
    insta::assert_snapshot!(run("aarch64-apple-darwin", Some("")), @"Some(0) aarch64-apple-darwin pkg==1.0");
    // A release in the name wins, and the header keeps the run's release.
    insta::assert_snapshot!(run("aarch64-macosx_14_0", None), @"Some(0) aarch64-macosx_14_0 pkg==2.0");
    insta::assert_snapshot!(run("aarch64-macosx_13_0", Some("15")), @"Some(0) aarch64-macosx_13_0 pkg==1.0");
    // Only macOS targets read it.
    insta::assert_snapshot!(run("x86_64-manylinux_2_28", Some("bogus")), @"Some(1) error: No solution found when resolving dependencies:");
    insta::assert_snapshot!(run("aarch64-apple-darwin", Some("fourteen")), @"Some(2) error: Invalid `MACOSX_DEPLOYMENT_TARGET`: `fourteen` is not a macOS release from 10.4 on (such as `14.0` or `11`)");
}

// Constraints.

#[test]
fn constraint_narrows_a_transitive_dependency() {
    let index = TestIndex::new()
        .package("app", "1.0", |p| p.requires("lib"))
        .package("lib", "1.0", |p| p)
        .package("lib", "2.0", |p| p)
        .serve();
    let context = TestContext::new().with_index(&index);
    context.write("requirements.in", "-c constraints.txt\napp\n");
    context.write("constraints.txt", "lib<2\n");
    assert_compile_snapshot!(compile_in(&context, &index, &[]), @r"
    success: true
    exit_code: 0
    ----- stdout -----
    app==1.0
        # via -r requirements.in
    lib==1.0
        # via
        #   -c constraints.txt
        #   app

    ----- stderr -----
    Resolved 2 packages in [TIME]
    ");
}

#[test]
fn constraint_on_a_package_not_required_adds_nothing() {
    let index = TestIndex::new()
        .package("app", "1.0", |p| p)
        .package("unrelated", "1.0", |p| p)
        .serve();
    let context = TestContext::new().with_index(&index);
    context.write("requirements.in", "-c constraints.txt\napp\n");
    context.write("constraints.txt", "unrelated==1.0\n");
    assert_compile_snapshot!(compile_in(&context, &index, &[]), @"
    success: true
    exit_code: 0
    ----- stdout -----
    app==1.0
        # via -r requirements.in

    ----- stderr -----
    Resolved 1 package in [TIME]
    ");
}

#[test]
fn constraint_conflicting_with_a_dependency_fails_naming_the_constraint() {
    // app's metadata says `lib>=2`, not "no version": the message must show
    // that range and the constraint `lib<2` from constraints.txt. The wording
    // is a proposal.
    let index = TestIndex::new()
        .package("app", "1.0", |p| p.requires("lib>=2"))
        .package("lib", "1.0", |p| p)
        .package("lib", "2.0", |p| p)
        .serve();
    let context = TestContext::new().with_index(&index);
    context.write("requirements.in", "-c constraints.txt\napp\n");
    context.write("constraints.txt", "lib<2\n");
    assert_compile_snapshot!(compile_in(&context, &index, &[]), @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: No solution found when resolving dependencies:
      Because app==1.0 depends on lib>=2 and app==1.0 needs lib, which the constraint `lib<2` from constraints.txt:1 limits to lib<2, app==1.0 cannot be used.
      And because you require app (requirements.in:2), your requirements are unsatisfiable.
    ");
}

// Unsatisfiable inputs.

#[test]
fn conflicting_requirements_fail_and_keep_the_existing_lockfile() {
    let index = TestIndex::new()
        .package("a", "1.0", |p| p.requires("c<2"))
        .package("b", "1.0", |p| p.requires("c>=2"))
        .package("c", "1.0", |p| p)
        .package("c", "2.0", |p| p)
        .serve();
    let context = TestContext::new().with_index(&index);
    context.write("requirements.in", "a\nb\n");
    let existing =
        "# an older lockfile\na==1.0\n    # via -r requirements.in\nc==1.0\n    # via a\n";
    context.write("requirements.txt", existing);
    let command = compile_command(&context, &index, &[]);
    assert_compile_snapshot!(context.snapshot_command(command), @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: No solution found when resolving dependencies:
      Because a depends on c<2 and b==1.0 depends on c>=2, a, b==1.0 are incompatible.
      And because you require a (requirements.in:1) and you require b (requirements.in:2), your requirements are unsatisfiable.
    ");
    assert_eq!(context.read("requirements.txt"), existing);
}

#[test]
fn conflicting_version_ranges_fail_with_an_explanation() {
    let index = TestIndex::new()
        .package("app", "1.0", |p| p.requires("lib>=2"))
        .package("app", "2.0", |p| p.requires("lib>=3"))
        .package("lib", "1.0", |p| p)
        .package("lib", "2.0", |p| p)
        .package("lib", "3.0", |p| p)
        .serve();
    assert_compile_snapshot!(compile(&index, "app\nlib<2\n", &[]), @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: No solution found when resolving dependencies:
      Because app depends on lib>=2 and you require app (requirements.in:1), you require lib>=2.
      And because you require lib<2 (requirements.in:2), your requirements are unsatisfiable.
    ");
}

#[test]
fn a_requirement_written_on_several_lines_names_them_all() {
    let index = TestIndex::new()
        .package("app", "1.0", |p| p.requires("lib>=2"))
        .package("lib", "1.0", |p| p)
        .package("lib", "2.0", |p| p)
        .serve();
    let context = TestContext::new().with_index(&index);
    context.write("requirements.in", "app\nlib<2\n-r dev.in\n");
    context.write("dev.in", "# tools\nlib<2\n");
    assert_compile_snapshot!(compile_in(&context, &index, &[]), @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: No solution found when resolving dependencies:
      Because app depends on lib>=2 and you require app (requirements.in:1), you require lib>=2.
      And because you require lib<2 (requirements.in:2, dev.in:2), your requirements are unsatisfiable.
    ");
}

#[test]
fn a_chain_over_many_versions_is_told_in_one_statement() {
    // Each of 12 versions of `app` pins another `lib`, one has no file for
    // the target, and the user wants a `lib` none of them allows: one
    // statement about `app`, not twelve.
    let mut index = TestIndex::new();
    for minor in 0..12 {
        let version = format!("1.{minor}");
        let lib = format!("lib=={}.0", minor * 2);
        index = index.package("app", &version, |p| {
            if minor == 5 {
                p.wheel_tags(&["py3-none-win_amd64"])
            } else {
                p.requires(&lib)
            }
        });
        index = index.package("lib", &format!("{}.0", minor * 2), |p| p);
        index = index.package("lib", &format!("{}.0", minor * 2 + 1), |p| p);
    }
    index = index.package("lib", "100.0", |p| p);
    let output = compile(&index.serve(), "app\nlib>=100\n", &[]);
    assert_compile_snapshot!(output, @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: No solution found when resolving dependencies:
      Because app depends on lib (11 ranges within <=22.0) and you require app (requirements.in:1), you require lib (11 ranges within <=22.0).
      And because you require lib>=100 (requirements.in:2), your requirements are unsatisfiable.
      hint: app has no file for the target: compile for a Python (`--python-version`) or platform (`--python-platform`) its wheels are built for (the newest, 1.5, has py3-none-win_amd64), or allow another version
    ");
}

#[test]
fn extra_dependency_conflict_fails_with_an_explanation() {
    let index = TestIndex::new()
        .package("pkg", "1.0", |p| p.extra("fast", &["speedup>=1"]))
        .package("speedup", "0.5", |p| p)
        .package("speedup", "1.2", |p| p)
        .serve();
    assert_compile_snapshot!(compile(&index, "pkg[fast]\nspeedup<1\n", &[]), @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: No solution found when resolving dependencies:
      Because pkg[fast] depends on speedup>=1 and you require pkg[fast] (requirements.in:1), you require speedup>=1.
      And because you require speedup<1 (requirements.in:2), your requirements are unsatisfiable.
    ");
}

#[test]
fn unknown_package_fails_with_an_explanation() {
    // The wording is a proposal (uv: "was not found in the package
    // registry"); the message must say that the index has no such package.
    let index = TestIndex::new().package("app", "1.0", |p| p).serve();
    assert_compile_snapshot!(compile(&index, "app\nmissing-package\n", &[]), @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: No solution found when resolving dependencies:
      Because `missing-package` was not found in the package index and you require missing-package (requirements.in:2), your requirements are unsatisfiable.
      hint: no index has a package named `missing-package`: check the spelling, or add the index that has it with `--extra-index-url`
    ");
}

#[test]
fn unknown_package_with_a_close_name_gets_a_suggestion() {
    // The names come from the index's root page (`/simple/`); `reqests` is
    // one edit away from `requests`, two from `request`.
    let index = TestIndex::new()
        .package("app", "1.0", |p| p)
        .package("requests", "1.0", |p| p)
        .package("request", "1.0", |p| p)
        .package("urllib3", "1.0", |p| p)
        .serve();
    assert_compile_snapshot!(compile(&index, "app\nreqests\n", &[]), @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: No solution found when resolving dependencies:
      Because `reqests` was not found in the package index and you require reqests (requirements.in:2), your requirements are unsatisfiable.
      hint: no index has a package named `reqests`: did you mean `requests` or `request`? If not, add the index that has it with `--extra-index-url`
    ");
}

#[test]
fn unknown_package_suggestions_include_usual_prefixes() {
    let index = TestIndex::new()
        .package("python-dateutil", "1.0", |p| p)
        .serve();
    assert_compile_snapshot!(compile(&index, "dateutil\n", &[]), @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: No solution found when resolving dependencies:
      Because `dateutil` was not found in the package index and you require dateutil (requirements.in:1), your requirements are unsatisfiable.
      hint: no index has a package named `dateutil`: did you mean `python-dateutil`? If not, add the index that has it with `--extra-index-url`
    ");
}

#[test]
fn the_list_of_names_is_cached_for_a_day() {
    let index = TestIndex::new().package("requests", "1.0", |p| p).serve();
    let context = TestContext::new().with_index(&index);
    context.write("requirements.in", "reqests\n");
    let root_requests = |index: &RunningIndex| {
        index
            .requests()
            .iter()
            .filter(|request| request.path == "/simple/")
            .count()
    };
    for _ in 0..2 {
        let output = context.run_command(compile_command(&context, &index, &[]));
        assert_eq!(output.status.code(), Some(1), "{}", context.render(&output));
        assert!(
            context.render(&output).contains("did you mean `requests`?"),
            "{}",
            context.render(&output)
        );
    }
    assert_eq!(root_requests(&index), 1, "the second run reads the cache");
}

#[test]
fn offline_without_a_cached_list_of_names_gives_no_suggestion() {
    let index = TestIndex::new().package("requests", "1.0", |p| p).serve();
    let context = TestContext::new().with_index(&index);
    context.write("requirements.in", "reqests\n");
    // Cache the project pages (and the list of names), then forget the list.
    let output = context.run_command(compile_command(&context, &index, &[]));
    assert_eq!(output.status.code(), Some(1), "{}", context.render(&output));
    let names = context.cache_dir().join("v3").join("names");
    assert!(
        names.is_dir(),
        "the list of names is cached under {names:?}"
    );
    std::fs::remove_dir_all(&names).expect("remove the cached list of names");
    index.clear_requests();
    let command = compile_command(&context, &index, &["--offline"]);
    assert_compile_snapshot!(context.snapshot_command(command), @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: No solution found when resolving dependencies:
      Because `reqests` was not found in the package index and you require reqests (requirements.in:1), your requirements are unsatisfiable.
      hint: no index has a package named `reqests`: check the spelling, or add the index that has it with `--extra-index-url`
    ");
    assert!(index.requests().is_empty(), "no request with --offline");
}

// Determinism.

#[test]
fn same_inputs_give_byte_identical_lockfiles_whatever_the_cache() {
    let index = extras_index()
        .package("app", "1.0", |p| p.requires("pkg[fast]<2").requires("lib"))
        .package("app", "2.0", |p| {
            p.requires("pkg[fast]")
                .requires("lib>=2")
                .requires("speedup<1")
        })
        .package("lib", "1.0", |p| p.requires("other"))
        .package("lib", "2.0", |p| p.requires("other"))
        .package("pkg", "2.0", |p| {
            p.requires("base-dep").extra("fast", &["speedup>=1"])
        })
        .serve();
    let context = TestContext::new().with_index(&index);
    context.write("requirements.in", "app\ntool\n");
    // A cold cache, a warm cache, no cache.
    let mut lockfiles = Vec::new();
    for args in [&[][..], &[], &["--no-cache"]] {
        let output = context.run_command(compile_command(&context, &index, args));
        assert!(output.status.success(), "{}", context.render(&output));
        lockfiles.push(context.read("requirements.txt"));
        std::fs::remove_file(context.path("requirements.txt")).expect("remove the lockfile");
    }
    assert!(
        context.cache_dir().is_dir(),
        "the first runs filled the cache"
    );
    // And once more with the lockfile in place (its pins are preferences).
    context.write("requirements.txt", &lockfiles[0]);
    let output = context.run_command(compile_command(&context, &index, &[]));
    assert!(output.status.success(), "{}", context.render(&output));
    lockfiles.push(context.read("requirements.txt"));

    for lockfile in &lockfiles[1..] {
        assert_eq!(lockfile.as_bytes(), lockfiles[0].as_bytes());
    }
    insta::assert_snapshot!(context.filter(&lockfiles[0]), @r"
    # This file is autogenerated by plinth with the following command:
    #    plinth compile requirements.in --index-url http://[INDEX]/simple/ --python-version 3.11 --python-platform x86_64-manylinux_2_28
    alpha-dep==1.0
        # via other
    app==1.0
        # via -r requirements.in
    base-dep==1.0
        # via pkg
    beta-dep==1.0
        # via pkg
    lib==2.0
        # via app
    other==1.0
        # via lib
    pkg==1.0
        # via
        #   app
        #   tool
    speedup==1.2
        # via pkg
    tool==1.0
        # via -r requirements.in
    ");
}

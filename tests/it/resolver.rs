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
    assert_compile_snapshot!(compile(&index, "a\nb\n", &[]), @"");
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
    assert_compile_snapshot!(compile(&index, "a\nd\n", &[]), @"");
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
    assert_compile_snapshot!(compile(&index, "pkg[fast]\n", &[]), @"");
}

#[test]
fn extra_dependencies_are_not_pulled_without_the_extra() {
    let index = extras_index().serve();
    assert_compile_snapshot!(compile(&index, "pkg\n", &[]), @"");
}

#[test]
fn extra_requirement_with_its_own_marker() {
    let index = extras_index().serve();
    assert_compile_snapshot!(compile(&index, "pkg[platform]\n", &[]), @"");
}

#[test]
fn self_referencing_extra_pulls_the_extras_it_names() {
    let index = extras_index().serve();
    assert_compile_snapshot!(compile(&index, "pkg[all]\n", &[]), @"");
}

#[test]
fn missing_extra_warns_and_resolves_the_rest() {
    let index = extras_index().serve();
    assert_compile_snapshot!(compile(&index, "pkg[nope]\n", &[]), @"");
}

#[test]
fn two_requirements_on_one_package_with_different_extras() {
    // `pkg[alpha]` from requirements.in and `pkg[beta]` from tool: both
    // extras apply to the one pinned pkg.
    let index = extras_index().serve();
    assert_compile_snapshot!(compile(&index, "pkg[alpha]\ntool\n", &[]), @"");
}

#[test]
fn via_of_an_extra_dependency_names_the_base_package() {
    // alpha-dep comes from `pkg[alpha]` and from other: `# via` names pkg,
    // never `pkg[alpha]`.
    let index = extras_index().serve();
    assert_compile_snapshot!(compile(&index, "pkg[alpha]\nother\n", &[]), @"");
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
    assert_compile_snapshot!(compile(&index, "app\n", &[]), @"");
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
    assert_compile_snapshot!(compile(&index, requirements, &[]), @"");
}

// Pre-releases.

#[test]
fn stable_version_preferred_over_a_newer_prerelease() {
    let index = TestIndex::new()
        .package("pkg", "1.0", |p| p)
        .package("pkg", "2.0b1", |p| p)
        .serve();
    assert_compile_snapshot!(compile(&index, "pkg\n", &[]), @"");
}

#[test]
fn prerelease_chosen_when_only_prereleases_fit() {
    let index = TestIndex::new()
        .package("pkg", "1.0", |p| p)
        .package("pkg", "2.0b1", |p| p)
        .package("pkg", "2.0b2", |p| p)
        .serve();
    assert_compile_snapshot!(compile(&index, "pkg>1.0\n", &[]), @"");
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
    assert_compile_snapshot!(compile(&index, "pkg>=2.0b1\n", &[]), @"");
}

#[test]
fn pre_flag_allows_prereleases_everywhere() {
    let index = TestIndex::new()
        .package("pkg", "1.0", |p| p.requires("dep"))
        .package("pkg", "2.0b1", |p| p.requires("dep"))
        .package("dep", "1.0", |p| p)
        .package("dep", "1.1rc1", |p| p)
        .serve();
    assert_compile_snapshot!(compile(&index, "pkg\n", &["--pre"]), @"");
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
    assert_compile_snapshot!(compile(&index, "app\n", &[]), @"");
}

// Yanked releases (PEP 592).

#[test]
fn yanked_newest_version_is_skipped() {
    let index = TestIndex::new()
        .package("pkg", "1.0", |p| p)
        .package("pkg", "2.0", |p| p.yanked("broken build"))
        .serve();
    assert_compile_snapshot!(compile(&index, "pkg\n", &[]), @"");
}

#[test]
fn yanked_version_pinned_with_double_equals_is_used() {
    let index = TestIndex::new()
        .package("pkg", "1.0", |p| p)
        .package("pkg", "2.0", |p| p.yanked("broken build"))
        .serve();
    assert_compile_snapshot!(compile(&index, "pkg==2.0\n", &[]), @"");
}

#[test]
fn every_matching_version_yanked_fails_with_the_reason() {
    let index = TestIndex::new()
        .package("pkg", "1.0", |p| p.yanked("security issue"))
        .package("pkg", "2.0", |p| p.yanked("broken build"))
        .serve();
    assert_compile_snapshot!(compile(&index, "pkg>=1\n", &[]), @"");
}

// Requires-Python.

#[test]
fn requires_python_from_the_index_skips_a_newer_only_version() {
    let index = TestIndex::new()
        .package("pkg", "1.0", |p| p.requires_python(">=3.8"))
        .package("pkg", "2.0", |p| p.requires_python(">=3.12"))
        .serve();
    assert_compile_snapshot!(compile(&index, "pkg\n", &[]), @"");
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
    assert_compile_snapshot!(compile(&index, "pkg\n", &[]), @"");
}

#[test]
fn every_version_requiring_a_newer_python_fails_naming_both() {
    let index = TestIndex::new()
        .package("pkg", "1.0", |p| p.requires_python(">=3.12"))
        .package("pkg", "2.0", |p| p.requires_python(">=3.13"))
        .serve();
    assert_compile_snapshot!(compile(&index, "pkg\n", &[]), @"");
}

#[test]
fn every_version_requiring_a_newer_python_only_in_metadata_fails_naming_both() {
    let index = TestIndex::new()
        .add(metadata_only_requires_python(
            DistSpec::new("pkg", "1.0"),
            ">=3.12",
        ))
        .serve();
    assert_compile_snapshot!(compile(&index, "pkg\n", &[]), @"");
}

// Local and post versions (PEP 440).

#[test]
fn equal_matches_the_only_local_build_of_a_version() {
    let index = TestIndex::new()
        .package("pkg", "1.0+cpu", |p| p)
        .package("pkg", "2.0", |p| p)
        .serve();
    assert_compile_snapshot!(compile(&index, "pkg==1.0\n", &[]), @"");
}

#[test]
fn less_equal_admits_a_local_version() {
    let index = TestIndex::new()
        .package("pkg", "0.9", |p| p)
        .package("pkg", "1.0+local", |p| p)
        .package("pkg", "1.1", |p| p)
        .serve();
    assert_compile_snapshot!(compile(&index, "pkg<=1.0\n", &[]), @"");
}

#[test]
fn not_equal_excludes_a_local_version() {
    let index = TestIndex::new()
        .package("pkg", "0.9", |p| p)
        .package("pkg", "1.0+local", |p| p)
        .serve();
    assert_compile_snapshot!(compile(&index, "pkg!=1.0\n", &[]), @"");
}

#[test]
fn greater_than_excludes_a_post_release() {
    // app 2.0 needs `pkg>1.0`, which 1.0.post1 does not satisfy (PEP 440), so
    // app falls back to 1.0.
    let index = TestIndex::new()
        .package("app", "1.0", |p| p.requires("pkg"))
        .package("app", "2.0", |p| p.requires("pkg>1.0"))
        .package("pkg", "1.0", |p| p)
        .package("pkg", "1.0.post1", |p| p)
        .serve();
    assert_compile_snapshot!(compile(&index, "app\n", &[]), @"");
}

#[test]
fn less_than_a_post_release_admits_its_base_version() {
    let index = TestIndex::new()
        .package("pkg", "0.9", |p| p)
        .package("pkg", "1.0", |p| p)
        .package("pkg", "1.0.post1", |p| p)
        .serve();
    assert_compile_snapshot!(compile(&index, "pkg<1.0.post1\n", &[]), @"");
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
    assert_compile_snapshot!(compile(&index, "pkg==1.0.*\n", &[]), @"");
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
    assert_compile_snapshot!(compile(&index, "pkg~=1.4.2\n", &[]), @"");
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
    assert_compile_snapshot!(compile(&index, "pkg\n", &[]), @"");
}

#[test]
fn wheel_for_windows_is_skipped() {
    let index = newest_only_as("cp311-cp311-win_amd64");
    assert_compile_snapshot!(compile(&index, "pkg\n", &[]), @"");
}

#[test]
fn wheel_for_a_newer_glibc_is_skipped() {
    let index = newest_only_as("cp311-cp311-manylinux_2_34_x86_64");
    assert_compile_snapshot!(compile(&index, "pkg\n", &[]), @"");
}

#[test]
fn abi3_wheel_is_accepted() {
    let index = newest_only_as("cp38-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64");
    assert_compile_snapshot!(compile(&index, "pkg\n", &[]), @"");
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
    assert_compile_snapshot!(compile(&index, "pkg\n", &[]), @"");
}

#[test]
fn no_file_for_the_target_fails_with_the_reason() {
    let index = TestIndex::new()
        .package("pkg", "1.0", |p| p.wheel_tags(&["cp311-cp311-win_amd64"]))
        .serve();
    assert_compile_snapshot!(compile(&index, "pkg\n", &[]), @"");
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
    assert_compile_snapshot!(compile_in(&context, &index, &[]), @"");
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
    assert_compile_snapshot!(compile_in(&context, &index, &[]), @"");
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
    assert_compile_snapshot!(context.snapshot_command(command), @"");
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
    assert_compile_snapshot!(compile(&index, "app\nlib<2\n", &[]), @"");
}

#[test]
fn unknown_package_fails_with_an_explanation() {
    let index = TestIndex::new().package("app", "1.0", |p| p).serve();
    assert_compile_snapshot!(compile(&index, "app\nmissing-package\n", &[]), @"");
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
    let mut lockfiles = Vec::new();
    for args in [&[][..], &[], &["--no-cache"]] {
        let output = context.run_command(compile_command(&context, &index, args));
        assert!(output.status.success(), "{}", context.render(&output));
        lockfiles.push(context.read("requirements.txt"));
        std::fs::remove_file(context.path("requirements.txt")).expect("remove the lockfile");
    }
    // And once more with the lockfile in place (its pins are preferences).
    context.write("requirements.txt", &lockfiles[0]);
    let output = context.run_command(compile_command(&context, &index, &[]));
    assert!(output.status.success(), "{}", context.render(&output));
    lockfiles.push(context.read("requirements.txt"));

    for lockfile in &lockfiles[1..] {
        assert_eq!(lockfile.as_bytes(), lockfiles[0].as_bytes());
    }
    insta::assert_snapshot!(context.filter(&lockfiles[0]), @"");
}

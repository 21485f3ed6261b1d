//! Direct references end to end: `name @ URL` (archives over HTTP, with
//! `#sha256=`), `name @ file://…`, paths alone (`./pkg`, `../dist/x.whl`),
//! `-e` editables and `git+…` URLs (local repositories made by the test),
//! how they are resolved against other requirements on the same name, and
//! how the lockfile writes them.

use std::path::Path;
use std::process::Command;

use crate::support::wheel::build_wheel;
use crate::support::{DistSpec, RunningIndex, TestContext, TestIndex, sdist::in_tree_backend};

/// `six` and `idna` on the index, for the dependencies of direct references.
fn index() -> RunningIndex {
    TestIndex::new()
        .package("six", "1.16.0", |p| p)
        .package("idna", "3.10", |p| p)
        .package("idna", "2.0", |p| p)
        .serve()
}

/// `compile <args> --index-url <index>` for the hermetic target.
fn compile_args(context: &TestContext, index: &RunningIndex, args: &[&str]) -> Vec<String> {
    std::iter::once("compile")
        .chain(args.iter().copied())
        .chain(context.python_args())
        .map(ToString::to_string)
        .chain(["--index-url".to_string(), index.url()])
        .collect()
}

/// Runs `plinth compile <args>` and renders the run, then `output` (or `(missing)`).
fn compile_showing(
    context: &TestContext,
    index: &RunningIndex,
    args: &[&str],
    output: &str,
) -> String {
    let mut text = context.snapshot(compile_args(context, index, args));
    text.push_str(&format!("----- {output} -----\n"));
    if context.exists(output) {
        text.push_str(&context.filter(&context.read(output)));
    } else {
        text.push_str("(missing)\n");
    }
    text
}

/// [`compile_showing`] of `requirements.txt` without the header.
fn compile(context: &TestContext, index: &RunningIndex, args: &[&str]) -> String {
    let mut args = args.to_vec();
    args.push("--no-header");
    compile_showing(context, index, &args, "requirements.txt")
}

/// A project directory with a static `pyproject.toml` (`[project]` with
/// name, version and dependencies).
fn write_project(
    context: &TestContext,
    directory: &str,
    name: &str,
    version: &str,
    dependencies: &[&str],
) {
    let dependencies: Vec<String> = dependencies
        .iter()
        .map(|dependency| format!("{dependency:?}"))
        .collect();
    context.write(
        format!("{directory}/pyproject.toml"),
        format!(
            "[build-system]\nrequires = [\"setuptools>=61\"]\nbuild-backend = \"setuptools.build_meta\"\n\n[project]\nname = \"{name}\"\nversion = \"{version}\"\ndependencies = [{}]\n",
            dependencies.join(", ")
        ),
    );
    context.write(format!("{directory}/src/{name}/__init__.py"), "");
}

/// A project directory whose metadata is dynamic: it needs a PEP 517 build
/// (by a tiny in-tree backend that needs nothing installed).
fn write_built_project(context: &TestContext, directory: &str, spec: &DistSpec) {
    context.write(
        format!("{directory}/pyproject.toml"),
        "[build-system]\nrequires = []\nbuild-backend = \"plinth_test_backend\"\nbackend-path = [\".\"]\n\n[project]\nname = \"ignored\"\ndynamic = [\"version\", \"dependencies\"]\n",
    );
    context.write(
        format!("{directory}/plinth_test_backend.py"),
        in_tree_backend(spec),
    );
}

/// Writes the wheel of `spec` under `directory`; returns its file name.
fn write_wheel(context: &TestContext, directory: &str, spec: &DistSpec, tag: &str) -> String {
    let (filename, bytes) = build_wheel(spec, tag);
    context.write(format!("{directory}/{filename}"), bytes);
    filename
}

/// `git <args>` in `directory`, with a fixed identity and dates (so commit
/// hashes do not depend on the clock); returns its stdout.
fn git(directory: &Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .args([
            "-c",
            "user.name=plinth",
            "-c",
            "user.email=plinth@example.com",
            "-c",
            "init.defaultBranch=main",
            "-c",
            "commit.gpgsign=false",
            "-c",
            "tag.gpgsign=false",
        ])
        .args(args)
        .current_dir(directory)
        .env("GIT_AUTHOR_DATE", "2025-01-01T00:00:00Z")
        .env("GIT_COMMITTER_DATE", "2025-01-01T00:00:00Z")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .output()
        .expect("run git");
    assert!(
        output.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

/// A git repository in `directory` with `mypkg` 1.0 (needing `six`) tagged
/// `v1.0`, then 2.0 (needing `idna`) on `main`; returns the commit of each.
fn git_repository(context: &TestContext, directory: &str) -> (String, String) {
    let path = context.path(directory);
    std::fs::create_dir_all(&path).expect("create the repository");
    git(&path, &["init", "--quiet"]);
    write_project(context, directory, "mypkg", "1.0", &["six"]);
    git(&path, &["add", "."]);
    git(&path, &["commit", "--quiet", "-m", "1.0"]);
    git(&path, &["tag", "v1.0"]);
    let first = git(&path, &["rev-parse", "HEAD"]);
    write_project(context, directory, "mypkg", "2.0", &["idna"]);
    git(&path, &["commit", "--quiet", "-am", "2.0"]);
    let second = git(&path, &["rev-parse", "HEAD"]);
    (first, second)
}

// 1. Local paths and editables.

#[test]
fn paths_and_editables_are_written_as_given() {
    let index = index();
    let context = TestContext::new().with_index(&index);
    let wheel = write_wheel(
        &context,
        "dist",
        &DistSpec::new("Foo", "1.0").requires("six"),
        "py3-none-any",
    );
    write_project(&context, "pkg", "mypkg", "0.3.0", &["foo>=1", "idna<3"]);
    write_project(&context, "lib", "helper", "2.1", &[]);
    let pyproject = context.read("lib/pyproject.toml");
    context.write(
        "lib/pyproject.toml",
        format!("{pyproject}\n[project.optional-dependencies]\nextra = [\"idna\"]\n"),
    );
    context.write(
        "requirements.in",
        format!("./dist/{wheel}\n-e ./pkg\n./lib[extra] ; python_version >= \"3\"\n"),
    );
    assert_run_snapshot!(compile(&context, &index, &[]), @"
    success: true
    exit_code: 0
    ----- stdout -----

    ----- stderr -----
    Resolved 5 package(s) in [TIME]
    ----- requirements.txt -----
    -e ./pkg
        # via -r requirements.in
    ./dist/foo-1.0-py3-none-any.whl
        # via
        #   -r requirements.in
        #   mypkg
    ./lib
        # via -r requirements.in
    idna==2.0
        # via
        #   helper
        #   mypkg
    six==1.16.0
        # via foo
    ");
}

#[test]
fn paths_are_relative_to_their_file_and_written_relative_to_the_output() {
    let index = index();
    let context = TestContext::new().with_index(&index);
    write_project(&context, "pkg", "mypkg", "0.3.0", &[]);
    write_project(&context, "lib", "helper", "2.1", &[]);
    // The same project twice, once editable: `-e` wins.
    context.write("reqs/requirements.in", "-r nested/more.in\n-e ../pkg\n");
    context.write(
        "reqs/nested/more.in",
        "../../pkg\nhelper @ file:../../lib\n",
    );
    let args = ["reqs/requirements.in", "-o", "requirements.txt"];
    assert_run_snapshot!(compile(&context, &index, &args), @"
    success: true
    exit_code: 0
    ----- stdout -----

    ----- stderr -----
    Resolved 2 package(s) in [TIME]
    ----- requirements.txt -----
    -e ./pkg
        # via
        #   -r reqs/nested/more.in
        #   -r reqs/requirements.in
    helper @ file:./lib
        # via -r reqs/nested/more.in
    ");
}

#[test]
fn file_url_is_written_as_given() {
    let index = index();
    let context = TestContext::new().with_index(&index);
    let wheel = write_wheel(
        &context,
        "dist",
        &DistSpec::new("foo", "1.0"),
        "py3-none-any",
    );
    let url = format!("file://{}/dist/{wheel}", context.root().display());
    context.write("requirements.in", format!("foo @ {url}\n"));
    assert_run_snapshot!(compile(&context, &index, &[]), @"
    success: true
    exit_code: 0
    ----- stdout -----

    ----- stderr -----
    Resolved 1 package(s) in [TIME]
    ----- requirements.txt -----
    foo @ file://[TEMP]/dist/foo-1.0-py3-none-any.whl
        # via -r requirements.in
    ");
}

#[test]
fn directory_with_dynamic_metadata_is_built() {
    let index = index();
    let context = TestContext::new().with_index(&index);
    write_built_project(
        &context,
        "pkg",
        &DistSpec::new("built-pkg", "0.1.dev3").requires("six"),
    );
    context.write("requirements.in", "./pkg\n");
    assert_run_snapshot!(compile(&context, &index, &[]), @"
    success: true
    exit_code: 0
    ----- stdout -----

    ----- stderr -----
    Resolved 2 package(s) in [TIME]
    ----- requirements.txt -----
    ./pkg
        # via -r requirements.in
    six==1.16.0
        # via built-pkg
    ");
    assert_run_snapshot!(compile(&context, &index, &["--no-build"]), @"
    success: false
    exit_code: 2
    ----- stdout -----

    ----- stderr -----
    error: Failed to use `./pkg`: it has no static metadata (PEP 643 PKG-INFO or PEP 621 pyproject.toml with a static name, version and dependencies) and `--no-build` forbids building it
    ----- requirements.txt -----
    ./pkg
        # via -r requirements.in
    six==1.16.0
        # via built-pkg
    ");
}

#[test]
fn directory_that_is_not_a_project_is_an_error() {
    let index = index();
    let context = TestContext::new().with_index(&index);
    context.write("empty/README", "nothing here\n");
    context.write("requirements.in", "./empty\n");
    assert_run_snapshot!(compile(&context, &index, &[]), @"
    success: false
    exit_code: 2
    ----- stdout -----

    ----- stderr -----
    error: Failed to use `./empty`: `[TEMP]/empty` is not a Python project: it has no `pyproject.toml` or `setup.py`
    ----- requirements.txt -----
    (missing)
    ");
    context.write("requirements.in", "./missing\n");
    assert_run_snapshot!(compile(&context, &index, &[]), @"
    success: false
    exit_code: 2
    ----- stdout -----

    ----- stderr -----
    error: Invalid direct reference `./missing` at `requirements.in:1`: `[TEMP]/missing` does not exist
    ----- requirements.txt -----
    (missing)
    ");
}

#[test]
fn editable_archive_is_an_error() {
    let index = index();
    let context = TestContext::new().with_index(&index);
    let wheel = write_wheel(
        &context,
        "dist",
        &DistSpec::new("foo", "1.0"),
        "py3-none-any",
    );
    context.write("requirements.in", format!("-e ./dist/{wheel}\n"));
    assert_run_snapshot!(compile(&context, &index, &[]), @"
    success: false
    exit_code: 2
    ----- stdout -----

    ----- stderr -----
    error: `-e ./dist/foo-1.0-py3-none-any.whl` (requirements.in:1) is not a project directory or a git URL
      hint: an editable is a local project (`-e ./pkg`) or a git repository (`-e git+https://…`); install archives without `-e`
    ----- requirements.txt -----
    (missing)
    ");
}

#[test]
fn paths_in_constraints_are_an_error() {
    let index = index();
    let context = TestContext::new().with_index(&index);
    write_project(&context, "pkg", "mypkg", "0.3.0", &[]);
    context.write("requirements.in", "six\n-c constraints.txt\n");
    context.write("constraints.txt", "-e ./pkg\n");
    assert_run_snapshot!(compile(&context, &index, &[]), @"
    success: false
    exit_code: 2
    ----- stdout -----

    ----- stderr -----
    error: Invalid constraint at `constraints.txt:1:1`: `-e ./pkg` is not allowed in a constraints file: constraints name packages
      -e ./pkg
      ^^
      included from `requirements.in:2`
    ----- requirements.txt -----
    (missing)
    ");
    context.write("constraints.txt", "mypkg @ file:///srv/mypkg\n");
    assert_run_snapshot!(compile(&context, &index, &[]), @"
    success: false
    exit_code: 2
    ----- stdout -----

    ----- stderr -----
    error: Invalid constraint at `constraints.txt:1`: `mypkg` is given by URL; constraints name packages and versions
      hint: put direct references in a requirements file
    ----- requirements.txt -----
    (missing)
    ");
}

// 2. URLs.

/// An index that also serves `foo` 1.0 (wheel and sdist) needing `six`.
fn index_with_foo() -> (RunningIndex, String, String) {
    let packages = TestIndex::new()
        .package("six", "1.16.0", |p| p)
        .package("foo", "1.0", |p| p.requires("six").sdist(true));
    let files = packages.files();
    let sha256 = |filename: &str| {
        files
            .iter()
            .find(|file| file.filename == filename)
            .map(|file| file.sha256.clone())
            .expect("the file exists")
    };
    let (wheel, sdist) = (sha256("foo-1.0-py3-none-any.whl"), sha256("foo-1.0.tar.gz"));
    (packages.serve(), wheel, sdist)
}

#[test]
fn url_of_a_wheel_with_sha256_and_generated_hashes() {
    let (index, wheel_sha256, _) = index_with_foo();
    let context = TestContext::new()
        .with_index(&index)
        .with_filter(&wheel_sha256, "[sha256 of foo-1.0-py3-none-any.whl]");
    write_project(&context, "pkg", "mypkg", "0.3.0", &["foo"]);
    context.write(
        "requirements.in",
        format!(
            "foo @ http://{}/files/foo-1.0-py3-none-any.whl#sha256={wheel_sha256}\n-e ./pkg\n",
            index.host()
        ),
    );
    assert_run_snapshot!(compile(&context, &index, &["--generate-hashes"]), @r"
    success: true
    exit_code: 0
    ----- stdout -----

    ----- stderr -----
    Resolved 3 package(s) in [TIME]
    ----- requirements.txt -----
    -e ./pkg
        # via -r requirements.in
    foo @ http://[INDEX]/files/foo-1.0-py3-none-any.whl#sha256=[sha256 of foo-1.0-py3-none-any.whl] \
        --hash=sha256:[sha256 of foo-1.0-py3-none-any.whl]
        # via
        #   -r requirements.in
        #   mypkg
    six==1.16.0 \
        --hash=sha256:be0c5d279573196d2fdc6e2a2af017d8547469bb10b5131ac506000efb1a20be
        # via foo
    ");
    // The project page of `foo` was never needed.
    let requests: Vec<String> = index
        .requests()
        .iter()
        .map(|request| request.path.clone())
        .collect();
    assert!(
        !requests.iter().any(|path| path.starts_with("/simple/foo")),
        "{requests:#?}"
    );
}

#[test]
fn url_without_a_name_takes_the_name_from_the_metadata() {
    let (index, _, _) = index_with_foo();
    let context = TestContext::new().with_index(&index);
    context.write(
        "requirements.in",
        format!("http://{}/files/foo-1.0.tar.gz\n", index.host()),
    );
    assert_run_snapshot!(compile(&context, &index, &[]), @"
    success: true
    exit_code: 0
    ----- stdout -----

    ----- stderr -----
    Resolved 2 package(s) in [TIME]
    ----- requirements.txt -----
    foo @ http://[INDEX]/files/foo-1.0.tar.gz
        # via -r requirements.in
    six==1.16.0
        # via foo
    ");
}

#[test]
fn url_whose_sha256_differs_is_an_error() {
    let (index, _, sdist_sha256) = index_with_foo();
    let context = TestContext::new().with_index(&index);
    let wrong = "0".repeat(64);
    context.write(
        "requirements.in",
        format!(
            "foo @ http://{}/files/foo-1.0.tar.gz#sha256={wrong}\n",
            index.host()
        ),
    );
    let snapshot = compile(&context, &index, &[]);
    assert!(snapshot.contains(&sdist_sha256), "{snapshot}");
    assert_run_snapshot!(snapshot.replace(&sdist_sha256, "[sha256 of foo-1.0.tar.gz]"), @"
    success: false
    exit_code: 2
    ----- stdout -----

    ----- stderr -----
    error: Failed to use `http://[INDEX]/files/foo-1.0.tar.gz#sha256=0000000000000000000000000000000000000000000000000000000000000000`: its sha256 is `[sha256 of foo-1.0.tar.gz]`, but the reference says `#sha256=0000000000000000000000000000000000000000000000000000000000000000`
    ----- requirements.txt -----
    (missing)
    ");
}

#[test]
fn name_that_differs_from_the_metadata_is_an_error() {
    let (index, _, _) = index_with_foo();
    let context = TestContext::new().with_index(&index);
    context.write(
        "requirements.in",
        format!(
            "bar @ http://{}/files/foo-1.0-py3-none-any.whl\n",
            index.host()
        ),
    );
    assert_run_snapshot!(compile(&context, &index, &[]), @"
    success: false
    exit_code: 2
    ----- stdout -----

    ----- stderr -----
    error: `bar @ http://[INDEX]/files/foo-1.0-py3-none-any.whl` (requirements.in:1) is a distribution of `foo`, not of `bar`
      hint: name it `foo @ http://[INDEX]/files/foo-1.0-py3-none-any.whl`
    ----- requirements.txt -----
    (missing)
    ");
}

#[test]
fn credentials_never_reach_the_lockfile() {
    let (index, _, _) = index_with_foo();
    let context = TestContext::new().with_index(&index);
    context.write(
        "requirements.in",
        format!(
            "foo @ http://user:s3cr3t-canary@{host}/files/foo-1.0-py3-none-any.whl\nsix @ http://${{INDEX_USER}}:${{INDEX_TOKEN}}@{host}/files/six-1.16.0-py3-none-any.whl\n",
            host = index.host()
        ),
    );
    let mut command = context.command(compile_args(&context, &index, &["--no-header"]));
    command
        .env("INDEX_USER", "reader")
        .env("INDEX_TOKEN", "t0ken-canary");
    let mut snapshot = context.snapshot_command(command);
    snapshot.push_str(&context.filter(&context.read("requirements.txt")));
    assert!(!snapshot.contains("canary"), "{snapshot}");
    assert_run_snapshot!(snapshot, @"
    success: true
    exit_code: 0
    ----- stdout -----

    ----- stderr -----
    warning: The credentials in the URL `http://****@[INDEX]/files/foo-1.0-py3-none-any.whl` (requirements.in:1) are left out of the lockfile
      hint: write them as `${NAME}` references (`https://${USER}:${TOKEN}@host/…`) to keep them there, or put them in `~/.netrc`
    Resolved 2 package(s) in [TIME]
    foo @ http://[INDEX]/files/foo-1.0-py3-none-any.whl
        # via -r requirements.in
    six @ http://${INDEX_USER}:${INDEX_TOKEN}@[INDEX]/files/six-1.16.0-py3-none-any.whl
        # via
        #   -r requirements.in
        #   foo
    ");
    // Each URL's credentials went to the server that URL names.
    let authorizations: Vec<Option<String>> = index
        .requests()
        .iter()
        .filter(|request| request.path.starts_with("/files/"))
        .map(|request| request.authorization.clone())
        .collect();
    assert!(
        authorizations.iter().all(Option::is_some),
        "{authorizations:?}"
    );
}

// 3. Git.

#[test]
fn git_references_are_pinned_to_the_full_commit() {
    let index = index();
    let context = TestContext::new().with_index(&index);
    let (tagged, head) = git_repository(&context, "repo");
    let context = context
        .with_filter(&tagged, "[commit of v1.0]")
        .with_filter(&head, "[commit of main]");
    context.write(
        "requirements.in",
        format!(
            "mypkg @ git+file://{}/repo@v1.0\n",
            context.root().display()
        ),
    );
    assert_run_snapshot!(compile(&context, &index, &[]), @"
    success: true
    exit_code: 0
    ----- stdout -----

    ----- stderr -----
    Resolved 2 package(s) in [TIME]
    ----- requirements.txt -----
    mypkg @ git+file://[TEMP]/repo@[commit of v1.0]
        # via -r requirements.in
    six==1.16.0
        # via mypkg
    ");
    // A branch, and no revision at all (the default branch), without a name.
    context.write(
        "requirements.in",
        format!("git+file://{}/repo@main\n", context.root().display()),
    );
    assert_run_snapshot!(compile(&context, &index, &[]), @"
    success: true
    exit_code: 0
    ----- stdout -----

    ----- stderr -----
    Resolved 2 package(s) in [TIME]
    Changes:
      + idna 3.10 (new, via mypkg)
      + mypkg 2.0 (new, via -r requirements.in)
      - six 1.16.0 (no longer required)
    ----- requirements.txt -----
    idna==3.10
        # via mypkg
    mypkg @ git+file://[TEMP]/repo@[commit of main]
        # via -r requirements.in
    ");
    context.write(
        "requirements.in",
        format!("-e git+file://{}/repo\n", context.root().display()),
    );
    assert_run_snapshot!(compile(&context, &index, &["--generate-hashes"]), @r"
    success: true
    exit_code: 0
    ----- stdout -----

    ----- stderr -----
    Resolved 2 package(s) in [TIME]
    Changes:
      + mypkg 2.0 (new, via -r requirements.in)
    ----- requirements.txt -----
    -e git+file://[TEMP]/repo@[commit of main]
        # via -r requirements.in
    idna==3.10 \
        --hash=sha256:8fcdbe89a474133162ef7a9fae8452926fda13b7f765c6dfe6c0723bdc3fe2a7
        # via mypkg
    ");
}

#[test]
fn git_subdirectory_is_kept_in_the_pin() {
    let index = index();
    let context = TestContext::new().with_index(&index);
    let path = context.path("monorepo");
    std::fs::create_dir_all(&path).expect("create the repository");
    git(&path, &["init", "--quiet"]);
    write_project(&context, "monorepo/libs/inner", "inner", "0.5", &[]);
    git(&path, &["add", "."]);
    git(&path, &["commit", "--quiet", "-m", "inner"]);
    let commit = git(&path, &["rev-parse", "HEAD"]);
    let context = context.with_filter(&commit, "[commit]");
    context.write(
        "requirements.in",
        format!(
            "inner @ git+file://{}/monorepo#subdirectory=libs/inner&egg=inner\n",
            context.root().display()
        ),
    );
    assert_run_snapshot!(compile(&context, &index, &[]), @"
    success: true
    exit_code: 0
    ----- stdout -----

    ----- stderr -----
    Resolved 1 package(s) in [TIME]
    ----- requirements.txt -----
    inner @ git+file://[TEMP]/monorepo@[commit]#subdirectory=libs/inner
        # via -r requirements.in
    ");
}

#[test]
fn git_revision_that_does_not_exist_is_an_error() {
    let index = index();
    let context = TestContext::new().with_index(&index);
    git_repository(&context, "repo");
    context.write(
        "requirements.in",
        format!("mypkg @ git+file://{}/repo@v9\n", context.root().display()),
    );
    assert_run_snapshot!(compile(&context, &index, &[]), @"
    success: false
    exit_code: 2
    ----- stdout -----

    ----- stderr -----
    error: Failed to use `git+file://[TEMP]/repo@v9`: the repository has no branch, tag or commit named `v9`
    ----- requirements.txt -----
    (missing)
    ");
    context.write("requirements.in", "mypkg @ git+file:///nonexistent/repo\n");
    assert_run_snapshot!(compile(&context, &index, &[]), @"
    success: false
    exit_code: 2
    ----- stdout -----

    ----- stderr -----
    error: Failed to use `git+file:///nonexistent/repo`: git failed:
      fatal: '/nonexistent/repo' does not appear to be a git repository
      fatal: Could not read from remote repository.
      Please make sure you have the correct access rights
      and the repository exists.
    ----- requirements.txt -----
    (missing)
    ");
}

// 4. Resolution.

#[test]
fn other_requirements_on_the_name_must_accept_its_version() {
    let index = index();
    let context = TestContext::new().with_index(&index);
    write_project(&context, "pkg", "mypkg", "0.3.0", &[]);
    context.write("requirements.in", "-e ./pkg\nmypkg<1\n");
    assert_run_snapshot!(compile(&context, &index, &[]), @"
    success: true
    exit_code: 0
    ----- stdout -----

    ----- stderr -----
    Resolved 1 package(s) in [TIME]
    ----- requirements.txt -----
    -e ./pkg
        # via -r requirements.in
    ");
    context.write("requirements.in", "-e ./pkg\nmypkg>=1\n");
    assert_run_snapshot!(compile(&context, &index, &[]), @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: No solution found when resolving dependencies:
      Because you require mypkg>=1 (requirements.in:2) and you require mypkg==0.3.0 (requirements.in:1), your requirements are unsatisfiable.
    ----- requirements.txt -----
    -e ./pkg
        # via -r requirements.in
    ");
}

#[test]
fn direct_reference_wins_over_the_index_for_its_name() {
    // The index has six 1.16.0; the local six 1.0.0 is what `app` gets.
    let index = index();
    let context = TestContext::new().with_index(&index);
    write_project(&context, "six", "six", "1.0.0", &[]);
    write_project(&context, "app", "app", "1.0", &["six"]);
    context.write("requirements.in", "./app\n./six\n");
    assert_run_snapshot!(compile(&context, &index, &[]), @"
    success: true
    exit_code: 0
    ----- stdout -----

    ----- stderr -----
    Resolved 2 package(s) in [TIME]
    ----- requirements.txt -----
    ./app
        # via -r requirements.in
    ./six
        # via
        #   -r requirements.in
        #   app
    ");
}

#[test]
fn dependency_on_a_url_needs_a_direct_reference_of_the_user() {
    let index = index();
    let context = TestContext::new().with_index(&index);
    let url = format!("file://{}/helper", context.root().display());
    write_project(&context, "helper", "helper", "1.0", &[]);
    write_project(&context, "app", "app", "1.0", &[&format!("helper @ {url}")]);
    context.write("requirements.in", "./app\n");
    assert_run_snapshot!(compile(&context, &index, &[]), @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: No solution found when resolving dependencies:
      Because app==1.0 is unusable because it depends on `helper` at a direct URL (file://[TEMP]/helper), which is only allowed when your requirements name `helper` by a URL or path too and you require app==1.0 (requirements.in:1), your requirements are unsatisfiable.
    ----- requirements.txt -----
    (missing)
    ");
    context.write("requirements.in", "./app\n./helper\n");
    assert_run_snapshot!(compile(&context, &index, &[]), @"
    success: true
    exit_code: 0
    ----- stdout -----

    ----- stderr -----
    Resolved 2 package(s) in [TIME]
    ----- requirements.txt -----
    ./app
        # via -r requirements.in
    ./helper
        # via
        #   -r requirements.in
        #   app
    ");
}

#[test]
fn wheel_for_another_platform_is_unusable() {
    let index = index();
    let context = TestContext::new().with_index(&index);
    let wheel = write_wheel(
        &context,
        "dist",
        &DistSpec::new("native", "1.0"),
        "cp312-cp312-win_amd64",
    );
    context.write("requirements.in", format!("./dist/{wheel}\n"));
    assert_run_snapshot!(compile(&context, &index, &[]), @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: No solution found when resolving dependencies:
      Because native==1.0 is unusable because its wheel `native-1.0-cp312-cp312-win_amd64.whl` is not compatible with the target (CPython 3.11, x86_64-manylinux_2_28) and you require native==1.0 (requirements.in:1), your requirements are unsatisfiable.
    ----- requirements.txt -----
    (missing)
    ");
}

#[test]
fn two_references_for_one_name_are_an_error() {
    let index = index();
    let context = TestContext::new().with_index(&index);
    write_project(&context, "a", "mypkg", "1.0", &[]);
    write_project(&context, "b", "mypkg", "2.0", &[]);
    context.write("requirements.in", "./a\n./b\n");
    assert_run_snapshot!(compile(&context, &index, &[]), @"
    success: false
    exit_code: 2
    ----- stdout -----

    ----- stderr -----
    error: `mypkg` is given by two different direct references: `./a` (requirements.in:1) and `./b` (requirements.in:2)
      hint: keep one of them
    ----- requirements.txt -----
    (missing)
    ");
}

// 5. The lockfile lifecycle.

#[test]
fn recompiling_and_checking_keep_direct_references_quiet() {
    let index = index();
    let context = TestContext::new().with_index(&index);
    write_project(&context, "pkg", "mypkg", "0.3.0", &["six"]);
    context.write("requirements.in", "-e ./pkg\n");
    let first = context.run(compile_args(&context, &index, &[]));
    assert!(first.status.success(), "{}", context.render(&first));
    assert_run_snapshot!(context.snapshot(compile_args(&context, &index, &[])), @"
    success: true
    exit_code: 0
    ----- stdout -----

    ----- stderr -----
    Resolved 2 package(s) in [TIME]
    ");
    let mut check = compile_args(&context, &index, &[]);
    check[0] = "check".to_string();
    assert_run_snapshot!(context.snapshot(&check), @"
    success: true
    exit_code: 0
    ----- stdout -----

    ----- stderr -----
    Resolved 2 package(s) in [TIME]
    `requirements.txt` is up to date
    ");
    // The project's dependencies changed: `check` sees the drift.
    write_project(&context, "pkg", "mypkg", "0.3.0", &["six", "idna"]);
    assert_run_snapshot!(context.snapshot(&check), @"
    success: false
    exit_code: 1
    ----- stdout -----
    --- requirements.txt
    +++ requirements.txt (compiled)
    @@ -2,5 +2,7 @@
     #    plinth compile requirements.in --index-url http://[INDEX]/simple/ --python-version 3.11 --python-platform x86_64-manylinux_2_28
     -e ./pkg
         # via -r requirements.in
    +idna==3.10
    +    # via mypkg
     six==1.16.0
         # via mypkg

    ----- stderr -----
    Resolved 3 package(s) in [TIME]
    error: `requirements.txt` has drifted from its inputs
      - `idna` (required by `mypkg`) is missing from the lockfile
      hint: run `plinth compile` and commit the result
    ");
}

// 6. pip installs what plinth writes.

#[test]
fn pip_installs_the_hashed_direct_references() {
    let available = Command::new("python3")
        .args(["-m", "pip", "--version"])
        .output()
        .is_ok_and(|output| output.status.success());
    if !available {
        println!("skipped: `python3 -m pip` is not available");
        return;
    }
    let (index, _, _) = index_with_foo();
    let context = TestContext::new().with_index(&index);
    let wheel = write_wheel(
        &context,
        "dist",
        &DistSpec::new("local", "2.0"),
        "py3-none-any",
    );
    context.write(
        "requirements.in",
        format!(
            "./dist/{wheel}\nfoo @ http://{}/files/foo-1.0-py3-none-any.whl\n",
            index.host()
        ),
    );
    let output = context.run(compile_args(&context, &index, &["--generate-hashes"]));
    assert!(output.status.success(), "{}", context.render(&output));

    let mut pip = Command::new("python3");
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("PIP_") {
            pip.env_remove(&key);
        }
    }
    let output = pip
        .args([
            "-m",
            "pip",
            "install",
            "--dry-run",
            "--no-deps",
            "--no-cache-dir",
        ])
        .args(["--index-url", &index.url(), "-r", "requirements.txt"])
        .current_dir(context.root())
        .env("PIP_CONFIG_FILE", "/dev/null")
        .env("PIP_DISABLE_PIP_VERSION_CHECK", "1")
        .env("NO_PROXY", "127.0.0.1")
        .output()
        .expect("run pip");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "pip failed\n--- requirements.txt\n{}\n--- stdout\n{stdout}\n--- stderr\n{}",
        context.read("requirements.txt"),
        String::from_utf8_lossy(&output.stderr)
    );
    let mut would_install: Vec<String> = stdout
        .lines()
        .find_map(|line| line.strip_prefix("Would install "))
        .unwrap_or_else(|| panic!("pip names what it would install: {stdout}"))
        .split_whitespace()
        .map(str::to_ascii_lowercase)
        .collect();
    would_install.sort();
    assert_eq!(would_install, ["foo-1.0", "local-2.0", "six-1.16.0"]);
}

#[test]
fn url_archives_are_read_once_and_checked_offline() {
    let (index, wheel_sha256, _) = index_with_foo();
    let context = TestContext::new().with_index(&index);
    let host = index.host();
    context.write(
        "requirements.in",
        format!(
            "foo @ http://{host}/files/foo-1.0-py3-none-any.whl#sha256={wheel_sha256}\nhttp://{host}/files/six-1.16.0-py3-none-any.whl\n"
        ),
    );
    let first = context.run(compile_args(&context, &index, &[]));
    assert!(first.status.success(), "{}", context.render(&first));
    index.clear_requests();
    // With its sha256 known, the wheel is not downloaded again.
    let second = context.run(compile_args(&context, &index, &[]));
    assert!(second.status.success(), "{}", context.render(&second));
    let paths: Vec<String> = index
        .requests()
        .iter()
        .map(|request| request.path.clone())
        .collect();
    assert_eq!(paths, ["/files/six-1.16.0-py3-none-any.whl"]);
    // `--offline` answers from the cache alone.
    index.clear_requests();
    let mut check = compile_args(&context, &index, &["--offline"]);
    check[0] = "check".to_string();
    assert_run_snapshot!(context.snapshot(&check), @"
    success: true
    exit_code: 0
    ----- stdout -----

    ----- stderr -----
    Resolved 2 package(s) in [TIME]
    `requirements.txt` is up to date
    ");
    assert!(index.requests().is_empty(), "{:#?}", index.requests());
}

#[test]
fn reference_whose_marker_excludes_the_target_is_never_read() {
    let (index, _, _) = index_with_foo();
    let context = TestContext::new().with_index(&index);
    let host = index.host();
    context.write(
        "requirements.in",
        format!(
            "foo @ http://{host}/files/missing-1.0-py3-none-any.whl ; sys_platform == 'win32'\n./missing ; sys_platform == 'win32'\nsix\n"
        ),
    );
    assert_run_snapshot!(compile(&context, &index, &[]), @"
    success: true
    exit_code: 0
    ----- stdout -----

    ----- stderr -----
    Resolved 1 package(s) in [TIME]
    ----- requirements.txt -----
    six==1.16.0
        # via -r requirements.in
    ");
}

#[test]
fn hash_on_the_line_must_match_the_archive() {
    let index = index();
    let context = TestContext::new().with_index(&index);
    let wheel = write_wheel(
        &context,
        "dist",
        &DistSpec::new("foo", "1.0"),
        "py3-none-any",
    );
    let wrong = "a".repeat(64);
    context.write(
        "requirements.in",
        format!("./dist/{wheel} --hash=sha256:{wrong}\n"),
    );
    let snapshot = compile(&context, &index, &[]);
    let actual = crate::support::sha256_hex(
        &std::fs::read(context.path(format!("dist/{wheel}"))).expect("read the wheel"),
    );
    assert_run_snapshot!(snapshot.replace(&actual, "[sha256 of the wheel]"), @"
    success: false
    exit_code: 2
    ----- stdout -----

    ----- stderr -----
    error: The sha256 of `./dist/foo-1.0-py3-none-any.whl` is `[sha256 of the wheel]`, which no `--hash` at `requirements.in:1` matches
    ----- requirements.txt -----
    (missing)
    ");
}

#[test]
fn url_of_an_sdist_without_static_metadata_is_built() {
    let index = TestIndex::new()
        .package("six", "1.16.0", |p| p)
        .package("legacy", "1.0", |p| {
            p.no_wheels()
                .sdist(true)
                .metadata_version("2.1")
                .in_tree_backend()
                .requires("six")
        })
        .serve();
    let context = TestContext::new().with_index(&index);
    context.write(
        "requirements.in",
        format!("http://{}/files/legacy-1.0.tar.gz\n", index.host()),
    );
    assert_run_snapshot!(compile(&context, &index, &[]), @"
    success: true
    exit_code: 0
    ----- stdout -----

    ----- stderr -----
    Resolved 2 package(s) in [TIME]
    ----- requirements.txt -----
    legacy @ http://[INDEX]/files/legacy-1.0.tar.gz
        # via -r requirements.in
    six==1.16.0
        # via legacy
    ");
}

//! Input files beyond one `requirements.in`, end to end: `pyproject.toml`
//! (static PEP 621 tables, `--extra` / `--all-extras`, dynamic dependencies
//! through a PEP 517 metadata build), `setup.py` / `setup.cfg` (always built),
//! several SRC files merged into one lockfile, `-` for stdin, and `${VAR}`
//! expansion in requirement lines.
//!
//! Builds use tiny in-tree PEP 517 backends (`backend-path = ["."]`) that need
//! nothing installed, since setuptools is not on the local index, or the test
//! backend package the local index serves.

use crate::support::sdist::in_tree_backend;
use crate::support::{DistSpec, RunningIndex, TestContext, TestIndex};

/// `flask` (needing `werkzeug` and `six`), test and docs tools, and `tomli`,
/// which the projects below only want before Python 3.11.
fn packages() -> TestIndex {
    TestIndex::new()
        .package("flask", "3.0.0", |p| {
            p.requires("werkzeug>=3").requires("six")
        })
        .package("flask", "2.0.0", |p| {
            p.requires("werkzeug>=2").requires("six")
        })
        .package("werkzeug", "3.0.0", |p| p)
        .package("six", "1.16.0", |p| p)
        .package("pytest", "8.0.0", |p| p.requires("iniconfig"))
        .package("iniconfig", "2.0.0", |p| p)
        .package("coverage", "7.0.0", |p| p)
        .package("sphinx", "7.0.0", |p| p.requires("six"))
        .package("tomli", "2.0.0", |p| p)
}

/// A static PEP 621 project: `My_App` needs `flask>=3`, `six` and (before
/// 3.11) `tomli`; extras `test`, `docs`, and `all`, which names the project's
/// own `test` and `docs`.
const PYPROJECT: &str = r#"[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "My_App"
version = "0.1"
dependencies = [
    "flask>=3",
    "six",
    "tomli; python_version < '3.11'",
]

[project.optional-dependencies]
test = ["pytest>=8", "coverage"]
docs = ["sphinx"]
all = ["my-app[test,docs]"]
"#;

fn context(index: &RunningIndex) -> TestContext {
    TestContext::new().with_index(index)
}

/// `compile <args> --python-version 3.11 --python-platform x86_64-manylinux_2_28 --index-url <index>`.
fn compile_args(context: &TestContext, index: &RunningIndex, args: &[&str]) -> Vec<String> {
    std::iter::once("compile")
        .chain(args.iter().copied())
        .chain(context.python_args())
        .map(ToString::to_string)
        .chain(["--index-url".to_string(), index.url()])
        .collect()
}

/// The run, then each of `files` (filtered), or `(missing)`.
fn show_files(context: &TestContext, mut text: String, files: &[&str]) -> String {
    for file in files {
        text.push_str(&format!("----- {file} -----\n"));
        if context.exists(file) {
            text.push_str(&context.filter(&context.read(file)));
        } else {
            text.push_str("(missing)\n");
        }
    }
    text
}

/// Runs `plinth compile <args>` against `index` and renders the run and `files`.
fn compile_showing(
    context: &TestContext,
    index: &RunningIndex,
    args: &[&str],
    files: &[&str],
) -> String {
    let text = context.snapshot(compile_args(context, index, args));
    show_files(context, text, files)
}

/// Writes a project in `directory` whose metadata comes only from an in-tree
/// PEP 517 backend describing `spec`; `project_table` is appended to its
/// `pyproject.toml` (e.g. a `[project]` table with dynamic dependencies).
fn write_built_project(
    context: &TestContext,
    directory: &str,
    spec: &DistSpec,
    project_table: &str,
) {
    context.write(
        format!("{directory}/pyproject.toml"),
        format!(
            "[build-system]\nrequires = []\nbuild-backend = \"plinth_test_backend\"\nbackend-path = [\".\"]\n{project_table}"
        ),
    );
    context.write(
        format!("{directory}/plinth_test_backend.py"),
        in_tree_backend(spec),
    );
}

#[test]
fn a_project_input_gets_its_build_requirements_installed_by_plinth() {
    let index = TestIndex::new()
        .package("backend", "1.0", |p| p.backend())
        .package("six", "1.16.0", |p| p)
        .serve();
    let context = context(&index);
    context.write(
        "pyproject.toml",
        "[build-system]\nrequires = [\"backend\"]\nbuild-backend = \"backend\"\n",
    );
    // What the backend's metadata hook answers.
    context.write(
        "plinth-test-metadata",
        DistSpec::new("app", "1.0")
            .requires("six")
            .core_metadata("2.1", &[]),
    );
    let output = context.run(compile_args(
        &context,
        &index,
        &["pyproject.toml", "-o", "-"],
    ));
    assert!(output.status.success(), "{}", context.render(&output));
    assert!(
        String::from_utf8_lossy(&output.stdout)
            .contains("six==1.16.0\n    # via app (pyproject.toml)")
    );
    let installations: Vec<_> =
        std::fs::read_dir(context.cache_dir().join("v1/build-requirements"))
            .expect("shared installations")
            .map(|entry| entry.expect("entry").path())
            .collect();
    let [installation] = installations.as_slice() else {
        panic!("one installation: {installations:?}");
    };
    let installer =
        std::fs::read_to_string(installation.join("site-packages/backend-1.0.dist-info/INSTALLER"))
            .expect("INSTALLER");
    assert_eq!(installer, "plinth\n", "not pip's");
}

// 1. pyproject.toml with a static [project] table.

#[test]
fn pyproject_dependencies_are_locked_next_to_it_via_the_project() {
    let index = packages().serve();
    let context = context(&index);
    context.write("pyproject.toml", PYPROJECT);
    assert_run_snapshot!(compile_showing(&context, &index, &["pyproject.toml"], &["requirements.txt"]), @"
    success: true
    exit_code: 0
    ----- stdout -----

    ----- stderr -----
    Resolved 3 package(s) in [TIME]
    ----- requirements.txt -----
    # This file is autogenerated by plinth with the following command:
    #    plinth compile pyproject.toml --index-url http://[INDEX]/simple/ --python-version 3.11 --python-platform x86_64-manylinux_2_28
    flask==3.0.0
        # via My_App (pyproject.toml)
    six==1.16.0
        # via
        #   My_App (pyproject.toml)
        #   flask
    werkzeug==3.0.0
        # via flask
    ");
}

#[test]
fn extra_adds_its_optional_dependencies() {
    let index = packages().serve();
    let context = context(&index);
    context.write("pyproject.toml", PYPROJECT);
    assert_run_snapshot!(compile_showing(&context, &index, &["pyproject.toml", "--extra", "TEST"], &["requirements.txt"]), @"
    success: true
    exit_code: 0
    ----- stdout -----

    ----- stderr -----
    Resolved 6 package(s) in [TIME]
    ----- requirements.txt -----
    # This file is autogenerated by plinth with the following command:
    #    plinth compile pyproject.toml --extra TEST --index-url http://[INDEX]/simple/ --python-version 3.11 --python-platform x86_64-manylinux_2_28
    coverage==7.0.0
        # via My_App (pyproject.toml)
    flask==3.0.0
        # via My_App (pyproject.toml)
    iniconfig==2.0.0
        # via pytest
    pytest==8.0.0
        # via My_App (pyproject.toml)
    six==1.16.0
        # via
        #   My_App (pyproject.toml)
        #   flask
    werkzeug==3.0.0
        # via flask
    ");
}

#[test]
fn extra_naming_the_project_itself_brings_its_extras() {
    let index = packages().serve();
    let context = context(&index);
    context.write("pyproject.toml", PYPROJECT);
    assert_run_snapshot!(compile_showing(&context, &index, &["pyproject.toml", "--extra", "all", "-o", "-", "--no-header"], &[]), @"
    success: true
    exit_code: 0
    ----- stdout -----
    coverage==7.0.0
        # via My_App (pyproject.toml)
    flask==3.0.0
        # via My_App (pyproject.toml)
    iniconfig==2.0.0
        # via pytest
    pytest==8.0.0
        # via My_App (pyproject.toml)
    six==1.16.0
        # via
        #   My_App (pyproject.toml)
        #   flask
        #   sphinx
    sphinx==7.0.0
        # via My_App (pyproject.toml)
    werkzeug==3.0.0
        # via flask

    ----- stderr -----
    Resolved 7 package(s) in [TIME]
    ");
}

#[test]
fn all_extras_adds_every_extra_and_check_reuses_it() {
    let index = packages().serve();
    let context = context(&index);
    context.write("pyproject.toml", PYPROJECT);
    assert_run_snapshot!(compile_showing(&context, &index, &["pyproject.toml", "--all-extras"], &["requirements.txt"]), @"
    success: true
    exit_code: 0
    ----- stdout -----

    ----- stderr -----
    Resolved 7 package(s) in [TIME]
    ----- requirements.txt -----
    # This file is autogenerated by plinth with the following command:
    #    plinth compile pyproject.toml --all-extras --index-url http://[INDEX]/simple/ --python-version 3.11 --python-platform x86_64-manylinux_2_28
    coverage==7.0.0
        # via My_App (pyproject.toml)
    flask==3.0.0
        # via My_App (pyproject.toml)
    iniconfig==2.0.0
        # via pytest
    pytest==8.0.0
        # via My_App (pyproject.toml)
    six==1.16.0
        # via
        #   My_App (pyproject.toml)
        #   flask
        #   sphinx
    sphinx==7.0.0
        # via My_App (pyproject.toml)
    werkzeug==3.0.0
        # via flask
    ");
    // `check` reads the SRC and `--all-extras` back from the header.
    assert_run_snapshot!(context.snapshot(["check"]), @"
    success: true
    exit_code: 0
    ----- stdout -----

    ----- stderr -----
    Resolved 7 package(s) in [TIME]
    `requirements.txt` is up to date
    ");
}

#[test]
fn why_starts_at_the_line_of_pyproject() {
    let index = packages().serve();
    let context = context(&index);
    context.write("pyproject.toml", PYPROJECT);
    let compiled = context.run(compile_args(
        &context,
        &index,
        &["pyproject.toml", "--extra", "docs"],
    ));
    assert!(compiled.status.success(), "{}", context.render(&compiled));
    assert_run_snapshot!(context.snapshot(["why", "six"]), @"
    success: true
    exit_code: 0
    ----- stdout -----
    pyproject.toml:10 six -> six 1.16.0
    pyproject.toml:16 sphinx -> sphinx 7.0.0 -> six -> six 1.16.0
    pyproject.toml:9 flask>=3 -> flask 3.0.0 -> six -> six 1.16.0

    ----- stderr -----
    Resolved 4 package(s) in [TIME]
    ");
}

#[test]
fn extra_that_no_project_defines_is_an_error() {
    let index = packages().serve();
    let context = context(&index);
    context.write("pyproject.toml", PYPROJECT);
    assert_run_snapshot!(compile_showing(&context, &index, &["pyproject.toml", "--extra", "nope"], &["requirements.txt"]), @"
    success: false
    exit_code: 2
    ----- stdout -----

    ----- stderr -----
    error: The extra `nope` is not defined by any project SRC
      hint: the extras of `pyproject.toml` are: `all`, `docs`, `test`
    ----- requirements.txt -----
    (missing)
    ");
}

#[test]
fn extra_without_a_project_is_an_error() {
    let index = packages().serve();
    let context = context(&index);
    context.write("requirements.in", "six\n");
    assert_run_snapshot!(compile_showing(&context, &index, &["requirements.in", "--extra", "test"], &["requirements.txt"]), @"
    success: false
    exit_code: 2
    ----- stdout -----

    ----- stderr -----
    error: `--extra` and `--all-extras` apply to projects, but no SRC is a `pyproject.toml`, `setup.py` or `setup.cfg`
    ----- requirements.txt -----
    (missing)
    ");
}

#[test]
fn invalid_extra_name_is_an_error() {
    let index = packages().serve();
    let context = context(&index);
    context.write("pyproject.toml", PYPROJECT);
    assert_run_snapshot!(compile_showing(&context, &index, &["pyproject.toml", "--extra", "te st"], &["requirements.txt"]), @r#"
    success: false
    exit_code: 2
    ----- stdout -----

    ----- stderr -----
    error: Invalid `--extra` `te st`: Not a valid package or extra name: "te st". Names must start and end with a letter or digit and may only contain -, _, ., and alphanumeric characters.
    ----- requirements.txt -----
    (missing)
    "#);
}

#[test]
fn pyproject_in_a_subdirectory_is_named_relative_to_the_output() {
    let index = packages().serve();
    let context = context(&index);
    context.write("app/pyproject.toml", PYPROJECT);
    // Default output: `requirements.txt` next to the project file.
    assert_run_snapshot!(compile_showing(&context, &index, &["app/pyproject.toml", "--no-header"], &["app/requirements.txt"]), @"
    success: true
    exit_code: 0
    ----- stdout -----

    ----- stderr -----
    Resolved 3 package(s) in [TIME]
    ----- app/requirements.txt -----
    flask==3.0.0
        # via My_App (pyproject.toml)
    six==1.16.0
        # via
        #   My_App (pyproject.toml)
        #   flask
    werkzeug==3.0.0
        # via flask
    ");
    assert_run_snapshot!(compile_showing(&context, &index, &["app/pyproject.toml", "--no-header", "-o", "-"], &[]), @"
    success: true
    exit_code: 0
    ----- stdout -----
    flask==3.0.0
        # via My_App (app/pyproject.toml)
    six==1.16.0
        # via
        #   My_App (app/pyproject.toml)
        #   flask
    werkzeug==3.0.0
        # via flask

    ----- stderr -----
    Resolved 3 package(s) in [TIME]
    ");
}

#[test]
fn pyproject_is_the_default_src_without_requirements_in() {
    let index = packages().serve();
    let context = context(&index);
    context.write("pyproject.toml", PYPROJECT);
    assert_run_snapshot!(compile_showing(&context, &index, &[], &["requirements.txt"]), @"
    success: true
    exit_code: 0
    ----- stdout -----

    ----- stderr -----
    Resolved 3 package(s) in [TIME]
    ----- requirements.txt -----
    # This file is autogenerated by plinth with the following command:
    #    plinth compile pyproject.toml --index-url http://[INDEX]/simple/ --python-version 3.11 --python-platform x86_64-manylinux_2_28
    flask==3.0.0
        # via My_App (pyproject.toml)
    six==1.16.0
        # via
        #   My_App (pyproject.toml)
        #   flask
    werkzeug==3.0.0
        # via flask
    ");
}

// 2. Projects whose requirements take a PEP 517 metadata build.

#[test]
fn dynamic_dependencies_are_built() {
    let index = packages().serve();
    let context = context(&index);
    let spec = DistSpec::new("Built_App", "1.0")
        .requires("flask>=3")
        .requires("tomli; python_version < '3.11'")
        .extra("test", &["pytest"])
        .extra("full", &["built-app[test]", "sphinx"]);
    write_built_project(
        &context,
        ".",
        &spec,
        "\n[project]\nname = \"Built_App\"\nversion = \"1.0\"\ndynamic = [\"dependencies\", \"optional-dependencies\"]\n",
    );
    assert_run_snapshot!(compile_showing(&context, &index, &["pyproject.toml", "--extra", "full"], &["requirements.txt"]), @"
    success: true
    exit_code: 0
    ----- stdout -----

    ----- stderr -----
    Resolved 6 package(s) in [TIME]
    ----- requirements.txt -----
    # This file is autogenerated by plinth with the following command:
    #    plinth compile pyproject.toml --extra full --index-url http://[INDEX]/simple/ --python-version 3.11 --python-platform x86_64-manylinux_2_28
    flask==3.0.0
        # via Built_App (pyproject.toml)
    iniconfig==2.0.0
        # via pytest
    pytest==8.0.0
        # via Built_App (pyproject.toml)
    six==1.16.0
        # via
        #   flask
        #   sphinx
    sphinx==7.0.0
        # via Built_App (pyproject.toml)
    werkzeug==3.0.0
        # via flask
    ");
}

#[test]
fn pyproject_without_project_table_is_built_by_its_backend() {
    let index = packages().serve();
    let context = context(&index);
    let spec = DistSpec::new("poetry-style", "1.0").requires("six");
    write_built_project(&context, ".", &spec, "\n[tool.something]\nname = \"x\"\n");
    assert_run_snapshot!(compile_showing(&context, &index, &["pyproject.toml", "--no-header"], &["requirements.txt"]), @"
    success: true
    exit_code: 0
    ----- stdout -----

    ----- stderr -----
    Resolved 1 package(s) in [TIME]
    ----- requirements.txt -----
    six==1.16.0
        # via poetry-style (pyproject.toml)
    ");
}

#[test]
fn dynamic_dependencies_with_no_build_are_an_error() {
    let index = packages().serve();
    let context = context(&index);
    write_built_project(
        &context,
        ".",
        &DistSpec::new("app", "1.0"),
        "\n[project]\nname = \"app\"\nversion = \"1.0\"\ndynamic = [\"dependencies\"]\n",
    );
    assert_run_snapshot!(compile_showing(&context, &index, &["pyproject.toml", "--no-build"], &["requirements.txt"]), @"
    success: false
    exit_code: 2
    ----- stdout -----

    ----- stderr -----
    error: The requirements of `pyproject.toml` need a PEP 517 metadata build (its `dependencies` are dynamic), which `--no-build` forbids
    ----- requirements.txt -----
    (missing)
    ");
}

#[test]
fn static_dependencies_need_no_build_even_with_no_build() {
    let index = packages().serve();
    let context = context(&index);
    context.write("pyproject.toml", PYPROJECT);
    assert_run_snapshot!(compile_showing(&context, &index, &["pyproject.toml", "--no-build", "--no-header", "-o", "-"], &[]), @"
    success: true
    exit_code: 0
    ----- stdout -----
    flask==3.0.0
        # via My_App (pyproject.toml)
    six==1.16.0
        # via
        #   My_App (pyproject.toml)
        #   flask
    werkzeug==3.0.0
        # via flask

    ----- stderr -----
    Resolved 3 package(s) in [TIME]
    ");
}

#[test]
fn setup_py_is_built_and_locked_next_to_it() {
    let index = packages().serve();
    let context = context(&index);
    let spec = DistSpec::new("Legacy.App", "2.0")
        .requires("six")
        .requires("flask<3");
    write_built_project(&context, "legacy", &spec, "");
    context.write(
        "legacy/setup.py",
        "raise SystemExit('the in-tree backend does not run setup.py')\n",
    );
    assert_run_snapshot!(compile_showing(&context, &index, &["legacy/setup.py"], &["legacy/requirements.txt"]), @"
    success: true
    exit_code: 0
    ----- stdout -----

    ----- stderr -----
    Resolved 3 package(s) in [TIME]
    ----- legacy/requirements.txt -----
    # This file is autogenerated by plinth with the following command:
    #    plinth compile legacy/setup.py --index-url http://[INDEX]/simple/ --python-version 3.11 --python-platform x86_64-manylinux_2_28
    flask==2.0.0
        # via Legacy.App (setup.py)
    six==1.16.0
        # via
        #   Legacy.App (setup.py)
        #   flask
    werkzeug==3.0.0
        # via flask
    ");
}

#[test]
fn setup_cfg_is_built() {
    let index = packages().serve();
    let context = context(&index);
    let spec = DistSpec::new("cfg-app", "1.0").requires("werkzeug");
    write_built_project(&context, ".", &spec, "");
    context.write("setup.cfg", "[metadata]\nname = cfg-app\n");
    assert_run_snapshot!(compile_showing(&context, &index, &["setup.cfg", "--no-header", "-o", "-"], &[]), @"
    success: true
    exit_code: 0
    ----- stdout -----
    werkzeug==3.0.0
        # via cfg-app (setup.cfg)

    ----- stderr -----
    Resolved 1 package(s) in [TIME]
    ");
}

#[test]
fn failing_project_build_is_an_error_and_keeps_the_lockfile() {
    let index = packages().serve();
    let context = context(&index);
    context.write(
        "pyproject.toml",
        "[build-system]\nrequires = []\nbuild-backend = \"broken_backend\"\nbackend-path = [\".\"]\n\n[project]\nname = \"app\"\nversion = \"1.0\"\ndynamic = [\"dependencies\"]\n",
    );
    context.write(
        "broken_backend.py",
        "def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):\n    raise RuntimeError('cannot work out the dependencies')\n",
    );
    context.write("requirements.txt", "six==1.0\n");
    assert_run_snapshot!(compile_showing(&context, &index, &["pyproject.toml"], &["requirements.txt"]), @r#"
    success: false
    exit_code: 2
    ----- stdout -----

    ----- stderr -----
    error: Failed to get the requirements of `pyproject.toml`
      caused by: Build backend `broken_backend` failed in `prepare_metadata_for_build_wheel` for `[TEMP]`:
      Traceback (most recent call last):
        File "[TEMP]/broken_backend.py", line 2, in prepare_metadata_for_build_wheel
          raise RuntimeError('cannot work out the dependencies')
      RuntimeError: cannot work out the dependencies
    ----- requirements.txt -----
    six==1.0
    "#);
}

// 3. Bad pyproject.toml files.

#[test]
fn pyproject_without_project_or_build_system_is_an_error() {
    let index = packages().serve();
    let context = context(&index);
    context.write("pyproject.toml", "[tool.black]\nline-length = 100\n");
    assert_run_snapshot!(compile_showing(&context, &index, &["pyproject.toml"], &["requirements.txt"]), @"
    success: false
    exit_code: 2
    ----- stdout -----

    ----- stderr -----
    error: `pyproject.toml` has no `[project]` table and no `[build-system]` table: it does not say what the project requires
      hint: list the requirements in `[project] dependencies` (PEP 621)
    ----- requirements.txt -----
    (missing)
    ");
}

#[test]
fn invalid_toml_is_reported_at_its_position() {
    let index = packages().serve();
    let context = context(&index);
    context.write(
        "pyproject.toml",
        "[project]\nname = \"app\"\ndependencies = [\"flask\" \"six\"]\n",
    );
    assert_run_snapshot!(compile_showing(&context, &index, &["pyproject.toml"], &[]), @r#"
    success: false
    exit_code: 2
    ----- stdout -----

    ----- stderr -----
    error: Invalid TOML at `pyproject.toml:3:25`: missing comma between array elements, expected `,`
      dependencies = ["flask" "six"]
                              ^
    "#);
}

#[test]
fn invalid_dependency_is_reported_at_its_position() {
    let index = packages().serve();
    let context = context(&index);
    context.write(
        "pyproject.toml",
        "[project]\nname = \"app\"\ndependencies = [\n    \"flask >= 3\",\n    \"six >=< 1\",\n]\n",
    );
    assert_run_snapshot!(compile_showing(&context, &index, &["pyproject.toml"], &[]), @r#"
    success: false
    exit_code: 2
    ----- stdout -----

    ----- stderr -----
    error: Invalid requirement at `pyproject.toml:5:10`: no such comparison operator ">=<", must be one of ~= == != <= >= < > ===
          "six >=< 1",
               ^^^^^
    "#);
}

#[test]
fn missing_pyproject_is_reported() {
    let index = packages().serve();
    let context = context(&index);
    assert_run_snapshot!(compile_showing(&context, &index, &["pyproject.toml"], &[]), @"
    success: false
    exit_code: 2
    ----- stdout -----

    ----- stderr -----
    error: Failed to read `pyproject.toml`: No such file or directory (os error 2)
    ");
}

// 4. Several SRC files in one lockfile.

#[test]
fn several_inputs_merge_into_one_lockfile() {
    let index = packages().serve();
    let context = context(&index);
    context.write("requirements.in", "flask\nsix\n");
    context.write("dev.in", "pytest\nsix\nflask>=2\n");
    context.write("app/pyproject.toml", PYPROJECT);
    assert_run_snapshot!(compile_showing(&context, &index, &["requirements.in", "dev.in", "app/pyproject.toml", "--extra", "docs", "-o", "requirements.txt"], &["requirements.txt"]), @"
    success: true
    exit_code: 0
    ----- stdout -----

    ----- stderr -----
    Resolved 6 package(s) in [TIME]
    ----- requirements.txt -----
    # This file is autogenerated by plinth with the following command:
    #    plinth compile requirements.in dev.in app/pyproject.toml -o requirements.txt --extra docs --index-url http://[INDEX]/simple/ --python-version 3.11 --python-platform x86_64-manylinux_2_28
    flask==3.0.0
        # via
        #   -r dev.in
        #   -r requirements.in
        #   My_App (app/pyproject.toml)
    iniconfig==2.0.0
        # via pytest
    pytest==8.0.0
        # via -r dev.in
    six==1.16.0
        # via
        #   -r dev.in
        #   -r requirements.in
        #   My_App (app/pyproject.toml)
        #   flask
        #   sphinx
    sphinx==7.0.0
        # via My_App (app/pyproject.toml)
    werkzeug==3.0.0
        # via flask
    ");
}

#[test]
fn duplicate_requirements_that_conflict_across_inputs_are_unsatisfiable() {
    let index = packages().serve();
    let context = context(&index);
    context.write("requirements.in", "flask<3\n");
    context.write("pyproject.toml", PYPROJECT);
    assert_run_snapshot!(compile_showing(&context, &index, &["requirements.in", "pyproject.toml"], &["requirements.txt"]), @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: No solution found when resolving dependencies:
      Because you require flask<3 (requirements.in:1) and you require flask>=3 (pyproject.toml:9), your requirements are unsatisfiable.
    ----- requirements.txt -----
    (missing)
    ");
}

// 5. Standard input.

#[test]
fn stdin_is_read_for_dash() {
    let index = packages().serve();
    let context = context(&index);
    let command = context.command(compile_args(
        &context,
        &index,
        &["-", "-o", "requirements.txt"],
    ));
    let text = context
        .render(&context.run_command_with_stdin(command, b"flask\n# a comment\nsix==1.16.0\n"));
    assert_run_snapshot!(show_files(&context, text, &["requirements.txt"]), @"
    success: true
    exit_code: 0
    ----- stdout -----

    ----- stderr -----
    Resolved 3 package(s) in [TIME]
    ----- requirements.txt -----
    # This file is autogenerated by plinth with the following command:
    #    plinth compile - -o requirements.txt --index-url http://[INDEX]/simple/ --python-version 3.11 --python-platform x86_64-manylinux_2_28
    flask==3.0.0
        # via -r -
    six==1.16.0
        # via
        #   -r -
        #   flask
    werkzeug==3.0.0
        # via flask
    ");
}

#[test]
fn stdin_merges_with_files_and_includes_are_relative_to_the_working_directory() {
    let index = packages().serve();
    let context = context(&index);
    context.write("base.in", "six\n");
    context.write("dev.in", "pytest\n");
    let command = context.command(compile_args(
        &context,
        &index,
        &["dev.in", "-", "-o", "-", "--no-header"],
    ));
    let output = context.run_command_with_stdin(command, b"-r base.in\nflask\n");
    assert_run_snapshot!(context.render(&output), @"
    success: true
    exit_code: 0
    ----- stdout -----
    flask==3.0.0
        # via -r -
    iniconfig==2.0.0
        # via pytest
    pytest==8.0.0
        # via -r dev.in
    six==1.16.0
        # via
        #   -r base.in
        #   flask
    werkzeug==3.0.0
        # via flask

    ----- stderr -----
    Resolved 5 package(s) in [TIME]
    ");
}

#[test]
fn stdin_needs_an_output_file() {
    let index = packages().serve();
    let context = context(&index);
    let command = context.command(compile_args(&context, &index, &["-"]));
    let output = context.run_command_with_stdin(command, b"flask\n");
    assert_run_snapshot!(show_files(&context, context.render(&output), &["requirements.txt", "-.txt"]), @"
    success: false
    exit_code: 2
    ----- stdout -----

    ----- stderr -----
    error: An output file is required when the input is read from stdin
      hint: name it with `-o FILE`, or `-o -` for stdout
    ----- requirements.txt -----
    (missing)
    ----- -.txt -----
    (missing)
    ");
}

#[test]
fn error_in_stdin_names_it_as_dash() {
    let index = packages().serve();
    let context = context(&index);
    let command = context.command(compile_args(&context, &index, &["-", "-o", "-"]));
    let output = context.run_command_with_stdin(command, b"flask\nsix >=< 1\n");
    assert_run_snapshot!(context.render(&output), @r#"
    success: false
    exit_code: 2
    ----- stdout -----

    ----- stderr -----
    error: Invalid requirement at `-:2:5`: no such comparison operator ">=<", must be one of ~= == != <= >= < > ===
      six >=< 1
          ^^^^^
    "#);
}

// 6. Environment variables.

#[test]
fn env_vars_are_expanded_in_requirement_lines_and_index_urls() {
    let index = packages().serve();
    let context = context(&index);
    context.write(
        "requirements.in",
        "--index-url http://user:${INDEX_TOKEN}@${INDEX_HOST}/simple/\nflask==${FLASK_VERSION}\n",
    );
    let mut command = context.command(
        ["compile", "requirements.in", "-o", "-"]
            .into_iter()
            .chain(context.python_args()),
    );
    command
        .env("INDEX_HOST", index.host())
        .env("INDEX_TOKEN", "s3cret-token")
        .env("FLASK_VERSION", "2.0.0");
    let output = context.run_command(command);
    // The token is used, never shown: the header names the index without it.
    let rendered = context.render(&output);
    assert!(!rendered.contains("s3cret-token"), "{rendered}");
    assert_run_snapshot!(rendered, @"
    success: true
    exit_code: 0
    ----- stdout -----
    # This file is autogenerated by plinth with the following command:
    #    plinth compile requirements.in -o - --index-url http://[INDEX]/simple/ --python-version 3.11 --python-platform x86_64-manylinux_2_28
    flask==2.0.0
        # via -r requirements.in
    six==1.16.0
        # via flask
    werkzeug==3.0.0
        # via flask

    ----- stderr -----
    Resolved 3 package(s) in [TIME]
    ");
}

#[test]
fn unset_env_var_is_left_as_written_and_reported() {
    let index = packages().serve();
    let context = context(&index);
    context.write("requirements.in", "flask==${FLASK_VERSION}\n");
    let mut command = context.command(compile_args(&context, &index, &["requirements.in"]));
    command.env_remove("FLASK_VERSION");
    assert_run_snapshot!(context.snapshot_command(command), @"
    success: false
    exit_code: 2
    ----- stdout -----

    ----- stderr -----
    error: Invalid requirement at `requirements.in:1:6`: expected version to start with a number, but no leading ASCII digits were found
      flask==${FLASK_VERSION}
           ^^^^^^^^^^^^^^^^^^
    ");
}

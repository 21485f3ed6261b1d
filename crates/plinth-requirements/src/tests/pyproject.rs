//! `pyproject.toml` as an input file: the `[project]` table and its errors.

use std::fmt::Write as _;
use std::path::Path;

use insta::assert_snapshot;

use crate::{PyProjectToml, parse_pyproject_toml, parse_pyproject_toml_str};

fn summarize(pyproject: &PyProjectToml) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "build-system: {}", pyproject.build_system);
    let Some(project) = &pyproject.project else {
        let _ = writeln!(out, "no [project]");
        return out;
    };
    let _ = writeln!(out, "name: {}", project.name);
    if let Some(requires_python) = &project.requires_python {
        let _ = writeln!(out, "requires-python: {requires_python}");
    }
    match &project.dependencies {
        None => {
            let _ = writeln!(out, "dependencies: dynamic");
        }
        Some(dependencies) => {
            let _ = writeln!(out, "dependencies:");
            for dependency in dependencies {
                let _ = writeln!(out, "  {}  {}", dependency.origin, dependency.value);
            }
        }
    }
    match &project.optional_dependencies {
        None => {
            let _ = writeln!(out, "optional-dependencies: dynamic");
        }
        Some(extras) => {
            for (extra, requirements) in extras {
                let _ = writeln!(out, "[{extra}]:");
                for requirement in requirements {
                    let _ = writeln!(out, "  {}  {}", requirement.origin, requirement.value);
                }
            }
        }
    }
    out
}

fn parse(content: &str) -> String {
    match parse_pyproject_toml_str(content, Path::new("pyproject.toml")) {
        Ok(pyproject) => summarize(&pyproject),
        Err(error) => panic!("unexpected error:\n{error}"),
    }
}

fn error(content: &str) -> String {
    match parse_pyproject_toml_str(content, Path::new("pyproject.toml")) {
        Ok(pyproject) => panic!("expected an error, got:\n{}", summarize(&pyproject)),
        Err(error) => error.to_string(),
    }
}

#[test]
fn static_project_table() {
    assert_snapshot!(parse(r#"
[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "My_App"
version = "0.1"
dependencies = [
    "flask>=3",
    "importlib-metadata; python_version < '3.10'",
]

[project.optional-dependencies]
Test = ["pytest>=8", "my-app[docs]"]
docs = ["sphinx"]
test = ["coverage"]
"#), @"
    build-system: true
    name: My_App
    dependencies:
      pyproject.toml:10  flask>=3
      pyproject.toml:11  importlib-metadata ; python_full_version < '3.10'
    [docs]:
      pyproject.toml:16  sphinx
    [test]:
      pyproject.toml:15  pytest>=8
      pyproject.toml:15  my-app[docs]
      pyproject.toml:17  coverage
    ");
}

#[test]
fn dynamic_and_missing_tables() {
    assert_snapshot!(parse(r#"
[project]
name = "app"
dynamic = ["version", "dependencies"]
[project.optional-dependencies]
test = ["pytest"]
"#), @r"
    build-system: false
    name: app
    dependencies: dynamic
    [test]:
      pyproject.toml:6  pytest
    ");
    assert_snapshot!(parse(r#"
[project]
name = "app"
dynamic = ["optional-dependencies"]
"#), @r"
    build-system: false
    name: app
    dependencies:
    optional-dependencies: dynamic
    ");
    assert_snapshot!(parse("[tool.poetry]\nname = 'app'\n[build-system]\nrequires = ['poetry-core']\n"), @r"
    build-system: true
    no [project]
    ");
    assert_snapshot!(parse("\u{feff}"), @r"
    build-system: false
    no [project]
    ");
}

#[test]
fn requires_python_unless_dynamic() {
    assert_snapshot!(parse("[project]\nname = \"app\"\nrequires-python = \">= 3.9.2, <4\"\n"), @"
    build-system: false
    name: app
    requires-python: >=3.9.2, <4
    dependencies:
    ");
    assert_snapshot!(parse("[project]\nname = \"app\"\nrequires-python = \">=3.9\"\ndynamic = [\"requires-python\"]\n"), @"
    build-system: false
    name: app
    dependencies:
    ");
    assert_snapshot!(error("[project]\nname = \"app\"\nrequires-python = \">=3.x\"\n"), @r#"
    Invalid `[project]` table at `pyproject.toml:3:19`: invalid `requires-python`: Failed to parse version: after parsing `3`, found `.x`, which is not part of a valid version
      requires-python = ">=3.x"
                        ^^^^^^^
    "#);
}

#[test]
fn invalid_toml_names_the_position() {
    assert_snapshot!(error("[project]\nname = \"app\"\ndependencies = [\"flask\",\n"), @r#"
    Invalid TOML at `pyproject.toml:3:25`: unclosed array, expected `]`
      dependencies = ["flask",
                              ^
    "#);
    assert_snapshot!(error("[project\nname = 'app'\n"), @"
    Invalid TOML at `pyproject.toml:1:9`: unclosed table, expected `]`
      [project
              ^
    ");
}

#[test]
fn key_of_the_wrong_type_names_the_position() {
    assert_snapshot!(error("[project]\nname = \"app\"\ndependencies = \"flask\"\n"), @r#"
    Invalid `[project]` table at `pyproject.toml:3:16`: invalid type: string "flask", expected a sequence
      dependencies = "flask"
                     ^^^^^^^
    "#);
    assert_snapshot!(error("[project]\nname = \"app\"\ndependencies = [\"flask\", 3]\n"), @r#"
    Invalid `[project]` table at `pyproject.toml:3:26`: invalid type: integer `3`, expected a string
      dependencies = ["flask", 3]
                               ^
    "#);
}

#[test]
fn project_without_a_valid_name_is_an_error() {
    assert_snapshot!(error("[build-system]\nrequires = []\n\n[project]\nversion = \"1.0\"\ndependencies = []\n"), @"
    Invalid `[project]` table at `pyproject.toml:4:1`: `name` is missing
      [project]
      ^^^^^^^^^
    ");
    assert_snapshot!(error("[project]\nname = \"my app\"\n"), @r#"
    Invalid `[project]` table at `pyproject.toml:2:8`: Not a valid package or extra name: "my app". Names must start and end with a letter or digit and may only contain -, _, ., and alphanumeric characters.
      name = "my app"
             ^^^^^^^^
    "#);
}

#[test]
fn invalid_requirement_is_shown_inside_its_string() {
    assert_snapshot!(error("[project]\nname = \"app\"\ndependencies = [\"flask >= 3\", \"six ==\"]\n"), @r#"
    Invalid requirement at `pyproject.toml:3:36`: Unexpected end of version specifier, expected version
      dependencies = ["flask >= 3", "six =="]
                                         ^^
    "#);
    assert_snapshot!(error("[project]\nname = \"app\"\ndependencies = [\"flask- >=3\"]\n"), @r#"
    Invalid requirement at `pyproject.toml:3:23`: Package name must end with an alphanumeric character, not `-`
      dependencies = ["flask- >=3"]
                            ^
    "#);
    // With escapes the whole string is underlined.
    assert_snapshot!(error("[project]\nname = \"app\"\ndependencies = [\"six \\u003d=\"]\n"), @r#"
    Invalid requirement at `pyproject.toml:3:17`: Unexpected end of version specifier, expected version
      dependencies = ["six \u003d="]
                      ^^^^^^^^^^^^^
    "#);
    assert_snapshot!(error("[project]\nname = \"app\"\n[project.optional-dependencies]\n\"not valid\" = []\n"), @r#"
    Invalid `[project]` table at `pyproject.toml:4:1`: Not a valid package or extra name: "not valid". Names must start and end with a letter or digit and may only contain -, _, ., and alphanumeric characters.
      "not valid" = []
      ^^^^^^^^^^^^^^^^
    "#);
    assert_snapshot!(error("[project]\nname = \"app\"\n[project.optional-dependencies]\ntest = [\"pytest>=\"]\n"), @r#"
    Invalid requirement at `pyproject.toml:4:16`: Unexpected end of version specifier, expected version
      test = ["pytest>="]
                     ^^
    "#);
}

#[test]
fn missing_file_is_reported() {
    let error =
        parse_pyproject_toml(Path::new("/nonexistent/pyproject.toml")).expect_err("no such file");
    assert!(
        error
            .to_string()
            .starts_with("Failed to read `/nonexistent/pyproject.toml`: "),
        "{error}"
    );
}

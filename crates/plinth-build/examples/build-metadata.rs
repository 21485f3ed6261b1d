//! Builds the metadata of one sdist and prints it: a manual check against real sdists.
//!
//! ```text
//! cargo run -p plinth-build --example build-metadata -- SDIST [PYTHON_VERSION] [TIMEOUT_SECONDS]
//! ```

use std::process::ExitCode;
use std::str::FromStr;
use std::time::{Duration, Instant};

fn main() -> ExitCode {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    let Some(sdist) = arguments.first() else {
        eprintln!("usage: build-metadata SDIST [PYTHON_VERSION] [TIMEOUT_SECONDS]");
        return ExitCode::from(2);
    };
    let version = arguments.get(1).map_or("3.11", String::as_str);
    let Ok(version) = pep440_rs::Version::from_str(version) else {
        eprintln!("invalid Python version `{version}`");
        return ExitCode::from(2);
    };
    let mut options = plinth_build::BuildOptions::new(version);
    if let Some(seconds) = arguments.get(2).and_then(|seconds| seconds.parse().ok()) {
        options.timeout = Duration::from_secs(seconds);
    }
    let start = Instant::now();
    match plinth_build::build_metadata(std::path::Path::new(sdist), None, &options) {
        Ok(built) => {
            for warning in &built.warnings {
                eprintln!("warning: {warning}");
            }
            print!("{}", String::from_utf8_lossy(&built.metadata));
            eprintln!("built in {:.2?}", start.elapsed());
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {error}");
            eprintln!("failed after {:.2?}", start.elapsed());
            ExitCode::from(2)
        }
    }
}

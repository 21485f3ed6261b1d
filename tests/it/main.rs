//! End-to-end tests of the `plinth` binary: one test binary, a module per area.

/// An insta inline snapshot of a rendered run, with the timing of the
/// "Resolved N packages in X.XXs" line filtered out.
macro_rules! assert_run_snapshot {
    ($value:expr, @$snapshot:literal) => {
        insta::with_settings!({ filters => vec![(r"(Resolved \d+ package)s? in \d+\.\d+s", "${1}(s) in [TIME]")] }, {
            insta::assert_snapshot!($value, @$snapshot);
        })
    };
}

mod bad_input;
mod cache;
mod compile;
mod direct;
mod docker;
mod faults;
mod indexes;
mod inputs;
mod lifecycle;
mod outputs;
mod resolver;
mod safety;
mod support;
mod support_selftest;
mod tls;
mod universal;

//! End-to-end tests of the `plinth` binary: one test binary, a module per area.

mod compile;
mod lifecycle;
mod resolver;
mod support;
mod support_selftest;

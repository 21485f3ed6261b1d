//! End-to-end tests of the `plinth` binary: one test binary, a module per area.

mod compile;
mod direct;
mod faults;
mod indexes;
mod inputs;
mod lifecycle;
mod outputs;
mod resolver;
mod support;
mod support_selftest;

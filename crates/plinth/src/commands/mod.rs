//! One module per subcommand.

pub mod check;
pub mod compile;
pub mod lint_docker;
pub mod upgrade;
pub mod why;

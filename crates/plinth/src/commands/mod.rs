//! One module per subcommand.

pub mod check;
pub mod compile;
pub mod upgrade;
pub mod why;

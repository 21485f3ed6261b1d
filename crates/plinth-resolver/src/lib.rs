//! plinth-resolver

//! plinth-index

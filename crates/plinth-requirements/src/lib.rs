//! plinth-requirements

//! The XSP client: subscribe, refresh, resubscribe, delete.

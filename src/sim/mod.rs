//! The demo XSP: a simulator that POSTs realistic XSI events over real HTTP.

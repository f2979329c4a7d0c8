//! Typed events back to XSI XML, as an XSP sends them (used by the simulator, the load tool
//! and the tests).

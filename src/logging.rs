//! tracing to a file (never to the terminal while the TUI is up).

//! Configuration: TOML file beneath the flags, secrets never echoed.

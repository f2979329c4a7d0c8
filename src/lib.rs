//! xsi-wallboard: a terminal wallboard for BroadWorks call centers.
//!
//! The road an event takes: XSP --HTTP POST--> [`listener`] --[`xsi::parse_event`]--> [`xsi::Event`]
//! --bounded mpsc--> [`board::run_applier`] --> [`board::Board`] --snapshot--> [`ui`].

pub mod actions;
pub mod alert;
pub mod app;
pub mod attach;
pub mod board;
pub mod channel;
pub mod child;
pub mod cli;
pub mod config;
pub mod control;
pub mod guard;
pub mod intake;
pub mod journal;
pub mod listener;
pub mod logging;
pub mod metrics;
pub mod run;
pub mod sim;
pub mod status;
pub mod stream;
pub mod subscribe;
pub mod tui;
pub mod ui;
pub mod viewer;
pub mod xsi;

pub use run::run;

//! Colours, and the marks that carry the same meaning without colour.
//!
//! The theme is chosen once at startup (from `NO_COLOR`) and passed to every render, so a test
//! renders the same cells whatever the environment says.

use ratatui::style::{Color, Modifier, Style};

use crate::status::Health;

/// How urgent a wait is against its call center's thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum WaitLevel {
    Normal,
    /// At or past `warn_secs`.
    Warning,
    /// At or past `crit_secs`.
    Critical,
}

impl WaitLevel {
    pub fn of(wait_secs: u64, warn_secs: u64, crit_secs: u64) -> Self {
        if wait_secs >= crit_secs {
            WaitLevel::Critical
        } else if wait_secs >= warn_secs {
            WaitLevel::Warning
        } else {
            WaitLevel::Normal
        }
    }

    /// Two cells wide, so that columns line up whatever the level; readable on a monochrome
    /// terminal and with `NO_COLOR`.
    pub fn mark(self) -> &'static str {
        match self {
            WaitLevel::Normal => "  ",
            WaitLevel::Warning => "! ",
            WaitLevel::Critical => "!!",
        }
    }
}

/// Styles for every element the UI draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    color: bool,
}

impl Theme {
    /// Colours on.
    pub const fn color() -> Self {
        Theme { color: true }
    }

    /// No colour at all: only bold, dim and reverse, which every terminal can show.
    pub const fn monochrome() -> Self {
        Theme { color: false }
    }

    /// Monochrome when `NO_COLOR` is set to a non-empty value (<https://no-color.org>).
    pub fn from_env() -> Self {
        match std::env::var_os("NO_COLOR") {
            Some(v) if !v.is_empty() => Theme::monochrome(),
            _ => Theme::color(),
        }
    }

    pub fn has_color(self) -> bool {
        self.color
    }

    fn fg(self, color: Color) -> Style {
        if self.color {
            Style::new().fg(color)
        } else {
            Style::new()
        }
    }

    pub fn wait(self, level: WaitLevel) -> Style {
        match level {
            WaitLevel::Normal => Style::new(),
            WaitLevel::Warning => self.fg(Color::Yellow).add_modifier(Modifier::BOLD),
            WaitLevel::Critical => self.fg(Color::Red).add_modifier(Modifier::BOLD),
        }
    }

    pub fn health(self, health: Health) -> Style {
        match health {
            Health::Down => self.fg(Color::Red).add_modifier(Modifier::BOLD),
            Health::Degraded => self.fg(Color::Yellow).add_modifier(Modifier::BOLD),
            Health::Ok => self.fg(Color::Green),
            Health::Off => self.dim(),
        }
    }

    pub fn title(self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }

    pub fn label(self) -> Style {
        self.dim()
    }

    pub fn value(self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }

    pub fn dim(self) -> Style {
        Style::new().add_modifier(Modifier::DIM)
    }

    /// A badge (NIGHT, CRIT, STALE, ...): reversed and bold in `color`; on monochrome terminals
    /// the word itself carries the meaning.
    pub fn badge(self, color: Color) -> Style {
        self.fg(color)
            .add_modifier(Modifier::BOLD | Modifier::REVERSED)
    }

    /// A count that means loss (dropped events): loud when non-zero.
    pub fn alarm(self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }

    pub fn border(self, selected: bool) -> Style {
        if selected {
            self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
        } else {
            self.dim()
        }
    }

    pub fn column_header(self) -> Style {
        Style::new().add_modifier(Modifier::UNDERLINED)
    }

    pub fn key(self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }

    pub fn footer(self) -> Style {
        if self.color {
            Style::new().bg(Color::DarkGray).fg(Color::White)
        } else {
            Style::new().add_modifier(Modifier::REVERSED)
        }
    }
}

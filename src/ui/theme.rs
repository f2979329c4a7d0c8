//! Colours, and the marks that carry the same meaning without colour.
//!
//! The theme is chosen once at startup (from `NO_COLOR`, `TERM` and the locale, see
//! [`Theme::detect`]) and passed to every render, so a test renders the same cells whatever the
//! environment says.

use ratatui::style::{Color, Modifier, Style};
use ratatui::symbols::border;
use ratatui::widgets::{Block, BorderType};

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

/// Borders in plain ASCII for terminals whose locale is not UTF-8; the selected panel keeps a
/// heavier line (`=` and `#`) as the box-drawing set has its thick one.
const ASCII_PLAIN: border::Set = border::Set {
    top_left: "+",
    top_right: "+",
    bottom_left: "+",
    bottom_right: "+",
    vertical_left: "|",
    vertical_right: "|",
    horizontal_top: "-",
    horizontal_bottom: "-",
};
const ASCII_THICK: border::Set = border::Set {
    top_left: "#",
    top_right: "#",
    bottom_left: "#",
    bottom_right: "#",
    vertical_left: "#",
    vertical_right: "#",
    horizontal_top: "=",
    horizontal_bottom: "=",
};

/// Terminal types that show no colour: the hardware terminals and their emulations, and the
/// `-mono` / `-m` variants terminfo names for monochrome modes.
const MONOCHROME_TERMS: &[&str] = &[
    "dumb",
    "vt52",
    "vt100",
    "vt102",
    "vt220",
    "vt320",
    "vt420",
    "ansi-mono",
    "unknown",
];

/// Styles for every element the UI draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    color: bool,
    /// Plain ASCII borders and separators (no box drawing).
    ascii: bool,
}

impl Theme {
    /// Colours on.
    pub const fn color() -> Self {
        Theme {
            color: true,
            ascii: false,
        }
    }

    /// No colour at all: only bold, dim, underline and reverse, which every terminal can show.
    pub const fn monochrome() -> Self {
        Theme {
            color: false,
            ascii: false,
        }
    }

    /// The same colours with ASCII borders (`--ascii`, or a locale that is not UTF-8).
    #[must_use]
    pub const fn with_ascii(mut self, ascii: bool) -> Self {
        self.ascii = ascii;
        self
    }

    /// The theme this process's environment asks for (see [`Theme::detect`]).
    pub fn from_env() -> Self {
        Theme::detect(|name| std::env::var(name).ok())
    }

    /// The theme for an environment, given as a lookup of its variables (a pure function, so
    /// it is tested without touching the process's environment):
    ///
    /// - monochrome when `NO_COLOR` is non-empty (<https://no-color.org>) or `TERM` names a
    ///   terminal without colour (`dumb`, `vt100`, `xterm-mono`, ...);
    /// - ASCII borders when the locale (`LC_ALL`, else `LC_CTYPE`, else `LANG`, the first that
    ///   is set) is not UTF-8; with none set the C locale applies, which is ASCII.
    pub fn detect(var: impl Fn(&str) -> Option<String>) -> Self {
        let set = |name: &str| var(name).filter(|v| !v.is_empty());
        let no_color = set("NO_COLOR").is_some();
        let mono_term = set("TERM").is_some_and(|term| {
            let term = term.to_ascii_lowercase();
            MONOCHROME_TERMS.contains(&term.as_str())
                || term.ends_with("-mono")
                || term.ends_with("-m")
        });
        let locale = set("LC_ALL")
            .or_else(|| set("LC_CTYPE"))
            .or_else(|| set("LANG"))
            .unwrap_or_default()
            .to_ascii_lowercase();
        let utf8 = locale.contains("utf-8") || locale.contains("utf8");
        Theme {
            color: !(no_color || mono_term),
            // Windows consoles take UTF-8 whatever these variables say (they are seldom set).
            ascii: !utf8 && !cfg!(windows),
        }
    }

    pub fn has_color(self) -> bool {
        self.color
    }

    pub fn is_ascii(self) -> bool {
        self.ascii
    }

    /// A bordered block in this theme's line set; `selected` is the heavy line.
    pub fn block(self, selected: bool) -> Block<'static> {
        let block = Block::bordered().border_style(self.border(selected));
        match (self.ascii, selected) {
            (true, false) => block.border_set(ASCII_PLAIN),
            (true, true) => block.border_set(ASCII_THICK),
            (false, false) => block.border_type(BorderType::Plain),
            (false, true) => block.border_type(BorderType::Thick),
        }
    }

    /// Between the parts of a title: ` · `, or ` - ` in ASCII.
    pub fn separator(self) -> &'static str {
        if self.ascii { " - " } else { " · " }
    }

    fn fg(self, color: Color) -> Style {
        if self.color {
            Style::new().fg(color)
        } else {
            Style::new()
        }
    }

    /// Warning and critical differ by more than colour: without colour a critical wait is
    /// also reversed, so the two stay apart on a monochrome wall (besides `!` and `!!`).
    pub fn wait(self, level: WaitLevel) -> Style {
        match level {
            WaitLevel::Normal => Style::new(),
            WaitLevel::Warning => self.fg(Color::Yellow).add_modifier(Modifier::BOLD),
            WaitLevel::Critical if self.color => self.fg(Color::Red).add_modifier(Modifier::BOLD),
            WaitLevel::Critical => Style::new().add_modifier(Modifier::BOLD | Modifier::REVERSED),
        }
    }

    /// A panel's border in its alert level: bold in the level's colour; without colour a
    /// critical border is bold and a warning one plain (the badge on it says which).
    pub fn alert_border(self, level: WaitLevel) -> Style {
        match level {
            WaitLevel::Normal => self.dim(),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn detect(vars: &[(&str, &str)]) -> Theme {
        Theme::detect(|name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        })
    }

    const UTF8: (&str, &str) = ("LANG", "en_US.UTF-8");

    #[test]
    fn colour_unless_no_color_or_a_terminal_without_colour() {
        assert!(detect(&[("TERM", "xterm-256color"), UTF8]).has_color());
        assert!(detect(&[("TERM", "screen"), UTF8]).has_color());
        // NO_COLOR counts only when non-empty.
        assert!(detect(&[("TERM", "xterm"), ("NO_COLOR", ""), UTF8]).has_color());
        assert!(!detect(&[("TERM", "xterm"), ("NO_COLOR", "1"), UTF8]).has_color());
        for term in ["dumb", "vt100", "VT220", "xterm-mono", "linux-m", "unknown"] {
            assert!(!detect(&[("TERM", term), UTF8]).has_color(), "{term}");
        }
    }

    #[test]
    fn ascii_borders_unless_the_locale_is_utf8() {
        assert!(!detect(&[UTF8]).is_ascii());
        assert!(!detect(&[("LANG", "C.utf8")]).is_ascii());
        assert!(detect(&[("LANG", "C")]).is_ascii());
        assert!(detect(&[]).is_ascii(), "no locale: the C locale");
        // LC_ALL beats LC_CTYPE beats LANG; an empty one does not count.
        assert!(detect(&[("LC_ALL", "POSIX"), UTF8]).is_ascii());
        assert!(!detect(&[("LC_ALL", ""), ("LC_CTYPE", "de_DE.UTF-8"), ("LANG", "C")]).is_ascii());
        assert!(detect(&[("LC_CTYPE", "en_US.ISO-8859-1"), UTF8]).is_ascii());
    }
}

//! The agents overlay (`a`): each agent followed, its state, how long in it, and its call
//! centers.

use crate::xsi::AgentState;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Color;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::format::{fit, truncate, wait};
use crate::app::View;

pub fn render(frame: &mut Frame, area: Rect, view: &View) {
    let theme = view.theme;
    let agents = &view.board.agents;
    let mut lines = Vec::with_capacity(agents.len() + 2);
    if agents.is_empty() {
        lines.push(Line::styled(
            " no agents followed: add \"Call Center Agent\" to the event packages",
            theme.dim(),
        ));
    } else {
        lines.push(Line::styled(
            format!(
                " {} {} {} call centers",
                fit("agent", 22),
                fit("state", 20),
                fit("for", 8)
            ),
            theme.column_header(),
        ));
    }
    for agent in agents {
        let state = match (agent.state, agent.unavailable_code.as_deref()) {
            (Some(AgentState::Unavailable), Some(code)) => format!("Unavailable ({code})"),
            (Some(state), _) => state.as_str().to_owned(),
            (None, _) => "-".to_owned(),
        };
        let color = match agent.state {
            Some(AgentState::Available) => Some(Color::Green),
            Some(AgentState::WrapUp) => Some(Color::Yellow),
            Some(AgentState::Unavailable) => Some(Color::Red),
            _ => None,
        };
        let style = match color {
            Some(c) if theme.has_color() => ratatui::style::Style::new().fg(c),
            _ => ratatui::style::Style::new(),
        };
        let centers: Vec<&str> = agent.call_centers.iter().map(|c| &**c).collect();
        lines.push(Line::from(vec![
            Span::raw(format!(" {} ", fit(&agent.name, 22))),
            Span::styled(fit(&state, 20), style),
            Span::raw(format!(" {} ", fit(&wait(agent.since_secs), 8))),
            Span::styled(truncate(&centers.join(", "), 40).into_owned(), theme.dim()),
        ]));
    }
    let height = u16::try_from(lines.len() + 2).unwrap_or(u16::MAX);
    let width = area.width.saturating_sub(4).min(100);
    let popup = super::centered(area, width, height);
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines).block(theme.block(false).border_style(theme.border(true)).title(
            Span::styled(format!(" Agents ({}) ", agents.len()), theme.title()),
        )),
        popup,
    );
}

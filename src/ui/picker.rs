//! A small list to choose from: which container's logs or shell.

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use crate::app::state::Picker;
use crate::config::theme::Theme;

pub fn draw(frame: &mut Frame, area: Rect, picker: &Picker, theme: &Theme) {
    let width = picker
        .choices
        .iter()
        .map(|choice| choice.chars().count())
        .chain([picker.title.chars().count()])
        .max()
        .unwrap_or(20) as u16
        + 8;
    let height = picker.choices.len() as u16 + 3;
    let [vertical] = Layout::vertical([Constraint::Length(height)])
        .flex(Flex::Center)
        .areas(area);
    let [popup] = Layout::horizontal([Constraint::Length(width.min(area.width))])
        .flex(Flex::Center)
        .areas(vertical);
    let mut lines: Vec<Line> = picker
        .choices
        .iter()
        .enumerate()
        .map(|(index, choice)| {
            let style = if index == picker.cursor {
                theme.selected
            } else {
                theme.text
            };
            Line::styled(format!(" {choice} "), style)
        })
        .collect();
    lines.push(Line::from(vec![
        Span::styled("enter", theme.key),
        Span::styled(" choose  ", theme.muted),
        Span::styled("esc", theme.key),
        Span::styled(" cancel", theme.muted),
    ]));
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border_focus)
        .title(Span::styled(format!(" {} ", picker.title), theme.title));
    frame.render_widget(Clear, popup);
    frame.render_widget(Paragraph::new(lines).block(block), popup);
}

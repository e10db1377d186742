//! The y/n dialog in front of destructive actions.

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use crate::config::theme::Theme;

/// `alternative` is a second way to say yes (its key and what it does).
pub fn draw(
    frame: &mut Frame,
    area: Rect,
    question: &str,
    alternative: Option<(char, &str)>,
    theme: &Theme,
) {
    let longest = question
        .lines()
        .map(|l| l.chars().count())
        .max()
        .unwrap_or(0);
    let width = (longest as u16 + 6).clamp(40, area.width.saturating_sub(4).max(10));
    let height = (question.lines().count() as u16 + 5).min(area.height.saturating_sub(2).max(6));
    let [vertical] = Layout::vertical([Constraint::Length(height)])
        .flex(Flex::Center)
        .areas(area);
    let [popup] = Layout::horizontal([Constraint::Length(width)])
        .flex(Flex::Center)
        .areas(vertical);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.warn)
        .title(Span::styled(" confirm ", theme.warn));
    let mut lines: Vec<Line> = question
        .lines()
        .map(|line| Line::styled(line.to_string(), theme.text))
        .collect();
    let mut keys = vec![
        Span::styled("y", theme.key),
        Span::styled("/", theme.muted),
        Span::styled("enter", theme.key),
        Span::styled(" do it   ", theme.muted),
    ];
    if let Some((key, label)) = alternative {
        keys.push(Span::styled(key.to_string(), theme.key));
        keys.push(Span::styled(format!(" {label}   "), theme.muted));
    }
    keys.extend([
        Span::styled("n", theme.key),
        Span::styled("/", theme.muted),
        Span::styled("esc", theme.key),
        Span::styled(" cancel", theme.muted),
    ]);
    lines.extend([Line::default(), Line::from(keys)]);
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines).block(block).wrap(Wrap { trim: true }),
        popup,
    );
}

//! `?`: the keys, generated from the keymap (so remapped keys show as they are).

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use crate::app::state::State;
use crate::app::view::ViewKind;
use crate::config::keymap::KeyContext;
use crate::config::theme::Theme;

pub fn draw(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let mut lines: Vec<Line> = Vec::new();
    for (context, heading) in [
        (KeyContext::Global, "Views"),
        (KeyContext::Logs, "Logs"),
        (KeyContext::Pager, "YAML / describe / diff pager"),
        (KeyContext::Certs, "Certificates (:certs)"),
        (KeyContext::Apps, "Apps (:apps) and their diffs"),
        (KeyContext::Builds, "Builds (:builds)"),
        (KeyContext::Helm, "Helm releases (:helm)"),
        (
            KeyContext::Rollouts,
            "Argo Rollouts (:rollouts) and a rollout's picture; r restarts",
        ),
    ] {
        lines.push(Line::styled(heading, theme.header));
        for (keys, help) in state.keymap.help_lines(context) {
            lines.push(Line::from(vec![
                Span::styled(format!("  {keys:<18}"), theme.key),
                Span::styled(help, theme.text),
            ]));
        }
        lines.push(Line::default());
    }
    lines.push(Line::styled("Commands", theme.header));
    for (names, kind) in ViewKind::COMMANDS {
        let aliases = names
            .iter()
            .map(|name| format!(":{name}"))
            .collect::<Vec<_>>()
            .join(" ");
        lines.push(Line::from(vec![
            Span::styled(format!("  {aliases:<40}"), theme.key),
            Span::styled(kind.title(), theme.text),
        ]));
    }
    lines.push(Line::from(vec![
        Span::styled(format!("  {:<40}", ":pods NAMESPACE  :pods all"), theme.key),
        Span::styled("a view in a namespace", theme.text),
    ]));
    lines.push(Line::from(vec![
        Span::styled(format!("  {:<40}", ":ctx NAME"), theme.key),
        Span::styled("switch context", theme.text),
    ]));
    lines.push(Line::from(vec![
        Span::styled(format!("  {:<40}", ":q"), theme.key),
        Span::styled("quit", theme.text),
    ]));
    let [vertical] = Layout::vertical([Constraint::Percentage(90)])
        .flex(Flex::Center)
        .areas(area);
    let [popup] = Layout::horizontal([Constraint::Max(76)])
        .flex(Flex::Center)
        .areas(vertical);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border_focus)
        .title(Span::styled(" Help — esc closes ", theme.title));
    frame.render_widget(Clear, popup);
    let scroll = state.help_scroll.min(lines.len().saturating_sub(1)) as u16;
    frame.render_widget(
        Paragraph::new(lines).block(block).scroll((scroll, 0)),
        popup,
    );
}

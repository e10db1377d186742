//! The YAML editor: the live object, edited in place; refusals show above
//! the text, which is never lost.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use crate::app::state::Editor;
use crate::config::theme::Theme;

pub fn draw(frame: &mut Frame, area: Rect, editor: &Editor, theme: &Theme) {
    let message_height = if editor.error.is_some() { 3 } else { 0 };
    let [message, body] =
        Layout::vertical([Constraint::Length(message_height), Constraint::Min(3)]).areas(area);
    if let Some(error) = &editor.error {
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(theme.error);
        frame.render_widget(
            Paragraph::new(Line::styled(error.clone(), theme.error))
                .block(block)
                .wrap(Wrap { trim: true }),
            message,
        );
    }
    let state = if editor.loading {
        "loading…"
    } else if editor.saving {
        "applying…"
    } else if editor.modified() {
        "modified"
    } else {
        "unchanged"
    };
    let what = if editor.kind == crate::cluster::kind::ResourceKind::HelmChartConfigs {
        "valuesContent of "
    } else {
        ""
    };
    let title = Line::from(vec![
        Span::styled(
            format!(
                " edit {what}{}/{} -n {} ",
                editor.kind.kind().to_lowercase(),
                editor.key.name,
                editor.key.namespace
            ),
            theme.title,
        ),
        Span::styled(format!("[{state}] "), theme.muted),
        Span::styled("ctrl-s", theme.key),
        Span::styled(" apply  ", theme.muted),
        Span::styled("esc", theme.key),
        Span::styled(" leave ", theme.muted),
    ]);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border_focus)
        .title(title);
    let mut textarea = editor.textarea.clone();
    textarea.set_block(block);
    textarea.set_style(theme.text);
    textarea.set_cursor_line_style(ratatui::style::Style::default());
    frame.render_widget(&textarea, body);
}

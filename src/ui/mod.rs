//! Drawing. Views read State and a Theme and draw; they never call the API
//! and never change state.

mod cells;
mod chrome;
mod confirm;
mod detail;
mod editor;
mod help;
mod logs;
mod picker;
mod pulse;
mod repo;
mod rollouts;
mod table;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};

use crate::app::state::State;
use crate::app::view::ViewKind;
use crate::cluster::rows::Health;
use crate::config::theme::Theme;
use ratatui::style::Style;

/// The theme slot for a health.
pub fn health_style(theme: &Theme, health: Health) -> Style {
    match health {
        Health::Ok => theme.ok,
        Health::Pending => theme.info,
        Health::Warn => theme.warn,
        Health::Error => theme.error,
        Health::Done => theme.muted,
    }
}

pub fn draw(frame: &mut Frame, state: &State, theme: &Theme) {
    let area = frame.area();
    let [header, prompt, body, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(1),
    ])
    .areas(area);
    chrome::header(frame, header, state, theme);
    chrome::prompt(frame, prompt, state, theme);
    let panel_height = if state.rollouts.is_empty() {
        0
    } else {
        state.rollouts.len().min(4) as u16 + 2
    };
    let [body, panel] =
        Layout::vertical([Constraint::Min(3), Constraint::Length(panel_height)]).areas(body);
    if panel_height > 0 {
        rollouts::draw(frame, panel, state, theme);
    }
    if let Some(editor) = &state.editor {
        editor::draw(frame, body, editor, theme);
    } else if let Some(view) = &state.logs {
        logs::draw(frame, body, view, theme);
    } else if let Some(detail) = &state.detail {
        detail::draw(frame, body, detail, theme);
    } else {
        match state.view().kind {
            ViewKind::Pulse => pulse::draw(frame, body, state, theme),
            ViewKind::Apps => {
                let [panel, rest] =
                    Layout::vertical([Constraint::Length(repo::height(state)), Constraint::Min(3)])
                        .areas(body);
                repo::draw(frame, panel, state, theme);
                table::draw(frame, rest, state, theme);
            }
            _ => table::draw(frame, body, state, theme),
        }
    }
    chrome::status_bar(frame, status, state, theme);
    if state.help_open {
        help::draw(frame, area, state, theme);
    }
    if let Some(picker) = &state.picker {
        picker::draw(frame, area, picker, theme);
    }
    if let Some(question) = &state.confirm {
        let alternative = question
            .alternative
            .as_ref()
            .map(|a| (a.key, a.label.as_str()));
        confirm::draw(frame, area, &question.question, alternative, theme);
    }
}

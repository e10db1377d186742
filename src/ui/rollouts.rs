//! Restarts in flight: one gauge line each, kept while the user browses.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use crate::app::state::State;
use crate::cluster::rows::RolloutState;
use crate::config::theme::Theme;

fn bar(done: i32, total: i32, width: usize) -> String {
    let filled = if total > 0 {
        ((done.clamp(0, total) as usize) * width) / total as usize
    } else {
        0
    };
    format!("{}{}", "█".repeat(filled), "░".repeat(width - filled))
}

/// A spinner frame from the clock, so a rollout visibly moves.
fn spinner(now: i64) -> &'static str {
    ["◐", "◓", "◑", "◒"][(now.rem_euclid(4)) as usize]
}

pub fn draw(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let lines: Vec<Line> = state
        .rollouts
        .iter()
        .rev()
        .take(4)
        .map(|panel| {
            let (mark, mark_style) = match &panel.finished {
                Some((Ok(_), _)) => ("✓", theme.ok),
                Some((Err(_), _)) => ("✗", theme.error),
                None => (spinner(state.now), theme.info),
            };
            let (done, total) = panel
                .progress
                .as_ref()
                .map(|progress| (progress.updated.min(progress.available), progress.desired))
                .unwrap_or((0, 0));
            let text = match (&panel.finished, &panel.progress, &panel.reconnecting) {
                (None, _, Some(error)) => format!("reconnecting… ({error})"),
                (Some((Err(error), _)), None, _) => error.clone(),
                (_, Some(progress), _) => progress.summary(),
                (_, None, _) => "waiting for the controller…".to_string(),
            };
            let text_style = match panel.progress.as_ref().map(|progress| &progress.state) {
                _ if panel.finished.is_none() && panel.reconnecting.is_some() => theme.warn,
                Some(RolloutState::Failed(_)) => theme.error,
                Some(RolloutState::Complete) => theme.ok,
                _ => theme.text,
            };
            Line::from(vec![
                Span::styled(format!(" {mark} "), mark_style),
                Span::styled(format!("{:<40} ", panel.title), theme.text),
                Span::styled(bar(done, total, 16), theme.gauge),
                Span::styled(format!(" {text}"), text_style),
            ])
        })
        .collect();
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border)
        .title(Span::styled(" rollouts ", theme.title));
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

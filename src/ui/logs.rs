//! The logs view: merged lines, a colour per source, follow/wrap/timestamps
//! flags, the dropped-lines counter, search highlights.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use crate::app::logs::{CONTEXT_PRESETS, LogView, SourceState, TAIL_PRESETS};
use crate::cluster::logs::format_timestamp;
use crate::config::theme::Theme;

fn flag(on: bool, name: &str, theme: &Theme) -> Span<'static> {
    if on {
        Span::styled(format!("[{name}] "), theme.ok)
    } else {
        Span::styled(format!("[{name}] "), theme.muted)
    }
}

fn highlight(text: &str, needle: &str, base: Style, theme: &Theme) -> Vec<Span<'static>> {
    if needle.is_empty() || text.len() != text.to_lowercase().len() {
        return vec![Span::styled(text.to_string(), base)];
    }
    let lower = text.to_lowercase();
    let needle = needle.to_lowercase();
    let mut spans = Vec::new();
    let mut at = 0;
    while let Some(found) = lower[at..].find(&needle) {
        let begin = at + found;
        let end = begin + needle.len();
        if begin > at {
            spans.push(Span::styled(text[at..begin].to_string(), base));
        }
        spans.push(Span::styled(
            text[begin..end].to_string(),
            theme.search_match,
        ));
        at = end;
    }
    if at < text.len() {
        spans.push(Span::styled(text[at..].to_string(), base));
    }
    spans
}

pub fn draw(frame: &mut Frame, area: Rect, view: &LogView, theme: &Theme) {
    let streaming = view
        .sources
        .iter()
        .filter(|s| s.state == SourceState::Streaming)
        .count();
    let reconnecting = view
        .sources
        .iter()
        .filter(|s| matches!(s.state, SourceState::Reconnecting(_)))
        .count();
    let tail = match TAIL_PRESETS[view.tail_preset] {
        Some(lines) => format!("tail {lines}"),
        None => "tail all".to_string(),
    };
    let mut title = vec![
        Span::styled(format!(" logs {} ", view.title), theme.title),
        Span::styled(
            format!(
                "{} source{} · {} lines · dropped {} · since {} · {tail} ",
                view.sources.len(),
                if view.sources.len() == 1 { "" } else { "s" },
                view.buffer.len(),
                view.buffer.dropped(),
                view.since_label,
            ),
            theme.muted,
        ),
        flag(view.follow, "follow f", theme),
        flag(view.wrap, "wrap w", theme),
        flag(view.timestamps, "time t", theme),
    ];
    if view.options.previous {
        title.push(Span::styled("[previous] ", theme.warn));
    }
    if reconnecting > 0 {
        title.push(Span::styled(
            format!("↻ {reconnecting} reconnecting "),
            theme.warn,
        ));
    } else if streaming == 0 && !view.sources.is_empty() && view.options.follow {
        title.push(Span::styled("ended ", theme.muted));
    }
    if !view.filter.is_empty() {
        title.push(Span::styled(
            format!(
                "&{} (±{}) ",
                view.filter, CONTEXT_PRESETS[view.context_preset]
            ),
            theme.filter,
        ));
    }
    if !view.search.is_empty() {
        title.push(Span::styled(
            format!("/{} [{}] ", view.search, view.matches.len()),
            theme.filter,
        ));
    }
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border_focus)
        .title(Line::from(title));
    let inner_height = area.height.saturating_sub(2) as usize;
    // Why a source ended badly, on top: "previous container not found" etc.
    let mut lines: Vec<Line> = view
        .sources
        .iter()
        .filter_map(|source| match &source.state {
            SourceState::Ended(Some(reason)) => Some(Line::styled(
                format!("{}: {reason}", source.label),
                theme.error,
            )),
            _ => None,
        })
        .collect();
    let room = inner_height.saturating_sub(lines.len());
    let end = (view.cursor + 1)
        .min(view.visible.len())
        .max(room.min(view.visible.len()));
    let start = end.saturating_sub(room);
    let several = view.sources.len() > 1;
    for (position, &index) in view.visible[start..end].iter().enumerate() {
        let Some(line) = view.buffer.get(index) else {
            continue;
        };
        let selected = start + position == view.cursor && !view.follow;
        let mut spans = Vec::new();
        if view.timestamps && line.nanos != 0 {
            spans.push(Span::styled(
                format!("{} ", format_timestamp(line.nanos)),
                theme.muted,
            ));
        }
        if several && let Some(source) = view.sources.get(line.source as usize) {
            let index = source.colour_group.unwrap_or(line.source) as usize;
            let colour = theme.log_palette[index % theme.log_palette.len().max(1)];
            spans.push(Span::styled(
                format!("{} ", source.label),
                Style::default().fg(colour),
            ));
        }
        let base = if selected { theme.selected } else { theme.text };
        // Tabs become spaces (a TUI cannot draw them), control sequences go.
        let text =
            crate::sanitize::expand_tabs(&crate::sanitize::for_terminal(&line.text)).into_owned();
        spans.extend(highlight(&text, &view.search, base, theme));
        lines.push(Line::from(spans));
    }
    if view.visible.is_empty() && lines.is_empty() {
        let text = if view.sources.is_empty() {
            "no container to read logs from"
        } else {
            "waiting for lines…"
        };
        lines.push(Line::styled(text, theme.muted));
    }
    let mut paragraph = Paragraph::new(lines).block(block);
    if view.wrap {
        paragraph = paragraph.wrap(Wrap { trim: false });
    }
    frame.render_widget(paragraph, area);
}

//! The YAML / describe pager with search highlights.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use crate::app::state::Detail;
use crate::config::theme::Theme;

fn highlight(line: &str, needle: &str, theme: &Theme) -> Line<'static> {
    if needle.is_empty() {
        return Line::styled(line.to_string(), theme.text);
    }
    let lower = line.to_lowercase();
    let needle = needle.to_lowercase();
    let mut spans = Vec::new();
    let mut at = 0;
    // Lower-casing can change byte lengths for non-ASCII; fall back to no
    // highlight then rather than slicing wrongly.
    if lower.len() != line.len() {
        return Line::styled(line.to_string(), theme.text);
    }
    while let Some(found) = lower[at..].find(&needle) {
        let begin = at + found;
        let end = begin + needle.len();
        if begin > at {
            spans.push(Span::styled(line[at..begin].to_string(), theme.text));
        }
        spans.push(Span::styled(
            line[begin..end].to_string(),
            theme.search_match,
        ));
        at = end;
    }
    if at < line.len() {
        spans.push(Span::styled(line[at..].to_string(), theme.text));
    }
    Line::from(spans)
}

/// A line of a unified diff, coloured by its prefix.
fn diff_line(line: &str, theme: &Theme) -> Line<'static> {
    let style = if line.starts_with("+++") || line.starts_with("---") {
        theme.muted
    } else if line.starts_with('#') {
        theme.title
    } else if line.starts_with('+') {
        theme.diff_add
    } else if line.starts_with('-') {
        theme.diff_del
    } else if line.starts_with("@@") {
        theme.diff_hunk
    } else {
        theme.text
    };
    Line::styled(line.to_string(), style)
}

pub fn draw(frame: &mut Frame, area: Rect, detail: &Detail, theme: &Theme) {
    let mut title = vec![Span::styled(format!(" {} ", detail.title), theme.title)];
    if !detail.search.is_empty() {
        let position = if detail.matches.is_empty() {
            "no match".to_string()
        } else {
            format!("{}/{}", detail.current_match + 1, detail.matches.len())
        };
        title.push(Span::styled(
            format!("/{} [{position}] ", detail.search),
            theme.filter,
        ));
    }
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border_focus)
        .title(Line::from(title));
    let body: Vec<Line> = if detail.loading {
        vec![Line::styled("loading…", theme.muted)]
    } else if let Some(error) = &detail.error {
        vec![Line::styled(
            format!("cannot fetch it: {error}"),
            theme.error,
        )]
    } else {
        let height = area.height.saturating_sub(2) as usize;
        detail
            .lines
            .iter()
            .skip(detail.scroll)
            .take(height)
            .map(|line| {
                // Cluster text: no control sequence reaches the terminal.
                let line =
                    crate::sanitize::expand_tabs(&crate::sanitize::for_terminal(line)).into_owned();
                if detail.diff.is_some() && detail.search.is_empty() {
                    diff_line(&line, theme)
                } else {
                    highlight(&line, &detail.search, theme)
                }
            })
            .collect()
    };
    frame.render_widget(Paragraph::new(body).block(block), area);
}

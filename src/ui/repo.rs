//! The repo panel above the apps view: branch, HEAD, upstream, dirty files,
//! the tools found, and why anything is missing.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use crate::app::state::State;
use crate::config::theme::Theme;

/// Lines the panel needs (borders included).
pub fn height(state: &State) -> u16 {
    let g = &state.gitops;
    let mut lines = 2u16;
    if g.spec_error.is_some() {
        lines += 1;
    }
    if g.repo_error.is_some() {
        lines += 1;
    }
    if g.entry.is_some() || !g.entry_candidates.is_empty() {
        lines += 1;
    }
    lines + 2
}

pub fn draw(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let g = &state.gitops;
    let mut lines: Vec<Line> = Vec::new();
    let root = g
        .root
        .as_ref()
        .map(|r| r.display().to_string())
        .unwrap_or_else(|| "-".into());
    match &g.repo {
        Some(repo) => {
            let mut first = vec![
                Span::styled(
                    format!(" {} ", repo.branch.as_deref().unwrap_or("(detached)")),
                    theme.title,
                ),
                Span::styled(root.clone(), theme.muted),
            ];
            if let Some(upstream) = &repo.upstream {
                first.push(Span::styled(format!("  ⇄ {upstream}"), theme.muted));
                let style = if repo.behind > 0 {
                    theme.warn
                } else {
                    theme.ok
                };
                first.push(Span::styled(
                    format!("  ↑{} ↓{}", repo.ahead, repo.behind),
                    style,
                ));
            } else {
                first.push(Span::styled("  no upstream", theme.muted));
            }
            if g.fetching {
                first.push(Span::styled("  fetching…", theme.info));
            }
            if g.pulling {
                first.push(Span::styled("  pulling…", theme.info));
            }
            lines.push(Line::from(first));
            let mut second = match &repo.head {
                Some(head) => vec![
                    Span::styled(format!(" {} ", head.short), theme.key),
                    Span::styled(head.subject.clone(), theme.text),
                    Span::styled(format!(" — {}", head.author), theme.muted),
                ],
                None => vec![Span::styled(" no commits yet", theme.muted)],
            };
            if repo.dirty.is_empty() {
                second.push(Span::styled("  clean", theme.ok));
            } else {
                let names: Vec<String> = repo
                    .dirty
                    .iter()
                    .take(3)
                    .map(|f| format!("{} {}", f.change.code(), f.path))
                    .collect();
                let more = repo.dirty.len().saturating_sub(3);
                let tail = if more > 0 {
                    format!(" +{more}")
                } else {
                    String::new()
                };
                second.push(Span::styled(
                    format!("  {} dirty: {}{tail}", repo.dirty.len(), names.join(", ")),
                    theme.warn,
                ));
            }
            lines.push(Line::from(second));
        }
        None => {
            let text = match (&g.setup_error, &g.root) {
                (Some(error), _) => error.clone(),
                (None, Some(_)) => format!(" {root} (not a git work tree: no fetch or pull)"),
                (None, None) => " looking for the repo…".into(),
            };
            lines.push(Line::styled(text, theme.muted));
            lines.push(Line::styled(format!(" tools: {}", g.tools), theme.muted));
        }
    }
    if !g.entry_candidates.is_empty() {
        let names: Vec<String> = g
            .entry_candidates
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        lines.push(Line::styled(
            format!(
                " several clusters, none chosen: start with --path (or set `path` in the config): {}",
                names.join(", ")
            ),
            theme.warn,
        ));
    } else if let Some(entry) = &g.entry {
        lines.push(Line::styled(
            format!(" entry point {} (apps reachable from it)", entry.display()),
            theme.muted,
        ));
    }
    if let Some(error) = &g.spec_error {
        lines.push(Line::styled(format!(" {error}"), theme.error));
    }
    if let Some(error) = &g.repo_error {
        lines.push(Line::styled(format!(" git: {error}"), theme.error));
    }
    let summary = g.summary();
    let title = Line::from(vec![
        Span::styled(" repo ", theme.title),
        Span::styled(
            format!(
                "{} synced · {} out of sync · {} unknown · tools: {} ",
                summary.synced, summary.out_of_sync, summary.unknown, g.tools
            ),
            theme.muted,
        ),
    ]);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border)
        .title(title);
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

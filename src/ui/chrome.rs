//! Header, prompt line and status bar.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::app::action::Action;
use crate::app::command;
use crate::app::state::{Input, Level, State};
use crate::app::view::ViewKind;
use crate::cluster::watch::WatchStatus;
use crate::config::keymap::KeyContext;
use crate::config::theme::Theme;

/// "12:03:04" in local time, for "stale since".
pub fn clock(epoch: i64) -> String {
    jiff::Timestamp::from_second(epoch)
        .map(|stamp| {
            stamp
                .to_zoned(jiff::tz::TimeZone::system())
                .strftime("%H:%M:%S")
                .to_string()
        })
        .unwrap_or_else(|_| "?".to_string())
}

pub fn header(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let namespace = state.namespace.as_deref().unwrap_or("all");
    let version = state.server_version.as_deref().unwrap_or("…");
    let mut spans = vec![
        Span::styled(" bosun ", theme.title),
        Span::styled(" ctx ", theme.muted),
        Span::styled(state.context.context.clone(), theme.text),
        Span::styled("  ns ", theme.muted),
        Span::styled(namespace.to_string(), theme.text),
        Span::styled("  k8s ", theme.muted),
        Span::styled(version.to_string(), theme.text),
        Span::raw("   "),
    ];
    let apps = matches!(state.view().kind, ViewKind::Apps | ViewKind::AppObjects);
    let builds = state.view().kind == ViewKind::Builds;
    let hints: &[(KeyContext, Action, &str)] = if builds {
        &[
            (KeyContext::Global, Action::Command, "cmd"),
            (KeyContext::Global, Action::Filter, "filter"),
            (KeyContext::Builds, Action::Build, "build"),
            (KeyContext::Global, Action::Logs, "logs"),
            (KeyContext::Global, Action::Delete, "cancel"),
            (KeyContext::Global, Action::Help, "help"),
            (KeyContext::Global, Action::Quit, "quit"),
        ]
    } else if apps {
        &[
            (KeyContext::Global, Action::Command, "cmd"),
            (KeyContext::Global, Action::Enter, "tree"),
            (KeyContext::Apps, Action::Diff, "diff"),
            (KeyContext::Apps, Action::Sync, "sync"),
            (KeyContext::Apps, Action::Fetch, "fetch"),
            (KeyContext::Apps, Action::Pull, "pull"),
            (KeyContext::Apps, Action::Build, "build"),
            (KeyContext::Apps, Action::Refresh, "refresh"),
            (KeyContext::Global, Action::Help, "help"),
            (KeyContext::Global, Action::Quit, "quit"),
        ]
    } else {
        &[
            (KeyContext::Global, Action::Command, "cmd"),
            (KeyContext::Global, Action::Filter, "filter"),
            (KeyContext::Global, Action::Enter, "open"),
            (KeyContext::Global, Action::Describe, "describe"),
            (KeyContext::Global, Action::Yaml, "yaml"),
            (KeyContext::Global, Action::Help, "help"),
            (KeyContext::Global, Action::Quit, "quit"),
        ]
    };
    for &(context, action, label) in hints {
        if let Some(key) = state.keymap.keys_for(context, action).first() {
            spans.push(Span::styled(format!("<{key}>"), theme.key));
            spans.push(Span::styled(format!("{label} "), theme.muted));
        }
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

pub fn prompt(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let line = match &state.input {
        Input::Command(text) => {
            let namespaces: Vec<String> = state
                .stores
                .namespaces
                .rows()
                .iter()
                .map(|row| row.name.to_string())
                .collect();
            let contexts: Vec<String> = state.contexts.iter().map(|c| c.name.clone()).collect();
            let hint = command::suggestion(text, &namespaces, &contexts).unwrap_or_default();
            Line::from(vec![
                Span::styled(" :", theme.prompt),
                Span::styled(text.clone(), theme.prompt),
                Span::styled("█", theme.prompt),
                Span::styled(hint, theme.muted),
            ])
        }
        Input::Filter(text) => Line::from(vec![
            Span::styled(" /", theme.filter),
            Span::styled(text.clone(), theme.filter),
            Span::styled("█", theme.filter),
            Span::styled(
                "   !x inverts · -l app=x by labels · enter keeps · esc clears",
                theme.muted,
            ),
        ]),
        Input::Scale(text) => Line::from(vec![
            Span::styled(
                format!(
                    " scale {} to: ",
                    state
                        .scale_target
                        .as_ref()
                        .map(|(kind, key)| format!("{}/{}", kind.kind().to_lowercase(), key))
                        .unwrap_or_default()
                ),
                theme.prompt,
            ),
            Span::styled(text.clone(), theme.prompt),
            Span::styled("█", theme.prompt),
            Span::styled("   replicas · enter applies · esc cancels", theme.muted),
        ]),
        Input::SetImage(text) => Line::from(vec![
            Span::styled(
                format!(
                    " set image on rollout/{}: ",
                    state
                        .image_target
                        .as_ref()
                        .map(ToString::to_string)
                        .unwrap_or_default()
                ),
                theme.prompt,
            ),
            Span::styled(text.clone(), theme.prompt),
            Span::styled("█", theme.prompt),
            Span::styled(
                "   CONTAINER=IMAGE (* for all) · enter asks · esc cancels",
                theme.muted,
            ),
        ]),
        Input::LogFilter(text) => Line::from(vec![
            Span::styled(" filter &", theme.filter),
            Span::styled(text.clone(), theme.filter),
            Span::styled("█", theme.filter),
            Span::styled(
                "   keeps matching lines with context (C cycles the context)",
                theme.muted,
            ),
        ]),
        Input::Search(text) => Line::from(vec![
            Span::styled(" search /", theme.filter),
            Span::styled(text.clone(), theme.filter),
            Span::styled("█", theme.filter),
        ]),
        Input::None => match state.warnings.first() {
            Some(warning) => Line::from(vec![
                Span::styled(" config: ", theme.warn),
                Span::styled(
                    if state.warnings.len() > 1 {
                        format!(
                            "{warning} (+{} more, see the log)",
                            state.warnings.len() - 1
                        )
                    } else {
                        warning.to_string()
                    },
                    theme.warn,
                ),
            ]),
            None => Line::default(),
        },
    };
    frame.render_widget(Paragraph::new(line), area);
}

pub fn status_bar(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let namespace = state.namespace.as_deref().unwrap_or("all");
    let (connection, style) = if !state.connected {
        ("connecting".to_string(), theme.info)
    } else {
        match state.connection() {
            WatchStatus::Live => ("● live".to_string(), theme.ok),
            WatchStatus::Loading => ("◌ loading".to_string(), theme.info),
            WatchStatus::Reconnecting { since, .. } => (
                format!("↻ reconnecting · stale since {}", clock(since)),
                theme.warn,
            ),
            WatchStatus::Forbidden { .. } | WatchStatus::Absent { .. } => {
                ("● live".to_string(), theme.ok)
            }
        }
    };
    let mut spans = vec![
        Span::styled(format!(" {} ", state.context.context), theme.status_bar),
        Span::styled(format!(" {namespace} "), theme.status_bar),
        Span::styled(format!(" {connection} "), style),
    ];
    // Always there in read-only mode: every mutation, pull and build is refused.
    if state.readonly {
        spans.insert(2, Span::styled(" READ-ONLY ", theme.warn));
    }
    if let Some(flash) = &state.flash {
        let flash_style = match flash.level {
            Level::Info => theme.info,
            Level::Warn => theme.warn,
            Level::Error => theme.error,
        };
        spans.push(Span::styled(format!(" {}", flash.text), flash_style));
    } else if let Some(error) = &state.last_error {
        spans.push(Span::styled(format!(" last error: {error}"), theme.muted));
    }
    frame.render_widget(
        Paragraph::new(Line::from(spans)).style(theme.status_bar),
        area,
    );
}

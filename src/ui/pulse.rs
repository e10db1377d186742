//! The overview: cluster, nodes with CPU/MEM, pods by state, what is
//! failing and the latest warnings. A glance answers "is it healthy".

use std::collections::BTreeMap;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Sparkline};

use crate::app::state::State;
use crate::cluster::age::{age, human_duration};
use crate::cluster::rows::{Health, PodRow};
use crate::config::theme::Theme;

use super::health_style;

fn pane<'a>(title: &str, theme: &Theme) -> Block<'a> {
    Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border)
        .title(Span::styled(format!(" {title} "), theme.title))
}

fn in_scope(state: &State, namespace: &str) -> bool {
    state
        .namespace
        .as_deref()
        .is_none_or(|scope| scope == namespace)
}

fn bar(percent: u64, width: usize) -> String {
    let filled = (percent.min(100) as usize * width) / 100;
    format!("{}{}", "█".repeat(filled), "░".repeat(width - filled))
}

pub fn draw(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let node_rows = (state.stores.nodes.len() as u16).max(1) * 2 + 2;
    let [top, middle, bottom] = Layout::vertical([
        Constraint::Length(node_rows.max(9)),
        Constraint::Fill(1),
        Constraint::Fill(1),
    ])
    .areas(area);
    let cluster_width = if area.width < 120 { 30 } else { 40 };
    let [cluster_area, nodes_area] =
        Layout::horizontal([Constraint::Length(cluster_width), Constraint::Fill(1)]).areas(top);
    cluster(frame, cluster_area, state, theme);
    nodes(frame, nodes_area, state, theme);
    failing(frame, middle, state, theme);
    warnings(frame, bottom, state, theme);
}

fn cluster(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let pods: Vec<&PodRow> = state
        .stores
        .pods
        .rows()
        .iter()
        .filter(|pod| in_scope(state, &pod.namespace))
        .collect();
    let mut by_state: BTreeMap<&str, (usize, Health)> = BTreeMap::new();
    for pod in &pods {
        let label = match pod.health {
            Health::Ok => "Running",
            Health::Done => "Completed",
            _ => pod.status.as_ref(),
        };
        let entry = by_state.entry(label).or_insert((0, pod.health));
        entry.0 += 1;
    }
    let mut lines = vec![
        Line::from(vec![
            Span::styled("context  ", theme.muted),
            Span::styled(state.context.context.clone(), theme.text),
        ]),
        Line::from(vec![
            Span::styled("server   ", theme.muted),
            Span::styled(
                state.server_version.clone().unwrap_or_else(|| "…".into()),
                theme.text,
            ),
        ]),
        Line::from(vec![
            Span::styled("nodes    ", theme.muted),
            Span::styled(state.stores.nodes.len().to_string(), theme.text),
            Span::styled("  namespaces ", theme.muted),
            Span::styled(state.stores.namespaces.len().to_string(), theme.text),
        ]),
        Line::from(vec![
            Span::styled("pods     ", theme.muted),
            Span::styled(pods.len().to_string(), theme.text),
        ]),
    ];
    let mut states: Vec<_> = by_state.into_iter().collect();
    states.sort_by_key(|(_, (count, health))| {
        (
            std::cmp::Reverse(*health == Health::Ok),
            std::cmp::Reverse(*count),
        )
    });
    let mut spans = Vec::new();
    for (label, (count, health)) in states {
        spans.push(Span::styled(
            format!("{label} {count}  "),
            health_style(theme, health),
        ));
    }
    // Pod states last: that line wraps when there are many.
    let (expiring, not_ready) = crate::app::certs::summary(state);
    if !state.certs.is_empty() {
        let style = if expiring + not_ready > 0 {
            theme.warn
        } else {
            theme.ok
        };
        lines.push(Line::styled(
            format!("certs    {expiring} expiring, {not_ready} not ready"),
            style,
        ));
    }
    if !state.gitops.apps.is_empty() {
        let apps = state.gitops.summary();
        let style = if apps.out_of_sync + apps.degraded > 0 {
            theme.warn
        } else if apps.unknown > 0 {
            theme.muted
        } else {
            theme.ok
        };
        let mut text = format!(
            "apps     {} synced, {} out of sync",
            apps.synced, apps.out_of_sync
        );
        if apps.degraded > 0 {
            text.push_str(&format!(", {} degraded", apps.degraded));
        }
        if apps.unknown > 0 {
            text.push_str(&format!(", {} unknown", apps.unknown));
        }
        lines.push(Line::styled(text, style));
    }
    lines.push(Line::from(spans));
    frame.render_widget(
        Paragraph::new(lines)
            .block(pane("cluster", theme))
            .wrap(ratatui::widgets::Wrap { trim: true }),
        area,
    );
}

fn nodes(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let block = pane("nodes", theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if let Some(why) = &state.metrics.unavailable {
        let hint = Paragraph::new(Line::styled(format!("no metrics: {why}"), theme.muted));
        frame.render_widget(
            hint,
            Rect {
                y: inner.bottom().saturating_sub(1),
                height: 1,
                ..inner
            },
        );
    }
    let mut names: Vec<&str> = state
        .stores
        .nodes
        .rows()
        .iter()
        .map(|node| node.name.as_ref())
        .collect();
    names.sort_unstable();
    for (index, name) in names.iter().enumerate() {
        let y = inner.y + (index as u16) * 2;
        if y >= inner.bottom() {
            break;
        }
        let Some(node) = state
            .stores
            .nodes
            .get(&crate::cluster::rows::RowKey::new("", name))
        else {
            continue;
        };
        let label_width =
            (names.iter().map(|name| name.len()).max().unwrap_or(10) as u16 + 2).min(24);
        let history = state.metrics.node_history.get(*name);
        let latest = history.and_then(|h| h.back()).copied();
        let [label, gauges, spark] = Layout::horizontal([
            Constraint::Length(label_width),
            Constraint::Length(30),
            Constraint::Fill(1),
        ])
        .areas(Rect {
            y,
            height: 2.min(inner.bottom() - y),
            ..inner
        });
        frame.render_widget(
            Paragraph::new(vec![
                Line::styled(name.to_string(), health_style(theme, node.health)),
                Line::styled(node.status.to_string(), theme.muted),
            ]),
            label,
        );
        let gauge_line = |title: &str, value: Option<u64>| match value {
            Some(percent) => Line::from(vec![
                Span::styled(format!("{title} "), theme.muted),
                Span::styled(bar(percent, 16), theme.gauge),
                Span::styled(format!(" {percent:>3}%"), theme.text),
            ]),
            None => Line::from(vec![Span::styled(format!("{title} n/a"), theme.muted)]),
        };
        frame.render_widget(
            Paragraph::new(vec![
                gauge_line("CPU", latest.map(|(cpu, _)| cpu)),
                gauge_line("MEM", latest.map(|(_, mem)| mem)),
            ]),
            gauges,
        );
        if let Some(history) = history {
            let cpu: Vec<u64> = history.iter().map(|(cpu, _)| *cpu).collect();
            let mem: Vec<u64> = history.iter().map(|(_, mem)| *mem).collect();
            let [cpu_area, mem_area] =
                Layout::vertical([Constraint::Length(1), Constraint::Length(1)]).areas(spark);
            frame.render_widget(
                Sparkline::default()
                    .data(&cpu)
                    .max(100)
                    .style(theme.sparkline),
                cpu_area,
            );
            frame.render_widget(
                Sparkline::default()
                    .data(&mem)
                    .max(100)
                    .style(theme.sparkline),
                mem_area,
            );
        }
    }
}

fn failing(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let mut pods: Vec<&PodRow> = state
        .stores
        .pods
        .rows()
        .iter()
        .filter(|pod| {
            in_scope(state, &pod.namespace) && pod.is_failing(state.now, state.pending_grace)
        })
        .collect();
    pods.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
    // Columns as wide as their longest entry, so the reason gets the rest.
    let name_width = pods
        .iter()
        .map(|pod| pod.namespace.len() + pod.name.len() + 1)
        .max()
        .unwrap_or(0)
        .min(48);
    let status_width = pods
        .iter()
        .map(|pod| pod.status.len())
        .max()
        .unwrap_or(0)
        .min(26);
    let mut lines: Vec<Line> = pods
        .iter()
        .map(|pod| {
            Line::from(vec![
                Span::styled(
                    format!(
                        "{:<name_width$} ",
                        format!("{}/{}", pod.namespace, pod.name)
                    ),
                    theme.text,
                ),
                Span::styled(
                    format!("{:<status_width$} ", pod.status),
                    health_style(theme, pod.health),
                ),
                Span::styled(format!("{:<13} ", pod.restarts_text(state.now)), theme.warn),
                Span::styled(format!("{:<7} ", age(pod.created, state.now)), theme.muted),
                Span::styled(pod.message.to_string(), theme.muted),
            ])
        })
        .collect();
    if lines.is_empty() {
        lines.push(Line::styled("nothing failing ✓", theme.ok));
    }
    let title = format!("failing pods ({})", pods.len());
    frame.render_widget(Paragraph::new(lines).block(pane(&title, theme)), area);
}

fn warnings(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let mut events: Vec<_> = state
        .stores
        .events
        .rows()
        .iter()
        .filter(|event| event.warning && in_scope(state, &event.namespace))
        .collect();
    events.sort_by_key(|event| std::cmp::Reverse(event.last_seen));
    let lines: Vec<Line> = events
        .iter()
        .take(area.height.saturating_sub(2) as usize)
        .map(|event| {
            let when = event
                .last_seen
                .map(|seen| human_duration(state.now - seen))
                .unwrap_or_default();
            Line::from(vec![
                Span::styled(format!("{when:>6} "), theme.muted),
                Span::styled(format!("{:<20} ", event.reason), theme.warn),
                Span::styled(format!("{}/{} ", event.namespace, event.object), theme.text),
                Span::styled(event.message.to_string(), theme.muted),
            ])
        })
        .collect();
    frame.render_widget(
        Paragraph::new(lines).block(pane("recent warnings", theme)),
        area,
    );
}

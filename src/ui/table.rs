//! The table views: only the visible window is turned into widgets, so a
//! 20,000-row store draws as fast as a 50-row one.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell as TableCell, Paragraph, Row as TableRow, Table};

use crate::app::state::State;
use crate::app::view::{ColumnId, Pin, ViewKind, columns};
use crate::cluster::kind::ResourceKind;
use crate::cluster::watch::WatchStatus;
use crate::config::theme::Theme;

use super::cells::{self, Cell};
use super::chrome::clock;

fn width(column: ColumnId) -> Constraint {
    match column {
        ColumnId::Namespace => Constraint::Length(14),
        ColumnId::Name => Constraint::Fill(3),
        ColumnId::Ready => Constraint::Length(5),
        ColumnId::Status => Constraint::Length(18),
        ColumnId::Restarts => Constraint::Length(12),
        ColumnId::Age | ColumnId::LastSeen => Constraint::Length(7),
        ColumnId::Node => Constraint::Length(12),
        ColumnId::Cpu | ColumnId::Mem => Constraint::Length(6),
        ColumnId::CpuOfRequest
        | ColumnId::MemOfLimit
        | ColumnId::CpuPercent
        | ColumnId::MemPercent => Constraint::Length(6),
        ColumnId::Ip => Constraint::Length(12),
        ColumnId::UpToDate | ColumnId::Available => Constraint::Length(10),
        ColumnId::Rollout => Constraint::Fill(2),
        ColumnId::Roles => Constraint::Length(22),
        ColumnId::Version => Constraint::Length(14),
        ColumnId::Pods | ColumnId::Count => Constraint::Length(6),
        ColumnId::Health => Constraint::Length(14),
        ColumnId::Type => Constraint::Length(8),
        ColumnId::Reason => Constraint::Length(18),
        ColumnId::Object => Constraint::Fill(2),
        ColumnId::Message => Constraint::Fill(4),
        ColumnId::Image => Constraint::Fill(3),
        ColumnId::State => Constraint::Length(26),
        ColumnId::Init => Constraint::Length(5),
        ColumnId::Ports => Constraint::Length(18),
        ColumnId::Cluster => Constraint::Fill(1),
        ColumnId::Server => Constraint::Fill(2),
        ColumnId::Current => Constraint::Length(8),
        ColumnId::Hosts => Constraint::Fill(2),
        ColumnId::Issuer => Constraint::Length(20),
        ColumnId::CertReady => Constraint::Length(8),
        ColumnId::NotAfter => Constraint::Length(11),
        ColumnId::DaysLeft => Constraint::Length(10),
        ColumnId::Renewal => Constraint::Length(11),
        ColumnId::Secret => Constraint::Length(18),
        ColumnId::UsedBy => Constraint::Fill(2),
        ColumnId::Kind => Constraint::Length(11),
        ColumnId::Completions => Constraint::Length(11),
        ColumnId::Duration => Constraint::Length(9),
        ColumnId::Sync => Constraint::Length(11),
        ColumnId::Revision => Constraint::Length(14),
        ColumnId::LastSync => Constraint::Length(16),
        ColumnId::Phase => Constraint::Length(10),
        ColumnId::Commit => Constraint::Length(8),
        ColumnId::Started => Constraint::Length(8),
        ColumnId::Origin => Constraint::Length(13),
        ColumnId::Reference => Constraint::Length(24),
        ColumnId::Targets => Constraint::Fill(3),
        ColumnId::MinPods | ColumnId::MaxPods => Constraint::Length(8),
        ColumnId::Replicas => Constraint::Length(9),
        ColumnId::Hpa => Constraint::Length(7),
        ColumnId::Chart => Constraint::Length(32),
        ColumnId::AppVersion => Constraint::Length(14),
        ColumnId::Updated => Constraint::Length(8),
        ColumnId::Strategy => Constraint::Length(10),
        ColumnId::Step => Constraint::Length(5),
        ColumnId::SetWeight => Constraint::Length(11),
        ColumnId::ActualWeight => Constraint::Length(14),
        ColumnId::Images => Constraint::Fill(2),
        ColumnId::TargetNamespace => Constraint::Length(17),
        ColumnId::Job => Constraint::Length(26),
        ColumnId::Config => Constraint::Length(7),
        ColumnId::Values => Constraint::Length(9),
    }
}

/// Which column goes first when the terminal is too narrow: higher goes
/// sooner. NAME never goes.
fn drop_order(column: ColumnId) -> u8 {
    match column {
        ColumnId::Name => 0,
        ColumnId::Status | ColumnId::State | ColumnId::Message | ColumnId::Rollout => 1,
        ColumnId::Ready | ColumnId::Reason | ColumnId::Current => 2,
        ColumnId::Namespace | ColumnId::Object | ColumnId::Pods => 3,
        ColumnId::Restarts | ColumnId::Health | ColumnId::LastSeen => 4,
        ColumnId::Age | ColumnId::Type => 5,
        ColumnId::Roles | ColumnId::Cluster => 6,
        ColumnId::Node | ColumnId::Image | ColumnId::CpuPercent | ColumnId::MemPercent => 7,
        ColumnId::Cpu | ColumnId::Mem | ColumnId::UpToDate | ColumnId::Version => 8,
        ColumnId::Available | ColumnId::Count | ColumnId::Init => 9,
        ColumnId::CpuOfRequest | ColumnId::MemOfLimit | ColumnId::Server => 10,
        ColumnId::Ip | ColumnId::Ports => 11,
        ColumnId::DaysLeft | ColumnId::CertReady => 1,
        ColumnId::Hosts => 3,
        ColumnId::Kind | ColumnId::NotAfter => 6,
        ColumnId::Issuer | ColumnId::Secret => 8,
        // Problems show in USED BY: keep it long.
        ColumnId::UsedBy => 2,
        ColumnId::Renewal => 10,
        ColumnId::Completions => 3,
        ColumnId::Duration => 5,
        ColumnId::Sync => 0,
        ColumnId::Revision => 6,
        ColumnId::LastSync => 7,
        ColumnId::Phase => 0,
        ColumnId::Commit => 5,
        ColumnId::Started => 6,
        ColumnId::Origin => 8,
        ColumnId::Targets | ColumnId::Reference => 0,
        ColumnId::MinPods | ColumnId::MaxPods => 4,
        ColumnId::Replicas => 2,
        ColumnId::Hpa => 7,
        ColumnId::Chart => 2,
        ColumnId::AppVersion => 5,
        ColumnId::Updated => 4,
        ColumnId::Strategy => 6,
        ColumnId::Step => 1,
        ColumnId::SetWeight => 2,
        ColumnId::ActualWeight => 5,
        ColumnId::Images => 7,
        ColumnId::TargetNamespace => 6,
        ColumnId::Job => 2,
        ColumnId::Config => 4,
        ColumnId::Values => 6,
    }
}

/// The least a column needs: its fixed width, or 12 for stretchy ones.
fn min_width(column: ColumnId) -> u16 {
    match width(column) {
        Constraint::Length(length) => length,
        _ if column == ColumnId::Name => 24,
        _ => 12,
    }
}

/// Drop columns, least important first, until the rest fit `available`.
pub fn fit_columns(mut columns: Vec<ColumnId>, available: u16) -> Vec<ColumnId> {
    loop {
        let needed: u16 = columns.iter().map(|column| min_width(*column) + 1).sum();
        if needed <= available || columns.len() <= 1 {
            return columns;
        }
        let Some(position) = columns
            .iter()
            .enumerate()
            .max_by_key(|(_, column)| drop_order(**column))
            .map(|(position, _)| position)
        else {
            return columns;
        };
        columns.remove(position);
    }
}

fn row_cells(
    state: &State,
    theme: &Theme,
    kind: ViewKind,
    pin: &Pin,
    index: usize,
    columns: &[ColumnId],
) -> Vec<Cell> {
    let map =
        |f: &dyn Fn(ColumnId) -> Cell| columns.iter().map(|column| f(*column)).collect::<Vec<_>>();
    match kind {
        ViewKind::Resource(ResourceKind::Pods) => match state.stores.pods.rows().get(index) {
            Some(row) => map(&|column| cells::pod(state, theme, row, column)),
            None => Vec::new(),
        },
        ViewKind::Resource(
            kind @ (ResourceKind::Deployments
            | ResourceKind::StatefulSets
            | ResourceKind::DaemonSets),
        ) => {
            match state
                .stores
                .workloads(kind)
                .and_then(|store| store.rows().get(index))
            {
                Some(row) => map(&|column| cells::workload(state, theme, row, column)),
                None => Vec::new(),
            }
        }
        ViewKind::Resource(ResourceKind::Namespaces) => {
            match state.stores.namespaces.rows().get(index) {
                Some(row) => {
                    let counts = state.pod_counts().get(row.name.as_ref()).copied();
                    map(&|column| cells::namespace(state, theme, row, counts, column))
                }
                None => Vec::new(),
            }
        }
        ViewKind::Resource(ResourceKind::Nodes) => match state.stores.nodes.rows().get(index) {
            Some(row) => {
                let pods = state
                    .stores
                    .pods
                    .rows()
                    .iter()
                    .filter(|pod| pod.node == row.name)
                    .count();
                map(&|column| cells::node(state, theme, row, pods, column))
            }
            None => Vec::new(),
        },
        ViewKind::Resource(ResourceKind::HelmReleases) => {
            match state.stores.helm_releases.rows().get(index) {
                Some(row) => map(&|column| cells::helm_release(state, theme, row, column)),
                None => Vec::new(),
            }
        }
        ViewKind::Resource(kind @ (ResourceKind::HelmCharts | ResourceKind::HelmChartConfigs)) => {
            let store = if kind == ResourceKind::HelmCharts {
                &state.stores.helm_charts
            } else {
                &state.stores.helm_chart_configs
            };
            match store.rows().get(index) {
                Some(row) => map(&|column| cells::helm_chart(state, theme, row, column)),
                None => Vec::new(),
            }
        }
        ViewKind::Resource(ResourceKind::Rollouts) => match state.stores.rollouts.rows().get(index)
        {
            Some(row) => map(&|column| cells::rollout(state, theme, row, column)),
            None => Vec::new(),
        },
        ViewKind::Resource(ResourceKind::Hpas) => match state.stores.hpas.rows().get(index) {
            Some(row) => map(&|column| cells::hpa(state, theme, row, column)),
            None => Vec::new(),
        },
        ViewKind::Resource(ResourceKind::Jobs) => match state.stores.jobs.rows().get(index) {
            Some(row) => map(&|column| cells::job(state, theme, row, column)),
            None => Vec::new(),
        },
        ViewKind::Resource(ResourceKind::Events) => match state.stores.events.rows().get(index) {
            Some(row) => map(&|column| cells::event(state, theme, row, column)),
            None => Vec::new(),
        },
        ViewKind::Containers => {
            let container = match pin {
                Pin::Pod(key) => state
                    .stores
                    .pods
                    .get(key)
                    .and_then(|pod| pod.containers.get(index)),
                _ => None,
            };
            match container {
                Some(row) => map(&|column| cells::container(state, theme, row, column)),
                None => Vec::new(),
            }
        }
        ViewKind::Contexts => match state.contexts.get(index) {
            Some(context) => map(&|column| match column {
                ColumnId::Current => (
                    if context.name == state.context.context {
                        "*".into()
                    } else {
                        String::new()
                    },
                    theme.ok,
                ),
                ColumnId::Name => (context.name.clone(), theme.text),
                ColumnId::Cluster => (context.cluster.clone(), theme.text),
                ColumnId::Server => (context.server.clone(), theme.muted),
                _ => (String::new(), theme.text),
            }),
            None => Vec::new(),
        },
        ViewKind::Certs => match state.certs.get(index) {
            Some(entry) => map(&|column| cells::cert(theme, &entry.view, column)),
            None => Vec::new(),
        },
        ViewKind::Builds => match state.builds.entries.get(index) {
            Some(entry) => map(&|column| cells::build(state, theme, entry, column)),
            None => Vec::new(),
        },
        ViewKind::Apps => match state.gitops.apps.get(index) {
            Some(entry) => map(&|column| cells::app(state, theme, entry, column)),
            None => Vec::new(),
        },
        ViewKind::AppObjects => {
            let entry = match pin {
                Pin::App(name) => state.gitops.app(name).and_then(|a| a.objects.get(index)),
                _ => None,
            };
            match entry {
                Some(entry) => map(&|column| cells::app_object(theme, entry, column)),
                None => Vec::new(),
            }
        }
        ViewKind::Pulse | ViewKind::Resource(_) => Vec::new(),
    }
}

/// An app's objects can be of any kind (`OCIRepository`,
/// `CustomResourceDefinition`): KIND is as wide as the longest, never cut.
fn kind_width(state: &State, kind: ViewKind, pin: &Pin) -> Option<u16> {
    let (ViewKind::AppObjects, Pin::App(name)) = (kind, pin) else {
        return None;
    };
    let longest = state
        .gitops
        .app(name)?
        .objects
        .iter()
        .map(|o| o.key.kind.chars().count())
        .max()?;
    Some(longest.clamp(4, 26) as u16)
}

fn title(state: &State) -> Vec<Span<'static>> {
    let view = state.view();
    let scope = match &view.pin {
        Pin::Selector { owner, .. } => owner.clone(),
        Pin::Pod(key) => format!("pod/{key}"),
        Pin::App(name) => name.clone(),
        Pin::None if view.kind.namespaced() => {
            state.namespace.clone().unwrap_or_else(|| "all".to_string())
        }
        Pin::None => String::new(),
    };
    let total = match view.kind {
        ViewKind::Resource(kind) => state.stores.len(kind),
        _ => view.visible.len(),
    };
    let count = if view.visible.len() == total {
        format!("[{total}]")
    } else {
        format!("[{}/{total}]", view.visible.len())
    };
    let mut spans = vec![Span::raw(format!(" {}", view.kind.title()))];
    if !scope.is_empty() {
        spans.push(Span::raw(format!("({scope})")));
    }
    spans.push(Span::raw(count));
    if !view.filter_text.is_empty() {
        spans.push(Span::raw(format!(" </{}>", view.filter_text)));
    }
    if let Some((column, descending)) = view.sort {
        spans.push(Span::raw(format!(
            " ↕{}{}",
            column.title(),
            if descending { "↓" } else { "↑" }
        )));
    }
    spans.push(Span::raw(" "));
    spans
}

pub fn draw(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let view = state.view();
    let status = view.kind.resource().map(|kind| state.status_of(kind));
    let mut title_spans: Vec<Span> = title(state)
        .into_iter()
        .map(|span| span.style(theme.title))
        .collect();
    let stale = match &status {
        Some(WatchStatus::Reconnecting { since, .. }) => {
            title_spans.push(Span::styled(
                format!("stale since {} ", clock(*since)),
                theme.stale,
            ));
            true
        }
        _ => false,
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border_focus)
        .title(Line::from(title_spans));
    if let Some(WatchStatus::Forbidden { message }) = &status {
        let text = vec![
            Line::styled("forbidden", theme.error),
            Line::styled(message.clone(), theme.muted),
            Line::styled(
                "bosun keeps trying once a minute; other views are unaffected.",
                theme.muted,
            ),
        ];
        frame.render_widget(Paragraph::new(text).block(block), area);
        return;
    }
    let columns = fit_columns(
        columns(view.kind, state.all_namespaces() && view.pin == Pin::None),
        area.width.saturating_sub(2),
    );
    let inner_rows = area.height.saturating_sub(3) as usize;
    let start = view.offset.min(view.visible.len());
    let end = (start + inner_rows).min(view.visible.len());
    let rows: Vec<TableRow> = view.visible[start..end]
        .iter()
        .enumerate()
        .map(|(position, &index)| {
            let selected = start + position == view.cursor;
            let cells = row_cells(state, theme, view.kind, &view.pin, index as usize, &columns);
            let cells = cells.into_iter().map(|(text, style)| {
                let style = if selected {
                    theme.selected
                } else if stale {
                    theme.stale
                } else {
                    style
                };
                TableCell::from(crate::sanitize::owned_for_terminal(text)).style(style)
            });
            TableRow::new(cells)
        })
        .collect();
    if rows.is_empty() {
        let message = match status {
            Some(WatchStatus::Loading) => "loading…",
            Some(WatchStatus::Absent { .. })
                if view.kind == ViewKind::Resource(ResourceKind::Rollouts) =>
            {
                crate::cluster::argo_rollouts::NOT_INSTALLED
            }
            _ if !view.filter_text.is_empty() => "no rows match the filter (esc clears it)",
            _ => "nothing here",
        };
        let header = Line::from(
            columns
                .iter()
                .map(|column| Span::styled(format!("{} ", column.title()), theme.header))
                .collect::<Vec<_>>(),
        );
        frame.render_widget(
            Paragraph::new(vec![header, Line::styled(message, theme.muted)]).block(block),
            area,
        );
        return;
    }
    let header = TableRow::new(
        columns
            .iter()
            .map(|column| TableCell::from(column.title()).style(theme.header)),
    );
    let kind_width = kind_width(state, view.kind, &view.pin);
    let widths: Vec<Constraint> = columns
        .iter()
        .map(|column| match (column, kind_width) {
            (ColumnId::Kind, Some(length)) => Constraint::Length(length),
            _ => width(*column),
        })
        .collect();
    let table = Table::new(rows, widths)
        .header(header)
        .block(block)
        .column_spacing(1);
    frame.render_widget(table, area);
}

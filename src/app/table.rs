//! Which rows a table view shows, in which order: filtered and sorted once
//! per change (not per frame), and the selection kept by key.

use std::cmp::Ordering;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use crate::cluster::kind::ResourceKind;
use crate::cluster::rows::{PodRow, Row, RowKey, WorkloadRow};

use super::state::State;
use super::view::{ColumnId, Pin, ViewKind, ViewState};

fn by<T: Ord>(a: T, b: T) -> Ordering {
    a.cmp(&b)
}

fn pod_order(state: &State, column: ColumnId, a: &PodRow, b: &PodRow) -> Ordering {
    let usage = |row: &PodRow| {
        state
            .metrics
            .pods
            .get(&RowKey::new(&row.namespace, &row.name))
            .copied()
    };
    match column {
        ColumnId::Name => by(&a.name, &b.name),
        ColumnId::Ready => by(
            (a.ready as u32 * 1000)
                .checked_div(a.total as u32)
                .unwrap_or(0),
            (b.ready as u32 * 1000)
                .checked_div(b.total as u32)
                .unwrap_or(0),
        ),
        ColumnId::Status => by(&a.status, &b.status),
        ColumnId::Restarts => by(a.restarts, b.restarts),
        // Oldest first reads as "largest age first" when descending.
        ColumnId::Age => by(b.created, a.created),
        ColumnId::Node => by(&a.node, &b.node),
        ColumnId::Cpu => by(
            usage(a).map(|u| u.cpu_millis),
            usage(b).map(|u| u.cpu_millis),
        ),
        ColumnId::Mem => by(usage(a).map(|u| u.mem_bytes), usage(b).map(|u| u.mem_bytes)),
        _ => by(&a.namespace, &b.namespace),
    }
    .then_with(|| by(&a.namespace, &b.namespace))
    .then_with(|| by(&a.name, &b.name))
}

fn workload_order(column: ColumnId, a: &WorkloadRow, b: &WorkloadRow) -> Ordering {
    match column {
        ColumnId::Name => by(&a.name, &b.name),
        ColumnId::Ready => by(a.ready, b.ready),
        ColumnId::Age => by(b.created, a.created),
        ColumnId::Status => by(a.health(), b.health()),
        _ => by(&a.namespace, &b.namespace),
    }
    .then_with(|| by(&a.namespace, &b.namespace))
    .then_with(|| by(&a.name, &b.name))
}

fn order_stamp(state: &State, view: &ViewState) -> u64 {
    let mut hasher = DefaultHasher::new();
    view.kind.hash(&mut hasher);
    view.sort.hash(&mut hasher);
    format!("{:?}", view.pin).hash(&mut hasher);
    state.namespace.hash(&mut hasher);
    match view.kind {
        ViewKind::Resource(kind) => state.stores.generation(kind).hash(&mut hasher),
        ViewKind::Containers => state.stores.pods.generation().hash(&mut hasher),
        ViewKind::Contexts => state.contexts.len().hash(&mut hasher),
        ViewKind::Certs => state.certs_stamp.hash(&mut hasher),
        ViewKind::Apps | ViewKind::AppObjects => state.gitops.stamp.hash(&mut hasher),
        ViewKind::Builds => state.builds.stamp.hash(&mut hasher),
        ViewKind::Pulse => {}
    }
    if matches!(view.sort, Some((ColumnId::Cpu | ColumnId::Mem, _))) {
        state.metrics.generation.hash(&mut hasher);
    }
    if view.kind == ViewKind::Resource(ResourceKind::Namespaces) {
        state.stores.pods.generation().hash(&mut hasher);
    }
    hasher.finish()
}

fn in_scope(namespace: Option<&str>, row_namespace: &str) -> bool {
    namespace.is_none_or(|scope| scope == row_namespace)
}

/// The rows of a namespaced kind in scope, sorted by `column`: `order`
/// decides the kind's own columns (None: not one of them); NAME and
/// NAMESPACE are common, ties go by namespace then name.
fn scoped_sorted<R: crate::cluster::rows::Row>(
    rows: &[R],
    scope: Option<&str>,
    (column, descending): (ColumnId, bool),
    order: impl Fn(ColumnId, &R, &R) -> Option<Ordering>,
) -> Vec<u32> {
    let mut indices: Vec<u32> = (0..rows.len() as u32)
        .filter(|&i| in_scope(scope, rows[i as usize].ident().0))
        .collect();
    indices.sort_unstable_by(|a, b| {
        let (a, b) = (&rows[*a as usize], &rows[*b as usize]);
        let (a_ident, b_ident) = (a.ident(), b.ident());
        let common = || match column {
            ColumnId::Name => by(a_ident.1, b_ident.1).then_with(|| by(a_ident.0, b_ident.0)),
            _ => by(a_ident, b_ident),
        };
        let ordering = order(column, a, b)
            .map(|o| o.then_with(|| by(a_ident, b_ident)))
            .unwrap_or_else(common);
        if descending {
            ordering.reverse()
        } else {
            ordering
        }
    });
    indices
}

/// Indices of the rows in scope (namespace, pin), sorted; the text filter
/// is applied on top by `refresh`, so a keystroke never re-sorts.
fn compute_order(state: &State, view: &ViewState) -> Vec<u32> {
    let scope = state.namespace.as_deref();
    let sort = view.sort;
    let mut indices: Vec<u32> = Vec::new();
    let sort_by = |order: &mut dyn FnMut(&u32, &u32) -> Ordering, indices: &mut Vec<u32>| {
        indices.sort_unstable_by(|a, b| order(a, b));
    };
    match view.kind {
        ViewKind::Resource(ResourceKind::Pods) => {
            let rows = state.stores.pods.rows();
            let (scope, selector) = match &view.pin {
                Pin::Selector {
                    namespace,
                    selector,
                    ..
                } => (Some(namespace.as_str()), Some(selector)),
                _ => (scope, None),
            };
            indices = (0..rows.len() as u32)
                .filter(|&i| {
                    let row = &rows[i as usize];
                    in_scope(scope, &row.namespace)
                        && selector.is_none_or(|selector| selector.matches(&row.labels))
                })
                .collect();
            let (column, descending) = sort.unwrap_or((ColumnId::Namespace, false));
            sort_by(
                &mut |a, b| {
                    let order = pod_order(state, column, &rows[*a as usize], &rows[*b as usize]);
                    if descending { order.reverse() } else { order }
                },
                &mut indices,
            );
        }
        ViewKind::Resource(
            kind @ (ResourceKind::Deployments
            | ResourceKind::StatefulSets
            | ResourceKind::DaemonSets),
        ) => {
            let Some(store) = state.stores.workloads(kind) else {
                return indices;
            };
            let rows = store.rows();
            indices = (0..rows.len() as u32)
                .filter(|&i| in_scope(scope, &rows[i as usize].namespace))
                .collect();
            let (column, descending) = sort.unwrap_or((ColumnId::Namespace, false));
            sort_by(
                &mut |a, b| {
                    let order = workload_order(column, &rows[*a as usize], &rows[*b as usize]);
                    if descending { order.reverse() } else { order }
                },
                &mut indices,
            );
        }
        ViewKind::Resource(ResourceKind::Namespaces) => {
            let rows = state.stores.namespaces.rows();
            indices = (0..rows.len() as u32).collect();
            let (column, descending) = sort.unwrap_or((ColumnId::Name, false));
            let counts = state.pod_counts();
            sort_by(
                &mut |a, b| {
                    let (a, b) = (&rows[*a as usize], &rows[*b as usize]);
                    let order = match column {
                        ColumnId::Age => by(b.created, a.created),
                        ColumnId::Status => by(&a.phase, &b.phase),
                        ColumnId::Ready => {
                            by(counts.get(a.name.as_ref()), counts.get(b.name.as_ref()))
                        }
                        _ => Ordering::Equal,
                    }
                    .then_with(|| by(&a.name, &b.name));
                    if descending { order.reverse() } else { order }
                },
                &mut indices,
            );
        }
        ViewKind::Resource(ResourceKind::Nodes) => {
            let rows = state.stores.nodes.rows();
            indices = (0..rows.len() as u32).collect();
            let (column, descending) = sort.unwrap_or((ColumnId::Name, false));
            sort_by(
                &mut |a, b| {
                    let (a, b) = (&rows[*a as usize], &rows[*b as usize]);
                    let usage = |name: &str| state.metrics.nodes.get(name).copied();
                    let order = match column {
                        ColumnId::Age => by(b.created, a.created),
                        ColumnId::Status => by(&a.status, &b.status),
                        ColumnId::Cpu => by(
                            usage(&a.name).map(|u| u.cpu_millis),
                            usage(&b.name).map(|u| u.cpu_millis),
                        ),
                        ColumnId::Mem => by(
                            usage(&a.name).map(|u| u.mem_bytes),
                            usage(&b.name).map(|u| u.mem_bytes),
                        ),
                        _ => Ordering::Equal,
                    }
                    .then_with(|| by(&a.name, &b.name));
                    if descending { order.reverse() } else { order }
                },
                &mut indices,
            );
        }
        // `helm list`: the newest revision of each release.
        ViewKind::Resource(ResourceKind::HelmReleases) => {
            let rows = state.stores.helm_releases.rows();
            let mut newest: std::collections::HashMap<(&str, &str), (i64, u32)> =
                std::collections::HashMap::new();
            for (i, row) in rows.iter().enumerate() {
                if !in_scope(scope, &row.namespace) {
                    continue;
                }
                let slot = newest
                    .entry((&row.namespace, &row.release))
                    .or_insert((row.revision, i as u32));
                if row.revision > slot.0 {
                    *slot = (row.revision, i as u32);
                }
            }
            indices = newest.values().map(|(_, i)| *i).collect();
            let (column, descending) = sort.unwrap_or((ColumnId::Name, false));
            sort_by(
                &mut |a, b| {
                    let (a, b) = (&rows[*a as usize], &rows[*b as usize]);
                    let order = match column {
                        ColumnId::Updated | ColumnId::Age => by(b.updated, a.updated),
                        ColumnId::Status => by(&a.status, &b.status),
                        ColumnId::Namespace => by(&a.namespace, &b.namespace),
                        _ => by(&a.release, &b.release),
                    }
                    .then_with(|| by(&a.namespace, &b.namespace));
                    if descending { order.reverse() } else { order }
                },
                &mut indices,
            );
        }
        ViewKind::Resource(ResourceKind::Hpas) => {
            indices = scoped_sorted(
                state.stores.hpas.rows(),
                scope,
                sort.unwrap_or((ColumnId::Name, false)),
                |column, a, b| match column {
                    ColumnId::Age => Some(by(b.created, a.created)),
                    ColumnId::Replicas => Some(by(a.replicas, b.replicas)),
                    _ => None,
                },
            );
        }
        ViewKind::Resource(kind @ (ResourceKind::HelmCharts | ResourceKind::HelmChartConfigs)) => {
            let rows = if kind == ResourceKind::HelmCharts {
                state.stores.helm_charts.rows()
            } else {
                state.stores.helm_chart_configs.rows()
            };
            indices = scoped_sorted(
                rows,
                scope,
                sort.unwrap_or((ColumnId::Namespace, false)),
                |column, a, b| (column == ColumnId::Age).then(|| by(b.created, a.created)),
            );
        }
        ViewKind::Resource(ResourceKind::Rollouts) => {
            indices = scoped_sorted(
                state.stores.rollouts.rows(),
                scope,
                sort.unwrap_or((ColumnId::Namespace, false)),
                |column, a, b| match column {
                    ColumnId::Age => Some(by(b.created, a.created)),
                    ColumnId::Status => Some(by(a.phase.as_str(), b.phase.as_str())),
                    _ => None,
                },
            );
        }
        ViewKind::Resource(ResourceKind::Jobs) => {
            let rows = state.stores.jobs.rows();
            indices = (0..rows.len() as u32)
                .filter(|&i| in_scope(scope, &rows[i as usize].namespace))
                .collect();
            let (column, descending) = sort.unwrap_or((ColumnId::Age, false));
            sort_by(
                &mut |a, b| {
                    let (a, b) = (&rows[*a as usize], &rows[*b as usize]);
                    let order = match column {
                        ColumnId::Name => by(&a.name, &b.name),
                        ColumnId::Status => by(&a.status, &b.status),
                        ColumnId::Namespace => by(&a.namespace, &b.namespace),
                        // Newest first by default: the latest run is what you look for.
                        _ => by(b.created, a.created),
                    }
                    .then_with(|| by(&a.name, &b.name));
                    if descending { order.reverse() } else { order }
                },
                &mut indices,
            );
        }
        ViewKind::Resource(ResourceKind::Events) => {
            let rows = state.stores.events.rows();
            indices = (0..rows.len() as u32)
                .filter(|&i| in_scope(scope, &rows[i as usize].namespace))
                .collect();
            sort_by(
                &mut |a, b| {
                    let (a, b) = (&rows[*a as usize], &rows[*b as usize]);
                    let order = match sort {
                        Some((ColumnId::Name, _)) => by(&a.object, &b.object),
                        Some((ColumnId::Namespace, _)) => by(&a.namespace, &b.namespace),
                        Some((ColumnId::Age, _)) => by(a.last_seen, b.last_seen),
                        // Warnings first, newest first (DESIGN: events view).
                        _ => by(b.warning, a.warning).then_with(|| by(b.last_seen, a.last_seen)),
                    }
                    .then_with(|| by(&a.name, &b.name));
                    match sort {
                        Some((_, true)) => order.reverse(),
                        _ => order,
                    }
                },
                &mut indices,
            );
        }
        ViewKind::Containers => {
            if let Pin::Pod(key) = &view.pin
                && let Some(pod) = state.stores.pods.get(key)
            {
                indices = (0..pod.containers.len() as u32).collect();
            }
        }
        ViewKind::Contexts => {
            indices = (0..state.contexts.len() as u32).collect();
        }
        // join() already orders them: most urgent first.
        ViewKind::Certs => {
            indices = (0..state.certs.len() as u32)
                .filter(|&i| in_scope(scope, &state.certs[i as usize].view.namespace))
                .collect();
        }
        // The repo's order (bosun.yaml), as Argo CD lists by name.
        ViewKind::Apps => {
            indices = (0..state.gitops.apps.len() as u32).collect();
            if let Some((column, descending)) = sort {
                let apps = &state.gitops.apps;
                sort_by(
                    &mut |a, b| {
                        let (x, y) = (&apps[*a as usize], &apps[*b as usize]);
                        let order = match column {
                            ColumnId::Sync => {
                                by(x.sync().map(|s| s.as_str()), y.sync().map(|s| s.as_str()))
                            }
                            ColumnId::Health => {
                                by(std::cmp::Reverse(x.health()), std::cmp::Reverse(y.health()))
                            }
                            _ => by(x.name(), y.name()),
                        };
                        if descending { order.reverse() } else { order }
                    },
                    &mut indices,
                );
            }
        }
        // Newest run first (the watcher's order), builds never run last.
        ViewKind::Builds => {
            indices = (0..state.builds.entries.len() as u32)
                .filter(|&i| {
                    let entry = &state.builds.entries[i as usize];
                    entry
                        .run
                        .as_ref()
                        .is_none_or(|run| in_scope(scope, &run.namespace))
                })
                .collect();
        }
        // Sync order: what applies first is listed first.
        ViewKind::AppObjects => {
            if let Pin::App(name) = &view.pin
                && let Some(app) = state.gitops.app(name)
            {
                indices = (0..app.objects.len() as u32).collect();
                let objects = &app.objects;
                sort_by(
                    &mut |a, b| {
                        let (x, y) = (&objects[*a as usize], &objects[*b as usize]);
                        crate::gitops::sync::kind_rank(&x.key.kind)
                            .cmp(&crate::gitops::sync::kind_rank(&y.key.kind))
                            .then_with(|| x.key.cmp(&y.key))
                    },
                    &mut indices,
                );
            }
        }
        ViewKind::Pulse
        | ViewKind::Resource(
            ResourceKind::Certificates
            | ResourceKind::TlsSecrets
            | ResourceKind::Ingresses
            | ResourceKind::IngressRoutes
            | ResourceKind::RolloutReplicaSets
            | ResourceKind::AnalysisRuns,
        ) => {}
    }
    indices
}

/// The row at store index `index` of the view's source (a store, a pod's
/// containers, the contexts).
fn row_at<'a>(state: &'a State, view: &ViewState, index: usize) -> Option<&'a dyn Row> {
    match view.kind {
        ViewKind::Resource(kind) => state.stores.store(kind).row(index),
        ViewKind::Containers => match &view.pin {
            Pin::Pod(key) => state
                .stores
                .pods
                .get(key)?
                .containers
                .get(index)
                .map(|row| row as &dyn Row),
            _ => None,
        },
        ViewKind::Contexts => state.contexts.get(index).map(|row| row as &dyn Row),
        ViewKind::Certs => state.certs.get(index).map(|row| row as &dyn Row),
        ViewKind::Apps => state.gitops.apps.get(index).map(|row| row as &dyn Row),
        ViewKind::Builds => state.builds.entries.get(index).map(|row| row as &dyn Row),
        ViewKind::AppObjects => match &view.pin {
            Pin::App(name) => state
                .gitops
                .app(name)?
                .objects
                .get(index)
                .map(|row| row as &dyn Row),
            _ => None,
        },
        ViewKind::Pulse => None,
    }
}

/// Does the row at store index `index` pass the view's `/` filter?
fn passes_filter(state: &State, view: &ViewState, index: usize) -> bool {
    view.filter.is_none()
        || row_at(state, view, index)
            .is_some_and(|row| view.filter.matches_parts(row.search_text(), row.labels()))
}

/// Namespace and name of the row at `position` of the view's visible list,
/// borrowed (no allocation: this runs over every row on a refresh).
fn ident_at<'a>(state: &'a State, view: &ViewState, position: usize) -> Option<(&'a str, &'a str)> {
    row_at(state, view, *view.visible.get(position)? as usize).map(|row| row.ident())
}

/// The key of the row at `position` of the view's visible list.
pub fn key_at(state: &State, view: &ViewState, position: usize) -> Option<RowKey> {
    ident_at(state, view, position).map(|(namespace, name)| RowKey::new(namespace, name))
}

/// Recompute the visible rows of the current view if anything they depend
/// on changed, keeping the selection on the same object.
pub fn refresh(state: &mut State) {
    if matches!(state.view().kind, ViewKind::Certs | ViewKind::Pulse) {
        super::certs::refresh(state);
    }
    let order = order_stamp(state, state.view());
    let new_stamp = {
        let mut hasher = DefaultHasher::new();
        order.hash(&mut hasher);
        state.view().filter_text.hash(&mut hasher);
        hasher.finish()
    };
    if state.view().stamp == Some(new_stamp) {
        return;
    }
    if state.view().order_stamp != Some(order) {
        let ordered = compute_order(state, state.view());
        let view = state.view_mut();
        view.ordered = ordered;
        view.order_stamp = Some(order);
    }
    let view = state.view();
    let visible: Vec<u32> = view
        .ordered
        .iter()
        .copied()
        .filter(|&index| passes_filter(state, view, index as usize))
        .collect();
    let selected = state.view().selected.clone();
    let old_cursor = state.view().cursor;
    {
        let view = state.view_mut();
        view.visible = visible;
        view.stamp = Some(new_stamp);
    }
    let view = state.view();
    let position = selected.as_ref().and_then(|key| {
        (0..view.visible.len()).find(|&i| {
            ident_at(state, view, i) == Some((key.namespace.as_ref(), key.name.as_ref()))
        })
    });
    let cursor = position.unwrap_or_else(|| old_cursor.min(view.visible.len().saturating_sub(1)));
    let key = key_at(state, view, cursor);
    let view = state.view_mut();
    view.cursor = cursor;
    view.selected = key;
    state.dirty = true;
}

/// Move the cursor to `position` (clamped) and remember its key.
pub fn select(state: &mut State, position: usize) {
    let len = state.view().visible.len();
    let cursor = position.min(len.saturating_sub(1));
    let key = key_at(state, state.view(), cursor);
    let view = state.view_mut();
    view.cursor = cursor;
    view.selected = key;
}

/// A fingerprint of every clock-derived text on screen (ages, "(2m ago)",
/// stale times): the tick redraws only when it changes.
pub fn clock_signature(state: &State) -> u64 {
    use crate::cluster::age::human_duration;
    let mut hasher = DefaultHasher::new();
    let now = state.now;
    let view = state.view();
    let start = view.offset;
    let end = (start + state.page_rows.max(1)).min(view.visible.len());
    let age = |created: Option<i64>| created.map(|created| human_duration(now - created));
    for &index in view.visible.get(start..end).unwrap_or(&[]) {
        let index = index as usize;
        match view.kind {
            ViewKind::Resource(ResourceKind::Pods) => {
                if let Some(row) = state.stores.pods.rows().get(index) {
                    age(row.created).hash(&mut hasher);
                    age(row.last_restart).hash(&mut hasher);
                }
            }
            ViewKind::Resource(
                kind @ (ResourceKind::Deployments
                | ResourceKind::StatefulSets
                | ResourceKind::DaemonSets),
            ) => {
                if let Some(row) = state
                    .stores
                    .workloads(kind)
                    .and_then(|store| store.rows().get(index))
                {
                    age(row.created).hash(&mut hasher);
                }
            }
            ViewKind::Resource(ResourceKind::Namespaces) => {
                if let Some(row) = state.stores.namespaces.rows().get(index) {
                    age(row.created).hash(&mut hasher);
                }
            }
            ViewKind::Resource(ResourceKind::Nodes) => {
                if let Some(row) = state.stores.nodes.rows().get(index) {
                    age(row.created).hash(&mut hasher);
                }
            }
            ViewKind::Resource(ResourceKind::Hpas) => {
                if let Some(row) = state.stores.hpas.rows().get(index) {
                    age(row.created).hash(&mut hasher);
                }
            }
            ViewKind::Resource(ResourceKind::Rollouts) => {
                if let Some(row) = state.stores.rollouts.rows().get(index) {
                    age(row.created).hash(&mut hasher);
                }
            }
            ViewKind::Resource(ResourceKind::HelmReleases) => {
                if let Some(row) = state.stores.helm_releases.rows().get(index) {
                    age(row.updated).hash(&mut hasher);
                }
            }
            ViewKind::Resource(ResourceKind::Jobs) => {
                if let Some(row) = state.stores.jobs.rows().get(index) {
                    age(row.created).hash(&mut hasher);
                    row.duration(now).map(human_duration).hash(&mut hasher);
                }
            }
            ViewKind::Resource(ResourceKind::Events) => {
                if let Some(row) = state.stores.events.rows().get(index) {
                    age(row.last_seen).hash(&mut hasher);
                }
            }
            _ => {}
        }
    }
    if view.kind == ViewKind::Pulse {
        // The overview lists failing pods and recent warnings with ages;
        // minute resolution is what it shows for most of them.
        (now / 60).hash(&mut hasher);
    }
    for status in state.watch_status.values() {
        if let crate::cluster::watch::WatchStatus::Reconnecting { since, .. } = status {
            human_duration(now - since).hash(&mut hasher);
        }
    }
    hasher.finish()
}

//! Watch rows, statuses and metrics arriving from the cluster.

use super::*;

/// Which kinds' rows the current view shows (directly or as counts), so a
/// change elsewhere costs no redraw.
pub(super) fn view_shows(state: &State, kind: ResourceKind) -> bool {
    let view = state.view().kind;
    match view {
        ViewKind::Pulse => matches!(
            kind,
            ResourceKind::Certificates
                | ResourceKind::TlsSecrets
                | ResourceKind::Pods
                | ResourceKind::Nodes
                | ResourceKind::Events
                | ResourceKind::Namespaces
        ),
        ViewKind::Certs => matches!(
            kind,
            ResourceKind::Certificates
                | ResourceKind::TlsSecrets
                | ResourceKind::Ingresses
                | ResourceKind::IngressRoutes
        ),
        ViewKind::Containers => kind == ResourceKind::Pods,
        ViewKind::Contexts | ViewKind::Apps | ViewKind::AppObjects | ViewKind::Builds => false,
        ViewKind::Resource(ResourceKind::Namespaces | ResourceKind::Nodes) => {
            view == ViewKind::Resource(kind) || kind == ResourceKind::Pods
        }
        // The install Job's state, the other kind's row.
        ViewKind::Resource(ResourceKind::HelmCharts | ResourceKind::HelmChartConfigs) => {
            matches!(
                kind,
                ResourceKind::HelmCharts | ResourceKind::HelmChartConfigs | ResourceKind::Jobs
            )
        }
        // ACTUAL-WEIGHT comes from the canary ReplicaSet.
        ViewKind::Resource(ResourceKind::Rollouts) => {
            matches!(
                kind,
                ResourceKind::Rollouts | ResourceKind::RolloutReplicaSets
            )
        }
        ViewKind::Resource(shown) => shown == kind,
    }
}

pub(super) fn on_cluster(state: &mut State, message: ClusterMessage, effects: &mut Vec<Effect>) {
    let pods_changed = matches!(
        &message,
        ClusterMessage::Watch(WatchMessage::Rows(KindRows::Pods(_)))
    );
    // An open rollout picture is drawn from these.
    let picture_moved = matches!(
        &message,
        ClusterMessage::Watch(WatchMessage::Rows(
            KindRows::Rollouts(_)
                | KindRows::RolloutReplicaSets(_)
                | KindRows::AnalysisRuns(_)
                | KindRows::Pods(_)
        ))
    );
    let visible = match &message {
        ClusterMessage::Watch(WatchMessage::Rows(rows)) => view_shows(state, rows.kind()),
        // Usage shows in the pods and nodes tables and the overview.
        ClusterMessage::Metrics(_) => matches!(
            state.view().kind,
            ViewKind::Pulse | ViewKind::Resource(ResourceKind::Pods | ResourceKind::Nodes)
        ),
        // Statuses and the server version show in the bars.
        _ => true,
    };
    if visible {
        state.dirty = true;
    }
    match message {
        ClusterMessage::Watch(WatchMessage::Rows(rows)) => match rows {
            KindRows::Pods(update) => state.stores.pods.apply(update),
            KindRows::Workloads(kind, update) => {
                if let Some(store) = state.stores.workloads_mut(kind) {
                    store.apply(update);
                }
            }
            KindRows::Namespaces(update) => state.stores.namespaces.apply(update),
            KindRows::Nodes(update) => state.stores.nodes.apply(update),
            KindRows::Events(update) => state.stores.events.apply(update),
            KindRows::Jobs(update) => state.stores.jobs.apply(update),
            KindRows::Hpas(update) => state.stores.hpas.apply(update),
            KindRows::HelmReleases(update) => state.stores.helm_releases.apply(update),
            KindRows::Rollouts(update) => state.stores.rollouts.apply(update),
            KindRows::RolloutReplicaSets(update) => state.stores.rollout_replicasets.apply(update),
            KindRows::AnalysisRuns(update) => state.stores.analysis_runs.apply(update),
            KindRows::HelmCharts(ResourceKind::HelmChartConfigs, update) => {
                state.stores.helm_chart_configs.apply(update)
            }
            KindRows::HelmCharts(_, update) => state.stores.helm_charts.apply(update),
            KindRows::Certificates(update) => state.stores.certificates.apply(update),
            KindRows::TlsSecrets(update) => state.stores.tls_secrets.apply(update),
            KindRows::Routes(ResourceKind::IngressRoutes, update) => {
                state.stores.ingressroutes.apply(update)
            }
            KindRows::Routes(_, update) => state.stores.ingresses.apply(update),
        },
        ClusterMessage::Watch(WatchMessage::Status(kind, status)) => {
            if let WatchStatus::Reconnecting { error, .. } = &status {
                state.last_error = Some(format!("{}: {error}", kind.plural()));
            }
            state.watch_status.insert(kind, status);
        }
        ClusterMessage::Metrics(MetricsMessage::Snapshot(snapshot)) => {
            for (name, usage) in &snapshot.nodes {
                let node = state
                    .stores
                    .nodes
                    .get(&crate::cluster::rows::RowKey::new("", name));
                let percent = |used: u64, total: Option<u64>| match total {
                    Some(total) if total > 0 => used * 100 / total,
                    _ => 0,
                };
                let sample = (
                    percent(usage.cpu_millis, node.and_then(|n| n.cpu_allocatable)),
                    percent(usage.mem_bytes, node.and_then(|n| n.mem_allocatable)),
                );
                let history = state.metrics.node_history.entry(name.clone()).or_default();
                history.push_back(sample);
                while history.len() > HISTORY_LEN {
                    history.pop_front();
                }
            }
            state.metrics.pods = snapshot.pods;
            state.metrics.nodes = snapshot.nodes;
            state.metrics.unavailable = None;
            state.metrics.generation += 1;
        }
        ClusterMessage::Metrics(MetricsMessage::Unavailable(why)) => {
            state.metrics.unavailable = Some(why);
        }
        ClusterMessage::ServerVersion(Ok(version)) => state.server_version = Some(version),
        ClusterMessage::ServerVersion(Err(error)) => state.last_error = Some(error),
    }
    if picture_moved {
        super::argo_rollouts::refresh_picture(state);
    }
    if pods_changed && state.logs.is_some() {
        // Pods of a followed workload join its log view as they start.
        crate::app::logs::reconcile_sources(state, effects);
    }
}

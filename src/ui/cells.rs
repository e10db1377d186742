//! The cell text and style of each column, per kind of row.

use ratatui::style::Style;

use crate::app::state::State;
use crate::app::view::ColumnId;
use crate::cluster::age::{age, human_duration};
use crate::cluster::quantity::{format_cpu, format_mem};
use crate::cluster::rows::{
    ContainerRow, EventRow, Health, NamespaceRow, NodeRow, PodRow, RowKey, WorkloadRow,
};
use crate::config::theme::Theme;

use super::health_style;

pub type Cell = (String, Style);

fn percent(used: u64, of: Option<u64>) -> String {
    match of {
        Some(total) if total > 0 => (used * 100 / total).to_string(),
        _ => "n/a".to_string(),
    }
}

pub fn pod(state: &State, theme: &Theme, row: &PodRow, column: ColumnId) -> Cell {
    let usage = state
        .metrics
        .pods
        .get(&RowKey::new(&row.namespace, &row.name));
    let text = theme.text;
    match column {
        ColumnId::Namespace => (row.namespace.to_string(), theme.muted),
        ColumnId::Name => (row.name.to_string(), text),
        ColumnId::Ready => {
            let style = if row.ready < row.total && row.health != Health::Done {
                theme.warn
            } else {
                text
            };
            (format!("{}/{}", row.ready, row.total), style)
        }
        ColumnId::Status => (row.status.to_string(), health_style(theme, row.health)),
        ColumnId::Restarts => {
            let style = if row.restarts > 0 { theme.warn } else { text };
            (row.restarts_text(state.now), style)
        }
        ColumnId::Age => (age(row.created, state.now), theme.muted),
        ColumnId::Node => (row.node.to_string(), text),
        ColumnId::Ip => (row.ip.to_string(), theme.muted),
        ColumnId::Cpu => (
            usage
                .map(|u| format_cpu(u.cpu_millis))
                .unwrap_or_else(|| "n/a".into()),
            text,
        ),
        ColumnId::Mem => (
            usage
                .map(|u| format_mem(u.mem_bytes))
                .unwrap_or_else(|| "n/a".into()),
            text,
        ),
        ColumnId::CpuOfRequest => match usage {
            Some(u) => (percent(u.cpu_millis, row.cpu_request), text),
            None => ("n/a".into(), theme.muted),
        },
        ColumnId::MemOfLimit => match usage {
            Some(u) => {
                let value = percent(u.mem_bytes, row.mem_limit);
                let style = match value.parse::<u64>() {
                    Ok(p) if p >= 90 => theme.error,
                    Ok(p) if p >= 70 => theme.warn,
                    _ => text,
                };
                (value, style)
            }
            None => ("n/a".into(), theme.muted),
        },
        _ => (String::new(), text),
    }
}

pub fn workload(state: &State, theme: &Theme, row: &WorkloadRow, column: ColumnId) -> Cell {
    let text = theme.text;
    match column {
        ColumnId::Namespace => (row.namespace.to_string(), theme.muted),
        ColumnId::Name => (row.name.to_string(), text),
        ColumnId::Ready => {
            let style = if row.ready < row.desired {
                theme.warn
            } else {
                text
            };
            (format!("{}/{}", row.ready, row.desired), style)
        }
        ColumnId::UpToDate => (row.updated.to_string(), text),
        ColumnId::Available => (row.available.to_string(), text),
        ColumnId::Age => (age(row.created, state.now), theme.muted),
        ColumnId::Rollout => (row.rollout.text(), health_style(theme, row.health())),
        ColumnId::Hpa => (
            state
                .stores
                .hpa_for(row.kind.as_str(), &row.namespace, &row.name)
                .map(|hpa| hpa.range())
                .unwrap_or_default(),
            theme.muted,
        ),
        _ => (String::new(), text),
    }
}

pub fn namespace(
    state: &State,
    theme: &Theme,
    row: &NamespaceRow,
    counts: Option<(usize, usize)>,
    column: ColumnId,
) -> Cell {
    let (total, failing) = counts.unwrap_or((0, 0));
    match column {
        ColumnId::Name => (row.name.to_string(), theme.text),
        ColumnId::Status => {
            let style = if row.phase.as_ref() == "Active" {
                theme.text
            } else {
                theme.warn
            };
            (row.phase.to_string(), style)
        }
        ColumnId::Pods => (total.to_string(), theme.text),
        ColumnId::Health => {
            if failing > 0 {
                (format!("✗ {failing} failing"), theme.error)
            } else if total > 0 {
                ("✓".to_string(), theme.ok)
            } else {
                ("·".to_string(), theme.muted)
            }
        }
        ColumnId::Age => (age(row.created, state.now), theme.muted),
        _ => (String::new(), theme.text),
    }
}

pub fn node(state: &State, theme: &Theme, row: &NodeRow, pods: usize, column: ColumnId) -> Cell {
    let usage = state.metrics.nodes.get(row.name.as_ref());
    let text = theme.text;
    let load_style = |value: &str| match value.parse::<u64>() {
        Ok(p) if p >= 90 => theme.error,
        Ok(p) if p >= 75 => theme.warn,
        _ => text,
    };
    match column {
        ColumnId::Name => (row.name.to_string(), text),
        ColumnId::Status => {
            let status = if row.pressures.is_empty() {
                row.status.to_string()
            } else {
                format!("{} ({})", row.status, row.pressures)
            };
            (status, health_style(theme, row.health))
        }
        ColumnId::Roles => (row.roles.to_string(), text),
        ColumnId::Version => (row.version.to_string(), text),
        ColumnId::Ip => (row.internal_ip.to_string(), theme.muted),
        ColumnId::Cpu => (
            usage
                .map(|u| format_cpu(u.cpu_millis))
                .unwrap_or_else(|| "n/a".into()),
            text,
        ),
        ColumnId::Mem => (
            usage
                .map(|u| format_mem(u.mem_bytes))
                .unwrap_or_else(|| "n/a".into()),
            text,
        ),
        ColumnId::CpuPercent => {
            let value = usage
                .map(|u| percent(u.cpu_millis, row.cpu_allocatable))
                .unwrap_or_else(|| "n/a".into());
            let style = load_style(&value);
            (value, style)
        }
        ColumnId::MemPercent => {
            let value = usage
                .map(|u| percent(u.mem_bytes, row.mem_allocatable))
                .unwrap_or_else(|| "n/a".into());
            let style = load_style(&value);
            (value, style)
        }
        ColumnId::Pods => (pods.to_string(), text),
        ColumnId::Age => (age(row.created, state.now), theme.muted),
        _ => (String::new(), text),
    }
}

pub fn event(state: &State, theme: &Theme, row: &EventRow, column: ColumnId) -> Cell {
    let style = if row.warning { theme.warn } else { theme.text };
    match column {
        ColumnId::Namespace => (row.namespace.to_string(), theme.muted),
        ColumnId::Type => (
            (if row.warning { "Warning" } else { "Normal" }).to_string(),
            style,
        ),
        ColumnId::Reason => (row.reason.to_string(), style),
        ColumnId::Object => (row.object.to_string(), theme.text),
        ColumnId::Message => (row.message.to_string(), theme.text),
        ColumnId::Count => (row.count.to_string(), theme.text),
        ColumnId::LastSeen => (age(row.last_seen, state.now), theme.muted),
        _ => (String::new(), theme.text),
    }
}

pub fn container(state: &State, theme: &Theme, row: &ContainerRow, column: ColumnId) -> Cell {
    match column {
        ColumnId::Name => (row.name.to_string(), theme.text),
        ColumnId::Image => (row.image.to_string(), theme.muted),
        ColumnId::Ready => (
            (if row.ready { "true" } else { "false" }).to_string(),
            if row.ready { theme.ok } else { theme.warn },
        ),
        ColumnId::State => (row.state.to_string(), health_style(theme, row.health)),
        ColumnId::Init => (
            (if row.init { "true" } else { "false" }).to_string(),
            theme.muted,
        ),
        ColumnId::Restarts => (
            row.restarts.to_string(),
            if row.restarts > 0 {
                theme.warn
            } else {
                theme.text
            },
        ),
        ColumnId::Ports => (row.ports.to_string(), theme.muted),
        ColumnId::Age => (
            row.started
                .map(|started| human_duration(state.now - started))
                .unwrap_or_default(),
            theme.muted,
        ),
        _ => (String::new(), theme.text),
    }
}

fn date(epoch: Option<i64>) -> String {
    epoch
        .and_then(|seconds| jiff::Timestamp::from_second(seconds).ok())
        .map(|stamp| stamp.strftime("%Y-%m-%d").to_string())
        .unwrap_or_else(|| "-".to_string())
}

pub fn cert(theme: &Theme, row: &crate::certs::CertView, column: ColumnId) -> Cell {
    use crate::certs::{CertHealth, Urgency};
    let urgency_style = match row.urgency {
        Urgency::Ok => theme.ok,
        Urgency::Warn => theme.warn,
        Urgency::Error | Urgency::Expired => theme.error,
    };
    let health_style = match row.health {
        CertHealth::Healthy => theme.ok,
        CertHealth::Progressing => theme.info,
        CertHealth::Degraded | CertHealth::Missing => theme.error,
        CertHealth::Unknown => theme.muted,
    };
    match column {
        ColumnId::Namespace => (row.namespace.clone(), theme.muted),
        ColumnId::Name => {
            let style = if row.problems.is_empty() {
                theme.text
            } else {
                theme.warn
            };
            (row.name.clone(), style)
        }
        ColumnId::Kind => (row.kind.to_string(), theme.muted),
        ColumnId::CertReady => (row.ready.clone(), health_style),
        ColumnId::DaysLeft => match row.days_left {
            Some(days) if days < 0 => (format!("expired {}d", -days), urgency_style),
            Some(days) => (days.to_string(), urgency_style),
            None => ("?".to_string(), theme.muted),
        },
        ColumnId::NotAfter => (date(row.not_after), theme.text),
        ColumnId::Hosts => (row.hosts.join(","), theme.text),
        // "ClusterIssuer/letsencrypt-prod" reads as its name; details have the kind.
        ColumnId::Issuer => (
            row.issuer
                .rsplit('/')
                .next()
                .unwrap_or(&row.issuer)
                .to_string(),
            theme.muted,
        ),
        ColumnId::Renewal => (date(row.renewal_time), theme.muted),
        ColumnId::Secret => (row.secret.clone(), theme.muted),
        ColumnId::UsedBy => {
            let text = if row.problems.is_empty() {
                row.used_by.join(", ")
            } else {
                row.problems.join("; ")
            };
            let style = if row.problems.is_empty() {
                theme.muted
            } else {
                theme.warn
            };
            (text, style)
        }
        _ => (String::new(), theme.text),
    }
}

/// A cell of the Helm releases view, as `helm list` prints it.
pub fn helm_release(
    state: &State,
    theme: &Theme,
    row: &crate::cluster::rows::HelmReleaseRow,
    column: ColumnId,
) -> Cell {
    match column {
        ColumnId::Namespace => (row.namespace.to_string(), theme.muted),
        ColumnId::Name => (row.release.to_string(), theme.text),
        ColumnId::Revision => (row.revision.to_string(), theme.text),
        ColumnId::Updated => (age(row.updated, state.now), theme.muted),
        ColumnId::Status => (row.status.to_string(), health_style(theme, row.health)),
        ColumnId::Chart => (row.chart.to_string(), theme.text),
        ColumnId::AppVersion => (row.app_version.to_string(), theme.text),
        ColumnId::Message => (row.problem.to_string(), health_style(theme, row.health)),
        _ => (String::new(), theme.text),
    }
}

/// A cell of the k3s HelmCharts / HelmChartConfigs views: the install
/// Job's state read from the Jobs store, a config's chart from its
/// HelmChart of the same name.
pub fn helm_chart(
    state: &State,
    theme: &Theme,
    row: &crate::cluster::rows::helmchart::HelmChartRow,
    column: ColumnId,
) -> Cell {
    let key = crate::cluster::rows::RowKey::new(&row.namespace, &row.name);
    let chart = if row.config {
        state.stores.helm_charts.get(&key)
    } else {
        Some(row)
    };
    let job = chart.and_then(|chart| {
        state.stores.jobs.get(&crate::cluster::rows::RowKey::new(
            &chart.namespace,
            &chart.job,
        ))
    });
    let health = row.health(job.map(|job| job.health));
    match column {
        ColumnId::Namespace => (row.namespace.to_string(), theme.muted),
        ColumnId::Name => (row.name.to_string(), theme.text),
        ColumnId::Chart => match chart {
            Some(chart) => (chart.chart_short().to_string(), theme.text),
            None => ("no HelmChart of this name".to_string(), theme.warn),
        },
        ColumnId::Version => (row.version.to_string(), theme.text),
        ColumnId::TargetNamespace => (row.target_namespace.to_string(), theme.text),
        ColumnId::Job => (
            chart.map(|c| c.job.to_string()).unwrap_or_default(),
            theme.muted,
        ),
        ColumnId::Status => match (job, chart) {
            (Some(job), _) => (job.status.to_string(), health_style(theme, health)),
            (None, Some(_)) => ("no job".to_string(), theme.muted),
            (None, None) => (String::new(), theme.muted),
        },
        ColumnId::Config => {
            let configured = state.stores.helm_chart_configs.get(&key).is_some();
            (if configured { "yes" } else { "" }.to_string(), theme.text)
        }
        ColumnId::Values => (format!("{} lines", row.values_lines), theme.muted),
        ColumnId::Age => (age(row.created, state.now), theme.muted),
        ColumnId::Message => (row.failed.to_string(), theme.error),
        _ => (String::new(), theme.text),
    }
}

/// A cell of the Rollouts view: the plugin's `list rollouts` columns plus
/// ACTUAL-WEIGHT from the canary ReplicaSet, as `get rollout` has it.
pub fn rollout(
    state: &State,
    theme: &Theme,
    row: &crate::cluster::rows::argo::RolloutRow,
    column: ColumnId,
) -> Cell {
    use crate::cluster::argo_rollouts::{picture, status};
    let style = health_style(theme, row.health());
    match column {
        ColumnId::Namespace => (row.namespace.to_string(), theme.muted),
        ColumnId::Name => (row.name.to_string(), theme.text),
        ColumnId::Strategy => (row.strategy.to_string(), theme.text),
        ColumnId::Status => (row.phase.as_str().to_string(), style),
        ColumnId::Step => (row.step.to_string(), theme.text),
        ColumnId::SetWeight => (row.set_weight.to_string(), theme.text),
        ColumnId::ActualWeight => {
            let sets: Vec<_> = state
                .stores
                .rollout_replicasets
                .rows()
                .iter()
                .filter(|rs| rs.namespace == row.namespace && rs.rollout == row.name)
                .collect();
            let canary = picture::canary_available(row, &sets);
            (status::actual_weight(&row.rollout.0, canary), theme.text)
        }
        ColumnId::Ready => (format!("{}/{}", row.ready, row.current), theme.text),
        ColumnId::Available => (row.available.to_string(), theme.text),
        ColumnId::Images => (row.images.to_string(), theme.muted),
        ColumnId::Age => (age(row.created, state.now), theme.muted),
        ColumnId::Message => (row.message.to_string(), style),
        _ => (String::new(), theme.text),
    }
}

/// A cell of the HPA view, as `kubectl get hpa` prints it.
pub fn hpa(
    state: &State,
    theme: &Theme,
    row: &crate::cluster::rows::HpaRow,
    column: ColumnId,
) -> Cell {
    match column {
        ColumnId::Namespace => (row.namespace.to_string(), theme.muted),
        ColumnId::Name => (row.name.to_string(), health_style(theme, row.health)),
        ColumnId::Reference => (row.reference.to_string(), theme.text),
        ColumnId::Targets => (row.targets.to_string(), theme.text),
        ColumnId::MinPods => (row.min_text(), theme.text),
        ColumnId::MaxPods => (row.max_pods.to_string(), theme.text),
        ColumnId::Replicas => (row.replicas.to_string(), theme.text),
        ColumnId::Age => (age(row.created, state.now), theme.muted),
        ColumnId::Message => (row.problem.to_string(), health_style(theme, row.health)),
        _ => (String::new(), theme.text),
    }
}

pub fn job(
    state: &State,
    theme: &Theme,
    row: &crate::cluster::rows::JobRow,
    column: ColumnId,
) -> Cell {
    match column {
        ColumnId::Namespace => (row.namespace.to_string(), theme.muted),
        ColumnId::Name => (row.name.to_string(), theme.text),
        ColumnId::Status => (row.status.to_string(), health_style(theme, row.health)),
        ColumnId::Completions => (format!("{}/{}", row.succeeded, row.completions), theme.text),
        ColumnId::Duration => (
            row.duration(state.now)
                .map(human_duration)
                .unwrap_or_default(),
            theme.muted,
        ),
        ColumnId::Age => (age(row.created, state.now), theme.muted),
        ColumnId::Message => {
            let text = match (row.reason.is_empty(), row.failed) {
                (false, _) => row.reason.to_string(),
                (true, 0) => String::new(),
                (true, failed) => format!("{failed} failed"),
            };
            (text, theme.muted)
        }
        _ => (String::new(), theme.text),
    }
}

fn sync_style(theme: &Theme, sync: Option<crate::gitops::compare::SyncStatus>) -> Style {
    use crate::gitops::compare::SyncStatus;
    match sync {
        Some(SyncStatus::Synced) => theme.ok,
        Some(SyncStatus::OutOfSync) => theme.warn,
        _ => theme.muted,
    }
}

fn app_health_style(theme: &Theme, health: Option<crate::gitops::health::Health>) -> Style {
    use crate::gitops::health::Health;
    match health {
        Some(Health::Healthy) => theme.ok,
        Some(Health::Progressing) => theme.info,
        Some(Health::Suspended) => theme.muted,
        Some(Health::Degraded | Health::Missing) => theme.error,
        Some(Health::Unknown) | None => theme.muted,
    }
}

/// A cell of the apps view.
pub fn app(
    state: &State,
    theme: &Theme,
    entry: &crate::app::gitops::AppEntry,
    column: ColumnId,
) -> Cell {
    let spinner = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
    let syncing = state.gitops.syncing.contains_key(entry.name());
    match column {
        ColumnId::Name => {
            let mut name = entry.name().to_string();
            if entry.spec.auto_sync {
                name.push_str(" ⟳");
            }
            (name, theme.text)
        }
        ColumnId::Sync => {
            let text = match (syncing, entry.sync()) {
                (true, _) => format!("{} Syncing", spinner[(state.now.rem_euclid(10)) as usize]),
                (false, Some(sync)) => sync.as_str().to_string(),
                (false, None) => "…".to_string(),
            };
            (text, sync_style(theme, entry.sync()))
        }
        ColumnId::Health => match entry.health() {
            Some(health) => (
                health.as_str().to_string(),
                app_health_style(theme, Some(health)),
            ),
            None => ("…".to_string(), theme.muted),
        },
        ColumnId::Revision => match entry.eval.as_ref().and_then(|e| e.inventory.as_ref()) {
            Some(inv) => {
                let (id, dirty) = match inv.revision.split_once('+') {
                    Some((id, _)) => (id, "+dirty"),
                    None => (inv.revision.as_str(), ""),
                };
                let short = &id[..id.len().min(7)];
                let behind_head = state.gitops.head().is_some_and(|head| head != id);
                let style = if behind_head { theme.warn } else { theme.text };
                (format!("{short}{dirty}"), style)
            }
            None => ("-".to_string(), theme.muted),
        },
        ColumnId::LastSync => match entry.eval.as_ref().and_then(|e| e.inventory.as_ref()) {
            Some(inv) => {
                let when = inv
                    .synced_at
                    .parse::<jiff::Timestamp>()
                    .map(|t| format!("{} ago", age(Some(t.as_second().min(state.now)), state.now)))
                    .unwrap_or_else(|_| inv.synced_at.clone());
                let style = if inv.succeeded() {
                    theme.text
                } else {
                    theme.error
                };
                let text = if inv.succeeded() {
                    when
                } else {
                    format!("{when} (failed)")
                };
                (text, style)
            }
            None => ("never".to_string(), theme.muted),
        },
        ColumnId::Origin => (entry.spec.origin.short().to_string(), theme.muted),
        ColumnId::Message => {
            let mut text = match &entry.eval {
                Some(eval) => eval.message(),
                None => "rendering…".to_string(),
            };
            if entry.sync() != Some(crate::gitops::compare::SyncStatus::Synced)
                && let Some(waiting) = state.gitops.waiting_for(entry.name())
            {
                text = format!("{waiting}; {text}");
            }
            if syncing && let Some(progress) = state.gitops.sync_progress.get(entry.name()) {
                text = format!("syncing: {progress}");
            }
            let warned = !entry.spec.warnings.is_empty();
            if let Some(warning) = entry.spec.warnings.first() {
                text = format!("{text} · ⚠ {warning}");
            }
            let style = if entry.eval.as_ref().is_some_and(|e| e.error.is_some()) {
                theme.error
            } else if warned {
                theme.warn
            } else if entry.refreshing {
                theme.muted
            } else {
                theme.text
            };
            (text, style)
        }
        _ => (String::new(), theme.text),
    }
}

/// A cell of an app's resource tree.
pub fn app_object(
    theme: &Theme,
    entry: &crate::app::gitops::ObjectEntry,
    column: ColumnId,
) -> Cell {
    use crate::gitops::compare::Change;
    match column {
        ColumnId::Kind => (entry.key.kind.clone(), theme.muted),
        ColumnId::Namespace => (entry.namespace.clone(), theme.muted),
        ColumnId::Name => (entry.key.name.clone(), theme.text),
        ColumnId::Sync => {
            let style = match entry.change {
                Change::Unchanged => theme.ok,
                Change::Drifted | Change::Create => theme.warn,
                Change::PruneCandidate => theme.info,
                Change::Error => theme.error,
            };
            (entry.change.as_str().to_string(), style)
        }
        ColumnId::Health => match entry.health {
            Some(health) => (
                health.as_str().to_string(),
                app_health_style(theme, Some(health)),
            ),
            None => ("-".to_string(), theme.muted),
        },
        ColumnId::Message => {
            let style = if entry.change == Change::Error {
                theme.error
            } else {
                theme.muted
            };
            (entry.message.clone(), style)
        }
        _ => (String::new(), theme.text),
    }
}

/// A cell of the builds view.
pub fn build(
    state: &State,
    theme: &Theme,
    entry: &crate::app::builds::BuildEntry,
    column: ColumnId,
) -> Cell {
    use crate::builds::status::BuildPhase;
    let Some(run) = &entry.run else {
        return match column {
            ColumnId::Name => (entry.build.clone(), theme.text),
            ColumnId::Phase => ("never run".to_string(), theme.muted),
            ColumnId::Image => (
                state
                    .builds
                    .spec(&entry.build)
                    .map(|s| s.image.clone())
                    .unwrap_or_default(),
                theme.muted,
            ),
            ColumnId::Message => ("b builds it".to_string(), theme.muted),
            _ => ("-".to_string(), theme.muted),
        };
    };
    let phase_style = match run.phase {
        BuildPhase::Succeeded => theme.ok,
        BuildPhase::Running | BuildPhase::Pending => theme.info,
        BuildPhase::Failed | BuildPhase::Failing | BuildPhase::Error => theme.error,
        BuildPhase::Unknown => theme.muted,
    };
    match column {
        ColumnId::Namespace => (run.namespace.clone(), theme.muted),
        ColumnId::Name => (run.name.clone(), theme.text),
        ColumnId::Kind => (run.kind.as_str().to_string(), theme.muted),
        ColumnId::Phase => (run.phase.as_str().to_string(), phase_style),
        ColumnId::Image => (run.image.clone(), theme.text),
        ColumnId::Commit => (run.commit.chars().take(7).collect(), theme.text),
        ColumnId::Started => (age(run.started, state.now), theme.muted),
        ColumnId::Duration => match run.duration(state.now) {
            Some(seconds) => (human_duration(seconds), theme.text),
            None => ("-".to_string(), theme.muted),
        },
        ColumnId::Message => (
            run.message.clone(),
            if run.terminal() && run.phase != BuildPhase::Succeeded {
                theme.error
            } else {
                theme.muted
            },
        ),
        _ => (String::new(), theme.text),
    }
}

//! Container-level actions: logs (with a container picker) and shells.

use super::*;

pub(super) fn open_shell(state: &mut State, effects: &mut Vec<Effect>) {
    if refused_readonly(state, "shell") {
        return;
    }
    let view = state.view();
    let (pod, container) = match (&view.kind, &view.pin) {
        (ViewKind::Containers, Pin::Pod(pod)) => (
            pod.clone(),
            view.selected.as_ref().map(|key| key.name.to_string()),
        ),
        (ViewKind::Resource(ResourceKind::Pods), _) => match view.selected.clone() {
            Some(pod) => {
                let containers = regular_containers(state, &pod);
                if containers.len() > 1 {
                    open_picker(
                        state,
                        format!("shell in pod/{}", pod.name),
                        containers,
                        PickPurpose::Shell { pod },
                    );
                    return;
                }
                (pod, containers.into_iter().next())
            }
            None => return,
        },
        _ => return,
    };
    let Some(container) = container else {
        state.flash(Level::Warn, "this pod has no container to open a shell in");
        return;
    };
    effects.push(Effect::Shell { pod, container });
}

/// The regular (non-init) containers of a pod, in spec order.
pub(super) fn regular_containers(state: &State, pod: &crate::cluster::rows::RowKey) -> Vec<String> {
    state
        .stores
        .pods
        .get(pod)
        .map(|row| {
            row.containers
                .iter()
                .filter(|container| !container.init)
                .map(|container| container.name.to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// "All containers" heads the logs picker.
pub(super) const ALL_CONTAINERS: &str = "all containers";

pub(super) fn open_picker(
    state: &mut State,
    title: String,
    choices: Vec<String>,
    purpose: PickPurpose,
) {
    state.picker = Some(Picker {
        title,
        choices,
        cursor: 0,
        purpose,
    });
}

pub(super) fn on_picker_key(state: &mut State, key: KeyEvent, effects: &mut Vec<Effect>) {
    let Some(picker) = state.picker.as_mut() else {
        return;
    };
    match key.code {
        KeyCode::Up | KeyCode::Char('k') => picker.cursor = picker.cursor.saturating_sub(1),
        KeyCode::Down | KeyCode::Char('j') => {
            picker.cursor = (picker.cursor + 1).min(picker.choices.len().saturating_sub(1))
        }
        KeyCode::Esc | KeyCode::Char('q') => state.picker = None,
        KeyCode::Enter => {
            let Some(picker) = state.picker.take() else {
                return;
            };
            let Some(choice) = picker.choices.get(picker.cursor).cloned() else {
                return;
            };
            match picker.purpose {
                PickPurpose::Revision { .. } => {
                    super::workload_history::open_revision(state, picker.cursor)
                }
                PickPurpose::HelmRollback {
                    namespace,
                    release,
                    revisions,
                } => {
                    if let Some(revision) = revisions.get(picker.cursor) {
                        super::helm::confirm_rollback(state, namespace, release, *revision);
                    }
                }
                PickPurpose::Rollback { app, revisions } => {
                    let revision = revisions.get(picker.cursor).cloned().flatten();
                    super::gitops::pick_rollback(state, &app, revision, &choice, effects);
                }
                PickPurpose::Shell { pod } => effects.push(Effect::Shell {
                    pod,
                    container: choice,
                }),
                PickPurpose::Logs { pod, previous } => {
                    let container = (choice != ALL_CONTAINERS).then_some(choice);
                    start_logs(
                        state,
                        crate::app::logs::LogScope::Pod {
                            key: pod,
                            container,
                        },
                        previous,
                        effects,
                    );
                }
            }
        }
        _ => {}
    }
}

pub(super) fn open_logs(state: &mut State, previous: bool, effects: &mut Vec<Effect>) {
    use crate::app::logs::LogScope;
    let view = state.view();
    let scope = match (view.kind, &view.pin, view.selected.clone()) {
        (ViewKind::Resource(ResourceKind::Pods), _, Some(key)) => {
            let containers = regular_containers(state, &key);
            if containers.len() > 1 {
                let mut choices = vec![ALL_CONTAINERS.to_string()];
                choices.extend(containers);
                open_picker(
                    state,
                    format!("logs of pod/{}", key.name),
                    choices,
                    PickPurpose::Logs { pod: key, previous },
                );
                return;
            }
            LogScope::Pod {
                key,
                container: None,
            }
        }
        (ViewKind::Containers, Pin::Pod(pod), Some(container)) => LogScope::Pod {
            key: pod.clone(),
            container: Some(container.name.to_string()),
        },
        (
            ViewKind::Resource(
                kind @ (ResourceKind::Deployments
                | ResourceKind::StatefulSets
                | ResourceKind::DaemonSets),
            ),
            _,
            Some(key),
        ) => match state
            .stores
            .workloads(kind)
            .and_then(|store| store.get(&key))
        {
            Some(row) => LogScope::Workload {
                kind,
                key,
                selector: row.selector.clone(),
            },
            None => return,
        },
        (ViewKind::Resource(ResourceKind::Rollouts), _, Some(key)) => {
            match state.stores.rollouts.get(&key) {
                Some(row) => LogScope::Workload {
                    kind: ResourceKind::Rollouts,
                    key,
                    selector: row.selector.clone(),
                },
                None => return,
            }
        }
        (ViewKind::Builds, _, _) => match super::builds::run_log_scope(state) {
            Some(scope) => scope,
            None => return,
        },
        (ViewKind::Resource(ResourceKind::Jobs), _, Some(key)) => match state.stores.jobs.get(&key)
        {
            Some(row) => crate::app::logs::LogScope::Workload {
                kind: ResourceKind::Jobs,
                key,
                selector: row.selector.clone(),
            },
            None => return,
        },
        _ => {
            state.flash(Level::Warn, "logs work on pods, containers and workloads");
            return;
        }
    };
    start_logs(state, scope, previous, effects);
}

pub(super) fn start_logs(
    state: &mut State,
    scope: crate::app::logs::LogScope,
    previous: bool,
    effects: &mut Vec<Effect>,
) {
    use crate::app::logs::{LogScope, LogView, reconcile_sources};
    let title = match &scope {
        LogScope::Pod {
            key,
            container: Some(container),
        } => format!("pod/{} -c {container} -n {}", key.name, key.namespace),
        LogScope::Pod {
            key,
            container: None,
        } => format!("pod/{} -n {}", key.name, key.namespace),
        LogScope::Workload { kind, key, .. } => format!(
            "{}/{} -n {}",
            kind.kind().to_lowercase(),
            key.name,
            key.namespace
        ),
    };
    state.next_request += 1;
    state.logs = Some(LogView::new(
        state.next_request,
        title,
        scope,
        previous,
        state.log_capacity,
    ));
    reconcile_sources(state, effects);
    if state
        .logs
        .as_ref()
        .is_some_and(|view| view.sources.is_empty())
    {
        let what = if previous {
            "no previous (terminated) container"
        } else {
            "no container with logs yet"
        };
        state.flash(Level::Warn, what);
    }
}

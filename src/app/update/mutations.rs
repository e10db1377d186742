//! Mutations: confirm first (restart, delete, kill, renew), the scale
//! prompt, and the YAML editor.

use super::*;

pub(super) fn ask_renew(state: &mut State) {
    if refused_readonly(state, "renew") {
        return;
    }
    let Some(key) = state.view().selected.clone() else {
        return;
    };
    let is_certificate = state.certs.iter().any(|entry| {
        entry.view.kind == "Certificate"
            && entry.view.namespace == key.namespace.as_ref()
            && entry.view.name == key.name.as_ref()
    });
    if state.view().kind != ViewKind::Certs || !is_certificate {
        state.flash(
            Level::Warn,
            "renew works on cert-manager Certificates (the certs view)",
        );
        return;
    }
    let mutation = Mutation::Renew { key };
    state.confirm = Some(Confirm {
        question: format!(
            "Ask cert-manager to reissue {}?",
            mutation.describe().trim_start_matches("renew ")
        ),
        action: ConfirmAction::Mutation(mutation),
        alternative: None,
    });
}

pub(super) fn ask_restart(state: &mut State) {
    if refused_readonly(state, "restart") {
        return;
    }
    match selected_resource(state) {
        Some((
            kind @ (ResourceKind::Deployments
            | ResourceKind::StatefulSets
            | ResourceKind::DaemonSets),
            key,
        )) => {
            let mutation = Mutation::Restart { kind, key };
            state.confirm = Some(Confirm {
                question: format!(
                    "Rollout restart {}?",
                    mutation.describe().trim_start_matches("restart ")
                ),
                action: ConfirmAction::Mutation(mutation),
                alternative: None,
            });
        }
        Some((ResourceKind::Rollouts, _)) => super::argo_rollouts::ask(
            state,
            crate::cluster::argo_rollouts::actions::RolloutAction::Restart,
        ),
        _ if super::argo_rollouts::picture_key(state).is_some() => super::argo_rollouts::ask(
            state,
            crate::cluster::argo_rollouts::actions::RolloutAction::Restart,
        ),
        _ => state.flash(
            Level::Warn,
            "restart works on deployments, statefulsets, daemonsets and rollouts",
        ),
    }
}

pub(super) fn ask_delete(state: &mut State, kill: bool) {
    if refused_readonly(state, if kill { "kill" } else { "delete" }) {
        return;
    }
    let Some((kind, key)) = selected_resource(state) else {
        state.flash(Level::Warn, "select an object first");
        return;
    };
    let mutation = if kill {
        if kind != ResourceKind::Pods {
            state.flash(
                Level::Warn,
                "kill works on pods; use delete for other objects",
            );
            return;
        }
        Mutation::Kill { key }
    } else {
        Mutation::Delete { kind, key }
    };
    let question = match &mutation {
        Mutation::Kill { .. } => format!(
            "Kill {} now (grace period 0)?",
            mutation.describe().trim_start_matches("kill ")
        ),
        _ => format!(
            "Delete {}?",
            mutation.describe().trim_start_matches("delete ")
        ),
    };
    state.confirm = Some(Confirm {
        question,
        action: ConfirmAction::Mutation(mutation),
        alternative: None,
    });
}

pub(super) fn ask_scale(state: &mut State) {
    if refused_readonly(state, "scale") {
        return;
    }
    match selected_resource(state) {
        Some((kind @ (ResourceKind::Deployments | ResourceKind::StatefulSets), key)) => {
            let current = state
                .stores
                .workloads(kind)
                .and_then(|store| store.get(&key))
                .map(|row| row.desired.to_string())
                .unwrap_or_default();
            // An HPA owns the count: say so before anyone types one.
            let hpa = state
                .stores
                .hpa_for(kind.kind(), &key.namespace, &key.name)
                .map(|hpa| format!("HPA {} ({})", hpa.name, hpa.range()));
            if let Some(hpa) = hpa {
                state.flash(
                    Level::Warn,
                    format!(
                        "{} {key} is scaled by {hpa}: it will undo a manual scale",
                        kind.kind()
                    ),
                );
            }
            state.scale_target = Some((kind, key));
            state.input = Input::Scale(current);
        }
        _ => state.flash(Level::Warn, "scale works on deployments and statefulsets"),
    }
}

/// The scale prompt's answer: the confirm, with the current count and the
/// HPA that would undo it.
pub(super) fn ask_scale_confirm(
    state: &mut State,
    kind: ResourceKind,
    key: crate::cluster::rows::RowKey,
    replicas: i32,
) {
    let current = state
        .stores
        .workloads(kind)
        .and_then(|store| store.get(&key))
        .map(|row| row.desired);
    let hpa = state
        .stores
        .hpa_for(kind.kind(), &key.namespace, &key.name)
        .map(|hpa| format!(" {} ({}) will undo it.", hpa.name, hpa.range()))
        .unwrap_or_default();
    let mutation = Mutation::Scale {
        kind,
        key,
        replicas,
    };
    let from = current.map(|n| format!(" from {n}")).unwrap_or_default();
    state.confirm = Some(Confirm {
        question: format!(
            "Scale {}{from} to {replicas}?{hpa}",
            mutation
                .describe()
                .trim_start_matches("scale ")
                .split(" --replicas")
                .next()
                .unwrap_or_default()
        ),
        action: ConfirmAction::Mutation(mutation),
        alternative: None,
    });
}

/// Start a confirmed (or typed-in) mutation.
pub(super) fn start_mutation(state: &mut State, mutation: Mutation, effects: &mut Vec<Effect>) {
    state.next_request += 1;
    let request = state.next_request;
    let followed = match &mutation {
        Mutation::Restart { .. } | Mutation::Undo { .. } => true,
        Mutation::Rollout { action, .. } => action.is_followed(),
        _ => false,
    };
    if followed {
        state.rollouts.push(RolloutPanel {
            request,
            title: mutation.describe(),
            progress: None,
            reconnecting: None,
            finished: None,
        });
    }
    state.flash(Level::Info, format!("{}…", mutation.describe()));
    effects.push(Effect::Mutate { request, mutation });
}

pub(super) fn on_confirm_key(state: &mut State, key: KeyEvent, effects: &mut Vec<Effect>) {
    let alternative = state
        .confirm
        .as_ref()
        .and_then(|c| c.alternative.as_ref())
        .map(|a| a.key);
    let chosen = match key.code {
        KeyCode::Char('y') | KeyCode::Char('Y') | KeyCode::Enter => {
            state.confirm.take().map(|c| c.action)
        }
        KeyCode::Char(c) if Some(c) == alternative => state
            .confirm
            .take()
            .and_then(|c| c.alternative)
            .map(|a| a.action),
        KeyCode::Char('n') | KeyCode::Char('N') | KeyCode::Esc | KeyCode::Char('q') => {
            state.confirm = None;
            state.flash(Level::Info, "cancelled");
            return;
        }
        _ => return,
    };
    match chosen {
        Some(ConfirmAction::Mutation(mutation)) => start_mutation(state, mutation, effects),
        Some(ConfirmAction::HelmRollback {
            namespace,
            release,
            revision,
        }) => {
            state.next_request += 1;
            state.flash(
                Level::Info,
                format!("helm rollback {release} {revision} -n {namespace}…"),
            );
            effects.push(Effect::HelmRollback {
                request: state.next_request,
                namespace,
                release,
                revision,
            });
        }
        Some(ConfirmAction::Sync {
            app,
            prune,
            allow_shared,
            rollback,
            object,
        }) => super::gitops::start_sync(
            state,
            &app,
            super::gitops::SyncRequest {
                prune,
                allow_shared,
                interactive: true,
                rollback,
                object,
            },
            effects,
        ),
        Some(ConfirmAction::QuitInterrupting) => super::begin_quit(state, effects),
        Some(ConfirmAction::Build { build }) => super::builds::start_build(state, &build, effects),
        Some(ConfirmAction::CancelBuild {
            kind,
            namespace,
            name,
        }) => super::builds::start_cancel(state, kind, namespace, name, effects),
        None => {}
    }
}

pub(super) fn open_editor(state: &mut State, effects: &mut Vec<Effect>) {
    if refused_readonly(state, "edit") {
        return;
    }
    let Some((kind, key)) = selected_resource(state) else {
        state.flash(Level::Warn, "select an object to edit");
        return;
    };
    state.next_request += 1;
    let request = state.next_request;
    state.editor = Some(crate::app::state::Editor {
        request,
        kind,
        key: key.clone(),
        textarea: ratatui_textarea::TextArea::default(),
        original: String::new(),
        loading: true,
        saving: false,
        error: None,
        discard_armed: false,
    });
    effects.push(Effect::FetchForEdit { request, kind, key });
}

pub(super) fn on_editor_key(state: &mut State, key: KeyEvent, effects: &mut Vec<Effect>) {
    let Some(editor) = state.editor.as_mut() else {
        return;
    };
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    match key.code {
        KeyCode::Esc => {
            if !editor.modified() || editor.discard_armed {
                state.editor = None;
            } else {
                editor.discard_armed = true;
                editor.error = Some(
                    "unsaved changes: esc again discards them, ctrl-s applies them".to_string(),
                );
            }
        }
        KeyCode::Char('s') if ctrl => {
            if editor.loading || editor.saving {
                return;
            }
            if !editor.modified() {
                editor.error = Some("nothing changed".to_string());
                return;
            }
            state.next_request += 1;
            editor.request = state.next_request;
            editor.saving = true;
            editor.error = None;
            effects.push(Effect::ApplyEdit {
                request: editor.request,
                kind: editor.kind,
                key: editor.key.clone(),
                yaml: editor.text(),
                original: editor.original.clone(),
            });
        }
        _ if !editor.loading && !editor.saving => {
            editor.discard_armed = false;
            editor.textarea.input(key);
        }
        _ => {}
    }
}

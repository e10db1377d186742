//! `h` on a Deployment, StatefulSet or DaemonSet: its revisions (ReplicaSets
//! or ControllerRevisions) as `kubectl rollout history` lists
//! them; `enter` on one shows its template diff against the current one;
//! `u` undoes to it (or, on the Deployment row, to the previous revision)
//! after a confirm, as `kubectl rollout undo [--to-revision]`, followed in
//! the rollout panel (cluster::history has the semantics).

use super::*;
use crate::app::state::{ConfirmAction, PickPurpose, WorkloadHistory};
use crate::cluster::actions::Mutation;
use crate::cluster::history::RevisionEntry;

/// `h` on a workload row.
pub(super) fn ask_history(state: &mut State, effects: &mut Vec<Effect>) {
    match selected_resource(state) {
        Some((
            kind @ (ResourceKind::Deployments
            | ResourceKind::StatefulSets
            | ResourceKind::DaemonSets),
            key,
        )) => {
            state.next_request += 1;
            let request = state.next_request;
            state.workload_history = Some(WorkloadHistory {
                request,
                kind,
                key: key.clone(),
                entries: Vec::new(),
                open: None,
            });
            effects.push(Effect::FetchHistory { request, kind, key });
        }
        _ => state.flash(
            Level::Warn,
            "select a deployment, statefulset or daemonset to see its revisions",
        ),
    }
}

/// The revisions arrived: the picker, newest first.
pub(super) fn on_history(
    state: &mut State,
    request: u64,
    key: crate::cluster::rows::RowKey,
    result: Result<Vec<RevisionEntry>, String>,
) {
    let Some(history) = state
        .workload_history
        .as_mut()
        .filter(|h| h.request == request)
    else {
        return; // another `h` since
    };
    let kind = history.kind.kind().to_lowercase();
    let entries = match result {
        Ok(entries) if entries.is_empty() => {
            state.workload_history = None;
            return state.flash(Level::Info, format!("{kind}/{} has no revisions", key.name));
        }
        Ok(entries) => entries,
        Err(error) => {
            state.workload_history = None;
            return state.flash(Level::Error, error);
        }
    };
    let now = state.now;
    let choices = entries
        .iter()
        .map(|e| {
            format!(
                "{:<4} {:<40} {:<36} {:>6}{}",
                e.number,
                e.change_cause,
                e.images.join(","),
                crate::cluster::age::age(e.created, now),
                if e.current { "  (current)" } else { "" }
            )
        })
        .collect();
    history.entries = entries;
    super::containers::open_picker(
        state,
        format!(
            "revisions of {kind}/{} — REVISION CHANGE-CAUSE IMAGES AGE · enter: diff · esc",
            key.name
        ),
        choices,
        PickPurpose::Revision { key },
    );
}

/// `enter` on a revision: its template diff, `u` going on to undo.
pub(super) fn open_revision(state: &mut State, index: usize) {
    let Some(history) = state.workload_history.as_ref() else {
        return;
    };
    let Some(entry) = history.entries.get(index) else {
        return;
    };
    let key = history.key.clone();
    let kind = history.kind.kind().to_lowercase();
    let number = entry.number;
    let mut lines: Vec<String> = if entry.current {
        vec![format!(
            "revision {number} is the one running now: nothing to undo to"
        )]
    } else {
        entry.diff.lines().map(str::to_string).collect()
    };
    lines.insert(0, format!("# change-cause: {}", entry.change_cause));
    state.next_request += 1;
    let request = state.next_request;
    let title = format!("{kind}/{} revision {number} — u undo to it · esc", key.name);
    state.detail = Some(Detail::text(request, title, lines, None));
    if let Some(history) = state.workload_history.as_mut() {
        history.open = Some((request, number));
    }
}

/// `u` while a revision's diff is open: that revision; else `None`.
pub(super) fn open_revision_target(
    state: &State,
) -> Option<(ResourceKind, crate::cluster::rows::RowKey, i64)> {
    let detail = state.detail.as_ref()?;
    let history = state.workload_history.as_ref()?;
    let (request, number) = history.open?;
    (detail.request == request).then(|| (history.kind, history.key.clone(), number))
}

/// `u`: the confirm, kubectl's command in it.
pub(super) fn ask_undo(state: &mut State) {
    if refused_readonly(state, "undo") {
        return;
    }
    let (kind, key, to_revision) = match open_revision_target(state) {
        Some(target) => target,
        None => match selected_resource(state) {
            Some((
                kind @ (ResourceKind::Deployments
                | ResourceKind::StatefulSets
                | ResourceKind::DaemonSets),
                key,
            )) => (kind, key, 0),
            _ => {
                return state.flash(
                    Level::Warn,
                    "undo works on deployments, statefulsets and daemonsets",
                );
            }
        },
    };
    let mutation = Mutation::Undo {
        kind,
        key: key.clone(),
        to_revision,
    };
    let which = if to_revision == 0 {
        "its previous revision".to_string()
    } else {
        format!("revision {to_revision}")
    };
    state.confirm = Some(Confirm {
        question: format!(
            "Undo {}/{} -n {} to {which}? (kubectl {})",
            kind.kind().to_lowercase(),
            key.name,
            key.namespace,
            mutation.describe()
        ),
        action: ConfirmAction::Mutation(mutation),
        alternative: None,
    });
}

//! The Helm releases view: `enter` shows the release's history from the
//! rows already there (`helm history`); `v` its values, masked, and `m` its
//! manifest, Secret data masked — fetched and decoded by the runtime
//! (cluster::helm), never kept in rows; `u` rolls a release back to an
//! earlier revision with `helm rollback` (cluster::helm_rollback).

use super::*;
use crate::app::effect::HelmPart;

/// The release under the cursor.
fn selected(state: &State) -> Option<crate::cluster::rows::HelmReleaseRow> {
    let (ResourceKind::HelmReleases, key) = selected_resource(state)? else {
        return None;
    };
    state.stores.helm_releases.get(&key).cloned()
}

/// `enter`: every revision of the release, newest first, as `helm history`.
pub(super) fn open_history(state: &mut State) {
    let Some(row) = selected(state) else {
        return;
    };
    let mut revisions: Vec<&crate::cluster::rows::HelmReleaseRow> = state
        .stores
        .helm_releases
        .rows()
        .iter()
        .filter(|r| r.namespace == row.namespace && r.release == row.release)
        .collect();
    revisions.sort_by_key(|r| std::cmp::Reverse(r.revision));
    let now = state.now;
    let mut lines = vec![format!(
        "{:<9}{:<10}{:<14}{:<32}{:<14}DESCRIPTION",
        "REVISION", "UPDATED", "STATUS", "CHART", "APP VERSION"
    )];
    for r in revisions {
        let description = if r.problem.is_empty() {
            r.description.to_string()
        } else {
            r.problem.to_string()
        };
        lines.push(format!(
            "{:<9}{:<10}{:<14}{:<32}{:<14}{description}",
            r.revision,
            crate::cluster::age::age(r.updated, now),
            r.status,
            r.chart,
            r.app_version
        ));
    }
    state.next_request += 1;
    let title = format!(
        "history of {}/{} — v values · m manifest · esc",
        row.namespace, row.release
    );
    state.detail = Some(Detail::text(state.next_request, title, lines, None));
}

/// `v` / `m`: the newest revision's values or manifest, fetched.
pub(super) fn open_part(state: &mut State, part: HelmPart, effects: &mut Vec<Effect>) {
    let Some(row) = selected(state) else {
        return state.flash(Level::Warn, "select a Helm release");
    };
    state.next_request += 1;
    let request = state.next_request;
    let what = match part {
        HelmPart::Values => "values (masked)",
        HelmPart::Manifest => "manifest (Secret data masked)",
    };
    let mut detail = Detail::text(
        request,
        format!(
            "{what} of {}/{} revision {}",
            row.namespace, row.release, row.revision
        ),
        Vec::new(),
        None,
    );
    detail.loading = true;
    state.detail = Some(detail);
    effects.push(Effect::FetchHelm {
        request,
        key: crate::cluster::rows::RowKey::new(&row.namespace, &row.secret),
        part,
    });
}

/// `u` on a release: its earlier revisions to roll back to, newest first.
pub(super) fn ask_rollback(state: &mut State) {
    if refused_readonly(state, "helm rollback") {
        return;
    }
    let Some(row) = selected(state) else {
        return state.flash(Level::Warn, "select a Helm release");
    };
    let mut earlier: Vec<&crate::cluster::rows::HelmReleaseRow> = state
        .stores
        .helm_releases
        .rows()
        .iter()
        .filter(|r| {
            r.namespace == row.namespace && r.release == row.release && r.revision < row.revision
        })
        .collect();
    earlier.sort_by_key(|r| std::cmp::Reverse(r.revision));
    if earlier.is_empty() {
        return state.flash(
            Level::Info,
            format!("{} has no earlier revision to roll back to", row.release),
        );
    }
    let now = state.now;
    let choices = earlier
        .iter()
        .map(|r| {
            format!(
                "{:<4} {:<12} {:<32} {:<10} {}",
                r.revision,
                r.status,
                r.chart,
                crate::cluster::age::age(r.updated, now),
                r.description
            )
        })
        .collect();
    let revisions = earlier.iter().map(|r| r.revision).collect();
    super::containers::open_picker(
        state,
        format!(
            "roll {}/{} back to — REVISION STATUS CHART UPDATED DESCRIPTION · enter · esc",
            row.namespace, row.release
        ),
        choices,
        PickPurpose::HelmRollback {
            namespace: row.namespace.to_string(),
            release: row.release.to_string(),
            revisions,
        },
    );
}

/// The confirm, helm's command in it.
pub(super) fn confirm_rollback(
    state: &mut State,
    namespace: String,
    release: String,
    revision: i64,
) {
    state.confirm = Some(Confirm {
        question: format!(
            "Roll {namespace}/{release} back to revision {revision}? (helm rollback {release} {revision} -n {namespace}: a new revision with revision {revision}'s chart and values)"
        ),
        action: ConfirmAction::HelmRollback {
            namespace,
            release,
            revision,
        },
        alternative: None,
    });
}

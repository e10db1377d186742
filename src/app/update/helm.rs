//! The Helm releases view: `enter` shows the release's history from the
//! rows already there (`helm history`); `v` its values, masked, and `m` its
//! manifest, Secret data masked — fetched and decoded by the runtime
//! (cluster::helm), never kept in rows.

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

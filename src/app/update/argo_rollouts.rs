//! The Argo Rollouts view: `enter` shows the `get rollout` picture, redrawn
//! from the stores as the watchers move; promote, abort, retry, pause or
//! resume, restart and set image are confirmed, audited and done as the
//! kubectl plugin does them (cluster::argo_rollouts::actions), followed in
//! the rollout panel to the next pause or to Healthy.

use super::*;
use crate::cluster::argo_rollouts::picture::{self, PictureInput};
use crate::cluster::rows::RowKey;
use crate::cluster::rows::argo::RolloutRow;

/// The Rollout whose picture the pager shows, if it does.
pub(super) fn picture_key(state: &State) -> Option<RowKey> {
    state.detail.as_ref()?.live_rollout.clone()
}

/// The Rollout under the cursor, or the one whose picture is open.
fn target(state: &State) -> Option<RolloutRow> {
    let key = picture_key(state).or_else(|| match selected_resource(state) {
        Some((ResourceKind::Rollouts, key)) => Some(key),
        _ => None,
    })?;
    state.stores.rollouts.get(&key).cloned()
}

fn title(key: &RowKey) -> String {
    format!(
        "rollout {key} — enter pods · p promote · F full · a abort · t retry · z pause/resume · r restart · i image · esc"
    )
}

pub(super) fn picture_lines(state: &State, key: &RowKey) -> Vec<String> {
    let Some(row) = state.stores.rollouts.get(key) else {
        return vec![format!("rollout {key} is gone")];
    };
    let input = PictureInput {
        rollout: row,
        replicasets: state.stores.rollout_replicasets.rows().iter().collect(),
        pods: state
            .stores
            .pods
            .rows()
            .iter()
            .filter(|pod| pod.namespace == row.namespace)
            .collect(),
        runs: state.stores.analysis_runs.rows().iter().collect(),
        now: state.now,
    };
    picture::picture(&input)
}

/// `enter` on a Rollout.
pub(super) fn open_picture(state: &mut State) {
    let Some(row) = target(state) else {
        return;
    };
    let key = RowKey::new(&row.namespace, &row.name);
    state.next_request += 1;
    let mut detail = Detail::text(
        state.next_request,
        title(&key),
        picture_lines(state, &key),
        None,
    );
    detail.live_rollout = Some(key);
    state.detail = Some(detail);
}

/// `enter` over the picture: the Rollout's pods, as a workload's.
pub(super) fn open_pods(state: &mut State) {
    let Some(row) = target(state) else {
        return;
    };
    state.detail = None;
    open_pods_of(
        state,
        format!("rollout/{}", row.name),
        &row.namespace,
        &row.selector,
    );
}

/// Redraws an open picture after its rows moved; the scroll stays.
pub(super) fn refresh_picture(state: &mut State) {
    let Some(key) = picture_key(state) else {
        return;
    };
    let lines = picture_lines(state, &key);
    if let Some(detail) = state.detail.as_mut()
        && detail.lines != lines
    {
        detail.scroll = detail.scroll.min(lines.len().saturating_sub(1));
        detail.lines = lines;
        state.dirty = true;
    }
}

/// A key pressed over a rollout's picture that is a rollout action.
pub(super) fn picture_action(state: &State, key: &KeyEvent) -> Option<Action> {
    picture_key(state)?;
    match state.keymap.action(KeyContext::Rollouts, key) {
        Some(action) => Some(action),
        None => match state.keymap.action(KeyContext::Global, key) {
            Some(Action::Restart) => Some(Action::Restart),
            _ => None,
        },
    }
}

fn question(row: &RolloutRow, action: &RolloutAction) -> String {
    let target = format!("rollout {}/{}", row.namespace, row.name);
    let now = row.status_text();
    match action {
        RolloutAction::Promote => format!("Promote {target} (now {now}, step {})?", row.step),
        RolloutAction::PromoteFull => {
            format!("Fully promote {target}, skipping its remaining steps and analysis?")
        }
        RolloutAction::Abort => {
            format!("Abort {target}? The stable version takes all the pods back (now {now})")
        }
        RolloutAction::Retry => format!("Retry the aborted {target}?"),
        RolloutAction::Pause => format!("Pause {target} (spec.paused)?"),
        RolloutAction::Resume => format!("Resume {target} (spec.paused: false)?"),
        RolloutAction::Restart => {
            format!("Restart the pods of {target} (spec.restartAt now)?")
        }
        RolloutAction::SetImage { container, image } => {
            format!("Set image {container}={image} on {target}?")
        }
    }
}

/// Confirm, then do `action` on the selected Rollout.
pub(super) fn ask(state: &mut State, action: RolloutAction) {
    if refused_readonly(state, action.verb()) {
        return;
    }
    let Some(row) = target(state) else {
        state.flash(Level::Warn, "select a rollout (:rollouts)");
        return;
    };
    if !row.problem.is_empty() {
        state.flash(Level::Error, format!("{}: {}", row.name, row.problem));
        return;
    }
    let question = question(&row, &action);
    let key = RowKey::new(&row.namespace, &row.name);
    state.confirm = Some(Confirm {
        question,
        action: ConfirmAction::Mutation(Mutation::Rollout { key, action }),
        alternative: None,
    });
}

/// `z`: pause, or resume a rollout paused by `spec.paused`.
pub(super) fn ask_pause_resume(state: &mut State) {
    let paused = target(state).is_some_and(|row| row.rollout.0.spec.paused);
    ask(
        state,
        if paused {
            RolloutAction::Resume
        } else {
            RolloutAction::Pause
        },
    );
}

/// `i`: asks for `CONTAINER=IMAGE`, prefilled with the first container.
pub(super) fn ask_set_image(state: &mut State) {
    if refused_readonly(state, "set image") {
        return;
    }
    let Some(row) = target(state) else {
        state.flash(Level::Warn, "select a rollout (:rollouts)");
        return;
    };
    let prefill = row
        .containers
        .first()
        .map(|(name, image)| format!("{name}={image}"))
        .unwrap_or_default();
    state.image_target = Some(RowKey::new(&row.namespace, &row.name));
    state.input = Input::SetImage(prefill);
}

/// Enter in the `set image` prompt.
pub(super) fn submit_set_image(state: &mut State, line: &str) {
    let Some(key) = state.image_target.take() else {
        return;
    };
    let Some((container, image)) = line
        .trim()
        .split_once('=')
        .filter(|(c, i)| !c.trim().is_empty() && !i.trim().is_empty())
    else {
        state.flash(
            Level::Error,
            format!("\"{}\" is not CONTAINER=IMAGE", line.trim()),
        );
        state.image_target = Some(key);
        state.input = Input::SetImage(line.to_string());
        return;
    };
    let Some(row) = state.stores.rollouts.get(&key).cloned() else {
        return;
    };
    let action = RolloutAction::SetImage {
        container: container.trim().to_string(),
        image: image.trim().to_string(),
    };
    state.confirm = Some(Confirm {
        question: question(&row, &action),
        action: ConfirmAction::Mutation(Mutation::Rollout { key, action }),
        alternative: None,
    });
}

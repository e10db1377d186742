//! `update`: plain code that changes State and returns Effects. It never
//! awaits and never touches the API (DESIGN §3).

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use crate::cluster::actions::Mutation;
use crate::cluster::argo_rollouts::actions::RolloutAction;
use crate::cluster::fetch::DetailKind;
use crate::cluster::kind::ResourceKind;
use crate::cluster::metrics::MetricsMessage;
use crate::cluster::watch::{KindRows, WatchMessage, WatchStatus};
use crate::config::keymap::KeyContext;

use super::action::Action;
use super::command::{self, Command};
use super::effect::Effect;
use super::event::{AppEvent, ClusterMessage};
use super::filter::Filter;
use super::state::{
    Confirm, ConfirmAction, Detail, HISTORY_LEN, Input, Level, PickPurpose, Picker, RolloutPanel,
    State,
};
use super::table;
use super::view::{Pin, ViewKind, ViewState, columns};

mod argo_rollouts;
mod builds;
mod cluster;
mod containers;
mod gitops;
mod helm;
mod input;
mod mutations;
mod workload_history;

use cluster::*;
use containers::*;
use input::*;
use mutations::*;

/// How long a flash message stays in the status bar.
const FLASH_SECONDS: i64 = 6;

/// How long a finished rollout stays in the panel.
const ROLLOUT_LINGER_SECONDS: i64 = 10;

pub fn update(state: &mut State, event: AppEvent) -> Vec<Effect> {
    let mut effects = Vec::new();
    match event {
        AppEvent::Key(key) => {
            // Windows and kitty-protocol terminals also report releases.
            if key.kind != KeyEventKind::Release {
                let before = state.view().kind;
                on_key(state, key, &mut effects);
                state.dirty = true;
                // A view whose kinds are not listed yet starts them now.
                let switched_context = effects.iter().any(|e| matches!(e, Effect::Connect { .. }));
                if state.view().kind != before
                    && !switched_context
                    && first_kinds(state)
                        .iter()
                        .any(|kind| state.status_of(*kind) == WatchStatus::Loading)
                {
                    effects.push(Effect::WatchAll { epoch: state.epoch });
                }
            }
        }
        AppEvent::Resize => state.dirty = true,
        AppEvent::Tick => on_tick(state),
        AppEvent::Cluster { epoch, message } => {
            if epoch == state.epoch {
                on_cluster(state, message, &mut effects);
            }
        }
        AppEvent::Connected { epoch, info } => {
            if epoch == state.epoch {
                state.context = info;
                state.connected = true;
                state.dirty = true;
            }
        }
        AppEvent::ConnectFailed { epoch, error } => {
            if epoch == state.epoch {
                state.flash(Level::Error, error);
                state.dirty = true;
            }
        }
        AppEvent::History {
            request,
            key,
            result,
        } => {
            workload_history::on_history(state, request, key, result);
            state.dirty = true;
        }
        AppEvent::Detail { request, result } => {
            if let Some(detail) = state.detail.as_mut()
                && detail.request == request
            {
                detail.loading = false;
                match result {
                    Ok(text) => detail.lines = text.lines().map(str::to_string).collect(),
                    Err(error) => detail.error = Some(error),
                }
                state.dirty = true;
            }
        }
        AppEvent::Log { session, event } => crate::app::logs::on_log_event(state, session, event),
        AppEvent::Gitops(event) => gitops::on_event(state, event, &mut effects),
        AppEvent::Builds(event) => builds::on_event(state, event, &mut effects),
        AppEvent::Saved { result } => {
            match result {
                Ok(text) => state.flash(Level::Info, text),
                Err(error) => state.flash(Level::Error, error),
            }
            state.dirty = true;
        }
        AppEvent::AuditFailed(error) => {
            state.flash(Level::Error, error);
            state.dirty = true;
        }
        AppEvent::RunInTerminal(_) | AppEvent::Clipboard(_) => {
            // Handled by the run loop, which owns the terminal.
        }
        AppEvent::ShellDone { result } => {
            match result {
                Ok(text) => state.flash(Level::Info, text),
                Err(error) => state.flash(Level::Error, error),
            }
            state.dirty = true;
        }
        AppEvent::EditLoaded { request, result } => {
            if let Some(editor) = state.editor.as_mut()
                && editor.request == request
            {
                match result {
                    Ok(text) => {
                        editor.textarea = ratatui_textarea::TextArea::new(
                            text.lines().map(str::to_string).collect(),
                        );
                        editor.original = text;
                        editor.loading = false;
                    }
                    Err(error) => {
                        state.editor = None;
                        state.flash(Level::Error, format!("cannot edit: {error}"));
                    }
                }
                state.dirty = true;
            }
        }
        AppEvent::EditApplied { request, result } => {
            if let Some(editor) = state.editor.as_mut()
                && editor.request == request
            {
                editor.saving = false;
                match result {
                    Ok(text) => {
                        state.editor = None;
                        state.flash(Level::Info, text);
                    }
                    // The text stays; the reason shows above it.
                    Err(error) => editor.error = Some(error.to_string()),
                }
                state.dirty = true;
            }
        }
        AppEvent::MutationDone { request, result } => {
            match result {
                Ok(text) => state.flash(Level::Info, text),
                Err(error) => {
                    state.flash(Level::Error, error.clone());
                    if let Some(panel) = state
                        .rollouts
                        .iter_mut()
                        .find(|panel| panel.request == request)
                    {
                        panel.finished = Some((Err(error), state.now));
                    }
                }
            }
            state.dirty = true;
        }
        AppEvent::Rollout { request, progress } => {
            if let Some(panel) = state
                .rollouts
                .iter_mut()
                .find(|panel| panel.request == request)
                && panel.finished.is_none()
            {
                match progress {
                    crate::cluster::rollout::Followed::Progress(progress) => {
                        panel.progress = Some(progress);
                        panel.reconnecting = None;
                    }
                    crate::cluster::rollout::Followed::Reconnecting(error) => {
                        panel.reconnecting = Some(error);
                    }
                }
                state.dirty = true;
            }
        }
        AppEvent::RolloutDone { request, result } => {
            let now = state.now;
            let Some(panel) = state
                .rollouts
                .iter_mut()
                .find(|panel| panel.request == request)
            else {
                return effects;
            };
            let outcome = match result {
                Ok(progress) => {
                    let summary = progress.summary();
                    let complete = progress.is_success();
                    panel.progress = Some(progress);
                    if complete { Ok(summary) } else { Err(summary) }
                }
                Err(error) => Err(error),
            };
            let message = format!(
                "{}: {}",
                panel.title,
                match &outcome {
                    Ok(text) | Err(text) => text.clone(),
                }
            );
            panel.finished = Some((outcome.clone(), now));
            let level = if outcome.is_ok() {
                Level::Info
            } else {
                Level::Error
            };
            state.flash(level, message);
            state.dirty = true;
        }
        // A signal: nobody to ask; stop what is in flight cleanly.
        AppEvent::Terminate => begin_quit(state, &mut effects),
    }
    if state.quit_pending.is_some() && !state.quit {
        finish_quit_if_idle(state, &mut effects);
    }
    effects
}

/// How long a quit waits for syncs to stop before leaving anyway.
const QUIT_GRACE_SECONDS: i64 = 30;

/// What would be left half-done by quitting now, in words.
fn in_flight(state: &State) -> Option<String> {
    let mut parts: Vec<String> = state
        .gitops
        .syncing
        .keys()
        .map(|app| format!("a sync of {app}"))
        .collect();
    parts.extend(
        state
            .builds
            .starting
            .values()
            .map(|build| format!("the start of build {build}")),
    );
    parts.sort();
    (!parts.is_empty()).then(|| parts.join(", "))
}

/// Stops syncs after their current object, then quits when they are done.
pub(super) fn begin_quit(state: &mut State, effects: &mut Vec<Effect>) {
    if in_flight(state).is_none() {
        state.quit = true;
        effects.push(Effect::Quit);
        return;
    }
    effects.push(Effect::Gitops(
        crate::app::gitops_service::GitopsCommand::Interrupt,
    ));
    state.quit_pending = Some(state.now);
    state.flash(
        Level::Warn,
        "quitting: waiting for what is in flight to stop after its current object…",
    );
    state.dirty = true;
}

fn finish_quit_if_idle(state: &mut State, effects: &mut Vec<Effect>) {
    let waited_too_long = state
        .quit_pending
        .is_some_and(|since| state.now - since > QUIT_GRACE_SECONDS);
    if in_flight(state).is_none() || waited_too_long {
        state.quit = true;
        effects.push(Effect::Quit);
    }
}

fn on_tick(state: &mut State) {
    let before = table::clock_signature(state);
    state.now = crate::cluster::age::now();
    if let Some(flash) = &state.flash
        && state.now - flash.at >= FLASH_SECONDS
    {
        state.flash = None;
        state.dirty = true;
    }
    let panels = state.rollouts.len();
    let now = state.now;
    state.rollouts.retain(|panel| {
        panel
            .finished
            .as_ref()
            .is_none_or(|(_, at)| now - at < ROLLOUT_LINGER_SECONDS)
    });
    if state.rollouts.len() != panels {
        state.dirty = true;
    }
    if table::clock_signature(state) != before {
        state.dirty = true;
    }
}

fn on_key(state: &mut State, key: KeyEvent, effects: &mut Vec<Effect>) {
    if state.confirm.is_some() {
        on_confirm_key(state, key, effects);
        return;
    }
    if state.picker.is_some() {
        on_picker_key(state, key, effects);
        return;
    }
    if state.input != Input::None {
        on_input_key(state, key, effects);
        return;
    }
    if state.editor.is_some() {
        on_editor_key(state, key, effects);
        return;
    }
    if !state.help_open
        && state.logs.is_some()
        && crate::app::logs::on_logs_key(state, key, effects)
    {
        return;
    }
    if state.help_open {
        let action = state.keymap.action(KeyContext::Global, &key);
        match action {
            Some(Action::Help | Action::Back) => state.help_open = false,
            Some(Action::Quit) => quit(state, effects),
            Some(Action::Down) => state.help_scroll += 1,
            Some(Action::Up) => state.help_scroll = state.help_scroll.saturating_sub(1),
            _ => {}
        }
        return;
    }
    if state.detail.is_some() {
        let in_diff = state.detail.as_ref().is_some_and(|d| d.diff.is_some());
        if in_diff && state.keymap.action(KeyContext::Apps, &key) == Some(Action::Sync) {
            gitops::act(state, Action::Sync, effects);
            return;
        }
        // A rollout's picture: enter goes on to its pods; its actions work
        // there too.
        if argo_rollouts::picture_key(state).is_some()
            && state.keymap.action(KeyContext::Global, &key) == Some(Action::Enter)
        {
            argo_rollouts::open_pods(state);
            return;
        }
        if let Some(action) = argo_rollouts::picture_action(state, &key) {
            act(state, action, effects);
            return;
        }
        // A revision's diff: `u` undoes to it.
        if workload_history::open_revision_target(state).is_some()
            && state.keymap.action(KeyContext::Global, &key) == Some(Action::Undo)
        {
            workload_history::ask_undo(state);
            return;
        }
        on_pager_key(state, key, effects);
        return;
    }
    let view_context = match state.view().kind {
        ViewKind::Certs => state.keymap.action(KeyContext::Certs, &key),
        ViewKind::Resource(ResourceKind::HelmReleases) => {
            state.keymap.action(KeyContext::Helm, &key)
        }
        ViewKind::Resource(ResourceKind::Rollouts) => {
            state.keymap.action(KeyContext::Rollouts, &key)
        }
        ViewKind::Apps | ViewKind::AppObjects => state.keymap.action(KeyContext::Apps, &key),
        ViewKind::Builds => state.keymap.action(KeyContext::Builds, &key),
        _ => None,
    };
    let Some(action) = view_context.or_else(|| state.keymap.action(KeyContext::Global, &key))
    else {
        return;
    };
    act(state, action, effects);
}

/// `q`: quits at once, or asks first when a sync or a build start is in
/// flight (quitting stops it after its current object).
fn quit(state: &mut State, effects: &mut Vec<Effect>) {
    match in_flight(state) {
        None => {
            state.quit = true;
            effects.push(Effect::Quit);
        }
        Some(busy) => {
            state.confirm = Some(Confirm {
                question: format!(
                    "In flight: {busy}.\nQuit anyway? A sync stops after the object it is applying \
                     and records \"interrupted\"."
                ),
                action: ConfirmAction::QuitInterrupting,
                alternative: None,
            });
        }
    }
}

fn act(state: &mut State, action: Action, effects: &mut Vec<Effect>) {
    // Keys may arrive faster than frames: act on the rows as they are now,
    // not as last drawn.
    table::refresh(state);
    match action {
        Action::Quit => quit(state, effects),
        Action::Command => state.input = Input::Command(String::new()),
        Action::Filter => {
            let current = state.view().filter_text.clone();
            state.input = Input::Filter(current);
        }
        Action::Help => {
            state.help_open = true;
            state.help_scroll = 0;
        }
        Action::Back => back(state),
        Action::Enter => drill_down(state, effects),
        Action::AllNamespaces => {
            state.namespace = None;
            state.flash(Level::Info, "all namespaces");
        }
        Action::Up => move_cursor(state, -1),
        Action::Down => move_cursor(state, 1),
        Action::PageUp => move_cursor(state, -(state.page_rows.max(1) as i64)),
        Action::PageDown => move_cursor(state, state.page_rows.max(1) as i64),
        Action::Top => table::select(state, 0),
        Action::Bottom => table::select(state, usize::MAX),
        Action::Yaml => open_detail(state, DetailKind::Yaml, effects),
        Action::Describe => open_detail(state, DetailKind::Describe, effects),
        Action::Sort(column) => {
            let kind = state.view().kind;
            if !columns(kind, state.all_namespaces()).contains(&column) {
                state.flash(
                    Level::Warn,
                    format!("{} has no {} column", kind.title(), column.title()),
                );
                return;
            }
            let view = state.view_mut();
            view.sort = match view.sort {
                Some((current, descending)) if current == column => Some((column, !descending)),
                _ => Some((column, false)),
            };
        }
        Action::Restart => ask_restart(state),
        Action::Delete if state.view().kind == ViewKind::Builds => builds::ask_cancel(state),
        Action::Delete => ask_delete(state, false),
        Action::Kill => ask_delete(state, true),
        Action::ShellOrScale => match state.view().kind {
            ViewKind::Resource(ResourceKind::Pods) | ViewKind::Containers => {
                open_shell(state, effects)
            }
            _ => ask_scale(state),
        },
        Action::Edit => open_editor(state, effects),
        Action::Logs => open_logs(state, false, effects),
        Action::PreviousLogs => open_logs(state, true, effects),
        // Logs-view actions only mean something there (logs.rs).
        Action::NextMatch
        | Action::PrevMatch
        | Action::Follow
        | Action::Wrap
        | Action::Timestamps
        | Action::LogFilter
        | Action::CycleContext
        | Action::Copy
        | Action::Save
        | Action::TogglePrevious
        | Action::CycleTail
        | Action::Since(_) => {}
        Action::Renew => ask_renew(state),
        Action::History if matches!(state.view().kind, ViewKind::Resource(_)) => {
            workload_history::ask_history(state, effects)
        }
        Action::Undo if state.view().kind == ViewKind::Resource(ResourceKind::HelmReleases) => {
            helm::ask_rollback(state)
        }
        Action::Undo => workload_history::ask_undo(state),
        Action::Promote => argo_rollouts::ask(state, RolloutAction::Promote),
        Action::PromoteFull => argo_rollouts::ask(state, RolloutAction::PromoteFull),
        Action::Abort => argo_rollouts::ask(state, RolloutAction::Abort),
        Action::Retry => argo_rollouts::ask(state, RolloutAction::Retry),
        Action::PauseResume => argo_rollouts::ask_pause_resume(state),
        Action::SetImage => argo_rollouts::ask_set_image(state),
        Action::Values => helm::open_part(state, crate::app::effect::HelmPart::Values, effects),
        Action::Manifest => helm::open_part(state, crate::app::effect::HelmPart::Manifest, effects),
        Action::Diff
        | Action::Sync
        | Action::History
        | Action::Fetch
        | Action::Pull
        | Action::Refresh => gitops::act(state, action, effects),
        Action::Build => builds::ask_build(state),
    }
}

/// Refuse a mutation in read-only mode; true when refused.
fn refused_readonly(state: &mut State, verb: &str) -> bool {
    if state.readonly {
        state.flash(
            Level::Warn,
            format!("read-only mode: {verb} is disabled (started with --readonly)"),
        );
    }
    state.readonly
}

fn selected_resource(state: &State) -> Option<(ResourceKind, crate::cluster::rows::RowKey)> {
    let view = state.view();
    match (view.kind, &view.pin) {
        (ViewKind::Resource(kind), _) => view.selected.clone().map(|key| (kind, key)),
        _ => None,
    }
}

fn move_cursor(state: &mut State, delta: i64) {
    let cursor = state.view().cursor as i64;
    table::select(state, (cursor + delta).max(0) as usize);
}

fn back(state: &mut State) {
    if !state.view().filter_text.is_empty() {
        let view = state.view_mut();
        view.filter_text.clear();
        view.filter = Filter::None;
        return;
    }
    if state.nav.len() > 1 {
        state.nav.pop();
    }
}

/// The kinds the current view shows: the ones a connection lists first.
pub fn first_kinds(state: &State) -> Vec<ResourceKind> {
    ResourceKind::ALL
        .iter()
        .copied()
        .filter(|kind| cluster::view_shows(state, *kind))
        .collect()
}

/// The pods an owner selects, in a pinned pods view.
fn open_pods_of(
    state: &mut State,
    owner: String,
    namespace: &str,
    selector: &crate::cluster::rows::workload::Selector,
) {
    let pin = Pin::Selector {
        owner,
        namespace: namespace.to_string(),
        selector: selector.clone(),
    };
    push_view(
        state,
        ViewState::pinned(ViewKind::Resource(ResourceKind::Pods), pin),
    );
}

fn push_view(state: &mut State, view: ViewState) {
    state.nav.push(view);
    // Deep stacks are not useful; keep the last few.
    if state.nav.len() > 16 {
        state.nav.remove(0);
    }
}

fn switch_view(state: &mut State, kind: ViewKind) {
    if state.view().kind == kind && state.view().pin == Pin::None {
        return;
    }
    push_view(state, ViewState::new(kind));
}

fn drill_down(state: &mut State, effects: &mut Vec<Effect>) {
    let view = state.view();
    let Some(key) = view.selected.clone() else {
        return;
    };
    match view.kind {
        ViewKind::Resource(ResourceKind::Namespaces) => {
            state.namespace = Some(key.name.to_string());
            push_view(
                state,
                ViewState::new(ViewKind::Resource(ResourceKind::Pods)),
            );
        }
        ViewKind::Resource(
            kind @ (ResourceKind::Deployments
            | ResourceKind::StatefulSets
            | ResourceKind::DaemonSets),
        ) => {
            let Some(row) = state
                .stores
                .workloads(kind)
                .and_then(|store| store.get(&key))
                .cloned()
            else {
                return;
            };
            let owner = format!("{}/{}", kind.kind().to_lowercase(), row.name);
            open_pods_of(state, owner, &row.namespace, &row.selector);
        }
        ViewKind::Resource(ResourceKind::Jobs) => {
            let Some(row) = state.stores.jobs.get(&key).cloned() else {
                return;
            };
            open_pods_of(
                state,
                format!("job/{}", row.name),
                &row.namespace,
                &row.selector,
            );
        }
        ViewKind::Resource(ResourceKind::Pods) => {
            push_view(
                state,
                ViewState::pinned(ViewKind::Containers, Pin::Pod(key)),
            );
        }
        ViewKind::Resource(ResourceKind::Nodes) => {
            let mut pods = ViewState::new(ViewKind::Resource(ResourceKind::Pods));
            pods.filter_text = key.name.to_string();
            pods.filter = Filter::Text(key.name.to_lowercase());
            state.namespace = None;
            push_view(state, pods);
        }
        ViewKind::Resource(ResourceKind::Events) => {
            open_detail(state, DetailKind::Describe, effects)
        }
        ViewKind::Certs => {
            let Some(entry) = state.certs.iter().find(|entry| {
                entry.view.namespace == key.namespace.as_ref()
                    && entry.view.name == key.name.as_ref()
            }) else {
                return;
            };
            let text = crate::app::certs::details(entry, state.now);
            state.next_request += 1;
            state.detail = Some(Detail::text(
                state.next_request,
                format!("certificate {}/{}", key.namespace, key.name),
                text.lines().map(str::to_string).collect(),
                None,
            ));
        }
        ViewKind::Contexts => switch_context(state, key.name.to_string(), effects),
        ViewKind::Apps => gitops::open_tree(state, &key.name),
        ViewKind::Builds => open_logs(state, false, effects),
        ViewKind::AppObjects => gitops::act(state, Action::Diff, effects),
        ViewKind::Resource(ResourceKind::HelmReleases) => helm::open_history(state),
        ViewKind::Resource(ResourceKind::Rollouts) => argo_rollouts::open_picture(state),
        // A k3s HelmChart: its install Job's pods (logs, state).
        ViewKind::Resource(ResourceKind::HelmCharts) => {
            let job = state.stores.helm_charts.get(&key).and_then(|chart| {
                state.stores.jobs.get(&crate::cluster::rows::RowKey::new(
                    &chart.namespace,
                    &chart.job,
                ))
            });
            match job.cloned() {
                Some(job) => open_pods_of(
                    state,
                    format!("job/{}", job.name),
                    &job.namespace,
                    &job.selector,
                ),
                None => state.flash(Level::Info, format!("{} has no install job now", key.name)),
            }
        }
        ViewKind::Resource(ResourceKind::HelmChartConfigs) => {
            open_detail(state, DetailKind::Describe, effects)
        }
        // Conditions with their messages, and the scaling events.
        ViewKind::Resource(ResourceKind::Hpas) => open_detail(state, DetailKind::Describe, effects),
        ViewKind::Containers | ViewKind::Pulse | ViewKind::Resource(_) => {}
    }
}

fn switch_context(state: &mut State, name: String, effects: &mut Vec<Effect>) {
    if !state.contexts.iter().any(|context| context.name == name) {
        let known: Vec<&str> = state.contexts.iter().map(|c| c.name.as_str()).collect();
        state.flash(
            Level::Error,
            format!("no context \"{name}\" (known: {})", known.join(", ")),
        );
        return;
    }
    state.epoch += 1;
    state.connected = false;
    state.stores = Default::default();
    state.metrics = Default::default();
    state.server_version = None;
    for status in state.watch_status.values_mut() {
        *status = WatchStatus::Loading;
    }
    state.context.context = name.clone();
    state.namespace = None;
    state.nav = vec![ViewState::new(ViewKind::Resource(ResourceKind::Pods))];
    state.flash(Level::Info, format!("switching to context {name}"));
    effects.push(Effect::Connect {
        epoch: state.epoch,
        context: Some(name),
        first: first_kinds(state),
    });
}

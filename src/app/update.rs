//! `update`: plain code that changes State and returns Effects. It never
//! awaits and never touches the API (DESIGN §3).

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use crate::cluster::actions::Mutation;
use crate::cluster::age::human_duration;
use crate::cluster::fetch::DetailKind;
use crate::cluster::kind::ResourceKind;
use crate::cluster::metrics::MetricsMessage;
use crate::cluster::rows::RolloutState;
use crate::cluster::watch::{KindRows, WatchMessage, WatchStatus};
use crate::config::keymap::KeyContext;

use super::action::Action;
use super::command::{self, Command};
use super::effect::Effect;
use super::event::{AppEvent, ClusterMessage};
use super::filter::Filter;
use super::state::{
    Confirm, Detail, HISTORY_LEN, Input, Level, PickPurpose, Picker, RolloutPanel, State,
};
use super::table;
use super::view::{Pin, ViewKind, ViewState, columns};

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
                on_key(state, key, &mut effects);
                state.dirty = true;
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
        AppEvent::Log { session, event } => super::logs::on_log_event(state, session, event),
        AppEvent::Saved { result } => {
            match result {
                Ok(text) => state.flash(Level::Info, text),
                Err(error) => state.flash(Level::Error, error),
            }
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
                panel.progress = Some(progress);
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
                    let complete = progress.state == RolloutState::Complete;
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
        AppEvent::Terminate => {
            state.quit = true;
            effects.push(Effect::Quit);
        }
    }
    effects
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

/// Which kinds' rows the current view shows (directly or as counts), so a
/// change elsewhere costs no redraw.
fn view_shows(state: &State, kind: ResourceKind) -> bool {
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
        ViewKind::Contexts => false,
        ViewKind::Resource(ResourceKind::Namespaces | ResourceKind::Nodes) => {
            view == ViewKind::Resource(kind) || kind == ResourceKind::Pods
        }
        ViewKind::Resource(shown) => shown == kind,
    }
}

fn on_cluster(state: &mut State, message: ClusterMessage, effects: &mut Vec<Effect>) {
    let pods_changed = matches!(
        &message,
        ClusterMessage::Watch(WatchMessage::Rows(KindRows::Pods(_)))
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
    if pods_changed && state.logs.is_some() {
        // Pods of a followed workload join its log view as they start.
        super::logs::reconcile_sources(state, effects);
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
    if !state.help_open && state.logs.is_some() && super::logs::on_logs_key(state, key, effects) {
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
        on_pager_key(state, key, effects);
        return;
    }
    let view_context = (state.view().kind == ViewKind::Certs)
        .then(|| state.keymap.action(KeyContext::Certs, &key))
        .flatten();
    let Some(action) = view_context.or_else(|| state.keymap.action(KeyContext::Global, &key))
    else {
        return;
    };
    act(state, action, effects);
}

fn quit(state: &mut State, effects: &mut Vec<Effect>) {
    state.quit = true;
    effects.push(Effect::Quit);
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
    }
}

fn ask_renew(state: &mut State) {
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
        mutation,
    });
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

fn ask_restart(state: &mut State) {
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
                mutation,
            });
        }
        _ => state.flash(
            Level::Warn,
            "restart works on deployments, statefulsets and daemonsets",
        ),
    }
}

fn ask_delete(state: &mut State, kill: bool) {
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
    state.confirm = Some(Confirm { question, mutation });
}

fn ask_scale(state: &mut State) {
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
            state.scale_target = Some((kind, key));
            state.input = Input::Scale(current);
        }
        _ => state.flash(Level::Warn, "scale works on deployments and statefulsets"),
    }
}

fn open_shell(state: &mut State, effects: &mut Vec<Effect>) {
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
fn regular_containers(state: &State, pod: &crate::cluster::rows::RowKey) -> Vec<String> {
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
const ALL_CONTAINERS: &str = "all containers";

fn open_picker(state: &mut State, title: String, choices: Vec<String>, purpose: PickPurpose) {
    state.picker = Some(Picker {
        title,
        choices,
        cursor: 0,
        purpose,
    });
}

fn on_picker_key(state: &mut State, key: KeyEvent, effects: &mut Vec<Effect>) {
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
                PickPurpose::Shell { pod } => effects.push(Effect::Shell {
                    pod,
                    container: choice,
                }),
                PickPurpose::Logs { pod, previous } => {
                    let container = (choice != ALL_CONTAINERS).then_some(choice);
                    start_logs(
                        state,
                        super::logs::LogScope::Pod {
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

fn open_logs(state: &mut State, previous: bool, effects: &mut Vec<Effect>) {
    use super::logs::LogScope;
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
        _ => {
            state.flash(Level::Warn, "logs work on pods, containers and workloads");
            return;
        }
    };
    start_logs(state, scope, previous, effects);
}

fn start_logs(
    state: &mut State,
    scope: super::logs::LogScope,
    previous: bool,
    effects: &mut Vec<Effect>,
) {
    use super::logs::{LogScope, LogView, reconcile_sources};
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

fn open_editor(state: &mut State, effects: &mut Vec<Effect>) {
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

fn on_editor_key(state: &mut State, key: KeyEvent, effects: &mut Vec<Effect>) {
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
            });
        }
        _ if !editor.loading && !editor.saving => {
            editor.discard_armed = false;
            editor.textarea.input(key);
        }
        _ => {}
    }
}

/// Start a confirmed (or typed-in) mutation.
fn start_mutation(state: &mut State, mutation: Mutation, effects: &mut Vec<Effect>) {
    state.next_request += 1;
    let request = state.next_request;
    if let Mutation::Restart { .. } = &mutation {
        state.rollouts.push(RolloutPanel {
            request,
            title: mutation.describe(),
            progress: None,
            finished: None,
        });
    }
    state.flash(Level::Info, format!("{}…", mutation.describe()));
    effects.push(Effect::Mutate { request, mutation });
}

fn on_confirm_key(state: &mut State, key: KeyEvent, effects: &mut Vec<Effect>) {
    match key.code {
        KeyCode::Char('y') | KeyCode::Char('Y') | KeyCode::Enter => {
            if let Some(confirm) = state.confirm.take() {
                start_mutation(state, confirm.mutation, effects);
            }
        }
        KeyCode::Char('n') | KeyCode::Char('N') | KeyCode::Esc | KeyCode::Char('q') => {
            state.confirm = None;
            state.flash(Level::Info, "cancelled");
        }
        _ => {}
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
            else {
                return;
            };
            let pin = Pin::Selector {
                owner: format!("{}/{}", kind.kind().to_lowercase(), row.name),
                namespace: row.namespace.to_string(),
                selector: row.selector.clone(),
            };
            push_view(
                state,
                ViewState::pinned(ViewKind::Resource(ResourceKind::Pods), pin),
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
            let text = super::certs::details(entry, state.now);
            state.next_request += 1;
            state.detail = Some(Detail {
                request: state.next_request,
                kind: DetailKind::Describe,
                title: format!("certificate {}/{}", key.namespace, key.name),
                lines: text.lines().map(str::to_string).collect(),
                loading: false,
                error: None,
                scroll: 0,
                search: String::new(),
                matches: Vec::new(),
                current_match: 0,
            });
        }
        ViewKind::Contexts => switch_context(state, key.name.to_string(), effects),
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
    });
}

fn open_detail(state: &mut State, detail: DetailKind, effects: &mut Vec<Effect>) {
    let view = state.view();
    let (kind, key) = match (view.kind, &view.pin) {
        (ViewKind::Resource(kind), _) => match view.selected.clone() {
            Some(key) => (kind, key),
            None => return,
        },
        (ViewKind::Containers, Pin::Pod(pod)) => (ResourceKind::Pods, pod.clone()),
        (ViewKind::Certs, _) => {
            let Some(key) = view.selected.clone() else {
                return;
            };
            let kind = state
                .certs
                .iter()
                .find(|entry| {
                    entry.view.namespace == key.namespace.as_ref()
                        && entry.view.name == key.name.as_ref()
                })
                .map(|entry| entry.view.kind);
            match kind {
                Some("Certificate") => (ResourceKind::Certificates, key),
                Some("Secret") => (ResourceKind::TlsSecrets, key),
                _ => {
                    state.flash(
                        Level::Warn,
                        "this row is a host without its secret: nothing to fetch",
                    );
                    return;
                }
            }
        }
        _ => {
            state.flash(Level::Warn, "nothing to show here");
            return;
        }
    };
    state.next_request += 1;
    let request = state.next_request;
    let verb = match detail {
        DetailKind::Yaml => "yaml",
        DetailKind::Describe => "describe",
    };
    state.detail = Some(Detail {
        request,
        kind: detail,
        title: format!("{verb} {}/{key}", kind.kind().to_lowercase()),
        lines: Vec::new(),
        loading: true,
        error: None,
        scroll: 0,
        search: String::new(),
        matches: Vec::new(),
        current_match: 0,
    });
    effects.push(Effect::FetchDetail {
        request,
        kind,
        key,
        detail,
    });
}

fn on_pager_key(state: &mut State, key: KeyEvent, effects: &mut Vec<Effect>) {
    let Some(action) = state.keymap.action(KeyContext::Pager, &key) else {
        return;
    };
    let page = state.page_rows.max(1);
    let Some(detail) = state.detail.as_mut() else {
        return;
    };
    let last = detail.lines.len().saturating_sub(1);
    match action {
        Action::Quit => quit(state, effects),
        Action::Back => {
            if detail.search.is_empty() {
                state.detail = None;
            } else {
                detail.search.clear();
                detail.matches.clear();
            }
        }
        Action::Help => state.help_open = true,
        Action::Filter => state.input = Input::Search(String::new()),
        Action::Up => detail.scroll = detail.scroll.saturating_sub(1),
        Action::Down => detail.scroll = (detail.scroll + 1).min(last),
        Action::PageUp => detail.scroll = detail.scroll.saturating_sub(page),
        Action::PageDown => detail.scroll = (detail.scroll + page).min(last),
        Action::Top => detail.scroll = 0,
        Action::Bottom => detail.scroll = last.saturating_sub(page.saturating_sub(1)),
        Action::NextMatch | Action::PrevMatch => {
            if detail.matches.is_empty() {
                return;
            }
            let count = detail.matches.len();
            detail.current_match = if action == Action::NextMatch {
                (detail.current_match + 1) % count
            } else {
                (detail.current_match + count - 1) % count
            };
            detail.scroll = detail.matches[detail.current_match];
        }
        _ => {}
    }
}

fn apply_search(state: &mut State, text: String) {
    let Some(detail) = state.detail.as_mut() else {
        return;
    };
    let needle = text.to_lowercase();
    detail.matches = if needle.is_empty() {
        Vec::new()
    } else {
        detail
            .lines
            .iter()
            .enumerate()
            .filter(|(_, line)| line.to_lowercase().contains(&needle))
            .map(|(number, _)| number)
            .collect()
    };
    detail.search = text;
    detail.current_match = 0;
    match detail.matches.first() {
        Some(&first) => detail.scroll = first,
        None if !needle.is_empty() => {
            let message = format!("no match for \"{}\"", detail.search);
            state.flash(Level::Warn, message);
        }
        None => {}
    }
}

fn on_input_key(state: &mut State, key: KeyEvent, effects: &mut Vec<Effect>) {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    let mut input = std::mem::take(&mut state.input);
    let text = match &mut input {
        Input::Command(text)
        | Input::Filter(text)
        | Input::Search(text)
        | Input::Scale(text)
        | Input::LogFilter(text) => text,
        Input::None => return,
    };
    match key.code {
        KeyCode::Esc => {
            if let Input::Filter(_) = input {
                // Esc in the filter prompt drops the filter, as in k9s.
                let view = state.view_mut();
                view.filter_text.clear();
                view.filter = Filter::None;
            }
            return;
        }
        KeyCode::Char('c') if ctrl => return,
        KeyCode::Char('u') if ctrl => text.clear(),
        KeyCode::Char('w') if ctrl => {
            let trimmed = text.trim_end().len();
            let cut = text[..trimmed].rfind(' ').map(|i| i + 1).unwrap_or(0);
            text.truncate(cut);
        }
        KeyCode::Backspace => {
            text.pop();
        }
        KeyCode::Tab | KeyCode::Right => {
            if let Input::Command(line) = &mut input
                && let Some(completed) =
                    command::complete(line, &state.namespace_names(), &state.context_names())
            {
                *line = completed;
            }
        }
        KeyCode::Enter => {
            match input {
                Input::Command(line) => run_command(state, &line, effects),
                Input::Filter(line) => {
                    if let Err(error) = set_filter(state, &line) {
                        state.flash(Level::Error, format!("filter: {error}"));
                    }
                }
                Input::Search(line) => match state.logs.as_mut() {
                    Some(view) => super::logs::set_search(view, line),
                    None => apply_search(state, line),
                },
                Input::LogFilter(line) => {
                    if let Some(view) = state.logs.as_mut() {
                        super::logs::set_filter(view, line);
                    }
                }
                Input::Scale(line) => match (line.trim().parse::<i32>(), state.scale_target.take())
                {
                    (Ok(replicas), Some((kind, key))) if replicas >= 0 => {
                        start_mutation(
                            state,
                            Mutation::Scale {
                                kind,
                                key,
                                replicas,
                            },
                            effects,
                        );
                    }
                    (_, Some(target)) => {
                        state.flash(
                            Level::Error,
                            format!("\"{}\" is not a replica count", line.trim()),
                        );
                        state.scale_target = Some(target);
                        state.input = Input::Scale(line);
                    }
                    (_, None) => {}
                },
                Input::None => {}
            }
            return;
        }
        KeyCode::Char(character) if !ctrl => text.push(character),
        _ => {}
    }
    if let Input::Filter(line) = &input {
        // Live filtering as you type; an incomplete selector keeps the last
        // good filter until it parses.
        let line = line.clone();
        let _ = set_filter(state, &line);
    }
    state.input = input;
}

fn set_filter(state: &mut State, text: &str) -> Result<(), String> {
    let filter = Filter::parse(text)?;
    let view = state.view_mut();
    view.filter_text = text.trim().to_string();
    view.filter = filter;
    Ok(())
}

fn run_command(state: &mut State, line: &str, effects: &mut Vec<Effect>) {
    match command::parse(line) {
        Ok(Command::Quit) => quit(state, effects),
        Ok(Command::Help) => state.help_open = true,
        Ok(Command::SwitchContext(name)) => switch_context(state, name, effects),
        Ok(Command::View { kind, namespace }) => {
            if let Some(namespace) = namespace {
                if kind.namespaced() || kind == ViewKind::Pulse {
                    state.namespace = match namespace.as_str() {
                        "all" | "-A" | "*" => None,
                        name => Some(name.to_string()),
                    };
                } else {
                    state.flash(Level::Warn, format!("{} are not namespaced", kind.title()));
                }
            }
            switch_view(state, kind);
        }
        Err(error) => state.flash(Level::Error, error),
    }
}

/// Text for "(stale since 12:03:04)" etc.
pub fn stale_text(status: &WatchStatus, now: i64) -> Option<String> {
    match status {
        WatchStatus::Reconnecting { since, .. } => {
            Some(format!("stale {} ago", human_duration(now - since)))
        }
        _ => None,
    }
}

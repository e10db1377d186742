//! The logs view's state and its key handling: one pod's container, a
//! pod's containers, or a workload's pods merged in time order, with pods
//! joining and leaving as the workload changes.

use crossterm::event::KeyEvent;

use crate::app::action::Action;
use crate::config::keymap::KeyContext;

use crate::cluster::kind::ResourceKind;
use crate::cluster::logs::{LogEvent, LogOptions, LogTarget};
use crate::cluster::rows::workload::Selector;
use crate::cluster::rows::{PodRow, RowKey};
use crate::logbuf::LogBuffer;

use super::effect::Effect;
use super::state::{Level, State};

/// Since-presets on 1..5, as the issue asks (1m 5m 15m 1h all).
pub const SINCE_PRESETS: [(char, Option<i64>, &str); 5] = [
    ('1', Some(60), "1m"),
    ('2', Some(300), "5m"),
    ('3', Some(900), "15m"),
    ('4', Some(3600), "1h"),
    ('5', None, "all"),
];
/// Tail-line presets cycled with `L`.
pub const TAIL_PRESETS: [Option<i64>; 5] = [Some(100), Some(500), Some(1000), Some(5000), None];
/// Context lines kept around filter matches, cycled with `C`.
pub const CONTEXT_PRESETS: [usize; 4] = [0, 2, 5, 10];

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogScope {
    /// One pod; `container` None = all its containers.
    Pod {
        key: RowKey,
        container: Option<String>,
    },
    /// A workload's pods, found by its selector.
    Workload {
        kind: ResourceKind,
        key: RowKey,
        selector: Selector,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceState {
    Streaming,
    Reconnecting(String),
    Ended(Option<String>),
}

#[derive(Debug, Clone)]
pub struct LogSource {
    pub target: LogTarget,
    /// "pod/container" (or just the pod when it has one container).
    pub label: String,
    /// Sources of one group share a colour (an Argo Rollout's stable pods
    /// one, its canary another); None: each source its own.
    pub colour_group: Option<u32>,
    pub state: SourceState,
}

#[derive(Debug)]
pub struct LogView {
    pub session: u64,
    pub title: String,
    pub scope: LogScope,
    pub options: LogOptions,
    pub since_label: &'static str,
    pub tail_preset: usize,
    pub sources: Vec<LogSource>,
    pub buffer: LogBuffer,
    pub follow: bool,
    pub wrap: bool,
    pub timestamps: bool,
    /// Index (into `visible`) of the highlighted line.
    pub cursor: usize,
    pub search: String,
    pub matches: Vec<usize>,
    pub current_match: usize,
    pub filter: String,
    pub context_preset: usize,
    /// Buffer indices on screen (all, or the filtered ones), cached by
    /// buffer generation.
    pub visible: Vec<usize>,
    pub visible_stamp: Option<(u64, String, usize)>,
}

impl LogView {
    pub fn new(
        session: u64,
        title: String,
        scope: LogScope,
        previous: bool,
        capacity: usize,
    ) -> Self {
        LogView {
            session,
            title,
            scope,
            options: LogOptions {
                follow: !previous,
                since_seconds: None,
                tail_lines: TAIL_PRESETS[1],
                previous,
            },
            since_label: "all",
            tail_preset: 1,
            sources: Vec::new(),
            buffer: LogBuffer::new(capacity),
            follow: !previous,
            wrap: false,
            timestamps: false,
            cursor: 0,
            search: String::new(),
            matches: Vec::new(),
            current_match: 0,
            filter: String::new(),
            context_preset: 1,
            visible: Vec::new(),
            visible_stamp: None,
        }
    }

    /// Recompute the visible indices when the buffer or the filter moved.
    pub fn refresh(&mut self) {
        let context = CONTEXT_PRESETS[self.context_preset];
        let stamp = (self.buffer.generation(), self.filter.clone(), context);
        if self.visible_stamp.as_ref() == Some(&stamp) {
            return;
        }
        self.visible = if self.filter.is_empty() {
            (0..self.buffer.len()).collect()
        } else {
            self.buffer.filtered(&self.filter, context)
        };
        if !self.search.is_empty() {
            let matches = self.buffer.matches(&self.search);
            self.matches = self
                .visible
                .iter()
                .enumerate()
                .filter(|(_, index)| matches.binary_search(index).is_ok())
                .map(|(position, _)| position)
                .collect();
        }
        self.visible_stamp = Some(stamp);
        if self.follow {
            self.cursor = self.visible.len().saturating_sub(1);
        } else {
            self.cursor = self.cursor.min(self.visible.len().saturating_sub(1));
        }
    }

    /// The source labels, by source number, for prefixes and saving.
    pub fn labels(&self) -> Vec<String> {
        self.sources
            .iter()
            .map(|source| source.label.clone())
            .collect()
    }
}

/// Containers of a pod that have something to show.
fn loggable(pod: &PodRow, previous: bool) -> Vec<String> {
    pod.containers
        .iter()
        .filter(|container| !container.init)
        .filter(|container| {
            if previous {
                container.restarts > 0
            } else {
                container.state.starts_with("Running")
                    || container.state.starts_with("Terminated")
                    || container.restarts > 0
            }
        })
        .map(|container| container.name.to_string())
        .collect()
}

/// A stream to have: pod, container, whether the pod has several
/// containers, and an Argo Rollout pod's role with its colour group.
type Wanted = (RowKey, String, bool, Option<(&'static str, u32)>);

/// Start streams for every pod/container in scope that has none yet (new
/// pods of a workload join here).
pub fn reconcile_sources(state: &mut State, effects: &mut Vec<Effect>) {
    let Some(view) = state.logs.as_ref() else {
        return;
    };
    let previous = view.options.previous;
    let mut wanted: Vec<Wanted> = Vec::new();
    match &view.scope {
        LogScope::Pod { key, container } => {
            if let Some(pod) = state.stores.pods.get(key) {
                let containers = match container {
                    Some(container) => vec![container.clone()],
                    None => loggable(pod, previous),
                };
                let several = containers.len() > 1;
                for container in containers {
                    wanted.push((key.clone(), container, several, None));
                }
            }
        }
        LogScope::Workload {
            kind,
            key,
            selector,
        } => {
            for pod in state.stores.pods.rows() {
                if pod.namespace == key.namespace && selector.matches(&pod.labels) {
                    let containers = loggable(pod, previous);
                    let several = containers.len() > 1;
                    let role = (*kind == ResourceKind::Rollouts)
                        .then(|| rollout_role(state, key, pod))
                        .flatten();
                    for container in containers {
                        wanted.push((
                            RowKey::new(&pod.namespace, &pod.name),
                            container,
                            several,
                            role,
                        ));
                    }
                }
            }
        }
    }
    let Some(view) = state.logs.as_mut() else {
        return;
    };
    for (pod, container, several, role) in wanted {
        let known = view
            .sources
            .iter()
            .any(|source| source.target.pod == pod && source.target.container == container);
        if known {
            continue;
        }
        let mut label = if several {
            format!("{}/{container}", pod.name)
        } else {
            pod.name.to_string()
        };
        if let Some((word, _)) = role {
            label.push_str(&format!(" ({word})"));
        }
        let target = LogTarget { pod, container };
        let source = view.sources.len() as u32;
        view.sources.push(LogSource {
            target: target.clone(),
            label,
            colour_group: role.map(|(_, group)| group),
            state: SourceState::Streaming,
        });
        effects.push(Effect::TailLogs {
            session: view.session,
            source,
            target,
            options: view.options.clone(),
        });
    }
}

/// Restart every stream with new options (since, tail, previous).
pub fn restart_streams(state: &mut State, effects: &mut Vec<Effect>) {
    let Some(view) = state.logs.as_mut() else {
        return;
    };
    effects.push(Effect::StopLogs {
        session: view.session,
    });
    state.next_request += 1;
    view.session = state.next_request;
    view.sources.clear();
    view.buffer.clear();
    view.visible_stamp = None;
    view.follow = view.options.follow;
    reconcile_sources(state, effects);
}

pub fn on_log_event(state: &mut State, session: u64, event: LogEvent) {
    let Some(view) = state.logs.as_mut() else {
        return;
    };
    if view.session != session {
        return;
    }
    match event {
        LogEvent::Lines(lines) => view.buffer.push(lines),
        LogEvent::Reconnecting { source, error } => {
            if let Some(entry) = view.sources.get_mut(source as usize) {
                entry.state = SourceState::Reconnecting(error);
            }
        }
        LogEvent::Ended { source, reason } => {
            if let Some(entry) = view.sources.get_mut(source as usize) {
                entry.state = SourceState::Ended(reason);
            }
        }
    }
    state.dirty = true;
}

fn osc52_text(view: &LogView) -> Option<String> {
    let index = *view.visible.get(view.cursor)?;
    view.buffer.get(index).map(|line| line.text.to_string())
}

/// Keys of the logs view, from the keymap's `[logs]` context. Returns
/// false for keys it does not bind, so global keys (`?`) still work.
pub fn on_logs_key(state: &mut State, key: KeyEvent, effects: &mut Vec<Effect>) -> bool {
    let Some(action) = state.keymap.action(KeyContext::Logs, &key) else {
        return false;
    };
    let page = state.page_rows.max(1);
    let Some(view) = state.logs.as_mut() else {
        return false;
    };
    view.refresh();
    let last = view.visible.len().saturating_sub(1);
    match action {
        Action::Back | Action::Quit => {
            if !view.filter.is_empty() || !view.search.is_empty() {
                view.filter.clear();
                view.search.clear();
                view.matches.clear();
            } else {
                effects.push(Effect::StopLogs {
                    session: view.session,
                });
                state.logs = None;
            }
        }
        Action::Up => {
            view.follow = false;
            view.cursor = view.cursor.saturating_sub(1);
        }
        Action::Down => view.cursor = (view.cursor + 1).min(last),
        Action::PageUp => {
            view.follow = false;
            view.cursor = view.cursor.saturating_sub(page);
        }
        Action::PageDown => view.cursor = (view.cursor + page).min(last),
        Action::Top => {
            view.follow = false;
            view.cursor = 0;
        }
        Action::Bottom => view.cursor = last,
        Action::Follow => {
            view.follow = !view.follow;
            if view.follow {
                view.cursor = last;
            }
        }
        Action::Wrap => view.wrap = !view.wrap,
        Action::Timestamps => view.timestamps = !view.timestamps,
        Action::Filter => state.input = super::state::Input::Search(String::new()),
        Action::LogFilter => state.input = super::state::Input::LogFilter(view.filter.clone()),
        Action::CycleContext => {
            view.context_preset = (view.context_preset + 1) % CONTEXT_PRESETS.len();
            let lines = CONTEXT_PRESETS[view.context_preset];
            state.flash(
                Level::Info,
                format!("filter keeps {lines} lines of context"),
            );
        }
        Action::NextMatch | Action::PrevMatch => {
            if view.matches.is_empty() {
                return true;
            }
            let count = view.matches.len();
            view.current_match = if action == Action::NextMatch {
                (view.current_match + 1) % count
            } else {
                (view.current_match + count - 1) % count
            };
            view.follow = false;
            view.cursor = view.matches[view.current_match];
        }
        Action::Copy => match osc52_text(view) {
            Some(text) => {
                effects.push(Effect::Clipboard(text));
                state.flash(Level::Info, "copied the line (OSC 52)");
            }
            None => state.flash(Level::Warn, "no line to copy"),
        },
        Action::Save => {
            let text = view.buffer.to_text(&view.labels(), view.timestamps);
            let name = view.title.replace(['/', ' '], "_");
            effects.push(Effect::SaveLogs { name, text });
        }
        Action::TogglePrevious => {
            view.options.previous = !view.options.previous;
            view.options.follow = !view.options.previous;
            let what = if view.options.previous {
                "previous (terminated) containers"
            } else {
                "current containers"
            };
            state.flash(Level::Info, format!("logs of the {what}"));
            restart_streams(state, effects);
        }
        Action::CycleTail => {
            view.tail_preset = (view.tail_preset + 1) % TAIL_PRESETS.len();
            view.options.tail_lines = TAIL_PRESETS[view.tail_preset];
            restart_streams(state, effects);
        }
        Action::Since(index) => {
            if let Some((_, seconds, label)) = SINCE_PRESETS.get(index as usize) {
                view.options.since_seconds = *seconds;
                view.since_label = label;
                restart_streams(state, effects);
            }
        }
        _ => return false,
    }
    true
}

/// `/` in the logs view: highlight and jump with n/N.
pub fn set_search(view: &mut LogView, text: String) {
    view.search = text;
    view.visible_stamp = None;
    view.matches.clear();
    view.refresh();
    view.current_match = 0;
    if let Some(&first) = view.matches.first() {
        view.follow = false;
        view.cursor = first;
    }
}

/// `&` in the logs view: keep matching lines (with context).
pub fn set_filter(view: &mut LogView, text: String) {
    view.filter = text;
    view.visible_stamp = None;
    view.refresh();
}

/// An Argo Rollout's pod by its ReplicaSet's role (stable, canary, active,
/// preview; the picture's rule), with the colour group it logs in.
fn rollout_role(
    state: &State,
    key: &RowKey,
    pod: &crate::cluster::rows::PodRow,
) -> Option<(&'static str, u32)> {
    let row = state.stores.rollouts.get(key)?;
    let hash = pod
        .labels
        .iter()
        .find(|(k, _)| &**k == crate::cluster::argo_rollouts::HASH_LABEL)?
        .1
        .clone();
    let roles = crate::cluster::argo_rollouts::picture::roles(&row.rollout.0, &hash);
    Some(if roles.canary {
        ("canary", 1)
    } else if roles.preview {
        ("preview", 1)
    } else if roles.stable || roles.active {
        ("stable", 0)
    } else {
        ("old", 2)
    })
}

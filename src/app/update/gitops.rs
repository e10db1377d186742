//! The apps view: GitOps worker events in, diff / sync / fetch / pull out.

use super::*;
use crate::app::gitops_service::{GitopsCommand, GitopsEvent};
use crate::app::state::{ConfirmAction, ConfirmAlternative, DiffNav, PickPurpose};
use crate::gitops::compare::{Change, SyncStatus};
use crate::gitops::repo::PullOutcome;

pub(super) fn on_event(state: &mut State, event: GitopsEvent, effects: &mut Vec<Effect>) {
    state.dirty = true;
    state.gitops.stamp += 1;
    match event {
        GitopsEvent::Spec {
            root,
            result,
            tools,
        } => {
            state.gitops.root = Some(root);
            state.gitops.tools = tools;
            match result {
                Ok(spec) => {
                    state.gitops.spec_error = None;
                    state.gitops.entry = spec.entry.clone();
                    state.gitops.entry_candidates = spec.entry_candidates.clone();
                    state.builds.set_specs(spec.builds.clone());
                    state.gitops.set_apps(spec.apps);
                }
                Err(error) => {
                    state.flash(Level::Error, error.clone());
                    state.gitops.spec_error = Some(error);
                }
            }
        }
        GitopsEvent::Repo(result) => match result {
            Ok(status) => {
                state.gitops.repo = Some(status);
                state.gitops.repo_error = None;
            }
            Err(error) => state.gitops.repo_error = Some(error),
        },
        GitopsEvent::Refreshing { apps, seq } => {
            for name in apps {
                if let Some(app) = state.gitops.app_mut(&name)
                    && app.seq <= seq
                {
                    app.refreshing = true;
                }
            }
        }
        GitopsEvent::Evaluated { seq, evaluation } => {
            let name = evaluation.app.clone();
            let Some(app) = state.gitops.app_mut(&name) else {
                return;
            };
            if seq < app.seq {
                return; // an older refresh finished late
            }
            app.set_evaluation(seq, *evaluation);
            refresh_open_diff(state, &name);
            auto_sync(state, &name, effects);
            let dependents: Vec<String> = state
                .gitops
                .apps
                .iter()
                .filter(|a| a.spec.depends_on.contains(&name))
                .map(|a| a.spec.name.clone())
                .collect();
            for dependent in dependents {
                auto_sync(state, &dependent, effects);
            }
        }
        GitopsEvent::Fetched(result) => {
            state.gitops.fetching = false;
            match result {
                Ok(()) => state.flash(Level::Info, "fetched"),
                Err(error) => {
                    state.flash(Level::Error, format!("fetch failed: {error}"));
                    state.gitops.repo_error = Some(error);
                }
            }
        }
        GitopsEvent::Pulled(result) => {
            state.gitops.pulling = false;
            match result {
                Ok(PullOutcome::UpToDate) => state.flash(Level::Info, "already up to date"),
                Ok(PullOutcome::FastForwarded { from, to }) => {
                    state.flash(Level::Info, format!("pulled: fast-forwarded {from}..{to}"));
                    effects.push(Effect::Gitops(GitopsCommand::Refresh {
                        apps: Vec::new(),
                        rerender: true,
                    }));
                }
                Err(error) => state.flash(Level::Error, format!("pull refused: {error}")),
            }
        }
        GitopsEvent::SyncProgress {
            request,
            app,
            progress,
        } => {
            // A stale sync's progress (an earlier request) is dropped.
            if state.gitops.syncing.get(&app) == Some(&request) {
                state.gitops.sync_progress.insert(app, progress);
                state.gitops.stamp += 1;
            }
        }
        GitopsEvent::Synced {
            request,
            app,
            result,
        } => {
            if state.gitops.syncing.get(&app) == Some(&request) {
                state.gitops.syncing.remove(&app);
                state.gitops.sync_progress.remove(&app);
                state.gitops.stamp += 1;
            }
            match result {
                Ok(report) if report.succeeded() => {
                    state.flash(Level::Info, format!("synced {app}: {}", report.summary()))
                }
                Ok(report) => {
                    // The failed hook's last log line says most.
                    let first = match report.failed_hook() {
                        Some(crate::gitops::sync::HookResult {
                            outcome: crate::gitops::sync::HookOutcome::Failed { logs, .. },
                            ..
                        }) if !logs.is_empty() => {
                            format!(" — last log line: {}", logs[logs.len() - 1])
                        }
                        _ => report
                            .failed
                            .first()
                            .filter(|_| report.stopped.is_none())
                            .map(|(key, error)| format!(" — {key}: {error}"))
                            .unwrap_or_default(),
                    };
                    state.flash(
                        Level::Error,
                        format!("sync of {app} failed: {}{first}", report.summary()),
                    )
                }
                Err(error) => state.flash(Level::Error, format!("sync of {app} failed: {error}")),
            }
            effects.push(Effect::Gitops(GitopsCommand::Refresh {
                apps: vec![app],
                rerender: false,
            }));
        }
        GitopsEvent::History {
            request,
            app,
            entries,
        } => {
            if state.gitops.history_request != Some(request) {
                return; // another `h` since
            }
            state.gitops.history_request = None;
            open_history(state, &app, entries);
        }
        GitopsEvent::EvaluatedAt {
            request,
            app,
            result,
        } => {
            let Some(rollback) = state.gitops.rollback.as_mut() else {
                return;
            };
            if rollback.request != request {
                return; // a later pick replaced it
            }
            match result {
                Ok((commit, evaluation)) => {
                    rollback.commit = Some(commit);
                    rollback.evaluation = Some(evaluation);
                    open_rollback_diff(state, &app);
                }
                Err(error) => {
                    state.gitops.rollback = None;
                    state.flash(Level::Error, format!("cannot roll {app} back: {error}"));
                }
            }
        }
    }
}

/// The history picker: newest first, what each sync was.
fn open_history(state: &mut State, app: &str, entries: Vec<crate::gitops::rollback::HistoryEntry>) {
    if entries.is_empty() {
        return state.flash(Level::Info, format!("{app} has no sync history yet"));
    }
    let choices = entries
        .iter()
        .map(|e| {
            let mut subject: String = e.subject().chars().take(48).collect();
            if e.subject().chars().count() > 48 {
                subject.push('…');
            }
            let mut line = format!(
                "{}  {subject:<49} {}  {}",
                e.short(),
                e.record.synced_at,
                e.record.result
            );
            if e.record.rolled_back {
                line.push_str(" (rollback)");
            }
            if e.is_head {
                line.push_str(" · HEAD");
            }
            if !e.can_roll_back() {
                line.push_str(" · cannot be rendered again");
            }
            line
        })
        .collect();
    let revisions = entries
        .iter()
        .map(|e| e.can_roll_back().then(|| e.record.revision.clone()))
        .collect();
    super::containers::open_picker(
        state,
        format!("history of {app} — enter: diff and roll back · esc"),
        choices,
        PickPurpose::Rollback {
            app: app.to_string(),
            revisions,
        },
    );
}

/// A line of the history picked: render the app at that commit.
pub(super) fn pick_rollback(
    state: &mut State,
    app: &str,
    revision: Option<String>,
    line: &str,
    effects: &mut Vec<Effect>,
) {
    let Some(revision) = revision else {
        let short: String = line.chars().take(7).collect();
        return state.flash(
            Level::Warn,
            format!("{short} cannot be rendered again (not in this repository, or a dirty tree)"),
        );
    };
    state.next_request += 1;
    let request = state.next_request;
    state.gitops.rollback = Some(crate::app::gitops::RollbackDiff {
        request,
        app: app.to_string(),
        commit: None,
        evaluation: None,
    });
    state.flash(
        Level::Info,
        format!(
            "rendering {app} at {}…",
            crate::gitops::rollback::short(&revision)
        ),
    );
    effects.push(Effect::Gitops(GitopsCommand::EvaluateAt {
        request,
        app: app.to_string(),
        revision,
    }));
}

/// The rollback's diff, `S` going on to its confirm.
fn open_rollback_diff(state: &mut State, app: &str) {
    let Some(rollback) = &state.gitops.rollback else {
        return;
    };
    let (Some(commit), Some(evaluation)) = (&rollback.commit, &rollback.evaluation) else {
        return;
    };
    let title = format!(
        "roll {app} back to {} ({}) — S roll back · n/N objects · esc cancel",
        commit.short, commit.subject
    );
    let (lines, objects) = diff_lines_of(app, Some(evaluation));
    state.next_request += 1;
    state.detail = Some(Detail::text(
        state.next_request,
        title,
        lines,
        Some(DiffNav {
            app: app.to_string(),
            objects,
            for_sync: true,
            rollback: true,
            object: None,
        }),
    ));
}

/// Argo CD's automated sync: each new commit once, never a commit it has
/// already applied (no self-heal: drift on the same commit waits for `S`).
fn auto_sync(state: &mut State, name: &str, effects: &mut Vec<Effect>) {
    let Some(head) = state.gitops.head().map(str::to_string) else {
        return;
    };
    let Some(app) = state.gitops.app(name) else {
        return;
    };
    let Some(eval) = &app.eval else { return };
    if !app.spec.auto_sync
        || state.readonly
        || eval.sync() != SyncStatus::OutOfSync
        || state.gitops.syncing.contains_key(name)
        || state
            .gitops
            .repo
            .as_ref()
            .is_some_and(|r| !r.dirty.is_empty())
        || eval.inventory.as_ref().is_some_and(|i| i.revision == head)
        // Rolled back: paused until a sync of HEAD (Argo CD).
        || eval.inventory.as_ref().is_some_and(|i| i.rolled_back)
    {
        return;
    }
    let prune = app.spec.prune;
    if state.gitops.waiting_for(name).is_some() {
        return; // tried again when the dependency's evaluation arrives
    }
    if !state
        .gitops
        .auto_synced
        .insert((name.to_string(), head.clone()))
    {
        return;
    }
    state.flash(
        Level::Info,
        format!("auto-sync {name} to {}", &head[..head.len().min(7)]),
    );
    // Nobody is asked: shared objects and Prune=confirm objects stay.
    let request = SyncRequest {
        prune,
        allow_shared: false,
        interactive: false,
        rollback: false,
        object: None,
    };
    start_sync(state, name, request, effects);
}

/// How a sync was asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncRequest {
    pub prune: bool,
    /// Take objects another app renders or tracks.
    pub allow_shared: bool,
    /// A person said yes in the confirm (not auto-sync).
    pub interactive: bool,
    /// Sync the rollback's evaluation, at its commit.
    pub rollback: bool,
    /// Only this object (Argo CD's selective sync).
    pub object: Option<crate::gitops::object::ObjectKey>,
}

/// Sends a sync of the app's current diff to the worker.
pub(super) fn start_sync(
    state: &mut State,
    name: &str,
    request: SyncRequest,
    effects: &mut Vec<Effect>,
) {
    let (eval, revision) = if request.rollback {
        let Some(rollback) = state.gitops.rollback.take().filter(|r| r.app == name) else {
            return state.flash(
                Level::Warn,
                "the rollback's diff is gone: pick it again (h)",
            );
        };
        match (rollback.evaluation, rollback.commit) {
            (Some(eval), Some(commit)) => (*eval, Some(commit.id)),
            _ => return state.flash(Level::Warn, "the rollback is not rendered yet"),
        }
    } else {
        let Some(mut eval) = state.gitops.app(name).and_then(|a| a.eval.clone()) else {
            state.flash(Level::Warn, format!("{name} has not been diffed yet"));
            return;
        };
        if let Some(key) = &request.object {
            let Some(only) = eval.diff.as_ref().and_then(|d| d.only(key)) else {
                return state.flash(Level::Warn, format!("{key} is not one of {name}'s objects"));
            };
            eval.diff = Some(only);
        }
        (eval, None)
    };
    state.next_request += 1;
    let id = state.next_request;
    state.gitops.syncing.insert(name.to_string(), id);
    state.detail = None;
    effects.push(Effect::Gitops(GitopsCommand::Sync {
        request: id,
        evaluation: Box::new(eval),
        prune: request.prune,
        allow_shared: request.allow_shared,
        interactive: request.interactive,
        revision,
        selective: request.object.is_some(),
    }));
}

/// The object under the cursor of an app's resource tree.
fn selected_object(state: &State) -> Option<crate::gitops::object::ObjectKey> {
    let view = state.view();
    let (ViewKind::AppObjects, Pin::App(name)) = (&view.kind, &view.pin) else {
        return None;
    };
    let index = *view.visible.get(view.cursor)? as usize;
    Some(state.gitops.app(name)?.objects.get(index)?.key.clone())
}

/// One object's diff, `S` going on to syncing it alone.
fn open_object_diff(state: &mut State, name: &str, key: &crate::gitops::object::ObjectKey) {
    let Some(object) = state
        .gitops
        .app(name)
        .and_then(|a| a.eval.as_ref())
        .and_then(|e| e.diff.as_ref())
        .and_then(|d| d.objects.iter().find(|o| &o.key == key))
    else {
        return state.flash(Level::Warn, format!("{name} has not been diffed yet"));
    };
    let mut lines = vec![format!("# {} — {}", object.key, object.change)];
    if let Some(error) = &object.error {
        lines.push(format!("#   {error}"));
    }
    lines.extend(object.diff.lines().map(str::to_string));
    if object.change == Change::Unchanged {
        lines.push(format!("{key} is in sync with the repo."));
    }
    state.next_request += 1;
    state.detail = Some(Detail::text(
        state.next_request,
        format!("diff {key} only — S sync this object · esc cancel"),
        lines,
        Some(DiffNav {
            app: name.to_string(),
            objects: vec![0],
            for_sync: true,
            rollback: false,
            object: Some(key.clone()),
        }),
    ));
}

/// The confirm of a selective sync: what it skips is said.
fn ask_sync_object(state: &mut State, name: &str, key: crate::gitops::object::ObjectKey) {
    let Some(object) = state
        .gitops
        .app(name)
        .and_then(|a| a.eval.as_ref())
        .and_then(|e| e.diff.as_ref())
        .and_then(|d| d.objects.iter().find(|o| o.key == key))
    else {
        return;
    };
    match object.change {
        Change::Unchanged => {
            state.detail = None;
            return state.flash(Level::Info, format!("{key} is in sync: nothing to apply"));
        }
        Change::PruneCandidate => {
            return state.flash(
                Level::Warn,
                format!("{key} is a prune candidate: a full sync with prune deletes it"),
            );
        }
        _ => {}
    }
    let mut question = format!(
        "Sync only {key} of {name}? ({})\nA selective sync: its sync wave and {name}'s hooks \
         are ignored, nothing is pruned, the app's sync history is not written.",
        object.change
    );
    if let Some(error) = &object.error {
        question.push_str(&format!("\nIt cannot be applied as it is: {error}"));
    }
    let shared = object.shared_text();
    if let Some(text) = &shared {
        question.push_str(&format!("\nShared: {text} (a: take it)"));
    }
    let action = |allow_shared: bool| ConfirmAction::Sync {
        app: name.to_string(),
        prune: false,
        allow_shared,
        rollback: false,
        object: Some(key.clone()),
    };
    let alternative = shared.is_some().then(|| ConfirmAlternative {
        key: 'a',
        label: "sync it, taking it from the other app".into(),
        action: action(true),
    });
    state.confirm = Some(Confirm {
        question,
        action: action(false),
        alternative,
    });
}

/// The app under the cursor: the apps row, or the app a tree is pinned to.
fn selected_app(state: &State) -> Option<String> {
    let view = state.view();
    match (&view.kind, &view.pin) {
        (ViewKind::Apps, _) => view.selected.as_ref().map(|key| key.name.to_string()),
        (ViewKind::AppObjects, Pin::App(name)) => Some(name.clone()),
        _ => None,
    }
}

pub(super) fn act(state: &mut State, action: Action, effects: &mut Vec<Effect>) {
    match action {
        Action::Fetch => {
            if state.gitops.root.is_none() {
                return no_repo(state);
            }
            state.gitops.fetching = true;
            state.flash(Level::Info, "fetching…");
            effects.push(Effect::Gitops(GitopsCommand::Fetch));
        }
        Action::Pull => {
            if state.gitops.root.is_none() {
                return no_repo(state);
            }
            // A pull changes the working tree the apps are synced from.
            if refused_readonly(state, "git pull") {
                return;
            }
            state.gitops.pulling = true;
            state.flash(Level::Info, "pulling (fast-forward only)…");
            effects.push(Effect::Gitops(GitopsCommand::Pull));
        }
        Action::Refresh => {
            let apps = selected_app(state).into_iter().collect();
            state.flash(Level::Info, "refreshing…");
            effects.push(Effect::Gitops(GitopsCommand::Refresh {
                apps,
                rerender: true,
            }));
        }
        Action::Diff => match selected_app(state) {
            Some(name) => open_diff(state, &name, false),
            None => state.flash(Level::Warn, "select an app to diff"),
        },
        Action::Sync => {
            if refused_readonly(state, "sync") {
                return;
            }
            let Some(name) = selected_app(state) else {
                return state.flash(Level::Warn, "select an app to sync");
            };
            // In the resource tree, `S` is about the object under the cursor.
            let object = selected_object(state);
            let open = state
                .detail
                .as_ref()
                .and_then(|d| d.diff.as_ref())
                .filter(|d| d.app == name && d.object == object)
                .map(|d| d.rollback);
            match (open, object) {
                (Some(_), Some(key)) => ask_sync_object(state, &name, key),
                (Some(rollback), None) => ask_sync(state, &name, rollback),
                (None, Some(key)) => open_object_diff(state, &name, &key),
                (None, None) => open_diff(state, &name, true),
            }
        }
        Action::History => {
            let Some(name) = selected_app(state) else {
                return state.flash(Level::Warn, "select an app to see its history");
            };
            let inventory = state
                .gitops
                .app(&name)
                .and_then(|a| a.eval.as_ref())
                .and_then(|e| e.inventory.clone());
            let Some(inventory) = inventory else {
                return state.flash(Level::Info, format!("{name} was never synced: no history"));
            };
            state.next_request += 1;
            state.gitops.history_request = Some(state.next_request);
            effects.push(Effect::Gitops(GitopsCommand::History {
                request: state.next_request,
                app: name,
                inventory: Box::new(inventory),
            }));
        }
        _ => {}
    }
}

fn no_repo(state: &mut State) {
    let why = state
        .gitops
        .setup_error
        .clone()
        .unwrap_or_else(|| "no GitOps repo (start with --repo PATH)".into());
    state.flash(Level::Warn, why);
}

/// The confirm after the diff: what will change, what prune deletes, what
/// stays and why, and what another app shares (skipped unless `a`).
fn ask_sync(state: &mut State, name: &str, rollback: bool) {
    let Some(app) = state.gitops.app(name) else {
        return;
    };
    let at = state
        .gitops
        .rollback
        .as_ref()
        .filter(|r| rollback && r.app == name);
    let eval = match at {
        Some(r) => r.evaluation.as_deref(),
        None if rollback => return,
        None => app.eval.as_ref(),
    };
    let Some(diff) = eval.and_then(|e| e.diff.as_ref()) else {
        return state.flash(Level::Warn, format!("{name} has no diff to sync"));
    };
    let rolling_back_to = at.and_then(|r| r.commit.clone());
    let prune = app.spec.prune;
    let prunable: Vec<String> = diff
        .objects
        .iter()
        .filter(|o| o.prunable())
        .map(|o| o.key.to_string())
        .collect();
    let kept: Vec<String> = diff
        .objects
        .iter()
        .filter_map(|o| Some(format!("{} — {}", o.key, o.keep.as_ref()?.reason)))
        .collect();
    let shared: Vec<String> = diff
        .objects
        .iter()
        .filter(|o| o.change != Change::PruneCandidate && o.change != Change::Unchanged)
        .filter_map(|o| Some(format!("{} — {}", o.key, o.shared_text()?)))
        .collect();
    let applies = diff
        .objects
        .iter()
        .any(|o| matches!(o.change, Change::Create | Change::Drifted | Change::Error));
    // A sync always runs the app's hooks (Argo CD), even with nothing to apply.
    let hooks: Vec<String> = diff
        .hooks
        .iter()
        .filter(|h| !h.phases.is_empty())
        .map(|h| h.describe())
        .collect();
    if !applies && (prunable.is_empty() || !prune) && hooks.is_empty() && !rollback {
        state.detail = None;
        return state.flash(Level::Info, format!("{name} is in sync: nothing to apply"));
    }
    let revision = state
        .gitops
        .repo
        .as_ref()
        .and_then(|r| r.head.as_ref())
        .map(|h| h.short.clone())
        .unwrap_or_else(|| "the working tree".into());
    let mut question = match &rolling_back_to {
        Some(commit) => format!(
            "Roll {name} back to {} ({})? ({}) Its autoSync pauses until a sync of HEAD.",
            commit.short,
            commit.subject,
            diff.summary()
        ),
        None => format!("Sync {name} to {revision}? ({})", diff.summary()),
    };
    let list = |question: &mut String, title: &str, items: &[String]| {
        if items.is_empty() {
            return;
        }
        question.push_str(&format!("\n{title}"));
        for item in items.iter().take(8) {
            question.push_str(&format!("\n  {item}"));
        }
        if items.len() > 8 {
            question.push_str(&format!("\n  … and {} more", items.len() - 8));
        }
    };
    if prune {
        list(&mut question, "Prune deletes:", &prunable);
    } else if !prunable.is_empty() {
        question.push_str(&format!(
            "\n{} prune candidate(s) stay (prune is off for this app)",
            prunable.len()
        ));
    }
    list(&mut question, "Stays (not pruned):", &kept);
    // Objects that cannot be applied (an undecryptable SOPS Secret, a
    // missing namespace): the rest syncs only through this confirm.
    let not_applied: Vec<String> = diff
        .objects
        .iter()
        .filter(|o| o.change == Change::Error)
        .map(|o| o.error.clone().unwrap_or_else(|| o.key.to_string()))
        .collect();
    list(
        &mut question,
        "Not applied (the rest syncs without them):",
        &not_applied,
    );
    list(&mut question, "Hooks run:", &hooks);
    list(
        &mut question,
        "Skipped, another app has them (a: take them too):",
        &shared,
    );
    let alternative = (!shared.is_empty()).then(|| ConfirmAlternative {
        key: 'a',
        label: "sync and take shared objects".into(),
        action: ConfirmAction::Sync {
            app: name.to_string(),
            prune,
            allow_shared: true,
            rollback,
            object: None,
        },
    });
    state.confirm = Some(Confirm {
        question,
        action: ConfirmAction::Sync {
            app: name.to_string(),
            prune,
            allow_shared: false,
            rollback,
            object: None,
        },
        alternative,
    });
}

/// The diff text of an app: one section per object that would change.
fn diff_lines(state: &State, name: &str) -> (Vec<String>, Vec<usize>) {
    match state.gitops.app(name) {
        Some(app) => diff_lines_of(name, app.eval.as_ref()),
        None => (Vec::new(), Vec::new()),
    }
}

/// The diff text of one evaluation (HEAD's, or a rollback's).
fn diff_lines_of(
    name: &str,
    eval: Option<&crate::gitops::evaluate::Evaluation>,
) -> (Vec<String>, Vec<usize>) {
    let mut lines = Vec::new();
    let mut starts = Vec::new();
    let Some(eval) = eval else {
        lines.push("rendering and diffing…".into());
        return (lines, starts);
    };
    if let Some(error) = &eval.error {
        lines.extend(error.lines().map(str::to_string));
        return (lines, starts);
    }
    let Some(diff) = &eval.diff else {
        return (lines, starts);
    };
    for obj in diff.changed() {
        starts.push(lines.len());
        lines.push(format!("# {} — {}", obj.key, obj.change));
        if let Some(error) = &obj.error {
            lines.push(format!("#   {error}"));
        }
        for takeover in &obj.takeover {
            lines.push(format!("#   takes {takeover}"));
        }
        lines.extend(obj.diff.lines().map(str::to_string));
        lines.push(String::new());
    }
    if starts.is_empty() {
        lines.push(format!("{name} is in sync with the repo: no differences."));
    }
    // Hooks are run by a sync, never compared (Argo CD): listed, not diffed.
    if !diff.hooks.is_empty() || !diff.skipped.is_empty() {
        lines.push(String::new());
        lines.push("# hooks (run by a sync, not compared)".into());
        lines.extend(diff.hooks.iter().map(|h| format!("#   {}", h.describe())));
        lines.extend(
            diff.skipped
                .iter()
                .map(|key| format!("#   {key} (argocd.argoproj.io/hook: Skip, never applied)")),
        );
    }
    (lines, starts)
}

fn open_diff(state: &mut State, name: &str, for_sync: bool) {
    let (lines, objects) = diff_lines(state, name);
    state.next_request += 1;
    let title = if for_sync {
        format!("diff {name} — S sync · n/N objects · esc cancel")
    } else {
        format!("diff {name} — n/N objects")
    };
    state.detail = Some(Detail::text(
        state.next_request,
        title,
        lines,
        Some(DiffNav {
            app: name.to_string(),
            objects,
            for_sync,
            rollback: false,
            object: None,
        }),
    ));
}

/// A new evaluation of the app whose diff is open: show the new diff, but
/// never swap it under a pending sync (the confirm is about what was shown).
fn refresh_open_diff(state: &mut State, name: &str) {
    let Some(detail) = &state.detail else { return };
    let Some(nav) = &detail.diff else { return };
    if nav.app != name || state.confirm.is_some() || nav.rollback {
        return;
    }
    let (lines, objects) = diff_lines(state, name);
    if let Some(detail) = state.detail.as_mut() {
        let scroll = detail.scroll.min(lines.len().saturating_sub(1));
        detail.lines = lines;
        detail.scroll = scroll;
        if let Some(nav) = detail.diff.as_mut() {
            nav.objects = objects;
        }
    }
}

/// `n`/`N` in a diff: the next / previous object's section.
pub(super) fn jump_object(state: &mut State, forward: bool) -> bool {
    let Some(detail) = state.detail.as_mut() else {
        return false;
    };
    if !detail.search.is_empty() {
        return false;
    }
    let Some(nav) = &detail.diff else {
        return false;
    };
    let target = if forward {
        nav.objects.iter().find(|&&start| start > detail.scroll)
    } else {
        nav.objects
            .iter()
            .rev()
            .find(|&&start| start < detail.scroll)
    };
    if let Some(&start) = target {
        detail.scroll = start;
    }
    true
}

/// `enter` on an app: its resource tree.
pub(super) fn open_tree(state: &mut State, name: &str) {
    push_view(
        state,
        ViewState::pinned(ViewKind::AppObjects, Pin::App(name.to_string())),
    );
}

//! The builds view: runs in, `b` (build, confirmed), `ctrl-d` (cancel,
//! confirmed), `l` (the run's log); a good build restarts its `then`.

use super::*;
use crate::app::builds::succeeded;
use crate::app::builds_service::{BuildsCommand, BuildsEvent};
use crate::app::state::ConfirmAction;
use crate::builds::status::RunKind;
use crate::cluster::rows::Row;
use crate::cluster::rows::workload::Selector;

pub(super) fn on_event(state: &mut State, event: BuildsEvent, effects: &mut Vec<Effect>) {
    match event {
        BuildsEvent::Runs { epoch, runs } => {
            if epoch != state.epoch {
                return;
            }
            state.builds.set_runs(runs);
            if matches!(state.view().kind, ViewKind::Builds) {
                state.dirty = true;
            }
            for (run, pending) in state.builds.finished_pending() {
                state.dirty = true;
                if !succeeded(&run) {
                    let why = if run.message.is_empty() {
                        run.phase.as_str().to_string()
                    } else {
                        run.message.clone()
                    };
                    state.flash(
                        Level::Error,
                        format!("build {} failed ({why}): nothing restarted", pending.build),
                    );
                    continue;
                }
                restart_then(state, &pending.build, &pending.then, effects);
            }
        }
        BuildsEvent::Started {
            request,
            build,
            result,
        } => {
            state.dirty = true;
            state.builds.starting.remove(&request);
            match result {
                Ok(started) => {
                    let then = state
                        .builds
                        .spec(&build)
                        .map(|s| s.then.clone())
                        .unwrap_or_default();
                    state.flash(
                        Level::Info,
                        format!(
                            "build {build} started: {} {} → {}",
                            started.kind.as_str(),
                            started.name,
                            started.destination
                        ),
                    );
                    if !then.is_empty() {
                        state.builds.pending_then.insert(
                            started.name.clone(),
                            crate::app::builds::PendingThen { build, then },
                        );
                    }
                }
                Err(error) => state.flash(Level::Error, format!("build {build}: {error}")),
            }
        }
        BuildsEvent::Cancelled {
            request: _,
            name,
            result,
        } => {
            state.dirty = true;
            match result {
                Ok(()) => state.flash(Level::Info, format!("cancelled {name}")),
                Err(error) => state.flash(Level::Error, format!("cancel {name}: {error}")),
            }
        }
    }
}

/// Restarts each `then` target (the rollout panel follows them).
fn restart_then(state: &mut State, build: &str, then: &[String], effects: &mut Vec<Effect>) {
    let default_namespace = state
        .namespace
        .clone()
        .unwrap_or_else(|| "default".to_string());
    let mut started = Vec::new();
    for target in then {
        match crate::builds::launch::parse_then(target, &default_namespace) {
            Ok((kind, namespace, name)) => {
                let key = crate::cluster::rows::RowKey::new(&namespace, &name);
                start_mutation(state, Mutation::Restart { kind, key }, effects);
                started.push(format!("{}/{name} -n {namespace}", kind.plural()));
            }
            Err(error) => state.flash(Level::Error, format!("build {build}: then {error}")),
        }
    }
    if !started.is_empty() {
        state.flash(
            Level::Info,
            format!("build {build} succeeded; restarting {}", started.join(", ")),
        );
    }
}

/// The build the cursor points at: a builds row, or the build feeding the
/// selected app.
fn selected_build(state: &State) -> Option<String> {
    let view = state.view();
    match (&view.kind, &view.pin) {
        (ViewKind::Builds, _) => {
            let key = view.selected.as_ref()?;
            state
                .builds
                .entries
                .iter()
                .find(|e| e.ident() == (key.namespace.as_ref(), key.name.as_ref()))
                .map(|e| e.build.clone())
        }
        (ViewKind::Apps, _) => {
            let app = view.selected.as_ref()?.name.to_string();
            state.builds.for_app(&app).map(|b| b.name.clone())
        }
        (ViewKind::AppObjects, Pin::App(app)) => state.builds.for_app(app).map(|b| b.name.clone()),
        _ => None,
    }
}

/// `b`: confirm, then start the build.
pub(super) fn ask_build(state: &mut State) {
    if refused_readonly(state, "build") {
        return;
    }
    let Some(name) = selected_build(state) else {
        let hint = if state.builds.specs.is_empty() {
            "the repo's bosun.yaml has no builds:"
        } else {
            "select a build (or an app a build feeds)"
        };
        return state.flash(Level::Warn, hint);
    };
    let Some(spec) = state.builds.spec(&name) else {
        return state.flash(Level::Warn, format!("no build \"{name}\" in bosun.yaml"));
    };
    let revision = state
        .gitops
        .repo
        .as_ref()
        .and_then(|r| r.head.as_ref())
        .map(|h| h.short.clone())
        .unwrap_or_else(|| "HEAD".into());
    let tag = spec.tag.clone().unwrap_or_else(|| revision.clone());
    let mut question = format!("Build {name} at {revision} → {}:{tag}?", spec.image);
    if !spec.then.is_empty() {
        question.push_str(&format!("\nthen restart {}", spec.then.join(", ")));
    }
    state.confirm = Some(Confirm {
        question,
        action: ConfirmAction::Build { build: name },
        alternative: None,
    });
}

pub(super) fn start_build(state: &mut State, build: &str, effects: &mut Vec<Effect>) {
    let Some(spec) = state.builds.spec(build).cloned() else {
        return;
    };
    let Some(root) = state.gitops.root.clone() else {
        return state.flash(
            Level::Warn,
            "no GitOps repo: builds come from its bosun.yaml",
        );
    };
    state.next_request += 1;
    let request = state.next_request;
    state.builds.starting.insert(request, build.to_string());
    state.flash(Level::Info, format!("starting build {build}…"));
    effects.push(Effect::Builds(BuildsCommand::Start {
        request,
        root,
        build: Box::new(spec),
    }));
}

fn selected_run(state: &State) -> Option<crate::builds::status::BuildRun> {
    let view = state.view();
    if view.kind != ViewKind::Builds {
        return None;
    }
    let key = view.selected.as_ref()?;
    state
        .builds
        .entries
        .iter()
        .find(|e| e.ident() == (key.namespace.as_ref(), key.name.as_ref()))
        .and_then(|e| e.run.clone())
}

/// `ctrl-d` in the builds view: cancel the run (confirm).
pub(super) fn ask_cancel(state: &mut State) {
    if refused_readonly(state, "cancel") {
        return;
    }
    let Some(run) = selected_run(state) else {
        return state.flash(Level::Warn, "select a build run to cancel");
    };
    let verb = if run.terminal() { "Delete" } else { "Cancel" };
    state.confirm = Some(Confirm {
        question: format!(
            "{verb} {} {}/{} (its pods go too)?",
            run.kind.as_str(),
            run.namespace,
            run.name
        ),
        action: ConfirmAction::CancelBuild {
            kind: run.kind,
            namespace: run.namespace.clone(),
            name: run.name.clone(),
        },
        alternative: None,
    });
}

pub(super) fn start_cancel(
    state: &mut State,
    kind: RunKind,
    namespace: String,
    name: String,
    effects: &mut Vec<Effect>,
) {
    state.next_request += 1;
    state.builds.pending_then.remove(&name);
    state.flash(Level::Info, format!("cancelling {name}…"));
    effects.push(Effect::Builds(BuildsCommand::Cancel {
        request: state.next_request,
        kind,
        namespace,
        name,
    }));
}

/// `l` on a run: its pods' logs (a Job's by `job-name`, a Workflow's by
/// `workflows.argoproj.io/workflow`).
pub(super) fn run_log_scope(state: &mut State) -> Option<crate::app::logs::LogScope> {
    let Some(run) = selected_run(state) else {
        state.flash(Level::Warn, "this build has not run yet: b starts it");
        return None;
    };
    let label = match run.kind {
        RunKind::Job => "job-name",
        RunKind::Workflow => "workflows.argoproj.io/workflow",
    };
    let selector = Selector::from_label_selector(
        &k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector {
            match_labels: Some(
                [(label.to_string(), run.name.clone())]
                    .into_iter()
                    .collect(),
            ),
            match_expressions: None,
        },
    );
    Some(crate::app::logs::LogScope::Workload {
        kind: ResourceKind::Jobs,
        key: crate::cluster::rows::RowKey::new(&run.namespace, &run.name),
        selector,
    })
}

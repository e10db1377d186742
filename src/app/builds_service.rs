//! Build runs for the builds view: watchers on Jobs and Argo Workflows
//! carrying bosun's build label (the Workflow one only where Argo is
//! installed), and the work behind `b` and cancel. Results come back as
//! `BuildsEvent`s tagged with the connection epoch or a request id.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use futures::StreamExt;
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind};
use kube::runtime::watcher::{self, Event};
use tokio::sync::mpsc;

use crate::builds::BUILD_LABEL;
use crate::builds::launch::{self, LaunchConfig, Started};
use crate::builds::status::{self, BuildRun, RunKind};
use crate::gitops::spec::BuildSpec;

use super::event::AppEvent;

#[derive(Debug, Clone)]
pub enum BuildsEvent {
    /// Every run bosun knows of, newest first (Jobs and Workflows merged).
    Runs { epoch: u64, runs: Vec<BuildRun> },
    Started {
        request: u64,
        build: String,
        result: Result<Started, String>,
    },
    Cancelled {
        request: u64,
        name: String,
        result: Result<(), String>,
    },
}

#[derive(Debug, Clone)]
pub enum BuildsCommand {
    Start {
        request: u64,
        root: PathBuf,
        build: Box<BuildSpec>,
    },
    Cancel {
        request: u64,
        kind: RunKind,
        namespace: String,
        name: String,
    },
}

/// Watches build Jobs and Workflows for one connection; aborted with it.
pub fn spawn_watchers(
    client: kube::Client,
    epoch: u64,
    sender: mpsc::Sender<AppEvent>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let (tx, mut rx) = mpsc::channel::<(RunKind, Update)>(256);
        let jobs_resource =
            ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk("batch", "v1", "Job"), "jobs");
        let jobs: Api<DynamicObject> = Api::all_with(client.clone(), &jobs_resource);
        let jobs_task = tokio::spawn(watch_kind(RunKind::Job, jobs, tx.clone()));
        let resource = ApiResource::from_gvk_with_plural(
            &GroupVersionKind::gvk("argoproj.io", "v1alpha1", "Workflow"),
            "workflows",
        );
        let workflows: Api<DynamicObject> = Api::all_with(client.clone(), &resource);
        let workflows_task = tokio::spawn(watch_kind(RunKind::Workflow, workflows, tx));
        let _guard = Abort(vec![jobs_task, workflows_task]);
        let mut runs: BTreeMap<(RunKind, String, String), BuildRun> = BTreeMap::new();
        while let Some((kind, update)) = rx.recv().await {
            match update {
                Update::Replace(all) => {
                    runs.retain(|(k, _, _), _| *k != kind);
                    for run in all {
                        runs.insert((kind, run.namespace.clone(), run.name.clone()), run);
                    }
                }
                Update::Upsert(run) => {
                    runs.insert((kind, run.namespace.clone(), run.name.clone()), run);
                }
                Update::Delete(namespace, name) => {
                    runs.remove(&(kind, namespace, name));
                }
            }
            let mut list: Vec<BuildRun> = runs.values().cloned().collect();
            list.sort_by(|a, b| b.started.cmp(&a.started).then_with(|| a.name.cmp(&b.name)));
            if sender
                .send(AppEvent::Builds(BuildsEvent::Runs { epoch, runs: list }))
                .await
                .is_err()
            {
                return;
            }
        }
    })
}

enum Update {
    Replace(Vec<BuildRun>),
    Upsert(BuildRun),
    Delete(String, String),
}

fn project(kind: RunKind, object: &DynamicObject) -> Option<BuildRun> {
    let value = serde_json::to_value(object).ok()?;
    match kind {
        RunKind::Job => status::run_from_job(&value),
        RunKind::Workflow => status::run_from_workflow(&value),
    }
}

/// One kind's watcher with backoff; an absent kind (no Argo) is looked for
/// again now and then.
async fn watch_kind(kind: RunKind, api: Api<DynamicObject>, tx: mpsc::Sender<(RunKind, Update)>) {
    let mut backoff = Duration::from_secs(1);
    loop {
        let config = watcher::Config::default().labels(BUILD_LABEL);
        let mut stream = watcher::watcher(api.clone(), config).boxed();
        let mut buffer = Vec::new();
        let failed = loop {
            match stream.next().await {
                None => break false,
                Some(Ok(Event::Init)) => buffer.clear(),
                Some(Ok(Event::InitApply(object))) => buffer.extend(project(kind, &object)),
                Some(Ok(Event::InitDone)) => {
                    backoff = Duration::from_secs(1);
                    if tx
                        .send((kind, Update::Replace(std::mem::take(&mut buffer))))
                        .await
                        .is_err()
                    {
                        return;
                    }
                }
                Some(Ok(Event::Apply(object))) => {
                    if let Some(run) = project(kind, &object)
                        && tx.send((kind, Update::Upsert(run))).await.is_err()
                    {
                        return;
                    }
                }
                Some(Ok(Event::Delete(object))) => {
                    let namespace = object.metadata.namespace.clone().unwrap_or_default();
                    let name = object.metadata.name.clone().unwrap_or_default();
                    if tx
                        .send((kind, Update::Delete(namespace, name)))
                        .await
                        .is_err()
                    {
                        return;
                    }
                }
                Some(Err(error)) => {
                    tracing::debug!(kind = kind.as_str(), %error, "build watch failed");
                    break true;
                }
            }
        };
        drop(stream);
        let wait = if failed && kind == RunKind::Workflow {
            Duration::from_secs(60)
        } else {
            backoff
        };
        tokio::time::sleep(wait).await;
        backoff = (backoff * 2).min(Duration::from_secs(30));
    }
}

struct Abort(Vec<tokio::task::JoinHandle<()>>);

impl Drop for Abort {
    fn drop(&mut self) {
        for task in &self.0 {
            task.abort();
        }
    }
}

/// Runs a command off the UI task; the answer comes back as an event.
pub fn execute(
    client: kube::Client,
    config: LaunchConfig,
    command: BuildsCommand,
    sender: mpsc::Sender<AppEvent>,
    audit: crate::audit::AuditLog,
    context: String,
) {
    tokio::spawn(async move {
        let event = match command {
            BuildsCommand::Start {
                request,
                root,
                build,
            } => {
                let name = build.name.clone();
                let result = match launch::request(&root, &build, &config) {
                    Ok(req) => launch::start(&client, &req, &config).await,
                    Err(e) => Err(e),
                };
                let outcome = result
                    .as_ref()
                    .map(|s| format!("{} {} → {}", s.kind.as_str(), s.name, s.destination))
                    .map_err(Clone::clone);
                if let Err(e) = audit.record(
                    &context,
                    crate::audit::Source::Tui,
                    &format!("build {name}"),
                    &outcome,
                ) {
                    tracing::warn!("{e}");
                }
                BuildsEvent::Started {
                    request,
                    build: name,
                    result,
                }
            }
            BuildsCommand::Cancel {
                request,
                kind,
                namespace,
                name,
            } => {
                let result = launch::cancel(&client, kind, &namespace, &name).await;
                if let Err(e) = audit.record(
                    &context,
                    crate::audit::Source::Tui,
                    &format!("cancel build {} {namespace}/{name}", kind.as_str()),
                    &result.clone().map(|()| String::new()),
                ) {
                    tracing::warn!("{e}");
                }
                BuildsEvent::Cancelled {
                    request,
                    name,
                    result,
                }
            }
        };
        let _ = sender.send(AppEvent::Builds(event)).await;
    });
}

/// The answer to a command that cannot run without a connection.
pub fn not_connected(command: BuildsCommand) -> AppEvent {
    let error = "not connected to a cluster".to_string();
    AppEvent::Builds(match command {
        BuildsCommand::Start { request, build, .. } => BuildsEvent::Started {
            request,
            build: build.name,
            result: Err(error),
        },
        BuildsCommand::Cancel { request, name, .. } => BuildsEvent::Cancelled {
            request,
            name,
            result: Err(error),
        },
    })
}

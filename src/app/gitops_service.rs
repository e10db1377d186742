//! The GitOps worker: one task that owns the repo's spec, the render cache
//! and the file watcher, and answers the app with `GitopsEvent`s. Renders
//! and diffs run off the UI task; every evaluation carries a sequence number
//! per app so the state drops stale ones.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use tokio::sync::mpsc;

use crate::gitops::evaluate::{self, Evaluation};
use crate::gitops::object::RenderedObject;
use crate::gitops::render::Tools;
use crate::gitops::render_cache::{DiskCache, RenderCache};
use crate::gitops::repo::CommitInfo;
use crate::gitops::repo::{self, AuthOptions, PullOutcome, RepoStatus};
use crate::gitops::resolve::{Resolver, kube_message};
use crate::gitops::rollback::{self, HistoryEntry};
use crate::gitops::spec::{self, AppSpec, RepoSpec, SPEC_FILE};
use crate::gitops::sync::{SyncOptions, SyncReport};
use crate::gitops::watch::{self, TreeWatcher};
use crate::gitops::workspace;
use crate::gitops::{identity, tracked};

use super::event::AppEvent;

/// Apps diffed at once (each diffs its objects 16 at a time).
const EVALUATIONS_AT_ONCE: usize = 8;

/// What the app asks of the worker (an `Effect`).
#[derive(Debug, Clone)]
pub enum GitopsCommand {
    /// Re-diff these apps (all when empty); `rerender` drops cached renders.
    Refresh {
        apps: Vec<String>,
        rerender: bool,
    },
    Fetch,
    Pull,
    /// Apply the diff the user saw and confirmed.
    Sync {
        request: u64,
        evaluation: Box<Evaluation>,
        prune: bool,
        /// Take objects another app renders or tracks.
        allow_shared: bool,
        /// A person confirmed it (not auto-sync): `Prune=confirm` objects go.
        interactive: bool,
        /// The commit the evaluation was made at, when not the checkout (a
        /// rollback, docs/ARCHITECTURE.md "Rollback").
        revision: Option<String>,
        /// One object of the app on its own (its evaluation holds only
        /// it): no hooks, no prune, no inventory write.
        selective: bool,
    },
    /// Stop every sync in flight after its current object (quitting).
    Interrupt,
    /// The app's last syncs with their commits' subjects (`h`).
    History {
        request: u64,
        app: String,
        inventory: Box<crate::gitops::inventory::Inventory>,
    },
    /// The app as it was at a commit, diffed against the cluster now.
    EvaluateAt {
        request: u64,
        app: String,
        revision: String,
    },
}

/// What the worker tells the app.
#[derive(Debug, Clone)]
pub enum GitopsEvent {
    /// The repo's spec (re)loaded: its apps, or why not.
    Spec {
        root: PathBuf,
        result: Result<RepoSpec, String>,
        tools: String,
    },
    Repo(Result<RepoStatus, String>),
    /// These apps are being rendered and diffed.
    Refreshing {
        apps: Vec<String>,
        seq: u64,
    },
    Evaluated {
        seq: u64,
        evaluation: Box<Evaluation>,
    },
    Fetched(Result<(), String>),
    Pulled(Result<PullOutcome, String>),
    /// Where a sync in flight is ("wave 2 of 4 · waiting for …").
    SyncProgress {
        request: u64,
        app: String,
        progress: String,
    },
    Synced {
        request: u64,
        app: String,
        result: Result<Box<SyncReport>, String>,
    },
    History {
        request: u64,
        app: String,
        entries: Vec<HistoryEntry>,
    },
    EvaluatedAt {
        request: u64,
        app: String,
        result: Result<(CommitInfo, Box<Evaluation>), String>,
    },
}

#[derive(Debug, Clone)]
pub struct GitopsOptions {
    pub fetch_interval: Duration,
    pub refresh_interval: Duration,
    pub debounce: Duration,
    pub audit: crate::audit::AuditLog,
    /// The entry point of a multi-cluster repo (`--path`, config `path`).
    pub entry: Option<PathBuf>,
    /// Where renders are kept between runs (none: memory only).
    pub cache_dir: Option<PathBuf>,
}

enum Message {
    Command(GitopsCommand),
    /// A (new) cluster connection: diff everything against it.
    Connect(kube::Client, String),
}

/// The runtime's handle on the worker.
#[derive(Debug, Clone)]
pub struct GitopsHandle {
    messages: mpsc::UnboundedSender<Message>,
}

impl std::fmt::Debug for Message {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Message::Command(c) => write!(f, "{c:?}"),
            Message::Connect(_, context) => write!(f, "Connect({context})"),
        }
    }
}

impl GitopsHandle {
    pub fn send(&self, command: GitopsCommand) {
        let _ = self.messages.send(Message::Command(command));
    }

    pub fn connect(&self, client: kube::Client, context: String) {
        let _ = self.messages.send(Message::Connect(client, context));
    }
}

/// Starts the worker for the repo at `root`.
pub fn start(
    root: PathBuf,
    git: bool,
    options: GitopsOptions,
    app: mpsc::Sender<AppEvent>,
) -> (GitopsHandle, tokio::task::JoinHandle<()>) {
    let (messages, receiver) = mpsc::unbounded_channel();
    let renders = RenderCache::new(DiskCache::new(options.cache_dir.clone()));
    let (tracked_tx, tracked_rx) = mpsc::unbounded_channel();
    let (kinds_tx, kinds_rx) = mpsc::unbounded_channel();
    let worker = Worker {
        in_flight: Vec::new(),
        kinds_tx,
        kinds_rx: Some(kinds_rx),
        tracked: HashMap::new(),
        tracked_tx,
        tracked_rx: Some(tracked_rx),
        pending: HashSet::new(),
        flush_at: None,
        root,
        git,
        options,
        app,
        tools: Tools::detect(),
        spec: None,
        cache: HashMap::new(),
        renders,
        client: None,
        context: String::new(),
        seq: 0,
    };
    let task = tokio::spawn(worker.run(receiver));
    (GitopsHandle { messages }, task)
}

struct Worker {
    root: PathBuf,
    git: bool,
    options: GitopsOptions,
    app: mpsc::Sender<AppEvent>,
    tools: Tools,
    spec: Option<RepoSpec>,
    /// Renders by app, valid for the revision they were made at.
    /// Each app's latest render (the repo-wide index is built from them).
    cache: HashMap<String, Arc<Vec<RenderedObject>>>,
    /// Renders by the content of their inputs (memory and disk).
    renders: RenderCache,
    /// Stop flags of the syncs running (docs/ARCHITECTURE.md "Interruptions").
    in_flight: Vec<crate::gitops::sync::StopFlag>,
    /// Kinds the apps render, resolved by a refresh: watched
    /// (docs/ARCHITECTURE.md "Live status").
    kinds_tx: mpsc::UnboundedSender<Vec<kube::api::ApiResource>>,
    kinds_rx: Option<mpsc::UnboundedReceiver<Vec<kube::api::ApiResource>>>,
    /// Watches of the kinds the apps render, by (group, kind).
    tracked: HashMap<(String, String), tokio::task::JoinHandle<()>>,
    tracked_tx: mpsc::UnboundedSender<Option<String>>,
    tracked_rx: Option<mpsc::UnboundedReceiver<Option<String>>>,
    /// Apps (by label) whose objects changed, diffed again at `flush_at`
    /// (None inside: all of them).
    pending: HashSet<Option<String>>,
    flush_at: Option<tokio::time::Instant>,
    client: Option<kube::Client>,
    context: String,
    seq: u64,
}

impl Worker {
    async fn run(mut self, mut commands: mpsc::UnboundedReceiver<Message>) {
        let (files_tx, mut files) = mpsc::unbounded_channel();
        let _watcher: Option<TreeWatcher> =
            match TreeWatcher::start(&self.root, self.options.debounce, files_tx) {
                Ok(watcher) => Some(watcher),
                Err(e) => {
                    tracing::warn!("{e}");
                    None
                }
            };
        self.load_spec().await;
        self.send_repo_status().await;
        let (Some(mut tracked_rx), Some(mut kinds_rx)) =
            (self.tracked_rx.take(), self.kinds_rx.take())
        else {
            return;
        };
        let mut fetch_timer = interval(self.options.fetch_interval);
        let mut refresh_timer = interval(self.options.refresh_interval);
        loop {
            tokio::select! {
                message = commands.recv() => match message {
                    Some(Message::Command(command)) => self.handle(command).await,
                    Some(Message::Connect(client, context)) => {
                        self.client = Some(client);
                        // The watches were on the old connection.
                        for (_, task) in self.tracked.drain() {
                            task.abort();
                        }
                        // `clusters/<context>` may name other apps now.
                        if context != self.context {
                            self.context = context;
                            self.cache.clear();
                            self.load_spec().await;
                        }
                        self.refresh(Vec::new()).await;
                    }
                    None => return,
                },
                Some(changed) = files.recv() => self.files_changed(changed).await,
                Some(kinds) = kinds_rx.recv() => self.track(kinds),
                Some(app) = tracked_rx.recv() => {
                    self.pending.insert(app);
                    // Debounced: a rollout changes its Deployment's status
                    // several times a second.
                    self.flush_at.get_or_insert(tokio::time::Instant::now() + LIVE_DEBOUNCE);
                }
                _ = sleep_until(self.flush_at), if self.flush_at.is_some() => {
                    self.flush_at = None;
                    self.refresh_changed().await;
                }
                _ = tick(&mut fetch_timer), if self.git => self.spawn_fetch(false),
                _ = tick(&mut refresh_timer) => self.refresh(Vec::new()).await,
            }
        }
    }

    async fn handle(&mut self, command: GitopsCommand) {
        match command {
            GitopsCommand::Refresh { apps, rerender } => {
                if rerender {
                    self.cache.clear();
                    self.renders.clear_memory();
                    self.load_spec().await;
                    self.send_repo_status().await;
                }
                self.refresh(apps).await;
            }
            GitopsCommand::Fetch => self.spawn_fetch(true),
            GitopsCommand::Pull => self.spawn_pull(),
            GitopsCommand::Sync {
                request,
                evaluation,
                prune,
                allow_shared,
                interactive,
                revision,
                selective,
            } => self.spawn_sync(
                request,
                *evaluation,
                SyncAsk {
                    prune,
                    allow_shared,
                    interactive,
                    revision,
                    selective,
                },
            ),
            GitopsCommand::History {
                request,
                app,
                inventory,
            } => {
                let root = self.root.clone();
                let sender = self.app.clone();
                tokio::spawn(async move {
                    let entries =
                        tokio::task::spawn_blocking(move || rollback::entries(&root, &inventory))
                            .await
                            .unwrap_or_default();
                    let event = GitopsEvent::History {
                        request,
                        app,
                        entries,
                    };
                    let _ = sender.send(AppEvent::Gitops(event)).await;
                });
            }
            GitopsCommand::EvaluateAt {
                request,
                app,
                revision,
            } => self.spawn_evaluate_at(request, app, revision),
            GitopsCommand::Interrupt => {
                for flag in self.in_flight.drain(..) {
                    flag.stop();
                }
            }
        }
    }

    async fn emit(&self, event: GitopsEvent) {
        let _ = self.app.send(AppEvent::Gitops(event)).await;
    }

    async fn load_spec(&mut self) {
        let root = self.root.clone();
        let options = spec::LoadOptions {
            entry: self.options.entry.clone(),
            context: (!self.context.is_empty()).then(|| self.context.clone()),
        };
        let result = tokio::task::spawn_blocking(move || spec::load_with(&root, &options))
            .await
            .map_err(|e| e.to_string())
            .and_then(|r| r.map_err(|e| e.to_string()));
        self.spec = result.as_ref().ok().cloned();
        self.emit(GitopsEvent::Spec {
            root: self.root.clone(),
            result,
            tools: self.tools.describe(),
        })
        .await;
    }

    async fn send_repo_status(&self) {
        if !self.git {
            return;
        }
        let root = self.root.clone();
        let status =
            tokio::task::spawn_blocking(move || repo::open(&root).and_then(|r| repo::status(&r)))
                .await
                .map_err(|e| e.to_string())
                .and_then(|r| r.map_err(|e| e.to_string()));
        self.emit(GitopsEvent::Repo(status)).await;
    }

    /// A file changed: reload the spec when bosun.yaml did, re-render the
    /// apps whose inputs changed, and refresh the dirty list.
    async fn files_changed(&mut self, changed: Vec<PathBuf>) {
        let spec_changed = changed
            .iter()
            .any(|p| p == &self.root.join(SPEC_FILE) || p == &self.root);
        self.send_repo_status().await;
        if spec_changed {
            self.cache.clear();
            self.load_spec().await;
            self.refresh(Vec::new()).await;
            return;
        }
        let Some(spec) = &self.spec else { return };
        let inputs: Vec<(String, Vec<PathBuf>)> = spec
            .apps
            .iter()
            .map(|app| (app.name.clone(), spec::app_inputs(&self.root, app)))
            .collect();
        let touched: Vec<String> = watch::touched_apps(&inputs, &changed)
            .into_iter()
            .map(str::to_string)
            .collect();
        if touched.is_empty() {
            return;
        }
        for name in &touched {
            self.cache.remove(name);
        }
        self.refresh(touched).await;
    }

    /// Renders (or reuses) and diffs the named apps, all when empty. Every
    /// cached render feeds the repo-wide index of who renders what, so an
    /// object two apps render shows as shared on both.
    async fn refresh(&mut self, names: Vec<String>) {
        let Some(spec) = self.spec.clone() else {
            return;
        };
        let Some(client) = self.client.clone() else {
            return;
        };
        let apps: Vec<AppSpec> = spec
            .apps
            .iter()
            .filter(|a| names.is_empty() || names.contains(&a.name))
            .cloned()
            .collect();
        if apps.is_empty() {
            return;
        }
        self.seq += 1;
        let seq = self.seq;
        self.emit(GitopsEvent::Refreshing {
            apps: apps.iter().map(|a| a.name.clone()).collect(),
            seq,
        })
        .await;
        // Renders come from the content-keyed cache when nothing they read
        // changed; the rest run a few at a time.
        let renders = evaluate::render_apps(&self.root, &apps, &self.tools, &self.renders).await;
        let mut failures: HashMap<String, String> = HashMap::new();
        for (app, result) in apps.iter().zip(renders) {
            match result {
                Ok(rendered) => {
                    self.cache
                        .insert(app.name.clone(), Arc::new(rendered.objects));
                }
                Err(error) => {
                    self.cache.remove(&app.name);
                    failures.insert(app.name.clone(), error);
                }
            }
        }
        let jobs: Vec<(AppSpec, RenderResult)> = apps
            .into_iter()
            .map(|app| {
                let objects = match failures.remove(&app.name) {
                    Some(error) => Err(error),
                    None => self
                        .cache
                        .get(&app.name)
                        .cloned()
                        .ok_or_else(|| "not rendered".to_string()),
                };
                (app, objects)
            })
            .collect();
        let everything: Vec<(AppSpec, Arc<Vec<RenderedObject>>)> = spec
            .apps
            .iter()
            .filter_map(|app| {
                let objects = self.cache.get(&app.name)?;
                Some((app.clone(), objects.clone()))
            })
            .collect();
        let sender = self.app.clone();
        let kinds_tx = self.kinds_tx.clone();
        let root = self.root.clone();
        tokio::spawn(async move {
            let resolver = match Resolver::discover(&client).await {
                Ok(resolver) => Arc::new(resolver),
                Err(e) => {
                    let error = format!("cannot reach the cluster: {}", kube_message(&e));
                    for (app, _) in jobs {
                        let evaluation = failed(&app, error.clone());
                        let _ = sender
                            .send(AppEvent::Gitops(GitopsEvent::Evaluated {
                                seq,
                                evaluation: Box::new(evaluation),
                            }))
                            .await;
                    }
                    return;
                }
            };
            let index = Arc::new(evaluate::index(
                &resolver,
                &root,
                everything
                    .iter()
                    .map(|(app, objects)| (app, objects.as_slice())),
            ));
            let kinds: Vec<kube::api::ApiResource> = index
                .renderers
                .keys()
                .map(|key| (key.group.clone(), key.kind.clone()))
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .filter_map(|(group, kind)| {
                    let probe = crate::gitops::object::ObjectKey {
                        group,
                        kind,
                        namespace: None,
                        name: String::new(),
                    };
                    Some(resolver.for_key(&probe)?.resource)
                })
                .collect();
            let _ = kinds_tx.send(kinds);
            let evaluations = jobs.into_iter().map(|(app, objects)| {
                let client = client.clone();
                let resolver = resolver.clone();
                let index = index.clone();
                let sender = sender.clone();
                async move {
                    let evaluation = match objects {
                        Ok(objects) => {
                            evaluate::evaluate_rendered(&client, &resolver, &app, &objects, &index)
                                .await
                        }
                        Err(error) => evaluate::unevaluated(&client, &app, error).await,
                    };
                    let _ = sender
                        .send(AppEvent::Gitops(GitopsEvent::Evaluated {
                            seq,
                            evaluation: Box::new(evaluation),
                        }))
                        .await;
                }
            });
            futures::stream::iter(evaluations)
                .buffer_unordered(EVALUATIONS_AT_ONCE)
                .collect::<Vec<()>>()
                .await;
        });
    }

    /// Starts watches for kinds not watched yet.
    fn track(&mut self, kinds: Vec<kube::api::ApiResource>) {
        let Some(client) = &self.client else {
            return;
        };
        for resource in kinds {
            let key = (resource.group.clone(), resource.kind.clone());
            if self.tracked.contains_key(&key) {
                continue;
            }
            let task = tracked::watch(client.clone(), resource, self.tracked_tx.clone());
            self.tracked.insert(key, task);
        }
    }

    /// Diffs again the apps whose objects changed in the cluster.
    async fn refresh_changed(&mut self) {
        let pending = std::mem::take(&mut self.pending);
        if pending.contains(&None) {
            return self.refresh(Vec::new()).await;
        }
        let Some(spec) = &self.spec else { return };
        let names: Vec<String> = spec
            .apps
            .iter()
            .filter(|app| pending.contains(&Some(identity::app_label(&app.name))))
            .map(|app| app.name.clone())
            .collect();
        if !names.is_empty() {
            self.refresh(names).await;
        }
    }

    fn spawn_fetch(&self, asked: bool) {
        let root = self.root.clone();
        let sender = self.app.clone();
        tokio::spawn(async move {
            let result = tokio::task::spawn_blocking(move || {
                let git = repo::open(&root)?;
                repo::fetch(&git, &AuthOptions::default())?;
                repo::status(&git)
            })
            .await
            .map_err(|e| e.to_string())
            .and_then(|r| r.map_err(|e| e.to_string()));
            let (fetched, status) = match result {
                Ok(status) => (Ok(()), Some(Ok(status))),
                Err(e) => (Err(e), None),
            };
            // A timer's failed fetch is shown in the panel, not flashed.
            if asked || fetched.is_err() {
                let _ = sender
                    .send(AppEvent::Gitops(GitopsEvent::Fetched(fetched)))
                    .await;
            }
            if let Some(status) = status {
                let _ = sender
                    .send(AppEvent::Gitops(GitopsEvent::Repo(status)))
                    .await;
            }
        });
    }

    fn spawn_pull(&self) {
        let root = self.root.clone();
        let sender = self.app.clone();
        tokio::spawn(async move {
            let result = tokio::task::spawn_blocking(move || {
                let git = repo::open(&root)?;
                repo::pull_fast_forward(&git, &AuthOptions::default())
            })
            .await
            .map_err(|e| e.to_string())
            .and_then(|r| r.map_err(|e| e.to_string()));
            let _ = sender
                .send(AppEvent::Gitops(GitopsEvent::Pulled(result)))
                .await;
        });
    }

    /// Renders the app at a past commit and diffs it (a rollback's diff).
    fn spawn_evaluate_at(&self, request: u64, app: String, revision: String) {
        let sender = self.app.clone();
        let client = self.client.clone();
        let root = self.root.clone();
        let tools = self.tools.clone();
        let options = spec::LoadOptions {
            entry: self.options.entry.clone(),
            context: (!self.context.is_empty()).then(|| self.context.clone()),
        };
        tokio::spawn(async move {
            let result = async {
                let client = client.ok_or("not connected to a cluster")?;
                let commit = rollback::resolve(&root, &revision)?;
                let resolver = Resolver::discover(&client)
                    .await
                    .map_err(|e| format!("cannot reach the cluster: {}", kube_message(&e)))?;
                let evaluation = rollback::evaluate_at(
                    &client, &resolver, &root, &options, &app, &commit, &tools,
                )
                .await?;
                Ok::<_, String>((commit, Box::new(evaluation)))
            }
            .await;
            let event = GitopsEvent::EvaluatedAt {
                request,
                app,
                result,
            };
            let _ = sender.send(AppEvent::Gitops(event)).await;
        });
    }

    fn spawn_sync(&mut self, request: u64, evaluation: Evaluation, ask: SyncAsk) {
        let SyncAsk {
            prune,
            allow_shared,
            interactive,
            revision: at,
            selective,
        } = ask;
        let Some(client) = self.client.clone() else {
            let sender = self.app.clone();
            tokio::spawn(async move {
                let _ = sender
                    .send(AppEvent::Gitops(GitopsEvent::Synced {
                        request,
                        app: evaluation.app.clone(),
                        result: Err("not connected to a cluster".into()),
                    }))
                    .await;
            });
            return;
        };
        let root = self.root.clone();
        let sender = self.app.clone();
        let audit = self.options.audit.clone();
        let context = self.context.clone();
        let stop = crate::gitops::sync::StopFlag::default();
        self.in_flight.retain(crate::gitops::sync::StopFlag::in_use);
        self.in_flight.push(stop.clone());
        tokio::spawn(async move {
            // A rollback syncs the commit it was evaluated at; it stays a
            // rollback unless that commit is HEAD.
            let (revision, rolled_back) = tokio::task::spawn_blocking(move || match at {
                Some(sha) => {
                    let rolled_back = !rollback::is_head(&root, &sha);
                    (sha, rolled_back)
                }
                None => (workspace::revision(&root), false),
            })
            .await
            .unwrap_or_default();
            let (progress, mut progress_lines) =
                tokio::sync::mpsc::unbounded_channel::<crate::gitops::waves::Progress>();
            let forward = {
                let sender = sender.clone();
                let app = evaluation.app.clone();
                tokio::spawn(async move {
                    while let Some(line) = progress_lines.recv().await {
                        let event = GitopsEvent::SyncProgress {
                            request,
                            app: app.clone(),
                            progress: line.to_string(),
                        };
                        if sender.send(AppEvent::Gitops(event)).await.is_err() {
                            break;
                        }
                    }
                })
            };
            let opts = SyncOptions {
                prune,
                dry_run: false,
                revision: revision.clone(),
                rolled_back,
                selective,
                crd_timeout: Duration::from_secs(60),
                wave_timeout: crate::gitops::sync::DEFAULT_WAVE_TIMEOUT,
                allow_shared,
                confirmed_interactively: interactive,
                stop,
                progress: Some(progress),
            };
            let result = evaluate::sync_evaluated(&client, &evaluation, &opts).await;
            drop(opts);
            let _ = forward.await;
            let outcome = match &result {
                Ok(report) if report.succeeded() => Ok(report.summary()),
                Ok(report) => Err(report.summary()),
                Err(e) => Err(e.clone()),
            };
            let short = &revision[..revision.len().min(7)];
            if let Err(e) = audit.record(
                &context,
                crate::audit::Source::Tui,
                &format!(
                    "sync {}app {} at {short}{}",
                    match (
                        selective,
                        evaluation.diff.as_ref().and_then(|d| d.objects.first())
                    ) {
                        (true, Some(object)) => format!("{} of ", object.key),
                        _ => String::new(),
                    },
                    evaluation.app,
                    if rolled_back { " (rollback)" } else { "" }
                ),
                &outcome,
            ) {
                tracing::warn!("{e}");
            }
            let _ = sender
                .send(AppEvent::Gitops(GitopsEvent::Synced {
                    request,
                    app: evaluation.app.clone(),
                    result: result.map(Box::new),
                }))
                .await;
        });
    }
}

/// How a sync was asked for.
struct SyncAsk {
    prune: bool,
    allow_shared: bool,
    interactive: bool,
    revision: Option<String>,
    selective: bool,
}

/// A cached render, or why the app did not render.
type RenderResult = Result<Arc<Vec<RenderedObject>>, String>;

fn failed(app: &AppSpec, error: String) -> Evaluation {
    Evaluation {
        app: app.name.clone(),
        namespace: evaluate::app_namespace(app),
        command: None,
        diff: None,
        inventory: None,
        error: Some(error),
    }
}

/// How long changes to tracked objects gather before their apps are diffed.
const LIVE_DEBOUNCE: Duration = Duration::from_millis(500);

async fn sleep_until(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending::<()>().await,
    }
}

/// A timer that never fires for a zero period.
fn interval(period: Duration) -> Option<tokio::time::Interval> {
    if period.is_zero() {
        return None;
    }
    let mut timer = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    Some(timer)
}

async fn tick(timer: &mut Option<tokio::time::Interval>) {
    match timer {
        Some(timer) => {
            timer.tick().await;
        }
        None => std::future::pending::<()>().await,
    }
}

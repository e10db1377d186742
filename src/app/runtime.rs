//! Carries out Effects: the only place that spawns cluster work. Results
//! come back as AppEvents tagged with the epoch or request id.

use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::cluster::client::{LoadedKubeconfig, client_for};
use crate::cluster::fetch::fetch_detail;
use crate::cluster::kind::ResourceKind;
use crate::cluster::watch::{ListStrategy, WatchMessage, WatchStatus, spawn_kinds};
use crate::config::settings::WatchListSetting;

use super::effect::Effect;
use super::event::{AppEvent, ClusterMessage};
use crate::audit::AuditLog;
use crate::cluster::actions::{self, Mutation};
use crate::cluster::rollout;

const VERSION_TIMEOUT: Duration = Duration::from_secs(5);
/// When the second phase of watchers starts if the first never settles.
const SECOND_PHASE_AFTER: Duration = Duration::from_secs(3);

pub struct RuntimeOptions {
    pub metrics_interval: Duration,
    pub watch_list: WatchListSetting,
    pub audit: AuditLog,
    /// How long a restart's rollout is followed before giving up.
    pub rollout_timeout: Duration,
    /// kubectl for `s` (shell): a name on PATH or a path.
    pub kubectl: String,
    /// helm for a release's rollback: a name on PATH or a path.
    pub helm: String,
    /// Where `s` in the logs view saves (the state directory's logs/).
    pub save_dir: Option<std::path::PathBuf>,
    /// Build namespace, executor image, context mode, build node.
    pub builds: crate::builds::launch::LaunchConfig,
}

pub struct Runtime {
    kubeconfig: LoadedKubeconfig,
    sender: mpsc::Sender<AppEvent>,
    options: RuntimeOptions,
    client: Option<kube::Client>,
    /// The connected context's name, for the audit log.
    context: String,
    /// Workers of the current connection; aborted on switch and drop.
    workers: Vec<JoinHandle<()>>,
    /// Log streams by session, aborted when the logs view closes.
    log_streams: Vec<(u64, JoinHandle<()>)>,
    /// The GitOps worker, when a repo was found.
    gitops: Option<(super::gitops_service::GitopsHandle, JoinHandle<()>)>,
    /// Starts the current connection's second phase of watchers at once
    /// (a view needs a kind not listed yet); with that connection's epoch.
    second_phase: Option<(u64, std::sync::Arc<tokio::sync::Notify>)>,
}

/// Streaming lists are on by default from Kubernetes 1.34 (DESIGN §5).
fn strategy_for(setting: WatchListSetting, minor: Option<u32>) -> ListStrategy {
    match setting {
        WatchListSetting::List => ListStrategy::List,
        WatchListSetting::Stream => ListStrategy::Stream,
        WatchListSetting::Auto if minor.is_some_and(|minor| minor >= 34) => ListStrategy::Stream,
        WatchListSetting::Auto => ListStrategy::List,
    }
}

impl Runtime {
    /// The options, to change a program path or an interval while running.
    pub fn options_mut(&mut self) -> &mut RuntimeOptions {
        &mut self.options
    }

    pub fn new(
        kubeconfig: LoadedKubeconfig,
        sender: mpsc::Sender<AppEvent>,
        options: RuntimeOptions,
    ) -> Runtime {
        let mut options = options;
        // A failed audit write reaches the screen as an error.
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            let (failures, mut failed) = mpsc::unbounded_channel();
            options.audit = options.audit.clone().reporting_to(failures);
            let events = sender.clone();
            handle.spawn(async move {
                while let Some(error) = failed.recv().await {
                    if events.send(AppEvent::AuditFailed(error)).await.is_err() {
                        return;
                    }
                }
            });
        }
        Runtime {
            kubeconfig,
            sender,
            options,
            client: None,
            context: String::new(),
            workers: Vec::new(),
            log_streams: Vec::new(),
            gitops: None,
            second_phase: None,
        }
    }

    /// Replaces the build settings (the demo builds from a node's checkout).
    pub fn set_build_config(&mut self, config: crate::builds::launch::LaunchConfig) {
        self.options.builds = config;
    }

    /// Starts the GitOps worker for a repo; it diffs once connected.
    pub fn start_gitops(
        &mut self,
        root: std::path::PathBuf,
        git: bool,
        options: super::gitops_service::GitopsOptions,
    ) {
        // Syncs are audited through the runtime's log, which reports failures.
        let options = super::gitops_service::GitopsOptions {
            audit: self.options.audit.clone(),
            ..options
        };
        let (handle, task) = super::gitops_service::start(root, git, options, self.sender.clone());
        if let Some(client) = &self.client {
            handle.connect(client.clone(), self.context.clone());
        }
        if let Some((_, old)) = self.gitops.replace((handle, task)) {
            old.abort();
        }
    }

    fn stop_workers(&mut self) {
        for worker in self.workers.drain(..) {
            worker.abort();
        }
        for (_, task) in self.log_streams.drain(..) {
            task.abort();
        }
    }

    /// Carry out one effect. Quick local results (a connection that cannot
    /// be built) come back directly; everything slow is spawned and reports
    /// through the channel.
    pub async fn execute(&mut self, effect: Effect) -> Vec<AppEvent> {
        match effect {
            Effect::Connect {
                epoch,
                context,
                first,
            } => self.connect(epoch, context, first).await,
            Effect::WatchAll { epoch } => {
                if let Some((current, notify)) = &self.second_phase
                    && *current == epoch
                {
                    notify.notify_one();
                }
                Vec::new()
            }
            Effect::FetchHelm { request, key, part } => {
                let Some(client) = self.client.clone() else {
                    return vec![AppEvent::Detail {
                        request,
                        result: Err("not connected to a cluster".to_string()),
                    }];
                };
                let sender = self.sender.clone();
                tokio::spawn(async move {
                    let secrets: kube::Api<k8s_openapi::api::core::v1::Secret> =
                        kube::Api::namespaced(client, &key.namespace);
                    let result = match secrets.get(&key.name).await {
                        Ok(secret) => {
                            crate::cluster::helm::decode_secret(&secret).map(|release| match part {
                                crate::app::effect::HelmPart::Values => {
                                    crate::cluster::helm::values_masked(&release)
                                }
                                crate::app::effect::HelmPart::Manifest => {
                                    crate::cluster::helm::manifest_redacted(&release)
                                }
                            })
                        }
                        Err(error) => Err(crate::cluster::client::plain_client_error(&error)),
                    };
                    let _ = sender.send(AppEvent::Detail { request, result }).await;
                });
                Vec::new()
            }
            Effect::FetchHistory { request, kind, key } => {
                let Some(client) = self.client.clone() else {
                    return vec![AppEvent::History {
                        request,
                        key,
                        result: Err("not connected to a cluster".to_string()),
                    }];
                };
                let sender = self.sender.clone();
                tokio::spawn(async move {
                    let result = crate::cluster::history::workload_history(
                        &client,
                        kind,
                        &key.namespace,
                        &key.name,
                    )
                    .await
                    .map(|history| crate::cluster::history::entries(&history));
                    let _ = sender
                        .send(AppEvent::History {
                            request,
                            key,
                            result,
                        })
                        .await;
                });
                Vec::new()
            }
            Effect::FetchDetail {
                request,
                kind,
                key,
                detail,
            } => {
                let Some(client) = self.client.clone() else {
                    return vec![AppEvent::Detail {
                        request,
                        result: Err("not connected to a cluster".to_string()),
                    }];
                };
                let sender = self.sender.clone();
                tokio::spawn(async move {
                    let result = fetch_detail(&client, kind, &key, detail).await;
                    let _ = sender.send(AppEvent::Detail { request, result }).await;
                });
                Vec::new()
            }
            Effect::HelmRollback {
                request,
                namespace,
                release,
                revision,
            } => {
                let command = crate::cluster::helm_rollback::rollback_command(
                    &self.options.helm,
                    &self.kubeconfig.source,
                    &self.context,
                    &namespace,
                    &release,
                    revision,
                    std::env::var_os("PATH").as_deref(),
                );
                let action = format!("helm rollback {release} {revision} -n {namespace}");
                let audit = self.options.audit.clone();
                let context = self.context.clone();
                let sender = self.sender.clone();
                tokio::spawn(async move {
                    let result = match command {
                        Ok(command) => {
                            crate::cluster::helm_rollback::run(&command, Duration::from_secs(600))
                                .await
                        }
                        Err(how) => Err(how),
                    };
                    if let Err(error) =
                        audit.record(&context, crate::audit::Source::Tui, &action, &result)
                    {
                        tracing::error!(%error, "cannot write the audit log");
                    }
                    let _ = sender
                        .send(AppEvent::MutationDone { request, result })
                        .await;
                });
                Vec::new()
            }
            Effect::FetchForEdit { request, kind, key } => {
                let Some(client) = self.client.clone() else {
                    return vec![AppEvent::EditLoaded {
                        request,
                        result: Err("not connected to a cluster".to_string()),
                    }];
                };
                let sender = self.sender.clone();
                tokio::spawn(async move {
                    let result = crate::cluster::fetch::fetch_for_edit(&client, kind, &key).await;
                    let _ = sender.send(AppEvent::EditLoaded { request, result }).await;
                });
                Vec::new()
            }
            Effect::ApplyEdit {
                request,
                kind,
                key,
                yaml,
                original,
            } => {
                let Some(client) = self.client.clone() else {
                    return vec![AppEvent::EditApplied {
                        request,
                        result: Err(crate::cluster::fetch::EditError::Rejected(
                            "not connected to a cluster".to_string(),
                        )),
                    }];
                };
                let sender = self.sender.clone();
                let audit = self.options.audit.clone();
                let context = self.context.clone();
                tokio::spawn(async move {
                    let result =
                        crate::cluster::fetch::apply_edit(&client, kind, &key, &yaml, &original)
                            .await;
                    let action = format!(
                        "edit {}/{} -n {}",
                        kind.kind().to_lowercase(),
                        key.name,
                        key.namespace
                    );
                    let audited = result.clone().map_err(|error| error.to_string());
                    if let Err(error) =
                        audit.record(&context, crate::audit::Source::Tui, &action, &audited)
                    {
                        tracing::error!(%error, "cannot write the audit log");
                    }
                    let _ = sender.send(AppEvent::EditApplied { request, result }).await;
                });
                Vec::new()
            }
            Effect::TailLogs {
                session,
                source,
                target,
                options,
            } => {
                let Some(client) = self.client.clone() else {
                    return vec![AppEvent::Log {
                        session,
                        event: crate::cluster::logs::LogEvent::Ended {
                            source,
                            reason: Some("not connected to a cluster".to_string()),
                        },
                    }];
                };
                let app = self.sender.clone();
                let task = tokio::spawn(async move {
                    let (sender, mut receiver) =
                        mpsc::channel::<crate::cluster::logs::LogEvent>(64);
                    let stream = tokio::spawn(crate::cluster::logs::tail(
                        client, source, target, options, sender,
                    ));
                    while let Some(event) = receiver.recv().await {
                        if app.send(AppEvent::Log { session, event }).await.is_err() {
                            break;
                        }
                    }
                    stream.abort();
                });
                self.log_streams.retain(|(_, task)| !task.is_finished());
                self.log_streams.push((session, task));
                Vec::new()
            }
            Effect::StopLogs { session } => {
                for (_, task) in self.log_streams.iter().filter(|(id, _)| *id == session) {
                    task.abort();
                }
                self.log_streams.retain(|(id, _)| *id != session);
                Vec::new()
            }
            Effect::Clipboard(text) => vec![AppEvent::Clipboard(text)],
            Effect::SaveLogs { name, text } => {
                let Some(dir) = self.options.save_dir.clone() else {
                    return vec![AppEvent::Saved {
                        result: Err("no state directory to save into".to_string()),
                    }];
                };
                let sender = self.sender.clone();
                tokio::spawn(async move {
                    let stamp = jiff::Timestamp::now().strftime("%Y%m%d-%H%M%S").to_string();
                    let path = dir.join(format!("{name}-{stamp}.log"));
                    let lines = text.lines().count();
                    let result = tokio::task::spawn_blocking(move || {
                        std::fs::create_dir_all(&dir)
                            .and_then(|_| std::fs::write(&path, text))
                            .map(|_| format!("saved {lines} lines to {}", path.display()))
                            .map_err(|error| format!("cannot save to {}: {error}", path.display()))
                    })
                    .await
                    .unwrap_or_else(|error| Err(error.to_string()));
                    let _ = sender.send(AppEvent::Saved { result }).await;
                });
                Vec::new()
            }
            Effect::Shell { pod, container } => {
                let command = crate::cluster::shell::exec_command(
                    &self.options.kubectl,
                    &self.kubeconfig.source,
                    &self.context,
                    &pod,
                    &container,
                    std::env::var_os("PATH").as_deref(),
                );
                let action = format!("shell pod/{} -n {} -c {container}", pod.name, pod.namespace);
                let audited = command
                    .as_ref()
                    .map(|_| String::new())
                    .map_err(Clone::clone);
                if let Err(error) = self.options.audit.record(
                    &self.context,
                    crate::audit::Source::Tui,
                    &action,
                    &audited,
                ) {
                    tracing::error!(%error, "cannot write the audit log");
                }
                match command {
                    Ok(command) => vec![AppEvent::RunInTerminal(command)],
                    Err(error) => vec![AppEvent::ShellDone { result: Err(error) }],
                }
            }
            Effect::Mutate { request, mutation } => {
                let Some(client) = self.client.clone() else {
                    return vec![AppEvent::MutationDone {
                        request,
                        result: Err("not connected to a cluster".to_string()),
                    }];
                };
                tokio::spawn(mutate(
                    client,
                    request,
                    mutation,
                    self.options.audit.clone(),
                    self.context.clone(),
                    self.options.rollout_timeout,
                    self.sender.clone(),
                ));
                Vec::new()
            }
            Effect::Builds(command) => {
                match &self.client {
                    Some(client) => super::builds_service::execute(
                        client.clone(),
                        self.options.builds.clone(),
                        command,
                        self.sender.clone(),
                        self.options.audit.clone(),
                        self.context.clone(),
                    ),
                    None => return vec![super::builds_service::not_connected(command)],
                }
                Vec::new()
            }
            Effect::Gitops(command) => {
                if let Some((handle, _)) = &self.gitops {
                    handle.send(command);
                }
                Vec::new()
            }
            Effect::Quit => {
                self.stop_workers();
                Vec::new()
            }
        }
    }

    async fn connect(
        &mut self,
        epoch: u64,
        context: Option<String>,
        first: Vec<ResourceKind>,
    ) -> Vec<AppEvent> {
        self.stop_workers();
        self.client = None;
        // Building a client reads files only; the first request happens in
        // the workers, so the UI never waits on the network here.
        let (client, info) = match client_for(&self.kubeconfig, context.as_deref()).await {
            Ok(pair) => pair,
            Err(error) => {
                return vec![AppEvent::ConnectFailed {
                    epoch,
                    error: error.to_string(),
                }];
            }
        };
        self.client = Some(client.clone());
        self.context = info.context.clone();
        if let Some((handle, _)) = &self.gitops {
            handle.connect(client.clone(), info.context.clone());
        }
        let app = self.sender.clone();
        let setting = self.options.watch_list;
        let metrics_interval = self.options.metrics_interval;
        let second_phase = std::sync::Arc::new(tokio::sync::Notify::new());
        self.second_phase = Some((epoch, second_phase.clone()));
        let supervisor = tokio::spawn(async move {
            let (sender, mut receiver) = mpsc::channel::<ClusterMessage>(512);
            // Bounded: a dead link must not keep the watchers from starting
            // (they report the connection problem themselves).
            let version =
                match tokio::time::timeout(VERSION_TIMEOUT, client.apiserver_version()).await {
                    Ok(version) => {
                        version.map_err(|error| crate::cluster::client::plain_client_error(&error))
                    }
                    Err(_) => Err("the API server did not answer /version in time".to_string()),
                };
            let minor = version
                .as_ref()
                .ok()
                .and_then(|info| info.minor.trim_end_matches('+').parse::<u32>().ok());
            let version_message = version.map(|info| info.git_version);
            let _ = app
                .send(AppEvent::Cluster {
                    epoch,
                    message: ClusterMessage::ServerVersion(version_message),
                })
                .await;
            let strategy = strategy_for(setting, minor);
            // Two phases (docs/ARCHITECTURE.md, Watchers in two phases):
            // the first screen's kinds list alone; everything else — the
            // other kinds, metrics, the builds' watchers — starts once they
            // have settled, or after a few seconds when they cannot.
            let rest: Vec<ResourceKind> = ResourceKind::ALL
                .iter()
                .filter(|kind| !first.contains(kind))
                .copied()
                .collect();
            let mut guard = AbortOnDrop(spawn_kinds(&client, &first, strategy, &sender));
            let mut waiting: std::collections::HashSet<ResourceKind> =
                first.iter().copied().collect();
            let mut later = Some((client, sender));
            let start_later = |later: &mut Option<(kube::Client, mpsc::Sender<ClusterMessage>)>,
                               guard: &mut AbortOnDrop| {
                if let Some((client, sender)) = later.take() {
                    guard
                        .0
                        .extend(spawn_kinds(&client, &rest, strategy, &sender));
                    guard
                        .0
                        .push(tokio::spawn(crate::cluster::metrics::run_poller(
                            client.clone(),
                            metrics_interval,
                            sender,
                        )));
                    guard.0.push(super::builds_service::spawn_watchers(
                        client,
                        epoch,
                        app.clone(),
                    ));
                }
            };
            if waiting.is_empty() {
                start_later(&mut later, &mut guard);
            }
            let deadline = tokio::time::sleep(SECOND_PHASE_AFTER);
            tokio::pin!(deadline);
            let wanted = second_phase.notified();
            tokio::pin!(wanted);
            // Tag every message with the epoch; update() drops stale ones.
            loop {
                let message = tokio::select! {
                    message = receiver.recv() => message,
                    _ = &mut deadline, if later.is_some() => {
                        start_later(&mut later, &mut guard);
                        continue;
                    }
                    _ = &mut wanted, if later.is_some() => {
                        start_later(&mut later, &mut guard);
                        continue;
                    }
                };
                let Some(message) = message else {
                    break;
                };
                if let ClusterMessage::Watch(WatchMessage::Status(kind, status)) = &message
                    && *status != WatchStatus::Loading
                {
                    waiting.remove(kind);
                }
                if app
                    .send(AppEvent::Cluster { epoch, message })
                    .await
                    .is_err()
                {
                    break;
                }
                if waiting.is_empty() {
                    start_later(&mut later, &mut guard);
                }
            }
        });
        self.workers.push(supervisor);
        vec![AppEvent::Connected { epoch, info }]
    }
}

/// Carry out a mutation, audit it, and follow a restart's rollout.
async fn mutate(
    client: kube::Client,
    request: u64,
    mutation: Mutation,
    audit: AuditLog,
    context: String,
    rollout_timeout: Duration,
    sender: mpsc::Sender<AppEvent>,
) {
    let result = actions::perform(&client, &mutation).await;
    if let Err(error) = audit.record(
        &context,
        crate::audit::Source::Tui,
        &mutation.describe(),
        &result,
    ) {
        tracing::error!(%error, "cannot write the audit log");
    }
    let restarted = match (&mutation, &result) {
        (Mutation::Restart { kind, key }, Ok(_)) => Some((*kind, key.clone())),
        // An undo rolls out like a restart, unless it was skipped.
        (Mutation::Undo { kind, key, .. }, Ok(line)) if !line.contains("skipped rollback") => {
            Some((*kind, key.clone()))
        }
        // Argo Rollouts: followed to the next pause, Healthy or Degraded.
        (Mutation::Rollout { key, action }, Ok(_)) if action.is_followed() => {
            Some((crate::cluster::kind::ResourceKind::Rollouts, key.clone()))
        }
        _ => None,
    };
    if sender
        .send(AppEvent::MutationDone { request, result })
        .await
        .is_err()
    {
        return;
    }
    let Some((kind, key)) = restarted else {
        return;
    };
    let progress_sender = sender.clone();
    let mut on_progress = move |progress| {
        // Progress may be dropped when the app is busy; the end is not.
        let _ = progress_sender.try_send(AppEvent::Rollout { request, progress });
    };
    let outcome = rollout::follow(&client, kind, &key, rollout_timeout, &mut on_progress).await;
    let audited = match &outcome {
        Ok(progress) if progress.is_success() => Ok(progress.summary()),
        Ok(progress) => Err(progress.summary()),
        Err(error) => Err(error.clone()),
    };
    let action = format!("rollout of {}", mutation.describe());
    if let Err(error) = audit.record(&context, crate::audit::Source::Tui, &action, &audited) {
        tracing::error!(%error, "cannot write the audit log");
    }
    let _ = sender
        .send(AppEvent::RolloutDone {
            request,
            result: outcome,
        })
        .await;
}

impl Drop for Runtime {
    fn drop(&mut self) {
        self.stop_workers();
        if let Some((_, task)) = self.gitops.take() {
            task.abort();
        }
    }
}

struct AbortOnDrop(Vec<JoinHandle<()>>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        for worker in &self.0 {
            worker.abort();
        }
    }
}

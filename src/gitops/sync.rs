//! Sync (DESIGN §5): server-side apply with field manager `bosun`, forced,
//! in Argo CD's order — phases, then waves, then kinds, Namespaces and CRDs
//! first in their wave (CRDs Established before the rest) — with hooks run
//! and waited for; prune only when asked, after the Sync phase; the
//! inventory records it.

use std::time::Duration;

use kube::Client;
use kube::api::{DeleteParams, Patch, PatchParams};

use std::collections::HashSet;

use super::compare::{AppDiff, Change, HookObject, ObjectDiff};
use super::diff::MANAGER;
use super::hooks::{DeletePolicy, Phase};
use super::inventory::{self, Inventory};
use super::object::ObjectKey;
use super::prune::{self, Verdict};
use super::resolve::{Resolver, api, kube_message};
use super::sync_wait::{self, Observed};
use super::waves::{self, Progress, Step, Task, Work};

/// Argo CD's apply order (gitops-engine `kindOrder`), CRDs lifted next to
/// Namespaces; unknown kinds go last.
const KIND_ORDER: [&str; 36] = [
    "Namespace",
    "CustomResourceDefinition",
    "NetworkPolicy",
    "ResourceQuota",
    "LimitRange",
    "PodSecurityPolicy",
    "PodDisruptionBudget",
    "ServiceAccount",
    "Secret",
    "SecretList",
    "ConfigMap",
    "StorageClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "ClusterRole",
    "ClusterRoleList",
    "ClusterRoleBinding",
    "ClusterRoleBindingList",
    "Role",
    "RoleList",
    "RoleBinding",
    "RoleBindingList",
    "Service",
    "DaemonSet",
    "Pod",
    "ReplicationController",
    "ReplicaSet",
    "Deployment",
    "HorizontalPodAutoscaler",
    "StatefulSet",
    "Job",
    "CronJob",
    "IngressClass",
    "Ingress",
    "APIService",
    "MutatingWebhookConfiguration",
];

/// Position of a kind in the apply order.
pub fn kind_rank(kind: &str) -> usize {
    KIND_ORDER
        .iter()
        .position(|k| *k == kind)
        .unwrap_or(KIND_ORDER.len())
}

/// Where a sync's progress lines go ("wave 2 of 4 · waiting for …").
pub type ProgressSender = tokio::sync::mpsc::UnboundedSender<Progress>;

#[derive(Debug, Clone)]
pub struct SyncOptions {
    pub prune: bool,
    pub dry_run: bool,
    /// The commit being synced (recorded in the inventory).
    pub revision: String,
    /// It is not HEAD: a rollback, which pauses autoSync until a sync of
    /// HEAD (docs/ARCHITECTURE.md "Rollback").
    pub rolled_back: bool,
    /// One object synced on its own (Argo CD's selective sync): its wave
    /// and the app's hooks ignored, nothing pruned, and the inventory left
    /// as the last full sync wrote it.
    pub selective: bool,
    /// How long to wait for a CRD to be Established.
    pub crd_timeout: Duration,
    /// How long one wave may take to become Healthy (hooks to complete).
    pub wave_timeout: Duration,
    /// Apply objects another app renders or tracks too (taking them over).
    pub allow_shared: bool,
    /// A person confirmed this sync on a terminal (TUI confirm, or the
    /// CLI's prompt — not `--yes`): Argo CD's `Prune=confirm` objects go.
    pub confirmed_interactively: bool,
    /// Raised to stop after the object being applied (quit, a signal).
    pub stop: StopFlag,
    /// Told where the sync is, each time that changes.
    pub progress: Option<ProgressSender>,
}

/// How long a wave may take by default (Argo CD has no per-wave limit;
/// bosun needs one so that a sync never hangs without saying why).
pub const DEFAULT_WAVE_TIMEOUT: Duration = Duration::from_secs(300);

/// Asks a sync to stop after the current object: nothing is left
/// half-applied, and the inventory and the audit log say what was done
/// (docs/ARCHITECTURE.md "Interruptions").
#[derive(Debug, Clone, Default)]
pub struct StopFlag(std::sync::Arc<std::sync::atomic::AtomicBool>);

impl StopFlag {
    pub fn stop(&self) {
        self.0.store(true, std::sync::atomic::Ordering::SeqCst);
    }

    pub fn is_stopped(&self) -> bool {
        self.0.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Whether a sync still holds this flag (it has not finished).
    pub fn in_use(&self) -> bool {
        std::sync::Arc::strong_count(&self.0) > 1
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    Created,
    Configured,
    Unchanged,
}

impl Applied {
    /// kubectl's words for what apply did.
    pub fn as_str(self) -> &'static str {
        match self {
            Applied::Created => "created",
            Applied::Configured => "configured",
            Applied::Unchanged => "unchanged",
        }
    }
}

/// How one hook run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HookOutcome {
    Succeeded,
    /// Why, and its last log lines (a Job's or Pod's).
    Failed {
        message: String,
        logs: Vec<String>,
    },
    /// Still running when the sync stopped (timeout, interruption).
    Unfinished(String),
    /// A dry run: validated, not run.
    DryRun,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookResult {
    pub key: ObjectKey,
    pub phase: Phase,
    pub outcome: HookOutcome,
    /// Its delete policy removed it after the sync.
    pub deleted: bool,
}

impl HookResult {
    /// "PostSync hook Job blog/smoke: succeeded (deleted: HookSucceeded)".
    pub fn describe(&self) -> String {
        let outcome = match &self.outcome {
            HookOutcome::Succeeded => "succeeded".to_string(),
            HookOutcome::Failed { message, .. } => format!("FAILED: {message}"),
            HookOutcome::Unfinished(why) => format!("unfinished: {why}"),
            HookOutcome::DryRun => "would run".to_string(),
        };
        let deleted = if self.deleted { " (deleted)" } else { "" };
        format!("{} hook {}: {outcome}{deleted}", self.phase, self.key)
    }
}

#[derive(Debug, Clone, Default)]
pub struct SyncReport {
    pub app: String,
    pub revision: String,
    pub dry_run: bool,
    pub applied: Vec<(ObjectKey, Applied)>,
    pub pruned: Vec<ObjectKey>,
    /// Prune candidates left alone: pruning off, or the sync stopped first.
    pub prune_skipped: Vec<ObjectKey>,
    /// Prune candidates that must stay, and why (annotation, namespace in use).
    pub kept: Vec<(ObjectKey, String)>,
    /// Objects not applied because another app renders or tracks them.
    pub refused: Vec<(ObjectKey, String)>,
    pub failed: Vec<(ObjectKey, String)>,
    /// Hooks run, in order (SyncFail ones last).
    pub hooks: Vec<HookResult>,
    /// `argocd.argoproj.io/hook: Skip` objects, never applied.
    pub skipped: Vec<ObjectKey>,
    /// Why the sync stopped before its last wave: "wave 2 of 4: …".
    pub stopped: Option<String>,
    /// Stopped early: (objects done, objects in the sync).
    pub interrupted: Option<(usize, usize)>,
    pub inventory: Option<Inventory>,
    pub inventory_error: Option<String>,
}

impl SyncReport {
    pub fn succeeded(&self) -> bool {
        self.failed.is_empty()
            && self.refused.is_empty()
            && self.stopped.is_none()
            && self.interrupted.is_none()
            && self.inventory_error.is_none()
            && !self
                .hooks
                .iter()
                .any(|h| matches!(h.outcome, HookOutcome::Failed { .. }))
    }

    /// The hook that failed, if one did (not counting SyncFail hooks).
    pub fn failed_hook(&self) -> Option<&HookResult> {
        self.hooks
            .iter()
            .find(|h| h.phase != Phase::SyncFail && matches!(h.outcome, HookOutcome::Failed { .. }))
    }

    /// "3 applied, 1 pruned" / "failed: 1 of 4 objects".
    pub fn summary(&self) -> String {
        let changed = self
            .applied
            .iter()
            .filter(|(_, a)| *a != Applied::Unchanged)
            .count();
        let mut parts = vec![format!("{changed} applied")];
        let hooks_run = self
            .hooks
            .iter()
            .filter(|h| h.outcome == HookOutcome::Succeeded)
            .count();
        if hooks_run > 0 {
            parts.push(format!(
                "{hooks_run} hook{} run",
                if hooks_run == 1 { "" } else { "s" }
            ));
        }
        if !self.pruned.is_empty() {
            parts.push(format!("{} pruned", self.pruned.len()));
        }
        if !self.prune_skipped.is_empty() {
            let why = if self.stopped.is_some() || self.interrupted.is_some() {
                "the sync stopped first"
            } else {
                "prune off"
            };
            parts.push(format!("{} not pruned ({why})", self.prune_skipped.len()));
        }
        if !self.kept.is_empty() {
            parts.push(format!("{} kept", self.kept.len()));
        }
        if !self.refused.is_empty() {
            parts.push(format!("{} refused (shared)", self.refused.len()));
        }
        if !self.failed.is_empty() {
            parts.push(format!("{} failed", self.failed.len()));
        }
        if let Some(why) = &self.stopped {
            parts.push(format!("stopped at {why}"));
        }
        if let Some((done, total)) = self.interrupted {
            parts.push(format!("interrupted after {done} of {total} objects"));
        }
        if let Some(e) = &self.inventory_error {
            parts.push(format!("inventory not written: {e}"));
        }
        if self.dry_run {
            parts.push("dry run".into());
        }
        parts.join(", ")
    }
}

/// How a step (or the prune) ended.
#[derive(Debug, Clone, PartialEq, Eq)]
enum StepEnd {
    Done,
    /// The sync stops here; the text says where and why.
    Failed(String),
    Interrupted,
}

/// Applies what the diff found out of date, wave by wave, running hooks
/// (docs/ARCHITECTURE.md "Waves and hooks"). `diff` must be fresh: the UI
/// shows it and asks before calling this.
pub async fn sync_app(
    client: &Client,
    diff: &AppDiff,
    inventory_namespace: &str,
    previous: Option<&Inventory>,
    opts: &SyncOptions,
) -> Result<SyncReport, kube::Error> {
    let mut report = SyncReport {
        app: diff.app.clone(),
        revision: opts.revision.clone(),
        dry_run: opts.dry_run,
        skipped: diff.skipped.clone(),
        ..SyncReport::default()
    };
    let mut pending: Vec<&ObjectDiff> = Vec::new();
    for obj in diff
        .objects
        .iter()
        .filter(|o| o.change != Change::PruneCandidate)
    {
        match obj.shared_text() {
            Some(text) if !opts.allow_shared && obj.change != Change::Unchanged => {
                report.refused.push((
                    obj.key.clone(),
                    format!("{text}; not applied (--allow-shared takes it)"),
                ));
            }
            _ => pending.push(obj),
        }
    }
    let candidates: Vec<&ObjectDiff> = diff
        .objects
        .iter()
        .filter(|o| o.change == Change::PruneCandidate)
        .collect();
    let started = jiff::Timestamp::now().as_second();
    let plan = waves::plan(&pending, &diff.hooks, &diff.app, &opts.revision, started);
    let prunes = if opts.prune { candidates.len() } else { 0 };
    let mut run = Run {
        client,
        opts,
        resolver: Resolver::discover(client).await?,
        coming: diff.namespaces_created(),
        done: 0,
        total: plan.task_count() + prunes,
        steps: plan.steps.len(),
        report,
        ran_hooks: Vec::new(),
    };
    for namespace in &diff.create_namespaces {
        create_namespace(client, namespace, opts, &mut run.report).await;
    }

    // Prune as Argo CD's PruneLast does: after the Sync phase's last wave,
    // before PostSync hooks.
    let mut end = StepEnd::Done;
    let mut pruned = false;
    let last = plan.steps.len().saturating_sub(1);
    for (index, step) in plan.steps.iter().enumerate() {
        if !pruned && step.phase > Phase::Sync {
            pruned = true;
            end = run.prune(diff, &candidates).await;
            if end != StepEnd::Done {
                break;
            }
        }
        end = run
            .step(index, step, plan.multi_step(), index == last)
            .await;
        if end != StepEnd::Done {
            break;
        }
    }
    if end == StepEnd::Done && !pruned {
        pruned = true;
        end = run.prune(diff, &candidates).await;
    }
    if !pruned || !opts.prune {
        run.report.prune_skipped = candidates.iter().map(|o| o.key.clone()).collect();
    }
    match &end {
        StepEnd::Done => run.delete_hooks(DeletePolicy::HookSucceeded).await,
        StepEnd::Failed(why) => {
            run.report.stopped = Some(why.clone());
            run.delete_hooks(DeletePolicy::HookFailed).await;
            run.sync_fail(&plan.sync_fail).await;
        }
        StepEnd::Interrupted => run.report.interrupted = Some((run.done, run.total)),
    }
    let mut report = run.report;

    if !opts.dry_run && !opts.selective {
        let mut objects: Vec<ObjectKey> = diff
            .objects
            .iter()
            .filter(|o| o.change != Change::PruneCandidate)
            .map(|o| o.key.clone())
            .collect();
        // Unpruned and kept candidates are still ours: keep owning them.
        objects.extend(report.prune_skipped.iter().cloned());
        objects.extend(report.kept.iter().map(|(key, _)| key.clone()));
        objects.sort();
        objects.dedup();
        let not_done = report.failed.len() + report.refused.len();
        let result = match (report.interrupted, &report.stopped) {
            (Some((done, total)), _) => format!("Interrupted after {done} of {total} objects"),
            (None, Some(why)) => format!("Failed: stopped at {why}"),
            (None, None) if not_done == 0 => "Succeeded".to_string(),
            (None, None) => format!("Failed: {not_done} of {} objects", objects.len()),
        };
        let next = Inventory {
            app: diff.app.clone(),
            revision: opts.revision.clone(),
            synced_at: jiff::Timestamp::now()
                .round(jiff::Unit::Second)
                .map(|t| t.to_string())
                .unwrap_or_default(),
            result,
            objects,
            history: Vec::new(),
            rolled_back: opts.rolled_back,
        };
        match inventory::record(client, inventory_namespace, previous, next).await {
            Ok(inv) => report.inventory = Some(inv),
            Err(e) => report.inventory_error = Some(kube_message(&e)),
        }
    }
    Ok(report)
}

/// One sync under way: what it has done, and where it reports.
struct Run<'a> {
    client: &'a Client,
    opts: &'a SyncOptions,
    resolver: Resolver,
    /// Namespaces this sync brings (dry runs cannot apply into them).
    coming: HashSet<String>,
    done: usize,
    total: usize,
    steps: usize,
    report: SyncReport,
    /// Hooks created and completed, for their delete policies:
    /// (key, manifest, policies).
    ran_hooks: Vec<(ObjectKey, serde_json::Value, Vec<DeletePolicy>)>,
}

impl Run<'_> {
    fn progress(&self, index: usize, phase: Phase, waiting_for: Option<String>) {
        // A plain one-step sync has no waves to speak of.
        if self.steps <= 1 && waiting_for.is_none() {
            return;
        }
        if let Some(sender) = &self.opts.progress {
            let _ = sender.send(Progress {
                step: index + 1,
                steps: self.steps,
                phase,
                waiting_for,
            });
        }
    }

    /// "wave 2 of 4" (with the phase when it is not Sync).
    fn where_(&self, index: usize, phase: Phase) -> String {
        let mut text = format!("wave {} of {}", index + 1, self.steps);
        if phase != Phase::Sync {
            text.push_str(&format!(" ({phase})"));
        }
        text
    }

    /// Applies one (phase, wave) and waits for it as gitops-engine does:
    /// hooks until they complete; resources until Healthy when the sync
    /// has several steps (not after the last, unless it has hooks).
    async fn step(&mut self, index: usize, step: &Step<'_>, multi: bool, last: bool) -> StepEnd {
        self.progress(index, step.phase, None);
        let failed_before = self.report.failed.len();
        // BeforeHookCreation (the default): the last run goes first.
        for task in step.tasks.iter().filter(|t| t.is_hook()) {
            let Work::Hook { hook, manifest } = &task.work else {
                continue;
            };
            if self.opts.dry_run || !hook.deletes_on(DeletePolicy::BeforeHookCreation) {
                continue;
            }
            if self.opts.stop.is_stopped() {
                return StepEnd::Interrupted;
            }
            let timeout = Some(self.opts.wave_timeout);
            if let Err(why) =
                sync_wait::delete_hook(self.client, &self.resolver, &task.key, manifest, timeout)
                    .await
            {
                let why = format!("deleting the previous run: {why}");
                self.report.failed.push((task.key.clone(), why.clone()));
                return StepEnd::Failed(format!(
                    "{}: {}: {why}",
                    self.where_(index, step.phase),
                    task.describe()
                ));
            }
        }
        let mut crds_waited = false;
        for task in &step.tasks {
            if self.opts.stop.is_stopped() {
                return StepEnd::Interrupted;
            }
            // Namespaces and CRDs sort first: the CRDs Established, then
            // rediscovered, before the rest.
            if !crds_waited && kind_rank(&task.key.kind) > kind_rank("CustomResourceDefinition") {
                crds_waited = true;
                if let Err(e) = self.settle_crds(step).await {
                    return StepEnd::Failed(format!(
                        "{}: discovery after CRDs: {}",
                        self.where_(index, step.phase),
                        kube_message(&e)
                    ));
                }
            }
            match &task.work {
                Work::Resource(obj) => {
                    apply_one(
                        self.client,
                        &self.resolver,
                        obj,
                        self.opts,
                        &self.coming,
                        &mut self.report,
                    )
                    .await
                }
                Work::Hook { hook, manifest } => self.apply_hook(task, hook, manifest).await,
            }
            self.done += 1;
        }
        if !crds_waited && let Err(e) = self.settle_crds(step).await {
            return StepEnd::Failed(format!(
                "{}: discovery after CRDs: {}",
                self.where_(index, step.phase),
                kube_message(&e)
            ));
        }
        if let Some((key, error)) = self.report.failed.get(failed_before) {
            return StepEnd::Failed(format!(
                "{}: {key}: {error}",
                self.where_(index, step.phase)
            ));
        }
        if self.opts.dry_run {
            for task in step.tasks.iter().filter(|t| t.is_hook()) {
                self.report.hooks.push(HookResult {
                    key: task.key.clone(),
                    phase: task.phase,
                    outcome: HookOutcome::DryRun,
                    deleted: false,
                });
            }
            return StepEnd::Done;
        }
        let wait_resources = multi && (!last || step.has_hooks());
        let watched: Vec<&Task<'_>> = step
            .tasks
            .iter()
            .filter(|t| t.is_hook() || wait_resources)
            .collect();
        self.wait(index, step.phase, watched).await
    }

    /// Waits for the CRDs this step changed to be Established, then
    /// discovers again so that their kinds resolve.
    async fn settle_crds(&mut self, step: &Step<'_>) -> Result<(), kube::Error> {
        if self.opts.dry_run {
            return Ok(());
        }
        let crds: Vec<&ObjectKey> = step
            .tasks
            .iter()
            .filter(|t| match &t.work {
                Work::Resource(obj) => {
                    obj.key.kind == "CustomResourceDefinition" && obj.change != Change::Unchanged
                }
                Work::Hook { .. } => false,
            })
            .map(|t| &t.key)
            .collect();
        if crds.is_empty() {
            return Ok(());
        }
        for crd in crds {
            if let Err(e) = wait_established(self.client, &crd.name, self.opts.crd_timeout).await {
                self.report.failed.push((crd.clone(), e));
            }
        }
        self.resolver = Resolver::discover(self.client).await?;
        Ok(())
    }

    async fn apply_hook(
        &mut self,
        task: &Task<'_>,
        hook: &HookObject,
        manifest: &serde_json::Value,
    ) {
        let key = &task.key;
        if super::sops::is_encrypted(manifest) {
            let why =
                super::sops::refusal(&key.kind, key.namespace.as_deref(), &key.name, manifest);
            self.report.failed.push((key.clone(), why));
            return;
        }
        let in_coming_namespace = key
            .namespace
            .as_ref()
            .is_some_and(|ns| self.coming.contains(ns));
        let resolved = self.resolver.for_key_version(key, manifest);
        if self.opts.dry_run && (in_coming_namespace || resolved.is_none()) {
            self.report.applied.push((key.clone(), Applied::Created));
            return;
        }
        let Some(resolved) = resolved else {
            self.report
                .failed
                .push((key.clone(), format!("the cluster serves no {}", key.kind)));
            return;
        };
        let handle = api(self.client, &resolved, key.namespace.as_deref());
        let mut params = PatchParams::apply(MANAGER).force();
        if self.opts.dry_run {
            params = params.dry_run();
        }
        match handle
            .patch(&key.name, &params, &Patch::Apply(manifest))
            .await
        {
            Ok(_) => {
                self.report.applied.push((key.clone(), Applied::Created));
                if !self.opts.dry_run {
                    self.ran_hooks.push((
                        key.clone(),
                        manifest.clone(),
                        hook.delete_policies.clone(),
                    ));
                }
            }
            Err(e) => self.report.failed.push((key.clone(), kube_message(&e))),
        }
    }

    /// Polls the watched tasks until each is done; the first failure or
    /// the wave timeout ends the step.
    async fn wait(&mut self, index: usize, phase: Phase, watched: Vec<&Task<'_>>) -> StepEnd {
        let deadline = tokio::time::Instant::now() + self.opts.wave_timeout;
        let mut pending = watched;
        let mut said: Option<String> = None;
        loop {
            let mut still = Vec::new();
            let mut first: Option<(String, String)> = None;
            for task in pending {
                match sync_wait::observe(self.client, &self.resolver, task).await {
                    Observed::Done => self.record_hook(task, HookOutcome::Succeeded),
                    Observed::Failed(message) => {
                        let at = self.where_(index, phase);
                        if task.is_hook() {
                            let logs = sync_wait::hook_logs(self.client, &task.key).await;
                            self.record_hook(
                                task,
                                HookOutcome::Failed {
                                    message: message.clone(),
                                    logs,
                                },
                            );
                            return StepEnd::Failed(format!(
                                "{at}: {} failed: {message}",
                                task.describe()
                            ));
                        }
                        self.report.failed.push((task.key.clone(), message.clone()));
                        return StepEnd::Failed(format!("{at}: {} is {message}", task.key));
                    }
                    Observed::Waiting { what, detail } => {
                        first.get_or_insert((what, detail));
                        still.push(task);
                    }
                }
            }
            let Some((what, detail)) = first else {
                return StepEnd::Done;
            };
            let waiting = match still.len() {
                1 => what,
                n => format!("{what} (and {} more)", n - 1),
            };
            if tokio::time::Instant::now() >= deadline {
                for task in &still {
                    self.record_hook(task, HookOutcome::Unfinished("timed out".into()));
                }
                return StepEnd::Failed(format!(
                    "{}: gave up after {}s waiting for {waiting} ({detail})",
                    self.where_(index, phase),
                    self.opts.wave_timeout.as_secs()
                ));
            }
            if said.as_deref() != Some(waiting.as_str()) {
                self.progress(index, phase, Some(waiting.clone()));
                said = Some(waiting);
            }
            // The stop flag is honoured while waiting, not only between objects.
            let nap = tokio::time::sleep(sync_wait::POLL);
            tokio::pin!(nap);
            loop {
                if self.opts.stop.is_stopped() {
                    for task in &still {
                        self.record_hook(task, HookOutcome::Unfinished("interrupted".into()));
                    }
                    return StepEnd::Interrupted;
                }
                tokio::select! {
                    _ = &mut nap => break,
                    _ = tokio::time::sleep(Duration::from_millis(100)) => {}
                }
            }
            pending = still;
        }
    }

    fn record_hook(&mut self, task: &Task<'_>, outcome: HookOutcome) {
        if task.is_hook() {
            self.report.hooks.push(HookResult {
                key: task.key.clone(),
                phase: task.phase,
                outcome,
                deleted: false,
            });
        }
    }

    /// Deletes the hooks this sync ran whose policy says so.
    async fn delete_hooks(&mut self, policy: DeletePolicy) {
        if self.opts.dry_run {
            return;
        }
        let ran = std::mem::take(&mut self.ran_hooks);
        for (key, manifest, policies) in &ran {
            if !policies.contains(&policy) {
                continue;
            }
            match sync_wait::delete_hook(self.client, &self.resolver, key, manifest, None).await {
                Ok(_) => {
                    for result in self.report.hooks.iter_mut().filter(|h| &h.key == key) {
                        result.deleted = true;
                    }
                }
                Err(e) => self.report.failed.push((
                    key.clone(),
                    format!("deleting the hook ({}): {e}", policy.as_str()),
                )),
            }
        }
        self.ran_hooks = ran;
    }

    /// gitops-engine `setOperationFailed`: the SyncFail hooks run, all at
    /// once, and the sync waits for them; their own failure is reported
    /// beside the first.
    async fn sync_fail(&mut self, tasks: &[Task<'_>]) {
        if tasks.is_empty() || self.opts.dry_run {
            return;
        }
        self.ran_hooks.clear();
        for task in tasks {
            if let Work::Hook { hook, manifest } = &task.work {
                if hook.deletes_on(DeletePolicy::BeforeHookCreation) {
                    let _ = sync_wait::delete_hook(
                        self.client,
                        &self.resolver,
                        &task.key,
                        manifest,
                        Some(self.opts.wave_timeout),
                    )
                    .await;
                }
                self.apply_hook(task, hook, manifest).await;
            }
        }
        let watched: Vec<&Task<'_>> = tasks.iter().collect();
        if let StepEnd::Failed(why) = self.wait(self.steps, Phase::SyncFail, watched).await
            && let Some(stopped) = &mut self.report.stopped
        {
            stopped.push_str(&format!("; SyncFail hooks: {why}"));
        }
    }

    /// Prunes the candidates (when pruning is on) after checking each again.
    async fn prune(&mut self, diff: &AppDiff, candidates: &[&ObjectDiff]) -> StepEnd {
        if !self.opts.prune || candidates.is_empty() {
            return StepEnd::Done;
        }
        let candidate_keys: HashSet<ObjectKey> = candidates.iter().map(|o| o.key.clone()).collect();
        let wanted: HashSet<ObjectKey> = diff
            .objects
            .iter()
            .filter(|o| o.change != Change::PruneCandidate)
            .map(|o| o.key.clone())
            .collect();
        let context = PruneContext {
            app: &diff.app,
            candidates: &candidate_keys,
            wanted: &wanted,
        };
        // Reverse order: workloads before the namespace or config they use.
        let mut ordered = candidates.to_vec();
        ordered.sort_by_key(|o| std::cmp::Reverse(kind_rank(&o.key.kind)));
        for obj in ordered {
            if self.opts.stop.is_stopped() {
                return StepEnd::Interrupted;
            }
            prune_one(
                self.client,
                &self.resolver,
                obj,
                &context,
                self.opts,
                &mut self.report,
            )
            .await;
            self.done += 1;
        }
        StepEnd::Done
    }
}

/// `createNamespace`: a plain Namespace (no tracking, so never pruned), as
/// Argo CD's `CreateNamespace=true` makes it.
async fn create_namespace(
    client: &Client,
    name: &str,
    opts: &SyncOptions,
    report: &mut SyncReport,
) {
    let key = ObjectKey {
        group: String::new(),
        kind: "Namespace".into(),
        namespace: None,
        name: name.to_string(),
    };
    if opts.dry_run {
        report.applied.push((key, Applied::Created));
        return;
    }
    let namespaces: kube::Api<k8s_openapi::api::core::v1::Namespace> =
        kube::Api::all(client.clone());
    let body =
        serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}});
    match namespaces
        .patch(name, &PatchParams::apply(MANAGER), &Patch::Apply(&body))
        .await
    {
        Ok(_) => report.applied.push((key, Applied::Created)),
        Err(e) => report.failed.push((key, kube_message(&e))),
    }
}

async fn apply_one(
    client: &Client,
    resolver: &Resolver,
    obj: &ObjectDiff,
    opts: &SyncOptions,
    coming: &HashSet<String>,
    report: &mut SyncReport,
) {
    if obj.change == Change::Unchanged {
        report.applied.push((obj.key.clone(), Applied::Unchanged));
        return;
    }
    // The encrypted form never reaches the API server.
    if super::sops::is_encrypted(&obj.manifest) {
        let key = &obj.key;
        let why = obj.error.clone().unwrap_or_else(|| {
            super::sops::refusal(
                &key.kind,
                key.namespace.as_deref(),
                &key.name,
                &obj.manifest,
            )
        });
        report.failed.push((key.clone(), why));
        return;
    }
    // A dry run cannot apply into a namespace or a kind the same sync
    // brings: the server has neither yet. They would be created.
    let in_coming_namespace = obj
        .key
        .namespace
        .as_ref()
        .is_some_and(|ns| coming.contains(ns));
    let resolved = resolver.for_key_version(&obj.key, &obj.manifest);
    if opts.dry_run
        && obj.change == Change::Create
        && obj.error.is_none()
        && (in_coming_namespace || resolved.is_none())
    {
        report.applied.push((obj.key.clone(), Applied::Created));
        return;
    }
    let Some(resolved) = resolved else {
        report.failed.push((
            obj.key.clone(),
            obj.error
                .clone()
                .unwrap_or_else(|| format!("the cluster serves no {}", obj.key.kind)),
        ));
        return;
    };
    let handle = api(client, &resolved, obj.key.namespace.as_deref());
    let mut params = PatchParams::apply(MANAGER).force();
    if opts.dry_run {
        params = params.dry_run();
    }
    match handle
        .patch(&obj.key.name, &params, &Patch::Apply(&obj.manifest))
        .await
    {
        Ok(_) => {
            let applied = if obj.change == Change::Create {
                Applied::Created
            } else {
                Applied::Configured
            };
            report.applied.push((obj.key.clone(), applied));
        }
        // An object the diff already found wrong: its diagnosis (a missing
        // namespace and who makes it) says more than the server's 404.
        Err(e) => {
            let why = match (&obj.error, obj.change) {
                (Some(error), Change::Error) => error.clone(),
                _ => kube_message(&e),
            };
            report.failed.push((obj.key.clone(), why));
        }
    }
}

/// What a prune decision needs beyond the object itself.
struct PruneContext<'a> {
    app: &'a str,
    candidates: &'a HashSet<ObjectKey>,
    wanted: &'a HashSet<ObjectKey>,
}

/// Deletes one prune candidate after checking again, on the live object,
/// everything that keeps it (docs/ARCHITECTURE.md "Prune safety"); the delete
/// carries the uid it checked as a precondition.
async fn prune_one(
    client: &Client,
    resolver: &Resolver,
    obj: &ObjectDiff,
    context: &PruneContext<'_>,
    opts: &SyncOptions,
    report: &mut SyncReport,
) {
    let verdict = prune::recheck(
        client,
        resolver,
        &obj.key,
        context.app,
        opts.confirmed_interactively,
        context.candidates,
        context.wanted,
    )
    .await;
    let uid = match verdict {
        Verdict::Gone => {
            report.pruned.push(obj.key.clone());
            return;
        }
        Verdict::Keep(reason) => {
            report.kept.push((obj.key.clone(), reason));
            return;
        }
        Verdict::Delete { uid } => uid,
    };
    let Some(resolved) = resolver.for_key(&obj.key) else {
        report
            .kept
            .push((obj.key.clone(), "kept: its kind is no longer served".into()));
        return;
    };
    let handle = api(client, &resolved, obj.key.namespace.as_deref());
    let mut params = DeleteParams::background();
    if let Some(uid) = uid {
        params = params.preconditions(kube::api::Preconditions {
            uid: Some(uid),
            resource_version: None,
        });
    }
    if opts.dry_run {
        params = params.dry_run();
    }
    match handle.delete(&obj.key.name, &params).await {
        Ok(_) => report.pruned.push(obj.key.clone()),
        Err(kube::Error::Api(status)) if status.code == 404 => report.pruned.push(obj.key.clone()),
        Err(kube::Error::Api(status)) if status.code == 409 => report.kept.push((
            obj.key.clone(),
            "kept: it was replaced by another object of the same name".into(),
        )),
        Err(e) => report.failed.push((obj.key.clone(), kube_message(&e))),
    }
}

/// Polls a CRD until its Established condition is True.
async fn wait_established(client: &Client, name: &str, timeout: Duration) -> Result<(), String> {
    use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
    let crds: kube::Api<CustomResourceDefinition> = kube::Api::all(client.clone());
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Ok(Some(crd)) = crds.get_opt(name).await {
            let established = crd
                .status
                .as_ref()
                .and_then(|s| s.conditions.as_ref())
                .is_some_and(|c| {
                    c.iter()
                        .any(|c| c.type_ == "Established" && c.status == "True")
                });
            if established {
                return Ok(());
            }
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(format!(
                "CRD {name} not Established after {}s",
                timeout.as_secs()
            ));
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespaces_and_crds_first_workloads_after_config() {
        assert!(kind_rank("Namespace") < kind_rank("CustomResourceDefinition"));
        assert!(kind_rank("CustomResourceDefinition") < kind_rank("ServiceAccount"));
        assert!(kind_rank("Secret") < kind_rank("Deployment"));
        assert!(kind_rank("Service") < kind_rank("Deployment"));
        assert!(kind_rank("Deployment") < kind_rank("Ingress"));
        assert!(kind_rank("Ingress") < kind_rank("Certificate"));
    }
}

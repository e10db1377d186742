//! Sync (DESIGN §5): server-side apply with field manager `bosun`, forced,
//! in Argo CD's kind order with Namespaces and CRDs first (CRDs Established
//! before their objects); prune only when asked; the inventory records it.

use std::time::Duration;

use kube::Client;
use kube::api::{DeleteParams, Patch, PatchParams};

use std::collections::HashSet;

use super::compare::{AppDiff, Change, ObjectDiff};
use super::diff::MANAGER;
use super::inventory::{self, Inventory};
use super::object::ObjectKey;
use super::prune::{self, Verdict};
use super::resolve::{Resolver, api, kube_message};

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

#[derive(Debug, Clone)]
pub struct SyncOptions {
    pub prune: bool,
    pub dry_run: bool,
    /// The commit being synced (recorded in the inventory).
    pub revision: String,
    /// How long to wait for a CRD to be Established.
    pub crd_timeout: Duration,
    /// Apply objects another app renders or tracks too (taking them over).
    pub allow_shared: bool,
    /// A person confirmed this sync on a terminal (TUI confirm, or the
    /// CLI's prompt — not `--yes`): Argo CD's `Prune=confirm` objects go.
    pub confirmed_interactively: bool,
    /// Raised to stop after the object being applied (quit, a signal).
    pub stop: StopFlag,
}

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

#[derive(Debug, Clone, Default)]
pub struct SyncReport {
    pub app: String,
    pub revision: String,
    pub dry_run: bool,
    pub applied: Vec<(ObjectKey, Applied)>,
    pub pruned: Vec<ObjectKey>,
    /// Prune candidates left alone because pruning was not enabled.
    pub prune_skipped: Vec<ObjectKey>,
    /// Prune candidates that must stay, and why (annotation, namespace in use).
    pub kept: Vec<(ObjectKey, String)>,
    /// Objects not applied because another app renders or tracks them.
    pub refused: Vec<(ObjectKey, String)>,
    pub failed: Vec<(ObjectKey, String)>,
    /// Stopped early: (objects done, objects in the sync).
    pub interrupted: Option<(usize, usize)>,
    pub inventory: Option<Inventory>,
    pub inventory_error: Option<String>,
}

impl SyncReport {
    pub fn succeeded(&self) -> bool {
        self.failed.is_empty()
            && self.refused.is_empty()
            && self.interrupted.is_none()
            && self.inventory_error.is_none()
    }

    /// "3 applied, 1 pruned" / "failed: 1 of 4 objects".
    pub fn summary(&self) -> String {
        let changed = self
            .applied
            .iter()
            .filter(|(_, a)| *a != Applied::Unchanged)
            .count();
        let mut parts = vec![format!("{changed} applied")];
        if !self.pruned.is_empty() {
            parts.push(format!("{} pruned", self.pruned.len()));
        }
        if !self.prune_skipped.is_empty() {
            parts.push(format!(
                "{} not pruned (prune off)",
                self.prune_skipped.len()
            ));
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

/// Applies what the diff found out of date. `diff` must be fresh: the UI
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
    pending.sort_by_key(|o| kind_rank(&o.key.kind));
    let (first, rest): (Vec<&ObjectDiff>, Vec<&ObjectDiff>) = pending.into_iter().partition(|o| {
        matches!(
            o.key.kind.as_str(),
            "Namespace" | "CustomResourceDefinition"
        )
    });

    let candidates: Vec<&ObjectDiff> = diff
        .objects
        .iter()
        .filter(|o| o.change == Change::PruneCandidate)
        .collect();
    let total = first.len() + rest.len() + if opts.prune { candidates.len() } else { 0 };
    let mut done = 0;
    let mut resolver = Resolver::discover(client).await?;
    let coming = diff.namespaces_created();
    for namespace in &diff.create_namespaces {
        create_namespace(client, namespace, opts, &mut report).await;
    }
    // Between objects, a raised stop flag ends the sync cleanly.
    'apply: {
        for obj in &first {
            if opts.stop.is_stopped() {
                report.interrupted = Some((done, total));
                break 'apply;
            }
            apply_one(client, &resolver, obj, opts, &coming, &mut report).await;
            done += 1;
        }
        let crds: Vec<&ObjectDiff> = first
            .iter()
            .copied()
            .filter(|o| o.key.kind == "CustomResourceDefinition" && o.change != Change::Unchanged)
            .collect();
        if !crds.is_empty() && !opts.dry_run {
            for crd in &crds {
                if let Err(e) = wait_established(client, &crd.key.name, opts.crd_timeout).await {
                    report.failed.push((crd.key.clone(), e));
                }
            }
            resolver = Resolver::discover(client).await?;
        }
        for obj in &rest {
            if opts.stop.is_stopped() {
                report.interrupted = Some((done, total));
                break 'apply;
            }
            apply_one(client, &resolver, obj, opts, &coming, &mut report).await;
            done += 1;
        }
    }

    if report.interrupted.is_some() {
        // Not pruned: still the app's.
        report.prune_skipped = candidates.iter().map(|o| o.key.clone()).collect();
    } else if opts.prune {
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
        let mut candidates = candidates;
        candidates.sort_by_key(|o| std::cmp::Reverse(kind_rank(&o.key.kind)));
        for obj in candidates {
            if opts.stop.is_stopped() {
                report.interrupted = Some((done, total));
                break;
            }
            prune_one(client, &resolver, obj, &context, opts, &mut report).await;
            done += 1;
        }
    } else {
        report.prune_skipped = candidates.iter().map(|o| o.key.clone()).collect();
    }

    if !opts.dry_run {
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
        let result = match report.interrupted {
            Some((done, total)) => format!("Interrupted after {done} of {total} objects"),
            None if not_done == 0 => "Succeeded".to_string(),
            None => format!("Failed: {not_done} of {} objects", objects.len()),
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
        };
        match inventory::record(client, inventory_namespace, previous, next).await {
            Ok(inv) => report.inventory = Some(inv),
            Err(e) => report.inventory_error = Some(kube_message(&e)),
        }
    }
    Ok(report)
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

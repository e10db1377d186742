//! An app's diff against the cluster (DESIGN §5): for each rendered object a
//! server-side dry-run apply (field manager `bosun`, forced) compared with
//! the live object after normalisation; tracked live objects the render no
//! longer holds are prune candidates.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt;

use futures::StreamExt;
use kube::Client;
use kube::api::{Api, DynamicObject, ListParams, Patch, PatchParams};
use serde_json::Value;

use super::diff::{self, APP_LABEL, MANAGED_BY_LABEL, MANAGED_BY_VALUE, MANAGER};
use super::health::{self, Health, HealthStatus};
use super::hooks::{self, DeletePolicy, Phase, Role};
use super::identity::{self, Owner};
use super::ignore::{IgnoreRule, Ignorer};
use super::inventory::Inventory;
use super::object::{ObjectKey, RenderedObject};
use super::prune::{self, Keep};
use super::resolve::{Resolved, Resolver, api, kube_message};

/// How many objects are diffed at once.
const CONCURRENCY: usize = 16;

/// What a sync would do to one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Change {
    /// Not in the cluster: the sync creates it.
    Create,
    /// Live differs from what the repo wants.
    Drifted,
    Unchanged,
    /// Live, tracked as this app's, no longer rendered.
    PruneCandidate,
    /// The dry-run was refused (invalid, forbidden, unknown kind).
    Error,
}

impl Change {
    pub fn as_str(self) -> &'static str {
        match self {
            Change::Create => "create",
            Change::Drifted => "drifted",
            Change::Unchanged => "unchanged",
            Change::PruneCandidate => "prune-candidate",
            Change::Error => "error",
        }
    }
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Argo CD's sync status words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SyncStatus {
    Synced,
    OutOfSync,
    Unknown,
}

impl SyncStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SyncStatus::Synced => "Synced",
            SyncStatus::OutOfSync => "OutOfSync",
            SyncStatus::Unknown => "Unknown",
        }
    }
}

impl fmt::Display for SyncStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone)]
pub struct ObjectDiff {
    pub key: ObjectKey,
    pub change: Change,
    /// Live health; `Missing` when not in the cluster, `None` without a rule.
    pub health: Option<HealthStatus>,
    /// Unified diff, live → desired, Secret values masked; empty when unchanged.
    pub diff: String,
    /// Fields a forced apply takes back, and from whom ("spec.replicas from kubectl").
    pub takeover: Vec<String>,
    pub error: Option<String>,
    /// A prune candidate that stays, and why (docs/ARCHITECTURE.md "Prune safety").
    pub keep: Option<Keep>,
    /// Other apps that render this object or whose tracking annotation it
    /// carries: a sync refuses it unless told to take it.
    pub shared: Vec<String>,
    /// The manifest as it will be applied: tracking labels stamped, namespace filled.
    pub manifest: Value,
}

impl ObjectDiff {
    /// An object's verdict with nothing else known yet (no health, no diff text).
    pub fn new(key: ObjectKey, change: Change, manifest: Value) -> ObjectDiff {
        ObjectDiff {
            key,
            change,
            health: None,
            diff: String::new(),
            takeover: Vec::new(),
            error: None,
            keep: None,
            shared: Vec::new(),
            manifest,
        }
    }

    fn failed(key: ObjectKey, manifest: Value, error: String) -> ObjectDiff {
        ObjectDiff {
            error: Some(error),
            ..ObjectDiff::new(key, Change::Error, manifest)
        }
    }

    /// A prune candidate the sync would delete (if pruning is on).
    pub fn prunable(&self) -> bool {
        self.change == Change::PruneCandidate && self.keep.is_none()
    }

    /// "shared with app shop" for messages.
    pub fn shared_text(&self) -> Option<String> {
        (!self.shared.is_empty()).then(|| format!("shared with app {}", self.shared.join(", app ")))
    }
}

/// A rendered hook (docs/ARCHITECTURE.md "Waves and hooks"): not diffed,
/// never a prune candidate; a sync runs it in each of its phases.
#[derive(Debug, Clone)]
pub struct HookObject {
    /// Its key; for a `generateName` hook the name is the prefix.
    pub key: ObjectKey,
    pub generate_name: bool,
    /// Empty for a Helm hook Argo CD does not map (`test`): never run.
    pub phases: Vec<Phase>,
    pub wave: i64,
    pub delete_policies: Vec<DeletePolicy>,
    /// Namespace filled; tracking is stamped once its name is known.
    pub manifest: Value,
}

impl HookObject {
    pub fn deletes_on(&self, policy: DeletePolicy) -> bool {
        self.delete_policies.contains(&policy)
    }

    /// "PreSync hook Job blog/db-migrate-" for the diff and the tree.
    pub fn describe(&self) -> String {
        let phases: Vec<&str> = self.phases.iter().map(|p| p.as_str()).collect();
        let when = if phases.is_empty() {
            "never run".to_string()
        } else {
            format!("{} hook", phases.join("+"))
        };
        format!("{} ({when})", self.key)
    }
}

/// Which apps render each object: built over every app of the repo, so that
/// an object two apps render is refused by both (DESIGN §6).
pub type Renderers = HashMap<ObjectKey, Vec<String>>;

#[derive(Debug, Clone)]
pub struct AppDiff {
    pub app: String,
    pub objects: Vec<ObjectDiff>,
    pub sync: SyncStatus,
    pub health: Health,
    /// Namespaces the sync creates first (the app's `createNamespace`): a
    /// plain Namespace, not tracked, never pruned (as Argo CD's
    /// `CreateNamespace=true`).
    pub create_namespaces: Vec<String>,
    /// Hooks the sync runs (not diffed, not in `objects`).
    pub hooks: Vec<HookObject>,
    /// `argocd.argoproj.io/hook: Skip` objects: never applied.
    pub skipped: Vec<ObjectKey>,
}

impl AppDiff {
    /// The diff of one object alone, for a selective sync: no hooks, no
    /// prune candidates (Argo CD runs no hooks for a selective sync).
    /// `None` when the app does not hold it, or it is a prune candidate.
    pub fn only(&self, key: &ObjectKey) -> Option<AppDiff> {
        let object = self
            .objects
            .iter()
            .find(|o| &o.key == key && o.change != Change::PruneCandidate)?;
        let namespace_coming = |ns: &String| object.key.namespace.as_ref() == Some(ns);
        Some(AppDiff {
            app: self.app.clone(),
            objects: vec![object.clone()],
            sync: self.sync,
            health: self.health,
            create_namespaces: self
                .create_namespaces
                .iter()
                .filter(|ns| namespace_coming(ns))
                .cloned()
                .collect(),
            hooks: Vec::new(),
            skipped: Vec::new(),
        })
    }

    /// Namespaces this sync brings: created by `createNamespace`, or
    /// rendered Namespaces not yet live. Objects in them cannot be
    /// dry-run before the sync and count as created.
    pub fn namespaces_created(&self) -> HashSet<String> {
        let mut created: HashSet<String> = self.create_namespaces.iter().cloned().collect();
        created.extend(
            self.objects
                .iter()
                .filter(|o| o.key.group.is_empty() && o.key.kind == "Namespace")
                .filter(|o| o.change == Change::Create)
                .map(|o| o.key.name.clone()),
        );
        created
    }
}

impl AppDiff {
    pub fn count(&self, change: Change) -> usize {
        self.objects.iter().filter(|o| o.change == change).count()
    }

    /// Objects with something to show in `D`.
    pub fn changed(&self) -> impl Iterator<Item = &ObjectDiff> {
        self.objects
            .iter()
            .filter(|o| o.change != Change::Unchanged)
    }

    /// Objects another app renders or tracks.
    pub fn shared(&self) -> impl Iterator<Item = &ObjectDiff> {
        self.objects.iter().filter(|o| !o.shared.is_empty())
    }

    /// "2 drifted, 1 to create, 1 prune candidate (1 kept)" or "in sync".
    pub fn summary(&self) -> String {
        let mut parts: Vec<String> = [
            (Change::Drifted, "drifted"),
            (Change::Create, "to create"),
            (Change::PruneCandidate, "prune candidate"),
            (Change::Error, "error"),
        ]
        .iter()
        .filter_map(|(change, word)| {
            let n = self.count(*change);
            (n > 0).then(|| format!("{n} {word}"))
        })
        .collect();
        let kept = self.objects.iter().filter(|o| o.keep.is_some()).count();
        if kept > 0 {
            parts.push(format!("{kept} kept"));
        }
        let shared = self.shared().count();
        if shared > 0 {
            let mut apps: Vec<&str> = self
                .shared()
                .flat_map(|o| o.shared.iter().map(String::as_str))
                .collect();
            apps.sort_unstable();
            apps.dedup();
            parts.push(format!("{shared} shared with app {}", apps.join(", app ")));
        }
        if parts.is_empty() {
            "in sync".to_string()
        } else {
            parts.join(", ")
        }
    }
}

/// What the diff needs to know about the app.
pub struct DiffInput<'a> {
    pub app: &'a str,
    /// Namespace for namespaced objects that name none.
    pub default_namespace: &'a str,
    pub objects: &'a [RenderedObject],
    pub inventory: Option<&'a Inventory>,
    /// Which apps render which object, over the whole repo (may be empty).
    pub renderers: &'a Renderers,
    /// Create the default namespace when it does not exist.
    pub create_namespace: bool,
    /// The app's `ignoreDifferences` (docs/ARCHITECTURE.md "Ignored
    /// differences").
    pub ignore_differences: &'a [IgnoreRule],
    /// `RespectIgnoreDifferences=true`: ignored fields keep their live
    /// values at sync.
    pub respect_ignore_differences: bool,
    /// The cluster's HPAs, listed once for every app of a refresh (none:
    /// listed for this diff).
    pub live_hpas: Option<&'a LiveHpas>,
}

/// The cluster's HPAs, listed at most once per refresh and shared by the
/// diffs of every app (the built-in HPA rule needs them).
#[derive(Debug, Default)]
pub struct LiveHpas(tokio::sync::OnceCell<Vec<Value>>);

impl LiveHpas {
    async fn get(&self, client: &Client, resolver: &Resolver) -> &[Value] {
        self.0.get_or_init(|| list_hpas(client, resolver)).await
    }
}

async fn list_hpas(client: &Client, resolver: &Resolver) -> Vec<Value> {
    let probe = ObjectKey {
        group: "autoscaling".into(),
        kind: "HorizontalPodAutoscaler".into(),
        namespace: None,
        name: String::new(),
    };
    let Some(resolved) = resolver.for_key(&probe) else {
        return Vec::new();
    };
    match api(client, &resolved, None)
        .list(&ListParams::default())
        .await
    {
        Ok(list) => list.items.iter().map(to_value).collect(),
        // Not allowed to list HPAs: no built-in rule, nothing else lost.
        Err(_) => Vec::new(),
    }
}

/// Diffs one app. Errors on single objects are recorded on them; only a
/// failing discovery fails the whole diff.
pub async fn diff_app(client: &Client, resolver: &Resolver, input: DiffInput<'_>) -> AppDiff {
    let crd_kinds = kinds_defined_by_crds(input.objects);
    let mut hook_objects = Vec::new();
    let mut skipped = Vec::new();
    let mut planned: Vec<(usize, Planned)> = Vec::with_capacity(input.objects.len());
    for (i, obj) in input.objects.iter().enumerate() {
        match hooks::role(&obj.manifest) {
            Role::Resource => planned.push((i, plan(resolver, &input, obj, &crd_kinds))),
            Role::Skip => {
                skipped.push(resolve_key(resolver, input.default_namespace, obj, &crd_kinds).0)
            }
            Role::Hook {
                phases,
                delete_policies,
            } => {
                let (key, _) = resolve_key(resolver, input.default_namespace, obj, &crd_kinds);
                let mut manifest = obj.manifest.clone();
                fill_namespace(&mut manifest, &key);
                hook_objects.push(HookObject {
                    key,
                    generate_name: obj.generate_name,
                    phases,
                    wave: hooks::wave(&obj.manifest),
                    delete_policies,
                    manifest,
                });
            }
        }
    }
    let app = input.app;
    let renderers = input.renderers;
    let rendered_objects = input.objects;
    let hpa_targets = hpa_targets(client, resolver, &input).await;
    let ignorer = Ignorer::new(
        input.ignore_differences,
        input.respect_ignore_differences,
        &hpa_targets,
    );
    let ignorer = &ignorer;
    let namespaces = namespaces_of(client, &input, &planned).await;
    let namespaces = &namespaces;
    let mut objects: Vec<(usize, ObjectDiff)> = futures::stream::iter(planned)
        .map(|(i, planned)| async move {
            let masked = rendered_objects
                .get(i)
                .map(|o| o.secret_paths.as_slice())
                .unwrap_or_default();
            let mut diff = match namespaces.verdict(&planned, masked) {
                Some(verdict) => verdict,
                None => diff_object(client, planned, app, masked, ignorer).await,
            };
            if let Some(apps) = renderers.get(&diff.key) {
                for other in apps.iter().filter(|other| other.as_str() != app) {
                    if !diff.shared.contains(other) {
                        diff.shared.push(other.clone());
                    }
                }
            }
            (i, diff)
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    objects.sort_by_key(|(i, _)| *i);
    let mut objects: Vec<ObjectDiff> = objects.into_iter().map(|(_, o)| o).collect();
    let rendered: HashSet<ObjectKey> = objects.iter().map(|o| o.key.clone()).collect();
    objects.extend(prune_candidates(client, resolver, &input, &rendered).await);
    // `compare-options: IgnoreExtraneous` keeps an object that would be
    // pruned out of the sync status (Argo CD's controller/state.go).
    let sync = if objects
        .iter()
        .all(|o| o.change == Change::Unchanged || ignored_extraneous(o))
    {
        SyncStatus::Synced
    } else {
        SyncStatus::OutOfSync
    };
    let health = app_health(&objects);
    AppDiff {
        app: input.app.to_string(),
        objects,
        sync,
        health,
        create_namespaces: namespaces.to_create.clone(),
        hooks: hook_objects,
        skipped,
    }
}

/// Writes the resolved namespace into the manifest (namespaced kinds).
fn fill_namespace(manifest: &mut Value, key: &ObjectKey) {
    if let (Some(ns), Some(meta)) = (
        &key.namespace,
        manifest.get_mut("metadata").and_then(Value::as_object_mut),
    ) {
        meta.insert("namespace".into(), Value::from(ns.clone()));
    }
}

/// Which namespaces the app's objects need, and what the sync does about
/// the missing ones.
struct Namespaces {
    /// Namespaces that will exist once the sync starts (rendered here, or
    /// created by `createNamespace`).
    coming: HashSet<String>,
    /// Missing and not coming: the object cannot be applied. Value: who
    /// renders the Namespace instead, if anyone.
    missing: HashMap<String, Option<String>>,
    to_create: Vec<String>,
}

impl Namespaces {
    /// The diff of an object decided by its namespace alone, if any.
    fn verdict(&self, planned: &Planned, masked: &[Vec<String>]) -> Option<ObjectDiff> {
        let (key, manifest) = match planned {
            Planned::Ready { key, manifest, .. } | Planned::AwaitingCrd { key, manifest } => {
                (key, manifest)
            }
            Planned::Unresolvable { .. } => return None,
        };
        let namespace = key.namespace.as_ref()?;
        if let Some(other) = self.missing.get(namespace) {
            let error = match other {
                Some(app) => format!(
                    "namespace {namespace} does not exist yet; app {app} creates it (sync {app} first)"
                ),
                None => format!(
                    "namespace {namespace} does not exist; set createNamespace: true for this app \
                     (Argo CD: CreateNamespace=true) or add the Namespace to it"
                ),
            };
            return Some(ObjectDiff::failed(key.clone(), manifest.clone(), error));
        }
        if self.coming.contains(namespace) {
            let shown = manifest.clone();
            return Some(created(key.clone(), manifest.clone(), &shown, masked));
        }
        None
    }
}

/// Looks up each namespace the objects name (once each).
async fn namespaces_of(
    client: &Client,
    input: &DiffInput<'_>,
    planned: &[(usize, Planned)],
) -> Namespaces {
    let rendered: HashSet<String> = input
        .objects
        .iter()
        .filter(|o| o.kind == "Namespace" && o.group().is_empty())
        .map(|o| o.name.clone())
        .collect();
    let wanted: BTreeSet<String> = planned
        .iter()
        .filter_map(|(_, p)| match p {
            Planned::Ready { key, .. } | Planned::AwaitingCrd { key, .. } => key.namespace.clone(),
            Planned::Unresolvable { .. } => None,
        })
        .collect();
    let api: Api<k8s_openapi::api::core::v1::Namespace> = Api::all(client.clone());
    let mut result = Namespaces {
        coming: HashSet::new(),
        missing: HashMap::new(),
        to_create: Vec::new(),
    };
    for namespace in wanted {
        // A failed lookup is left to the object's own dry-run to report.
        let Ok(None) = api.get_opt(&namespace).await else {
            continue;
        };
        if rendered.contains(&namespace) {
            result.coming.insert(namespace);
        } else if input.create_namespace && namespace == input.default_namespace {
            result.to_create.push(namespace.clone());
            result.coming.insert(namespace);
        } else {
            let key = ObjectKey {
                group: String::new(),
                kind: "Namespace".into(),
                namespace: None,
                name: namespace.clone(),
            };
            let other = input
                .renderers
                .get(&key)
                .and_then(|apps| apps.iter().find(|a| a.as_str() != input.app).cloned());
            result.missing.insert(namespace, other);
        }
    }
    result
}

/// An app's health (Argo CD `setApplicationHealth`): the worst of its
/// objects' health, where an object that could not be diffed counts as
/// Unknown (never Healthy), objects without a health rule do not count,
/// and Missing ones count only when every object is missing (the sync
/// status already says what is missing). Prune candidates do not count.
pub fn app_health(objects: &[ObjectDiff]) -> Health {
    let all: Vec<Health> = objects
        .iter()
        .filter(|o| o.change != Change::PruneCandidate)
        .filter_map(|o| match o.change {
            Change::Error => Some(Health::Unknown),
            _ => o.health.as_ref().map(|h| h.health),
        })
        .collect();
    let present: Vec<Health> = all
        .iter()
        .copied()
        .filter(|h| *h != Health::Missing)
        .collect();
    if present.is_empty() && !all.is_empty() {
        return Health::Missing;
    }
    health::worst(&present)
}

/// (group, kind) → namespaced, for custom resources defined by CRDs in the
/// same render: their objects cannot be dry-run before the CRD exists.
fn kinds_defined_by_crds(objects: &[RenderedObject]) -> HashMap<(String, String), bool> {
    objects
        .iter()
        .filter(|o| o.kind == "CustomResourceDefinition")
        .filter_map(|o| {
            let group = o.manifest.pointer("/spec/group")?.as_str()?;
            let kind = o.manifest.pointer("/spec/names/kind")?.as_str()?;
            let namespaced =
                o.manifest.pointer("/spec/scope").and_then(Value::as_str) != Some("Cluster");
            Some(((group.to_string(), kind.to_string()), namespaced))
        })
        .collect()
}

/// Where a rendered object lives once its namespace is resolved (the app's
/// default for namespaced kinds that name none), without asking the
/// cluster anything beyond the discovery already made.
fn resolve_key(
    resolver: &Resolver,
    default_namespace: &str,
    obj: &RenderedObject,
    crd_kinds: &HashMap<(String, String), bool>,
) -> (ObjectKey, Option<Resolved>) {
    let resolved = resolver.for_object(obj);
    let from_crd = crd_kinds.get(&(obj.group().to_string(), obj.kind.clone()));
    let namespaced = match (&resolved, from_crd) {
        (Some(r), _) => r.namespaced,
        (None, Some(namespaced)) => *namespaced,
        (None, None) => obj.namespace.is_some(),
    };
    let namespace = namespaced.then(|| {
        obj.namespace
            .clone()
            .unwrap_or_else(|| default_namespace.to_string())
    });
    let key = ObjectKey {
        group: obj.group().to_string(),
        kind: obj.kind.clone(),
        namespace,
        name: obj.name.clone(),
    };
    (key, resolved)
}

/// The keys of a render, for the repo-wide [`Renderers`] index.
pub fn object_keys(
    resolver: &Resolver,
    default_namespace: &str,
    objects: &[RenderedObject],
) -> Vec<ObjectKey> {
    let crd_kinds = kinds_defined_by_crds(objects);
    objects
        .iter()
        .filter(|obj| hooks::role(&obj.manifest) == Role::Resource)
        .map(|obj| resolve_key(resolver, default_namespace, obj, &crd_kinds).0)
        .collect()
}

/// A prune candidate annotated `argocd.argoproj.io/compare-options:
/// IgnoreExtraneous` (one of a comma-separated list).
fn ignored_extraneous(object: &ObjectDiff) -> bool {
    object.change == Change::PruneCandidate
        && object
            .manifest
            .pointer("/metadata/annotations/argocd.argoproj.io~1compare-options")
            .and_then(Value::as_str)
            .is_some_and(|options| options.split(',').any(|o| o.trim() == "IgnoreExtraneous"))
}

/// Workloads an HPA scales, rendered with the app or live in the cluster:
/// their `spec.replicas` is the HPA's (a built-in ignored difference).
async fn hpa_targets(
    client: &Client,
    resolver: &Resolver,
    input: &DiffInput<'_>,
) -> Vec<ObjectKey> {
    let mut hpas: Vec<Value> = input
        .objects
        .iter()
        .filter(|o| o.kind == "HorizontalPodAutoscaler" && o.group() == "autoscaling")
        .map(|o| {
            let mut manifest = o.manifest.clone();
            if manifest.pointer("/metadata/namespace").is_none() {
                manifest["metadata"]["namespace"] = Value::from(input.default_namespace);
            }
            manifest
        })
        .collect();
    match input.live_hpas {
        Some(shared) => hpas.extend_from_slice(shared.get(client, resolver).await),
        None => hpas.extend(list_hpas(client, resolver).await),
    }
    hpas.iter()
        .filter_map(|hpa| {
            let target = hpa.pointer("/spec/scaleTargetRef")?;
            let api_version = target.get("apiVersion")?.as_str()?;
            let group = api_version.rsplit_once('/').map(|(g, _)| g).unwrap_or("");
            Some(ObjectKey {
                group: group.to_string(),
                kind: target.get("kind")?.as_str()?.to_string(),
                namespace: hpa
                    .pointer("/metadata/namespace")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                name: target.get("name")?.as_str()?.to_string(),
            })
        })
        .collect()
}

/// Adds one app's keys to the index.
pub fn index_renderers(renderers: &mut Renderers, app: &str, keys: &[ObjectKey]) {
    for key in keys {
        let apps = renderers.entry(key.clone()).or_default();
        if !apps.iter().any(|a| a == app) {
            apps.push(app.to_string());
        }
    }
}

enum Planned {
    Ready {
        key: ObjectKey,
        resolved: Resolved,
        manifest: Value,
    },
    /// Its CRD comes with the same sync.
    AwaitingCrd { key: ObjectKey, manifest: Value },
    Unresolvable {
        key: ObjectKey,
        manifest: Value,
        error: String,
    },
}

/// Resolves the kind, fills the namespace and stamps the tracking labels.
fn plan(
    resolver: &Resolver,
    input: &DiffInput<'_>,
    obj: &RenderedObject,
    crd_kinds: &HashMap<(String, String), bool>,
) -> Planned {
    let (key, resolved) = resolve_key(resolver, input.default_namespace, obj, crd_kinds);
    let mut manifest = obj.manifest.clone();
    diff::stamp_tracking(&mut manifest, input.app, &key);
    fill_namespace(&mut manifest, &key);
    let from_crd = crd_kinds.contains_key(&(obj.group().to_string(), obj.kind.clone()));
    // Never sent to the server, not even as a dry run.
    if let Some(error) = &obj.decrypt_error {
        return Planned::Unresolvable {
            error: error.clone(),
            key,
            manifest,
        };
    }
    if super::sops::is_encrypted(&obj.manifest) {
        return Planned::Unresolvable {
            error: super::sops::refusal(
                &key.kind,
                key.namespace.as_deref(),
                &key.name,
                &obj.manifest,
            ),
            key,
            manifest,
        };
    }
    if obj.generate_name {
        return Planned::Unresolvable {
            error: format!(
                "{} has only metadata.generateName ({}): only hooks may (argocd.argoproj.io/hook)",
                obj.kind, obj.name
            ),
            key,
            manifest,
        };
    }
    match resolved {
        Some(resolved) => Planned::Ready {
            key,
            resolved,
            manifest,
        },
        None if from_crd => Planned::AwaitingCrd { key, manifest },
        None => Planned::Unresolvable {
            error: format!(
                "the cluster serves no {} in {} (is its CRD installed?)",
                obj.kind, obj.api_version
            ),
            key,
            manifest,
        },
    }
}

/// A create: the manifest as it will be sent (Secret and SOPS-decrypted
/// values masked).
fn created(key: ObjectKey, manifest: Value, shown: &Value, masked: &[Vec<String>]) -> ObjectDiff {
    let mut desired = diff::normalize(shown);
    diff::mask_paths(None, &mut desired, masked);
    if key.kind == "Secret" && key.group.is_empty() {
        diff::mask_secret_pair(None, &mut desired);
    }
    ObjectDiff {
        diff: diff::unified(&key.to_string(), None, Some(&desired)),
        health: Some(HealthStatus::missing()),
        ..ObjectDiff::new(key, Change::Create, manifest)
    }
}

async fn diff_object(
    client: &Client,
    planned: Planned,
    app: &str,
    masked: &[Vec<String>],
    ignorer: &Ignorer,
) -> ObjectDiff {
    let (key, resolved, mut manifest) = match planned {
        Planned::Ready {
            key,
            resolved,
            manifest,
        } => (key, resolved, manifest),
        Planned::AwaitingCrd { key, manifest } => {
            let shown = manifest.clone();
            return created(key, manifest, &shown, masked);
        }
        Planned::Unresolvable {
            key,
            manifest,
            error,
        } => return ObjectDiff::failed(key, manifest, error),
    };
    let handle = api(client, &resolved, key.namespace.as_deref());
    let live = match handle.get_opt(&key.name).await {
        Ok(live) => live,
        Err(e) => {
            return ObjectDiff::failed(key, manifest, format!("reading it: {}", kube_message(&e)));
        }
    };
    let live = live.as_ref().map(to_value);
    // RespectIgnoreDifferences (and the built-ins): the ignored fields are
    // sent as they are live, so the sync leaves them alone.
    if let Some(live) = &live {
        ignorer.respect_live(&key, &mut manifest, live);
    }
    let mut shared = Vec::new();
    if let Some(Owner::Other(other)) = live.as_ref().map(|l| identity::owner(l, app)) {
        shared.push(other);
    }
    let params = PatchParams::apply(MANAGER).force().dry_run();
    let dry = match handle
        .patch(&key.name, &params, &Patch::Apply(&manifest))
        .await
    {
        Ok(obj) => obj,
        // Not live and its namespace comes with the same sync: the server
        // cannot dry-run it yet, so show the manifest as it will be created.
        Err(kube::Error::Api(status)) if live.is_none() && status.code == 404 => {
            let shown = manifest.clone();
            return created(key, manifest, &shown, masked);
        }
        Err(e) => {
            return ObjectDiff {
                shared,
                ..ObjectDiff::failed(
                    key,
                    manifest,
                    format!("dry-run apply refused: {}", kube_message(&e)),
                )
            };
        }
    };
    let dry = to_value(&dry);
    let Some(live) = live else {
        return created(key, manifest, &dry, masked);
    };
    let health = health::assess(&key.group, &key.kind, &live);
    let mut before = diff::normalize(&live);
    let mut after = diff::normalize(&dry);
    ignorer.normalize(&key, &mut before, Some(&live));
    ignorer.normalize(&key, &mut after, Some(&live));
    if before == after {
        return ObjectDiff {
            health,
            shared,
            ..ObjectDiff::new(key, Change::Unchanged, manifest)
        };
    }
    let takeover = diff::changed_paths(&before, &after)
        .into_iter()
        .filter_map(|path| {
            let owners = diff::owners_of(&live, &path);
            (!owners.is_empty()).then(|| format!("{} from {}", path.join("."), owners.join(", ")))
        })
        .collect();
    diff::mask_paths(Some(&mut before), &mut after, masked);
    if key.kind == "Secret" && key.group.is_empty() {
        diff::mask_secret_pair(Some(&mut before), &mut after);
    }
    ObjectDiff {
        diff: diff::unified(&key.to_string(), Some(&before), Some(&after)),
        health,
        takeover,
        shared,
        ..ObjectDiff::new(key, Change::Drifted, manifest)
    }
}

fn to_value(obj: &DynamicObject) -> Value {
    serde_json::to_value(obj).unwrap_or(Value::Null)
}

/// Live objects of this app (tracking annotation naming the app and the
/// object) that the render no longer holds: found by the tracking label over
/// the kinds involved and the inventory's, then checked by the annotation.
/// Each gets its keep reason, if any (docs/ARCHITECTURE.md "Prune safety").
async fn prune_candidates(
    client: &Client,
    resolver: &Resolver,
    input: &DiffInput<'_>,
    rendered: &HashSet<ObjectKey>,
) -> Vec<ObjectDiff> {
    let mut kinds: BTreeSet<(String, String)> = rendered
        .iter()
        .map(|k| (k.group.clone(), k.kind.clone()))
        .collect();
    if let Some(inventory) = input.inventory {
        kinds.extend(
            inventory
                .objects
                .iter()
                .map(|k| (k.group.clone(), k.kind.clone())),
        );
    }
    let selector = format!(
        "{MANAGED_BY_LABEL}={MANAGED_BY_VALUE},{APP_LABEL}={}",
        identity::app_label(input.app)
    );
    let mut found: BTreeSet<ObjectKey> = BTreeSet::new();
    let mut live_objects = Vec::new();
    for (group, kind) in kinds {
        let probe = ObjectKey {
            group: group.clone(),
            kind: kind.clone(),
            namespace: None,
            name: String::new(),
        };
        let Some(resolved) = resolver.for_key(&probe) else {
            continue;
        };
        let handle = api(client, &resolved, None);
        let Ok(list) = handle.list(&ListParams::default().labels(&selector)).await else {
            continue;
        };
        for obj in list.items {
            let value = to_value(&obj);
            // Hooks are never pruned (gitops-engine leaves them out of
            // the comparison); their delete policy removes them.
            if identity::owner(&value, input.app) != Owner::This || hooks::is_hook(&value) {
                continue;
            }
            let key = ObjectKey {
                group: group.clone(),
                kind: kind.clone(),
                namespace: obj.metadata.namespace.clone(),
                name: obj.metadata.name.clone().unwrap_or_default(),
            };
            if rendered.contains(&key) || !found.insert(key.clone()) {
                continue;
            }
            live_objects.push((key, value));
        }
    }
    let candidates: HashSet<ObjectKey> = found.into_iter().collect();
    let mut out = Vec::with_capacity(live_objects.len());
    for (key, live) in live_objects {
        let mut normalized = diff::normalize(&live);
        if key.kind == "Secret" && key.group.is_empty() {
            let mut nothing = Value::Null;
            diff::mask_secret_pair(Some(&mut normalized), &mut nothing);
        }
        let mut keep = prune::keep_by_annotation(&live);
        if keep.is_none() && key.kind == "Namespace" && key.group.is_empty() {
            keep = match prune::namespace_occupants(client, resolver, &key.name, &candidates).await
            {
                Ok(occupants) if occupants.is_empty() => None,
                Ok(occupants) => Some(Keep {
                    reason: prune::describe_occupants(&key.name, &occupants, input.app, rendered),
                    confirmable: false,
                }),
                Err(why) => Some(Keep {
                    reason: format!("kept: {why}"),
                    confirmable: false,
                }),
            };
        }
        out.push(ObjectDiff {
            diff: diff::unified(&key.to_string(), Some(&normalized), None),
            health: health::assess(&key.group, &key.kind, &live),
            keep,
            ..ObjectDiff::new(key, Change::PruneCandidate, live)
        });
    }
    out
}

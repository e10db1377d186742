//! An app's diff against the cluster (DESIGN §5): for each rendered object a
//! server-side dry-run apply (field manager `bosun`, forced) compared with
//! the live object after normalisation; tracked live objects the render no
//! longer holds are prune candidates.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt;

use futures::StreamExt;
use kube::Client;
use kube::api::{DynamicObject, ListParams, Patch, PatchParams};
use serde_json::Value;

use super::diff::{self, APP_LABEL, MANAGED_BY_LABEL, MANAGED_BY_VALUE, MANAGER};
use super::health::{self, Health, HealthStatus};
use super::inventory::Inventory;
use super::object::{ObjectKey, RenderedObject};
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
    /// The manifest as it will be applied: tracking labels stamped, namespace filled.
    pub manifest: Value,
}

#[derive(Debug, Clone)]
pub struct AppDiff {
    pub app: String,
    pub objects: Vec<ObjectDiff>,
    pub sync: SyncStatus,
    pub health: Health,
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

    /// "2 drifted, 1 to create, 1 prune candidate" or "in sync".
    pub fn summary(&self) -> String {
        let parts: Vec<String> = [
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
}

/// Diffs one app. Errors on single objects are recorded on them; only a
/// failing discovery fails the whole diff.
pub async fn diff_app(client: &Client, resolver: &Resolver, input: DiffInput<'_>) -> AppDiff {
    let crd_kinds = kinds_defined_by_crds(input.objects);
    let planned: Vec<(usize, Planned)> = input
        .objects
        .iter()
        .enumerate()
        .map(|(i, obj)| (i, plan(resolver, &input, obj, &crd_kinds)))
        .collect();
    let mut objects: Vec<(usize, ObjectDiff)> = futures::stream::iter(planned)
        .map(|(i, planned)| async move { (i, diff_object(client, planned).await) })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    objects.sort_by_key(|(i, _)| *i);
    let mut objects: Vec<ObjectDiff> = objects.into_iter().map(|(_, o)| o).collect();
    let rendered: HashSet<ObjectKey> = objects.iter().map(|o| o.key.clone()).collect();
    objects.extend(prune_candidates(client, resolver, &input, &rendered).await);
    let sync = if objects.iter().all(|o| o.change == Change::Unchanged) {
        SyncStatus::Synced
    } else {
        SyncStatus::OutOfSync
    };
    let health = health::worst(
        objects
            .iter()
            .filter(|o| o.change != Change::PruneCandidate)
            .filter_map(|o| o.health.as_ref().map(|h| &h.health)),
    );
    AppDiff {
        app: input.app.to_string(),
        objects,
        sync,
        health,
    }
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
    let mut manifest = obj.manifest.clone();
    diff::stamp_tracking(&mut manifest, input.app);
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
            .unwrap_or_else(|| input.default_namespace.to_string())
    });
    if let (Some(ns), Some(meta)) = (
        &namespace,
        manifest.get_mut("metadata").and_then(Value::as_object_mut),
    ) {
        meta.insert("namespace".into(), Value::from(ns.clone()));
    }
    let key = ObjectKey {
        group: obj.group().to_string(),
        kind: obj.kind.clone(),
        namespace,
        name: obj.name.clone(),
    };
    match resolved {
        Some(resolved) => Planned::Ready {
            key,
            resolved,
            manifest,
        },
        None if from_crd.is_some() => Planned::AwaitingCrd { key, manifest },
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

async fn diff_object(client: &Client, planned: Planned) -> ObjectDiff {
    let (key, resolved, manifest) = match planned {
        Planned::Ready {
            key,
            resolved,
            manifest,
        } => (key, resolved, manifest),
        Planned::AwaitingCrd { key, manifest } => {
            let diff = diff::unified(&key.to_string(), None, Some(&diff::normalize(&manifest)));
            return ObjectDiff {
                key,
                change: Change::Create,
                health: Some(HealthStatus::missing()),
                diff,
                takeover: Vec::new(),
                error: None,
                manifest,
            };
        }
        Planned::Unresolvable {
            key,
            manifest,
            error,
        } => {
            return ObjectDiff {
                key,
                change: Change::Error,
                health: None,
                diff: String::new(),
                takeover: Vec::new(),
                error: Some(error),
                manifest,
            };
        }
    };
    let handle = api(client, &resolved, key.namespace.as_deref());
    let failed = |key: ObjectKey, manifest: Value, error: String| ObjectDiff {
        key,
        change: Change::Error,
        health: None,
        diff: String::new(),
        takeover: Vec::new(),
        error: Some(error),
        manifest,
    };
    let live = match handle.get_opt(&key.name).await {
        Ok(live) => live,
        Err(e) => return failed(key, manifest, format!("reading it: {}", kube_message(&e))),
    };
    let params = PatchParams::apply(MANAGER).force().dry_run();
    let dry = match handle
        .patch(&key.name, &params, &Patch::Apply(&manifest))
        .await
    {
        Ok(obj) => obj,
        // Not live and its namespace comes with the same sync: the server
        // cannot dry-run it yet, so show the manifest as it will be created.
        Err(kube::Error::Api(status)) if live.is_none() && status.code == 404 => {
            let diff = diff::unified(&key.to_string(), None, Some(&diff::normalize(&manifest)));
            let mut created = ObjectDiff {
                key,
                change: Change::Create,
                health: Some(HealthStatus::missing()),
                diff,
                takeover: Vec::new(),
                error: None,
                manifest,
            };
            if created.key.kind == "Secret" {
                let mut desired = diff::normalize(&created.manifest);
                diff::mask_secret_pair(None, &mut desired);
                created.diff = diff::unified(&created.key.to_string(), None, Some(&desired));
            }
            return created;
        }
        Err(e) => {
            return failed(
                key,
                manifest,
                format!("dry-run apply refused: {}", kube_message(&e)),
            );
        }
    };
    let dry = to_value(&dry);
    let Some(live) = live else {
        let mut desired = diff::normalize(&dry);
        if key.kind == "Secret" {
            diff::mask_secret_pair(None, &mut desired);
        }
        return ObjectDiff {
            diff: diff::unified(&key.to_string(), None, Some(&desired)),
            key,
            change: Change::Create,
            health: Some(HealthStatus::missing()),
            takeover: Vec::new(),
            error: None,
            manifest,
        };
    };
    let live = to_value(&live);
    let health = health::assess(&key.group, &key.kind, &live);
    let mut before = diff::normalize(&live);
    let mut after = diff::normalize(&dry);
    if before == after {
        return ObjectDiff {
            key,
            change: Change::Unchanged,
            health,
            diff: String::new(),
            takeover: Vec::new(),
            error: None,
            manifest,
        };
    }
    let takeover = diff::changed_paths(&before, &after)
        .into_iter()
        .filter_map(|path| {
            let owners = diff::owners_of(&live, &path);
            (!owners.is_empty()).then(|| format!("{} from {}", path.join("."), owners.join(", ")))
        })
        .collect();
    if key.kind == "Secret" {
        diff::mask_secret_pair(Some(&mut before), &mut after);
    }
    ObjectDiff {
        diff: diff::unified(&key.to_string(), Some(&before), Some(&after)),
        key,
        change: Change::Drifted,
        health,
        takeover,
        error: None,
        manifest,
    }
}

fn to_value(obj: &DynamicObject) -> Value {
    serde_json::to_value(obj).unwrap_or(Value::Null)
}

/// Live objects tracked as this app's that the render no longer holds: from
/// the inventory, and from a label search over the kinds involved (so a lost
/// inventory still finds them).
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
        input.app
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
            if !diff::tracked_by(&value, input.app) {
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
    live_objects
        .into_iter()
        .map(|(key, live)| {
            let mut normalized = diff::normalize(&live);
            if key.kind == "Secret" {
                let mut nothing = Value::Null;
                diff::mask_secret_pair(Some(&mut normalized), &mut nothing);
            }
            let diff = diff::unified(&key.to_string(), Some(&normalized), None);
            ObjectDiff {
                health: health::assess(&key.group, &key.kind, &live),
                key,
                change: Change::PruneCandidate,
                diff,
                takeover: Vec::new(),
                error: None,
                manifest: live,
            }
        })
        .collect()
}

//! What pruning must never delete (DESIGN §6; docs/ARCHITECTURE.md
//! "Prune safety").
//!
//! A prune candidate is a live object whose tracking annotation names this
//! app and this object (`identity::Owner::This`) and that the render no
//! longer holds. It is still kept when:
//! - its annotations say so, as the tools that wrote them mean it:
//!   Argo CD `argocd.argoproj.io/sync-options: Prune=false` (comma-separated
//!   options, trimmed, exact match: gitops-engine `HasAnnotationOption`),
//!   Flux `kustomize.toolkit.fluxcd.io/prune: disabled` or
//!   `kustomize.toolkit.fluxcd.io/reconcile: disabled` (label or annotation,
//!   case-insensitive: fluxcd/pkg ssa `AnyInMetadata`), Helm
//!   `helm.sh/resource-policy: keep` (trimmed, case-insensitive, as `helm
//!   uninstall` reads it);
//! - `Prune=confirm` (Argo CD) and nobody confirmed on a terminal;
//! - it is a Namespace that still holds objects other than this sync's own
//!   prune candidates: deleting a namespace deletes everything in it, and
//!   neither Argo CD nor Flux guards against that.
//!
//! The sync checks all of it again on the live object right before the
//! delete, which carries the object's uid as a precondition.

use std::collections::HashSet;

use kube::Client;
use kube::api::{DynamicObject, ListParams};
use serde_json::Value;

use super::identity::{self, Owner};
use super::object::ObjectKey;
use super::resolve::{Resolver, api, kube_message};

pub const ARGO_SYNC_OPTIONS: &str = "argocd.argoproj.io/sync-options";
pub const FLUX_PRUNE: &str = "kustomize.toolkit.fluxcd.io/prune";
pub const FLUX_RECONCILE: &str = "kustomize.toolkit.fluxcd.io/reconcile";
pub const HELM_RESOURCE_POLICY: &str = "helm.sh/resource-policy";

/// Why a prune candidate stays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keep {
    /// "kept (annotation helm.sh/resource-policy: keep)".
    pub reason: String,
    /// Argo CD's `Prune=confirm`: an interactive confirmation deletes it.
    pub confirmable: bool,
}

impl Keep {
    fn fixed(reason: String) -> Keep {
        Keep {
            reason,
            confirmable: false,
        }
    }
}

fn annotation<'a>(object: &'a Value, key: &str) -> Option<&'a str> {
    object
        .pointer("/metadata/annotations")
        .and_then(|a| a.get(key))
        .and_then(Value::as_str)
}

fn label<'a>(object: &'a Value, key: &str) -> Option<&'a str> {
    object
        .pointer("/metadata/labels")
        .and_then(|a| a.get(key))
        .and_then(Value::as_str)
}

/// Argo CD's sync-options list: split on ',', trimmed, empties dropped.
pub fn sync_options(object: &Value) -> Vec<&str> {
    annotation(object, ARGO_SYNC_OPTIONS)
        .map(|value| {
            value
                .split(',')
                .map(str::trim)
                .filter(|item| !item.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

/// The annotation (or label) on a live object that keeps it from pruning.
pub fn keep_by_annotation(object: &Value) -> Option<Keep> {
    let options = sync_options(object);
    if options.contains(&"Prune=false") {
        return Some(Keep::fixed(format!(
            "kept (annotation {ARGO_SYNC_OPTIONS}: Prune=false)"
        )));
    }
    for key in [FLUX_PRUNE, FLUX_RECONCILE] {
        let disabled = [annotation(object, key), label(object, key)]
            .into_iter()
            .flatten()
            .any(|value| value.eq_ignore_ascii_case("disabled"));
        if disabled {
            return Some(Keep::fixed(format!("kept (annotation {key}: disabled)")));
        }
    }
    if annotation(object, HELM_RESOURCE_POLICY)
        .is_some_and(|value| value.trim().eq_ignore_ascii_case("keep"))
    {
        return Some(Keep::fixed(format!(
            "kept (annotation {HELM_RESOURCE_POLICY}: keep)"
        )));
    }
    if options.contains(&"Prune=confirm") {
        return Some(Keep {
            reason: format!(
                "kept (annotation {ARGO_SYNC_OPTIONS}: Prune=confirm) unless confirmed on a terminal"
            ),
            confirmable: true,
        });
    }
    None
}

/// An object in a namespace that stops the namespace from being pruned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Occupant {
    pub key: ObjectKey,
    /// The app whose tracking annotation it carries, if any.
    pub tracked_by: Option<String>,
    /// A bosun inventory ConfigMap (an app's sync history).
    pub inventory: bool,
}

/// Objects the cluster makes by itself in every namespace, or derives from
/// other objects: they never make a namespace "in use".
fn is_incidental(group: &str, kind: &str, object: &DynamicObject) -> bool {
    let name = object.metadata.name.as_deref().unwrap_or("");
    if object.metadata.deletion_timestamp.is_some()
        || object
            .metadata
            .owner_references
            .as_ref()
            .is_some_and(|owners| !owners.is_empty())
    {
        return true;
    }
    match (group, kind) {
        ("", "Event") | ("events.k8s.io", "Event") | ("", "Endpoints") => true,
        ("metrics.k8s.io", _) | ("coordination.k8s.io", "Lease") => true,
        ("", "ServiceAccount") => name == "default",
        ("", "ConfigMap") => name == "kube-root-ca.crt",
        ("", "Secret") => {
            object.data.get("type").and_then(Value::as_str)
                == Some("kubernetes.io/service-account-token")
        }
        _ => false,
    }
}

/// Everything in `namespace` except what the cluster makes by itself and
/// the sync's own prune candidates. A kind that cannot be listed is an
/// error: without the full picture the namespace must stay.
pub async fn namespace_occupants(
    client: &Client,
    resolver: &Resolver,
    namespace: &str,
    candidates: &HashSet<ObjectKey>,
) -> Result<Vec<Occupant>, String> {
    let mut occupants = Vec::new();
    for resolved in resolver.namespaced_listable() {
        let handle = api(client, &resolved, Some(namespace));
        let list = handle.list(&ListParams::default()).await.map_err(|e| {
            format!(
                "cannot list {} in namespace {namespace} ({}), so it cannot be shown empty",
                resolved.resource.plural,
                kube_message(&e)
            )
        })?;
        for object in list.items {
            if is_incidental(&resolved.resource.group, &resolved.resource.kind, &object) {
                continue;
            }
            let key = ObjectKey {
                group: resolved.resource.group.clone(),
                kind: resolved.resource.kind.clone(),
                namespace: Some(namespace.to_string()),
                name: object.metadata.name.clone().unwrap_or_default(),
            };
            if candidates.contains(&key) {
                continue;
            }
            let value = serde_json::to_value(&object).unwrap_or(Value::Null);
            let inventory = key.kind == "ConfigMap"
                && label(&value, super::inventory::INVENTORY_LABEL) == Some("true");
            occupants.push(Occupant {
                tracked_by: identity::tracked_app(&value),
                inventory,
                key,
            });
        }
    }
    occupants.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(occupants)
}

/// "namespace network holds 11 objects, 11 wanted by app network; it stays".
pub fn describe_occupants(
    namespace: &str,
    occupants: &[Occupant],
    app: &str,
    wanted: &HashSet<ObjectKey>,
) -> String {
    let total = occupants.len();
    let by_app = occupants.iter().filter(|o| wanted.contains(&o.key)).count();
    let mut others: std::collections::BTreeMap<String, usize> = Default::default();
    for occupant in occupants.iter().filter(|o| !wanted.contains(&o.key)) {
        let who = match &occupant.tracked_by {
            _ if occupant.inventory => "bosun inventory".to_string(),
            Some(other) if other == app => format!("tracked by app {app}"),
            Some(other) => format!("of app {other}"),
            None => "not managed by bosun".to_string(),
        };
        *others.entry(who).or_default() += 1;
    }
    let mut parts = Vec::new();
    if by_app > 0 {
        parts.push(format!("{by_app} wanted by app {app}"));
    }
    parts.extend(others.into_iter().map(|(who, n)| format!("{n} {who}")));
    let example = occupants
        .iter()
        .find(|o| !wanted.contains(&o.key) && !o.inventory)
        .or(occupants.first())
        .map(|o| format!(" (e.g. {} {})", o.key.kind, o.key.name))
        .unwrap_or_default();
    format!(
        "kept: namespace {namespace} holds {total} object{}, {}{example}",
        if total == 1 { "" } else { "s" },
        parts.join(", ")
    )
}

/// What the sync checks on the live object right before deleting it.
pub enum Verdict {
    Delete { uid: Option<String> },
    Gone,
    Keep(String),
}

/// Reads the object again and decides; a failure to read keeps it.
pub async fn recheck(
    client: &Client,
    resolver: &Resolver,
    key: &ObjectKey,
    app: &str,
    confirmed_interactively: bool,
    candidates: &HashSet<ObjectKey>,
    wanted: &HashSet<ObjectKey>,
) -> Verdict {
    let Some(resolved) = resolver.for_key(key) else {
        return Verdict::Keep("kept: its kind is no longer served".into());
    };
    let handle = api(client, &resolved, key.namespace.as_deref());
    let live = match handle.get_opt(&key.name).await {
        Ok(Some(live)) => live,
        Ok(None) => return Verdict::Gone,
        Err(e) => {
            return Verdict::Keep(format!("kept: cannot read it again ({})", kube_message(&e)));
        }
    };
    let uid = live.metadata.uid.clone();
    let value = serde_json::to_value(&live).unwrap_or(Value::Null);
    match identity::owner(&value, app) {
        Owner::This => {}
        Owner::Other(other) => {
            return Verdict::Keep(format!("kept: now tracked by app {other}"));
        }
        Owner::Copied | Owner::Untracked => {
            return Verdict::Keep("kept: not tracked by this app".into());
        }
    }
    if let Some(keep) = keep_by_annotation(&value)
        && !(keep.confirmable && confirmed_interactively)
    {
        return Verdict::Keep(keep.reason);
    }
    if key.kind == "Namespace" && key.group.is_empty() {
        match namespace_occupants(client, resolver, &key.name, candidates).await {
            Ok(occupants) if occupants.is_empty() => {}
            Ok(occupants) => {
                return Verdict::Keep(describe_occupants(&key.name, &occupants, app, wanted));
            }
            Err(why) => return Verdict::Keep(format!("kept: {why}")),
        }
    }
    Verdict::Delete { uid }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn with(annotations: Value, labels: Value) -> Value {
        json!({"metadata": {"name": "x", "annotations": annotations, "labels": labels}})
    }

    #[test]
    fn annotations_that_keep() {
        let cases = [
            (
                json!({ARGO_SYNC_OPTIONS: "Validate=false, Prune=false"}),
                json!({}),
                true,
            ),
            (json!({ARGO_SYNC_OPTIONS: "prune=false"}), json!({}), false),
            (
                json!({ARGO_SYNC_OPTIONS: "Prune = false"}),
                json!({}),
                false,
            ),
            (json!({FLUX_PRUNE: "Disabled"}), json!({}), true),
            (json!({}), json!({FLUX_PRUNE: "disabled"}), true),
            (json!({FLUX_PRUNE: "enabled"}), json!({}), false),
            (json!({FLUX_RECONCILE: "disabled"}), json!({}), true),
            (json!({HELM_RESOURCE_POLICY: " Keep "}), json!({}), true),
            (json!({HELM_RESOURCE_POLICY: "delete"}), json!({}), false),
        ];
        for (annotations, labels, kept) in cases {
            let object = with(annotations.clone(), labels.clone());
            assert_eq!(
                keep_by_annotation(&object).is_some(),
                kept,
                "{annotations} {labels}"
            );
        }
        let confirm = keep_by_annotation(&with(
            json!({ARGO_SYNC_OPTIONS: "Prune=confirm"}),
            json!({}),
        ))
        .expect("kept");
        assert!(confirm.confirmable);
        let helm = keep_by_annotation(&with(json!({HELM_RESOURCE_POLICY: "keep"}), json!({})))
            .expect("kept");
        assert_eq!(
            helm.reason,
            "kept (annotation helm.sh/resource-policy: keep)"
        );
    }

    #[test]
    fn occupants_are_described_by_who_wants_them() {
        let key = |name: &str| ObjectKey {
            group: String::new(),
            kind: "ConfigMap".into(),
            namespace: Some("network".into()),
            name: name.into(),
        };
        let occupants: Vec<Occupant> = (0..11)
            .map(|i| Occupant {
                key: key(&format!("cm{i}")),
                tracked_by: Some("network".into()),
                inventory: false,
            })
            .collect();
        let wanted: HashSet<ObjectKey> = occupants.iter().map(|o| o.key.clone()).collect();
        assert_eq!(
            describe_occupants("network", &occupants, "network", &wanted),
            "kept: namespace network holds 11 objects, 11 wanted by app network (e.g. ConfigMap cm0)"
        );
        let stray = vec![Occupant {
            key: key("stray"),
            tracked_by: None,
            inventory: false,
        }];
        assert_eq!(
            describe_occupants("network", &stray, "network", &HashSet::new()),
            "kept: namespace network holds 1 object, 1 not managed by bosun (e.g. ConfigMap stray)"
        );
    }
}

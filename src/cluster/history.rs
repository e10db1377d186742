//! A Deployment's revisions and undo, as `kubectl rollout history` and
//! `kubectl rollout undo` have them (kubectl/pkg/polymorphichelpers
//! history.go and rollback.go): the revisions are the ReplicaSets the
//! Deployment controls, numbered by `deployment.kubernetes.io/revision`,
//! with `kubernetes.io/change-cause`; undo finds the revision (0: the one
//! before the newest), refuses a paused Deployment, skips when the template
//! already matches, and sends kubectl's JSON patch — `replace
//! /spec/template` (the pod-template-hash label removed) and `replace
//! /metadata/annotations` (the Deployment's own bookkeeping annotations
//! kept, the rest from the ReplicaSet).
//!
//! StatefulSets and DaemonSets keep ControllerRevisions instead
//! (`statefulSetHistory` / `daemonSetHistory`, `controlledHistories`): the
//! revisions are the ControllerRevisions the workload controls, numbered by
//! their `revision`, change-cause from their annotations; undo finds the
//! revision (0: the one before the newest; "no last revision to roll back
//! to" with one), skips when the template matches (`statefulsetMatch`,
//! `daemon.Match`), and sends the revision's `data` back as a strategic
//! merge patch (`{"spec":{"template":{…,"$patch":"replace"}}}`).

use k8s_openapi::api::apps::v1::{
    ControllerRevision, DaemonSet, Deployment, ReplicaSet, StatefulSet,
};
use kube::api::{Api, ListParams, Patch, PatchParams};
use serde_json::{Value, json};

use super::age::{Epoch, epoch};
use super::client::plain_client_error;
use super::kind::ResourceKind;

pub const REVISION: &str = "deployment.kubernetes.io/revision";
pub const CHANGE_CAUSE: &str = "kubernetes.io/change-cause";
const HASH_LABEL: &str = "pod-template-hash";

/// Kept from the Deployment, never copied from the ReplicaSet
/// (rollback.go `annotationsToSkip`).
const ANNOTATIONS_TO_SKIP: [&str; 6] = [
    "kubectl.kubernetes.io/last-applied-configuration",
    REVISION,
    "deployment.kubernetes.io/revision-history",
    "deployment.kubernetes.io/desired-replicas",
    "deployment.kubernetes.io/max-replicas",
    "deprecated.deployment.rollback.to",
];

/// One revision, as the history lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct Revision {
    pub number: i64,
    /// `<none>` when the ReplicaSet has no change-cause (kubectl's words).
    pub change_cause: String,
    pub images: Vec<String>,
    pub created: Option<Epoch>,
    /// The ReplicaSet or ControllerRevision that holds it.
    pub source: String,
    /// Its pod template, the hash label removed.
    pub template: Value,
    annotations: serde_json::Map<String, Value>,
    /// A ControllerRevision's `data`: the patch undo sends back.
    data: Option<Value>,
}

/// The Deployment's current template and its revisions, oldest first.
pub struct History {
    pub kind: ResourceKind,
    pub paused: bool,
    pub template: Value,
    annotations: serde_json::Map<String, Value>,
    pub revisions: Vec<Revision>,
}

impl History {
    /// The revision `undo --to-revision=N` goes to (0: the previous one).
    pub fn target(&self, to_revision: i64) -> Result<&Revision, String> {
        if to_revision < 0 {
            return Err(format!(
                "unable to find specified revision {to_revision} in history"
            ));
        }
        if to_revision > 0 {
            return self
                .revisions
                .iter()
                .find(|r| r.number == to_revision)
                .ok_or_else(|| {
                    format!("unable to find specified revision {to_revision} in history")
                });
        }
        let mut by_number: Vec<&Revision> = self.revisions.iter().collect();
        by_number.sort_by_key(|r| r.number);
        by_number.iter().rev().nth(1).copied().ok_or_else(|| {
            if self.kind == ResourceKind::Deployments {
                "no rollout history found".to_string()
            } else {
                "no last revision to roll back to".to_string()
            }
        })
    }

    /// Whether the Deployment runs this revision now.
    pub fn is_current(&self, revision: &Revision) -> bool {
        revision.template == self.template
    }
}

fn without_hash(template: Option<&Value>) -> Value {
    let mut template = template.cloned().unwrap_or_else(|| json!({}));
    if let Some(Value::Object(labels)) = template.pointer_mut("/metadata/labels") {
        labels.remove(HASH_LABEL);
    }
    template
}

fn annotations_of(object: &Value) -> serde_json::Map<String, Value> {
    object
        .pointer("/metadata/annotations")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default()
}

/// `kubectl rollout history` of a Deployment, StatefulSet or DaemonSet.
pub async fn workload_history(
    client: &kube::Client,
    kind: ResourceKind,
    namespace: &str,
    name: &str,
) -> Result<History, String> {
    match kind {
        ResourceKind::Deployments => deployment_history(client, namespace, name).await,
        ResourceKind::StatefulSets => {
            let api: Api<StatefulSet> = Api::namespaced(client.clone(), namespace);
            controller_history(client, kind, api, namespace, name).await
        }
        ResourceKind::DaemonSets => {
            let api: Api<DaemonSet> = Api::namespaced(client.clone(), namespace);
            controller_history(client, kind, api, namespace, name).await
        }
        other => Err(format!("{} have no rollout history", other.plural())),
    }
}

/// Whether `uid` is the object's controller (`metav1.IsControlledBy`).
fn controlled_by(meta: &kube::api::ObjectMeta, uid: &str) -> bool {
    meta.owner_references
        .iter()
        .flatten()
        .any(|o| o.uid == uid && o.controller == Some(true))
}

fn images_of(template: &Value) -> Vec<String> {
    template
        .pointer("/spec/containers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|c| c.get("image")?.as_str().map(str::to_string))
        .collect()
}

fn change_cause(annotations: &serde_json::Map<String, Value>) -> String {
    annotations
        .get(CHANGE_CAUSE)
        .and_then(Value::as_str)
        .filter(|c| !c.is_empty())
        .unwrap_or("<none>")
        .to_string()
}

/// A StatefulSet's or DaemonSet's ControllerRevisions (the ones it
/// controls), as `controlledHistories` finds them.
async fn controller_history<K>(
    client: &kube::Client,
    kind: ResourceKind,
    api: Api<K>,
    namespace: &str,
    name: &str,
) -> Result<History, String>
where
    K: kube::Resource + Clone + serde::de::DeserializeOwned + serde::Serialize + std::fmt::Debug,
{
    let workload = api.get(name).await.map_err(|e| plain_client_error(&e))?;
    let uid = workload.meta().uid.clone().unwrap_or_default();
    let workload = serde_json::to_value(&workload).map_err(|e| e.to_string())?;
    let revisions_api: Api<ControllerRevision> = Api::namespaced(client.clone(), namespace);
    let list = revisions_api
        .list(&ListParams::default())
        .await
        .map_err(|e| plain_client_error(&e))?;
    let mut revisions: Vec<Revision> = list
        .items
        .iter()
        .filter(|cr| controlled_by(&cr.metadata, &uid))
        .map(|cr| {
            let data = cr.data.as_ref().map(|d| d.0.clone()).unwrap_or(Value::Null);
            let mut template = data
                .pointer("/spec/template")
                .cloned()
                .unwrap_or_else(|| json!({}));
            if let Value::Object(map) = &mut template {
                map.remove("$patch");
            }
            let annotations: serde_json::Map<String, Value> = cr
                .metadata
                .annotations
                .iter()
                .flatten()
                .map(|(k, v)| (k.clone(), json!(v)))
                .collect();
            Revision {
                number: cr.revision,
                change_cause: change_cause(&annotations),
                images: images_of(&template),
                created: cr.metadata.creation_timestamp.as_ref().map(epoch),
                source: cr.metadata.name.clone().unwrap_or_default(),
                template,
                annotations,
                data: Some(data),
            }
        })
        .collect();
    revisions.sort_by_key(|r| r.number);
    Ok(History {
        kind,
        paused: false,
        template: workload
            .pointer("/spec/template")
            .cloned()
            .unwrap_or_else(|| json!({})),
        annotations: annotations_of(&workload),
        revisions,
    })
}

/// Reads the Deployment and the ReplicaSets it controls.
async fn deployment_history(
    client: &kube::Client,
    namespace: &str,
    name: &str,
) -> Result<History, String> {
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), namespace);
    let deployment = deployments
        .get(name)
        .await
        .map_err(|e| plain_client_error(&e))?;
    let uid = deployment.metadata.uid.clone().unwrap_or_default();
    let deployment = serde_json::to_value(&deployment).map_err(|e| e.to_string())?;
    let replicasets: Api<ReplicaSet> = Api::namespaced(client.clone(), namespace);
    let list = replicasets
        .list(&ListParams::default())
        .await
        .map_err(|e| plain_client_error(&e))?;
    let mut revisions: Vec<Revision> = list
        .items
        .iter()
        .filter(|rs| controlled_by(&rs.metadata, &uid))
        .filter_map(|rs| {
            let value = serde_json::to_value(rs).ok()?;
            let annotations = annotations_of(&value);
            // history.go skips a ReplicaSet without a readable revision.
            let number = annotations.get(REVISION)?.as_str()?.parse().ok()?;
            let template = without_hash(value.pointer("/spec/template"));
            Some(Revision {
                number,
                change_cause: change_cause(&annotations),
                images: images_of(&template),
                created: rs.metadata.creation_timestamp.as_ref().map(epoch),
                source: rs.metadata.name.clone().unwrap_or_default(),
                template,
                annotations,
                data: None,
            })
        })
        .collect();
    revisions.sort_by_key(|r| r.number);
    Ok(History {
        kind: ResourceKind::Deployments,
        paused: deployment.pointer("/spec/paused").and_then(Value::as_bool) == Some(true),
        template: without_hash(deployment.pointer("/spec/template")),
        annotations: annotations_of(&deployment),
        revisions,
    })
}

/// One line of the history as the UI lists it, with its diff made already
/// (the UI never calls the API).
#[derive(Debug, Clone, PartialEq)]
pub struct RevisionEntry {
    pub number: i64,
    pub change_cause: String,
    pub images: Vec<String>,
    pub created: Option<Epoch>,
    pub current: bool,
    pub diff: String,
}

/// Newest first, as one looks for the one to go back to.
pub fn entries(history: &History) -> Vec<RevisionEntry> {
    history
        .revisions
        .iter()
        .rev()
        .map(|revision| RevisionEntry {
            number: revision.number,
            change_cause: revision.change_cause.clone(),
            images: revision.images.clone(),
            created: revision.created,
            current: history.is_current(revision),
            diff: template_diff(history, revision),
        })
        .collect()
}

/// `kubectl rollout history deployment/NAME`.
pub fn history_table(history: &History) -> String {
    let mut out = String::from("REVISION  CHANGE-CAUSE\n");
    for revision in &history.revisions {
        out.push_str(&format!(
            "{:<10}{}\n",
            revision.number, revision.change_cause
        ));
    }
    out
}

/// The JSON patch kubectl sends to restore `revision`.
pub fn undo_patch(history: &History, revision: &Revision) -> Value {
    let mut annotations = serde_json::Map::new();
    for key in ANNOTATIONS_TO_SKIP {
        if let Some(value) = history.annotations.get(key) {
            annotations.insert(key.to_string(), value.clone());
        }
    }
    for (key, value) in &revision.annotations {
        if !ANNOTATIONS_TO_SKIP.contains(&key.as_str()) {
            annotations.insert(key.clone(), value.clone());
        }
    }
    json!([
        {"op": "replace", "path": "/spec/template", "value": revision.template},
        {"op": "replace", "path": "/metadata/annotations", "value": annotations},
    ])
}

/// `deployment.apps`, `statefulset.apps`, `daemonset.apps`: how kubectl
/// names the workload in its output.
pub fn kubectl_resource(kind: ResourceKind) -> String {
    format!("{}.apps", kind.kind().to_lowercase())
}

/// `kubectl rollout undo KIND/NAME [--to-revision=N]`: its result line, or
/// its error.
pub async fn undo(
    client: &kube::Client,
    kind: ResourceKind,
    namespace: &str,
    name: &str,
    to_revision: i64,
) -> Result<String, String> {
    if kind == ResourceKind::Deployments {
        return undo_deployment(client, namespace, name, to_revision).await;
    }
    let history = workload_history(client, kind, namespace, name).await?;
    let revision = history.target(to_revision)?;
    let resource = kubectl_resource(kind);
    if history.is_current(revision) {
        return Ok(format!(
            "{resource}/{name} skipped rollback (current template already matches revision {to_revision})"
        ));
    }
    let data = revision.data.clone().unwrap_or(Value::Null);
    let params = PatchParams::default();
    let failed = |e: kube::Error| {
        format!(
            "failed restoring revision {to_revision}: {}",
            plain_client_error(&e)
        )
    };
    match kind {
        ResourceKind::StatefulSets => {
            let api: Api<StatefulSet> = Api::namespaced(client.clone(), namespace);
            api.patch(name, &params, &Patch::Strategic(&data))
                .await
                .map_err(failed)?;
        }
        _ => {
            let api: Api<DaemonSet> = Api::namespaced(client.clone(), namespace);
            api.patch(name, &params, &Patch::Strategic(&data))
                .await
                .map_err(failed)?;
        }
    }
    Ok(format!("{resource}/{name} rolled back"))
}

/// `kubectl rollout undo deployment/NAME [--to-revision=N]`: its result
/// line, or its error.
async fn undo_deployment(
    client: &kube::Client,
    namespace: &str,
    name: &str,
    to_revision: i64,
) -> Result<String, String> {
    let history = deployment_history(client, namespace, name).await?;
    let revision = history
        .target(to_revision)
        .map_err(|e| format!("deployment \"{name}\": {e}"))?;
    if history.paused {
        return Err(format!(
            "you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume deployment/{name}' and try again"
        ));
    }
    if history.is_current(revision) {
        return Ok(format!(
            "deployment.apps/{name} skipped rollback (current template already matches revision {to_revision})"
        ));
    }
    let patch: json_patch::Patch = serde_json::from_value(undo_patch(&history, revision))
        .map_err(|e| format!("failed restoring revision {to_revision}: {e}"))?;
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), namespace);
    deployments
        .patch(name, &PatchParams::default(), &Patch::Json::<()>(patch))
        .await
        .map_err(|e| {
            format!(
                "failed restoring revision {to_revision}: {}",
                plain_client_error(&e)
            )
        })?;
    Ok(format!("deployment.apps/{name} rolled back"))
}

/// The template diff of a revision against the current one, as YAML.
pub fn template_diff(history: &History, revision: &Revision) -> String {
    let yaml = |v: &Value| serde_yaml::to_string(v).unwrap_or_default();
    similar::TextDiff::from_lines(yaml(&history.template), yaml(&revision.template))
        .unified_diff()
        .context_radius(3)
        .header("current", &format!("revision {}", revision.number))
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn revision(number: i64, image: &str, annotations: Value) -> Revision {
        let template = json!({"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "web", "image": image}]}});
        Revision {
            number,
            change_cause: "<none>".into(),
            images: vec![image.into()],
            created: None,
            source: format!("web-{number}"),
            template,
            annotations: annotations.as_object().cloned().unwrap_or_default(),
            data: None,
        }
    }

    fn history(revisions: Vec<Revision>, current: &Revision) -> History {
        History {
            kind: ResourceKind::Deployments,
            paused: false,
            template: current.template.clone(),
            annotations: json!({REVISION: "3", "kubectl.kubernetes.io/last-applied-configuration": "{}", "team": "web"})
                .as_object()
                .cloned()
                .unwrap_or_default(),
            revisions,
        }
    }

    #[test]
    fn zero_is_the_revision_before_the_newest() {
        let revisions = vec![
            revision(1, "web:1", json!({})),
            revision(3, "web:3", json!({})),
            revision(2, "web:2", json!({})),
        ];
        let current = revisions[1].clone();
        let history = history(revisions, &current);
        assert_eq!(history.target(0).map(|r| r.number), Ok(2));
        assert_eq!(history.target(1).map(|r| r.number), Ok(1));
        assert_eq!(
            history.target(7).map(|r| r.number),
            Err("unable to find specified revision 7 in history".into())
        );
        let single = History {
            revisions: vec![current.clone()],
            ..history
        };
        assert_eq!(
            single.target(0).map(|r| r.number),
            Err("no rollout history found".into())
        );
    }

    #[test]
    fn the_patch_is_kubectls() {
        let old = revision(
            1,
            "web:1",
            json!({REVISION: "1", CHANGE_CAUSE: "image web:1", "deployment.kubernetes.io/desired-replicas": "2"}),
        );
        let current = revision(2, "web:2", json!({}));
        let history = history(vec![old.clone(), current.clone()], &current);
        let patch = undo_patch(&history, &old);
        assert_eq!(
            patch[0],
            json!({"op": "replace", "path": "/spec/template", "value": old.template})
        );
        assert_eq!(
            patch[1],
            json!({"op": "replace", "path": "/metadata/annotations", "value": {
                REVISION: "3",
                "kubectl.kubernetes.io/last-applied-configuration": "{}",
                CHANGE_CAUSE: "image web:1",
            }})
        );
        let diff = template_diff(&history, &old);
        assert!(
            diff.contains("-  - image: web:2") && diff.contains("+  - image: web:1"),
            "{diff}"
        );
        assert!(history_table(&history).starts_with("REVISION  CHANGE-CAUSE\n1         <none>\n"));
    }
}

//! Mutations, done as kubectl does them: rollout restart patches the
//! restartedAt annotation, delete and kill delete (kill with grace 0),
//! scale goes through the scale subresource.

use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, StatefulSet};
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, DeleteParams, Patch, PatchParams};
use serde_json::json;

use super::client::plain_client_error;
use super::kind::ResourceKind;
use super::rows::RowKey;

/// The annotation `kubectl rollout restart` sets on the pod template.
pub const RESTARTED_AT: &str = "kubectl.kubernetes.io/restartedAt";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mutation {
    Restart {
        kind: ResourceKind,
        key: RowKey,
    },
    Delete {
        kind: ResourceKind,
        key: RowKey,
    },
    /// Delete a pod with grace period 0.
    Kill {
        key: RowKey,
    },
    Scale {
        kind: ResourceKind,
        key: RowKey,
        replicas: i32,
    },
    /// Ask cert-manager to reissue a Certificate (as `cmctl renew`).
    Renew {
        key: RowKey,
    },
    /// `kubectl rollout undo deployment/NAME --to-revision=N` (0: the
    /// previous revision).
    Undo {
        kind: ResourceKind,
        key: RowKey,
        to_revision: i64,
    },
    /// An Argo Rollouts action, as the kubectl plugin does it.
    Rollout {
        key: RowKey,
        action: super::argo_rollouts::actions::RolloutAction,
    },
}

impl Mutation {
    /// "restart deployment/blog -n blog", for confirmations and the audit log.
    pub fn describe(&self) -> String {
        let target = |kind: ResourceKind, key: &RowKey| {
            let mut text = format!("{}/{}", kind.kind().to_lowercase(), key.name);
            if !key.namespace.is_empty() {
                text.push_str(&format!(" -n {}", key.namespace));
            }
            text
        };
        match self {
            Mutation::Restart { kind, key } => format!("restart {}", target(*kind, key)),
            Mutation::Delete { kind, key } => format!("delete {}", target(*kind, key)),
            Mutation::Kill { key } => format!("kill {}", target(ResourceKind::Pods, key)),
            Mutation::Scale {
                kind,
                key,
                replicas,
            } => format!("scale {} --replicas={replicas}", target(*kind, key)),
            Mutation::Renew { key } => format!("renew {}", target(ResourceKind::Certificates, key)),
            Mutation::Undo {
                kind,
                key,
                to_revision,
            } => format!(
                "rollout undo {} --to-revision={to_revision}",
                target(*kind, key)
            ),
            Mutation::Rollout { key, action } => {
                let mut text = format!("rollouts {} {}", action.verb(), key.name);
                if let super::argo_rollouts::actions::RolloutAction::SetImage { container, image } =
                    action
                {
                    text.push_str(&format!(" {container}={image}"));
                }
                if !key.namespace.is_empty() {
                    text.push_str(&format!(" -n {}", key.namespace));
                }
                text
            }
        }
    }

    pub fn verb(&self) -> &'static str {
        match self {
            Mutation::Restart { .. } => "restart",
            Mutation::Delete { .. } => "delete",
            Mutation::Kill { .. } => "kill",
            Mutation::Scale { .. } => "scale",
            Mutation::Renew { .. } => "renew",
            Mutation::Undo { .. } => "undo",
            Mutation::Rollout { action, .. } => action.verb(),
        }
    }
}

/// RFC 3339 "now" for restartedAt. kubectl writes whole seconds, which
/// makes a second restart within the same second a silent no-op; the
/// fraction keeps every restart a real template change.
pub fn restart_stamp() -> String {
    jiff::Timestamp::now().to_string()
}

fn restart_patch(stamp: &str) -> serde_json::Value {
    json!({"spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: stamp}}}}})
}

/// Carry out a mutation; Ok holds a one-line result for the status bar.
pub async fn perform(client: &kube::Client, mutation: &Mutation) -> Result<String, String> {
    let params = PatchParams::default();
    match mutation {
        // An Argo Rollout restarts through spec.restartAt (the plugin's
        // restart), never through its pod template.
        Mutation::Restart {
            kind: ResourceKind::Rollouts,
            key,
        } => {
            super::argo_rollouts::actions::perform(
                client,
                &key.namespace,
                &key.name,
                &super::argo_rollouts::actions::RolloutAction::Restart,
            )
            .await
        }
        Mutation::Restart { kind, key } => {
            let patch = restart_patch(&restart_stamp());
            match kind {
                ResourceKind::Deployments => {
                    let api: Api<Deployment> = Api::namespaced(client.clone(), &key.namespace);
                    let current = api
                        .get(&key.name)
                        .await
                        .map_err(|error| plain_client_error(&error))?;
                    if current.spec.as_ref().and_then(|spec| spec.paused) == Some(true) {
                        return Err(format!(
                            "deployments/{} can't restart paused deployment (run rollout resume first)",
                            key.name
                        ));
                    }
                    api.patch(&key.name, &params, &Patch::Strategic(&patch))
                        .await
                        .map_err(|error| plain_client_error(&error))?;
                }
                ResourceKind::StatefulSets => {
                    let api: Api<StatefulSet> = Api::namespaced(client.clone(), &key.namespace);
                    api.patch(&key.name, &params, &Patch::Strategic(&patch))
                        .await
                        .map_err(|error| plain_client_error(&error))?;
                }
                ResourceKind::DaemonSets => {
                    let api: Api<DaemonSet> = Api::namespaced(client.clone(), &key.namespace);
                    api.patch(&key.name, &params, &Patch::Strategic(&patch))
                        .await
                        .map_err(|error| plain_client_error(&error))?;
                }
                other => return Err(format!("{} cannot be restarted", other.plural())),
            }
            Ok(format!(
                "{}/{} restarted",
                kind.kind().to_lowercase(),
                key.name
            ))
        }
        Mutation::Delete { kind, key } => {
            super::fetch::delete(client, *kind, key, None).await?;
            Ok(format!(
                "{}/{} deleted",
                kind.kind().to_lowercase(),
                key.name
            ))
        }
        Mutation::Kill { key } => {
            let api: Api<Pod> = Api::namespaced(client.clone(), &key.namespace);
            api.delete(&key.name, &DeleteParams::default().grace_period(0))
                .await
                .map_err(|error| plain_client_error(&error))?;
            Ok(format!("pod/{} killed", key.name))
        }
        Mutation::Renew { key } => crate::certs::renew(client, &key.namespace, &key.name).await,
        Mutation::Rollout { key, action } => {
            super::argo_rollouts::actions::perform(client, &key.namespace, &key.name, action).await
        }
        Mutation::Undo {
            kind,
            key,
            to_revision,
        } => super::history::undo(client, *kind, &key.namespace, &key.name, *to_revision).await,
        Mutation::Scale {
            kind,
            key,
            replicas,
        } => {
            if *replicas < 0 {
                return Err("replicas cannot be negative".to_string());
            }
            let patch = json!({"spec": {"replicas": replicas}});
            match kind {
                ResourceKind::Deployments => {
                    let api: Api<Deployment> = Api::namespaced(client.clone(), &key.namespace);
                    api.patch_scale(&key.name, &params, &Patch::Merge(&patch))
                        .await
                        .map_err(|error| plain_client_error(&error))?;
                }
                ResourceKind::StatefulSets => {
                    let api: Api<StatefulSet> = Api::namespaced(client.clone(), &key.namespace);
                    api.patch_scale(&key.name, &params, &Patch::Merge(&patch))
                        .await
                        .map_err(|error| plain_client_error(&error))?;
                }
                other => return Err(format!("{} cannot be scaled", other.plural())),
            }
            Ok(format!(
                "{}/{} scaled to {replicas}",
                kind.kind().to_lowercase(),
                key.name
            ))
        }
    }
}

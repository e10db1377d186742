//! What a sync waits for between waves, read from the live object
//! (gitops-engine `Sync`, `getOperationPhase`): a resource is done when
//! Healthy or when it has no health rule, failed when Degraded; a hook is
//! done when it completed (Job Complete, Pod Succeeded, Workflow
//! Succeeded, or Healthy / no rule for other kinds), failed when Degraded
//! or Unknown. Also: hook deletion and a failed hook's last log lines.
//! docs/ARCHITECTURE.md "Waves and hooks".

use std::time::Duration;

use k8s_openapi::api::core::v1::Pod;
use kube::Client;
use kube::api::{Api, DeleteParams, ListParams, LogParams};

use super::health::{self, Health};
use super::object::ObjectKey;
use super::resolve::{Resolver, api, kube_message};
use super::waves::Task;

/// How often live objects are read while waiting.
pub const POLL: Duration = Duration::from_millis(500);

/// How many log lines of a failed hook are shown.
const LOG_LINES: i64 = 10;

/// One look at a task's live object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Observed {
    Done,
    Failed(String),
    /// Not yet: what it waits for ("Deployment blog/db to be Healthy"),
    /// and the object's own words (for the timeout message).
    Waiting {
        what: String,
        detail: String,
    },
}

/// Reads the task's live object and judges it.
pub async fn observe(client: &Client, resolver: &Resolver, task: &Task<'_>) -> Observed {
    let key = &task.key;
    let Some(resolved) = resolver.for_key_version(key, task.manifest()) else {
        return Observed::Failed(format!("the cluster serves no {}", key.kind));
    };
    let handle = api(client, &resolved, key.namespace.as_deref());
    let what = if task.is_hook() {
        format!("hook {key} to complete")
    } else {
        format!("{key} to be Healthy")
    };
    let live = match handle.get_opt(&key.name).await {
        Ok(live) => live,
        // A cut connection (a k3s restart) is waited through, until the timeout.
        Err(e) => {
            return Observed::Waiting {
                what,
                detail: format!("cannot read it: {}", kube_message(&e)),
            };
        }
    };
    let Some(live) = live else {
        if task.is_hook() {
            return Observed::Failed("it was deleted before it finished".into());
        }
        return Observed::Waiting {
            what,
            detail: "not found".into(),
        };
    };
    let value = serde_json::to_value(&live).unwrap_or_default();
    judge(
        task.is_hook(),
        health::assess(&key.group, &key.kind, &value),
        what,
    )
}

/// gitops-engine's rules, on an assessed health.
fn judge(hook: bool, assessed: Option<health::HealthStatus>, what: String) -> Observed {
    let Some(status) = assessed else {
        // "some objects (e.g. secret) do not have health, and they automatically succeed"
        return Observed::Done;
    };
    let words = if status.message.is_empty() {
        status.health.to_string()
    } else {
        format!("{}: {}", status.health, status.message)
    };
    match status.health {
        Health::Healthy => Observed::Done,
        Health::Degraded => Observed::Failed(words),
        Health::Unknown if hook => Observed::Failed(words),
        _ => Observed::Waiting {
            what,
            detail: words,
        },
    }
}

/// Deletes a hook (foreground, as gitops-engine deletes) and, when asked,
/// waits until it is gone, up to `timeout`. Gone already is fine.
pub async fn delete_hook(
    client: &Client,
    resolver: &Resolver,
    key: &ObjectKey,
    manifest: &serde_json::Value,
    wait: Option<Duration>,
) -> Result<bool, String> {
    let Some(resolved) = resolver.for_key_version(key, manifest) else {
        return Err(format!("the cluster serves no {}", key.kind));
    };
    let handle = api(client, &resolved, key.namespace.as_deref());
    match handle.delete(&key.name, &DeleteParams::foreground()).await {
        Ok(_) => {}
        Err(kube::Error::Api(status)) if status.code == 404 => return Ok(false),
        Err(e) => return Err(kube_message(&e)),
    }
    let Some(timeout) = wait else {
        return Ok(true);
    };
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        match handle.get_opt(&key.name).await {
            Ok(None) => return Ok(true),
            Ok(Some(_)) | Err(_) if tokio::time::Instant::now() >= deadline => {
                return Err(format!(
                    "still there {}s after it was deleted",
                    timeout.as_secs()
                ));
            }
            _ => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
}

/// The last lines a failed hook logged: a Pod's own, or a Job's newest pod's.
pub async fn hook_logs(client: &Client, key: &ObjectKey) -> Vec<String> {
    let Some(namespace) = key.namespace.as_deref() else {
        return Vec::new();
    };
    let pods: Api<Pod> = Api::namespaced(client.clone(), namespace);
    let pod = match (key.group.as_str(), key.kind.as_str()) {
        ("", "Pod") => pods.get_opt(&key.name).await.ok().flatten(),
        ("batch", "Job") => {
            let selector = format!("job-name={}", key.name);
            let Ok(list) = pods.list(&ListParams::default().labels(&selector)).await else {
                return Vec::new();
            };
            list.items
                .into_iter()
                .max_by_key(|p| p.metadata.creation_timestamp.clone().map(|t| t.0))
        }
        _ => None,
    };
    let Some(pod) = pod else {
        return Vec::new();
    };
    let container = pod
        .spec
        .as_ref()
        .and_then(|s| s.containers.first())
        .map(|c| c.name.clone());
    let params = LogParams {
        container,
        tail_lines: Some(LOG_LINES),
        ..LogParams::default()
    };
    let name = pod.metadata.name.clone().unwrap_or_default();
    match pods.logs(&name, &params).await {
        Ok(text) => text.lines().map(str::to_string).collect(),
        Err(e) => vec![format!(
            "(its logs could not be read: {})",
            kube_message(&e)
        )],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gitops::health::HealthStatus;

    fn status(health: Health) -> Option<HealthStatus> {
        Some(HealthStatus {
            health,
            message: "m".into(),
        })
    }

    #[test]
    fn resources_wait_for_healthy_and_fail_when_degraded() {
        assert_eq!(judge(false, None, "x".into()), Observed::Done);
        assert_eq!(
            judge(false, status(Health::Healthy), "x".into()),
            Observed::Done
        );
        assert_eq!(
            judge(false, status(Health::Degraded), "x".into()),
            Observed::Failed("Degraded: m".into())
        );
        for waiting in [Health::Progressing, Health::Suspended, Health::Unknown] {
            assert!(matches!(
                judge(false, status(waiting), "x".into()),
                Observed::Waiting { .. }
            ));
        }
    }

    #[test]
    fn hooks_fail_when_unknown_too() {
        assert_eq!(
            judge(true, status(Health::Unknown), "x".into()),
            Observed::Failed("Unknown: m".into())
        );
        assert!(matches!(
            judge(true, status(Health::Progressing), "x".into()),
            Observed::Waiting { .. }
        ));
        assert_eq!(judge(true, None, "x".into()), Observed::Done);
    }
}

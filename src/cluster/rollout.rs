//! Following a rollout to its end with kubectl's completion rules (§5),
//! reporting progress on the way.

use std::fmt::Debug;
use std::time::Duration;

use futures::StreamExt;
use kube::api::Api;
use kube::runtime::watcher::{self, Event};
use serde::de::DeserializeOwned;

use super::argo_rollouts::Phase;
use super::kind::ResourceKind;
use super::rows::RowKey;
use super::rows::argo::RolloutRow;
use super::rows::workload::{RolloutState, WorkloadRow};

/// Where a followed rollout stands.
#[derive(Debug, Clone, PartialEq)]
pub struct RolloutProgress {
    pub kind: ResourceKind,
    pub key: RowKey,
    pub desired: i32,
    pub updated: i32,
    pub current: i32,
    pub available: i32,
    pub state: RolloutState,
    /// An Argo Rollout's own words (phase, message, step), when it is one.
    pub argo: Option<ArgoStep>,
}

/// Where an Argo Rollout stands, in the plugin's words.
#[derive(Debug, Clone, PartialEq)]
pub struct ArgoStep {
    pub phase: Phase,
    pub message: String,
    pub step: String,
}

impl RolloutProgress {
    pub fn from_row(row: &WorkloadRow, kind: ResourceKind) -> Self {
        RolloutProgress {
            kind,
            key: RowKey::new(&row.namespace, &row.name),
            desired: row.desired,
            updated: row.updated,
            current: row.current,
            available: row.available,
            state: row.rollout.clone(),
            argo: None,
        }
    }

    /// An Argo Rollout: Healthy is complete, Degraded failed; a pause is
    /// where a promote's follow ends (see [`follow`]).
    pub fn from_argo(row: &RolloutRow) -> Self {
        let state = match row.phase {
            Phase::Healthy => RolloutState::Complete,
            Phase::Degraded => RolloutState::Failed(row.message.to_string()),
            Phase::Paused => RolloutState::Paused,
            Phase::Progressing => RolloutState::Progressing(row.message.to_string()),
        };
        RolloutProgress {
            kind: ResourceKind::Rollouts,
            key: RowKey::new(&row.namespace, &row.name),
            desired: row.desired,
            updated: row.updated,
            current: row.current,
            available: row.available,
            state,
            argo: Some(ArgoStep {
                phase: row.phase,
                message: row.message.to_string(),
                step: row.step.to_string(),
            }),
        }
    }

    /// Whether the follow ended where it should: rolled out, or (an Argo
    /// Rollout) at its next pause.
    pub fn is_success(&self) -> bool {
        self.state == RolloutState::Complete
            || self.argo.as_ref().is_some_and(|a| a.phase == Phase::Paused)
    }

    pub fn is_finished(&self) -> bool {
        matches!(self.state, RolloutState::Complete | RolloutState::Failed(_))
    }

    /// "2 of 3 updated, 1 old pending" — the panel's line.
    pub fn summary(&self) -> String {
        if let Some(argo) = &self.argo {
            let step = if argo.step == "-" {
                String::new()
            } else {
                format!(", step {}", argo.step)
            };
            let words = if argo.message.is_empty() {
                argo.phase.as_str().to_string()
            } else {
                format!("{} - {}", argo.phase.as_str(), argo.message)
            };
            return format!(
                "{words} ({} of {} updated, {} available{step})",
                self.updated, self.desired, self.available
            );
        }
        match &self.state {
            RolloutState::Complete => format!(
                "rolled out: {} of {} updated and available",
                self.updated, self.desired
            ),
            RolloutState::Failed(why) => format!(
                "failed: {why} ({} of {} updated)",
                self.updated, self.desired
            ),
            RolloutState::Paused => "paused".to_string(),
            RolloutState::Progressing(_) => {
                let mut text = format!("{} of {} updated", self.updated, self.desired);
                let old = (self.current - self.updated).max(0);
                if old > 0 {
                    text.push_str(&format!(", {old} old pending"));
                }
                if self.available < self.updated {
                    text.push_str(&format!(", {} available", self.available));
                }
                text
            }
        }
    }
}

/// What following a rollout reports on the way.
#[derive(Debug, Clone, PartialEq)]
pub enum Followed {
    Progress(RolloutProgress),
    /// The API server cannot be reached (a k3s restart): following goes
    /// on, with backoff, until the timeout.
    Reconnecting(String),
}

/// Where following an Argo Rollout stops (other workloads stop when
/// complete or failed either way).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Until {
    /// The next pause it reaches after moving, or Healthy / Degraded (after
    /// a promote, a restart).
    NextPause,
    /// Healthy or Degraded only, as `kubectl argo rollouts status` waits.
    Settled,
}

/// Follows through connection cuts: a k3s restart drops every connection
/// for a few seconds, and the rollout goes on meanwhile. The watch retries
/// with backoff; when it lists again, the object's status says where the
/// rollout is (kubectl's rules). Only the caller's timeout, a failed
/// rollout or the object's deletion end it.
async fn follow_typed<K>(
    api: Api<K>,
    kind: ResourceKind,
    key: &RowKey,
    project: fn(&K, ResourceKind) -> RolloutProgress,
    until: Until,
    on_event: &mut (dyn FnMut(Followed) + Send),
) -> Result<RolloutProgress, String>
where
    K: kube::Resource + Clone + DeserializeOwned + Debug + Send + 'static,
{
    use kube::runtime::WatchStreamExt;
    let config = watcher::Config::default().fields(&format!("metadata.name={}", key.name));
    let mut cut = false;
    // An Argo Rollout's follow ends at the next pause: one it leaves
    // first, not the one a promote is about to clear.
    let mut moved = false;
    loop {
        let mut stream = watcher::watcher(api.clone(), config.clone())
            .default_backoff()
            .boxed();
        while let Some(event) = stream.next().await {
            let object = match event {
                Ok(Event::Apply(object) | Event::InitApply(object)) => object,
                Ok(Event::Delete(_)) => {
                    return Err(format!(
                        "{}/{} was deleted",
                        kind.kind().to_lowercase(),
                        key.name
                    ));
                }
                Ok(_) => continue,
                Err(error) => {
                    if !cut {
                        on_event(Followed::Reconnecting(super::watch::plain_error(&error)));
                        cut = true;
                    }
                    continue;
                }
            };
            cut = false;
            let progress = project(&object, kind);
            on_event(Followed::Progress(progress.clone()));
            let paused = progress.state == RolloutState::Paused;
            let at_pause = paused && moved && until == Until::NextPause;
            if progress.is_finished() || (at_pause && progress.argo.is_some()) {
                return Ok(progress);
            }
            moved |= !paused;
        }
        // The stream never ends by itself; if it does, start again.
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Follow until complete, failed, or `timeout`. `on_progress` sees every
/// change. A failed rollout is `Ok` with a Failed state; `Err` means bosun
/// could not tell (timeout, object gone, API unreachable).
pub async fn follow(
    client: &kube::Client,
    kind: ResourceKind,
    key: &RowKey,
    timeout: Duration,
    on_progress: &mut (dyn FnMut(Followed) + Send),
) -> Result<RolloutProgress, String> {
    follow_until(client, kind, key, timeout, Until::NextPause, on_progress).await
}

/// [`follow`], saying where an Argo Rollout's follow stops.
pub async fn follow_until(
    client: &kube::Client,
    kind: ResourceKind,
    key: &RowKey,
    timeout: Duration,
    until: Until,
    on_progress: &mut (dyn FnMut(Followed) + Send),
) -> Result<RolloutProgress, String> {
    use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, StatefulSet};
    let namespace = key.namespace.as_ref();
    let work = async {
        match kind {
            ResourceKind::Deployments => {
                follow_typed(
                    Api::<Deployment>::namespaced(client.clone(), namespace),
                    kind,
                    key,
                    |object, kind| {
                        RolloutProgress::from_row(&WorkloadRow::from_deployment(object), kind)
                    },
                    until,
                    on_progress,
                )
                .await
            }
            ResourceKind::StatefulSets => {
                follow_typed(
                    Api::<StatefulSet>::namespaced(client.clone(), namespace),
                    kind,
                    key,
                    |object, kind| {
                        RolloutProgress::from_row(&WorkloadRow::from_statefulset(object), kind)
                    },
                    until,
                    on_progress,
                )
                .await
            }
            ResourceKind::DaemonSets => {
                follow_typed(
                    Api::<DaemonSet>::namespaced(client.clone(), namespace),
                    kind,
                    key,
                    |object, kind| {
                        RolloutProgress::from_row(&WorkloadRow::from_daemonset(object), kind)
                    },
                    until,
                    on_progress,
                )
                .await
            }
            ResourceKind::Rollouts => {
                follow_typed(
                    Api::<kube::api::DynamicObject>::namespaced_with(
                        client.clone(),
                        namespace,
                        &super::argo_rollouts::rollout_resource(),
                    ),
                    kind,
                    key,
                    |object, _| RolloutProgress::from_argo(&RolloutRow::from_object(object)),
                    until,
                    on_progress,
                )
                .await
            }
            other => Err(format!("{} have no rollouts", other.plural())),
        }
    };
    match tokio::time::timeout(timeout, work).await {
        Ok(result) => result,
        Err(_) => Err(format!(
            "timed out after {}s waiting for the rollout",
            timeout.as_secs()
        )),
    }
}

//! Following a rollout to its end with kubectl's completion rules (§5),
//! reporting progress on the way.

use std::fmt::Debug;
use std::time::Duration;

use futures::StreamExt;
use kube::api::Api;
use kube::runtime::watcher::{self, Event};
use serde::de::DeserializeOwned;

use super::kind::ResourceKind;
use super::rows::RowKey;
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
        }
    }

    pub fn is_finished(&self) -> bool {
        matches!(self.state, RolloutState::Complete | RolloutState::Failed(_))
    }

    /// "2 of 3 updated, 1 old pending" — the panel's line.
    pub fn summary(&self) -> String {
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

/// Follows through connection cuts: a k3s restart drops every connection
/// for a few seconds, and the rollout goes on meanwhile. The watch retries
/// with backoff; when it lists again, the object's status says where the
/// rollout is (kubectl's rules). Only the caller's timeout, a failed
/// rollout or the object's deletion end it.
async fn follow_typed<K>(
    api: Api<K>,
    kind: ResourceKind,
    key: &RowKey,
    project: fn(&K) -> WorkloadRow,
    on_event: &mut (dyn FnMut(Followed) + Send),
) -> Result<RolloutProgress, String>
where
    K: kube::Resource + Clone + DeserializeOwned + Debug + Send + 'static,
{
    use kube::runtime::WatchStreamExt;
    let config = watcher::Config::default().fields(&format!("metadata.name={}", key.name));
    let mut cut = false;
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
            let progress = RolloutProgress::from_row(&project(&object), kind);
            on_event(Followed::Progress(progress.clone()));
            if progress.is_finished() {
                return Ok(progress);
            }
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
    use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, StatefulSet};
    let namespace = key.namespace.as_ref();
    let work = async {
        match kind {
            ResourceKind::Deployments => {
                follow_typed(
                    Api::<Deployment>::namespaced(client.clone(), namespace),
                    kind,
                    key,
                    WorkloadRow::from_deployment,
                    on_progress,
                )
                .await
            }
            ResourceKind::StatefulSets => {
                follow_typed(
                    Api::<StatefulSet>::namespaced(client.clone(), namespace),
                    kind,
                    key,
                    WorkloadRow::from_statefulset,
                    on_progress,
                )
                .await
            }
            ResourceKind::DaemonSets => {
                follow_typed(
                    Api::<DaemonSet>::namespaced(client.clone(), namespace),
                    kind,
                    key,
                    WorkloadRow::from_daemonset,
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

//! Live sync and health: the objects bosun applied are watched, so an app
//! turns Healthy when its rollout finishes and OutOfSync when someone runs
//! `kubectl scale`, without waiting for the refresh timer
//! (docs/ARCHITECTURE.md "Live status").
//!
//! One watch per kind the apps render, selecting
//! `app.kubernetes.io/managed-by=bosun`; each change after the initial list
//! reports the object's `bosun.dev/app` label. Nothing is kept: the app is
//! diffed again (debounced by the caller). A failing watch retries with
//! backoff, and its next list means "anything may have changed" (`None`);
//! a kind the user may not watch simply gives no live updates.

use std::time::Duration;

use futures::StreamExt;
use kube::Client;
use kube::api::{Api, ApiResource, DynamicObject};
use kube::runtime::watcher::{self, Event};
use tokio::sync::mpsc;

use super::identity::{APP_LABEL, MANAGED_BY_LABEL, MANAGED_BY_VALUE};

const BACKOFF_START: Duration = Duration::from_secs(1);
const BACKOFF_MAX: Duration = Duration::from_secs(60);

/// Watches one kind; sends the `bosun.dev/app` label of what changes, or
/// `None` after a cut (everything may have changed meanwhile).
pub fn watch(
    client: Client,
    resource: ApiResource,
    changed: mpsc::UnboundedSender<Option<String>>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let api: Api<DynamicObject> = Api::all_with(client, &resource);
        let selector = format!("{MANAGED_BY_LABEL}={MANAGED_BY_VALUE}");
        let mut backoff = BACKOFF_START;
        let mut cut = false;
        loop {
            let config = watcher::Config::default().labels(&selector);
            let mut stream = watcher::watcher(api.clone(), config).boxed();
            let mut listed = false;
            while let Some(event) = stream.next().await {
                let object = match event {
                    Ok(Event::InitDone) => {
                        listed = true;
                        backoff = BACKOFF_START;
                        if std::mem::take(&mut cut) && changed.send(None).is_err() {
                            return;
                        }
                        continue;
                    }
                    Ok(Event::Init | Event::InitApply(_)) => continue,
                    Ok(Event::Apply(object) | Event::Delete(object)) => object,
                    Err(error) => {
                        tracing::debug!(kind = %resource.kind, %error, "tracked watch failed");
                        break;
                    }
                };
                // The first list after a cut says nothing new.
                if !listed {
                    continue;
                }
                if let Some(app) = object
                    .metadata
                    .labels
                    .as_ref()
                    .and_then(|labels| labels.get(APP_LABEL))
                    && changed.send(Some(app.clone())).is_err()
                {
                    return;
                }
            }
            if changed.is_closed() {
                return;
            }
            cut = true;
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(BACKOFF_MAX);
        }
    })
}

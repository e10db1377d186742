//! One watcher per kind, projecting objects into rows as they arrive.
//!
//! The kube-runtime `watcher` does list+watch (or a streaming list) and
//! resumes from bookmarks. On any error this worker drops the stream, waits
//! with exponential backoff and starts a fresh watcher: the fresh list gives
//! the UI an atomic replace of the rows (nothing lost, nothing doubled) and a
//! positive signal that the stream is healthy again, which a silent watch
//! restart would not.

use std::fmt::Debug;
use std::time::Duration;

use futures::StreamExt;
use kube::api::Api;
use kube::runtime::watcher::{self, Event};
use serde::de::DeserializeOwned;
use tokio::sync::mpsc;

use super::age::{Epoch, now};
use super::kind::ResourceKind;
use super::rows::{EventRow, NamespaceRow, NodeRow, PodRow, RowKey, WorkloadRow};

/// How a kind's stream is doing, for the status bar and the view title.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WatchStatus {
    /// Listing for the first time.
    Loading,
    Live,
    /// The stream broke; rows are the last known ones.
    Reconnecting {
        since: Epoch,
        error: String,
    },
    /// RBAC says no; only this kind's view is affected.
    Forbidden {
        message: String,
    },
}

/// A change to one kind's rows.
#[derive(Debug, Clone)]
pub enum RowUpdate<R> {
    /// A complete, consistent set (after a list).
    Replace(Vec<R>),
    Upsert(R),
    Delete(RowKey),
}

/// Row updates of every watched kind, typed.
#[derive(Debug, Clone)]
pub enum KindRows {
    Pods(RowUpdate<PodRow>),
    Workloads(ResourceKind, RowUpdate<WorkloadRow>),
    Namespaces(RowUpdate<NamespaceRow>),
    Nodes(RowUpdate<NodeRow>),
    Events(RowUpdate<EventRow>),
}

impl KindRows {
    pub fn kind(&self) -> ResourceKind {
        match self {
            KindRows::Pods(_) => ResourceKind::Pods,
            KindRows::Workloads(kind, _) => *kind,
            KindRows::Namespaces(_) => ResourceKind::Namespaces,
            KindRows::Nodes(_) => ResourceKind::Nodes,
            KindRows::Events(_) => ResourceKind::Events,
        }
    }
}

/// How to get the initial state of a watch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListStrategy {
    /// Paged list, then watch: works on every server.
    List,
    /// `sendInitialEvents` streaming list; falls back to `List` when the
    /// server rejects it.
    Stream,
}

/// What a watcher worker reports.
#[derive(Debug, Clone)]
#[allow(clippy::large_enum_variant)] // rows move by value, one message each; boxing would add an allocation per event
pub enum WatchMessage {
    Rows(KindRows),
    Status(ResourceKind, WatchStatus),
}

const BACKOFF_START: Duration = Duration::from_millis(500);
const BACKOFF_MAX: Duration = Duration::from_secs(30);
const FORBIDDEN_RETRY: Duration = Duration::from_secs(60);

fn is_forbidden(error: &watcher::Error) -> Option<String> {
    let api_error = match error {
        watcher::Error::InitialListFailed(kube::Error::Api(status))
        | watcher::Error::WatchStartFailed(kube::Error::Api(status))
        | watcher::Error::WatchFailed(kube::Error::Api(status)) => status,
        watcher::Error::WatchError(status) => status,
        _ => return None,
    };
    (api_error.code == 403).then(|| api_error.message.clone())
}

/// A streaming list the server does not support answers 422 (feature gate
/// off, 1.27–1.33) or 400 (older servers).
fn is_stream_rejected(error: &watcher::Error) -> bool {
    match error {
        watcher::Error::WatchStartFailed(kube::Error::Api(status))
        | watcher::Error::InitialListFailed(kube::Error::Api(status)) => {
            matches!(status.code, 400 | 422)
        }
        watcher::Error::WatchError(status) => matches!(status.code, 400 | 422),
        _ => false,
    }
}

/// Say an error in plain words; kube's Display is for developers.
pub fn plain_error(error: &watcher::Error) -> String {
    let client_error = match error {
        watcher::Error::InitialListFailed(inner)
        | watcher::Error::WatchStartFailed(inner)
        | watcher::Error::WatchFailed(inner) => inner,
        watcher::Error::WatchError(status) => {
            return format!("the API server said: {} ({})", status.message, status.code);
        }
        watcher::Error::NoResourceVersion => {
            return "the API server sent an object without a resourceVersion".to_string();
        }
    };
    super::client::plain_client_error(client_error)
}

/// Run one kind's watcher until the channel closes. Never returns early on
/// errors: it reports them and retries.
pub async fn run_watcher<K, R, T>(
    api: Api<K>,
    kind: ResourceKind,
    strategy: ListStrategy,
    project: fn(&K) -> R,
    wrap: fn(RowUpdate<R>) -> KindRows,
    key_of: fn(&R) -> RowKey,
    sender: mpsc::Sender<T>,
) where
    K: kube::Resource + Clone + DeserializeOwned + Debug + Send + 'static,
    R: Send + 'static,
    T: From<WatchMessage> + Send + 'static,
{
    let send = |message: WatchMessage| {
        let sender = sender.clone();
        async move { sender.send(T::from(message)).await.is_ok() }
    };
    let mut strategy = strategy;
    let mut backoff = BACKOFF_START;
    loop {
        let mut config = watcher::Config::default();
        if strategy == ListStrategy::Stream {
            config = config.streaming_lists();
        }
        let mut stream = watcher::watcher(api.clone(), config).boxed();
        let mut buffer: Vec<R> = Vec::new();
        let error = loop {
            match stream.next().await {
                None => break None,
                Some(Ok(Event::Init)) => buffer.clear(),
                Some(Ok(Event::InitApply(object))) => buffer.push(project(&object)),
                Some(Ok(Event::InitDone)) => {
                    let rows = std::mem::take(&mut buffer);
                    if !send(WatchMessage::Rows(wrap(RowUpdate::Replace(rows)))).await {
                        return;
                    }
                    if !send(WatchMessage::Status(kind, WatchStatus::Live)).await {
                        return;
                    }
                    backoff = BACKOFF_START;
                }
                Some(Ok(Event::Apply(object))) => {
                    if !send(WatchMessage::Rows(wrap(RowUpdate::Upsert(project(
                        &object,
                    )))))
                    .await
                    {
                        return;
                    }
                }
                Some(Ok(Event::Delete(object))) => {
                    let key = key_of(&project(&object));
                    if !send(WatchMessage::Rows(wrap(RowUpdate::Delete(key)))).await {
                        return;
                    }
                }
                Some(Err(error)) => break Some(error),
            }
        };
        drop(stream);
        let Some(error) = error else {
            // The watcher stream never ends on its own; treat it as a cut.
            tokio::time::sleep(backoff).await;
            continue;
        };
        if strategy == ListStrategy::Stream && is_stream_rejected(&error) {
            tracing::info!(kind = kind.plural(), %error, "streaming lists rejected; using list+watch");
            strategy = ListStrategy::List;
            continue;
        }
        tracing::warn!(kind = kind.plural(), %error, "watch failed");
        let (status, wait) = match is_forbidden(&error) {
            Some(message) => (WatchStatus::Forbidden { message }, FORBIDDEN_RETRY),
            None => (
                WatchStatus::Reconnecting {
                    since: now(),
                    error: plain_error(&error),
                },
                backoff,
            ),
        };
        if !send(WatchMessage::Status(kind, status)).await {
            return;
        }
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = sender.closed() => return,
        }
        backoff = (backoff * 2).min(BACKOFF_MAX);
    }
}

fn pod_key(row: &PodRow) -> RowKey {
    RowKey::new(&row.namespace, &row.name)
}
fn workload_key(row: &WorkloadRow) -> RowKey {
    RowKey::new(&row.namespace, &row.name)
}
fn namespace_key(row: &NamespaceRow) -> RowKey {
    RowKey::new("", &row.name)
}
fn node_key(row: &NodeRow) -> RowKey {
    RowKey::new("", &row.name)
}
fn event_key(row: &EventRow) -> RowKey {
    RowKey::new(&row.namespace, &row.name)
}

/// Spawn a watcher for every kind; the handles let the caller abort them all
/// (context switch, exit).
pub fn spawn_all<T>(
    client: kube::Client,
    strategy: ListStrategy,
    sender: mpsc::Sender<T>,
) -> Vec<tokio::task::JoinHandle<()>>
where
    T: From<WatchMessage> + Send + 'static,
{
    use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, StatefulSet};
    use k8s_openapi::api::core::v1::{Event as CoreEvent, Namespace, Node, Pod};
    vec![
        tokio::spawn(run_watcher(
            Api::<Pod>::all(client.clone()),
            ResourceKind::Pods,
            strategy,
            PodRow::from_pod,
            KindRows::Pods,
            pod_key,
            sender.clone(),
        )),
        tokio::spawn(run_watcher(
            Api::<Deployment>::all(client.clone()),
            ResourceKind::Deployments,
            strategy,
            WorkloadRow::from_deployment,
            |update| KindRows::Workloads(ResourceKind::Deployments, update),
            workload_key,
            sender.clone(),
        )),
        tokio::spawn(run_watcher(
            Api::<StatefulSet>::all(client.clone()),
            ResourceKind::StatefulSets,
            strategy,
            WorkloadRow::from_statefulset,
            |update| KindRows::Workloads(ResourceKind::StatefulSets, update),
            workload_key,
            sender.clone(),
        )),
        tokio::spawn(run_watcher(
            Api::<DaemonSet>::all(client.clone()),
            ResourceKind::DaemonSets,
            strategy,
            WorkloadRow::from_daemonset,
            |update| KindRows::Workloads(ResourceKind::DaemonSets, update),
            workload_key,
            sender.clone(),
        )),
        tokio::spawn(run_watcher(
            Api::<Namespace>::all(client.clone()),
            ResourceKind::Namespaces,
            strategy,
            NamespaceRow::from_namespace,
            KindRows::Namespaces,
            namespace_key,
            sender.clone(),
        )),
        tokio::spawn(run_watcher(
            Api::<Node>::all(client.clone()),
            ResourceKind::Nodes,
            strategy,
            NodeRow::from_node,
            KindRows::Nodes,
            node_key,
            sender.clone(),
        )),
        tokio::spawn(run_watcher(
            Api::<CoreEvent>::all(client),
            ResourceKind::Events,
            strategy,
            EventRow::from_event,
            KindRows::Events,
            event_key,
            sender,
        )),
    ]
}

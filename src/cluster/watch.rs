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
use super::rows::{EventRow, NamespaceRow, NodeRow, PodRow, Row, RowKey, WorkloadRow};

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
    /// The API has no such resource (a CRD that is not installed).
    Absent {
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
    Jobs(RowUpdate<super::rows::JobRow>),
    Hpas(RowUpdate<super::rows::HpaRow>),
    HelmReleases(RowUpdate<super::rows::HelmReleaseRow>),
    Rollouts(RowUpdate<super::rows::argo::RolloutRow>),
    RolloutReplicaSets(RowUpdate<super::rows::argo::RolloutReplicaSetRow>),
    AnalysisRuns(RowUpdate<super::rows::argo::AnalysisRunRow>),
    /// HelmCharts or HelmChartConfigs.
    HelmCharts(
        ResourceKind,
        RowUpdate<super::rows::helmchart::HelmChartRow>,
    ),
    Certificates(RowUpdate<crate::certs::CertificateRow>),
    TlsSecrets(RowUpdate<crate::certs::TlsSecretRow>),
    /// Ingresses or IngressRoutes.
    Routes(ResourceKind, RowUpdate<super::rows::RouteRow>),
}

impl KindRows {
    pub fn kind(&self) -> ResourceKind {
        match self {
            KindRows::Pods(_) => ResourceKind::Pods,
            KindRows::Workloads(kind, _) => *kind,
            KindRows::Namespaces(_) => ResourceKind::Namespaces,
            KindRows::Nodes(_) => ResourceKind::Nodes,
            KindRows::Events(_) => ResourceKind::Events,
            KindRows::Jobs(_) => ResourceKind::Jobs,
            KindRows::Hpas(_) => ResourceKind::Hpas,
            KindRows::HelmReleases(_) => ResourceKind::HelmReleases,
            KindRows::Rollouts(_) => ResourceKind::Rollouts,
            KindRows::RolloutReplicaSets(_) => ResourceKind::RolloutReplicaSets,
            KindRows::AnalysisRuns(_) => ResourceKind::AnalysisRuns,
            KindRows::HelmCharts(kind, _) => *kind,
            KindRows::Certificates(_) => ResourceKind::Certificates,
            KindRows::TlsSecrets(_) => ResourceKind::TlsSecrets,
            KindRows::Routes(kind, _) => *kind,
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

/// 404 on the list: the resource type does not exist on this server.
fn is_absent(error: &watcher::Error) -> Option<String> {
    match error {
        watcher::Error::InitialListFailed(kube::Error::Api(status)) if status.code == 404 => {
            Some(status.message.clone())
        }
        _ => None,
    }
}

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
/// Whether a watch failed on the server's certificate (see
/// `client::is_trust_failure`).
pub fn is_trust_failure(error: &watcher::Error) -> bool {
    match error {
        watcher::Error::InitialListFailed(inner)
        | watcher::Error::WatchStartFailed(inner)
        | watcher::Error::WatchFailed(inner) => super::client::is_trust_failure(inner),
        _ => false,
    }
}

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
/// What to watch and how to project it.
pub struct WatchSpec<K, R> {
    pub api: Api<K>,
    pub kind: ResourceKind,
    /// A field selector, e.g. `type=kubernetes.io/tls`.
    pub fields: Option<&'static str>,
    /// A label selector, e.g. `rollouts-pod-template-hash` (exists).
    pub labels: Option<&'static str>,
    pub project: fn(&K) -> R,
    pub wrap: fn(RowUpdate<R>) -> KindRows,
}

pub async fn run_watcher<K, R, T>(
    spec: WatchSpec<K, R>,
    strategy: ListStrategy,
    sender: mpsc::Sender<T>,
) where
    K: kube::Resource + Clone + DeserializeOwned + Debug + Send + 'static,
    R: Row + Send + 'static,
    T: From<WatchMessage> + Send + 'static,
{
    let WatchSpec {
        api,
        kind,
        fields,
        labels,
        project,
        wrap,
    } = spec;
    let send = |message: WatchMessage| {
        let sender = sender.clone();
        async move { sender.send(T::from(message)).await.is_ok() }
    };
    let mut strategy = strategy;
    let mut backoff = BACKOFF_START;
    loop {
        let mut config = watcher::Config::default();
        if let Some(fields) = fields {
            config = config.fields(fields);
        }
        if let Some(labels) = labels {
            config = config.labels(labels);
        }
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
                    let key = project(&object).key();
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
        let (status, wait) = match (is_forbidden(&error), is_absent(&error)) {
            (Some(message), _) => (WatchStatus::Forbidden { message }, FORBIDDEN_RETRY),
            // A CRD may be installed later: look again now and then.
            (None, Some(message)) => (WatchStatus::Absent { message }, FORBIDDEN_RETRY),
            // An untrusted certificate will not fix itself in seconds:
            // retry slowly.
            (None, None) if is_trust_failure(&error) => (
                WatchStatus::Reconnecting {
                    since: now(),
                    error: plain_error(&error),
                },
                FORBIDDEN_RETRY,
            ),
            (None, None) => (
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

fn spawn<K, R, T>(
    spec: WatchSpec<K, R>,
    strategy: ListStrategy,
    sender: mpsc::Sender<T>,
) -> tokio::task::JoinHandle<()>
where
    K: kube::Resource + Clone + DeserializeOwned + Debug + Send + 'static,
    R: Row + Send + 'static,
    T: From<WatchMessage> + Send + 'static,
{
    tokio::spawn(run_watcher(spec, strategy, sender))
}

/// Spawn the watchers of `kinds`; the handles let the caller abort them
/// all (context switch, exit). The runtime starts the visible view's kinds
/// first and the rest once those are listed (docs/ARCHITECTURE.md,
/// Watchers in two phases).
pub fn spawn_kinds<T>(
    client: &kube::Client,
    kinds: &[ResourceKind],
    strategy: ListStrategy,
    sender: &mpsc::Sender<T>,
) -> Vec<tokio::task::JoinHandle<()>>
where
    T: From<WatchMessage> + Send + 'static,
{
    kinds
        .iter()
        .map(|kind| spawn_kind(client.clone(), *kind, strategy, sender.clone()))
        .collect()
}

/// One kind's watcher: its API, field or label selector, and projection.
fn spawn_kind<T>(
    client: kube::Client,
    kind: ResourceKind,
    strategy: ListStrategy,
    sender: mpsc::Sender<T>,
) -> tokio::task::JoinHandle<()>
where
    T: From<WatchMessage> + Send + 'static,
{
    use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, ReplicaSet, StatefulSet};
    use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
    use k8s_openapi::api::batch::v1::Job;
    use k8s_openapi::api::core::v1::{Event as CoreEvent, Namespace, Node, Pod, Secret};
    use k8s_openapi::api::networking::v1::Ingress;
    use kube::api::DynamicObject;

    use super::argo_rollouts as argo;
    use super::rows::argo::{AnalysisRunRow, RolloutReplicaSetRow, RolloutRow};
    use super::rows::helmchart::HelmChartRow;
    use super::rows::{HelmReleaseRow, HpaRow, JobRow, RouteRow};
    use crate::certs::{CertificateRow, TlsSecretRow, certificate_resource, ingressroute_resource};
    let c = client;
    match kind {
        ResourceKind::Pods => spawn(
            WatchSpec {
                api: Api::<Pod>::all(c),
                kind,
                fields: None,
                labels: None,
                project: PodRow::from_pod,
                wrap: KindRows::Pods,
            },
            strategy,
            sender,
        ),
        ResourceKind::Deployments => spawn(
            WatchSpec {
                api: Api::<Deployment>::all(c),
                kind,
                fields: None,
                labels: None,
                project: WorkloadRow::from_deployment,
                wrap: |update| KindRows::Workloads(ResourceKind::Deployments, update),
            },
            strategy,
            sender,
        ),
        ResourceKind::StatefulSets => spawn(
            WatchSpec {
                api: Api::<StatefulSet>::all(c),
                kind,
                fields: None,
                labels: None,
                project: WorkloadRow::from_statefulset,
                wrap: |update| KindRows::Workloads(ResourceKind::StatefulSets, update),
            },
            strategy,
            sender,
        ),
        ResourceKind::DaemonSets => spawn(
            WatchSpec {
                api: Api::<DaemonSet>::all(c),
                kind,
                fields: None,
                labels: None,
                project: WorkloadRow::from_daemonset,
                wrap: |update| KindRows::Workloads(ResourceKind::DaemonSets, update),
            },
            strategy,
            sender,
        ),
        ResourceKind::Namespaces => spawn(
            WatchSpec {
                api: Api::<Namespace>::all(c),
                kind,
                fields: None,
                labels: None,
                project: NamespaceRow::from_namespace,
                wrap: KindRows::Namespaces,
            },
            strategy,
            sender,
        ),
        ResourceKind::Nodes => spawn(
            WatchSpec {
                api: Api::<Node>::all(c),
                kind,
                fields: None,
                labels: None,
                project: NodeRow::from_node,
                wrap: KindRows::Nodes,
            },
            strategy,
            sender,
        ),
        ResourceKind::Events => spawn(
            WatchSpec {
                api: Api::<CoreEvent>::all(c),
                kind,
                fields: None,
                labels: None,
                project: EventRow::from_event,
                wrap: KindRows::Events,
            },
            strategy,
            sender,
        ),
        ResourceKind::Jobs => spawn(
            WatchSpec {
                api: Api::<Job>::all(c),
                kind,
                fields: None,
                labels: None,
                project: JobRow::from_job,
                wrap: KindRows::Jobs,
            },
            strategy,
            sender,
        ),
        ResourceKind::Hpas => spawn(
            WatchSpec {
                api: Api::<HorizontalPodAutoscaler>::all(c),
                kind,
                fields: None,
                labels: None,
                project: HpaRow::from_hpa,
                wrap: KindRows::Hpas,
            },
            strategy,
            sender,
        ),
        ResourceKind::Certificates => spawn(
            WatchSpec {
                api: Api::<DynamicObject>::all_with(c, &certificate_resource()),
                kind,
                fields: None,
                labels: None,
                project: CertificateRow::from_object,
                wrap: KindRows::Certificates,
            },
            strategy,
            sender,
        ),
        // Only Helm's release Secrets, decoded on arrival: the values and
        // the manifest are not kept.
        ResourceKind::HelmReleases => spawn(
            WatchSpec {
                api: Api::<Secret>::all(c),
                kind,
                fields: Some("type=helm.sh/release.v1"),
                labels: None,
                project: HelmReleaseRow::from_secret,
                wrap: KindRows::HelmReleases,
            },
            strategy,
            sender,
        ),
        // Only TLS secrets, parsed on arrival: no secret data is kept.
        ResourceKind::TlsSecrets => spawn(
            WatchSpec {
                api: Api::<Secret>::all(c),
                kind,
                fields: Some("type=kubernetes.io/tls"),
                labels: None,
                project: TlsSecretRow::from_secret,
                wrap: KindRows::TlsSecrets,
            },
            strategy,
            sender,
        ),
        ResourceKind::Ingresses => spawn(
            WatchSpec {
                api: Api::<Ingress>::all(c),
                kind,
                fields: None,
                labels: None,
                project: RouteRow::from_ingress,
                wrap: |update| KindRows::Routes(ResourceKind::Ingresses, update),
            },
            strategy,
            sender,
        ),
        ResourceKind::IngressRoutes => spawn(
            WatchSpec {
                api: Api::<DynamicObject>::all_with(c, &ingressroute_resource()),
                kind,
                fields: None,
                labels: None,
                project: RouteRow::from_ingressroute,
                wrap: |update| KindRows::Routes(ResourceKind::IngressRoutes, update),
            },
            strategy,
            sender,
        ),
        // Argo Rollouts: the Rollouts, their ReplicaSets (only those with
        // the controller's hash label) and AnalysisRuns, for the list and
        // the live `get rollout` picture.
        ResourceKind::Rollouts => spawn(
            WatchSpec {
                api: Api::<DynamicObject>::all_with(c, &argo::rollout_resource()),
                kind,
                fields: None,
                labels: None,
                project: RolloutRow::from_object,
                wrap: KindRows::Rollouts,
            },
            strategy,
            sender,
        ),
        ResourceKind::RolloutReplicaSets => spawn(
            WatchSpec {
                api: Api::<ReplicaSet>::all(c),
                kind,
                fields: None,
                labels: Some(argo::HASH_LABEL),
                project: RolloutReplicaSetRow::from_replicaset,
                wrap: KindRows::RolloutReplicaSets,
            },
            strategy,
            sender,
        ),
        ResourceKind::AnalysisRuns => spawn(
            WatchSpec {
                api: Api::<DynamicObject>::all_with(c, &argo::analysisrun_resource()),
                kind,
                fields: None,
                labels: None,
                project: AnalysisRunRow::from_object,
                wrap: KindRows::AnalysisRuns,
            },
            strategy,
            sender,
        ),
        // k3s' helm-controller objects.
        ResourceKind::HelmCharts => spawn(
            WatchSpec {
                api: Api::<DynamicObject>::all_with(c, &helmchart_resource(kind)),
                kind,
                fields: None,
                labels: None,
                project: HelmChartRow::from_chart,
                wrap: |update| KindRows::HelmCharts(ResourceKind::HelmCharts, update),
            },
            strategy,
            sender,
        ),
        ResourceKind::HelmChartConfigs => spawn(
            WatchSpec {
                api: Api::<DynamicObject>::all_with(c, &helmchart_resource(kind)),
                kind,
                fields: None,
                labels: None,
                project: HelmChartRow::from_config,
                wrap: |update| KindRows::HelmCharts(ResourceKind::HelmChartConfigs, update),
            },
            strategy,
            sender,
        ),
    }
}

/// The API resource of a k3s helm-controller kind.
pub fn helmchart_resource(kind: ResourceKind) -> kube::core::ApiResource {
    let (group, version) = kind.group_version();
    kube::core::ApiResource::from_gvk_with_plural(
        &kube::core::GroupVersionKind::gvk(group, version, kind.kind()),
        kind.plural(),
    )
}

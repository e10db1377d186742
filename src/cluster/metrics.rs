//! metrics.k8s.io cannot be watched: poll it (DESIGN §5) and hand the app
//! compact usage numbers.

use std::collections::HashMap;
use std::time::Duration;

use serde::Deserialize;
use tokio::sync::mpsc;

use super::quantity;
use super::rows::RowKey;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    pub cpu_millis: u64,
    pub mem_bytes: u64,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct MetricsSnapshot {
    pub pods: HashMap<RowKey, Usage>,
    pub nodes: HashMap<String, Usage>,
}

#[derive(Debug, Clone)]
pub enum MetricsMessage {
    Snapshot(MetricsSnapshot),
    /// No metrics-server, or it failed; CPU/MEM show n/a.
    Unavailable(String),
}

#[derive(Deserialize)]
struct UsageFields {
    #[serde(default)]
    cpu: Option<String>,
    #[serde(default)]
    memory: Option<String>,
}

#[derive(Deserialize)]
struct Meta {
    #[serde(default)]
    name: String,
    #[serde(default)]
    namespace: Option<String>,
}

#[derive(Deserialize)]
struct ContainerMetrics {
    usage: UsageFields,
}

#[derive(Deserialize)]
struct PodMetrics {
    metadata: Meta,
    #[serde(default)]
    containers: Vec<ContainerMetrics>,
}

#[derive(Deserialize)]
struct NodeMetrics {
    metadata: Meta,
    usage: UsageFields,
}

#[derive(Deserialize)]
struct MetricsList<T> {
    #[serde(default = "Vec::new")]
    items: Vec<T>,
}

fn usage(fields: &UsageFields) -> Usage {
    Usage {
        cpu_millis: fields
            .cpu
            .as_deref()
            .and_then(quantity::cpu_millis)
            .unwrap_or(0),
        mem_bytes: fields
            .memory
            .as_deref()
            .and_then(quantity::bytes)
            .unwrap_or(0),
    }
}

async fn get<T: serde::de::DeserializeOwned>(
    client: &kube::Client,
    path: &str,
) -> Result<T, kube::Error> {
    let request = http::Request::get(path).body(Vec::new()).map_err(|error| {
        kube::Error::BuildRequest(kube::core::request::Error::BuildRequest(error))
    })?;
    client.request::<T>(request).await
}

/// One poll of node and pod metrics.
pub async fn fetch(client: &kube::Client) -> Result<MetricsSnapshot, kube::Error> {
    let pods: MetricsList<PodMetrics> = get(client, "/apis/metrics.k8s.io/v1beta1/pods").await?;
    let nodes: MetricsList<NodeMetrics> = get(client, "/apis/metrics.k8s.io/v1beta1/nodes").await?;
    let mut snapshot = MetricsSnapshot::default();
    for pod in pods.items {
        let total = pod
            .containers
            .iter()
            .fold(Usage::default(), |sum, container| {
                let each = usage(&container.usage);
                Usage {
                    cpu_millis: sum.cpu_millis + each.cpu_millis,
                    mem_bytes: sum.mem_bytes + each.mem_bytes,
                }
            });
        let key = RowKey::new(
            pod.metadata.namespace.as_deref().unwrap_or(""),
            &pod.metadata.name,
        );
        snapshot.pods.insert(key, total);
    }
    for node in nodes.items {
        snapshot
            .nodes
            .insert(node.metadata.name, usage(&node.usage));
    }
    Ok(snapshot)
}

/// Poll every `interval` until the channel closes; back off to a minute when
/// metrics are unavailable.
pub async fn run_poller<T>(client: kube::Client, interval: Duration, sender: mpsc::Sender<T>)
where
    T: From<MetricsMessage> + Send + 'static,
{
    loop {
        let (message, wait) = match fetch(&client).await {
            Ok(snapshot) => (MetricsMessage::Snapshot(snapshot), interval),
            Err(error) => {
                let text = match &error {
                    kube::Error::Api(status) if status.code == 404 || status.code == 503 => {
                        "metrics-server is not installed or not ready".to_string()
                    }
                    other => super::client::plain_client_error(other),
                };
                (
                    MetricsMessage::Unavailable(text),
                    interval.max(Duration::from_secs(60)),
                )
            }
        };
        if sender.send(T::from(message)).await.is_err() {
            return;
        }
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = sender.closed() => return,
        }
    }
}

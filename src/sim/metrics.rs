//! metrics.k8s.io: usage computed on each request from the stored pods and
//! nodes, from seeded PodMetrics/NodeMetrics when given, and varying
//! smoothly with the wall clock so sparklines move.

use std::collections::HashMap;

use jiff::Timestamp;
use serde_json::{Value, json};

use super::objects::meta_str;
use super::quantity;
use super::registry::{Registry, ResourceId};
use super::selector::Selectors;
use super::store::Store;
use super::util::{hash_str, now_rfc3339};

/// (cpu cores, memory bytes)
type Usage = (f64, f64);

/// Base values from seeded metrics objects.
#[derive(Debug, Default)]
pub(crate) struct MetricsBase {
    pods: HashMap<(String, String), Vec<(String, Usage)>>,
    nodes: HashMap<String, Usage>,
}

fn usage_of(v: &Value) -> Usage {
    let q = |k: &str| {
        v.get(k)
            .and_then(Value::as_str)
            .and_then(quantity::parse)
            .unwrap_or(0.0)
    };
    (q("cpu"), q("memory"))
}

impl MetricsBase {
    /// Takes seeded PodMetrics/NodeMetrics; returns false for other kinds.
    pub fn absorb(&mut self, obj: &Value) -> bool {
        let name = meta_str(obj, "name").unwrap_or_default().to_string();
        match obj.get("kind").and_then(Value::as_str) {
            Some("PodMetrics") => {
                let ns = meta_str(obj, "namespace").unwrap_or("default").to_string();
                let containers = obj
                    .get("containers")
                    .and_then(Value::as_array)
                    .map(|cs| {
                        cs.iter()
                            .map(|c| {
                                let n = c
                                    .get("name")
                                    .and_then(Value::as_str)
                                    .unwrap_or_default()
                                    .to_string();
                                (n, c.get("usage").map(usage_of).unwrap_or_default())
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                self.pods.insert((ns, name), containers);
                true
            }
            Some("NodeMetrics") => {
                self.nodes
                    .insert(name, obj.get("usage").map(usage_of).unwrap_or_default());
                true
            }
            _ => false,
        }
    }
}

/// ±15% around the base, a slow sine with a per-object phase.
fn wave(key: &str, now: f64) -> f64 {
    let h = hash_str(key);
    let phase = (h % 6283) as f64 / 1000.0;
    let period = 90.0 + (h >> 16) as f64 % 90.0;
    1.0 + 0.15 * (std::f64::consts::TAU * now / period + phase).sin()
}

fn derived(key: &str, container: &Value) -> Usage {
    let h = hash_str(key);
    let f = (h % 1000) as f64 / 1000.0;
    let g = ((h >> 20) % 1000) as f64 / 1000.0;
    let req = |k: &str| {
        container
            .pointer(&format!("/resources/requests/{k}"))
            .and_then(Value::as_str)
            .and_then(quantity::parse)
    };
    let cpu = req("cpu").map_or(0.005 + f * 0.15, |r| r * (0.15 + 0.7 * f));
    let mem = req("memory").map_or(20.0 * 1048576.0 + g * 280.0 * 1048576.0, |r| {
        r * (0.35 + 0.55 * g)
    });
    (cpu, mem)
}

fn pod_usage(base: &MetricsBase, pod: &Value, now: f64) -> Vec<(String, Usage)> {
    let ns = meta_str(pod, "namespace").unwrap_or_default();
    let name = meta_str(pod, "name").unwrap_or_default();
    let seeded = base.pods.get(&(ns.to_string(), name.to_string()));
    let containers = pod
        .pointer("/spec/containers")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    containers
        .iter()
        .map(|c| {
            let cname = c.get("name").and_then(Value::as_str).unwrap_or_default();
            let key = format!("{ns}/{name}/{cname}");
            let (cpu, mem) = seeded
                .and_then(|s| s.iter().find(|(n, _)| n == cname).map(|(_, u)| *u))
                .unwrap_or_else(|| derived(&key, c));
            let w = wave(&key, now);
            (cname.to_string(), (cpu * w, mem * (1.0 + (w - 1.0) * 0.3)))
        })
        .collect()
}

/// A pod's usage per container now, as metrics.k8s.io would report it
/// (the simulated HPA controller reads it).
pub(crate) fn pod_usage_now(base: &MetricsBase, pod: &Value) -> Vec<(String, Usage)> {
    pod_usage(base, pod, clock())
}

fn running(pod: &Value) -> bool {
    pod.pointer("/status/phase").and_then(Value::as_str) == Some("Running")
}

fn clock() -> f64 {
    Timestamp::now().as_millisecond() as f64 / 1000.0
}

fn pod_item(pod: &Value, containers: Vec<(String, Usage)>, ts: &str) -> Value {
    json!({
        "kind": "PodMetrics",
        "apiVersion": "metrics.k8s.io/v1beta1",
        "metadata": {
            "name": meta_str(pod, "name"),
            "namespace": meta_str(pod, "namespace"),
            "creationTimestamp": ts,
            "labels": pod.pointer("/metadata/labels").cloned().unwrap_or_else(|| json!({})),
        },
        "timestamp": ts,
        "window": "15s",
        "containers": containers.into_iter().map(|(name, (cpu, mem))| json!({
            "name": name,
            "usage": {"cpu": quantity::cpu(cpu), "memory": quantity::memory(mem)}
        })).collect::<Vec<_>>(),
    })
}

pub(crate) fn pod_metrics(
    store: &Store,
    reg: &Registry,
    base: &MetricsBase,
    ns: Option<&str>,
    name: Option<&str>,
    sel: &Selectors,
) -> Vec<Value> {
    let Some(pods_id) = reg.by_kind("v1", "Pod") else {
        return Vec::new();
    };
    let Some(res) = store.res(pods_id) else {
        return Vec::new();
    };
    let now = clock();
    let ts = now_rfc3339();
    res.objects
        .iter()
        .filter(|((pns, pname), _)| ns.is_none_or(|n| n == pns) && name.is_none_or(|n| n == pname))
        .filter(|(_, s)| running(&s.value) && sel.matches(&s.value))
        .map(|(_, s)| pod_item(&s.value, pod_usage(base, &s.value, now), &ts))
        .collect()
}

pub(crate) fn node_metrics(
    store: &Store,
    reg: &Registry,
    base: &MetricsBase,
    name: Option<&str>,
    sel: &Selectors,
) -> Vec<Value> {
    let (Some(nodes_id), Some(pods_id)) = (reg.by_kind("v1", "Node"), reg.by_kind("v1", "Pod"))
    else {
        return Vec::new();
    };
    let (Some(nodes), Some(pods)) = (store.res(nodes_id), store.res(pods_id)) else {
        return Vec::new();
    };
    let now = clock();
    let ts = now_rfc3339();
    let mut per_node: HashMap<&str, Usage> = HashMap::new();
    for s in pods.objects.values().filter(|s| running(&s.value)) {
        if let Some(node) = s.value.pointer("/spec/nodeName").and_then(Value::as_str) {
            let e = per_node.entry(node).or_default();
            for (_, (c, m)) in pod_usage(base, &s.value, now) {
                e.0 += c;
                e.1 += m;
            }
        }
    }
    nodes
        .objects
        .iter()
        .filter(|((_, n), s)| name.is_none_or(|x| x == n) && sel.matches(&s.value))
        .map(|((_, n), s)| {
            let (cpu, mem) = match base.nodes.get(n) {
                Some(&(c, m)) => {
                    let w = wave(n, now);
                    (c * w, m * (1.0 + (w - 1.0) * 0.3))
                }
                None => {
                    // System daemons and the kubelet itself use something too.
                    let (c, m) = per_node.get(n.as_str()).copied().unwrap_or_default();
                    (c + 0.12 * wave(n, now), m + 550.0 * 1048576.0)
                }
            };
            json!({
                "kind": "NodeMetrics",
                "apiVersion": "metrics.k8s.io/v1beta1",
                "metadata": {
                    "name": n,
                    "creationTimestamp": ts,
                    "labels": s.value.pointer("/metadata/labels").cloned().unwrap_or_else(|| json!({})),
                },
                "timestamp": ts,
                "window": "20s",
                "usage": {"cpu": quantity::cpu(cpu), "memory": quantity::memory(mem)},
            })
        })
        .collect()
}

pub(crate) fn list_kind(id: ResourceId, reg: &Registry) -> String {
    format!("{}List", reg.get(id).kind)
}

//! Small workload controllers that make the simulator alive for rollouts:
//! Deployments (through ReplicaSets), StatefulSets and DaemonSets roll their
//! pods one by one when their template changes, and scale when their
//! replicas change. Every write goes through the normal store write path so
//! watches see it.
//!
//! Seeded objects are left alone: a workload is only reconciled once it was
//! created after startup or its `metadata.generation` moved past the seeded
//! one. The seed's deliberately broken states stay as they are until
//! someone changes the workload.
//!
//! One tick every `SimOptions::rollout_step`: pods created in a tick become
//! Running and Ready in the next one (unless the workload is stalled), old
//! pods go once enough new ones are ready.

mod daemonset;
mod deployment;
mod helmchart;
mod hpa;
mod job;
mod loadbalancer;
mod revisions;
mod rollouts;
mod statefulset;
mod workflow;

pub use job::JobOutcome;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use serde_json::{Map, Value, json};

use super::api_error::ApiError;
use super::objects::{self, Preconditions, Target, meta_str};
use super::registry::{Registry, ResourceId};
use super::state::Shared;
use super::store::Store;
use super::util::{hash_str, mix, now_rfc3339};

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Fault knobs set from the `SimCluster` handle.
#[derive(Debug, Default)]
pub(crate) struct Knobs {
    stalled: Mutex<HashSet<(String, String)>>,
    /// (name prefix, outcome) for Jobs and Workflows.
    outcomes: Mutex<Vec<(String, JobOutcome)>>,
    /// Name prefixes of Jobs and Workflows whose pods keep running.
    held: Mutex<HashSet<String>>,
}

impl Knobs {
    pub fn stall(&self, ns: &str, name: &str, stalled: bool) {
        let key = (ns.to_string(), name.to_string());
        if stalled {
            lock(&self.stalled).insert(key);
        } else {
            lock(&self.stalled).remove(&key);
        }
    }

    pub fn is_stalled(&self, ns: &str, name: &str) -> bool {
        lock(&self.stalled).contains(&(ns.to_string(), name.to_string()))
    }

    pub fn set_outcome(&self, prefix: &str, outcome: JobOutcome) {
        let mut outcomes = lock(&self.outcomes);
        outcomes.retain(|(p, _)| p != prefix);
        outcomes.push((prefix.to_string(), outcome));
    }

    /// The outcome of the longest prefix matching `name`; Succeed by default.
    pub fn outcome(&self, name: &str) -> JobOutcome {
        lock(&self.outcomes)
            .iter()
            .filter(|(p, _)| name.starts_with(p.as_str()))
            .max_by_key(|(p, _)| p.len())
            .map(|(_, o)| *o)
            .unwrap_or_default()
    }

    pub fn hold(&self, prefix: &str, held: bool) {
        if held {
            lock(&self.held).insert(prefix.to_string());
        } else {
            lock(&self.held).remove(prefix);
        }
    }

    pub fn is_held(&self, name: &str) -> bool {
        lock(&self.held)
            .iter()
            .any(|p| name.starts_with(p.as_str()))
    }
}

/// What a workload looked like in the seed.
#[derive(Debug)]
struct Seeded {
    generation: i64,
    template: Value,
    /// The revision its pods carry (StatefulSet / DaemonSet).
    revision: Option<String>,
}

/// Resource ids the controllers use.
#[derive(Debug, Clone, Copy)]
pub(super) struct Ids {
    pub pods: ResourceId,
    pub replicasets: ResourceId,
    pub controller_revisions: ResourceId,
    pub deployments: ResourceId,
    pub statefulsets: ResourceId,
    pub daemonsets: ResourceId,
    pub jobs: ResourceId,
    pub nodes: ResourceId,
    pub services: ResourceId,
    pub ingresses: Option<ResourceId>,
    /// Served only with `SimOptions::argo_workflows` (or an installed CRD).
    pub workflows: Option<ResourceId>,
    pub workflow_templates: Option<ResourceId>,
    pub hpas: Option<ResourceId>,
    pub events: Option<ResourceId>,
    /// Served only with `SimOptions::argo_rollouts`.
    pub rollouts: Option<ResourceId>,
    pub analysisruns: Option<ResourceId>,
}

impl Ids {
    fn new(reg: &Registry) -> Option<Ids> {
        Some(Ids {
            pods: reg.by_kind("v1", "Pod")?,
            replicasets: reg.by_kind("apps/v1", "ReplicaSet")?,
            controller_revisions: reg.by_kind("apps/v1", "ControllerRevision")?,
            deployments: reg.by_kind("apps/v1", "Deployment")?,
            statefulsets: reg.by_kind("apps/v1", "StatefulSet")?,
            daemonsets: reg.by_kind("apps/v1", "DaemonSet")?,
            jobs: reg.by_kind("batch/v1", "Job")?,
            nodes: reg.by_kind("v1", "Node")?,
            services: reg.by_kind("v1", "Service")?,
            ingresses: reg.by_kind("networking.k8s.io/v1", "Ingress"),
            workflows: reg.by_kind(workflow::API_VERSION, "Workflow"),
            workflow_templates: reg.by_kind(workflow::API_VERSION, "WorkflowTemplate"),
            hpas: reg.by_kind("autoscaling/v2", "HorizontalPodAutoscaler"),
            events: reg.by_kind("v1", "Event"),
            rollouts: reg.by_kind("argoproj.io/v1alpha1", "Rollout"),
            analysisruns: reg.by_kind("argoproj.io/v1alpha1", "AnalysisRun"),
        })
    }
}

/// What one tick works with, under the store's write lock.
pub(super) struct Cx<'a> {
    pub store: &'a mut Store,
    pub reg: &'a Registry,
    pub ids: Ids,
    pub knobs: &'a Knobs,
}

#[derive(Debug, Default)]
pub(crate) struct Controller {
    /// HPAs from the seed: left alone unless `SimOptions::autoscale`.
    seeded_hpas: HashSet<String>,
    /// Per k3s HelmChart uid: the configHash its install Job was made for.
    helm_hashes: HashMap<String, String>,
    /// Per HPA: when it was last looked at, and when it last scaled.
    hpa_sync: HashMap<String, (Instant, Option<Instant>)>,
    seed: HashMap<String, Seeded>,
    /// Pods this controller created that are not Running and Ready yet.
    pending: HashSet<String>,
    /// Per workload uid: (generation, last time it made progress).
    progress: HashMap<String, (i64, Instant)>,
    /// Owner uids seen last tick, to garbage-collect dependents of deleted owners.
    owners: HashSet<String>,
    /// Uids of Jobs and Workflows in the seed: they stay as they are.
    seeded_runs: HashSet<String>,
    /// Per running batch pod uid: ticks its current container has run.
    batch: HashMap<String, u32>,
    /// Uids of seeded Services and Ingresses: their status stays as seeded.
    seeded_addresses: HashSet<String>,
}

fn generation(obj: &Value) -> i64 {
    obj.pointer("/metadata/generation")
        .and_then(Value::as_i64)
        .unwrap_or(1)
}

pub(super) fn ns_name(obj: &Value) -> (String, String) {
    (
        meta_str(obj, "namespace").unwrap_or_default().to_string(),
        meta_str(obj, "name").unwrap_or_default().to_string(),
    )
}

pub(super) fn uid(obj: &Value) -> &str {
    meta_str(obj, "uid").unwrap_or_default()
}

fn all(store: &Store, id: ResourceId) -> Vec<Value> {
    store
        .res(id)
        .map(|r| {
            r.objects
                .values()
                .map(|s| s.value.as_ref().clone())
                .collect()
        })
        .unwrap_or_default()
}

fn controller_uid(obj: &Value) -> Option<&str> {
    obj.pointer("/metadata/ownerReferences")?
        .as_array()?
        .iter()
        .find(|o| o.get("controller").and_then(Value::as_bool) == Some(true))?
        .get("uid")?
        .as_str()
}

/// Objects of `id` in `ns` whose controlling owner is `owner_uid`, without
/// those already terminating.
pub(super) fn owned(store: &Store, id: ResourceId, ns: &str, owner_uid: &str) -> Vec<Value> {
    store
        .res(id)
        .map(|r| {
            r.objects
                .range((ns.to_string(), String::new())..)
                .take_while(|(k, _)| k.0 == ns)
                .filter(|(_, s)| controller_uid(&s.value) == Some(owner_uid))
                .filter(|(_, s)| meta_str(&s.value, "deletionTimestamp").is_none())
                .map(|(_, s)| s.value.as_ref().clone())
                .collect()
        })
        .unwrap_or_default()
}

pub(super) fn owner_ref(owner: &Value) -> Value {
    json!({
        "apiVersion": owner.get("apiVersion").cloned().unwrap_or(json!("apps/v1")),
        "kind": owner.get("kind").cloned().unwrap_or(json!("")),
        "name": meta_str(owner, "name").unwrap_or_default(),
        "uid": uid(owner),
        "controller": true,
        "blockOwnerDeletion": true,
    })
}

/// Ready condition True, or (for pods without conditions) Running with all
/// container statuses ready.
pub(super) fn is_ready(pod: &Value) -> bool {
    if let Some(conds) = pod.pointer("/status/conditions").and_then(Value::as_array) {
        return conds.iter().any(|c| {
            c.get("type").and_then(Value::as_str) == Some("Ready")
                && c.get("status").and_then(Value::as_str) == Some("True")
        });
    }
    pod.pointer("/status/phase").and_then(Value::as_str) == Some("Running")
        && pod
            .pointer("/status/containerStatuses")
            .and_then(Value::as_array)
            .is_none_or(|cs| {
                cs.iter()
                    .all(|c| c.get("ready").and_then(Value::as_bool) == Some(true))
            })
}

/// A numeric annotation (a revision), 0 when absent or not a number.
pub(super) fn annotation_number(obj: &Value, key: &str) -> i64 {
    obj.pointer("/metadata/annotations")
        .and_then(|a| a.get(key))
        .and_then(Value::as_str)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

/// `spec.replicas`, 1 when unset (the API default), never negative.
pub(super) fn spec_replicas(obj: &Value) -> i64 {
    obj.pointer("/spec/replicas")
        .and_then(Value::as_i64)
        .unwrap_or(1)
        .max(0)
}

pub(super) fn label<'a>(obj: &'a Value, key: &str) -> Option<&'a str> {
    obj.pointer("/metadata/labels")?.get(key)?.as_str()
}

fn canonical(v: &Value, out: &mut String) {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            out.push('{');
            for k in keys {
                out.push_str(k);
                out.push(':');
                if let Some(x) = m.get(k) {
                    canonical(x, out);
                }
                out.push(',');
            }
            out.push('}');
        }
        Value::Array(a) => {
            out.push('[');
            for x in a {
                canonical(x, out);
                out.push(',');
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// A stable 10-character hash of a pod template in the apiserver's name
/// alphabet, like `pod-template-hash`.
pub(super) fn template_hash(template: &Value) -> String {
    const ALPHA: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let mut s = String::new();
    canonical(template, &mut s);
    let mut n = mix(hash_str(&s));
    (0..10)
        .map(|_| {
            let c = ALPHA[(n % 27) as usize] as char;
            n /= 27;
            c
        })
        .collect()
}

pub(super) fn hex(seed: &str, len: usize) -> String {
    let mut out = String::new();
    let mut i = 0u64;
    while out.len() < len {
        out.push_str(&format!("{:016x}", mix(hash_str(seed) ^ i)));
        i += 1;
    }
    out.truncate(len);
    out
}

fn log_err(what: &str, r: Result<Value, ApiError>) -> Option<Value> {
    match r {
        Ok(v) => Some(v),
        Err(e) => {
            tracing::debug!(error = %e, "sim controller: {what} failed");
            None
        }
    }
}

impl Cx<'_> {
    pub fn create(&mut self, id: ResourceId, obj: Value) -> Option<Value> {
        let ns = meta_str(&obj, "namespace").map(str::to_string);
        log_err(
            "create",
            objects::create(self.store, self.reg, id, ns.as_deref(), obj, false),
        )
    }

    pub fn delete(&mut self, id: ResourceId, obj: &Value) {
        let (ns, name) = ns_name(obj);
        let pre = Preconditions {
            uid: Some(uid(obj).to_string()),
            resource_version: None,
        };
        let _ = log_err(
            "delete",
            objects::delete(self.store, self.reg, id, Some(&ns), &name, &pre, false),
        );
    }

    /// Replaces the main object (spec/metadata); status is kept.
    pub fn update(&mut self, id: ResourceId, obj: Value) -> Option<Value> {
        let (ns, name) = ns_name(&obj);
        log_err(
            "update",
            objects::update(
                self.store,
                self.reg,
                id,
                Some(&ns),
                &name,
                obj,
                Target::Main,
                false,
            ),
        )
    }

    /// Writes `status`; nothing is written (or broadcast) when it is unchanged.
    pub fn set_status(&mut self, id: ResourceId, obj: &Value, status: Value) -> Option<Value> {
        let (ns, name) = ns_name(obj);
        log_err(
            "status update",
            objects::update(
                self.store,
                self.reg,
                id,
                Some(&ns),
                &name,
                json!({ "status": status }),
                Target::Status,
                false,
            ),
        )
    }

    pub fn get(&self, id: ResourceId, ns: &str, name: &str) -> Option<Value> {
        self.store
            .get(id, ns, name)
            .map(|s| s.value.as_ref().clone())
    }

    pub fn nodes(&self) -> Vec<Value> {
        all(self.store, self.ids.nodes)
    }

    /// A fresh pod name `<prefix>-xxxxx`.
    pub fn pod_name(&self, prefix: &str, ns: &str) -> String {
        loop {
            let name = format!("{prefix}-{}", super::util::name_suffix());
            if self.store.get(self.ids.pods, ns, &name).is_none() {
                return name;
            }
        }
    }

    fn host_ip(&self, node: &str) -> String {
        self.store
            .get(self.ids.nodes, "", node)
            .and_then(|n| {
                n.value
                    .pointer("/status/addresses")?
                    .as_array()?
                    .iter()
                    .find(|a| a.get("type").and_then(Value::as_str) == Some("InternalIP"))?
                    .get("address")?
                    .as_str()
                    .map(str::to_string)
            })
            .unwrap_or_else(|| format!("192.168.1.{}", 10 + hash_str(node) % 50))
    }
}

/// A node for a Deployment/StatefulSet pod, spread by name.
pub(super) fn pick_node(nodes: &[Value], pod_name: &str) -> Option<String> {
    let mut names: Vec<&str> = nodes.iter().filter_map(|n| meta_str(n, "name")).collect();
    names.sort_unstable();
    let len = names.len() as u64;
    (len > 0).then(|| names[(hash_str(pod_name) % len) as usize].to_string())
}

fn containers(pod: &Value, field: &str) -> Vec<Value> {
    pod.pointer(&format!("/spec/{field}"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

fn waiting_statuses(pod: &Value, reason: &str) -> Value {
    let cs: Vec<Value> = containers(pod, "containers")
        .iter()
        .map(|c| {
            let image = c.get("image").and_then(Value::as_str).unwrap_or_default();
            let mut waiting = json!({ "reason": reason });
            if reason == "ImagePullBackOff" {
                waiting["message"] = json!(format!("Back-off pulling image \"{image}\""));
            }
            json!({
                "name": c.get("name").cloned().unwrap_or(json!("")),
                "image": image,
                "imageID": "",
                "ready": false,
                "started": false,
                "restartCount": 0,
                "lastState": {},
                "state": { "waiting": waiting },
            })
        })
        .collect();
    json!(cs)
}

fn condition(kind: &str, status: bool, now: &str, reason: Option<&str>) -> Value {
    let mut c = json!({
        "type": kind,
        "status": if status { "True" } else { "False" },
        "lastProbeTime": null,
        "lastTransitionTime": now,
    });
    if let Some(r) = reason {
        c["reason"] = json!(r);
    }
    c
}

/// A new Pending pod from a template, owned by `owner`.
pub(super) fn new_pod(
    name: &str,
    ns: &str,
    template: &Value,
    extra_labels: &Map<String, Value>,
    owner: &Value,
    node: Option<&str>,
) -> Value {
    let mut labels = template
        .pointer("/metadata/labels")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    labels.extend(extra_labels.clone());
    let mut meta = json!({
        "name": name,
        "namespace": ns,
        "labels": labels,
        "ownerReferences": [owner_ref(owner)],
    });
    if let Some(a) = template.pointer("/metadata/annotations") {
        meta["annotations"] = a.clone();
    }
    let mut spec = template.get("spec").cloned().unwrap_or_else(|| json!({}));
    if let (Some(node), Value::Object(s)) = (node, &mut spec) {
        s.entry("nodeName").or_insert_with(|| json!(node));
    }
    let now = now_rfc3339();
    let mut pod = json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": meta,
        "spec": spec,
    });
    let statuses = waiting_statuses(&pod, "ContainerCreating");
    pod["status"] = json!({
        "phase": "Pending",
        "conditions": [
            condition("PodReadyToStartContainers", false, &now, None),
            condition("Initialized", true, &now, None),
            condition("Ready", false, &now, Some("ContainersNotReady")),
            condition("ContainersReady", false, &now, Some("ContainersNotReady")),
            condition("PodScheduled", true, &now, None),
        ],
        "containerStatuses": statuses,
        "qosClass": "BestEffort",
    });
    pod
}

fn running_status(cx: &Cx, pod: &Value) -> Value {
    let now = now_rfc3339();
    let pod_name = meta_str(pod, "name").unwrap_or_default();
    let node = pod
        .pointer("/spec/nodeName")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let host_ip = cx.host_ip(node);
    let h = hash_str(&format!("{}/{pod_name}", uid(pod)));
    let pod_ip = format!("10.42.{}.{}", h % 3, 2 + (h >> 8) % 250);
    let status_of = |c: &Value, init: bool| {
        let name = c.get("name").and_then(Value::as_str).unwrap_or_default();
        let image = c.get("image").and_then(Value::as_str).unwrap_or_default();
        let repo = image.split(':').next().unwrap_or(image);
        let id = hex(&format!("{pod_name}/{name}"), 64);
        let state = if init {
            json!({"terminated": {"exitCode": 0, "reason": "Completed", "startedAt": now,
                                  "finishedAt": now, "containerID": format!("containerd://{id}")}})
        } else {
            json!({"running": {"startedAt": now}})
        };
        json!({
            "name": name,
            "image": image,
            "imageID": format!("{repo}@sha256:{}", hex(image, 64)),
            "containerID": format!("containerd://{id}"),
            "ready": !init,
            "started": !init,
            "restartCount": 0,
            "lastState": {},
            "state": state,
        })
    };
    let cs: Vec<Value> = containers(pod, "containers")
        .iter()
        .map(|c| status_of(c, false))
        .collect();
    let init: Vec<Value> = containers(pod, "initContainers")
        .iter()
        .map(|c| status_of(c, true))
        .collect();
    let mut status = json!({
        "phase": "Running",
        "conditions": [
            condition("PodReadyToStartContainers", true, &now, None),
            condition("Initialized", true, &now, None),
            condition("Ready", true, &now, None),
            condition("ContainersReady", true, &now, None),
            condition("PodScheduled", true, &now, None),
        ],
        "hostIP": host_ip,
        "hostIPs": [{"ip": host_ip}],
        "podIP": pod_ip,
        "podIPs": [{"ip": pod_ip}],
        "startTime": now,
        "containerStatuses": cs,
        "qosClass": "BestEffort",
    });
    if !init.is_empty() {
        status["initContainerStatuses"] = json!(init);
    }
    status
}

/// The standard condition list update: timestamps move only on change.
pub(super) fn set_condition(
    conds: &mut Vec<Value>,
    kind: &str,
    status: &str,
    reason: &str,
    message: &str,
) {
    let now = now_rfc3339();
    let old = conds
        .iter()
        .position(|c| c.get("type").and_then(Value::as_str) == Some(kind));
    let mut c = json!({
        "type": kind, "status": status, "reason": reason, "message": message,
        "lastUpdateTime": now, "lastTransitionTime": now,
    });
    if let Some(i) = old {
        let o = &conds[i];
        let same = |f: &str| o.get(f).and_then(Value::as_str);
        if same("status") == Some(status) {
            c["lastTransitionTime"] = o.get("lastTransitionTime").cloned().unwrap_or(json!(now));
            if same("reason") == Some(reason) && same("message") == Some(message) {
                c["lastUpdateTime"] = o.get("lastUpdateTime").cloned().unwrap_or(json!(now));
            }
        }
        conds[i] = c;
    } else {
        conds.push(c);
    }
}

pub(super) fn conditions(obj: &Value) -> Vec<Value> {
    obj.pointer("/status/conditions")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

impl Controller {
    /// Remembers the seeded workloads so they are not touched until changed.
    pub fn new(store: &Store, reg: &Registry) -> Controller {
        let mut c = Controller::default();
        let Some(ids) = Ids::new(reg) else {
            return c;
        };
        for id in [ids.deployments, ids.statefulsets, ids.daemonsets] {
            for obj in all(store, id) {
                let revision = if id == ids.statefulsets {
                    obj.pointer("/status/updateRevision")
                        .and_then(Value::as_str)
                        .map(str::to_string)
                } else if id == ids.daemonsets {
                    let (ns, _) = ns_name(&obj);
                    owned(store, ids.pods, &ns, uid(&obj))
                        .iter()
                        .find_map(|p| label(p, "controller-revision-hash").map(str::to_string))
                } else {
                    None
                };
                c.seed.insert(
                    uid(&obj).to_string(),
                    Seeded {
                        generation: generation(&obj),
                        template: obj
                            .pointer("/spec/template")
                            .cloned()
                            .unwrap_or(Value::Null),
                        revision,
                    },
                );
            }
        }
        for id in [Some(ids.jobs), ids.workflows].into_iter().flatten() {
            c.seeded_runs
                .extend(all(store, id).iter().map(|o| uid(o).to_string()));
        }
        c.helm_hashes = helmchart::seeded_hashes(store, reg);
        if let Some(hpas) = ids.hpas {
            c.seeded_hpas
                .extend(all(store, hpas).iter().map(|o| uid(o).to_string()));
        }
        for id in [Some(ids.services), ids.ingresses].into_iter().flatten() {
            c.seeded_addresses
                .extend(all(store, id).iter().map(|o| uid(o).to_string()));
        }
        c
    }

    fn managed(&self, obj: &Value) -> bool {
        self.seed
            .get(uid(obj))
            .is_none_or(|s| s.generation != generation(obj))
    }

    /// The seeded revision name while the template is the seeded one.
    fn seeded_revision(&self, obj: &Value) -> Option<String> {
        let s = self.seed.get(uid(obj))?;
        (obj.pointer("/spec/template") == Some(&s.template))
            .then(|| s.revision.clone())
            .flatten()
    }

    /// The template and revision a workload was seeded with, whatever its
    /// template is now.
    fn seeded_template(&self, obj: &Value) -> Option<(String, Value)> {
        let s = self.seed.get(uid(obj))?;
        Some((s.revision.clone()?, s.template.clone()))
    }

    /// Records progress; true when `deadline_secs` passed without any.
    fn stalled_past(&mut self, obj: &Value, progressed: bool, deadline_secs: u64) -> bool {
        let now = Instant::now();
        let g = generation(obj);
        let entry = self
            .progress
            .entry(uid(obj).to_string())
            .or_insert((g, now));
        if progressed || entry.0 != g {
            *entry = (g, now);
        }
        now.duration_since(entry.1).as_secs_f64() > deadline_secs as f64
    }

    /// Pods this controller created move on: Running and Ready, or (when
    /// the workload is stalled) stuck in ImagePullBackOff. True on progress.
    fn advance(&mut self, cx: &mut Cx, pods: &[Value], stalled: bool) -> bool {
        let mut progressed = false;
        for p in pods {
            let id = uid(p).to_string();
            if !self.pending.contains(&id) {
                continue;
            }
            if stalled {
                let waiting = p
                    .pointer("/status/containerStatuses/0/state/waiting/reason")
                    .and_then(Value::as_str);
                if waiting != Some("ImagePullBackOff") {
                    let mut status = p.get("status").cloned().unwrap_or_else(|| json!({}));
                    status["containerStatuses"] = waiting_statuses(p, "ImagePullBackOff");
                    cx.set_status(cx.ids.pods, p, status);
                }
            } else {
                let status = running_status(cx, p);
                cx.set_status(cx.ids.pods, p, status);
                self.pending.remove(&id);
                progressed = true;
            }
        }
        progressed
    }

    fn create_pod(&mut self, cx: &mut Cx, pod: Value) -> bool {
        match cx.create(cx.ids.pods, pod) {
            Some(p) => {
                self.pending.insert(uid(&p).to_string());
                true
            }
            None => false,
        }
    }

    pub fn tick(&mut self, shared: &Shared) {
        let reg = &shared.registry;
        let Some(ids) = Ids::new(reg) else {
            return;
        };
        let mut store = shared.write();
        let mut cx = Cx {
            store: &mut store,
            reg,
            ids,
            knobs: &shared.knobs,
        };
        self.collect_garbage(&mut cx);
        for d in all(cx.store, ids.deployments) {
            if self.managed(&d) {
                deployment::reconcile(self, &mut cx, &d);
            }
        }
        for s in all(cx.store, ids.statefulsets) {
            if self.managed(&s) {
                statefulset::reconcile(self, &mut cx, &s);
            }
        }
        for d in all(cx.store, ids.daemonsets) {
            if self.managed(&d) {
                daemonset::reconcile(self, &mut cx, &d);
            }
        }
        for j in all(cx.store, ids.jobs) {
            if !self.seeded_runs.contains(uid(&j)) {
                job::reconcile(self, &mut cx, &j);
            }
        }
        // Only a cluster with Argo runs its controller; a CRD alone is inert.
        if let (true, Some(wf_id)) = (shared.opts.argo_workflows, ids.workflows) {
            for w in all(cx.store, wf_id) {
                if !self.seeded_runs.contains(uid(&w)) {
                    workflow::reconcile(self, &mut cx, &w);
                }
            }
        }
        if let (true, Some(rollouts)) = (shared.opts.argo_rollouts, ids.rollouts) {
            let rollout_ids = rollouts::RolloutIds {
                rollouts,
                analysisruns: ids.analysisruns,
            };
            for r in all(cx.store, rollouts) {
                rollouts::reconcile(self, &mut cx, &rollout_ids, &r);
            }
        }
        if let Some(charts) = reg.by_kind("helm.cattle.io/v1", "HelmChart") {
            let helm_ids = helmchart::HelmIds {
                charts,
                configs: reg.by_kind("helm.cattle.io/v1", "HelmChartConfig"),
            };
            helmchart::reconcile(self, &mut cx, &helm_ids);
        }
        loadbalancer::reconcile(self, &mut cx);
        hpa::reconcile(self, &mut cx, &shared.metrics, shared.opts.autoscale);
        // Forget batch pods that are gone.
        if let Some(pods) = cx.store.res(ids.pods) {
            let live: HashSet<&str> = pods.objects.values().map(|s| uid(&s.value)).collect();
            self.batch.retain(|u, _| live.contains(u.as_str()));
        }
    }

    /// Deletes ReplicaSets and pods whose controlling owner (a workload,
    /// Job or Workflow) was seen and is now gone (seeded orphans stay):
    /// background propagation. An orphaning delete already removed the
    /// ownerReferences, so those dependents stay.
    fn collect_garbage(&mut self, cx: &mut Cx) {
        let ids = cx.ids;
        let owner_ids = [
            Some(ids.deployments),
            Some(ids.replicasets),
            Some(ids.statefulsets),
            Some(ids.daemonsets),
            Some(ids.jobs),
            ids.workflows,
            ids.rollouts,
        ];
        let mut now: HashSet<String> = HashSet::new();
        for id in owner_ids.into_iter().flatten() {
            if let Some(r) = cx.store.res(id) {
                now.extend(r.objects.values().map(|s| uid(&s.value).to_string()));
            }
        }
        let mut gone: HashSet<String> = self.owners.difference(&now).cloned().collect();
        self.owners = now;
        if gone.is_empty() {
            return;
        }
        for id in [
            Some(ids.replicasets),
            Some(ids.controller_revisions),
            ids.analysisruns,
            Some(ids.pods),
        ]
        .into_iter()
        .flatten()
        {
            let victims: Vec<Value> = cx
                .store
                .res(id)
                .map(|r| {
                    r.objects
                        .values()
                        .filter(|s| controller_uid(&s.value).is_some_and(|u| gone.contains(u)))
                        .map(|s| s.value.as_ref().clone())
                        .collect()
                })
                .unwrap_or_default();
            for v in victims {
                gone.insert(uid(&v).to_string());
                cx.delete(id, &v);
            }
        }
    }
}

/// Runs the controllers every `rollout_step` until aborted.
pub(crate) fn spawn(shared: Arc<Shared>, mut ctl: Controller) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let step = shared
            .opts
            .rollout_step
            .max(std::time::Duration::from_millis(1));
        // A tick holds the store's write lock; on a big cluster it takes a
        // while, so the next one waits at least as long again and the API
        // is never starved (at most half of the time goes to controllers).
        let mut pause = step;
        loop {
            tokio::time::sleep(pause).await;
            let started = std::time::Instant::now();
            ctl.tick(&shared);
            pause = step.max(started.elapsed());
        }
    })
}

/// What the deployment controller writes after `progressDeadlineSeconds`.
pub(crate) fn exceed_deadline(shared: &Shared, ns: &str, name: &str) -> Result<(), ApiError> {
    let reg = &shared.registry;
    let Some(ids) = Ids::new(reg) else {
        return Ok(());
    };
    let mut store = shared.write();
    let mut cx = Cx {
        store: &mut store,
        reg,
        ids,
        knobs: &shared.knobs,
    };
    let d = cx
        .get(ids.deployments, ns, name)
        .ok_or_else(|| ApiError::not_found(&reg.get(ids.deployments), name))?;
    deployment::mark_deadline_exceeded(&mut cx, &d);
    Ok(())
}

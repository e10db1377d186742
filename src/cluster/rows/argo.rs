//! Argo Rollouts rows: Rollouts (the `list rollouts` columns and what the
//! `get rollout` picture needs), their ReplicaSets and their AnalysisRuns.
//! The picture is drawn from these three stores plus the pods, so it moves
//! with the watchers (cluster::argo_rollouts::picture).

use std::collections::BTreeMap;
use std::sync::Arc;

use k8s_openapi::api::apps::v1::ReplicaSet;
use kube::api::DynamicObject;
use serde_json::Value;

use super::workload::Selector;
use super::{Health, Labels, Row, compact_labels};
use crate::cluster::age::{Epoch, epoch};
use crate::cluster::argo_rollouts::{self as argo, Phase, Rollout, status};

#[derive(Debug, Clone)]
pub struct RolloutRow {
    pub namespace: Box<str>,
    pub name: Box<str>,
    pub created: Option<Epoch>,
    /// "Canary", "BlueGreen" or "unknown".
    pub strategy: &'static str,
    pub phase: Phase,
    pub message: Box<str>,
    /// "1/4" or "-".
    pub step: Box<str>,
    /// "20" or "-".
    pub set_weight: Box<str>,
    pub desired: i32,
    pub current: i32,
    pub updated: i32,
    pub ready: i32,
    pub available: i32,
    pub images: Box<str>,
    /// (container, image) of the pod template, for `set image`.
    pub containers: Box<[(Box<str>, Box<str>)]>,
    pub selector: Selector,
    pub labels: Labels,
    /// The parsed object without its pod template, for the picture and
    /// the actions' preconditions.
    pub rollout: Arc<RolloutFacts>,
    /// Why the object could not be read; the row says so and nothing else
    /// is disturbed.
    pub problem: Box<str>,
    search: Box<str>,
}

/// The Rollout as parsed (its pod template dropped), kept for the picture
/// and the actions' preconditions.
#[derive(Debug, Clone, Default)]
pub struct RolloutFacts(pub Rollout);

impl Row for RolloutRow {
    fn ident(&self) -> (&str, &str) {
        (&self.namespace, &self.name)
    }
    fn labels(&self) -> &[(Box<str>, Box<str>)] {
        &self.labels
    }
    fn search_text(&self) -> &str {
        &self.search
    }
}

fn created(meta: &kube::api::ObjectMeta) -> Option<Epoch> {
    meta.creation_timestamp.as_ref().map(epoch)
}

impl RolloutRow {
    pub fn from_object(object: &DynamicObject) -> Self {
        let namespace = object.metadata.namespace.clone().unwrap_or_default();
        let name = object.metadata.name.clone().unwrap_or_default();
        let value = serde_json::to_value(object).unwrap_or(Value::Null);
        let (mut rollout, problem) = match Rollout::from_value(&value) {
            Ok(rollout) => (rollout, String::new()),
            Err(why) => (Rollout::default(), why),
        };
        let images = rollout.images().join(",");
        let containers = rollout
            .spec
            .template
            .as_ref()
            .and_then(|t| t.pointer("/spec/containers"))
            .and_then(Value::as_array)
            .map(|list| {
                list.iter()
                    .map(|c| {
                        let field = |k: &str| -> Box<str> {
                            c.get(k).and_then(Value::as_str).unwrap_or_default().into()
                        };
                        (field("name"), field("image"))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let selector = rollout
            .spec
            .selector
            .as_ref()
            .map(Selector::from_label_selector)
            .unwrap_or_default();
        rollout.spec.template = None;
        let (phase, message) = if problem.is_empty() {
            status::phase(&rollout)
        } else {
            (Phase::Degraded, problem.clone())
        };
        let state = rollout.status();
        RolloutRow {
            strategy: if problem.is_empty() {
                status::strategy_name(&rollout)
            } else {
                "unknown"
            },
            phase,
            step: status::step_text(&rollout).into(),
            set_weight: status::set_weight_text(&rollout).into(),
            desired: rollout.desired(),
            current: state.replicas,
            updated: state.updated_replicas,
            ready: state.ready_replicas,
            available: state.available_replicas,
            images: images.into(),
            containers,
            selector,
            labels: compact_labels(object.metadata.labels.as_ref()),
            created: created(&object.metadata),
            search: format!("{namespace}/{name} {} {message}", phase.as_str())
                .to_lowercase()
                .into(),
            message: message.into(),
            problem: problem.into(),
            namespace: namespace.into(),
            name: name.into(),
            rollout: Arc::new(RolloutFacts(rollout)),
        }
    }

    pub fn health(&self) -> Health {
        match self.phase {
            Phase::Healthy => Health::Ok,
            Phase::Progressing => Health::Pending,
            Phase::Paused => Health::Warn,
            Phase::Degraded => Health::Error,
        }
    }

    /// "Paused - CanaryPauseStep", as `kubectl argo rollouts status` says it.
    pub fn status_text(&self) -> String {
        if self.message.is_empty() {
            self.phase.as_str().to_string()
        } else {
            format!("{} - {}", self.phase.as_str(), self.message)
        }
    }
}

/// A ReplicaSet owned by a Rollout (it carries `rollouts-pod-template-hash`).
#[derive(Debug, Clone, PartialEq)]
pub struct RolloutReplicaSetRow {
    pub namespace: Box<str>,
    pub name: Box<str>,
    /// The owning Rollout's name; empty when not owned by one.
    pub rollout: Box<str>,
    pub hash: Box<str>,
    pub revision: i64,
    pub desired: i32,
    pub replicas: i32,
    pub ready: i32,
    pub available: i32,
    /// generation > observedGeneration.
    pub unobserved: bool,
    pub replica_failure: bool,
    pub images: Box<[Box<str>]>,
    /// The `scale-down-deadline` annotation (RFC 3339).
    pub scale_down_deadline: Box<str>,
    pub created: Option<Epoch>,
    pub labels: Labels,
}

impl Row for RolloutReplicaSetRow {
    fn ident(&self) -> (&str, &str) {
        (&self.namespace, &self.name)
    }
    fn labels(&self) -> &[(Box<str>, Box<str>)] {
        &self.labels
    }
    fn search_text(&self) -> &str {
        &self.name
    }
}

fn revision_of(annotations: Option<&BTreeMap<String, String>>) -> i64 {
    annotations
        .and_then(|a| a.get(argo::REVISION_ANNOTATION))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn rollout_owner(meta: &kube::api::ObjectMeta) -> String {
    meta.owner_references
        .as_deref()
        .unwrap_or_default()
        .iter()
        .find(|o| o.kind == "Rollout")
        .map(|o| o.name.clone())
        .unwrap_or_default()
}

impl RolloutReplicaSetRow {
    pub fn from_replicaset(rs: &ReplicaSet) -> Self {
        let meta = &rs.metadata;
        let status = rs.status.clone().unwrap_or_default();
        let spec = rs.spec.clone().unwrap_or_default();
        let images = spec
            .template
            .as_ref()
            .and_then(|t| t.spec.as_ref())
            .map(|s| {
                s.containers
                    .iter()
                    .filter_map(|c| c.image.as_deref())
                    .map(Box::from)
                    .collect()
            })
            .unwrap_or_default();
        let hash = meta
            .labels
            .as_ref()
            .and_then(|l| l.get(argo::HASH_LABEL))
            .cloned()
            .unwrap_or_default();
        RolloutReplicaSetRow {
            namespace: meta.namespace.clone().unwrap_or_default().into(),
            name: meta.name.clone().unwrap_or_default().into(),
            rollout: rollout_owner(meta).into(),
            hash: hash.into(),
            revision: revision_of(meta.annotations.as_ref()),
            desired: spec.replicas.unwrap_or(1),
            replicas: status.replicas,
            ready: status.ready_replicas.unwrap_or(0),
            available: status.available_replicas.unwrap_or(0),
            unobserved: meta.generation.unwrap_or(0) > status.observed_generation.unwrap_or(0),
            replica_failure: status
                .conditions
                .unwrap_or_default()
                .iter()
                .any(|c| c.type_ == "ReplicaFailure" && c.status == "True"),
            images,
            scale_down_deadline: meta
                .annotations
                .as_ref()
                .and_then(|a| a.get("scale-down-deadline"))
                .cloned()
                .unwrap_or_default()
                .into(),
            created: created(meta),
            labels: compact_labels(meta.labels.as_ref()),
        }
    }

    /// `getReplicaSetHealth` (info/replicaset_info.go).
    pub fn status(&self) -> &'static str {
        if self.unobserved || self.available < self.desired {
            "Progressing"
        } else if self.replica_failure {
            "ReplicaFailure"
        } else if self.desired == 0 {
            "ScaledDown"
        } else {
            "Healthy"
        }
    }
}

/// One metric's results in an AnalysisRun.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricResult {
    pub name: Box<str>,
    pub phase: Box<str>,
    pub successful: i32,
    pub failed: i32,
    pub inconclusive: i32,
    pub error: i32,
    /// The latest measurement's value, if any.
    pub last_value: Box<str>,
    pub message: Box<str>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AnalysisRunRow {
    pub namespace: Box<str>,
    pub name: Box<str>,
    pub rollout: Box<str>,
    pub revision: i64,
    pub phase: Box<str>,
    pub message: Box<str>,
    pub metrics: Box<[MetricResult]>,
    /// Jobs the job provider ran: (name, phase).
    pub jobs: Box<[(Box<str>, Box<str>)]>,
    pub created: Option<Epoch>,
    pub labels: Labels,
}

impl Row for AnalysisRunRow {
    fn ident(&self) -> (&str, &str) {
        (&self.namespace, &self.name)
    }
    fn labels(&self) -> &[(Box<str>, Box<str>)] {
        &self.labels
    }
    fn search_text(&self) -> &str {
        &self.name
    }
}

impl AnalysisRunRow {
    pub fn from_object(object: &DynamicObject) -> Self {
        let meta = &object.metadata;
        let status = object.data.get("status").cloned().unwrap_or(Value::Null);
        let text = |v: &Value, key: &str| -> Box<str> {
            v.get(key)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .into()
        };
        let count = |v: &Value, key: &str| -> i32 {
            v.get(key)
                .and_then(Value::as_i64)
                .and_then(|n| i32::try_from(n).ok())
                .unwrap_or(0)
        };
        let mut jobs = Vec::new();
        let metrics = status
            .get("metricResults")
            .and_then(Value::as_array)
            .map(|list| {
                list.iter()
                    .map(|m| {
                        let measurements = m
                            .get("measurements")
                            .and_then(Value::as_array)
                            .cloned()
                            .unwrap_or_default();
                        for measurement in &measurements {
                            if let Some(job) = measurement
                                .pointer("/metadata/job-name")
                                .and_then(Value::as_str)
                            {
                                jobs.push((job.into(), text(measurement, "phase")));
                            }
                        }
                        MetricResult {
                            name: text(m, "name"),
                            phase: text(m, "phase"),
                            successful: count(m, "successful"),
                            failed: count(m, "failed"),
                            inconclusive: count(m, "inconclusive"),
                            error: count(m, "error"),
                            last_value: measurements
                                .last()
                                .map(|last| text(last, "value"))
                                .unwrap_or_default(),
                            message: text(m, "message"),
                        }
                    })
                    .collect()
            })
            .unwrap_or_default();
        AnalysisRunRow {
            namespace: meta.namespace.clone().unwrap_or_default().into(),
            name: meta.name.clone().unwrap_or_default().into(),
            rollout: rollout_owner(meta).into(),
            revision: revision_of(meta.annotations.as_ref()),
            phase: text(&status, "phase"),
            message: text(&status, "message"),
            metrics,
            jobs: jobs.into(),
            created: created(meta),
            labels: compact_labels(meta.labels.as_ref()),
        }
    }

    /// INFO: `✔ 4,✖ 4,? 1,⚠ 1`, only the counts above zero
    /// (cmd/get/get_rollout.go).
    pub fn info(&self) -> String {
        let sum = |f: fn(&MetricResult) -> i32| self.metrics.iter().map(f).sum::<i32>();
        [
            ("✔", sum(|m| m.successful)),
            ("✖", sum(|m| m.failed)),
            ("?", sum(|m| m.inconclusive)),
            ("⚠", sum(|m| m.error)),
        ]
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(icon, n)| format!("{icon} {n}"))
        .collect::<Vec<_>>()
        .join(",")
    }
}

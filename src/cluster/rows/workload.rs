//! Deployment / StatefulSet / DaemonSet rows and kubectl's rollout-status
//! rules (DESIGN §5).

use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, StatefulSet};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use super::{Health, Labels, Row, compact_labels};
use crate::cluster::age::{Epoch, epoch};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WorkloadKind {
    Deployment,
    StatefulSet,
    DaemonSet,
}

impl WorkloadKind {
    pub fn as_str(self) -> &'static str {
        match self {
            WorkloadKind::Deployment => "Deployment",
            WorkloadKind::StatefulSet => "StatefulSet",
            WorkloadKind::DaemonSet => "DaemonSet",
        }
    }
}

/// Where a rollout stands, by kubectl's `rollout status` rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RolloutState {
    Complete,
    /// Waiting, with kubectl's words ("2 of 3 updated replicas are available").
    Progressing(String),
    Paused,
    Failed(String),
}

impl RolloutState {
    pub fn health(&self) -> Health {
        match self {
            RolloutState::Complete => Health::Ok,
            RolloutState::Progressing(_) => Health::Pending,
            RolloutState::Paused => Health::Warn,
            RolloutState::Failed(_) => Health::Error,
        }
    }

    pub fn text(&self) -> String {
        match self {
            RolloutState::Complete => "complete".to_string(),
            RolloutState::Progressing(why) => why.clone(),
            RolloutState::Paused => "paused".to_string(),
            RolloutState::Failed(why) => format!("failed: {why}"),
        }
    }
}

/// One matchExpressions entry: key, operator, values.
pub type Expression = (Box<str>, Box<str>, Box<[Box<str>]>);

/// A label selector kept for drill-down (workload -> its pods).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Selector {
    pub match_labels: Labels,
    /// (key, operator, values) of matchExpressions.
    pub expressions: Box<[Expression]>,
}

impl Selector {
    pub fn from_label_selector(selector: &LabelSelector) -> Self {
        Selector {
            match_labels: compact_labels(selector.match_labels.as_ref()),
            expressions: selector
                .match_expressions
                .iter()
                .flatten()
                .map(|expression| {
                    (
                        expression.key.as_str().into(),
                        expression.operator.as_str().into(),
                        expression
                            .values
                            .iter()
                            .flatten()
                            .map(|value| value.as_str().into())
                            .collect(),
                    )
                })
                .collect(),
        }
    }

    /// Does a pod with these labels belong? An empty selector matches nothing,
    /// as a workload without a selector owns no pods.
    pub fn matches(&self, labels: &[(Box<str>, Box<str>)]) -> bool {
        if self.match_labels.is_empty() && self.expressions.is_empty() {
            return false;
        }
        let get = |key: &str| {
            labels
                .iter()
                .find(|(label, _)| label.as_ref() == key)
                .map(|(_, value)| value.as_ref())
        };
        let labels_match = self
            .match_labels
            .iter()
            .all(|(key, value)| get(key) == Some(value.as_ref()));
        labels_match
            && self.expressions.iter().all(|(key, operator, values)| {
                let value = get(key);
                match operator.as_ref() {
                    "In" => value.is_some_and(|v| values.iter().any(|x| x.as_ref() == v)),
                    "NotIn" => value.is_none_or(|v| values.iter().all(|x| x.as_ref() != v)),
                    "Exists" => value.is_some(),
                    "DoesNotExist" => value.is_none(),
                    _ => false,
                }
            })
    }

    /// `app=blog,tier in (web)` text, as kubectl shows selectors.
    pub fn to_query(&self) -> String {
        let mut parts: Vec<String> = self
            .match_labels
            .iter()
            .map(|(key, value)| format!("{key}={value}"))
            .collect();
        for (key, operator, values) in self.expressions.iter() {
            let list = values
                .iter()
                .map(|v| v.as_ref())
                .collect::<Vec<_>>()
                .join(",");
            parts.push(match operator.as_ref() {
                "In" => format!("{key} in ({list})"),
                "NotIn" => format!("{key} notin ({list})"),
                "Exists" => key.to_string(),
                "DoesNotExist" => format!("!{key}"),
                other => format!("{key} {other} ({list})"),
            });
        }
        parts.join(",")
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct WorkloadRow {
    pub kind: WorkloadKind,
    pub namespace: Box<str>,
    pub name: Box<str>,
    pub desired: i32,
    /// Pods of any revision (status.replicas); more than `updated` means
    /// old pods are still around.
    pub current: i32,
    pub ready: i32,
    pub updated: i32,
    pub available: i32,
    pub created: Option<Epoch>,
    pub rollout: RolloutState,
    pub selector: Selector,
    pub labels: Labels,
    pub images: Box<str>,
    search: Box<str>,
}

impl Row for WorkloadRow {
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

impl WorkloadRow {
    pub fn health(&self) -> Health {
        match &self.rollout {
            RolloutState::Complete if self.ready < self.desired => Health::Warn,
            state => state.health(),
        }
    }

    fn build(
        kind: WorkloadKind,
        meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta,
        counts: [i32; 5],
        rollout: RolloutState,
        selector: Selector,
        images: String,
    ) -> Self {
        let namespace = meta.namespace.clone().unwrap_or_default();
        let name = meta.name.clone().unwrap_or_default();
        let search = format!("{namespace}/{name} {}", rollout.text()).to_lowercase();
        let [desired, current, ready, updated, available] = counts;
        WorkloadRow {
            kind,
            desired,
            current,
            ready,
            updated,
            available,
            created: meta.creation_timestamp.as_ref().map(epoch),
            rollout,
            selector,
            labels: compact_labels(meta.labels.as_ref()),
            images: images.into(),
            namespace: namespace.into(),
            name: name.into(),
            search: search.into(),
        }
    }

    pub fn from_deployment(deployment: &Deployment) -> Self {
        let spec = deployment.spec.as_ref();
        let status = deployment.status.clone().unwrap_or_default();
        let desired = spec.and_then(|spec| spec.replicas).unwrap_or(1);
        let selector = spec
            .map(|spec| Selector::from_label_selector(&spec.selector))
            .unwrap_or_default();
        let images = spec
            .and_then(|spec| spec.template.spec.as_ref())
            .map(pod_images)
            .unwrap_or_default();
        Self::build(
            WorkloadKind::Deployment,
            &deployment.metadata,
            [
                desired,
                status.replicas.unwrap_or(0),
                status.ready_replicas.unwrap_or(0),
                status.updated_replicas.unwrap_or(0),
                status.available_replicas.unwrap_or(0),
            ],
            deployment_rollout(deployment),
            selector,
            images,
        )
    }

    pub fn from_statefulset(statefulset: &StatefulSet) -> Self {
        let spec = statefulset.spec.as_ref();
        let status = statefulset.status.clone().unwrap_or_default();
        let desired = spec.and_then(|spec| spec.replicas).unwrap_or(1);
        let selector = spec
            .map(|spec| Selector::from_label_selector(&spec.selector))
            .unwrap_or_default();
        let images = spec
            .and_then(|spec| spec.template.spec.as_ref())
            .map(pod_images)
            .unwrap_or_default();
        Self::build(
            WorkloadKind::StatefulSet,
            &statefulset.metadata,
            [
                desired,
                status.replicas,
                status.ready_replicas.unwrap_or(0),
                status.updated_replicas.unwrap_or(0),
                status.available_replicas.unwrap_or(0),
            ],
            statefulset_rollout(statefulset),
            selector,
            images,
        )
    }

    pub fn from_daemonset(daemonset: &DaemonSet) -> Self {
        let spec = daemonset.spec.as_ref();
        let status = daemonset.status.clone().unwrap_or_default();
        let selector = spec
            .map(|spec| Selector::from_label_selector(&spec.selector))
            .unwrap_or_default();
        let images = spec
            .and_then(|spec| spec.template.spec.as_ref())
            .map(pod_images)
            .unwrap_or_default();
        Self::build(
            WorkloadKind::DaemonSet,
            &daemonset.metadata,
            [
                status.desired_number_scheduled,
                status.current_number_scheduled,
                status.number_ready,
                status.updated_number_scheduled.unwrap_or(0),
                status.number_available.unwrap_or(0),
            ],
            daemonset_rollout(daemonset),
            selector,
            images,
        )
    }
}

fn pod_images(spec: &k8s_openapi::api::core::v1::PodSpec) -> String {
    spec.containers
        .iter()
        .filter_map(|container| container.image.as_deref())
        .collect::<Vec<_>>()
        .join(",")
}

/// kubectl's DeploymentStatusViewer.
pub fn deployment_rollout(deployment: &Deployment) -> RolloutState {
    let spec = deployment.spec.as_ref();
    if spec.and_then(|spec| spec.paused) == Some(true) {
        return RolloutState::Paused;
    }
    let Some(status) = deployment.status.as_ref() else {
        return RolloutState::Progressing("waiting for rollout to start".to_string());
    };
    let generation = deployment.metadata.generation.unwrap_or(0);
    if status.observed_generation.unwrap_or(0) < generation {
        return RolloutState::Progressing("waiting for spec update to be observed".to_string());
    }
    let failed = status.conditions.iter().flatten().any(|condition| {
        condition.type_ == "Progressing"
            && condition.reason.as_deref() == Some("ProgressDeadlineExceeded")
    });
    if failed {
        return RolloutState::Failed("progress deadline exceeded".to_string());
    }
    let desired = spec.and_then(|spec| spec.replicas).unwrap_or(1);
    let updated = status.updated_replicas.unwrap_or(0);
    let replicas = status.replicas.unwrap_or(0);
    let available = status.available_replicas.unwrap_or(0);
    if updated < desired {
        return RolloutState::Progressing(format!("{updated} of {desired} updated"));
    }
    if replicas > updated {
        return RolloutState::Progressing(format!(
            "{} old replicas pending termination",
            replicas - updated
        ));
    }
    if available < updated {
        return RolloutState::Progressing(format!("{available} of {updated} updated available"));
    }
    RolloutState::Complete
}

/// kubectl's StatefulSetStatusViewer (RollingUpdate only; OnDelete has no
/// rollout status and counts as complete).
pub fn statefulset_rollout(statefulset: &StatefulSet) -> RolloutState {
    let spec = statefulset.spec.as_ref();
    let strategy = spec.and_then(|spec| spec.update_strategy.as_ref());
    let strategy_type = strategy
        .and_then(|strategy| strategy.type_.as_deref())
        .unwrap_or("RollingUpdate");
    if strategy_type != "RollingUpdate" {
        return RolloutState::Complete;
    }
    let Some(status) = statefulset.status.as_ref() else {
        return RolloutState::Progressing("waiting for rollout to start".to_string());
    };
    let generation = statefulset.metadata.generation.unwrap_or(0);
    if status.observed_generation.unwrap_or(0) < generation {
        return RolloutState::Progressing("waiting for spec update to be observed".to_string());
    }
    let desired = spec.and_then(|spec| spec.replicas).unwrap_or(1);
    let ready = status.ready_replicas.unwrap_or(0);
    if ready < desired {
        return RolloutState::Progressing(format!("{ready} of {desired} ready"));
    }
    let partition = strategy
        .and_then(|strategy| strategy.rolling_update.as_ref())
        .and_then(|rolling| rolling.partition)
        .unwrap_or(0);
    if partition > 0 {
        let updated = status.updated_replicas.unwrap_or(0);
        if updated < desired - partition {
            return RolloutState::Progressing(format!(
                "{updated} of {} new pods updated (partition {partition})",
                desired - partition
            ));
        }
        return RolloutState::Complete;
    }
    if status.update_revision != status.current_revision {
        let updated = status.updated_replicas.unwrap_or(0);
        return RolloutState::Progressing(format!("{updated} of {desired} updated"));
    }
    RolloutState::Complete
}

/// kubectl's DaemonSetStatusViewer.
pub fn daemonset_rollout(daemonset: &DaemonSet) -> RolloutState {
    let strategy_type = daemonset
        .spec
        .as_ref()
        .and_then(|spec| spec.update_strategy.as_ref())
        .and_then(|strategy| strategy.type_.as_deref())
        .unwrap_or("RollingUpdate");
    if strategy_type != "RollingUpdate" {
        return RolloutState::Complete;
    }
    let Some(status) = daemonset.status.as_ref() else {
        return RolloutState::Progressing("waiting for rollout to start".to_string());
    };
    let generation = daemonset.metadata.generation.unwrap_or(0);
    if status.observed_generation.unwrap_or(0) < generation {
        return RolloutState::Progressing("waiting for spec update to be observed".to_string());
    }
    let desired = status.desired_number_scheduled;
    let updated = status.updated_number_scheduled.unwrap_or(0);
    if updated < desired {
        return RolloutState::Progressing(format!("{updated} of {desired} updated"));
    }
    let available = status.number_available.unwrap_or(0);
    if available < desired {
        return RolloutState::Progressing(format!("{available} of {desired} updated available"));
    }
    RolloutState::Complete
}

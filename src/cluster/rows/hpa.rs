//! HorizontalPodAutoscaler rows (autoscaling/v2), printed as `kubectl get
//! hpa` prints them: REFERENCE `Kind/name`, TARGETS by kubectl's
//! `formatHPAMetrics` (pkg/printers/internalversion/printers.go: at most two
//! metrics then "+ N more...", `<unknown>` without a current value,
//! `cpu: 45%/70%`, `<auto>` for a missing utilization target), MINPODS
//! `<unset>` when absent, REPLICAS the current count. Conditions are kept
//! for the detail; one that says the HPA cannot scale marks the row.

use k8s_openapi::api::autoscaling::v2::{
    HorizontalPodAutoscaler, MetricSpec, MetricStatus, MetricTarget, MetricValueStatus,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

use super::{Health, Labels, Row, compact_labels};
use crate::cluster::age::{Epoch, epoch};

#[derive(Debug, Clone, PartialEq)]
pub struct HpaRow {
    pub namespace: Box<str>,
    pub name: Box<str>,
    /// `Deployment/web`.
    pub reference: Box<str>,
    /// The target's kind and name, for workload rows ("HPA 2–10").
    pub target_kind: Box<str>,
    pub target_name: Box<str>,
    pub targets: Box<str>,
    pub min_pods: Option<i32>,
    pub max_pods: i32,
    pub replicas: i32,
    pub desired: i32,
    pub created: Option<Epoch>,
    /// (type, status, reason, message) as the API has them.
    pub conditions: Box<[HpaCondition]>,
    pub health: Health,
    /// The condition that keeps it from scaling, in words; empty when fine.
    pub problem: Box<str>,
    pub labels: Labels,
    search: Box<str>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HpaCondition {
    pub kind: Box<str>,
    pub status: Box<str>,
    pub reason: Box<str>,
    pub message: Box<str>,
}

impl Row for HpaRow {
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

impl HpaRow {
    pub fn from_hpa(hpa: &HorizontalPodAutoscaler) -> Self {
        let spec = hpa.spec.clone().unwrap_or_default();
        let status = hpa.status.clone().unwrap_or_default();
        let namespace = hpa.metadata.namespace.clone().unwrap_or_default();
        let name = hpa.metadata.name.clone().unwrap_or_default();
        let target = &spec.scale_target_ref;
        let reference = format!("{}/{}", target.kind, target.name);
        let targets = format_metrics(
            spec.metrics.as_deref().unwrap_or_default(),
            status.current_metrics.as_deref().unwrap_or_default(),
        );
        let conditions: Box<[HpaCondition]> = status
            .conditions
            .unwrap_or_default()
            .into_iter()
            .map(|c| HpaCondition {
                kind: c.type_.into(),
                status: c.status.into(),
                reason: c.reason.unwrap_or_default().into(),
                message: c.message.unwrap_or_default().into(),
            })
            .collect();
        // AbleToScale or ScalingActive False: the HPA is not doing its job
        // (no metrics, the target missing); ScalingLimited is only said.
        let stuck = conditions.iter().find(|c| {
            (&*c.kind == "AbleToScale" || &*c.kind == "ScalingActive") && &*c.status == "False"
        });
        let (health, problem) = match stuck {
            Some(c) => (Health::Warn, format!("{}: {}", c.reason, c.message)),
            None => (Health::Ok, String::new()),
        };
        HpaRow {
            search: format!("{namespace}/{name} {reference}")
                .to_lowercase()
                .into(),
            reference: reference.into(),
            target_kind: target.kind.as_str().into(),
            target_name: target.name.as_str().into(),
            targets: targets.into(),
            min_pods: spec.min_replicas,
            max_pods: spec.max_replicas,
            replicas: status.current_replicas.unwrap_or(0),
            desired: status.desired_replicas,
            created: hpa.metadata.creation_timestamp.as_ref().map(epoch),
            conditions,
            health,
            problem: problem.into(),
            labels: compact_labels(hpa.metadata.labels.as_ref()),
            namespace: namespace.into(),
            name: name.into(),
        }
    }

    /// MINPODS as kubectl prints it.
    pub fn min_text(&self) -> String {
        self.min_pods
            .map(|n| n.to_string())
            .unwrap_or_else(|| "<unset>".into())
    }

    /// "2–10" for a workload row (the API's default minimum is 1).
    pub fn range(&self) -> String {
        format!("{}–{}", self.min_pods.unwrap_or(1), self.max_pods)
    }
}

fn quantity(q: Option<&Quantity>) -> String {
    q.map(|q| q.0.clone())
        .unwrap_or_else(|| "<unknown>".to_string())
}

/// External and Object metrics: `current/target (avg)` with an average
/// target, else `current/target` of the plain value.
fn value_or_average(target: Option<&MetricTarget>, current: Option<&MetricValueStatus>) -> String {
    match target {
        Some(target) if target.average_value.is_some() => format!(
            "{}/{} (avg)",
            quantity(current.and_then(|c| c.average_value.as_ref())),
            quantity(target.average_value.as_ref())
        ),
        target => format!(
            "{}/{}",
            quantity(current.and_then(|c| c.value.as_ref())),
            quantity(target.and_then(|t| t.value.as_ref()))
        ),
    }
}

/// kubectl's `formatHPAMetrics`, for autoscaling/v2.
pub fn format_metrics(specs: &[MetricSpec], statuses: &[MetricStatus]) -> String {
    if specs.is_empty() {
        return "<none>".into();
    }
    const MAXIMUM: usize = 2;
    let unknown = || "<unknown>".to_string();
    let mut list = Vec::new();
    for (i, spec) in specs.iter().enumerate() {
        let status = statuses.get(i);
        let text = match spec.type_.as_str() {
            "External" => value_or_average(
                spec.external.as_ref().map(|e| &e.target),
                status.and_then(|s| s.external.as_ref()).map(|e| &e.current),
            ),
            "Pods" => {
                let current = status
                    .and_then(|s| s.pods.as_ref())
                    .and_then(|p| p.current.average_value.as_ref());
                let target = spec
                    .pods
                    .as_ref()
                    .and_then(|p| p.target.average_value.as_ref());
                format!("{}/{}", quantity(current), quantity(target))
            }
            "Object" => value_or_average(
                spec.object.as_ref().map(|o| &o.target),
                status.and_then(|s| s.object.as_ref()).map(|o| &o.current),
            ),
            "Resource" | "ContainerResource" => {
                let (name, target) = match (&spec.resource, &spec.container_resource) {
                    (Some(r), _) if spec.type_ == "Resource" => (r.name.as_str(), &r.target),
                    (_, Some(c)) => (c.name.as_str(), &c.target),
                    _ => {
                        list.push("<unknown type>".to_string());
                        continue;
                    }
                };
                let current = status.and_then(|s| {
                    if spec.type_ == "Resource" {
                        s.resource.as_ref().map(|r| &r.current)
                    } else {
                        s.container_resource.as_ref().map(|c| &c.current)
                    }
                });
                if let Some(average) = &target.average_value {
                    let current = current.and_then(|c| c.average_value.as_ref());
                    format!("{name}: {}/{}", quantity(current), average.0)
                } else {
                    let current = current
                        .and_then(|c| c.average_utilization)
                        .map(|u| format!("{u}%"))
                        .unwrap_or_else(unknown);
                    let target = target
                        .average_utilization
                        .map(|u| format!("{u}%"))
                        .unwrap_or_else(|| "<auto>".into());
                    format!("{name}: {current}/{target}")
                }
            }
            _ => "<unknown type>".into(),
        };
        list.push(text);
    }
    let count = list.len();
    if count > MAXIMUM {
        list.truncate(MAXIMUM);
        return format!("{} + {} more...", list.join(", "), count - MAXIMUM);
    }
    list.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hpa(yaml: &str) -> HpaRow {
        HpaRow::from_hpa(&serde_yaml::from_str(yaml).expect("hpa fixture"))
    }

    const SPEC: &str = r#"
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web, namespace: shop}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 2
  maxReplicas: 10
  metrics:
    - type: Resource
      resource: {name: cpu, target: {type: Utilization, averageUtilization: 70}}
    - type: Resource
      resource: {name: memory, target: {type: AverageValue, averageValue: 200Mi}}
"#;

    #[test]
    fn prints_as_kubectl_get_hpa() {
        let row = hpa(&format!(
            "{SPEC}status:
  currentReplicas: 3
  desiredReplicas: 3
  currentMetrics:
    - type: Resource
      resource: {{name: cpu, current: {{averageUtilization: 45, averageValue: 90m}}}}
    - type: Resource
      resource: {{name: memory, current: {{averageValue: 120Mi}}}}
"
        ));
        assert_eq!(&*row.reference, "Deployment/web");
        assert_eq!(&*row.targets, "cpu: 45%/70%, memory: 120Mi/200Mi");
        assert_eq!(row.min_text(), "2");
        assert_eq!((row.max_pods, row.replicas), (10, 3));
        assert_eq!(row.range(), "2–10");
        assert_eq!(row.health, Health::Ok);
    }

    #[test]
    fn without_metrics_the_targets_are_unknown_and_the_row_says_why() {
        let row = hpa(&format!(
            "{SPEC}status:
  currentReplicas: 2
  desiredReplicas: 2
  conditions:
    - type: AbleToScale
      status: 'True'
      reason: SucceededGetScale
      message: the HPA controller was able to get the target's current scale
    - type: ScalingActive
      status: 'False'
      reason: FailedGetResourceMetric
      message: 'the HPA was unable to compute the replica count: failed to get cpu utilization'
"
        ));
        assert_eq!(&*row.targets, "cpu: <unknown>/70%, memory: <unknown>/200Mi");
        assert_eq!(row.health, Health::Warn);
        assert!(
            row.problem
                .starts_with("FailedGetResourceMetric: the HPA was unable")
        );
    }

    #[test]
    fn more_than_two_metrics_and_the_other_kinds() {
        let row = hpa(r#"
spec:
  scaleTargetRef: {kind: StatefulSet, name: db}
  maxReplicas: 4
  metrics:
    - type: Pods
      pods: {metric: {name: packets}, target: {type: AverageValue, averageValue: 1k}}
    - type: External
      external: {metric: {name: queue}, target: {type: AverageValue, averageValue: "30"}}
    - type: Object
      object: {describedObject: {kind: Ingress, name: main}, metric: {name: rps}, target: {type: Value, value: 10k}}
"#);
        assert_eq!(
            &*row.targets,
            "<unknown>/1k, <unknown>/30 (avg) + 1 more..."
        );
        assert_eq!(row.min_text(), "<unset>");
        assert_eq!(row.range(), "1–4");
        let none = hpa("spec: {scaleTargetRef: {kind: Deployment, name: x}, maxReplicas: 3}");
        assert_eq!(&*none.targets, "<none>");
    }
}

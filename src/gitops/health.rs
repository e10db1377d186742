//! Health with Argo CD's rules and words (DESIGN §5), so users recognise it.
//!
//! Works on the live object as JSON: the apps view reads whatever kinds a
//! repo holds, not only the ones bosun has typed rows for.

use std::fmt;

use serde_json::Value;

/// Argo CD's health vocabulary. The order is "how bad": an app's health is
/// the worst of its objects (gitops-engine's `IsWorse`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Health {
    Healthy,
    Suspended,
    Progressing,
    Missing,
    Degraded,
    Unknown,
}

impl Health {
    pub fn as_str(self) -> &'static str {
        match self {
            Health::Healthy => "Healthy",
            Health::Suspended => "Suspended",
            Health::Progressing => "Progressing",
            Health::Missing => "Missing",
            Health::Degraded => "Degraded",
            Health::Unknown => "Unknown",
        }
    }
}

impl fmt::Display for Health {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A health verdict with the reason Argo CD would show next to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthStatus {
    pub health: Health,
    pub message: String,
}

impl HealthStatus {
    fn new(health: Health, message: impl Into<String>) -> HealthStatus {
        HealthStatus {
            health,
            message: message.into(),
        }
    }

    pub fn missing() -> HealthStatus {
        HealthStatus::new(Health::Missing, "not in the cluster")
    }
}

/// The worst of several verdicts (Healthy for none).
pub fn worst<'a>(all: impl IntoIterator<Item = &'a Health>) -> Health {
    all.into_iter().copied().max().unwrap_or(Health::Healthy)
}

/// Health of a live object; `None` for kinds without a health rule (Argo CD
/// counts those as healthy and shows nothing).
pub fn assess(group: &str, kind: &str, obj: &Value) -> Option<HealthStatus> {
    match (group, kind) {
        ("apps", "Deployment") => Some(deployment(obj)),
        ("apps", "StatefulSet") => Some(stateful_set(obj)),
        ("apps", "DaemonSet") => Some(daemon_set(obj)),
        ("apps", "ReplicaSet") => Some(replica_set(obj)),
        ("", "Pod") => Some(pod(obj)),
        ("batch", "Job") => Some(job(obj)),
        ("", "PersistentVolumeClaim") => Some(pvc(obj)),
        ("", "Service") => service(obj),
        ("networking.k8s.io", "Ingress") => Some(ingress(obj)),
        ("cert-manager.io", "Certificate") => Some(certificate(obj)),
        ("apiextensions.k8s.io", "CustomResourceDefinition") => Some(crd(obj)),
        ("argoproj.io", "Workflow") => Some(workflow(obj)),
        _ => None,
    }
}

fn int(obj: &Value, pointer: &str) -> i64 {
    obj.pointer(pointer).and_then(Value::as_i64).unwrap_or(0)
}

fn text<'a>(obj: &'a Value, pointer: &str) -> Option<&'a str> {
    obj.pointer(pointer).and_then(Value::as_str)
}

/// The condition of `type_` under status.conditions, if present.
fn condition<'a>(obj: &'a Value, type_: &str) -> Option<&'a Value> {
    obj.pointer("/status/conditions")?
        .as_array()?
        .iter()
        .find(|c| c.get("type").and_then(Value::as_str) == Some(type_))
}

fn condition_true(obj: &Value, type_: &str) -> bool {
    condition(obj, type_).and_then(|c| c.get("status").and_then(Value::as_str)) == Some("True")
}

fn condition_message(obj: &Value, type_: &str) -> String {
    condition(obj, type_)
        .and_then(|c| c.get("message").and_then(Value::as_str))
        .unwrap_or_default()
        .to_string()
}

fn generation_observed(obj: &Value) -> bool {
    let generation = int(obj, "/metadata/generation");
    let observed = int(obj, "/status/observedGeneration");
    generation == 0 || observed >= generation
}

/// The wanted replica count: spec.replicas defaults to 1.
fn spec_replicas(obj: &Value) -> i64 {
    obj.pointer("/spec/replicas")
        .and_then(Value::as_i64)
        .unwrap_or(1)
}

fn deployment(obj: &Value) -> HealthStatus {
    if obj.pointer("/spec/paused").and_then(Value::as_bool) == Some(true) {
        return HealthStatus::new(Health::Suspended, "Deployment is paused");
    }
    if !generation_observed(obj) {
        return HealthStatus::new(
            Health::Progressing,
            "Waiting for rollout to finish: observed deployment generation less than desired generation",
        );
    }
    if let Some(progressing) = condition(obj, "Progressing")
        && progressing.get("reason").and_then(Value::as_str) == Some("ProgressDeadlineExceeded")
    {
        let name = text(obj, "/metadata/name").unwrap_or_default();
        return HealthStatus::new(
            Health::Degraded,
            format!("Deployment {name:?} exceeded its progress deadline"),
        );
    }
    let wanted = spec_replicas(obj);
    let updated = int(obj, "/status/updatedReplicas");
    let current = int(obj, "/status/replicas");
    let available = int(obj, "/status/availableReplicas");
    if updated < wanted {
        return HealthStatus::new(
            Health::Progressing,
            format!(
                "Waiting for rollout to finish: {updated} out of {wanted} new replicas have been updated..."
            ),
        );
    }
    if current > updated {
        return HealthStatus::new(
            Health::Progressing,
            format!(
                "Waiting for rollout to finish: {} old replicas are pending termination...",
                current - updated
            ),
        );
    }
    if available < updated {
        return HealthStatus::new(
            Health::Progressing,
            format!(
                "Waiting for rollout to finish: {available} of {updated} updated replicas are available..."
            ),
        );
    }
    HealthStatus::new(Health::Healthy, "")
}

fn stateful_set(obj: &Value) -> HealthStatus {
    if !generation_observed(obj) {
        return HealthStatus::new(
            Health::Progressing,
            "Waiting for statefulset spec update to be observed...",
        );
    }
    let wanted = spec_replicas(obj);
    let ready = int(obj, "/status/readyReplicas");
    if ready < wanted {
        return HealthStatus::new(
            Health::Progressing,
            format!("Waiting for {} pods to be ready...", wanted - ready),
        );
    }
    let strategy = text(obj, "/spec/updateStrategy/type").unwrap_or("RollingUpdate");
    if strategy == "OnDelete" {
        return HealthStatus::new(
            Health::Healthy,
            "statefulset has no rolling update (OnDelete)",
        );
    }
    if let Some(partition) = obj
        .pointer("/spec/updateStrategy/rollingUpdate/partition")
        .and_then(Value::as_i64)
        && partition > 0
    {
        let updated = int(obj, "/status/updatedReplicas");
        if updated < wanted - partition {
            return HealthStatus::new(
                Health::Progressing,
                format!(
                    "Waiting for partitioned roll out to finish: {updated} out of {} new pods have been updated...",
                    wanted - partition
                ),
            );
        }
        return HealthStatus::new(Health::Healthy, "");
    }
    let update = text(obj, "/status/updateRevision");
    let current = text(obj, "/status/currentRevision");
    if update.is_some() && update != current {
        return HealthStatus::new(
            Health::Progressing,
            format!(
                "waiting for statefulset rolling update to complete {} pods at revision {}...",
                int(obj, "/status/updatedReplicas"),
                update.unwrap_or_default()
            ),
        );
    }
    HealthStatus::new(Health::Healthy, "")
}

fn daemon_set(obj: &Value) -> HealthStatus {
    if !generation_observed(obj) {
        return HealthStatus::new(
            Health::Progressing,
            "Waiting for rollout to finish: observed daemon set generation less than desired generation",
        );
    }
    let desired = int(obj, "/status/desiredNumberScheduled");
    let updated = int(obj, "/status/updatedNumberScheduled");
    let available = int(obj, "/status/numberAvailable");
    if updated < desired {
        return HealthStatus::new(
            Health::Progressing,
            format!(
                "Waiting for daemon set rollout to finish: {updated} out of {desired} new pods have been updated..."
            ),
        );
    }
    if available < desired {
        return HealthStatus::new(
            Health::Progressing,
            format!(
                "Waiting for daemon set rollout to finish: {available} of {desired} updated pods are available..."
            ),
        );
    }
    HealthStatus::new(Health::Healthy, "")
}

fn replica_set(obj: &Value) -> HealthStatus {
    let wanted = spec_replicas(obj);
    let available = int(obj, "/status/availableReplicas");
    if !generation_observed(obj) || available < wanted {
        return HealthStatus::new(
            Health::Progressing,
            format!(
                "Waiting for rollout to finish: {available} of {wanted} replicas are available..."
            ),
        );
    }
    HealthStatus::new(Health::Healthy, "")
}

/// Container waiting reasons that will not fix themselves.
const BAD_WAITING: [&str; 6] = [
    "CrashLoopBackOff",
    "ImagePullBackOff",
    "ErrImagePull",
    "CreateContainerConfigError",
    "InvalidImageName",
    "CreateContainerError",
];

fn pod(obj: &Value) -> HealthStatus {
    let statuses = |pointer: &str| {
        obj.pointer(pointer)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    for status in statuses("/status/initContainerStatuses")
        .iter()
        .chain(statuses("/status/containerStatuses").iter())
    {
        if let Some(reason) = status
            .pointer("/state/waiting/reason")
            .and_then(Value::as_str)
            && BAD_WAITING.contains(&reason)
        {
            let message = status
                .pointer("/state/waiting/message")
                .and_then(Value::as_str)
                .unwrap_or(reason);
            return HealthStatus::new(Health::Degraded, message);
        }
    }
    match text(obj, "/status/phase").unwrap_or("") {
        "Succeeded" => {
            HealthStatus::new(Health::Healthy, text(obj, "/status/message").unwrap_or(""))
        }
        "Failed" => HealthStatus::new(
            Health::Degraded,
            text(obj, "/status/message")
                .or_else(|| text(obj, "/status/reason"))
                .unwrap_or("pod failed"),
        ),
        "Running" => {
            let restart_always = text(obj, "/spec/restartPolicy").unwrap_or("Always") == "Always";
            if restart_always && !condition_true(obj, "Ready") {
                HealthStatus::new(Health::Progressing, "pod is running but not ready")
            } else {
                HealthStatus::new(Health::Healthy, "")
            }
        }
        "Pending" => HealthStatus::new(Health::Progressing, "pod is pending"),
        _ => HealthStatus::new(Health::Unknown, "pod phase unknown"),
    }
}

fn job(obj: &Value) -> HealthStatus {
    if condition_true(obj, "Complete") {
        return HealthStatus::new(Health::Healthy, condition_message(obj, "Complete"));
    }
    if condition_true(obj, "Failed") || condition_true(obj, "FailureTarget") {
        let message = condition_message(obj, "Failed");
        let message = if message.is_empty() {
            condition_message(obj, "FailureTarget")
        } else {
            message
        };
        return HealthStatus::new(Health::Degraded, message);
    }
    if obj.pointer("/spec/suspend").and_then(Value::as_bool) == Some(true) {
        return HealthStatus::new(Health::Suspended, "job is suspended");
    }
    HealthStatus::new(Health::Progressing, "job is running")
}

fn pvc(obj: &Value) -> HealthStatus {
    match text(obj, "/status/phase").unwrap_or("") {
        "Bound" => HealthStatus::new(Health::Healthy, ""),
        "Lost" => HealthStatus::new(Health::Degraded, "claim is lost"),
        "Pending" => HealthStatus::new(Health::Progressing, "claim is pending"),
        _ => HealthStatus::new(Health::Unknown, "claim phase unknown"),
    }
}

fn has_lb_ingress(obj: &Value) -> bool {
    obj.pointer("/status/loadBalancer/ingress")
        .and_then(Value::as_array)
        .is_some_and(|a| !a.is_empty())
}

fn service(obj: &Value) -> Option<HealthStatus> {
    if text(obj, "/spec/type") != Some("LoadBalancer") {
        return Some(HealthStatus::new(Health::Healthy, ""));
    }
    Some(if has_lb_ingress(obj) {
        HealthStatus::new(Health::Healthy, "")
    } else {
        HealthStatus::new(Health::Progressing, "waiting for a load-balancer address")
    })
}

fn ingress(obj: &Value) -> HealthStatus {
    if has_lb_ingress(obj) {
        HealthStatus::new(Health::Healthy, "")
    } else {
        HealthStatus::new(Health::Progressing, "waiting for a load-balancer address")
    }
}

fn certificate(obj: &Value) -> HealthStatus {
    if condition_true(obj, "Issuing") {
        return HealthStatus::new(Health::Progressing, condition_message(obj, "Issuing"));
    }
    match condition(obj, "Ready").and_then(|c| c.get("status").and_then(Value::as_str)) {
        Some("True") => HealthStatus::new(Health::Healthy, condition_message(obj, "Ready")),
        Some("False") => HealthStatus::new(Health::Degraded, condition_message(obj, "Ready")),
        _ => HealthStatus::new(
            Health::Progressing,
            "waiting for the certificate to be issued",
        ),
    }
}

fn crd(obj: &Value) -> HealthStatus {
    if condition_true(obj, "Established") {
        HealthStatus::new(Health::Healthy, "")
    } else {
        HealthStatus::new(Health::Progressing, "waiting for the CRD to be established")
    }
}

fn workflow(obj: &Value) -> HealthStatus {
    let message = text(obj, "/status/message").unwrap_or("").to_string();
    match text(obj, "/status/phase").unwrap_or("") {
        "" | "Pending" | "Running" => HealthStatus::new(Health::Progressing, message),
        "Succeeded" => HealthStatus::new(Health::Healthy, message),
        "Failed" | "Error" => HealthStatus::new(Health::Degraded, message),
        other => HealthStatus::new(Health::Unknown, format!("unknown phase {other}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn worst_follows_argo_order() {
        assert_eq!(
            worst(&[Health::Healthy, Health::Progressing]),
            Health::Progressing
        );
        assert_eq!(
            worst(&[Health::Missing, Health::Degraded]),
            Health::Degraded
        );
        assert_eq!(
            worst(&[Health::Suspended, Health::Healthy]),
            Health::Suspended
        );
        assert_eq!(worst(&[]), Health::Healthy);
    }

    #[test]
    fn deployment_rules() {
        let rolled = json!({"metadata": {"generation": 2}, "spec": {"replicas": 2},
            "status": {"observedGeneration": 2, "replicas": 2, "updatedReplicas": 2, "availableReplicas": 2}});
        assert_eq!(
            assess("apps", "Deployment", &rolled).map(|h| h.health),
            Some(Health::Healthy)
        );
        let rolling = json!({"metadata": {"generation": 2}, "spec": {"replicas": 2},
            "status": {"observedGeneration": 2, "replicas": 3, "updatedReplicas": 2, "availableReplicas": 2}});
        assert_eq!(
            assess("apps", "Deployment", &rolling).map(|h| h.health),
            Some(Health::Progressing)
        );
        let paused = json!({"spec": {"paused": true}});
        assert_eq!(
            assess("apps", "Deployment", &paused).map(|h| h.health),
            Some(Health::Suspended)
        );
        let stuck = json!({"metadata": {"generation": 1}, "spec": {"replicas": 1},
            "status": {"observedGeneration": 1, "conditions": [{"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded"}]}});
        assert_eq!(
            assess("apps", "Deployment", &stuck).map(|h| h.health),
            Some(Health::Degraded)
        );
    }

    #[test]
    fn pod_job_pvc_cert_rules() {
        let crash = json!({"status": {"phase": "Running", "containerStatuses": [{"state": {"waiting": {"reason": "CrashLoopBackOff"}}}]}});
        assert_eq!(
            assess("", "Pod", &crash).map(|h| h.health),
            Some(Health::Degraded)
        );
        let failing =
            json!({"status": {"conditions": [{"type": "FailureTarget", "status": "True"}]}});
        assert_eq!(
            assess("batch", "Job", &failing).map(|h| h.health),
            Some(Health::Degraded)
        );
        let pending = json!({"status": {"phase": "Pending"}});
        assert_eq!(
            assess("", "PersistentVolumeClaim", &pending).map(|h| h.health),
            Some(Health::Progressing)
        );
        let issuing = json!({"status": {"conditions": [{"type": "Ready", "status": "False"}, {"type": "Issuing", "status": "True"}]}});
        assert_eq!(
            assess("cert-manager.io", "Certificate", &issuing).map(|h| h.health),
            Some(Health::Progressing)
        );
        let lb = json!({"spec": {"type": "LoadBalancer"}, "status": {"loadBalancer": {}}});
        assert_eq!(
            assess("", "Service", &lb).map(|h| h.health),
            Some(Health::Progressing)
        );
        assert_eq!(assess("", "ConfigMap", &json!({})), None);
    }
}

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

/// API groups of Kubernetes itself: a kind from these without a rule below
/// has no health (ConfigMap, RBAC, NetworkPolicy ...), as in Argo CD.
const BUILT_IN_GROUPS: [&str; 16] = [
    "",
    "apps",
    "batch",
    "autoscaling",
    "policy",
    "rbac.authorization.k8s.io",
    "networking.k8s.io",
    "storage.k8s.io",
    "scheduling.k8s.io",
    "admissionregistration.k8s.io",
    "coordination.k8s.io",
    "discovery.k8s.io",
    "node.k8s.io",
    "certificates.k8s.io",
    "flowcontrol.apiserver.k8s.io",
    "events.k8s.io",
];

/// Health of a live object; `None` for kinds that have none (a ConfigMap,
/// a custom resource without any status). Custom resources without a rule
/// here are judged by their conditions ([`generic`]), never Healthy by
/// default (docs/ARCHITECTURE.md "Health").
pub fn assess(group: &str, kind: &str, obj: &Value) -> Option<HealthStatus> {
    if text(obj, "/metadata/deletionTimestamp").is_some_and(|t| !t.is_empty()) {
        // gitops-engine GetResourceHealth: anything being deleted.
        return Some(HealthStatus::new(Health::Progressing, "Pending deletion"));
    }
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
        ("argoproj.io", "Rollout") => Some(rollout(obj)),
        ("argoproj.io", "Application") => Some(argo_application(obj)),
        ("helm.toolkit.fluxcd.io", "HelmRelease") => Some(flux(obj, kind, true)),
        ("kustomize.toolkit.fluxcd.io", "Kustomization") => Some(flux(obj, kind, false)),
        ("apiregistration.k8s.io", "APIService") => generic(obj),
        (group, _) if BUILT_IN_GROUPS.contains(&group) => None,
        _ => generic(obj),
    }
}

/// A custom resource without a rule of its own, kstatus-style
/// (cli-utils `pkg/kstatus/status/generic.go`): a generation not yet
/// observed or `Reconciling=True` is Progressing, `Stalled=True` Degraded;
/// then `Ready` (or `Available`) decides: True Healthy, False Degraded
/// (kstatus says InProgress; Argo CD's Flux checks say Degraded, and a
/// resource reporting "not ready" with no progress is what users must
/// see), Unknown Progressing. A status without any of these conditions is
/// Unknown; an object with no status at all (pure configuration, e.g. a
/// traefik Middleware) has no health, like a ConfigMap.
pub fn generic(obj: &Value) -> Option<HealthStatus> {
    let status = obj.get("status")?;
    if status.is_null() || status.as_object().is_some_and(|s| s.is_empty()) {
        return None;
    }
    let generation = obj.pointer("/metadata/generation").and_then(Value::as_i64);
    let observed = obj
        .pointer("/status/observedGeneration")
        .and_then(Value::as_i64);
    if let (Some(generation), Some(observed)) = (generation, observed)
        && generation != observed
    {
        return Some(HealthStatus::new(
            Health::Progressing,
            format!("generation {generation} not yet observed (at {observed})"),
        ));
    }
    let conditions = obj
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    for c in conditions {
        match (field(c, "type"), field(c, "status")) {
            ("Reconciling", "True") => {
                return Some(HealthStatus::new(Health::Progressing, field(c, "message")));
            }
            ("Stalled", "True") => {
                return Some(HealthStatus::new(Health::Degraded, field(c, "message")));
            }
            _ => {}
        }
    }
    for wanted in ["Ready", "Available"] {
        if let Some(c) = conditions.iter().find(|c| field(c, "type") == wanted) {
            let health = match field(c, "status") {
                "True" => Health::Healthy,
                "False" => Health::Degraded,
                _ => Health::Progressing,
            };
            return Some(HealthStatus::new(health, field(c, "message")));
        }
    }
    Some(HealthStatus::new(
        Health::Unknown,
        "no health rule for this kind and no Ready, Stalled or Reconciling condition",
    ))
}

/// Argo CD's built-in checks for Flux objects
/// (`resource_customizations/helm.toolkit.fluxcd.io/HelmRelease/health.lua`
/// and `kustomize.toolkit.fluxcd.io/Kustomization/health.lua`): suspended,
/// then counting Ready/Reconciling/Released signals.
fn flux(obj: &Value, kind: &str, helm_release: bool) -> HealthStatus {
    if obj.pointer("/spec/suspend").and_then(Value::as_bool) == Some(true) {
        return HealthStatus::new(Health::Suspended, format!("{kind} is suspended"));
    }
    let Some(conditions) = obj
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .filter(|c| !c.is_empty())
    else {
        return HealthStatus::new(Health::Progressing, "Status unknown");
    };
    let (mut succeeded, mut progressing) = (0, 0);
    let mut message = String::new();
    for c in conditions {
        match (field(c, "type"), field(c, "status")) {
            ("Ready", status) => {
                match status {
                    "True" => succeeded += 1,
                    "Unknown" => progressing += 1,
                    _ => {}
                }
                message = field(c, "message").to_string();
                if message.is_empty() {
                    message = field(c, "reason").to_string();
                }
            }
            ("Reconciling", "True") => progressing += 1,
            ("Released" | "TestSuccess", "True") if helm_release => succeeded += 1,
            _ => {}
        }
    }
    let needed = if helm_release { 2 } else { 1 };
    let health = if progressing == 2 {
        Health::Progressing
    } else if succeeded == needed {
        Health::Healthy
    } else {
        Health::Degraded
    };
    HealthStatus::new(health, message)
}

/// An Argo CD Application reports its own health (the check Argo CD users
/// restore with `resource.customizations.health.argoproj.io_Application`).
fn argo_application(obj: &Value) -> HealthStatus {
    let message = text(obj, "/status/health/message")
        .unwrap_or_default()
        .to_string();
    match text(obj, "/status/health/status") {
        Some("Healthy") => HealthStatus::new(Health::Healthy, message),
        Some("Suspended") => HealthStatus::new(Health::Suspended, message),
        Some("Degraded") => HealthStatus::new(Health::Degraded, message),
        Some("Missing") => HealthStatus::new(Health::Missing, message),
        Some("Progressing") => HealthStatus::new(Health::Progressing, message),
        Some(_) => HealthStatus::new(Health::Unknown, message),
        None => HealthStatus::new(
            Health::Progressing,
            "Waiting for application to be reconciled",
        ),
    }
}

/// A string field of a condition ("" when absent).
fn field<'a>(condition: &'a Value, name: &str) -> &'a str {
    condition.get(name).and_then(Value::as_str).unwrap_or("")
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

/// Argo CD's `resource_customizations/argoproj.io/Rollout/health.lua`:
/// a spec not yet observed is Progressing; a v1.0+ controller's
/// `status.phase` is surfaced as is (Paused as Suspended) with its
/// message; older controllers get the script's legacy rules.
fn rollout(obj: &Value) -> HealthStatus {
    let number = |v: Option<&Value>| match v {
        Some(Value::String(s)) => s.parse::<i64>().ok(),
        Some(Value::Number(n)) => n.as_i64(),
        _ => None,
    };
    let generation = number(obj.pointer("/metadata/generation")).unwrap_or(0);
    let observed = match obj.get("status") {
        None | Some(Value::Null) => false,
        Some(status) => match number(status.get("observedGeneration")) {
            None => true,
            Some(observed) => observed >= generation,
        },
    };
    let workload_observed = obj.pointer("/spec/workloadRef").is_none()
        || match (
            number(obj.pointer("/metadata/annotations/rollout.argoproj.io~1workload-generation")),
            number(obj.pointer("/status/workloadObservedGeneration")),
        ) {
            (Some(a), Some(b)) => a == b,
            (a, b) => a.is_none() && b.is_none(),
        };
    if !observed || !workload_observed {
        return HealthStatus::new(
            Health::Progressing,
            "Waiting for rollout spec update to be observed",
        );
    }
    let message = text(obj, "/status/message").unwrap_or("").to_string();
    if let Some(phase) = text(obj, "/status/phase") {
        return match phase {
            "Paused" => HealthStatus::new(Health::Suspended, message),
            "Healthy" => HealthStatus::new(Health::Healthy, message),
            "Progressing" => HealthStatus::new(Health::Progressing, message),
            "Degraded" => HealthStatus::new(Health::Degraded, message),
            other => HealthStatus::new(Health::Unknown, format!("unknown phase {other}")),
        };
    }
    rollout_legacy(obj)
}

/// The script's fallback for controllers that write no phase (before v1.0).
fn rollout_legacy(obj: &Value) -> HealthStatus {
    let conditions = obj
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for condition in &conditions {
        let message = text(condition, "/message").unwrap_or("").to_string();
        let kind = text(condition, "/type").unwrap_or("");
        let reason = text(condition, "/reason").unwrap_or("");
        if kind == "InvalidSpec"
            || (kind == "Progressing"
                && matches!(reason, "RolloutAborted" | "ProgressDeadlineExceeded"))
        {
            return HealthStatus::new(Health::Degraded, message);
        }
    }
    let paused_conditions = obj
        .pointer("/status/pauseConditions")
        .and_then(Value::as_array)
        .is_some_and(|list| !list.is_empty());
    if paused_conditions || obj.pointer("/spec/paused").and_then(Value::as_bool) == Some(true) {
        return HealthStatus::new(Health::Suspended, "Rollout is paused");
    }
    let Some(pod_hash) = text(obj, "/status/currentPodHash") else {
        return HealthStatus::new(
            Health::Progressing,
            "Waiting for rollout to finish: status has not been reconciled.",
        );
    };
    let count = |p: &str| obj.pointer(p).and_then(Value::as_i64).unwrap_or(0);
    let replicas = obj
        .pointer("/spec/replicas")
        .and_then(Value::as_i64)
        .unwrap_or(1);
    let updated = count("/status/updatedReplicas");
    if updated < replicas {
        return HealthStatus::new(
            Health::Progressing,
            "Waiting for roll out to finish: More replicas need to be updated",
        );
    }
    if count("/status/availableReplicas") < updated {
        return HealthStatus::new(
            Health::Progressing,
            "Waiting for roll out to finish: updated replicas are still becoming available",
        );
    }
    let stable = text(obj, "/status/stableRS")
        .or_else(|| text(obj, "/status/canary/stableRS"))
        .unwrap_or("");
    if obj.pointer("/spec/strategy/blueGreen").is_some() {
        if text(obj, "/status/blueGreen/activeSelector") != Some(pod_hash) {
            return HealthStatus::new(Health::Progressing, "active service cutover pending");
        }
        if !stable.is_empty() && stable != pod_hash {
            return HealthStatus::new(Health::Progressing, "waiting for analysis to complete");
        }
    } else if obj.pointer("/spec/strategy/canary").is_some() {
        if count("/status/replicas") > updated {
            return HealthStatus::new(
                Health::Progressing,
                "Waiting for roll out to finish: old replicas are pending termination",
            );
        }
        if stable.is_empty() || stable != pod_hash {
            return HealthStatus::new(Health::Progressing, "Waiting for rollout to finish steps");
        }
    }
    HealthStatus::new(Health::Healthy, "")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rollouts_follow_argo_cds_health_script() {
        let rollout = |status: Value| {
            json!({"metadata": {"generation": 3},
                "spec": {"replicas": 2, "strategy": {"canary": {"steps": [{"pause": {}}]}}},
                "status": status})
        };
        let health = |v: &Value| {
            let h = assess("argoproj.io", "Rollout", v).expect("a rule");
            (h.health, h.message)
        };
        assert_eq!(
            health(&json!({"metadata": {"generation": 1}, "spec": {}})),
            (
                Health::Progressing,
                "Waiting for rollout spec update to be observed".to_string()
            ),
            "no status yet"
        );
        assert_eq!(
            health(&rollout(
                json!({"observedGeneration": "2", "phase": "Healthy"})
            ))
            .0,
            Health::Progressing,
            "generation 3 not observed"
        );
        assert_eq!(
            health(&rollout(
                json!({"observedGeneration": "3", "phase": "Paused",
                "message": "CanaryPauseStep"})
            )),
            (Health::Suspended, "CanaryPauseStep".to_string())
        );
        assert_eq!(
            health(&rollout(
                json!({"observedGeneration": "3", "phase": "Degraded",
                "message": "RolloutAborted: Rollout aborted update to revision 2"})
            )),
            (
                Health::Degraded,
                "RolloutAborted: Rollout aborted update to revision 2".to_string()
            )
        );
        // A v0.9 hash in observedGeneration counts as observed; no phase:
        // the legacy rules.
        assert_eq!(
            health(&rollout(json!({"observedGeneration": "abc123",
                "pauseConditions": [{"reason": "CanaryPauseStep"}]}))),
            (Health::Suspended, "Rollout is paused".to_string())
        );
        assert_eq!(
            health(&rollout(
                json!({"observedGeneration": "3", "currentPodHash": "a",
                "stableRS": "b", "replicas": 2, "updatedReplicas": 2,
                "availableReplicas": 2})
            )),
            (
                Health::Progressing,
                "Waiting for rollout to finish steps".to_string()
            )
        );
        assert_eq!(
            health(&rollout(
                json!({"observedGeneration": "3", "currentPodHash": "a",
                "stableRS": "a", "replicas": 2, "updatedReplicas": 2,
                "availableReplicas": 2})
            ))
            .0,
            Health::Healthy
        );
    }

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

    #[test]
    fn custom_resources_are_judged_by_conditions_never_healthy_by_default() {
        let health = |obj: Value| assess("example.com", "Widget", &obj).map(|h| h.health);
        assert_eq!(health(json!({"spec": {}})), None, "no status: no health");
        assert_eq!(
            health(json!({"status": {"phase": "Whatever"}})),
            Some(Health::Unknown)
        );
        let ready =
            |status: &str| json!({"status": {"conditions": [{"type": "Ready", "status": status}]}});
        assert_eq!(health(ready("True")), Some(Health::Healthy));
        assert_eq!(health(ready("False")), Some(Health::Degraded));
        assert_eq!(health(ready("Unknown")), Some(Health::Progressing));
        assert_eq!(
            health(json!({"status": {"conditions": [
                {"type": "Ready", "status": "True"},
                {"type": "Stalled", "status": "True", "message": "stuck"}]}})),
            Some(Health::Degraded)
        );
        assert_eq!(
            health(json!({"status": {"conditions": [
                {"type": "Reconciling", "status": "True"}]}})),
            Some(Health::Progressing)
        );
        assert_eq!(
            health(
                json!({"metadata": {"generation": 3}, "status": {"observedGeneration": 2,
                "conditions": [{"type": "Ready", "status": "True"}]}})
            ),
            Some(Health::Progressing)
        );
        assert_eq!(
            health(json!({"status": {"conditions": [{"type": "Available", "status": "True"}]}})),
            Some(Health::Healthy)
        );
        assert_eq!(
            health(json!({"metadata": {"deletionTimestamp": "2026-01-01T00:00:00Z"}})),
            Some(Health::Progressing)
        );
    }

    #[test]
    fn flux_objects_follow_argo_cds_checks() {
        let release = |conditions: Value| {
            assess(
                "helm.toolkit.fluxcd.io",
                "HelmRelease",
                &json!({"status": {"conditions": conditions}}),
            )
            .map(|h| h.health)
        };
        assert_eq!(
            release(
                json!([{"type": "Ready", "status": "True"}, {"type": "Released", "status": "True"}])
            ),
            Some(Health::Healthy)
        );
        assert_eq!(
            release(json!([{"type": "Ready", "status": "True"}])),
            Some(Health::Degraded)
        );
        assert_eq!(
            release(
                json!([{"type": "Ready", "status": "Unknown"}, {"type": "Reconciling", "status": "True"}])
            ),
            Some(Health::Progressing)
        );
        let kustomization =
            json!({"status": {"conditions": [{"type": "Ready", "status": "True"}]}});
        assert_eq!(
            assess(
                "kustomize.toolkit.fluxcd.io",
                "Kustomization",
                &kustomization
            )
            .map(|h| h.health),
            Some(Health::Healthy)
        );
        let suspended = json!({"spec": {"suspend": true}});
        assert_eq!(
            assess("helm.toolkit.fluxcd.io", "HelmRelease", &suspended).map(|h| h.health),
            Some(Health::Suspended)
        );
    }
}

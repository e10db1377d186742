//! What the kube-controller-manager's HPA controller does, simply enough to
//! watch an HPA move: the target's pods' CPU (or memory) from the simulated
//! metrics, utilization against their requests, `desired = ceil(current ×
//! utilization / target)` outside a 10% tolerance, clamped to min/max, the
//! target scaled (at most every few seconds) with a SuccessfulRescale
//! event, and the status and conditions the real controller writes
//! (AbleToScale, ScalingActive, ScalingLimited). Pods without a request
//! for the metric make ScalingActive False (FailedGetResourceMetric), as
//! there. Seeded HPAs keep their status unless `SimOptions::autoscale`.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::{Controller, Cx, all, uid};
use crate::sim::metrics::{MetricsBase, pod_usage_now};
use crate::sim::objects::meta_str;
use crate::sim::quantity;
use crate::sim::util::now_rfc3339;

/// The real controller's default tolerance.
const TOLERANCE: f64 = 0.1;
/// How often an HPA is looked at, and how soon it may scale again.
const SYNC: Duration = Duration::from_millis(500);
const COOLDOWN: Duration = Duration::from_secs(2);

pub(super) fn reconcile(ctl: &mut Controller, cx: &mut Cx, metrics: &MetricsBase, autoscale: bool) {
    let Some(hpas) = cx.ids.hpas else {
        return;
    };
    for hpa in all(cx.store, hpas) {
        let id = uid(&hpa).to_string();
        if ctl.seeded_hpas.contains(&id) && !autoscale {
            continue;
        }
        let now = Instant::now();
        let last = ctl.hpa_sync.get(&id).copied();
        if last.is_some_and(|(seen, _)| now.duration_since(seen) < SYNC) {
            continue;
        }
        let scaled_at = last.and_then(|(_, scaled)| scaled);
        let scaled = sync_one(cx, hpas, &hpa, metrics, scaled_at, now);
        ctl.hpa_sync
            .insert(id, (now, if scaled { Some(now) } else { scaled_at }));
    }
}

fn condition(kind: &str, status: bool, reason: &str, message: &str) -> Value {
    json!({
        "type": kind,
        "status": if status { "True" } else { "False" },
        "reason": reason,
        "message": message,
        "lastTransitionTime": now_rfc3339(),
    })
}

/// One HPA; true when it scaled its target.
fn sync_one(
    cx: &mut Cx,
    hpas: crate::sim::registry::ResourceId,
    hpa: &Value,
    metrics: &MetricsBase,
    scaled_at: Option<Instant>,
    now: Instant,
) -> bool {
    let ns = meta_str(hpa, "namespace").unwrap_or_default().to_string();
    let hpa_name = meta_str(hpa, "name").unwrap_or_default().to_string();
    let kind = hpa
        .pointer("/spec/scaleTargetRef/kind")
        .and_then(Value::as_str)
        .unwrap_or("");
    let name = hpa
        .pointer("/spec/scaleTargetRef/name")
        .and_then(Value::as_str)
        .unwrap_or("");
    let min = hpa
        .pointer("/spec/minReplicas")
        .and_then(Value::as_i64)
        .unwrap_or(1);
    let max = hpa
        .pointer("/spec/maxReplicas")
        .and_then(Value::as_i64)
        .unwrap_or(min);
    let target_id = match kind {
        "Deployment" => Some(cx.ids.deployments),
        "StatefulSet" => Some(cx.ids.statefulsets),
        _ => None,
    };
    let target = target_id.and_then(|id| {
        all(cx.store, id).into_iter().find(|o| {
            meta_str(o, "namespace") == Some(ns.as_str()) && meta_str(o, "name") == Some(name)
        })
    });
    let (Some(target_id), Some(target)) = (target_id, target) else {
        let mut status = json!({
            "currentReplicas": 0,
            "desiredReplicas": 0,
            "conditions": [condition("AbleToScale", false, "FailedGetScale",
                &format!("the HPA controller was unable to get the target's current scale: {}s.apps \"{name}\" not found", kind.to_lowercase()))],
        });
        keep_transitions(hpa, &mut status);
        cx.set_status(hpas, hpa, status);
        return false;
    };
    let current = target
        .pointer("/spec/replicas")
        .and_then(Value::as_i64)
        .unwrap_or(1);
    let pods = target_pods(cx, &ns, &target);
    let specs = hpa
        .pointer("/spec/metrics")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut statuses = Vec::new();
    let mut proposals = Vec::new();
    let mut failure = None;
    for spec in &specs {
        match measure(spec, &pods, metrics) {
            Ok((status, ratio)) => {
                statuses.push(status);
                proposals.push(if (ratio - 1.0).abs() <= TOLERANCE {
                    current
                } else {
                    (current as f64 * ratio).ceil() as i64
                });
            }
            Err(why) => failure = Some(why),
        }
    }
    let able = condition(
        "AbleToScale",
        true,
        "SucceededGetScale",
        "the HPA controller was able to get the target's current scale",
    );
    let mut status = json!({
        "currentReplicas": current,
        "desiredReplicas": current,
        "currentMetrics": statuses,
    });
    if let Some(last) = hpa.pointer("/status/lastScaleTime") {
        status["lastScaleTime"] = last.clone();
    }
    if let (Some(why), true) = (&failure, proposals.is_empty()) {
        status["conditions"] = json!([
            able,
            condition(
                "ScalingActive",
                false,
                "FailedGetResourceMetric",
                &format!("the HPA was unable to compute the replica count: {why}")
            ),
        ]);
        keep_transitions(hpa, &mut status);
        cx.set_status(hpas, hpa, status);
        return false;
    }
    let wanted = proposals.into_iter().max().unwrap_or(current);
    let desired = wanted.clamp(min, max);
    let limited = if wanted > max {
        condition(
            "ScalingLimited",
            true,
            "TooManyReplicas",
            "the desired replica count is more than the maximum replica count",
        )
    } else if wanted < min {
        condition(
            "ScalingLimited",
            true,
            "TooFewReplicas",
            "the desired replica count is less than the minimum replica count",
        )
    } else {
        condition(
            "ScalingLimited",
            false,
            "DesiredWithinRange",
            "the desired count is within the acceptable range",
        )
    };
    status["desiredReplicas"] = json!(desired);
    status["conditions"] = json!([
        able,
        condition(
            "ScalingActive",
            true,
            "ValidMetricFound",
            "the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)"
        ),
        limited,
    ]);
    let cooling = scaled_at.is_some_and(|at| now.duration_since(at) < COOLDOWN);
    let scale = desired != current && !cooling;
    if scale {
        let mut next = target.clone();
        next["spec"]["replicas"] = json!(desired);
        cx.update(target_id, next);
        status["currentReplicas"] = json!(desired);
        status["lastScaleTime"] = json!(now_rfc3339());
        let direction = if desired > current { "above" } else { "below" };
        let event = json!({
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": format!("{hpa_name}.{}", now_rfc3339().replace([':', '-'], "").to_lowercase()), "namespace": ns},
            "involvedObject": {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "name": hpa_name, "namespace": ns, "uid": uid(hpa)},
            "reason": "SuccessfulRescale",
            "message": format!("New size: {desired}; reason: cpu resource utilization (percentage of request) {direction} target"),
            "type": "Normal",
            "count": 1,
            "firstTimestamp": now_rfc3339(),
            "lastTimestamp": now_rfc3339(),
            "source": {"component": "horizontal-pod-autoscaler"},
        });
        if let Some(events) = cx.ids.events {
            cx.create(events, event);
        }
    }
    keep_transitions(hpa, &mut status);
    cx.set_status(hpas, hpa, status);
    scale
}

/// A condition whose status did not change keeps its lastTransitionTime,
/// as the real controller's `setCondition` does.
fn keep_transitions(hpa: &Value, status: &mut Value) {
    let old = super::conditions(hpa);
    let Some(Value::Array(new)) = status.get_mut("conditions") else {
        return;
    };
    for condition in new.iter_mut() {
        let before = old.iter().find(|o| {
            o.get("type") == condition.get("type") && o.get("status") == condition.get("status")
        });
        if let Some(time) = before.and_then(|o| o.get("lastTransitionTime")) {
            condition["lastTransitionTime"] = time.clone();
        }
    }
}

/// Running pods the target's `matchLabels` select.
fn target_pods(cx: &Cx, ns: &str, target: &Value) -> Vec<Value> {
    let labels = target
        .pointer("/spec/selector/matchLabels")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    all(cx.store, cx.ids.pods)
        .into_iter()
        .filter(|p| meta_str(p, "namespace") == Some(ns))
        .filter(|p| p.pointer("/status/phase").and_then(Value::as_str) == Some("Running"))
        .filter(|p| {
            labels
                .iter()
                .all(|(k, v)| p.pointer("/metadata/labels").and_then(|l| l.get(k)) == Some(v))
        })
        .collect()
}

/// A Resource metric's status and usage/target ratio, or why not.
fn measure(spec: &Value, pods: &[Value], metrics: &MetricsBase) -> Result<(Value, f64), String> {
    if spec.get("type").and_then(Value::as_str) != Some("Resource") {
        return Err("only Resource metrics are simulated".into());
    }
    let resource = spec
        .pointer("/resource/name")
        .and_then(Value::as_str)
        .unwrap_or("");
    let target = spec
        .pointer("/resource/target")
        .cloned()
        .unwrap_or_default();
    if pods.is_empty() {
        return Err(format!(
            "failed to get {resource} utilization: no running pods"
        ));
    }
    let mut used = 0.0;
    let mut requested = 0.0;
    for pod in pods {
        let usage = pod_usage_now(metrics, pod);
        for container in pod
            .pointer("/spec/containers")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let cname = container.get("name").and_then(Value::as_str).unwrap_or("");
            let request = container
                .pointer(&format!("/resources/requests/{resource}"))
                .and_then(Value::as_str)
                .and_then(quantity::parse);
            let use_of = usage
                .iter()
                .find(|(n, _)| n == cname)
                .map(|(_, (cpu, mem))| if resource == "cpu" { *cpu } else { *mem })
                .unwrap_or(0.0);
            used += use_of;
            match request {
                Some(r) => requested += r,
                None if target.get("averageUtilization").is_some() => {
                    return Err(format!(
                        "failed to get {resource} utilization: missing request for {resource} in container {cname} of Pod {}",
                        meta_str(pod, "name").unwrap_or_default()
                    ));
                }
                None => {}
            }
        }
    }
    let average = used / pods.len() as f64;
    let shown = |value: f64| {
        if resource == "cpu" {
            format!("{}m", (value * 1000.0).round() as i64)
        } else {
            format!("{}Mi", (value / 1048576.0).round() as i64)
        }
    };
    if let Some(goal) = target.get("averageUtilization").and_then(Value::as_f64) {
        let utilization = if requested > 0.0 {
            used / requested * 100.0
        } else {
            0.0
        };
        let status = json!({"type": "Resource", "resource": {"name": resource, "current": {
            "averageUtilization": utilization.round() as i64,
            "averageValue": shown(average),
        }}});
        return Ok((status, utilization / goal.max(1.0)));
    }
    let goal = target
        .get("averageValue")
        .and_then(Value::as_str)
        .and_then(quantity::parse)
        .ok_or_else(|| {
            format!("the {resource} target has neither averageUtilization nor averageValue")
        })?;
    let status = json!({"type": "Resource", "resource": {"name": resource, "current": {"averageValue": shown(average)}}});
    Ok((status, average / goal.max(f64::MIN_POSITIVE)))
}

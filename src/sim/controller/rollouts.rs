//! A small Argo Rollouts controller (argoproj/argo-rollouts `rollout/`):
//! one ReplicaSet per pod template labelled `rollouts-pod-template-hash`;
//! basic canary (no traffic routing) weighted by replica counts with
//! `approximateWeightedCanaryStableReplicaCounts`, setWeight / pause /
//! analysis steps, promote, promoteFull, abort and retry, `spec.paused`
//! and `spec.restartAt`; blue-green with the active and preview Services'
//! selectors, `autoPromotionEnabled: false` pausing with BlueGreenPause,
//! and the old ReplicaSet scaled down after `scaleDownDelaySeconds`.
//! Step AnalysisRuns pass after a few ticks (`sim.bosun.dev/analysis:
//! fail` on the Rollout makes them fail). Status is written as the
//! controller writes it, phase and message by `CalculateRolloutPhase`.

use serde_json::{Map, Value, json};

use super::deployment::{deletion_order, sync_replicaset, without_label};
use super::{
    Controller, Cx, is_ready, label, new_pod, ns_name, owned, pick_node, template_hash, uid,
};
use crate::sim::objects::meta_str;
use crate::sim::registry::ResourceId;
use crate::sim::util::now_rfc3339;

const HASH: &str = "rollouts-pod-template-hash";
const REVISION: &str = "rollout.argoproj.io/revision";
const DEADLINE: &str = "scale-down-deadline";
const API_VERSION: &str = "argoproj.io/v1alpha1";

fn revision(obj: &Value) -> i64 {
    super::annotation_number(obj, REVISION)
}

fn replicas(obj: &Value) -> i64 {
    super::spec_replicas(obj)
}

fn text<'a>(v: &'a Value, pointer: &str) -> &'a str {
    v.pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_default()
}

/// Percent or absolute IntOrString against `total`, rounding up or down.
fn int_or_percent(value: Option<&Value>, default: &str, total: i64, round_up: bool) -> i64 {
    let raw = match value {
        Some(Value::Number(n)) => return n.as_i64().unwrap_or(0),
        Some(Value::String(s)) => s.clone(),
        _ => default.to_string(),
    };
    let percent: f64 = raw.trim_end_matches('%').parse().unwrap_or(0.0);
    let exact = total as f64 * percent / 100.0;
    (if round_up {
        exact.ceil()
    } else {
        exact.floor()
    }) as i64
}

/// `approximateWeightedCanaryStableReplicaCounts` (utils/replicaset/canary.go).
pub(crate) fn weighted_counts(total: i64, weight: i64, max_surge: i64) -> (i64, i64) {
    if total == 0 {
        return (0, 0);
    }
    let exact = total as f64 * weight as f64 / 100.0;
    let (ceil, floor) = (exact.ceil() as i64, exact.floor() as i64);
    let tied = (exact - exact.floor() - 0.5).abs() < f64::EPSILON;
    let zero_allowed = weight == 100 || weight == 0 || (total == 1 && max_surge == 0);
    let mut options: Vec<(i64, i64)> = Vec::new();
    if ceil < total || zero_allowed {
        options.push((ceil, total));
    }
    if !tied && (floor != 0 || zero_allowed) {
        options.push((floor, total));
    }
    if max_surge > 0 {
        options.push((ceil, total + 1));
        options.push((floor, total + 1));
    }
    let delta =
        |(canary, all): (i64, i64)| (canary as f64 * 100.0 / all as f64 - weight as f64).abs();
    let mut best = match options.first() {
        Some(first) => *first,
        None => return (ceil.min(total), total - ceil.min(total)),
    };
    for option in options.iter().skip(1) {
        if delta(*option) < delta(best) {
            best = *option;
        }
    }
    (best.0, best.1 - best.0)
}

fn new_replicaset(ro: &Value, template: &Value, hash: &str, rev: i64) -> Value {
    let (ns, name) = ns_name(ro);
    let mut labels = template
        .pointer("/metadata/labels")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    labels.insert(HASH.into(), json!(hash));
    let mut rs_template = template.clone();
    rs_template["metadata"]["labels"] = json!(labels);
    let mut selector = ro
        .pointer("/spec/selector/matchLabels")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    selector.insert(HASH.into(), json!(hash));
    json!({
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {
            "name": format!("{name}-{hash}"),
            "namespace": ns,
            "labels": labels,
            "annotations": {REVISION: rev.to_string()},
            "ownerReferences": [super::owner_ref(ro)],
        },
        "spec": {"replicas": 0, "selector": {"matchLabels": selector}, "template": rs_template},
        "status": {"replicas": 0, "observedGeneration": 1},
    })
}

/// Pods of `rs` brought to `want`: pending pods created, extras deleted
/// (unready first). Returns the pods now there.
fn scale_pods(ctl: &mut Controller, cx: &mut Cx, rs: &Value, want: i64) -> Vec<Value> {
    let ids = cx.ids;
    let (ns, rs_name) = ns_name(rs);
    let mut pods = owned(cx.store, ids.pods, &ns, uid(rs));
    deletion_order(&mut pods);
    while pods.len() as i64 > want {
        let pod = pods.remove(0);
        cx.delete(ids.pods, &pod);
    }
    let nodes = cx.nodes();
    let template = rs.pointer("/spec/template").cloned().unwrap_or(json!({}));
    let mut extra = Map::new();
    extra.insert(HASH.into(), json!(label(rs, HASH).unwrap_or_default()));
    while (pods.len() as i64) < want {
        let pod_name = cx.pod_name(&rs_name, &ns);
        let node = pick_node(&nodes, &pod_name);
        let mut pod = new_pod(&pod_name, &ns, &template, &extra, rs, node.as_deref());
        pod["metadata"]["generateName"] = json!(format!("{rs_name}-"));
        if !ctl.create_pod(cx, pod.clone()) {
            break;
        }
        pods.push(pod);
    }
    sync_replicaset(cx, rs, want);
    pods
}

fn ready_count(pods: &[Value]) -> i64 {
    pods.iter().filter(|p| is_ready(p)).count() as i64
}

fn remove_pause(status: &mut Value, reason: &str) {
    if let Some(list) = status
        .get_mut("pauseConditions")
        .and_then(Value::as_array_mut)
    {
        list.retain(|c| c.get("reason").and_then(Value::as_str) != Some(reason));
        if list.is_empty() {
            status["pauseConditions"] = Value::Null;
        }
    }
    if status["pauseConditions"].is_null()
        && let Some(map) = status.as_object_mut()
    {
        map.remove("pauseConditions");
        map.remove("controllerPause");
    }
}

fn has_pause(status: &Value, reason: &str) -> Option<Value> {
    status
        .get("pauseConditions")
        .and_then(Value::as_array)
        .and_then(|l| {
            l.iter()
                .find(|c| c.get("reason").and_then(Value::as_str) == Some(reason))
        })
        .cloned()
}

fn add_pause(status: &mut Value, reason: &str) {
    let mut list = status
        .get("pauseConditions")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    list.push(json!({"reason": reason, "startTime": now_rfc3339()}));
    status["pauseConditions"] = json!(list);
    status["controllerPause"] = json!(true);
}

fn pause_seconds(duration: &Value) -> Option<i64> {
    match duration {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => {
            if let Ok(n) = s.parse::<i64>() {
                return Some(n);
            }
            let (number, unit) = s.split_at(s.find(|c: char| c.is_alphabetic())?);
            let n: i64 = number.parse().ok()?;
            match unit {
                "s" => Some(n),
                "m" => Some(n * 60),
                "h" => Some(n * 3600),
                _ => None,
            }
        }
        _ => None,
    }
}

fn elapsed_since(start: &str) -> i64 {
    match start.parse::<jiff::Timestamp>() {
        Ok(t) => jiff::Timestamp::now().as_second() - t.as_second(),
        Err(_) => 0,
    }
}

pub(super) struct RolloutIds {
    pub rollouts: ResourceId,
    pub analysisruns: Option<ResourceId>,
}

pub(super) fn reconcile(ctl: &mut Controller, cx: &mut Cx, ids: &RolloutIds, ro: &Value) {
    let (ns, name) = ns_name(ro);
    let desired = replicas(ro);
    let Some(template) = ro.pointer("/spec/template").cloned() else {
        return;
    };
    let steps = ro
        .pointer("/spec/strategy/canary/steps")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let canary = ro.pointer("/spec/strategy/canary").is_some();
    let blue_green = ro.pointer("/spec/strategy/blueGreen").cloned();
    if !canary && blue_green.is_none() {
        return;
    }
    let user_paused = ro.pointer("/spec/paused").and_then(Value::as_bool) == Some(true);

    // The ReplicaSet of the current template (a rollback to an older one
    // makes it the newest revision again).
    let rss = owned(cx.store, cx.ids.replicasets, &ns, uid(ro));
    let max_rev = rss.iter().map(revision).max().unwrap_or(0);
    let found = rss
        .iter()
        .find(|rs| {
            rs.pointer("/spec/template")
                .map(|t| without_label(t, HASH))
                .as_ref()
                == Some(&template)
        })
        .cloned();
    let new_rs = match found {
        Some(mut rs) if revision(&rs) < max_rev => {
            rs["metadata"]["annotations"][REVISION] = json!((max_rev + 1).to_string());
            cx.update(cx.ids.replicasets, rs)
        }
        Some(rs) => Some(rs),
        None => cx.create(
            cx.ids.replicasets,
            new_replicaset(ro, &template, &template_hash(&template), max_rev + 1),
        ),
    };
    let Some(new_rs) = new_rs else {
        return;
    };
    let hash = label(&new_rs, HASH).unwrap_or_default().to_string();
    let rss = owned(cx.store, cx.ids.replicasets, &ns, uid(ro));

    let mut status = ro
        .get("status")
        .cloned()
        .filter(Value::is_object)
        .unwrap_or(json!({}));
    let stable = text(&status, "/stableRS").to_string();
    if text(&status, "/currentPodHash") != hash {
        // resetRolloutStatus: a new template starts at step 0 (or skips
        // the steps when it goes back to the stable one).
        if let Some(map) = status.as_object_mut() {
            for key in [
                "pauseConditions",
                "controllerPause",
                "abort",
                "abortedAt",
                "promoteFull",
            ] {
                map.remove(key);
            }
        }
        if let Some(c) = status.get_mut("canary").and_then(Value::as_object_mut) {
            c.remove("currentStepAnalysisRunStatus");
        }
        if !steps.is_empty() {
            let index = if hash == stable { steps.len() } else { 0 };
            status["currentStepIndex"] = json!(index);
        }
        status["currentPodHash"] = json!(hash);
    }
    let abort = status.get("abort").and_then(Value::as_bool) == Some(true);
    if abort {
        if let Some(map) = status.as_object_mut() {
            map.remove("pauseConditions");
            map.remove("controllerPause");
        }
        if status.get("abortedAt").is_none() {
            status["abortedAt"] = json!(now_rfc3339());
        }
    } else if let Some(map) = status.as_object_mut() {
        map.remove("abortedAt");
    }
    if status.get("promoteFull").and_then(Value::as_bool) == Some(true) {
        remove_pause(&mut status, "CanaryPauseStep");
        remove_pause(&mut status, "BlueGreenPause");
        if !steps.is_empty() {
            status["currentStepIndex"] = json!(steps.len());
        }
    }
    restart_pods(cx, ro, &rss, &mut status);

    let stable_rs = rss
        .iter()
        .find(|rs| label(rs, HASH) == Some(stable.as_str()))
        .cloned();
    let new_pods;
    if let Some(bg) = &blue_green {
        new_pods = blue_green_step(
            ctl,
            cx,
            ro,
            bg,
            &rss,
            &new_rs,
            &hash,
            &mut status,
            user_paused,
        );
    } else {
        let index = status
            .get("currentStepIndex")
            .and_then(Value::as_i64)
            .unwrap_or(0);
        let weight = if status.get("promoteFull").and_then(Value::as_bool) == Some(true)
            || stable.is_empty()
            || stable == hash
        {
            100
        } else if abort {
            0
        } else {
            set_weight(&steps, index)
        };
        let surge = int_or_percent(
            ro.pointer("/spec/strategy/canary/maxSurge"),
            "25%",
            desired,
            true,
        );
        let (canary_n, stable_n) = if stable_rs.is_none() || stable == hash {
            (desired, 0)
        } else {
            weighted_counts(desired, weight, surge)
        };
        let mut others_left = 0;
        for rs in &rss {
            if uid(rs) == uid(&new_rs) || stable_rs.as_ref().is_some_and(|s| uid(s) == uid(rs)) {
                continue;
            }
            others_left += scale_pods(ctl, cx, rs, 0).len();
        }
        if let Some(stable_rs) = stable_rs.as_ref().filter(|s| uid(s) != uid(&new_rs)) {
            let pods = scale_pods(ctl, cx, stable_rs, stable_n);
            ctl.advance(cx, &pods, false);
        }
        let pods = if user_paused && stable_rs.is_some() && stable != hash {
            owned(cx.store, cx.ids.pods, &ns, uid(&new_rs))
        } else {
            scale_pods(ctl, cx, &new_rs, canary_n)
        };
        ctl.advance(cx, &pods, cx.knobs.is_stalled(&ns, &name));
        new_pods = owned(cx.store, cx.ids.pods, &ns, uid(&new_rs));
        let at_counts = ready_count(&new_pods) == canary_n && others_left == 0;
        if !user_paused && !abort && !stable.is_empty() && stable != hash {
            canary_steps(cx, ids, ro, &steps, &hash, &mut status, at_counts);
        }
        let index = status
            .get("currentStepIndex")
            .and_then(Value::as_i64)
            .unwrap_or(0);
        let all_done = steps.is_empty() || index >= steps.len() as i64;
        if !abort && (stable.is_empty() || all_done) && ready_count(&new_pods) == desired {
            status["stableRS"] = json!(hash);
            if !steps.is_empty() {
                status["currentStepIndex"] = json!(steps.len());
            }
            if let Some(map) = status.as_object_mut() {
                map.remove("promoteFull");
            }
        }
    }
    write_status(
        cx,
        ids,
        ro,
        &new_rs,
        &new_pods,
        status,
        blue_green.is_some(),
    );
}

fn set_weight(steps: &[Value], index: i64) -> i64 {
    if index < 0 || index as usize >= steps.len() {
        return 100;
    }
    steps[..=index as usize]
        .iter()
        .rev()
        .find_map(|s| s.get("setWeight").and_then(Value::as_i64))
        .unwrap_or(0)
}

/// One step of the canary: setWeight waits for the counts, pause for the
/// user or its duration, analysis for its AnalysisRun.
fn canary_steps(
    cx: &mut Cx,
    ids: &RolloutIds,
    ro: &Value,
    steps: &[Value],
    hash: &str,
    status: &mut Value,
    at_counts: bool,
) {
    let index = status
        .get("currentStepIndex")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    let Some(step) = usize::try_from(index).ok().and_then(|i| steps.get(i)) else {
        return;
    };
    let complete = if step.get("setWeight").is_some() {
        at_counts
    } else if let Some(pause) = step.get("pause") {
        match has_pause(status, "CanaryPauseStep") {
            None if status.get("controllerPause").and_then(Value::as_bool) == Some(true) => true,
            None => {
                add_pause(status, "CanaryPauseStep");
                false
            }
            Some(cond) => match pause.get("duration").and_then(pause_seconds) {
                Some(seconds) => elapsed_since(text(&cond, "/startTime")) > seconds,
                None => false,
            },
        }
    } else if step.get("analysis").is_some() {
        step_analysis(cx, ids, ro, hash, index, status)
    } else {
        true
    };
    if complete {
        status["currentStepIndex"] = json!(index + 1);
        remove_pause(status, "CanaryPauseStep");
        if let Some(map) = status.as_object_mut() {
            map.remove("controllerPause");
        }
        if let Some(c) = status.get_mut("canary").and_then(Value::as_object_mut) {
            c.remove("currentStepAnalysisRunStatus");
        }
    }
}

/// The step's AnalysisRun, created on first sight; true once Successful.
/// Failed aborts the rollout with the run's message.
fn step_analysis(
    cx: &mut Cx,
    ids: &RolloutIds,
    ro: &Value,
    hash: &str,
    index: i64,
    status: &mut Value,
) -> bool {
    let Some(ar_id) = ids.analysisruns else {
        return true;
    };
    let (ns, name) = ns_name(ro);
    let rev = cx
        .get(cx.ids.replicasets, &ns, &format!("{name}-{hash}"))
        .map(|rs| revision(&rs))
        .unwrap_or(1);
    let run_name = format!("{name}-{hash}-{rev}-{index}");
    let run = match cx.get(ar_id, &ns, &run_name) {
        Some(run) => run,
        None => {
            let fail = ro
                .pointer("/metadata/annotations/sim.bosun.dev~1analysis")
                .and_then(Value::as_str)
                == Some("fail");
            let metric = json!({"name": "success-rate", "provider": {"prometheus": {"query": "sim"}},
                "successCondition": "result[0] >= 0.95"});
            let run = json!({
                "apiVersion": API_VERSION,
                "kind": "AnalysisRun",
                "metadata": {
                    "name": run_name, "namespace": ns,
                    "labels": {HASH: hash, "rollout-type": "Step", "step-index": index.to_string()},
                    "annotations": {REVISION: rev.to_string(), "sim.bosun.dev/outcome": if fail {"fail"} else {"pass"}},
                    "ownerReferences": [super::owner_ref(ro)],
                },
                "spec": {"metrics": [metric]},
                "status": {"phase": "Running", "startedAt": now_rfc3339(), "metricResults": [
                    {"name": "success-rate", "phase": "Running", "count": 0}
                ]},
            });
            match cx.create(ar_id, run) {
                Some(run) => run,
                None => return false,
            }
        }
    };
    let phase = text(&run, "/status/phase").to_string();
    if phase == "Running" && elapsed_since(text(&run, "/status/startedAt")) >= 1 {
        let fail = text(&run, "/metadata/annotations/sim.bosun.dev~1outcome") == "fail";
        let (phase, value, message) = if fail {
            (
                "Failed",
                "0.42",
                r#"metric "success-rate" assessed Failed due to failed (1) > failureLimit (0)"#,
            )
        } else {
            ("Successful", "0.99", "")
        };
        let mut result = json!({"name": "success-rate", "phase": phase, "count": 1,
            "measurements": [{"phase": phase, "value": format!("[{value}]"),
                "startedAt": now_rfc3339(), "finishedAt": now_rfc3339()}]});
        result[if fail { "failed" } else { "successful" }] = json!(1);
        let mut run_status = json!({"phase": phase, "startedAt": text(&run, "/status/startedAt"),
            "metricResults": [result], "runSummary": {"count": 1}});
        if fail {
            run_status["message"] = json!(message);
        }
        cx.set_status(ar_id, &run, run_status);
    }
    let phase = cx
        .get(ar_id, &ns, &run_name)
        .map(|r| text(&r, "/status/phase").to_string())
        .unwrap_or(phase);
    let message = cx
        .get(ar_id, &ns, &run_name)
        .map(|r| text(&r, "/status/message").to_string())
        .unwrap_or_default();
    status["canary"]["currentStepAnalysisRunStatus"] =
        json!({"name": run_name, "status": phase, "message": message});
    match phase.as_str() {
        "Successful" => true,
        "Failed" | "Error" => {
            status["abort"] = json!(true);
            status["abortedAt"] = json!(now_rfc3339());
            status["sim.abortMessage"] = json!(message);
            false
        }
        _ => false,
    }
}

/// `spec.restartAt`: pods created before it are deleted one at a time
/// while the rest are ready; then `status.restartedAt` records it.
fn restart_pods(cx: &mut Cx, ro: &Value, rss: &[Value], status: &mut Value) {
    let restart_at = text(ro, "/spec/restartAt");
    if restart_at.is_empty() || text(status, "/restartedAt") == restart_at {
        return;
    }
    let Ok(at) = restart_at.parse::<jiff::Timestamp>() else {
        return;
    };
    if at > jiff::Timestamp::now() {
        return;
    }
    let (ns, _) = ns_name(ro);
    let pods: Vec<Value> = rss
        .iter()
        .flat_map(|rs| owned(cx.store, cx.ids.pods, &ns, uid(rs)))
        .collect();
    let old: Vec<&Value> = pods
        .iter()
        .filter(|p| {
            text(p, "/metadata/creationTimestamp")
                .parse::<jiff::Timestamp>()
                .is_ok_and(|created| created < at)
        })
        .collect();
    if old.is_empty() {
        status["restartedAt"] = json!(restart_at);
        return;
    }
    if pods.iter().all(is_ready) {
        cx.delete(cx.ids.pods, old[0]);
    }
}

/// Blue-green: the new ReplicaSet at full size, the preview Service on it,
/// the active Service switched when promoted (or automatically), the old
/// ReplicaSet scaled down after the delay.
#[allow(clippy::too_many_arguments)]
fn blue_green_step(
    ctl: &mut Controller,
    cx: &mut Cx,
    ro: &Value,
    bg: &Value,
    rss: &[Value],
    new_rs: &Value,
    hash: &str,
    status: &mut Value,
    user_paused: bool,
) -> Vec<Value> {
    let (ns, _) = ns_name(ro);
    let desired = replicas(ro);
    let active_service = text(bg, "/activeService").to_string();
    let preview_service = text(bg, "/previewService").to_string();
    let selector_of = |cx: &Cx, svc: &str| -> String {
        cx.get(cx.ids.services, &ns, svc)
            .map(|s| text(&s, &format!("/spec/selector/{HASH}")).to_string())
            .unwrap_or_default()
    };
    let mut active = selector_of(cx, &active_service);
    let pods = scale_pods(ctl, cx, new_rs, desired);
    ctl.advance(cx, &pods, false);
    let new_pods = owned(cx.store, cx.ids.pods, &ns, uid(new_rs));
    let halted = user_paused;
    if !preview_service.is_empty() && !halted {
        switch_service(cx, ro, &preview_service, hash);
    }
    let abort = status.get("abort").and_then(Value::as_bool) == Some(true);
    let stable = text(status, "/stableRS").to_string();
    if abort && !stable.is_empty() {
        if active != stable {
            switch_service(cx, ro, &active_service, &stable);
            active = stable.clone();
        }
    } else if active.is_empty() {
        switch_service(cx, ro, &active_service, hash);
        active = hash.to_string();
    } else if active != hash && !halted && ready_count(&new_pods) == desired {
        let auto = bg.get("autoPromotionEnabled").and_then(Value::as_bool) != Some(false);
        let full = status.get("promoteFull").and_then(Value::as_bool) == Some(true);
        let promote = full
            || if auto {
                true
            } else {
                match has_pause(status, "BlueGreenPause") {
                    None if status.get("controllerPause").and_then(Value::as_bool)
                        == Some(true) =>
                    {
                        true
                    }
                    None => {
                        add_pause(status, "BlueGreenPause");
                        false
                    }
                    Some(_) => false,
                }
            };
        if promote {
            switch_service(cx, ro, &active_service, hash);
            active = hash.to_string();
            remove_pause(status, "BlueGreenPause");
            if let Some(map) = status.as_object_mut() {
                map.remove("controllerPause");
                map.remove("promoteFull");
            }
        }
    }
    if active == hash && ready_count(&new_pods) == desired && !abort {
        status["stableRS"] = json!(hash);
    }
    // The active ReplicaSet stays full; others go after scaleDownDelaySeconds.
    let delay = bg
        .get("scaleDownDelaySeconds")
        .and_then(Value::as_i64)
        .unwrap_or(30);
    for rs in rss {
        if uid(rs) == uid(new_rs) {
            continue;
        }
        let rs_hash = label(rs, HASH).unwrap_or_default();
        if rs_hash == active {
            let pods = scale_pods(ctl, cx, rs, desired);
            ctl.advance(cx, &pods, false);
            continue;
        }
        let deadline = text(rs, &format!("/metadata/annotations/{DEADLINE}")).to_string();
        let has_pods = !owned(cx.store, cx.ids.pods, &ns, uid(rs)).is_empty();
        if !has_pods {
            continue;
        }
        if deadline.is_empty() && delay > 0 {
            let mut rs = rs.clone();
            let at = jiff::Timestamp::now().as_second() + delay;
            let at = jiff::Timestamp::from_second(at)
                .map(|t| t.to_string())
                .unwrap_or_default();
            rs["metadata"]["annotations"][DEADLINE] = json!(at);
            cx.update(cx.ids.replicasets, rs);
        } else if deadline.is_empty() || elapsed_since(&deadline) >= 0 {
            scale_pods(ctl, cx, rs, 0);
        }
    }
    status["blueGreen"]["activeSelector"] = json!(selector_of(cx, &active_service));
    if !preview_service.is_empty() {
        status["blueGreen"]["previewSelector"] = json!(selector_of(cx, &preview_service));
    }
    new_pods
}

/// The Service's selector pointed at `hash` (the controller sends a
/// strategic merge patch; the result is the same).
fn switch_service(cx: &mut Cx, ro: &Value, service: &str, hash: &str) {
    let (ns, name) = ns_name(ro);
    let Some(mut svc) = cx.get(cx.ids.services, &ns, service) else {
        return;
    };
    if text(&svc, &format!("/spec/selector/{HASH}")) == hash {
        return;
    }
    svc["spec"]["selector"][HASH] = json!(hash);
    svc["metadata"]["annotations"]["argo-rollouts.argoproj.io/managed-by-rollouts"] = json!(name);
    cx.update(cx.ids.services, svc);
}

fn write_status(
    cx: &mut Cx,
    ids: &RolloutIds,
    ro: &Value,
    new_rs: &Value,
    new_pods: &[Value],
    mut status: Value,
    blue_green: bool,
) {
    let (ns, _) = ns_name(ro);
    let rss = owned(cx.store, cx.ids.replicasets, &ns, uid(ro));
    let mut total = 0;
    let mut ready = 0;
    let active = text(&status, "/blueGreen/activeSelector").to_string();
    for rs in &rss {
        let pods = owned(cx.store, cx.ids.pods, &ns, uid(rs));
        total += pods.len() as i64;
        // Blue-green counts the active ReplicaSet only.
        if !blue_green || label(rs, HASH) == Some(active.as_str()) {
            ready += ready_count(&pods);
        }
    }
    let abort_message = status
        .as_object_mut()
        .and_then(|m| m.remove("sim.abortMessage"))
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    status["replicas"] = json!(total);
    status["updatedReplicas"] = json!(new_pods.len());
    status["readyReplicas"] = json!(ready);
    status["availableReplicas"] = json!(ready);
    status["observedGeneration"] = json!(
        ro.pointer("/metadata/generation")
            .and_then(Value::as_i64)
            .unwrap_or(1)
            .to_string()
    );
    status["selector"] = json!(
        ro.pointer("/spec/selector/matchLabels")
            .and_then(Value::as_object)
            .map(|m| m
                .iter()
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
                .collect::<Vec<_>>()
                .join(","))
            .unwrap_or_default()
    );
    let abort = status.get("abort").and_then(Value::as_bool) == Some(true);
    let revision = revision(new_rs);
    let mut conditions = super::conditions(ro);
    let progressing = if abort {
        let message = match conditions
            .iter()
            .find(|c| text(c, "/reason") == "RolloutAborted")
        {
            Some(c) => text(c, "/message").to_string(),
            None if abort_message.is_empty() => {
                format!("Rollout aborted update to revision {revision}")
            }
            None => format!("Rollout aborted update to revision {revision}: {abort_message}"),
        };
        ("False", "RolloutAborted", message)
    } else if ro.pointer("/spec/paused").and_then(Value::as_bool) == Some(true) {
        ("Unknown", "RolloutPaused", "Rollout is paused".to_string())
    } else if text(&status, "/stableRS") == text(&status, "/currentPodHash") {
        (
            "True",
            "NewReplicaSetAvailable",
            "Rollout has completed rollout".to_string(),
        )
    } else {
        (
            "True",
            "ReplicaSetUpdated",
            format!(
                "ReplicaSet \"{}\" is progressing.",
                meta_str(new_rs, "name").unwrap_or_default()
            ),
        )
    };
    super::set_condition(
        &mut conditions,
        "Progressing",
        progressing.0,
        progressing.1,
        &progressing.2,
    );
    let available = if ready >= replicas(ro) {
        "True"
    } else {
        "False"
    };
    super::set_condition(
        &mut conditions,
        "Available",
        available,
        "AvailableReason",
        "Rollout has minimum availability",
    );
    status["conditions"] = json!(conditions);
    let parsed = crate::cluster::argo_rollouts::Rollout::from_value(&json!({
        "metadata": ro.get("metadata"), "spec": ro.get("spec"), "status": status.clone(),
    }));
    if let Ok(parsed) = parsed {
        // The controller computes phase and message with the same
        // CalculateRolloutPhase the plugin falls back to.
        let state = parsed.status();
        let (phase, message) =
            crate::cluster::argo_rollouts::status::calculate_phase(&parsed, &state);
        status["phase"] = json!(phase.as_str());
        status["message"] = json!(message);
    }
    cx.set_status(ids.rollouts, ro, status);
}

//! Jobs (batch/v1) as the job controller runs them: pods up to
//! `parallelism`, each Pending → Running → terminated after [`RUN_TICKS`]
//! steps with the exit code the outcome knob says; retries up to
//! `backoffLimit`; the 1.31+ condition sequence (SuccessCriteriaMet or
//! FailureTarget one step before Complete or Failed); `suspend`,
//! `activeDeadlineSeconds` and `ttlSecondsAfterFinished`.
//!
//! The pod stepping here is shared with the Argo Workflow controller.

use jiff::{SignedDuration, Timestamp};
use serde_json::{Map, Value, json};

use super::{
    Controller, Cx, condition, conditions, is_ready, new_pod, ns_name, owned, pick_node,
    running_status, uid,
};
use crate::sim::build_log;
use crate::sim::objects::meta_str;
use crate::sim::util::now_rfc3339;

/// How the containers of a Job's (or Workflow's) pods end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum JobOutcome {
    /// Exit code 0: the pod Succeeded (reason Completed).
    #[default]
    Succeed,
    /// Exit code 1: the pod Failed (reason Error).
    Fail,
}

impl JobOutcome {
    pub(super) fn exit_code(self) -> i64 {
        match self {
            JobOutcome::Succeed => 0,
            JobOutcome::Fail => 1,
        }
    }
}

/// Steps a batch container runs before it terminates: long enough for a
/// build log to unfold at one line per step, short enough for tests.
pub(super) const RUN_TICKS: u32 = 20;

/// Where a batch pod is after a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum PodStep {
    Pending,
    Running,
    Succeeded,
    Failed,
}

fn phase(pod: &Value) -> &str {
    pod.pointer("/status/phase")
        .and_then(Value::as_str)
        .unwrap_or("Pending")
}

fn terminal(pod: &Value) -> bool {
    matches!(phase(pod), "Succeeded" | "Failed")
}

/// A node may take new pods unless it reports NotReady or is cordoned
/// (fixtures without conditions count as Ready).
fn schedulable(node: &Value) -> bool {
    let ready = node
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .and_then(|cs| {
            cs.iter()
                .find(|c| c.get("type").and_then(Value::as_str) == Some("Ready"))
        })
        .is_none_or(|c| c.get("status").and_then(Value::as_str) == Some("True"));
    let cordoned = node.pointer("/spec/unschedulable").and_then(Value::as_bool) == Some(true);
    ready && !cordoned
}

/// The node the scheduler would bind a new pod of `spec` to: its
/// `nodeName` if set, else a schedulable node matching `nodeSelector`.
pub(super) fn schedule(cx: &Cx, spec: &Value, pod_name: &str) -> Option<String> {
    if let Some(n) = spec.get("nodeName").and_then(Value::as_str) {
        return Some(n.to_string());
    }
    let selector = spec.get("nodeSelector").and_then(Value::as_object);
    let nodes: Vec<Value> = cx
        .nodes()
        .into_iter()
        .filter(schedulable)
        .filter(|n| {
            selector.is_none_or(|sel| {
                sel.iter()
                    .all(|(k, v)| n.pointer("/metadata/labels").and_then(|l| l.get(k)) == Some(v))
            })
        })
        .collect();
    pick_node(&nodes, pod_name)
}

/// The status of a pod no node can take, as the scheduler reports it.
pub(super) fn unschedulable_status(cx: &Cx) -> Value {
    let n = cx.nodes().len();
    json!({
        "phase": "Pending",
        "conditions": [{
            "type": "PodScheduled",
            "status": "False",
            "lastProbeTime": null,
            "lastTransitionTime": now_rfc3339(),
            "reason": "Unschedulable",
            "message": format!("0/{n} nodes are available: {n} node(s) didn't match Pod's node affinity/selector. preemption: 0/{n} nodes are available: {n} Preemption is not helpful for scheduling."),
        }],
        "qosClass": "BestEffort",
    })
}

/// A terminated pod's status: each container ends with `exit_code(name)`;
/// with `restart` (restartPolicy OnFailure) a failing container starts
/// again in place instead, and the pod keeps running.
fn finished_status(
    pod: &Value,
    exit_code: &dyn Fn(&str) -> i64,
    restart: bool,
) -> (Value, PodStep) {
    let now = now_rfc3339();
    let mut status = pod.get("status").cloned().unwrap_or_else(|| json!({}));
    let mut failed = false;
    let mut restarted = false;
    if let Some(cs) = status
        .get_mut("containerStatuses")
        .and_then(Value::as_array_mut)
    {
        for c in cs.iter_mut() {
            if c.pointer("/state/terminated").is_some() {
                continue;
            }
            let name = c
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            let code = exit_code(&name);
            let mut term = json!({
                "exitCode": code,
                "reason": if code == 0 { "Completed" } else { "Error" },
                "startedAt": c.pointer("/state/running/startedAt").cloned().unwrap_or(json!(now)),
                "finishedAt": now,
                "containerID": c.get("containerID").cloned().unwrap_or(Value::Null),
            });
            if code == 0
                && let Some(msg) = build_log::termination_message(pod, &name)
            {
                term["message"] = json!(msg);
            }
            failed |= code != 0;
            if restart && code != 0 {
                let restarts = c.get("restartCount").and_then(Value::as_i64).unwrap_or(0);
                c["restartCount"] = json!(restarts + 1);
                c["lastState"] = json!({ "terminated": term });
                c["state"] = json!({"running": {"startedAt": now}});
                restarted = true;
            } else {
                c["state"] = json!({ "terminated": term });
                c["ready"] = json!(false);
                c["started"] = json!(false);
            }
        }
    }
    if restarted {
        return (status, PodStep::Running);
    }
    let (phase, step, reason) = if failed {
        ("Failed", PodStep::Failed, "PodFailed")
    } else {
        ("Succeeded", PodStep::Succeeded, "PodCompleted")
    };
    status["phase"] = json!(phase);
    status["conditions"] = json!([
        condition("PodReadyToStartContainers", false, &now, None),
        condition("Initialized", true, &now, Some("PodCompleted")),
        condition("Ready", false, &now, Some(reason)),
        condition("ContainersReady", false, &now, Some(reason)),
        condition("PodScheduled", true, &now, None),
    ]);
    (status, step)
}

impl Controller {
    /// Moves a batch pod one step: a scheduled Pending pod starts, a
    /// running one terminates after [`RUN_TICKS`] steps unless `held`.
    pub(super) fn step_batch_pod(
        &mut self,
        cx: &mut Cx,
        pod: &Value,
        held: bool,
        exit_code: &dyn Fn(&str) -> i64,
        restart: bool,
    ) -> PodStep {
        match phase(pod) {
            "Succeeded" => return PodStep::Succeeded,
            "Failed" => return PodStep::Failed,
            _ => {}
        }
        let pod_uid = uid(pod).to_string();
        if phase(pod) != "Running" {
            let bound = pod
                .pointer("/spec/nodeName")
                .and_then(Value::as_str)
                .is_some_and(|n| !n.is_empty());
            if !bound {
                return PodStep::Pending;
            }
            let status = running_status(cx, pod);
            cx.set_status(cx.ids.pods, pod, status);
            self.batch.insert(pod_uid, 0);
            return PodStep::Running;
        }
        let ticks = self.batch.entry(pod_uid.clone()).or_insert(0);
        *ticks += 1;
        if held || *ticks < RUN_TICKS {
            return PodStep::Running;
        }
        let (status, step) = finished_status(pod, exit_code, restart);
        if step == PodStep::Running {
            self.batch.insert(pod_uid, 0);
        } else {
            self.batch.remove(&pod_uid);
        }
        cx.set_status(cx.ids.pods, pod, status);
        step
    }
}

fn has_true(conds: &[Value], kind: &str) -> bool {
    conds.iter().any(|c| {
        c.get("type").and_then(Value::as_str) == Some(kind)
            && c.get("status").and_then(Value::as_str) == Some("True")
    })
}

/// Sets a Job condition; its transition time moves only when the status does.
fn set_job_condition(
    conds: &mut Vec<Value>,
    kind: &str,
    status: &str,
    reason: &str,
    message: &str,
) {
    let now = now_rfc3339();
    let c = json!({
        "type": kind, "status": status, "lastProbeTime": now, "lastTransitionTime": now,
        "reason": reason, "message": message,
    });
    match conds
        .iter_mut()
        .find(|c| c.get("type").and_then(Value::as_str) == Some(kind))
    {
        Some(old) if old.get("status").and_then(Value::as_str) == Some(status) => {}
        Some(old) => *old = c,
        None => conds.push(c),
    }
}

fn parse_ts(v: Option<&Value>) -> Option<Timestamp> {
    v?.as_str()?.parse().ok()
}

/// What the Job's pods add up to.
#[derive(Debug, Default)]
struct Counts {
    active: i64,
    ready: i64,
    succeeded: i64,
    failed: i64,
}

/// The status the job controller writes (zero counts left out, as its
/// `omitempty` fields are; `ready` and `terminating` always present).
fn job_status(c: &Counts, conds: &[Value], start: Option<&str>, completion: Option<&str>) -> Value {
    let mut st = json!({
        "ready": c.ready,
        "terminating": 0,
        "uncountedTerminatedPods": {},
    });
    for (k, v) in [
        ("active", c.active),
        ("succeeded", c.succeeded),
        ("failed", c.failed),
    ] {
        if v > 0 {
            st[k] = json!(v);
        }
    }
    if let Some(s) = start {
        st["startTime"] = json!(s);
    }
    if let Some(t) = completion {
        st["completionTime"] = json!(t);
    }
    if !conds.is_empty() {
        st["conditions"] = json!(conds);
    }
    st
}

/// `ttlSecondsAfterFinished`: the finished Job and its pods go once it
/// has been finished that long (the TTL controller deletes in the
/// foreground, so the pods go with it).
fn expire(cx: &mut Cx, job: &Value, conds: &[Value]) {
    let Some(ttl) = job
        .pointer("/spec/ttlSecondsAfterFinished")
        .and_then(Value::as_i64)
    else {
        return;
    };
    let failed_at = conds
        .iter()
        .find(|c| c.get("type").and_then(Value::as_str) == Some("Failed"))
        .and_then(|c| parse_ts(c.get("lastTransitionTime")));
    let Some(finished) = parse_ts(job.pointer("/status/completionTime")).or(failed_at) else {
        return;
    };
    let due = finished
        .checked_add(SignedDuration::from_secs(ttl.max(0)))
        .unwrap_or(finished);
    if Timestamp::now() < due {
        return;
    }
    let (ns, _) = ns_name(job);
    for p in owned(cx.store, cx.ids.pods, &ns, uid(job)) {
        cx.delete(cx.ids.pods, &p);
    }
    cx.delete(cx.ids.jobs, job);
}

fn count_pods(pods: &[Value], previous_failed: i64) -> Counts {
    let n = |ph: &str| pods.iter().filter(|p| phase(p) == ph).count() as i64;
    let active: Vec<&Value> = pods.iter().filter(|p| !terminal(p)).collect();
    Counts {
        active: active.len() as i64,
        ready: active.iter().filter(|p| is_ready(p)).count() as i64,
        succeeded: n("Succeeded"),
        failed: n("Failed").max(previous_failed),
    }
}

/// Deletes the Job's running pods; the job controller counts them failed.
fn stop_active(cx: &mut Cx, pods: &[Value], counts: &mut Counts) {
    for p in pods.iter().filter(|p| !terminal(p)) {
        cx.delete(cx.ids.pods, p);
        counts.failed += 1;
    }
    counts.active = 0;
    counts.ready = 0;
}

fn create_pod(cx: &mut Cx, job: &Value) {
    let (ns, name) = ns_name(job);
    let job_uid = uid(job).to_string();
    let template = job
        .pointer("/spec/template")
        .cloned()
        .unwrap_or_else(|| json!({}));
    let pod_name = cx.pod_name(&name, &ns);
    let mut extra = Map::new();
    for (k, v) in [
        ("batch.kubernetes.io/controller-uid", job_uid.as_str()),
        ("batch.kubernetes.io/job-name", name.as_str()),
        ("controller-uid", job_uid.as_str()),
        ("job-name", name.as_str()),
    ] {
        extra.insert(k.into(), json!(v));
    }
    let spec = template.get("spec").cloned().unwrap_or_else(|| json!({}));
    let node = schedule(cx, &spec, &pod_name);
    let mut pod = new_pod(&pod_name, &ns, &template, &extra, job, node.as_deref());
    pod["metadata"]["generateName"] = json!(format!("{name}-"));
    if node.is_none() {
        pod["status"] = unschedulable_status(cx);
    }
    // Not through `Controller::create_pod`: batch pods are stepped by
    // `step_batch_pod`, not by the workload controllers' `pending` set.
    cx.create(cx.ids.pods, pod);
}

pub(super) fn reconcile(ctl: &mut Controller, cx: &mut Cx, job: &Value) {
    if meta_str(job, "deletionTimestamp").is_some() {
        return;
    }
    let (ns, name) = ns_name(job);
    let job_uid = uid(job).to_string();
    let mut conds = conditions(job);
    if has_true(&conds, "Complete") || has_true(&conds, "Failed") {
        expire(cx, job, &conds);
        return;
    }
    let spec_i64 = |f: &str| job.pointer(&format!("/spec/{f}")).and_then(Value::as_i64);
    let backoff_limit = spec_i64("backoffLimit").unwrap_or(6).max(0);
    // A work queue (no completions) is done after one success.
    let completions = spec_i64("completions").unwrap_or(1).max(1);
    let parallelism = spec_i64("parallelism").unwrap_or(1).max(0);
    let deadline = spec_i64("activeDeadlineSeconds");
    let suspend = job.pointer("/spec/suspend").and_then(Value::as_bool) == Some(true);
    let restart = job
        .pointer("/spec/template/spec/restartPolicy")
        .and_then(Value::as_str)
        == Some("OnFailure");
    let previous_failed = job
        .pointer("/status/failed")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    let mut start = job
        .pointer("/status/startTime")
        .and_then(Value::as_str)
        .map(str::to_string);
    let pods = owned(cx.store, cx.ids.pods, &ns, &job_uid);

    // One step after the interim condition, the terminal one follows.
    let interim = [
        ("FailureTarget", "Failed"),
        ("SuccessCriteriaMet", "Complete"),
    ]
    .into_iter()
    .find(|(t, _)| has_true(&conds, t));
    if let Some((target, done)) = interim {
        let mut counts = count_pods(&pods, previous_failed);
        stop_active(cx, &pods, &mut counts);
        let (reason, message) = conds
            .iter()
            .find(|c| c.get("type").and_then(Value::as_str) == Some(target))
            .map(|c| {
                let s = |f: &str| {
                    c.get(f)
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string()
                };
                (s("reason"), s("message"))
            })
            .unwrap_or_default();
        set_job_condition(&mut conds, done, "True", &reason, &message);
        let completion = (done == "Complete").then(now_rfc3339);
        let st = job_status(&counts, &conds, start.as_deref(), completion.as_deref());
        cx.set_status(cx.ids.jobs, job, st);
        return;
    }

    if suspend {
        let mut counts = count_pods(&pods, previous_failed);
        for p in pods.iter().filter(|p| !terminal(p)) {
            cx.delete(cx.ids.pods, p);
        }
        counts.active = 0;
        counts.ready = 0;
        set_job_condition(
            &mut conds,
            "Suspended",
            "True",
            "JobSuspended",
            "Job suspended",
        );
        // The deadline clock stops while suspended and restarts on resume.
        let st = job_status(&counts, &conds, None, None);
        cx.set_status(cx.ids.jobs, job, st);
        return;
    }
    if has_true(&conds, "Suspended") {
        set_job_condition(
            &mut conds,
            "Suspended",
            "False",
            "JobResumed",
            "Job resumed",
        );
        start = None;
    }

    let outcome = cx.knobs.outcome(&name);
    let held = cx.knobs.is_held(&name);
    let code = outcome.exit_code();
    for p in &pods {
        ctl.step_batch_pod(cx, p, held, &|_| code, restart);
    }
    let pods = owned(cx.store, cx.ids.pods, &ns, &job_uid);
    let mut counts = count_pods(&pods, previous_failed);
    let restarts: i64 = if restart {
        pods.iter()
            .filter_map(|p| p.pointer("/status/containerStatuses")?.as_array())
            .flatten()
            .filter_map(|c| c.get("restartCount").and_then(Value::as_i64))
            .sum()
    } else {
        0
    };
    let past_deadline = match (
        deadline,
        start.as_deref().and_then(|s| s.parse::<Timestamp>().ok()),
    ) {
        (Some(d), Some(s)) => Timestamp::now().duration_since(s) >= SignedDuration::from_secs(d),
        _ => false,
    };
    let verdict = if past_deadline {
        Some((
            "FailureTarget",
            "DeadlineExceeded",
            "Job was active longer than specified deadline",
        ))
    } else if counts.failed + restarts > backoff_limit {
        Some((
            "FailureTarget",
            "BackoffLimitExceeded",
            "Job has reached the specified backoff limit",
        ))
    } else if counts.succeeded >= completions {
        Some((
            "SuccessCriteriaMet",
            "CompletionsReached",
            "Reached expected number of succeeded pods",
        ))
    } else {
        None
    };
    if let Some((kind, reason, message)) = verdict {
        if kind == "FailureTarget" {
            stop_active(cx, &pods, &mut counts);
        } else {
            // Extra pods are not needed any more; they do not count as failed.
            for p in pods.iter().filter(|p| !terminal(p)) {
                cx.delete(cx.ids.pods, p);
            }
            counts.active = 0;
            counts.ready = 0;
        }
        set_job_condition(&mut conds, kind, "True", reason, message);
        let st = job_status(&counts, &conds, start.as_deref(), None);
        cx.set_status(cx.ids.jobs, job, st);
        return;
    }
    let want = parallelism.min(completions - counts.succeeded) - counts.active;
    for _ in 0..want.max(0) {
        create_pod(cx, job);
        counts.active += 1;
    }
    if start.is_none() && counts.active > 0 {
        start = Some(now_rfc3339());
    }
    let st = job_status(&counts, &conds, start.as_deref(), None);
    cx.set_status(cx.ids.jobs, job, st);
}

//! Deployments: a ReplicaSet per pod template, rolled like RollingUpdate
//! with maxSurge 1 and maxUnavailable 0 (Recreate: old pods first).

use serde_json::{Map, Value, json};

use super::{
    Controller, Cx, conditions, is_ready, label, new_pod, ns_name, owned, pick_node, set_condition,
    template_hash, uid,
};
use crate::sim::objects::meta_str;

const REVISION: &str = "deployment.kubernetes.io/revision";
const HASH: &str = "pod-template-hash";

fn revision(obj: &Value) -> i64 {
    super::annotation_number(obj, REVISION)
}

fn without_hash(template: &Value) -> Value {
    without_label(template, HASH)
}

/// The template without the controller's hash label, to compare with the
/// owner's template.
pub(super) fn without_label(template: &Value, key: &str) -> Value {
    let mut t = template.clone();
    if let Some(Value::Object(labels)) = t.pointer_mut("/metadata/labels") {
        labels.remove(key);
    }
    t
}

fn replicas(obj: &Value) -> i64 {
    super::spec_replicas(obj)
}

fn with_revision(mut obj: Value, rev: i64) -> Value {
    if let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
        let ann = meta
            .entry("annotations")
            .or_insert_with(|| json!({}))
            .as_object_mut();
        if let Some(ann) = ann {
            ann.insert(REVISION.into(), json!(rev.to_string()));
        }
    }
    obj
}

/// The Deployment's annotations a ReplicaSet carries
/// (`copyDeploymentAnnotationsToReplicaSet`: change-cause among them).
fn copied_annotations(d: &Value) -> Map<String, Value> {
    const SKIP: [&str; 6] = [
        "kubectl.kubernetes.io/last-applied-configuration",
        REVISION,
        "deployment.kubernetes.io/revision-history",
        "deployment.kubernetes.io/desired-replicas",
        "deployment.kubernetes.io/max-replicas",
        "deprecated.deployment.rollback.to",
    ];
    d.pointer("/metadata/annotations")
        .and_then(Value::as_object)
        .map(|a| {
            a.iter()
                .filter(|(k, _)| !SKIP.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        })
        .unwrap_or_default()
}

fn new_replicaset(d: &Value, template: &Value, hash: &str, rev: i64, desired: i64) -> Value {
    let (ns, name) = ns_name(d);
    let mut rs_template = template.clone();
    if !rs_template.is_object() {
        rs_template = json!({});
    }
    let mut labels = template
        .pointer("/metadata/labels")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    labels.insert(HASH.into(), json!(hash));
    rs_template["metadata"] = rs_template
        .get("metadata")
        .cloned()
        .filter(Value::is_object)
        .unwrap_or_else(|| json!({}));
    rs_template["metadata"]["labels"] = json!(labels);
    let mut selector = d
        .pointer("/spec/selector/matchLabels")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    selector.insert(HASH.into(), json!(hash));
    let mut annotations = copied_annotations(d);
    annotations.insert(
        "deployment.kubernetes.io/desired-replicas".into(),
        json!(desired.to_string()),
    );
    annotations.insert(
        "deployment.kubernetes.io/max-replicas".into(),
        json!((desired + 1).to_string()),
    );
    annotations.insert(REVISION.into(), json!(rev.to_string()));
    json!({
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {
            "name": format!("{name}-{hash}"),
            "namespace": ns,
            "labels": labels,
            "annotations": annotations,
            "ownerReferences": [super::owner_ref(d)],
        },
        "spec": {
            "replicas": 0,
            "selector": {"matchLabels": selector},
            "template": rs_template,
        },
        "status": {"replicas": 0, "observedGeneration": 1},
    })
}

/// Not-ready pods first, so scaling down never costs availability.
pub(super) fn deletion_order(pods: &mut [Value]) {
    pods.sort_by_key(|p| {
        (
            is_ready(p),
            meta_str(p, "name").unwrap_or_default().to_string(),
        )
    });
}

pub(super) fn reconcile(ctl: &mut Controller, cx: &mut Cx, d: &Value) {
    let ids = cx.ids;
    let (ns, name) = ns_name(d);
    let d_uid = uid(d).to_string();
    let desired = replicas(d);
    let template = d
        .pointer("/spec/template")
        .cloned()
        .unwrap_or_else(|| json!({}));
    let paused = d.pointer("/spec/paused").and_then(Value::as_bool) == Some(true);
    let recreate = d.pointer("/spec/strategy/type").and_then(Value::as_str) == Some("Recreate");
    let stalled = cx.knobs.is_stalled(&ns, &name);
    let deadline = d
        .pointer("/spec/progressDeadlineSeconds")
        .and_then(Value::as_u64)
        .unwrap_or(600);

    let rss = owned(cx.store, ids.replicasets, &ns, &d_uid);
    let max_rev = rss.iter().map(revision).max().unwrap_or(0);
    let current = rss
        .iter()
        .find(|rs| rs.pointer("/spec/template").map(without_hash).as_ref() == Some(&template))
        .cloned();
    if paused {
        write_status(cx, d, current.as_ref(), &rss, false, true);
        return;
    }
    let mut progressed = false;
    let new_rs = match current {
        Some(rs) if revision(&rs) < max_rev || (revision(&rs) == 0 && rss.len() > 1) => {
            // A rollback to an older template: it becomes the newest
            // revision and carries the Deployment's annotations again.
            let mut rs = with_revision(rs, max_rev + 1);
            if let Some(Value::Object(annotations)) = rs.pointer_mut("/metadata/annotations") {
                annotations.extend(copied_annotations(d));
            }
            cx.update(ids.replicasets, rs)
        }
        Some(rs) => Some(rs),
        None => {
            let hash = template_hash(&template);
            progressed = true;
            cx.create(
                ids.replicasets,
                new_replicaset(d, &template, &hash, max_rev + 1, desired),
            )
        }
    };
    let Some(new_rs) = new_rs else {
        return;
    };
    let new_rev = revision(&new_rs);
    if revision(d) != new_rev {
        cx.update(ids.deployments, with_revision(d.clone(), new_rev));
    }
    let new_uid = uid(&new_rs).to_string();
    let old_rss: Vec<Value> = rss
        .iter()
        .filter(|rs| uid(rs) != new_uid)
        .cloned()
        .collect();

    let new_pods = owned(cx.store, ids.pods, &ns, &new_uid);
    progressed |= ctl.advance(cx, &new_pods, stalled);
    let mut new_pods = owned(cx.store, ids.pods, &ns, &new_uid);
    let mut old_pods: Vec<Value> = old_rss
        .iter()
        .flat_map(|rs| owned(cx.store, ids.pods, &ns, uid(rs)))
        .collect();

    // Scale the new ReplicaSet down first when replicas were lowered.
    deletion_order(&mut new_pods);
    while new_pods.len() as i64 > desired {
        let p = new_pods.remove(0);
        cx.delete(ids.pods, &p);
        progressed = true;
    }
    deletion_order(&mut old_pods);
    if recreate {
        if !old_pods.is_empty() {
            for p in old_pods.drain(..) {
                cx.delete(ids.pods, &p);
            }
            progressed = true;
        }
    } else {
        // Unready old pods cost nothing; ready ones go while enough stay ready.
        let mut ready = new_pods
            .iter()
            .chain(&old_pods)
            .filter(|p| is_ready(p))
            .count() as i64;
        let mut keep = Vec::new();
        for p in old_pods.drain(..) {
            if !is_ready(&p) {
                cx.delete(ids.pods, &p);
                progressed = true;
            } else if ready > desired {
                cx.delete(ids.pods, &p);
                ready -= 1;
                progressed = true;
            } else {
                keep.push(p);
            }
        }
        old_pods = keep;
    }
    let surge = if recreate { 0 } else { 1 };
    let nodes = cx.nodes();
    let hash = label(&new_rs, HASH)
        .map(str::to_string)
        .unwrap_or_else(|| template_hash(&template));
    let rs_template = new_rs
        .pointer("/spec/template")
        .cloned()
        .unwrap_or_else(|| template.clone());
    let mut extra = Map::new();
    extra.insert(HASH.into(), json!(hash));
    let rs_name = meta_str(&new_rs, "name").unwrap_or_default().to_string();
    while (new_pods.len() as i64) < desired
        && ((new_pods.len() + old_pods.len()) as i64) < desired + surge
    {
        let pod_name = cx.pod_name(&rs_name, &ns);
        let node = pick_node(&nodes, &pod_name);
        let mut pod = new_pod(
            &pod_name,
            &ns,
            &rs_template,
            &extra,
            &new_rs,
            node.as_deref(),
        );
        pod["metadata"]["generateName"] = json!(format!("{rs_name}-"));
        if !ctl.create_pod(cx, pod.clone()) {
            break;
        }
        new_pods.push(pod);
        progressed = true;
    }

    // ReplicaSets follow their pods.
    sync_replicaset(cx, &new_rs, new_pods.len() as i64);
    for rs in &old_rss {
        let n = owned(cx.store, ids.pods, &ns, uid(rs)).len() as i64;
        sync_replicaset(cx, rs, n);
    }
    let d = cx
        .get(ids.deployments, &ns, &name)
        .unwrap_or_else(|| d.clone());
    let rss = owned(cx.store, ids.replicasets, &ns, &d_uid);
    let new_rs = cx.get(ids.replicasets, &ns, &rs_name);
    let past = ctl.stalled_past(&d, progressed, deadline);
    write_status(cx, &d, new_rs.as_ref(), &rss, past, false);
}

pub(super) fn sync_replicaset(cx: &mut Cx, rs: &Value, want: i64) {
    let ids = cx.ids;
    let mut rs = rs.clone();
    if rs.pointer("/spec/replicas").and_then(Value::as_i64) != Some(want) {
        rs["spec"]["replicas"] = json!(want);
        match cx.update(ids.replicasets, rs) {
            Some(updated) => rs = updated,
            None => return,
        }
    }
    let (ns, _) = ns_name(&rs);
    let pods = owned(cx.store, ids.pods, &ns, uid(&rs));
    let ready = pods.iter().filter(|p| is_ready(p)).count();
    let mut status = json!({
        "replicas": pods.len(),
        "fullyLabeledReplicas": pods.len(),
        "observedGeneration": rs.pointer("/metadata/generation").cloned().unwrap_or(json!(1)),
    });
    if ready > 0 {
        status["readyReplicas"] = json!(ready);
        status["availableReplicas"] = json!(ready);
    }
    cx.set_status(ids.replicasets, &rs, status);
}

fn write_status(
    cx: &mut Cx,
    d: &Value,
    new_rs: Option<&Value>,
    rss: &[Value],
    deadline_passed: bool,
    paused: bool,
) {
    let ids = cx.ids;
    let (ns, _) = ns_name(d);
    let desired = replicas(d);
    let new_uid = new_rs.map(|r| uid(r).to_string()).unwrap_or_default();
    let mut total = 0i64;
    let mut ready = 0i64;
    let mut updated = 0i64;
    for rs in rss {
        let pods = owned(cx.store, ids.pods, &ns, uid(rs));
        total += pods.len() as i64;
        ready += pods.iter().filter(|p| is_ready(p)).count() as i64;
        if uid(rs) == new_uid {
            updated = pods.len() as i64;
        }
    }
    let available = ready;
    let complete =
        new_rs.is_some() && updated == desired && total == desired && available == desired;
    let rs_name = new_rs
        .and_then(|r| meta_str(r, "name"))
        .unwrap_or_default()
        .to_string();
    let mut conds = conditions(d);
    if available >= desired {
        set_condition(
            &mut conds,
            "Available",
            "True",
            "MinimumReplicasAvailable",
            "Deployment has minimum availability.",
        );
    } else {
        set_condition(
            &mut conds,
            "Available",
            "False",
            "MinimumReplicasUnavailable",
            "Deployment does not have minimum availability.",
        );
    }
    let observed = d
        .pointer("/status/observedGeneration")
        .and_then(Value::as_i64);
    let generation = d
        .pointer("/metadata/generation")
        .and_then(Value::as_i64)
        .unwrap_or(1);
    let exceeded_before = conds.iter().any(|c| {
        c.get("type").and_then(Value::as_str) == Some("Progressing")
            && c.get("reason").and_then(Value::as_str) == Some("ProgressDeadlineExceeded")
    }) && observed == Some(generation);
    if paused {
        set_condition(
            &mut conds,
            "Progressing",
            "Unknown",
            "DeploymentPaused",
            "Deployment is paused",
        );
    } else if complete {
        set_condition(
            &mut conds,
            "Progressing",
            "True",
            "NewReplicaSetAvailable",
            &format!("ReplicaSet \"{rs_name}\" has successfully progressed."),
        );
    } else if exceeded_before || deadline_passed {
        set_condition(
            &mut conds,
            "Progressing",
            "False",
            "ProgressDeadlineExceeded",
            &format!("ReplicaSet \"{rs_name}\" has timed out progressing."),
        );
    } else {
        set_condition(
            &mut conds,
            "Progressing",
            "True",
            "ReplicaSetUpdated",
            &format!("ReplicaSet \"{rs_name}\" is progressing."),
        );
    }
    let mut status = Map::new();
    status.insert("observedGeneration".into(), json!(generation));
    for (k, v) in [
        ("replicas", total),
        ("updatedReplicas", updated),
        ("readyReplicas", ready),
        ("availableReplicas", available),
        ("unavailableReplicas", (desired - available).max(0)),
    ] {
        // omitempty, as the apiserver serializes these.
        if v > 0 {
            status.insert(k.into(), json!(v));
        }
    }
    status.insert("conditions".into(), json!(conds));
    if let Some(c) = d.pointer("/status/collisionCount") {
        status.insert("collisionCount".into(), c.clone());
    }
    cx.set_status(ids.deployments, d, Value::Object(status));
}

/// Progressing=False/ProgressDeadlineExceeded, kept until the rollout
/// completes or the Deployment changes again.
pub(super) fn mark_deadline_exceeded(cx: &mut Cx, d: &Value) {
    let mut conds = conditions(d);
    let rs_name = conds
        .iter()
        .find(|c| c.get("type").and_then(Value::as_str) == Some("Progressing"))
        .and_then(|c| c.get("message").and_then(Value::as_str))
        .and_then(|m| m.split('"').nth(1))
        .unwrap_or_default()
        .to_string();
    set_condition(
        &mut conds,
        "Progressing",
        "False",
        "ProgressDeadlineExceeded",
        &format!("ReplicaSet \"{rs_name}\" has timed out progressing."),
    );
    let mut status = d.get("status").cloned().unwrap_or_else(|| json!({}));
    if !status.is_object() {
        status = json!({});
    }
    status["conditions"] = json!(conds);
    cx.set_status(cx.ids.deployments, d, status);
}

//! DaemonSets: one pod per eligible node (nodeSelector and NoSchedule /
//! NoExecute taints respected); on a template change each node's pod is
//! replaced in turn (maxUnavailable 1, maxSurge 0).

use serde_json::{Map, Value, json};

use super::{Controller, Cx, is_ready, label, new_pod, ns_name, owned, template_hash, uid};
use crate::sim::objects::meta_str;

const REV: &str = "controller-revision-hash";

fn tolerated(taint: &Value, tolerations: &[Value]) -> bool {
    let effect = taint
        .get("effect")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if !matches!(effect, "NoSchedule" | "NoExecute") {
        return true;
    }
    let key = taint.get("key").and_then(Value::as_str).unwrap_or_default();
    let value = taint
        .get("value")
        .and_then(Value::as_str)
        .unwrap_or_default();
    tolerations.iter().any(|t| {
        let s = |f: &str| t.get(f).and_then(Value::as_str).unwrap_or_default();
        let key_ok = (s("key").is_empty() && s("operator") == "Exists") || s("key") == key;
        let value_ok = s("operator") == "Exists" || s("value") == value;
        let effect_ok = s("effect").is_empty() || s("effect") == effect;
        key_ok && value_ok && effect_ok
    })
}

fn eligible(node: &Value, template: &Value) -> bool {
    let selector_ok = template
        .pointer("/spec/nodeSelector")
        .and_then(Value::as_object)
        .is_none_or(|sel| {
            sel.iter()
                .all(|(k, v)| node.pointer("/metadata/labels").and_then(|l| l.get(k)) == Some(v))
        });
    let tolerations = template
        .pointer("/spec/tolerations")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let taints_ok = node
        .pointer("/spec/taints")
        .and_then(Value::as_array)
        .is_none_or(|ts| ts.iter().all(|t| tolerated(t, &tolerations)));
    selector_ok && taints_ok
}

fn node_of(pod: &Value) -> &str {
    pod.pointer("/spec/nodeName")
        .and_then(Value::as_str)
        .unwrap_or_default()
}

pub(super) fn reconcile(ctl: &mut Controller, cx: &mut Cx, d: &Value) {
    let ids = cx.ids;
    let (ns, name) = ns_name(d);
    let d_uid = uid(d).to_string();
    let stalled = cx.knobs.is_stalled(&ns, &name);
    let on_delete = d
        .pointer("/spec/updateStrategy/type")
        .and_then(Value::as_str)
        == Some("OnDelete");
    let template = d
        .pointer("/spec/template")
        .cloned()
        .unwrap_or_else(|| json!({}));
    let generation = d
        .pointer("/metadata/generation")
        .and_then(Value::as_i64)
        .unwrap_or(1);
    let update_rev = ctl
        .seeded_revision(d)
        .unwrap_or_else(|| template_hash(&template));
    // Its ControllerRevision is `<name>-<hash>`; pods carry the hash.
    let seeded = ctl
        .seeded_template(d)
        .map(|(hash, t)| (format!("{name}-{hash}"), hash, t));
    super::revisions::ensure(
        cx,
        d,
        &format!("{name}-{update_rev}"),
        &update_rev,
        &template,
        seeded
            .as_ref()
            .map(|(rev, hash, t)| (rev.as_str(), hash.as_str(), t)),
    );
    let mut nodes: Vec<String> = cx
        .nodes()
        .iter()
        .filter(|n| eligible(n, &template))
        .filter_map(|n| meta_str(n, "name").map(str::to_string))
        .collect();
    nodes.sort();

    let pods = owned(cx.store, ids.pods, &ns, &d_uid);
    ctl.advance(cx, &pods, stalled);
    let pods = owned(cx.store, ids.pods, &ns, &d_uid);
    let waiting = pods.iter().any(|p| ctl.pending.contains(uid(p)));
    // Pods on nodes that no longer qualify, and duplicates, go.
    let mut seen = std::collections::HashSet::new();
    for p in &pods {
        let node = node_of(p).to_string();
        if !nodes.contains(&node) || !seen.insert(node) {
            cx.delete(ids.pods, p);
        }
    }
    let mut create_on: Vec<String> = nodes
        .iter()
        .filter(|n| !pods.iter().any(|p| node_of(p) == n.as_str()))
        .cloned()
        .collect();
    if create_on.is_empty() && !waiting && !on_delete {
        let stale = pods
            .iter()
            .filter(|p| nodes.iter().any(|n| n == node_of(p)))
            .find(|p| label(p, REV) != Some(update_rev.as_str()));
        if let Some(p) = stale {
            cx.delete(ids.pods, p);
            create_on.push(node_of(p).to_string());
        }
    }
    for node in create_on {
        let pod_name = cx.pod_name(&name, &ns);
        let mut extra = Map::new();
        extra.insert(REV.into(), json!(update_rev));
        extra.insert(
            "pod-template-generation".into(),
            json!(generation.to_string()),
        );
        let mut pod = new_pod(&pod_name, &ns, &template, &extra, d, Some(&node));
        pod["metadata"]["generateName"] = json!(format!("{name}-"));
        ctl.create_pod(cx, pod);
    }

    let pods = owned(cx.store, ids.pods, &ns, &d_uid);
    let desired = nodes.len() as i64;
    let scheduled = pods.len() as i64;
    let ready = pods.iter().filter(|p| is_ready(p)).count() as i64;
    let updated = pods
        .iter()
        .filter(|p| label(p, REV) == Some(update_rev.as_str()))
        .count() as i64;
    let d = cx
        .get(ids.daemonsets, &ns, &name)
        .unwrap_or_else(|| d.clone());
    let mut status = json!({
        "observedGeneration": generation,
        "desiredNumberScheduled": desired,
        "currentNumberScheduled": scheduled,
        "numberMisscheduled": 0,
        "numberReady": ready,
    });
    for (k, v) in [
        ("updatedNumberScheduled", updated),
        ("numberAvailable", ready),
        ("numberUnavailable", (desired - ready).max(0)),
    ] {
        if v > 0 {
            status[k] = json!(v);
        }
    }
    cx.set_status(ids.daemonsets, &d, status);
}

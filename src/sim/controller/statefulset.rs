//! StatefulSets: ordinal pods `<name>-N`, created lowest first, deleted
//! and rolled highest first, one at a time, each waiting until Ready;
//! `updateStrategy.rollingUpdate.partition` is honoured.
//!
//! Each template is a ControllerRevision (controller/revisions.rs) named
//! like the pods' `controller-revision-hash`; a pod recreated below the
//! partition also gets the new template.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::{
    Controller, Cx, is_ready, label, new_pod, ns_name, owned, pick_node, template_hash, uid,
};

const REV: &str = "controller-revision-hash";

fn ordinal(name: &str, pod: &Value) -> Option<i64> {
    let n = crate::sim::objects::meta_str(pod, "name")?;
    n.strip_prefix(name)?.strip_prefix('-')?.parse().ok()
}

pub(super) fn reconcile(ctl: &mut Controller, cx: &mut Cx, s: &Value) {
    let ids = cx.ids;
    let (ns, name) = ns_name(s);
    let s_uid = uid(s).to_string();
    let desired = s
        .pointer("/spec/replicas")
        .and_then(Value::as_i64)
        .unwrap_or(1)
        .max(0);
    let partition = s
        .pointer("/spec/updateStrategy/rollingUpdate/partition")
        .and_then(Value::as_i64)
        .unwrap_or(0)
        .max(0);
    let on_delete = s
        .pointer("/spec/updateStrategy/type")
        .and_then(Value::as_str)
        == Some("OnDelete");
    let stalled = cx.knobs.is_stalled(&ns, &name);
    let template = s
        .pointer("/spec/template")
        .cloned()
        .unwrap_or_else(|| json!({}));
    let update_rev = ctl
        .seeded_revision(s)
        .unwrap_or_else(|| format!("{name}-{}", template_hash(&template)));
    let seeded = ctl.seeded_template(s);
    let hash_of = |rev: &str| rev.rsplit('-').next().unwrap_or_default().to_string();
    super::revisions::ensure(
        cx,
        s,
        &update_rev,
        &hash_of(&update_rev),
        &template,
        seeded
            .as_ref()
            .map(|(rev, t)| (rev.as_str(), rev.rsplit('-').next().unwrap_or_default(), t)),
    );
    let current_rev = s
        .pointer("/status/currentRevision")
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| update_rev.clone());

    let pods = owned(cx.store, ids.pods, &ns, &s_uid);
    ctl.advance(cx, &pods, stalled);
    let by_ord = |cx: &Cx| -> BTreeMap<i64, Value> {
        owned(cx.store, ids.pods, &ns, &s_uid)
            .into_iter()
            .filter_map(|p| ordinal(&name, &p).map(|o| (o, p)))
            .collect()
    };
    let pods = by_ord(cx);
    // OrderedReady: nothing else happens while a pod we made is not ready.
    let waiting = pods.values().any(|p| ctl.pending.contains(uid(p)));
    if !waiting {
        let mut roll: Option<i64> = None;
        if let Some((_, p)) = pods.iter().next_back().filter(|(o, _)| **o >= desired) {
            cx.delete(ids.pods, p);
        } else if let Some(missing) = (0..desired).find(|o| !pods.contains_key(o)) {
            roll = Some(missing);
        } else if !on_delete {
            let stale = (partition..desired).rev().find(|o| {
                pods.get(o)
                    .is_some_and(|p| label(p, REV) != Some(update_rev.as_str()))
            });
            if let Some(o) = stale
                && let Some(p) = pods.get(&o)
            {
                cx.delete(ids.pods, p);
                roll = Some(o);
            }
        }
        if let Some(o) = roll {
            let pod_name = format!("{name}-{o}");
            let mut extra = Map::new();
            extra.insert(REV.into(), json!(update_rev));
            extra.insert("statefulset.kubernetes.io/pod-name".into(), json!(pod_name));
            extra.insert("apps.kubernetes.io/pod-index".into(), json!(o.to_string()));
            let nodes = cx.nodes();
            let node = pick_node(&nodes, &pod_name);
            let mut pod = new_pod(&pod_name, &ns, &template, &extra, s, node.as_deref());
            pod["spec"]["hostname"] = json!(pod_name);
            if let Some(svc) = s.pointer("/spec/serviceName") {
                pod["spec"]["subdomain"] = svc.clone();
            }
            ctl.create_pod(cx, pod);
        }
    }
    let pods = by_ord(cx);
    let total = pods.len() as i64;
    let ready = pods.values().filter(|p| is_ready(p)).count() as i64;
    let updated = pods
        .values()
        .filter(|p| label(p, REV) == Some(update_rev.as_str()))
        .count() as i64;
    let done = updated == desired && total == desired && ready == desired;
    let current_rev = if done && partition == 0 {
        update_rev.clone()
    } else {
        current_rev
    };
    let current = pods
        .values()
        .filter(|p| label(p, REV) == Some(current_rev.as_str()))
        .count() as i64;
    let s = cx
        .get(ids.statefulsets, &ns, &name)
        .unwrap_or_else(|| s.clone());
    let mut status = json!({
        "observedGeneration": s.pointer("/metadata/generation").cloned().unwrap_or(json!(1)),
        "replicas": total,
        "currentRevision": current_rev,
        "updateRevision": update_rev,
        "collisionCount": 0,
    });
    for (k, v) in [
        ("readyReplicas", ready),
        ("availableReplicas", ready),
        ("currentReplicas", current),
        ("updatedReplicas", updated),
    ] {
        if v > 0 {
            status[k] = json!(v);
        }
    }
    cx.set_status(ids.statefulsets, &s, status);
}

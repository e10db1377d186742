//! The demo's liveliness: crash-looping pods keep restarting and their
//! BackOff events keep counting, through the normal write path so watches
//! see MODIFIED events.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};

use super::objects::{apply_unchecked, meta_str};
use super::state::Shared;
use super::util::{hash_str, now_rfc3339};

pub(crate) const TICK: Duration = Duration::from_secs(5);

pub(crate) fn spawn(shared: Arc<Shared>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut every = tokio::time::interval_at(tokio::time::Instant::now() + TICK, TICK);
        loop {
            every.tick().await;
            tick(&shared);
        }
    })
}

fn crash_looping(pod: &Value) -> Option<usize> {
    pod.pointer("/status/containerStatuses")?
        .as_array()?
        .iter()
        .position(|c| {
            c.pointer("/state/waiting/reason").and_then(Value::as_str) == Some("CrashLoopBackOff")
        })
}

pub(crate) fn tick(shared: &Shared) {
    let reg = &shared.registry;
    let (Some(pods_id), Some(events_id)) = (reg.by_kind("v1", "Pod"), reg.by_kind("v1", "Event"))
    else {
        return;
    };
    let mut store = shared.write();
    let victims: Vec<(Value, usize)> = store
        .res(pods_id)
        .map(|r| {
            r.objects
                .values()
                .filter_map(|s| crash_looping(&s.value).map(|i| (s.value.as_ref().clone(), i)))
                .collect()
        })
        .unwrap_or_default();
    let now = now_rfc3339();
    for (mut pod, i) in victims {
        let ns = meta_str(&pod, "namespace").unwrap_or("default").to_string();
        let name = meta_str(&pod, "name").unwrap_or_default().to_string();
        let uid = meta_str(&pod, "uid").unwrap_or_default().to_string();
        let node = pod
            .pointer("/spec/nodeName")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let Some(cs) = pod.pointer_mut(&format!("/status/containerStatuses/{i}")) else {
            continue;
        };
        let container = cs
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let restarts = cs.get("restartCount").and_then(Value::as_i64).unwrap_or(0) + 1;
        super::patch::merge(
            cs,
            &json!({
                "restartCount": restarts,
                "lastState": {"terminated": {"exitCode": 1, "reason": "Error", "startedAt": now, "finishedAt": now}},
            }),
        );
        meta_strip_rv(&mut pod);
        if let Err(e) = apply_unchecked(&mut store, reg, pods_id, pod) {
            tracing::debug!(error = %e, "live tick: pod update failed");
            continue;
        }
        let event_name = format!(
            "{name}.{:016x}",
            hash_str(&format!("{ns}/{name}/{container}"))
        );
        let event = match store.get(events_id, &ns, &event_name) {
            Some(s) => {
                let mut e = s.value.as_ref().clone();
                let count = e.get("count").and_then(Value::as_i64).unwrap_or(1) + 1;
                super::patch::merge(&mut e, &json!({"count": count, "lastTimestamp": now}));
                meta_strip_rv(&mut e);
                e
            }
            None => json!({
                "apiVersion": "v1", "kind": "Event",
                "metadata": {"name": event_name, "namespace": ns},
                "involvedObject": {"apiVersion": "v1", "kind": "Pod", "name": name, "namespace": ns, "uid": uid,
                                   "fieldPath": format!("spec.containers{{{container}}}")},
                "reason": "BackOff",
                "message": format!("Back-off restarting failed container {container} in pod {name}_{ns}({uid})"),
                "type": "Warning",
                "count": 1,
                "firstTimestamp": now,
                "lastTimestamp": now,
                "source": {"component": "kubelet", "host": node},
                "reportingComponent": "kubelet",
                "reportingInstance": node,
            }),
        };
        if let Err(e) = apply_unchecked(&mut store, reg, events_id, event) {
            tracing::debug!(error = %e, "live tick: event update failed");
        }
    }
}

fn meta_strip_rv(obj: &mut Value) {
    if let Some(Value::Object(m)) = obj.get_mut("metadata") {
        m.remove("resourceVersion");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::metrics::MetricsBase;
    use crate::sim::registry::Registry;
    use crate::sim::store::Store;
    use crate::sim::{SimOptions, ingest};

    #[test]
    fn crash_loops_restart_and_count_events() {
        let reg = Registry::builtin();
        let mut store = Store::new(&reg, 100);
        let mut metrics = MetricsBase::default();
        let pod = json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "bad", "namespace": "default"},
            "spec": {"nodeName": "n1", "containers": [{"name": "app"}]},
            "status": {"phase": "Running", "containerStatuses": [
                {"name": "app", "restartCount": 3, "state": {"waiting": {"reason": "CrashLoopBackOff"}}}]}});
        ingest(&mut store, &reg, &mut metrics, pod);
        store.reset_history();
        let shared = Shared::new(
            SimOptions::default(),
            reg,
            store,
            metrics,
            "127.0.0.1:1".into(),
        );
        tick(&shared);
        tick(&shared);
        let (pods, events) = (
            shared.registry.by_kind("v1", "Pod"),
            shared.registry.by_kind("v1", "Event"),
        );
        let store = shared.read();
        let pod = pods
            .and_then(|id| store.get(id, "default", "bad"))
            .map(|s| s.value.as_ref().clone());
        let restarts = pod
            .as_ref()
            .and_then(|p| p.pointer("/status/containerStatuses/0/restartCount"))
            .cloned();
        assert_eq!(restarts, Some(json!(5)));
        let count: Vec<Value> = events
            .and_then(|id| store.res(id))
            .map(|r| {
                r.objects
                    .values()
                    .map(|s| s.value["count"].clone())
                    .collect()
            })
            .unwrap_or_default();
        assert_eq!(count, vec![json!(2)]);
        // Four writes were recorded for watchers (two pods, two events).
        assert_eq!(
            pods.map(|id| store.since(id, 1).map(|h| h.len()).unwrap_or(0)),
            Some(2)
        );
    }
}

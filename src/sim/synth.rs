//! Generated pods for load tests: realistic full Pod objects spread over
//! namespaces `load-00`..`load-19`.

use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};

use super::objects::{meta_mut, meta_str};
use super::store::{ObjKey, Stored};
use super::util::{mix, new_uid, rfc3339};

pub(crate) const NAMESPACES: usize = 20;
const APPS: &[&str] = &[
    "api",
    "web",
    "worker",
    "cache",
    "queue",
    "auth",
    "billing",
    "search",
    "ingest",
    "notifier",
    "gateway",
    "scheduler",
];
const IMAGES: &[&str] = &[
    "ghcr.io/acme/api:1.14.2",
    "nginx:1.27-alpine",
    "ghcr.io/acme/worker:3.2.0",
    "redis:7.2",
    "rabbitmq:3.13-management",
    "ghcr.io/acme/auth:0.9.1",
];

const ALPHA: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";

/// Base-27 rendering in the apiserver's name alphabet, fixed width.
fn encode(mut n: u64, width: usize) -> String {
    (0..width)
        .map(|_| {
            let c = ALPHA[(n % 27) as usize] as char;
            n /= 27;
            c
        })
        .collect()
}

pub(crate) fn namespaces() -> Vec<Value> {
    (0..NAMESPACES)
        .map(|i| {
            json!({
                "apiVersion": "v1", "kind": "Namespace",
                "metadata": {"name": format!("load-{i:02}"), "labels": {"kubernetes.io/metadata.name": format!("load-{i:02}"), "bosun.dev/synthetic": "true"}},
                "spec": {"finalizers": ["kubernetes"]},
                "status": {"phase": "Active"}
            })
        })
        .collect()
}

/// Generates, stamps (uid, resourceVersion `first_rv + i`) and serializes
/// `n` pods on all cores: this is allocation-bound, and 20,000 pods must be
/// ready in well under a second.
pub(crate) fn stored_pods(n: usize, nodes: &[String], first_rv: u64) -> Vec<(ObjKey, Stored)> {
    let now = Timestamp::now();
    let default_nodes = ["k3s-server".to_string(), "k3s-agent-1".to_string()];
    let nodes = if nodes.is_empty() {
        &default_nodes[..]
    } else {
        nodes
    };
    let threads = std::thread::available_parallelism()
        .map_or(1, |p| p.get())
        .clamp(1, 8);
    let chunk = n.div_ceil(threads).max(1);
    let one = |i: usize| {
        let mut v = pod(i as u64, now, nodes);
        let key = (
            meta_str(&v, "namespace").unwrap_or_default().to_string(),
            meta_str(&v, "name").unwrap_or_default().to_string(),
        );
        let meta = meta_mut(&mut v);
        meta.insert("uid".into(), json!(new_uid()));
        meta.insert("generation".into(), json!(1));
        meta.insert(
            "resourceVersion".into(),
            json!((first_rv + i as u64).to_string()),
        );
        (key, Stored::new(v))
    };
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..n)
            .step_by(chunk)
            .map(|start| {
                s.spawn(move || (start..(start + chunk).min(n)).map(one).collect::<Vec<_>>())
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    })
}

fn ts(now: Timestamp, minutes_ago: u64) -> String {
    rfc3339(now - SignedDuration::from_mins(minutes_ago as i64))
}

fn pod(i: u64, now: Timestamp, nodes: &[String]) -> Value {
    let r = mix(i);
    let ns = format!("load-{:02}", i % NAMESPACES as u64);
    let app = APPS[((i / NAMESPACES as u64) % APPS.len() as u64) as usize];
    let template_hash = encode(mix(r % 7 + (i % NAMESPACES as u64) * 131), 10);
    let rs_name = format!("{app}-{template_hash}");
    let name = format!("{rs_name}-{}", encode(i, 5));
    let node = &nodes[(r % nodes.len() as u64) as usize];
    let age_min = 5 + (r >> 8) % (60 * 24 * 14);
    let created = ts(now, age_min);
    let started = ts(now, age_min.saturating_sub(1));
    let kind = (r >> 40) % 100;
    let two = (r >> 20).is_multiple_of(4);
    let image = IMAGES[((r >> 12) % IMAGES.len() as u64) as usize];
    let cpu_req = 50 + (r >> 24) % 8 * 25;
    let mem_req = 64 + (r >> 28) % 8 * 32;
    let ip = format!("10.42.{}.{}", (i / 250) % 250, i % 250 + 2);
    let host_ip = format!("192.168.1.{}", 10 + (r % nodes.len() as u64));
    let mut containers = vec![json!({
        "name": app, "image": image, "imagePullPolicy": "IfNotPresent",
        "ports": [{"containerPort": 8080, "name": "http", "protocol": "TCP"}],
        "resources": {"requests": {"cpu": format!("{cpu_req}m"), "memory": format!("{mem_req}Mi")},
                      "limits": {"cpu": format!("{}m", cpu_req * 4), "memory": format!("{}Mi", mem_req * 2)}},
        "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File"
    })];
    if two {
        containers.push(json!({
            "name": "metrics-sidecar", "image": "prom/statsd-exporter:v0.27.1",
            "ports": [{"containerPort": 9102, "name": "metrics", "protocol": "TCP"}],
            "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}, "limits": {"cpu": "50m", "memory": "32Mi"}}
        }));
    }
    let names: Vec<&str> = containers
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    let (phase, ready, statuses) = match kind {
        0..90 => ("Running", true, names.iter().map(|c| running(c, image, &started)).collect::<Vec<_>>()),
        90..94 => {
            let restarts = 3 + (r >> 50) % 40;
            let mut s: Vec<Value> = names.iter().map(|c| running(c, image, &started)).collect();
            s[0] = json!({
                "name": names[0], "image": image, "imageID": "", "ready": false, "started": false,
                "restartCount": restarts,
                "state": {"waiting": {"reason": "CrashLoopBackOff", "message": format!("back-off 5m0s restarting failed container={} pod={name}", names[0])}},
                "lastState": {"terminated": {"exitCode": 1, "reason": "Error", "startedAt": ts(now, 3), "finishedAt": ts(now, 2)}}
            });
            ("Running", false, s)
        }
        94..97 => ("Pending", false, Vec::new()),
        _ => (
            "Succeeded",
            false,
            names
                .iter()
                .map(|c| json!({"name": c, "image": image, "imageID": "", "ready": false, "started": false, "restartCount": 0,
                    "state": {"terminated": {"exitCode": 0, "reason": "Completed", "startedAt": started, "finishedAt": ts(now, age_min.saturating_sub(2))}}}))
                .collect(),
        ),
    };
    let cond = |t: &str, ok: bool| json!({"type": t, "status": if ok { "True" } else { "False" }, "lastProbeTime": null, "lastTransitionTime": started});
    let scheduled = phase != "Pending";
    let mut status = json!({
        "phase": phase,
        "qosClass": "Burstable",
        "conditions": [cond("PodReadyToStartContainers", scheduled), cond("Initialized", true), cond("Ready", ready), cond("ContainersReady", ready), cond("PodScheduled", scheduled)],
    });
    if scheduled {
        status["hostIP"] = json!(host_ip);
        status["hostIPs"] = json!([{"ip": host_ip}]);
        status["podIP"] = json!(ip);
        status["podIPs"] = json!([{"ip": ip}]);
        status["startTime"] = json!(started);
        status["containerStatuses"] = json!(statuses);
    } else {
        status["conditions"] = json!([{"type": "PodScheduled", "status": "False", "reason": "Unschedulable", "lastProbeTime": null, "lastTransitionTime": created,
            "message": "0/2 nodes are available: 2 Insufficient memory. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod."}]);
    }
    let mut spec = json!({
        "containers": containers,
        "restartPolicy": if phase == "Succeeded" { "OnFailure" } else { "Always" },
        "dnsPolicy": "ClusterFirst", "schedulerName": "default-scheduler",
        "serviceAccountName": "default", "terminationGracePeriodSeconds": 30,
        "tolerations": [{"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}]
    });
    if scheduled {
        spec["nodeName"] = json!(node);
    }
    json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {
            "name": name, "namespace": ns, "creationTimestamp": created, "generateName": format!("{rs_name}-"),
            "labels": {"app": app, "pod-template-hash": template_hash, "bosun.dev/synthetic": "true"},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": rs_name, "uid": format!("00000000-0000-4000-8000-{:012x}", mix(i % 97) & 0xffff_ffff_ffff), "controller": true, "blockOwnerDeletion": true}]
        },
        "spec": spec,
        "status": status
    })
}

fn running(container: &str, image: &str, started: &str) -> Value {
    json!({
        "name": container, "image": image, "imageID": format!("docker.io/library/{image}@sha256:4f1c"), "ready": true, "started": true,
        "restartCount": 0, "containerID": format!("containerd://{:016x}", super::util::hash_str(container)),
        "state": {"running": {"startedAt": started}}, "lastState": {}
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn generates_numbered_pods_with_their_bytes() {
        let pods = super::stored_pods(2_000, &[], 1);
        assert_eq!(pods.len(), 2_000);
        assert_eq!(pods[1_999].1.value["metadata"]["resourceVersion"], "2000");
        assert!(pods.iter().all(|(_, stored)| !stored.bytes.is_empty()));
    }
}

//! The simulator's workload controllers (rollouts, scaling) and pods/log,
//! driven over real HTTP by the real kube client (and kubectl when present).

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use bosun::sim::{SimCluster, SimOptions};
use futures::{AsyncBufReadExt, StreamExt, TryStreamExt};
use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, DeleteParams, ListParams, LogParams, Patch, PatchParams};
use kube::runtime::wait::await_condition;
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Client, ResourceExt};
use serde_json::json;

const FIXTURE: &str = r#"
apiVersion: v1
kind: Node
metadata: {name: k3s-server, labels: {kubernetes.io/hostname: k3s-server}}
status: {addresses: [{type: InternalIP, address: 192.168.1.10}]}
---
apiVersion: v1
kind: Node
metadata: {name: k3s-agent-1, labels: {kubernetes.io/hostname: k3s-agent-1}}
---
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop, uid: d-web, generation: 1, annotations: {deployment.kubernetes.io/revision: "1"}}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: "nginx:1.27"}]
status:
  observedGeneration: 1
  replicas: 3
  updatedReplicas: 3
  readyReplicas: 3
  availableReplicas: 3
---
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: web-oldhash
  namespace: shop
  uid: rs-web-old
  labels: {app: web, pod-template-hash: oldhash}
  annotations: {deployment.kubernetes.io/revision: "1"}
  ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: web, uid: d-web, controller: true}]
spec:
  replicas: 3
  selector: {matchLabels: {app: web, pod-template-hash: oldhash}}
  template:
    metadata: {labels: {app: web, pod-template-hash: oldhash}}
    spec:
      containers: [{name: web, image: "nginx:1.27"}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: frozen, namespace: shop, uid: d-frozen, generation: 1}
spec:
  paused: true
  replicas: 1
  selector: {matchLabels: {app: frozen}}
  template:
    metadata: {labels: {app: frozen}}
    spec:
      containers: [{name: app, image: "ghcr.io/acme/api:1.0"}]
status: {observedGeneration: 1, replicas: 0}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: shop, uid: s-db, generation: 1}
spec:
  replicas: 3
  serviceName: db
  selector: {matchLabels: {app: db}}
  updateStrategy: {type: RollingUpdate, rollingUpdate: {partition: 0}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers: [{name: db, image: "postgres:16"}]
status: {observedGeneration: 1, replicas: 3, readyReplicas: 3, currentReplicas: 3, updatedReplicas: 3,
         currentRevision: db-rev1, updateRevision: db-rev1}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: shop, uid: ds-agent, generation: 1}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      containers: [{name: agent, image: "prom/node-exporter:v1.8.2"}]
status: {observedGeneration: 1, desiredNumberScheduled: 2, currentNumberScheduled: 2, updatedNumberScheduled: 2,
         numberReady: 2, numberAvailable: 2, numberMisscheduled: 0}
"#;

fn ready_pod(name: &str, labels: &str, owner: &str, node: &str, image: &str) -> String {
    format!(
        r#"---
apiVersion: v1
kind: Pod
metadata:
  name: {name}
  namespace: shop
  labels: {labels}
  ownerReferences: [{owner}]
spec:
  nodeName: {node}
  containers: [{{name: main, image: "{image}"}}]
status:
  phase: Running
  startTime: "2025-12-31T00:00:00Z"
  conditions: [{{type: Ready, status: "True"}}]
  containerStatuses:
  - {{name: main, image: "{image}", ready: true, restartCount: 0, state: {{running: {{startedAt: "2025-12-31T00:00:00Z"}}}}}}
"#
    )
}

fn seeded_pods() -> String {
    let mut s = String::new();
    let rs = "{apiVersion: apps/v1, kind: ReplicaSet, name: web-oldhash, uid: rs-web-old, controller: true}";
    for (i, node) in ["k3s-server", "k3s-agent-1", "k3s-server"]
        .iter()
        .enumerate()
    {
        s += &ready_pod(
            &format!("web-oldhash-p{i}"),
            "{app: web, pod-template-hash: oldhash}",
            rs,
            node,
            "nginx:1.27",
        );
    }
    let sts = "{apiVersion: apps/v1, kind: StatefulSet, name: db, uid: s-db, controller: true}";
    for i in 0..3 {
        s += &ready_pod(
            &format!("db-{i}"),
            "{app: db, controller-revision-hash: db-rev1}",
            sts,
            "k3s-server",
            "postgres:16",
        );
    }
    let ds = "{apiVersion: apps/v1, kind: DaemonSet, name: agent, uid: ds-agent, controller: true}";
    for (i, node) in ["k3s-server", "k3s-agent-1"].iter().enumerate() {
        s += &ready_pod(
            &format!("agent-n{i}"),
            "{app: agent, controller-revision-hash: rev1}",
            ds,
            node,
            "prom/node-exporter:v1.8.2",
        );
    }
    s
}

const LOG_PODS: &str = r#"
apiVersion: v1
kind: Pod
metadata: {name: multi, namespace: shop}
spec:
  nodeName: k3s-server
  containers: [{name: app, image: "ghcr.io/acme/api:1.0"}, {name: proxy, image: "nginx:1.27"}]
status:
  phase: Running
  containerStatuses:
  - {name: app, ready: true, restartCount: 0, state: {running: {startedAt: "2025-12-31T23:00:00Z"}}}
  - {name: proxy, ready: true, restartCount: 0, state: {running: {startedAt: "2025-12-31T23:00:00Z"}}}
---
apiVersion: v1
kind: Pod
metadata: {name: crashy, namespace: shop}
spec:
  containers: [{name: exporter, image: "docker.io/oliver006/redis_exporter:v1.67.0"}]
status:
  phase: Running
  containerStatuses:
  - name: exporter
    ready: false
    restartCount: 47
    state: {waiting: {reason: CrashLoopBackOff}}
    lastState: {terminated: {exitCode: 1, reason: Error, startedAt: "2025-12-31T23:57:59Z", finishedAt: "2025-12-31T23:58:00Z"}}
---
apiVersion: v1
kind: Pod
metadata: {name: pulling, namespace: shop}
spec:
  containers: [{name: app, image: "ghcr.io/acme/api:2.0"}]
status:
  phase: Pending
  containerStatuses:
  - {name: app, ready: false, restartCount: 0, state: {waiting: {reason: ContainerCreating}}}
"#;

struct Env {
    sim: SimCluster,
    client: Client,
    _seed: tempfile::TempDir,
}

async fn client_for(sim: &SimCluster) -> Client {
    let kc = kube::config::Kubeconfig::read_from(sim.kubeconfig_path()).expect("kubeconfig");
    let config = kube::Config::from_custom_kubeconfig(kc, &Default::default())
        .await
        .expect("config");
    Client::try_from(config).expect("client")
}

async fn env_with(f: impl FnOnce(&mut SimOptions)) -> Env {
    let seed = tempfile::tempdir().expect("tempdir");
    std::fs::write(seed.path().join("10-workloads.yaml"), FIXTURE).expect("seed");
    std::fs::write(seed.path().join("20-pods.yaml"), seeded_pods()).expect("seed");
    std::fs::write(seed.path().join("30-logs.yaml"), LOG_PODS).expect("seed");
    let mut opts = SimOptions {
        seed_dir: Some(seed.path().to_path_buf()),
        ..SimOptions::default()
    };
    f(&mut opts);
    let sim = SimCluster::start(opts).await.expect("sim starts");
    let client = client_for(&sim).await;
    Env {
        sim,
        client,
        _seed: seed,
    }
}

/// Fast steps for tests that don't measure the default timing.
async fn fast_env() -> Env {
    env_with(|o| {
        o.rollout_step = Duration::from_millis(40);
        o.log_interval = Duration::from_millis(20);
    })
    .await
}

fn restart_patch() -> Patch<serde_json::Value> {
    Patch::Strategic(json!({"spec": {"template": {"metadata": {"annotations": {
        "kubectl.kubernetes.io/restartedAt": jiff::Timestamp::now().to_string()}}}}}))
}

fn deployment_done(d: &Deployment) -> bool {
    let (Some(spec), Some(st)) = (&d.spec, &d.status) else {
        return false;
    };
    let desired = spec.replicas.unwrap_or(1);
    st.observed_generation >= d.metadata.generation
        && st.updated_replicas.unwrap_or(0) == desired
        && st.replicas.unwrap_or(0) == desired
        && st.available_replicas.unwrap_or(0) == desired
}

async fn pods_with(client: &Client, selector: &str) -> Vec<Pod> {
    Api::<Pod>::namespaced(client.clone(), "shop")
        .list(&ListParams::default().labels(selector))
        .await
        .expect("list pods")
        .items
}

fn names(pods: &[Pod]) -> BTreeSet<String> {
    pods.iter().map(|p| p.name_any()).collect()
}

async fn wait_for<K, F>(api: &Api<K>, name: &str, secs: u64, what: &str, cond: F) -> K
where
    K: kube::Resource + Clone + std::fmt::Debug + serde::de::DeserializeOwned + Send + 'static,
    K::DynamicType: Default,
    F: Fn(&K) -> bool,
{
    let got = tokio::time::timeout(
        Duration::from_secs(secs),
        await_condition(api.clone(), name, move |o: Option<&K>| o.is_some_and(&cond)),
    )
    .await
    .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
    .expect("watch works");
    got.unwrap_or_else(|| panic!("{what}: object gone"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollout_restart_rolls_every_pod_with_the_default_step() {
    let e = env_with(|_| {}).await;
    let deploys: Api<Deployment> = Api::namespaced(e.client.clone(), "shop");
    // The seed is left alone.
    tokio::time::sleep(Duration::from_millis(700)).await;
    let old = pods_with(&e.client, "app=web").await;
    assert_eq!(old.len(), 3);
    let old_names = names(&old);

    let started = Instant::now();
    let patched = deploys
        .patch("web", &PatchParams::default(), &restart_patch())
        .await
        .expect("restart");
    assert_eq!(patched.metadata.generation, Some(2));
    // Watch the status progress: updatedReplicas must pass through 1, 2, 3.
    let seen = std::sync::Arc::new(std::sync::Mutex::new(BTreeSet::new()));
    let seen2 = seen.clone();
    let d = wait_for(
        &deploys,
        "web",
        10,
        "restart to finish",
        move |d: &Deployment| {
            if let Some(s) = &d.status {
                seen2
                    .lock()
                    .expect("lock")
                    .insert(s.updated_replicas.unwrap_or(0));
            }
            deployment_done(d)
        },
    )
    .await;
    let took = started.elapsed();
    assert!(took < Duration::from_secs(5), "rollout took {took:?}");
    assert!(
        seen.lock()
            .expect("lock")
            .is_superset(&BTreeSet::from([1, 2, 3])),
        "{seen:?}"
    );
    let status = d.status.clone().expect("status");
    let progressing = status
        .conditions
        .unwrap_or_default()
        .into_iter()
        .find(|c| c.type_ == "Progressing")
        .expect("Progressing");
    assert_eq!(
        progressing.reason.as_deref(),
        Some("NewReplicaSetAvailable")
    );
    assert_eq!(
        d.annotations()
            .get("deployment.kubernetes.io/revision")
            .map(String::as_str),
        Some("2")
    );

    let rss: Api<ReplicaSet> = Api::namespaced(e.client.clone(), "shop");
    let rs_list = rss
        .list(&ListParams::default().labels("app=web"))
        .await
        .expect("rs");
    let new_rs = rs_list
        .items
        .iter()
        .find(|rs| {
            rs.annotations()
                .get("deployment.kubernetes.io/revision")
                .map(String::as_str)
                == Some("2")
        })
        .expect("new replicaset");
    let hash = new_rs
        .labels()
        .get("pod-template-hash")
        .cloned()
        .expect("hash");
    assert_eq!(new_rs.name_any(), format!("web-{hash}"));
    assert_eq!(new_rs.owner_references()[0].uid, "d-web");
    let old_rs = rs_list
        .items
        .iter()
        .find(|rs| rs.name_any() == "web-oldhash")
        .expect("old rs");
    assert_eq!(old_rs.spec.as_ref().and_then(|s| s.replicas), Some(0));

    let now = pods_with(&e.client, "app=web").await;
    assert_eq!(now.len(), 3);
    assert!(names(&now).is_disjoint(&old_names), "{:?}", names(&now));
    for p in &now {
        assert_eq!(p.labels().get("pod-template-hash"), Some(&hash));
        assert_eq!(
            p.status.as_ref().and_then(|s| s.phase.as_deref()),
            Some("Running")
        );
        assert!(
            p.annotations()
                .contains_key("kubectl.kubernetes.io/restartedAt")
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_rollout_status_follows_a_restart() {
    if which("kubectl").is_none() {
        println!("skipped: kubectl is not on PATH");
        return;
    }
    let e = env_with(|_| {}).await;
    let kubeconfig = e.sim.kubeconfig_path().to_path_buf();
    let run = move |args: Vec<&'static str>| {
        let kubeconfig = kubeconfig.clone();
        tokio::task::spawn_blocking(move || {
            std::process::Command::new("kubectl")
                .arg("--kubeconfig")
                .arg(&kubeconfig)
                .args(&args)
                .output()
                .expect("kubectl runs")
        })
    };
    let out = run(vec!["rollout", "restart", "deploy/web", "-n", "shop"])
        .await
        .expect("join");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let started = Instant::now();
    let out = run(vec![
        "rollout",
        "status",
        "deploy/web",
        "-n",
        "shop",
        "--timeout=20s",
    ])
    .await
    .expect("join");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("successfully rolled out"), "{stdout}");
    assert!(
        stdout.contains("Waiting for deployment"),
        "saw no progress: {stdout}"
    );
    assert!(started.elapsed() < Duration::from_secs(10));
}

fn which(cmd: &str) -> Option<std::path::PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(cmd))
            .find(|p| p.is_file())
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_rollout_never_completes_and_can_exceed_its_deadline() {
    let e = fast_env().await;
    let deploys: Api<Deployment> = Api::namespaced(e.client.clone(), "shop");
    e.sim.stall_rollouts("shop", "web", true);
    deploys
        .patch("web", &PatchParams::default(), &restart_patch())
        .await
        .expect("restart");
    tokio::time::sleep(Duration::from_secs(2)).await;
    let d = deploys.get("web").await.expect("get");
    let st = d.status.clone().expect("status");
    let desired = 3;
    assert!(
        st.updated_replicas.unwrap_or(0) < desired
            || st.available_replicas.unwrap_or(0) < st.updated_replicas.unwrap_or(0),
        "{st:?}"
    );
    assert!(!deployment_done(&d));
    // The old pods are all still there and ready; the new one is stuck.
    let pods = pods_with(&e.client, "app=web").await;
    assert_eq!(pods.len(), 4, "{:?}", names(&pods));
    let stuck = pods
        .iter()
        .find(|p| p.labels().get("pod-template-hash").map(String::as_str) != Some("oldhash"))
        .expect("new pod");
    let waiting = stuck
        .status
        .as_ref()
        .and_then(|s| s.container_statuses.as_ref())
        .and_then(|c| c[0].state.as_ref())
        .and_then(|s| s.waiting.as_ref())
        .and_then(|w| w.reason.clone());
    assert_eq!(waiting.as_deref(), Some("ImagePullBackOff"));

    e.sim.exceed_deadline("shop", "web").expect("exceed");
    tokio::time::sleep(Duration::from_millis(200)).await;
    let d = deploys.get("web").await.expect("get");
    let cond = d
        .status
        .and_then(|s| s.conditions)
        .unwrap_or_default()
        .into_iter()
        .find(|c| c.type_ == "Progressing")
        .expect("Progressing");
    assert_eq!(
        (cond.status.as_str(), cond.reason.as_deref()),
        ("False", Some("ProgressDeadlineExceeded"))
    );

    // Lifting the stall lets the rollout finish.
    e.sim.stall_rollouts("shop", "web", false);
    wait_for(&deploys, "web", 10, "unstalled rollout", deployment_done).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statefulset_restart_rolls_highest_ordinal_first() {
    let e = fast_env().await;
    let pods: Api<Pod> = Api::namespaced(e.client.clone(), "shop");
    let order = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let order2 = order.clone();
    let watch = tokio::spawn(async move {
        let mut s = watcher(pods, watcher::Config::default().labels("app=db"))
            .touched_objects()
            .boxed();
        while let Some(Ok(p)) = s.next().await {
            let fresh = p
                .labels()
                .get("controller-revision-hash")
                .map(String::as_str)
                != Some("db-rev1");
            let mut o = order2.lock().expect("lock");
            if fresh && !o.contains(&p.name_any()) {
                o.push(p.name_any());
            }
        }
    });
    let sts: Api<StatefulSet> = Api::namespaced(e.client.clone(), "shop");
    tokio::time::sleep(Duration::from_millis(200)).await;
    sts.patch("db", &PatchParams::default(), &restart_patch())
        .await
        .expect("restart");
    let s = wait_for(&sts, "db", 10, "statefulset rollout", |s: &StatefulSet| {
        s.status.as_ref().is_some_and(|st| {
            st.observed_generation == s.metadata.generation
                && st.updated_replicas == Some(3)
                && st.ready_replicas == Some(3)
                && st.current_revision == st.update_revision
        })
    })
    .await;
    watch.abort();
    let st = s.status.expect("status");
    assert_ne!(st.update_revision.as_deref(), Some("db-rev1"));
    assert_eq!(st.current_replicas, Some(3));
    assert_eq!(*order.lock().expect("lock"), vec!["db-2", "db-1", "db-0"]);
    let now = pods_with(&e.client, "app=db").await;
    assert_eq!(
        names(&now),
        BTreeSet::from(["db-0".into(), "db-1".into(), "db-2".into()])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statefulset_partition_keeps_lower_ordinals() {
    let e = fast_env().await;
    let sts: Api<StatefulSet> = Api::namespaced(e.client.clone(), "shop");
    sts.patch(
        "db",
        &PatchParams::default(),
        &Patch::Merge(
            json!({"spec": {"updateStrategy": {"rollingUpdate": {"partition": 2}},
            "template": {"spec": {"containers": [{"name": "db", "image": "postgres:17"}]}}}}),
        ),
    )
    .await
    .expect("patch");
    let s = wait_for(&sts, "db", 10, "partitioned rollout", |s: &StatefulSet| {
        s.status
            .as_ref()
            .is_some_and(|st| st.updated_replicas == Some(1) && st.ready_replicas == Some(3))
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let st = s.status.expect("status");
    assert_eq!(st.current_revision.as_deref(), Some("db-rev1"));
    let pods = pods_with(&e.client, "app=db").await;
    for p in pods {
        let old = p
            .labels()
            .get("controller-revision-hash")
            .map(String::as_str)
            == Some("db-rev1");
        assert_eq!(old, p.name_any() != "db-2", "{}", p.name_any());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn daemonset_restart_updates_every_node() {
    let e = fast_env().await;
    let ds: Api<DaemonSet> = Api::namespaced(e.client.clone(), "shop");
    ds.patch("agent", &PatchParams::default(), &restart_patch())
        .await
        .expect("restart");
    let d = wait_for(&ds, "agent", 10, "daemonset rollout", |d: &DaemonSet| {
        d.status.as_ref().is_some_and(|st| {
            st.observed_generation == d.metadata.generation
                && st.updated_number_scheduled == Some(st.desired_number_scheduled)
                && st.number_available == Some(st.desired_number_scheduled)
        })
    })
    .await;
    assert_eq!(d.status.expect("status").desired_number_scheduled, 2);
    let pods = pods_with(&e.client, "app=agent").await;
    assert_eq!(pods.len(), 2);
    let nodes: BTreeSet<String> = pods
        .iter()
        .filter_map(|p| p.spec.as_ref().and_then(|s| s.node_name.clone()))
        .collect();
    assert_eq!(nodes.len(), 2);
    for p in &pods {
        assert!(
            !["agent-n0", "agent-n1"].contains(&p.name_any().as_str()),
            "old pod left: {}",
            p.name_any()
        );
        assert_ne!(
            p.labels()
                .get("controller-revision-hash")
                .map(String::as_str),
            Some("rev1")
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paused_deployment_does_not_roll_and_scale_changes_pod_count() {
    let e = fast_env().await;
    let deploys: Api<Deployment> = Api::namespaced(e.client.clone(), "shop");
    deploys
        .patch("frozen", &PatchParams::default(), &restart_patch())
        .await
        .expect("patch paused");
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert!(pods_with(&e.client, "app=frozen").await.is_empty());
    let rss: Api<ReplicaSet> = Api::namespaced(e.client.clone(), "shop");
    assert!(
        rss.list(&ListParams::default().labels("app=frozen"))
            .await
            .expect("rs")
            .items
            .is_empty()
    );
    let d = deploys.get("frozen").await.expect("get");
    assert_eq!(d.status.and_then(|s| s.observed_generation), Some(2));

    for n in [5, 1] {
        deploys
            .patch_scale(
                "web",
                &PatchParams::default(),
                &Patch::Merge(json!({"spec": {"replicas": n}})),
            )
            .await
            .expect("scale");
        wait_for(&deploys, "web", 10, "scaled", |d: &Deployment| {
            deployment_done(d) && d.spec.as_ref().and_then(|s| s.replicas) == Some(n)
        })
        .await;
        let pods = pods_with(&e.client, "app=web").await;
        assert_eq!(pods.len(), n as usize, "{:?}", names(&pods));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deployment_created_later_gets_its_pods_and_deletion_collects_them() {
    let e = fast_env().await;
    let deploys: Api<Deployment> = Api::namespaced(e.client.clone(), "shop");
    let d: Deployment = serde_json::from_value(json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "api", "namespace": "shop"},
        "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "api"}},
                 "template": {"metadata": {"labels": {"app": "api"}},
                              "spec": {"containers": [{"name": "api", "image": "ghcr.io/acme/api:1.0"}]}}}
    }))
    .expect("deployment");
    deploys
        .create(&Default::default(), &d)
        .await
        .expect("create");
    wait_for(
        &deploys,
        "api",
        10,
        "new deployment available",
        deployment_done,
    )
    .await;
    assert_eq!(pods_with(&e.client, "app=api").await.len(), 2);
    deploys
        .delete("api", &DeleteParams::default())
        .await
        .expect("delete");
    let deadline = Instant::now() + Duration::from_secs(5);
    while !pods_with(&e.client, "app=api").await.is_empty() {
        assert!(
            Instant::now() < deadline,
            "pods of a deleted deployment stay"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pod_logs_tail_timestamps_containers_previous_and_waiting() {
    let e = fast_env().await;
    let pods: Api<Pod> = Api::namespaced(e.client.clone(), "shop");
    let lp = |c: &str| LogParams {
        container: Some(c.to_string()),
        tail_lines: Some(5),
        ..LogParams::default()
    };
    let text = pods.logs("multi", &lp("proxy")).await.expect("logs");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 5, "{text}");
    assert!(
        lines
            .iter()
            .all(|l| l.contains("GET ") && l.contains("seq=")),
        "{text}"
    );
    let seqs: Vec<u64> = lines.iter().map(|l| seq_of(l)).collect();
    assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1), "{seqs:?}");

    let with_ts = pods
        .logs(
            "multi",
            &LogParams {
                timestamps: true,
                ..lp("app")
            },
        )
        .await
        .expect("logs");
    for l in with_ts.lines() {
        let (ts, rest) = l.split_once(' ').expect("timestamp prefix");
        assert_eq!(ts.len(), 30, "{ts}");
        assert!(
            ts.ends_with('Z') && ts.parse::<jiff::Timestamp>().is_ok(),
            "{ts}"
        );
        assert!(rest.starts_with("level=info"), "{rest}");
    }
    // Identical content for the same lines when asked again.
    let again = pods
        .logs(
            "multi",
            &LogParams {
                timestamps: true,
                tail_lines: Some(200),
                ..lp("app")
            },
        )
        .await
        .expect("logs");
    let last_first = with_ts.lines().next().expect("a line");
    assert!(again.lines().any(|l| l == last_first));

    match pods.logs("multi", &LogParams::default()).await {
        Err(kube::Error::Api(s)) => {
            assert_eq!(s.code, 400);
            assert_eq!(
                s.message,
                "a container name must be specified for pod multi, choose one of: [app proxy]"
            );
        }
        other => panic!("expected 400, got {other:?}"),
    }
    let prev = pods
        .logs(
            "crashy",
            &LogParams {
                previous: true,
                ..LogParams::default()
            },
        )
        .await
        .expect("previous logs");
    let last = prev.lines().last().expect("lines");
    assert!(
        last.contains("level=error") && last.contains("connection refused"),
        "{prev}"
    );
    match pods
        .logs(
            "multi",
            &LogParams {
                previous: true,
                ..lp("app")
            },
        )
        .await
    {
        Err(kube::Error::Api(s)) => assert_eq!(
            (s.code, s.message.as_str()),
            (
                400,
                "previous terminated container \"app\" in pod \"multi\" not found"
            )
        ),
        other => panic!("expected 400, got {other:?}"),
    }
    match pods.logs("pulling", &LogParams::default()).await {
        Err(kube::Error::Api(s)) => assert_eq!(
            (s.code, s.message.as_str()),
            (
                400,
                "container \"app\" in pod \"pulling\" is waiting to start: ContainerCreating"
            )
        ),
        other => panic!("expected 400, got {other:?}"),
    }
    let limited = pods
        .logs(
            "multi",
            &LogParams {
                limit_bytes: Some(10),
                ..lp("app")
            },
        )
        .await
        .expect("logs");
    assert_eq!(limited.len(), 10);
    let since = pods
        .logs(
            "multi",
            &LogParams {
                since_seconds: Some(1),
                container: Some("app".into()),
                ..LogParams::default()
            },
        )
        .await
        .expect("logs");
    let n = since.lines().count();
    assert!((40..=60).contains(&n), "20 ms lines over one second: {n}");
}

fn seq_of(line: &str) -> u64 {
    line.split("seq=")
        .nth(1)
        .and_then(|s| s.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no seq in {line}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follow_streams_new_lines_until_the_pod_is_deleted() {
    let e = fast_env().await;
    let pods: Api<Pod> = Api::namespaced(e.client.clone(), "shop");
    let stream = pods
        .log_stream(
            "multi",
            &LogParams {
                container: Some("app".into()),
                follow: true,
                tail_lines: Some(1),
                ..LogParams::default()
            },
        )
        .await
        .expect("log stream");
    let mut lines = stream.lines();
    let started = Instant::now();
    let mut seqs = Vec::new();
    while seqs.len() < 10 {
        let l = tokio::time::timeout(Duration::from_secs(2), lines.try_next())
            .await
            .expect("a line in time")
            .expect("stream ok")
            .expect("stream open");
        seqs.push(seq_of(&l));
    }
    assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1), "{seqs:?}");
    assert!(
        started.elapsed() >= Duration::from_millis(150),
        "lines must come over time"
    );
    pods.delete("multi", &DeleteParams::default())
        .await
        .expect("delete");
    let end = tokio::time::timeout(Duration::from_secs(2), async {
        while let Ok(Some(_)) = lines.try_next().await {}
    })
    .await;
    assert!(end.is_ok(), "the stream ends when the pod is deleted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follow_resumes_after_a_cut_without_gaps() {
    let e = fast_env().await;
    let pods: Api<Pod> = Api::namespaced(e.client.clone(), "shop");
    let params = LogParams {
        container: Some("proxy".into()),
        follow: true,
        tail_lines: Some(0),
        timestamps: true,
        ..LogParams::default()
    };
    let mut lines = pods
        .log_stream("multi", &params)
        .await
        .expect("stream")
        .lines();
    let mut got: Vec<String> = Vec::new();
    while got.len() < 5 {
        match tokio::time::timeout(Duration::from_secs(2), lines.try_next()).await {
            Ok(Ok(Some(l))) => got.push(l),
            other => panic!("unexpected {other:?}"),
        }
    }
    e.sim.drop_log_streams();
    let cut = tokio::time::timeout(Duration::from_secs(2), async {
        loop {
            match lines.try_next().await {
                Ok(Some(l)) => got.push(l),
                Ok(None) => return false,
                Err(_) => return true,
            }
        }
    })
    .await
    .expect("the cut arrives");
    assert!(cut, "a cut is an error, not a clean end");
    tokio::time::sleep(Duration::from_millis(100)).await;
    // Resume with an overlap and de-duplicate by the whole line.
    let since = got
        .last()
        .and_then(|l| l.split(' ').next())
        .expect("ts")
        .to_string();
    // kube rounds sinceTime to whole seconds (metav1.Time), so back off a
    // second and drop the overlap by content.
    let since: jiff::Timestamp = since.parse().expect("ts");
    let resume = LogParams {
        since_time: Some(since - jiff::SignedDuration::from_secs(1)),
        tail_lines: None,
        ..params
    };
    let mut lines = pods
        .log_stream("multi", &resume)
        .await
        .expect("stream")
        .lines();
    let before = got.len();
    while got.len() < before + 8 {
        let l = tokio::time::timeout(Duration::from_secs(2), lines.try_next())
            .await
            .expect("in time")
            .expect("ok")
            .expect("open");
        let newest = got
            .last()
            .and_then(|g| g.split(' ').next())
            .unwrap_or_default();
        if l.split(' ').next().unwrap_or_default() >= newest && !got.contains(&l) {
            got.push(l);
        }
    }
    let seqs: Vec<u64> = got.iter().map(|l| seq_of(l)).collect();
    assert!(
        seqs.windows(2).all(|w| w[1] == w[0] + 1),
        "gap or duplicate: {seqs:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn samples_stay_as_seeded_until_changed() {
    let samples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/cluster");
    let sim = SimCluster::start(SimOptions {
        seed_dir: Some(samples),
        rollout_step: Duration::from_millis(40),
        ..SimOptions::default()
    })
    .await
    .expect("sim");
    let client = client_for(&sim).await;
    let before = sim.get_object("v1", "Pod", Some("blog-dev"), "blog-b45tgmj78-sppdm");
    let deploy_before = sim.get_object("apps/v1", "Deployment", Some("blog-dev"), "blog");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        sim.get_object("v1", "Pod", Some("blog-dev"), "blog-b45tgmj78-sppdm"),
        before
    );
    assert_eq!(
        sim.get_object("apps/v1", "Deployment", Some("blog-dev"), "blog"),
        deploy_before
    );

    let pods: Api<Pod> = Api::namespaced(client.clone(), "redis");
    let prev = pods
        .logs(
            "redis-exporter-5t2f5lfzb-pjsgx",
            &LogParams {
                previous: true,
                ..LogParams::default()
            },
        )
        .await
        .expect("previous");
    assert!(
        prev.lines()
            .last()
            .is_some_and(|l| l.contains("connection refused")),
        "{prev}"
    );
    match Api::<Pod>::namespaced(client.clone(), "blog-dev")
        .logs("blog-b45tgmj78-sppdm", &LogParams::default())
        .await
    {
        Err(kube::Error::Api(s)) => {
            assert!(s.message.contains("is waiting to start"), "{}", s.message)
        }
        other => panic!("expected 400, got {other:?}"),
    }

    // Restarting blog-dev (Recreate) replaces its broken pod.
    let deploys: Api<Deployment> = Api::namespaced(client.clone(), "blog-dev");
    deploys
        .patch("blog", &PatchParams::default(), &restart_patch())
        .await
        .expect("restart");
    wait_for(&deploys, "blog", 10, "blog-dev rollout", deployment_done).await;
    let pods: Api<Pod> = Api::namespaced(client, "blog-dev");
    let now = pods
        .list(&ListParams::default().labels("app.kubernetes.io/name=blog"))
        .await
        .expect("pods");
    assert_eq!(now.items.len(), 1);
    assert_ne!(now.items[0].name_any(), "blog-b45tgmj78-sppdm");
    assert!(
        pods.logs(&now.items[0].name_any(), &LogParams::default())
            .await
            .is_ok()
    );
}

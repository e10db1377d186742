//! The simulated API server, driven over real HTTP by the real kube client
//! (and kubectl when it is installed).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Duration;

use bosun::sim::{Fault, SimCluster, SimOptions};
use futures::StreamExt;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Node, Pod};
use kube::api::{
    Api, DeleteParams, ListParams, Patch, PatchParams, PostParams, WatchEvent, WatchParams,
};
use kube::runtime::watcher;
use kube::{Client, ResourceExt};
use serde_json::{Value, json};

const NODES: &str = r#"
apiVersion: v1
kind: Node
metadata:
  name: k3s-server
  labels: {node-role.kubernetes.io/control-plane: "true"}
  creationTimestamp: "2025-11-01T00:00:00Z"
status:
  capacity: {cpu: "4", memory: 8Gi}
---
apiVersion: v1
kind: Node
metadata:
  name: k3s-agent-1
  creationTimestamp: "2025-11-01T00:00:00Z"
"#;

const WORKLOADS: &str = r#"
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Pod
  metadata:
    name: web-1
    namespace: shop
    labels: {app: web, tier: frontend}
    creationTimestamp: "2025-12-29T00:00:00Z"
  spec:
    nodeName: k3s-server
    containers:
    - {name: web, image: "nginx:1.27", resources: {requests: {cpu: 100m, memory: 64Mi}}}
    - {name: sidecar, image: "envoy:1.30"}
  status: {phase: Running}
- apiVersion: v1
  kind: Pod
  metadata: {name: web-2, namespace: shop, labels: {app: web, tier: frontend}}
  spec:
    nodeName: k3s-agent-1
    containers: [{name: web, image: "nginx:1.27"}]
  status: {phase: Running}
- apiVersion: v1
  kind: Pod
  metadata: {name: db-0, namespace: shop, labels: {app: db}}
  spec:
    containers: [{name: db, image: "postgres:16"}]
  status: {phase: Pending}
- apiVersion: v1
  kind: Pod
  metadata: {name: coredns-1, namespace: kube-system, labels: {k8s-app: kube-dns}}
  spec:
    nodeName: k3s-server
    containers: [{name: coredns, image: "coredns:1.11"}]
  status: {phase: Running}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: "nginx:1.27"}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: shop}
data: {mode: demo}
---
apiVersion: example.com/v1
kind: Widget
metadata: {name: ignored}
---
apiVersion: metrics.k8s.io/v1beta1
kind: PodMetrics
metadata: {name: web-1, namespace: shop}
containers:
- {name: web, usage: {cpu: 200m, memory: 100Mi}}
"#;

const SEEDED_PODS: usize = 4;

fn seed_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("10-nodes.yaml"), NODES).expect("write seed");
    std::fs::write(dir.path().join("20-workloads.yaml"), WORKLOADS).expect("write seed");
    std::fs::write(dir.path().join("README.md"), "not yaml").expect("write seed");
    dir
}

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
    let seed = seed_dir();
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

async fn env() -> Env {
    env_with(|_| {}).await
}

fn names<K: ResourceExt>(items: &[K]) -> BTreeSet<String> {
    items.iter().map(|o| o.name_any()).collect()
}

async fn within<T>(what: &str, fut: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(5), fut)
        .await
        .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovery_lists_groups_and_resources() {
    let e = env().await;
    let version = e.client.apiserver_version().await.expect("version");
    assert_eq!(version.git_version, "v1.33.3+k3s1");
    assert_eq!(
        (version.major.as_str(), version.minor.as_str()),
        ("1", "33")
    );
    let discovery = kube::discovery::Discovery::new(e.client.clone())
        .run()
        .await
        .expect("discovery");
    let groups: BTreeSet<String> = discovery.groups().map(|g| g.name().to_string()).collect();
    for g in [
        "",
        "apps",
        "batch",
        "metrics.k8s.io",
        "rbac.authorization.k8s.io",
    ] {
        assert!(groups.contains(g), "group {g:?} missing from {groups:?}");
    }
    let apps = discovery.get("apps").expect("apps group");
    let kinds: BTreeSet<String> = apps
        .recommended_resources()
        .into_iter()
        .map(|(ar, _)| ar.kind)
        .collect();
    assert!(kinds.contains("Deployment") && kinds.contains("StatefulSet"));
    let (_, caps) = discovery
        .get("")
        .expect("core")
        .recommended_kind("Pod")
        .expect("pods");
    assert!(caps.subresources.iter().any(|(ar, _)| ar.plural == "log"));
    // Unknown paths are 404 Status objects.
    let status = Api::<Pod>::namespaced(e.client.clone(), "shop")
        .get("nope")
        .await;
    assert!(matches!(status, Err(kube::Error::Api(s)) if s.code == 404 && s.reason == "NotFound"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_with_label_and_field_selectors() {
    let e = env().await;
    let all: Api<Pod> = Api::all(e.client.clone());
    assert_eq!(
        all.list(&ListParams::default())
            .await
            .expect("list")
            .items
            .len(),
        SEEDED_PODS
    );
    let shop: Api<Pod> = Api::namespaced(e.client.clone(), "shop");
    let list = shop
        .list(&ListParams::default().labels("app=web"))
        .await
        .expect("list");
    assert_eq!(
        names(&list.items),
        BTreeSet::from(["web-1".into(), "web-2".into()])
    );
    assert!(
        list.metadata
            .resource_version
            .is_some_and(|rv| !rv.is_empty())
    );
    let list = shop
        .list(&ListParams::default().labels("app in (db, cache),!tier"))
        .await
        .expect("list");
    assert_eq!(names(&list.items), BTreeSet::from(["db-0".into()]));
    let list = shop
        .list(&ListParams::default().labels("app!=web"))
        .await
        .expect("list");
    assert_eq!(names(&list.items), BTreeSet::from(["db-0".into()]));
    let list = all
        .list(&ListParams::default().fields("spec.nodeName=k3s-server"))
        .await
        .expect("list");
    assert_eq!(
        names(&list.items),
        BTreeSet::from(["web-1".into(), "coredns-1".into()])
    );
    let list = all
        .list(&ListParams::default().fields("status.phase!=Running,metadata.namespace=shop"))
        .await
        .expect("list");
    assert_eq!(names(&list.items), BTreeSet::from(["db-0".into()]));
    // Items carry their type.
    let v: Value = e
        .client
        .request(
            http::Request::get("/api/v1/namespaces/shop/pods")
                .body(vec![])
                .expect("req"),
        )
        .await
        .expect("raw list");
    assert_eq!(v["kind"], "PodList");
    assert_eq!(v["items"][0]["kind"], "Pod");
    assert_eq!(v["items"][0]["apiVersion"], "v1");
    let bad = shop.list(&ListParams::default().labels("app in web")).await;
    assert!(matches!(bad, Err(kube::Error::Api(s)) if s.code == 400));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paging_returns_every_pod_once() {
    let e = env_with(|o| o.synthetic_pods = 1200).await;
    let api: Api<Pod> = Api::all(e.client.clone());
    let mut seen = BTreeSet::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut lp = ListParams::default().limit(100);
        if let Some(t) = &token {
            lp = lp.continue_token(t);
        }
        let page = api.list(&lp).await.expect("page");
        pages += 1;
        for p in &page.items {
            assert!(
                seen.insert((p.namespace().unwrap_or_default(), p.name_any())),
                "duplicate {}",
                p.name_any()
            );
        }
        token = page.metadata.continue_.filter(|c| !c.is_empty());
        if token.is_none() {
            break;
        }
    }
    assert_eq!(seen.len(), 1200 + SEEDED_PODS);
    assert_eq!(pages, 13);
    // Synthetic pods are realistic enough for the views.
    let ns: Api<Pod> = Api::namespaced(e.client.clone(), "load-03");
    let pods = ns
        .list(&ListParams::default())
        .await
        .expect("load ns")
        .items;
    assert_eq!(pods.len(), 60);
    let running = pods
        .iter()
        .filter(|p| p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running"))
        .count();
    assert!(running > 40, "{running} running");
    // A namespaced page with a selector.
    let page = ns
        .list(
            &ListParams::default()
                .labels("bosun.dev/synthetic=true")
                .limit(7),
        )
        .await
        .expect("page");
    assert_eq!(page.items.len(), 7);
    assert!(page.metadata.continue_.is_some());
    // After compaction an old continue token has expired.
    e.sim.compact();
    let stale = ns
        .list(
            &ListParams::default()
                .limit(7)
                .continue_token(&page.metadata.continue_.unwrap_or_default()),
        )
        .await;
    assert!(matches!(stale, Err(kube::Error::Api(s)) if s.code == 410 && s.reason == "Expired"));
}

fn pod(name: &str, labels: Value) -> Pod {
    serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "labels": labels},
        "spec": {"containers": [{"name": "app", "image": "busybox:1"}, {"name": "side", "image": "envoy:1"}]}
    }))
    .expect("pod")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_get_update_conflict_delete() {
    let e = env().await;
    let api: Api<Pod> = Api::namespaced(e.client.clone(), "shop");
    let created = api
        .create(&PostParams::default(), &pod("made", json!({"app": "made"})))
        .await
        .expect("create");
    assert!(created.metadata.uid.is_some());
    assert!(created.metadata.creation_timestamp.is_some());
    assert_eq!(created.metadata.generation, Some(1));
    assert_eq!(created.metadata.namespace.as_deref(), Some("shop"));
    let again = api
        .create(&PostParams::default(), &pod("made", json!({})))
        .await;
    assert!(
        matches!(again, Err(kube::Error::Api(s)) if s.code == 409 && s.reason == "AlreadyExists")
    );
    // generateName
    let mut generated = pod("", json!({}));
    generated.metadata.name = None;
    generated.metadata.generate_name = Some("gen-".into());
    let g = api
        .create(&PostParams::default(), &generated)
        .await
        .expect("generateName");
    assert!(g.name_any().starts_with("gen-") && g.name_any().len() == 9);
    // Missing namespace.
    let nowhere: Api<Pod> = Api::namespaced(e.client.clone(), "nowhere");
    assert!(
        matches!(nowhere.create(&PostParams::default(), &pod("x", json!({}))).await, Err(kube::Error::Api(s)) if s.code == 404)
    );

    let mut fetched = api.get("made").await.expect("get");
    fetched.spec.as_mut().expect("spec").containers[0].image = Some("busybox:2".into());
    let updated = api
        .replace("made", &PostParams::default(), &fetched)
        .await
        .expect("replace");
    assert_eq!(updated.metadata.generation, Some(2));
    assert_ne!(
        updated.metadata.resource_version,
        fetched.metadata.resource_version
    );
    // The stale copy now conflicts.
    let stale = api.replace("made", &PostParams::default(), &fetched).await;
    assert!(matches!(stale, Err(kube::Error::Api(s)) if s.code == 409 && s.reason == "Conflict"));
    // Status is ignored on the main resource, accepted on /status.
    let mut with_status = updated.clone();
    with_status.status = Some(serde_json::from_value(json!({"phase": "Running"})).expect("status"));
    let r = api
        .replace("made", &PostParams::default(), &with_status)
        .await
        .expect("replace");
    assert!(r.status.is_none());
    let r = api
        .patch_status(
            "made",
            &PatchParams::default(),
            &Patch::Merge(json!({"status": {"phase": "Running"}})),
        )
        .await
        .expect("status patch");
    assert_eq!(r.status.and_then(|s| s.phase).as_deref(), Some("Running"));
    assert_eq!(r.metadata.generation, Some(2));

    let deleted = api
        .delete("made", &DeleteParams::default())
        .await
        .expect("delete");
    assert!(deleted.left().is_some_and(|p| p.name_any() == "made"));
    assert!(matches!(api.get("made").await, Err(kube::Error::Api(s)) if s.code == 404));
    assert!(
        matches!(api.delete("made", &DeleteParams::default()).await, Err(kube::Error::Api(s)) if s.code == 404)
    );

    // Finalizers keep an object around, terminating, until removed.
    let mut fin = pod("fin", json!({}));
    fin.metadata.finalizers = Some(vec!["bosun.dev/hold".into()]);
    api.create(&PostParams::default(), &fin)
        .await
        .expect("create");
    api.delete("fin", &DeleteParams::default())
        .await
        .expect("delete");
    let held = api.get("fin").await.expect("still there");
    assert!(held.metadata.deletion_timestamp.is_some());
    api.patch(
        "fin",
        &PatchParams::default(),
        &Patch::Merge(json!({"metadata": {"finalizers": null}})),
    )
    .await
    .expect("drop finalizer");
    assert!(matches!(api.get("fin").await, Err(kube::Error::Api(s)) if s.code == 404));

    // Bad bodies are 400s, not crashes.
    let resp = e
        .client
        .request_text(
            http::Request::post("/api/v1/namespaces/shop/pods")
                .header("content-type", "application/json")
                .body(b"{not json".to_vec())
                .expect("req"),
        )
        .await;
    assert!(matches!(resp, Err(kube::Error::Api(s)) if s.code == 400));
    // Deleting a namespace removes what is in it.
    let ns_api: Api<k8s_openapi::api::core::v1::Namespace> = Api::all(e.client.clone());
    ns_api
        .delete("shop", &DeleteParams::default())
        .await
        .expect("delete ns");
    assert!(
        api.list(&ListParams::default())
            .await
            .expect("list")
            .items
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn merge_strategic_and_json_patches() {
    let e = env().await;
    let api: Api<Pod> = Api::namespaced(e.client.clone(), "shop");
    api.create(&PostParams::default(), &pod("p", json!({"app": "p"})))
        .await
        .expect("create");

    let merged = api
        .patch(
            "p",
            &PatchParams::default(),
            &Patch::Merge(json!({"metadata": {"labels": {"extra": "yes", "app": null}}})),
        )
        .await
        .expect("merge");
    assert_eq!(
        merged.labels().get("extra").map(String::as_str),
        Some("yes")
    );
    assert!(!merged.labels().contains_key("app"));

    let smp = api
        .patch(
            "p",
            &PatchParams::default(),
            &Patch::Strategic(
                json!({"spec": {"containers": [{"name": "side", "image": "envoy:2"}]}}),
            ),
        )
        .await
        .expect("strategic");
    let images: Vec<(String, String)> = smp
        .spec
        .expect("spec")
        .containers
        .into_iter()
        .map(|c| (c.name, c.image.unwrap_or_default()))
        .collect();
    assert_eq!(
        images,
        vec![
            ("app".into(), "busybox:1".into()),
            ("side".into(), "envoy:2".into())
        ]
    );

    let req = http::Request::patch("/api/v1/namespaces/shop/pods/p")
        .header("content-type", "application/json-patch+json")
        .body(
            serde_json::to_vec(&json!([
                {"op": "add", "path": "/metadata/annotations", "value": {"a": "1"}},
                {"op": "replace", "path": "/spec/containers/0/image", "value": "busybox:3"}
            ]))
            .expect("json"),
        )
        .expect("req");
    let patched: Pod = e.client.request(req).await.expect("json patch");
    assert_eq!(
        patched.annotations().get("a").map(String::as_str),
        Some("1")
    );
    assert_eq!(
        patched.spec.expect("spec").containers[0].image.as_deref(),
        Some("busybox:3")
    );

    let apply = api
        .patch(
            "p",
            &PatchParams::apply("bosun"),
            &Patch::Apply(json!({"apiVersion": "v1", "kind": "Pod"})),
        )
        .await;
    // Server-side apply is served (tests/sim_apply.rs covers it).
    assert!(apply.is_ok(), "{apply:?}");

    // Scale subresource.
    let deploys: Api<Deployment> = Api::namespaced(e.client.clone(), "shop");
    let scale = deploys.get_scale("web").await.expect("scale");
    assert_eq!(scale.spec.and_then(|s| s.replicas), Some(2));
    deploys
        .patch_scale(
            "web",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"replicas": 5}})),
        )
        .await
        .expect("patch scale");
    let d = deploys.get("web").await.expect("deploy");
    assert_eq!(d.spec.and_then(|s| s.replicas), Some(5));
    assert_eq!(d.metadata.generation, Some(2));
}

async fn next_event<S>(stream: &mut S) -> WatchEvent<Pod>
where
    S: futures::Stream<Item = Result<WatchEvent<Pod>, kube::Error>> + Unpin,
{
    loop {
        let ev = within("watch event", stream.next())
            .await
            .expect("stream open")
            .expect("event");
        if !matches!(ev, WatchEvent::Bookmark(_)) {
            return ev;
        }
    }
}

fn ev_name(ev: &WatchEvent<Pod>) -> (&'static str, String) {
    match ev {
        WatchEvent::Added(p) => ("ADDED", p.name_any()),
        WatchEvent::Modified(p) => ("MODIFIED", p.name_any()),
        WatchEvent::Deleted(p) => ("DELETED", p.name_any()),
        WatchEvent::Bookmark(_) => ("BOOKMARK", String::new()),
        WatchEvent::Error(s) => ("ERROR", s.code.to_string()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_events_and_resume() {
    let e = env_with(|o| o.bookmark_interval = Duration::from_millis(100)).await;
    let api: Api<Pod> = Api::namespaced(e.client.clone(), "shop");
    let rv = api
        .list(&ListParams::default())
        .await
        .expect("list")
        .metadata
        .resource_version
        .expect("rv");
    let mut stream = api
        .watch(&WatchParams::default(), &rv)
        .await
        .expect("watch")
        .boxed();
    api.create(&PostParams::default(), &pod("w", json!({"app": "w"})))
        .await
        .expect("create");
    api.patch(
        "w",
        &PatchParams::default(),
        &Patch::Merge(json!({"metadata": {"labels": {"x": "1"}}})),
    )
    .await
    .expect("patch");
    api.delete("w", &DeleteParams::default())
        .await
        .expect("delete");
    let mut got = Vec::new();
    for _ in 0..3 {
        got.push(ev_name(&next_event(&mut stream).await));
    }
    assert_eq!(
        got,
        vec![
            ("ADDED", "w".into()),
            ("MODIFIED", "w".into()),
            ("DELETED", "w".into())
        ]
    );
    // Bookmarks arrive too.
    let bm = within("bookmark", async {
        loop {
            if let Some(Ok(WatchEvent::Bookmark(b))) = stream.next().await {
                return b;
            }
        }
    })
    .await;
    assert!(!bm.metadata.resource_version.is_empty());

    // Resuming from the old rv replays all three.
    let mut replay = api
        .watch(&WatchParams::default(), &rv)
        .await
        .expect("watch")
        .boxed();
    let mut again = Vec::new();
    for _ in 0..3 {
        again.push(ev_name(&next_event(&mut replay).await));
    }
    assert_eq!(again, got);

    // A selector watch sees an object leave its selection as DELETED.
    let rv = api
        .list(&ListParams::default())
        .await
        .expect("list")
        .metadata
        .resource_version
        .expect("rv");
    let mut sel = api
        .watch(&WatchParams::default().labels("app=web"), &rv)
        .await
        .expect("watch")
        .boxed();
    api.patch(
        "web-2",
        &PatchParams::default(),
        &Patch::Merge(json!({"metadata": {"labels": {"app": "old"}}})),
    )
    .await
    .expect("relabel");
    api.patch(
        "db-0",
        &PatchParams::default(),
        &Patch::Merge(json!({"metadata": {"labels": {"app": "web"}}})),
    )
    .await
    .expect("relabel");
    assert_eq!(
        ev_name(&next_event(&mut sel).await),
        ("DELETED", "web-2".into())
    );
    assert_eq!(
        ev_name(&next_event(&mut sel).await),
        ("ADDED", "db-0".into())
    );

    // timeoutSeconds ends the stream cleanly.
    let mut short = api
        .watch(&WatchParams::default().timeout(1), &rv)
        .await
        .expect("watch")
        .boxed();
    let mut n = 0;
    while let Some(ev) = within("timeout", short.next()).await {
        if !matches!(ev.expect("event"), WatchEvent::Bookmark(_)) {
            n += 1;
        }
    }
    assert_eq!(n, 2);
}

/// Drives a watcher, keeping the object set it describes; counts relists.
struct Mirror {
    objects: BTreeMap<String, String>,
    buffer: BTreeMap<String, String>,
    inits: usize,
    init_dones: usize,
}

impl Mirror {
    fn new() -> Self {
        Mirror {
            objects: BTreeMap::new(),
            buffer: BTreeMap::new(),
            inits: 0,
            init_dones: 0,
        }
    }

    fn apply<K: ResourceExt>(&mut self, ev: watcher::Event<K>) {
        match ev {
            watcher::Event::Init => {
                self.inits += 1;
                self.buffer.clear();
            }
            watcher::Event::InitApply(o) => {
                assert!(
                    self.buffer
                        .insert(o.name_any(), o.resource_version().unwrap_or_default())
                        .is_none(),
                    "duplicate in init"
                );
            }
            watcher::Event::InitDone => {
                self.init_dones += 1;
                self.objects = std::mem::take(&mut self.buffer);
            }
            watcher::Event::Apply(o) => {
                self.objects
                    .insert(o.name_any(), o.resource_version().unwrap_or_default());
            }
            watcher::Event::Delete(o) => {
                self.objects.remove(&o.name_any());
            }
        }
    }
}

async fn pump<K, S>(stream: &mut S, mirror: &mut Mirror, until: impl Fn(&Mirror) -> bool)
where
    K: ResourceExt,
    S: futures::Stream<Item = Result<watcher::Event<K>, watcher::Error>> + Unpin,
{
    within("watcher state", async {
        while !until(mirror) {
            match stream.next().await {
                Some(Ok(ev)) => mirror.apply(ev),
                Some(Err(_)) => {}
                None => panic!("watcher ended"),
            }
        }
    })
    .await;
}

fn cm(name: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": "shop"}, "data": {"k": name}})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compact_gives_410_and_watcher_relists() {
    let e = env().await;
    let api: Api<ConfigMap> = Api::namespaced(e.client.clone(), "shop");
    let old_rv = api
        .list(&ListParams::default())
        .await
        .expect("list")
        .metadata
        .resource_version
        .expect("rv");
    e.sim.apply_object(cm("before")).expect("apply");
    e.sim.compact();
    let mut s = api
        .watch(&WatchParams::default(), &old_rv)
        .await
        .expect("watch")
        .boxed();
    match within("410", s.next()).await {
        Some(Ok(WatchEvent::Error(status))) => {
            assert_eq!(status.code, 410);
            assert_eq!(status.reason, "Expired");
        }
        other => panic!("expected a 410 ERROR event, got {other:?}"),
    }

    let mut w = watcher(api.clone(), watcher::Config::default()).boxed();
    let mut m = Mirror::new();
    pump(&mut w, &mut m, |m| m.init_dones == 1).await;
    assert_eq!(
        m.objects.keys().cloned().collect::<Vec<_>>(),
        vec!["before", "settings"]
    );
    e.sim.apply_object(cm("a")).expect("apply");
    pump(&mut w, &mut m, |m| m.objects.contains_key("a")).await;
    e.sim.compact();
    e.sim.drop_watches();
    e.sim.apply_object(cm("b")).expect("apply");
    e.sim
        .delete_object("v1", "ConfigMap", Some("shop"), "before")
        .expect("delete");
    pump(&mut w, &mut m, |m| m.init_dones == 2).await;
    assert_eq!(m.inits, 2, "the watcher relisted");
    assert_eq!(
        m.objects.keys().cloned().collect::<Vec<_>>(),
        vec!["a", "b", "settings"]
    );
    e.sim.apply_object(cm("c")).expect("apply");
    pump(&mut w, &mut m, |m| m.objects.contains_key("c")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_watches_recover() {
    let e = env().await;
    let api: Api<Pod> = Api::namespaced(e.client.clone(), "shop");
    let mut w = watcher(api.clone(), watcher::Config::default()).boxed();
    let mut m = Mirror::new();
    pump(&mut w, &mut m, |m| m.init_dones == 1).await;
    assert_eq!(m.objects.len(), 3);
    e.sim.drop_watches();
    e.sim.apply_object(json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "late", "namespace": "shop"}, "spec": {"containers": []}}))
        .expect("apply");
    pump(&mut w, &mut m, |m| m.objects.contains_key("late")).await;
    e.sim.drop_watches();
    e.sim.drop_watches();
    e.sim
        .delete_object("v1", "Pod", Some("shop"), "late")
        .expect("delete");
    pump(&mut w, &mut m, |m| !m.objects.contains_key("late")).await;
    assert_eq!(m.inits, 1, "resumed without relisting");
    assert_eq!(m.objects.len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn injected_faults_and_forbidden() {
    let e = env().await;
    let pods: Api<Pod> = Api::namespaced(e.client.clone(), "shop");
    e.sim.fail_next(Fault {
        resource: Some("pods".into()),
        watch_only: false,
        status: 500,
        times: 1,
    });
    let err = pods.list(&ListParams::default()).await;
    assert!(
        matches!(err, Err(kube::Error::Api(s)) if s.code == 500 && s.reason == "InternalError")
    );
    assert_eq!(
        pods.list(&ListParams::default())
            .await
            .expect("second try")
            .items
            .len(),
        3
    );

    e.sim.fail_next(Fault {
        resource: None,
        watch_only: true,
        status: 410,
        times: 1,
    });
    let mut s = pods
        .watch(&WatchParams::default(), "1")
        .await
        .expect("watch")
        .boxed();
    assert!(
        matches!(within("410", s.next()).await, Some(Ok(WatchEvent::Error(st))) if st.code == 410)
    );

    e.sim.forbid("deployments", true);
    let deploys: Api<Deployment> = Api::all(e.client.clone());
    match deploys.list(&ListParams::default()).await {
        Err(kube::Error::Api(s)) => {
            assert_eq!((s.code, s.reason.as_str()), (403, "Forbidden"));
            assert_eq!(
                s.message,
                "deployments.apps is forbidden: User \"bosun\" cannot list resource \"deployments\" in API group \"apps\" at the cluster scope"
            );
        }
        other => panic!("expected 403, got {other:?}"),
    }
    assert!(pods.list(&ListParams::default()).await.is_ok());
    e.sim.forbid("deployments", false);
    assert_eq!(
        deploys
            .list(&ListParams::default())
            .await
            .expect("lifted")
            .items
            .len(),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn go_away_and_come_back() {
    let e = env().await;
    let url = e.sim.url();
    let nodes: Api<Node> = Api::all(e.client.clone());
    assert_eq!(
        nodes
            .list(&ListParams::default())
            .await
            .expect("list")
            .items
            .len(),
        2
    );
    let mut w = nodes
        .watch(&WatchParams::default(), "0")
        .await
        .expect("watch")
        .boxed();
    e.sim.go_away().await;
    assert!(nodes.list(&ListParams::default()).await.is_err());
    // The open watch was cut too.
    let ended = within("watch end", async {
        loop {
            match w.next().await {
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => return true,
            }
        }
    })
    .await;
    assert!(ended);
    e.sim.come_back().await;
    assert_eq!(e.sim.url(), url);
    let fresh = client_for(&e.sim).await;
    let nodes: Api<Node> = Api::all(fresh);
    assert_eq!(
        nodes
            .list(&ListParams::default())
            .await
            .expect("back")
            .items
            .len(),
        2
    );
    let before = e.sim.request_count();
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(e.sim.request_count(), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streaming_lists() {
    let e = env_with(|o| o.watch_list = true).await;
    let api: Api<Pod> = Api::all(e.client.clone());
    let mut w = watcher(api.clone(), watcher::Config::default().streaming_lists()).boxed();
    let mut m = Mirror::new();
    pump(&mut w, &mut m, |m| m.init_dones == 1).await;
    assert_eq!(m.objects.len(), SEEDED_PODS);
    e.sim.apply_object(json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "s", "namespace": "shop"}})).expect("apply");
    pump(&mut w, &mut m, |m| m.objects.contains_key("s")).await;

    let off = env().await;
    let api: Api<Pod> = Api::all(off.client.clone());
    let wp = WatchParams::streaming_lists();
    match api.watch(&wp, "0").await {
        Err(kube::Error::Api(s)) => assert_eq!((s.code, s.reason.as_str()), (422, "Invalid")),
        Ok(s) => match s.boxed().next().await {
            Some(Err(kube::Error::Api(s))) => assert_eq!(s.code, 422),
            other => panic!(
                "expected 422, got {:?}",
                other.map(|r| r.map(|e| ev_name(&e)))
            ),
        },
        Err(other) => panic!("expected 422, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_for_running_pods_and_nodes() {
    let e = env().await;
    let pods: Value = e
        .client
        .request(
            http::Request::get("/apis/metrics.k8s.io/v1beta1/pods")
                .body(vec![])
                .expect("req"),
        )
        .await
        .expect("pod metrics");
    assert_eq!(pods["kind"], "PodMetricsList");
    let items = pods["items"].as_array().expect("items");
    let names: BTreeSet<&str> = items
        .iter()
        .filter_map(|i| i["metadata"]["name"].as_str())
        .collect();
    assert_eq!(
        names,
        BTreeSet::from(["web-1", "web-2", "coredns-1"]),
        "only running pods"
    );
    let web1 = items
        .iter()
        .find(|i| i["metadata"]["name"] == "web-1")
        .expect("web-1");
    let cpu = web1["containers"][0]["usage"]["cpu"].as_str().expect("cpu");
    let nanos: f64 = cpu.trim_end_matches('n').parse().expect("nanocores");
    assert!(
        (0.16e9..0.24e9).contains(&nanos),
        "seeded 200m ±15%, got {cpu}"
    );
    assert!(
        web1["containers"][1]["usage"]["memory"]
            .as_str()
            .is_some_and(|m| m.ends_with("Ki"))
    );
    assert!(web1["timestamp"].is_string() && web1["window"].is_string());
    let nodes: Value = e
        .client
        .request(
            http::Request::get("/apis/metrics.k8s.io/v1beta1/nodes/k3s-server")
                .body(vec![])
                .expect("req"),
        )
        .await
        .expect("node metrics");
    assert_eq!(nodes["kind"], "NodeMetrics");
    assert!(nodes["usage"]["cpu"].as_str().is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_timestamps_are_shifted_to_now() {
    let e = env().await;
    let api: Api<Pod> = Api::namespaced(e.client.clone(), "shop");
    let created = api
        .get("web-1")
        .await
        .expect("web-1")
        .metadata
        .creation_timestamp
        .expect("ts")
        .0;
    let age = jiff::Timestamp::now().duration_since(created);
    let three_days = jiff::SignedDuration::from_hours(72);
    assert!(
        (age - three_days).abs() < jiff::SignedDuration::from_secs(60),
        "age {age:?}"
    );
    // Unknown kinds were skipped, not fatal.
    assert!(
        e.sim
            .get_object("example.com/v1", "Widget", None, "ignored")
            .is_none()
    );
}

fn kubectl(kubeconfig: &Path, args: &[&str]) -> Option<String> {
    let out = std::process::Command::new("kubectl")
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .args(args)
        .output();
    match out {
        Ok(o) if o.status.success() => Some(String::from_utf8_lossy(&o.stdout).into_owned()),
        Ok(o) => panic!(
            "kubectl {args:?} failed: {}",
            String::from_utf8_lossy(&o.stderr)
        ),
        Err(err) => {
            println!("skipping kubectl checks: {err}");
            None
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_works_against_the_sim() {
    let e = env().await;
    let path = e.sim.kubeconfig_path().to_path_buf();
    let run = move |args: &'static [&'static str]| {
        let path = path.clone();
        tokio::task::spawn_blocking(move || kubectl(&path, args))
    };
    let Some(pods) = run(&["get", "pods", "-A", "-o", "name"])
        .await
        .expect("join")
    else {
        return;
    };
    let lines: BTreeSet<&str> = pods.lines().collect();
    assert_eq!(
        lines,
        BTreeSet::from(["pod/web-1", "pod/web-2", "pod/db-0", "pod/coredns-1"])
    );
    let nodes = run(&["get", "nodes"])
        .await
        .expect("join")
        .unwrap_or_default();
    assert!(
        nodes.contains("k3s-server") && nodes.contains("k3s-agent-1"),
        "{nodes}"
    );
    let deploys = run(&["get", "deploy", "-n", "shop"])
        .await
        .expect("join")
        .unwrap_or_default();
    assert!(deploys.contains("web"), "{deploys}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn samples_cluster_loads() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/cluster");
    let has_yaml = std::fs::read_dir(&dir)
        .map(|d| {
            d.filter_map(Result::ok)
                .any(|e| e.path().extension().is_some_and(|x| x == "yaml"))
        })
        .unwrap_or(false);
    if !has_yaml {
        println!("skipping: {} has no yaml yet", dir.display());
        return;
    }
    let sim = SimCluster::start(SimOptions {
        seed_dir: Some(dir),
        ..SimOptions::default()
    })
    .await
    .expect("sim");
    let client = client_for(&sim).await;
    let nodes = Api::<Node>::all(client.clone())
        .list(&ListParams::default())
        .await
        .expect("nodes");
    assert!(nodes.items.len() >= 2);
    let pods = Api::<Pod>::all(client)
        .list(&ListParams::default())
        .await
        .expect("pods");
    assert!(pods.items.len() > 20);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn synthetic_generation_is_fast_and_paged_list_is_quick() {
    // Release builds measure the budget (20,000 pods in < 1 s on a quiet
    // machine; asserted loosely so a busy CI box does not flake).
    let sizes: &[usize] = if cfg!(debug_assertions) {
        &[5_000]
    } else {
        &[5_000, 20_000]
    };
    for &size in sizes {
        let started = std::time::Instant::now();
        let sim = SimCluster::start(SimOptions {
            synthetic_pods: size,
            ..SimOptions::default()
        })
        .await
        .expect("sim");
        let startup = started.elapsed();
        let client = client_for(&sim).await;
        let api: Api<Pod> = Api::all(client);
        let started = std::time::Instant::now();
        let mut token: Option<String> = None;
        let mut n = 0;
        let mut slowest_page = Duration::ZERO;
        loop {
            let mut lp = ListParams::default().limit(500);
            if let Some(t) = &token {
                lp = lp.continue_token(t);
            }
            let t = std::time::Instant::now();
            let page = api.list(&lp).await.expect("page");
            slowest_page = slowest_page.max(t.elapsed());
            n += page.items.len();
            token = page.metadata.continue_.filter(|c| !c.is_empty());
            if token.is_none() {
                break;
            }
        }
        println!(
            "{size} synthetic pods: startup {startup:?}, paged list (limit 500) {:?}, slowest page {slowest_page:?}",
            started.elapsed()
        );
        assert_eq!(n, size);
        if !cfg!(debug_assertions) {
            assert!(startup < Duration::from_secs(3), "startup took {startup:?}");
        }
    }
}

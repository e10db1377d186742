//! The whole app, headless, against the simulated cluster over real HTTP:
//! keys drive it, the screen is read back from a TestBackend.

mod common;

use std::time::Duration;

use bosun::app::view::ViewKind;
use bosun::cluster::kind::ResourceKind;
use bosun::cluster::rows::RowKey;
use bosun::cluster::watch::WatchStatus;
use bosun::sim::Fault;
use common::{Harness, kube_client, sample_cluster};
use crossterm::event::KeyCode;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};

const WAIT: Duration = Duration::from_secs(10);
const PODS: ViewKind = ViewKind::Resource(ResourceKind::Pods);

fn live(state: &bosun::app::State) -> bool {
    ResourceKind::ALL
        .iter()
        .all(|kind| state.status_of(*kind) == WatchStatus::Live)
}

fn count(screen: &str, needle: &str) -> usize {
    screen.matches(needle).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_filter_drill_down_back_and_switch_views() {
    let sim = sample_cluster().await;
    let mut app = Harness::start(&sim, PODS, 200, 50).await;
    app.wait_for("all kinds live", WAIT, |state, _| live(state))
        .await;
    let screen = app.screen();
    assert!(screen.contains("Pods(all)[46]"), "{screen}");

    // Filter as you type; "!" inverts; -l selects by labels.
    app.key(KeyCode::Char('/')).await;
    app.keys("crash").await;
    app.key(KeyCode::Enter).await;
    let screen = app.screen();
    assert!(screen.contains("redis-exporter"), "{screen}");
    assert!(!screen.contains("coredns"), "{screen}");
    assert!(screen.contains("</crash>"), "{screen}");
    app.key(KeyCode::Esc).await;
    assert!(app.screen().contains("coredns"));
    app.key(KeyCode::Char('/')).await;
    app.keys("-l app.kubernetes.io/name=blog").await;
    app.key(KeyCode::Enter).await;
    let screen = app.screen();
    assert!(screen.contains("blog-cd8gjjstfr"), "{screen}");
    assert!(!screen.contains("redis"), "{screen}");
    app.key(KeyCode::Esc).await;
    app.key(KeyCode::Char('/')).await;
    app.keys("!running").await;
    app.key(KeyCode::Enter).await;
    let screen = app.screen();
    assert!(screen.contains("CrashLoopBackOff"), "{screen}");
    assert!(!screen.contains(" Running "), "{screen}");
    app.key(KeyCode::Esc).await;

    // `:` switches view; enter drills into the workload's pods; esc goes back.
    app.key(KeyCode::Char(':')).await;
    app.keys("deploy").await;
    app.key(KeyCode::Enter).await;
    let screen = app.screen();
    assert!(screen.contains("Deployments(all)"), "{screen}");
    app.key(KeyCode::Char('/')).await;
    app.keys("redis-exporter").await;
    app.key(KeyCode::Enter).await;
    app.key(KeyCode::Enter).await;
    let screen = app.screen();
    assert!(
        screen.contains("Pods(deployment/redis-exporter)"),
        "{screen}"
    );
    assert!(screen.contains("redis-exporter-5t2f5lfzb"), "{screen}");
    assert!(!screen.contains("coredns"), "{screen}");
    // Pod -> its containers.
    app.key(KeyCode::Enter).await;
    let screen = app.screen();
    assert!(
        screen.contains("Containers(pod/redis/redis-exporter"),
        "{screen}"
    );
    assert!(screen.contains("Waiting: CrashLoopBackOff"), "{screen}");
    app.key(KeyCode::Esc).await;
    app.key(KeyCode::Esc).await;
    assert!(app.screen().contains("Deployments(all)"));

    // Namespace switch: ns view, enter scopes to it; `0` goes back to all.
    app.key(KeyCode::Char(':')).await;
    app.keys("ns").await;
    app.key(KeyCode::Enter).await;
    app.key(KeyCode::Char('/')).await;
    app.keys("kube-system").await;
    app.key(KeyCode::Enter).await;
    app.key(KeyCode::Enter).await;
    let screen = app.screen();
    assert!(screen.contains("Pods(kube-system)"), "{screen}");
    assert!(screen.contains("coredns"), "{screen}");
    assert!(!screen.contains("redis-exporter"), "{screen}");
    app.key(KeyCode::Char('0')).await;
    assert!(app.screen().contains("Pods(all)"));
    // `:pods NS` sets the namespace from the command line.
    app.key(KeyCode::Char(':')).await;
    app.keys("pods harbor").await;
    app.key(KeyCode::Enter).await;
    let screen = app.screen();
    assert!(screen.contains("Pods(harbor)"), "{screen}");
    assert!(screen.contains("OOMKilled"), "{screen}");

    // describe and YAML are fetched on demand.
    app.key(KeyCode::Char('d')).await;
    app.wait_for("describe text", WAIT, |_, screen| {
        screen.contains("Namespace:      harbor")
    })
    .await;
    app.key(KeyCode::Esc).await;
    app.key(KeyCode::Char('y')).await;
    app.wait_for("yaml text", WAIT, |_, screen| {
        screen.contains("apiVersion: v1")
    })
    .await;
    app.key(KeyCode::Esc).await;

    // `?` shows help generated from the keymap; q quits.
    app.key(KeyCode::Char('?')).await;
    let screen = app.screen();
    assert!(screen.contains("Help"), "{screen}");
    assert!(screen.contains("describe the selected object"), "{screen}");
    app.key(KeyCode::Esc).await;
    app.key(KeyCode::Char('q')).await;
    assert!(app.state.quit);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn created_changed_and_deleted_pods_show_up_live() {
    let sim = sample_cluster().await;
    let mut app = Harness::start(&sim, PODS, 200, 50).await;
    app.wait_for("pods listed", WAIT, |state, _| {
        state.status_of(ResourceKind::Pods) == WatchStatus::Live
    })
    .await;
    let before = app.state.stores.pods.len();

    let pods: Api<Pod> = Api::namespaced(kube_client(&sim).await, "default");
    let pod: Pod = serde_json::from_value(serde_json::json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "fresh", "namespace": "default", "labels": {"app": "fresh"}},
        "spec": {"containers": [{"name": "app", "image": "nginx"}]},
        "status": {"phase": "Pending"}
    }))
    .expect("pod json");
    pods.create(&PostParams::default(), &pod)
        .await
        .expect("create");
    app.wait_for("the new pod", WAIT, |_, screen| screen.contains("fresh"))
        .await;
    assert_eq!(app.state.stores.pods.len(), before + 1);

    let patch = serde_json::json!({"status": {"phase": "Running", "containerStatuses": [
        {"name": "app", "image": "nginx", "imageID": "", "ready": false, "restartCount": 0,
         "state": {"waiting": {"reason": "ImagePullBackOff", "message": "no such image"}}}]}});
    pods.patch_status("fresh", &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .expect("patch status");
    app.wait_for("the pod's new status", WAIT, |state, _| {
        state
            .stores
            .pods
            .get(&RowKey::new("default", "fresh"))
            .is_some_and(|row| row.status.as_ref() == "ImagePullBackOff")
    })
    .await;

    pods.delete("fresh", &DeleteParams::default())
        .await
        .expect("delete");
    app.wait_for("the pod gone", WAIT, |state, _| {
        state
            .stores
            .pods
            .get(&RowKey::new("default", "fresh"))
            .is_none()
    })
    .await;
    assert_eq!(app.state.stores.pods.len(), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cut_watches_and_410_recover_without_lost_or_doubled_rows() {
    let sim = sample_cluster().await;
    let mut app = Harness::start(&sim, PODS, 200, 50).await;
    app.wait_for("pods listed", WAIT, |state, _| {
        state.status_of(ResourceKind::Pods) == WatchStatus::Live
    })
    .await;
    let before = app.state.stores.pods.len();
    let pods: Api<Pod> = Api::namespaced(kube_client(&sim).await, "default");

    // A cut stream: pods created meanwhile still arrive, exactly once.
    sim.drop_watches();
    for name in ["after-cut-1", "after-cut-2"] {
        let pod: Pod = serde_json::from_value(serde_json::json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"containers": [{"name": "app", "image": "nginx"}]}
        }))
        .expect("pod json");
        pods.create(&PostParams::default(), &pod)
            .await
            .expect("create");
    }
    app.wait_for("both pods after the cut", WAIT, |state, _| {
        state.stores.pods.len() == before + 2
    })
    .await;

    // History compacted, then the stream cut: the resume gets 410 and the
    // watcher lists again.
    sim.compact();
    sim.drop_watches();
    pods.delete("after-cut-1", &DeleteParams::default())
        .await
        .expect("delete");
    app.wait_for("the relist after 410", WAIT, |state, _| {
        state.stores.pods.len() == before + 1
            && state.status_of(ResourceKind::Pods) == WatchStatus::Live
    })
    .await;
    let screen = app.screen();
    assert_eq!(count(&screen, "after-cut-2"), 1, "{screen}");
    assert_eq!(count(&screen, "after-cut-1"), 0, "{screen}");
    // The store has no duplicate keys: every row key is unique.
    let mut keys: Vec<_> = app
        .state
        .stores
        .pods
        .rows()
        .iter()
        .map(|row| (row.namespace.clone(), row.name.clone()))
        .collect();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), app.state.stores.pods.len());

    // A 500 on the relist is retried too.
    sim.fail_next(Fault {
        resource: Some("pods".into()),
        watch_only: false,
        status: 500,
        times: 1,
    });
    sim.drop_watches();
    app.wait_for("recovery after a 500", WAIT, |state, _| {
        state.status_of(ResourceKind::Pods) == WatchStatus::Live
            && state.stores.pods.len() == before + 1
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_going_away_marks_rows_stale_and_recovers() {
    let sim = sample_cluster().await;
    let mut app = Harness::start(&sim, PODS, 200, 50).await;
    app.wait_for("all live", WAIT, |state, _| live(state)).await;
    let rows = app.state.stores.pods.len();

    sim.go_away().await;
    app.wait_for("reconnecting", WAIT, |state, _| {
        matches!(
            state.status_of(ResourceKind::Pods),
            WatchStatus::Reconnecting { .. }
        )
    })
    .await;
    let screen = app.screen();
    assert!(screen.contains("stale since"), "{screen}");
    assert!(screen.contains("reconnecting"), "{screen}");
    // The last known rows stay on screen.
    assert_eq!(app.state.stores.pods.len(), rows);
    assert!(screen.contains("coredns"), "{screen}");

    sim.come_back().await;
    app.wait_for("live again", Duration::from_secs(20), |state, _| {
        live(state)
    })
    .await;
    let screen = app.screen();
    assert!(!screen.contains("stale since"), "{screen}");
    assert!(screen.contains("live"), "{screen}");
    assert_eq!(app.state.stores.pods.len(), rows);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forbidden_kind_shows_forbidden_in_that_view_only() {
    let sim = sample_cluster().await;
    sim.forbid("deployments", true);
    let mut app =
        Harness::start(&sim, ViewKind::Resource(ResourceKind::Deployments), 160, 40).await;
    app.wait_for("deployments forbidden", WAIT, |state, _| {
        matches!(
            state.status_of(ResourceKind::Deployments),
            WatchStatus::Forbidden { .. }
        )
    })
    .await;
    let screen = app.screen();
    assert!(screen.contains("forbidden"), "{screen}");
    assert!(screen.contains("cannot list resource"), "{screen}");
    app.key(KeyCode::Char(':')).await;
    app.keys("pods").await;
    app.key(KeyCode::Enter).await;
    app.wait_for("pods live", WAIT, |state, _| {
        state.status_of(ResourceKind::Pods) == WatchStatus::Live
    })
    .await;
    let screen = app.screen();
    assert!(!screen.contains("forbidden"), "{screen}");
    assert!(screen.contains("coredns"), "{screen}");
}

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

/// Every watcher listed; Argo Rollouts' kinds, which the sample cluster
/// does not serve (no CRD), settled as absent.
fn live(state: &bosun::app::State) -> bool {
    ResourceKind::ALL
        .iter()
        .all(|kind| match state.status_of(*kind) {
            WatchStatus::Live => true,
            WatchStatus::Absent { .. } => {
                matches!(kind, ResourceKind::Rollouts | ResourceKind::AnalysisRuns)
            }
            _ => false,
        })
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_means_no_redraw_and_no_requests_beyond_watches() {
    let sim = sample_cluster().await;
    let mut app = Harness::start(&sim, ViewKind::Resource(ResourceKind::Namespaces), 160, 40).await;
    app.wait_for("all live", WAIT, |state, _| {
        live(state) && state.metrics.generation > 0
    })
    .await;
    app.screen();
    assert!(!app.state.dirty);
    let requests = sim.request_count();
    // Three seconds of ticks and whatever the workers send (bookmarks,
    // metrics): nothing on the namespaces view changes, so nothing redraws.
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_secs(1)).await;
        app.drain().await;
        app.handle(bosun::app::AppEvent::Tick).await;
        assert!(!app.state.dirty, "an idle tick asked for a redraw");
    }
    // At most one metrics poll (two requests) in that time; watches stay open.
    let extra = sim.request_count() - requests;
    assert!(extra <= 2, "{extra} requests while idle");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctx_switches_live_between_clusters() {
    let first = sample_cluster().await;
    let second = bosun::sim::SimCluster::start(bosun::sim::SimOptions {
        synthetic_pods: 30,
        ..bosun::sim::SimOptions::default()
    })
    .await
    .expect("second cluster");
    let dir = tempfile::tempdir().expect("tempdir");
    let kubeconfig = dir.path().join("config");
    std::fs::write(
        &kubeconfig,
        format!(
            "apiVersion: v1\nkind: Config\ncurrent-context: homelab\nclusters:\n- name: homelab\n  cluster: {{server: \"{}\"}}\n- name: office\n  cluster: {{server: \"{}\"}}\nusers:\n- name: me\n  user: {{token: t}}\ncontexts:\n- name: homelab\n  context: {{cluster: homelab, user: me}}\n- name: office\n  context: {{cluster: office, user: me}}\n",
            first.url(),
            second.url()
        ),
    )
    .expect("write kubeconfig");
    let mut app = Harness::with_kubeconfig(
        &kubeconfig,
        bosun::config::settings::WatchListSetting::Auto,
        PODS,
        160,
        40,
    )
    .await;
    app.wait_for("homelab pods", WAIT, |_, screen| screen.contains("coredns"))
        .await;

    // :ctx lists the contexts; enter on one switches to it.
    app.key(KeyCode::Char(':')).await;
    app.keys("ctx").await;
    app.key(KeyCode::Enter).await;
    let screen = app.screen();
    assert!(screen.contains("Contexts"), "{screen}");
    assert!(screen.contains("office"), "{screen}");
    app.key(KeyCode::Char(':')).await;
    app.keys("ctx office").await;
    app.key(KeyCode::Enter).await;
    app.wait_for("office pods", WAIT, |state, screen| {
        state.context.context == "office"
            && screen.contains("load-")
            && state.status_of(ResourceKind::Pods) == WatchStatus::Live
    })
    .await;
    let screen = app.screen();
    assert!(
        !screen.contains("coredns"),
        "rows of the old context linger:\n{screen}"
    );
    assert!(screen.contains("ctx office"), "{screen}");
    // An unknown context is refused with the known ones named.
    app.key(KeyCode::Char(':')).await;
    app.keys("ctx nowhere").await;
    app.key(KeyCode::Enter).await;
    let screen = app.screen();
    assert!(screen.contains("no context \"nowhere\""), "{screen}");
    assert_eq!(app.state.context.context, "office");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streaming_lists_are_used_when_served_and_fall_back_when_rejected() {
    for (watch_list, version) in [(true, "v1.34.1+k3s1"), (false, "v1.33.3+k3s1")] {
        let sim = bosun::sim::SimCluster::start(bosun::sim::SimOptions {
            seed_dir: Some(common::samples_dir()),
            watch_list,
            server_version: version.to_string(),
            ..bosun::sim::SimOptions::default()
        })
        .await
        .expect("sim");
        // Ask for streaming lists explicitly: a server without them must
        // still end up listed (the watcher falls back to list+watch).
        let mut app = Harness::with_kubeconfig(
            sim.kubeconfig_path(),
            bosun::config::settings::WatchListSetting::Stream,
            PODS,
            160,
            40,
        )
        .await;
        app.wait_for("pods listed", WAIT, |state, _| {
            state.status_of(ResourceKind::Pods) == WatchStatus::Live
                && state.stores.pods.len() == 46
        })
        .await;
    }
}

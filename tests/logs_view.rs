//! The logs view, headless against the simulated cluster: one container,
//! previous, a workload's pods merged in time order, follow, search,
//! filter with context, copy, save, and pods joining a followed workload.

mod common;

use std::time::Duration;

use bosun::app::view::ViewKind;
use bosun::cluster::kind::ResourceKind;
use bosun::cluster::watch::WatchStatus;
use bosun::sim::{SimCluster, SimOptions};
use common::{Harness, kube_client, samples_dir};
use crossterm::event::KeyCode;
use k8s_openapi::api::apps::v1::Deployment;
use kube::api::{Api, Patch, PatchParams};

const WAIT: Duration = Duration::from_secs(15);

async fn cluster() -> SimCluster {
    SimCluster::start(SimOptions {
        seed_dir: Some(samples_dir()),
        log_interval: Duration::from_millis(50),
        rollout_step: Duration::from_millis(100),
        ..SimOptions::default()
    })
    .await
    .expect("sim")
}

async fn select(app: &mut Harness, filter: &str) {
    app.key(KeyCode::Char('/')).await;
    app.keys(filter).await;
    app.key(KeyCode::Enter).await;
}

fn seqs(app: &Harness, source: u32) -> Vec<u64> {
    let view = app.state.logs.as_ref().expect("logs open");
    (0..view.buffer.len())
        .filter_map(|index| view.buffer.get(index))
        .filter(|line| line.source == source)
        .filter_map(|line| {
            line.text
                .rsplit("seq=")
                .next()
                .and_then(|seq| seq.trim().parse().ok())
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn previous_logs_of_a_crashlooping_pod() {
    let sim = cluster().await;
    let mut app = Harness::start(&sim, ViewKind::Resource(ResourceKind::Pods), 160, 40).await;
    app.wait_for("pods", WAIT, |state, _| {
        state.status_of(ResourceKind::Pods) == WatchStatus::Live
    })
    .await;
    select(&mut app, "redis-exporter").await;
    app.key(KeyCode::Char('p')).await;
    app.wait_for("the crash", WAIT, |_, screen| {
        screen.contains("connection refused")
    })
    .await;
    let screen = app.screen();
    assert!(screen.contains("[previous]"), "{screen}");
    assert!(screen.contains("logs pod/redis-exporter"), "{screen}");
    // esc leaves the logs, back to the pods.
    app.key(KeyCode::Esc).await;
    assert!(app.state.logs.is_none());
    assert!(app.screen().contains("Pods(all)"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_workloads_pods_merge_in_time_order_and_follow() {
    let sim = cluster().await;
    let mut app =
        Harness::start(&sim, ViewKind::Resource(ResourceKind::Deployments), 160, 40).await;
    app.wait_for("deployments", WAIT, |state, _| {
        state.status_of(ResourceKind::Deployments) == WatchStatus::Live
            && state.status_of(ResourceKind::Pods) == WatchStatus::Live
    })
    .await;
    select(&mut app, "blog/blog ").await;
    app.key(KeyCode::Char('l')).await;
    app.wait_for("two sources with lines", WAIT, |state, _| {
        state.logs.as_ref().is_some_and(|view| {
            let from = |source: u32| {
                (0..view.buffer.len())
                    .filter_map(|i| view.buffer.get(i))
                    .filter(|line| line.source == source)
                    .count()
            };
            view.sources.len() == 2 && from(0) > 100 && from(1) > 100
        })
    })
    .await;
    let screen = app.screen();
    assert!(screen.contains("logs deployment/blog -n blog"), "{screen}");
    assert!(screen.contains("blog-cd8gjjstfr-76jmj "), "{screen}");
    assert!(screen.contains("blog-cd8gjjstfr-t4zhr "), "{screen}");
    {
        let view = app.state.logs.as_ref().expect("logs");
        let times: Vec<i64> = (0..view.buffer.len())
            .filter_map(|i| view.buffer.get(i))
            .map(|line| line.nanos)
            .collect();
        assert!(
            times.windows(2).all(|pair| pair[0] <= pair[1]),
            "lines are not in time order"
        );
    }
    // Following: more lines arrive, each source's sequence has no gaps.
    let before = app
        .state
        .logs
        .as_ref()
        .map(|view| view.buffer.len())
        .unwrap_or(0);
    app.wait_for("more lines", WAIT, |state, _| {
        state
            .logs
            .as_ref()
            .is_some_and(|view| view.buffer.len() > before + 20)
    })
    .await;
    for source in 0..2 {
        let numbers = seqs(&app, source);
        assert!(
            numbers.windows(2).all(|pair| pair[1] == pair[0] + 1),
            "gap or duplicate in source {source}"
        );
    }
    // A cut stream resumes without duplicates or gaps.
    sim.drop_log_streams();
    let cut = app
        .state
        .logs
        .as_ref()
        .map(|view| view.buffer.len())
        .unwrap_or(0);
    app.wait_for("lines after the cut", WAIT, |state, _| {
        state
            .logs
            .as_ref()
            .is_some_and(|view| view.buffer.len() > cut + 20)
    })
    .await;
    for source in 0..2 {
        let numbers = seqs(&app, source);
        assert!(
            numbers.windows(2).all(|pair| pair[1] == pair[0] + 1),
            "gap or duplicate after the cut in source {source}"
        );
    }

    // Scrolling up pauses follow; f resumes.
    app.key(KeyCode::Up).await;
    assert!(!app.state.logs.as_ref().is_some_and(|view| view.follow));
    app.key(KeyCode::Char('f')).await;
    assert!(app.state.logs.as_ref().is_some_and(|view| view.follow));

    // New pods of the workload join: scale to 3.
    let deployments: Api<Deployment> = Api::namespaced(kube_client(&sim).await, "blog");
    deployments
        .patch_scale(
            "blog",
            &PatchParams::default(),
            &Patch::Merge(serde_json::json!({"spec": {"replicas": 3}})),
        )
        .await
        .expect("scale");
    app.wait_for("a third source", WAIT, |state, _| {
        state
            .logs
            .as_ref()
            .is_some_and(|view| view.sources.len() == 3)
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_filter_copy_save_and_toggles() {
    let sim = cluster().await;
    let mut app = Harness::start(&sim, ViewKind::Resource(ResourceKind::Pods), 160, 40).await;
    app.wait_for("pods", WAIT, |state, _| {
        state.status_of(ResourceKind::Pods) == WatchStatus::Live
    })
    .await;
    select(&mut app, "blog-cd8gjjstfr-76jmj").await;
    app.key(KeyCode::Char('l')).await;
    app.wait_for("lines", WAIT, |state, _| {
        state
            .logs
            .as_ref()
            .is_some_and(|view| view.buffer.len() > 50)
    })
    .await;

    // Search highlights and jumps; n moves on; follow pauses.
    app.key(KeyCode::Char('/')).await;
    app.keys("404").await;
    app.key(KeyCode::Enter).await;
    {
        let view = app.state.logs.as_ref().expect("logs");
        assert!(!view.matches.is_empty(), "no 404 lines to find");
        assert!(!view.follow);
        let line = view.buffer.get(view.visible[view.cursor]).expect("line");
        assert!(line.text.contains("404"));
    }
    let first = app.state.logs.as_ref().map(|view| view.cursor).unwrap_or(0);
    app.key(KeyCode::Char('n')).await;
    assert_ne!(app.state.logs.as_ref().map(|view| view.cursor), Some(first));
    assert!(app.screen().contains("/404 ["));

    // Copy the highlighted line.
    app.key(KeyCode::Char('c')).await;
    assert_eq!(app.clipboard.len(), 1);
    assert!(app.clipboard[0].contains("404"));

    // Filter keeps matching lines and their context.
    app.key(KeyCode::Esc).await;
    app.key(KeyCode::Char('&')).await;
    app.keys("404").await;
    app.key(KeyCode::Enter).await;
    {
        let view = app.state.logs.as_mut().expect("logs");
        view.refresh();
        let kept: Vec<&str> = view
            .visible
            .iter()
            .filter_map(|&i| view.buffer.get(i))
            .map(|line| line.text.as_ref())
            .collect();
        let matching = kept.iter().filter(|text| text.contains("404")).count();
        assert!(
            matching > 0 && kept.len() > matching,
            "context lines are kept too"
        );
        assert!(kept.len() < view.buffer.len());
    }

    // Toggles show in the title.
    app.key(KeyCode::Char('w')).await;
    app.key(KeyCode::Char('t')).await;
    let screen = app.screen();
    assert!(
        screen.contains("[wrap w]") && screen.contains("[time t]"),
        "{screen}"
    );
    assert!(screen.contains("T"), "timestamps are shown");

    // Save writes the buffer and says where.
    app.key(KeyCode::Char('s')).await;
    app.wait_for("saved", WAIT, |_, screen| screen.contains("saved "))
        .await;
    let dir = app.audit_dir.path().join("logs");
    let saved: Vec<_> = std::fs::read_dir(&dir)
        .expect("logs dir")
        .filter_map(Result::ok)
        .collect();
    assert_eq!(saved.len(), 1);
    let text = std::fs::read_to_string(saved[0].path()).expect("saved file");
    assert!(text.lines().count() > 50);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pod_with_several_containers_asks_which() {
    let sim = cluster().await;
    let mut app = Harness::start(&sim, ViewKind::Resource(ResourceKind::Pods), 160, 40).await;
    app.wait_for("pods", WAIT, |state, _| {
        state.status_of(ResourceKind::Pods) == WatchStatus::Live
    })
    .await;
    select(&mut app, "harbor-registry").await;
    app.key(KeyCode::Char('l')).await;
    let picker = app.state.picker.clone().expect("a container picker");
    assert_eq!(picker.choices[0], "all containers");
    assert_eq!(picker.choices.len(), 3, "{:?}", picker.choices);
    assert!(app.screen().contains("logs of pod/harbor-registry"));
    app.key(KeyCode::Down).await;
    app.key(KeyCode::Enter).await;
    let chosen = picker.choices[1].clone();
    let view = app.state.logs.as_ref().expect("logs open");
    assert!(
        view.title.contains(&format!("-c {chosen}")),
        "{}",
        view.title
    );
    assert_eq!(view.sources.len(), 1);
    app.key(KeyCode::Esc).await;
    // "all containers" streams both, prefixed.
    app.key(KeyCode::Char('l')).await;
    app.key(KeyCode::Enter).await;
    app.wait_for("both containers", WAIT, |state, _| {
        state.logs.as_ref().is_some_and(|view| {
            let from = |source: u32| {
                (0..view.buffer.len())
                    .filter_map(|i| view.buffer.get(i))
                    .any(|line| line.source == source)
            };
            view.sources.len() == 2 && from(0) && from(1)
        })
    })
    .await;
    // Several containers: each line is labelled pod/container.
    let view = app.state.logs.as_ref().expect("logs");
    assert!(
        view.sources
            .iter()
            .any(|source| source.label.ends_with(&format!("/{chosen}"))),
        "{:?}",
        view.labels()
    );
}

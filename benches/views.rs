//! Draw and filter costs on a 20,000-pod store (DESIGN §13):
//! `cargo bench --bench views`.

use std::time::{Duration, Instant};

use bosun::app::state::State;
use bosun::app::update::update;
use bosun::app::view::ViewKind;
use bosun::app::{AppEvent, run};
use bosun::cluster::client::ContextInfo;
use bosun::cluster::kind::ResourceKind;
use bosun::cluster::rows::PodRow;
use bosun::cluster::watch::{KindRows, RowUpdate, WatchMessage, WatchStatus};
use bosun::config::keymap::Keymap;
use bosun::config::theme::Theme;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use k8s_openapi::api::core::v1::Pod;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const PODS: usize = 20_000;

fn pod(index: usize) -> Pod {
    let crash = index.is_multiple_of(37);
    let state = if crash {
        serde_json::json!({"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 5m0s"}})
    } else {
        serde_json::json!({"running": {"startedAt": "2026-01-01T00:00:00Z"}})
    };
    serde_json::from_value(serde_json::json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {
            "name": format!("app-{}-7d9f8b6c4-{index:05}", index % 300),
            "namespace": format!("load-{:02}", index % 20),
            "labels": {"app": format!("app-{}", index % 300), "pod-template-hash": "7d9f8b6c4"},
            "creationTimestamp": "2025-12-01T00:00:00Z"
        },
        "spec": {"nodeName": if index.is_multiple_of(2) { "k3s-server" } else { "k3s-agent-1" },
                 "containers": [{"name": "app", "image": "ghcr.io/example/app:1.2.3",
                                 "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}}}]},
        "status": {"phase": "Running", "podIP": "10.42.0.1",
                   "containerStatuses": [{"name": "app", "image": "ghcr.io/example/app:1.2.3", "imageID": "",
                                          "ready": !crash, "restartCount": if crash { 12 } else { 0 }, "state": state}]}
    }))
    .expect("bench pod")
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn key(state: &mut State, code: KeyCode) {
    update(
        state,
        AppEvent::Key(KeyEvent::new(code, KeyModifiers::NONE)),
    );
}

fn main() {
    let rows: Vec<PodRow> = (0..PODS)
        .map(|index| PodRow::from_pod(&pod(index)))
        .collect();
    let mut state = State::new(
        ContextInfo::default(),
        Keymap::defaults(),
        ViewKind::Resource(ResourceKind::Pods),
        1_767_225_600,
    );
    update(
        &mut state,
        AppEvent::Cluster {
            epoch: 0,
            message: WatchMessage::Rows(KindRows::Pods(RowUpdate::Replace(rows))).into(),
        },
    );
    update(
        &mut state,
        AppEvent::Cluster {
            epoch: 0,
            message: WatchMessage::Status(ResourceKind::Pods, WatchStatus::Live).into(),
        },
    );
    let theme = Theme::builtin_default();
    let mut terminal = Terminal::new(TestBackend::new(200, 50)).expect("terminal");
    run::draw(&mut terminal, &mut state, &theme).expect("first draw");

    // A frame of the pods view, rows already sorted: what every redraw costs.
    let mut draws = Vec::new();
    for step in 0..300 {
        key(
            &mut state,
            if step % 2 == 0 {
                KeyCode::Down
            } else {
                KeyCode::Up
            },
        );
        let start = Instant::now();
        run::draw(&mut terminal, &mut state, &theme).expect("draw");
        draws.push(start.elapsed());
    }

    // One filter keystroke: update + re-filter 20,000 rows (+ the draw).
    key(&mut state, KeyCode::Char('/'));
    let mut filters = Vec::new();
    let mut filter_and_draw = Vec::new();
    for step in 0..200 {
        let code = if step % 2 == 0 {
            KeyCode::Char('7')
        } else {
            KeyCode::Backspace
        };
        let start = Instant::now();
        key(&mut state, code);
        bosun::app::table::refresh(&mut state);
        filters.push(start.elapsed());
        run::draw(&mut terminal, &mut state, &theme).expect("draw");
        filter_and_draw.push(start.elapsed());
    }

    // A full re-sort after a watch event touched the store.
    let mut resorts = Vec::new();
    for _ in 0..50 {
        let row = state.stores.pods.rows()[0].clone();
        update(
            &mut state,
            AppEvent::Cluster {
                epoch: 0,
                message: WatchMessage::Rows(KindRows::Pods(RowUpdate::Upsert(row))).into(),
            },
        );
        let start = Instant::now();
        bosun::app::table::refresh(&mut state);
        resorts.push(start.elapsed());
    }

    let (picture_updates, picture_draws) = rollout_picture(&mut state, &mut terminal, &theme);

    println!("pods view, {PODS} rows, 200x50:");
    println!(
        "  draw one frame        median {:>8.3} ms   (budget < 2 ms)",
        median(draws).as_secs_f64() * 1e3
    );
    println!(
        "  filter keystroke      median {:>8.3} ms   (budget < 5 ms)",
        median(filters).as_secs_f64() * 1e3
    );
    println!(
        "  keystroke + frame     median {:>8.3} ms",
        median(filter_and_draw).as_secs_f64() * 1e3
    );
    println!(
        "  re-sort after change  median {:>8.3} ms",
        median(resorts).as_secs_f64() * 1e3
    );
    println!("an Argo Rollout's live picture open, {PODS} pods in the store:");
    println!(
        "  pod event → redrawn   median {:>8.3} ms   (update re-derives the picture)",
        median(picture_updates).as_secs_f64() * 1e3
    );
    println!(
        "  draw one frame        median {:>8.3} ms",
        median(picture_draws).as_secs_f64() * 1e3
    );
}

/// The plugin-shaped fixture rollout fed to the stores, its picture open,
/// then pod events arriving: what keeping it live costs.
fn rollout_picture(
    state: &mut State,
    terminal: &mut Terminal<TestBackend>,
    theme: &Theme,
) -> (Vec<Duration>, Vec<Duration>) {
    use bosun::cluster::rows::argo::{AnalysisRunRow, RolloutReplicaSetRow, RolloutRow};
    use serde::Deserialize;
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/argo-rollouts/canary-paused.yaml"),
    )
    .expect("fixture");
    let docs: Vec<serde_json::Value> = serde_yaml::Deserializer::from_str(&text)
        .filter_map(|d| serde_json::Value::deserialize(d).ok())
        .filter(|v| !v.is_null())
        .collect();
    let of = |kind: &'static str| docs.iter().filter(move |d| d["kind"] == kind).cloned();
    let dynamic = |v: serde_json::Value| -> kube::api::DynamicObject {
        serde_json::from_value(v).expect("object")
    };
    let feed = |state: &mut State, rows: KindRows| {
        update(
            state,
            AppEvent::Cluster {
                epoch: 0,
                message: WatchMessage::Rows(rows).into(),
            },
        );
    };
    feed(
        state,
        KindRows::Rollouts(RowUpdate::Replace(
            of("Rollout")
                .map(|v| RolloutRow::from_object(&dynamic(v)))
                .collect(),
        )),
    );
    feed(
        state,
        KindRows::RolloutReplicaSets(RowUpdate::Replace(
            of("ReplicaSet")
                .map(|v| {
                    RolloutReplicaSetRow::from_replicaset(&serde_json::from_value(v).expect("rs"))
                })
                .collect(),
        )),
    );
    feed(
        state,
        KindRows::AnalysisRuns(RowUpdate::Replace(
            of("AnalysisRun")
                .map(|v| AnalysisRunRow::from_object(&dynamic(v)))
                .collect(),
        )),
    );
    for pod in of("Pod") {
        feed(
            state,
            KindRows::Pods(RowUpdate::Upsert(PodRow::from_pod(
                &serde_json::from_value(pod).expect("pod"),
            ))),
        );
    }
    key(state, KeyCode::Esc);
    key(state, KeyCode::Char(':'));
    for c in "ro".chars() {
        key(state, KeyCode::Char(c));
    }
    key(state, KeyCode::Enter);
    bosun::app::table::refresh(state);
    key(state, KeyCode::Enter);
    assert!(state.detail.is_some(), "the picture is open");
    let mut updates = Vec::new();
    let mut draws = Vec::new();
    for _ in 0..100 {
        let row = state.stores.pods.rows()[0].clone();
        let start = Instant::now();
        feed(state, KindRows::Pods(RowUpdate::Upsert(row)));
        updates.push(start.elapsed());
        let start = Instant::now();
        run::draw(terminal, state, theme).expect("draw");
        draws.push(start.elapsed());
    }
    (updates, draws)
}

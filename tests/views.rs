//! Snapshots of every view at a fixed size, from the sample homelab's
//! objects projected into rows (no cluster: `now` is the samples' anchor).

use std::path::Path;

use bosun::app::state::{ContextEntry, State};
use bosun::app::update::update;
use bosun::app::view::ViewKind;
use bosun::app::{AppEvent, run};
use bosun::cluster::client::ContextInfo;
use bosun::cluster::kind::ResourceKind;
use bosun::cluster::metrics::{MetricsMessage, MetricsSnapshot, Usage};
use bosun::cluster::rows::{EventRow, NamespaceRow, NodeRow, PodRow, RowKey, WorkloadRow};
use bosun::cluster::watch::{KindRows, RowUpdate, WatchMessage, WatchStatus};
use bosun::config::keymap::Keymap;
use bosun::config::theme::Theme;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use insta::assert_snapshot;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use serde::Deserialize;

/// 2026-01-01T00:00:00Z, the instant the samples are written against.
const ANCHOR: i64 = 1_767_225_600;

fn documents() -> Vec<serde_json::Value> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/cluster");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("samples/cluster exists")
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "yaml"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("readable sample");
        for document in serde_yaml::Deserializer::from_str(&text) {
            let value = serde_json::Value::deserialize(document).expect("valid sample yaml");
            if !value.is_null() {
                out.push(value);
            }
        }
    }
    out
}

fn rows<K: serde::de::DeserializeOwned, R>(
    docs: &[serde_json::Value],
    kind: &str,
    project: fn(&K) -> R,
) -> Vec<R> {
    docs.iter()
        .filter(|doc| doc["kind"] == kind)
        .map(|doc| project(&serde_json::from_value::<K>(doc.clone()).expect("typed sample")))
        .collect()
}

fn feed(state: &mut State, message: WatchMessage) {
    update(
        state,
        AppEvent::Cluster {
            epoch: 0,
            message: message.into(),
        },
    );
}

fn sample_state() -> State {
    let docs = documents();
    let info = ContextInfo {
        context: "homelab".into(),
        cluster: "k3s".into(),
        user: "admin".into(),
        server: "https://192.168.1.10:6443".into(),
        namespace: None,
    };
    let mut state = State::new(
        info,
        Keymap::defaults(),
        ViewKind::Resource(ResourceKind::Pods),
        ANCHOR,
    );
    state.server_version = Some("v1.33.3+k3s1".into());
    state.connected = true;
    state.contexts = vec![
        ContextEntry {
            name: "homelab".into(),
            cluster: "k3s".into(),
            server: "https://192.168.1.10:6443".into(),
        },
        ContextEntry {
            name: "office".into(),
            cluster: "office".into(),
            server: "https://10.0.0.5:6443".into(),
        },
    ];
    use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, StatefulSet};
    use k8s_openapi::api::core::v1::{Event, Namespace, Node, Pod};
    feed(
        &mut state,
        WatchMessage::Rows(KindRows::Pods(RowUpdate::Replace(rows::<Pod, _>(
            &docs,
            "Pod",
            PodRow::from_pod,
        )))),
    );
    feed(
        &mut state,
        WatchMessage::Rows(KindRows::Workloads(
            ResourceKind::Deployments,
            RowUpdate::Replace(rows::<Deployment, _>(
                &docs,
                "Deployment",
                WorkloadRow::from_deployment,
            )),
        )),
    );
    feed(
        &mut state,
        WatchMessage::Rows(KindRows::Workloads(
            ResourceKind::StatefulSets,
            RowUpdate::Replace(rows::<StatefulSet, _>(
                &docs,
                "StatefulSet",
                WorkloadRow::from_statefulset,
            )),
        )),
    );
    feed(
        &mut state,
        WatchMessage::Rows(KindRows::Workloads(
            ResourceKind::DaemonSets,
            RowUpdate::Replace(rows::<DaemonSet, _>(
                &docs,
                "DaemonSet",
                WorkloadRow::from_daemonset,
            )),
        )),
    );
    feed(
        &mut state,
        WatchMessage::Rows(KindRows::Namespaces(RowUpdate::Replace(
            rows::<Namespace, _>(&docs, "Namespace", NamespaceRow::from_namespace),
        ))),
    );
    feed(
        &mut state,
        WatchMessage::Rows(KindRows::Nodes(RowUpdate::Replace(rows::<Node, _>(
            &docs,
            "Node",
            NodeRow::from_node,
        )))),
    );
    feed(
        &mut state,
        WatchMessage::Rows(KindRows::Events(RowUpdate::Replace(rows::<Event, _>(
            &docs,
            "Event",
            EventRow::from_event,
        )))),
    );
    for kind in ResourceKind::ALL {
        feed(&mut state, WatchMessage::Status(kind, WatchStatus::Live));
    }
    // Metrics as metrics-server would report them for a few pods and nodes.
    let mut snapshot = MetricsSnapshot::default();
    for doc in docs.iter().filter(|doc| doc["kind"] == "PodMetrics") {
        let key = RowKey::new(
            doc["metadata"]["namespace"].as_str().unwrap_or(""),
            doc["metadata"]["name"].as_str().unwrap_or(""),
        );
        let mut usage = Usage::default();
        for container in doc["containers"].as_array().into_iter().flatten() {
            usage.cpu_millis += bosun::cluster::quantity::cpu_millis(
                container["usage"]["cpu"].as_str().unwrap_or("0"),
            )
            .unwrap_or(0);
            usage.mem_bytes += bosun::cluster::quantity::bytes(
                container["usage"]["memory"].as_str().unwrap_or("0"),
            )
            .unwrap_or(0);
        }
        snapshot.pods.insert(key, usage);
    }
    for doc in docs.iter().filter(|doc| doc["kind"] == "NodeMetrics") {
        let usage = Usage {
            cpu_millis: bosun::cluster::quantity::cpu_millis(
                doc["usage"]["cpu"].as_str().unwrap_or("0"),
            )
            .unwrap_or(0),
            mem_bytes: bosun::cluster::quantity::bytes(
                doc["usage"]["memory"].as_str().unwrap_or("0"),
            )
            .unwrap_or(0),
        };
        snapshot.nodes.insert(
            doc["metadata"]["name"].as_str().unwrap_or("").to_string(),
            usage,
        );
    }
    for _ in 0..3 {
        update(
            &mut state,
            AppEvent::Cluster {
                epoch: 0,
                message: MetricsMessage::Snapshot(snapshot.clone()).into(),
            },
        );
    }
    state.now = ANCHOR;
    state
}

fn key(state: &mut State, code: KeyCode) {
    let modifiers = if matches!(code, KeyCode::Char(c) if c.is_ascii_uppercase()) {
        KeyModifiers::SHIFT
    } else {
        KeyModifiers::NONE
    };
    update(state, AppEvent::Key(KeyEvent::new(code, modifiers)));
}

fn command(state: &mut State, line: &str) {
    key(state, KeyCode::Char(':'));
    for character in line.chars() {
        key(state, KeyCode::Char(character));
    }
    key(state, KeyCode::Enter);
}

fn render(state: &mut State) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(140, 40)).expect("terminal");
    run::draw(&mut terminal, state, &Theme::builtin_default()).expect("draw");
    terminal
}

#[test]
fn pods_view() {
    let mut state = sample_state();
    assert_snapshot!(render(&mut state).backend());
}

#[test]
fn pods_view_in_one_namespace_sorted_by_restarts() {
    let mut state = sample_state();
    command(&mut state, "pods harbor");
    key(&mut state, KeyCode::Char('T'));
    key(&mut state, KeyCode::Char('T'));
    assert_snapshot!(render(&mut state).backend());
}

#[test]
fn workload_views() {
    let mut state = sample_state();
    command(&mut state, "deploy");
    assert_snapshot!("deployments", render(&mut state).backend());
    command(&mut state, "sts");
    assert_snapshot!("statefulsets", render(&mut state).backend());
    command(&mut state, "ds");
    assert_snapshot!("daemonsets", render(&mut state).backend());
}

#[test]
fn namespaces_nodes_events_contexts() {
    let mut state = sample_state();
    command(&mut state, "ns");
    assert_snapshot!("namespaces", render(&mut state).backend());
    command(&mut state, "nodes");
    assert_snapshot!("nodes", render(&mut state).backend());
    command(&mut state, "events");
    assert_snapshot!("events", render(&mut state).backend());
    command(&mut state, "ctx");
    assert_snapshot!("contexts", render(&mut state).backend());
}

#[test]
fn containers_of_a_pod() {
    let mut state = sample_state();
    key(&mut state, KeyCode::Char('/'));
    for character in "redis-exporter".chars() {
        key(&mut state, KeyCode::Char(character));
    }
    key(&mut state, KeyCode::Enter);
    key(&mut state, KeyCode::Enter);
    assert_snapshot!(render(&mut state).backend());
}

#[test]
fn pulse_overview() {
    let mut state = sample_state();
    command(&mut state, "pulse");
    assert_snapshot!(render(&mut state).backend());
}

#[test]
fn help_overlay() {
    let mut state = sample_state();
    key(&mut state, KeyCode::Char('?'));
    assert_snapshot!(render(&mut state).backend());
}

#[test]
fn stale_rows_say_since_when() {
    let mut state = sample_state();
    feed(
        &mut state,
        WatchMessage::Status(
            ResourceKind::Pods,
            WatchStatus::Reconnecting {
                since: ANCHOR - 30,
                error: "the API server is not answering (connection refused)".into(),
            },
        ),
    );
    let terminal = render(&mut state);
    let text = format!("{}", terminal.backend());
    assert!(text.contains("stale since"), "{text}");
    assert!(text.contains("reconnecting"), "{text}");
}

#[test]
fn pods_view_at_80x24_keeps_the_important_columns() {
    let mut state = sample_state();
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).expect("terminal");
    run::draw(&mut terminal, &mut state, &Theme::builtin_default()).expect("draw");
    let text = format!("{}", terminal.backend());
    for column in ["NAMESPACE", "NAME", "READY", "STATUS", "RESTARTS"] {
        assert!(text.contains(column), "{column} missing:\n{text}");
    }
    assert_snapshot!(terminal.backend());
}

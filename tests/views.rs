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
    feed(
        &mut state,
        WatchMessage::Rows(KindRows::Jobs(RowUpdate::Replace(rows::<
            k8s_openapi::api::batch::v1::Job,
            _,
        >(
            &docs,
            "Job",
            bosun::cluster::rows::JobRow::from_job,
        )))),
    );
    feed(
        &mut state,
        WatchMessage::Rows(KindRows::Hpas(RowUpdate::Replace(rows::<
            k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler,
            _,
        >(
            &docs,
            "HorizontalPodAutoscaler",
            bosun::cluster::rows::HpaRow::from_hpa,
        )))),
    );
    feed(
        &mut state,
        WatchMessage::Rows(KindRows::HelmReleases(RowUpdate::Replace(
            docs.iter()
                .filter(|doc| doc["type"] == "helm.sh/release.v1")
                .map(|doc| {
                    bosun::cluster::rows::HelmReleaseRow::from_secret(
                        &serde_json::from_value(doc.clone()).expect("secret"),
                    )
                })
                .collect(),
        ))),
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
fn hpa_view_prints_as_kubectl_get_hpa() {
    let mut state = sample_state();
    command(&mut state, "hpa");
    assert_snapshot!("hpas", render(&mut state).backend());
}

#[test]
fn helm_view_lists_the_newest_revision_of_each_release() {
    let mut state = sample_state();
    command(&mut state, "helm");
    assert_snapshot!("helm_releases", render(&mut state).backend());
    key(&mut state, KeyCode::Enter);
    assert_snapshot!("helm_history", render(&mut state).backend());
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

#[test]
fn certs_view_orders_by_urgency_and_colours_days_left() {
    use bosun::certs::{CertInfo, CertificateRow, HostRoute, TlsSecretRow};
    use bosun::cluster::rows::RouteRow;
    let day = 86_400;
    let info = |cn: &str, days: i64| CertInfo {
        subject: cn.to_string(),
        sans: vec![cn.to_string()],
        issuer: "R11".to_string(),
        not_before: ANCHOR - 30 * day,
        not_after: ANCHOR + days * day,
        chain_len: 2,
        self_signed: false,
    };
    let certificate =
        |ns: &str, name: &str, host: &str, ready: Option<bool>, days: i64| CertificateRow {
            namespace: ns.into(),
            name: name.into(),
            secret_name: name.into(),
            dns_names: vec![host.into()],
            issuer: "ClusterIssuer/letsencrypt-prod".into(),
            ready,
            not_after: Some(ANCHOR + days * day),
            renewal_time: Some(ANCHOR + (days - 30) * day),
            ..CertificateRow::default()
        };
    let secret = |ns: &str, name: &str, cert: Result<CertInfo, String>| TlsSecretRow {
        namespace: ns.into(),
        name: name.into(),
        cert,
        managed_by_certificate: Some(name.into()),
    };
    let mut state = sample_state();
    let certificates = vec![
        certificate("blog", "blog-tls", "blog.home.lab", Some(true), 60),
        certificate("harbor", "harbor-tls", "harbor.home.lab", Some(true), 10),
        certificate("minio", "minio-tls", "minio.home.lab", Some(true), 2),
        certificate("argo", "argo-tls", "argo.home.lab", Some(false), -3),
    ];
    let secrets = vec![
        secret("blog", "blog-tls", Ok(info("blog.home.lab", 60))),
        secret("harbor", "harbor-tls", Ok(info("harbor.home.lab", 10))),
        secret("minio", "minio-tls", Ok(info("minio.home.lab", 2))),
        secret("argo", "argo-tls", Ok(info("argo.home.lab", -3))),
        secret("kube-system", "broken-tls", Err("not PEM data".to_string())),
    ];
    let routes = vec![RouteRow {
        namespace: "default".into(),
        name: "nas".into(),
        routes: vec![HostRoute {
            namespace: "default".into(),
            source: "ingress/nas".into(),
            hosts: vec!["nas.home.lab".into()],
            secret_name: Some("nas-tls".into()),
            cert_resolver: None,
        }],
    }];
    feed(
        &mut state,
        WatchMessage::Rows(KindRows::Certificates(RowUpdate::Replace(certificates))),
    );
    feed(
        &mut state,
        WatchMessage::Rows(KindRows::TlsSecrets(RowUpdate::Replace(secrets))),
    );
    feed(
        &mut state,
        WatchMessage::Rows(KindRows::Routes(
            ResourceKind::Ingresses,
            RowUpdate::Replace(routes),
        )),
    );
    command(&mut state, "certs");
    let terminal = render(&mut state);
    let text = format!("{}", terminal.backend());
    // Most urgent first: expired, then 2 days, then 10.
    let position = |needle: &str| text.find(needle).unwrap_or(usize::MAX);
    assert!(position("argo-tls") < position("minio-tls"));
    assert!(position("minio-tls") < position("harbor-tls"));
    assert!(position("harbor-tls") < position("blog-tls"));
    assert!(text.contains("expired 3d"), "{text}");
    assert!(
        text.contains("ingress/nas") && text.contains("host nas.home.la"),
        "a host whose secret is missing is listed:\n{text}"
    );
    assert!(text.contains("broken-tls"), "{text}");
    let broken = state
        .certs
        .iter()
        .find(|entry| entry.view.name == "broken-tls")
        .expect("broken-tls row");
    assert!(
        broken
            .view
            .problems
            .iter()
            .any(|problem| problem.contains("not PEM data")),
        "{:?}",
        broken.view.problems
    );
    // Days-left colours: < 3 error, < 14 warn, else ok.
    let theme = Theme::builtin_default();
    let buffer = terminal.backend().buffer();
    let style_of = |needle: &str, column: &str| {
        let lines: Vec<String> = (0..buffer.area.height)
            .map(|y| {
                (0..buffer.area.width)
                    .map(|x| buffer[(x, y)].symbol().to_string())
                    .collect()
            })
            .collect();
        let header = lines
            .iter()
            .find(|line| line.contains("DAYS-LEFT"))
            .expect("header");
        let x = header.find(column).expect("column") as u16;
        let x = header[..x as usize].chars().count() as u16;
        let y = lines
            .iter()
            .position(|line| line.contains(needle))
            .expect("row") as u16;
        buffer[(x, y)].fg
    };
    assert_eq!(
        style_of("minio-tls", "DAYS-LEFT"),
        theme.error.fg.unwrap_or_default()
    );
    assert_eq!(
        style_of("harbor-tls", "DAYS-LEFT"),
        theme.warn.fg.unwrap_or_default()
    );
    assert_eq!(
        style_of("blog-tls ", "DAYS-LEFT"),
        theme.ok.fg.unwrap_or_default()
    );
    assert_snapshot!(terminal.backend());
    // The overview counts what expires soon and what is not Ready.
    command(&mut state, "pulse");
    let overview = format!("{}", render(&mut state).backend());
    assert!(
        overview.contains("certs    3 expiring, 1 not ready"),
        "{overview}"
    );
}

#[test]
fn jobs_view_and_drill_down_to_its_pods() {
    let mut state = sample_state();
    command(&mut state, "jobs");
    let terminal = render(&mut state);
    let text = format!("{}", terminal.backend());
    assert!(text.contains("Jobs(all)[5]"), "{text}");
    assert!(
        text.contains("mariadb-backup") && text.contains("Complete") && text.contains("1/1"),
        "{text}"
    );
    assert_snapshot!(terminal.backend());
    // The newest run is first; enter shows its pods.
    key(&mut state, KeyCode::Enter);
    let text = format!("{}", render(&mut state).backend());
    assert!(text.contains("Pods(job/mariadb-backup-"), "{text}");
    assert!(text.contains("Completed"), "{text}");
}

mod apps {
    use super::*;
    use bosun::app::gitops_service::GitopsEvent;
    use bosun::gitops::compare::{AppDiff, Change, ObjectDiff, SyncStatus};
    use bosun::gitops::evaluate::Evaluation;
    use bosun::gitops::health::{Health, HealthStatus};
    use bosun::gitops::inventory::Inventory;
    use bosun::gitops::object::ObjectKey;
    use bosun::gitops::repo::{CommitInfo, DirtyChange, DirtyFile, RepoStatus};

    fn object(kind: &str, name: &str, change: Change, health: Option<Health>) -> ObjectDiff {
        ObjectDiff {
            key: ObjectKey {
                group: if kind == "Deployment" {
                    "apps".into()
                } else {
                    String::new()
                },
                kind: kind.into(),
                namespace: (kind != "Namespace").then(|| "blog".to_string()),
                name: name.into(),
            },
            change,
            health: health.map(|health| HealthStatus {
                health,
                message: String::new(),
            }),
            diff: if change == Change::Drifted {
                "--- live\n+++ desired\n@@ -1 +1 @@\n-  replicas: 2\n+  replicas: 3\n".into()
            } else {
                String::new()
            },
            takeover: Vec::new(),
            error: None,
            keep: None,
            shared: Vec::new(),
            manifest: serde_json::Value::Null,
        }
    }

    fn evaluation(app: &str, objects: Vec<ObjectDiff>, error: Option<&str>) -> Evaluation {
        let sync = if objects.iter().all(|o| o.change == Change::Unchanged) {
            SyncStatus::Synced
        } else {
            SyncStatus::OutOfSync
        };
        let health = bosun::gitops::health::worst(
            objects
                .iter()
                .filter_map(|o| o.health.as_ref().map(|h| &h.health)),
        );
        Evaluation {
            app: app.into(),
            namespace: app.into(),
            command: None,
            diff: error.is_none().then(|| AppDiff {
                app: app.into(),
                objects,
                sync,
                health,
                create_namespaces: Vec::new(),
                hooks: Vec::new(),
                skipped: Vec::new(),
            }),
            inventory: error.is_none().then(|| Inventory {
                app: app.into(),
                revision: "0011939d2c1e5f1b7d1c0a3e9f8b7a6c5d4e3f2a".into(),
                synced_at: "2025-12-31T23:00:00Z".into(),
                result: "Succeeded".into(),
                objects: Vec::new(),
                history: Vec::new(),
                rolled_back: false,
            }),
            error: error.map(str::to_string),
        }
    }

    fn apps_state() -> State {
        let mut state = sample_state();
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/repo");
        let spec = bosun::gitops::spec::load(&root).expect("samples/repo spec");
        let events = vec![
            GitopsEvent::Spec {
                root: "/home/admin/homelab".into(),
                result: Ok(spec),
                tools: "kubectl kustomize (no kustomize), helm".into(),
            },
            GitopsEvent::Repo(Ok(RepoStatus {
                root: "/home/admin/homelab".into(),
                branch: Some("main".into()),
                head: Some(CommitInfo {
                    id: "5d0c2a1e0b9f8e7d6c5b4a39281706f5e4d3c2b1".into(),
                    short: "5d0c2a1".into(),
                    subject: "blog: three replicas for the launch".into(),
                    author: "Demo Admin".into(),
                    time: jiff::Timestamp::from_second(ANCHOR - 600).expect("time"),
                }),
                upstream: Some("origin/main".into()),
                ahead: 0,
                behind: 1,
                dirty: vec![DirtyFile {
                    path: "apps/redis/statefulset.yaml".into(),
                    change: DirtyChange::Modified,
                }],
            })),
        ];
        for event in events {
            update(&mut state, AppEvent::Gitops(event));
        }
        let evaluations = vec![
            evaluation(
                "blog",
                vec![
                    object("Namespace", "blog", Change::Unchanged, None),
                    object("Service", "blog", Change::Unchanged, Some(Health::Healthy)),
                    object(
                        "Deployment",
                        "blog",
                        Change::Drifted,
                        Some(Health::Progressing),
                    ),
                ],
                None,
            ),
            evaluation(
                "mariadb",
                vec![object(
                    "Service",
                    "mariadb",
                    Change::Unchanged,
                    Some(Health::Healthy),
                )],
                None,
            ),
            evaluation(
                "keycloak",
                Vec::new(),
                Some(
                    "render failed: helm template keycloak charts/keycloak failed (exit status: 1):\nError: values.yaml: line 3",
                ),
            ),
        ];
        for evaluation in evaluations {
            update(
                &mut state,
                AppEvent::Gitops(GitopsEvent::Evaluated {
                    seq: 1,
                    evaluation: Box::new(evaluation),
                }),
            );
        }
        state
    }

    #[test]
    fn apps_view_with_repo_panel() {
        let mut state = apps_state();
        update(
            &mut state,
            AppEvent::Key(KeyEvent::new(KeyCode::Char(':'), KeyModifiers::NONE)),
        );
        for c in "apps".chars() {
            key(&mut state, KeyCode::Char(c));
        }
        key(&mut state, KeyCode::Enter);
        assert_eq!(state.view().kind, ViewKind::Apps);
        assert_snapshot!(render(&mut state).backend());
    }

    #[test]
    fn app_tree_and_its_diff() {
        let mut state = apps_state();
        state.nav = vec![bosun::app::view::ViewState::new(ViewKind::Apps)];
        key(&mut state, KeyCode::Enter);
        assert_eq!(state.view().kind, ViewKind::AppObjects);
        assert_snapshot!("app_tree", render(&mut state).backend());
        update(
            &mut state,
            AppEvent::Key(KeyEvent::new(KeyCode::Char('D'), KeyModifiers::SHIFT)),
        );
        assert_snapshot!("app_diff", render(&mut state).backend());
    }
}

/// The plugin-shaped fixture (a canary paused after its analysis step)
/// fed to the stores as the watchers would.
fn with_paused_canary(state: &mut State) {
    use bosun::cluster::rows::argo::{AnalysisRunRow, RolloutReplicaSetRow, RolloutRow};
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/argo-rollouts/canary-paused.yaml");
    let text = std::fs::read_to_string(path).expect("fixture");
    let docs: Vec<serde_json::Value> = serde_yaml::Deserializer::from_str(&text)
        .map(|d| serde_json::Value::deserialize(d).expect("yaml"))
        .filter(|v| !v.is_null())
        .collect();
    use kube::api::DynamicObject;
    feed(
        state,
        WatchMessage::Rows(KindRows::Rollouts(RowUpdate::Replace(rows::<
            DynamicObject,
            _,
        >(
            &docs,
            "Rollout",
            RolloutRow::from_object,
        )))),
    );
    feed(
        state,
        WatchMessage::Rows(KindRows::RolloutReplicaSets(RowUpdate::Replace(rows::<
            k8s_openapi::api::apps::v1::ReplicaSet,
            _,
        >(
            &docs,
            "ReplicaSet",
            RolloutReplicaSetRow::from_replicaset,
        )))),
    );
    feed(
        state,
        WatchMessage::Rows(KindRows::AnalysisRuns(RowUpdate::Replace(rows::<
            DynamicObject,
            _,
        >(
            &docs,
            "AnalysisRun",
            AnalysisRunRow::from_object,
        )))),
    );
    for pod in rows::<k8s_openapi::api::core::v1::Pod, _>(&docs, "Pod", PodRow::from_pod) {
        feed(
            state,
            WatchMessage::Rows(KindRows::Pods(RowUpdate::Upsert(pod))),
        );
    }
}

#[test]
fn rollouts_view_and_the_get_rollout_picture() {
    let mut state = sample_state();
    with_paused_canary(&mut state);
    command(&mut state, "ro");
    let list = render(&mut state);
    let text = format!("{}", list.backend());
    assert!(text.contains("Paused") && text.contains("2/5"), "{text}");
    assert_snapshot!("rollouts", list.backend());
    key(&mut state, KeyCode::Enter);
    let picture = render(&mut state);
    let text = format!("{}", picture.backend());
    assert!(
        text.contains("α canary-demo-65fb5ffc84-4-1") && text.contains("✔ 3"),
        "{text}"
    );
    assert_snapshot!("rollout_picture", picture.backend());
    let mut small = Terminal::new(TestBackend::new(80, 24)).expect("terminal");
    run::draw(&mut small, &mut state, &Theme::builtin_default()).expect("draw");
    assert_snapshot!("rollout_picture_80x24", small.backend());
}

#[test]
fn k3s_helmcharts_and_their_configs() {
    use bosun::cluster::rows::helmchart::HelmChartRow;
    use kube::api::DynamicObject;
    let mut state = sample_state();
    let docs = documents();
    feed(
        &mut state,
        WatchMessage::Rows(KindRows::HelmCharts(
            ResourceKind::HelmCharts,
            RowUpdate::Replace(rows::<DynamicObject, _>(
                &docs,
                "HelmChart",
                HelmChartRow::from_chart,
            )),
        )),
    );
    feed(
        &mut state,
        WatchMessage::Rows(KindRows::HelmCharts(
            ResourceKind::HelmChartConfigs,
            RowUpdate::Replace(rows::<DynamicObject, _>(
                &docs,
                "HelmChartConfig",
                HelmChartRow::from_config,
            )),
        )),
    );
    command(&mut state, "hc");
    let charts = render(&mut state);
    let text = format!("{}", charts.backend());
    assert!(
        text.contains("traefik-34.2.1+up34.2.0.tgz") && text.contains("helm-install-traefik"),
        "{text}"
    );
    assert_snapshot!("helmcharts", charts.backend());
    command(&mut state, "hcc");
    assert_snapshot!("helmchartconfigs", render(&mut state).backend());
}

/// Watchers in two phases: a view switched to before its kinds are listed
/// asks the runtime to start every watcher now; once listed, it does not.
#[test]
fn a_view_whose_kinds_are_not_listed_yet_asks_for_every_watcher() {
    let switch = |state: &mut State| -> Vec<bosun::app::Effect> {
        key(state, KeyCode::Char(':'));
        for c in "deploy".chars() {
            key(state, KeyCode::Char(c));
        }
        update(
            state,
            AppEvent::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)),
        )
    };
    let mut fresh = State::new(
        ContextInfo::default(),
        Keymap::defaults(),
        ViewKind::Resource(ResourceKind::Pods),
        ANCHOR,
    );
    assert_eq!(
        bosun::app::update::first_kinds(&fresh),
        vec![ResourceKind::Pods],
        "the pods view lists pods first and alone"
    );
    let effects = switch(&mut fresh);
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, bosun::app::Effect::WatchAll { epoch: 0 })),
        "{effects:?}"
    );
    let mut listed = sample_state();
    let effects = switch(&mut listed);
    assert!(
        !effects
            .iter()
            .any(|e| matches!(e, bosun::app::Effect::WatchAll { .. })),
        "{effects:?}"
    );
}

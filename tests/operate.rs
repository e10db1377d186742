//! Operating workloads from the keyboard and the CLI against the simulated
//! cluster: restart with progress, a stalled rollout, delete, kill, scale,
//! read-only mode, and the audit log.

mod common;

use std::time::Duration;

use bosun::app::view::ViewKind;
use bosun::cluster::kind::ResourceKind;
use bosun::cluster::rows::RowKey;
use bosun::cluster::watch::WatchStatus;
use common::{Harness, kube_client, sample_cluster};
use crossterm::event::{KeyCode, KeyModifiers};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, Patch, PatchParams};

const WAIT: Duration = Duration::from_secs(15);
const DEPLOYMENTS: ViewKind = ViewKind::Resource(ResourceKind::Deployments);

async fn select(app: &mut Harness, filter: &str) {
    app.key(KeyCode::Char('/')).await;
    app.keys(filter).await;
    app.key(KeyCode::Enter).await;
}

async fn ctrl(app: &mut Harness, character: char) {
    app.handle(bosun::app::AppEvent::Key(crossterm::event::KeyEvent::new(
        KeyCode::Char(character),
        KeyModifiers::CONTROL,
    )))
    .await;
}

fn audit(app: &Harness) -> Vec<serde_json::Value> {
    std::fs::read_to_string(app.audit_dir.path().join("audit.log"))
        .unwrap_or_default()
        .lines()
        .map(|line| serde_json::from_str(line).expect("audit lines are JSON"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_confirms_then_follows_the_rollout_to_the_end() {
    let sim = sample_cluster().await;
    let mut app = Harness::start(&sim, DEPLOYMENTS, 160, 40).await;
    app.wait_for("deployments", WAIT, |state, _| {
        state.status_of(ResourceKind::Deployments) == WatchStatus::Live
    })
    .await;
    select(&mut app, "blog/blog ").await;
    app.key(KeyCode::Char('r')).await;
    let screen = app.screen();
    assert!(
        screen.contains("Rollout restart deployment/blog -n blog?"),
        "{screen}"
    );
    app.key(KeyCode::Char('y')).await;
    app.wait_for("rollout progress", WAIT, |state, _| {
        state.rollouts.iter().any(|panel| panel.progress.is_some())
    })
    .await;
    app.wait_for("rollout done", WAIT, |_, screen| {
        screen.contains("✓ restart deployment/blog -n blog")
    })
    .await;
    let screen = app.screen();
    assert!(screen.contains("rollouts"), "{screen}");
    assert!(
        screen.contains("rolled out: 2 of 2 updated and available"),
        "{screen}"
    );
    // The annotation kubectl sets is on the template; every pod is new.
    let deployments: Api<Deployment> = Api::namespaced(kube_client(&sim).await, "blog");
    let blog = deployments.get("blog").await.expect("blog");
    let annotations = blog
        .spec
        .and_then(|spec| spec.template.metadata)
        .and_then(|meta| meta.annotations)
        .unwrap_or_default();
    assert!(annotations.contains_key("kubectl.kubernetes.io/restartedAt"));
    let entries = audit(&app);
    assert_eq!(entries.len(), 2, "{entries:?}");
    assert_eq!(entries[0]["action"], "restart deployment/blog -n blog");
    assert_eq!(
        entries[1]["action"],
        "rollout of restart deployment/blog -n blog"
    );
    assert!(
        entries[1]["result"]
            .as_str()
            .unwrap_or_default()
            .starts_with("ok")
    );
    // Cancelling asks nothing of the cluster.
    app.key(KeyCode::Char('r')).await;
    app.key(KeyCode::Char('n')).await;
    assert!(app.state.confirm.is_none());
    assert_eq!(audit(&app).len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_rollout_is_reported_failed() {
    let sim = sample_cluster().await;
    sim.stall_rollouts("blog", "blog", true);
    let mut app = Harness::start(&sim, DEPLOYMENTS, 160, 40).await;
    app.wait_for("deployments", WAIT, |state, _| {
        state.status_of(ResourceKind::Deployments) == WatchStatus::Live
    })
    .await;
    select(&mut app, "blog/blog ").await;
    app.key(KeyCode::Char('r')).await;
    app.key(KeyCode::Enter).await;
    app.wait_for("rollout under way", WAIT, |state, _| {
        state.rollouts.iter().any(|panel| {
            panel
                .progress
                .as_ref()
                .is_some_and(|p| p.summary().contains("updated"))
        })
    })
    .await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    app.drain().await;
    assert!(
        app.state
            .rollouts
            .iter()
            .all(|panel| panel.finished.is_none()),
        "a stalled rollout finished"
    );
    sim.exceed_deadline("blog", "blog").expect("deadline");
    app.wait_for("failure", WAIT, |_, screen| {
        screen.contains("✗ restart deployment/blog -n blog")
    })
    .await;
    let screen = app.screen();
    assert!(
        screen.contains("failed: progress deadline exceeded"),
        "{screen}"
    );
    let entries = audit(&app);
    assert!(
        entries[1]["result"]
            .as_str()
            .unwrap_or_default()
            .starts_with("error: failed"),
        "{entries:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_deployment_is_refused_with_kubectls_reason() {
    let sim = sample_cluster().await;
    let deployments: Api<Deployment> = Api::namespaced(kube_client(&sim).await, "minio");
    deployments
        .patch(
            "minio",
            &PatchParams::default(),
            &Patch::Merge(serde_json::json!({"spec": {"paused": true}})),
        )
        .await
        .expect("pause");
    let mut app = Harness::start(&sim, DEPLOYMENTS, 160, 40).await;
    app.wait_for("deployments", WAIT, |state, _| {
        state.status_of(ResourceKind::Deployments) == WatchStatus::Live
    })
    .await;
    select(&mut app, "minio/minio").await;
    app.key(KeyCode::Char('r')).await;
    app.key(KeyCode::Char('y')).await;
    app.wait_for("refusal", WAIT, |_, screen| {
        screen.contains("can't restart paused deployment (run rollout resume first)")
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_kill_and_scale() {
    let sim = sample_cluster().await;
    let mut app = Harness::start(&sim, ViewKind::Resource(ResourceKind::Pods), 160, 40).await;
    app.wait_for("pods", WAIT, |state, _| {
        state.status_of(ResourceKind::Pods) == WatchStatus::Live
    })
    .await;

    select(&mut app, "netshoot").await;
    ctrl(&mut app, 'd').await;
    assert!(app.screen().contains("Delete pod/netshoot -n default?"));
    app.key(KeyCode::Char('y')).await;
    app.wait_for("netshoot gone", WAIT, |state, _| {
        state
            .stores
            .pods
            .get(&RowKey::new("default", "netshoot"))
            .is_none()
    })
    .await;
    app.key(KeyCode::Esc).await;

    let victim = app
        .state
        .stores
        .pods
        .rows()
        .iter()
        .find(|pod| pod.namespace.as_ref() == "redis" && pod.name.starts_with("redis-exporter"))
        .map(|pod| pod.name.to_string())
        .expect("redis-exporter pod");
    select(&mut app, &victim).await;
    ctrl(&mut app, 'k').await;
    assert!(app.screen().contains("(grace period 0)?"));
    app.key(KeyCode::Char('y')).await;
    app.wait_for("killed pod gone", WAIT, |state, _| {
        state
            .stores
            .pods
            .get(&RowKey::new("redis", &victim))
            .is_none()
    })
    .await;
    // Kill is for pods only.
    app.key(KeyCode::Char(':')).await;
    app.keys("deploy").await;
    app.key(KeyCode::Enter).await;
    select(&mut app, "minio/minio").await;
    ctrl(&mut app, 'k').await;
    assert!(app.state.confirm.is_none());

    app.key(KeyCode::Char('s')).await;
    app.key(KeyCode::Backspace).await;
    app.keys("x").await;
    app.key(KeyCode::Enter).await;
    assert!(app.screen().contains("is not a replica count"));
    app.key(KeyCode::Backspace).await;
    app.keys("3").await;
    app.key(KeyCode::Enter).await;
    // Scale is confirmed like every other mutation: nothing sent before y.
    let question = app.question();
    assert!(
        question.starts_with("Scale deployment/minio -n minio from ")
            && question.contains(" to 3?"),
        "{question}"
    );
    let before = app
        .state
        .stores
        .deployments
        .get(&RowKey::new("minio", "minio"))
        .map(|row| row.desired);
    assert_ne!(before, Some(3));
    app.key(KeyCode::Char('y')).await;
    app.wait_for("minio at 3", WAIT, |state, _| {
        state
            .stores
            .deployments
            .get(&RowKey::new("minio", "minio"))
            .is_some_and(|row| row.desired == 3)
    })
    .await;
    let actions: Vec<String> = audit(&app)
        .iter()
        .map(|entry| entry["action"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(
        actions,
        vec![
            "delete pod/netshoot -n default".to_string(),
            format!("kill pod/{victim} -n redis"),
            "scale deployment/minio -n minio --replicas=3".to_string(),
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readonly_refuses_every_mutation() {
    let sim = sample_cluster().await;
    let mut app = Harness::start(&sim, DEPLOYMENTS, 160, 40).await;
    app.state.readonly = true;
    app.wait_for("deployments", WAIT, |state, _| {
        state.status_of(ResourceKind::Deployments) == WatchStatus::Live
    })
    .await;
    select(&mut app, "minio/minio").await;
    for key in ['r', 's', 'e'] {
        app.key(KeyCode::Char(key)).await;
        let screen = app.screen();
        assert!(screen.contains("read-only mode"), "{screen}");
        assert!(
            app.state.confirm.is_none()
                && app.state.editor.is_none()
                && app.state.input == bosun::app::state::Input::None
        );
    }
    for key in ['d', 'k'] {
        ctrl(&mut app, key).await;
        assert!(app.screen().contains("read-only mode"));
        assert!(app.state.confirm.is_none());
    }
    // The badge stays on screen whatever the flash says.
    assert!(app.screen().contains("READ-ONLY"));
    assert!(audit(&app).is_empty());
    let pods: Api<Pod> = Api::namespaced(kube_client(&sim).await, "minio");
    assert!(
        !pods
            .list(&Default::default())
            .await
            .expect("list")
            .items
            .is_empty()
    );
}

fn bosun_cli(
    sim: &bosun::sim::SimCluster,
    state: &std::path::Path,
    args: &[&str],
) -> std::process::Output {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_bosun"));
    command
        .env("BOSUN_STATE_DIR", state)
        .env("BOSUN_CONFIG_DIR", state)
        .arg("--kubeconfig")
        .arg(sim.kubeconfig_path())
        .args(args);
    command.output().expect("bosun runs")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_subcommand_waits_and_reports_by_exit_code() {
    let sim = sample_cluster().await;
    let state = tempfile::tempdir().expect("tempdir");
    let path = state.path().to_path_buf();
    let run = |args: Vec<&'static str>| {
        let path = path.clone();
        let sim = &sim;
        let output =
            std::thread::scope(|scope| scope.spawn(|| bosun_cli(sim, &path, &args)).join());
        output.expect("thread")
    };
    let done = tokio::task::block_in_place(|| {
        run(vec![
            "restart",
            "deploy/blog",
            "-n",
            "blog",
            "--wait",
            "--timeout",
            "30s",
        ])
    });
    let stdout = String::from_utf8_lossy(&done.stdout);
    assert_eq!(
        done.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&done.stderr)
    );
    assert!(stdout.contains("deployment/blog restarted"), "{stdout}");
    assert!(stdout.contains("successfully rolled out"), "{stdout}");

    sim.stall_rollouts("blog", "blog", true);
    let stalled = tokio::task::block_in_place(|| {
        run(vec![
            "restart",
            "deploy/blog",
            "-n",
            "blog",
            "--wait",
            "--timeout",
            "2s",
        ])
    });
    assert_eq!(stalled.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&stalled.stderr).contains("timed out"),
        "{}",
        String::from_utf8_lossy(&stalled.stderr)
    );

    let refused = tokio::task::block_in_place(|| {
        run(vec!["--readonly", "restart", "deploy/blog", "-n", "blog"])
    });
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("read-only mode"));

    let bad = tokio::task::block_in_place(|| run(vec!["restart", "pod/x"]));
    assert_eq!(bad.status.code(), Some(2));

    // A read-only setting that does not parse keeps read-only ON.
    std::fs::write(state.path().join("config.toml"), "readonly = \"yes\"\n").expect("config");
    let fail_closed =
        tokio::task::block_in_place(|| run(vec!["restart", "deploy/blog", "-n", "blog"]));
    let said = String::from_utf8_lossy(&fail_closed.stderr);
    assert_eq!(fail_closed.status.code(), Some(2), "{said}");
    assert!(said.contains("read-only mode"), "{said}");
    assert!(said.contains("read-only stays ON"), "{said}");
    std::fs::remove_file(state.path().join("config.toml")).expect("rm");

    let audit = std::fs::read_to_string(state.path().join("audit.log")).expect("audit log");
    assert_eq!(audit.lines().count(), 4, "{audit}");
    assert!(audit.contains("\"source\":\"cli\""));
    assert!(!audit.contains("\"who\":\"unknown"), "{audit}");
}

fn replace_in_editor(app: &mut Harness, from: &str, to: &str) {
    let editor = app.state.editor.as_mut().expect("the editor is open");
    let text = editor.text().replacen(from, to, 1);
    assert_ne!(text, editor.text(), "\"{from}\" is not in the editor");
    editor.textarea = ratatui_textarea::TextArea::new(text.lines().map(str::to_string).collect());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edit_applies_and_keeps_the_text_on_conflict_or_bad_yaml() {
    let sim = sample_cluster().await;
    let mut app = Harness::start(&sim, DEPLOYMENTS, 160, 40).await;
    app.wait_for("deployments", WAIT, |state, _| {
        state.status_of(ResourceKind::Deployments) == WatchStatus::Live
    })
    .await;
    select(&mut app, "minio/minio").await;
    app.key(KeyCode::Char('e')).await;
    app.wait_for("the editor", WAIT, |_, screen| {
        screen.contains("edit deployment/minio -n minio") && screen.contains("kind: Deployment")
    })
    .await;
    // Keys reach the text.
    app.keys("#").await;
    assert!(
        app.state
            .editor
            .as_ref()
            .is_some_and(|editor| editor.modified())
    );

    // Bad YAML: refused inline, text kept.
    replace_in_editor(&mut app, "kind: Deployment", "kind: Deployment\n  : : [");
    ctrl(&mut app, 's').await;
    app.wait_for("yaml error", WAIT, |_, screen| {
        screen.contains("not applied: YAML error")
    })
    .await;
    assert!(
        app.state
            .editor
            .as_ref()
            .is_some_and(|editor| editor.text().contains(": : ["))
    );
    replace_in_editor(&mut app, "\n  : : [", "");

    // Someone else changes the object: the update conflicts, text kept.
    replace_in_editor(&mut app, "replicas: 1", "replicas: 2");
    let deployments: Api<Deployment> = Api::namespaced(kube_client(&sim).await, "minio");
    deployments
        .patch(
            "minio",
            &PatchParams::default(),
            &Patch::Merge(serde_json::json!({"metadata": {"labels": {"touched": "yes"}}})),
        )
        .await
        .expect("concurrent change");
    ctrl(&mut app, 's').await;
    app.wait_for("conflict", WAIT, |_, screen| {
        screen.contains("conflict: the object changed")
    })
    .await;
    assert!(
        app.state
            .editor
            .as_ref()
            .is_some_and(|editor| editor.text().contains("replicas: 2"))
    );

    // Esc with changes asks once more; then reopen on the live object and apply.
    app.key(KeyCode::Esc).await;
    assert!(app.state.editor.is_some());
    app.key(KeyCode::Esc).await;
    assert!(app.state.editor.is_none());
    app.key(KeyCode::Char('e')).await;
    app.wait_for("the editor again", WAIT, |_, screen| {
        screen.contains("touched: yes")
    })
    .await;
    replace_in_editor(&mut app, "replicas: 1", "replicas: 2");
    ctrl(&mut app, 's').await;
    app.wait_for("applied", WAIT, |state, _| state.editor.is_none())
        .await;
    assert!(app.screen().contains("deployment/minio edited"));
    let minio = deployments.get("minio").await.expect("minio");
    assert_eq!(minio.spec.and_then(|spec| spec.replicas), Some(2));
    let actions: Vec<String> = audit(&app)
        .iter()
        .map(|entry| entry["result"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(actions.len(), 3, "{actions:?}");
    assert!(actions[0].starts_with("error: not applied"));
    assert!(actions[1].starts_with("error: conflict"));
    assert!(actions[2].starts_with("ok"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_audit_write_is_shown() {
    let sim = sample_cluster().await;
    let mut app = Harness::start(&sim, ViewKind::Resource(ResourceKind::Pods), 160, 40).await;
    app.wait_for("pods", WAIT, |state, _| {
        state
            .stores
            .pods
            .get(&RowKey::new("default", "netshoot"))
            .is_some()
    })
    .await;
    // The audit log's place is taken by a directory: writes fail.
    std::fs::create_dir_all(app.audit_dir.path().join("audit.log")).expect("dir");
    select(&mut app, "netshoot").await;
    ctrl(&mut app, 'd').await;
    app.key(KeyCode::Char('y')).await;
    app.wait_for("the audit failure on screen", WAIT, |_, screen| {
        screen.contains("audit log not written")
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rollout_is_followed_across_an_api_server_restart() {
    let sim = sample_cluster().await;
    let mut app = Harness::start(&sim, DEPLOYMENTS, 160, 40).await;
    app.wait_for("deployments", WAIT, |state, _| {
        state.status_of(ResourceKind::Deployments) == WatchStatus::Live
    })
    .await;
    // Held until the outage: the rollout cannot finish before it.
    sim.stall_rollouts("blog", "blog", true);
    select(&mut app, "blog/blog ").await;
    app.key(KeyCode::Char('r')).await;
    app.key(KeyCode::Char('y')).await;
    app.wait_for("rollout progress", WAIT, |state, _| {
        state.rollouts.iter().any(|panel| panel.progress.is_some())
    })
    .await;
    // k3s restarts: every connection drops for a few seconds, and the
    // rollout finishes meanwhile.
    sim.go_away().await;
    sim.stall_rollouts("blog", "blog", false);
    app.wait_for("the panel says reconnecting", WAIT, |state, screen| {
        state
            .rollouts
            .iter()
            .any(|panel| panel.reconnecting.is_some())
            && screen.contains("reconnecting…")
    })
    .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(
        app.state
            .rollouts
            .iter()
            .all(|panel| panel.finished.is_none()),
        "gave up during the outage"
    );
    sim.come_back().await;
    app.wait_for(
        "rollout done after the outage",
        Duration::from_secs(90),
        |_, screen| screen.contains("✓ restart deployment/blog -n blog"),
    )
    .await;
    let entries = audit(&app);
    let rollout = entries
        .iter()
        .find(|e| e["action"] == "rollout of restart deployment/blog -n blog")
        .expect("the rollout is audited");
    assert!(
        rollout["result"]
            .as_str()
            .unwrap_or_default()
            .starts_with("ok"),
        "{rollout}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_wait_keeps_following_through_an_outage() {
    let sim = sample_cluster().await;
    let state = tempfile::tempdir().expect("tempdir");
    sim.stall_rollouts("blog", "blog", true);
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_bosun"))
        .env("BOSUN_STATE_DIR", state.path())
        .env("BOSUN_CONFIG_DIR", state.path())
        .arg("--kubeconfig")
        .arg(sim.kubeconfig_path())
        .args([
            "restart",
            "deploy/blog",
            "-n",
            "blog",
            "--wait",
            "--timeout",
            "90s",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("bosun starts");
    // Restarted (the annotation is there), then the API goes away.
    let deployments: Api<Deployment> = Api::namespaced(kube_client(&sim).await, "blog");
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let restarted = deployments
            .get("blog")
            .await
            .ok()
            .and_then(|d| d.spec?.template.metadata?.annotations)
            .is_some_and(|a| a.contains_key("kubectl.kubernetes.io/restartedAt"));
        if restarted {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "never restarted");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    sim.go_away().await;
    sim.stall_rollouts("blog", "blog", false);
    tokio::time::sleep(Duration::from_secs(8)).await;
    assert!(
        child.try_wait().expect("wait").is_none(),
        "bosun restart gave up during the outage"
    );
    sim.come_back().await;
    let output = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .expect("join")
        .expect("output");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("reconnecting to the API server"),
        "{stdout}"
    );
    assert!(stdout.contains("successfully rolled out"), "{stdout}");
    let audit = std::fs::read_to_string(state.path().join("audit.log")).expect("audit");
    let last = audit.lines().last().unwrap_or_default();
    assert!(last.contains("\"result\":\"ok: rolled out"), "{audit}");
}

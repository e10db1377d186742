//! Builds end to end against the simulated cluster: `b` in the builds view
//! (confirm, Job created, log tailed, `then` rollout restarted and
//! followed), a failed build restarting nothing, cancel, a missing secret
//! named before anything is created, a Workflow from a template, and
//! `bosun build` with its exit codes.

mod common;

use std::process::Output;
use std::time::Duration;

use assert_cmd::Command;
use bosun::app::view::ViewKind;
use bosun::builds::launch::{ContextMode, LaunchConfig};
use bosun::builds::status::BuildPhase;
use bosun::demo_repo::{self, DemoRepo};
use bosun::sim::{JobOutcome, SimCluster, SimOptions};
use common::Harness;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use k8s_openapi::api::batch::v1::Job;
use kube::api::{Api, ListParams};

const WAIT: Duration = Duration::from_secs(60);

fn hostpath() -> LaunchConfig {
    LaunchConfig {
        mode: ContextMode::HostPath,
        node: Some("k3s-server".into()),
        ..LaunchConfig::default()
    }
}

async fn cluster(argo: bool) -> SimCluster {
    SimCluster::start(SimOptions {
        seed_dir: Some(common::samples_dir()),
        rollout_step: Duration::from_millis(100),
        log_interval: Duration::from_millis(100),
        argo_workflows: argo,
        ..SimOptions::default()
    })
    .await
    .expect("sim")
}

/// The sample cluster with the demo repo deployed, what builds need set up
/// (unless `setup` is false), and the app on the builds view.
async fn ready(sim: &SimCluster, setup: bool) -> (Harness, DemoRepo, tempfile::TempDir) {
    if setup {
        demo_repo::prepare_builds(sim).expect("build setup");
    }
    let (repo, dir) = common::deployed_repo(sim).await;
    let mut app = Harness::start(sim, ViewKind::Builds, 160, 40).await;
    app.runtime.set_build_config(hostpath());
    app.start_gitops(&repo.root);
    app.wait_for("the blog build listed", WAIT, |state, _| {
        state.builds.entries.iter().any(|e| e.build == "blog")
    })
    .await;
    (app, repo, dir)
}

async fn build_jobs(sim: &SimCluster) -> Vec<Job> {
    let client = common::kube_client(sim).await;
    let jobs: Api<Job> = Api::namespaced(client, "bosun-builds");
    jobs.list(&ListParams::default().labels("bosun.dev/build=blog"))
        .await
        .map(|l| l.items)
        .unwrap_or_default()
}

async fn press_b_and_confirm(app: &mut Harness) {
    let position = app
        .state
        .builds
        .entries
        .iter()
        .position(|e| e.build == "blog")
        .expect("blog row");
    for _ in 0..position {
        app.key(KeyCode::Char('j')).await;
    }
    app.key(KeyCode::Char('b')).await;
    let question = app
        .state
        .confirm
        .as_ref()
        .map(|c| c.question.clone())
        .expect("b asks first");
    assert!(question.contains("Build blog"), "{question}");
    assert!(
        question.contains("harbor.home.lab/blog/blog:"),
        "{question}"
    );
    app.key(KeyCode::Char('y')).await;
}

fn run_phase(state: &bosun::app::state::State) -> Option<BuildPhase> {
    state
        .builds
        .runs
        .iter()
        .find(|r| r.build == "blog")
        .map(|r| r.phase)
}

#[tokio::test]
async fn b_builds_then_restarts_and_follows_the_rollout() {
    if !common::kubectl_present() {
        return;
    }
    let sim = cluster(false).await;
    let (mut app, repo, _dir) = ready(&sim, true).await;
    press_b_and_confirm(&mut app).await;
    app.wait_for("the build succeeded", WAIT, |state, _| {
        run_phase(state) == Some(BuildPhase::Succeeded)
    })
    .await;
    // The Job carries what ties it to the build, the commit and the app.
    let jobs = build_jobs(&sim).await;
    assert_eq!(jobs.len(), 1);
    let labels = jobs[0].metadata.labels.clone().unwrap_or_default();
    let head = bosun::gitops::workspace::revision(&repo.root);
    assert_eq!(
        labels.get("bosun.dev/commit").map(String::as_str),
        Some(&head[..7])
    );
    assert_eq!(
        labels.get("bosun.dev/app").map(String::as_str),
        Some("blog-dev")
    );
    // then: deployment/blog -n blog-dev restarted and followed to the end.
    app.wait_for("the then rollout completed", WAIT, |state, _| {
        state.rollouts.iter().any(|panel| {
            panel.title.contains("blog")
                && panel
                    .finished
                    .as_ref()
                    .is_some_and(|(result, _)| result.is_ok())
        })
    })
    .await;
    let audit = std::fs::read_to_string(app.audit_dir.path().join("audit.log")).expect("audit");
    assert!(audit.contains("build blog"), "{audit}");
    assert!(audit.contains("restart deployment"), "{audit}");

    // l on the run: its log in the logs view.
    app.state.detail = None;
    let position = app
        .state
        .builds
        .entries
        .iter()
        .position(|e| e.run.is_some())
        .expect("run row");
    app.key(KeyCode::Char('g')).await;
    for _ in 0..position {
        app.key(KeyCode::Char('j')).await;
    }
    app.key(KeyCode::Char('l')).await;
    app.wait_for("the kaniko log", WAIT, |_, screen| {
        screen.contains("Pushed")
    })
    .await;
}

#[tokio::test]
async fn a_failed_build_restarts_nothing_and_says_why() {
    if !common::kubectl_present() {
        return;
    }
    let sim = cluster(false).await;
    sim.set_job_outcome("build-blog", JobOutcome::Fail);
    let (mut app, _repo, _dir) = ready(&sim, true).await;
    press_b_and_confirm(&mut app).await;
    app.wait_for("the build failed", WAIT, |state, _| {
        run_phase(state) == Some(BuildPhase::Failed)
    })
    .await;
    app.wait_for("the failure flashed", WAIT, |state, _| {
        state
            .flash
            .as_ref()
            .is_some_and(|f| f.text.contains("nothing restarted"))
    })
    .await;
    assert!(
        app.state.rollouts.is_empty(),
        "a failed build restarted something"
    );
}

#[tokio::test]
async fn a_missing_registry_secret_is_named_and_nothing_is_created() {
    if !common::kubectl_present() {
        return;
    }
    let sim = cluster(false).await;
    let (mut app, _repo, _dir) = ready(&sim, false).await;
    press_b_and_confirm(&mut app).await;
    app.wait_for("the preflight error", WAIT, |state, _| {
        state
            .flash
            .as_ref()
            .is_some_and(|f| f.text.contains("bosun-builds"))
    })
    .await;
    let text = app
        .state
        .flash
        .as_ref()
        .map(|f| f.text.clone())
        .unwrap_or_default();
    assert!(text.contains("kubectl apply -k"), "{text}");
    assert!(
        build_jobs(&sim).await.is_empty(),
        "a Job was created anyway"
    );
}

#[tokio::test]
async fn ctrl_d_cancels_a_running_build() {
    if !common::kubectl_present() {
        return;
    }
    let sim = cluster(false).await;
    sim.hold_jobs("build-blog", true);
    let (mut app, _repo, _dir) = ready(&sim, true).await;
    press_b_and_confirm(&mut app).await;
    app.wait_for("running", WAIT, |state, _| {
        run_phase(state) == Some(BuildPhase::Running)
    })
    .await;
    app.key(KeyCode::Char('g')).await;
    app.handle(bosun::app::AppEvent::Key(KeyEvent::new(
        KeyCode::Char('d'),
        KeyModifiers::CONTROL,
    )))
    .await;
    let question = app
        .state
        .confirm
        .as_ref()
        .map(|c| c.question.clone())
        .expect("cancel asks first");
    assert!(question.starts_with("Cancel Job"), "{question}");
    app.key(KeyCode::Char('y')).await;
    app.wait_for("the run gone", WAIT, |state, _| run_phase(state).is_none())
        .await;
    assert!(build_jobs(&sim).await.is_empty());
}

#[tokio::test]
async fn a_workflow_is_submitted_from_its_template() {
    if !common::kubectl_present() {
        return;
    }
    let sim = cluster(true).await;
    demo_repo::prepare_builds(&sim).expect("setup");
    sim.apply_object(serde_json::json!({
        "apiVersion": "argoproj.io/v1alpha1", "kind": "WorkflowTemplate",
        "metadata": {"name": "kaniko-build", "namespace": "bosun-builds"},
        "spec": {"entrypoint": "build", "templates": [{"name": "build", "container": {"image": "cgr.dev/chainguard/kaniko:latest"}}]}
    }))
    .expect("template");
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = demo_repo::create(dir.path()).expect("repo");
    let spec_path = repo.root.join("bosun.yaml");
    let text = std::fs::read_to_string(&spec_path).expect("bosun.yaml");
    let text = text.replacen(
        "    registrySecret: harbor-push\n",
        "    registrySecret: harbor-push\n    workflowTemplate: kaniko-build\n",
        1,
    );
    assert!(
        text.contains("workflowTemplate"),
        "the sample build entry changed"
    );
    std::fs::write(&spec_path, text).expect("write");
    let mut app = Harness::start(&sim, ViewKind::Builds, 160, 40).await;
    app.runtime.set_build_config(hostpath());
    app.start_gitops(&repo.root);
    app.wait_for("the blog build listed", WAIT, |state, _| {
        state.builds.entries.iter().any(|e| e.build == "blog")
    })
    .await;
    press_b_and_confirm(&mut app).await;
    app.wait_for("the workflow succeeded", WAIT, |state, _| {
        state.builds.runs.iter().any(|r| {
            r.build == "blog"
                && r.kind == bosun::builds::status::RunKind::Workflow
                && r.phase == BuildPhase::Succeeded
        })
    })
    .await;
}

async fn bosun_build(
    sim: &SimCluster,
    repo: &DemoRepo,
    state: &std::path::Path,
    args: &[&str],
) -> Output {
    let kubeconfig = sim.kubeconfig_path().to_path_buf();
    let root = repo.root.clone();
    let state = state.to_path_buf();
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        std::fs::write(
            state.join("config.toml"),
            "build_context = \"hostpath\"\nbuild_node = \"k3s-server\"\n",
        )
        .expect("config");
        Command::cargo_bin("bosun")
            .expect("binary")
            .env("BOSUN_CONFIG_DIR", &state)
            .env("BOSUN_STATE_DIR", &state)
            .arg("--kubeconfig")
            .arg(&kubeconfig)
            .arg("--repo")
            .arg(&root)
            .arg("build")
            .args(&args)
            .output()
            .expect("runs")
    })
    .await
    .expect("joined")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bosun_build_exit_codes() {
    if !common::kubectl_present() {
        return;
    }
    let sim = cluster(false).await;
    let (repo, _dir) = common::deployed_repo(&sim).await;
    let state = tempfile::tempdir().expect("state");

    let missing = bosun_build(&sim, &repo, state.path(), &["blog"]).await;
    assert_eq!(missing.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert!(stderr.contains("bosun-builds"), "{stderr}");

    let unknown = bosun_build(&sim, &repo, state.path(), &["nope"]).await;
    assert_eq!(unknown.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no build \"nope\""));

    demo_repo::prepare_builds(&sim).expect("setup");
    let good = bosun_build(
        &sim,
        &repo,
        state.path(),
        &["blog", "--wait", "--timeout", "2m"],
    )
    .await;
    let stdout = String::from_utf8_lossy(&good.stdout);
    assert_eq!(
        good.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&good.stderr)
    );
    assert!(stdout.contains("build blog succeeded"), "{stdout}");
    assert!(stdout.contains("restart deployment"), "{stdout}");

    sim.set_job_outcome("build-blog", JobOutcome::Fail);
    let bad = bosun_build(
        &sim,
        &repo,
        state.path(),
        &["blog", "--wait", "--timeout", "2m"],
    )
    .await;
    assert_eq!(
        bad.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&bad.stdout)
    );
    assert!(String::from_utf8_lossy(&bad.stderr).contains("nothing restarted"));
}

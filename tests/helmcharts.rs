//! k3s HelmCharts and HelmChartConfigs (helm.cattle.io/v1): listed with
//! their helm-install Job's state; `e` on a HelmChartConfig edits its
//! valuesContent — checked as YAML, refused on a conflict — and the
//! simulated helm-controller reinstalls the chart with a new Job.

mod common;

use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use kube::Api;
use kube::api::{DynamicObject, Patch, PatchParams};
use serde_json::json;

use bosun::app::AppEvent;
use bosun::app::view::ViewKind;
use bosun::cluster::kind::ResourceKind;

const WAIT: Duration = Duration::from_secs(20);

fn configs(client: kube::Client) -> Api<DynamicObject> {
    Api::namespaced_with(
        client,
        "kube-system",
        &bosun::cluster::watch::helmchart_resource(ResourceKind::HelmChartConfigs),
    )
}

async fn job_hash(client: &kube::Client) -> String {
    let jobs: Api<k8s_openapi::api::batch::v1::Job> =
        Api::namespaced(client.clone(), "kube-system");
    jobs.get("helm-install-traefik")
        .await
        .ok()
        .and_then(|j| {
            j.metadata
                .annotations?
                .get("helmcharts.helm.cattle.io/configHash")
                .cloned()
        })
        .unwrap_or_default()
}

async fn save(app: &mut common::Harness) {
    app.handle(AppEvent::Key(KeyEvent::new(
        KeyCode::Char('s'),
        KeyModifiers::CONTROL,
    )))
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn helmcharts_list_their_jobs_and_a_config_edit_reinstalls() {
    let sim = common::sample_cluster().await;
    let client = common::kube_client(&sim).await;
    let mut app =
        common::Harness::start(&sim, ViewKind::Resource(ResourceKind::HelmCharts), 200, 40).await;
    app.wait_for("traefik with its job", WAIT, |_, screen| {
        screen.lines().any(|l| {
            l.contains("traefik-34.2.1+up34.2.0.tgz") && l.contains("Complete") && l.contains("yes")
        })
    })
    .await;
    let screen = app.screen();
    let traefik = screen
        .lines()
        .find(|l| l.contains(" traefik ") && l.contains("helm-install-traefik "))
        .unwrap_or_default()
        .to_string();
    assert!(
        traefik.contains("kube-system") && traefik.contains("Complete") && traefik.contains("yes"),
        "target namespace, job state, configured: {traefik}"
    );
    let before = job_hash(&client).await;
    assert!(!before.is_empty());

    app.keys(":hcc").await;
    app.key(KeyCode::Enter).await;
    app.wait_for("the config", WAIT, |_, screen| screen.contains("traefik"))
        .await;
    app.key(KeyCode::Char('e')).await;
    app.wait_for("its values in the editor", WAIT, |state, _| {
        state
            .editor
            .as_ref()
            .is_some_and(|e| !e.loading && e.text().contains("websecure"))
    })
    .await;
    let original = app
        .state
        .editor
        .as_ref()
        .map(|e| e.text())
        .unwrap_or_default();
    assert!(
        original.starts_with("ports:"),
        "only valuesContent: {original}"
    );

    // Not YAML: refused, the text kept, nothing sent.
    let patches = sim.client_patches().len();
    app.keys("\t: [").await;
    save(&mut app).await;
    app.wait_for("the YAML error", WAIT, |state, _| {
        state
            .editor
            .as_ref()
            .and_then(|e| e.error.clone())
            .is_some_and(|e| e.contains("valuesContent is not YAML"))
    })
    .await;
    assert_eq!(sim.client_patches().len(), patches);

    // A valid edit: saved, and the chart reinstalled by a new Job.
    if let Some(editor) = app.state.editor.as_mut() {
        editor.textarea = ratatui_textarea::TextArea::from(
            format!("{original}\nglobalArguments:\n  - \"--api.insecure=false\"").lines(),
        );
    }
    save(&mut app).await;
    app.wait_for("saved", WAIT, |state, _| state.editor.is_none())
        .await;
    let live = configs(client.clone())
        .get("traefik")
        .await
        .expect("config");
    let values = live
        .data
        .pointer("/spec/valuesContent")
        .and_then(|v| v.as_str())
        .unwrap_or_default();
    assert!(
        values.ends_with("- \"--api.insecure=false\"") && values.starts_with("ports:"),
        "{values}"
    );
    let deadline = tokio::time::Instant::now() + WAIT;
    while job_hash(&client).await == before {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the chart was never reinstalled"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let audit = std::fs::read_to_string(app.audit_dir.path().join("audit.log")).unwrap_or_default();
    assert!(
        audit.contains("edit helmchartconfig/traefik -n kube-system"),
        "{audit}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_values_edit_that_raced_another_is_a_conflict() {
    let sim = common::sample_cluster().await;
    let client = common::kube_client(&sim).await;
    let mut app = common::Harness::start(
        &sim,
        ViewKind::Resource(ResourceKind::HelmChartConfigs),
        200,
        40,
    )
    .await;
    app.wait_for("the config", WAIT, |_, screen| screen.contains("traefik"))
        .await;
    app.key(KeyCode::Char('e')).await;
    app.wait_for("loaded", WAIT, |state, _| {
        state.editor.as_ref().is_some_and(|e| !e.loading)
    })
    .await;
    // Someone else changes the values meanwhile.
    configs(client.clone())
        .patch(
            "traefik",
            &PatchParams::default(),
            &Patch::Merge(&json!({"spec": {"valuesContent": "ports: {}\n"}})),
        )
        .await
        .expect("their edit");
    if let Some(editor) = app.state.editor.as_mut() {
        editor.textarea = ratatui_textarea::TextArea::from(["mine: true"]);
    }
    save(&mut app).await;
    app.wait_for("the conflict", WAIT, |state, _| {
        state
            .editor
            .as_ref()
            .and_then(|e| e.error.clone())
            .is_some_and(|e| e.contains("conflict") && e.contains("valuesContent changed"))
    })
    .await;
    let live = configs(client).get("traefik").await.expect("config");
    assert_eq!(
        live.data
            .pointer("/spec/valuesContent")
            .and_then(|v| v.as_str()),
        Some("ports: {}\n"),
        "theirs kept"
    );
}

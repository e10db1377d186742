//! HorizontalPodAutoscalers: the simulated HPA controller moves replicas
//! with (simulated) CPU and writes the real controller's status,
//! conditions and events; `:hpa` prints them as `kubectl get hpa`;
//! `enter` shows the conditions and the scaling events; a workload an HPA
//! scales shows its range, and `s` on it warns that the HPA will undo it.

mod common;

use std::time::Duration;

use crossterm::event::KeyCode;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use kube::Api;
use kube::api::PostParams;
use serde_json::json;

use bosun::app::view::ViewKind;
use bosun::cluster::kind::ResourceKind;
use bosun::sim::{SimCluster, SimOptions};

const WAIT: Duration = Duration::from_secs(20);

fn deployment(name: &str, cpu_request: Option<&str>) -> Deployment {
    let mut container = json!({"name": name, "image": "nginx:1.27"});
    if let Some(cpu) = cpu_request {
        container["resources"] = json!({"requests": {"cpu": cpu}});
    }
    serde_json::from_value(json!({
        "metadata": {"name": name},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": [container]}}
        }
    }))
    .expect("deployment")
}

fn hpa(name: &str, target_percent: i32, max: i32) -> HorizontalPodAutoscaler {
    serde_json::from_value(json!({
        "metadata": {"name": name},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
            "minReplicas": 1,
            "maxReplicas": max,
            "metrics": [{"type": "Resource", "resource": {"name": "cpu",
                "target": {"type": "Utilization", "averageUtilization": target_percent}}}]
        }
    }))
    .expect("hpa")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_hpa_scales_with_cpu_and_bosun_shows_it_as_kubectl_does() {
    let sim = SimCluster::start(SimOptions {
        rollout_step: Duration::from_millis(40),
        ..SimOptions::default()
    })
    .await
    .expect("sim");
    let client = common::kube_client(&sim).await;
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), "default");
    let hpas: Api<HorizontalPodAutoscaler> = Api::namespaced(client.clone(), "default");
    let post = PostParams::default();
    deployments
        .create(&post, &deployment("web", Some("100m")))
        .await
        .expect("web");
    deployments
        .create(&post, &deployment("batch", None))
        .await
        .expect("batch");
    // A 1% target: any use is far above it, so the HPA goes to its maximum.
    hpas.create(&post, &hpa("web", 1, 3))
        .await
        .expect("hpa web");
    hpas.create(&post, &hpa("batch", 70, 5))
        .await
        .expect("hpa batch");

    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let replicas = deployments
            .get("web")
            .await
            .ok()
            .and_then(|d| d.spec?.replicas);
        if replicas == Some(3) {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "web never scaled: {replicas:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let status = hpas
        .get("web")
        .await
        .expect("web hpa")
        .status
        .expect("status");
    // A condition that stays the same keeps its lastTransitionTime.
    let transition = |status: &k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscalerStatus| {
        status
            .conditions
            .iter()
            .flatten()
            .find(|c| c.type_ == "AbleToScale")
            .and_then(|c| c.last_transition_time.clone())
    };
    let first = transition(&status);
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let later = hpas
        .get("web")
        .await
        .expect("web hpa")
        .status
        .expect("status");
    assert!(first.is_some() && transition(&later) == first);
    assert_eq!(status.desired_replicas, 3);
    let limited = status
        .conditions
        .unwrap_or_default()
        .into_iter()
        .find(|c| c.type_ == "ScalingLimited")
        .expect("ScalingLimited");
    assert_eq!(
        (limited.status.as_str(), limited.reason.as_deref()),
        ("True", Some("TooManyReplicas"))
    );
    let utilization = status.current_metrics.unwrap_or_default()[0]
        .resource
        .as_ref()
        .and_then(|r| r.current.average_utilization);
    assert!(utilization.is_some_and(|u| u > 1), "{utilization:?}");

    let mut app =
        common::Harness::start(&sim, ViewKind::Resource(ResourceKind::Hpas), 180, 30).await;
    app.wait_for("both HPAs with their status", WAIT, |_, screen| {
        screen.contains("Deployment/web") && screen.contains("cpu: <unknown>/70%")
    })
    .await;
    let screen = app.screen();
    assert!(
        screen.contains("REFERENCE") && screen.contains("TARGETS") && screen.contains("MINPODS"),
        "{screen}"
    );
    assert!(
        screen.contains("FailedGetResourceMetric"),
        "the HPA that cannot scale says why: {screen}"
    );
    app.select_where(|state, i| &*state.stores.hpas.rows()[i].name == "web")
        .await;
    app.key(KeyCode::Enter).await;
    app.wait_for("the HPA described", WAIT, |state, _| {
        state.detail.as_ref().is_some_and(|d| !d.loading)
    })
    .await;
    let detail = app.detail_text();
    assert!(
        detail.contains("Reference:") && detail.contains("Deployment/web"),
        "{detail}"
    );
    assert!(
        detail.contains("ScalingLimited") && detail.contains("TooManyReplicas"),
        "{detail}"
    );
    assert!(
        detail.contains("SuccessfulRescale") && detail.contains("New size: 3"),
        "{detail}"
    );

    // The workload shows its HPA range; `s` warns before anyone types.
    app.key(KeyCode::Esc).await;
    app.keys(":deploy").await;
    app.key(KeyCode::Enter).await;
    app.wait_for("web with its HPA range", WAIT, |_, screen| {
        screen.contains("1–3")
    })
    .await;
    app.select_where(|state, i| &*state.stores.deployments.rows()[i].name == "web")
        .await;
    app.key(KeyCode::Char('s')).await;
    let screen = app.screen();
    assert!(
        screen.contains("is scaled by HPA web (1–3): it will undo a manual scale"),
        "{screen}"
    );
}

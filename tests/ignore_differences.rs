//! Argo CD's `ignoreDifferences` on a repo shaped like its docs
//! (`tests/fixtures/repos/ignore`): fields changed in the cluster by an
//! HPA, an operator, a sidecar injector and another field manager are not
//! drift, a change elsewhere is; with `RespectIgnoreDifferences=true` the
//! sync reverts only the real drift and leaves the ignored fields as the
//! cluster has them; `compare-options: IgnoreExtraneous` keeps a leftover
//! out of the sync status. Values are read back from the simulated cluster.

mod common;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::Api;
use kube::api::{Patch, PatchParams, PostParams};
use serde_json::json;

use bosun::sim::{SimCluster, SimOptions};

const REMOTE: &str = "https://github.com/example/homelab.git";

async fn sync_status(sim: &SimCluster, root: &std::path::Path, state: &std::path::Path) -> String {
    let out = common::bosun_cli(
        sim.kubeconfig_path(),
        root,
        state,
        &["status", "-o", "json"],
    )
    .await;
    let parsed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    parsed["apps"]
        .as_array()
        .and_then(|apps| apps.iter().find(|a| a["name"] == "shop"))
        .and_then(|shop| shop["sync"].as_str())
        .unwrap_or("missing")
        .to_string()
}

fn by(manager: &str) -> PatchParams {
    PatchParams {
        field_manager: Some(manager.to_string()),
        ..PatchParams::default()
    }
}

/// The simulated cluster with the fixture's `shop` app synced once.
async fn synced_shop() -> (
    SimCluster,
    kube::Client,
    tempfile::TempDir,
    std::path::PathBuf,
) {
    let sim = SimCluster::start(SimOptions::default()).await.expect("sim");
    let client = common::kube_client(&sim).await;
    let (dir, root) = common::fixture_repo("ignore", REMOTE);
    let state = dir.path().join("state");
    let out = common::bosun_cli(
        sim.kubeconfig_path(),
        &root,
        &state,
        &["sync", "shop", "--yes"],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", common::output_text(&out));
    (sim, client, dir, root)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ignored_fields_are_not_drift_and_the_sync_leaves_them_alone() {
    let (sim, client, dir, root) = synced_shop().await;
    let state = dir.path().join("state");
    assert_eq!(sync_status(&sim, &root, &state).await, "Synced");

    let deployments: Api<Deployment> = Api::namespaced(client.clone(), "shop");
    let config_maps: Api<ConfigMap> = Api::namespaced(client.clone(), "shop");
    // The HPA scales web (no rule: built in).
    deployments
        .patch(
            "web",
            &by("kube-controller-manager"),
            &Patch::Merge(json!({"spec": {"replicas": 5}})),
        )
        .await
        .expect("scale");
    // An operator moves the rollout (jqPathExpressions).
    config_maps
        .patch(
            "shop-flags",
            &by("flagger"),
            &Patch::Merge(json!({"data": {"rollout-percent": "50"}})),
        )
        .await
        .expect("flags");
    // A sidecar injector bumps its annotation (jsonPointers).
    deployments
        .patch(
            "api",
            &by("injector"),
            &Patch::Merge(json!({"spec": {"template": {"metadata": {"annotations": {"sidecar.example.com/version": "1.1"}}}}})),
        )
        .await
        .expect("annotation");
    // Another field manager owns a field (managedFieldsManagers).
    deployments
        .patch(
            "api",
            &by("tuner"),
            &Patch::Merge(json!({"spec": {"revisionHistoryLimit": 3}})),
        )
        .await
        .expect("tuner");
    assert_eq!(
        sync_status(&sim, &root, &state).await,
        "Synced",
        "every change is ignored"
    );

    // A change no rule covers is drift.
    config_maps
        .patch(
            "shop-flags",
            &by("someone"),
            &Patch::Merge(json!({"data": {"theme": "dark"}})),
        )
        .await
        .expect("theme");
    assert_eq!(sync_status(&sim, &root, &state).await, "OutOfSync");
    let diff = common::bosun_cli(sim.kubeconfig_path(), &root, &state, &["diff", "shop"]).await;
    let diff = common::output_text(&diff);
    assert!(diff.contains("theme"), "{diff}");
    assert!(
        !diff.contains("rollout-percent"),
        "ignored fields are not shown: {diff}"
    );

    // The sync reverts the theme and leaves every ignored field alone.
    let out = common::bosun_cli(
        sim.kubeconfig_path(),
        &root,
        &state,
        &["sync", "shop", "--yes"],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", common::output_text(&out));
    let flags = config_maps.get("shop-flags").await.expect("flags");
    let data = flags.data.unwrap_or_default();
    assert_eq!(data.get("theme").map(String::as_str), Some("light"));
    assert_eq!(data.get("rollout-percent").map(String::as_str), Some("50"));
    let web = deployments.get("web").await.expect("web");
    assert_eq!(
        web.spec.and_then(|s| s.replicas),
        Some(5),
        "the HPA's count stays"
    );
    let api = deployments.get("api").await.expect("api");
    let spec = api.spec.unwrap_or_default();
    assert_eq!(spec.revision_history_limit, Some(3));
    let annotations = spec
        .template
        .metadata
        .and_then(|m| m.annotations)
        .unwrap_or_default();
    assert_eq!(
        annotations
            .get("sidecar.example.com/version")
            .map(String::as_str),
        Some("1.1")
    );
    assert_eq!(sync_status(&sim, &root, &state).await, "Synced");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_extraneous_object_marked_ignore_extraneous_leaves_the_status_synced() {
    let (sim, client, dir, root) = synced_shop().await;
    let state = dir.path().join("state");
    // A tool made an object carrying the app's tracking (a prune candidate).
    let leftover = |annotations: serde_json::Value| -> ConfigMap {
        serde_json::from_value(json!({
            "metadata": {
                "name": "generated",
                "labels": {"app.kubernetes.io/managed-by": "bosun", "bosun.dev/app": "shop"},
                "annotations": annotations,
            },
            "data": {"x": "1"}
        }))
        .expect("configmap")
    };
    let config_maps: Api<ConfigMap> = Api::namespaced(client.clone(), "shop");
    config_maps
        .create(
            &PostParams::default(),
            &leftover(json!({
                "bosun.dev/tracking-id": "shop:/ConfigMap:shop/generated",
                "argocd.argoproj.io/compare-options": "ServerSideDiff=true, IgnoreExtraneous",
            })),
        )
        .await
        .expect("create");
    assert_eq!(sync_status(&sim, &root, &state).await, "Synced");
    config_maps
        .patch(
            "generated",
            &PatchParams::default(),
            &Patch::Merge(
                json!({"metadata": {"annotations": {"argocd.argoproj.io/compare-options": null}}}),
            ),
        )
        .await
        .expect("unmark");
    assert_eq!(sync_status(&sim, &root, &state).await, "OutOfSync");
}

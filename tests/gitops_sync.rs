//! Diff, sync, prune and the inventory against the simulated cluster over
//! real HTTP, with the real kube client (DESIGN §5).

mod common;

use std::time::Duration;

use bosun::gitops::compare::{self, AppDiff, Change, DiffInput, Renderers, SyncStatus};
use bosun::gitops::health::Health;
use bosun::gitops::inventory::{self, Inventory};
use bosun::gitops::object::RenderedObject;
use bosun::gitops::resolve::Resolver;
use bosun::gitops::sync::{self, SyncOptions, SyncReport};
use bosun::sim::{SimCluster, SimOptions};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use kube::api::{Api, Patch, PatchParams};
use serde_json::{Value, json};

const APP: &str = "shop";
const NS: &str = "shop";

async fn empty_cluster() -> (SimCluster, kube::Client) {
    let sim = SimCluster::start(SimOptions {
        rollout_step: Duration::from_millis(50),
        ..SimOptions::default()
    })
    .await
    .expect("sim starts");
    let client = common::kube_client(&sim).await;
    (sim, client)
}

fn objects(manifests: Vec<Value>) -> Vec<RenderedObject> {
    manifests
        .into_iter()
        .map(|m| RenderedObject::from_manifest(m).expect("valid manifest"))
        .collect()
}

fn namespace() -> Value {
    json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}})
}

fn config_map(data: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings"},
        "data": {"mode": data}})
}

fn secret(password: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db"},
        "type": "Opaque", "stringData": {"password": password}})
}

fn deployment(replicas: i64) -> Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "labels": {"app": "web"}},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]}}}})
}

fn base() -> Vec<Value> {
    vec![
        deployment(2),
        config_map("a"),
        secret("hunter2"),
        namespace(),
    ]
}

async fn diff(client: &kube::Client, manifests: Vec<Value>) -> AppDiff {
    diff_as(client, APP, manifests, &Renderers::new()).await
}

/// Diffs `manifests` as app `app` (default namespace NS), with `renderers`
/// saying which other apps render what.
async fn diff_as(
    client: &kube::Client,
    app: &str,
    manifests: Vec<Value>,
    renderers: &Renderers,
) -> AppDiff {
    let resolver = Resolver::discover(client).await.expect("discovery");
    let inventory = inventory::read(client, NS, app).await.ok().flatten();
    let rendered = objects(manifests);
    compare::diff_app(
        client,
        &resolver,
        DiffInput {
            app,
            default_namespace: NS,
            objects: &rendered,
            inventory: inventory.as_ref(),
            renderers,
            create_namespace: false,
            ignore_differences: &[],
            respect_ignore_differences: false,
            live_hpas: None,
        },
    )
    .await
}

fn options(prune: bool, revision: &str) -> SyncOptions {
    SyncOptions {
        prune,
        dry_run: false,
        revision: revision.into(),
        rolled_back: false,
        selective: false,
        crd_timeout: Duration::from_secs(10),
        wave_timeout: Duration::from_secs(30),
        progress: None,
        allow_shared: false,
        confirmed_interactively: false,
        stop: Default::default(),
    }
}

async fn sync(client: &kube::Client, diff: &AppDiff, prune: bool, revision: &str) -> SyncReport {
    sync_with(client, diff, &options(prune, revision)).await
}

async fn sync_with(client: &kube::Client, diff: &AppDiff, opts: &SyncOptions) -> SyncReport {
    let previous = inventory::read(client, NS, &diff.app).await.ok().flatten();
    sync::sync_app(client, diff, NS, previous.as_ref(), opts)
        .await
        .expect("sync runs")
}

fn change_of(diff: &AppDiff, kind: &str, name: &str) -> Change {
    diff.objects
        .iter()
        .find(|o| o.key.kind == kind && o.key.name == name)
        .map(|o| o.change)
        .unwrap_or_else(|| panic!("{kind} {name} not in the diff: {diff:#?}"))
}

async fn synced_once(client: &kube::Client) -> Inventory {
    let first = diff(client, base()).await;
    let report = sync(client, &first, false, "c0ffee1").await;
    assert!(report.succeeded(), "{report:#?}");
    report.inventory.expect("inventory written")
}

#[tokio::test]
async fn first_diff_creates_everything_then_sync_makes_it_synced() {
    let (_sim, client) = empty_cluster().await;
    let first = diff(&client, base()).await;
    assert_eq!(first.sync, SyncStatus::OutOfSync);
    assert_eq!(first.count(Change::Create), 4, "{first:#?}");
    assert_eq!(first.health, Health::Missing);

    let report = sync(&client, &first, false, "c0ffee1").await;
    assert!(report.succeeded(), "{report:#?}");
    // Namespace first, then Secret and ConfigMap, then the Deployment.
    let order: Vec<&str> = report
        .applied
        .iter()
        .map(|(k, _)| k.kind.as_str())
        .collect();
    assert_eq!(order, ["Namespace", "Secret", "ConfigMap", "Deployment"]);

    let deploys: Api<Deployment> = Api::namespaced(client.clone(), NS);
    let web = deploys.get("web").await.expect("deployment created");
    let labels = web.metadata.labels.unwrap_or_default();
    assert_eq!(
        labels
            .get("app.kubernetes.io/managed-by")
            .map(String::as_str),
        Some("bosun")
    );
    assert_eq!(labels.get("bosun.dev/app").map(String::as_str), Some(APP));

    let again = diff(&client, base()).await;
    assert_eq!(again.sync, SyncStatus::Synced, "{again:#?}");
    assert_eq!(again.summary(), "in sync");

    let inv = inventory::read(&client, NS, APP)
        .await
        .expect("read")
        .expect("present");
    assert_eq!(inv.revision, "c0ffee1");
    assert!(inv.succeeded());
    assert_eq!(inv.objects.len(), 4);
    assert_eq!(inv.history.len(), 1);
}

#[tokio::test]
async fn scaled_replicas_are_drift_taken_back_from_their_manager() {
    let (_sim, client) = empty_cluster().await;
    synced_once(&client).await;
    let deploys: Api<Deployment> = Api::namespaced(client.clone(), NS);
    deploys
        .patch(
            "web",
            &PatchParams {
                field_manager: Some("kubectl-scale".into()),
                ..PatchParams::default()
            },
            &Patch::Merge(json!({"spec": {"replicas": 5}})),
        )
        .await
        .expect("scale");

    let drifted = diff(&client, base()).await;
    assert_eq!(drifted.sync, SyncStatus::OutOfSync);
    let web = drifted
        .objects
        .iter()
        .find(|o| o.key.name == "web")
        .expect("web diffed");
    assert_eq!(web.change, Change::Drifted);
    assert!(
        web.diff.contains("-  replicas: 5") && web.diff.contains("+  replicas: 2"),
        "{}",
        web.diff
    );
    assert_eq!(
        web.takeover,
        vec!["spec.replicas from kubectl-scale".to_string()]
    );

    let report = sync(&client, &drifted, false, "c0ffee2").await;
    assert!(report.succeeded(), "{report:#?}");
    let web = deploys.get("web").await.expect("web");
    assert_eq!(web.spec.and_then(|s| s.replicas), Some(2));
    let inv = inventory::read(&client, NS, APP)
        .await
        .expect("read")
        .expect("present");
    assert_eq!(inv.history.len(), 2);
    assert_eq!(inv.history[0].revision, "c0ffee2");
    assert_eq!(inv.history[1].revision, "c0ffee1");
}

#[tokio::test]
async fn a_rollout_restart_is_not_drift() {
    let (_sim, client) = empty_cluster().await;
    synced_once(&client).await;
    let deploys: Api<Deployment> = Api::namespaced(client.clone(), NS);
    deploys
        .patch(
            "web",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"template": {"metadata": {"annotations": {
                "kubectl.kubernetes.io/restartedAt": "2026-11-22T00:00:00Z"}}}}})),
        )
        .await
        .expect("restart");
    let after = diff(&client, base()).await;
    assert_eq!(after.sync, SyncStatus::Synced, "{after:#?}");
}

#[tokio::test]
async fn secret_changes_show_masked() {
    let (_sim, client) = empty_cluster().await;
    synced_once(&client).await;
    let mut manifests = base();
    manifests[2] = secret("correct horse");
    let changed = diff(&client, manifests).await;
    let db = changed
        .objects
        .iter()
        .find(|o| o.key.kind == "Secret")
        .expect("secret diffed");
    assert_eq!(db.change, Change::Drifted);
    assert!(db.diff.contains("(changed)"), "{}", db.diff);
    for plain in [
        "correct horse",
        "hunter2",
        "Y29ycmVjdCBob3JzZQ==",
        "aHVudGVyMg==",
    ] {
        assert!(!db.diff.contains(plain), "{plain} leaked: {}", db.diff);
    }
    let report = sync(&client, &changed, false, "c0ffee3").await;
    assert!(report.succeeded());
    let secrets: Api<Secret> = Api::namespaced(client.clone(), NS);
    let stored = secrets.get("db").await.expect("secret");
    let password = stored
        .data
        .and_then(|d| d.get("password").cloned())
        .expect("password key");
    assert_eq!(password.0, b"correct horse");
}

#[tokio::test]
async fn removed_objects_are_prune_candidates_pruned_only_when_asked() {
    let (_sim, client) = empty_cluster().await;
    synced_once(&client).await;
    // Someone else's ConfigMap carrying only one of the labels is never ours.
    let maps: Api<ConfigMap> = Api::namespaced(client.clone(), NS);
    maps.create(
        &Default::default(),
        &serde_json::from_value(json!({"metadata": {"name": "theirs",
            "labels": {"bosun.dev/app": APP}}}))
        .expect("configmap"),
    )
    .await
    .expect("create theirs");

    let without_settings = vec![deployment(2), secret("hunter2"), namespace()];
    let candidates = diff(&client, without_settings.clone()).await;
    assert_eq!(
        change_of(&candidates, "ConfigMap", "settings"),
        Change::PruneCandidate
    );
    assert!(candidates.objects.iter().all(|o| o.key.name != "theirs"));
    assert_eq!(candidates.sync, SyncStatus::OutOfSync);

    let kept = sync(&client, &candidates, false, "c0ffee4").await;
    assert_eq!(kept.prune_skipped.len(), 1);
    assert!(
        maps.get_opt("settings").await.expect("get").is_some(),
        "pruned without --prune"
    );

    let candidates = diff(&client, without_settings.clone()).await;
    let pruned = sync(&client, &candidates, true, "c0ffee5").await;
    assert!(pruned.succeeded(), "{pruned:#?}");
    assert_eq!(pruned.pruned.len(), 1);
    assert!(
        maps.get_opt("settings").await.expect("get").is_none(),
        "settings survived the prune"
    );
    assert!(
        maps.get_opt("theirs").await.expect("get").is_some(),
        "pruned someone else's object"
    );
    let after = diff(&client, without_settings).await;
    assert_eq!(after.sync, SyncStatus::Synced, "{after:#?}");
}

#[tokio::test]
async fn crds_are_established_before_their_objects() {
    let (_sim, client) = empty_cluster().await;
    let crd = json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {"group": "example.com", "scope": "Namespaced",
            "names": {"plural": "widgets", "singular": "widget", "kind": "Widget"},
            "versions": [{"name": "v1", "served": true, "storage": true,
                "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}]}});
    let widget = json!({"apiVersion": "example.com/v1", "kind": "Widget",
        "metadata": {"name": "w1"}, "spec": {"size": 3}});
    let manifests = vec![widget, crd, namespace()];
    let first = diff(&client, manifests.clone()).await;
    assert_eq!(
        change_of(&first, "Widget", "w1"),
        Change::Create,
        "{first:#?}"
    );
    let report = sync(&client, &first, false, "c0ffee6").await;
    assert!(report.succeeded(), "{report:#?}");
    let kinds: Vec<&str> = report
        .applied
        .iter()
        .map(|(k, _)| k.kind.as_str())
        .collect();
    assert_eq!(kinds, ["Namespace", "CustomResourceDefinition", "Widget"]);
    let again = diff(&client, manifests).await;
    assert_eq!(again.sync, SyncStatus::Synced, "{again:#?}");
}

#[tokio::test]
async fn an_unknown_kind_is_an_error_on_that_object_only() {
    let (_sim, client) = empty_cluster().await;
    let mut manifests = base();
    manifests.push(
        json!({"apiVersion": "nope.example.com/v1", "kind": "Gadget",
        "metadata": {"name": "g"}}),
    );
    let result = diff(&client, manifests).await;
    let gadget = result
        .objects
        .iter()
        .find(|o| o.key.kind == "Gadget")
        .expect("gadget listed");
    assert_eq!(gadget.change, Change::Error);
    assert!(
        gadget
            .error
            .as_deref()
            .unwrap_or("")
            .contains("is its CRD installed"),
        "{gadget:#?}"
    );
    assert_eq!(change_of(&result, "Deployment", "web"), Change::Create);
}

#[tokio::test]
async fn health_follows_the_rollout() {
    let (_sim, client) = empty_cluster().await;
    synced_once(&client).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let now = diff(&client, base()).await;
        if now.health == Health::Healthy {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "app never became Healthy: {now:#?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn a_dry_run_sync_changes_nothing_even_when_pruning() {
    let (_sim, client) = empty_cluster().await;
    synced_once(&client).await;
    let mut manifests = vec![deployment(4), secret("hunter2"), namespace()];
    manifests.truncate(3);
    let planned = diff(&client, manifests.clone()).await;
    assert_eq!(
        change_of(&planned, "ConfigMap", "settings"),
        Change::PruneCandidate
    );
    let previous = inventory::read(&client, NS, APP).await.ok().flatten();
    let report = sync::sync_app(
        &client,
        &planned,
        NS,
        previous.as_ref(),
        &SyncOptions {
            dry_run: true,
            ..options(true, "dry")
        },
    )
    .await
    .expect("dry run");
    assert!(report.succeeded(), "{report:#?}");
    assert_eq!(report.pruned.len(), 1, "the prune is reported");
    let maps: Api<ConfigMap> = Api::namespaced(client.clone(), NS);
    assert!(
        maps.get_opt("settings").await.expect("get").is_some(),
        "a dry run deleted it"
    );
    let deploys: Api<Deployment> = Api::namespaced(client.clone(), NS);
    let web = deploys.get("web").await.expect("web");
    assert_eq!(
        web.spec.and_then(|s| s.replicas),
        Some(2),
        "a dry run applied it"
    );
    let inv = inventory::read(&client, NS, APP)
        .await
        .expect("read")
        .expect("kept");
    assert_eq!(inv.revision, "c0ffee1", "a dry run wrote the inventory");
}

// ---------------------------------------------------------------------------
// Prune safety (docs/ARCHITECTURE.md "Prune safety")

fn annotated_map(name: &str, annotations: Value, labels: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": name, "annotations": annotations, "labels": labels},
        "data": {"k": "v"}})
}

#[tokio::test]
async fn annotated_objects_are_kept_with_their_reason() {
    let (_sim, client) = empty_cluster().await;
    let keepers = vec![
        annotated_map(
            "argo-keep",
            json!({"argocd.argoproj.io/sync-options": "Validate=false,Prune=false"}),
            json!({}),
        ),
        annotated_map(
            "flux-keep",
            json!({}),
            json!({"kustomize.toolkit.fluxcd.io/prune": "disabled"}),
        ),
        annotated_map(
            "helm-keep",
            json!({"helm.sh/resource-policy": "keep"}),
            json!({}),
        ),
        annotated_map(
            "confirm-first",
            json!({"argocd.argoproj.io/sync-options": "Prune=confirm"}),
            json!({}),
        ),
    ];
    let mut all = base();
    all.extend(keepers);
    let first = diff(&client, all).await;
    assert!(sync(&client, &first, false, "c0ffee1").await.succeeded());

    // The repo drops all four; pruning is on, nobody is asked (--yes).
    let planned = diff(&client, base()).await;
    for name in ["argo-keep", "flux-keep", "helm-keep", "confirm-first"] {
        let obj = planned
            .objects
            .iter()
            .find(|o| o.key.name == name)
            .expect("candidate listed");
        assert_eq!(obj.change, Change::PruneCandidate);
        assert!(obj.keep.is_some(), "{name} not marked kept");
        assert!(!obj.prunable());
    }
    assert!(
        planned.summary().contains("4 kept"),
        "{}",
        planned.summary()
    );
    let report = sync(&client, &planned, true, "c0ffee2").await;
    assert!(report.pruned.is_empty(), "{report:#?}");
    let reasons: Vec<&str> = report.kept.iter().map(|(_, why)| why.as_str()).collect();
    assert!(
        reasons.contains(&"kept (annotation argocd.argoproj.io/sync-options: Prune=false)"),
        "{reasons:?}"
    );
    assert!(
        reasons.contains(&"kept (annotation kustomize.toolkit.fluxcd.io/prune: disabled)"),
        "{reasons:?}"
    );
    assert!(
        reasons.contains(&"kept (annotation helm.sh/resource-policy: keep)"),
        "{reasons:?}"
    );
    let maps: Api<ConfigMap> = Api::namespaced(client.clone(), NS);
    for name in ["argo-keep", "flux-keep", "helm-keep", "confirm-first"] {
        assert!(
            maps.get_opt(name).await.expect("get").is_some(),
            "{name} deleted"
        );
    }
    // The kept objects stay this app's (in the inventory).
    let inv = inventory::read(&client, NS, APP)
        .await
        .expect("read")
        .expect("present");
    assert!(inv.objects.iter().any(|k| k.name == "helm-keep"));

    // Confirmed by a person: Prune=confirm goes, the others stay.
    let planned = diff(&client, base()).await;
    let report = sync_with(
        &client,
        &planned,
        &SyncOptions {
            confirmed_interactively: true,
            ..options(true, "c0ffee3")
        },
    )
    .await;
    assert_eq!(
        report
            .pruned
            .iter()
            .map(|k| k.name.as_str())
            .collect::<Vec<_>>(),
        ["confirm-first"]
    );
    assert!(maps.get_opt("confirm-first").await.expect("get").is_none());
    assert!(maps.get_opt("helm-keep").await.expect("get").is_some());
}

#[tokio::test]
async fn a_namespace_that_still_holds_wanted_objects_is_never_pruned() {
    let (_sim, client) = empty_cluster().await;
    synced_once(&client).await;
    // The repo moves the Namespace out of the app but still puts the app's
    // objects in it: pruning the Namespace would delete them all.
    let without_namespace = vec![deployment(2), config_map("a"), secret("hunter2")];
    let planned = diff(&client, without_namespace.clone()).await;
    let ns = planned
        .objects
        .iter()
        .find(|o| o.key.kind == "Namespace")
        .expect("the namespace is a candidate");
    let reason = ns
        .keep
        .as_ref()
        .map(|k| k.reason.clone())
        .unwrap_or_default();
    assert!(
        reason.starts_with(
            "kept: namespace shop holds 4 objects, 3 wanted by app shop, 1 bosun inventory"
        ),
        "{reason}"
    );
    let report = sync(&client, &planned, true, "c0ffee2").await;
    assert!(report.pruned.is_empty(), "{report:#?}");
    assert_eq!(report.kept.len(), 1);
    let namespaces: Api<k8s_openapi::api::core::v1::Namespace> = Api::all(client.clone());
    let live = namespaces.get(NS).await.expect("namespace still there");
    assert!(
        live.metadata.deletion_timestamp.is_none(),
        "namespace deleting"
    );
    let deploys: Api<Deployment> = Api::namespaced(client.clone(), NS);
    assert!(deploys.get_opt("web").await.expect("get").is_some());

    // Once the app puts nothing there any more, the namespace may go.
    let elsewhere = |mut manifest: Value| {
        manifest["metadata"]["namespace"] = json!("default");
        manifest
    };
    let moved: Vec<Value> = without_namespace.into_iter().map(elsewhere).collect();
    let first = diff(&client, moved.clone()).await;
    let report = sync(&client, &first, true, "c0ffee3").await;
    // The inventory lives in the app's namespace (shop), so it still
    // holds that: the namespace stays, saying so.
    assert!(
        report
            .kept
            .iter()
            .any(|(key, why)| key.kind == "Namespace" && why.contains("1 bosun inventory")),
        "{report:#?}"
    );
}

#[tokio::test]
async fn an_empty_namespace_is_pruned() {
    let (_sim, client) = empty_cluster().await;
    let extra = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "scratch"}});
    let mut manifests = base();
    manifests.push(extra);
    let first = diff(&client, manifests).await;
    assert!(sync(&client, &first, false, "c0ffee1").await.succeeded());
    let planned = diff(&client, base()).await;
    let scratch = planned
        .objects
        .iter()
        .find(|o| o.key.name == "scratch")
        .expect("candidate");
    assert!(scratch.prunable(), "{scratch:#?}");
    let report = sync(&client, &planned, true, "c0ffee2").await;
    assert_eq!(report.pruned.len(), 1, "{report:#?}");
}

#[tokio::test]
async fn a_copied_label_or_annotation_makes_nothing_prunable() {
    let (_sim, client) = empty_cluster().await;
    synced_once(&client).await;
    let maps: Api<ConfigMap> = Api::namespaced(client.clone(), NS);
    let settings = maps.get("settings").await.expect("settings");
    let annotations = settings.metadata.annotations.clone().unwrap_or_default();
    let labels = settings.metadata.labels.clone().unwrap_or_default();
    // A copy of `settings` under another name, labels and annotation included.
    maps.create(
        &Default::default(),
        &serde_json::from_value(json!({"metadata": {"name": "copy",
            "labels": labels, "annotations": annotations}}))
        .expect("configmap"),
    )
    .await
    .expect("create copy");
    let planned = diff(&client, base()).await;
    assert!(
        planned.objects.iter().all(|o| o.key.name != "copy"),
        "{planned:#?}"
    );
    let report = sync(&client, &planned, true, "c0ffee2").await;
    assert!(report.pruned.is_empty());
    assert!(maps.get_opt("copy").await.expect("get").is_some());
}

#[tokio::test]
async fn long_app_names_stay_distinct_end_to_end() {
    let (_sim, client) = empty_cluster().await;
    let prefix = "clusters-production-infrastructure-controllers-overlays-homelab";
    let first_app = format!("{prefix}-network");
    let second_app = format!("{prefix}-storage");
    assert!(first_app.len() > 63);
    let map = |name: &str| json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"a": "b"}});
    let mut manifests = vec![namespace(), map("one")];
    let one = diff_as(&client, &first_app, manifests.clone(), &Renderers::new()).await;
    assert!(
        sync_with(&client, &one, &options(false, "c1"))
            .await
            .succeeded()
    );
    manifests = vec![map("two")];
    let two = diff_as(&client, &second_app, manifests, &Renderers::new()).await;
    assert!(
        sync_with(&client, &two, &options(false, "c1"))
            .await
            .succeeded()
    );

    // Each app sees only its own objects, its own inventory and revision.
    let two_again = diff_as(&client, &second_app, vec![map("two")], &Renderers::new()).await;
    assert_eq!(two_again.sync, SyncStatus::Synced, "{two_again:#?}");
    let one_inv = inventory::read(&client, NS, &first_app)
        .await
        .expect("read")
        .expect("present");
    let two_inv = inventory::read(&client, NS, &second_app)
        .await
        .expect("read")
        .expect("present");
    assert_eq!(one_inv.objects.len(), 2);
    assert_eq!(two_inv.objects.len(), 1);
    assert_ne!(
        inventory::config_map_name(&first_app),
        inventory::config_map_name(&second_app)
    );
    // Dropping everything from the second app prunes only its object.
    let empty = diff_as(&client, &second_app, Vec::new(), &Renderers::new()).await;
    let candidates: Vec<&str> = empty
        .objects
        .iter()
        .filter(|o| o.change == Change::PruneCandidate)
        .map(|o| o.key.name.as_str())
        .collect();
    assert_eq!(candidates, ["two"]);
    let report = sync_with(&client, &empty, &options(true, "c2")).await;
    assert_eq!(report.pruned.len(), 1, "{report:#?}");
    let maps: Api<ConfigMap> = Api::namespaced(client.clone(), NS);
    assert!(maps.get_opt("one").await.expect("get").is_some());
    assert!(maps.get_opt("two").await.expect("get").is_none());
}

#[tokio::test]
async fn an_object_two_apps_render_is_refused_unless_taken() {
    let (_sim, client) = empty_cluster().await;
    synced_once(&client).await;
    // Another app renders the same ConfigMap.
    let mut renderers = Renderers::new();
    let key = bosun::gitops::object::ObjectKey {
        group: String::new(),
        kind: "ConfigMap".into(),
        namespace: Some(NS.into()),
        name: "settings".into(),
    };
    compare::index_renderers(&mut renderers, APP, std::slice::from_ref(&key));
    compare::index_renderers(&mut renderers, "other", std::slice::from_ref(&key));
    let mine = diff_as(&client, APP, base(), &renderers).await;
    let settings = mine
        .objects
        .iter()
        .find(|o| o.key == key)
        .expect("settings");
    assert_eq!(settings.shared, vec!["other".to_string()]);
    assert!(
        mine.summary().contains("shared with app other"),
        "{}",
        mine.summary()
    );

    // The other app syncs it first: it now carries the other's tracking id.
    let theirs = diff_as(&client, "other", vec![config_map("b")], &renderers).await;
    let report = sync_with(&client, &theirs, &options(false, "c2")).await;
    assert_eq!(report.refused.len(), 1, "{report:#?}");
    assert!(!report.succeeded());
    let taken = sync_with(
        &client,
        &theirs,
        &SyncOptions {
            allow_shared: true,
            ..options(false, "c2")
        },
    )
    .await;
    assert!(taken.succeeded(), "{taken:#?}");
    // Seen from the first app, even without the render index, the live
    // object is tracked by the other one.
    let mine = diff_as(&client, APP, base(), &Renderers::new()).await;
    let settings = mine
        .objects
        .iter()
        .find(|o| o.key == key)
        .expect("settings");
    assert_eq!(settings.shared, vec!["other".to_string()]);
    assert_eq!(settings.change, Change::Drifted);
    let report = sync(&client, &mine, false, "c3").await;
    assert_eq!(report.refused.len(), 1, "{report:#?}");
    let maps: Api<ConfigMap> = Api::namespaced(client.clone(), NS);
    let live = maps.get("settings").await.expect("settings");
    assert_eq!(
        live.data
            .unwrap_or_default()
            .get("mode")
            .map(String::as_str),
        Some("b"),
        "the refused sync changed it"
    );
    // And it is never a prune candidate of the first app.
    let without = diff_as(
        &client,
        APP,
        vec![deployment(2), secret("hunter2"), namespace()],
        &Renderers::new(),
    )
    .await;
    assert!(
        without
            .objects
            .iter()
            .all(|o| o.key != key || o.change != Change::PruneCandidate)
    );
}

/// A Secret as `sops --encrypt --age …` writes it (sops' documented file
/// format: values `ENC[AES256_GCM,data:…,iv:…,tag:…,type:str]`, a
/// top-level `sops` block with the recipients, the MAC and the version).
fn sops_secret() -> Value {
    json!({
        "apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "db-credentials", "namespace": NS},
        "type": "Opaque",
        "stringData": {"password": "ENC[AES256_GCM,data:3bVbnqXq,iv:AbCdEfGhIjKlMnOpQrStUvWxYz012345678=,tag:q1w2e3r4t5y6u7i8o9p0aa==,type:str]"},
        "sops": {
            "kms": null, "gcp_kms": null, "azure_kv": null, "hc_vault": null,
            "age": [{
                "recipient": "age1qe5lxzzeppw5k79vxn3872272sgy224g2nzqlzy3uljs84say3yqgvd0sw",
                "enc": "-----BEGIN AGE ENCRYPTED FILE-----\nYWdlLWVuY3J5cHRpb24ub3JnL3YxCi0+IFgyNTUxOQ==\n-----END AGE ENCRYPTED FILE-----\n"
            }],
            "lastmodified": "2024-05-02T10:00:00Z",
            "mac": "ENC[AES256_GCM,data:Zm9vYmFy,iv:YmF6cXV4,tag:cXV1eA==,type:str]",
            "pgp": null,
            "encrypted_regex": "^(data|stringData)$",
            "version": "3.8.1"
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sops_encrypted_secret_is_never_sent_to_the_server() {
    let (sim, client) = empty_cluster().await;
    let mut manifests = base();
    manifests.push(sops_secret());
    let diff = diff(&client, manifests).await;
    let encrypted = diff
        .objects
        .iter()
        .find(|o| o.key.name == "db-credentials")
        .expect("listed");
    assert_eq!(encrypted.change, Change::Error);
    let why = encrypted.error.clone().unwrap_or_default();
    assert!(
        why.contains("Secret shop/db-credentials is encrypted with SOPS for age1qe5lxzzeppw5k79vxn3872272sgy224g2nzqlzy3uljs84say3yqgvd0sw"),
        "{why}"
    );
    let report = sync(&client, &diff, false, "c1").await;
    assert!(!report.succeeded());
    assert!(
        report
            .failed
            .iter()
            .any(|(key, e)| key.name == "db-credentials" && e.contains("SOPS")),
        "{:?}",
        report.failed
    );
    assert!(
        !sim.client_writes()
            .iter()
            .any(|w| w.name == "db-credentials"),
        "the encrypted form never reaches the API server"
    );
    assert!(
        sim.get_object("v1", "Secret", Some(NS), "db-credentials")
            .is_none(),
        "nothing applied"
    );
}

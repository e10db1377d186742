//! Server-side apply, managedFields, dry-run and CustomResourceDefinitions
//! on the simulated API server, driven by the real kube client over HTTP
//! (and kubectl when it is installed).

use std::time::Duration;

use bosun::sim::{SimCluster, SimOptions};
use futures::StreamExt;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::ConfigMap;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{
    Api, ApiResource, DeleteParams, DynamicObject, GroupVersionKind, ListParams, Patch,
    PatchParams, WatchEvent, WatchParams,
};
use kube::discovery::Discovery;
use kube::{Client, ResourceExt};
use serde_json::{Value, json};

async fn start() -> (SimCluster, Client) {
    let sim = SimCluster::start(SimOptions {
        rollout_step: Duration::from_millis(200),
        ..SimOptions::default()
    })
    .await
    .expect("sim starts");
    let kubeconfig =
        kube::config::Kubeconfig::read_from(sim.kubeconfig_path()).expect("kubeconfig");
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default())
        .await
        .expect("config");
    let client = Client::try_from(config).expect("client");
    (sim, client)
}

fn deployment(replicas: i64, image: &str) -> Value {
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "labels": {"app": "web"}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "web", "image": image}]}
            }
        }
    })
}

fn managers(obj: &impl ResourceExt) -> Vec<(String, String)> {
    obj.managed_fields()
        .iter()
        .map(|m| {
            (
                m.manager.clone().unwrap_or_default(),
                m.operation.clone().unwrap_or_default(),
            )
        })
        .collect()
}

fn fields_of(obj: &impl ResourceExt, manager: &str) -> Value {
    obj.managed_fields()
        .iter()
        .find(|m| m.manager.as_deref() == Some(manager))
        .and_then(|m| m.fields_v1.as_ref())
        .map(|f| f.0.clone())
        .unwrap_or(Value::Null)
}

fn apply_params(manager: &str) -> PatchParams {
    PatchParams::apply(manager)
}

#[tokio::test]
async fn apply_creates_then_merges_and_tracks_managers() {
    let (_sim, client) = start().await;
    let deploys: Api<Deployment> = Api::namespaced(client.clone(), "default");

    // Create.
    let d = deploys
        .patch(
            "web",
            &apply_params("bosun").force(),
            &Patch::Apply(deployment(2, "nginx:1.27")),
        )
        .await
        .expect("apply creates");
    assert_eq!(d.spec.as_ref().and_then(|s| s.replicas), Some(2));
    assert_eq!(d.metadata.generation, Some(1));
    assert_eq!(managers(&d), vec![("bosun".into(), "Apply".into())]);
    let f = fields_of(&d, "bosun");
    assert_eq!(f["f:spec"]["f:replicas"], json!({}));
    assert_eq!(
        f["f:spec"]["f:template"]["f:spec"]["f:containers"]["k:{\"name\":\"web\"}"]["."],
        json!({})
    );
    assert_eq!(
        d.managed_fields()[0].fields_type.as_deref(),
        Some("FieldsV1")
    );
    assert_eq!(
        d.managed_fields()[0].api_version.as_deref(),
        Some("apps/v1")
    );

    // Another manager scales it (like `kubectl scale` / `kubectl edit`) and adds a label.
    let scaled = deploys
        .patch(
            "web",
            &PatchParams {
                field_manager: Some("kubectl-edit".into()),
                ..Default::default()
            },
            &Patch::Merge(
                json!({"metadata": {"labels": {"team": "blue"}}, "spec": {"replicas": 5}}),
            ),
        )
        .await
        .expect("merge patch");
    assert_eq!(
        managers(&scaled),
        vec![
            ("bosun".into(), "Apply".into()),
            ("kubectl-edit".into(), "Update".into())
        ]
    );
    assert_eq!(
        fields_of(&scaled, "kubectl-edit")["f:spec"]["f:replicas"],
        json!({})
    );
    assert!(
        fields_of(&scaled, "bosun")["f:spec"]
            .get("f:replicas")
            .is_none()
    );

    // Applying a new image merges: the other manager's label stays, the
    // container list merges by name.
    let mut next = deployment(5, "nginx:1.28");
    next["spec"]["template"]["spec"]["containers"][0]
        .as_object_mut()
        .map(|c| c.insert("ports".into(), json!([{"containerPort": 80}])));
    let d = deploys
        .patch("web", &apply_params("bosun"), &Patch::Apply(next))
        .await
        .expect("apply with the same replicas is no conflict");
    assert_eq!(d.labels().get("team").map(String::as_str), Some("blue"));
    let c = &d
        .spec
        .as_ref()
        .expect("spec")
        .template
        .spec
        .as_ref()
        .expect("pod spec")
        .containers[0];
    assert_eq!(c.image.as_deref(), Some("nginx:1.28"));
    assert_eq!(c.ports.as_ref().map(Vec::len), Some(1));
    assert_eq!(
        d.metadata.generation,
        Some(3),
        "the scale and the image both bumped it"
    );
    // Both own replicas now (same value: shared ownership).
    assert_eq!(fields_of(&d, "bosun")["f:spec"]["f:replicas"], json!({}));
    assert_eq!(
        fields_of(&d, "kubectl-edit")["f:spec"]["f:replicas"],
        json!({})
    );

    // A different value for a field another manager owns: 409 without force.
    let err = deploys
        .patch(
            "web",
            &apply_params("bosun"),
            &Patch::Apply(deployment(2, "nginx:1.28")),
        )
        .await
        .expect_err("conflict");
    let kube::Error::Api(status) = err else {
        panic!("expected an API error, got {err:?}");
    };
    assert_eq!(status.code, 409);
    assert_eq!(
        status.message,
        "Apply failed with 1 conflict: conflict with \"kubectl-edit\" using apps/v1: .spec.replicas"
    );
    let live = deploys.get("web").await.expect("get");
    assert_eq!(
        live.spec.as_ref().and_then(|s| s.replicas),
        Some(5),
        "unchanged"
    );

    // With force the applier takes the field.
    let d = deploys
        .patch(
            "web",
            &apply_params("bosun").force(),
            &Patch::Apply(deployment(2, "nginx:1.28")),
        )
        .await
        .expect("forced apply");
    assert_eq!(d.spec.as_ref().and_then(|s| s.replicas), Some(2));
    assert_eq!(fields_of(&d, "bosun")["f:spec"]["f:replicas"], json!({}));
    let edit = fields_of(&d, "kubectl-edit");
    assert!(edit.pointer("/f:spec/f:replicas").is_none(), "{edit}");
    assert_eq!(edit["f:metadata"]["f:labels"]["f:team"], json!({}));
    // The port bosun no longer applies is gone.
    let c = &d
        .spec
        .as_ref()
        .expect("spec")
        .template
        .spec
        .as_ref()
        .expect("pod spec")
        .containers[0];
    assert!(c.ports.is_none(), "{c:?}");
}

#[tokio::test]
async fn apply_requires_a_field_manager() {
    let (_sim, client) = start().await;
    let req = http::Request::patch("/api/v1/namespaces/default/configmaps/x")
        .header("content-type", "application/apply-patch+yaml")
        .body(b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n".to_vec())
        .expect("request");
    let err = client
        .request::<ConfigMap>(req)
        .await
        .expect_err("apply without fieldManager is refused");
    let kube::Error::Api(status) = err else {
        panic!("expected an API error, got {err:?}");
    };
    assert_eq!(status.code, 400);
    assert!(
        status.message.contains("fieldManager"),
        "{}",
        status.message
    );

    // YAML bodies are accepted, and a missing namespace is a 404.
    let req = http::Request::patch("/api/v1/namespaces/nowhere/configmaps/x?fieldManager=bosun")
        .header("content-type", "application/apply-patch+yaml")
        .body(b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n".to_vec())
        .expect("request");
    let err = client
        .request::<ConfigMap>(req)
        .await
        .expect_err("no namespace");
    assert!(
        matches!(err, kube::Error::Api(ref s) if s.code == 404),
        "{err:?}"
    );
    let req = http::Request::patch("/api/v1/namespaces/default/configmaps/x?fieldManager=bosun")
        .header("content-type", "application/apply-patch+yaml")
        .body(b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {k: v}\n".to_vec())
        .expect("request");
    let cm = client.request::<ConfigMap>(req).await.expect("yaml apply");
    assert_eq!(
        cm.data.and_then(|d| d.get("k").cloned()).as_deref(),
        Some("v")
    );
}

fn config_map(labels: Value, data: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap",
           "metadata": {"name": "settings", "labels": labels}, "data": data})
}

#[tokio::test]
async fn apply_removes_fields_it_no_longer_sets() {
    let (_sim, client) = start().await;
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    let pp = apply_params("bosun").force();
    cms.patch(
        "settings",
        &pp,
        &Patch::Apply(config_map(
            json!({"a": "1", "b": "2"}),
            json!({"x": "1", "y": "2"}),
        )),
    )
    .await
    .expect("first apply");
    // Another manager adds its own label, and co-owns `y` with the same value.
    cms.patch(
        "settings",
        &PatchParams {
            field_manager: Some("kubectl-label".into()),
            ..Default::default()
        },
        &Patch::Merge(json!({"metadata": {"labels": {"c": "3"}}})),
    )
    .await
    .expect("label");
    cms.patch("settings", &apply_params("other"), &Patch::Apply(json!({
        "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings"}, "data": {"y": "2"}})))
        .await
        .expect("co-owner applies the same value");
    let cm = cms
        .patch(
            "settings",
            &pp,
            &Patch::Apply(config_map(json!({"a": "1"}), json!({"x": "1"}))),
        )
        .await
        .expect("second apply");
    let labels = cm.labels();
    assert_eq!(labels.get("a").map(String::as_str), Some("1"));
    assert!(
        !labels.contains_key("b"),
        "the label bosun dropped is removed: {labels:?}"
    );
    assert_eq!(
        labels.get("c").map(String::as_str),
        Some("3"),
        "other manager's label stays"
    );
    let data = cm.data.clone().unwrap_or_default();
    assert_eq!(
        data.get("y").map(String::as_str),
        Some("2"),
        "still owned by `other`"
    );
    assert!(
        fields_of(&cm, "bosun")["f:metadata"]["f:labels"]
            .get("f:b")
            .is_none()
    );
}

#[tokio::test]
async fn dry_run_apply_returns_the_result_and_stores_nothing() {
    let (_sim, client) = start().await;
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    let before = cms
        .patch(
            "settings",
            &apply_params("bosun").force(),
            &Patch::Apply(config_map(json!({"a": "1"}), json!({"x": "1"}))),
        )
        .await
        .expect("apply");
    let rv = before.resource_version().expect("rv");
    let mut events = cms
        .watch(&WatchParams::default().timeout(3), &rv)
        .await
        .expect("watch")
        .boxed();

    let mut pp = apply_params("bosun").force();
    pp.dry_run = true;
    let dry = cms
        .patch(
            "settings",
            &pp,
            &Patch::Apply(config_map(json!({"a": "2"}), json!({"x": "1", "z": "9"}))),
        )
        .await
        .expect("dry-run apply");
    assert_eq!(dry.labels().get("a").map(String::as_str), Some("2"));
    assert_eq!(
        dry.data
            .as_ref()
            .and_then(|d| d.get("z"))
            .map(String::as_str),
        Some("9")
    );

    // Dry-run create of something absent: returned, not stored.
    let dry_new = cms
        .patch(
            "ghost",
            &pp,
            &Patch::Apply(
                json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ghost"}}),
            ),
        )
        .await
        .expect("dry-run create");
    assert_eq!(dry_new.name_any(), "ghost");
    assert!(cms.get_opt("ghost").await.expect("get").is_none());

    let live = cms.get("settings").await.expect("get");
    assert_eq!(live.labels().get("a").map(String::as_str), Some("1"));
    assert_eq!(live.resource_version(), Some(rv.clone()));

    // A real write afterwards is the first event the watch sees.
    cms.patch(
        "settings",
        &apply_params("bosun").force(),
        &Patch::Apply(config_map(json!({"a": "3"}), json!({"x": "1"}))),
    )
    .await
    .expect("apply");
    let first = tokio::time::timeout(Duration::from_secs(5), events.next())
        .await
        .expect("an event in time");
    match first {
        Some(Ok(WatchEvent::Modified(cm))) => {
            assert_eq!(
                cm.labels().get("a").map(String::as_str),
                Some("3"),
                "no dry-run event first"
            )
        }
        other => panic!("unexpected first event: {other:?}"),
    }
}

fn widget_crd() -> Value {
    json!({
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {
            "group": "example.com",
            "scope": "Namespaced",
            "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "shortNames": ["wd"]},
            "versions": [{
                "name": "v1", "served": true, "storage": true,
                "subresources": {"status": {}},
                "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}
            }]
        }
    })
}

fn established(crd: &CustomResourceDefinition) -> bool {
    crd.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|cs| {
            cs.iter()
                .any(|c| c.type_ == "Established" && c.status == "True")
        })
}

#[tokio::test]
async fn crds_become_served_resources() {
    let (_sim, client) = start().await;
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    let created = crds
        .patch(
            "widgets.example.com",
            &apply_params("bosun").force(),
            &Patch::Apply(widget_crd()),
        )
        .await
        .expect("apply the CRD");
    assert!(!established(&created), "not Established at once");

    let mut ok = false;
    for _ in 0..50 {
        if established(&crds.get("widgets.example.com").await.expect("get crd")) {
            ok = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(ok, "the CRD becomes Established");
    let crd = crds.get("widgets.example.com").await.expect("get crd");
    let types: Vec<String> = crd
        .status
        .and_then(|s| s.conditions)
        .unwrap_or_default()
        .into_iter()
        .map(|c| c.type_)
        .collect();
    assert!(types.contains(&"NamesAccepted".to_string()), "{types:?}");

    let gvk = GroupVersionKind::gvk("example.com", "v1", "Widget");
    let ar = ApiResource::from_gvk_with_plural(&gvk, "widgets");
    let widgets: Api<DynamicObject> = Api::namespaced_with(client.clone(), "default", &ar);
    let w = widgets
        .patch(
            "gear",
            &apply_params("bosun").force(),
            &Patch::Apply(json!({"apiVersion": "example.com/v1", "kind": "Widget",
                "metadata": {"name": "gear"}, "spec": {"teeth": 12}})),
        )
        .await
        .expect("apply a custom object");
    assert_eq!(w.data["spec"]["teeth"], json!(12));
    let list = widgets.list(&ListParams::default()).await.expect("list");
    assert_eq!(list.items.len(), 1);
    let all: Api<DynamicObject> = Api::all_with(client.clone(), &ar);
    assert_eq!(
        all.list(&ListParams::default())
            .await
            .expect("list all")
            .items
            .len(),
        1
    );

    let discovery = Discovery::new(client.clone())
        .run()
        .await
        .expect("discovery");
    let found = discovery
        .groups()
        .find(|g| g.name() == "example.com")
        .and_then(|g| g.recommended_kind("Widget"));
    let (res, caps) = found.expect("Widget is discovered");
    assert_eq!(res.plural, "widgets");
    assert_eq!(caps.scope, kube::discovery::Scope::Namespaced);

    crds.delete("widgets.example.com", &DeleteParams::default())
        .await
        .expect("delete the CRD");
    let err = widgets.get("gear").await.expect_err("resource is gone");
    assert!(
        matches!(err, kube::Error::Api(ref s) if s.code == 404),
        "{err:?}"
    );
    let discovery = Discovery::new(client.clone())
        .run()
        .await
        .expect("discovery");
    assert!(discovery.groups().all(|g| g.name() != "example.com"));
}

#[tokio::test]
async fn kubectl_server_side_apply() {
    let (sim, _client) = start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("cm.yaml");
    std::fs::write(
        &file,
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-kubectl\n  namespace: default\ndata:\n  greeting: hello\n",
    )
    .expect("write manifest");
    let kubeconfig = sim.kubeconfig_path().to_path_buf();
    let run = move |args: Vec<String>| {
        std::process::Command::new("kubectl")
            .arg("--kubeconfig")
            .arg(&kubeconfig)
            .args(args)
            .output()
    };
    let f = file.display().to_string();
    let apply = vec![
        "apply".to_string(),
        "--server-side".into(),
        "--field-manager=bosun".into(),
        // kubectl validates against /openapi/v3, which the sim does not serve.
        "--validate=false".into(),
        "-f".into(),
        f.clone(),
    ];
    let run2 = run.clone();
    let out = match tokio::task::spawn_blocking(move || run2(apply))
        .await
        .expect("join")
    {
        Ok(out) => out,
        Err(e) => {
            println!("skipping: kubectl is not runnable here: {e}");
            return;
        }
    };
    assert!(
        out.status.success(),
        "kubectl apply --server-side: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("configmap/from-kubectl serverside-applied")
    );
    let cm = sim
        .get_object("v1", "ConfigMap", Some("default"), "from-kubectl")
        .expect("created");
    assert_eq!(cm["data"]["greeting"], json!("hello"));
    assert_eq!(
        cm["metadata"]["managedFields"][0]["manager"],
        json!("bosun")
    );

    // A server-side dry run changes nothing.
    std::fs::write(
        &file,
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-kubectl\n  namespace: default\ndata:\n  greeting: bye\n",
    )
    .expect("write manifest");
    let f2 = f.clone();
    let run3 = run.clone();
    let dry = vec![
        "apply".to_string(),
        "--server-side".into(),
        "--field-manager=bosun".into(),
        "--dry-run=server".into(),
        "--validate=false".into(),
        "-o".into(),
        "json".into(),
        "-f".into(),
        f,
    ];
    let out = tokio::task::spawn_blocking(move || run(dry))
        .await
        .expect("join")
        .expect("kubectl runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let shown: Value = serde_json::from_slice(&out.stdout).expect("json output");
    let diff = vec![
        "diff".to_string(),
        "--server-side".into(),
        "--field-manager=bosun".into(),
        "-f".into(),
        f2,
    ];
    let out = tokio::task::spawn_blocking(move || run3(diff))
        .await
        .expect("join")
        .expect("kubectl runs");
    // `kubectl diff --server-side` is a dry-run apply; exit 1 means "differs".
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "kubectl diff: {text} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("-  greeting: hello") && text.contains("+  greeting: bye"),
        "{text}"
    );
    assert_eq!(shown["data"]["greeting"], json!("bye"));
    let cm = sim
        .get_object("v1", "ConfigMap", Some("default"), "from-kubectl")
        .expect("still there");
    assert_eq!(cm["data"]["greeting"], json!("hello"));
}

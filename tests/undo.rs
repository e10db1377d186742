//! A Deployment's revisions and undo with kubectl's semantics
//! (`kubectl rollout history` / `rollout undo [--to-revision]`): the
//! simulated cluster's deployment controller makes one ReplicaSet per
//! template with its revision and change-cause; what an undo did is read
//! back from the cluster.

mod common;

use std::time::Duration;

use crossterm::event::KeyCode;
use k8s_openapi::api::apps::v1::Deployment;
use kube::Api;
use kube::api::{Patch, PatchParams, PostParams};
use serde_json::json;

use bosun::app::view::ViewKind;
use bosun::cluster::kind::ResourceKind;
use bosun::sim::{SimCluster, SimOptions};

const WAIT: Duration = Duration::from_secs(20);

async fn image(api: &Api<Deployment>) -> String {
    api.get("web")
        .await
        .ok()
        .and_then(|d| d.spec?.template.spec?.containers.first()?.image.clone())
        .unwrap_or_default()
}

async fn revision(api: &Api<Deployment>) -> String {
    api.get("web")
        .await
        .ok()
        .and_then(|d| {
            d.metadata
                .annotations?
                .get("deployment.kubernetes.io/revision")
                .cloned()
        })
        .unwrap_or_default()
}

/// web at web:1, web:2, web:3, each with a change-cause: revisions 1–3.
async fn three_revisions(sim: &SimCluster) -> Api<Deployment> {
    let client = common::kube_client(sim).await;
    let api: Api<Deployment> = Api::namespaced(client, "default");
    let web: Deployment = serde_json::from_value(json!({
        "metadata": {"name": "web", "annotations": {"kubernetes.io/change-cause": "deploy web:1"}},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "web", "image": "web:1"}]}}
        }
    }))
    .expect("deployment");
    api.create(&PostParams::default(), &web)
        .await
        .expect("create");
    for version in 1..=3 {
        if version > 1 {
            let patch = json!({
                "metadata": {"annotations": {"kubernetes.io/change-cause": format!("bump to web:{version}")}},
                "spec": {"template": {"spec": {"containers": [{"name": "web", "image": format!("web:{version}")}]}}}
            });
            api.patch("web", &PatchParams::default(), &Patch::Strategic(&patch))
                .await
                .expect("bump");
        }
        let deadline = tokio::time::Instant::now() + WAIT;
        while revision(&api).await != version.to_string() {
            assert!(
                tokio::time::Instant::now() < deadline,
                "revision {version} never came"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    api
}

async fn bosun(sim: &SimCluster, args: &[&str]) -> (Option<i32>, String) {
    let state = tempfile::tempdir().expect("state");
    let out = common::bosun_cli(sim.kubeconfig_path(), state.path(), state.path(), args).await;
    (out.status.code(), common::output_text(&out))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bosun_undo_follows_kubectl_rollout_undo() {
    let sim = SimCluster::start(SimOptions {
        rollout_step: Duration::from_millis(30),
        ..SimOptions::default()
    })
    .await
    .expect("sim");
    let api = three_revisions(&sim).await;

    let (code, history) = bosun(&sim, &["undo", "deploy/web", "--history"]).await;
    assert_eq!(code, Some(0), "{history}");
    assert!(
        history.contains("REVISION  CHANGE-CAUSE\n1         deploy web:1\n2         bump to web:2\n3         bump to web:3"),
        "{history}"
    );

    // No revision named: the previous one.
    let (code, said) = bosun(&sim, &["undo", "deploy/web", "--wait", "--timeout", "30s"]).await;
    assert_eq!(code, Some(0), "{said}");
    assert!(said.contains("deployment.apps/web rolled back"), "{said}");
    assert_eq!(image(&api).await, "web:2");
    let annotations = api
        .get("web")
        .await
        .expect("web")
        .metadata
        .annotations
        .unwrap_or_default();
    assert_eq!(
        annotations
            .get("kubernetes.io/change-cause")
            .map(String::as_str),
        Some("bump to web:2"),
        "the ReplicaSet's annotations come back with its template"
    );

    let (code, said) = bosun(
        &sim,
        &["undo", "deploy/web", "--to-revision", "1", "--wait"],
    )
    .await;
    assert_eq!(code, Some(0), "{said}");
    assert_eq!(image(&api).await, "web:1");

    // The revision running now: skipped, as kubectl says it.
    let now = revision(&api).await;
    let (code, said) = bosun(&sim, &["undo", "deploy/web", "--to-revision", &now]).await;
    assert_eq!(code, Some(0), "{said}");
    assert!(
        said.contains(&format!(
            "skipped rollback (current template already matches revision {now})"
        )),
        "{said}"
    );

    let (code, said) = bosun(&sim, &["undo", "deploy/web", "--to-revision", "42"]).await;
    assert_eq!(code, Some(2), "{said}");
    assert!(
        said.contains("unable to find specified revision 42 in history"),
        "{said}"
    );

    api.patch(
        "web",
        &PatchParams::default(),
        &Patch::Merge(&json!({"spec": {"paused": true}})),
    )
    .await
    .expect("pause");
    let (code, said) = bosun(&sim, &["undo", "deploy/web"]).await;
    assert_eq!(code, Some(2), "{said}");
    assert!(
        said.contains("you cannot rollback a paused deployment"),
        "{said}"
    );
    assert_eq!(image(&api).await, "web:1", "nothing changed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn h_lists_the_revisions_and_u_undoes_to_the_one_shown() {
    let sim = SimCluster::start(SimOptions {
        rollout_step: Duration::from_millis(30),
        ..SimOptions::default()
    })
    .await
    .expect("sim");
    let api = three_revisions(&sim).await;
    let mut app =
        common::Harness::start(&sim, ViewKind::Resource(ResourceKind::Deployments), 180, 30).await;
    app.wait_for("web listed", WAIT, |_, screen| screen.contains("web"))
        .await;
    app.key(KeyCode::Char('h')).await;
    app.wait_for("the revisions", WAIT, |state, _| state.picker.is_some())
        .await;
    let choices = app
        .state
        .picker
        .as_ref()
        .map(|p| p.choices.clone())
        .unwrap_or_default();
    assert_eq!(choices.len(), 3, "{choices:?}");
    assert!(
        choices[0].starts_with("3")
            && choices[0].contains("bump to web:3")
            && choices[0].contains("(current)"),
        "{choices:?}"
    );
    assert!(
        choices[2].starts_with("1") && choices[2].contains("web:1"),
        "{choices:?}"
    );
    app.key(KeyCode::Char('j')).await;
    app.key(KeyCode::Char('j')).await;
    app.key(KeyCode::Enter).await;
    let detail = app.state.detail.clone().expect("the revision's diff");
    assert!(
        detail
            .title
            .starts_with("deployment/web revision 1 — u undo to it"),
        "{}",
        detail.title
    );
    let text = detail.lines.join("\n");
    assert!(
        text.contains("-  - image: web:3") && text.contains("+  - image: web:1"),
        "{text}"
    );
    app.key(KeyCode::Char('u')).await;
    let question = app.question();
    assert!(
        question.starts_with("Undo deployment/web -n default to revision 1? (kubectl rollout undo deployment/web -n default --to-revision=1)"),
        "{question}"
    );
    app.key(KeyCode::Char('y')).await;
    let deadline = tokio::time::Instant::now() + WAIT;
    while image(&api).await != "web:1" {
        assert!(tokio::time::Instant::now() < deadline, "never rolled back");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    app.wait_for("the rollout panel", WAIT, |state, _| {
        !state.rollouts.is_empty()
    })
    .await;
}

/// A StatefulSet `web` and a DaemonSet `agent` at :1, :2, :3, each with a
/// change-cause: ControllerRevisions 1–3.
async fn controller_revisions(sim: &SimCluster) {
    use k8s_openapi::api::apps::v1::{DaemonSet, StatefulSet};
    let client = common::kube_client(sim).await;
    let sts: Api<StatefulSet> = Api::namespaced(client.clone(), "default");
    let ds: Api<DaemonSet> = Api::namespaced(client.clone(), "default");
    let spec = |app: &str| {
        json!({
            "metadata": {"name": app, "annotations": {"kubernetes.io/change-cause": format!("deploy {app}:1")}},
            "spec": {
                "replicas": 1,
                "serviceName": app,
                "selector": {"matchLabels": {"app": app}},
                "template": {"metadata": {"labels": {"app": app}},
                    "spec": {"containers": [{"name": app, "image": format!("{app}:1")}]}}
            }
        })
    };
    sts.create(
        &PostParams::default(),
        &serde_json::from_value(spec("web")).expect("sts"),
    )
    .await
    .expect("create sts");
    ds.create(
        &PostParams::default(),
        &serde_json::from_value(spec("agent")).expect("ds"),
    )
    .await
    .expect("create ds");
    for version in 1..=3 {
        for app in ["web", "agent"].into_iter().filter(|_| version > 1) {
            let patch = json!({
                "metadata": {"annotations": {"kubernetes.io/change-cause": format!("bump to {app}:{version}")}},
                "spec": {"template": {"spec": {"containers": [{"name": app, "image": format!("{app}:{version}")}]}}}
            });
            let params = PatchParams::default();
            if app == "web" {
                sts.patch(app, &params, &Patch::Strategic(&patch))
                    .await
                    .expect("bump");
            } else {
                ds.patch(app, &params, &Patch::Strategic(&patch))
                    .await
                    .expect("bump");
            }
        }
        // Each template becomes a revision on the controllers' next tick.
        let revisions: Api<k8s_openapi::api::apps::v1::ControllerRevision> =
            Api::namespaced(client.clone(), "default");
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let list = revisions.list(&Default::default()).await.expect("list");
            if list
                .items
                .iter()
                .filter(|cr| cr.revision == version)
                .count()
                == 2
            {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "revision {version} never came"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statefulsets_and_daemonsets_undo_through_their_controller_revisions() {
    use k8s_openapi::api::apps::v1::{DaemonSet, StatefulSet};
    let sim = SimCluster::start(SimOptions {
        rollout_step: Duration::from_millis(30),
        ..SimOptions::default()
    })
    .await
    .expect("sim");
    controller_revisions(&sim).await;
    let client = common::kube_client(&sim).await;

    let (code, history) = bosun(&sim, &["undo", "sts/web", "--history"]).await;
    assert_eq!(code, Some(0), "{history}");
    assert!(
        history.contains("statefulset.apps/web\nREVISION  CHANGE-CAUSE\n1         deploy web:1\n2         bump to web:2\n3         bump to web:3"),
        "{history}"
    );

    let (code, said) = bosun(&sim, &["undo", "sts/web", "--wait", "--timeout", "30s"]).await;
    assert_eq!(code, Some(0), "{said}");
    assert!(said.contains("statefulset.apps/web rolled back"), "{said}");
    let patch = sim.client_patches().last().cloned().expect("patched");
    assert_eq!(patch.kind, "StatefulSet");
    assert_eq!(patch.content_type, "application/strategic-merge-patch+json");
    assert_eq!(
        patch.body.pointer("/spec/template/$patch"),
        Some(&json!("replace")),
        "the revision's data, as kubectl sends it: {}",
        patch.body
    );
    let sts: Api<StatefulSet> = Api::namespaced(client.clone(), "default");
    let image = |t: Option<k8s_openapi::api::core::v1::PodTemplateSpec>| {
        t.and_then(|t| t.spec?.containers.first()?.image.clone())
            .unwrap_or_default()
    };
    assert_eq!(
        image(
            sts.get("web")
                .await
                .ok()
                .and_then(|s| s.spec)
                .map(|s| s.template)
        ),
        "web:2"
    );

    // Revision 2 came back as the newest: undoing to it again is a skip.
    let (code, said) = bosun(&sim, &["undo", "sts/web", "--to-revision", "4"]).await;
    assert_eq!(code, Some(0), "{said}");
    assert!(
        said.contains(
            "statefulset.apps/web skipped rollback (current template already matches revision 4)"
        ),
        "{said}"
    );

    let (code, said) = bosun(&sim, &["undo", "ds/agent", "--to-revision", "1", "--wait"]).await;
    assert_eq!(code, Some(0), "{said}");
    assert!(said.contains("daemonset.apps/agent rolled back"), "{said}");
    let ds: Api<DaemonSet> = Api::namespaced(client.clone(), "default");
    assert_eq!(
        image(
            ds.get("agent")
                .await
                .ok()
                .and_then(|d| d.spec)
                .map(|s| s.template)
        ),
        "agent:1"
    );
    let (code, said) = bosun(&sim, &["undo", "ds/agent", "--to-revision", "9"]).await;
    assert_eq!(code, Some(2), "{said}");
    assert!(
        said.contains("unable to find specified revision 9 in history"),
        "{said}"
    );
}

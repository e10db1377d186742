//! Argo Rollouts as the kubectl-argo-rollouts plugin drives them: every
//! action's request is asserted at the simulated API server (patch type,
//! subresource, body, as cmd/{promote,abort,retry,pause,restart,set} send
//! them), and what the simulated rollouts controller did with it is read
//! back as the plugin's status words.

mod common;

use std::time::Duration;

use kube::Api;
use kube::api::{DynamicObject, PostParams};
use serde_json::{Value, json};

use bosun::cluster::argo_rollouts::actions::{self, RolloutAction};
use bosun::cluster::argo_rollouts::{self as argo, Phase};
use bosun::cluster::rows::argo::RolloutRow;
use bosun::sim::{SimCluster, SimOptions};

const WAIT: Duration = Duration::from_secs(30);

async fn sim() -> SimCluster {
    SimCluster::start(SimOptions {
        rollout_step: Duration::from_millis(30),
        argo_rollouts: true,
        ..SimOptions::default()
    })
    .await
    .expect("sim")
}

fn rollout_api(client: &kube::Client) -> Api<DynamicObject> {
    Api::namespaced_with(client.clone(), "default", &argo::rollout_resource())
}

fn canary(name: &str, image: &str, steps: Value) -> DynamicObject {
    serde_json::from_value(json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Rollout",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {
            "replicas": 5,
            "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "web", "image": image}]}},
            "strategy": {"canary": {"steps": steps}}
        }
    }))
    .expect("rollout")
}

async fn row(api: &Api<DynamicObject>, name: &str) -> RolloutRow {
    RolloutRow::from_object(&api.get(name).await.expect("rollout"))
}

async fn wait_row(
    api: &Api<DynamicObject>,
    name: &str,
    what: &str,
    done: impl Fn(&RolloutRow) -> bool,
) -> RolloutRow {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let row = row(api, name).await;
        if done(&row) {
            return row;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what}: still {} ({}) step {} weight {}",
            row.phase.as_str(),
            row.message,
            row.step,
            row.set_weight
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A canary `NAME` deployed at `NAME:1`, then set to `NAME:2` with the
/// plugin's set image: paused at its first pause, all five pods ready.
async fn paused_canary(sim: &SimCluster, name: &str) -> (kube::Client, Api<DynamicObject>) {
    let client = common::kube_client(sim).await;
    let api = rollout_api(&client);
    api.create(
        &PostParams::default(),
        &canary(name, &format!("{name}:1"), steps()),
    )
    .await
    .expect("create");
    wait_row(&api, name, "initial deploy", |r| r.phase == Phase::Healthy).await;
    let set = RolloutAction::SetImage {
        container: "*".into(),
        image: format!("{name}:2"),
    };
    actions::perform(&client, "default", name, &set)
        .await
        .expect("set image");
    wait_row(&api, name, "paused", |r| {
        r.phase == Phase::Paused && r.ready == 5
    })
    .await;
    (client, api)
}

fn last_patch(sim: &SimCluster) -> bosun::sim::ClientPatch {
    sim.client_patches()
        .last()
        .cloned()
        .expect("a patch was sent")
}

fn steps() -> Value {
    json!([{"setWeight": 20}, {"pause": {}}, {"setWeight": 60}, {"pause": {"duration": 1}}])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn canary_pauses_at_its_step_and_promote_sends_what_the_plugin_sends() {
    let sim = sim().await;
    let client = common::kube_client(&sim).await;
    let api = rollout_api(&client);
    api.create(&PostParams::default(), &canary("web", "web:1", steps()))
        .await
        .expect("create");
    let first = wait_row(&api, "web", "initial deploy", |r| r.phase == Phase::Healthy).await;
    assert_eq!(&*first.step, "4/4", "an initial deploy skips the steps");

    let said = actions::perform(
        &client,
        "default",
        "web",
        &RolloutAction::SetImage {
            container: "web".into(),
            image: "web:2".into(),
        },
    )
    .await
    .expect("set image");
    assert_eq!(said, "rollout \"web\" image updated");
    let paused = wait_row(&api, "web", "the pause step", |r| r.phase == Phase::Paused).await;
    assert_eq!(&*paused.message, "CanaryPauseStep");
    assert_eq!(&*paused.step, "1/4");
    assert_eq!(&*paused.set_weight, "20");
    assert_eq!(
        (paused.desired, paused.updated),
        (5, 1),
        "20% of 5 is one canary pod"
    );

    let said = actions::perform(&client, "default", "web", &RolloutAction::Promote)
        .await
        .expect("promote");
    assert_eq!(said, "rollout 'web' promoted");
    let patch = last_patch(&sim);
    assert_eq!(patch.subresource.as_deref(), Some("status"));
    assert_eq!(patch.content_type, "application/merge-patch+json");
    assert_eq!(patch.body, json!({"status": {"pauseConditions": null}}));

    let done = wait_row(&api, "web", "the rest of the steps", |r| {
        r.phase == Phase::Healthy
    })
    .await;
    assert_eq!(&*done.step, "4/4");
    assert_eq!(done.updated, 5);
    let status = done.rollout.0.status();
    assert_eq!(status.stable_rs, status.current_pod_hash, "fully promoted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn abort_retry_and_promote_full_follow_the_plugin() {
    let sim = sim().await;
    let (client, api) = paused_canary(&sim, "shop").await;

    actions::perform(&client, "default", "shop", &RolloutAction::Abort)
        .await
        .expect("abort");
    let patch = last_patch(&sim);
    assert_eq!(patch.subresource.as_deref(), Some("status"));
    assert_eq!(patch.body, json!({"status": {"abort": true}}));
    let aborted = wait_row(&api, "shop", "aborted", |r| {
        r.phase == Phase::Degraded && r.ready == 5 && r.updated == 0
    })
    .await;
    assert_eq!(
        &*aborted.message,
        "RolloutAborted: Rollout aborted update to revision 2"
    );
    assert_eq!(&*aborted.set_weight, "0", "an aborted canary weighs 0");

    actions::perform(&client, "default", "shop", &RolloutAction::Retry)
        .await
        .expect("retry");
    assert_eq!(last_patch(&sim).body, json!({"status": {"abort": false}}));
    wait_row(&api, "shop", "paused again after the retry", |r| {
        r.phase == Phase::Paused && &*r.message == "CanaryPauseStep"
    })
    .await;

    let before = sim.client_patches().len();
    actions::perform(&client, "default", "shop", &RolloutAction::PromoteFull)
        .await
        .expect("promote full");
    let patch = last_patch(&sim);
    assert_eq!(sim.client_patches().len(), before + 1);
    assert_eq!(patch.subresource.as_deref(), Some("status"));
    assert_eq!(patch.body, json!({"status": {"promoteFull": true}}));
    wait_row(&api, "shop", "fully promoted", |r| {
        r.phase == Phase::Healthy
    })
    .await;

    // Already fully promoted: the plugin sends nothing and says so.
    let before = sim.client_patches().len();
    let said = actions::perform(&client, "default", "shop", &RolloutAction::PromoteFull)
        .await
        .expect("promote full again");
    assert_eq!(said, "rollout 'shop' fully promoted");
    assert_eq!(sim.client_patches().len(), before, "no request");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pause_resume_and_restart_patch_the_spec() {
    let sim = sim().await;
    let client = common::kube_client(&sim).await;
    let api = rollout_api(&client);
    api.create(&PostParams::default(), &canary("api", "api:1", steps()))
        .await
        .expect("create");
    wait_row(&api, "api", "initial deploy", |r| r.phase == Phase::Healthy).await;

    actions::perform(&client, "default", "api", &RolloutAction::Pause)
        .await
        .expect("pause");
    let patch = last_patch(&sim);
    assert_eq!(patch.subresource, None);
    assert_eq!(patch.body, json!({"spec": {"paused": true}}));
    let paused = wait_row(&api, "api", "manually paused", |r| r.phase == Phase::Paused).await;
    assert_eq!(&*paused.message, "manually paused");

    actions::perform(&client, "default", "api", &RolloutAction::Resume)
        .await
        .expect("resume");
    assert_eq!(last_patch(&sim).body, json!({"spec": {"paused": false}}));
    wait_row(&api, "api", "resumed", |r| r.phase == Phase::Healthy).await;

    let pods: Api<k8s_openapi::api::core::v1::Pod> = Api::namespaced(client.clone(), "default");
    let names = |list: kube::api::ObjectList<k8s_openapi::api::core::v1::Pod>| {
        list.items
            .into_iter()
            .filter_map(|p| p.metadata.name)
            .filter(|n| n.starts_with("api-"))
            .collect::<std::collections::BTreeSet<_>>()
    };
    let before = names(pods.list(&Default::default()).await.expect("pods"));
    // restartAt has a second's resolution: pods made in this second would
    // not count as older.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    actions::perform(&client, "default", "api", &RolloutAction::Restart)
        .await
        .expect("restart");
    let patch = last_patch(&sim);
    assert_eq!(patch.subresource, None);
    let restart_at = patch
        .body
        .pointer("/spec/restartAt")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    assert!(
        restart_at.parse::<jiff::Timestamp>().is_ok() && restart_at.ends_with('Z'),
        "RFC 3339 UTC: {restart_at}"
    );
    wait_row(&api, "api", "restarted", |r| {
        r.phase == Phase::Healthy
            && r.rollout.0.status().restarted_at.as_deref() == Some(restart_at.as_str())
    })
    .await;
    let after = names(pods.list(&Default::default()).await.expect("pods"));
    assert!(
        before.is_disjoint(&after),
        "every pod was replaced: {before:?} {after:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blue_green_waits_for_promote_with_the_preview_service_on_the_new_pods() {
    let sim = sim().await;
    let client = common::kube_client(&sim).await;
    let services: Api<k8s_openapi::api::core::v1::Service> =
        Api::namespaced(client.clone(), "default");
    for name in ["shop-active", "shop-preview"] {
        let svc = serde_json::from_value(json!({
            "metadata": {"name": name},
            "spec": {"selector": {"app": "shop"}, "ports": [{"port": 80}]}
        }))
        .expect("service");
        services
            .create(&PostParams::default(), &svc)
            .await
            .expect("service");
    }
    let api = rollout_api(&client);
    let rollout: DynamicObject = serde_json::from_value(json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Rollout",
        "metadata": {"name": "shop", "namespace": "default"},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "shop"}},
            "template": {"metadata": {"labels": {"app": "shop"}},
                "spec": {"containers": [{"name": "shop", "image": "shop:blue"}]}},
            "strategy": {"blueGreen": {"activeService": "shop-active",
                "previewService": "shop-preview", "autoPromotionEnabled": false,
                "scaleDownDelaySeconds": 0}}
        }
    }))
    .expect("rollout");
    api.create(&PostParams::default(), &rollout)
        .await
        .expect("create");
    let first = wait_row(&api, "shop", "initial deploy", |r| {
        r.phase == Phase::Healthy
    })
    .await;
    assert_eq!(first.strategy, "BlueGreen");
    assert_eq!(&*first.step, "-");
    let blue = first.rollout.0.status().current_pod_hash.clone();

    actions::perform(
        &client,
        "default",
        "shop",
        &RolloutAction::SetImage {
            container: "shop".into(),
            image: "shop:green".into(),
        },
    )
    .await
    .expect("set image");
    let paused = wait_row(&api, "shop", "BlueGreenPause", |r| r.phase == Phase::Paused).await;
    assert_eq!(&*paused.message, "BlueGreenPause");
    let status = paused.rollout.0.status();
    assert_eq!(status.blue_green.active_selector, blue, "still blue");
    let green = status.current_pod_hash.clone();
    assert_ne!(green, blue);
    assert_eq!(
        status.blue_green.preview_selector, green,
        "preview on green"
    );
    let selector = |svc: k8s_openapi::api::core::v1::Service| {
        svc.spec
            .and_then(|s| s.selector)
            .and_then(|s| s.get(argo::HASH_LABEL).cloned())
            .unwrap_or_default()
    };
    assert_eq!(
        selector(services.get("shop-active").await.expect("svc")),
        blue
    );

    actions::perform(&client, "default", "shop", &RolloutAction::Promote)
        .await
        .expect("promote");
    assert_eq!(
        last_patch(&sim).body,
        json!({"status": {"pauseConditions": null}})
    );
    wait_row(&api, "shop", "cut over", |r| r.phase == Phase::Healthy).await;
    assert_eq!(
        selector(services.get("shop-active").await.expect("svc")),
        green
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_step_analysis_aborts_with_the_runs_message() {
    let sim = sim().await;
    let client = common::kube_client(&sim).await;
    let api = rollout_api(&client);
    let mut rollout = canary(
        "pay",
        "pay:1",
        json!([{"setWeight": 20}, {"analysis": {"templates": [{"templateName": "success-rate"}]}}]),
    );
    rollout.metadata.annotations =
        Some([("sim.bosun.dev/analysis".to_string(), "fail".to_string())].into());
    api.create(&PostParams::default(), &rollout)
        .await
        .expect("create");
    wait_row(&api, "pay", "initial deploy", |r| r.phase == Phase::Healthy).await;
    actions::perform(
        &client,
        "default",
        "pay",
        &RolloutAction::SetImage {
            container: "web".into(),
            image: "pay:2".into(),
        },
    )
    .await
    .expect("set image");
    let degraded = wait_row(&api, "pay", "aborted by analysis", |r| {
        r.phase == Phase::Degraded
    })
    .await;
    assert_eq!(
        &*degraded.message,
        "RolloutAborted: Rollout aborted update to revision 2: metric \"success-rate\" assessed Failed due to failed (1) > failureLimit (0)"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_view_shows_the_live_picture_and_p_promotes_after_the_confirm() {
    use bosun::app::view::ViewKind;
    use bosun::cluster::kind::ResourceKind;
    use crossterm::event::KeyCode;

    let sim = sim().await;
    let (_client, _api) = paused_canary(&sim, "web").await;

    let mut app =
        common::Harness::start(&sim, ViewKind::Resource(ResourceKind::Rollouts), 180, 45).await;
    app.wait_for("the paused canary listed", WAIT, |_, screen| {
        screen.contains("web") && screen.contains("Paused") && screen.contains("CanaryPauseStep")
    })
    .await;
    let screen = app.screen();
    for column in ["STRATEGY", "STEP", "SET-WEIGHT", "ACTUAL-WEIGHT", "IMAGES"] {
        assert!(screen.contains(column), "{column}: {screen}");
    }
    assert!(screen.contains("1/4"), "{screen}");

    app.key(KeyCode::Enter).await;
    app.wait_for("the picture", WAIT, |_, screen| {
        screen.contains("⧉ web-") && screen.contains("(canary)")
    })
    .await;
    let picture = app.detail_text();
    assert!(picture.contains("Status:          ॥ Paused"), "{picture}");
    assert!(picture.contains("  SetWeight:     20"), "{picture}");
    assert!(picture.contains("  ActualWeight:  20"), "{picture}");
    assert!(
        picture.contains("web:1 (stable)") && picture.contains("web:2 (canary)"),
        "{picture}"
    );
    assert!(
        picture.contains("▶ 1  pause: {}"),
        "the current step is marked: {picture}"
    );
    assert!(
        picture.contains("# revision:2") && picture.contains("# revision:1"),
        "{picture}"
    );

    let before = sim.client_patches().len();
    app.key(KeyCode::Char('p')).await;
    let question = app.question();
    assert!(
        question.contains("Promote rollout default/web (now Paused - CanaryPauseStep, step 1/4)?"),
        "{question}"
    );
    assert_eq!(
        sim.client_patches().len(),
        before,
        "nothing before the confirm"
    );
    app.key(KeyCode::Char('y')).await;
    // The picture moves with the watchers: the next pause is step 3.
    app.wait_for("the next pause in the picture", WAIT, |state, _| {
        state
            .detail
            .as_ref()
            .is_some_and(|d| d.lines.iter().any(|l| l == "  Step:          3/4"))
    })
    .await;
    let patch = last_patch(&sim);
    assert_eq!(patch.body, json!({"status": {"pauseConditions": null}}));
    let audit = std::fs::read_to_string(app.audit_dir.path().join("audit.log")).unwrap_or_default();
    assert!(audit.contains("rollouts promote web -n default"), "{audit}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_crd_the_view_says_argo_rollouts_is_not_installed() {
    use bosun::app::view::ViewKind;
    use bosun::cluster::kind::ResourceKind;

    let sim = SimCluster::start(SimOptions::default()).await.expect("sim");
    let mut app =
        common::Harness::start(&sim, ViewKind::Resource(ResourceKind::Rollouts), 160, 30).await;
    app.wait_for("the not-installed message", WAIT, |_, screen| {
        screen.contains("Argo Rollouts is not installed")
    })
    .await;
    let screen = app.screen();
    assert!(!screen.contains("404"), "not an error: {screen}");
}

async fn bosun_rollout(
    sim: &SimCluster,
    state: &std::path::Path,
    args: &[&str],
) -> (Option<i32>, String) {
    let out = common::bosun_cli(sim.kubeconfig_path(), state, state, args).await;
    (out.status.code(), common::output_text(&out))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bosun_rollout_commands_and_status_with_exit_codes() {
    let sim = sim().await;
    let client = common::kube_client(&sim).await;
    let api = rollout_api(&client);
    api.create(&PostParams::default(), &canary("web", "web:1", steps()))
        .await
        .expect("create");
    wait_row(&api, "web", "initial deploy", |r| r.phase == Phase::Healthy).await;
    let state = tempfile::tempdir().expect("state");
    let state = state.path();

    let (code, said) = bosun_rollout(
        &sim,
        state,
        &["rollout", "set-image", "web", "web=web:2", "--wait"],
    )
    .await;
    assert_eq!(code, Some(0), "{said}");
    assert!(said.contains("rollout \"web\" image updated"), "{said}");
    assert!(
        said.contains(
            "rollout/web Paused - CanaryPauseStep (1 of 5 updated, 5 available, step 1/4)"
        ),
        "--wait stops at the next pause: {said}"
    );
    let (code, said) = bosun_rollout(&sim, state, &["rollout", "status", "web"]).await;
    assert_eq!((code, said.trim()), (Some(0), "Paused - CanaryPauseStep"));

    let (code, said) =
        bosun_rollout(&sim, state, &["--readonly", "rollout", "promote", "web"]).await;
    assert_eq!(code, Some(2), "{said}");
    assert!(said.contains("read-only mode"), "{said}");

    let (code, said) = bosun_rollout(&sim, state, &["rollout", "promote", "web"]).await;
    assert_eq!(code, Some(0), "{said}");
    assert!(said.contains("rollout 'web' promoted"), "{said}");
    let (code, said) = bosun_rollout(
        &sim,
        state,
        &["rollout", "status", "web", "--wait", "--timeout", "30s"],
    )
    .await;
    assert_eq!(code, Some(0), "{said}");
    assert_eq!(said.lines().last(), Some("Healthy"), "{said}");
    assert!(
        said.contains("Paused - CanaryPauseStep"),
        "the 1s pause was seen: {said}"
    );

    bosun_rollout(&sim, state, &["rollout", "set-image", "web", "web=web:3"]).await;
    wait_row(&api, "web", "paused on web:3", |r| r.phase == Phase::Paused).await;
    let (code, said) = bosun_rollout(&sim, state, &["rollout", "abort", "web"]).await;
    assert_eq!(code, Some(0), "{said}");
    assert!(said.contains("rollout 'web' aborted"), "{said}");
    let (code, said) = bosun_rollout(
        &sim,
        state,
        &["rollout", "status", "web", "--wait", "--timeout", "30s"],
    )
    .await;
    assert_eq!(code, Some(1), "{said}");
    assert!(
        said.contains("The rollout is in a degraded state with message: RolloutAborted: Rollout aborted update to revision 3"),
        "{said}"
    );
    let (code, said) = bosun_rollout(&sim, state, &["rollout", "retry", "web"]).await;
    assert_eq!(code, Some(0), "{said}");
    let (code, said) = bosun_rollout(&sim, state, &["rollout", "promote", "nope"]).await;
    assert_eq!(code, Some(2), "{said}");
    assert!(said.contains("nope"), "{said}");

    let audit = std::fs::read_to_string(state.join("audit.log")).unwrap_or_default();
    for line in [
        "rollouts set image web web=web:2 -n default",
        "rollouts promote web -n default",
        "rollouts abort web -n default",
        "rollouts retry web -n default",
    ] {
        assert!(audit.contains(line), "{line}: {audit}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rollout_is_a_workload_pods_logs_by_role_and_restart_by_kind() {
    use bosun::app::view::ViewKind;
    use bosun::cluster::kind::ResourceKind;
    use crossterm::event::KeyCode;

    let sim = sim().await;
    let (_client, _api) = paused_canary(&sim, "web").await;

    let mut app =
        common::Harness::start(&sim, ViewKind::Resource(ResourceKind::Rollouts), 180, 45).await;
    app.wait_for("listed", WAIT, |_, screen| {
        screen.contains("CanaryPauseStep")
    })
    .await;
    // l: every pod's logs, labelled and coloured by its ReplicaSet's role.
    app.key(KeyCode::Char('l')).await;
    app.wait_for("five sources", WAIT, |state, _| {
        state
            .logs
            .as_ref()
            .is_some_and(|logs| logs.sources.len() == 5)
    })
    .await;
    let sources: Vec<(String, Option<u32>)> = app
        .state
        .logs
        .as_ref()
        .map(|logs| {
            logs.sources
                .iter()
                .map(|s| (s.label.clone(), s.colour_group))
                .collect()
        })
        .unwrap_or_default();
    let canary: Vec<_> = sources
        .iter()
        .filter(|(l, _)| l.ends_with("(canary)"))
        .collect();
    let stable: Vec<_> = sources
        .iter()
        .filter(|(l, _)| l.ends_with("(stable)"))
        .collect();
    assert_eq!((canary.len(), stable.len()), (1, 4), "{sources:?}");
    assert!(canary.iter().all(|(_, g)| *g == Some(1)), "{sources:?}");
    assert!(stable.iter().all(|(_, g)| *g == Some(0)), "{sources:?}");
    app.key(KeyCode::Esc).await;

    // enter: the picture; enter again: its pods.
    app.key(KeyCode::Enter).await;
    app.wait_for("the picture", WAIT, |state, _| state.detail.is_some())
        .await;
    app.key(KeyCode::Enter).await;
    app.wait_for("its pods", WAIT, |state, screen| {
        state.detail.is_none()
            && state.view().kind == ViewKind::Resource(ResourceKind::Pods)
            && screen.matches("web-").count() == 5
    })
    .await;

    // restart rollout/NAME, as a build's `then` names it: spec.restartAt.
    let state = tempfile::tempdir().expect("state");
    let before = sim.client_patches().len();
    let (code, said) = bosun_rollout(&sim, state.path(), &["restart", "rollout/web"]).await;
    assert_eq!(code, Some(0), "{said}");
    let patches = sim.client_patches();
    assert_eq!(patches.len(), before + 1);
    let patch = patches.last().expect("patch");
    assert_eq!(
        (patch.kind.as_str(), patch.subresource.as_deref()),
        ("Rollout", None)
    );
    assert!(
        patch.body.pointer("/spec/restartAt").is_some(),
        "{:?}",
        patch.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_rollout_says_why_on_its_row_and_nothing_else_moves() {
    use bosun::app::view::ViewKind;
    use bosun::cluster::kind::ResourceKind;

    let sim = sim().await;
    let client = common::kube_client(&sim).await;
    let api = rollout_api(&client);
    api.create(&PostParams::default(), &canary("good", "web:1", steps()))
        .await
        .expect("create");
    let object = |name: &str, spec: Value| -> DynamicObject {
        serde_json::from_value(json!({
            "apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
            "metadata": {"name": name, "namespace": "default"}, "spec": spec
        }))
        .expect("object")
    };
    // No strategy the plugin knows; a field of the wrong type.
    api.create(
        &PostParams::default(),
        &object(
            "nostrategy",
            json!({"replicas": 1, "strategy": {"rolling": {}}}),
        ),
    )
    .await
    .expect("create");
    api.create(
        &PostParams::default(),
        &object(
            "broken",
            json!({"replicas": "five", "strategy": {"canary": {}}}),
        ),
    )
    .await
    .expect("create");
    wait_row(&api, "good", "the good one deploys", |r| {
        r.phase == Phase::Healthy
    })
    .await;

    let mut app =
        common::Harness::start(&sim, ViewKind::Resource(ResourceKind::Rollouts), 200, 30).await;
    app.wait_for("all three listed", WAIT, |state, _| {
        state.stores.rollouts.len() == 3
    })
    .await;
    let broken = app
        .state
        .stores
        .rollouts
        .get(&bosun::cluster::rows::RowKey::new("default", "broken"))
        .cloned()
        .expect("broken row");
    assert_eq!(broken.phase, Phase::Degraded);
    assert!(
        broken.message.starts_with("invalid Rollout:") && broken.message.contains("replicas"),
        "names the field: {}",
        broken.message
    );
    let nostrategy = app
        .state
        .stores
        .rollouts
        .get(&bosun::cluster::rows::RowKey::new("default", "nostrategy"))
        .cloned()
        .expect("row");
    assert_eq!(nostrategy.strategy, "unknown");
    let good = app
        .state
        .stores
        .rollouts
        .get(&bosun::cluster::rows::RowKey::new("default", "good"))
        .cloned()
        .expect("row");
    assert_eq!((good.phase, good.strategy), (Phase::Healthy, "Canary"));
    // Acting on the broken one says why instead of sending anything.
    app.select_where(|state, i| state.stores.rollouts.rows()[i].name.as_ref() == "broken")
        .await;
    let before = sim.client_patches().len();
    app.key(crossterm::event::KeyCode::Char('p')).await;
    assert!(app.state.confirm.is_none());
    let flash = app
        .state
        .flash
        .as_ref()
        .map(|f| f.text.clone())
        .unwrap_or_default();
    assert!(flash.contains("invalid Rollout"), "{flash}");
    assert_eq!(sim.client_patches().len(), before);
}

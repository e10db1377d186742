//! The apps view end to end: a real git repo (samples/repo with history, a
//! file:// upstream), the real `kubectl kustomize`, the GitOps worker and the
//! real kube client against the simulated cluster; keys as a user types them.

mod common;

use std::path::Path;
use std::time::Duration;

use bosun::app::state::State;
use bosun::app::view::ViewKind;
use bosun::demo_repo::{self, DemoRepo};
use bosun::gitops::compare::SyncStatus;
use bosun::gitops::health::Health;
use common::Harness;
use crossterm::event::KeyCode;

const WAIT: Duration = Duration::from_secs(60);

fn sync_of(state: &State, app: &str) -> Option<SyncStatus> {
    state.gitops.app(app).and_then(|a| a.sync())
}

fn all_evaluated(state: &State) -> bool {
    !state.gitops.apps.is_empty()
        && state
            .gitops
            .apps
            .iter()
            .all(|a| a.eval.is_some() && !a.refreshing)
}

fn head(root: &Path) -> String {
    bosun::gitops::workspace::revision(root)
}

/// A seeded cluster, the demo repo deployed at commit 1 with commit 2 on
/// top, and the app looking at it from the apps view.
async fn deployed() -> (bosun::sim::SimCluster, Harness, DemoRepo, tempfile::TempDir) {
    let sim = common::sample_cluster().await;
    let (repo, dir) = common::deployed_repo(&sim).await;
    let mut app = Harness::start(&sim, ViewKind::Apps, 160, 40).await;
    app.start_gitops(&repo.root);
    app.wait_for("every app evaluated", WAIT, |state, _| all_evaluated(state))
        .await;
    (sim, app, repo, dir)
}

#[tokio::test]
async fn apps_show_sync_health_and_the_commit_that_runs() {
    if !common::kubectl_present() {
        return;
    }
    let (_sim, mut app, repo, _dir) = deployed().await;
    // Commit 2 scaled the blog and was not synced.
    assert_eq!(sync_of(&app.state, "blog"), Some(SyncStatus::OutOfSync));
    assert_eq!(sync_of(&app.state, "mariadb"), Some(SyncStatus::Synced));
    let blog = app.state.gitops.app("blog").expect("blog");
    let eval = blog.eval.as_ref().expect("evaluated");
    let inventory = eval.inventory.as_ref().expect("synced once");
    assert_ne!(inventory.revision, head(&repo.root), "blog runs commit 1");
    // Without helm the Helm apps say how to get it; the others still work.
    if bosun::gitops::render::Tools::detect().helm.is_none() {
        let keycloak = app.state.gitops.app("keycloak").expect("keycloak");
        let error = keycloak
            .eval
            .as_ref()
            .and_then(|e| e.error.clone())
            .unwrap_or_default();
        assert!(error.contains("helm"), "{error}");
        assert_eq!(keycloak.sync(), Some(SyncStatus::Unknown));
    }
    let screen = app.screen();
    assert!(screen.contains("OutOfSync"), "{screen}");
    assert!(
        screen.contains("blog: three replicas"),
        "repo panel: {screen}"
    );
    assert!(screen.contains("⇄ origin/main"), "{screen}");
}

#[tokio::test]
async fn s_shows_the_diff_then_syncs_after_the_confirm() {
    if !common::kubectl_present() {
        return;
    }
    let (_sim, mut app, repo, _dir) = deployed().await;
    // blog is the first row.
    app.key(KeyCode::Char('S')).await;
    let detail = app.state.detail.as_ref().expect("the diff opens first");
    assert!(
        detail
            .diff
            .as_ref()
            .is_some_and(|d| d.for_sync && d.app == "blog")
    );
    let text = detail.lines.join("\n");
    assert!(
        text.contains("-  replicas: 2") && text.contains("+  replicas: 3"),
        "{text}"
    );
    assert!(
        app.state.confirm.is_none(),
        "no confirm before the diff is seen"
    );

    app.key(KeyCode::Char('S')).await;
    let question = app
        .state
        .confirm
        .as_ref()
        .map(|c| c.question.clone())
        .expect("confirm after the diff");
    assert!(question.contains("Sync blog"), "{question}");
    app.key(KeyCode::Char('y')).await;
    let head = head(&repo.root);
    app.wait_for("blog synced at HEAD", WAIT, |state, _| {
        state.gitops.app("blog").is_some_and(|a| {
            a.sync() == Some(SyncStatus::Synced)
                && a.eval
                    .as_ref()
                    .and_then(|e| e.inventory.as_ref())
                    .is_some_and(|i| i.revision == head)
        })
    })
    .await;
    let audit = std::fs::read_to_string(app.audit_dir.path().join("audit.log")).expect("audited");
    assert!(audit.contains("sync app blog"), "{audit}");
}

#[tokio::test]
async fn n_moves_between_objects_of_a_diff() {
    if !common::kubectl_present() {
        return;
    }
    let (_sim, mut app, repo, _dir) = deployed().await;
    // An annotation on every redis object: several objects drift.
    let path = repo.root.join("apps/redis/kustomization.yaml");
    let text = std::fs::read_to_string(&path).expect("kustomization");
    std::fs::write(
        &path,
        format!("{text}commonAnnotations:\n  home.lab/owner: platform\n"),
    )
    .expect("edit");
    app.wait_for("redis drifted in several objects", WAIT, |state, _| {
        state.gitops.app("redis").is_some_and(|a| {
            a.objects
                .iter()
                .filter(|o| o.change == bosun::gitops::compare::Change::Drifted)
                .count()
                > 1
        })
    })
    .await;
    let position = app
        .state
        .gitops
        .apps
        .iter()
        .position(|a| a.name() == "redis")
        .expect("redis app");
    for _ in 0..position {
        app.key(KeyCode::Char('j')).await;
    }
    app.key(KeyCode::Char('D')).await;
    let starts = app
        .state
        .detail
        .as_ref()
        .and_then(|d| d.diff.as_ref())
        .map(|d| d.objects.clone())
        .expect("diff open");
    assert!(starts.len() > 1, "{starts:?}");
    assert_eq!(starts[0], 0);
    app.key(KeyCode::Char('n')).await;
    assert_eq!(app.state.detail.as_ref().map(|d| d.scroll), Some(starts[1]));
    app.key(KeyCode::Char('N')).await;
    assert_eq!(app.state.detail.as_ref().map(|d| d.scroll), Some(starts[0]));
}

#[tokio::test]
async fn fetch_then_pull_fast_forwards_and_auto_sync_applies_the_new_commit() {
    if !common::kubectl_present() {
        return;
    }
    let (_sim, mut app, repo, _dir) = deployed().await;
    app.key(KeyCode::Char('f')).await;
    app.wait_for("one behind after fetch", WAIT, |state, _| {
        state.gitops.repo.as_ref().is_some_and(|r| r.behind == 1)
    })
    .await;
    app.key(KeyCode::Char('P')).await;
    app.wait_for("pulled", WAIT, |state, _| {
        state.gitops.repo.as_ref().is_some_and(|r| r.behind == 0)
            && state
                .gitops
                .repo
                .as_ref()
                .and_then(|r| r.head.as_ref())
                .is_some_and(|h| h.subject.contains(demo_repo::UPSTREAM_EDIT.message))
    })
    .await;
    let head = head(&repo.root);
    // blog-dev has autoSync: the new commit is applied once, by itself.
    app.wait_for(
        "blog-dev auto-synced to the pulled commit",
        WAIT,
        |state, _| {
            state.gitops.app("blog-dev").is_some_and(|a| {
                a.sync() == Some(SyncStatus::Synced)
                    && a.eval
                        .as_ref()
                        .and_then(|e| e.inventory.as_ref())
                        .is_some_and(|i| i.revision == head)
            })
        },
    )
    .await;
    // blog has no autoSync: still out of sync.
    assert_eq!(sync_of(&app.state, "blog"), Some(SyncStatus::OutOfSync));
}

#[tokio::test]
async fn a_file_change_re_renders_only_its_app() {
    if !common::kubectl_present() {
        return;
    }
    let (_sim, mut app, repo, _dir) = deployed().await;
    let seq_of = |state: &State, name: &str| state.gitops.app(name).map(|a| a.seq).unwrap_or(0);
    let before_mariadb = seq_of(&app.state, "mariadb");
    let before_redis = seq_of(&app.state, "redis");
    let path = repo.root.join("apps/mariadb/statefulset.yaml");
    let text = std::fs::read_to_string(&path).expect("statefulset");
    let edited = text.replacen("replicas: 1", "replicas: 2", 1);
    assert_ne!(text, edited, "the sample statefulset sets replicas: 1");
    std::fs::write(&path, edited).expect("edit");
    app.wait_for("mariadb re-diffed as OutOfSync", WAIT, |state, _| {
        seq_of(state, "mariadb") > before_mariadb
            && sync_of(state, "mariadb") == Some(SyncStatus::OutOfSync)
    })
    .await;
    assert_eq!(
        seq_of(&app.state, "redis"),
        before_redis,
        "redis was re-rendered too"
    );
    // The dirty file shows in the repo panel.
    app.wait_for("dirty file listed", WAIT, |state, _| {
        state
            .gitops
            .repo
            .as_ref()
            .is_some_and(|r| r.dirty.iter().any(|f| f.path.ends_with("statefulset.yaml")))
    })
    .await;
}

#[tokio::test]
async fn a_broken_bosun_yaml_is_named_and_the_apps_stay() {
    if !common::kubectl_present() {
        return;
    }
    let (_sim, mut app, repo, _dir) = deployed().await;
    let count = app.state.gitops.apps.len();
    std::fs::write(
        repo.root.join("bosun.yaml"),
        "apps:\n  - name: blog\n    pth: x\n",
    )
    .expect("break it");
    app.wait_for("the spec error", WAIT, |state, _| {
        state.gitops.spec_error.is_some()
    })
    .await;
    let error = app.state.gitops.spec_error.clone().unwrap_or_default();
    assert!(
        error.contains("bosun.yaml") && error.contains("line"),
        "{error}"
    );
    assert!(error.contains("pth"), "{error}");
    assert_eq!(
        app.state.gitops.apps.len(),
        count,
        "the last good apps stay listed"
    );
    let screen = app.screen();
    assert!(screen.contains("bosun.yaml"), "{screen}");
}

#[tokio::test]
async fn readonly_refuses_sync() {
    if !common::kubectl_present() {
        return;
    }
    let (_sim, mut app, _repo, _dir) = deployed().await;
    app.state.readonly = true;
    app.key(KeyCode::Char('S')).await;
    assert!(app.state.detail.is_none() && app.state.confirm.is_none());
    let flash = app
        .state
        .flash
        .as_ref()
        .map(|f| f.text.clone())
        .unwrap_or_default();
    assert!(flash.contains("read-only"), "{flash}");
    // A pull changes the working tree the apps sync from: refused too.
    app.key(KeyCode::Char('P')).await;
    assert!(!app.state.gitops.pulling);
    let flash = app
        .state
        .flash
        .as_ref()
        .map(|f| f.text.clone())
        .unwrap_or_default();
    assert!(
        flash.contains("read-only mode: git pull is disabled"),
        "{flash}"
    );
}

#[tokio::test]
async fn enter_opens_the_resource_tree_with_health_per_object() {
    if !common::kubectl_present() {
        return;
    }
    let (_sim, mut app, _repo, _dir) = deployed().await;
    app.key(KeyCode::Enter).await;
    assert_eq!(app.state.view().kind, ViewKind::AppObjects);
    let screen = app.screen();
    assert!(
        screen.contains("Deployment") && screen.contains("drifted"),
        "{screen}"
    );
    let blog = app.state.gitops.app("blog").expect("blog");
    assert!(blog.objects.iter().any(|o| o.key.kind == "Ingress"));
    assert!(
        blog.objects
            .iter()
            .any(|o| o.key.kind == "Deployment" && o.health.is_some_and(|h| h != Health::Missing))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_and_health_follow_the_cluster_without_a_refresh() {
    if !common::kubectl_present() {
        return;
    }
    let (sim, mut app, _repo, _dir) = deployed().await;
    assert_eq!(sync_of(&app.state, "mariadb"), Some(SyncStatus::Synced));
    // Someone scales mariadb by hand: the app turns OutOfSync by itself
    // (the refresh timer is off in these tests).
    let client = common::kube_client(&sim).await;
    let sets: kube::Api<k8s_openapi::api::apps::v1::StatefulSet> =
        kube::Api::namespaced(client, "mariadb");
    sets.patch(
        "mariadb",
        &kube::api::PatchParams {
            field_manager: Some("kubectl-scale".into()),
            ..Default::default()
        },
        &kube::api::Patch::Merge(serde_json::json!({"spec": {"replicas": 3}})),
    )
    .await
    .expect("scale");
    app.wait_for(
        "mariadb OutOfSync after a manual scale",
        WAIT,
        |state, _| sync_of(state, "mariadb") == Some(SyncStatus::OutOfSync),
    )
    .await;
    let takeover = app
        .state
        .gitops
        .app("mariadb")
        .map(|a| {
            a.objects
                .iter()
                .map(|o| o.message.clone())
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    assert!(
        takeover.iter().any(|m| m.contains("kubectl-scale")),
        "{takeover:?}"
    );

    // Sync blog (three replicas) while its rollout is held: the
    // Deployment shows Progressing; released, it turns Healthy with no key
    // pressed and no refresh timer.
    let deployment_health = |state: &State| {
        state.gitops.app("blog").and_then(|a| {
            a.objects
                .iter()
                .find(|o| o.key.kind == "Deployment" && o.key.name == "blog")
                .and_then(|o| o.health)
        })
    };
    sim.stall_rollouts("blog", "blog", true);
    app.key(KeyCode::Char('S')).await;
    app.key(KeyCode::Char('S')).await;
    app.key(KeyCode::Char('y')).await;
    app.wait_for("blog synced, its rollout held", WAIT, |state, _| {
        sync_of(state, "blog") == Some(SyncStatus::Synced)
            && deployment_health(state) == Some(Health::Progressing)
    })
    .await;
    sim.stall_rollouts("blog", "blog", false);
    app.wait_for("the Deployment Healthy by itself", WAIT, |state, _| {
        deployment_health(state) == Some(Health::Healthy)
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_with_waves_says_which_wave_it_waits_on() {
    let sim = bosun::sim::SimCluster::start(bosun::sim::SimOptions {
        seed_dir: Some(common::samples_dir()),
        rollout_step: Duration::from_millis(60),
        ..bosun::sim::SimOptions::default()
    })
    .await
    .expect("sim");
    let (_dir, root) = common::fixture_repo("waves", "https://github.com/example/homelab.git");
    let mut app = Harness::start(&sim, ViewKind::Apps, 200, 30).await;
    app.start_gitops(&root);
    app.wait_for("every app evaluated", WAIT, |state, _| all_evaluated(state))
        .await;
    app.select_where(|state, i| state.gitops.apps[i].name() == "blog")
        .await;
    app.key(KeyCode::Char('S')).await;
    let diff = app
        .state
        .detail
        .as_ref()
        .expect("the diff")
        .lines
        .join("\n");
    assert!(
        diff.contains("Job blog/db-migrate (PreSync hook)")
            && diff.contains("blog/scratch (argocd.argoproj.io/hook: Skip"),
        "hooks are listed, not diffed:\n{diff}"
    );
    app.key(KeyCode::Char('S')).await;
    let question = app.question();
    assert!(question.contains("Hooks run:"), "{question}");
    app.key(KeyCode::Char('y')).await;
    app.wait_for("the progress line", WAIT, |_, screen| {
        screen.contains("syncing: wave") && screen.contains("waiting for")
    })
    .await;
    app.wait_for("blog synced", WAIT, |state, _| {
        !state.gitops.syncing.contains_key("blog")
            && !state.gitops.sync_progress.contains_key("blog")
    })
    .await;
    assert!(
        app.state
            .gitops
            .app("blog")
            .and_then(|a| a.eval.as_ref())
            .is_some(),
        "still listed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_undecryptable_secret_is_named_in_the_confirm_and_never_applied() {
    let sim = bosun::sim::SimCluster::start(bosun::sim::SimOptions::default())
        .await
        .expect("sim");
    // Encrypted for a Flux test key this machine does not hold.
    let (_dir, root) = common::fixture_repo("sops", "ssh://git@github.com/example/homelab");
    let mut app = Harness::start(&sim, ViewKind::Apps, 200, 40).await;
    app.start_gitops(&root);
    app.wait_for("every app evaluated", WAIT, |state, _| all_evaluated(state))
        .await;
    app.select_where(|state, i| state.gitops.apps[i].name() == "mail")
        .await;
    app.key(KeyCode::Char('S')).await;
    app.key(KeyCode::Char('S')).await;
    let question = app.question();
    assert!(
        question.contains("Not applied (the rest syncs without them):")
            // The reason is sops' own words when its binary is installed.
            && question.contains("Secret mail/age is encrypted with SOPS for age1l44x"),
        "{question}"
    );
    app.key(KeyCode::Char('y')).await;
    app.wait_for("mail synced", WAIT, |state, _| {
        !state.gitops.syncing.contains_key("mail")
    })
    .await;
    app.wait_for("the ConfigMap applied", WAIT, |_, _| {
        sim.get_object("v1", "ConfigMap", Some("mail"), "mail-config")
            .is_some()
    })
    .await;
    assert!(
        !sim.client_writes()
            .iter()
            .any(|w| w.kind == "Secret" && w.name == "age"),
        "the encrypted form never reaches the API server"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s_on_one_object_of_the_tree_syncs_it_alone_without_hooks_or_waves() {
    let sim = bosun::sim::SimCluster::start(bosun::sim::SimOptions::default())
        .await
        .expect("sim");
    let (_dir, root) = common::fixture_repo("waves", "https://github.com/example/homelab.git");
    let mut app = Harness::start(&sim, ViewKind::Apps, 200, 40).await;
    app.start_gitops(&root);
    app.wait_for("every app evaluated", WAIT, |state, _| all_evaluated(state))
        .await;
    app.select_where(|state, i| state.gitops.apps[i].name() == "blog")
        .await;
    app.key(KeyCode::Enter).await;
    app.select_where(|state, i| {
        state
            .gitops
            .app("blog")
            .is_some_and(|blog| blog.objects[i].key.name == "blog-config")
    })
    .await;
    app.key(KeyCode::Char('S')).await;
    let title = app
        .state
        .detail
        .as_ref()
        .map(|d| d.title.clone())
        .unwrap_or_default();
    assert!(
        title.starts_with("diff ConfigMap blog/blog-config only"),
        "{title}"
    );
    app.key(KeyCode::Char('S')).await;
    let question = app.question();
    assert!(
        question.starts_with("Sync only ConfigMap blog/blog-config of blog?")
            && question.contains("its sync wave and blog's hooks are ignored"),
        "{question}"
    );
    app.key(KeyCode::Char('y')).await;
    app.wait_for("the object synced", WAIT, |state, _| {
        !state.gitops.syncing.contains_key("blog")
    })
    .await;
    app.wait_for("the ConfigMap applied", WAIT, |_, _| {
        sim.get_object("v1", "ConfigMap", Some("blog"), "blog-config")
            .is_some()
    })
    .await;
    let writes: Vec<String> = sim
        .client_writes()
        .iter()
        .filter(|w| w.namespace.as_deref() == Some("blog"))
        .map(|w| format!("{} {}/{}", w.verb, w.kind, w.name))
        .collect();
    assert!(
        writes.iter().all(|w| w.contains("ConfigMap/blog-config")),
        "only the object: no PreSync hook, no earlier wave: {writes:?}"
    );
    assert!(
        sim.get_object("v1", "ConfigMap", Some("blog"), "bosun-inventory-blog")
            .is_none(),
        "a selective sync writes no inventory"
    );
}

//! Rollback as Argo CD has it: an app's history (the inventory's last
//! syncs), a past commit rendered from git objects (never the working
//! tree), its diff, its sync, and the app's autoSync paused until a sync of
//! HEAD. Three commits change one value; what the cluster holds is read
//! from the simulated cluster.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use crossterm::event::KeyCode;

use bosun::app::view::ViewKind;
use bosun::sim::{SimCluster, SimOptions};

const WAIT: Duration = Duration::from_secs(20);

/// A repo with one autoSync app whose ConfigMap says `version: <n>`.
fn repo() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("homelab");
    std::fs::create_dir_all(root.join("apps/notes")).expect("mkdir");
    std::fs::write(
        root.join("bosun.yaml"),
        "apps:\n  - name: notes\n    path: apps/notes\n    namespace: notes\n    createNamespace: true\n    autoSync: true\n",
    )
    .expect("write");
    git2::Repository::init(&root).expect("git init");
    (dir, root)
}

fn commit_version(root: &Path, version: u32) -> String {
    std::fs::write(
        root.join("apps/notes/config.yaml"),
        format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: notes-config\ndata:\n  version: \"{version}\"\n"),
    )
    .expect("write");
    common::commit_all(root, &format!("notes version {version}"));
    bosun::gitops::workspace::revision(root)
}

fn live_version(sim: &SimCluster) -> Option<String> {
    let cm = sim.get_object("v1", "ConfigMap", Some("notes"), "notes-config")?;
    Some(cm.pointer("/data/version")?.as_str()?.to_string())
}

fn inventory_data(sim: &SimCluster) -> serde_json::Value {
    sim.get_object("v1", "ConfigMap", Some("notes"), "bosun-inventory-notes")
        .and_then(|cm| cm.get("data").cloned())
        .unwrap_or_default()
}

async fn bosun(
    sim: &SimCluster,
    root: &Path,
    state: &Path,
    args: &[&str],
) -> (Option<i32>, String) {
    let out = common::bosun_cli(sim.kubeconfig_path(), root, state, args).await;
    (out.status.code(), common::output_text(&out))
}

/// Versions 1, 2, 3 committed and each synced with `bosun sync`: the
/// cluster, the repo and the commits, oldest first.
async fn three_synced_commits() -> (SimCluster, tempfile::TempDir, PathBuf, Vec<String>) {
    let sim = SimCluster::start(SimOptions::default()).await.expect("sim");
    let (dir, root) = repo();
    let state = dir.path().join("state");
    let mut commits = Vec::new();
    for version in 1..=3 {
        commits.push(commit_version(&root, version));
        let (code, said) = bosun(&sim, &root, &state, &["sync", "notes", "--yes"]).await;
        assert_eq!(code, Some(0), "{said}");
    }
    (sim, dir, root, commits)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bosun_sync_revision_rolls_back_from_git_objects_and_head_ends_it() {
    let (sim, dir, root, commits) = three_synced_commits().await;
    let state = dir.path().join("state");
    assert_eq!(live_version(&sim).as_deref(), Some("3"));
    // An uncommitted edit: the rollback renders git objects, not this.
    std::fs::write(
        root.join("apps/notes/config.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: notes-config\ndata:\n  version: \"dirty\"\n",
    )
    .expect("write");

    let first = &commits[0][..7];
    let (code, said) = bosun(
        &sim,
        &root,
        &state,
        &["sync", "notes", "--revision", first, "--yes"],
    )
    .await;
    assert_eq!(code, Some(0), "{said}");
    assert_eq!(live_version(&sim).as_deref(), Some("1"), "{said}");
    let inventory = inventory_data(&sim);
    assert_eq!(inventory["revision"], commits[0].as_str());
    assert_eq!(inventory["rolledBack"], "true");
    let history: serde_json::Value =
        serde_json::from_str(inventory["history"].as_str().unwrap_or("[]")).expect("history");
    assert_eq!(history.as_array().map(Vec::len), Some(4));
    assert_eq!(history[0]["rolledBack"], true);

    let (_, status) = bosun(&sim, &root, &state, &["status"]).await;
    assert!(
        status.contains(&format!("rolled back to {first} · autoSync paused")),
        "{status}"
    );

    // A revision that is no commit is an error naming it; nothing changes.
    let (code, said) = bosun(
        &sim,
        &root,
        &state,
        &["sync", "notes", "--revision", "nope", "--yes"],
    )
    .await;
    assert_ne!(code, Some(0));
    assert!(
        said.contains("nope: not a commit of this repository"),
        "{said}"
    );

    // A sync of HEAD ends the rollback.
    std::fs::remove_file(root.join("apps/notes/config.yaml")).expect("rm");
    let checkout = git2::Repository::open(&root).expect("open");
    checkout
        .checkout_head(Some(git2::build::CheckoutBuilder::new().force()))
        .expect("checkout");
    let (code, said) = bosun(&sim, &root, &state, &["sync", "notes", "--yes"]).await;
    assert_eq!(code, Some(0), "{said}");
    assert_eq!(live_version(&sim).as_deref(), Some("3"));
    assert_eq!(inventory_data(&sim)["rolledBack"], "false");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_history_picker_rolls_back_and_pauses_auto_sync() {
    let (sim, _dir, root, commits) = three_synced_commits().await;
    let mut app = common::Harness::start(&sim, ViewKind::Apps, 200, 40).await;
    app.start_gitops(&root);
    app.wait_for("notes evaluated", WAIT, |state, _| {
        state
            .gitops
            .app("notes")
            .is_some_and(|a| a.eval.is_some() && !a.refreshing)
    })
    .await;
    app.key(KeyCode::Char('h')).await;
    app.wait_for("the history", WAIT, |state, _| state.picker.is_some())
        .await;
    let picker = app.state.picker.clone().expect("picker");
    assert_eq!(picker.choices.len(), 3, "{:?}", picker.choices);
    assert!(picker.choices[0].contains("notes version 3") && picker.choices[0].contains("HEAD"));
    assert!(
        picker.choices[2].starts_with(&commits[0][..7]),
        "{:?}",
        picker.choices
    );
    app.key(KeyCode::Char('j')).await;
    app.key(KeyCode::Char('j')).await;
    app.key(KeyCode::Enter).await;
    app.wait_for("the rollback's diff", WAIT, |state, _| {
        state
            .detail
            .as_ref()
            .is_some_and(|d| d.title.starts_with("roll notes back to"))
    })
    .await;
    let diff = app.detail_text();
    assert!(
        diff.contains("-  version: '3'") && diff.contains("+  version: '1'"),
        "{diff}"
    );
    app.key(KeyCode::Char('S')).await;
    let question = app.question();
    assert!(
        question.starts_with(&format!(
            "Roll notes back to {} (notes version 1)?",
            &commits[0][..7]
        )) && question.contains("autoSync pauses"),
        "{question}"
    );
    app.key(KeyCode::Char('y')).await;
    app.wait_for("rolled back", WAIT, |state, _| {
        state
            .gitops
            .app("notes")
            .and_then(|a| a.eval.as_ref())
            .is_some_and(|e| e.message().starts_with("rolled back to"))
    })
    .await;
    assert_eq!(live_version(&sim).as_deref(), Some("1"));

    // A new commit: autoSync stays paused.
    commit_version(&root, 4);
    app.wait_for("the new commit evaluated", WAIT, |state, _| {
        state
            .gitops
            .head()
            .is_some_and(|h| h == bosun::gitops::workspace::revision(&root))
            && state
                .gitops
                .app("notes")
                .is_some_and(|a| a.eval.is_some() && !a.refreshing)
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    app.drain().await;
    assert!(
        app.state.gitops.syncing.is_empty(),
        "no auto-sync after a rollback"
    );
    assert_eq!(live_version(&sim).as_deref(), Some("1"));
    assert!(app.screen().contains("autoSync paused"), "{}", app.screen());
}

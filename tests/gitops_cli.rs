//! `bosun status`, `bosun diff`, `bosun sync`: the binary against the
//! simulated cluster and a real git repo, checked by exit code and output.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use bosun::demo_repo::DemoRepo;

struct Setup {
    _sim: bosun::sim::SimCluster,
    kubeconfig: PathBuf,
    repo: DemoRepo,
    state: tempfile::TempDir,
    _dir: tempfile::TempDir,
}

async fn setup() -> Setup {
    let sim = common::sample_cluster().await;
    let (repo, dir) = common::deployed_repo(&sim).await;
    Setup {
        kubeconfig: sim.kubeconfig_path().to_path_buf(),
        _sim: sim,
        repo,
        state: tempfile::tempdir().expect("state dir"),
        _dir: dir,
    }
}

/// Runs the binary off the async runtime (the sim serves on it).
async fn bosun(setup: &Setup, args: &[&str]) -> Output {
    common::bosun_cli(
        &setup.kubeconfig,
        &setup.repo.root,
        setup.state.path(),
        args,
    )
    .await
}

fn code(output: &Output) -> i32 {
    output.status.code().unwrap_or(-1)
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn audit(state: &Path) -> String {
    std::fs::read_to_string(state.join("audit.log")).unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn diff_exit_codes_are_kubectl_diffs() {
    if !common::kubectl_present() {
        return;
    }
    let setup = setup().await;
    let same = bosun(&setup, &["diff", "mariadb"]).await;
    assert_eq!(code(&same), 0, "{}{}", stdout(&same), stderr(&same));
    assert!(stdout(&same).is_empty(), "{}", stdout(&same));

    let differs = bosun(&setup, &["diff", "blog"]).await;
    assert_eq!(code(&differs), 1, "{}", stderr(&differs));
    let text = stdout(&differs);
    assert!(
        text.contains("# blog Deployment blog/blog: drifted"),
        "{text}"
    );
    assert!(text.contains("+  replicas: 3"), "{text}");

    let unknown = bosun(&setup, &["diff", "nope"]).await;
    assert_eq!(code(&unknown), 2);
    assert!(
        stderr(&unknown).contains("no app \"nope\""),
        "{}",
        stderr(&unknown)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_lists_apps_and_fails_while_something_is_out_of_sync() {
    if !common::kubectl_present() {
        return;
    }
    let setup = setup().await;
    let table = bosun(&setup, &["status"]).await;
    assert_eq!(code(&table), 1, "{}", stderr(&table));
    let text = stdout(&table);
    assert!(text.starts_with("NAME"), "{text}");
    let blog = text
        .lines()
        .find(|l| l.starts_with("blog "))
        .expect("blog row");
    assert!(blog.contains("OutOfSync"), "{blog}");

    let json = bosun(&setup, &["status", "-o", "json"]).await;
    let parsed: serde_json::Value = serde_json::from_slice(&json.stdout).expect("json");
    let apps = parsed["apps"].as_array().expect("apps");
    let mariadb = apps
        .iter()
        .find(|a| a["name"] == "mariadb")
        .expect("mariadb");
    assert_eq!(mariadb["sync"], "Synced");
    assert!(mariadb["revision"].as_str().is_some_and(|r| r.len() == 40));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_asks_first_dry_runs_on_request_then_applies() {
    if !common::kubectl_present() {
        return;
    }
    let setup = setup().await;
    // No terminal and no --yes: refuse, change nothing.
    let refused = bosun(&setup, &["sync", "blog"]).await;
    assert_eq!(code(&refused), 2, "{}", stdout(&refused));
    assert!(stderr(&refused).contains("--yes"), "{}", stderr(&refused));
    assert_eq!(code(&bosun(&setup, &["diff", "blog"]).await), 1);

    let dry = bosun(&setup, &["sync", "blog", "--dry-run"]).await;
    assert_eq!(code(&dry), 0, "{}{}", stdout(&dry), stderr(&dry));
    assert!(stdout(&dry).contains("dry run"), "{}", stdout(&dry));
    assert_eq!(
        code(&bosun(&setup, &["diff", "blog"]).await),
        1,
        "dry run changed the cluster"
    );

    let readonly = bosun(&setup, &["--readonly", "sync", "blog", "--yes"]).await;
    assert_eq!(code(&readonly), 2);
    assert!(
        stderr(&readonly).contains("read-only"),
        "{}",
        stderr(&readonly)
    );

    let applied = bosun(&setup, &["sync", "blog", "--yes"]).await;
    assert_eq!(
        code(&applied),
        0,
        "{}{}",
        stdout(&applied),
        stderr(&applied)
    );
    assert!(
        stdout(&applied).contains("Deployment blog/blog configured"),
        "{}",
        stdout(&applied)
    );
    assert_eq!(
        code(&bosun(&setup, &["diff", "blog"]).await),
        0,
        "still differs after sync"
    );
    let audited = audit(setup.state.path());
    assert!(audited.contains("sync app blog"), "{audited}");
    assert!(audited.contains("\"source\":\"cli\""), "{audited}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_bosun_yaml_is_an_error_naming_the_line() {
    if !common::kubectl_present() {
        return;
    }
    let setup = setup().await;
    std::fs::write(
        setup.repo.root.join("bosun.yaml"),
        "apps:\n  - name: blog\n    path: ../../etc\n",
    )
    .expect("write");
    let broken = bosun(&setup, &["status"]).await;
    assert_eq!(code(&broken), 2);
    let message = stderr(&broken);
    assert!(
        message.contains("bosun.yaml line 3") && message.contains("leaves the repository"),
        "{message}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_app_name_is_an_error_listing_the_apps() {
    if !common::kubectl_present() {
        return;
    }
    let setup = setup().await;
    for command in ["diff", "sync"] {
        let out = bosun(
            &setup,
            &[command, "nosuch", "--dry-run"][..if command == "diff" { 2 } else { 3 }],
        )
        .await;
        assert_eq!(code(&out), 2, "{}{}", stdout(&out), stderr(&out));
        let err = stderr(&out);
        assert!(err.contains("no app \"nosuch\""), "{err}");
        assert!(err.contains("blog") && err.contains("mariadb"), "{err}");
    }
}

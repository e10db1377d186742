//! `u` on a Helm release: `helm rollback RELEASE REVISION` through the
//! helm binary (argv, bosun's kubeconfig and context passed), or — where
//! helm is not installed — the command to run, nothing sent.

mod common;

use std::time::Duration;

use crossterm::event::KeyCode;

use bosun::app::view::ViewKind;
use bosun::cluster::kind::ResourceKind;

const WAIT: Duration = Duration::from_secs(20);

async fn ask_rollback_of_traefik(app: &mut common::Harness) {
    app.wait_for("traefik listed", WAIT, |_, screen| {
        screen.contains("traefik")
    })
    .await;
    app.select_where(|state, i| state.stores.helm_releases.rows()[i].release.as_ref() == "traefik")
        .await;
    app.key(KeyCode::Char('u')).await;
    let choices = app
        .state
        .picker
        .as_ref()
        .map(|p| p.choices.clone())
        .unwrap_or_default();
    assert_eq!(choices.len(), 1, "only the earlier revision: {choices:?}");
    assert!(choices[0].starts_with("1 "), "{choices:?}");
    app.key(KeyCode::Enter).await;
    let question = app.question();
    assert!(
        question.contains("Roll kube-system/traefik back to revision 1?")
            && question.contains("helm rollback traefik 1 -n kube-system"),
        "{question}"
    );
    app.key(KeyCode::Char('y')).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_helm_the_rollback_says_the_command_to_run() {
    let sim = common::sample_cluster().await;
    let mut app = common::Harness::start(
        &sim,
        ViewKind::Resource(ResourceKind::HelmReleases),
        180,
        40,
    )
    .await;
    app.runtime.options_mut().helm = "bosun-test-no-such-helm".to_string();
    ask_rollback_of_traefik(&mut app).await;
    app.wait_for("the answer", WAIT, |state, _| {
        state
            .flash
            .as_ref()
            .is_some_and(|f| f.text.contains("is not on PATH"))
    })
    .await;
    let said = app
        .state
        .flash
        .as_ref()
        .map(|f| f.text.clone())
        .unwrap_or_default();
    assert!(
        said.contains(&format!(
            "run `helm rollback traefik 1 --namespace kube-system --kube-context {}` where it is",
            app.state.context.context
        )),
        "{said}"
    );
    let audit = std::fs::read_to_string(app.audit_dir.path().join("audit.log")).unwrap_or_default();
    assert!(
        audit.contains("helm rollback traefik 1 -n kube-system"),
        "{audit}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_helm_the_rollback_runs_it_with_bosuns_kubeconfig_and_context() {
    use std::os::unix::fs::PermissionsExt;
    // helm cannot run here (no helm, no chart repository): a program that
    // records its argv stands in, so what bosun runs is asserted exactly.
    let bin = tempfile::tempdir().expect("bin");
    let argv = bin.path().join("argv");
    let helm = bin.path().join("helm");
    std::fs::write(
        &helm,
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$@\" > '{}'\necho 'Rollback was a success! Happy Helming!'\n",
            argv.display()
        ),
    )
    .expect("stub");
    std::fs::set_permissions(&helm, std::fs::Permissions::from_mode(0o755)).expect("chmod");

    let sim = common::sample_cluster().await;
    let mut app = common::Harness::start(
        &sim,
        ViewKind::Resource(ResourceKind::HelmReleases),
        180,
        40,
    )
    .await;
    app.runtime.options_mut().helm = helm.display().to_string();
    ask_rollback_of_traefik(&mut app).await;
    app.wait_for("helm's answer", WAIT, |state, _| {
        state
            .flash
            .as_ref()
            .is_some_and(|f| f.text.contains("Happy Helming"))
    })
    .await;
    let args = std::fs::read_to_string(&argv).expect("helm ran");
    let expected = format!(
        "rollback\ntraefik\n1\n--namespace\nkube-system\n--kube-context\n{}\n--kubeconfig\n{}\n",
        app.state.context.context,
        sim.kubeconfig_path().display()
    );
    assert_eq!(args, expected);
}

//! Builds (DESIGN §7): the kaniko Job against hand-written fixtures, git
//! context conversions, Argo Workflows, run status from Jobs and Workflows,
//! the kustomize base, and the preflight against the simulated cluster.

mod common;

use std::path::{Path, PathBuf};

use bosun::builds::{
    APP_LABEL, BUILD_LABEL, BuildError, BuildOptions, BuildPhase, BuildRequest, COMMIT_ANNOTATION,
    COMMIT_LABEL, ContextSource, DEFAULT_EXECUTOR_IMAGE, IMAGE_ANNOTATION, RunKind,
    kaniko_git_context, kaniko_job, run_from_job, run_from_workflow, try_kaniko_job,
    workflow_from_template,
};
use bosun::gitops::spec::{BuildContext, BuildSpec};
use serde_json::{Value, json};

const SHA: &str = "0123456789abcdef0123456789abcdef01234567";
const REMOTE: &str = "https://github.com/example/homelab";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The `blog` build of samples/repo/bosun.yaml, as bosun parses it.
fn blog_build() -> BuildSpec {
    let spec = bosun::gitops::spec::load(&root().join("samples/repo")).expect("samples/repo loads");
    spec.builds
        .into_iter()
        .find(|b| b.name == "blog")
        .expect("samples/repo builds blog")
}

fn git_source(build: &BuildSpec) -> ContextSource {
    ContextSource::Git {
        url: REMOTE.to_string(),
        commit: SHA.to_string(),
        branch: Some("main".to_string()),
        sub_path: ContextSource::sub_path_of(build),
    }
}

fn hostpath_source(build: &BuildSpec) -> ContextSource {
    ContextSource::HostPath {
        node: "k3s-server".to_string(),
        repo_dir: "/home/admin/homelab".to_string(),
        sub_path: ContextSource::sub_path_of(build),
    }
}

/// The Job as YAML, read back as a value: what `kubectl apply` would see.
fn job_value(req: &BuildRequest, opts: &BuildOptions) -> Value {
    let job = try_kaniko_job(req, opts).expect("a valid request");
    let yaml = serde_yaml::to_string(&job).expect("the Job serialises");
    serde_yaml::from_str(&yaml).expect("the YAML reads back")
}

fn fixture(name: &str) -> Value {
    let path = root().join("tests/fixtures/builds").join(name);
    let text = std::fs::read_to_string(&path).expect("fixture exists");
    serde_yaml::from_str(&text).expect("fixture is YAML")
}

fn assert_matches_fixture(actual: &Value, name: &str) {
    let expected = fixture(name);
    assert!(
        *actual == expected,
        "the Job differs from tests/fixtures/builds/{name}\n--- made:\n{}\n--- fixture:\n{}",
        serde_yaml::to_string(actual).unwrap_or_default(),
        serde_yaml::to_string(&expected).unwrap_or_default()
    );
}

fn args(job: &Value) -> Vec<String> {
    job["spec"]["template"]["spec"]["containers"][0]["args"]
        .as_array()
        .expect("args")
        .iter()
        .map(|a| a.as_str().expect("string arg").to_string())
        .collect()
}

fn pod(job: &Value) -> &Value {
    &job["spec"]["template"]["spec"]
}

/// What every kaniko Job for the blog build has, whatever the context.
fn assert_common(job: &Value) {
    assert_eq!(job["kind"], "Job");
    assert_eq!(job["apiVersion"], "batch/v1");
    let meta = &job["metadata"];
    let generate_name = meta["generateName"].as_str().expect("generateName");
    assert_eq!(generate_name, "build-blog-0123456-");
    assert!(generate_name.len() + 5 <= 63);
    assert!(
        meta.get("name").is_none(),
        "a fixed name would collide on rebuild"
    );
    assert_eq!(meta["namespace"], "bosun-builds");
    let labels = &meta["labels"];
    assert_eq!(labels["app.kubernetes.io/managed-by"], "bosun");
    assert_eq!(labels["app.kubernetes.io/name"], "kaniko");
    assert_eq!(labels[BUILD_LABEL], "blog");
    assert_eq!(labels[COMMIT_LABEL], "0123456");
    assert_eq!(labels[APP_LABEL], "blog-dev");
    assert_eq!(job["spec"]["template"]["metadata"]["labels"], *labels);
    assert_eq!(
        meta["annotations"][IMAGE_ANNOTATION],
        "harbor.home.lab/blog/blog:0123456"
    );
    assert_eq!(meta["annotations"][COMMIT_ANNOTATION], SHA);
    let spec = &job["spec"];
    assert_eq!(spec["backoffLimit"], 0);
    assert_eq!(spec["ttlSecondsAfterFinished"], 86400);
    assert_eq!(spec["activeDeadlineSeconds"], 3600);
    let pod = pod(job);
    assert_eq!(pod["restartPolicy"], "Never");
    assert_eq!(pod["serviceAccountName"], "bosun-builder");
    assert_eq!(pod["automountServiceAccountToken"], false);
    let containers = pod["containers"].as_array().expect("containers");
    assert_eq!(containers.len(), 1);
    let kaniko = &containers[0];
    assert_eq!(kaniko["name"], "kaniko");
    assert_eq!(kaniko["image"], DEFAULT_EXECUTOR_IMAGE);
    assert_eq!(kaniko["resources"]["requests"]["cpu"], "500m");
    assert_eq!(kaniko["resources"]["requests"]["memory"], "1Gi");
    let args = args(job);
    for expected in [
        "--dockerfile=Dockerfile",
        "--destination=harbor.home.lab/blog/blog:0123456",
        "--digest-file=/dev/termination-log",
        &format!("--label=org.opencontainers.image.revision={SHA}"),
    ] {
        assert!(args.iter().any(|a| a == expected), "{expected} in {args:?}");
    }
    // The registry secret, as config.json, read-only where kaniko looks.
    let volumes = pod["volumes"].as_array().expect("volumes");
    let docker = volumes
        .iter()
        .find(|v| v["name"] == "docker-config")
        .expect("docker-config volume");
    assert_eq!(docker["secret"]["secretName"], "harbor-push");
    assert_eq!(
        docker["secret"]["items"],
        json!([{"key": ".dockerconfigjson", "path": "config.json"}])
    );
    let mounts = kaniko["volumeMounts"].as_array().expect("mounts");
    let mount = mounts
        .iter()
        .find(|m| m["name"] == "docker-config")
        .expect("docker-config mount");
    assert_eq!(mount["mountPath"], "/kaniko/.docker");
    assert_eq!(mount["readOnly"], true);
}

#[test]
fn kaniko_job_from_the_remote_matches_fixture() {
    let build = blog_build();
    let req = BuildRequest::new(build.clone(), SHA, git_source(&build));
    assert_eq!(req.tag, "0123456", "the tag defaults to the short sha");
    assert_eq!(req.destination(), "harbor.home.lab/blog/blog:0123456");
    assert_eq!(req.short_commit(), "0123456");
    let job = job_value(&req, &BuildOptions::default());
    assert_matches_fixture(&job, "kaniko-git.yaml");
    assert_common(&job);
    let args = args(&job);
    assert!(args.contains(&format!(
        "--context=git://github.com/example/homelab.git#refs/heads/main#{SHA}"
    )));
    assert!(args.contains(&"--context-sub-path=apps/blog/src".to_string()));
    assert!(!args.iter().any(|a| a.starts_with("--cache")));
    let pod = pod(&job);
    assert!(
        pod.get("nodeSelector").is_none(),
        "a git build runs anywhere"
    );
    assert_eq!(pod["volumes"].as_array().map(Vec::len), Some(1));
}

#[test]
fn kaniko_job_from_the_node_checkout_matches_fixture() {
    let build = blog_build();
    let req = BuildRequest::new(build.clone(), SHA, hostpath_source(&build));
    let job = job_value(&req, &BuildOptions::default());
    assert_matches_fixture(&job, "kaniko-hostpath.yaml");
    assert_common(&job);
    let args = args(&job);
    assert!(args.contains(&"--context=dir:///workspace/apps/blog/src".to_string()));
    assert!(!args.iter().any(|a| a.starts_with("--context-sub-path")));
    let pod = pod(&job);
    assert_eq!(
        pod["nodeSelector"],
        json!({"kubernetes.io/hostname": "k3s-server"})
    );
    let checkout = pod["volumes"]
        .as_array()
        .and_then(|v| v.iter().find(|v| v["name"] == "checkout"))
        .expect("checkout volume");
    assert_eq!(
        checkout["hostPath"],
        json!({"path": "/home/admin/homelab", "type": "Directory"})
    );
    let mount = pod["containers"][0]["volumeMounts"]
        .as_array()
        .and_then(|m| m.iter().find(|m| m["name"] == "checkout"))
        .expect("checkout mount");
    assert_eq!(mount["mountPath"], "/workspace");
    assert_eq!(
        mount["readOnly"], true,
        "kaniko must not write the checkout"
    );
}

#[test]
fn kaniko_job_with_a_cache_pvc_matches_fixture() {
    let build = blog_build();
    let req = BuildRequest::new(build.clone(), SHA, git_source(&build));
    let opts = BuildOptions {
        cache_pvc: Some("kaniko-cache".to_string()),
        ..BuildOptions::default()
    };
    let job = job_value(&req, &opts);
    assert_matches_fixture(&job, "kaniko-cache.yaml");
    assert_common(&job);
    let args = args(&job);
    assert!(args.contains(&"--cache=true".to_string()));
    assert!(args.contains(&"--cache-dir=/cache".to_string()));
    let pod = pod(&job);
    let cache = pod["volumes"]
        .as_array()
        .and_then(|v| v.iter().find(|v| v["name"] == "cache"))
        .expect("cache volume");
    assert_eq!(cache["persistentVolumeClaim"]["claimName"], "kaniko-cache");
    let mount = pod["containers"][0]["volumeMounts"]
        .as_array()
        .and_then(|m| m.iter().find(|m| m["name"] == "cache"))
        .expect("cache mount");
    assert_eq!(mount["mountPath"], "/cache");
    assert!(mount.get("readOnly").is_none(), "kaniko writes its cache");
}

fn plain_build(name: &str) -> BuildSpec {
    BuildSpec {
        name: name.to_string(),
        context: BuildContext::Repo(PathBuf::from(".")),
        dockerfile: "Dockerfile".to_string(),
        image: "registry.lan:5000/tools/app".to_string(),
        tag: None,
        registry_secret: None,
        then: Vec::new(),
        workflow_template: None,
        namespace: None,
        app: None,
    }
}

#[test]
fn options_and_build_fields_reach_the_job() {
    let mut build = plain_build("Tools_App");
    build.tag = Some("v1.2".to_string());
    build.namespace = Some("ci".to_string());
    build.dockerfile = "docker/Prod.Dockerfile".to_string();
    let req = BuildRequest::new(
        build,
        SHA,
        ContextSource::Git {
            url: "http://gitea.lan/me/tools".to_string(),
            commit: SHA.to_string(),
            branch: None,
            sub_path: None,
        },
    );
    let opts = BuildOptions {
        namespace: "ignored".to_string(),
        service_account: "builder".to_string(),
        executor_image: "ghcr.io/osscontainertools/kaniko:v1".to_string(),
        ttl_seconds: 60,
        active_deadline_seconds: 120,
        cache_pvc: None,
        git_credentials_secret: Some("gitea-token".to_string()),
    };
    let job: Value = serde_json::to_value(kaniko_job(&req, &opts)).expect("json");
    assert_eq!(
        job["metadata"]["namespace"], "ci",
        "the build's namespace wins"
    );
    assert_eq!(
        job["metadata"]["generateName"], "build-tools-app-0123456-",
        "lowercase DNS-1123"
    );
    assert_eq!(job["metadata"]["labels"][BUILD_LABEL], "Tools_App");
    assert!(job["metadata"]["labels"].get(APP_LABEL).is_none());
    assert_eq!(
        job["metadata"]["annotations"][IMAGE_ANNOTATION],
        "registry.lan:5000/tools/app:v1.2"
    );
    assert_eq!(job["spec"]["ttlSecondsAfterFinished"], 60);
    assert_eq!(job["spec"]["activeDeadlineSeconds"], 120);
    let pod = pod(&job);
    assert_eq!(pod["serviceAccountName"], "builder");
    assert_eq!(
        pod["containers"][0]["image"],
        "ghcr.io/osscontainertools/kaniko:v1"
    );
    assert!(
        pod.get("volumes").is_none(),
        "no secret, no cache, no checkout"
    );
    let args = args(&job);
    assert_eq!(args[0], "--dockerfile=docker/Prod.Dockerfile");
    assert!(args.contains(&format!(
        "--context=git://gitea.lan/me/tools.git#HEAD#{SHA}"
    )));
    assert!(args.contains(&"--destination=registry.lan:5000/tools/app:v1.2".to_string()));
    let env = &pod["containers"][0]["env"];
    assert_eq!(
        *env,
        json!([
            {"name": "GIT_PULL_METHOD", "value": "http"},
            {"name": "GIT_USERNAME", "valueFrom": {"secretKeyRef": {"name": "gitea-token", "key": "username"}}},
            {"name": "GIT_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "gitea-token", "key": "password"}}},
        ])
    );
}

#[test]
fn generate_name_is_cut_to_fit_63_with_the_suffix() {
    let name = format!("a{}", "-very-long-build-name".repeat(5));
    let req = BuildRequest::new(
        plain_build(&name[..63]),
        SHA,
        ContextSource::HostPath {
            node: "n1".into(),
            repo_dir: "/srv/repo".into(),
            sub_path: None,
        },
    );
    let job = try_kaniko_job(&req, &BuildOptions::default()).expect("valid");
    let generate_name = job.metadata.generate_name.expect("generateName");
    assert!(
        generate_name.len() + 5 <= 63,
        "{generate_name:?} is {} long",
        generate_name.len()
    );
    assert!(generate_name.starts_with("build-a-very-long-build-name"));
    assert!(generate_name.ends_with("-0123456-"));
    assert!(!generate_name.contains("--"));
    assert!(
        generate_name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    );
}

#[test]
fn requests_the_cluster_cannot_run_are_refused() {
    let hostpath = |repo_dir: &str, sub: Option<&str>| ContextSource::HostPath {
        node: "n1".into(),
        repo_dir: repo_dir.into(),
        sub_path: sub.map(str::to_string),
    };
    let opts = BuildOptions::default();
    let refuse = |build: BuildSpec, commit: &str, source: ContextSource| {
        try_kaniko_job(&BuildRequest::new(build, commit, source), &opts)
            .expect_err("refused")
            .to_string()
    };
    let local = ContextSource::Git {
        url: "file:///home/me/repo".into(),
        commit: SHA.into(),
        branch: Some("main".into()),
        sub_path: None,
    };
    let error = refuse(plain_build("app"), SHA, local.clone());
    assert!(error.contains("use a hostPath build"), "{error}");
    // The lenient form still makes a Job, with the remote as given.
    let job = kaniko_job(&BuildRequest::new(plain_build("app"), SHA, local), &opts);
    let job = serde_json::to_value(job).expect("json");
    assert!(args(&job).contains(&"--context=file:///home/me/repo".to_string()));

    let error = refuse(plain_build("app"), "abc123", hostpath("/srv/r", None));
    assert!(error.contains("full commit sha"), "{error}");
    let error = refuse(plain_build("app"), SHA, hostpath("srv/r", None));
    assert!(error.contains("absolute path"), "{error}");
    let error = refuse(plain_build("app"), SHA, hostpath("/srv/r", Some("../etc")));
    assert!(error.contains("inside the repository"), "{error}");
    let mut tagged = plain_build("app");
    tagged.image = "harbor.lan/app:latest".into();
    let error = refuse(tagged, SHA, hostpath("/srv/r", None));
    assert!(error.contains("already has a tag"), "{error}");
    let mut bad_tag = plain_build("app");
    bad_tag.tag = Some("-x".into());
    let error = refuse(bad_tag, SHA, hostpath("/srv/r", None));
    assert!(error.contains("valid image tag"), "{error}");
    let error = refuse(plain_build("my app"), SHA, hostpath("/srv/r", None));
    assert!(error.contains("label value"), "{error}");
    // A registry port is not a tag.
    let ok = BuildRequest::new(plain_build("app"), SHA, hostpath("/srv/r", None));
    assert!(try_kaniko_job(&ok, &opts).is_ok());
    assert!(matches!(
        try_kaniko_job(
            &BuildRequest::new(plain_build("app"), SHA, hostpath("/srv/r", Some("../x"))),
            &opts
        ),
        Err(BuildError::Context(_))
    ));
}

#[test]
fn git_remotes_become_kaniko_git_contexts() {
    let at = |url: &str| kaniko_git_context(url, Some("main"), SHA);
    let want = format!("git://github.com/example/homelab.git#refs/heads/main#{SHA}");
    for url in [
        "https://github.com/example/homelab",
        "https://github.com/example/homelab.git",
        "https://github.com/example/homelab/",
        "http://github.com/example/homelab.git",
        "git@github.com:example/homelab.git",
        "git@github.com:example/homelab",
        "ssh://git@github.com/example/homelab.git",
        "ssh://git@github.com:2222/example/homelab.git",
        "git://github.com/example/homelab.git",
        "https://me:ghp_secret@github.com/example/homelab.git",
        "https://GitHub.com/example/homelab.git",
    ] {
        assert_eq!(at(url).as_deref(), Ok(want.as_str()), "{url}");
    }
    // An https port is where the server listens: kept. Nested groups too.
    assert_eq!(
        kaniko_git_context("https://gitlab.lan:8443/group/sub/repo.git", None, SHA).as_deref(),
        Ok(format!("git://gitlab.lan:8443/group/sub/repo.git#HEAD#{SHA}").as_str())
    );
    // refs/heads/ given or not, the same ref.
    assert_eq!(
        kaniko_git_context(
            "https://github.com/example/homelab",
            Some("refs/heads/main"),
            SHA
        ),
        at("https://github.com/example/homelab")
    );
    // No commit (a build whose context is another repo's URL): the tip.
    assert_eq!(
        kaniko_git_context("https://github.com/example/tools", Some("dev"), "").as_deref(),
        Ok("git://github.com/example/tools.git#refs/heads/dev")
    );
    for local in [
        "file:///home/admin/homelab",
        "/home/admin/homelab",
        "../homelab",
        "./homelab",
        "C:\\repos\\homelab",
        "http://localhost:3000/me/homelab.git",
    ] {
        let error = kaniko_git_context(local, Some("main"), SHA).expect_err(local);
        assert!(
            error.contains("local to this machine") && error.contains("hostPath"),
            "{local}: {error}"
        );
    }
    assert!(kaniko_git_context("https://github.com/example/homelab", Some("a#b"), SHA).is_err());
    assert!(kaniko_git_context("https://github.com/example/homelab", None, "not-hex").is_err());
    assert!(kaniko_git_context("https://github.com/", None, SHA).is_err());
}

#[test]
fn workflow_from_template_passes_the_build_facts() {
    let build = blog_build();
    let req = BuildRequest::new(
        build.clone(),
        SHA,
        ContextSource::Git {
            url: "https://bot:token@github.com/example/homelab.git".into(),
            commit: SHA.into(),
            branch: Some("main".into()),
            sub_path: ContextSource::sub_path_of(&build),
        },
    );
    let wf = workflow_from_template(&req, "kaniko-build", "argo");
    assert_eq!(wf["apiVersion"], "argoproj.io/v1alpha1");
    assert_eq!(wf["kind"], "Workflow");
    assert_eq!(wf["metadata"]["generateName"], "blog-0123456-");
    assert_eq!(wf["metadata"]["namespace"], "argo");
    let labels = &wf["metadata"]["labels"];
    assert_eq!(labels["app.kubernetes.io/managed-by"], "bosun");
    assert_eq!(labels[BUILD_LABEL], "blog");
    assert_eq!(labels[COMMIT_LABEL], "0123456");
    assert_eq!(labels[APP_LABEL], "blog-dev");
    assert_eq!(
        wf["metadata"]["annotations"][IMAGE_ANNOTATION],
        "harbor.home.lab/blog/blog:0123456"
    );
    assert_eq!(wf["metadata"]["annotations"][COMMIT_ANNOTATION], SHA);
    assert_eq!(
        wf["spec"]["workflowTemplateRef"],
        json!({"name": "kaniko-build"})
    );
    assert_eq!(
        wf["spec"]["arguments"]["parameters"],
        json!([
            {"name": "commit", "value": SHA},
            {"name": "image", "value": "harbor.home.lab/blog/blog:0123456"},
            {"name": "revision", "value": "0123456"},
            {"name": "context", "value": "https://github.com/example/homelab.git"},
        ])
    );
    // A node checkout passes the context directory instead.
    let req = BuildRequest::new(build.clone(), SHA, hostpath_source(&build));
    let wf = workflow_from_template(&req, "kaniko-build", "argo");
    assert_eq!(
        wf["spec"]["arguments"]["parameters"][3],
        json!({"name": "context", "value": "apps/blog/src"})
    );
    // What bosun submits, bosun reads back as a run.
    let run = run_from_workflow(&wf).expect("a build workflow");
    assert_eq!(run.kind, RunKind::Workflow);
    assert_eq!(run.build, "blog");
    assert_eq!(run.image, "harbor.home.lab/blog/blog:0123456");
    assert_eq!(run.commit, SHA);
    assert_eq!(run.phase, BuildPhase::Pending);
}

// ---------------------------------------------------------------------------
// Run status

fn job_with(status: Value) -> Value {
    json!({
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": "build-blog-0123456-x7k2p",
            "namespace": "bosun-builds",
            "labels": {BUILD_LABEL: "blog", COMMIT_LABEL: "0123456", APP_LABEL: "blog-dev"},
            "annotations": {IMAGE_ANNOTATION: "harbor.home.lab/blog/blog:0123456", COMMIT_ANNOTATION: SHA},
        },
        "spec": {"backoffLimit": 0},
        "status": status,
    })
}

const T0: &str = "2025-06-01T10:00:00Z";
const T0_SECS: i64 = 1_748_772_000;

fn condition(kind: &str, reason: &str, message: &str, at: &str) -> Value {
    json!({"type": kind, "status": "True", "reason": reason, "message": message, "lastTransitionTime": at})
}

#[test]
fn job_complete_is_succeeded_and_terminal() {
    let job = job_with(json!({
        "startTime": T0,
        "completionTime": "2025-06-01T10:01:30Z",
        "succeeded": 1,
        "conditions": [
            condition("SuccessCriteriaMet", "CompletionsReached", "", "2025-06-01T10:01:29Z"),
            condition("Complete", "CompletionsReached", "", "2025-06-01T10:01:30Z"),
        ],
    }));
    let run = run_from_job(&job).expect("a build job");
    assert_eq!(run.phase, BuildPhase::Succeeded);
    assert!(run.terminal());
    assert_eq!(run.kind, RunKind::Job);
    assert_eq!(run.name, "build-blog-0123456-x7k2p");
    assert_eq!(run.namespace, "bosun-builds");
    assert_eq!(run.build, "blog");
    assert_eq!(run.app.as_deref(), Some("blog-dev"));
    assert_eq!(run.image, "harbor.home.lab/blog/blog:0123456");
    assert_eq!(run.commit, SHA);
    assert_eq!(run.started, Some(T0_SECS));
    assert_eq!(run.finished, Some(T0_SECS + 90));
    assert_eq!(
        run.duration(T0_SECS + 10_000),
        Some(90),
        "finished: now is ignored"
    );
}

#[test]
fn job_failed_is_terminal_with_the_reason() {
    let job = job_with(json!({
        "startTime": T0,
        "failed": 1,
        "conditions": [
            condition("FailureTarget", "BackoffLimitExceeded", "Job has reached the specified backoff limit", "2025-06-01T10:00:40Z"),
            condition("Failed", "BackoffLimitExceeded", "Job has reached the specified backoff limit", "2025-06-01T10:00:42Z"),
        ],
    }));
    let run = run_from_job(&job).expect("a build job");
    assert_eq!(run.phase, BuildPhase::Failed);
    assert!(run.terminal());
    assert_eq!(
        run.message,
        "BackoffLimitExceeded: Job has reached the specified backoff limit"
    );
    assert_eq!(run.finished, Some(T0_SECS + 42));
    assert_eq!(run.duration(T0_SECS + 500), Some(42));
}

#[test]
fn job_with_only_failure_target_is_failing_not_failed() {
    let job = job_with(json!({
        "startTime": T0,
        "active": 1,
        "failed": 1,
        "conditions": [condition("FailureTarget", "DeadlineExceeded", "Job was active longer than specified deadline", "2025-06-01T11:00:00Z")],
    }));
    let run = run_from_job(&job).expect("a build job");
    assert_eq!(run.phase, BuildPhase::Failing);
    assert!(!run.terminal(), "pods are still being terminated");
    assert!(run.message.contains("DeadlineExceeded"), "{}", run.message);
    assert_eq!(run.finished, None);
    assert_eq!(run.duration(T0_SECS + 3601), Some(3601));
}

#[test]
fn job_with_only_success_criteria_met_is_still_running() {
    let job = job_with(json!({
        "startTime": T0,
        "succeeded": 1,
        "conditions": [condition("SuccessCriteriaMet", "CompletionsReached", "", "2025-06-01T10:01:29Z")],
    }));
    let run = run_from_job(&job).expect("a build job");
    assert_eq!(run.phase, BuildPhase::Running);
    assert_eq!(run.message, "completing");
    assert!(!run.terminal(), "terminal only at Complete");
}

#[test]
fn job_with_an_active_pod_is_running() {
    let job = job_with(json!({"startTime": T0, "active": 1, "ready": 1}));
    let run = run_from_job(&job).expect("a build job");
    assert_eq!(run.phase, BuildPhase::Running);
    assert!(!run.terminal());
    assert_eq!(run.duration(T0_SECS + 25), Some(25));
    // Conditions that are not True do not count.
    let job = job_with(json!({
        "startTime": T0, "active": 1,
        "conditions": [{"type": "Failed", "status": "False"}],
    }));
    assert_eq!(
        run_from_job(&job).map(|r| r.phase),
        Some(BuildPhase::Running)
    );
}

#[test]
fn job_suspended_or_new_is_pending() {
    let mut job = job_with(json!({
        "conditions": [condition("Suspended", "JobSuspended", "Job suspended", T0)],
    }));
    job["spec"]["suspend"] = json!(true);
    let run = run_from_job(&job).expect("a build job");
    assert_eq!(run.phase, BuildPhase::Pending);
    assert!(run.message.starts_with("suspended"), "{}", run.message);
    assert_eq!(run.duration(T0_SECS), None, "never started");
    // Just created: no status at all.
    let mut job = job_with(Value::Null);
    if let Some(object) = job.as_object_mut() {
        object.remove("status");
    }
    let run = run_from_job(&job).expect("a build job");
    assert_eq!(run.phase, BuildPhase::Pending);
    assert!(!run.terminal());
}

#[test]
fn jobs_without_the_build_label_are_not_builds() {
    let mut job = job_with(json!({"active": 1}));
    if let Some(labels) = job["metadata"]["labels"].as_object_mut() {
        labels.remove(BUILD_LABEL);
    }
    assert!(run_from_job(&job).is_none());
    assert!(run_from_job(&json!({"metadata": {"name": "x"}})).is_none());
    assert!(run_from_job(&json!("not an object")).is_none());
}

fn workflow_with(status: Value) -> Value {
    json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": {
            "name": "blog-0123456-abcde",
            "namespace": "argo",
            "labels": {BUILD_LABEL: "blog", COMMIT_LABEL: "0123456"},
            "annotations": {IMAGE_ANNOTATION: "harbor.home.lab/blog/blog:0123456", COMMIT_ANNOTATION: SHA},
        },
        "spec": {"workflowTemplateRef": {"name": "kaniko-build"}},
        "status": status,
    })
}

#[test]
fn workflow_phases_map_one_to_one() {
    for (phase, want, terminal) in [
        ("Pending", BuildPhase::Pending, false),
        ("Running", BuildPhase::Running, false),
        ("Succeeded", BuildPhase::Succeeded, true),
        ("Failed", BuildPhase::Failed, true),
        ("Error", BuildPhase::Error, true),
        ("Something", BuildPhase::Unknown, false),
    ] {
        let run = run_from_workflow(&workflow_with(json!({
            "phase": phase,
            "startedAt": T0,
            "finishedAt": if terminal { json!("2025-06-01T10:02:00Z") } else { Value::Null },
        })))
        .expect("a build workflow");
        assert_eq!(run.phase, want, "{phase}");
        assert_eq!(run.terminal(), terminal, "{phase}");
        assert_eq!(run.started, Some(T0_SECS), "{phase}");
        let expected = if terminal { 120 } else { 5 };
        assert_eq!(run.duration(T0_SECS + 5), Some(expected), "{phase}");
    }
    // Not yet seen by the controller: no status at all.
    let run = run_from_workflow(&workflow_with(Value::Null)).expect("a build workflow");
    assert_eq!(run.phase, BuildPhase::Pending);
    assert_eq!(run.duration(T0_SECS), None);
}

#[test]
fn workflow_failure_message_comes_from_nodes_when_present() {
    // nodes offloaded or compressed: no message to find, no panic.
    let run = run_from_workflow(&workflow_with(json!({"phase": "Failed", "startedAt": T0})))
        .expect("a build workflow");
    assert_eq!(run.phase, BuildPhase::Failed);
    assert_eq!(run.message, "");
    let run = run_from_workflow(&workflow_with(json!({
        "phase": "Error",
        "compressedNodes": "H4sIAAAAAAAA/6pWKkktLlGyUlAqSywqUqoFAAAA//8=",
    })))
    .expect("a build workflow");
    assert_eq!(run.phase, BuildPhase::Error);
    let run = run_from_workflow(&workflow_with(json!({
        "phase": "Failed",
        "nodes": {
            "blog-0123456-abcde": {"name": "blog-0123456-abcde", "type": "Steps", "phase": "Failed", "message": "child failed"},
            "blog-0123456-abcde-1": {"name": "blog-0123456-abcde.build", "type": "Pod", "phase": "Failed", "message": "Error (exit code 1)"},
        },
    })))
    .expect("a build workflow");
    assert_eq!(run.message, "Error (exit code 1)", "the pod says the most");
    // The workflow's own message wins.
    let run = run_from_workflow(&workflow_with(json!({
        "phase": "Failed", "message": "Stopped with strategy 'Terminate'",
        "nodes": {"n": {"name": "n", "type": "Pod", "phase": "Failed", "message": "x"}},
    })))
    .expect("a build workflow");
    assert_eq!(run.message, "Stopped with strategy 'Terminate'");
    // Workflows bosun did not submit are not builds.
    let mut other = workflow_with(json!({"phase": "Running"}));
    other["metadata"]["labels"] = json!({});
    assert!(run_from_workflow(&other).is_none());
}

// ---------------------------------------------------------------------------
// kustomize/

fn kubectl() -> Option<()> {
    let found = std::process::Command::new("kubectl")
        .args(["version", "--client"])
        .output()
        .is_ok_and(|out| out.status.success());
    if !found {
        eprintln!("SKIPPED: kubectl is not on PATH; cannot render kustomize/");
    }
    found.then_some(())
}

fn kustomize(dir: &Path) -> Vec<Value> {
    let out = std::process::Command::new("kubectl")
        .arg("kustomize")
        .arg(dir)
        .output()
        .expect("kubectl runs");
    assert!(
        out.status.success(),
        "kubectl kustomize {}: {}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("utf-8");
    serde_yaml::Deserializer::from_str(&text)
        .map(|doc| serde::Deserialize::deserialize(doc).expect("YAML"))
        .collect()
}

fn find<'a>(objects: &'a [Value], kind: &str, name: &str) -> &'a Value {
    objects
        .iter()
        .find(|o| o["kind"] == kind && o["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("{kind}/{name} in {objects:#?}"))
}

#[test]
fn kustomize_base_renders_namespace_and_service_account() {
    if kubectl().is_none() {
        return;
    }
    let objects = kustomize(&root().join("kustomize"));
    let kinds: Vec<&str> = objects.iter().filter_map(|o| o["kind"].as_str()).collect();
    assert_eq!(
        kinds,
        ["Namespace", "ServiceAccount"],
        "and nothing else: no RBAC for kaniko"
    );
    find(&objects, "Namespace", "bosun-builds");
    let sa = find(&objects, "ServiceAccount", "bosun-builder");
    assert_eq!(sa["metadata"]["namespace"], "bosun-builds");
    assert_eq!(sa["automountServiceAccountToken"], false);
    // --print-setup prints the same objects.
    let printed: Vec<Value> = serde_yaml::Deserializer::from_str(&bosun::builds::setup_manifests(
        &BuildOptions::default(),
    ))
    .map(|doc| serde::Deserialize::deserialize(doc).expect("YAML"))
    .collect();
    assert_eq!(printed, objects);
}

#[test]
fn kustomize_components_add_runner_rbac_and_cache_pvc() {
    if kubectl().is_none() {
        return;
    }
    // kustomize wants relative paths: an overlay next to a copy of the base.
    let dir = tempfile::tempdir().expect("temp dir");
    common::copy_dir(&root().join("kustomize"), &dir.path().join("kustomize"));
    let overlay = dir.path().join("overlay");
    std::fs::create_dir(&overlay).expect("overlay dir");
    std::fs::write(
        overlay.join("kustomization.yaml"),
        "resources: [../kustomize]\ncomponents: [../kustomize/runner-rbac, ../kustomize/cache-pvc]\n",
    )
    .expect("overlay");
    let objects = kustomize(&overlay);
    let role = find(&objects, "Role", "bosun-build-runner");
    assert_eq!(role["metadata"]["namespace"], "bosun-builds");
    let rules = role["rules"].as_array().expect("rules");
    let rule_for = |resource: &str| {
        rules
            .iter()
            .find(|r| {
                r["resources"]
                    .as_array()
                    .is_some_and(|rs| rs.iter().any(|x| x == resource))
            })
            .unwrap_or_else(|| panic!("a rule for {resource}"))
    };
    assert_eq!(
        rule_for("jobs")["verbs"],
        json!(["create", "get", "list", "watch", "delete"])
    );
    assert_eq!(
        rule_for("pods/log")["verbs"],
        json!(["get", "list", "watch"])
    );
    let secrets = rule_for("secrets");
    assert_eq!(secrets["verbs"], json!(["get"]));
    assert!(
        secrets["resourceNames"]
            .as_array()
            .is_some_and(|n| !n.is_empty()),
        "secrets only by name"
    );
    for rule in rules {
        let verbs = rule["verbs"].as_array().expect("verbs");
        assert!(!verbs.iter().any(|v| v == "*"), "no wildcard verbs: {rule}");
    }
    let binding = find(&objects, "RoleBinding", "bosun-build-runner");
    assert_eq!(binding["roleRef"]["name"], "bosun-build-runner");
    assert!(
        binding["subjects"]
            .as_array()
            .is_some_and(|s| s.iter().all(|s| s["kind"] != "ServiceAccount")),
        "the runner role is for people, not for kaniko's account"
    );
    let pvc = find(&objects, "PersistentVolumeClaim", "kaniko-cache");
    assert_eq!(pvc["spec"]["resources"]["requests"]["storage"], "5Gi");
    assert_eq!(pvc["metadata"]["namespace"], "bosun-builds");
}

// BEGIN SIM TESTS
// ---------------------------------------------------------------------------
// Preflight against the simulated cluster

mod preflight_sim {
    use super::*;
    use bosun::builds::{Missing, check};
    use bosun::sim::{SimCluster, SimOptions};

    async fn sim() -> (SimCluster, kube::Client) {
        let sim = SimCluster::start(SimOptions::default())
            .await
            .expect("the simulated cluster starts");
        let kubeconfig =
            kube::config::Kubeconfig::read_from(sim.kubeconfig_path()).expect("sim kubeconfig");
        let config = kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default())
            .await
            .expect("config");
        let client = kube::Client::try_from(config).expect("client");
        (sim, client)
    }

    fn namespace(sim: &SimCluster) {
        sim.apply_object(json!({"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": "bosun-builds"}}))
            .expect("namespace");
    }

    fn service_account(sim: &SimCluster) {
        sim.apply_object(json!({"apiVersion": "v1", "kind": "ServiceAccount",
            "metadata": {"name": "bosun-builder", "namespace": "bosun-builds"},
            "automountServiceAccountToken": false}))
            .expect("service account");
    }

    fn secret(sim: &SimCluster, kind: &str) {
        let key = if kind == "kubernetes.io/dockerconfigjson" {
            ".dockerconfigjson"
        } else {
            "password"
        };
        sim.apply_object(json!({"apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": "harbor-push", "namespace": "bosun-builds"},
            "type": kind, "data": {key: "e30="}}))
            .expect("secret");
    }

    fn argo_crd(sim: &SimCluster) {
        sim.apply_object(json!({
            "apiVersion": "apiextensions.k8s.io/v1",
            "kind": "CustomResourceDefinition",
            "metadata": {"name": "workflowtemplates.argoproj.io"},
            "spec": {
                "group": "argoproj.io",
                "scope": "Namespaced",
                "names": {"plural": "workflowtemplates", "singular": "workflowtemplate",
                          "kind": "WorkflowTemplate", "listKind": "WorkflowTemplateList"},
                "versions": [{"name": "v1alpha1", "served": true, "storage": true,
                              "schema": {"openAPIV3Schema": {"type": "object",
                                  "x-kubernetes-preserve-unknown-fields": true}}}],
            },
        }))
        .expect("CRD");
    }

    fn workflow_build() -> BuildSpec {
        let mut build = blog_build();
        build.workflow_template = Some("kaniko-build".to_string());
        build
    }

    #[tokio::test]
    async fn no_namespace_says_to_apply_kustomize() {
        let (_sim, client) = sim().await;
        let missing = check(&client, &blog_build(), &BuildOptions::default()).await;
        assert_eq!(
            missing,
            vec![
                Missing::Namespace("bosun-builds".into()),
                // kustomize/ holds no credentials: still to do.
                Missing::RegistrySecret {
                    namespace: "bosun-builds".into(),
                    name: "harbor-push".into()
                },
            ]
        );
        let text = missing[0].to_string();
        assert!(text.contains("\"bosun-builds\" does not exist"), "{text}");
        assert!(text.contains("kubectl apply -k kustomize/"), "{text}");
        assert!(text.contains("bosun build --print-setup"), "{text}");
    }

    #[tokio::test]
    async fn no_service_account_is_reported() {
        let (sim, client) = sim().await;
        namespace(&sim);
        secret(&sim, "kubernetes.io/dockerconfigjson");
        let missing = check(&client, &blog_build(), &BuildOptions::default()).await;
        assert_eq!(
            missing,
            vec![Missing::ServiceAccount {
                namespace: "bosun-builds".into(),
                name: "bosun-builder".into()
            }]
        );
        assert!(
            missing[0]
                .to_string()
                .contains("kubectl apply -k kustomize/")
        );
    }

    #[tokio::test]
    async fn no_registry_secret_gives_the_kubectl_command() {
        let (sim, client) = sim().await;
        namespace(&sim);
        service_account(&sim);
        let missing = check(&client, &blog_build(), &BuildOptions::default()).await;
        assert_eq!(
            missing,
            vec![Missing::RegistrySecret {
                namespace: "bosun-builds".into(),
                name: "harbor-push".into()
            }]
        );
        let text = missing[0].to_string();
        assert!(
            text.contains(
                "registry secret \"harbor-push\" is missing in namespace \"bosun-builds\""
            ),
            "{text}"
        );
        assert!(
            text.contains("kubectl create secret docker-registry harbor-push -n bosun-builds"),
            "{text}"
        );
        assert!(text.contains("--docker-server="), "{text}");
    }

    #[tokio::test]
    async fn an_opaque_secret_is_the_wrong_type() {
        let (sim, client) = sim().await;
        namespace(&sim);
        service_account(&sim);
        secret(&sim, "Opaque");
        let missing = check(&client, &blog_build(), &BuildOptions::default()).await;
        assert_eq!(
            missing,
            vec![Missing::WrongSecretType {
                namespace: "bosun-builds".into(),
                name: "harbor-push".into(),
                found: "Opaque".into()
            }]
        );
        assert!(
            missing[0]
                .to_string()
                .contains("kubernetes.io/dockerconfigjson")
        );
    }

    #[tokio::test]
    async fn everything_present_means_nothing_missing() {
        let (sim, client) = sim().await;
        namespace(&sim);
        service_account(&sim);
        secret(&sim, "kubernetes.io/dockerconfigjson");
        assert_eq!(
            check(&client, &blog_build(), &BuildOptions::default()).await,
            vec![]
        );
        // The build's own namespace is the one checked.
        let mut elsewhere = blog_build();
        elsewhere.namespace = Some("ci".into());
        assert_eq!(
            check(&client, &elsewhere, &BuildOptions::default()).await,
            vec![
                Missing::Namespace("ci".into()),
                Missing::RegistrySecret {
                    namespace: "ci".into(),
                    name: "harbor-push".into()
                },
            ]
        );
    }

    #[tokio::test]
    async fn a_workflow_build_without_argo_says_so() {
        let (sim, client) = sim().await;
        namespace(&sim);
        secret(&sim, "kubernetes.io/dockerconfigjson");
        let missing = check(&client, &workflow_build(), &BuildOptions::default()).await;
        assert_eq!(missing, vec![Missing::ArgoNotInstalled]);
        assert!(
            missing[0]
                .to_string()
                .contains("Argo Workflows is not installed")
        );
    }

    #[tokio::test]
    async fn a_workflow_build_needs_its_template() {
        let (sim, client) = sim().await;
        namespace(&sim);
        secret(&sim, "kubernetes.io/dockerconfigjson");
        argo_crd(&sim);
        // The CRD is served once the sim's controller marks it Established.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        let missing = loop {
            let missing = check(&client, &workflow_build(), &BuildOptions::default()).await;
            if missing != vec![Missing::ArgoNotInstalled] || std::time::Instant::now() > deadline {
                break missing;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        };
        assert_eq!(
            missing,
            vec![Missing::WorkflowTemplate {
                namespace: "bosun-builds".into(),
                name: "kaniko-build".into()
            }],
            "no service account needed: the template runs the build"
        );
        sim.apply_object(
            json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "WorkflowTemplate",
            "metadata": {"name": "kaniko-build", "namespace": "bosun-builds"},
            "spec": {"entrypoint": "build"}}),
        )
        .expect("template");
        assert_eq!(
            check(&client, &workflow_build(), &BuildOptions::default()).await,
            vec![]
        );
    }

    #[tokio::test]
    async fn a_forbidden_check_is_said_not_swallowed() {
        let (sim, client) = sim().await;
        namespace(&sim);
        service_account(&sim);
        sim.forbid("secrets", true);
        let missing = check(&client, &blog_build(), &BuildOptions::default()).await;
        assert_eq!(missing.len(), 1, "{missing:?}");
        assert!(
            matches!(&missing[0], Missing::Unchecked { what, reason }
                if what.contains("harbor-push") && reason.contains("forbidden")),
            "{missing:?}"
        );
        // Reading namespaces forbidden (a namespaced runner Role): the
        // checks inside it still answer.
        sim.forbid("secrets", false);
        sim.forbid("namespaces", true);
        secret(&sim, "kubernetes.io/dockerconfigjson");
        assert_eq!(
            check(&client, &blog_build(), &BuildOptions::default()).await,
            vec![]
        );
    }
}
// END SIM TESTS

//! GitOps spec and rendering: `bosun.yaml` parsing and validation, app
//! discovery, render inputs, and real renders of samples/repo with kubectl's
//! built-in kustomize (helm is optional: those tests say why they skip).

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use bosun::gitops::object::RenderedObject;
use bosun::gitops::render::{self, RenderError, Tools};
use bosun::gitops::spec::{self, AppSource, AppSpec, BuildContext, RepoSpec, SpecError};
use serde_json::{Value, json};

fn sample_repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("samples")
        .join("repo")
}

/// A private copy of samples/repo that a test may change.
fn sample_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temp dir");
    common::copy_dir(&sample_repo(), dir.path());
    dir
}

fn write(root: &Path, relative: &str, text: &str) {
    let path = root.join(relative);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("create the parent directory");
    }
    std::fs::write(path, text).expect("write a test file");
}

fn sample_spec() -> RepoSpec {
    spec::load(&sample_repo()).unwrap_or_else(|error| panic!("samples/repo/bosun.yaml: {error}"))
}

fn app<'a>(spec: &'a RepoSpec, name: &str) -> &'a AppSpec {
    spec.apps
        .iter()
        .find(|app| app.name == name)
        .unwrap_or_else(|| panic!("no app {name} in {:?}", spec.apps))
}

/// The Display of the error `text` (a bosun.yaml) gives in the sample copy.
fn spec_error(root: &Path, text: &str) -> String {
    match spec::parse(root, text) {
        Ok(spec) => panic!("expected an error, parsed {spec:?}"),
        Err(error) => error.to_string(),
    }
}

fn kubectl_available() -> bool {
    std::process::Command::new("kubectl")
        .args(["version", "--client"])
        .output()
        .is_ok_and(|out| out.status.success())
}

/// The detected tools, or `None` (with the reason printed) without kubectl.
fn kubectl_tools() -> Option<Tools> {
    if !kubectl_available() {
        eprintln!("skipping: no kubectl binary on PATH");
        return None;
    }
    let tools = Tools::detect();
    assert!(
        tools.kubectl.is_some() || tools.kustomize.is_some(),
        "kubectl runs but Tools::detect did not find it: {tools:?}"
    );
    Some(tools)
}

fn helm_tools() -> Option<Tools> {
    let tools = kubectl_tools()?;
    if tools.helm.is_none() {
        eprintln!("skipping: no helm binary on PATH");
        return None;
    }
    Some(tools)
}

/// (kind, namespace, name) of each object, sorted.
fn ids(objects: &[RenderedObject]) -> BTreeSet<(String, String, String)> {
    objects
        .iter()
        .map(|o| {
            (
                o.kind.clone(),
                o.namespace.clone().unwrap_or_default(),
                o.name.clone(),
            )
        })
        .collect()
}

fn id(kind: &str, namespace: &str, name: &str) -> (String, String, String) {
    (kind.into(), namespace.into(), name.into())
}

fn find<'a>(objects: &'a [RenderedObject], kind: &str, name: &str) -> &'a RenderedObject {
    objects
        .iter()
        .find(|o| o.kind == kind && o.name == name)
        .unwrap_or_else(|| panic!("no {kind} {name} in {:?}", ids(objects)))
}

async fn render_sample(name: &str, tools: &Tools) -> Result<render::Rendered, RenderError> {
    let spec = sample_spec();
    render::render_app(&sample_repo(), app(&spec, name), tools).await
}

// ---------------------------------------------------------------------------
// bosun.yaml

#[test]
fn sample_spec_lists_apps_sources_namespaces_and_the_build() {
    let spec = sample_spec();
    assert!(!spec.discovered);
    let names: Vec<&str> = spec.apps.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "blog",
            "blog-dev",
            "mariadb",
            "redis",
            "monitoring",
            "keycloak",
            "certs",
            "ingress"
        ]
    );
    let blog = app(&spec, "blog");
    assert_eq!(
        blog.source,
        AppSource::Kustomize {
            path: PathBuf::from("apps/blog/overlays/prod"),
            options: Default::default(),
        }
    );
    assert_eq!(blog.namespace.as_deref(), Some("blog"));
    assert!(!blog.prune && !blog.auto_sync);
    let dev = app(&spec, "blog-dev");
    assert_eq!(dev.namespace.as_deref(), Some("blog-dev"));
    assert!(
        dev.prune && dev.auto_sync,
        "prune/autoSync read from camelCase keys"
    );

    let keycloak = app(&spec, "keycloak");
    let AppSource::Helm(helm) = &keycloak.source else {
        panic!("keycloak is a Helm app: {keycloak:?}");
    };
    assert_eq!(helm.chart, "charts/keycloak");
    assert_eq!(
        helm.chart_path.as_deref(),
        Some(Path::new("charts/keycloak"))
    );
    assert_eq!(helm.release, "keycloak");
    assert_eq!(helm.namespace.as_deref(), Some("auth"));
    assert_eq!(helm.values, [PathBuf::from("apps/keycloak/values.yaml")]);
    assert_eq!(
        keycloak.namespace.as_deref(),
        Some("auth"),
        "defaults to the release namespace"
    );

    assert_eq!(spec.builds.len(), 1);
    let build = &spec.builds[0];
    assert_eq!(build.name, "blog");
    assert_eq!(
        build.context,
        BuildContext::Repo(PathBuf::from("apps/blog/src"))
    );
    assert_eq!(build.dockerfile, "Dockerfile");
    assert_eq!(build.image, "harbor.home.lab/blog/blog");
    assert_eq!(build.tag, None);
    assert_eq!(build.registry_secret.as_deref(), Some("harbor-push"));
    assert_eq!(build.then, ["deployment/blog -n blog-dev"]);
    assert_eq!(build.app.as_deref(), Some("blog-dev"));
}

#[test]
fn remote_charts_urls_and_numbers_are_kept_as_written() {
    let repo = sample_copy();
    let spec = spec::parse(
        repo.path(),
        "apps:\n  - name: kc\n    helm:\n      chart: bitnami/keycloak\n      version: 24.0\n      \
         release: kc\n      repo: https://charts.bitnami.com/bitnami\n\
         builds:\n  - name: b\n    context: https://git.home.lab/blog.git\n    image: r/b\n    tag: 2024\n",
    )
    .unwrap_or_else(|error| panic!("{error}"));
    let AppSource::Helm(helm) = &spec.apps[0].source else {
        panic!("a Helm app");
    };
    assert_eq!(helm.chart_path, None, "repo/name is a remote chart");
    assert_eq!(helm.version.as_deref(), Some("24.0"));
    assert_eq!(
        helm.repo_url.as_deref(),
        Some("https://charts.bitnami.com/bitnami")
    );
    assert_eq!(helm.namespace, None);
    assert_eq!(
        spec.builds[0].context,
        BuildContext::Url("https://git.home.lab/blog.git".into())
    );
    assert_eq!(spec.builds[0].tag.as_deref(), Some("2024"));
}

#[test]
fn bad_yaml_syntax_names_file_and_line() {
    let repo = sample_copy();
    let error = spec::parse(
        repo.path(),
        "apps:\n  - name: blog\n    path: apps/blog/overlays/prod\n  - name: [redis\n    path: apps/redis\n",
    )
    .expect_err("unclosed flow sequence");
    let SpecError::Yaml { line, column, .. } = &error else {
        panic!("a Yaml error: {error:?}");
    };
    assert_eq!((*line, *column), (Some(5), Some(9)), "{error:?}");
    // The problem's position moves to the front; libyaml's context keeps its own.
    assert_eq!(
        error.to_string(),
        "bosun.yaml line 5 column 9: did not find expected ',' or ']', \
         while parsing a flow sequence at line 4 column 11"
    );
}

#[test]
fn unknown_field_names_line_and_field_path() {
    let repo = sample_copy();
    let message = spec_error(
        repo.path(),
        "apps:\n  - name: blog\n    path: apps/blog/overlays/prod\n  - name: redis\n    pth: apps/redis\n",
    );
    assert!(message.starts_with("bosun.yaml line 5"), "{message}");
    assert!(
        message.contains("apps[1]: unknown field `pth`"),
        "{message}"
    );
}

#[test]
fn duplicate_app_name_names_both_entries() {
    let repo = sample_copy();
    let message = spec_error(
        repo.path(),
        "apps:\n  - name: blog\n    path: apps/blog/overlays/prod\n  - name: redis\n    path: apps/redis\n  \
         - name: blog\n    path: apps/blog/overlays/dev\n",
    );
    assert_eq!(
        message,
        "bosun.yaml line 6: apps[2].name: duplicate app name \"blog\" (also apps[0], line 2)"
    );
}

#[test]
fn missing_path_and_missing_source_are_field_errors() {
    let repo = sample_copy();
    let message = spec_error(
        repo.path(),
        "apps:\n  - name: redis\n    path: apps/redis\n  - name: nope\n    namespace: nope\n    path: apps/nope\n",
    );
    assert_eq!(
        message,
        "bosun.yaml line 6: apps[1].path: \"apps/nope\" does not exist in the repository"
    );
    let message = spec_error(
        repo.path(),
        "apps:\n  - name: redis\n    namespace: redis\n",
    );
    assert!(
        message.starts_with("bosun.yaml line 2: apps[0]: needs `path`"),
        "{message}"
    );
    let message = spec_error(repo.path(), "apps:\n  - path: apps/redis\n");
    assert!(
        message.starts_with("bosun.yaml line 2: apps[0].name: missing"),
        "{message}"
    );
    let message = spec_error(
        repo.path(),
        "apps:\n  - name: kc\n    helm:\n      chart: charts/keycloak\n",
    );
    assert!(
        message.starts_with("bosun.yaml line 3: apps[0].helm.release: missing"),
        "{message}"
    );
}

#[test]
fn path_without_kustomization_is_a_plain_directory_app() {
    let repo = sample_copy();
    let spec = spec::parse(
        repo.path(),
        "apps:\n  - name: src\n    path: apps/blog/src\n",
    )
    .unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(
        spec.apps[0].source,
        AppSource::Directory(bosun::gitops::app::DirectorySource {
            path: "apps/blog/src".into(),
            ..Default::default()
        })
    );
}

#[test]
fn path_leaving_the_repo_is_refused() {
    let repo = sample_copy();
    let message = spec_error(repo.path(), "apps:\n  - name: x\n    path: ../x\n");
    assert_eq!(
        message,
        "bosun.yaml line 3: apps[0].path: \"../x\" leaves the repository"
    );
    let message = spec_error(
        repo.path(),
        "apps:\n  - name: x\n    path: apps/../../../etc\n",
    );
    assert!(message.contains("leaves the repository"), "{message}");
    let message = spec_error(
        repo.path(),
        "apps:\n  - name: kc\n    helm:\n      chart: charts/keycloak\n      release: kc\n      \
         values: [apps/keycloak/values.yaml, ../secrets.yaml]\n",
    );
    assert_eq!(
        message,
        "bosun.yaml line 6: apps[0].helm.values[1]: \"../secrets.yaml\" leaves the repository"
    );
}

#[test]
fn absolute_path_is_refused() {
    let repo = sample_copy();
    let message = spec_error(repo.path(), "apps:\n  - name: x\n    path: /etc\n");
    assert!(
        message.starts_with("bosun.yaml line 3: apps[0].path: \"/etc\" is an absolute path"),
        "{message}"
    );
    let message = spec_error(
        repo.path(),
        "builds:\n  - name: b\n    image: r/b\n    context: /srv/blog\n",
    );
    assert!(
        message
            .starts_with("bosun.yaml line 4: builds[0].context: \"/srv/blog\" is an absolute path"),
        "{message}"
    );
}

#[cfg(unix)]
#[test]
fn symlink_out_of_the_repo_is_refused() {
    let repo = sample_copy();
    let outside = tempfile::tempdir().expect("a temp dir");
    write(outside.path(), "kustomization.yaml", "resources: []\n");
    std::os::unix::fs::symlink(outside.path(), repo.path().join("apps/evil")).expect("symlink");
    let message = spec_error(
        repo.path(),
        "apps:\n  - name: blog\n    path: apps/blog/overlays/prod\n  - name: evil\n    path: apps/evil\n",
    );
    assert!(
        message.starts_with("bosun.yaml line 5: apps[1].path: \"apps/evil\" leaves the repository"),
        "{message}"
    );
    // A path through the link is as bad as the link.
    let error =
        spec::contain(repo.path(), "apps/evil/sub/values.yaml").expect_err("through a symlink");
    assert!(error.contains("leaves the repository"), "{error}");
    // A symlink that stays inside is fine.
    std::os::unix::fs::symlink(
        repo.path().join("apps/redis"),
        repo.path().join("apps/cache"),
    )
    .expect("symlink");
    assert_eq!(
        spec::contain(repo.path(), "./apps/cache/").as_deref(),
        Ok(Path::new("apps/cache"))
    );
}

#[test]
fn contain_normalises_inside_paths() {
    let repo = sample_copy();
    assert_eq!(
        spec::contain(repo.path(), "apps/blog/overlays/prod/../../base").as_deref(),
        Ok(Path::new("apps/blog/base"))
    );
    assert_eq!(
        spec::contain(repo.path(), "not/yet/there").as_deref(),
        Ok(Path::new("not/yet/there"))
    );
    assert!(spec::contain(repo.path(), "a/../..").is_err());
}

#[test]
fn empty_spec_has_no_apps() {
    let repo = sample_copy();
    let spec =
        spec::parse(repo.path(), "# nothing yet\n").unwrap_or_else(|error| panic!("{error}"));
    assert!(spec.apps.is_empty() && spec.builds.is_empty() && !spec.discovered);
}

// ---------------------------------------------------------------------------
// Discovery and inputs

#[test]
fn discovery_finds_overlays_not_their_base() {
    let repo = tempfile::tempdir().expect("a temp dir");
    let root = repo.path();
    write(
        root,
        "web/base/kustomization.yaml",
        "resources: [cm.yaml]\n",
    );
    write(
        root,
        "web/base/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n",
    );
    write(
        root,
        "web/overlays/dev/kustomization.yaml",
        "resources: [../../base]\nnamespace: dev\n",
    );
    write(
        root,
        "web/overlays/prod/kustomization.yml",
        "resources:\n  - ../../base\nnamespace: prod\n",
    );
    // Never apps: hidden dirs, .git, a chart's templates.
    write(root, ".git/kustomization.yaml", "resources: []\n");
    write(root, ".hidden/kustomization.yaml", "resources: []\n");
    write(
        root,
        "chart/Chart.yaml",
        "apiVersion: v2\nname: chart\nversion: 0.1.0\n",
    );
    write(
        root,
        "chart/templates/kustomization.yaml",
        "resources: []\n",
    );

    let spec = spec::load(root).unwrap_or_else(|error| panic!("{error}"));
    assert!(spec.discovered);
    let found: Vec<(&str, &AppSource)> = spec
        .apps
        .iter()
        .map(|a| (a.name.as_str(), &a.source))
        .collect();
    assert_eq!(
        found,
        [
            (
                "web/overlays/dev",
                &AppSource::Kustomize {
                    path: "web/overlays/dev".into(),
                    options: Default::default(),
                }
            ),
            (
                "web/overlays/prod",
                &AppSource::Kustomize {
                    path: "web/overlays/prod".into(),
                    options: Default::default(),
                }
            ),
        ]
    );
}

#[test]
fn discovery_of_the_sample_repo_without_bosun_yaml() {
    let repo = sample_copy();
    std::fs::remove_file(repo.path().join(spec::SPEC_FILE)).expect("remove bosun.yaml");
    let apps = spec::discover(repo.path()).unwrap_or_else(|error| panic!("{error}"));
    let names: Vec<&str> = apps.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "apps/blog/overlays/dev",
            "apps/blog/overlays/prod",
            "apps/mariadb",
            "apps/monitoring",
            "apps/redis",
            "infra/certs",
            "infra/ingress",
        ]
    );
}

#[test]
fn app_inputs_follow_bases_patches_charts_and_values() {
    let root = sample_repo();
    let spec = sample_spec();
    let blog = spec::app_inputs(&root, app(&spec, "blog"));
    for expected in [
        "apps/blog/overlays/prod",
        "apps/blog/base",
        "apps/blog/overlays/prod/instance.yaml",
        "apps/blog/overlays/prod/comments.yaml",
    ] {
        assert!(
            blog.contains(&root.join(expected)),
            "{expected} not in {blog:?}"
        );
    }
    assert!(
        !blog.iter().any(|p| p.ends_with("overlays/dev")),
        "{blog:?}"
    );

    let keycloak = spec::app_inputs(&root, app(&spec, "keycloak"));
    assert_eq!(
        keycloak,
        [
            root.join("apps/keycloak/values.yaml"),
            root.join("charts/keycloak")
        ]
    );

    let monitoring = spec::app_inputs(&root, app(&spec, "monitoring"));
    assert!(
        monitoring.contains(&root.join("apps/monitoring/charts/uptime")),
        "{monitoring:?}"
    );
}

#[test]
fn app_inputs_survive_cycles_and_never_leave_the_repo() {
    let repo = tempfile::tempdir().expect("a temp dir");
    let root = repo.path().join("repo");
    write(
        &root,
        "a/kustomization.yaml",
        "resources: [../b, ../../outside, https://example.com/x.yaml]\n",
    );
    write(
        &root,
        "b/kustomization.yaml",
        "resources: [../a]\nconfigMapGenerator:\n  - name: c\n    files: [key=conf.txt]\n",
    );
    write(&root, "b/conf.txt", "x\n");
    write(repo.path(), "outside/kustomization.yaml", "resources: []\n");
    let app = AppSpec::new(
        "a",
        AppSource::Kustomize {
            path: "a".into(),
            options: Default::default(),
        },
    );
    let inputs = spec::app_inputs(&root, &app);
    assert_eq!(
        inputs,
        [root.join("a"), root.join("b"), root.join("b/conf.txt")]
    );
}

// ---------------------------------------------------------------------------
// Rendering with kubectl kustomize

#[tokio::test]
async fn renders_blog_prod() {
    let Some(tools) = kubectl_tools() else { return };
    let rendered = render_sample("blog", &tools)
        .await
        .unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(
        ids(&rendered.objects),
        BTreeSet::from([
            id("Namespace", "", "blog"),
            id("Secret", "blog", "blog-db"),
            id("PersistentVolumeClaim", "blog", "blog-content"),
            id("Service", "blog", "blog"),
            id("Deployment", "blog", "blog"),
            id("Ingress", "blog", "blog"),
            id("Service", "blog", "blog-comments"),
            id("Deployment", "blog", "blog-comments"),
        ])
    );
    let deployment = find(&rendered.objects, "Deployment", "blog");
    assert_eq!(deployment.manifest["spec"]["replicas"], 2);
    let containers = &deployment.manifest["spec"]["template"]["spec"]["containers"];
    assert_eq!(containers.as_array().map(Vec::len), Some(1), "{containers}");
    assert_eq!(containers[0]["name"], "ghost");
    assert_eq!(containers[0]["image"], "ghost:5");
    assert_eq!(containers[0]["ports"][0]["containerPort"], 2368);
    assert_eq!(
        containers[0]["resources"]["limits"]["cpu"], "250m",
        "the prod patch adds to the base's resources"
    );
    assert_eq!(
        deployment.manifest["spec"]["selector"]["matchLabels"],
        json!({"app.kubernetes.io/name": "blog", "app.kubernetes.io/instance": "blog"}),
        "base name plus overlay instance, nothing else"
    );
    assert_eq!(
        deployment.manifest["spec"]["template"]["metadata"]["labels"],
        deployment.manifest["spec"]["selector"]["matchLabels"]
    );
    assert_eq!(
        find(&rendered.objects, "Service", "blog").manifest["spec"]["selector"],
        deployment.manifest["spec"]["selector"]["matchLabels"]
    );
    let pvc = find(&rendered.objects, "PersistentVolumeClaim", "blog-content");
    assert_eq!(
        pvc.manifest["spec"]["accessModes"],
        json!(["ReadWriteMany"])
    );
    assert_eq!(
        pvc.manifest["spec"]["resources"]["requests"]["storage"],
        "5Gi"
    );
    // The comments are not part of the base: the blog's labels stay off them.
    let comments = find(&rendered.objects, "Deployment", "blog-comments");
    assert_eq!(
        comments.manifest["spec"]["selector"]["matchLabels"],
        json!({
            "app.kubernetes.io/name": "blog-comments",
            "app.kubernetes.io/instance": "blog-comments"
        })
    );
    assert_eq!(
        comments.manifest["spec"]["template"]["spec"]["containers"][0]["name"],
        "comments"
    );
    let ingress = find(&rendered.objects, "Ingress", "blog");
    assert_eq!(ingress.manifest["spec"]["tls"][0]["secretName"], "blog-tls");
    assert_eq!(
        ingress.manifest["spec"]["rules"][0]["host"],
        "blog.home.lab"
    );
    assert_eq!(
        ingress.manifest["metadata"]["annotations"]["cert-manager.io/cluster-issuer"],
        "letsencrypt-prod"
    );
    assert!(
        rendered.command.contains("kustomize")
            && rendered.command.ends_with("apps/blog/overlays/prod")
    );
}

#[tokio::test]
async fn renders_blog_dev() {
    let Some(tools) = kubectl_tools() else { return };
    let rendered = render_sample("blog-dev", &tools)
        .await
        .unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(
        ids(&rendered.objects),
        BTreeSet::from([
            id("Namespace", "", "blog-dev"),
            id("Secret", "blog-dev", "blog-db"),
            id("PersistentVolumeClaim", "blog-dev", "blog-content"),
            id("Service", "blog-dev", "blog"),
            id("Deployment", "blog-dev", "blog"),
            id("Ingress", "blog-dev", "blog"),
        ]),
        "the base plus dev's own objects; no comments"
    );
    let deployment = find(&rendered.objects, "Deployment", "blog");
    assert_eq!(deployment.manifest["spec"]["replicas"], 1);
    assert_eq!(deployment.manifest["spec"]["strategy"]["type"], "Recreate");
    let containers = &deployment.manifest["spec"]["template"]["spec"]["containers"];
    assert_eq!(containers.as_array().map(Vec::len), Some(1), "{containers}");
    assert_eq!(containers[0]["name"], "ghost");
    assert_eq!(
        containers[0]["image"],
        "harbor.home.lab/blog/blog:dev-3f2a1c9"
    );
    let env = containers[0]["env"].as_array().expect("env");
    assert_eq!(
        env[0],
        json!({"name": "url", "value": "https://blog-dev.home.lab"}),
        "the patch replaces the url in place"
    );
    assert_eq!(env.len(), 9, "and keeps the base's other variables");
    assert_eq!(
        deployment.manifest["spec"]["selector"]["matchLabels"],
        json!({"app.kubernetes.io/name": "blog", "app.kubernetes.io/instance": "blog-dev"})
    );
    let pvc = find(&rendered.objects, "PersistentVolumeClaim", "blog-content");
    assert_eq!(
        pvc.manifest["spec"]["accessModes"],
        json!(["ReadWriteOnce"])
    );
    let ingress = find(&rendered.objects, "Ingress", "blog");
    assert_eq!(
        ingress.manifest["spec"]["rules"][0]["host"],
        "blog-dev.home.lab"
    );
    assert_eq!(
        ingress.manifest["spec"]["tls"][0]["secretName"],
        "blog-dev-tls"
    );
}

#[tokio::test]
async fn renders_mariadb_redis_and_infra() {
    let Some(tools) = kubectl_tools() else { return };
    let mariadb = render_sample("mariadb", &tools)
        .await
        .unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(
        ids(&mariadb.objects),
        BTreeSet::from([
            id("Namespace", "", "mariadb"),
            id("Secret", "mariadb", "mariadb"),
            id("Service", "mariadb", "mariadb"),
            id("StatefulSet", "mariadb", "mariadb"),
            id("PersistentVolumeClaim", "mariadb", "mariadb-backup"),
            id("CronJob", "mariadb", "mariadb-backup"),
        ])
    );
    let sts = find(&mariadb.objects, "StatefulSet", "mariadb");
    assert_eq!(
        sts.manifest["spec"]["volumeClaimTemplates"][0]["metadata"]["name"],
        "data"
    );
    assert_eq!(
        find(&mariadb.objects, "Service", "mariadb").manifest["spec"]["clusterIP"],
        "None"
    );
    assert_eq!(
        find(&mariadb.objects, "CronJob", "mariadb-backup").manifest["metadata"]["labels"],
        json!({"app.kubernetes.io/name": "mariadb-backup"}),
        "the server's labels stay off the backup"
    );

    let redis = render_sample("redis", &tools)
        .await
        .unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(
        ids(&redis.objects),
        BTreeSet::from([
            id("Namespace", "", "redis"),
            id("Secret", "redis", "redis"),
            id("StatefulSet", "redis", "redis"),
            id("Service", "redis", "redis"),
            id("Deployment", "redis", "redis-exporter"),
            id("Service", "redis", "redis-exporter"),
        ])
    );
    let sts = find(&redis.objects, "StatefulSet", "redis");
    assert_eq!(sts.manifest["spec"]["serviceName"], "redis");
    assert_eq!(
        sts.manifest["spec"]["template"]["spec"]["containers"][0]["env"][0]["valueFrom"]["secretKeyRef"]
            ["name"],
        "redis"
    );

    let certs = render_sample("certs", &tools)
        .await
        .unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(
        ids(&certs.objects),
        BTreeSet::from([
            id("ClusterIssuer", "", "letsencrypt-prod"),
            id("ClusterIssuer", "", "selfsigned"),
            id("ClusterIssuer", "", "homelab-ca"),
            id("Certificate", "cert-manager", "homelab-ca"),
            id("Certificate", "blog", "blog-tls"),
            id("Certificate", "blog", "blog-comments-tls"),
        ]),
        "nothing in `auth`, which only the keycloak release creates"
    );
    assert_eq!(
        find(&certs.objects, "ClusterIssuer", "letsencrypt-prod").group(),
        "cert-manager.io"
    );
    for name in ["blog-tls", "blog-comments-tls"] {
        assert_eq!(
            find(&certs.objects, "Certificate", name).manifest["spec"]["issuerRef"]["name"],
            "letsencrypt-prod"
        );
    }
    assert_eq!(
        find(&certs.objects, "ClusterIssuer", "homelab-ca").manifest["spec"]["ca"]["secretName"],
        "homelab-ca"
    );

    let ingress = render_sample("ingress", &tools)
        .await
        .unwrap_or_else(|error| panic!("{error}"));
    let route = find(&ingress.objects, "IngressRoute", "blog-comments");
    assert_eq!(route.api_version, "traefik.io/v1alpha1");
    assert_eq!(route.namespace.as_deref(), Some("blog"));
    assert!(
        route.manifest["spec"]["routes"][0]["match"]
            .as_str()
            .is_some_and(|m| m.contains("comments.blog.home.lab"))
    );
    assert_eq!(
        route.manifest["spec"]["tls"]["secretName"],
        "blog-comments-tls"
    );
}

// ---------------------------------------------------------------------------
// samples/repo against samples/cluster: `bosun --demo` syncs the first onto
// the second, with server-side apply.

/// Every object in the seed files of samples/cluster, status and all.
fn seed_objects() -> Vec<RenderedObject> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("samples")
        .join("cluster");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("read samples/cluster")
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "yaml"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no seed files in {}", dir.display());
    let mut objects = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("read a seed file");
        let parsed = render::parse_manifests(&text)
            .unwrap_or_else(|(n, m)| panic!("{} document {n}: {m}", file.display()));
        objects.extend(parsed);
    }
    objects
}

fn seed_key(o: &RenderedObject) -> (String, String, String, String) {
    (
        o.group().to_string(),
        o.kind.clone(),
        o.namespace.clone().unwrap_or_default(),
        o.name.clone(),
    )
}

/// Whether everything `repo` sets is in `seed` with the same value: maps
/// key by key, lists item by item and of the same length (so a renamed or
/// added container, port or env entry does not pass).
fn set_as_in_seed(repo: &Value, seed: &Value, at: &str, problems: &mut Vec<String>) {
    match (repo, seed) {
        (Value::Object(repo), Value::Object(seed)) => {
            for (key, value) in repo {
                match seed.get(key) {
                    Some(other) => set_as_in_seed(value, other, &format!("{at}.{key}"), problems),
                    None => problems.push(format!("{at}.{key}: not in the seed")),
                }
            }
        }
        (Value::Array(repo), Value::Array(seed)) => {
            if repo.len() != seed.len() {
                problems.push(format!(
                    "{at}: {} items, the seed has {}",
                    repo.len(),
                    seed.len()
                ));
                return;
            }
            for (i, (value, other)) in repo.iter().zip(seed).enumerate() {
                set_as_in_seed(value, other, &format!("{at}[{i}]"), problems);
            }
        }
        _ if repo == seed => {}
        _ => problems.push(format!("{at}: {repo} in the repo, {seed} in the seed")),
    }
}

/// A Secret's stringData as the apiserver stores it (base64 `data`).
fn as_stored(manifest: &Value) -> Value {
    use base64::Engine as _;
    let mut manifest = manifest.clone();
    let Some(map) = manifest.as_object_mut() else {
        return manifest;
    };
    if let Some(Value::Object(strings)) = map.remove("stringData") {
        let data = map.entry("data").or_insert_with(|| json!({}));
        for (key, value) in strings {
            let text = value.as_str().unwrap_or_default();
            data[key] = json!(base64::engine::general_purpose::STANDARD.encode(text));
        }
    }
    manifest
}

/// The sample's apps that render with the tools at hand (those needing a
/// missing helm are left out), by app name.
async fn sample_renders(tools: &Tools) -> Vec<(String, Vec<RenderedObject>)> {
    let spec = sample_spec();
    let mut renders = Vec::new();
    for app in &spec.apps {
        match render::render_app(&sample_repo(), app, tools).await {
            Ok(rendered) => renders.push((app.name.clone(), rendered.objects)),
            Err(RenderError::ToolMissing { tool: "helm", .. }) => {}
            Err(error) => panic!("{}: {error}", app.name),
        }
    }
    let names: Vec<&str> = renders.iter().map(|(name, _)| name.as_str()).collect();
    for needed in ["blog", "blog-dev", "mariadb", "redis", "certs", "ingress"] {
        assert!(
            names.contains(&needed),
            "{needed} did not render: {names:?}"
        );
    }
    renders
}

#[tokio::test]
async fn repo_objects_agree_with_the_seeded_cluster() {
    let Some(tools) = kubectl_tools() else { return };
    let seed = seed_objects();
    let mut problems = Vec::new();
    let mut overlapping = BTreeSet::new();
    for (app, objects) in sample_renders(&tools).await {
        for object in &objects {
            let Some(live) = seed.iter().find(|s| seed_key(s) == seed_key(object)) else {
                continue;
            };
            overlapping.insert(format!("{app}: {} {}", object.kind, object.name));
            let (_, kind, namespace, name) = seed_key(object);
            let at = format!("{app} {kind} {namespace}/{name}");
            let owner = live.manifest["metadata"]["labels"]["bosun.dev/app"].as_str();
            if owner.is_some_and(|owner| owner != app) {
                problems.push(format!("{at}: the seed's is tracked by app {owner:?}"));
            }
            set_as_in_seed(
                &as_stored(&object.manifest),
                &live.manifest,
                &at,
                &mut problems,
            );
            // Selectors are immutable and must match whole, not just in part.
            for pointer in ["/spec/selector", "/spec/selector/matchLabels"] {
                let repo = object.manifest.pointer(pointer);
                if repo.is_some() && repo != live.manifest.pointer(pointer) {
                    problems.push(format!("{at}: {pointer} differs from the seed's"));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    for expected in [
        "blog: Deployment blog",
        "blog: Deployment blog-comments",
        "blog: Ingress blog",
        "blog-dev: Deployment blog",
        "blog-dev: PersistentVolumeClaim blog-content",
        "mariadb: StatefulSet mariadb",
        "mariadb: CronJob mariadb-backup",
        "redis: StatefulSet redis",
        "redis: Deployment redis-exporter",
        "certs: ClusterIssuer letsencrypt-prod",
        "certs: Certificate blog-tls",
    ] {
        assert!(
            overlapping.contains(expected),
            "{expected} not compared: {overlapping:?}"
        );
    }
}

#[tokio::test]
async fn every_tracked_seed_object_is_in_its_app() {
    let Some(tools) = kubectl_tools() else { return };
    let renders = sample_renders(&tools).await;
    let mut missing = Vec::new();
    for object in seed_objects() {
        let labels = &object.manifest["metadata"]["labels"];
        let Some(app) = labels["bosun.dev/app"].as_str() else {
            continue;
        };
        // What controllers make (pods, ReplicaSets) is never in a repo, nor
        // are metrics (PodMetrics copy their pod's labels).
        if labels["app.kubernetes.io/managed-by"] != "bosun"
            || object.manifest["metadata"]["ownerReferences"].is_array()
            || object.group() == "metrics.k8s.io"
        {
            continue;
        }
        let Some((_, objects)) = renders.iter().find(|(name, _)| name == app) else {
            continue; // an app this repo does not have (minio)
        };
        if !objects.iter().any(|o| seed_key(o) == seed_key(&object)) {
            let (_, kind, namespace, name) = seed_key(&object);
            missing.push(format!("{app}: {kind} {namespace}/{name}"));
        }
    }
    assert!(
        missing.is_empty(),
        "tracked in the seed but not in the repo (a sync would offer to prune them):\n{}",
        missing.join("\n")
    );
}

#[tokio::test]
async fn helm_apps_without_helm_say_how_to_install_it() {
    let Some(tools) = kubectl_tools() else { return };
    let tools = Tools {
        helm: None,
        ..tools
    };
    for name in ["monitoring", "keycloak"] {
        let error = render_sample(name, &tools)
            .await
            .expect_err("helm is needed");
        let RenderError::ToolMissing { tool, hint } = &error else {
            panic!("{name}: expected ToolMissing, got {error:?}");
        };
        assert_eq!(*tool, "helm");
        assert!(
            hint.contains("https://helm.sh/docs/intro/install/"),
            "{hint}"
        );
        assert!(
            error
                .to_string()
                .starts_with("helm is not on PATH; install it"),
            "{error}"
        );
    }
    assert!(
        tools.describe().ends_with("no helm"),
        "{}",
        tools.describe()
    );
}

#[tokio::test]
async fn helm_apps_render_with_helm() {
    let Some(tools) = helm_tools() else { return };
    let monitoring = render_sample("monitoring", &tools)
        .await
        .unwrap_or_else(|error| panic!("{error}"));
    assert!(
        monitoring.command.contains("--enable-helm"),
        "{}",
        monitoring.command
    );
    let uptime = find(&monitoring.objects, "Deployment", "uptime");
    assert_eq!(uptime.namespace.as_deref(), Some("monitoring"));
    assert!(ids(&monitoring.objects).contains(&id("Service", "monitoring", "uptime")));

    let keycloak = render_sample("keycloak", &tools)
        .await
        .unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(
        ids(&keycloak.objects),
        BTreeSet::from([
            id("Namespace", "", "auth"),
            id("ConfigMap", "auth", "keycloak-env"),
            id("Service", "auth", "keycloak"),
            id("Deployment", "auth", "keycloak"),
            id("Certificate", "auth", "keycloak-tls"),
            id("IngressRoute", "auth", "keycloak"),
        ]),
        "the release brings everything that lives in `auth`"
    );
    let config = find(&keycloak.objects, "ConfigMap", "keycloak-env");
    assert_eq!(
        config.manifest["data"]["KC_HOSTNAME"], "keycloak.home.lab",
        "values file applied"
    );
    let certificate = find(&keycloak.objects, "Certificate", "keycloak-tls");
    assert_eq!(
        certificate.manifest["spec"]["issuerRef"]["name"], "homelab-ca",
        "the values file picks the private CA over the chart's default"
    );
    assert_eq!(
        certificate.manifest["spec"]["dnsNames"],
        json!(["keycloak.home.lab"])
    );
    let route = find(&keycloak.objects, "IngressRoute", "keycloak");
    assert_eq!(
        route.manifest["spec"]["routes"][0]["match"],
        "Host(`keycloak.home.lab`)"
    );
    assert_eq!(route.manifest["spec"]["tls"]["secretName"], "keycloak-tls");
}

#[tokio::test]
async fn a_failing_kustomization_fails_alone() {
    let Some(tools) = kubectl_tools() else { return };
    let repo = sample_copy();
    write(
        repo.path(),
        "apps/broken/kustomization.yaml",
        "resources:\n  - missing.yaml\n",
    );
    let text = std::fs::read_to_string(repo.path().join(spec::SPEC_FILE)).expect("read bosun.yaml");
    let text = text.replacen(
        "apps:\n",
        "apps:\n  - name: broken\n    path: apps/broken\n",
        1,
    );
    let spec = spec::parse(repo.path(), &text).unwrap_or_else(|error| panic!("{error}"));
    let tools = Tools {
        helm: None,
        ..tools
    };
    let mut rendered = Vec::new();
    for app in &spec.apps {
        rendered.push((
            app.name.as_str(),
            render::render_app(repo.path(), app, &tools).await,
        ));
    }
    let (_, broken) = &rendered[0];
    let Err(error @ RenderError::Failed { stderr, .. }) = broken else {
        panic!("expected Failed, got {broken:?}");
    };
    assert!(
        stderr.contains("missing.yaml"),
        "kubectl's stderr kept: {stderr}"
    );
    let message = error.to_string();
    assert!(
        message.contains("kustomize") && message.contains("missing.yaml"),
        "{message}"
    );
    for (name, result) in &rendered[1..] {
        match (*name, result) {
            ("monitoring" | "keycloak", Err(RenderError::ToolMissing { .. })) => {}
            (_, Ok(render)) => assert!(!render.objects.is_empty(), "{name} rendered nothing"),
            (_, Err(error)) => panic!("{name} should still render: {error}"),
        }
    }
}

// ---------------------------------------------------------------------------
// Tool selection and argv, with stand-in tools (shell scripts, test only)

#[cfg(unix)]
fn fake_tool(dir: &Path, name: &str, script: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{script}\n")).expect("write a fake tool");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    path
}

#[cfg(unix)]
const CONFIGMAP: &str = "printf 'apiVersion: v1\\nkind: ConfigMap\\nmetadata:\\n  name: fake\\n'";

#[cfg(unix)]
#[tokio::test]
async fn helm_v4_with_old_kustomize_is_named() {
    let bin = tempfile::tempdir().expect("a temp dir");
    let log = bin.path().join("ran");
    let helm = fake_tool(
        bin.path(),
        "helm",
        &format!("echo \"helm $*\" >> {log:?}\necho v4.0.1+g1234567"),
    );
    let kustomize = fake_tool(
        bin.path(),
        "kustomize",
        &format!("echo \"kustomize $*\" >> {log:?}\necho v5.5.0"),
    );
    let tools = Tools {
        kustomize: Some(kustomize),
        kubectl: None,
        helm: Some(helm),
    };
    let error = render_sample("monitoring", &tools)
        .await
        .expect_err("an old kustomize");
    let RenderError::HelmV4WithOldKustomize {
        kustomize_version,
        helm_version,
    } = &error
    else {
        panic!("expected HelmV4WithOldKustomize, got {error:?}");
    };
    assert_eq!(kustomize_version, "v5.5.0");
    assert_eq!(helm_version, "v4.0.1+g1234567");
    assert!(error.to_string().contains("v5.8.0"), "{error}");
    let ran = std::fs::read_to_string(&log).expect("the fakes ran");
    assert!(!ran.contains("build"), "no build attempted: {ran}");
}

#[cfg(unix)]
#[tokio::test]
async fn kustomize_with_helm_charts_gets_enable_helm_and_the_helm_path() {
    let bin = tempfile::tempdir().expect("a temp dir");
    let log = bin.path().join("argv");
    let helm = fake_tool(bin.path(), "helm", "echo v3.16.2+g13654a5");
    let kustomize = fake_tool(
        bin.path(),
        "kustomize",
        &format!(
            "echo \"$*\" >> {log:?}\n[ \"$1\" = version ] && echo v5.5.0 && exit 0\n{CONFIGMAP}"
        ),
    );
    let tools = Tools {
        kustomize: Some(kustomize),
        kubectl: None,
        helm: Some(helm.clone()),
    };
    let rendered = render_sample("monitoring", &tools)
        .await
        .unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(
        ids(&rendered.objects),
        BTreeSet::from([id("ConfigMap", "", "fake")])
    );
    let argv = std::fs::read_to_string(&log).expect("kustomize ran");
    let build = format!(
        "build --enable-helm --helm-command {} apps/monitoring",
        helm.display()
    );
    assert!(argv.lines().any(|line| line == build), "{argv}");
    // Without helmCharts: no --enable-helm, and no version probing.
    std::fs::remove_file(&log).expect("reset the log");
    render_sample("redis", &tools)
        .await
        .unwrap_or_else(|error| panic!("{error}"));
    let argv = std::fs::read_to_string(&log).expect("kustomize ran");
    assert_eq!(argv.trim(), "build apps/redis");
}

#[cfg(unix)]
#[tokio::test]
async fn helm_template_argv() {
    let bin = tempfile::tempdir().expect("a temp dir");
    let log = bin.path().join("argv");
    let helm = fake_tool(
        bin.path(),
        "helm",
        &format!("echo \"$*\" >> {log:?}\n{CONFIGMAP}"),
    );
    let tools = Tools {
        kustomize: None,
        kubectl: None,
        helm: Some(helm),
    };
    let rendered = render_sample("keycloak", &tools)
        .await
        .unwrap_or_else(|error| panic!("{error}"));
    let chart = sample_repo().join("charts/keycloak");
    let expected = format!(
        "template keycloak {} --namespace auth --include-crds -f apps/keycloak/values.yaml",
        chart.display()
    );
    assert_eq!(
        std::fs::read_to_string(&log).expect("helm ran").trim(),
        expected
    );
    assert!(
        rendered.command.starts_with("helm template keycloak "),
        "{}",
        rendered.command
    );
    // No kubectl and no kustomize: kustomize apps say what to install.
    let error = render_sample("redis", &tools)
        .await
        .expect_err("no kustomize");
    assert!(
        matches!(
            error,
            RenderError::ToolMissing {
                tool: "kubectl",
                ..
            }
        ),
        "{error:?}"
    );
}

#[cfg(unix)]
#[tokio::test]
async fn garbage_output_is_an_output_error() {
    let bin = tempfile::tempdir().expect("a temp dir");
    let kustomize = fake_tool(
        bin.path(),
        "kustomize",
        &format!("{CONFIGMAP}\necho ---\necho just text"),
    );
    let tools = Tools {
        kustomize: Some(kustomize),
        kubectl: None,
        helm: None,
    };
    let error = render_sample("redis", &tools)
        .await
        .expect_err("a scalar document");
    assert!(
        matches!(error, RenderError::Output { document: 2, .. }),
        "{error:?}"
    );
}

#[test]
fn describe_names_the_fallback() {
    let tools = Tools {
        kustomize: None,
        kubectl: Some("/usr/bin/kubectl".into()),
        helm: None,
    };
    assert_eq!(
        tools.describe(),
        "kubectl kustomize (no kustomize), no helm"
    );
}

// ---------------------------------------------------------------------------
// parse_manifests

#[test]
fn parse_manifests_expands_lists_and_skips_empty_documents() {
    let text = "---\n# only a comment\n---\n\
        apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: ConfigMap\n    metadata: {name: a, namespace: x}\n    data: {1: one}\n  \
        - apiVersion: v1\n    kind: Secret\n    metadata: {name: b}\n\
        ---\nnull\n---\n\
        apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: c\n---\n";
    let objects =
        render::parse_manifests(text).unwrap_or_else(|(n, m)| panic!("document {n}: {m}"));
    let found: Vec<(&str, &str, Option<&str>)> = objects
        .iter()
        .map(|o| (o.kind.as_str(), o.name.as_str(), o.namespace.as_deref()))
        .collect();
    assert_eq!(
        found,
        [
            ("ConfigMap", "a", Some("x")),
            ("Secret", "b", None),
            ("Deployment", "c", None)
        ]
    );
    assert_eq!(
        objects[0].manifest["data"]["1"], "one",
        "integer keys become strings"
    );
    assert!(render::parse_manifests("").is_ok_and(|o| o.is_empty()));
}

#[test]
fn parse_manifests_names_the_bad_document() {
    let text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n- not\n- an object\n";
    let (document, message) = render::parse_manifests(text).expect_err("a list document");
    assert_eq!(document, 2);
    assert!(message.contains("not an object"), "{message}");
    let (document, message) =
        render::parse_manifests("apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n")
            .expect_err("no name");
    assert_eq!(document, 1);
    assert!(message.contains("metadata.name"), "{message}");
    let (document, _) =
        render::parse_manifests("kind: ConfigMapList\nitems: [3]\n").expect_err("item");
    assert_eq!(document, 1);
}

#[tokio::test]
async fn a_kustomization_leaving_the_repo_is_refused_before_the_tool_runs() {
    let dir = tempfile::tempdir().expect("dir");
    let root = dir.path().join("repo");
    write(
        &root,
        "apps/x/kustomization.yaml",
        "resources:\n  - ../../../outside/app\n  - cm.yaml\n",
    );
    write(
        &root,
        "apps/x/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n",
    );
    write(
        dir.path(),
        "outside/app/kustomization.yaml",
        "resources: [secret.yaml]\n",
    );
    write(
        dir.path(),
        "outside/app/secret.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: stolen\n",
    );
    let spec = spec::parse(&root, "apps:\n  - name: x\n    path: apps/x\n")
        .unwrap_or_else(|e| panic!("{e}"));
    // No tool is needed to refuse it: the check comes first.
    let tools = bosun::gitops::render::Tools::default();
    let error = bosun::gitops::render::render_app(&root, &spec.apps[0], &tools)
        .await
        .expect_err("refused")
        .to_string();
    assert!(
        error.starts_with(
            "apps/x/kustomization.yaml: resource ../../../outside/app leaves the repository"
        ),
        "{error}"
    );
    // The explicit opt-out lets it through to the tool.
    let spec = spec::parse(
        &root,
        "apps:\n  - name: x\n    path: apps/x\n    allowOutsideRepo: true\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let error = bosun::gitops::render::render_app(&root, &spec.apps[0], &tools)
        .await
        .expect_err("no tool here")
        .to_string();
    assert!(error.contains("is not on PATH"), "{error}");
    if Tools::detect().kubectl.is_some() {
        let rendered = bosun::gitops::render::render_app(
            &root,
            &spec.apps[0],
            &bosun::gitops::render::Tools::detect(),
        )
        .await;
        // kustomize itself allows a base directory outside the root.
        let names: Vec<String> = rendered
            .map(|r| r.objects.iter().map(|o| o.name.clone()).collect())
            .unwrap_or_default();
        assert!(names.contains(&"stolen".to_string()), "{names:?}");
    }
}

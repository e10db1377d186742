//! Apps from what repos already declare: fixture repos shaped like Flux's
//! documented layout (`clusters/<name>` with `flux bootstrap`'s
//! flux-system, infrastructure and apps Kustomizations with dependsOn,
//! substitution, components, `prune: disabled`, two clusters) and Argo CD's
//! (an app of apps, kustomize / helm / directory sources, sync options, an
//! external chart, a broken Application). Real git repos in temp dirs, the
//! real `kubectl kustomize`, the simulated cluster over HTTP.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use bosun::gitops::app::{AppSource, EditStyle, Origin, Readiness};
use bosun::gitops::spec::{self, AppSpec, LoadOptions, RepoSpec};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, PersistentVolumeClaim, Service};
use kube::api::Api;

const REMOTE: &str = "https://github.com/example/homelab.git";

/// The fixture as a git repo on branch `main` with `origin` at REMOTE.
fn repo(name: &str) -> (tempfile::TempDir, PathBuf) {
    common::fixture_repo(name, REMOTE)
}

fn commit(root: &Path, message: &str) {
    common::commit_all(root, message);
}

fn load(root: &Path, entry: Option<&str>, context: Option<&str>) -> RepoSpec {
    spec::load_with(
        root,
        &LoadOptions {
            entry: entry.map(PathBuf::from),
            context: context.map(str::to_string),
        },
    )
    .unwrap_or_else(|error| panic!("{error}"))
}

fn app<'a>(spec: &'a RepoSpec, name: &str) -> &'a AppSpec {
    spec.apps
        .iter()
        .find(|a| a.name == name)
        .unwrap_or_else(|| {
            panic!(
                "no app {name} in {:?}",
                spec.apps.iter().map(|a| &a.name).collect::<Vec<_>>()
            )
        })
}

fn names(spec: &RepoSpec) -> Vec<&str> {
    let mut names: Vec<&str> = spec.apps.iter().map(|a| a.name.as_str()).collect();
    names.sort_unstable();
    names
}

async fn bosun(kubeconfig: &Path, root: &Path, state: &Path, args: &[&str]) -> Output {
    common::bosun_cli(kubeconfig, root, state, args).await
}

fn text(output: &Output) -> String {
    common::output_text(output)
}

// ---------------------------------------------------------------------------
// Flux

#[test]
fn a_multi_cluster_flux_repo_needs_its_entry_point() {
    let (_dir, root) = repo("flux");
    let undecided = load(&root, None, Some("default"));
    assert!(undecided.apps.is_empty(), "{:?}", names(&undecided));
    assert_eq!(
        undecided.entry_candidates,
        [
            PathBuf::from("clusters/home"),
            PathBuf::from("clusters/lab")
        ]
    );
    assert!(!undecided.discovered, "never fall back to plain discovery");

    // The context names the cluster; only its apps are listed.
    let home = load(&root, None, Some("home"));
    assert_eq!(home.entry, Some(PathBuf::from("clusters/home")));
    assert_eq!(
        names(&home),
        ["apps", "flux-system", "infra-configs", "infra-controllers"]
    );
    let apps = app(&home, "apps");
    assert!(matches!(apps.origin, Origin::Kustomization { .. }));
    assert_eq!(apps.depends_on, ["infra-configs"]);
    assert_eq!(
        app(&home, "infra-configs").depends_on,
        ["infra-controllers"]
    );
    let AppSource::Kustomize { path, options } = &apps.source else {
        panic!("{:?}", apps.source);
    };
    assert_eq!(path, &PathBuf::from("apps/home"));
    assert_eq!(options.style, EditStyle::Flux);
    assert_eq!(options.components, ["../components/debug"]);
    assert_eq!(
        options.build_options,
        ["--load-restrictor", "LoadRestrictionsNone"]
    );
    assert_eq!(apps.readiness, Readiness::Healthy, "wait: true");
    let post_build = apps.post_build.as_ref().expect("postBuild");
    assert_eq!(post_build.substitute_from.len(), 2);
    assert_eq!(post_build.substitute_from[0].namespace, "flux-system");
    let controllers = app(&home, "infra-controllers");
    assert_eq!(controllers.namespace.as_deref(), Some("kube-system"));
    let AppSource::Kustomize { options, .. } = &controllers.source else {
        panic!()
    };
    assert!(
        options.generate,
        "no kustomization.yaml: Flux generates one"
    );
    assert_eq!(app(&home, "infra-configs").readiness, Readiness::Applied);

    // --path wins over the context.
    let lab = load(&root, Some("clusters/lab"), Some("home"));
    let AppSource::Kustomize { path, .. } = &app(&lab, "apps").source else {
        panic!()
    };
    assert_eq!(path, &PathBuf::from("apps/lab"));
}

#[test]
fn broken_declarations_are_errors_on_their_app_only() {
    let (_dir, root) = repo("flux");
    std::fs::write(
        root.join("clusters/home/extra.yaml"),
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: ghost\n  namespace: flux-system\nspec:\n  interval: 10m\n  path: ./nowhere\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: typo\n  namespace: flux-system\nspec:\n  interval: 10m\n  path: ./apps/home\n  prunne: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: elsewhere\n  namespace: flux-system\nspec:\n  interval: 10m\n  path: ./deploy\n  prune: true\n  sourceRef:\n    kind: OCIRepository\n    name: podinfo\n",
    )
    .expect("write");
    let spec = load(&root, None, Some("home"));
    let ghost = app(&spec, "ghost").problem.clone().unwrap_or_default();
    assert_eq!(
        ghost,
        "clusters/home/extra.yaml line 1: spec.path: kustomization path not found: ./nowhere"
    );
    let typo = app(&spec, "typo").problem.clone().unwrap_or_default();
    assert!(
        typo.starts_with("clusters/home/extra.yaml line 2")
            && typo.contains("unknown field `prunne`"),
        "{typo}"
    );
    assert!(matches!(
        &app(&spec, "elsewhere").source,
        AppSource::External { reason } if reason.contains("OCIRepository")
    ));
    assert!(
        app(&spec, "apps").problem.is_none(),
        "the rest keeps working"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flux_apps_land_where_flux_would_put_them() {
    if !common::kubectl_present() {
        return;
    }
    let (dir, root) = repo("flux");
    let sim = common::sample_cluster().await;
    let state = dir.path().join("state");
    let kubeconfig = sim.kubeconfig_path().to_path_buf();
    let out = bosun(
        &kubeconfig,
        &root,
        &state,
        &[
            "--path",
            "clusters/home",
            "sync",
            "--yes",
            "--timeout",
            "60s",
        ],
    )
    .await;
    let said = text(&out);
    assert_eq!(out.status.code(), Some(0), "{said}");
    // Dependencies first: controllers, then configs, then apps.
    let position = |name: &str| {
        said.find(&format!("{name}: "))
            .unwrap_or_else(|| panic!("{name} not synced:\n{said}"))
    };
    assert!(
        position("infra-controllers") < position("infra-configs"),
        "{said}"
    );
    assert!(position("infra-configs") < position("apps"), "{said}");

    let client = common::kube_client(&sim).await;
    // targetNamespace: kube-system, not default.
    let services: Api<Service> = Api::namespaced(client.clone(), "kube-system");
    assert!(
        services
            .get_opt("dns-external")
            .await
            .expect("get")
            .is_some()
    );
    let default_services: Api<Service> = Api::namespaced(client.clone(), "default");
    assert!(
        default_services
            .get_opt("dns-external")
            .await
            .expect("get")
            .is_none()
    );
    // Substitution from the cluster-vars ConfigMap (applied by flux-system).
    let maps: Api<ConfigMap> = Api::namespaced(client.clone(), "network");
    let domain = maps.get("domain").await.expect("domain");
    let data = domain.data.unwrap_or_default();
    assert_eq!(data.get("domain").map(String::as_str), Some("home.lab"));
    assert_eq!(data.get("cluster").map(String::as_str), Some("home"));
    assert_eq!(
        data.get("script").map(String::as_str),
        Some("echo $HOME ${NOT_A_VAR}"),
        "bare $VAR stays, $$ is a literal $"
    );
    // Inline substitute names the PVC; a default fills the message.
    let claims: Api<PersistentVolumeClaim> = Api::namespaced(client.clone(), "podinfo");
    assert!(claims.get_opt("podinfo-data").await.expect("get").is_some());
    let deploys: Api<Deployment> = Api::namespaced(client.clone(), "podinfo");
    let podinfo = deploys.get("podinfo").await.expect("podinfo");
    let env = serde_json::to_value(&podinfo.spec).expect("json");
    assert_eq!(
        env.pointer("/template/spec/containers/0/env/0/value"),
        Some(&serde_json::json!("Hello from home"))
    );
    // The component (relative to spec.path) was added.
    assert_eq!(
        podinfo
            .metadata
            .labels
            .unwrap_or_default()
            .get("debug")
            .map(String::as_str),
        Some("on")
    );

    // The repo drops the network namespace and its ConfigMap: the ConfigMap
    // is pruned, the namespace (prune: disabled) stays and says why.
    std::fs::remove_file(root.join("infrastructure/configs/network.yaml")).expect("rm");
    std::fs::remove_file(root.join("infrastructure/configs/domain.yaml")).expect("rm");
    std::fs::write(
        root.join("infrastructure/configs/kustomization.yaml"),
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: []\n",
    )
    .expect("write");
    commit(&root, "drop the network namespace");
    let out = bosun(
        &kubeconfig,
        &root,
        &state,
        &["--path", "clusters/home", "sync", "infra-configs", "--yes"],
    )
    .await;
    let said = text(&out);
    assert_eq!(out.status.code(), Some(0), "{said}");
    assert!(
        said.contains("kept (annotation kustomize.toolkit.fluxcd.io/prune: disabled)"),
        "{said}"
    );
    let namespaces: Api<Namespace> = Api::all(client.clone());
    let network = namespaces.get("network").await.expect("network stays");
    assert!(network.metadata.deletion_timestamp.is_none());
    assert!(
        maps.get_opt("domain").await.expect("get").is_none(),
        "{said}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unset_variable_is_an_error_naming_the_kustomization() {
    if !common::kubectl_present() {
        return;
    }
    let (dir, root) = repo("flux");
    // configs without its substituteFrom: DOMAIN is unset, no default.
    let file = root.join("clusters/home/infrastructure.yaml");
    let text_before = std::fs::read_to_string(&file).expect("read");
    let changed = text_before.replace(
        "    substituteFrom:\n      - kind: ConfigMap\n        name: cluster-vars\n",
        "    substitute:\n      UNRELATED: x\n",
    );
    assert_ne!(changed, text_before);
    std::fs::write(&file, changed).expect("write");
    commit(&root, "break substitution");
    let sim = common::sample_cluster().await;
    let out = bosun(
        sim.kubeconfig_path(),
        &root,
        &dir.path().join("state"),
        &["--path", "clusters/home", "status", "-o", "json"],
    )
    .await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let report: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&out)));
    let apps = report["apps"].as_array().expect("apps");
    let configs = apps
        .iter()
        .find(|a| a["name"] == "infra-configs")
        .expect("configs listed");
    let error = configs["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("Kustomization clusters/home/infrastructure.yaml")
            && error.contains("variable not set (strict mode): \"CLUSTER_NAME\"")
                | error.contains("variable not set (strict mode): \"DOMAIN\""),
        "{error}"
    );
    let controllers = apps
        .iter()
        .find(|a| a["name"] == "infra-controllers")
        .expect("listed");
    assert!(controllers["error"].is_null(), "{controllers}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ambiguous_app_name_lists_the_candidates() {
    if !common::kubectl_present() {
        return;
    }
    let (dir, root) = repo("flux");
    std::fs::write(
        root.join("clusters/home/team.yaml"),
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: apps\n  namespace: team\nspec:\n  interval: 10m\n  path: ./apps/lab\n  prune: false\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n    namespace: flux-system\n",
    )
    .expect("write");
    commit(&root, "a team's apps");
    let spec = load(&root, Some("clusters/home"), None);
    assert!(
        names(&spec).contains(&"flux-system/apps"),
        "{:?}",
        names(&spec)
    );
    assert!(names(&spec).contains(&"team/apps"), "{:?}", names(&spec));
    let sim = common::sample_cluster().await;
    let out = bosun(
        sim.kubeconfig_path(),
        &root,
        &dir.path().join("state"),
        &["--path", "clusters/home", "diff", "apps"],
    )
    .await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let said = text(&out);
    assert!(
        said.contains("app \"apps\" is ambiguous: flux-system/apps, team/apps"),
        "{said}"
    );
    let exact = bosun(
        sim.kubeconfig_path(),
        &root,
        &dir.path().join("state"),
        &["--path", "clusters/home", "diff", "team/apps"],
    )
    .await;
    assert_ne!(exact.status.code(), Some(2), "{}", text(&exact));
}

// ---------------------------------------------------------------------------
// Argo CD

#[test]
fn argo_applications_become_apps() {
    let (_dir, root) = repo("argo");
    let spec = load(&root, None, None);
    assert_eq!(
        names(&spec),
        ["blog", "broken", "grafana", "root", "static", "wiki"]
    );
    let root_app = app(&spec, "root");
    assert!(
        matches!(&root_app.source, AppSource::Directory(d) if d.path == Path::new("apps") && !d.recurse),
        "{:?}",
        root_app.source
    );
    let blog = app(&spec, "blog");
    assert!(blog.auto_sync && blog.prune && blog.create_namespace);
    assert_eq!(blog.namespace.as_deref(), Some("blog"));
    assert!(blog.warnings.is_empty(), "{:?}", blog.warnings);
    let AppSource::Kustomize { options, .. } = &blog.source else {
        panic!("{:?}", blog.source)
    };
    assert_eq!(options.name_prefix.as_deref(), Some("prod-"));
    assert_eq!(
        options.common_labels.get("team").map(String::as_str),
        Some("web")
    );
    let static_app = app(&spec, "static");
    let AppSource::Directory(directory) = &static_app.source else {
        panic!()
    };
    assert!(directory.recurse);
    assert_eq!(directory.exclude.as_deref(), Some("ignored/*"));
    let AppSource::Helm(wiki) = &app(&spec, "wiki").source else {
        panic!()
    };
    assert_eq!(wiki.release, "docs");
    assert_eq!(wiki.values, [PathBuf::from("charts/wiki/values-prod.yaml")]);
    assert_eq!(wiki.set, [("replicas".to_string(), "2".to_string())]);
    assert_eq!(wiki.namespace.as_deref(), Some("wiki"));
    assert!(matches!(
        &app(&spec, "grafana").source,
        AppSource::External { reason } if reason.contains("grafana")
    ));
    let broken = app(&spec, "broken").problem.clone().unwrap_or_default();
    assert!(
        broken.starts_with("apps/broken.yaml line") && broken.contains("unknown field `pathh`"),
        "{broken}"
    );

    // Another branch checked out: the targetRevision no longer matches.
    let git = git2::Repository::open(&root).expect("open");
    let head = git.head().and_then(|h| h.peel_to_commit()).expect("head");
    git.branch("dev", &head, false).expect("branch");
    git.set_head("refs/heads/dev").expect("checkout");
    let spec = load(&root, None, None);
    assert!(
        app(&spec, "blog")
            .warnings
            .iter()
            .any(|w| w.contains("targetRevision main") && w.contains("dev")),
        "{:?}",
        app(&spec, "blog").warnings
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn argo_sync_creates_its_namespace_and_applies_its_edits() {
    if !common::kubectl_present() {
        return;
    }
    let (dir, root) = repo("argo");
    let sim = bosun::sim::SimCluster::start(bosun::sim::SimOptions::default())
        .await
        .expect("sim");
    let state = dir.path().join("state");
    let kubeconfig = sim.kubeconfig_path().to_path_buf();
    // A dry run into a namespace the same sync creates: no false failure.
    let dry = bosun(&kubeconfig, &root, &state, &["sync", "blog", "--dry-run"]).await;
    assert_eq!(dry.status.code(), Some(0), "{}", text(&dry));
    assert!(
        text(&dry).contains("Namespace blog created"),
        "{}",
        text(&dry)
    );
    // Without CreateNamespace, a missing namespace is named, not applied.
    let static_dry = bosun(&kubeconfig, &root, &state, &["diff", "static"]).await;
    let said = text(&static_dry);
    assert!(
        said.contains("namespace static does not exist; set createNamespace"),
        "{said}"
    );
    assert!(said.contains("ConfigMap static/site"), "{said}");
    assert!(!said.contains("draft"), "excluded by `exclude`: {said}");
    assert!(
        !said.contains("settings"),
        "not matched by `include`: {said}"
    );

    let out = bosun(&kubeconfig, &root, &state, &["sync", "blog", "--yes"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let client = common::kube_client(&sim).await;
    let namespaces: Api<Namespace> = Api::all(client.clone());
    let blog_ns = namespaces.get("blog").await.expect("namespace created");
    let labels = blog_ns.metadata.labels.unwrap_or_default();
    assert!(
        !labels.contains_key("bosun.dev/app"),
        "a created namespace is not tracked (never pruned): {labels:?}"
    );
    let deploys: Api<Deployment> = Api::namespaced(client.clone(), "blog");
    let blog = deploys.get("prod-blog").await.expect("prefixed deployment");
    let spec_json = serde_json::to_value(&blog.spec).expect("json");
    assert_eq!(
        spec_json.pointer("/template/spec/containers/0/image"),
        Some(&serde_json::json!("nginx:1.27.3"))
    );
    assert_eq!(
        blog.metadata
            .labels
            .unwrap_or_default()
            .get("team")
            .map(String::as_str),
        Some("web")
    );

    // status: the broken Application names its file; the rest still works.
    let status = bosun(&kubeconfig, &root, &state, &["status"]).await;
    let said = text(&status);
    assert_eq!(status.status.code(), Some(1), "{said}");
    assert!(said.contains("unknown field `pathh`"), "{said}");
    assert!(said.contains("Application"), "FROM column: {said}");
    assert!(said.contains("external source: not rendered"), "{said}");
}

// ---------------------------------------------------------------------------
// Shared objects, plain discovery

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_object_two_apps_render_fails_status() {
    if !common::kubectl_present() {
        return;
    }
    let dir = tempfile::tempdir().expect("dir");
    let root = dir.path().join("repo");
    for app in ["one", "two"] {
        std::fs::create_dir_all(root.join(app)).expect("mkdir");
        std::fs::write(
            root.join(app).join("kustomization.yaml"),
            "resources: [cm.yaml]\n",
        )
        .expect("write");
        std::fs::write(
            root.join(app).join("cm.yaml"),
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: shared\n  namespace: default\ndata:\n  a: b\n",
        )
        .expect("write");
    }
    std::fs::write(
        root.join("bosun.yaml"),
        "apps:\n  - name: one\n    path: one\n  - name: two\n    path: two\n",
    )
    .expect("write");
    let sim = common::sample_cluster().await;
    let state = dir.path().join("state");
    let out = bosun(sim.kubeconfig_path(), &root, &state, &["status"]).await;
    let said = text(&out);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(said.contains("shared with app two"), "{said}");
    assert!(said.contains("shared with app one"), "{said}");
    let sync = bosun(
        sim.kubeconfig_path(),
        &root,
        &state,
        &["sync", "one", "--yes"],
    )
    .await;
    let said = text(&sync);
    assert_eq!(sync.status.code(), Some(1), "{said}");
    assert!(said.contains("REFUSED"), "{said}");
    let taken = bosun(
        sim.kubeconfig_path(),
        &root,
        &state,
        &["sync", "one", "--yes", "--allow-shared"],
    )
    .await;
    assert_eq!(taken.status.code(), Some(0), "{}", text(&taken));
}

#[test]
fn discovery_skips_components_and_commented_out_directories() {
    let dir = tempfile::tempdir().expect("dir");
    let root = dir.path();
    let write = |path: &str, text: &str| {
        let file = root.join(path);
        std::fs::create_dir_all(file.parent().expect("parent")).expect("mkdir");
        std::fs::write(file, text).expect("write");
    };
    write("base/kustomization.yaml", "resources: []\n");
    write(
        "overlays/prod/kustomization.yaml",
        "resources:\n  - ../../base\n  # - ../../legacy\ncomponents:\n  - ../../components/tls\n",
    );
    write("legacy/kustomization.yaml", "resources: []\n");
    write(
        "components/tls/kustomization.yaml",
        "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n",
    );
    write(
        "components/unused/kustomization.yaml",
        "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n",
    );
    let spec = spec::load(root).unwrap_or_else(|e| panic!("{e}"));
    assert!(spec.discovered);
    assert_eq!(names(&spec), ["overlays/prod"]);
}

#[test]
fn bosun_yaml_names_the_same_options_explicitly_and_wins() {
    let (_dir, root) = repo("flux");
    std::fs::write(
        root.join("bosun.yaml"),
        "path: clusters/home\nkustomize:\n  buildOptions: --load-restrictor LoadRestrictionsNone\napps:\n  - name: apps\n    path: apps/home\n    namespace: podinfo\n    createNamespace: true\n    dependsOn: [static]\n    kustomize:\n      namePrefix: x-\n      images: [\"ghcr.io/stefanprodan/podinfo:6.8.0\"]\n      components: [../components/debug]\n    substitute:\n      APP: podinfo\n    substituteFrom:\n      - kind: ConfigMap\n        name: cluster-vars\n  - name: static\n    path: infrastructure/controllers/dns\n    directory:\n      include: \"*.yaml\"\n",
    )
    .expect("write");
    let spec = load(&root, None, None);
    assert_eq!(spec.entry, Some(PathBuf::from("clusters/home")));
    let apps = app(&spec, "apps");
    assert_eq!(
        apps.origin,
        Origin::BosunYaml,
        "bosun.yaml overrides the Kustomization"
    );
    assert!(apps.create_namespace);
    assert_eq!(apps.depends_on, ["static"]);
    let AppSource::Kustomize { options, .. } = &apps.source else {
        panic!("{:?}", apps.source)
    };
    assert_eq!(options.name_prefix.as_deref(), Some("x-"));
    assert_eq!(options.components, ["../components/debug"]);
    assert_eq!(
        options.build_options,
        ["--load-restrictor", "LoadRestrictionsNone"]
    );
    let substitute_from = &apps.post_build.as_ref().expect("postBuild").substitute_from;
    assert_eq!(substitute_from[0].namespace, "podinfo");
    assert!(matches!(
        app(&spec, "static").source,
        AppSource::Directory(_)
    ));
    // The declared Kustomizations not named in bosun.yaml are still there.
    assert!(names(&spec).contains(&"infra-configs"));

    std::fs::write(
        root.join("bosun.yaml"),
        "apps:\n  - name: x\n    path: apps/home\n    kustomize:\n      buildOptions: [--enable-exec]\n",
    )
    .expect("write");
    let error = spec::load(&root).expect_err("refused").to_string();
    assert!(
        error.contains("apps[0].kustomize.buildOptions") && error.contains("not allowed"),
        "{error}"
    );
}

#[test]
fn repo_on_a_subdirectory_limits_the_apps_to_it() {
    let (_dir, root) = repo("argo");
    let ws = bosun::gitops::workspace::locate(Some(&root.join("workloads")), None)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(ws.root.canonicalize().ok(), root.canonicalize().ok());
    assert_eq!(ws.scope, Some(PathBuf::from("workloads")));
    let spec =
        spec::load_with(&ws.root, &ws.load_options(None, None)).unwrap_or_else(|e| panic!("{e}"));
    // No Application under workloads/: plain discovery, inside it only.
    assert!(spec.discovered);
    assert_eq!(names(&spec), ["workloads/blog/overlays/prod"]);
}

#[test]
fn ignore_differences_are_read_from_applications_and_bosun_yaml() {
    let (_dir, root) = repo("ignore");
    let spec = load(&root, None, None);
    let shop = app(&spec, "shop");
    assert!(shop.respect_ignore_differences);
    assert_eq!(shop.ignore_differences.len(), 3);
    assert_eq!(
        shop.ignore_differences[0].jq_path_expressions,
        [".data[\"rollout-percent\"]"]
    );
    assert_eq!(
        shop.ignore_differences[2].managed_fields_managers,
        ["tuner"]
    );
    assert!(shop.warnings.is_empty(), "{:?}", shop.warnings);

    // A jq expression that does not compile is the app's error, naming it.
    let file = root.join("argocd/shop.yaml");
    let text = std::fs::read_to_string(&file).expect("read");
    std::fs::write(&file, text.replace(".data[\"rollout-percent\"]", ".data[")).expect("write");
    let spec = load(&root, None, None);
    let problem = app(&spec, "shop").problem.clone().unwrap_or_default();
    assert!(
        problem.contains("spec.ignoreDifferences[0]: jqPathExpressions[0]"),
        "{problem}"
    );

    // bosun.yaml takes the same shape.
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join("apps/shop")).expect("mkdir");
    std::fs::write(
        dir.path().join("apps/shop/cm.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n",
    )
    .expect("write");
    let bosun_yaml = "apps:\n  - name: shop\n    path: apps/shop\n    respectIgnoreDifferences: true\n    ignoreDifferences:\n      - kind: ConfigMap\n        jsonPointers: [/data/x]\n";
    std::fs::write(dir.path().join("bosun.yaml"), bosun_yaml).expect("write");
    let spec = load(dir.path(), None, None);
    let shop = app(&spec, "shop");
    assert!(shop.respect_ignore_differences);
    assert_eq!(shop.ignore_differences[0].json_pointers, ["/data/x"]);
    std::fs::write(
        dir.path().join("bosun.yaml"),
        bosun_yaml.replace("[/data/x]", "[data/x]"),
    )
    .expect("write");
    let error = spec::load_with(dir.path(), &LoadOptions::default()).expect_err("bad pointer");
    assert!(
        error.to_string().contains("apps[0].ignoreDifferences[0]"),
        "{error}"
    );
}

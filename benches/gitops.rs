//! GitOps figures (DESIGN §13): the diff of 300 rendered objects against
//! live (server-side dry-run of each, render excluded; target < 0.5 s), and
//! the latency from a file change to the re-rendered, re-diffed app.
//! `cargo bench --bench gitops`. The simulated cluster runs in this process
//! over real HTTP on localhost, so its CPU is counted too.

use std::time::{Duration, Instant};

use bosun::app::AppEvent;
use bosun::app::gitops_service::{self, GitopsEvent, GitopsOptions};
use bosun::gitops::compare::{self, DiffInput, SyncStatus};
use bosun::gitops::inventory;
use bosun::gitops::object::RenderedObject;
use bosun::gitops::resolve::Resolver;
use bosun::gitops::sync::{self, SyncOptions};
use bosun::sim::{SimCluster, SimOptions};
use serde_json::json;

fn objects(count: usize, image_tag: &str) -> Vec<RenderedObject> {
    let mut out =
        vec![json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "bench"}})];
    for i in 0..count / 3 {
        out.push(json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": format!("config-{i}")},
            "data": {"index": i.to_string(), "mode": "bench"}}));
        out.push(json!({"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": format!("svc-{i}")},
            "spec": {"selector": {"app": format!("app-{i}")},
                "ports": [{"name": "http", "port": 80, "targetPort": 8080}]}}));
        out.push(json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": format!("app-{i}"), "labels": {"app": format!("app-{i}")}},
            "spec": {"replicas": 1, "selector": {"matchLabels": {"app": format!("app-{i}")}},
                "template": {"metadata": {"labels": {"app": format!("app-{i}")}},
                    "spec": {"containers": [{"name": "app",
                        "image": format!("registry.home.lab/app:{image_tag}"),
                        "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}}}]}}}}));
    }
    out.into_iter()
        .map(|m| RenderedObject::from_manifest(m).expect("manifest"))
        .collect()
}

async fn client_for(sim: &SimCluster) -> kube::Client {
    let kubeconfig =
        kube::config::Kubeconfig::read_from(sim.kubeconfig_path()).expect("kubeconfig");
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default())
        .await
        .expect("config");
    kube::Client::try_from(config).expect("client")
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

async fn diff_300() {
    let sim = SimCluster::start(SimOptions {
        rollout_step: Duration::from_secs(3600),
        ..SimOptions::default()
    })
    .await
    .expect("sim");
    let client = client_for(&sim).await;
    let rendered = objects(300, "1.0");
    let resolver = Resolver::discover(&client).await.expect("discovery");
    let renderers = compare::Renderers::new();
    let input = || DiffInput {
        app: "bench",
        default_namespace: "bench",
        objects: &rendered,
        inventory: None,
        renderers: &renderers,
        create_namespace: false,
        ignore_differences: &[],
        respect_ignore_differences: false,
        live_hpas: None,
    };
    let first = compare::diff_app(&client, &resolver, input()).await;
    sync::sync_app(
        &client,
        &first,
        "bench",
        None,
        &SyncOptions {
            prune: false,
            dry_run: false,
            revision: "bench".into(),
            rolled_back: false,
            selective: false,
            crd_timeout: Duration::from_secs(5),
            wave_timeout: Duration::from_secs(30),
            progress: None,
            allow_shared: false,
            confirmed_interactively: false,
            stop: Default::default(),
        },
    )
    .await
    .expect("sync");
    let inv = inventory::read(&client, "bench", "bench")
        .await
        .ok()
        .flatten();
    let mut samples = Vec::new();
    let mut status = SyncStatus::Unknown;
    for _ in 0..7 {
        let started = Instant::now();
        let resolver = Resolver::discover(&client).await.expect("discovery");
        let diff = compare::diff_app(
            &client,
            &resolver,
            DiffInput {
                inventory: inv.as_ref(),
                ..input()
            },
        )
        .await;
        samples.push(started.elapsed());
        status = diff.sync;
    }
    assert_eq!(status, SyncStatus::Synced);
    println!(
        "diff of {} rendered objects against live (discovery + GET + dry-run apply each, all in sync): median {:.0} ms (target < 500 ms)",
        rendered.len(),
        median(samples).as_secs_f64() * 1000.0
    );

    let changed = objects(300, "2.0");
    let mut samples = Vec::new();
    let mut drifted = 0;
    for _ in 0..7 {
        let started = Instant::now();
        let resolver = Resolver::discover(&client).await.expect("discovery");
        let diff = compare::diff_app(
            &client,
            &resolver,
            DiffInput {
                app: "bench",
                default_namespace: "bench",
                objects: &changed,
                inventory: inv.as_ref(),
                renderers: &renderers,
                create_namespace: false,
                ignore_differences: &[],
                respect_ignore_differences: false,
                live_hpas: None,
            },
        )
        .await;
        samples.push(started.elapsed());
        drifted = diff.count(compare::Change::Drifted);
    }
    println!(
        "diff of {} objects with {drifted} drifted (unified diffs made): median {:.0} ms",
        changed.len(),
        median(samples).as_secs_f64() * 1000.0
    );
}

/// samples/repo in a git repo, the worker watching it, one file edited:
/// time until that app's new evaluation arrives.
async fn rerender_latency() {
    let tools = bosun::gitops::render::Tools::detect();
    if tools.kubectl.is_none() && tools.kustomize.is_none() {
        println!("re-render latency: skipped (no kustomize or kubectl on PATH)");
        return;
    }
    let sim = SimCluster::start(SimOptions::default()).await.expect("sim");
    let client = client_for(&sim).await;
    let base = std::env::temp_dir().join(format!("bosun-bench-gitops-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    let repo = bosun::demo_repo::create(&base).expect("repo");
    let (sender, mut events) = tokio::sync::mpsc::channel(1024);
    let debounce = Duration::from_millis(100);
    let (handle, _task) = gitops_service::start(
        repo.root.clone(),
        true,
        GitopsOptions {
            fetch_interval: Duration::ZERO,
            refresh_interval: Duration::ZERO,
            debounce,
            audit: bosun::audit::AuditLog::new(None),
            entry: None,
            cache_dir: None,
        },
        sender,
    );
    handle.connect(client, "bench".into());
    // Wait for the first evaluation of every app.
    let mut pending = 8usize;
    while pending > 0 {
        if let Some(AppEvent::Gitops(GitopsEvent::Evaluated { .. })) = events.recv().await {
            pending -= 1;
        }
    }
    let path = repo.root.join("apps/redis/kustomization.yaml");
    let mut samples = Vec::new();
    for round in 0..5 {
        let text = std::fs::read_to_string(&path).expect("read");
        let started = Instant::now();
        std::fs::write(&path, format!("{text}# edit {round}\n")).expect("write");
        loop {
            match tokio::time::timeout(Duration::from_secs(30), events.recv()).await {
                Ok(Some(AppEvent::Gitops(GitopsEvent::Evaluated { evaluation, .. })))
                    if evaluation.app == "redis" =>
                {
                    samples.push(started.elapsed());
                    break;
                }
                Ok(Some(_)) => {}
                _ => panic!("no re-evaluation of redis"),
            }
        }
    }
    println!(
        "file change -> app re-rendered (kubectl kustomize) and re-diffed: median {:.0} ms (debounce {} ms included)",
        median(samples).as_secs_f64() * 1000.0,
        debounce.as_millis()
    );
    drop(repo);
}

/// A repo of `apps` plain kustomize apps, ~10 objects each, each in its own
/// namespace (no bosun.yaml: plain discovery finds them).
fn hundred_app_repo(root: &std::path::Path, apps: usize) {
    for n in 0..apps {
        let dir = root.join(format!("apps/app-{n:03}"));
        std::fs::create_dir_all(&dir).expect("mkdir");
        let mut manifests =
            format!("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: app-{n:03}\n");
        for i in 0..3 {
            manifests.push_str(&format!(
                "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: config-{i}\ndata:\n  index: \"{i}\"\n\
                 ---\napiVersion: v1\nkind: Service\nmetadata:\n  name: svc-{i}\nspec:\n  selector:\n    app: web-{i}\n  ports:\n    - name: http\n      port: 80\n      targetPort: 8080\n\
                 ---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web-{i}\nspec:\n  replicas: 1\n  selector:\n    matchLabels:\n      app: web-{i}\n  template:\n    metadata:\n      labels:\n        app: web-{i}\n    spec:\n      containers:\n        - name: web\n          image: nginx:1.27\n"
            ));
        }
        std::fs::write(dir.join("manifests.yaml"), manifests).expect("write");
        std::fs::write(
            dir.join("kustomization.yaml"),
            format!("namespace: app-{n:03}\nresources:\n  - manifests.yaml\n"),
        )
        .expect("write");
    }
}

/// `bosun status` of a 100-app repo, the cluster in sync (DESIGN §13:
/// < 3 s on 2 cores): the real binary, renders with the real kustomize.
async fn status_100() {
    if bosun::gitops::render::Tools::detect().kubectl.is_none()
        && bosun::gitops::render::Tools::detect().kustomize.is_none()
    {
        println!("bosun status of 100 apps: skipped (no kubectl or kustomize on PATH)");
        return;
    }
    let sim = SimCluster::start(SimOptions::default()).await.expect("sim");
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = dir.path().join("repo");
    hundred_app_repo(&repo, 100);
    let git = git2::Repository::init(&repo).expect("git init");
    let mut index = git.index().expect("index");
    index
        .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
        .expect("add");
    let tree = git
        .find_tree(index.write_tree().expect("tree"))
        .expect("tree");
    let who = git2::Signature::now("Bench", "bench@example.com").expect("sig");
    git.commit(Some("HEAD"), &who, &who, "100 apps", &tree, &[])
        .expect("commit");
    let state = dir.path().join("state");
    let run_with = |args: Vec<&'static str>, cache: bool| {
        let kubeconfig = sim.kubeconfig_path().to_path_buf();
        let repo = repo.clone();
        let state = state.clone();
        tokio::task::spawn_blocking(move || {
            let started = Instant::now();
            let out = std::process::Command::new(
                std::env::var_os("BOSUN_BENCH_BIN")
                    .unwrap_or_else(|| env!("CARGO_BIN_EXE_bosun").into()),
            )
            .env("BOSUN_CONFIG_DIR", &state)
            .env("BOSUN_STATE_DIR", &state)
            .env("BOSUN_RENDER_CACHE", if cache { "on" } else { "off" })
            .arg("--kubeconfig")
            .arg(&kubeconfig)
            .arg("--repo")
            .arg(&repo)
            .args(&args)
            .output()
            .expect("bosun runs");
            (started.elapsed(), out)
        })
    };
    let run = |args: Vec<&'static str>| run_with(args, false);
    let (synced_in, out) = run(vec!["sync", "--yes"]).await.expect("join");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Let the rollouts finish so every app is Healthy, as "in sync" means.
    let mut samples = Vec::new();
    for attempt in 0..40 {
        let (took, out) = run(vec!["status"]).await.expect("join");
        if out.status.success() {
            samples.push(took);
            if samples.len() == 5 {
                break;
            }
        } else if attempt == 39 {
            panic!(
                "never all Synced and Healthy:\n{}",
                String::from_utf8_lossy(&out.stdout)
            );
        } else {
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
    let cold = median(samples);
    // Warm: renders come from the content-keyed cache on disk.
    let (_, out) = run_with(vec!["status"], true).await.expect("join");
    assert!(out.status.success());
    let mut warm = Vec::new();
    for _ in 0..5 {
        let (took, out) = run_with(vec!["status"], true).await.expect("join");
        assert!(out.status.success());
        warm.push(took);
    }
    println!(
        "bosun status of 100 apps x 10 objects, in sync (the binary, renders with kubectl kustomize): median {:.2} s cold, {:.2} s with the render cache (target < 3 s); the first sync of all of them took {:.1} s",
        cold.as_secs_f64(),
        median(warm).as_secs_f64(),
        synced_in.as_secs_f64()
    );
}

/// In-process SOPS decryption of one rendered Secret (age data key, every
/// value, the MAC over the source file), with Flux's test file and key.
async fn sops_decrypt() {
    use bosun::gitops::sops::{self, Decryption, keys::KeySources};
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let text =
        std::fs::read_to_string(root.join("tests/fixtures/repos/sops/apps/vault/secret.yaml"))
            .expect("fixture");
    let key =
        std::fs::read_to_string(root.join("tests/fixtures/sops/age-global.txt")).expect("key");
    let repo = tempfile::tempdir().expect("repo");
    std::fs::write(repo.path().join("secret.yaml"), &text).expect("write");
    let manifest: serde_json::Value = serde_yaml::from_str(&text).expect("yaml");
    let object = RenderedObject::from_manifest(manifest).expect("object");
    let keys = KeySources {
        age_key: Some(key),
        age_key_file: None,
        config_dir: None,
    };
    let decryption = Decryption::new(repo.path(), &keys, None);
    let mut samples = Vec::new();
    for _ in 0..200 {
        let started = Instant::now();
        let out = sops::decrypt_objects(std::slice::from_ref(&object), &decryption).await;
        samples.push(started.elapsed());
        assert!(out[0].decrypt_error.is_none());
    }
    println!(
        "sops: decrypt one Secret in-process (age + values + MAC): median {:?}",
        median(samples)
    );
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        sops_decrypt().await;
        status_100().await;
        diff_300().await;
        rerender_latency().await;
    });
}

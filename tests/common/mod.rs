//! A headless bosun for integration tests: the real State, update, runtime
//! and watchers against the simulated cluster over HTTP, drawn into a
//! ratatui TestBackend instead of a terminal.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use bosun::app::runtime::{Runtime, RuntimeOptions};
use bosun::app::state::{ContextEntry, State};
use bosun::app::update::update;
use bosun::app::view::ViewKind;
use bosun::app::{AppEvent, Effect, run};
use bosun::cluster::client::{KubeconfigSearch, context_info, locate_kubeconfig};
use bosun::config::keymap::Keymap;
use bosun::config::settings::WatchListSetting;
use bosun::config::theme::Theme;
use bosun::sim::{SimCluster, SimOptions};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tokio::sync::mpsc;

pub fn samples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("samples")
        .join("cluster")
}

pub async fn sample_cluster() -> SimCluster {
    SimCluster::start(SimOptions {
        seed_dir: Some(samples_dir()),
        bookmark_interval: Duration::from_millis(500),
        ..SimOptions::default()
    })
    .await
    .expect("the simulated cluster starts")
}

pub async fn kube_client(sim: &SimCluster) -> kube::Client {
    let kubeconfig =
        kube::config::Kubeconfig::read_from(sim.kubeconfig_path()).expect("sim kubeconfig");
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default())
        .await
        .expect("config");
    kube::Client::try_from(config).expect("client")
}

pub struct Harness {
    pub state: State,
    pub runtime: Runtime,
    receiver: mpsc::Receiver<AppEvent>,
    pub terminal: Terminal<TestBackend>,
    pub theme: Theme,
    /// Holds the audit log the runtime writes (`audit.log`).
    pub audit_dir: tempfile::TempDir,
    /// What the app put on the clipboard (OSC 52 in a terminal).
    pub clipboard: Vec<String>,
}

impl Harness {
    pub async fn start(sim: &SimCluster, view: ViewKind, width: u16, height: u16) -> Harness {
        Harness::with_kubeconfig(
            sim.kubeconfig_path(),
            WatchListSetting::Auto,
            view,
            width,
            height,
        )
        .await
    }

    pub async fn with_kubeconfig(
        kubeconfig: &Path,
        watch_list: WatchListSetting,
        view: ViewKind,
        width: u16,
        height: u16,
    ) -> Harness {
        let loaded = locate_kubeconfig(&KubeconfigSearch {
            flag: Some(kubeconfig.to_path_buf()),
            ..KubeconfigSearch::default()
        })
        .expect("kubeconfig loads");
        let info = context_info(&loaded, None).expect("context");
        let mut state = State::new(info, Keymap::defaults(), view, bosun::cluster::age::now());
        state.namespace = None;
        state.contexts = ContextEntry::all(&loaded);
        let (sender, receiver) = mpsc::channel(1024);
        let audit_dir = tempfile::tempdir().expect("audit dir");
        let mut runtime = Runtime::new(
            loaded,
            sender,
            RuntimeOptions {
                metrics_interval: Duration::from_secs(5),
                watch_list,
                audit: bosun::audit::AuditLog::new(Some(audit_dir.path().join("audit.log"))),
                rollout_timeout: Duration::from_secs(30),
                kubectl: "kubectl".to_string(),
                helm: "helm".to_string(),
                save_dir: Some(audit_dir.path().join("logs")),
                builds: Default::default(),
            },
        );
        for event in runtime
            .execute(Effect::Connect {
                epoch: 0,
                context: None,
                first: bosun::app::update::first_kinds(&state),
            })
            .await
        {
            update(&mut state, event);
        }
        Harness {
            state,
            runtime,
            receiver,
            terminal: Terminal::new(TestBackend::new(width, height)).expect("test terminal"),
            theme: Theme::builtin_default(),
            audit_dir,
            clipboard: Vec::new(),
        }
    }

    pub async fn handle(&mut self, event: AppEvent) {
        let mut queue = vec![event];
        while let Some(event) = queue.pop() {
            if let AppEvent::Clipboard(text) = event {
                self.clipboard.push(text);
                continue;
            }
            for effect in update(&mut self.state, event) {
                queue.extend(self.runtime.execute(effect).await);
            }
        }
    }

    /// Feed events from the workers until `done` holds (checked after each
    /// batch, with the screen redrawn), or fail after `timeout`.
    pub async fn wait_for(
        &mut self,
        what: &str,
        timeout: Duration,
        done: impl Fn(&State, &str) -> bool,
    ) {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let screen = self.screen();
            if done(&self.state, &screen) {
                return;
            }
            match tokio::time::timeout_at(deadline, self.receiver.recv()).await {
                Ok(Some(event)) => {
                    self.handle(event).await;
                    while let Ok(event) = self.receiver.try_recv() {
                        self.handle(event).await;
                    }
                }
                Ok(None) => panic!("event channel closed while waiting for {what}"),
                Err(_) => panic!("timed out waiting for {what}; screen:\n{screen}"),
            }
        }
    }

    /// Starts the GitOps worker on `root` (no timers: tests drive it).
    pub fn start_gitops(&mut self, root: &Path) {
        self.runtime.start_gitops(
            root.to_path_buf(),
            true,
            bosun::app::gitops_service::GitopsOptions {
                fetch_interval: Duration::ZERO,
                refresh_interval: Duration::ZERO,
                debounce: Duration::from_millis(100),
                audit: bosun::audit::AuditLog::new(Some(self.audit_dir.path().join("audit.log"))),
                entry: None,
                cache_dir: None,
            },
        );
    }

    /// Handle whatever the workers sent, without waiting.
    pub async fn drain(&mut self) {
        while let Ok(event) = self.receiver.try_recv() {
            self.handle(event).await;
        }
    }

    pub async fn key(&mut self, code: KeyCode) {
        let modifiers = match code {
            KeyCode::Char(c) if c.is_ascii_uppercase() => KeyModifiers::SHIFT,
            _ => KeyModifiers::NONE,
        };
        self.handle(AppEvent::Key(KeyEvent::new(code, modifiers)))
            .await;
    }

    /// Moves the cursor to the first row on screen whose store index
    /// `wanted` accepts (from the top, as a user would with `g` then `j`).
    #[allow(dead_code)]
    pub async fn select_where(&mut self, wanted: impl Fn(&State, usize) -> bool) {
        let _ = self.screen();
        let position = self
            .state
            .view()
            .visible
            .iter()
            .position(|&i| wanted(&self.state, i as usize))
            .expect("the row is listed");
        self.key(KeyCode::Char('g')).await;
        for _ in 0..position {
            self.key(KeyCode::Char('j')).await;
        }
    }

    /// The confirm's question (the test fails when none is open).
    #[allow(dead_code)]
    pub fn question(&self) -> String {
        self.state
            .confirm
            .as_ref()
            .map(|c| c.question.clone())
            .expect("a confirm is open")
    }

    /// The open pager's text (empty when none is open).
    #[allow(dead_code)]
    pub fn detail_text(&self) -> String {
        self.state
            .detail
            .as_ref()
            .map(|d| d.lines.join("\n"))
            .unwrap_or_default()
    }

    pub async fn keys(&mut self, text: &str) {
        for character in text.chars() {
            self.key(KeyCode::Char(character)).await;
        }
    }

    /// Draw and return the screen as text, one line per row.
    pub fn screen(&mut self) -> String {
        run::draw(&mut self.terminal, &mut self.state, &self.theme).expect("draw");
        let buffer = self.terminal.backend().buffer();
        let area = buffer.area;
        let mut text = String::new();
        for y in 0..area.height {
            for x in 0..area.width {
                text.push_str(buffer[(x, y)].symbol());
            }
            text.push('\n');
        }
        text
    }
}

/// Whether a kustomize renderer is on PATH; says why a test skips when not.
pub fn kubectl_present() -> bool {
    let tools = bosun::gitops::render::Tools::detect();
    let found = tools.kubectl.is_some() || tools.kustomize.is_some();
    if !found {
        eprintln!("skipping: neither kustomize nor kubectl is on PATH");
    }
    found
}

/// The demo's git repo in a temp dir, commit 1 deployed onto `sim` and
/// commit 2 on top (see `bosun::demo_repo`).
pub async fn deployed_repo(sim: &SimCluster) -> (bosun::demo_repo::DemoRepo, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = bosun::demo_repo::create(dir.path()).expect("demo repo");
    let client = kube_client(sim).await;
    bosun::demo_repo::deploy_then_edit(&repo, &client)
        .await
        .expect("commit 1 deployed");
    (repo, dir)
}

/// Commits everything under `root`: a git repository on branch `main`,
/// made if there is none, with the deletions of tracked files included.
pub fn commit_all(root: &Path, message: &str) {
    let git = match git2::Repository::open(root) {
        Ok(git) => git,
        Err(_) => {
            let mut options = git2::RepositoryInitOptions::new();
            options.initial_head("main");
            git2::Repository::init_opts(root, &options).expect("git init")
        }
    };
    let mut index = git.index().expect("index");
    index
        .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
        .expect("add");
    index.update_all(["*"], None).expect("update removed files");
    index.write().expect("write index");
    let tree = git
        .find_tree(index.write_tree().expect("tree"))
        .expect("tree");
    let who = git2::Signature::now("Test", "test@example.com").expect("sig");
    let parents: Vec<git2::Commit> = git
        .head()
        .ok()
        .and_then(|h| h.peel_to_commit().ok())
        .into_iter()
        .collect();
    let parents: Vec<&git2::Commit> = parents.iter().collect();
    git.commit(Some("HEAD"), &who, &who, message, &tree, &parents)
        .expect("commit");
}

/// A fresh EC key and a self-signed certificate for `cn`, valid for 30
/// days, with 127.0.0.1 as a subject alternative name.
pub fn self_signed(
    cn: &str,
) -> (
    openssl::pkey::PKey<openssl::pkey::Private>,
    openssl::x509::X509,
) {
    use openssl::ec::{EcGroup, EcKey};
    use openssl::nid::Nid;
    use openssl::x509::extension::SubjectAlternativeName;
    use openssl::x509::{X509Builder, X509NameBuilder};
    let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).expect("curve");
    let key =
        openssl::pkey::PKey::from_ec_key(EcKey::generate(&group).expect("key")).expect("pkey");
    let mut name = X509NameBuilder::new().expect("name");
    name.append_entry_by_text("CN", cn).expect("cn");
    let name = name.build();
    let mut cert = X509Builder::new().expect("builder");
    cert.set_version(2).expect("version");
    cert.set_subject_name(&name).expect("subject");
    cert.set_issuer_name(&name).expect("issuer");
    cert.set_pubkey(&key).expect("pubkey");
    cert.set_not_before(&openssl::asn1::Asn1Time::days_from_now(0).expect("now"))
        .expect("not before");
    cert.set_not_after(&openssl::asn1::Asn1Time::days_from_now(30).expect("later"))
        .expect("not after");
    let san = SubjectAlternativeName::new()
        .ip("127.0.0.1")
        .build(&cert.x509v3_context(None, None))
        .expect("san");
    cert.append_extension(san).expect("ext");
    cert.sign(&key, openssl::hash::MessageDigest::sha256())
        .expect("sign");
    (key, cert.build())
}

/// A fixture repo under `tests/fixtures/repos/`.
pub fn fixture_repo_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/repos")
        .join(name)
}

/// Copies a directory tree.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read fixture") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// A fixture repo as a git repo on branch `main` with `origin` at `remote`,
/// in a temp dir: (the temp dir, the repo root).
pub fn fixture_repo(name: &str, remote: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join(name);
    copy_dir(&fixture_repo_dir(name), &root);
    let mut options = git2::RepositoryInitOptions::new();
    options.initial_head("main");
    let git = git2::Repository::init_opts(&root, &options).expect("git init");
    git.remote("origin", remote).expect("remote");
    commit_all(&root, "fixture");
    (dir, root)
}

/// Runs the `bosun` binary on a repo and a cluster, its config and state
/// in `state`, without colour.
pub async fn bosun_cli(
    kubeconfig: &Path,
    root: &Path,
    state: &Path,
    args: &[&str],
) -> std::process::Output {
    bosun_cli_env(kubeconfig, root, state, args, &[]).await
}

/// [`bosun_cli`] with more environment variables.
pub async fn bosun_cli_env(
    kubeconfig: &Path,
    root: &Path,
    state: &Path,
    args: &[&str],
    env: &[(&str, &std::ffi::OsStr)],
) -> std::process::Output {
    let kubeconfig = kubeconfig.to_path_buf();
    let root = root.to_path_buf();
    let state = state.to_path_buf();
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let env: Vec<(String, std::ffi::OsString)> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_os_string()))
        .collect();
    tokio::task::spawn_blocking(move || {
        assert_cmd::Command::cargo_bin("bosun")
            .expect("binary")
            .env_remove("SOPS_AGE_KEY")
            .envs(env)
            .env("BOSUN_CONFIG_DIR", &state)
            .env("BOSUN_STATE_DIR", &state)
            .env("NO_COLOR", "1")
            .arg("--kubeconfig")
            .arg(&kubeconfig)
            .arg("--repo")
            .arg(&root)
            .args(&args)
            .output()
            .expect("runs")
    })
    .await
    .expect("joined")
}

/// Standard output then standard error, as text.
pub fn output_text(output: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

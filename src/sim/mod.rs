//! The simulated cluster (DESIGN §11): a Kubernetes API server over real
//! HTTP on 127.0.0.1 that kube-rs and kubectl use unchanged through the
//! kubeconfig it writes. It serves `bosun --demo` and the integration tests.

mod api_error;
mod body;
mod build_log;
mod certgen;
mod controller;
mod crd;
mod defaults;
mod discovery;
mod faults;
mod kubeconfig;
mod live;
mod logs;
mod managed;
mod metrics;
mod objects;
mod patch;
mod quantity;
mod registry;
mod router;
mod seed;
mod selector;
mod server;
mod state;
mod store;
mod synth;
mod util;
mod watch;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use serde_json::{Value, json};

pub use certgen::{GENERATE_ANNOTATION, generate_tls_secret_data};
pub use controller::JobOutcome;
pub use faults::Fault;
pub use state::{ClientPatch, ClientWrite};

use api_error::ApiError;
use metrics::MetricsBase;
use registry::Registry;
use state::Shared;
use store::Store;

#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
    #[error("reading seed {path}: {source}")]
    SeedRead {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("parsing seed {path}: {message}")]
    SeedParse { path: PathBuf, message: String },
    #[error("no resource for apiVersion {api_version:?} kind {kind:?}")]
    UnknownKind { api_version: String, kind: String },
    #[error("generating a certificate from {spec:?}: {message}")]
    CertGen { spec: String, message: String },
    #[error("API error {code}: {message}")]
    Api {
        code: u16,
        reason: String,
        message: String,
    },
}

impl From<ApiError> for SimError {
    fn from(e: ApiError) -> Self {
        SimError::Api {
            code: e.code,
            reason: e.reason.to_string(),
            message: e.message,
        }
    }
}

#[derive(Debug, Clone)]
pub struct SimOptions {
    /// Every `*.yaml` in it is loaded (sorted by file name), multi-document.
    pub seed_dir: Option<PathBuf>,
    /// Extra generated pods in namespaces `load-00`..`load-19`.
    pub synthetic_pods: usize,
    /// `gitVersion`; major/minor are derived from it.
    pub server_version: String,
    /// Serve `sendInitialEvents` (streaming lists); otherwise 422 like a default 1.33.
    pub watch_list: bool,
    pub bookmark_interval: Duration,
    /// Watch history kept per resource.
    pub event_log_capacity: usize,
    /// Run the demo liveliness ticker.
    pub live: bool,
    /// How long each step of a rollout takes (pod created, pod ready, old
    /// pod deleted): the workload controllers tick at this interval.
    pub rollout_step: Duration,
    /// One log line per container per interval; `follow` streams at this pace.
    pub log_interval: Duration,
    /// Serve the cert-manager.io/v1 CRDs (Certificate, CertificateRequest,
    /// Issuer, ClusterIssuer). When off the group is absent from discovery,
    /// its paths answer 404 and seeded objects of those kinds are skipped,
    /// as on a cluster without cert-manager.
    pub cert_manager: bool,
    /// Serve Argo Workflows (argoproj.io/v1alpha1 Workflow and
    /// WorkflowTemplate) and run a tiny workflow controller. When off the
    /// group is absent from discovery and its paths answer 404, as on a
    /// cluster without Argo.
    pub argo_workflows: bool,
    /// Run the HPA controller on the seeded HPAs too (HPAs a client creates
    /// are always reconciled); off by default so seeded replica counts stay
    /// put in tests, on in `--demo`.
    pub autoscale: bool,
    /// Serve Argo Rollouts (argoproj.io/v1alpha1 Rollout, AnalysisRun,
    /// AnalysisTemplate) and run a small rollouts controller (basic
    /// canary steps, blue-green Services, AnalysisRuns that pass). Off:
    /// the resources are absent, as without the CRDs.
    pub argo_rollouts: bool,
}

impl Default for SimOptions {
    fn default() -> Self {
        SimOptions {
            seed_dir: None,
            synthetic_pods: 0,
            server_version: "v1.33.3+k3s1".into(),
            watch_list: false,
            bookmark_interval: Duration::from_secs(10),
            event_log_capacity: 20_000,
            live: false,
            rollout_step: Duration::from_millis(300),
            log_interval: Duration::from_secs(1),
            cert_manager: true,
            argo_workflows: false,
            autoscale: false,
            argo_rollouts: false,
        }
    }
}

/// A running simulated API server. Dropping it stops the server.
pub struct SimCluster {
    shared: Arc<Shared>,
    server: server::Server,
    kubeconfig_dir: PathBuf,
    kubeconfig_path: PathBuf,
    kubeconfig_yaml: String,
    live: Option<tokio::task::JoinHandle<()>>,
    controller: tokio::task::JoinHandle<()>,
}

impl std::fmt::Debug for SimCluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimCluster")
            .field("url", &self.url())
            .finish_non_exhaustive()
    }
}

/// Fills in what the apiserver would have set and stores without history.
fn ingest(store: &mut Store, reg: &Registry, metrics: &mut MetricsBase, mut obj: Value) {
    if !obj.is_object() || metrics.absorb(&obj) {
        return;
    }
    let api_version = obj
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let kind = obj.get("kind").and_then(Value::as_str).unwrap_or_default();
    let Some(id) = reg.by_kind(api_version, kind) else {
        let group = registry::split_api_version(api_version).0;
        if group == registry::CERT_MANAGER_GROUP || group == registry::ARGO_GROUP {
            tracing::debug!(kind, group, "sim seed: the add-on is off, skipping");
            return;
        }
        tracing::warn!(
            api_version,
            kind,
            "sim seed: skipping object of an unserved kind"
        );
        return;
    };
    let def = reg.get(id);
    let Some(name) = objects::meta_str(&obj, "name").map(str::to_string) else {
        tracing::warn!(kind, "sim seed: skipping object without metadata.name");
        return;
    };
    let rv = store.next_rv();
    let meta = objects::meta_mut(&mut obj);
    let ns = if def.namespaced {
        let ns = meta
            .get("namespace")
            .and_then(Value::as_str)
            .unwrap_or("default")
            .to_string();
        meta.insert("namespace".into(), json!(ns));
        ns
    } else {
        meta.remove("namespace");
        String::new()
    };
    meta.entry("uid").or_insert_with(|| json!(util::new_uid()));
    meta.entry("creationTimestamp")
        .or_insert_with(|| json!(util::now_rfc3339()));
    meta.entry("generation").or_insert(json!(1));
    meta.insert("resourceVersion".into(), json!(rv.to_string()));
    store.insert_silent(id, (ns, name), obj);
}

fn node_names(store: &Store, reg: &Registry) -> Vec<String> {
    reg.by_kind("v1", "Node")
        .and_then(|id| store.res(id))
        .map(|r| r.objects.keys().map(|(_, n)| n.clone()).collect())
        .unwrap_or_default()
}

fn build_store(opts: &SimOptions, reg: &Registry) -> Result<(Store, MetricsBase), SimError> {
    let mut store = Store::new(reg, opts.event_log_capacity);
    let mut metrics = MetricsBase::default();
    if let Some(dir) = &opts.seed_dir {
        for obj in seed::load_dir(dir)? {
            let is_crd =
                obj.get("kind").and_then(Value::as_str) == Some("CustomResourceDefinition");
            ingest(&mut store, reg, &mut metrics, obj);
            if is_crd {
                crd::sync(&mut store, reg, true);
            }
        }
    }
    // Every cluster has these, whatever the seed says.
    if let Some(ns_id) = reg.by_kind("v1", "Namespace") {
        for ns in ["default", "kube-system", "kube-public", "kube-node-lease"] {
            if store.get(ns_id, "", ns).is_none() {
                let obj = json!({"apiVersion": "v1", "kind": "Namespace",
                    "metadata": {"name": ns, "labels": {"kubernetes.io/metadata.name": ns},
                                 "creationTimestamp": util::rfc3339(jiff::Timestamp::now() - jiff::SignedDuration::from_hours(24 * 30))},
                    "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}});
                ingest(&mut store, reg, &mut metrics, obj);
            }
        }
    }
    if opts.synthetic_pods > 0 {
        let nodes = node_names(&store, reg);
        for obj in synth::namespaces() {
            ingest(&mut store, reg, &mut metrics, obj);
        }
        if let Some(pods_id) = reg.by_kind("v1", "Pod") {
            let first = store.rv() + 1;
            let n = opts.synthetic_pods;
            let pods = synth::stored_pods(n, &nodes, first);
            store.insert_stored_silent(pods_id, pods, first + n as u64 - 1);
        }
    }
    store.reset_history();
    Ok((store, metrics))
}

fn write_kubeconfig(yaml: &str, port: u16) -> Result<(PathBuf, PathBuf), SimError> {
    let nanos = jiff::Timestamp::now().as_nanosecond();
    let dir = std::env::temp_dir().join(format!("bosun-sim-{}-{port}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("kubeconfig");
    std::fs::write(&path, yaml)?;
    Ok((dir, path))
}

impl SimCluster {
    /// Seeds the store, binds 127.0.0.1 on a free port, writes the kubeconfig.
    pub async fn start(opts: SimOptions) -> Result<SimCluster, SimError> {
        let registry =
            Registry::with_addons(opts.cert_manager, opts.argo_workflows, opts.argo_rollouts);
        let (store, metrics) = build_store(&opts, &registry)?;
        let ctl = controller::Controller::new(&store, &registry);
        let listener = server::bind(SocketAddr::from(([127, 0, 0, 1], 0)))?;
        let addr = listener.local_addr()?;
        let live = opts.live;
        let shared = Arc::new(Shared::new(
            opts,
            registry,
            store,
            metrics,
            addr.to_string(),
        ));
        let server = server::Server::start(listener, shared.clone())?;
        let yaml = kubeconfig::render(&format!("http://{addr}"));
        let (dir, path) = write_kubeconfig(&yaml, addr.port())?;
        let live = live.then(|| live::spawn(shared.clone()));
        let controller = controller::spawn(shared.clone(), ctl);
        tracing::info!(url = %format!("http://{addr}"), kubeconfig = %path.display(), "simulated cluster listening");
        Ok(SimCluster {
            shared,
            server,
            kubeconfig_dir: dir,
            kubeconfig_path: path,
            kubeconfig_yaml: yaml,
            live,
            controller,
        })
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.server.addr())
    }

    pub fn kubeconfig_path(&self) -> &Path {
        &self.kubeconfig_path
    }

    pub fn kubeconfig_yaml(&self) -> String {
        self.kubeconfig_yaml.clone()
    }

    /// Cuts every open watch stream and every `follow` log stream mid-body
    /// (the client sees an error, not a clean end).
    pub fn drop_watches(&self) {
        self.shared.cut.send_modify(|g| *g += 1);
        self.drop_log_streams();
    }

    /// Cuts only the open `follow` log streams, abruptly.
    pub fn drop_log_streams(&self) {
        self.shared.log_cut.send_modify(|g| *g += 1);
    }

    /// While stalled, new pods of the workload `namespace/name` (any kind)
    /// stay Pending in `ImagePullBackOff`, so its rollout never finishes.
    /// Lifting the stall lets them become ready at the next step.
    pub fn stall_rollouts(&self, namespace: &str, name: &str, stalled: bool) {
        self.shared.knobs.stall(namespace, name, stalled);
    }

    /// Sets the Deployment's Progressing condition to False /
    /// ProgressDeadlineExceeded, as the deployment controller does after
    /// `progressDeadlineSeconds` without progress. It stays until the
    /// rollout completes or the Deployment changes again. (The controller
    /// also does this by itself once a rollout makes no progress for
    /// `spec.progressDeadlineSeconds` of real time.)
    pub fn exceed_deadline(&self, namespace: &str, name: &str) -> Result<(), SimError> {
        Ok(controller::exceed_deadline(&self.shared, namespace, name)?)
    }

    /// Jobs (and Argo Workflows) whose name starts with `name_prefix` end
    /// with `outcome`: their container exits 0 (Succeed, the default) or 1
    /// (Fail). The longest matching prefix wins. Takes effect for
    /// containers that have not terminated yet.
    pub fn set_job_outcome(&self, name_prefix: &str, outcome: JobOutcome) {
        self.shared.knobs.set_outcome(name_prefix, outcome);
    }

    /// While held, the pods of Jobs (and Workflows) whose name starts with
    /// `name_prefix` keep running instead of finishing; releasing lets
    /// them finish at the next step.
    pub fn hold_jobs(&self, name_prefix: &str, held: bool) {
        self.shared.knobs.hold(name_prefix, held);
    }

    /// Forgets all watch history: resuming from any earlier resourceVersion gets 410.
    pub fn compact(&self) {
        self.shared.write().compact();
    }

    /// The next `fault.times` matching requests answer `fault.status`.
    pub fn fail_next(&self, fault: Fault) {
        self.shared.faults.push(fault);
    }

    /// Every write (not a dry run) waits `delay` before it is carried out,
    /// as on a slow server: long syncs for the interruption tests.
    pub fn slow_writes(&self, delay: std::time::Duration) {
        self.shared.faults.slow_writes(delay);
    }

    /// Every request on `resource` (plural) answers 403 until lifted.
    pub fn forbid(&self, resource: &str, forbidden: bool) {
        self.shared.faults.forbid(resource, forbidden);
    }

    /// Stops listening (connection refused) and aborts all open connections.
    pub async fn go_away(&self) {
        self.server.stop().await;
    }

    /// Listens again on the same port.
    pub async fn come_back(&self) {
        if let Err(e) = self.server.restart().await {
            tracing::error!(error = %e, "simulated cluster could not listen again");
        }
    }

    /// Every write clients made so far (not dry runs, not the simulated
    /// controllers'), in the order the server carried them out.
    pub fn client_writes(&self) -> Vec<ClientWrite> {
        self.shared
            .client_writes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Every PATCH clients sent so far, with subresource and body.
    pub fn client_patches(&self) -> Vec<ClientPatch> {
        self.shared
            .client_patches
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    pub fn request_count(&self) -> u64 {
        self.shared.requests.load(Ordering::Relaxed)
    }

    /// Creates or replaces by (apiVersion, kind, namespace, name); watchers see it.
    pub fn apply_object(&self, obj: Value) -> Result<Value, SimError> {
        let api_version = obj
            .get("apiVersion")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let kind = obj
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let reg = &self.shared.registry;
        let id = reg
            .by_kind(&api_version, &kind)
            .filter(|&id| reg.get(id).virtual_kind == registry::Virtual::None)
            .ok_or(SimError::UnknownKind { api_version, kind })?;
        let mut store = self.shared.write();
        let out = objects::apply_unchecked(&mut store, reg, id, obj)?;
        if crd::is_crd(reg, id) {
            crd::sync(&mut store, reg, true);
        }
        Ok(out)
    }

    pub fn delete_object(
        &self,
        api_version: &str,
        kind: &str,
        namespace: Option<&str>,
        name: &str,
    ) -> Result<(), SimError> {
        let reg = &self.shared.registry;
        let id = reg
            .by_kind(api_version, kind)
            .ok_or_else(|| SimError::UnknownKind {
                api_version: api_version.to_string(),
                kind: kind.to_string(),
            })?;
        let mut store = self.shared.write();
        objects::delete_unchecked(&mut store, reg, id, namespace, name)?;
        if crd::is_crd(reg, id) {
            crd::sync(&mut store, reg, false);
        }
        Ok(())
    }

    pub fn get_object(
        &self,
        api_version: &str,
        kind: &str,
        namespace: Option<&str>,
        name: &str,
    ) -> Option<Value> {
        let reg = &self.shared.registry;
        let id = reg.by_kind(api_version, kind)?;
        let ns = if reg.get(id).namespaced {
            namespace.unwrap_or("default")
        } else {
            ""
        };
        self.shared
            .read()
            .get(id, ns, name)
            .map(|s| s.value.as_ref().clone())
    }
}

impl Drop for SimCluster {
    fn drop(&mut self) {
        self.server.abort();
        if let Some(h) = self.live.take() {
            h.abort();
        }
        self.controller.abort();
        let _ = std::fs::remove_dir_all(&self.kubeconfig_dir);
    }
}

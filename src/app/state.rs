//! The one owner of everything the views show.

use std::collections::{HashMap, VecDeque};

use crate::cluster::actions::Mutation;
use crate::cluster::age::Epoch;
use crate::cluster::client::ContextInfo;
use crate::cluster::fetch::DetailKind;
use crate::cluster::kind::ResourceKind;
use crate::cluster::metrics::Usage;
use crate::cluster::rollout::RolloutProgress;
use crate::cluster::rows::{EventRow, NamespaceRow, NodeRow, PodRow, RowKey, WorkloadRow};
use crate::cluster::watch::WatchStatus;
use crate::config::ConfigWarning;
use crate::config::keymap::Keymap;

use super::store::RowStore;
use super::view::{ViewKind, ViewState};

#[derive(Debug, Default)]
pub struct Stores {
    pub pods: RowStore<PodRow>,
    pub deployments: RowStore<WorkloadRow>,
    pub statefulsets: RowStore<WorkloadRow>,
    pub daemonsets: RowStore<WorkloadRow>,
    pub namespaces: RowStore<NamespaceRow>,
    pub nodes: RowStore<NodeRow>,
    pub events: RowStore<EventRow>,
    pub jobs: RowStore<crate::cluster::rows::JobRow>,
    pub hpas: RowStore<crate::cluster::rows::HpaRow>,
    pub helm_releases: RowStore<crate::cluster::rows::HelmReleaseRow>,
    pub rollouts: RowStore<crate::cluster::rows::argo::RolloutRow>,
    pub rollout_replicasets: RowStore<crate::cluster::rows::argo::RolloutReplicaSetRow>,
    pub analysis_runs: RowStore<crate::cluster::rows::argo::AnalysisRunRow>,
    pub helm_charts: RowStore<crate::cluster::rows::helmchart::HelmChartRow>,
    pub helm_chart_configs: RowStore<crate::cluster::rows::helmchart::HelmChartRow>,
    pub certificates: RowStore<crate::certs::CertificateRow>,
    pub tls_secrets: RowStore<crate::certs::TlsSecretRow>,
    pub ingresses: RowStore<crate::cluster::rows::RouteRow>,
    pub ingressroutes: RowStore<crate::cluster::rows::RouteRow>,
}

impl Stores {
    /// The HPA that scales a workload (kind as in `scaleTargetRef`).
    pub fn hpa_for(
        &self,
        kind: &str,
        namespace: &str,
        name: &str,
    ) -> Option<&crate::cluster::rows::HpaRow> {
        self.hpas.rows().iter().find(|hpa| {
            &*hpa.namespace == namespace && &*hpa.target_kind == kind && &*hpa.target_name == name
        })
    }

    pub fn workloads(&self, kind: ResourceKind) -> Option<&RowStore<WorkloadRow>> {
        match kind {
            ResourceKind::Deployments => Some(&self.deployments),
            ResourceKind::StatefulSets => Some(&self.statefulsets),
            ResourceKind::DaemonSets => Some(&self.daemonsets),
            _ => None,
        }
    }

    pub fn workloads_mut(&mut self, kind: ResourceKind) -> Option<&mut RowStore<WorkloadRow>> {
        match kind {
            ResourceKind::Deployments => Some(&mut self.deployments),
            ResourceKind::StatefulSets => Some(&mut self.statefulsets),
            ResourceKind::DaemonSets => Some(&mut self.daemonsets),
            _ => None,
        }
    }

    /// The store of a kind, whatever its row type: one match instead of
    /// one per question asked of it.
    pub fn store(&self, kind: ResourceKind) -> &dyn AnyStore {
        match kind {
            ResourceKind::Pods => &self.pods,
            ResourceKind::Deployments => &self.deployments,
            ResourceKind::StatefulSets => &self.statefulsets,
            ResourceKind::DaemonSets => &self.daemonsets,
            ResourceKind::Namespaces => &self.namespaces,
            ResourceKind::Nodes => &self.nodes,
            ResourceKind::Events => &self.events,
            ResourceKind::Jobs => &self.jobs,
            ResourceKind::Hpas => &self.hpas,
            ResourceKind::HelmReleases => &self.helm_releases,
            ResourceKind::Rollouts => &self.rollouts,
            ResourceKind::RolloutReplicaSets => &self.rollout_replicasets,
            ResourceKind::AnalysisRuns => &self.analysis_runs,
            ResourceKind::HelmCharts => &self.helm_charts,
            ResourceKind::HelmChartConfigs => &self.helm_chart_configs,
            ResourceKind::Certificates => &self.certificates,
            ResourceKind::TlsSecrets => &self.tls_secrets,
            ResourceKind::Ingresses => &self.ingresses,
            ResourceKind::IngressRoutes => &self.ingressroutes,
        }
    }

    pub fn generation(&self, kind: ResourceKind) -> u64 {
        self.store(kind).generation()
    }

    pub fn len(&self, kind: ResourceKind) -> usize {
        self.store(kind).len()
    }
}

/// What the tables ask of any store.
pub trait AnyStore {
    fn len(&self) -> usize;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    fn generation(&self) -> u64;
    fn row(&self, index: usize) -> Option<&dyn crate::cluster::rows::Row>;
}

impl<R: crate::cluster::rows::Row> AnyStore for RowStore<R> {
    fn len(&self) -> usize {
        RowStore::len(self)
    }
    fn generation(&self) -> u64 {
        RowStore::generation(self)
    }
    fn row(&self, index: usize) -> Option<&dyn crate::cluster::rows::Row> {
        self.rows()
            .get(index)
            .map(|row| row as &dyn crate::cluster::rows::Row)
    }
}

/// Samples kept per node for the overview sparklines.
pub const HISTORY_LEN: usize = 40;

#[derive(Debug, Default)]
pub struct Metrics {
    pub pods: HashMap<RowKey, Usage>,
    pub nodes: HashMap<String, Usage>,
    /// Per node: CPU and memory percent of allocatable, oldest first.
    pub node_history: HashMap<String, VecDeque<(u64, u64)>>,
    /// Why metrics are missing, when they are.
    pub unavailable: Option<String>,
    pub generation: u64,
}

/// The YAML / describe pager.
#[derive(Debug, Clone)]
pub struct Detail {
    pub request: u64,
    pub kind: DetailKind,
    pub title: String,
    pub lines: Vec<String>,
    pub loading: bool,
    pub error: Option<String>,
    pub scroll: usize,
    pub search: String,
    /// Line numbers that match `search`.
    pub matches: Vec<usize>,
    pub current_match: usize,
    /// Set when the pager shows an app's diff: `n`/`N` move between
    /// objects, `S` goes on to the sync.
    pub diff: Option<DiffNav>,
    /// Set when the pager shows an Argo Rollout's picture: it is redrawn
    /// from the stores as the watchers move them.
    pub live_rollout: Option<RowKey>,
}

impl Detail {
    /// A pager over text already made (a diff, a history), at the top.
    pub fn text(request: u64, title: String, lines: Vec<String>, diff: Option<DiffNav>) -> Detail {
        Detail {
            request,
            kind: DetailKind::Describe,
            title,
            lines,
            loading: false,
            error: None,
            scroll: 0,
            search: String::new(),
            matches: Vec::new(),
            current_match: 0,
            diff,
            live_rollout: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffNav {
    pub app: String,
    /// The first line of each object's section.
    pub objects: Vec<usize>,
    /// Opened by `S`: the footer offers the sync.
    pub for_sync: bool,
    /// The diff of a rollback (`state.gitops.rollback`), not of HEAD.
    pub rollback: bool,
    /// One object of the resource tree: `S` syncs it alone.
    pub object: Option<crate::gitops::object::ObjectKey>,
}

/// What the keyboard is typing into, if anything.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Input {
    #[default]
    None,
    Command(String),
    Filter(String),
    /// Search inside the pager.
    Search(String),
    /// New replica count for `State::scale_target`.
    Scale(String),
    /// `CONTAINER=IMAGE` for the Rollout in `State::image_target`.
    SetImage(String),
    /// The logs view's `&` filter.
    LogFilter(String),
}

/// The YAML editor (`e`), over the live object.
#[derive(Debug, Clone)]
pub struct Editor {
    pub request: u64,
    pub kind: ResourceKind,
    pub key: RowKey,
    pub textarea: ratatui_textarea::TextArea<'static>,
    /// What was loaded, to tell whether anything changed.
    pub original: String,
    pub loading: bool,
    pub saving: bool,
    /// The last refusal (conflict, validation), shown inline.
    pub error: Option<String>,
    /// Esc once more discards unsaved changes.
    pub discard_armed: bool,
}

impl Editor {
    pub fn text(&self) -> String {
        self.textarea.lines().join("\n")
    }

    pub fn modified(&self) -> bool {
        !self.loading && self.text().trim_end() != self.original.trim_end()
    }
}

/// What a container choice is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PickPurpose {
    Logs {
        pod: RowKey,
        previous: bool,
    },
    Shell {
        pod: RowKey,
    },
    /// A Deployment's revisions (`h`), newest first.
    Revision {
        key: RowKey,
    },
    /// An app's history (`h`): the commit of each line, `None` when it
    /// cannot be rendered again (not in the repo, a dirty working tree).
    Rollback {
        app: String,
        revisions: Vec<Option<String>>,
    },
    /// A Helm release's earlier revisions (`u`), newest first.
    HelmRollback {
        namespace: String,
        release: String,
        revisions: Vec<i64>,
    },
}

/// A Deployment's revisions, and which one's diff is open (`u` undoes to it).
#[derive(Debug, Clone)]
pub struct WorkloadHistory {
    pub request: u64,
    pub kind: ResourceKind,
    pub key: RowKey,
    pub entries: Vec<crate::cluster::history::RevisionEntry>,
    /// The detail showing a revision's diff, and that revision.
    pub open: Option<(u64, i64)>,
}

/// A short list to choose from (a pod's containers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Picker {
    pub title: String,
    pub choices: Vec<String>,
    pub cursor: usize,
    pub purpose: PickPurpose,
}

/// A destructive action waiting for y/n.
#[derive(Debug, Clone)]
pub struct Confirm {
    pub question: String,
    pub action: ConfirmAction,
    /// A second way to say yes, e.g. `a` "sync, taking shared objects too".
    pub alternative: Option<ConfirmAlternative>,
}

/// The dialog's second choice: its key, what it says, what it starts.
#[derive(Debug, Clone)]
pub struct ConfirmAlternative {
    pub key: char,
    pub label: String,
    pub action: ConfirmAction,
}

/// What a "y" starts.
#[derive(Debug, Clone)]
pub enum ConfirmAction {
    Mutation(Mutation),
    /// Sync a GitOps app (its diff was just shown), pruning when asked.
    Sync {
        app: String,
        prune: bool,
        /// Apply objects another app renders or tracks too.
        allow_shared: bool,
        /// Sync the rollback's evaluation (`state.gitops.rollback`).
        rollback: bool,
        /// Only this object (a selective sync).
        object: Option<crate::gitops::object::ObjectKey>,
    },
    /// `helm rollback RELEASE REVISION -n NAMESPACE`.
    HelmRollback {
        namespace: String,
        release: String,
        revision: i64,
    },
    /// Start a build from bosun.yaml.
    Build {
        build: String,
    },
    /// Quit although a sync or a build start is in flight: they stop after
    /// their current object and say so.
    QuitInterrupting,
    /// Cancel (delete) a build run.
    CancelBuild {
        kind: crate::builds::status::RunKind,
        namespace: String,
        name: String,
    },
}

/// A restart followed in the rollout panel while the user browses on.
#[derive(Debug, Clone)]
pub struct RolloutPanel {
    pub request: u64,
    pub title: String,
    pub progress: Option<RolloutProgress>,
    /// The API server cannot be reached: following goes on (why).
    pub reconnecting: Option<String>,
    /// The final word and when it came (the panel fades after a while).
    pub finished: Option<(Result<String, String>, Epoch)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Warn,
    Error,
}

#[derive(Debug, Clone)]
pub struct Flash {
    pub level: Level,
    pub text: String,
    pub at: Epoch,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContextEntry {
    pub name: String,
    pub cluster: String,
    pub server: String,
}

impl crate::cluster::rows::Row for ContextEntry {
    fn ident(&self) -> (&str, &str) {
        ("", &self.name)
    }
    fn labels(&self) -> &[(Box<str>, Box<str>)] {
        &[]
    }
    fn search_text(&self) -> &str {
        // Context names are matched as typed; the filter lower-cases input.
        &self.name
    }
}

impl ContextEntry {
    /// Every context of a kubeconfig, for `:ctx`.
    pub fn all(loaded: &crate::cluster::client::LoadedKubeconfig) -> Vec<ContextEntry> {
        let kubeconfig = &loaded.kubeconfig;
        kubeconfig
            .contexts
            .iter()
            .map(|named| {
                let cluster = named
                    .context
                    .as_ref()
                    .map(|c| c.cluster.clone())
                    .unwrap_or_default();
                let server = kubeconfig
                    .clusters
                    .iter()
                    .find(|candidate| candidate.name == cluster)
                    .and_then(|candidate| candidate.cluster.as_ref())
                    .and_then(|cluster| cluster.server.clone())
                    .unwrap_or_default();
                ContextEntry {
                    name: named.name.clone(),
                    cluster,
                    server,
                }
            })
            .collect()
    }
}

#[derive(Debug)]
pub struct State {
    pub context: ContextInfo,
    pub server_version: Option<String>,
    pub contexts: Vec<ContextEntry>,
    /// Namespace scope; None = all namespaces.
    pub namespace: Option<String>,
    pub stores: Stores,
    pub watch_status: HashMap<ResourceKind, WatchStatus>,
    pub metrics: Metrics,
    /// Navigation stack; never empty, the last entry is on screen.
    pub nav: Vec<ViewState>,
    /// The Rollout a `set image` prompt is for.
    pub image_target: Option<RowKey>,
    pub detail: Option<Detail>,
    pub help_open: bool,
    pub help_scroll: usize,
    pub input: Input,
    /// The last message for the status bar.
    pub flash: Option<Flash>,
    /// The last error, kept until something replaces it.
    pub last_error: Option<String>,
    pub warnings: Vec<ConfigWarning>,
    pub keymap: Keymap,
    pub confirm: Option<Confirm>,
    pub picker: Option<Picker>,
    /// A Deployment's revisions being looked at (`h`).
    pub workload_history: Option<WorkloadHistory>,
    pub editor: Option<Editor>,
    /// The certs view's rows: Certificates, TLS secrets and routes joined
    /// (recomputed when one of them changes).
    pub certs: Vec<super::certs::CertEntry>,
    pub certs_stamp: Option<u64>,
    pub logs: Option<super::logs::LogView>,
    pub gitops: super::gitops::GitopsState,
    pub builds: super::builds::BuildsState,
    /// Lines the logs view keeps (ring buffer).
    pub log_capacity: usize,
    pub scale_target: Option<(ResourceKind, RowKey)>,
    pub rollouts: Vec<RolloutPanel>,
    /// --readonly: every mutating key is refused.
    pub readonly: bool,
    pub pending_grace: i64,
    pub epoch: u64,
    pub next_request: u64,
    pub connected: bool,
    pub now: Epoch,
    /// Rows the table can show at once; set by the draw loop from the
    /// terminal size, used for paging.
    pub page_rows: usize,
    pub dirty: bool,
    pub quit: bool,
    /// Quitting, waiting for syncs in flight to stop after their current
    /// object (since when): docs/ARCHITECTURE.md "Interruptions".
    pub quit_pending: Option<crate::cluster::age::Epoch>,
}

impl State {
    pub fn new(context: ContextInfo, keymap: Keymap, start: ViewKind, now: Epoch) -> State {
        let namespace = context.namespace.clone();
        State {
            context,
            server_version: None,
            contexts: Vec::new(),
            namespace,
            stores: Stores::default(),
            watch_status: ResourceKind::ALL
                .iter()
                .map(|kind| (*kind, WatchStatus::Loading))
                .collect(),
            metrics: Metrics::default(),
            nav: vec![ViewState::new(start)],
            image_target: None,
            detail: None,
            help_open: false,
            help_scroll: 0,
            input: Input::None,
            flash: None,
            last_error: None,
            warnings: Vec::new(),
            keymap,
            confirm: None,
            picker: None,
            workload_history: None,
            editor: None,
            certs: Vec::new(),
            certs_stamp: None,
            logs: None,
            gitops: Default::default(),
            builds: Default::default(),
            log_capacity: 100_000,
            scale_target: None,
            rollouts: Vec::new(),
            readonly: false,
            pending_grace: 300,
            epoch: 0,
            next_request: 0,
            connected: false,
            now,
            page_rows: 20,
            dirty: true,
            quit: false,
            quit_pending: None,
        }
    }

    pub fn view(&self) -> &ViewState {
        // The stack is never empty: `back` keeps the last entry.
        &self.nav[self.nav.len() - 1]
    }

    pub fn view_mut(&mut self) -> &mut ViewState {
        let last = self.nav.len() - 1;
        &mut self.nav[last]
    }

    pub fn all_namespaces(&self) -> bool {
        self.namespace.is_none()
    }

    pub fn flash(&mut self, level: Level, text: impl Into<String>) {
        let text = text.into();
        if level == Level::Error {
            self.last_error = Some(text.clone());
        }
        self.flash = Some(Flash {
            level,
            text,
            at: self.now,
        });
    }

    pub fn status_of(&self, kind: ResourceKind) -> WatchStatus {
        self.watch_status
            .get(&kind)
            .cloned()
            .unwrap_or(WatchStatus::Loading)
    }

    /// The worst connection state across kinds, for the status bar:
    /// reconnecting beats loading beats live; forbidden kinds don't count.
    pub fn connection(&self) -> WatchStatus {
        let mut worst = WatchStatus::Live;
        for status in self.watch_status.values() {
            match status {
                WatchStatus::Reconnecting { since, .. } => match &worst {
                    WatchStatus::Reconnecting { since: earlier, .. } if earlier <= since => {}
                    _ => worst = status.clone(),
                },
                WatchStatus::Loading if worst == WatchStatus::Live => worst = WatchStatus::Loading,
                _ => {}
            }
        }
        worst
    }

    /// Namespace names, sorted, for completion.
    pub fn namespace_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .stores
            .namespaces
            .rows()
            .iter()
            .map(|row| row.name.to_string())
            .collect();
        names.sort();
        names
    }

    pub fn context_names(&self) -> Vec<String> {
        self.contexts
            .iter()
            .map(|context| context.name.clone())
            .collect()
    }

    /// Pods per namespace: (total, failing), for the namespaces view.
    pub fn pod_counts(&self) -> HashMap<&str, (usize, usize)> {
        let mut counts: HashMap<&str, (usize, usize)> = HashMap::new();
        for pod in self.stores.pods.rows() {
            let entry = counts.entry(pod.namespace.as_ref()).or_default();
            entry.0 += 1;
            if pod.is_failing(self.now, self.pending_grace) {
                entry.1 += 1;
            }
        }
        counts
    }
}

//! The views, their columns, and the per-view state (filter, sort, cursor).

use crate::cluster::kind::ResourceKind;
use crate::cluster::rows::RowKey;
use crate::cluster::rows::workload::Selector;

use super::filter::Filter;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ViewKind {
    Pulse,
    Resource(ResourceKind),
    /// The containers of one pod.
    Containers,
    Contexts,
    /// Certificates, TLS secrets and the hosts using them, joined.
    Certs,
    /// The GitOps repo's apps with sync status and health.
    Apps,
    /// One app's objects (its resource tree), pinned by `Pin::App`.
    AppObjects,
    /// Build runs (kaniko Jobs, Argo Workflows) and the repo's builds.
    Builds,
}

impl ViewKind {
    /// Command names (first is canonical) for `:` and `-c`.
    pub const COMMANDS: &'static [(&'static [&'static str], ViewKind)] = &[
        (&["pulse", "pu", "overview"], ViewKind::Pulse),
        (
            &["pods", "po", "pod"],
            ViewKind::Resource(ResourceKind::Pods),
        ),
        (
            &["deploy", "deployments", "dp", "deployment"],
            ViewKind::Resource(ResourceKind::Deployments),
        ),
        (
            &["sts", "statefulsets", "statefulset"],
            ViewKind::Resource(ResourceKind::StatefulSets),
        ),
        (
            &["ds", "daemonsets", "daemonset"],
            ViewKind::Resource(ResourceKind::DaemonSets),
        ),
        (
            &["ns", "namespaces", "namespace"],
            ViewKind::Resource(ResourceKind::Namespaces),
        ),
        (
            &["nodes", "no", "node"],
            ViewKind::Resource(ResourceKind::Nodes),
        ),
        (
            &["events", "ev", "event"],
            ViewKind::Resource(ResourceKind::Events),
        ),
        (&["jobs", "job"], ViewKind::Resource(ResourceKind::Jobs)),
        (
            &[
                "hpa",
                "hpas",
                "horizontalpodautoscalers",
                "horizontalpodautoscaler",
            ],
            ViewKind::Resource(ResourceKind::Hpas),
        ),
        (
            &["helm", "releases", "helmreleases"],
            ViewKind::Resource(ResourceKind::HelmReleases),
        ),
        (
            &["rollouts", "ro", "rollout"],
            ViewKind::Resource(ResourceKind::Rollouts),
        ),
        (
            &["helmcharts", "hc", "helmchart", "charts"],
            ViewKind::Resource(ResourceKind::HelmCharts),
        ),
        (
            &["helmchartconfigs", "hcc", "helmchartconfig"],
            ViewKind::Resource(ResourceKind::HelmChartConfigs),
        ),
        (&["certs", "cert", "certificates"], ViewKind::Certs),
        (&["apps", "app", "applications"], ViewKind::Apps),
        (&["builds", "build", "bld"], ViewKind::Builds),
        (&["ctx", "contexts", "context"], ViewKind::Contexts),
    ];

    pub fn from_command(name: &str) -> Option<ViewKind> {
        let name = name.to_ascii_lowercase();
        ViewKind::COMMANDS
            .iter()
            .find(|(names, _)| names.contains(&name.as_str()))
            .map(|(_, kind)| *kind)
    }

    pub fn title(self) -> &'static str {
        match self {
            ViewKind::Pulse => "Pulse",
            ViewKind::Resource(ResourceKind::Pods) => "Pods",
            ViewKind::Resource(ResourceKind::Deployments) => "Deployments",
            ViewKind::Resource(ResourceKind::StatefulSets) => "StatefulSets",
            ViewKind::Resource(ResourceKind::DaemonSets) => "DaemonSets",
            ViewKind::Resource(ResourceKind::Namespaces) => "Namespaces",
            ViewKind::Resource(ResourceKind::Nodes) => "Nodes",
            ViewKind::Resource(ResourceKind::Events) => "Events",
            ViewKind::Resource(ResourceKind::Jobs) => "Jobs",
            ViewKind::Resource(ResourceKind::Hpas) => "HPAs",
            ViewKind::Resource(ResourceKind::HelmReleases) => "Helm releases",
            ViewKind::Resource(ResourceKind::Rollouts) => "Rollouts",
            ViewKind::Resource(ResourceKind::RolloutReplicaSets) => "ReplicaSets",
            ViewKind::Resource(ResourceKind::AnalysisRuns) => "AnalysisRuns",
            ViewKind::Resource(ResourceKind::HelmCharts) => "HelmCharts (k3s)",
            ViewKind::Resource(ResourceKind::HelmChartConfigs) => "HelmChartConfigs (k3s)",
            ViewKind::Containers => "Containers",
            ViewKind::Contexts => "Contexts",
            ViewKind::Certs => "Certificates",
            ViewKind::Apps => "Apps",
            ViewKind::AppObjects => "App",
            ViewKind::Builds => "Builds",
            ViewKind::Resource(ResourceKind::Certificates) => "Certificates",
            ViewKind::Resource(ResourceKind::TlsSecrets) => "TLS secrets",
            ViewKind::Resource(ResourceKind::Ingresses) => "Ingresses",
            ViewKind::Resource(ResourceKind::IngressRoutes) => "IngressRoutes",
        }
    }

    pub fn resource(self) -> Option<ResourceKind> {
        match self {
            ViewKind::Resource(kind) => Some(kind),
            _ => None,
        }
    }

    /// Does the namespace scope apply to this view?
    pub fn namespaced(self) -> bool {
        matches!(self, ViewKind::Certs | ViewKind::Builds)
            || self.resource().is_some_and(ResourceKind::namespaced)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ColumnId {
    Namespace,
    Name,
    Ready,
    Status,
    Restarts,
    Age,
    Node,
    Cpu,
    Mem,
    CpuOfRequest,
    MemOfLimit,
    Ip,
    UpToDate,
    Available,
    Rollout,
    Roles,
    Version,
    CpuPercent,
    MemPercent,
    Pods,
    Health,
    Type,
    Reason,
    Object,
    Message,
    Count,
    LastSeen,
    Image,
    State,
    Init,
    Ports,
    Cluster,
    Server,
    Current,
    Hosts,
    Issuer,
    NotAfter,
    DaysLeft,
    Renewal,
    Secret,
    UsedBy,
    Kind,
    /// READY of a certificate: True, False, Issuing, -.
    CertReady,
    Completions,
    Duration,
    /// Argo CD's sync status (apps) or what a sync does (objects).
    Sync,
    /// The commit last synced.
    Revision,
    LastSync,
    Phase,
    Commit,
    Started,
    /// Where an app is declared (bosun.yaml, Application, Kustomization, discovered).
    Origin,
    /// An HPA's scale target, `Kind/name`.
    Reference,
    /// An HPA's metrics, current/target, as kubectl prints them.
    Targets,
    MinPods,
    MaxPods,
    Replicas,
    /// The HPA range of a workload ("2–10").
    Hpa,
    /// A Helm chart, `name-version`.
    Chart,
    AppVersion,
    /// When a Helm release was last deployed.
    Updated,
    /// A Rollout's strategy (Canary, BlueGreen).
    Strategy,
    /// A canary's step, `1/4`.
    Step,
    SetWeight,
    ActualWeight,
    Images,
    /// A k3s HelmChart's target namespace.
    TargetNamespace,
    /// The helm-install Job.
    Job,
    /// Whether a HelmChartConfig adds values.
    Config,
    /// Lines of a HelmChartConfig's valuesContent.
    Values,
}

impl ColumnId {
    pub fn title(self) -> &'static str {
        match self {
            ColumnId::Namespace => "NAMESPACE",
            ColumnId::Name => "NAME",
            ColumnId::Ready => "READY",
            ColumnId::Status => "STATUS",
            ColumnId::Restarts => "RESTARTS",
            ColumnId::Age => "AGE",
            ColumnId::Node => "NODE",
            ColumnId::Cpu => "CPU",
            ColumnId::Mem => "MEM",
            ColumnId::CpuOfRequest => "%CPU/R",
            ColumnId::MemOfLimit => "%MEM/L",
            ColumnId::Ip => "IP",
            ColumnId::UpToDate => "UP-TO-DATE",
            ColumnId::Available => "AVAILABLE",
            ColumnId::Rollout => "ROLLOUT",
            ColumnId::Roles => "ROLES",
            ColumnId::Version => "VERSION",
            ColumnId::CpuPercent => "%CPU",
            ColumnId::MemPercent => "%MEM",
            ColumnId::Pods => "PODS",
            ColumnId::Health => "HEALTH",
            ColumnId::Type => "TYPE",
            ColumnId::Reason => "REASON",
            ColumnId::Object => "OBJECT",
            ColumnId::Message => "MESSAGE",
            ColumnId::Count => "COUNT",
            ColumnId::LastSeen => "LAST SEEN",
            ColumnId::Image => "IMAGE",
            ColumnId::State => "STATE",
            ColumnId::Init => "INIT",
            ColumnId::Ports => "PORTS",
            ColumnId::Cluster => "CLUSTER",
            ColumnId::Server => "SERVER",
            ColumnId::Current => "CURRENT",
            ColumnId::Hosts => "HOSTS",
            ColumnId::Issuer => "ISSUER",
            ColumnId::NotAfter => "NOT-AFTER",
            ColumnId::DaysLeft => "DAYS-LEFT",
            ColumnId::Renewal => "RENEWAL",
            ColumnId::Secret => "SECRET",
            ColumnId::UsedBy => "USED BY",
            ColumnId::Kind => "KIND",
            ColumnId::CertReady => "READY",
            ColumnId::Completions => "COMPLETIONS",
            ColumnId::Duration => "DURATION",
            ColumnId::Sync => "SYNC",
            ColumnId::Revision => "REVISION",
            ColumnId::LastSync => "LAST SYNC",
            ColumnId::Phase => "PHASE",
            ColumnId::Commit => "COMMIT",
            ColumnId::Started => "STARTED",
            ColumnId::Origin => "FROM",
            ColumnId::Reference => "REFERENCE",
            ColumnId::Targets => "TARGETS",
            ColumnId::MinPods => "MINPODS",
            ColumnId::MaxPods => "MAXPODS",
            ColumnId::Replicas => "REPLICAS",
            ColumnId::Hpa => "HPA",
            ColumnId::Chart => "CHART",
            ColumnId::AppVersion => "APP VERSION",
            ColumnId::Updated => "UPDATED",
            ColumnId::Strategy => "STRATEGY",
            ColumnId::Step => "STEP",
            ColumnId::SetWeight => "SET-WEIGHT",
            ColumnId::ActualWeight => "ACTUAL-WEIGHT",
            ColumnId::Images => "IMAGES",
            ColumnId::TargetNamespace => "TARGET-NAMESPACE",
            ColumnId::Job => "JOB",
            ColumnId::Config => "CONFIG",
            ColumnId::Values => "VALUES",
        }
    }
}

/// The columns a table view shows; NAMESPACE only across namespaces.
pub fn columns(kind: ViewKind, all_namespaces: bool) -> Vec<ColumnId> {
    use ColumnId::*;
    let mut columns = match kind {
        ViewKind::Resource(ResourceKind::Pods) => vec![
            Namespace,
            Name,
            Ready,
            Status,
            Restarts,
            Age,
            Node,
            Cpu,
            Mem,
            CpuOfRequest,
            MemOfLimit,
            Ip,
        ],
        ViewKind::Resource(ResourceKind::Deployments | ResourceKind::StatefulSets) => {
            vec![
                Namespace, Name, Ready, UpToDate, Available, Hpa, Age, Rollout,
            ]
        }
        ViewKind::Resource(ResourceKind::DaemonSets) => {
            vec![Namespace, Name, Ready, UpToDate, Available, Age, Rollout]
        }
        ViewKind::Resource(ResourceKind::HelmReleases) => vec![
            Name, Namespace, Revision, Updated, Status, Chart, AppVersion, Message,
        ],
        ViewKind::Resource(ResourceKind::HelmCharts) => vec![
            Namespace,
            Name,
            Chart,
            Version,
            TargetNamespace,
            Job,
            Status,
            Config,
            Age,
            Message,
        ],
        ViewKind::Resource(ResourceKind::HelmChartConfigs) => {
            vec![Namespace, Name, Chart, Job, Status, Values, Age]
        }
        ViewKind::Resource(ResourceKind::Rollouts) => vec![
            Namespace,
            Name,
            Strategy,
            Status,
            Step,
            SetWeight,
            ActualWeight,
            Ready,
            Available,
            Images,
            Age,
            Message,
        ],
        ViewKind::Resource(ResourceKind::Hpas) => vec![
            Namespace, Name, Reference, Targets, MinPods, MaxPods, Replicas, Age, Message,
        ],
        ViewKind::Resource(ResourceKind::Namespaces) => vec![Name, Status, Pods, Health, Age],
        ViewKind::Resource(ResourceKind::Nodes) => {
            vec![
                Name, Status, Roles, Version, Ip, Cpu, CpuPercent, Mem, MemPercent, Pods, Age,
            ]
        }
        ViewKind::Resource(ResourceKind::Events) => {
            vec![Namespace, Type, Reason, Object, Message, Count, LastSeen]
        }
        ViewKind::Containers => vec![Name, Image, Ready, State, Init, Restarts, Ports, Age],
        ViewKind::Contexts => vec![Current, Name, Cluster, Server],
        ViewKind::Resource(ResourceKind::Jobs) => {
            vec![Namespace, Name, Status, Completions, Duration, Age, Message]
        }
        ViewKind::Certs => vec![
            Namespace, Name, Kind, CertReady, DaysLeft, NotAfter, Hosts, Issuer, Renewal, Secret,
            UsedBy,
        ],
        ViewKind::Apps => vec![Name, Sync, Health, Origin, Revision, LastSync, Message],
        ViewKind::AppObjects => vec![Kind, Namespace, Name, Sync, Health, Message],
        ViewKind::Builds => vec![
            Namespace, Name, Kind, Phase, Image, Commit, Started, Duration, Message,
        ],
        ViewKind::Pulse
        | ViewKind::Resource(
            ResourceKind::Certificates
            | ResourceKind::TlsSecrets
            | ResourceKind::Ingresses
            | ResourceKind::IngressRoutes
            | ResourceKind::RolloutReplicaSets
            | ResourceKind::AnalysisRuns,
        ) => vec![],
    };
    if kind == ViewKind::AppObjects {
        return columns;
    }
    if !all_namespaces || !kind.namespaced() {
        columns.retain(|column| *column != Namespace);
    }
    columns
}

/// What a drill-down pinned the view to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pin {
    None,
    /// Pods of a workload: its namespace and selector.
    Selector {
        owner: String,
        namespace: String,
        selector: Selector,
    },
    /// Containers of one pod.
    Pod(RowKey),
    /// The objects of one GitOps app.
    App(String),
}

/// One entry of the navigation stack.
#[derive(Debug, Clone)]
pub struct ViewState {
    pub kind: ViewKind,
    pub pin: Pin,
    pub filter_text: String,
    pub filter: Filter,
    /// Column and descending flag; None = the view's natural order.
    pub sort: Option<(ColumnId, bool)>,
    pub cursor: usize,
    pub offset: usize,
    /// The selected row's key, so the selection survives updates.
    pub selected: Option<RowKey>,
    /// Indices into the store, filtered and sorted (see `table.rs`).
    pub visible: Vec<u32>,
    pub stamp: Option<u64>,
    /// All rows in scope, sorted, before the text filter.
    pub ordered: Vec<u32>,
    pub order_stamp: Option<u64>,
}

impl ViewState {
    pub fn new(kind: ViewKind) -> Self {
        ViewState {
            kind,
            pin: Pin::None,
            filter_text: String::new(),
            filter: Filter::None,
            sort: None,
            cursor: 0,
            offset: 0,
            selected: None,
            visible: Vec::new(),
            stamp: None,
            ordered: Vec::new(),
            order_stamp: None,
        }
    }

    pub fn pinned(kind: ViewKind, pin: Pin) -> Self {
        ViewState {
            pin,
            ..ViewState::new(kind)
        }
    }
}

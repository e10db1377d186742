//! The kinds bosun watches, with the API coordinates each one needs.

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ResourceKind {
    Pods,
    Deployments,
    StatefulSets,
    DaemonSets,
    Jobs,
    Namespaces,
    Nodes,
    Events,
    /// cert-manager.io/v1 Certificates (a CRD: may be absent).
    Certificates,
    /// Secrets of type kubernetes.io/tls, parsed on arrival.
    TlsSecrets,
    Ingresses,
    /// traefik.io/v1alpha1 IngressRoutes (a CRD: may be absent).
    IngressRoutes,
    /// autoscaling/v2 HorizontalPodAutoscalers.
    Hpas,
    /// Helm 3 releases: Secrets of type helm.sh/release.v1, decoded.
    HelmReleases,
    /// argoproj.io/v1alpha1 Rollouts (a CRD: may be absent).
    Rollouts,
    /// ReplicaSets carrying `rollouts-pod-template-hash` (a Rollout's).
    RolloutReplicaSets,
    /// argoproj.io/v1alpha1 AnalysisRuns (a CRD: may be absent).
    AnalysisRuns,
    /// k3s' helm.cattle.io/v1 HelmCharts (absent outside k3s).
    HelmCharts,
    /// k3s' helm.cattle.io/v1 HelmChartConfigs.
    HelmChartConfigs,
}

impl ResourceKind {
    pub const ALL: [ResourceKind; 19] = [
        ResourceKind::Pods,
        ResourceKind::Deployments,
        ResourceKind::StatefulSets,
        ResourceKind::DaemonSets,
        ResourceKind::Jobs,
        ResourceKind::Namespaces,
        ResourceKind::Nodes,
        ResourceKind::Events,
        ResourceKind::Certificates,
        ResourceKind::TlsSecrets,
        ResourceKind::Ingresses,
        ResourceKind::IngressRoutes,
        ResourceKind::Hpas,
        ResourceKind::HelmReleases,
        ResourceKind::Rollouts,
        ResourceKind::RolloutReplicaSets,
        ResourceKind::AnalysisRuns,
        ResourceKind::HelmCharts,
        ResourceKind::HelmChartConfigs,
    ];

    /// Plural resource name, as in the API path and RBAC messages.
    pub fn plural(self) -> &'static str {
        match self {
            ResourceKind::Pods => "pods",
            ResourceKind::Deployments => "deployments",
            ResourceKind::StatefulSets => "statefulsets",
            ResourceKind::DaemonSets => "daemonsets",
            ResourceKind::Jobs => "jobs",
            ResourceKind::Namespaces => "namespaces",
            ResourceKind::Nodes => "nodes",
            ResourceKind::Events => "events",
            ResourceKind::Certificates => "certificates",
            ResourceKind::TlsSecrets => "secrets",
            ResourceKind::Ingresses => "ingresses",
            ResourceKind::IngressRoutes => "ingressroutes",
            ResourceKind::Hpas => "horizontalpodautoscalers",
            ResourceKind::HelmReleases => "secrets",
            ResourceKind::Rollouts => "rollouts",
            ResourceKind::RolloutReplicaSets => "replicasets",
            ResourceKind::AnalysisRuns => "analysisruns",
            ResourceKind::HelmCharts => "helmcharts",
            ResourceKind::HelmChartConfigs => "helmchartconfigs",
        }
    }

    /// The object kind, as in `kind:` and `kubectl describe`.
    pub fn kind(self) -> &'static str {
        match self {
            ResourceKind::Pods => "Pod",
            ResourceKind::Deployments => "Deployment",
            ResourceKind::StatefulSets => "StatefulSet",
            ResourceKind::DaemonSets => "DaemonSet",
            ResourceKind::Jobs => "Job",
            ResourceKind::Namespaces => "Namespace",
            ResourceKind::Nodes => "Node",
            ResourceKind::Events => "Event",
            ResourceKind::Certificates => "Certificate",
            ResourceKind::TlsSecrets => "Secret",
            ResourceKind::Ingresses => "Ingress",
            ResourceKind::IngressRoutes => "IngressRoute",
            ResourceKind::Hpas => "HorizontalPodAutoscaler",
            ResourceKind::HelmReleases => "Secret",
            ResourceKind::Rollouts => "Rollout",
            ResourceKind::RolloutReplicaSets => "ReplicaSet",
            ResourceKind::AnalysisRuns => "AnalysisRun",
            ResourceKind::HelmCharts => "HelmChart",
            ResourceKind::HelmChartConfigs => "HelmChartConfig",
        }
    }

    pub fn group_version(self) -> (&'static str, &'static str) {
        match self {
            ResourceKind::Deployments
            | ResourceKind::StatefulSets
            | ResourceKind::DaemonSets
            | ResourceKind::RolloutReplicaSets => ("apps", "v1"),
            ResourceKind::Rollouts | ResourceKind::AnalysisRuns => ("argoproj.io", "v1alpha1"),
            ResourceKind::HelmCharts | ResourceKind::HelmChartConfigs => ("helm.cattle.io", "v1"),
            ResourceKind::Jobs => ("batch", "v1"),
            ResourceKind::Hpas => ("autoscaling", "v2"),
            ResourceKind::Certificates => ("cert-manager.io", "v1"),
            ResourceKind::Ingresses => ("networking.k8s.io", "v1"),
            ResourceKind::IngressRoutes => ("traefik.io", "v1alpha1"),
            _ => ("", "v1"),
        }
    }

    pub fn namespaced(self) -> bool {
        !matches!(self, ResourceKind::Namespaces | ResourceKind::Nodes)
    }
}

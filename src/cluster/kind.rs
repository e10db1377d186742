//! The kinds bosun watches, with the API coordinates each one needs.

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ResourceKind {
    Pods,
    Deployments,
    StatefulSets,
    DaemonSets,
    Namespaces,
    Nodes,
    Events,
}

impl ResourceKind {
    pub const ALL: [ResourceKind; 7] = [
        ResourceKind::Pods,
        ResourceKind::Deployments,
        ResourceKind::StatefulSets,
        ResourceKind::DaemonSets,
        ResourceKind::Namespaces,
        ResourceKind::Nodes,
        ResourceKind::Events,
    ];

    /// Plural resource name, as in the API path and RBAC messages.
    pub fn plural(self) -> &'static str {
        match self {
            ResourceKind::Pods => "pods",
            ResourceKind::Deployments => "deployments",
            ResourceKind::StatefulSets => "statefulsets",
            ResourceKind::DaemonSets => "daemonsets",
            ResourceKind::Namespaces => "namespaces",
            ResourceKind::Nodes => "nodes",
            ResourceKind::Events => "events",
        }
    }

    /// The object kind, as in `kind:` and `kubectl describe`.
    pub fn kind(self) -> &'static str {
        match self {
            ResourceKind::Pods => "Pod",
            ResourceKind::Deployments => "Deployment",
            ResourceKind::StatefulSets => "StatefulSet",
            ResourceKind::DaemonSets => "DaemonSet",
            ResourceKind::Namespaces => "Namespace",
            ResourceKind::Nodes => "Node",
            ResourceKind::Events => "Event",
        }
    }

    pub fn group_version(self) -> (&'static str, &'static str) {
        match self {
            ResourceKind::Deployments | ResourceKind::StatefulSets | ResourceKind::DaemonSets => {
                ("apps", "v1")
            }
            _ => ("", "v1"),
        }
    }

    pub fn namespaced(self) -> bool {
        !matches!(self, ResourceKind::Namespaces | ResourceKind::Nodes)
    }
}

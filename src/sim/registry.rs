//! The static table of resources the simulator serves. Adding a row is all
//! it takes to serve a new built-in type (store, discovery and routing all
//! read this table).

/// Resources whose answers are computed rather than stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Virtual {
    None,
    PodMetrics,
    NodeMetrics,
}

#[derive(Debug, Clone)]
pub(crate) struct ResourceDef {
    pub group: &'static str,
    pub version: &'static str,
    pub plural: &'static str,
    pub singular: &'static str,
    pub kind: &'static str,
    pub namespaced: bool,
    pub short_names: &'static [&'static str],
    pub subresources: &'static [&'static str],
    pub categories: &'static [&'static str],
    pub virtual_kind: Virtual,
}

impl ResourceDef {
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_string()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// `pods` or `deployments.apps`, as the apiserver names a resource in messages.
    pub fn qualified(&self) -> String {
        if self.group.is_empty() {
            self.plural.to_string()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }

    pub fn has_status(&self) -> bool {
        self.subresources.contains(&"status")
    }

    pub fn verbs(&self) -> &'static [&'static str] {
        if self.virtual_kind == Virtual::None {
            &[
                "create",
                "delete",
                "deletecollection",
                "get",
                "list",
                "patch",
                "update",
                "watch",
            ]
        } else {
            &["get", "list"]
        }
    }
}

/// Index into [`Registry::defs`]; also indexes the store.
pub(crate) type ResourceId = usize;

const ALL: &[&str] = &["all"];

/// The API group of cert-manager's CRDs, absent when
/// [`super::SimOptions::cert_manager`] is off.
pub(crate) const CERT_MANAGER_GROUP: &str = "cert-manager.io";

#[allow(clippy::too_many_arguments)]
const fn def(
    group: &'static str,
    version: &'static str,
    plural: &'static str,
    singular: &'static str,
    kind: &'static str,
    namespaced: bool,
    short_names: &'static [&'static str],
    subresources: &'static [&'static str],
    categories: &'static [&'static str],
) -> ResourceDef {
    ResourceDef {
        group,
        version,
        plural,
        singular,
        kind,
        namespaced,
        short_names,
        subresources,
        categories,
        virtual_kind: Virtual::None,
    }
}

fn table() -> Vec<ResourceDef> {
    let st: &'static [&'static str] = &["status"];
    let scale: &'static [&'static str] = &["scale", "status"];
    let none: &'static [&'static str] = &[];
    vec![
        def(
            "",
            "v1",
            "namespaces",
            "namespace",
            "Namespace",
            false,
            &["ns"],
            st,
            none,
        ),
        def("", "v1", "nodes", "node", "Node", false, &["no"], st, none),
        def(
            "",
            "v1",
            "pods",
            "pod",
            "Pod",
            true,
            &["po"],
            &["log", "status"],
            ALL,
        ),
        def(
            "",
            "v1",
            "services",
            "service",
            "Service",
            true,
            &["svc"],
            st,
            ALL,
        ),
        def(
            "",
            "v1",
            "endpoints",
            "endpoints",
            "Endpoints",
            true,
            &["ep"],
            none,
            none,
        ),
        def(
            "",
            "v1",
            "configmaps",
            "configmap",
            "ConfigMap",
            true,
            &["cm"],
            none,
            none,
        ),
        def(
            "", "v1", "secrets", "secret", "Secret", true, none, none, none,
        ),
        def(
            "",
            "v1",
            "events",
            "event",
            "Event",
            true,
            &["ev"],
            none,
            none,
        ),
        def(
            "",
            "v1",
            "serviceaccounts",
            "serviceaccount",
            "ServiceAccount",
            true,
            &["sa"],
            none,
            none,
        ),
        def(
            "",
            "v1",
            "persistentvolumeclaims",
            "persistentvolumeclaim",
            "PersistentVolumeClaim",
            true,
            &["pvc"],
            st,
            none,
        ),
        def(
            "",
            "v1",
            "persistentvolumes",
            "persistentvolume",
            "PersistentVolume",
            false,
            &["pv"],
            st,
            none,
        ),
        def(
            "apps",
            "v1",
            "deployments",
            "deployment",
            "Deployment",
            true,
            &["deploy"],
            scale,
            ALL,
        ),
        def(
            "apps",
            "v1",
            "statefulsets",
            "statefulset",
            "StatefulSet",
            true,
            &["sts"],
            scale,
            ALL,
        ),
        def(
            "apps",
            "v1",
            "daemonsets",
            "daemonset",
            "DaemonSet",
            true,
            &["ds"],
            st,
            ALL,
        ),
        def(
            "apps",
            "v1",
            "replicasets",
            "replicaset",
            "ReplicaSet",
            true,
            &["rs"],
            scale,
            ALL,
        ),
        def("batch", "v1", "jobs", "job", "Job", true, none, st, ALL),
        def(
            "batch",
            "v1",
            "cronjobs",
            "cronjob",
            "CronJob",
            true,
            &["cj"],
            st,
            ALL,
        ),
        def(
            "networking.k8s.io",
            "v1",
            "ingresses",
            "ingress",
            "Ingress",
            true,
            &["ing"],
            st,
            none,
        ),
        def(
            "rbac.authorization.k8s.io",
            "v1",
            "roles",
            "role",
            "Role",
            true,
            none,
            none,
            none,
        ),
        def(
            "rbac.authorization.k8s.io",
            "v1",
            "rolebindings",
            "rolebinding",
            "RoleBinding",
            true,
            none,
            none,
            none,
        ),
        def(
            "rbac.authorization.k8s.io",
            "v1",
            "clusterroles",
            "clusterrole",
            "ClusterRole",
            false,
            none,
            none,
            none,
        ),
        def(
            "rbac.authorization.k8s.io",
            "v1",
            "clusterrolebindings",
            "clusterrolebinding",
            "ClusterRoleBinding",
            false,
            none,
            none,
            none,
        ),
        def(
            "apiextensions.k8s.io",
            "v1",
            "customresourcedefinitions",
            "customresourcedefinition",
            "CustomResourceDefinition",
            false,
            &["crd", "crds"],
            st,
            none,
        ),
        def(
            CERT_MANAGER_GROUP,
            "v1",
            "certificates",
            "certificate",
            "Certificate",
            true,
            &["cert", "certs"],
            st,
            &["cert-manager"],
        ),
        def(
            CERT_MANAGER_GROUP,
            "v1",
            "certificaterequests",
            "certificaterequest",
            "CertificateRequest",
            true,
            &["cr", "crs"],
            st,
            &["cert-manager"],
        ),
        def(
            CERT_MANAGER_GROUP,
            "v1",
            "issuers",
            "issuer",
            "Issuer",
            true,
            none,
            st,
            &["cert-manager"],
        ),
        def(
            CERT_MANAGER_GROUP,
            "v1",
            "clusterissuers",
            "clusterissuer",
            "ClusterIssuer",
            false,
            none,
            st,
            &["cert-manager"],
        ),
        def(
            "traefik.io",
            "v1alpha1",
            "ingressroutes",
            "ingressroute",
            "IngressRoute",
            true,
            none,
            st,
            none,
        ),
        ResourceDef {
            virtual_kind: Virtual::PodMetrics,
            ..def(
                "metrics.k8s.io",
                "v1beta1",
                "pods",
                "",
                "PodMetrics",
                true,
                none,
                none,
                none,
            )
        },
        ResourceDef {
            virtual_kind: Virtual::NodeMetrics,
            ..def(
                "metrics.k8s.io",
                "v1beta1",
                "nodes",
                "",
                "NodeMetrics",
                false,
                none,
                none,
                none,
            )
        },
    ]
}

#[derive(Debug)]
pub(crate) struct Registry {
    pub defs: Vec<ResourceDef>,
}

impl Registry {
    #[cfg(test)]
    pub fn builtin() -> Self {
        Registry { defs: table() }
    }

    /// The built-in table, without the cert-manager.io group unless
    /// `cert_manager` (as on a cluster where its CRDs are not installed).
    pub fn with_cert_manager(cert_manager: bool) -> Self {
        let mut defs = table();
        if !cert_manager {
            defs.retain(|d| d.group != CERT_MANAGER_GROUP);
        }
        Registry { defs }
    }

    pub fn get(&self, id: ResourceId) -> &ResourceDef {
        // Ids only come from this registry, so the index is always valid;
        // fall back to the first row rather than panic.
        self.defs.get(id).unwrap_or(&self.defs[0])
    }

    pub fn by_path(&self, group: &str, version: &str, plural: &str) -> Option<ResourceId> {
        self.defs
            .iter()
            .position(|d| d.group == group && d.version == version && d.plural == plural)
    }

    pub fn by_kind(&self, api_version: &str, kind: &str) -> Option<ResourceId> {
        let (group, version) = split_api_version(api_version);
        self.defs
            .iter()
            .position(|d| d.group == group && d.version == version && d.kind == kind)
    }

    /// Distinct group/versions in table order, core ("" / v1) included.
    pub fn group_versions(&self) -> Vec<(&'static str, &'static str)> {
        let mut out: Vec<(&'static str, &'static str)> = Vec::new();
        for d in &self.defs {
            if !out.contains(&(d.group, d.version)) {
                out.push((d.group, d.version));
            }
        }
        out
    }
}

pub(crate) fn split_api_version(api_version: &str) -> (&str, &str) {
    match api_version.split_once('/') {
        Some((g, v)) => (g, v),
        None => ("", api_version),
    }
}

//! The table of resources the simulator serves. Adding a row is all it
//! takes to serve a new built-in type (store, discovery and routing all read
//! this table). CustomResourceDefinitions add rows at runtime (see
//! `super::crd`); rows are never reindexed, a removed one is only hidden, so
//! a [`ResourceId`] stays valid for the life of the server.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock, PoisonError, RwLock};

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
    /// Added at runtime by a CustomResourceDefinition.
    pub dynamic: bool,
    /// Hidden: its CRD was deleted (ids are never reused for another resource).
    pub removed: bool,
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

impl ResourceDef {
    /// A custom resource (a CRD's, or one of the add-on groups the table
    /// serves as if their CRDs were installed).
    pub fn is_custom(&self) -> bool {
        self.dynamic
            || matches!(
                self.group,
                CERT_MANAGER_GROUP | ARGO_GROUP | "traefik.io" | "helm.cattle.io"
            )
    }
}

/// Index into [`Registry::defs`]; also indexes the store.
pub(crate) type ResourceId = usize;

const ALL: &[&str] = &["all"];

/// The API group of cert-manager's CRDs, absent when
/// [`super::SimOptions::cert_manager`] is off.
pub(crate) const CERT_MANAGER_GROUP: &str = "cert-manager.io";

/// The API group of Argo Workflows' CRDs, absent unless
/// [`super::SimOptions::argo_workflows`] is on; Argo Rollouts' share it
/// (see [`ROLLOUTS_PLURALS`]).
pub(crate) const ARGO_GROUP: &str = "argoproj.io";

/// The argoproj.io resources Argo Rollouts installs, served only with
/// [`super::SimOptions::argo_rollouts`].
pub(crate) const ROLLOUTS_PLURALS: [&str; 3] = ["rollouts", "analysisruns", "analysistemplates"];

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
        dynamic: false,
        removed: false,
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
        def(
            "apps",
            "v1",
            "controllerrevisions",
            "controllerrevision",
            "ControllerRevision",
            true,
            none,
            none,
            none,
        ),
        def("batch", "v1", "jobs", "job", "Job", true, none, st, ALL),
        def(
            "autoscaling",
            "v2",
            "horizontalpodautoscalers",
            "horizontalpodautoscaler",
            "HorizontalPodAutoscaler",
            true,
            &["hpa"],
            st,
            ALL,
        ),
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
            ARGO_GROUP,
            "v1alpha1",
            "workflows",
            "workflow",
            "Workflow",
            true,
            &["wf"],
            st,
            &["argo"],
        ),
        def(
            ARGO_GROUP,
            "v1alpha1",
            "workflowtemplates",
            "workflowtemplate",
            "WorkflowTemplate",
            true,
            &["wftmpl"],
            none,
            &["argo"],
        ),
        def(
            ARGO_GROUP,
            "v1alpha1",
            "rollouts",
            "rollout",
            "Rollout",
            true,
            &["ro"],
            scale,
            &["argoproj"],
        ),
        def(
            ARGO_GROUP,
            "v1alpha1",
            "analysisruns",
            "analysisrun",
            "AnalysisRun",
            true,
            &["ar"],
            none,
            &["argoproj"],
        ),
        def(
            ARGO_GROUP,
            "v1alpha1",
            "analysistemplates",
            "analysistemplate",
            "AnalysisTemplate",
            true,
            &["at"],
            none,
            &["argoproj"],
        ),
        // k3s' helm-controller CRDs, served as on every k3s server.
        def(
            "helm.cattle.io",
            "v1",
            "helmcharts",
            "helmchart",
            "HelmChart",
            true,
            none,
            st,
            none,
        ),
        def(
            "helm.cattle.io",
            "v1",
            "helmchartconfigs",
            "helmchartconfig",
            "HelmChartConfig",
            true,
            none,
            none,
            none,
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

/// Strings of runtime-defined resources live as long as the server; each
/// distinct one is leaked once, however often a CRD is recreated.
pub(crate) fn intern(s: &str) -> &'static str {
    static POOL: OnceLock<Mutex<HashMap<String, &'static str>>> = OnceLock::new();
    let mut pool = POOL
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    if let Some(v) = pool.get(s) {
        return v;
    }
    let v: &'static str = Box::leak(s.to_string().into_boxed_str());
    pool.insert(s.to_string(), v);
    v
}

/// Like [`intern`], for lists of names (short names, categories).
pub(crate) fn intern_list(items: &[String]) -> &'static [&'static str] {
    type Pool = Mutex<HashMap<Vec<String>, &'static [&'static str]>>;
    static POOL: OnceLock<Pool> = OnceLock::new();
    if items.is_empty() {
        return &[];
    }
    let mut pool = POOL
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    if let Some(v) = pool.get(items) {
        return v;
    }
    let v: Vec<&'static str> = items.iter().map(|s| intern(s)).collect();
    let v: &'static [&'static str] = Box::leak(v.into_boxed_slice());
    pool.insert(items.to_vec(), v);
    v
}

/// The resource table. Reads clone a row out and never hold the inner lock
/// while taking another; it is only written with the store's write lock
/// held (CRD writes), so lock order is always store, then registry.
#[derive(Debug)]
pub(crate) struct Registry {
    defs: RwLock<Vec<ResourceDef>>,
}

impl Registry {
    fn from_defs(defs: Vec<ResourceDef>) -> Self {
        Registry {
            defs: RwLock::new(defs),
        }
    }

    fn rows(&self) -> std::sync::RwLockReadGuard<'_, Vec<ResourceDef>> {
        self.defs.read().unwrap_or_else(PoisonError::into_inner)
    }

    #[cfg(test)]
    pub fn builtin() -> Self {
        Registry::from_defs(table())
    }

    /// The built-in table, without the cert-manager.io group unless
    /// `cert_manager` and without argoproj.io unless `argo_workflows` (as
    /// on a cluster where their CRDs are not installed).
    pub fn with_addons(cert_manager: bool, argo_workflows: bool, argo_rollouts: bool) -> Self {
        let mut defs = table();
        defs.retain(|d| {
            let rollouts = ROLLOUTS_PLURALS.contains(&d.plural);
            (cert_manager || d.group != CERT_MANAGER_GROUP)
                && (d.group != ARGO_GROUP
                    || (rollouts && argo_rollouts)
                    || (!rollouts && argo_workflows))
        });
        Registry::from_defs(defs)
    }

    /// A copy of the row (cheap: all borrowed statics). Removed rows are
    /// still returned so in-flight requests finish consistently.
    pub fn get(&self, id: ResourceId) -> ResourceDef {
        let rows = self.rows();
        // Ids only come from this registry, so the index is always valid;
        // fall back to the first row rather than panic.
        rows.get(id).unwrap_or(&rows[0]).clone()
    }

    /// How many ids have ever been handed out (the store sizes itself by it).
    pub fn len(&self) -> usize {
        self.rows().len()
    }

    /// Every served row with its id.
    pub fn all(&self) -> Vec<(ResourceId, ResourceDef)> {
        self.rows()
            .iter()
            .enumerate()
            .filter(|(_, d)| !d.removed)
            .map(|(i, d)| (i, d.clone()))
            .collect()
    }

    pub fn by_path(&self, group: &str, version: &str, plural: &str) -> Option<ResourceId> {
        self.rows().iter().position(|d| {
            !d.removed && d.group == group && d.version == version && d.plural == plural
        })
    }

    pub fn by_kind(&self, api_version: &str, kind: &str) -> Option<ResourceId> {
        let (group, version) = split_api_version(api_version);
        self.rows()
            .iter()
            .position(|d| !d.removed && d.group == group && d.version == version && d.kind == kind)
    }

    /// Distinct group/versions in table order, core ("" / v1) included.
    pub fn group_versions(&self) -> Vec<(&'static str, &'static str)> {
        let mut out: Vec<(&'static str, &'static str)> = Vec::new();
        for d in self.rows().iter().filter(|d| !d.removed) {
            if !out.contains(&(d.group, d.version)) {
                out.push((d.group, d.version));
            }
        }
        out
    }

    /// Serves `def` (a CRD version): replaces a runtime row with the same
    /// group/version/plural (or revives a removed one), else appends. A
    /// built-in row with that path is left alone. Call with the store's
    /// write lock held, then size the store with [`Registry::len`].
    pub fn upsert_dynamic(&self, def: ResourceDef) -> ResourceId {
        let mut rows = self.defs.write().unwrap_or_else(PoisonError::into_inner);
        let same = |d: &ResourceDef| {
            d.group == def.group && d.version == def.version && d.plural == def.plural
        };
        if let Some(i) = rows.iter().position(|d| !d.removed && same(d)) {
            if rows[i].dynamic {
                rows[i] = def;
            }
            return i;
        }
        if let Some(i) = rows.iter().position(|d| d.removed && same(d)) {
            rows[i] = def;
            return i;
        }
        rows.push(def);
        rows.len() - 1
    }

    /// Hides a runtime row (its CRD is gone). Built-in rows stay.
    pub fn remove_dynamic(&self, id: ResourceId) {
        let mut rows = self.defs.write().unwrap_or_else(PoisonError::into_inner);
        if let Some(d) = rows.get_mut(id)
            && d.dynamic
        {
            d.removed = true;
        }
    }
}

pub(crate) fn split_api_version(api_version: &str) -> (&str, &str) {
    match api_version.split_once('/') {
        Some((g, v)) => (g, v),
        None => ("", api_version),
    }
}

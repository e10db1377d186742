//! Compact rows: each watched kind is projected on arrival into what the
//! views show, so the store never keeps whole objects (DESIGN §3, §13).

pub mod argo;
pub mod certs;
pub mod event;
pub mod helm;
pub mod helmchart;
pub mod hpa;
pub mod job;
pub mod namespace;
pub mod node;
pub mod pod;
pub mod workload;

pub use certs::RouteRow;
pub use event::EventRow;
pub use helm::HelmReleaseRow;
pub use hpa::HpaRow;
pub use job::JobRow;
pub use namespace::NamespaceRow;
pub use node::NodeRow;
pub use pod::{ContainerRow, PodRow};
pub use workload::{RolloutState, WorkloadKind, WorkloadRow};

/// How a row's state reads at a glance; views map it to a theme slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Health {
    #[default]
    Ok,
    /// Not wrong yet: starting, terminating, progressing.
    Pending,
    /// Needs a look: not all ready, restarts, pressure.
    Warn,
    /// Broken: crash loops, pull errors, failed.
    Error,
    /// Finished and fine (Completed pods), drawn quietly.
    Done,
}

/// Namespace/name identity of a row; the store key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RowKey {
    pub namespace: Box<str>,
    pub name: Box<str>,
}

impl RowKey {
    pub fn new(namespace: &str, name: &str) -> Self {
        Self {
            namespace: namespace.into(),
            name: name.into(),
        }
    }
}

impl std::fmt::Display for RowKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.namespace.is_empty() {
            write!(f, "{}", self.name)
        } else {
            write!(f, "{}/{}", self.namespace, self.name)
        }
    }
}

/// Labels kept compactly, sorted by key, for label selectors.
pub type Labels = Box<[(Box<str>, Box<str>)]>;

pub fn compact_labels(labels: Option<&std::collections::BTreeMap<String, String>>) -> Labels {
    labels
        .map(|labels| {
            labels
                .iter()
                .map(|(key, value)| (key.as_str().into(), value.as_str().into()))
                .collect()
        })
        .unwrap_or_default()
}

/// A row every view table can show: identity, labels and the text filter
/// matches against.
pub trait Row {
    /// Namespace ("" when cluster-scoped) and name, borrowed.
    fn ident(&self) -> (&str, &str);
    fn key(&self) -> RowKey {
        let (namespace, name) = self.ident();
        RowKey::new(namespace, name)
    }
    fn labels(&self) -> &[(Box<str>, Box<str>)];
    /// Lower-cased text that `/` filters match (name, namespace, status ...).
    fn search_text(&self) -> &str;
}

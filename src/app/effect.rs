//! What `update` asks the runtime to do; the only way state reaches the API.

use crate::cluster::actions::Mutation;
use crate::cluster::fetch::DetailKind;
use crate::cluster::kind::ResourceKind;
use crate::cluster::rows::RowKey;

#[derive(Debug, Clone)]
pub enum Effect {
    /// (Re)connect to a context: stop the old workers, start new ones.
    Connect {
        epoch: u64,
        context: Option<String>,
        /// The kinds the first screen shows: listed first and alone.
        first: Vec<ResourceKind>,
    },
    /// Start every watcher of connection `epoch` now: the view shown needs
    /// a kind its first phase did not list.
    WatchAll {
        epoch: u64,
    },
    /// A Helm release's values or manifest, decoded and masked.
    FetchHelm {
        request: u64,
        /// Namespace and the release Secret's name.
        key: RowKey,
        part: HelmPart,
    },
    /// A Deployment's revisions (`h`).
    FetchHistory {
        request: u64,
        kind: ResourceKind,
        key: RowKey,
    },
    FetchDetail {
        request: u64,
        kind: ResourceKind,
        key: RowKey,
        detail: DetailKind,
    },
    /// `helm rollback` through the helm binary; answered by MutationDone.
    HelmRollback {
        request: u64,
        namespace: String,
        release: String,
        revision: i64,
    },
    /// Fetch an object's YAML into the editor.
    FetchForEdit {
        request: u64,
        kind: ResourceKind,
        key: RowKey,
    },
    /// Replace the object with the edited text (`original`: what the
    /// editor opened with).
    ApplyEdit {
        request: u64,
        kind: ResourceKind,
        key: RowKey,
        yaml: String,
        original: String,
    },
    /// Stream one container's log for a logs session.
    TailLogs {
        session: u64,
        source: u32,
        target: crate::cluster::logs::LogTarget,
        options: crate::cluster::logs::LogOptions,
    },
    /// Stop every stream of a session.
    StopLogs {
        session: u64,
    },
    /// Put text on the clipboard (OSC 52: works over SSH).
    Clipboard(String),
    /// Write the logs buffer to a file.
    SaveLogs {
        name: String,
        text: String,
    },
    /// A shell in a container, in the foreground.
    Shell {
        pod: RowKey,
        container: String,
    },
    /// Carry out a confirmed mutation; a restart is then followed.
    Mutate {
        request: u64,
        mutation: Mutation,
    },
    /// Start or cancel a build.
    Builds(super::builds_service::BuildsCommand),
    /// Ask the GitOps worker (refresh, fetch, pull, sync).
    Gitops(super::gitops_service::GitopsCommand),
    Quit,
}

/// What `v` / `m` show of a Helm release.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HelmPart {
    Values,
    Manifest,
}

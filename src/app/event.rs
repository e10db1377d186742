//! Everything that reaches the state owner, typed.

use crossterm::event::KeyEvent;

use crate::cluster::client::ContextInfo;
use crate::cluster::metrics::MetricsMessage;
use crate::cluster::rollout::RolloutProgress;
use crate::cluster::watch::WatchMessage;

/// What a connection's workers report; tagged with the connection epoch so
/// messages from a replaced context are dropped.
#[derive(Debug, Clone)]
pub enum ClusterMessage {
    Watch(WatchMessage),
    Metrics(MetricsMessage),
    /// `/version` answered (or not).
    ServerVersion(Result<String, String>),
}

impl From<WatchMessage> for ClusterMessage {
    fn from(message: WatchMessage) -> Self {
        ClusterMessage::Watch(message)
    }
}

impl From<MetricsMessage> for ClusterMessage {
    fn from(message: MetricsMessage) -> Self {
        ClusterMessage::Metrics(message)
    }
}

#[derive(Debug)]
pub enum AppEvent {
    Key(KeyEvent),
    /// A Deployment's revisions, newest first, or why not.
    History {
        request: u64,
        key: crate::cluster::rows::RowKey,
        result: Result<Vec<crate::cluster::history::RevisionEntry>, String>,
    },
    /// The audit log could not be written: shown, never ignored.
    AuditFailed(String),
    Resize,
    /// Once a second: ages move on.
    Tick,
    Cluster {
        epoch: u64,
        message: ClusterMessage,
    },
    /// A new connection is up (client built, workers started).
    Connected {
        epoch: u64,
        info: ContextInfo,
    },
    ConnectFailed {
        epoch: u64,
        error: String,
    },
    /// A YAML / describe fetch finished.
    Detail {
        request: u64,
        result: Result<String, String>,
    },
    /// The editor's text arrived (or could not be fetched).
    EditLoaded {
        request: u64,
        result: Result<String, String>,
    },
    /// An edit was applied, or refused with the reason (text kept).
    EditApplied {
        request: u64,
        result: Result<String, crate::cluster::fetch::EditError>,
    },
    /// A log stream's lines or state, for a logs session.
    Log {
        session: u64,
        event: crate::cluster::logs::LogEvent,
    },
    /// Build runs and the answers to `b` / cancel.
    Builds(super::builds_service::BuildsEvent),
    /// The GitOps worker's news: spec, repo status, evaluations, syncs.
    Gitops(super::gitops_service::GitopsEvent),
    /// The logs were saved (the path) or not.
    Saved {
        result: Result<String, String>,
    },
    /// The run loop writes this to the terminal as OSC 52.
    Clipboard(String),
    /// The run loop hands the terminal to this program and takes it back.
    RunInTerminal(crate::cluster::shell::ExternalCommand),
    /// The foreground program ended (or could not start).
    ShellDone {
        result: Result<String, String>,
    },
    /// A mutation finished (the rollout it starts may go on).
    MutationDone {
        request: u64,
        result: Result<String, String>,
    },
    /// A followed rollout moved, or its connection is being re-made.
    Rollout {
        request: u64,
        progress: crate::cluster::rollout::Followed,
    },
    /// A followed rollout ended: Ok holds the final state (complete or
    /// failed), Err says why bosun could not tell.
    RolloutDone {
        request: u64,
        result: Result<RolloutProgress, String>,
    },
    /// SIGTERM / SIGHUP: leave cleanly.
    Terminate,
}

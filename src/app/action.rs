//! What a key can do. Keys are data (config/keymap.rs maps them here).

use super::view::ColumnId;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Quit,
    Command,
    Filter,
    Help,
    Back,
    Enter,
    AllNamespaces,
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Yaml,
    Describe,
    Sort(ColumnId),
    Restart,
    Delete,
    Kill,
    /// `s`: a shell on pods and containers, scale on deploy/sts (k9s' key).
    ShellOrScale,
    Edit,
    Logs,
    PreviousLogs,
    /// Logs view: toggles and presets.
    Follow,
    Wrap,
    Timestamps,
    LogFilter,
    CycleContext,
    Copy,
    Save,
    TogglePrevious,
    CycleTail,
    /// Index into the since presets (1m 5m 15m 1h all).
    Since(u8),
    /// Certs view: ask cert-manager to reissue.
    Renew,
    /// Pager only: next / previous search match.
    NextMatch,
    PrevMatch,
    /// Apps view: diff, sync (diff first, then confirm), fetch, pull, refresh.
    Diff,
    Sync,
    History,
    Undo,
    Values,
    Manifest,
    Fetch,
    Pull,
    Refresh,
    /// Builds view / apps: start the build (confirmed).
    Build,
    /// Argo Rollouts (confirmed, as the kubectl plugin does them).
    Promote,
    PromoteFull,
    Abort,
    Retry,
    PauseResume,
    SetImage,
}

impl Action {
    /// Every action with its config name and help text, in help order.
    pub const ALL: &'static [(Action, &'static str, &'static str)] = &[
        (
            Action::Command,
            "command",
            "command line (:pods, :ns, :ctx, :q ...)",
        ),
        (
            Action::Filter,
            "filter",
            "filter rows (/text, /!text, /-l app=x)",
        ),
        (Action::Help, "help", "this help"),
        (Action::Back, "back", "back / close / clear filter"),
        (Action::Enter, "enter", "drill down"),
        (Action::AllNamespaces, "all_namespaces", "all namespaces"),
        (Action::Up, "up", "up"),
        (Action::Down, "down", "down"),
        (Action::PageUp, "page_up", "page up"),
        (Action::PageDown, "page_down", "page down"),
        (Action::Top, "top", "first row"),
        (Action::Bottom, "bottom", "last row"),
        (Action::Yaml, "yaml", "YAML of the selected object"),
        (Action::Describe, "describe", "describe the selected object"),
        (
            Action::Restart,
            "restart",
            "rollout restart (deploy, sts, ds), with progress",
        ),
        (
            Action::ShellOrScale,
            "shell_or_scale",
            "shell in a pod/container; scale deploy, sts",
        ),
        (
            Action::Logs,
            "logs",
            "logs of a pod, container or workload (all its pods)",
        ),
        (
            Action::PreviousLogs,
            "previous_logs",
            "logs of the previous (terminated) containers",
        ),
        (
            Action::Edit,
            "edit",
            "edit the live object's YAML (ctrl-s applies, esc leaves)",
        ),
        (
            Action::Delete,
            "delete",
            "delete the selected object (confirm)",
        ),
        (
            Action::Kill,
            "kill",
            "kill the selected pod: grace period 0 (confirm)",
        ),
        (Action::Sort(ColumnId::Name), "sort_name", "sort by name"),
        (
            Action::Sort(ColumnId::Namespace),
            "sort_namespace",
            "sort by namespace",
        ),
        (Action::Sort(ColumnId::Age), "sort_age", "sort by age"),
        (
            Action::Sort(ColumnId::Status),
            "sort_status",
            "sort by status",
        ),
        (Action::Sort(ColumnId::Ready), "sort_ready", "sort by ready"),
        (
            Action::Sort(ColumnId::Restarts),
            "sort_restarts",
            "sort by restarts",
        ),
        (Action::Sort(ColumnId::Cpu), "sort_cpu", "sort by CPU"),
        (Action::Sort(ColumnId::Mem), "sort_mem", "sort by memory"),
        (Action::Sort(ColumnId::Node), "sort_node", "sort by node"),
        (
            Action::Follow,
            "follow",
            "follow new lines on/off (scrolling up pauses)",
        ),
        (Action::Wrap, "wrap", "wrap long lines"),
        (Action::Timestamps, "timestamps", "show timestamps"),
        (
            Action::LogFilter,
            "log_filter",
            "keep only matching lines, with context",
        ),
        (
            Action::CycleContext,
            "cycle_context",
            "context lines kept by the filter (0 2 5 10)",
        ),
        (
            Action::Copy,
            "copy",
            "copy the line to the clipboard (OSC 52, works over SSH)",
        ),
        (Action::Save, "save", "save the buffer to a file"),
        (
            Action::TogglePrevious,
            "toggle_previous",
            "previous (terminated) containers on/off",
        ),
        (
            Action::CycleTail,
            "cycle_tail",
            "tail lines: 100 500 1000 5000 all",
        ),
        (Action::Since(0), "since_1m", "since 1m"),
        (Action::Since(1), "since_5m", "since 5m"),
        (Action::Since(2), "since_15m", "since 15m"),
        (Action::Since(3), "since_1h", "since 1h"),
        (Action::Since(4), "since_all", "since the start"),
        (
            Action::Renew,
            "renew",
            "renew a certificate (cert-manager reissues it, as cmctl renew)",
        ),
        (
            Action::Diff,
            "diff",
            "diff an app against the cluster (n/N between objects)",
        ),
        (
            Action::Sync,
            "sync",
            "sync an app: shows the diff, S again to confirm (in its resource tree: the object alone)",
        ),
        (
            Action::History,
            "history",
            "history: app syncs (roll back), deployment, statefulset and daemonset revisions (undo)",
        ),
        (
            Action::Values,
            "values",
            "a Helm release's values, every value masked",
        ),
        (
            Action::Manifest,
            "manifest",
            "a Helm release's manifest, Secret data masked",
        ),
        (
            Action::Undo,
            "undo",
            "rollout undo a deployment, statefulset or daemonset (previous revision, or the one shown); helm rollback a release",
        ),
        (Action::Fetch, "fetch", "git fetch the repo's upstream"),
        (
            Action::Pull,
            "pull",
            "git pull, fast-forward only (refused otherwise, with why)",
        ),
        (
            Action::Refresh,
            "refresh",
            "re-render and re-diff (the selected app, or all)",
        ),
        (
            Action::Build,
            "build",
            "start a build (kaniko Job / Argo Workflow), then restart its rollouts",
        ),
        (
            Action::Promote,
            "promote",
            "promote a rollout past its pause or step (kubectl argo rollouts promote)",
        ),
        (
            Action::PromoteFull,
            "promote_full",
            "promote --full: skip the remaining steps and analysis",
        ),
        (
            Action::Abort,
            "abort",
            "abort a rollout: back to the stable version",
        ),
        (Action::Retry, "retry", "retry an aborted rollout"),
        (
            Action::PauseResume,
            "pause_resume",
            "pause a rollout (spec.paused), or resume it",
        ),
        (
            Action::SetImage,
            "set_image",
            "set a container's image (CONTAINER=IMAGE, * for all)",
        ),
        (Action::NextMatch, "next_match", "next search match"),
        (Action::PrevMatch, "prev_match", "previous search match"),
        (Action::Quit, "quit", "quit"),
    ];

    pub fn from_name(name: &str) -> Option<Action> {
        Action::ALL
            .iter()
            .find(|(_, candidate, _)| *candidate == name)
            .map(|(action, _, _)| *action)
    }

    pub fn name(self) -> &'static str {
        Action::ALL
            .iter()
            .find(|(action, _, _)| *action == self)
            .map(|(_, name, _)| *name)
            .unwrap_or("?")
    }

    pub fn help(self) -> &'static str {
        Action::ALL
            .iter()
            .find(|(action, _, _)| *action == self)
            .map(|(_, _, help)| *help)
            .unwrap_or("")
    }
}

//! Command line (clap). k9s habits: -c VIEW, -A, -n NS, --context.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "bosun", version, about = "A terminal UI for your own small Kubernetes cluster", long_about = None)]
pub struct Cli {
    /// Kubeconfig to use (default: $KUBECONFIG, ~/.kube/config, then /etc/rancher/k3s/k3s.yaml).
    #[arg(long, global = true, value_name = "PATH")]
    pub kubeconfig: Option<PathBuf>,
    /// Context to use instead of the current one.
    #[arg(long, global = true, value_name = "NAME")]
    pub context: Option<String>,
    /// Namespace to start in.
    #[arg(
        short = 'n',
        long,
        value_name = "NAMESPACE",
        conflicts_with = "all_namespaces"
    )]
    pub namespace: Option<String>,
    /// Start in all namespaces.
    #[arg(short = 'A', long)]
    pub all_namespaces: bool,
    /// View to open at start: pods, deploy, sts, ds, jobs, hpa, ns, nodes, events, certs, apps, pulse, ctx.
    #[arg(short = 'c', long = "command", value_name = "VIEW")]
    pub view: Option<String>,
    /// The GitOps repo (default: the config's `repo`, else the current directory).
    #[arg(long, global = true, value_name = "PATH")]
    pub repo: Option<PathBuf>,
    /// The entry point inside the repo for a multi-cluster repo
    /// (default: the config's `path`, else clusters/<context> when present).
    #[arg(long, global = true, value_name = "DIR")]
    pub path: Option<PathBuf>,
    /// Headless commands: write cluster text (logs, messages) as it is, even
    /// to a terminal (by default control sequences are stripped there).
    #[arg(long, global = true)]
    pub raw: bool,
    /// Refuse every mutating key and subcommand (restart, delete, kill, scale ...).
    #[arg(long, global = true)]
    pub readonly: bool,
    /// Run against a simulated homelab cluster; needs no cluster.
    #[arg(long)]
    pub demo: bool,
    /// Theme name (built in: default, light, high-contrast, monochrome, nord; or a file in the config dir's themes/).
    #[arg(long, value_name = "NAME")]
    pub theme: Option<String>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// TLS certificates that expire soon or are broken (cert-manager
    /// Certificates, kubernetes.io/tls Secrets, Ingress/IngressRoute hosts).
    /// Exit 0 all good, 1 something expires within the window or is not
    /// Ready, 2 could not look.
    Certs {
        /// How far ahead counts as expiring soon, e.g. 14d, 36h.
        #[arg(long, default_value = "14d")]
        within: String,
        /// Output format: table or json.
        #[arg(short = 'o', long = "output", default_value = "table")]
        output: String,
    },
    /// Print a pod's or a workload's logs, like `kubectl logs` and stern:
    /// several pods or containers are merged in time order, each line
    /// prefixed `pod/container` (exit 0 done, 1 a source failed, 2 error).
    Logs {
        /// POD, pod/NAME, deploy/NAME, sts/NAME or ds/NAME.
        target: String,
        /// Namespace (default: the context's, else "default").
        #[arg(short = 'n', long)]
        namespace: Option<String>,
        /// Only this container (default: all of them).
        #[arg(short = 'c', long)]
        container: Option<String>,
        /// Keep streaming new lines until interrupted.
        #[arg(short = 'f', long)]
        follow: bool,
        /// Only lines newer than this, e.g. 30s, 5m, 1h.
        #[arg(long, value_name = "DURATION")]
        since: Option<String>,
        /// Only the last N lines of each container (-1: all).
        #[arg(long, value_name = "N", allow_negative_numbers = true)]
        tail: Option<i64>,
        /// The previous (terminated) instance of each container.
        #[arg(short = 'p', long)]
        previous: bool,
        /// Show the kubelet's timestamp on each line.
        #[arg(long)]
        timestamps: bool,
    },
    /// Rollout restart a workload, as `kubectl rollout restart`; with --wait,
    /// follow it like `kubectl rollout status` (exit 0 done, 1 failed, 2 error).
    Restart {
        /// deploy/NAME, sts/NAME or ds/NAME.
        target: String,
        /// Namespace (default: the context's, else "default").
        #[arg(short = 'n', long)]
        namespace: Option<String>,
        /// Wait for the rollout to finish.
        #[arg(long)]
        wait: bool,
        /// How long to wait, e.g. 90s, 5m.
        #[arg(long, default_value = "5m")]
        timeout: String,
    },
    /// Argo Rollouts, as `kubectl argo rollouts` does them; with --wait a
    /// promote, retry, resume, restart or set-image is followed to the
    /// next pause or to Healthy (exit 0 done, 1 failed or degraded, 2 error).
    Rollout {
        #[command(subcommand)]
        command: RolloutCommand,
    },
    /// Roll a Deployment back, as `kubectl rollout undo`; with --wait,
    /// follow it (exit 0 done, 1 failed, 2 error). --history lists the
    /// revisions as `kubectl rollout history` does.
    Undo {
        /// deploy/NAME.
        target: String,
        /// Namespace (default: the context's, else "default").
        #[arg(short = 'n', long)]
        namespace: Option<String>,
        /// The revision to go back to (0: the previous one).
        #[arg(long, default_value_t = 0)]
        to_revision: i64,
        /// List the revisions (REVISION CHANGE-CAUSE) and change nothing.
        #[arg(long)]
        history: bool,
        /// Wait for the rollout to finish.
        #[arg(long)]
        wait: bool,
        /// How long to wait, e.g. 90s, 5m.
        #[arg(long, default_value = "5m")]
        timeout: String,
    },
    /// Apps of the GitOps repo with sync status and health, as the apps
    /// view shows them (exit 0 all Synced and Healthy, 1 otherwise, 2 error).
    Status {
        /// Output format: table or json.
        #[arg(short = 'o', long = "output", default_value = "table")]
        output: String,
    },
    /// Diff the repo against the cluster by server-side dry-run, like
    /// `kubectl diff` (exit 0 no difference, 1 differences, 2 error).
    Diff {
        /// Only this app.
        app: Option<String>,
    },
    /// Server-side apply the repo's apps (all, or one), after showing what
    /// changes and asking (exit 0 done, 1 an object failed, 2 error).
    Sync {
        /// Only this app.
        app: Option<String>,
        /// Also delete tracked objects the repo no longer has (listed first).
        #[arg(long)]
        prune: bool,
        /// Show what would happen; apply with dryRun=All, write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Do not ask (for cron and scripts). Objects marked Prune=confirm
        /// are only pruned after a question answered on a terminal.
        #[arg(short = 'y', long)]
        yes: bool,
        /// Also apply objects another app renders or tracks (taking them over).
        #[arg(long)]
        allow_shared: bool,
        /// How long an app waits for the apps it depends on (Flux
        /// dependsOn) to be ready, and how long each sync wave may take to
        /// become Healthy (hooks to complete), e.g. 90s, 10m.
        #[arg(long, default_value = "5m")]
        timeout: String,
        /// Sync APP as it was at this commit (sha, tag, HEAD~2): a
        /// rollback when it is not HEAD, which pauses the app's autoSync
        /// until a sync of HEAD (Argo CD's rollback).
        #[arg(long, value_name = "REV", requires = "app")]
        revision: Option<String>,
    },
    /// Start a build from bosun.yaml's builds: (a kaniko Job, or an Argo
    /// Workflow from its WorkflowTemplate); with --wait follow it and then
    /// restart the rollouts named in `then` (exit 0 built and rolled out,
    /// 1 the build or a rollout failed, 2 could not start).
    Build {
        /// The build's name in bosun.yaml.
        name: Option<String>,
        /// Follow the build to its end (and the `then` rollouts).
        #[arg(long)]
        wait: bool,
        /// Do not restart the `then` rollouts after a good build.
        #[arg(long)]
        no_restart: bool,
        /// Print the manifests builds need in the cluster (namespace,
        /// service account) and exit.
        #[arg(long)]
        print_setup: bool,
        /// How long --wait follows the build, then each rollout.
        #[arg(long, default_value = "30m")]
        timeout: String,
    },
    /// Run the simulated cluster in the foreground and print its kubeconfig path
    /// (for trying kubectl against it, and for benchmarks).
    #[command(hide = true)]
    Sim {
        /// Extra generated pods.
        #[arg(long, default_value_t = 0)]
        pods: usize,
        /// Seed directory (default: the embedded demo homelab).
        #[arg(long)]
        seed: Option<PathBuf>,
    },
}

/// `bosun rollout …`: the kubectl-argo-rollouts commands.
#[derive(Debug, Subcommand)]
pub enum RolloutCommand {
    /// Leave the current pause or step; --full skips the remaining steps
    /// and analysis.
    Promote {
        #[command(flatten)]
        target: RolloutTarget,
        #[arg(long)]
        full: bool,
    },
    /// Abort: the stable version takes all the pods back.
    Abort {
        #[command(flatten)]
        target: RolloutTarget,
    },
    /// Retry an aborted rollout.
    Retry {
        #[command(flatten)]
        target: RolloutTarget,
    },
    /// Pause (spec.paused).
    Pause {
        #[command(flatten)]
        target: RolloutTarget,
    },
    /// Resume a paused rollout (spec.paused: false).
    Resume {
        #[command(flatten)]
        target: RolloutTarget,
    },
    /// Restart its pods (spec.restartAt now).
    Restart {
        #[command(flatten)]
        target: RolloutTarget,
    },
    /// Set a container's image: CONTAINER=IMAGE (* for every container).
    SetImage {
        #[command(flatten)]
        target: RolloutTarget,
        image: String,
    },
    /// Print its status (`Paused - CanaryPauseStep`); with --wait, watch
    /// it to Healthy (exit 0) or Degraded (exit 1).
    Status {
        #[command(flatten)]
        target: RolloutTarget,
    },
}

/// The Rollout a `bosun rollout` command is about.
#[derive(Debug, clap::Args)]
pub struct RolloutTarget {
    /// The Rollout's name.
    pub name: String,
    /// Namespace (default: the context's, else "default").
    #[arg(short = 'n', long)]
    pub namespace: Option<String>,
    /// Follow it (see the command).
    #[arg(long)]
    pub wait: bool,
    /// How long to wait, e.g. 90s, 5m.
    #[arg(long, default_value = "5m")]
    pub timeout: String,
}

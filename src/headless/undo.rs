//! `bosun undo deploy|sts|ds/NAME [--to-revision N] [--wait]`: `kubectl
//! rollout undo` (cluster::history), audited, followed like `bosun restart`.
//! Without `--to-revision` (or with 0) it goes to the previous revision;
//! `--history` prints `kubectl rollout history` instead.

use std::process::ExitCode;

use crate::audit::AuditLog;
use crate::cluster::actions::Mutation;
use crate::cluster::client::LoadedKubeconfig;
use crate::cluster::history;
use crate::cluster::kind::ResourceKind;
use crate::cluster::rows::RowKey;

use super::EXIT_ERROR;
use super::restart::{Run, connect, parse_workload, perform_and_follow};

pub struct UndoArgs {
    pub target: String,
    pub namespace: Option<String>,
    pub to_revision: i64,
    /// Print the revisions, change nothing.
    pub history: bool,
    pub wait: bool,
    pub timeout: String,
    pub context: Option<String>,
    pub readonly: bool,
}

pub async fn undo(loaded: &LoadedKubeconfig, args: UndoArgs, audit: &AuditLog) -> ExitCode {
    let fail = |message: String| {
        crate::errln!("bosun: {message}");
        ExitCode::from(EXIT_ERROR)
    };
    let (kind, name) = match parse_workload(&args.target) {
        Ok(parsed) => parsed,
        Err(error) => return fail(error),
    };
    if !matches!(
        kind,
        ResourceKind::Deployments | ResourceKind::StatefulSets | ResourceKind::DaemonSets
    ) {
        return fail(format!(
            "{}: undo works on deployments, statefulsets and daemonsets",
            args.target
        ));
    }
    if args.readonly && !args.history {
        return fail(format!("read-only mode: refusing to undo {}", args.target));
    }
    let target = match connect(
        loaded,
        args.context.as_deref(),
        args.namespace,
        &args.timeout,
    )
    .await
    {
        Ok(target) => target,
        Err(error) => return fail(error),
    };
    let (client, info, namespace, timeout) = target;
    if args.history {
        return match history::workload_history(&client, kind, &namespace, &name).await {
            Ok(found) => {
                crate::outln!("{}/{name}", history::kubectl_resource(kind));
                crate::out!("{}", history::history_table(&found));
                ExitCode::SUCCESS
            }
            Err(error) => fail(error),
        };
    }
    let key = RowKey::new(&namespace, &name);
    let mutation = Mutation::Undo {
        kind,
        key: key.clone(),
        to_revision: args.to_revision,
    };
    let run = Run {
        client: &client,
        context: &info.context,
        audit,
        wait: args.wait,
        timeout,
    };
    perform_and_follow(run, kind, &key, mutation).await
}

//! `bosun undo deploy/NAME [--to-revision N] [--wait]`: `kubectl rollout
//! undo` (cluster::history), audited, followed like `bosun restart`.
//! Without `--to-revision` (or with 0) it goes to the previous revision;
//! `--history` prints `kubectl rollout history` instead.

use std::process::ExitCode;

use crate::audit::AuditLog;
use crate::cluster::actions::Mutation;
use crate::cluster::client::{LoadedKubeconfig, client_for};
use crate::cluster::history;
use crate::cluster::kind::ResourceKind;
use crate::cluster::rows::RowKey;
use crate::config::settings::parse_duration;

use super::EXIT_ERROR;
use super::restart::{Run, parse_workload, perform_and_follow};

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
    if kind != ResourceKind::Deployments {
        return fail(format!(
            "{}: undo works on deployments (StatefulSets and DaemonSets keep ControllerRevisions, \
             which bosun does not read yet: use kubectl rollout undo)",
            args.target
        ));
    }
    if args.readonly && !args.history {
        return fail(format!("read-only mode: refusing to undo {}", args.target));
    }
    let Some(timeout) = parse_duration(&args.timeout) else {
        return fail(format!(
            "--timeout \"{}\": expected a duration like 90s or 5m",
            args.timeout
        ));
    };
    let (client, info) = match client_for(loaded, args.context.as_deref()).await {
        Ok(pair) => pair,
        Err(error) => return fail(error.to_string()),
    };
    let namespace = args
        .namespace
        .or(info.namespace.clone())
        .unwrap_or_else(|| "default".to_string());
    if args.history {
        return match history::deployment_history(&client, &namespace, &name).await {
            Ok(found) => {
                crate::outln!("deployment.apps/{name}");
                crate::out!("{}", history::history_table(&found));
                ExitCode::SUCCESS
            }
            Err(error) => fail(error),
        };
    }
    let key = RowKey::new(&namespace, &name);
    let mutation = Mutation::Undo {
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

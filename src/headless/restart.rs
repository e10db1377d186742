//! `bosun restart`: rollout restart, optionally followed to the end.

use std::process::ExitCode;

use crate::audit::AuditLog;
use crate::cluster::actions::{self, Mutation};
use crate::cluster::client::{ContextInfo, LoadedKubeconfig, client_for};
use crate::cluster::kind::ResourceKind;
use crate::cluster::rollout;
use crate::cluster::rows::{RolloutState, RowKey};
use crate::config::settings::parse_duration;

use super::{EXIT_ERROR, EXIT_FAILED};
/// `deploy/blog` -> (Deployments, "blog").
pub fn parse_workload(target: &str) -> Result<(ResourceKind, String), String> {
    let (kind, name) = target.split_once('/').ok_or_else(|| {
        format!(
            "\"{target}\": expected KIND/NAME, like deploy/blog, sts/mariadb or ds/node-exporter"
        )
    })?;
    let kind = match kind.to_ascii_lowercase().as_str() {
        "deploy" | "deployment" | "deployments" | "deployment.apps" => ResourceKind::Deployments,
        "sts" | "statefulset" | "statefulsets" | "statefulset.apps" => ResourceKind::StatefulSets,
        "ds" | "daemonset" | "daemonsets" | "daemonset.apps" => ResourceKind::DaemonSets,
        "rollout" | "rollouts" | "ro" | "rollout.argoproj.io" => ResourceKind::Rollouts,
        other => {
            return Err(format!(
                "\"{other}\" cannot be restarted: use deploy/, sts/, ds/ or rollout/"
            ));
        }
    };
    if name.is_empty() {
        return Err(format!("\"{target}\": the name is missing"));
    }
    Ok((kind, name.to_string()))
}

pub struct RestartArgs {
    pub target: String,
    pub namespace: Option<String>,
    pub wait: bool,
    pub timeout: String,
    pub context: Option<String>,
    pub readonly: bool,
}

/// `bosun restart deploy/NAME [-n NS] [--wait] [--timeout 5m]`.
pub async fn restart(loaded: &LoadedKubeconfig, args: RestartArgs, audit: &AuditLog) -> ExitCode {
    let fail = |message: String| {
        crate::errln!("bosun: {message}");
        ExitCode::from(EXIT_ERROR)
    };
    if args.readonly {
        return fail(format!(
            "read-only mode: refusing to restart {}",
            args.target
        ));
    }
    let (kind, name) = match parse_workload(&args.target) {
        Ok(parsed) => parsed,
        Err(error) => return fail(error),
    };
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
    let key = RowKey::new(&namespace, &name);
    let mutation = Mutation::Restart {
        kind,
        key: key.clone(),
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

/// A workload command's connection: the client, its context, the
/// namespace (`-n`, else the context's, else "default"), and `--timeout`.
pub async fn connect(
    loaded: &LoadedKubeconfig,
    context: Option<&str>,
    namespace: Option<String>,
    timeout: &str,
) -> Result<(kube::Client, ContextInfo, String, std::time::Duration), String> {
    let parsed = parse_duration(timeout)
        .ok_or_else(|| format!("--timeout \"{timeout}\": expected a duration like 90s or 5m"))?;
    let (client, info) = client_for(loaded, context)
        .await
        .map_err(|error| error.to_string())?;
    let namespace = namespace
        .or(info.namespace.clone())
        .unwrap_or_else(|| "default".to_string());
    Ok((client, info, namespace, parsed))
}

/// What a workload mutation run from the command line needs.
pub struct Run<'a> {
    pub client: &'a kube::Client,
    pub context: &'a str,
    pub audit: &'a AuditLog,
    pub wait: bool,
    pub timeout: std::time::Duration,
}

/// Carries out a restart or an undo, audits it, and with `wait` follows
/// the rollout as `kubectl rollout status` does.
pub async fn perform_and_follow(
    run: Run<'_>,
    kind: ResourceKind,
    key: &RowKey,
    mutation: Mutation,
) -> ExitCode {
    let fail = |message: String| {
        crate::errln!("bosun: {message}");
        ExitCode::from(EXIT_ERROR)
    };
    let Run {
        client,
        context,
        audit,
        wait,
        timeout,
    } = run;
    let name = &key.name;
    let result = actions::perform(client, &mutation).await;
    if let Err(error) = audit.record(
        context,
        crate::audit::Source::Cli,
        &mutation.describe(),
        &result,
    ) {
        crate::errln!("bosun: warning: {error}");
    }
    match result {
        // Nothing changed: there is no rollout to follow.
        Ok(text) if text.contains("skipped rollback") => {
            crate::outln!("{text}");
            return ExitCode::SUCCESS;
        }
        Ok(text) => crate::outln!("{text}"),
        Err(error) => return fail(error),
    }
    if !wait {
        return ExitCode::SUCCESS;
    }
    let mut last = String::new();
    let mut print = |followed: rollout::Followed| {
        let line = match followed {
            rollout::Followed::Progress(progress) => progress.summary(),
            rollout::Followed::Reconnecting(error) => {
                format!("reconnecting to the API server ({error}); still following")
            }
        };
        if line != last {
            crate::outln!(
                "Waiting for rollout of {}/{name}: {line}",
                kind.kind().to_lowercase()
            );
            last = line;
        }
    };
    let outcome = rollout::follow(client, kind, key, timeout, &mut print).await;
    let audited = match &outcome {
        Ok(progress) if progress.is_success() => Ok(progress.summary()),
        Ok(progress) => Err(progress.summary()),
        Err(error) => Err(error.clone()),
    };
    if let Err(error) = audit.record(
        context,
        crate::audit::Source::Cli,
        &format!("rollout of {}", mutation.describe()),
        &audited,
    ) {
        crate::errln!("bosun: warning: {error}");
    }
    match audited {
        // An Argo Rollout stopped at its next pause: where it waits now.
        Ok(summary)
            if outcome
                .as_ref()
                .is_ok_and(|p| p.state == RolloutState::Paused) =>
        {
            crate::outln!("{}/{name} {summary}", kind.kind().to_lowercase());
            ExitCode::SUCCESS
        }
        Ok(_) => {
            crate::outln!(
                "{}/{name} successfully rolled out",
                kind.kind().to_lowercase()
            );
            ExitCode::SUCCESS
        }
        Err(why) => {
            crate::errln!(
                "bosun: rollout of {}/{name} did not finish: {why}",
                kind.kind().to_lowercase()
            );
            ExitCode::from(EXIT_FAILED)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_workload_targets() {
        assert_eq!(
            parse_workload("deploy/blog"),
            Ok((ResourceKind::Deployments, "blog".into()))
        );
        assert_eq!(
            parse_workload("statefulset/mariadb"),
            Ok((ResourceKind::StatefulSets, "mariadb".into()))
        );
        assert_eq!(
            parse_workload("ds/node-exporter"),
            Ok((ResourceKind::DaemonSets, "node-exporter".into()))
        );
        assert_eq!(
            parse_workload("rollout/shop"),
            Ok((ResourceKind::Rollouts, "shop".into()))
        );
        assert!(parse_workload("pod/x").is_err());
        assert!(parse_workload("blog").is_err());
        assert!(parse_workload("deploy/").is_err());
    }
}

//! `bosun rollout promote|abort|retry|pause|resume|restart|set-image|status
//! NAME`: the kubectl-argo-rollouts plugin's commands
//! (cluster::argo_rollouts::actions), audited, and with `--wait` followed
//! like `bosun restart` (exit 0 done, 1 failed or degraded, 2 error).
//! `status` prints what `kubectl argo rollouts status` prints; with
//! `--wait` it watches to Healthy or Degraded as the plugin's does.

use std::process::ExitCode;

use crate::audit::AuditLog;
use crate::cluster::actions::Mutation;
use crate::cluster::argo_rollouts::Phase;
use crate::cluster::argo_rollouts::actions::RolloutAction;
use crate::cluster::client::LoadedKubeconfig;
use crate::cluster::kind::ResourceKind;
use crate::cluster::rollout::{self, Followed, Until};
use crate::cluster::rows::RowKey;

use super::restart::{Run, connect, perform_and_follow};
use super::{EXIT_ERROR, EXIT_FAILED};

/// What `bosun rollout` was asked to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RolloutVerb {
    Act(RolloutAction),
    Status,
}

pub struct RolloutArgs {
    pub verb: RolloutVerb,
    pub name: String,
    pub namespace: Option<String>,
    pub wait: bool,
    pub timeout: String,
    pub context: Option<String>,
    pub readonly: bool,
}

fn fail(message: String) -> ExitCode {
    crate::errln!("bosun: {message}");
    ExitCode::from(EXIT_ERROR)
}

pub async fn rollout(loaded: &LoadedKubeconfig, args: RolloutArgs, audit: &AuditLog) -> ExitCode {
    if let (RolloutVerb::Act(action), true) = (&args.verb, args.readonly) {
        return fail(format!(
            "read-only mode: refusing to {} rollout {}",
            action.verb(),
            args.name
        ));
    }
    let (client, info, namespace, timeout) = match connect(
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
    let key = RowKey::new(&namespace, &args.name);
    match args.verb {
        RolloutVerb::Status => status(&client, &key, args.wait, timeout).await,
        RolloutVerb::Act(action) => {
            let wait = args.wait && action.is_followed();
            let run = Run {
                client: &client,
                context: &info.context,
                audit,
                wait,
                timeout,
            };
            perform_and_follow(
                run,
                ResourceKind::Rollouts,
                &key,
                Mutation::Rollout {
                    key: key.clone(),
                    action,
                },
            )
            .await
        }
    }
}

/// `Status` or `Status - Message`, as the plugin prints it.
fn line(phase: Phase, message: &str) -> String {
    if message.is_empty() {
        phase.as_str().to_string()
    } else {
        format!("{} - {message}", phase.as_str())
    }
}

fn degraded(message: &str) -> ExitCode {
    crate::errln!("bosun: The rollout is in a degraded state with message: {message}");
    ExitCode::from(EXIT_FAILED)
}

async fn status(
    client: &kube::Client,
    key: &RowKey,
    wait: bool,
    timeout: std::time::Duration,
) -> ExitCode {
    if !wait {
        let api: kube::Api<kube::api::DynamicObject> = kube::Api::namespaced_with(
            client.clone(),
            &key.namespace,
            &crate::cluster::argo_rollouts::rollout_resource(),
        );
        let object = match api.get(&key.name).await {
            Ok(object) => object,
            Err(error) => return fail(crate::cluster::client::plain_client_error(&error)),
        };
        let row = crate::cluster::rows::argo::RolloutRow::from_object(&object);
        if row.phase == Phase::Degraded {
            return degraded(&row.message);
        }
        crate::outln!("{}", line(row.phase, &row.message));
        return ExitCode::SUCCESS;
    }
    let mut last = String::new();
    let mut print = |followed: Followed| {
        let text = match followed {
            Followed::Progress(progress) => match progress.argo {
                Some(argo) => line(argo.phase, &argo.message),
                None => progress.summary(),
            },
            Followed::Reconnecting(error) => {
                format!("reconnecting to the API server ({error}); still watching")
            }
        };
        if text != last {
            crate::outln!("{text}");
            last = text;
        }
    };
    let outcome = rollout::follow_until(
        client,
        ResourceKind::Rollouts,
        key,
        timeout,
        Until::Settled,
        &mut print,
    )
    .await;
    match outcome {
        Ok(progress) => match progress.argo {
            Some(argo) if argo.phase == Phase::Degraded => degraded(&argo.message),
            _ => ExitCode::SUCCESS,
        },
        Err(error) if error.starts_with("timed out") => {
            crate::errln!("bosun: Rollout status watch exceeded timeout ({error})");
            ExitCode::from(EXIT_FAILED)
        }
        Err(error) => fail(error),
    }
}

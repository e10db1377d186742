//! `bosun build NAME [--wait] [--no-restart]`: the `b` key for scripts.
//! Exit 0 built (and, with `then`, rolled out), 1 the build or a rollout
//! failed, 2 could not start (missing namespace, secret, template ...).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use crate::audit::AuditLog;
use crate::builds::launch::{self, LaunchConfig};
use crate::builds::status::BuildPhase;
use crate::cluster::actions::{self, Mutation};
use crate::cluster::client::{LoadedKubeconfig, client_for};
use crate::cluster::rollout;
use crate::cluster::rows::{RolloutState, RowKey};
use crate::gitops::{spec, workspace};

use super::{EXIT_ERROR, EXIT_FAILED};

pub struct BuildArgs {
    pub name: Option<String>,
    pub wait: bool,
    pub no_restart: bool,
    pub print_setup: bool,
    pub timeout: Duration,
    pub repo: Option<PathBuf>,
    pub repo_setting: Option<PathBuf>,
    pub context: Option<String>,
    pub readonly: bool,
    pub config: LaunchConfig,
}

fn fail(message: impl std::fmt::Display) -> ExitCode {
    crate::errln!("bosun: {message}");
    ExitCode::from(EXIT_ERROR)
}

pub async fn build(loaded: &LoadedKubeconfig, args: BuildArgs, audit: &AuditLog) -> ExitCode {
    if args.print_setup {
        crate::out!(
            "{}",
            crate::builds::preflight::setup_manifests(&args.config.options)
        );
        return ExitCode::SUCCESS;
    }
    let Some(name) = args.name.clone() else {
        return fail("which build? bosun build NAME (names are in bosun.yaml's builds:)");
    };
    if args.readonly {
        return fail(format!("read-only mode: refusing to build {name}"));
    }
    let ws = match workspace::locate(args.repo.as_deref(), args.repo_setting.as_deref()) {
        Ok(ws) => ws,
        Err(e) => return fail(e),
    };
    let repo_spec = match spec::load(&ws.root) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    let Some(build) = repo_spec.builds.iter().find(|b| b.name == name) else {
        let known: Vec<&str> = repo_spec.builds.iter().map(|b| b.name.as_str()).collect();
        return fail(format!(
            "no build \"{name}\" in {} (builds: {})",
            ws.root.join(spec::SPEC_FILE).display(),
            if known.is_empty() {
                "none".to_string()
            } else {
                known.join(", ")
            }
        ));
    };
    let (client, info) = match client_for(loaded, args.context.as_deref()).await {
        Ok(pair) => pair,
        Err(e) => return fail(e),
    };
    let request = match launch::request(&ws.root, build, &args.config) {
        Ok(r) => r,
        Err(e) => return fail(format!("build {name}: {e}")),
    };
    let started = launch::start(&client, &request, &args.config).await;
    let outcome = started
        .as_ref()
        .map(|s| format!("{} {} → {}", s.kind.as_str(), s.name, s.destination))
        .map_err(Clone::clone);
    if let Err(e) = audit.record(
        &info.context,
        crate::audit::Source::Cli,
        &format!("build {name}"),
        &outcome,
    ) {
        crate::errln!("bosun: warning: {e}");
    }
    let started = match started {
        Ok(s) => s,
        Err(e) => return fail(format!("build {name} not started:\n{e}")),
    };
    crate::outln!(
        "{}/{} started: {} {} → {}",
        started.namespace,
        started.name,
        started.kind.as_str(),
        &started.commit[..started.commit.len().min(7)],
        started.destination
    );
    if !args.wait {
        return ExitCode::SUCCESS;
    }
    let run = match launch::wait(&client, &started, args.timeout, |run| {
        crate::outln!("{}: {}", run.name, run.phase.as_str());
    })
    .await
    {
        Ok(run) => run,
        Err(e) => {
            crate::errln!("bosun: {e}");
            return ExitCode::from(EXIT_FAILED);
        }
    };
    if run.phase != BuildPhase::Succeeded {
        let why = if run.message.is_empty() {
            run.phase.as_str().to_string()
        } else {
            run.message.clone()
        };
        crate::errln!(
            "bosun: build {name} failed ({why}); nothing restarted. Its log: bosun logs job/{} -n {}",
            run.name,
            run.namespace
        );
        return ExitCode::from(EXIT_FAILED);
    }
    crate::outln!("build {name} succeeded: {}", started.destination);
    if args.no_restart || build.then.is_empty() {
        return ExitCode::SUCCESS;
    }
    let mut code = ExitCode::SUCCESS;
    for target in &build.then {
        let (kind, namespace, workload) = match launch::parse_then(target, "default") {
            Ok(t) => t,
            Err(e) => {
                crate::errln!("bosun: then {e}");
                code = ExitCode::from(EXIT_ERROR);
                continue;
            }
        };
        let key = RowKey::new(&namespace, &workload);
        let mutation = Mutation::Restart {
            kind,
            key: key.clone(),
        };
        let result = actions::perform(&client, &mutation).await;
        if let Err(e) = audit.record(
            &info.context,
            crate::audit::Source::Cli,
            &mutation.describe(),
            &result,
        ) {
            crate::errln!("bosun: warning: {e}");
        }
        if let Err(e) = result {
            crate::errln!("bosun: {}: {e}", mutation.describe());
            code = ExitCode::from(EXIT_FAILED);
            continue;
        }
        crate::outln!("{} restarted; following the rollout", mutation.describe());
        match rollout::follow(&client, kind, &key, args.timeout, &mut |_| {}).await {
            Ok(progress) if progress.state == RolloutState::Complete => {
                crate::outln!("{}: {}", mutation.describe(), progress.summary())
            }
            Ok(progress) => {
                crate::errln!("bosun: {}: {}", mutation.describe(), progress.summary());
                code = ExitCode::from(EXIT_FAILED);
            }
            Err(e) => {
                crate::errln!("bosun: {}: {e}", mutation.describe());
                code = ExitCode::from(EXIT_FAILED);
            }
        }
    }
    code
}

//! `bosun status`, `bosun diff [APP]`, `bosun sync [APP]`: the apps view for
//! scripts and cron, same render/diff/sync code as the TUI.
//!
//! Exit codes: status 0 all Synced and Healthy, 1 otherwise; diff 0 no
//! difference, 1 differences (like `kubectl diff`); sync 0 done (or nothing
//! to do), 1 an object failed; all of them 2 when they could not run.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use serde_json::json;

use crate::audit::AuditLog;
use crate::cluster::client::{LoadedKubeconfig, client_for};
use crate::gitops::compare::{Change, SyncStatus};
use crate::gitops::evaluate::{self, Evaluation};
use crate::gitops::health::Health;
use crate::gitops::render::Tools;
use crate::gitops::resolve::{Resolver, kube_message};
use crate::gitops::spec::{self, AppSpec};
use crate::gitops::sync::SyncOptions;
use crate::gitops::workspace;

use super::{EXIT_ERROR, EXIT_FAILED};

pub struct GitopsArgs {
    pub repo: Option<PathBuf>,
    pub repo_setting: Option<PathBuf>,
    pub context: Option<String>,
    /// Only this app (diff, sync).
    pub app: Option<String>,
    pub json: bool,
}

pub struct SyncArgs {
    pub prune: bool,
    pub dry_run: bool,
    pub yes: bool,
    pub readonly: bool,
}

fn fail(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("bosun: {message}");
    ExitCode::from(EXIT_ERROR)
}

struct Loaded {
    root: PathBuf,
    apps: Vec<AppSpec>,
    client: kube::Client,
    context: String,
    evaluations: Vec<Evaluation>,
}

/// Loads the repo, connects, renders and diffs the chosen apps.
async fn load(loaded: &LoadedKubeconfig, args: &GitopsArgs) -> Result<Loaded, String> {
    let ws = workspace::locate(args.repo.as_deref(), args.repo_setting.as_deref())?;
    let spec = spec::load(&ws.root).map_err(|e| e.to_string())?;
    let apps: Vec<AppSpec> = match &args.app {
        Some(name) => {
            let Some(app) = spec.apps.iter().find(|a| &a.name == name) else {
                let known: Vec<&str> = spec.apps.iter().map(|a| a.name.as_str()).collect();
                return Err(format!(
                    "no app \"{name}\" in {} (apps: {})",
                    ws.root.display(),
                    known.join(", ")
                ));
            };
            vec![app.clone()]
        }
        None => spec.apps.clone(),
    };
    let (client, info) = client_for(loaded, args.context.as_deref())
        .await
        .map_err(|e| e.to_string())?;
    let resolver = Resolver::discover(&client)
        .await
        .map_err(|e| format!("cannot reach the cluster: {}", kube_message(&e)))?;
    let tools = Tools::detect();
    let mut evaluations = Vec::with_capacity(apps.len());
    for app in &apps {
        evaluations.push(evaluate::evaluate(&client, &resolver, &ws.root, app, &tools).await);
    }
    Ok(Loaded {
        root: ws.root,
        apps,
        client,
        context: info.context,
        evaluations,
    })
}

/// `bosun status`: one line per app.
pub async fn status(loaded: &LoadedKubeconfig, args: GitopsArgs) -> ExitCode {
    let state = match load(loaded, &args).await {
        Ok(state) => state,
        Err(e) => return fail(e),
    };
    let all_good = state
        .evaluations
        .iter()
        .all(|e| e.sync() == SyncStatus::Synced && e.health() == Health::Healthy);
    if args.json {
        let apps: Vec<_> = state
            .evaluations
            .iter()
            .map(|e| {
                json!({
                    "name": e.app,
                    "sync": e.sync().as_str(),
                    "health": e.health().as_str(),
                    "revision": e.inventory.as_ref().map(|i| i.revision.clone()),
                    "lastSync": e.inventory.as_ref().map(|i| i.synced_at.clone()),
                    "lastResult": e.inventory.as_ref().map(|i| i.result.clone()),
                    "message": e.message(),
                })
            })
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({ "apps": apps })).unwrap_or_default()
        );
    } else {
        let rows: Vec<[String; 6]> = state
            .evaluations
            .iter()
            .map(|e| {
                [
                    e.app.clone(),
                    e.sync().to_string(),
                    e.health().to_string(),
                    e.revision().unwrap_or("-").to_string(),
                    e.inventory
                        .as_ref()
                        .map(|i| i.synced_at.clone())
                        .unwrap_or_else(|| "never".into()),
                    e.message(),
                ]
            })
            .collect();
        print_table(
            ["NAME", "SYNC", "HEALTH", "REVISION", "LAST SYNC", "MESSAGE"],
            &rows,
        );
    }
    if all_good {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_FAILED)
    }
}

fn print_table<const N: usize>(header: [&str; N], rows: &[[String; N]]) {
    let mut all: Vec<Vec<String>> = vec![header.iter().map(|h| h.to_string()).collect()];
    all.extend(rows.iter().map(|row| row.to_vec()));
    print!("{}", super::aligned_table(&all));
}

/// Colours a unified diff for a terminal.
fn colour_diff(text: &str, colour: bool) -> String {
    if !colour {
        return text.to_string();
    }
    text.lines()
        .map(|line| {
            if line.starts_with("+++") || line.starts_with("---") {
                format!("\x1b[1m{line}\x1b[0m")
            } else if line.starts_with('+') {
                format!("\x1b[32m{line}\x1b[0m")
            } else if line.starts_with('-') {
                format!("\x1b[31m{line}\x1b[0m")
            } else if line.starts_with("@@") {
                format!("\x1b[36m{line}\x1b[0m")
            } else {
                line.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

/// Prints one app's diff; true when it has differences.
fn print_diff(eval: &Evaluation, colour: bool) -> bool {
    let Some(diff) = &eval.diff else {
        return false;
    };
    let mut any = false;
    for obj in diff.changed() {
        any = true;
        println!("# {} {}: {}", eval.app, obj.key, obj.change);
        if let Some(error) = &obj.error {
            println!("#   {error}");
        }
        for takeover in &obj.takeover {
            println!("#   takes {takeover}");
        }
        print!("{}", colour_diff(&obj.diff, colour));
    }
    any
}

/// `bosun diff [APP]`.
pub async fn diff(loaded: &LoadedKubeconfig, args: GitopsArgs) -> ExitCode {
    let state = match load(loaded, &args).await {
        Ok(state) => state,
        Err(e) => return fail(e),
    };
    let colour = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let mut differs = false;
    let mut errors = false;
    for eval in &state.evaluations {
        if let Some(error) = &eval.error {
            eprintln!("bosun: {}: {error}", eval.app);
            errors = true;
            continue;
        }
        differs |= print_diff(eval, colour);
        if let Some(diff) = &eval.diff
            && diff.count(Change::Error) > 0
        {
            errors = true;
        }
    }
    if errors {
        ExitCode::from(EXIT_ERROR)
    } else if differs {
        ExitCode::from(EXIT_FAILED)
    } else {
        ExitCode::SUCCESS
    }
}

/// Asks on the terminal; without one (cron) only `--yes` proceeds.
fn confirm(question: &str) -> bool {
    if !std::io::stdin().is_terminal() {
        return false;
    }
    eprint!("{question} [y/N] ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    if std::io::stdin().lock().read_line(&mut answer).is_err() {
        return false;
    }
    matches!(answer.trim(), "y" | "Y" | "yes")
}

/// `bosun sync [APP] [--prune] [--dry-run] [--yes]`.
pub async fn sync(
    loaded: &LoadedKubeconfig,
    args: GitopsArgs,
    sync: SyncArgs,
    audit: &AuditLog,
) -> ExitCode {
    if sync.readonly && !sync.dry_run {
        return fail("read-only mode: refusing to sync (use --dry-run to see what it would do)");
    }
    let state = match load(loaded, &args).await {
        Ok(state) => state,
        Err(e) => return fail(e),
    };
    let revision = workspace::revision(&state.root);
    let mut code = ExitCode::SUCCESS;
    for (app, eval) in state.apps.iter().zip(&state.evaluations) {
        if let Some(error) = &eval.error {
            eprintln!("bosun: {}: {error}", eval.app);
            code = ExitCode::from(EXIT_ERROR);
            continue;
        }
        let Some(diff) = &eval.diff else { continue };
        let prune = sync.prune || app.prune;
        let candidates: Vec<String> = diff
            .objects
            .iter()
            .filter(|o| o.change == Change::PruneCandidate)
            .map(|o| o.key.to_string())
            .collect();
        let to_apply = diff
            .objects
            .iter()
            .filter(|o| matches!(o.change, Change::Create | Change::Drifted | Change::Error))
            .count();
        if to_apply == 0 && (candidates.is_empty() || !prune) {
            println!("{}: in sync", eval.app);
            for c in &candidates {
                println!(
                    "{}:   prune candidate (not pruned without --prune): {c}",
                    eval.app
                );
            }
            continue;
        }
        println!("{}: {}", eval.app, diff.summary());
        for obj in diff.changed() {
            println!("  {:<16} {}", obj.change.as_str(), obj.key);
        }
        if prune && !candidates.is_empty() {
            println!("  these will be deleted (prune):");
            for c in &candidates {
                println!("    {c}");
            }
        }
        if !sync.yes && !sync.dry_run {
            let question = format!("Sync {} to {}?", eval.app, short(&revision));
            if !confirm(&question) {
                eprintln!(
                    "bosun: {}: not synced (confirm on a terminal, or pass --yes)",
                    eval.app
                );
                code = ExitCode::from(EXIT_ERROR);
                continue;
            }
        }
        let opts = SyncOptions {
            prune,
            dry_run: sync.dry_run,
            revision: revision.clone(),
            crd_timeout: Duration::from_secs(60),
        };
        let result = evaluate::sync_evaluated(&state.client, eval, &opts).await;
        let outcome = match &result {
            Ok(report) if report.succeeded() => Ok(report.summary()),
            Ok(report) => Err(report.summary()),
            Err(e) => Err(e.clone()),
        };
        if !sync.dry_run
            && let Err(e) = audit.record(
                &state.context,
                "bosun sync",
                &format!("sync app {} at {}", eval.app, short(&revision)),
                &outcome,
            )
        {
            eprintln!("bosun: warning: {e}");
        }
        match result {
            Ok(report) => {
                for (key, applied) in &report.applied {
                    if applied.as_str() != "unchanged" {
                        println!("  {key} {}", applied.as_str());
                    }
                }
                for key in &report.pruned {
                    println!("  {key} pruned");
                }
                for (key, error) in &report.failed {
                    println!("  {key} FAILED: {error}");
                }
                println!("{}: {}", eval.app, report.summary());
                if !report.succeeded() {
                    code = ExitCode::from(EXIT_FAILED);
                }
            }
            Err(e) => {
                eprintln!("bosun: {}: sync failed: {e}", eval.app);
                code = ExitCode::from(EXIT_ERROR);
            }
        }
    }
    code
}

fn short(revision: &str) -> String {
    match revision.split_once('+') {
        Some((id, rest)) => format!("{}+{rest}", &id[..id.len().min(7)]),
        None => revision[..revision.len().min(7)].to_string(),
    }
}

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

use futures::StreamExt;
use serde_json::json;

use crate::audit::AuditLog;
use crate::cluster::client::{LoadedKubeconfig, client_for};
use crate::gitops::compare::{Change, ObjectDiff, SyncStatus};
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
    /// Apply objects another app renders or tracks too.
    pub allow_shared: bool,
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

/// The app a name on the command line means: its exact name, else the one
/// app whose name ends in `/NAME` (a Kustomization or Application qualified
/// by its namespace). Never "the first match": anything else is an error
/// that lists the candidates.
pub fn select_app<'a>(apps: &'a [AppSpec], name: &str) -> Result<&'a AppSpec, String> {
    if let Some(app) = apps.iter().find(|a| a.name == name) {
        return Ok(app);
    }
    let suffix = format!("/{name}");
    let matches: Vec<&AppSpec> = apps.iter().filter(|a| a.name.ends_with(&suffix)).collect();
    match matches.as_slice() {
        [one] => Ok(one),
        [] => {
            let known: Vec<&str> = apps.iter().map(|a| a.name.as_str()).collect();
            Err(format!(
                "no app \"{name}\" (apps: {})",
                if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                }
            ))
        }
        several => Err(format!(
            "app \"{name}\" is ambiguous: {} (give the full name)",
            several
                .iter()
                .map(|a| a.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// Loads the repo, connects, renders every app (sharing is repo-wide) and
/// diffs the chosen ones.
async fn load(loaded: &LoadedKubeconfig, args: &GitopsArgs) -> Result<Loaded, String> {
    let ws = workspace::locate(args.repo.as_deref(), args.repo_setting.as_deref())?;
    let spec = spec::load(&ws.root).map_err(|e| e.to_string())?;
    let apps: Vec<AppSpec> = match &args.app {
        Some(name) => vec![select_app(&spec.apps, name)?.clone()],
        None => spec.apps.clone(),
    };
    let (client, info) = client_for(loaded, args.context.as_deref())
        .await
        .map_err(|e| e.to_string())?;
    let resolver = Resolver::discover(&client)
        .await
        .map_err(|e| format!("cannot reach the cluster: {}", kube_message(&e)))?;
    let tools = Tools::detect();
    let renders = evaluate::render_apps(&ws.root, &spec.apps, &tools).await;
    let renderers = evaluate::renderers(
        &resolver,
        spec.apps
            .iter()
            .zip(&renders)
            .filter_map(|(app, render)| Some((app, render.as_ref().ok()?.objects.as_slice()))),
    );
    let jobs: Vec<_> = apps
        .iter()
        .map(|app| {
            let render = spec
                .apps
                .iter()
                .position(|a| a.name == app.name)
                .and_then(|index| renders.get(index));
            evaluate_one(&client, &resolver, app, render, &renderers)
        })
        .collect();
    let evaluations: Vec<Evaluation> = futures::stream::iter(jobs).buffered(8).collect().await;
    Ok(Loaded {
        root: ws.root,
        apps,
        client,
        context: info.context,
        evaluations,
    })
}

async fn evaluate_one(
    client: &kube::Client,
    resolver: &Resolver,
    app: &AppSpec,
    render: Option<&Result<crate::gitops::render::Rendered, String>>,
    renderers: &crate::gitops::compare::Renderers,
) -> Evaluation {
    match render {
        Some(Ok(rendered)) => {
            let mut eval =
                evaluate::evaluate_rendered(client, resolver, app, &rendered.objects, renderers)
                    .await;
            eval.command = Some(rendered.command.clone());
            eval
        }
        Some(Err(error)) => evaluate::unevaluated(client, app, error.clone()).await,
        None => evaluate::unevaluated(client, app, "not rendered".into()).await,
    }
}

/// `bosun status`: one line per app.
pub async fn status(loaded: &LoadedKubeconfig, args: GitopsArgs) -> ExitCode {
    let state = match load(loaded, &args).await {
        Ok(state) => state,
        Err(e) => return fail(e),
    };
    // An object two apps fight over is never "all good", whatever else.
    let all_good = state.evaluations.iter().all(|e| {
        e.sync() == SyncStatus::Synced && e.health() == Health::Healthy && e.shared().is_empty()
    });
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
                    "error": e.error,
                    "shared": e.shared().iter().map(|(key, apps)| json!({
                        "object": key.to_string(),
                        "apps": apps,
                    })).collect::<Vec<_>>(),
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
        let prunable: Vec<&ObjectDiff> = diff.objects.iter().filter(|o| o.prunable()).collect();
        let kept: Vec<&ObjectDiff> = diff.objects.iter().filter(|o| o.keep.is_some()).collect();
        let to_apply = diff
            .objects
            .iter()
            .filter(|o| matches!(o.change, Change::Create | Change::Drifted | Change::Error))
            .count();
        if to_apply == 0 && (prunable.is_empty() || !prune) {
            println!("{}: in sync", eval.app);
            for obj in &prunable {
                println!(
                    "{}:   prune candidate (not pruned without --prune): {}",
                    eval.app, obj.key
                );
            }
            for obj in &kept {
                let why = obj.keep.as_ref().map(|k| k.reason.as_str()).unwrap_or("");
                println!("{}:   {}: {why}", eval.app, obj.key);
            }
            continue;
        }
        println!("{}: {}", eval.app, diff.summary());
        for obj in diff
            .changed()
            .filter(|o| o.change != Change::PruneCandidate)
        {
            match obj.shared_text() {
                Some(text) if !sync.allow_shared => println!(
                    "  {:<16} {} ({text}; --allow-shared takes it)",
                    "refused", obj.key
                ),
                Some(text) => println!(
                    "  {:<16} {} (taken over: {text})",
                    obj.change.as_str(),
                    obj.key
                ),
                None => println!("  {:<16} {}", obj.change.as_str(), obj.key),
            }
        }
        if prune && !prunable.is_empty() {
            println!("  these will be deleted (prune):");
            for obj in &prunable {
                println!("    {}", obj.key);
            }
        }
        for obj in &kept {
            let why = obj.keep.as_ref().map(|k| k.reason.as_str()).unwrap_or("");
            println!("  {:<16} {} ({why})", "kept", obj.key);
        }
        let mut confirmed_interactively = false;
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
            confirmed_interactively = true;
        }
        let opts = SyncOptions {
            prune,
            dry_run: sync.dry_run,
            revision: revision.clone(),
            crd_timeout: Duration::from_secs(60),
            allow_shared: sync.allow_shared,
            confirmed_interactively,
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
                "cli",
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
                for (key, why) in &report.kept {
                    println!("  {key} {why}");
                }
                for (key, why) in &report.refused {
                    println!("  {key} REFUSED: {why}");
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

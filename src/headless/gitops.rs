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
use crate::gitops::depends;
use crate::gitops::evaluate::{self, Evaluation};
use crate::gitops::health::Health;
use crate::gitops::render::Tools;
use crate::gitops::render_cache::{DiskCache, RenderCache};
use crate::gitops::resolve::{Resolver, kube_message};
use crate::gitops::rollback;
use crate::gitops::spec::{self, AppSpec};
use crate::gitops::sync::SyncOptions;
use crate::gitops::workspace;

use super::{EXIT_ERROR, EXIT_FAILED};

pub struct GitopsArgs {
    pub repo: Option<PathBuf>,
    pub repo_setting: Option<PathBuf>,
    /// The entry point (`--path`, else the config's `path`).
    pub path: Option<PathBuf>,
    /// Where renders are kept between runs.
    pub cache_dir: Option<PathBuf>,
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
    /// How long an app waits for its dependencies to be ready.
    pub timeout: Duration,
    /// Sync the app as it was at this commit (a rollback when it is not
    /// HEAD).
    pub revision: Option<String>,
}

fn fail(message: impl std::fmt::Display) -> ExitCode {
    crate::errln!("bosun: {message}");
    ExitCode::from(EXIT_ERROR)
}

struct Loaded {
    root: PathBuf,
    /// How the apps were looked for (entry point, context).
    options: spec::LoadOptions,
    /// Every app of the repo, and its render (same order).
    all_apps: Vec<AppSpec>,
    renders: Vec<Result<crate::gitops::render::Rendered, String>>,
    index: evaluate::RepoIndex,
    resolver: Resolver,
    /// The apps asked about, and their evaluations (same order).
    apps: Vec<AppSpec>,
    evaluations: Vec<Evaluation>,
    client: kube::Client,
    context: String,
}

impl Loaded {
    /// A fresh evaluation of one app (after others were synced).
    async fn evaluate(&self, name: &str) -> Option<Evaluation> {
        let position = self.all_apps.iter().position(|a| a.name == name)?;
        let app = &self.all_apps[position];
        Some(
            evaluate_one(
                &self.client,
                &self.resolver,
                app,
                self.renders.get(position),
                &self.index,
            )
            .await,
        )
    }

    /// "waiting for infra (not synced)" when a dependency is not ready,
    /// judged from the evaluations at hand, else fresh ones.
    async fn waiting_for(&self, app: &AppSpec) -> Option<String> {
        let mut evaluations: Vec<Evaluation> = Vec::new();
        for dependency in &app.depends_on {
            match self.evaluations.iter().find(|e| &e.app == dependency) {
                Some(known) => evaluations.push(known.clone()),
                None => evaluations.extend(self.evaluate(dependency).await),
            }
        }
        let by_name: std::collections::HashMap<String, &Evaluation> =
            evaluations.iter().map(|e| (e.app.clone(), e)).collect();
        depends::waiting_for(app, depends::lookup_in(&self.all_apps, &by_name))
    }
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
    let (client, info) = client_for(loaded, args.context.as_deref())
        .await
        .map_err(|e| e.to_string())?;
    let options = ws.load_options(args.path.as_deref(), Some(&info.context));
    let spec = spec::load_with(&ws.root, &options).map_err(|e| e.to_string())?;
    if !spec.entry_candidates.is_empty() {
        return Err(format!(
            "{} holds several clusters; choose one with --path (or `path` in the config): {}",
            ws.root.display(),
            spec.entry_candidates
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let apps: Vec<AppSpec> = match &args.app {
        Some(name) => vec![select_app(&spec.apps, name)?.clone()],
        None => spec.apps.clone(),
    };
    let resolver = Resolver::discover(&client)
        .await
        .map_err(|e| format!("cannot reach the cluster: {}", kube_message(&e)))?;
    let tools = Tools::detect();
    let cache = RenderCache::new(DiskCache::new(args.cache_dir.clone()));
    let renders = evaluate::render_apps(&ws.root, &spec.apps, &tools, &cache).await;
    let index = evaluate::index(
        &resolver,
        &ws.root,
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
            evaluate_one(&client, &resolver, app, render, &index)
        })
        .collect();
    let evaluations: Vec<Evaluation> = futures::stream::iter(jobs).buffered(8).collect().await;
    Ok(Loaded {
        options,
        root: ws.root,
        all_apps: spec.apps,
        renders,
        index,
        resolver,
        apps,
        evaluations,
        client,
        context: info.context,
    })
}

async fn evaluate_one(
    client: &kube::Client,
    resolver: &Resolver,
    app: &AppSpec,
    render: Option<&Result<crate::gitops::render::Rendered, String>>,
    index: &evaluate::RepoIndex,
) -> Evaluation {
    match render {
        Some(Ok(rendered)) => {
            let mut eval =
                evaluate::evaluate_rendered(client, resolver, app, &rendered.objects, index).await;
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
    let mut messages = Vec::with_capacity(state.apps.len());
    for (app, eval) in state.apps.iter().zip(&state.evaluations) {
        let mut message = eval.message();
        if eval.sync() != SyncStatus::Synced
            && let Some(waiting) = state.waiting_for(app).await
        {
            message = format!("{waiting}; {message}");
        }
        for warning in &app.warnings {
            message.push_str(&format!(" · warning: {warning}"));
        }
        messages.push(message);
    }
    if args.json {
        let apps: Vec<_> = state
            .apps
            .iter()
            .zip(&state.evaluations)
            .zip(&messages)
            .map(|((app, e), message)| {
                json!({
                    "name": e.app,
                    "from": app.origin.describe(),
                    "sync": e.sync().as_str(),
                    "health": e.health().as_str(),
                    "revision": e.inventory.as_ref().map(|i| i.revision.clone()),
                    "lastSync": e.inventory.as_ref().map(|i| i.synced_at.clone()),
                    "lastResult": e.inventory.as_ref().map(|i| i.result.clone()),
                    "message": message,
                    "error": e.error,
                    "warnings": app.warnings,
                    "dependsOn": app.depends_on,
                    "shared": e.shared().iter().map(|(key, apps)| json!({
                        "object": key.to_string(),
                        "apps": apps,
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        crate::outln!(
            "{}",
            serde_json::to_string_pretty(&json!({ "apps": apps })).unwrap_or_default()
        );
    } else {
        let rows: Vec<[String; 7]> = state
            .apps
            .iter()
            .zip(&state.evaluations)
            .zip(messages)
            .map(|((app, e), message)| {
                [
                    e.app.clone(),
                    e.sync().to_string(),
                    e.health().to_string(),
                    app.origin.short().to_string(),
                    e.revision().unwrap_or("-").to_string(),
                    e.inventory
                        .as_ref()
                        .map(|i| i.synced_at.clone())
                        .unwrap_or_else(|| "never".into()),
                    message,
                ]
            })
            .collect();
        print_table(
            [
                "NAME",
                "SYNC",
                "HEALTH",
                "FROM",
                "REVISION",
                "LAST SYNC",
                "MESSAGE",
            ],
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
    crate::out!("{}", super::aligned_table(&all));
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
        crate::outln!("# {} {}: {}", eval.app, obj.key, obj.change);
        if let Some(error) = &obj.error {
            crate::outln!("#   {error}");
        }
        for takeover in &obj.takeover {
            crate::outln!("#   takes {takeover}");
        }
        // Sanitized first, then coloured: bosun's own colours stay.
        let text = super::term::out(&obj.diff);
        print!("{}", colour_diff(&text, colour));
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
            crate::errln!("bosun: {}: {error}", eval.app);
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
    // `--revision`: the app as it was at that commit (Argo CD's rollback).
    let target = match (&sync.revision, &args.app) {
        (None, _) => None,
        (Some(_), None) => return fail("--revision needs an app: bosun sync APP --revision REV"),
        (Some(rev), Some(_)) => match rollback::resolve(&state.root, rev) {
            Ok(commit) => Some(commit),
            Err(e) => return fail(e),
        },
    };
    let rolled_back = target
        .as_ref()
        .is_some_and(|c| !rollback::is_head(&state.root, &c.id));
    let revision = match &target {
        Some(commit) => commit.id.clone(),
        None => workspace::revision(&state.root),
    };
    let mut code = ExitCode::SUCCESS;
    // Flux dependsOn: dependencies first; a cycle is an error naming it.
    let (order, cycles) = depends::order(&state.apps);
    for (name, why) in &cycles {
        crate::errln!("bosun: {name}: not synced: {why}");
        code = ExitCode::from(EXIT_ERROR);
    }
    let mut synced_before = false;
    // SIGTERM, SIGINT, SIGHUP: finish the object being applied, then stop,
    // with the audit line and the inventory saying so.
    let stop = crate::gitops::sync::StopFlag::default();
    let signals = stop_on_signals(stop.clone());
    for name in order {
        if stop.is_stopped() {
            crate::errln!("bosun: {name}: not synced: interrupted");
            code = ExitCode::from(EXIT_FAILED);
            continue;
        }
        let Some(position) = state.apps.iter().position(|a| a.name == name) else {
            continue;
        };
        let app = &state.apps[position];
        if sync.dry_run {
            if let Some(waiting) = state.waiting_for(app).await {
                crate::outln!("{name}: {waiting} (a sync would wait for it)");
            }
        } else if let Err(why) = wait_for_dependencies(&state, app, sync.timeout).await {
            crate::errln!("bosun: {name}: not synced: {why}");
            code = ExitCode::from(EXIT_FAILED);
            continue;
        }
        // What an earlier sync of this run changed shows in a fresh diff.
        let fresh;
        let at_commit;
        let eval = if let Some(commit) = &target {
            let tools = crate::gitops::render::Tools::detect();
            at_commit = rollback::evaluate_at(
                &state.client,
                &state.resolver,
                &state.root,
                &state.options,
                &name,
                commit,
                &tools,
            )
            .await;
            match &at_commit {
                Ok(eval) => eval,
                Err(e) => {
                    crate::errln!("bosun: {name}: {e}");
                    code = ExitCode::from(EXIT_ERROR);
                    continue;
                }
            }
        } else if synced_before {
            fresh = state.evaluate(&name).await;
            match &fresh {
                Some(eval) => eval,
                None => continue,
            }
        } else {
            &state.evaluations[position]
        };
        if let Some(error) = &eval.error {
            crate::errln!("bosun: {}: {error}", eval.app);
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
        // A sync always runs the app's hooks (Argo CD): an app named on the
        // command line is synced for them even when nothing drifted.
        let runs_hooks = args.app.is_some() && diff.hooks.iter().any(|h| !h.phases.is_empty());
        // A rollback, or the sync of HEAD that ends one, is recorded even
        // with nothing to apply: it pauses or resumes autoSync.
        let flips_rollback = eval
            .inventory
            .as_ref()
            .map_or(rolled_back, |inv| inv.rolled_back != rolled_back);
        if to_apply == 0 && (prunable.is_empty() || !prune) && !runs_hooks && !flips_rollback {
            crate::outln!("{}: in sync", eval.app);
            for obj in &prunable {
                crate::outln!(
                    "{}:   prune candidate (not pruned without --prune): {}",
                    eval.app,
                    obj.key
                );
            }
            for obj in &kept {
                let why = obj.keep.as_ref().map(|k| k.reason.as_str()).unwrap_or("");
                crate::outln!("{}:   {}: {why}", eval.app, obj.key);
            }
            continue;
        }
        crate::outln!("{}: {}", eval.app, diff.summary());
        for obj in diff
            .changed()
            .filter(|o| o.change != Change::PruneCandidate)
        {
            match obj.shared_text() {
                Some(text) if !sync.allow_shared => crate::outln!(
                    "  {:<16} {} ({text}; --allow-shared takes it)",
                    "refused",
                    obj.key
                ),
                Some(text) => crate::outln!(
                    "  {:<16} {} (taken over: {text})",
                    obj.change.as_str(),
                    obj.key
                ),
                None => crate::outln!("  {:<16} {}", obj.change.as_str(), obj.key),
            }
            if let (Change::Error, Some(error)) = (obj.change, &obj.error) {
                crate::outln!("  {:<16} {error}", "");
            }
        }
        for hook in diff.hooks.iter().filter(|h| !h.phases.is_empty()) {
            crate::outln!("  {:<16} {}", "hook", hook.describe());
        }
        if prune && !prunable.is_empty() {
            crate::outln!("  these will be deleted (prune):");
            for obj in &prunable {
                crate::outln!("    {}", obj.key);
            }
        }
        for obj in &kept {
            let why = obj.keep.as_ref().map(|k| k.reason.as_str()).unwrap_or("");
            crate::outln!("  {:<16} {} ({why})", "kept", obj.key);
        }
        let mut confirmed_interactively = false;
        if !sync.yes && !sync.dry_run {
            let errors = diff.count(Change::Error);
            let question = if let (true, Some(commit)) = (rolled_back, &target) {
                format!(
                    "Roll {} back to {} ({})? Its autoSync pauses until a sync of HEAD.",
                    eval.app, commit.short, commit.subject
                )
            } else if errors > 0 {
                format!(
                    "Sync {} to {} without the {errors} object(s) that cannot be applied?",
                    eval.app,
                    short(&revision)
                )
            } else {
                format!("Sync {} to {}?", eval.app, short(&revision))
            };
            if !confirm(&question) {
                crate::errln!(
                    "bosun: {}: not synced (confirm on a terminal, or pass --yes)",
                    eval.app
                );
                code = ExitCode::from(EXIT_ERROR);
                continue;
            }
            confirmed_interactively = true;
        }
        // "wave 2 of 4 · waiting for Deployment blog/db to be Healthy", once per change.
        let (progress, mut progress_lines) =
            tokio::sync::mpsc::unbounded_channel::<crate::gitops::waves::Progress>();
        let app_name = eval.app.clone();
        let printer = tokio::spawn(async move {
            while let Some(line) = progress_lines.recv().await {
                crate::outln!("{app_name}: {line}");
            }
        });
        let opts = SyncOptions {
            prune,
            dry_run: sync.dry_run,
            revision: revision.clone(),
            rolled_back,
            selective: false,
            crd_timeout: Duration::from_secs(60),
            wave_timeout: sync.timeout,
            allow_shared: sync.allow_shared,
            confirmed_interactively,
            stop: stop.clone(),
            progress: Some(progress),
        };
        let result = evaluate::sync_evaluated(&state.client, eval, &opts).await;
        drop(opts);
        let _ = printer.await;
        synced_before = !sync.dry_run;
        let outcome = match &result {
            Ok(report) if report.succeeded() => Ok(report.summary()),
            Ok(report) => Err(report.summary()),
            Err(e) => Err(e.clone()),
        };
        if !sync.dry_run
            && let Err(e) = audit.record(
                &state.context,
                crate::audit::Source::Cli,
                &format!(
                    "sync app {} at {}{}",
                    eval.app,
                    short(&revision),
                    if rolled_back { " (rollback)" } else { "" }
                ),
                &outcome,
            )
        {
            crate::errln!("bosun: warning: {e}");
        }
        match result {
            Ok(report) => {
                for (key, applied) in &report.applied {
                    if applied.as_str() != "unchanged" {
                        crate::outln!("  {key} {}", applied.as_str());
                    }
                }
                for key in &report.pruned {
                    crate::outln!("  {key} pruned");
                }
                for (key, why) in &report.kept {
                    crate::outln!("  {key} {why}");
                }
                for (key, why) in &report.refused {
                    crate::outln!("  {key} REFUSED: {why}");
                }
                for key in &report.skipped {
                    crate::outln!("  {key} skipped (argocd.argoproj.io/hook: Skip)");
                }
                for hook in &report.hooks {
                    crate::outln!("  {}", hook.describe());
                    if let crate::gitops::sync::HookOutcome::Failed { logs, .. } = &hook.outcome {
                        for line in logs {
                            crate::outln!("    | {line}");
                        }
                    }
                }
                for (key, error) in &report.failed {
                    crate::outln!("  {key} FAILED: {error}");
                }
                crate::outln!("{}: {}", eval.app, report.summary());
                if !report.succeeded() {
                    code = ExitCode::from(EXIT_FAILED);
                }
            }
            Err(e) => {
                crate::errln!("bosun: {}: sync failed: {e}", eval.app);
                code = ExitCode::from(EXIT_ERROR);
            }
        }
    }
    signals.abort();
    code
}

/// Raises `stop` on SIGTERM, SIGINT or SIGHUP.
fn stop_on_signals(stop: crate::gitops::sync::StopFlag) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        use tokio::signal::unix::{SignalKind, signal};
        let (Ok(mut term), Ok(mut interrupt), Ok(mut hangup)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
            signal(SignalKind::hangup()),
        ) else {
            return;
        };
        tokio::select! {
            _ = term.recv() => {}
            _ = interrupt.recv() => {}
            _ = hangup.recv() => {}
        }
        crate::errln!("bosun: stopping after the object being applied…");
        stop.stop();
    })
}

/// Waits (polling, fresh evaluations) until every dependency of `app` is
/// ready, up to `timeout`; the error says what it waited for.
async fn wait_for_dependencies(
    state: &Loaded,
    app: &AppSpec,
    timeout: Duration,
) -> Result<(), String> {
    if app.depends_on.is_empty() {
        return Ok(());
    }
    let deadline = tokio::time::Instant::now() + timeout;
    let mut said = String::new();
    loop {
        let mut fresh = Vec::new();
        for dependency in &app.depends_on {
            fresh.extend(state.evaluate(dependency).await);
        }
        let by_name: std::collections::HashMap<String, &Evaluation> =
            fresh.iter().map(|e| (e.app.clone(), e)).collect();
        let Some(waiting) =
            depends::waiting_for(app, depends::lookup_in(&state.all_apps, &by_name))
        else {
            return Ok(());
        };
        if tokio::time::Instant::now() >= deadline {
            return Err(format!("{waiting}: gave up after {}s", timeout.as_secs()));
        }
        if waiting != said {
            crate::outln!("{}: {waiting}", app.name);
            said = waiting;
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

fn short(revision: &str) -> String {
    match revision.split_once('+') {
        Some((id, rest)) => format!("{}+{rest}", rollback::short(id)),
        None => rollback::short(revision).to_string(),
    }
}

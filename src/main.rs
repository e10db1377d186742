#![forbid(unsafe_code)]

use std::io::Write;
use std::process::ExitCode;

use bosun::app::runtime::{Runtime, RuntimeOptions};
use bosun::app::state::{ContextEntry, State};
use bosun::app::view::ViewKind;
use bosun::app::{Effect, run};
use bosun::cli::{Cli, Command};
use bosun::cluster::client::{KubeconfigSearch, LoadedKubeconfig, context_info, locate_kubeconfig};
use bosun::config::ConfigWarning;
use bosun::config::settings::{Paths, Settings};
use bosun::config::theme::{ColorDepth, load_theme};
use clap::Parser;
use color_eyre::eyre::{WrapErr, eyre};

fn main() -> ExitCode {
    if let Err(error) = color_eyre::install() {
        eprintln!("bosun: cannot install error reporting: {error}");
    }
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("bosun: cannot start the async runtime: {error}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(run_cli(cli)) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("bosun: {error:#}");
            ExitCode::from(2)
        }
    }
}

/// Diagnostics go to a file in the state directory, never to the terminal.
fn init_logging(paths: &Paths) {
    let Some(file) = paths.log_file() else {
        return;
    };
    if let Some(dir) = file.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let Ok(log) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&file)
    else {
        return;
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("BOSUN_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,kube=warn,hyper=warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(std::sync::Mutex::new(log))
        .try_init();
}

/// The demo's git repo, with commit 1 deployed onto the demo cluster.
async fn prepare_demo_repo(
    loaded: &LoadedKubeconfig,
    demo: &bosun::demo::Demo,
) -> Result<bosun::demo_repo::DemoRepo, String> {
    bosun::demo_repo::prepare_builds(&demo.cluster)?;
    let base = std::env::temp_dir().join(format!("bosun-demo-repo-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    let repo = bosun::demo_repo::create(&base)?;
    let (client, _) = bosun::cluster::client::client_for(loaded, None)
        .await
        .map_err(|e| e.to_string())?;
    bosun::demo_repo::deploy_then_edit(&repo, &client).await?;
    Ok(repo)
}

fn gitops_args(
    repo: &Option<std::path::PathBuf>,
    cli_path: &Option<std::path::PathBuf>,
    settings: &Settings,
    context: Option<String>,
    app: Option<String>,
    json: bool,
) -> bosun::headless::gitops::GitopsArgs {
    bosun::headless::gitops::GitopsArgs {
        repo: repo.clone(),
        repo_setting: settings.repo.clone(),
        path: cli_path.clone().or_else(|| settings.path.clone()),
        cache_dir: Paths::from_env().cache_dir,
        context,
        app,
        json,
    }
}

async fn run_cli(cli: Cli) -> color_eyre::Result<ExitCode> {
    let paths = Paths::from_env();
    init_logging(&paths);
    if let Some(Command::Sim { pods, seed }) = &cli.command {
        return run_sim(*pods, seed.clone()).await;
    }
    let mut warnings: Vec<ConfigWarning> = Vec::new();
    let settings = Settings::load(paths.config_file().as_deref(), &mut warnings);
    if let Some(command) = cli.command {
        // Headless twins: warnings go to stderr, the kubeconfig is found as
        // for the TUI; cluster text is sanitized on a terminal.
        bosun::headless::term::configure(cli.raw);
        for warning in &warnings {
            eprintln!("bosun: warning: {warning}");
        }
        let loaded = locate_kubeconfig(&KubeconfigSearch::from_process(cli.kubeconfig.clone()))?;
        let context = cli.context.clone();
        let cli_repo = cli.repo.clone();
        let code = match command {
            Command::Certs { within, output } => {
                let args = bosun::headless::certs::CertsArgs {
                    within,
                    output,
                    context,
                };
                bosun::headless::certs::certs(&loaded, args).await
            }
            Command::Logs {
                target,
                namespace,
                container,
                follow,
                since,
                tail,
                previous,
                timestamps,
            } => {
                let args = bosun::headless::logs::LogsArgs {
                    target,
                    namespace,
                    container,
                    follow,
                    since,
                    tail,
                    previous,
                    timestamps,
                    context,
                };
                bosun::headless::logs::logs(&loaded, args).await
            }
            Command::Restart {
                target,
                namespace,
                wait,
                timeout,
            } => {
                let args = bosun::headless::RestartArgs {
                    target,
                    namespace,
                    wait,
                    timeout,
                    context,
                    readonly: cli.readonly || settings.readonly,
                };
                let audit = bosun::audit::AuditLog::new(paths.audit_file());
                bosun::headless::restart(&loaded, args, &audit).await
            }
            Command::Rollout { command } => {
                use bosun::cli::RolloutCommand as C;
                use bosun::cluster::argo_rollouts::actions::RolloutAction as A;
                use bosun::headless::RolloutVerb as V;
                let (verb, target) = match command {
                    C::Promote { target, full } => (
                        V::Act(if full { A::PromoteFull } else { A::Promote }),
                        target,
                    ),
                    C::Abort { target } => (V::Act(A::Abort), target),
                    C::Retry { target } => (V::Act(A::Retry), target),
                    C::Pause { target } => (V::Act(A::Pause), target),
                    C::Resume { target } => (V::Act(A::Resume), target),
                    C::Restart { target } => (V::Act(A::Restart), target),
                    C::SetImage { target, image } => match image.split_once('=') {
                        Some((container, image)) if !container.is_empty() && !image.is_empty() => (
                            V::Act(A::SetImage {
                                container: container.to_string(),
                                image: image.to_string(),
                            }),
                            target,
                        ),
                        _ => {
                            bosun::errln!("bosun: \"{image}\": expected CONTAINER=IMAGE");
                            return Ok(ExitCode::from(bosun::headless::EXIT_ERROR));
                        }
                    },
                    C::Status { target } => (V::Status, target),
                };
                let args = bosun::headless::RolloutArgs {
                    verb,
                    name: target.name,
                    namespace: target.namespace,
                    wait: target.wait,
                    timeout: target.timeout,
                    context,
                    readonly: cli.readonly || settings.readonly,
                };
                let audit = bosun::audit::AuditLog::new(paths.audit_file());
                bosun::headless::rollout(&loaded, args, &audit).await
            }
            Command::Undo {
                target,
                namespace,
                to_revision,
                history,
                wait,
                timeout,
            } => {
                let args = bosun::headless::UndoArgs {
                    target,
                    namespace,
                    to_revision,
                    history,
                    wait,
                    timeout,
                    context,
                    readonly: cli.readonly || settings.readonly,
                };
                let audit = bosun::audit::AuditLog::new(paths.audit_file());
                bosun::headless::undo(&loaded, args, &audit).await
            }
            Command::Status { output } => {
                let json = match output.as_str() {
                    "json" => true,
                    "table" | "wide" => false,
                    other => {
                        eprintln!("bosun: unknown output format \"{other}\" (table or json)");
                        return Ok(ExitCode::from(bosun::headless::EXIT_ERROR));
                    }
                };
                let args = gitops_args(&cli_repo, &cli.path, &settings, context, None, json);
                bosun::headless::gitops::status(&loaded, args).await
            }
            Command::Diff { app } => {
                let args = gitops_args(&cli_repo, &cli.path, &settings, context, app, false);
                bosun::headless::gitops::diff(&loaded, args).await
            }
            Command::Sync {
                app,
                prune,
                dry_run,
                yes,
                allow_shared,
                timeout,
                revision,
            } => {
                let Some(timeout) = bosun::config::settings::parse_duration(&timeout) else {
                    eprintln!("bosun: --timeout {timeout}: expected a duration like 5m");
                    return Ok(ExitCode::from(bosun::headless::EXIT_ERROR));
                };
                let args = gitops_args(&cli_repo, &cli.path, &settings, context, app, false);
                let sync = bosun::headless::gitops::SyncArgs {
                    prune,
                    dry_run,
                    yes,
                    allow_shared,
                    timeout,
                    revision,
                    readonly: cli.readonly || settings.readonly,
                };
                let audit = bosun::audit::AuditLog::new(paths.audit_file());
                bosun::headless::gitops::sync(&loaded, args, sync, &audit).await
            }
            Command::Build {
                name,
                wait,
                no_restart,
                print_setup,
                timeout,
            } => {
                let Some(timeout) = bosun::config::settings::parse_duration(&timeout) else {
                    eprintln!("bosun: --timeout {timeout}: expected a duration like 30m");
                    return Ok(ExitCode::from(bosun::headless::EXIT_ERROR));
                };
                let args = bosun::headless::build::BuildArgs {
                    name,
                    wait,
                    no_restart,
                    print_setup,
                    timeout,
                    repo: cli_repo.clone(),
                    repo_setting: settings.repo.clone(),
                    context,
                    readonly: cli.readonly || settings.readonly,
                    config: settings.builds.clone(),
                };
                let audit = bosun::audit::AuditLog::new(paths.audit_file());
                bosun::headless::build::build(&loaded, args, &audit).await
            }
            Command::Sim { pods, seed } => return run_sim(pods, seed).await,
        };
        return Ok(code);
    }
    let depth = ColorDepth::from_env();
    let theme_name = cli.theme.clone().unwrap_or_else(|| settings.theme.clone());
    let theme = load_theme(
        &theme_name,
        paths.themes_dir().as_deref(),
        depth,
        &mut warnings,
    );
    for warning in &warnings {
        tracing::warn!("{warning}");
    }

    let view_name = cli
        .view
        .clone()
        .unwrap_or_else(|| settings.default_view.clone());
    let Some(start_view) = ViewKind::from_command(&view_name) else {
        return Err(eyre!(
            "unknown view \"{view_name}\" for -c (try pods, deploy, sts, ds, jobs, hpa, ns, nodes, events, certs, apps, pulse, ctx)"
        ));
    };

    let demo = if cli.demo {
        Some(
            bosun::demo::start(0)
                .await
                .wrap_err("cannot start the demo cluster")?,
        )
    } else {
        None
    };
    let search = match &demo {
        Some(demo) => KubeconfigSearch {
            flag: Some(demo.cluster.kubeconfig_path().to_path_buf()),
            ..KubeconfigSearch::default()
        },
        None => KubeconfigSearch::from_process(cli.kubeconfig.clone()),
    };
    let loaded: LoadedKubeconfig = locate_kubeconfig(&search)?;
    let context_name = if demo.is_some() {
        None
    } else {
        cli.context.clone()
    };
    let info = context_info(&loaded, context_name.as_deref())?;
    tracing::info!(kubeconfig = %loaded.source.describe(), context = %info.context, "starting");

    let mut state = State::new(
        info,
        settings.keymap.clone(),
        start_view,
        bosun::cluster::age::now(),
    );
    state.warnings = warnings;
    state.pending_grace = settings.pending_grace.as_secs() as i64;
    state.readonly = cli.readonly || settings.readonly;
    state.log_capacity = settings.log_buffer_lines;
    if demo.is_some() {
        // The demo is a whole homelab: show all of it unless asked otherwise.
        state.namespace = None;
    }
    if let Some(namespace) = &cli.namespace {
        state.namespace = Some(namespace.clone());
    }
    if cli.all_namespaces {
        state.namespace = None;
    }
    state.contexts = ContextEntry::all(&loaded);

    // The GitOps repo: the demo's own, else --repo / config / cwd.
    let mut demo_repo = None;
    let workspace = match &demo {
        Some(demo) => match prepare_demo_repo(&loaded, demo).await {
            Ok(repo) => {
                let ws = bosun::gitops::workspace::Workspace {
                    root: repo.root.clone(),
                    git: true,
                    scope: None,
                };
                demo_repo = Some(repo);
                Ok(ws)
            }
            Err(e) => Err(format!("the demo repo could not be prepared: {e}")),
        },
        None => bosun::gitops::workspace::locate(cli.repo.as_deref(), settings.repo.as_deref()),
    };

    let (sender, mut receiver) = tokio::sync::mpsc::channel(1024);
    let mut runtime = Runtime::new(
        loaded,
        sender.clone(),
        RuntimeOptions {
            metrics_interval: settings.metrics_interval,
            watch_list: settings.watch_list,
            audit: bosun::audit::AuditLog::new(paths.audit_file()),
            rollout_timeout: settings.rollout_timeout,
            kubectl: settings.kubectl.clone(),
            helm: settings.helm.clone(),
            save_dir: paths.state_dir.as_ref().map(|dir| dir.join("logs")),
            builds: if demo.is_some() && settings.builds.node.is_none() {
                // The demo's remote is a local bare repo the cluster cannot
                // clone: build from "the node's checkout" on k3s-server.
                bosun::builds::launch::LaunchConfig {
                    mode: bosun::builds::launch::ContextMode::HostPath,
                    node: Some("k3s-server".into()),
                    ..settings.builds.clone()
                }
            } else {
                settings.builds.clone()
            },
        },
    );
    match workspace {
        Ok(ws) => runtime.start_gitops(
            ws.root.clone(),
            ws.git,
            bosun::app::gitops_service::GitopsOptions {
                fetch_interval: settings.fetch_interval,
                refresh_interval: settings.refresh_interval,
                debounce: std::time::Duration::from_millis(300),
                audit: bosun::audit::AuditLog::new(paths.audit_file()),
                entry: ws
                    .load_options(cli.path.as_deref().or(settings.path.as_deref()), None)
                    .entry,
                cache_dir: paths.cache_dir.clone(),
            },
        ),
        Err(error) => state.gitops.setup_error = Some(error),
    }
    for event in runtime
        .execute(Effect::Connect {
            epoch: 0,
            context: Some(state.context.context.clone()),
            first: bosun::app::update::first_kinds(&state),
        })
        .await
    {
        bosun::app::update::update(&mut state, event);
    }

    let mut terminal = ratatui::try_init().wrap_err("cannot set up the terminal")?;
    let mut input = run::TerminalInput::start(sender.clone());
    let ticker = run::spawn_ticker(sender.clone());
    let signals = run::spawn_signals(sender);
    let result = run::run(
        &mut terminal,
        &mut state,
        &mut runtime,
        &mut receiver,
        &theme,
        &mut input,
    )
    .await;
    ratatui::restore();
    drop(input);
    ticker.abort();
    signals.abort();
    drop(runtime);
    drop(demo_repo);
    drop(demo);
    result.wrap_err("the terminal failed")?;
    Ok(ExitCode::SUCCESS)
}

async fn run_sim(pods: usize, seed: Option<std::path::PathBuf>) -> color_eyre::Result<ExitCode> {
    match seed {
        Some(dir) => {
            let options = bosun::sim::SimOptions {
                seed_dir: Some(dir),
                synthetic_pods: pods,
                ..Default::default()
            };
            serve(&bosun::sim::SimCluster::start(options).await?).await
        }
        None => serve(&bosun::demo::start(pods).await?.cluster).await,
    }
}

async fn serve(cluster: &bosun::sim::SimCluster) -> color_eyre::Result<ExitCode> {
    let mut stdout = std::io::stdout();
    writeln!(stdout, "{}", cluster.kubeconfig_path().display())?;
    stdout.flush()?;
    tokio::signal::ctrl_c().await?;
    Ok(ExitCode::SUCCESS)
}

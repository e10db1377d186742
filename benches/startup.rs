//! End to end: time from start to the first full pods screen, and RSS, with
//! 5,000 and 20,000 pods in the simulated cluster (DESIGN §13).
//! `cargo bench --bench startup`. The cluster runs in a separate process
//! (`bosun sim`) so its memory is not counted; each size is measured in a
//! fresh process of this bench.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use bosun::app::runtime::{Runtime, RuntimeOptions};
use bosun::app::state::State;
use bosun::app::update::update;
use bosun::app::view::ViewKind;
use bosun::app::{Effect, run};
use bosun::cluster::client::{KubeconfigSearch, context_info, locate_kubeconfig};
use bosun::cluster::kind::ResourceKind;
use bosun::cluster::watch::WatchStatus;
use bosun::config::keymap::Keymap;
use bosun::config::settings::WatchListSetting;
use bosun::config::theme::Theme;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|line| line.starts_with("VmRSS:"))
                .and_then(|line| line.split_whitespace().nth(1))
                .and_then(|kib| kib.parse().ok())
        })
        .unwrap_or(0)
}

async fn measure(kubeconfig: std::path::PathBuf, expected: usize) {
    let baseline = rss_kib();
    let started = Instant::now();
    let loaded = locate_kubeconfig(&KubeconfigSearch {
        flag: Some(kubeconfig),
        ..Default::default()
    })
    .expect("kubeconfig");
    let info = context_info(&loaded, None).expect("context");
    let mut state = State::new(
        info,
        Keymap::defaults(),
        ViewKind::Resource(ResourceKind::Pods),
        bosun::cluster::age::now(),
    );
    state.namespace = None;
    let (sender, mut receiver) = tokio::sync::mpsc::channel(1024);
    let mut runtime = Runtime::new(
        loaded,
        sender,
        RuntimeOptions {
            metrics_interval: Duration::from_secs(15),
            watch_list: WatchListSetting::List,
            audit: bosun::audit::AuditLog::default(),
            rollout_timeout: Duration::from_secs(60),
            kubectl: "kubectl".to_string(),
            helm: "helm".to_string(),
            save_dir: None,
            builds: Default::default(),
        },
    );
    for event in runtime
        .execute(Effect::Connect {
            epoch: 0,
            context: None,
            first: bosun::app::update::first_kinds(&state),
        })
        .await
    {
        update(&mut state, event);
    }
    let theme = Theme::builtin_default();
    let mut terminal = Terminal::new(TestBackend::new(200, 50)).expect("terminal");
    while !(state.stores.pods.len() >= expected
        && state.status_of(ResourceKind::Pods) == WatchStatus::Live)
    {
        let Some(event) = receiver.recv().await else {
            break;
        };
        for effect in update(&mut state, event) {
            runtime.execute(effect).await;
        }
    }
    run::draw(&mut terminal, &mut state, &theme).expect("draw");
    let first_screen = started.elapsed();
    // Let the other kinds and the first metrics poll land, then settle.
    let settle = Instant::now() + Duration::from_secs(3);
    while let Ok(Some(event)) = tokio::time::timeout_at(settle.into(), receiver.recv()).await {
        for effect in update(&mut state, event) {
            runtime.execute(effect).await;
        }
    }
    run::draw(&mut terminal, &mut state, &theme).expect("draw");
    let rss = rss_kib();
    println!(
        "{:>6} pods: first full pods screen {:>7.1} ms; RSS {:>6.1} MB ({:.1} MB over the {:.1} MB baseline, {} B/pod)",
        state.stores.pods.len(),
        first_screen.as_secs_f64() * 1e3,
        rss as f64 / 1024.0,
        rss.saturating_sub(baseline) as f64 / 1024.0,
        baseline as f64 / 1024.0,
        (rss.saturating_sub(baseline) * 1024) / state.stores.pods.len().max(1) as u64,
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(position) = args.iter().position(|arg| arg == "--measure") {
        let kubeconfig = std::path::PathBuf::from(&args[position + 1]);
        let expected: usize = args[position + 2].parse().expect("count");
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(measure(kubeconfig, expected));
        return;
    }
    let bosun = env!("CARGO_BIN_EXE_bosun");
    for pods in [5_000usize, 20_000] {
        let mut sim = Command::new(bosun)
            .args(["sim", "--pods", &pods.to_string()])
            .stdout(Stdio::piped())
            .spawn()
            .expect("bosun sim starts");
        let mut line = String::new();
        let stdout = sim.stdout.take().expect("stdout");
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("kubeconfig path");
        let me = std::env::current_exe().expect("bench path");
        // The demo seed adds its own 46 pods to the synthetic ones.
        let status = Command::new(me)
            .args(["--measure", line.trim(), &pods.to_string()])
            .status()
            .expect("measure");
        let _ = sim.kill();
        let _ = sim.wait();
        assert!(status.success());
    }
}

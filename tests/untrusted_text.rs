//! Untrusted text stays text: a container whose log lines hold terminal
//! control sequences (colours, a window title, an OSC 52 clipboard write,
//! a bidi override). `bosun logs` strips them on a terminal, passes them
//! unchanged into a pipe, and unchanged with `--raw` on a terminal.

mod common;

use std::io::Read;
use std::time::{Duration, Instant};

use bosun::sim::{SimCluster, SimOptions};
use portable_pty::{CommandBuilder, PtySize, native_pty_system};

async fn hostile_cluster() -> SimCluster {
    let sim = SimCluster::start(SimOptions {
        rollout_step: Duration::from_millis(50),
        ..SimOptions::default()
    })
    .await
    .expect("sim");
    sim.apply_object(serde_json::json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "hostile", "namespace": "default"},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "hostile"}},
            "template": {"metadata": {"labels": {"app": "hostile"}},
                "spec": {"containers": [{"name": "app", "image": "example.com/hostile:1"}]}}}
    }))
    .expect("deployment");
    sim
}

fn args(sim: &SimCluster, raw: bool) -> Vec<String> {
    let mut args = vec![
        "--kubeconfig".to_string(),
        sim.kubeconfig_path().display().to_string(),
        "logs".into(),
        "deploy/hostile".into(),
        "-n".into(),
        "default".into(),
        "--tail".into(),
        "3".into(),
    ];
    if raw {
        args.push("--raw".into());
    }
    args
}

/// The bytes `bosun logs` writes to a pseudo-terminal.
fn on_a_terminal(args: Vec<String>, state: &std::path::Path) -> Vec<u8> {
    let pty = native_pty_system()
        .openpty(PtySize {
            rows: 40,
            cols: 200,
            pixel_width: 0,
            pixel_height: 0,
        })
        .expect("pty");
    let mut command = CommandBuilder::new(env!("CARGO_BIN_EXE_bosun"));
    command.args(&args);
    command.env("BOSUN_STATE_DIR", state);
    command.env("BOSUN_CONFIG_DIR", state);
    let mut child = pty.slave.spawn_command(command).expect("starts");
    drop(pty.slave);
    let mut reader = pty.master.try_clone_reader().expect("reader");
    let pump = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let mut buffer = [0u8; 4096];
        while let Ok(n) = reader.read(&mut buffer) {
            if n == 0 {
                break;
            }
            bytes.extend_from_slice(&buffer[..n]);
        }
        bytes
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if child.try_wait().ok().flatten().is_some() {
            break;
        }
        assert!(Instant::now() < deadline, "bosun logs did not finish");
        std::thread::sleep(Duration::from_millis(50));
    }
    drop(pty.master);
    pump.join().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn control_sequences_are_stripped_on_a_terminal_and_kept_in_a_pipe() {
    let sim = hostile_cluster().await;
    let state = tempfile::tempdir().expect("state");
    // Wait for the pod to run and write a few lines.
    let deadline = Instant::now() + Duration::from_secs(20);
    let piped = loop {
        let path = state.path().to_path_buf();
        let argv = args(&sim, false);
        let output = tokio::task::spawn_blocking(move || {
            std::process::Command::new(env!("CARGO_BIN_EXE_bosun"))
                .args(&argv)
                .env("BOSUN_STATE_DIR", &path)
                .env("BOSUN_CONFIG_DIR", &path)
                .output()
                .expect("runs")
        })
        .await
        .expect("join");
        if output.status.success() && output.stdout.windows(3).any(|w| w == b"RED") {
            break output.stdout;
        }
        assert!(
            Instant::now() < deadline,
            "no log lines: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    // Into a pipe: the bytes as the container wrote them.
    let piped = String::from_utf8_lossy(&piped).into_owned();
    assert!(piped.contains("\u{1b}[31mRED"), "{piped:?}");
    assert!(piped.contains("\u{1b}]0;pwned title\u{7}"), "{piped:?}");

    // On a terminal: the text, none of the sequences.
    let path = state.path().to_path_buf();
    let argv = args(&sim, false);
    let shown = tokio::task::spawn_blocking(move || on_a_terminal(argv, &path))
        .await
        .expect("join");
    let shown = String::from_utf8_lossy(&shown).into_owned();
    assert!(shown.contains("RED"), "{shown:?}");
    for sequence in ["\u{1b}[31m", "\u{1b}]0;", "\u{1b}]52;", "\u{7}", "\u{202e}"] {
        assert!(
            !shown.contains(sequence),
            "{sequence:?} reached the terminal: {shown:?}"
        );
    }
    assert!(shown.contains("tab\there"), "tabs are text: {shown:?}");

    // --raw: the terminal gets the bytes unchanged.
    let path = state.path().to_path_buf();
    let argv = args(&sim, true);
    let raw = tokio::task::spawn_blocking(move || on_a_terminal(argv, &path))
        .await
        .expect("join");
    let raw = String::from_utf8_lossy(&raw).into_owned();
    assert!(raw.contains("\u{1b}]0;pwned title"), "{raw:?}");
}

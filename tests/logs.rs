//! Log tailing: the line parser, the logs view's ring buffer, `tail`
//! against the simulated cluster over HTTP (one container, previous,
//! follow, a cut stream resumed without duplicates or gaps, failures), and
//! the `bosun logs` binary with its exit codes.

mod common;

use std::process::Stdio;
use std::time::Duration;

use bosun::cluster::logs::{
    LogEvent, LogLine, LogOptions, LogTarget, format_timestamp, parse_line, tail,
};
use bosun::cluster::rows::RowKey;
use bosun::logbuf::LogBuffer;
use bosun::sim::{SimCluster, SimOptions};
use common::{kube_client, sample_cluster, samples_dir};
use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use kube::api::DeleteParams;
use tokio::io::AsyncBufReadExt;
use tokio::sync::mpsc;

const BLOG_POD: &str = "blog-cd8gjjstfr-76jmj";
const BLOG_POD_2: &str = "blog-cd8gjjstfr-t4zhr";
const EXPORTER_POD: &str = "redis-exporter-5t2f5lfzb-pjsgx";
const WAITING_POD: &str = "blog-comments-qcwtwk86t-kc6s6";

fn line(source: u32, nanos: i64, text: &str) -> LogLine {
    LogLine {
        source,
        nanos,
        text: text.into(),
    }
}

fn texts(buffer: &LogBuffer) -> Vec<String> {
    (0..buffer.len())
        .filter_map(|i| buffer.get(i))
        .map(|l| l.text.to_string())
        .collect()
}

fn seq_of(text: &str) -> u64 {
    text.split("seq=")
        .nth(1)
        .and_then(|s| s.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no seq in {text}"))
}

fn assert_consecutive(lines: &[LogLine]) {
    let seqs: Vec<u64> = lines.iter().map(|l| seq_of(&l.text)).collect();
    assert!(
        seqs.windows(2).all(|w| w[1] == w[0] + 1),
        "gap or duplicate: {seqs:?}"
    );
}

async fn fast_cluster() -> SimCluster {
    SimCluster::start(SimOptions {
        seed_dir: Some(samples_dir()),
        bookmark_interval: Duration::from_millis(500),
        log_interval: Duration::from_millis(20),
        ..SimOptions::default()
    })
    .await
    .expect("the simulated cluster starts")
}

fn target(namespace: &str, pod: &str, container: &str) -> LogTarget {
    LogTarget {
        pod: RowKey::new(namespace, pod),
        container: container.to_string(),
    }
}

/// Run a non-following tail to its end: (lines, the end's reason, batches).
async fn tail_to_end(
    client: kube::Client,
    target: LogTarget,
    options: LogOptions,
) -> (Vec<LogLine>, Option<String>, usize) {
    let (sender, mut receiver) = mpsc::channel::<LogEvent>(16);
    let task = tokio::spawn(tail(client, 7, target, options, sender));
    let mut lines = Vec::new();
    let mut batches = 0;
    let reason = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match receiver.recv().await {
                Some(LogEvent::Lines(batch)) => {
                    assert!(!batch.is_empty(), "empty batches are not sent");
                    batches += 1;
                    lines.extend(batch);
                }
                Some(LogEvent::Ended { source, reason }) => {
                    assert_eq!(source, 7);
                    return reason;
                }
                Some(LogEvent::Reconnecting { error, .. }) => {
                    panic!("a non-following tail does not reconnect: {error}")
                }
                None => panic!("the tail stopped without Ended"),
            }
        }
    })
    .await
    .expect("the tail ends in time");
    task.await.expect("the tail task finishes");
    (lines, reason, batches)
}

// ---------------------------------------------------------------- parsing

#[test]
fn parse_line_splits_the_kubelet_timestamp() {
    let (nanos, text) = parse_line("2026-11-22T01:02:03.123456789Z GET / 200");
    assert_eq!(text, "GET / 200");
    let expected: jiff::Timestamp = "2026-11-22T01:02:03.123456789Z".parse().expect("ts");
    assert_eq!(i128::from(nanos), expected.as_nanosecond());
    assert_eq!(format_timestamp(nanos), "2026-11-22T01:02:03.123456789Z");
    // Coarser precision and offsets are RFC 3339 too.
    let (nanos, text) = parse_line("2026-11-22T01:02:03Z started");
    assert_eq!((nanos % 1_000_000_000, text), (0, "started"));
    assert!(nanos > 0);
    let (nanos, _) = parse_line("2026-11-22T02:02:03.5+01:00 x");
    assert_eq!(
        format_timestamp(nanos),
        "2026-11-22T01:02:03.500000000Z",
        "offsets are normalised to UTC"
    );
    // A timestamp with nothing after it is an empty line.
    let (nanos, text) = parse_line("2026-11-22T01:02:03.1Z");
    assert!(nanos > 0);
    assert_eq!(text, "");
    // No timestamp: the whole line, nanos 0.
    for raw in [
        "",
        "plain text",
        "2026 was a year",
        "2026-11-22 01:02:03 not rfc3339",
        "2026-11-22Tgarbage-here-and-more text",
        "   leading spaces",
    ] {
        assert_eq!(parse_line(raw), (0, raw), "{raw:?}");
    }
}

// ---------------------------------------------------------------- LogBuffer

#[test]
fn buffer_keeps_capacity_and_counts_dropped_lines() {
    let mut buffer = LogBuffer::new(5);
    assert!(buffer.is_empty());
    buffer.push((1..=3).map(|i| line(0, i, &format!("l{i}"))).collect());
    assert_eq!((buffer.len(), buffer.dropped()), (3, 0));
    buffer.push((4..=9).map(|i| line(0, i, &format!("l{i}"))).collect());
    assert_eq!((buffer.len(), buffer.dropped()), (5, 4));
    assert_eq!(texts(&buffer), ["l5", "l6", "l7", "l8", "l9"]);
    assert_eq!(buffer.get(5), None);
    // An old line merged into a full buffer is the one evicted.
    buffer.push(vec![line(1, 2, "old")]);
    assert_eq!((buffer.len(), buffer.dropped()), (5, 5));
    assert_eq!(texts(&buffer), ["l5", "l6", "l7", "l8", "l9"]);
    buffer.clear();
    assert!(buffer.is_empty());
    assert_eq!(buffer.dropped(), 5, "clearing is not dropping");
}

#[test]
fn buffer_merges_out_of_order_batches_by_time() {
    let mut buffer = LogBuffer::new(100);
    buffer.push(vec![
        line(0, 100, "a100"),
        line(0, 200, "a200"),
        line(0, 300, "a300"),
        line(0, 400, "a400"),
    ]);
    // Another pod's history reaches back in time.
    buffer.push(vec![
        line(1, 150, "b150"),
        line(1, 200, "b200"),
        line(1, 350, "b350"),
    ]);
    assert_eq!(
        texts(&buffer),
        ["a100", "b150", "a200", "b200", "a300", "b350", "a400"],
        "equal times keep arrival order"
    );
    // Entirely older than everything.
    buffer.push(vec![line(2, 10, "c10"), line(2, 20, "c20")]);
    // Entirely newer: appended.
    buffer.push(vec![line(2, 500, "c500")]);
    let nanos: Vec<i64> = (0..buffer.len())
        .filter_map(|i| buffer.get(i))
        .map(|l| l.nanos)
        .collect();
    assert!(nanos.windows(2).all(|w| w[0] <= w[1]), "{nanos:?}");
    assert_eq!(buffer.len(), 10);
    // A line without a timestamp is appended where it arrives.
    buffer.push(vec![line(3, 0, "no time")]);
    assert_eq!(buffer.get(10).map(|l| &*l.text), Some("no time"));
    buffer.push(vec![line(3, 600, "c600")]);
    assert_eq!(buffer.get(11).map(|l| &*l.text), Some("c600"));
    assert_eq!(buffer.get(1).map(|l| l.source), Some(2));
}

#[test]
fn buffer_searches_and_filters_with_context() {
    let mut buffer = LogBuffer::new(100);
    let words = [
        "start",
        "ERROR one",
        "ok",
        "ok",
        "ok",
        "ok",
        "error two",
        "ok",
        "Error three",
        "ok",
        "ok",
        "ok",
    ];
    buffer.push(
        words
            .iter()
            .enumerate()
            .map(|(i, w)| line(0, i as i64 + 1, w))
            .collect(),
    );
    assert_eq!(buffer.matches("error"), [1, 6, 8]);
    assert_eq!(buffer.matches("ERROR T"), [6, 8]);
    assert_eq!(buffer.matches("nothing"), Vec::<usize>::new());
    assert_eq!(buffer.filtered("error", 0), [1, 6, 8]);
    // Windows 0..=2, 5..=7 and 7..=9 overlap and merge.
    assert_eq!(buffer.filtered("error", 1), [0, 1, 2, 5, 6, 7, 8, 9]);
    assert_eq!(
        buffer.filtered("error", 2),
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    );
    // Context is clipped at both ends.
    assert_eq!(buffer.filtered("start", 3), [0, 1, 2, 3]);
    assert_eq!(buffer.filtered("nothing", 3), Vec::<usize>::new());
    // Non-ASCII needles fold case too.
    buffer.push(vec![line(0, 100, "Grüße aus Köln")]);
    assert_eq!(buffer.matches("KÖLN"), [12]);
}

#[test]
fn buffer_generation_bumps_on_every_change() {
    let mut buffer = LogBuffer::new(3);
    let g0 = buffer.generation();
    buffer.push(vec![line(0, 1, "a")]);
    let g1 = buffer.generation();
    assert_ne!(g0, g1);
    buffer.push(Vec::new());
    assert_eq!(buffer.generation(), g1, "nothing pushed, nothing changed");
    buffer.push(vec![line(0, 2, "b"), line(0, 3, "c"), line(0, 4, "d")]);
    let g2 = buffer.generation();
    assert_ne!(g1, g2);
    buffer.clear();
    assert_ne!(buffer.generation(), g2);
}

#[test]
fn buffer_saves_as_text() {
    let mut buffer = LogBuffer::new(10);
    let t = |s: &str| parse_line(s).0;
    buffer.push(vec![line(0, t("2026-11-22T01:02:03.5Z x"), "first")]);
    buffer.push(vec![line(1, t("2026-11-22T01:02:04Z x"), "second")]);
    buffer.push(vec![line(1, 0, "untimed")]);
    let one = ["web-1/app".to_string()];
    assert_eq!(buffer.to_text(&one, false), "first\nsecond\nuntimed\n");
    let two = ["web-1/app".to_string(), "web-2/app".to_string()];
    assert_eq!(
        buffer.to_text(&two, false),
        "[web-1/app] first\n[web-2/app] second\n[web-2/app] untimed\n"
    );
    assert_eq!(
        buffer.to_text(&two, true),
        "[web-1/app] 2026-11-22T01:02:03.500000000Z first\n\
         [web-2/app] 2026-11-22T01:02:04.000000000Z second\n\
         [web-2/app] untimed\n"
    );
    assert_eq!(LogBuffer::new(4).to_text(&two, true), "");
}

// ---------------------------------------------------------------- tail

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tail_reads_one_container_with_tail_lines() {
    let sim = sample_cluster().await;
    let client = kube_client(&sim).await;
    let (lines, reason, _) = tail_to_end(
        client.clone(),
        target("blog", BLOG_POD, "ghost"),
        LogOptions {
            tail_lines: Some(5),
            ..LogOptions::default()
        },
    )
    .await;
    assert_eq!(reason, None);
    assert_eq!(lines.len(), 5, "{lines:?}");
    assert!(lines.iter().all(|l| l.source == 7 && l.nanos > 0));
    assert!(lines.iter().all(|l| l.text.contains("INFO \"GET ")));
    assert!(lines.windows(2).all(|w| w[0].nanos <= w[1].nanos));
    assert_consecutive(&lines);
    // The whole kept history (2,000 lines) comes in batches of at most 1,000.
    let (all, reason, batches) = tail_to_end(
        client,
        target("blog", BLOG_POD, "ghost"),
        LogOptions::default(),
    )
    .await;
    assert_eq!(reason, None);
    assert_eq!(all.len(), 2_000);
    assert!(batches >= 2, "{batches} batches");
    assert_consecutive(&all);
    assert_eq!(all.last(), lines.last());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tail_previous_of_a_crash_looping_container() {
    let sim = sample_cluster().await;
    let client = kube_client(&sim).await;
    let (lines, reason, _) = tail_to_end(
        client.clone(),
        target("redis", EXPORTER_POD, "exporter"),
        LogOptions {
            previous: true,
            ..LogOptions::default()
        },
    )
    .await;
    assert_eq!(reason, None);
    assert!(lines.len() >= 2, "{lines:?}");
    let last = lines.last().expect("a line");
    assert!(
        last.text.contains("level=error") && last.text.contains("connection refused"),
        "{last:?}"
    );
    assert_consecutive(&lines);
    // A container that never restarted has no previous log: the API's reason.
    let (lines, reason, _) = tail_to_end(
        client,
        target("blog", BLOG_POD, "ghost"),
        LogOptions {
            previous: true,
            ..LogOptions::default()
        },
    )
    .await;
    assert!(lines.is_empty());
    assert_eq!(
        reason.as_deref(),
        Some("previous terminated container \"ghost\" in pod \"blog-cd8gjjstfr-76jmj\" not found")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tail_ends_with_a_reason_for_a_waiting_container_or_a_missing_pod() {
    let sim = sample_cluster().await;
    let client = kube_client(&sim).await;
    for follow in [false, true] {
        let (lines, reason, _) = tail_to_end(
            client.clone(),
            target("blog", WAITING_POD, "comments"),
            LogOptions {
                follow,
                ..LogOptions::default()
            },
        )
        .await;
        assert!(lines.is_empty());
        let reason = reason.expect("a reason");
        assert!(reason.contains("is waiting to start"), "{reason}");
        let (_, reason, _) = tail_to_end(
            client.clone(),
            target("blog", "no-such-pod", "ghost"),
            LogOptions {
                follow,
                ..LogOptions::default()
            },
        )
        .await;
        let reason = reason.expect("a reason");
        assert!(reason.contains("no-such-pod"), "{reason}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follow_survives_cuts_without_duplicates_or_gaps() {
    let sim = fast_cluster().await;
    let client = kube_client(&sim).await;
    let (sender, mut receiver) = mpsc::channel::<LogEvent>(64);
    let task = tokio::spawn(tail(
        client.clone(),
        3,
        target("default", "netshoot", "netshoot"),
        LogOptions {
            follow: true,
            tail_lines: Some(3),
            ..LogOptions::default()
        },
        sender,
    ));
    let mut lines: Vec<LogLine> = Vec::new();
    let mut reconnects = 0;
    let mut cuts = 0;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    // Lines arrive over time; cut the stream twice along the way.
    while cuts < 2 || lines.len() < 60 || reconnects < 2 {
        if (cuts == 0 && lines.len() >= 15) || (cuts == 1 && reconnects == 1 && lines.len() >= 35) {
            sim.drop_log_streams();
            cuts += 1;
        }
        match tokio::time::timeout_at(deadline, receiver.recv()).await {
            Ok(Some(LogEvent::Lines(batch))) => {
                assert!(batch.iter().all(|l| l.source == 3 && l.nanos > 0));
                lines.extend(batch);
            }
            Ok(Some(LogEvent::Reconnecting { source, error })) => {
                assert_eq!(source, 3);
                assert!(!error.is_empty());
                reconnects += 1;
            }
            Ok(Some(LogEvent::Ended { reason, .. })) => panic!("ended: {reason:?}"),
            Ok(None) => panic!("the tail stopped"),
            Err(_) => panic!(
                "timed out: {} lines, {reconnects} reconnects, {cuts} cuts",
                lines.len()
            ),
        }
    }
    assert_eq!(reconnects, 2, "one reconnect per cut");
    assert_consecutive(&lines);
    assert!(lines.windows(2).all(|w| w[0].nanos <= w[1].nanos));

    // Deleting the pod ends the follow, without a reason.
    Api::<Pod>::namespaced(client, "default")
        .delete("netshoot", &DeleteParams::default())
        .await
        .expect("delete");
    let end = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match receiver.recv().await {
                Some(LogEvent::Ended { source, reason }) => return (source, reason),
                Some(_) => {}
                None => panic!("stopped without Ended"),
            }
        }
    })
    .await
    .expect("the follow ends when the pod is deleted");
    assert_eq!(end, (3, None));
    task.await.expect("the task finishes");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follow_streams_lines_as_they_are_written_in_small_batches() {
    let sim = fast_cluster().await;
    let client = kube_client(&sim).await;
    let (sender, mut receiver) = mpsc::channel::<LogEvent>(64);
    let task = tokio::spawn(tail(
        client,
        0,
        target("blog", BLOG_POD, "ghost"),
        LogOptions {
            follow: true,
            tail_lines: Some(0),
            ..LogOptions::default()
        },
        sender,
    ));
    let started = std::time::Instant::now();
    let mut lines = Vec::new();
    let mut batches = 0;
    while lines.len() < 25 {
        match tokio::time::timeout(Duration::from_secs(5), receiver.recv()).await {
            Ok(Some(LogEvent::Lines(batch))) => {
                batches += 1;
                lines.extend(batch);
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    // 20 ms lines, 50 ms batches: several lines per batch, over time.
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert!(batches >= 3 && batches < lines.len(), "{batches} batches");
    assert_consecutive(&lines);
    task.abort();
}

// ---------------------------------------------------------------- the binary

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

async fn bosun(sim: &SimCluster, args: &[&str]) -> Run {
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_bosun"))
        .arg("--kubeconfig")
        .arg(sim.kubeconfig_path())
        .arg("logs")
        .args(args)
        .env("NO_COLOR", "1")
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(30), output)
        .await
        .expect("bosun logs finishes in time")
        .expect("bosun runs");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binary_prints_one_pod_bare_and_honours_tail() {
    let sim = sample_cluster().await;
    let run = bosun(&sim, &[BLOG_POD, "-n", "blog", "--tail", "5"]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 5, "{}", run.stdout);
    // Bare lines: ghost's own "[date] INFO ..." with no prefix, no timestamp.
    assert!(
        lines
            .iter()
            .all(|l| l.starts_with('[') && l.contains(" INFO "))
    );
    let seqs: Vec<u64> = lines.iter().map(|l| seq_of(l)).collect();
    assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1), "{seqs:?}");

    let run = bosun(
        &sim,
        &[
            &format!("pod/{BLOG_POD}"),
            "-n",
            "blog",
            "--tail",
            "2",
            "--timestamps",
        ],
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    for l in run.stdout.lines() {
        let (stamp, rest) = l.split_once(' ').expect("a timestamp");
        assert!(stamp.parse::<jiff::Timestamp>().is_ok(), "{l}");
        assert!(rest.starts_with('['), "{l}");
    }
    assert_eq!(run.stdout.lines().count(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binary_merges_a_deployments_pods_in_time_order() {
    let sim = sample_cluster().await;
    let run = bosun(
        &sim,
        &["deploy/blog", "-n", "blog", "--tail", "20", "--timestamps"],
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 40, "{}", run.stdout);
    let mut stamps = Vec::new();
    for pod in [BLOG_POD, BLOG_POD_2] {
        let prefix = format!("{pod}/ghost ");
        let own: Vec<&str> = lines
            .iter()
            .filter_map(|l| l.strip_prefix(&prefix))
            .collect();
        assert_eq!(own.len(), 20, "{pod}: {}", run.stdout);
        let seqs: Vec<u64> = own.iter().map(|l| seq_of(l)).collect();
        assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1), "{seqs:?}");
    }
    for l in &lines {
        let mut parts = l.splitn(3, ' ');
        let (Some(_source), Some(stamp)) = (parts.next(), parts.next()) else {
            panic!("{l}");
        };
        stamps.push(stamp.parse::<jiff::Timestamp>().expect("a timestamp"));
    }
    assert!(
        stamps.windows(2).all(|w| w[0] <= w[1]),
        "merged in time order:\n{}",
        run.stdout
    );
    // Both pods interleave rather than one after the other.
    let first_pod = lines.first().and_then(|l| l.split('/').next());
    assert!(
        lines[..20].iter().any(|l| l.split('/').next() != first_pod),
        "{}",
        run.stdout
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binary_previous_and_exit_codes() {
    let sim = sample_cluster().await;
    let run = bosun(&sim, &[EXPORTER_POD, "-n", "redis", "--previous"]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let last = run.stdout.lines().last().expect("lines");
    assert!(last.contains("connection refused"), "{}", run.stdout);

    // The command ran, but the source failed: 1, with the API's reason.
    let run = bosun(&sim, &[BLOG_POD, "-n", "blog", "--previous"]).await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("previous terminated container \"ghost\""),
        "{}",
        run.stderr
    );
    let run = bosun(&sim, &[WAITING_POD, "-n", "blog"]).await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("waiting to start"), "{}", run.stderr);

    // Nothing to stream: 2, naming what is missing.
    let run = bosun(&sim, &["no-such-pod", "-n", "blog"]).await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("\"no-such-pod\""), "{}", run.stderr);
    assert!(run.stdout.is_empty());
    let run = bosun(&sim, &["deploy/no-such-deploy", "-n", "blog"]).await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("no-such-deploy"), "{}", run.stderr);
    let run = bosun(&sim, &["svc/blog", "-n", "blog"]).await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    let run = bosun(&sim, &[BLOG_POD, "-n", "blog", "--since", "five"]).await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    let run = bosun(&sim, &[BLOG_POD, "-n", "blog", "-c", "nope"]).await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("nope"), "{}", run.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binary_follows_and_exits_quietly_when_stdout_closes() {
    let sim = sample_cluster().await;
    // `bosun logs -f deploy/blog | head -n 3`
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_bosun"))
        .arg("--kubeconfig")
        .arg(sim.kubeconfig_path())
        .args(["logs", "-f", "deploy/blog", "-n", "blog"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("bosun runs");
    let stdout = child.stdout.take().expect("stdout");
    let mut reader = tokio::io::BufReader::new(stdout).lines();
    for _ in 0..3 {
        let line = tokio::time::timeout(Duration::from_secs(10), reader.next_line())
            .await
            .expect("a line in time")
            .expect("readable")
            .expect("a line");
        assert!(line.starts_with("blog-cd8gjjstfr-"), "{line}");
    }
    drop(reader);
    let output = tokio::time::timeout(Duration::from_secs(10), child.wait_with_output())
        .await
        .expect("bosun exits once stdout is gone")
        .expect("status");
    assert_eq!(output.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.is_empty(), "quiet: {stderr}");
}

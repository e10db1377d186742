//! Log ingestion into the logs view's ring buffer (DESIGN §13, issue 3):
//! `cargo bench --bench logs`.
//!
//! - lines/s for 1,000,000 lines in batches of 1,000 into a 100,000-line
//!   buffer (target > 200,000 lines/s): push alone, and parse + push from
//!   raw kubelet lines;
//! - the same with 2 interleaved sources (every other batch reaches back in
//!   time and is merged);
//! - RSS with an endless stream: 2,000,000 lines, VmRSS before, after the
//!   first 200,000 and at the end (must stay flat).

use std::time::{Duration, Instant};

use bosun::cluster::logs::{LogLine, format_timestamp, parse_line};
use bosun::logbuf::LogBuffer;

const CAPACITY: usize = 100_000;
const LINES: usize = 1_000_000;
const BATCH: usize = 1_000;
const ENDLESS: usize = 2_000_000;
/// 2026-01-01T00:00:00Z, one line every millisecond.
const START: i64 = 1_767_225_600_000_000_000;
const STEP: i64 = 1_000_000;

fn text(seq: usize) -> String {
    format!(
        "10.42.{}.{} - - \"GET /posts/self-hosting-notes/?seq={seq} HTTP/1.1\" 200 {} \"-\" \"Mozilla/5.0 (X11; Linux x86_64)\"",
        seq % 3,
        seq % 250,
        seq % 20_000
    )
}

/// Batch `b` of `source`; with two sources, source 1's lines fall between
/// source 0's, so its batches reach back into what is already buffered.
fn batch(source: u32, b: usize, sources: usize) -> Vec<LogLine> {
    (0..BATCH)
        .map(|i| {
            let seq = b * BATCH + i;
            let nanos = START + seq as i64 * STEP + i64::from(source) * STEP / sources as i64;
            LogLine {
                source,
                nanos,
                text: text(seq).into_boxed_str(),
            }
        })
        .collect()
}

fn raw_batch(b: usize) -> Vec<String> {
    (0..BATCH)
        .map(|i| {
            let seq = b * BATCH + i;
            format!(
                "{} {}",
                format_timestamp(START + seq as i64 * STEP),
                text(seq)
            )
        })
        .collect()
}

fn rate(lines: usize, spent: Duration) -> f64 {
    lines as f64 / spent.as_secs_f64().max(1e-9)
}

fn report(name: &str, lines: usize, spent: Duration) {
    let per_second = rate(lines, spent);
    let verdict = if per_second > 200_000.0 {
        "ok"
    } else {
        "BELOW TARGET"
    };
    println!(
        "{name:<46} {lines:>9} lines in {:>8.1} ms = {:>12.0} lines/s  [{verdict}: > 200,000]",
        spent.as_secs_f64() * 1000.0,
        per_second
    );
}

fn check_sorted(buffer: &LogBuffer) {
    let sorted = (1..buffer.len()).all(|i| match (buffer.get(i - 1), buffer.get(i)) {
        (Some(a), Some(b)) => a.nanos <= b.nanos,
        _ => false,
    });
    assert!(sorted, "the buffer is in time order");
    assert_eq!(buffer.len(), CAPACITY);
}

/// Push alone: batches are built outside the timed region.
fn push_only(sources: usize) -> Duration {
    let mut buffer = LogBuffer::new(CAPACITY);
    let mut spent = Duration::ZERO;
    let batches = LINES / BATCH / sources;
    for b in 0..batches {
        for source in 0..sources {
            let lines = batch(source as u32, b, sources);
            let started = Instant::now();
            buffer.push(lines);
            spent += started.elapsed();
        }
    }
    check_sorted(&buffer);
    assert_eq!(buffer.dropped(), (LINES - CAPACITY) as u64);
    spent
}

/// What `tail` does per line (parse the timestamp, box the text) plus push.
fn parse_and_push() -> Duration {
    let mut buffer = LogBuffer::new(CAPACITY);
    let mut spent = Duration::ZERO;
    for b in 0..LINES / BATCH {
        let raw = raw_batch(b);
        let started = Instant::now();
        let lines: Vec<LogLine> = raw
            .iter()
            .map(|r| {
                let (nanos, text) = parse_line(r);
                LogLine {
                    source: 0,
                    nanos,
                    text: text.into(),
                }
            })
            .collect();
        buffer.push(lines);
        spent += started.elapsed();
    }
    check_sorted(&buffer);
    spent
}

fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn show(kib: Option<u64>) -> String {
    kib.map_or_else(
        || "n/a".to_string(),
        |k| format!("{:.1} MiB", k as f64 / 1024.0),
    )
}

fn endless() {
    let mut buffer = LogBuffer::new(CAPACITY);
    let before = rss_kib();
    let mut after_warmup = None;
    let started = Instant::now();
    for b in 0..ENDLESS / BATCH {
        // Two sources, one reaching back: the worst steady state.
        buffer.push(batch((b % 2) as u32, b / 2, 2));
        if (b + 1) * BATCH == 200_000 {
            after_warmup = rss_kib();
        }
    }
    let spent = started.elapsed();
    let end = rss_kib();
    println!(
        "endless stream: {ENDLESS} lines (incl. building them) in {:.1} s; buffer {} lines, {} dropped",
        spent.as_secs_f64(),
        buffer.len(),
        buffer.dropped()
    );
    println!(
        "  VmRSS before {}, after 200,000 lines {}, after {ENDLESS} lines {}",
        show(before),
        show(after_warmup),
        show(end)
    );
    if let (Some(warm), Some(end)) = (after_warmup, end) {
        let growth = end as f64 / warm as f64 - 1.0;
        let verdict = if growth < 0.10 { "flat" } else { "GROWING" };
        println!(
            "  growth after the buffer filled: {:+.1}% [{verdict}]",
            growth * 100.0
        );
    }
}

fn main() {
    // `cargo test --benches` runs this with --bench absent: keep it short.
    if !std::env::args().any(|a| a == "--bench") {
        let mut buffer = LogBuffer::new(CAPACITY);
        buffer.push(batch(0, 0, 2));
        buffer.push(batch(1, 0, 2));
        assert_eq!(buffer.len(), 2 * BATCH);
        println!("logs bench: smoke run ok (use cargo bench --bench logs)");
        return;
    }
    println!("LogBuffer ingestion, capacity {CAPACITY}, batches of {BATCH}");
    // First, so "before" is the process's baseline.
    endless();
    report("push, 1 source (in order)", LINES, push_only(1));
    report("push, 2 interleaved sources (merges)", LINES, push_only(2));
    report("parse_line + box + push, 1 source", LINES, parse_and_push());
}

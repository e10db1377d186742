//! Container logs: one `pods/log` stream per (pod, container), followed
//! across cuts without duplicating or losing lines.
//!
//! Every request asks for kubelet timestamps, so lines from several sources
//! can be merged by time and a resumed stream can be de-duplicated: a cut
//! stream is re-opened with `sinceTime` one second before the last line seen
//! (the API takes whole seconds), and the overlap is dropped by comparing
//! (timestamp, text). Never imports ratatui.

use std::time::Duration;

use futures::{AsyncBufRead, AsyncBufReadExt};
use jiff::{SignedDuration, Timestamp};
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use kube::Api;
use kube::api::LogParams;
use tokio::sync::mpsc::Sender;
use tokio::time::Instant;

use super::client::plain_client_error;
use super::rows::RowKey;

/// Lines per `LogEvent::Lines` batch at most.
pub const BATCH_LINES: usize = 1_000;
/// A batch is sent at the latest this long after its first line.
pub const BATCH_WINDOW: Duration = Duration::from_millis(50);
const BACKOFF_FIRST: Duration = Duration::from_millis(200);
const BACKOFF_MAX: Duration = Duration::from_secs(5);

/// Which container's log to stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogTarget {
    pub pod: RowKey,
    pub container: String,
}

#[derive(Clone, Debug, Default)]
pub struct LogOptions {
    pub follow: bool,
    pub since_seconds: Option<i64>,
    pub tail_lines: Option<i64>,
    pub previous: bool,
}

/// One log line. `source` is the caller's number for the (pod, container).
#[derive(Clone, Debug, PartialEq)]
pub struct LogLine {
    pub source: u32,
    /// Unix nanoseconds of the kubelet timestamp, 0 if the line had none.
    pub nanos: i64,
    pub text: Box<str>,
}

#[derive(Clone, Debug)]
pub enum LogEvent {
    /// A batch of lines, in order, for one source.
    Lines(Vec<LogLine>),
    /// The stream was cut; retrying with backoff.
    Reconnecting { source: u32, error: String },
    /// Done: not following, or the pod is gone. `reason` says why in plain
    /// words when the stream failed (e.g. no previous container).
    Ended { source: u32, reason: Option<String> },
}

/// Split a kubelet timestamp off a line:
/// `"2026-11-22T01:02:03.123456789Z text"` -> `(nanos, "text")`.
/// A line without one comes back whole, with 0.
pub fn parse_line(raw: &str) -> (i64, &str) {
    let (stamp, rest) = match raw.split_once(' ') {
        Some(split) => split,
        None => (raw, ""),
    };
    let bytes = stamp.as_bytes();
    // Cheap shape check before the real parse: "YYYY-MM-DDTHH:MM:SS...".
    let shaped = bytes.len() >= 20
        && bytes[..4].iter().all(u8::is_ascii_digit)
        && bytes[4] == b'-'
        && bytes[10] == b'T';
    if !shaped {
        return (0, raw);
    }
    match stamp.parse::<Timestamp>() {
        Ok(t) => match i64::try_from(t.as_nanosecond()) {
            Ok(nanos) if nanos != 0 => (nanos, rest),
            _ => (0, raw),
        },
        Err(_) => (0, raw),
    }
}

/// Unix nanoseconds as the kubelet writes them: `2026-11-22T01:02:03.123456789Z`.
pub fn format_timestamp(nanos: i64) -> String {
    match Timestamp::from_nanosecond(i128::from(nanos)) {
        Ok(t) => format!(
            "{}.{:09}Z",
            t.strftime("%Y-%m-%dT%H:%M:%S"),
            t.subsec_nanosecond().rem_euclid(1_000_000_000)
        ),
        Err(_) => String::new(),
    }
}

/// A label selector as the API's `labelSelector` query string
/// (`app=web,tier in (a,b),!legacy`).
pub fn selector_string(selector: &LabelSelector) -> String {
    let mut parts: Vec<String> = selector
        .match_labels
        .iter()
        .flatten()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    for expr in selector.match_expressions.iter().flatten() {
        let values = expr.values.clone().unwrap_or_default().join(",");
        parts.push(match expr.operator.as_str() {
            "In" => format!("{} in ({values})", expr.key),
            "NotIn" => format!("{} notin ({values})", expr.key),
            "Exists" => expr.key.clone(),
            _ => format!("!{}", expr.key),
        });
    }
    parts.join(",")
}

/// The containers of `pod` that have a log to show: running or terminated
/// (or crash-looping with a terminated last instance); with `previous`,
/// those with a terminated last instance. Spec order, regular containers.
pub fn loggable_containers(pod: &Pod, previous: bool) -> Vec<String> {
    let statuses = pod
        .status
        .as_ref()
        .and_then(|s| s.container_statuses.as_ref());
    let has_log = |name: &str| {
        let Some(status) = statuses.and_then(|all| all.iter().find(|s| s.name == name)) else {
            return false;
        };
        let last_terminated = status
            .last_state
            .as_ref()
            .is_some_and(|s| s.terminated.is_some());
        if previous {
            return last_terminated;
        }
        let state = status.state.as_ref();
        last_terminated || state.is_some_and(|s| s.running.is_some() || s.terminated.is_some())
    };
    container_names(pod)
        .into_iter()
        .filter(|name| has_log(name))
        .collect()
}

/// Every regular container of `pod`, in spec order.
pub fn container_names(pod: &Pod) -> Vec<String> {
    pod.spec
        .as_ref()
        .map(|spec| spec.containers.iter().map(|c| c.name.clone()).collect())
        .unwrap_or_default()
}

/// What one connection's reading came to.
enum Outcome {
    /// The server closed the stream cleanly.
    Eof,
    /// The stream failed mid-way.
    Cut(String),
    /// The receiver is gone: stop.
    Closed,
}

/// The newest lines seen, to drop the overlap of a resumed stream.
#[derive(Default)]
struct Seen {
    /// Nanos of the newest line (0: none yet).
    last: i64,
    /// Texts of the lines seen at exactly `last`.
    at_last: Vec<Box<str>>,
}

impl Seen {
    /// Record a line; false if a resumed stream repeats one already seen.
    fn admit(&mut self, nanos: i64, text: &str, resumed: bool) -> bool {
        if nanos == 0 {
            return true;
        }
        if resumed {
            if nanos < self.last {
                return false;
            }
            if nanos == self.last && self.at_last.iter().any(|t| &**t == text) {
                return false;
            }
        }
        if nanos > self.last {
            self.last = nanos;
            self.at_last.clear();
        }
        if nanos == self.last {
            self.at_last.push(text.into());
        }
        true
    }

    /// Where a resumed stream starts: the last line's whole second, minus
    /// one second of overlap.
    fn resume_from(&self) -> Option<Timestamp> {
        if self.last == 0 {
            return None;
        }
        let seconds = self.last.div_euclid(1_000_000_000) - 1;
        Timestamp::from_second(seconds).ok()
    }
}

async fn send<T: From<LogEvent>>(sender: &Sender<T>, event: LogEvent) -> bool {
    sender.send(T::from(event)).await.is_ok()
}

/// Read one connection into batches. `resumed` drops the overlap.
async fn pump<R, T>(
    reader: R,
    source: u32,
    follow: bool,
    resumed: bool,
    seen: &mut Seen,
    delivered: &mut bool,
    sender: &Sender<T>,
) -> Outcome
where
    R: AsyncBufRead + Unpin,
    T: From<LogEvent>,
{
    let mut reader = reader;
    let mut raw: Vec<u8> = Vec::with_capacity(512);
    let mut batch: Vec<LogLine> = Vec::new();
    let mut deadline: Option<Instant> = None;
    loop {
        // read_until appends what it has read to `raw` even when the
        // timeout drops it, so a partial line survives a flush.
        let read = reader.read_until(b'\n', &mut raw);
        let result = match deadline {
            Some(at) => match tokio::time::timeout_at(at, read).await {
                Ok(result) => result,
                Err(_) => {
                    deadline = None;
                    if !send(sender, LogEvent::Lines(std::mem::take(&mut batch))).await {
                        return Outcome::Closed;
                    }
                    continue;
                }
            },
            None => read.await,
        };
        let outcome = match result {
            Ok(_) if raw.last() == Some(&b'\n') => None,
            // EOF. A last line without its newline is whole when not
            // following; a followed stream that stops mid-line was cut, and
            // the resume brings the whole line.
            Ok(_) if raw.is_empty() => Some(Outcome::Eof),
            Ok(_) if follow => Some(Outcome::Eof),
            Ok(_) => None,
            Err(error) => Some(Outcome::Cut(error.to_string())),
        };
        if let Some(outcome) = outcome {
            if !batch.is_empty() && !send(sender, LogEvent::Lines(batch)).await {
                return Outcome::Closed;
            }
            return outcome;
        }
        let mut end = raw.len();
        while end > 0 && matches!(raw[end - 1], b'\n' | b'\r') {
            end -= 1;
        }
        let line = String::from_utf8_lossy(&raw[..end]);
        let (nanos, text) = parse_line(&line);
        if seen.admit(nanos, text, resumed) {
            batch.push(LogLine {
                source,
                nanos,
                text: text.into(),
            });
            *delivered = true;
        }
        raw.clear();
        if batch.len() >= BATCH_LINES {
            deadline = None;
            if !send(sender, LogEvent::Lines(std::mem::take(&mut batch))).await {
                return Outcome::Closed;
            }
        } else if batch.len() == 1 && deadline.is_none() {
            deadline = Some(Instant::now() + BATCH_WINDOW);
        }
    }
}

/// Whether the container still runs (so an ended follow stream was a cut),
/// `None` when the pod is gone.
async fn still_running(api: &Api<Pod>, target: &LogTarget) -> Result<Option<bool>, kube::Error> {
    match api.get_opt(&target.pod.name).await? {
        None => Ok(None),
        Some(pod) => Ok(Some(
            pod.status
                .and_then(|s| s.container_statuses)
                .and_then(|all| all.into_iter().find(|s| s.name == target.container))
                .and_then(|s| s.state)
                .is_some_and(|s| s.running.is_some()),
        )),
    }
}

/// A 4xx other than 429: the request itself can't succeed as it is.
fn is_request_error(error: &kube::Error) -> bool {
    matches!(error, kube::Error::Api(status) if (400..500).contains(&status.code) && status.code != 429)
}

fn api_reason(error: &kube::Error) -> String {
    match error {
        kube::Error::Api(status) if status.code == 400 && !status.message.is_empty() => {
            status.message.clone()
        }
        other => plain_client_error(other),
    }
}

/// Stream one container's log into `sender` until done (the caller aborts
/// the task to stop it early).
///
/// Always requests timestamps (to merge sources by time; the UI hides them
/// unless asked). When following, a cut (a stream error, or an end while
/// the container still runs) is retried with backoff from `sinceTime` = the
/// last line's whole second minus one, dropping lines already seen (same
/// nanos and text), so nothing is duplicated or lost; it ends when the pod
/// is deleted. Lines go out in batches (1,000 lines or 50 ms).
pub async fn tail<T: From<LogEvent> + Send + 'static>(
    client: kube::Client,
    source: u32,
    target: LogTarget,
    options: LogOptions,
    sender: Sender<T>,
) {
    let api: Api<Pod> = Api::namespaced(client, &target.pod.namespace);
    let mut seen = Seen::default();
    let mut backoff = BACKOFF_FIRST;
    // A relative `since` is pinned at the first request, so a retry before
    // any line arrived asks for the same window.
    let since_time = options.since_seconds.and_then(|s| {
        Timestamp::now()
            .checked_sub(SignedDuration::from_secs(s.max(0)))
            .ok()
    });
    let mut attempt = 0u32;
    // Whether a stream was ever opened: a 404 after that means the pod went.
    let mut connected = false;
    let ended = |reason: Option<String>| LogEvent::Ended { source, reason };
    loop {
        let resumed = attempt > 0;
        let mut params = LogParams {
            container: Some(target.container.clone()),
            follow: options.follow,
            previous: options.previous,
            timestamps: true,
            ..LogParams::default()
        };
        match seen.resume_from() {
            Some(from) => params.since_time = Some(from),
            None if resumed => {
                params.since_time = since_time;
                params.tail_lines = options.tail_lines;
            }
            None => {
                params.since_seconds = options.since_seconds;
                params.tail_lines = options.tail_lines;
            }
        }
        attempt = attempt.saturating_add(1);
        let error = match api.log_stream(&target.pod.name, &params).await {
            Ok(reader) => {
                connected = true;
                let mut delivered = false;
                let outcome = pump(
                    reader,
                    source,
                    options.follow,
                    resumed,
                    &mut seen,
                    &mut delivered,
                    &sender,
                )
                .await;
                if delivered {
                    backoff = BACKOFF_FIRST;
                }
                match outcome {
                    Outcome::Closed => return,
                    Outcome::Eof if !options.follow => {
                        send(&sender, ended(None)).await;
                        return;
                    }
                    Outcome::Eof => match still_running(&api, &target).await {
                        Ok(Some(true)) => "the log stream ended early".to_string(),
                        Ok(_) => {
                            send(&sender, ended(None)).await;
                            return;
                        }
                        Err(error) => plain_client_error(&error),
                    },
                    Outcome::Cut(error) if !options.follow => {
                        send(
                            &sender,
                            ended(Some(format!("the log stream failed: {error}"))),
                        )
                        .await;
                        return;
                    }
                    Outcome::Cut(error) => format!("the log stream was cut: {error}"),
                }
            }
            // The pod went away while we were following it: a normal end.
            Err(kube::Error::Api(status)) if status.code == 404 && connected => {
                send(&sender, ended(None)).await;
                return;
            }
            // The request itself is wrong (no previous instance, a waiting
            // container, no such pod): retrying won't help.
            Err(error) if is_request_error(&error) => {
                send(&sender, ended(Some(api_reason(&error)))).await;
                return;
            }
            Err(error) if !options.follow => {
                send(&sender, ended(Some(api_reason(&error)))).await;
                return;
            }
            Err(error) => api_reason(&error),
        };
        if !send(&sender, LogEvent::Reconnecting { source, error }).await {
            return;
        }
        tokio::select! {
            _ = sender.closed() => return,
            _ = tokio::time::sleep(backoff) => {}
        }
        backoff = (backoff * 2).min(BACKOFF_MAX);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_formats_timestamps() {
        let (nanos, text) = parse_line("2026-11-22T01:02:03.123456789Z hello world");
        assert_eq!(text, "hello world");
        assert_eq!(format_timestamp(nanos), "2026-11-22T01:02:03.123456789Z");
        assert_eq!(parse_line("no stamp here"), (0, "no stamp here"));
        assert_eq!(parse_line(""), (0, ""));
    }

    #[test]
    fn seen_drops_only_the_overlap() {
        let mut seen = Seen::default();
        assert!(seen.admit(10, "a", false));
        assert!(seen.admit(20, "b", false));
        assert!(seen.admit(20, "c", false));
        assert!(!seen.admit(10, "a", true));
        assert!(!seen.admit(20, "b", true));
        assert!(!seen.admit(20, "c", true));
        assert!(seen.admit(20, "d", true));
        assert!(seen.admit(30, "e", true));
        assert!(seen.admit(0, "x", true));
    }
}

//! `pods/{name}/log`: a deterministic log history per container, generated
//! on demand from the clock, never stored.
//!
//! A running container writes line `seq` at `startedAt + seq * log_interval`
//! (plus a fixed sub-interval jitter); its text depends only on (pod,
//! container, seq), so a resumed stream can be de-duplicated by content and
//! timestamp, and `seq=N` in every line lets a client check for gaps. Only
//! the last 2,000 lines are kept. A terminated container instance (the
//! previous one of a restarted container, or the current one of a finished
//! or crash-looping container) has a short history ending at `finishedAt`,
//! with a crash message when it ended in an error.
//!
//! Batch containers (kaniko builds, Job and Workflow pods) print a finite
//! script instead (see `super::build_log`): its body while running, then
//! the success or error tail once terminated. A `follow` stream ends, like
//! the kubelet's, when the container it reads terminates.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Response, header};
use http_body_util::{BodyExt, StreamBody};
use hyper::body::Frame;
use jiff::{SignedDuration, Timestamp};
use serde_json::Value;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

use super::api_error::ApiError;
use super::body::{self, Body, StreamCut};
use super::build_log::{self, Line};
use super::objects::meta_str;
use super::registry::ResourceId;
use super::state::Shared;
use super::util::{hash_str, mix};

/// Lines kept per container, like a rotated log file.
pub(crate) const MAX_LINES: u64 = 2_000;

/// The query parameters of a log request.
#[derive(Debug, Default, Clone)]
pub(crate) struct LogQuery {
    pub container: Option<String>,
    pub follow: bool,
    pub tail_lines: Option<u64>,
    pub since_seconds: Option<i64>,
    pub since_time: Option<Timestamp>,
    pub timestamps: bool,
    pub previous: bool,
    pub limit_bytes: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flavor {
    Nginx,
    Ghost,
    Redis,
    RedisExporter,
    /// Lines full of terminal control sequences, for the sanitizing tests
    /// (an image named `…/hostile:…`).
    Hostile,
    Generic,
}

fn flavor(image: &str, container: &str) -> Flavor {
    let i = image.to_ascii_lowercase();
    if i.contains("/hostile:") {
        Flavor::Hostile
    } else if i.contains("redis_exporter")
        || (i.contains("redis") && container.contains("exporter"))
    {
        Flavor::RedisExporter
    } else if i.contains("nginx") {
        Flavor::Nginx
    } else if i.contains("ghost") || i.contains("/blog:") || container == "ghost" {
        Flavor::Ghost
    } else if i.contains("redis") {
        Flavor::Redis
    } else {
        Flavor::Generic
    }
}

/// One container instance's log: where it starts, how lines are spaced,
/// and (for a terminated instance) where and how it ended.
#[derive(Debug, Clone)]
struct Instance {
    pod: String,
    container: String,
    flavor: Flavor,
    started: Timestamp,
    step: SignedDuration,
    /// `Some((finishedAt, reason))` for a terminated instance.
    finished: Option<(Timestamp, String)>,
    /// Distinguishes the previous instance from the current one.
    instance: u64,
    /// The lines of a batch container, all there will be for this state.
    script: Option<Arc<Vec<Line>>>,
}

const PATHS: &[&str] = &[
    "/",
    "/posts/self-hosting-notes/",
    "/tag/homelab/",
    "/assets/built/screen.css",
    "/favicon.ico",
    "/rss/",
    "/api/v1/items",
    "/healthz",
];

fn rfc3339_nano(t: Timestamp) -> String {
    format!(
        "{}.{:09}Z",
        t.strftime("%Y-%m-%dT%H:%M:%S"),
        t.subsec_nanosecond().rem_euclid(1_000_000_000)
    )
}

impl Instance {
    fn key(&self, seq: u64) -> u64 {
        mix(hash_str(&format!(
            "{}/{}/{}/{seq}",
            self.pod, self.container, self.instance
        )))
    }

    fn time(&self, seq: u64) -> Timestamp {
        let step = self.step.as_nanos().max(1);
        let jitter = (self.key(seq) % (step as u64 / 2).max(1)) as i128;
        let offset = step * seq as i128 + jitter;
        let offset = SignedDuration::from_nanos(i64::try_from(offset).unwrap_or(i64::MAX));
        let paced = self.started.checked_add(offset).unwrap_or(self.started);
        match (&self.script, &self.finished) {
            // A finished script wrote everything before it ended: lines
            // that would come later crowd in just before finishedAt.
            (Some(lines), Some((finished, _))) => {
                let before = lines.len() as u64 - seq.min(lines.len() as u64);
                let latest = finished
                    .checked_sub(SignedDuration::from_millis(before as i64))
                    .unwrap_or(*finished);
                paced.min(latest).max(self.started)
            }
            _ => paced,
        }
    }

    /// One past the last line a script instance has (None: endless).
    fn script_len(&self) -> Option<u64> {
        self.script.as_ref().map(|l| l.len() as u64)
    }

    /// The last sequence number written by `now` (None before the first line).
    fn last_seq(&self, now: Timestamp) -> Option<u64> {
        let end = match &self.finished {
            Some((f, _)) => (*f).min(now),
            None => now,
        };
        let elapsed = end.duration_since(self.started).as_nanos();
        if elapsed < 0 {
            return None;
        }
        let step = self.step.as_nanos().max(1);
        let mut last = u64::try_from(elapsed / step).unwrap_or(u64::MAX);
        if let Some(len) = self.script_len() {
            // A finished script's lines all precede finishedAt, however
            // short its run was.
            let cap = len.checked_sub(1)?;
            last = if self.finished.is_some() {
                cap
            } else {
                last.min(cap)
            };
        }
        while self.time(last) > end {
            last = last.checked_sub(1)?;
        }
        Some(last)
    }

    fn text(&self, seq: u64, t: Timestamp) -> String {
        if let Some(lines) = &self.script {
            return usize::try_from(seq)
                .ok()
                .and_then(|i| lines.get(i))
                .map(|l| l.render(t, self.started))
                .unwrap_or_default();
        }
        let k = self.key(seq);
        let crashed = self
            .finished
            .as_ref()
            .is_some_and(|(_, reason)| reason == "Error")
            && self.last_seq(Timestamp::MAX) == Some(seq);
        if crashed {
            return match self.flavor {
                Flavor::RedisExporter | Flavor::Redis => format!(
                    "level=error msg=\"Couldn't connect to redis instance (redis://redis.redis.svc.cluster.local:6379)\" err=\"dial tcp 10.43.{}.{}:6379: connect: connection refused\" seq={seq}",
                    k % 250,
                    (k >> 8) % 250
                ),
                _ => format!(
                    "level=error msg=\"fatal: dial tcp 10.43.{}.{}:5432: connect: connection refused\" component={} seq={seq}",
                    k % 250,
                    (k >> 8) % 250,
                    self.container
                ),
            };
        }
        let path = PATHS[(k % PATHS.len() as u64) as usize];
        let status = if k.is_multiple_of(17) { 404 } else { 200 };
        let ip = format!("10.42.{}.{}", k % 3, (k >> 4) % 250 + 1);
        match self.flavor {
            Flavor::Nginx => format!(
                "{ip} - - [{}] \"GET {path}?seq={seq} HTTP/1.1\" {status} {} \"-\" \"Mozilla/5.0 (X11; Linux x86_64)\"",
                t.strftime("%d/%b/%Y:%H:%M:%S +0000"),
                (k >> 12) % 20_000 + 100
            ),
            Flavor::Ghost => format!(
                "[{}] INFO \"GET {path}\" {status} {}ms seq={seq}",
                t.strftime("%Y-%m-%d %H:%M:%S"),
                (k >> 12) % 300 + 2
            ),
            Flavor::Redis if seq == 0 => format!(
                "1:M {} * Ready to accept connections tcp seq={seq}",
                t.strftime("%d %b %Y %H:%M:%S%.3f")
            ),
            Flavor::Redis => format!(
                "1:M {} * {} seq={seq}",
                t.strftime("%d %b %Y %H:%M:%S%.3f"),
                if k.is_multiple_of(2) {
                    "1 changes in 3600 seconds. Saving..."
                } else {
                    "Background saving terminated with success"
                }
            ),
            Flavor::Hostile => format!(
                "\u{1b}[31mRED\u{1b}[0m \u{1b}]0;pwned title\u{7}\u{1b}]52;c;aGk=\u{7}tab\there \u{202e}txet\u{202c} seq={seq}"
            ),
            Flavor::RedisExporter if seq == 0 => {
                format!("level=info msg=\"Redis Metrics Exporter v1.67.0\" seq={seq}")
            }
            Flavor::RedisExporter | Flavor::Generic => format!(
                "level=info msg=\"handled request\" component={} method=GET path={path} status={status} duration={}ms seq={seq}",
                self.container,
                (k >> 12) % 250 + 1
            ),
        }
    }

    fn line(&self, seq: u64, timestamps: bool) -> (Timestamp, String) {
        let t = self.time(seq);
        let text = self.text(seq, t);
        let line = if timestamps {
            format!("{} {text}\n", rfc3339_nano(t))
        } else {
            format!("{text}\n")
        };
        (t, line)
    }

    /// The sequence numbers a request gets right away.
    fn history(&self, q: &LogQuery, now: Timestamp) -> std::ops::Range<u64> {
        let Some(last) = self.last_seq(now) else {
            return 0..0;
        };
        let end = last + 1;
        let mut start = end.saturating_sub(MAX_LINES);
        let since = match (q.since_time, q.since_seconds) {
            (Some(t), _) => Some(t),
            (None, Some(s)) => now.checked_sub(SignedDuration::from_secs(s)).ok(),
            _ => None,
        };
        if let Some(since) = since {
            while start < end && self.time(start) < since {
                // Lines are evenly spaced: jump close, then walk.
                let gap = since.duration_since(self.time(start)).as_nanos();
                let skip = u64::try_from(gap / self.step.as_nanos().max(1)).unwrap_or(0);
                start = (start + skip.max(1)).min(end);
            }
            while start > 0 && self.time(start - 1) >= since {
                start -= 1;
            }
        }
        if let Some(n) = q.tail_lines {
            start = start.max(end.saturating_sub(n));
        }
        start..end
    }
}

fn parse_ts(v: Option<&Value>) -> Option<Timestamp> {
    v?.as_str()?.parse().ok()
}

fn names(pod: &Value, field: &str) -> Vec<String> {
    pod.pointer(&format!("/spec/{field}"))
        .and_then(Value::as_array)
        .map(|cs| {
            cs.iter()
                .filter_map(|c| c.get("name").and_then(Value::as_str).map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn container_status<'a>(pod: &'a Value, name: &str) -> Option<&'a Value> {
    ["containerStatuses", "initContainerStatuses"]
        .iter()
        .filter_map(|f| {
            pod.pointer(&format!("/status/{f}"))
                .and_then(Value::as_array)
        })
        .flatten()
        .find(|c| c.get("name").and_then(Value::as_str) == Some(name))
}

fn image_of(pod: &Value, name: &str) -> String {
    ["containers", "initContainers"]
        .iter()
        .filter_map(|f| pod.pointer(&format!("/spec/{f}")).and_then(Value::as_array))
        .flatten()
        .find(|c| c.get("name").and_then(Value::as_str) == Some(name))
        .and_then(|c| c.get("image").and_then(Value::as_str))
        .unwrap_or_default()
        .to_string()
}

fn terminated(base: &Instance, t: &Value, interval: SignedDuration, instance: u64) -> Instance {
    let finished = parse_ts(t.get("finishedAt")).unwrap_or_else(Timestamp::now);
    let started = parse_ts(t.get("startedAt"))
        .filter(|s| *s <= finished)
        .unwrap_or_else(|| finished - SignedDuration::from_secs(30));
    let window = finished.duration_since(started);
    // At least ~8 lines even for an instance that lived a second.
    let step = interval.min(window / 8).max(SignedDuration::from_millis(1));
    let reason = t
        .get("reason")
        .and_then(Value::as_str)
        .unwrap_or(if t.get("exitCode").and_then(Value::as_i64) == Some(0) {
            "Completed"
        } else {
            "Error"
        })
        .to_string();
    Instance {
        started,
        step,
        finished: Some((finished, reason)),
        instance,
        ..base.clone()
    }
}

/// Which instance a request reads, or the error the kubelet would give.
fn resolve(
    pod: &Value,
    pod_name: &str,
    q: &LogQuery,
    interval: Duration,
    script_step: Duration,
) -> Result<(Instance, bool), ApiError> {
    let (inst, running) = resolve_plain(pod, pod_name, q, interval)?;
    let Some(script) = build_log::script(pod, &inst.container) else {
        return Ok((inst, running));
    };
    // The body while running; the tail by how the instance ended.
    let mut lines = script.body;
    match &inst.finished {
        Some((_, reason)) if reason == "Completed" => lines.extend(script.ok),
        Some(_) => lines.extend(script.err),
        None => {}
    }
    let step = SignedDuration::try_from(script_step.max(Duration::from_millis(1)))
        .unwrap_or(SignedDuration::from_millis(100));
    Ok((
        Instance {
            step,
            script: Some(Arc::new(lines)),
            ..inst
        },
        running,
    ))
}

/// Whether the container `inst` reads is still that running instance.
fn still_running(pod: &Value, inst: &Instance) -> bool {
    match container_status(pod, &inst.container) {
        Some(s) => {
            s.pointer("/state/running").is_some()
                && s.get("restartCount").and_then(Value::as_u64).unwrap_or(0) == inst.instance
        }
        None => pod.pointer("/status/phase").and_then(Value::as_str) == Some("Running"),
    }
}

fn resolve_plain(
    pod: &Value,
    pod_name: &str,
    q: &LogQuery,
    interval: Duration,
) -> Result<(Instance, bool), ApiError> {
    let containers = names(pod, "containers");
    let init = names(pod, "initContainers");
    let container = match q.container.as_deref() {
        Some(c) if containers.iter().chain(&init).any(|x| x == c) => c.to_string(),
        Some(c) => {
            return Err(ApiError::bad_request(format!(
                "container {c} is not valid for pod {pod_name}"
            )));
        }
        None if containers.len() == 1 => containers[0].clone(),
        None => {
            let mut msg = format!(
                "a container name must be specified for pod {pod_name}, choose one of: [{}]",
                containers.join(" ")
            );
            if !init.is_empty() {
                msg.push_str(&format!(
                    " or one of the init containers: [{}]",
                    init.join(" ")
                ));
            }
            return Err(ApiError::bad_request(msg));
        }
    };
    let interval = SignedDuration::try_from(interval.max(Duration::from_millis(1)))
        .unwrap_or(SignedDuration::from_secs(1));
    let image = image_of(pod, &container);
    let status = container_status(pod, &container);
    let restarts = status
        .and_then(|s| s.get("restartCount"))
        .and_then(Value::as_u64)
        .unwrap_or(0);
    let base = Instance {
        pod: pod_name.to_string(),
        flavor: flavor(&image, &container),
        container: container.clone(),
        started: Timestamp::UNIX_EPOCH,
        step: interval,
        finished: None,
        instance: restarts,
        script: None,
    };
    let last_state = status.and_then(|s| s.pointer("/lastState/terminated"));
    if q.previous {
        return match last_state {
            Some(t) => Ok((
                terminated(&base, t, interval, restarts.saturating_sub(1)),
                false,
            )),
            None => Err(ApiError::bad_request(format!(
                "previous terminated container \"{container}\" in pod \"{pod_name}\" not found"
            ))),
        };
    }
    let state = status.and_then(|s| s.get("state"));
    if let Some(r) = state.and_then(|s| s.get("running")) {
        let started = parse_ts(r.get("startedAt"))
            .or_else(|| parse_ts(pod.pointer("/status/startTime")))
            .unwrap_or_else(Timestamp::now);
        return Ok((Instance { started, ..base }, true));
    }
    if let Some(t) = state.and_then(|s| s.get("terminated")) {
        return Ok((terminated(&base, t, interval, restarts), false));
    }
    if let Some(t) = last_state {
        // Crash-looping: the kubelet serves the last terminated instance.
        return Ok((
            terminated(&base, t, interval, restarts.saturating_sub(1)),
            false,
        ));
    }
    let waiting = state
        .and_then(|s| s.pointer("/waiting/reason"))
        .and_then(Value::as_str);
    let phase = pod.pointer("/status/phase").and_then(Value::as_str);
    match (waiting, status, phase) {
        (None, None, Some("Running" | "Succeeded" | "Failed")) => {
            let started = parse_ts(pod.pointer("/status/startTime"))
                .or_else(|| parse_ts(pod.pointer("/metadata/creationTimestamp")))
                .unwrap_or_else(Timestamp::now);
            Ok((Instance { started, ..base }, phase == Some("Running")))
        }
        _ => {
            let why = match waiting.unwrap_or("ContainerCreating") {
                "ErrImagePull" => "image can't be pulled".to_string(),
                "ImagePullBackOff" => "trying and failing to pull image".to_string(),
                other => other.to_string(),
            };
            Err(ApiError::bad_request(format!(
                "container \"{container}\" in pod \"{pod_name}\" is waiting to start: {why}"
            )))
        }
    }
}

fn render(inst: &Instance, range: std::ops::Range<u64>, q: &LogQuery, budget: &mut u64) -> Vec<u8> {
    let mut out = Vec::new();
    for seq in range {
        if *budget == 0 {
            break;
        }
        let (_, line) = inst.line(seq, q.timestamps);
        let take = (line.len() as u64).min(*budget) as usize;
        out.extend_from_slice(&line.as_bytes()[..take]);
        *budget -= take as u64;
    }
    out
}

fn text_response(bytes: Vec<u8>) -> Response<Body> {
    body::bytes_response(200, "text/plain", bytes)
}

pub(crate) fn serve(
    shared: &Arc<Shared>,
    pods_id: ResourceId,
    ns: &str,
    name: &str,
    q: &LogQuery,
) -> Result<Response<Body>, ApiError> {
    let def = &shared.registry.get(pods_id);
    let pod: Value = shared
        .read()
        .get(pods_id, ns, name)
        .map(|s| s.value.as_ref().clone())
        .ok_or_else(|| ApiError::not_found(def, name))?;
    let script_step = shared.opts.rollout_step.min(shared.opts.log_interval);
    let (inst, running) = resolve(&pod, name, q, shared.opts.log_interval, script_step)?;
    let now = Timestamp::now();
    let range = inst.history(q, now);
    let next = range.end;
    let mut budget = q.limit_bytes.unwrap_or(u64::MAX);
    let first = render(&inst, range, q, &mut budget);
    if !(q.follow && running) || budget == 0 {
        return Ok(text_response(first));
    }
    let (tx, rx) = mpsc::channel::<Result<Frame<Bytes>, StreamCut>>(16);
    let shared = shared.clone();
    let uid = meta_str(&pod, "uid").unwrap_or_default().to_string();
    let (ns, name, q) = (ns.to_string(), name.to_string(), q.clone());
    tokio::spawn(async move {
        let mut cut = shared.log_cut.subscribe();
        if !first.is_empty() && tx.send(Ok(Frame::data(Bytes::from(first)))).await.is_err() {
            return;
        }
        let mut seq = next;
        let mut budget = budget;
        // How often a script that has printed all it can checks for the end.
        let poll = Duration::try_from(inst.step)
            .unwrap_or_default()
            .clamp(Duration::from_millis(20), Duration::from_millis(500));
        loop {
            let exhausted = inst.script_len().is_some_and(|len| seq >= len);
            let wait = if exhausted {
                poll
            } else {
                let until = inst
                    .time(seq)
                    .duration_since(Timestamp::now())
                    .max(SignedDuration::ZERO);
                Duration::try_from(until).unwrap_or_default()
            };
            tokio::select! {
                _ = tx.closed() => return,
                _ = cut.changed() => {
                    let _ = tx.send(Err(StreamCut)).await;
                    return;
                }
                _ = tokio::time::sleep(wait) => {}
            }
            // The stream ends when the pod (this very pod) is gone.
            let current = shared
                .read()
                .get(pods_id, &ns, &name)
                .filter(|s| meta_str(&s.value, "uid").unwrap_or_default() == uid)
                .map(|s| s.value.as_ref().clone());
            let Some(current) = current else {
                return;
            };
            if !still_running(&current, &inst) {
                // The container ended: what it wrote last, then EOF.
                let done = LogQuery {
                    follow: false,
                    previous: false,
                    ..q.clone()
                };
                if inst.script.is_some()
                    && let Ok((fin, false)) = resolve(
                        &current,
                        &name,
                        &done,
                        shared.opts.log_interval,
                        script_step,
                    )
                    && fin.instance == inst.instance
                {
                    let end = fin.last_seq(Timestamp::now()).map_or(0, |l| l + 1);
                    let chunk = render(&fin, seq..end, &q, &mut budget);
                    if !chunk.is_empty() {
                        let _ = tx.send(Ok(Frame::data(Bytes::from(chunk)))).await;
                    }
                }
                return;
            }
            if exhausted {
                continue;
            }
            let chunk = render(&inst, seq..seq + 1, &q, &mut budget);
            seq += 1;
            if tx.send(Ok(Frame::data(Bytes::from(chunk)))).await.is_err() || budget == 0 {
                return;
            }
        }
    });
    let body = StreamBody::new(ReceiverStream::new(rx)).boxed_unsync();
    let mut resp = Response::new(body);
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("text/plain"),
    );
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn running_pod(started: &str) -> Value {
        json!({"metadata": {"name": "web-1", "uid": "u1"},
               "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]},
               "status": {"phase": "Running", "containerStatuses": [
                   {"name": "web", "restartCount": 0, "state": {"running": {"startedAt": started}}}]}})
    }

    #[test]
    fn history_is_deterministic_and_bounded() {
        let started = Timestamp::now() - SignedDuration::from_secs(10_000);
        let pod = running_pod(&super::super::util::rfc3339(started));
        let q = LogQuery {
            timestamps: true,
            ..LogQuery::default()
        };
        let (inst, running) = resolve(
            &pod,
            "web-1",
            &q,
            Duration::from_secs(1),
            Duration::from_millis(300),
        )
        .expect("resolves");
        assert!(running);
        let now = Timestamp::now();
        let r = inst.history(&q, now);
        assert_eq!(r.end - r.start, MAX_LINES);
        assert_eq!(inst.line(r.start, true), inst.line(r.start, true));
        assert!(inst.time(r.end - 1) <= now && inst.time(r.end) > now);
        let tail = inst.history(
            &LogQuery {
                tail_lines: Some(3),
                ..q.clone()
            },
            now,
        );
        assert_eq!(tail.end - tail.start, 3);
        let since = inst.history(
            &LogQuery {
                since_seconds: Some(10),
                ..q
            },
            now,
        );
        let n = since.end - since.start;
        assert!((9..=11).contains(&n), "{n}");
        let (_, line) = inst.line(5, true);
        assert!(line.contains("seq=5") && line.ends_with('\n'), "{line}");
        let stamp = line.split(' ').next().unwrap_or_default();
        assert_eq!(
            stamp.len(),
            "2026-11-22T01:02:03.123456789Z".len(),
            "{stamp}"
        );
    }
}

//! What a build run is doing, read from its Job or Workflow (DESIGN §5):
//! a Job is terminal only at condition Complete or Failed = True; since
//! Kubernetes 1.31 FailureTarget / SuccessCriteriaMet come first.

use std::fmt;

use serde_json::Value;

use super::{APP_LABEL, BUILD_LABEL, COMMIT_ANNOTATION, COMMIT_LABEL, IMAGE_ANNOTATION};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BuildPhase {
    Pending,
    Running,
    Succeeded,
    Failed,
    /// FailureTarget seen, not yet Failed (the pod is being terminated).
    Failing,
    /// Argo's Error phase (the workflow itself broke, not the build step).
    Error,
    Unknown,
}

impl BuildPhase {
    pub fn as_str(self) -> &'static str {
        match self {
            BuildPhase::Pending => "Pending",
            BuildPhase::Running => "Running",
            BuildPhase::Succeeded => "Succeeded",
            BuildPhase::Failed => "Failed",
            BuildPhase::Failing => "Failing",
            BuildPhase::Error => "Error",
            BuildPhase::Unknown => "Unknown",
        }
    }
}

impl fmt::Display for BuildPhase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RunKind {
    Job,
    Workflow,
}

impl RunKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RunKind::Job => "Job",
            RunKind::Workflow => "Workflow",
        }
    }
}

impl fmt::Display for RunKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One run of a build, as the builds view lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildRun {
    pub name: String,
    pub namespace: String,
    pub kind: RunKind,
    /// The build's name (the `bosun.dev/build` label).
    pub build: String,
    pub app: Option<String>,
    pub phase: BuildPhase,
    /// `image:tag` (empty when the object does not say).
    pub image: String,
    /// The full sha when known, else the short one from the label.
    pub commit: String,
    /// Epoch seconds.
    pub started: Option<i64>,
    pub finished: Option<i64>,
    pub message: String,
}

impl BuildRun {
    /// Seconds from start to finish, or to `now` while it runs.
    pub fn duration(&self, now: i64) -> Option<i64> {
        let started = self.started?;
        let end = if self.terminal() {
            self.finished.unwrap_or(now)
        } else {
            now
        };
        Some((end - started).max(0))
    }

    /// It will not change any more.
    pub fn terminal(&self) -> bool {
        matches!(
            self.phase,
            BuildPhase::Succeeded | BuildPhase::Failed | BuildPhase::Error
        )
    }
}

fn text<'a>(value: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter()
        .try_fold(value, |value, key| value.get(key))
        .and_then(Value::as_str)
}

fn epoch(value: Option<&str>) -> Option<i64> {
    value
        .and_then(|text| text.parse::<jiff::Timestamp>().ok())
        .map(|ts| ts.as_second())
}

/// The fields both kinds share, `None` without the build label.
fn base(obj: &Value, kind: RunKind) -> Option<BuildRun> {
    let labels = obj.pointer("/metadata/labels")?;
    let build = labels.get(BUILD_LABEL)?.as_str()?.to_string();
    let label = |key: &str| labels.get(key).and_then(Value::as_str).map(str::to_string);
    let annotation = |key: &str| text(obj, &["metadata", "annotations", key]).map(str::to_string);
    Some(BuildRun {
        name: text(obj, &["metadata", "name"])
            .unwrap_or_default()
            .to_string(),
        namespace: text(obj, &["metadata", "namespace"])
            .unwrap_or_default()
            .to_string(),
        kind,
        build,
        app: label(APP_LABEL),
        phase: BuildPhase::Unknown,
        image: annotation(IMAGE_ANNOTATION).unwrap_or_default(),
        commit: annotation(COMMIT_ANNOTATION)
            .or_else(|| label(COMMIT_LABEL))
            .unwrap_or_default(),
        started: None,
        finished: None,
        message: String::new(),
    })
}

/// A kaniko Job as a run; `None` unless it carries [`BUILD_LABEL`].
pub fn run_from_job(job: &Value) -> Option<BuildRun> {
    let mut run = base(job, RunKind::Job)?;
    let status = job.get("status").unwrap_or(&Value::Null);
    let conditions: &[Value] = status
        .get("conditions")
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice);
    let condition = |kind: &str| {
        conditions.iter().find(|c| {
            c.get("type").and_then(Value::as_str) == Some(kind)
                && c.get("status").and_then(Value::as_str) == Some("True")
        })
    };
    let why = |c: &Value| {
        let reason = c.get("reason").and_then(Value::as_str).unwrap_or_default();
        let message = c.get("message").and_then(Value::as_str).unwrap_or_default();
        match (reason.is_empty(), message.is_empty()) {
            (false, false) => format!("{reason}: {message}"),
            (false, true) => reason.to_string(),
            _ => message.to_string(),
        }
    };
    let count = |key: &str| status.get(key).and_then(Value::as_i64).unwrap_or(0);
    run.started = epoch(status.get("startTime").and_then(Value::as_str));

    // Order matters: the terminal conditions win over the interim ones
    // that precede them, and those over the counters.
    if let Some(c) = condition("Complete") {
        run.phase = BuildPhase::Succeeded;
        run.finished = epoch(status.get("completionTime").and_then(Value::as_str))
            .or_else(|| epoch(c.get("lastTransitionTime").and_then(Value::as_str)));
    } else if let Some(c) = condition("Failed") {
        run.phase = BuildPhase::Failed;
        run.finished = epoch(c.get("lastTransitionTime").and_then(Value::as_str));
        run.message = why(c);
    } else if let Some(c) = condition("FailureTarget") {
        run.phase = BuildPhase::Failing;
        run.message = why(c);
        if run.message.is_empty() {
            run.message = "failing".to_string();
        }
    } else if condition("SuccessCriteriaMet").is_some() {
        run.phase = BuildPhase::Running;
        run.message = "completing".to_string();
    } else if let Some(c) = condition("Suspended") {
        run.phase = BuildPhase::Pending;
        run.message = format!("suspended{}", prefixed(&why(c)));
    } else if job.pointer("/spec/suspend").and_then(Value::as_bool) == Some(true) {
        run.phase = BuildPhase::Pending;
        run.message = "suspended".to_string();
    } else if count("active") > 0 {
        run.phase = BuildPhase::Running;
        if status.get("ready").and_then(Value::as_i64) == Some(0) {
            run.message = "starting".to_string();
        }
    } else if count("failed") > 0 {
        // backoffLimit 0: a failed pod and nothing active means the Failed
        // condition is on its way (clusters before 1.31 have no FailureTarget).
        run.phase = BuildPhase::Failing;
        run.message = "failing".to_string();
    } else if count("succeeded") > 0 {
        run.phase = BuildPhase::Running;
        run.message = "completing".to_string();
    } else {
        // Just created: the controller has not started a pod yet.
        run.phase = BuildPhase::Pending;
    }
    Some(run)
}

fn prefixed(text: &str) -> String {
    if text.is_empty() {
        String::new()
    } else {
        format!(": {text}")
    }
}

/// An Argo Workflow as a run; `None` unless it carries [`BUILD_LABEL`]
/// (Workflows bosun did not submit are not builds).
pub fn run_from_workflow(wf: &Value) -> Option<BuildRun> {
    let mut run = base(wf, RunKind::Workflow)?;
    let status = wf.get("status").unwrap_or(&Value::Null);
    run.phase = match status.get("phase").and_then(Value::as_str) {
        // No phase yet: the controller has not picked it up.
        None | Some("") | Some("Pending") => BuildPhase::Pending,
        Some("Running") => BuildPhase::Running,
        Some("Succeeded") => BuildPhase::Succeeded,
        Some("Failed") => BuildPhase::Failed,
        Some("Error") => BuildPhase::Error,
        Some(_) => BuildPhase::Unknown,
    };
    run.started = epoch(status.get("startedAt").and_then(Value::as_str));
    run.finished = epoch(status.get("finishedAt").and_then(Value::as_str));
    run.message = status
        .get("message")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    if run.message.is_empty() && matches!(run.phase, BuildPhase::Failed | BuildPhase::Error) {
        run.message = failed_node_message(status).unwrap_or_default();
    }
    // Bosun's annotations first; a Workflow submitted by hand from the
    // template may still carry the parameters.
    let parameter = |name: &str| {
        wf.pointer("/spec/arguments/parameters")
            .and_then(Value::as_array)?
            .iter()
            .find(|p| p.get("name").and_then(Value::as_str) == Some(name))?
            .get("value")
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    if run.image.is_empty() {
        run.image = parameter("image").unwrap_or_default();
    }
    if run.commit.is_empty() {
        run.commit = parameter("commit").unwrap_or_default();
    }
    Some(run)
}

/// The first failed or errored pod node's message. `nodes` is absent when
/// the controller compressed or offloaded it; then there is none.
fn failed_node_message(status: &Value) -> Option<String> {
    let nodes = status.get("nodes")?.as_object()?;
    let mut failed: Vec<&Value> = nodes
        .values()
        .filter(|node| {
            matches!(
                node.get("phase").and_then(Value::as_str),
                Some("Failed" | "Error")
            ) && node
                .get("message")
                .and_then(Value::as_str)
                .is_some_and(|m| !m.is_empty())
        })
        .collect();
    // Pods are where the build ran; their messages say the most. The map
    // is unordered, so pick by name for a stable answer.
    failed.sort_by_key(|node| {
        (
            node.get("type").and_then(Value::as_str) != Some("Pod"),
            node.get("name").and_then(Value::as_str).unwrap_or_default(),
        )
    });
    failed
        .first()
        .and_then(|node| node.get("message").and_then(Value::as_str))
        .map(str::to_string)
}

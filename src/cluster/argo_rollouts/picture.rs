//! The `kubectl argo rollouts get rollout` picture (cmd/get/get_rollout.go
//! `PrintRollout` and `PrintRolloutTree`, info/*.go), drawn from the
//! watched rows so it moves as they do. Two additions the CLI leaves to
//! the dashboard are marked as such: the canary steps with the current one
//! marked, and the blue-green Services; and each AnalysisRun's metrics.

use super::model::Rollout;
use super::status::{self, Phase};
use crate::cluster::age::{Epoch, age, human_duration};
use crate::cluster::rows::PodRow;
use crate::cluster::rows::argo::{AnalysisRunRow, RolloutReplicaSetRow, RolloutRow};

/// What the picture is drawn from: one Rollout and the rows around it.
pub struct PictureInput<'a> {
    pub rollout: &'a RolloutRow,
    pub replicasets: Vec<&'a RolloutReplicaSetRow>,
    pub pods: Vec<&'a PodRow>,
    pub runs: Vec<&'a AnalysisRunRow>,
    pub now: Epoch,
}

/// ReplicaSet roles (info/replicaset_info.go).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Roles {
    pub stable: bool,
    pub canary: bool,
    pub active: bool,
    pub preview: bool,
}

pub fn roles(rollout: &Rollout, hash: &str) -> Roles {
    let status = rollout.status();
    let mut roles = Roles::default();
    if rollout.spec.strategy.canary.is_some() {
        if status.stable_rs == hash {
            roles.stable = true;
        } else if status.current_pod_hash == hash {
            roles.canary = true;
        }
    }
    if rollout.spec.strategy.blue_green.is_some() {
        roles.stable = status.stable_rs == hash;
        if status.blue_green.active_selector == hash {
            roles.active = true;
        } else if status.blue_green.preview_selector == hash {
            roles.preview = true;
        }
    }
    roles
}

impl Roles {
    fn words(self) -> Vec<&'static str> {
        let mut words = Vec::new();
        if self.stable {
            words.push("stable");
        }
        if self.canary {
            words.push("canary");
        } else if self.active {
            words.push("active");
        } else if self.preview {
            words.push("preview");
        }
        words
    }
}

fn rs_icon(status: &str) -> &'static str {
    match status {
        "Healthy" => "✔",
        "Progressing" => "◌",
        "ScaledDown" => "•",
        _ => "⚠",
    }
}

/// Pod icons (info/pod_info.go).
pub fn pod_icon(status: &str) -> &'static str {
    match status {
        "Running" | "Completed" => "✔",
        "Pending" | "Terminating" | "ContainerCreating" => "◌",
        s if s.starts_with("Init:") => "◌",
        "Failed" | "InvalidImageName" | "CrashLoopBackOff" => "✖",
        s if s.starts_with("Signal:") || s.starts_with("ExitCode:") => "✖",
        "ImagePullBackOff" | "RegistryUnavailable" => "⚠",
        s if s.ends_with("Error") || s.starts_with("Err") => "⚠",
        "Unknown" => "?",
        _ => " ",
    }
}

/// AnalysisRun phase icons (analysisrun_info.go).
pub fn analysis_icon(phase: &str) -> &'static str {
    match phase {
        "Successful" => "✔",
        "Inconclusive" => "?",
        "Failed" => "✖",
        "Error" => "⚠",
        "Running" => "◌",
        "Pending" => "◷",
        _ => " ",
    }
}

/// The canary ReplicaSet's available pods, for ACTUAL-WEIGHT.
pub fn canary_available(
    rollout: &RolloutRow,
    replicasets: &[&RolloutReplicaSetRow],
) -> Option<i32> {
    replicasets
        .iter()
        .find(|rs| roles(&rollout.rollout.0, &rs.hash).canary)
        .map(|rs| rs.available)
}

const LABEL_WIDTH: usize = 17;

fn field(label: &str, value: impl std::fmt::Display) -> String {
    format!("{label:<LABEL_WIDTH$}{value}")
}

/// `info.Images`: images of ReplicaSets with pods, tagged by role.
fn images(rollout: &Rollout, replicasets: &[&RolloutReplicaSetRow]) -> Vec<String> {
    let mut tagged: std::collections::BTreeMap<&str, std::collections::BTreeSet<&'static str>> =
        Default::default();
    for rs in replicasets.iter().filter(|rs| rs.replicas > 0) {
        let words = roles(rollout, &rs.hash).words();
        for image in rs.images.iter() {
            tagged
                .entry(image)
                .or_default()
                .extend(words.iter().copied());
        }
    }
    tagged
        .into_iter()
        .map(|(image, tags)| {
            if tags.is_empty() {
                image.to_string()
            } else {
                format!(
                    "{image} ({})",
                    tags.into_iter().collect::<Vec<_>>().join(", ")
                )
            }
        })
        .collect()
}

/// One tree row: NAME KIND STATUS AGE INFO.
struct TreeRow {
    name: String,
    kind: &'static str,
    status: String,
    age: String,
    info: String,
}

fn branch(last: bool) -> (&'static str, &'static str) {
    if last {
        ("└──", "   ")
    } else {
        ("├──", "│  ")
    }
}

pub fn picture(input: &PictureInput) -> Vec<String> {
    let row = input.rollout;
    let rollout = &row.rollout.0;
    let mut lines = vec![
        field("Name:", &row.name),
        field("Namespace:", &row.namespace),
        field(
            "Status:",
            format!("{} {}", row.phase.icon(), row.phase.as_str()),
        ),
    ];
    if !row.message.is_empty() {
        lines.push(field("Message:", &row.message));
    }
    lines.push(field("Strategy:", row.strategy));
    let replicasets: Vec<&RolloutReplicaSetRow> = input
        .replicasets
        .iter()
        .copied()
        .filter(|rs| rs.namespace == row.namespace && rs.rollout == row.name)
        .collect();
    if rollout.spec.strategy.canary.is_some() {
        let (_, index) = status::current_step(rollout);
        let step = match index {
            Some(index) => format!("{index}/{}", rollout.steps().len()),
            None => String::new(),
        };
        lines.push(field("  Step:", step));
        lines.push(field("  SetWeight:", status::current_set_weight(rollout)));
        lines.push(field(
            "  ActualWeight:",
            status::actual_weight(rollout, canary_available(row, &replicasets)),
        ));
    }
    for (i, image) in images(rollout, &replicasets).into_iter().enumerate() {
        lines.push(field(if i == 0 { "Images:" } else { "" }, image));
    }
    lines.push("Replicas:".into());
    lines.push(field("  Desired:", row.desired));
    lines.push(field("  Current:", row.current));
    lines.push(field("  Updated:", row.updated));
    lines.push(field("  Ready:", row.ready));
    lines.push(field("  Available:", row.available));
    // Not in the CLI (the dashboard shows them): the steps, the Services.
    extra_sections(rollout, &mut lines);
    lines.push(String::new());
    lines.extend(tree(input, &replicasets));
    analysis_section(input, &mut lines);
    lines
}

fn extra_sections(rollout: &Rollout, lines: &mut Vec<String>) {
    let steps = rollout.steps();
    if !steps.is_empty() {
        let index = status::current_step(rollout).1.unwrap_or(0);
        lines.push("Steps:".into());
        for (i, step) in steps.iter().enumerate() {
            let mark = match (i as i32).cmp(&index) {
                std::cmp::Ordering::Less => "✔",
                std::cmp::Ordering::Equal => "▶",
                std::cmp::Ordering::Greater => " ",
            };
            lines.push(format!("  {mark} {i}  {}", step.describe()));
        }
    }
    if let Some(blue_green) = &rollout.spec.strategy.blue_green {
        let status = rollout.status();
        lines.push("Services:".into());
        let selector = |hash: &str| {
            if hash.is_empty() {
                "(no pods selected yet)".to_string()
            } else {
                format!("→ {hash}")
            }
        };
        lines.push(field(
            "  Active:",
            format!(
                "{} {}",
                blue_green.active_service,
                selector(&status.blue_green.active_selector)
            ),
        ));
        if let Some(preview) = &blue_green.preview_service {
            lines.push(field(
                "  Preview:",
                format!(
                    "{preview} {}",
                    selector(&status.blue_green.preview_selector)
                ),
            ));
        }
    }
}

fn tree(input: &PictureInput, replicasets: &[&RolloutReplicaSetRow]) -> Vec<String> {
    let row = input.rollout;
    let rollout = &row.rollout.0;
    let now = input.now;
    let runs: Vec<&AnalysisRunRow> = input
        .runs
        .iter()
        .copied()
        .filter(|run| run.namespace == row.namespace && run.rollout == row.name)
        .collect();
    let mut revisions: Vec<i64> = replicasets
        .iter()
        .map(|rs| rs.revision)
        .chain(runs.iter().map(|run| run.revision))
        .collect();
    revisions.sort_unstable_by(|a, b| b.cmp(a));
    revisions.dedup();
    let mut rows = vec![TreeRow {
        name: format!("⟳ {}", row.name),
        kind: "Rollout",
        status: format!("{} {}", row.phase.icon(), row.phase.as_str()),
        age: age(row.created, now),
        info: String::new(),
    }];
    for (r, revision) in revisions.iter().enumerate() {
        let (rev_branch, rev_indent) = branch(r + 1 == revisions.len());
        rows.push(TreeRow {
            name: format!("{rev_branch}# revision:{revision}"),
            kind: "",
            status: String::new(),
            age: String::new(),
            info: String::new(),
        });
        let mut sets: Vec<&&RolloutReplicaSetRow> = replicasets
            .iter()
            .filter(|rs| rs.revision == *revision)
            .collect();
        sets.sort_by(|a, b| a.name.cmp(&b.name));
        let mut these_runs: Vec<&&AnalysisRunRow> = runs
            .iter()
            .filter(|run| run.revision == *revision)
            .collect();
        these_runs.sort_by(|a, b| a.created.cmp(&b.created).then(b.name.cmp(&a.name)));
        let children = sets.len() + these_runs.len();
        for (i, rs) in sets.iter().enumerate() {
            let (rs_branch, rs_indent) = branch(i + 1 == children);
            let health = rs.status();
            let mut info = roles(rollout, &rs.hash)
                .words()
                .into_iter()
                .map(str::to_string)
                .collect::<Vec<_>>();
            if !rs.scale_down_deadline.is_empty()
                && let Ok(deadline) = rs.scale_down_deadline.parse::<jiff::Timestamp>()
            {
                let left = deadline.as_second() - now;
                info.push(if left > 0 {
                    format!("delay:{}", human_duration(left))
                } else {
                    "delay:passed".into()
                });
            }
            rows.push(TreeRow {
                name: format!("{rev_indent}{rs_branch}⧉ {}", rs.name),
                kind: "ReplicaSet",
                status: format!("{} {health}", rs_icon(health)),
                age: age(rs.created, now),
                info: info.join(","),
            });
            let mut pods: Vec<&&PodRow> = input
                .pods
                .iter()
                .filter(|pod| {
                    pod.namespace == rs.namespace
                        && pod
                            .labels
                            .iter()
                            .any(|(k, v)| &**k == super::HASH_LABEL && *v == rs.hash)
                })
                .collect();
            pods.sort_by(|a, b| a.created.cmp(&b.created).then(a.name.cmp(&b.name)));
            for (p, pod) in pods.iter().enumerate() {
                let (pod_branch, _) = branch(p + 1 == pods.len());
                let mut info = format!("ready:{}/{}", pod.ready, pod.total);
                if pod.restarts > 0 {
                    info.push_str(&format!(",restarts:{}", pod.restarts));
                }
                rows.push(TreeRow {
                    name: format!("{rev_indent}{rs_indent}{pod_branch}□ {}", pod.name),
                    kind: "Pod",
                    status: format!("{} {}", pod_icon(&pod.status), pod.status),
                    age: age(pod.created, now),
                    info,
                });
            }
        }
        for (i, run) in these_runs.iter().enumerate() {
            let (run_branch, run_indent) = branch(sets.len() + i + 1 == children);
            rows.push(TreeRow {
                name: format!("{rev_indent}{run_branch}α {}", run.name),
                kind: "AnalysisRun",
                status: format!("{} {}", analysis_icon(&run.phase), run.phase),
                age: age(run.created, now),
                info: run.info(),
            });
            for (j, (job, phase)) in run.jobs.iter().enumerate() {
                let (job_branch, _) = branch(j + 1 == run.jobs.len());
                rows.push(TreeRow {
                    name: format!("{rev_indent}{run_indent}{job_branch}⊞ {job}"),
                    kind: "Job",
                    status: format!("{} {phase}", analysis_icon(phase)),
                    age: String::new(),
                    info: String::new(),
                });
            }
        }
    }
    render_table(&rows)
}

/// Like Go's tabwriter with padding 2: columns as wide as their widest
/// cell (in characters), the last one unpadded.
fn render_table(rows: &[TreeRow]) -> Vec<String> {
    let width = |s: &str| s.chars().count();
    let header = TreeRow {
        name: "NAME".into(),
        kind: "KIND",
        status: "STATUS".into(),
        age: "AGE".into(),
        info: "INFO".into(),
    };
    let all: Vec<&TreeRow> = std::iter::once(&header).chain(rows).collect();
    let w_name = all.iter().map(|r| width(&r.name)).max().unwrap_or(0) + 2;
    let w_kind = all.iter().map(|r| width(r.kind)).max().unwrap_or(0) + 2;
    let w_status = all.iter().map(|r| width(&r.status)).max().unwrap_or(0) + 2;
    let w_age = all.iter().map(|r| width(&r.age)).max().unwrap_or(0) + 2;
    let pad = |s: &str, w: usize| format!("{s}{}", " ".repeat(w.saturating_sub(width(s))));
    all.iter()
        .map(|r| {
            format!(
                "{}{}{}{}{}",
                pad(&r.name, w_name),
                pad(r.kind, w_kind),
                pad(&r.status, w_status),
                pad(&r.age, w_age),
                r.info
            )
            .trim_end()
            .to_string()
        })
        .collect()
}

fn analysis_section(input: &PictureInput, lines: &mut Vec<String>) {
    let row = input.rollout;
    let mut runs: Vec<&&AnalysisRunRow> = input
        .runs
        .iter()
        .filter(|run| run.namespace == row.namespace && run.rollout == row.name)
        .filter(|run| !run.metrics.is_empty())
        .collect();
    if runs.is_empty() {
        return;
    }
    runs.sort_by(|a, b| b.revision.cmp(&a.revision).then(a.created.cmp(&b.created)));
    lines.push(String::new());
    lines.push("Analysis (metric results; not in the CLI):".into());
    for run in runs {
        let mut head = format!("  α {}  {}", run.name, run.phase);
        if !run.message.is_empty() {
            head.push_str(&format!(" — {}", run.message));
        }
        lines.push(head);
        for metric in run.metrics.iter() {
            let mut line = format!(
                "    {} {}  {}  ✔ {} ✖ {} ? {} ⚠ {}",
                analysis_icon(&metric.phase),
                metric.name,
                metric.phase,
                metric.successful,
                metric.failed,
                metric.inconclusive,
                metric.error
            );
            if !metric.last_value.is_empty() {
                line.push_str(&format!("  last value {}", metric.last_value));
            }
            if !metric.message.is_empty() {
                line.push_str(&format!("  ({})", metric.message));
            }
            lines.push(line);
        }
    }
}

/// The phase a follow stops at: the next pause, Healthy or Degraded.
pub fn is_settled(phase: Phase) -> bool {
    matches!(phase, Phase::Healthy | Phase::Paused | Phase::Degraded)
}

//! Pod rows and kubectl's STATUS / READY / RESTARTS rule (DESIGN §5).

use k8s_openapi::api::core::v1::{Container, ContainerStatus, Pod, PodStatus};

use super::{Health, Labels, Row, compact_labels};
use crate::cluster::age::{Epoch, epoch, epoch_opt};
use crate::cluster::quantity;

/// The node controller's reason for pods on an unreachable node.
const NODE_UNREACHABLE_REASON: &str = "NodeLost";

#[derive(Debug, Clone, PartialEq)]
pub struct PodRow {
    pub namespace: Box<str>,
    pub name: Box<str>,
    pub ready: u16,
    pub total: u16,
    /// The STATUS column, exactly as kubectl prints it.
    pub status: Box<str>,
    pub health: Health,
    /// A plain-words reason for a failing pod (waiting/terminated message).
    pub message: Box<str>,
    pub restarts: u32,
    pub last_restart: Option<Epoch>,
    pub created: Option<Epoch>,
    pub node: Box<str>,
    pub ip: Box<str>,
    pub phase: Box<str>,
    pub labels: Labels,
    /// Summed container requests/limits (None when a container lacks one),
    /// for k9s' %CPU/R and %MEM/L.
    pub cpu_request: Option<u64>,
    pub cpu_limit: Option<u64>,
    pub mem_request: Option<u64>,
    pub mem_limit: Option<u64>,
    pub containers: Box<[ContainerRow]>,
    search: Box<str>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ContainerRow {
    pub name: Box<str>,
    pub image: Box<str>,
    pub init: bool,
    pub ready: bool,
    /// "Running", "Waiting: CrashLoopBackOff", "Terminated: Completed" ...
    pub state: Box<str>,
    pub health: Health,
    pub restarts: u32,
    pub started: Option<Epoch>,
    pub cpu_request: Option<u64>,
    pub cpu_limit: Option<u64>,
    pub mem_request: Option<u64>,
    pub mem_limit: Option<u64>,
    pub ports: Box<str>,
    search: Box<str>,
}

impl Row for ContainerRow {
    fn ident(&self) -> (&str, &str) {
        ("", &self.name)
    }
    fn labels(&self) -> &[(Box<str>, Box<str>)] {
        &[]
    }
    fn search_text(&self) -> &str {
        &self.search
    }
}

impl Row for PodRow {
    fn ident(&self) -> (&str, &str) {
        (&self.namespace, &self.name)
    }
    fn labels(&self) -> &[(Box<str>, Box<str>)] {
        &self.labels
    }
    fn search_text(&self) -> &str {
        &self.search
    }
}

/// What kubectl's printPod computes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodStatusSummary {
    pub status: String,
    pub ready: u16,
    pub total: u16,
    pub restarts: u32,
    pub last_restart: Option<Epoch>,
}

fn is_restartable_init(container: Option<&Container>) -> bool {
    container
        .and_then(|container| container.restart_policy.as_deref())
        .is_some_and(|policy| policy == "Always")
}

fn last_termination(status: &ContainerStatus) -> Option<Epoch> {
    status
        .last_state
        .as_ref()
        .and_then(|state| state.terminated.as_ref())
        .and_then(|terminated| epoch_opt(terminated.finished_at.as_ref()))
}

fn later(current: Option<Epoch>, candidate: Option<Epoch>) -> Option<Epoch> {
    match (current, candidate) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

fn has_condition(status: &PodStatus, kind: &str) -> bool {
    status
        .conditions
        .iter()
        .flatten()
        .any(|condition| condition.type_ == kind && condition.status == "True")
}

/// kubectl's STATUS/READY/RESTARTS rule (printPod in kubectl's printers).
pub fn summarize(pod: &Pod) -> PodStatusSummary {
    let empty_status = PodStatus::default();
    let status = pod.status.as_ref().unwrap_or(&empty_status);
    let spec = pod.spec.as_ref();
    let init_specs: &[Container] = spec
        .and_then(|spec| spec.init_containers.as_deref())
        .unwrap_or(&[]);
    let mut total = spec.map(|spec| spec.containers.len()).unwrap_or(0);
    let mut ready = 0usize;
    let mut restarts: u32 = 0;
    let mut last_restart: Option<Epoch> = None;

    let mut reason = status.phase.clone().unwrap_or_default();
    if let Some(status_reason) = status.reason.as_deref().filter(|r| !r.is_empty()) {
        reason = status_reason.to_string();
    }
    for condition in status.conditions.iter().flatten() {
        if condition.type_ == "PodScheduled"
            && condition.reason.as_deref() == Some("SchedulingGated")
        {
            reason = "SchedulingGated".to_string();
        }
    }

    let init_spec = |name: &str| init_specs.iter().find(|container| container.name == name);
    total += init_specs
        .iter()
        .filter(|container| is_restartable_init(Some(container)))
        .count();

    let mut sidecar_restarts: u32 = 0;
    let mut sidecar_last_restart: Option<Epoch> = None;
    let mut initializing = false;
    let init_statuses = status.init_container_statuses.as_deref().unwrap_or(&[]);
    for (index, container) in init_statuses.iter().enumerate() {
        restarts = restarts.saturating_add(container.restart_count.max(0) as u32);
        last_restart = later(last_restart, last_termination(container));
        let sidecar = is_restartable_init(init_spec(&container.name));
        if sidecar {
            sidecar_restarts =
                sidecar_restarts.saturating_add(container.restart_count.max(0) as u32);
            sidecar_last_restart = later(sidecar_last_restart, last_termination(container));
        }
        // A started sidecar (restartable init container) counts like a
        // regular container; one not started yet still blocks init.
        if sidecar && container.started == Some(true) {
            if container.ready {
                ready += 1;
            }
            continue;
        }
        let state = container.state.as_ref();
        let terminated = state.and_then(|state| state.terminated.as_ref());
        let waiting = state.and_then(|state| state.waiting.as_ref());
        match (terminated, waiting) {
            (Some(terminated), _) if terminated.exit_code == 0 => continue,
            (Some(terminated), _) => {
                reason = match terminated.reason.as_deref().filter(|r| !r.is_empty()) {
                    Some(why) => format!("Init:{why}"),
                    None => match terminated.signal.filter(|signal| *signal != 0) {
                        Some(signal) => format!("Init:Signal:{signal}"),
                        None => format!("Init:ExitCode:{}", terminated.exit_code),
                    },
                };
            }
            (None, Some(waiting))
                if waiting
                    .reason
                    .as_deref()
                    .is_some_and(|why| !why.is_empty() && why != "PodInitializing") =>
            {
                reason = format!("Init:{}", waiting.reason.as_deref().unwrap_or_default());
            }
            _ => {
                reason = format!("Init:{}/{}", index, init_specs.len());
            }
        }
        initializing = true;
        break;
    }

    if !initializing || has_condition(status, "Initialized") {
        restarts = sidecar_restarts;
        last_restart = sidecar_last_restart;
        let mut has_running = false;
        for container in status.container_statuses.iter().flatten().rev() {
            restarts = restarts.saturating_add(container.restart_count.max(0) as u32);
            last_restart = later(last_restart, last_termination(container));
            let state = container.state.as_ref();
            let waiting = state.and_then(|state| state.waiting.as_ref());
            let terminated = state.and_then(|state| state.terminated.as_ref());
            let running = state.and_then(|state| state.running.as_ref());
            if let Some(why) = waiting
                .and_then(|w| w.reason.as_deref())
                .filter(|r| !r.is_empty())
            {
                reason = why.to_string();
            } else if let Some(terminated) = terminated {
                reason = match terminated.reason.as_deref().filter(|r| !r.is_empty()) {
                    Some(why) => why.to_string(),
                    None => match terminated.signal.filter(|signal| *signal != 0) {
                        Some(signal) => format!("Signal:{signal}"),
                        None => format!("ExitCode:{}", terminated.exit_code),
                    },
                };
            } else if container.ready && running.is_some() {
                has_running = true;
                ready += 1;
            }
        }
        if reason == "Completed" && has_running {
            reason = if has_condition(status, "Ready") {
                "Running".to_string()
            } else {
                "NotReady".to_string()
            };
        }
    }

    let phase = status.phase.as_deref().unwrap_or_default();
    let terminal = phase == "Failed" || phase == "Succeeded";
    if pod.metadata.deletion_timestamp.is_some() {
        if status.reason.as_deref() == Some(NODE_UNREACHABLE_REASON) {
            reason = "Unknown".to_string();
        } else if !terminal {
            reason = "Terminating".to_string();
        }
    }

    PodStatusSummary {
        status: reason,
        ready: ready.min(u16::MAX as usize) as u16,
        total: total.min(u16::MAX as usize) as u16,
        restarts,
        last_restart,
    }
}

/// Statuses that mean "broken" rather than "on its way".
fn is_error_status(status: &str) -> bool {
    let reason = status.strip_prefix("Init:").unwrap_or(status);
    matches!(
        reason,
        "CrashLoopBackOff"
            | "ImagePullBackOff"
            | "ErrImagePull"
            | "ErrImageNeverPull"
            | "InvalidImageName"
            | "CreateContainerConfigError"
            | "CreateContainerError"
            | "RunContainerError"
            | "PreStartHookError"
            | "PostStartHookError"
            | "Error"
            | "OOMKilled"
            | "ContainerCannotRun"
            | "DeadlineExceeded"
            | "Evicted"
            | "Failed"
            | "Unknown"
            | "NodeLost"
            | "NodeAffinity"
            | "OutOfcpu"
            | "OutOfmemory"
    ) || reason.starts_with("ExitCode:")
        || reason.starts_with("Signal:")
}

/// Health of a pod from its summary, for colour and the overview.
pub fn pod_health(summary: &PodStatusSummary) -> Health {
    let status = summary.status.as_str();
    if is_error_status(status) {
        return Health::Error;
    }
    match status {
        "Completed" | "Succeeded" => Health::Done,
        "Running" if summary.ready < summary.total => Health::Warn,
        "Running" => Health::Ok,
        "NotReady" => Health::Warn,
        _ => Health::Pending,
    }
}

/// The most useful message for a pod that is not fine: a waiting or
/// terminated container's message, the scheduler's condition, the status.
fn failure_message(pod: &Pod) -> String {
    let Some(status) = pod.status.as_ref() else {
        return String::new();
    };
    let containers = status
        .init_container_statuses
        .iter()
        .flatten()
        .chain(status.container_statuses.iter().flatten());
    for container in containers {
        let state = container.state.as_ref();
        if let Some(message) = state
            .and_then(|state| state.waiting.as_ref())
            .and_then(|waiting| waiting.message.as_deref())
            .filter(|message| !message.is_empty())
        {
            return message.to_string();
        }
        if let Some(terminated) = state.and_then(|state| state.terminated.as_ref())
            && terminated.exit_code != 0
        {
            return terminated
                .message
                .clone()
                .filter(|message| !message.is_empty())
                .unwrap_or_else(|| {
                    format!(
                        "container {} exited with code {}",
                        container.name, terminated.exit_code
                    )
                });
        }
    }
    for condition in status.conditions.iter().flatten() {
        if condition.status == "False"
            && let Some(message) = condition.message.as_deref().filter(|m| !m.is_empty())
        {
            return message.to_string();
        }
    }
    status.message.clone().unwrap_or_default()
}

fn container_state(status: Option<&ContainerStatus>) -> (String, Health, Option<Epoch>) {
    let Some(state) = status.and_then(|status| status.state.as_ref()) else {
        return ("Waiting".to_string(), Health::Pending, None);
    };
    if let Some(running) = &state.running {
        let ready = status.is_some_and(|status| status.ready);
        let health = if ready { Health::Ok } else { Health::Warn };
        return (
            "Running".to_string(),
            health,
            epoch_opt(running.started_at.as_ref()),
        );
    }
    if let Some(waiting) = &state.waiting {
        let reason = waiting.reason.clone().unwrap_or_default();
        let health = if is_error_status(&reason) {
            Health::Error
        } else {
            Health::Pending
        };
        return (format!("Waiting: {reason}"), health, None);
    }
    if let Some(terminated) = &state.terminated {
        let reason = terminated
            .reason
            .clone()
            .unwrap_or_else(|| format!("ExitCode:{}", terminated.exit_code));
        let health = if terminated.exit_code == 0 {
            Health::Done
        } else {
            Health::Error
        };
        return (
            format!("Terminated: {reason}"),
            health,
            epoch_opt(terminated.started_at.as_ref()),
        );
    }
    ("Waiting".to_string(), Health::Pending, None)
}

fn resource(container: &Container, limits: bool, key: &str) -> Option<u64> {
    let resources = container.resources.as_ref()?;
    let map = if limits {
        resources.limits.as_ref()?
    } else {
        resources.requests.as_ref()?
    };
    let value = map.get(key)?;
    if key == "cpu" {
        quantity::cpu_millis(&value.0)
    } else {
        quantity::bytes(&value.0)
    }
}

fn sum_resource(containers: &[Container], limits: bool, key: &str) -> Option<u64> {
    if containers.is_empty() {
        return None;
    }
    containers
        .iter()
        .map(|container| resource(container, limits, key))
        .sum()
}

fn container_rows(pod: &Pod) -> Box<[ContainerRow]> {
    let Some(spec) = pod.spec.as_ref() else {
        return Box::default();
    };
    let status = pod.status.as_ref();
    let find = |statuses: Option<&Vec<ContainerStatus>>, name: &str| {
        statuses
            .and_then(|statuses| statuses.iter().find(|status| status.name == name))
            .cloned()
    };
    let inits = spec
        .init_containers
        .iter()
        .flatten()
        .map(|container| (container, true));
    let mains = spec.containers.iter().map(|container| (container, false));
    inits
        .chain(mains)
        .map(|(container, init)| {
            let statuses = status.and_then(|status| {
                if init {
                    status.init_container_statuses.as_ref()
                } else {
                    status.container_statuses.as_ref()
                }
            });
            let container_status = find(statuses, &container.name);
            let (state, health, started) = container_state(container_status.as_ref());
            let ports = container
                .ports
                .iter()
                .flatten()
                .map(|port| match port.name.as_deref() {
                    Some(name) => format!("{name}:{}", port.container_port),
                    None => port.container_port.to_string(),
                })
                .collect::<Vec<_>>()
                .join(",");
            ContainerRow {
                name: container.name.as_str().into(),
                image: container.image.clone().unwrap_or_default().into(),
                init,
                ready: container_status.as_ref().is_some_and(|status| status.ready),
                state: state.clone().into(),
                health,
                restarts: container_status
                    .as_ref()
                    .map(|status| status.restart_count.max(0) as u32)
                    .unwrap_or(0),
                started,
                cpu_request: resource(container, false, "cpu"),
                cpu_limit: resource(container, true, "cpu"),
                mem_request: resource(container, false, "memory"),
                mem_limit: resource(container, true, "memory"),
                ports: ports.into(),
                search: format!(
                    "{} {} {state}",
                    container.name,
                    container.image.as_deref().unwrap_or_default()
                )
                .to_lowercase()
                .into(),
            }
        })
        .collect()
}

impl PodRow {
    /// Project a Pod into its row.
    pub fn from_pod(pod: &Pod) -> Self {
        let summary = summarize(pod);
        let health = pod_health(&summary);
        let namespace = pod.metadata.namespace.clone().unwrap_or_default();
        let name = pod.metadata.name.clone().unwrap_or_default();
        let spec = pod.spec.as_ref();
        let containers: &[Container] = spec.map(|spec| spec.containers.as_slice()).unwrap_or(&[]);
        let node = spec
            .and_then(|spec| spec.node_name.clone())
            .unwrap_or_default();
        let status = pod.status.as_ref();
        let message = if matches!(health, Health::Ok | Health::Done) {
            String::new()
        } else {
            failure_message(pod)
        };
        let search = format!("{namespace}/{name} {} {node}", summary.status).to_lowercase();
        PodRow {
            ready: summary.ready,
            total: summary.total,
            restarts: summary.restarts,
            last_restart: summary.last_restart,
            created: pod.metadata.creation_timestamp.as_ref().map(epoch),
            ip: status
                .and_then(|status| status.pod_ip.clone())
                .unwrap_or_default()
                .into(),
            phase: status
                .and_then(|status| status.phase.clone())
                .unwrap_or_default()
                .into(),
            labels: compact_labels(pod.metadata.labels.as_ref()),
            cpu_request: sum_resource(containers, false, "cpu"),
            cpu_limit: sum_resource(containers, true, "cpu"),
            mem_request: sum_resource(containers, false, "memory"),
            mem_limit: sum_resource(containers, true, "memory"),
            containers: container_rows(pod),
            status: summary.status.into(),
            health,
            message: message.into(),
            node: node.into(),
            namespace: namespace.into(),
            name: name.into(),
            search: search.into(),
        }
    }

    /// RESTARTS column: "47 (2m ago)" as kubectl prints it.
    pub fn restarts_text(&self, now: Epoch) -> String {
        match self.last_restart {
            Some(when) if self.restarts > 0 => {
                format!(
                    "{} ({} ago)",
                    self.restarts,
                    crate::cluster::age::human_duration(now - when)
                )
            }
            _ => self.restarts.to_string(),
        }
    }

    /// A failing pod for the overview: broken, or Pending for too long.
    pub fn is_failing(&self, now: Epoch, pending_grace: i64) -> bool {
        match self.health {
            Health::Error => true,
            Health::Pending => {
                self.status.as_ref() != "Terminating"
                    && self
                        .created
                        .is_some_and(|created| now - created > pending_grace)
            }
            _ => false,
        }
    }
}

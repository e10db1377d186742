//! `bosun logs`: a pod's or a whole workload's logs, like `kubectl logs`
//! and stern: several sources are merged in time order and each line is
//! prefixed `pod/container `.

use std::io::{BufWriter, ErrorKind, Write};
use std::process::ExitCode;
use std::time::Duration;

use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, StatefulSet};
use k8s_openapi::api::core::v1::Pod;
use kube::api::ListParams;
use kube::{Api, ResourceExt};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::cluster::client::{LoadedKubeconfig, client_for, plain_client_error};
use crate::cluster::kind::ResourceKind;
use crate::cluster::logs::{
    LogEvent, LogLine, LogOptions, LogTarget, container_names, format_timestamp,
    loggable_containers, selector_string, tail,
};
use crate::cluster::rows::RowKey;
use crate::config::settings::parse_duration;
use crate::logbuf::LogBuffer;

use super::{EXIT_ERROR, EXIT_FAILED};

/// When following, lines arriving within this long of the first history
/// batches are merged before anything is printed.
const SETTLE_QUIET: Duration = Duration::from_millis(100);
const SETTLE_AFTER_START: Duration = Duration::from_millis(300);
const SETTLE_MAX: Duration = Duration::from_secs(2);

pub struct LogsArgs {
    /// `POD`, `pod/NAME`, `deploy/NAME`, `sts/NAME` or `ds/NAME`.
    pub target: String,
    pub namespace: Option<String>,
    pub container: Option<String>,
    pub follow: bool,
    /// A duration like `5m`.
    pub since: Option<String>,
    pub tail: Option<i64>,
    pub previous: bool,
    pub timestamps: bool,
    pub context: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    Pod(String),
    Workload(ResourceKind, String),
}

fn parse_target(target: &str) -> Result<Target, String> {
    let Some((kind, name)) = target.split_once('/') else {
        if target.is_empty() {
            return Err("the pod name is missing".to_string());
        }
        return Ok(Target::Pod(target.to_string()));
    };
    if name.is_empty() || name.contains('/') {
        return Err(format!(
            "\"{target}\": expected POD or KIND/NAME, like blog-7d9c-x2x4q, deploy/blog, sts/mariadb or ds/node-exporter"
        ));
    }
    let kind = match kind.to_ascii_lowercase().as_str() {
        "po" | "pod" | "pods" => return Ok(Target::Pod(name.to_string())),
        "deploy" | "deployment" | "deployments" | "deployment.apps" => ResourceKind::Deployments,
        "sts" | "statefulset" | "statefulsets" | "statefulset.apps" => ResourceKind::StatefulSets,
        "ds" | "daemonset" | "daemonsets" | "daemonset.apps" => ResourceKind::DaemonSets,
        other => {
            return Err(format!(
                "\"{other}\" has no logs to show: use a pod, deploy/, sts/ or ds/"
            ));
        }
    };
    Ok(Target::Workload(kind, name.to_string()))
}

/// (pod, container) pairs to stream, or why there are none.
async fn resolve(
    client: &kube::Client,
    namespace: &str,
    target: &Target,
    container: Option<&str>,
    previous: bool,
) -> Result<Vec<(String, String)>, String> {
    let pods: Api<Pod> = Api::namespaced(client.clone(), namespace);
    match target {
        Target::Pod(name) => {
            let pod = pods
                .get_opt(name)
                .await
                .map_err(|e| plain_client_error(&e))?
                .ok_or_else(|| format!("pod \"{name}\" not found in namespace \"{namespace}\""))?;
            let all = container_names(&pod);
            let init: Vec<String> = pod
                .spec
                .as_ref()
                .and_then(|s| s.init_containers.as_ref())
                .map(|cs| cs.iter().map(|c| c.name.clone()).collect())
                .unwrap_or_default();
            let chosen = match container {
                Some(c) if all.iter().chain(&init).any(|x| x == c) => vec![c.to_string()],
                Some(c) => {
                    return Err(format!(
                        "container \"{c}\" is not in pod \"{name}\"; choose one of: [{}]",
                        all.join(" ")
                    ));
                }
                None => all,
            };
            if chosen.is_empty() {
                return Err(format!("pod \"{name}\" has no containers"));
            }
            Ok(chosen.into_iter().map(|c| (name.clone(), c)).collect())
        }
        Target::Workload(kind, name) => {
            let selector = workload_selector(client, namespace, *kind, name).await?;
            let mut found = pods
                .list(&ListParams::default().labels(&selector))
                .await
                .map_err(|e| plain_client_error(&e))?
                .items;
            let label = format!("{}/{name}", kind.kind().to_lowercase());
            if found.is_empty() {
                return Err(format!(
                    "no pods match {label} (selector {selector}) in namespace \"{namespace}\""
                ));
            }
            found.sort_by_key(|p| p.name_any());
            let pick = |pod: &Pod, names: Vec<String>| -> Vec<(String, String)> {
                names
                    .into_iter()
                    .filter(|c| container.is_none_or(|wanted| wanted == c))
                    .map(|c| (pod.name_any(), c))
                    .collect()
            };
            // Skip pods with nothing to show yet (pending, waiting), unless
            // that leaves nothing: then let the API say why.
            let loggable: Vec<(String, String)> = found
                .iter()
                .flat_map(|p| pick(p, loggable_containers(p, previous)))
                .collect();
            if !loggable.is_empty() {
                return Ok(loggable);
            }
            let all: Vec<(String, String)> = found
                .iter()
                .flat_map(|p| pick(p, container_names(p)))
                .collect();
            match (all.is_empty(), container) {
                (true, Some(c)) => Err(format!(
                    "no pod of {label} has a container \"{c}\" (namespace \"{namespace}\")"
                )),
                (true, None) => Err(format!("the pods of {label} have no containers")),
                (false, _) => Ok(all),
            }
        }
    }
}

async fn workload_selector(
    client: &kube::Client,
    namespace: &str,
    kind: ResourceKind,
    name: &str,
) -> Result<String, String> {
    let missing = || {
        format!(
            "{} \"{name}\" not found in namespace \"{namespace}\"",
            kind.kind().to_lowercase()
        )
    };
    let plain = |e: kube::Error| plain_client_error(&e);
    let selector = match kind {
        ResourceKind::Deployments => Api::<Deployment>::namespaced(client.clone(), namespace)
            .get_opt(name)
            .await
            .map_err(plain)?
            .ok_or_else(missing)?
            .spec
            .map(|s| s.selector),
        ResourceKind::StatefulSets => Api::<StatefulSet>::namespaced(client.clone(), namespace)
            .get_opt(name)
            .await
            .map_err(plain)?
            .ok_or_else(missing)?
            .spec
            .map(|s| s.selector),
        ResourceKind::DaemonSets => Api::<DaemonSet>::namespaced(client.clone(), namespace)
            .get_opt(name)
            .await
            .map_err(plain)?
            .ok_or_else(missing)?
            .spec
            .map(|s| s.selector),
        other => {
            return Err(format!("{} has no logs to show", other.kind()));
        }
    };
    let selector = selector.map(|s| selector_string(&s)).unwrap_or_default();
    if selector.is_empty() {
        return Err(format!(
            "{} \"{name}\" has no pod selector",
            kind.kind().to_lowercase()
        ));
    }
    Ok(selector)
}

/// How lines are printed.
struct Printer {
    names: Vec<String>,
    prefixed: bool,
    timestamps: bool,
}

impl Printer {
    fn write<'a>(&self, lines: impl Iterator<Item = &'a LogLine>) -> std::io::Result<()> {
        let stdout = std::io::stdout();
        let mut out = BufWriter::with_capacity(64 * 1024, stdout.lock());
        for line in lines {
            if self.prefixed {
                let name = self
                    .names
                    .get(line.source as usize)
                    .map_or("?", String::as_str);
                write!(out, "{name} ")?;
            }
            if self.timestamps && line.nanos != 0 {
                write!(out, "{} ", format_timestamp(line.nanos))?;
            }
            writeln!(out, "{}", super::term::out(&line.text))?;
        }
        out.flush()
    }
}

/// What the event loop makes of one event.
struct Tally {
    open: usize,
    failed: bool,
}

impl Tally {
    /// Lines go to `into`; ends and retries are counted and reported.
    fn take(&mut self, event: LogEvent, names: &[String], into: &mut LogBuffer) {
        match event {
            LogEvent::Lines(lines) => into.push(lines),
            LogEvent::Reconnecting { source, error } => {
                let name = names.get(source as usize).map_or("?", String::as_str);
                crate::errln!("bosun: {name}: {error}; reconnecting");
            }
            LogEvent::Ended { source, reason } => {
                self.open = self.open.saturating_sub(1);
                if let Some(reason) = reason {
                    self.failed = true;
                    let name = names.get(source as usize).map_or("?", String::as_str);
                    crate::errln!("bosun: {name}: {reason}");
                }
            }
        }
    }
}

enum Stop {
    /// Every source ended, or ctrl-c.
    Done,
    /// stdout is gone (`| head`): stop quietly.
    Closed,
    Failed(std::io::Error),
}

fn flush(printer: &Printer, buffer: &mut LogBuffer) -> Result<(), Stop> {
    if buffer.is_empty() {
        return Ok(());
    }
    let result = printer.write(buffer.iter());
    buffer.clear();
    match result {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == ErrorKind::BrokenPipe => Err(Stop::Closed),
        Err(error) => Err(Stop::Failed(error)),
    }
}

/// Not following: collect everything, merge by time, print.
async fn collect(
    receiver: &mut mpsc::Receiver<LogEvent>,
    tally: &mut Tally,
    printer: &Printer,
) -> Stop {
    let mut buffer = LogBuffer::new(usize::MAX);
    let interrupted = tokio::signal::ctrl_c();
    tokio::pin!(interrupted);
    while tally.open > 0 {
        tokio::select! {
            _ = &mut interrupted => return Stop::Done,
            event = receiver.recv() => match event {
                Some(event) => tally.take(event, &printer.names, &mut buffer),
                None => break,
            },
        }
    }
    match flush(printer, &mut buffer) {
        Ok(()) => Stop::Done,
        Err(stop) => stop,
    }
}

/// Following: merge the first histories, then print lines as they come
/// (whatever arrived together is merged by time).
async fn follow(
    receiver: &mut mpsc::Receiver<LogEvent>,
    tally: &mut Tally,
    printer: &Printer,
    sources: usize,
) -> Stop {
    let mut buffer = LogBuffer::new(usize::MAX);
    let interrupted = tokio::signal::ctrl_c();
    tokio::pin!(interrupted);
    let begun = Instant::now();
    let mut heard = vec![false; sources];
    let mut all_heard_at: Option<Instant> = None;
    let mut settled = false;
    loop {
        if tally.open == 0 {
            break;
        }
        let wait_until = if settled {
            None
        } else {
            let cap = begun + SETTLE_MAX;
            Some(match all_heard_at {
                Some(at) => cap
                    .min(at + SETTLE_AFTER_START)
                    .min(Instant::now() + SETTLE_QUIET),
                None => cap,
            })
        };
        let next = async {
            match wait_until {
                Some(at) => tokio::time::timeout_at(at, receiver.recv()).await.ok(),
                None => Some(receiver.recv().await),
            }
        };
        tokio::select! {
            _ = &mut interrupted => break,
            event = next => match event {
                // Settling ran out of time: print what came so far.
                None => settled = true,
                Some(None) => break,
                Some(Some(event)) => {
                    let mut pending = Some(event);
                    while let Some(event) = pending.take() {
                        let source = match &event {
                            LogEvent::Lines(lines) => lines.first().map(|l| l.source),
                            LogEvent::Reconnecting { source, .. } | LogEvent::Ended { source, .. } => Some(*source),
                        };
                        if let Some(seen) = source.and_then(|s| heard.get_mut(s as usize)) {
                            *seen = true;
                        }
                        tally.take(event, &printer.names, &mut buffer);
                        pending = receiver.try_recv().ok();
                    }
                    if all_heard_at.is_none() && heard.iter().all(|h| *h) {
                        all_heard_at = Some(Instant::now());
                    }
                }
            },
        }
        if settled || tally.open == 0 {
            settled = true;
            if let Err(stop) = flush(printer, &mut buffer) {
                return stop;
            }
        }
    }
    match flush(printer, &mut buffer) {
        Ok(()) => Stop::Done,
        Err(stop) => stop,
    }
}

/// `bosun logs POD|pod/NAME|deploy/NAME|sts/NAME|ds/NAME [-n NS] [-c CONTAINER]
/// [-f] [--since 5m] [--tail N] [--previous] [--timestamps]`.
///
/// Exit 0 when done (or stdout closed), 1 when a source failed (no previous
/// instance, a waiting container), 2 when nothing could be streamed.
pub async fn logs(loaded: &LoadedKubeconfig, args: LogsArgs) -> ExitCode {
    let fail = |message: String| {
        crate::errln!("bosun: {message}");
        ExitCode::from(EXIT_ERROR)
    };
    let target = match parse_target(&args.target) {
        Ok(target) => target,
        Err(error) => return fail(error),
    };
    let since_seconds = match args.since.as_deref().map(parse_duration) {
        None => None,
        Some(Some(duration)) => Some(i64::try_from(duration.as_secs()).unwrap_or(i64::MAX)),
        Some(None) => {
            return fail(format!(
                "--since \"{}\": expected a duration like 90s, 5m or 1h",
                args.since.unwrap_or_default()
            ));
        }
    };
    let (client, info) = match client_for(loaded, args.context.as_deref()).await {
        Ok(pair) => pair,
        Err(error) => return fail(error.to_string()),
    };
    let namespace = args
        .namespace
        .clone()
        .or(info.namespace)
        .unwrap_or_else(|| "default".to_string());
    let sources = match resolve(
        &client,
        &namespace,
        &target,
        args.container.as_deref(),
        args.previous,
    )
    .await
    {
        Ok(sources) => sources,
        Err(error) => return fail(error),
    };
    let printer = Printer {
        names: sources.iter().map(|(p, c)| format!("{p}/{c}")).collect(),
        prefixed: sources.len() > 1,
        timestamps: args.timestamps,
    };
    let options = LogOptions {
        follow: args.follow,
        since_seconds,
        // kubectl's -1 means everything.
        tail_lines: args.tail.filter(|n| *n >= 0),
        previous: args.previous,
    };
    let (sender, mut receiver) = mpsc::channel::<LogEvent>(64);
    let tasks: Vec<JoinHandle<()>> = sources
        .iter()
        .enumerate()
        .map(|(i, (pod, container))| {
            tokio::spawn(tail(
                client.clone(),
                u32::try_from(i).unwrap_or(u32::MAX),
                LogTarget {
                    pod: RowKey::new(&namespace, pod),
                    container: container.clone(),
                },
                options.clone(),
                sender.clone(),
            ))
        })
        .collect();
    drop(sender);
    let mut tally = Tally {
        open: sources.len(),
        failed: false,
    };
    let stop = if args.follow {
        follow(&mut receiver, &mut tally, &printer, sources.len()).await
    } else {
        collect(&mut receiver, &mut tally, &printer).await
    };
    for task in &tasks {
        task.abort();
    }
    match stop {
        Stop::Closed => ExitCode::SUCCESS,
        Stop::Failed(error) => {
            crate::errln!("bosun: cannot write the logs: {error}");
            ExitCode::from(EXIT_FAILED)
        }
        Stop::Done if tally.failed => ExitCode::from(EXIT_FAILED),
        Stop::Done => ExitCode::SUCCESS,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_log_targets() {
        assert_eq!(parse_target("web-1"), Ok(Target::Pod("web-1".into())));
        assert_eq!(parse_target("pod/web-1"), Ok(Target::Pod("web-1".into())));
        assert_eq!(
            parse_target("deploy/blog"),
            Ok(Target::Workload(ResourceKind::Deployments, "blog".into()))
        );
        assert_eq!(
            parse_target("sts/mariadb"),
            Ok(Target::Workload(
                ResourceKind::StatefulSets,
                "mariadb".into()
            ))
        );
        assert_eq!(
            parse_target("ds/node-exporter"),
            Ok(Target::Workload(
                ResourceKind::DaemonSets,
                "node-exporter".into()
            ))
        );
        assert!(parse_target("svc/blog").is_err());
        assert!(parse_target("deploy/").is_err());
        assert!(parse_target("").is_err());
    }
}

//! What batch containers print: a finite script per container instead of
//! the endless lines of a server. kaniko executors print a build derived
//! from their arguments (context, destinations) ending in a push or in
//! kaniko's error; Argo's executor containers print argoexec lines; other
//! Job and Workflow containers print a short generic run.
//!
//! A script has a body (printed while the container runs) and two tails,
//! one of which follows when the container terminates: `ok` for exit 0,
//! `err` otherwise. `super::logs` decides when each line appears.

use jiff::Timestamp;
use serde_json::Value;

use super::util::{hash_str, mix};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    Plain,
    /// logrus as kaniko configures it: `INFO[0003] text`, seconds since start.
    Kaniko,
    /// logrus text format as argoexec prints it: `time="…" level=info msg=…`.
    Logfmt,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Line {
    pub style: Style,
    pub text: String,
}

impl Line {
    pub fn render(&self, t: Timestamp, started: Timestamp) -> String {
        match self.style {
            Style::Plain => self.text.clone(),
            Style::Kaniko => {
                let secs = t.duration_since(started).as_secs().max(0);
                format!("INFO[{secs:04}] {}", self.text)
            }
            Style::Logfmt => format!(
                "time=\"{}\" level=info {}",
                t.strftime("%Y-%m-%dT%H:%M:%S%.3fZ"),
                self.text
            ),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Script {
    pub body: Vec<Line>,
    pub ok: Vec<Line>,
    pub err: Vec<Line>,
}

fn plain(text: impl Into<String>) -> Line {
    Line {
        style: Style::Plain,
        text: text.into(),
    }
}

fn info(text: impl Into<String>) -> Line {
    Line {
        style: Style::Kaniko,
        text: text.into(),
    }
}

fn logfmt(text: impl Into<String>) -> Line {
    Line {
        style: Style::Logfmt,
        text: text.into(),
    }
}

fn container<'a>(pod: &'a Value, name: &str) -> Option<&'a Value> {
    ["containers", "initContainers"]
        .iter()
        .filter_map(|f| pod.pointer(&format!("/spec/{f}")).and_then(Value::as_array))
        .flatten()
        .find(|c| c.get("name").and_then(Value::as_str) == Some(name))
}

fn strings(c: &Value, field: &str) -> Vec<String> {
    c.get(field)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// Every value of `--flag=v` / `--flag v` among kaniko's arguments (a
/// bare `--flag` yields "true").
fn flag_values(args: &[String], flag: &str) -> Vec<String> {
    let long = format!("--{flag}");
    let mut out = Vec::new();
    let mut it = args.iter().peekable();
    while let Some(a) = it.next() {
        if let Some(v) = a.strip_prefix(&format!("{long}=")) {
            out.push(v.to_string());
        } else if *a == long {
            match it.peek() {
                Some(next) if !next.starts_with("--") => {
                    out.push((*next).clone());
                    it.next();
                }
                _ => out.push("true".into()),
            }
        }
    }
    out
}

fn is_kaniko(image: &str) -> bool {
    image.to_ascii_lowercase().contains("kaniko")
}

/// Whether the pod belongs to a Job or an Argo Workflow.
fn is_batch(pod: &Value) -> bool {
    let labels = pod.pointer("/metadata/labels");
    [
        "batch.kubernetes.io/job-name",
        "job-name",
        "workflows.argoproj.io/workflow",
    ]
    .iter()
    .any(|k| labels.and_then(|l| l.get(*k)).is_some())
}

/// The image digest a kaniko container pushes: stable per pod and
/// destination, so the log and the termination message agree.
pub(crate) fn digest(pod_uid: &str, destination: &str) -> String {
    let mut out = String::new();
    let seed = hash_str(&format!("{pod_uid}/{destination}"));
    let mut i = 0u64;
    while out.len() < 64 {
        out.push_str(&format!("{:016x}", mix(seed ^ i)));
        i += 1;
    }
    out.truncate(64);
    out
}

/// The repository of an image reference (`host/repo:tag` → `host/repo`),
/// as kaniko names what it pushed.
fn repository(reference: &str) -> &str {
    let without_digest = reference.split('@').next().unwrap_or(reference);
    match without_digest.rfind(':') {
        Some(i) if !without_digest[i..].contains('/') => &without_digest[..i],
        _ => without_digest,
    }
}

/// What a successful kaniko writes to `--digest-file=/dev/termination-log`,
/// which the kubelet reports as the terminated state's message.
pub(crate) fn termination_message(pod: &Value, name: &str) -> Option<String> {
    let c = container(pod, name)?;
    let image = c.get("image").and_then(Value::as_str).unwrap_or_default();
    if !is_kaniko(image) {
        return None;
    }
    let args = strings(c, "args");
    if !flag_values(&args, "digest-file")
        .iter()
        .any(|f| f == "/dev/termination-log")
    {
        return None;
    }
    let dest = flag_values(&args, "destination")
        .into_iter()
        .next()
        .unwrap_or_default();
    let uid = pod
        .pointer("/metadata/uid")
        .and_then(Value::as_str)
        .unwrap_or_default();
    Some(format!("sha256:{}", digest(uid, &dest)))
}

/// The script of container `name` of `pod`, or None for a container that
/// logs like a server (not kaniko, argoexec, or part of a Job/Workflow).
pub(crate) fn script(pod: &Value, name: &str) -> Option<Script> {
    let c = container(pod, name)?;
    let image = c.get("image").and_then(Value::as_str).unwrap_or_default();
    if is_kaniko(image) {
        let uid = pod
            .pointer("/metadata/uid")
            .and_then(Value::as_str)
            .unwrap_or_default();
        return Some(kaniko(uid, &strings(c, "args")));
    }
    if image.contains("argoexec") {
        return Some(argoexec(pod, name));
    }
    is_batch(pod).then(|| generic(c, image))
}

/// A single-stage build in one of a few believable flavours.
struct Flavour {
    base: &'static str,
    run: &'static str,
    progress: &'static [&'static str],
    ok: &'static [&'static str],
    err: &'static [&'static str],
    cmd: &'static str,
}

const FLAVOURS: &[Flavour] = &[
    Flavour {
        base: "alpine:3.20",
        run: "apk add --no-cache ca-certificates tzdata",
        progress: &[
            "fetch https://dl-cdn.alpinelinux.org/alpine/v3.20/main/x86_64/APKINDEX.tar.gz",
            "fetch https://dl-cdn.alpinelinux.org/alpine/v3.20/community/x86_64/APKINDEX.tar.gz",
        ],
        ok: &[
            "(1/2) Installing ca-certificates (20240705-r0)",
            "(2/2) Installing tzdata (2024b-r0)",
            "OK: 9 MiB in 16 packages",
        ],
        err: &[
            "WARNING: fetching https://dl-cdn.alpinelinux.org/alpine/v3.20/main: temporary error (try again later)",
            "ERROR: unable to select packages:",
            "  tzdata (no such package):",
            "    required by: world[tzdata]",
        ],
        cmd: "[\"/usr/local/bin/app\"]",
    },
    Flavour {
        base: "node:22-alpine",
        run: "npm ci --omit=dev",
        progress: &[
            "npm warn deprecated inflight@1.0.6: This module is not supported, and leaks memory.",
        ],
        ok: &[
            "added 142 packages, and audited 143 packages in 7s",
            "found 0 vulnerabilities",
        ],
        err: &[
            "npm error code EUSAGE",
            "npm error",
            "npm error `npm ci` can only install packages when your package.json and package-lock.json are in sync. Please update your lock file with `npm install` before continuing.",
        ],
        cmd: "[\"node\" \"server.js\"]",
    },
    Flavour {
        base: "python:3.12-slim",
        run: "pip install --no-cache-dir -r requirements.txt",
        progress: &[
            "Collecting flask==3.0.3 (from -r requirements.txt (line 1))",
            "  Downloading flask-3.0.3-py3-none-any.whl.metadata (3.2 kB)",
            "Collecting gunicorn==23.0.0 (from -r requirements.txt (line 2))",
        ],
        ok: &[
            "Installing collected packages: MarkupSafe, itsdangerous, click, blinker, Werkzeug, Jinja2, gunicorn, flask",
            "Successfully installed Jinja2-3.1.4 MarkupSafe-2.1.5 Werkzeug-3.0.3 blinker-1.8.2 click-8.1.7 flask-3.0.3 gunicorn-23.0.0 itsdangerous-2.2.0",
        ],
        err: &[
            "ERROR: Could not find a version that satisfies the requirement gunicorn==23.0.0 (from versions: none)",
            "ERROR: No matching distribution found for gunicorn==23.0.0",
        ],
        cmd: "[\"gunicorn\" \"-b\" \"0.0.0.0:8080\" \"app:app\"]",
    },
];

/// The registry kaniko pulls a base image from.
fn registry_of(image: &str) -> &str {
    match image.split_once('/') {
        Some((host, _)) if host.contains('.') || host.contains(':') => host,
        _ => "index.docker.io",
    }
}

fn kaniko(pod_uid: &str, args: &[String]) -> Script {
    let destinations = flag_values(args, "destination");
    let context = flag_values(args, "context")
        .into_iter()
        .next()
        .unwrap_or_default();
    let no_push = flag_values(args, "no-push").iter().any(|v| v != "false");
    let key = hash_str(&format!("{}|{context}", destinations.join(",")));
    let f = &FLAVOURS[(mix(key) % FLAVOURS.len() as u64) as usize];
    let mut body = Vec::new();
    if context.starts_with("git://") || context.contains(".git") {
        // go-git's clone progress, printed before logging starts.
        let objects = 40 + key % 400;
        let compressed = objects * 3 / 4;
        let delta = objects / 9;
        body.extend([
            plain(format!("Enumerating objects: {objects}, done.")),
            plain(format!(
                "Counting objects: 100% ({objects}/{objects}), done."
            )),
            plain(format!(
                "Compressing objects: 100% ({compressed}/{compressed}), done."
            )),
            plain(format!(
                "Total {objects} (delta {delta}), reused {} (delta {}), pack-reused 0",
                objects - delta,
                delta / 2
            )),
        ]);
    }
    let base = f.base;
    body.extend([
        info(format!("Retrieving image manifest {base}")),
        info(format!(
            "Retrieving image {base} from registry {}",
            registry_of(base)
        )),
        info("Built cross stage deps: map[]"),
        info(format!("Retrieving image manifest {base}")),
        info("Returning cached image manifest"),
        info("Executing 0 build triggers"),
        info(format!(
            "Building stage '{base}' [idx: '0', base-idx: '-1']"
        )),
        info("Unpacking rootfs as cmd COPY . . requires it."),
        info("WORKDIR /app"),
        info("Cmd: workdir"),
        info("Changed working directory to /app"),
        info("Creating directory /app with uid -1 and gid -1"),
        info("Taking snapshot of files..."),
        info("COPY . ."),
        info("Taking snapshot of files..."),
        info(format!("RUN {}", f.run)),
        info("Initializing snapshotter ..."),
        info("Taking snapshot of full filesystem..."),
        info("Cmd: /bin/sh"),
        info(format!("Args: [-c {}]", f.run)),
        info(format!("Running: [/bin/sh -c {}]", f.run)),
    ]);
    body.extend(f.progress.iter().map(|l| plain(*l)));
    let mut ok: Vec<Line> = f.ok.iter().map(|l| plain(*l)).collect();
    ok.extend([
        info("Taking snapshot of full filesystem..."),
        info(format!("CMD {}", f.cmd)),
    ]);
    if no_push || destinations.is_empty() {
        ok.push(info(
            "Skipping push to container registry due to --no-push flag",
        ));
    } else {
        for d in &destinations {
            ok.push(info(format!("Pushing image to {d}")));
            ok.push(info(format!(
                "Pushed {}@sha256:{}",
                repository(d),
                digest(pod_uid, d)
            )));
        }
    }
    let mut err: Vec<Line> = f.err.iter().map(|l| plain(*l)).collect();
    err.push(plain(
        "error building image: error building stage: failed to execute command: waiting for process to exit: exit status 1",
    ));
    Script { body, ok, err }
}

/// Argo's `init` and `wait` containers.
fn argoexec(pod: &Value, name: &str) -> Script {
    let meta = |k: &str| {
        pod.pointer(&format!("/metadata/{k}"))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let (ns, pod_name) = (meta("namespace"), meta("name"));
    let body = vec![
        logfmt("msg=\"Starting Workflow Executor\" version=v3.6.2"),
        logfmt("msg=\"Using executor retry strategy\" Duration=1s Factor=1.6 Jitter=0.5 Steps=5"),
        logfmt(format!(
            "msg=\"Executor initialized\" deadline=\"0001-01-01 00:00:00 +0000 UTC\" includeScriptOutput=false namespace={ns} podName={pod_name} templateName=main version=\"&Version{{Version:v3.6.2,BuildDate:2024-12-02T14:43:49Z,GitCommit:741ab0ef7b6432925e49882cb4294adccf5912ec,GitTag:v3.6.2,GitTreeState:clean,GoVersion:go1.23.3,Compiler:gc,Platform:linux/amd64,}}\""
        )),
    ];
    let ok = if name == "init" {
        vec![
            logfmt("msg=\"Start loading input artifacts...\""),
            logfmt("msg=\"Alloc=7321 TotalAlloc=12880 Sys=22037 NumGC=3 Goroutines=5\""),
        ]
    } else {
        vec![
            logfmt("msg=\"Starting deadline monitor\""),
            logfmt("msg=\"Main container completed\" error=\"<nil>\""),
            logfmt("msg=\"No output parameters\""),
            logfmt("msg=\"No output artifacts\""),
            logfmt("msg=\"Deadline monitor stopped\""),
            logfmt("msg=\"Alloc=9254 TotalAlloc=17016 Sys=24173 NumGC=4 Goroutines=8\""),
        ]
    };
    Script {
        body,
        err: ok.clone(),
        ok,
    }
}

/// Any other batch container: its command, a few steps, the result.
fn generic(c: &Value, image: &str) -> Script {
    let mut cmd: Vec<String> = strings(c, "command");
    cmd.extend(strings(c, "args"));
    let mut shown = if cmd.is_empty() {
        image.to_string()
    } else {
        cmd.join(" ")
    };
    if shown.chars().count() > 160 {
        shown = shown.chars().take(157).collect::<String>() + "...";
    }
    let program = cmd
        .iter()
        .find(|w| {
            !matches!(
                w.as_str(),
                "sh" | "bash" | "/bin/sh" | "/bin/bash" | "-c" | "-ec"
            )
        })
        .and_then(|w| w.split_whitespace().next())
        .unwrap_or("main")
        .to_string();
    Script {
        body: vec![
            plain(format!("+ {shown}")),
            plain("[1/3] preparing"),
            plain("[2/3] working"),
        ],
        ok: vec![plain("[3/3] finishing"), plain("done")],
        err: vec![plain(format!("{program}: error: exit status 1"))],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn kaniko_pod(args: &[&str]) -> Value {
        json!({"metadata": {"name": "b-x", "uid": "u1", "labels": {"job-name": "b"}},
               "spec": {"containers": [{"name": "kaniko", "image": "cgr.dev/chainguard/kaniko:latest", "args": args}]}})
    }

    #[test]
    fn kaniko_script_follows_its_arguments() {
        let pod = kaniko_pod(&[
            "--context=git://github.com/example/homelab.git#refs/heads/main#abc",
            "--destination",
            "harbor.home.lab/blog/blog:0123456",
            "--digest-file=/dev/termination-log",
        ]);
        let s = script(&pod, "kaniko").expect("a script");
        assert!(s.body[0].text.starts_with("Enumerating objects:"));
        let ok: Vec<String> = s.ok.iter().map(|l| l.text.clone()).collect();
        assert!(ok.contains(&"Pushing image to harbor.home.lab/blog/blog:0123456".to_string()));
        let pushed = ok.last().expect("a last line");
        let digest = termination_message(&pod, "kaniko").expect("a digest");
        assert_eq!(
            *pushed,
            format!("Pushed harbor.home.lab/blog/blog@{digest}")
        );
        assert!(
            s.err
                .last()
                .expect("err")
                .text
                .starts_with("error building image: ")
        );
    }

    #[test]
    fn line_styles_render_like_their_programs() {
        let t0: Timestamp = "2026-01-01T00:00:00Z".parse().expect("ts");
        let t = t0 + jiff::SignedDuration::from_millis(3_500);
        assert_eq!(info("x").render(t, t0), "INFO[0003] x");
        assert_eq!(
            logfmt("msg=\"y\"").render(t, t0),
            "time=\"2026-01-01T00:00:03.500Z\" level=info msg=\"y\""
        );
    }

    #[test]
    fn servers_have_no_script() {
        let pod = json!({"metadata": {"name": "web"}, "spec": {"containers": [{"name": "web", "image": "nginx"}]}});
        assert!(script(&pod, "web").is_none());
        assert_eq!(repository("localhost:5000/app:1"), "localhost:5000/app");
        assert_eq!(repository("localhost:5000/app"), "localhost:5000/app");
    }
}

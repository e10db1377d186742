//! Renders an app with the real tools (DESIGN §6): `kustomize build`, else
//! `kubectl kustomize`, and `helm template`, run as subprocesses with an argv
//! (never a shell), so what bosun applies is what the user's tools produce.
//!
//! Every failure is an error on that one app, worded to say what to do.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::Value as Json;
use serde_yaml::Value as Yaml;

use super::app::{AppSource, AppSpec, HelmSource, KustomizeOptions};
use super::object::RenderedObject;
use super::spec;

/// A render that takes longer is stuck (a chart pull hanging on the network).
pub const RENDER_TIMEOUT: Duration = Duration::from_secs(120);

/// How many trailing stderr lines an error keeps.
const STDERR_LINES: usize = 40;

const HELM_HINT_CHARTS: &str =
    "install it: https://helm.sh/docs/intro/install/ (needed for helmCharts)";
const HELM_HINT_APP: &str =
    "install it: https://helm.sh/docs/intro/install/ (needed for Helm apps)";
const KUSTOMIZE_HINT: &str = "install kubectl (it has kustomize built in): \
     https://kubernetes.io/docs/tasks/tools/, or kustomize: \
     https://kubectl.docs.kubernetes.io/installation/kustomize/";

/// The rendering tools found on PATH.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tools {
    pub kustomize: Option<PathBuf>,
    pub kubectl: Option<PathBuf>,
    pub helm: Option<PathBuf>,
}

impl Tools {
    /// Looks the tools up on `PATH`, as a shell would.
    pub fn detect() -> Tools {
        Tools {
            kustomize: which("kustomize"),
            kubectl: which("kubectl"),
            helm: which("helm"),
        }
    }

    /// One line for a status bar, e.g. "kubectl kustomize (no kustomize), no helm".
    pub fn describe(&self) -> String {
        let kustomize = match (&self.kustomize, &self.kubectl) {
            (Some(_), _) => "kustomize",
            (None, Some(_)) => "kubectl kustomize (no kustomize)",
            (None, None) => "no kustomize, no kubectl",
        };
        let helm = if self.helm.is_some() {
            "helm"
        } else {
            "no helm"
        };
        format!("{kustomize}, {helm}")
    }
}

/// The first executable file called `name` in a `PATH` directory.
fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .filter(|dir| !dir.as_os_str().is_empty())
        .flat_map(|dir| {
            let plain = dir.join(name);
            let exe = dir.join(format!("{name}.exe"));
            [plain, exe]
        })
        .find(|candidate| is_executable(candidate))
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(path: &Path) -> bool {
    path.is_file()
}

/// One app's render: its objects and how they were made.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub objects: Vec<RenderedObject>,
    /// The argv as a human would type it.
    pub command: String,
    pub elapsed: Duration,
}

/// Why an app did not render.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("{tool} is not on PATH; {hint}")]
    ToolMissing {
        tool: &'static str,
        hint: &'static str,
    },
    #[error("{command} failed ({status}):\n{stderr}")]
    Failed {
        command: String,
        status: String,
        stderr: String,
    },
    #[error("{command}: output document {document} is not a Kubernetes object: {message}")]
    Output {
        command: String,
        document: usize,
        message: String,
    },
    #[error(
        "kustomize {kustomize_version} cannot drive Helm {helm_version} (--enable-helm needs \
         kustomize newer than v5.8.0 for Helm v4): install a newer kustomize, or put Helm v3 \
         first on PATH"
    )]
    HelmV4WithOldKustomize {
        kustomize_version: String,
        helm_version: String,
    },
    #[error("external source: not rendered ({reason})")]
    External { reason: String },
    #[error("{message}{}; bosun renders nothing that reads outside the repository (allowOutsideRepo opts out)", if *more > 0 { format!(" (and {more} more)") } else { String::new() })]
    Outside { message: String, more: usize },
    #[error("{command} did not finish within {seconds} s and was stopped")]
    Timeout { command: String, seconds: u64 },
    #[error("{command}: {message}")]
    Io { command: String, message: String },
}

/// `kustomize build` flags an app may ask for (Argo CD's
/// `kustomize.buildOptions`, Flux's load restrictor): nothing that runs
/// programs (exec plugins) or reaches the network or the disk elsewhere.
pub const BUILD_OPTIONS: [&str; 4] = [
    "--load-restrictor",
    "--enable-helm",
    "--helm-kube-version",
    "--helm-api-versions",
];

/// Checks flags against [`BUILD_OPTIONS`]; the error names the first one
/// refused.
pub fn check_build_options(args: &[String]) -> Result<(), String> {
    let mut iter = args.iter().peekable();
    while let Some(arg) = iter.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) => (flag, Some(value)),
            None => (arg.as_str(), None),
        };
        let flag_norm = flag.replace('_', "-");
        if !BUILD_OPTIONS.contains(&flag_norm.as_str()) {
            return Err(format!(
                "build option {arg:?} is not allowed (allowed: {})",
                BUILD_OPTIONS.join(", ")
            ));
        }
        let takes_value = flag_norm != "--enable-helm";
        let value = match (takes_value, inline) {
            (false, _) => continue,
            (true, Some(value)) => value.to_string(),
            (true, None) => match iter.next() {
                Some(value) => value.clone(),
                None => return Err(format!("build option {arg} needs a value")),
            },
        };
        if flag_norm == "--load-restrictor"
            && !matches!(
                value.as_str(),
                "LoadRestrictionsNone" | "LoadRestrictionsRootOnly"
            )
        {
            return Err(format!(
                "--load-restrictor {value}: expected LoadRestrictionsNone or LoadRestrictionsRootOnly"
            ));
        }
    }
    Ok(())
}

/// Renders one app from the repo's working tree (or, when its
/// kustomization must be edited first, from a throw-away copy of it).
pub async fn render_app(
    repo_root: &Path,
    app: &AppSpec,
    tools: &Tools,
) -> Result<Rendered, RenderError> {
    let started = Instant::now();
    match &app.source {
        AppSource::Kustomize { path, options } => {
            render_kustomize(repo_root, path, options, tools).await
        }
        AppSource::Helm(helm) => {
            let values = inline_values_file(helm)?;
            let argv = helm_argv(repo_root, helm, tools, values.as_ref().map(|f| f.path()))?;
            run_render(repo_root, &argv).await
        }
        AppSource::Directory(source) => {
            let root = repo_root.to_path_buf();
            let source = source.clone();
            let command = format!(
                "read {} (plain YAML)",
                super::paths::display_rel(&source.path)
            );
            let objects =
                tokio::task::spawn_blocking(move || super::directory::read(&root, &source))
                    .await
                    .map_err(|e| RenderError::Io {
                        command: command.clone(),
                        message: e.to_string(),
                    })?
                    .map_err(|message| RenderError::Io {
                        command: command.clone(),
                        message,
                    })?;
            Ok(Rendered {
                objects,
                command,
                elapsed: started.elapsed(),
            })
        }
        AppSource::External { reason } => Err(RenderError::External {
            reason: reason.clone(),
        }),
    }
}

/// Runs an argv and parses what it prints.
async fn run_render(cwd: &Path, argv: &[String]) -> Result<Rendered, RenderError> {
    let command = display_argv(argv);
    let started = Instant::now();
    let stdout = run(cwd, argv, &command).await?;
    let objects = parse_manifests(&stdout).map_err(|(document, message)| RenderError::Output {
        command: command.clone(),
        document,
        message,
    })?;
    Ok(Rendered {
        objects,
        command,
        elapsed: started.elapsed(),
    })
}

/// A kustomize app: confinement checked first (nothing it reads may be
/// outside the repo); edits and a generated kustomization go to a copy.
async fn render_kustomize(
    repo_root: &Path,
    path: &Path,
    options: &KustomizeOptions,
    tools: &Tools,
) -> Result<Rendered, RenderError> {
    let shown = super::paths::display_rel(path);
    let io = |message: String| RenderError::Io {
        command: format!("kustomize build {shown}"),
        message,
    };
    check_build_options(&options.build_options).map_err(io)?;
    if !options.allow_outside {
        let root = repo_root.to_path_buf();
        let dir = path.to_path_buf();
        let components = options.components.clone();
        let outside = tokio::task::spawn_blocking(move || {
            super::paths::outside_references(&root, &dir, &components)
        })
        .await
        .map_err(|e| io(e.to_string()))?;
        if let Some(first) = outside.first() {
            return Err(RenderError::Outside {
                message: first.clone(),
                more: outside.len() - 1,
            });
        }
    }
    if !options.edits() {
        let argv = kustomize_argv(repo_root, path, &options.build_options, tools).await?;
        return run_render(repo_root, &argv).await;
    }
    let root = repo_root.to_path_buf();
    let dir = path.to_path_buf();
    let edit = options.clone();
    let snapshot = tokio::task::spawn_blocking(move || prepare_snapshot(&root, &dir, &edit))
        .await
        .map_err(|e| io(e.to_string()))?
        .map_err(io)?;
    let argv = kustomize_argv(snapshot.root(), path, &options.build_options, tools).await?;
    let mut rendered = run_render(snapshot.root(), &argv).await?;
    rendered.command = format!("{} (after {})", rendered.command, edit_summary(options));
    Ok(rendered)
}

/// What was changed before the build, for the render's command line.
fn edit_summary(options: &KustomizeOptions) -> String {
    let who = match options.style {
        super::app::EditStyle::Argo => "Argo CD's kustomize edits",
        super::app::EditStyle::Flux => "Flux's kustomization changes",
    };
    if options.generate {
        format!("{who}; kustomization generated")
    } else {
        who.to_string()
    }
}

/// Copies the repo, writes the generated kustomization (Flux) and applies
/// the edits to the app's kustomization.
fn prepare_snapshot(
    repo_root: &Path,
    path: &Path,
    options: &KustomizeOptions,
) -> Result<super::snapshot::Snapshot, String> {
    let snapshot = super::snapshot::Snapshot::of(repo_root)?;
    let dir = snapshot.root().join(path);
    let (file, mut doc) = match spec::kustomization_file(&dir) {
        Some(file) => {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
            let doc: Yaml = serde_yaml::from_str(&text).map_err(|e| {
                format!(
                    "{}: {e}",
                    file.strip_prefix(snapshot.root())
                        .unwrap_or(&file)
                        .display()
                )
            })?;
            (file, doc)
        }
        None if options.generate => (
            dir.join("kustomization.yaml"),
            super::kustomize_edit::generate(&dir)?,
        ),
        None => {
            return Err(format!(
                "no kustomization in {}",
                super::paths::display_rel(path)
            ));
        }
    };
    super::kustomize_edit::apply(&mut doc, options)?;
    let text = serde_yaml::to_string(&doc).map_err(|e| e.to_string())?;
    let relative = file
        .strip_prefix(snapshot.root())
        .map(Path::to_path_buf)
        .unwrap_or(file.clone());
    snapshot.replace(&relative, &text)?;
    Ok(snapshot)
}

/// The argv for a kustomize directory; checks helm (and its version against
/// kustomize's) before anything runs when a kustomization uses `helmCharts`.
async fn kustomize_argv(
    root: &Path,
    path: &Path,
    build_options: &[String],
    tools: &Tools,
) -> Result<Vec<String>, RenderError> {
    let dir = path
        .to_str()
        .filter(|p| !p.is_empty())
        .unwrap_or(".")
        .to_string();
    // The app path came from a validated spec, but AppSpec is public: check again.
    spec::contain(root, &dir).map_err(|message| RenderError::Io {
        command: format!("kustomize build {dir}"),
        message,
    })?;
    let (program, subcommand) = match (&tools.kustomize, &tools.kubectl) {
        (Some(kustomize), _) => (kustomize, "build"),
        (None, Some(kubectl)) => (kubectl, "kustomize"),
        (None, None) => {
            return Err(RenderError::ToolMissing {
                tool: "kubectl",
                hint: KUSTOMIZE_HINT,
            });
        }
    };
    let mut argv = vec![path_arg(program), subcommand.to_string()];
    let asked_helm = build_options.iter().any(|o| o == "--enable-helm");
    if asked_helm || needs_helm(root, path) {
        let Some(helm) = &tools.helm else {
            return Err(RenderError::ToolMissing {
                tool: "helm",
                hint: HELM_HINT_CHARTS,
            });
        };
        check_helm_pair(root, program, tools.kustomize.is_some(), helm).await?;
        if !asked_helm {
            argv.push("--enable-helm".into());
        }
        argv.extend(["--helm-command".into(), path_arg(helm)]);
    }
    argv.extend(build_options.iter().cloned());
    argv.push(dir);
    Ok(argv)
}

/// `--enable-helm` is needed when the app's kustomization, or one it
/// includes, inflates Helm charts.
fn needs_helm(repo_root: &Path, path: &Path) -> bool {
    let app = AppSpec::new(
        "",
        AppSource::Kustomize {
            path: path.to_path_buf(),
            options: KustomizeOptions::default(),
        },
    );
    spec::app_inputs(repo_root, &app)
        .iter()
        .any(|input| input.is_dir() && uses_helm_charts(input))
}

/// True when the kustomization in `kustomization_dir` has a non-empty `helmCharts`.
pub fn uses_helm_charts(kustomization_dir: &Path) -> bool {
    spec::read_kustomization(kustomization_dir)
        .and_then(|doc| {
            doc.get("helmCharts")
                .and_then(Yaml::as_sequence)
                .map(|s| !s.is_empty())
        })
        .unwrap_or(false)
}

/// kustomize v5.8.0 and older pass Helm v3 flags that Helm v4 rejects; say
/// so rather than show helm's usage error. Unknown versions are let through.
async fn check_helm_pair(
    repo_root: &Path,
    program: &Path,
    standalone: bool,
    helm: &Path,
) -> Result<(), RenderError> {
    let helm_out = version_output(
        repo_root,
        &[path_arg(helm), "version".into(), "--short".into()],
    )
    .await;
    let Some(helm_version) = helm_out.as_deref().and_then(first_semver) else {
        return Ok(());
    };
    if helm_version.1.0 < 4 {
        return Ok(());
    }
    let kustomize_out = if standalone {
        version_output(repo_root, &[path_arg(program), "version".into()]).await
    } else {
        version_output(
            repo_root,
            &[path_arg(program), "version".into(), "--client".into()],
        )
        .await
        .map(|text| {
            text.lines()
                .find_map(|line| {
                    line.trim()
                        .strip_prefix("Kustomize Version:")
                        .map(str::to_string)
                })
                .unwrap_or_default()
        })
    };
    let Some(kustomize_version) = kustomize_out.as_deref().and_then(first_semver) else {
        return Ok(());
    };
    if kustomize_version.1 <= (5, 8, 0) {
        return Err(RenderError::HelmV4WithOldKustomize {
            kustomize_version: kustomize_version.0,
            helm_version: helm_version.0,
        });
    }
    Ok(())
}

/// A version command's stdout, or `None` if it could not run.
async fn version_output(repo_root: &Path, argv: &[String]) -> Option<String> {
    let command = display_argv(argv);
    run(repo_root, argv, &command).await.ok()
}

/// The first `vX.Y.Z` / `X.Y.Z` in `text`: the token as written and its numbers.
fn first_semver(text: &str) -> Option<(String, (u64, u64, u64))> {
    text.split(|c: char| c.is_whitespace() || matches!(c, '/' | ':' | '{' | '}' | ',' | '"'))
        .find_map(|token| {
            let bare = token.strip_prefix('v').unwrap_or(token);
            let core = bare.split(['+', '-']).next()?;
            let mut parts = core.split('.').map(|p| p.parse::<u64>().ok());
            let numbers = (parts.next()??, parts.next()??, parts.next()??);
            Some((token.to_string(), numbers))
        })
}

/// `helm template RELEASE CHART --namespace NS --include-crds [--version V]
/// [--repo URL] -f VALUES...`, with a local chart by absolute path.
fn helm_argv(
    repo_root: &Path,
    helm: &HelmSource,
    tools: &Tools,
    inline_values: Option<&Path>,
) -> Result<Vec<String>, RenderError> {
    let Some(program) = &tools.helm else {
        return Err(RenderError::ToolMissing {
            tool: "helm",
            hint: HELM_HINT_APP,
        });
    };
    // Paths came from a validated spec, but HelmSource is public: check again.
    for path in helm.chart_path.iter().chain(&helm.values) {
        let written = path.to_string_lossy();
        spec::contain(repo_root, &written).map_err(|message| RenderError::Io {
            command: format!("helm template {}", helm.release),
            message,
        })?;
    }
    let chart = match &helm.chart_path {
        Some(path) => path_arg(&repo_root.join(path)),
        None => helm.chart.clone(),
    };
    let namespace = helm.namespace.clone().unwrap_or_else(|| "default".into());
    let mut argv = vec![
        path_arg(program),
        "template".into(),
        helm.release.clone(),
        chart,
        "--namespace".into(),
        namespace,
    ];
    if helm.include_crds {
        argv.push("--include-crds".into());
    }
    if let Some(version) = &helm.version {
        argv.extend(["--version".into(), version.clone()]);
    }
    if let Some(url) = &helm.repo_url {
        argv.extend(["--repo".into(), url.clone()]);
    }
    for values in &helm.values {
        argv.extend(["-f".into(), path_arg(values)]);
    }
    // Argo CD passes inline values after the files.
    if let Some(file) = inline_values {
        argv.extend(["-f".into(), path_arg(file)]);
    }
    for (key, value) in &helm.set {
        argv.extend(["--set".into(), format!("{key}={value}")]);
    }
    for (key, value) in &helm.set_string {
        argv.extend(["--set-string".into(), format!("{key}={value}")]);
    }
    Ok(argv)
}

/// Inline values (Argo CD `values` / `valuesObject`) in a temp file for `-f`.
fn inline_values_file(helm: &HelmSource) -> Result<Option<tempfile::NamedTempFile>, RenderError> {
    let Some(values) = &helm.inline_values else {
        return Ok(None);
    };
    let io = |e: std::io::Error| RenderError::Io {
        command: format!("helm template {}", helm.release),
        message: format!("cannot write the inline values: {e}"),
    };
    let mut file = tempfile::Builder::new()
        .prefix("bosun-values-")
        .suffix(".yaml")
        .tempfile()
        .map_err(io)?;
    std::io::Write::write_all(&mut file, values.as_bytes()).map_err(io)?;
    Ok(Some(file))
}

fn path_arg(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

/// The argv for display: the program by file name, arguments quoted when
/// they hold anything a reader might misparse.
fn display_argv(argv: &[String]) -> String {
    argv.iter()
        .enumerate()
        .map(|(index, arg)| {
            if index == 0 {
                Path::new(arg)
                    .file_name()
                    .map(|name| name.to_string_lossy().into_owned())
                    .unwrap_or_else(|| arg.clone())
            } else if arg.is_empty()
                || arg
                    .chars()
                    .any(|c| c.is_whitespace() || "'\"$`\\;&|<>*?".contains(c))
            {
                format!("'{}'", arg.replace('\'', r"'\''"))
            } else {
                arg.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Runs `argv` in the repo with no stdin and a timeout; stdout on success.
/// The child is killed if the timeout (or the caller) drops the future.
async fn run(repo_root: &Path, argv: &[String], command: &str) -> Result<String, RenderError> {
    let Some((program, args)) = argv.split_first() else {
        return Err(RenderError::Io {
            command: command.to_string(),
            message: "empty command".into(),
        });
    };
    let child = tokio::process::Command::new(program)
        .args(args)
        .current_dir(repo_root)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .output();
    let output = match tokio::time::timeout(RENDER_TIMEOUT, child).await {
        Err(_) => {
            return Err(RenderError::Timeout {
                command: command.to_string(),
                seconds: RENDER_TIMEOUT.as_secs(),
            });
        }
        Ok(Err(error)) => {
            return Err(RenderError::Io {
                command: command.to_string(),
                message: format!("cannot run {program}: {error}"),
            });
        }
        Ok(Ok(output)) => output,
    };
    if !output.status.success() {
        return Err(RenderError::Failed {
            command: command.to_string(),
            status: output.status.to_string(),
            stderr: tail(&String::from_utf8_lossy(&output.stderr), STDERR_LINES),
        });
    }
    String::from_utf8(output.stdout).map_err(|_| RenderError::Io {
        command: command.to_string(),
        message: "the output is not UTF-8".into(),
    })
}

/// The last `lines` lines of `text`, trimmed.
fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.trim().lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// Splits multi-document YAML into objects: empty and null documents are
/// skipped, `List` kinds are expanded. The error names the 1-based document.
pub fn parse_manifests(text: &str) -> Result<Vec<RenderedObject>, (usize, String)> {
    use serde::Deserialize;
    let mut objects = Vec::new();
    for (index, document) in serde_yaml::Deserializer::from_str(text).enumerate() {
        let number = index + 1;
        let yaml = Yaml::deserialize(document).map_err(|error| (number, error.to_string()))?;
        let json = to_json(yaml).map_err(|message| (number, message))?;
        match json {
            Json::Null => {}
            Json::Object(_) => {
                let is_list = json
                    .get("kind")
                    .and_then(Json::as_str)
                    .is_some_and(|kind| kind.ends_with("List"))
                    && json.get("items").is_some_and(Json::is_array);
                if is_list {
                    let items = match json.get("items") {
                        Some(Json::Array(items)) => items.clone(),
                        _ => Vec::new(),
                    };
                    for (item_index, item) in items.into_iter().enumerate() {
                        if !item.is_object() {
                            return Err((
                                number,
                                format!(
                                    "items[{item_index}] is {}, not an object",
                                    json_kind(&item)
                                ),
                            ));
                        }
                        let object = RenderedObject::from_manifest(item).map_err(|message| {
                            (number, format!("items[{item_index}]: {message}"))
                        })?;
                        objects.push(object);
                    }
                } else {
                    objects.push(
                        RenderedObject::from_manifest(json).map_err(|message| (number, message))?,
                    );
                }
            }
            other => return Err((number, format!("{}, not an object", json_kind(&other)))),
        }
    }
    Ok(objects)
}

fn json_kind(value: &Json) -> &'static str {
    match value {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "a list",
        Json::Object(_) => "an object",
    }
}

/// YAML to JSON, as the API server would read it: scalar keys become strings
/// (`1: a` in a ConfigMap's data), tags are dropped.
fn to_json(yaml: Yaml) -> Result<Json, String> {
    Ok(match yaml {
        Yaml::Null => Json::Null,
        Yaml::Bool(flag) => Json::Bool(flag),
        Yaml::Number(number) => {
            if let Some(i) = number.as_i64() {
                Json::from(i)
            } else if let Some(u) = number.as_u64() {
                Json::from(u)
            } else {
                number
                    .as_f64()
                    .and_then(serde_json::Number::from_f64)
                    .map(Json::Number)
                    .unwrap_or_else(|| Json::String(number.to_string()))
            }
        }
        Yaml::String(text) => Json::String(text),
        Yaml::Sequence(items) => {
            Json::Array(items.into_iter().map(to_json).collect::<Result<_, _>>()?)
        }
        Yaml::Mapping(mapping) => {
            let mut object = serde_json::Map::with_capacity(mapping.len());
            for (key, value) in mapping {
                let key = match key {
                    Yaml::String(text) => text,
                    Yaml::Bool(flag) => flag.to_string(),
                    Yaml::Number(number) => number.to_string(),
                    Yaml::Null => "null".to_string(),
                    _ => return Err("a mapping key that is not a scalar".into()),
                };
                object.insert(key, to_json(value)?);
            }
            Json::Object(object)
        }
        Yaml::Tagged(tagged) => to_json(tagged.value)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> Vec<String> {
        line.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn build_options_are_allow_listed() {
        assert!(check_build_options(&args("--load-restrictor LoadRestrictionsNone")).is_ok());
        assert!(check_build_options(&args("--load_restrictor=LoadRestrictionsRootOnly")).is_ok());
        assert!(check_build_options(&args("--enable-helm --helm-kube-version 1.33")).is_ok());
        let refused =
            check_build_options(&args("--enable-alpha-plugins")).expect_err("exec plugins");
        assert!(refused.contains("not allowed"), "{refused}");
        assert!(check_build_options(&args("--load-restrictor Everything")).is_err());
        assert!(check_build_options(&args("--helm-kube-version")).is_err());
    }
}

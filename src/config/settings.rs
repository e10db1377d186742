//! `config.toml` in the config directory: settings and key overrides.
//! Defaults are built in; each bad field is a warning and keeps its default.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::ConfigWarning;
use super::keymap::Keymap;

/// Where bosun keeps its files. `BOSUN_CONFIG_DIR` / `BOSUN_STATE_DIR`
/// override the platform directories (tests, portable installs).
#[derive(Debug, Clone, Default)]
pub struct Paths {
    pub config_dir: Option<PathBuf>,
    pub state_dir: Option<PathBuf>,
    /// Renders kept between runs (`BOSUN_CACHE_DIR`; with only
    /// `BOSUN_STATE_DIR` set, its `cache/`).
    pub cache_dir: Option<PathBuf>,
}

impl Paths {
    pub fn from_env() -> Paths {
        let project = directories::ProjectDirs::from("dev", "bosun", "bosun");
        let config_dir = std::env::var_os("BOSUN_CONFIG_DIR")
            .map(PathBuf::from)
            .or_else(|| project.as_ref().map(|dirs| dirs.config_dir().to_path_buf()));
        let state_dir = std::env::var_os("BOSUN_STATE_DIR")
            .map(PathBuf::from)
            .or_else(|| {
                project.as_ref().map(|dirs| {
                    dirs.state_dir()
                        .unwrap_or_else(|| dirs.data_local_dir())
                        .to_path_buf()
                })
            });
        let cache_dir = std::env::var_os("BOSUN_CACHE_DIR")
            .map(PathBuf::from)
            .or_else(|| {
                std::env::var_os("BOSUN_STATE_DIR").map(|state| PathBuf::from(state).join("cache"))
            })
            .or_else(|| project.as_ref().map(|dirs| dirs.cache_dir().to_path_buf()));
        Paths {
            config_dir,
            state_dir,
            cache_dir,
        }
    }

    pub fn config_file(&self) -> Option<PathBuf> {
        self.config_dir.as_ref().map(|dir| dir.join("config.toml"))
    }

    pub fn themes_dir(&self) -> Option<PathBuf> {
        self.config_dir.as_ref().map(|dir| dir.join("themes"))
    }

    pub fn audit_file(&self) -> Option<PathBuf> {
        self.state_dir.as_ref().map(|dir| dir.join("audit.log"))
    }

    pub fn log_file(&self) -> Option<PathBuf> {
        self.state_dir.as_ref().map(|dir| dir.join("bosun.log"))
    }
}

/// How watchers get their initial state (DESIGN §5, watch strategy).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WatchListSetting {
    /// Streaming lists on servers that enable them by default (>= 1.34).
    Auto,
    List,
    Stream,
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub theme: String,
    pub default_view: String,
    pub metrics_interval: Duration,
    pub watch_list: WatchListSetting,
    /// A Pending pod older than this is "failing" in the overview.
    pub pending_grace: Duration,
    /// Refuse every mutation, as --readonly does.
    pub readonly: bool,
    /// How long a restart's rollout is followed.
    pub rollout_timeout: Duration,
    /// kubectl for shells: a name on PATH or a path (k3s' `k3s kubectl`
    /// is used when there is no kubectl).
    pub kubectl: String,
    /// helm for rolling a release back: a name on PATH or a path.
    pub helm: String,
    /// Lines the logs view keeps before dropping the oldest.
    pub log_buffer_lines: usize,
    /// The GitOps repo (`--repo` wins; else the current directory's repo).
    pub repo: Option<std::path::PathBuf>,
    /// The entry point of a multi-cluster repo, relative to it (`--path`
    /// wins; else `clusters/<context>` when present).
    pub path: Option<std::path::PathBuf>,
    /// How often the repo's upstream is fetched (0 = never on a timer).
    pub fetch_interval: Duration,
    /// How often apps are diffed against the cluster without a change.
    pub refresh_interval: Duration,
    /// Builds: namespace, executor image, context mode, node.
    pub builds: crate::builds::launch::LaunchConfig,
    pub keymap: Keymap,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            theme: "default".to_string(),
            default_view: "pods".to_string(),
            metrics_interval: Duration::from_secs(15),
            watch_list: WatchListSetting::Auto,
            pending_grace: Duration::from_secs(300),
            readonly: false,
            rollout_timeout: Duration::from_secs(300),
            kubectl: "kubectl".to_string(),
            helm: "helm".to_string(),
            log_buffer_lines: 100_000,
            repo: None,
            path: None,
            fetch_interval: Duration::from_secs(300),
            refresh_interval: Duration::from_secs(60),
            builds: Default::default(),
            keymap: Keymap::defaults(),
        }
    }
}

/// `~/x` → the home directory's `x` (config files are written by hand).
pub fn expand_home(path: &str) -> std::path::PathBuf {
    match (path.strip_prefix("~/"), directories::BaseDirs::new()) {
        (Some(rest), Some(dirs)) => dirs.home_dir().join(rest),
        _ => std::path::PathBuf::from(path),
    }
}

/// "15s", "5m", "1h", "90" (seconds).
pub fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number.parse().ok()?;
    let seconds = match unit {
        "" | "s" => number,
        "m" => number.checked_mul(60)?,
        "h" => number.checked_mul(3600)?,
        _ => return None,
    };
    Some(Duration::from_secs(seconds))
}

impl Settings {
    /// Load `path` over the defaults. A missing file is not a problem.
    pub fn load(path: Option<&Path>, warnings: &mut Vec<ConfigWarning>) -> Settings {
        let mut settings = Settings::default();
        let Some(path) = path else {
            return settings;
        };
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return settings,
            Err(error) => {
                // It might say `readonly = true`: fail closed.
                settings.readonly = true;
                warnings.push(ConfigWarning {
                    file: path.to_path_buf(),
                    field: String::new(),
                    message: format!(
                        "cannot read it ({error}); using defaults, read-only ON until it can be read"
                    ),
                });
                return settings;
            }
        };
        settings.patch(&text, path, warnings);
        settings
    }

    pub fn patch(&mut self, text: &str, path: &Path, warnings: &mut Vec<ConfigWarning>) {
        let table: toml::Table = match toml::from_str(text) {
            Ok(table) => table,
            Err(error) => {
                // A broken file that mentions readonly may have meant it:
                // fail closed.
                let mentions_readonly = text
                    .lines()
                    .any(|line| line.trim_start().starts_with("readonly"));
                if mentions_readonly {
                    self.readonly = true;
                }
                warnings.push(ConfigWarning {
                    file: path.to_path_buf(),
                    field: String::new(),
                    message: format!(
                        "not valid TOML, using defaults{}: {}",
                        if mentions_readonly {
                            " with read-only ON"
                        } else {
                            ""
                        },
                        error.to_string().trim()
                    ),
                });
                return;
            }
        };
        let mut warn = |field: &str, message: String| {
            warnings.push(ConfigWarning {
                file: path.to_path_buf(),
                field: field.to_string(),
                message,
            })
        };
        let mut key_tables = None;
        for (key, value) in &table {
            match key.as_str() {
                "theme" => match value.as_str() {
                    Some(name) if !name.is_empty() => self.theme = name.to_string(),
                    _ => warn("theme", "expected a theme name".to_string()),
                },
                "default_view" => match value.as_str() {
                    Some(view) if crate::app::view::ViewKind::from_command(view).is_some() => {
                        self.default_view = view.to_string()
                    }
                    _ => warn(
                        "default_view",
                        "expected a view name such as \"pods\" or \"pulse\"".to_string(),
                    ),
                },
                "metrics_interval" => match value.as_str().and_then(parse_duration) {
                    Some(duration) if duration >= Duration::from_secs(5) => {
                        self.metrics_interval = duration
                    }
                    _ => warn(
                        "metrics_interval",
                        "expected a duration of at least \"5s\", like \"15s\"".to_string(),
                    ),
                },
                "pending_grace" => match value.as_str().and_then(parse_duration) {
                    Some(duration) => self.pending_grace = duration,
                    None => warn(
                        "pending_grace",
                        "expected a duration like \"5m\"".to_string(),
                    ),
                },
                "readonly" => match value.as_bool() {
                    Some(readonly) => self.readonly = readonly,
                    // Whatever was meant, it was not "writable": fail closed.
                    None => {
                        self.readonly = true;
                        warn(
                            "readonly",
                            format!(
                                "expected true or false, found {value}; read-only stays ON until this is fixed"
                            ),
                        )
                    }
                },
                "rollout_timeout" => match value.as_str().and_then(parse_duration) {
                    Some(duration) if duration >= Duration::from_secs(10) => {
                        self.rollout_timeout = duration
                    }
                    _ => warn(
                        "rollout_timeout",
                        "expected a duration of at least \"10s\", like \"5m\"".to_string(),
                    ),
                },
                "log_buffer_lines" => match value.as_integer() {
                    Some(lines) if (1_000..=10_000_000).contains(&lines) => {
                        self.log_buffer_lines = lines as usize
                    }
                    _ => warn(
                        "log_buffer_lines",
                        "expected a number of lines from 1000 to 10000000".to_string(),
                    ),
                },
                "repo" => match value.as_str() {
                    Some(dir) if !dir.trim().is_empty() => self.repo = Some(expand_home(dir)),
                    _ => warn("repo", "expected a directory path".to_string()),
                },
                "path" => match value.as_str() {
                    Some(dir) if !dir.trim().is_empty() && !dir.starts_with('/') => {
                        self.path = Some(std::path::PathBuf::from(dir.trim()))
                    }
                    _ => warn(
                        "path",
                        "expected a directory inside the repo, like \"clusters/home\"".to_string(),
                    ),
                },
                "fetch_interval" => match value.as_str().and_then(parse_duration) {
                    Some(duration) if duration.is_zero() || duration >= Duration::from_secs(30) => {
                        self.fetch_interval = duration
                    }
                    _ => warn(
                        "fetch_interval",
                        "expected \"0\" (never) or a duration of at least \"30s\", like \"5m\""
                            .to_string(),
                    ),
                },
                "refresh_interval" => match value.as_str().and_then(parse_duration) {
                    Some(duration) if duration >= Duration::from_secs(10) => {
                        self.refresh_interval = duration
                    }
                    _ => warn(
                        "refresh_interval",
                        "expected a duration of at least \"10s\", like \"1m\"".to_string(),
                    ),
                },
                "build_namespace" => match value.as_str() {
                    Some(ns) if !ns.trim().is_empty() => {
                        self.builds.options.namespace = ns.to_string()
                    }
                    _ => warn("build_namespace", "expected a namespace name".to_string()),
                },
                "kaniko_image" => match value.as_str() {
                    Some(image) if !image.trim().is_empty() => {
                        self.builds.options.executor_image = image.to_string()
                    }
                    _ => warn("kaniko_image", "expected an image reference".to_string()),
                },
                "build_context" => match value.as_str() {
                    Some("auto") => self.builds.mode = crate::builds::launch::ContextMode::Auto,
                    Some("git") => self.builds.mode = crate::builds::launch::ContextMode::Git,
                    Some("hostpath") => {
                        self.builds.mode = crate::builds::launch::ContextMode::HostPath
                    }
                    _ => warn(
                        "build_context",
                        "expected \"auto\", \"git\" or \"hostpath\"".to_string(),
                    ),
                },
                "build_node" => match value.as_str() {
                    Some(node) if !node.trim().is_empty() => {
                        self.builds.node = Some(node.to_string())
                    }
                    _ => warn("build_node", "expected a node name".to_string()),
                },
                "kubectl" => match value.as_str() {
                    Some(program) if !program.trim().is_empty() => {
                        self.kubectl = program.to_string()
                    }
                    _ => warn("kubectl", "expected a program name or path".to_string()),
                },
                "helm" => match value.as_str() {
                    Some(program) if !program.trim().is_empty() => self.helm = program.to_string(),
                    _ => warn("helm", "expected a program name or path".to_string()),
                },
                "watch_list" => match value.as_str() {
                    Some("auto") => self.watch_list = WatchListSetting::Auto,
                    Some("list") => self.watch_list = WatchListSetting::List,
                    Some("stream") => self.watch_list = WatchListSetting::Stream,
                    _ => warn(
                        "watch_list",
                        "expected \"auto\", \"list\" or \"stream\"".to_string(),
                    ),
                },
                "keys" => match value.as_table() {
                    Some(keys) => key_tables = Some(keys.clone()),
                    None => warn("keys", "expected a table like [keys.global]".to_string()),
                },
                other => warn(other, "unknown setting".to_string()),
            }
        }
        if let Some(keys) = key_tables {
            self.keymap.patch(&keys, path, "keys.", warnings);
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn readonly_fails_closed() {
        let path = std::path::Path::new("config.toml");
        for text in ["readonly = \"yes\"\n", "readonly = 1\n", "readonly = [\n"] {
            let mut warnings = Vec::new();
            let mut settings = Settings::default();
            settings.patch(text, path, &mut warnings);
            assert!(settings.readonly, "{text}");
            assert_eq!(warnings.len(), 1, "{text}: {warnings:?}");
        }
        let mut warnings = Vec::new();
        let mut settings = Settings::default();
        settings.patch("readonly = false\n", path, &mut warnings);
        assert!(!settings.readonly && warnings.is_empty());
    }

    use super::*;

    #[test]
    fn gitops_settings_parse_and_bad_ones_warn() {
        let mut settings = Settings::default();
        let mut warnings = Vec::new();
        settings.patch(
            "repo = \"~/homelab\"\nfetch_interval = \"0\"\nrefresh_interval = \"2m\"\n",
            Path::new("config.toml"),
            &mut warnings,
        );
        assert!(warnings.is_empty(), "{warnings:?}");
        let repo = settings.repo.clone().expect("repo set");
        assert!(
            repo.ends_with("homelab") && !repo.starts_with("~"),
            "{repo:?}"
        );
        assert_eq!(settings.fetch_interval, Duration::ZERO);
        assert_eq!(settings.refresh_interval, Duration::from_secs(120));
        settings.patch(
            "fetch_interval = \"5s\"\nrefresh_interval = \"soon\"\n",
            Path::new("config.toml"),
            &mut warnings,
        );
        let fields: Vec<&str> = warnings.iter().map(|w| w.field.as_str()).collect();
        assert_eq!(fields, ["fetch_interval", "refresh_interval"]);
        assert_eq!(settings.refresh_interval, Duration::from_secs(120), "kept");
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("15s"), Some(Duration::from_secs(15)));
        assert_eq!(parse_duration("5m"), Some(Duration::from_secs(300)));
        assert_eq!(parse_duration("2h"), Some(Duration::from_secs(7200)));
        assert_eq!(parse_duration("90"), Some(Duration::from_secs(90)));
        assert_eq!(parse_duration("soon"), None);
        assert_eq!(parse_duration("5d"), None);
    }
}

//! Renders cached by the content of their inputs (docs/ARCHITECTURE.md
//! "Rendering"): a SHA-256 over the app's definition, the tool used, and
//! every file the render reads. The same inputs give the same manifests,
//! whatever the commit or the working tree, so a cached render is never
//! stale. Renders that read the network (a remote kustomize base, a Helm
//! chart from a repository) are never cached.
//!
//! The TUI keeps renders in memory by this key; renders are also kept on
//! disk (the cache directory, `BOSUN_CACHE_DIR`), so `bosun status` and a
//! new TUI start from them. `BOSUN_RENDER_CACHE=off` turns the disk cache
//! off.

use std::path::{Path, PathBuf};

use openssl::sha::Sha256;
use serde_json::{Value, json};

use super::app::{AppSource, AppSpec};
use super::object::RenderedObject;
use super::render::{Rendered, Tools};

/// How many renders the disk cache keeps (the oldest go first).
const KEEP: usize = 1000;

/// The key of an app's render, or `None` when it cannot be cached.
pub fn key(repo_root: &Path, app: &AppSpec, tools: &Tools) -> Option<String> {
    if reads_network(repo_root, app) {
        return None;
    }
    let mut hasher = Sha256::new();
    hasher.update(b"bosun-render-v1\0");
    // The source with its options (edits, build flags), as written.
    hasher.update(format!("{:?}\0", app.source).as_bytes());
    hasher.update(format!("{:?}\0", app.namespace).as_bytes());
    for tool in [&tools.kustomize, &tools.kubectl, &tools.helm]
        .into_iter()
        .flatten()
    {
        // A tool replaced in place (an upgrade) changes size or mtime.
        let meta = std::fs::metadata(tool).ok();
        hasher.update(
            format!(
                "{}:{:?}:{:?}\0",
                tool.display(),
                meta.as_ref().map(std::fs::Metadata::len),
                meta.and_then(|m| m.modified().ok())
            )
            .as_bytes(),
        );
    }
    let mut files: Vec<PathBuf> = Vec::new();
    for input in super::paths::app_inputs(repo_root, app) {
        collect_files(&input, &mut files);
    }
    files.sort();
    files.dedup();
    for file in files {
        let relative = file.strip_prefix(repo_root).unwrap_or(&file);
        hasher.update(relative.to_string_lossy().as_bytes());
        hasher.update(b"\0");
        match std::fs::read(&file) {
            Ok(bytes) => {
                hasher.update(&(bytes.len() as u64).to_le_bytes());
                hasher.update(&bytes);
            }
            Err(_) => hasher.update(b"unreadable\0"),
        }
    }
    let digest = hasher.finish();
    Some(digest.iter().map(|b| format!("{b:02x}")).collect())
}

fn collect_files(path: &Path, out: &mut Vec<PathBuf>) {
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return;
    };
    if meta.is_file() || meta.file_type().is_symlink() && path.is_file() {
        out.push(path.to_path_buf());
        return;
    }
    if !meta.is_dir() {
        return;
    }
    let Ok(entries) = std::fs::read_dir(path) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        if entry.file_name() == ".git" {
            continue;
        }
        collect_files(&entry.path(), out);
    }
}

/// Whether the render may fetch from the network: a Helm chart not in the
/// repo, a kustomization naming a remote resource, or helmCharts (which
/// kustomize may pull).
fn reads_network(repo_root: &Path, app: &AppSpec) -> bool {
    match &app.source {
        AppSource::Helm(helm) => helm.chart_path.is_none(),
        AppSource::External { .. } => true,
        AppSource::Directory(_) => false,
        AppSource::Kustomize { .. } => super::paths::app_inputs(repo_root, app)
            .iter()
            .filter(|input| input.is_dir())
            .any(|dir| {
                super::paths::read_kustomization(dir).is_some_and(|doc| {
                    let remote = ["resources", "bases", "components"].iter().any(|key| {
                        doc.get(*key)
                            .and_then(serde_yaml::Value::as_sequence)
                            .is_some_and(|items| {
                                items.iter().filter_map(serde_yaml::Value::as_str).any(|e| {
                                    e.contains("://")
                                        || e.starts_with("git@")
                                        || e.starts_with("github.com/")
                                        || e.contains("?ref=")
                                })
                            })
                    });
                    remote || doc.get("helmCharts").is_some()
                })
            }),
    }
}

/// Renders kept in memory (by key) and on disk.
#[derive(Debug, Default)]
pub struct RenderCache {
    disk: Option<DiskCache>,
    memory: std::sync::Mutex<std::collections::HashMap<String, Rendered>>,
}

/// Renders kept in memory at most (then the memory starts over).
const IN_MEMORY: usize = 2000;

impl RenderCache {
    pub fn new(disk: Option<DiskCache>) -> RenderCache {
        RenderCache {
            disk,
            memory: Default::default(),
        }
    }

    /// The app's render: from memory, from disk, or made with the tools.
    pub async fn render(
        &self,
        repo_root: &Path,
        app: &AppSpec,
        tools: &Tools,
    ) -> Result<Rendered, super::render::RenderError> {
        let key = {
            let (root, app, tools) = (repo_root.to_path_buf(), app.clone(), tools.clone());
            tokio::task::spawn_blocking(move || key(&root, &app, &tools))
                .await
                .ok()
                .flatten()
        };
        if let Some(key) = &key {
            if let Some(hit) = self.memory.lock().ok().and_then(|m| m.get(key).cloned()) {
                return Ok(hit);
            }
            if let Some(hit) = self.disk.as_ref().and_then(|d| d.get(key)) {
                self.remember(key, &hit);
                return Ok(hit);
            }
        }
        let rendered = super::render::render_app(repo_root, app, tools).await?;
        if let Some(key) = &key {
            self.remember(key, &rendered);
            if let Some(disk) = &self.disk {
                disk.put(key, &rendered);
            }
        }
        Ok(rendered)
    }

    /// Forgets what is in memory (`ctrl-r`): the next renders come from
    /// the disk or the tools.
    pub fn clear_memory(&self) {
        if let Ok(mut memory) = self.memory.lock() {
            memory.clear();
        }
    }

    fn remember(&self, key: &str, rendered: &Rendered) {
        if let Ok(mut memory) = self.memory.lock() {
            if memory.len() >= IN_MEMORY {
                memory.clear();
            }
            memory.insert(key.to_string(), rendered.clone());
        }
    }
}

/// Renders on disk, one JSON file per key.
#[derive(Debug, Clone)]
pub struct DiskCache {
    dir: PathBuf,
}

impl DiskCache {
    /// The cache in `dir`, unless `BOSUN_RENDER_CACHE=off`.
    pub fn new(dir: Option<PathBuf>) -> Option<DiskCache> {
        if std::env::var("BOSUN_RENDER_CACHE").is_ok_and(|v| v == "off") {
            return None;
        }
        Some(DiskCache {
            dir: dir?.join("renders"),
        })
    }

    pub fn get(&self, key: &str) -> Option<Rendered> {
        let text = std::fs::read_to_string(self.dir.join(format!("{key}.json"))).ok()?;
        let value: Value = serde_json::from_str(&text).ok()?;
        let command = value.get("command")?.as_str()?.to_string();
        let objects = value
            .get("objects")?
            .as_array()?
            .iter()
            .map(|m| RenderedObject::from_manifest(m.clone()).ok())
            .collect::<Option<Vec<_>>>()?;
        Some(Rendered {
            objects,
            command: format!("{command} (cached)"),
            elapsed: std::time::Duration::ZERO,
        })
    }

    /// Stores a render; failures only cost the next render.
    pub fn put(&self, key: &str, rendered: &Rendered) {
        if std::fs::create_dir_all(&self.dir).is_err() {
            return;
        }
        let body = json!({
            "command": rendered.command,
            "objects": rendered.objects.iter().map(|o| &o.manifest).collect::<Vec<_>>(),
        });
        let path = self.dir.join(format!("{key}.json"));
        let temp = self.dir.join(format!("{key}.json.tmp"));
        if std::fs::write(&temp, body.to_string()).is_ok() {
            let _ = std::fs::rename(&temp, &path);
        }
        self.trim();
    }

    fn trim(&self) {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return;
        };
        let mut files: Vec<(std::time::SystemTime, PathBuf)> = entries
            .filter_map(Result::ok)
            .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
            .collect();
        if files.len() <= KEEP {
            return;
        }
        files.sort();
        for (_, path) in files.iter().take(files.len() - KEEP) {
            let _ = std::fs::remove_file(path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gitops::app::KustomizeOptions;

    #[test]
    fn the_key_follows_the_content_not_the_time() {
        let repo = tempfile::tempdir().expect("repo");
        let root = repo.path();
        std::fs::create_dir_all(root.join("app")).expect("dir");
        std::fs::write(
            root.join("app/kustomization.yaml"),
            "resources: [cm.yaml]\n",
        )
        .expect("w");
        std::fs::write(root.join("app/cm.yaml"), "a: 1\n").expect("w");
        let app = AppSpec::new(
            "app",
            AppSource::Kustomize {
                path: "app".into(),
                options: KustomizeOptions::default(),
            },
        );
        let tools = Tools::default();
        let first = key(root, &app, &tools).expect("cacheable");
        assert_eq!(key(root, &app, &tools), Some(first.clone()));
        std::fs::write(root.join("app/cm.yaml"), "a: 2\n").expect("w");
        let second = key(root, &app, &tools).expect("cacheable");
        assert_ne!(first, second);
        std::fs::write(root.join("app/cm.yaml"), "a: 1\n").expect("w");
        assert_eq!(key(root, &app, &tools), Some(first));
        std::fs::write(
            root.join("app/kustomization.yaml"),
            "resources: [cm.yaml, https://example.com/x.yaml]\n",
        )
        .expect("w");
        assert_eq!(key(root, &app, &tools), None, "remote: never cached");
    }

    #[test]
    fn renders_round_trip_on_disk() {
        let dir = tempfile::tempdir().expect("dir");
        let cache = DiskCache {
            dir: dir.path().join("renders"),
        };
        let rendered = Rendered {
            objects: vec![
                RenderedObject::from_manifest(
                    json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}}),
                )
                .expect("object"),
            ],
            command: "kubectl kustomize app".into(),
            elapsed: std::time::Duration::from_millis(50),
        };
        assert!(cache.get("k").is_none());
        cache.put("k", &rendered);
        let back = cache.get("k").expect("cached");
        assert_eq!(back.objects, rendered.objects);
        assert_eq!(back.command, "kubectl kustomize app (cached)");
    }
}

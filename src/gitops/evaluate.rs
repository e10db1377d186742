//! One app from render to verdict: render (or a cached render), read the
//! inventory, diff against the cluster. Shared by the TUI and the headless
//! `status` / `diff` / `sync` commands so both say the same thing.

use std::path::Path;
use std::sync::Arc;

use kube::Client;

use futures::StreamExt;

use super::compare::{self, AppDiff, DiffInput, Renderers, SyncStatus};
use super::health::Health;
use super::inventory::{self, Inventory};
use super::object::{ObjectKey, RenderedObject};
use super::postbuild;
use super::render::{self, Tools};
use super::render_cache::RenderCache;
use super::resolve::{Resolver, kube_message};
use super::sops;
use super::spec::{AppSource, AppSpec};
use super::sync::{self, SyncOptions, SyncReport};

/// Namespace of the app's inventory ConfigMap, and the default for its
/// namespaced objects that name none.
pub fn app_namespace(app: &AppSpec) -> String {
    if let Some(ns) = &app.namespace {
        return ns.clone();
    }
    if let AppSource::Helm(helm) = &app.source
        && let Some(ns) = &helm.namespace
    {
        return ns.clone();
    }
    "default".to_string()
}

/// What bosun knows about one app after a refresh.
#[derive(Debug, Clone)]
pub struct Evaluation {
    pub app: String,
    pub namespace: String,
    /// The render command, for the details line.
    pub command: Option<String>,
    pub diff: Option<AppDiff>,
    pub inventory: Option<Inventory>,
    /// Why there is no diff: render failed, cluster unreachable, ...
    pub error: Option<String>,
}

impl Evaluation {
    pub fn sync(&self) -> SyncStatus {
        match (&self.diff, &self.error) {
            (Some(diff), None) => diff.sync,
            _ => SyncStatus::Unknown,
        }
    }

    pub fn health(&self) -> Health {
        match (&self.diff, &self.error) {
            (Some(diff), None) => diff.health,
            _ => Health::Unknown,
        }
    }

    /// The commit last synced (short), from the inventory.
    pub fn revision(&self) -> Option<&str> {
        self.inventory
            .as_ref()
            .map(|i| &i.revision[..i.revision.len().min(7)])
    }

    /// A one-line message for a table's last column: the diff's summary,
    /// or the error with its reason (a tool's first stderr line follows its
    /// "… failed (exit status: 1):" header).
    pub fn message(&self) -> String {
        if let Some(error) = &self.error {
            return one_line(error);
        }
        let summary = self.diff.as_ref().map(AppDiff::summary).unwrap_or_default();
        match &self.inventory {
            Some(inventory) if inventory.rolled_back => format!(
                "rolled back to {} · autoSync paused · {summary}",
                super::rollback::short(&inventory.revision)
            ),
            _ => summary,
        }
    }

    /// Objects another app renders or tracks too, with those apps.
    pub fn shared(&self) -> Vec<(ObjectKey, Vec<String>)> {
        self.diff
            .iter()
            .flat_map(|d| d.shared())
            .map(|o| (o.key.clone(), o.shared.clone()))
            .collect()
    }
}

/// The first line of a message, joined with the first line that says why
/// when the first only introduces it (ends with ':').
pub fn one_line(text: &str) -> String {
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let first = lines.next().unwrap_or_default().to_string();
    if !first.ends_with(':') {
        return first;
    }
    match lines.next() {
        Some(reason) => format!("{first} {reason}"),
        None => first.trim_end_matches(':').to_string(),
    }
}

/// How many renders run at once: the tools are CPU-bound subprocesses, so
/// about one per core (at least two, as one waits on I/O at start).
pub fn render_concurrency() -> usize {
    std::thread::available_parallelism()
        .map(std::num::NonZeroUsize::get)
        .unwrap_or(2)
        .max(2)
}

/// Renders every app, [`render_concurrency`] at a time, answers in the
/// order of `apps`; a failure is the app's message ("render failed: ...").
pub async fn render_apps(
    repo_root: &Path,
    apps: &[AppSpec],
    tools: &Tools,
    cache: &RenderCache,
) -> Vec<Result<render::Rendered, String>> {
    // Futures collected first, not made by a closure inside the stream: that
    // trips the compiler's Send check in spawned tasks (rust#96865).
    let renders: Vec<_> = apps
        .iter()
        .map(|app| render_one(repo_root, app, tools, cache))
        .collect();
    futures::stream::iter(renders)
        .buffered(render_concurrency())
        .collect()
        .await
}

async fn render_one(
    repo_root: &Path,
    app: &AppSpec,
    tools: &Tools,
    cache: &RenderCache,
) -> Result<render::Rendered, String> {
    if let Some(problem) = &app.problem {
        return Err(problem.clone());
    }
    if let AppSource::External { reason } = &app.source {
        return Err(format!("external source: not rendered ({reason})"));
    }
    cache
        .render(repo_root, app, tools)
        .await
        .map_err(|e| format!("render failed: {e}"))
}

/// What every app of the repo renders, as the evaluation of one app needs
/// it: who renders which object (shared objects), and the ConfigMaps and
/// Secrets (Flux substitution before the first sync).
#[derive(Debug, Clone, Default)]
pub struct RepoIndex {
    pub renderers: Renderers,
    pub config: postbuild::RepoConfig,
    /// Set when some app renders a SOPS-encrypted object.
    pub decryption: Option<Arc<sops::Decryption>>,
    /// The cluster's HPAs, listed once for all the apps' diffs.
    pub live_hpas: Arc<compare::LiveHpas>,
}

/// Builds the index over every app that rendered.
pub fn index<'a>(
    resolver: &Resolver,
    repo_root: &Path,
    rendered: impl IntoIterator<Item = (&'a AppSpec, &'a [RenderedObject])>,
) -> RepoIndex {
    let mut index = RepoIndex::default();
    let mut encrypted = false;
    for (app, objects) in rendered {
        encrypted |= sops::Decryption::needed(objects);
        let keys = compare::object_keys(resolver, &app_namespace(app), objects);
        compare::index_renderers(&mut index.renderers, &app.name, &keys);
        for (key, object) in keys.iter().zip(objects) {
            if key.group.is_empty() && (key.kind == "ConfigMap" || key.kind == "Secret") {
                index.config.insert(key.clone(), object.manifest.clone());
            }
        }
    }
    if encrypted {
        index.decryption = Some(Arc::new(sops::Decryption::from_env(repo_root)));
    }
    index
}

/// An app that could not be rendered (or diffed): its last inventory, if
/// readable, and why.
pub async fn unevaluated(client: &Client, app: &AppSpec, error: String) -> Evaluation {
    let namespace = app_namespace(app);
    let inventory = inventory::read(client, &namespace, &app.name)
        .await
        .ok()
        .flatten();
    Evaluation {
        app: app.name.clone(),
        namespace,
        command: None,
        diff: None,
        inventory,
        error: Some(error),
    }
}

/// Renders one app with the real tools, then evaluates it on its own (no
/// other app's renders to compare with).
pub async fn evaluate(
    client: &Client,
    resolver: &Resolver,
    repo_root: &Path,
    app: &AppSpec,
    tools: &Tools,
) -> Evaluation {
    match render::render_app(repo_root, app, tools).await {
        Ok(rendered) => {
            let repo = index(resolver, repo_root, [(app, rendered.objects.as_slice())]);
            let mut eval = evaluate_rendered(client, resolver, app, &rendered.objects, &repo).await;
            eval.command = Some(rendered.command);
            eval
        }
        Err(e) => unevaluated(client, app, format!("render failed: {e}")).await,
    }
}

/// Evaluates an already rendered app (the TUI caches renders per commit).
pub async fn evaluate_rendered(
    client: &Client,
    resolver: &Resolver,
    app: &AppSpec,
    objects: &[RenderedObject],
    repo: &RepoIndex,
) -> Evaluation {
    let namespace = app_namespace(app);
    // Decrypted first, then substituted: Flux's order (kustomize-controller
    // decrypts each resource, then runs postBuild on it).
    let decrypted = match &repo.decryption {
        Some(decryption) if sops::Decryption::needed(objects) => {
            Some(sops::decrypt_objects(objects, decryption).await)
        }
        _ => None,
    };
    let objects = decrypted.as_deref().unwrap_or(objects);
    let substituted = match postbuild::apply(client, app, objects, &repo.config).await {
        Ok(objects) => objects,
        Err(error) => return unevaluated(client, app, error).await,
    };
    let objects = substituted.as_slice();
    let inventory = match inventory::read(client, &namespace, &app.name).await {
        Ok(inventory) => inventory,
        Err(e) => {
            return Evaluation {
                app: app.name.clone(),
                namespace,
                command: None,
                diff: None,
                inventory: None,
                error: Some(format!("reading the inventory: {}", kube_message(&e))),
            };
        }
    };
    let diff = compare::diff_app(
        client,
        resolver,
        DiffInput {
            app: &app.name,
            default_namespace: &namespace,
            objects,
            inventory: inventory.as_ref(),
            renderers: &repo.renderers,
            create_namespace: app.create_namespace,
            ignore_differences: &app.ignore_differences,
            respect_ignore_differences: app.respect_ignore_differences,
            live_hpas: Some(&repo.live_hpas),
        },
    )
    .await;
    Evaluation {
        app: app.name.clone(),
        namespace,
        command: None,
        diff: Some(diff),
        inventory,
        error: None,
    }
}

/// Syncs an evaluated app (its diff must be the one the user saw).
pub async fn sync_evaluated(
    client: &Client,
    eval: &Evaluation,
    opts: &SyncOptions,
) -> Result<SyncReport, String> {
    let Some(diff) = &eval.diff else {
        return Err(eval
            .error
            .clone()
            .unwrap_or_else(|| "nothing to sync: no diff".into()));
    };
    sync::sync_app(client, diff, &eval.namespace, eval.inventory.as_ref(), opts)
        .await
        .map_err(|e| kube_message(&e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_keeps_the_reason() {
        let error = "render failed: kubectl kustomize apps/x failed (exit status: 1):\n\nError: accumulating resources: missing.yaml\nmore";
        assert_eq!(
            one_line(error),
            "render failed: kubectl kustomize apps/x failed (exit status: 1): Error: accumulating resources: missing.yaml"
        );
        assert_eq!(one_line("plain"), "plain");
        assert_eq!(one_line("only a header:"), "only a header");
    }
}

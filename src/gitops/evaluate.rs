//! One app from render to verdict: render (or a cached render), read the
//! inventory, diff against the cluster. Shared by the TUI and the headless
//! `status` / `diff` / `sync` commands so both say the same thing.

use std::path::Path;

use kube::Client;

use super::compare::{self, AppDiff, DiffInput, SyncStatus};
use super::health::Health;
use super::inventory::{self, Inventory};
use super::object::RenderedObject;
use super::render::{self, Tools};
use super::resolve::{Resolver, kube_message};
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

    /// A one-line message for a table's last column.
    pub fn message(&self) -> String {
        if let Some(error) = &self.error {
            return error.lines().next().unwrap_or_default().to_string();
        }
        self.diff.as_ref().map(AppDiff::summary).unwrap_or_default()
    }
}

/// Renders an app with the real tools, then evaluates it.
pub async fn evaluate(
    client: &Client,
    resolver: &Resolver,
    repo_root: &Path,
    app: &AppSpec,
    tools: &Tools,
) -> Evaluation {
    match render::render_app(repo_root, app, tools).await {
        Ok(rendered) => {
            let mut eval = evaluate_rendered(client, resolver, app, &rendered.objects).await;
            eval.command = Some(rendered.command);
            eval
        }
        Err(e) => {
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
                error: Some(format!("render failed: {e}")),
            }
        }
    }
}

/// Evaluates an already rendered app (the TUI caches renders per commit).
pub async fn evaluate_rendered(
    client: &Client,
    resolver: &Resolver,
    app: &AppSpec,
    objects: &[RenderedObject],
) -> Evaluation {
    let namespace = app_namespace(app);
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

//! State shared by the server, watch tasks and the `SimCluster` handle.

use std::sync::atomic::AtomicU64;
use std::sync::{PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use super::SimOptions;
use super::controller::Knobs;
use super::faults::Faults;
use super::metrics::MetricsBase;
use super::registry::Registry;
use super::store::Store;

pub(crate) struct Shared {
    pub opts: SimOptions,
    pub registry: Registry,
    store: RwLock<Store>,
    pub faults: Faults,
    pub metrics: MetricsBase,
    /// Bumped by `drop_watches`; every open watch cuts its stream.
    pub cut: tokio::sync::watch::Sender<u64>,
    /// Bumped by `drop_watches` / `drop_log_streams`; every `follow` log stream cuts.
    pub log_cut: tokio::sync::watch::Sender<u64>,
    /// Fault knobs of the workload controllers.
    pub knobs: Knobs,
    pub requests: AtomicU64,
    pub server_address: String,
    /// Writes clients made (not dry runs, not the controllers'), in order:
    /// tests assert the order a sync applied things in from here.
    pub client_writes: std::sync::Mutex<Vec<ClientWrite>>,
    /// Every PATCH a client sent, with its body: tests assert the exact
    /// request a command makes (patch type, subresource, fields).
    pub client_patches: std::sync::Mutex<Vec<ClientPatch>>,
}

/// One PATCH request as the server received it.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientPatch {
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
    /// `Some("status")` for the status subresource.
    pub subresource: Option<String>,
    /// The Content-Type without parameters.
    pub content_type: String,
    pub body: serde_json::Value,
}

/// One write a client made, as the server saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientWrite {
    /// `create`, `update`, `patch`, `apply` or `delete`.
    pub verb: &'static str,
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
}

impl Shared {
    pub fn new(
        opts: SimOptions,
        registry: Registry,
        store: Store,
        metrics: MetricsBase,
        server_address: String,
    ) -> Self {
        Shared {
            opts,
            registry,
            store: RwLock::new(store),
            faults: Faults::default(),
            metrics,
            cut: tokio::sync::watch::Sender::new(0),
            log_cut: tokio::sync::watch::Sender::new(0),
            knobs: Knobs::default(),
            requests: AtomicU64::new(0),
            server_address,
            client_writes: std::sync::Mutex::new(Vec::new()),
            client_patches: std::sync::Mutex::new(Vec::new()),
        }
    }

    /// A panic elsewhere must not take the simulator down with it, so a
    /// poisoned lock is simply reused.
    pub fn read(&self) -> RwLockReadGuard<'_, Store> {
        self.store.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records a client's write (see [`ClientWrite`]).
    pub fn record_write(
        &self,
        verb: &'static str,
        kind: &str,
        namespace: Option<&str>,
        name: &str,
    ) {
        let mut writes = self
            .client_writes
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        writes.push(ClientWrite {
            verb,
            kind: kind.to_string(),
            namespace: namespace.filter(|ns| !ns.is_empty()).map(str::to_string),
            name: name.to_string(),
        });
    }

    pub fn write(&self) -> RwLockWriteGuard<'_, Store> {
        self.store.write().unwrap_or_else(PoisonError::into_inner)
    }
}

//! Objects per resource with their pre-serialized JSON, one global
//! resourceVersion counter (like etcd), a bounded history per resource for
//! watch resumption, and a broadcast channel per resource for live watches.
//!
//! Callers hold the lock only for in-memory work, never across `.await`.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use bytes::Bytes;
use serde_json::Value;
use tokio::sync::broadcast;

use super::registry::{Registry, ResourceId};

/// (namespace, name); namespace is "" for cluster-scoped objects.
pub(crate) type ObjKey = (String, String);

/// An object and its JSON, serialized once per write so lists and watches
/// only concatenate bytes.
#[derive(Debug, Clone)]
pub(crate) struct Stored {
    pub value: Arc<Value>,
    pub bytes: Bytes,
}

impl Stored {
    pub fn new(value: Value) -> Self {
        let bytes = Bytes::from(serde_json::to_vec(&value).unwrap_or_default());
        Stored {
            value: Arc::new(value),
            bytes,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ChangeKind {
    Added,
    Modified,
    Deleted,
}

impl ChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Added => "ADDED",
            ChangeKind::Modified => "MODIFIED",
            ChangeKind::Deleted => "DELETED",
        }
    }
}

/// One write, as replayed from history or fanned out to live watches.
#[derive(Debug)]
pub(crate) struct Change {
    pub kind: ChangeKind,
    pub rv: u64,
    pub namespace: String,
    pub object: Stored,
    /// The state before a MODIFIED, so selector watches can turn it into
    /// ADDED/DELETED when the object starts or stops matching.
    pub previous: Option<Arc<Value>>,
}

#[derive(Debug)]
pub(crate) struct ResourceStore {
    pub objects: BTreeMap<ObjKey, Stored>,
    history: VecDeque<Arc<Change>>,
    /// Watches may resume from any rv >= this; older ones get 410.
    pub history_start: u64,
    tx: broadcast::Sender<Arc<Change>>,
}

#[derive(Debug)]
pub(crate) struct Store {
    rv: u64,
    capacity: usize,
    resources: Vec<ResourceStore>,
}

/// How many live events a slow watch may fall behind before it is ended.
const BROADCAST_CAPACITY: usize = 4096;

/// Why a replay cannot be served.
#[derive(Debug)]
pub(crate) struct TooOld;

impl Store {
    pub fn new(registry: &Registry, capacity: usize) -> Self {
        let mut store = Store {
            rv: 0,
            capacity: capacity.max(1),
            resources: Vec::new(),
        };
        store.ensure(registry.len());
        store
    }

    /// Makes room for resources the registry gained at runtime (CRDs).
    pub fn ensure(&mut self, len: usize) {
        let start = self.rv;
        while self.resources.len() < len {
            self.resources.push(ResourceStore {
                objects: BTreeMap::new(),
                history: VecDeque::new(),
                history_start: start,
                tx: broadcast::channel(BROADCAST_CAPACITY).0,
            });
        }
    }

    pub fn rv(&self) -> u64 {
        self.rv
    }

    pub fn next_rv(&mut self) -> u64 {
        self.rv += 1;
        self.rv
    }

    pub fn res(&self, id: ResourceId) -> Option<&ResourceStore> {
        self.resources.get(id)
    }

    pub fn get(&self, id: ResourceId, ns: &str, name: &str) -> Option<&Stored> {
        self.resources
            .get(id)?
            .objects
            .get(&(ns.to_string(), name.to_string()))
    }

    pub fn subscribe(&self, id: ResourceId) -> Option<broadcast::Receiver<Arc<Change>>> {
        self.resources.get(id).map(|r| r.tx.subscribe())
    }

    /// History events newer than `rv`, or `TooOld` when they were forgotten.
    pub fn since(&self, id: ResourceId, rv: u64) -> Result<Vec<Arc<Change>>, TooOld> {
        let Some(r) = self.resources.get(id) else {
            return Ok(Vec::new());
        };
        if rv < r.history_start {
            return Err(TooOld);
        }
        let start = r.history.partition_point(|c| c.rv <= rv);
        Ok(r.history.range(start..).cloned().collect())
    }

    pub fn history_start(&self, id: ResourceId) -> u64 {
        self.resources.get(id).map_or(0, |r| r.history_start)
    }

    /// Seeding: store without history or events.
    pub fn insert_silent(&mut self, id: ResourceId, key: ObjKey, value: Value) {
        if let Some(r) = self.resources.get_mut(id) {
            r.objects.insert(key, Stored::new(value));
        }
    }

    /// Seeding in bulk: objects already stamped with resourceVersions up to `last_rv`.
    pub fn insert_stored_silent(
        &mut self,
        id: ResourceId,
        items: Vec<(ObjKey, Stored)>,
        last_rv: u64,
    ) {
        if let Some(r) = self.resources.get_mut(id) {
            r.objects.extend(items);
        }
        self.rv = self.rv.max(last_rv);
    }

    /// Ends seeding: history starts now.
    pub fn reset_history(&mut self) {
        let rv = self.rv;
        for r in &mut self.resources {
            r.history.clear();
            r.history_start = rv;
        }
    }

    /// Commits a create or replace; `value` already carries its new
    /// resourceVersion (`rv`).
    pub fn put(&mut self, id: ResourceId, key: ObjKey, value: Value, rv: u64) -> Stored {
        let stored = Stored::new(value);
        let Some(r) = self.resources.get_mut(id) else {
            return stored;
        };
        let previous = r.objects.insert(key.clone(), stored.clone());
        let (kind, previous) = match previous {
            Some(p) => (ChangeKind::Modified, Some(p.value)),
            None => (ChangeKind::Added, None),
        };
        self.record(id, kind, key.0, stored.clone(), previous, rv);
        stored
    }

    /// Removes an object; `last` is its final state stamped with the
    /// deletion's resourceVersion `rv`.
    pub fn remove(&mut self, id: ResourceId, key: &ObjKey, last: Value, rv: u64) -> Option<Stored> {
        let r = self.resources.get_mut(id)?;
        r.objects.remove(key)?;
        let stored = Stored::new(last);
        self.record(
            id,
            ChangeKind::Deleted,
            key.0.clone(),
            stored.clone(),
            None,
            rv,
        );
        Some(stored)
    }

    fn record(
        &mut self,
        id: ResourceId,
        kind: ChangeKind,
        namespace: String,
        object: Stored,
        previous: Option<Arc<Value>>,
        rv: u64,
    ) {
        let capacity = self.capacity;
        let Some(r) = self.resources.get_mut(id) else {
            return;
        };
        let change = Arc::new(Change {
            kind,
            rv,
            namespace,
            object,
            previous,
        });
        r.history.push_back(change.clone());
        while r.history.len() > capacity {
            if let Some(old) = r.history.pop_front() {
                r.history_start = old.rv;
            }
        }
        // No receivers is fine: nobody is watching.
        let _ = r.tx.send(change);
    }

    /// Forgets all history; the counter moves on so that every
    /// resourceVersion handed out before is now too old.
    pub fn compact(&mut self) {
        self.rv += 1;
        self.reset_history();
    }
}

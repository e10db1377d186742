//! Rows of one kind, keyed by namespace/name, with a generation counter so
//! views know when their cached order is stale.

use std::collections::HashMap;

use crate::cluster::rows::{Row, RowKey};
use crate::cluster::watch::RowUpdate;

#[derive(Debug)]
pub struct RowStore<R> {
    rows: Vec<R>,
    index: HashMap<RowKey, usize>,
    generation: u64,
}

impl<R> Default for RowStore<R> {
    fn default() -> Self {
        RowStore {
            rows: Vec::new(),
            index: HashMap::new(),
            generation: 0,
        }
    }
}

impl<R: Row> RowStore<R> {
    pub fn rows(&self) -> &[R] {
        &self.rows
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    pub fn generation(&self) -> u64 {
        self.generation
    }

    pub fn get(&self, key: &RowKey) -> Option<&R> {
        self.index.get(key).map(|&position| &self.rows[position])
    }

    pub fn apply(&mut self, update: RowUpdate<R>) {
        match update {
            RowUpdate::Replace(rows) => self.replace(rows),
            RowUpdate::Upsert(row) => self.upsert(row),
            RowUpdate::Delete(key) => self.delete(&key),
        }
    }

    /// Swap in a complete set; a key listed twice keeps its last row.
    pub fn replace(&mut self, rows: Vec<R>) {
        self.rows.clear();
        self.index.clear();
        self.rows.reserve(rows.len());
        for row in rows {
            self.upsert_quiet(row);
        }
        self.rows.shrink_to_fit();
        self.generation += 1;
    }

    fn upsert_quiet(&mut self, row: R) {
        let key = row.key();
        match self.index.get(&key) {
            Some(&position) => self.rows[position] = row,
            None => {
                self.index.insert(key, self.rows.len());
                self.rows.push(row);
            }
        }
    }

    pub fn upsert(&mut self, row: R) {
        self.upsert_quiet(row);
        self.generation += 1;
    }

    pub fn delete(&mut self, key: &RowKey) {
        let Some(position) = self.index.remove(key) else {
            return;
        };
        self.rows.swap_remove(position);
        if let Some(moved) = self.rows.get(position) {
            self.index.insert(moved.key(), position);
        }
        self.generation += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::rows::NamespaceRow;
    use k8s_openapi::api::core::v1::Namespace;

    fn row(name: &str) -> NamespaceRow {
        let mut namespace = Namespace::default();
        namespace.metadata.name = Some(name.to_string());
        NamespaceRow::from_namespace(&namespace)
    }

    #[test]
    fn upsert_delete_replace_keep_the_index_right() {
        let mut store = RowStore::default();
        store.upsert(row("a"));
        store.upsert(row("b"));
        store.upsert(row("c"));
        store.upsert(row("b"));
        assert_eq!(store.len(), 3);
        store.delete(&RowKey::new("", "a"));
        assert_eq!(store.len(), 2);
        assert!(store.get(&RowKey::new("", "c")).is_some());
        assert!(store.get(&RowKey::new("", "a")).is_none());
        store.delete(&RowKey::new("", "missing"));
        store.replace(vec![row("x"), row("x"), row("y")]);
        assert_eq!(store.len(), 2);
        assert!(store.get(&RowKey::new("", "b")).is_none());
        assert_eq!(
            store.get(&RowKey::new("", "y")).map(|r| r.name.as_ref()),
            Some("y")
        );
    }
}

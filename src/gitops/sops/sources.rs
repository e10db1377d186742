//! The SOPS-encrypted files of a repo, found by their MAC.
//!
//! kustomize changes what it renders (a namespace, labels, a name prefix),
//! and sops' MAC covers every value in its original order, so a rendered
//! object cannot be checked against its MAC (Flux skips the check for that
//! reason). bosun checks the file the object came from instead: the
//! rendered `sops` block names it by its `mac`, which is unique per
//! encryption. Decryption then happens in memory, never on disk.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_yaml::Value as Yaml;

/// A file over this size is not read (Flux's limit for encrypted files).
const MAX_FILE: u64 = 5 << 20;

/// One encrypted file of the repo.
#[derive(Debug)]
pub struct SourceFile {
    /// Relative to the repo root.
    pub path: PathBuf,
    /// The file as written (for the sops binary).
    pub text: String,
    /// Its documents, key order kept (for the MAC).
    pub documents: Vec<Yaml>,
}

/// Encrypted files by the `sops.mac` of their documents.
#[derive(Debug, Default)]
pub struct Sources {
    by_mac: HashMap<String, Arc<SourceFile>>,
}

impl Sources {
    /// Walks the repo (not `.git`) for YAML files holding a `sops` block.
    pub fn scan(root: &Path) -> Sources {
        let mut sources = Sources::default();
        let mut stack = vec![root.to_path_buf()];
        while let Some(dir) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                let Ok(kind) = entry.file_type() else {
                    continue;
                };
                if kind.is_dir() {
                    if entry.file_name() != ".git" {
                        stack.push(path);
                    }
                } else if kind.is_file() && is_yaml(&path) {
                    sources.add(root, &path);
                }
            }
        }
        sources
    }

    fn add(&mut self, root: &Path, path: &Path) {
        let small = std::fs::metadata(path).is_ok_and(|m| m.len() <= MAX_FILE);
        if !small {
            return;
        }
        let Ok(text) = std::fs::read_to_string(path) else {
            return;
        };
        if !text.contains("sops") || !text.contains("mac") {
            return;
        }
        use serde::Deserialize;
        let mut documents = Vec::new();
        for document in serde_yaml::Deserializer::from_str(&text) {
            match Yaml::deserialize(document) {
                Ok(Yaml::Null) => {}
                Ok(value) => documents.push(value),
                Err(_) => return,
            }
        }
        let macs: Vec<String> = documents
            .iter()
            .filter_map(|d| Some(d.get("sops")?.get("mac")?.as_str()?.to_string()))
            .collect();
        if macs.is_empty() {
            return;
        }
        let file = Arc::new(SourceFile {
            path: path.strip_prefix(root).unwrap_or(path).to_path_buf(),
            text,
            documents,
        });
        for mac in macs {
            self.by_mac.insert(mac, file.clone());
        }
    }

    pub fn find(&self, mac: &str) -> Option<Arc<SourceFile>> {
        self.by_mac.get(mac).cloned()
    }

    pub fn len(&self) -> usize {
        self.by_mac.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_mac.is_empty()
    }
}

fn is_yaml(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| matches!(e, "yaml" | "yml"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_found_by_their_mac() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("apps/blog")).unwrap();
        std::fs::create_dir_all(dir.path().join(".git")).unwrap();
        let doc = "apiVersion: v1\nkind: Secret\nmetadata: {name: db}\nsops:\n  mac: ENC[one]\n";
        std::fs::write(dir.path().join("apps/blog/db.yaml"), doc).unwrap();
        std::fs::write(
            dir.path().join(".git/ignored.yaml"),
            doc.replace("one", "two"),
        )
        .unwrap();
        std::fs::write(dir.path().join("apps/blog/plain.yaml"), "kind: ConfigMap\n").unwrap();
        let sources = Sources::scan(dir.path());
        assert_eq!(sources.len(), 1);
        let file = sources.find("ENC[one]").unwrap();
        assert_eq!(file.path, Path::new("apps/blog/db.yaml"));
        assert_eq!(file.documents.len(), 1);
        assert!(sources.find("ENC[two]").is_none());
    }
}

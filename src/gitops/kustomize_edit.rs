//! What Argo CD and Flux change in an app's kustomization before building
//! it, done to a copy of the repo (docs/ARCHITECTURE.md "Rendering").
//!
//! - Argo CD runs `kustomize edit` in the app directory, in this order:
//!   `set nameprefix`, `set namesuffix`, `set image`, `add label`, `add
//!   annotation`, `set namespace`, then appends `patches`, then `add
//!   component` (argo-cd `util/kustomize/kustomize.go`). `kubectl` has no
//!   `kustomize edit`, so the same edits are made here on the YAML.
//! - Flux overrides `namespace` (targetNamespace), `namePrefix`,
//!   `nameSuffix`, appends `patches` and `components`, and replaces `images`
//!   entries by name (fluxcd/pkg `kustomize_generator.go`); a directory
//!   without a kustomization gets one listing its YAML files (see
//!   [`generate`]).

use std::path::Path;

use serde_yaml::{Mapping, Value as Yaml};

use super::app::{EditStyle, KustomizeOptions};

/// `kustomize edit set image` argument forms: `name=newName:tag`,
/// `name:tag`, `name@digest`, `name=newName@digest`, `name=newName`.
pub fn parse_image(arg: &str) -> Result<Yaml, String> {
    let arg = arg.trim();
    if arg.is_empty() {
        return Err("an empty image".into());
    }
    let (name, rest) = match arg.split_once('=') {
        Some((name, rest)) => (name.to_string(), Some(rest)),
        None => (String::new(), None),
    };
    let target = rest.unwrap_or(arg);
    let (without_digest, digest) = match target.split_once('@') {
        Some((image, digest)) => (image, Some(digest.to_string())),
        None => (target, None),
    };
    // A tag is after the last ':' that comes after the last '/' (a
    // registry port is not a tag).
    let slash = without_digest.rfind('/').map(|i| i + 1).unwrap_or(0);
    let (image, tag) = match without_digest[slash..].rfind(':') {
        Some(colon) => (
            &without_digest[..slash + colon],
            Some(without_digest[slash + colon + 1..].to_string()),
        ),
        None => (without_digest, None),
    };
    if image.is_empty() {
        return Err(format!("{arg:?} names no image"));
    }
    let mut entry = Mapping::new();
    if rest.is_some() {
        entry.insert("name".into(), name.into());
        entry.insert("newName".into(), image.into());
    } else {
        entry.insert("name".into(), image.into());
    }
    if let Some(tag) = tag.filter(|t| !t.is_empty()) {
        entry.insert("newTag".into(), tag.into());
    }
    if let Some(digest) = digest.filter(|d| !d.is_empty()) {
        entry.insert("digest".into(), digest.into());
    }
    Ok(Yaml::Mapping(entry))
}

/// Runs `edit` on the sequence at `key`, making one when it is absent (or
/// not a sequence).
fn with_list(doc: &mut Mapping, key: &str, edit: impl FnOnce(&mut Vec<Yaml>)) {
    let entry = doc
        .entry(key.into())
        .or_insert_with(|| Yaml::Sequence(Vec::new()));
    if !entry.is_sequence() {
        *entry = Yaml::Sequence(Vec::new());
    }
    if let Some(items) = entry.as_sequence_mut() {
        edit(items);
    }
}

fn image_name(entry: &Yaml) -> Option<&str> {
    entry.get("name").and_then(Yaml::as_str)
}

/// Applies the options to a parsed kustomization, in the declaring tool's
/// order. The error is the one the tool would stop with.
pub fn apply(doc: &mut Yaml, options: &KustomizeOptions) -> Result<(), String> {
    if doc.is_null() {
        *doc = Yaml::Mapping(Mapping::new());
    }
    let Some(doc) = doc.as_mapping_mut() else {
        return Err("the kustomization is not a mapping".into());
    };
    match options.style {
        EditStyle::Argo => {
            if let Some(prefix) = &options.name_prefix {
                doc.insert("namePrefix".into(), prefix.clone().into());
            }
            if let Some(suffix) = &options.name_suffix {
                doc.insert("nameSuffix".into(), suffix.clone().into());
            }
            set_images(doc, &options.images);
            set_by_name(doc, "replicas", &options.replicas);
            add_pairs(
                doc,
                "commonLabels",
                &options.common_labels,
                options.force_common_labels,
                "label",
                "forceCommonLabels",
            )?;
            add_pairs(
                doc,
                "commonAnnotations",
                &options.common_annotations,
                options.force_common_annotations,
                "annotation",
                "forceCommonAnnotations",
            )?;
            if let Some(namespace) = &options.namespace {
                doc.insert("namespace".into(), namespace.clone().into());
            }
            with_list(doc, "patches", |items| {
                items.extend(options.patches.iter().cloned())
            });
            add_components(doc, &options.components);
        }
        EditStyle::Flux => {
            if let Some(namespace) = &options.namespace {
                doc.insert("namespace".into(), namespace.clone().into());
            }
            if let Some(prefix) = &options.name_prefix {
                doc.insert("namePrefix".into(), prefix.clone().into());
            }
            if let Some(suffix) = &options.name_suffix {
                doc.insert("nameSuffix".into(), suffix.clone().into());
            }
            with_list(doc, "patches", |items| {
                items.extend(options.patches.iter().cloned())
            });
            add_components(doc, &options.components);
            set_images(doc, &options.images);
        }
    }
    Ok(())
}

/// An entry with the same `name` is replaced, others appended.
fn set_images(doc: &mut Mapping, images: &[Yaml]) {
    set_by_name(doc, "images", images);
}

/// Entries of the list at `key` replaced by `name`, others appended.
fn set_by_name(doc: &mut Mapping, key: &str, entries: &[Yaml]) {
    if entries.is_empty() {
        return;
    }
    with_list(doc, key, |existing| {
        for image in entries {
            match existing
                .iter_mut()
                .find(|entry| image_name(entry).is_some() && image_name(entry) == image_name(image))
            {
                Some(entry) => *entry = image.clone(),
                None => existing.push(image.clone()),
            }
        }
    });
}

/// `kustomize edit add label|annotation [--force] k:v`: without force, a key
/// already set is an error, as kustomize reports it.
fn add_pairs(
    doc: &mut Mapping,
    field: &str,
    pairs: &std::collections::BTreeMap<String, String>,
    force: bool,
    what: &str,
    force_field: &str,
) -> Result<(), String> {
    if pairs.is_empty() {
        return Ok(());
    }
    let entry = doc
        .entry(field.into())
        .or_insert_with(|| Yaml::Mapping(Mapping::new()));
    if !entry.is_mapping() {
        *entry = Yaml::Mapping(Mapping::new());
    }
    let Some(target) = entry.as_mapping_mut() else {
        return Ok(());
    };
    for (key, value) in pairs {
        if !force && target.contains_key(key.as_str()) {
            return Err(format!(
                "{what} {key} already in kustomization file ({field}); set {force_field} to replace it"
            ));
        }
        target.insert(key.clone().into(), value.clone().into());
    }
    Ok(())
}

fn add_components(doc: &mut Mapping, components: &[String]) {
    if components.is_empty() {
        return;
    }
    with_list(doc, "components", |existing| {
        for component in components {
            if !existing.iter().any(|c| c.as_str() == Some(component)) {
                existing.push(component.clone().into());
            }
        }
    });
}

/// A kustomization for a directory without one, as Flux generates it
/// (fluxcd/pkg `kustomize_generator.go`, `scanManifests`): every `.yaml` /
/// `.yml` file, recursively, in lexical order; a subdirectory with its own
/// kustomization becomes one entry and is not entered; a file that is not
/// Kubernetes YAML fails the build; an empty directory gets the
/// `_placeholder` namespace so the build yields nothing.
pub fn generate(dir: &Path) -> Result<Yaml, String> {
    let mut resources = Vec::new();
    scan(dir, dir, &mut resources)?;
    let mut doc = Mapping::new();
    doc.insert(
        "apiVersion".into(),
        "kustomize.config.k8s.io/v1beta1".into(),
    );
    doc.insert("kind".into(), "Kustomization".into());
    if resources.is_empty() {
        doc.insert("namespace".into(), "_placeholder".into());
    }
    doc.insert(
        "resources".into(),
        Yaml::Sequence(resources.into_iter().map(Yaml::from).collect()),
    );
    Ok(Yaml::Mapping(doc))
}

fn scan(root: &Path, dir: &Path, out: &mut Vec<String>) -> Result<(), String> {
    let mut entries: Vec<std::path::PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("cannot read {}: {e}", dir.display()))?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .collect();
    entries.sort();
    for path in entries {
        let relative = path
            .strip_prefix(root)
            .map(|p| format!("./{}", p.display()))
            .unwrap_or_default();
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        if meta.is_dir() {
            if super::paths::kustomization_file(&path).is_some() {
                out.push(relative);
            } else {
                scan(root, &path, out)?;
            }
            continue;
        }
        let is_yaml = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| e == "yaml" || e == "yml");
        if !is_yaml || !meta.is_file() {
            continue;
        }
        let text =
            std::fs::read_to_string(&path).map_err(|e| format!("cannot read {relative}: {e}"))?;
        super::render::parse_manifests(&text).map_err(|(document, message)| {
            format!(
                "failed to decode Kubernetes YAML from {relative} (document {document}): {message}"
            )
        })?;
        out.push(relative);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yaml(text: &str) -> Yaml {
        serde_yaml::from_str(text).unwrap_or(Yaml::Null)
    }

    #[test]
    fn images_parse_like_kustomize_edit_set_image() {
        assert_eq!(
            parse_image("nginx=registry:5000/web:1.2").ok(),
            Some(yaml(
                "{name: nginx, newName: 'registry:5000/web', newTag: '1.2'}"
            ))
        );
        assert_eq!(
            parse_image("nginx:1.27").ok(),
            Some(yaml("{name: nginx, newTag: '1.27'}"))
        );
        assert_eq!(
            parse_image("ghcr.io/x/y@sha256:abc").ok(),
            Some(yaml("{name: ghcr.io/x/y, digest: 'sha256:abc'}"))
        );
        assert!(parse_image("").is_err());
    }

    #[test]
    fn argo_edits_follow_kustomize_edit() {
        let mut doc = yaml(
            "resources: [a.yaml]\nimages: [{name: web, newTag: '1'}]\ncommonLabels: {team: a}\n",
        );
        let options = KustomizeOptions {
            style: EditStyle::Argo,
            name_prefix: Some("p-".into()),
            namespace: Some("ns".into()),
            images: vec![
                yaml("{name: web, newTag: '2'}"),
                yaml("{name: db, newTag: '3'}"),
            ],
            common_labels: [("env".to_string(), "prod".to_string())].into(),
            components: vec!["../c".into()],
            ..KustomizeOptions::default()
        };
        apply(&mut doc, &options).expect("applies");
        assert_eq!(doc["namePrefix"], yaml("p-"));
        assert_eq!(doc["namespace"], yaml("ns"));
        assert_eq!(
            doc["images"],
            yaml("[{name: web, newTag: '2'}, {name: db, newTag: '3'}]")
        );
        assert_eq!(doc["commonLabels"], yaml("{team: a, env: prod}"));
        assert_eq!(doc["components"], yaml("['../c']"));
        let clash = KustomizeOptions {
            common_labels: [("team".to_string(), "b".to_string())].into(),
            ..KustomizeOptions::default()
        };
        let error = apply(&mut doc, &clash).expect_err("kustomize refuses");
        assert!(
            error.contains("label team already in kustomization file"),
            "{error}"
        );
    }

    #[test]
    fn flux_overrides_and_appends() {
        let mut doc = yaml("namespace: old\nnamePrefix: a-\ncomponents: [componentA]\n");
        let options = KustomizeOptions {
            style: EditStyle::Flux,
            namespace: Some("kube-system".into()),
            name_prefix: Some("b-".into()),
            components: vec!["componentB".into(), "componentC".into()],
            ..KustomizeOptions::default()
        };
        apply(&mut doc, &options).expect("applies");
        assert_eq!(doc["namespace"], yaml("kube-system"));
        assert_eq!(doc["namePrefix"], yaml("b-"));
        assert_eq!(
            doc["components"],
            yaml("[componentA, componentB, componentC]")
        );
    }

    #[test]
    fn generated_kustomizations_list_yaml_and_stop_at_kustomizations() {
        let dir = tempfile::tempdir().expect("dir");
        let root = dir.path();
        std::fs::create_dir_all(root.join("sub/deeper")).expect("dirs");
        std::fs::create_dir_all(root.join("app")).expect("dirs");
        let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n";
        std::fs::write(root.join("b.yaml"), cm).expect("write");
        std::fs::write(root.join("a.yml"), cm).expect("write");
        std::fs::write(root.join("notes.txt"), "hello").expect("write");
        std::fs::write(root.join("sub/deeper/c.yaml"), cm).expect("write");
        std::fs::write(root.join("app/kustomization.yaml"), "resources: []\n").expect("write");
        std::fs::write(root.join("app/ignored.yaml"), cm).expect("write");
        let doc = generate(root).expect("generated");
        assert_eq!(
            doc["resources"],
            yaml("['./a.yml', './app', './b.yaml', './sub/deeper/c.yaml']")
        );
        std::fs::write(root.join("broken.yaml"), "key: [unclosed").expect("write");
        let error = generate(root).expect_err("a broken file fails the build");
        assert!(error.contains("./broken.yaml"), "{error}");
        let empty = tempfile::tempdir().expect("dir");
        assert_eq!(
            generate(empty.path()).expect("empty")["namespace"],
            yaml("_placeholder")
        );
    }
}

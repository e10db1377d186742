//! Argo CD's directory source, read the way its repo-server reads it
//! (argo-cd `reposerver/repository/repository.go`, `findManifests`): the
//! app directory's `.yaml`, `.yml` and `.json` files (subdirectories only
//! with `recurse`), `exclude` checked before `include`, both globs on the
//! path relative to the app directory with `*` crossing `/` and `{a,b}`
//! alternatives (gobwas/glob without separators). A YAML file that does not
//! parse is an error only when it looks like a manifest (it has
//! `apiVersion:`, `kind:` and `metadata:`); other YAML is skipped. A JSON
//! file holds exactly one object. Jsonnet is not supported here.

use std::path::{Path, PathBuf};

use globset::{Glob, GlobMatcher};

use super::app::DirectorySource;
use super::object::RenderedObject;
use super::render::parse_manifests;

fn matcher(pattern: &str, field: &str) -> Result<GlobMatcher, String> {
    Glob::new(pattern)
        .map(|glob| glob.compile_matcher())
        .map_err(|e| format!("directory.{field} {pattern:?} is not a valid glob: {e}"))
}

/// The objects of a directory source, in file order.
pub fn read(repo_root: &Path, source: &DirectorySource) -> Result<Vec<RenderedObject>, String> {
    let base = repo_root.join(&source.path);
    let include = source
        .include
        .as_deref()
        .map(|p| matcher(p, "include"))
        .transpose()?;
    let exclude = source
        .exclude
        .as_deref()
        .map(|p| matcher(p, "exclude"))
        .transpose()?;
    let mut files = Vec::new();
    collect(&base, &base, source.recurse, &mut files)?;
    files.sort();
    let root = repo_root
        .canonicalize()
        .map_err(|e| format!("cannot resolve the repository root: {e}"))?;
    let mut objects = Vec::new();
    for relative in files {
        let text_path = relative.to_string_lossy().replace('\\', "/");
        if exclude.as_ref().is_some_and(|m| m.is_match(&text_path)) {
            continue;
        }
        if include.as_ref().is_some_and(|m| !m.is_match(&text_path)) {
            continue;
        }
        let path = base.join(&relative);
        // Followed symlinks must stay inside the repository.
        match path.canonicalize() {
            Ok(real) if real.starts_with(&root) => {}
            Ok(_) => return Err(format!("{text_path} leads outside the repository")),
            Err(_) => continue,
        }
        let text =
            std::fs::read_to_string(&path).map_err(|e| format!("cannot read {text_path}: {e}"))?;
        let is_json = text_path.ends_with(".json");
        if is_json {
            let value: serde_json::Value =
                serde_json::from_str(&text).map_err(|e| format!("{text_path}: not JSON: {e}"))?;
            if value.is_array() {
                return Err(format!(
                    "Found multiple objects in {text_path:?}. Only single objects are allowed in JSON files."
                ));
            }
            objects.push(
                RenderedObject::from_manifest(value).map_err(|e| format!("{text_path}: {e}"))?,
            );
            continue;
        }
        match parse_manifests(&text) {
            Ok(found) => objects.extend(found),
            Err((document, message)) => {
                let looks_like_manifest = ["apiVersion:", "kind:", "metadata:"]
                    .iter()
                    .all(|key| text.contains(key));
                if looks_like_manifest {
                    return Err(format!("{text_path} document {document}: {message}"));
                }
            }
        }
    }
    Ok(objects)
}

fn collect(base: &Path, dir: &Path, recurse: bool, out: &mut Vec<PathBuf>) -> Result<(), String> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        let Ok(meta) = std::fs::metadata(&path) else {
            continue;
        };
        if meta.is_dir() {
            if recurse && entry.file_name() != ".git" {
                collect(base, &path, recurse, out)?;
            }
            continue;
        }
        let name = entry.file_name().to_string_lossy().into_owned();
        let wanted = [".yaml", ".yml", ".json"]
            .iter()
            .any(|ext| name.ends_with(ext));
        if name.ends_with(".jsonnet") {
            return Err(format!(
                "{}: Jsonnet is not supported; render it to YAML in the repo",
                path.strip_prefix(base).unwrap_or(&path).display()
            ));
        }
        if wanted && let Ok(relative) = path.strip_prefix(base) {
            out.push(relative.to_path_buf());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cm(name: &str) -> String {
        format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n")
    }

    fn names(objects: &[RenderedObject]) -> Vec<&str> {
        objects.iter().map(|o| o.name.as_str()).collect()
    }

    #[test]
    fn top_level_unless_recurse_with_argo_globs() {
        let repo = tempfile::tempdir().expect("repo");
        let app = repo.path().join("app");
        std::fs::create_dir_all(app.join("env-use2")).expect("dirs");
        std::fs::write(app.join("a.yaml"), cm("a")).expect("write");
        std::fs::write(app.join("b.yml"), cm("b")).expect("write");
        std::fs::write(app.join("notes.yaml"), "just: [some, config]\n").expect("write");
        std::fs::write(app.join("README.md"), "# hi").expect("write");
        std::fs::write(
            app.join("c.json"),
            r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"}}"#,
        )
        .expect("write");
        std::fs::write(app.join("env-use2/d.yaml"), cm("d")).expect("write");
        let source =
            |recurse: bool, include: Option<&str>, exclude: Option<&str>| DirectorySource {
                path: "app".into(),
                recurse,
                include: include.map(str::to_string),
                exclude: exclude.map(str::to_string),
            };
        let top = read(repo.path(), &source(false, None, None)).expect("reads");
        assert_eq!(names(&top), ["a", "b", "c"]);
        let all = read(repo.path(), &source(true, None, None)).expect("reads");
        assert_eq!(names(&all), ["a", "b", "c", "d"]);
        // `*` crosses `/`; exclude wins over include.
        let yaml_only = read(repo.path(), &source(true, Some("*.yaml"), None)).expect("reads");
        assert_eq!(names(&yaml_only), ["a", "d"]);
        let braces = read(
            repo.path(),
            &source(true, Some("{a.yaml,env-use2/*}"), Some("*d.yaml")),
        )
        .expect("reads");
        assert_eq!(names(&braces), ["a"]);
        std::fs::write(
            app.join("broken.yaml"),
            "apiVersion: v1\nkind: ConfigMap\nmetadata: [unclosed\n",
        )
        .expect("write");
        let error = read(repo.path(), &source(false, None, None)).expect_err("broken manifest");
        assert!(error.contains("broken.yaml"), "{error}");
    }
}

//! Which app an object belongs to, exactly (DESIGN §6; docs/ARCHITECTURE.md
//! "App identity").
//!
//! Labels are limited to 63 characters, so an app's name cannot always be
//! one: the `bosun.dev/app` label carries the name when it fits and a short
//! stable hash otherwise, and is only a search key. The truth is the
//! `bosun.dev/tracking-id` annotation, in Argo CD's annotation-tracking format
//! (`APP:group/Kind:namespace/name`, argo-cd `util/argo/resource_tracking.go`):
//! an object is this app's only when its annotation names this app *and*
//! the object's own coordinates, so a copied or colliding label — or an
//! annotation copied onto another object — never makes anything prunable.

use serde_json::Value;

use super::object::ObjectKey;

/// The annotation holding an object's full owner identity.
pub const TRACKING_ID: &str = "bosun.dev/tracking-id";
/// Tracking labels stamped on everything bosun applies (search keys only).
pub const MANAGED_BY_LABEL: &str = "app.kubernetes.io/managed-by";
pub const MANAGED_BY_VALUE: &str = "bosun";
pub const APP_LABEL: &str = "bosun.dev/app";

/// How long a label value may be.
const LABEL_MAX: usize = 63;
/// Hex digits of the hash that keeps a shortened label distinct.
const HASH_DIGITS: usize = 10;

/// An app name is exact and never truncated; it only has to be printable on
/// one line and free of `:`, which separates the tracking id's parts.
pub fn check_app_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("an app name cannot be empty".into());
    }
    if name.len() > 253 {
        return Err(format!(
            "{name:?} is longer than 253 characters; name the app in bosun.yaml"
        ));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| *c == ':' || c.is_whitespace() || c.is_control())
    {
        return Err(format!(
            "{name:?} contains {bad:?}; app names may not hold ':', spaces or control characters"
        ));
    }
    Ok(())
}

/// The `bosun.dev/app` label value: the name when it is a valid label value,
/// else a readable prefix and a stable hash of the whole name.
pub fn app_label(app: &str) -> String {
    if is_label_value(app) {
        return app.to_string();
    }
    let cleaned: String = app
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '-'
            }
        })
        .collect();
    let room = LABEL_MAX - HASH_DIGITS - 1;
    let prefix: String = cleaned.chars().take(room).collect();
    let prefix = prefix.trim_matches(|c: char| !c.is_ascii_alphanumeric());
    let hash = short_hash(app);
    if prefix.is_empty() {
        hash
    } else {
        format!("{prefix}-{hash}")
    }
}

/// A name usable as a Kubernetes object name (DNS-1123 subdomain) for
/// per-app objects such as the inventory ConfigMap: lossless names keep
/// their spelling, anything else gets the stable hash so two apps never
/// share one.
pub fn object_name(prefix: &str, app: &str) -> String {
    let lowered = app.to_ascii_lowercase();
    let cleaned: String = lowered
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let cleaned = cleaned.trim_matches(|c: char| !c.is_ascii_alphanumeric());
    let lossless = cleaned == app;
    let budget = 253 - prefix.len() - HASH_DIGITS - 1;
    if lossless && prefix.len() + cleaned.len() <= 253 {
        return format!("{prefix}{cleaned}");
    }
    let short: String = cleaned.chars().take(budget).collect();
    let short = short.trim_matches(|c: char| !c.is_ascii_alphanumeric());
    if short.is_empty() {
        format!("{prefix}{}", short_hash(app))
    } else {
        format!("{prefix}{short}-{}", short_hash(app))
    }
}

fn is_label_value(value: &str) -> bool {
    let ok_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    value.len() <= LABEL_MAX
        && value.starts_with(|c: char| c.is_ascii_alphanumeric())
        && value.ends_with(|c: char| c.is_ascii_alphanumeric())
        && value.chars().all(ok_char)
}

/// FNV-1a (64 bit): stable across builds and platforms, unlike std's hasher.
fn short_hash(text: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in text.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016x}")[..HASH_DIGITS].to_string()
}

/// `APP:group/Kind:namespace/name`; cluster-scoped objects have an empty
/// namespace part.
pub fn tracking_id(app: &str, key: &ObjectKey) -> String {
    format!(
        "{app}:{}/{}:{}/{}",
        key.group,
        key.kind,
        key.namespace.as_deref().unwrap_or(""),
        key.name
    )
}

/// Which app a live object belongs to, by its tracking annotation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owner {
    /// The annotation names this app and this very object.
    This,
    /// Tracked by another app (its name).
    Other(String),
    /// The annotation names this app but another object: copied, not ours.
    Copied,
    /// No tracking annotation (not applied by bosun, or by a bosun older
    /// than the annotation).
    Untracked,
}

/// The coordinates of a live object as JSON.
pub fn key_of(object: &Value) -> Option<ObjectKey> {
    let text = |pointer: &str| object.pointer(pointer).and_then(Value::as_str);
    let api_version = text("/apiVersion")?;
    let group = api_version
        .rsplit_once('/')
        .map(|(group, _)| group)
        .unwrap_or("");
    Some(ObjectKey {
        group: group.to_string(),
        kind: text("/kind")?.to_string(),
        namespace: text("/metadata/namespace")
            .filter(|ns| !ns.is_empty())
            .map(str::to_string),
        name: text("/metadata/name")?.to_string(),
    })
}

/// The app named in a live object's tracking annotation.
pub fn tracked_app(object: &Value) -> Option<String> {
    let id = object
        .pointer("/metadata/annotations")
        .and_then(|a| a.get(TRACKING_ID))
        .and_then(Value::as_str)?;
    // The app name holds no ':' (check_app_name); names may (RBAC's
    // `system:...`), so the app is everything before the first ':'.
    id.split_once(':').map(|(app, _)| app.to_string())
}

/// Whose a live object is, for `app`.
pub fn owner(object: &Value, app: &str) -> Owner {
    let Some(id) = object
        .pointer("/metadata/annotations")
        .and_then(|a| a.get(TRACKING_ID))
        .and_then(Value::as_str)
    else {
        return Owner::Untracked;
    };
    let Some((named, _)) = id.split_once(':') else {
        return Owner::Untracked;
    };
    if named != app {
        return Owner::Other(named.to_string());
    }
    match key_of(object) {
        Some(key) if tracking_id(app, &key) == id => Owner::This,
        _ => Owner::Copied,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn key(ns: Option<&str>, name: &str) -> ObjectKey {
        ObjectKey {
            group: "apps".into(),
            kind: "Deployment".into(),
            namespace: ns.map(str::to_string),
            name: name.into(),
        }
    }

    #[test]
    fn labels_fit_and_stay_distinct() {
        assert_eq!(app_label("blog"), "blog");
        let a = "clusters-production-apps-something-very-long-that-goes-on-and-on-a";
        let b = "clusters-production-apps-something-very-long-that-goes-on-and-on-b";
        assert!(a.len() > 63);
        let (la, lb) = (app_label(a), app_label(b));
        assert_ne!(la, lb);
        assert!(la.len() <= 63 && is_label_value(&la), "{la}");
        assert_eq!(app_label(a), la, "stable");
        let slashed = app_label("apps/blog/overlays/prod");
        assert!(is_label_value(&slashed), "{slashed}");
        assert!(slashed.starts_with("apps-blog-overlays-prod-"), "{slashed}");
    }

    #[test]
    fn object_names_are_lossless_or_hashed() {
        assert_eq!(
            object_name("bosun-inventory-", "blog"),
            "bosun-inventory-blog"
        );
        let upper = object_name("bosun-inventory-", "Blog_Prod");
        let lower = object_name("bosun-inventory-", "blog-prod");
        assert_ne!(upper, lower);
        assert!(upper.starts_with("bosun-inventory-blog-prod-"), "{upper}");
        let long = "x".repeat(300);
        assert!(object_name("bosun-inventory-", &long).len() <= 253);
    }

    #[test]
    fn ownership_needs_the_annotation_and_the_same_object() {
        let id = tracking_id("blog", &key(Some("blog"), "web"));
        assert_eq!(id, "blog:apps/Deployment:blog/web");
        let obj = |ns: &str, name: &str, id: &str| {
            json!({"apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": {"name": name, "namespace": ns, "annotations": {TRACKING_ID: id}}})
        };
        assert_eq!(owner(&obj("blog", "web", &id), "blog"), Owner::This);
        assert_eq!(owner(&obj("blog", "copy", &id), "blog"), Owner::Copied);
        assert_eq!(
            owner(&obj("blog", "web", &id), "shop"),
            Owner::Other("blog".into())
        );
        let bare = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}});
        assert_eq!(owner(&bare, "blog"), Owner::Untracked);
        let rbac = ObjectKey {
            group: "rbac.authorization.k8s.io".into(),
            kind: "ClusterRole".into(),
            namespace: None,
            name: "system:reader".into(),
        };
        let role = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
            "metadata": {"name": "system:reader",
                "annotations": {TRACKING_ID: tracking_id("ops", &rbac)}}});
        assert_eq!(owner(&role, "ops"), Owner::This);
        assert_eq!(tracked_app(&role).as_deref(), Some("ops"));
    }

    #[test]
    fn app_names_refuse_colons_and_spaces() {
        assert!(check_app_name("apps/blog/overlays/prod").is_ok());
        assert!(check_app_name("a:b").is_err());
        assert!(check_app_name("a b").is_err());
        assert!(check_app_name("").is_err());
    }
}

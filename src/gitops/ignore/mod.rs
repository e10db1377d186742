//! Ignored differences, as Argo CD's ignore normalizer has them
//! (util/argo/normalizers/diff_normalizer.go): per app, rules of
//! `group`/`kind` (globs), `name`, `namespace` and the fields to leave out
//! — `jsonPointers` (a JSON-patch `remove`), `jqPathExpressions` (run as
//! `del(<expr>)`), `managedFieldsManagers` (the fields those managers own
//! in the live object). Both sides of a diff are normalized the same way,
//! then empty objects and arrays are dropped (`removeEmptyObjects`); a rule
//! that fails on an object is skipped, as Argo CD skips it.
//!
//! `RespectIgnoreDifferences=true` also keeps those fields at sync: the
//! manifest sent takes the live values there (Argo CD's
//! `normalizeTargetResources`). Built in, always respected: `spec.replicas`
//! of a workload an HPA scales, and the `caBundle` cert-manager's cainjector
//! writes into objects annotated `cert-manager.io/inject-ca-from*`.
//! docs/ARCHITECTURE.md "Ignored differences".

pub mod jq;
pub mod managed;

use globset::{Glob, GlobMatcher};
use serde::Deserialize;
use serde_json::Value;

use super::object::ObjectKey;
use jq::JqDelete;

/// One `ignoreDifferences` entry (Argo CD's `ResourceIgnoreDifferences`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct IgnoreRule {
    #[serde(default)]
    pub group: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub namespace: String,
    #[serde(default)]
    pub json_pointers: Vec<String>,
    #[serde(default)]
    pub jq_path_expressions: Vec<String>,
    #[serde(default)]
    pub managed_fields_managers: Vec<String>,
}

impl IgnoreRule {
    /// What is wrong with the rule, naming the field (checked when the
    /// spec is read, so a bad rule is the app's error, not a silent no-op).
    pub fn check(&self) -> Result<(), String> {
        if self.kind.is_empty() {
            return Err("kind: required".into());
        }
        for (field, pattern) in [("group", &self.group), ("kind", &self.kind)] {
            Glob::new(pattern).map_err(|e| format!("{field}: not a glob: {e}"))?;
        }
        for (i, pointer) in self.json_pointers.iter().enumerate() {
            if !pointer.is_empty() && !pointer.starts_with('/') {
                return Err(format!(
                    "jsonPointers[{i}]: {pointer:?} is not a JSON pointer (it starts with /)"
                ));
            }
        }
        for (i, expression) in self.jq_path_expressions.iter().enumerate() {
            JqDelete::compile(expression).map_err(|e| format!("jqPathExpressions[{i}]: {e}"))?;
        }
        Ok(())
    }
}

/// A rule made ready for one diff.
#[derive(Debug)]
struct Compiled {
    rule: IgnoreRule,
    group: GlobMatcher,
    kind: GlobMatcher,
    jq: Vec<JqDelete>,
    /// Kept at sync whatever the app says (the built-ins).
    always_respected: bool,
}

/// The rules of one app for one diff, built-ins included.
#[derive(Debug, Default)]
pub struct Ignorer {
    rules: Vec<Compiled>,
    /// `RespectIgnoreDifferences=true`.
    pub respect: bool,
}

impl Ignorer {
    /// Compiles the app's rules (checked already when the spec was read;
    /// one that still fails is left out) and adds the built-ins.
    pub fn new(rules: &[IgnoreRule], respect: bool, hpa_targets: &[ObjectKey]) -> Ignorer {
        let mut ignorer = Ignorer {
            rules: Vec::new(),
            respect,
        };
        for rule in rules {
            ignorer.add(rule.clone(), false);
        }
        for target in hpa_targets {
            ignorer.add(
                IgnoreRule {
                    group: target.group.clone(),
                    kind: target.kind.clone(),
                    name: target.name.clone(),
                    namespace: target.namespace.clone().unwrap_or_default(),
                    json_pointers: vec!["/spec/replicas".into()],
                    ..IgnoreRule::default()
                },
                true,
            );
        }
        ignorer
    }

    fn add(&mut self, rule: IgnoreRule, always_respected: bool) {
        let glob = |pattern: &str| Glob::new(pattern).ok().map(|g| g.compile_matcher());
        let (Some(group), Some(kind)) = (glob(&rule.group), glob(&rule.kind)) else {
            return;
        };
        let jq = rule
            .jq_path_expressions
            .iter()
            .filter_map(|e| JqDelete::compile(e).ok())
            .collect();
        self.rules.push(Compiled {
            rule,
            group,
            kind,
            jq,
            always_respected,
        });
    }

    fn matching<'a>(&'a self, key: &ObjectKey, object: &Value) -> Vec<&'a Compiled> {
        let mut matched: Vec<&Compiled> = self
            .rules
            .iter()
            .filter(|c| {
                c.group.is_match(&key.group)
                    && c.kind.is_match(&key.kind)
                    && (c.rule.name.is_empty() || c.rule.name == key.name)
                    && (c.rule.namespace.is_empty()
                        || Some(c.rule.namespace.as_str()) == key.namespace.as_deref())
            })
            .collect();
        if let Some(builtin) = BUILTIN_CA_BUNDLE.iter().find(|b| b.applies(key, object)) {
            matched.extend(builtin.compiled());
        }
        matched
    }

    /// Argo CD's `Normalize` of one side. `live` gives the managed fields
    /// (the same for both sides of one object).
    pub fn normalize(&self, key: &ObjectKey, object: &mut Value, live: Option<&Value>) {
        let matched = self.matching(key, live.unwrap_or(object));
        if matched.is_empty() {
            return;
        }
        apply(&matched, object, live);
        remove_empty_objects(object);
    }

    /// With RespectIgnoreDifferences (or a built-in rule): the manifest to
    /// send, its ignored fields taken from the live object — Argo CD's
    /// `normalizeTargetResources`: the target normalized, then the merge
    /// patch that turns the normalized live object back into the live one.
    pub fn respect_live(&self, key: &ObjectKey, desired: &mut Value, live: &Value) {
        let matched: Vec<&Compiled> = self
            .matching(key, live)
            .into_iter()
            .filter(|c| self.respect || c.always_respected)
            .collect();
        if matched.is_empty() {
            return;
        }
        let mut normalized_live = live.clone();
        apply(&matched, &mut normalized_live, Some(live));
        apply(&matched, desired, Some(live));
        restore(desired, &normalized_live, live);
    }
}

fn apply(matched: &[&Compiled], object: &mut Value, live: Option<&Value>) {
    for compiled in matched {
        for pointer in &compiled.rule.json_pointers {
            remove_pointer(object, pointer);
        }
        for jq in &compiled.jq {
            // A failing patch is skipped (Argo CD logs and continues).
            if let Ok(patched) = jq.apply(object) {
                *object = patched;
            }
        }
        if !compiled.rule.managed_fields_managers.is_empty()
            && let Some(live) = live
        {
            for path in managed::owned_paths(live, &compiled.rule.managed_fields_managers) {
                managed::remove(object, &path);
            }
        }
    }
}

/// A JSON-patch `remove` at an RFC 6901 pointer; nothing if it is absent.
fn remove_pointer(object: &mut Value, pointer: &str) {
    let Some((parent, last)) = pointer.rsplit_once('/') else {
        return;
    };
    let unescape = |s: &str| s.replace("~1", "/").replace("~0", "~");
    let Some(node) = object.pointer_mut(parent) else {
        return;
    };
    let last = unescape(last);
    match node {
        Value::Object(map) => {
            map.remove(&last);
        }
        Value::Array(items) => {
            if let Ok(index) = last.parse::<usize>()
                && index < items.len()
            {
                items.remove(index);
            }
        }
        _ => {}
    }
}

/// Argo CD's `removeEmptyObjects`: empty maps, and arrays left empty, go.
fn remove_empty_objects(value: &mut Value) {
    let Value::Object(map) = value else {
        return;
    };
    let mut empty = Vec::new();
    for (key, child) in map.iter_mut() {
        match child {
            Value::Object(_) => {
                remove_empty_objects(child);
                if child.as_object().is_some_and(|m| m.is_empty()) {
                    empty.push(key.clone());
                }
            }
            Value::Array(items) => {
                for item in items.iter_mut() {
                    remove_empty_objects(item);
                }
                items.retain(|item| !item.as_object().is_some_and(|m| m.is_empty()));
                if items.is_empty() {
                    empty.push(key.clone());
                }
            }
            _ => {}
        }
    }
    for key in empty {
        map.remove(&key);
    }
}

/// Applies to `target` the JSON merge patch from `normalized` to
/// `original`: what normalizing removed comes back, from the live object.
fn restore(target: &mut Value, normalized: &Value, original: &Value) {
    let (Value::Object(original), Value::Object(normalized)) = (original, normalized) else {
        return;
    };
    let Value::Object(target_map) = target else {
        return;
    };
    for (key, value) in original {
        match normalized.get(key) {
            None => {
                target_map.insert(key.clone(), value.clone());
            }
            Some(before) if before == value => {}
            Some(before) if before.is_object() && value.is_object() => {
                let slot = target_map
                    .entry(key.clone())
                    .or_insert_with(|| Value::Object(Default::default()));
                restore(slot, before, value);
            }
            Some(_) => {
                target_map.insert(key.clone(), value.clone());
            }
        }
    }
}

/// cert-manager's cainjector writes `caBundle` into objects annotated
/// `cert-manager.io/inject-ca-from`, `…-from-secret` or
/// `inject-apiserver-ca`; a manifest never has it.
struct CaBundle {
    group: &'static str,
    kind: &'static str,
    expression: &'static str,
}

const BUILTIN_CA_BUNDLE: &[CaBundle] = &[
    CaBundle {
        group: "admissionregistration.k8s.io",
        kind: "ValidatingWebhookConfiguration",
        expression: ".webhooks[]?.clientConfig.caBundle",
    },
    CaBundle {
        group: "admissionregistration.k8s.io",
        kind: "MutatingWebhookConfiguration",
        expression: ".webhooks[]?.clientConfig.caBundle",
    },
    CaBundle {
        group: "apiextensions.k8s.io",
        kind: "CustomResourceDefinition",
        expression: ".spec.conversion.webhook.clientConfig.caBundle",
    },
    CaBundle {
        group: "apiregistration.k8s.io",
        kind: "APIService",
        expression: ".spec.caBundle",
    },
];

impl CaBundle {
    fn applies(&self, key: &ObjectKey, object: &Value) -> bool {
        key.group == self.group
            && key.kind == self.kind
            && object
                .pointer("/metadata/annotations")
                .and_then(Value::as_object)
                .is_some_and(|a| {
                    a.keys().any(|k| {
                        k == "cert-manager.io/inject-ca-from"
                            || k == "cert-manager.io/inject-ca-from-secret"
                            || k == "cert-manager.io/inject-apiserver-ca"
                    })
                })
    }

    fn compiled(&self) -> Option<&'static Compiled> {
        use std::sync::OnceLock;
        static COMPILED: OnceLock<Vec<Compiled>> = OnceLock::new();
        let all = COMPILED.get_or_init(|| {
            BUILTIN_CA_BUNDLE
                .iter()
                .filter_map(|b| {
                    Some(Compiled {
                        rule: IgnoreRule {
                            group: b.group.into(),
                            kind: b.kind.into(),
                            ..IgnoreRule::default()
                        },
                        group: Glob::new(b.group).ok()?.compile_matcher(),
                        kind: Glob::new(b.kind).ok()?.compile_matcher(),
                        jq: vec![JqDelete::compile(b.expression).ok()?],
                        always_respected: true,
                    })
                })
                .collect()
        });
        all.iter().find(|c| c.rule.kind == self.kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn key(group: &str, kind: &str, ns: &str, name: &str) -> ObjectKey {
        ObjectKey {
            group: group.into(),
            kind: kind.into(),
            namespace: Some(ns.into()).filter(|n: &String| !n.is_empty()),
            name: name.into(),
        }
    }

    #[test]
    fn rules_match_by_glob_name_and_namespace() {
        let rule = IgnoreRule {
            group: "apps".into(),
            kind: "*".into(),
            namespace: "blog".into(),
            json_pointers: vec!["/spec/replicas".into()],
            ..IgnoreRule::default()
        };
        let ignorer = Ignorer::new(&[rule], false, &[]);
        let mut deploy = json!({"spec": {"replicas": 3, "paused": false}});
        ignorer.normalize(&key("apps", "Deployment", "blog", "web"), &mut deploy, None);
        assert_eq!(deploy, json!({"spec": {"paused": false}}));
        let mut other = json!({"spec": {"replicas": 3}});
        ignorer.normalize(&key("apps", "Deployment", "wiki", "web"), &mut other, None);
        assert_eq!(other, json!({"spec": {"replicas": 3}}));
    }

    #[test]
    fn empty_objects_left_behind_go_as_in_argo_cd() {
        let rule = IgnoreRule {
            kind: "ConfigMap".into(),
            json_pointers: vec!["/data/only".into()],
            ..IgnoreRule::default()
        };
        let ignorer = Ignorer::new(&[rule], false, &[]);
        let mut cm = json!({"data": {"only": "x"}, "metadata": {"name": "c"}});
        ignorer.normalize(&key("", "ConfigMap", "a", "c"), &mut cm, None);
        assert_eq!(cm, json!({"metadata": {"name": "c"}}));
    }

    #[test]
    fn respect_takes_the_live_values_of_ignored_fields() {
        let rule = IgnoreRule {
            kind: "Deployment".into(),
            group: "apps".into(),
            jq_path_expressions: vec![".spec.template.spec.containers[].image".into()],
            ..IgnoreRule::default()
        };
        let live = json!({"spec": {"replicas": 2, "template": {"spec": {"containers": [{"name": "web", "image": "web:live"}]}}}});
        let mut desired = json!({"spec": {"replicas": 3, "template": {"spec": {"containers": [{"name": "web", "image": "web:git"}]}}}});
        let without = Ignorer::new(std::slice::from_ref(&rule), false, &[]);
        let mut unchanged = desired.clone();
        without.respect_live(&key("apps", "Deployment", "a", "w"), &mut unchanged, &live);
        assert_eq!(unchanged, desired, "only with RespectIgnoreDifferences");
        let with = Ignorer::new(&[rule], true, &[]);
        with.respect_live(&key("apps", "Deployment", "a", "w"), &mut desired, &live);
        assert_eq!(desired["spec"]["replicas"], 3);
        assert_eq!(
            desired["spec"]["template"]["spec"]["containers"][0]["image"],
            "web:live"
        );
    }

    #[test]
    fn hpa_targets_and_injected_ca_bundles_are_built_in() {
        let web = key("apps", "Deployment", "blog", "web");
        let ignorer = Ignorer::new(&[], false, std::slice::from_ref(&web));
        let live = json!({"spec": {"replicas": 5}});
        let mut desired = json!({"spec": {"replicas": 1}});
        ignorer.respect_live(&web, &mut desired, &live);
        assert_eq!(desired["spec"]["replicas"], 5, "the HPA's count stays");
        let webhook = key(
            "admissionregistration.k8s.io",
            "ValidatingWebhookConfiguration",
            "",
            "w",
        );
        let annotated = json!({"metadata": {"annotations": {"cert-manager.io/inject-ca-from": "x/y"}},
            "webhooks": [{"name": "a", "clientConfig": {"caBundle": "LS0t", "service": {"name": "s"}}}]});
        let mut shown = annotated.clone();
        ignorer.normalize(&webhook, &mut shown, Some(&annotated));
        assert_eq!(
            shown["webhooks"][0]["clientConfig"],
            json!({"service": {"name": "s"}})
        );
        let plain = json!({"webhooks": [{"clientConfig": {"caBundle": "LS0t"}}]});
        let mut kept = plain.clone();
        ignorer.normalize(&webhook, &mut kept, Some(&plain));
        assert_eq!(kept, plain, "not annotated: not cert-manager's");
    }

    #[test]
    fn bad_rules_name_their_field() {
        let bad = IgnoreRule {
            kind: "Deployment".into(),
            jq_path_expressions: vec![".spec[".into()],
            ..IgnoreRule::default()
        };
        assert!(
            bad.check()
                .is_err_and(|e| e.starts_with("jqPathExpressions[0]"))
        );
        let pointer = IgnoreRule {
            kind: "Deployment".into(),
            json_pointers: vec!["spec/replicas".into()],
            ..IgnoreRule::default()
        };
        assert!(
            pointer
                .check()
                .is_err_and(|e| e.starts_with("jsonPointers[0]"))
        );
        assert!(
            IgnoreRule::default()
                .check()
                .is_err_and(|e| e.starts_with("kind"))
        );
    }
}

//! Flux `dependsOn` between apps: the order several apps sync in, and when
//! an app counts as ready for those waiting on it (kustomize-controller
//! `checkDependencies`: the dependency's `Ready` condition, which means
//! "applied" — plus healthy with `wait: true`, or its `healthChecks`
//! healthy). docs/ARCHITECTURE.md "Declared apps".

use std::collections::{BTreeMap, HashMap, HashSet};

use super::app::{AppSpec, Readiness};
use super::compare::SyncStatus;
use super::evaluate::Evaluation;
use super::health::Health;

/// Whether an evaluated app is ready for its dependents; the error says why
/// not, in a few words.
pub fn ready(app: &AppSpec, eval: &Evaluation) -> Result<(), String> {
    if let Some(error) = &eval.error {
        return Err(super::evaluate::one_line(error));
    }
    if eval.sync() != SyncStatus::Synced {
        return Err("not synced".into());
    }
    match &app.readiness {
        Readiness::Applied => Ok(()),
        Readiness::Healthy => match eval.health() {
            Health::Healthy => Ok(()),
            other => Err(format!("{other}")),
        },
        Readiness::Objects(checks) => {
            let Some(diff) = &eval.diff else {
                return Err("not diffed".into());
            };
            for (api_version, kind, namespace, name) in checks {
                let group = api_version.rsplit_once('/').map(|(g, _)| g).unwrap_or("");
                let found = diff.objects.iter().find(|o| {
                    o.key.group == group
                        && &o.key.kind == kind
                        && &o.key.name == name
                        && (namespace.is_none() || o.key.namespace == *namespace)
                });
                match found.and_then(|o| o.health.as_ref()) {
                    Some(h) if h.health == Health::Healthy => {}
                    Some(h) => return Err(format!("{kind} {name} is {}", h.health)),
                    None if found.is_some() => {}
                    None => return Err(format!("health check {kind} {name} is not in the app")),
                }
            }
            Ok(())
        }
    }
}

/// The first dependency of `app` that is not ready: "waiting for infra (not
/// synced)". `lookup` gives a dependency's spec and evaluation; one without
/// an evaluation is waited for too, one unknown is not.
pub fn waiting_for<'a>(
    app: &AppSpec,
    lookup: impl Fn(&str) -> Option<(&'a AppSpec, Option<&'a Evaluation>)>,
) -> Option<String> {
    for dependency in &app.depends_on {
        let Some((spec, eval)) = lookup(dependency) else {
            continue;
        };
        match eval {
            Some(eval) => {
                if let Err(why) = ready(spec, eval) {
                    return Some(format!("waiting for {dependency} ({why})"));
                }
            }
            None => return Some(format!("waiting for {dependency}")),
        }
    }
    None
}

/// A lookup over a list of specs and a map of evaluations.
pub fn lookup_in<'a>(
    apps: &'a [AppSpec],
    evaluations: &'a HashMap<String, &'a Evaluation>,
) -> impl Fn(&str) -> Option<(&'a AppSpec, Option<&'a Evaluation>)> {
    move |name| {
        let spec = apps.iter().find(|a| a.name == name)?;
        Some((spec, evaluations.get(name).copied()))
    }
}

/// The apps in an order where each comes after what it depends on (among
/// `apps`; dependencies outside are not ordered), stable otherwise. Apps
/// on a cycle are returned separately with the cycle named.
pub fn order(apps: &[AppSpec]) -> (Vec<String>, BTreeMap<String, String>) {
    let names: HashSet<&str> = apps.iter().map(|a| a.name.as_str()).collect();
    let mut remaining: Vec<&AppSpec> = apps.iter().collect();
    let mut done: HashSet<String> = HashSet::new();
    let mut ordered = Vec::new();
    loop {
        let before = remaining.len();
        remaining.retain(|app| {
            let ready = app
                .depends_on
                .iter()
                .all(|d| !names.contains(d.as_str()) || done.contains(d));
            if ready {
                done.insert(app.name.clone());
                ordered.push(app.name.clone());
            }
            !ready
        });
        if remaining.is_empty() || remaining.len() == before {
            break;
        }
    }
    let mut cycles = BTreeMap::new();
    for app in &remaining {
        cycles.insert(app.name.clone(), describe_cycle(app, apps));
    }
    (ordered, cycles)
}

/// "dependency cycle: a → b → a" (or what `app` waits on that is stuck).
fn describe_cycle(app: &AppSpec, apps: &[AppSpec]) -> String {
    let mut path = vec![app.name.clone()];
    let mut current = app;
    while let Some(next) = current
        .depends_on
        .iter()
        .find_map(|d| apps.iter().find(|a| &a.name == d))
    {
        if let Some(start) = path.iter().position(|p| p == &next.name) {
            let mut cycle = path[start..].to_vec();
            cycle.push(next.name.clone());
            return format!("dependency cycle: {}", cycle.join(" → "));
        }
        path.push(next.name.clone());
        current = next;
    }
    format!("waits on a dependency cycle: {}", path.join(" → "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gitops::app::AppSource;

    fn app(name: &str, deps: &[&str]) -> AppSpec {
        let mut app = AppSpec::new(
            name,
            AppSource::External {
                reason: String::new(),
            },
        );
        app.depends_on = deps.iter().map(|d| d.to_string()).collect();
        app
    }

    #[test]
    fn dependencies_come_first_and_cycles_are_named() {
        let apps = vec![
            app("apps", &["infra-configs"]),
            app("infra-configs", &["infra-controllers"]),
            app("infra-controllers", &[]),
            app("loner", &["elsewhere"]),
        ];
        let (ordered, cycles) = order(&apps);
        assert_eq!(
            ordered,
            ["infra-controllers", "loner", "infra-configs", "apps"]
        );
        assert!(cycles.is_empty());
        let looped = vec![app("a", &["b"]), app("b", &["a"]), app("c", &["a"])];
        let (ordered, cycles) = order(&looped);
        assert!(ordered.is_empty());
        assert_eq!(cycles["a"], "dependency cycle: a → b → a");
        assert_eq!(cycles["c"], "dependency cycle: a → b → a");
    }
}

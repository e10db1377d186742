//! URL paths to routes, the way the apiserver lays them out.

use super::super::api_error::ApiError;
use super::super::registry::{Registry, ResourceId};

#[derive(Debug, PartialEq)]
pub(crate) enum Route {
    Root,
    Health,
    Version,
    Api,
    ApiGroupList,
    ApiGroup(String),
    ResourceList { group: String, version: String },
    Resource(ResourcePath),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ResourcePath {
    pub id: ResourceId,
    pub ns: Option<String>,
    pub name: Option<String>,
    pub sub: Option<String>,
    /// The deprecated `/api/v1/watch/...` form.
    pub legacy_watch: bool,
}

pub(crate) fn parse(reg: &Registry, path: &str) -> Result<Route, ApiError> {
    let segs: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| {
            urlencoding::decode(s)
                .map(|c| c.into_owned())
                .unwrap_or_else(|_| s.to_string())
        })
        .collect();
    let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
    match segs.as_slice() {
        [] => Ok(Route::Root),
        ["healthz" | "readyz" | "livez", ..] => Ok(Route::Health),
        ["version"] => Ok(Route::Version),
        ["api"] => Ok(Route::Api),
        ["apis"] => Ok(Route::ApiGroupList),
        ["apis", group] => Ok(Route::ApiGroup(group.to_string())),
        ["api", version, rest @ ..] => resource(reg, "", version, rest),
        ["apis", group, version, rest @ ..] => resource(reg, group, version, rest),
        _ => Err(ApiError::path_not_found()),
    }
}

fn resource(reg: &Registry, group: &str, version: &str, rest: &[&str]) -> Result<Route, ApiError> {
    if rest.is_empty() {
        return Ok(Route::ResourceList {
            group: group.into(),
            version: version.into(),
        });
    }
    let (legacy_watch, rest) = match rest {
        ["watch", tail @ ..] => (true, tail),
        _ => (false, rest),
    };
    // `namespaces/{ns}/{plural}...` unless the third segment is a
    // subresource of the namespace itself.
    let (ns, rest) = match rest {
        ["namespaces", ns, plural, tail @ ..] if !matches!(*plural, "status" | "finalize") => {
            let mut v = vec![*plural];
            v.extend_from_slice(tail);
            (Some(ns.to_string()), v)
        }
        _ => (None, rest.to_vec()),
    };
    let (plural, name, sub) = match rest.as_slice() {
        [plural] => (*plural, None, None),
        [plural, name] => (*plural, Some(name.to_string()), None),
        [plural, name, sub] => (*plural, Some(name.to_string()), Some(sub.to_string())),
        _ => return Err(ApiError::path_not_found()),
    };
    let id = reg
        .by_path(group, version, plural)
        .ok_or_else(ApiError::path_not_found)?;
    let def = reg.get(id);
    if ns.is_some() && !def.namespaced {
        return Err(ApiError::path_not_found());
    }
    if ns.is_none() && def.namespaced && name.is_some() {
        return Err(ApiError::path_not_found());
    }
    if let Some(s) = &sub
        && !def.subresources.contains(&s.as_str())
    {
        return Err(ApiError::path_not_found());
    }
    Ok(Route::Resource(ResourcePath {
        id,
        ns,
        name,
        sub,
        legacy_watch,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        let reg = Registry::builtin();
        let pods = reg.by_path("", "v1", "pods");
        let r = |p: &str| parse(&reg, p).ok();
        let Some(Route::Resource(rp)) = r("/api/v1/namespaces/default/pods/web/status") else {
            panic!("expected a resource route");
        };
        assert_eq!(
            (
                Some(rp.id),
                rp.ns.as_deref(),
                rp.name.as_deref(),
                rp.sub.as_deref()
            ),
            (pods, Some("default"), Some("web"), Some("status"))
        );
        let Some(Route::Resource(rp)) = r("/api/v1/namespaces/kube-system") else {
            panic!("namespace get")
        };
        assert_eq!(rp.name.as_deref(), Some("kube-system"));
        let Some(Route::Resource(rp)) = r("/api/v1/namespaces/x/status") else {
            panic!("namespace status")
        };
        assert_eq!(rp.sub.as_deref(), Some("status"));
        assert!(r("/api/v1/pods/x").is_none());
        assert!(r("/api/v1/namespaces/x/nodes").is_none());
        assert!(matches!(
            r("/apis/apps/v1"),
            Some(Route::ResourceList { .. })
        ));
        assert!(r("/apis/nope/v1/things").is_none());
    }
}

//! ControllerRevisions for StatefulSets and DaemonSets, as their
//! controllers keep them (pkg/controller/history, statefulset's
//! `newRevision`, daemonset's `snapshot`): one per pod template, its `data`
//! the patch `{"spec":{"template":{…,"$patch":"replace"}}}` that
//! `kubectl rollout undo` sends back, `revision` numbered upward, the
//! owner's annotations copied (change-cause among them), controlled by the
//! owner. Going back to an older template gives its existing revision the
//! next number, as `history.FindEqualRevisions` + `UpdateControllerRevision`
//! do.

use serde_json::{Map, Value, json};

use super::{Cx, ns_name, owned, uid};

fn revision(cr: &Value) -> i64 {
    cr.get("revision").and_then(Value::as_i64).unwrap_or(0)
}

/// The revision data for a template.
pub(super) fn data(template: &Value) -> Value {
    let mut template = template.clone();
    if let Value::Object(map) = &mut template {
        map.insert("$patch".into(), json!("replace"));
    }
    json!({"spec": {"template": template}})
}

fn new_revision(owner: &Value, name: &str, template: &Value, number: i64, hash: &str) -> Value {
    let (ns, _) = ns_name(owner);
    let mut labels = template
        .pointer("/metadata/labels")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    labels.insert("controller-revision-hash".into(), json!(hash));
    let annotations: Map<String, Value> = owner
        .pointer("/metadata/annotations")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    json!({
        "apiVersion": "apps/v1",
        "kind": "ControllerRevision",
        "metadata": {
            "name": name,
            "namespace": ns,
            "labels": labels,
            "annotations": annotations,
            "ownerReferences": [super::owner_ref(owner)],
        },
        "data": data(template),
        "revision": number,
    })
}

/// Makes sure `template` has a revision named `name` and that it is the
/// newest. `seeded` is the template and revision name the owner was seeded
/// with: it becomes revision 1 when the owner has none yet, so an undo
/// after the first change has somewhere to go.
pub(super) fn ensure(
    cx: &mut Cx,
    owner: &Value,
    name: &str,
    hash: &str,
    template: &Value,
    seeded: Option<(&str, &str, &Value)>,
) {
    let (ns, _) = ns_name(owner);
    let id = cx.ids.controller_revisions;
    let mut existing = owned(cx.store, id, &ns, uid(owner));
    if existing.is_empty()
        && let Some((seed_name, seed_hash, seed_template)) = seeded
        && seed_name != name
        && let Some(created) = cx.create(
            id,
            new_revision(owner, seed_name, seed_template, 1, seed_hash),
        )
    {
        existing.push(created);
    }
    let max = existing.iter().map(revision).max().unwrap_or(0);
    let wanted = data(template);
    match existing.iter().find(|cr| cr.get("data") == Some(&wanted)) {
        Some(cr) if revision(cr) == max => {}
        Some(cr) => {
            let mut cr = cr.clone();
            cr["revision"] = json!(max + 1);
            cx.update(id, cr);
        }
        None => {
            cx.create(id, new_revision(owner, name, template, max + 1, hash));
        }
    }
}

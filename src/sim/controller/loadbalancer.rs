//! What k3s does for load balancers: ServiceLB (klipper-lb) gives every
//! `type: LoadBalancer` Service the nodes' addresses, and traefik (the
//! default ingress controller) publishes the same addresses on every
//! Ingress it serves. Without this an Ingress stays Progressing ("waiting
//! for a load-balancer address") for good, as on a cluster without an
//! ingress controller. Seeded objects keep the status they were given.

use serde_json::{Value, json};

use super::{Controller, Cx, all, uid};
use crate::sim::objects::meta_str;

fn has_address(obj: &Value) -> bool {
    obj.pointer("/status/loadBalancer/ingress")
        .and_then(Value::as_array)
        .is_some_and(|a| !a.is_empty())
}

pub(super) fn reconcile(ctl: &Controller, cx: &mut Cx) {
    let mut nodes: Vec<String> = all(cx.store, cx.ids.nodes)
        .iter()
        .filter_map(|n| meta_str(n, "name").map(str::to_string))
        .collect();
    nodes.sort_unstable();
    let addresses: Vec<Value> = nodes
        .iter()
        .map(|node| json!({"ip": cx.host_ip(node), "ipMode": "VIP"}))
        .collect();
    if addresses.is_empty() {
        return;
    }
    let status = json!({"loadBalancer": {"ingress": addresses}});
    if let Some(ingresses) = cx.ids.ingresses {
        for ingress in all(cx.store, ingresses) {
            if !has_address(&ingress) && !ctl.seeded_addresses.contains(uid(&ingress)) {
                cx.set_status(ingresses, &ingress, status.clone());
            }
        }
    }
    for service in all(cx.store, cx.ids.services) {
        let balanced =
            service.pointer("/spec/type").and_then(Value::as_str) == Some("LoadBalancer");
        if balanced && !has_address(&service) && !ctl.seeded_addresses.contains(uid(&service)) {
            cx.set_status(cx.ids.services, &service, status.clone());
        }
    }
}

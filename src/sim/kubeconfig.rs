//! The kubeconfig that points clients at the simulator.

use serde_json::json;

pub(crate) const CONTEXT: &str = "bosun-demo";
pub(crate) const TOKEN: &str = "bosun-demo-token";

pub(crate) fn render(url: &str) -> String {
    let doc = json!({
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "bosun-sim", "cluster": {"server": url}}],
        "users": [{"name": "bosun", "user": {"token": TOKEN}}],
        "contexts": [{"name": CONTEXT, "context": {"cluster": "bosun-sim", "user": "bosun", "namespace": "default"}}],
        "current-context": CONTEXT,
        "preferences": {},
    });
    serde_yaml::to_string(&doc).unwrap_or_default()
}

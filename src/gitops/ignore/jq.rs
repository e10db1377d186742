//! `jqPathExpressions` as Argo CD runs them: the expression wrapped in
//! `del(…)`, run on the object, exactly one output expected
//! (util/argo/normalizers/diff_normalizer.go), with jaq as the jq.

use jaq_core::load::{Arena, File, Loader};
use jaq_core::{Compiler, Ctx, Vars, data, unwrap_valr};
use jaq_json::Val;
use serde_json::Value;

type Filter = jaq_core::compile::Filter<jaq_core::Native<data::JustLut<Val>>>;

/// A compiled `del(<expression>)`.
pub struct JqDelete {
    filter: Filter,
}

impl std::fmt::Debug for JqDelete {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JqDelete")
    }
}

impl JqDelete {
    /// Compiles the deletion; the error says what jaq could not read.
    pub fn compile(expression: &str) -> Result<JqDelete, String> {
        let code = format!("del({expression})");
        let defs = jaq_core::defs()
            .chain(jaq_std::defs())
            .chain(jaq_json::defs());
        let funs = jaq_core::funs()
            .chain(jaq_std::funs())
            .chain(jaq_json::funs());
        let loader = Loader::new(defs);
        let arena = Arena::default();
        let modules = loader
            .load(
                &arena,
                File {
                    code: code.as_str(),
                    path: (),
                },
            )
            .map_err(|errors| format!("not a jq expression ({} error(s))", errors.len()))?;
        let filter = Compiler::default()
            .with_funs(funs)
            .compile(modules)
            .map_err(|errors| {
                let names: Vec<String> = errors
                    .iter()
                    .flat_map(|(_, errs)| errs.iter().map(|(name, _)| name.to_string()))
                    .collect();
                format!("jq cannot compile it: undefined {}", names.join(", "))
            })?;
        Ok(JqDelete { filter })
    }

    /// Runs the deletion on a value.
    pub fn apply(&self, value: &Value) -> Result<Value, String> {
        let input: Val = serde_json::from_value(value.clone()).map_err(|e| e.to_string())?;
        let ctx = Ctx::<data::JustLut<Val>>::new(&self.filter.lut, Vars::new([]));
        let mut outputs = self.filter.id.run((ctx, input)).map(unwrap_valr);
        let first = match outputs.next() {
            Some(Ok(first)) => first,
            Some(Err(e)) => return Err(format!("jq: {e}")),
            None => return Err("the jq expression returned nothing".into()),
        };
        if outputs.next().is_some() {
            return Err("the jq expression returned several values".into());
        }
        serde_json::from_str(&first.to_string()).map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn deletes_what_argo_cds_recipes_select() {
        let pod = json!({"spec": {"initContainers": [
            {"name": "istio-init", "image": "x"},
            {"name": "app-init", "image": "y"}
        ], "replicas": 3}});
        let jq =
            JqDelete::compile(r#".spec.initContainers[] | select(.name == "istio-init")"#).unwrap();
        assert_eq!(
            jq.apply(&pod).unwrap(),
            json!({"spec": {"initContainers": [{"name": "app-init", "image": "y"}], "replicas": 3}})
        );
        // jaq errors on a path through a missing field where gojq does
        // not; either way the caller keeps the object unchanged (Argo CD
        // skips a patch that fails).
        let missing = JqDelete::compile(".spec.nothing.here").unwrap();
        assert_eq!(missing.apply(&pod).unwrap_or_else(|_| pod.clone()), pod);
    }

    #[test]
    fn a_bad_expression_is_an_error() {
        assert!(JqDelete::compile(".spec[").is_err());
        assert!(JqDelete::compile("nosuchfunction(1)").is_err());
    }
}

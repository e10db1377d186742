//! Loading the seed directory: every `*.yaml`, multi-document, `List`
//! items expanded, timestamps moved so that the seed's "now"
//! (2026-01-01T00:00:00Z) becomes the real now.

use std::path::Path;

use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;
use serde_json::Value;

use super::{SimError, certgen};

/// The moment seed files are written relative to.
pub(crate) const ANCHOR: &str = "2026-01-01T00:00:00Z";

pub(crate) fn load_dir(dir: &Path) -> Result<Vec<Value>, SimError> {
    let read_err = |source| SimError::SeedRead {
        path: dir.to_path_buf(),
        source,
    };
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map_err(read_err)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
        .collect();
    files.sort();
    let shift = shift_amount();
    let mut out = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).map_err(|source| SimError::SeedRead {
            path: file.clone(),
            source,
        })?;
        for doc in parse_docs(&text).map_err(|message| SimError::SeedParse {
            path: file.clone(),
            message,
        })? {
            let mut doc = doc;
            shift_timestamps(&mut doc, shift);
            generate_certificate(&mut doc).map_err(|message| SimError::SeedParse {
                path: file.clone(),
                message,
            })?;
            out.push(doc);
        }
    }
    Ok(out)
}

/// A Secret annotated with [`certgen::GENERATE_ANNOTATION`] gets real
/// `tls.crt` / `tls.key` / `ca.crt` data, dated relative to now.
fn generate_certificate(doc: &mut Value) -> Result<(), String> {
    if doc.get("kind").and_then(Value::as_str) != Some("Secret")
        || doc.get("apiVersion").and_then(Value::as_str) != Some("v1")
    {
        return Ok(());
    }
    let Some(spec) = doc
        .pointer("/metadata/annotations")
        .and_then(|a| a.get(certgen::GENERATE_ANNOTATION))
        .and_then(Value::as_str)
        .map(str::to_string)
    else {
        return Ok(());
    };
    let generated = certgen::generate_tls_secret_data(&spec).map_err(|e| {
        let name = doc
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("?");
        format!("Secret {name}: {e}")
    })?;
    let Some(obj) = doc.as_object_mut() else {
        return Ok(());
    };
    let data = obj
        .entry("data")
        .or_insert_with(|| Value::Object(Default::default()));
    if !data.is_object() {
        *data = Value::Object(Default::default());
    }
    if let Some(data) = data.as_object_mut() {
        for (k, v) in generated {
            data.insert(k, Value::String(v));
        }
    }
    Ok(())
}

pub(crate) fn parse_docs(text: &str) -> Result<Vec<Value>, String> {
    let mut out = Vec::new();
    for doc in serde_yaml::Deserializer::from_str(text) {
        let v = Value::deserialize(doc).map_err(|e| e.to_string())?;
        expand(v, &mut out);
    }
    Ok(out)
}

fn expand(v: Value, out: &mut Vec<Value>) {
    match v {
        Value::Null => {}
        Value::Object(mut m)
            if m.get("kind")
                .and_then(Value::as_str)
                .is_some_and(|k| k.ends_with("List"))
                && m.contains_key("items") =>
        {
            if let Some(Value::Array(items)) = m.remove("items") {
                for i in items {
                    expand(i, out);
                }
            }
        }
        other => out.push(other),
    }
}

pub(crate) fn shift_amount() -> SignedDuration {
    match ANCHOR.parse::<Timestamp>() {
        Ok(anchor) => Timestamp::now().duration_since(anchor),
        Err(_) => SignedDuration::ZERO,
    }
}

/// Only strings shaped like `YYYY-MM-DDTHH:MM:SS...` are candidates, so
/// names and messages are never touched.
fn looks_like_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 20
        && b.len() <= 40
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[..4].iter().all(u8::is_ascii_digit)
}

pub(crate) fn shift_timestamps(v: &mut Value, by: SignedDuration) {
    match v {
        Value::String(s) if looks_like_timestamp(s) => {
            if let Ok(ts) = s.parse::<Timestamp>()
                && let Ok(moved) = ts.checked_add(by)
            {
                *s = if s.contains('.') {
                    moved.strftime("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
                } else {
                    moved.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
                };
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|x| shift_timestamps(x, by)),
        Value::Object(m) => m.values_mut().for_each(|x| shift_timestamps(x, by)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multi_doc_and_lists() {
        let text = "kind: A\n---\n---\nkind: List\nitems:\n- kind: B\n- kind: C\n";
        let docs = parse_docs(text).unwrap_or_default();
        assert_eq!(docs.len(), 3);
    }

    #[test]
    fn shifts_only_timestamps() {
        let mut v = serde_json::json!({"t": "2025-12-29T00:00:00Z", "m": "2025-12-29T00:00:00.000000Z", "n": "web-1"});
        shift_timestamps(&mut v, SignedDuration::from_hours(24));
        assert_eq!(v["t"], "2025-12-30T00:00:00Z");
        assert_eq!(v["m"], "2025-12-30T00:00:00.000000Z");
        assert_eq!(v["n"], "web-1");
    }
}

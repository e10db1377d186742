//! `${VAR}` substitution as Flux's post-build does it (fluxcd/pkg
//! `envsubst`, a fork of drone/envsubst), in strict mode:
//!
//! - only `${...}` substitutes; a bare `$VAR` stays as written;
//! - `$$` is a literal `$` (so `$${VAR}` gives `${VAR}`);
//! - `${VAR-d}`, `${VAR=d}`, `${VAR:-d}`, `${VAR:=d}` (and the accepted
//!   `+`/`?` forms) use the default when the variable is unset *or empty*,
//!   unlike a shell; defaults may hold `${...}` themselves;
//! - `${#VAR}`, `${VAR^}`, `${VAR^^}`, `${VAR,}`, `${VAR,,}`,
//!   `${VAR:pos}`, `${VAR:pos:len}`, `${VAR#p}`, `${VAR##p}`, `${VAR%p}`,
//!   `${VAR%%p}`, `${VAR/p/r}`, `${VAR//p/r}`, `${VAR/#p/r}`, `${VAR/%p/r}`
//!   with literal patterns;
//! - strict mode (Flux's `StrictPostBuildSubstitutions`, which `flux build`
//!   uses): an unset variable without a default is an error,
//!   `variable not set (strict mode): "VAR"`.

use std::collections::BTreeMap;

/// Why a text could not be substituted (drone/envsubst's words).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubstError {
    #[error("variable not set (strict mode): {0:?}")]
    NotSet(String),
    #[error("unable to parse variable name")]
    BadName,
    #[error("missing closing brace")]
    Unclosed,
    #[error("bad substitution")]
    Bad,
}

/// Substitutes `vars` into `text`.
pub fn substitute(text: &str, vars: &BTreeMap<String, String>) -> Result<String, SubstError> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        match (chars[i], chars.get(i + 1)) {
            ('$', Some('$')) => {
                out.push('$');
                i += 2;
            }
            ('$', Some('{')) => {
                let end = closing(&chars, i + 2)?;
                let inner: String = chars[i + 2..end].iter().collect();
                out.push_str(&expression(&inner, vars)?);
                i = end + 1;
            }
            (c, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    Ok(out)
}

/// The index of the `}` closing a `${` whose body starts at `from`
/// (nested `${...}` allowed).
fn closing(chars: &[char], from: usize) -> Result<usize, SubstError> {
    let mut depth = 0;
    let mut i = from;
    while i < chars.len() {
        match chars[i] {
            '$' if chars.get(i + 1) == Some(&'{') => {
                depth += 1;
                i += 2;
                continue;
            }
            '}' if depth == 0 => return Ok(i),
            '}' => depth -= 1,
            _ => {}
        }
        i += 1;
    }
    Err(SubstError::Unclosed)
}

fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Evaluates the body of one `${...}`.
fn expression(body: &str, vars: &BTreeMap<String, String>) -> Result<String, SubstError> {
    if let Some(name) = body.strip_prefix('#')
        && !name.is_empty()
        && name.chars().all(is_name_char)
    {
        return Ok(lookup(name, vars)?.chars().count().to_string());
    }
    let name_len = body
        .char_indices()
        .find(|(_, c)| !is_name_char(*c))
        .map(|(i, _)| i)
        .unwrap_or(body.len());
    let name = &body[..name_len];
    if name.is_empty() {
        return Err(SubstError::BadName);
    }
    let rest = &body[name_len..];
    if rest.is_empty() {
        return lookup(name, vars);
    }
    let value = vars.get(name).cloned();
    // The default operators: unset *or empty* takes the default.
    for op in [":-", ":=", ":?", ":+", "-", "=", "?", "+"] {
        if let Some(default) = rest.strip_prefix(op) {
            return match value.filter(|v| !v.is_empty()) {
                Some(value) => Ok(value),
                None => substitute(default, vars),
            };
        }
    }
    let value = lookup(name, vars)?;
    let literal = |pattern: &str| substitute(pattern, vars);
    match rest {
        "^" => Ok(first_case(&value, true)),
        "^^" => Ok(value.to_uppercase()),
        "," => Ok(first_case(&value, false)),
        ",," => Ok(value.to_lowercase()),
        _ => {
            if let Some(pattern) = rest.strip_prefix("##").or_else(|| rest.strip_prefix('#')) {
                let pattern = literal(pattern)?;
                return Ok(value.strip_prefix(&pattern).unwrap_or(&value).to_string());
            }
            if let Some(pattern) = rest.strip_prefix("%%").or_else(|| rest.strip_prefix('%')) {
                let pattern = literal(pattern)?;
                return Ok(value.strip_suffix(&pattern).unwrap_or(&value).to_string());
            }
            if let Some(spec) = rest.strip_prefix('/') {
                return replace(&value, spec, vars);
            }
            if let Some(spec) = rest.strip_prefix(':') {
                return substring(&value, spec);
            }
            Err(SubstError::Bad)
        }
    }
}

fn lookup(name: &str, vars: &BTreeMap<String, String>) -> Result<String, SubstError> {
    vars.get(name)
        .cloned()
        .ok_or_else(|| SubstError::NotSet(name.to_string()))
}

fn first_case(value: &str, upper: bool) -> String {
    let mut chars = value.chars();
    match chars.next() {
        Some(first) if upper => first.to_uppercase().chain(chars).collect(),
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// `/p/r` (first), `//p/r` (all), `/#p/r` (prefix), `/%p/r` (suffix).
fn replace(value: &str, spec: &str, vars: &BTreeMap<String, String>) -> Result<String, SubstError> {
    let (mode, spec) = match spec.chars().next() {
        Some('/') => ('a', &spec[1..]),
        Some('#') => ('p', &spec[1..]),
        Some('%') => ('s', &spec[1..]),
        _ => ('f', spec),
    };
    let (pattern, replacement) = spec.split_once('/').unwrap_or((spec, ""));
    let pattern = substitute(pattern, vars)?;
    let replacement = substitute(replacement, vars)?;
    if pattern.is_empty() {
        return Ok(value.to_string());
    }
    Ok(match mode {
        'a' => value.replace(&pattern, &replacement),
        'p' => match value.strip_prefix(&pattern) {
            Some(rest) => format!("{replacement}{rest}"),
            None => value.to_string(),
        },
        's' => match value.strip_suffix(&pattern) {
            Some(rest) => format!("{rest}{replacement}"),
            None => value.to_string(),
        },
        _ => value.replacen(&pattern, &replacement, 1),
    })
}

/// `:pos` and `:pos:len` (a negative length counts from the end).
fn substring(value: &str, spec: &str) -> Result<String, SubstError> {
    let chars: Vec<char> = value.chars().collect();
    let (pos, len) = match spec.split_once(':') {
        Some((pos, len)) => (pos, Some(len)),
        None => (spec, None),
    };
    let pos: i64 = pos.trim().parse().map_err(|_| SubstError::Bad)?;
    let total = chars.len() as i64;
    let start = if pos < 0 {
        (total + pos).max(0)
    } else {
        pos.min(total)
    };
    let end = match len {
        None => total,
        Some(len) => {
            let len: i64 = len.trim().parse().map_err(|_| SubstError::Bad)?;
            if len < 0 {
                (total + len).max(start)
            } else {
                (start + len).min(total)
            }
        }
    };
    Ok(chars[start as usize..end as usize].iter().collect())
}

/// Flux's check of every variable name (`^[_[:alpha:]][_[:alpha:][:digit:]]*$`).
pub fn check_name(name: &str) -> Result<(), String> {
    let mut chars = name.chars();
    let ok = chars
        .next()
        .is_some_and(|c| c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric());
    if ok {
        Ok(())
    } else {
        Err(format!(
            "'{name}' var name is invalid, must match '^[_[:alpha:]][_[:alpha:][:digit:]]*$'"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars() -> BTreeMap<String, String> {
        [
            ("var01", "abcdEFGH28ij"),
            ("EMPTY", ""),
            ("APP", "blog"),
            ("CLUSTER", "prod"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    fn sub(text: &str) -> Result<String, SubstError> {
        substitute(text, &vars())
    }

    #[test]
    fn flux_envsubst_examples() {
        // fluxcd/pkg envsubst eval_test.go
        assert_eq!(
            sub("some text ${var01}$${var$${var01}$var01${var01}").ok(),
            Some("some text abcdEFGH28ij${var${var01}$var01abcdEFGH28ij".into())
        );
        assert_eq!(sub("${APP}-${CLUSTER}").ok(), Some("blog-prod".into()));
        assert_eq!(sub("$APP stays").ok(), Some("$APP stays".into()));
    }

    #[test]
    fn defaults_apply_when_unset_or_empty() {
        for form in [
            "${MISSING:=d}",
            "${MISSING:-d}",
            "${MISSING-d}",
            "${MISSING=d}",
        ] {
            assert_eq!(sub(form).ok(), Some("d".into()), "{form}");
        }
        assert_eq!(
            sub("${EMPTY-d}").ok(),
            Some("d".into()),
            "empty counts as unset"
        );
        assert_eq!(sub("${APP:=d}").ok(), Some("blog".into()));
        assert_eq!(sub("${MISSING:=${APP}-x}").ok(), Some("blog-x".into()));
    }

    #[test]
    fn strict_mode_refuses_unset_variables() {
        assert_eq!(sub("${MISSING}"), Err(SubstError::NotSet("MISSING".into())));
        assert_eq!(
            sub("${MISSING}").map_err(|e| e.to_string()),
            Err("variable not set (strict mode): \"MISSING\"".into())
        );
        assert_eq!(sub("${EMPTY}").ok(), Some(String::new()));
        assert_eq!(sub("${APP"), Err(SubstError::Unclosed));
        assert_eq!(sub("${}"), Err(SubstError::BadName));
    }

    #[test]
    fn string_operators() {
        assert_eq!(sub("${#APP}").ok(), Some("4".into()));
        assert_eq!(sub("${APP^}").ok(), Some("Blog".into()));
        assert_eq!(sub("${APP^^}").ok(), Some("BLOG".into()));
        assert_eq!(sub("${var01,,}").ok(), Some("abcdefgh28ij".into()));
        assert_eq!(sub("${APP:1}").ok(), Some("log".into()));
        assert_eq!(sub("${APP:1:2}").ok(), Some("lo".into()));
        assert_eq!(sub("${APP#bl}").ok(), Some("og".into()));
        assert_eq!(sub("${APP%og}").ok(), Some("bl".into()));
        assert_eq!(sub("${APP/o/0}").ok(), Some("bl0g".into()));
        assert_eq!(sub("${CLUSTER//r/R}").ok(), Some("pRod".into()));
    }

    #[test]
    fn names_are_checked_like_flux() {
        assert!(check_name("CLUSTER_NAME").is_ok());
        assert!(check_name("_x1").is_ok());
        assert!(check_name("my-key").is_err());
        assert!(check_name("1x").is_err());
    }
}

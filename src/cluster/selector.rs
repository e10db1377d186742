//! Label selector text (`app=blog,tier!=db,env in (a,b),!legacy`) as the
//! `/-l` filter and kubectl accept it.

#[derive(Debug, Clone, PartialEq, Eq)]
enum Requirement {
    Equals(String, String),
    NotEquals(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    NotExists(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LabelSelector {
    requirements: Vec<Requirement>,
}

/// Split on commas that are not inside parentheses.
fn split_top_level(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (index, character) in text.char_indices() {
        match character {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                parts.push(&text[start..index]);
                start = index + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

fn valid_key(key: &str) -> bool {
    !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))
}

fn set_values(text: &str) -> Result<Vec<String>, String> {
    let inner = text
        .trim()
        .strip_prefix('(')
        .and_then(|rest| rest.strip_suffix(')'))
        .ok_or_else(|| format!("expected a list in parentheses, got \"{}\"", text.trim()))?;
    Ok(inner
        .split(',')
        .map(|value| value.trim().to_string())
        .filter(|value| !value.is_empty())
        .collect())
}

impl LabelSelector {
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut requirements = Vec::new();
        for part in split_top_level(text) {
            let part = part.trim();
            if part.is_empty() {
                continue;
            }
            let requirement = if let Some(key) = part.strip_prefix('!') {
                Requirement::NotExists(key.trim().to_string())
            } else if let Some((key, value)) = part.split_once("!=") {
                Requirement::NotEquals(key.trim().to_string(), value.trim().to_string())
            } else if let Some((key, value)) = part.split_once("==") {
                Requirement::Equals(key.trim().to_string(), value.trim().to_string())
            } else if let Some((key, value)) = part.split_once('=') {
                Requirement::Equals(key.trim().to_string(), value.trim().to_string())
            } else if let Some((key, values)) = part.split_once(" notin ") {
                Requirement::NotIn(key.trim().to_string(), set_values(values)?)
            } else if let Some((key, values)) = part.split_once(" in ") {
                Requirement::In(key.trim().to_string(), set_values(values)?)
            } else {
                Requirement::Exists(part.to_string())
            };
            let key = match &requirement {
                Requirement::Equals(key, _)
                | Requirement::NotEquals(key, _)
                | Requirement::In(key, _)
                | Requirement::NotIn(key, _)
                | Requirement::Exists(key)
                | Requirement::NotExists(key) => key,
            };
            if !valid_key(key) {
                return Err(format!("\"{part}\" is not a label requirement"));
            }
            requirements.push(requirement);
        }
        if requirements.is_empty() {
            return Err("an empty label selector".to_string());
        }
        Ok(LabelSelector { requirements })
    }

    pub fn matches(&self, labels: &[(Box<str>, Box<str>)]) -> bool {
        let get = |key: &str| {
            labels
                .iter()
                .find(|(label, _)| label.as_ref() == key)
                .map(|(_, value)| value.as_ref())
        };
        self.requirements
            .iter()
            .all(|requirement| match requirement {
                Requirement::Equals(key, value) => get(key) == Some(value.as_str()),
                Requirement::NotEquals(key, value) => get(key) != Some(value.as_str()),
                Requirement::In(key, values) => {
                    get(key).is_some_and(|v| values.iter().any(|x| x == v))
                }
                Requirement::NotIn(key, values) => {
                    get(key).is_none_or(|v| values.iter().all(|x| x != v))
                }
                Requirement::Exists(key) => get(key).is_some(),
                Requirement::NotExists(key) => get(key).is_none(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::LabelSelector;

    fn labels(pairs: &[(&str, &str)]) -> Vec<(Box<str>, Box<str>)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect()
    }

    #[test]
    fn parses_and_matches_every_operator() {
        let pod = labels(&[("app", "blog"), ("tier", "web")]);
        let yes = [
            "app=blog",
            "app==blog",
            "tier!=db",
            "app in (blog,x)",
            "tier notin (db)",
            "app",
            "!legacy",
            "app=blog,tier in (web)",
        ];
        for text in yes {
            let selector = LabelSelector::parse(text).expect(text);
            assert!(selector.matches(&pod), "{text} should match");
        }
        let no = [
            "app=shop",
            "tier!=web",
            "app in (x)",
            "tier notin (web)",
            "legacy",
            "!app",
        ];
        for text in no {
            let selector = LabelSelector::parse(text).expect(text);
            assert!(!selector.matches(&pod), "{text} should not match");
        }
    }

    #[test]
    fn rejects_nonsense() {
        assert!(LabelSelector::parse("").is_err());
        assert!(LabelSelector::parse("a b c").is_err());
        assert!(LabelSelector::parse("env in blog").is_err());
    }
}

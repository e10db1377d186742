//! The `:` command line: view switches, `:ctx NAME`, `:q`, with completion.

use super::view::ViewKind;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `:pods`, `:pods kube-system`, `:pods all`.
    View {
        kind: ViewKind,
        namespace: Option<String>,
    },
    /// `:ctx NAME` switches; `:ctx` alone lists contexts.
    SwitchContext(String),
    Quit,
    Help,
}

pub fn parse(line: &str) -> Result<Command, String> {
    let mut words = line.split_whitespace();
    let Some(head) = words.next() else {
        return Err("empty command".to_string());
    };
    let argument = words.next().map(str::to_string);
    if words.next().is_some() {
        return Err(format!("too many words in \":{}\"", line.trim()));
    }
    match head {
        "q" | "q!" | "quit" | "exit" => return Ok(Command::Quit),
        "help" | "?" => return Ok(Command::Help),
        _ => {}
    }
    let Some(kind) = ViewKind::from_command(head) else {
        return Err(format!(
            "unknown command \":{head}\" (try :pods, :deploy, :ns, :nodes, :events, :ctx, :q)"
        ));
    };
    if kind == ViewKind::Contexts
        && let Some(name) = argument
    {
        return Ok(Command::SwitchContext(name));
    }
    Ok(Command::View {
        kind,
        namespace: argument,
    })
}

/// Every word the first position completes to (canonical names first).
fn command_words() -> Vec<&'static str> {
    let mut words: Vec<&'static str> = ViewKind::COMMANDS
        .iter()
        .flat_map(|(names, _)| names.iter().copied())
        .collect();
    words.push("quit");
    words
}

/// Complete the line: the command word, then a namespace or context name.
/// Returns the completed line, or None when nothing (or too much) matches.
pub fn complete(line: &str, namespaces: &[String], contexts: &[String]) -> Option<String> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let ends_with_space = line.ends_with(' ');
    let (prefix, candidates, before): (&str, Vec<String>, String) =
        match (words.as_slice(), ends_with_space) {
            ([], _) => return None,
            ([head], false) => (
                head,
                command_words().iter().map(|w| w.to_string()).collect(),
                String::new(),
            ),
            ([head], true) | ([head, _], false) => {
                let kind = ViewKind::from_command(head)?;
                let prefix = if ends_with_space { "" } else { words[1] };
                let pool = if kind == ViewKind::Contexts {
                    contexts.to_vec()
                } else {
                    let mut pool = namespaces.to_vec();
                    pool.push("all".to_string());
                    pool
                };
                (prefix, pool, format!("{head} "))
            }
            _ => return None,
        };
    let matching: Vec<&String> = candidates
        .iter()
        .filter(|candidate| candidate.starts_with(prefix))
        .collect();
    let first = matching.first()?;
    // The longest common prefix, like a shell.
    let mut common = first.to_string();
    for candidate in &matching[1..] {
        while !candidate.starts_with(common.as_str()) {
            common.pop();
        }
    }
    if common.len() <= prefix.len() && matching.len() > 1 {
        return None;
    }
    Some(format!("{before}{common}"))
}

/// The best full suggestion for the line, shown greyed after the cursor.
pub fn suggestion(line: &str, namespaces: &[String], contexts: &[String]) -> Option<String> {
    let completed = complete(line, namespaces, contexts)?;
    (completed.len() > line.len()).then(|| completed[line.len()..].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::kind::ResourceKind;

    #[test]
    fn parses_views_contexts_and_quit() {
        assert_eq!(
            parse("pods kube-system"),
            Ok(Command::View {
                kind: ViewKind::Resource(ResourceKind::Pods),
                namespace: Some("kube-system".into())
            })
        );
        assert_eq!(
            parse("dp"),
            Ok(Command::View {
                kind: ViewKind::Resource(ResourceKind::Deployments),
                namespace: None
            })
        );
        assert_eq!(
            parse("ctx homelab"),
            Ok(Command::SwitchContext("homelab".into()))
        );
        assert_eq!(
            parse("ctx"),
            Ok(Command::View {
                kind: ViewKind::Contexts,
                namespace: None
            })
        );
        assert_eq!(parse("q"), Ok(Command::Quit));
        assert!(parse("frobnicate").is_err());
        assert!(parse("").is_err());
    }

    #[test]
    fn completes_commands_and_arguments() {
        let namespaces = vec![
            "kube-system".to_string(),
            "kube-public".to_string(),
            "blog".to_string(),
        ];
        let contexts = vec!["homelab".to_string()];
        assert_eq!(
            complete("dep", &namespaces, &contexts),
            Some("deploy".into())
        );
        assert_eq!(
            complete("pods b", &namespaces, &contexts),
            Some("pods blog".into())
        );
        assert_eq!(
            complete("pods kube-s", &namespaces, &contexts),
            Some("pods kube-system".into())
        );
        assert_eq!(
            complete("pods kube", &namespaces, &contexts),
            Some("pods kube-".into())
        );
        assert_eq!(
            complete("ctx h", &namespaces, &contexts),
            Some("ctx homelab".into())
        );
        assert_eq!(complete("zzz", &namespaces, &contexts), None);
        assert_eq!(suggestion("nod", &namespaces, &contexts), Some("e".into()));
        assert_eq!(
            suggestion("dep", &namespaces, &contexts),
            Some("loy".into())
        );
    }
}

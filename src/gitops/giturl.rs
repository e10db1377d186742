//! Whether a repository URL written in an Application or GitRepository is
//! this checkout's (one of its remotes).
//!
//! Argo CD normalises with `NormalizeGitURL` (argo-cd `util/git/git.go`):
//! lowercase, trailing `.git` dropped, `git@host:org/repo` read as
//! `ssh://git@host/org/repo`; it never equates https with ssh. bosun goes
//! one step further on purpose: the question here is "is this the same
//! repository as my checkout", and a repo cloned over ssh whose Applications
//! say https (the common case) is. So the comparison is on host and path:
//! scheme, user and an ssh port are dropped too.

/// `host/path`, lowercased, no scheme, user, `.git` or trailing `/`.
pub fn normalize(url: &str) -> String {
    let mut rest = url.trim().to_ascii_lowercase();
    let mut ssh = false;
    for scheme in [
        "https://",
        "http://",
        "ssh://",
        "git+ssh://",
        "git://",
        "file://",
    ] {
        if let Some(stripped) = rest.strip_prefix(scheme) {
            ssh = scheme.contains("ssh");
            rest = stripped.to_string();
            break;
        }
    }
    let is_scp = !url.contains("://")
        && rest
            .split_once(':')
            .is_some_and(|(host, _)| host.contains('@') || !host.contains('/'))
        && !rest.starts_with('/');
    // user@ (ssh, or credentials in an https URL)
    if let Some((user, after)) = rest.split_once('@')
        && !user.contains('/')
    {
        rest = after.to_string();
    }
    if is_scp {
        // git@host:org/repo → host/org/repo
        rest = rest.replacen(':', "/", 1);
    } else if ssh {
        // ssh://git@host:22/org/repo → host/org/repo
        if let Some((host, path)) = rest.split_once('/')
            && let Some((name, port)) = host.split_once(':')
            && port.chars().all(|c| c.is_ascii_digit())
        {
            rest = format!("{name}/{path}");
        }
    }
    let rest = rest.trim_end_matches('/');
    rest.strip_suffix(".git").unwrap_or(rest).to_string()
}

/// Whether `url` names one of `remotes`.
pub fn is_one_of(url: &str, remotes: &[String]) -> bool {
    let wanted = normalize(url);
    !wanted.is_empty() && remotes.iter().any(|remote| normalize(remote) == wanted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_repository_however_it_is_written() {
        let forms = [
            "https://github.com/Example/HomeLab.git",
            "https://github.com/example/homelab",
            "https://github.com/example/homelab/",
            "git@github.com:example/homelab.git",
            "ssh://git@github.com/example/homelab",
            "ssh://git@github.com:22/example/homelab.git",
            "https://token@github.com/example/homelab",
        ];
        for form in forms {
            assert_eq!(normalize(form), "github.com/example/homelab", "{form}");
        }
        assert!(is_one_of(forms[0], &[forms[3].to_string()]));
        assert!(!is_one_of(
            "https://github.com/example/other",
            &[forms[0].to_string()]
        ));
        assert!(!is_one_of("", &[String::new()]));
        assert_eq!(normalize("file:///tmp/upstream.git"), "/tmp/upstream");
    }
}

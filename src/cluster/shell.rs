//! `s` on a pod: a shell in the container through `kubectl exec -it`, with
//! the terminal handed over and taken back. kubectl (or k3s' built-in one)
//! does the SPDY/websocket exec, TTY resizing and signals.

use std::path::{Path, PathBuf};

use super::client::KubeconfigSource;
use super::rows::RowKey;

/// A program run in the foreground with the terminal (argv, never a shell
/// string on this side).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalCommand {
    pub program: PathBuf,
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
}

/// Inside the container: bash when it has one, else sh (as k9s does).
const CONTAINER_SHELL: &str = "command -v bash >/dev/null 2>&1 && exec bash || exec sh";

/// Find an executable on PATH (or take a path as given).
pub fn find_program(name: &str, path_var: Option<&std::ffi::OsStr>) -> Option<PathBuf> {
    if name.contains('/') {
        let candidate = PathBuf::from(name);
        return candidate.is_file().then_some(candidate);
    }
    std::env::split_paths(path_var?)
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .map(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

/// How a child program (kubectl, helm) gets the kubeconfig bosun uses:
/// `--kubeconfig PATH` appended to `args`, or the `KUBECONFIG` list as the
/// environment returned.
pub fn kubeconfig_args(
    source: &KubeconfigSource,
    args: &mut Vec<String>,
) -> Result<Vec<(String, String)>, String> {
    match source {
        KubeconfigSource::Flag(path)
        | KubeconfigSource::Home(path)
        | KubeconfigSource::K3s(path) => {
            args.push("--kubeconfig".to_string());
            args.push(path.display().to_string());
            Ok(Vec::new())
        }
        KubeconfigSource::Env(paths) => {
            let joined = std::env::join_paths(paths).map_err(|error| error.to_string())?;
            Ok(vec![(
                "KUBECONFIG".to_string(),
                joined.to_string_lossy().into_owned(),
            )])
        }
    }
}

/// The `kubectl exec -it` command for a pod's container, or why there is none.
pub fn exec_command(
    kubectl: &str,
    source: &KubeconfigSource,
    context: &str,
    pod: &RowKey,
    container: &str,
    path_var: Option<&std::ffi::OsStr>,
) -> Result<ExternalCommand, String> {
    let (program, mut args) = match find_program(kubectl, path_var) {
        Some(program) => (program, Vec::new()),
        None => match find_program("k3s", path_var) {
            // k3s ships kubectl as a subcommand.
            Some(k3s) if kubectl == "kubectl" => (k3s, vec!["kubectl".to_string()]),
            _ => {
                return Err(format!(
                    "a shell needs kubectl: \"{kubectl}\" is not on PATH (set `kubectl = \"/path/to/kubectl\"` in config.toml)"
                ));
            }
        },
    };
    let env = kubeconfig_args(source, &mut args)?;
    args.extend([
        "--context".to_string(),
        context.to_string(),
        "exec".to_string(),
        "-it".to_string(),
        "--namespace".to_string(),
        pod.namespace.to_string(),
        pod.name.to_string(),
        "--container".to_string(),
        container.to_string(),
        "--".to_string(),
        "sh".to_string(),
        "-c".to_string(),
        CONTAINER_SHELL.to_string(),
    ]);
    Ok(ExternalCommand { program, args, env })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_kubectl_exec_argv() {
        let dir = std::env::temp_dir().join(format!("bosun-shell-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let fake = dir.join("kubectl");
        std::fs::write(&fake, "#!/bin/sh\n").expect("write");
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        let path_var = std::ffi::OsString::from(dir.as_os_str());
        let command = exec_command(
            "kubectl",
            &KubeconfigSource::Home(PathBuf::from("/home/me/.kube/config")),
            "homelab",
            &RowKey::new("blog", "blog-abc"),
            "ghost",
            Some(&path_var),
        )
        .expect("command");
        assert_eq!(command.program, fake);
        assert_eq!(
            command.args[..11].join(" "),
            "--kubeconfig /home/me/.kube/config --context homelab exec -it --namespace blog blog-abc --container ghost"
        );
        assert_eq!(
            command.args.last().map(String::as_str),
            Some(CONTAINER_SHELL)
        );
        // k3s' kubectl when there is no kubectl.
        std::fs::rename(&fake, dir.join("k3s")).expect("rename");
        let command = exec_command(
            "kubectl",
            &KubeconfigSource::Env(vec![PathBuf::from("/a"), PathBuf::from("/b")]),
            "homelab",
            &RowKey::new("blog", "blog-abc"),
            "ghost",
            Some(&path_var),
        )
        .expect("k3s command");
        assert_eq!(command.args[0], "kubectl");
        assert_eq!(
            command.env,
            vec![("KUBECONFIG".to_string(), "/a:/b".to_string())]
        );
        std::fs::remove_file(dir.join("k3s")).expect("rm");
        let missing = exec_command(
            "kubectl",
            &KubeconfigSource::Home("/x".into()),
            "c",
            &RowKey::new("a", "b"),
            "c",
            Some(&path_var),
        );
        assert!(missing.expect_err("no kubectl").contains("not on PATH"));
        let _ = std::fs::remove_dir_all(dir);
    }
}

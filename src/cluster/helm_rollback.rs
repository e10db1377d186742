//! `helm rollback RELEASE REVISION` through the helm binary when it is
//! installed (argv, never a shell string; the kubeconfig and context bosun
//! uses passed as helm's `--kubeconfig` / `KUBECONFIG` and
//! `--kube-context`, the release's `--namespace`). A rollback is Helm's own
//! operation (a new revision, hooks, the release record), so bosun does not
//! imitate it: without helm it says the command to run.

use std::path::PathBuf;
use std::time::Duration;

use super::client::KubeconfigSource;
use super::shell::{ExternalCommand, find_program, kubeconfig_args};

/// The command line to run where helm is installed.
pub fn how(namespace: &str, release: &str, revision: i64, context: &str) -> String {
    format!("helm rollback {release} {revision} --namespace {namespace} --kube-context {context}")
}

/// The argv for `helm rollback`, or the sentence saying how to do it
/// without bosun.
pub fn rollback_command(
    helm: &str,
    source: &KubeconfigSource,
    context: &str,
    namespace: &str,
    release: &str,
    revision: i64,
    path_var: Option<&std::ffi::OsStr>,
) -> Result<ExternalCommand, String> {
    let program: PathBuf = find_program(helm, path_var).ok_or_else(|| {
        format!(
            "helm is not installed here (\"{helm}\" is not on PATH): run `{}` where it is, or set `helm = \"/path/to/helm\"` in config.toml",
            how(namespace, release, revision, context)
        )
    })?;
    let mut args = vec![
        "rollback".to_string(),
        release.to_string(),
        revision.to_string(),
        "--namespace".to_string(),
        namespace.to_string(),
        "--kube-context".to_string(),
        context.to_string(),
    ];
    let env = kubeconfig_args(source, &mut args)?;
    Ok(ExternalCommand { program, args, env })
}

/// Runs it (stdin closed, output captured, killed after `timeout`); Ok is
/// helm's own last line, Err its stderr.
pub async fn run(command: &ExternalCommand, timeout: Duration) -> Result<String, String> {
    let mut process = tokio::process::Command::new(&command.program);
    process
        .args(&command.args)
        .envs(command.env.iter().map(|(k, v)| (k, v)))
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true);
    let output = match tokio::time::timeout(timeout, process.output()).await {
        Ok(Ok(output)) => output,
        Ok(Err(error)) => {
            return Err(format!("cannot run {}: {error}", command.program.display()));
        }
        Err(_) => {
            return Err(format!(
                "helm rollback timed out after {}s",
                timeout.as_secs()
            ));
        }
    };
    let text = |bytes: &[u8]| {
        crate::sanitize::owned_for_terminal(String::from_utf8_lossy(bytes).trim().to_string())
    };
    if output.status.success() {
        let stdout = text(&output.stdout);
        Ok(stdout
            .lines()
            .last()
            .unwrap_or("helm rollback done")
            .to_string())
    } else {
        let stderr = text(&output.stderr);
        Err(if stderr.is_empty() {
            format!("helm rollback failed ({})", output.status)
        } else {
            stderr
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_helm_it_says_the_command() {
        let source = KubeconfigSource::Flag("/home/me/.kube/config".into());
        let error = rollback_command(
            "helm",
            &source,
            "homelab",
            "kube-system",
            "traefik",
            1,
            Some(std::ffi::OsStr::new("/nonexistent")),
        )
        .expect_err("no helm");
        assert!(
            error.contains(
                "run `helm rollback traefik 1 --namespace kube-system --kube-context homelab` where it is"
            ),
            "{error}"
        );
    }
}

//! `bosun --demo`: the simulated cluster, seeded with the sample homelab
//! embedded in the binary.

use std::path::PathBuf;

use crate::sim::{SimCluster, SimError, SimOptions};

/// The demo cluster's seed, embedded so an installed `bosun --demo` works
/// from any directory. A test checks this list matches samples/cluster/.
pub const DEMO_SEED: &[(&str, &str)] = &[
    (
        "00-nodes.yaml",
        include_str!("../samples/cluster/00-nodes.yaml"),
    ),
    (
        "01-namespaces.yaml",
        include_str!("../samples/cluster/01-namespaces.yaml"),
    ),
    (
        "02-storage.yaml",
        include_str!("../samples/cluster/02-storage.yaml"),
    ),
    (
        "10-kube-system.yaml",
        include_str!("../samples/cluster/10-kube-system.yaml"),
    ),
    (
        "20-blog.yaml",
        include_str!("../samples/cluster/20-blog.yaml"),
    ),
    (
        "21-blog-dev.yaml",
        include_str!("../samples/cluster/21-blog-dev.yaml"),
    ),
    (
        "30-mariadb.yaml",
        include_str!("../samples/cluster/30-mariadb.yaml"),
    ),
    (
        "31-redis.yaml",
        include_str!("../samples/cluster/31-redis.yaml"),
    ),
    (
        "32-minio.yaml",
        include_str!("../samples/cluster/32-minio.yaml"),
    ),
    (
        "40-harbor.yaml",
        include_str!("../samples/cluster/40-harbor.yaml"),
    ),
    (
        "50-cert-manager.yaml",
        include_str!("../samples/cluster/50-cert-manager.yaml"),
    ),
    (
        "60-argo.yaml",
        include_str!("../samples/cluster/60-argo.yaml"),
    ),
    (
        "60-certs.yaml",
        include_str!("../samples/cluster/60-certs.yaml"),
    ),
    (
        "65-autoscaling.yaml",
        include_str!("../samples/cluster/65-autoscaling.yaml"),
    ),
    (
        "66-helm.yaml",
        include_str!("../samples/cluster/66-helm.yaml"),
    ),
    (
        "67-rollouts.yaml",
        include_str!("../samples/cluster/67-rollouts.yaml"),
    ),
    (
        "68-helmcharts.yaml",
        include_str!("../samples/cluster/68-helmcharts.yaml"),
    ),
    (
        "70-monitoring.yaml",
        include_str!("../samples/cluster/70-monitoring.yaml"),
    ),
    (
        "80-default.yaml",
        include_str!("../samples/cluster/80-default.yaml"),
    ),
    (
        "90-events.yaml",
        include_str!("../samples/cluster/90-events.yaml"),
    ),
    (
        "95-metrics.yaml",
        include_str!("../samples/cluster/95-metrics.yaml"),
    ),
];

/// A running demo cluster and the directory its seed was written to.
pub struct Demo {
    pub cluster: SimCluster,
    seed_dir: PathBuf,
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.seed_dir);
    }
}

/// Write the embedded seed to a private temp dir and start the simulator.
pub async fn start(synthetic_pods: usize) -> Result<Demo, SimError> {
    let seed_dir = std::env::temp_dir().join(format!("bosun-demo-seed-{}", std::process::id()));
    std::fs::create_dir_all(&seed_dir)?;
    for (name, text) in DEMO_SEED {
        std::fs::write(seed_dir.join(name), text)?;
    }
    let options = SimOptions {
        seed_dir: Some(seed_dir.clone()),
        synthetic_pods,
        live: true,
        autoscale: true,
        argo_rollouts: true,
        ..SimOptions::default()
    };
    let cluster = SimCluster::start(options).await?;
    Ok(Demo { cluster, seed_dir })
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_sample_file_is_embedded() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/cluster");
        let mut on_disk: Vec<String> = std::fs::read_dir(dir)
            .expect("samples/cluster")
            .filter_map(Result::ok)
            .map(|entry| entry.file_name().to_string_lossy().into_owned())
            .filter(|name| name.ends_with(".yaml"))
            .collect();
        on_disk.sort();
        let embedded: Vec<String> = super::DEMO_SEED
            .iter()
            .map(|(name, _)| name.to_string())
            .collect();
        assert_eq!(
            embedded, on_disk,
            "add new seed files to DEMO_SEED in src/demo.rs"
        );
    }
}

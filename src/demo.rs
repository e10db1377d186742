//! `bosun --demo`: the simulated cluster, seeded with the sample homelab
//! embedded in the binary.

use std::path::PathBuf;

use crate::sim::{SimCluster, SimError, SimOptions};

include!(concat!(env!("OUT_DIR"), "/demo_seed.rs"));

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
        ..SimOptions::default()
    };
    let cluster = SimCluster::start(options).await?;
    Ok(Demo { cluster, seed_dir })
}

//! age identities, found where sops finds them (`age/keysource.go`
//! `loadIdentities`): every one of `SOPS_AGE_KEY` (the keys themselves),
//! `SOPS_AGE_KEY_FILE` (a keys file) and `<user config dir>/sops/age/keys.txt`
//! (`$XDG_CONFIG_HOME`, else `~/.config`), all of them together. A keys file
//! is parsed as sops parses it: `#` lines and empty lines skipped, one
//! `AGE-SECRET-KEY-1…` per line.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// The identities found, and where bosun looked (for "no matching identity
/// (looked in …)").
#[derive(Clone, Default)]
pub struct Identities {
    keys: Vec<age::x25519::Identity>,
    pub looked_in: Vec<String>,
    /// A source that could not be read or parsed: said, never fatal.
    pub problems: Vec<String>,
}

impl std::fmt::Debug for Identities {
    // Never prints a key.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identities")
            .field("keys", &self.keys.len())
            .field("looked_in", &self.looked_in)
            .finish()
    }
}

/// Where the keys come from: the process environment, or (tests) given.
pub struct KeySources {
    pub age_key: Option<String>,
    pub age_key_file: Option<PathBuf>,
    pub config_dir: Option<PathBuf>,
}

impl KeySources {
    /// sops' own: the environment and `os.UserConfigDir()`.
    pub fn from_env() -> KeySources {
        let config_dir = std::env::var_os("XDG_CONFIG_HOME")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".config")));
        KeySources {
            age_key: std::env::var("SOPS_AGE_KEY").ok(),
            age_key_file: std::env::var_os("SOPS_AGE_KEY_FILE").map(PathBuf::from),
            config_dir,
        }
    }
}

impl Identities {
    pub fn load(sources: &KeySources) -> Identities {
        let mut out = Identities::default();
        if let Some(text) = &sources.age_key {
            out.looked_in.push("SOPS_AGE_KEY".into());
            out.add("SOPS_AGE_KEY", text);
        }
        if let Some(path) = &sources.age_key_file {
            let name = format!("SOPS_AGE_KEY_FILE={}", path.display());
            out.looked_in.push(name.clone());
            match read_small(path) {
                Ok(text) => out.add(&name, &text),
                Err(e) => out.problems.push(format!("{name}: {e}")),
            }
        }
        if let Some(dir) = &sources.config_dir {
            let path = dir.join("sops").join("age").join("keys.txt");
            out.looked_in.push(path.display().to_string());
            match read_small(&path) {
                Ok(text) => out.add(&path.display().to_string(), &text),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => out.problems.push(format!("{}: {e}", path.display())),
            }
        }
        out
    }

    fn add(&mut self, source: &str, text: &str) {
        for (number, line) in text.lines().enumerate() {
            let line = line.trim_end_matches('\r');
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if line.starts_with("AGE-PLUGIN-") {
                self.problems.push(format!(
                    "{source} line {}: age plugin identities need the sops binary",
                    number + 1
                ));
                continue;
            }
            match age::x25519::Identity::from_str(line) {
                Ok(identity) => self.keys.push(identity),
                // The line is a secret: its text is never repeated.
                Err(_) => self
                    .problems
                    .push(format!("{source} line {}: not an age identity", number + 1)),
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Decrypts an armored age file (a `sops.age[].enc`) with any identity.
    pub fn decrypt(&self, armored: &str) -> Option<Vec<u8>> {
        if self.keys.is_empty() {
            return None;
        }
        let reader = age::armor::ArmoredReader::new(armored.as_bytes());
        let decryptor = age::Decryptor::new(reader).ok()?;
        let mut stream = decryptor
            .decrypt(self.keys.iter().map(|k| k as &dyn age::Identity))
            .ok()?;
        let mut out = Vec::new();
        stream.read_to_end(&mut out).ok()?;
        Some(out)
    }
}

/// Reads a keys file; sops caps it at 16 MiB.
fn read_small(path: &Path) -> std::io::Result<String> {
    let file = std::fs::File::open(path)?;
    let mut text = String::new();
    file.take(1 << 24).read_to_string(&mut text)?;
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use age::secrecy::ExposeSecret;

    fn sources(age_key: Option<String>, file: Option<PathBuf>, dir: Option<PathBuf>) -> KeySources {
        KeySources {
            age_key,
            age_key_file: file,
            config_dir: dir,
        }
    }

    #[test]
    fn every_source_counts_and_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let one = age::x25519::Identity::generate();
        let two = age::x25519::Identity::generate();
        let three = age::x25519::Identity::generate();
        let file = dir.path().join("keys.txt");
        std::fs::write(
            &file,
            format!("# created: now\n\n{}\n", two.to_string().expose_secret()),
        )
        .unwrap();
        let config = dir.path().join("config");
        std::fs::create_dir_all(config.join("sops/age")).unwrap();
        std::fs::write(
            config.join("sops/age/keys.txt"),
            three.to_string().expose_secret(),
        )
        .unwrap();
        let ids = Identities::load(&sources(
            Some(one.to_string().expose_secret().to_string()),
            Some(file.clone()),
            Some(config.clone()),
        ));
        assert_eq!(ids.keys.len(), 3);
        assert_eq!(ids.looked_in.len(), 3);
        assert!(ids.looked_in[1].contains("keys.txt"));
        assert!(ids.problems.is_empty(), "{:?}", ids.problems);
        assert!(!format!("{ids:?}").contains("AGE-SECRET-KEY"));
    }

    #[test]
    fn a_bad_line_is_a_problem_that_does_not_echo_it() {
        let ids = Identities::load(&sources(
            Some("AGE-SECRET-KEY-1NOTAKEY\n".into()),
            Some(PathBuf::from("/nonexistent/keys.txt")),
            None,
        ));
        assert!(ids.is_empty());
        assert_eq!(ids.problems.len(), 2, "{:?}", ids.problems);
        assert!(ids.problems[0].contains("line 1: not an age identity"));
        assert!(!ids.problems[0].contains("NOTAKEY"));
        assert!(ids.problems[1].starts_with("SOPS_AGE_KEY_FILE=/nonexistent"));
    }
}

//! In-process decryption of a sops file, as sops' `Tree.Decrypt` and
//! `decrypt.go` do it: the data key from the `sops` block's age stanzas,
//! every value that sops' rules say is encrypted decrypted with its path as
//! additional data, and the MAC — SHA-512 over the values in document order
//! (only the encrypted ones with `mac_only_encrypted`), stored encrypted
//! under `lastmodified` — checked before anything is returned.
//!
//! The documents come from the YAML source file, whose key order the MAC
//! covers (serde_yaml keeps it; the rendered objects do not).

use openssl::sha::Sha512;
use regex::Regex;
use serde_json::{Map, Value};
use serde_yaml::Value as Yaml;

use super::cipher;
use super::keys::Identities;

/// sops' `MACOnlyEncryptedInitialization`: sha256("sops"), hashed first
/// when only encrypted values are covered.
const MAC_ONLY_ENCRYPTED_INIT: [u8; 32] = [
    0x8a, 0x3f, 0xd2, 0xad, 0x54, 0xce, 0x66, 0x52, 0x7b, 0x10, 0x34, 0xf3, 0xd1, 0x47, 0xbe, 0x0b,
    0x0b, 0x97, 0x5b, 0x3b, 0xf4, 0x4f, 0x72, 0xc6, 0xfd, 0xad, 0xec, 0x81, 0x76, 0xf2, 0x7d, 0x69,
];

/// sops' `DefaultUnencryptedSuffix`, used when the file names no rule.
const DEFAULT_UNENCRYPTED_SUFFIX: &str = "_unencrypted";

/// Which values sops encrypted (exactly one rule per file).
#[derive(Debug)]
enum Rule {
    UnencryptedSuffix(String),
    EncryptedSuffix(String),
    UnencryptedRegex(Regex),
    EncryptedRegex(Regex),
}

impl Rule {
    /// sops' `shouldBeEncrypted`, on the keys of the path.
    fn encrypts(&self, path: &[String]) -> bool {
        match self {
            Rule::UnencryptedSuffix(s) => !path.iter().any(|k| k.ends_with(s.as_str())),
            Rule::EncryptedSuffix(s) => path.iter().any(|k| k.ends_with(s.as_str())),
            Rule::UnencryptedRegex(r) => !path.iter().any(|k| r.is_match(k)),
            Rule::EncryptedRegex(r) => path.iter().any(|k| r.is_match(k)),
        }
    }
}

/// One age stanza of the `sops` block.
#[derive(Debug, Clone)]
pub struct AgeKey {
    pub recipient: String,
    pub enc: String,
}

/// The `sops` block, as far as decryption needs it.
#[derive(Debug)]
pub struct Metadata {
    rule: Rule,
    mac_only_encrypted: bool,
    mac: String,
    last_modified: String,
    pub age: Vec<AgeKey>,
    /// Key groups beyond the first (Shamir): only the sops binary does them.
    pub shamir: bool,
}

impl Metadata {
    pub fn parse(sops: &Value) -> Result<Metadata, String> {
        let text = |field: &str| sops.get(field).and_then(Value::as_str).unwrap_or("");
        let mut rules = Vec::new();
        let regex = |field: &str| {
            Regex::new(text(field)).map_err(|e| format!("sops.{field} is not a valid regex: {e}"))
        };
        if !text("unencrypted_suffix").is_empty() {
            rules.push(Rule::UnencryptedSuffix(text("unencrypted_suffix").into()));
        }
        if !text("encrypted_suffix").is_empty() {
            rules.push(Rule::EncryptedSuffix(text("encrypted_suffix").into()));
        }
        if !text("unencrypted_regex").is_empty() {
            rules.push(Rule::UnencryptedRegex(regex("unencrypted_regex")?));
        }
        if !text("encrypted_regex").is_empty() {
            rules.push(Rule::EncryptedRegex(regex("encrypted_regex")?));
        }
        for field in ["encrypted_comment_regex", "unencrypted_comment_regex"] {
            if !text(field).is_empty() {
                return Err(format!(
                    "sops.{field} decides by YAML comments, which bosun does not read: \
                     install the sops binary to decrypt this file"
                ));
            }
        }
        if rules.len() > 1 {
            return Err(
                "sops allows only one of encrypted_suffix, unencrypted_suffix, \
                        encrypted_regex, unencrypted_regex in a file"
                    .into(),
            );
        }
        let rule = rules
            .pop()
            .unwrap_or_else(|| Rule::UnencryptedSuffix(DEFAULT_UNENCRYPTED_SUFFIX.into()));
        let groups = sops
            .get("key_groups")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let shamir = groups.len() > 1;
        let stanzas = match groups.first() {
            Some(group) => group.get("age").cloned(),
            None => sops.get("age").cloned(),
        };
        let age = stanzas
            .as_ref()
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|s| {
                Some(AgeKey {
                    recipient: s.get("recipient")?.as_str()?.to_string(),
                    enc: s.get("enc")?.as_str()?.to_string(),
                })
            })
            .collect();
        Ok(Metadata {
            rule,
            mac_only_encrypted: sops
                .get("mac_only_encrypted")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            mac: text("mac").to_string(),
            last_modified: text("lastmodified").to_string(),
            age,
            shamir,
        })
    }

    /// The data key from the first age stanza an identity opens.
    pub fn data_key(&self, identities: &Identities) -> Option<Vec<u8>> {
        self.age
            .iter()
            .find_map(|stanza| identities.decrypt(&stanza.enc))
            .filter(|key| key.len() == 32)
    }
}

/// Decrypts every document of a file (each without its `sops` key) with the
/// data key and checks the file's MAC over all of them; the documents come
/// back as JSON values, or the reason they cannot.
pub fn decrypt_documents(
    documents: &[Yaml],
    meta: &Metadata,
    key: &[u8],
) -> Result<Vec<Value>, String> {
    let mut walk = Walk {
        meta,
        key,
        hasher: Sha512::new(),
    };
    if meta.mac_only_encrypted {
        walk.hasher.update(&MAC_ONLY_ENCRYPTED_INIT);
    }
    let mut out = Vec::with_capacity(documents.len());
    for document in documents {
        let Yaml::Mapping(mapping) = document else {
            return Err("a sops document must be a mapping".into());
        };
        let mut branch = Map::new();
        for (k, v) in mapping {
            let Yaml::String(k) = k else {
                return Err(format!("non-string key {k:?}"));
            };
            if k == "sops" {
                continue;
            }
            let mut path = vec![k.clone()];
            branch.insert(k.clone(), walk.value(v, &mut path)?);
        }
        out.push(Value::Object(branch));
    }
    let computed: String = walk
        .hasher
        .finish()
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect();
    let stored = match cipher::decrypt(&meta.mac, key, &rfc3339(&meta.last_modified)) {
        Ok(Value::String(mac)) => mac,
        Ok(_) => return Err("sops.mac is not a string".into()),
        Err(e) => return Err(format!("cannot read sops.mac: {e}")),
    };
    if stored != computed {
        return Err(
            "MAC mismatch: the file was changed after it was encrypted (sops refuses it too)"
                .into(),
        );
    }
    Ok(out)
}

struct Walk<'a> {
    meta: &'a Metadata,
    key: &'a [u8],
    hasher: Sha512,
}

impl Walk<'_> {
    /// sops' `walkValue`: mappings extend the path, sequences keep it, null
    /// is left out of the MAC.
    fn value(&mut self, value: &Yaml, path: &mut Vec<String>) -> Result<Value, String> {
        match value {
            Yaml::Null => Ok(Value::Null),
            Yaml::Mapping(mapping) => {
                let mut out = Map::new();
                for (k, v) in mapping {
                    let Yaml::String(k) = k else {
                        return Err(format!("non-string key {k:?} at {}", path.join(".")));
                    };
                    path.push(k.clone());
                    let decrypted = self.value(v, path);
                    path.pop();
                    out.insert(k.clone(), decrypted?);
                }
                Ok(Value::Object(out))
            }
            Yaml::Sequence(items) => items
                .iter()
                .map(|item| self.value(item, path))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array),
            Yaml::Tagged(tagged) => Err(format!(
                "tagged value {} at {} is not supported",
                tagged.tag,
                path.join(".")
            )),
            leaf => self.leaf(leaf, path),
        }
    }

    fn leaf(&mut self, leaf: &Yaml, path: &[String]) -> Result<Value, String> {
        let encrypted = self.meta.rule.encrypts(path);
        let plain = if encrypted {
            let Yaml::String(text) = leaf else {
                return Err(format!("{} should be encrypted but is not", path.join(".")));
            };
            let additional = format!("{}:", path.join(":"));
            cipher::decrypt(text, self.key, &additional)
                .map_err(|e| format!("{}: {e}", path.join(".")))?
        } else {
            serde_json::to_value(leaf).map_err(|e| format!("{}: {e}", path.join(".")))?
        };
        if let Some(bytes) = cipher::mac_bytes(&plain)
            && (!self.meta.mac_only_encrypted || encrypted)
        {
            self.hasher.update(&bytes);
        }
        Ok(plain)
    }
}

/// Go's `time.Format(time.RFC3339)` of the parsed stamp: fractional
/// seconds dropped, the offset kept.
fn rfc3339(stamp: &str) -> String {
    match stamp.find('.') {
        Some(dot) => {
            let rest = &stamp[dot + 1..];
            let zone = rest
                .find(|c: char| !c.is_ascii_digit())
                .map(|i| &rest[i..])
                .unwrap_or("");
            format!("{}{zone}", &stamp[..dot])
        }
        None => stamp.to_string(),
    }
}

#[cfg(test)]
pub(crate) mod test_encrypt {
    //! sops' `Tree.Encrypt` for tests: encrypts a document under a rule,
    //! computes the MAC, and writes the `sops` block for age recipients.
    use super::super::cipher::test_encrypt::encrypt;
    use super::*;
    use std::io::Write;

    pub struct Options<'a> {
        pub recipients: &'a [age::x25519::Recipient],
        /// The rule's field and value, e.g. ("encrypted_regex", "^(data|stringData)$").
        pub rule: Option<(&'a str, &'a str)>,
        pub mac_only_encrypted: bool,
    }

    /// Returns the encrypted document as YAML text.
    pub fn encrypt_document(plain: &Yaml, options: &Options<'_>) -> String {
        let mut key = [0u8; 32];
        openssl::rand::rand_bytes(&mut key).unwrap_or_default();
        let mut sops = serde_json::json!({ "lastmodified": "2026-12-07T10:00:00Z" });
        if let Some((field, value)) = options.rule {
            sops[field] = Value::from(value);
        }
        if options.mac_only_encrypted {
            sops["mac_only_encrypted"] = Value::Bool(true);
        }
        let meta = Metadata::parse(&sops).unwrap_or_else(|e| panic!("{e}"));
        let mut hasher = Sha512::new();
        if options.mac_only_encrypted {
            hasher.update(&MAC_ONLY_ENCRYPTED_INIT);
        }
        let encrypted = seal(plain, &mut Vec::new(), &meta, &key, &mut hasher);
        let mac: String = hasher.finish().iter().map(|b| format!("{b:02X}")).collect();
        sops["mac"] = Value::from(encrypt(&Value::from(mac), &key, "2026-12-07T10:00:00Z"));
        let mut stanzas = Vec::new();
        for recipient in options.recipients {
            let encryptor =
                age::Encryptor::with_recipients(std::iter::once(recipient as &dyn age::Recipient))
                    .unwrap_or_else(|e| panic!("{e}"));
            let mut armored = Vec::new();
            let armor = age::armor::ArmoredWriter::wrap_output(
                &mut armored,
                age::armor::Format::AsciiArmor,
            )
            .unwrap_or_else(|e| panic!("{e}"));
            let mut writer = encryptor
                .wrap_output(armor)
                .unwrap_or_else(|e| panic!("{e}"));
            writer.write_all(&key).unwrap_or_else(|e| panic!("{e}"));
            writer
                .finish()
                .and_then(|armor| armor.finish())
                .unwrap_or_else(|e| panic!("{e}"));
            stanzas.push(serde_json::json!({
                "recipient": recipient.to_string(),
                "enc": String::from_utf8_lossy(&armored),
            }));
        }
        sops["age"] = Value::Array(stanzas);
        let mut document = encrypted;
        if let Yaml::Mapping(m) = &mut document {
            m.insert(
                Yaml::from("sops"),
                serde_yaml::to_value(&sops).unwrap_or(Yaml::Null),
            );
        }
        serde_yaml::to_string(&document).unwrap_or_default()
    }

    fn seal(
        value: &Yaml,
        path: &mut Vec<String>,
        meta: &Metadata,
        key: &[u8],
        hasher: &mut Sha512,
    ) -> Yaml {
        match value {
            Yaml::Mapping(m) => {
                let mut out = serde_yaml::Mapping::new();
                for (k, v) in m {
                    let name = k.as_str().unwrap_or("").to_string();
                    path.push(name);
                    out.insert(k.clone(), seal(v, path, meta, key, hasher));
                    path.pop();
                }
                Yaml::Mapping(out)
            }
            Yaml::Sequence(items) => Yaml::Sequence(
                items
                    .iter()
                    .map(|i| seal(i, path, meta, key, hasher))
                    .collect(),
            ),
            Yaml::Null => Yaml::Null,
            leaf => {
                let plain = serde_json::to_value(leaf).unwrap_or(Value::Null);
                let encrypted = meta.rule.encrypts(path);
                if let Some(bytes) = cipher::mac_bytes(&plain)
                    && (!meta.mac_only_encrypted || encrypted)
                {
                    hasher.update(&bytes);
                }
                if encrypted {
                    Yaml::from(encrypt(&plain, key, &format!("{}:", path.join(":"))))
                } else {
                    leaf.clone()
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_rfc3339_drops_fractions_and_keeps_the_zone() {
        assert_eq!(rfc3339("2024-11-12T13:33:42Z"), "2024-11-12T13:33:42Z");
        assert_eq!(rfc3339("2024-11-12T13:33:42.123Z"), "2024-11-12T13:33:42Z");
        assert_eq!(
            rfc3339("2024-11-12T13:33:42.5+01:00"),
            "2024-11-12T13:33:42+01:00"
        );
    }

    #[test]
    fn the_rules_follow_should_be_encrypted() {
        let path = |p: &[&str]| p.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let meta = Metadata::parse(&serde_json::json!({})).unwrap();
        assert!(meta.rule.encrypts(&path(&["data", "password"])));
        assert!(!meta.rule.encrypts(&path(&["data", "user_unencrypted"])));
        let meta = Metadata::parse(&serde_json::json!({"encrypted_regex": "^(data|stringData)$"}))
            .unwrap();
        assert!(meta.rule.encrypts(&path(&["stringData", "key"])));
        assert!(!meta.rule.encrypts(&path(&["metadata", "name"])));
        let two = Metadata::parse(
            &serde_json::json!({"encrypted_regex": "a", "unencrypted_suffix": "_x"}),
        );
        assert!(two.is_err());
        let comments = Metadata::parse(&serde_json::json!({"encrypted_comment_regex": "sops"}));
        assert!(comments.is_err_and(|e| e.contains("install the sops binary")));
    }
}

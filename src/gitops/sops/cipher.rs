//! sops' value format, `ENC[AES256_GCM,data:…,iv:…,tag:…,type:…]`, and its
//! cipher, as sops' `aes/cipher.go` has them: AES-256-GCM with the IV as
//! stored (sops writes 32 bytes), the value's path as additional data, the
//! plaintext typed by `type:` (str, int, int64, float, bool, bytes, comment).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use openssl::symm::{Cipher, decrypt_aead};
use serde_json::Value;

/// The marker every encrypted value starts with.
pub const PREFIX: &str = "ENC[AES256_GCM,";

/// Whether a string is an encrypted sops value.
pub fn is_encrypted_value(text: &str) -> bool {
    text.starts_with(PREFIX)
}

struct Encrypted {
    data: Vec<u8>,
    iv: Vec<u8>,
    tag: Vec<u8>,
    kind: String,
}

/// sops' regex `^ENC\[AES256_GCM,data:(.+),iv:(.+),tag:(.+),type:(.+)\]`:
/// base64 holds no commas, so splitting on them reads the same fields.
fn parse(value: &str) -> Result<Encrypted, String> {
    let malformed = || "does not match sops' data format ENC[AES256_GCM,…]".to_string();
    let body = value
        .strip_prefix(PREFIX)
        .and_then(|rest| rest.rfind(']').map(|end| &rest[..end]))
        .ok_or_else(malformed)?;
    let mut fields = body.splitn(4, ',');
    let mut field = |name: &str| {
        fields
            .next()
            .and_then(|f| f.strip_prefix(name))
            .filter(|f| !f.is_empty())
            .ok_or_else(malformed)
    };
    let (data, iv, tag, kind) = (
        field("data:")?,
        field("iv:")?,
        field("tag:")?,
        field("type:")?,
    );
    let decode = |what: &str, text: &str| {
        STANDARD
            .decode(text)
            .map_err(|e| format!("base64-decoding {what}: {e}"))
    };
    Ok(Encrypted {
        data: decode("data", data)?,
        iv: decode("iv", iv)?,
        tag: decode("tag", tag)?,
        kind: kind.to_string(),
    })
}

/// Decrypts one value; `additional_data` is its path joined by ":" with a
/// trailing ":" (or the `lastmodified` stamp for the MAC). An empty string
/// stays empty, as sops leaves it.
pub fn decrypt(value: &str, key: &[u8], additional_data: &str) -> Result<Value, String> {
    if value.is_empty() {
        return Ok(Value::String(String::new()));
    }
    let encrypted = parse(value)?;
    if encrypted.iv.is_empty() || encrypted.tag.len() != 16 {
        return Err("malformed IV or tag".into());
    }
    let plain = decrypt_aead(
        Cipher::aes_256_gcm(),
        key,
        Some(&encrypted.iv),
        additional_data.as_bytes(),
        &encrypted.data,
        &encrypted.tag,
    )
    .map_err(|_| "AES-GCM authentication failed (wrong data key, or the value was altered)")?;
    typed(&encrypted.kind, plain)
}

/// The plaintext as the type sops recorded (Go's strconv rules).
fn typed(kind: &str, plain: Vec<u8>) -> Result<Value, String> {
    let text =
        || String::from_utf8(plain.clone()).map_err(|_| "plaintext is not UTF-8".to_string());
    match kind {
        "str" | "comment" => Ok(Value::String(text()?)),
        "bytes" => Ok(Value::String(String::from_utf8_lossy(&plain).into_owned())),
        "int" | "int64" => text()?
            .parse::<i64>()
            .map(Value::from)
            .map_err(|e| format!("{kind} value: {e}")),
        "float" => {
            let number = text()?
                .parse::<f64>()
                .map_err(|e| format!("float value: {e}"))?;
            serde_json::Number::from_f64(number)
                .map(Value::Number)
                .ok_or_else(|| "float value is not finite".into())
        }
        // strconv.ParseBool
        "bool" => match text()?.as_str() {
            "1" | "t" | "T" | "TRUE" | "true" | "True" => Ok(Value::Bool(true)),
            "0" | "f" | "F" | "FALSE" | "false" | "False" => Ok(Value::Bool(false)),
            other => Err(format!("bool value: invalid syntax {other:?}")),
        },
        other => Err(format!("unknown datatype {other:?}")),
    }
}

/// The bytes a value adds to the MAC (sops' `ToBytes`): strings as they are,
/// numbers as Go prints them, booleans as "True"/"False".
pub fn mac_bytes(value: &Value) -> Option<Vec<u8>> {
    match value {
        Value::String(s) => Some(s.as_bytes().to_vec()),
        Value::Bool(true) => Some(b"True".to_vec()),
        Value::Bool(false) => Some(b"False".to_vec()),
        Value::Number(n) => Some(if let Some(i) = n.as_i64() {
            i.to_string().into_bytes()
        } else if let Some(u) = n.as_u64() {
            u.to_string().into_bytes()
        } else {
            // strconv.FormatFloat(f, 'f', -1, 64): shortest, no exponent,
            // which is also Rust's Display for f64.
            format!("{}", n.as_f64()?).into_bytes()
        }),
        Value::Null | Value::Array(_) | Value::Object(_) => None,
    }
}

#[cfg(test)]
pub(crate) mod test_encrypt {
    //! The other direction, for tests only: sops' `Encrypt` (random 32-byte
    //! IV, the tag split off the end).
    use super::*;
    use openssl::symm::encrypt_aead;

    pub fn encrypt(plain: &Value, key: &[u8], additional_data: &str) -> String {
        let (kind, bytes) = match plain {
            Value::String(s) => ("str", s.as_bytes().to_vec()),
            Value::Bool(b) => (
                "bool",
                if *b {
                    b"True".to_vec()
                } else {
                    b"False".to_vec()
                },
            ),
            Value::Number(n) if n.is_f64() => ("float", mac_bytes(plain).unwrap_or_default()),
            Value::Number(_) => ("int", mac_bytes(plain).unwrap_or_default()),
            _ => ("str", Vec::new()),
        };
        if bytes.is_empty() && kind == "str" {
            return String::new();
        }
        let mut iv = [0u8; 32];
        openssl::rand::rand_bytes(&mut iv).unwrap_or_default();
        let mut tag = [0u8; 16];
        let data = encrypt_aead(
            Cipher::aes_256_gcm(),
            key,
            Some(&iv),
            additional_data.as_bytes(),
            &bytes,
            &mut tag,
        )
        .unwrap_or_default();
        format!(
            "ENC[AES256_GCM,data:{},iv:{},tag:{},type:{kind}]",
            STANDARD.encode(data),
            STANDARD.encode(iv),
            STANDARD.encode(tag)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::test_encrypt::encrypt;
    use super::*;
    use serde_json::json;

    #[test]
    fn values_round_trip_with_their_types() {
        let key = [7u8; 32];
        for value in [json!("hunter2"), json!(42), json!(true), json!(1.5)] {
            let enc = encrypt(&value, &key, "stringData:password:");
            assert!(is_encrypted_value(&enc), "{enc}");
            assert_eq!(decrypt(&enc, &key, "stringData:password:"), Ok(value));
        }
    }

    #[test]
    fn the_path_is_authenticated() {
        let key = [7u8; 32];
        let enc = encrypt(&json!("hunter2"), &key, "stringData:password:");
        let moved = decrypt(&enc, &key, "stringData:username:");
        assert!(moved.is_err_and(|e| e.contains("authentication failed")));
        let wrong_key = decrypt(&enc, &[8u8; 32], "stringData:password:");
        assert!(wrong_key.is_err());
    }

    #[test]
    fn malformed_values_say_so() {
        let key = [7u8; 32];
        for bad in [
            "ENC[AES256_GCM,data:,iv:x,tag:y,type:str]",
            "ENC[AES256_GCM,data:AAAA]",
            "ENC[AES256_GCM,data:!!!!,iv:AAAA,tag:AAAA,type:str]",
        ] {
            assert!(decrypt(bad, &key, "a:").is_err(), "{bad}");
        }
        assert_eq!(decrypt("", &key, "a:"), Ok(json!("")));
    }

    #[test]
    fn mac_bytes_follow_go() {
        assert_eq!(mac_bytes(&json!(true)), Some(b"True".to_vec()));
        assert_eq!(mac_bytes(&json!(3)), Some(b"3".to_vec()));
        assert_eq!(mac_bytes(&json!(0.5)), Some(b"0.5".to_vec()));
        assert_eq!(mac_bytes(&Value::Null), None);
    }
}

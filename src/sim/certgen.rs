//! Real X.509 certificates for seed TLS Secrets. A PEM's notAfter cannot be
//! time-shifted like the YAML timestamps, so a Secret annotated with
//! [`GENERATE_ANNOTATION`] gets a chain generated at load time, its dates
//! relative to the real now.
//!
//! The annotation value is space-separated `key=value`:
//! `notBefore=-30d notAfter=+10d` (relative to now, units d/h/m/s, or an
//! RFC 3339 timestamp), `dnsNames=a.home.lab,b.home.lab` (SANs),
//! `cn=a.home.lab`, `issuer=R11` (the issuing CA's CN, organisation
//! "Let's Encrypt"), `chain=1|2` (2: `tls.crt` also holds the intermediate
//! and `ca.crt` is a root above it), `selfSigned=true` (the leaf signs
//! itself; `ca.crt` is the leaf).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, OnceLock};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use jiff::{SignedDuration, Timestamp};
use openssl::asn1::{Asn1Integer, Asn1Time};
use openssl::bn::{BigNum, MsbOption};
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::x509::extension::{
    AuthorityKeyIdentifier, BasicConstraints, ExtendedKeyUsage, KeyUsage, SubjectAlternativeName,
    SubjectKeyIdentifier,
};
use openssl::x509::{X509, X509Builder, X509Name, X509NameBuilder};

use super::SimError;

/// The Secret annotation that asks the seed loader for a generated chain.
pub const GENERATE_ANNOTATION: &str = "sim.bosun.dev/generate-certificate";

const ROOT_CN: &str = "ISRG Root X1";
const CA_ORG: &str = "Let's Encrypt";

#[derive(Debug, Clone, PartialEq)]
struct Spec {
    not_before: Timestamp,
    not_after: Timestamp,
    dns_names: Vec<String>,
    cn: String,
    issuer: String,
    chain: u8,
    self_signed: bool,
}

fn parse_when(value: &str, now: Timestamp) -> Result<Timestamp, String> {
    if let Ok(ts) = value.parse::<Timestamp>() {
        return Ok(ts);
    }
    let (sign, rest) = match value.as_bytes().first() {
        Some(b'-') => (-1i64, &value[1..]),
        Some(b'+') => (1i64, &value[1..]),
        _ => (1i64, value),
    };
    let Some((unit_at, _)) = rest.char_indices().last() else {
        return Err(format!("bad time {value:?} (want e.g. +10d, -3h, 30m)"));
    };
    let (num, unit) = rest.split_at(unit_at);
    let n: i64 = num
        .parse()
        .map_err(|_| format!("bad time {value:?} (want e.g. +10d, -3h, 30m)"))?;
    let secs_per = match unit {
        "d" => 86_400,
        "h" => 3_600,
        "m" => 60,
        "s" => 1,
        _ => return Err(format!("bad time unit in {value:?} (d, h, m or s)")),
    };
    let secs = n
        .checked_mul(secs_per)
        .and_then(|s| s.checked_mul(sign))
        .ok_or_else(|| format!("time {value:?} out of range"))?;
    now.checked_add(SignedDuration::from_secs(secs))
        .map_err(|e| format!("time {value:?}: {e}"))
}

fn parse_spec(spec: &str, now: Timestamp) -> Result<Spec, String> {
    let mut not_before = None;
    let mut not_after = None;
    let mut dns_names: Vec<String> = Vec::new();
    let mut cn = None;
    let mut issuer = None;
    let mut chain = 1u8;
    let mut self_signed = false;
    for token in spec.split_whitespace() {
        let Some((key, value)) = token.split_once('=') else {
            return Err(format!("expected key=value, got {token:?}"));
        };
        match key {
            "notBefore" => not_before = Some(parse_when(value, now)?),
            "notAfter" => not_after = Some(parse_when(value, now)?),
            "dnsNames" => {
                dns_names = value
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect();
            }
            "cn" => cn = Some(value.to_string()),
            "issuer" => issuer = Some(value.to_string()),
            "chain" => {
                chain = match value {
                    "1" => 1,
                    "2" => 2,
                    _ => return Err(format!("chain must be 1 or 2, got {value:?}")),
                }
            }
            "selfSigned" => {
                self_signed = match value {
                    "true" => true,
                    "false" => false,
                    _ => return Err(format!("selfSigned must be true or false, got {value:?}")),
                }
            }
            _ => return Err(format!("unknown key {key:?}")),
        }
    }
    let cn = match (cn, dns_names.first()) {
        (Some(cn), _) => cn,
        (None, Some(first)) => first.clone(),
        (None, None) => return Err("needs cn= or dnsNames=".to_string()),
    };
    if dns_names.is_empty() {
        dns_names.push(cn.clone());
    }
    let not_after = match not_after {
        Some(t) => t,
        None => now
            .checked_add(SignedDuration::from_hours(24 * 90))
            .map_err(|e| e.to_string())?,
    };
    // Let's Encrypt's 90 days, but never starting in the future unless asked.
    let not_before = match not_before {
        Some(t) => t,
        None => {
            let ninety = not_after
                .checked_sub(SignedDuration::from_hours(24 * 90))
                .map_err(|e| e.to_string())?;
            ninety.min(now)
        }
    };
    if not_after <= not_before {
        return Err("notAfter must be after notBefore".to_string());
    }
    let issuer = issuer.unwrap_or_else(|| {
        if self_signed {
            cn.clone()
        } else {
            "R11".into()
        }
    });
    Ok(Spec {
        not_before,
        not_after,
        dns_names,
        cn,
        issuer,
        chain,
        self_signed,
    })
}

type OsslResult<T> = Result<T, openssl::error::ErrorStack>;

fn new_key() -> OsslResult<PKey<Private>> {
    let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1)?;
    PKey::from_ec_key(EcKey::generate(&group)?)
}

fn name(cn: &str, org: Option<&str>) -> OsslResult<X509Name> {
    let mut b = X509NameBuilder::new()?;
    b.append_entry_by_nid(Nid::COUNTRYNAME, "US")?;
    if let Some(org) = org {
        b.append_entry_by_nid(Nid::ORGANIZATIONNAME, org)?;
    }
    b.append_entry_by_nid(Nid::COMMONNAME, cn)?;
    Ok(b.build())
}

fn serial() -> OsslResult<Asn1Integer> {
    let mut bn = BigNum::new()?;
    bn.rand(127, MsbOption::MAYBE_ZERO, false)?;
    bn.to_asn1_integer()
}

fn time(ts: Timestamp) -> OsslResult<Asn1Time> {
    Asn1Time::from_unix(ts.as_second())
}

/// A certificate of `key` for `subject`, signed by `signer` (itself when `None`).
struct Cert<'a> {
    subject: &'a X509Name,
    key: &'a PKey<Private>,
    signer: Option<(&'a X509, &'a PKey<Private>)>,
    not_before: Timestamp,
    not_after: Timestamp,
    ca: bool,
    dns_names: &'a [String],
}

fn build(c: Cert<'_>) -> OsslResult<X509> {
    let mut b = X509Builder::new()?;
    b.set_version(2)?;
    let serial = serial()?;
    b.set_serial_number(&serial)?;
    b.set_subject_name(c.subject)?;
    b.set_issuer_name(match c.signer {
        Some((cert, _)) => cert.subject_name(),
        None => c.subject,
    })?;
    b.set_pubkey(c.key)?;
    let (from, until) = (time(c.not_before)?, time(c.not_after)?);
    b.set_not_before(&from)?;
    b.set_not_after(&until)?;
    if c.ca {
        b.append_extension(BasicConstraints::new().critical().ca().build()?)?;
        b.append_extension(
            KeyUsage::new()
                .critical()
                .key_cert_sign()
                .crl_sign()
                .digital_signature()
                .build()?,
        )?;
    } else {
        b.append_extension(BasicConstraints::new().critical().build()?)?;
        b.append_extension(KeyUsage::new().critical().digital_signature().build()?)?;
        b.append_extension(
            ExtendedKeyUsage::new()
                .server_auth()
                .client_auth()
                .build()?,
        )?;
    }
    let ski =
        SubjectKeyIdentifier::new().build(&b.x509v3_context(c.signer.map(|s| &**s.0), None))?;
    b.append_extension(ski)?;
    if c.signer.is_some() {
        let aki = AuthorityKeyIdentifier::new()
            .keyid(false)
            .build(&b.x509v3_context(c.signer.map(|s| &**s.0), None))?;
        b.append_extension(aki)?;
    }
    if !c.dns_names.is_empty() {
        let mut san = SubjectAlternativeName::new();
        for n in c.dns_names {
            san.dns(n);
        }
        let san = san.build(&b.x509v3_context(c.signer.map(|s| &**s.0), None))?;
        b.append_extension(san)?;
    }
    let sign_key = c.signer.map_or(c.key, |s| s.1);
    b.sign(sign_key, MessageDigest::sha256())?;
    Ok(b.build())
}

/// An issuing CA and, for chain=2, the root above it.
#[derive(Clone)]
struct Ca {
    cert: X509,
    key: PKey<Private>,
    root: Option<X509>,
}

/// CAs are made once per (issuer CN, chain) and shared, as every Let's
/// Encrypt certificate of a cluster shares its intermediate.
fn ca_for(issuer: &str, chain: u8, now: Timestamp) -> OsslResult<Ca> {
    static CAS: OnceLock<Mutex<HashMap<(String, u8), Ca>>> = OnceLock::new();
    let cache = CAS.get_or_init(|| Mutex::new(HashMap::new()));
    let key = (issuer.to_string(), chain);
    if let Some(ca) = cache.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
        return Ok(ca.clone());
    }
    let years = |y: i64| SignedDuration::from_hours(24 * 365 * y);
    let from = now.checked_sub(years(5)).unwrap_or(now);
    let until = now.checked_add(years(5)).unwrap_or(now);
    let ca_key = new_key()?;
    let ca_name = name(issuer, Some(CA_ORG))?;
    let ca = if chain == 2 {
        let root_key = new_key()?;
        let root_name = name(ROOT_CN, Some("Internet Security Research Group"))?;
        let root = build(Cert {
            subject: &root_name,
            key: &root_key,
            signer: None,
            not_before: from,
            not_after: until,
            ca: true,
            dns_names: &[],
        })?;
        let cert = build(Cert {
            subject: &ca_name,
            key: &ca_key,
            signer: Some((&root, &root_key)),
            not_before: from,
            not_after: until,
            ca: true,
            dns_names: &[],
        })?;
        Ca {
            cert,
            key: ca_key,
            root: Some(root),
        }
    } else {
        let cert = build(Cert {
            subject: &ca_name,
            key: &ca_key,
            signer: None,
            not_before: from,
            not_after: until,
            ca: true,
            dns_names: &[],
        })?;
        Ca {
            cert,
            key: ca_key,
            root: None,
        }
    };
    cache
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(key, ca.clone());
    Ok(ca)
}

fn pem(cert: &X509) -> OsslResult<String> {
    Ok(String::from_utf8_lossy(&cert.to_pem()?).into_owned())
}

fn generate(spec: &Spec, now: Timestamp) -> OsslResult<BTreeMap<String, String>> {
    let key = new_key()?;
    let subject = name(&spec.cn, None)?;
    let (tls_crt, ca_crt) = if spec.self_signed {
        let leaf = build(Cert {
            subject: &subject,
            key: &key,
            signer: None,
            not_before: spec.not_before,
            not_after: spec.not_after,
            ca: false,
            dns_names: &spec.dns_names,
        })?;
        let p = pem(&leaf)?;
        (p.clone(), p)
    } else {
        let ca = ca_for(&spec.issuer, spec.chain, now)?;
        let leaf = build(Cert {
            subject: &subject,
            key: &key,
            signer: Some((&ca.cert, &ca.key)),
            not_before: spec.not_before,
            not_after: spec.not_after,
            ca: false,
            dns_names: &spec.dns_names,
        })?;
        match &ca.root {
            Some(root) => (format!("{}{}", pem(&leaf)?, pem(&ca.cert)?), pem(root)?),
            None => (pem(&leaf)?, pem(&ca.cert)?),
        }
    };
    let key_pem = key.private_key_to_pem_pkcs8()?;
    let mut data = BTreeMap::new();
    data.insert("tls.crt".to_string(), B64.encode(tls_crt));
    data.insert("tls.key".to_string(), B64.encode(key_pem));
    data.insert("ca.crt".to_string(), B64.encode(ca_crt));
    Ok(data)
}

/// The `data` of a `kubernetes.io/tls` Secret (base64 values of `tls.crt`,
/// `tls.key`, `ca.crt`) for an annotation value such as
/// `notAfter=+10d dnsNames=blog.home.lab cn=blog.home.lab issuer=R11 chain=2`.
pub fn generate_tls_secret_data(spec: &str) -> Result<BTreeMap<String, String>, SimError> {
    let err = |message: String| SimError::CertGen {
        spec: spec.to_string(),
        message,
    };
    let now = Timestamp::now();
    let parsed = parse_spec(spec, now).map_err(err)?;
    generate(&parsed, now).map_err(|e| err(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Timestamp {
        "2026-01-01T00:00:00Z"
            .parse()
            .unwrap_or(Timestamp::UNIX_EPOCH)
    }

    #[test]
    fn parses_specs() {
        let s = parse_spec("notBefore=-30d notAfter=+10d dnsNames=a.lab,b.lab", now());
        let Ok(s) = s else {
            panic!("{s:?}");
        };
        assert_eq!(s.cn, "a.lab");
        assert_eq!(s.dns_names, vec!["a.lab", "b.lab"]);
        assert_eq!(s.issuer, "R11");
        assert_eq!(s.not_after.as_second() - now().as_second(), 10 * 86_400);
        assert_eq!(s.not_before.as_second() - now().as_second(), -30 * 86_400);
        let s = parse_spec("cn=x notAfter=+2h", now());
        assert!(s.is_ok_and(|s| s.dns_names == vec!["x"]
            && s.not_after.as_second() - s.not_before.as_second() == 90 * 86_400));
        for bad in [
            "notAfter=+10x",
            "notAfter=+10é",
            "notAfter=-",
            "chain=3",
            "bogus=1",
            "notAfter",
            "notAfter=+1d",
            "cn=x notBefore=+1d notAfter=-1d",
            "cn=x notAfter=+99999999999999d",
        ] {
            assert!(parse_spec(bad, now()).is_err(), "{bad}");
        }
    }

    #[test]
    fn generates_chains() {
        let data = generate_tls_secret_data("cn=a.lab notAfter=+1d chain=2 issuer=R10");
        let Ok(data) = data else {
            panic!("{data:?}");
        };
        let crt = B64.decode(&data["tls.crt"]).unwrap_or_default();
        let certs = X509::stack_from_pem(&crt).unwrap_or_default();
        assert_eq!(certs.len(), 2);
        let ok = certs[1]
            .public_key()
            .and_then(|k| certs[0].verify(&k))
            .unwrap_or(false);
        assert!(ok, "leaf signed by the intermediate");
        let bad = generate_tls_secret_data("cn=a.lab chain=7");
        assert!(matches!(bad, Err(SimError::CertGen { .. })));
    }
}

//! The leaf of a `tls.crt` chain, read with a real X.509 parser.

use x509_parser::extensions::GeneralName;
use x509_parser::pem::Pem;
use x509_parser::prelude::X509Certificate;
use x509_parser::x509::X509Name;

/// What a TLS secret's certificate says (its leaf, plus the chain length).
#[derive(Debug, Clone, PartialEq)]
pub struct CertInfo {
    /// The subject's CN, or the full DN when it has none.
    pub subject: String,
    /// DNS names, IP addresses, emails and URIs of the subjectAltName.
    pub sans: Vec<String>,
    /// The issuer's CN, or its full DN when it has none.
    pub issuer: String,
    /// Epoch seconds.
    pub not_before: i64,
    /// Epoch seconds.
    pub not_after: i64,
    /// Certificates in the PEM text (leaf included).
    pub chain_len: usize,
    /// The leaf's subject and issuer are the same name.
    pub self_signed: bool,
}

/// Parse a `tls.crt` value (PEM text, possibly several blocks; the leaf is
/// the first). Errors in plain words: "not PEM data", "empty certificate
/// chain", "PEM block 1 is not an X.509 certificate: ...".
pub fn parse_chain(pem: &[u8]) -> Result<CertInfo, String> {
    if pem.iter().all(u8::is_ascii_whitespace) {
        return Err("empty certificate chain".to_string());
    }
    if !pem.windows(11).any(|window| window == b"-----BEGIN ") {
        return Err("not PEM data".to_string());
    }
    let mut blocks = Vec::new();
    for (index, block) in Pem::iter_from_buffer(pem).enumerate() {
        let number = index + 1;
        let block = block.map_err(|error| format!("PEM block {number} is damaged: {error}"))?;
        if block.label == "CERTIFICATE" || block.label == "TRUSTED CERTIFICATE" {
            blocks.push((number, block));
        } else if number == 1 {
            // A key or a CSR where the certificate belongs. Later blocks
            // that are not certificates (a key appended by hand) are skipped.
            return Err(format!(
                "PEM block 1 is not an X.509 certificate: it is a {}",
                block.label
            ));
        }
    }
    let mut leaf = None;
    for (number, block) in &blocks {
        let parsed = block
            .parse_x509()
            .map_err(|error| format!("PEM block {number} is not an X.509 certificate: {error}"))?;
        if leaf.is_none() {
            leaf = Some(parsed);
        }
    }
    let Some(leaf) = leaf else {
        return Err("empty certificate chain".to_string());
    };
    Ok(info(&leaf, blocks.len()))
}

fn info(leaf: &X509Certificate<'_>, chain_len: usize) -> CertInfo {
    let validity = leaf.validity();
    let sans = match leaf.subject_alternative_name() {
        Ok(Some(extension)) => extension
            .value
            .general_names
            .iter()
            .filter_map(general_name)
            .collect(),
        _ => Vec::new(),
    };
    CertInfo {
        subject: name(leaf.subject()),
        sans,
        issuer: name(leaf.issuer()),
        not_before: validity.not_before.timestamp(),
        not_after: validity.not_after.timestamp(),
        chain_len,
        self_signed: leaf.subject().as_raw() == leaf.issuer().as_raw(),
    }
}

fn name(name: &X509Name<'_>) -> String {
    name.iter_common_name()
        .next()
        .and_then(|cn| cn.as_str().ok())
        .map(str::to_string)
        .unwrap_or_else(|| name.to_string())
}

fn general_name(name: &GeneralName<'_>) -> Option<String> {
    match name {
        GeneralName::DNSName(dns) => Some((*dns).to_string()),
        GeneralName::RFC822Name(email) => Some((*email).to_string()),
        GeneralName::URI(uri) => Some((*uri).to_string()),
        GeneralName::IPAddress(bytes) => ip(bytes),
        _ => None,
    }
}

fn ip(bytes: &[u8]) -> Option<String> {
    if let Ok(octets) = <[u8; 4]>::try_from(bytes) {
        return Some(std::net::Ipv4Addr::from(octets).to_string());
    }
    if let Ok(octets) = <[u8; 16]>::try_from(bytes) {
        return Some(std::net::Ipv6Addr::from(octets).to_string());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_errors() {
        assert_eq!(parse_chain(b""), Err("empty certificate chain".to_string()));
        assert_eq!(
            parse_chain(b" \n"),
            Err("empty certificate chain".to_string())
        );
        assert_eq!(parse_chain(b"hello"), Err("not PEM data".to_string()));
        assert_eq!(
            parse_chain(&[0xff, 0xfe, 0x00, 0x01]),
            Err("not PEM data".to_string())
        );
        let garbage = b"-----BEGIN CERTIFICATE-----\naGVsbG8=\n-----END CERTIFICATE-----\n";
        let error = parse_chain(garbage).unwrap_err();
        assert!(
            error.starts_with("PEM block 1 is not an X.509 certificate"),
            "{error}"
        );
    }
}

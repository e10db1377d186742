//! Kubernetes resource quantities ("250m", "128Mi", "1.5", "2e3") as f64.

pub(crate) fn parse(s: &str) -> Option<f64> {
    let s = s.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-' || c == '+'))
        .unwrap_or(s.len());
    let (num, suffix) = s.split_at(split);
    let n: f64 = num.parse().ok()?;
    let mult = match suffix {
        "" => 1.0,
        "n" => 1e-9,
        "u" => 1e-6,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        "Ki" => 1024.0,
        "Mi" => 1024.0 * 1024.0,
        "Gi" => 1024.0 * 1024.0 * 1024.0,
        "Ti" => 1024f64.powi(4),
        "Pi" => 1024f64.powi(5),
        "Ei" => 1024f64.powi(6),
        e if e.starts_with(['e', 'E']) => 10f64.powi(e[1..].parse().ok()?),
        _ => return None,
    };
    Some(n * mult)
}

/// CPU as metrics-server reports it: nanocores.
pub(crate) fn cpu(cores: f64) -> String {
    format!("{}n", (cores * 1e9).max(0.0).round() as u64)
}

/// Memory as metrics-server reports it: kibibytes.
pub(crate) fn memory(bytes: f64) -> String {
    format!("{}Ki", (bytes / 1024.0).max(0.0).round() as u64)
}

#[cfg(test)]
mod tests {
    #[test]
    fn parses() {
        assert_eq!(super::parse("250m"), Some(0.25));
        assert_eq!(super::parse("128Mi"), Some(134_217_728.0));
        assert_eq!(super::parse("2e3"), Some(2000.0));
        assert_eq!(super::parse("1.5"), Some(1.5));
        assert_eq!(super::parse("x"), None);
    }
}

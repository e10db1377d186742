//! Kubernetes resource quantities ("250m", "1.5Gi", "2e3") as plain numbers.

/// CPU in millicores. Returns `None` for a string that is not a quantity.
pub fn cpu_millis(quantity: &str) -> Option<u64> {
    parse(quantity).map(|value| (value * 1000.0).round().max(0.0) as u64)
}

/// Memory (or any byte quantity) in bytes.
pub fn bytes(quantity: &str) -> Option<u64> {
    parse(quantity).map(|value| value.round().max(0.0) as u64)
}

/// The quantity as a float in base units.
fn parse(quantity: &str) -> Option<f64> {
    let text = quantity.trim();
    if text.is_empty() {
        return None;
    }
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '+' || c == '-'))
        .unwrap_or(text.len());
    let (number, suffix) = text.split_at(split);
    let number: f64 = number.parse().ok()?;
    let multiplier = match suffix {
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
        "Ti" => 1024.0_f64.powi(4),
        "Pi" => 1024.0_f64.powi(5),
        "Ei" => 1024.0_f64.powi(6),
        exponent if exponent.starts_with(['e', 'E']) => {
            let power: i32 = exponent[1..].parse().ok()?;
            10f64.powi(power)
        }
        _ => return None,
    };
    Some(number * multiplier)
}

/// "250m" style text for millicores, as k9s prints CPU.
pub fn format_cpu(millis: u64) -> String {
    format!("{millis}m")
}

/// "123Mi" style text for bytes, as k9s prints MEM.
pub fn format_mem(bytes: u64) -> String {
    const MI: u64 = 1024 * 1024;
    const GI: u64 = 1024 * MI;
    if bytes >= 10 * GI {
        format!("{}Gi", bytes / GI)
    } else {
        format!("{}Mi", bytes.div_ceil(MI))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_cpu_forms() {
        assert_eq!(cpu_millis("250m"), Some(250));
        assert_eq!(cpu_millis("2"), Some(2000));
        assert_eq!(cpu_millis("0.5"), Some(500));
        assert_eq!(cpu_millis("1500000n"), Some(2));
        assert_eq!(cpu_millis("12345678n"), Some(12));
        assert_eq!(cpu_millis("nonsense"), None);
        assert_eq!(cpu_millis(""), None);
    }

    #[test]
    fn parses_memory_forms() {
        assert_eq!(bytes("128Mi"), Some(128 * 1024 * 1024));
        assert_eq!(bytes("1Gi"), Some(1 << 30));
        assert_eq!(bytes("16336584Ki"), Some(16336584 * 1024));
        assert_eq!(bytes("1e3"), Some(1000));
        assert_eq!(bytes("500M"), Some(500_000_000));
        assert_eq!(bytes("12Qi"), None);
    }

    #[test]
    fn formats_like_k9s() {
        assert_eq!(format_cpu(12), "12m");
        assert_eq!(format_mem(45 * 1024 * 1024), "45Mi");
        assert_eq!(format_mem(12 * 1024 * 1024 * 1024), "12Gi");
    }
}

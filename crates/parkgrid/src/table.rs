//! Plain-text tables for the terminal.

/// Renders `rows` under `headers`, columns padded; cells that look numeric are right-aligned.
pub fn render(headers: &[&str], rows: &[Vec<String>]) -> String {
    let n = headers.len();
    let mut width: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate().take(n) {
            width[i] = width[i].max(cell.chars().count());
        }
    }
    let numeric = |s: &str| {
        let t = s.replace([',', '.', '-'], "");
        !t.is_empty() && t.chars().all(|c| c.is_ascii_digit())
    };
    let mut out = String::new();
    let line = |cells: &mut dyn Iterator<Item = (usize, &str)>, out: &mut String| {
        let mut parts = Vec::new();
        for (i, cell) in cells {
            let pad = width[i].saturating_sub(cell.chars().count());
            if numeric(cell) && i > 0 {
                parts.push(format!("{}{cell}", " ".repeat(pad)));
            } else {
                parts.push(format!("{cell}{}", " ".repeat(pad)));
            }
        }
        out.push_str("  ");
        out.push_str(parts.join("  ").trim_end());
        out.push('\n');
    };
    line(&mut headers.iter().copied().enumerate(), &mut out);
    let rule: Vec<String> = width.iter().map(|w| "-".repeat(*w)).collect();
    out.push_str("  ");
    out.push_str(&rule.join("  "));
    out.push('\n');
    for row in rows {
        line(&mut row.iter().map(String::as_str).enumerate(), &mut out);
    }
    out
}

/// `12345.6` → `"12,346"`: whole units with thousands separators.
pub fn thousands(v: f64) -> String {
    let rounded = v.round();
    let neg = rounded < 0.0;
    let digits = format!("{:.0}", rounded.abs());
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    if neg { format!("-{out}") } else { out }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_groups_digits() {
        assert_eq!(thousands(0.4), "0");
        assert_eq!(thousands(999.6), "1,000");
        assert_eq!(thousands(6_000_000.0), "6,000,000");
        assert_eq!(thousands(-12_345.0), "-12,345");
    }

    #[test]
    fn tables_align() {
        let t = render(&["id", "kW"], &[vec!["pv".into(), "6,000".into()], vec!["battery".into(), "40".into()]]);
        assert_eq!(t, "  id          kW\n  -------  -----\n  pv       6,000\n  battery     40\n");
    }
}

//! Plain-text tables for the terminal.

/// Renders `rows` under `headers`, columns padded; columns whose cells are all numbers are
/// right-aligned.
pub fn render(headers: &[&str], rows: &[Vec<String>]) -> String {
    let n = headers.len();
    let mut width: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    let numeric_cell = |s: &str| {
        let t = s.replace([',', '.', '-'], "");
        !t.is_empty() && t.chars().all(|c| c.is_ascii_digit())
    };
    let mut numeric = vec![!rows.is_empty(); n];
    for row in rows {
        for (i, cell) in row.iter().enumerate().take(n) {
            width[i] = width[i].max(cell.chars().count());
            numeric[i] &= cell.is_empty() || numeric_cell(cell);
        }
    }
    let line = |cells: Vec<&str>| {
        let parts: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(i, cell)| {
                let pad = " ".repeat(width[i].saturating_sub(cell.chars().count()));
                if numeric[i] {
                    format!("{pad}{cell}")
                } else {
                    format!("{cell}{pad}")
                }
            })
            .collect();
        format!("  {}\n", parts.join("  ").trim_end())
    };
    let mut out = line(headers.to_vec());
    let rule: Vec<String> = width.iter().map(|w| "-".repeat(*w)).collect();
    out.push_str(&line(rule.iter().map(String::as_str).collect()));
    for row in rows {
        out.push_str(&line(row.iter().map(String::as_str).collect()));
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
        let t = render(
            &["id", "kW"],
            &[
                vec!["pv".into(), "6,000".into()],
                vec!["battery".into(), "40".into()],
            ],
        );
        assert_eq!(
            t,
            "  id          kW\n  -------  -----\n  pv       6,000\n  battery     40\n"
        );
    }
}

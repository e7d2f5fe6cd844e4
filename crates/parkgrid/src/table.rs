//! Plain-text tables for the terminal.

use parkgrid_engine::table::Table;

/// Renders the table's rows under its headers, columns padded; columns whose cells are all
/// numbers are right-aligned. Signs are ASCII (`−` becomes `-`), as terminals and `grep` expect.
pub fn render(table: &Table) -> String {
    let (headers, rows) = (&table.headers, &table.rows);
    let n = headers.len();
    let mut width: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    let numeric_cell = |s: &str| {
        let t = s.replace([',', '.', '-', '−', '+'], "");
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
    let mut out = line(headers.clone());
    let rule: Vec<String> = width.iter().map(|w| "-".repeat(*w)).collect();
    out.push_str(&line(rule.iter().map(String::as_str).collect()));
    for row in rows {
        out.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    out.replace('−', "-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align() {
        let t = render(&Table {
            headers: vec!["id", "kW"],
            rows: vec![
                vec!["pv".into(), "6,000".into()],
                vec!["battery".into(), "40".into()],
            ],
        });
        assert_eq!(
            t,
            "  id          kW\n  -------  -----\n  pv       6,000\n  battery     40\n"
        );
    }
}

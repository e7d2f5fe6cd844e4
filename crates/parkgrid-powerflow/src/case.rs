//! MATPOWER case files (`.m`): `baseMVA`, `bus`, `gen` and `branch`; other fields (`gencost`,
//! `bus_name`, …) are skipped. The statements MATPOWER's `case33bw.m` ends with — branch impedances
//! from ohms to per unit and loads from kW to MW — are recognised and applied; any other MATLAB
//! statement is an error, so a case is never silently misread.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::fmt;

/// Bus types of MATPOWER.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BusType {
    /// Load bus (P and Q given).
    Pq,
    /// Generator bus (P and |V| given).
    Pv,
    /// Reference (slack) bus.
    Ref,
    /// Isolated bus (left out).
    Isolated,
}

/// A bus row.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseBus {
    /// Bus number in the file.
    pub id: u32,
    /// Type.
    pub kind: BusType,
    /// Real demand, MW.
    pub pd_mw: f64,
    /// Reactive demand, MVAr.
    pub qd_mvar: f64,
    /// Shunt conductance, MW at 1 p.u.
    pub gs_mw: f64,
    /// Shunt susceptance, MVAr at 1 p.u.
    pub bs_mvar: f64,
    /// Voltage magnitude, p.u.
    pub vm_pu: f64,
    /// Voltage angle, degrees.
    pub va_deg: f64,
    /// Base voltage, kV.
    pub base_kv: f64,
    /// Voltage band, p.u. (MATPOWER's `Vmin`, `Vmax`).
    pub v_band_pu: (f64, f64),
}

/// A generator row.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseGen {
    /// Bus number.
    pub bus: u32,
    /// Real output, MW.
    pub pg_mw: f64,
    /// Reactive output, MVAr.
    pub qg_mvar: f64,
    /// Reactive limits, MVAr.
    pub qmax_mvar: f64,
    /// Reactive limits, MVAr.
    pub qmin_mvar: f64,
    /// Voltage set-point, p.u.
    pub vg_pu: f64,
    /// In service.
    pub in_service: bool,
    /// Largest real output, MW (MATPOWER's `PMAX`; 0 or less: no limit known). Used only to
    /// tell whether an island's own generation can carry its load.
    pub pmax_mw: f64,
}

/// A branch row (line or transformer).
#[derive(Debug, Clone, PartialEq)]
pub struct CaseBranch {
    /// From bus number.
    pub from: u32,
    /// To bus number.
    pub to: u32,
    /// Resistance, p.u.
    pub r_pu: f64,
    /// Reactance, p.u.
    pub x_pu: f64,
    /// Total line charging susceptance, p.u.
    pub b_pu: f64,
    /// Long-term rating, MVA (0 = unlimited).
    pub rate_a_mva: f64,
    /// Off-nominal tap ratio (0 in the file means 1).
    pub ratio: f64,
    /// Phase shift, degrees.
    pub shift_deg: f64,
    /// In service.
    pub in_service: bool,
}

/// A DC bus (MATACDC `busdc`).
#[derive(Debug, Clone, PartialEq)]
pub struct DcBus {
    /// DC bus number in the file.
    pub id: u32,
    /// DC load, MW (consumption positive; PowerModelsACDC's `Pdc`).
    pub p_load_mw: f64,
    /// Voltage, p.u. of `base_kv`: the start, and the set-point of a DC-slack converter's bus.
    pub vdc_pu: f64,
    /// Base voltage, kV (pole to ground).
    pub base_kv: f64,
    /// Voltage band, p.u. (`Vdcmin`, `Vdcmax`).
    pub v_band_pu: (f64, f64),
}

/// A DC branch (MATACDC `branchdc`).
#[derive(Debug, Clone, PartialEq)]
pub struct DcBranch {
    /// From DC bus number.
    pub from: u32,
    /// To DC bus number.
    pub to: u32,
    /// Resistance of one pole conductor, p.u. on (baseMVA, basekVdc).
    pub r_pu: f64,
    /// Rating, MW (0 = unlimited).
    pub rate_a_mw: f64,
    /// In service.
    pub in_service: bool,
}

/// DC-side control of a converter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DcControl {
    /// Constant active power (`P_g` into the AC grid).
    Power,
    /// DC slack: holds its DC bus at the bus's voltage.
    Slack,
    /// Voltage droop around `pdcset_mw`, `vdcset_pu`.
    Droop,
}

/// AC-side control of a converter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AcControl {
    /// Constant reactive power `Q_g`.
    Pq,
    /// Holds its AC bus at `vtar_pu`.
    Pv,
}

/// A voltage-source converter station (MATACDC `convdc`): AC bus –(transformer)– filter bus
/// (shunt filter) –(phase reactor)– converter; losses `a + b·I + c·I²`.
#[derive(Debug, Clone, PartialEq)]
pub struct Converter {
    /// DC bus number.
    pub busdc: u32,
    /// AC bus number.
    pub busac: u32,
    /// DC-side control.
    pub dc_control: DcControl,
    /// AC-side control.
    pub ac_control: AcControl,
    /// Active power into the AC grid, MW (negative: rectifier, AC → DC).
    pub p_mw: f64,
    /// Reactive power into the AC grid, MVAr (PQ control).
    pub q_mvar: f64,
    /// AC voltage set-point, p.u. (PV control).
    pub vtar_pu: f64,
    /// Converter transformer impedance, p.u. on the system base (zero when absent).
    pub z_tf_pu: (f64, f64),
    /// Filter susceptance, p.u. (zero when absent).
    pub b_filter_pu: f64,
    /// Phase reactor impedance, p.u. (zero when absent).
    pub z_c_pu: (f64, f64),
    /// AC base voltage, kV (for the loss coefficients).
    pub base_kv_ac: f64,
    /// Converter voltage limits, p.u.
    pub vm_max_pu: f64,
    /// Converter voltage limits, p.u.
    pub vm_min_pu: f64,
    /// Current limit, p.u. on the system base.
    pub i_max_pu: f64,
    /// In service.
    pub in_service: bool,
    /// No-load loss, MW.
    pub loss_a_mw: f64,
    /// Linear loss coefficient, kV (MW per kA).
    pub loss_b_kv: f64,
    /// Quadratic loss coefficient as a rectifier (AC → DC), Ω.
    pub loss_c_rec_ohm: f64,
    /// Quadratic loss coefficient as an inverter (DC → AC), Ω.
    pub loss_c_inv_ohm: f64,
    /// Droop constant, p.u. voltage per p.u. power.
    pub droop: f64,
    /// Droop power set-point, MW drawn from the DC bus (> 0: DC → AC).
    pub pdcset_mw: f64,
    /// Droop voltage set-point, p.u.
    pub vdcset_pu: f64,
    /// Droop dead band, p.u.
    pub dvdcset_pu: f64,
}

/// A power-flow case.
#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    /// System base, MVA.
    pub base_mva: f64,
    /// Buses.
    pub buses: Vec<CaseBus>,
    /// Generators.
    pub gens: Vec<CaseGen>,
    /// Branches.
    pub branches: Vec<CaseBranch>,
    /// Poles of the DC grids: 1 (monopole) or 2 (bipole / symmetric monopole: P = 2·V·I).
    pub dcpol: u8,
    /// DC buses (empty for an AC case).
    pub dc_buses: Vec<DcBus>,
    /// DC branches.
    pub dc_branches: Vec<DcBranch>,
    /// Converters between the AC and the DC buses.
    pub converters: Vec<Converter>,
    /// DC/DC converters (not in MATACDC files; from a park): each holds the voltage of its `to`
    /// bus and draws what that side needs from its `from` bus, through its efficiency.
    pub dcdc: Vec<DcDcConverter>,
}

/// A DC/DC converter between two DC buses.
#[derive(Debug, Clone, PartialEq)]
pub struct DcDcConverter {
    /// DC bus it draws from (forward direction).
    pub from: u32,
    /// DC bus whose voltage it holds.
    pub to: u32,
    /// Efficiency from `from` to `to`.
    pub eta_forward: f64,
    /// Efficiency from `to` to `from`.
    pub eta_reverse: f64,
    /// Rated power, MW (for loading).
    pub p_rated_mw: f64,
    /// In service.
    pub in_service: bool,
}

/// A malformed case file.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct CaseError {
    /// The file.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// A numeric matrix as read: its values row after row in one array (a 10,000-bus case has
/// about 400,000), each row's end in `values` and the line it was read from.
#[derive(Default)]
struct Matrix {
    values: Vec<f64>,
    ends: Vec<usize>,
    lines: Vec<usize>,
}

impl Matrix {
    /// Each row with the line it was read from.
    fn rows(&self) -> impl Iterator<Item = (usize, &[f64])> {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        self.lines
            .iter()
            .zip(starts.zip(&self.ends))
            .map(|(&ln, (a, &b))| (ln, &self.values[a..b]))
    }
}

/// MATLAB's lexical rules, as far as case files use them, applied before parsing: `%` and `#`
/// comments (not inside strings), `%{ … %}` block comments (each marker alone on its line), `...`
/// continuation (the rest of the line is a comment), and several statements on one line separated
/// by `;` or `,` outside brackets and strings. Returns one logical line per statement (or per
/// physical line inside brackets, where rows are), each with the number of the physical line it
/// starts on; a statement keeps its `;`.
fn logical_lines(text: &str) -> Vec<(usize, Cow<'_, str>)> {
    // A statement or matrix row per line, as case files are written.
    let mut out: Vec<(usize, Cow<'_, str>)> =
        Vec::with_capacity(text.bytes().filter(|&b| b == b'\n').count() + 1);
    let mut block_comment = 0usize;
    let mut depth = 0i32;
    // The statement being built and the line it started on.
    let mut cur = String::new();
    let mut cur_line = 0usize;
    let mut continued = false;
    for (k, raw) in text.lines().enumerate() {
        let line_no = k + 1;
        let trimmed = raw.trim();
        if trimmed == "%{" || trimmed == "#{" {
            block_comment += 1;
            continue;
        }
        if block_comment > 0 {
            if trimmed == "%}" || trimmed == "#}" {
                block_comment -= 1;
            }
            continue;
        }
        if !continued {
            cur_line = line_no;
        }
        continued = false;
        // Scanned by bytes: every character the rules look at is ASCII, so slicing at those
        // bytes keeps UTF-8 intact; runs of other characters are copied whole.
        let bytes = raw.as_bytes();
        let mut in_string = false;
        // The current statement's text since the last separator is `raw[run..stop]`.
        let mut run = 0usize;
        let mut stop = bytes.len();
        let mut i = 0;
        while i < bytes.len() {
            if !in_string {
                // Skip to the next byte the rules care about.
                match bytes[i..].iter().position(|&b| SPECIAL[usize::from(b)]) {
                    Some(k) => i += k,
                    None => break,
                }
            }
            let ch = bytes[i];
            if in_string {
                if ch == b'\'' {
                    if bytes.get(i + 1) == Some(&b'\'') {
                        i += 2;
                        continue;
                    }
                    in_string = false;
                }
                i += 1;
                continue;
            }
            let special = match ch {
                b'%' | b'#' => {
                    stop = i;
                    break;
                }
                b'.' if bytes[i..].starts_with(b"...") => {
                    stop = i;
                    continued = true;
                    break;
                }
                b'\'' if opens_string(last_non_blank(&bytes[..i])) => {
                    in_string = true;
                    false
                }
                b'[' | b'(' | b'{' => {
                    depth += 1;
                    false
                }
                b']' | b')' | b'}' => {
                    depth -= 1;
                    false
                }
                b';' | b',' if depth <= 0 => true,
                _ => false,
            };
            if special {
                // A statement within one physical line is borrowed, `;` included.
                let end = if ch == b';' { i + 1 } else { i };
                if cur.is_empty() {
                    let piece = &raw[run..end];
                    if !piece.trim().is_empty() {
                        out.push((cur_line, Cow::Borrowed(piece)));
                    }
                } else {
                    cur.push_str(&raw[run..end]);
                    if !cur.trim().is_empty() {
                        out.push((cur_line, Cow::Owned(std::mem::take(&mut cur))));
                    }
                    cur.clear();
                }
                cur_line = line_no;
                run = i + 1;
            }
            i += 1;
        }
        let rest = &raw[run.min(stop)..stop];
        if continued {
            cur.push_str(rest);
            cur.push(' ');
            continue;
        }
        if cur.is_empty() {
            if !rest.trim().is_empty() {
                out.push((cur_line, Cow::Borrowed(rest)));
            }
        } else {
            cur.push_str(rest);
            if !cur.trim().is_empty() {
                out.push((cur_line, Cow::Owned(std::mem::take(&mut cur))));
            }
            cur.clear();
        }
    }
    if !cur.trim().is_empty() {
        out.push((cur_line, Cow::Owned(cur)));
    }
    out
}

/// The values of a matrix row: the pieces of `row` between ASCII white space and commas.
fn tokens(row: &str) -> impl Iterator<Item = &str> {
    let b = row.as_bytes();
    let sep = |c: u8| c.is_ascii_whitespace() || c == b',';
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < b.len() && sep(b[i]) {
            i += 1;
        }
        let start = i;
        while i < b.len() && !sep(b[i]) {
            i += 1;
        }
        // Both ends are at ASCII bytes (or the ends of `row`), so the slice is whole UTF-8.
        (start < i).then(|| &row[start..i])
    })
}

/// The bytes `logical_lines` stops at: comments, continuation, quotes, brackets and separators.
const SPECIAL: [bool; 256] = {
    let mut t = [false; 256];
    let set = b"%#.'[](){};,";
    let mut k = 0;
    while k < set.len() {
        t[set[k] as usize] = true;
        k += 1;
    }
    t
};

/// The last byte of `b` that is not ASCII white space (a space if none): what a quote follows,
/// which tells a transpose (`a'`) from a string (`'text'`).
fn last_non_blank(b: &[u8]) -> u8 {
    b.iter()
        .rev()
        .copied()
        .find(|c| !c.is_ascii_whitespace())
        .unwrap_or(b' ')
}

/// Whether a quote after the byte `prev` opens a string rather than transposing what precedes
/// it (MATLAB: a quote after a name, a number, a closing bracket, a quote or a dot transposes).
fn opens_string(prev: u8) -> bool {
    !(prev.is_ascii_alphanumeric()
        || prev >= 0x80
        || matches!(prev, b']' | b')' | b'}' | b'\'' | b'.' | b'_'))
}

fn compact(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

/// Parses MATPOWER case text; `file` names it in errors.
pub fn parse_matpower(file: &str, text: &str) -> Result<Case, CaseError> {
    let err = |line: usize, message: String| CaseError {
        file: file.to_string(),
        line,
        message,
    };
    let lines = logical_lines(text);
    let mut base_mva = None;
    let mut matrices: Vec<(String, usize, Matrix)> = Vec::new();
    let mut ohms_to_pu = false;
    let mut kw_to_mw = false;
    let mut dcpol = 2u8;
    let mut i = 0;
    while i < lines.len() {
        let code = lines[i].1.trim();
        let line_no = lines[i].0;
        i += 1;
        if code.is_empty() || code.starts_with("function") {
            continue;
        }
        let c = compact(code);
        if let Some(rest) = c.strip_prefix("mpc.baseMVA=") {
            let v = rest.trim_end_matches(';');
            base_mva = Some((
                line_no,
                v.parse::<f64>()
                    .map_err(|_| err(line_no, format!("baseMVA '{v}' is not a number")))?,
            ));
            continue;
        }
        if c.starts_with("mpc.version=") {
            continue;
        }
        if let Some(rest) = c
            .strip_prefix("mpc.dcpol=")
            .or_else(|| c.strip_prefix("mpc.pol="))
        {
            let v = rest.trim_end_matches(';');
            dcpol = match v {
                "1" => 1,
                "2" => 2,
                _ => return Err(err(line_no, format!("dcpol '{v}' is not 1 or 2"))),
            };
            continue;
        }
        if let Some((name, _)) = c.strip_prefix("mpc.").and_then(|r| r.split_once("=[")) {
            // The values after the bracket, from the statement as written (spaces separate them).
            let rest = code.find('[').map_or("", |p| &code[p + 1..]);
            // The matrix's text, logical line by logical line, up to its closing bracket.
            let mut rows_text: Vec<(usize, &str)> = Vec::new();
            let mut body: &str = rest;
            let mut cur_line = line_no;
            loop {
                if let Some(pos) = body.find(']') {
                    rows_text.push((cur_line, &body[..pos]));
                    break;
                }
                rows_text.push((cur_line, body));
                if i >= lines.len() {
                    return Err(err(
                        line_no,
                        format!("matrix mpc.{name} is not closed with ']'"),
                    ));
                }
                cur_line = lines[i].0;
                body = &lines[i].1;
                i += 1;
            }
            // At most one number per two bytes (a digit and a separator): reserved once, and
            // the pages never written are never touched.
            let mut m = Matrix {
                values: Vec::with_capacity(
                    rows_text
                        .iter()
                        .map(|(_, t)| t.len() / 2 + 1)
                        .sum::<usize>(),
                ),
                ends: Vec::with_capacity(rows_text.len()),
                lines: Vec::with_capacity(rows_text.len()),
            };
            for (ln, text) in rows_text {
                for row in text.split(';') {
                    let start = m.values.len();
                    for v in tokens(row) {
                        let x = match v {
                            "Inf" | "inf" => f64::INFINITY,
                            "-Inf" | "-inf" => f64::NEG_INFINITY,
                            _ => v.parse::<f64>().map_err(|_| {
                                err(ln, format!("mpc.{name}: '{v}' is not a number"))
                            })?,
                        };
                        m.values.push(x);
                    }
                    if m.values.len() > start {
                        m.ends.push(m.values.len());
                        m.lines.push(ln);
                    }
                }
            }
            matrices.push((name.to_string(), line_no, m));
            continue;
        }
        if c.starts_with("mpc.") && c.contains("={") {
            // A cell array (bus names): skip to its closing brace.
            while !lines[i - 1].1.contains('}') && i < lines.len() {
                i += 1;
            }
            continue;
        }
        // The post-processing statements of case33bw.m (and of other distribution cases).
        if c.ends_with("=idx_bus;")
            || c.ends_with("=idx_brch;")
            || c.ends_with("=idx_gen;")
            || c.starts_with('[')
        {
            // Index definitions, possibly continued with '...' over several lines.
            let mut cur = c.clone();
            while cur.ends_with("...") && i < lines.len() {
                cur = compact(&lines[i].1);
                i += 1;
            }
            continue;
        }
        if c == "Vbase=mpc.bus(1,BASE_KV)*1e3;" || c == "Sbase=mpc.baseMVA*1e6;" {
            continue;
        }
        if c == "mpc.branch(:,[BR_RBR_X])=mpc.branch(:,[BR_RBR_X])/(Vbase^2/Sbase);" {
            ohms_to_pu = true;
            continue;
        }
        if c == "mpc.bus(:,[PD,QD])=mpc.bus(:,[PD,QD])/1e3;" {
            kw_to_mw = true;
            continue;
        }
        // Other scalar fields of the case (`mpc.note = 'from the 2019 survey';`,
        // `mpc.year = 2030;`): MATPOWER keeps and does not use them; neither does the power flow.
        if let Some((field, value)) = c.strip_prefix("mpc.").and_then(|r| r.split_once('=')) {
            let value = value.trim_end_matches(';');
            let name_ok = !field.is_empty()
                && field
                    .chars()
                    .all(|ch| ch.is_ascii_alphanumeric() || ch == '_');
            let string = value.len() >= 2
                && ((value.starts_with('\'') && value.ends_with('\''))
                    || (value.starts_with('"') && value.ends_with('"')));
            if name_ok && (string || value.parse::<f64>().is_ok()) {
                continue;
            }
        }
        return Err(err(
            line_no,
            format!("unsupported MATLAB statement '{code}'"),
        ));
    }
    let (base_mva_line, base_mva) =
        base_mva.ok_or_else(|| err(1, String::from("no mpc.baseMVA")))?;
    if !(base_mva > 0.0 && f64::is_finite(base_mva)) {
        return Err(err(
            base_mva_line,
            format!("baseMVA is {base_mva}; it must be a positive number"),
        ));
    }
    // Values that must be finite: everything but the limit columns, where MATPOWER files write
    // `Inf` (bus Vmax/Vmin, generator Qmax/Qmin/Pmax/Pmin and beyond, branch ratings and angle
    // limits).
    let finite_cols = |name: &str| -> &'static [usize] {
        match name {
            "bus" => &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
            "gen" => &[0, 1, 2, 5, 6, 7],
            "branch" => &[0, 1, 2, 3, 4, 8, 9, 10],
            _ => &[],
        }
    };
    for (name, _, m) in &matrices {
        let all = matches!(name.as_str(), "busdc" | "branchdc" | "convdc");
        for (ln, row) in m.rows() {
            for (c, v) in row.iter().enumerate() {
                if !v.is_finite() && (all || finite_cols(name).contains(&c)) {
                    return Err(err(
                        ln,
                        format!("mpc.{name} column {}: {v} is not a finite number", c + 1),
                    ));
                }
            }
        }
    }
    let take = |name: &str, min_cols: usize| -> Result<&Matrix, CaseError> {
        let (_, _, m) = matrices
            .iter()
            .find(|(n, _, _)| n == name)
            .ok_or_else(|| err(1, format!("no mpc.{name} matrix")))?;
        for (ln, row) in m.rows() {
            if row.len() < min_cols {
                return Err(err(
                    ln,
                    format!(
                        "mpc.{name} row has {} columns, needs at least {min_cols}",
                        row.len()
                    ),
                ));
            }
        }
        Ok(m)
    };
    let bus_id = |ln: usize, v: f64| bus_number(v).map_err(|m| err(ln, m));
    let mut buses = Vec::new();
    for (ln, r) in take("bus", 13)?.rows() {
        let kind = match r[1] as i64 {
            1 => BusType::Pq,
            2 => BusType::Pv,
            3 => BusType::Ref,
            4 => BusType::Isolated,
            t => {
                return Err(err(
                    ln,
                    format!("bus type {t} is not 1 (PQ), 2 (PV), 3 (ref) or 4 (isolated)"),
                ));
            }
        };
        let scale = if kw_to_mw { 1e-3 } else { 1.0 };
        buses.push(CaseBus {
            id: bus_id(ln, r[0])?,
            kind,
            pd_mw: r[2] * scale,
            qd_mvar: r[3] * scale,
            gs_mw: r[4],
            bs_mvar: r[5],
            vm_pu: r[7],
            va_deg: r[8],
            base_kv: r[9],
            v_band_pu: (r[12], r[11]),
        });
    }
    let mut first_line: HashMap<u32, usize> = HashMap::with_capacity(buses.len());
    for (b, (ln, _)) in buses.iter().zip(take("bus", 13)?.rows()) {
        if let Some(first) = first_line.insert(b.id, ln) {
            return Err(err(
                ln,
                format!(
                    "bus {} appears twice in mpc.bus (first on line {first})",
                    b.id
                ),
            ));
        }
    }
    // A reference to a bus the case does not have, named with its own line.
    let known = |ln: usize, v: f64, what: &str| -> Result<u32, CaseError> {
        let id = bus_id(ln, v)?;
        if first_line.contains_key(&id) {
            Ok(id)
        } else {
            Err(err(
                ln,
                format!("{what} names bus {id}, which is not in mpc.bus"),
            ))
        }
    };
    let mut gens = Vec::new();
    for (ln, r) in take("gen", 10)?.rows() {
        gens.push(CaseGen {
            bus: known(ln, r[0], "the generator")?,
            pg_mw: r[1],
            qg_mvar: r[2],
            qmax_mvar: r[3],
            qmin_mvar: r[4],
            vg_pu: r[5],
            in_service: r[7] > 0.0,
            pmax_mw: r[8],
        });
    }
    let z_base = if ohms_to_pu {
        let kv = buses.first().map_or(1.0, |b| b.base_kv);
        kv * kv / base_mva
    } else {
        1.0
    };
    let mut branches = Vec::new();
    for (ln, r) in take("branch", 11)?.rows() {
        let b = CaseBranch {
            from: known(ln, r[0], "the branch")?,
            to: known(ln, r[1], "the branch")?,
            r_pu: r[2] / z_base,
            x_pu: r[3] / z_base,
            b_pu: r[4],
            rate_a_mva: r[5],
            ratio: if r[8] == 0.0 { 1.0 } else { r[8] },
            shift_deg: r[9],
            in_service: r[10] > 0.0,
        };
        if b.in_service && b.r_pu == 0.0 && b.x_pu == 0.0 {
            return Err(err(ln, String::from("branch with zero impedance")));
        }
        branches.push(b);
    }
    let (dc_buses, dc_branches, converters) = dc_tables(&matrices, &err)?;
    let case = Case {
        base_mva,
        buses,
        gens,
        branches,
        dcpol,
        dc_buses,
        dc_branches,
        converters,
        dcdc: Vec::new(),
    };
    case.check(file)?;
    Ok(case)
}

/// The DC network of each DC bus — buses joined by in-service DC lines — named by its smallest
/// bus number.
pub(crate) fn dc_networks(buses: &[DcBus], branches: &[DcBranch]) -> BTreeMap<u32, u32> {
    let mut network: BTreeMap<u32, u32> = buses.iter().map(|b| (b.id, b.id)).collect();
    loop {
        let mut changed = false;
        for b in branches.iter().filter(|b| b.in_service) {
            let (Some(&f), Some(&t)) = (network.get(&b.from), network.get(&b.to)) else {
                continue;
            };
            if f != t {
                let low = f.min(t);
                for v in network.values_mut().filter(|v| **v == f || **v == t) {
                    *v = low;
                }
                changed = true;
            }
        }
        if !changed {
            return network;
        }
    }
}

/// A bus number from a matrix cell.
fn bus_number(v: f64) -> Result<u32, String> {
    if v.fract() == 0.0 && v >= 1.0 && v < f64::from(u32::MAX) {
        Ok(v as u32)
    } else {
        Err(format!("bus number {v} is not a positive integer"))
    }
}

type DcTables = (Vec<DcBus>, Vec<DcBranch>, Vec<Converter>);

/// The MATACDC / PowerModelsACDC tables, when present. Two layouts: MATACDC 1.0 (`busdc` with 9
/// columns, its second the AC bus of the converter; `convdc` without the AC bus) and
/// PowerModelsACDC (`busdc` with 8 columns; `convdc` with the AC bus second and the `islcc`,
/// `transformer`, `tm`, `filter` and `reactor` columns).
fn dc_tables(
    matrices: &[(String, usize, Matrix)],
    err: &dyn Fn(usize, String) -> CaseError,
) -> Result<DcTables, CaseError> {
    let find = |name: &str| matrices.iter().find(|(n, _, _)| n == name);
    let Some((_, _, busdc)) = find("busdc") else {
        if let Some((_, line, _)) = find("convdc").or_else(|| find("branchdc")) {
            return Err(err(*line, "DC tables without mpc.busdc".into()));
        }
        return Ok((Vec::new(), Vec::new(), Vec::new()));
    };
    let id = |ln: usize, v: f64| bus_number(v).map_err(|m| err(ln, m));
    let width = busdc.rows().next().map_or(8, |(_, r)| r.len());
    let matacdc = width >= 9;
    let mut dc_buses = Vec::new();
    let mut busac_of = BTreeMap::new();
    for (ln, r) in busdc.rows() {
        if r.len() != width || r.len() < 8 {
            return Err(err(
                ln,
                format!(
                    "mpc.busdc row has {} columns, needs 8 (PowerModelsACDC) or 9 (MATACDC)",
                    r.len()
                ),
            ));
        }
        let o = usize::from(matacdc);
        let bus = id(ln, r[0])?;
        if matacdc {
            busac_of.insert(bus, id(ln, r[1])?);
        }
        dc_buses.push(DcBus {
            id: bus,
            p_load_mw: r[2 + o],
            vdc_pu: r[3 + o],
            base_kv: r[4 + o],
            v_band_pu: (r[6 + o], r[5 + o]),
        });
    }
    let mut dc_branches = Vec::new();
    if let Some((_, _, m)) = find("branchdc") {
        for (ln, r) in m.rows() {
            if r.len() < 9 {
                return Err(err(
                    ln,
                    format!("mpc.branchdc row has {} columns, needs 9", r.len()),
                ));
            }
            let b = DcBranch {
                from: id(ln, r[0])?,
                to: id(ln, r[1])?,
                r_pu: r[2],
                rate_a_mw: r[5],
                in_service: r[8] > 0.0,
            };
            if b.in_service && b.r_pu <= 0.0 {
                return Err(err(ln, "DC branch without positive resistance".into()));
            }
            dc_branches.push(b);
        }
    }
    let mut converters = Vec::new();
    if let Some((_, _, m)) = find("convdc") {
        let need = if matacdc { 24 } else { 30 };
        for (ln, r) in m.rows() {
            if r.len() < need {
                return Err(err(
                    ln,
                    format!(
                        "mpc.convdc row has {} columns, needs at least {need} ({} layout)",
                        r.len(),
                        if matacdc {
                            "MATACDC"
                        } else {
                            "PowerModelsACDC"
                        }
                    ),
                ));
            }
            let busdc = id(ln, r[0])?;
            let dc_control = match r[if matacdc { 1 } else { 2 }] as i64 {
                1 => DcControl::Power,
                2 => DcControl::Slack,
                3 => DcControl::Droop,
                t => {
                    return Err(err(
                        ln,
                        format!("type_dc {t} is not 1 (P), 2 (slack) or 3 (droop)"),
                    ));
                }
            };
            let ac_control = match r[if matacdc { 2 } else { 3 }] as i64 {
                1 => AcControl::Pq,
                2 => AcControl::Pv,
                t => return Err(err(ln, format!("type_ac {t} is not 1 (PQ) or 2 (PV)"))),
            };
            let conv = if matacdc {
                let busac = *busac_of.get(&busdc).ok_or_else(|| {
                    err(
                        ln,
                        format!("converter at DC bus {busdc}, which is not in mpc.busdc"),
                    )
                })?;
                Converter {
                    busdc,
                    busac,
                    dc_control,
                    ac_control,
                    p_mw: r[3],
                    q_mvar: r[4],
                    vtar_pu: r[5],
                    z_tf_pu: (r[6], r[7]),
                    b_filter_pu: r[8],
                    z_c_pu: (r[9], r[10]),
                    base_kv_ac: r[11],
                    vm_max_pu: r[12],
                    vm_min_pu: r[13],
                    i_max_pu: r[14],
                    in_service: r[15] > 0.0,
                    loss_a_mw: r[16],
                    loss_b_kv: r[17],
                    loss_c_rec_ohm: r[18],
                    loss_c_inv_ohm: r[19],
                    droop: r[20],
                    pdcset_mw: r[21],
                    vdcset_pu: r[22],
                    dvdcset_pu: r[23],
                }
            } else {
                if r[6] != 0.0 {
                    return Err(err(
                        ln,
                        "line-commutated converters (islcc = 1) are not modelled".into(),
                    ));
                }
                if r[10] != 0.0 && r[11] != 1.0 {
                    return Err(err(
                        ln,
                        format!(
                            "converter transformer tap tm = {} (only 1 is modelled)",
                            r[11]
                        ),
                    ));
                }
                let on = |flag: f64, v: f64| if flag != 0.0 { v } else { 0.0 };
                Converter {
                    busdc,
                    busac: id(ln, r[1])?,
                    dc_control,
                    ac_control,
                    p_mw: r[4],
                    q_mvar: r[5],
                    vtar_pu: r[7],
                    z_tf_pu: (on(r[10], r[8]), on(r[10], r[9])),
                    b_filter_pu: on(r[13], r[12]),
                    z_c_pu: (on(r[16], r[14]), on(r[16], r[15])),
                    base_kv_ac: r[17],
                    vm_max_pu: r[18],
                    vm_min_pu: r[19],
                    i_max_pu: r[20],
                    in_service: r[21] > 0.0,
                    loss_a_mw: r[22],
                    loss_b_kv: r[23],
                    loss_c_rec_ohm: r[24],
                    loss_c_inv_ohm: r[25],
                    droop: r[26],
                    pdcset_mw: r[27],
                    vdcset_pu: r[28],
                    dvdcset_pu: r[29],
                }
            };
            if conv.dc_control == DcControl::Droop && conv.droop <= 0.0 {
                return Err(err(
                    ln,
                    "a droop converter needs a positive droop constant".into(),
                ));
            }
            converters.push(conv);
        }
    }
    Ok((dc_buses, dc_branches, converters))
}

impl Case {
    /// MATPOWER's conventions this case relies on, one sentence each, for the user to see:
    /// several in-service generators on one bus with different voltage set-points (the last
    /// generator's holds, as in MATPOWER), and reference or PV buses without an in-service
    /// generator (solved as PQ; the first PV bus takes a missing reference — `bustypes`), and
    /// voltage set-points that are not positive (the bus's case voltage, or 1 p.u., is held).
    pub fn notes(&self) -> Vec<String> {
        let mut notes = Vec::new();
        for g in self.gens.iter().filter(|g| g.in_service) {
            if !(g.vg_pu > 0.0 && g.vg_pu.is_finite()) {
                notes.push(format!(
                    "bus {}: a generator's voltage set-point is {} p.u.; where the bus holds its \
                     voltage, its case voltage (or 1 p.u.) is held instead",
                    g.bus, g.vg_pu
                ));
            }
        }
        // Each bus's in-service set-points in the case's order; the last holds (MATPOWER).
        let mut vgs: BTreeMap<u32, Vec<f64>> = BTreeMap::new();
        for g in self.gens.iter().filter(|g| g.in_service) {
            vgs.entry(g.bus).or_default().push(g.vg_pu);
        }
        for (bus, v) in &vgs {
            let last = v[v.len() - 1];
            if v.iter().any(|x| (x - last).abs() > 1e-9) {
                let all: Vec<String> = v.iter().map(f64::to_string).collect();
                notes.push(format!(
                    "bus {bus}: generators with voltage set-points {} p.u.; the last in-service \
                     generator's ({last}) holds, as in MATPOWER",
                    all.join(", ")
                ));
            }
        }
        let has_gen = |id: u32| vgs.contains_key(&id);
        let mut lost_ref = None;
        for b in &self.buses {
            match b.kind {
                BusType::Ref if !has_gen(b.id) => {
                    lost_ref.get_or_insert(b.id);
                }
                BusType::Pv if !has_gen(b.id) => notes.push(format!(
                    "bus {} is PV but has no generator in service: solved as PQ",
                    b.id
                )),
                _ => {}
            }
        }
        let has_ref = self
            .buses
            .iter()
            .any(|b| b.kind == BusType::Ref && has_gen(b.id));
        if let (Some(r), false) = (lost_ref, has_ref) {
            let new_ref = self
                .buses
                .iter()
                .find(|b| b.kind == BusType::Pv && has_gen(b.id))
                .map_or_else(|| String::from("no bus"), |b| format!("bus {}", b.id));
            notes.push(format!(
                "bus {r} is the reference but has no generator in service: it is solved as PQ \
                 and {new_ref} takes the reference (MATPOWER's bustypes)"
            ));
        }
        notes
    }

    /// Checks references between the tables.
    pub fn check(&self, file: &str) -> Result<(), CaseError> {
        let err = |message: String| CaseError {
            file: file.to_string(),
            line: 0,
            message,
        };
        if !(self.base_mva.is_finite() && self.base_mva > 0.0) {
            return Err(err(format!(
                "baseMVA is {}; it must be a positive number",
                self.base_mva
            )));
        }
        let mut ac_ids = std::collections::HashSet::with_capacity(self.buses.len());
        for b in &self.buses {
            if !ac_ids.insert(b.id) {
                return Err(err(format!("bus {} appears twice in mpc.bus", b.id)));
            }
        }
        let mut dc_ids = std::collections::HashSet::with_capacity(self.dc_buses.len());
        for b in &self.dc_buses {
            if !dc_ids.insert(b.id) {
                return Err(err(format!("DC bus {} appears twice in mpc.busdc", b.id)));
            }
        }
        let known = |id: u32| ac_ids.contains(&id);
        for b in &self.branches {
            for id in [b.from, b.to] {
                if !known(id) {
                    return Err(err(format!(
                        "branch {}–{} names bus {id}, which is not in mpc.bus",
                        b.from, b.to
                    )));
                }
            }
        }
        for g in &self.gens {
            if !known(g.bus) {
                return Err(err(format!(
                    "generator at bus {}, which is not in mpc.bus",
                    g.bus
                )));
            }
        }
        let known_dc = |id: u32| dc_ids.contains(&id);
        for b in &self.dc_branches {
            for id in [b.from, b.to] {
                if !known_dc(id) {
                    return Err(err(format!(
                        "DC branch {}–{} names DC bus {id}, which is not in mpc.busdc",
                        b.from, b.to
                    )));
                }
            }
        }
        for c in &self.dcdc {
            for id in [c.from, c.to] {
                if !known_dc(id) {
                    return Err(err(format!(
                        "DC/DC converter at DC bus {id}, which is not in the DC buses"
                    )));
                }
            }
        }
        for c in &self.converters {
            if !known_dc(c.busdc) {
                return Err(err(format!(
                    "converter at DC bus {}, which is not in mpc.busdc",
                    c.busdc
                )));
            }
            if !known(c.busac) {
                return Err(err(format!(
                    "converter at AC bus {}, which is not in mpc.bus",
                    c.busac
                )));
            }
        }
        if !self.buses.iter().any(|b| b.kind == BusType::Ref) {
            return Err(err(String::from("no reference bus (type 3)")));
        }
        Ok(())
    }
}

impl fmt::Display for Case {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} buses, {} generators, {} branches, base {} MVA",
            self.buses.len(),
            self.gens.len(),
            self.branches.len(),
            self.base_mva
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn statements(text: &str) -> Vec<(usize, String)> {
        logical_lines(text)
            .into_iter()
            .map(|(n, s)| (n, s.trim().to_string()))
            .collect()
    }

    #[test]
    fn logical_lines_follow_matlab_lexical_rules() {
        let text = "function mpc = c\n\
            mpc.a = 1; mpc.b = 'x%y', mpc.c = 2 % comment; not code\n\
            mpc.names = {'it''s'; 'né'}; # Octave\n\
            mpc.t = m'; mpc.u = [1 2]';\n\
            mpc.d = 1 + ... continued ; here\n\
            2;\n\
            %{\n\
            mpc.hidden = 3;\n\
            %}\n\
            mpc.bus = [\n\
            \t1\t2, 3;\t% first row\n\
            4 5 6;\n\
            ];\n";
        assert_eq!(
            statements(text),
            vec![
                (1, "function mpc = c".into()),
                (2, "mpc.a = 1;".into()),
                (2, "mpc.b = 'x%y'".into()),
                (2, "mpc.c = 2".into()),
                (3, "mpc.names = {'it''s'; 'né'};".into()),
                (4, "mpc.t = m';".into()),
                (4, "mpc.u = [1 2]';".into()),
                (5, "mpc.d = 1 +  2;".into()),
                (10, "mpc.bus = [".into()),
                (11, "1\t2, 3;".into()),
                (12, "4 5 6;".into()),
                (13, "];".into()),
            ]
        );
    }

    #[test]
    fn matrix_tokens_split_at_blanks_and_commas() {
        assert_eq!(
            tokens(" 1,2\t 3 ,, -Inf ").collect::<Vec<_>>(),
            ["1", "2", "3", "-Inf"]
        );
        assert_eq!(tokens(" \t ").count(), 0);
    }
}

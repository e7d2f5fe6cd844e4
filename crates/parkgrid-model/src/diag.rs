//! Diagnostics: what is wrong with a park file, where, and what to do about it.
//!
//! A [`Diagnostic`] names a [`FieldPath`] (`pv[0].bus`); the loader attaches the byte span of that
//! field in the source, and a [`Report`] turns spans into `file:line:column` and renders them.

use std::fmt;
use std::ops::Range;

use serde::Serialize;

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The park cannot be used as written.
    Error,
    /// The park can be used, but something looks unintended.
    Warning,
}

/// One step of a [`FieldPath`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Seg {
    /// A table key.
    Key(String),
    /// An array index.
    Index(usize),
}

/// Where in the park file a value lives, e.g. `pv[0].bus` or `tariff[1].period[3].hours[0]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct FieldPath(Vec<Seg>);

impl FieldPath {
    /// The document root.
    pub fn root() -> Self {
        Self::default()
    }

    /// This path extended by a table key.
    pub fn key(&self, key: impl Into<String>) -> Self {
        let mut segs = self.0.clone();
        segs.push(Seg::Key(key.into()));
        Self(segs)
    }

    /// This path extended by an array index.
    pub fn index(&self, idx: usize) -> Self {
        let mut segs = self.0.clone();
        segs.push(Seg::Index(idx));
        Self(segs)
    }

    /// The path one step up, or `None` at the root.
    pub fn parent(&self) -> Option<Self> {
        let (_, rest) = self.0.split_last()?;
        Some(Self(rest.to_vec()))
    }

    /// The segments of the path.
    pub fn segs(&self) -> &[Seg] {
        &self.0
    }

    /// True for the document root.
    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                Seg::Key(k) if i == 0 => write!(f, "{k}")?,
                Seg::Key(k) => write!(f, ".{k}")?,
                Seg::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

/// One finding about a park.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// The field the finding is about.
    pub path: FieldPath,
    /// What is wrong, in one sentence.
    pub message: String,
    /// What to do about it, when there is something specific to say.
    pub hint: Option<String>,
    /// Byte range in the source file, when the park came from a file.
    pub span: Option<Range<usize>>,
}

impl Diagnostic {
    /// An error at `path`.
    pub fn error(path: FieldPath, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Error,
            path,
            message: message.into(),
            hint: None,
            span: None,
        }
    }

    /// A warning at `path`.
    pub fn warning(path: FieldPath, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Warning,
            ..Self::error(path, message)
        }
    }

    /// The same finding with a hint.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// The same finding with a hint when there is one.
    pub fn with_hint_opt(mut self, hint: Option<String>) -> Self {
        self.hint = hint;
        self
    }

    /// The same finding at a known byte span.
    pub fn with_span(mut self, span: Range<usize>) -> Self {
        self.span = Some(span);
        self
    }
}

/// A source text with a line index, for turning byte offsets into line and column.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// The name to show, normally the path as the user gave it.
    pub name: String,
    /// The whole text.
    pub text: String,
    line_starts: Vec<usize>,
}

/// A position in a source file, 1-based, columns counted in characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LineCol {
    /// Line number, from 1.
    pub line: usize,
    /// Column number in characters, from 1.
    pub column: usize,
}

impl SourceFile {
    /// Index `text` under the display name `name`.
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        let text = text.into();
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Self {
            name: name.into(),
            text,
            line_starts,
        }
    }

    /// Line and column of a byte offset (clamped to the text).
    pub fn line_col(&self, offset: usize) -> LineCol {
        let offset = offset.min(self.text.len());
        let line_idx = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.line_starts[line_idx];
        let column = self
            .text
            .get(start..offset)
            .map_or(offset - start, |s| s.chars().count())
            + 1;
        LineCol {
            line: line_idx + 1,
            column,
        }
    }

    /// The text of line `line` (1-based), without its line break.
    pub fn line_text(&self, line: usize) -> &str {
        let Some(&start) = self.line_starts.get(line.saturating_sub(1)) else {
            return "";
        };
        let end = self
            .line_starts
            .get(line)
            .copied()
            .unwrap_or(self.text.len());
        self.text
            .get(start..end)
            .unwrap_or("")
            .trim_end_matches(['\n', '\r'])
    }
}

/// All findings about one park file.
#[derive(Debug, Clone)]
pub struct Report {
    /// The file the findings are about.
    pub source: SourceFile,
    /// Findings, ordered by position in the file (findings without a position last).
    pub diagnostics: Vec<Diagnostic>,
}

/// A diagnostic in the flat shape written by `--json`.
#[derive(Debug, Clone, Serialize)]
pub struct JsonDiagnostic<'a> {
    /// `error` or `warning`.
    pub severity: Severity,
    /// The file name.
    pub file: &'a str,
    /// 1-based line, when the finding has a position.
    pub line: Option<usize>,
    /// 1-based column in characters, when the finding has a position.
    pub column: Option<usize>,
    /// The field path, e.g. `pv[0].bus`.
    pub path: String,
    /// What is wrong.
    pub message: &'a str,
    /// What to do about it.
    pub hint: Option<&'a str>,
}

impl Report {
    /// A report on `source`; diagnostics are sorted by position.
    pub fn new(source: SourceFile, mut diagnostics: Vec<Diagnostic>) -> Self {
        diagnostics.sort_by_key(|d| (d.span.as_ref().map_or(usize::MAX, |s| s.start), d.severity));
        Self {
            source,
            diagnostics,
        }
    }

    /// Number of errors.
    pub fn n_errors(&self) -> usize {
        self.count(Severity::Error)
    }

    /// Number of warnings.
    pub fn n_warnings(&self) -> usize {
        self.count(Severity::Warning)
    }

    /// True when at least one finding is an error.
    pub fn has_errors(&self) -> bool {
        self.n_errors() > 0
    }

    fn count(&self, severity: Severity) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == severity)
            .count()
    }

    /// Position of a diagnostic, when it has one.
    pub fn locate(&self, diag: &Diagnostic) -> Option<LineCol> {
        diag.span.as_ref().map(|s| self.source.line_col(s.start))
    }

    /// The findings in the flat shape of `--json`.
    pub fn to_json(&self) -> Vec<JsonDiagnostic<'_>> {
        self.diagnostics
            .iter()
            .map(|d| {
                let pos = self.locate(d);
                JsonDiagnostic {
                    severity: d.severity,
                    file: &self.source.name,
                    line: pos.map(|p| p.line),
                    column: pos.map(|p| p.column),
                    path: d.path.to_string(),
                    message: &d.message,
                    hint: d.hint.as_deref(),
                }
            })
            .collect()
    }

    /// Renders every finding in the compiler style: message, `file:line:column (path)`, the source
    /// line with the span underlined, and the hint.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for d in &self.diagnostics {
            self.render_one(d, &mut out);
        }
        out
    }

    fn render_one(&self, d: &Diagnostic, out: &mut String) {
        use std::fmt::Write as _;
        let label = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let _ = writeln!(out, "{label}: {}", d.message);
        let path = if d.path.is_root() {
            String::new()
        } else {
            format!(" ({})", d.path)
        };
        match &d.span {
            Some(span) => {
                let pos = self.source.line_col(span.start);
                let _ = writeln!(
                    out,
                    "  --> {}:{}:{}{path}",
                    self.source.name, pos.line, pos.column
                );
                let text = self.source.line_text(pos.line);
                let gutter = pos.line.to_string().len();
                let end = self.source.line_col(span.end.max(span.start + 1));
                let width = if end.line == pos.line {
                    end.column.saturating_sub(pos.column).max(1)
                } else {
                    text.chars().count().saturating_sub(pos.column - 1).max(1)
                };
                let _ = writeln!(out, "{:gutter$} |", "");
                let _ = writeln!(out, "{} | {text}", pos.line);
                let _ = writeln!(
                    out,
                    "{:gutter$} | {}{}",
                    "",
                    " ".repeat(pos.column - 1),
                    "^".repeat(width)
                );
            }
            None => {
                let _ = writeln!(out, "  --> {}{path}", self.source.name);
            }
        }
        if let Some(hint) = &d.hint {
            let _ = writeln!(out, "  = hint: {hint}");
        }
        out.push('\n');
    }
}

/// The closest candidate to `name` when it is close enough to be a likely typo.
pub fn did_you_mean<'a, I>(name: &str, candidates: I) -> Option<String>
where
    I: IntoIterator<Item = &'a str>,
{
    let lower = name.to_lowercase();
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(&lower, &c.to_lowercase()), c))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| format!("did you mean '{c}'?"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_display_like_toml_keys() {
        let p = FieldPath::root()
            .key("tariff")
            .index(1)
            .key("period")
            .index(3)
            .key("hours");
        assert_eq!(p.to_string(), "tariff[1].period[3].hours");
        assert_eq!(
            p.parent().map(|p| p.to_string()).as_deref(),
            Some("tariff[1].period[3]")
        );
    }

    #[test]
    fn line_col_counts_characters() {
        let src = SourceFile::new("x.toml", "a = 1\nname = \"Yánqìng\" x\n");
        let offset = src.text.find(" x").map(|i| i + 1).unwrap_or(0);
        assert_eq!(
            src.line_col(offset),
            LineCol {
                line: 2,
                column: 18
            }
        );
        assert_eq!(src.line_col(0), LineCol { line: 1, column: 1 });
        assert_eq!(src.line_text(2), "name = \"Yánqìng\" x");
    }

    #[test]
    fn suggestions_only_for_near_misses() {
        assert_eq!(
            did_you_mean("dc750", ["dc_750", "ac_10kv", "heat"]).as_deref(),
            Some("did you mean 'dc_750'?")
        );
        assert_eq!(did_you_mean("battery", ["ac_10kv", "heat"]), None);
    }
}

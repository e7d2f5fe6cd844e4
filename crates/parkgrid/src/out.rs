//! Standard output that does not panic. `print!` and `println!` panic when the reader has gone (a
//! closed pipe: `parkgrid info park.toml | head -1`) or the disk is full (`> /dev/full`); these
//! macros return a `Result` whose error is a [`StdoutError`], which `main` turns into a quiet end
//! (closed pipe, as `ls` and `ripgrep` do) or a one-line message (anything else).

/// Writing to standard output failed.
#[derive(Debug, thiserror::Error)]
#[error("cannot write to standard output")]
pub struct StdoutError(#[from] pub std::io::Error);

impl StdoutError {
    /// True when the reader of a pipe has gone.
    pub fn is_broken_pipe(&self) -> bool {
        self.0.kind() == std::io::ErrorKind::BrokenPipe
    }
}

/// Flushes standard output (what `print!` without a newline left in the buffer).
pub fn flush() -> Result<(), StdoutError> {
    use std::io::Write as _;
    std::io::stdout().lock().flush().map_err(StdoutError)
}

/// `print!` that returns `Result<(), StdoutError>`.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        write!(std::io::stdout().lock(), $($arg)*).map_err($crate::out::StdoutError)
    }};
}

/// `println!` that returns `Result<(), StdoutError>`.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout().lock(), $($arg)*).map_err($crate::out::StdoutError)
    }};
}

/// Has `write` write to standard output through a 64 KiB buffer, then flushes.
pub fn write_with(
    write: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
) -> Result<(), StdoutError> {
    use std::io::Write as _;
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    write(&mut out)?;
    out.flush()?;
    Ok(())
}

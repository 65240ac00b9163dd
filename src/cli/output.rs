//! Everything the command line prints on stdout goes through `emit`, so a reader that stops early
//! (`kpi-ledger export | head`) ends the program quietly instead of with a panic and a backtrace.

use std::io::Write;

/// Writes `text` to stdout. A closed pipe is not an error of ours: the program exits at once, with
/// success, as `head` expects of the programs it reads from.
pub fn emit(text: &str) -> Result<(), String> {
    emit_bytes(text.as_bytes())
}

pub fn emit_bytes(bytes: &[u8]) -> Result<(), String> {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
        Err(error) => Err(format!("writing to stdout: {error}")),
    }
}

/// `text` and a newline.
pub fn emit_line(text: &str) -> Result<(), String> {
    emit(&format!("{text}\n"))
}

/// A writer on stdout with the same rule, for long streams (the export).
pub struct Stdout(std::io::BufWriter<std::io::StdoutLock<'static>>);

impl Stdout {
    pub fn new() -> Stdout {
        Stdout(std::io::BufWriter::with_capacity(1 << 20, std::io::stdout().lock()))
    }
}

impl Default for Stdout {
    fn default() -> Stdout {
        Stdout::new()
    }
}

impl Write for Stdout {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        quiet_on_broken_pipe(self.0.write(bytes))
    }

    fn flush(&mut self) -> std::io::Result<()> {
        quiet_on_broken_pipe(self.0.flush())
    }
}

fn quiet_on_broken_pipe<T>(outcome: std::io::Result<T>) -> std::io::Result<T> {
    match outcome {
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
        other => other,
    }
}

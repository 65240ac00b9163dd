//! Everything the command line prints on stdout goes through `emit`, so a reader that stops early
//! (`kpi-ledger export | head`) ends the program quietly instead of with a panic and a backtrace.
//!
//! Invariant: stored text never acts on the terminal. Every string from the ledger that the printers
//! (`reads`, `table`) put into a line goes through `escape`, which shows control characters, bidirectional
//! formatting characters and line separators as escapes (`\u{1b}`, `\n`), so a name cannot move the
//! cursor, erase a row or add one. The rules refuse such characters now, but older ledgers may hold
//! them. As a last net, `emit` writes any hidden character still left in its text other than a line
//! feed as a JSON escape (`\u001b`): that is what `--json` answers need (serde_json leaves DEL, the C1
//! block and bidirectional characters raw), and it reads back as the same JSON.

use std::borrow::Cow;
use std::io::Write;

use crate::domain::ids::hidden_character;

/// `text` as the command line shows it: every hidden character (`domain::ids::hidden_character`:
/// control characters, bidirectional formatting characters, U+2028 and U+2029) as an escape — `\n`,
/// `\r` and `\t` for those three, `\u{1b}` style for the rest — and everything else as it is. The
/// result holds no hidden character, so escaping it again changes nothing. A backslash is left alone:
/// the input rules refuse the characters themselves, so an escape in new text can only be typed.
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.chars().any(|c| hidden_character(c).is_some()) {
        return Cow::Borrowed(text);
    }
    let mut escaped = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '\n' => escaped.push_str("\\n"),
            '\r' => escaped.push_str("\\r"),
            '\t' => escaped.push_str("\\t"),
            _ if hidden_character(c).is_some() => escaped.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
            _ => escaped.push(c),
        }
    }
    Cow::Owned(escaped)
}

/// The net under `emit`: hidden characters other than the line feed as JSON escapes (`\u001b`), valid
/// inside a JSON string and outside one plain to see.
fn escape_leftovers(text: &str) -> Cow<'_, str> {
    let left = |c: char| c != '\n' && hidden_character(c).is_some();
    if !text.chars().any(left) {
        return Cow::Borrowed(text);
    }
    let mut escaped = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if left(c) {
            // Every hidden character lies in the Basic Multilingual Plane: four hex digits suffice.
            escaped.push_str(&format!("\\u{:04x}", u32::from(c)));
        } else {
            escaped.push(c);
        }
    }
    Cow::Owned(escaped)
}

/// Writes `text` to stdout. A closed pipe is not an error of ours: the program exits at once, with
/// success, as `head` expects of the programs it reads from.
pub fn emit(text: &str) -> Result<(), String> {
    emit_bytes(escape_leftovers(text).as_bytes())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_characters_are_escaped_and_the_rest_is_kept() {
        assert_eq!(escape("YS07 丙县国家税务局"), "YS07 丙县国家税务局");
        assert!(matches!(escape("plain"), Cow::Borrowed(_)));
        let forged = "x\u{1b}[2K\r\u{2026}\nYS99 injected row\t\u{0}\u{7f}\u{9b}\u{202e}\u{2066}\u{2028}";
        let shown = escape(forged);
        assert_eq!(
            shown,
            "x\\u{1b}[2K\\r\u{2026}\\nYS99 injected row\\t\\u{0}\\u{7f}\\u{9b}\\u{202e}\\u{2066}\\u{2028}"
        );
        assert_eq!(escape(&shown), shown, "escaping twice changes nothing");
    }

    #[test]
    fn the_net_under_emit_keeps_json_valid() {
        let value = serde_json::json!({"name": "x\u{202e}y\u{7f}\u{85}\u{1b}", "lines": "a\nb"});
        let text = serde_json::to_string_pretty(&value).unwrap();
        let netted = escape_leftovers(&text);
        assert!(!netted.chars().any(|c| c != '\n' && hidden_character(c).is_some()), "{netted}");
        assert!(netted.contains("\\u202e") && netted.contains("\\u007f") && netted.contains("\\u0085"), "{netted}");
        let back: serde_json::Value = serde_json::from_str(&netted).unwrap();
        assert_eq!(back, value);
        assert_eq!(escape_leftovers("line one\nline two\n"), "line one\nline two\n");
    }
}

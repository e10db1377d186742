//! What the headless commands write: cluster text (log lines, messages,
//! object fields) goes through `crate::sanitize` when it lands on a terminal,
//! and passes unchanged into a pipe or file, or with `--raw`
//! (docs/ARCHITECTURE.md "Untrusted text").

use std::borrow::Cow;
use std::io::IsTerminal;
use std::sync::OnceLock;

static STDOUT: OnceLock<bool> = OnceLock::new();
static STDERR: OnceLock<bool> = OnceLock::new();

/// Decides once, at start: sanitize what goes to a terminal unless `raw`.
pub fn configure(raw: bool) {
    let _ = STDOUT.set(!raw && std::io::stdout().is_terminal());
    let _ = STDERR.set(!raw && std::io::stderr().is_terminal());
}

/// Text for stdout (sanitized on a terminal). Unconfigured (library use,
/// tests) means a terminal is checked now.
pub fn out(text: &str) -> Cow<'_, str> {
    let clean = *STDOUT.get_or_init(|| std::io::stdout().is_terminal());
    if clean {
        crate::sanitize::for_terminal(text)
    } else {
        Cow::Borrowed(text)
    }
}

/// Text for stderr (sanitized on a terminal).
pub fn err(text: &str) -> Cow<'_, str> {
    let clean = *STDERR.get_or_init(|| std::io::stderr().is_terminal());
    if clean {
        crate::sanitize::for_terminal(text)
    } else {
        Cow::Borrowed(text)
    }
}

/// `println!` for cluster text.
#[macro_export]
macro_rules! outln {
    ($($arg:tt)*) => {
        println!("{}", $crate::headless::term::out(&format!($($arg)*)))
    };
}

/// `print!` for cluster text.
#[macro_export]
macro_rules! out {
    ($($arg:tt)*) => {
        print!("{}", $crate::headless::term::out(&format!($($arg)*)))
    };
}

/// `eprintln!` for cluster text.
#[macro_export]
macro_rules! errln {
    ($($arg:tt)*) => {
        eprintln!("{}", $crate::headless::term::err(&format!($($arg)*)))
    };
}

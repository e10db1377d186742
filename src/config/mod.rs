//! Paths, settings, keymap and themes. Defaults are embedded; user files
//! patch them; a bad user file yields warnings, never a crash.

use std::fmt;
use std::path::PathBuf;

pub mod keymap;
pub mod settings;
pub mod theme;

/// A problem found in a user-supplied file. The offending value is ignored and
/// the default is used; the UI shows the warning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigWarning {
    /// The file the problem is in.
    pub file: PathBuf,
    /// Dotted path of the field, e.g. `slots.selected.fg`; empty when the
    /// whole file is unreadable.
    pub field: String,
    /// What is wrong, in plain words.
    pub message: String,
}

impl fmt::Display for ConfigWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            write!(f, "{}: {}", self.file.display(), self.message)
        } else {
            write!(
                f,
                "{}: {}: {}",
                self.file.display(),
                self.field,
                self.message
            )
        }
    }
}

//! Keys as data: the embedded default keymap, patched by the user's config.

use std::collections::HashMap;
use std::path::Path;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::ConfigWarning;
use crate::app::action::Action;

const DEFAULT_KEYMAP: &str = include_str!("keymap.toml");

/// Where a key is pressed: tables and the pulse, or the YAML/describe pager.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyContext {
    Global,
    Pager,
    /// The logs view.
    Logs,
    /// The certs view (checked before `global` there).
    Certs,
    /// The apps views and an app's diff (checked before `global` there).
    Apps,
    /// The builds view (checked before `global` there).
    Builds,
    /// The Helm releases view (checked before `global` there).
    Helm,
    /// The Argo Rollouts view and a rollout's picture (checked before
    /// `global` there).
    Rollouts,
}

impl KeyContext {
    pub const ALL: [KeyContext; 8] = [
        KeyContext::Global,
        KeyContext::Pager,
        KeyContext::Logs,
        KeyContext::Certs,
        KeyContext::Apps,
        KeyContext::Builds,
        KeyContext::Helm,
        KeyContext::Rollouts,
    ];

    pub fn name(self) -> &'static str {
        match self {
            KeyContext::Global => "global",
            KeyContext::Pager => "pager",
            KeyContext::Logs => "logs",
            KeyContext::Certs => "certs",
            KeyContext::Apps => "apps",
            KeyContext::Builds => "builds",
            KeyContext::Helm => "helm",
            KeyContext::Rollouts => "rollouts",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyCombo {
    pub code: KeyCode,
    pub modifiers: KeyModifiers,
}

impl KeyCombo {
    /// Normalise a terminal key event: a character's case already says shift.
    pub fn from_event(event: &KeyEvent) -> Self {
        let mut modifiers =
            event.modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT | KeyModifiers::SHIFT);
        if matches!(event.code, KeyCode::Char(_)) {
            modifiers.remove(KeyModifiers::SHIFT);
        }
        let code = match event.code {
            KeyCode::Char(c) if modifiers.contains(KeyModifiers::CONTROL) => {
                KeyCode::Char(c.to_ascii_lowercase())
            }
            other => other,
        };
        KeyCombo { code, modifiers }
    }

    pub fn parse(text: &str) -> Result<Self, String> {
        let mut modifiers = KeyModifiers::NONE;
        let mut rest = text;
        loop {
            if let Some(tail) = rest.strip_prefix("ctrl-") {
                modifiers |= KeyModifiers::CONTROL;
                rest = tail;
            } else if let Some(tail) = rest.strip_prefix("alt-") {
                modifiers |= KeyModifiers::ALT;
                rest = tail;
            } else if let Some(tail) = rest.strip_prefix("shift-") {
                modifiers |= KeyModifiers::SHIFT;
                rest = tail;
            } else {
                break;
            }
        }
        let code = match rest {
            "esc" => KeyCode::Esc,
            "enter" => KeyCode::Enter,
            "tab" => KeyCode::Tab,
            "backtab" => KeyCode::BackTab,
            "up" => KeyCode::Up,
            "down" => KeyCode::Down,
            "left" => KeyCode::Left,
            "right" => KeyCode::Right,
            "pgup" => KeyCode::PageUp,
            "pgdn" => KeyCode::PageDown,
            "home" => KeyCode::Home,
            "end" => KeyCode::End,
            "space" => KeyCode::Char(' '),
            "backspace" => KeyCode::Backspace,
            "delete" => KeyCode::Delete,
            function if function.len() > 1 && function.starts_with('f') => {
                let number: u8 = function[1..]
                    .parse()
                    .map_err(|_| format!("unknown key \"{text}\""))?;
                if !(1..=12).contains(&number) {
                    return Err(format!("unknown key \"{text}\""));
                }
                KeyCode::F(number)
            }
            single if single.chars().count() == 1 => {
                let character = single.chars().next().unwrap_or(' ');
                if modifiers.contains(KeyModifiers::SHIFT) && character.is_ascii_alphabetic() {
                    modifiers.remove(KeyModifiers::SHIFT);
                    KeyCode::Char(character.to_ascii_uppercase())
                } else if modifiers.contains(KeyModifiers::CONTROL) {
                    KeyCode::Char(character.to_ascii_lowercase())
                } else {
                    KeyCode::Char(character)
                }
            }
            _ => return Err(format!("unknown key \"{text}\"")),
        };
        if matches!(code, KeyCode::Char(_)) {
            modifiers.remove(KeyModifiers::SHIFT);
        }
        Ok(KeyCombo { code, modifiers })
    }

    /// Text for help and hints: "ctrl-d", "esc", "N".
    pub fn label(&self) -> String {
        let mut text = String::new();
        if self.modifiers.contains(KeyModifiers::CONTROL) {
            text.push_str("ctrl-");
        }
        if self.modifiers.contains(KeyModifiers::ALT) {
            text.push_str("alt-");
        }
        if self.modifiers.contains(KeyModifiers::SHIFT) {
            text.push_str("shift-");
        }
        let key = match self.code {
            KeyCode::Esc => "esc".to_string(),
            KeyCode::Enter => "enter".to_string(),
            KeyCode::Tab => "tab".to_string(),
            KeyCode::BackTab => "backtab".to_string(),
            KeyCode::Up => "up".to_string(),
            KeyCode::Down => "down".to_string(),
            KeyCode::Left => "left".to_string(),
            KeyCode::Right => "right".to_string(),
            KeyCode::PageUp => "pgup".to_string(),
            KeyCode::PageDown => "pgdn".to_string(),
            KeyCode::Home => "home".to_string(),
            KeyCode::End => "end".to_string(),
            KeyCode::Backspace => "backspace".to_string(),
            KeyCode::Delete => "delete".to_string(),
            KeyCode::F(number) => format!("f{number}"),
            KeyCode::Char(' ') => "space".to_string(),
            KeyCode::Char(character) => character.to_string(),
            other => format!("{other:?}"),
        };
        text.push_str(&key);
        text
    }
}

/// Action -> keys per context; the reverse map is derived for lookups.
#[derive(Debug, Clone)]
pub struct Keymap {
    bindings: HashMap<KeyContext, Vec<(Action, Vec<KeyCombo>)>>,
    lookup: HashMap<(KeyContext, KeyCombo), Action>,
}

fn parse_table(
    table: &toml::Table,
    context: KeyContext,
    file: &Path,
    prefix: &str,
    warnings: &mut Vec<ConfigWarning>,
) -> Vec<(Action, Vec<KeyCombo>)> {
    let mut out = Vec::new();
    for (name, value) in table {
        let field = format!("{prefix}{}.{name}", context.name());
        let warn = |message: String, warnings: &mut Vec<ConfigWarning>| {
            warnings.push(ConfigWarning {
                file: file.to_path_buf(),
                field: field.clone(),
                message,
            })
        };
        let Some(action) = Action::from_name(name) else {
            warn(format!("unknown action \"{name}\""), warnings);
            continue;
        };
        let texts: Vec<&str> = match value {
            toml::Value::String(text) => vec![text.as_str()],
            toml::Value::Array(items) => {
                let texts: Vec<&str> = items.iter().filter_map(toml::Value::as_str).collect();
                if texts.len() != items.len() {
                    warn("expected a list of key names".to_string(), warnings);
                    continue;
                }
                texts
            }
            _ => {
                warn(
                    "expected a key name or a list of key names".to_string(),
                    warnings,
                );
                continue;
            }
        };
        let mut combos = Vec::new();
        let mut bad = false;
        for text in texts {
            match KeyCombo::parse(text) {
                Ok(combo) => combos.push(combo),
                Err(message) => {
                    warn(message, warnings);
                    bad = true;
                }
            }
        }
        if !bad {
            out.push((action, combos));
        }
    }
    out
}

impl Keymap {
    /// The embedded defaults; parsing them is covered by a test.
    pub fn defaults() -> Keymap {
        let mut warnings = Vec::new();
        let table: toml::Table = toml::from_str(DEFAULT_KEYMAP).unwrap_or_default();
        let mut keymap = Keymap {
            bindings: HashMap::new(),
            lookup: HashMap::new(),
        };
        keymap.patch(&table, Path::new("<built-in keymap>"), "", &mut warnings);
        debug_assert!(warnings.is_empty(), "built-in keymap: {warnings:?}");
        keymap
    }

    /// Apply `[global]` / `[pager]` tables: each action named replaces its
    /// keys; bad entries become warnings and keep the default.
    pub fn patch(
        &mut self,
        table: &toml::Table,
        file: &Path,
        prefix: &str,
        warnings: &mut Vec<ConfigWarning>,
    ) {
        for (name, value) in table {
            let Some(context) = KeyContext::ALL
                .iter()
                .copied()
                .find(|context| context.name() == name)
            else {
                warnings.push(ConfigWarning {
                    file: file.to_path_buf(),
                    field: format!("{prefix}{name}"),
                    message: "unknown key context (use \"global\", \"pager\" or \"logs\")"
                        .to_string(),
                });
                continue;
            };
            let Some(inner) = value.as_table() else {
                warnings.push(ConfigWarning {
                    file: file.to_path_buf(),
                    field: format!("{prefix}{name}"),
                    message: "expected a table of action = [keys]".to_string(),
                });
                continue;
            };
            for (action, combos) in parse_table(inner, context, file, prefix, warnings) {
                let list = self.bindings.entry(context).or_default();
                match list.iter_mut().find(|(existing, _)| *existing == action) {
                    Some(entry) => entry.1 = combos,
                    None => list.push((action, combos)),
                }
            }
        }
        self.rebuild();
    }

    fn rebuild(&mut self) {
        self.lookup.clear();
        for (context, list) in &self.bindings {
            for (action, combos) in list {
                for combo in combos {
                    self.lookup.insert((*context, *combo), *action);
                }
            }
        }
    }

    pub fn action(&self, context: KeyContext, event: &KeyEvent) -> Option<Action> {
        self.lookup
            .get(&(context, KeyCombo::from_event(event)))
            .copied()
    }

    /// Keys bound to an action, as labels ("q", "ctrl-c").
    pub fn keys_for(&self, context: KeyContext, action: Action) -> Vec<String> {
        self.bindings
            .get(&context)
            .and_then(|list| list.iter().find(|(candidate, _)| *candidate == action))
            .map(|(_, combos)| combos.iter().map(KeyCombo::label).collect())
            .unwrap_or_default()
    }

    /// (keys, help) lines for a context, in `Action::ALL` order: the help
    /// screen is generated from this.
    pub fn help_lines(&self, context: KeyContext) -> Vec<(String, &'static str)> {
        Action::ALL
            .iter()
            .filter_map(|(action, _, help)| {
                let keys = self.keys_for(context, *action);
                (!keys.is_empty()).then(|| (keys.join(" "), *help))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_keymap_parses_without_warnings() {
        let table: toml::Table = toml::from_str(DEFAULT_KEYMAP).expect("embedded keymap is TOML");
        let mut keymap = Keymap {
            bindings: HashMap::new(),
            lookup: HashMap::new(),
        };
        let mut warnings = Vec::new();
        keymap.patch(&table, Path::new("keymap.toml"), "", &mut warnings);
        assert!(warnings.is_empty(), "{warnings:?}");
        let quit = KeyEvent::new(KeyCode::Char('q'), KeyModifiers::NONE);
        assert_eq!(keymap.action(KeyContext::Global, &quit), Some(Action::Quit));
        let shift_n = KeyEvent::new(KeyCode::Char('N'), KeyModifiers::SHIFT);
        assert_eq!(
            keymap.action(KeyContext::Global, &shift_n),
            Some(Action::Sort(crate::app::view::ColumnId::Name))
        );
        assert_eq!(
            keymap.action(KeyContext::Pager, &shift_n),
            Some(Action::PrevMatch)
        );
    }

    #[test]
    fn parses_key_names() {
        assert_eq!(KeyCombo::parse("ctrl-d").unwrap().label(), "ctrl-d");
        assert_eq!(KeyCombo::parse("shift-n").unwrap().label(), "N");
        assert_eq!(KeyCombo::parse("f5").unwrap().code, KeyCode::F(5));
        assert!(KeyCombo::parse("hyper-x").is_err());
        assert!(KeyCombo::parse("f13").is_err());
    }
}

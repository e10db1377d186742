//! Colour themes: TOML files of semantic slots (`text`, `selected`, `warn`,
//! `diff_add`, ...). Views use the slots of a [`Theme`], never raw colours.
//!
//! Five themes are built in (embedded from `themes/`). A user theme is
//! `<user_theme_dir>/<name>.toml`; it wins over a builtin of the same name and
//! is applied as a patch over the builtin `default` theme (or over the builtin
//! named by `extends = "..."`): slots it omits come from that base. Anything
//! wrong in a user file becomes a [`ConfigWarning`] and the affected slot keeps
//! the base theme's style; an unreadable or unparsable file gives the default
//! theme. Colours are then downgraded to what the terminal can show
//! ([`ColorDepth`]); `NO_COLOR` selects the monochrome theme.
//!
//! The file format is documented at the top of `themes/default.toml`.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use ratatui::style::{Color, Modifier, Style};
use toml::{Table, Value};

use super::ConfigWarning;

/// Names of the themes shipped inside the binary, in display order.
pub const BUILTIN_THEMES: &[&str] = &["default", "light", "high-contrast", "monochrome", "nord"];

/// The embedded source of a builtin theme.
fn builtin_source(name: &str) -> Option<&'static str> {
    match name {
        "default" => Some(include_str!("../../themes/default.toml")),
        "light" => Some(include_str!("../../themes/light.toml")),
        "high-contrast" => Some(include_str!("../../themes/high-contrast.toml")),
        "monochrome" => Some(include_str!("../../themes/monochrome.toml")),
        "nord" => Some(include_str!("../../themes/nord.toml")),
        _ => None,
    }
}

macro_rules! theme_slots {
    ($( $(#[doc = $doc:literal])* $slot:ident ),* $(,)?) => {
        /// A resolved theme: one [`Style`] per semantic slot, already adapted
        /// to the terminal's colour depth.
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct Theme {
            /// The name the theme was loaded under (file stem / builtin name).
            pub name: String,
            $( $(#[doc = $doc])* pub $slot: Style, )*
            /// Colours given to log sources (pods, containers) in turn; never
            /// empty.
            pub log_palette: Vec<Color>,
        }

        /// The slot names a theme file may set under `[slots]`, in the order
        /// of the [`Theme`] fields.
        pub const SLOT_NAMES: &[&str] = &[$( stringify!($slot) ),*];

        impl Theme {
            /// A theme with every slot unstyled and an empty palette; the base
            /// builtin files are parsed onto.
            fn blank(name: &str) -> Theme {
                Theme {
                    name: name.to_string(),
                    $( $slot: Style::new(), )*
                    log_palette: Vec::new(),
                }
            }

            /// The style of a slot by its name in theme files.
            pub fn slot(&self, slot: &str) -> Option<Style> {
                match slot {
                    $( stringify!($slot) => Some(self.$slot), )*
                    _ => None,
                }
            }

            fn slot_mut(&mut self, slot: &str) -> Option<&mut Style> {
                match slot {
                    $( stringify!($slot) => Some(&mut self.$slot), )*
                    _ => None,
                }
            }

            /// Every slot as (name, style), in field order.
            pub fn slots(&self) -> Vec<(&'static str, Style)> {
                vec![$( (stringify!($slot), self.$slot) ),*]
            }

            fn map_styles(&mut self, f: impl Fn(Style) -> Style) {
                $( self.$slot = f(self.$slot); )*
            }
        }
    };
}

theme_slots! {
    /// Ordinary text (table cells, log lines, YAML).
    text,
    /// Secondary text: ages, hints, placeholders.
    muted,
    /// Borders of unfocused panes.
    border,
    /// Border of the focused pane.
    border_focus,
    /// Pane titles.
    title,
    /// Table column headers.
    header,
    /// The selected row.
    selected,
    /// Healthy / Running / Synced.
    ok,
    /// Progressing, pending, soon-to-expire.
    warn,
    /// Degraded, failed, expired; error messages.
    error,
    /// Informational notices.
    info,
    /// Rows kept from before a lost connection.
    stale,
    /// Key hints (`<l> logs`).
    key,
    /// The command / filter prompt.
    prompt,
    /// Filter text shown in the prompt or a title.
    filter,
    /// Search-match highlight.
    search_match,
    /// Added lines in a diff.
    diff_add,
    /// Removed lines in a diff.
    diff_del,
    /// Hunk headers in a diff.
    diff_hunk,
    /// The bottom status bar (background and text).
    status_bar,
    /// Filled part of gauges.
    gauge,
    /// Sparklines.
    sparkline,
}

impl Default for Theme {
    fn default() -> Self {
        Theme::builtin_default()
    }
}

impl Theme {
    /// The embedded `default` theme, parsed. The shipped file is checked by the
    /// tests to parse without warnings, so this cannot fail.
    pub fn builtin_default() -> Theme {
        let mut ignored = Vec::new();
        builtin("default", &mut ignored).unwrap_or_else(|| Theme::blank("default"))
    }

    /// The palette colour for the `i`-th log source (wraps around).
    pub fn log_color(&self, i: usize) -> Color {
        match self.log_palette.len() {
            0 => Color::Reset,
            n => self.log_palette[i % n],
        }
    }

    /// Adapts every colour of the theme to `depth`.
    fn adapt(&mut self, depth: ColorDepth) {
        self.map_styles(|s| Style {
            fg: s.fg.map(|c| downgrade(c, depth)),
            bg: s.bg.map(|c| downgrade(c, depth)),
            ..s
        });
        if depth == ColorDepth::Mono {
            // NO_COLOR: not even `reset` is emitted.
            self.map_styles(|s| Style {
                fg: None,
                bg: None,
                ..s
            });
        }
        for c in &mut self.log_palette {
            *c = downgrade(*c, depth);
        }
        if self.log_palette.is_empty() {
            self.log_palette.push(Color::Reset);
        }
    }
}

/// How many colours the terminal can show.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColorDepth {
    /// 24-bit colour.
    TrueColor,
    /// The xterm 256-colour palette.
    Ansi256,
    /// The 16 ANSI colours of the terminal's scheme.
    Ansi16,
    /// No colour at all (`NO_COLOR`).
    Mono,
}

impl ColorDepth {
    /// Detects the depth from environment variables read through `env`:
    /// `NO_COLOR` set and non-empty → Mono; `COLORTERM` = `truecolor` or
    /// `24bit` → TrueColor; `TERM` containing `256color` → Ansi256; else
    /// Ansi16.
    pub fn detect(env: &dyn Fn(&str) -> Option<String>) -> ColorDepth {
        if env("NO_COLOR").is_some_and(|v| !v.is_empty()) {
            return ColorDepth::Mono;
        }
        if let Some(ct) = env("COLORTERM") {
            let ct = ct.trim().to_ascii_lowercase();
            if ct == "truecolor" || ct == "24bit" {
                return ColorDepth::TrueColor;
            }
        }
        if env("TERM").is_some_and(|t| t.contains("256color")) {
            ColorDepth::Ansi256
        } else {
            ColorDepth::Ansi16
        }
    }

    /// [`ColorDepth::detect`] on the process environment.
    pub fn from_env() -> ColorDepth {
        ColorDepth::detect(&|k| std::env::var(k).ok())
    }
}

/// Loads theme `name`: the user's `<user_theme_dir>/<name>.toml` if present,
/// else the builtin of that name, else (with a warning) the default theme.
/// With `depth` Mono the monochrome theme is used whatever `name` says.
/// Problems are pushed onto `warnings`; this never fails.
pub fn load_theme(
    name: &str,
    user_theme_dir: Option<&Path>,
    depth: ColorDepth,
    warnings: &mut Vec<ConfigWarning>,
) -> Theme {
    let name = if depth == ColorDepth::Mono {
        "monochrome"
    } else {
        name.trim()
    };
    let mut theme = resolve(name, user_theme_dir, warnings);
    theme.adapt(depth);
    theme
}

/// The builtin theme names followed by the `*.toml` themes found in the user
/// theme directory (sorted, without repeating a builtin name).
pub fn available_themes(user_theme_dir: Option<&Path>) -> Vec<String> {
    let mut names: Vec<String> = BUILTIN_THEMES.iter().map(|s| s.to_string()).collect();
    let mut user = Vec::new();
    if let Some(entries) = user_theme_dir.and_then(|d| fs::read_dir(d).ok()) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_none_or(|e| e != "toml") || !path.is_file() {
                continue;
            }
            if let Some(stem) = path.file_stem().and_then(|s| s.to_str())
                && valid_name(stem)
                && !names.iter().any(|n| n == stem)
            {
                user.push(stem.to_string());
            }
        }
    }
    user.sort();
    user.dedup();
    names.extend(user);
    names
}

/// Parses a colour as written in a theme file: an ANSI name (`cyan`,
/// `lightred`, `darkgray`, `reset`, ...; case, `-`, `_` and spaces ignored,
/// `grey` accepted), `#rrggbb`, or a 256-colour index `0`-`255`.
pub fn parse_color(s: &str) -> Option<Color> {
    let s = s.trim();
    if let Some(hex) = s.strip_prefix('#') {
        if hex.len() != 6 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        let byte = |i: usize| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok();
        return Some(Color::Rgb(byte(0)?, byte(2)?, byte(4)?));
    }
    if !s.is_empty() && s.chars().all(|c| c.is_ascii_digit()) {
        return s.parse::<u8>().ok().map(Color::Indexed);
    }
    let key: String = s
        .chars()
        .filter(|c| !matches!(c, '-' | '_' | ' '))
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let color = match key.as_str() {
        "reset" | "default" => Color::Reset,
        "black" => Color::Black,
        "red" => Color::Red,
        "green" => Color::Green,
        "yellow" => Color::Yellow,
        "blue" => Color::Blue,
        "magenta" => Color::Magenta,
        "cyan" => Color::Cyan,
        "gray" | "grey" => Color::Gray,
        "darkgray" | "darkgrey" => Color::DarkGray,
        "lightred" => Color::LightRed,
        "lightgreen" => Color::LightGreen,
        "lightyellow" => Color::LightYellow,
        "lightblue" => Color::LightBlue,
        "lightmagenta" => Color::LightMagenta,
        "lightcyan" => Color::LightCyan,
        "white" => Color::White,
        _ => return None,
    };
    Some(color)
}

/// Parses a modifier name: `bold`, `dim`, `italic`, `underlined`, `reversed`,
/// `crossed_out` (also `underline`, `reverse`, `strikethrough`).
pub fn parse_modifier(s: &str) -> Option<Modifier> {
    let key: String = s
        .trim()
        .chars()
        .filter(|c| !matches!(c, '-' | '_' | ' '))
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let m = match key.as_str() {
        "bold" => Modifier::BOLD,
        "dim" => Modifier::DIM,
        "italic" => Modifier::ITALIC,
        "underlined" | "underline" => Modifier::UNDERLINED,
        "reversed" | "reverse" => Modifier::REVERSED,
        "crossedout" | "strikethrough" => Modifier::CROSSED_OUT,
        _ => return None,
    };
    Some(m)
}

/// Adapts one colour to `depth`: Rgb becomes the nearest xterm-256 index
/// (16-255) for Ansi256; Rgb and indexes ≥ 16 become the nearest of the 16
/// ANSI colours for Ansi16 (indexes < 16 become their ANSI name); Mono gives
/// `Reset`. Named ANSI colours and `Reset` are kept as they are otherwise.
pub fn downgrade(color: Color, depth: ColorDepth) -> Color {
    match (depth, color) {
        (ColorDepth::Mono, _) => Color::Reset,
        (ColorDepth::TrueColor, c) => c,
        (ColorDepth::Ansi256, Color::Rgb(r, g, b)) => Color::Indexed(nearest_xterm256(r, g, b)),
        (ColorDepth::Ansi256, c) => c,
        (ColorDepth::Ansi16, Color::Rgb(r, g, b)) => nearest_ansi16(r, g, b),
        (ColorDepth::Ansi16, Color::Indexed(i)) if i < 16 => ANSI16[usize::from(i)],
        (ColorDepth::Ansi16, Color::Indexed(i)) => {
            let (r, g, b) = xterm256_rgb(i);
            nearest_ansi16(r, g, b)
        }
        (ColorDepth::Ansi16, c) => c,
    }
}

/// The 16 ANSI colours by index.
const ANSI16: [Color; 16] = [
    Color::Black,
    Color::Red,
    Color::Green,
    Color::Yellow,
    Color::Blue,
    Color::Magenta,
    Color::Cyan,
    Color::Gray,
    Color::DarkGray,
    Color::LightRed,
    Color::LightGreen,
    Color::LightYellow,
    Color::LightBlue,
    Color::LightMagenta,
    Color::LightCyan,
    Color::White,
];

/// Levels of the xterm 6x6x6 colour cube.
const CUBE: [u8; 6] = [0, 95, 135, 175, 215, 255];

/// The RGB value xterm uses for palette index `i` (16-255; 0-15 get xterm's
/// defaults, though terminals theme those).
fn xterm256_rgb(i: u8) -> (u8, u8, u8) {
    const BASE: [(u8, u8, u8); 16] = [
        (0, 0, 0),
        (205, 0, 0),
        (0, 205, 0),
        (205, 205, 0),
        (0, 0, 238),
        (205, 0, 205),
        (0, 205, 205),
        (229, 229, 229),
        (127, 127, 127),
        (255, 0, 0),
        (0, 255, 0),
        (255, 255, 0),
        (92, 92, 255),
        (255, 0, 255),
        (0, 255, 255),
        (255, 255, 255),
    ];
    match i {
        0..=15 => BASE[usize::from(i)],
        16..=231 => {
            let n = i - 16;
            (
                CUBE[usize::from(n / 36)],
                CUBE[usize::from(n / 6 % 6)],
                CUBE[usize::from(n % 6)],
            )
        }
        _ => {
            let v = 8 + 10 * (i - 232);
            (v, v, v)
        }
    }
}

/// The xterm-256 index (16-255, the fixed part of the palette) closest to an
/// RGB colour by squared distance.
fn nearest_xterm256(r: u8, g: u8, b: u8) -> u8 {
    let dist = |(r2, g2, b2): (u8, u8, u8)| {
        let d = |a: u8, b: u8| (i32::from(a) - i32::from(b)).pow(2);
        d(r, r2) + d(g, g2) + d(b, b2)
    };
    (16..=255u8)
        .min_by_key(|&i| dist(xterm256_rgb(i)))
        .unwrap_or(16)
}

/// The ANSI colour closest to an RGB colour. The 16 colours are whatever the
/// terminal scheme makes them, so this matches by hue and lightness rather
/// than by distance to one scheme's values: greyish colours map to black,
/// dark gray, gray or white by luminance; others to the hue's colour, the
/// light variant when bright.
fn nearest_ansi16(r: u8, g: u8, b: u8) -> Color {
    let (rf, gf, bf) = (f32::from(r), f32::from(g), f32::from(b));
    let max = rf.max(gf).max(bf);
    let min = rf.min(gf).min(bf);
    let chroma = max - min;
    if chroma < 24.0 || chroma < 0.2 * max {
        let luma = 0.299 * rf + 0.587 * gf + 0.114 * bf;
        return if luma < 64.0 {
            Color::Black
        } else if luma < 160.0 {
            Color::DarkGray
        } else if luma < 230.0 {
            Color::Gray
        } else {
            Color::White
        };
    }
    let hue = if max == rf {
        60.0 * ((gf - bf) / chroma).rem_euclid(6.0)
    } else if max == gf {
        60.0 * ((bf - rf) / chroma + 2.0)
    } else {
        60.0 * ((rf - gf) / chroma + 4.0)
    };
    let light = max >= 224.0;
    let pick = |dark: Color, bright: Color| if light { bright } else { dark };
    if !(30.0..330.0).contains(&hue) {
        pick(Color::Red, Color::LightRed)
    } else if hue < 90.0 {
        pick(Color::Yellow, Color::LightYellow)
    } else if hue < 150.0 {
        pick(Color::Green, Color::LightGreen)
    } else if hue < 210.0 {
        pick(Color::Cyan, Color::LightCyan)
    } else if hue < 270.0 {
        pick(Color::Blue, Color::LightBlue)
    } else {
        pick(Color::Magenta, Color::LightMagenta)
    }
}

/// A theme name usable as a file stem in the user theme directory.
fn valid_name(name: &str) -> bool {
    !name.is_empty() && !name.starts_with('.') && !name.contains(['/', '\\', '\0'])
}

fn warn(
    warnings: &mut Vec<ConfigWarning>,
    file: &Path,
    field: impl Into<String>,
    message: impl Into<String>,
) {
    let w = ConfigWarning {
        file: file.to_path_buf(),
        field: field.into(),
        message: message.into(),
    };
    tracing::warn!("theme: {w}");
    warnings.push(w);
}

/// Picks the theme for an already-normalised name, without adapting colours.
fn resolve(name: &str, user_dir: Option<&Path>, warnings: &mut Vec<ConfigWarning>) -> Theme {
    if valid_name(name)
        && let Some(dir) = user_dir
    {
        let path = dir.join(format!("{name}.toml"));
        if path.is_file() {
            return load_user(name, &path, warnings);
        }
    }
    if let Some(theme) = builtin(name, warnings) {
        return theme;
    }
    let file = user_dir.map_or_else(|| PathBuf::from(name), Path::to_path_buf);
    warn(
        warnings,
        &file,
        "theme",
        format!(
            "unknown theme \"{name}\"; available: {}; using \"default\"",
            available_themes(user_dir).join(", ")
        ),
    );
    Theme::builtin_default()
}

/// Parses a builtin theme; `None` when there is no builtin of that name.
/// Builtins must set every slot and the palette.
fn builtin(name: &str, warnings: &mut Vec<ConfigWarning>) -> Option<Theme> {
    let src = builtin_source(name)?;
    let file = PathBuf::from(format!("(builtin)/themes/{name}.toml"));
    let mut theme = Theme::blank(name);
    if let Some(table) = parse_toml(src, &file, warnings) {
        apply(&mut theme, &table, &file, true, warnings);
    }
    if theme.log_palette.is_empty() {
        theme.log_palette.push(Color::Reset);
    }
    Some(theme)
}

/// Loads a user theme file as a patch over its base builtin.
fn load_user(name: &str, path: &Path, warnings: &mut Vec<ConfigWarning>) -> Theme {
    let text = match fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            warn(
                warnings,
                path,
                "",
                format!("cannot read theme: {e}; using \"default\""),
            );
            return Theme::builtin_default();
        }
    };
    let Some(table) = parse_toml(&text, path, warnings) else {
        return Theme::builtin_default();
    };
    let base = match table.get("extends") {
        None => "default",
        Some(Value::String(s)) if builtin_source(s).is_some() => s.as_str(),
        Some(Value::String(s)) => {
            warn(
                warnings,
                path,
                "extends",
                format!(
                    "unknown builtin theme \"{s}\"; available: {}; extending \"default\"",
                    BUILTIN_THEMES.join(", ")
                ),
            );
            "default"
        }
        Some(_) => {
            warn(
                warnings,
                path,
                "extends",
                "expected the name of a builtin theme, e.g. extends = \"light\"",
            );
            "default"
        }
    };
    let mut theme = builtin(base, warnings).unwrap_or_else(Theme::builtin_default);
    apply(&mut theme, &table, path, false, warnings);
    theme.name = name.to_string();
    theme
}

/// Parses TOML text; on a syntax error warns with the line and column.
fn parse_toml(text: &str, file: &Path, warnings: &mut Vec<ConfigWarning>) -> Option<Table> {
    match text.parse::<Table>() {
        Ok(t) => Some(t),
        Err(e) => {
            let what = e.message().trim().replace('\n', "; ");
            let message = match e.span() {
                Some(span) => {
                    let (line, col) = line_col(text, span.start);
                    format!("invalid TOML at line {line}, column {col}: {what}; using \"default\"")
                }
                None => format!("invalid TOML: {what}; using \"default\""),
            };
            warn(warnings, file, "", message);
            None
        }
    }
}

/// 1-based line and column (in characters) of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut end = offset.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let before = &text[..end];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// Applies a parsed theme file onto `theme`. With `complete`, every slot and
/// the palette must be present (builtins).
fn apply(
    theme: &mut Theme,
    table: &Table,
    file: &Path,
    complete: bool,
    warnings: &mut Vec<ConfigWarning>,
) {
    for (key, value) in table {
        match key.as_str() {
            "name" | "description" => {
                if !value.is_str() {
                    warn(warnings, file, key.as_str(), "expected a string");
                }
            }
            // Resolved by `load_user` before the patch is applied.
            "extends" if !complete => {}
            "slots" => match value.as_table() {
                Some(slots) => apply_slots(theme, slots, file, warnings),
                None => warn(
                    warnings,
                    file,
                    "slots",
                    "expected a table: [slots] with lines like text = { fg = \"reset\" }",
                ),
            },
            "palette" => match value.as_table() {
                Some(palette) => apply_palette(theme, palette, file, warnings),
                None => warn(
                    warnings,
                    file,
                    "palette",
                    "expected a table: [palette] with log = [\"cyan\", ...]",
                ),
            },
            other => warn(
                warnings,
                file,
                other,
                "unknown key (expected name, extends, slots or palette)",
            ),
        }
    }
    if complete {
        let slots = table.get("slots").and_then(Value::as_table);
        for slot in SLOT_NAMES {
            if slots.is_none_or(|s| !s.contains_key(*slot)) {
                warn(warnings, file, format!("slots.{slot}"), "missing slot");
            }
        }
        let log = table
            .get("palette")
            .and_then(Value::as_table)
            .and_then(|p| p.get("log"));
        if log.is_none() {
            warn(warnings, file, "palette.log", "missing log palette");
        }
    }
}

fn apply_slots(theme: &mut Theme, slots: &Table, file: &Path, warnings: &mut Vec<ConfigWarning>) {
    for (slot, value) in slots {
        let field = format!("slots.{slot}");
        if theme.slot(slot).is_none() {
            warn(
                warnings,
                file,
                field,
                format!("unknown slot \"{slot}\" (known: {})", SLOT_NAMES.join(", ")),
            );
            continue;
        }
        if let Some(style) = parse_slot(value, &field, file, warnings)
            && let Some(target) = theme.slot_mut(slot)
        {
            *target = style;
        }
    }
}

/// Parses `{ fg = ..., bg = ..., modifiers = [...] }`. Any problem → `None`
/// (the slot keeps the base style), with a warning per problem.
fn parse_slot(
    value: &Value,
    field: &str,
    file: &Path,
    warnings: &mut Vec<ConfigWarning>,
) -> Option<Style> {
    let Some(table) = value.as_table() else {
        warn(
            warnings,
            file,
            field,
            "expected a table like { fg = \"cyan\", bg = \"reset\", modifiers = [\"bold\"] }",
        );
        return None;
    };
    let mut style = Style::new();
    let mut ok = true;
    for (key, v) in table {
        let sub = format!("{field}.{key}");
        match key.as_str() {
            "fg" | "bg" => match color_value(v) {
                Ok(c) if key == "fg" => style = style.fg(c),
                Ok(c) => style = style.bg(c),
                Err(m) => {
                    warn(warnings, file, sub, m);
                    ok = false;
                }
            },
            "modifiers" => match modifiers_value(v) {
                Ok(m) => style = style.add_modifier(m),
                Err(m) => {
                    warn(warnings, file, sub, m);
                    ok = false;
                }
            },
            _ => {
                warn(
                    warnings,
                    file,
                    sub,
                    format!("unknown key \"{key}\" (expected fg, bg or modifiers)"),
                );
                ok = false;
            }
        }
    }
    ok.then_some(style)
}

const COLOR_HINT: &str = "expected an ANSI name like \"cyan\" or \"reset\", \"#rrggbb\", or 0-255";

fn color_value(v: &Value) -> Result<Color, String> {
    match v {
        Value::String(s) => {
            parse_color(s).ok_or_else(|| format!("unknown colour \"{s}\" ({COLOR_HINT})"))
        }
        Value::Integer(i) => u8::try_from(*i)
            .map(Color::Indexed)
            .map_err(|_| format!("unknown colour {i} ({COLOR_HINT})")),
        other => Err(format!(
            "expected a colour, found a {} ({COLOR_HINT})",
            other.type_str()
        )),
    }
}

fn modifiers_value(v: &Value) -> Result<Modifier, String> {
    const HINT: &str = "expected bold, dim, italic, underlined, reversed or crossed_out";
    let one =
        |s: &str| parse_modifier(s).ok_or_else(|| format!("unknown modifier \"{s}\" ({HINT})"));
    match v {
        Value::String(s) => one(s),
        Value::Array(items) => {
            let mut mods = Modifier::empty();
            let mut bad = String::new();
            for item in items {
                match item.as_str().map(one) {
                    Some(Ok(m)) => mods |= m,
                    Some(Err(e)) => {
                        if !bad.is_empty() {
                            bad.push_str("; ");
                        }
                        bad.push_str(&e);
                    }
                    None => {
                        if !bad.is_empty() {
                            bad.push_str("; ");
                        }
                        let _ = write!(
                            bad,
                            "expected a string, found a {} ({HINT})",
                            item.type_str()
                        );
                    }
                }
            }
            if bad.is_empty() { Ok(mods) } else { Err(bad) }
        }
        other => Err(format!(
            "expected a list like [\"bold\"], found a {}",
            other.type_str()
        )),
    }
}

fn apply_palette(
    theme: &mut Theme,
    palette: &Table,
    file: &Path,
    warnings: &mut Vec<ConfigWarning>,
) {
    for (key, value) in palette {
        if key != "log" {
            warn(
                warnings,
                file,
                format!("palette.{key}"),
                "unknown palette (expected log)",
            );
            continue;
        }
        let Some(items) = value.as_array() else {
            warn(
                warnings,
                file,
                "palette.log",
                "expected a list of colours like [\"cyan\", \"magenta\"]",
            );
            continue;
        };
        let mut colors = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            match color_value(item) {
                Ok(c) => colors.push(c),
                Err(m) => warn(warnings, file, format!("palette.log[{i}]"), m),
            }
        }
        if colors.is_empty() {
            warn(
                warnings,
                file,
                "palette.log",
                "no usable colours; keeping the base theme's palette",
            );
        } else {
            theme.log_palette = colors;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xterm_cube_and_greys() {
        assert_eq!(nearest_xterm256(255, 0, 0), 196);
        assert_eq!(nearest_xterm256(0, 0, 0), 16);
        assert_eq!(nearest_xterm256(128, 128, 128), 244);
        assert_eq!(xterm256_rgb(231), (255, 255, 255));
        assert_eq!(xterm256_rgb(255), (238, 238, 238));
    }

    #[test]
    fn ansi16_by_hue() {
        assert_eq!(nearest_ansi16(0xbf, 0x61, 0x6a), Color::Red);
        assert_eq!(nearest_ansi16(0xa3, 0xbe, 0x8c), Color::Green);
        assert_eq!(nearest_ansi16(0x88, 0xc0, 0xd0), Color::Cyan);
        assert_eq!(nearest_ansi16(0x2e, 0x34, 0x40), Color::Black);
        assert_eq!(nearest_ansi16(0xec, 0xef, 0xf4), Color::White);
        assert_eq!(nearest_ansi16(0, 0, 255), Color::LightBlue);
        assert_eq!(nearest_ansi16(0, 0, 128), Color::Blue);
        assert_eq!(
            downgrade(Color::Indexed(3), ColorDepth::Ansi16),
            Color::Yellow
        );
    }

    #[test]
    fn parses_colours() {
        assert_eq!(parse_color("Light-Red"), Some(Color::LightRed));
        assert_eq!(parse_color("#0a0B0c"), Some(Color::Rgb(10, 11, 12)));
        assert_eq!(parse_color("255"), Some(Color::Indexed(255)));
        assert_eq!(parse_color("256"), None);
        assert_eq!(parse_color("#12345"), None);
        assert_eq!(parse_color("#ééé"), None);
        assert_eq!(parse_color(""), None);
    }

    #[test]
    fn line_col_counts_chars() {
        assert_eq!(line_col("a\nbé c", 6), (2, 4));
        assert_eq!(line_col("ab", 99), (1, 3));
    }
}

//! Theme loading: shipped themes, user themes, bad files, colour depth.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use bosun::config::ConfigWarning;
use bosun::config::theme::{
    BUILTIN_THEMES, ColorDepth, SLOT_NAMES, Theme, available_themes, downgrade, load_theme,
};
use ratatui::style::{Color, Modifier, Style};

const ALL_DEPTHS: [ColorDepth; 4] = [
    ColorDepth::TrueColor,
    ColorDepth::Ansi256,
    ColorDepth::Ansi16,
    ColorDepth::Mono,
];

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/themes")
}

fn load(name: &str, dir: Option<&Path>, depth: ColorDepth) -> (Theme, Vec<ConfigWarning>) {
    let mut warnings = Vec::new();
    let theme = load_theme(name, dir, depth, &mut warnings);
    (theme, warnings)
}

fn colours(theme: &Theme) -> Vec<(String, Color)> {
    let mut out = Vec::new();
    for (slot, style) in theme.slots() {
        out.extend(style.fg.map(|c| (format!("{slot}.fg"), c)));
        out.extend(style.bg.map(|c| (format!("{slot}.bg"), c)));
    }
    for (i, c) in theme.log_palette.iter().enumerate() {
        out.push((format!("palette.log[{i}]"), *c));
    }
    out
}

fn is_ansi16_or_reset(c: Color) -> bool {
    !matches!(c, Color::Rgb(..) | Color::Indexed(_))
}

#[test]
fn every_builtin_parses_cleanly_at_every_depth() {
    for name in BUILTIN_THEMES {
        for depth in ALL_DEPTHS {
            let (theme, warnings) = load(name, None, depth);
            assert!(warnings.is_empty(), "{name} at {depth:?}: {warnings:#?}");
            assert!(!theme.log_palette.is_empty(), "{name} at {depth:?}");
            let expected = if depth == ColorDepth::Mono {
                "monochrome"
            } else {
                name
            };
            assert_eq!(theme.name, *expected);
        }
    }
}

#[test]
fn builtin_files_set_every_slot() {
    // A builtin missing a slot would warn "missing slot" (checked above);
    // here also check the slot list matches the struct.
    let theme = Theme::builtin_default();
    assert_eq!(theme.slots().len(), SLOT_NAMES.len());
    for slot in SLOT_NAMES {
        assert!(theme.slot(slot).is_some(), "{slot}");
    }
    assert_eq!(theme, Theme::default());
}

#[test]
fn builtin_default_matches_loaded_default() {
    let (loaded, warnings) = load("default", None, ColorDepth::TrueColor);
    assert!(warnings.is_empty());
    assert_eq!(Theme::builtin_default(), loaded);
}

#[test]
fn default_uses_only_the_16_ansi_colours() {
    for depth in [
        ColorDepth::TrueColor,
        ColorDepth::Ansi256,
        ColorDepth::Ansi16,
    ] {
        let (theme, _) = load("default", None, depth);
        for (field, c) in colours(&theme) {
            assert!(is_ansi16_or_reset(c), "{field} = {c:?} at {depth:?}");
        }
    }
    let theme = Theme::builtin_default();
    assert_eq!(theme.text.bg, Some(Color::Reset));
    assert_eq!(theme.text.fg, Some(Color::Reset));
}

#[test]
fn monochrome_uses_no_colours() {
    for depth in ALL_DEPTHS {
        let (theme, _) = load("monochrome", None, depth);
        for (slot, style) in theme.slots() {
            assert!(
                matches!(style.fg, None | Some(Color::Reset))
                    && matches!(style.bg, None | Some(Color::Reset)),
                "{slot}: {style:?}"
            );
        }
        assert!(theme.log_palette.iter().all(|c| *c == Color::Reset));
        assert!(theme.selected.add_modifier.contains(Modifier::REVERSED));
    }
}

#[test]
fn mono_depth_gives_monochrome_for_any_name() {
    let (mono, _) = load("monochrome", None, ColorDepth::Mono);
    for name in ["default", "nord", "light", "no-such-theme", "ocean"] {
        let (theme, warnings) = load(name, Some(&fixtures()), ColorDepth::Mono);
        assert!(warnings.is_empty(), "{name}: {warnings:?}");
        assert_eq!(theme, mono, "{name}");
        for (slot, style) in theme.slots() {
            assert_eq!((style.fg, style.bg), (None, None), "{slot}");
        }
    }
}

#[test]
fn truecolor_themes_downgrade_to_the_depth() {
    let (nord, _) = load("nord", None, ColorDepth::TrueColor);
    assert_eq!(nord.ok.fg, Some(Color::Rgb(0xa3, 0xbe, 0x8c)));

    let (nord256, _) = load("nord", None, ColorDepth::Ansi256);
    for (field, c) in colours(&nord256) {
        assert!(!matches!(c, Color::Rgb(..)), "{field} = {c:?}");
    }
    let (nord16, _) = load("nord", None, ColorDepth::Ansi16);
    for (field, c) in colours(&nord16) {
        assert!(is_ansi16_or_reset(c), "{field} = {c:?}");
    }
    assert_eq!(nord16.ok.fg, Some(Color::Green));
    assert_eq!(nord16.error.fg, Some(Color::Red));
    assert_eq!(nord16.text.bg, Some(Color::Black));

    let (light16, _) = load("light", None, ColorDepth::Ansi16);
    for (field, c) in colours(&light16) {
        assert!(is_ansi16_or_reset(c), "light {field} = {c:?}");
    }
    // Modifiers survive the downgrade.
    assert_eq!(nord16.selected.add_modifier, nord.selected.add_modifier);
}

#[test]
fn downgrade_of_pure_red() {
    let red = Color::Rgb(0xff, 0, 0);
    assert_eq!(downgrade(red, ColorDepth::TrueColor), red);
    assert_eq!(downgrade(red, ColorDepth::Ansi256), Color::Indexed(196));
    assert!(matches!(
        downgrade(red, ColorDepth::Ansi16),
        Color::Red | Color::LightRed
    ));
    assert_eq!(downgrade(red, ColorDepth::Mono), Color::Reset);
    // Indexed colours beyond the first 16 are downgraded for 16 colours too.
    assert!(matches!(
        downgrade(Color::Indexed(196), ColorDepth::Ansi16),
        Color::Red | Color::LightRed
    ));
    assert_eq!(
        downgrade(Color::Indexed(196), ColorDepth::Ansi256),
        Color::Indexed(196)
    );
    // Named colours stay as they are.
    assert_eq!(downgrade(Color::Cyan, ColorDepth::Ansi16), Color::Cyan);
    assert_eq!(downgrade(Color::Reset, ColorDepth::Ansi256), Color::Reset);
}

#[test]
fn downgrade_applies_to_user_themes() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("red.toml"),
        "[slots]\nerror = { fg = \"#ff0000\" }\n[palette]\nlog = [\"#ff0000\", 196]\n",
    )
    .expect("write theme");
    let (t256, w) = load("red", Some(dir.path()), ColorDepth::Ansi256);
    assert!(w.is_empty(), "{w:?}");
    assert_eq!(t256.error.fg, Some(Color::Indexed(196)));
    assert_eq!(t256.log_palette, vec![Color::Indexed(196); 2]);
    let (t16, _) = load("red", Some(dir.path()), ColorDepth::Ansi16);
    assert!(matches!(t16.error.fg, Some(Color::Red | Color::LightRed)));
    let (t24, _) = load("red", Some(dir.path()), ColorDepth::TrueColor);
    assert_eq!(t24.error.fg, Some(Color::Rgb(255, 0, 0)));
    assert_eq!(t24.name, "red");
}

#[test]
fn user_theme_overrides_one_slot_and_inherits_the_rest() {
    let (ocean, warnings) = load("ocean", Some(&fixtures()), ColorDepth::TrueColor);
    assert!(warnings.is_empty(), "{warnings:?}");
    let default = Theme::builtin_default();
    assert_eq!(ocean.name, "ocean");
    assert_eq!(
        ocean.selected,
        Style::new()
            .fg(Color::White)
            .bg(Color::Rgb(0x00, 0x5f, 0x87))
            .add_modifier(Modifier::BOLD)
    );
    for (slot, style) in ocean.slots() {
        if slot != "selected" {
            assert_eq!(Some(style), default.slot(slot), "{slot}");
        }
    }
    assert_eq!(ocean.log_palette, default.log_palette);
}

#[test]
fn user_theme_can_extend_another_builtin() {
    let (paper, warnings) = load("paper", Some(&fixtures()), ColorDepth::TrueColor);
    assert!(warnings.is_empty(), "{warnings:?}");
    let (light, _) = load("light", None, ColorDepth::TrueColor);
    assert_eq!(
        paper.error,
        Style::new()
            .fg(Color::Indexed(124))
            .add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
    );
    assert_eq!(paper.text, light.text);
    assert_eq!(paper.selected, light.selected);
    assert_eq!(paper.log_palette, light.log_palette);
}

#[test]
fn user_file_wins_over_builtin_of_the_same_name() {
    let (nord, warnings) = load("nord", Some(&fixtures()), ColorDepth::TrueColor);
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(nord.ok, Style::new().fg(Color::Magenta));
    // It patches default, not the builtin nord.
    assert_eq!(nord.text, Theme::builtin_default().text);
}

#[test]
fn broken_theme_warns_per_problem_and_applies_the_rest() {
    let dir = fixtures();
    let file = dir.join("broken.toml");
    let (theme, warnings) = load("broken", Some(&dir), ColorDepth::TrueColor);

    let by_field: HashMap<&str, &ConfigWarning> =
        warnings.iter().map(|w| (w.field.as_str(), w)).collect();
    assert_eq!(warnings.len(), 3, "{warnings:#?}");
    let mut fields: Vec<&str> = by_field.keys().copied().collect();
    fields.sort_unstable();
    assert_eq!(
        fields,
        [
            "slots.header.modifiers",
            "slots.selected.fg",
            "slots.sidebar"
        ]
    );
    for w in &warnings {
        assert_eq!(w.file, file);
    }
    assert!(
        by_field["slots.selected.fg"]
            .message
            .contains("unknown colour \"blurple\""),
        "{}",
        by_field["slots.selected.fg"].message
    );
    assert!(by_field["slots.sidebar"].message.contains("unknown slot"));
    assert!(
        by_field["slots.header.modifiers"]
            .message
            .contains("\"sparkly\"")
    );
    // Display names file and field.
    let shown = by_field["slots.selected.fg"].to_string();
    assert!(shown.contains("broken.toml") && shown.contains("slots.selected.fg: unknown colour"));

    // Bad slots fall back to the base theme's slot...
    let default = Theme::builtin_default();
    assert_eq!(theme.selected, default.selected);
    assert_eq!(theme.header, default.header);
    // ...the good ones apply.
    assert_eq!(theme.text, Style::new().fg(Color::LightGreen));
    assert_eq!(
        theme.ok,
        Style::new()
            .fg(Color::Rgb(0, 0xff, 0))
            .add_modifier(Modifier::UNDERLINED)
    );
    assert_eq!(theme.log_palette, vec![Color::Red, Color::Blue]);
    assert_eq!(theme.name, "broken");
}

#[test]
fn invalid_toml_warns_with_line_and_uses_default() {
    let dir = fixtures();
    let (theme, warnings) = load("invalid", Some(&dir), ColorDepth::TrueColor);
    assert_eq!(warnings.len(), 1, "{warnings:#?}");
    let w = &warnings[0];
    assert_eq!(w.file, dir.join("invalid.toml"));
    assert!(w.message.contains("line 5"), "{}", w.message);
    assert!(!w.message.contains('\n'), "{}", w.message);
    assert_eq!(theme, Theme::builtin_default());
}

#[test]
fn unknown_theme_warns_and_uses_default() {
    let dir = fixtures();
    let (theme, warnings) = load("blurple", Some(&dir), ColorDepth::TrueColor);
    assert_eq!(warnings.len(), 1, "{warnings:#?}");
    let w = &warnings[0];
    assert_eq!(w.field, "theme");
    assert_eq!(w.file, dir);
    assert!(w.message.contains("\"blurple\""));
    for name in ["default", "nord", "monochrome", "ocean", "paper"] {
        assert!(w.message.contains(name), "{}", w.message);
    }
    assert_eq!(theme, Theme::builtin_default());

    let (_, warnings) = load("nope", None, ColorDepth::Ansi16);
    assert_eq!(warnings.len(), 1);
    assert_eq!(warnings[0].file, PathBuf::from("nope"));
    assert_eq!(warnings[0].field, "theme");

    // Names cannot reach outside the theme directory.
    let (theme, warnings) = load("../themes/ocean", Some(&dir), ColorDepth::TrueColor);
    assert_eq!(warnings.len(), 1);
    assert_eq!(theme.name, "default");
}

#[test]
fn bad_extends_and_bad_values_are_reported() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("odd.toml"),
        concat!(
            "extends = \"solarized\"\n",
            "colour = 1\n",
            "[slots]\n",
            "text = \"red\"\n",
            "muted = { fg = 300 }\n",
            "border = { fgg = \"red\" }\n",
            "key = { fg = \"#12345g\", modifiers = \"bold\" }\n",
            "title = { modifiers = \"reverse\" }\n",
            "[palette]\n",
            "log = []\n",
        ),
    )
    .expect("write theme");
    let (theme, warnings) = load("odd", Some(dir.path()), ColorDepth::TrueColor);
    let mut fields: Vec<&str> = warnings.iter().map(|w| w.field.as_str()).collect();
    fields.sort_unstable();
    assert_eq!(
        fields,
        [
            "colour",
            "extends",
            "palette.log",
            "slots.border.fgg",
            "slots.key.fg",
            "slots.muted.fg",
            "slots.text",
        ],
        "{warnings:#?}"
    );
    let default = Theme::builtin_default();
    assert_eq!(theme.text, default.text);
    assert_eq!(theme.key, default.key);
    assert_eq!(theme.log_palette, default.log_palette);
    assert_eq!(theme.title, Style::new().add_modifier(Modifier::REVERSED));
}

#[test]
fn available_lists_builtins_then_user_themes() {
    assert_eq!(available_themes(None), BUILTIN_THEMES);
    let names = available_themes(Some(&fixtures()));
    assert_eq!(
        names,
        [
            "default",
            "light",
            "high-contrast",
            "monochrome",
            "nord",
            "broken",
            "invalid",
            "ocean",
            "paper",
        ]
    );
    let missing = fixtures().join("does-not-exist");
    assert_eq!(available_themes(Some(&missing)), BUILTIN_THEMES);
}

fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
    move |k: &str| {
        vars.iter()
            .find(|(name, _)| *name == k)
            .map(|(_, v)| (*v).to_string())
    }
}

#[test]
fn detect_colour_depth() {
    let cases: &[(&[(&str, &str)], ColorDepth)] = &[
        (&[], ColorDepth::Ansi16),
        (&[("TERM", "xterm")], ColorDepth::Ansi16),
        (&[("TERM", "xterm-256color")], ColorDepth::Ansi256),
        (&[("TERM", "tmux-256color")], ColorDepth::Ansi256),
        (
            &[("COLORTERM", "truecolor"), ("TERM", "xterm-256color")],
            ColorDepth::TrueColor,
        ),
        (
            &[("COLORTERM", "24bit"), ("TERM", "xterm")],
            ColorDepth::TrueColor,
        ),
        (
            &[("COLORTERM", "yes"), ("TERM", "xterm")],
            ColorDepth::Ansi16,
        ),
        (
            &[("NO_COLOR", "1"), ("COLORTERM", "truecolor")],
            ColorDepth::Mono,
        ),
        // NO_COLOR only counts when non-empty.
        (
            &[("NO_COLOR", ""), ("TERM", "screen-256color")],
            ColorDepth::Ansi256,
        ),
    ];
    for (vars, expected) in cases {
        let lookup = env(vars);
        assert_eq!(ColorDepth::detect(&lookup), *expected, "{vars:?}");
    }
}

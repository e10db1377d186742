//! Untrusted text stays text (docs/ARCHITECTURE.md "Untrusted text"):
//! container logs, event messages and object fields can hold terminal
//! control sequences that recolour, retitle or rewrite a terminal
//! (CVE-2021-25743 was kubectl's). Before such text reaches a terminal,
//! bosun drops ESC sequences (CSI, OSC, DCS/SOS/PM/APC up to their
//! terminator, two-byte escapes), C1 controls (U+0080–U+009F, including the
//! one-character CSI and OSC), BEL and every other C0 control but tab and
//! newline, DEL, and the bidi overrides and isolates (U+202A–U+202E,
//! U+2066–U+2069) that reorder what is shown. kubectl only escapes ESC and
//! CR; this is stricter on purpose.

use std::borrow::Cow;

fn is_bidi(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

fn is_unwanted(c: char) -> bool {
    (c.is_control() && c != '\t' && c != '\n') || is_bidi(c)
}

/// `text` without terminal control sequences (borrowed when it has none).
pub fn for_terminal(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unwanted) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => match chars.next() {
                Some('[') => skip_csi(&mut chars),
                Some(']' | 'P' | 'X' | '^' | '_') => skip_string(&mut chars),
                // A two-character escape (ESC c, ESC 7 ...), or ESC at the end.
                _ => {}
            },
            '\u{9b}' => skip_csi(&mut chars),
            '\u{9d}' | '\u{90}' | '\u{98}' | '\u{9e}' | '\u{9f}' => skip_string(&mut chars),
            c if is_unwanted(c) => {}
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// [`for_terminal`] on an owned string, without a copy when it is clean.
pub fn owned_for_terminal(text: String) -> String {
    if text.chars().any(is_unwanted) {
        for_terminal(&text).into_owned()
    } else {
        text
    }
}

/// Parameters and intermediates, up to the final byte (0x40–0x7E).
fn skip_csi(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    for c in chars.by_ref() {
        if ('\u{40}'..='\u{7e}').contains(&c) {
            return;
        }
    }
}

/// An OSC / DCS / SOS / PM / APC string, up to BEL, ST (ESC \) or U+009C.
fn skip_string(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    while let Some(c) = chars.next() {
        match c {
            '\u{07}' | '\u{9c}' => return,
            '\u{1b}' => {
                if chars.peek() == Some(&'\\') {
                    chars.next();
                }
                return;
            }
            _ => {}
        }
    }
}

/// Tabs expanded to the next multiple of 8 columns (a terminal's default),
/// so a TUI that cannot draw a tab does not lose it.
pub fn expand_tabs(text: &str) -> Cow<'_, str> {
    if !text.contains('\t') {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    let mut column = 0;
    for c in text.chars() {
        if c == '\t' {
            let spaces = 8 - column % 8;
            out.extend(std::iter::repeat_n(' ', spaces));
            column += spaces;
        } else {
            out.push(c);
            column += unicode_width(c);
        }
    }
    Cow::Owned(out)
}

/// Columns a character takes; wide East Asian characters take two.
fn unicode_width(c: char) -> usize {
    unicode_width::UnicodeWidthChar::width(c).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_and_controls_go() {
        let hostile = "ok \u{1b}[31mred\u{1b}[0m \u{1b}]0;pwned title\u{7} \u{1b}]8;;http://x\u{1b}\\link\u{1b}]8;;\u{1b}\\ bell\u{7} \u{9b}2J c1 \u{202e}evil\u{202c} \u{1b}Pdcs\u{1b}\\ tab\there\r\n";
        assert_eq!(
            for_terminal(hostile),
            "ok red  link bell  c1 evil  tab\there\n"
        );
        assert!(matches!(
            for_terminal("plain text\twith tab"),
            Cow::Borrowed(_)
        ));
        assert_eq!(for_terminal("unterminated \u{1b}]0;title"), "unterminated ");
    }

    #[test]
    fn tabs_expand_to_the_next_stop() {
        assert_eq!(expand_tabs("a\tb"), "a       b");
        assert_eq!(expand_tabs("12345678\tx"), "12345678        x");
        assert_eq!(expand_tabs("no tabs"), "no tabs");
    }
}

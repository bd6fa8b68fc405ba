//! Text for a terminal: what Redline prints comes from settlements, Notion and files it did not
//! write, and a control character in it (an agent named `ESC]0;…BEL ESC[31m`) would retitle,
//! recolour or rewrite the terminal. Everything printed for people goes through [`clean`]
//! (the `say!` and `tell!` macros); `--json` output is JSON's own escaping, left exact.

use std::borrow::Cow;

/// Whether `c` must not reach a terminal as it is: C0 controls other than line feed and tab,
/// DEL, C1 controls (U+0080–U+009F: a terminal may read U+009B as CSI), and the bidirectional
/// overrides and isolates that reorder what is shown (U+202A–U+202E, U+2066–U+2069).
fn unsafe_char(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `text` with every unsafe character written as a visible escape (`\x1b`, `\u{9b}`).
pub fn clean(text: &str) -> Cow<'_, str> {
    if !text.chars().any(unsafe_char) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if !unsafe_char(c) {
            out.push(c);
        } else if (c as u32) < 0x80 {
            out.push_str(&format!("\\x{:02x}", c as u32));
        } else {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        }
    }
    Cow::Owned(out)
}

/// `println!` for people: the line is [`clean`]ed.
macro_rules! say {
    () => { println!() };
    ($($arg:tt)*) => { println!("{}", $crate::term::clean(&format!($($arg)*))) };
}

/// `eprintln!` for people: the line is [`clean`]ed.
macro_rules! tell {
    () => { eprintln!() };
    ($($arg:tt)*) => { eprintln!("{}", $crate::term::clean(&format!($($arg)*))) };
}

#[cfg(test)]
mod tests {
    use super::clean;

    #[test]
    fn control_characters_are_shown_not_obeyed() {
        assert_eq!(clean("The Auditor\tok\n"), "The Auditor\tok\n");
        assert_eq!(
            clean("\u{1b}]0;owned\u{7}\u{1b}[31mred"),
            "\\x1b]0;owned\\x07\\x1b[31mred"
        );
        assert_eq!(clean("a\rb\u{7f}"), "a\\x0db\\x7f");
        assert_eq!(clean("\u{9b}31m"), "\\u{9b}31m");
        assert_eq!(clean("abc\u{202e}fed"), "abc\\u{202e}fed");
        assert_eq!(clean("名前 é 👍"), "名前 é 👍");
    }
}

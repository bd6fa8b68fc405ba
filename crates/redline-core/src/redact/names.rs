//! People's names, found offline by gazetteers and context: a title ("Dr", "Ms") before
//! capitalised words, a greeting or a label ("Dear", "my name is", "Name:") before a known
//! first name, or a known first name followed by a known surname.
//!
//! The lists are the US Census 1990 name files (public domain; shipped in the MIT-licensed
//! PyPI package `names` 0.3.0): 2,854 first names and the 10,000 most frequent surnames. A name
//! that is also an ordinary English word ("Will", "Grace", "May", "Brown") is marked in the
//! lists — marked by how often it is written in lower case in the MLQE-PE English post-edits,
//! plus months, weekdays and place names — and counts only next to a title or an unmarked
//! name. What this cannot find: a surname alone ("Smith said"), a first name alone without a
//! greeting, and names outside the lists (most non-English names).

use std::collections::HashMap;
use std::sync::OnceLock;

/// How a word stands in the lists.
#[derive(Clone, Copy, Default)]
struct Entry {
    first: Option<Ambiguity>,
    last: Option<Ambiguity>,
}

#[derive(Clone, Copy, PartialEq)]
enum Ambiguity {
    /// Only a name.
    Name,
    /// Also an ordinary word.
    Word,
}

/// Common lower-case English words, for words after a title.
fn common_words() -> &'static std::collections::HashSet<&'static str> {
    static W: OnceLock<std::collections::HashSet<&'static str>> = OnceLock::new();
    W.get_or_init(|| {
        include_str!("common_words.txt")
            .lines()
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .collect()
    })
}

/// The lists' spelling of a word: "O'Brien" → "Obrien", "McDonald" → "Mcdonald".
fn list_key(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    for (i, c) in word.chars().filter(|&c| c != '\'').enumerate() {
        if i == 0 {
            out.push(c);
        } else {
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

fn lists() -> &'static HashMap<&'static str, Entry> {
    static L: OnceLock<HashMap<&'static str, Entry>> = OnceLock::new();
    L.get_or_init(|| {
        let mut m: HashMap<&'static str, Entry> = HashMap::with_capacity(13_000);
        let read = |text: &'static str| {
            text.lines()
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(|l| match l.strip_prefix('~') {
                    Some(n) => (n, Ambiguity::Word),
                    None => (l, Ambiguity::Name),
                })
        };
        for (n, a) in read(include_str!("first_names.txt")) {
            m.entry(n).or_default().first = Some(a);
        }
        for (n, a) in read(include_str!("last_names.txt")) {
            m.entry(n).or_default().last = Some(a);
        }
        m
    })
}

/// Honorifics that come before a name.
const TITLES: [&str; 14] = [
    "Mr", "Mrs", "Ms", "Miss", "Mx", "Dr", "Prof", "Sir", "Dame", "Herr", "Frau", "Mme", "Mlle",
    "Madam",
];

/// Words after which a capitalised first name is someone being addressed or introduced.
const GREETINGS: [&str; 9] = [
    "dear",
    "hi",
    "hello",
    "hey",
    "thanks",
    "regards",
    "sincerely",
    "cheers",
    "attn",
];

/// A capitalised word: its byte span.
fn capitalised_words(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_uppercase() && (i == 0 || !b[i - 1].is_ascii_alphanumeric()) {
            let mut j = i + 1;
            // "O'Brien", "McDonald", "Smith-Jones": a capital after an apostrophe, a hyphen
            // or "Mc" stays in the word.
            while j < b.len()
                && (b[j].is_ascii_lowercase()
                    || b[j] == b'\''
                    || b[j] == b'-'
                    || (b[j].is_ascii_uppercase()
                        && (matches!(b[j - 1], b'\'' | b'-') || &b[i..j] == b"Mc")))
            {
                j += 1;
            }
            // Trailing apostrophes or hyphens are not part of the word.
            while j > i + 1 && matches!(b[j - 1], b'\'' | b'-') {
                j -= 1;
            }
            if j > i + 1 && (j == b.len() || !b[j].is_ascii_alphanumeric()) {
                out.push((i, j));
            }
            i = j.max(i + 1);
        } else {
            i += 1;
        }
    }
    out
}

/// Only spaces (or one initial: "John F. Kennedy") between two words.
fn adjacent(text: &str, end: usize, next: usize) -> bool {
    let gap = &text.as_bytes()[end..next];
    matches!(gap, b" " | b"  ")
        || (gap.len() == 4 && gap[0] == b' ' && gap[1].is_ascii_uppercase() && &gap[2..] == b". ")
}

/// The word before `at`, as written, with any punctuation between.
fn word_before(text: &str, at: usize) -> (&str, &str) {
    let head = &text[..at];
    let trimmed = head.trim_end_matches([' ', ',', ':', '.', '\n', '\t']);
    let gap = &head[trimmed.len()..];
    let start = trimmed
        .char_indices()
        .rev()
        .find(|&(_, c)| !c.is_alphanumeric() && c != '\'')
        .map_or(0, |(i, c)| i + c.len_utf8());
    (&trimmed[start..], gap)
}

/// The spans of people's names in `text`.
pub fn find(text: &str) -> Vec<(usize, usize)> {
    let words = capitalised_words(text);
    let lists = lists();
    let common = common_words();
    let entry = |w: (usize, usize)| {
        let word = &text[w.0..w.1];
        // Most words are spelt as the lists spell them: no key to build.
        let plain = !word.contains('\'') && word[1..].bytes().all(|b| !b.is_ascii_uppercase());
        let found = if plain {
            lists.get(word)
        } else {
            lists.get(list_key(word).as_str())
        };
        found.copied().unwrap_or_default()
    };
    // Whether a capitalised word is an ordinary word in lower case.
    let ordinary = |w: (usize, usize)| {
        let word = &text[w.0..w.1];
        let mut buf = [0u8; 32];
        word.len() <= buf.len() && {
            buf[..word.len()].copy_from_slice(word.as_bytes());
            buf[..word.len()].make_ascii_lowercase();
            std::str::from_utf8(&buf[..word.len()]).is_ok_and(|l| common.contains(l))
        }
    };
    let mut out: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let w = words[i];
        let e = entry(w);
        let next = words
            .get(i + 1)
            .copied()
            .filter(|n| adjacent(text, w.1, n.0));
        let (written, gap) = word_before(text, w.0);
        // After a title, any capitalised word but an ordinary one ("Mr. Clean") that is no
        // name in the lists.
        let titled = TITLES.iter().any(|t| {
            *t == written
                || (written.len() > 2
                    && written.eq_ignore_ascii_case(t)
                    && written.bytes().all(|b| b.is_ascii_uppercase()))
        }) && !gap.contains('\n')
            && (!ordinary(w) || e.first.is_some() || e.last.is_some());
        // Only the few bytes before the word: a long text is not lower-cased once per word.
        let mut from = w.0.saturating_sub(16);
        while !text.is_char_boundary(from) {
            from += 1;
        }
        let head = text[from..w.0].trim_end().as_bytes();
        let ends = |s: &str| {
            head.len() >= s.len() && head[head.len() - s.len()..].eq_ignore_ascii_case(s.as_bytes())
        };
        let labelled = ends("my name is") || ends("name:");
        let greeted = labelled || GREETINGS.iter().any(|g| g.eq_ignore_ascii_case(written));
        let is_title_word = TITLES.contains(&&text[w.0..w.1]);
        // A first name that is also a word ("Will", "In") only before a surname that is no
        // ordinary word ("Major Peer", "In June" are not names).
        let pair = next.filter(|n| match (e.first, entry(*n).last) {
            (Some(Ambiguity::Name), Some(_)) => true,
            (Some(Ambiguity::Word), Some(Ambiguity::Name)) => !ordinary(w) && !ordinary(*n),
            _ => false,
        });
        let start = if titled || labelled || (greeted && e.first.is_some()) || pair.is_some() {
            Some(w.0)
        } else {
            None
        };
        match start {
            Some(s) if !is_title_word => {
                // Take the following capitalised words that are names too (middle and last).
                let mut end = w.1;
                let mut j = i + 1;
                while let Some(n) = words.get(j).filter(|n| adjacent(text, end, n.0)) {
                    let ne = entry(*n);
                    if ne.last.is_some() || ne.first == Some(Ambiguity::Name) || titled || labelled
                    {
                        end = n.1;
                        j += 1;
                        if j - i >= 3 {
                            break;
                        }
                    } else {
                        break;
                    }
                }
                out.push((s, end));
                i = j;
            }
            _ => i += 1,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(text: &str) -> Vec<&str> {
        find(text).into_iter().map(|(s, e)| &text[s..e]).collect()
    }

    #[test]
    fn names_by_title_greeting_and_pair() {
        assert_eq!(names("Please ask Dr. Okafor about it."), vec!["Okafor"]);
        assert_eq!(names("Dear Sarah, thanks."), vec!["Sarah"]);
        assert_eq!(
            names("Meet John Smith and Maria Garcia."),
            vec!["John Smith", "Maria Garcia"]
        );
        assert_eq!(
            names("My name is Daniel Thompson."),
            vec!["Daniel Thompson"]
        );
        // Ordinary words and places are left alone.
        assert!(
            names("Grace period ends in May; Will Power is a film. Georgia Tech won.").is_empty()
        );
        assert!(names("The Sales Team met in Paris on Monday.").is_empty());
    }
}

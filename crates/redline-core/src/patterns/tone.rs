//! Tone features of a text, compared between the AI output and the final version: formality
//! (contractions, formal words and connectives, hedges, pronouns, sentence length), sentiment
//! (VADER, per sentence, averaged), length, and structure (bullets, headings, paragraphs).

use super::tokens::{word_hash, IdHasher, IdMap, Tokens};
use serde::Serialize;
use std::collections::HashMap;
use std::hash::BuildHasherDefault;
use std::sync::OnceLock;
use vader_parity::SentimentIntensityAnalyzer;

/// The features, in the order of [`FEATURES`].
pub type Features = [f64; 10];

/// Name, unit, and what an increase means, for each feature.
pub const FEATURES: [(&str, &str, &str); 10] = [
    ("contractions", "per 100 words", "less formal"),
    ("formal_words", "per 100 words", "more formal"),
    ("hedges", "per 100 words", "more hedged"),
    ("first_person", "per 100 words", "more personal (I, we)"),
    ("second_person", "per 100 words", "more direct (you)"),
    ("sentence_length", "words per sentence", "longer sentences"),
    ("sentiment", "VADER compound, −1..1", "more positive"),
    ("words", "words", "longer"),
    ("bullets", "lines", "more list items"),
    ("paragraphs", "paragraphs", "more paragraphs"),
];

const CONTRACTION_ENDINGS: [&str; 6] = ["n't", "'re", "'ll", "'ve", "'m", "'d"];
const CONTRACTED: [&str; 8] = [
    "let's", "it's", "that's", "there's", "here's", "what's", "who's", "we're",
];
const FORMAL: [&str; 22] = [
    "however",
    "therefore",
    "furthermore",
    "moreover",
    "additionally",
    "consequently",
    "thus",
    "hence",
    "nevertheless",
    "accordingly",
    "whereas",
    "utilize",
    "utilise",
    "commence",
    "leverage",
    "facilitate",
    "endeavor",
    "regarding",
    "pursuant",
    "henceforth",
    "recommended",
    "aforementioned",
];
const HEDGES: [&str; 13] = [
    "may",
    "might",
    "could",
    "possibly",
    "potentially",
    "perhaps",
    "likely",
    "somewhat",
    "arguably",
    "generally",
    "typically",
    "seemingly",
    "presumably",
];
const FIRST: [&str; 8] = ["i", "me", "my", "mine", "we", "us", "our", "ours"];
const SECOND: [&str; 4] = ["you", "your", "yours", "yourself"];

fn analyzer() -> &'static SentimentIntensityAnalyzer {
    static A: OnceLock<SentimentIntensityAnalyzer> = OnceLock::new();
    A.get_or_init(SentimentIntensityAnalyzer::new)
}

/// Which lists a word (by its lower-cased hash) is on: one lookup per word.
const FORMAL_BIT: u8 = 1;
const HEDGE_BIT: u8 = 2;
const FIRST_BIT: u8 = 4;
const SECOND_BIT: u8 = 8;

fn lists() -> &'static IdMap<u32, u8> {
    static L: OnceLock<IdMap<u32, u8>> = OnceLock::new();
    L.get_or_init(|| {
        let mut m: IdMap<u32, u8> = IdMap::default();
        for (words, bit) in [
            (&FORMAL[..], FORMAL_BIT),
            (&HEDGES[..], HEDGE_BIT),
            (&FIRST[..], FIRST_BIT),
            (&SECOND[..], SECOND_BIT),
        ] {
            for w in words {
                *m.entry(word_hash(w)).or_default() |= bit;
            }
        }
        m
    })
}

fn is_contraction(w: &str) -> bool {
    if !w.contains('\'') && !w.contains('’') {
        return false;
    }
    let w = w.replace('’', "'").to_lowercase();
    CONTRACTED.contains(&w.as_str()) || CONTRACTION_ENDINGS.iter().any(|e| w.ends_with(e))
}

/// A word that marks register: a contraction, a formal word or a hedge (one lookup in the
/// lists the tone features count with).
pub(super) fn marks_register(w: &str) -> bool {
    is_contraction(w)
        || lists()
            .get(&word_hash(w))
            .is_some_and(|bits| bits & (FORMAL_BIT | HEDGE_BIT) != 0)
}

/// Measure a text.
pub fn features(text: &str) -> Features {
    features_of(&Tokens::of(text), &mut sentence_sentiment)
}

/// VADER's compound score of one sentence, or 0 without running VADER when it must be 0.
fn sentence_sentiment(sentence: &str) -> f64 {
    if surely_neutral(sentence) {
        0.0
    } else {
        analyzer().polarity_scores(sentence).compound
    }
}

/// Whether no token of `sentence`, as VADER splits and folds it, can be in VADER's lexicon, which
/// makes its compound score exactly 0: VADER sums one valence per token, and a token outside the
/// lexicon adds 0 whatever stands around it (boosters, negations, "but" and the punctuation
/// emphasis only scale or add to a lexicon word's valence). 62% of the sentences of the first
/// 300 long documents of `examples/long_docs.rs` hold none and skip VADER (a first summary of
/// 5,000 of them 2.63–2.67 → 2.55 s). Text VADER would change first (an emoji becomes its
/// description) is never judged here.
fn surely_neutral(sentence: &str) -> bool {
    sentence
        .split(|c: char| c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c))
        .filter(|w| !w.is_empty())
        .all(token_outside_lexicon)
}

/// One white-space token, stripped of ASCII punctuation as VADER strips it (only when more than
/// two characters are left) and lower-cased: sure to be outside VADER's lexicon?
fn token_outside_lexicon(w: &str) -> bool {
    let stripped = w.trim_matches(|c: char| c.is_ascii_punctuation());
    let t = if stripped.chars().count() <= 2 {
        w
    } else {
        stripped
    };
    if t.is_ascii() {
        return !in_lexicon(t);
    }
    // VADER's lexicon is ASCII but for two emoticons with a 'Þ'. A token holding a letter of
    // another script or a typographic quote or dash keeps it when lower-cased, so it is in no
    // entry; any other non-ASCII character (it may be an emoji) sends the sentence to VADER.
    t.chars()
        .all(|c| c.is_ascii() || (inert(c) && c != '\u{de}' && c != '\u{fe}'))
}

/// Non-ASCII characters VADER neither translates (no emoji among them: a test checks each) nor
/// lower-cases to ASCII: Latin, Greek and Cyrillic letters and their combining marks, typographic
/// punctuation, CJK, kana, Hangul, Devanagari and Sinhala.
fn inert(c: char) -> bool {
    matches!(c,
        '\u{ab}' | '\u{bb}' | '\u{c0}'..='\u{24f}' | '\u{300}'..='\u{36f}'
        | '\u{370}'..='\u{3ff}' | '\u{400}'..='\u{52f}' | '\u{900}'..='\u{97f}'
        | '\u{d80}'..='\u{dff}' | '\u{2010}'..='\u{2027}' | '\u{3001}'..='\u{3002}'
        | '\u{300c}'..='\u{300f}' | '\u{3040}'..='\u{30ff}' | '\u{3400}'..='\u{4dbf}'
        | '\u{4e00}'..='\u{9fff}' | '\u{ac00}'..='\u{d7a3}' | '\u{ff01}'..='\u{ff5e}')
}

/// Whether an ASCII token (as VADER strips it) is in VADER's lexicon. The lexicon is not
/// public, so a token is scored alone once: alone, a lexicon word (every valence is at least
/// 0.1 away from 0) scores non-zero and anything else 0 (a booster scores 0 alone and adds 0 in a
/// sentence too). Remembered by a 64-bit hash of the lower-cased token, up to 64k tokens (about
/// 1.5 MB, held while the process runs: a shard that fills starts over).
fn in_lexicon(t: &str) -> bool {
    type Shard = std::sync::RwLock<IdMap<u64, bool>>;
    static SEEN: OnceLock<Vec<Shard>> = OnceLock::new();
    const SHARDS: usize = 16;
    const LIMIT: usize = 1 << 12;
    let seen = SEEN.get_or_init(|| (0..SHARDS).map(|_| Default::default()).collect());
    let h = crate::hash::mix(t.bytes().fold(crate::hash::FNV_SEED, |h, b| {
        crate::hash::fnv1a(h, &[b.to_ascii_lowercase()])
    }));
    let shard = &seen[(h as usize) % SHARDS];
    if let Some(v) = shard.read().unwrap_or_else(|p| p.into_inner()).get(&h) {
        return *v;
    }
    let v = analyzer().polarity_scores(&t.to_ascii_lowercase()).compound != 0.0;
    let mut m = shard.write().unwrap_or_else(|p| p.into_inner());
    if m.len() >= LIMIT {
        m.clear();
    }
    m.insert(h, v);
    v
}

/// Sentence sentiment scores remembered during one mining run: a sentence that recurs (an
/// agent's stock opener, a sign-off, a sentence the edit left alone) is scored once. Keyed by
/// a 64-bit hash of the sentence, in shards so that threads rarely wait for one another; it
/// starts over when it holds [`SentimentMemo::LIMIT`] sentences.
pub(crate) struct SentimentMemo {
    shards: Vec<std::sync::Mutex<HashMap<u64, f64, BuildHasherDefault<IdHasher>>>>,
}

impl SentimentMemo {
    const SHARDS: usize = 16;
    const LIMIT: usize = 1 << 20;

    /// An estimate of the heap it holds, in bytes.
    pub(crate) fn heap(&self) -> usize {
        self.shards
            .iter()
            .map(|s| {
                let s = s.lock().unwrap_or_else(|p| p.into_inner());
                s.capacity() * 8 / 7 * (std::mem::size_of::<(u64, f64)>() + 1)
            })
            .sum()
    }

    pub(crate) fn new() -> SentimentMemo {
        SentimentMemo {
            shards: (0..Self::SHARDS).map(|_| Default::default()).collect(),
        }
    }

    /// VADER's compound score of one sentence. VADER splits a text at white space, so a
    /// sentence scores the same with or without the spaces and line breaks around it: the memo
    /// keys it without them (a sentence ends a paragraph in one text and not in the other;
    /// on the long-document set this saves a quarter of the scoring).
    fn score(&self, sentence: &str) -> f64 {
        let sentence = sentence.trim();
        let h = crate::hash::mix(crate::hash::fnv1a(
            crate::hash::FNV_SEED,
            sentence.as_bytes(),
        ));
        let shard = &self.shards[(h as usize) % Self::SHARDS];
        if let Some(v) = shard.lock().expect("not poisoned").get(&h) {
            return *v;
        }
        let v = sentence_sentiment(sentence);
        let mut m = shard.lock().expect("not poisoned");
        if m.len() >= Self::LIMIT / Self::SHARDS {
            m.clear();
        }
        m.insert(h, v);
        v
    }
}

/// Measure both texts of a settlement.
pub(crate) fn features_pair(
    a: &Tokens<'_>,
    f: &Tokens<'_>,
    memo: &SentimentMemo,
) -> (Features, Features) {
    let fa = features_of(a, &mut |s| memo.score(s));
    let ff = features_of(f, &mut |s| memo.score(s));
    (fa, ff)
}

/// Measure a text already segmented; `sentiment` scores one sentence.
pub(crate) fn features_of<'a>(
    t: &Tokens<'a>,
    sentiment_of: &mut dyn FnMut(&'a str) -> f64,
) -> Features {
    let n = t.len() as f64;
    let per100 = |count: usize| {
        if n > 0.0 {
            100.0 * count as f64 / n
        } else {
            0.0
        }
    };
    let l = lists();
    let mut on = [0usize; 4];
    for h in &t.hashes {
        if let Some(bits) = l.get(h) {
            for (k, bit) in [FORMAL_BIT, HEDGE_BIT, FIRST_BIT, SECOND_BIT]
                .iter()
                .enumerate()
            {
                if bits & bit != 0 {
                    on[k] += 1;
                }
            }
        }
    }
    let contractions = (0..t.len()).filter(|i| is_contraction(t.word(*i))).count();
    let mut sentence_count = 0usize;
    let mut sentiment = 0.0;
    for &(a, b) in &t.sentences {
        let s = &t.text[a..b];
        if s.chars().any(char::is_alphanumeric) {
            sentence_count += 1;
            sentiment += sentiment_of(s);
        }
    }
    let text = t.text;
    let bullets = text
        .lines()
        .map(str::trim_start)
        .filter(|l| {
            l.starts_with("- ")
                || l.starts_with("* ")
                || l.starts_with("• ")
                || l.split_once(". ").is_some_and(|(d, _)| {
                    !d.is_empty() && d.len() <= 3 && d.chars().all(|c| c.is_ascii_digit())
                })
        })
        .count();
    let paragraphs = text
        .split("\n\n")
        .filter(|p| p.chars().any(char::is_alphanumeric))
        .count();
    [
        per100(contractions),
        per100(on[0]),
        per100(on[1]),
        per100(on[2]),
        per100(on[3]),
        if sentence_count > 0 {
            n / sentence_count as f64
        } else {
            0.0
        },
        if sentence_count > 0 {
            sentiment / sentence_count as f64
        } else {
            0.0
        },
        n,
        bullets as f64,
        paragraphs as f64,
    ]
}

/// How one feature moved from the AI output to the final version across an agent's
/// settlements: paired differences, Cohen's d_z (mean difference ÷ its standard deviation,
/// capped at ±10) and the Wilcoxon signed-rank test.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ToneShift {
    pub feature: &'static str,
    pub unit: &'static str,
    /// What a rise of this feature means ("less formal").
    pub rise_means: &'static str,
    pub n: usize,
    pub mean_ai: f64,
    pub mean_final: f64,
    pub mean_change: f64,
    pub effect_size: f64,
    pub p_value: f64,
    /// p < 0.01 and |d_z| ≥ 0.2 (at least a small effect).
    pub significant: bool,
}

/// Shifts of every feature over paired `(ai, final)` measurements.
pub fn shifts(pairs: &[(Features, Features)]) -> Vec<ToneShift> {
    if pairs.len() < 2 {
        return Vec::new();
    }
    let n = pairs.len() as f64;
    let features: Vec<(usize, &(&'static str, &'static str, &'static str))> =
        FEATURES.iter().enumerate().collect();
    crate::parallel::map(&features, |&(k, (feature, unit, rise_means))| {
        let diffs: Vec<f64> = pairs.iter().map(|(a, f)| f[k] - a[k]).collect();
        let mean = diffs.iter().sum::<f64>() / n;
        let sd = (diffs.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
        // d_z, capped at ±10: identical non-zero differences (sd = 0) are as consistent as
        // a shift can be.
        let effect = if sd > 1e-12 {
            (mean / sd).clamp(-10.0, 10.0)
        } else if mean.abs() > 1e-12 {
            10.0 * mean.signum()
        } else {
            0.0
        };
        let p = crate::stats::wilcoxon_signed_rank(&diffs).map_or(1.0, |(_, p)| p);
        ToneShift {
            feature,
            unit,
            rise_means,
            n: pairs.len(),
            mean_ai: pairs.iter().map(|(a, _)| a[k]).sum::<f64>() / n,
            mean_final: pairs.iter().map(|(_, f)| f[k]).sum::<f64>() / n,
            mean_change: mean,
            effect_size: effect,
            p_value: p,
            significant: p < 0.01 && effect.abs() >= 0.2,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn features_by_hand() {
        let f = features("We don't need it. However, you may utilize it.\n\n- one\n- two");
        // Words: we don't need it however you may utilize it one two = 11.
        assert_eq!(f[7], 11.0);
        assert!((f[0] - 100.0 / 11.0).abs() < 1e-9); // don't
        assert!((f[1] - 200.0 / 11.0).abs() < 1e-9); // however, utilize
        assert!((f[2] - 100.0 / 11.0).abs() < 1e-9); // may
        assert!((f[3] - 100.0 / 11.0).abs() < 1e-9); // we
        assert!((f[4] - 100.0 / 11.0).abs() < 1e-9); // you
        assert_eq!((f[8], f[9]), (2.0, 2.0));
        assert!(features("This is wonderful, great work!")[6] > 0.5);
        assert!(features("This is terrible and awful.")[6] < -0.5);
        assert_eq!(features(""), [0.0; 10]);
    }

    /// The shortcut gives VADER's own score on real text (the hand-labelled MLQE-PE edits'
    /// contexts), on text VADER treats specially, and on random mixes of lexicon words,
    /// boosters, negations, capitals, punctuation, emoticons, emoji and other scripts.
    #[test]
    fn the_neutral_shortcut_scores_as_vader_does() {
        let vader = |s: &str| analyzer().polarity_scores(s).compound;
        let mut texts: Vec<String> = Vec::new();
        for line in include_str!("../../tests/data/edit-labels.jsonl").lines() {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            for k in ["before", "old", "new", "after"] {
                texts.push(v[k].as_str().unwrap_or_default().to_string());
            }
        }
        for t in [
            "",
            "is?",
            "kind of",
            "KIND of",
            "no",
            "No way.",
            "not bad",
            "NOT BAD!!!",
            ":)",
            ":-)",
            "8-)",
            "<3",
            "the :D end",
            "Good😀",
            "😀",
            "‼",
            "The © sign",
            "ⓜ",
            "ℹ info",
            "Ⅻ",
            "\u{212a}ind",
            "İyi",
            ":-\u{de}",
            ":\u{fe}",
            "«good»",
            "“great”",
            "great—",
            "naïve café",
            "sehr schön",
            "好的",
            "Привет",
            "very much so",
            "kinda",
            "least good",
            "at least",
            "without doubt",
            "the bomb",
            "yeah right",
            "but",
            "but bad",
            "wtf",
        ] {
            texts.push(t.to_string());
        }
        let pool = [
            "good",
            "bad",
            "Good",
            "BAD",
            "no",
            "not",
            "never",
            "very",
            "extremely",
            "kind",
            "of",
            "but",
            "least",
            "the",
            "cat",
            "sat",
            "!",
            "?",
            "...",
            ":)",
            ":(",
            "😀",
            "💔",
            "café",
            "—",
            "“",
            "”",
            "好",
            "ß",
            "ÉCOLE",
            "isn't",
            "don't",
            "lol",
            "ok",
            "x",
            ",",
            "(",
            "Ⓜ",
            "\u{a0}",
            "\t",
            "\u{1f}",
            "©",
            "ℹ",
            "\u{212a}",
        ];
        let mut rng: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..20_000 {
            let mut t = String::new();
            rng = crate::hash::mix(rng);
            for k in 0..(rng % 9) {
                let r = crate::hash::mix(rng ^ k);
                t.push_str(pool[(r % pool.len() as u64) as usize]);
                if r & (1 << 40) != 0 {
                    t.push(' ');
                }
            }
            texts.push(t);
        }
        let mut shortcut = 0;
        for t in &texts {
            assert_eq!(sentence_sentiment(t), vader(t), "{t:?}");
            shortcut += usize::from(surely_neutral(t));
        }
        assert!(shortcut > texts.len() / 10 && shortcut < texts.len() * 9 / 10);
        assert!(surely_neutral("The cat sat on the mat.") && !surely_neutral("A good cat."));
    }

    /// No character [`inert`] lets through is one VADER translates or folds to ASCII: glued
    /// to a lexicon word, it leaves the word unscored, where an emoji's description would
    /// stand apart from it and let it score.
    #[test]
    fn no_inert_character_is_an_emoji() {
        let mut checked = 0;
        for c in (0x80..0x1_0000)
            .filter_map(char::from_u32)
            .filter(|c| inert(*c))
        {
            for t in [format!("good{c}"), format!("{c}good")] {
                assert_eq!(analyzer().polarity_scores(&t).compound, 0.0, "{c:?}");
            }
            checked += 1;
        }
        assert!(checked > 20_000);
        assert!(!inert('😀') && !inert('‼') && !inert('©') && !inert('Ⓜ'));
    }

    #[test]
    fn a_consistent_shift_is_significant_and_noise_is_not() {
        let formal = features("It is recommended that we utilize the tool. However, it may help.");
        let plain = features("We'll use the tool. It'll help.");
        let pairs: Vec<_> = (0..40).map(|_| (formal, plain)).collect();
        let s = shifts(&pairs);
        let contractions = s.iter().find(|t| t.feature == "contractions").unwrap();
        assert!(contractions.significant && contractions.mean_change > 0.0);
        let formal_words = s.iter().find(|t| t.feature == "formal_words").unwrap();
        assert!(formal_words.significant && formal_words.mean_change < 0.0);
        // Unchanged texts: nothing moves.
        let same: Vec<_> = (0..40).map(|_| (formal, formal)).collect();
        assert!(shifts(&same).iter().all(|t| !t.significant));
    }
}

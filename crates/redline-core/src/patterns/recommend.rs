//! Ranking by evidence and effort, and the recommendations worded from the evidence.

use super::miner::MARKS;
use super::*;

/// Stronger evidence first: the higher lower end of the interval, then more hits.
pub(super) fn by_evidence(a: (&Estimate, usize), b: (&Estimate, usize)) -> std::cmp::Ordering {
    let low = |e: &Estimate| e.low.unwrap_or(0.0);
    low(b.0).total_cmp(&low(a.0)).then(b.1.cmp(&a.1))
}

/// The editing a pattern accounts for at the least: the lower end of its share's interval ×
/// its support × its words.
pub(super) fn effort(share: &Estimate, support: usize, words: usize) -> f64 {
    share.low.unwrap_or(0.0) * support as f64 * words as f64
}

/// More editing accounted for first (see [`effort`]), then the stronger evidence.
pub(super) fn by_effort(
    a: (f64, &Estimate, usize),
    b: (f64, &Estimate, usize),
) -> std::cmp::Ordering {
    b.0.total_cmp(&a.0)
        .then_with(|| by_evidence((a.1, a.2), (b.1, b.2)))
}

/// A candidate phrase of the deleted list or of the replacement sources, with its counts:
/// its occurrences in the AI outputs and those people wholly changed, and `base`, the rate a
/// stretch of as many words of these outputs is wholly changed at.
#[derive(Clone, Copy, Debug)]
pub(super) struct Candidate<'a> {
    pub(super) words: &'a [u32],
    pub(super) occurrences: usize,
    pub(super) changed: usize,
    pub(super) base: f64,
}

impl Candidate<'_> {
    /// The chance of `changed` or more of `occurrences` changed at the `base` rate: the
    /// one-sided p-value of its evidence (occurrences taken as independent trials, which
    /// the repeats of a word in one output are not quite).
    pub(super) fn p_value(&self, changed: usize, occurrences: usize) -> f64 {
        crate::stats::binomial_at_least(changed.min(occurrences), occurrences, self.base)
    }

    /// Whether `changed` of `occurrences` (its own counts, or what is left of them) stand out
    /// at `cutoff`: it is one of the tests the cut was made over, and the p-value clears it.
    pub(super) fn clears(
        &self,
        changed: usize,
        occurrences: usize,
        cutoff: Option<Cutoff>,
    ) -> bool {
        changed > 0
            && cutoff.is_some_and(|c| {
                least_p(self.occurrences, self.base) <= c.reachable
                    && self.p_value(changed, occurrences) <= c.p
            })
    }

    /// Whether its own counts stand out at `cutoff` (see [`stand_out_cutoff`]).
    pub(super) fn stands_out(&self, cutoff: Option<Cutoff>) -> bool {
        self.clears(self.changed, self.occurrences, cutoff)
    }
}

/// Where [`stand_out_cutoff`] cut: the tests it kept (those whose least p-value is at most
/// `reachable`) and the p-value at or under which one of them stands out.
#[derive(Clone, Copy, Debug)]
pub(super) struct Cutoff {
    pub(super) reachable: f64,
    pub(super) p: f64,
}

/// The p-value at or under which a candidate stands out, so that at most [`LIST_FDR`] of the
/// phrases listed are expected to be false discoveries. The family is every candidate tested
/// (the deleted list's and the replacement sources' together) and the phrases that could have
/// been listed but were never candidates (`untested`: their occurrences, tested at `base`).
///
/// Counts are discrete: a word in five outputs cannot reach a p-value below base⁵ however
/// often it is cut, and many such words would only dilute the family. Tarone's rule leaves
/// out the tests that cannot reach α/K, where K is the least number for which at most K tests
/// can; Benjamini–Hochberg then runs over those (Gilbert 2005, "A modified false discovery rate
/// multiple-comparisons procedure for discrete data"). `None` when no candidate stands out.
pub(super) fn stand_out_cutoff(
    families: &[&[Candidate<'_>]],
    (untested, base): (&[usize], f64),
) -> Option<Cutoff> {
    // (p-value, the least p-value it could have had: every occurrence changed).
    let mut tests: Vec<(f64, f64)> = families
        .iter()
        .flat_map(|f| f.iter())
        .map(|c| {
            (
                c.p_value(c.changed, c.occurrences),
                least_p(c.occurrences, c.base),
            )
        })
        .collect();
    tests.extend(untested.iter().map(|o| (1.0, least_p(*o, base))));
    let mut least: Vec<f64> = tests.iter().map(|t| t.1).collect();
    least.sort_by(f64::total_cmp);
    let reach = |k: usize| least.partition_point(|p| *p <= LIST_FDR / k as f64);
    let k = (1..=least.len()).find(|k| reach(*k) <= *k)?;
    let reachable = LIST_FDR / k as f64;
    let kept: Vec<f64> = tests
        .iter()
        .filter(|t| t.1 <= reachable)
        .map(|t| t.0)
        .collect();
    let q = benjamini_hochberg(&kept);
    let p = kept
        .iter()
        .zip(q)
        .filter(|(_, q)| *q < LIST_FDR)
        .map(|(p, _)| *p)
        .max_by(f64::total_cmp)?;
    Some(Cutoff { reachable, p })
}

/// The least p-value a test of `occurrences` at rate `base` can give: every one changed.
fn least_p(occurrences: usize, base: f64) -> f64 {
    crate::stats::binomial_at_least(occurrences, occurrences, base)
}

/// Which of a list's candidates carry evidence of their own, and how much of their editing is
/// theirs. Longest first, a candidate is kept when its changed occurrences, less those of the
/// kept phrases that contain it, still stand out at `cutoff` among its occurrences less those
/// ([`Candidate::p_value`]): "would" is listed beside "would be" only when people change "would"
/// outside "would be" more often than an average word. `listed`: phrases of another
/// list, kept already, that explain a candidate's changes the same way. Per candidate: the
/// share of its changed occurrences that are its own, or `None` (explained by longer phrases,
/// or changed no more often than an average word).
pub(super) fn own_evidence(
    cands: &[Candidate<'_>],
    listed: &[Candidate<'_>],
    cutoff: Option<Cutoff>,
) -> Vec<Option<f64>> {
    let mut order: Vec<usize> = (0..cands.len()).collect();
    order.sort_by(|a, b| {
        cands[*b]
            .words
            .len()
            .cmp(&cands[*a].words.len())
            .then(a.cmp(b))
    });
    let mut out = vec![None; cands.len()];
    if cutoff.is_none() {
        return out;
    }
    let mut kept: Vec<Candidate<'_>> = listed.to_vec();
    for i in order {
        let cand = cands[i];
        let (mut o, mut c) = (cand.occurrences, cand.changed);
        // Each changed occurrence of a longer phrase changed this one too: those are its
        // explanation, taken out of both counts. (Where the longer phrase stayed, this one
        // still had its own chance to change.)
        for k in &kept {
            if k.words.len() > cand.words.len() && contains(k.words, cand.words) {
                o = o.saturating_sub(k.changed);
                c = c.saturating_sub(k.changed);
            }
        }
        if cand.clears(c, o, cutoff) {
            out[i] = Some(c as f64 / cand.changed as f64);
            kept.push(cand);
        }
    }
    out
}

/// What to do about a structure pattern of `kind` ("End when the content ends"), when there is
/// something to do: a moved sentence says the order is wrong, not which order is right.
pub(crate) fn structure_advice(kind: &str) -> Option<&'static str> {
    Some(match kind {
        "opening_sentence_cut" => "Start with the substance",
        "closing_sentence_cut" => "End when the content ends",
        "restating_sentence_cut" => "Say each point once",
        "heading_removed" => "Leave out headings",
        "list_to_prose" => "Write prose, not lists",
        "prose_to_list" => "Put several points in a list",
        "sentence_split" => "Write shorter sentences",
        "sentences_merged" => "Join short sentences that belong together",
        kind => MARKS.iter().find(|m| m.0 == kind)?.3,
    })
}

/// Whether two phrases are pieces of one longer phrase: one's end is the other's start over
/// at least half the shorter. (A phrase inside another is judged by [`own_evidence`].)
pub(super) fn overlapping(a: &[u32], b: &[u32]) -> bool {
    let shorter = a.len().min(b.len());
    (shorter.div_ceil(2)..shorter).any(|k| a[a.len() - k..] == b[..k] || b[b.len() - k..] == a[..k])
}

/// The [`TOP`] phrases by the editing they account for, then by evidence, then by text; a
/// phrase that overlaps one ranked above it (the n-grams of a sentence longer than [`MAX_N`]
/// words that the merge left apart) is not listed again.
pub(super) fn rank_phrases(mut list: Vec<(Phrase, Vec<u32>)>) -> Vec<(Phrase, Vec<u32>)> {
    list.sort_by(|(a, _), (b, _)| {
        by_effort((a.effort, &a.share, a.hits), (b.effort, &b.share, b.hits))
            .then(a.text.cmp(&b.text))
    });
    top_apart(list)
}

/// The first [`TOP`] of a ranked list (items with their words), skipping any that overlaps
/// one kept before it.
pub(super) fn top_apart<T>(ranked: Vec<(T, Vec<u32>)>) -> Vec<(T, Vec<u32>)> {
    let mut kept: Vec<(T, Vec<u32>)> = Vec::with_capacity(TOP);
    for (p, w) in ranked {
        if kept.len() == TOP {
            break;
        }
        if !kept.iter().any(|(_, k)| overlapping(k, &w)) {
            kept.push((p, w));
        }
    }
    kept
}

pub(super) fn pct(x: f64) -> String {
    format!("{:.0}%", x * 100.0)
}

/// The settlements whose `feature` moved most in the direction of the shift (`pairs` and
/// `ids` oldest first; ties go to the older).
pub(super) fn tone_examples(
    pairs: &[(Features, Features)],
    ids: &[&str],
    feature: usize,
    rising: bool,
) -> Vec<String> {
    let change = |i: usize| pairs[i].1[feature] - pairs[i].0[feature];
    let order = |a: &usize, b: &usize| {
        let (x, y) = (change(*a), change(*b));
        let by_change = if rising {
            y.total_cmp(&x)
        } else {
            x.total_cmp(&y)
        };
        by_change.then(a.cmp(b))
    };
    let mut idx: Vec<usize> = (0..pairs.len()).collect();
    if idx.len() > EXAMPLES {
        idx.select_nth_unstable_by(EXAMPLES, order);
        idx.truncate(EXAMPLES);
    }
    idx.sort_by(order);
    idx.into_iter().map(|i| ids[i].to_owned()).collect()
}

/// What one group's recommendations are drawn from.
#[derive(Clone, Copy)]
pub(super) struct Evidence<'a> {
    pub(super) settlements: usize,
    pub(super) rewritten: usize,
    pub(super) deleted: &'a [Phrase],
    pub(super) added: &'a [Phrase],
    pub(super) replacements: &'a [Replacement],
    pub(super) structure: &'a [StructurePattern],
    pub(super) tone: &'a [ToneShift],
}

/// The prompt changes the evidence calls for; `tone_examples(feature, rising)` names the
/// settlements behind a tone shift.
pub(super) fn recommend(
    evidence: &Evidence<'_>,
    tone_examples: &dyn Fn(usize, bool) -> Vec<String>,
) -> Vec<Recommendation> {
    let Evidence {
        settlements,
        rewritten,
        deleted,
        added,
        replacements,
        structure,
        tone,
    } = *evidence;
    let mut out = Vec::new();
    // A replacement is advice when one target is what people chose in ≥ 40% of the outputs
    // that use the source.
    let chosen = |r: &Replacement| {
        r.targets
            .first()
            .map_or(0.0, |t| t.hits as f64 / r.support.max(1) as f64)
    };
    // A lone function word is listed as what people replace, but is no advice on its own
    // ("Say “we'll” instead of “we”"): advice is stricter than the lists (see `advisable`).
    let lone_function_word = |r: &Replacement| is_function_word(&r.from);
    let advised: Vec<&Replacement> = replacements
        .iter()
        .filter(|r| chosen(r) >= 0.4 && !lone_function_word(r))
        .take(5)
        .collect();
    // A phrase people take out is advice to leave it out, unless what they write instead is
    // one thing (then the replacement below says so).
    // A lone function word ("a", "it") that people rewrite rather than cut is a symptom of
    // the sentences around it, not something to leave out; one they cut ("just") is.
    let advisable =
        |p: &Phrase| !is_function_word(&p.text) || p.cut_share.is_some_and(|c| c >= 0.5);
    for p in deleted
        .iter()
        .filter(|p| {
            p.share.value >= 0.5 && advisable(p) && !advised.iter().any(|r| r.from == p.text)
        })
        .take(5)
    {
        let ci = format!(
            "95% CI {}–{}",
            pct(p.share.low.unwrap_or(p.share.value)),
            pct(p.share.high.unwrap_or(p.share.value))
        );
        let (share, support) = (pct(p.share.value), p.support);
        // Cut outright, it is to be left out; rewritten, it is to be said otherwise.
        let text = match p.cut_share {
            Some(c) if c >= 0.8 => format!(
                "Leave out “{}”: people cut it from {share} of the {support} outputs that contain it ({ci}).",
                p.text
            ),
            Some(c) if c <= 0.2 => format!(
                "Avoid “{}”: people rewrite it in {share} of the {support} outputs that contain it ({ci}).",
                p.text
            ),
            Some(c) => format!(
                "Avoid “{}”: people take it out of {share} of the {support} outputs that contain it ({ci}; cut in {} of those, rewritten in the rest).",
                p.text,
                pct(c)
            ),
            None => format!(
                "Avoid “{}”: people take it out of {share} of the {support} outputs that contain it ({ci}).",
                p.text
            ),
        };
        out.push(Recommendation {
            kind: "remove",
            text,
            examples: p.examples.clone(),
        });
    }
    for r in advised {
        out.push(Recommendation {
            kind: "replace",
            text: format!(
                "Say “{}” instead of “{}”: people make that replacement in {} of the {} outputs that use it.",
                r.to,
                r.from,
                pct(chosen(r)),
                r.support
            ),
            examples: r.examples.clone(),
        });
    }
    for p in added
        .iter()
        .filter(|p| p.share.value >= 0.15 && p.words >= 2)
        .take(3)
    {
        out.push(Recommendation {
            kind: "add",
            text: format!(
                "Include “{}”: people add it to {} of outputs ({} of {}).",
                p.text,
                pct(p.share.value),
                p.hits,
                p.support
            ),
            examples: p.examples.clone(),
        });
    }
    for p in structure.iter().filter(|p| p.share.value >= 0.5) {
        let Some(advice) = structure_advice(p.kind) else {
            continue;
        };
        let finding = p.text.strip_prefix("People ").unwrap_or(&p.text);
        let advice = match p.instead {
            Some(instead) => format!("{advice}. {instead}"),
            None => advice.to_owned(),
        };
        out.push(Recommendation {
            kind: "structure",
            text: format!("{advice}: people {finding}"),
            examples: p.examples.clone(),
        });
    }
    let shift = |name: &str| tone.iter().position(|t| t.feature == name && t.significant);
    if let Some(k) = shift("contractions").filter(|k| tone[*k].mean_change > 0.0) {
        out.push(Recommendation {
            kind: "tone",
            text: format!(
                "Write less formally: people add contractions ({:+.1} per 100 words, effect d = {:.2}, p = {:.1e}).",
                tone[k].mean_change, tone[k].effect_size, tone[k].p_value
            ),
            examples: tone_examples(k, true),
        });
    }
    if let Some(k) = shift("first_person").filter(|k| tone[*k].mean_change > 0.0) {
        out.push(Recommendation {
            kind: "tone",
            text: format!(
                "Write in the first person: people add first-person pronouns ({:+.1} per 100 words, d = {:.2}).",
                tone[k].mean_change, tone[k].effect_size
            ),
            examples: tone_examples(k, true),
        });
    }
    if let Some(k) = shift("formal_words").filter(|k| tone[*k].mean_change < 0.0) {
        out.push(Recommendation {
            kind: "tone",
            text: format!(
                "Use plainer words: people take out formal words and connectives, {:.1} per 100 words (d = {:.2}).",
                -tone[k].mean_change, tone[k].effect_size
            ),
            examples: tone_examples(k, false),
        });
    }
    if let Some(k) = shift("hedges").filter(|k| tone[*k].mean_change < 0.0) {
        out.push(Recommendation {
            kind: "tone",
            text: format!(
                "Hedge less: people cut {:.1} hedging words per 100 words (d = {:.2}).",
                -tone[k].mean_change, tone[k].effect_size
            ),
            examples: tone_examples(k, false),
        });
    }
    if let Some(k) = shift("words") {
        let t = &tone[k];
        let rel = t.mean_change / t.mean_ai.max(1.0);
        if rel <= -0.1 {
            out.push(Recommendation {
                kind: "length",
                text: format!(
                    "Be shorter: people cut {} of the words ({:.0} → {:.0} words on average).",
                    pct(-rel),
                    t.mean_ai,
                    t.mean_final
                ),
                examples: tone_examples(k, false),
            });
        } else if rel >= 0.1 {
            out.push(Recommendation {
                kind: "length",
                text: format!(
                    "Give more: people add {} to the length ({:.0} → {:.0} words on average).",
                    pct(rel),
                    t.mean_ai,
                    t.mean_final
                ),
                examples: tone_examples(k, true),
            });
        }
    }
    if settlements > 0 && rewritten as f64 >= 0.2 * settlements as f64 {
        out.push(Recommendation {
            kind: "rewrite",
            text: format!(
                "{} of outputs are rewritten or rejected ({} of {}): compare the prompt's task with what people write instead.",
                pct(rewritten as f64 / settlements as f64),
                rewritten,
                settlements
            ),
            examples: Vec::new(),
        });
    }
    out
}

//! A group's patterns as the report shows them: phrases, replacements, tone, structure,
//! edit kinds and examples, summarised from its counts and tallies.

use super::*;

impl Miner {
    /// Everything mined for group `g`; `order` = the live slots, oldest first.
    pub(super) fn summarise(&self, g: usize, order: &[u32]) -> AgentPatterns {
        let c = &self.groups[g].counts;
        let m = self.groups[g]
            .mined
            .as_ref()
            .expect("mined before a report");
        let (p, t) = (&m.plan, &m.tally);
        let min_hits = min_hits(c);
        let text = |words: &[u32]| -> String {
            words
                .iter()
                .map(|w| self.vocab.get(w).map_or("?", |s| &**s))
                .collect::<Vec<_>>()
                .join(" ")
        };
        // A phrase with `hits` of `support`, `late` of them in the later half.
        let phrase = |w: &[u32],
                      hits: usize,
                      support: usize,
                      late: (usize, usize),
                      cut_share: Option<f64>| {
            let words = text(w);
            if lone_han(w, &words) {
                return None;
            }
            let share = wilson(hits, support)?;
            let p = Phrase {
                text: words,
                words: w.len(),
                hits,
                support,
                effort: super::effort(&share, support, w.len()),
                share,
                examples: Vec::new(),
                trend: PhraseTrend::of(m.split, (hits - late.0, support - late.1), late),
                context: None,
                cut_share,
            };
            Some((p, w.to_vec()))
        };
        // A deleted phrase (a replacement source) is a pattern only when people remove (or
        // replace) its occurrences more often than ordinary stretches of as many words of these
        // outputs, beyond chance across every phrase tested: frequent words edited at the usual
        // rate say nothing about the agent, and among two thousand candidates some words stand
        // out by chance alone.
        let longest = p
            .deleted
            .phrases
            .iter()
            .chain(&p.from.phrases)
            .map(Vec::len)
            .max()
            .unwrap_or(1);
        let rates = self.word_rates(g, order, min_hits, longest);
        let base = rates.taken_out[0];
        // Candidates for `own_evidence`: those taken out (replaced) in too few settlements
        // count as never changed. A phrase people take out is one whether they cut it or
        // rewrite it: either way the draft should not have said it (its cut share says how).
        let deleted_cands = candidates(
            &p.deleted.phrases,
            (&t.occurrences, &t.changed),
            &t.hits,
            (min_hits, &rates.taken_out),
        );
        let from_cands = candidates(
            &p.from.phrases,
            (&t.from_occurrences, &t.from_changed),
            &t.from_hits,
            (min_hits, &rates.replaced),
        );
        // The family is every phrase that could have been listed: the candidates, and the
        // words that appear in enough outputs but were too seldom taken out to become one (a
        // word in six outputs cut from five stands out only among the many rare words that
        // were not).
        let single: HashSet<u32> = deleted_cands
            .iter()
            .filter(|c| c.words.len() == 1)
            .map(|c| c.words[0])
            .collect();
        let untested: Vec<usize> = rates
            .at_risk
            .iter()
            .filter(|(w, _)| !single.contains(w))
            .map(|(_, occurrences)| *occurrences)
            .collect();
        let cutoff = stand_out_cutoff(&[&deleted_cands, &from_cands], (&untested, base));
        let own = own_evidence(&deleted_cands, &[], cutoff);
        // Per replacement source, the settlements in which people put a named target (one
        // chosen MIN_HITS times or more) in its place.
        let mut named: HashMap<&str, usize> = HashMap::new();
        for (pair, n) in &c.replacements {
            if *n >= MIN_HITS {
                *named
                    .entry(self.pairs[*pair as usize].0.as_str())
                    .or_default() += n;
            }
        }
        // The replacement sources that stand out (replaced in `min_hits` settlements or more,
        // more often than an average word): a phrase people mostly rewrite rather than cut is
        // listed there, once, not in both lists.
        let sources: HashSet<&[u32]> = from_cands
            .iter()
            .filter(|c| c.stands_out(cutoff))
            .map(|c| c.words)
            .collect();
        let stop = function_word_hashes();
        let mut deleted: Vec<(Phrase, Vec<u32>)> = p
            .deleted
            .phrases
            .iter()
            .enumerate()
            .filter_map(|(i, w)| {
                let own = own[i]?;
                // Mostly swapped for named words: a replacement pattern, listed there.
                let swapped = named.get(text(w).as_str()).copied().unwrap_or(0);
                if swapped * 2 >= t.hits[i] {
                    return None;
                }
                // Mostly rewritten rather than cut, and a replacement source that stands out:
                // listed there. A lone function word people mostly rewrite is never a deletion:
                // "take out 'a'" says nothing, what people put in its place does ("a → the").
                let cut = t.cut[i] as f64 / t.changed[i].max(1) as f64;
                if cut < 0.5
                    && (sources.contains(w.as_slice())
                        || only_function_word(w, |h| stop.contains(h)))
                {
                    return None;
                }
                let late = (t.hits_late[i], t.appeared_late[i]);
                let (mut p, w) = phrase(w, t.hits[i], t.appeared[i], late, Some(cut))?;
                p.effort *= own;
                Some((p, w))
            })
            .collect();
        // An added phrase is listed when people put it in more often than they take it out
        // of the drafts, beyond chance: a one-sided sign test over the settlements that gained
        // or lost it (gained in at least as many as observed, at even odds), with a
        // Benjamini–Hochberg cut at LIST_FDR over every added candidate. A word people put in
        // about as often as they take it out is churn (any random rewording adds words), not
        // something the drafts lack.
        let tested: Vec<usize> = (0..p.added.phrases.len())
            .filter(|i| t.added_hits[*i] >= min_hits)
            .collect();
        let gain_p: Vec<f64> = tested
            .iter()
            .map(|&i| {
                let (gained, lost) = (t.added_hits[i], t.added_lost[i]);
                crate::stats::binomial_at_least(gained, gained + lost, 0.5)
            })
            .collect();
        let gained: HashSet<usize> = tested
            .iter()
            .zip(crate::patterns::benjamini_hochberg(&gain_p))
            .filter(|(_, q)| *q < crate::patterns::LIST_FDR)
            .map(|(i, _)| *i)
            .collect();
        let mut added: Vec<(Phrase, Vec<u32>)> = p
            .added
            .phrases
            .iter()
            .enumerate()
            .filter(|(i, _)| gained.contains(i))
            .filter_map(|(i, w)| {
                phrase(
                    w,
                    t.added_hits[i],
                    c.settlements,
                    (t.added_hits_late[i], t.late),
                    None,
                )
            })
            .collect();
        // One family: every phrase whose trend was tested, deleted and added alike.
        control_trend_fdr(
            deleted
                .iter_mut()
                .chain(added.iter_mut())
                .filter_map(|(p, _)| p.trend.as_mut())
                .collect(),
        );
        let (deleted, added) = (rank_phrases(deleted), rank_phrases(added));
        // What each source was replaced with, most common first.
        let mut targets: HashMap<&str, Vec<Target>> = HashMap::new();
        for (pair, n) in &c.replacements {
            let (from, to) = &self.pairs[*pair as usize];
            targets.entry(from.as_str()).or_default().push(Target {
                to: to.clone(),
                hits: *n,
            });
        }
        // The deleted phrases listed explain the changes of the words inside them.
        let listed: Vec<Candidate<'_>> = deleted
            .iter()
            .filter_map(|(_, w)| {
                deleted_cands
                    .iter()
                    .find(|c| c.words == w.as_slice())
                    .copied()
            })
            .collect();
        let own = own_evidence(&from_cands, &listed, cutoff);
        let mut replacements: Vec<(Replacement, Vec<u32>)> = p
            .from
            .phrases
            .iter()
            .enumerate()
            .filter_map(|(k, w)| {
                let own = own[k]?;
                let from = text(w);
                // Listed as a deletion already (people mostly cut it): not again.
                if lone_han(w, &from) || listed.iter().any(|l| l.words == w.as_slice()) {
                    return None;
                }
                let (hits, support) = (t.from_hits[k], t.from_appeared[k]);
                let share = wilson(hits, support)?;
                let mut to = targets.remove(from.as_str()).unwrap_or_default();
                // A target is named when people chose it in MIN_HITS outputs or more: a
                // word replaced inside longer rewrites has many one-off "targets" that are
                // pieces of those rewrites, not what people put instead of it.
                to.retain(|t| t.hits >= MIN_HITS);
                to.sort_by(|a, b| b.hits.cmp(&a.hits).then(a.to.cmp(&b.to)));
                to.truncate(TARGETS);
                let r = Replacement {
                    to: to.first().map(|t| t.to.clone()).unwrap_or_default(),
                    from,
                    hits,
                    support,
                    effort: super::effort(&share, support, w.len()) * own,
                    share,
                    targets: to,
                    examples: Vec::new(),
                    context: None,
                };
                Some((r, w.clone()))
            })
            .collect();
        replacements.sort_by(|(a, _), (b, _)| {
            super::by_effort((a.effort, &a.share, a.hits), (b.effort, &b.share, b.hits))
                .then(a.from.cmp(&b.from))
        });
        let replacements = top_apart(replacements);

        // Examples: the newest settlements behind each listed pattern.
        let members: Vec<u32> = order
            .iter()
            .copied()
            .filter(|s| g == 0 || self.entries[*s as usize].group as usize == g)
            .collect();
        let (deleted, added, replacements) = self.examples(&members, deleted, added, replacements);

        let rejection_patterns = rejection_patterns(p, t, c.settlements, &text);
        let pairs: Vec<(Features, Features)> = members
            .iter()
            .map(|s| self.entries[*s as usize].tone)
            .collect();
        let tone = tone::shifts(&pairs);
        let ids: Vec<&str> = members
            .iter()
            .map(|s| &*self.entries[*s as usize].id)
            .collect();
        let examples_of =
            |feature: usize, rising: bool| tone_examples(&pairs, &ids, feature, rising);
        let mut structure = self.structure(&members, &c.shape, min_hits);
        structure.extend(self.marks(&members, &c.marks, base, min_hits));
        let edit_kinds = self.edit_kinds(&members, c);
        let rewritten = c.categories.get(&Category::Rewritten).copied().unwrap_or(0);
        let recommendations = recommend(
            &Evidence {
                settlements: c.settlements,
                rewritten,
                deleted: &deleted,
                added: &added,
                replacements: &replacements,
                structure: &structure,
                tone: &tone,
            },
            &examples_of,
        );
        AgentPatterns {
            agent: self.names[g].clone(),
            settlements: c.settlements,
            min_hits,
            recommendations,
            deleted,
            added,
            replacements,
            tone,
            categories: c.categories.clone(),
            edit_kinds,
            categories_by_intent: c.by_intent.clone(),
            rejection_patterns,
            structure,
        }
    }

    /// The ids of the [`EXAMPLES`] newest of `members` (oldest first) for which `hit` holds,
    /// newest first.
    pub(super) fn newest(&self, members: &[u32], hit: impl Fn(&Entry) -> bool) -> Vec<String> {
        members
            .iter()
            .rev()
            .map(|s| &self.entries[*s as usize])
            .filter(|e| hit(e))
            .take(EXAMPLES)
            .map(|e| e.id.to_string())
            .collect()
    }

    /// The mix of edit kinds ([`taxonomy`]), most edits first, each with the newest of
    /// `members` (oldest first) that holds one.
    pub(super) fn edit_kinds(&self, members: &[u32], c: &Counts) -> Vec<KindShare> {
        let total: usize = c.kinds.iter().sum();
        let mut out: Vec<KindShare> = taxonomy::EditKind::ALL
            .into_iter()
            .filter(|k| c.kinds[k.index()] > 0)
            .map(|kind| {
                let i = kind.index();
                let examples = self.newest(members, |e| e.kinds[i] > 0);
                KindShare {
                    kind,
                    label: kind.label(),
                    edits: c.kinds[i],
                    outputs: c.kind_outputs[i],
                    share: c.kinds[i] as f64 / total as f64,
                    examples,
                    example: None,
                }
            })
            .collect();
        out.sort_by(|a, b| b.edits.cmp(&a.edits).then(a.kind.cmp(&b.kind)));
        out
    }

    /// The opening and closing sentences (and sentences restating an earlier one) people take
    /// out whole more often than an ordinary (middle) sentence: the interval's lower end above
    /// the middle sentences' rate; and the other structure events of [`EVENTS`] people make in
    /// at least [`EVENT_FLOOR`] of the outputs that could show them (the interval's lower end).
    /// Each in at least `min_hits` outputs; examples are the newest of `members` (oldest first).
    pub(super) fn structure(
        &self,
        members: &[u32],
        c: &ShapeCounts,
        min_hits: usize,
    ) -> Vec<StructurePattern> {
        let middle_share = c.middle_cut as f64 / c.middle.max(1) as f64;
        let mut out = Vec::new();
        for (opening, hits) in [(true, c.opening_cut), (false, c.closing_cut)] {
            let Some(share) = wilson(hits, c.outputs) else {
                continue;
            };
            if hits < min_hits || share.low.is_none_or(|low| low <= middle_share) {
                continue;
            }
            let (kind, label, what) = if opening {
                ("opening_sentence_cut", "Opening sentence cut", "opening")
            } else {
                ("closing_sentence_cut", "Closing sentence cut", "closing")
            };
            out.push(StructurePattern {
                kind,
                label,
                text: format!(
                    "People delete the {what} sentence in {} of the {} outputs of three or more sentences, against {} of their middle sentences.",
                    share_with_ci(&share),
                    c.outputs,
                    pct(middle_share)
                ),
                hits,
                support: c.outputs,
                share,
                middle_share: Some(middle_share),
                instead: None,
                examples: self.newest(members, |e| {
                    let sh = &e.shape;
                    sh.counted() && if opening { sh.opening_cut } else { sh.closing_cut }
                }),
            });
        }
        for (bit, (kind, label)) in EVENTS.iter().enumerate() {
            let (hits, support) = (c.hits[bit], c.eligible[bit]);
            let Some(share) = wilson(hits, support) else {
                continue;
            };
            let baseline = (bit == RESTATING).then_some(middle_share);
            let floor = baseline.unwrap_or(EVENT_FLOOR);
            if hits < min_hits || share.low.is_none_or(|low| low <= floor) {
                continue;
            }
            let of =
                |what: &str| format!("{} of the {support} outputs {what}", share_with_ci(&share));
            let text = match bit {
                RESTATING => format!(
                    "People delete a sentence that restates an earlier one in {}, against {} of ordinary middle sentences.",
                    of("that have one"),
                    pct(middle_share)
                ),
                HEADING => format!("People remove a heading in {}.", of("with headings")),
                LIST_TO_PROSE => format!("People turn the list into prose in {}.", of("with a list")),
                PROSE_TO_LIST => format!(
                    "People turn prose into a list in {}.",
                    of("of three or more sentences without one")
                ),
                SPLIT => format!("People split a sentence in two in {}.", of("with a sentence")),
                MERGED => format!(
                    "People merge two sentences into one in {}.",
                    of("of two or more sentences")
                ),
                _ => format!(
                    "People move a sentence elsewhere, unchanged, in {}.",
                    of("of two or more sentences")
                ),
            };
            out.push(StructurePattern {
                kind,
                label,
                text,
                hits,
                support,
                share,
                middle_share: baseline,
                instead: None,
                examples: self.newest(members, |e| e.shape.hits >> bit & 1 == 1),
            });
        }
        out
    }

    /// Over group `g`'s live settlements (`order`), in one pass: the shares of the AI outputs'
    /// stretches of n words (n = 1 to `longest`) that people wholly took out ([`DELETED`]) and
    /// wholly replaced ([`REPLACED`]) — the rates an ordinary word, or stretch of words, is
    /// removed and replaced at — and the words that appear in `min_outputs` outputs or more,
    /// with their occurrences.
    pub(super) fn word_rates(
        &self,
        g: usize,
        order: &[u32],
        min_outputs: usize,
        longest: usize,
    ) -> WordRates {
        let longest = longest.max(1);
        // Per n: windows wholly taken out, wholly replaced, all windows.
        let mut counts = vec![(0usize, 0usize, 0usize); longest];
        // Per word number: outputs holding it, occurrences, and the last output (from 1) that
        // held it.
        let mut seen: Vec<(u32, u32, u32)> = vec![(0, 0, 0); self.dict.len()];
        let (mut taken, mut replaced): (Vec<usize>, Vec<usize>) = (Vec::new(), Vec::new());
        for (k, &s) in order.iter().enumerate() {
            let e = &self.entries[s as usize];
            if g != 0 && e.group as usize != g {
                continue;
            }
            let output = k as u32 + 1;
            let mut len = 0usize;
            let (mut run_t, mut run_r) = (0usize, 0usize);
            taken.clear();
            replaced.clear();
            self.dict.each_ai(&e.words, |number, flags| {
                len += 1;
                let n = &mut seen[number as usize];
                n.0 += u32::from(n.2 != output);
                n.1 += 1;
                n.2 = output;
                for (run, runs, flag) in [
                    (&mut run_t, &mut taken, DELETED),
                    (&mut run_r, &mut replaced, REPLACED),
                ] {
                    if flags & flag != 0 {
                        *run += 1;
                    } else if *run > 0 {
                        runs.push(*run);
                        *run = 0;
                    }
                }
            });
            for (run, runs) in [(run_t, &mut taken), (run_r, &mut replaced)] {
                if run > 0 {
                    runs.push(run);
                }
            }
            for (n, c) in (1..=longest.min(len)).zip(counts.iter_mut()) {
                let windows = |runs: &[usize]| -> usize {
                    runs.iter().map(|r| (r + 1).saturating_sub(n)).sum()
                };
                c.0 += windows(&taken);
                c.1 += windows(&replaced);
                c.2 += len - n + 1;
            }
        }
        let share = |k: usize, all: usize| if all == 0 { 0.0 } else { k as f64 / all as f64 };
        WordRates {
            taken_out: counts.iter().map(|c| share(c.0, c.2)).collect(),
            replaced: counts.iter().map(|c| share(c.1, c.2)).collect(),
            at_risk: seen
                .iter()
                .enumerate()
                .filter(|(_, (outputs, _, _))| *outputs as usize >= min_outputs)
                .map(|(number, (_, occurrences, _))| {
                    (self.dict.hash_of(number as u32), *occurrences as usize)
                })
                .collect(),
        }
    }

    /// Fill in each listed pattern's examples: the [`EXAMPLES`] newest of `members` (oldest
    /// first) in which the phrase was deleted, the phrase was added, the replacement was made.
    pub(super) fn examples(
        &self,
        members: &[u32],
        deleted: Vec<(Phrase, Vec<u32>)>,
        added: Vec<(Phrase, Vec<u32>)>,
        replacements: Vec<(Replacement, Vec<u32>)>,
    ) -> (Vec<Phrase>, Vec<Phrase>, Vec<Replacement>) {
        let (mut deleted, d_words): (Vec<Phrase>, Vec<Vec<u32>>) = deleted.into_iter().unzip();
        let (mut added, a_words): (Vec<Phrase>, Vec<Vec<u32>>) = added.into_iter().unzip();
        let (mut replacements, r_words): (Vec<Replacement>, Vec<Vec<u32>>) =
            replacements.into_iter().unzip();
        let (dm, am) = (Matcher::new(d_words), Matcher::new(a_words));
        let rm = Matcher::new(r_words);
        let mut missing = EXAMPLES * (deleted.len() + added.len() + replacements.len());
        let mut found: Vec<usize> = Vec::new();
        let mut w = Words::default();
        for &s in members.iter().rev() {
            if missing == 0 {
                break;
            }
            let e = &self.entries[s as usize];
            self.dict.unpack(&e.words, &mut w);
            let give = |list: &mut Vec<String>, missing: &mut usize| {
                if list.len() < EXAMPLES {
                    list.push(e.id.to_string());
                    *missing -= 1;
                }
            };
            dm.scan(&w.ai, &w.ai_flags, |k, i| {
                let n = dm.phrases[k].len();
                if w.edited_at(i, n, DELETED) {
                    found.push(k);
                }
            });
            for k in once_each(&mut found) {
                give(&mut deleted[k].examples, &mut missing);
            }
            am.scan(&w.added, &w.added_flags, |k, _| found.push(k));
            for k in once_each(&mut found) {
                give(&mut added[k].examples, &mut missing);
            }
            rm.scan(&w.ai, &w.ai_flags, |k, i| {
                if w.edited_at(i, rm.phrases[k].len(), REPLACED) {
                    found.push(k);
                }
            });
            for k in once_each(&mut found) {
                give(&mut replacements[k].examples, &mut missing);
            }
        }
        (deleted, added, replacements)
    }
}

/// What [`Miner::word_rates`] finds.
pub(super) struct WordRates {
    /// Per n (from 1): the share of n-word stretches wholly taken out, wholly replaced.
    pub(super) taken_out: Vec<f64>,
    pub(super) replaced: Vec<f64>,
    /// Words in enough outputs to be listed, with their occurrences.
    pub(super) at_risk: Vec<(u32, usize)>,
}

/// A phrase that is one Han character (`words`, read as `text`): like a lone English
/// function word, no pattern.
pub(super) fn lone_han(words: &[u32], text: &str) -> bool {
    words.len() == 1 && crate::text::is_single_han(text)
}

/// Candidates for [`own_evidence`] from their counts (occurrences, changed occurrences), each
/// tested against `bases[n - 1]`, the rate a stretch of n words is wholly changed at (a longer
/// phrase at the longest's). Those changed in fewer than
/// `min_hits` settlements count as never changed.
pub(super) fn candidates<'a>(
    phrases: &'a [Vec<u32>],
    (occurrences, changed): (&[usize], &[usize]),
    hits: &[usize],
    (min_hits, bases): (usize, &[f64]),
) -> Vec<Candidate<'a>> {
    phrases
        .iter()
        .enumerate()
        .map(|(i, w)| Candidate {
            words: w.as_slice(),
            occurrences: occurrences[i],
            changed: if hits[i] >= min_hits { changed[i] } else { 0 },
            base: bases[w.len().clamp(1, bases.len()) - 1],
        })
        .collect()
}

/// Deleted-phrase candidates at least twice as common in rejected outputs as in the others,
/// in ≥ 20% of the rejected ones and ≥ 5 of them, and more common there beyond chance: Fisher's
/// exact test, one-sided, with a Benjamini–Hochberg q-value under [`LIST_FDR`] across every
/// candidate tested; the 10 with the highest share in rejected outputs.
pub(super) fn rejection_patterns(
    p: &Pass2,
    t: &Tally,
    settlements: usize,
    text: &dyn Fn(&[u32]) -> String,
) -> Vec<RejectionPattern> {
    let others = settlements.saturating_sub(t.rejected);
    if t.rejected < MIN_HITS || others == 0 {
        return Vec::new();
    }
    // Of the `settlements` outputs, `appeared` hold the phrase; drawing the rejected ones, how
    // likely are `appeared_rejected` or more of them to hold it?
    let p_values: Vec<f64> = (0..p.deleted.phrases.len())
        .map(|i| {
            crate::stats::hypergeometric_at_least(
                t.appeared_rejected[i],
                t.rejected,
                t.appeared[i],
                settlements,
            )
        })
        .collect();
    let q_values = benjamini_hochberg(&p_values);
    let mut out: Vec<RejectionPattern> =
        p.deleted
            .phrases
            .iter()
            .enumerate()
            .filter_map(|(i, w)| {
                let k_r = t.appeared_rejected[i];
                let k_o = t.appeared[i] - k_r;
                let (in_rejected, elsewhere) = (wilson(k_r, t.rejected)?, wilson(k_o, others)?);
                let lift = in_rejected.value / elsewhere.value.max(1.0 / others as f64);
                let (p_value, q_value) = (p_values[i], q_values[i]);
                (k_r >= MIN_HITS && in_rejected.value >= 0.2 && lift >= 2.0 && q_value < LIST_FDR)
                    .then(|| RejectionPattern {
                        text: text(w),
                        in_rejected,
                        elsewhere,
                        lift,
                        p_value,
                        q_value,
                    })
            })
            .collect();
    out.sort_by(|a, b| {
        b.in_rejected
            .value
            .total_cmp(&a.in_rejected.value)
            .then(a.text.cmp(&b.text))
    });
    // Keep maximal phrases only: drop one contained in a phrase already listed.
    let mut kept: Vec<RejectionPattern> = Vec::new();
    for r in out {
        if !kept.iter().any(|k| k.text.contains(&r.text)) {
            kept.push(r);
        }
    }
    kept.truncate(10);
    kept
}

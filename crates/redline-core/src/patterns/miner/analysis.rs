//! Each settlement's analysis: what the miner keeps of it (word hashes, deleted words,
//! replacements, tone, category; not its texts), computed from a diff or read back from the
//! store, and the background pass that stores analyses ahead of a mining.

use super::*;

/// One settlement as the miner keeps it.
pub(super) struct Entry {
    pub(super) id: Box<str>,
    pub(super) at: DateTime<Utc>,
    /// A hash of what the analysis depends on: agent, intent type, time and both texts.
    pub(super) content: u64,
    /// Its agent's group (never 0, the all-agents group).
    pub(super) group: u16,
    pub(super) intent: Box<str>,
    pub(super) category: Category,
    /// Days since 1970, for each phrase's trend.
    pub(super) day: i32,
    /// Still counted; a removed entry stays (without counts) until the miner is rebuilt, since
    /// n-grams may read their words from it.
    pub(super) live: bool,
    /// Its AI output's words and the added words with their flags, packed by the miner's
    /// [`Dict`] (empty until the entry is merged into a miner; read with [`Dict::unpack`]).
    pub(super) words: Box<[u8]>,
    /// Its short replacements (interned `(from, to)` pairs), each once.
    pub(super) pairs: Vec<u32>,
    pub(super) tone: (Features, Features),
    /// Which of its AI output's sentences people took out.
    pub(super) shape: Shape,
    /// The marks of its AI output ([`MARKS`]) and how many of them people took out.
    pub(super) marks: Marks,
    /// Its edit operations per [`taxonomy::EditKind`] (saturating).
    pub(super) kinds: [u16; KINDS],
    /// A bit per word of the AI output and of the added words (Bloom filters): a phrase
    /// with a word whose bit is clear is not there, without reading the words.
    pub(super) ai_bloom: Bloom<16>,
    pub(super) added_bloom: Bloom<4>,
}

/// A set of word hashes that may say yes wrongly, never no wrongly: `W` × 64 bits.
#[derive(Clone, Copy)]
pub(super) struct Bloom<const W: usize>([u64; W]);

impl<const W: usize> Bloom<W> {
    pub(super) fn bit(word: u32) -> usize {
        (word.wrapping_mul(0x9e37_79b9) as usize) % (W * 64)
    }

    pub(super) fn of(words: &[u32]) -> Self {
        let mut b = [0u64; W];
        for w in words {
            let i = Self::bit(*w);
            b[i / 64] |= 1 << (i % 64);
        }
        Bloom(b)
    }

    pub(super) fn may_hold(&self, phrase: &[u32]) -> bool {
        phrase.iter().all(|w| {
            let i = Self::bit(*w);
            self.0[i / 64] & (1 << (i % 64)) != 0
        })
    }
}

impl Entry {
    pub(super) fn rejected(&self) -> bool {
        self.category == Category::Rewritten
    }
}

/// The hash of everything an entry's analysis depends on.
pub(super) fn content_of(s: &Settlement) -> u64 {
    crate::hash::fnv1a_parts([
        s.agent.as_str().as_bytes(),
        s.intent_type.to_string().as_bytes(),
        &s.created_at.timestamp_micros().to_le_bytes(),
        s.ai_output.as_bytes(),
        s.final_output.as_bytes(),
    ])
}

/// The added words of `f` (`inserted`), run after run, with their [`START`] flags.
pub(super) fn added_of(f: &Tokens, inserted: &[bool]) -> (Vec<u32>, Vec<u8>) {
    let n = inserted.iter().filter(|&&i| i).count();
    let mut added = Vec::with_capacity(n);
    let mut added_flags = Vec::with_capacity(n);
    for i in 0..f.len() {
        if inserted[i] {
            let start = i == 0 || !inserted[i - 1] || f.sentence_of[i] != f.sentence_of[i - 1];
            added.push(f.hashes[i]);
            added_flags.push(u8::from(start) * START);
        }
    }
    (added, added_flags)
}

/// What an analysis found about one settlement beyond which words were edited.
pub(super) struct Found {
    /// What people put where they took out a mark ([`instead_of`]).
    pub(super) instead: [[u8; INSTEAD.len()]; MARKS.len()],
    pub(super) category: Category,
    pub(super) tone: (Features, Features),
    pub(super) shape: Shape,
    pub(super) kinds: [u16; KINDS],
}

impl Entry {
    /// The entry of settlement `s` (in local group `group`) and its words, unpacked: `found`,
    /// its AI output's words `a` with their flags, and the words `inserted` into its final
    /// version `f`; the words its phrases can be made of go into `vocab`.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn of(
        s: &Settlement,
        group: u16,
        found: Found,
        a: Tokens,
        f: &Tokens,
        ai_flags: Vec<u8>,
        inserted: &[bool],
        (added, added_flags): (Vec<u32>, Vec<u8>),
        vocab: &mut IdMap<u32, Box<str>>,
    ) -> (Entry, Words) {
        enter_words(&a, f, &ai_flags, inserted, vocab);
        let ai = a.hashes;
        let entry = Entry {
            id: s.id.as_str().into(),
            at: s.created_at,
            content: content_of(s),
            group,
            intent: s.intent_type.to_string().into_boxed_str(),
            category: found.category,
            day: (s.created_at.timestamp().div_euclid(86_400)) as i32,
            live: true,
            tone: found.tone,
            shape: found.shape,
            marks: Marks::of(&s.ai_output, &s.final_output, found.instead),
            kinds: found.kinds,
            ai_bloom: Bloom::of(&ai),
            added_bloom: Bloom::of(&added),
            words: Box::default(),
            pairs: Vec::new(),
        };
        let words = Words {
            ai,
            ai_flags,
            added,
            added_flags,
        };
        (entry, words)
    }
}

/// One settlement's analysis, before it becomes an [`Entry`] (the miner's) or a [`Stored`]
/// (the store's).
pub(super) struct Made<'s> {
    a: Tokens<'s>,
    f: Tokens<'s>,
    found: Found,
    ai_flags: Vec<u8>,
    inserted: Vec<bool>,
    /// The added words and their flags.
    added: (Vec<u32>, Vec<u8>),
    pairs: Vec<(String, String)>,
    edits: WordEdits,
}

impl<'s> Made<'s> {
    fn of(s: &'s Settlement, memo: &tone::SentimentMemo) -> Made<'s> {
        let (a, f) = (Tokens::of(&s.ai_output), Tokens::of(&s.final_output));
        let (ops, sentences, edits) =
            ops::edit_ops_tokens(&s.ai_output, &s.final_output, &a.all, &f.all);
        let edit = Edit::of(&a, &f, &ops);
        let mut kinds = [0u16; KINDS];
        for k in taxonomy::classify(&s.ai_output, &ops) {
            kinds[k.index()] = kinds[k.index()].saturating_add(1);
        }
        let ai_flags: Vec<u8> = (0..a.len())
            .map(|i| {
                let start = i == 0 || a.sentence_of[i] != a.sentence_of[i - 1];
                // A replaced word is a taken-out word too.
                (u8::from(edit.deleted[i]) * DELETED)
                    | (u8::from(edit.replaced[i]) * REPLACED)
                    | (u8::from(start) * START)
            })
            .collect();
        let mut pairs = Vec::new();
        for op in ops.iter().filter(|o| o.kind == OpKind::Replace) {
            let from: Vec<String> = crate::text::words(&op.old_text)
                .map(str::to_lowercase)
                .collect();
            let to: Vec<String> = crate::text::words(&op.new_text)
                .map(str::to_lowercase)
                .collect();
            if !from.is_empty()
                && !to.is_empty()
                && from.len() <= REPLACEMENT_WORDS
                && to.len() <= REPLACEMENT_WORDS
                && from != to
            {
                pairs.push((from.join(" "), to.join(" ")));
            }
        }
        // Counted per settlement, as everything else: a replacement made twice in one output is
        // one settlement's evidence.
        pairs.sort_unstable();
        pairs.dedup();
        let found = Found {
            instead: instead_of(&ops),
            category: category_of(&a, &f, &ops, &edit.counts),
            tone: tone::features_pair(&a, &f, memo),
            shape: Shape::of(
                &a.hashes,
                &ai_flags,
                (&s.ai_output, &s.final_output),
                &sentences,
            ),
            kinds,
        };
        let added = added_of(&f, &edit.inserted);
        Made {
            a,
            f,
            found,
            ai_flags,
            inserted: edit.inserted,
            added,
            pairs,
            edits,
        }
    }

    /// The stored form's bytes (what the store keeps of it).
    fn bytes(&self) -> Option<Vec<u8>> {
        let st = Stored {
            category: self.found.category,
            ai_flags: self.ai_flags.clone(),
            inserted: to_bits(self.inserted.iter().copied()),
            added_starts: to_bits(self.added.1.iter().map(|f| f & START != 0)),
            tone: self.found.tone,
            shape: self.found.shape,
            kinds: self.found.kinds,
            pairs: self.pairs.clone(),
            edits: self.edits,
            instead: self.found.instead,
        };
        postcard::to_stdvec(&st).ok()
    }

    /// The miner's entry of settlement `s` (in local group `group`) and its replacements; the
    /// words its phrases can be made of go into `vocab`.
    fn into_entry(self, s: &Settlement, group: u16, vocab: &mut IdMap<u32, Box<str>>) -> Taken {
        let (entry, words) = Entry::of(
            s,
            group,
            self.found,
            self.a,
            &self.f,
            self.ai_flags,
            &self.inserted,
            self.added,
            vocab,
        );
        (entry, words, self.pairs)
    }
}

/// One settlement's analysis as a miner takes it in: its entry, its words (unpacked) and its
/// replacements.
pub(super) type Taken = (Entry, Words, Vec<(String, String)>);

/// A batch after analysis, with its own agent numbering.
pub(super) struct Analysed {
    pub(super) agents: Vec<String>,
    /// Per local agent and [`Side`]: n-grams, positioned in slots from the batch's base.
    pub(super) grams: Vec<[IdMap<u64, Gram>; 3]>,
    pub(super) entries: Vec<Entry>,
    /// Each entry's words, unpacked (the miner packs them as it merges the batch).
    pub(super) unpacked: Vec<Words>,
    pub(super) pairs: Vec<Vec<(String, String)>>,
    pub(super) words: IdMap<u32, Box<str>>,
    /// The analyses made (not read back) in this batch, to store: `(id, key, bytes)`.
    pub(super) fresh: Vec<(String, u64, Vec<u8>)>,
}

/// Where new analyses go, a batch at a time: `(id, key, bytes)`.
pub(crate) type Save = dyn Fn(Vec<(String, u64, Vec<u8>)>) + Sync;

/// A settlement to analyse, with its stored analysis `(key, bytes)` if the store has one.
pub(crate) type Item = (Settlement, Option<(u64, Vec<u8>)>);

/// The version of [`Stored`] and of what [`Made::of`] computes: bumped when either changes,
/// so that analyses stored by an earlier build are made again.
pub(super) const ANALYSIS_VERSION: u64 = 4;

/// The key a stored analysis is kept under: the settlement's content hash and
/// [`ANALYSIS_VERSION`].
pub(super) fn stored_key(s: &Settlement) -> u64 {
    crate::hash::fnv1a(content_of(s), &ANALYSIS_VERSION.to_le_bytes())
}

/// One settlement's analysis as the store keeps it (postcard): what its diff, alignment, tone
/// and taxonomy found, but not what splitting its texts into words gives again cheaply (the
/// words and their hashes).
#[derive(Serialize, Deserialize)]
pub(super) struct Stored {
    pub(super) category: Category,
    /// Per AI-output word: [`DELETED`], [`REPLACED`], [`START`].
    pub(super) ai_flags: Vec<u8>,
    /// A bit per final-version word: inserted.
    pub(super) inserted: Vec<u8>,
    /// A bit per added (inserted) word: it starts a run ([`START`]). Kept so that reading an
    /// analysis back needs the texts' words only, not their sentences.
    pub(super) added_starts: Vec<u8>,
    pub(super) tone: (Features, Features),
    pub(super) shape: Shape,
    pub(super) kinds: [u16; KINDS],
    pub(super) pairs: Vec<(String, String)>,
    /// The diff's word counts and edit cost: the settlement's measures come from them
    /// (`analytics::observation`) without a diff of their own.
    pub(super) edits: WordEdits,
    /// What people put where they took out a mark ([`instead_of`]).
    pub(super) instead: [[u8; INSTEAD.len()]; MARKS.len()],
}

impl Stored {
    /// The entry of settlement `s` in local group `group`, its replacements, its words into
    /// `vocab`. `None` if the bytes do not decode or do not fit the texts (a damaged entry is
    /// made again).
    pub(super) fn entry(
        bytes: &[u8],
        s: &Settlement,
        group: u16,
        vocab: &mut IdMap<u32, Box<str>>,
    ) -> Option<Taken> {
        let st: Stored = postcard::from_bytes(bytes).ok()?;
        // The words alone: where sentences start is in the stored flags.
        let (a, f) = (Tokens::words(&s.ai_output), Tokens::words(&s.final_output));
        if a.len() != st.ai_flags.len() || f.len().div_ceil(8) != st.inserted.len() {
            return None;
        }
        let inserted: Vec<bool> = (0..f.len()).map(|i| bit(&st.inserted, i)).collect();
        let added: Vec<u32> = (0..f.len())
            .filter(|&i| inserted[i])
            .map(|i| f.hashes[i])
            .collect();
        if added.len().div_ceil(8) != st.added_starts.len() {
            return None;
        }
        let added_flags: Vec<u8> = (0..added.len())
            .map(|i| u8::from(bit(&st.added_starts, i)) * START)
            .collect();
        let found = Found {
            instead: st.instead,
            category: st.category,
            tone: st.tone,
            shape: st.shape,
            kinds: st.kinds,
        };
        let (entry, words) = Entry::of(
            s,
            group,
            found,
            a,
            &f,
            st.ai_flags,
            &inserted,
            (added, added_flags),
            vocab,
        );
        Some((entry, words, st.pairs))
    }
}

/// One bit per item, eight to a byte, the first in the lowest bit.
pub(super) fn to_bits(set: impl ExactSizeIterator<Item = bool>) -> Vec<u8> {
    let mut out = vec![0u8; set.len().div_ceil(8)];
    for (i, _) in set.enumerate().filter(|(_, x)| *x) {
        out[i / 8] |= 1 << (i % 8);
    }
    out
}

/// Bit `i` of [`to_bits`]'s output.
pub(super) fn bit(bits: &[u8], i: usize) -> bool {
    bits[i / 8] >> (i % 8) & 1 == 1
}

/// Settlement `s` analysed for the store, without mining: its stored analysis `(key, bytes)`
/// and its diff's word counts and edit cost (what its measures need). The measures' cache
/// calls it, so that one diff serves the measures and, later, the miner.
pub(crate) fn analyse_for_store(
    s: &Settlement,
    memo: &tone::SentimentMemo,
) -> (Option<(u64, Vec<u8>)>, WordEdits) {
    // Straight to the stored form: the miner's entry (its words' vocabulary, filters and
    // marks) would be thrown away.
    let m = Made::of(s, memo);
    (m.bytes().map(|bytes| (stored_key(s), bytes)), m.edits)
}

/// The diff's word counts and edit cost kept in settlement `s`'s stored analysis `(key,
/// bytes)`; `None` if the analysis is not this settlement's as it is now (stale, from another
/// version, or unreadable).
pub(crate) fn stored_edits(s: &Settlement, (key, bytes): (u64, &[u8])) -> Option<WordEdits> {
    if key != stored_key(s) {
        return None;
    }
    postcard::from_bytes::<Stored>(bytes)
        .ok()
        .map(|st| st.edits)
}

/// Analyse a batch whose first settlement goes to slot `base`: read back the stored analyses
/// whose key still fits, analyse the others (and keep their analyses to store if `keep`).
pub(super) fn analyse(
    batch: &[Item],
    base: u32,
    memo: &tone::SentimentMemo,
    keep: bool,
    tables: &GramTables,
) -> Analysed {
    let mut out = Analysed {
        agents: Vec::new(),
        grams: Vec::new(),
        entries: Vec::with_capacity(batch.len()),
        unpacked: Vec::with_capacity(batch.len()),
        pairs: Vec::with_capacity(batch.len()),
        words: IdMap::default(),
        fresh: Vec::new(),
    };
    let mut grams = Vec::new();
    for (k, (s, stored)) in batch.iter().enumerate() {
        let g = match out.agents.iter().position(|n| n == s.agent.as_str()) {
            Some(g) => g,
            None => {
                out.agents.push(s.agent.as_str().to_owned());
                out.grams
                    .push([tables.take(), tables.take(), tables.take()]);
                out.agents.len() - 1
            }
        };
        let key = stored_key(s);
        let read = stored
            .as_ref()
            .filter(|(k, _)| *k == key)
            .and_then(|(_, bytes)| Stored::entry(bytes, s, g as u16, &mut out.words));
        let (entry, words, pairs) = match read {
            Some(read) => read,
            None => {
                let m = Made::of(s, memo);
                if keep {
                    out.fresh
                        .extend(m.bytes().map(|b| (s.id.as_str().to_owned(), key, b)));
                }
                m.into_entry(s, g as u16, &mut out.words)
            }
        };
        let at = base + k as u32;
        for (map, side) in out.grams[g].iter_mut().zip(Side::ALL) {
            entry_grams(&words, side, &mut grams);
            count_grams(map, &mut grams, at);
        }
        out.entries.push(entry);
        out.unpacked.push(words);
        out.pairs.push(pairs);
    }
    out
}

/// Analyse, without mining, every settlement `scan` visits whose stored analysis (as
/// `Store::scan_with_analyses` gives them) is missing or stale, and hand the new analyses to
/// `save` a batch at a time (`service::mining::store_analyses` keeps them in the store, so that
/// the first mining of an agent reads them back instead of diffing again). Streamed in batches
/// on every core, in bounded memory. Progress counts the settlements looked at, of `total`.
/// Returns how many were analysed; `Ok(None)` if cancelled (what was saved stays: it is a
/// cache). After the first error of `save`, nothing more is saved and that error is returned.
pub fn analyse_missing<E: Send>(
    scan: impl FnOnce(
        &mut dyn FnMut(Settlement, Option<(u64, Vec<u8>)>) -> ControlFlow<()>,
    ) -> Result<(), E>,
    total: u64,
    mut save: impl FnMut(Vec<(String, u64, Vec<u8>)>) -> Result<(), E> + Send,
    on_step: Progress<'_>,
    cancel: &Cancel,
) -> Result<Option<usize>, E> {
    let memo = tone::SentimentMemo::new();
    let (mut seen, mut analysed) = (0u64, 0usize);
    let mut written: Result<(), E> = Ok(());
    std::thread::scope(|scope| -> Result<(), E> {
        let written = &mut written;
        let mut feed = crate::parallel::ordered(
            scope,
            // Only what is stored: no entries kept, no n-grams counted.
            |batch: Vec<(Settlement, u64)>| {
                batch
                    .iter()
                    .filter_map(|(s, key)| {
                        let bytes = Made::of(s, &memo).bytes()?;
                        Some((s.id.as_str().to_owned(), *key, bytes))
                    })
                    .collect::<Vec<_>>()
            },
            |fresh: Vec<(String, u64, Vec<u8>)>| {
                if written.is_ok() {
                    *written = save(fresh);
                }
            },
        );
        let mut pending: Vec<(Settlement, u64)> = Vec::with_capacity(BATCH);
        scan(&mut |s, stored| {
            if cancel.is_cancelled() {
                return ControlFlow::Break(());
            }
            seen += 1;
            let key = stored_key(&s);
            if stored.is_none_or(|(k, _)| k != key) {
                pending.push((s, key));
                if pending.len() >= BATCH {
                    analysed += pending.len();
                    feed.send(std::mem::replace(&mut pending, Vec::with_capacity(BATCH)));
                }
            }
            if seen % BATCH as u64 == 0 {
                on_step(Step {
                    done: seen,
                    total: Some(total),
                    items: seen,
                });
            }
            ControlFlow::Continue(())
        })?;
        if !pending.is_empty() && !cancel.is_cancelled() {
            analysed += pending.len();
            feed.send(pending);
        }
        Ok(())
    })?;
    written?;
    on_step(Step {
        done: seen,
        total: Some(total),
        items: seen,
    });
    Ok((!cancel.is_cancelled()).then_some(analysed))
}

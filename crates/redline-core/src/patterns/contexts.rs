//! Where a phrase sits: its typical context (the words around it) and an example of each kind of
//! edit, read from the store for the phrases a report lists.

use super::*;

/// Words kept on each side of a phrase in its context.
pub(super) const CONTEXT_WORDS: usize = 5;

/// `phrase` (lower-case words, as listed) with up to [`CONTEXT_WORDS`] words on each side, as
/// it stands in `text` — "… we can ship it, **in order to** reach the north depot …" without
/// the marks; `None` when the phrase is not there.
pub fn context_in(text: &str, phrase: &str) -> Option<String> {
    let words: Vec<String> = phrase.split(' ').map(str::to_lowercase).collect();
    if words.is_empty() {
        return None;
    }
    let t = tokens::Tokens::of(text);
    let n = words.len();
    let at = (0..(t.len() + 1).saturating_sub(n))
        .find(|&i| (0..n).all(|k| t.word(i + k).to_lowercase() == words[k]))?;
    let first = at.saturating_sub(CONTEXT_WORDS);
    let last = (at + n + CONTEXT_WORDS).min(t.len()) - 1;
    // Whole at an end of the text (its closing punctuation with it), cut at words elsewhere.
    let start = if first == 0 { 0 } else { t.spans[first].0 };
    let end = if last + 1 == t.len() {
        text.len()
    } else {
        t.spans[last].1
    };
    let mut out = String::new();
    if first > 0 {
        out.push_str("… ");
    }
    out.push_str(
        &text[start..end]
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" "),
    );
    if last + 1 < t.len() {
        out.push_str(" …");
    }
    Some(out)
}

/// Fill in each listed phrase's and replacement's typical context, with `fetch` giving an
/// example settlement by its id (each fetched once): the newest example's AI output (deleted
/// phrases, replacement sources) or final version (added phrases).
pub fn with_contexts<E>(
    mut report: Report,
    mut fetch: impl FnMut(&str) -> Result<Option<Settlement>, E>,
) -> Result<Report, E> {
    let mut cache: HashMap<String, Option<Settlement>> = HashMap::new();
    let mut load = |id: &str| -> Result<Option<Settlement>, E> {
        if let Some(s) = cache.get(id) {
            return Ok(s.clone());
        }
        let s = fetch(id)?;
        cache.insert(id.to_owned(), s.clone());
        Ok(s)
    };
    for a in &mut report.agents {
        for (list, in_final) in [(&mut a.deleted, false), (&mut a.added, true)] {
            for p in list.iter_mut() {
                if let Some(s) = p.examples.first().map(|id| load(id)).transpose()?.flatten() {
                    let text = if in_final {
                        &s.final_output
                    } else {
                        &s.ai_output
                    };
                    p.context = context_in(text, &p.text);
                }
            }
        }
        for r in &mut a.replacements {
            if let Some(s) = r.examples.first().map(|id| load(id)).transpose()?.flatten() {
                r.context = context_in(&s.ai_output, &r.from);
            }
        }
        for k in &mut a.edit_kinds {
            if let Some(s) = k.examples.first().map(|id| load(id)).transpose()?.flatten() {
                k.example = kind_example(&s, k.kind);
            }
        }
    }
    Ok(report)
}

/// The first edit of `kind` in `s`, each side on one line (spaces and line breaks as one
/// space) and cut to [`EXAMPLE_CHARS`] characters.
pub(super) fn kind_example(s: &Settlement, kind: taxonomy::EditKind) -> Option<KindExample> {
    let ops = ops::edit_ops(&s.ai_output, &s.final_output);
    let kinds = taxonomy::classify(&s.ai_output, &ops);
    let cut = |t: &str| {
        let t = t.split_whitespace().collect::<Vec<_>>().join(" ");
        if t.chars().count() > EXAMPLE_CHARS {
            let head: String = t.chars().take(EXAMPLE_CHARS).collect();
            format!("{head}…")
        } else {
            t.to_owned()
        }
    };
    ops.iter()
        .zip(kinds)
        .find(|(_, k)| *k == kind)
        .map(|(o, _)| KindExample {
            old: cut(&o.old_text),
            new: cut(&o.new_text),
        })
}

/// The most characters of either side an edit example shows.
pub(super) const EXAMPLE_CHARS: usize = 160;

/// Mine settlements held in memory.
pub fn mine_slice(settlements: &[Settlement]) -> Report {
    mine::<std::convert::Infallible>(|visit| {
        for s in settlements {
            visit(s.clone());
        }
        Ok(())
    })
    .expect("infallible")
}

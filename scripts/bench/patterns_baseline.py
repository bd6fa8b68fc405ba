#!/usr/bin/env python3
"""Baseline for the pattern-mining benchmark: the design's EditPatternAnalyzer done the
straightforward way in Python (pandas + difflib), for comparison only. Not used by Redline.

For each settlement: a word-level difflib diff of the AI output against the final version;
the word n-grams (1-8) of deleted and added runs are counted per agent (once per
settlement); n-grams deleted in at least 5 settlements become candidates, and every AI output
is searched for them to learn how often each appeared; frequency = deleted / appeared.

Usage: patterns_baseline.py FILE.jsonl  (prints one summary line)
"""

import difflib
import re
import sys
from collections import Counter, defaultdict

import pandas as pd

WORD = re.compile(r"\w+(?:['’]\w+)?")
MAX_N = 8
MIN_HITS = 5


def words(text):
    return WORD.findall(text.lower())


def grams(seq):
    out = set()
    for i in range(len(seq)):
        for n in range(1, min(MAX_N, len(seq) - i) + 1):
            out.add(tuple(seq[i : i + n]))
    return out


def main(path):
    df = pd.read_json(path, lines=True)
    deleted = defaultdict(Counter)
    added = defaultdict(Counter)
    tokens = []
    for agent, ai, final in zip(df["agent"], df["ai_output"], df["final_output"]):
        a, b = words(ai), words(final)
        tokens.append((agent, a))
        dels, adds = set(), set()
        for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
            if tag in ("delete", "replace"):
                dels |= grams(a[i1:i2])
            if tag in ("insert", "replace"):
                adds |= grams(b[j1:j2])
        deleted[agent].update(dels)
        added[agent].update(adds)
    candidates = {agent: {g for g, n in c.items() if n >= MIN_HITS} for agent, c in deleted.items()}
    appeared = defaultdict(Counter)
    for agent, a in tokens:
        appeared[agent].update(grams(a) & candidates[agent])
    patterns = 0
    for agent, cands in candidates.items():
        freq = {g: deleted[agent][g] / appeared[agent][g] for g in cands if appeared[agent][g]}
        top = sorted(freq.items(), key=lambda kv: (-kv[1], -deleted[agent][kv[0]]))[:25]
        patterns += len(top)
    print(f"{len(candidates)} agents, {patterns} patterns, {len(df)} settlements")


if __name__ == "__main__":
    main(sys.argv[1])

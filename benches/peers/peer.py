#!/usr/bin/env python3
"""Run one Python near-duplicate tool on JSON Lines input and write its clusters.

Usage: peer.py TOOL INPUT.jsonl OUT_CLUSTERS.json
TOOL: datasketch | rensa | gaoya | text-dedup

Input: JSON Lines {"id": ..., "text": ...}. Output: JSON
{"tool": TOOL, "clusters": [[id, ...], ...], "documents": N, "params": {...}}
with only clusters of two or more documents.

Every tool is given the SAME shingles as `neardup scan` (defaults):
  words    = maximal runs of Unicode alphanumerics, i.e. the regex [^\\W_]+
             over unicodedata.normalize("NFKC", text).lower()
  shingles = 5 consecutive words joined by one space; a document of fewer
             than 5 words (but at least one) is one shingle of all its words;
             a document with no word is skipped (a singleton)
and the same Jaccard threshold 0.8 with 128 MinHash values. How each tool is
driven (LSH bands, verification) is described in README.md beside this file.
"""

import json
import os
import re
import sys
import tempfile
import unicodedata

NGRAM = 5
THRESHOLD = 0.8
NUM_PERM = 128
BATCH = 4096  # documents sketched, inserted and queried per batch
# rensa and gaoya need bands x rows = 128 exactly: 16 x 8 is the closest to
# neardup's 12 x 10 S-curve (both tools verify candidates by the estimate).
BANDS, ROWS = 16, 8

WORD = re.compile(r"[^\W_]+")


def words(text):
    return WORD.findall(unicodedata.normalize("NFKC", text).lower())


def shingles_of_words(w):
    if not w:
        return set()
    if len(w) < NGRAM:
        return {" ".join(w)}
    return {" ".join(w[i : i + NGRAM]) for i in range(len(w) - NGRAM + 1)}


def shingles(text):
    return shingles_of_words(words(text))


def read_docs(path):
    """Yields (id, text) of every record with a non-empty text, like neardup
    (a missing id becomes FILE:LINE)."""
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            rec = json.loads(line)
            text = rec.get("text")
            if not isinstance(text, str) or not text.strip():
                continue
            i = rec.get("id")
            yield (f"{path}:{n}" if i is None else str(i)), text


READ = [0]  # documents read (non-empty text), words or not


def batches(path):
    ids, texts = [], []
    for i, t in read_docs(path):
        READ[0] += 1
        ids.append(i)
        texts.append(t)
        if len(ids) == BATCH:
            yield ids, texts
            ids, texts = [], []
    if ids:
        yield ids, texts


def shingled_batches(path):
    """Batches of (id, shingle set) for the documents that have words."""
    for bids, texts in batches(path):
        yield [(i, sh) for i, sh in ((i, shingles(t)) for i, t in zip(bids, texts)) if sh]


class UnionFind:
    def __init__(self):
        self.parent = {}

    def find(self, x):
        p = self.parent
        p.setdefault(x, x)
        while p[x] != x:
            p[x] = p[p[x]]
            x = p[x]
        return x

    def union(self, a, b):
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)

    def clusters(self):
        groups = {}
        for x in list(self.parent):
            groups.setdefault(self.find(x), []).append(x)
        return [sorted(g) for g in groups.values() if len(g) >= 2]


# Each runner streams the input in batches: sketch the batch, insert it into
# the index, then query it. A pair is found when its later document is
# queried (the earlier one is already indexed), so the union-find over the
# matches is the same as "insert everything, then query everything".


def run_datasketch(path):
    from datasketch import MinHash, MinHashLSH

    lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
    uf, ids, n = UnionFind(), [], 0
    for docs in shingled_batches(path):
        batch = []
        for i, sh in docs:
            m = MinHash(num_perm=NUM_PERM)
            m.update_batch([s.encode("utf-8") for s in sh])
            lsh.insert(n, m)
            batch.append((n, m))
            ids.append(i)
            n += 1
        for k, m in batch:
            for other in lsh.query(m):
                if other != k:
                    uf.union(k, other)  # no verification: LSH candidates are the answer
    bands, rows = lsh.b, lsh.r
    return uf, ids, {"bands": bands, "rows": rows, "verify": "none (LSH candidates)"}


def run_rensa(path):
    from rensa import RMinHash, RMinHashLSH

    lsh = RMinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM, num_bands=BANDS)
    uf, ids, sketches = UnionFind(), [], []
    for docs in shingled_batches(path):
        sets = [list(sh) for _, sh in docs]
        keep = [i for i, _ in docs]
        mhs = RMinHash.from_token_sets(sets, num_perm=NUM_PERM, seed=42)
        start = len(sketches)
        keys = list(range(start, start + len(mhs)))
        sketches.extend(mhs)
        ids.extend(keep)
        lsh.insert_pairs(list(zip(keys, mhs)))
        for k, m, cands in zip(keys, mhs, lsh.query_all(mhs)):
            for other in cands:
                if other != k and m.jaccard(sketches[other]) >= THRESHOLD:
                    uf.union(k, other)
    return uf, ids, {"bands": BANDS, "rows": ROWS, "verify": "RMinHash.jaccard >= 0.8"}


def run_gaoya(path):
    import gaoya

    # Our shingles are given as the tokens (the callable-analyzer path of
    # MinHashStringIndex); the batch calls are that path's own methods, used
    # directly so that each document is tokenized once, not at insert and
    # again at query.
    index = gaoya.minhash.MinHashStringIndex(
        hash_size=32,
        jaccard_threshold=THRESHOLD,
        num_bands=BANDS,
        band_size=ROWS,
        analyzer=lambda t: list(shingles(t)),
        id_container="set",
    )
    native = index.minhash_index
    uf, ids = UnionFind(), []
    for docs in shingled_batches(path):
        keys = list(range(len(ids), len(ids) + len(docs)))
        ids.extend(i for i, _ in docs)
        toks = [list(sh) for _, sh in docs]
        native.par_bulk_insert_tokens(keys, toks)
        for k, found in zip(keys, native.par_bulk_query_tokens(toks)):
            for other in found:  # gaoya returns only candidates whose estimate >= threshold
                if other != k:
                    uf.union(k, other)
    return uf, ids, {"bands": BANDS, "rows": ROWS, "hash_bits": 32, "verify": "built in (estimate >= 0.8)"}


class _NeardupWords:
    """Stands in for text_dedup.minhash.NON_ALPHA (a compiled \\W regex whose
    .split gives the words): gives neardup's words instead."""

    def split(self, text):
        return words(text)


def _ngrams(sequence, n, min_length=1):
    return list(shingles_of_words(list(sequence))) if len(sequence) >= min_length else []


def run_text_dedup(path):
    tmp = tempfile.mkdtemp(prefix="peers-text-dedup-")
    # Offline, and a cache of its own so no run reuses another's Arrow files.
    os.environ.update(
        HF_DATASETS_OFFLINE="1",
        HF_HUB_OFFLINE="1",
        HF_HOME=os.path.join(tmp, "hf"),
        HF_DATASETS_CACHE=os.path.join(tmp, "hf", "datasets"),
        TQDM_DISABLE="1",
    )
    import pickle
    import shutil

    import text_dedup.minhash as td

    # Same shingles as everyone else: text-dedup's own tokenizer splits on
    # single \W characters (so runs of punctuation or spaces give empty
    # "words", and "_" is a word character). Its module-level splitter and
    # n-gram function are replaced; everything else (hashing, LSH with its
    # own optimal bands, union-find without verification) is text-dedup's.
    td.NON_ALPHA = _NeardupWords()
    td.ngrams = _ngrams
    out = os.path.join(tmp, "out")
    args = [
        "--path", "json", "--data_files", os.path.abspath(path), "--split", "train",
        "--cache_dir", os.path.join(tmp, "cache"), "--output", out,
        "--column", "text", "--idx_column", "id", "--debug",
        "--ngram", str(NGRAM), "--min_length", "1",
        "--num_perm", str(NUM_PERM), "--threshold", str(THRESHOLD),
        "--num_proc", str(os.cpu_count() or 1),
    ]  # fmt: skip
    td.main(args=args, standalone_mode=False)
    with open(os.path.join(out, "uf.pkl"), "rb") as f:
        uf = pickle.load(f)
    groups = {}
    for x in list(uf.parent):
        groups.setdefault(uf.find(x), []).append(str(x))
    clusters = [sorted(g) for g in groups.values() if len(g) >= 2]
    shutil.rmtree(tmp, ignore_errors=True)
    n = sum(1 for _ in read_docs(path))
    b, r = td.optimal_param(THRESHOLD, NUM_PERM, 0.5, 0.5)
    params = {"bands": b, "rows": r, "verify": "none (LSH candidates)"}
    return clusters, n, params


def main(argv):
    if len(argv) != 4:
        sys.exit(__doc__)
    tool, path, out = argv[1:]
    runners = {"datasketch": run_datasketch, "rensa": run_rensa, "gaoya": run_gaoya}
    if tool == "text-dedup":
        clusters, n, params = run_text_dedup(path)
    elif tool in runners:
        uf, ids, params = runners[tool](path)
        clusters = sorted(sorted(ids[k] for k in c) for c in uf.clusters())
        n = READ[0]
    else:
        sys.exit(f"unknown tool {tool!r}; one of datasketch, rensa, gaoya, text-dedup")
    params.update(ngram=NGRAM, threshold=THRESHOLD, num_perm=NUM_PERM)
    with open(out, "w", encoding="utf-8") as f:
        json.dump({"tool": tool, "clusters": sorted(clusters), "documents": n, "params": params}, f)


if __name__ == "__main__":
    main(sys.argv)

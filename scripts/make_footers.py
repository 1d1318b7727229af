#!/usr/bin/env python3
"""Builds data/labelled/footers.jsonl (+ .labels.jsonl): distinct short
documents that all carry one long shared footer, and true variants of some
of them, for measuring boilerplate-aware similarity (--ignore-boilerplate).

Bodies: the first 40..70 words of one page per cluster of
data/labelled/help_nl.jsonl (LibreOffice help, MPL-2.0), kept only if its
body is below Jaccard 0.3 to every body kept before. Footer: the first 300
words of the Apache-2.0 licence text in data/labelled/licenses.jsonl
(ScanCode LicenseDB, CC-BY-4.0; the licence text itself may be copied
verbatim). With the footer, two distinct documents are at Jaccard about 0.8
to each other; without it, below 0.3. Variants: 50 bodies get 1..2 variants,
each with one edit that keeps the body's Jaccard to its base at 0.85 or
more (checked with the footer's first four words, whose shingles span the
body's end): case and punctuation changed, the last word dropped, one
word added at the end, one word changed in the last five. A variant is in
the cluster of its base; every other document is a cluster of its own.

Tokenization and similarity as in data/labelled/README.md: words are runs
of alphanumeric characters, lowercased; exact Jaccard of 5-word shingles.
Deterministic (one random.Random(20261204)); standard library only.

Usage: python3 scripts/make_footers.py [--out DIR]
"""
import argparse, json, pathlib, random, re

REPO = pathlib.Path(__file__).resolve().parent.parent
ap = argparse.ArgumentParser()
ap.add_argument("--out", default=str(REPO / "data/labelled"))
args = ap.parse_args()
rng = random.Random(20261204)


def words(t):
    return [w.lower() for w in re.findall(r"[^\W_]+", t)]


def shingles(t):
    w = words(t)
    if len(w) < 5:
        return {tuple(w)}
    return {tuple(w[i:i + 5]) for i in range(len(w) - 4)}


def jaccard(a, b):
    x, y = shingles(a), shingles(b)
    return len(x & y) / len(x | y)


lab = REPO / "data/labelled"
docs = {}
for line in open(lab / "help_nl.jsonl", encoding="utf-8"):
    d = json.loads(line)
    docs[d["id"]] = d["text"]
first_of = {}
for line in open(lab / "help_nl.labels.jsonl", encoding="utf-8"):
    d = json.loads(line)
    first_of.setdefault(d["cluster"], d["id"])
footer_src = None
for line in open(lab / "licenses.jsonl", encoding="utf-8"):
    d = json.loads(line)
    if d["id"] == "rule/apache-2.0_901.RULE":
        footer_src = d["text"]
assert footer_src, "the Apache-2.0 text is not in licenses.jsonl"
footer = " ".join(footer_src.split()[:300])

bodies = []
for cluster in sorted(first_of):
    w = docs[first_of[cluster]].split()
    body = " ".join(w[: rng.randint(40, 70)])
    if len(words(body)) < 30:
        continue
    if all(jaccard(body, b) < 0.3 for b in bodies):
        bodies.append(body)


def variant(body):
    w = body.split()
    kind = rng.choice(["case", "drop_last", "add_word", "change_word"])
    if kind == "case":
        w[0] = w[0].upper()
        i = rng.randrange(len(w))
        w[i] = w[i] + ","
    elif kind == "drop_last":
        w = w[:-1]
    elif kind == "add_word":
        w.append(rng.choice(["ook", "verder", "daarna", "zie", "meer"]))
    else:
        i = len(w) - 1 - rng.randrange(5)
        w[i] = rng.choice(["venster", "knop", "menu", "lijst", "tabel"])
    return " ".join(w)


rows = []  # (text, cluster)
for n, body in enumerate(bodies):
    rows.append((body, f"f{n:03d}"))
for n in sorted(rng.sample(range(len(bodies)), 50)):
    made, want = 0, rng.randint(1, 2)
    for _ in range(20):
        if made == want:
            break
        v = variant(bodies[n])
        # Compared with the footer's first words, whose shingles span the
        # body's end: what is left once the footer's own shingles are out.
        lead = " " + " ".join(footer.split()[:4])
        near = jaccard(v + lead, bodies[n] + lead) >= 0.85
        if v != bodies[n] and near and all(v != r[0] for r in rows):
            rows.append((v, f"f{n:03d}"))
            made += 1
rng.shuffle(rows)
with open(pathlib.Path(args.out) / "footers.jsonl", "w", encoding="utf-8") as o, open(
    pathlib.Path(args.out) / "footers.labels.jsonl", "w", encoding="utf-8"
) as lo:
    for i, (body, cluster) in enumerate(rows):
        doc_id = f"page-{i + 1:04d}"
        o.write(json.dumps({"id": doc_id, "text": body + "\n\n" + footer}, ensure_ascii=False) + "\n")
        lo.write(json.dumps({"id": doc_id, "cluster": cluster}) + "\n")
print(f"{len(rows)} documents, {len(bodies)} bodies, footer {len(footer.split())} words")

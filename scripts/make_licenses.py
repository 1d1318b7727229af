#!/usr/bin/env python3
"""Builds data/labelled/licenses.jsonl (+ .labels.jsonl): a subset of the
ScanCode LicenseDB texts (CC-BY-4.0, nexB Inc. and others) with their REAL
labels (the licence a text belongs to), for quality figures on real labels.

Rows with generic_label (catch-all labels such as proprietary-license) are
left out. 150 labels with two or more texts are drawn at random (seeded),
up to 6 texts each, plus 150 texts whose label occurs once (negatives);
texts over 20,000 bytes are left out. Standard library only.

Usage: python3 scripts/make_licenses.py [--source PATH] [--out DIR]
"""
import argparse, collections, gzip, json, pathlib, random

REPO = pathlib.Path(__file__).resolve().parent.parent
ap = argparse.ArgumentParser()
ap.add_argument("--source", default=str(REPO.parent / "shared/data/labelled/scancode_license_texts.jsonl.gz"))
ap.add_argument("--out", default=str(REPO / "data/labelled"))
args = ap.parse_args()

rng = random.Random(20261123)
rows = [json.loads(l) for l in gzip.open(args.source, "rt", encoding="utf-8")]
rows = [r for r in rows if not r["generic_label"] and len(r["text"].encode()) <= 20000 and r["text"].strip()]
by_label = collections.defaultdict(list)
for r in rows:
    by_label[r["label"]].append(r)
multi = sorted(l for l, v in by_label.items() if len(v) >= 2)
single = sorted(l for l, v in by_label.items() if len(v) == 1)
chosen = []
for label in rng.sample(multi, 150):
    members = sorted(by_label[label], key=lambda r: r["id"])
    chosen += rng.sample(members, min(6, len(members)))
for label in rng.sample(single, 150):
    chosen += by_label[label]
rng.shuffle(chosen)
out = pathlib.Path(args.out)
with open(out / "licenses.jsonl", "w", encoding="utf-8", newline="\n") as f:
    for r in chosen:
        f.write(json.dumps({"id": r["id"], "text": r["text"]}, ensure_ascii=False) + "\n")
with open(out / "licenses.labels.jsonl", "w", encoding="utf-8", newline="\n") as f:
    for r in chosen:
        f.write(json.dumps({"id": r["id"], "cluster": r["label"]}, ensure_ascii=False) + "\n")
pairs = sum(n * (n - 1) // 2 for n in collections.Counter(r["label"] for r in chosen).values())
size = sum(len(r["text"].encode()) for r in chosen)
print(f"{len(chosen)} texts, {len(set(r['label'] for r in chosen))} labels, {pairs} true pairs, {size/1e6:.2f} MB")

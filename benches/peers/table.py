#!/usr/bin/env python3
"""Scores and tabulates the runs of benches/peers/run.sh.

Usage: table.py INPUT.jsonl LABELS.jsonl|- RUNS_DIR TOOL...

For each TOOL, RUNS_DIR holds:
  TOOL.status     "ok" or "not run: REASON"
  TOOL.times      one "WALL_SECONDS PEAK_RSS_KB [USER_SECONDS SYS_SECONDS]" line
                  per repetition (/usr/bin/time -f '%e %M %U %S')
  TOOL.clusters   the clusters: peer.py output, or a neardup report
and, when labels are given, neardup.eval (the output of `neardup eval`),
which is checked against this script's own metrics for neardup's report.

Metrics (pairwise, as `neardup eval`): both sides are partitions of the same
N documents; documents in no predicted cluster are predicted singletons,
documents absent from the labels are true singletons. Precision = correct
pairs / predicted pairs (1 if none predicted), recall = correct / true pairs
(1 if none true), ARI by Hubert & Arabie from the same pair counts, with
N = max(documents read, distinct ids seen).
"""

import json
import statistics
import sys


def pairs(n):
    return n * (n - 1) // 2


def read_clusters(path):
    """Clusters (lists of ids) and document count of peer.py output or a
    neardup report (JSON)."""
    with open(path, encoding="utf-8") as f:
        d = json.load(f)
    if "stats" in d:  # neardup report
        clusters = [[m["doc"] for m in c["members"]] for c in d["clusters"]]
        return clusters, d["stats"].get("documents", 0)
    return d["clusters"], d.get("documents", 0)


def read_labels(path):
    truth = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                r = json.loads(line)
                truth[str(r["id"])] = str(r["cluster"])
    return truth


def evaluate(predicted, truth, documents):
    pred_of = {}
    for i, c in enumerate(predicted):
        for d in c:
            pred_of[d] = i
    true_size, pred_size, cell = {}, {}, {}
    for lab in truth.values():
        true_size[lab] = true_size.get(lab, 0) + 1
    for d, p in pred_of.items():
        pred_size[p] = pred_size.get(p, 0) + 1
        lab = truth.get(d)
        if lab is not None:
            cell[(p, lab)] = cell.get((p, lab), 0) + 1
    n = max(documents, len(set(pred_of) | set(truth)))
    correct = sum(pairs(c) for c in cell.values())
    predicted_pairs = sum(pairs(c) for c in pred_size.values())
    true_pairs = sum(pairs(c) for c in true_size.values())
    precision = 1.0 if predicted_pairs == 0 else correct / predicted_pairs
    recall = 1.0 if true_pairs == 0 else correct / true_pairs
    f1 = 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)
    total = pairs(n)
    expected = 0.0 if total == 0 else predicted_pairs * true_pairs / total
    mx = 0.5 * (predicted_pairs + true_pairs)
    if abs(mx - expected) < 1e-12:
        ari = 1.0 if correct == predicted_pairs == true_pairs else 0.0
    else:
        ari = (correct - expected) / (mx - expected)
    return {
        "documents": n,
        "true_pairs": true_pairs,
        "predicted_pairs": predicted_pairs,
        "correct_pairs": correct,
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "ARI": ari,
    }


def text_bytes(path):
    total = 0
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                t = json.loads(line).get("text")
                if isinstance(t, str):
                    total += len(t.encode("utf-8"))
    return total


def check_neardup(mine, eval_path):
    """Compares our metrics for neardup's report with `neardup eval`."""
    theirs = {}
    with open(eval_path, encoding="utf-8") as f:
        for line in f:
            k, v = line.split()
            theirs[k] = float(v)
    bad = []
    for k, v in theirs.items():
        ours = mine.get(k)
        if ours is None:
            continue
        digits = 0 if float(v).is_integer() and k not in ("precision", "recall", "f1", "ARI") else 4
        if round(ours, digits) != round(v, digits):
            bad.append(f"{k}: ours {ours:.4f}, neardup eval {v:.4f}")
    if bad:
        print("WARNING: metrics disagree with `neardup eval`: " + "; ".join(bad), file=sys.stderr)
        return False
    print("metrics cross-checked against `neardup eval` for neardup's report: equal", file=sys.stderr)
    return True


def main(argv):
    if len(argv) < 5:
        sys.exit(__doc__)
    input_path, labels_path, runs = argv[1], argv[2], argv[3]
    tools = argv[4:]
    truth = read_labels(labels_path) if labels_path != "-" else None
    mb = text_bytes(input_path) / 1e6
    head = ["tool", "wall s", "CPU s", "peak RSS MiB", "MB/s", "clusters", "duplicate docs"]
    if truth is not None:
        head += ["precision", "recall", "F1", "ARI"]
    rows = []
    for tool in tools:
        base = f"{runs}/{tool}"
        with open(base + ".status", encoding="utf-8") as f:
            status = f.read().strip()
        if status != "ok":
            rows.append([tool, status] + [""] * (len(head) - 2))
            continue
        times = []
        with open(base + ".times", encoding="utf-8") as f:
            for line in f:
                f = line.split()
                cpu = float(f[2]) + float(f[3]) if len(f) >= 4 else float("nan")
                times.append((float(f[0]), int(f[1]), cpu))
        wall = statistics.median(t[0] for t in times)
        rss = statistics.median(t[1] for t in times) / 1024
        cpu = statistics.median(t[2] for t in times)
        clusters, n = read_clusters(base + ".clusters")
        dup = sum(len(c) - 1 for c in clusters)
        row = [tool, f"{wall:.2f}", f"{cpu:.2f}", f"{rss:.0f}", f"{mb / wall:.1f}" if wall > 0 else "inf",
               str(len(clusters)), str(dup)]  # fmt: skip
        if truth is not None:
            m = evaluate(clusters, truth, n)
            row += [f"{m['precision']:.4f}", f"{m['recall']:.4f}", f"{m['f1']:.4f}", f"{m['ARI']:.4f}"]
            if tool == "neardup":
                check_neardup(m, f"{runs}/neardup.eval")
        rows.append(row)
    print(f"input: {input_path} ({mb:.2f} MB of text); medians over the repetitions")
    print()
    print("| " + " | ".join(head) + " |")
    print("|" + "|".join("---" if i == 0 else "---:" for i in range(len(head))) + "|")
    for r in rows:
        print(("| " + " | ".join(r) + " |").replace("  ", " "))


if __name__ == "__main__":
    main(sys.argv)

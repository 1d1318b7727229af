#!/usr/bin/env python3
# Usage: scripts/boilerplate_spot_check.py PLAIN.json INPUT.jsonl NAME=REPORT.json...
# (PLAIN: a scan without --ignore-boilerplate; each NAME=REPORT a scan with it, same input.)
"""Linux spot check for --ignore-boilerplate: every member of the plain run's
clusters, compared with its kept file by the Jaccard of 5-word shingles of
the text after the leading comment (the licence header), then looked up in
the runs with the option: does a real copy (own code >= 0.8) stay with its
kept file, does a licence-only member (own code < 0.8) come apart?"""
import json, re, sys

plain = json.load(open(sys.argv[1]))
runs = {name: json.load(open(path)) for name, path in (a.split('=') for a in sys.argv[3:])}
want = set()
for c in plain['clusters']:
    for m in c['members']:
        want.add(m['doc'])
texts = {}
with open(sys.argv[2]) as f:
    for line in f:
        d = json.loads(line)
        if d['id'] in want:
            texts[d['id']] = d['text']

def strip_leading_comment(t):
    t = t.lstrip()
    while True:
        if t.startswith('/*'):
            end = t.find('*/')
            if end < 0:
                return ''
            t = t[end + 2:].lstrip()
        elif t.startswith('//') or t.startswith('#!') or (t.startswith('#') and not re.match(r'#\s*(include|define|if|ifdef|ifndef|endif|else|elif|undef|pragma|error)', t)) or t.startswith(';') or t.startswith('%'):
            nl = t.find('\n')
            if nl < 0:
                return ''
            t = t[nl + 1:].lstrip()
        else:
            return t

def shingles(t):
    w = re.findall(r'\w+', t.lower())
    return {tuple(w[i:i + 5]) for i in range(max(0, len(w) - 4))}

def jac(a, b):
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)

cluster_of = {}
for name, r in runs.items():
    m = {}
    for c in r['clusters']:
        for x in c['members']:
            m[x['doc']] = c['id']
    cluster_of[name] = (m, set(r.get('boilerplate_only', [])))

rows = []
for c in plain['clusters']:
    kept = c['representative']
    ks = shingles(strip_leading_comment(texts[kept]))
    for m in c['members']:
        if m['doc'] == kept:
            continue
        own = jac(ks, shingles(strip_leading_comment(texts[m['doc']])))
        row = {'doc': m['doc'], 'kept': kept, 'plain': m['similarity'], 'own': own}
        for name, (cm, bo) in cluster_of.items():
            if m['doc'] in bo:
                row[name] = 'boilerplate-only'
            elif m['doc'] in cm and cm.get(kept) == cm[m['doc']]:
                row[name] = 'together'
            else:
                row[name] = 'apart'
        rows.append(row)

real = [r for r in rows if r['own'] >= 0.8]
fake = [r for r in rows if r['own'] < 0.8]
print(f"plain run: {len(rows)} removed members; {len(real)} with own code >= 0.8 to the kept file, {len(fake)} below")
for name in runs:
    for label, group in (('real copies', real), ('own code < 0.8', fake)):
        counts = {}
        for r in group:
            counts[r[name]] = counts.get(r[name], 0) + 1
        print(f"  {name}: {label}: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
json.dump(rows, open('rows.json', 'w'))

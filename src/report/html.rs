//! One self-contained HTML page for people: summary, inline SVG charts, a
//! searchable, paged list of clusters, members side by side with shared
//! passages highlighted, and documents with repeated passages highlighted
//! in place. No network, no external scripts: data is embedded as JSON and
//! rendered by a small script on demand (one page of 50 clusters at a time),
//! so a report of 100,000 clusters stays usable.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use super::model::Report;
use super::summary::{Shown, human_bytes, repeated_bytes};

/// Longest text embedded per document (bytes, cut on a char boundary).
pub const TEXT_MAX: usize = 50_000;

/// Members of a cluster the page shows side by side (their texts are
/// embedded for the first clusters); the others are listed by id.
pub const MEMBERS_SHOWN: usize = 8;

/// Passages whose places' texts are embedded: the first in the report and
/// the costliest shared across documents.
const PASSAGES_WITH_TEXT: usize = 2000;

/// Which documents the page shows in full: members of the first clusters,
/// documents with repeated passages, places of the top passages and of the
/// costliest passages shared across documents that `shown` lists (see
/// [`render`]).
pub fn documents_shown(report: &Report, shown: &Shown) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for c in report.clusters.iter().take(2000) {
        out.extend(c.members.iter().take(MEMBERS_SHOWN).map(|m| m.doc.clone()));
    }
    for p in report.passages.iter().take(PASSAGES_WITH_TEXT) {
        out.extend(p.occurrences.iter().take(8).map(|o| o.doc.clone()));
    }
    for p in costliest_shared(report, shown).0.into_iter().take(PASSAGES_WITH_TEXT) {
        out.extend(report.passages[p].occurrences.iter().take(4).map(|o| o.doc.clone()));
    }
    out.sort();
    out.dedup();
    out
}

/// Passages in at least two (and at least `shown.min_docs`) documents,
/// costliest first (bytes of all copies but one; ties in report order), the
/// first `shown.top` of them, as indices into the report; and how many
/// passages are in two or more documents.
fn costliest_shared(report: &Report, shown: &Shown) -> (Vec<usize>, usize) {
    let at_least = shown.min_docs.max(2);
    let all = report.passages.iter().filter(|p| p.documents >= 2).count();
    let mut shared: Vec<usize> =
        (0..report.passages.len()).filter(|&i| report.passages[i].documents >= at_least).collect();
    shared.sort_by_key(|&i| std::cmp::Reverse(repeated_bytes(&report.passages[i])));
    shared.truncate(shown.top);
    (shared, all)
}

/// What the page says of the shared passages it lists: how many of all,
/// which filter left the others out.
fn shared_line(listed: usize, all: usize, shown: &Shown) -> String {
    let mut line = String::from("Costliest first: the bytes that repeat (all copies but one).");
    if listed == all {
        let _ = write!(line, " All {all} passages found in two or more documents.");
        return line;
    }
    let _ = write!(line, " {listed} of the {all} passages found in two or more documents");
    let mut why = Vec::new();
    if shown.min_docs > 2 {
        why.push(format!("in at least {} documents", shown.min_docs));
    }
    if listed == shown.top {
        why.push(format!("the top {} (--top)", shown.top));
    }
    if !why.is_empty() {
        let _ = write!(line, ": {}", why.join(", "));
    }
    let _ = write!(line, "; {} left out, all in the report.", all - listed);
    line
}

/// A cluster for the page: size, kept document, members with similarity.
type ClusterRow<'a> = (usize, &'a str, Vec<(&'a str, f64)>);
/// A passage for the page: words, documents, places, text (a preview),
/// bytes that repeat.
type PassageRow<'a> = (usize, usize, Vec<(&'a str, u32, u32)>, &'a str, u64);

#[derive(Serialize)]
struct Data<'a> {
    clusters: Vec<ClusterRow<'a>>,
    passages: Vec<PassageRow<'a>>,
    /// Passages in more than one document, costliest first (indices).
    shared: Vec<usize>,
    texts: BTreeMap<&'a str, &'a str>,
}

fn cut(text: &str) -> &str {
    if text.len() <= TEXT_MAX {
        return text;
    }
    let mut end = TEXT_MAX;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// `value` as JSON that can sit inside a `<script>` element whatever its
/// strings hold: `<`, `>` and `&` are written as `\u003c`, `\u003e` and
/// `\u0026` (they occur only inside JSON strings, where the escapes mean
/// the same), so neither `</script>` nor `<!--<script>` in a text or an id
/// can end or swallow the page's script.
pub fn script_safe_json<T: Serialize>(value: &T) -> String {
    let json = serde_json::to_string(value).expect("BUG: report data serializes");
    let mut out = String::with_capacity(json.len() + json.len() / 16);
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            c => out.push(c),
        }
    }
    out
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A bar chart as inline SVG: `(label, value)` bars.
fn bars(title: &str, data: &[(String, u64)]) -> String {
    let (w, h, pad) = (520.0, 180.0, 30.0);
    let max = data.iter().map(|d| d.1).max().unwrap_or(1).max(1) as f64;
    let bw = (w - 2.0 * pad) / data.len().max(1) as f64;
    let mut s = format!(
        r#"<figure><figcaption>{}</figcaption><svg viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" aria-label="{}">"#,
        escape(title),
        escape(title)
    );
    for (i, (label, v)) in data.iter().enumerate() {
        let bh = (h - 2.0 * pad) * (*v as f64) / max;
        let x = pad + i as f64 * bw;
        let y = h - pad - bh;
        let _ = write!(
            s,
            r##"<rect x="{x:.1}" y="{y:.1}" width="{:.1}" height="{bh:.1}" fill="#4a7ab5"><title>{}: {v}</title></rect><text x="{:.1}" y="{:.1}" font-size="10" text-anchor="middle">{}</text>"##,
            (bw - 2.0).max(1.0),
            escape(label),
            x + bw / 2.0,
            h - pad + 12.0,
            escape(label)
        );
        if *v > 0 {
            let _ = write!(
                s,
                r#"<text x="{:.1}" y="{:.1}" font-size="9" text-anchor="middle">{v}</text>"#,
                x + bw / 2.0,
                y - 2.0
            );
        }
    }
    s.push_str("</svg></figure>");
    s
}

/// The page. `texts` maps document ids to their text (see
/// [`documents_shown`]); documents without text are listed by id only.
///
/// The section of passages shared across documents lists those `shown`
/// asks for (at least `min_docs` documents, the `top` costliest; use
/// [`Shown::all`] for every one) and says how many it left out.
pub fn render(report: &Report, texts: &BTreeMap<String, String>, shown: &Shown) -> String {
    let s = &report.stats;
    let (shared, all_shared) = costliest_shared(report, shown);
    let shared_line = escape(&shared_line(shared.len(), all_shared, shown));
    let data = Data {
        clusters: report
            .clusters
            .iter()
            .map(|c| {
                (
                    c.size,
                    c.representative.as_str(),
                    c.members.iter().map(|m| (m.doc.as_str(), m.similarity)).collect(),
                )
            })
            .collect(),
        passages: report
            .passages
            .iter()
            .map(|p| {
                (
                    p.words,
                    p.documents,
                    p.occurrences.iter().map(|o| (o.doc.as_str(), o.start, o.end)).collect(),
                    p.text.as_str(),
                    repeated_bytes(p),
                )
            })
            .collect(),
        texts: texts.iter().map(|(k, v)| (k.as_str(), cut(v))).collect(),
        shared,
    };
    let embedded = format!(
        "The page embeds the texts of {} documents (up to {} each): the first {} members of the \
         first 2000 clusters and the places of the top passages; other documents are listed by id \
         and are in the report.",
        texts.len(),
        human_bytes(TEXT_MAX as u64),
        MEMBERS_SHOWN
    );
    let json = script_safe_json(&data);

    let mut sizes: BTreeMap<usize, u64> = BTreeMap::new();
    for c in &report.clusters {
        let bucket = match c.size {
            0..=5 => c.size,
            6..=10 => 6,
            11..=100 => 11,
            _ => 101,
        };
        *sizes.entry(bucket).or_default() += 1;
    }
    let size_bars: Vec<(String, u64)> = sizes
        .into_iter()
        .map(|(b, n)| {
            let label = match b {
                6 => "6-10".to_owned(),
                11 => "11-100".to_owned(),
                101 => ">100".to_owned(),
                _ => b.to_string(),
            };
            (label, n)
        })
        .collect();
    let mut sim = [0u64; 10];
    for c in &report.clusters {
        for m in c.members.iter().filter(|m| m.doc != c.representative) {
            sim[((m.similarity * 10.0) as usize).min(9)] += 1;
        }
    }
    let sim_bars: Vec<(String, u64)> =
        sim.iter().enumerate().map(|(i, &n)| (format!("{:.1}", i as f64 / 10.0), n)).collect();

    let mut stats = String::new();
    let rows: Vec<(&str, String)> = vec![
        ("documents", format!("{} ({}, {} words)", s.documents, human_bytes(s.bytes), s.words)),
        ("skipped", s.skipped.to_string()),
        ("method", report.params.method.clone()),
        (
            "clusters",
            format!(
                "{} holding {} documents ({})",
                s.clusters,
                s.clustered_documents,
                super::summary::clustering_note(report)
            ),
        ),
        (
            "removable by dedup",
            format!("{} documents, {}", s.duplicate_documents, human_bytes(s.duplicate_bytes)),
        ),
        (
            "repeated passages",
            format!("{} in {} places", s.repeated_passages, s.passage_occurrences),
        ),
        (
            "text repeated",
            format!(
                "{:.1} % within documents, {:.1} % across documents",
                100.0 * s.repeated_share_within,
                100.0 * s.repeated_share_across
            ),
        ),
    ];
    for (k, v) in rows {
        let _ = write!(stats, "<tr><th>{}</th><td>{}</td></tr>", escape(k), escape(&v));
    }

    format!(
        r###"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>neardup report</title>
<style>
body {{ font: 14px/1.45 system-ui, sans-serif; margin: 1.5em; color: #222; }}
table.stats th {{ text-align: left; padding-right: 1em; font-weight: 600; }}
.charts {{ display: flex; flex-wrap: wrap; gap: 2em; }}
figure {{ margin: 0; }} figcaption {{ font-weight: 600; }}
#clusters li, #repeats li {{ cursor: pointer; padding: 2px 4px; }}
#clusters li:hover, #repeats li:hover, li.active {{ background: #e8eef8; }}
.docs {{ display: grid; grid-template-columns: repeat(auto-fit, minmax(280px, 1fr)); gap: 1em; }}
.doc {{ border: 1px solid #ccc; padding: .5em; white-space: pre-wrap; max-height: 32em; overflow: auto; font-size: 13px; }}
.doc h3 {{ margin: 0 0 .4em; font-size: 13px; white-space: normal; }}
mark.shared {{ background: #ffe08a; }} mark.repeat {{ background: #b8e3c4; }}
.browse {{ display: grid; grid-template-columns: minmax(16em, 1fr) 3fr; gap: 1.5em; align-items: start; }}
.browse ol {{ max-height: 40em; overflow: auto; font-size: 13px; }}
.pager button {{ margin: 0 .3em; }} .muted {{ color: #777; }}
.legend mark {{ padding: 0 .4em; }}
</style></head>
<body>
<h1>neardup report</h1>
<table class="stats">{stats}</table>
<div class="charts">{size_chart}{sim_chart}</div>
<p class="legend"><mark class="shared">shared with another member</mark> <mark class="repeat">repeated within the document</mark></p>
<h2>Clusters</h2>
<input id="search" type="search" placeholder="filter by document id" aria-label="filter clusters by document id">
<div class="browse"><div><div class="pager" id="pager"></div><ol id="clusters"></ol></div>
<div id="cluster-view"></div></div>
<h2>Passages shared across documents</h2>
<p class="muted" id="shared-line">{shared_line}</p>
<div class="browse"><div><div class="pager" id="spager"></div><ol id="shared"></ol></div>
<div id="shared-view"></div></div>
<h2>Documents with repeated passages</h2>
<div class="browse"><div><div class="pager" id="rpager"></div><ol id="repeats"></ol></div>
<div id="repeat-view"></div></div>
<p class="muted" id="embedded">{embedded}</p>
<script type="application/json" id="data">{json}</script>
<script>
"use strict";
window.addEventListener("error", e => {{ document.body.dataset.errors = (document.body.dataset.errors || "") + e.message + ";"; }});
const D = JSON.parse(document.getElementById("data").textContent);
const PAGE = 50;
const SHOWN = {shown};
const byDoc = new Map();
D.passages.forEach((p, i) => p[2].forEach(([doc, s, e]) => {{
  if (!byDoc.has(doc)) byDoc.set(doc, []);
  byDoc.get(doc).push([s, e, i]);
}}));
function el(tag, text, cls) {{ const x = document.createElement(tag); if (text !== undefined) x.textContent = text; if (cls) x.className = cls; return x; }}
function withinCount(i, doc) {{ return D.passages[i][2].filter(o => o[0] === doc).length; }}
function showDoc(doc, members) {{
  const box = el("div", undefined, "doc");
  box.appendChild(el("h3", doc));
  const text = D.texts[doc];
  if (text === undefined) {{ box.appendChild(el("p", "(text not embedded)", "muted")); return box; }}
  // Offsets are UTF-8 bytes: map them to characters once per document.
  const enc = new TextEncoder();
  const chars = Array.from(text);
  const byteAt = [];
  let bytes = 0;
  for (const c of chars) {{ byteAt.push(bytes); bytes += enc.encode(c).length; }}
  byteAt.push(bytes);
  const charOf = b => {{ let lo = 0, hi = byteAt.length - 1; while (lo < hi) {{ const m = (lo + hi) >> 1; if (byteAt[m] < b) lo = m + 1; else hi = m; }} return lo; }};
  const spans = (byDoc.get(doc) || []).filter(([s, e, i]) => e <= bytes).map(([s, e, i]) => {{
    const repeat = withinCount(i, doc) > 1;
    const shared = members && D.passages[i][2].some(o => o[0] !== doc && members.has(o[0]));
    return [s, e, repeat ? "repeat" : (shared ? "shared" : null)];
  }}).filter(x => x[2]).sort((a, b) => a[0] - b[0]);
  let pos = 0;
  const out = document.createDocumentFragment();
  for (const [s, e, cls] of spans) {{
    const cs = charOf(s), ce = charOf(e);
    if (cs < pos) continue;
    out.appendChild(document.createTextNode(chars.slice(pos, cs).join("")));
    out.appendChild(el("mark", chars.slice(cs, ce).join(""), cls));
    pos = ce;
  }}
  out.appendChild(document.createTextNode(chars.slice(pos).join("")));
  box.appendChild(out);
  return box;
}}
// Previous / next buttons and "page i of n (total what)" for a paged list.
function pager(id, current, total, what, go) {{
  const pages = Math.max(1, Math.ceil(total / PAGE));
  const box = document.getElementById(id); box.textContent = "";
  const prev = el("button", "previous"); prev.disabled = current === 0; prev.onclick = () => go(current - 1);
  const next = el("button", "next"); next.disabled = current + 1 >= pages; next.onclick = () => go(current + 1);
  box.append(prev, el("span", `page ${{current + 1}} of ${{pages}} (${{total}} ${{what}})`), next);
}}
let filtered = D.clusters.map((c, i) => i), page = 0;
function renderClusters() {{
  const list = document.getElementById("clusters"); list.textContent = "";
  list.start = page * PAGE + 1;
  filtered.slice(page * PAGE, (page + 1) * PAGE).forEach(i => {{
    const c = D.clusters[i];
    const li = el("li", `#${{i}} (${{c[0]}} documents): ` + c[2].map(m => m[0]).slice(0, 6).join(", ") + (c[2].length > 6 ? ", …" : ""), "cluster");
    li.dataset.cluster = i;
    li.addEventListener("click", () => openCluster(i, li));
    list.appendChild(li);
  }});
  pager("pager", page, filtered.length, "clusters", p => {{ page = p; renderClusters(); }});
}}
function openCluster(i, li) {{
  document.querySelectorAll("#clusters li.active").forEach(x => x.classList.remove("active"));
  if (li) li.classList.add("active");
  const c = D.clusters[i];
  const view = document.getElementById("cluster-view"); view.textContent = "";
  view.appendChild(el("h3", `Cluster #${{i}}: ${{c[0]}} documents, kept: ${{c[1]}}`));
  const members = new Set(c[2].map(m => m[0]));
  const grid = el("div", undefined, "docs");
  c[2].slice(0, SHOWN).forEach(([doc, sim]) => {{ const d = showDoc(doc, members); d.querySelector("h3").textContent += ` (similarity ${{sim}})`; grid.appendChild(d); }});
  view.appendChild(grid);
  if (c[2].length > SHOWN) {{
    const rest = c[2].slice(SHOWN);
    const listed = rest.slice(0, 500).map(([doc, sim]) => `${{doc}} (${{sim}})`).join(", ");
    const more = rest.length > 500 ? `, and ${{rest.length - 500}} more in the report` : "";
    view.appendChild(el("p", `${{rest.length}} more members (similarity to the kept document): ${{listed}}${{more}}`, "more-members"));
  }}
}}
let spage = 0;
function renderShared() {{
  const list = document.getElementById("shared"); list.textContent = "";
  list.start = spage * PAGE + 1;
  D.shared.slice(spage * PAGE, (spage + 1) * PAGE).forEach(i => {{
    const p = D.passages[i];
    const preview = p[3].length > 90 ? p[3].slice(0, 90) + "…" : p[3];
    const li = el("li", `#${{i}} (${{p[0]}} words, ${{p[2].length}} places in ${{p[1]}} documents, ${{p[4]}} bytes repeat): ${{preview}}`, "shared-passage");
    li.addEventListener("click", () => {{
      document.querySelectorAll("#shared li.active").forEach(x => x.classList.remove("active"));
      li.classList.add("active");
      const v = document.getElementById("shared-view"); v.textContent = "";
      const docs = [...new Set(p[2].map(o => o[0]))];
      v.appendChild(el("h3", `Passage #${{i}} in ${{docs.length}} documents` + (docs.length > 4 ? ` (first 4 shown; all ${{p[2].length}} places are in the report)` : "")));
      const grid = el("div", undefined, "docs");
      const inPassage = new Set(docs);
      docs.slice(0, 4).forEach(doc => grid.appendChild(showDoc(doc, inPassage)));
      v.appendChild(grid);
    }});
    list.appendChild(li);
  }});
  pager("spager", spage, D.shared.length, "passages", p => {{ spage = p; renderShared(); }});
}}
document.getElementById("search").addEventListener("input", e => {{
  const q = e.target.value.trim();
  filtered = D.clusters.map((c, i) => i).filter(i => !q || D.clusters[i][2].some(m => m[0].includes(q)));
  page = 0; renderClusters();
}});
const repeated = [...byDoc.entries()].filter(([doc, occ]) => occ.some(([s, e, i]) => withinCount(i, doc) > 1)).map(([doc]) => doc).sort();
let rpage = 0;
function renderRepeats() {{
  const list = document.getElementById("repeats"); list.textContent = "";
  list.start = rpage * PAGE + 1;
  repeated.slice(rpage * PAGE, (rpage + 1) * PAGE).forEach(doc => {{
    const li = el("li", doc, "repeat-doc");
    li.addEventListener("click", () => {{ const v = document.getElementById("repeat-view"); v.textContent = ""; v.appendChild(showDoc(doc, null)); }});
    list.appendChild(li);
  }});
  pager("rpager", rpage, repeated.length, "documents", p => {{ rpage = p; renderRepeats(); }});
}}
renderClusters(); renderShared(); renderRepeats();
if (D.shared.length) document.querySelector("#shared li").click();
if (D.clusters.length) openCluster(0, document.querySelector("#clusters li"));
if (repeated.length) document.querySelector("#repeats li").click();
document.body.dataset.ready = "1";
</script>
</body></html>
"###,
        size_chart = bars("Cluster sizes (documents per cluster)", &size_bars),
        shown = MEMBERS_SHOWN,
        embedded = escape(&embedded),
        sim_chart = bars("Similarity of members to the kept document", &sim_bars),
    )
}

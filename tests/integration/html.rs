//! The HTML report in a real browser: headless Chromium loads the page,
//! runs its script, and the rendered DOM is checked.
//!
//! Needs Debian's `chromium` (`apt-get install chromium chromium-driver`);
//! `.ci/run` installs it and sets NEARDUP_REQUIRE_BROWSER=1, so in CI a
//! missing browser fails the test instead of skipping it.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::neardup;

fn chromium() -> Option<PathBuf> {
    let candidates = [
        std::env::var("CHROMIUM").unwrap_or_default(),
        "/usr/bin/chromium".into(),
        "/usr/bin/chromium-browser".into(),
    ];
    let found = candidates.iter().filter(|c| !c.is_empty()).map(PathBuf::from).find(|p| p.exists());
    if found.is_none() {
        assert!(
            std::env::var("NEARDUP_REQUIRE_BROWSER").is_err(),
            "NEARDUP_REQUIRE_BROWSER is set but no chromium was found (apt-get install chromium)"
        );
        // Straight to the process's stderr: `eprintln!` output of a passing
        // test is captured and never shown, so the skip would go unseen.
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED: browser test of the HTML page: no chromium found (apt-get install -y \
             chromium, or set CHROMIUM=/path/to/chromium)"
        );
    }
    found
}

/// Chromium's flags for this closed machine (see the env notes).
fn headless(browser: &Path, profile: &Path) -> Command {
    let mut c = Command::new(browser);
    c.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--virtual-time-budget=10000",
    ])
    .arg(format!("--user-data-dir={}", profile.display()));
    c
}

fn dom(browser: &Path, page: &Path, profile: &Path) -> String {
    let out = headless(browser, profile)
        .arg("--dump-dom")
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    assert!(out.status.success(), "chromium failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn html_report_renders_clusters_and_highlights_without_errors() {
    let Some(browser) = chromium() else { return };
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("report.html");
    neardup()
        .args(["scan", "data/seeds", "data/labelled/help_nl.jsonl", "-q", "--html"])
        .arg(&page)
        .assert()
        .success();
    let html = std::fs::read_to_string(&page).unwrap();
    // Self-contained: no external scripts, styles, images or fonts.
    for external in ["<script src", "<link", "src=\"http", "url(", "@import"] {
        assert!(!html.contains(external), "page must be self-contained, found {external:?}");
    }
    let d = dom(&browser, &page, &dir.path().join("profile"));
    assert!(d.contains(r#"data-ready="1""#), "script did not finish");
    assert!(
        !d.contains("data-errors"),
        "script errors: {}",
        &d[d.find("data-errors").unwrap()..][..200]
    );
    let clusters = crate::util::report(&["scan", "data/seeds", "data/labelled/help_nl.jsonl"])["stats"]["clusters"]
        .as_u64()
        .unwrap();
    assert!(clusters > 50, "{clusters}");
    // First page of clusters (50 a page), the first one opened
    // with its members side by side and shared text highlighted; the seed
    // article opened with its repeated body highlighted in place.
    assert_eq!(d.matches(r#"class="cluster"#).count(), 50);
    assert!(d.contains(&format!("page 1 of 2 ({clusters} clusters)")));
    assert!(d.contains("Cluster #0: 5 documents"));
    assert!(d.matches(r#"<mark class="shared">"#).count() >= 5);
    assert!(d.matches(r#"<mark class="repeat">"#).count() >= 2);
    assert!(d.contains("<svg"));
    // Passages shared across documents, costliest first (worked out here
    // from the report), paged, the first opened; the page says whose texts
    // it embeds.
    let r = crate::util::report(&["scan", "data/seeds", "data/labelled/help_nl.jsonl"]);
    let mut shared: Vec<&serde_json::Value> = r["passages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["documents"].as_u64().unwrap() >= 2)
        .collect();
    let cost = crate::util::passage_cost;
    shared.sort_by_key(|p| std::cmp::Reverse(cost(p)));
    assert!(shared.len() > 50);
    let pages = shared.len().div_ceil(50);
    assert!(d.contains(&format!("page 1 of {pages} ({} passages)", shared.len())));
    assert_eq!(d.matches(r#"class="shared-passage"#).count(), 50);
    let first = shared[0]["id"].as_u64().unwrap();
    // The first item (opened, so also `active`) is the costliest.
    let at = d.find(r#"class="shared-passage"#).unwrap();
    let text = &d[at + d[at..].find('>').unwrap() + 1..];
    assert!(text.starts_with(&format!("#{first} (")), "{}", &text[..80]);
    assert!(d.contains(&format!("Passage #{first} in")));
    assert!(d.contains("The page embeds the texts of"));

    // The documented screenshot command produces a PNG.
    let shot = dir.path().join("shot.png");
    let out = headless(&browser, &dir.path().join("profile2"))
        .arg("--window-size=1400,1400")
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(&std::fs::read(&shot).unwrap()[..4], b"\x89PNG");
}

/// 100,000 clusters: the page renders one page of 50 and stays responsive.
#[test]
fn html_report_pages_a_hundred_thousand_clusters() {
    let Some(browser) = chromium() else { return };
    use neardup::report::model::{Cluster, Member};
    let dir = tempfile::tempdir().unwrap();
    // A real (small) report, then 100k clusters put in it.
    let out =
        neardup().args(["scan", "data/seeds", "--format", "json", "--no-timing"]).output().unwrap();
    let mut v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let clusters: Vec<Cluster> = (0..100_000)
        .map(|i| {
            // The first cluster has more members than the page shows.
            let n = if i == 0 { 20 } else { 2 };
            Cluster {
                id: i,
                size: n,
                representative: format!("a{i}"),
                members: (0..n)
                    .map(|m| Member {
                        doc: if m == 0 { format!("a{i}") } else { format!("b{i}-{m}") },
                        similarity: 0.9,
                    })
                    .collect(),
                pairs: Vec::new(),
            }
        })
        .collect();
    v["clusters"] = serde_json::to_value(&clusters).unwrap();
    v["stats"]["clusters"] = 100_000.into();
    let report: neardup::report::Report = serde_json::from_value(v).unwrap();
    let page = dir.path().join("big.html");
    std::fs::write(
        &page,
        neardup::report::html::render(
            &report,
            &Default::default(),
            &neardup::report::summary::Shown::all(),
        ),
    )
    .unwrap();
    let start = std::time::Instant::now();
    let d = dom(&browser, &page, &dir.path().join("profile"));
    assert!(d.contains(r#"data-ready="1""#) && !d.contains("data-errors"));
    assert_eq!(d.matches(r#"class="cluster"#).count(), 50);
    assert!(d.contains("page 1 of 2000 (100000 clusters)"));
    // Members past the first 8 are listed by id, not dropped.
    assert!(d.contains("12 more members (similarity to the kept document): b0-8 (0.9)"), "{d}");
    assert!(d.contains("b0-19 (0.9)"));
    assert!(start.elapsed().as_secs() < 60, "{:?}", start.elapsed());
}

/// Texts and ids that try to end or swallow the page's script.
const HOSTILE_IDS: [&str; 4] = [
    "<!--<script>",
    "</script><script>document.body.dataset.pwned = 1</script>",
    "x&amp;y\"'",
    "<img src=x onerror=\"document.body.dataset.pwned = 1\">",
];

/// A collection of two clusters whose ids and texts are hostile markup.
fn hostile_page(dir: &Path) -> PathBuf {
    let body = |n: usize| (0..200).map(|i| format!("woord{} ", i * 7 + n)).collect::<String>();
    let mut lines = String::new();
    for (i, id) in HOSTILE_IDS.iter().enumerate() {
        let text = format!("<!--<script> {} </script><!-- {id}", body(i / 2));
        lines.push_str(&serde_json::json!({"id": id, "text": text}).to_string());
        lines.push('\n');
    }
    let input = dir.join("hostile.jsonl");
    std::fs::write(&input, lines).unwrap();
    let page = dir.join("hostile.html");
    neardup().arg("scan").arg(&input).args(["-q", "--html"]).arg(&page).assert().success();
    page
}

/// Item 14: the embedded JSON writes `<` (and `>`, `&`) as escapes, so a
/// text or id holding `<!--<script>` or `</script>` cannot end or swallow
/// the page's script, and the data reads back exactly.
#[test]
fn html_embedded_json_escapes_hostile_texts_and_ids() {
    let dir = tempfile::tempdir().unwrap();
    let html = std::fs::read_to_string(hostile_page(dir.path())).unwrap();
    let open = r#"<script type="application/json" id="data">"#;
    let start = html.find(open).unwrap() + open.len();
    let json = &html[start..start + html[start..].find("</script>").unwrap()];
    assert!(!json.contains(['<', '>', '&']), "raw markup in the embedded JSON");
    let data: serde_json::Value = serde_json::from_str(json).unwrap();
    let ids: Vec<Vec<&str>> = data["clusters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c[2].as_array().unwrap().iter().map(|m| m[0].as_str().unwrap()).collect())
        .collect();
    assert_eq!(ids, [&HOSTILE_IDS[..2], &HOSTILE_IDS[2..]]);
    assert!(data["texts"][HOSTILE_IDS[0]].as_str().unwrap().starts_with("<!--<script> woord0 "));
}

/// Item 14 in a real browser: the page with hostile ids and texts runs its
/// script to the end, lists both clusters, and runs none of the markup.
#[test]
fn html_report_in_chromium_with_hostile_texts_and_ids() {
    let Some(browser) = chromium() else { return };
    let dir = tempfile::tempdir().unwrap();
    let page = hostile_page(dir.path());
    let d = dom(&browser, &page, &dir.path().join("profile"));
    assert!(d.contains(r#"data-ready="1""#), "script did not finish: {d}");
    assert!(!d.contains("data-errors") && !d.contains("data-pwned"), "{d}");
    assert_eq!(d.matches(r#"class="cluster"#).count(), 2);
    assert!(d.contains("page 1 of 1 (2 clusters)"));
    // The ids are shown as text, escaped by the DOM serializer.
    assert!(d.contains("Cluster #0: 2 documents, kept: &lt;!--&lt;script&gt;"), "{d}");
    assert!(d.contains("&lt;/script&gt;&lt;script&gt;document.body.dataset.pwned = 1"));
}

/// `--top` and `--min-docs` choose the page's passages shared across
/// documents: the 7 costliest in at least 3 documents (worked out here from
/// the report), and the page says how many of all it left out. Without
/// them the page lists every shared passage.
#[test]
fn html_top_and_min_docs_choose_the_shared_passages() {
    let inputs = ["data/seeds", "data/labelled/help_nl.jsonl"];
    let r = crate::util::report(&["scan", inputs[0], inputs[1]]);
    let passages = r["passages"].as_array().unwrap();
    let cost = crate::util::passage_cost;
    let docs = |p: &serde_json::Value| p["documents"].as_u64().unwrap();
    let all = passages.iter().filter(|p| docs(p) >= 2).count();
    let mut three: Vec<&serde_json::Value> = passages.iter().filter(|p| docs(p) >= 3).collect();
    three.sort_by_key(|p| std::cmp::Reverse(cost(p)));
    assert!(three.len() > 7 && all > three.len(), "{} {all}", three.len());
    let want: Vec<u64> = three[..7].iter().map(|p| p["id"].as_u64().unwrap()).collect();

    let dir = tempfile::tempdir().unwrap();
    let page = |extra: &[&str]| -> String {
        let path = dir.path().join("page.html");
        neardup()
            .args(["scan", inputs[0], inputs[1], "-q", "--html"])
            .arg(&path)
            .args(extra)
            .assert()
            .success();
        std::fs::read_to_string(&path).unwrap()
    };
    // The page's list of shared passages (indices into its passages, which
    // are the report's in order).
    let shared = |html: &str| -> Vec<u64> {
        let at = html.find(r#""shared":["#).unwrap() + r#""shared":["#.len();
        let list = &html[at..at + html[at..].find(']').unwrap()];
        list.split(',').filter(|x| !x.is_empty()).map(|x| x.parse().unwrap()).collect()
    };
    let html = page(&["--top", "7", "--min-docs", "3"]);
    assert_eq!(shared(&html), want);
    assert!(html.contains(&format!(
        "7 of the {all} passages found in two or more documents: in at least 3 documents, the top 7 (--top); {} left out, all in the report.",
        all - 7
    )));
    let html = page(&[]);
    assert_eq!(shared(&html).len(), all);
    assert!(html.contains(&format!("All {all} passages found in two or more documents.")));
}

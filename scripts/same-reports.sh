#!/usr/bin/env bash
# Runs every subcommand and method of a neardup binary on the bundled data/
# and on a generated collection, and prints one sha256 per output (reports
# without timing). Run it with two builds and diff the lists: a refactor
# that changes no behaviour prints the same list.
#
#   scripts/same-reports.sh BINARY OUT_DIR [SYNTH_MB]
#
# SYNTH_MB (default 100) is the size of the generated collection; 0 skips it.
set -euo pipefail
bin=$(realpath "$1"); out=$2; mb=${3:-100}
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out"; out=$(realpath "$out")
cd "$root"
run() { # name, then the arguments
  local name=$1; shift
  "$bin" "$@" >"$out/$name.stdout" 2>"$out/$name.stderr" || echo "exit $?" >>"$out/$name.stdout"
}
collections=("data:data/seeds data/labelled/help_nl.jsonl data/labelled/licenses.jsonl data/normalization.jsonl data/regressions")
if [ "$mb" != 0 ]; then
  synth="$out/synth-$mb.jsonl"
  if [ ! -s "$synth" ]; then
    "$bin" synth --from data/seeds data/labelled/help_nl.jsonl --bytes "${mb}M" \
      -o "$synth" --labels "$out/synth-$mb.labels.jsonl" >/dev/null
  fi
  collections+=("synth:$synth")
fi
for c in "${collections[@]}"; do
  name=${c%%:*}; read -r -a inputs <<<"${c#*:}"
  t=(--no-timing --quiet)
  run "$name-scan" scan "${inputs[@]}" "${t[@]}" -o "$out/$name-scan.json"
  run "$name-scan-jsonl" scan "${inputs[@]}" "${t[@]}" --format jsonl -o "$out/$name-scan.jsonl"
  run "$name-scan-summary" scan "${inputs[@]}" --no-timing
  run "$name-stats" stats "${inputs[@]}" --no-timing
  run "$name-simhash" scan "${inputs[@]}" "${t[@]}" --method simhash -o "$out/$name-simhash.json"
  run "$name-simhash-tfidf" scan "${inputs[@]}" "${t[@]}" --method simhash --weighting tfidf -o "$out/$name-simhash-tfidf.json"
  run "$name-both" scan "${inputs[@]}" "${t[@]}" --method both -o "$out/$name-both.json"
  run "$name-estimate" scan "${inputs[@]}" "${t[@]}" --verify estimate --no-passages -o "$out/$name-estimate.json"
  run "$name-chars" scan "${inputs[@]}" "${t[@]}" --char-ngram 7 --minhash classic --keep longest --no-passages -o "$out/$name-chars.json"
  run "$name-passages" passages "${inputs[@]}" "${t[@]}" -o "$out/$name-passages.json"
  run "$name-dedup" dedup "${inputs[@]}" "${t[@]}" -o "$out/$name-dedup.jsonl"
  run "$name-dedup-strip" dedup "${inputs[@]}" "${t[@]}" --strip-repeats -o "$out/$name-dedup-strip.jsonl" --report "$out/$name-dedup-strip.report.json"
  if [ "$name" = data ]; then
    run "$name-html" scan "${inputs[@]}" "${t[@]}" --html "$out/$name.html" -o "$out/$name-html.json"
    run "$name-stdin" scan - "${t[@]}" -o "$out/$name-stdin.json" <data/labelled/help_nl.jsonl
    run "$name-stdin-dedup" dedup - "${t[@]}" --strip-repeats -o "$out/$name-stdin-dedup.jsonl" <data/labelled/help_nl.jsonl
    run "$name-truth" scan data/labelled/help_nl.jsonl "${t[@]}" --truth data/labelled/help_nl.labels.jsonl -o "$out/$name-truth.json"
    run "$name-eval" eval --truth data/labelled/help_nl.labels.jsonl "$out/$name-truth.json"
    run "$name-synth" synth --from data/seeds --bytes 2M --seed 7 -o "$out/$name-synth.jsonl" --labels "$out/$name-synth.labels.jsonl"
  fi
done
cd "$out"
# Messages name the output folder: the same run elsewhere prints the same.
sed -i "s|$out|OUT|g" ./*.stdout ./*.stderr
# Everything but the generated collection itself.
sha256sum $(ls | grep -v "^synth-$mb\.\(labels\.\)\?jsonl\$" | sort)

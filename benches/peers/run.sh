#!/usr/bin/env bash
# Compares neardup with datasketch, rensa, gaoya and text-dedup on the same
# input, shingling (5-word shingles of NFKC-lowercased alphanumeric words),
# Jaccard threshold (0.8) and signature length (128). See README.md.
#
# Usage: benches/peers/run.sh [--reps N] [--tools "neardup datasketch ..."] INPUT.jsonl [LABELS.jsonl]
#
# Environment:
#   NEARDUP_PEERS_VENV  virtual environment to create or reuse (default target/peers-venv)
#   NEARDUP_PEERS_OUT   where runs, clusters and logs go (default target/peers-out)
#   NEARDUP             neardup binary (default target/release/neardup; built if missing)
#   PYTHON              interpreter that creates the venv (default python3)
set -euo pipefail

usage() {
    sed -n '6p' "$0" | sed 's/^# //' >&2
    exit 2
}

REPS=3
TOOLS="neardup datasketch rensa gaoya text-dedup"
ARGS=()
while [ $# -gt 0 ]; do
    case "$1" in
        --reps) [ $# -ge 2 ] || usage; REPS="$2"; shift 2 ;;
        --reps=*) REPS="${1#*=}"; shift ;;
        --tools) [ $# -ge 2 ] || usage; TOOLS="$2"; shift 2 ;;
        --tools=*) TOOLS="${1#*=}"; shift ;;
        -h|--help) usage ;;
        -*) echo "unknown option $1" >&2; usage ;;
        *) ARGS+=("$1"); shift ;;
    esac
done
[ ${#ARGS[@]} -ge 1 ] && [ ${#ARGS[@]} -le 2 ] || usage
[[ "$REPS" =~ ^[1-9][0-9]*$ ]] || { echo "--reps must be a positive integer" >&2; exit 2; }
INPUT="$(realpath "${ARGS[0]}")"
LABELS="-"
[ ${#ARGS[@]} -eq 2 ] && LABELS="$(realpath "${ARGS[1]}")"
[ -f "$INPUT" ] || { echo "no such input: $INPUT" >&2; exit 2; }
[ "$LABELS" = "-" ] || [ -f "$LABELS" ] || { echo "no such labels file: $LABELS" >&2; exit 2; }

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
cd "$ROOT"
VENV="${NEARDUP_PEERS_VENV:-target/peers-venv}"
OUT="${NEARDUP_PEERS_OUT:-target/peers-out}"
NEARDUP="${NEARDUP:-target/release/neardup}"
PYTHON="${PYTHON:-python3}"

[ -x /usr/bin/time ] || { echo "/usr/bin/time is needed (Debian: apt-get install time)" >&2; exit 1; }

# --- Python tools, pinned ------------------------------------------------
# tool name -> "distribution==version importable-module"
declare -A PIN=(
    [datasketch]="datasketch==2.0.0 datasketch"
    [rensa]="rensa==0.5.0 rensa"
    [gaoya]="gaoya==0.2.2 gaoya"
    [text-dedup]="text-dedup==0.4.0 text_dedup.minhash"
)
declare -A NOTRUN=()
if [ ! -x "$VENV/bin/python" ]; then
    echo "creating virtual environment $VENV" >&2
    "$PYTHON" -m venv "$VENV"
    "$VENV/bin/python" -m pip install -q --upgrade pip >&2 || true
fi
PY="$VENV/bin/python"
mkdir -p "$OUT"
for tool in $TOOLS; do
    [ "$tool" = neardup ] && continue
    [ -n "${PIN[$tool]:-}" ] || { echo "unknown tool $tool" >&2; exit 2; }
    read -r spec module <<<"${PIN[$tool]}"
    dist="${spec%%==*}"
    want="${spec##*==}"
    have="$("$PY" -c "import importlib.metadata as m; print(m.version('$dist'))" 2>/dev/null || true)"
    if [ "$have" != "$want" ]; then
        echo "installing $spec into $VENV" >&2
        if ! "$PY" -m pip install -q "$spec" >"$OUT/pip-$tool.log" 2>&1; then
            why="$(grep -E 'ERROR|error:' "$OUT/pip-$tool.log" | head -1 | cut -c1-160)"
            echo "cannot install $spec: ${why:-see $OUT/pip-$tool.log}; going on without it" >&2
            NOTRUN[$tool]="not run: pip install $spec failed (${why:-see pip-$tool.log})"
            continue
        fi
    fi
    if ! err="$("$PY" -c "import $module" 2>&1)"; then
        why="$(printf '%s\n' "$err" | tail -1 | cut -c1-160)"
        echo "cannot import $module: $why; going on without $tool" >&2
        NOTRUN[$tool]="not run: import $module failed ($why)"
    fi
done

# --- neardup -------------------------------------------------------------
if [[ " $TOOLS " == *" neardup "* ]] && [ ! -x "$NEARDUP" ]; then
    echo "building neardup (cargo build --release)" >&2
    cargo build --release
fi

# --- runs ----------------------------------------------------------------
cat "$INPUT" >/dev/null # page cache warm for everyone
echo "input $INPUT ($(du -h "$INPUT" | cut -f1)), $REPS repetition(s), results in $OUT" >&2
for tool in $TOOLS; do
    rm -f "$OUT/$tool".{status,times,clusters,log}
    if [ -n "${NOTRUN[$tool]:-}" ]; then
        echo "${NOTRUN[$tool]}" >"$OUT/$tool.status"
        continue
    fi
    if [ "$tool" = neardup ]; then
        # Near-duplicate documents only, as the peers do: no passage search,
        # and clusters as connected components (the peers use union-find;
        # neardup's default, leader clustering, never chains past the
        # threshold and so gives other clusters).
        cmd=("$NEARDUP" scan "$INPUT" --no-passages --cluster components --no-timing -q -o "$OUT/$tool.clusters")
    else
        cmd=("$PY" "$HERE/peer.py" "$tool" "$INPUT" "$OUT/$tool.clusters")
    fi
    status=ok
    for rep in $(seq 1 "$REPS"); do
        if /usr/bin/time -f '%e %M %U %S' -o "$OUT/$tool.time" "${cmd[@]}" >"$OUT/$tool.log" 2>&1; then
            tail -1 "$OUT/$tool.time" >>"$OUT/$tool.times"
            echo "  $tool rep $rep: $(tail -1 "$OUT/$tool.time" | awk '{printf "%s s, %.0f MiB", $1, $2/1024}')" >&2
        else
            why="$(grep -v '^Command exited' "$OUT/$tool.log" | grep -v '^\s*$' | tail -1 | cut -c1-160)"
            echo "  $tool failed: $why (log: $OUT/$tool.log)" >&2
            status="not run: failed ($why)"
            break
        fi
    done
    rm -f "$OUT/$tool.time"
    echo "$status" >"$OUT/$tool.status"
done

if [ "$LABELS" != "-" ] && [ "$(cat "$OUT/neardup.status" 2>/dev/null)" = ok ]; then
    "$NEARDUP" eval --truth "$LABELS" "$OUT/neardup.clusters" >"$OUT/neardup.eval"
fi

echo
echo "$(date -u +%Y-%m-%d), $(nproc) cores, load average before the table $(cut -d' ' -f1-3 /proc/loadavg), $REPS repetition(s); shingles: 5 words, threshold 0.8, 128 values"
# shellcheck disable=SC2086
"$PY" "$HERE/table.py" "$INPUT" "$LABELS" "$OUT" $TOOLS

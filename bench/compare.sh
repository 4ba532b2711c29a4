#!/usr/bin/env bash
# Speed of one model: densitylab (Java/DJL, `./densitylab bench --model MODEL`) against its PyTorch reference
# bench/pytorch/MODEL.py, the same model, data, batch size, seed and thread count. Runs them in a balanced order,
# ROUNDS rounds of a pair each, alternating which side goes first (J P, P J, J P, ...: with the default 3 rounds
# J P P J J P), so that a drift of the machine's speed over the comparison hits both sides alike. Collects the JSON
# lines in bench/results/MODEL-compare-<date>.jsonl (stderr of each run in the .log beside it; the lines in run
# order, two per round) and prints a table with the medians of each side, the Java/PyTorch ratios of the medians,
# and the ratio within each round's pair (adjacent runs) with their spread (min-max).
#
#   bench/compare.sh MODEL [SECONDS]     MODEL: glow or vae (any MODEL with a bench/pytorch/MODEL.py taking
#                                        glow.py's flags); SECONDS: training seconds per run (default 120)
#
# Environment:
#   ROUNDS         pairs of runs (default 3, at least 3 are advised: J P P J J P)
#   BENCH_SECONDS  training seconds (default 120; the second argument wins)
#   THREADS        threads of both (default 2); BATCH (default 64)
#   SCORE_IMAGES   test images scored per pass (ddpm: default 500, its bound takes 16 passes an image; glow: default
#                  10000, the whole test split: scoring 2000 takes a
#                  quarter of a second and its ratio varies by 5-10% between runs; others: default 2000)
#   SCORE_PASSES   timed scoring passes of each run, the median pass counts (default 3)
#   PRESET         model preset, passed as --param preset=P to densitylab and --preset P to MODEL.py (default:
#                  small; vae: none, as densitylab's VAE has no presets); PRESET= (empty): neither side gets one
#   SEED           (default 0)
#   LR             learning rate of both sides (default: each side's default for the model)
#   MALLOC         reuse (default): both sides run with the launcher's glibc settings (two arenas, no mmap, no
#                  trimming; see ./densitylab); default: both keep glibc's defaults
#   PY_ARGS        extra arguments of MODEL.py; glow.py: e.g. --streams 2 (densitylab's default of two gradient
#                  workers at 2 threads), --layout standard (PyTorch's default memory order everywhere; the default
#                  is densitylab's, nets-channels-last), --conv1x1 conv, --no-foreach, --no-fused-clip
#   JAVA_ARGS      extra arguments of `densitylab bench`, e.g. --workers 1 or --param KEY=VALUE
#   PYTHON         interpreter with torch (default: Debian's /usr/bin/python3 with python3-torch 1.13,
#                  installed by `apt-get install python3-torch`)
# Run it on an otherwise idle machine: both sides use THREADS cores.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"

usage() {
  echo "usage: bench/compare.sh MODEL [SECONDS]   (MODEL: $(cd "$here/pytorch" && ls *.py | sed 's/\.py$//' | tr '\n' ' '))" >&2
  exit 2
}
[ $# -ge 1 ] || usage
model="$1"
case "$model" in -h|--help) usage ;; esac
[ -f "$here/pytorch/$model.py" ] || { echo "compare: no PyTorch reference bench/pytorch/$model.py" >&2; usage; }

secs="${2:-${BENCH_SECONDS:-120}}"
rounds="${ROUNDS:-3}"
threads="${THREADS:-2}"
batch="${BATCH:-64}"
case "$model" in
  glow) default_score_images=10000 default_preset=small ;;
  vae) default_score_images=2000 default_preset= ;;
  ddpm) default_score_images=500 default_preset=small ;;
  *) default_score_images=2000 default_preset=small ;;
esac
score_images="${SCORE_IMAGES:-$default_score_images}"
score_passes="${SCORE_PASSES:-3}"
preset="${PRESET-$default_preset}"
seed="${SEED:-0}"
lr="${LR:-}"
malloc="${MALLOC:-reuse}"
if ! [ "$rounds" -ge 1 ] 2>/dev/null; then
  echo "compare: ROUNDS must be a positive integer, got '$rounds'" >&2
  exit 2
fi
if [ "$rounds" -lt 3 ]; then
  echo "compare: warning: ROUNDS=$rounds; at least 3 rounds give a balanced order and a spread worth reading" >&2
fi
if [ "$malloc" = reuse ]; then
  export MALLOC_ARENA_MAX=2 MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=68719476736 MALLOC_TOP_PAD_=134217728
else
  export DENSITYLAB_MALLOC=default
fi
cd "$root"

py="${PYTHON:-/usr/bin/python3}"
"$py" -c 'import torch' 2>/dev/null || {
  echo "compare: $py cannot import torch; install Debian's: apt-get install python3-torch (or set PYTHON)" >&2
  exit 1
}

stamp="$(date +%Y%m%d-%H%M%S)"
mkdir -p "$here/results"
out="$here/results/$model-compare-$stamp.jsonl"
log="$here/results/$model-compare-$stamp.log"
: >"$out"
: >"$log"

load="$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo 0)"
if awk -v l="$load" 'BEGIN { exit !(l > 0.5) }'; then
  echo "compare: warning: load average $load; the machine is not idle, timings will be off" >&2
fi

# Build the Java side first (the launcher builds when sources changed), so no run includes a build.
./densitylab --help >/dev/null 2>>"$log"

java_extra=()
py_extra=()
if [ -n "$preset" ]; then
  java_extra+=(--param "preset=$preset")
  py_extra+=(--preset "$preset")
fi
if [ -n "$lr" ]; then
  java_extra+=(--lr "$lr")
  py_extra+=(--lr "$lr")
fi

run_java() {
  # shellcheck disable=SC2086  # JAVA_ARGS is a list of words
  DENSITYLAB_THREADS="$threads" ./densitylab bench --model "$model" --seconds "$secs" --score-images "$score_images" \
    --score-passes "$score_passes" --batch-size "$batch" --seed "$seed" ${java_extra[@]+"${java_extra[@]}"} ${JAVA_ARGS:-}
}
run_pytorch() {
  # shellcheck disable=SC2086  # PY_ARGS is a list of words
  OMP_NUM_THREADS="$threads" MKL_NUM_THREADS="$threads" "$py" "$here/pytorch/$model.py" --seconds "$secs" \
    --score-images "$score_images" --score-passes "$score_passes" --batch-size "$batch" --threads "$threads" \
    --seed "$seed" ${py_extra[@]+"${py_extra[@]}"} ${PY_ARGS:-}
}

echo "$model${preset:+ $preset}: ${secs}s training + $score_passes passes over $score_images scored images per run, $threads threads, batch $batch, malloc $malloc, $rounds rounds${lr:+, lr $lr}${JAVA_ARGS:+, densitylab $JAVA_ARGS}${PY_ARGS:+, $model.py $PY_ARGS}" >&2
echo "results: $out" >&2
run=0
for round in $(seq 1 "$rounds"); do
  if [ $((round % 2)) -eq 1 ]; then order="java pytorch"; else order="pytorch java"; fi
  for impl in $order; do
    run=$((run + 1))
    echo "== round $round, run $run: $impl" >&2
    echo "== round $round, run $run: $impl ($(date -Is))" >>"$log"
    if ! stdout="$("run_$impl" 2>>"$log")"; then
      echo "compare: the $impl run failed; see $log" >&2
      exit 1
    fi
    line="$(printf '%s\n' "$stdout" | grep '^{' | tail -n 1 || true)"
    if [ -z "$line" ]; then
      echo "compare: the $impl run printed no JSON line; see $log" >&2
      printf '%s\n' "$stdout" >>"$log"
      exit 1
    fi
    printf '%s\n' "$line" >>"$out"
    printf '%s\n' "$line" >&2
  done
done

/usr/bin/python3 - "$out" <<'EOF'
import json, statistics, sys

rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
by = {}
for r in rows:
    by.setdefault(r["impl"], []).append(r)
# The lines are in run order, two per round: each round's pair is its Java run and its PyTorch run.
pairs = []
for i in range(0, len(rows) - 1, 2):
    a, b = rows[i], rows[i + 1]
    if {a["impl"], b["impl"]} == {"densitylab", "pytorch"}:
        pairs.append((a, b) if a["impl"] == "densitylab" else (b, a))


def num(r, key):
    v = r.get(key)
    return v if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def values(impl, key):
    return [v for v in (num(r, key) for r in by.get(impl, [])) if v is not None]


def med(impl, key):
    v = values(impl, key)
    return statistics.median(v) if v else None


def count(impl):
    for r in by.get(impl, []):
        for k in ("param_count", "params"):
            if isinstance(r.get(k), int) and not isinstance(r.get(k), bool):
                return r[k]
    return None


def fmt(v, digits):
    return "-" if v is None else f"{v:.{digits}f}"


keys = [("train_images_per_s", "train img/s", 1), ("score_images_per_s", "score img/s", 1), ("steps", "steps", 0),
        ("final_train_bpd", "final train bpd", 4), ("test_bpd", "test bpd", 4),
        ("test_mean_discriminator_score", "test D score", 4)]
keys = [k for k in keys if values("densitylab", k[0]) or values("pytorch", k[0])]
print()
print(f"{'impl':<12}{'runs':>5}{'params':>10}" + "".join(f"{h:>18}" for _, h, _ in keys))
for impl in ("densitylab", "pytorch"):
    c = count(impl)
    print(f"{impl:<12}{len(by.get(impl, [])):>5}{('-' if c is None else c):>10}"
          + "".join(f"{fmt(med(impl, k), d):>18}" for k, _, d in keys))
print("(medians of the runs)")


def ratio_line(label, jkey, pkey):
    j, p = med("densitylab", jkey), med("pytorch", pkey)
    if not j or not p:
        return
    r = [num(a, jkey) / num(b, pkey) for a, b in pairs if num(a, jkey) and num(b, pkey)]
    spread = ""
    if r:
        spread = (f"; per round {' '.join(f'{v:.3f}' for v in r)} (min {min(r):.3f}, max {max(r):.3f}, "
                  f"spread {max(r) - min(r):.3f})")
    print(f"Java/PyTorch {label}: {j / p:.3f} (medians){spread}")


for k, h, _ in keys[:2]:
    ratio_line(h, k, k)
# The Java trainer counts every step; the PyTorch figure above leaves out its first 5.
ratio_line("train img/s, PyTorch counting every step too", "train_images_per_s", "train_images_per_s_all")
configs = {json.dumps({k: r.get(k) for k in ("config", "layout", "conv1x1", "foreach", "fused_clip", "streams")
                       if k in r}, sort_keys=True) for r in by.get("pytorch", [])}
if len(configs) == 1 and configs != {"{}"}:
    c = json.loads(configs.pop())
    shown = {k: v for k, v in c.items() if k != "config"} or c.get("config")
    print(f"PyTorch options: {json.dumps(shown)}")
cj, cp = count("densitylab"), count("pytorch")
if cj is not None and cp is not None and cj != cp:
    print(f"warning: parameter counts differ: densitylab {cj}, pytorch {cp}")
EOF

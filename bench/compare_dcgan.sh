#!/usr/bin/env bash
# DCGAN speed: densitylab (Java/DJL) against the PyTorch reference bench/pytorch/dcgan.py, the same model (same
# parameter shapes, same initial weights for the seed), data, batch size, training recipe (one discriminator and
# one generator Adam step per batch, lr 2e-4, beta1 0.5, 200 warm-up steps, clipping at 50) and thread count.
# Runs them alternately in a balanced order (Java, PyTorch, PyTorch, Java), collects their JSON lines in
# bench/results/dcgan-compare-<date>.jsonl (stderr of each run in the .log beside it) and prints a table with
# the medians and the Java/PyTorch ratios of images/s. A training image/s counts one batch image through both
# steps; a scored image/s counts one -log D(x) of the discriminator.
#
#   bench/compare_dcgan.sh [SECONDS]    training seconds per run (default 120)
#
# Environment:
#   BENCH_SECONDS  training seconds (default 120; the first argument wins)
#   THREADS        threads of both (default 2); BATCH (default 64)
#   LR             learning rate of both players on both sides (default 2e-4, DCGAN's and the model's default
#                  in `densitylab bench`; passed to both explicitly)
#   SCORE_IMAGES   test images scored per pass (default 2000); SCORE_PASSES timed scoring passes of each run,
#                  the median pass counts (default 3)
#   PRESET         dcgan preset, tiny, small or medium (default small); SEED (default 0)
#   MALLOC         reuse (default): both sides run with the launcher's glibc settings (two arenas, no mmap, no
#                  trimming; see ./densitylab); default: both keep glibc's defaults
#   PY_ARGS        extra arguments of dcgan.py, e.g. --memory-format standard, --d-batch separate (two D passes
#                  in the discriminator step), --keep-d-grads (compute D's weight gradients in the generator step
#                  and discard them, as densitylab does), --no-flush-denormal
#   PYTHON         interpreter with torch (default: Debian's /usr/bin/python3 with python3-torch 1.13,
#                  installed by `apt-get install python3-torch`)
# Run it on an otherwise idle machine: both sides use THREADS cores.
set -euo pipefail

secs="${1:-${BENCH_SECONDS:-120}}"
threads="${THREADS:-2}"
batch="${BATCH:-64}"
lr="${LR:-2e-4}"
score_images="${SCORE_IMAGES:-2000}"
score_passes="${SCORE_PASSES:-3}"
preset="${PRESET:-small}"
seed="${SEED:-0}"
malloc="${MALLOC:-reuse}"
if [ "$malloc" = reuse ]; then
  export MALLOC_ARENA_MAX=2 MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=68719476736 MALLOC_TOP_PAD_=134217728
else
  export DENSITYLAB_MALLOC=default
fi

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
cd "$root"

py="${PYTHON:-/usr/bin/python3}"
"$py" -c 'import torch' 2>/dev/null || {
  echo "compare_dcgan: $py cannot import torch; install Debian's: apt-get install python3-torch (or set PYTHON)" >&2
  exit 1
}

stamp="$(date +%Y%m%d-%H%M%S)"
mkdir -p "$here/results"
out="$here/results/dcgan-compare-$stamp.jsonl"
log="$here/results/dcgan-compare-$stamp.log"
: >"$out"
: >"$log"

load="$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo 0)"
if awk -v l="$load" 'BEGIN { exit !(l > 0.5) }'; then
  echo "compare_dcgan: warning: load average $load; the machine is not idle, timings will be off" >&2
fi

# Build the Java side first (the launcher builds when sources changed), so no run includes a build.
./densitylab --help >/dev/null 2>>"$log"

run_java() {
  DENSITYLAB_THREADS="$threads" ./densitylab bench --model dcgan --data fashion-mnist --seconds "$secs" \
    --score-images "$score_images" --score-passes "$score_passes" --batch-size "$batch" --lr "$lr" --seed "$seed" \
    --param "preset=$preset"
}
run_pytorch() {
  OMP_NUM_THREADS="$threads" MKL_NUM_THREADS="$threads" "$py" "$here/pytorch/dcgan.py" --seconds "$secs" \
    --score-images "$score_images" --score-passes "$score_passes" --batch-size "$batch" --lr "$lr" \
    --threads "$threads" --preset "$preset" --seed "$seed" ${PY_ARGS:-}
}

echo "dcgan $preset: ${secs}s training + $score_passes passes over $score_images scored images per run, $threads threads, batch $batch, lr $lr, malloc $malloc${PY_ARGS:+, dcgan.py $PY_ARGS}" >&2
echo "results: $out" >&2
run=0
for impl in java pytorch pytorch java; do
  run=$((run + 1))
  echo "== run $run: $impl" >&2
  echo "== run $run: $impl ($(date -Is))" >>"$log"
  if ! stdout="$("run_$impl" 2>>"$log")"; then
    echo "compare_dcgan: the $impl run failed; see $log" >&2
    exit 1
  fi
  line="$(printf '%s\n' "$stdout" | grep '^{' | tail -n 1 || true)"
  if [ -z "$line" ]; then
    echo "compare_dcgan: the $impl run printed no JSON line; see $log" >&2
    printf '%s\n' "$stdout" >>"$log"
    exit 1
  fi
  printf '%s\n' "$line" >>"$out"
  printf '%s\n' "$line" >&2
done

/usr/bin/python3 - "$out" <<'EOF'
import json, statistics, sys

rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
by = {}
for r in rows:
    by.setdefault(r["impl"], []).append(r)


def med(impl, key):
    v = [r[key] for r in by.get(impl, []) if isinstance(r.get(key), (int, float)) and not isinstance(r.get(key), bool)]
    return statistics.median(v) if v else None


def count(impl, key="param_count"):
    for r in by.get(impl, []):
        if isinstance(r.get(key), int) and not isinstance(r.get(key), bool):
            return r[key]
    return None


def fmt(v, digits):
    return "-" if v is None else f"{v:.{digits}f}"


# The loss and score columns show "-" for a side whose line lacks the key.
keys = [("train_images_per_s", "train img/s", 1), ("score_images_per_s", "score img/s", 1),
        ("steps", "steps", 0), ("final_discriminator_loss", "final D loss", 4),
        ("final_generator_loss", "final G loss", 4), ("test_mean_discriminator_score", "test -log D", 4)]
counts = [("param_count", "params"), ("generator_param_count", "G params"), ("discriminator_param_count", "D params")]
print()
print(f"{'impl':<12}{'runs':>5}" + "".join(f"{h:>10}" for _, h in counts) + "".join(f"{h:>14}" for _, h, _ in keys))
for impl in ("densitylab", "pytorch"):
    cs = [count(impl, k) for k, _ in counts]
    print(f"{impl:<12}{len(by.get(impl, [])):>5}" + "".join(f"{('-' if c is None else c):>10}" for c in cs)
          + "".join(f"{fmt(med(impl, k), d):>14}" for k, _, d in keys))
print("(medians of the runs)")
for k, h, _ in keys[:2]:
    j, p = med("densitylab", k), med("pytorch", k)
    ratio = "-" if not j or not p else f"{j / p:.3f}"
    print(f"Java/PyTorch {h}: {ratio}")
j, p = med("densitylab", "train_images_per_s"), med("pytorch", "train_images_per_s_all")
if j and p:  # the Java trainer counts every step; the PyTorch figure above leaves out its first 5
    print(f"Java/PyTorch train img/s, PyTorch counting every step too: {j / p:.3f}")
for k, h in counts:
    cj, cp = count("densitylab", k), count("pytorch", k)
    if cj is not None and cp is not None and cj != cp:
        print(f"warning: {h} differ: densitylab {cj}, pytorch {cp}")
EOF

#!/usr/bin/env bash
# Each strengthening of the PyTorch Glow reference (bench/pytorch/glow.py) measured on its own (issue #20): runs
# glow.py under a ladder of configurations, each adding one change to the one before, forward then backward
# (A B C D E E D C B A), so that every configuration runs twice in a balanced order, and prints the median
# training and scoring images/s of each with its ratio to the configuration before.
#
#   bench/ablate_pytorch_glow.sh [SECONDS]     training seconds per run (default 45)
#
# Environment: THREADS (default 2), BATCH (default 64), SCORE_IMAGES (default 5000), SCORE_PASSES (default 3),
# PRESET (default small), PYTHON (default /usr/bin/python3, Debian's python3-torch). Run it on an idle machine.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
secs="${1:-45}"
threads="${THREADS:-2}"
py="${PYTHON:-/usr/bin/python3}"
export MALLOC_ARENA_MAX=2 MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=68719476736 MALLOC_TOP_PAD_=134217728
names=(as-written matmul-1x1 foreach-adam+fused-clip nets-channels-last two-streams)
configs=(
  "--layout standard --conv1x1 conv --no-foreach --no-fused-clip --streams 1"
  "--layout standard --conv1x1 matmul --no-foreach --no-fused-clip --streams 1"
  "--layout standard --conv1x1 matmul --foreach --fused-clip --streams 1"
  "--layout nets-channels-last --conv1x1 matmul --foreach --fused-clip --streams 1"
  "--layout nets-channels-last --conv1x1 matmul --foreach --fused-clip --streams 2"
)
out="$here/results/glow-ablation-$(date +%Y%m%d-%H%M%S).jsonl"
mkdir -p "$here/results"
: >"$out"
order=()
for i in "${!configs[@]}"; do order+=("$i"); done
for ((i = ${#configs[@]} - 1; i >= 0; i--)); do order+=("$i"); done
for i in "${order[@]}"; do
  echo "== ${names[$i]}: ${configs[$i]}" >&2
  line="$(OMP_NUM_THREADS="$threads" MKL_NUM_THREADS="$threads" "$py" "$here/pytorch/glow.py" --seconds "$secs" \
    --score-images "${SCORE_IMAGES:-5000}" --score-passes "${SCORE_PASSES:-3}" --batch-size "${BATCH:-64}" \
    --threads "$threads" --preset "${PRESET:-small}" ${configs[$i]} 2>>"${out%.jsonl}.log" | grep '^{' | tail -n 1)"
  printf '{"config": "%s", "run": %s}\n' "${names[$i]}" "$line" >>"$out"
  echo "$line" | "$py" -c 'import json,sys; r=json.load(sys.stdin); print("   train %.1f img/s, score %.1f img/s" % (r["train_images_per_s"], r["score_images_per_s"]))' >&2
done
"$py" - "$out" "${names[@]}" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
prev = None
print(f"{'configuration':<26}{'train img/s':>12}{'x prev':>8}{'score img/s':>13}{'x prev':>8}   (medians of 2 runs; each adds one change)")
for name in sys.argv[2:]:
    runs = [r["run"] for r in rows if r["config"] == name]
    t = statistics.median(r["train_images_per_s"] for r in runs)
    s = statistics.median(r["score_images_per_s"] for r in runs)
    print(f"{name:<26}{t:>12.1f}{'' if prev is None else f'{t / prev[0]:.3f}':>8}{s:>13.1f}{'' if prev is None else f'{s / prev[1]:.3f}':>8}")
    prev = (t, s)
print("results:", sys.argv[1])
PY

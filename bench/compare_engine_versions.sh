#!/usr/bin/env bash
# Which engine should densitylab ship? Runs `densitylab bench` for glow, vae, dcgan, pixelcnnpp and ddpm on the
# project's engine (densitylab-cli/target/lib) and on another DJL / libtorch (the same densitylab jar, only the DJL
# jars swapped), in the order A B B A per model so that a linear drift of the machine's speed hits both alike, and
# prints training and scoring images/s and peak RSS per run. Both run with the launcher's environment; oneDNN's
# instruction set is capped per engine (BASE_ISA, OTHER_ISA: the caps under which each engine's convolutions are
# right on the machine). The other engine's jars come from Maven Central.
#
#   bench/compare_engine_versions.sh [SECONDS]      (training seconds per run, default 30)
#
# Environment: OTHER_DJL (default 0.36.0), OTHER_TORCH (2.7.1), BASE_ISA (AVX), OTHER_ISA (AVX), MODELS (all five).
set -euo pipefail
secs="${1:-30}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
cd "$root"
./densitylab --help >/dev/null   # builds densitylab-cli/target/densitylab.jar and its lib folder when needed
other_djl="${OTHER_DJL:-0.36.0}" other_torch="${OTHER_TORCH:-2.7.1}"
base_isa="${BASE_ISA:-AVX}" other_isa="${OTHER_ISA:-AVX}"
base_label="$(basename "$(ls densitylab-cli/target/lib/pytorch-jni-*.jar)" .jar | sed 's/pytorch-jni-\(.*\)-\(.*\)/DJL \2, libtorch \1/'), $base_isa"
other_label="DJL ${other_djl%.0}, libtorch $other_torch, $other_isa"
libo="$(mktemp -d)"
log="$(mktemp)"
trap 'rm -rf "$libo" "$log"' EXIT
. "$here/djl_jars.sh"
djl_lib_dir "$other_djl" "$other_torch" "$libo"
export OMP_NUM_THREADS=2 MALLOC_ARENA_MAX=2 MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=68719476736 MALLOC_TOP_PAD_=134217728 \
  TORCH_CPP_LOG_LEVEL=ERROR DENSITYLAB_CONVOLUTION_CHECK=off
run() {  # $1: label, $2: folder of dependency jars, $3: oneDNN cap, $4: model, then more bench arguments
  local label="$1" lib="$2" isa="$3" model="$4"; shift 4
  ONEDNN_MAX_CPU_ISA="$isa" /usr/bin/time -f "%M" -o "$log" java -Xmx1g -Dai.djl.offline=true -Dai.djl.pytorch.num_threads=2 \
    -Dai.djl.pytorch.num_interop_threads=1 -cp "densitylab-cli/target/densitylab.jar:$lib/*" densitylab.cli.Main bench \
    --model "$model" "$@" \
    --seconds "$secs" 2>/dev/null | grep '^{' | tail -n 1 | python3 -c "
import json, sys
d = json.load(sys.stdin)
print('%-11s %-34s train %7.1f  score %8.1f img/s  peak %5d MB' % (sys.argv[1], sys.argv[2], d['train_images_per_s'],
      d['score_images_per_s'], int(open(sys.argv[3]).read().split()[-1]) // 1024))" "$model" "$label" "$log" 2>/dev/null \
    || echo "$label: bench failed" >&2
}
declare -A spec=([glow]="--param preset=small --score-images 5000" [vae]="--score-images 200 --score-passes 1"
  [dcgan]="--param preset=small --score-images 5000" [pixelcnnpp]="--param preset=small --score-images 300"
  [ddpm]="--score-images 160 --score-passes 1")
for model in ${MODELS:-glow vae dcgan pixelcnnpp ddpm}; do
  for engine in base other other base; do
    if [ "$engine" = base ]; then
      run "$base_label" "$PWD/densitylab-cli/target/lib" "$base_isa" "$model" ${spec[$model]}
    else
      run "$other_label" "$libo" "$other_isa" "$model" ${spec[$model]}
    fi
  done
done

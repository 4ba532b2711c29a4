#!/usr/bin/env bash
# Which engine should densitylab ship? Runs `densitylab bench` for glow, vae, dcgan and pixelcnnpp on the project's
# DJL 0.32 / libtorch 2.5.1 and on DJL 0.36 / libtorch 2.7.1 (the same densitylab jar, only the DJL jars swapped), in
# the order A B B A per model so that a linear drift of the machine's speed hits both alike, and prints training and
# scoring images/s and peak RSS per run. Both run with the launcher's environment and oneDNN capped at
# ONEDNN_MAX_CPU_ISA (default AVX, the cap this project's CPU needs). The DJL 0.36 jars come from Maven Central.
#
#   bench/compare_engine_versions.sh [SECONDS]      (training seconds per run, default 30)
set -euo pipefail
secs="${1:-30}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
cd "$root"
./densitylab --help >/dev/null   # builds densitylab-cli/target/densitylab.jar and its lib folder when needed
lib36="$(mktemp -d)"
log="$(mktemp)"
trap 'rm -rf "$lib36" "$log"' EXIT
. "$here/djl_jars.sh"
djl_lib_dir 0.36.0 2.7.1 "$lib36"
export OMP_NUM_THREADS=2 MALLOC_ARENA_MAX=2 MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=68719476736 MALLOC_TOP_PAD_=134217728 \
  ONEDNN_MAX_CPU_ISA="${ONEDNN_MAX_CPU_ISA:-AVX}" TORCH_CPP_LOG_LEVEL=ERROR
run() {  # $1: label, $2: folder of dependency jars, $3: model, then more bench arguments
  local label="$1" lib="$2" model="$3"; shift 3
  /usr/bin/time -f "%M" -o "$log" java -Xmx1g -Dai.djl.offline=true -Dai.djl.pytorch.num_threads=2 \
    -Dai.djl.pytorch.num_interop_threads=1 -cp "densitylab-cli/target/densitylab.jar:$lib/*" densitylab.cli.Main bench \
    --model "$model" "$@" \
    --seconds "$secs" 2>/dev/null | grep '^{' | tail -n 1 | python3 -c "
import json, sys
d = json.load(sys.stdin)
print('%-11s %-26s train %7.1f  score %8.1f img/s  peak %5d MB' % (sys.argv[1], sys.argv[2], d['train_images_per_s'],
      d['score_images_per_s'], int(open(sys.argv[3]).read().split()[-1]) // 1024))" "$model" "$label" "$log" 2>/dev/null \
    || echo "$label: bench failed" >&2
}
for spec in "glow --param preset=small --score-images 5000" "vae --score-images 200 --score-passes 1" \
            "dcgan --param preset=small --score-images 5000" "pixelcnnpp --param preset=small --score-images 300"; do
  set -- $spec
  for engine in 0.32 0.36 0.36 0.32; do
    if [ "$engine" = 0.32 ]; then
      run "DJL 0.32, libtorch 2.5.1" "$PWD/densitylab-cli/target/lib" "$@"
    else
      run "DJL 0.36, libtorch 2.7.1" "$lib36" "$@"
    fi
  done
done

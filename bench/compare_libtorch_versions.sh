#!/usr/bin/env bash
# Which part of the Glow speed gap to PyTorch is the libtorch version? Runs `densitylab bench --model glow`
# on the project's DJL 0.32 / libtorch 2.5.1 and on DJL 0.21 / libtorch 1.13.1 (the libtorch of Debian's
# python3-torch, which bench/pytorch/glow.py runs on), alternately with glow.py, and prints their images/s.
# The DJL 0.21 jars come from Maven Central into ~/.m2 (about 200 MB); densitylab itself is not rebuilt for
# them, the same jar runs on both (an experiment, not a supported combination).
#
#   bench/compare_libtorch_versions.sh [SECONDS] [ROUNDS]     (defaults 45 and 2)
#
# Environment: THREADS (default 2), PY_ARGS (default --nets-channels-last, densitylab's memory layout), PYTHON
# (default /usr/bin/python3).
set -euo pipefail
secs="${1:-45}"
rounds="${2:-2}"
threads="${THREADS:-2}"
py="${PYTHON:-/usr/bin/python3}"
py_args="${PY_ARGS---nets-channels-last}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
cd "$root"
# libtorch's default ISA on purpose (its speed is the question): skip the check that refuses its wrong kernels
export DENSITYLAB_CONVOLUTION_CHECK=off
export MALLOC_ARENA_MAX=2 MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=68719476736 MALLOC_TOP_PAD_=134217728

./densitylab --help >/dev/null   # builds densitylab-cli/target/densitylab.jar and densitylab-cli/target/lib when needed
lib13="$(mktemp -d)"
trap 'rm -rf "$lib13"' EXIT
. "$here/djl_jars.sh"
djl_lib_dir 0.21.0 1.13.1 "$lib13"

java_bench() {  # $1: folder of dependency jars
  java -XX:MaxRAMPercentage=60 -Dai.djl.offline=true -Dai.djl.pytorch.num_threads="$threads" \
    -Dai.djl.pytorch.num_interop_threads=1 -cp "densitylab-cli/target/densitylab.jar:$1/*" densitylab.cli.Main \
    bench --model glow --seconds "$secs" --score-images 2000 2>/dev/null | grep '^{' | tail -n 1
}
pick() { grep -o "\"$1\": *[0-9.]*" | head -n 1 | sed 's/.*: *//'; }
printf '%-34s %12s %12s\n' "run" "train img/s" "score img/s"
for r in $(seq "$rounds"); do
  for impl in "djl 0.21, libtorch 1.13.1" "djl 0.32, libtorch 2.5.1" "pytorch 1.13 $py_args"; do
    case "$impl" in
      "djl 0.21"*) line="$(java_bench "$lib13")" ;;
      "djl 0.32"*) line="$(java_bench "$PWD/densitylab-cli/target/lib")" ;;
      *) line="$(OMP_NUM_THREADS="$threads" "$py" "$here/pytorch/glow.py" --seconds "$secs" --score-images 2000 \
                 --threads "$threads" $py_args 2>/dev/null | grep '^{' | tail -n 1)" ;;
    esac
    printf '%-34s %12.0f %12.0f\n' "$impl" "$(printf '%s' "$line" | pick train_images_per_s)" \
      "$(printf '%s' "$line" | pick score_images_per_s)"
  done
done

#!/usr/bin/env bash
# The fast detector's cost end to end: detector fit on the VAE's holdout, detect over MNIST's 10,000 test images.
set -euo pipefail
# run from the work folder of run_v2.sh (dl2/: the jar and lib/ of this revision)
export OMP_NUM_THREADS=2 MALLOC_ARENA_MAX=2 MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=68719476736 MALLOC_TOP_PAD_=134217728
export ONEDNN_MAX_CPU_ISA=AVX TORCH_CPP_LOG_LEVEL=ERROR
dl() { /usr/bin/time -v java -XX:MaxRAMPercentage=60 -Dai.djl.offline=true -Dai.djl.pytorch.num_threads=2 \
  -Dai.djl.pytorch.num_interop_threads=1 -cp "dl2/densitylab.jar:dl2/lib/*" densitylab.cli.Main "$@"; }
dl detector fit --run runs/vae --score combined --data fashion-mnist --out vae-combined3.zip > logs/v4-fit.log 2> logs/v4-fit.err
dl detect --detector vae-combined3.zip mnist:test --out detect3-mnist.csv > logs/v4-detect.log 2> logs/v4-detect.err || true
dl detect --detector vae-combined3.zip fashion-mnist:test+vflip --out detect3-vflip.csv > logs/v4-detect-vflip.log 2> logs/v4-detect-vflip.err || true

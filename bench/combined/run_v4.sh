#!/usr/bin/env bash
# Fourth evaluation: the VAE's statistics with its posterior means, up to 16 mixture components; then with the Glow's statistics; then held-out classes.
set -euo pipefail
# run from the work folder of run_v2.sh (dl2/: the jar and lib/ of this revision)
export OMP_NUM_THREADS=2 MALLOC_ARENA_MAX=2 MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=68719476736 MALLOC_TOP_PAD_=134217728
export ONEDNN_MAX_CPU_ISA=AVX TORCH_CPP_LOG_LEVEL=ERROR
dl() { /usr/bin/time -v java -XX:MaxRAMPercentage=60 -Dai.djl.offline=true -Dai.djl.pytorch.num_threads=2 \
  -Dai.djl.pytorch.num_interop_threads=1 -cp "dl2/densitylab.jar:dl2/lib/*" densitylab.cli.Main "$@"; }
OUTS="mnist noise gaussian-noise constant fashion-mnist+invert fashion-mnist+vflip fashion-mnist+hflip fashion-mnist+rot90 fashion-mnist+blur=1 fashion-mnist+contrast=0.5 fashion-mnist+pixel-shuffle fashion-mnist+patch-shuffle=4 fashion-mnist+patch-shuffle=2"
dl evaluate --run runs/vae --in fashion-mnist --out $OUTS --score combined --bootstrap 0 > logs/v4-eval-vae.log 2> logs/v4-eval-vae.err
cp runs/vae/results.json logs/v4-results-vae.json
dl evaluate --run runs/vae --with runs/glow --in fashion-mnist --out $OUTS --score combined --bootstrap 0 > logs/v4-eval-vae-glow.log 2> logs/v4-eval-vae-glow.err
cp runs/vae/results.json logs/v4-results-vae-glow.json
./run_classes.sh 0 8 > logs/cls.out 2>&1

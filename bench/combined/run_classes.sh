#!/usr/bin/env bash
# Semantic novelty: a 10-minute VAE trained on FashionMNIST without one class (holdout 5000), scored on that class's test images.
set -euo pipefail
# run from the work folder of run_v2.sh (dl2/: the jar and lib/ of this revision)
export OMP_NUM_THREADS=2 MALLOC_ARENA_MAX=2 MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=68719476736 MALLOC_TOP_PAD_=134217728
export ONEDNN_MAX_CPU_ISA=AVX TORCH_CPP_LOG_LEVEL=ERROR
dl() { /usr/bin/time -v java -XX:MaxRAMPercentage=60 -Dai.djl.offline=true -Dai.djl.pytorch.num_threads=2 \
  -Dai.djl.pytorch.num_interop_threads=1 -cp "dl2/densitylab.jar:dl2/lib/*" densitylab.cli.Main "$@"; }
for K in "$@"; do
  dl train --model vae --data fashion-mnist+without-class=$K --run runs/vae-no$K --minutes 10 --holdout 5000 --eval-limit 500 > logs/cls-train-$K.log 2> logs/cls-train-$K.err
  dl evaluate --run runs/vae-no$K --in fashion-mnist+without-class=$K --out fashion-mnist+class=$K mnist fashion-mnist+vflip fashion-mnist+rot90 \
     --score combined,elbo,reconstruction --bootstrap 0 > logs/cls-eval-$K.log 2> logs/cls-eval-$K.err
  cp runs/vae-no$K/results.json logs/cls-results-$K.json
done

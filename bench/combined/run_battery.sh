#!/usr/bin/env bash
# The combined-detector experiment (issue 31): FashionMNIST in, Glow + background + VAE with a holdout, evaluated
# against the battery. Runs the jar copied into /work/exp/dl so that source edits do not rebuild it mid-run.
set -euo pipefail
# run from a work folder holding dl/ (a copy of densitylab-cli/target/densitylab.jar and lib/, so that source edits do not
# rebuild it mid-run) and logs/: mkdir -p W/logs W/dl && cp -r densitylab-cli/target/{densitylab.jar,lib} W/dl && cd W
export OMP_NUM_THREADS=2 MALLOC_ARENA_MAX=2 MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=68719476736 MALLOC_TOP_PAD_=134217728
export ONEDNN_MAX_CPU_ISA=AVX TORCH_CPP_LOG_LEVEL=ERROR
dl() { /usr/bin/time -v java -XX:MaxRAMPercentage=60 -Dai.djl.offline=true -Dai.djl.pytorch.num_threads=2 \
  -Dai.djl.pytorch.num_interop_threads=1 -cp "dl/densitylab.jar:dl/lib/*" densitylab.cli.Main "$@"; }
OUTS="mnist noise gaussian-noise constant fashion-mnist+invert fashion-mnist+vflip fashion-mnist+hflip fashion-mnist+rot90 fashion-mnist+blur=1 fashion-mnist+contrast=0.5 fashion-mnist+pixel-shuffle fashion-mnist+patch-shuffle=4 fashion-mnist+patch-shuffle=2"
step="${1:-all}"
if [ "$step" = all ] || [ "$step" = train ]; then
  dl train --model glow --data fashion-mnist --run runs/glow --minutes-each 10 --background 0.2 --background-minutes 5 \
     --warmup 200 --clip 50 --holdout 5000 --eval-limit 2000 > logs/train-glow.log 2> logs/train-glow.err
  dl train --model vae --data fashion-mnist --run runs/vae --minutes 10 --holdout 5000 --eval-limit 500 \
     > logs/train-vae.log 2> logs/train-vae.err
fi
if [ "$step" = all ] || [ "$step" = eval ]; then
  dl evaluate --run runs/glow --in fashion-mnist --out $OUTS --score likelihood,typicality,input-complexity,input-complexity-png-best,input-complexity-bzip2,likelihood-ratio,combined \
     --bootstrap 0 > logs/eval-glow.log 2> logs/eval-glow.err
  cp runs/glow/results.json logs/results-glow.json
fi
if [ "$step" = all ] || [ "$step" = eval ] || [ "$step" = evalvae ]; then
  dl evaluate --run runs/vae --in fashion-mnist --out $OUTS --score rate,distortion,reconstruction,elbo,combined \
     --bootstrap 0 > logs/eval-vae.log 2> logs/eval-vae.err
  cp runs/vae/results.json logs/results-vae.json
  dl evaluate --run runs/glow --with runs/vae --in fashion-mnist --out $OUTS --score combined \
     --bootstrap 0 > logs/eval-glow-vae.log 2> logs/eval-glow-vae.err
  cp runs/glow/results.json logs/results-glow-vae.json
fi

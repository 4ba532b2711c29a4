#!/usr/bin/env bash
# Semantic novelty: a 10-minute VAE trained on FashionMNIST without one class (holdout 5000), scored on that class's test images.
set -euo pipefail
# run from the work folder of run_v2.sh, holding dl2/ and logs/
source "$(dirname "$0")/env.sh"
for K in "$@"; do
  dl train --model vae --data fashion-mnist+without-class=$K --run runs/vae-no$K --minutes 10 --holdout 5000 --eval-limit 500 > logs/cls-train-$K.log 2> logs/cls-train-$K.err
  dl evaluate --run runs/vae-no$K --in fashion-mnist+without-class=$K --out fashion-mnist+class=$K mnist fashion-mnist+vflip fashion-mnist+rot90 \
     --score combined,elbo,reconstruction --bootstrap 0 > logs/cls-eval-$K.log 2> logs/cls-eval-$K.err
  cp runs/vae-no$K/results.json logs/cls-results-$K.json
done

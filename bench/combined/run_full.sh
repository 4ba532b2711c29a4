#!/usr/bin/env bash
# The full combination (with the encoder variant of likelihood regret, ~60 ms an image): 1,000 images a set, fitted on 2,000 held-out images.
set -euo pipefail
# run from the work folder of run_v2.sh, holding dl2/ and logs/
source "$(dirname "$0")/env.sh"
dl evaluate --run runs/vae --in fashion-mnist --out $OUTS --score combined-full --limit 1000 --fit-limit 2000 --bootstrap 0 > logs/full-eval-vae.log 2> logs/full-eval-vae.err
cp runs/vae/results.json logs/full-results-vae.json

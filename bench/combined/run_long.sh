#!/usr/bin/env bash
# The whole training budget on one VAE: 25 minutes (the issue allows 30 CPU-minutes in all), holdout 5000, the battery.
set -euo pipefail
# run from the work folder of run_v2.sh, holding dl2/ and logs/
source "$(dirname "$0")/env.sh"
dl train --model vae --data fashion-mnist --run runs/vae25 --minutes 25 --holdout 5000 --eval-limit 500 > logs/long-train.log 2> logs/long-train.err
dl evaluate --run runs/vae25 --in fashion-mnist --out $OUTS --score combined --bootstrap 0 > logs/long-eval.log 2> logs/long-eval.err
cp runs/vae25/results.json logs/long-results.json

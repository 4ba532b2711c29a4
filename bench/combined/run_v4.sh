#!/usr/bin/env bash
# Fourth evaluation: the VAE's statistics with its posterior means, up to 16 mixture components; then with the Glow's statistics; then held-out classes.
set -euo pipefail
# run from the work folder of run_v2.sh, holding dl2/ and logs/
source "$(dirname "$0")/env.sh"
dl evaluate --run runs/vae --in fashion-mnist --out $OUTS --score combined --bootstrap 0 > logs/v4-eval-vae.log 2> logs/v4-eval-vae.err
cp runs/vae/results.json logs/v4-results-vae.json
dl evaluate --run runs/vae --with runs/glow --in fashion-mnist --out $OUTS --score combined --bootstrap 0 > logs/v4-eval-vae-glow.log 2> logs/v4-eval-vae-glow.err
cp runs/vae/results.json logs/v4-results-vae-glow.json
./run_classes.sh 0 8 > logs/cls.out 2>&1

#!/usr/bin/env bash
# The fast detector's cost end to end: detector fit on the VAE's holdout, detect over MNIST's 10,000 test images.
set -euo pipefail
# run from the work folder of run_v2.sh, holding dl2/ and logs/
source "$(dirname "$0")/env.sh"
dl detector fit --run runs/vae --score combined --data fashion-mnist --out vae-combined3.zip > logs/v4-fit.log 2> logs/v4-fit.err
dl detect --detector vae-combined3.zip mnist:test --out detect3-mnist.csv > logs/v4-detect.log 2> logs/v4-detect.err || true
dl detect --detector vae-combined3.zip fashion-mnist:test+vflip --out detect3-vflip.csv > logs/v4-detect-vflip.log 2> logs/v4-detect-vflip.err || true

#!/usr/bin/env bash
# Offline test of a "turned" statistic: the VAE's statistics of every battery set turned half a turn (+vflip+hflip), index-paired.
set -euo pipefail
# run from the work folder of run_v2.sh, holding dl2/ and logs/
source "$(dirname "$0")/env.sh"
T=""
for s in fashion-mnist mnist noise gaussian-noise constant fashion-mnist+invert fashion-mnist+vflip fashion-mnist+hflip fashion-mnist+rot90 fashion-mnist+blur=1 fashion-mnist+contrast=0.5 fashion-mnist+pixel-shuffle fashion-mnist+patch-shuffle=4 fashion-mnist+patch-shuffle=2; do
  T="$T $s+vflip+hflip"
done
dl evaluate --run runs/vae --in fashion-mnist --out $T --score rate,distortion,reconstruction --bootstrap 0 > logs/turned-eval.log 2> logs/turned-eval.err

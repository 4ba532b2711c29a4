#!/usr/bin/env bash
# DCGAN speed: densitylab (Java/DJL) against the PyTorch reference bench/pytorch/dcgan.py, the same model (same
# parameter shapes, same initial weights for the seed), data, batch size, training recipe (one discriminator and
# one generator Adam step per batch, lr 2e-4, beta1 0.5, 200 warm-up steps, clipping at 50) and thread count.
# Now `bench/compare.sh dcgan`: runs them in a balanced order (J P P J J P by default, ROUNDS rounds), collects their JSON lines in
# bench/results/dcgan-compare-<date>.jsonl (stderr of each run in the .log beside it) and prints a table with
# the medians and the Java/PyTorch ratios of images/s. A training image/s counts one batch image through both
# steps; a scored image/s counts one -log D(x) of the discriminator.
#
#   bench/compare_dcgan.sh [SECONDS]    training seconds per run (default 120)
#
# Environment:
#   BENCH_SECONDS  training seconds (default 120; the first argument wins)
#   THREADS        threads of both (default 2); BATCH (default 64)
#   LR             learning rate of both players on both sides (default 2e-4, DCGAN's and the model's default
#                  in `densitylab bench`; passed to both explicitly)
#   SCORE_IMAGES   test images scored per pass (default 2000); SCORE_PASSES timed scoring passes of each run,
#                  the median pass counts (default 3)
#   PRESET         dcgan preset, tiny, small or medium (default small); SEED (default 0)
#   MALLOC         reuse (default): both sides run with the launcher's glibc settings (two arenas, no mmap, no
#                  trimming; see ./densitylab); default: both keep glibc's defaults
#   PY_ARGS        extra arguments of dcgan.py, e.g. --memory-format standard, --d-batch separate (two D passes
#                  in the discriminator step), --keep-d-grads (compute D's weight gradients in the generator step
#                  and discard them, as densitylab does), --no-flush-denormal
#   PYTHON         interpreter with torch (default: Debian's /usr/bin/python3 with python3-torch 1.13,
#                  installed by `apt-get install python3-torch`)
# Run it on an otherwise idle machine: both sides use THREADS cores.
set -euo pipefail
# the shared comparison (bench/compare.sh): same environment variables, plus ROUNDS and JAVA_ARGS
export LR="${LR:-2e-4}"
exec "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/compare.sh" dcgan "$@"

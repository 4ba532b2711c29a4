#!/usr/bin/env bash
# PixelCNN++ speed: densitylab (Java/DJL) against the PyTorch reference bench/pytorch/pixelcnnpp.py, the same
# model (same parameter shapes, same initial weights for the seed), data, batch size, training recipe and thread
# count. Now `bench/compare.sh pixelcnnpp`: runs them in a balanced order (J P P J J P by default, ROUNDS rounds), collects their JSON lines in
# bench/results/pixelcnnpp-compare-<date>.jsonl (stderr of each run in the .log beside it) and prints a table
# with the medians and the Java/PyTorch ratios of images/s.
#
#   bench/compare_pixelcnnpp.sh [SECONDS]    training seconds per run (default 120)
#
# Environment:
#   BENCH_SECONDS  training seconds (default 120; the first argument wins)
#   THREADS        threads of both (default 2); BATCH (default 64)
#   SCORE_IMAGES   test images scored per pass (default 2000: a pass takes seconds, not the fraction of a second
#                  Glow's did); SCORE_PASSES timed scoring passes of each run, the median pass counts (default 3)
#   PRESET         pixelcnnpp preset, tiny, small or medium (default small); SEED (default 0)
#   MALLOC         reuse (default): both sides run with the launcher's glibc settings (two arenas, no mmap, no
#                  trimming; see ./densitylab); default: both keep glibc's defaults
#   PY_ARGS        extra arguments of pixelcnnpp.py, e.g. --memory-format standard, --pad explicit,
#                  --upsample interleave (densitylab's zero interleaving instead of nn.ConvTranspose2d),
#                  --no-flush-denormal
#   PYTHON         interpreter with torch (default: Debian's /usr/bin/python3 with python3-torch 1.13,
#                  installed by `apt-get install python3-torch`)
# Run it on an otherwise idle machine: both sides use THREADS cores.
set -euo pipefail
# the shared comparison (bench/compare.sh): same environment variables, plus ROUNDS and JAVA_ARGS
exec "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/compare.sh" pixelcnnpp "$@"

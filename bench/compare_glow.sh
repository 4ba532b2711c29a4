#!/usr/bin/env bash
# Glow speed: densitylab (Java/DJL) against the PyTorch reference bench/pytorch/glow.py. A thin wrapper kept for the
# docs' commands: runs `bench/compare.sh glow [SECONDS]`, which documents the order of the runs (balanced,
# ROUNDS rounds: J P P J J P by default), the table it prints and the environment (ROUNDS, BENCH_SECONDS, THREADS,
# BATCH, SCORE_IMAGES, SCORE_PASSES, PRESET, SEED, LR, MALLOC, PY_ARGS, JAVA_ARGS, PYTHON).
#
#   bench/compare_glow.sh [SECONDS]          training seconds per run (default 120)
#
# glow.py's defaults are the strongest eager PyTorch we know of (see its header): the coupling networks
# channels-last (densitylab's layout; PY_ARGS="--layout standard" for PyTorch's default order), the 1x1
# convolution as a matrix product, foreach Adam and a fused clip, one stream (PY_ARGS="--streams 2" matches
# densitylab's two gradient workers at 2 threads).
exec "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/compare.sh" glow "$@"

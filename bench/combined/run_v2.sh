#!/usr/bin/env bash
# Second evaluation with the final statistic set (no bzip2; the VAE's three statistics in one pass), then the detector's speed.
set -euo pipefail
# run from a work folder holding dl/ (a copy of densitylab-cli/target/densitylab.jar and lib/, so that source edits do not
# rebuild it mid-run) and logs/: mkdir -p W/logs W/dl && cp -r densitylab-cli/target/{densitylab.jar,lib} W/dl && cd W
export OMP_NUM_THREADS=2 MALLOC_ARENA_MAX=2 MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=68719476736 MALLOC_TOP_PAD_=134217728
export ONEDNN_MAX_CPU_ISA=AVX TORCH_CPP_LOG_LEVEL=ERROR
dl() { /usr/bin/time -v java -XX:MaxRAMPercentage=60 -Dai.djl.offline=true -Dai.djl.pytorch.num_threads=2 \
  -Dai.djl.pytorch.num_interop_threads=1 -cp "dl/densitylab.jar:dl/lib/*" densitylab.cli.Main "$@"; }
OUTS="mnist noise gaussian-noise constant fashion-mnist+invert fashion-mnist+vflip fashion-mnist+hflip fashion-mnist+rot90 fashion-mnist+blur=1 fashion-mnist+contrast=0.5 fashion-mnist+pixel-shuffle fashion-mnist+patch-shuffle=4 fashion-mnist+patch-shuffle=2"
rm -rf runs/vae/scores
/usr/bin/python3 - <<'PY'
import csv, glob
for f in glob.glob("runs/glow/scores/*.csv"):
    rows = list(csv.reader(open(f)))
    keep = [i for i, c in enumerate(rows[0]) if not c.startswith("combined")]
    with open(f, "w", newline="") as o:
        w = csv.writer(o)
        for r in rows:
            w.writerow([r[i] for i in keep])
PY
dl evaluate --run runs/vae --in fashion-mnist --out $OUTS --score combined,rate,distortion,reconstruction --bootstrap 0 > logs/v2-eval-vae.log 2> logs/v2-eval-vae.err
cp runs/vae/results.json logs/v2-results-vae.json
dl evaluate --run runs/glow --in fashion-mnist --out $OUTS --score combined --bootstrap 0 > logs/v2-eval-glow.log 2> logs/v2-eval-glow.err
cp runs/glow/results.json logs/v2-results-glow.json
dl evaluate --run runs/glow --with runs/vae --in fashion-mnist --out $OUTS --score combined --bootstrap 0 > logs/v2-eval-glow-vae.log 2> logs/v2-eval-glow-vae.err
cp runs/glow/results.json logs/v2-results-glow-vae.json
dl detector fit --run runs/vae --score combined --data fashion-mnist --out vae-combined.zip > logs/v2-fit.log 2> logs/v2-fit.err
dl detect --detector vae-combined.zip mnist:test --out detect-mnist.csv > logs/v2-detect.log 2> logs/v2-detect.err || true
dl detector fit --run runs/glow --score combined --data fashion-mnist --out glow-combined.zip > logs/v2-fit-glow.log 2> logs/v2-fit-glow.err
dl detect --detector glow-combined.zip mnist:test --out detect-glow-mnist.csv > logs/v2-detect-glow.log 2> logs/v2-detect-glow.err || true

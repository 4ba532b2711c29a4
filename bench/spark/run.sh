#!/usr/bin/env bash
# spark-score (Spark local mode, all cores) against detect on the same PNG files (docs/spark.md), for each bundle in the
# order detect, spark, spark, detect; wall time and peak RSS from /usr/bin/time -v (Spark local mode: driver and
# executor are one JVM).
#   bench/spark/run.sh DIR_OF_PNGS BUNDLE.zip [BUNDLE.zip ...]      (writes detect-*.csv and spark-* here)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
pngs="$1"; shift
n=$(find "$pngs" -name '*.png' | wc -l)
for bundle in "$@"; do
  name="$(basename "$bundle" .zip)"
  for round in detect spark spark detect; do
    out="$name-$round-$RANDOM"
    if [ "$round" = detect ]; then
      /usr/bin/time -v "$root/densitylab" detect --detector "$bundle" "$pngs" --out "$out.csv" > "$out.log" 2>&1 || true
    else
      /usr/bin/time -v "$root/densitylab" spark-score --detector "$bundle" --input "$pngs" --output "$out" > "$out.log" 2>&1 || true
    fi
    wall=$(grep "Elapsed (wall" "$out.log" | awk '{print $NF}')
    rss=$(grep "Maximum resident" "$out.log" | awk '{print $NF}')
    echo "$name $round: $n images, wall $wall, peak RSS $((rss / 1024)) MB $(grep -h '^scored' "$out.log" || true)"
  done
done

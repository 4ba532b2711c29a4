#!/usr/bin/env bash
# Throughput and latency of `densitylab serve` (docs/serve.md): for each bundle, a server with coalescing (A, the
# default 64) and one without (B, --coalesce 1) in the order A B B A, each loaded by bench/serve/ServeLoad.java with
# single-image requests from 1, 4 and 16 client threads and batch requests of 64; then the in-process baseline
# (bench/detect/DetectorThreads.java). Client and server share the machine's cores.
#   bench/serve/run.sh DIR_OF_PNGS NAME=BUNDLE.zip [NAME=BUNDLE.zip ...]
# Needs ./densitylab built (mvn -B install -DskipTests); writes serve-*.log (peak RSS from /usr/bin/time -v) here.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
pngs="$1"; shift
port=18080
for spec in "$@"; do
  name="${spec%%=*}"
  for round in A B B A; do
    coalesce=64; [ "$round" = B ] && coalesce=1
    log="serve-$name-$round-$RANDOM.log"
    /usr/bin/time -v "$root/densitylab" serve --detector "$spec" --port $port --coalesce $coalesce > "$log" 2>&1 &
    pid=$!
    until curl -sf "http://127.0.0.1:$port/health" > /dev/null; do sleep 1; done
    echo "# $name, server $round (--coalesce $coalesce)"
    for t in 1 4 16; do java "$root/bench/serve/ServeLoad.java" "http://127.0.0.1:$port/" "$name" "$pngs" $t 2000; done
    java "$root/bench/serve/ServeLoad.java" "http://127.0.0.1:$port/" "$name" "$pngs" 1 60 64
    kill -TERM $(pgrep -P $pid java || echo $pid); wait $pid || true
    grep "Maximum resident" "$log" | sed "s/^/# server peak: /"
  done
  echo "# $name in process"
  ONEDNN_MAX_CPU_ISA=${ONEDNN_MAX_CPU_ISA:-AVX} java -cp "$root/densitylab-cli/target/densitylab.jar:$root/densitylab-cli/target/lib/*" "$root/bench/detect/DetectorThreads.java" "${spec#*=}" "$pngs" 2000 2>/dev/null
done

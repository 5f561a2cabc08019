#!/usr/bin/env bash
# Load test of `ironrule serve` on 127.0.0.1, bounded in time: single-footprint checks
# against the Yichang project at 64 concurrent connections (wrk, Debian's package), with the
# server's memory sampled every 10 s. Target (issue 16): >= 5,000 checks/s, p99 <= 20 ms, no
# error, flat memory over a 10-minute soak.
#   bash benches/serve/load.sh [SECONDS=30] [CONNECTIONS=64]
# Needs: apt-get install wrk. Prints wrk's report and the memory samples.
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-30}
conns=${2:-64}
if [ "$secs" -gt 900 ]; then echo "at most 900 s" >&2; exit 2; fi
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)" >&2; exit 2; }
cargo build --release -q
log=$(mktemp)
target/release/ironrule serve -p data/yichang/ironrule.toml --bind 127.0.0.1:0 2>"$log" &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null; rm -f "$log"' EXIT
for _ in $(seq 100); do grep -q "on http://" "$log" && break; sleep 0.1; done
addr=$(grep -o 'http://[0-9.:]*' "$log" | head -1)
# Warm up (layers, allocator), then measure.
wrk -t2 -c"$conns" -d3s -s benches/serve/footprint.lua "$addr" >/dev/null
rss_before=$(ps -o rss= -p $pid)
(
  while kill -0 $pid 2>/dev/null; do
    echo "rss_kb $(date +%s) $(ps -o rss= -p $pid | tr -d ' ')"
    sleep 10
  done
) > "$log.rss" &
sampler=$!
wrk -t2 -c"$conns" -d"${secs}s" --timeout 5s --latency -s benches/serve/footprint.lua "$addr"
kill $sampler 2>/dev/null || true
echo "server RSS after warm-up: ${rss_before} KB; samples every 10 s (KB):"
awk '{print $3}' "$log.rss" | tr '\n' ' '; echo
rm -f "$log.rss"
errors=$(grep -c '"status":[45]' "$log" || true)
echo "access log: $(grep -c '"path":"/v1/check"' "$log") checks logged, $errors answered 4xx/5xx"

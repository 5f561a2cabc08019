#!/usr/bin/env bash
# Workload W1 side by side: ironrule audit against the peer engines of ../shared/peers, on the
# same generated data, in one run. Checks that the finding keys agree exactly (values within
# 1e-6) and prints the time ratios.
#
#   benches/w1/run.sh [SIZES] [PEERS]
#     SIZES  comma list, default 10k,100k,1m
#     PEERS  comma list of peer runners, default geopandas,postgis
#
# Env: PEERS_DIR (the peer harness, default ../shared/peers next to the repo),
#      W1_DATA (default /tmp/peers/data), W1_OUT (default /tmp/w1),
#      PEERS_PYTHON (a Python with the peers' packages, see PEERS_DIR/README.md),
#      W1_REPEAT (ironrule runs per format, default 3: the median is reported).
#
# ironrule reads whole rivers (`rivers`): splitting long lines is the engine's job. The peers
# run their best variant, `pieces` (rivers pre-split into <= 32-segment pieces), and report
# the minimum of 3 query runs plus one load: every advantage goes to the peers.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
PEERS_DIR=${PEERS_DIR:-$(cd "$REPO/../shared/peers" 2>/dev/null && pwd || true)}
DATA=${W1_DATA:-/tmp/peers/data}
OUT=${W1_OUT:-/tmp/w1}
PY=${PEERS_PYTHON:-python3}
REPEAT=${W1_REPEAT:-3}
SIZES=${1:-10k,100k,1m}
PEERS=${2:-geopandas,postgis}
[ -n "$PEERS_DIR" ] && [ -f "$PEERS_DIR/gen_data.py" ] || { echo "set PEERS_DIR to the peer harness (gen_data.py, run_*.py)" >&2; exit 2; }
mkdir -p "$OUT"

(cd "$REPO" && cargo build --release --quiet)
BIN="$REPO/target/release/ironrule"

for n in ${SIZES//,/ }; do
  [ -f "$DATA/parcels_$n.fgb" ] || "$PY" "$PEERS_DIR/gen_data.py" "$DATA" --sizes "$n"
done

# The project: W1's four layers and the R1-R4 pack (benches/w1/pack).
sed "s|@PACK@|$HERE/pack|" "$HERE/ironrule.toml.in" > "$DATA/ironrule.toml"

if [[ ",$PEERS," == *",postgis,"* ]]; then "$PEERS_DIR/pg_cluster.sh" start >/dev/null; fi

for n in ${SIZES//,/ }; do
  for fmt in fgb parquet geojson; do
    for r in $(seq 1 "$REPEAT"); do
      /usr/bin/time -f "%M" -o "$OUT/ironrule_${n}_${fmt}_$r.rss" \
        "$BIN" audit --project "$DATA/ironrule.toml" "$DATA/parcels_$n.$fmt" --id-field id \
        --out "$OUT/ironrule_${n}_${fmt}_$r" --fail-on never --quiet --findings-layer none
    done
  done
  # The findings layer costs extra (geometry of every finding, reprojected to WGS 84).
  /usr/bin/time -f "%M" -o "$OUT/ironrule_${n}_fgb_layer.rss" \
    "$BIN" audit --project "$DATA/ironrule.toml" "$DATA/parcels_$n.fgb" --id-field id \
    --out "$OUT/ironrule_${n}_fgb_layer" --fail-on never --quiet
  for p in ${PEERS//,/ }; do
    echo "=== $p $n $(date +%T)" >&2
    /usr/bin/time -f "%M" -o "$OUT/${p}_$n.rss" \
      "$PY" "$PEERS_DIR/run_$p.py" --data "$DATA" --out "$OUT" --n "$n" --variant pieces --repeat 3 \
      > "$OUT/${p}_$n.log" 2>&1
    "$PY" "$HERE/compare.py" "$OUT/ironrule_${n}_fgb_1/findings.csv" "$OUT" "$p+pieces" "$n" \
      | tee "$OUT/compare_${p}_$n.txt"
  done
done

if [[ ",$PEERS," == *",postgis,"* ]]; then "$PEERS_DIR/pg_cluster.sh" stop >/dev/null || true; fi

"$PY" - "$OUT" "$SIZES" "$PEERS" "$REPEAT" <<'EOF'
import json, statistics, sys
out, sizes, peers, repeat = sys.argv[1], sys.argv[2].split(","), sys.argv[3].split(","), int(sys.argv[4])
def ours(n, fmt):
    walls = [json.load(open(f"{out}/ironrule_{n}_{fmt}_{r}/summary.json"))["wall_seconds"] for r in range(1, repeat + 1)]
    rss = max(int(open(f"{out}/ironrule_{n}_{fmt}_{r}.rss").read().split()[-1]) for r in range(1, repeat + 1))
    return statistics.median(walls), rss / 1024
print("\n| N | ironrule FlatGeobuf | ironrule GeoParquet | ironrule GeoJSON | + findings layer | "
      + " | ".join(f"{p} (pieces) load + query" for p in peers) + " | peak RSS ironrule / " + " / ".join(peers) + " |")
print("|---|---:|---:|---:|---:|" + "---:|" * len(peers) + "---|")
base = {}
for n in sizes:
    fgb, rss = ours(n, "fgb")
    pq, _ = ours(n, "parquet")
    gj, _ = ours(n, "geojson")
    layer = json.load(open(f"{out}/ironrule_{n}_fgb_layer/summary.json"))["wall_seconds"]
    cells, rsss = [], []
    for p in peers:
        j = json.load(open(f"{out}/{p}+pieces_{n}.json"))
        t = j["load_s"] + j["query_s"]["total"]
        cells.append(f"{t:.2f} s = {t / fgb:.1f}x")
        rsss.append(f"{int(open(f'{out}/{p}_{n}.rss').read().split()[-1]) / 1024:.0f} MB")
    base[n] = fgb
    print(f"| {n} | {fgb:.2f} s | {pq:.2f} s | {gj:.2f} s | {layer:.2f} s | " + " | ".join(cells)
          + f" | {rss:.0f} MB / " + " / ".join(rsss) + " |")
if "100k" in base and "1m" in base:
    print(f"\nscaling: 1M / 100k time ratio (FlatGeobuf) = {base['1m'] / base['100k']:.1f}")
print("ratios: peer time / ironrule FlatGeobuf time (median of", repeat, "runs); peers: one load + best of 3 query runs")
EOF

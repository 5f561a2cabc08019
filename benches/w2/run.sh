#!/usr/bin/env bash
# Workload W2 side by side: W1's parcels plus a 10 m DEM over W1's extent (12,000 × 12,000
# cells, tiled, Deflate), one rule: the share of a parcel steeper than 25°. ironrule audit
# against gdaldem slope + zonal statistics with rasterstats (same cells, so equal shares) and
# with exactextract, in one run. Prints times, ratios, peak RSS and the comparison.
#
#   benches/w2/run.sh [N]        N parcels: 100k (default) or 1m
#
# Env: PEERS_PYTHON (a Python with geopandas, rasterio==1.4.3, rasterstats==0.20.0,
#      exactextract==0.2.2), W1_DATA (W1's parcels_1m.fgb, default /tmp/peers/data),
#      W2_OUT (default /tmp/w2).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
DATA=${W1_DATA:-/tmp/peers/data}
OUT=${W2_OUT:-/tmp/w2}
PY=${PEERS_PYTHON:-python3}
N=${1:-100k}
mkdir -p "$OUT"
(cd "$REPO" && cargo build --release --quiet)
BIN="$REPO/target/release/ironrule"
[ -f "$OUT/dem.tif" ] || { echo "generating the DEM"; "$PY" "$HERE/gen_dem.py" "$OUT/dem.tif"; }
case "$N" in
  1m) PARCELS="$DATA/parcels_1m.fgb" ;;
  *) count=${N%k}000; PARCELS="$OUT/parcels_$N.fgb"
     [ -f "$PARCELS" ] || ogr2ogr -f FlatGeobuf -limit "$count" "$PARCELS" "$DATA/parcels_1m.fgb" ;;
esac
cat > "$OUT/ironrule.toml" <<TOML
name = "W2 (slope share)"
crs = "EPSG:4546"
rules = ["$HERE/pack"]
[[dem]]
name = "terrain"
path = "$OUT/dem.tif"
cache_mb = 128
TOML
rm -rf "$OUT/ironrule"
/usr/bin/time -v "$BIN" audit --project "$OUT/ironrule.toml" "$PARCELS" --id-field id \
    --out "$OUT/ironrule" --fail-on never --quiet --findings-layer none 2> "$OUT/ironrule.time"
grep -E "Elapsed|Maximum resident" "$OUT/ironrule.time"
"$PY" "$HERE/peers.py" "$OUT/dem.tif" "$PARCELS" "$OUT/ironrule/findings.csv" "$OUT/peers"

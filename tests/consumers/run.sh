#!/usr/bin/env bash
# Real consumers read ironrule's reports of the demo: the official SARIF 2.1.0 schema,
# junitparser, ogrinfo (GDAL) and headless Chromium; and GEOS (shapely) checks the measured
# areas and distances, and gdaldem and a cell-centre count the terrain rules' slopes and
# shares. The API description is checked by openapi-spec-validator, and the map
# page of `ironrule serve` is used in Chromium through playwright-core (tests/browser).
# .ci/run installs them:
#   apt: gdal-bin chromium fonts-wqy-microhei nodejs npm
#   pip: jsonschema junitparser shapely openapi-spec-validator (and the matplotlib wheel,
#   downloaded for its sample DEM)   npm: tests/browser/package-lock.json
# With UPDATE_SCREENSHOT=1 the screenshots are copied to docs/ (shown in README).
set -euo pipefail
cd "$(dirname "$0")/../.."
out=target/consumers
rm -rf "$out" && mkdir -p "$out"
cargo build -q
bin=target/debug/ironrule
check() {
    set +e
    "$bin" check -p data/yichang/ironrule.toml data/yichang/proposals.geojson "$@"
    local rc=$?
    set -e
    if [ "$rc" != 1 ]; then echo "ironrule check $* exited $rc, expected 1" >&2; exit 1; fi
}
for f in sarif junit jsonl geojson html; do check -f "$f" -o "$out/demo.$f"; done

python3 tests/consumers/validate.py sarif tests/data/sarif-2.1.0-rtm.5.json "$out/demo.sarif"
python3 tests/consumers/validate.py junit "$out/demo.junit" "$out/demo.jsonl"

findings=$(grep -c '"type":"finding"' "$out/demo.jsonl")
ogrinfo -ro -al -so "$out/demo.geojson" > "$out/ogrinfo.txt"
grep -q "Feature Count: $findings" "$out/ogrinfo.txt" || { cat "$out/ogrinfo.txt"; echo "ogrinfo does not see $findings findings" >&2; exit 1; }
grep -q "code: String" "$out/ogrinfo.txt" && grep -q "value: Real" "$out/ogrinfo.txt"
echo "geojson: ogrinfo reads $findings findings with typed attributes"

# screenshot PAGE PNG SIZE: a page of $out drawn by headless Chromium, checked not blank.
screenshot() {
    local profile
    profile=$(mktemp -d)
    timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --user-data-dir="$profile" --hide-scrollbars --screenshot="$out/$2" --window-size="$3" \
        "file://$PWD/$out/$1" 2>"$out/chromium.log" || { cat "$out/chromium.log"; exit 1; }
    rm -rf "$profile"
    python3 tests/consumers/validate.py png "$out/$2"
}
screenshot demo.html report.png 1280,2000
if [ "${UPDATE_SCREENSHOT:-}" = 1 ]; then cp "$out/report.png" docs/report.png; fi

# The indicators page (ironrule indicators -f html) drawn by the same browser: self-contained,
# not blank. The demo's proposals break targets: exit 1 (2 would be an input error).
rc=0
"$bin" indicators -p data/yichang/ironrule.toml -f html -o "$out/indicators.html" data/yichang/proposals.geojson || rc=$?
if [ "$rc" != 1 ]; then echo "ironrule indicators exited $rc, expected 1" >&2; exit 1; fi
screenshot indicators.html indicators.png 1100,1600
if [ "${UPDATE_SCREENSHOT:-}" = 1 ]; then cp "$out/indicators.png" docs/indicators.png; fi

# The OpenAPI 3.1 description of `ironrule serve`, by a real validator.
python3 -m openapi_spec_validator src/serve/openapi.json

# The map page in a real browser: draw, upload, Chinese, SARIF download, phone width.
(cd tests/browser && npm ci --silent --no-audit --no-fund)
OUT="$out/browser" IRONRULE_BIN="$bin" node tests/browser/map.test.mjs
python3 tests/consumers/validate.py sarif tests/data/sarif-2.1.0-rtm.5.json "$out/browser/serve.sarif"
python3 tests/consumers/validate.py png "$out/browser/serve-map.png"
if [ "${UPDATE_SCREENSHOT:-}" = 1 ]; then
    cp "$out/browser/serve-map.png" "$out/browser/serve-draw.png" "$out/browser/serve-phone.png" docs/
fi

# The audit's report.html in the same browser: self-contained, its charts, map, districts
# and evidence links checked against summary.json, in English and Chinese.
OUT="$out/browser" IRONRULE_BIN="$bin" node tests/browser/audit.test.mjs
python3 tests/consumers/validate.py png "$out/browser/audit-report-en.png"
if [ "${UPDATE_SCREENSHOT:-}" = 1 ]; then cp "$out/browser/audit-report-en.png" docs/audit-report.png; fi

# Differential test of the measurements against GEOS (shapely 2).
python3 tests/consumers/geos_diff.py "$bin" "$out/geos" 600
# The regulatory plan against GEOS: parcel areas, parts, FAR, coverage, green ratio and
# setbacks on the demo and on a generated city of 10,000 parcels; straddles reconcile.
python3 tests/consumers/plan_oracle.py "$bin" "$out/plan"

# Terrain: slopes against gdaldem, steep shares against a cell-centre count (numpy, shapely),
# on the demo DEM and on a real one: the Jacksboro fault DEM (USGS, public domain) that
# matplotlib ships as sample data, taken from its wheel on PyPI (downloaded, not installed).
python3 -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
    -d "$out/wheels" matplotlib==3.10.7
python3 tests/consumers/terrain_oracle.py "$bin" "$out/terrain" "$(ls "$out"/wheels/matplotlib-3.10.7-*.whl)"
echo "consumers: all four formats read by their consumers; the API description is valid; the map page works in Chromium; measurements and the plan's FAR, coverage and green ratios agree with GEOS; slopes agree with gdaldem"

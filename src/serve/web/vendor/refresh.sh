#!/usr/bin/env bash
# Refreshes the JavaScript libraries the map page ships inside the binary (no network at run
# time): Leaflet (BSD-2-Clause) for the map and proj4js (MIT) for the working CRS's
# coordinates under the cursor. Versions are pinned here; the files are taken from the npm
# registry's tarballs, with their licences, and their SHA-256 recorded in SHA256SUMS.
#   bash src/serve/web/vendor/refresh.sh
set -euo pipefail
cd "$(dirname "$0")"
LEAFLET=1.9.4
PROJ4=2.22.0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "leaflet@$LEAFLET" "proj4@$PROJ4" >/dev/null)
tar -xzf "$work/leaflet-$LEAFLET.tgz" -C "$work"
cp "$work/package/dist/leaflet.js" "$work/package/dist/leaflet.css" .
cp "$work/package/LICENSE" LICENSE.leaflet
rm -rf "$work/package"
tar -xzf "$work/proj4-$PROJ4.tgz" -C "$work"
cp "$work/package/dist/proj4.js" .
cp "$work/package/LICENSE.md" LICENSE.proj4 2>/dev/null || cp "$work/package/LICENSE" LICENSE.proj4
printf 'leaflet %s\nproj4 %s\n' "$LEAFLET" "$PROJ4" > VERSIONS
sha256sum leaflet.js leaflet.css proj4.js > SHA256SUMS
cat VERSIONS

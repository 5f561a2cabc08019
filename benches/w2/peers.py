"""W2's peers: gdaldem slope, then the share of each parcel's cells steeper than 25° by
rasterstats (cell-centre rasterization, all_touched=False: the same cells ironrule counts, so
the shares must be equal) and by exactextract (coverage-weighted: timed, and its shares
compared for information). Prints the times and the comparison with ironrule's findings.

Usage: peers.py DEM.tif PARCELS.fgb IRONRULE_FINDINGS.csv OUT_DIR
"""
import csv
import json
import warnings
import os
import subprocess
import sys
import time

import geopandas
import numpy as np

dem, parcels, findings, out = sys.argv[1:5]
# rasterstats hands the statistic a masked array; its nodata cells are left out, as they are by
# ironrule, and numpy says so once per parcel.
warnings.filterwarnings("ignore", message="Warning: converting a masked element to nan")
os.makedirs(out, exist_ok=True)
times = {}
t = time.perf_counter()
slope = os.path.join(out, "slope.tif")
subprocess.run(["gdaldem", "slope", "-q", "-compute_edges", "-co", "TILED=YES", dem, slope], check=True)
times["gdaldem slope"] = time.perf_counter() - t

t = time.perf_counter()
gdf = geopandas.read_file(parcels, columns=["id"])
times["read parcels"] = time.perf_counter() - t

rs = {}
# W2_RASTERSTATS=0 leaves rasterstats out (about 4 ms a parcel here: over an hour at 1M).
if os.environ.get("W2_RASTERSTATS", "1") != "0":
    from rasterstats import zonal_stats

    t = time.perf_counter()
    stats = zonal_stats(gdf.geometry, slope, stats=["count"], nodata=-9999, all_touched=False,
                        add_stats={"steep": lambda a: float((a > 25).sum())})
    times["rasterstats"] = time.perf_counter() - t
    for pid, s in zip(gdf["id"], stats):
        rs[str(pid)] = None if not s["count"] else 100.0 * s["steep"] / s["count"]

from exactextract import exact_extract  # noqa: E402

t = time.perf_counter()
ee = exact_extract(slope, gdf, ["count", "frac"], include_cols=["id"], output="pandas")
times["exactextract"] = time.perf_counter() - t

ours = {}
with open(findings, newline="") as f:
    for row in csv.DictReader(f):
        if row["code"] == "S1":
            ours[row["feature_id"]] = float(row["value"])
same = differ = empty = 0
worst = 0.0
examples = []
for pid, share in rs.items():
    if share is None:
        empty += 1  # no cell centre inside: ironrule uses the centroid's cell, rasterstats nothing
        continue
    got = ours.get(pid, 0.0)
    d = abs(got - share)
    worst = max(worst, d)
    if d <= 0.01:
        same += 1
    else:
        differ += 1
        if len(examples) < 5:
            examples.append((pid, got, share))
print(json.dumps({"times_s": times, "parcels": len(rs), "shares_equal_to_0.01pp": same,
                  "shares_differ": differ, "no_cell_centre": empty, "worst_pp": worst,
                  "examples": examples}, indent=1))

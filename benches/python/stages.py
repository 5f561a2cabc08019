#!/usr/bin/env python3
"""Where Project.check(gdf) spends its time on W1, stage by stage, and the Rust call's CPU.

    python3 benches/python/stages.py [N] [ROUNDS]      (default 1m, 3; W1_DATA as check.py)

Per round: the frame to Arrow (GeoArrow polygons from shapely's coordinate arrays, as
check() sends them, and WKB for comparison), check_arrow (wall, and user + system CPU of the
process around it), the findings to pandas and their offending parts to shapely. Then
check() itself with its polygon path on and off, alternated. Medians are printed; this
machine is shared and noisy, so compare within one run only.
"""
import json
import os
import resource
import statistics
import sys
import time

import geopandas
import pyarrow as pa
import shapely

import ironrule

DATA = os.environ.get("W1_DATA", "/tmp/peers/data")


def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def main():
    n = sys.argv[1] if len(sys.argv) > 1 else "1m"
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    gdf = geopandas.read_parquet(os.path.join(DATA, f"parcels_{n}.parquet"))
    project = ironrule.Project(os.path.join(DATA, "ironrule.toml"))
    frame = gdf[["id", "land_use", "geometry"]]
    crs = f"EPSG:{gdf.crs.to_epsg()}"
    t = {k: [] for k in ("geoarrow_in", "wkb_in", "check_arrow_wall", "check_arrow_cpu", "to_pandas", "from_wkb",
                         "check_polygon_path", "check_wkb_path")}
    for _ in range(rounds):
        s = time.perf_counter()
        native = ironrule._polygon_table(frame, "geometry")
        t["geoarrow_in"].append(time.perf_counter() - s)
        s = time.perf_counter()
        wkb = frame.to_arrow(index=False, geometry_encoding="WKB")
        t["wkb_in"].append(time.perf_counter() - s)
        del wkb
        s, c = time.perf_counter(), cpu()
        found = project.check_arrow(native, geometry="geometry", crs=crs, id_field="id", errors="report")
        t["check_arrow_wall"].append(time.perf_counter() - s)
        t["check_arrow_cpu"].append(cpu() - c)
        s = time.perf_counter()
        found.drop_columns(["geometry"]).to_pandas()
        t["to_pandas"].append(time.perf_counter() - s)
        s = time.perf_counter()
        shapely.from_wkb(found.column("geometry").to_numpy(zero_copy_only=False))
        t["from_wkb"].append(time.perf_counter() - s)
        rows = found.num_rows
        del found, native
        real = ironrule._polygon_table
        for key, fn in (("check_polygon_path", real), ("check_wkb_path", lambda f, g: None)):
            ironrule._polygon_table = fn
            try:
                s = time.perf_counter()
                project.check(gdf, id_field="id", errors="report")
                t[key].append(time.perf_counter() - s)
            finally:
                ironrule._polygon_table = real
    print(json.dumps({"n": n, "rounds": rounds, "findings": rows,
                      "median_s": {k: round(statistics.median(v), 3) for k, v in t.items()}}, indent=1))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Project.check(gdf) on W1 against the GeoPandas + shapely peer doing R1-R4 itself, in one run.

    PEERS_DIR=../shared/peers PEERS_PYTHON=/tmp/peers/venv/bin/python \
        python3 benches/python/check.py [SIZES]     (default 100k,1m)

Both start from a GeoDataFrame already in memory: ironrule's time is Project.check (the
columns the rules read, the geometry as WKB into Rust, the checks on every core, the findings
back as a GeoDataFrame), the peer's is its best query time of 3 (its load is not counted).
Findings by rule are printed beside the peer's rows: they differ where the semantics do (R1
leaves out zero-area touches; R3 names each main-river bank within 1 km, the peer one row
per parcel; see benches/w1/compare.py), not in the keys.
Data: W1_DATA (default /tmp/peers/data), made by benches/w1/gen_data.py when missing; the
project is benches/w1/run.sh's (W1's four layers, benches/w1/pack).
"""
import json
import os
import statistics
import subprocess
import sys
import time

import geopandas

import ironrule

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
DATA = os.environ.get("W1_DATA", "/tmp/peers/data")
OUT = os.environ.get("W1_OUT", "/tmp/w1-python")
PEERS = os.environ.get("PEERS_DIR", os.path.join(REPO, "..", "shared", "peers"))
PROJECT = os.path.join(DATA, "ironrule.toml")
# The peer runs in a Python with the harness's packages (psutil...), as benches/w1/run.sh.
PEER_PYTHON = os.environ.get("PEERS_PYTHON", sys.executable)


def main():
    sizes = (sys.argv[1] if len(sys.argv) > 1 else "100k,1m").split(",")
    os.makedirs(OUT, exist_ok=True)
    if not os.path.exists(PROJECT):
        sys.exit(f"{PROJECT} missing: run benches/w1/run.sh once (it writes W1's project)")
    project = ironrule.Project(PROJECT)
    for n in sizes:
        path = os.path.join(DATA, f"parcels_{n}.parquet")
        if not os.path.exists(path):
            subprocess.run([sys.executable, os.path.join(REPO, "benches", "w1", "gen_data.py"), DATA, "--sizes", n], check=True)
        gdf = geopandas.read_parquet(path)
        times = []
        for _ in range(3):
            t = time.perf_counter()
            found = project.check(gdf, id_field="id", errors="report")
            times.append(time.perf_counter() - t)
        ours = statistics.median(times)
        counts = found["code"].value_counts().sort_index().to_dict()
        del found
        r = subprocess.run([PEER_PYTHON, os.path.join(PEERS, "run_geopandas.py"), "--data", DATA, "--out", OUT,
                            "--n", n, "--variant", "pieces", "--repeat", "3"], capture_output=True, text=True, check=True)
        with open(os.path.join(OUT, f"geopandas+pieces_{n}.json")) as f:
            peer = json.load(f)
        best = peer["query_s"]["total"]
        rows = {r: peer["summary"][r]["rows"] for r in ("R1", "R2", "R3", "R4")}
        print(json.dumps({
            "n": n, "ironrule_check_gdf_s": [round(t, 3) for t in times], "median_s": round(ours, 3),
            "geopandas_best_query_s": best, "speedup": round(best / ours, 2),
            "findings_by_rule": counts, "geopandas_rows_by_rule": rows,
        }), flush=True)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Compares ironrule's audit findings with a peer's result rows for workload W1.

    compare.py FINDINGS_CSV PEER_RESULTS_DIR PEER_TAG N [--tol 1e-6]

PEER_TAG is the peer's file stem (`geopandas+pieces`, `postgis+pieces`, ...): the peer
runners in ../shared/peers write `<tag>_<n>_<rule>.parquet` with columns pid, [zid,] value.

Same semantics, made explicit:
- R1: ironrule reports overlaps with area (touching is not overlap); the peers report every
  intersecting pair, touching ones with area 0, so their rows with area 0 are set aside and
  counted.
- R3: ironrule reports each main-river bank within 1 km; the peers one row per parcel with
  the minimum distance, so ironrule's rows are reduced to the minimum per parcel.

Keys must agree exactly. Distances (R2, R3) must agree within --tol metres; areas (R1, R4)
within --tol relative (x max(1 m², area)): geo's boolean operations work on a fixed-point
grid, about 1e-7 m fine around a parcel, so areas differ from GEOS by up to ~1e-5 m² on
1,000 m² (1e-8 relative). ironrule's CSV has 6 decimals. Differing rows are printed.
Exit 0 when every rule agrees, 1 otherwise.
"""
import argparse
import csv
import hashlib
import sys

import pandas as pd

PAIR = {"R1", "R2"}


def ours(path):
    rows = {"R1": [], "R2": [], "R3": [], "R4": []}
    with open(path, newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            code = r["code"]
            if code not in rows:
                continue
            pid = int(r["feature_id"])
            val = float(r["value"])
            if code in PAIR:
                rows[code].append((pid, int(r["zone_id"]), val))
            else:
                rows[code].append((pid, val))
    out = {}
    for code, rs in rows.items():
        cols = ["pid", "zid", "value"] if code in PAIR else ["pid", "value"]
        df = pd.DataFrame(rs, columns=cols)
        if code == "R3":
            df = df.groupby("pid", as_index=False)["value"].min()
        out[code] = df
    return out


def key_hash(df, pair):
    df = df.sort_values(["pid", "zid"] if pair else ["pid"], kind="mergesort")
    if pair:
        lines = [f"{p},{z}\n" for p, z in zip(df["pid"], df["zid"])]
    else:
        lines = [f"{p}\n" for p in df["pid"]]
    return hashlib.sha256("".join(lines).encode()).hexdigest()[:16]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("findings")
    ap.add_argument("results")
    ap.add_argument("peer")
    ap.add_argument("n")
    ap.add_argument("--tol", type=float, default=1e-6)
    a = ap.parse_args()
    mine = ours(a.findings)
    ok = True
    for rule in ["R1", "R2", "R3", "R4"]:
        pair = rule in PAIR
        keys = ["pid", "zid"] if pair else ["pid"]
        theirs = pd.read_parquet(f"{a.results}/{a.peer}_{a.n}_{rule}.parquet")
        theirs["pid"] = theirs["pid"].astype("int64")
        if pair:
            theirs["zid"] = theirs["zid"].astype("int64")
        note = ""
        if rule == "R1":
            touching = int((theirs["value"] <= 0.0).sum())
            theirs = theirs[theirs["value"] > 0.0]
            note = f" ({touching} touching pairs with area 0 set aside)"
        m = mine[rule].merge(theirs, on=keys, how="outer", suffixes=("_ours", "_peer"), indicator=True)
        only_ours = m[m["_merge"] == "left_only"]
        only_peer = m[m["_merge"] == "right_only"]
        both = m[m["_merge"] == "both"]
        diff = (both["value_ours"] - both["value_peer"]).abs()
        if rule in ("R1", "R4"):
            diff = diff / both["value_peer"].abs().clip(lower=1.0)
        worst = float(diff.max()) if len(diff) else 0.0
        agree = len(only_ours) == 0 and len(only_peer) == 0 and worst <= a.tol
        ok &= agree
        print(
            f"{rule}: ours {len(mine[rule])} rows, {a.peer} {len(theirs)} rows{note}; "
            f"keys {'identical' if len(only_ours) == len(only_peer) == 0 else 'DIFFER'} "
            f"(hash {key_hash(mine[rule], pair)} vs {key_hash(theirs, pair)}); "
            f"max value difference {worst:.3g}{' relative' if rule in ('R1', 'R4') else ' m'} "
            f"-> {'agree' if agree else 'DISAGREE'}"
        )
        if not agree:
            for name, part in [("only ironrule", only_ours), ("only peer", only_peer)]:
                if len(part):
                    print(f"  {name}: {len(part)} rows, e.g.\n{part.head(5).to_string()}")
            bad = both[diff > a.tol]
            if len(bad):
                print(f"  values beyond {a.tol}: {len(bad)} rows, e.g.\n{bad.head(5).to_string()}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()

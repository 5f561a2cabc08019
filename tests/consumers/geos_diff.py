"""Differential test against GEOS (shapely 2): overlap area, area outside and distance.

Generates random and adversarial polygon pairs (star polygons, near-touching pairs, shared
collinear edges, holes, slivers), in EPSG:4546 coordinates of Yichang's magnitude, writes a
throw-away ironrule project with one overlap, one within and one setback rule, runs
`ironrule check --format json`, and compares every measured value with GEOS:

  overlap   area(fp ∩ zone) per zone          ironrule reports iff > 1 mm², value to 1e-6 rel
  within    area(fp − zone)                   ironrule reports iff > 1 mm², value to 1e-6 rel
  setback   distance(fp, zone) ≤ 50 m         ironrule reports iff ≤ 50, value to 1e-6 m

Known limit: geo's boolean operations (i_overlay) snap to a fixed-point grid of about 1e-9 of
the operands' extent, so an area can be off by up to (boundary length × grid). Thin slivers
(centimetres wide) therefore agree only to ~1e-4 relative. Such cases are listed as "within
the fixed-point bound" and do not fail; anything beyond that bound, or any finding present on
one side only (outside 1 mm² of the threshold), fails.

Usage: geos_diff.py IRONRULE_BINARY WORKDIR [CASES] [SEED]
Exits non-zero and lists every disagreement.
"""
import json
import math
import os
import random
import subprocess
import sys

from shapely.geometry import Polygon, mapping

X0, Y0 = 527_000.0, 3_397_000.0
SETBACK_M = 50.0
EPS_AREA = 1e-6


def star(rng, cx, cy, rmin, rmax, n):
    pts = []
    for i in range(n):
        a = 2 * math.pi * i / n
        r = rng.uniform(rmin, rmax)
        pts.append((cx + r * math.cos(a), cy + r * math.sin(a)))
    return Polygon(pts)


def pairs(rng, count):
    """(kind, zone, footprint) triples."""
    out = []
    for i in range(count):
        kind = ["random", "near-touching", "shared-edge", "holes", "sliver", "far"][i % 6]
        cx, cy = X0 + rng.uniform(-5000, 5000), Y0 + rng.uniform(-5000, 5000)
        if kind == "random":
            z = star(rng, cx, cy, 20, 200, rng.randint(3, 60))
            f = star(rng, cx + rng.uniform(-150, 150), cy + rng.uniform(-150, 150), 10, 120, rng.randint(3, 30))
        elif kind == "near-touching":
            w = rng.uniform(10, 100)
            z = Polygon([(cx, cy), (cx + w, cy), (cx + w, cy + w), (cx, cy + w)])
            gap = rng.choice([0.0, 1e-7, 1e-4, -1e-4, 0.01])
            f = Polygon([(cx + w + gap, cy + 5), (cx + w + gap + 30, cy + 5), (cx + w + gap + 30, cy + 25), (cx + w + gap, cy + 25)])
        elif kind == "shared-edge":
            w = rng.uniform(10, 100)
            z = Polygon([(cx, cy), (cx + w, cy), (cx + w, cy + w), (cx, cy + w)])
            t = rng.uniform(0.1, 0.9)
            # A footprint sharing part of the zone's top edge, inside or outside.
            side = rng.choice([1, -1])
            f = Polygon([(cx + t * w * 0.5, cy + w), (cx + t * w, cy + w), (cx + t * w, cy + w + side * 20), (cx + t * w * 0.5, cy + w + side * 20)])
        elif kind == "holes":
            outer = [(cx - 100, cy - 100), (cx + 100, cy - 100), (cx + 100, cy + 100), (cx - 100, cy + 100)]
            hole = [(cx - 40, cy - 40), (cx - 40, cy + 40), (cx + 40, cy + 40), (cx + 40, cy - 40)]
            z = Polygon(outer, [hole])
            f = star(rng, cx + rng.uniform(-60, 60), cy + rng.uniform(-60, 60), 5, 70, rng.randint(3, 20))
        elif kind == "sliver":
            z = star(rng, cx, cy, 50, 150, rng.randint(5, 30))
            a = rng.uniform(0, 2 * math.pi)
            dx, dy = math.cos(a), math.sin(a)
            f = Polygon([(cx, cy), (cx + 300 * dx, cy + 300 * dy), (cx + 300 * dx - 0.01 * dy, cy + 300 * dy + 0.01 * dx)])
        else:
            z = star(rng, cx, cy, 20, 100, rng.randint(3, 20))
            d = rng.uniform(0, 80)
            f = star(rng, cx + 100 + d + 30, cy, 5, 30, rng.randint(3, 12))
        if z.is_valid and f.is_valid and not f.is_empty and f.area > 0:
            out.append((kind, z, f))
    return out


def grid_bound(f, z):
    """Largest area error the fixed-point snapping can cause: boundary length × grid, with
    the grid 1e-9 of the pair's extent (i_overlay scales coordinates to 32-bit integers)."""
    minx, miny, maxx, maxy = f.union(z).bounds
    extent = max(maxx - minx, maxy - miny)
    return (f.length + z.length) * extent * 1e-9


def write_project(work, cases):
    os.makedirs(os.path.join(work, "pack", "D1-overlap"), exist_ok=True)
    os.makedirs(os.path.join(work, "pack", "D2-within"), exist_ok=True)
    os.makedirs(os.path.join(work, "pack", "D3-setback"), exist_ok=True)
    crs = {"type": "name", "properties": {"name": "EPSG:4546"}}
    zones = {"type": "FeatureCollection", "crs": crs, "features": [
        {"type": "Feature", "id": f"z{i}", "properties": {"case": i}, "geometry": mapping(z)} for i, (_, z, _) in enumerate(cases)]}
    fps = {"type": "FeatureCollection", "crs": crs, "features": [
        {"type": "Feature", "id": f"f{i}", "properties": {"case": i}, "geometry": mapping(f)} for i, (_, _, f) in enumerate(cases)]}
    json.dump(zones, open(os.path.join(work, "zones.geojson"), "w"))
    json.dump(fps, open(os.path.join(work, "footprints.geojson"), "w"))
    open(os.path.join(work, "ironrule.toml"), "w").write(
        'crs = "EPSG:4546"\nrules = ["pack"]\n[[layer]]\nname = "zones"\npath = "zones.geojson"\n')
    open(os.path.join(work, "pack", "pack.toml"), "w").write(
        'id = "diff"\ntitle = "GEOS differential"\njurisdiction = "test"\nversion = "0"\ncode_prefix = "D"\n')
    rule = 'code = "{code}"\nname = "{name}"\nsummary = "s"\nseverity = "prohibited"\nmessage = "{{value}}"\n[citation]\ninstrument = "test"\n[test]\n{test}\n'
    open(os.path.join(work, "pack", "D1-overlap", "rule.toml"), "w").write(rule.format(code="D1", name="overlap", test='kind = "overlap"\nlayer = "zones"'))
    open(os.path.join(work, "pack", "D2-within", "rule.toml"), "w").write(rule.format(code="D2", name="within", test='kind = "within"\nlayer = "zones"'))
    open(os.path.join(work, "pack", "D3-setback", "rule.toml"), "w").write(rule.format(code="D3", name="setback", test=f'kind = "setback"\nlayer = "zones"\ndistance_m = {SETBACK_M}'))


def main():
    binary, work = sys.argv[1], sys.argv[2]
    count = int(sys.argv[3]) if len(sys.argv) > 3 else 600
    seed = int(sys.argv[4]) if len(sys.argv) > 4 else 20261130
    rng = random.Random(seed)
    cases = pairs(rng, count)
    # Within is against the union of all zones; keep the zones far apart so each footprint
    # meets only its own zone (checked below with GEOS too).
    os.makedirs(work, exist_ok=True)
    write_project(work, cases)
    run = subprocess.run([binary, "check", "-p", os.path.join(work, "ironrule.toml"), "-f", "json", "--fail-on", "never",
                          os.path.join(work, "footprints.geojson")], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert report["summary"]["rejected"] == 0, report["diagnostics"]
    got = {}
    for f in report["findings"]:
        i = int(f["feature"]["id"][1:])
        got[(i, f["code"], f["zone"]["id"])] = f["measure"]["value"]
    zones = [z for _, z, _ in cases]
    problems, limited, checked = [], [], 0

    def compare(label, geos_value, mine, present, tol_abs, bound):
        """present: whether GEOS says the finding must exist."""
        if present != (mine is not None):
            # Within a hair of the 1 mm² threshold either answer is right.
            if abs(geos_value - EPS_AREA) > bound:
                problems.append(f"{label}: GEOS {geos_value!r}, ironrule {mine!r}")
            return
        if mine is None:
            return
        err = abs(mine - geos_value)
        if err <= tol_abs:
            return
        if err <= bound:
            limited.append(f"{label}: GEOS {geos_value!r}, ironrule {mine!r} (off {err:.2e}, bound {bound:.2e})")
        else:
            problems.append(f"{label}: GEOS {geos_value!r}, ironrule {mine!r} (off {err:.2e}, bound {bound:.2e})")

    for i, (kind, z, f) in enumerate(cases):
        for j, zj in enumerate(zones):
            if not f.envelope.buffer(SETBACK_M + 1).intersects(zj.envelope):
                continue
            checked += 1
            area = f.intersection(zj).area
            compare(f"{kind} case {i} zone {j}: overlap", area, got.get((i, "D1", f"z{j}")), area > EPS_AREA, 1e-6 * max(area, 1.0), grid_bound(f, zj))
            dist = f.distance(zj)
            mine = got.get((i, "D3", f"z{j}"))
            if (dist <= SETBACK_M) != (mine is not None) or (mine is not None and abs(mine - dist) > 1e-6):
                problems.append(f"{kind} case {i} zone {j}: distance GEOS {dist!r}, ironrule {mine!r}")
        near = [zj for zj in zones if zj.intersects(f)]
        outside = f
        for zj in near:
            outside = outside.difference(zj)
        area = outside.area
        bound = max((grid_bound(f, zj) for zj in near), default=0.0)
        compare(f"{kind} case {i}: outside", area, got.get((i, "D2", None)), area > EPS_AREA, 1e-6 * max(area, 1.0), bound)
    for p in problems[:40]:
        print("DISAGREE", p, file=sys.stderr)
    for p in limited[:10]:
        print("known limit", p, file=sys.stderr)
    kinds = sorted({k for k, _, _ in cases})
    print(f"geos: {len(cases)} cases ({', '.join(kinds)}), {checked} footprint-zone pairs; "
          f"{len(limited)} within the fixed-point bound only, {len(problems)} disagreement(s)")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()

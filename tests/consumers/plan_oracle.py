"""GEOS (shapely 2) cross-checks the regulatory-plan rules: parcel areas, the part of each
proposal on each parcel, floor-area ratio, coverage, green ratio and the setback from the
parcel line, on the demo and on a generated city of 10,000 parcels; and the demo's indicators
per district (landscape and ecological space before and after, district areas summing to the
city's, natural shoreline, chemical sites near the Yangtze) and the generated city's (100
districts: a share of two overlapping layers and an area in ha, before and after 3,000
proposals; districts' areas and amounts summing to the city's).

  demo   the demo's proposals (moved to EPSG:4546 by ogr2ogr, so that both sides read the same
         coordinates) through `ironrule check --format json`: every YC802 finding's parcel
         area, part, FAR, coverage and green ratio recomputed by GEOS from the parcels file.
  city   a generated plan of 100 x 100 parcels (a jittered lattice: neighbours share their
         edges exactly) and 3,000 proposals (inside one parcel, across two to four, over the
         city's edge), each with a floor and green area; a throw-away project with a
         plan_limits rule (all five limits) and a parcel_fit straddle rule.

For every (proposal, parcel) pair GEOS computes the part, FAR, coverage, green ratio and the
distance to the parcel's line, decides which limits are broken, and requires ironrule to report
exactly those (pairs within 1e-9 relative of a limit are left out as ties), with values within
1e-6 relative (areas: geo's boolean operations snap to a fixed-point grid). Totals reconcile:
for each straddling proposal inside the city, the parts ironrule lists sum to its area.

Usage: plan_oracle.py IRONRULE_BINARY WORKDIR [SEED]
Exits non-zero and lists every disagreement.
"""
import json
import math
import os
import random
import subprocess
import sys

from shapely import STRtree
from shapely.geometry import Polygon, box, mapping, shape

X0, Y0 = 530_000.0, 3_380_000.0
N = 100  # parcels per side
CELL = 100.0
REL = 1e-6
TIE = 1e-9
CRS = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4546"}}


def write(path, features):
    with open(path, "w", encoding="utf-8") as f:
        json.dump({"type": "FeatureCollection", "crs": CRS, "features": features}, f, ensure_ascii=False)


def run(binary, args):
    p = subprocess.run([binary] + args, capture_output=True, text=True)
    if p.returncode not in (0, 1):
        sys.exit(f"ironrule {' '.join(args)} exited {p.returncode}:\n{p.stderr}")
    return json.loads(p.stdout)


def close(a, b, rel=REL, floor=1e-9):
    return abs(a - b) <= max(rel * max(abs(a), abs(b)), floor)


def measures(parcel, props, fp, part_area):
    """What GEOS measures for one (proposal, parcel) pair: kind -> (value, limit, fires)."""
    area = parcel.area
    share = part_area / fp.area if fp.area > 0 else 0.0
    out = {}
    p = props

    def limit(k):
        v = parcel_props[id(parcel)].get(k)
        return v if isinstance(v, (int, float)) else None

    if (lim := limit("max_height_m")) is not None and p.get("height_m") is not None:
        out["plan_height"] = (p["height_m"], lim, p["height_m"] > lim)
    if (lim := limit("max_far")) is not None and p.get("floor_area_m2") is not None:
        v = p["floor_area_m2"] * share / area
        out["floor_area_ratio"] = (v, lim, v > lim)
    if (lim := limit("max_coverage_pct")) is not None:
        v = part_area * 100.0 / area
        out["coverage"] = (v, lim, v > lim)
    if (lim := limit("min_green_pct")) is not None and p.get("green_area_m2") is not None:
        v = p["green_area_m2"] * share * 100.0 / area
        out["green_ratio"] = (v, lim, v < lim)
    if (lim := limit("setback_m")) is not None:
        v = fp.distance(parcel.exterior)
        out["parcel_setback"] = (v, lim, v < lim)
    return out


parcel_props = {}
KINDS = ["plan_height", "floor_area_ratio", "coverage", "green_ratio", "parcel_setback"]


def grid_bound(f, z):
    """Largest area error geo's boolean operations can make (as in geos_diff.py): boundary
    length x grid, the grid 1e-9 of the pair's extent (i_overlay snaps to 32-bit integers)."""
    minx, miny, maxx, maxy = f.union(z).bounds
    return (f.length + z.length) * max(maxx - minx, maxy - miny) * 1e-9


def tolerance(kind, v, part, bound):
    """How far ironrule's value may be from GEOS's: ratios of the part carry the part's
    fixed-point bound; a height is read, not measured; a distance is exact to 1e-9 m."""
    if kind in ("floor_area_ratio", "coverage", "green_ratio"):
        return abs(v) * (REL + bound / part) + 1e-12
    return 1e-9


def compare(label, parcels, proposals, findings, code, errors, checked):
    """parcels: id -> (Polygon, props); proposals: id -> (Polygon, props)."""
    ids = list(parcels)
    tree = STRtree([parcels[i][0] for i in ids])
    got = {}
    for f in findings:
        if f["code"] != code or f.get("undetermined"):
            continue
        key = (f["feature"]["id"], f["zone"]["id"], f["measure"]["kind"])
        got[key] = f
    want = {}
    for pid, (fp, props) in proposals.items():
        for j in tree.query(fp):
            zid = ids[j]
            parcel = parcels[zid][0]
            inter = fp.intersection(parcel)
            bound = grid_bound(fp, parcel)
            # A part within the fixed-point bound of the 1 mm² that counts is a tie.
            if inter.area <= 1e-6 + bound:
                for kind in KINDS:
                    got.pop((pid, zid, kind), None)
                continue
            for kind, (v, lim, fires) in measures(parcel, props, fp, inter.area).items():
                checked[0] += 1
                key = (pid, zid, kind)
                tol = tolerance(kind, v, inter.area, bound)
                if abs(v - lim) <= tol + TIE * max(1.0, abs(lim)):
                    got.pop(key, None)
                    continue
                if fires:
                    want[key] = (v, lim, parcel.area, inter.area, tol, bound)
    for key, (v, lim, parcel_area, part, tol, bound) in want.items():
        f = got.pop(key, None)
        if f is None:
            errors.append(f"{label}: {key} breaks its limit by GEOS ({v} vs {lim}), ironrule says nothing")
            continue
        m, plan = f["measure"], f.get("plan", {})
        if abs(m["value"] - v) > tol:
            errors.append(f"{label}: {key} value {m['value']} vs GEOS {v} (tolerance {tol:.1e})")
        if not close(m["limit"], lim):
            errors.append(f"{label}: {key} limit {m['limit']} vs {lim}")
        if not close(plan.get("parcel_area_m2", float("nan")), parcel_area, 1e-9):
            errors.append(f"{label}: {key} parcel area {plan.get('parcel_area_m2')} vs GEOS {parcel_area}")
        if abs(plan.get("part", float("nan")) - part) > REL * part + bound:
            errors.append(f"{label}: {key} part {plan.get('part')} vs GEOS {part} (bound {bound:.1e})")
    for key in got:
        errors.append(f"{label}: ironrule reports {key} ({got[key]['measure']}), GEOS finds it within its limit")
    checked[1] += len(want)


def demo(binary, work, errors, checked):
    conv = os.path.join(work, "proposals_4546.geojson")
    if os.path.exists(conv):
        os.remove(conv)
    subprocess.run(
        ["ogr2ogr", "-f", "GeoJSON", "-t_srs", "EPSG:4546", "-lco", "RFC7946=NO", conv, "data/yichang/proposals.geojson"],
        check=True,
    )
    doc = run(binary, ["check", "-p", "data/yichang/ironrule.toml", conv, "--format", "json", "--assume-crs", "EPSG:4546"])
    with open("data/yichang/zones/planning_parcels.geojson", encoding="utf-8") as f:
        pf = json.load(f)
    key_of = {"容积率": "max_far", "建筑密度": "max_coverage_pct", "绿地率": "min_green_pct", "建筑限高": "max_height_m", "退线距离": "setback_m"}
    parcels = {}
    for feat in pf["features"]:
        g = shape(feat["geometry"])
        props = {key_of[k]: v for k, v in feat["properties"].items() if k in key_of}
        parcel_props[id(g)] = props
        parcels[feat["properties"]["地块编号"]] = (g, props)
    with open(conv, encoding="utf-8") as f:
        cf = json.load(f)
    alias = {"建筑高度": "height_m", "建筑面积": "floor_area_m2", "绿地面积": "green_area_m2"}
    proposals = {}
    for feat in cf["features"]:
        props = {alias.get(k, k): v for k, v in feat["properties"].items()}
        pid = feat.get("id") or feat["properties"].get("id")
        proposals[pid] = (shape(feat["geometry"]), props)
    n = len([f for f in doc["findings"] if f["code"] == "YC802"])
    compare("demo", parcels, proposals, doc["findings"], "YC802", errors, checked)
    return n


def city(binary, work, seed, errors, checked):
    os.makedirs(work, exist_ok=True)
    rng = random.Random(seed)
    # A jittered lattice: parcel (i, j) is the quad of lattice points (i..i+1, j..j+1).
    pts = [[(X0 + i * CELL + (rng.uniform(-20, 20) if 0 < i < N else 0), Y0 + j * CELL + (rng.uniform(-20, 20) if 0 < j < N else 0)) for j in range(N + 1)] for i in range(N + 1)]
    parcels, feats = {}, []
    for i in range(N):
        for j in range(N):
            ring = [pts[i][j], pts[i + 1][j], pts[i + 1][j + 1], pts[i][j + 1], pts[i][j]]
            g = Polygon(ring)
            props = {
                "max_far": round(rng.uniform(0.5, 5.0), 2),
                "max_coverage_pct": rng.choice([20, 30, 40, 50, 60]),
                "min_green_pct": rng.choice([10, 15, 20, 30, 35]),
                "max_height_m": rng.choice([24, 50, 80, 100]),
                "setback_m": rng.choice([3, 5, 8]),
            }
            # One parcel in twenty sets no FAR, one in twenty no green ratio.
            if rng.random() < 0.05:
                del props["max_far"]
            if rng.random() < 0.05:
                del props["min_green_pct"]
            pid = f"D{i:03d}-{j:03d}"
            parcel_props[id(g)] = props
            parcels[pid] = (g, props)
            feats.append({"type": "Feature", "id": pid, "properties": dict(props, pid=pid), "geometry": mapping(g)})
    write(os.path.join(work, "parcels.geojson"), feats)
    proposals, pfeats = {}, []
    for k in range(3000):
        kind = k % 3
        cx, cy = X0 + rng.uniform(0, N * CELL), Y0 + rng.uniform(0, N * CELL)
        if kind == 0:  # small, mostly inside one parcel
            w, h = rng.uniform(5, 40), rng.uniform(5, 40)
        elif kind == 1:  # big: across two to four parcels
            w, h = rng.uniform(60, 180), rng.uniform(60, 180)
        else:  # rotated
            w, h = rng.uniform(20, 120), rng.uniform(20, 120)
        a = rng.uniform(0, math.pi) if kind == 2 else 0.0
        corners = [(-w / 2, -h / 2), (w / 2, -h / 2), (w / 2, h / 2), (-w / 2, h / 2)]
        ring = [(cx + x * math.cos(a) - y * math.sin(a), cy + x * math.sin(a) + y * math.cos(a)) for x, y in corners]
        g = Polygon(ring + [ring[0]])
        props = {
            "height_m": rng.choice([12.0, 30.0, 60.0, 90.0]),
            "floor_area_m2": round(g.area * rng.uniform(0.5, 8.0), 1),
            "green_area_m2": round(g.area * rng.uniform(0.1, 4.0), 1),
        }
        pid = f"Q{k:04d}"
        proposals[pid] = (g, props)
        pfeats.append({"type": "Feature", "id": pid, "properties": props, "geometry": mapping(g)})
    write(os.path.join(work, "proposals.geojson"), pfeats)
    rules = os.path.join(work, "rules")
    # A rerun starts from the plan rules alone (the indicators are added after the check).
    if os.path.exists(os.path.join(rules, "indicators.toml")):
        os.remove(os.path.join(rules, "indicators.toml"))
    for d in ["C001-plan", "C002-straddle"]:
        os.makedirs(os.path.join(rules, d), exist_ok=True)
    with open(os.path.join(rules, "pack.toml"), "w") as f:
        f.write('id = "city"\ntitle = "generated city"\njurisdiction = "none"\nversion = "0"\ncode_prefix = "C"\n')
    common = '[citation]\ninstrument = "test"\n'
    with open(os.path.join(rules, "C001-plan", "rule.toml"), "w") as f:
        f.write('code = "C001"\nname = "plan"\nsummary = "s"\nseverity = "prohibited"\nmessage = "{value}"\n' + common + '[test]\nkind = "plan_limits"\nlayer = "parcels"\n')
    with open(os.path.join(rules, "C002-straddle", "rule.toml"), "w") as f:
        f.write('code = "C002"\nname = "straddle"\nsummary = "s"\nseverity = "notice"\nmessage = "{value}"\n' + common + '[test]\nkind = "parcel_fit"\nlayer = "parcels"\nreport = "straddle"\nmin_area_m2 = 0\n')
    with open(os.path.join(work, "ironrule.toml"), "w") as f:
        f.write('crs = "EPSG:4546"\nrules = ["rules"]\narea_margin_m = 1000\n\n[[layer]]\nname = "parcels"\npath = "parcels.geojson"\nkind = "planning_parcels"\nid_field = "pid"\n')
    doc = run(binary, ["check", "-p", os.path.join(work, "ironrule.toml"), os.path.join(work, "proposals.geojson"), "--format", "json"])
    if doc["summary"].get("rejected", 0):
        errors.append(f"city: {doc['summary']['rejected']} proposals rejected")
    compare("city", parcels, proposals, doc["findings"], "C001", errors, checked)
    # Reconciliation: a straddling proposal inside the city is the sum of its parts.
    city_box = box(X0, Y0, X0 + N * CELL, Y0 + N * CELL)
    straddles = 0
    for f in doc["findings"]:
        if f["code"] != "C002":
            continue
        fp = proposals[f["feature"]["id"]][0]
        parts = f["plan"]["parcels"]
        if city_box.contains(fp):
            straddles += 1
            total = sum(p["part"] for p in parts)
            bound = sum(grid_bound(fp, parcels[p["parcel"]][0]) for p in parts)
            if abs(total - fp.area) > REL * fp.area + bound:
                errors.append(f"city: {f['feature']['id']} parts sum to {total}, its area is {fp.area}")
        for p in parts:
            g = parcels[p["parcel"]][0]
            if abs(p["part"] - fp.intersection(g).area) > REL * p["part"] + grid_bound(fp, g):
                errors.append(f"city: {f['feature']['id']} part on {p['parcel']} {p['part']} vs GEOS {fp.intersection(g).area}")
    total_area = sum(g.area for g, _ in parcels.values())
    if not close(total_area, city_box.area, 1e-9):
        errors.append(f"city: the parcels' areas sum to {total_area}, the city is {city_box.area}")
    city_indicators(binary, work, seed, parcels, proposals, errors, checked)
    return len(doc["findings"]), straddles


def city_indicators(binary, work, seed, parcels, proposals, errors, checked):
    """The generated city's indicators against GEOS: 100 districts of 1 km; the share of green
    parcels (a fifth of them) and blue circles over them (overlaps counted once), and the green
    area in ha, before and after the 3,000 proposals; the districts' areas sum to the city's."""
    from shapely import union_all
    from shapely.geometry import Point
    rng = random.Random(seed + 1)
    green = [g for g, _ in parcels.values() if rng.random() < 0.2]
    blue = [Point(X0 + rng.uniform(0, N * CELL), Y0 + rng.uniform(0, N * CELL)).buffer(rng.uniform(100, 400), 16) for _ in range(30)]
    districts = {f"K{i}{j}": box(X0 + i * 1000, Y0 + j * 1000, X0 + (i + 1) * 1000, Y0 + (j + 1) * 1000) for i in range(10) for j in range(10)}
    feats = lambda gs: [{"type": "Feature", "id": f"g{k}", "properties": {}, "geometry": mapping(g)} for k, g in enumerate(gs)]
    write(os.path.join(work, "green.geojson"), feats(green))
    write(os.path.join(work, "blue.geojson"), feats(blue))
    write(os.path.join(work, "districts.geojson"), [{"type": "Feature", "id": k, "properties": {}, "geometry": mapping(g)} for k, g in districts.items()])
    with open(os.path.join(work, "rules", "indicators.toml"), "w") as f:
        f.write('[[indicator]]\nid = "green_blue"\nname = "g"\nunit = "%"\ndirection = "at_least"\ntarget = 10\n'
                'formula = { kind = "area_share", layers = ["green", "blue"] }\n\n'
                '[[indicator]]\nid = "green_ha"\nname = "h"\nunit = "ha"\ndirection = "at_least"\ntarget = 1\n'
                'formula = { kind = "area", layers = ["green"] }\n')
    with open(os.path.join(work, "ironrule.toml"), "a") as f:
        f.write('\n[[layer]]\nname = "green"\npath = "green.geojson"\n\n[[layer]]\nname = "blue"\npath = "blue.geojson"\n'
                '\n[[layer]]\nname = "districts"\npath = "districts.geojson"\n')
    with open(os.path.join(work, "ironrule.toml")) as f:
        text = f.read()
    with open(os.path.join(work, "ironrule.toml"), "w") as f:
        f.write('group_by = "districts"\n' + text)
    p = subprocess.run([binary, "indicators", "-p", os.path.join(work, "ironrule.toml"), "-f", "json", os.path.join(work, "proposals.geojson")], capture_output=True, text=True)
    if p.returncode == 2:
        sys.exit(f"ironrule indicators exited 2:\n{p.stderr}")
    doc = json.loads(p.stdout)
    by_id = {i["id"]: i for i in doc["indicators"]}
    land = union_all(green + blue)
    greens = union_all(green)
    taken = union_all([g for g, _ in proposals.values()])
    for d in by_id["green_blue"]["districts"]:
        g = districts[d["id"]]
        here = land.intersection(g)
        after = here.difference(taken)
        bound = grid_bound(here, g) + grid_bound(here, taken.intersection(g.buffer(1)))
        for what, want, got in [("base", g.area, d["base"]), ("before", here.area, d["amount_before"]), ("after", after.area, d["amount_after"])]:
            checked[0] += 1
            if abs(got - want) > REL * want + bound + 1e-6:
                errors.append(f"city indicators: green_blue {d['id']} {what} {got} vs GEOS {want}")
    for d in by_id["green_ha"]["districts"]:
        g = districts[d["id"]]
        here = greens.intersection(g)
        for what, want, got in [("before", here.area / 1e4, d["before"]), ("after", here.difference(taken).area / 1e4, d["after"])]:
            checked[0] += 1
            if abs(got - want) > REL * want + (grid_bound(here, g) + grid_bound(here, taken.intersection(g.buffer(1)))) / 1e4 + 1e-9:
                errors.append(f"city indicators: green_ha {d['id']} {what} {got} vs GEOS {want}")
    city = by_id["green_blue"]["city"]
    total = sum(d["base"] for d in by_id["green_blue"]["districts"])
    if not (close(city["base"], total, 1e-12) and close(total, (N * CELL) ** 2, 1e-9)):
        errors.append(f"city indicators: the districts' areas sum to {total}, the city is {city['base']} (want {(N * CELL) ** 2})")
    amounts = sum(d["amount_after"] for d in by_id["green_blue"]["districts"])
    if not close(city["amount_after"], amounts, 1e-12) or not close(city["after"], amounts / total * 100, 1e-12):
        errors.append("city indicators: the city's share is not the districts' amounts over their areas")


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)["features"]


def indicators(binary, work, errors, checked):
    """The demo's indicators against GEOS: per district, the landscape and ecological space
    (union of the layers within the district) before and after two proposals that take
    landscape (P06 in the red line, P29 on Moji mountain), the district areas (which must sum
    to the city's), the natural shoreline (the Yangtze's edge farther than 50 m from the shore
    works) and the chemical sites within 1 km of the Yangtze."""
    from shapely import union_all
    conv = os.path.join(work, "proposals_4546.geojson")
    two = [f for f in load(conv) if (f.get("id") or f["properties"].get("id")) in ("P06", "P29")]
    pick = os.path.join(work, "two.geojson")
    write(pick, two)
    base = ["indicators", "-p", "data/yichang/ironrule.toml", "-f", "json"]
    doc = run(binary, base + ["--assume-crs", "EPSG:4546", pick])
    zones = "data/yichang/zones/"
    districts = {f["id"]: shape(f["geometry"]) for f in load(zones + "districts.geojson")}
    layer = lambda n: union_all([shape(f["geometry"]) for f in load(zones + n + ".geojson")])
    taken = union_all([shape(f["geometry"]) for f in two])
    by_id = {i["id"]: i for i in doc["indicators"]}
    city_area = 0.0
    for ind, layers in [("landscape_share", ["red_line", "green_register", "yangtze", "wetland"]),
                        ("ecological_space_share", ["red_line", "mountains", "wetland", "blue_line"])]:
        land = union_all([layer(n) for n in layers])
        for d in by_id[ind]["districts"]:
            g = districts[d["id"]]
            here = land.intersection(g)
            after = here.difference(taken)
            bound = grid_bound(here, g) + grid_bound(here, taken)
            for what, want, got in [("base", g.area, d["base"]), ("before", here.area, d["amount_before"]), ("after", after.area, d["amount_after"])]:
                checked[0] += 1
                if abs(got - want) > REL * want + bound + 1e-6:
                    errors.append(f"indicators: {ind} {d['id']} {what} {got} vs GEOS {want}")
        total = sum(d["base"] for d in by_id[ind]["districts"])
        city_area = by_id[ind]["city"]["base"]
        if not close(total, city_area, 1e-12) or not close(city_area, union_all(list(districts.values())).area, 1e-9):
            errors.append(f"indicators: {ind} districts sum to {total}, the city is {city_area}")
    # Natural shoreline: geo's and GEOS's buffers draw the 50 m arcs with different segments.
    shore = layer("yangtze").boundary
    band = layer("shoreline_works").buffer(50).union(taken.buffer(50))
    band_before = layer("shoreline_works").buffer(50)
    for d in by_id["natural_shoreline_share"]["districts"]:
        g = districts[d["id"]]
        line = shore.intersection(g)
        for what, want, got in [("base", line.length, d["base"]), ("before", line.difference(band_before).length, d["amount_before"]), ("after", line.difference(band).length, d["amount_after"])]:
            checked[0] += 1
            if abs(got - want) > 1e-3 * max(want, 1.0):
                errors.append(f"indicators: natural shoreline {d['id']} {what} {got} vs GEOS {want}")
    yangtze = layer("yangtze")
    for d in by_id["chemical_sites_near_yangtze"]["districts"]:
        g = districts[d["id"]]
        want = sum(1 for f in load(zones + "chemical_sites.geojson") if g.intersects(shape(f["geometry"])) and shape(f["geometry"]).distance(yangtze) <= 1000)
        checked[0] += 1
        if d["before"] != want:
            errors.append(f"indicators: chemical sites in {d['id']} {d['before']} vs GEOS {want}")
    return len(doc["indicators"]), city_area


def main():
    binary, work = sys.argv[1], sys.argv[2]
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 19
    os.makedirs(work, exist_ok=True)
    errors, checked = [], [0, 0]
    n_demo = demo(binary, work, errors, checked)
    n_city, straddles = city(binary, os.path.join(work, "city"), seed, errors, checked)
    n_ind, city_area = indicators(binary, work, errors, checked)
    if errors:
        print("\n".join(errors[:50]))
        sys.exit(f"plan oracle: {len(errors)} disagreements with GEOS")
    print(
        f"plan oracle: GEOS agrees on {checked[0]} (proposal, parcel, limit) measures, {checked[1]} of them broken and reported; demo {n_demo} YC802 findings, "
        f"city of {N * N} parcels {n_city} findings, {straddles} straddles reconciled to their areas; "
        f"{n_ind} indicators per district agree, the districts' areas sum to the city's {city_area:.0f} m²"
    )


if __name__ == "__main__":
    main()

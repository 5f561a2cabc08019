#!/usr/bin/env python3
# Vendored from the peer harness (../shared/peers/gen_data.py, GEN_VERSION 1) so that CI can
# generate W1 without it (the Python package's Spark test); keep it identical to the harness's.
"""Deterministic synthetic workload for the ecological-boundary peer harness.

Writes, into DATA_DIR (default /tmp/peers/data):

  redlines.*         ~2,000 "ecological red line" polygons (50-500 vertices, some with holes)
  rivers.*           300 river linestrings (main river as two bank lines, tributaries, one canal)
  urban_boundary.*   1 urban development boundary multipolygon (4 parts, one hole)
  parcels_<tag>.*    N parcel / building footprint polygons (tag = 10k, 100k, 1m, ...)

in the formats GeoJSON (.geojson), GeoParquet (.parquet), FlatGeobuf (.fgb) and
GeoPackage (.gpkg), all in EPSG:4546 (CGCS2000 / 3-degree Gauss-Kruger CM 111E).
Every coordinate is rounded to 0.01 m before writing, so every format stores the
same doubles.  See README.md for the exact definition of the workload.

Usage:  gen_data.py [DATA_DIR] [--sizes 10k,100k,1m] [--seed 20240611]
                    [--formats geojson,parquet,fgb,gpkg]
"""
import argparse
import hashlib
import json
import os
import sys
import time

import numpy as np
import shapely
from shapely.geometry import LineString, MultiPolygon, Polygon

GEN_VERSION = "1"
CRS = "EPSG:4546"
X0, X1 = 440_000.0, 560_000.0
Y0, Y1 = 3_340_000.0, 3_460_000.0
CX, CY = 500_000.0, 3_400_000.0
RIVER_HALF_WIDTH = 450.0          # main river: banks are the centreline offset by +-450 m
CANAL_Y = 3_420_000.0             # straight canal, exact integer vertices
CANAL_X0, CANAL_X1, CANAL_STEP = 470_000.0, 480_000.0, 50.0
N_EDGE_CASES = 10                 # parcel ids 1..10 are hand-built edge cases
PIECE_SEGMENTS = 32               # river_pieces: each river cut into runs of <= 32 segments

LAND_USES = ["residential", "commercial", "industrial", "industrial_chemical", "green"]


def parse_size(s):
    s = s.strip().lower()
    mult = 1
    if s.endswith("k"):
        mult, s = 1_000, s[:-1]
    elif s.endswith("m"):
        mult, s = 1_000_000, s[:-1]
    return int(float(s) * mult)


def size_tag(n):
    if n % 1_000_000 == 0:
        return f"{n // 1_000_000}m"
    if n % 1_000 == 0:
        return f"{n // 1_000}k"
    return str(n)


def rnd(a):
    """Round coordinates to 0.01 m (centimetre grid)."""
    return np.round(np.asarray(a, dtype=np.float64), 2)


# ----------------------------------------------------------------------------
# Main river
# ----------------------------------------------------------------------------
def river_centre_y(x):
    x = np.asarray(x, dtype=np.float64)
    return (CY - 0.15 * (x - CX)
            + 6000.0 * np.sin(2 * np.pi * (x - X0) / 38_000.0 + 0.7)
            + 1500.0 * np.sin(2 * np.pi * x / 9_500.0 + 2.1)
            + 100.0 * np.sin(2 * np.pi * x / 3_100.0 + 0.3))


def resample(line, n):
    """n points equally spaced by arc length along line (end points included)."""
    d = np.linspace(0.0, line.length, n)
    pts = shapely.line_interpolate_point(line, d)
    return np.column_stack([shapely.get_x(pts), shapely.get_y(pts)])


def make_main_river():
    xs = np.linspace(X0 - 2000.0, X1 + 2000.0, 20_000)
    centre = LineString(np.column_stack([xs, river_centre_y(xs)]))
    banks = []
    for side in (+1, -1):   # +1: left (north) bank, -1: right (south) bank
        off = shapely.offset_curve(centre, side * RIVER_HALF_WIDTH, quad_segs=16, join_style="round")
        off = shapely.clip_by_rect(off, X0, Y0, X1, Y1)
        if off.geom_type != "LineString":
            off = max(off.geoms, key=lambda g: g.length)
        c = resample(off, 2000)
        if c[0, 0] > c[-1, 0]:
            c = c[::-1]
        banks.append(LineString(rnd(c)))
    left, right = banks
    channel = Polygon(np.vstack([np.asarray(left.coords), np.asarray(right.coords)[::-1]]))
    if not channel.is_valid:
        channel = shapely.make_valid(channel)
    assert left.is_simple and right.is_simple and not left.intersects(right)
    return centre, left, right, channel


# ----------------------------------------------------------------------------
# Tributaries
# ----------------------------------------------------------------------------
def random_walk(rng, start, heading, nverts, step, channel_p, wiggle=0.12, pull=0.03):
    pts = np.empty((nverts, 2))
    pts[0] = start
    h0 = h = heading
    for i in range(1, nverts):
        h += rng.normal(0.0, wiggle) + pull * np.arctan2(np.sin(h0 - h), np.cos(h0 - h))
        pts[i] = pts[i - 1] + step * np.array([np.cos(h), np.sin(h)])
        if not (X0 < pts[i, 0] < X1 and Y0 < pts[i, 1] < Y1):
            return None
    line = LineString(rnd(pts))
    # must not run (back) into the main river channel except at its mouth
    if shapely.intersects(channel_p, LineString(pts[3:])):
        return None
    return line


def make_tributaries(rng, left, right, channel):
    channel_p = shapely.prepare(channel) or channel
    prim = []
    while len(prim) < 42:
        bank, side = (left, +1) if rng.random() < 0.5 else (right, -1)
        t = rng.uniform(0.03, 0.97) * bank.length
        p = bank.interpolate(t)
        q = bank.interpolate(min(bank.length, t + 5.0))
        dx, dy = q.x - p.x, q.y - p.y
        normal = np.arctan2(dx, -dy) if side > 0 else np.arctan2(-dx, dy)
        nv = int(rng.integers(800, 2001))
        line = random_walk(rng, np.array([p.x, p.y]), normal + rng.normal(0, 0.35), nv,
                           rng.uniform(25.0, 35.0), channel)
        if line is not None:
            prim.append(line)
    sec = []
    while len(sec) < 255:
        parent = prim[int(rng.integers(0, len(prim)))]
        pc = np.asarray(parent.coords)
        j = int(rng.integers(100, len(pc) - 2))
        d = pc[j + 1] - pc[j - 1]
        h = np.arctan2(d[1], d[0]) + (1 if rng.random() < 0.5 else -1) * rng.uniform(0.7, 1.4)
        nv = int(rng.integers(200, 801))
        line = random_walk(rng, pc[j], h, nv, rng.uniform(15.0, 30.0), channel)
        if line is not None:
            sec.append(line)
    return prim, sec


# ----------------------------------------------------------------------------
# Star-shaped irregular polygons (always simple: one boundary point per ray)
# ----------------------------------------------------------------------------
def star_ring(rng, cx, cy, radius, nverts, harmonics=6, amp=0.28, jitter=0.03):
    th = np.sort(2 * np.pi * (np.arange(nverts) + rng.uniform(-0.3, 0.3, nverts)) / nverts)
    th += rng.uniform(0, 2 * np.pi)
    f = np.ones(nverts)
    for k in range(1, harmonics + 1):
        f += (amp / k ** 1.1) * rng.uniform(-1, 1) * np.sin(k * th + rng.uniform(0, 2 * np.pi))
    f *= 1.0 + rng.uniform(-jitter, jitter, nverts)
    f = np.maximum(f, 0.35)
    r = radius * f
    ring = np.column_stack([cx + r * np.cos(th), cy + r * np.sin(th)])
    return rnd(ring), r.min()


def make_redlines(rng, tribs, left, right, ugb):
    all_lines = tribs
    polys, ids = [], []
    bboxes = np.empty((0, 4))
    n_holes = 0
    attempts = 0
    while len(polys) < 2000:
        attempts += 1
        u = rng.random()
        if u < 0.55:
            cx, cy = rng.uniform(X0, X1), rng.uniform(Y0, Y1)
        elif u < 0.85:      # riparian reserves along tributaries
            ln = all_lines[int(rng.integers(0, len(all_lines)))]
            c = np.asarray(ln.coords)[int(rng.integers(0, len(ln.coords)))]
            cx, cy = c + rng.normal(0, 400, 2)
        else:               # wetlands along the main river
            bank = left if rng.random() < 0.5 else right
            p = bank.interpolate(rng.uniform(0, bank.length))
            cx, cy = p.x + rng.normal(0, 800), p.y + rng.normal(0, 800)
        radius = float(np.exp(rng.uniform(np.log(150.0), np.log(3000.0))))
        nv = int(np.clip(50 + 450 * (radius - 150) / 2850 + rng.normal(0, 40), 50, 500))
        ring, rmin = star_ring(rng, cx, cy, radius, nv)
        holes = []
        if radius > 500 and rng.random() < 0.12:
            hr = 0.35 * rmin
            h, _ = star_ring(rng, cx, cy, hr, int(rng.integers(20, 61)), amp=0.1, jitter=0.02)
            holes.append(h[::-1])
        poly = Polygon(ring, holes)
        if not poly.is_valid:
            continue
        b = poly.bounds
        if not (X0 < b[0] and b[2] < X1 and Y0 < b[1] and b[3] < Y1):
            continue
        cand = np.nonzero((bboxes[:, 0] <= b[2]) & (bboxes[:, 2] >= b[0]) &
                          (bboxes[:, 1] <= b[3]) & (bboxes[:, 3] >= b[1]))[0]
        if any(polys[i].intersects(poly) for i in cand):
            continue          # red lines do not overlap each other
        if poly.intersects(ugb) and rng.random() < 0.8:
            continue          # few red lines reach into the urban development boundary
        polys.append(poly)
        n_holes += bool(holes)
        bboxes = np.vstack([bboxes, b])
    return polys, n_holes


def make_urban_boundary(rng):
    parts_def = [  # (cx, cy offset from river, radius, nverts)
        (497_000.0, +1500.0, 9000.0, 1500),
        (509_000.0, -9000.0, 3500.0, 700),
        (535_000.0, +2500.0, 3800.0, 900),
        (462_000.0, -1500.0, 3200.0, 800),
    ]
    parts = []
    for k, (cx, dy, radius, nv) in enumerate(parts_def):
        cy = float(river_centre_y(cx)) + dy
        while True:
            ring, rmin = star_ring(rng, cx, cy, radius, nv, harmonics=9, amp=0.3, jitter=0.004)
            holes = []
            if k == 0:   # a mountain park excluded from the main city part
                h, _ = star_ring(rng, cx + 0.25 * rmin, cy + 0.25 * rmin, 0.3 * rmin, 120, amp=0.1)
                holes.append(h[::-1])
            p = Polygon(ring, holes)
            if p.is_valid and all(not p.intersects(q) for q in parts) and (not holes or Polygon(ring).contains(Polygon(holes[0]))):
                parts.append(p)
                break
            radius *= 0.97
    mp = MultiPolygon(parts)
    assert mp.is_valid
    return mp


# ----------------------------------------------------------------------------
# Parcels
# ----------------------------------------------------------------------------
# component: (weight, land-use probabilities [res, com, ind, chem, green])
COMPONENTS = {
    "city":     (0.40, [0.62, 0.22, 0.06, 0.01, 0.09]),
    "south":    (0.12, [0.60, 0.15, 0.12, 0.03, 0.10]),
    "east":     (0.10, [0.45, 0.10, 0.30, 0.08, 0.07]),
    "west":     (0.08, [0.55, 0.12, 0.20, 0.05, 0.08]),
    "riverside": (0.15, [0.25, 0.10, 0.37, 0.18, 0.10]),
    "village":  (0.10, [0.75, 0.05, 0.05, 0.02, 0.13]),
    "scatter":  (0.05, [0.50, 0.05, 0.20, 0.05, 0.20]),
}


def sample_centres(rng, m, village_pts):
    names = list(COMPONENTS)
    w = np.array([COMPONENTS[k][0] for k in names])
    comp = rng.choice(len(names), size=m, p=w / w.sum())
    x = np.empty(m)
    y = np.empty(m)
    for ci, name in enumerate(names):
        sel = comp == ci
        k = int(sel.sum())
        if name == "city":
            x[sel] = rng.normal(497_000, 5000, k)
            y[sel] = river_centre_y(x[sel]) + rng.normal(800, 3500, k)
        elif name == "south":
            x[sel] = rng.normal(509_000, 2200, k)
            y[sel] = river_centre_y(509_000) - 9000 + rng.normal(0, 1800, k)
        elif name == "east":
            x[sel] = rng.normal(535_000, 2000, k)
            y[sel] = river_centre_y(x[sel]) + 2500 + rng.normal(0, 1800, k)
        elif name == "west":
            x[sel] = rng.normal(462_000, 1700, k)
            y[sel] = river_centre_y(x[sel]) - 1500 + rng.normal(0, 1500, k)
        elif name == "riverside":
            x[sel] = rng.uniform(X0 + 1000, X1 - 1000, k)
            side = np.where(rng.random(k) < 0.5, 1.0, -1.0)
            y[sel] = river_centre_y(x[sel]) + side * (RIVER_HALF_WIDTH + np.abs(rng.normal(0, 1200, k)))
        elif name == "village":
            v = village_pts[rng.integers(0, len(village_pts), k)]
            x[sel] = v[:, 0] + rng.normal(0, 300, k)
            y[sel] = v[:, 1] + rng.normal(0, 300, k)
        else:
            x[sel] = rng.uniform(X0, X1, k)
            y[sel] = rng.uniform(Y0, Y1, k)
    lu = np.empty(m, dtype=np.int8)
    u = rng.random(m)
    for ci, name in enumerate(names):
        sel = comp == ci
        cum = np.cumsum(COMPONENTS[name][1])
        lu[sel] = np.searchsorted(cum / cum[-1], u[sel], side="right")
    return x, y, lu


def make_shapes(rng, x, y, lu):
    """Vectorised footprints: rectangles, L-shapes and star-shaped polygons (4..40 vertices)."""
    m = len(x)
    d = np.exp(rng.normal(np.log(28.0), 0.55, m))
    d *= np.choose(lu, [1.0, 1.3, 2.5, 3.0, 1.6])
    d = np.clip(d, 10.0, 200.0)               # "across" = max extent, 10..200 m
    rot = rng.uniform(0, np.pi, m)
    kind = rng.random(m)
    nv = np.where(kind < 0.5, 4, np.where(kind < 0.65, 6, rng.integers(5, 41, m)))
    nv = np.where((kind >= 0.65) & (nv == 6), 7, nv)   # star shapes never use the L-shape count
    geoms = np.empty(m, dtype=object)
    for k in np.unique(nv):
        idx = np.nonzero(nv == k)[0]
        c = len(idx)
        dk = d[idx]
        if k == 4:
            a = rng.uniform(0.35, 1.0, c)
            L = dk / np.sqrt(1 + a * a)
            W = a * L
            loc = np.stack([np.column_stack([-L, -W]), np.column_stack([L, -W]),
                            np.column_stack([L, W]), np.column_stack([-L, W])], axis=1) / 2
        elif k == 6:
            a = rng.uniform(0.5, 1.0, c)
            L = dk / np.sqrt(1 + a * a)
            W = a * L
            bx = L * rng.uniform(0.3, 0.7, c)
            by = W * rng.uniform(0.3, 0.7, c)
            z = np.zeros(c)
            loc = np.stack([np.column_stack([z, z]), np.column_stack([L, z]), np.column_stack([L, by]),
                            np.column_stack([bx, by]), np.column_stack([bx, W]), np.column_stack([z, W])], axis=1)
            loc -= np.stack([L / 2, W / 2], axis=1)[:, None, :]
        else:
            th = 2 * np.pi * (np.arange(k)[None, :] + rng.uniform(-0.3, 0.3, (c, k))) / k
            r = (dk / 2)[:, None] * rng.uniform(0.55, 1.0, (c, k))
            loc = np.stack([r * np.cos(th), r * np.sin(th)], axis=2)
        cr, sr = np.cos(rot[idx])[:, None], np.sin(rot[idx])[:, None]
        gx = x[idx, None] + loc[:, :, 0] * cr - loc[:, :, 1] * sr
        gy = y[idx, None] + loc[:, :, 0] * sr + loc[:, :, 1] * cr
        ring = rnd(np.stack([gx, gy], axis=2))
        ring = np.concatenate([ring, ring[:, :1, :]], axis=1)
        geoms[idx] = shapely.polygons(ring)
    bad = ~shapely.is_valid(geoms)
    if bad.any():   # practically never; fall back to an axis-aligned 10 m square
        for i in np.nonzero(bad)[0]:
            geoms[i] = shapely.box(*rnd([x[i] - 5, y[i] - 5, x[i] + 5, y[i] + 5]))
    return geoms


def make_heights(rng, lu):
    med = np.choose(lu, [18.0, 24.0, 12.0, 15.0, 3.0])
    h = np.exp(rng.normal(np.log(med), 0.5))
    h = np.clip(h, 2.0, 300.0)
    return np.round(h, 1)


def make_edge_cases(redlines, ugb, left, channel, rivers_lines):
    """Ten hand-built parcels (ids 1..10) exercising boundary semantics."""
    out = []   # (geom, land_use, note)
    # 1 & 2: touching a red line from outside (shared edge / shared single vertex)
    rl_union_tree = shapely.STRtree(redlines)
    found_edge = found_vertex = None
    for zi, z in enumerate(redlines):
        ext = np.asarray(z.exterior.coords)
        if not shapely.is_ccw(z.exterior):
            ext = ext[::-1]
        for j in range(0, len(ext) - 2, 7):
            a, b = ext[j], ext[j + 1]
            v = b - a
            ln = np.hypot(*v)
            if found_edge is None and 15 < ln < 150:
                out_n = np.array([v[1], -v[0]]) / ln      # right of a CCW ring = outside
                q = Polygon([tuple(a), tuple(rnd(a + 20 * out_n)), tuple(rnd(b + 20 * out_n)), tuple(b)])
                hits = rl_union_tree.query(q, predicate="intersects")
                if (q.is_valid and list(hits) == [zi] and z.touches(q) and z.intersection(q).geom_type == "LineString"
                        and not q.intersects(channel)):
                    found_edge = q
            if found_vertex is None and j > 0:
                pa, pb = ext[j - 1], ext[j + 1]
                bis = (a - pa) / np.hypot(*(a - pa)) + (a - pb) / np.hypot(*(a - pb))
                if np.hypot(*bis) > 0.5:
                    bis /= np.hypot(*bis)
                    perp = np.array([-bis[1], bis[0]])
                    q = Polygon([tuple(a), tuple(rnd(a + 15 * bis + 8 * perp)), tuple(rnd(a + 30 * bis)),
                                 tuple(rnd(a + 15 * bis - 8 * perp))])
                    hits = rl_union_tree.query(q, predicate="intersects")
                    if (q.is_valid and list(hits) == [zi] and z.touches(q)
                            and z.intersection(q).geom_type == "Point" and not q.intersects(channel)):
                        found_vertex = q
        if found_edge is not None and found_vertex is not None:
            break
    out.append((found_edge, "residential", "shares an edge with a red-line polygon (outside): R1 pair, area 0"))
    out.append((found_vertex, "residential", "touches a red-line polygon at one vertex: R1 pair, area 0"))
    # 3..5: canal distance 50.00 / 49.99 / 50.01 m (canal is y = CANAL_Y, exact)
    river_tree = shapely.STRtree(rivers_lines)
    for dist in (50.0, 49.99, 50.01):
        x = 471_010.0
        while True:
            q = shapely.box(x, CANAL_Y + dist, x + 20.0, CANAL_Y + dist + 20.0)
            near = river_tree.query(q, predicate="dwithin", distance=120.0)
            if len(near) == 1 and not rl_union_tree.query(q, predicate="dwithin", distance=1.0).size:
                break
            x += 100.0
        out.append((q, "residential", f"{dist:.2f} m from the canal: R2 {'yes' if dist <= 50 else 'no'}"))
    # 6: inside the hole of a holed red line
    holed = [z for z in redlines if len(z.interiors) > 0]
    hole = Polygon(holed[0].interiors[0])
    c = hole.representative_point()
    q = shapely.box(*rnd([c.x - 5, c.y - 5, c.x + 5, c.y + 5]))
    assert hole.contains(q) and not holed[0].intersects(q)
    out.append((q, "green", "inside the hole of a red-line polygon: no R1"))
    # 7 & 8: sharing an edge with the urban boundary from inside / from outside; 9: straddling it
    part = max(ugb.geoms, key=lambda g: g.area)
    ext = np.asarray(part.exterior.coords)
    if not shapely.is_ccw(part.exterior):
        ext = ext[::-1]
    got_in = got_out = got_cross = None
    for j in range(5, len(ext) - 2, 3):
        a, b = ext[j], ext[j + 1]
        v = b - a
        ln = np.hypot(*v)
        if not 15 < ln < 150:
            continue
        out_n = np.array([v[1], -v[0]]) / ln
        qi = Polygon([tuple(a), tuple(b), tuple(rnd(b - 3 * out_n)), tuple(rnd(a - 3 * out_n))])
        qo = Polygon([tuple(a), tuple(rnd(a + 3 * out_n)), tuple(rnd(b + 3 * out_n)), tuple(b)])
        m = (a + b) / 2
        qc = shapely.box(*rnd([m[0] - 6, m[1] - 6, m[0] + 6, m[1] + 6]))
        if got_in is None and qi.is_valid and ugb.contains(qi) and not qi.intersects(channel):
            got_in = qi
        elif got_out is None and qo.is_valid and ugb.touches(qo) and not qo.intersects(channel):
            got_out = qo
        elif got_cross is None and ugb.overlaps(qc) and not qc.intersects(channel):
            got_cross = qc
        if got_in is not None and got_out is not None and got_cross is not None:
            break
    out.append((got_in, "commercial", "inside the urban boundary sharing an edge with it: no R4"))
    out.append((got_out, "commercial", "outside the urban boundary sharing an edge with it: R4, area_outside = area"))
    out.append((got_cross, "commercial", "straddles the urban boundary: R4, partial area"))
    # 10: chemical plant with one vertex exactly on a main-river bank vertex (distance 0)
    lc = np.asarray(left.coords)
    j = 1000
    a = lc[j]
    v = lc[j + 1] - lc[j - 1]
    n_land = np.array([-v[1], v[0]]) / np.hypot(*v)     # left of the eastward left bank = north = land
    perp = v / np.hypot(*v)
    q = Polygon([tuple(a), tuple(rnd(a + 20 * perp + 20 * n_land)), tuple(rnd(a + 40 * n_land)),
                 tuple(rnd(a - 20 * perp + 20 * n_land))])
    assert q.is_valid and q.touches(left)
    out.append((q, "industrial_chemical", "vertex on the main-river bank: R2 distance 0, R3 yes"))
    assert len(out) == N_EDGE_CASES and all(g is not None and g.is_valid for g, _, _ in out)
    return out


# ----------------------------------------------------------------------------
# Writers
# ----------------------------------------------------------------------------
def river_pieces(rivers_gdf):
    """Vertex-preserving split of every river into consecutive runs of <= PIECE_SEGMENTS
    segments (neighbouring pieces share one end vertex).  The distance from a parcel to
    a river is exactly the minimum over its pieces, so rules evaluated on pieces give
    the same answer (and the same doubles) as on whole lines."""
    rows = []
    for rid, is_main, g in zip(rivers_gdf["id"], rivers_gdf["is_main"], rivers_gdf.geometry):
        c = np.asarray(g.coords)
        for k, i in enumerate(range(0, len(c) - 1, PIECE_SEGMENTS)):
            rows.append((int(rid), k + 1, int(is_main), LineString(c[i:i + PIECE_SEGMENTS + 1])))
    return rows


def write_layer(gdf, data_dir, stem, formats, layer):
    import pyogrio
    written = []
    for fmt in formats:
        old = os.path.join(data_dir, f"{stem}.{fmt}")
        if os.path.exists(old):
            os.remove(old)          # GDAL would otherwise add the layer to the old file
        if fmt == "parquet":
            p = os.path.join(data_dir, stem + ".parquet")
            gdf.to_parquet(p, index=False, geometry_encoding="WKB", schema_version="1.0.0")
        elif fmt == "geojson":
            p = os.path.join(data_dir, stem + ".geojson")
            pyogrio.write_dataframe(gdf, p, driver="GeoJSON", layer=layer,
                                    layer_options={"COORDINATE_PRECISION": "2", "WRITE_NAME": "NO"})
        elif fmt == "fgb":
            p = os.path.join(data_dir, stem + ".fgb")
            pyogrio.write_dataframe(gdf, p, driver="FlatGeobuf", layer=layer, layer_options={"SPATIAL_INDEX": "YES"})
        elif fmt == "gpkg":
            p = os.path.join(data_dir, stem + ".gpkg")
            # GeoPackage 1.2 so that older GDAL (e.g. Debian 12's 3.6) opens it without warnings
            pyogrio.write_dataframe(gdf, p, driver="GPKG", layer=layer, dataset_options={"VERSION": "1.2"})
        else:
            raise ValueError(fmt)
        if os.path.exists(p):
            written.append(p)
    return written


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data_dir", nargs="?", default="/tmp/peers/data")
    ap.add_argument("--sizes", default="10k,100k,1m")
    ap.add_argument("--seed", type=int, default=20240611)
    ap.add_argument("--formats", default="geojson,parquet,fgb,gpkg")
    ap.add_argument("--skip-zones", action="store_true", help="reuse zone files already in data_dir")
    args = ap.parse_args()
    import geopandas as gpd
    import pandas as pd

    os.makedirs(args.data_dir, exist_ok=True)
    formats = [f for f in args.formats.split(",") if f]
    t0 = time.time()
    rng = np.random.default_rng([args.seed, 1])
    centre, left, right, channel = make_main_river()
    prim, sec = make_tributaries(rng, left, right, channel)
    canal = LineString([(x, CANAL_Y) for x in np.arange(CANAL_X0, CANAL_X1 + 1, CANAL_STEP)])
    rivers = [left, right] + prim + sec + [canal]
    kinds = ["main_left_bank", "main_right_bank"] + ["tributary"] * len(prim) + ["tributary_2"] * len(sec) + ["canal"]
    rivers_gdf = gpd.GeoDataFrame({
        "id": np.arange(1, len(rivers) + 1, dtype=np.int32),
        "kind": kinds,
        "is_main": np.array([1, 1] + [0] * (len(rivers) - 2), dtype=np.int32),
    }, geometry=rivers, crs=CRS)
    ugb = make_urban_boundary(rng)
    redlines, n_holes = make_redlines(rng, prim + sec, left, right, ugb)
    red_gdf = gpd.GeoDataFrame({
        "id": np.arange(1, len(redlines) + 1, dtype=np.int32),
        "name": [f"RL-{i:04d}" for i in range(1, len(redlines) + 1)],
    }, geometry=redlines, crs=CRS)
    ugb_gdf = gpd.GeoDataFrame({"id": np.array([1], dtype=np.int32), "name": ["urban development boundary"]},
                               geometry=[ugb], crs=CRS)
    print(f"zones: {len(red_gdf)} red lines ({n_holes} with holes, "
          f"{int(shapely.get_num_coordinates(red_gdf.geometry.values).sum())} coords), "
          f"{len(rivers_gdf)} rivers ({int(shapely.get_num_coordinates(rivers_gdf.geometry.values).sum())} coords), "
          f"urban boundary {len(ugb.geoms)} parts / {shapely.get_num_coordinates(ugb)} coords "
          f"[{time.time() - t0:.1f}s]", flush=True)
    manifest = {"generator_version": GEN_VERSION, "seed": args.seed, "crs": CRS, "files": {}}
    if not args.skip_zones:
        for gdf, stem in ((red_gdf, "redlines"), (rivers_gdf, "rivers"), (ugb_gdf, "urban_boundary")):
            for p in write_layer(gdf, args.data_dir, stem, formats, stem):
                manifest["files"][os.path.basename(p)] = None
    import geopandas as gpd_
    pieces = river_pieces(rivers_gdf)
    pieces_gdf = gpd_.GeoDataFrame({
        "id": np.arange(1, len(pieces) + 1, dtype=np.int32),
        "rid": np.array([r[0] for r in pieces], dtype=np.int32),
        "piece": np.array([r[1] for r in pieces], dtype=np.int32),
        "is_main": np.array([r[2] for r in pieces], dtype=np.int32),
    }, geometry=[r[3] for r in pieces], crs=CRS)
    print(f"river_pieces: {len(pieces_gdf)} pieces of <= {PIECE_SEGMENTS} segments", flush=True)
    if not args.skip_zones:
        for p in write_layer(pieces_gdf, args.data_dir, "river_pieces", formats, "river_pieces"):
            manifest["files"][os.path.basename(p)] = None
    edge = make_edge_cases(redlines, ugb, left, channel, rivers)
    channel_p = channel
    shapely.prepare(channel_p)
    village_pts = np.vstack([np.asarray(s.coords)[::50] for s in sec])
    for size in args.sizes.split(","):
        n = parse_size(size)
        tag = size_tag(n)
        t1 = time.time()
        prng = np.random.default_rng([args.seed, 2, n])
        need = n - N_EDGE_CASES
        geoms, lus = [], []
        have = 0
        while have < need:
            m = int((need - have) * 1.3) + 100
            x, y, lu = sample_centres(prng, m, village_pts)
            g = make_shapes(prng, x, y, lu)
            b = shapely.bounds(g)
            ok = (b[:, 0] > X0) & (b[:, 2] < X1) & (b[:, 1] > Y0) & (b[:, 3] < Y1)
            ok &= ~shapely.intersects(channel_p, g)
            g, lu = g[ok][: need - have], lu[ok][: need - have]
            geoms.append(g)
            lus.append(lu)
            have += len(g)
        geoms = np.concatenate([np.array([e[0] for e in edge], dtype=object)] + geoms)
        lu = np.concatenate([np.array([LAND_USES.index(e[1]) for e in edge], dtype=np.int8)] + lus)
        heights = make_heights(prng, lu)
        parcels = gpd.GeoDataFrame({
            "id": np.arange(1, n + 1, dtype=np.int64),
            "land_use": pd.Categorical.from_codes(lu, LAND_USES).astype(str),
            "height_m": heights,
        }, geometry=geoms, crs=CRS)
        nc = shapely.get_num_coordinates(parcels.geometry.values) - 1
        print(f"parcels_{tag}: {n} polygons, vertices {nc.min()}..{nc.max()} (mean {nc.mean():.1f}), "
              f"land use {dict(zip(LAND_USES, np.bincount(lu, minlength=5).tolist()))} "
              f"[gen {time.time() - t1:.1f}s]", flush=True)
        t2 = time.time()
        for p in write_layer(parcels, args.data_dir, f"parcels_{tag}", formats, "parcels"):
            manifest["files"][os.path.basename(p)] = None
        print(f"  written {formats} [{time.time() - t2:.1f}s]", flush=True)
        del parcels, geoms
    # checksums of what is on disk (GeoJSON/GeoParquet are byte-deterministic for a given library stack)
    mpath = os.path.join(args.data_dir, "MANIFEST.json")
    old = {}
    if os.path.exists(mpath):
        old = json.load(open(mpath)).get("files", {})
    for f in sorted(set(old) | set(manifest["files"])):
        p = os.path.join(args.data_dir, f)
        if os.path.exists(p) and f.endswith(".geojson"):
            h = hashlib.sha256()
            with open(p, "rb") as fh:
                for chunk in iter(lambda: fh.read(1 << 22), b""):
                    h.update(chunk)
            manifest["files"][f] = h.hexdigest()[:16]
        elif os.path.exists(p):
            manifest["files"][f] = None
    manifest["edge_cases"] = {i + 1: e[2] for i, e in enumerate(edge)}
    json.dump(manifest, open(mpath, "w"), indent=1)
    print(f"done [{time.time() - t0:.1f}s]")


if __name__ == "__main__":
    sys.exit(main())

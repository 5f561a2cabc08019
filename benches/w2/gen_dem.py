"""W2's DEM: 10 m cells over W1's extent (EPSG:4546, 440,000–560,000 E, 3,340,000–3,460,000 N:
12,000 × 12,000 cells), a seeded synthetic terrain of ridges and hills with slopes from flat to
over 40°, Float32, tiled 256 × 256, Deflate with predictor 3 (what GDAL users write).

Usage: gen_dem.py OUT.tif
"""
import os
import subprocess
import sys

import numpy as np

out = sys.argv[1]
X0, Y1, CELL, N = 440_000.0, 3_460_000.0, 10.0, 12_000
rng = np.random.default_rng(20261203)
waves = [(rng.uniform(400, 6000), rng.uniform(0, 2 * np.pi), rng.uniform(0, 2 * np.pi), rng.uniform(0, np.pi)) for _ in range(24)]
base = os.path.splitext(out)[0]
raw = base + ".bil"
with open(raw, "wb") as f:
    x = X0 + (np.arange(N) + 0.5) * CELL
    for r0 in range(0, N, 500):
        y = Y1 - (np.arange(r0, min(r0 + 500, N)) + 0.5) * CELL
        X, Y = np.meshgrid(x, y)
        z = np.full(X.shape, 200.0)
        for lam, p1, p2, th in waves:
            u = X * np.cos(th) + Y * np.sin(th)
            v = -X * np.sin(th) + Y * np.cos(th)
            # Amplitude grows with wavelength: steep short ridges, broad long ones.
            z += lam * 0.035 * np.sin(2 * np.pi * u / lam + p1) * (0.6 + 0.4 * np.cos(2 * np.pi * v / (3 * lam) + p2))
        z.astype("<f4").tofile(f)
with open(base + ".hdr", "w") as f:
    f.write(f"ENVI\nsamples = {N}\nlines = {N}\nbands = 1\nheader offset = 0\nfile type = ENVI Standard\n"
            f"data type = 4\ninterleave = bsq\nbyte order = 0\n"
            f"map info = {{Transverse Mercator, 1, 1, {X0}, {Y1}, {CELL}, {CELL}}}\n")
subprocess.run(["gdal_translate", "-q", "-a_srs", "EPSG:4546", "-co", "TILED=YES", "-co", "COMPRESS=DEFLATE",
                "-co", "PREDICTOR=3", "-co", "BIGTIFF=IF_SAFER", raw, out], check=True)
os.remove(raw)
os.remove(base + ".hdr")

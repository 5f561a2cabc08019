//! Digital elevation models: the project's `[[dem]]` rasters, read natively (GeoTIFF and
//! SRTM `.hgt`), by strip or tile on demand through a bounded cache, and sampled where they
//! lie (a DEM in another CRS than the working one is never resampled whole: footprints are
//! taken into the DEM's CRS instead).
//!
//! What the terrain rules measure is here too: the cells a footprint holds ([`Dem::cells`]:
//! a cell counts when its centre lies in the footprint, boundary included), the slope of a
//! cell by Horn's method as `gdaldem slope -compute_edges` computes it ([`slope`]), and
//! bilinear heights along a sight line ([`Dem::bilinear`]).

/// Hillshade pictures for maps, as PNG.
pub mod relief;
/// Horn's slope, cell by cell, with gdaldem's edge rules.
pub mod slope;
/// The GeoTIFF reader.
pub mod tiff;

use crate::crs::{Crs, Transformer};
use geo::{Coord, Geometry, MultiPolygon};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// What is wrong with a DEM, in words (the caller names the DEM).
pub type DemError = String;

/// The default bound of a DEM's cache of decoded strips and tiles.
pub const DEFAULT_CACHE_MB: u64 = 64;

/// One `[[dem]]` of a project file.
#[derive(Clone, Debug, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DemSpec {
    /// The name rules use (`dem = "NAME"`).
    pub name: String,
    /// A GeoTIFF or an SRTM `.hgt` file (any raster GDAL reads with the `gdal` feature),
    /// relative to the project file.
    pub path: PathBuf,
    /// The DEM's CRS where the file does not say (or says wrongly).
    #[serde(default)]
    pub crs: Option<String>,
    /// What the DEM is, for people.
    #[serde(default)]
    pub title: Option<String>,
    /// How much decoded raster to keep in memory, MiB (default 64).
    #[serde(default)]
    pub cache_mb: Option<u64>,
}

/// An opened elevation model: its grid, CRS and nodata value; values are read on demand.
#[derive(Debug)]
pub struct Dem {
    pub name: String,
    pub path: PathBuf,
    pub title: Option<String>,
    pub width: u32,
    pub height: u32,
    /// GDAL's geotransform, without rotation: `[x0, cell width, 0, y0, 0, cell height]`.
    pub transform: [f64; 6],
    pub crs: Crs,
    pub nodata: Option<f64>,
    /// The format, layout and sample type, for people (`GeoTIFF Int16, tiles 256 × 256,
    /// Deflate, predictor 2`).
    pub format: String,
    /// The layout (and, for a native raster, the reader).
    source: tiff::Tiff,
    /// A raster GDAL reads (`gdal` feature), read by blocks of the layout above.
    #[cfg(feature = "gdal")]
    gdal: Option<Mutex<gdal::Dataset>>,
    cache: Cache,
    /// The project's working CRS, which footprints come in.
    pub working: Crs,
}

/// Decoded chunks, least recently used first out, within a byte budget.
#[derive(Debug)]
struct Cache {
    budget: usize,
    inner: Mutex<CacheInner>,
}

#[derive(Debug, Default)]
struct CacheInner {
    chunks: HashMap<usize, (Arc<Vec<f64>>, u64)>,
    bytes: usize,
    tick: u64,
    /// Chunks decoded since the DEM was opened (a test's measure of reading on demand).
    decoded: u64,
}

/// A rectangle of cells: `z[(row - r0) * w + (col - c0)]`, NaN for nodata and for cells
/// outside the raster.
#[derive(Clone, Debug)]
pub struct Window {
    pub c0: i64,
    pub r0: i64,
    pub w: usize,
    pub h: usize,
    pub z: Vec<f64>,
}

impl Window {
    /// The value at a cell of the raster; NaN outside the window.
    pub fn at(&self, col: i64, row: i64) -> f64 {
        let (c, r) = (col - self.c0, row - self.r0);
        if c < 0 || r < 0 || c >= self.w as i64 || r >= self.h as i64 {
            return f64::NAN;
        }
        self.z[r as usize * self.w + c as usize]
    }
}

/// The cells a footprint holds.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Cells {
    /// `(col, row)` of each cell, inside the raster.
    pub inside: Vec<(i64, i64)>,
    /// Cells the footprint holds that lie outside the raster.
    pub outside: usize,
    /// The footprint held no cell centre: the cell under its centroid stands for it.
    pub by_centroid: bool,
    /// The footprint spans more cells than a rule reads at once ([`MAX_FOOTPRINT_CELLS`]):
    /// how many its box holds. Nothing else is filled in.
    pub too_many: Option<u64>,
}

/// The most cells one footprint is measured on (4 M: a 2 km square on a 1 m DEM). A larger
/// one is not read (it would take gigabytes): its terrain rules are undetermined.
pub const MAX_FOOTPRINT_CELLS: u64 = 1 << 22;

impl Dem {
    /// Opens the DEM of a `[[dem]]` (path already resolved), for a project working in
    /// `working`. Errors name the file and say what is wrong.
    pub fn open(spec: &DemSpec, working: &Crs) -> crate::Result<Dem> {
        let path = &spec.path;
        let fail =
            |why: String| crate::Error::parse(path, None, format!("DEM '{}': {why}", spec.name));
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or_default()
            .to_ascii_lowercase();
        #[cfg(feature = "gdal")]
        let mut gdal_ds: Option<gdal::Dataset> = None;
        let (source, mut crs, format) = match ext.as_str() {
            _ if !path.is_file() => return Err(fail("the file is not there".into())),
            "hgt" => {
                let (t, origin) = hgt(path).map_err(fail)?;
                let format = format!("SRTM .hgt, {} × {} cells", t.width, t.height);
                let mut t = t;
                t.geo.transform = Some(origin);
                t.geo.nodata = Some(-32768.0);
                (t, Some(Crs::wgs84()), format)
            }
            // One open: what the native reader refuses (JPEG, LERC, ZSTD...) GDAL may read,
            // and if it cannot either, the native reader's reason comes first.
            "tif" | "tiff" => match tiff::Tiff::open(path) {
                Ok(t) => {
                    let crs = match t.geo.epsg {
                        Some(code) => Some(Crs::from_epsg(code).map_err(|e| fail(e.to_string()))?),
                        None => None,
                    };
                    let format = format!(
                        "GeoTIFF {}, {} {} × {}, {}{}",
                        t.sample.name(),
                        if t.tiled { "tiles" } else { "strips of" },
                        t.chunk_w,
                        t.chunk_h,
                        t.compression.name(),
                        match t.predictor {
                            2 => ", predictor 2",
                            3 => ", predictor 3",
                            _ => "",
                        }
                    );
                    (t, crs, format)
                }
                #[cfg(feature = "gdal")]
                Err(native) => {
                    let (t, crs, format) =
                        gdal_raster(path).map_err(|g| fail(format!("{native}; {g}")))?;
                    gdal_ds = Some(t.1);
                    (t.0, crs, format)
                }
                #[cfg(not(feature = "gdal"))]
                Err(native) => return Err(fail(native)),
            },
            #[cfg(feature = "gdal")]
            _ => {
                let (t, crs, format) = gdal_raster(path).map_err(fail)?;
                gdal_ds = Some(t.1);
                (t.0, crs, format)
            }
            #[cfg(not(feature = "gdal"))]
            other => {
                return Err(fail(format!(
                    "'.{other}' is not a DEM format read natively (GeoTIFF .tif, SRTM .hgt); build with the gdal feature to read any raster GDAL reads"
                )))
            }
        };
        if let Some(c) = &spec.crs {
            crs = Some(Crs::parse(c).map_err(|e| fail(format!("crs: {e}")))?);
        }
        let crs = crs.ok_or_else(|| {
            fail("the file names no EPSG code for its CRS: give it with `crs = \"EPSG:...\"` in the [[dem]]".into())
        })?;
        if !crs.geographic && !crs.metric {
            return Err(fail(format!(
                "{} is neither geographic nor in metres: slopes need heights and distances in the same unit",
                crs.name
            )));
        }
        let transform = source.geo.transform.ok_or_else(|| {
            fail("the file has no georeferencing (ModelTiepoint + ModelPixelScale or ModelTransformation)".into())
        })?;
        if transform[2] != 0.0 || transform[4] != 0.0 {
            return Err(fail(
                "the raster is rotated: warp it north-up first (gdalwarp)".into(),
            ));
        }
        if !(transform.iter().all(|v| v.is_finite()) && transform[1] > 0.0 && transform[5] != 0.0) {
            return Err(fail(format!(
                "the georeferencing {transform:?} is not a grid (a corner or cell size that is not a finite number, or a cell of size 0)"
            )));
        }
        let budget = spec.cache_mb.unwrap_or(DEFAULT_CACHE_MB).max(1) << 20;
        Ok(Dem {
            name: spec.name.clone(),
            path: path.clone(),
            title: spec.title.clone(),
            width: source.width,
            height: source.height,
            transform,
            crs,
            nodata: source.geo.nodata,
            format,
            source,
            #[cfg(feature = "gdal")]
            gdal: gdal_ds.map(Mutex::new),
            cache: Cache {
                budget: budget as usize,
                inner: Mutex::new(CacheInner::default()),
            },
            working: working.clone(),
        })
    }

    /// Chunks decoded so far (each strip or tile counts every time it is decoded).
    pub fn chunks_decoded(&self) -> u64 {
        self.cache.inner.lock().map(|c| c.decoded).unwrap_or(0)
    }

    /// Whether slopes and areas need metres per degree (a geographic DEM).
    pub fn geographic(&self) -> bool {
        self.crs.geographic
    }

    /// One decoded chunk, from the cache or the file.
    fn chunk(&self, index: usize) -> Result<Arc<Vec<f64>>, DemError> {
        {
            let mut c = self.cache.inner.lock().expect("DEM cache lock");
            c.tick += 1;
            let tick = c.tick;
            if let Some((v, used)) = c.chunks.get_mut(&index) {
                *used = tick;
                return Ok(v.clone());
            }
        }
        #[cfg(feature = "gdal")]
        let mut values = match &self.gdal {
            Some(ds) => gdal_chunk(ds, &self.source, index)?,
            None => self.source.chunk(index)?,
        };
        #[cfg(not(feature = "gdal"))]
        let mut values = self.source.chunk(index)?;
        let nodata = self.nodata;
        for v in &mut values {
            if nodata.is_some_and(|n| *v == n || (n.is_nan() && v.is_nan())) {
                *v = f64::NAN;
            }
        }
        let values = Arc::new(values);
        let size = values.len() * 8;
        let mut c = self.cache.inner.lock().expect("DEM cache lock");
        c.decoded += 1;
        while c.bytes + size > self.cache.budget && !c.chunks.is_empty() {
            let oldest = c
                .chunks
                .iter()
                .min_by_key(|(_, (_, used))| *used)
                .map(|(k, _)| *k)
                .expect("not empty");
            if let Some((v, _)) = c.chunks.remove(&oldest) {
                c.bytes -= v.len() * 8;
            }
        }
        let tick = c.tick;
        if c.chunks.insert(index, (values.clone(), tick)).is_none() {
            c.bytes += size;
        }
        Ok(values)
    }

    /// The cells of columns `c0..c1` and rows `r0..r1` (ends exclusive; may reach outside
    /// the raster, where values are NaN).
    pub fn window(&self, c0: i64, r0: i64, c1: i64, r1: i64) -> Result<Window, DemError> {
        let (w, h) = ((c1 - c0).max(0) as usize, (r1 - r0).max(0) as usize);
        let mut z = vec![f64::NAN; w * h];
        let (cw, ch) = (
            i64::from(self.source.chunk_w),
            i64::from(self.source.chunk_h),
        );
        let (across, _) = self.source.chunks();
        let (ca, cb) = (c0.max(0), c1.min(i64::from(self.width)));
        let (ra, rb) = (r0.max(0), r1.min(i64::from(self.height)));
        if ca >= cb || ra >= rb {
            return Ok(Window { c0, r0, w, h, z });
        }
        for ty in ra / ch..=(rb - 1) / ch {
            for tx in ca / cw..=(cb - 1) / cw {
                let chunk = self.chunk((ty * i64::from(across) + tx) as usize)?;
                let (x0, y0) = (tx * cw, ty * ch);
                for row in ra.max(y0)..rb.min(y0 + ch) {
                    for col in ca.max(x0)..cb.min(x0 + cw) {
                        z[(row - r0) as usize * w + (col - c0) as usize] =
                            chunk[((row - y0) * cw + (col - x0)) as usize];
                    }
                }
            }
        }
        Ok(Window { c0, r0, w, h, z })
    }

    /// The centre of a cell, in the DEM's CRS.
    pub fn centre(&self, col: i64, row: i64) -> Coord<f64> {
        let t = &self.transform;
        Coord {
            x: t[0] + (col as f64 + 0.5) * t[1],
            y: t[3] + (row as f64 + 0.5) * t[5],
        }
    }

    /// The cell a point (DEM CRS) falls in, as fractional column and row.
    pub fn to_grid(&self, c: Coord<f64>) -> (f64, f64) {
        let t = &self.transform;
        ((c.x - t[0]) / t[1], (c.y - t[3]) / t[5])
    }

    /// The cell's width and height on the ground, metres, at a row (per row for a
    /// geographic DEM, on the WGS 84 ellipsoid).
    pub fn cell_metres(&self, row: i64) -> (f64, f64) {
        let t = &self.transform;
        if !self.crs.geographic {
            return (t[1].abs(), t[5].abs());
        }
        let lat = (t[3] + (row as f64 + 0.5) * t[5]).to_radians();
        let (n, m) = radii(lat);
        (
            t[1].abs().to_radians() * n * lat.cos(),
            t[5].abs().to_radians() * m,
        )
    }

    /// A geometry in the working CRS taken into the DEM's.
    pub fn from_working(&self, g: &Geometry<f64>) -> Result<Geometry<f64>, DemError> {
        if self.working.name == self.crs.name {
            return Ok(g.clone());
        }
        let mut g = g.clone();
        with_transform(&self.working, &self.crs, |t| t.geometry(&mut g))?;
        Ok(g)
    }

    /// A point given in `crs` taken into the DEM's CRS (the identity when they are the same).
    pub fn point_from(&self, crs: &Crs, p: Coord<f64>) -> Result<Coord<f64>, DemError> {
        if crs.name == self.crs.name {
            return Ok(p);
        }
        let mut out = p;
        with_transform(crs, &self.crs, |t| {
            out = t.coord(p)?;
            Ok(())
        })?;
        Ok(out)
    }

    /// A geometry in the DEM's CRS taken into the working CRS.
    pub fn to_working(&self, g: &mut Geometry<f64>) -> Result<(), DemError> {
        if self.working.name == self.crs.name {
            return Ok(());
        }
        with_transform(&self.crs, &self.working, |t| t.geometry(g))
    }

    /// The cells a geometry (DEM CRS) holds: for areas, each cell whose centre lies in it,
    /// boundary included, else the cell under the centroid; for lines, the cells under points
    /// every half cell along them; for points, the cells under them.
    pub fn cells(&self, g: &Geometry<f64>) -> Cells {
        let mut cells = Cells::default();
        let mut put = |col: i64, row: i64, cells: &mut Cells| {
            if col >= 0 && row >= 0 && col < i64::from(self.width) && row < i64::from(self.height) {
                cells.inside.push((col, row));
            } else {
                cells.outside += 1;
            }
        };
        match g {
            Geometry::Polygon(p) => {
                self.centres_in(&MultiPolygon(vec![p.clone()]), &mut cells, &mut put)
            }
            Geometry::MultiPolygon(mp) => self.centres_in(mp, &mut cells, &mut put),
            Geometry::LineString(_) | Geometry::MultiLineString(_) => {
                use geo::{Euclidean, Length};
                let step = self.transform[1].abs().min(self.transform[5].abs()) / 2.0;
                let samples = g_length(g) / step;
                if samples.is_nan() || samples > MAX_FOOTPRINT_CELLS as f64 {
                    cells.too_many = Some(samples.min(u64::MAX as f64) as u64);
                    return cells;
                }
                fn g_length(g: &Geometry<f64>) -> f64 {
                    match g {
                        Geometry::LineString(l) => Euclidean.length(l),
                        Geometry::MultiLineString(m) => Euclidean.length(m),
                        _ => 0.0,
                    }
                }
                let mut seen = std::collections::HashSet::new();
                let lines: Vec<&geo::LineString<f64>> = match g {
                    Geometry::LineString(l) => vec![l],
                    Geometry::MultiLineString(m) => m.0.iter().collect(),
                    _ => unreachable!(),
                };
                for l in lines {
                    for seg in l.lines() {
                        let d = seg.delta();
                        let n = ((d.x.hypot(d.y) / step).ceil() as usize).clamp(1, 1 << 20);
                        for i in 0..=n {
                            let f = i as f64 / n as f64;
                            let p = Coord {
                                x: seg.start.x + d.x * f,
                                y: seg.start.y + d.y * f,
                            };
                            let (c, r) = self.to_grid(p);
                            let cell = (c.floor() as i64, r.floor() as i64);
                            if seen.insert(cell) {
                                put(cell.0, cell.1, &mut cells);
                            }
                        }
                    }
                }
            }
            _ => {
                use geo::CoordsIter;
                let mut seen = std::collections::HashSet::new();
                for p in g.coords_iter() {
                    let (c, r) = self.to_grid(p);
                    let cell = (c.floor() as i64, r.floor() as i64);
                    if seen.insert(cell) {
                        put(cell.0, cell.1, &mut cells);
                    }
                }
            }
        }
        cells
    }

    /// The cells whose centres lie in `mp` (boundary included), by scanlines through the
    /// centres of each row; none: the cell under the centroid.
    fn centres_in(
        &self,
        mp: &MultiPolygon<f64>,
        cells: &mut Cells,
        put: &mut impl FnMut(i64, i64, &mut Cells),
    ) {
        use geo::BoundingRect;
        let Some(bb) = mp.bounding_rect() else {
            return;
        };
        let t = &self.transform;
        // Rows whose centre y lies within the box.
        let (ra, rb) = {
            let a = (bb.max().y - t[3]) / t[5] - 0.5;
            let b = (bb.min().y - t[3]) / t[5] - 0.5;
            (a.min(b).ceil() as i64, a.max(b).floor() as i64)
        };
        let cols = ((bb.max().x - bb.min().x) / t[1]).abs() + 2.0;
        let rows = (rb.saturating_sub(ra) as f64).abs() + 1.0;
        if (cols * rows).is_nan() || cols * rows > MAX_FOOTPRINT_CELLS as f64 {
            cells.too_many = Some((cols * rows).min(u64::MAX as f64) as u64);
            return;
        }
        let rings: Vec<&geo::LineString<f64>> = mp
            .iter()
            .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
            .collect();
        let mut xs: Vec<f64> = Vec::new();
        let mut on: Vec<(f64, f64)> = Vec::new();
        for row in ra..=rb {
            let y = t[3] + (row as f64 + 0.5) * t[5];
            xs.clear();
            on.clear();
            for ring in &rings {
                for seg in ring.lines() {
                    let (a, b) = (seg.start, seg.end);
                    if a.y == y && b.y == y {
                        // A horizontal edge on the scanline: its cells lie on the boundary.
                        on.push((a.x.min(b.x), a.x.max(b.x)));
                        continue;
                    }
                    if a.y == y {
                        on.push((a.x, a.x));
                    }
                    if (a.y <= y && y < b.y) || (b.y <= y && y < a.y) {
                        xs.push(a.x + (y - a.y) * (b.x - a.x) / (b.y - a.y));
                    }
                }
            }
            xs.sort_by(f64::total_cmp);
            let spans = xs
                .chunks_exact(2)
                .map(|p| (p[0], p[1]))
                .chain(on.iter().copied());
            let mut cols: Vec<i64> = Vec::new();
            for (x0, x1) in spans {
                // Columns whose centre x lies in [x0, x1].
                let a = (x0 - t[0]) / t[1] - 0.5;
                let b = (x1 - t[0]) / t[1] - 0.5;
                for col in a.min(b).ceil() as i64..=a.max(b).floor() as i64 {
                    cols.push(col);
                }
            }
            cols.sort_unstable();
            cols.dedup();
            for col in cols {
                put(col, row, cells);
            }
        }
        if cells.inside.is_empty() && cells.outside == 0 {
            use geo::Centroid;
            if let Some(c) = mp.centroid() {
                let (col, row) = self.to_grid(c.0);
                cells.by_centroid = true;
                put(col.floor() as i64, row.floor() as i64, cells);
            }
        }
    }

    /// The height at a point (DEM CRS), interpolated bilinearly between the four nearest
    /// cell centres; NaN where any of them is nodata or outside the raster.
    pub fn bilinear(&self, p: Coord<f64>) -> Result<f64, DemError> {
        let (c, r) = self.to_grid(p);
        let (c, r) = (c - 0.5, r - 0.5);
        let (c0, r0) = (c.floor() as i64, r.floor() as i64);
        let win = self.window(c0, r0, c0 + 2, r0 + 2)?;
        let (fx, fy) = (c - c0 as f64, r - r0 as f64);
        let z = |dc, dr| win.at(c0 + dc, r0 + dr);
        Ok(z(0, 0) * (1.0 - fx) * (1.0 - fy)
            + z(1, 0) * fx * (1.0 - fy)
            + z(0, 1) * (1.0 - fx) * fy
            + z(1, 1) * fx * fy)
    }

    /// The box of the raster, in its CRS.
    pub fn extent(&self) -> geo::Rect<f64> {
        let t = &self.transform;
        geo::Rect::new(
            Coord { x: t[0], y: t[3] },
            Coord {
                x: t[0] + f64::from(self.width) * t[1],
                y: t[3] + f64::from(self.height) * t[5],
            },
        )
    }
}

/// A raster through GDAL: its layout (blocks of at least 64 K cells), the dataset, its CRS
/// where it has an EPSG code, and what it is.
#[cfg(feature = "gdal")]
#[allow(clippy::type_complexity)]
fn gdal_raster(
    path: &Path,
) -> Result<((tiff::Tiff, gdal::Dataset), Option<Crs>, String), DemError> {
    let ds = gdal::Dataset::open(path).map_err(|e| format!("GDAL cannot read it: {e}"))?;
    if ds.raster_count() == 0 {
        return Err("GDAL reads no raster band in it".into());
    }
    let band = ds.rasterband(1).map_err(|e| e.to_string())?;
    let (w, h) = ds.raster_size();
    let (bw, bh) = band.block_size();
    let cw = bw.clamp(1, w.max(1));
    let ch = if cw * bh < 65_536 {
        (65_536 / cw).clamp(1, h.max(1))
    } else {
        bh.max(1)
    };
    let mut t = tiff::Tiff::layout(w as u32, h as u32, cw as u32, ch as u32)?;
    t.geo.transform = ds.geo_transform().ok();
    t.geo.nodata = band.no_data_value();
    let band_type = band.band_type();
    let crs = ds
        .spatial_ref()
        .ok()
        .and_then(|mut s| {
            let _ = s.auto_identify_epsg();
            s.auth_code().ok()
        })
        .and_then(|c| Crs::from_epsg(c as u32).ok());
    let format = format!(
        "{} through GDAL, {:?}, blocks of {cw} × {ch}",
        ds.driver().long_name(),
        band_type
    );
    Ok(((t, ds), crs, format))
}

/// One block of a GDAL raster, padded to the layout's chunk with NaN.
#[cfg(feature = "gdal")]
fn gdal_chunk(
    ds: &Mutex<gdal::Dataset>,
    layout: &tiff::Tiff,
    index: usize,
) -> Result<Vec<f64>, DemError> {
    let (across, _) = layout.chunks();
    let (cw, ch) = (layout.chunk_w as usize, layout.chunk_h as usize);
    let (tx, ty) = (index % across as usize, index / across as usize);
    let (x0, y0) = (tx * cw, ty * ch);
    let w = cw.min(layout.width as usize - x0);
    let h = ch.min(layout.height as usize - y0);
    let ds = ds
        .lock()
        .map_err(|_| "the GDAL dataset lock is poisoned".to_owned())?;
    let band = ds.rasterband(1).map_err(|e| e.to_string())?;
    let buf = band
        .read_as::<f64>((x0 as isize, y0 as isize), (w, h), (w, h), None)
        .map_err(|e| format!("block {index}: {e}"))?;
    let data = buf.data();
    let mut out = vec![f64::NAN; cw * ch];
    for r in 0..h {
        out[r * cw..r * cw + w].copy_from_slice(&data[r * w..r * w + w]);
    }
    Ok(out)
}

/// The radii of curvature of the WGS 84 ellipsoid at a latitude (radians): in the prime
/// vertical (N) and in the meridian (M).
fn radii(lat: f64) -> (f64, f64) {
    const A: f64 = 6_378_137.0;
    const F: f64 = 1.0 / 298.257_223_563;
    let e2 = F * (2.0 - F);
    let w = 1.0 - e2 * lat.sin().powi(2);
    (A / w.sqrt(), A * (1.0 - e2) / (w * w.sqrt()))
}

thread_local! {
    /// Transforms between a DEM's CRS and the working CRS, built once per thread and found
    /// without allocating (a skyline or a hillshade takes thousands of points through them).
    static TRANSFORMS: std::cell::RefCell<Vec<(String, String, Transformer)>> =
        Default::default();
}

fn with_transform(
    from: &Crs,
    to: &Crs,
    f: impl FnOnce(&Transformer) -> Result<(), crate::crs::CrsError>,
) -> Result<(), DemError> {
    TRANSFORMS.with(|m| {
        let mut m = m.borrow_mut();
        let at = match m
            .iter()
            .position(|(a, b, _)| *a == from.name && *b == to.name)
        {
            Some(i) => i,
            None => {
                let t = Transformer::new(from, to).map_err(|e| e.to_string())?;
                m.push((from.name.clone(), to.name.clone(), t));
                m.len() - 1
            }
        };
        f(&m[at].2).map_err(|e| e.to_string())
    })
}

/// An SRTM `.hgt` tile: its layout and its geotransform from its name (`N30E111.hgt`: the
/// south-west cell centre at 30° N, 111° E; 1201 or 3601 cells a side).
fn hgt(path: &Path) -> Result<(tiff::Tiff, [f64; 6]), DemError> {
    let stem = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default()
        .to_ascii_uppercase();
    let bad = || {
        format!(
            "an SRTM tile is named by its south-west corner, such as N30E111.hgt; '{stem}' is not"
        )
    };
    let (ns, rest) = stem.split_at_checked(1).ok_or_else(bad)?;
    let e_at = rest.find(['E', 'W']).ok_or_else(bad)?;
    let lat: f64 = rest[..e_at].parse().map_err(|_| bad())?;
    let lon: f64 = rest[e_at + 1..].parse().map_err(|_| bad())?;
    let lat = match ns {
        "N" => lat,
        "S" => -lat,
        _ => return Err(bad()),
    };
    let lon = if &rest[e_at..=e_at] == "W" { -lon } else { lon };
    let len = std::fs::metadata(path).map_err(|e| e.to_string())?.len();
    let n = match len {
        2_884_802 => 1201,
        25_934_402 => 3601,
        other => {
            return Err(format!(
            "{other} bytes: an SRTM tile has 1201 × 1201 (3″) or 3601 × 3601 (1″) two-byte cells"
        ))
        }
    };
    let t = tiff::Tiff::raw_grid(path, n, n, 32)?;
    let d = 1.0 / f64::from(n - 1);
    Ok((t, [lon - d / 2.0, d, 0.0, lat + 1.0 + d / 2.0, 0.0, -d]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cache_keeps_within_its_budget_and_decodes_again_what_it_let_go() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("d.tif");
        // 4 × 4 tiles of 128 × 128 cells: 128 KiB each once decoded.
        let z: Vec<f64> = (0..512 * 512).map(|i| f64::from(i % 512)).collect();
        let o = tiff::WriteOptions {
            sample: tiff::Sample::I16,
            tile: 128,
            epsg: 4546,
            projected: true,
            nodata: None,
        };
        tiff::write(&path, 512, 512, &z, [0.0, 1.0, 0.0, 512.0, 0.0, -1.0], o).unwrap();
        let open = |mb| {
            let spec = DemSpec {
                name: "d".into(),
                path: path.clone(),
                crs: None,
                title: None,
                cache_mb: Some(mb),
            };
            Dem::open(&spec, &Crs::parse("EPSG:4546").unwrap()).unwrap()
        };
        // 1 MiB holds 8 of the 16 tiles: sweeping the raster twice decodes every tile twice.
        let small = open(1);
        for _ in 0..2 {
            small.window(0, 0, 512, 512).unwrap();
        }
        assert_eq!(small.chunks_decoded(), 32);
        let bytes = small.cache.inner.lock().unwrap().bytes;
        assert!(bytes <= 1 << 20, "{bytes}");
        // 64 MiB holds them all: the second sweep is served from memory.
        let big = open(64);
        for _ in 0..2 {
            big.window(0, 0, 512, 512).unwrap();
        }
        assert_eq!(big.chunks_decoded(), 16);
    }
}

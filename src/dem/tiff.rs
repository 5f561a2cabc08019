//! A GeoTIFF reader for elevation models, native (no GDAL): classic TIFF and BigTIFF, either
//! byte order, stripped or tiled, uncompressed, Deflate, LZW or PackBits, horizontal (2) and
//! floating-point (3) predictors, one band of 8-, 16-, 32- or 64-bit integers or 32- or
//! 64-bit floats; the georeferencing of ModelTiepoint + ModelPixelScale or
//! ModelTransformation, the EPSG code of the GeoKey directory and GDAL's nodata tag.
//!
//! Only the directory is read when the file is opened; each strip or tile is read, checked and
//! decoded when it is asked for ([`Tiff::chunk`]), with positioned reads, so that threads
//! share one open file. Every length and offset is checked against the file before anything
//! is allocated: a corrupt or truncated raster is an error that says what and where, never a
//! crash or a huge allocation.

use std::fs::File;
use std::io::Read;
use std::os::unix::fs::FileExt;

/// What is wrong with a raster, in words (the caller adds the file's name).
pub type TiffError = String;

/// The largest strip or tile decoded at once, in bytes as stored and in cells (each held as
/// 8 bytes once decoded): a DEM written as one 16,000 × 16,000 strip is refused with the way
/// to re-tile it, rather than read whole.
pub const MAX_CHUNK_BYTES: u64 = 256 << 20;
pub const MAX_CHUNK_CELLS: u64 = 1 << 24;

/// How samples are stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sample {
    U8,
    I8,
    U16,
    I16,
    U32,
    I32,
    F32,
    F64,
}

impl Sample {
    pub fn bytes(self) -> usize {
        match self {
            Sample::U8 | Sample::I8 => 1,
            Sample::U16 | Sample::I16 => 2,
            Sample::U32 | Sample::I32 | Sample::F32 => 4,
            Sample::F64 => 8,
        }
    }

    /// GDAL's name for it.
    pub fn name(self) -> &'static str {
        match self {
            Sample::U8 => "Byte",
            Sample::I8 => "Int8",
            Sample::U16 => "UInt16",
            Sample::I16 => "Int16",
            Sample::U32 => "UInt32",
            Sample::I32 => "Int32",
            Sample::F32 => "Float32",
            Sample::F64 => "Float64",
        }
    }

    fn is_float(self) -> bool {
        matches!(self, Sample::F32 | Sample::F64)
    }
}

/// The compression of the strips or tiles.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compression {
    None,
    Lzw,
    Deflate,
    PackBits,
}

impl Compression {
    pub fn name(self) -> &'static str {
        match self {
            Compression::None => "none",
            Compression::Lzw => "LZW",
            Compression::Deflate => "Deflate",
            Compression::PackBits => "PackBits",
        }
    }
}

/// The georeferencing a GeoTIFF declares.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct GeoInfo {
    /// GDAL's geotransform: x of the top-left corner, pixel width, row rotation, y of the
    /// top-left corner, column rotation, pixel height (negative for north-up).
    pub transform: Option<[f64; 6]>,
    /// The EPSG code of the projected or geographic CRS.
    pub epsg: Option<u32>,
    /// GTModelType: 1 projected, 2 geographic.
    pub model: Option<u16>,
    /// GDAL's nodata value.
    pub nodata: Option<f64>,
}

/// A raster's layout: one band, cut into strips or tiles.
#[derive(Debug)]
pub struct Tiff {
    /// Set once the directory has been read.
    file: Option<File>,
    len: u64,
    pub width: u32,
    pub height: u32,
    /// The size of a chunk: a tile, or the full width × rows per strip.
    pub chunk_w: u32,
    pub chunk_h: u32,
    pub tiled: bool,
    across: u32,
    offsets: Vec<u64>,
    counts: Vec<u64>,
    pub sample: Sample,
    pub compression: Compression,
    pub predictor: u16,
    big_endian: bool,
    pub geo: GeoInfo,
}

/// One directory entry: tag, type, count and where its values are.
#[derive(Clone, Copy, Debug)]
struct Entry {
    tag: u16,
    ty: u16,
    count: u64,
    /// The value bytes' offset in the file, or the inline bytes.
    at: Place,
}

#[derive(Clone, Copy, Debug)]
enum Place {
    Inline([u8; 8]),
    Offset(u64),
}

fn type_size(ty: u16) -> Option<u64> {
    Some(match ty {
        1 | 2 | 6 | 7 => 1,
        3 | 8 => 2,
        4 | 9 | 11 | 13 => 4,
        5 | 10 | 12 | 16 | 17 | 18 => 8,
        _ => return None,
    })
}

struct Reader<'a> {
    file: &'a File,
    len: u64,
    big: bool,
}

impl Reader<'_> {
    fn bytes(&self, at: u64, n: u64, what: &str) -> Result<Vec<u8>, TiffError> {
        let end = at.checked_add(n).filter(|e| *e <= self.len).ok_or_else(|| {
            format!(
                "{what} lies past the end of the file (bytes {at}–{} of {}): the file is truncated or corrupt",
                at.saturating_add(n),
                self.len
            )
        })?;
        let mut buf = vec![0u8; (end - at) as usize];
        self.file
            .read_exact_at(&mut buf, at)
            .map_err(|e| format!("{what}: {e}"))?;
        Ok(buf)
    }

    fn u16(&self, b: &[u8]) -> u16 {
        let a = [b[0], b[1]];
        if self.big {
            u16::from_be_bytes(a)
        } else {
            u16::from_le_bytes(a)
        }
    }

    fn u32(&self, b: &[u8]) -> u32 {
        let a = [b[0], b[1], b[2], b[3]];
        if self.big {
            u32::from_be_bytes(a)
        } else {
            u32::from_le_bytes(a)
        }
    }

    fn u64(&self, b: &[u8]) -> u64 {
        let a: [u8; 8] = b[..8].try_into().expect("8 bytes");
        if self.big {
            u64::from_be_bytes(a)
        } else {
            u64::from_le_bytes(a)
        }
    }

    fn raw(&self, e: &Entry, what: &str) -> Result<Vec<u8>, TiffError> {
        let size = type_size(e.ty).ok_or_else(|| format!("{what} has an unknown type {}", e.ty))?;
        let n = e
            .count
            .checked_mul(size)
            .filter(|n| *n <= self.len)
            .ok_or_else(|| format!("{what} claims {} values, more than the file holds", e.count))?;
        match e.at {
            Place::Inline(b) => Ok(b[..n as usize].to_vec()),
            Place::Offset(at) => self.bytes(at, n, what),
        }
    }

    /// An entry's values as unsigned integers (BYTE, SHORT, LONG, LONG8, IFD).
    fn uints(&self, e: &Entry, what: &str) -> Result<Vec<u64>, TiffError> {
        let raw = self.raw(e, what)?;
        Ok(match e.ty {
            1 | 7 => raw.iter().map(|b| u64::from(*b)).collect(),
            3 => raw
                .chunks_exact(2)
                .map(|b| u64::from(self.u16(b)))
                .collect(),
            4 | 13 => raw
                .chunks_exact(4)
                .map(|b| u64::from(self.u32(b)))
                .collect(),
            16 | 18 => raw.chunks_exact(8).map(|b| self.u64(b)).collect(),
            t => {
                return Err(format!(
                    "{what} has type {t}, where an unsigned integer is expected"
                ))
            }
        })
    }

    /// An entry's values as numbers (any numeric type).
    fn floats(&self, e: &Entry, what: &str) -> Result<Vec<f64>, TiffError> {
        let raw = self.raw(e, what)?;
        Ok(match e.ty {
            11 => raw
                .chunks_exact(4)
                .map(|b| f64::from(f32::from_bits(self.u32(b))))
                .collect(),
            12 => raw
                .chunks_exact(8)
                .map(|b| f64::from_bits(self.u64(b)))
                .collect(),
            5 => raw
                .chunks_exact(8)
                .map(|b| f64::from(self.u32(b)) / f64::from(self.u32(&b[4..])))
                .collect(),
            _ => self.uints(e, what)?.into_iter().map(|v| v as f64).collect(),
        })
    }

    fn ascii(&self, e: &Entry, what: &str) -> Result<String, TiffError> {
        let raw = self.raw(e, what)?;
        let text = raw.split(|b| *b == 0).next().unwrap_or_default();
        Ok(String::from_utf8_lossy(text).trim().to_owned())
    }
}

/// The names of the tags a reader would be asked about.
fn tag_name(tag: u16) -> String {
    match tag {
        256 => "ImageWidth".into(),
        257 => "ImageLength".into(),
        258 => "BitsPerSample".into(),
        259 => "Compression".into(),
        273 => "StripOffsets".into(),
        277 => "SamplesPerPixel".into(),
        278 => "RowsPerStrip".into(),
        279 => "StripByteCounts".into(),
        284 => "PlanarConfiguration".into(),
        317 => "Predictor".into(),
        322 => "TileWidth".into(),
        323 => "TileLength".into(),
        324 => "TileOffsets".into(),
        325 => "TileByteCounts".into(),
        339 => "SampleFormat".into(),
        33550 => "ModelPixelScale".into(),
        33922 => "ModelTiepoint".into(),
        34264 => "ModelTransformation".into(),
        34735 => "GeoKeyDirectory".into(),
        42113 => "GDAL_NODATA".into(),
        t => format!("tag {t}"),
    }
}

impl Tiff {
    /// Opens a TIFF and reads its first directory. Errors say what is wrong, in words.
    pub fn open(path: &std::path::Path) -> Result<Tiff, TiffError> {
        let file = File::open(path).map_err(|e| e.to_string())?;
        let len = file.metadata().map_err(|e| e.to_string())?.len();
        let mut head = [0u8; 16];
        let got = (&file)
            .take(16)
            .read(&mut head)
            .map_err(|e| e.to_string())?;
        if got < 8 {
            return Err(format!("{len} bytes is too short for a TIFF"));
        }
        let big = match &head[..2] {
            b"II" => false,
            b"MM" => true,
            _ => return Err("not a TIFF file (it does not start with II or MM)".into()),
        };
        let r = Reader {
            file: &file,
            len,
            big,
        };
        let (bigtiff, first) = match r.u16(&head[2..4]) {
            42 => (false, u64::from(r.u32(&head[4..8]))),
            43 if got >= 16 => (true, r.u64(&head[8..16])),
            v => return Err(format!("not a TIFF file (version {v}, not 42 or 43)")),
        };
        let entries = Self::directory(&r, first, bigtiff)?;
        let mut t = Self::from_entries(len, big, &r, &entries)?;
        t.file = Some(file);
        Ok(t)
    }

    fn directory(r: &Reader<'_>, at: u64, bigtiff: bool) -> Result<Vec<Entry>, TiffError> {
        let (count_size, entry_size, inline) = if bigtiff { (8, 20, 8) } else { (2, 12, 4) };
        let head = r.bytes(at, count_size, "the first image directory")?;
        let n = if bigtiff {
            r.u64(&head)
        } else {
            u64::from(r.u16(&head))
        };
        if n == 0 || n > 4096 {
            return Err(format!("the first image directory claims {n} entries"));
        }
        let raw = r.bytes(at + count_size, n * entry_size, "the first image directory")?;
        let mut out = Vec::with_capacity(n as usize);
        for e in raw.chunks_exact(entry_size as usize) {
            let tag = r.u16(&e[0..2]);
            let ty = r.u16(&e[2..4]);
            let (count, value) = if bigtiff {
                (r.u64(&e[4..12]), &e[12..20])
            } else {
                (u64::from(r.u32(&e[4..8])), &e[8..12])
            };
            let size = type_size(ty).unwrap_or(0).saturating_mul(count);
            let at = if size <= inline {
                let mut b = [0u8; 8];
                b[..inline as usize].copy_from_slice(value);
                Place::Inline(b)
            } else if bigtiff {
                Place::Offset(r.u64(value))
            } else {
                Place::Offset(u64::from(r.u32(value)))
            };
            out.push(Entry { tag, ty, count, at });
        }
        Ok(out)
    }

    fn from_entries(
        len: u64,
        big: bool,
        r: &Reader<'_>,
        entries: &[Entry],
    ) -> Result<Tiff, TiffError> {
        let find = |tag: u16| entries.iter().find(|e| e.tag == tag);
        let one = |tag: u16, default: Option<u64>| -> Result<u64, TiffError> {
            match find(tag) {
                Some(e) => r
                    .uints(e, &tag_name(tag))?
                    .first()
                    .copied()
                    .ok_or_else(|| format!("{} has no value", tag_name(tag))),
                None => default.ok_or_else(|| format!("the {} tag is missing", tag_name(tag))),
            }
        };
        let width = one(256, None)?;
        let height = one(257, None)?;
        if width == 0 || height == 0 || width > u64::from(u32::MAX) || height > u64::from(u32::MAX)
        {
            return Err(format!("a raster of {width} × {height} cells"));
        }
        let spp = one(277, Some(1))?;
        if spp != 1 {
            return Err(format!(
                "{spp} samples per cell: an elevation model has one band (extract it with gdal_translate -b 1)"
            ));
        }
        let bits = match find(258) {
            Some(e) => {
                let v = r.uints(e, "BitsPerSample")?;
                v.first().copied().unwrap_or(1)
            }
            None => 1,
        };
        let format = one(339, Some(1))?;
        let sample = match (format, bits) {
            (1, 8) => Sample::U8,
            (2, 8) => Sample::I8,
            (1, 16) => Sample::U16,
            (2, 16) => Sample::I16,
            (1, 32) => Sample::U32,
            (2, 32) => Sample::I32,
            (3, 32) => Sample::F32,
            (3, 64) => Sample::F64,
            (f, b) => {
                let kind = match f {
                    1 => "unsigned integer",
                    2 => "signed integer",
                    3 => "floating-point",
                    _ => "unknown-format",
                };
                return Err(format!(
                    "{b}-bit {kind} samples: an elevation model here is Byte, Int8, UInt16, Int16, UInt32, Int32, Float32 or Float64"
                ));
            }
        };
        let compression = match one(259, Some(1))? {
            1 => Compression::None,
            5 => Compression::Lzw,
            8 | 32946 => Compression::Deflate,
            32773 => Compression::PackBits,
            c => {
                let name = match c {
                    7 => " (JPEG)",
                    34887 => " (LERC)",
                    50000 => " (ZSTD)",
                    34925 => " (LZMA)",
                    50001 => " (WebP)",
                    _ => "",
                };
                return Err(format!(
                    "compression {c}{name} is not read natively: write it with -co COMPRESS=DEFLATE, LZW or PACKBITS, or build with the gdal feature"
                ));
            }
        };
        let predictor = one(317, Some(1))? as u16;
        match (predictor, sample.is_float()) {
            (1, _) | (2, _) | (3, true) => {}
            (3, false) => return Err("predictor 3 (floating point) on integer samples".into()),
            (p, _) => return Err(format!("predictor {p} is not a TIFF predictor (1, 2 or 3)")),
        }
        if one(284, Some(1))? != 1 && spp != 1 {
            return Err("planar configuration 2".into());
        }
        let tiled = find(322).is_some();
        let (chunk_w, chunk_h, off_tag, cnt_tag) = if tiled {
            let tw = one(322, None)?;
            let th = one(323, None)?;
            if tw == 0 || th == 0 || tw % 16 != 0 || th % 16 != 0 {
                return Err(format!(
                    "tiles of {tw} × {th} cells (TIFF tiles are multiples of 16)"
                ));
            }
            (tw, th, 324, 325)
        } else {
            let rps = one(278, Some(height))?.clamp(1, height);
            (width, rps, 273, 279)
        };
        let chunk_bytes = chunk_w * chunk_h * sample.bytes() as u64;
        if chunk_bytes > MAX_CHUNK_BYTES || chunk_w * chunk_h > MAX_CHUNK_CELLS {
            return Err(format!(
                "a {} of {chunk_w} × {chunk_h} cells is more than is read at once ({} M cells): re-tile it with gdal_translate -co TILED=YES",
                if tiled { "tile" } else { "strip" },
                MAX_CHUNK_CELLS >> 20
            ));
        }
        let across = width.div_ceil(chunk_w);
        let down = height.div_ceil(chunk_h);
        let n = across * down;
        let list = |tag: u16| -> Result<Vec<u64>, TiffError> {
            let e = find(tag).ok_or_else(|| format!("the {} tag is missing", tag_name(tag)))?;
            if e.count != n {
                return Err(format!(
                    "{} has {} entries for {n} {}",
                    tag_name(tag),
                    e.count,
                    if tiled { "tiles" } else { "strips" }
                ));
            }
            r.uints(e, &tag_name(tag))
        };
        let offsets = list(off_tag)?;
        let counts = list(cnt_tag)?;
        let geo = Self::geo(r, entries)?;
        Ok(Tiff {
            file: None,
            len,
            width: width as u32,
            height: height as u32,
            chunk_w: chunk_w as u32,
            chunk_h: chunk_h as u32,
            tiled,
            across: across as u32,
            offsets,
            counts,
            sample,
            compression,
            predictor,
            big_endian: big,
            geo,
        })
    }

    /// A layout only (no file): `width × height` cells in chunks of `chunk_w × chunk_h`, for a
    /// raster another reader decodes (GDAL).
    pub fn layout(width: u32, height: u32, chunk_w: u32, chunk_h: u32) -> Result<Tiff, TiffError> {
        if width == 0 || height == 0 || chunk_w == 0 || chunk_h == 0 {
            return Err(format!("a raster of {width} × {height} cells"));
        }
        let across = width.div_ceil(chunk_w);
        let n = u64::from(across) * u64::from(height.div_ceil(chunk_h));
        Ok(Tiff {
            file: None,
            len: 0,
            width,
            height,
            chunk_w,
            chunk_h,
            tiled: true,
            across,
            offsets: vec![0; n as usize],
            counts: vec![0; n as usize],
            sample: Sample::F64,
            compression: Compression::None,
            predictor: 1,
            big_endian: false,
            geo: GeoInfo::default(),
        })
    }

    /// A raw, uncompressed, big-endian Int16 grid laid out row after row (SRTM `.hgt`),
    /// read in bands of `rows` rows.
    pub fn raw_grid(
        path: &std::path::Path,
        width: u32,
        height: u32,
        rows: u32,
    ) -> Result<Tiff, TiffError> {
        let file = File::open(path).map_err(|e| e.to_string())?;
        let len = file.metadata().map_err(|e| e.to_string())?.len();
        let row_bytes = u64::from(width) * 2;
        if len != row_bytes * u64::from(height) {
            return Err(format!(
                "{len} bytes, where {width} × {height} two-byte cells take {}",
                row_bytes * u64::from(height)
            ));
        }
        let down = height.div_ceil(rows);
        let offsets = (0..u64::from(down))
            .map(|i| i * u64::from(rows) * row_bytes)
            .collect();
        let counts = (0..down)
            .map(|i| u64::from(rows.min(height - i * rows)) * row_bytes)
            .collect();
        Ok(Tiff {
            file: Some(file),
            len,
            width,
            height,
            chunk_w: width,
            chunk_h: rows,
            tiled: false,
            across: 1,
            offsets,
            counts,
            sample: Sample::I16,
            compression: Compression::None,
            predictor: 1,
            big_endian: true,
            geo: GeoInfo::default(),
        })
    }

    fn geo(r: &Reader<'_>, entries: &[Entry]) -> Result<GeoInfo, TiffError> {
        let find = |tag: u16| entries.iter().find(|e| e.tag == tag);
        let mut geo = GeoInfo::default();
        let mut point = false;
        if let Some(e) = find(34735) {
            let keys = r.uints(e, "GeoKeyDirectory")?;
            if keys.len() < 4 {
                return Err("GeoKeyDirectory is shorter than its header".into());
            }
            for k in keys[4..].chunks_exact(4).take(keys[3] as usize) {
                let (key, location, value) = (k[0], k[1], k[3]);
                if location != 0 {
                    continue;
                }
                match key {
                    1024 => geo.model = Some(value as u16),
                    1025 => point = value == 2,
                    2048 if (geo.model == Some(2) || geo.epsg.is_none())
                        && (1..32767).contains(&value) =>
                    {
                        geo.epsg = Some(value as u32);
                    }
                    3072 if (1..32767).contains(&value) => geo.epsg = Some(value as u32),
                    _ => {}
                }
            }
            // A projected model names its CRS in 3072; 2048 is only its base.
            if geo.model == Some(1) {
                geo.epsg = keys[4..]
                    .chunks_exact(4)
                    .find(|k| k[0] == 3072 && k[1] == 0 && (1..32767).contains(&k[3]))
                    .map(|k| k[3] as u32);
            }
        }
        let tiepoint = find(33922)
            .map(|e| r.floats(e, "ModelTiepoint"))
            .transpose()?;
        let scale = find(33550)
            .map(|e| r.floats(e, "ModelPixelScale"))
            .transpose()?;
        let matrix = find(34264)
            .map(|e| r.floats(e, "ModelTransformation"))
            .transpose()?;
        let mut t =
            match (tiepoint, scale, matrix) {
                (Some(tp), Some(s), _) if tp.len() >= 6 && s.len() >= 2 => {
                    let (i, j, x, y) = (tp[0], tp[1], tp[3], tp[4]);
                    Some([x - i * s[0], s[0], 0.0, y + j * s[1], 0.0, -s[1]])
                }
                (_, _, Some(m)) if m.len() >= 16 => Some([m[3], m[0], m[1], m[7], m[4], m[5]]),
                (None, None, None) => None,
                _ => return Err(
                    "the georeferencing tags are incomplete (a tiepoint without a pixel scale?)"
                        .into(),
                ),
            };
        // A PixelIsPoint raster's tiepoint is a cell's centre: GDAL moves the corner half a
        // cell up and left, and so does this reader.
        if let (Some(t), true) = (&mut t, point) {
            t[0] -= 0.5 * t[1] + 0.5 * t[2];
            t[3] -= 0.5 * t[4] + 0.5 * t[5];
        }
        geo.transform = t;
        if let Some(e) = find(42113) {
            let text = r.ascii(e, "GDAL_NODATA")?;
            geo.nodata = match text.to_ascii_lowercase().as_str() {
                "nan" | "-nan" => Some(f64::NAN),
                t => Some(
                    t.parse::<f64>()
                        .map_err(|_| format!("GDAL_NODATA '{text}' is not a number"))?,
                ),
            };
        }
        Ok(geo)
    }

    /// The chunks across and down.
    pub fn chunks(&self) -> (u32, u32) {
        (self.across, self.offsets.len() as u32 / self.across.max(1))
    }

    /// What the chunk at `index` is called in errors.
    fn chunk_name(&self, index: usize) -> String {
        let kind = if self.tiled { "tile" } else { "strip" };
        format!("{kind} {index}")
    }

    /// Reads and decodes one chunk, `chunk_w × chunk_h` values row by row (a last strip's
    /// missing rows are NaN), nodata as it is stored.
    pub fn chunk(&self, index: usize) -> Result<Vec<f64>, TiffError> {
        let name = self.chunk_name(index);
        let (at, count) = match (self.offsets.get(index), self.counts.get(index)) {
            (Some(a), Some(c)) => (*a, *c),
            _ => return Err(format!("{name} does not exist")),
        };
        let bps = self.sample.bytes();
        let rows = if self.tiled {
            self.chunk_h as usize
        } else {
            let first = index as u64 * u64::from(self.chunk_h);
            (u64::from(self.height) - first).min(u64::from(self.chunk_h)) as usize
        };
        let w = self.chunk_w as usize;
        let want = w * rows * bps;
        // A sparse chunk (offset and count 0) is nodata, as GDAL reads it.
        let mut raw = if at == 0 && count == 0 {
            vec![0u8; want]
        } else {
            let file = self.file.as_ref().ok_or("the raster is not open")?;
            let r = Reader {
                file,
                len: self.len,
                big: self.big_endian,
            };
            if count > MAX_CHUNK_BYTES * 2 {
                return Err(format!("{name} claims {count} bytes"));
            }
            let packed = r.bytes(at, count, &name)?;
            self.decompress(packed, want, &name)?
        };
        if raw.len() < want {
            return Err(format!(
                "{name} decodes to {} bytes, short of the {want} its {w} × {rows} cells take: the file is corrupt",
                raw.len()
            ));
        }
        raw.truncate(want);
        match self.predictor {
            2 => self.undo_horizontal(&mut raw, w),
            3 => undo_float(&mut raw, w, bps),
            _ => {}
        }
        let mut out = Vec::with_capacity(self.chunk_w as usize * self.chunk_h as usize);
        // Predictor 3 leaves big-endian values; otherwise they are in the file's order.
        let big = self.big_endian || self.predictor == 3;
        for b in raw.chunks_exact(bps) {
            out.push(decode(self.sample, b, big));
        }
        out.resize(self.chunk_w as usize * self.chunk_h as usize, f64::NAN);
        Ok(out)
    }

    fn decompress(&self, packed: Vec<u8>, want: usize, name: &str) -> Result<Vec<u8>, TiffError> {
        match self.compression {
            Compression::None => Ok(packed),
            Compression::Deflate => {
                // Deflate expands at most about 1032:1: a small chunk claiming a huge size
                // gets no huge allocation up front.
                let mut out = Vec::with_capacity(want.min(packed.len().saturating_mul(1032)));
                let mut d = flate2::read::ZlibDecoder::new(&packed[..]).take(want as u64);
                d.read_to_end(&mut out)
                    .map_err(|e| format!("{name}: Deflate data is corrupt ({e})"))?;
                Ok(out)
            }
            Compression::Lzw => {
                let mut out = Vec::with_capacity(want.min(packed.len().saturating_mul(64)));
                let mut d = weezl::decode::Decoder::with_tiff_size_switch(weezl::BitOrder::Msb, 8);
                let mut buf = vec![0u8; 64 * 1024];
                let mut input = &packed[..];
                while out.len() < want {
                    let r = d.decode_bytes(input, &mut buf);
                    input = &input[r.consumed_in..];
                    out.extend_from_slice(&buf[..r.consumed_out.min(want - out.len())]);
                    match r.status {
                        Ok(weezl::LzwStatus::Ok) if r.consumed_in + r.consumed_out > 0 => {}
                        Ok(_) => break,
                        Err(e) => return Err(format!("{name}: LZW data is corrupt ({e})")),
                    }
                }
                Ok(out)
            }
            Compression::PackBits => {
                let mut out = Vec::with_capacity(want.min(packed.len().saturating_mul(64)));
                let mut i = 0;
                while i < packed.len() && out.len() < want {
                    let n = packed[i] as i8;
                    i += 1;
                    if n >= 0 {
                        let k = n as usize + 1;
                        let lit = packed
                            .get(i..i + k)
                            .ok_or_else(|| format!("{name}: PackBits data ends inside a run"))?;
                        out.extend_from_slice(lit);
                        i += k;
                    } else if n != -128 {
                        let b = *packed
                            .get(i)
                            .ok_or_else(|| format!("{name}: PackBits data ends inside a run"))?;
                        out.resize(out.len() + (1 - n as isize) as usize, b);
                        i += 1;
                    }
                }
                Ok(out)
            }
        }
    }

    /// Predictor 2: each sample is stored as the difference from the one before it in its row
    /// (wrapping unsigned arithmetic on the sample's bytes, in the file's byte order).
    fn undo_horizontal(&self, raw: &mut [u8], w: usize) {
        macro_rules! accumulate {
            ($row:expr, $t:ty, $n:expr) => {{
                let get = |b: &[u8]| {
                    let a: [u8; $n] = b[..$n].try_into().expect("sample bytes");
                    if self.big_endian {
                        <$t>::from_be_bytes(a)
                    } else {
                        <$t>::from_le_bytes(a)
                    }
                };
                let mut prev = get(&$row[0..$n]);
                for i in 1..w {
                    let v = get(&$row[i * $n..i * $n + $n]).wrapping_add(prev);
                    let b = if self.big_endian {
                        v.to_be_bytes()
                    } else {
                        v.to_le_bytes()
                    };
                    $row[i * $n..i * $n + $n].copy_from_slice(&b);
                    prev = v;
                }
            }};
        }
        let bps = self.sample.bytes();
        for row in raw.chunks_exact_mut(w * bps) {
            match bps {
                1 => accumulate!(row, u8, 1),
                2 => accumulate!(row, u16, 2),
                4 => accumulate!(row, u32, 4),
                _ => accumulate!(row, u64, 8),
            }
        }
    }
}

/// Predictor 3 (floating point): per row, the bytes were split into planes, most
/// significant first, then differenced byte by byte. Leaves big-endian values.
fn undo_float(raw: &mut [u8], w: usize, bps: usize) {
    let mut tmp = vec![0u8; w * bps];
    for row in raw.chunks_exact_mut(w * bps) {
        for i in 1..row.len() {
            row[i] = row[i].wrapping_add(row[i - 1]);
        }
        tmp.copy_from_slice(row);
        for c in 0..w {
            for b in 0..bps {
                row[c * bps + b] = tmp[b * w + c];
            }
        }
    }
}

fn decode(s: Sample, b: &[u8], big: bool) -> f64 {
    macro_rules! num {
        ($t:ty, $n:expr) => {{
            let a: [u8; $n] = b[..$n].try_into().expect("sample bytes");
            if big {
                <$t>::from_be_bytes(a)
            } else {
                <$t>::from_le_bytes(a)
            }
        }};
    }
    match s {
        Sample::U8 => f64::from(b[0]),
        Sample::I8 => f64::from(b[0] as i8),
        Sample::U16 => f64::from(num!(u16, 2)),
        Sample::I16 => f64::from(num!(i16, 2)),
        Sample::U32 => f64::from(num!(u32, 4)),
        Sample::I32 => f64::from(num!(i32, 4)),
        Sample::F32 => f64::from(num!(f32, 4)),
        Sample::F64 => num!(f64, 8),
    }
}

/// How [`write`] lays a raster out.
#[derive(Clone, Copy, Debug)]
pub struct WriteOptions {
    /// Int16 or Float32.
    pub sample: Sample,
    /// Tile size (a multiple of 16).
    pub tile: u32,
    pub epsg: u32,
    /// GTModelType: projected (true) or geographic.
    pub projected: bool,
    pub nodata: Option<f64>,
}

/// Writes a one-band GeoTIFF, tiled and Deflate-compressed with predictor 2 (Int16) or 3
/// (Float32), little-endian, with GDAL's nodata tag: what the demo's DEM and the tests'
/// rasters are made with. `z` is row by row, north first; `transform` is GDAL's.
pub fn write(
    path: &std::path::Path,
    width: u32,
    height: u32,
    z: &[f64],
    transform: [f64; 6],
    o: WriteOptions,
) -> std::io::Result<()> {
    use std::io::Write;
    assert_eq!(z.len(), width as usize * height as usize);
    let bps = o.sample.bytes();
    let (tw, th) = (o.tile as usize, o.tile as usize);
    let across = (width as usize).div_ceil(tw);
    let down = (height as usize).div_ceil(th);
    let mut body: Vec<u8> = Vec::new();
    let mut offsets = Vec::new();
    let mut counts = Vec::new();
    // Tiles start after the 8-byte header.
    for ty in 0..down {
        for tx in 0..across {
            let mut raw = Vec::with_capacity(tw * th * bps);
            for r in 0..th {
                let mut row: Vec<u8> = Vec::with_capacity(tw * bps);
                for c in 0..tw {
                    let (col, rw) = (tx * tw + c, ty * th + r);
                    let v = if col < width as usize && rw < height as usize {
                        z[rw * width as usize + col]
                    } else {
                        o.nodata.unwrap_or(0.0)
                    };
                    match o.sample {
                        Sample::I16 => row.extend((v.round() as i16).to_le_bytes()),
                        _ => row.extend((v as f32).to_be_bytes()),
                    }
                }
                match o.sample {
                    Sample::I16 => {
                        // Predictor 2 on little-endian 16-bit values, right to left.
                        for c in (1..tw).rev() {
                            let a = u16::from_le_bytes([row[c * 2], row[c * 2 + 1]]);
                            let b = u16::from_le_bytes([row[c * 2 - 2], row[c * 2 - 1]]);
                            row[c * 2..c * 2 + 2].copy_from_slice(&a.wrapping_sub(b).to_le_bytes());
                        }
                    }
                    _ => {
                        // Predictor 3: byte planes, most significant first, then differences.
                        let mut planes = vec![0u8; tw * bps];
                        for c in 0..tw {
                            for b in 0..bps {
                                planes[b * tw + c] = row[c * bps + b];
                            }
                        }
                        for i in (1..planes.len()).rev() {
                            planes[i] = planes[i].wrapping_sub(planes[i - 1]);
                        }
                        row = planes;
                    }
                }
                raw.extend(row);
            }
            let mut enc = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
            enc.write_all(&raw)?;
            let packed = enc.finish()?;
            offsets.push(8 + body.len() as u32);
            counts.push(packed.len() as u32);
            body.extend(packed);
        }
    }
    // Tag values that do not fit in 4 bytes go after the directory.
    let mut entries: Vec<(u16, u16, u32, Vec<u8>)> = Vec::new();
    let short = |v: &[u16]| v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>();
    let long = |v: &[u32]| v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>();
    let double = |v: &[f64]| v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>();
    let (bits, format, predictor) = match o.sample {
        Sample::I16 => (16u16, 2u16, 2u16),
        _ => (32, 3, 3),
    };
    entries.push((256, 4, 1, long(&[width])));
    entries.push((257, 4, 1, long(&[height])));
    entries.push((258, 3, 1, short(&[bits])));
    entries.push((259, 3, 1, short(&[8])));
    entries.push((262, 3, 1, short(&[1])));
    entries.push((277, 3, 1, short(&[1])));
    entries.push((284, 3, 1, short(&[1])));
    entries.push((317, 3, 1, short(&[predictor])));
    entries.push((322, 3, 1, short(&[o.tile as u16])));
    entries.push((323, 3, 1, short(&[o.tile as u16])));
    entries.push((324, 4, offsets.len() as u32, long(&offsets)));
    entries.push((325, 4, counts.len() as u32, long(&counts)));
    entries.push((339, 3, 1, short(&[format])));
    entries.push((33550, 12, 3, double(&[transform[1], -transform[5], 0.0])));
    entries.push((
        33922,
        12,
        6,
        double(&[0.0, 0.0, 0.0, transform[0], transform[3], 0.0]),
    ));
    let keys: Vec<u16> = if o.projected {
        vec![
            1,
            1,
            0,
            3,
            1024,
            0,
            1,
            1,
            1025,
            0,
            1,
            1,
            3072,
            0,
            1,
            o.epsg as u16,
        ]
    } else {
        vec![
            1,
            1,
            0,
            3,
            1024,
            0,
            1,
            2,
            1025,
            0,
            1,
            1,
            2048,
            0,
            1,
            o.epsg as u16,
        ]
    };
    entries.push((34735, 3, keys.len() as u32, short(&keys)));
    if let Some(n) = o.nodata {
        let mut text = if n.is_nan() {
            "nan".to_owned()
        } else {
            format!("{n}")
        };
        text.push('\0');
        entries.push((42113, 2, text.len() as u32, text.into_bytes()));
    }
    let ifd_at = 8 + body.len() as u32;
    let ifd_len = 2 + entries.len() as u32 * 12 + 4;
    let mut extra: Vec<u8> = Vec::new();
    let mut ifd: Vec<u8> = Vec::new();
    ifd.extend((entries.len() as u16).to_le_bytes());
    for (tag, ty, count, bytes) in &entries {
        ifd.extend(tag.to_le_bytes());
        ifd.extend(ty.to_le_bytes());
        ifd.extend(count.to_le_bytes());
        if bytes.len() <= 4 {
            let mut b = bytes.clone();
            b.resize(4, 0);
            ifd.extend(b);
        } else {
            ifd.extend((ifd_at + ifd_len + extra.len() as u32).to_le_bytes());
            extra.extend(bytes);
            if extra.len() % 2 == 1 {
                extra.push(0);
            }
        }
    }
    ifd.extend(0u32.to_le_bytes());
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    out.write_all(b"II*\0")?;
    out.write_all(&ifd_at.to_le_bytes())?;
    out.write_all(&body)?;
    out.write_all(&ifd)?;
    out.write_all(&extra)?;
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid(w: u32, h: u32) -> Vec<f64> {
        (0..w * h)
            .map(|i| f64::from(i % w) * 1.5 - f64::from(i / w) * 2.25 + 100.0)
            .collect()
    }

    #[test]
    fn what_write_writes_reads_back_cell_for_cell() {
        let tmp = tempfile::tempdir().unwrap();
        for sample in [Sample::I16, Sample::F32] {
            let (w, h) = (70, 45);
            let z = grid(w, h);
            let p = tmp.path().join(format!("{sample:?}.tif"));
            let t = [500_000.0, 10.0, 0.0, 3_400_000.0, 0.0, -10.0];
            write(
                &p,
                w,
                h,
                &z,
                t,
                WriteOptions {
                    sample,
                    tile: 32,
                    epsg: 4546,
                    projected: true,
                    nodata: Some(-9999.0),
                },
            )
            .unwrap();
            let tif = Tiff::open(&p).unwrap();
            assert_eq!((tif.width, tif.height, tif.tiled), (w, h, true));
            assert_eq!(tif.geo.epsg, Some(4546));
            assert_eq!(tif.geo.transform, Some(t));
            assert_eq!(tif.geo.nodata, Some(-9999.0));
            let (across, down) = tif.chunks();
            assert_eq!((across, down), (3, 2));
            for ty in 0..down {
                for tx in 0..across {
                    let chunk = tif.chunk((ty * across + tx) as usize).unwrap();
                    for r in 0..32 {
                        for c in 0..32 {
                            let (col, row) = (tx * 32 + c, ty * 32 + r);
                            if col < w && row < h {
                                let want = z[(row * w + col) as usize];
                                let want = if sample == Sample::I16 {
                                    want.round()
                                } else {
                                    f64::from(want as f32)
                                };
                                assert_eq!(
                                    chunk[(r * 32 + c) as usize],
                                    want,
                                    "{sample:?} at {col},{row}"
                                );
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn corrupt_and_truncated_rasters_are_errors_that_say_what() {
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path().join("a.tif");
        let z = grid(40, 40);
        write(
            &p,
            40,
            40,
            &z,
            [0.0, 1.0, 0.0, 40.0, 0.0, -1.0],
            WriteOptions {
                sample: Sample::I16,
                tile: 16,
                epsg: 4546,
                projected: true,
                nodata: None,
            },
        )
        .unwrap();
        let bytes = std::fs::read(&p).unwrap();
        // Not a TIFF.
        std::fs::write(&p, b"GIF89a....").unwrap();
        assert!(Tiff::open(&p).unwrap_err().contains("not a TIFF"));
        // Cut inside the directory.
        std::fs::write(&p, &bytes[..bytes.len() - 200]).unwrap();
        let e = Tiff::open(&p).unwrap_err();
        assert!(e.contains("past the end of the file"), "{e}");
        // A tile's compressed bytes overwritten: the tile, not the file, fails, with its name.
        let mut broken = bytes.clone();
        for b in &mut broken[8..40] {
            *b = 0xff;
        }
        std::fs::write(&p, &broken).unwrap();
        let t = Tiff::open(&p).unwrap();
        let e = t.chunk(0).unwrap_err();
        assert!(e.contains("tile 0") && e.contains("Deflate"), "{e}");
        assert!(t.chunk(3).is_ok());
    }
}

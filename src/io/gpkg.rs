//! GeoPackage, natively (SQLite compiled in by rusqlite; no GDAL): feature tables from
//! `gpkg_contents`, the geometry column and CRS from `gpkg_geometry_columns` and
//! `gpkg_spatial_ref_sys` (EPSG by organization code, else the WKT definition), geometries
//! as GeoPackage binary (header + WKB). A source with several feature tables needs
//! `--layer` / `source_layer`. A feature's id is its `fid`, as GDAL numbers them; columns
//! declared BOOLEAN read as booleans.

use super::{resolve_crs, RawFeature, ReadOptions, Whole};
use crate::crs::Crs;
use crate::model::Properties;
use crate::{Error, Result};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};
use serde_json::Value;
use std::path::Path;

fn sql_error(path: &Path, e: rusqlite::Error) -> Error {
    Error::parse(path, None, format!("not a readable GeoPackage: {e}"))
}

/// A double-quoted SQL identifier.
fn ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// The WKB inside a GeoPackage geometry blob, or why there is none.
fn wkb_of(blob: &[u8]) -> std::result::Result<&[u8], String> {
    if blob.len() < 8 || &blob[..2] != b"GP" {
        return Err("not a GeoPackage geometry (no GP header)".into());
    }
    let flags = blob[3];
    if flags & 0b0001_0000 != 0 {
        return Err("empty geometry".into());
    }
    let envelope = match (flags >> 1) & 0b111 {
        0 => 0,
        1 => 32,
        2 | 3 => 48,
        4 => 64,
        e => {
            return Err(format!(
                "invalid envelope code {e} in the GeoPackage header"
            ))
        }
    };
    blob.get(8 + envelope..)
        .ok_or_else(|| "GeoPackage geometry shorter than its header".to_owned())
}

/// Reads one feature table of a GeoPackage whole.
pub(crate) fn read(path: &Path, opts: ReadOptions<'_>) -> Result<Whole> {
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| sql_error(path, e))?;
    let e = |err| sql_error(path, err);
    let tables: Vec<String> = conn
        .prepare(
            "SELECT table_name FROM gpkg_contents WHERE data_type = 'features' ORDER BY table_name",
        )
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .map_err(e)?;
    let table = match opts.layer {
        Some(name) => tables
            .iter()
            .find(|t| *t == name)
            .cloned()
            .ok_or_else(|| super::no_such_layer(path, name, &tables))?,
        None if tables.len() == 1 => tables[0].clone(),
        None if tables.is_empty() => {
            return Err(Error::parse(
                path,
                None,
                "the GeoPackage has no feature table",
            ))
        }
        None => return Err(super::layer_needed(path, &tables)),
    };
    let (geom_col, srs_id): (String, i64) = conn
        .query_row(
            "SELECT column_name, srs_id FROM gpkg_geometry_columns WHERE table_name = ?1",
            [&table],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .map_err(e)?;
    let in_file = match conn.query_row(
        "SELECT organization, organization_coordsys_id, definition FROM gpkg_spatial_ref_sys WHERE srs_id = ?1",
        [srs_id],
        |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?, r.get::<_, String>(2)?)),
    ) {
        Ok((org, code, _)) if org.eq_ignore_ascii_case("EPSG") && code > 0 => Some(
            Crs::from_epsg(code as u32)
                .map_err(|err| Error::parse(path, None, format!("the layer's CRS EPSG:{code}: {err}")))?,
        ),
        // -1 / 0: undefined Cartesian / geographic.
        Ok((_, _, def)) if def.trim().is_empty() || def.trim() == "undefined" => None,
        Ok((_, _, def)) => Some(
            Crs::parse(&def).map_err(|err| Error::parse(path, None, format!("the layer's CRS: {err}")))?,
        ),
        Err(rusqlite::Error::QueryReturnedNoRows) => None,
        Err(err) => return Err(e(err)),
    };
    let crs = resolve_crs(path, in_file, None, &opts)?;
    // Columns, their declared types, and the primary key (the fid).
    let columns: Vec<(String, String, bool)> = conn
        .prepare(&format!("PRAGMA table_info({})", ident(&table)))
        .and_then(|mut s| {
            s.query_map([], |r| {
                Ok((r.get(1)?, r.get::<_, String>(2)?, r.get::<_, i64>(5)? > 0))
            })?
            .collect()
        })
        .map_err(e)?;
    let fid = columns.iter().find(|c| c.2).map(|c| c.0.clone());
    // Only the columns the rules read are selected ([`super::Projection`]).
    let attrs: Vec<(String, bool)> = columns
        .iter()
        .filter(|c| !c.2 && c.0 != geom_col && super::wanted(&opts, &c.0))
        .map(|c| (c.0.clone(), c.1.eq_ignore_ascii_case("BOOLEAN")))
        .collect();
    let select: Vec<String> = fid
        .iter()
        .map(|f| ident(f))
        .chain(std::iter::once(ident(&geom_col)))
        .chain(attrs.iter().map(|(n, _)| ident(n)))
        .collect();
    let order = fid
        .as_deref()
        .map(|f| format!(" ORDER BY {}", ident(f)))
        .unwrap_or_default();
    let mut stmt = conn
        .prepare(&format!(
            "SELECT {} FROM {}{order}",
            select.join(", "),
            ident(&table)
        ))
        .map_err(e)?;
    let mut raws = Vec::new();
    let skip = usize::from(fid.is_some());
    // A layer can be a view, and a view can be a query that never ends (an infinite
    // recursive CTE) or never yields (sorting one): SQLite is stopped when no row has come
    // for STALL, and the rows are counted against the limits of a source held whole.
    let watchdog = Watchdog::start(conn.get_interrupt_handle());
    let mut rows = stmt.query([]).map_err(|err| stalled(path, err))?;
    let mut index = 0;
    let mut memory = 0u64;
    let limits = opts.limits;
    while let Some(row) = rows.next().map_err(|err| stalled(path, err))? {
        watchdog.alive();
        if index as u64 >= limits.check_features {
            return Err(Error::parse(
                path,
                None,
                format!(
                    "layer '{table}' holds more than {} features, the most a GeoPackage layer is read with ([limits] check_features in ironrule.toml): is it a view that never ends? Export the layer to FlatGeobuf or GeoParquet to stream it",
                    limits.check_features
                ),
            ));
        }
        let id = match fid {
            Some(_) => row.get::<_, i64>(0).ok().map(|v| v.to_string()),
            None => Some(index.to_string()),
        };
        let geometry = match row.get_ref(skip) {
            Ok(ValueRef::Blob(b)) => wkb_of(b).and_then(super::wkb::decode),
            Ok(ValueRef::Null) => Err("the feature has no geometry".to_owned()),
            Ok(_) => Err("the geometry column does not hold a blob".to_owned()),
            Err(err) => Err(err.to_string()),
        };
        let mut properties = Properties::new();
        for (i, (name, boolean)) in attrs.iter().enumerate() {
            let v = match row.get_ref(skip + 1 + i) {
                Ok(ValueRef::Integer(v)) if *boolean => Value::Bool(v != 0),
                Ok(ValueRef::Integer(v)) => Value::from(v),
                Ok(ValueRef::Real(v)) => {
                    serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number)
                }
                Ok(ValueRef::Text(t)) => Value::String(String::from_utf8_lossy(t).into_owned()),
                _ => Value::Null,
            };
            properties.insert(name.clone(), v);
        }
        memory += super::memory_estimate(&properties, geometry.as_ref().ok());
        if memory > limits.check_memory_mb.saturating_mul(1 << 20) {
            return Err(Error::parse(
                path,
                None,
                format!(
                    "layer '{table}' would take more than {} MB of memory after {index} features ([limits] check_memory_mb in ironrule.toml); export it to FlatGeobuf or GeoParquet to stream it",
                    limits.check_memory_mb
                ),
            ));
        }
        raws.push(RawFeature {
            index,
            id,
            properties,
            geometry,
            repaired: None,
        });
        index += 1;
    }
    Ok(Whole {
        crs,
        raws,
        diagnostics: Vec::new(),
    })
}

/// A thread that interrupts SQLite when no row has come for [`STALL`]; it ends with the read.
struct Watchdog {
    /// Milliseconds since `start` at the last row; `u64::MAX` once the read is over.
    last: std::sync::Arc<std::sync::atomic::AtomicU64>,
    start: std::time::Instant,
}

impl Watchdog {
    fn start(handle: rusqlite::InterruptHandle) -> Watchdog {
        use std::sync::atomic::Ordering;
        let last = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let start = std::time::Instant::now();
        let seen = last.clone();
        std::thread::spawn(move || loop {
            std::thread::sleep(std::time::Duration::from_millis(200));
            let at = seen.load(Ordering::Relaxed);
            if at == u64::MAX {
                return;
            }
            if start.elapsed().as_millis() as u64 > at + STALL.as_millis() as u64 {
                handle.interrupt();
                return;
            }
        });
        Watchdog { last, start }
    }

    fn alive(&self) {
        self.last.store(
            self.start.elapsed().as_millis() as u64,
            std::sync::atomic::Ordering::Relaxed,
        );
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.last
            .store(u64::MAX, std::sync::atomic::Ordering::Relaxed);
    }
}

/// How long SQLite may run without producing a row before the read is stopped.
const STALL: std::time::Duration = std::time::Duration::from_secs(30);

/// A query error; an interrupted one (see [`STALL`]) says why.
fn stalled(path: &Path, err: rusqlite::Error) -> Error {
    if matches!(&err, rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::OperationInterrupted)
    {
        return Error::parse(
            path,
            None,
            format!(
                "the layer's query produced no row for {} s and was stopped: a view that never ends or never yields?",
                STALL.as_secs()
            ),
        );
    }
    sql_error(path, err)
}

"""ironrule for Python: Yichang's city-building iron rules on GeoDataFrames, Arrow tables and
Spark, through the same Rust checker as the ``ironrule`` command line.

>>> import ironrule
>>> project = ironrule.Project("data/yichang/ironrule.toml")      # loaded and indexed once
>>> findings = project.check(gdf)                                 # a GeoDataFrame of findings
>>> table = project.check_arrow(batch, crs="EPSG:4546")           # a pyarrow.Table

Findings have the JSON report's fields as columns (``code``, ``severity``, ``status``,
``feature_index``, ``feature_id``, ``zone_layer``, ``measure_value``, ``measure_limit``,
``message``, ``resolution``, ...). A rule that could not be decided is a row whose ``status``
is ``undetermined``; it is never left out. Features that cannot be checked (a bad geometry,
outside the project's area) raise :class:`InputError` with the command line's words, unless
``errors="report"``, which returns the findings with the diagnostics beside them.
"""

from __future__ import annotations

import json
import os
from typing import Any, Optional

from . import _ironrule
from ._ironrule import CrsError, Error, InputError, ProjectError, __version__

__all__ = [
    "Project",
    "Error",
    "ProjectError",
    "InputError",
    "CrsError",
    "__version__",
]


class Project:
    """A project (``ironrule.toml``: zone layers, DEMs, rule packs), loaded and indexed once.

    Pickled by its path and language, so that Spark executors and multiprocessing workers
    rebuild it from the same files (they must see the project folder at the same path).

    Raises :class:`ProjectError` when the project does not load (the CLI's exit 2).
    """

    def __init__(self, path: "str | os.PathLike[str]", lang: str = "en") -> None:
        self._p = _ironrule.Project(os.fspath(path), lang)

    def __reduce__(self):
        return (Project, (os.fspath(self._p.path), self._p.lang))

    def __repr__(self) -> str:
        return repr(self._p)

    @property
    def path(self) -> str:
        return os.fspath(self._p.path)

    @property
    def lang(self) -> str:
        return self._p.lang

    @property
    def name(self) -> Optional[str]:
        return self._p.name

    @property
    def working_crs(self) -> str:
        return self._p.working_crs

    @property
    def rules(self) -> list:
        """The rules: code, name, severity, summary, citation, approval."""
        return json.loads(self._p._rules_json())

    def reads(self, attribute: str) -> bool:
        """Whether a rule reads this attribute (or one of its dictionary aliases)."""
        return self._p.reads(attribute)

    # -- Arrow ------------------------------------------------------------------------------

    def check_arrow(
        self,
        data: Any,
        *,
        geometry: Optional[str] = None,
        crs: Optional[str] = None,
        id_field: Optional[str] = None,
        source: str = "<arrow>",
        index_offset: int = 0,
        index_column: Optional[str] = None,
        share: bool = True,
        repair: bool = False,
        errors: str = "raise",
    ):
        """Checks an Arrow ``RecordBatch``, ``Table`` or anything with ``__arrow_c_stream__``
        (one source). Returns a ``pyarrow.Table`` of findings; its schema metadata
        ``b"ironrule"`` holds the counts, diagnostics and exit code as JSON.

        The geometry column is WKB (``binary``, or GeoArrow's ``geoarrow.wkb``) or GeoArrow's
        native point, line or polygon encodings; ``geometry=`` names it (by default the
        GeoArrow column, else ``geometry``). The CRS is ``crs=`` or the GeoArrow column's;
        without either, :class:`CrsError` (ironrule does not guess). Only the columns the
        rules read (and ``id_field``) are converted. ``share=True`` judges the table as one
        submission (share rules, such as a district's landscape share, as ``ironrule check``);
        ``share=False`` streams it as ``ironrule audit`` does.
        """
        import pyarrow as pa

        table, batches = _batches(data)
        slots = []
        for b in batches:
            slot = _ironrule.ArrowSlot()
            b._export_to_c(slot.array_address, slot.schema_address)
            slots.append(slot)
        out, meta = self._p._check(
            slots,
            geometry=geometry,
            crs=crs,
            id_field=id_field,
            source=source,
            index_offset=index_offset,
            index_column=index_column,
            whole=share,
            repair=repair,
        )
        batches = [pa.RecordBatch._import_from_c(o.array_address, o.schema_address) for o in out]
        result = pa.Table.from_batches(batches).replace_schema_metadata({"ironrule": meta})
        _raise_on_errors(json.loads(meta), errors, result)
        return result

    # -- GeoPandas --------------------------------------------------------------------------

    def check(
        self,
        gdf,
        *,
        id_field: Optional[str] = None,
        source: str = "<GeoDataFrame>",
        share: bool = True,
        repair: bool = False,
        errors: str = "raise",
    ):
        """Checks a GeoPandas ``GeoDataFrame`` (in its own CRS; one source). Returns a
        ``GeoDataFrame`` of findings, the offending part of each as its geometry in the
        input's CRS, and ``.attrs["ironrule"]``: ``read``, ``checked``, ``rejected``,
        ``diagnostics``, ``summary``, ``exit_code`` (the CLI's, failing on prohibited).

        Feature indexes are row positions. Only the columns the rules read are sent.
        """
        import geopandas

        if not isinstance(gdf, geopandas.GeoDataFrame):
            raise TypeError(f"check() takes a geopandas.GeoDataFrame, not {type(gdf).__name__}; use check_arrow() for Arrow data")
        if gdf.crs is None:
            raise CrsError(
                "the GeoDataFrame has no CRS: set it (gdf.set_crs(\"EPSG:4490\"), for example); ironrule does not guess"
            )
        geom = gdf.geometry.name
        keep = [c for c in gdf.columns if c != geom and (c == id_field or self.reads(str(c)))]
        frame = gdf[keep + [geom]]
        # Polygons go as GeoArrow polygons built from shapely's coordinate arrays (0.4-0.8 s
        # for W1's million parcels); anything else as WKB, which geopandas writes faster than
        # its general GeoArrow encoding (1.0-2.1 s against 3.0-3.9 s). The checker reads both
        # alike.
        table = _polygon_table(frame, geom)
        if table is None:
            table = frame.to_arrow(index=False, geometry_encoding="WKB")
        epsg = gdf.crs.to_epsg()
        crs = f"EPSG:{epsg}" if epsg else gdf.crs.to_json()
        result = self.check_arrow(
            table,
            geometry=geom,
            crs=crs,
            id_field=id_field,
            source=source,
            share=share,
            repair=repair,
            errors="report",
        )
        meta = json.loads(result.schema.metadata[b"ironrule"])
        findings = _to_geodataframe(result, gdf.crs)
        _raise_on_errors(meta, errors, findings)
        return findings


def _polygon_table(frame, geom: str):
    """``frame`` as an Arrow table whose geometry is a GeoArrow polygon column (interleaved
    x, y), when every geometry is a non-empty Polygon; else ``None`` (the caller sends WKB).
    Made from shapely's coordinate arrays, without a WKB value per feature."""
    import numpy as np
    import pyarrow as pa
    import shapely

    g = np.asarray(frame[geom].values, dtype=object)
    if len(g) == 0:
        return None
    if not (shapely.get_type_id(g) == 3).all() or shapely.is_empty(g).any():
        return None
    holes = shapely.get_num_interior_rings(g)
    if holes.any():
        # Every ring, exterior first, in the order get_coordinates gives their positions.
        ring_sizes = shapely.get_num_coordinates(shapely.get_rings(g))
    else:
        ring_sizes = shapely.get_num_coordinates(g)
    rings_per_polygon = holes + 1
    ring_offsets = np.zeros(len(ring_sizes) + 1, dtype=np.int64)
    np.cumsum(ring_sizes, out=ring_offsets[1:])
    polygon_offsets = np.zeros(len(g) + 1, dtype=np.int64)
    np.cumsum(rings_per_polygon, out=polygon_offsets[1:])
    coords = shapely.get_coordinates(g)
    if ring_offsets[-1] != len(coords):
        return None
    xy = pa.FixedSizeListArray.from_arrays(pa.array(coords.ravel()), 2)
    rings = pa.LargeListArray.from_arrays(pa.array(ring_offsets), xy)
    polygons = pa.LargeListArray.from_arrays(pa.array(polygon_offsets), rings)
    field = pa.field(geom, polygons.type, metadata={b"ARROW:extension:name": b"geoarrow.polygon"})
    others = [c for c in frame.columns if c != geom]
    if not others:
        return pa.Table.from_arrays([polygons], schema=pa.schema([field]))
    attributes = pa.Table.from_pandas(frame[others], preserve_index=False)
    return attributes.append_column(field, polygons)


def _batches(data):
    """A table and its record batches (at least one, possibly empty)."""
    import pyarrow as pa

    if isinstance(data, pa.RecordBatch):
        return pa.Table.from_batches([data]), [data]
    if isinstance(data, pa.Table):
        table = data
    elif isinstance(data, pa.RecordBatchReader):
        table = data.read_all()
    elif hasattr(data, "__arrow_c_stream__"):
        table = pa.table(data)
    else:
        raise TypeError(f"check_arrow() takes a pyarrow RecordBatch or Table (or an Arrow stream), not {type(data).__name__}")
    batches = table.to_batches()
    if not batches:
        batches = [pa.RecordBatch.from_pylist([], schema=table.schema)]
    return table, batches


def _to_geodataframe(table, crs):
    import geopandas

    frame = table.drop_columns(["geometry"]).to_pandas()
    geometry = geopandas.GeoSeries.from_wkb(table.column("geometry").to_numpy(zero_copy_only=False), crs=crs)
    out = geopandas.GeoDataFrame(frame, geometry=geometry, crs=crs)
    out.attrs["ironrule"] = json.loads(table.schema.metadata[b"ironrule"])
    return out


def _raise_on_errors(meta: dict, errors: str, result) -> None:
    """``errors="raise"``: an error diagnostic (a feature that could not be checked) raises
    InputError with the CLI's lines; ``"report"`` leaves them in the result's metadata."""
    if errors not in ("raise", "report"):
        raise ValueError(f'errors must be "raise" or "report", not {errors!r}')
    if errors == "raise" and meta.get("errors"):
        lines = [line for line, d in zip(meta["diagnostic_lines"], meta["diagnostics"]) if d["level"] == "error"]
        e = InputError(
            f"{meta['rejected']} of {meta['read']} features could not be checked:\n  " + "\n  ".join(lines)
        )
        e.diagnostics = meta["diagnostics"]
        e.result = result
        raise e

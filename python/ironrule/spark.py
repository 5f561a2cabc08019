"""Audits on Apache Spark: the same Rust checker, called per partition inside ``mapInArrow``.

Spark does the distribution, retries and I/O; each executor's Python worker loads the
project once (by its path: the project folder must be readable at the same path on every
worker) and checks its batches as ``ironrule audit`` does. The findings come back as a Spark
DataFrame, and ``out=`` writes ``findings.csv``, ``diagnostics.csv`` and ``summary.json``
equal to ``ironrule audit``'s (rows in the source's order, written by the same Rust emitters).

>>> from ironrule.spark import audit
>>> findings = audit("parcels.parquet", "project/ironrule.toml", id_field="id", out="audit/")

A GeoParquet path is read by Spark's Parquet reader; its CRS and geometry column come from
the file's ``geo`` metadata and each feature's index is its row in the file (so indexes match
``ironrule audit``'s). A DataFrame needs ``crs=`` and, for indexes, ``index_column=``
(otherwise Spark's ``monotonically_increasing_id`` numbers the rows).
"""

from __future__ import annotations

import json
import os
import time
from typing import Optional

from . import Project, _ironrule

_PROJECTS: dict = {}

_INDEX = "__ironrule_index"
_SEQ = "__ironrule_seq"


def _project(path: str, lang: str):
    """The project, loaded once per Python worker process."""
    key = (path, lang)
    p = _PROJECTS.get(key)
    if p is None:
        p = _PROJECTS[key] = Project(path, lang)
    return p


def _geoparquet(path: str):
    """(geometry column, CRS text) from a GeoParquet file's (or folder's first file's) metadata."""
    import pyarrow.parquet as pq

    target = path
    if os.path.isdir(path):
        files = sorted(f for f in os.listdir(path) if f.endswith(".parquet"))
        if not files:
            raise _ironrule.InputError(f"{path}: no .parquet files")
        target = os.path.join(path, files[0])
    meta = pq.read_schema(target).metadata or {}
    if b"geo" not in meta:
        raise _ironrule.InputError(f"{path}: not GeoParquet (no 'geo' metadata); pass a DataFrame with crs= and geometry=")
    geo = json.loads(meta[b"geo"])
    column = geo["primary_column"]
    crs = geo["columns"][column].get("crs", "OGC:CRS84")
    if crs is None:
        raise _ironrule.CrsError(f"{path}: the geometry column's CRS is null (unknown): pass crs=")
    return column, crs if isinstance(crs, str) else json.dumps(crs)


# The columns of `columns="audit"` (findings.csv's, typed): what Spark converts and keeps is
# the cost of a Spark audit, and the JSON-only ones (citation, resolution, geometry...) are
# most of a row.
_AUDIT = {
    "code", "severity", "status", "feature_source", "feature_index", "feature_id", "zone_layer",
    "zone_id", "measure_kind", "measure_value", "measure_unit", "measure_limit", "message",
    "csv_row", "district",
}


def _schema(spark_types, full: bool):
    T = spark_types
    s = T.StringType()
    d = T.DoubleType()
    fields = [
        ("code", s), ("name", s), ("severity", s), ("status", s), ("feature_source", s),
        ("feature_index", T.LongType()), ("feature_id", s), ("feature_name", s),
        ("zone_layer", s), ("zone_id", s), ("zone_name", s), ("measure_kind", s),
        ("measure_value", d), ("measure_unit", s), ("measure_limit", d), ("measure_op", s),
        ("share_of_footprint", d), ("nearest", s), ("message", s), ("resolution", s),
        ("citation", s), ("approval", s), ("exception", s), ("undetermined", s),
        ("triage", s), ("fingerprint", s), ("terrain", s), ("geometry", T.BinaryType()),
        ("geometry_crs", s), ("csv_row", s), ("district", s),
    ]
    if not full:
        fields = [f for f in fields if f[0] in _AUDIT]
    fields += [
        # Bookkeeping rows: "finding", "diagnostic" or "counts".
        ("record", s), (_SEQ, T.LongType()), ("diag_level", s), ("diag_row", s),
        ("read", T.LongType()), ("checked", T.LongType()), ("extent", T.ArrayType(d)), ("crs", s),
        # A "counts" row's findings and features by rule, etc. (JSON; see _tally).
        ("tally", s),
    ]
    return T.StructType([T.StructField(n, t, True) for n, t in fields])


def _batch_fn(project_path, lang, geometry, crs, id_field, source, index_column, full):
    """The function mapInArrow runs on every partition."""

    def run(batches):
        import pyarrow as pa

        p = _project(project_path, lang)
        for batch in batches:
            slot = _ironrule.ArrowSlot()
            batch._export_to_c(slot.array_address, slot.schema_address)
            out, meta = p._p._check(
                [slot], geometry=geometry, crs=crs, id_field=id_field, source=source,
                index_column=index_column, whole=False, audit_columns=True, lean=not full,
                duplicate_ids=False,
            )
            meta = json.loads(meta)
            rows = []
            seq = 0  # the findings' order within the batch, across its output batches
            found_all = [pa.RecordBatch._import_from_c(o.array_address, o.schema_address) for o in out]
            for found in found_all:
                n = found.num_rows
                cols = {name: found.column(name) for name in found.schema.names if full or name in _AUDIT}
                cols["feature_index"] = cols["feature_index"].cast(pa.int64())
                cols["record"] = pa.array(["finding"] * n, pa.string())
                cols[_SEQ] = pa.array(range(seq, seq + n), pa.int64())
                seq += n
                rows.append(cols)
            diags = meta["diagnostics"]
            if diags:
                rows.append({
                    "record": pa.array(["diagnostic"] * len(diags), pa.string()),
                    "feature_index": pa.array([d.get("feature_index") for d in diags], pa.int64()),
                    "feature_id": pa.array([d.get("feature_id") for d in diags], pa.string()),
                    _SEQ: pa.array(range(len(diags)), pa.int64()),
                    "diag_level": pa.array([d["level"] for d in diags], pa.string()),
                    "diag_row": pa.array(meta["diagnostic_rows"], pa.string()),
                })
            rows.append({
                "record": pa.array(["counts"], pa.string()),
                "read": pa.array([meta["read"]], pa.int64()),
                "crs": pa.array([meta["crs"]], pa.string()),
                "checked": pa.array([meta["checked"]], pa.int64()),
                "extent": pa.array([meta["extent"]], pa.list_(pa.float64())),
                "tally": pa.array([json.dumps(_tally(pa.Table.from_batches(found_all)))], pa.string()),
            })
            for r in rows:
                yield _conform(r, full)

    return run


def _tally(found) -> dict:
    """One input batch's findings counted for summary.json: findings by (rule, severity,
    status, district) and features by rule. A feature is in exactly one input batch, so the
    driver adds the batches' tallies up (no aggregation job over the findings)."""
    groups = found.group_by(["code", "severity", "status", "district"], use_threads=False).aggregate([([], "count_all")])
    features = found.group_by("code", use_threads=False).aggregate([("feature_index", "count_distinct")])
    return {
        "findings": [[r["code"], r["severity"], r["status"], r["district"], r["count_all"]] for r in groups.to_pylist()],
        "features": {r["code"]: r["feature_index_count_distinct"] for r in features.to_pylist()},
    }


def _joined(batches):
    """mapInArrow over the sorted ``csv_row`` column: each batch's rows as one text, so that
    the driver writes findings.csv from a few large values, not a Python row per finding."""
    import pyarrow as pa

    for b in batches:
        if b.num_rows:
            yield pa.RecordBatch.from_arrays([pa.array(["".join(b.column(0).to_pylist())], pa.string())], names=["text"])


_ARROW_SCHEMAS: dict = {}


def _conform(cols: dict, full: bool):
    """A batch with every column of the output schema (missing ones null)."""
    import pyarrow as pa
    from pyspark.sql.pandas.types import to_arrow_schema
    from pyspark.sql import types as T

    schema = _ARROW_SCHEMAS.get(full)
    if schema is None:
        schema = _ARROW_SCHEMAS[full] = to_arrow_schema(_schema(T, full))
    n = len(next(iter(cols.values())))
    arrays = []
    for field in schema:
        a = cols.get(field.name)
        arrays.append(pa.nulls(n, field.type) if a is None else a.cast(field.type))
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def audit(
    data,
    project,
    *,
    spark=None,
    crs: Optional[str] = None,
    geometry: Optional[str] = None,
    id_field: Optional[str] = None,
    index_column: Optional[str] = None,
    source: Optional[str] = None,
    out: Optional[str] = None,
    lang: str = "en",
    partitions: Optional[int] = None,
    columns: str = "audit",
    errors: str = "raise",
):
    """Audits ``data`` (a GeoParquet path, or a Spark DataFrame with a WKB column) against
    ``project`` (a path or :class:`ironrule.Project`). Returns a Spark DataFrame of findings
    (the columns of ``Project.check_arrow`` plus ``csv_row``, audit's ``findings.csv`` line,
    and ``district``). With ``out=``, also writes ``findings.csv``, ``diagnostics.csv`` and
    ``summary.json`` there, as ``ironrule audit --findings-layer none`` does.

    Duplicate ids are looked for across the whole source (Spark does it with a group-by).
    ``partitions=`` spreads the rows over that many tasks (after the feature indexes are
    taken), for a file with few row groups. ``columns="audit"`` (the default) returns
    ``findings.csv``'s columns, typed, with ``csv_row`` and ``district``; ``columns="full"``
    returns every column of ``Project.check_arrow`` (citation, resolution, the offending part
    as WKB...), which costs Spark about twice the time.

    Features that could not be checked (a bad geometry, outside the project's area) raise
    :class:`ironrule.InputError` after ``out=`` is written (``ironrule audit``'s exit 2), its
    ``findings`` the DataFrame; ``errors="report"`` returns the findings and leaves them to
    ``diagnostics.csv``.
    """
    if errors not in ("raise", "report"):
        raise ValueError(f'errors must be "raise" or "report", not {errors!r}')
    if columns not in ("audit", "full"):
        raise ValueError(f'columns must be "audit" or "full", not {columns!r}')
    full = columns == "full"
    from pyspark.sql import SparkSession
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    started = time.time()
    spark = spark or SparkSession.builder.getOrCreate()
    project_path = os.path.abspath(project.path if isinstance(project, Project) else os.fspath(project))
    p = _project(project_path, lang)  # fails here, on the driver, if the project does not load
    if isinstance(data, (str, os.PathLike)):
        path = os.fspath(data)
        source = source or path
        column, file_crs = _geoparquet(path)
        geometry = geometry or column
        crs = crs or file_crs
        df = spark.read.parquet(path)
        df = df.select(*[F.col(c) for c in df.columns], F.col("_metadata.row_index").alias(_INDEX))
        index_column = _INDEX
    else:
        df = data
        source = source or "<DataFrame>"
        geometry = geometry or "geometry"
        if crs is None:
            raise _ironrule.CrsError("a DataFrame carries no CRS: pass crs= (for example crs=\"EPSG:4546\"); ironrule does not guess")
        if index_column is None:
            df = df.withColumn(_INDEX, F.monotonically_increasing_id())
            index_column = _INDEX
    # Only what the checker reads travels: the geometry, the index, the id and the rules'
    # attributes (Spark prunes the Parquet columns).
    keep = [c for c in df.columns if c in (geometry, index_column, id_field) or p.reads(c)]
    df = df.select(*keep)
    # Duplicate ids are looked for on the ids and indexes alone (Spark reads no geometry for it).
    ids = df.select(index_column, id_field) if id_field is not None else None
    if partitions:
        df = df.repartition(partitions)
    run = _batch_fn(project_path, lang, geometry, crs, id_field, source, index_column, full)
    result = df.mapInArrow(run, _schema(T, full)).persist()
    try:
        findings = result.filter(F.col("record") == "finding").drop(
            "record", "diag_level", "diag_row", "read", "checked", "extent", "crs"
        )
        if out is not None:
            _write(spark, p, result, findings, ids, source, id_field, index_column, out, started)
        findings = findings.drop(_SEQ)
        if errors == "raise":
            # Fail closed: what could not be checked is never a quiet pass.
            bad = result.filter((F.col("record") == "diagnostic") & (F.col("diag_level") == "error"))
            n = bad.count()
            if n:
                rows = [r["diag_row"].rstrip("\r\n") for r in bad.orderBy("feature_index").limit(10).collect()]
                more = f"\n  ... and {n - len(rows)} more" if n > len(rows) else ""
                e = _ironrule.InputError(
                    f"{n} feature{'' if n == 1 else 's'} could not be checked"
                    " (level,source,feature_index,feature_id,message):\n  "
                    + "\n  ".join(rows) + more
                )
                e.findings = findings
                raise e
        return findings
    finally:
        if out is not None:
            result.unpersist()


def _write(spark, p, result, findings, ids, source, id_field, index_column, out, started):
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    os.makedirs(out, exist_ok=True)
    # Counts and diagnostics in one job.
    records = result.filter(F.col("record") != "finding").select(
        "record", "read", "checked", "extent", "crs", "tally", "feature_index", _SEQ, "diag_level", "diag_row"
    ).collect()
    counts = [r for r in records if r["record"] == "counts"]
    crs_name = next((r["crs"] for r in counts), None)
    read = sum(r["read"] for r in counts)
    checked = sum(r["checked"] for r in counts)
    extents = [r["extent"] for r in counts if r["extent"]]
    diag_rows = [
        (r["feature_index"], r[_SEQ] + 1, r["diag_level"], r["diag_row"])
        for r in records if r["record"] == "diagnostic"
    ]
    # Duplicate ids across partitions: every later feature with an earlier feature's id.
    if ids is not None:
        firsts = ids.groupBy(id_field).agg(F.min(index_column).alias("__first"), F.count("*").alias("__n")).filter("__n > 1")
        # One job when every id is unique (the usual case); the later features of a
        # repeated id are found by a second, joining the repeated ids broadcast.
        repeated = firsts.collect()
        dups = []
        if repeated:
            small = spark.createDataFrame(repeated, firsts.schema)
            dups = ids.join(F.broadcast(small), id_field).filter(F.col(index_column) > F.col("__first")).select(index_column, id_field, "__first").collect()
        for r in dups:
            d = {"level": "warning", "source": source, "feature_index": r[index_column], "feature_id": str(r[id_field]),
                 "message": _ironrule.duplicate_id(r["__first"])}
            diag_rows.append((r[index_column], 0, "warning", _csv_diagnostic(d)))
    diag_rows.sort(key=lambda r: (r[0] if r[0] is not None else -1, r[1]))
    notes = json.loads(p._p._audit_notes_json())
    closing = None
    if extents:
        box = [min(e[0] for e in extents), min(e[1] for e in extents), max(e[2] for e in extents), max(e[3] for e in extents)]
        closing = json.loads(p._p._closing_json(source, box))
    levels = [n["diagnostic"]["level"] for n in notes] + [r[2] for r in diag_rows] + ([closing["diagnostic"]["level"]] if closing else [])
    with open(os.path.join(out, "diagnostics.csv"), "w", encoding="utf-8", newline="") as f:
        f.write(_ironrule.DIAGNOSTICS_HEADER)
        for n in notes:
            f.write(n["row"])
        for r in diag_rows:
            f.write(r[3])
        if closing:
            f.write(closing["row"])
    with open(os.path.join(out, "findings.csv"), "w", encoding="utf-8", newline="") as f:
        f.write(_ironrule.CSV_HEADER)
        # Sorted by Spark; each sorted batch joined into one text on the executors.
        rows = findings.select("feature_index", _SEQ, "csv_row").orderBy("feature_index", _SEQ).select("csv_row")
        schema = T.StructType([T.StructField("text", T.StringType(), True)])
        for r in rows.mapInArrow(_joined, schema).toLocalIterator():
            f.write(r[0])
    # The counts: the batches' tallies added up.
    by_rule: dict = {}
    by_severity: dict = {}
    by_district: dict = {}
    features: dict = {}
    undetermined = 0
    for c in counts:
        tally = json.loads(c["tally"])
        for code, n in tally["features"].items():
            features[code] = features.get(code, 0) + n
        for code, severity, status, district, n in tally["findings"]:
            by_rule.setdefault(code, [0, 0])[0] += n
            by_severity[severity] = by_severity.get(severity, 0) + n
            if district is not None:
                d = by_district.setdefault(district, {})
                d[code] = d.get(code, 0) + n
            if status == "undetermined":
                undetermined += n
    for code, v in by_rule.items():
        v[1] = features[code]
    total = sum(v[0] for v in by_rule.values())
    rejected = read - checked
    counts = {
        "sources": [{"name": source, "crs": crs_name, "read": read, "checked": checked, "rejected": rejected,
                     "findings": total, "error": None}],
        "by_rule": by_rule, "by_severity": by_severity, "by_district": by_district,
        "errors": levels.count("error"), "warnings": levels.count("warning"),
        "undetermined": undetermined, "seconds": time.time() - started,
    }
    summary = p._p._summary_json(json.dumps(counts), os.path.abspath(out))
    with open(os.path.join(out, "summary.json"), "w", encoding="utf-8") as f:
        f.write(summary)


def _csv_diagnostic(d: dict) -> str:
    """A diagnostics.csv row, by audit's emitter."""
    return _ironrule.diagnostic_row(d["level"], d["source"], d["message"], d.get("feature_index"), d.get("feature_id"))

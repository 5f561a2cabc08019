"""The Python package against the command line: the same project, the same input, the same
findings and diagnostics, finding for finding. IRONRULE_BIN names the CLI (default
target/debug/ironrule, which `cargo test` builds)."""

import json
import os
import pickle
import subprocess

import geopandas
import pyarrow as pa
import pytest
import shapely

import ironrule

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PROJECT = os.path.join(REPO, "data", "yichang", "ironrule.toml")
PARQUET = "tests/data/proposals_4546.parquet"
BIN = os.environ.get("IRONRULE_BIN", os.path.join(REPO, "target", "debug", "ironrule"))


def cli(*args):
    """`ironrule check --format json` on files relative to the repository."""
    r = subprocess.run([BIN, "check", "-p", PROJECT, "-f", "json", *args], cwd=REPO, capture_output=True, text=True)
    assert r.returncode in (0, 1, 2), r.stderr
    return r.returncode, json.loads(r.stdout)


def flatten(f):
    """A JSON report finding as the package's columns."""
    out = {}
    for k, v in f.items():
        if k in ("feature", "zone", "measure"):
            for kk, vv in v.items():
                out[f"{k}_{kk}"] = vv
        else:
            out[k] = v
    out.setdefault("zone_name", None)
    return out


def same_value(col, want, got):
    if col in ("nearest", "citation", "undetermined", "triage", "terrain", "plan"):
        got = None if got is None or (isinstance(got, float) and got != got) else json.loads(got)
        return want == got
    if col == "geometry":
        if want is None:
            return got is None
        g = shapely.from_geojson(json.dumps(want))
        return shapely.equals_exact(g, got, tolerance=0)
    if isinstance(got, float) and got != got:
        got = None
    return want == got


def assert_same(cli_findings, frame):
    assert len(frame) == len(cli_findings)
    rows = frame.to_dict("records")
    for want, got in zip(cli_findings, rows):
        for col, v in flatten(want).items():
            assert col in got, f"column {col} missing"
            assert same_value(col, v, got[col]), (col, v, got[col], want["code"], want["feature"])


@pytest.fixture(scope="module")
def project():
    return ironrule.Project(PROJECT)


def test_demo_through_check_equals_cli_json(project):
    code, report = cli(PARQUET, "--id-field", "pid")
    gdf = geopandas.read_parquet(os.path.join(REPO, PARQUET))
    found = project.check(gdf, id_field="pid", source=PARQUET)
    assert len(report["findings"]) == 67
    assert_same(report["findings"], found)
    meta = found.attrs["ironrule"]
    assert meta["summary"] == report["summary"]
    assert meta["exit_code"] == code == 1
    assert found.crs == gdf.crs
    # Undetermined results are rows, never left out.
    assert (found["status"] == "undetermined").sum() == report["summary"]["undetermined"] == 4


def test_demo_in_chinese(project):
    zh = ironrule.Project(PROJECT, lang="zh")
    code, report = cli(PARQUET, "--id-field", "pid", "--lang", "zh")
    found = zh.check(geopandas.read_parquet(os.path.join(REPO, PARQUET)), id_field="pid", source=PARQUET)
    assert [f["message"] for f in report["findings"]] == list(found["message"])


def test_check_arrow_reads_the_geoparquet_table_as_is(project):
    import pyarrow.parquet as pq

    table = pq.read_table(os.path.join(REPO, PARQUET))
    # A plain binary column carries no CRS: ironrule does not guess one.
    plain = table.set_column(table.schema.get_field_index("geometry"), "geometry", table.column("geometry").cast(pa.binary()))
    with pytest.raises(ironrule.CrsError, match="declares no CRS"):
        project.check_arrow(plain, id_field="pid")
    out = project.check_arrow(table, crs="EPSG:4546", id_field="pid", source=PARQUET)
    code, report = cli(PARQUET, "--id-field", "pid")
    assert out.num_rows == 67
    frame = out.to_pandas()
    frame["geometry"] = shapely.from_wkb(frame["geometry"])
    assert_same(report["findings"], frame)
    # Streamed as audit does: no share pass (YC601), and the notes say so.
    streamed = project.check_arrow(table, crs="EPSG:4546", id_field="pid", source=PARQUET, share=False)
    assert "YC601" not in set(streamed.column("code").to_pylist())
    meta = json.loads(streamed.schema.metadata[b"ironrule"])
    assert any("`audit` does not" in d["message"] for d in meta["diagnostics"])
    # Every other finding is the CLI's, cell for cell: the streamed rows are made from the
    # worded results (as audit's CSV rows), the whole table's from findings.
    want = sorted(
        (f for f in report["findings"] if f["code"] != "YC601"),
        key=lambda f: (f["feature"]["index"], f["code"], f["zone"]["layer"], f["zone"]["id"] or ""),
    )
    frame = streamed.to_pandas()
    frame["geometry"] = shapely.from_wkb(frame["geometry"])
    frame["_zone"] = frame["zone_id"].fillna("")
    frame = frame.sort_values(["feature_index", "code", "zone_layer", "_zone"], kind="stable").drop(columns="_zone")
    assert len(want) == 63
    assert_same(want, frame)


def test_polygons_go_as_geoarrow_and_are_checked_as_their_wkb_is(project):
    """check(gdf) sends a frame of Polygons (holes too) as a GeoArrow polygon column built from
    shapely's coordinate arrays, and anything else as WKB: the findings are the same."""
    gdf = geopandas.read_parquet(os.path.join(REPO, PARQUET))
    polygons = gdf[gdf.geom_type == "Polygon"].copy()
    first = polygons.geometry.iloc[0]
    polygons.loc[polygons.index[0], "geometry"] = shapely.Polygon(
        first.exterior.coords, [first.representative_point().buffer(1).exterior.coords]
    )
    assert len(polygons) > 10 and ironrule._polygon_table(polygons, "geometry") is not None
    assert ironrule._polygon_table(gdf, "geometry") is None or (gdf.geom_type == "Polygon").all()
    got = project.check(polygons, id_field="pid", errors="report")
    wkb = polygons.to_arrow(index=False, geometry_encoding="WKB")
    want = project.check_arrow(wkb, geometry="geometry", crs="EPSG:4546", id_field="pid", source="<GeoDataFrame>", errors="report")
    assert len(got) == want.num_rows > 0
    assert got.drop(columns="geometry").equals(want.drop_columns(["geometry"]).to_pandas())
    assert shapely.equals_exact(
        got.geometry.values._data, shapely.from_wkb(want.column("geometry").to_numpy(zero_copy_only=False)), tolerance=0
    ).all()
    assert got.attrs["ironrule"]["summary"] == json.loads(want.schema.metadata[b"ironrule"])["summary"]


def test_geoarrow_native_and_wkb_columns_agree(project):
    gdf = geopandas.read_parquet(os.path.join(REPO, PARQUET))
    for kind in ("Polygon", "LineString", "Point"):
        part = gdf[gdf.geom_type == kind]
        assert len(part) > 0
        for interleaved in (False, True):
            native = part.to_arrow(geometry_encoding="geoarrow", interleaved=interleaved)
            got = project.check_arrow(native, id_field="pid", share=False)
            want = project.check_arrow(part.to_arrow(geometry_encoding="WKB"), id_field="pid", share=False)
            assert got.num_rows == want.num_rows
            assert got.column("fingerprint").to_pylist() == want.column("fingerprint").to_pylist()


def bad_features(tmp_path):
    """A bow-tie, a feature far outside the project's area, a chemical plant whose land use
    is missing, and a good one: as a GeoJSON file and as a GeoDataFrame."""
    features = [
        {"type": "Feature", "properties": {"id": "bowtie", "kind": "building"},
         "geometry": {"type": "Polygon", "coordinates": [[[111.30, 30.70], [111.31, 30.71], [111.31, 30.70], [111.30, 30.71], [111.30, 30.70]]]}},
        {"type": "Feature", "properties": {"id": "far", "kind": "building"},
         "geometry": {"type": "Polygon", "coordinates": [[[116.0, 39.9], [116.01, 39.9], [116.01, 39.91], [116.0, 39.9]]]}},
        {"type": "Feature", "properties": {"id": "no-land-use", "kind": "industrial", "industry": "chemical"},
         "geometry": {"type": "Polygon", "coordinates": [[[111.345, 30.700], [111.347, 30.700], [111.347, 30.702], [111.345, 30.702], [111.345, 30.700]]]}},
        {"type": "Feature", "properties": {"id": "ok", "kind": "building"},
         "geometry": {"type": "Polygon", "coordinates": [[[111.40, 30.65], [111.401, 30.65], [111.401, 30.651], [111.40, 30.65]]]}},
    ]
    path = tmp_path / "bad.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path, geopandas.GeoDataFrame.from_features(features, crs="EPSG:4326")


def test_bad_geometries_and_missing_attributes_say_what_the_cli_says(project, tmp_path):
    path, gdf = bad_features(tmp_path)
    code, report = cli(str(path), "--id-field", "id")
    assert code == 2
    with pytest.raises(ironrule.InputError) as e:
        project.check(gdf, id_field="id", source=str(path))
    errors = [d for d in report["diagnostics"] if d["level"] == "error"]
    assert len(errors) == 2
    for d in errors:
        assert d["message"] in str(e.value)
    assert e.value.diagnostics == report["diagnostics"]
    found = project.check(gdf, id_field="id", source=str(path), errors="report")
    assert found.attrs["ironrule"]["diagnostics"] == report["diagnostics"]
    assert found.attrs["ironrule"]["exit_code"] == 2
    assert_same(report["findings"], found)
    assert "undetermined" in set(found["status"])


def test_typed_errors_carry_the_cli_words(tmp_path):
    with pytest.raises(ironrule.ProjectError, match="ironrule.toml"):
        ironrule.Project(tmp_path / "ironrule.toml")
    p = ironrule.Project(PROJECT)
    gdf = geopandas.read_parquet(os.path.join(REPO, PARQUET)).set_crs(None, allow_override=True)
    with pytest.raises(ironrule.CrsError, match="no CRS"):
        p.check(gdf)
    with pytest.raises(ironrule.CrsError, match="EPSG:99999"):
        p.check_arrow(pa.table({"geometry": pa.array([], pa.binary())}), crs="EPSG:99999")
    with pytest.raises(ironrule.InputError, match="no geometry column"):
        p.check_arrow(pa.table({"x": [1]}), crs="EPSG:4546")
    assert issubclass(ironrule.CrsError, ironrule.InputError) and issubclass(ironrule.InputError, ironrule.Error)


def test_project_pickles_by_path(project):
    again = pickle.loads(pickle.dumps(project))
    assert again.path == project.path and again.lang == project.lang
    assert [r["code"] for r in again.rules] == [r["code"] for r in project.rules]
    assert len(project.rules) == 28

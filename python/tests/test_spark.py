"""ironrule.spark.audit on a real standalone Spark cluster (a master and two workers on
127.0.0.1, pyspark from PyPI, Java 17 from Debian) against `ironrule audit`, on workload W1 at
100k parcels (benches/w1/gen_data.py): the same findings.csv, diagnostics.csv and summary.json,
also when a worker is killed by its process id in the middle of the job."""

import json
import os
import subprocess
import sys
import threading
import time

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from spark_cluster import Cluster, session  # noqa: E402

import ironrule  # noqa: E402
from ironrule.spark import audit  # noqa: E402

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.environ.get("IRONRULE_BIN", os.path.join(REPO, "target", "debug", "ironrule"))
N = os.environ.get("IRONRULE_SPARK_N", "100k")

# W1's project (its layers, the R1-R4 pack), as benches/w1/run.sh writes it.
with open(os.path.join(REPO, "benches", "w1", "ironrule.toml.in"), encoding="utf-8") as _f:
    PROJECT = _f.read()


@pytest.fixture(scope="module")
def w1(tmp_path_factory):
    """W1 at N parcels, its project, and `ironrule audit`'s output."""
    d = tmp_path_factory.mktemp("w1")
    subprocess.run([sys.executable, os.path.join(REPO, "benches", "w1", "gen_data.py"), str(d), "--sizes", N,
                    "--formats", "parquet,fgb"], check=True, capture_output=True)
    (d / "ironrule.toml").write_text(PROJECT.replace("@PACK@", os.path.join(REPO, "benches", "w1", "pack")))
    parcels = str(d / f"parcels_{N}.parquet")
    subprocess.run([BIN, "audit", "--project", str(d / "ironrule.toml"), parcels, "--id-field", "id",
                    "--out", str(d / "cli"), "--fail-on", "never", "--quiet", "--findings-layer", "none"], check=True)
    return d, parcels


@pytest.fixture(scope="module")
def spark():
    with Cluster(workers=2, cores=1) as cluster:
        s = session(cluster.url)
        s.sparkContext.setLogLevel("ERROR")
        yield cluster, s
        s.stop()


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def assert_same_audit(cli, out):
    assert read(out / "findings.csv") == read(cli / "findings.csv")
    assert read(out / "diagnostics.csv") == read(cli / "diagnostics.csv")
    a, b = json.loads(read(out / "summary.json")), json.loads(read(cli / "summary.json"))
    for s in (a, b):
        s.pop("wall_seconds")
        s.pop("files")
    assert a == b


def test_w1_through_spark_equals_ironrule_audit(w1, spark):
    d, parcels = w1
    cluster, s = spark
    findings = audit(parcels, str(d / "ironrule.toml"), spark=s, id_field="id", out=str(d / "spark"), columns="full")
    assert_same_audit(d / "cli", d / "spark")
    summary = json.loads(read(d / "cli" / "summary.json"))
    assert findings.count() == summary["findings"] > 0
    assert set(findings.columns) >= {"code", "severity", "feature_id", "measure_value", "message", "geometry", "csv_row"}


def test_a_worker_killed_mid_job_changes_nothing(w1, spark):
    d, parcels = w1
    cluster, s = spark
    tracker = s.sparkContext.statusTracker()
    box = {}

    def run():
        try:
            box["df"] = audit(parcels, str(d / "ironrule.toml"), spark=s, id_field="id",
                              out=str(d / "killed"), partitions=24)
            box["columns"] = box["df"].columns
        except BaseException as e:  # surfaced below
            box["error"] = e

    t = threading.Thread(target=run)
    t.start()
    killed = None
    deadline = time.time() + 300
    while killed is None and t.is_alive() and time.time() < deadline:
        for sid in tracker.getActiveStageIds():
            info = tracker.getStageInfo(sid)
            if info and info.numTasks >= 24 and info.numCompletedTasks >= 2 and info.numActiveTasks >= 1 \
                    and info.numCompletedTasks + 4 < info.numTasks:
                killed = (info.numCompletedTasks, info.numTasks, cluster.kill_worker(0))
                break
        time.sleep(0.05)
    t.join(timeout=600)
    assert "error" not in box, box.get("error")
    assert killed is not None, "the job ended before a worker could be killed mid-job"
    done, total, pids = killed
    assert done < total
    for pid in pids:
        assert not os.path.exists(f"/proc/{pid}") or open(f"/proc/{pid}/stat").read().split()[2] == "Z"
    assert_same_audit(d / "cli", d / "killed")
    # The default columns are findings.csv's, typed (no JSON-only members, no geometry).
    assert "geometry" not in box["columns"] and {"code", "measure_value", "csv_row"} <= set(box["columns"])


def test_features_that_cannot_be_checked_fail_the_spark_audit(w1, spark):
    """A bow-tie among good parcels: InputError with audit's diagnostics row, never a quiet
    return; errors="report" returns the findings and says it in diagnostics.csv."""
    import shapely

    d, _ = w1
    cluster, s = spark
    bowtie = shapely.Polygon([(500000, 3400000), (500100, 3400100), (500100, 3400000), (500000, 3400100)])
    square = shapely.box(500200, 3400200, 500300, 3400300)
    df = s.createDataFrame(
        [("a", 0, bytes(shapely.to_wkb(square))), ("b", 1, bytes(shapely.to_wkb(bowtie)))],
        "id string, idx long, geometry binary",
    )
    project = str(d / "ironrule.toml")
    with pytest.raises(ironrule.InputError, match=r"(?s)^1 feature could not be checked.*invalid geometry: exterior ring has a self-intersection") as e:
        audit(df, project, spark=s, crs="EPSG:4546", id_field="id", index_column="idx", out=str(d / "bad"))
    assert e.value.findings.count() >= 0
    diagnostics = read(d / "bad" / "diagnostics.csv")
    assert 'error,<DataFrame>,1,b,"invalid geometry: exterior ring' in diagnostics
    assert json.loads(read(d / "bad" / "summary.json"))["diagnostics"]["errors"] == 1
    found = audit(df, project, spark=s, crs="EPSG:4546", id_field="id", index_column="idx", errors="report")
    assert {r["feature_id"] for r in found.select("feature_id").distinct().collect()} <= {"a"}


def test_the_demo_through_spark_equals_ironrule_audit(spark, tmp_path):
    """Yichang's demo proposals (districts, undetermined results, terrain and plan rules, rule
    exceptions) over three tasks: the tallies each task sends for summary.json (findings by
    rule, severity and district, features by rule, undetermined) add up to audit's."""
    cluster, s = spark
    project = os.path.join(REPO, "data", "yichang", "ironrule.toml")
    parcels = os.path.join(REPO, "tests", "data", "proposals_4546.parquet")
    subprocess.run([BIN, "audit", "--project", project, parcels, "--id-field", "pid", "--out", str(tmp_path / "cli"),
                    "--fail-on", "never", "--quiet", "--findings-layer", "none"], check=True)
    audit(parcels, project, spark=s, id_field="pid", out=str(tmp_path / "spark"), partitions=3)
    assert_same_audit(tmp_path / "cli", tmp_path / "spark")
    summary = json.loads(read(tmp_path / "cli" / "summary.json"))
    assert summary["by_district"] and summary["undetermined"] > 0, summary


def test_duplicate_ids_across_tasks_are_warned_as_audit_warns(spark, tmp_path):
    """Ids repeated across the file (so across tasks): each later feature gets audit's
    warning naming the first, in diagnostics.csv, and the counts agree."""
    import geopandas

    cluster, s = spark
    project = os.path.join(REPO, "data", "yichang", "ironrule.toml")
    gdf = geopandas.read_parquet(os.path.join(REPO, "tests", "data", "proposals_4546.parquet"))
    pid = gdf["pid"].astype(object).copy()
    pid.iloc[5] = pid.iloc[1]
    pid.iloc[-1] = pid.iloc[1]
    pid.iloc[20] = pid.iloc[3]
    gdf["pid"] = pid
    parcels = str(tmp_path / "dups.parquet")
    gdf.to_parquet(parcels)
    subprocess.run([BIN, "audit", "--project", project, parcels, "--id-field", "pid", "--out", str(tmp_path / "cli"),
                    "--fail-on", "never", "--quiet", "--findings-layer", "none"], check=True)
    assert read(tmp_path / "cli" / "diagnostics.csv").count("duplicate id") == 3
    audit(parcels, project, spark=s, id_field="pid", out=str(tmp_path / "spark"), partitions=3)
    assert_same_audit(tmp_path / "cli", tmp_path / "spark")

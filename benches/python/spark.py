#!/usr/bin/env python3
"""ironrule.spark.audit on a local standalone cluster (a master and two one-core workers on
127.0.0.1) against `ironrule audit` on the same machine and the same GeoParquet file, in one
run; checks that findings.csv is the same and prints the times and their ratio.

    python3 benches/python/spark.py [N]        (default 1m; W1_DATA as benches/w1/run.sh)
"""
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "python", "tests"))
from spark_cluster import Cluster, session  # noqa: E402

from ironrule.spark import audit  # noqa: E402

DATA = os.environ.get("W1_DATA", "/tmp/peers/data")
OUT = os.environ.get("W1_OUT", "/tmp/w1-spark")
BIN = os.environ.get("IRONRULE_BIN", os.path.join(REPO, "target", "release", "ironrule"))


def main():
    n = sys.argv[1] if len(sys.argv) > 1 else "1m"
    parcels = os.path.join(DATA, f"parcels_{n}.parquet")
    project = os.path.join(DATA, "ironrule.toml")
    t = time.perf_counter()
    subprocess.run([BIN, "audit", "--project", project, parcels, "--id-field", "id", "--out", os.path.join(OUT, "cli"),
                    "--fail-on", "never", "--quiet", "--findings-layer", "none"], check=True)
    cli = time.perf_counter() - t
    with Cluster(workers=2, cores=1, memory="4g") as c:
        s = session(c.url, **{"spark.executor.memory": "3g", "spark.driver.memory": "4g"})
        s.sparkContext.setLogLevel("ERROR")
        t = time.perf_counter()
        audit(parcels, project, spark=s, id_field="id", out=os.path.join(OUT, "spark"), partitions=8)
        spark = time.perf_counter() - t
        s.stop()
    same = open(os.path.join(OUT, "cli", "findings.csv"), "rb").read() == open(os.path.join(OUT, "spark", "findings.csv"), "rb").read()
    print(json.dumps({"n": n, "ironrule_audit_s": round(cli, 2), "spark_audit_s": round(spark, 2),
                      "overhead": round(spark / cli, 2), "findings_csv_identical": same}))


if __name__ == "__main__":
    main()

"""A real Spark standalone cluster on 127.0.0.1: one master and N workers, each its own JVM
started from pyspark's own ``spark-class`` (pip's pyspark; Java 17 from Debian), each in its
own process group so that it (and the executors it launches) can be ended by process id.

Used by the Spark tests and by benches/python/spark.py. Run alone to try it:
``python3 python/tests/spark_cluster.py`` starts a cluster, runs one job and stops it.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def spark_home() -> str:
    import pyspark

    return os.path.dirname(pyspark.__file__)


def children(pid: int) -> list[int]:
    """Every descendant of ``pid`` (from /proc), deepest last."""
    out = []
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            kids = [int(k) for k in f.read().split()]
    except OSError:
        return out
    for k in kids:
        out.append(k)
        out.extend(children(k))
    return out


class Cluster:
    """``with Cluster(workers=2, cores=1) as c: c.url``"""

    def __init__(self, workers: int = 2, cores: int = 1, memory: str = "2g") -> None:
        self.workers_n = workers
        self.cores = cores
        self.memory = memory
        self.dir = tempfile.mkdtemp(prefix="ironrule-spark-")
        self.master = None
        self.workers: list[subprocess.Popen] = []
        self.port = _free_port()
        self.url = f"spark://127.0.0.1:{self.port}"

    def _env(self) -> dict:
        env = dict(os.environ)
        env.update(
            SPARK_HOME=spark_home(),
            SPARK_LOCAL_IP="127.0.0.1",
            SPARK_LOG_DIR=self.dir,
            SPARK_WORKER_DIR=os.path.join(self.dir, "work"),
            PYSPARK_PYTHON=sys.executable,
            SPARK_NO_DAEMONIZE="1",
        )
        return env

    def _start(self, name: str, *args: str) -> subprocess.Popen:
        log = open(os.path.join(self.dir, f"{name}.log"), "w")
        cmd = [os.path.join(spark_home(), "bin", "spark-class"), *args]
        return subprocess.Popen(cmd, env=self._env(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def log(self, name: str) -> str:
        with open(os.path.join(self.dir, f"{name}.log"), errors="replace") as f:
            return f.read()

    def start(self) -> "Cluster":
        self.master = self._start(
            "master", "org.apache.spark.deploy.master.Master",
            "--host", "127.0.0.1", "--port", str(self.port), "--webui-port", str(_free_port()),
        )
        self._wait("master", "Starting Spark master", 120)
        for i in range(self.workers_n):
            self.workers.append(self._start(
                f"worker{i}", "org.apache.spark.deploy.worker.Worker",
                "--host", "127.0.0.1", "--cores", str(self.cores), "--memory", self.memory,
                "--webui-port", str(_free_port()), "--work-dir", os.path.join(self.dir, f"work{i}"),
                self.url,
            ))
        deadline = time.time() + 120
        while self.log("master").count("Registering worker") < self.workers_n:
            if time.time() > deadline or self.master.poll() is not None:
                raise RuntimeError("Spark workers did not register:\n" + self.log("master")[-3000:])
            time.sleep(0.5)
        return self

    def _wait(self, name: str, text: str, seconds: float) -> None:
        deadline = time.time() + seconds
        while text not in self.log(name):
            if time.time() > deadline or self.master.poll() is not None:
                raise RuntimeError(f"Spark {name} did not start:\n" + self.log(name)[-3000:])
            time.sleep(0.5)

    def kill_worker(self, i: int) -> list[int]:
        """SIGKILLs worker ``i`` and everything it launched (its executor JVM and that
        executor's Python workers), by process id: a machine lost mid-job. Returns the pids."""
        w = self.workers[i]
        pids = [w.pid] + children(w.pid)
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        w.wait(timeout=30)
        return pids

    def stop(self) -> None:
        for p in self.workers + ([self.master] if self.master else []):
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGTERM)  # the group this cluster started
                except ProcessLookupError:
                    pass
        for p in self.workers + ([self.master] if self.master else []):
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait(timeout=30)

    def __enter__(self) -> "Cluster":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def session(url: str, app: str = "ironrule-test", **conf):
    from pyspark.sql import SparkSession

    b = (
        SparkSession.builder.master(url)
        .appName(app)
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.ui.enabled", "false")
        .config("spark.executor.memory", "1g")
        .config("spark.pyspark.python", sys.executable)
        .config("spark.pyspark.driver.python", sys.executable)
        .config("spark.sql.execution.arrow.maxRecordsPerBatch", "8192")
    )
    for k, v in conf.items():
        b = b.config(k, v)
    return b.getOrCreate()


if __name__ == "__main__":
    with Cluster() as c:
        s = session(c.url)
        print(s.range(1000).selectExpr("sum(id)").collect())
        s.stop()

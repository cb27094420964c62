"""Run each notebook in a fresh kernel; print its seconds and peak memory against the series' budget.

    python -m utils.timings notebooks            # every notebook in the folder (make timings)
    python -m utils.timings notebooks/00_introduction.ipynb
    taskset -c 0 python -m utils.timings notebooks --save data/timings.json   # stored as "1cpu"

The kernel's peak is its own resident-memory high-water mark (Linux VmHWM); "with children" is the
proportional set size (PSS) of the kernel and every process it starts (other Keras back ends, data
loader workers, distributed replicas), sampled every 50 ms: PSS counts a page shared by several
processes (TensorFlow's libraries, a forked worker's copy of the kernel) once in all, where summed RSS
would count it once per process. Exit status 1 when a notebook fails or goes over its budget.
Each code cell is timed too: `--save` stores every notebook's seconds and its slowest cells in a JSON
file under a label ("2cpu", "1cpu": the CPUs this process may use, or `--label`), which the
instructor's guide shows (utils.workshop). Used by `make timings`, `make timings-record` and the README.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import sys
import threading
import time
from pathlib import Path

import nbformat
import psutil

from utils.bench.timing import cpu_snapshot, others_share
from utils.checks import check_seconds, check_str
from utils.execution import CELL_TIMEOUT_S, SlicedClient, run_cells
from utils.results import machine

MEMORY_BUDGET_MB = 1500
# Seconds on a 2-core CPU, by notebook number (SERIES.md and the issues); others get the default.
TIME_BUDGET_S = {"00": 60, "01": 90, "02": 120, "03": 90, "04": 90, "05": 120, "06": 60, "07": 60}
DEFAULT_TIME_BUDGET_S = 60
SLOWEST_CELLS = 3  # how many of each notebook's longest-running cells --save keeps


class PeakMemory(threading.Thread):
    """Samples a process and its children until stopped; keeps the largest total resident memory."""

    def __init__(self, pid: int, interval: float = 0.05):
        super().__init__(daemon=True)
        self.process, self.interval, self.peak_total = psutil.Process(pid), interval, 0
        self.peak_own = 0
        self.done = threading.Event()

    def run(self):
        self.sample()
        while not self.done.wait(self.interval):
            self.sample()

    def stop(self):
        self.done.set()
        self.join()
        self.sample()  # the high-water mark also covers anything shorter than one interval

    def sample(self):
        try:
            own = self.process.memory_info().rss
            together = sum(_pss(p) for p in [self.process, *self.process.children(recursive=True)])
        except psutil.Error:
            return
        self.peak_total = max(self.peak_total, together)
        self.peak_own = max(self.peak_own, self._high_water_mark() or own)

    def _high_water_mark(self) -> int | None:
        try:
            for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
        except OSError:
            return None
        return None


def _pss(process: psutil.Process) -> int:
    """Proportional set size where the OS reports it (Linux), else resident size."""
    try:
        return getattr(process.memory_full_info(), "pss", None) or process.memory_info().rss
    except psutil.AccessDenied:
        return process.memory_info().rss


def time_notebook(path: Path, timeout: float = CELL_TIMEOUT_S) -> dict:
    """Execute one notebook (not saved) and measure it; `timeout` is seconds per cell (a hang fails that cell)."""
    check_seconds("timeout", timeout)
    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    resources = {"metadata": {"path": str(path.parent)}}
    client = SlicedClient(nb, timeout=timeout, kernel_name="python3", resources=resources)
    error, cells = None, []

    def timed(number, seconds, cell):  # numbered as a clean run numbers them: [1], [2], ...
        cells.append({"cell": number, "seconds": seconds, "source": (cell.source.strip().splitlines() or [""])[0][:80]})

    with client.setup_kernel():
        kernel = client.km.provisioner.process.pid
        sampler = PeakMemory(kernel)
        sampler.start()
        before = cpu_snapshot([os.getpid(), kernel])
        start = time.perf_counter()
        try:
            run_cells(client, nb, path.name, on_cell=timed)
        except Exception as err:  # report and go on with the next notebook
            last_line = (str(err).strip().splitlines() or [""])[-1]
            error = f"{type(err).__name__}: {last_line[:200]}"
        seconds = time.perf_counter() - start
        others = others_share(before, cpu_snapshot([os.getpid(), kernel]))
        sampler.stop()
    return {"notebook": path.name, "seconds": seconds, "kernel_mb": sampler.peak_own / 1e6,
            "total_mb": sampler.peak_total / 1e6, "error": error, "cells": cells, "others_cpu": others}


def save_timings(results: list[dict], path: Path, label: str | None = None) -> dict:
    """Merge `results` (from time_notebook) into the JSON file at `path` under `label`; return the file's data.

    `label` defaults to the number of CPUs this process may use ("2cpu"; "1cpu" under `taskset -c 0`).
    Each notebook keeps its seconds, peak memory, error, slowest cells, the date, the machine, and the
    share of all CPUs' time that other programs used while it ran (`others_cpu`: 0 on a quiet machine;
    None where /proc/stat is missing). Unlike the load average, it does not count the notebook itself.
    """
    path = Path(path)
    about = machine()
    label = f"{about['usable_cpus']}cpu" if label is None else label
    if not re.fullmatch(r"[\w-]+", check_str("label", label)):
        raise ValueError(f"label must be a short name such as '1cpu' (letters, digits, _ or -), got {label!r}")
    data = json.loads(path.read_text()) if path.exists() else {}
    runs = data.setdefault("runs", {}).setdefault(label, {})
    today = dt.datetime.now(dt.UTC).date().isoformat()
    for r in results:
        slowest = sorted(r["cells"], key=lambda c: -c["seconds"])[:SLOWEST_CELLS]
        runs[r["notebook"]] = {
            "seconds": round(r["seconds"], 1), "kernel_mb": round(r["kernel_mb"]), "total_mb": round(r["total_mb"]),
            "error": r["error"], "date": today, "cpu": about["cpu"], "usable_cpus": about["usable_cpus"],
            "others_cpu": None if r["others_cpu"] is None else round(r["others_cpu"], 3),
            "slowest_cells": [{**c, "seconds": round(c["seconds"], 1)} for c in slowest]}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
    return data


def budget_for(name: str) -> int:
    return TIME_BUDGET_S.get(name[:2], DEFAULT_TIME_BUDGET_S)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+", type=Path, help="notebooks, or folders of notebooks")
    parser.add_argument("--save", type=Path, help="merge the results into this JSON file (data/timings.json)")
    parser.add_argument("--label", help="the run's name in that file (default: '<usable CPUs>cpu')")
    args = parser.parse_args(argv)
    books = []
    for path in args.paths:
        if path.is_dir():
            books += sorted(path.glob("[0-9][0-9]_*.ipynb"))
        elif path.suffix == ".ipynb" and path.exists():
            books.append(path)
        else:
            parser.error(f"{path} is neither a notebook nor a folder of notebooks")
    if not books:
        parser.error("no notebooks (NN_name.ipynb) found")
    print(f"{'notebook':<34}{'seconds':>9}{'budget':>8}{'kernel MB':>11}{'+children PSS':>15}  status")
    failed, total, results = False, 0.0, []
    for book in books:
        r = time_notebook(book)
        results.append(r)
        total += r["seconds"]
        over = [what for what, bad in (("time", r["seconds"] > budget_for(book.name)),
                                       ("memory", max(r["kernel_mb"], r["total_mb"]) > MEMORY_BUDGET_MB)) if bad]
        status = r["error"] or ("OVER BUDGET: " + ", ".join(over) if over else "ok")
        failed |= status != "ok"
        print(f"{r['notebook']:<34}{r['seconds']:>9.1f}{budget_for(book.name):>8}{r['kernel_mb']:>11.0f}"
              f"{r['total_mb']:>15.0f}  {status}", flush=True)
    print(f"{'whole series':<34}{total:>9.1f}{600:>8}   (memory budget: {MEMORY_BUDGET_MB} MB per kernel with "
          "its children)")
    if args.save:
        save_timings(results, args.save, args.label)
        print(f"saved to {args.save}")
    return 1 if failed or total > 600 else 0


if __name__ == "__main__":
    sys.exit(main())

"""Timing, statistics and the contention measure of the speed benchmark.

Used by notebook 02 (speed) through `utils.bench`. Nothing here imports a deep-learning framework.

Contention is measured directly, in a way a container cannot hide and the kit's own idle workers cannot fake
(they wait on a pipe, using no CPU): before and after each round the NumPy worker times a fixed matrix product
on one thread and on every usable core, and the better of the two counts (a program that holds a core is still
there at the round's end; a passing hiccup of the machine is not). On a free machine the product on n cores
takes about 1/n of the time on one (`efficiency` near 1); when another program holds a core, it cannot
(efficiency drops towards 1/n). Where even a free machine cannot reach that (many cores, hyper-threads: a
quiet 16-vCPU GPU machine gave 0.38-0.51, 2026-12-04), the limit is `MIN_EFFICIENCY` times the best
efficiency of the calibration probes at the start of the run (capped at 1: unchanged on the project's
2-core machine). A round is contended when the efficiency falls below that limit or the
product takes more than `MAX_SLOWDOWN` times its calibration (its fastest time at the start of the run), or
when other programs used more than `MAX_OTHERS` of the machine's CPU time during the round (`/proc/stat`'s
busy time minus the CPU time of the benchmark's own processes; where /proc/stat shows a container's host, this
counts the neighbours too, which errs towards "cannot tell"). The CPU pressure that Linux reports
(/proc/pressure/cpu) is recorded beside it where it exists.
"""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path

import numpy as np

from utils.checks import check_int, check_number, check_seconds, check_str
from utils.processes import usable_cpus

MAX_SPREAD = 0.10  # IQR / median above this: a noisy cell (torch.utils.benchmark warns from 0.10)
MIN_EFFICIENCY = 0.6  # parallel efficiency of the probe below this: another program holds a core
MAX_SLOWDOWN = 1.5  # the probe slower than its calibration by more than this: contended
PROBE_SIZE = 384
PROBE_PAUSE = 0.05  # seconds the probe waits for the last worker's thread pools to stop spinning
MAX_OTHERS = 0.25  # other programs' share of all CPUs' time in a round above this: contended
CONTENDED_SHARE = 0.25  # a cell with more than this share of its samples in contended rounds is contended


def summarize(samples) -> dict:
    """Median, quartiles, min, max and relative spread (IQR / median) of positive, finite samples."""
    values = np.asarray(samples, dtype=np.float64)
    if values.ndim != 1 or values.size == 0:
        raise ValueError(f"samples must be a non-empty 1-D sequence of numbers, got shape {values.shape}")
    if not np.all(np.isfinite(values)) or np.any(values <= 0):
        raise ValueError(f"samples must be positive and finite (seconds), got {values.tolist()}")
    q1, median, q3 = np.percentile(values, [25, 50, 75])
    return {"n": int(values.size), "median": float(median), "q1": float(q1), "q3": float(q3),
            "min": float(values.min()), "max": float(values.max()), "spread": float((q3 - q1) / median)}


def time_block(block, steps: int) -> dict:
    """Run `block(steps)` once: seconds (the block's own clock when it has one), CPU seconds, the last loss."""
    check_int("steps", steps, minimum=1)
    wall, cpu = time.perf_counter(), time.process_time()
    loss, inner = block(steps)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {"seconds": inner or wall, "cpu_s": cpu * (inner or wall) / wall, "loss": loss, "steps": steps}


def steps_for(step_seconds: float, block_seconds: float, max_steps: int = 10_000) -> int:
    """How many steps fill a block of about `block_seconds`: at least 1, at most `max_steps`."""
    check_seconds("step_seconds", step_seconds)
    check_seconds("block_seconds", block_seconds)
    check_int("max_steps", max_steps, minimum=1)
    return int(min(max_steps, max(1, round(block_seconds / step_seconds))))


def warm_up(block, warmup: int, block_seconds: float) -> dict:
    """Time the first step on its own, run `warmup` more, and choose the steps per timed block."""
    check_int("warmup", warmup, minimum=0)
    first = time_block(block, 1)
    times = [time_block(block, 1)["seconds"] for _ in range(warmup)]
    estimate = float(np.median(times)) if times else first["seconds"]
    return {"first_step_s": first["seconds"], "first_loss": first["loss"], "estimate_s": estimate,
            "steps": steps_for(estimate, block_seconds)}


def cpu_pressure(path: str = "/proc/pressure/cpu") -> float | None:
    """Linux's CPU pressure: % of the last 10 s in which some runnable task waited for a CPU (None: not here)."""
    check_str("path", path)
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path(path).read_text().splitlines():
            if line.startswith("some"):
                return float(line.split("avg10=")[1].split()[0])
    return None


def probe(n: int = PROBE_SIZE, repeats: int = 5, pause: float = PROBE_PAUSE) -> dict:
    """Time a fixed float32 (n x n) product on one thread and on every usable core (the median of `repeats`).

    Waits `pause` seconds first: the kit's worker that has just run keeps its thread pools spinning for a
    few milliseconds, which is not another program. Returns {"one_s", "all_s", "cpus", "efficiency"}:
    efficiency = one_s / (cpus * all_s), about 1 on a free machine, towards 1/cpus when other programs
    hold the cores.
    """
    check_int("n", n, minimum=16)
    check_int("repeats", repeats, minimum=1)
    check_number("pause", pause, minimum=0)
    time.sleep(pause)
    from threadpoolctl import threadpool_limits

    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal((n, n)).astype(np.float32) for _ in range(2))
    cpus = usable_cpus()

    def typical(threads):
        with threadpool_limits(threads):
            a @ b  # wakes the thread pool
            times = []
            for _ in range(repeats):
                start = time.perf_counter()
                a @ b
                times.append(time.perf_counter() - start)
        return float(np.median(times))

    one, every = typical(1), typical(cpus)
    return {"one_s": one, "all_s": every, "cpus": cpus, "efficiency": min(1.0, one / (cpus * every))}


def cpu_snapshot(pids) -> dict | None:
    """Wall clock, all CPUs' busy seconds (/proc/stat), CPU seconds of `pids` and their children (None: no /proc)."""
    import psutil

    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
        ticks = [int(v) for v in fields]
        ours = {}  # each process and its children (torch.compile's compile workers, for one), each once:
        for pid in pids:  # the workers are also the children of the process that started them
            with contextlib.suppress(psutil.Error):
                process = psutil.Process(pid)
                ours.update((p.pid, p) for p in [process, *process.children(recursive=True)])
        own = 0.0
        for p in ours.values():  # with the children each has waited for: short-lived helpers count as ours
            with contextlib.suppress(psutil.Error):
                t = p.cpu_times()
                own += t.user + t.system + t.children_user + t.children_system
    except (OSError, ValueError, IndexError):
        return None
    hz = os.sysconf("SC_CLK_TCK")
    idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)
    return {"wall": time.perf_counter(), "busy_s": (sum(ticks[:8]) - idle) / hz, "own_s": own,
            "cpus": os.cpu_count() or 1}


def others_share(before: dict | None, after: dict | None) -> float | None:
    """Other programs' share of all CPUs' time between two `cpu_snapshot`s (0 = none, 1 = every core)."""
    if before is None or after is None or after["wall"] <= before["wall"]:
        return None
    others = (after["busy_s"] - before["busy_s"]) - (after["own_s"] - before["own_s"])
    return max(0.0, others / ((after["wall"] - before["wall"]) * after["cpus"]))


def wait_until_idle(pids, limit: float = 20.0, interval: float = 0.25, busy: float = 0.1) -> float:
    """Wait until `pids` and their children use under `busy` of one CPU (at most `limit` s); the seconds waited.

    After warm-up, a back end's helpers can keep working for seconds (torch.compile's compile workers,
    for one); timed rounds that start before they finish are slowed by the kit itself.
    """
    if not isinstance(pids, list | tuple) or not all(isinstance(p, int) and not isinstance(p, bool) for p in pids):
        raise TypeError(f"pids must be a list of process ids (ints), got {pids!r}")
    limit, interval = check_seconds("limit", limit), check_seconds("interval", interval)
    check_number("busy", busy, minimum=0)
    start = time.perf_counter()
    before = cpu_snapshot(pids)
    while before is not None and time.perf_counter() - start < limit:
        time.sleep(interval)
        after = cpu_snapshot(pids)
        if after is None or (after["own_s"] - before["own_s"]) / (after["wall"] - before["wall"]) < busy:
            break
        before = after
    return time.perf_counter() - start


def judge_round(probe_result: dict, calibration_s: float, others: float | None = None,
                calibration_efficiency: float = 1.0) -> dict:
    """A round's contention entry: the probe, its slowdown, other programs' CPU share, pressure, the flag.

    calibration_efficiency: the probe's best parallel efficiency on this machine at the run's start; the
    efficiency limit is MIN_EFFICIENCY times it (at most 1).
    """
    calibration_s = check_seconds("calibration_s", calibration_s)
    limit = MIN_EFFICIENCY * min(1.0, check_number("calibration_efficiency", calibration_efficiency, minimum=0))
    slowdown = probe_result["all_s"] / calibration_s
    low = probe_result["cpus"] > 1 and probe_result["efficiency"] < limit
    busy = others is not None and others > MAX_OTHERS
    return {**probe_result, "slowdown": slowdown, "others": others, "pressure": cpu_pressure(),
            "efficiency_limit": limit, "contended": bool(low or busy or slowdown > MAX_SLOWDOWN)}


def flags(samples, contended_rounds, max_spread: float = MAX_SPREAD) -> dict:
    """A cell's statistics and its state: "contended", "noisy" (IQR/median > max_spread) or "ok"."""
    check_number("max_spread", max_spread, minimum=0)
    stats = summarize(samples)
    share = float(np.mean([bool(c) for c in contended_rounds])) if len(contended_rounds) else 0.0
    state = "contended" if share > CONTENDED_SHARE else "noisy" if stats["spread"] > max_spread else "ok"
    return {**stats, "contended_share": share, "state": state}

"""`run`: the benchmark itself. Starts one worker per back end, warms every cell up, then times rounds.

Used by notebook 02 (speed) and `python -m utils.bench`. Method:
- one process per back end (Keras picks its back end at import); a NumPy process runs the contention probe
  before and after every round, keeping the better (`timing`);
- the matmul peak is measured once per run, by one library (`peak_library`: JAX's XLA by default, the
  fastest of the four here, 2026-12-07: ~450 GFLOP/s on 2 cores against NumPy's ~250; NumPy, always
  running, when the run has no JAX process), or taken from an earlier run (`peak=`), so every "% peak" of
  a notebook means the same;
- warm-up: the first step (tracing and compiling happen there) is timed on its own (`first_step_s`);
  more warm-up steps follow, untimed; Keras's `train_on_batch` is timed beside its `fit` (`per_call_s`);
- samples: a block of steps (about `block_seconds`) ends with a device synchronisation; its time / steps
  is one sample; one untimed round first re-sizes the blocks away from the parallel compiles;
- quiet start: after warm-up the kit waits until the back end's processes are idle (torch.compile's
  compile workers keep busy for seconds), and each probe waits for the last worker's threads to stop;
- settling: each timed block follows an untimed one of the same length, because the first block after
  another process ran pays for the switch (that process's thread pools still spinning, cold caches);
- configurations are interleaved: every round runs every cell once, in a new shuffled order;
- the median of `repeats` samples with its quartiles; a cell is marked "noisy" or "contended" (`record`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import os
import platform
import time

import numpy as np

from utils.bench import timing
from utils.bench.configs import (
    CONFIGS,
    DEFAULT_CONFIGS,
    LEARNING_RATE,
    MATMUL_SIZE,
    PROCESSES,
    check_grid,
    per_workload,
    step_flops,
)
from utils.bench.record import SCHEMA, Cell, as_dict, validate
from utils.bench.workers import Worker, WorkerFailed
from utils.checks import check_bool, check_choice, check_int, check_seconds
from utils.processes import available_memory
from utils.results import machine

ALL_AT_ONCE_MEMORY = 3.5e9  # bytes free needed to keep every back end's process alive together (~2.5 GB)


def run(configs=DEFAULT_CONFIGS, workloads=("mlp",), batches=64, sizes=None, repeats: int = 5, warmup: int = 2,
        block_seconds: float = 0.1, threads: int | None = None, seed: int = 0, matmul_size: int = MATMUL_SIZE,
        all_at_once: bool | None = None, quiet_pools: bool = False, timeout: float = 600, progress=None,
        peak: dict | None = None, peak_library: str = "jax") -> dict:
    """Run the benchmark; return the record (see `record.validate`).

    Args:
        configs, workloads, batches, sizes: the grid (see `check_grid`); configs a list or a dict per
            workload; batches an int, a list, or a dict per workload.
        repeats: timed rounds; warmup: untimed steps after the first; block_seconds: length of a sample.
        threads: None (every core) or the threads each library may use.
        all_at_once: keep every back end's process alive together (about 2.5 GB), so rounds interleave all
            configurations; False: one back end at a time; None: choose by the memory available.
        quiet_pools: tell the back ends' idle thread pools to sleep (see `workers.QUIET_POOLS`).
        timeout: seconds allowed for each warm-up (compile) and each timed block.
        progress: None, or a function called as progress(done, total, text) after each step of the run.
        peak: an earlier record's "peak" to reuse (not measured again), or None to measure it here, once,
            with `peak_library` (a back end's process: "jax", "tensorflow", "torch", or "numpy"); NumPy when
            the run starts no such process or the measurement fails there.
    Returns:
        The record: settings, machine, versions, per-round contention, the matmul peak, one result per cell,
        and "phases_s": the run's own seconds spent starting processes, warming up, on the peak and in rounds.
    """
    configs, workloads, batches, sizes = check_grid(configs, workloads, batches, sizes, repeats, warmup,
                                                    block_seconds, threads, seed)
    per_config = per_workload(configs, workloads)
    check_int("matmul_size", matmul_size, minimum=1)
    check_choice("peak_library", peak_library, PROCESSES)
    if peak is not None and not (isinstance(peak, dict) and peak.get("gflops") and peak.get("library")):
        raise ValueError("peak must be an earlier record's \"peak\" (with its gflops and library), or None")
    if all_at_once is not None:
        check_bool("all_at_once", all_at_once)
    check_bool("quiet_pools", quiet_pools)
    check_seconds("timeout", timeout)
    if progress is not None and not callable(progress):
        raise TypeError(f"progress must be None or a function (done, total, text), got {type(progress).__name__}")
    start = time.perf_counter()
    cells = [_cell(c, w, b, sizes[w]) for w in workloads for b in batches[w] for c in per_config[w]]
    processes = [p for p in PROCESSES[1:] if any(c.process == p for c in cells)]
    if peak_library not in processes:
        peak_library = "numpy"
    if all_at_once is None:
        all_at_once = available_memory() > ALL_AT_ONCE_MEMORY
    settings = {"configs": list(dict.fromkeys(c for w in workloads for c in per_config[w])),
                "configs_per_workload": {w: list(c) for w, c in per_config.items()}, "workloads": list(workloads),
                "batches": {w: list(b) for w, b in batches.items()}, "sizes": sizes, "repeats": repeats,
                "warmup": warmup, "block_seconds": block_seconds,
                "threads_requested": threads, "seed": seed, "learning_rate": LEARNING_RATE, "quiet_pools": quiet_pools,
                "matmul_size": matmul_size, "peak_library": peak["library"] if peak else peak_library,
                "all_at_once": all_at_once, "max_spread": timing.MAX_SPREAD,
                "min_efficiency": timing.MIN_EFFICIENCY, "max_slowdown": timing.MAX_SLOWDOWN}
    record = {"schema": SCHEMA, "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
              "settings": settings, "machine": machine(), "rounds": [], "workers": {},
              "calibration_s": None, "phases_s": {"start": 0.0, "warm_up": 0.0, "peak": 0.0, "rounds": 0.0}}
    phases = record["phases_s"]
    groups = [processes] if all_at_once else [[p] for p in processes]
    total = len(cells) + len(processes) + (repeats + 1) * len(groups)
    done = [0]

    def tick(text):
        done[0] += 1
        if progress:
            progress(min(done[0], total), total, text)

    matmuls = {}
    clock = time.perf_counter()
    numpy_worker = Worker("numpy", threads)
    try:
        try:
            record["workers"]["numpy"] = numpy_worker.request_ready(timeout)
            phases["start"] += time.perf_counter() - clock
            probes = [numpy_worker.request({"op": "probe"}, timeout) for _ in range(3)]
            calibration = min(p["all_s"] for p in probes)
            record["calibration_efficiency"] = max(p["efficiency"] for p in probes)
        except (WorkerFailed, KeyError) as err:  # no contention measure: nothing can be judged
            record["workers"]["numpy"] = {"failed": str(err)}
            for cell in cells:
                cell.fail(f"no contention probe, so nothing is timed: {err}")
            groups = []
        else:
            record["calibration_s"] = calibration
            if peak is None and peak_library == "numpy":
                clock = time.perf_counter()
                matmuls["numpy"] = _matmul(numpy_worker, "numpy", settings, repeats, timeout)
                phases["peak"] += time.perf_counter() - clock
        for group in groups:
            workers = {}
            try:
                clock = time.perf_counter()
                for p in group:
                    workers[p] = Worker(p, threads, quiet_pools,
                                        keras=any(c.process == p and c.framework == "keras" for c in cells))
                mine = [c for c in cells if c.process in group]
                pids = [numpy_worker.popen.pid, *(w.popen.pid for w in workers.values())]
                cpu = timing.cpu_snapshot(pids)
                _prepare(workers, mine, settings, timeout, record, tick)
                phases["warm_up"] += time.perf_counter() - clock  # starts included: split off below
                cpu = _cpu_since(cpu, pids, record, "start_and_warm_up")
                clock = time.perf_counter()
                matmuls.update({p: _matmul(w, p, settings, repeats, timeout) for p, w in workers.items()
                                if peak is None and p == peak_library
                                and "failed" not in record["workers"].get(p, {})
                                and p not in record["workers"].get(p, {}).get("missing", {})})
                phases["peak"] += time.perf_counter() - clock
                clock = time.perf_counter()
                waited = timing.wait_until_idle([w.popen.pid for w in workers.values()])
                for p in workers:
                    record["workers"].setdefault(p, {})["waited_idle_s"] = round(waited, 2)
                if not any(c.state == "pending" for c in mine):  # nothing to time (not available, or failed)
                    for _ in range(repeats + 1):
                        tick(f"nothing to time on {', '.join(workers)}")
                    continue
                _rounds(workers, numpy_worker, mine, repeats, seed + len(record["rounds"]), calibration, timeout,
                        record, tick)
                phases["rounds"] += time.perf_counter() - clock
                _cpu_since(cpu, pids, record, "peak_and_rounds")
            finally:
                for w in workers.values():
                    w.stop()
        if peak is None and not any(matmuls.values()) and record["calibration_s"] is not None:  # the fallback
            clock = time.perf_counter()
            with contextlib.suppress(WorkerFailed):
                matmuls["numpy"] = _matmul(numpy_worker, "numpy", settings, repeats, timeout)
            phases["peak"] += time.perf_counter() - clock
    finally:
        numpy_worker.stop()
    record["versions"] = {"python": platform.python_version(), **{k: v for w in record["workers"].values()
                                                                 for k, v in w.get("versions", {}).items()}}
    record["machine"]["accelerators"] = sorted({w["device_name"] for w in record["workers"].values()
                                                if w.get("device_name")})
    started = sum(w.get("start_s", 0.0) for p, w in record["workers"].items() if p != "numpy")
    phases["start"] += started
    phases["warm_up"] = max(0.0, phases["warm_up"] - started)
    finish(record, cells, matmuls, reused=peak)
    record["wall_s"] = time.perf_counter() - start
    return validate(record)


def _cpu_since(before: dict | None, pids: list, record: dict, phase: str) -> dict | None:
    """Add the CPU seconds `pids` (and their children) used since `before` to record["phases_cpu_s"][phase]."""
    after = timing.cpu_snapshot(pids)
    if before is not None and after is not None:
        spent = record.setdefault("phases_cpu_s", {}).get(phase, 0.0) + after["own_s"] - before["own_s"]
        record["phases_cpu_s"][phase] = round(spent, 2)
    return after


def _cell(config: str, workload: str, batch: int, sizes: dict) -> Cell:
    c = CONFIGS[config]
    return Cell(config=config, label=c.label, framework=c.framework, process=c.process, workload=workload,
                batch=batch, sizes=sizes, flops_per_step=step_flops(workload, batch, sizes))


def _job(cell: Cell, settings: dict) -> dict:
    return {"op": "prepare", "key": cell.key, "config": cell.config, "workload": cell.workload, "batch": cell.batch,
            "sizes": cell.sizes, **{k: settings[k] for k in ("seed", "warmup", "block_seconds", "learning_rate",
                                                            "matmul_size")}}


def _prepare(workers: dict, cells: list, settings: dict, timeout: float, record: dict, tick) -> None:
    """Workers start and warm their cells up in parallel, each through its own cells in order."""
    pending = {p: [c for c in cells if c.process == p] for p in workers}
    current = {p: None for p in workers}  # the cell each worker is warming up (None: starting)
    deadline = {p: time.perf_counter() + timeout for p in workers}
    started = time.perf_counter()
    while current:
        for p in list(current):
            cell = current[p]
            try:
                reply = workers[p].receive(0.05)
                if reply is None and time.perf_counter() > deadline[p]:
                    workers[p].popen.kill()
                    raise WorkerFailed(f"the {p} worker did not answer within {timeout:.0f} s: stopped")
            except WorkerFailed as err:
                record["workers"][p] = {"failed": str(err)}
                for c in [cell, *pending[p]] if cell else pending[p]:
                    c.fail(str(err))
                    tick(f"{c.label} {c.workload} {c.batch}: failed")
                del current[p]
                continue
            if reply is None:
                continue
            if reply.get("ready"):
                record["workers"][p] = {**{k: v for k, v in reply.items() if k != "ready"},
                                        "start_s": time.perf_counter() - started}
                tick(f"{p} process ready")
                for c in [c for c in pending[p] if _missing(c, reply.get("missing", {}))]:
                    c.unavailable(_missing(c, reply["missing"]))
                    pending[p].remove(c)
                    tick(f"{c.label} {c.workload} {c.batch}: not available")
            elif reply["ok"]:
                cell.device, cell.steps, cell.first_step_s = reply["device"], reply["steps"], reply["first_step_s"]
                cell.first_loss, cell.estimate_s, cell.per_call_s = (reply["first_loss"], reply["estimate_s"],
                                                                     reply["per_call_s"])
                cell.feed_s = reply.get("feed_s")
                tick(f"{cell.label} {cell.workload} {cell.batch}: warmed up")
            else:
                cell.fail(reply["error"])
                tick(f"{cell.label} {cell.workload} {cell.batch}: failed")
            if pending[p]:
                current[p] = pending[p].pop(0)
                workers[p].send(_job(current[p], settings))
                deadline[p] = time.perf_counter() + timeout
            else:
                del current[p]


def _missing(cell: Cell, missing: dict) -> str | None:
    """Why `cell` cannot run in a worker that could not import the libraries `missing` (None: it can)."""
    needs = [cell.process] + (["keras"] if cell.framework == "keras" else [])
    why = [f"{name} is not installed here ({missing[name]})" for name in needs if name in missing]
    return "; ".join(why) or None


def _matmul(worker: Worker, process: str, settings: dict, repeats: int, timeout: float) -> dict | None:
    """The library's float32 matmul rate: warm up, then `repeats` single products (None if it fails)."""
    key = f"matmul|{process}"
    try:
        if not worker.request({**_job_matmul(key, settings)}, timeout)["ok"]:
            return None
        seconds = [worker.request({"op": "time", "key": key, "steps": 1}, timeout)["seconds"] for _ in range(repeats)]
    except WorkerFailed:
        return None
    flops = 2 * settings["matmul_size"] ** 3
    return {"median_gflops": flops / float(np.median(seconds)) / 1e9, "best_gflops": flops / min(seconds) / 1e9}


def _job_matmul(key: str, settings: dict) -> dict:
    return {"op": "prepare", "key": key, "config": "matmul", "matmul_size": settings["matmul_size"],
            "seed": settings["seed"], "warmup": 1, "block_seconds": settings["block_seconds"]}


def _rounds(workers, numpy_worker, cells, repeats, seed, calibration, timeout, record, tick) -> None:
    """One untimed round (blocks re-sized away from the parallel compiles), then `repeats` timed rounds."""
    rng = np.random.default_rng(seed)
    block_seconds = record["settings"]["block_seconds"]
    for r in range(repeats + 1):
        live = [c for c in cells if c.state == "pending"]
        pids = [os.getpid(), numpy_worker.popen.pid, *(w.popen.pid for w in workers.values())]
        probed = None
        if r:
            try:
                probed = numpy_worker.request({"op": "probe"}, timeout)
            except WorkerFailed as err:  # no measure this round: counted as contended, not as quiet
                record["rounds"].append({"processes": list(workers), "contended": True, "failed": str(err)})
            else:
                record["rounds"].append({"processes": list(workers)})
        snapshot = timing.cpu_snapshot(pids)
        for cell in (live[i] for i in rng.permutation(len(live))):
            if cell.state != "pending":  # its worker died earlier in this round
                continue
            try:
                reply = workers[cell.process].request({"op": "time", "key": cell.key, "steps": cell.steps,
                                                       "settle": True}, timeout)
            except WorkerFailed as err:
                for c in cells:
                    if c.process == cell.process:
                        c.fail(f"{err} (after {len(c.samples_s)} samples)")
                continue
            if not reply["ok"] or not math.isfinite(reply["loss"]):
                cell.fail(reply.get("error") or f"the loss became {reply['loss']}")
            elif r == 0:  # the faster of two estimates: one stalled block must not shrink every later one
                cell.steps = timing.steps_for(min(reply["seconds"] / reply["steps"], cell.estimate_s), block_seconds)
            else:
                cell.samples_s.append(reply["seconds"] / reply["steps"])
                cell.cpu_share.append(reply["cpu_s"] / reply["seconds"])
                cell.rounds.append(len(record["rounds"]) - 1)
        if probed:  # judged at the round's end: other programs' CPU share is over the round itself
            others = timing.others_share(snapshot, timing.cpu_snapshot(pids))
            with contextlib.suppress(WorkerFailed):  # probed again: a program that holds a core is still there
                probed = max(probed, numpy_worker.request({"op": "probe"}, timeout), key=lambda p: p["efficiency"])
            record["rounds"][-1].update(timing.judge_round(probed, calibration, others,
                                                           record.get("calibration_efficiency", 1.0)))
        tick(f"round {r}/{repeats} of {', '.join(workers)}" if r else f"sizing round of {', '.join(workers)}")


def finish(record: dict, cells: list, matmuls: dict, reused: dict | None = None) -> None:
    """Statistics and state per cell, the matmul peak, each cell's share of it; fills record["results"].

    matmuls: {library: rates} measured in this run (one library); reused: an earlier record's peak instead.
    """
    if reused is not None:
        record["peak"] = {**reused, "measured": f"reused from the run of {reused.get('measured_at', 'an earlier run')}"}
    else:
        peak = {p: m for p, m in matmuls.items() if m}
        best = max(peak, key=lambda p: peak[p]["median_gflops"]) if peak else None
        record["peak"] = {"gflops": peak[best]["median_gflops"] if best else None, "library": best, "by_library": peak,
                          "size": record["settings"].get("matmul_size"), "measured": "measured once in this run",
                          "measured_at": record["created"]}
    best = record["peak"]["gflops"]
    probes = [r["all_s"] for r in record["rounds"] if "all_s" in r]
    if probes:  # the slowdown against the fastest probe of the whole run (a busy start inflates the calibration)
        record["calibration_s"] = min([record["calibration_s"], *probes])
        for r in record["rounds"]:
            if "all_s" in r:
                r.update(timing.judge_round(r, record["calibration_s"], r["others"],
                                            record.get("calibration_efficiency", 1.0)))
    contended = [r["contended"] for r in record["rounds"]]
    for cell in cells:
        if cell.state == "pending" and not cell.samples_s:
            cell.fail(cell.reason or "no timed sample")
        if cell.state in ("failed", "unavailable"):
            continue
        stats = timing.flags(cell.samples_s, [contended[i] for i in cell.rounds], record["settings"]["max_spread"])
        for k in ("median", "q1", "q3", "min", "max"):
            setattr(cell, f"{k}_s", stats[k])
        cell.spread, cell.contended_share, cell.state = stats["spread"], stats["contended_share"], stats["state"]
        cell.gflops = cell.flops_per_step / cell.median_s / 1e9
        cell.share_of_peak = cell.gflops / record["peak"]["gflops"] if best else None
    record["results"] = [as_dict(c) for c in cells]

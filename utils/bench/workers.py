"""The benchmark's worker processes: one per back end, one request in flight at a time, JSON lines.

Used by notebook 02 (speed) through `utils.bench.run`. A worker is `python -m utils.bench.workers PROCESS`:
it imports one back end, says it is ready (with "missing": {library: why} for a back end or Keras that
cannot be imported here, whose cells the runner marks not available), then answers each request line with
one reply line:
    {"op": "prepare", "key", "config"|"matmul", ...}  -> warm-up: first step, steps per block, device
    {"op": "time", "key", "steps", "settle"}           -> one timed block: seconds, CPU seconds, loss
                                                          (settle: after one untimed block of the same steps)
    {"op": "probe"}                                    -> the contention probe (`timing.probe`)
Idle thread pools can spin; telling them to sleep (QUIET_POOLS) keeps idle workers off the CPU but makes
every small op of the worker being timed wait for its threads to wake: measured on the project's quiet
2-core machine (2026-11-23), PyTorch eager on the 64-64-10 MLP at batch 64 took 0.27 ms/step with the
defaults and 1.21 ms with QUIET_POOLS. So it is off by default (`run(quiet_pools=True)` or `--quiet-pools`
to compare); the notebook runs one back end at a time, and each timed block follows an untimed one.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
import traceback

import numpy as np

from utils.checks import check_choice, check_seconds
from utils.processes import check_threads, child_environment, clean_stderr

from .configs import PROCESSES

QUIET_POOLS = {"OMP_WAIT_POLICY": "PASSIVE", "KMP_BLOCKTIME": "0", "OPENBLAS_THREAD_TIMEOUT": "4"}


class WorkerFailed(RuntimeError):
    """The worker exited, or did not answer in time (it is then stopped)."""


class Worker:
    """A worker subprocess: `send` a request, `receive` its reply (one request in flight)."""

    def __init__(self, process: str, threads: int | None, quiet_pools: bool = False, keras: bool = True):
        """keras=False: the worker does not import Keras at start (no Keras cell will run there; saves ~2.6 s
        on the torch back end, measured 2026-12-07)."""
        check_choice("process", process, PROCESSES)
        check_threads(threads)
        self.process, self.info, self._replies, self._busy = process, {}, queue.Queue(), False
        self.log = tempfile.TemporaryFile(mode="w+")
        env = {**child_environment(threads), **(QUIET_POOLS if quiet_pools else {}), "TF_CPP_MIN_LOG_LEVEL": "3",
               "KERAS_BACKEND": process if process != "numpy" else "tensorflow", "BENCH_THREADS": str(threads or ""),
               "BENCH_KERAS": "1" if keras else "0",
               "XLA_PYTHON_CLIENT_PREALLOCATE": "false", "TF_FORCE_GPU_ALLOW_GROWTH": "true"}
        self.popen = subprocess.Popen([sys.executable, "-m", "utils.bench.workers", process], env=env,
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log, text=True)
        threading.Thread(target=self._read, daemon=True).start()
        self._busy = True  # the "ready" line is the reply to starting

    def _read(self):
        for line in self.popen.stdout:
            with contextlib.suppress(json.JSONDecodeError):
                self._replies.put(json.loads(line))
        self._replies.put(None)  # end of output: the worker has exited

    def send(self, job: dict) -> None:
        """Send one request; the previous reply must have been received."""
        if self._busy:
            raise RuntimeError(f"the {self.process} worker already has a request in flight")
        self._busy = True
        try:
            self.popen.stdin.write(json.dumps(job) + "\n")
            self.popen.stdin.flush()
        except OSError:
            pass  # the reader sees the exit

    def receive(self, timeout: float) -> dict | None:
        """The reply to the request in flight; None if not there within `timeout` s (then ask again).

        Raises:
            WorkerFailed: the worker exited.
        """
        try:
            reply = self._replies.get(timeout=max(0.0, timeout))
        except queue.Empty:
            return None
        if reply is None:
            raise WorkerFailed(self.why_dead())
        self._busy = False
        return reply

    def request_ready(self, timeout: float) -> dict:
        """Wait for the worker's start-up line; return its versions, threads and device."""
        reply = self.receive(timeout)
        if reply is None:
            self.popen.kill()
            raise WorkerFailed(f"the {self.process} worker did not start within {timeout:.0f} s: stopped")
        return {k: v for k, v in reply.items() if k != "ready"}

    def request(self, job: dict, timeout: float) -> dict:
        """Send `job` and wait for its reply; WorkerFailed (and the worker stopped) after `timeout` s."""
        check_seconds("timeout", timeout)
        self.send(job)
        reply = self.receive(timeout)
        if reply is None:
            self.popen.kill()
            raise WorkerFailed(f"the {self.process} worker did not answer within {timeout:.0f} s: stopped")
        return reply

    def why_dead(self) -> str:
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout=5)
        self.log.seek(0)
        tail = clean_stderr(self.log.read()).splitlines()[-6:]
        return (f"the {self.process} worker process exited (status {self.popen.returncode}): "
                + " | ".join(line.strip() for line in tail)[-500:])

    def stop(self, grace: float = 3.0) -> None:
        """Close its input, give it `grace` seconds to exit, then kill it."""
        with contextlib.suppress(OSError):
            self.popen.stdin.close()
        try:
            self.popen.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait()
        self.log.close()


# ---------------------------------------------------------------- inside the worker process


def serve(process: str) -> None:
    """Import one back end, then answer requests from stdin (replies on the real stdout, logs to stderr)."""
    from .steps import matmul, timed_step
    from .timing import probe, steps_for, time_block, warm_up

    reply = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    reply.write(json.dumps({"ready": True, **_import_process(process)}) + "\n")
    cells = {}
    for line in sys.stdin:
        job = json.loads(line)
        try:
            if job["op"] == "probe":
                out = probe()
            elif job["op"] == "prepare":
                timed = (matmul(process, job["matmul_size"], job["seed"]) if job["config"] == "matmul" else
                         timed_step(job["config"], job["workload"], job["batch"], job["sizes"], job["seed"],
                                   job["learning_rate"]))
                cells[job["key"]] = timed
                out = {**warm_up(timed.block, job["warmup"], job["block_seconds"]), "device": timed.device,
                       "per_call_s": _per_call(timed.per_call) if timed.per_call else None}
                out["feed_s"] = _feed(timed.feed, out["steps"]) if timed.feed else None
                if out["per_call_s"]:  # a one-step fit epoch is mostly the epoch's own start: size by the call
                    out["estimate_s"] = out["per_call_s"]
                    out["steps"] = steps_for(out["per_call_s"], job["block_seconds"])
            else:
                if job.get("settle"):  # an untimed block first: it pays for the switch from another process
                    cells[job["key"]].block(job["steps"])
                out = time_block(cells[job["key"]].block, job["steps"])
            out["ok"] = True
        except Exception as err:  # reported as this cell's failure; the worker goes on
            traceback.print_exc()
            lines = str(err).strip().splitlines()
            out = {"ok": False, "error": f"{type(err).__name__}: {lines[0][:300] if lines else ''}".strip()}
        reply.write(json.dumps({"key": job.get("key"), **out}) + "\n")


def _per_call(call, calls: int = 7) -> float:
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def _feed(feed, steps: int, tries: int = 3) -> float:
    """Seconds per batch of Keras's data feed alone: the median of `tries` passes of at least 20 batches."""
    steps = max(20, steps)
    return float(np.median([feed(steps) / steps for _ in range(tries)]))


def _import_process(process: str) -> dict:
    """Import the libraries of one worker; return their versions, thread counts, device and what is missing."""
    info = {"versions": {"numpy": np.__version__}, "threads": {}, "device": "cpu", "device_name": None,
            "missing": {}}
    for library, load in ((process, _import_backend), ("keras", _import_keras)):
        if process == "numpy" or info["missing"]:  # Keras on a missing back end: its cells are not available
            break
        if library == "keras" and os.environ.get("BENCH_KERAS") == "0":  # no Keras cell will run here
            break
        try:
            load(process, info)
        except ModuleNotFoundError as err:  # not installed here (a GPU image without TensorFlow): not a failure
            if (err.name or "").split(".")[0] != library:
                raise
            info["missing"][library] = f"{type(err).__name__}: {err}"
    if process == "numpy":
        from threadpoolctl import threadpool_info

        info["threads"] = {p["internal_api"]: p["num_threads"] for p in threadpool_info()}
    return info


def _import_backend(process: str, info: dict) -> None:
    from utils.setup import import_tensorflow, pin_threads, torch_device

    threads = int(os.environ["BENCH_THREADS"]) if os.environ.get("BENCH_THREADS") else None
    if process == "tensorflow":
        tf = import_tensorflow(threads)
        gpus = tf.config.list_logical_devices("GPU")
        info["device"] = gpus[0].name if gpus else "cpu"
        if gpus:
            details = tf.config.experimental.get_device_details(tf.config.list_physical_devices("GPU")[0])
            info["device_name"] = details.get("device_name")
        info["threads"] = {"intra_op": tf.config.threading.get_intra_op_parallelism_threads(),
                           "inter_op": tf.config.threading.get_inter_op_parallelism_threads()}
        info["versions"]["tensorflow"] = tf.__version__
    elif process == "jax":
        import jax

        info["device"] = str(jax.devices()[0])
        info["device_name"] = jax.devices()[0].device_kind if jax.default_backend() != "cpu" else None
        info["threads"] = {"XLA_FLAGS": os.environ.get("XLA_FLAGS", "") or "(none: one thread per core)"}
        info["versions"]["jax"] = jax.__version__
    else:
        import torch

        pin_threads(threads)
        info["device"] = torch_device()
        info["device_name"] = torch.cuda.get_device_name(0) if info["device"] == "cuda" else None
        info["threads"] = {"intra_op": torch.get_num_threads(), "inter_op": torch.get_num_interop_threads()}
        info["versions"]["torch"] = torch.__version__


def _import_keras(process: str, info: dict) -> None:
    import keras

    info["versions"]["keras"] = keras.__version__


if __name__ == "__main__":
    serve(sys.argv[1])
